//! A sans-IO decoder for DEFLATE (RFC 1951) and its two wrappers, zlib
//! (RFC 1950) and gzip (RFC 1952): compressed bytes in, decoded bytes out,
//! no I/O, resumable at any byte boundary.
//!
//! This is what decodes `Content-Encoding: gzip` and `deflate` bodies, and
//! WebSocket's permessage-deflate. It is written from the RFCs, in safe
//! Rust, with no dependency:
//!
//! - [`Inflate`] is fed input in pieces of any size and writes into output
//!   of any size; it keeps a 32 KiB window (and a bounded buffer after it)
//!   allocated once, so memory stays constant however large the output —
//!   a "zip bomb" costs time, never memory.
//! - [`crc32`] and [`adler32`] are the wrappers' checksums, exposed for
//!   whoever else needs them.
//!
//! ```
//! use brisk::inflate::{Format, Inflate};
//!
//! // "hello, hello, hello!" as gzip (Python's zlib, level 9).
//! let gz = [
//!     0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0x48, 0xcd, 0xc9,
//!     0xc9, 0xd7, 0x51, 0xc8, 0x40, 0xa2, 0x14, 0x01, 0xa7, 0xbb, 0xd2, 0xfe, 0x14, 0x00,
//!     0x00, 0x00,
//! ];
//! let mut inflate = Inflate::new(Format::Gzip);
//! let mut out = [0u8; 64];
//! let progress = inflate.decode(&gz, &mut out)?;
//! assert_eq!(&out[..progress.produced], b"hello, hello, hello!");
//! // The body ended: one empty call confirms that nothing is missing.
//! inflate.decode(&[], &mut out)?;
//! assert!(inflate.is_done());
//! # Ok::<(), brisk::inflate::InflateError>(())
//! ```
//!
//! # Complete or truncated
//!
//! Running out of input is never an error: a decoder simply waits for
//! more. So at the end of a body, call [`Inflate::decode`] once more with
//! an empty input (to drain what is pending) and ask [`Inflate::is_done`]:
//! `true` means the stream ended properly — for gzip, the last member's
//! CRC-32 and length were checked; for zlib, its Adler-32; for raw
//! DEFLATE, the final block ended — and `false` means the body was cut
//! short.
//!
//! # Policy choices
//!
//! | input | brisk | why |
//! | --- | --- | --- |
//! | gzip: several members back to back | decoded as one output (RFC 1952 §2.2); [`Inflate::is_done`] is true between members | `gzip -c a b` and gzip's own tool do this |
//! | bytes after the last gzip member that do not start a member (`1f`) | [`InflateError::TrailingData`], zero bytes included | a body must be intact; gzip(1) tolerates zero padding for tapes, which HTTP does not have |
//! | bytes after the end of a zlib or raw DEFLATE stream | [`InflateError::TrailingData`] | same |
//! | `deflate` content-coding ([`Format::ZlibOrRaw`]) | zlib if the first two bytes are a valid zlib header (method 8, window ≤ 32 KiB, header check), otherwise raw DEFLATE | servers have sent both since the 1990s; browsers and curl accept both |
//! | zlib preset dictionary (FDICT) | [`InflateError::ZlibDictionary`] | no HTTP coding defines a dictionary |
//! | gzip FTEXT, MTIME, XFL, OS, FEXTRA, FNAME, FCOMMENT | read and ignored | informational only |
//! | gzip FHCRC | checked: the low 16 bits of the header's CRC-32 | RFC 1952 §2.3.1 |
//! | gzip reserved flag bits, method other than 8 | [`InflateError::BadGzipHeader`] | RFC 1952 §2.3.1.2: must refuse |
//! | incomplete Huffman code | refused, except a single one-bit code (literal/length or distance) and an empty distance code | what zlib and libdeflate allow; miniz_oxide also accepts any single code of any length |
//! | length code 284 with extra bits 31 (length 258, outside its RFC range) | accepted as 258 | zlib, libdeflate and miniz_oxide decode it so |
//! | literal/length 286–287, distance 30–31 | [`InflateError::BadSymbol`] when used | RFC 1951 §3.2.6: they never occur in compressed data |
//! | more than 286 literal/length or 30 distance codes declared | [`InflateError::TooManyCodes`] | as zlib |
//! | a match reaching before the start of the stream (or member) | [`InflateError::DistanceTooFarBack`] | as zlib; each gzip member is its own stream |
//!
//! # WebSocket permessage-deflate
//!
//! RFC 7692 sends each message as raw DEFLATE ending in a sync flush (an
//! empty stored block, `00 00 ff ff`, which the sender strips and the
//! receiver puts back). Use [`Format::Raw`] and keep one decoder for the
//! connection: a call decodes everything the input allows, so when a
//! message's bytes (plus `00 00 ff ff`) are in, all of its output is out,
//! and the window carries over to the next message. With
//! `no_context_takeover`, call [`Inflate::reset`] between messages. If a
//! sender ends a message with a final block instead, call
//! [`Inflate::start_message`] before the next one.

