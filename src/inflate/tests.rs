//! Unit tests: checksums, every error, the classic hard cases, and split
//! invariance (every input decoded whole, byte by byte and in random
//! pieces into outputs of random sizes must give the same bytes).

use super::*;

/// A tiny deterministic generator for split points.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// How a test feeds the decoder: input piece sizes and output sizes.
#[derive(Clone, Copy, Debug)]
enum Feed {
    Whole,
    ByteByByte,
    Random(u64),
}

/// Decodes `input` fed as `feed` says; returns the output and whether the
/// decoder reported the end, or the first error. Checks the API's
/// promises on every call: progress unless done or output full, and
/// `consumed < len` only when the output is full or done.
fn decode_with(format: Format, input: &[u8], feed: Feed) -> Result<(Vec<u8>, bool), InflateError> {
    let mut inflate = Inflate::new(format);
    let mut out = Vec::new();
    let mut rng = Lcg(match feed {
        Feed::Random(seed) => seed,
        _ => 0,
    });
    let mut buf = vec![0u8; 70_000];
    let mut at = 0;
    let mut calls = 0;
    loop {
        let (piece, room) = match feed {
            Feed::Whole => (input.len() - at, 65_536),
            Feed::ByteByByte => ((input.len() - at).min(1), 1),
            Feed::Random(_) => {
                let piece = match rng.below(4) {
                    0 => rng.below(3),
                    1 => rng.below(20),
                    2 => rng.below(300),
                    _ => rng.below(20_000),
                };
                let room = [1, 7, 258, 4096, 65_536][rng.below(5)];
                ((input.len() - at).min(piece), room)
            }
        };
        let chunk = &input[at..at + piece];
        let progress = inflate.decode(chunk, &mut buf[..room])?;
        assert!(progress.consumed <= chunk.len());
        assert!(progress.produced <= room);
        if progress.consumed < chunk.len() && progress.produced < room && !progress.done {
            // Output before an error: the error comes next.
            out.extend_from_slice(&buf[..progress.produced]);
            return Err(inflate
                .decode(&[], &mut buf[..1])
                .expect_err("input left over"));
        }
        assert_eq!(progress.done, inflate.is_done());
        out.extend_from_slice(&buf[..progress.produced]);
        at += progress.consumed;
        calls += 1;
        assert!(
            calls < 10 * (input.len() + out.len()) + 1000,
            "no end in sight"
        );
        if progress.produced == 0 && progress.consumed == 0 && at == input.len() && piece == 0 {
            // Nothing more will come: the stream is complete or truncated.
            let last = inflate.decode(&[], &mut buf[..room])?;
            assert_eq!(last.produced, 0);
            return Ok((out, inflate.is_done()));
        }
        if progress.done && at == input.len() {
            return Ok((out, true));
        }
        if progress.produced == 0 && progress.consumed == 0 && piece > 0 {
            panic!("no progress with {piece} bytes of input and {room} of room");
        }
    }
}

/// Decodes `input` every way and checks that all agree; returns the
/// common result.
fn decode_every_way(format: Format, input: &[u8]) -> Result<(Vec<u8>, bool), InflateError> {
    let whole = decode_with(format, input, Feed::Whole);
    let bytewise = decode_with(format, input, Feed::ByteByByte);
    assert_eq!(whole, bytewise, "whole and byte by byte differ");
    for seed in 1..6 {
        let random = decode_with(format, input, Feed::Random(seed));
        assert_eq!(whole, random, "whole and random split {seed} differ");
    }
    whole
}

/// Decodes a complete stream, every way.
fn inflate(format: Format, input: &[u8]) -> Vec<u8> {
    let (out, done) = decode_every_way(format, input).unwrap();
    assert!(done, "stream not complete");
    out
}

fn refused(format: Format, input: &[u8]) -> InflateError {
    let whole = decode_with(format, input, Feed::Whole);
    let bytewise = decode_with(format, input, Feed::ByteByByte);
    assert_eq!(whole.clone().err(), bytewise.err());
    whole.expect_err("accepted")
}

/// Writes DEFLATE bits, least significant first (RFC 1951 §3.1.1).
#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    bit: u32,
}

impl BitWriter {
    /// `n` bits of `value`, least significant first (header fields,
    /// extra bits).
    fn bits(&mut self, value: u32, n: u32) -> &mut Self {
        for i in 0..n {
            if self.bit == 0 {
                self.bytes.push(0);
            }
            *self.bytes.last_mut().unwrap() |= (((value >> i) & 1) as u8) << self.bit;
            self.bit = (self.bit + 1) % 8;
        }
        self
    }
    /// A Huffman code of `n` bits, most significant first.
    fn code(&mut self, code: u32, n: u32) -> &mut Self {
        for i in (0..n).rev() {
            self.bits((code >> i) & 1, 1);
        }
        self
    }
    /// A fixed-code literal/length symbol (RFC 1951 §3.2.6).
    fn fixed(&mut self, symbol: u32) -> &mut Self {
        match symbol {
            0..=143 => self.code(0x30 + symbol, 8),
            144..=255 => self.code(0x190 + symbol - 144, 9),
            256..=279 => self.code(symbol - 256, 7),
            _ => self.code(0xC0 + symbol - 280, 8),
        }
    }
    fn align(&mut self) -> &mut Self {
        self.bit = 0;
        self
    }
    fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.align();
        self.bytes.extend_from_slice(bytes);
        self
    }
    fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.bytes)
    }
}

