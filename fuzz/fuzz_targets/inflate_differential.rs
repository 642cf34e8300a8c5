//! Arbitrary bytes to brisk's inflate and to miniz_oxide (raw DEFLATE and
//! zlib) or flate2's `MultiGzDecoder` over miniz_oxide (gzip): the same
//! output, or both refuse. The first byte picks the format (`Raw`, `Zlib`,
//! `Gzip`, `ZlibOrRaw`), the next two how brisk is fed (input pieces and
//! output sizes, `brisk::fuzzing::inflate_pieces`); the rest is the
//! stream. brisk's own whole-versus-pieces check runs too
//! (`brisk::fuzzing::inflate_whole_and_pieces`).
//!
//! "Refuses" for brisk is an error or a stream that is not complete at the
//! end of the input; for miniz_oxide, anything but `Done`. Where the two
//! differ on purpose (the policy table in the `brisk::inflate` docs), the
//! exception is a predicate on brisk's error, with the output checked as
//! far as it goes:
//!
//! 1. Incomplete Huffman codes. miniz_oxide accepts a code with a single
//!    symbol of any length; brisk, like zlib and libdeflate, only one of one
//!    bit (`IncompleteTree`). Then brisk's output is a prefix of miniz's.
//! 2. Trailing data. miniz_oxide stops at the end of the stream and ignores
//!    what follows; brisk refuses it (`TrailingData`) after producing the
//!    whole stream's output, which must equal miniz's.
//! 3. ZlibOrRaw. miniz has no such mode: the stream is given to it as
//!    zlib when brisk's rule says zlib (a valid header), else as raw.
#![no_main]

use std::io::Read;

use brisk::fuzzing::{inflate_format, inflate_whole_and_pieces};
use brisk::inflate::{Format, InflateError};
use libfuzzer_sys::fuzz_target;
use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;

/// Output past this is not compared (a tiny input can stand for a lot).
const CAP: usize = 1 << 20;

/// miniz_oxide's reading: `Some(output)` when the stream ended (`Done`),
/// `None` when it refused or needed more input.
fn miniz(stream: &[u8], zlib: bool) -> Option<Vec<u8>> {
    let mut state = Box::<DecompressorOxide>::default();
    let mut flags = inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    if zlib {
        flags |= inflate_flags::TINFL_FLAG_PARSE_ZLIB_HEADER | inflate_flags::TINFL_FLAG_COMPUTE_ADLER32;
    }
    // One output buffer per thread, kept: zeroing a fresh one per run
    // cost more than the decoding.
    thread_local! {
        static OUT: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; CAP]);
    }
    let (status, consumed, out) = OUT.with_borrow_mut(|buf| {
        let (status, consumed, produced) = decompress(&mut state, stream, buf, 0, flags);
        (status, consumed, buf[..produced].to_vec())
    });
    if status != TINFLStatus::Done {
        return None;
    }
    // miniz_oxide skips its Adler-32 check when built for fuzzing
    // (`cfg(fuzzing)`, so that random inputs get further): check it here,
    // against the trailer it read (the last 4 bytes it consumed).
    if zlib {
        let trailer = stream.get(consumed.checked_sub(4)?..consumed)?;
        if u32::from_be_bytes(trailer.try_into().ok()?) != adler32(&out) {
            return None;
        }
    }
    Some(out)
}

/// Adler-32, the plainest way (RFC 1950 §9).
fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

fn gzip(stream: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut decoder = flate2::read::MultiGzDecoder::new(stream).take(CAP as u64);
    decoder.read_to_end(&mut out).ok()?;
    Some(out)
}

/// brisk's rule for `ZlibOrRaw`: a valid zlib header means zlib.
fn looks_like_zlib(stream: &[u8]) -> bool {
    let [cmf, flg, ..] = stream else { return false };
    cmf & 0x0F == 8 && cmf >> 4 <= 7 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0
}

fuzz_target!(|data: &[u8]| {
    let [format, s0, s1, stream @ ..] = data else {
        return;
    };
    let format = inflate_format(*format);
    let seed = u64::from(u16::from_le_bytes([*s0, *s1]));
    let (out, end) = inflate_whole_and_pieces(format, stream, seed, CAP);
    let reference = match format {
        Format::Raw => miniz(stream, false),
        Format::Zlib => miniz(stream, true),
        Format::ZlibOrRaw => miniz(stream, looks_like_zlib(stream)),
        Format::Gzip => gzip(stream),
    };
    if out.len() >= CAP || reference.as_ref().is_some_and(|r| r.len() >= CAP) {
        // Capped: compare what both have.
        if let Some(r) = &reference {
            let n = out.len().min(r.len());
            assert!(out[..n] == r[..n], "capped outputs differ");
        }
        return;
    }
    match (&end, &reference) {
        (Ok(true), Some(r)) => assert!(out == *r, "outputs differ: {} and {} bytes", out.len(), r.len()),
        (Ok(true), None) => panic!("brisk accepts ({} bytes), the reference refuses", out.len()),
        (Ok(false) | Err(_), None) => {}
        (Err(InflateError::IncompleteTree), Some(r)) => assert!(r.starts_with(&out), "not a prefix"),
        (Err(InflateError::TrailingData), Some(r)) if format != Format::Gzip => {
            assert!(out == *r, "outputs differ before trailing data")
        }
        (Ok(false) | Err(_), Some(r)) => {
            panic!("brisk refuses ({end:?} after {} bytes), the reference accepts {} bytes", out.len(), r.len())
        }
    }
});
