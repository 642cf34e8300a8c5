//! Arbitrary data compressed by miniz_oxide (flate2's default backend) at
//! every level and strategy, then decoded by brisk: it must give back the
//! data exactly. The first byte picks the level (0–10, 10 being miniz's
//! "uber"), the second the strategy (default, filtered, Huffman-only, RLE,
//! fixed codes) and the wrapper (raw, zlib, gzip through flate2), the next
//! two how brisk is fed (`brisk::fuzzing::inflate_pieces`); the rest is
//! the data.
#![no_main]

use std::io::Write;

use brisk::fuzzing::inflate_pieces;
use brisk::inflate::Format;
use libfuzzer_sys::fuzz_target;
use miniz_oxide::deflate::core::{
    compress, create_comp_flags_from_zip_params, CompressionStrategy, CompressorOxide, TDEFLFlush,
    TDEFLStatus,
};

/// Raw DEFLATE (window_bits < 0) or zlib (> 0) from miniz_oxide's core,
/// which takes a strategy; fed in two calls to exercise its block splits.
fn miniz(data: &[u8], level: u8, strategy: CompressionStrategy, zlib: bool) -> Vec<u8> {
    let window_bits = if zlib { 15 } else { -15 };
    let flags = create_comp_flags_from_zip_params(level.into(), window_bits, strategy as i32);
    let mut compressor = CompressorOxide::new(flags);
    let mut out = vec![0u8; data.len() + data.len() / 8 + 1024];
    let half = data.len() / 2;
    let (status, used, written) = compress(&mut compressor, &data[..half], &mut out, TDEFLFlush::None);
    assert_eq!((status, used), (TDEFLStatus::Okay, half));
    let (status, used, written2) =
        compress(&mut compressor, &data[half..], &mut out[written..], TDEFLFlush::Finish);
    assert_eq!((status, used), (TDEFLStatus::Done, data.len() - half));
    out.truncate(written + written2);
    out
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
            // gzip through flate2 (levels 0–9, default strategy), as two
            // members when the data is long enough to split.
            let mut gz = Vec::new();
            let split = data.len() / 3;
            for part in [&data[..split], &data[split..]] {
                let level = flate2::Compression::new(u32::from(level.min(9)));
                let mut encoder = flate2::write::GzEncoder::new(Vec::new(), level);
                encoder.write_all(part).unwrap();
                gz.extend(encoder.finish().unwrap());
            }
            (Format::Gzip, gz)
        }
    };
    let (out, end) = inflate_pieces(format, &stream, seed, usize::MAX);
    assert_eq!(end, Ok(true), "{format:?} level {level} {strategy:?}");
    assert!(out == data, "{format:?} level {level} {strategy:?}: output differs");
    if format == Format::Zlib {
        let (out, end) = inflate_pieces(Format::ZlibOrRaw, &stream, seed, usize::MAX);
        assert!(end == Ok(true) && out == data);
    }
    if format == Format::Raw {
        let (out, end) = inflate_pieces(Format::ZlibOrRaw, &stream, seed, usize::MAX);
        // A raw stream may start with two bytes that form a zlib header;
        // then ZlibOrRaw reads it as zlib, and it fails.
        if end == Ok(true) {
            assert!(out == data);
        }
    }
});