/// A stored block with `data`.
fn stored(w: &mut BitWriter, last: bool, data: &[u8]) {
    let len = data.len() as u16;
    w.bits(last as u32, 1).bits(0, 2).align();
    w.bytes(&len.to_le_bytes())
        .bytes(&(!len).to_le_bytes())
        .bytes(data);
}

fn gzip_wrap(deflate: &[u8], data: &[u8]) -> Vec<u8> {
    let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    gz.extend_from_slice(deflate);
    gz.extend_from_slice(&crc32(0, data).to_le_bytes());
    gz.extend_from_slice(&(data.len() as u32).to_le_bytes());
    gz
}

fn zlib_wrap(deflate: &[u8], data: &[u8]) -> Vec<u8> {
    let mut zz = vec![0x78, 0x9c];
    zz.extend_from_slice(deflate);
    zz.extend_from_slice(&adler32(1, data).to_be_bytes());
    zz
}

// ---- checksums ----

#[test]
fn crc32_matches_the_published_check_values() {
    assert_eq!(crc32(0, b""), 0);
    assert_eq!(crc32(0, b"123456789"), 0xCBF4_3926);
    assert_eq!(
        crc32(0, b"The quick brown fox jumps over the lazy dog"),
        0x414F_A339
    );
    assert_eq!(crc32(0, &[0u8; 32]), 0x190A_55AD);
    assert_eq!(crc32(0, &[0xFFu8; 32]), 0xFF6C_AB0B);
    let ascending: Vec<u8> = (0..32).collect();
    assert_eq!(crc32(0, &ascending), 0x91267E8A);
}

#[test]
fn crc32_in_pieces_equals_crc32_whole() {
    let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
    let whole = crc32(0, &data);
    for split in [0, 1, 15, 16, 17, 4999, 9999, 10_000] {
        assert_eq!(crc32(crc32(0, &data[..split]), &data[split..]), whole);
    }
    // Against the bitwise definition.
    let mut crc = !0u32;
    for &b in &data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    assert_eq!(whole, !crc);
}

#[test]
fn adler32_matches_the_published_check_values() {
    assert_eq!(adler32(1, b""), 1);
    assert_eq!(adler32(1, b"Wikipedia"), 0x11E6_0398);
    assert_eq!(adler32(1, b"123456789"), 0x091E_01DE);
    assert_eq!(adler32(1, b"abc"), 0x024D_0127);
}

#[test]
fn adler32_survives_long_runs_of_0xff_in_pieces() {
    // The deferred modulo must not overflow: the worst case is all 0xFF.
    let data = vec![0xFFu8; 100_000];
    let mut a: u64 = 1;
    let mut b: u64 = 0;
    for &x in &data {
        a = (a + x as u64) % 65_521;
        b = (b + a) % 65_521;
    }
    let expect = ((b << 16) | a) as u32;
    assert_eq!(adler32(1, &data), expect);
    assert_eq!(adler32(adler32(1, &data[..5553]), &data[5553..]), expect);
}

// ---- the classic hard cases ----

#[test]
fn an_empty_final_stored_block_is_an_empty_stream() {
    let mut w = BitWriter::default();
    stored(&mut w, true, b"");
    let raw = w.finish();
    assert_eq!(raw, [0x01, 0x00, 0x00, 0xFF, 0xFF]);
    assert_eq!(inflate(Format::Raw, &raw), b"");
    assert_eq!(inflate(Format::Gzip, &gzip_wrap(&raw, b"")), b"");
    assert_eq!(inflate(Format::Zlib, &zlib_wrap(&raw, b"")), b"");
}

#[test]
fn an_empty_final_fixed_block_is_an_empty_stream() {
    let raw = BitWriter::default()
        .bits(1, 1)
        .bits(1, 2)
        .fixed(256)
        .finish();
    assert_eq!(raw, [0x03, 0x00]);
    assert_eq!(inflate(Format::Raw, &raw), b"");
    assert_eq!(inflate(Format::ZlibOrRaw, &raw), b"");
}

#[test]
fn empty_blocks_before_data_are_skipped() {
    let mut w = BitWriter::default();
    stored(&mut w, false, b"");
    w.bits(0, 1).bits(1, 2).fixed(256);
    stored(&mut w, false, b"ab");
    w.bits(1, 1).bits(1, 2).fixed(b'c' as u32).fixed(256);
    assert_eq!(inflate(Format::Raw, &w.finish()), b"abc");
}

