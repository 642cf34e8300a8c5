//! The RFC 1951 block decoder: a state machine over a bit reader, writing
//! into the decoder's window buffer.
//!
//! The state machine ([`Block`]) is the reference: it takes input a byte
//! at a time, only when the next step needs more bits, so it can stop at
//! any byte boundary and resume. Inside compressed blocks, when at least 8
//! input bytes and a full match of output room remain, [`Inflate::fast`]
//! takes over: it refills 64 bits at a time and decodes whole symbols
//! without checking for the end of input, then hands back the bytes it
//! read ahead. It leaves the machine in the same state the slow path
//! would have, so the two agree by construction.

use super::huffman::{
    self, entry_extra, entry_len, entry_value, Alphabet, Entry, END, KIND, LENGTH, LITERAL,
    SUBTABLE,
};
use super::{Inflate, InflateError};

/// Where the block decoder stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Block {
    /// Before a block's 3-bit header (BFINAL, BTYPE).
    Header,
    /// A stored block's LEN and NLEN, byte-aligned: `have` bytes of 4 read.
    StoredLength { have: u8, bytes: [u8; 4] },
    /// Inside a stored block, with this many bytes still to copy.
    Stored { remaining: u16 },
    /// A dynamic block's HLIT, HDIST and HCLEN (14 bits).
    TableSizes,
    /// Reading the 3-bit code-length code lengths, `index` of HCLEN done.
    PrecodeLengths { index: u8 },
    /// Reading the literal/length and distance code lengths.
    CodeLengths { index: u16 },
    /// Decoding literal/length symbols.
    Codes,
    /// A length was decoded; its distance comes next.
    Distance { length: u16 },
    /// Copying a match that did not fit the output room.
    Copy { length: u16, distance: u16 },
    /// The final block ended.
    Finished,
}

/// Why the block decoder returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Pause {
    /// It needs more input.
    Input,
    /// The output room given is used up.
    Output,
    /// The final block ended (the bit reader is not yet byte-aligned).
    Finished,
    /// Output is about to go through the window, which first needs the
    /// bytes `Inflate::copy_stored` wrote around it.
    Window,
}

/// The order in which code-length code lengths are sent (RFC 1951 §3.2.7).
const PRECODE_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// The longest match DEFLATE can describe.
pub(super) const MAX_MATCH: usize = 258;

/// A bit reader holding up to 64 bits, least significant first (RFC 1951
/// §3.1.1). Bits above `count` are zero whenever the slow path runs.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Bits {
    pub(super) buf: u64,
    pub(super) count: u32,
}

impl Bits {
    /// Makes at least `want` bits available (`want` ≤ 56), reading input a
    /// byte at a time; false if the input runs out first.
    #[inline]
    fn need(&mut self, want: u32, input: &[u8], at: &mut usize) -> bool {
        while self.count < want {
            let Some(&byte) = input.get(*at) else {
                return false;
            };
            *at += 1;
            self.buf |= (byte as u64) << self.count;
            self.count += 8;
        }
        true
    }

    #[inline]
    fn consume(&mut self, n: u32) {
        self.buf >>= n;
        self.count -= n;
    }

    /// The next `n` bits (without consuming them).
    #[inline]
    fn peek(&self, n: u32) -> u32 {
        (self.buf & ((1u64 << n) - 1)) as u32
    }

    /// Drops the bits up to the next byte boundary.
    pub(super) fn align(&mut self) {
        let n = self.count % 8;
        self.consume(n);
    }

    /// Takes one whole byte: first from the bits already read (when
    /// byte-aligned), then from the input.
    pub(super) fn take_byte(&mut self, input: &[u8], at: &mut usize) -> Option<u8> {
        if self.count >= 8 {
            let byte = self.buf as u8;
            self.consume(8);
            Some(byte)
        } else {
            let byte = *input.get(*at)?;
            *at += 1;
            Some(byte)
        }
    }
}

