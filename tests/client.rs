//! The client against scripted loopback servers: the exact bytes it sends,
//! what it does with exact bytes it receives, and when it reuses a
//! connection.

mod support;

use brisk::{Body, Client, RedirectPolicy};
use std::time::Duration;
use support::server::{
    ok, open_fds, read_request, recording, redirecting_to, serve_each, Scripted,
};
use tokio::io::AsyncWriteExt;

const UA: &str = concat!("brisk/", env!("CARGO_PKG_VERSION"));
/// The line brisk adds when it can decode compressed answers.
#[cfg(feature = "compression")]
const AE: &str = "Accept-Encoding: gzip, deflate\r\n";
#[cfg(not(feature = "compression"))]
const AE: &str = "";

#[tokio::test]
async fn get_sends_exactly_these_bytes() {
    let (server, mut seen) = recording("hi").await;
    let client = Client::new();
    let resp = client
        .get(server.url("/a b/é?x=1"))
        .query(&[("q", "a b&c")])
        .send()
        .await;
    // A space in a URL is refused, not sent.
    assert!(resp.unwrap_err().is_builder());
    let resp = client
        .get(server.url("/a%20b/é?x=1"))
        .query(&[("q", "a b&c")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "hi");
    let req = seen.recv().await.unwrap();
    assert_eq!(
        req.head,
        format!(
            "GET /a%20b/%C3%A9?x=1&q=a+b%26c HTTP/1.1\r\nHost: {}\r\nUser-Agent: {UA}\r\nAccept: */*\r\n\
             {AE}\r\n",
            server.addr
        )
    );
}

#[tokio::test]
async fn bodies_auth_and_headers_are_framed_once() {
    let (server, mut seen) = recording("").await;
    let client = Client::builder()
        .default_header("X-Default", "d")
        .user_agent("test-agent")
        .build()
        .unwrap();
    client
        .post(server.url("/form"))
        .basic_auth("aladdin", Some("open sesame"))
        .form(&[("k", "v w"), ("x", "&")])
        .send()
        .await
        .unwrap();
    let req = seen.recv().await.unwrap();
    assert_eq!(
        req.head,
        format!(
            "POST /form HTTP/1.1\r\nHost: {}\r\nUser-Agent: test-agent\r\nAccept: */*\r\nX-Default: d\r\n\
             {AE}Authorization: Basic YWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\n",
            server.addr
        )
    );
    assert_eq!(req.body, b"k=v+w&x=%26");

    client
        .put(server.url("/"))
        .bearer_auth("tok")
        .header("user-agent", "mine")
        .body("data")
        .send()
        .await
        .unwrap();
    let req = seen.recv().await.unwrap();
    assert!(req.head.starts_with("PUT / HTTP/1.1\r\n"));
    assert_eq!(req.header("authorization"), Some("Bearer tok"));
    assert_eq!(req.header("user-agent"), Some("mine"));
    assert_eq!(
        req.head.matches("ser-Agent").count() + req.head.matches("ser-agent").count(),
        1
    );
    assert_eq!(req.body, b"data");

    // An empty POST still says Content-Length: 0.
    client.post(server.url("/")).body("").send().await.unwrap();
    assert_eq!(
        seen.recv().await.unwrap().header("content-length"),
        Some("0")
    );

    // Userinfo becomes Basic auth and never appears in the target.
    let with_user = server.url("/").replace("http://", "http://u%40x:p@");
    client.get(with_user).send().await.unwrap();
    let req = seen.recv().await.unwrap();
    assert!(req.head.starts_with("GET / HTTP/1.1\r\n"));
    assert_eq!(req.header("authorization"), Some("Basic dUB4OnA="));
}

#[cfg(feature = "json")]
#[tokio::test]
async fn json_round_trip() {
    let server = Scripted::start(|stream, _| async move {
        serve_each(stream, |req| {
            assert_eq!(req.header("content-type"), Some("application/json"));
            let body = String::from_utf8(req.body.clone()).unwrap();
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len())
                .into_bytes()
        })
        .await
    })
    .await;
    let v = serde_json::json!({"model": "m", "messages": [{"role": "user", "content": "hé"}]});
    let back = Client::new()
        .post(server.url("/"))
        .json(&v)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(back, v);
}