#[test]
fn a_stored_block_of_65535_bytes() {
    let data: Vec<u8> = (0..65_535u32).map(|i| (i % 251) as u8).collect();
    let mut w = BitWriter::default();
    stored(&mut w, false, &data);
    stored(&mut w, true, &data[..10]);
    let raw = w.finish();
    let mut expect = data.clone();
    expect.extend_from_slice(&data[..10]);
    assert_eq!(inflate(Format::Raw, &raw), expect);
    assert_eq!(inflate(Format::Gzip, &gzip_wrap(&raw, &expect)), expect);
}

/// Length 258 two ways: code 285, and code 284 with extra bits 31 (outside
/// the RFC's range for 284, accepted as 258 as zlib does).
#[test]
fn length_258_by_code_285_and_by_code_284_plus_31() {
    let expect = vec![b'a'; 259];
    let by_285 = BitWriter::default()
        .bits(1, 1)
        .bits(1, 2)
        .fixed(b'a' as u32)
        .fixed(285)
        .code(0, 5)
        .fixed(256)
        .finish();
    assert_eq!(inflate(Format::Raw, &by_285), expect);
    let by_284 = BitWriter::default()
        .bits(1, 1)
        .bits(1, 2)
        .fixed(b'a' as u32)
        .fixed(284)
        .bits(31, 5)
        .code(0, 5)
        .fixed(256)
        .finish();
    // The same bytes zlib's inflate decodes to 259 bytes.
    assert_eq!(by_284, [0x4b, 0x1c, 0xf9, 0x00, 0x00]);
    assert_eq!(inflate(Format::Raw, &by_284), expect);
}

/// Distance 32,768: the farthest back a match may reach; one more byte of
/// history is needed than 32,767.
#[test]
fn distance_32768_reaches_the_first_byte_of_the_window() {
    let data: Vec<u8> = (0..32_768u32).map(|i| (i * 31 % 253) as u8).collect();
    let mut w = BitWriter::default();
    stored(&mut w, false, &data);
    // Fixed block: length 3 (code 257) at distance 32,768 (code 29, extra 8191).
    w.bits(1, 1)
        .bits(1, 2)
        .fixed(257)
        .code(29, 5)
        .bits(8191, 13)
        .fixed(256);
    let raw = w.finish();
    let mut expect = data.clone();
    expect.extend_from_slice(&data[..3]);
    assert_eq!(inflate(Format::Raw, &raw), expect);

    // One byte less of history: too far back.
    let mut w = BitWriter::default();
    stored(&mut w, false, &data[1..]);
    w.bits(1, 1)
        .bits(1, 2)
        .fixed(257)
        .code(29, 5)
        .bits(8191, 13)
        .fixed(256);
    assert_eq!(
        refused(Format::Raw, &w.finish()),
        InflateError::DistanceTooFarBack
    );
}

#[test]
fn a_match_at_the_very_start_is_too_far_back() {
    let raw = BitWriter::default()
        .bits(1, 1)
        .bits(1, 2)
        .fixed(257)
        .code(0, 5)
        .fixed(256)
        .finish();
    assert_eq!(refused(Format::Raw, &raw), InflateError::DistanceTooFarBack);
}

/// Writes a dynamic block header for the given code lengths, sending each
/// length as itself (precode: all 19 symbols with 5-bit codes... kept
/// simple: lengths 0–15 get 4-bit codes, 16–18 unused).
fn dynamic_header(w: &mut BitWriter, last: bool, litlen: &[u8], dist: &[u8]) {
    w.bits(last as u32, 1).bits(2, 2);
    w.bits(litlen.len() as u32 - 257, 5)
        .bits(dist.len() as u32 - 1, 5)
        .bits(19 - 4, 4);
    // Precode: symbols 0–15 with length 4 (a complete code of 16), 16–18
    // with none. Sent in PRECODE_ORDER.
    let order = [
        16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
    ];
    for &symbol in &order {
        w.bits(if symbol < 16 { 4 } else { 0 }, 3);
    }
    // Canonical 4-bit codes: symbol s has code s.
    for &len in litlen.iter().chain(dist) {
        w.code(len as u32, 4);
    }
}

/// Canonical codes for `lengths` (RFC 1951 §3.2.2).
fn canonical(lengths: &[u8]) -> Vec<u32> {
    let mut count = [0u32; 16];
    for &l in lengths {
        count[l as usize] += 1;
    }
    count[0] = 0;
    let mut next = [0u32; 16];
    let mut code = 0;
    for len in 1..16 {
        code = (code + count[len - 1]) << 1;
        next[len] = code;
    }
    lengths
        .iter()
        .map(|&l| {
            let c = next[l as usize];
            next[l as usize] += 1;
            c
        })
        .collect()
}