mod checksum;
mod deflate;
mod error;
mod fast;
mod huffman;
#[cfg(test)]
mod tests;
mod window;
mod wrapper;

pub use self::checksum::{adler32, crc32};
pub use self::error::InflateError;

use self::deflate::{Bits, Block, Pause};
use self::wrapper::GzipHeader;

/// Which wrapper surrounds the DEFLATE data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Bare DEFLATE (RFC 1951), as in permessage-deflate.
    Raw,
    /// zlib (RFC 1950): a 2-byte header, DEFLATE, an Adler-32.
    Zlib,
    /// gzip (RFC 1952): a header, DEFLATE, a CRC-32 and the length; one or
    /// more members back to back.
    Gzip,
    /// The HTTP "deflate" coding: zlib-wrapped, or raw if the first two
    /// bytes are not a valid zlib header (as browsers and curl accept).
    ZlibOrRaw,
}

/// What one [`Inflate::decode`] call did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// How many input bytes were consumed (the rest must be offered again).
    pub consumed: usize,
    /// How many bytes were written at the start of the output.
    pub produced: usize,
    /// Whether the end of the stream was reached; see
    /// [`Inflate::is_done`].
    pub done: bool,
}

/// The size of the DEFLATE window: the farthest a match can reach back.
const WINDOW: usize = 32 * 1024;
/// The decoder's buffer: the window, then room for fresh output. Output is
/// decoded here and copied out; when the room runs low the last window's
/// worth slides to the front.
const BUFFER: usize = 4 * WINDOW;

/// Where the decoder stands, outside the DEFLATE data itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// The zlib header: `have` of its 2 bytes read.
    ZlibHeader { have: u8, bytes: [u8; 2] },
    /// The gzip header.
    GzipHeader(GzipHeader),
    /// The DEFLATE blocks.
    Deflate,
    /// The trailer (zlib: Adler-32, 4 bytes; gzip: CRC-32 and ISIZE, 8).
    Trailer { have: u8, bytes: [u8; 8] },
    /// A gzip member ended: another may follow.
    MemberEnd,
    /// The stream ended.
    End,
}

/// Which checksum the trailer carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    None,
    Adler,
    Crc,
}

/// A streaming DEFLATE / zlib / gzip decoder. See the [module
/// docs](self).
///
/// It owns a buffer of 128 KiB (the 32 KiB window and room for fresh
/// output) and its Huffman tables, all allocated by [`Inflate::new`] and
/// never again.
pub struct Inflate {
    format: Format,
    stage: Stage,
    error: Option<InflateError>,
    bits: Bits,
    block: Block,
    last_block: bool,
    /// Whether the tables hold the fixed codes (so a run of fixed blocks
    /// builds them once).
    fixed_tables: bool,
    /// Output the current block makes before its literal pairs are made
    /// ([`huffman::PAIR_AFTER`]); `usize::MAX` once made, or for a block
    /// that gets none.
    pair_in: usize,
    litlen: Vec<u32>,
    dist: Vec<u32>,
    precode: Vec<u32>,
    /// Code lengths of the dynamic block being read.
    lengths: [u8; 320],
    litlen_count: u16,
    dist_count: u16,
    precode_count: u8,
    /// The window buffer: `window[flushed..pos]` is decoded but not yet
    /// handed out; matches may reach back to `stream_start`.
    window: Box<[u8; BUFFER + fast::SLACK]>,
    pos: usize,
    flushed: usize,
    stream_start: usize,
    check: Check,
    /// Bytes [`Inflate::copy_stored`] put straight into the caller's
    /// output during this call and not yet into the window.
    unwindowed: usize,
    /// Running checksum of the member's output.
    checksum: u32,
    /// Output of the member, mod 2^32 (gzip's ISIZE).
    size: u32,
}

impl std::fmt::Debug for Inflate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inflate")
            .field("format", &self.format)
            .field("stage", &self.stage)
            .field("block", &self.block)
            .finish_non_exhaustive()
    }
}

