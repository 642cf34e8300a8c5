//! Reuse never desynchronises: a pooled connection carries the next
//! request only if nothing has arrived past the end of the last response,
//! the server has not closed it, and its last request went out whole.
//! Each test is a hostile loopback server from the hardening issue.

mod support;

use brisk::{Body, Client};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::server::{ok, read_request, serve_each, Scripted};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The body is the request's path without its slash, so every response
/// says which request it answers.
fn echo_path(req: &support::server::Received) -> Vec<u8> {
    let path = req.head.split(' ').nth(1).unwrap_or("/");
    ok(&path[1..])
}

#[tokio::test]
async fn a_whole_extra_response_in_the_same_write_is_never_taken_for_the_next() {
    // First connection: answers /r1, then answers /r2 and, in the same
    // write, a response nobody asked for. Bodies are the same length, so a
    // read sized to the previous response stops exactly before the extra.
    let server = Scripted::start(|mut stream, n| async move {
        if n > 0 {
            return serve_each(stream, echo_path).await;
        }
        let mut pending = Vec::new();
        read_request(&mut stream, &mut pending).await.unwrap();
        stream.write_all(&ok("r1")).await.unwrap();
        read_request(&mut stream, &mut pending).await.unwrap();
        let mut both = ok("r2");
        both.extend_from_slice(&ok("xx"));
        stream.write_all(&both).await.unwrap();
        // Hold the connection open, as a keep-alive server would.
        let _ = read_request(&mut stream, &mut pending).await;
    })
    .await;
    let client = Client::new();
    for expected in ["r1", "r2", "r3", "r4"] {
        let resp = client
            .get(server.url(&format!("/{expected}")))
            .send()
            .await
            .unwrap();
        let reused = resp.reused();
        assert_eq!(resp.text().await.unwrap(), expected);
        if expected == "r3" {
            assert!(!reused, "r3 went over the connection with stale bytes");
        }
    }
    assert_eq!(server.accepted(), 2);
    assert_eq!(client.stats().closed.server_closed, 1);
}

#[tokio::test]
async fn extra_bytes_after_a_large_body_are_never_taken_for_the_next_response() {
    let big = "b".repeat(200 * 1024);
    let server = Scripted::start(move |mut stream, n| {
        let big = big.clone();
        async move {
            if n > 0 {
                return serve_each(stream, echo_path).await;
            }
            let mut pending = Vec::new();
            read_request(&mut stream, &mut pending).await.unwrap();
            let mut bytes = ok(&big);
            bytes.extend_from_slice(&ok("xx"));
            stream.write_all(&bytes).await.unwrap();
            let _ = read_request(&mut stream, &mut pending).await;
        }
    })
    .await;
    let client = Client::new();
    let body = client.get(server.url("/big")).send().await.unwrap();
    assert_eq!(body.bytes().await.unwrap().len(), 200 * 1024);
    let next = client.get(server.url("/r2")).send().await.unwrap();
    assert!(!next.reused());
    assert_eq!(next.text().await.unwrap(), "r2");
    assert_eq!(server.accepted(), 2);
}

