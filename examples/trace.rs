//! Attempt events as a tracer would use them: a W3C `traceparent` is set
//! on every attempt (a new span id each time, one trace id for the
//! request), and each event prints one line.
//!
//! ```text
//! cargo run --example trace
//! ```
//!
//! It starts its own loopback server, which answers the first request
//! `503` with `Retry-After: 1` and then `200`, and echoes the
//! `traceparent` it received in an `X-Seen-Traceparent` header.

use brisk::header::HeaderValue;
use brisk::{Client, Event};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = serve_once_busy()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let started = Instant::now();
        let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
        let span = AtomicU64::new(0x00f067aa0ba902b7);
        let client = Client::builder()
            .on_event(move |event| {
                let at = started.elapsed().as_secs_f64() * 1000.0;
                match event {
                    Event::RequestStart {
                        method,
                        url,
                        attempt,
                        headers,
                    } => {
                        let span_id = span.fetch_add(1, Ordering::Relaxed);
                        let parent = format!("00-{trace_id}-{span_id:016x}-01");
                        // Set, not added: the field persists into later attempts.
                        let value = HeaderValue::try_from(parent.as_str()).expect("hex and dashes");
                        headers.insert("traceparent", value);
                        println!("{at:8.1} ms  start     attempt {attempt} {method} {url} traceparent={parent}");
                    }
                    Event::Connected {
                        attempt,
                        reused,
                        timings,
                        ..
                    } => println!(
                        "{at:8.1} ms  connected attempt {attempt} reused={reused} connect={:?}",
                        timings.connect
                    ),
                    Event::ResponseHead {
                        attempt,
                        status,
                        ttfb,
                        ..
                    } => println!("{at:8.1} ms  head      attempt {attempt} {status} ttfb={ttfb:?}"),
                    Event::RetryScheduled {
                        attempt,
                        delay,
                        reason,
                        hinted,
                        ..
                    } => println!(
                        "{at:8.1} ms  retry     after attempt {attempt}: {reason}, waiting {delay:?}{}",
                        if *hinted { " (server's hint)" } else { "" }
                    ),
                    Event::BodyEnd {
                        status, reusable, ..
                    } => println!("{at:8.1} ms  body end  {status} reusable={reusable}"),
                    Event::Error {
                        attempt,
                        error,
                        progress,
                        ..
                    } => println!("{at:8.1} ms  error     attempt {attempt} ({progress:?}): {error:#}"),
                    Event::Circuit {
                        origin, transition, ..
                    } => println!("{at:8.1} ms  circuit   {origin}: {transition}"),
                    other => println!("{at:8.1} ms  {other:?}"),
                }
            })
            .build()?;
        let resp = client.get(format!("http://{addr}/v1/models")).send().await?;
        let seen = resp
            .headers()
            .get("x-seen-traceparent")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let attempts = resp.attempts();
        let body = resp.text().await?;
        println!("server saw traceparent={seen}");
        println!("{attempts} attempts; body: {body}");
        Ok(())
    })
}

/// A loopback server on its own thread: `503` with `Retry-After: 1` to
/// the first request, `200` after; each answer echoes the traceparent.
fn serve_once_busy() -> std::io::Result<std::net::SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        let mut served = 0;
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                    match stream.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                    continue;
                };
                let head = String::from_utf8_lossy(&buf[..end]).to_string();
                buf.drain(..end + 4);
                let parent = head
                    .lines()
                    .find_map(|l| l.strip_prefix("traceparent: "))
                    .unwrap_or("-")
                    .to_string();
                served += 1;
                let (status, extra, body) = if served == 1 {
                    ("503 Service Unavailable", "Retry-After: 1\r\n", "busy")
                } else {
                    ("200 OK", "", "{\"data\":[]}")
                };
                let answer = format!(
                    "HTTP/1.1 {status}\r\n{extra}X-Seen-Traceparent: {parent}\r\n\
                     Content-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                if stream.write_all(answer.as_bytes()).is_err() {
                    break;
                }
            }
        }
    });
    Ok(addr)
}