#[tokio::test]
async fn streamed_bodies_are_chunked() {
    let (server, mut seen) = recording("").await;
    let data: Vec<u8> = (0..40_000u32).map(|i| (i % 251) as u8).collect();
    let reader = std::io::Cursor::new(data.clone());
    Client::new()
        .post(server.url("/up"))
        .body(Body::from_reader(reader))
        .send()
        .await
        .unwrap();
    let req = seen.recv().await.unwrap();
    assert_eq!(req.header("transfer-encoding"), Some("chunked"));
    assert_eq!(req.header("content-length"), None);
    assert_eq!(req.body, data);
    assert!(req.raw_body.ends_with(b"\r\n0\r\n\r\n"));
}

#[tokio::test]
async fn injection_is_refused_before_connecting() {
    let (server, _seen) = recording("").await;
    let client = Client::new();
    for (name, value) in [
        ("X", "a\r\nInjected: 1"),
        ("X", "a\nb"),
        ("X", "a\0"),
        ("X\r\nY", "v"),
        ("Bad Name", "v"),
    ] {
        let err = client
            .get(server.url("/"))
            .header(name, value)
            .send()
            .await
            .unwrap_err();
        assert!(err.is_builder(), "{name:?}: {err}");
    }
    let err = client
        .request("GE\r\nT", server.url("/"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_builder());
    for bad in [
        "http://h/a b",
        "http://h:99999/",
        "ftp://h/",
        "http://bücher.de/",
        "http://h/\r\nX: y",
    ] {
        let err = client.get(bad).send().await.unwrap_err();
        assert!(err.is_builder(), "{bad}: {err}");
    }
    assert_eq!(server.accepted(), 0);
}

#[tokio::test]
async fn keep_alive_reuses_one_connection() {
    let (server, _seen) = recording("hello").await;
    let client = Client::new();
    for i in 0..5 {
        let resp = client.get(server.url("/")).send().await.unwrap();
        assert_eq!(resp.reused(), i > 0);
        assert_eq!(resp.bytes().await.unwrap(), b"hello");
    }
    let stats = client.stats();
    assert_eq!(stats.connections_opened, 1);
    assert_eq!(stats.requests_sent, 5);
    assert_eq!(stats.requests_reused, 4);
    assert_eq!(stats.idle_connections, 1);
    assert!((stats.reuse_ratio() - 0.8).abs() < 1e-9);
    assert_eq!(server.accepted(), 1);
}

/// Runs two requests against a server answering the first with `first`;
/// returns whether the second reused the connection.
async fn reused_after(first: &'static [u8], read_body: bool) -> (bool, brisk::ClientStats) {
    let server = Scripted::start(move |mut stream, n| async move {
        let mut pending = Vec::new();
        let Some(_) = read_request(&mut stream, &mut pending).await else {
            return;
        };
        if n == 0 {
            let _ = stream.write_all(first).await;
            // Hold the connection open: only the client decides.
            if read_request(&mut stream, &mut pending).await.is_some() {
                let _ = stream.write_all(&ok("second")).await;
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        } else {
            let _ = stream.write_all(&ok("second")).await;
            serve_each(stream, |_| ok("more")).await;
        }
    })
    .await;
    let client = Client::new();
    if let Ok(resp) = client.get(server.url("/")).send().await {
        if read_body {
            let _ = resp.bytes().await;
        }
    }
    let second = client.get(server.url("/")).send().await.unwrap();
    let reused = second.reused();
    assert_eq!(second.text().await.unwrap(), "second");
    (reused, client.stats())
}

#[tokio::test]
async fn connections_are_reused_only_when_safe() {
    let (reused, _) = reused_after(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true).await;
    assert!(reused, "a complete keep-alive response");
    let (reused, stats) = reused_after(
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
        true,
    )
    .await;
    assert!(!reused, "Connection: close");
    assert_eq!(stats.closed.not_reusable, 1);
    let (reused, _) = reused_after(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", true).await;
    assert!(!reused, "HTTP/1.0 without keep-alive");
    let (reused, _) = reused_after(
        b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
        true,
    )
    .await;
    assert!(reused, "HTTP/1.0 with keep-alive");
    let (reused, stats) =
        reused_after(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\npart", false).await;
    assert!(!reused, "a response dropped before its end");
    assert_eq!(stats.closed.abandoned, 1);
    let (reused, _) =
        reused_after(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfull", false).await;
    assert!(reused, "a dropped response whose body had fully arrived");
    let (reused, stats) = reused_after(
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
        true,
    )
    .await;
    assert!(!reused, "an invalid response");
    assert_eq!(stats.closed.error, 1);
    let (reused, _) =
        reused_after(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA", true).await;
    assert!(!reused, "bytes past the end of the response");
    let (reused, _) = reused_after(b"HTTP/1.1 204 No Content\r\n\r\n", false).await;
    assert!(reused, "a body-less response needs no reading");
}

#[tokio::test]
async fn protocol_errors_are_typed() {
    for (bytes, expect) in [
        (
            &b"HTTP/1.1 200 OK\nContent-Length: 0\n\n"[..],
            brisk::h1::ParseError::InvalidLineEnding,
        ),
        (
            b"\x16\x03\x03\x00\x02",
            brisk::h1::ParseError::InvalidVersion,
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab",
            brisk::h1::ParseError::IncompleteMessage,
        ),
        (b"", brisk::h1::ParseError::EmptyResponse),
    ] {
        let server = Scripted::start(move |mut stream, _| async move {
            let mut pending = Vec::new();
            read_request(&mut stream, &mut pending).await;
            let _ = stream.write_all(bytes).await;
        })
        .await;
        let result = async {
            Client::new()
                .get(server.url("/"))
                .send()
                .await?
                .bytes()
                .await
        }
        .await;
        let err = result.unwrap_err();
        assert!(err.is_protocol(), "{err}");
        assert_eq!(err.parse_error(), Some(expect), "{err}");
        assert!(err.url().is_some());
    }
}

#[tokio::test]
async fn a_server_closing_idle_connections_never_fails_a_request() {
    // Answers one request per connection, then closes without a word.
    let server = Scripted::start(|mut stream, _| async move {
        let mut pending = Vec::new();
        if read_request(&mut stream, &mut pending).await.is_some() {
            let _ = stream.write_all(&ok("once")).await;
        }
    })
    .await;
    let client = Client::new();
    for i in 0..30 {
        let resp = client
            .get(server.url("/"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("request {i}: {e}"));
        assert_eq!(resp.text().await.unwrap(), "once");
        if i % 2 == 0 {
            // Give the FIN time to arrive: the liveness check sees it.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let stats = client.stats();
    assert_eq!(stats.connections_opened, 30);
    assert!(stats.closed.server_closed >= 10, "{stats:?}");
}

#[tokio::test]
async fn keep_alive_timeout_is_honoured() {
    // Promises 1 s of idle keep-alive and in fact keeps connections open:
    // only the header can make the client stop reusing.
    let server = Scripted::start(|stream, _| async move {
        serve_each(stream, |_| {
            b"HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1, max=100\r\nContent-Length: 2\r\n\r\nok"
                .to_vec()
        })
        .await
    })
    .await;
    let client = Client::new();
    support::fetch(&client, server.url("/")).await;
    let quick = client.get(server.url("/")).send().await.unwrap();
    assert!(quick.reused());
    quick.bytes().await.unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    let later = client.get(server.url("/")).send().await.unwrap();
    assert!(
        !later.reused(),
        "reused past the server's keep-alive timeout"
    );
    later.bytes().await.unwrap();
    assert_eq!(client.stats().closed.keep_alive_expired, 1);
}

#[tokio::test]
async fn dropping_requests_at_any_point_leaks_nothing() {
    // Slow in every phase: the head comes after 5 ms, the body in pieces.
    let server = Scripted::start(|stream, _| async move {
        let mut stream = stream;
        let mut pending = Vec::new();
        while read_request(&mut stream, &mut pending).await.is_some() {
            tokio::time::sleep(Duration::from_millis(5)).await;
            if stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc")
                .await
                .is_err()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
            if stream.write_all(b"def").await.is_err() {
                return;
            }
        }
    })
    .await;
    let before = open_fds();
    let client = Client::builder()
        .pool_max_per_host(1)
        .pool_wait_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    for step in 0..60u64 {
        let fut = async {
            let resp = client.get(server.url("/")).send().await?;
            resp.bytes().await
        };
        let _ = tokio::time::timeout(Duration::from_micros(step * 250), fut).await;
    }
    // With one connection allowed, a leaked place would make this wait
    // and fail; a poisoned connection would give a wrong body.
    for _ in 0..3 {
        let body = support::fetch(&client, server.url("/")).await;
        assert_eq!(body, b"abcdef");
    }
    drop(client);
    // Other tests in this process open sockets too: wait for them to
    // settle rather than count theirs.
    let mut after = open_fds();
    for _ in 0..40 {
        if after <= before + 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        after = open_fds();
    }
    assert!(after <= before + 1, "fds before {before}, after {after}");
}

/// Two origins: `from` redirects per the script, `to` records.
#[tokio::test]
async fn redirects_strip_credentials_across_origins() {
    let (target, mut seen) = recording("landed").await;
    let to = target.url("/landed");
    let from = Scripted::start(move |stream, _| {
        let to = to.clone();
        async move {
            serve_each(stream, |req| {
                let path = req.head.split(' ').nth(1).unwrap().to_string();
                let (status, location) = match path.as_str() {
                    "/cross" => (302, to.clone()),
                    "/same" => (302, "/landed".to_string()),
                    "/see-other" => (303, to.clone()),
                    "/temp" => (307, to.clone()),
                    "/perm" => (308, to.clone()),
                    "/loop" => (302, "/loop".to_string()),
                    "/landed" => return ok("same-origin"),
                    _ => return ok("?"),
                };
                format!("HTTP/1.1 {status} R\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n")
                    .into_bytes()
            })
            .await
        }
    })
    .await;
    let client = Client::new();
    let creds = |rb: brisk::RequestBuilder| {
        rb.header("Authorization", "secret")
            .header("Cookie", "c=1")
            .header("Proxy-Authorization", "p")
            .header("X-Keep", "k")
    };
    // Cross-origin: credentials dropped, other headers kept.
    let resp = creds(client.get(from.url("/cross"))).send().await.unwrap();
    assert_eq!(resp.url().to_string(), target.url("/landed"));
    assert_eq!(resp.text().await.unwrap(), "landed");
    let req = seen.recv().await.unwrap();
    for h in ["authorization", "cookie", "proxy-authorization"] {
        assert_eq!(req.header(h), None, "{h} crossed origins");
    }
    assert_eq!(req.header("x-keep"), Some("k"));

    // Same origin: credentials kept (checked by the 'same-origin' answer).
    let resp = creds(client.get(from.url("/same"))).send().await.unwrap();
    assert_eq!(resp.text().await.unwrap(), "same-origin");

    // 303: POST becomes GET without body.
    creds(client.post(from.url("/see-other")))
        .body("payload")
        .header("Content-Type", "text/plain")
        .send()
        .await
        .unwrap();
    let req = seen.recv().await.unwrap();
    assert!(req.head.starts_with("GET /landed "), "{}", req.head);
    assert_eq!(req.header("content-length"), None);
    assert_eq!(req.header("content-type"), None);

    // 307 and 308 keep method and body.
    for path in ["/temp", "/perm"] {
        client
            .post(from.url(path))
            .body("payload")
            .send()
            .await
            .unwrap();
        let req = seen.recv().await.unwrap();
        assert!(
            req.head.starts_with("POST /landed "),
            "{path}: {}",
            req.head
        );
        assert_eq!(req.body, b"payload");
    }
    // ...unless the body cannot be replayed: the 307 itself comes back.
    let resp = client
        .post(from.url("/temp"))
        .body(Body::from_reader(std::io::Cursor::new(b"stream".to_vec())))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 307);

    // Limits.
    let err = client.get(from.url("/loop")).send().await.unwrap_err();
    assert!(err.is_redirect(), "{err}");
    let no_follow = Client::builder()
        .redirect(RedirectPolicy::none())
        .build()
        .unwrap();
    assert_eq!(
        no_follow
            .get(from.url("/cross"))
            .send()
            .await
            .unwrap()
            .status(),
        302
    );
    let three = Client::builder()
        .redirect(RedirectPolicy::limited(3))
        .build()
        .unwrap();
    assert!(three
        .get(from.url("/loop"))
        .send()
        .await
        .unwrap_err()
        .is_redirect());
}

#[tokio::test]
async fn chunked_responses_stream_and_report_timings() {
    let server = Scripted::start(|mut stream, _| async move {
        let mut pending = Vec::new();
        while read_request(&mut stream, &mut pending).await.is_some() {
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
                .await;
            tokio::time::sleep(Duration::from_millis(30)).await;
            let _ = stream
                .write_all(b"6\r\n world\r\n0\r\nTrailer: x\r\n\r\n")
                .await;
        }
    })
    .await;
    let client = Client::new();
    let mut resp = client.get(server.url("/")).send().await.unwrap();
    assert_eq!(resp.content_length(), None);
    assert_eq!(resp.remote_addr(), Some(server.addr));
    // Headers changed in place; the body reads as it was framed.
    resp.headers_mut()
        .insert("x-added", brisk::header::HeaderValue::from_static("1"));
    resp.headers_mut().remove("transfer-encoding");
    assert_eq!(resp.headers()["x-added"], "1");
    assert!(resp.headers().get("transfer-encoding").is_none());
    let mut parts = Vec::new();
    while let Some(chunk) = resp.chunk().await.unwrap() {
        parts.push(chunk);
    }
    assert_eq!(parts.concat(), b"hello world");
    assert!(parts.len() >= 2);
    let t = resp.timings();
    assert!(t.total >= t.ttfb + Duration::from_millis(25), "{t:?}");
    assert!(t.connect > Duration::ZERO);
    // The chunked response ended cleanly: the connection is reused.
    drop(resp);
    assert!(client.get(server.url("/")).send().await.unwrap().reused());
}

#[tokio::test]
async fn error_for_status_carries_the_status() {
    let server = Scripted::start(|stream, _| async move {
        serve_each(stream, |_| {
            b"HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n".to_vec()
        })
        .await
    })
    .await;
    let resp = Client::new().get(server.url("/")).send().await.unwrap();
    assert_eq!(resp.reason(), b"Busy");
    let err = resp.error_for_status().unwrap_err();
    assert!(err.is_status());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(err.url().map(|u| u.path().to_string()), Some("/".into()));
}

#[tokio::test]
async fn hostile_numbers_and_huge_budgets_do_not_panic() {
    let server = Scripted::start(|stream, _| async move {
        serve_each(stream, |_| {
            b"HTTP/1.1 200 OK\r\nKeep-Alive: timeout=18446744073709551615\r\nContent-Length: 2\r\n\r\nok".to_vec()
        })
        .await
    })
    .await;
    let client = Client::builder()
        .timeout(Duration::MAX)
        .read_timeout(Duration::MAX)
        .connect_timeout(Duration::MAX)
        .build()
        .unwrap();
    for _ in 0..2 {
        let body = support::fetch(&client, server.url("/")).await;
        assert_eq!(body, b"ok");
    }
    assert_eq!(client.stats().connections_opened, 1);
}

#[tokio::test]
async fn a_request_asking_to_close_is_not_reused() {
    let (server, _seen) = recording("x").await;
    let client = Client::new();
    let resp = client
        .get(server.url("/"))
        .header("Connection", "close")
        .send()
        .await
        .unwrap();
    resp.bytes().await.unwrap();
    let next = client.get(server.url("/")).send().await.unwrap();
    assert!(!next.reused());
}

#[tokio::test]
async fn default_credentials_do_not_follow_a_redirect_to_another_origin() {
    let (target, mut seen) = recording("landed").await;
    let to = target.url("/landed");
    let from = redirecting_to(to).await;
    let client = Client::builder()
        .default_header("Authorization", "Bearer sk-secret")
        .default_header("X-Team", "t")
        .build()
        .unwrap();
    let resp = client.head(from.url("/")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let req = seen.recv().await.unwrap();
    assert!(
        req.head.starts_with("HEAD /landed "),
        "HEAD stays HEAD: {}",
        req.head
    );
    assert_eq!(req.header("authorization"), None);
    assert_eq!(req.header("x-team"), Some("t"));
}
