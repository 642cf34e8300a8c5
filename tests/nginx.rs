//! Interop tests against a real nginx (see `support::nginx` for what it
//! serves). Every test starts its own private nginx on free loopback ports;
//! when nginx is not installed they return early after a loud warning
//! (or panic under `BRISK_REQUIRE_NGINX=1`).
//!
//! All tests are named `nginx_*`, so `cargo test --test nginx -- --list`
//! shows what interop is covered, and `cargo test nginx_tls` runs the TLS
//! ones.

mod support;

use brisk::{Client, RedirectPolicy, Version};
use support::nginx::{big_body, Nginx, CHUNKED_BODY, CLOSE_BODY, HELLO_BODY};

/// Unwraps, showing nginx's error log on failure.
fn ok<T>(nginx: &Nginx, r: Result<T, brisk::Error>) -> T {
    r.unwrap_or_else(|e| panic!("{e}\n{e:?}\n{}", nginx.error_log()))
}

/// GETs `url` and reads the whole body; returns (status, reused, body).
async fn get(nginx: &Nginx, client: &Client, url: &str) -> (u16, bool, Vec<u8>) {
    let resp = ok(nginx, client.get(url).send().await);
    let status = resp.status().as_u16();
    let reused = resp.reused();
    let body = ok(nginx, resp.bytes().await);
    (status, reused, body)
}

#[tokio::test]
async fn nginx_get_hello() {
    let Some(nginx) = Nginx::start() else { return };
    let client = Client::new();
    let resp = ok(
        &nginx,
        client.get(nginx.http_url("/hello.txt")).send().await,
    );
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), Version::Http11);
    assert_eq!(resp.reason(), b"OK");
    assert!(!resp.reused());
    assert_eq!(resp.headers()["content-length"], "17");
    assert_eq!(resp.headers()["Content-Type"], "text/plain");
    assert_eq!(resp.content_length(), Some(HELLO_BODY.len() as u64));
    assert_eq!(resp.remote_addr().unwrap().port(), nginx.http_port);
    assert!(resp.remote_addr().unwrap().ip().is_loopback());
    assert_eq!(resp.url().path(), "/hello.txt");
    assert_eq!(ok(&nginx, resp.text().await), HELLO_BODY);
}

#[tokio::test]
async fn nginx_keep_alive_sequential_requests_share_one_connection() {
    let Some(nginx) = Nginx::start() else { return };
    let client = Client::new();
    let url = nginx.http_url("/hello.txt");
    for i in 0..5 {
        let (status, reused, body) = get(&nginx, &client, &url).await;
        assert_eq!(status, 200);
        assert_eq!(body, HELLO_BODY.as_bytes());
        assert_eq!(reused, i > 0, "request {i}");
    }
    let stats = client.stats();
    assert_eq!(stats.connections_opened, 1, "{stats:?}");
    assert_eq!(stats.requests_sent, 5, "{stats:?}");
    assert_eq!(stats.requests_reused, 4, "{stats:?}");
    assert_eq!(stats.idle_connections, 1, "{stats:?}");
    assert_eq!(stats.closed, Default::default(), "{stats:?}");
}

#[tokio::test]
async fn nginx_big_body_with_content_length() {
    let Some(nginx) = Nginx::start() else { return };
    let client = Client::new();
    let resp = ok(&nginx, client.get(nginx.http_url("/big.bin")).send().await);
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.content_length(), Some(big_body().len() as u64));
    let body = ok(&nginx, resp.bytes().await);
    assert!(
        body == big_body(),
        "1 MiB body differs (len {})",
        body.len()
    );
    // Read to its end, so the connection went back to the pool.
    let (_, reused, _) = get(&nginx, &client, &nginx.http_url("/hello.txt")).await;
    assert!(reused);
}

#[tokio::test]
async fn nginx_big_body_chunked() {
    let Some(nginx) = Nginx::start() else { return };
    let client = Client::new();
    let resp = ok(
        &nginx,
        client.get(nginx.http_url("/big-chunked.bin")).send().await,
    );
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["transfer-encoding"], "chunked");
    assert_eq!(resp.content_length(), None);
    let body = ok(&nginx, resp.bytes().await);
    assert!(
        body == big_body(),
        "1 MiB body differs (len {})",
        body.len()
    );
    let (_, reused, _) = get(&nginx, &client, &nginx.http_url("/hello.txt")).await;
    assert!(reused);
}

