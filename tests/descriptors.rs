//! Descriptors per connection: the liveness check before reuse peeks
//! through a second handle on the socket, which only the first 256
//! connections of a process keep; the others are checked without one. A
//! process holding many connections needs about one descriptor each, as
//! with any other client (with a kept handle each, 10,000 connections
//! needed 20,000 descriptors).
//!
//! Alone in its binary: it counts the process's descriptors.

mod support;

use brisk::Client;
use std::sync::Arc;
use support::server::{ok, serve_each, Scripted};

/// The most connections a process keeps a second handle for.
const KEPT_MAX: usize = 256;

#[tokio::test]
async fn many_pooled_connections_hold_about_one_descriptor_each() {
    const N: usize = 300;
    let server = Scripted::start(|stream, _| serve_each(stream, |_| ok("hi"))).await;
    let client = Client::builder().pool_max_idle_per_host(N).build().unwrap();
    // One connection first, so the client's shared state (and the
    // runtime's) exists before counting.
    client
        .get(server.url("/"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let before = support::server::open_fds();
    let barrier = Arc::new(tokio::sync::Barrier::new(N));
    let mut tasks = Vec::new();
    for _ in 0..N {
        let (client, url, barrier) = (client.clone(), server.url("/"), barrier.clone());
        tasks.push(tokio::spawn(async move {
            let resp = client.get(url).send().await.unwrap();
            // Every response is held until all have arrived: N connections.
            barrier.wait().await;
            resp.bytes().await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    // Each connection is checked on the way to being reused, with or
    // without a kept handle.
    for _ in 0..N {
        let resp = client.get(server.url("/")).send().await.unwrap();
        assert!(resp.reused());
        resp.bytes().await.unwrap();
    }
    let opened = client.stats().connections_opened as usize;
    assert_eq!(client.stats().idle_connections, opened);
    let new = opened - 1;
    assert!(new >= N - 1, "{new} connections");
    let after = support::server::open_fds();
    // The server is in this process too: one descriptor on each side per
    // connection, plus at most KEPT_MAX kept handles.
    assert!(
        after - before <= 2 * new + KEPT_MAX + 8,
        "{} descriptors for {new} new connections",
        after - before
    );
}

/// Without a kept handle, a FIN that arrived after the response, while
/// tokio's reactor had no turn to see it, is still found before the next
/// request is written (through tokio's readiness when it is still set, or
/// a handle made for the check). The same server and checks as
/// `reuse.rs`'s test with a kept handle.
#[tokio::test]
async fn without_a_kept_handle_a_fin_after_the_response_is_still_seen() {
    brisk::fuzzing::set_kept_peek_handles(0);
    let server = support::server::FinAfterResponse::start(b"{}");
    let client = Client::new();
    let url = format!("http://{}/v1/chat/completions", server.addr);
    let mut failed = Vec::new();
    for i in 0..200 {
        let result = async { client.post(&url).body("{}").send().await?.text().await }.await;
        if let Err(e) = result {
            failed.push(format!("{i}: {e}"));
        }
        // Busy synchronous work: the FIN arrives, the reactor does not turn.
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
    assert_eq!(stats.connections_opened, 200, "{stats:?}");
    assert_eq!(stats.closed.server_closed, 199, "{stats:?}");
    assert_eq!(stats.resends, 0, "{stats:?}");
}
