//! The OTLP/HTTP JSON exporter against loopback collectors: the schema
//! (the official protobuf definitions, through Python), the queue, a dead
//! collector, retries and headers.

use crate::spans::{e503, fast_retries, scripted};
use crate::support::server::{serve_each, Received, Scripted};
use brisk::trace::{MemorySink, OtlpExporter, Span, SpanSink, TraceContext, TraceParent, Tracer};
use brisk::Client;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;

const PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// A collector that answers the n-th POST with `script[n]` (then `200
/// {}`) and keeps every request.
async fn collector(script: Vec<String>) -> (Scripted, Arc<Mutex<Vec<Received>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let log = got.clone();
    let script = Arc::new(script);
    let server = Scripted::start(move |stream, _| {
        let (log, script) = (log.clone(), script.clone());
        async move {
            serve_each(stream, |req| {
                let mut log = log.lock().unwrap();
                let n = log.len();
                log.push(req.clone());
                match script.get(n) {
                    Some(answer) => answer.clone().into_bytes(),
                    None => b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}".to_vec(),
                }
            })
            .await
        }
    })
    .await;
    (server, got)
}

/// A collector that accepts connections, reads, and never answers.
async fn black_hole() -> Scripted {
    Scripted::start(|mut stream, _| async move {
        let mut buf = [0u8; 4096];
        while stream.read(&mut buf).await.is_ok_and(|n| n > 0) {}
    })
    .await
}