#[tokio::test]
async fn nginx_big_body_streamed_by_chunk() {
    let Some(nginx) = Nginx::start() else { return };
    let client = Client::new();
    for path in ["/big.bin", "/big-chunked.bin"] {
        let mut resp = ok(&nginx, client.get(nginx.http_url(path)).send().await);
        let mut body = Vec::new();
        let mut pieces = 0;
        while let Some(piece) = ok(&nginx, resp.chunk().await) {
            assert!(!piece.is_empty(), "{path}: empty chunk");
            body.extend_from_slice(&piece);
            pieces += 1;
        }
        assert!(pieces > 1, "{path}: 1 MiB in {pieces} piece(s)");
        assert!(
            body == big_body(),
            "{path}: body differs (len {})",
            body.len()
        );
        // After the end, chunk() keeps saying so.
        assert!(ok(&nginx, resp.chunk().await).is_none());
    }
    let stats = client.stats();
    assert_eq!(stats.connections_opened, 1, "{stats:?}");
}

#[tokio::test]
async fn nginx_dropped_unread_body_closes_the_connection() {
    let Some(nginx) = Nginx::start() else { return };
    let client = Client::new();
    let mut resp = ok(&nginx, client.get(nginx.http_url("/big.bin")).send().await);
    let first = ok(&nginx, resp.chunk().await).expect("a first piece of 1 MiB");
    assert!(first.len() < big_body().len());
    // Most of the body is still on the wire: brisk closes rather than
    // draining it.
    drop(resp);
    let stats = client.stats();
    assert_eq!(stats.closed.abandoned, 1, "{stats:?}");
    assert_eq!(stats.idle_connections, 0, "{stats:?}");
    let (status, reused, body) = get(&nginx, &client, &nginx.http_url("/hello.txt")).await;
    assert_eq!(status, 200);
    assert!(!reused, "a connection with unread body bytes was reused");
    assert_eq!(body, HELLO_BODY.as_bytes());
    assert_eq!(client.stats().connections_opened, 2);
}

#[tokio::test]
async fn nginx_chunked_body_then_reuse() {
    let Some(nginx) = Nginx::start() else { return };
    let client = Client::new();
    let resp = ok(
        &nginx,
        client.get(nginx.http_url("/chunked.txt")).send().await,
    );
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().has_token("transfer-encoding", "chunked"));
    assert!(!resp.headers().contains_key("content-length"));
    assert_eq!(ok(&nginx, resp.text().await), CHUNKED_BODY);
    let (status, reused, body) = get(&nginx, &client, &nginx.http_url("/chunked.txt")).await;
    assert_eq!(status, 200);
    assert!(reused, "the connection was not reused after a chunked body");
    assert_eq!(body, CHUNKED_BODY.as_bytes());
    assert_eq!(client.stats().connections_opened, 1);
}

#[tokio::test]
async fn nginx_connection_close_opens_a_new_connection() {
    let Some(nginx) = Nginx::start() else { return };
    let client = Client::new();
    let resp = ok(&nginx, client.get(nginx.http_url("/close")).send().await);
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().has_token("connection", "close"));
    assert_eq!(ok(&nginx, resp.text().await), CLOSE_BODY);
    let (status, reused, body) = get(&nginx, &client, &nginx.http_url("/hello.txt")).await;
    assert_eq!(status, 200);
    assert!(!reused, "a connection the server closed was reused");
    assert_eq!(body, HELLO_BODY.as_bytes());
    let stats = client.stats();
    assert_eq!(stats.closed.not_reusable, 1, "{stats:?}");
    assert_eq!(stats.connections_opened, 2, "{stats:?}");
    assert_eq!(stats.closed.error, 0, "{stats:?}");
}