#[test]
fn a_dynamic_block_with_a_single_distance_code() {
    // Literal/length code: 'a' (97), end of block (256) and length 3 (257):
    // lengths 1, 2, 2. Distance code: only symbol 0 (distance 1), length 1,
    // the one-code exception.
    let mut litlen = vec![0u8; 258];
    litlen[97] = 1;
    litlen[256] = 2;
    litlen[257] = 2;
    let codes = canonical(&litlen);
    let mut w = BitWriter::default();
    dynamic_header(&mut w, true, &litlen, &[1]);
    w.code(codes[97], 1)
        .code(codes[257], 2)
        .code(0, 1)
        .code(codes[256], 2);
    assert_eq!(inflate(Format::Raw, &w.finish()), b"aaaa");
}

#[test]
fn a_dynamic_block_with_no_distance_codes_decodes_literals() {
    let mut litlen = vec![0u8; 257];
    litlen[b'x' as usize] = 1;
    litlen[256] = 1;
    let codes = canonical(&litlen);
    let mut w = BitWriter::default();
    dynamic_header(&mut w, true, &litlen, &[0]);
    w.code(codes[b'x' as usize], 1)
        .code(codes[b'x' as usize], 1)
        .code(codes[256], 1);
    assert_eq!(inflate(Format::Raw, &w.finish()), b"xx");
}

// ---- each error ----

#[test]
fn block_type_3_is_refused() {
    let raw = BitWriter::default().bits(1, 1).bits(3, 2).finish();
    assert_eq!(refused(Format::Raw, &raw), InflateError::BadBlockType);
}

#[test]
fn a_stored_length_that_is_not_its_complement_is_refused() {
    let raw = [0x01, 0x05, 0x00, 0xFA, 0xFE, 1, 2, 3, 4, 5];
    assert_eq!(refused(Format::Raw, &raw), InflateError::BadStoredLength);
}

#[test]
fn too_many_codes_are_refused() {
    // HLIT = 30 → 287 literal/length codes.
    let raw = BitWriter::default()
        .bits(1, 1)
        .bits(2, 2)
        .bits(30, 5)
        .bits(0, 5)
        .bits(0, 4)
        .finish();
    assert_eq!(refused(Format::Raw, &raw), InflateError::TooManyCodes);
    // HDIST = 30 → 31 distance codes.
    let raw = BitWriter::default()
        .bits(1, 1)
        .bits(2, 2)
        .bits(0, 5)
        .bits(30, 5)
        .bits(0, 4)
        .finish();
    assert_eq!(refused(Format::Raw, &raw), InflateError::TooManyCodes);
}

/// A precode where 0–15 have 5-bit codes and 16, 17, 18 4-bit codes would
/// be over-subscribed; use instead: 16, 17, 18 and 0–12 ... simpler: a
/// precode giving every one of 0–15, 16, 17, 18 a usable code.
fn precode_with_repeats(w: &mut BitWriter, hlit: u32, hdist: u32) -> [u32; 19] {
    // Lengths: 16, 17, 18 → 2 bits; 0, 8 → 3 bits... Use a complete code:
    // three 2-bit codes (16, 17, 18) and two 3-bit codes (0, 1).
    let mut lengths = [0u8; 19];
    lengths[16] = 2;
    lengths[17] = 2;
    lengths[18] = 2;
    lengths[0] = 3;
    lengths[1] = 3;
    w.bits(1, 1)
        .bits(2, 2)
        .bits(hlit, 5)
        .bits(hdist, 5)
        .bits(19 - 4, 4);
    let order = [
        16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
    ];
    for &symbol in &order {
        w.bits(lengths[symbol] as u32, 3);
    }
    let codes = canonical(&lengths);
    let mut out = [0u32; 19];
    out.copy_from_slice(&codes);
    out
}

#[test]
fn repeating_the_previous_length_with_none_is_refused() {
    let mut w = BitWriter::default();
    let pre = precode_with_repeats(&mut w, 0, 0);
    w.code(pre[16], 2).bits(0, 2);
    assert_eq!(
        refused(Format::Raw, &w.finish()),
        InflateError::BadCodeLengths
    );
}

#[test]
fn repeats_past_the_declared_lengths_are_refused() {
    let mut w = BitWriter::default();
    let pre = precode_with_repeats(&mut w, 0, 0);
    // 257 + 1 = 258 lengths: 138 + 138 zeros is too many.
    w.code(pre[18], 2)
        .bits(127, 7)
        .code(pre[18], 2)
        .bits(127, 7);
    assert_eq!(
        refused(Format::Raw, &w.finish()),
        InflateError::BadCodeLengths
    );
}

