//! Parses the bench head N times with one parser, for counting
//! instructions, which unlike time is exact and unaffected by a busy
//! machine (see ../shared/BENCH.md):
//!
//! ```text
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/parse_instructions brisk 100000
//! ```
//!
//! Run it with N and with 0; (I(N) − I(0)) / N is the instructions per
//! parse. Parsers: `httparse`, `brisk` (`parse_head`), `decoder`
//! (`ResponseDecoder`, allocating). `compare.sh --parse-instructions` does
//! all of it.

use std::hint::black_box;

use brisk::h1::Limits;
use brisk_benches::parsers::{brisk_decoder, brisk_head, httparse_head};
use brisk_benches::RESPONSE_HEAD_298B as HEAD;

fn main() {
    let mut args = std::env::args().skip(1);
    let parser = args.next().unwrap_or_default();
    let n: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(0);
    let limits = Limits::default();
    let one: fn(&[u8], &Limits) -> (u16, usize, usize) = match parser.as_str() {
        "httparse" => |b, _| httparse_head(b),
        "brisk" => brisk_head,
        "decoder" => brisk_decoder,
        _ => {
            eprintln!("usage: parse_instructions httparse|brisk|decoder N");
            std::process::exit(2);
        }
    };
    let mut check = 0usize;
    for _ in 0..n {
        let (status, headers, len) = one(black_box(HEAD), black_box(&limits));
        check = check.wrapping_add(status as usize + headers + len);
    }
    black_box(check);
}
