//! Retries, the retry budget, the circuit breaker and attempt events,
//! against scripted loopback servers. Delays are exact: the random source
//! is injected (`u64::MAX` picks the top of each jitter range).

mod support;

use brisk::{
    Body, CircuitBreaker, CircuitState, Client, Event, RetryBudget, RetryPolicy, RetryReason,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::server::{ok, read_request, serve_each, Received, Scripted};
use tokio::io::AsyncWriteExt;

/// A policy whose backoff is exactly 20 ms, 40 ms, 80 ms...
fn exact(attempts: u32) -> RetryPolicy {
    RetryPolicy::default()
        .attempts(attempts)
        .backoff(Duration::from_millis(20), Duration::from_millis(80))
        .with_rng(|| u64::MAX)
}

/// A server that answers the n-th request (over all connections) with
/// `script[n]`, and `ok("done")` after the script runs out.
async fn scripted(script: Vec<&'static str>) -> (Scripted, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let script = Arc::new(script);
    let server = Scripted::start(move |stream, _| {
        let (seen, script) = (seen.clone(), script.clone());
        async move {
            serve_each(stream, |_| {
                let n = seen.fetch_add(1, Ordering::SeqCst);
                match script.get(n) {
                    Some(head) => head.as_bytes().to_vec(),
                    None => ok("done"),
                }
            })
            .await
        }
    })
    .await;
    (server, count)
}

const E503: &str = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy";
const E429_HINT: &str =
    "HTTP/1.1 429 Too Many Requests\r\nretry-after-ms: 50\r\nContent-Length: 4\r\n\r\nslow";

#[tokio::test]
async fn a_503_twice_then_a_429_with_a_hint_then_success() {
    let (server, count) = scripted(vec![E503, E503, E429_HINT]).await;
    let client = Client::builder().retry(exact(4)).build().unwrap();
    let t = Instant::now();
    let resp = client.get(server.url("/")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.attempts(), 4);
    let r = resp.retries();
    assert_eq!(r.len(), 3);
    assert_eq!(
        r.iter()
            .map(|r| (r.reason, r.delay, r.hinted))
            .collect::<Vec<_>>(),
        [
            (RetryReason::Status(503), Duration::from_millis(20), false),
            (RetryReason::Status(503), Duration::from_millis(40), false),
            (RetryReason::Status(429), Duration::from_millis(50), true),
        ]
    );
    assert!(t.elapsed() >= Duration::from_millis(110));
    assert_eq!(resp.text().await.unwrap(), "done");
    assert_eq!(count.load(Ordering::SeqCst), 4);
    // Small framed bodies were drained: one connection served them all.
    assert_eq!(server.accepted(), 1);
    assert_eq!(client.stats().retries, 3);
}

#[tokio::test]
async fn attempts_run_out_and_the_last_answer_is_returned() {
    let (server, count) = scripted(vec![E503, E503, E503, E503]).await;
    let client = Client::builder().retry(exact(3)).build().unwrap();
    let resp = client.get(server.url("/")).send().await.unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.attempts(), 3);
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn the_server_can_say_do_not_retry() {
    // A quota error: retrying cannot help, and the server says so.
    let quota = "HTTP/1.1 429 Too Many Requests\r\nx-should-retry: false\r\n\
                 Content-Length: 5\r\n\r\nquota";
    let (server, count) = scripted(vec![quota]).await;
    let client = Client::builder().retry(exact(3)).build().unwrap();
    let resp = client.get(server.url("/")).send().await.unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.attempts(), 1);
    assert_eq!(count.load(Ordering::SeqCst), 1);
    // A hint longer than the cap means "do not retry" too.
    let long = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 3600\r\n\
                Content-Length: 0\r\n\r\n";
    let (server, count) = scripted(vec![long]).await;
    let resp = client.get(server.url("/")).send().await.unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_post_is_retried_only_when_it_is_safe_to_repeat() {
    let client = Client::builder().retry(exact(3)).build().unwrap();
    // Plain POST: the server may have acted on it.
    let (server, count) = scripted(vec![E503, E503]).await;
    let resp = client.post(server.url("/")).body("x").send().await.unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(count.load(Ordering::SeqCst), 1);
    // With an Idempotency-Key, or marked by the caller: retried.
    let (server, count) = scripted(vec![E503, E503]).await;
    let resp = client
        .post(server.url("/"))
        .header("Idempotency-Key", "k-1")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(count.load(Ordering::SeqCst), 3);
    let (server, count) = scripted(vec![E503]).await;
    let resp = client
        .post(server.url("/"))
        .retryable(true)
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(count.load(Ordering::SeqCst), 2);
    // A streamed body cannot be sent twice.
    let (server, count) = scripted(vec![E503]).await;
    let body = brisk::Body::from_reader(std::io::Cursor::new(b"x".to_vec()));
    let resp = client.put(server.url("/")).body(body).send().await.unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_stale_pooled_connection_is_re_sent_at_once_without_counting() {
    // Answers the first request, then reads the second and closes without
    // a word: the keep-alive race a liveness check cannot see.
    let server = Scripted::start(|mut stream, n| async move {
        if n > 0 {
            return serve_each(stream, |_| ok("fresh")).await;
        }
        let mut pending = Vec::new();
        read_request(&mut stream, &mut pending).await;
        let _ = stream.write_all(&ok("first")).await;
        read_request(&mut stream, &mut pending).await;
    })
    .await;
    let client = Client::builder().retry(exact(3)).build().unwrap();
    support::fetch(&client, server.url("/")).await;
    let resp = client.get(server.url("/")).send().await.unwrap();
    assert_eq!(resp.attempts(), 1);
    assert_eq!(resp.retries().len(), 1);
    assert_eq!(resp.retries()[0].reason, RetryReason::StaleConnection);
    assert_eq!(resp.retries()[0].delay, Duration::ZERO);
    assert!(!resp.reused());
    assert_eq!(resp.text().await.unwrap(), "fresh");
    assert_eq!(client.stats().resends, 1);
}

#[tokio::test]
async fn connect_failures_are_retried_even_for_a_post_and_the_error_says_so() {
    // A port with nothing listening: nothing can have been sent.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let client = Client::builder().retry(exact(3)).build().unwrap();
    let err = client
        .post(format!("http://{addr}/"))
        .body("x")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err}");
    assert_eq!(err.attempts(), 3);
    assert!(err
        .retries()
        .iter()
        .all(|r| r.reason == RetryReason::Connect));
    assert!(
        err.to_string().contains("retry attempts exhausted"),
        "{err}"
    );
}

#[tokio::test]
async fn the_total_deadline_spans_every_attempt() {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let slow = RetryPolicy::default()
        .backoff(Duration::from_millis(400), Duration::from_secs(8))
        .with_rng(|| u64::MAX);
    let client = Client::builder().retry(slow).build().unwrap();
    let t = Instant::now();
    let err = client
        .get(format!("http://{addr}/"))
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .unwrap_err();
    assert!(t.elapsed() < Duration::from_millis(300));
    assert_eq!(err.attempts(), 1);
    assert!(
        err.to_string().contains("retry would pass the deadline"),
        "{err}"
    );
}

#[tokio::test]
async fn the_budget_stops_retry_storms() {
    let (server, count) = scripted(vec![E503; 10]).await;
    let stingy = exact(3).budget(RetryBudget::default().ratio(0.0).min_per_sec(0));
    let client = Client::builder().retry(stingy).build().unwrap();
    let resp = client.get(server.url("/")).send().await.unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert_eq!(client.stats().retries_refused_by_budget, 1);
    let host = client.host_stats(server.url("/")).unwrap();
    let budget = host.budget.unwrap();
    assert_eq!(budget.refused, 1);
    assert_eq!(budget.deposits, 1);
}

#[tokio::test]
async fn the_circuit_opens_fails_fast_and_a_probe_closes_it() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    let client = Client::builder()
        .retry(RetryPolicy::none())
        .circuit_breaker(
            CircuitBreaker::default()
                .consecutive_failures(2)
                .cool_down(Duration::from_millis(300)),
        )
        .on_event(move |e| {
            if let Event::Circuit { transition, .. } = e {
                seen.lock().unwrap().push((transition.from, transition.to));
            }
        })
        .build()
        .unwrap();
    let url = format!("http://{addr}/");
    for _ in 0..2 {
        let err = client.get(&url).send().await.unwrap_err();
        assert!(err.is_connect(), "{err}");
    }
    let t = Instant::now();
    let err = client.get(&url).send().await.unwrap_err();
    assert!(err.is_circuit_open(), "{err}");
    assert!(t.elapsed() < Duration::from_millis(50));
    let wait = err
        .retry_at()
        .unwrap()
        .saturating_duration_since(Instant::now());
    assert!(wait > Duration::from_millis(100) && wait <= Duration::from_millis(300));
    // The backend comes back on the same port; after the cool-down one
    // probe goes through and closes the circuit.
    let back = tokio::net::TcpListener::bind(addr).await.unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = back.accept().await else {
                return;
            };
            tokio::spawn(serve_each(stream, |_: &Received| ok("back")));
        }
    });
    tokio::time::sleep(Duration::from_millis(320)).await;
    let resp = client.get(&url).send().await.unwrap();
    assert_eq!(resp.text().await.unwrap(), "back");
    assert_eq!(
        *events.lock().unwrap(),
        [
            (CircuitState::Closed, CircuitState::Open),
            (CircuitState::Open, CircuitState::HalfOpen),
            (CircuitState::HalfOpen, CircuitState::Closed),
        ]
    );
    let stats = client.stats();
    assert_eq!((stats.circuits_opened, stats.circuit_rejected), (1, 1));
}