#[test]
fn a_missing_end_of_block_code_is_refused() {
    let mut w = BitWriter::default();
    let pre = precode_with_repeats(&mut w, 0, 0);
    // Lengths: 1 for symbols 0 and 1, zeros for the rest (257 + 1 total).
    w.code(pre[1], 3)
        .code(pre[1], 3)
        .code(pre[18], 2)
        .bits(138 - 11, 7)
        .code(pre[18], 2)
        .bits(118 - 11, 7);
    assert_eq!(
        refused(Format::Raw, &w.finish()),
        InflateError::MissingEndOfBlock
    );
}

#[test]
fn an_oversubscribed_code_is_refused() {
    // Precode with every length 7... simpler: three codes of length 1.
    let mut w = BitWriter::default();
    w.bits(1, 1).bits(2, 2).bits(0, 5).bits(0, 5).bits(0, 4);
    // HCLEN 4: symbols 16, 17, 18, 0 with length 1 each: over-subscribed.
    w.bits(1, 3).bits(1, 3).bits(1, 3).bits(1, 3);
    assert_eq!(
        refused(Format::Raw, &w.finish()),
        InflateError::OversubscribedTree
    );
}

#[test]
fn an_incomplete_code_is_refused() {
    // Precode with a single code of length 2: incomplete (and precodes
    // have no one-code exception).
    let mut w = BitWriter::default();
    w.bits(1, 1).bits(2, 2).bits(0, 5).bits(0, 5).bits(0, 4);
    w.bits(0, 3).bits(0, 3).bits(0, 3).bits(2, 3);
    assert_eq!(
        refused(Format::Raw, &w.finish()),
        InflateError::IncompleteTree
    );

    // A literal/length code with one code of 2 bits: only one code of one
    // bit is allowed.
    let mut litlen = vec![0u8; 257];
    litlen[256] = 2;
    let mut w = BitWriter::default();
    dynamic_header(&mut w, true, &litlen, &[0]);
    w.code(0, 2);
    assert_eq!(
        refused(Format::Raw, &w.finish()),
        InflateError::IncompleteTree
    );
}

#[test]
fn unused_fixed_symbols_are_refused() {
    for symbol in [286, 287] {
        let raw = BitWriter::default()
            .bits(1, 1)
            .bits(1, 2)
            .fixed(b'a' as u32)
            .fixed(symbol)
            .code(0, 5)
            .fixed(256)
            .finish();
        assert_eq!(
            refused(Format::Raw, &raw),
            InflateError::BadSymbol,
            "{symbol}"
        );
    }
    for distance in [30, 31] {
        let raw = BitWriter::default()
            .bits(1, 1)
            .bits(1, 2)
            .fixed(b'a' as u32)
            .fixed(257)
            .code(distance, 5)
            .fixed(256)
            .finish();
        assert_eq!(
            refused(Format::Raw, &raw),
            InflateError::BadSymbol,
            "{distance}"
        );
    }
}

#[test]
fn an_unused_code_of_an_incomplete_tree_is_refused() {
    // Distance code: one code "0" of one bit; the input sends "1".
    let mut litlen = vec![0u8; 258];
    litlen[97] = 1;
    litlen[256] = 2;
    litlen[257] = 2;
    let codes = canonical(&litlen);
    let mut w = BitWriter::default();
    dynamic_header(&mut w, true, &litlen, &[1]);
    w.code(codes[97], 1)
        .code(codes[257], 2)
        .code(1, 1)
        .code(codes[256], 2);
    assert_eq!(refused(Format::Raw, &w.finish()), InflateError::BadSymbol);
    // A length with no distance code at all.
    let mut w = BitWriter::default();
    dynamic_header(&mut w, true, &litlen, &[0]);
    w.code(codes[97], 1)
        .code(codes[257], 2)
        .code(0, 1)
        .code(codes[256], 2);
    assert_eq!(refused(Format::Raw, &w.finish()), InflateError::BadSymbol);
}

fn empty_raw() -> Vec<u8> {
    vec![0x03, 0x00]
}

#[test]
fn gzip_header_errors() {
    let good = gzip_wrap(&empty_raw(), b"");
    assert_eq!(inflate(Format::Gzip, &good), b"");
    for (at, byte) in [
        (0, 0x1e),
        (1, 0x8c),
        (2, 7),
        (3, 0x20),
        (3, 0x40),
        (3, 0x80),
    ] {
        let mut bad = good.clone();
        bad[at] = byte;
        assert_eq!(
            refused(Format::Gzip, &bad),
            InflateError::BadGzipHeader,
            "{at} {byte}"
        );
    }
}

/// A gzip header with every optional part, FHCRC last.
fn full_gzip_header(flags: u8, name: &[u8], comment: &[u8], extra: &[u8]) -> Vec<u8> {
    let mut h = vec![0x1f, 0x8b, 8, flags, 1, 2, 3, 4, 0, 255];
    if flags & FEXTRA != 0 {
        h.extend_from_slice(&(extra.len() as u16).to_le_bytes());
        h.extend_from_slice(extra);
    }
    if flags & FNAME != 0 {
        h.extend_from_slice(name);
        h.push(0);
    }
    if flags & FCOMMENT != 0 {
        h.extend_from_slice(comment);
        h.push(0);
    }
    if flags & FHCRC != 0 {
        let crc = crc32(0, &h) as u16;
        h.extend_from_slice(&crc.to_le_bytes());
    }
    h
}

