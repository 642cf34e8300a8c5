//! Cookies over real sockets: a scripted server sets them, and the bytes
//! of the next requests show what the jar sends back (and what it never
//! does: to another host, past its expiry, over plain http when Secure,
//! for a public suffix).

mod support;

use brisk::cookie::{CookieStore, Jar};
use brisk::header::HeaderValue;
use brisk::{Client, Url};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::server::{serve_each, Received, Scripted};
use tokio::sync::mpsc;

/// A server whose answer to each request is `route(request line)`: extra
/// header lines (each ending in CRLF) and, if the first is a status, that
/// status (else `200 OK`). Every request is recorded.
async fn server(route: fn(&str) -> String) -> (Scripted, mpsc::UnboundedReceiver<Received>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let server = Scripted::start(move |stream, _| {
        let tx = tx.clone();
        async move {
            serve_each(stream, |req| {
                let _ = tx.send(req.clone());
                let extra = route(req.request_line());
                let (status, extra) = match extra.strip_prefix("HTTP/1.1 ") {
                    Some(rest) => {
                        let (status, rest) = rest.split_once("\r\n").unwrap();
                        (status.to_string(), rest.to_string())
                    }
                    None => ("200 OK".to_string(), extra),
                };
                format!("HTTP/1.1 {status}\r\n{extra}Content-Length: 2\r\n\r\nok").into_bytes()
            })
            .await
        }
    })
    .await;
    (server, rx)
}

/// A client with a jar, retries off, and each of `names` resolved to the
/// server (to reach one loopback server under many host names).
fn jar_client(addr: SocketAddr, names: &[&str]) -> Client {
    let mut builder = Client::builder()
        .cookie_store(true)
        .retry(brisk::RetryPolicy::none());
    for name in names {
        builder = builder.resolve(name, addr);
    }
    builder.build().unwrap()
}

/// GETs `url`, checks the answer, and returns the request as received.
async fn get(client: &Client, url: &str, rx: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    let resp = client.get(url).send().await.unwrap();
    assert!(resp.status().is_success(), "{url}: {}", resp.status());
    resp.bytes().await.unwrap();
    rx.recv().await.unwrap()
}

fn cookie_fields(req: &Received) -> Vec<&str> {
    req.all("cookie")
}

#[tokio::test]
async fn a_cookie_set_is_sent_on_the_next_request() {
    let (server, mut rx) = server(|line| {
        if line.starts_with("GET /login ") {
            "Set-Cookie: sid=abc123; Path=/\r\nSet-Cookie: theme=dark\r\n".into()
        } else {
            String::new()
        }
    })
    .await;
    let client = jar_client(server.addr, &[]);
    let first = get(&client, &server.url("/login"), &mut rx).await;
    assert!(cookie_fields(&first).is_empty(), "{}", first.head);
    let next = get(&client, &server.url("/account"), &mut rx).await;
    // One field, in the order RFC 6265 §5.4 gives (same path length:
    // creation order).
    assert_eq!(
        cookie_fields(&next),
        ["sid=abc123; theme=dark"],
        "{}",
        next.head
    );
    assert!(next.head.contains("\r\nCookie: sid=abc123; theme=dark\r\n"));

    // Without a jar (the default), nothing is kept.
    let plain = Client::new();
    get(&plain, &server.url("/login"), &mut rx).await;
    let next = get(&plain, &server.url("/account"), &mut rx).await;
    assert!(cookie_fields(&next).is_empty(), "{}", next.head);
}

#[tokio::test]
async fn paths_and_hosts_scope_cookies() {
    let (server, mut rx) = server(|line| {
        if line.starts_with("GET /shop/cart ") {
            // `d`: default path /shop; `api`: /api only.
            "Set-Cookie: d=1\r\nSet-Cookie: api=2; Path=/api\r\n".into()
        } else {
            String::new()
        }
    })
    .await;
    let port = server.addr.port();
    let client = jar_client(server.addr, &["other.test"]);
    get(&client, &server.url("/shop/cart"), &mut rx).await;
    let sent = |req: Received| req.header("cookie").map(str::to_owned);
    let shop = sent(get(&client, &server.url("/shop/item/7"), &mut rx).await);
    assert_eq!(shop.as_deref(), Some("d=1"));
    let api = sent(get(&client, &server.url("/api/v1?x=1"), &mut rx).await);
    assert_eq!(api.as_deref(), Some("api=2"));
    assert_eq!(sent(get(&client, &server.url("/"), &mut rx).await), None);
    assert_eq!(
        sent(get(&client, &server.url("/shopping"), &mut rx).await),
        None
    );
    // The same server by another name is another host.
    let other = format!("http://other.test:{port}/shop/x");
    assert_eq!(sent(get(&client, &other, &mut rx).await), None);
}

