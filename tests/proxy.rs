//! Proxies: the exact bytes brisk sends to a proxy (a scripted fake one),
//! the environment rules end to end, and interop with a real proxy we did
//! not write (tinyproxy, started per test like nginx; the tinyproxy tests
//! are named `tinyproxy_*` and skip with a warning when it is absent,
//! unless `BRISK_REQUIRE_TINYPROXY=1`).
//!
//! No test here sets a process environment variable: environment proxies
//! are read through `ClientBuilder::proxy_env_lookup`.

mod support;

use brisk::{Client, Proxy, RetryPolicy};
use std::collections::HashMap;
use std::time::Duration;
use support::server::{ok, read_request, recording, serve_each, Received, Scripted};
use support::tinyproxy::Tinyproxy;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc::UnboundedReceiver;

/// `Basic base64("user:pass")`.
const USER_PASS: &str = "Basic dXNlcjpwYXNz";

/// A client that reads its proxy settings from `vars` only.
fn env_client(vars: &[(&str, String)]) -> Client {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    Client::builder()
        .proxy_env_lookup(move |name| map.get(name).cloned())
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

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

fn request_line(req: &Received) -> &str {
    req.head.split("\r\n").next().unwrap()
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
        request_line(&req),
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
    assert_eq!(request_line(&req), "GET http://origin.example/ HTTP/1.1");
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
        request_line(&direct.recv().await.unwrap()),
        "GET /x HTTP/1.1"
    );
    // `<-loopback>` lifts that: now it does.
    let client = env_client(&[
        ("http_proxy", proxy.url("")),
        ("NO_PROXY", "<-loopback>".into()),
    ]);
    assert_eq!(support::fetch(&client, &target).await, b"via proxy");
    assert_eq!(
        request_line(&via_proxy.recv().await.unwrap()),
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
        request_line(&direct.recv().await.unwrap()),
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

// --- tinyproxy ---------------------------------------------------------

/// The tinyproxy tests that talk TLS to nginx through it.
#[cfg(feature = "tls")]
mod tls {
    use super::*;
    use support::nginx::{Nginx, HELLO_BODY};

    fn nginx_client(nginx: &Nginx, proxy: Proxy) -> Client {
        let pem = std::fs::read(&nginx.certs.ca_cert).unwrap();
        Client::builder()
            .add_root_certificate(brisk::Certificate::from_pem(&pem).unwrap())
            .proxy(proxy)
            .retry(RetryPolicy::none())
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn tinyproxy_plain_http_reaches_our_origin_without_proxy_credentials() {
        let Some(tp) = Tinyproxy::start("") else {
            return;
        };
        let (origin, mut seen) = recording("hello via tinyproxy").await;
        let client = Client::builder()
            .proxy(Proxy::http(tp.url()).unwrap())
            .build()
            .unwrap();
        let resp = client.get(origin.url("/plain?x=1")).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{}", tp.log());
        assert_eq!(resp.text().await.unwrap(), "hello via tinyproxy");
        let req = seen.recv().await.unwrap();
        assert_eq!(request_line(&req), "GET /plain?x=1 HTTP/1.1");
        assert_eq!(req.header("proxy-authorization"), None);
    }

    #[tokio::test]
    async fn tinyproxy_tls_through_connect_to_nginx() {
        let Some(nginx) = Nginx::start() else { return };
        let Some(tp) = Tinyproxy::start(&format!("ConnectPort {}", nginx.https_port)) else {
            return;
        };
        let client = nginx_client(&nginx, Proxy::all(tp.url()).unwrap());
        for i in 0..2 {
            let resp = client
                .get(nginx.https_url("/hello.txt"))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e:?}\n{}", tp.log()));
            assert_eq!(resp.status(), 200);
            assert_eq!(
                resp.reused(),
                i > 0,
                "the tunnel carries the second request"
            );
            assert_eq!(resp.text().await.unwrap(), HELLO_BODY);
        }
        // Another origin through the same proxy (the same nginx under another
        // name) gets its own tunnel: a tunnel leads to one origin only.
        let other = format!("https://127.0.0.1:{}/hello.txt", nginx.https_port);
        let resp = client.get(other).send().await.unwrap();
        assert!(!resp.reused());
        assert_eq!(resp.text().await.unwrap(), HELLO_BODY);
        assert_eq!(client.stats().connections_opened, 2);
        // The certificate is checked against the origin's name, not the
        // proxy's: a name the certificate does not cover fails.
        let wrong = format!("https://localhost:{}/hello.txt", nginx.wrong_host_port);
        let tp2 = Tinyproxy::start(&format!("ConnectPort {}", nginx.wrong_host_port)).unwrap();
        let client = nginx_client(&nginx, Proxy::all(tp2.url()).unwrap());
        let err = client.get(wrong).send().await.unwrap_err();
        assert_eq!(
            err.tls_failure(),
            Some(brisk::TlsFailure::NotValidForName),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn tinyproxy_basic_auth() {
        let Some(nginx) = Nginx::start() else { return };
        let Some(tp) = Tinyproxy::start("BasicAuth user pass") else {
            return;
        };
        let good = nginx_client(
            &nginx,
            Proxy::all(tp.url()).unwrap().basic_auth("user", "pass"),
        );
        let resp = good
            .get(nginx.https_url("/hello.txt"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.text().await.unwrap(), HELLO_BODY);
        let resp = good.get(nginx.http_url("/hello.txt")).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{}", tp.log());
        assert_eq!(resp.text().await.unwrap(), HELLO_BODY);
        // Credentials from the URL work the same.
        let in_url = format!("http://user:pass@127.0.0.1:{}", tp.port);
        let resp = nginx_client(&nginx, Proxy::all(in_url).unwrap())
            .get(nginx.https_url("/hello.txt"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);

        let bad = nginx_client(
            &nginx,
            Proxy::all(tp.url()).unwrap().basic_auth("user", "wrong"),
        );
        let err = bad
            .get(nginx.https_url("/hello.txt"))
            .send()
            .await
            .unwrap_err();
        assert!(err.is_proxy_auth(), "{err:?}");
        // tinyproxy 1.11 answers a CONNECT with wrong credentials with a 401,
        // not a 407; both count as the proxy's auth demand.
        let status = err.proxy_status().map(|s| s.as_u16());
        assert!(matches!(status, Some(401 | 407)), "{status:?}");
        // Plain http: the proxy's 407 is the response, as in reqwest.
        let resp = bad.get(nginx.http_url("/hello.txt")).send().await.unwrap();
        assert!(
            matches!(resp.status().as_u16(), 401 | 407),
            "{}",
            resp.status()
        );
        let none_plain = nginx_client(&nginx, Proxy::all(tp.url()).unwrap());
        let resp = none_plain
            .get(nginx.http_url("/hello.txt"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 407);
        let none = nginx_client(&nginx, Proxy::all(tp.url()).unwrap());
        let err = none.get(nginx.https_url("/")).send().await.unwrap_err();
        assert!(err.is_proxy_auth(), "{err:?}");
    }

    #[tokio::test]
    async fn tinyproxy_refusals() {
        let Some(nginx) = Nginx::start() else { return };
        // Tunnels only to port 443: the test port is denied with a 403.
        let Some(tp) = Tinyproxy::start("ConnectPort 443") else {
            return;
        };
        let client = nginx_client(&nginx, Proxy::all(tp.url()).unwrap());
        let err = client
            .get(nginx.https_url("/hello.txt"))
            .send()
            .await
            .unwrap_err();
        assert!(err.is_proxy() && !err.is_proxy_auth(), "{err:?}");
        assert_eq!(err.proxy_status().map(|s| s.as_u16()), Some(403));
        // A filter that denies every host: 403 to absolute-form requests
        // (an ordinary response) and to CONNECT (a typed error).
        let filter_dir = tempdir_filter();
        let Some(filtering) = Tinyproxy::start(&format!(
            "Filter \"{}\"\nFilterURLs On\nFilterDefaultDeny Yes",
            filter_dir.display()
        )) else {
            return;
        };
        let client = nginx_client(&nginx, Proxy::all(filtering.url()).unwrap());
        let resp = client
            .get(nginx.http_url("/hello.txt"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 403, "{}", filtering.log());
        let err = client
            .get(nginx.https_url("/hello.txt"))
            .send()
            .await
            .unwrap_err();
        assert!(err.is_proxy(), "{err:?}\n{}", filtering.log());
        assert_eq!(err.proxy_status().map(|s| s.as_u16()), Some(403));
        let _ = std::fs::remove_file(filter_dir);
    }

    /// An empty filter file: with `FilterDefaultDeny`, tinyproxy denies all.
    fn tempdir_filter() -> std::path::PathBuf {
        let path =
            std::env::temp_dir().join(format!("brisk-tinyproxy-filter-{}", std::process::id()));
        std::fs::write(&path, "").unwrap();
        path
    }
}

#[tokio::test]
async fn tinyproxy_no_proxy_host_goes_direct() {
    let Some(tp) = Tinyproxy::start("") else {
        return;
    };
    let (origin, mut seen) = recording("hi").await;
    // Through the environment: the origin is exempt, so tinyproxy sees
    // nothing (its log stays free of the request).
    let client = env_client(&[
        ("HTTP_PROXY", tp.url()),
        (
            "NO_PROXY",
            format!("<-loopback>,127.0.0.1:{}", origin.addr.port()),
        ),
    ]);
    assert_eq!(support::fetch(&client, origin.url("/direct")).await, b"hi");
    seen.recv().await.unwrap();
    let log = tp.log();
    assert!(!log.contains("/direct"), "{log}");
    // Not exempt: through tinyproxy.
    let client = env_client(&[("HTTP_PROXY", tp.url()), ("NO_PROXY", "<-loopback>".into())]);
    assert_eq!(support::fetch(&client, origin.url("/proxied")).await, b"hi");
    seen.recv().await.unwrap();
    assert!(tp.log().contains("/proxied"), "{}", tp.log());
}