#[test]
fn gzip_optional_header_parts_are_read() {
    let mut raw = BitWriter::default()
        .bits(1, 1)
        .bits(1, 2)
        .fixed(b'h' as u32)
        .fixed(b'i' as u32)
        .fixed(256)
        .finish();
    raw.extend_from_slice(&crc32(0, b"hi").to_le_bytes());
    raw.extend_from_slice(&2u32.to_le_bytes());
    for flags in 0..32u8 {
        let mut gz = full_gzip_header(flags, b"name.txt", b"a comment", &[0x1f, 0x8b, 0, 9, 9]);
        gz.extend_from_slice(&raw);
        assert_eq!(inflate(Format::Gzip, &gz), b"hi", "flags {flags:#x}");
    }
    // An empty extra field.
    let mut gz = full_gzip_header(FEXTRA | FHCRC, b"", b"", b"");
    gz.extend_from_slice(&raw);
    assert_eq!(inflate(Format::Gzip, &gz), b"hi");
    // A wrong header CRC.
    let mut gz = full_gzip_header(FNAME | FHCRC, b"x", b"", b"");
    let n = gz.len();
    gz[n - 1] ^= 1;
    gz.extend_from_slice(&raw);
    assert_eq!(
        refused(Format::Gzip, &gz),
        InflateError::GzipHeaderCrcMismatch
    );
}

#[test]
fn gzip_trailer_errors() {
    let raw = BitWriter::default()
        .bits(1, 1)
        .bits(1, 2)
        .fixed(b'z' as u32)
        .fixed(256)
        .finish();
    let good = gzip_wrap(&raw, b"z");
    assert_eq!(inflate(Format::Gzip, &good), b"z");
    let n = good.len();
    let mut bad = good.clone();
    bad[n - 8] ^= 1;
    assert_eq!(refused(Format::Gzip, &bad), InflateError::GzipCrcMismatch);
    let mut bad = good.clone();
    bad[n - 4] ^= 1;
    assert_eq!(refused(Format::Gzip, &bad), InflateError::GzipSizeMismatch);
}

#[test]
fn gzip_members_decode_as_one_output() {
    let raw = BitWriter::default()
        .bits(1, 1)
        .bits(1, 2)
        .fixed(b'a' as u32)
        .fixed(256)
        .finish();
    let one = gzip_wrap(&raw, b"a");
    let three = [one.clone(), one.clone(), one.clone()].concat();
    assert_eq!(inflate(Format::Gzip, &three), b"aaa");
    // A member may not reach back into the previous one.
    let reach = BitWriter::default()
        .bits(1, 1)
        .bits(1, 2)
        .fixed(257)
        .code(0, 5)
        .fixed(256)
        .finish();
    let bad = [one.clone(), gzip_wrap(&reach, b"aaa")].concat();
    assert_eq!(
        refused(Format::Gzip, &bad),
        InflateError::DistanceTooFarBack
    );
}

#[test]
fn gzip_done_between_members_and_after_the_last() {
    let raw = BitWriter::default()
        .bits(1, 1)
        .bits(1, 2)
        .fixed(b'a' as u32)
        .fixed(256)
        .finish();
    let one = gzip_wrap(&raw, b"a");
    let mut inflate = Inflate::new(Format::Gzip);
    let mut out = [0u8; 16];
    let p = inflate.decode(&one, &mut out).unwrap();
    assert!(p.done && p.consumed == one.len() && p.produced == 1);
    // The next member's first byte: no longer done.
    let p = inflate.decode(&one[..1], &mut out).unwrap();
    assert!(!p.done && p.consumed == 1);
    let p = inflate.decode(&one[1..], &mut out).unwrap();
    assert!(p.done && p.produced == 1);
}

#[test]
fn trailing_data_is_refused() {
    let raw = BitWriter::default()
        .bits(1, 1)
        .bits(1, 2)
        .fixed(b'a' as u32)
        .fixed(256)
        .finish();
    let gz = gzip_wrap(&raw, b"a");
    for tail in [&[0u8][..], &[0, 0, 0, 0], b"garbage", &[0x1e]] {
        let bad = [&gz[..], tail].concat();
        assert_eq!(
            refused(Format::Gzip, &bad),
            InflateError::TrailingData,
            "{tail:?}"
        );
        let bad = [&zlib_wrap(&raw, b"a")[..], tail].concat();
        assert_eq!(
            refused(Format::Zlib, &bad),
            InflateError::TrailingData,
            "{tail:?}"
        );
        let bad = [&raw[..], tail].concat();
        assert_eq!(
            refused(Format::Raw, &bad),
            InflateError::TrailingData,
            "{tail:?}"
        );
    }
    // A gzip member followed by the start of a member that never comes is
    // truncated, not done.
    let cut = [&gz[..], &gz[..3]].concat();
    assert_eq!(
        decode_every_way(Format::Gzip, &cut),
        Ok((b"a".to_vec(), false))
    );
}

