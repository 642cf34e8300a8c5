//! RFC 1951: the classic hard cases, and every error of the block decoder.

use super::*;

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
pub(super) fn dynamic_header(w: &mut BitWriter, last: bool, litlen: &[u8], dist: &[u8]) {
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
pub(super) fn canonical(lengths: &[u8]) -> Vec<u32> {
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
pub(super) fn precode_with_repeats(w: &mut BitWriter, hlit: u32, hdist: u32) -> [u32; 19] {
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

/// Stored blocks in a row, as incompressible data comes (decoded whole,
/// the large ones are copied straight to the output and reach the window
/// later), with padding bits set in their headers, an empty block and a
/// short one among them, a fixed block between them that reaches back
/// into the stored bytes, and a final stored block. Then the same run
/// with one length that is not its complement: refused.
#[test]
fn runs_of_stored_blocks_decode_every_way() {
    let sizes = [65_535usize, 4096, 0, 10_000, 100, 65_535, 20_000];
    let data: Vec<u8> = (0..250_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mut expect = Vec::new();
    let mut w = BitWriter::default();
    let mut from = 0;
    for (i, &size) in sizes.iter().enumerate() {
        let chunk = &data[from..from + size];
        from += size;
        // Header bits, then padding bits of ones to the byte's end.
        w.bits(0, 1).bits(0, 2);
        w.bits(0xFF, (8 - w.bit) % 8);
        w.bits(size as u32, 16).bits(!(size as u32) & 0xFFFF, 16);
        for &b in chunk {
            w.bits(b as u32, 8);
        }
        expect.extend_from_slice(chunk);
        if i == 3 {
            // A fixed block: a literal, then a match 5,000 back.
            w.bits(0, 1).bits(1, 2).fixed(b'#' as u32);
            expect.push(b'#');
            super::fast::fixed_match(&mut w, 40, 5_000);
            for _ in 0..40 {
                expect.push(expect[expect.len() - 5_000]);
            }
            w.fixed(256);
        }
    }
    stored(&mut w, true, &data[from..from + 30_000]);
    expect.extend_from_slice(&data[from..from + 30_000]);
    let raw = w.finish();
    for feed in [Feed::Whole, Feed::ByteByByte, Feed::Random(5)] {
        let (got, done) = decode_with(Format::Raw, &raw, feed).unwrap();
        assert!(done);
        assert!(got == expect, "{feed:?}");
    }
    assert_eq!(inflate(Format::Gzip, &gzip_wrap(&raw, &expect)), expect);

    // The 100-byte block's complement broken: refused, whole or in
    // pieces.
    let mut bad = raw.clone();
    let len_at = (0..bad.len() - 4)
        .find(|&i| bad[i..i + 4] == [100, 0, 0x9b, 0xff])
        .unwrap();
    bad[len_at + 3] ^= 1;
    for feed in [Feed::Whole, Feed::Random(9)] {
        assert_eq!(
            decode_with(Format::Raw, &bad, feed).map(|_| ()),
            Err(InflateError::BadStoredLength)
        );
    }
}
