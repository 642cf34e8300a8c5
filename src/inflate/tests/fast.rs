//! The fast loop (`fast.rs`): its bit budget, its chunked copies, and
//! its literal pairs, each held to the byte-at-a-time definition whether
//! the input comes whole, byte by byte or in random pieces.

use super::blocks::{canonical, dynamic_header};
use super::*;

/// Writes a match of `length` at `distance` with the fixed codes.
pub(super) fn fixed_match(w: &mut BitWriter, length: usize, distance: usize) {
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

/// Literal pairs and one-shift lengths and distances: a dynamic block
/// whose literal codes run from 2 to 11 bits, so that a root slot holds
/// two literals for every pair of lengths that fits in 11 bits and one
/// for those that do not, mixed with matches of every length code (each
/// with its extra bits) at distances of every code that reaches. Decoded
/// whole, byte by byte (where a pair meets one byte of room, or its
/// second code is not in yet) and in random pieces, it must equal the
/// definition.
#[test]
fn literal_pairs_and_every_length_and_distance_code_decode_exactly() {
    use crate::inflate::huffman::{DIST_BASE, DIST_EXTRA, LENGTH_BASE, LENGTH_EXTRA};
    // A complete literal/length code: literals 0–9 at 2 to 11 bits and
    // literal 10 at 11 (1/2 in all); end of block at 2 (1/4); literals
    // 11–46 and lengths 257–284 at 8 bits (64/256 = 1/4).
    let mut litlen = vec![0u8; 285];
    for (symbol, len) in (0..10).zip(2u8..) {
        litlen[symbol] = len;
    }
    litlen[10] = 11;
    litlen[256] = 2;
    litlen[11..47].fill(8);
    litlen[257..285].fill(8);
    // Distances: a complete code of 28 codes at 5 bits and 2 at 4.
    let mut dist = vec![5u8; 30];
    dist[0] = 4;
    dist[1] = 4;
    let lit = canonical(&litlen);
    let dcode = canonical(&dist);

    let mut rng = Lcg(7);
    let mut w = BitWriter::default();
    dynamic_header(&mut w, true, &litlen, &dist);
    let mut expect: Vec<u8> = Vec::new();
    let literal = |w: &mut BitWriter, expect: &mut Vec<u8>, b: usize| {
        w.code(lit[b], litlen[b] as u32);
        expect.push(b as u8);
    };
    for round in 0..3000 {
        // A run of short-coded literals: every pair of 2–11 bit codes.
        for _ in 0..rng.below(12) {
            let b = rng.below(11);
            literal(&mut w, &mut expect, b);
        }
        if rng.below(4) == 0 {
            let b = 11 + rng.below(36);
            literal(&mut w, &mut expect, b);
        }
        if expect.is_empty() {
            continue;
        }
        // A match: each length code in turn, a random extra value; a
        // distance code that reaches, a random extra value.
        let l = round % 28;
        let length = LENGTH_BASE[l] as usize + rng.below(1 << LENGTH_EXTRA[l]);
        let reach = (0..30)
            .filter(|&d| DIST_BASE[d] as usize <= expect.len())
            .count();
        let d = rng.below(reach);
        let span = (1usize << DIST_EXTRA[d]).min(expect.len() + 1 - DIST_BASE[d] as usize);
        let distance = DIST_BASE[d] as usize + rng.below(span);
        w.code(lit[257 + l], 8).bits(
            (length - LENGTH_BASE[l] as usize) as u32,
            LENGTH_EXTRA[l] as u32,
        );
        w.code(dcode[d], dist[d] as u32).bits(
            (distance - DIST_BASE[d] as usize) as u32,
            DIST_EXTRA[d] as u32,
        );
        for _ in 0..length {
            expect.push(expect[expect.len() - distance]);
        }
    }
    w.code(lit[256], 2);
    let raw = w.finish();
    for feed in [Feed::Whole, Feed::ByteByByte, Feed::Random(11)] {
        let (got, done) = decode_with(Format::Raw, &raw, feed).unwrap();
        assert!(done);
        assert!(got == expect, "{feed:?}");
    }
}