/// Looks up the entry the bits at hand select, reading more input until
/// the entry's code is complete. Consumes nothing. `None`: the input ran
/// out first.
///
/// Not inlined: the step-by-step path calls it for three tables, and it
/// runs only near the ends of the input and of the room (the fast loop
/// does the bulk), so one copy of it costs less than three in the binary.
#[inline(never)]
fn lookup(
    table: &[Entry],
    root: u32,
    bits: &mut Bits,
    input: &[u8],
    at: &mut usize,
) -> Option<Entry> {
    loop {
        // The step-by-step path takes a literal pair's first literal only:
        // its second may lie in bits not read yet (zeros here), and the
        // room may be for one byte.
        let mut e = huffman::first_literal(table[(bits.buf & ((1 << root) - 1)) as usize]);
        if e & KIND == SUBTABLE {
            let index = (bits.buf >> root) & ((1 << entry_extra(e)) - 1);
            e = table[entry_value(e) as usize + index as usize];
        }
        // Bits beyond `count` read as zero. A code no longer than the bits
        // at hand is therefore the real one (no code is a prefix of
        // another); a longer one needs another byte.
        if entry_len(e) <= bits.count {
            return Some(e);
        }
        let want = bits.count + 8;
        if !bits.need(want, input, at) {
            return None;
        }
    }
}

/// Copies a match of `length` bytes from `distance` back, within `buf`.
/// The caller checked that the source lies within the stream and that the
/// destination fits.
#[inline]
pub(super) fn copy_match(buf: &mut [u8], pos: usize, distance: usize, length: usize) {
    let src = pos - distance;
    if distance >= length {
        buf.copy_within(src..src + length, pos);
    } else if distance == 1 {
        let byte = buf[src];
        buf[pos..pos + length].fill(byte);
    } else {
        // Overlapping: the output repeats with period `distance`. Copying
        // from `src` in chunks as long as what is already there doubles
        // the copied run each time, and each chunk starts at a multiple of
        // the period, so it reads the right phase.
        let mut done = 0;
        while done < length {
            let chunk = (pos + done - src).min(length - done);
            buf.copy_within(src..src + chunk, pos + done);
            done += chunk;
        }
    }
}

