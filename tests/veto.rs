//! The retry policy's veto (`RetryPolicy::never_retry_if`) against hostile
//! servers, over real sockets: the body read ahead for it is handed over
//! exactly, a retry after a partly read body takes a fresh connection, the
//! read-ahead is bounded by the deadline and its own wait, and there is no
//! read-ahead when no retry is possible.

mod support;

use brisk::{Client, RetryPolicy};
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
