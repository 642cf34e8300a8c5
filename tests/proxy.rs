//! Proxies: the exact bytes brisk sends to a proxy (a scripted fake one),
//! and the environment rules end to end (hostile `NO_PROXY` entries
//! included). Interop with a real proxy is in `tests/tinyproxy.rs`.
//!
//! No test here sets a process environment variable: environment proxies
//! are read through `ClientBuilder::proxy_env_lookup`.

mod support;

use support::env_client;

use brisk::{Client, Proxy, RetryPolicy};
use std::time::Duration;
use support::server::{ok, read_request, recording, serve_each, Received, Scripted};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc::UnboundedReceiver;

/// `Basic base64("user:pass")`.
const USER_PASS: &str = "Basic dXNlcjpwYXNz";

/// A fake proxy: records each request head and answers with `reply`.
async fn fake_proxy(reply: fn(&Received) -> Vec<u8>) -> (Scripted, UnboundedReceiver<Received>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let server = Scripted::start(move |stream, _| {
        let tx = tx.clone();
        async move {
            serve_each(stream, |req| {
                let _ = tx.send(req.clone());
                reply(req)
            })
            .await
        }
    })
    .await;
    (server, rx)
}

fn proxy_ok(_: &Received) -> Vec<u8> {
    ok("via proxy")
}

#[tokio::test]
async fn http_targets_go_to_the_proxy_in_absolute_form_with_its_credentials() {
    let (proxy, mut seen) = fake_proxy(proxy_ok).await;
    let client = Client::builder()
        .proxy(
            Proxy::http(proxy.url(""))
                .unwrap()
                .basic_auth("user", "pass"),
        )
        .build()
        .unwrap();
    let resp = client
        .get("http://origin.example:8080/a%20b?q=1")
        .bearer_auth("origin-token")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), "via proxy");
    let req = seen.recv().await.unwrap();
    assert_eq!(
        req.request_line(),
        "GET http://origin.example:8080/a%20b?q=1 HTTP/1.1"
    );
    assert_eq!(req.header("host"), Some("origin.example:8080"));
    assert_eq!(req.header("proxy-authorization"), Some(USER_PASS));
    // Plain http through a proxy: the proxy sees the request as it is.
    assert_eq!(req.header("authorization"), Some("Bearer origin-token"));
    // Exactly one Proxy-Authorization, even when the caller set one too.
    client
        .get("http://origin.example/")
        .header("Proxy-Authorization", "Basic caller")
        .send()
        .await
        .unwrap();
    let req = seen.recv().await.unwrap();
    assert_eq!(req.request_line(), "GET http://origin.example/ HTTP/1.1");
    assert_eq!(
        req.head
            .to_ascii_lowercase()
            .matches("proxy-authorization")
            .count(),
        1,
        "{}",
        req.head
    );
    assert_eq!(req.header("proxy-authorization"), Some(USER_PASS));
}

#[tokio::test]
async fn credentials_in_the_proxy_url_are_sent_and_never_as_authorization() {
    let (proxy, mut seen) = fake_proxy(proxy_ok).await;
    let url = format!("http://user:pass@{}", proxy.addr);
    let client = Client::builder()
        .proxy(Proxy::all(url).unwrap())
        .build()
        .unwrap();
    support::fetch(&client, "http://origin.example/").await;
    let req = seen.recv().await.unwrap();
    assert_eq!(req.header("proxy-authorization"), Some(USER_PASS));
    assert_eq!(req.header("authorization"), None);
}

fn answer_407(_: &Received) -> Vec<u8> {
    b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"p\"\r\nContent-Length: 0\r\n\r\n".to_vec()
}

#[tokio::test]
async fn connect_carries_host_user_agent_and_proxy_auth_only() {
    let (proxy, mut seen) = fake_proxy(answer_407).await;
    let client = Client::builder()
        .proxy(
            Proxy::https(proxy.url(""))
                .unwrap()
                .basic_auth("user", "pass"),
        )
        .user_agent("brisk-test")
        .default_header("X-Api-Key", "origin-secret")
        .build()
        .unwrap();
    let err = client
        .get("https://origin.example:8443/private")
        .bearer_auth("origin-token")
        .header("Proxy-Authorization", "Basic caller")
        .send()
        .await
        .unwrap_err();
    let req = seen.recv().await.unwrap();
    assert_eq!(
        req.head,
        format!(
            "CONNECT origin.example:8443 HTTP/1.1\r\n\
             Host: origin.example:8443\r\n\
             User-Agent: brisk-test\r\n\
             Proxy-Authorization: {USER_PASS}\r\n\r\n"
        )
    );
    assert!(err.is_proxy() && err.is_proxy_auth(), "{err:?}");
    assert_eq!(err.proxy_status().map(|s| s.as_u16()), Some(407));
    assert_eq!(err.phase(), Some(brisk::Phase::Connect));
    assert!(!err.is_connect() && err.status().is_none());
    // A 407 is not retried: the same credentials would get the same answer.
    assert_eq!(proxy.accepted(), 1);
    let shown = format!("{err:#}");
    assert!(
        shown.contains("407") && shown.contains(&proxy.addr.to_string()),
        "{shown}"
    );
    // The default port is spelled out; without credentials there is no
    // Proxy-Authorization at all.
    let client = Client::builder()
        .proxy(Proxy::all(proxy.url("")).unwrap())
        .build()
        .unwrap();
    let _ = client.get("https://origin.example/").send().await;
    let req = seen.recv().await.unwrap();
    assert!(req
        .head
        .starts_with("CONNECT origin.example:443 HTTP/1.1\r\nHost: origin.example:443\r\n"));
    assert_eq!(req.header("proxy-authorization"), None);
}

