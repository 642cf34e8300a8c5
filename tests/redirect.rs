//! Redirects over real sockets: never waiting on a body nobody needs (an
//! unframed one, a large one, a stalled one), draining a small one to keep
//! the connection, a streamed body that is not sent again, and credentials
//! that never cross origins.

mod support;

use brisk::{Body, Client};
use std::time::{Duration, Instant};
use support::server::{ok, read_request, recording, redirecting_to, serve_each, Scripted};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

/// A first server that answers every request with `head` (a redirect to
/// `/next` on a second connection) and then holds the connection open;
/// other connections answer `200 landed`.
async fn redirecting(head: &'static str) -> Scripted {
    Scripted::start(move |mut stream, n| async move {
        if n > 0 {
            return serve_each(stream, |_| ok("landed")).await;
        }
        let mut pending = Vec::new();
        read_request(&mut stream, &mut pending).await;
        let _ = stream.write_all(head.as_bytes()).await;
        tokio::time::sleep(Duration::from_secs(10)).await;
    })
    .await
}

#[tokio::test]
async fn an_unframed_redirect_is_followed_at_once() {
    for head in [
        // No framing on a connection the server holds open: the body runs
        // until a close that never comes.
        "HTTP/1.1 302 Found\r\nLocation: /next\r\n\r\nmoved",
        // A declared body above 64 KiB is not read at all.
        "HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 10000000\r\n\r\nmov",
        // A chunked body that stalls is waited for briefly, then dropped.
        "HTTP/1.1 302 Found\r\nLocation: /next\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nmo",
    ] {
        let server = redirecting(head).await;
        let client = Client::builder()
            .read_timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        let t = Instant::now();
        let resp = client.get(server.url("/")).send().await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "landed");
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "{head:?}: {:?}",
            t.elapsed()
        );
        assert_eq!(server.accepted(), 2);
    }
}

#[tokio::test]
async fn a_small_framed_redirect_body_is_drained_and_its_connection_kept() {
    let server = Scripted::start(|stream, _| async move {
        serve_each(stream, |req| {
            if req.head.starts_with("GET /next ") {
                ok("landed")
            } else {
                b"HTTP/1.1 302 Found\r\nLocation: /next\r\nTransfer-Encoding: chunked\r\n\r\n\
                  5\r\nmoved\r\n0\r\n\r\n"
                    .to_vec()
            }
        })
        .await
    })
    .await;
    let client = Client::new();
    let resp = client.get(server.url("/")).send().await.unwrap();
    assert!(resp.reused());
    assert_eq!(resp.text().await.unwrap(), "landed");
    assert_eq!(server.accepted(), 1);
}

#[tokio::test]
async fn a_streamed_get_that_meets_a_302_follows_without_its_body() {
    let (tx, mut seen) = mpsc::unbounded_channel();
    let server = Scripted::start(move |stream, _| {
        let tx = tx.clone();
        async move {
            serve_each(stream, |req| {
                let _ = tx.send(req.clone());
                if req.head.starts_with("GET /next ") {
                    ok("landed")
                } else {
                    b"HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 0\r\n\r\n".to_vec()
                }
            })
            .await
        }
    })
    .await;
    let client = Client::new();
    let body = Body::from_reader(std::io::Cursor::new(b"query".to_vec()));
    let resp = client
        .get(server.url("/search"))
        .body(body)
        .send()
        .await
        .expect("a streamed GET could not follow a 302");
    assert_eq!(resp.text().await.unwrap(), "landed");
    let first = seen.recv().await.unwrap();
    assert_eq!(first.body, b"query");
    let second = seen.recv().await.unwrap();
    assert!(second.head.starts_with("GET /next "), "{}", second.head);
    assert!(second.all("transfer-encoding").is_empty());
    assert!(second.body.is_empty());
}

#[tokio::test]
async fn api_keys_and_marked_headers_never_cross_origins() {
    let (target, mut seen) = recording("landed").await;
    let to = target.url("/landed");
    let from = redirecting_to(to).await;
    let client = Client::builder()
        .default_header("X-Tenant-Token", "client-secret")
        .sensitive_header("x-tenant-token")
        .default_header("X-Trace", "kept")
        .build()
        .unwrap();
    let resp = client
        .get(from.url("/"))
        .header("X-Api-Key", "sk-anthropic")
        .header("api-key", "azure-key")
        .sensitive_header("X-Session", "request-secret")
        .header("X-Plain", "kept-too")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), "landed");
    let landed = seen.recv().await.unwrap();
    for name in ["x-api-key", "api-key", "x-session", "x-tenant-token"] {
        assert!(
            landed.all(name).is_empty(),
            "{name} crossed: {}",
            landed.head
        );
    }
    assert_eq!(landed.all("x-trace"), ["kept"]);
    assert_eq!(landed.all("x-plain"), ["kept-too"]);
}

/// A server whose `/hop/N` redirects to `/hop/N+1` (status 302), and
/// whose other paths answer `200 landed`.
async fn chain() -> Scripted {
    Scripted::start(|stream, _| async move {
        serve_each(stream, |req| {
            // The request line: `GET /hop/1 HTTP/1.1`.
            let path = req.head.split(' ').nth(1).unwrap_or_default().to_string();
            match path
                .strip_prefix("/hop/")
                .and_then(|n| n.parse::<u32>().ok())
            {
                Some(n) => format!(
                    "HTTP/1.1 302 Found\r\nLocation: /hop/{}\r\nContent-Length: 0\r\n\r\n",
                    n + 1
                )
                .into_bytes(),
                None => ok("landed"),
            }
        })
        .await
    })
    .await
}

#[tokio::test]
async fn a_custom_policy_follows_stops_and_fails_as_it_decides() {
    use brisk::redirect::Policy;
    use std::sync::{Arc, Mutex};
    let server = chain().await;
    // Follows until three URLs were requested, then stops: the third 302
    // is the response. What it saw is recorded.
    let seen: Arc<Mutex<Vec<(u16, String, usize)>>> = Arc::default();
    let record = seen.clone();
    let policy = Policy::custom(move |attempt| {
        let n = attempt.previous().len();
        record.lock().unwrap().push((
            attempt.status().as_u16(),
            attempt.url().path().to_string(),
            n,
        ));
        if n >= 3 {
            attempt.stop()
        } else {
            attempt.follow()
        }
    });
    let client = Client::builder().redirect(policy).build().unwrap();
    let resp = client.get(server.url("/hop/1")).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    assert_eq!(resp.url().path(), "/hop/3");
    assert_eq!(
        *seen.lock().unwrap(),
        [
            (302, "/hop/2".to_string(), 1),
            (302, "/hop/3".to_string(), 2),
            (302, "/hop/4".to_string(), 3)
        ]
    );
    // `previous` holds the chain, first request first.
    let policy = Policy::custom(|attempt| {
        let paths: Vec<&str> = attempt.previous().iter().map(|u| u.path()).collect();
        if paths == ["/hop/7", "/hop/8"] {
            attempt.error("loop suspected")
        } else {
            attempt.follow()
        }
    });
    let client = Client::builder().redirect(policy).build().unwrap();
    let e = client.get(server.url("/hop/7")).send().await.unwrap_err();
    assert!(e.is_redirect(), "{e:?}");
    assert_eq!(
        std::error::Error::source(&e).unwrap().to_string(),
        "loop suspected"
    );
}
