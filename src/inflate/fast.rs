//! The fast loop: the same decoding as [`Block::Codes`](super::deflate::Block)
//! and its successors, for the common case where plenty of input and
//! output room remain, so that no step needs to check for either.
//!
//! Why it is fast (the techniques of libdeflate and zlib's inffast, in
//! safe Rust):
//!
//! - the bit buffer is refilled 64 bits at a time, branch-free: one
//!   unaligned little-endian load, OR-ed in above the bits held, and the
//!   input pointer advanced by the whole bytes that fit;
//! - a refill leaves 64 input bits in the buffer, enough for a length
//!   and its distance (48 bits at most) or four literals and the lookup
//!   after them, so a literal run costs a table load, a shift and a store
//!   per byte, or per two bytes where two short literal codes fit in one
//!   root slot (a literal pair, made once a block has produced 4 KiB:
//!   [`PAIR_AFTER`](super::huffman::PAIR_AFTER));
//! - a length or distance entry holds its code's length plus its extra
//!   bits as one count, so the bits before the next lookup go in one
//!   shift, and the extra bits' value is read beside it, off that path;
//! - the next literal/length entry is looked up as soon as the bits before
//!   it are consumed, before the current symbol's store or copy and before
//!   the refill, so the table load overlaps the work;
//! - matches are copied 8, 16 or 32 bytes at a time, allowed to run past
//!   their end into the buffer's slack (the bytes there are not output
//!   yet, and are overwritten later), instead of one `memmove` call per
//!   match; distances 2 to 7 are copied in strides of the distance until
//!   a whole 8-byte chunk repeats, then in chunks (libdeflate's way);
//! - the buffer is a fixed-size array and the loop's end is below its
//!   size, which lets the compiler drop bounds checks it can prove.

use super::deflate::{Bits, MAX_MATCH};
use super::huffman::{
    base_plus_extra, entry_extra, entry_len, entry_value, literal_count, DIST_ROOT, END, KIND,
    LENGTH, LITERAL, LITLEN_ROOT, SUBTABLE,
};
use super::{Inflate, InflateError, BUFFER};

/// Bytes past `limit` (and past the buffer's nominal end) that a chunked
/// copy may write.
pub(super) const SLACK: usize = 32;

/// Input the loop needs at its top: two refills of at most 7 bytes each,
/// each reading 8.
const INPUT_MARGIN: usize = 16;

/// Output room the loop needs at its top: four literal entries of up to
/// two bytes each, or three and a longest match.
pub(super) const OUTPUT_MARGIN: usize = MAX_MATCH + 6;

