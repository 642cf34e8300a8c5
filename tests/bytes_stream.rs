//! `Response::bytes_stream()` over real sockets: its own `next().await`
//! (which wins over `futures::StreamExt::next` when both are in scope),
//! an error mid-body, and with the `futures-stream` feature the
//! `futures_core::Stream` it implements and `Body::wrap_stream`.

mod support;

use brisk::Client;
use support::server::{read_request, serve_each, Scripted};
use tokio::io::AsyncWriteExt;

/// A server that answers every request with a chunked body of three
/// chunks.
async fn chunked_server() -> Scripted {
    Scripted::start(|stream, _| async move {
        serve_each(stream, |_| {
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
              5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n"
                .to_vec()
        })
        .await;
    })
    .await
}

#[tokio::test]
async fn next_gives_every_chunk_then_none_and_the_connection_is_reused() {
    let server = chunked_server().await;
    let client = Client::new();
    for _ in 0..2 {
        let mut stream = client
            .get(server.url("/"))
            .send()
            .await
            .unwrap()
            .bytes_stream();
        let mut body = Vec::new();
        while let Some(chunk) = stream.next().await {
            body.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(body, b"hello world");
        assert!(stream.next().await.is_none());
    }
    assert_eq!(
        server.accepted(),
        1,
        "read to its end, the connection is pooled"
    );
}

/// The loop written for reqwest, with `StreamExt` in scope: the stream's
/// own `next` is the one called (this compiles with and without the
/// `futures-stream` feature).
mod with_stream_ext_in_scope {
    #[allow(unused_imports)]
    use futures_util::StreamExt;

    #[tokio::test]
    async fn the_reqwest_loop_compiles_unchanged() {
        let server = super::chunked_server().await;
        let resp = brisk::Client::new()
            .get(server.url("/"))
            .send()
            .await
            .unwrap();
        let mut stream = resp.bytes_stream();
        let mut total = 0;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.unwrap();
            total += chunk.len();
        }
        assert_eq!(total, 11);
    }
}

#[tokio::test]
async fn a_body_cut_short_is_an_error_then_the_end() {
    let server = Scripted::start(|mut stream, _| async move {
        let mut pending = Vec::new();
        read_request(&mut stream, &mut pending).await;
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this")
            .await;
    })
    .await;
    let mut stream = Client::new()
        .get(server.url("/"))
        .send()
        .await
        .unwrap()
        .bytes_stream();
    let mut body = Vec::new();
    let err = loop {
        match stream.next().await {
            Some(Ok(chunk)) => body.extend_from_slice(&chunk),
            Some(Err(e)) => break e,
            None => panic!("the stream ended without an error"),
        }
    };
    assert!(err.is_body(), "{err:?}");
    assert_eq!(body, b"only this");
    assert!(stream.next().await.is_none());
}

#[cfg(feature = "futures-stream")]
mod futures_stream {
    use super::*;
    use futures_util::{stream, StreamExt, TryStreamExt};
    use support::server::recording;

    #[tokio::test]
    async fn it_is_a_futures_stream() {
        let server = chunked_server().await;
        let resp = Client::new().get(server.url("/")).send().await.unwrap();
        // Through the trait alone: the combinators of the futures crate.
        let body = resp
            .bytes_stream()
            .map_ok(|chunk| chunk.len())
            .try_fold(0, |n, len| async move { Ok(n + len) })
            .await
            .unwrap();
        assert_eq!(body, 11);
        // Polled through the trait in part, then through `next`: one read
        // in flight is carried over.
        let resp = Client::new().get(server.url("/")).send().await.unwrap();
        let mut s = resp.bytes_stream();
        let first = StreamExt::next(&mut s).await.unwrap().unwrap();
        let mut rest = Vec::new();
        while let Some(chunk) = s.next().await {
            rest.extend(chunk.unwrap());
        }
        assert_eq!([first, rest].concat(), b"hello world");
    }

    #[tokio::test]
    async fn wrap_stream_sends_each_chunk_chunked() {
        let (server, mut seen) = recording("ok").await;
        let chunks = stream::iter(vec![
            Ok::<_, std::io::Error>("first "),
            Ok(""),
            Ok("second"),
        ]);
        Client::new()
            .post(server.url("/"))
            .body(brisk::Body::wrap_stream(chunks))
            .send()
            .await
            .unwrap();
        let req = seen.recv().await.unwrap();
        assert_eq!(req.header("transfer-encoding"), Some("chunked"));
        assert_eq!(req.body, b"first second");
    }

    #[tokio::test]
    async fn a_stream_error_fails_the_request_as_a_body_error() {
        let (server, _seen) = recording("ok").await;
        let chunks = stream::iter(vec![
            Ok(b"part".to_vec()),
            Err(std::io::Error::other("the producer failed")),
        ]);
        let err = Client::new()
            .post(server.url("/"))
            .body(brisk::Body::wrap_stream(chunks))
            .send()
            .await
            .unwrap_err();
        assert!(err.is_body(), "{err:?}");
        assert!(
            format!("{err:#}").contains("the producer failed"),
            "{err:#}"
        );
    }
}
