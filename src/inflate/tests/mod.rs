//! Unit tests: checksums, every error, the classic hard cases, and split
//! invariance (every input decoded whole, byte by byte and in random
//! pieces into outputs of random sizes must give the same bytes).

use super::*;

mod blocks;
mod checksums;
mod fast;
mod streams;
mod wrappers;

/// A tiny deterministic generator for split points.
pub(super) struct Lcg(u64);

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
pub(super) enum Feed {
    Whole,
    ByteByByte,
    Random(u64),
}

/// Decodes `input` fed as `feed` says; returns the output and whether the
/// decoder reported the end, or the first error. Checks the API's
/// promises on every call: progress unless done or output full, and
/// `consumed < len` only when the output is full or done.
pub(super) fn decode_with(
    format: Format,
    input: &[u8],
    feed: Feed,
) -> Result<(Vec<u8>, bool), InflateError> {
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
pub(super) fn decode_every_way(
    format: Format,
    input: &[u8],
) -> Result<(Vec<u8>, bool), InflateError> {
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
pub(super) fn inflate(format: Format, input: &[u8]) -> Vec<u8> {
    let (out, done) = decode_every_way(format, input).unwrap();
    assert!(done, "stream not complete");
    out
}

pub(super) fn refused(format: Format, input: &[u8]) -> InflateError {
    let whole = decode_with(format, input, Feed::Whole);
    let bytewise = decode_with(format, input, Feed::ByteByByte);
    assert_eq!(whole.clone().err(), bytewise.err());
    whole.expect_err("accepted")
}

/// Writes DEFLATE bits, least significant first (RFC 1951 §3.1.1).
#[derive(Default)]
pub(super) struct BitWriter {
    bytes: Vec<u8>,
    bit: u32,
}

impl BitWriter {
    /// `n` bits of `value`, least significant first (header fields,
    /// extra bits).
    pub(super) fn bits(&mut self, value: u32, n: u32) -> &mut Self {
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
    pub(super) fn code(&mut self, code: u32, n: u32) -> &mut Self {
        for i in (0..n).rev() {
            self.bits((code >> i) & 1, 1);
        }
        self
    }
    /// A fixed-code literal/length symbol (RFC 1951 §3.2.6).
    pub(super) fn fixed(&mut self, symbol: u32) -> &mut Self {
        match symbol {
            0..=143 => self.code(0x30 + symbol, 8),
            144..=255 => self.code(0x190 + symbol - 144, 9),
            256..=279 => self.code(symbol - 256, 7),
            _ => self.code(0xC0 + symbol - 280, 8),
        }
    }
    pub(super) fn align(&mut self) -> &mut Self {
        self.bit = 0;
        self
    }
    pub(super) fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.align();
        self.bytes.extend_from_slice(bytes);
        self
    }
    pub(super) fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.bytes)
    }
}

/// A stored block with `data`.
pub(super) fn stored(w: &mut BitWriter, last: bool, data: &[u8]) {
    let len = data.len() as u16;
    w.bits(last as u32, 1).bits(0, 2).align();
    w.bytes(&len.to_le_bytes())
        .bytes(&(!len).to_le_bytes())
        .bytes(data);
}

pub(super) fn gzip_wrap(deflate: &[u8], data: &[u8]) -> Vec<u8> {
    let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    gz.extend_from_slice(deflate);
    gz.extend_from_slice(&crc32(0, data).to_le_bytes());
    gz.extend_from_slice(&(data.len() as u32).to_le_bytes());
    gz
}

pub(super) fn zlib_wrap(deflate: &[u8], data: &[u8]) -> Vec<u8> {
    let mut zz = vec![0x78, 0x9c];
    zz.extend_from_slice(deflate);
    zz.extend_from_slice(&adler32(1, data).to_be_bytes());
    zz
}

/// A file of `tests/data/inflate/generated/`, made by the system zlib.
macro_rules! vector {
    ($name:expr) => {
        include_bytes!(concat!("../../../tests/data/inflate/generated/", $name))
    };
}
pub(super) use vector;
