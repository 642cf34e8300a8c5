//! The `inflate_*` targets: the DEFLATE decoder fed in pieces, with the
//! API's promises checked on every call.

use crate::inflate::{Format, Inflate, InflateError};

/// What a decode ended with: the output so far, and either whether the
/// stream was complete (`Ok(true)`) or cut short (`Ok(false)`), or the
/// error that stopped it.
pub type InflateOutcome = (Vec<u8>, Result<bool, InflateError>);

/// Output sizes a run picks from: 1 byte, a few, a match, a page, the
/// client's read size.
const OUTPUT_SIZES: [usize; 5] = [1, 7, 258, 4096, 65_536];

/// A small deterministic generator for piece and output sizes.
struct Pieces(u64);

impl Pieces {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// Decodes `stream` as `format`, fed in pieces and into output pieces
/// whose sizes `seed` picks (seed 0: the whole input at once into 64 KiB
/// pieces). Checks on every call what [`Inflate::decode`] promises:
/// nothing consumed past the input nor produced past the room; input left
/// over only when the output is full or the stream is done; progress
/// whenever there is input and room and the stream is not done; `done`
/// agreeing with [`Inflate::is_done`]. At the end of the input, one more
/// call with no input drains what is pending. Stops after `max_output`
/// bytes (a tiny input can stand for gigabytes).
pub fn inflate_pieces(
    format: Format,
    stream: &[u8],
    seed: u64,
    max_output: usize,
) -> InflateOutcome {
    // One decoder per format and thread, reset between runs: a fresh one
    // per run spent more time in the allocator than in decoding, and this
    // way every run also checks that `reset` forgets everything.
    thread_local! {
        static DECODERS: std::cell::RefCell<Vec<Inflate>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    DECODERS.with_borrow_mut(|decoders| {
        let index = match decoders.iter().position(|d| d.format() == format) {
            Some(index) => index,
            None => {
                decoders.push(Inflate::new(format));
                decoders.len() - 1
            }
        };
        let inflate = &mut decoders[index];
        inflate.reset();
        run_pieces(inflate, stream, seed, max_output)
    })
}

fn run_pieces(
    inflate: &mut Inflate,
    stream: &[u8],
    seed: u64,
    max_output: usize,
) -> InflateOutcome {
    let mut pieces = Pieces(seed);
    let mut output = Vec::new();
    let mut buf = vec![0u8; 65_536];
    let mut at = 0;
    loop {
        let (piece, room) = if seed == 0 {
            (stream.len() - at, 65_536)
        } else {
            let piece = match pieces.next(4) {
                0 => pieces.next(2),
                1 => pieces.next(16),
                2 => pieces.next(512),
                _ => pieces.next(65_536),
            };
            let room = OUTPUT_SIZES[pieces.next(OUTPUT_SIZES.len())];
            (piece.min(stream.len() - at), room)
        };
        let input = &stream[at..at + piece];
        let progress = match inflate.decode(input, &mut buf[..room]) {
            Ok(progress) => progress,
            Err(e) => {
                // An error sticks.
                assert_eq!(inflate.decode(&[], &mut buf[..1]), Err(e));
                return (output, Err(e));
            }
        };
        assert!(progress.consumed <= piece && progress.produced <= room);
        assert_eq!(progress.done, inflate.is_done());
        output.extend_from_slice(&buf[..progress.produced]);
        if progress.consumed < piece && progress.produced < room && !progress.done {
            // Output before an error, all of it out (room is left): the
            // error comes next.
            let next = inflate.decode(&[], &mut buf[..1]);
            let e = next.expect_err("input left over, room left, not done, no error");
            return (output, Err(e));
        }
        if piece > 0 && !progress.done {
            assert!(
                progress.consumed + progress.produced > 0,
                "no progress: {progress:?}"
            );
        }
        at += progress.consumed;
        if output.len() >= max_output {
            return (output, Ok(false));
        }
        if at == stream.len() && progress.produced < room {
            // All input is in and the output was not filled: nothing is
            // pending. One empty call changes nothing (or reports an error
            // met after this call's output).
            match inflate.decode(&[], &mut buf[..room]) {
                Ok(last) => assert_eq!((last.consumed, last.produced), (0, 0)),
                Err(e) => return (output, Err(e)),
            }
            return (output, Ok(inflate.is_done()));
        }
        if progress.done && at == stream.len() {
            return (output, Ok(true));
        }
    }
}

/// The format a fuzz input's first byte picks.
pub fn inflate_format(byte: u8) -> Format {
    [Format::Raw, Format::Zlib, Format::Gzip, Format::ZlibOrRaw][usize::from(byte % 4)]
}

/// Decodes `stream` whole and in the pieces `seed` picks, checks that
/// both give the same output, the same end and the same error, and returns
/// that outcome. Output is capped at `cap` bytes.
pub fn inflate_whole_and_pieces(
    format: Format,
    stream: &[u8],
    seed: u64,
    cap: usize,
) -> InflateOutcome {
    let whole = inflate_pieces(format, stream, 0, cap);
    let pieces = inflate_pieces(format, stream, seed.max(1), cap);
    if whole.0.len() >= cap || pieces.0.len() >= cap {
        let n = whole.0.len().min(pieces.0.len());
        assert!(whole.0[..n] == pieces.0[..n], "capped outputs differ");
        return whole;
    }
    assert!(
        whole.0 == pieces.0,
        "outputs differ: {} and {} bytes",
        whole.0.len(),
        pieces.0.len()
    );
    assert_eq!(whole.1, pieces.1);
    whole
}

/// The decoder on arbitrary bytes: never panics, and gives the same
/// output, the same end and the same error fed whole and in pieces. The
/// first byte picks the format, the next two the pieces' seed; the rest is
/// the stream. Output is capped at 1 MiB.
pub fn inflate(data: &[u8]) {
    let [format, s0, s1, stream @ ..] = data else {
        return;
    };
    let seed = u64::from(u16::from_le_bytes([*s0, *s1]));
    let _ = inflate_whole_and_pieces(inflate_format(*format), stream, seed, 1 << 20);
}
