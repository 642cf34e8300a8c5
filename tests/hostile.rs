//! Hostile servers and callers from an adversarial review, over real
//! sockets: the retry veto's read-ahead (exact bodies, fresh connections,
//! bounded waits, no read-ahead when no retry is possible), sized bodies
//! that overrun, a chat error answer that never ends, a caller's stalled
//! body stream (not the host's failure), and hostile NO_PROXY entries.
//! Four of these failed before their fixes.

mod support;

use brisk::{Body, Client, RetryPolicy};
use std::time::{Duration, Instant};
use support::server::{ok, read_request, serve_each, Scripted};
use tokio::io::AsyncWriteExt;

/// A 503 whose chunked body (100 KB, past the veto's 64 KiB read-ahead)
/// arrives in pieces; the veto keeps it. The caller must get exactly the
/// body the server sent, and the connection must serve the next request.
#[tokio::test]
async fn veto_read_ahead_hands_over_the_exact_chunked_body() {
    let body: Vec<u8> = (0..100_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let b2 = body.clone();
    let server = Scripted::start(move |mut stream, _| {
        let body = b2.clone();
        async move {
            let mut pending = Vec::new();
            let Some(_) = read_request(&mut stream, &mut pending).await else {
                return;
            };
            let _ = stream
                .write_all(b"HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\nretry-after-ms: 1\r\n\r\n")
                .await;
            for piece in body.chunks(7_001) {
                let _ = stream
                    .write_all(format!("{:x}\r\n", piece.len()).as_bytes())
                    .await;
                let _ = stream.write_all(piece).await;
                let _ = stream.write_all(b"\r\n").await;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let _ = stream.write_all(b"0\r\n\r\n").await;
            serve_each(stream, |_| ok("second")).await;
        }
    })
    .await;
    let client = Client::new();
    let policy = RetryPolicy::default().never_retry_if(|_, _, _| true);
    let resp = client
        .get(server.url("/"))
        .retry(policy)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 503);
    let got = resp.bytes().await.unwrap();
    assert_eq!(got.len(), body.len());
    assert!(got == body, "body bytes differ");
    let resp = client.get(server.url("/")).send().await.unwrap();
    assert_eq!(resp.text().await.unwrap(), "second");
    assert_eq!(server.accepted(), 1);
}

/// The veto says "retry" while the 503's body is only partly read (a
/// Content-Length far past what arrives): the retry must go on a fresh
/// connection, never on the one with body bytes still owed.
#[tokio::test]
async fn veto_retry_on_a_partial_body_uses_a_fresh_connection() {
    let server = Scripted::start(|mut stream, n| async move {
        let mut pending = Vec::new();
        if n == 0 {
            let Some(_) = read_request(&mut stream, &mut pending).await else {
                return;
            };
            let _ = stream
                .write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 300000\r\nretry-after-ms: 1\r\n\r\n")
                .await;
            let _ = stream.write_all(&vec![b'x'; 100_000]).await;
            // The rest never comes; then a 200 that a reused connection
            // would mistake for the answer to the retry.
            tokio::time::sleep(Duration::from_millis(1500)).await;
            let _ = stream.write_all(&vec![b'y'; 200_000]).await;
            let _ = stream.write_all(&ok("stale")).await;
            tokio::time::sleep(Duration::from_secs(5)).await;
        } else {
            serve_each(stream, |_| ok("fine")).await;
        }
    })
    .await;
    let client = Client::new();
    let policy = RetryPolicy::default().never_retry_if(|_, _, _| false);
    let t = Instant::now();
    let resp = client
        .get(server.url("/"))
        .retry(policy)
        .timeout(Duration::from_secs(4))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.text().await.unwrap(), "fine");
    assert_eq!(server.accepted(), 2);
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
}