#[tokio::test]
async fn events_trace_every_attempt_and_can_inject_a_traceparent() {
    let (tx, mut received) = tokio::sync::mpsc::unbounded_channel();
    let count = Arc::new(AtomicUsize::new(0));
    let n = count.clone();
    let server = Scripted::start(move |stream, _| {
        let (tx, n) = (tx.clone(), n.clone());
        async move {
            serve_each(stream, |req| {
                let _ = tx.send(req.clone());
                if n.fetch_add(1, Ordering::SeqCst) == 0 {
                    E503.as_bytes().to_vec()
                } else {
                    ok("traced")
                }
            })
            .await
        }
    })
    .await;
    let log = Arc::new(Mutex::new(Vec::new()));
    let lines = log.clone();
    let client = Client::builder()
        .retry(exact(3))
        .on_event(move |e| {
            let line = match e {
                Event::RequestStart {
                    attempt, headers, ..
                } => {
                    let parent =
                        format!("00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333{attempt}-01");
                    let parent = brisk::header::HeaderValue::try_from(parent).unwrap();
                    headers.insert("traceparent", parent);
                    format!("start {attempt}")
                }
                Event::Connected {
                    attempt, reused, ..
                } => format!("connected {attempt} reused={reused}"),
                Event::ResponseHead {
                    attempt, status, ..
                } => format!("head {attempt} {}", status.as_u16()),
                Event::RetryScheduled { attempt, delay, .. } => {
                    format!("retry {attempt} {delay:?}")
                }
                Event::BodyEnd { status, .. } => format!("end {}", status.as_u16()),
                other => format!("{other:?}"),
            };
            lines.lock().unwrap().push(line);
        })
        .build()
        .unwrap();
    let resp = client.get(server.url("/")).send().await.unwrap();
    assert_eq!(resp.text().await.unwrap(), "traced");
    assert_eq!(
        *log.lock().unwrap(),
        [
            "start 1",
            "connected 1 reused=false",
            "head 1 503",
            "retry 1 20ms",
            "end 503",
            "start 2",
            "connected 2 reused=true",
            "head 2 200",
            "end 200",
        ]
    );
    for attempt in 1..=2 {
        let req = received.recv().await.unwrap();
        let traceparent = req.header("traceparent").unwrap();
        assert!(
            traceparent.ends_with(&format!("333{attempt}-01")),
            "{traceparent}"
        );
        assert_eq!(req.head.matches("traceparent").count(), 1);
    }
}

