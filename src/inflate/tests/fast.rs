//! The fast loop (`fast.rs`): its bit budget and its chunked copies, each
//! held to the byte-at-a-time definition whether the input comes whole,
//! byte by byte or in random pieces.

use super::blocks::{canonical, dynamic_header};
use super::*;

/// Writes a match of `length` at `distance` with the fixed codes.
fn fixed_match(w: &mut BitWriter, length: usize, distance: usize) {
    use crate::inflate::huffman::{DIST_BASE, DIST_EXTRA, LENGTH_BASE, LENGTH_EXTRA};
    let l = (0..29)
        .rev()
        .find(|&i| LENGTH_BASE[i] as usize <= length)
        .unwrap();
    let d = (0..30)
        .rev()
        .find(|&i| DIST_BASE[i] as usize <= distance)
        .unwrap();
    w.fixed(257 + l as u32)
        .bits(
            (length - LENGTH_BASE[l] as usize) as u32,
            LENGTH_EXTRA[l] as u32,
        )
        .code(d as u32, 5)
        .bits(
            (distance - DIST_BASE[d] as usize) as u32,
            DIST_EXTRA[d] as u32,
        );
}

/// Every short distance (where copies overlap and the fast loop copies in
/// strides or chunks that run past the match's end) with lengths around
/// every chunk size, each match followed by more data: the output is the
/// byte-at-a-time definition of a match, and the bytes after it are not
/// disturbed by what a chunk wrote past its end.
#[test]
fn matches_at_every_short_distance_copy_as_the_definition() {
    let lengths = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 16, 17, 23, 24, 31, 32, 33, 40, 47, 48, 63, 64, 65,
        100, 129, 255, 257, 258,
    ];
    for distance in 1..=70 {
        let mut w = BitWriter::default();
        w.bits(1, 1).bits(1, 2);
        let mut expect = Vec::new();
        for i in 0..70u32 {
            let b = (i * 37 % 251) as u8;
            w.fixed(b as u32);
            expect.push(b);
        }
        for (k, &length) in lengths.iter().enumerate() {
            fixed_match(&mut w, length, distance);
            for _ in 0..length {
                expect.push(expect[expect.len() - distance]);
            }
            // Two literals between matches: the next match starts where
            // the last chunk's slack lay.
            for b in [k as u8, 200 - k as u8] {
                w.fixed(b as u32);
                expect.push(b);
            }
        }
        // Enough input after the last match for the fast loop to take it.
        for i in 0..40u32 {
            w.fixed(i);
            expect.push(i as u8);
        }
        w.fixed(256);
        let raw = w.finish();
        for feed in [Feed::Whole, Feed::ByteByByte, Feed::Random(distance as u64)] {
            let (got, done) = decode_with(Format::Raw, &raw, feed).unwrap();
            assert!(done);
            assert!(got == expect, "distance {distance}, {feed:?}");
        }
    }
}

/// The fast loop's bit budget at its worst: four literals of 11 bits (the
/// root table's width) on one refill, then a length whose code is 15 bits
/// with 5 extra bits and a distance whose code is 15 bits with 13 extra
/// bits (48 bits between lookups), over and over, reaching back the whole
/// 32 KiB window. Decoded whole, byte by byte and in random pieces, it
/// must equal the definition.
#[test]
fn the_longest_codes_and_extra_bits_between_refills_decode_exactly() {
    // Literal/length lengths, a complete code: the 256 literals at 11 bits
    // (1/8), end of block at 1 (1/2), 257 at 2 (1/4), and a chain from 258
    // (4 bits) to 268 (14 bits) closed by 283 and 284 at 15 (1/8).
    let mut litlen = vec![0u8; 285];
    litlen[..256].fill(11);
    litlen[256] = 1;
    litlen[257] = 2;
    for (i, symbol) in (258..=268).enumerate() {
        litlen[symbol] = 4 + i as u8;
    }
    litlen[283] = 15;
    litlen[284] = 15;
    // Distance lengths, complete: codes 0–13 at 1–14 bits, 28 and 29 at 15.
    let mut dist = vec![0u8; 30];
    for (slot, len) in dist.iter_mut().take(14).zip(1u8..) {
        *slot = len;
    }
    dist[28] = 15;
    dist[29] = 15;
    let lit = canonical(&litlen);
    let dcode = canonical(&dist);

    let history: Vec<u8> = (0..32_768u32).map(|i| (i * 29 % 241) as u8).collect();
    let mut w = BitWriter::default();
    stored(&mut w, false, &history);
    dynamic_header(&mut w, true, &litlen, &dist);
    let mut expect = history.clone();
    for round in 0..40u32 {
        for k in 0..4u32 {
            let b = ((round * 4 + k) * 53 % 256) as u8;
            w.code(lit[b as usize], 11);
            expect.push(b);
        }
        // Length 284 (base 227) + 3 = 230; distance 29 (base 24,577) +
        // 8,191 = 32,768: the farthest back.
        w.code(lit[284], 15).bits(3, 5);
        w.code(dcode[29], 15).bits(8191, 13);
        for _ in 0..230 {
            expect.push(expect[expect.len() - 32_768]);
        }
    }
    for b in 0..40u32 {
        w.code(lit[b as usize], 11);
        expect.push(b as u8);
    }
    w.code(lit[256], 1);
    let raw = w.finish();
    for feed in [Feed::Whole, Feed::ByteByByte, Feed::Random(48)] {
        let (got, done) = decode_with(Format::Raw, &raw, feed).unwrap();
        assert!(done);
        assert!(got == expect, "{feed:?}");
    }
}