#[tokio::test]
async fn nginx_redirect_is_followed() {
    let Some(nginx) = Nginx::start() else { return };
    let client = Client::new();
    for path in ["/redirect", "/redirect-relative"] {
        let resp = ok(&nginx, client.get(nginx.http_url(path)).send().await);
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(resp.url().path(), "/hello.txt", "{path}");
        assert_eq!(
            resp.url().port_or_known_default(),
            Some(nginx.http_port),
            "{path}"
        );
        assert_eq!(ok(&nginx, resp.text().await), HELLO_BODY, "{path}");
    }
    // The 302s' small bodies had arrived: their connection was reused for
    // the next hop, so two redirects and two final GETs used one connection.
    let stats = client.stats();
    assert_eq!(stats.requests_sent, 4, "{stats:?}");
    assert_eq!(stats.connections_opened, 1, "{stats:?}");
}

#[tokio::test]
async fn nginx_redirect_not_followed_with_policy_none() {
    let Some(nginx) = Nginx::start() else { return };
    let client = ok(
        &nginx,
        Client::builder().redirect(RedirectPolicy::none()).build(),
    );
    let resp = ok(&nginx, client.get(nginx.http_url("/redirect")).send().await);
    assert_eq!(resp.status(), 302);
    assert_eq!(resp.reason(), b"Moved Temporarily");
    assert_eq!(resp.url().path(), "/redirect");
    let location = resp.headers()["location"].to_str().unwrap();
    assert_eq!(
        location,
        format!("http://127.0.0.1:{}/hello.txt", nginx.http_port)
    );
    let body = ok(&nginx, resp.text().await);
    assert!(body.contains("302"), "{body}");
}

#[tokio::test]
async fn nginx_head_has_no_body_and_keeps_the_connection() {
    let Some(nginx) = Nginx::start() else { return };
    let client = Client::new();
    let resp = ok(
        &nginx,
        client.head(nginx.http_url("/hello.txt")).send().await,
    );
    assert_eq!(resp.status(), 200);
    // The length of the body a GET would get; none follows.
    assert_eq!(resp.headers()["content-length"], "17");
    assert!(ok(&nginx, resp.bytes().await).is_empty());
    let (status, reused, body) = get(&nginx, &client, &nginx.http_url("/hello.txt")).await;
    assert_eq!(status, 200);
    assert!(reused, "the connection was not reused after HEAD");
    assert_eq!(body, HELLO_BODY.as_bytes());
}

#[tokio::test]
async fn nginx_204_has_no_body_and_keeps_the_connection() {
    let Some(nginx) = Nginx::start() else { return };
    let client = Client::new();
    let (status, _, body) = get(&nginx, &client, &nginx.http_url("/echo-status/204")).await;
    assert_eq!(status, 204);
    assert!(body.is_empty());
    let (_, reused, _) = get(&nginx, &client, &nginx.http_url("/hello.txt")).await;
    assert!(reused, "the connection was not reused after a 204");
}