#[tokio::test]
async fn back_to_back_posts_are_never_written_into_a_connection_the_server_closed() {
    // Answers one request per connection without `Connection: close`, and
    // closes at once: TCP_CORK puts the response and the FIN in one
    // segment. It keeps reading after its FIN (a half-close), so a request
    // written into the connection anyway is seen and counted.
    let written_after_close = Arc::new(AtomicUsize::new(0));
    let counter = written_after_close.clone();
    let server = Scripted::start(move |mut stream, _| {
        let counter = counter.clone();
        async move {
            let mut pending = Vec::new();
            if read_request(&mut stream, &mut pending).await.is_none() {
                return;
            }
            socket2::SockRef::from(&stream).set_tcp_cork(true).unwrap();
            stream.write_all(&ok("done")).await.unwrap();
            stream.shutdown().await.unwrap();
            let mut byte = [0u8; 1];
            if let Ok(Ok(n)) =
                tokio::time::timeout(Duration::from_millis(500), stream.read(&mut byte)).await
            {
                if n > 0 {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
    })
    .await;
    let client = Client::new();
    for pair in 0..10 {
        for i in 0..2 {
            let resp = client
                .post(server.url("/v1/chat/completions"))
                .body("{}")
                .send()
                .await
                .unwrap_or_else(|e| panic!("pair {pair}, post {i}: {e}"));
            assert_eq!(resp.text().await.unwrap(), "done");
        }
    }
    assert_eq!(written_after_close.load(Ordering::SeqCst), 0);
    let stats = client.stats();
    assert_eq!(stats.connections_opened, 20);
    assert_eq!(stats.requests_reused, 0);
    assert_eq!(stats.closed.error, 0, "{stats:?}");
}

#[tokio::test]
async fn the_liveness_check_is_not_fooled_by_the_cooperative_budget() {
    // Each connection answers once. The first then closes, once the
    // client has pooled it, and says when the client's kernel has the
    // FIN; the client lets its reactor turn, so tokio has seen it too.
    let (pooled, pooled_rx) = tokio::sync::oneshot::channel::<()>();
    let (fin_arrived, fin_rx) = tokio::sync::oneshot::channel::<()>();
    let first = std::sync::Mutex::new(Some((pooled_rx, fin_arrived)));
    let server = Scripted::start(move |mut stream, _| {
        let signals = first.lock().unwrap().take();
        async move {
            let mut pending = Vec::new();
            if read_request(&mut stream, &mut pending).await.is_none() {
                return;
            }
            let _ = stream.write_all(&ok("once")).await;
            let Some((pooled, fin_arrived)) = signals else {
                return;
            };
            let _ = pooled.await;
            let client = stream.peer_addr().unwrap();
            let server = stream.local_addr().unwrap();
            drop(stream);
            support::server::wait_for_close_wait(client, server);
            let _ = fin_arrived.send(());
        }
    })
    .await;
    let client = Client::new();
    support::fetch(&client, server.url("/")).await;
    pooled.send(()).unwrap();
    fin_rx.await.unwrap();
    // The runtime parks on its driver (nothing else is ready), and the
    // reactor takes the FIN's readiness, however long the wait.
    tokio::time::sleep(Duration::from_millis(1)).await;
    // Use up this task's budget: from here every tokio resource answers
    // `Pending` until the task yields.
    while tokio::task::coop::has_budget_remaining() {
        tokio::task::coop::consume_budget().await;
    }
    let resp = client
        .post(server.url("/"))
        .body("x")
        .send()
        .await
        .expect("the closed connection was reused");
    assert!(!resp.reused());
    assert_eq!(resp.text().await.unwrap(), "once");
    assert_eq!(client.stats().closed.server_closed, 1);
}

/// A server that reads the request head, answers `status` at once, and
/// then either closes (resetting the connection, since the body is
/// unread) or keeps reading slowly. Reports how many body bytes it read.
async fn early_answer(status: &'static str, keep_reading: bool) -> (Scripted, Arc<AtomicUsize>) {
    let read = Arc::new(AtomicUsize::new(0));
    let counter = read.clone();
    let server = Scripted::start(move |mut stream, n| {
        let counter = counter.clone();
        async move {
            if n > 0 {
                return serve_each(stream, echo_path).await;
            }
            let mut head = Vec::new();
            let mut buf = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                if stream.read(&mut buf).await.unwrap_or(0) == 0 {
                    return;
                }
                head.push(buf[0]);
            }
            let answer = format!("HTTP/1.1 {status}\r\nContent-Length: 4\r\n\r\nnope");
            stream.write_all(answer.as_bytes()).await.unwrap();
            if !keep_reading {
                return;
            }
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                tokio::time::sleep(Duration::from_millis(2)).await;
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => counter.fetch_add(n, Ordering::SeqCst),
                };
            }
        }
    })
    .await;
    (server, read)
}

#[tokio::test]
async fn an_early_answer_then_a_reset_is_returned_not_a_write_error() {
    let (server, _) = early_answer("413 Content Too Large", false).await;
    let client = Client::new();
    let body = vec![b'x'; 32 * 1024 * 1024];
    let resp = client
        .post(server.url("/upload"))
        .body(body)
        .send()
        .await
        .expect("the server's 413 was lost");
    assert_eq!(resp.status(), 413);
    assert_eq!(resp.text().await.unwrap(), "nope");
    let next = client.get(server.url("/r2")).send().await.unwrap();
    assert!(!next.reused());
    assert_eq!(next.text().await.unwrap(), "r2");
}

#[tokio::test]
async fn an_early_answer_stops_the_upload_and_the_connection_is_not_reused() {
    for streamed in [false, true] {
        let (server, read) = early_answer("401 Unauthorized", true).await;
        let client = Client::new();
        let total = 64 * 1024 * 1024;
        let body = vec![b'x'; total];
        let body = if streamed {
            Body::from_reader(std::io::Cursor::new(body))
        } else {
            body.into()
        };
        let started = Instant::now();
        let resp = client
            .post(server.url("/upload"))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401);
        assert_eq!(resp.text().await.unwrap(), "nope");
        // A slow reader takes 64 MiB in about 8 s: the answer came long
        // before, when the socket buffers filled.
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{:?}",
            started.elapsed()
        );
        let next = client.get(server.url("/r2")).send().await.unwrap();
        assert!(!next.reused(), "streamed: {streamed}");
        assert_eq!(next.text().await.unwrap(), "r2");
        drop(client);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            read.load(Ordering::SeqCst) < total / 2,
            "streamed: {streamed}"
        );
    }
}