#[test]
fn zlib_header_and_trailer_errors() {
    let raw = BitWriter::default()
        .bits(1, 1)
        .bits(1, 2)
        .fixed(b'a' as u32)
        .fixed(256)
        .finish();
    let good = zlib_wrap(&raw, b"a");
    assert_eq!(inflate(Format::Zlib, &good), b"a");
    // Method 7, window 2^16, a failed check.
    for header in [[0x77, 0x9c], [0x88, 0x98], [0x78, 0x9d]] {
        let bad = [&header[..], &good[2..]].concat();
        assert_eq!(
            refused(Format::Zlib, &bad),
            InflateError::BadZlibHeader,
            "{header:?}"
        );
    }
    // FDICT: 0x78 0xBB passes the check with the dictionary flag set.
    let bad = [&[0x78, 0xBB][..], &good[2..]].concat();
    assert_eq!(refused(Format::Zlib, &bad), InflateError::ZlibDictionary);
    assert_eq!(
        refused(Format::ZlibOrRaw, &bad),
        InflateError::ZlibDictionary
    );
    let n = good.len();
    let mut bad = good.clone();
    bad[n - 1] ^= 1;
    assert_eq!(refused(Format::Zlib, &bad), InflateError::AdlerMismatch);
}

#[test]
fn zlib_or_raw_takes_both() {
    let raw = BitWriter::default()
        .bits(1, 1)
        .bits(1, 2)
        .fixed(b'q' as u32)
        .fixed(256)
        .finish();
    assert_eq!(inflate(Format::ZlibOrRaw, &zlib_wrap(&raw, b"q")), b"q");
    assert_eq!(inflate(Format::ZlibOrRaw, &raw), b"q");
    let mut w = BitWriter::default();
    stored(&mut w, true, b"stored");
    assert_eq!(inflate(Format::ZlibOrRaw, &w.finish()), b"stored");
}

#[test]
fn an_error_sticks_until_reset() {
    let mut inflate = Inflate::new(Format::Raw);
    let mut out = [0u8; 8];
    assert_eq!(
        inflate.decode(&[0x07], &mut out),
        Err(InflateError::BadBlockType)
    );
    assert_eq!(
        inflate.decode(&[0x03, 0x00], &mut out),
        Err(InflateError::BadBlockType)
    );
    inflate.reset();
    let p = inflate.decode(&[0x03, 0x00], &mut out).unwrap();
    assert!(p.done);
}

#[test]
fn errors_have_lowercase_messages() {
    for e in [
        InflateError::BadBlockType,
        InflateError::ZlibDictionary,
        InflateError::TrailingData,
    ] {
        let text = e.to_string();
        assert!(text.chars().next().unwrap().is_lowercase(), "{text}");
    }
    assert!(InflateError::ZlibDictionary
        .to_string()
        .contains("dictionary"));
}

// ---- permessage-deflate ----

#[test]
fn a_sync_flushed_stream_yields_all_its_output_without_a_final_block() {
    // Message 1: "abcabc" then a sync flush; message 2 refers back into 1.
    let mut w = BitWriter::default();
    w.bits(0, 1)
        .bits(1, 2)
        .fixed(b'a' as u32)
        .fixed(b'b' as u32)
        .fixed(b'c' as u32)
        .fixed(257)
        .code(2, 5)
        .fixed(256);
    stored(&mut w, false, b"");
    let first = w.finish();
    assert_eq!(&first[first.len() - 4..], [0, 0, 0xff, 0xff]);
    let mut w = BitWriter::default();
    // Length 4 (symbol 258) at distance 5 (code 4, extra bit 0).
    w.bits(0, 1)
        .bits(1, 2)
        .fixed(258)
        .code(4, 5)
        .bits(0, 1)
        .fixed(256);
    stored(&mut w, false, b"");
    let second = w.finish();

    let mut inflate = Inflate::new(Format::Raw);
    let mut out = [0u8; 64];
    // Byte by byte: all output is out once the message's bytes are in.
    let mut got = Vec::new();
    for &b in &first {
        let p = inflate.decode(&[b], &mut out).unwrap();
        got.extend_from_slice(&out[..p.produced]);
    }
    assert_eq!(got, b"abcabc");
    let p = inflate.decode(&second, &mut out).unwrap();
    assert_eq!(&out[..p.produced], b"bcab");
    assert!(!p.done);

    // After reset the window is gone: the second message reaches too far.
    inflate.reset();
    assert_eq!(
        inflate.decode(&second, &mut out),
        Err(InflateError::DistanceTooFarBack)
    );
}