impl Inflate {
    /// Runs the block decoder from `input[*at..]` into `self.window` from
    /// `self.pos` up to `limit`.
    pub(super) fn inflate(
        &mut self,
        input: &[u8],
        at: &mut usize,
        limit: usize,
    ) -> Result<Pause, InflateError> {
        loop {
            match self.block {
                Block::Header => {
                    if !self.bits.need(3, input, at) {
                        return Ok(Pause::Input);
                    }
                    let header = self.bits.peek(3);
                    self.bits.consume(3);
                    self.last_block = header & 1 == 1;
                    self.block = match header >> 1 {
                        0 => {
                            self.bits.align();
                            Block::StoredLength {
                                have: 0,
                                bytes: [0; 4],
                            }
                        }
                        1 => {
                            self.load_fixed_tables();
                            Block::Codes
                        }
                        2 => Block::TableSizes,
                        _ => return Err(InflateError::BadBlockType),
                    };
                }
                Block::StoredLength {
                    mut have,
                    mut bytes,
                } => {
                    while have < 4 {
                        let Some(byte) = self.bits.take_byte(input, at) else {
                            self.block = Block::StoredLength { have, bytes };
                            return Ok(Pause::Input);
                        };
                        bytes[have as usize] = byte;
                        have += 1;
                    }
                    let len = u16::from_le_bytes([bytes[0], bytes[1]]);
                    let nlen = u16::from_le_bytes([bytes[2], bytes[3]]);
                    if len != !nlen {
                        return Err(InflateError::BadStoredLength);
                    }
                    self.block = Block::Stored { remaining: len };
                }
                Block::Stored { mut remaining } => {
                    if self.unwindowed > 0 {
                        return Ok(Pause::Window);
                    }
                    // Whole bytes the bit reader already holds come first.
                    while remaining > 0 && self.bits.count >= 8 {
                        if self.pos == limit {
                            self.block = Block::Stored { remaining };
                            return Ok(Pause::Output);
                        }
                        self.window[self.pos] = self.bits.buf as u8;
                        self.bits.consume(8);
                        self.pos += 1;
                        remaining -= 1;
                    }
                    let n = (remaining as usize)
                        .min(limit - self.pos)
                        .min(input.len() - *at);
                    self.window[self.pos..self.pos + n].copy_from_slice(&input[*at..*at + n]);
                    self.pos += n;
                    *at += n;
                    remaining -= n as u16;
                    if remaining > 0 {
                        self.block = Block::Stored { remaining };
                        return Ok(if self.pos == limit {
                            Pause::Output
                        } else {
                            Pause::Input
                        });
                    }
                    self.block = self.end_of_block();
                }
                Block::TableSizes => {
                    if !self.bits.need(14, input, at) {
                        return Ok(Pause::Input);
                    }
                    let sizes = self.bits.peek(14);
                    self.bits.consume(14);
                    self.litlen_count = 257 + (sizes & 31) as u16;
                    self.dist_count = 1 + ((sizes >> 5) & 31) as u16;
                    self.precode_count = 4 + (sizes >> 10) as u8;
                    if self.litlen_count > 286 || self.dist_count > 30 {
                        return Err(InflateError::TooManyCodes);
                    }
                    self.lengths = [0; 320];
                    self.block = Block::PrecodeLengths { index: 0 };
                }
                Block::PrecodeLengths { mut index } => {
                    while index < self.precode_count {
                        if !self.bits.need(3, input, at) {
                            self.block = Block::PrecodeLengths { index };
                            return Ok(Pause::Input);
                        }
                        self.lengths[PRECODE_ORDER[index as usize]] = self.bits.peek(3) as u8;
                        self.bits.consume(3);
                        index += 1;
                    }
                    huffman::build(Alphabet::Precode, &self.lengths[..19], &mut self.precode)?;
                    self.lengths = [0; 320];
                    self.fixed_tables = false;
                    self.block = Block::CodeLengths { index: 0 };
                }
                Block::CodeLengths { mut index } => {
                    let total = self.litlen_count + self.dist_count;
                    while index < total {
                        let Some(e) = lookup(
                            &self.precode,
                            huffman::PRECODE_ROOT,
                            &mut self.bits,
                            input,
                            at,
                        ) else {
                            self.block = Block::CodeLengths { index };
                            return Ok(Pause::Input);
                        };
                        let len = entry_len(e);
                        let symbol = entry_value(e);
                        let (extra, base) = match symbol {
                            0..=15 => (0, 1),
                            16 => (2, 3),
                            17 => (3, 3),
                            _ => (7, 11),
                        };
                        if !self.bits.need(len + extra, input, at) {
                            self.block = Block::CodeLengths { index };
                            return Ok(Pause::Input);
                        }
                        let repeat = base + ((self.bits.buf >> len) & ((1 << extra) - 1)) as u16;
                        self.bits.consume(len + extra);
                        let value = match symbol {
                            0..=15 => symbol as u8,
                            16 if index == 0 => return Err(InflateError::BadCodeLengths),
                            16 => self.lengths[index as usize - 1],
                            _ => 0,
                        };
                        if index + repeat > total {
                            return Err(InflateError::BadCodeLengths);
                        }
                        self.lengths[index as usize..(index + repeat) as usize].fill(value);
                        index += repeat;
                    }
                    let litlen = self.litlen_count as usize;
                    if self.lengths[256] == 0 {
                        return Err(InflateError::MissingEndOfBlock);
                    }
                    huffman::build(Alphabet::LitLen, &self.lengths[..litlen], &mut self.litlen)?;
                    self.pair_in = huffman::PAIR_AFTER;
                    huffman::build(
                        Alphabet::Dist,
                        &self.lengths[litlen..total as usize],
                        &mut self.dist,
                    )?;
                    self.block = Block::Codes;
                }
                Block::Codes | Block::Distance { .. } | Block::Copy { .. }
                    if self.unwindowed > 0 =>
                {
                    return Ok(Pause::Window);
                }
                Block::Codes => {
                    if *at + 16 <= input.len() && self.pos + super::fast::OUTPUT_MARGIN <= limit {
                        // Until a dynamic block has made `pair_in` more
                        // bytes, the fast loop stops there, for the pairs.
                        let pairing = self.pair_in != usize::MAX;
                        let fast_limit = match pairing {
                            true => limit.min(self.pos + self.pair_in + super::fast::OUTPUT_MARGIN),
                            false => limit,
                        };
                        let before = self.pos;
                        let ended = self.fast(input, at, fast_limit)?;
                        if pairing {
                            self.pair_in = self.pair_in.saturating_sub(self.pos - before);
                            if self.pair_in == 0 {
                                huffman::pair_literals(&mut self.litlen);
                                self.pair_in = usize::MAX;
                            }
                        }
                        if ended {
                            self.block = self.end_of_block();
                        }
                        continue;
                    }
                    let Some(e) = lookup(
                        &self.litlen,
                        huffman::LITLEN_ROOT,
                        &mut self.bits,
                        input,
                        at,
                    ) else {
                        return Ok(Pause::Input);
                    };
                    // An end of block needs no room: taking it even when
                    // the output is full lets a caller whose buffer is
                    // exactly the size of the data see the end.
                    if self.pos == limit && e & KIND != END {
                        return Ok(Pause::Output);
                    }
                    let len = entry_len(e);
                    match e & KIND {
                        LITERAL => {
                            self.bits.consume(len);
                            self.window[self.pos] = entry_value(e) as u8;
                            self.pos += 1;
                        }
                        LENGTH => {
                            if !self.bits.need(len, input, at) {
                                return Ok(Pause::Input);
                            }
                            let length = huffman::base_plus_extra(e, self.bits.buf);
                            self.bits.consume(len);
                            self.block = Block::Distance {
                                length: length as u16,
                            };
                        }
                        END => {
                            self.bits.consume(len);
                            self.block = self.end_of_block();
                        }
                        _ => return Err(InflateError::BadSymbol),
                    }
                }
                Block::Distance { length } => {
                    let Some(e) = lookup(&self.dist, huffman::DIST_ROOT, &mut self.bits, input, at)
                    else {
                        return Ok(Pause::Input);
                    };
                    if e & KIND != LENGTH {
                        return Err(InflateError::BadSymbol);
                    }
                    let len = entry_len(e);
                    if !self.bits.need(len, input, at) {
                        return Ok(Pause::Input);
                    }
                    let distance = huffman::base_plus_extra(e, self.bits.buf);
                    self.bits.consume(len);
                    if distance as usize > self.pos - self.stream_start {
                        return Err(InflateError::DistanceTooFarBack);
                    }
                    self.block = Block::Copy {
                        length,
                        distance: distance as u16,
                    };
                }
                Block::Copy { length, distance } => {
                    let n = (length as usize).min(limit - self.pos);
                    copy_match(&mut self.window[..], self.pos, distance as usize, n);
                    self.pos += n;
                    if n < length as usize {
                        self.block = Block::Copy {
                            length: length - n as u16,
                            distance,
                        };
                        return Ok(Pause::Output);
                    }
                    self.block = Block::Codes;
                }
                Block::Finished => return Ok(Pause::Finished),
            }
        }
    }

    /// The state after a block's end.
    fn end_of_block(&self) -> Block {
        if self.last_block {
            Block::Finished
        } else {
            Block::Header
        }
    }

    /// Loads the fixed Huffman codes (RFC 1951 §3.2.6), unless the tables
    /// already hold them.
    fn load_fixed_tables(&mut self) {
        // No literal pairs: fixed literal codes are 8 and 9 bits long.
        self.pair_in = usize::MAX;
        if self.fixed_tables {
            return;
        }
        let litlen = huffman::fixed_litlen_lengths();
        // Both fixed codes are complete: building them cannot fail.
        let built = huffman::build(Alphabet::LitLen, &litlen, &mut self.litlen)
            .and_then(|()| huffman::build(Alphabet::Dist, &[5; 32], &mut self.dist));
        debug_assert!(built.is_ok());
        self.fixed_tables = true;
    }
}
