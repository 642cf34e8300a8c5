//! `Response::read`: the streaming read into a caller's buffer, over every
//! framing, cut at every size, with the connection reused afterwards, and
//! its failures (a truncated body, a stalled one) as typed errors.

mod support;

use brisk::Client;
use std::time::{Duration, Instant};
use support::server::{read_request, Scripted};
use tokio::io::AsyncWriteExt;

/// 200,000 bytes that show where each one came from.
fn pattern() -> Vec<u8> {
    (0..200_000u32).map(|i| (i % 251) as u8).collect()
}

/// Reads the whole body with `read` and a buffer of `size` bytes.
async fn read_all(resp: &mut brisk::Response, size: usize) -> Result<Vec<u8>, brisk::Error> {
    let mut buf = vec![0u8; size];
    let mut out = Vec::new();
    loop {
        let n = resp.read(&mut buf).await?;
        assert!(n <= size);
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// Answers each request with the pattern, in the framing the path names.
/// The first bytes of the body go with the head (so the client has some
/// buffered), the rest after a pause (so it reads them from the socket).
async fn serve_pattern(mut stream: tokio::net::TcpStream, _: usize) {
    let body = pattern();
    let mut pending = Vec::new();
    while let Some(req) = read_request(&mut stream, &mut pending).await {
        let path = req.head.split(' ').nth(1).unwrap_or("/").to_string();
        let mut wire = Vec::new();
        match path.as_str() {
            "/length" => {
                wire.extend_from_slice(
                    format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes(),
                );
                wire.extend_from_slice(&body);
            }
            "/chunked" => {
                wire.extend_from_slice(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
                for piece in body.chunks(30_000) {
                    wire.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
                    wire.extend_from_slice(piece);
                    wire.extend_from_slice(b"\r\n");
                }
                wire.extend_from_slice(b"0\r\n\r\n");
            }
            _ => {
                wire.extend_from_slice(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
                wire.extend_from_slice(&body);
            }
        }
        let split = wire.len() - body.len() + 1_000;
        if stream.write_all(&wire[..split]).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
        if stream.write_all(&wire[split..]).await.is_err() || path == "/close" {
            return;
        }
    }
}

#[tokio::test]
async fn read_fills_the_callers_buffer_in_every_framing_and_size() {
    let server = Scripted::start(serve_pattern).await;
    let client = Client::new();
    let want = pattern();
    for size in [1, 7, 4096, 65_536, 1 << 20] {
        for path in ["/length", "/chunked", "/close"] {
            let mut resp = client.get(server.url(path)).send().await.unwrap();
            let got = read_all(&mut resp, size).await.unwrap();
            assert!(got == want, "{path} with a {size}-byte buffer");
            // At the end it stays at the end.
            assert_eq!(resp.read(&mut [0; 16]).await.unwrap(), 0);
        }
    }
    // The kept-alive framings went back to the pool after each read to the
    // end, and the next request took their connection: only a `/close`
    // ends one, so there are as many connections as `/close` requests.
    assert_eq!(server.accepted(), 5);
}

#[tokio::test]
async fn an_empty_buffer_reads_nothing_and_loses_nothing() {
    let server = Scripted::start(serve_pattern).await;
    let mut resp = Client::new()
        .get(server.url("/length"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.read(&mut []).await.unwrap(), 0);
    assert!(read_all(&mut resp, 10_000).await.unwrap() == pattern());
}

#[tokio::test]
async fn a_truncated_body_is_an_error_every_time() {
    let server = Scripted::start(|mut stream, _| async move {
        let mut pending = Vec::new();
        if read_request(&mut stream, &mut pending).await.is_some() {
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly fifty bytes of a hundred arrive here before the close")
                .await;
        }
    })
    .await;
    let mut resp = Client::new().get(server.url("/")).send().await.unwrap();
    let err = read_all(&mut resp, 8).await.unwrap_err();
    assert!(err.is_protocol() || err.is_io(), "{err:?}");
    // The body can never look complete afterwards.
    assert!(resp.read(&mut [0; 8]).await.is_err());
}

#[tokio::test]
async fn a_stalled_body_ends_at_the_read_budget() {
    let server = Scripted::start(|mut stream, _| async move {
        let mut pending = Vec::new();
        if read_request(&mut stream, &mut pending).await.is_some() {
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nsome")
                .await;
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
    })
    .await;
    let client = Client::builder()
        .read_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let mut resp = client.get(server.url("/")).send().await.unwrap();
    let mut buf = [0u8; 64];
    assert_eq!(resp.read(&mut buf).await.unwrap(), 4);
    assert_eq!(&buf[..4], b"some");
    let t0 = Instant::now();
    let err = resp.read(&mut buf).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(t0.elapsed() < Duration::from_secs(5));
    // The connection that failed mid-body is closed, not pooled.
    assert_eq!(client.stats().idle_connections, 0);
}