#[test]
fn start_message_continues_after_a_final_block_with_the_window() {
    let first = BitWriter::default()
        .bits(1, 1)
        .bits(1, 2)
        .fixed(b'x' as u32)
        .fixed(b'y' as u32)
        .fixed(256)
        .finish();
    let second = BitWriter::default()
        .bits(1, 1)
        .bits(1, 2)
        .fixed(258)
        .code(1, 5)
        .fixed(256)
        .finish();
    let mut inflate = Inflate::new(Format::Raw);
    let mut out = [0u8; 64];
    let p = inflate.decode(&first, &mut out).unwrap();
    assert!(p.done);
    assert_eq!(&out[..p.produced], b"xy");
    inflate.start_message();
    let p = inflate.decode(&second, &mut out).unwrap();
    assert!(p.done);
    assert_eq!(&out[..p.produced], b"xyxy");
}

// ---- generated vectors (tests/data/inflate/generate.py, system zlib) ----

macro_rules! vector {
    ($name:expr) => {
        include_bytes!(concat!("../../tests/data/inflate/generated/", $name))
    };
}

#[test]
fn zlib_made_streams_decode_every_way() {
    // gzip and zlib streams check themselves (CRC-32 and Adler-32).
    for (name, gz, zz) in [
        ("text", &vector!("text.gz")[..], &vector!("text.zz")[..]),
        ("noise", vector!("noise.gz"), vector!("noise.zz")),
        ("zeros", vector!("zeros.gz"), vector!("zeros.zz")),
        ("mixed", vector!("mixed.gz"), vector!("mixed.zz")),
        ("empty", vector!("empty.gz"), vector!("empty.zz")),
    ] {
        let expect = inflate(Format::Gzip, gz);
        assert_eq!(inflate(Format::Zlib, zz), expect, "{name}");
        assert_eq!(inflate(Format::ZlibOrRaw, zz), expect, "{name}");
    }
    let text = inflate(Format::Gzip, vector!("text.gz"));
    assert_eq!(inflate(Format::Zlib, vector!("text.window9.zz")), text);
    let sync = decode_every_way(Format::Raw, vector!("text.sync.deflate")).unwrap();
    assert_eq!(sync, (text[..40_000].to_vec(), false));
    let mut text6 = Vec::new();
    for (name, raw) in [
        ("0-default", &vector!("text.0-default.deflate")[..]),
        ("1-default", vector!("text.1-default.deflate")),
        ("6-default", vector!("text.6-default.deflate")),
        ("6-filtered", vector!("text.6-filtered.deflate")),
        ("6-fixed", vector!("text.6-fixed.deflate")),
        ("6-huffman", vector!("text.6-huffman.deflate")),
        ("6-rle", vector!("text.6-rle.deflate")),
        ("9-default", vector!("text.9-default.deflate")),
    ] {
        assert_eq!(inflate(Format::Raw, raw), text, "text {name}");
        assert_eq!(
            inflate(Format::ZlibOrRaw, raw),
            text,
            "text {name} as deflate"
        );
        text6 = raw.to_vec();
    }
    let _ = text6;
}

#[test]
fn an_output_of_exactly_the_data_size_reaches_the_end_in_one_call() {
    for (format, stream) in [
        (Format::Gzip, &vector!("mixed.gz")[..]),
        (Format::Zlib, vector!("text.zz")),
        (Format::Raw, vector!("text.6-default.deflate")),
        (Format::Gzip, vector!("empty.gz")),
    ] {
        let (expect, _) = decode_with(format, stream, Feed::Whole).unwrap();
        let mut out = vec![0u8; expect.len()];
        let p = Inflate::new(format).decode(stream, &mut out).unwrap();
        assert_eq!(
            (p.consumed, p.produced, p.done),
            (stream.len(), expect.len(), true)
        );
        assert_eq!(out, expect);
    }
}

#[test]
fn a_member_cannot_reach_into_stored_output_of_the_previous_one() {
    // Member 1: a stored block large enough to be copied straight to the
    // output; member 2: a match at distance 1 as its first symbol.
    let data = vec![7u8; 40_000];
    let mut w = BitWriter::default();
    stored(&mut w, true, &data);
    let one = gzip_wrap(&w.finish(), &data);
    let reach = BitWriter::default()
        .bits(1, 1)
        .bits(1, 2)
        .fixed(257)
        .code(0, 5)
        .fixed(256)
        .finish();
    let two = gzip_wrap(&reach, b"\x07\x07\x07");
    let both = [one, two].concat();
    let mut inflate = Inflate::new(Format::Gzip);
    let mut out = vec![0u8; 100_000];
    let result = inflate
        .decode(&both, &mut out)
        .and_then(|_| inflate.decode(&[], &mut out));
    assert_eq!(result, Err(InflateError::DistanceTooFarBack));
    assert_eq!(
        refused(Format::Gzip, &both),
        InflateError::DistanceTooFarBack
    );
}