#[tokio::test]
async fn max_age_zero_deletes_and_expired_cookies_are_not_sent() {
    let (server, mut rx) = server(|line| {
        if line.starts_with("GET /set ") {
            "Set-Cookie: keep=1\r\nSet-Cookie: drop=1\r\nSet-Cookie: brief=1; Max-Age=1\r\n\
             Set-Cookie: old=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT\r\n"
                .into()
        } else if line.starts_with("GET /logout ") {
            "Set-Cookie: drop=; Max-Age=0\r\n".into()
        } else {
            String::new()
        }
    })
    .await;
    let client = jar_client(server.addr, &[]);
    get(&client, &server.url("/set"), &mut rx).await;
    let req = get(&client, &server.url("/page"), &mut rx).await;
    assert_eq!(req.header("cookie"), Some("keep=1; drop=1; brief=1"));
    get(&client, &server.url("/logout"), &mut rx).await;
    // Max-Age=1 has passed once two seconds have (a slower machine only
    // waits longer, which changes nothing).
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let req = get(&client, &server.url("/page"), &mut rx).await;
    assert_eq!(req.header("cookie"), Some("keep=1"));
}

#[tokio::test]
async fn secure_cookies_never_go_over_http() {
    let (server, mut rx) = server(|line| {
        if line.starts_with("GET /set ") {
            // From an http:// origin a Secure cookie is ignored.
            "Set-Cookie: s=from-http; Secure\r\nSet-Cookie: p=1\r\n".into()
        } else {
            String::new()
        }
    })
    .await;
    let jar = Arc::new(Jar::default());
    // As if https://127.0.0.1 had set them.
    let https = Url::parse("https://127.0.0.1/").unwrap();
    jar.add_cookie_str("tls=1; Secure", &https);
    jar.add_cookie_str("plain=1", &https);
    let client = Client::builder()
        .cookie_provider(jar.clone())
        .build()
        .unwrap();
    let req = get(&client, &server.url("/set"), &mut rx).await;
    assert_eq!(req.header("cookie"), Some("plain=1"), "{}", req.head);
    let req = get(&client, &server.url("/next"), &mut rx).await;
    assert_eq!(req.header("cookie"), Some("plain=1; p=1"), "{}", req.head);
    // The Secure one is still in the jar, for https.
    let for_https = jar.cookies(&https).unwrap();
    assert_eq!(for_https.to_str().unwrap(), "tls=1; plain=1; p=1");
}

#[tokio::test]
async fn a_redirect_hop_sets_a_cookie_that_the_next_hop_sends() {
    let (server, mut rx) = server(|line| {
        if line.starts_with("GET /start ") {
            "HTTP/1.1 302 Found\r\nLocation: /landing\r\nSet-Cookie: hop=1; Path=/\r\n".into()
        } else {
            String::new()
        }
    })
    .await;
    let client = jar_client(server.addr, &[]);
    let resp = client.get(server.url("/start")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.url().path(), "/landing");
    resp.bytes().await.unwrap();
    let first = rx.recv().await.unwrap();
    assert_eq!(first.header("cookie"), None);
    let second = rx.recv().await.unwrap();
    assert!(second.head.starts_with("GET /landing "), "{}", second.head);
    assert_eq!(second.header("cookie"), Some("hop=1"), "{}", second.head);
}

#[tokio::test]
async fn a_cross_host_redirect_does_not_carry_the_first_hosts_cookies() {
    // The Location names the port, which the route function cannot know:
    // this server builds its answers itself.
    let (tx, mut rx) = mpsc::unbounded_channel();
    let server = Scripted::start(move |stream, _| {
        let tx = tx.clone();
        async move {
            serve_each(stream, |req: &Received| {
                let _ = tx.send(req.clone());
                let host = req.header("host").unwrap_or_default().to_string();
                if req.request_line().starts_with("GET /cross ") {
                    let port = host.rsplit(':').next().unwrap();
                    format!(
                        "HTTP/1.1 302 Found\r\nLocation: http://other.test:{port}/landing\r\n\
                         Set-Cookie: first=1\r\nContent-Length: 0\r\n\r\n"
                    )
                    .into_bytes()
                } else {
                    b"HTTP/1.1 200 OK\r\nSet-Cookie: second=2\r\nContent-Length: 0\r\n\r\n".to_vec()
                }
            })
            .await
        }
    })
    .await;
    let port = server.addr.port();
    let client = jar_client(server.addr, &["other.test"]);
    let resp = client.get(server.url("/cross")).send().await.unwrap();
    assert_eq!(resp.url().host_str(), Some("other.test"));
    resp.bytes().await.unwrap();
    assert_eq!(rx.recv().await.unwrap().header("cookie"), None);
    assert_eq!(rx.recv().await.unwrap().header("cookie"), None);
    // Each host got its own: the next requests show it.
    let back = get(&client, &server.url("/again"), &mut rx).await;
    assert_eq!(back.header("cookie"), Some("first=1"));
    let other = get(&client, &format!("http://other.test:{port}/x"), &mut rx).await;
    assert_eq!(other.header("cookie"), Some("second=2"));
}