#[tokio::test]
async fn nginx_404_error_for_status() {
    let Some(nginx) = Nginx::start() else { return };
    let client = Client::new();
    let url = nginx.http_url("/echo-status/404");
    let resp = ok(&nginx, client.get(&url).send().await);
    assert_eq!(resp.status(), 404);
    assert!(resp.status().is_client_error());
    let err = resp.error_for_status().expect_err("404 is an error");
    assert!(err.is_status(), "{err:?}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(err.url().map(|u| u.path()), Some("/echo-status/404"));
    // The error page itself, read in full.
    let (status, _, body) = get(&nginx, &client, &url).await;
    assert_eq!(status, 404);
    assert!(String::from_utf8_lossy(&body).contains("404 Not Found"));
    let (status, reused, _) = get(&nginx, &client, &nginx.http_url("/hello.txt")).await;
    assert_eq!(status, 200);
    assert!(reused, "the connection was not reused after a read 404");
    // A 200 passes through `error_for_status` untouched.
    let resp = ok(
        &nginx,
        client.get(nginx.http_url("/hello.txt")).send().await,
    );
    let resp = ok(&nginx, resp.error_for_status());
    assert_eq!(ok(&nginx, resp.text().await), HELLO_BODY);
}

#[tokio::test]
async fn nginx_500_closes_the_connection() {
    let Some(nginx) = Nginx::start() else { return };
    // Without retries: a 500 is otherwise tried three times.
    let client = Client::builder()
        .retry(brisk::RetryPolicy::none())
        .build()
        .unwrap();
    let (status, _, body) = get(&nginx, &client, &nginx.http_url("/echo-status/500")).await;
    assert_eq!(status, 500);
    assert!(String::from_utf8_lossy(&body).contains("500"));
    let (status, reused, _) = get(&nginx, &client, &nginx.http_url("/hello.txt")).await;
    assert_eq!(status, 200);
    assert!(!reused);
    assert_eq!(client.stats().closed.not_reusable, 1);
}

#[tokio::test]
async fn nginx_post_to_static_file_is_405_and_the_connection_stays_usable() {
    let Some(nginx) = Nginx::start() else { return };
    let client = Client::new();
    let url = nginx.http_url("/hello.txt");
    // A small body (written with the head) and one larger than brisk's
    // inline limit (written after it).
    for size in [9, 200 * 1024] {
        let body = vec![b'x'; size];
        let resp = ok(&nginx, client.post(&url).body(body).send().await);
        assert_eq!(resp.status(), 405, "POST of {size} bytes");
        assert_eq!(resp.reason(), b"Not Allowed");
        let keep_alive = !resp.headers().has_token("connection", "close");
        let text = ok(&nginx, resp.text().await);
        assert!(text.contains("405"), "{text}");
        let (status, reused, body) = get(&nginx, &client, &url).await;
        assert_eq!(status, 200, "GET after a POST of {size} bytes");
        assert_eq!(body, HELLO_BODY.as_bytes());
        if keep_alive {
            assert!(
                reused,
                "nginx kept the connection after the 405 of a POST of {size} bytes, brisk did not"
            );
        }
    }
    let stats = client.stats();
    assert_eq!(stats.closed.error, 0, "{stats:?}");
}

#[tokio::test]
async fn nginx_custom_method_and_headers() {
    let Some(nginx) = Nginx::start() else { return };
    let client = Client::new();
    // nginx serves static files for GET and HEAD only.
    let resp = ok(
        &nginx,
        client
            .request("DELETE", nginx.http_url("/hello.txt"))
            .header("X-Test", "1")
            .send()
            .await,
    );
    assert_eq!(resp.status(), 405);
    drop(ok(&nginx, resp.bytes().await));
    // A conditional GET nginx understands: If-None-Match with its ETag.
    let resp = ok(
        &nginx,
        client.get(nginx.http_url("/hello.txt")).send().await,
    );
    let etag = resp
        .headers()
        .get("etag")
        .expect("nginx sends an ETag")
        .to_str()
        .unwrap()
        .to_string();
    drop(ok(&nginx, resp.bytes().await));
    let resp = ok(
        &nginx,
        client
            .get(nginx.http_url("/hello.txt"))
            .header("If-None-Match", etag)
            .send()
            .await,
    );
    assert_eq!(resp.status(), 304);
    assert!(resp.reused());
    assert!(ok(&nginx, resp.bytes().await).is_empty());
    let (_, reused, _) = get(&nginx, &client, &nginx.http_url("/hello.txt")).await;
    assert!(reused, "the connection was not reused after a 304");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_many_concurrent_requests_within_the_pool_limit() {
    let Some(nginx) = Nginx::start() else { return };
    let client = ok(&nginx, Client::builder().pool_max_per_host(20).build());
    let paths = [
        "/hello.txt",
        "/chunked.txt",
        "/redirect",
        "/echo-status/204",
    ];
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..200 {
        let client = client.clone();
        let path = paths[i % paths.len()];
        let url = nginx.http_url(path);
        tasks.spawn(async move {
            let resp = client.get(&url).send().await?;
            let status = resp.status().as_u16();
            let body = resp.bytes().await?;
            Ok::<_, brisk::Error>((path, status, body))
        });
    }
    let mut done = 0;
    while let Some(joined) = tasks.join_next().await {
        let (path, status, body) = ok(&nginx, joined.expect("task panicked"));
        let expected: (u16, &[u8]) = match path {
            "/chunked.txt" => (200, CHUNKED_BODY.as_bytes()),
            "/echo-status/204" => (204, b""),
            _ => (200, HELLO_BODY.as_bytes()),
        };
        assert_eq!((status, &body[..]), expected, "{path}");
        done += 1;
    }
    assert_eq!(done, 200);
    let stats = client.stats();
    assert!(stats.connections_opened <= 20, "{stats:?}");
    assert_eq!(
        stats.requests_sent, 250,
        "200 requests + 50 redirects: {stats:?}"
    );
    assert_eq!(stats.closed.error, 0, "{stats:?}");
}

// TLS: the test CA is trusted, the built-in roots are not.

#[cfg(feature = "tls")]
use brisk::{Phase, TlsFailure};

/// A client trusting only the test CA.
#[cfg(feature = "tls")]
fn tls_client(nginx: &Nginx) -> Client {
    let pem = std::fs::read(&nginx.certs.ca_cert).expect("reading the test CA");
    let ca = ok(nginx, brisk::Certificate::from_pem(&pem));
    ok(
        nginx,
        Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(ca)
            .build(),
    )
}

#[cfg(feature = "tls")]
#[tokio::test]
async fn nginx_tls_get_and_keep_alive() {
    let Some(nginx) = Nginx::start() else { return };
    let client = tls_client(&nginx);
    let url = nginx.https_url("/hello.txt");
    let resp = ok(&nginx, client.get(&url).send().await);
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), Version::Http11);
    assert!(!resp.reused());
    let t = resp.timings();
    assert!(t.tls > std::time::Duration::ZERO, "{t:?}");
    assert!(t.ttfb >= t.tls, "{t:?}");
    assert_eq!(resp.remote_addr().unwrap().port(), nginx.https_port);
    assert_eq!(ok(&nginx, resp.text().await), HELLO_BODY);

    let resp = ok(&nginx, client.get(&url).send().await);
    assert!(resp.reused(), "TLS connection not reused");
    assert_eq!(resp.timings().tls, std::time::Duration::ZERO);
    assert_eq!(ok(&nginx, resp.text().await), HELLO_BODY);
    let stats = client.stats();
    assert_eq!(stats.connections_opened, 1, "{stats:?}");
}

