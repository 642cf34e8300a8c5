//! Errors from real sockets: what their predicates say, and that printing
//! one with its causes (`{e}`, then each `source()`) says each thing once.

mod support;

use brisk::{Body, Client, Phase, RetryPolicy};
use std::error::Error as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use support::server::{recording, Scripted};
use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf};

/// `{e}` and each cause's text, as the usual loop prints them; asserts
/// that no text holds a later one (a cause printed twice).
fn chain(e: &brisk::Error) -> Vec<String> {
    let mut layers = vec![e.to_string()];
    let mut cause = e.source();
    while let Some(c) = cause {
        layers.push(c.to_string());
        cause = c.source();
    }
    for (i, outer) in layers.iter().enumerate() {
        for inner in &layers[i + 1..] {
            assert!(
                !outer.contains(inner.as_str()),
                "{inner:?} twice: {layers:?}"
            );
        }
    }
    assert_eq!(format!("{e:#}"), layers.join(": "));
    layers
}

#[tokio::test]
async fn refused_connection_is_a_request_error_told_once() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = format!("http://127.0.0.1:{port}/v1?key=secret");
    let err = Client::new()
        .get(&url)
        .retry(RetryPolicy::none())
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect() && err.is_request(), "{err:#}");
    assert!(!err.is_body() && !err.is_timeout(), "{err:#}");
    let layers = chain(&err);
    let expected = format!("connection failed during connect for {url} (");
    assert!(layers[0].starts_with(&expected), "{layers:?}");
    let io = err
        .source()
        .unwrap()
        .downcast_ref::<std::io::Error>()
        .unwrap();
    assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused);
    // Dropping the URL (it holds a key) keeps the rest.
    let err = err.without_url();
    assert!(
        err.to_string()
            .starts_with("connection failed during connect (not retried"),
        "{err}"
    );
    assert!(!format!("{err:#} {err:?}").contains("secret"));
}

/// A request body stream that fails after its first piece.
struct FailingReader {
    sent: bool,
}

impl AsyncRead for FailingReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.sent {
            return Poll::Ready(Err(std::io::Error::other("disk on fire")));
        }
        self.sent = true;
        buf.put_slice(b"first piece");
        Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn failing_request_body_is_a_body_error_with_its_cause() {
    let (server, _seen) = recording("").await;
    let err = Client::new()
        .post(server.url("/upload"))
        .body(Body::from_reader(FailingReader { sent: false }))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_body() && err.is_request(), "{err:#}");
    assert!(
        !err.is_io(),
        "the caller's stream is not the connection: {err:#}"
    );
    assert_eq!(err.phase(), Some(Phase::Write));
    // The stream's own error is the source, not lost behind brisk's words.
    let layers = chain(&err);
    assert_eq!(
        layers.last().map(String::as_str),
        Some("disk on fire"),
        "{layers:?}"
    );
}

#[tokio::test]
async fn body_cut_short_is_a_body_error() {
    let server = Scripted::start(|mut stream, _| async move {
        let mut pending = Vec::new();
        support::server::read_request(&mut stream, &mut pending).await;
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
            .await;
    })
    .await;
    let resp = Client::new().get(server.url("/")).send().await.unwrap();
    let err = resp.bytes().await.unwrap_err();
    assert!(err.is_body() && !err.is_request(), "{err:#}");
    assert_eq!(err.phase(), Some(Phase::ReadBody));
    chain(&err);
}

#[tokio::test]
async fn error_for_status_ref_keeps_the_response() {
    let server = Scripted::start(|stream, _| async move {
        support::server::serve_each(stream, |_| {
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 7\r\n\r\nno such".to_vec()
        })
        .await
    })
    .await;
    let resp = Client::new().get(server.url("/x")).send().await.unwrap();
    let err = resp.error_for_status_ref().unwrap_err();
    assert!(err.is_status() && !err.is_request() && !err.is_body());
    assert_eq!(err.status(), Some(brisk::StatusCode::NOT_FOUND));
    assert_eq!(
        chain(&err),
        [format!(
            "http status 404 Not Found for {}",
            server.url("/x")
        )]
    );
    // The body, which says why, is still there to read.
    assert_eq!(resp.text().await.unwrap(), "no such");

    let ok = Scripted::start(|stream, _| async move {
        support::server::serve_each(stream, |_| support::server::ok("fine")).await
    })
    .await;
    let resp = Client::new().get(ok.url("/")).send().await.unwrap();
    assert_eq!(resp.error_for_status_ref().unwrap().status(), 200);
}
