//! Streamed uploads over a real socket: `Body::sized` sends exactly its
//! declared length under `Content-Length`, and a reader that disagrees
//! with that length fails the request without a byte too many on the wire.

mod support;

use brisk::{Body, Client, RequestBuilder};
use std::time::Duration;
use support::server::{ok, read_request, recording, serve_each, Received, Scripted};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

#[tokio::test]
async fn a_sized_body_is_sent_with_content_length_not_chunked() {
    let (server, mut seen) = recording("done").await;
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let body = Body::sized(std::io::Cursor::new(data.clone()), data.len() as u64);
    let resp = Client::new()
        .put(server.url("/upload"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), "done");
    let req = seen.recv().await.unwrap();
    assert_eq!(req.header("content-length"), Some("100000"));
    assert_eq!(req.header("transfer-encoding"), None);
    assert_eq!(req.body, data);
}

/// Each connection: one request read, then every byte that follows it
/// until the client closes; both reported.
async fn watching_server() -> (
    Scripted,
    mpsc::UnboundedReceiver<(Option<Received>, Vec<u8>)>,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    let server = Scripted::start(move |mut stream, _| {
        let tx = tx.clone();
        async move {
            let mut pending = Vec::new();
            let req = read_request(&mut stream, &mut pending).await;
            if req.is_some() {
                use tokio::io::AsyncWriteExt;
                let _ = stream.write_all(&ok("ok")).await;
            }
            let mut rest = [0u8; 4096];
            while let Ok(Ok(n @ 1..)) =
                tokio::time::timeout(Duration::from_secs(5), stream.read(&mut rest)).await
            {
                pending.extend_from_slice(&rest[..n]);
            }
            let _ = tx.send((req, pending));
        }
    })
    .await;
    (server, rx)
}

#[tokio::test]
async fn a_reader_longer_than_declared_fails_and_sends_nothing_past_the_length() {
    let (server, mut seen) = watching_server().await;
    let client = Client::new();
    let body = Body::sized(&b"0123456789EXTRA"[..], 10);
    let err = client
        .post(server.url("/"))
        .body(body)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_body() && err.is_request() && !err.is_io(), "{err:?}");
    // The overrun is found before the last piece is written: the server
    // holds an incomplete request (here, the head alone), never a whole
    // one the caller is told failed, and nothing past the length.
    let (req, after) = seen.recv().await.unwrap();
    assert!(req.is_none(), "a whole request reached the server: {req:?}");
    assert!(after.is_empty(), "bytes past the head: {after:?}");
    // The connection was closed, not pooled: the next request opens a new one.
    client.get(server.url("/")).send().await.unwrap();
    assert_eq!(server.accepted(), 2);
}

#[tokio::test]
async fn a_reader_shorter_than_declared_fails_and_the_connection_is_closed() {
    let (server, mut seen) = watching_server().await;
    let client = Client::new();
    let body = Body::sized(&b"short"[..], 10);
    let err = client
        .post(server.url("/"))
        .body(body)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_body() && err.is_request() && !err.is_io(), "{err:?}");
    // The server never saw a whole request: the client closed mid-body,
    // after the head and the 5 bytes it had (the body part left over).
    let (req, partial) = seen.recv().await.unwrap();
    assert!(req.is_none());
    assert_eq!(partial, b"short");
    client.get(server.url("/")).send().await.unwrap();
    assert_eq!(server.accepted(), 2);
}

#[test]
fn bodies_builders_and_clients_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Body>();
    send_sync::<RequestBuilder>();
    send_sync::<Client>();
    send_sync::<brisk::Error>();
    send_sync::<brisk::Response>();
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
