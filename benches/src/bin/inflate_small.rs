//! What a small compressed answer costs to decode: a 150-byte chat
//! completion, compressed by miniz_oxide at level 6 (124 bytes of
//! dynamic-Huffman DEFLATE), decoded 5,000 times a rep by brisk (one
//! decoder `reset()` between answers, and a new decoder each time) and by
//! miniz_oxide (a new decompressor each time, as flate2 makes one a
//! stream). Small answers are the common case for an LLM API client; what
//! dominates them is per-stream and per-block setup (tables, window), not
//! the decoding loop the 20 MB `inflate` bench measures.
//!
//! Prints the medians over 21 reps of brisk's time ÷ miniz_oxide's in the
//! same rep, so that a busy machine moves both alike.
//!
//! ```sh
//! cd benches && CARGO_TARGET_DIR=/work/bench-target cargo build --release --bin inflate_small
//! taskset -c 1 /work/bench-target/release/inflate_small
//! ```

use brisk::inflate::{Format, Inflate};
use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
use std::hint::black_box;
use std::time::Instant;

const ANSWER: &[u8] = br#"{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there, how can I help you today?"}}]}"#;
const PER_REP: u32 = 5_000;
const REPS: usize = 21;

/// Microseconds per call of `f`, over `PER_REP` calls.
fn per_call(mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..PER_REP {
        f();
    }
    start.elapsed().as_secs_f64() / PER_REP as f64 * 1e6
}

fn main() {
    let compressed = miniz_oxide::deflate::compress_to_vec(ANSWER, 6);
    let mut out = vec![0u8; 4096];
    let mut reused = Inflate::new(Format::Raw);
    let (mut reused_ratio, mut fresh_ratio) = (Vec::new(), Vec::new());
    let mut miniz_us = Vec::new();
    for _ in 0..REPS {
        let brisk_reused = per_call(|| {
            reused.reset();
            let p = reused.decode(&compressed, &mut out).unwrap();
            assert!(p.done && p.produced == ANSWER.len());
        });
        let brisk_fresh = per_call(|| {
            let mut inflate = Inflate::new(Format::Raw);
            let p = inflate.decode(&compressed, &mut out).unwrap();
            assert!(p.done && p.produced == ANSWER.len());
            black_box(&inflate);
        });
        let miniz = per_call(|| {
            let mut d = Box::<DecompressorOxide>::default();
            let flags = inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
            let (_, _, n) = decompress(&mut d, &compressed, &mut out, 0, flags);
            assert_eq!(n, ANSWER.len());
        });
        reused_ratio.push(brisk_reused / miniz);
        fresh_ratio.push(brisk_fresh / miniz);
        miniz_us.push(miniz);
    }
    for v in [&mut reused_ratio, &mut fresh_ratio, &mut miniz_us] {
        v.sort_by(f64::total_cmp);
    }
    let median = |v: &[f64]| v[v.len() / 2];
    println!(
        "{} bytes compressed; miniz_oxide {:.2} us an answer; brisk / miniz_oxide: \
         reused decoder {:.2} (min {:.2}), new decoder {:.2} (min {:.2})",
        compressed.len(),
        median(&miniz_us),
        median(&reused_ratio),
        reused_ratio[0],
        median(&fresh_ratio),
        fresh_ratio[0],
    );
}