#[tokio::test]
async fn supercookies_are_refused() {
    let (server, mut rx) = server(|line| {
        if line.starts_with("GET /suffix ") {
            "Set-Cookie: super=1; Domain=co.uk\r\nSet-Cookie: super2=1; Domain=.co.uk\r\n".into()
        } else if line.starts_with("GET /parent ") {
            "Set-Cookie: parent=1; Domain=.example.com\r\n".into()
        } else if line.starts_with("GET /ip ") {
            "Set-Cookie: ip=1; Domain=0.0.1\r\nSet-Cookie: ip2=1; Domain=127.0.0.2\r\n".into()
        } else if line.starts_with("GET /own ") {
            "Set-Cookie: own=1; Domain=127.0.0.1\r\n".into()
        } else {
            String::new()
        }
    })
    .await;
    let port = server.addr.port();
    let names = [
        "a.co.uk",
        "b.co.uk",
        "www.example.com",
        "example.com",
        "api.example.com",
    ];
    let client = jar_client(server.addr, &names);
    let at = |host: &str, path: &str| format!("http://{host}:{port}{path}");
    get(&client, &at("a.co.uk", "/suffix"), &mut rx).await;
    get(&client, &at("www.example.com", "/parent"), &mut rx).await;
    get(&client, &server.url("/ip"), &mut rx).await;
    // A parent Domain (a public suffix or not: brisk cannot tell) is kept
    // host-only: only the host that set the cookie gets it back.
    let req = get(&client, &at("a.co.uk", "/"), &mut rx).await;
    assert_eq!(req.header("cookie"), Some("super=1; super2=1"));
    let req = get(&client, &at("www.example.com", "/"), &mut rx).await;
    assert_eq!(req.header("cookie"), Some("parent=1"));
    // A Domain the IP host does not match is ignored whole.
    for host in ["b.co.uk", "example.com", "api.example.com", "127.0.0.1"] {
        let req = get(&client, &at(host, "/"), &mut rx).await;
        assert_eq!(req.header("cookie"), None, "{host}: {}", req.head);
    }
    // A Domain equal to the host is accepted, as a host-only cookie.
    get(&client, &server.url("/own"), &mut rx).await;
    let req = get(&client, &server.url("/"), &mut rx).await;
    assert_eq!(req.header("cookie"), Some("own=1"));
}

#[tokio::test]
async fn a_cookie_over_4096_bytes_is_ignored() {
    let (server, mut rx) = server(|line| {
        // name + value: 4096 bytes for `fits`, 4097 for `big`.
        if line.starts_with("GET /fits ") {
            format!("Set-Cookie: fits={}\r\n", "v".repeat(4092))
        } else if line.starts_with("GET /big ") {
            format!("Set-Cookie: big={}\r\n", "v".repeat(4094))
        } else {
            String::new()
        }
    })
    .await;
    let client = jar_client(server.addr, &[]);
    get(&client, &server.url("/big"), &mut rx).await;
    assert_eq!(
        get(&client, &server.url("/"), &mut rx)
            .await
            .header("cookie"),
        None
    );
    get(&client, &server.url("/fits"), &mut rx).await;
    let req = get(&client, &server.url("/"), &mut rx).await;
    assert_eq!(req.header("cookie").map(str::len), Some(4097));
}

#[tokio::test]
async fn a_callers_cookie_field_is_sent_alone() {
    let (server, mut rx) = server(|line| {
        if line.starts_with("GET /set ") {
            "Set-Cookie: jar=1\r\n".into()
        } else {
            String::new()
        }
    })
    .await;
    let client = jar_client(server.addr, &[]);
    get(&client, &server.url("/set"), &mut rx).await;
    let resp = client
        .get(server.url("/page"))
        .header("Cookie", "mine=1")
        .send()
        .await
        .unwrap();
    resp.bytes().await.unwrap();
    let req = rx.recv().await.unwrap();
    assert_eq!(cookie_fields(&req), ["mine=1"], "{}", req.head);
    // A client default counts as the caller's too.
    let client = Client::builder()
        .cookie_store(true)
        .default_header("Cookie", "default=1")
        .build()
        .unwrap();
    get(&client, &server.url("/set"), &mut rx).await;
    let req = get(&client, &server.url("/page"), &mut rx).await;
    assert_eq!(cookie_fields(&req), ["default=1"], "{}", req.head);
}

