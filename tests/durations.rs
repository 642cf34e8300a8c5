//! Every duration a caller can set, at its largest, over real sockets:
//! `Duration::MAX` (too large to add to any clock) and 2⁴⁰ s (large, but
//! addable) both mean "no limit", and never a panic. The client's budgets,
//! the pool's idle and wait limits, the retry policy's backoff and hint
//! limit, the retry budget's window, the circuit breaker's window and
//! cool-down, and the chat client's timeout.

mod support;

use brisk::{CircuitBreaker, Client, RetryBudget, RetryPolicy, Timeouts};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::server::{ok, serve_each, Scripted};

const LARGEST: [Duration; 2] = [Duration::MAX, Duration::from_secs(1 << 40)];

/// Answers the first request with a 503 (no hint), and every later one
/// with `200 OK`.
async fn fails_once() -> Scripted {
    let served = Arc::new(AtomicUsize::new(0));
    Scripted::start(move |stream, _| {
        let served = served.clone();
        async move {
            serve_each(stream, |_| {
                if served.fetch_add(1, Ordering::SeqCst) == 0 {
                    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy".to_vec()
                } else {
                    ok("fine")
                }
            })
            .await
        }
    })
    .await
}

#[tokio::test]
async fn the_largest_durations_are_no_limits() {
    for d in LARGEST {
        let server = fails_once().await;
        // The smallest draw: the backoff is computed from the largest
        // base and cap, and waited out in a nanosecond.
        let policy = RetryPolicy::default()
            .backoff(d, d)
            .max_retry_after(d)
            .budget(RetryBudget::default().window(d))
            .with_rng(|| 0);
        let client = Client::builder()
            .timeout(d)
            .connect_timeout(d)
            .tls_timeout(d)
            .write_timeout(d)
            .read_timeout(d)
            .pool_wait_timeout(d)
            .pool_idle_timeout(d)
            .pool_max_per_host(1)
            .retry(policy)
            .circuit_breaker(
                CircuitBreaker::default()
                    .failure_ratio(0.5, 100, d)
                    .cool_down(d),
            )
            .build()
            .unwrap();
        // The 503 is retried after the computed backoff.
        let resp = client.get(server.url("/")).send().await.unwrap();
        assert_eq!((resp.status().as_u16(), resp.attempts()), (200, 2));
        assert_eq!(resp.text().await.unwrap(), "fine");
        // Two at once on one connection: the second waits in the pool.
        let all = Timeouts {
            total: Some(d),
            connect: Some(d),
            tls: Some(d),
            write: Some(d),
            read: Some(d),
            pool_wait: Some(d),
        };
        let read = |request: brisk::RequestBuilder| async move {
            request.send().await.unwrap().text().await.unwrap()
        };
        let (a, b) = tokio::join!(
            read(client.get(server.url("/a")).timeout(d)),
            read(client.get(server.url("/b")).timeouts(all)),
        );
        assert_eq!((a.as_str(), b.as_str()), ("fine", "fine"));
        assert_eq!(server.accepted(), 1, "the idle connection was kept");
        let host = client.host_stats(server.url("/")).unwrap();
        assert!(host.budget.is_some() && host.circuit.is_some(), "{host:?}");
    }
}

#[tokio::test]
async fn a_circuit_open_for_ever_fails_fast() {
    for d in LARGEST {
        let server = Scripted::start(|stream, _| {
            serve_each(stream, |_| {
                b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n".to_vec()
            })
        })
        .await;
        let client = Client::builder()
            .retry(RetryPolicy::none())
            .circuit_breaker(
                CircuitBreaker::default()
                    .consecutive_failures(1)
                    .cool_down(d),
            )
            .build()
            .unwrap();
        let resp = client.get(server.url("/")).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 500);
        let err = client.get(server.url("/")).send().await.unwrap_err();
        assert!(err.is_circuit_open(), "{err:?}");
        let retry_at = err.retry_at().unwrap();
        assert!(retry_at > std::time::Instant::now() + Duration::from_secs(86_400 * 365));
        assert!(!err.to_string().is_empty());
        let host = client.host_stats(server.url("/")).unwrap();
        let circuit = host.circuit.unwrap();
        assert_eq!(circuit.state, brisk::CircuitState::Open);
        assert_eq!((circuit.opened, circuit.rejected), (1, 1));
        assert_eq!(server.accepted(), 1);
    }
}

#[cfg(feature = "json")]
#[tokio::test]
async fn a_chat_timeout_of_the_largest_duration_is_no_limit() {
    use brisk::chat::{Chat, ChatOptions, Provider};
    let completion = r#"{"choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}"#;
    let stream =
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\ndata: [DONE]\n\n";
    let server = Scripted::start(move |stream_, _| {
        serve_each(stream_, move |req| {
            let (kind, body) = if req.body.windows(13).any(|w| w == b"\"stream\":true") {
                ("text/event-stream", stream)
            } else {
                ("application/json", completion)
            };
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes()
        })
    })
    .await;
    for d in LARGEST {
        let chat = Chat::builder(Provider::Custom(server.url("/v1")))
            .model("m")
            .timeout(d)
            .retry(RetryPolicy::default().backoff(d, d).max_retry_after(d))
            .build();
        assert_eq!(chat.chat("hello").await.unwrap().content, "hi");
        let reply = chat
            .stream("hello", ChatOptions::default())
            .await
            .unwrap()
            .collect_reply()
            .await
            .unwrap();
        assert_eq!(reply.content, "hi");
    }
}
