//! Parsing server-sent events: brisk's `sse::Parser` against the
//! `eventsource-stream` crate, on the same bytes cut into the same pieces.
//!
//! Two inputs:
//!
//! - `sse_8mib_line`: one event whose single `data` line is 8 MiB, fed
//!   whole, in 1,024 pieces of 8 KiB (as a socket delivers it), and, for
//!   brisk only, one byte at a time. A parser that re-scans its buffered
//!   bytes on every feed is quadratic here; one that resumes where its scan
//!   stopped costs the same in 1 or 1,024 pieces.
//! - `sse_chat_stream`: a realistic streamed chat reply built from the
//!   OpenAI fixture (`tests/fixtures/chat/openai_stream.sse`): 1,000
//!   content-delta events of about 260 bytes, the finish chunk, the usage
//!   chunk and `[DONE]`, fed one event per piece (servers flush per token)
//!   and whole.
//!
//! Each side is used the way its documentation shows: brisk pushes each
//! piece and drains `next_event` (events borrow the parser's buffers);
//! eventsource-stream adapts a `futures::stream::iter` of the pieces and is
//! driven to its end by `futures::executor::block_on` (each event is an
//! owned `String` trio). Both must agree on the events (count and data
//! bytes) before anything is timed. Throughput is in bytes of input.
//!
//! Run: `cargo bench --bench sse` (from `benches/`).

use brisk::sse::Parser;
use criterion::{black_box, criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use eventsource_stream::Eventsource;
use futures::StreamExt;
use std::convert::Infallible;
use std::time::Duration;

const OPENAI_STREAM: &str = include_str!("../../tests/fixtures/chat/openai_stream.sse");

/// (events, data bytes): what both parsers must agree on.
type Seen = (usize, usize);

fn brisk(pieces: &[&[u8]]) -> Seen {
    let mut parser = Parser::new();
    let mut seen = (0, 0);
    for piece in pieces {
        parser.push(piece);
        while let Some(event) = parser
            .next_event()
            .expect("brisk failed on the bench input")
        {
            seen.0 += 1;
            seen.1 += black_box(event.data).len();
        }
    }
    assert!(parser.finish().is_clean());
    seen
}

fn eventsource_stream(pieces: &[&[u8]]) -> Seen {
    let chunks = futures::stream::iter(pieces.iter().map(Ok::<_, Infallible>));
    let mut events = chunks.eventsource();
    futures::executor::block_on(async {
        let mut seen = (0, 0);
        while let Some(event) = events.next().await {
            let event = event.expect("eventsource-stream failed on the bench input");
            seen.0 += 1;
            seen.1 += black_box(event.data).len();
        }
        seen
    })
}

/// `data: xxx…x\n\n`, 8 MiB in all.
fn one_long_line() -> Vec<u8> {
    let mut input = b"data: ".to_vec();
    input.resize(8 << 20, b'x');
    input.extend_from_slice(b"\n\n");
    input
}

/// 1,000 content deltas shaped like the fixture's, then the fixture's
/// finish chunk, usage chunk and `[DONE]`. One piece per event.
fn chat_stream() -> Vec<Vec<u8>> {
    let events: Vec<&str> = OPENAI_STREAM
        .split_inclusive("\n\n")
        .filter(|e| e.starts_with("data: "))
        .collect();
    let delta = events
        .iter()
        .find(|e| e.contains(r#""content":"Hello""#))
        .expect("the fixture has a \"Hello\" delta");
    let mut pieces: Vec<Vec<u8>> = (0..1000)
        .map(|i| {
            delta
                .replace(r#""content":"Hello""#, &format!(r#""content":" token{i}""#))
                .into_bytes()
        })
        .collect();
    // The finish chunk, the usage chunk and [DONE]: the fixture's last three.
    pieces.extend(
        events[events.len() - 3..]
            .iter()
            .map(|e| e.as_bytes().to_vec()),
    );
    pieces
}

fn bench_pair(
    c: &mut Criterion,
    group: &str,
    input_len: usize,
    cases: &[(&str, Vec<&[u8]>)],
    brisk_only: &[(&str, Vec<&[u8]>)],
) {
    let mut group = c.benchmark_group(group);
    group.throughput(Throughput::Bytes(input_len as u64));
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.measurement_time(Duration::from_secs(5));
    for (name, pieces) in cases {
        group.bench_function(format!("brisk/{name}"), |b| b.iter(|| brisk(pieces)));
        group.bench_function(format!("eventsource_stream/{name}"), |b| {
            b.iter(|| eventsource_stream(pieces))
        });
    }
    for (name, pieces) in brisk_only {
        group.bench_function(format!("brisk/{name}"), |b| b.iter(|| brisk(pieces)));
    }
    group.finish();
}

fn sse(c: &mut Criterion) {
    let line = one_long_line();
    let expected = (1, line.len() - 8);
    let whole: Vec<&[u8]> = vec![&line];
    let pieces_1024: Vec<&[u8]> = line.chunks(line.len().div_ceil(1024)).collect();
    let bytes: Vec<&[u8]> = line.chunks(1).collect();
    assert_eq!(pieces_1024.len(), 1024);
    for pieces in [&whole, &pieces_1024] {
        assert_eq!(brisk(pieces), expected);
        assert_eq!(eventsource_stream(pieces), expected);
    }
    assert_eq!(brisk(&bytes), expected);
    bench_pair(
        c,
        "sse_8mib_line",
        line.len(),
        &[("whole", whole), ("1024_pieces", pieces_1024)],
        &[("1_byte_pieces", bytes)],
    );

    let chat = chat_stream();
    let joined = chat.concat();
    let per_event: Vec<&[u8]> = chat.iter().map(Vec::as_slice).collect();
    let whole: Vec<&[u8]> = vec![&joined];
    let seen = brisk(&per_event);
    assert_eq!(seen.0, 1003);
    for pieces in [&per_event, &whole] {
        assert_eq!(brisk(pieces), seen);
        assert_eq!(eventsource_stream(pieces), seen);
    }
    bench_pair(
        c,
        "sse_chat_stream",
        joined.len(),
        &[("per_event", per_event), ("whole", whole)],
        &[],
    );
}

criterion_group!(benches, sse);
criterion_main!(benches);