impl Inflate {
    /// A decoder for one stream of `format`.
    pub fn new(format: Format) -> Inflate {
        let mut inflate = Inflate {
            format,
            stage: Stage::Deflate,
            error: None,
            bits: Bits::default(),
            block: Block::Header,
            last_block: false,
            fixed_tables: false,
            pair_in: usize::MAX,
            litlen: Vec::with_capacity(huffman::LITLEN_CAPACITY),
            dist: Vec::with_capacity(huffman::DIST_CAPACITY),
            precode: Vec::with_capacity(1 << huffman::PRECODE_ROOT),
            lengths: [0; 320],
            litlen_count: 0,
            dist_count: 0,
            precode_count: 0,
            // Zeroed on the heap (a boxed array literal may be built on
            // the stack first); the conversion cannot fail, the length
            // being the array's.
            window: vec![0; BUFFER + fast::SLACK]
                .into_boxed_slice()
                .try_into()
                .unwrap_or_else(|_| unreachable!()),
            pos: 0,
            flushed: 0,
            stream_start: 0,
            check: Check::None,
            checksum: 0,
            unwindowed: 0,
            size: 0,
        };
        inflate.reset();
        inflate
    }

    /// The format this decoder reads.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Forgets the window and all state, as [`Inflate::new`] would (for
    /// WebSocket's `no_context_takeover`), without reallocating.
    pub fn reset(&mut self) {
        self.stage = match self.format {
            Format::Raw => Stage::Deflate,
            Format::Zlib | Format::ZlibOrRaw => Stage::ZlibHeader {
                have: 0,
                bytes: [0; 2],
            },
            Format::Gzip => Stage::GzipHeader(GzipHeader::new()),
        };
        self.error = None;
        self.bits = Bits::default();
        self.block = Block::Header;
        self.last_block = false;
        self.pos = 0;
        self.flushed = 0;
        self.stream_start = 0;
        self.unwindowed = 0;
        self.start_checksum(match self.format {
            Format::Raw => Check::None,
            Format::Zlib | Format::ZlibOrRaw => Check::Adler,
            Format::Gzip => Check::Crc,
        });
    }

    /// Begins a new raw DEFLATE stream that may still refer back into the
    /// output of the previous one: for permessage-deflate (RFC 7692
    /// §7.2.3.3) when a message ended with a final block rather than a sync
    /// flush. Keeps the window; clears the end state and the bits left over
    /// after the final block. Pending output is kept.
    pub fn start_message(&mut self) {
        self.stage = Stage::Deflate;
        self.error = None;
        self.bits = Bits::default();
        self.block = Block::Header;
        self.last_block = false;
    }

    /// True once the end was reached: the final block ended and the
    /// trailer (if any) checked. For gzip: a member ended and no byte after
    /// it has been offered since (a byte `1f` would start the next member).
    /// Never true after an error.
    pub fn is_done(&self) -> bool {
        matches!(self.stage, Stage::End | Stage::MemberEnd)
            && self.flushed == self.pos
            && self.error.is_none()
    }

    /// Decodes from `input` into `output`. Resumable at any byte boundary
    /// of input and any output size.
    ///
    /// Returns how much input was consumed and output produced; `done` once
    /// the stream's end (final block and trailer checked; for gzip, a
    /// member's end with no more input) is reached and all output handed
    /// out. It consumes all the input it can: `consumed < input.len()` only
    /// when the output is full or the stream is done. Headers, block ends and
    /// trailers need no room, so a buffer exactly the size of the data (or
    /// an empty one, once all data is out) still reaches the end.
    ///
    /// # Errors
    ///
    /// An [`InflateError`] when the input is not a valid stream; then every
    /// later call returns it too, until [`Inflate::reset`]. When a call has
    /// already produced output before it meets the error, it returns that
    /// output (with `consumed` short of the input although the output is
    /// not full), and the calls after it hand out the rest of that output
    /// and then return the error.
    pub fn decode(&mut self, input: &[u8], output: &mut [u8]) -> Result<Progress, InflateError> {
        if let Some(error) = self.error {
            // Output decoded before the error goes out first.
            let produced = self.flush(output, 0);
            if produced == 0 {
                return Err(error);
            }
            return Ok(Progress {
                consumed: 0,
                produced,
                done: false,
            });
        }
        let mut at = 0;
        let mut produced = 0;
        let result = self.run(input, &mut at, output, &mut produced);
        self.sync_window(output, produced);
        if let Err(error) = result {
            self.error = Some(error);
            // The output decoded before the error is good: hand it out now
            // and report the error on a later call, so that what a caller
            // sees does not depend on where the input was cut.
            produced = self.flush(output, produced);
            if produced == 0 {
                return Err(error);
            }
            return Ok(Progress {
                consumed: at,
                produced,
                done: false,
            });
        }
        Ok(Progress {
            consumed: at,
            produced,
            done: self.is_done(),
        })
    }