fn answer_502(_: &Received) -> Vec<u8> {
    b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n".to_vec()
}

#[tokio::test]
async fn other_connect_refusals_are_typed_too() {
    let (proxy, _seen) = fake_proxy(answer_502).await;
    let client = Client::builder()
        .proxy(Proxy::all(proxy.url("")).unwrap())
        .build()
        .unwrap();
    let err = client
        .get("https://origin.example/")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_proxy() && !err.is_proxy_auth(), "{err:?}");
    assert_eq!(err.proxy_status().map(|s| s.as_u16()), Some(502));
}

#[tokio::test]
async fn a_proxy_that_never_answers_connect_times_out_in_the_connect_phase() {
    let silent = Scripted::start(|stream, _| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(stream);
    })
    .await;
    let client = Client::builder()
        .proxy(Proxy::all(silent.url("")).unwrap())
        .connect_timeout(Duration::from_millis(200))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let t = std::time::Instant::now();
    let err = client
        .get("https://origin.example/")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout() && err.is_connect(), "{err:?}");
    assert!(!err.is_total_timeout());
    assert_eq!(err.phase(), Some(brisk::Phase::Connect));
    assert!(t.elapsed() < Duration::from_secs(2));
    // Under a total deadline alone, the total ends it, still naming the
    // connect phase.
    let client = Client::builder()
        .proxy(Proxy::all(silent.url("")).unwrap())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let err = client
        .get("https://origin.example/")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_total_timeout(), "{err:?}");
    assert_eq!(err.phase(), Some(brisk::Phase::Connect));
}

#[tokio::test]
async fn a_proxy_that_refuses_connections_is_a_connect_error_naming_it() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let client = Client::builder()
        .proxy(Proxy::all(format!("http://{dead}")).unwrap())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    for url in ["http://origin.example/", "https://origin.example/"] {
        let err = client.get(url).send().await.unwrap_err();
        assert!(err.is_connect() && !err.is_proxy(), "{err:?}");
        let shown = format!("{err:#}");
        assert!(shown.contains(&format!("proxy {dead}")), "{shown}");
        assert!(std::error::Error::source(&err).is_some());
    }
}

#[tokio::test]
async fn proxy_urls_brisk_cannot_use_are_refused_when_built() {
    for url in [
        "https://proxy:443",
        "socks5://proxy:1080",
        "socks5h://proxy:1080",
    ] {
        assert!(Proxy::all(url).unwrap_err().is_builder(), "{url}");
    }
    // From the environment, the requests it would carry fail instead:
    // going direct could send traffic where it was meant never to go.
    let client = env_client(&[("ALL_PROXY", "socks5://proxy:1080".into())]);
    let err = client
        .get("https://origin.example/")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.is_builder() && format!("{err:#}").contains("ALL_PROXY"),
        "{err}"
    );
}

#[tokio::test]
async fn plain_proxy_connections_are_kept_per_origin() {
    let (proxy, _seen) = fake_proxy(proxy_ok).await;
    let client = Client::builder()
        .proxy(Proxy::all(proxy.url("")).unwrap())
        .build()
        .unwrap();
    for url in [
        "http://a.example/",
        "http://a.example/2",
        "http://b.example/",
    ] {
        support::fetch(&client, url).await;
    }
    // a's second request reused a's connection; b got its own.
    assert_eq!(client.stats().connections_opened, 2);
    assert_eq!(client.stats().requests_reused, 1);
    assert_eq!(proxy.accepted(), 2);
}

