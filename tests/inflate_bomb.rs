//! The decompression bomb: 1 GB of zeros in about 1 MB of gzip, streamed
//! through `brisk::inflate::Inflate` into a 64 KiB buffer, must never
//! hold more than a few hundred KiB: the process's peak resident memory
//! (VmHWM) stays under 64 MiB. The bomb is built here, bit by bit: one
//! dynamic block whose codes make "length 258, distance 1" two zero bits,
//! so that every byte of input stands for 1,032 bytes of output.
//!
//! Alone in its file, so that no other test's memory counts.

#![cfg(feature = "compression")]

use brisk::inflate::{crc32, Format, Inflate};

const ONE_GB: u64 = 1_000_000_000;

#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    bit: u32,
}

impl BitWriter {
    fn bits(&mut self, value: u32, n: u32) {
        for i in 0..n {
            if self.bit == 0 {
                self.bytes.push(0);
            }
            *self.bytes.last_mut().unwrap() |= (((value >> i) & 1) as u8) << self.bit;
            self.bit = (self.bit + 1) % 8;
        }
    }
    /// A Huffman code, most significant bit first (RFC 1951 §3.1.1).
    fn code(&mut self, code: u32, n: u32) {
        for i in (0..n).rev() {
            self.bits((code >> i) & 1, 1);
        }
    }
}

/// A gzip member holding `size` zero bytes (size − 1 a multiple of 258).
fn zeros_bomb(size: u64) -> Vec<u8> {
    assert_eq!((size - 1) % 258, 0);
    let matches = (size - 1) / 258;
    let mut w = BitWriter::default();
    // Final, dynamic block: 286 literal/length codes, 1 distance code, 18
    // code-length codes.
    w.bits(1, 1);
    w.bits(2, 2);
    w.bits(286 - 257, 5);
    w.bits(0, 5);
    w.bits(18 - 4, 4);
    // Code-length code: 18 → 1 bit ("0"), 1 → "10", 2 → "11", in the
    // RFC's order 16 17 18 0 8 7 9 6 10 5 11 4 12 3 13 2 14 1.
    for len in [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2] {
        w.bits(len, 3);
    }
    let (zeros, one, two) = ((0, 1), (0b10, 2), (0b11, 2));
    // Literal/length lengths: 0 → 2, 1–255 → 0, 256 → 2, 257–284 → 0,
    // 285 → 1; the one distance code → 1.
    w.code(two.0, two.1);
    w.code(zeros.0, zeros.1);
    w.bits(138 - 11, 7);
    w.code(zeros.0, zeros.1);
    w.bits(117 - 11, 7);
    w.code(two.0, two.1);
    w.code(zeros.0, zeros.1);
    w.bits(28 - 11, 7);
    w.code(one.0, one.1);
    w.code(one.0, one.1);
    // Codes: literal 0 "10", end "11", length 258 (285) "0"; distance 1 "0".
    w.code(0b10, 2);
    for _ in 0..matches {
        w.code(0, 1);
        w.code(0, 1);
    }
    w.code(0b11, 2);

    let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    gz.extend_from_slice(&w.bytes);
    let chunk = vec![0u8; 1 << 20];
    let mut crc = 0;
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        crc = crc32(crc, &chunk[..n]);
        left -= n as u64;
    }
    gz.extend_from_slice(&crc.to_le_bytes());
    gz.extend_from_slice(&(size as u32).to_le_bytes());
    gz
}

/// The process's peak resident set (VmHWM), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

#[test]
fn a_gigabyte_of_zeros_streams_in_constant_memory() {
    let size = 1 + 258 * (ONE_GB / 258);
    let bomb = zeros_bomb(size);
    assert!(bomb.len() < 1_100_000, "{} bytes", bomb.len());

    let mut inflate = Inflate::new(Format::Gzip);
    let mut out = vec![0u8; 64 * 1024];
    let mut total: u64 = 0;
    let mut nonzero = false;
    let mut at = 0;
    loop {
        let piece = &bomb[at..(at + 64 * 1024).min(bomb.len())];
        let progress = inflate.decode(piece, &mut out).unwrap();
        at += progress.consumed;
        total += progress.produced as u64;
        nonzero |= out[..progress.produced].iter().any(|&b| b != 0);
        if progress.produced == 0 && progress.consumed == 0 {
            break;
        }
    }
    assert!(inflate.is_done(), "the bomb did not end");
    assert_eq!(at, bomb.len());
    assert_eq!(total, size);
    assert!(!nonzero);
    let peak = peak_rss();
    println!(
        "peak RSS {} KiB for {} bytes out of {}",
        peak / 1024,
        total,
        bomb.len()
    );
    assert!(peak < 64 << 20, "peak RSS {peak} bytes");
}