    fn run(
        &mut self,
        input: &[u8],
        at: &mut usize,
        output: &mut [u8],
        produced: &mut usize,
    ) -> Result<(), InflateError> {
        loop {
            // Hand out what is pending first.
            *produced = self.flush(output, *produced);
            if self.flushed < self.pos {
                return Ok(());
            }
            // Nothing is pending now: the room left is the whole of it. With
            // no room, the steps that produce nothing (headers, block ends,
            // trailers) still run.
            let room = output.len() - *produced;
            if self.stage != Stage::Deflate {
                // A new gzip member must not see the last one's output
                // arrive in the window after it began.
                self.sync_window(output, *produced);
            }
            match self.stage {
                Stage::ZlibHeader {
                    mut have,
                    mut bytes,
                } => {
                    while have < 2 {
                        let Some(byte) = self.bits.take_byte(input, at) else {
                            self.stage = Stage::ZlibHeader { have, bytes };
                            return Ok(());
                        };
                        bytes[have as usize] = byte;
                        have += 1;
                    }
                    self.zlib_header(bytes)?;
                }
                Stage::GzipHeader(header) => {
                    if !self.gzip_header(header, input, at)? {
                        return Ok(());
                    }
                }
                Stage::Deflate => {
                    if self.copy_stored(input, at, output, produced) {
                        continue;
                    }
                    self.make_room();
                    let start = self.pos;
                    let limit = (self.pos + room).min(BUFFER);
                    let pause = self.inflate(input, at, limit);
                    self.update_checksum(start);
                    match pause? {
                        Pause::Input => {
                            if self.pos == start {
                                return Ok(());
                            }
                        }
                        Pause::Output => {
                            if room == 0 {
                                return Ok(());
                            }
                        }
                        Pause::Window => {
                            // A stored block that can go straight out
                            // leaves the window for later.
                            if !self.copy_stored(input, at, output, produced) {
                                self.sync_window(output, *produced);
                            }
                        }
                        Pause::Finished => {
                            self.bits.align();
                            self.stage = match self.check {
                                Check::None => Stage::End,
                                Check::Adler | Check::Crc => Stage::Trailer {
                                    have: 0,
                                    bytes: [0; 8],
                                },
                            };
                        }
                    }
                }
                Stage::Trailer {
                    mut have,
                    mut bytes,
                } => {
                    let want = if self.check == Check::Crc { 8 } else { 4 };
                    while have < want {
                        let Some(byte) = self.bits.take_byte(input, at) else {
                            self.stage = Stage::Trailer { have, bytes };
                            return Ok(());
                        };
                        bytes[have as usize] = byte;
                        have += 1;
                    }
                    self.trailer(&bytes)?;
                }
                Stage::MemberEnd => {
                    // RFC 1952 §2.2: members follow one another. A byte
                    // that cannot start one is trailing garbage.
                    let Some(byte) = self.bits.take_byte(input, at) else {
                        return Ok(());
                    };
                    if byte != 0x1f {
                        return Err(InflateError::TrailingData);
                    }
                    let header = GzipHeader::after_first_byte(byte);
                    self.stage = Stage::GzipHeader(header);
                    self.new_member();
                }
                Stage::End => {
                    if self.bits.count >= 8 || *at < input.len() {
                        return Err(InflateError::TrailingData);
                    }
                    return Ok(());
                }
            }
        }
    }

    fn start_checksum(&mut self, check: Check) {
        self.check = check;
        self.checksum = match check {
            Check::Adler => 1,
            Check::None | Check::Crc => 0,
        };
        self.size = 0;
    }

    /// Adds `window[start..pos]`, just decoded, to the checksum.
    fn update_checksum(&mut self, start: usize) {
        let fresh = &self.window[start..self.pos];
        self.size = self.size.wrapping_add(fresh.len() as u32);
        self.checksum = match self.check {
            Check::None => 0,
            Check::Adler => adler32(self.checksum, fresh),
            Check::Crc => crc32(self.checksum, fresh),
        };
    }

    /// A new gzip member: a new DEFLATE stream, whose matches may not reach
    /// into the previous member's output.
    fn new_member(&mut self) {
        self.block = Block::Header;
        self.last_block = false;
        self.stream_start = self.pos;
        self.start_checksum(Check::Crc);
    }
}
