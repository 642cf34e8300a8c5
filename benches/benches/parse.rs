//! Parsing one realistic response head: brisk's codec against httparse.
//!
//! The input is the same 298-byte head with 8 header fields for every
//! parser, passed through `black_box` so the compiler cannot fold it.
//! Throughput is reported in bytes of head parsed.
//!
//! - `httparse`: `httparse::Response::parse` into a stack array of 16
//!   `httparse::Header`s; borrows the input, never allocates.
//! - `brisk_parse_head`: `brisk::h1::parse_head` into a stack array of 16
//!   `HeaderSpan`s; borrows the input, never allocates. The like-for-like
//!   comparison with httparse.
//! - `brisk_decoder_allocating`: a fresh `brisk::h1::ResponseDecoder` decoding
//!   the head into an owned `ResponseHead` (copies the head bytes, collects
//!   the spans in a `Vec`, then decides the body framing). This is what the
//!   client pays per response; it allocates, so it is not comparable with the
//!   two above one for one.
//!
//! Run: `cargo bench --bench parse` (from `benches/`).

use brisk::h1::{parse_head, Event, HeaderSpan, Limits, ResponseDecoder, Status};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

/// 298 bytes, 8 header fields: the kind of head a JSON API behind nginx sends.
const HEAD: &[u8] = b"HTTP/1.1 200 OK\r\n\
Date: Mon, 24 Nov 2025 20:57:13 GMT\r\n\
Content-Type: application/json; charset=utf-8\r\n\
Content-Length: 1843\r\n\
Connection: keep-alive\r\n\
Server: nginx/1.27.3\r\n\
Cache-Control: private, max-age=0, must-revalidate\r\n\
X-Request-Id: 7f3c9a2e-51b4-4d0e-9c88-0b6f2d1a4e57\r\n\
Vary: Accept-Encoding\r\n\
\r\n";

fn httparse_head(buf: &[u8]) -> (u16, usize, usize) {
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut resp = httparse::Response::new(&mut headers);
    match resp.parse(buf) {
        Ok(httparse::Status::Complete(len)) => (resp.code.unwrap_or(0), resp.headers.len(), len),
        _ => panic!("httparse failed on the bench input"),
    }
}

fn brisk_head(buf: &[u8], limits: &Limits) -> (u16, usize, usize) {
    let mut slots = [HeaderSpan::default(); 16];
    match parse_head(buf, &mut slots, limits) {
        Ok(Status::Complete(head)) => (head.status, head.headers.len(), head.len),
        _ => panic!("brisk::h1::parse_head failed on the bench input"),
    }
}

fn brisk_decoder(buf: &[u8], limits: &Limits) -> (u16, usize, usize) {
    let mut dec = ResponseDecoder::new(limits.clone());
    match dec.decode(buf) {
        Ok(step) => match step.event {
            Some(Event::Head(head)) => (head.status, head.headers.len(), step.consumed),
            other => panic!("expected a head, got {other:?}"),
        },
        Err(e) => panic!("brisk::h1::ResponseDecoder failed on the bench input: {e}"),
    }
}

fn parse(c: &mut Criterion) {
    assert_eq!(HEAD.len(), 298);
    let limits = Limits::default();
    // All three must agree on what they parsed, or the race is not fair.
    let expected = (200, 8, HEAD.len());
    assert_eq!(httparse_head(HEAD), expected);
    assert_eq!(brisk_head(HEAD, &limits), expected);
    assert_eq!(brisk_decoder(HEAD, &limits), expected);

    let mut group = c.benchmark_group("parse_head_298b_8h");
    group.throughput(Throughput::Bytes(HEAD.len() as u64));
    group.bench_function("httparse", |b| b.iter(|| httparse_head(black_box(HEAD))));
    group.bench_function("brisk_parse_head", |b| {
        b.iter(|| brisk_head(black_box(HEAD), &limits))
    });
    group.bench_function("brisk_decoder_allocating", |b| {
        b.iter(|| brisk_decoder(black_box(HEAD), &limits))
    });
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