#[tokio::test]
async fn a_fin_a_moment_after_the_response_is_seen_before_the_next_post() {
    // A plain `write(); shutdown()` server on its own thread: the FIN
    // leaves in a segment of its own, after the client has the response
    // and has pooled the connection. The client blocks its thread until
    // the FIN is in its kernel (as busy synchronous work would), so
    // tokio's reactor has had no turn to notice it: only asking the
    // kernel finds it. (A FIN still in flight when the request is written
    // is a race no check can close.)
    let server = support::server::FinAfterResponse::start(b"{}");
    let client = Client::new();
    let url = format!("http://{}/v1/chat/completions", server.addr);
    let mut failed = Vec::new();
    for i in 0..200 {
        let result = async { client.post(&url).body("{}").send().await?.text().await }.await;
        if let Err(e) = result {
            failed.push(format!("{i}: {e}"));
        }
        server.close_and_wait();
    }
    assert!(
        failed.is_empty(),
        "{} of 200 failed: {failed:?}",
        failed.len()
    );
    let stats = client.stats();
    drop(client);
    assert_eq!(server.written_after_close(), 0);
    // Each closed connection was found closed at the next checkout, and
    // no request had to be sent again.
    assert_eq!(stats.connections_opened, 200, "{stats:?}");
    assert_eq!(stats.closed.server_closed, 199, "{stats:?}");
    assert_eq!(stats.resends, 0, "{stats:?}");
}

#[tokio::test]
async fn an_early_2xx_from_a_full_duplex_server_does_not_cut_the_upload() {
    // Answers 200 (chunked) as soon as it has the head, then reads the
    // whole body, then says how much it got.
    let server = Scripted::start(|mut stream, _| async move {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if stream.read(&mut byte).await.unwrap_or(0) == 0 {
                return;
            }
            head.push(byte[0]);
        }
        let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
        let len: usize = text
            .split("content-length:")
            .nth(1)
            .and_then(|v| v.split("\r\n").next())
            .and_then(|v| v.trim().parse().ok())
            .unwrap();
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            .await;
        let mut buf = vec![0u8; 64 * 1024];
        let mut got = 0;
        while got < len {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got += n,
            }
        }
        let msg = format!("got {got}");
        let chunk = format!("{:x}\r\n{msg}\r\n0\r\n\r\n", msg.len());
        let _ = stream.write_all(chunk.as_bytes()).await;
    })
    .await;
    let client = Client::builder()
        .read_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let total = 8 * 1024 * 1024;
    let resp = client
        .post(server.url("/echo"))
        .body(vec![b'x'; total])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), format!("got {total}"));
}

/// The idle timeout holds however many connections are idle: a checkout
/// looks at their clocks only once the earliest of them can have expired.
#[tokio::test]
async fn idle_connections_expire_at_their_timeout_and_not_before() {
    let server = Scripted::start(|stream, _| serve_each(stream, |_| ok("hi"))).await;
    // Long enough that no busy machine stalls the next request past it;
    // the wait after it needs no margin (a sleep is never short).
    const IDLE: Duration = Duration::from_secs(1);
    let client = Client::builder().pool_idle_timeout(IDLE).build().unwrap();
    // Three connections idle at once.
    open_at_once(&client, &server.url("/"), 3).await;
    assert_eq!(client.stats().idle_connections, 3);
    let resp = client.get(server.url("/")).send().await.unwrap();
    assert!(resp.reused(), "within the timeout");
    resp.bytes().await.unwrap();
    tokio::time::sleep(IDLE + Duration::from_millis(10)).await;
    let resp = client.get(server.url("/")).send().await.unwrap();
    assert!(!resp.reused(), "past the timeout");
    resp.bytes().await.unwrap();
    let stats = client.stats();
    assert_eq!(stats.closed.idle_timeout, 3, "{stats:?}");
    assert_eq!(stats.connections_opened, 4);
}

/// `n` requests at once, their bodies read: `n` connections, all idle after.
async fn open_at_once(client: &Client, url: &str, n: usize) {
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (client, url, barrier) = (client.clone(), url.to_string(), barrier.clone());
            tokio::spawn(async move {
                let resp = client.get(url).send().await.unwrap();
                barrier.wait().await;
                resp.bytes().await.unwrap();
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}
