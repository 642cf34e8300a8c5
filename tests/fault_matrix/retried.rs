//! What the default retry policy makes of the faults of `support::fault`
//! that are safe to ride through, plain and over TLS, and of one that is
//! not. (`one_attempt` shows each fault with retries off.) Backoff is
//! shortened and exact (20 ms, 40 ms...) so the test is quick; everything
//! else is the default policy.
//!
//! Each case asserts the outcome, the attempts and their reasons, that it
//! ended within its deadline, and that no descriptor leaked.

use crate::support;

use brisk::{Client, RetryPolicy, RetryReason};
use std::time::{Duration, Instant};
use support::fault::{body_for, refused_addr, transports, Fault, FaultServer, Transport};
use support::server::open_fds;

const READ: Duration = Duration::from_millis(300);
const HANG: Duration = Duration::from_secs(6);

/// A client with the default policy (backoff shortened and exact),
/// trusting `t`.
fn retrying_client(t: &Transport) -> Client {
    let policy = RetryPolicy::default()
        .backoff(Duration::from_millis(20), Duration::from_millis(80))
        .with_rng(|| u64::MAX);
    let builder = Client::builder()
        .retry(policy)
        .read_timeout(READ)
        .timeout(Duration::from_secs(5));
    t.trust(builder).build().unwrap()
}

/// GETs `/first` from `server` and reads it: a connection to reuse.
async fn pool_one(client: &Client, server: &FaultServer) {
    let resp = client.get(server.url("/first")).send().await.unwrap();
    resp.bytes().await.unwrap();
}

fn reasons(records: &[brisk::RetryRecord]) -> Vec<RetryReason> {
    records.iter().map(|r| r.reason).collect()
}

/// GETs `path` from a server whose first connection applies `fault`, and
/// expects recovery: the clean body, after `reason` led to another try.
async fn recovers(
    t: &Transport,
    fault: Fault,
    reason: RetryReason,
    min: Duration,
    connections: usize,
) -> String {
    let client = retrying_client(t);
    let server = FaultServer::first(t.mode.clone(), &[fault]);
    let started = Instant::now();
    let resp = tokio::time::timeout(HANG, client.get(server.url("/a")).send())
        .await
        .unwrap_or_else(|_| panic!("{} {fault:?}: hung", t.label))
        .unwrap_or_else(|e| panic!("{} {fault:?}: {e} {e:?}", t.label));
    assert_eq!(resp.status(), 200, "{} {fault:?}", t.label);
    let (attempts, records) = (resp.attempts(), resp.retries().to_vec());
    assert_eq!(resp.bytes().await.unwrap(), body_for("/a"));
    let took = started.elapsed();
    assert!(took >= min, "{} {fault:?}: {took:?}", t.label);
    assert_eq!(reasons(&records), [reason], "{} {fault:?}", t.label);
    assert_eq!(server.accepted(), connections, "{} {fault:?}", t.label);
    format!(
        "200 after {attempts} attempts ({reason}, waited {:?}), {} ms",
        records[0].delay,
        took.as_millis()
    )
}

#[test]
fn retries_ride_through_what_is_safe_and_only_that() {
    // Descriptors are counted: nothing else may run beside it.
    crate::alone(retries_ride_through());
}

async fn retries_ride_through() {
    let before = open_fds();
    let mut rows = Vec::new();
    for t in transports() {
        let mut row = Vec::new();
        // Nothing listens: three attempts, 20 and 40 ms apart, then the
        // connect error, which says how many attempts it took.
        let client = retrying_client(&t);
        let url = format!("{}://{}/", t.scheme, refused_addr());
        let started = Instant::now();
        let err = client.get(&url).send().await.unwrap_err();
        assert!(err.is_connect(), "{}: {err}", t.label);
        assert_eq!(err.attempts(), 3);
        assert_eq!(
            reasons(err.retries()),
            [RetryReason::Connect, RetryReason::Connect]
        );
        assert!(started.elapsed() >= Duration::from_millis(60));
        row.push((
            "refused",
            format!("connect error after {} attempts", err.attempts()),
        ));

        // A head that never comes: the GET is tried again on a fresh
        // connection after the read budget.
        let outcome = recovers(&t, Fault::Silent, RetryReason::ReadHeadTimeout, READ, 2).await;
        row.push((Fault::Silent.name(), outcome));
        // A head that comes a byte at a time has started: once a response
        // has begun, nothing is retried.
        let client = retrying_client(&t);
        let server = FaultServer::first(t.mode.clone(), &[Fault::DripHead]);
        let err = client.get(server.url("/a")).send().await.unwrap_err();
        assert!(err.is_timeout(), "{}: {err}", t.label);
        assert_eq!((err.attempts(), server.accepted()), (1, 1), "{}", t.label);
        row.push((
            Fault::DripHead.name(),
            "read-head timeout; not retried (response begun)".into(),
        ));
        // 503 with Retry-After: 1, then 200: the server's wait, exactly,
        // on the same connection (the 503 was complete).
        let outcome = recovers(
            &t,
            Fault::Unavailable,
            RetryReason::Status(503),
            Duration::from_secs(1),
            1,
        )
        .await;
        row.push(("503 retry-after", outcome));

        // A POST on a reused connection that the server closes without
        // answering may have been applied: it is never sent again.
        let client = retrying_client(&t);
        let server = FaultServer::first(t.mode.clone(), &[Fault::None, Fault::Hangup]);
        pool_one(&client, &server).await;
        let err = client
            .post(server.url("/post"))
            .body("{}")
            .send()
            .await
            .unwrap_err();
        assert!(err.is_protocol(), "{}: {err}", t.label);
        assert_eq!(err.attempts(), 1);
        assert!(err.retries().is_empty());
        assert_eq!(server.requests(), 2, "{}: the POST was sent twice", t.label);
        assert!(err.to_string().contains("not safe to repeat"), "{err}");
        row.push(("hangup, reused, POST", "error; not sent again".to_string()));
        // The same with an Idempotency-Key: re-sent at once, fresh.
        let server = FaultServer::first(t.mode.clone(), &[Fault::None, Fault::Hangup]);
        pool_one(&client, &server).await;
        let resp = client
            .post(server.url("/post"))
            .header("Idempotency-Key", "order-17")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.attempts(), 1);
        assert_eq!(reasons(resp.retries()), [RetryReason::StaleConnection]);
        assert_eq!(server.requests(), 3);
        row.push((
            "hangup, reused, POST + Idempotency-Key",
            "200; re-sent once at once, fresh".to_string(),
        ));
        rows.push((t.label, row));
    }
    println!(
        "| fault | {} |",
        rows.iter().map(|r| r.0).collect::<Vec<_>>().join(" | ")
    );
    println!("| --- |{}", " --- |".repeat(rows.len()));
    for i in 0..rows[0].1.len() {
        let cells: Vec<&str> = rows.iter().map(|r| r.1[i].1.as_str()).collect();
        println!("| {} | {} |", rows[0].1[i].0, cells.join(" | "));
    }
    let mut after = open_fds();
    for _ in 0..40 {
        if after <= before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        after = open_fds();
    }
    assert!(after <= before, "fds before {before}, after {after}");
}