#[cfg(feature = "tls")]
#[tokio::test]
async fn nginx_tls_big_bodies() {
    let Some(nginx) = Nginx::start() else { return };
    let client = tls_client(&nginx);
    for path in ["/big.bin", "/big-chunked.bin"] {
        let (status, _, body) = get(&nginx, &client, &nginx.https_url(path)).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            body == big_body(),
            "{path}: body differs (len {})",
            body.len()
        );
    }
    let (_, reused, body) = get(&nginx, &client, &nginx.https_url("/chunked.txt")).await;
    assert!(reused);
    assert_eq!(body, CHUNKED_BODY.as_bytes());
    assert_eq!(client.stats().connections_opened, 1);
}

#[cfg(feature = "tls")]
#[tokio::test]
async fn nginx_tls_ip_address_san() {
    let Some(nginx) = Nginx::start() else { return };
    let client = tls_client(&nginx);
    let url = format!("https://127.0.0.1:{}/hello.txt", nginx.https_port);
    let (status, _, body) = get(&nginx, &client, &url).await;
    assert_eq!(status, 200);
    assert_eq!(body, HELLO_BODY.as_bytes());
    let (_, reused, _) = get(&nginx, &client, &url).await;
    assert!(reused);
}

#[cfg(feature = "tls")]
#[tokio::test]
async fn nginx_tls_redirect_close_and_post() {
    let Some(nginx) = Nginx::start() else { return };
    let client = tls_client(&nginx);
    let resp = ok(
        &nginx,
        client.get(nginx.https_url("/redirect")).send().await,
    );
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.url().path(), "/hello.txt");
    assert_eq!(resp.url().scheme(), brisk::Scheme::Https);
    assert_eq!(ok(&nginx, resp.text().await), HELLO_BODY);

    let (status, _, body) = get(&nginx, &client, &nginx.https_url("/close")).await;
    assert_eq!(status, 200);
    assert_eq!(body, CLOSE_BODY.as_bytes());
    let (_, reused, _) = get(&nginx, &client, &nginx.https_url("/hello.txt")).await;
    assert!(!reused);

    let resp = ok(
        &nginx,
        client
            .post(nginx.https_url("/hello.txt"))
            .body(vec![b'y'; 100 * 1024])
            .send()
            .await,
    );
    assert_eq!(resp.status(), 405);
    drop(ok(&nginx, resp.bytes().await));
    let (status, _, _) = get(&nginx, &client, &nginx.https_url("/hello.txt")).await;
    assert_eq!(status, 200);
    let stats = client.stats();
    // A connection is opened after each one that could not carry the next
    // request: the `/close` answer's, and the POST's if nginx answered 405
    // while the body was still going out (the upload is then cut short),
    // which depends on the machine's timing. Nothing failed either way.
    assert_eq!(
        stats.connections_opened,
        1 + stats.closed.not_reusable,
        "{stats:?}"
    );
    assert!((1..=2).contains(&stats.closed.not_reusable), "{stats:?}");
    assert_eq!(stats.closed.error, 0, "{stats:?}");
}