#[tokio::test]
async fn response_cookies_reads_every_set_cookie() {
    let (server, _rx) = server(|_| {
        "Set-Cookie: sid=abc; Path=/app; Domain=example.com; Max-Age=60; Secure; HttpOnly; \
         SameSite=Strict\r\nSet-Cookie: lang=en; Expires=Sun, 06 Nov 1994 08:49:37 GMT\r\n\
         Set-Cookie: =\r\n"
            .into()
    })
    .await;
    // No jar needed to read them.
    let resp = Client::new().get(server.url("/")).send().await.unwrap();
    let cookies: Vec<_> = resp.cookies().collect();
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    let sid = &cookies[0];
    assert_eq!((sid.name(), sid.value()), ("sid", "abc"));
    assert_eq!(sid.path(), Some("/app"));
    assert_eq!(sid.domain(), Some("example.com"));
    assert_eq!(sid.max_age(), Some(Duration::from_secs(60)));
    assert!(sid.secure() && sid.http_only() && sid.same_site_strict());
    let lang = &cookies[1];
    assert_eq!(lang.name(), "lang");
    assert_eq!(
        lang.expires(),
        Some(std::time::UNIX_EPOCH + Duration::from_secs(784_111_777))
    );
    assert!(!lang.secure() && lang.max_age().is_none());
}

/// A store of the caller's: what it was given, by URL.
#[derive(Default)]
struct Recorder(Mutex<Vec<(String, String)>>);

impl CookieStore for Recorder {
    fn set_cookies(&self, cookie_headers: &mut dyn Iterator<Item = &HeaderValue>, url: &Url) {
        let mut seen = self.0.lock().unwrap();
        for v in cookie_headers {
            seen.push((url.path().to_owned(), v.to_str().unwrap().to_owned()));
        }
    }
    fn cookies(&self, url: &Url) -> Option<HeaderValue> {
        (url.path() == "/landing").then(|| HeaderValue::from_static("custom=1"))
    }
}

#[tokio::test]
async fn a_cookie_provider_sees_every_hop() {
    let (server, mut rx) = server(|line| {
        if line.starts_with("GET /start ") {
            "HTTP/1.1 302 Found\r\nLocation: /landing\r\nSet-Cookie: a=1\r\n".into()
        } else {
            "Set-Cookie: b=2\r\n".into()
        }
    })
    .await;
    let store = Arc::new(Recorder::default());
    let client = Client::builder()
        .cookie_provider(store.clone())
        .build()
        .unwrap();
    let resp = client.get(server.url("/start")).send().await.unwrap();
    resp.bytes().await.unwrap();
    assert_eq!(rx.recv().await.unwrap().header("cookie"), None);
    assert_eq!(rx.recv().await.unwrap().header("cookie"), Some("custom=1"));
    let seen = store.0.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            ("/start".to_owned(), "a=1".to_owned()),
            ("/landing".to_owned(), "b=2".to_owned())
        ]
    );
}

#[cfg(feature = "ws")]
#[tokio::test]
async fn a_websocket_handshake_takes_and_sends_the_jars_cookies() {
    // Refuses every handshake, setting a cookie: the next one must carry
    // it.
    let (server, mut rx) =
        server(|_| "HTTP/1.1 403 Forbidden\r\nSet-Cookie: ws=1\r\n".into()).await;
    let client = jar_client(server.addr, &[]);
    let url = format!("ws://{}/socket", server.addr);
    let refused = client.websocket(&url).connect().await.unwrap_err();
    assert_eq!(refused.status().map(|s| s.as_u16()), Some(403));
    assert_eq!(rx.recv().await.unwrap().header("cookie"), None);
    client.websocket(&url).connect().await.unwrap_err();
    let second = rx.recv().await.unwrap();
    assert!(
        second.head.contains("Upgrade: websocket"),
        "{}",
        second.head
    );
    assert_eq!(second.header("cookie"), Some("ws=1"), "{}", second.head);
}

/// Found by the cookie fuzz target: a nameless cookie is sent as its value
/// alone, so `=sid=evil` would reach the server as a cookie named `sid`.
#[tokio::test]
async fn a_nameless_cookie_with_equals_is_refused() {
    let (server, mut rx) = server(|line| {
        if line.starts_with("GET /set ") {
            "Set-Cookie: =sid=evil\r\n".into()
        } else if line.starts_with("GET /bare ") {
            "Set-Cookie: bare\r\n".into()
        } else {
            String::new()
        }
    })
    .await;
    let client = jar_client(server.addr, &[]);
    get(&client, &server.url("/set"), &mut rx).await;
    let req = get(&client, &server.url("/next"), &mut rx).await;
    assert_eq!(req.header("cookie"), None, "{}", req.head);
    // A nameless cookie without `=` is kept, and sent as its value.
    get(&client, &server.url("/bare"), &mut rx).await;
    let req = get(&client, &server.url("/next"), &mut rx).await;
    assert_eq!(req.header("cookie"), Some("bare"), "{}", req.head);
}