#[tokio::test]
async fn a_cancelled_probe_gives_its_turn_back() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = Client::builder()
        .retry(RetryPolicy::none())
        .circuit_breaker(
            CircuitBreaker::default()
                .consecutive_failures(1)
                .cool_down(Duration::from_millis(200)),
        )
        .build()
        .unwrap();
    let url = format!("http://{addr}/");
    assert!(client.get(&url).send().await.unwrap_err().is_connect());
    // The backend is back, but slow: it accepts and never answers.
    let silent = tokio::net::TcpListener::bind(addr).await.unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            held.push(stream);
        }
    });
    tokio::time::sleep(Duration::from_millis(220)).await;
    // The probe is cancelled by its caller...
    let cancelled = tokio::time::timeout(Duration::from_millis(50), client.get(&url).send()).await;
    assert!(cancelled.is_err());
    // ...and the next request may probe at once, instead of meeting an
    // open circuit for another cool-down.
    let next = tokio::time::timeout(Duration::from_millis(50), client.get(&url).send()).await;
    assert!(
        next.is_err(),
        "refused at once: {:?}",
        next.unwrap().unwrap_err()
    );
}

#[tokio::test]
async fn the_attempt_that_opens_the_circuit_is_not_retried() {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let client = Client::builder()
        .retry(exact(3))
        .circuit_breaker(CircuitBreaker::default().consecutive_failures(1))
        .build()
        .unwrap();
    let url = format!("http://{addr}/");
    let err = client.get(&url).send().await.unwrap_err();
    assert!(err.is_connect(), "{err}");
    assert_eq!(err.attempts(), 1);
    assert!(err.to_string().contains("circuit opened"), "{err}");
    assert_eq!(client.stats().retries, 0);
    // Refused requests pay nothing into the budget.
    for _ in 0..20 {
        assert!(client.get(&url).send().await.unwrap_err().is_circuit_open());
    }
    let budget = client.host_stats(&url).unwrap().budget.unwrap();
    assert_eq!((budget.deposits, budget.withdrawals), (1, 0));
}