/// Sends a GET to `url` with `client` and returns the TLS error.
#[cfg(feature = "tls")]
async fn tls_error(nginx: &Nginx, client: &Client, url: &str) -> brisk::Error {
    match client.get(url).send().await {
        Ok(resp) => panic!("{url}: expected a TLS error, got {}", resp.status()),
        Err(e) => {
            assert!(e.is_tls(), "{url}: {e}\n{e:?}\n{}", nginx.error_log());
            assert_eq!(e.phase(), Some(Phase::Tls), "{url}: {e:?}");
            assert!(!e.is_timeout() && !e.is_connect(), "{url}: {e:?}");
            e
        }
    }
}

#[cfg(feature = "tls")]
#[tokio::test]
async fn nginx_tls_expired_certificate() {
    let Some(nginx) = Nginx::start() else { return };
    let client = tls_client(&nginx);
    let url = format!("https://localhost:{}/hello.txt", nginx.expired_port);
    let e = tls_error(&nginx, &client, &url).await;
    assert_eq!(e.tls_failure(), Some(TlsFailure::Expired), "{e:?}");
    assert_eq!(client.stats().requests_sent, 0);
}

#[cfg(feature = "tls")]
#[tokio::test]
async fn nginx_tls_wrong_host_certificate() {
    let Some(nginx) = Nginx::start() else { return };
    let client = tls_client(&nginx);
    let url = format!("https://localhost:{}/hello.txt", nginx.wrong_host_port);
    let e = tls_error(&nginx, &client, &url).await;
    assert_eq!(e.tls_failure(), Some(TlsFailure::NotValidForName), "{e:?}");
}

#[cfg(feature = "tls")]
#[tokio::test]
async fn nginx_tls_unknown_ca_certificate() {
    let Some(nginx) = Nginx::start() else { return };
    let client = tls_client(&nginx);
    let url = format!("https://localhost:{}/hello.txt", nginx.unknown_ca_port);
    let e = tls_error(&nginx, &client, &url).await;
    assert_eq!(e.tls_failure(), Some(TlsFailure::UnknownIssuer), "{e:?}");
}

#[cfg(feature = "tls")]
#[tokio::test]
async fn nginx_tls_built_in_roots_do_not_trust_the_test_ca() {
    let Some(nginx) = Nginx::start() else { return };
    let client = Client::new();
    let e = tls_error(&nginx, &client, &nginx.https_url("/hello.txt")).await;
    assert_eq!(e.tls_failure(), Some(TlsFailure::UnknownIssuer), "{e:?}");
    // The failed handshake left nothing behind; a client that trusts
    // the CA succeeds on the same server.
    assert_eq!(client.stats().idle_connections, 0);
    let (status, _, _) = get(&nginx, &tls_client(&nginx), &nginx.https_url("/hello.txt")).await;
    assert_eq!(status, 200);
}

#[cfg(feature = "tls")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_tls_many_concurrent_requests() {
    let Some(nginx) = Nginx::start() else { return };
    let pem = std::fs::read(&nginx.certs.ca_cert).expect("reading the test CA");
    let client = ok(
        &nginx,
        Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(ok(&nginx, brisk::Certificate::from_pem(&pem)))
            .pool_max_per_host(10)
            .build(),
    );
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..100 {
        let client = client.clone();
        let url = nginx.https_url(if i % 2 == 0 {
            "/hello.txt"
        } else {
            "/chunked.txt"
        });
        tasks.spawn(async move { client.get(&url).send().await?.text().await });
    }
    while let Some(joined) = tasks.join_next().await {
        let body = ok(&nginx, joined.expect("task panicked"));
        assert!(body == HELLO_BODY || body == CHUNKED_BODY, "{body:?}");
    }
    let stats = client.stats();
    assert!(stats.connections_opened <= 10, "{stats:?}");
    assert_eq!(stats.requests_sent, 100, "{stats:?}");
}

