//! What the client makes of a response's bytes, over real sockets: a cap on
//! the body collected in memory, empty lines after a `100 Continue`, and
//! chunk extensions that break their grammar.

mod support;

use brisk::h1::Limits;
use brisk::Client;
use std::time::{Duration, Instant};
use support::server::{ok, serve_each, Scripted};

#[tokio::test]
async fn the_body_cap_refuses_what_would_not_fit() {
    let server = Scripted::start(|stream, _| async move {
        serve_each(stream, |req| {
            if req.head.starts_with("GET /declared ") {
                // Announces 100 GB; sends a little, then stalls.
                b"HTTP/1.1 200 OK\r\nContent-Length: 100000000000\r\n\r\nabc".to_vec()
            } else if req.head.starts_with("GET /chunked ") {
                let mut r = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
                for _ in 0..100 {
                    r.extend_from_slice(b"400\r\n");
                    r.extend_from_slice(&[b'x'; 1024]);
                    r.extend_from_slice(b"\r\n");
                }
                r.extend_from_slice(b"0\r\n\r\n");
                r
            } else {
                ok(&"y".repeat(1000))
            }
        })
        .await
    })
    .await;
    let limits = Limits {
        max_body_bytes: Some(64 * 1024),
        ..Limits::default()
    };
    let client = Client::builder().limits(limits).build().unwrap();
    let t = Instant::now();
    let err = client
        .get(server.url("/declared"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await;
    let err = err.unwrap_err();
    assert!(err.is_too_large(), "{err}");
    assert!(t.elapsed() < Duration::from_secs(1));
    let err = client
        .get(server.url("/chunked"))
        .send()
        .await
        .unwrap()
        .text()
        .await;
    assert!(err.unwrap_err().is_too_large());
    let fits = client.get(server.url("/small")).send().await.unwrap();
    assert_eq!(fits.bytes().await.unwrap().len(), 1000);
}

#[tokio::test]
async fn empty_lines_after_a_100_continue_are_tolerated() {
    // aiohttp sends `100 Continue` followed by an extra CRLF.
    let server = Scripted::start(|stream, _| async move {
        serve_each(stream, |_| {
            b"HTTP/1.1 100 Continue\r\n\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                .to_vec()
        })
        .await
    })
    .await;
    let client = Client::new();
    let resp = client.post(server.url("/")).body("x").send().await.unwrap();
    assert_eq!(resp.text().await.unwrap(), "ok");
}

#[tokio::test]
async fn chunk_extensions_that_break_their_grammar_are_refused() {
    let server = Scripted::start(|stream, _| async move {
        serve_each(stream, |req| {
            let line = if req.head.starts_with("GET /empty-name ") {
                "2;"
            } else if req.head.starts_with("GET /unterminated ") {
                "2;a=\"open"
            } else {
                "2;a=\"x;y\""
            };
            format!(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{line}\r\nok\r\n0\r\n\r\n"
            )
            .into_bytes()
        })
        .await
    })
    .await;
    let client = Client::new();
    for path in ["/empty-name", "/unterminated"] {
        let resp = client.get(server.url(path)).send().await.unwrap();
        let err = resp.bytes().await.unwrap_err();
        assert_eq!(
            err.parse_error(),
            Some(brisk::h1::ParseError::InvalidChunkExtension),
            "{path}: {err}"
        );
    }
    let resp = client.get(server.url("/valid")).send().await.unwrap();
    assert_eq!(resp.text().await.unwrap(), "ok");
}
