//! RFC 1950 and 1952: zlib and gzip headers, trailers, members and trailing data.

use super::*;
use crate::inflate::wrapper::{FCOMMENT, FEXTRA, FHCRC, FNAME};
pub(super) fn empty_raw() -> Vec<u8> {
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
pub(super) fn full_gzip_header(flags: u8, name: &[u8], comment: &[u8], extra: &[u8]) -> Vec<u8> {
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
