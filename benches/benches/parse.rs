//! Parsing one realistic response head: brisk's codec against httparse.
//!
//! The input is the same 298-byte head with 8 header fields for every
//! parser ([`brisk_benches::RESPONSE_HEAD_298B`]), passed through
//! `black_box` so the compiler cannot fold it. Throughput is reported in
//! bytes of head parsed.
//!
//! - `httparse`: `httparse::Response::parse` into a stack array of 16
//!   `httparse::Header`s; borrows the input, never allocates.
//! - `brisk_parse_head`: `brisk::h1::parse_head` into a stack array of 16
//!   `HeaderSpan`s with default `Limits`; borrows the input, never
//!   allocates. The like-for-like comparison with httparse.
//! - `brisk_decoder_allocating`: a fresh `brisk::h1::ResponseDecoder`
//!   decoding the head into an owned `ResponseHead` (copies the head bytes,
//!   collects the spans in a `Vec`, then decides the body framing). This is
//!   what the client pays per response; it allocates, so it is context, not
//!   a rival.
//!
//! The parsing functions live in `src/lib.rs` (`parsers`), shared with the
//! `parse_instructions` binary that counts instructions under callgrind.
//!
//! Run: `cargo bench --bench parse` (from `benches/`).

use brisk::h1::Limits;
use brisk_benches::parsers::{brisk_decoder, brisk_head, httparse_head};
use brisk_benches::RESPONSE_HEAD_298B as HEAD;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

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
