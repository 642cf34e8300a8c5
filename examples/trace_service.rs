//! The test service of the W3C Trace Context test suite
//! (`tests/w3c/harness/test.py`), with brisk as its HTTP client.
//!
//! ```text
//! cargo run --example trace_service -- 127.0.0.1:5000
//! ```
//!
//! It serves `POST /test` (any path) with hyper. The body is a JSON array
//! of `{"url": ..., "arguments": ...}`; for each element it POSTs
//! `arguments` as JSON to `url` with brisk, as a child of the context the
//! incoming request carried: every `traceparent` and `tracestate` field
//! is read by brisk's parser ([`TraceContext::from_fields`]), and the
//! outgoing request gets its own span id through brisk's tracing. An
//! invalid or missing context starts a new trace. Prints
//! `listening on http://ADDR` once ready.

use brisk::trace::{Span, SpanSink, TraceContext, Tracer};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use std::convert::Infallible;

/// The spans are not the point here: the headers are.
struct Discard;

impl SpanSink for Discard {
    fn export(&self, _: Span) {}
}

async fn handle(
    client: brisk::Client,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let text = |v: &hyper::header::HeaderValue| v.to_str().unwrap_or("\u{0}").to_owned();
    let parents: Vec<String> = req
        .headers()
        .get_all("traceparent")
        .iter()
        .map(text)
        .collect();
    let states: Vec<String> = req
        .headers()
        .get_all("tracestate")
        .iter()
        .map(text)
        .collect();
    let parent = TraceContext::from_fields(
        parents.iter().map(String::as_str),
        states.iter().map(String::as_str),
    );
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(answer(400, "unreadable body")),
    };
    let Ok(serde_json::Value::Array(actions)) = serde_json::from_slice(&body) else {
        return Ok(answer(400, "expected a JSON array"));
    };
    for action in actions {
        let Some(url) = action.get("url").and_then(|u| u.as_str()) else {
            continue;
        };
        let arguments = action
            .get("arguments")
            .cloned()
            .unwrap_or(serde_json::Value::Array(Vec::new()));
        let mut call = client.post(url).json(&arguments);
        if let Some(parent) = &parent {
            call = call.trace_parent(parent);
        }
        match call.send().await {
            Ok(resp) => drop(resp.bytes().await),
            Err(e) => eprintln!("POST {url}: {e}"),
        }
    }
    Ok(answer(200, "{}"))
}

fn answer(status: u16, body: &'static str) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or_default();
    resp.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/json"),
    );
    resp
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:5000".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    let client = brisk::Client::builder()
        .tracing(Tracer::new(Discard))
        .build()?;
    loop {
        let (stream, _) = listener.accept().await?;
        let client = client.clone();
        tokio::spawn(async move {
            let io = hyper_util::rt::TokioIo::new(stream);
            let service = hyper::service::service_fn(move |req| handle(client.clone(), req));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await;
        });
    }
}
