//! Arbitrary data compressed by miniz_oxide (flate2's default backend) at
//! every level and strategy, then decoded by brisk: it must give back the
//! data exactly. The first byte picks the level (0–10, 10 being miniz's
//! "uber"), the second the strategy (default, filtered, Huffman-only, RLE,
//! fixed codes) and the wrapper (raw, zlib, or gzip: miniz's raw DEFLATE
//! in two members, with headers whose optional parts the byte's top bits
//! pick and CRC-32s from flate2's `Crc`), the next two how brisk is fed
//! (`brisk::fuzzing::inflate_pieces`); the rest is the data.
#![no_main]

use std::cell::RefCell;
use std::collections::HashMap;

use brisk::fuzzing::inflate_pieces;
use brisk::inflate::Format;
use libfuzzer_sys::fuzz_target;
use miniz_oxide::deflate::core::{
    compress, create_comp_flags_from_zip_params, CompressionStrategy, CompressorOxide, TDEFLFlush,
    TDEFLStatus,
};

thread_local! {
    /// One compressor per set of flags, reset between runs: a new one per
    /// run spent most of the time allocating and zeroing its tables.
    static COMPRESSORS: RefCell<HashMap<u32, Box<CompressorOxide>>> = RefCell::new(HashMap::new());
}

/// Raw DEFLATE (zlib false) or zlib, from miniz_oxide's core, which takes
/// a strategy; fed in two calls so that blocks may split between them.
fn miniz(data: &[u8], level: u8, strategy: CompressionStrategy, zlib: bool) -> Vec<u8> {
    let window_bits = if zlib { 15 } else { -15 };
    let flags = create_comp_flags_from_zip_params(level.into(), window_bits, strategy as i32);
    COMPRESSORS.with_borrow_mut(|compressors| {
        let compressor = compressors
            .entry(flags)
            .or_insert_with(|| Box::new(CompressorOxide::new(flags)));
        compressor.reset();
        let mut out = vec![0u8; data.len() + data.len() / 8 + 1024];
        let half = data.len() / 2;
        let (status, used, written) =
            compress(compressor, &data[..half], &mut out, TDEFLFlush::None);
        assert_eq!((status, used), (TDEFLStatus::Okay, half));
        let (status, used, more) =
            compress(compressor, &data[half..], &mut out[written..], TDEFLFlush::Finish);
        assert_eq!((status, used), (TDEFLStatus::Done, data.len() - half));
        out.truncate(written + more);
        out
    })
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(data);
    crc.sum()
}

/// A gzip member (RFC 1952) around `deflate`, with the optional header
/// parts `flags` asks for (FHCRC, FEXTRA, FNAME, FCOMMENT).
fn gzip_member(deflate: &[u8], data: &[u8], flags: u8) -> Vec<u8> {
    let mut gz = vec![0x1f, 0x8b, 8, flags, 0x78, 0x56, 0x34, 0x12, 0, 3];
    if flags & 4 != 0 {
        gz.extend_from_slice(&[5, 0, b'B', b'r', 1, 0, 0]);
    }
    if flags & 8 != 0 {
        gz.extend_from_slice(b"data.json\0");
    }
    if flags & 16 != 0 {
        gz.extend_from_slice(b"a comment\0");
    }
    if flags & 2 != 0 {
        let crc = crc32(&gz) as u16;
        gz.extend_from_slice(&crc.to_le_bytes());
    }
    gz.extend_from_slice(deflate);
    gz.extend_from_slice(&crc32(data).to_le_bytes());
    gz.extend_from_slice(&(data.len() as u32).to_le_bytes());
    gz
}

fuzz_target!(|input: &[u8]| {
    let [level, mode, s0, s1, data @ ..] = input else {
        return;
    };
    let level = level % 11;
    let strategy = [
        CompressionStrategy::Default,
        CompressionStrategy::Filtered,
        CompressionStrategy::HuffmanOnly,
        CompressionStrategy::RLE,
        CompressionStrategy::Fixed,
    ][usize::from(mode % 5)];
    let seed = u64::from(u16::from_le_bytes([*s0, *s1]));
    let (format, stream) = match (mode / 5) % 3 {
        0 => (Format::Raw, miniz(data, level, strategy, false)),
        1 => (Format::Zlib, miniz(data, level, strategy, true)),
        _ => {
            // Two members: the data's first third, then the rest.
            let flags = (mode >> 3) & 0x1e;
            let split = data.len() / 3;
            let mut gz = Vec::new();
            for part in [&data[..split], &data[split..]] {
                gz.extend(gzip_member(&miniz(part, level, strategy, false), part, flags));
            }
            (Format::Gzip, gz)
        }
    };
    let (out, end) = inflate_pieces(format, &stream, seed, usize::MAX);
    assert_eq!(end, Ok(true), "{format:?} level {level} {strategy:?}");
    assert!(out == data, "{format:?} level {level} {strategy:?}: output differs");
    if format != Format::Gzip {
        // The "deflate" content-coding reads both.
        let (out, end) = inflate_pieces(Format::ZlibOrRaw, &stream, seed, usize::MAX);
        // A raw stream whose first two bytes happen to form a valid zlib
        // header is read as zlib, and then fails: the documented rule.
        if format == Format::Zlib || end == Ok(true) {
            assert_eq!(end, Ok(true));
            assert!(out == data);
        }
    }
});