/// A 503 whose body never comes, under a total deadline shorter than the
/// veto's 1 s read-ahead wait: send() must not outlive the deadline.
#[tokio::test]
async fn veto_read_ahead_respects_a_short_total_deadline() {
    let server = Scripted::start(|mut stream, _| async move {
        let mut pending = Vec::new();
        if read_request(&mut stream, &mut pending).await.is_some() {
            let _ = stream
                .write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 100\r\n\r\n")
                .await;
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    })
    .await;
    let client = Client::new();
    let policy = RetryPolicy::default().never_retry_if(|_, _, _| true);
    let t = Instant::now();
    let r = client
        .get(server.url("/"))
        .retry(policy)
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    let took = t.elapsed();
    assert!(took < Duration::from_millis(800), "{took:?} {r:?}");
}

/// A body that drips one byte every 50 ms forever: the veto's read-ahead
/// is bounded by its 1 s wait, not by the drip.
#[tokio::test]
async fn veto_read_ahead_of_a_dripping_body_is_bounded() {
    let server = Scripted::start(|mut stream, _| async move {
        let mut pending = Vec::new();
        if read_request(&mut stream, &mut pending).await.is_some() {
            let _ = stream
                .write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 100000\r\n\r\n")
                .await;
            for _ in 0..200 {
                if stream.write_all(b"z").await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    })
    .await;
    let client = Client::new();
    let policy = RetryPolicy::default().never_retry_if(|_, _, _| true);
    let t = Instant::now();
    let resp = client
        .get(server.url("/"))
        .retry(policy)
        .send()
        .await
        .unwrap();
    assert!(
        t.elapsed() < Duration::from_millis(1600),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(resp.status().as_u16(), 503);
}

/// A sized body whose reader is short: the request fails as a body
/// error, and the next request does not reuse the connection.
#[tokio::test]
async fn a_short_sized_body_fails_and_its_connection_is_not_reused() {
    let server = Scripted::start(|stream, _| async move {
        serve_each(stream, |_| ok("fine")).await;
    })
    .await;
    let client = Client::new();
    let err = client
        .put(server.url("/"))
        .body(Body::sized(&b"12345"[..], 10))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_body(), "{err:?}");
    let resp = client.get(server.url("/")).send().await.unwrap();
    assert_eq!(resp.text().await.unwrap(), "fine");
    assert_eq!(server.accepted(), 2);
}

/// A sized body whose reader has more than its declared length: brisk
/// reports a body error, but by then it has already written the whole
/// declared length, so the server holds a complete, valid request (a
/// truncated upload it will store) while the caller is told it failed.
/// The overrun should be found before the last declared byte goes out,
/// so that the server sees an incomplete request and drops it.
#[tokio::test]
async fn an_overlong_sized_body_never_reaches_the_server_as_a_complete_request() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let server = Scripted::start(move |mut stream, _| {
        let tx = tx.clone();
        async move {
            let mut pending = Vec::new();
            if let Some(req) = read_request(&mut stream, &mut pending).await {
                let _ = tx.send(req.body.clone());
                let _ = stream.write_all(&ok("stored")).await;
            }
        }
    })
    .await;
    let client = Client::new();
    let err = client
        .put(server.url("/object"))
        .body(Body::sized(&b"0123456789ABCDE"[..], 10))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_body(), "{err:?}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The caller was told the upload failed: the server must not have a
    // complete request to act on.
    assert_eq!(
        rx.try_recv().ok(),
        None,
        "server received a complete request"
    );
}

/// `Chat::stream` answered by an error status whose body never ends (a
/// gateway streaming an error page, or a hostile server): the error body
/// is read with `Response::bytes`, with no byte cap (the default client
/// has no `max_body_bytes`) and no total deadline (a stream only has a
/// read budget), so the call neither returns nor stops growing. The
/// non-streaming path's `ChatStream` reads at most 64 KiB of an error
/// body; this one should too.
#[cfg(feature = "json")]
#[tokio::test]
async fn chat_stream_error_status_with_an_endless_body_returns() {
    use brisk::chat::{Chat, ChatOptions, Provider};
    let server = Scripted::start(|mut stream, _| async move {
        let mut pending = Vec::new();
        if read_request(&mut stream, &mut pending).await.is_some() {
            let _ = stream
                .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n")
                .await;
            let piece = format!("400\r\n{}\r\n", "e".repeat(0x400));
            // 1 KiB every 5 ms, for up to ~50 s.
            for _ in 0..10_000 {
                if stream.write_all(piece.as_bytes()).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    })
    .await;
    let chat = Chat::builder(Provider::Custom(server.url("/v1")))
        .model("m")
        .api_key("sk-test")
        .timeout(Duration::from_secs(1))
        .build();
    let t = Instant::now();
    let r = tokio::time::timeout(
        Duration::from_secs(6),
        chat.stream("hi", ChatOptions::default()),
    )
    .await;
    assert!(
        r.is_ok(),
        "Chat::stream still reading an endless error body after {:?}",
        t.elapsed()
    );
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

/// A caller's body stream that stalls past the write budget is the
/// caller's failure (the server did nothing wrong), yet it is reported as
/// a write timeout and counted against the host by the circuit breaker:
/// two stalled local readers open the circuit for a healthy server.
#[tokio::test]
async fn a_stalled_request_body_stream_does_not_open_the_hosts_circuit() {
    let server = Scripted::start(|stream, _| async move {
        serve_each(stream, |_| ok("fine")).await;
    })
    .await;
    let client = Client::builder()
        .timeouts(brisk::Timeouts {
            write: Some(Duration::from_millis(200)),
            ..brisk::Timeouts::default()
        })
        .circuit_breaker(brisk::CircuitBreaker::default().consecutive_failures(2))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    for _ in 0..2 {
        // A reader that never yields (a pipe whose writer went quiet).
        let (_keep, reader) = tokio::io::duplex(64);
        let err = client
            .post(server.url("/upload"))
            .body(Body::from_reader(reader))
            .send()
            .await
            .unwrap_err();
        // (It comes back as `Timeout { total: false }` in `Phase::Write`,
        // `is_body()` false: the caller cannot tell it from a slow server.)
        assert!(err.is_timeout() || err.is_body(), "{err:?}");
    }
    let resp = client.get(server.url("/")).send().await;
    assert!(
        resp.is_ok(),
        "a healthy host is refused after local body stalls: {:?}",
        resp.err()
    );
}

/// A POST is never retried by the default policy, yet a 503 to it still
/// has its body read ahead for the veto: a body that does not come holds
/// the head back for the full 1 s read-ahead wait, for nothing.
#[tokio::test]
async fn no_read_ahead_when_no_retry_is_possible() {
    let server = Scripted::start(|mut stream, _| async move {
        let mut pending = Vec::new();
        if read_request(&mut stream, &mut pending).await.is_some() {
            let _ = stream
                .write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 100\r\n\r\n")
                .await;
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    })
    .await;
    let client = Client::new();
    let policy = RetryPolicy::default().never_retry_if(|_, _, _| true);
    let t = Instant::now();
    let resp = client
        .post(server.url("/"))
        .body("x")
        .retry(policy)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 503);
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "{:?}",
        t.elapsed()
    );
}
