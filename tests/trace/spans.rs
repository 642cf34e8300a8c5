//! The client's spans: one per attempt and per redirect hop, under one
//! parent, each with the `traceparent` its server saw.

use crate::support::server::{ok, serve_each, Scripted};
use brisk::trace::{MemorySink, Span, SpanKind, SpanStatus, TraceContext, TraceParent, Tracer};
use brisk::{Client, RetryPolicy};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// A server that answers the n-th request with `script[n]` (then `200`),
/// and records the `traceparent` and `tracestate` of each request.
pub(crate) async fn scripted(
    script: Vec<String>,
) -> (Scripted, Arc<Mutex<Vec<(Option<String>, Option<String>)>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let script = Arc::new(script);
    let server = Scripted::start(move |stream, _| {
        let (log, script) = (log.clone(), script.clone());
        async move {
            serve_each(stream, |req| {
                let mut log = log.lock().unwrap();
                let n = log.len();
                log.push((
                    req.header("traceparent").map(str::to_owned),
                    req.header("tracestate").map(str::to_owned),
                ));
                match script.get(n) {
                    Some(head) => head.clone().into_bytes(),
                    None => ok("done"),
                }
            })
            .await
        }
    })
    .await;
    (server, seen)
}

pub(crate) fn e503() -> String {
    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy".to_owned()
}

pub(crate) fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .attempts(3)
        .backoff(Duration::from_millis(1), Duration::from_millis(2))
}

fn traced(sink: &MemorySink) -> Client {
    Client::builder()
        .tracing(Tracer::new(sink.clone()))
        .retry(fast_retries())
        .build()
        .unwrap()
}

fn int(span: &Span, key: &str) -> Option<i64> {
    span.attribute(key).and_then(|v| v.as_int())
}

fn text<'a>(span: &'a Span, key: &str) -> Option<&'a str> {
    span.attribute(key).and_then(|v| v.as_str())
}

#[tokio::test]
async fn a_retried_call_is_three_spans_under_one_parent() {
    let (server, seen) = scripted(vec![e503(), e503()]).await;
    let sink = MemorySink::new();
    let client = traced(&sink);
    let parent = TraceContext::from_fields([PARENT], ["rojo=00f067aa0ba902b7,congo=t61"]).unwrap();
    let resp = client
        .get(server.url("/work"))
        .trace_parent(&parent)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let spans = sink.spans();
    assert_eq!(spans.len(), 3, "{spans:#?}");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    for (i, span) in spans.iter().enumerate() {
        assert_eq!(span.name, "GET");
        assert_eq!(span.kind, SpanKind::Client);
        assert_eq!(span.trace_id, parent.parent.trace_id);
        assert_eq!(span.parent_span_id, Some(parent.parent.parent_id));
        assert_eq!(int(span, "http.request.resend_count"), Some(i as i64));
        assert_eq!(text(span, "http.request.method"), Some("GET"));
        assert_eq!(text(span, "server.address"), Some("127.0.0.1"));
        assert_eq!(
            int(span, "server.port"),
            Some(i64::from(server.addr.port()))
        );
        assert_eq!(text(span, "network.protocol.version"), Some("1.1"));
        // What the server saw is this span, and the state went through.
        let (tp, ts) = &seen[i];
        let tp: TraceParent = tp.as_deref().unwrap().parse().unwrap();
        assert_eq!(tp, span.traceparent());
        assert_eq!(ts.as_deref(), Some("rojo=00f067aa0ba902b7,congo=t61"));
        assert_eq!(
            span.trace_state.to_string(),
            "rojo=00f067aa0ba902b7,congo=t61"
        );
    }
    // Each attempt its own span id.
    assert_ne!(spans[0].span_id, spans[1].span_id);
    assert_ne!(spans[1].span_id, spans[2].span_id);
    for failed in &spans[..2] {
        assert_eq!(int(failed, "http.response.status_code"), Some(503));
        assert_eq!(text(failed, "error.type"), Some("503"));
        assert!(matches!(failed.status, SpanStatus::Error(_)));
        let event = &failed.events[0];
        assert_eq!(event.name, "brisk.retry.scheduled");
    }
    assert_eq!(int(&spans[2], "http.response.status_code"), Some(200));
    assert_eq!(spans[2].status, SpanStatus::Unset);
    assert!(spans[2].events.is_empty());
    // Spans do not overlap: each ended before the next began.
    assert!(spans[0].end <= spans[1].start && spans[1].end <= spans[2].start);
}