#[tokio::test]
async fn environment_proxies_follow_no_proxy_and_skip_loopback_by_default() {
    let (proxy, mut via_proxy) = fake_proxy(proxy_ok).await;
    let (origin, mut direct) = recording("direct").await;
    let target = origin.url("/x");
    let port = origin.addr.port();
    // By default a loopback host never goes through an environment proxy.
    let client = env_client(&[("HTTP_PROXY", proxy.url(""))]);
    assert_eq!(support::fetch(&client, &target).await, b"direct");
    assert_eq!(
        direct.recv().await.unwrap().request_line(),
        "GET /x HTTP/1.1"
    );
    // `<-loopback>` lifts that: now it does.
    let client = env_client(&[
        ("http_proxy", proxy.url("")),
        ("NO_PROXY", "<-loopback>".into()),
    ]);
    assert_eq!(support::fetch(&client, &target).await, b"via proxy");
    assert_eq!(
        via_proxy.recv().await.unwrap().request_line(),
        format!("GET http://127.0.0.1:{port}/x HTTP/1.1")
    );
    // And NO_PROXY entries exempt hosts again: by IP, by port, by range.
    for no_proxy in [
        "<-loopback>, 127.0.0.1".to_string(),
        format!("<-loopback>,127.0.0.1:{port}"),
        "<-loopback> , 127.0.0.0/8".to_string(),
        "*".to_string(),
    ] {
        let client = env_client(&[
            ("http_proxy", proxy.url("")),
            ("no_proxy", no_proxy.clone()),
        ]);
        let body = support::fetch(&client, &target).await;
        assert_eq!(body, b"direct", "{no_proxy}");
        direct.recv().await.unwrap();
    }
    // Another port is not exempt.
    let client = env_client(&[
        ("http_proxy", proxy.url("")),
        (
            "no_proxy",
            format!("<-loopback>,127.0.0.1:{}", port.wrapping_add(1)),
        ),
    ]);
    assert_eq!(support::fetch(&client, &target).await, b"via proxy");
    // Uppercase HTTP_PROXY is ignored under CGI.
    let client = env_client(&[
        ("HTTP_PROXY", proxy.url("")),
        ("REQUEST_METHOD", "GET".into()),
        ("NO_PROXY", "<-loopback>".into()),
    ]);
    assert_eq!(support::fetch(&client, &target).await, b"direct");
    // `no_proxy()` turns the environment off; `proxy()` replaces it.
    let client = Client::builder()
        .proxy_env_lookup({
            let p = proxy.url("");
            move |n| (n == "HTTP_PROXY").then(|| p.clone())
        })
        .no_proxy()
        .build()
        .unwrap();
    assert_eq!(support::fetch(&client, &target).await, b"direct");
}

#[tokio::test]
async fn the_proxy_is_chosen_again_for_each_redirect() {
    let (origin, mut direct) = recording("direct").await;
    let to = origin.url("/landed");
    // The "proxy" answers every request with a redirect to the origin,
    // which NO_PROXY exempts: the second hop goes direct.
    let proxy = support::server::redirecting_to(to.clone()).await;
    let client = env_client(&[
        ("http_proxy", proxy.url("")),
        ("no_proxy", format!("<-loopback>,{}", origin.addr)),
    ]);
    let resp = client.get("http://first.example/").send().await.unwrap();
    assert_eq!(resp.url().as_str(), to);
    assert_eq!(resp.text().await.unwrap(), "direct");
    assert_eq!(
        direct.recv().await.unwrap().request_line(),
        "GET /landed HTTP/1.1"
    );
}

#[tokio::test]
async fn a_proxy_sending_bytes_into_the_tunnel_first_is_refused() {
    let proxy = Scripted::start(|mut stream, _| async move {
        let mut pending = Vec::new();
        if read_request(&mut stream, &mut pending).await.is_some() {
            let _ = stream
                .write_all(b"HTTP/1.1 200 Connection established\r\n\r\nHTTP/1.1 200 OK\r\n\r\n")
                .await;
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    })
    .await;
    let client = Client::builder()
        .proxy(Proxy::all(proxy.url("")).unwrap())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let err = client
        .get("https://origin.example/")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_protocol(), "{err:?}");
    assert_eq!(err.phase(), Some(brisk::Phase::Connect));
}

/// Hostile `NO_PROXY` entries never panic: each is ignored or read.
#[tokio::test]
async fn hostile_no_proxy_entries_do_not_panic() {
    use support::server::recording;
    let (origin, _rx) = recording("direct").await;
    let entries = [
        "10.0.0.0/99",
        "[::1",
        "[::1]:",
        "[::1]:x",
        ":80",
        ",,,",
        "ü.com",
        "*.",
        ".",
        "[]:1",
        "1.2.3.4/33",
        "::ffff:1.2.3.4/200",
        "/",
        "/8",
        "a/b/c",
        "0.0.0.0/0",
        "::/0",
        "[fe80::1%eth0]",
        "host:99999",
        "*",
        "\u{200b}",
        "xn--",
        "[::]/0:80",
        "1.2.3.4:0",
        "*.*.",
    ];
    for e in entries {
        let no_proxy = e.to_string();
        let client = brisk::Client::builder()
            .proxy_env_lookup(move |name| match name {
                "HTTP_PROXY" => Some("http://127.0.0.1:9".to_string()),
                "NO_PROXY" => Some(no_proxy.clone()),
                _ => None,
            })
            .retry(RetryPolicy::none())
            .build()
            .unwrap();
        // Loopback goes direct whatever the list says (but `<-loopback>`).
        let resp = client.get(origin.url("/")).send().await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "direct", "{e}");
        let _ = client
            .get("http://example.invalid/")
            .timeout(Duration::from_millis(200))
            .send()
            .await;
    }
}