/// The Python with `opentelemetry-proto`: `BRISK_OTLP_PYTHON`, else the
/// virtualenv `.ci/run` makes (`$CARGO_TARGET_DIR/otlp-venv`).
fn otlp_python() -> Option<PathBuf> {
    let candidate = match std::env::var_os("BRISK_OTLP_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
            target.join("otlp-venv/bin/python")
        }
    };
    let works = std::process::Command::new(&candidate)
        .args([
            "-c",
            "import opentelemetry.proto.collector.trace.v1.trace_service_pb2",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    if works {
        return Some(candidate);
    }
    let msg = format!(
        "no Python with opentelemetry-proto at {} (set BRISK_OTLP_PYTHON, or make the venv as .ci/run does)",
        candidate.display()
    );
    if std::env::var("BRISK_REQUIRE_OTLP_PROTO").is_ok_and(|v| v == "1") {
        panic!("{msg}");
    }
    eprintln!("SKIPPED: {msg}");
    None
}

/// Runs the schema check on `bodies`; every span as (trace, span, parent,
/// name, kind).
fn validate(python: &PathBuf, bodies: &[Vec<u8>]) -> Vec<(String, String, String, String, i64)> {
    let dir = std::env::temp_dir().join(format!("brisk-otlp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        let f = dir.join(format!("export-{i}.json"));
        std::fs::write(&f, body).unwrap();
        files.push(f);
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/trace/validate_otlp.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .args(&files)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "the schema refused the export: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn the_export_passes_the_official_schema_and_links_what_servers_saw() {
    let Some(python) = otlp_python() else {
        return;
    };
    let (collector, posts) = collector(vec![]).await;
    let exporter = OtlpExporter::builder()
        .endpoint(&collector.url(""))
        .header("api-key", "vendor-secret")
        .service_name("trace-test")
        .schedule_delay(Duration::from_secs(3600))
        .build()
        .unwrap();
    let client = Client::builder()
        .tracing(Tracer::new(exporter.clone()))
        .retry(fast_retries())
        .build()
        .unwrap();
    // A retried call (503, 503, 200) and a redirect, under one parent.
    let (app, app_seen) = scripted(vec![e503(), e503()]).await;
    let (target, target_seen) = scripted(vec![]).await;
    let hop = format!(
        "HTTP/1.1 302 Found\r\nLocation: {}\r\nContent-Length: 0\r\n\r\n",
        target.url("/to")
    );
    let (redirecting, redirect_seen) = scripted(vec![hop]).await;
    let parent = TraceContext::from_fields([PARENT], ["rojo=1"]).unwrap();
    for url in [app.url("/retried"), redirecting.url("/from")] {
        let resp = client.get(url).trace_parent(&parent).send().await.unwrap();
        assert_eq!(resp.status(), 200);
    }
    exporter.flush().await;
    // A second flush: had the first export been traced, its span would go now.
    exporter.flush().await;
    let stats = exporter.stats();
    assert_eq!((stats.exported, stats.dropped, stats.failed), (5, 0, 0));

    let posts = posts.lock().unwrap().clone();
    assert_eq!(posts.len(), 1, "one batch");
    let post = &posts[0];
    assert!(
        post.request_line().starts_with("POST /v1/traces "),
        "{}",
        post.head
    );
    assert_eq!(post.header("content-type"), Some("application/json"));
    assert_eq!(post.header("api-key"), Some("vendor-secret"));
    assert_eq!(
        post.header("traceparent"),
        None,
        "the exporter's requests are not traced"
    );

    let spans = validate(&python, std::slice::from_ref(&post.body));
    assert_eq!(spans.len(), 5);
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    for (t, _, p, name, kind) in &spans {
        assert_eq!(
            (t.as_str(), p.as_str(), name.as_str(), *kind),
            (trace, "00f067aa0ba902b7", "GET", 3)
        );
    }
    // Every traceparent a server saw is one exported span, and each span
    // was seen once.
    let mut seen: Vec<String> = Vec::new();
    for log in [&app_seen, &redirect_seen, &target_seen] {
        for (tp, ts) in log.lock().unwrap().iter() {
            let tp: TraceParent = tp.as_deref().unwrap().parse().unwrap();
            assert_eq!(tp.trace_id.to_hex(), trace);
            assert_eq!(ts.as_deref(), Some("rojo=1"));
            seen.push(tp.parent_id.to_hex());
        }
    }
    let mut exported: Vec<String> = spans.iter().map(|s| s.1.clone()).collect();
    seen.sort();
    exported.sort();
    assert_eq!(seen, exported);
    exporter.shutdown().await;
}

fn a_span() -> Span {
    let sink = MemorySink::new();
    let tracer = Tracer::new(sink.clone());
    tracer
        .start_span("op", brisk::trace::SpanKind::Internal, None)
        .end();
    sink.take().remove(0)
}

#[tokio::test(flavor = "current_thread")]
async fn a_full_queue_drops_and_counts() {
    let hole = black_hole().await;
    let exporter = OtlpExporter::builder()
        .endpoint(&hole.url(""))
        .queue_size(3)
        .batch_size(1)
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    // On this one thread the exporter's task cannot run between these
    // calls: the queue takes 3, the other 7 are dropped at once.
    for _ in 0..10 {
        exporter.export(a_span());
    }
    assert_eq!(exporter.stats().dropped, 7);
    // The 3 queued go to a collector that never answers: each export
    // times out and is counted failed.
    exporter.shutdown().await;
    let stats = exporter.stats();
    assert_eq!((stats.dropped, stats.failed, stats.exported), (7, 3, 0));
    // After shutdown, spans are dropped and counted.
    exporter.export(a_span());
    assert_eq!(exporter.stats().dropped, 8);
}

#[tokio::test]
async fn a_dead_collector_neither_blocks_nor_slows_requests() {
    let hole = black_hole().await;
    // An export waits up to a minute on the collector: were requests to
    // wait on it, the 200 below could not finish in the bound.
    let exporter = OtlpExporter::builder()
        .endpoint(&hole.url(""))
        .queue_size(16)
        .batch_size(4)
        .schedule_delay(Duration::from_millis(1))
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let client = Client::builder()
        .tracing(Tracer::new(exporter.clone()))
        .build()
        .unwrap();
    let (app, _) = scripted(vec![]).await;
    let t = Instant::now();
    for _ in 0..200 {
        let resp = client.get(app.url("/")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        resp.bytes().await.unwrap();
    }
    let took = t.elapsed();
    assert!(took < Duration::from_secs(30), "{took:?}");
    let stats = exporter.stats();
    assert_eq!(stats.exported, 0);
    // The export in flight took at most a queue's worth, and the queue
    // holds 16 more: the rest was dropped.
    assert!(stats.dropped >= 200 - 16 - 16, "{stats:?}");
}

#[tokio::test]
async fn a_503_is_retried_after_its_retry_after_and_a_400_is_not() {
    let busy = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n";
    let (collector, posts) = collector(vec![busy.to_owned()]).await;
    let exporter = OtlpExporter::builder()
        .endpoint(&collector.url(""))
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(2))
        .build()
        .unwrap();
    exporter.export(a_span());
    let t = Instant::now();
    exporter.flush().await;
    // Waited as told (a second), not the 1 ms backoff.
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(posts.lock().unwrap().len(), 2);
    assert_eq!(exporter.stats().exported, 1);
    assert_eq!(exporter.stats().batches, 1);

    let bad = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    let (collector, posts) = collector_with(bad).await;
    let exporter = OtlpExporter::builder()
        .endpoint(&collector.url(""))
        .build()
        .unwrap();
    exporter.export(a_span());
    exporter.flush().await;
    assert_eq!(posts.lock().unwrap().len(), 1, "a 400 is not retried");
    assert_eq!(exporter.stats().failed, 1);
}

async fn collector_with(answer: &str) -> (Scripted, Arc<Mutex<Vec<Received>>>) {
    collector(vec![answer.to_owned(); 8]).await
}

#[tokio::test]
async fn the_last_handle_dropped_sends_what_is_queued() {
    let (collector, posts) = collector(vec![]).await;
    let exporter = OtlpExporter::builder()
        .endpoint(&collector.url(""))
        .schedule_delay(Duration::from_secs(3600))
        .build()
        .unwrap();
    exporter.export(a_span());
    exporter.export(a_span());
    drop(exporter);
    // Generous: the background task needs only its turn and one POST.
    let t = Instant::now();
    while posts.lock().unwrap().is_empty() && t.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let posts = posts.lock().unwrap();
    assert_eq!(posts.len(), 1);
    let body: serde_json::Value = serde_json::from_slice(&posts[0].body).unwrap();
    let spans = &body["resourceSpans"][0]["scopeSpans"][0]["spans"];
    assert_eq!(spans.as_array().unwrap().len(), 2);
}