#[tokio::test]
async fn without_a_parent_a_new_trace_starts_and_its_attempts_share_it() {
    let (server, seen) = scripted(vec![e503()]).await;
    let sink = MemorySink::new();
    let client = traced(&sink);
    client.get(server.url("/")).send().await.unwrap();
    let spans = sink.spans();
    assert_eq!(spans.len(), 2);
    assert_eq!(spans[0].trace_id, spans[1].trace_id);
    assert!(spans.iter().all(|s| s.parent_span_id.is_none()));
    let seen = seen.lock().unwrap();
    for (span, (tp, ts)) in spans.iter().zip(seen.iter()) {
        let tp: TraceParent = tp.as_deref().unwrap().parse().unwrap();
        assert_eq!(tp, span.traceparent());
        // Sampled, and (Level 2) the trace id is random.
        assert!(tp.flags.is_sampled() && tp.flags.is_random());
        assert_eq!(ts, &None);
    }
}

#[tokio::test]
async fn a_redirect_is_a_span_per_hop_each_with_its_own_traceparent() {
    let (target, target_seen) = scripted(vec![]).await;
    let to = target.url("/final?token=secret");
    let hop = format!("HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\n\r\n");
    let (first, first_seen) = scripted(vec![hop]).await;
    let sink = MemorySink::new();
    let client = traced(&sink);
    let parent = TraceContext::from_fields([PARENT], []).unwrap();
    let resp = client
        .get(first.url("/start"))
        .trace_parent(&parent)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let spans = sink.spans();
    assert_eq!(spans.len(), 2, "{spans:#?}");
    assert_eq!(int(&spans[0], "http.response.status_code"), Some(302));
    assert_eq!(int(&spans[1], "http.response.status_code"), Some(200));
    assert_eq!(int(&spans[1], "http.request.resend_count"), Some(1));
    assert!(spans
        .iter()
        .all(|s| s.parent_span_id == Some(parent.parent.parent_id)));
    let first_tp: TraceParent = first_seen.lock().unwrap()[0]
        .0
        .as_deref()
        .unwrap()
        .parse()
        .unwrap();
    let target_tp: TraceParent = target_seen.lock().unwrap()[0]
        .0
        .as_deref()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(first_tp, spans[0].traceparent());
    assert_eq!(target_tp, spans[1].traceparent());
    assert_eq!(
        text(&spans[1], "url.full"),
        Some(
            format!(
                "http://127.0.0.1:{}/final?token=REDACTED",
                target.addr.port()
            )
            .as_str()
        )
    );
}

#[tokio::test]
async fn credentials_never_appear_in_url_full() {
    let (server, _) = scripted(vec![]).await;
    let sink = MemorySink::new();
    let client = traced(&sink);
    let port = server.addr.port();
    let url = format!("http://alice:hunter2@127.0.0.1:{port}/p?api_key=sk-123&x=1");
    client.get(&url).send().await.unwrap();
    let span = &sink.spans()[0];
    let full = text(span, "url.full").unwrap();
    assert_eq!(
        full,
        format!("http://REDACTED:REDACTED@127.0.0.1:{port}/p?api_key=REDACTED&x=REDACTED")
    );
    let debug = format!("{:?}", sink.spans());
    for secret in ["alice", "hunter2", "sk-123"] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
}

#[tokio::test]
async fn a_failed_attempt_is_an_error_span_with_its_error_type() {
    // A port nothing listens on: bound, then closed.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let sink = MemorySink::new();
    let client = Client::builder()
        .tracing(Tracer::new(sink.clone()))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let err = client
        .get(format!("http://127.0.0.1:{port}/"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect());
    let spans = sink.spans();
    assert_eq!(spans.len(), 1);
    assert_eq!(text(&spans[0], "error.type"), Some("connect"));
    assert!(matches!(&spans[0].status, SpanStatus::Error(m) if !m.is_empty()));
}

#[tokio::test]
async fn an_unsampled_parent_records_nothing_but_still_propagates() {
    let (server, seen) = scripted(vec![]).await;
    let sink = MemorySink::new();
    let client = traced(&sink);
    let parent: TraceContext = TraceContext::new(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
            .parse()
            .unwrap(),
    );
    client
        .get(server.url("/"))
        .trace_parent(&parent)
        .send()
        .await
        .unwrap();
    assert!(sink.is_empty());
    let tp: TraceParent = seen.lock().unwrap()[0]
        .0
        .as_deref()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(tp.trace_id, parent.parent.trace_id);
    assert_ne!(tp.parent_id, parent.parent.parent_id);
    assert!(!tp.flags.is_sampled());
}

#[tokio::test]
async fn without_tracing_the_callers_context_goes_out_as_it_is() {
    let (server, seen) = scripted(vec![]).await;
    let parent = TraceContext::from_fields([PARENT], ["rojo=1"]).unwrap();
    Client::new()
        .get(server.url("/"))
        .trace_parent(&parent)
        .send()
        .await
        .unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].0.as_deref(), Some(PARENT));
    assert_eq!(seen[0].1.as_deref(), Some("rojo=1"));
}
