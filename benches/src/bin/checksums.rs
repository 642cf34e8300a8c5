//! The two checksums brisk's inflate carries, CRC-32 (gzip) and Adler-32
//! (zlib), against zlib-rs's (SIMD where the CPU has it) and crc32fast's
//! (the CRC flate2's gzip reader uses), over 20 MB in one call and in
//! 64 KiB calls, as a decoder feeds them. Reps are interleaved; the median
//! of REPS is printed as GB/s (10^9 bytes).
//!
//! ```sh
//! CARGO_TARGET_DIR=/work/bench-target cargo build --release --bin checksums
//! taskset -c 1 /work/bench-target/release/checksums [REPS]
//! ```

use std::hint::black_box;
use std::time::Instant;

const SIZE: usize = 20_000_000;

type Sum = fn(u32, &[u8]) -> u32;

fn crc32fast(crc: u32, bytes: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new_with_initial(crc);
    h.update(bytes);
    h.finalize()
}

/// Runs `sum` over `data` in pieces of `piece` bytes, chaining the value.
fn run(sum: Sum, start: u32, data: &[u8], piece: usize) -> (u32, f64) {
    let t = Instant::now();
    let mut value = start;
    for chunk in data.chunks(piece) {
        value = sum(value, black_box(chunk));
    }
    (value, data.len() as f64 / t.elapsed().as_secs_f64() / 1e9)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let reps: usize = std::env::args().nth(1).map_or(7, |s| s.parse().unwrap());
    // Bytes that are not all alike (a fixed multiplicative hash).
    let data: Vec<u8> = (0..SIZE as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    // (checksum, its start value, brisk's, the rivals)
    let rows: [(&str, u32, Sum, &[(&str, Sum)]); 2] = [
        (
            "CRC-32",
            0,
            brisk::inflate::crc32,
            &[("zlib-rs", zlib_rs::crc32::crc32), ("crc32fast", crc32fast)],
        ),
        (
            "Adler-32",
            1,
            brisk::inflate::adler32,
            &[("zlib-rs", zlib_rs::adler32::adler32)],
        ),
    ];
    println!("| checksum | calls | brisk GB/s | rival | rival GB/s | brisk ÷ rival |");
    println!("|---|---|---|---|---|---|");
    for (name, start, ours_sum, rivals) in rows {
        for (piece, label) in [(SIZE, "one of 20 MB"), (64 * 1024, "64 KiB each")] {
            for &(rival, rival_sum) in rivals {
                let (mut ours, mut theirs) = (Vec::new(), Vec::new());
                for _ in 0..reps {
                    let (a, ga) = run(ours_sum, start, &data, piece);
                    let (b, gb) = run(rival_sum, start, &data, piece);
                    assert_eq!(a, b, "{name}: {rival} disagrees");
                    ours.push(ga);
                    theirs.push(gb);
                }
                let (o, t) = (median(ours), median(theirs));
                println!(
                    "| {name} | {label} | {o:.2} | {rival} | {t:.2} | {:.2} |",
                    o / t
                );
            }
        }
    }
}