#[cfg(feature = "tls")]
#[tokio::test]
async fn nginx_tls_redirect_to_http_is_refused_unless_allowed() {
    let Some(nginx) = Nginx::start() else { return };
    let err = match tls_client(&nginx)
        .get(nginx.https_url("/to-http"))
        .send()
        .await
    {
        Ok(resp) => panic!("downgrade followed to {}", resp.url()),
        Err(e) => e,
    };
    assert!(err.is_redirect(), "{err}");
    let pem = std::fs::read(&nginx.certs.ca_cert).expect("reading the test CA");
    let allowing = Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(ok(&nginx, brisk::Certificate::from_pem(&pem)))
        .redirect(brisk::RedirectPolicy::default().allow_https_to_http(true))
        .build()
        .unwrap();
    let resp = ok(
        &nginx,
        allowing.get(nginx.https_url("/to-http")).send().await,
    );
    assert_eq!(resp.url().scheme(), brisk::Scheme::Http);
    assert_eq!(ok(&nginx, resp.text().await), HELLO_BODY);
}

#[cfg(all(feature = "compression", feature = "tls"))]
#[tokio::test]
async fn nginx_gzip_on_the_fly_is_decoded_and_the_connection_reused() {
    use support::nginx::json_body;
    let Some(nginx) = Nginx::start() else { return };
    let client = Client::new();
    for path in ["/gz/data.json", "/gz/big.bin"] {
        let resp = ok(&nginx, client.get(nginx.http_url(path)).send().await);
        assert_eq!(resp.status(), 200);
        // nginx compressed it (chunked: the size is not known up front).
        assert_eq!(resp.wire_headers()["content-encoding"], "gzip", "{path}");
        assert_eq!(resp.headers().get("content-encoding"), None, "{path}");
        let body = ok(&nginx, resp.bytes().await);
        let expected = if path.ends_with(".json") {
            json_body()
        } else {
            big_body()
        };
        assert!(
            body == expected,
            "{path}: decoded body differs (len {})",
            body.len()
        );
    }
    // Streamed in small reads, over TLS too.
    let client = tls_client(&nginx);
    let mut resp = ok(
        &nginx,
        client.get(nginx.https_url("/gz/data.json")).send().await,
    );
    let mut body = Vec::new();
    let mut buf = [0; 1000];
    loop {
        let n = ok(&nginx, resp.read(&mut buf).await);
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    assert!(body == json_body());
    let (_, reused, _) = get(&nginx, &client, &nginx.https_url("/gz/data.json")).await;
    assert!(
        reused,
        "a decoded body read to its end returns its connection"
    );
    // Asked for nothing, nginx sends it plain.
    let resp = ok(
        &nginx,
        client
            .get(nginx.https_url("/gz/data.json"))
            .decompress(false)
            .send()
            .await,
    );
    assert_eq!(resp.headers().get("content-encoding"), None);
    assert!(ok(&nginx, resp.bytes().await) == json_body());
}

#[cfg(feature = "compression")]
#[tokio::test]
async fn nginx_gzip_static_serves_the_gz_file_decoded() {
    let Some(nginx) = Nginx::start() else { return };
    let client = Client::new();
    let resp = ok(
        &nginx,
        client.get(nginx.http_url("/static/data.json")).send().await,
    );
    assert_eq!(resp.wire_headers()["content-encoding"], "gzip");
    // The .gz file's own length on the wire; none once decoded.
    assert!(resp.wire_headers().get("content-length").is_some());
    assert_eq!(resp.content_length(), None);
    let value: serde_json::Value = ok(&nginx, resp.json().await);
    assert_eq!(value["data"][3999]["index"], 3999);
    // Without Accept-Encoding, the plain file.
    let resp = ok(
        &nginx,
        client
            .get(nginx.http_url("/static/data.json"))
            .decompress(false)
            .send()
            .await,
    );
    assert_eq!(
        ok(&nginx, resp.text().await),
        r#"{"served":"the plain file"}"#
    );
}
