//! Interop with a real proxy we did not write: tinyproxy, started per test
//! like nginx (`support::tinyproxy`). The tests are named `tinyproxy_*` and
//! skip with a warning when it is absent, unless
//! `BRISK_REQUIRE_TINYPROXY=1`. The exact bytes brisk sends to a proxy are
//! checked against a scripted one in `tests/proxy.rs`.
//!
//! No test here sets a process environment variable: environment proxies
//! are read through `ClientBuilder::proxy_env_lookup`.

mod support;

use support::env_client;
use support::server::recording;
use support::tinyproxy::Tinyproxy;

/// The tinyproxy tests that talk TLS to nginx through it.
#[cfg(feature = "tls")]
mod tls {
    use super::*;
    use brisk::{Client, Proxy, RetryPolicy};
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
        assert_eq!(req.request_line(), "GET /plain?x=1 HTTP/1.1");
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