#[tokio::test]
async fn a_backend_that_drops_every_request_opens_the_circuit() {
    // Accepts, reads the request, closes: fresh connections, no answer.
    let server = Scripted::start(|mut stream, _| async move {
        let mut pending = Vec::new();
        read_request(&mut stream, &mut pending).await;
    })
    .await;
    let client = Client::builder()
        .retry(RetryPolicy::none())
        .circuit_breaker(CircuitBreaker::default().consecutive_failures(2))
        .build()
        .unwrap();
    for _ in 0..2 {
        let err = client.get(server.url("/")).send().await.unwrap_err();
        assert!(err.is_protocol(), "{err}");
    }
    let err = client.get(server.url("/")).send().await.unwrap_err();
    assert!(err.is_circuit_open(), "{err}");
}

#[tokio::test]
async fn attempts_count_per_hop_not_redirects() {
    let server = Scripted::start(|stream, _| async move {
        serve_each(stream, |req| {
            if req.head.starts_with("GET /b ") {
                ok("landed")
            } else {
                b"HTTP/1.1 302 Found\r\nLocation: /b\r\nContent-Length: 0\r\n\r\n".to_vec()
            }
        })
        .await
    })
    .await;
    let client = Client::new();
    let resp = client.get(server.url("/a")).send().await.unwrap();
    assert_eq!(resp.attempts(), 1);
    assert!(resp.retries().is_empty());
}

/// A caller's body stream that stalls past the write budget is the
/// caller's failure (the server did nothing wrong), yet it is reported as
/// a write timeout and counted against the host by the circuit breaker:
/// two stalled local readers open the circuit for a healthy server.
#[tokio::test]
async fn a_stalled_request_body_stream_does_not_open_the_hosts_circuit() {
    let server = Scripted::start(|stream, _| async move {
        serve_each(stream, |_| ok("fine")).await;
    })
    .await;
    let client = Client::builder()
        .timeouts(brisk::Timeouts {
            write: Some(Duration::from_millis(200)),
            ..brisk::Timeouts::default()
        })
        .circuit_breaker(brisk::CircuitBreaker::default().consecutive_failures(2))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    for _ in 0..2 {
        // A reader that never yields (a pipe whose writer went quiet).
        let (_keep, reader) = tokio::io::duplex(64);
        let err = client
            .post(server.url("/upload"))
            .body(Body::from_reader(reader))
            .send()
            .await
            .unwrap_err();
        // (It comes back as `Timeout { total: false }` in `Phase::Write`,
        // `is_body()` false: the caller cannot tell it from a slow server.)
        assert!(err.is_timeout() || err.is_body(), "{err:?}");
    }
    let resp = client.get(server.url("/")).send().await;
    assert!(
        resp.is_ok(),
        "a healthy host is refused after local body stalls: {:?}",
        resp.err()
    );
}