impl Inflate {
    /// Runs while [`INPUT_MARGIN`] bytes of input and [`OUTPUT_MARGIN`]
    /// bytes of room remain. Returns true at the end of the block (its
    /// end-of-block code consumed), false when input or room ran low,
    /// leaving the state the slow path expects (`Block::Codes`).
    pub(super) fn fast(
        &mut self,
        input: &[u8],
        at: &mut usize,
        limit: usize,
    ) -> Result<bool, InflateError> {
        // A fixed-size array, and an end below its size: bounds checks the
        // compiler can prove go.
        let window: &mut [u8; BUFFER + SLACK] = &mut self.window;
        let limit = limit.min(BUFFER);
        let mut buf = self.bits.buf;
        let mut count = self.bits.count;
        let mut p = *at;
        let start_p = p;
        let mut pos = self.pos;
        let stream_start = self.stream_start;
        let litlen = &self.litlen[..];
        let dist = &self.dist[..];
        // The root tables as fixed-size arrays: indexing them with a
        // masked value needs no bounds check.
        let litlen_root: &[u32; 1 << LITLEN_ROOT] = litlen[..1 << LITLEN_ROOT]
            .try_into()
            .unwrap_or(&[0; 1 << LITLEN_ROOT]);
        let dist_root: &[u32; 1 << DIST_ROOT] = dist[..1 << DIST_ROOT]
            .try_into()
            .unwrap_or(&[0; 1 << DIST_ROOT]);
        let in_end = input.len().saturating_sub(INPUT_MARGIN);
        let out_end = limit.saturating_sub(OUTPUT_MARGIN);
        const LITLEN_MASK: u64 = (1 << LITLEN_ROOT) - 1;
        const DIST_MASK: u64 = (1 << DIST_ROOT) - 1;

        macro_rules! refill {
            () => {
                // The bytes past the whole ones taken are read again by
                // the next refill, at the same place, so OR-ing them in
                // twice is harmless.
                let word = u64::from_le_bytes(input[p..p + 8].try_into().unwrap_or([0; 8]));
                buf |= word << count;
                p += (63 - count as usize) >> 3;
                count |= 56;
            };
        }

        // A length or distance: its code and extra bits consumed in one
        // shift, the base plus the extra bits' value returned.
        macro_rules! base_plus_extra {
            ($entry:expr) => {{
                let value = base_plus_extra($entry, buf) as usize;
                buf >>= entry_len($entry);
                count -= entry_len($entry);
                value
            }};
        }

        let mut ended = false;
        // An error still hands back the output decoded before it.
        let mut failed = None;
        if p <= in_end && pos <= out_end {
            refill!();
            // The next literal/length entry is looked up as soon as the bits
            // before it are consumed, before the work on the current symbol
            // (a literal's store, a match's copy) and before the refill,
            // which only adds bits above the ones it indexes.
            //
            // The bit budget: a refill makes all 64 bits of `buf` input bits
            // (`count` says 56 or more; the bits above it are the next,
            // partly taken byte), and a root lookup needs 11 of them (a
            // longer code's subtable is read after the next refill). A pass
            // consumes at most four root literals (44 bits) or a length and
            // its distance (20 + 28 = 48 bits) before the next lookup:
            // 64 − 48 ≥ 11.
            let mut e = litlen_root[(buf & LITLEN_MASK) as usize];
            // A literal: consumed, stored, and the next entry looked up.
            macro_rules! literal {
                () => {
                    buf >>= entry_len(e);
                    count -= entry_len(e);
                    // One literal or a pair: both bytes are stored either
                    // way (a single literal's second lands in the room
                    // ahead and is overwritten next), and `pos` moves by
                    // the count.
                    let bytes = (entry_value(e) as u16).to_le_bytes();
                    window[pos..pos + 2].copy_from_slice(&bytes);
                    pos += literal_count(e);
                    e = litlen_root[(buf & LITLEN_MASK) as usize];
                };
            }
            'decode: loop {
                'symbol: {
                    if e & KIND == LITERAL {
                        // Up to four literals on one refill (4 × 11 bits,
                        // leaving 20 input bits for the next lookup).
                        literal!();
                        if e & KIND == LITERAL {
                            literal!();
                            if e & KIND == LITERAL {
                                literal!();
                                if e & KIND == LITERAL {
                                    literal!();
                                    break 'symbol;
                                }
                            }
                        }
                        // A length needs its distance too: top up.
                        refill!();
                    }
                    if e & KIND != LENGTH {
                        // The rare kinds: a subtable (a code longer than the
                        // root), the end of the block, an invalid symbol.
                        if e & KIND == SUBTABLE {
                            let index = (buf >> LITLEN_ROOT) & ((1 << entry_extra(e)) - 1);
                            e = litlen[entry_value(e) as usize + index as usize];
                        }
                        match e & KIND {
                            LITERAL => {
                                literal!();
                                break 'symbol;
                            }
                            LENGTH => {}
                            END => {
                                buf >>= entry_len(e);
                                count -= entry_len(e);
                                ended = true;
                                break 'decode;
                            }
                            _ => {
                                failed = Some(InflateError::BadSymbol);
                                break 'decode;
                            }
                        }
                    }
                    let length = base_plus_extra!(e);

                    let mut d = dist_root[(buf & DIST_MASK) as usize];
                    if d & KIND != LENGTH {
                        if d & KIND == SUBTABLE {
                            let index = (buf >> DIST_ROOT) & ((1 << entry_extra(d)) - 1);
                            d = dist[entry_value(d) as usize + index as usize];
                        }
                        if d & KIND != LENGTH {
                            failed = Some(InflateError::BadSymbol);
                            break 'decode;
                        }
                    }
                    let distance = base_plus_extra!(d);
                    e = litlen_root[(buf & LITLEN_MASK) as usize];
                    if distance > pos - stream_start {
                        failed = Some(InflateError::DistanceTooFarBack);
                        break 'decode;
                    }
                    copy_fast(window, pos, distance, length);
                    pos += length;
                }
                // The loop's test, then the refill it guards.
                if p > in_end || pos > out_end {
                    break;
                }
                refill!();
            }
        }

        // Hand back the whole bytes read ahead, so that the input position
        // is exact again and the bits above `count` are zero.
        let ahead = ((count / 8) as usize).min(p - start_p);
        p -= ahead;
        count -= 8 * ahead as u32;
        buf &= (1u64 << count) - 1;
        self.bits = Bits { buf, count };
        *at = p;
        self.pos = pos;
        match failed {
            Some(error) => Err(error),
            None => Ok(ended),
        }
    }
}

/// Copies a match within `window`, writing up to [`SLACK`] bytes past its
/// end. The source is within the stream; `pos + length + SLACK` fits.
#[inline(always)]
fn copy_fast(window: &mut [u8], pos: usize, distance: usize, length: usize) {
    let end = pos + length;
    // Each chunk reads only bytes written before it (or by the stride
    // phase below, right ones).
    if distance >= 32 {
        return chunks::<32>(window, pos - distance, pos, end);
    }
    if distance >= 16 {
        return chunks::<16>(window, pos - distance, pos, end);
    }
    if distance >= 8 {
        return chunks::<8>(window, pos - distance, pos, end);
    }
    let mut dst = pos;
    if distance == 1 {
        let fill = [window[pos - 1]; 16];
        loop {
            window[dst..dst + 16].copy_from_slice(&fill);
            dst += 16;
            if dst >= end {
                return;
            }
        }
    }
    // 2 to 7: the output repeats with period `distance`. Eight bytes from
    // `distance` back, stored `distance` further on each time: each
    // store's first `distance` bytes are right, the rest are put right by
    // the next one (or lie past the end, in the slack). Once `stride`
    // bytes are right (the smallest multiple of the period from 8 up),
    // chunks from `stride` back read only right bytes.
    let stride = distance * 8usize.div_ceil(distance);
    let mut src = pos - distance;
    while dst < pos + stride {
        let chunk: [u8; 8] = window[src..src + 8].try_into().unwrap_or([0; 8]);
        window[dst..dst + 8].copy_from_slice(&chunk);
        src += distance;
        dst += distance;
    }
    if dst < end {
        chunks::<8>(window, dst - stride, dst, end);
    }
}

/// Copies `N`-byte chunks from `src` to `dst` on, until `end` is reached
/// or passed.
#[inline(always)]
fn chunks<const N: usize>(window: &mut [u8], mut src: usize, mut dst: usize, end: usize) {
    loop {
        let chunk: [u8; N] = window[src..src + N].try_into().unwrap_or([0; N]);
        window[dst..dst + N].copy_from_slice(&chunk);
        src += N;
        dst += N;
        if dst >= end {
            return;
        }
    }
}
