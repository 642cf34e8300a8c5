//! Interop with hyper's HTTP/1.1 server (a server we did not write), in
//! process, and the pool under load against it.

mod support;

use brisk::Client;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Bytes, Frame, Incoming};
use hyper::{Request, Response};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

/// A body of two frames with no size hint: hyper sends it chunked.
struct TwoChunks(Vec<Bytes>);

impl Body for TwoChunks {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(if self.0.is_empty() {
            None
        } else {
            Some(Ok(Frame::data(self.0.remove(0))))
        })
    }
}

type BoxBody = http_body_util::combinators::BoxBody<Bytes, Infallible>;

async fn handle(req: Request<Incoming>) -> Result<Response<BoxBody>, Infallible> {
    let path = req.uri().path().to_string();
    let method = req.method().to_string();
    let ua = req
        .headers()
        .get("user-agent")
        .map(|v| v.to_str().unwrap_or("").to_string())
        .unwrap_or_default();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let resp = match path.as_str() {
        "/" => Response::new(Full::new(Bytes::from_static(b"Hello, world!")).boxed()),
        "/echo" => Response::new(
            Full::new(Bytes::from(format!(
                "{method} {} {}",
                body.len(),
                String::from_utf8_lossy(&body)
            )))
            .boxed(),
        ),
        "/ua" => Response::new(Full::new(Bytes::from(ua)).boxed()),
        "/chunked" => Response::new(
            TwoChunks(vec![
                Bytes::from_static(b"first,"),
                Bytes::from_static(b"second"),
            ])
            .boxed(),
        ),
        "/big" => Response::new(Full::new(Bytes::from(vec![7u8; 1 << 20])).boxed()),
        _ => Response::builder()
            .status(404)
            .body(Full::new(Bytes::new()).boxed())
            .unwrap(),
    };
    Ok(resp)
}

/// Starts hyper on loopback; returns its address and a count of the
/// connections it accepted.
async fn hyper_server() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(io, hyper::service::service_fn(handle))
                    .await;
            });
        }
    });
    (addr, accepted)
}

#[tokio::test]
async fn hyper_get_post_chunked_and_big() {
    let (addr, accepted) = hyper_server().await;
    let client = Client::new();
    let url = |p: &str| format!("http://{addr}{p}");
    let resp = client.get(url("/")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.content_length(), Some(13));
    assert_eq!(resp.text().await.unwrap(), "Hello, world!");

    let echoed = client
        .post(url("/echo"))
        .body("payload")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(echoed, "POST 7 payload");
    let streamed = client
        .put(url("/echo"))
        .body(brisk::Body::from_reader(std::io::Cursor::new(vec![
            b'z';
            100_000
        ])))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(streamed.starts_with("PUT 100000 zzz"));

    let ua = client
        .get(url("/ua"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(ua, concat!("brisk/", env!("CARGO_PKG_VERSION")));

    let resp = client.get(url("/chunked")).send().await.unwrap();
    assert!(resp.headers().has_token("transfer-encoding", "chunked"));
    assert_eq!(resp.text().await.unwrap(), "first,second");

    let big = support::fetch(&client, url("/big")).await;
    assert_eq!(big.len(), 1 << 20);
    assert!(big.iter().all(|&b| b == 7));

    let resp = client.head(url("/big")).send().await.unwrap();
    assert_eq!(resp.content_length(), Some(1 << 20));
    assert!(resp.bytes().await.unwrap().is_empty());

    assert_eq!(
        client.get(url("/missing")).send().await.unwrap().status(),
        404
    );
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "every request reused the first connection"
    );
    assert_eq!(client.stats().connections_opened, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_10k_requests_at_concurrency_100_open_100_connections() {
    let (addr, accepted) = hyper_server().await;
    let client = Client::builder().pool_max_per_host(100).build().unwrap();
    let url = format!("http://{addr}/");
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let (client, url) = (client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..100 {
                let body = support::fetch(&client, &url).await;
                assert_eq!(body, b"Hello, world!");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let stats = client.stats();
    println!("pool: {stats:?} reuse ratio {:.4}", stats.reuse_ratio());
    assert_eq!(stats.requests_sent, 10_000);
    assert!(stats.connections_opened <= 100, "{stats:?}");
    assert_eq!(
        accepted.load(Ordering::SeqCst) as u64,
        stats.connections_opened
    );
    assert!(stats.reuse_ratio() >= 0.99, "{stats:?}");
    assert!(stats.idle_connections <= 100);
}
