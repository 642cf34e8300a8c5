//! The circuit breaker judges the host, not the client: waiting in the
//! client's own pool, or a total deadline that ran out before a byte was
//! sent, says nothing about the host, so neither counts as its failure.

mod support;

use brisk::{CircuitBreaker, Phase};
use std::time::Duration;
use support::server::{read_request, Scripted};
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, Mutex};

#[tokio::test]
async fn pool_wait_timeouts_do_not_open_a_healthy_hosts_circuit() {
    let (server, mut arrived, release) = holds_its_first_answer().await;
    let client = brisk::Client::builder()
        .pool_max_per_host(1)
        .pool_wait_timeout(Duration::from_millis(50))
        .circuit_breaker(
            CircuitBreaker::default()
                .consecutive_failures(2)
                .cool_down(Duration::from_secs(600)),
        )
        .build()
        .unwrap();
    let url = server.url("/");
    let slow = tokio::spawn({
        let (client, url) = (client.clone(), url.clone());
        async move { client.get(&url).send().await?.text().await }
    });
    arrived.recv().await.unwrap();
    // Two requests wait for the busy connection and give up in the pool.
    for _ in 0..2 {
        let e = client.get(&url).send().await.unwrap_err();
        assert!(e.is_timeout(), "{e:?}");
        assert_eq!(e.phase(), Some(Phase::PoolWait), "{e:?}");
    }
    release.send(()).unwrap();
    assert_eq!(slow.await.unwrap().unwrap(), "ok");
    // The host answered every request it got: its circuit is closed.
    let resp = client.get(&url).send().await.unwrap();
    assert_eq!(resp.text().await.unwrap(), "ok");
    assert_eq!(client.stats().circuits_opened, 0);
    assert_eq!(client.stats().circuit_rejected, 0);
}

#[tokio::test]
async fn a_total_deadline_spent_in_the_pool_is_not_the_hosts_failure() {
    let (server, mut arrived, release) = holds_its_first_answer().await;
    let client = brisk::Client::builder()
        .pool_max_per_host(1)
        .circuit_breaker(
            CircuitBreaker::default()
                .consecutive_failures(2)
                .cool_down(Duration::from_secs(600)),
        )
        .build()
        .unwrap();
    let url = server.url("/");
    let slow = tokio::spawn({
        let (client, url) = (client.clone(), url.clone());
        async move { client.get(&url).send().await?.text().await }
    });
    arrived.recv().await.unwrap();
    for _ in 0..2 {
        let e = client
            .get(&url)
            .timeout(Duration::from_millis(50))
            .send()
            .await
            .unwrap_err();
        assert!(e.is_total_timeout(), "{e:?}");
    }
    release.send(()).unwrap();
    assert_eq!(slow.await.unwrap().unwrap(), "ok");
    let resp = client.get(&url).send().await.unwrap();
    assert_eq!(resp.text().await.unwrap(), "ok");
    assert_eq!(client.stats().circuits_opened, 0);
}

/// A server that holds its first answer until the test sends on the
/// returned sender, so that the one connection the pool allows stays busy
/// for as long as the test needs, whatever the machine's speed. The
/// receiver hears when that first request has arrived.
async fn holds_its_first_answer() -> (
    Scripted,
    mpsc::UnboundedReceiver<()>,
    mpsc::UnboundedSender<()>,
) {
    let (arrived_tx, arrived) = mpsc::unbounded_channel::<()>();
    let (release_tx, release) = mpsc::unbounded_channel::<()>();
    let release = std::sync::Arc::new(Mutex::new(release));
    let server = Scripted::start(move |mut stream, _| {
        let (arrived_tx, release) = (arrived_tx.clone(), release.clone());
        async move {
            let mut pending = Vec::new();
            let mut first = true;
            while read_request(&mut stream, &mut pending).await.is_some() {
                if first {
                    first = false;
                    let _ = arrived_tx.send(());
                    release.lock().await.recv().await;
                }
                let reply = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
                if stream.write_all(reply).await.is_err() {
                    return;
                }
            }
        }
    })
    .await;
    (server, arrived, release_tx)
}
