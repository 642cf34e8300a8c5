//! Canonical Huffman codes (RFC 1951 §3.2.2) turned into lookup tables.
//!
//! A table is indexed by the next `root` bits of input, least significant
//! bit first (DEFLATE packs Huffman codes starting from their most
//! significant bit, so each code is bit-reversed on the way in). A code of
//! `len <= root` bits fills every slot whose low `len` bits are that
//! reversed code. Longer codes share a root slot per `root`-bit prefix;
//! that slot points to a subtable indexed by the bits after the prefix.
//!
//! Every slot is one packed `u32` ([`Entry`]), so that the decoder needs a
//! single load to know how many bits to drop and what the symbol means.

use super::InflateError;

/// Bits indexed by the literal/length root table.
pub(super) const LITLEN_ROOT: u32 = 11;
/// Bits indexed by the distance root table.
pub(super) const DIST_ROOT: u32 = 8;
/// Bits indexed by the code-length ("precode") table: its codes are at
/// most 7 bits long, so it needs no subtables.
pub(super) const PRECODE_ROOT: u32 = 7;
/// The widest of the three root tables.
const MAX_ROOT: u32 = LITLEN_ROOT;

/// The longest Huffman code DEFLATE allows.
const MAX_LEN: usize = 15;

/// A decoded table slot, packed as:
///
/// | bits | holds |
/// | --- | --- |
/// | 0–4 | how many bits the symbol takes: its code's length, plus its extra bits for a length or distance (a subtable pointer: `root`) |
/// | 5–7 | kind: [`LITERAL`], [`LENGTH`] (a length or a distance), [`END`], [`SUBTABLE`], [`INVALID`] |
/// | 8–15 | a length or distance: its code's length, where its extra bits start (a subtable pointer: the subtable's index bits; a literal pair: [`PAIR`] and the first literal's code length) |
/// | 16–31 | value: the literal byte (a pair: the first in bits 16–23, the second in 24–31), the length or distance base, the precode symbol, or the subtable's offset |
///
/// A literal/length root slot whose bits hold two whole literal codes is a
/// literal pair: one lookup yields two bytes (see [`pair_literals`]).
///
/// A length or distance consumes its code and extra bits in one shift by
/// bits 0–4, so the next lookup waits on one operation; the extra bits'
/// value is taken from the bits before the shift ([`base_plus_extra`]).
pub(super) type Entry = u32;

pub(super) const LITERAL: u32 = 0 << 5;
pub(super) const LENGTH: u32 = 1 << 5;
pub(super) const END: u32 = 2 << 5;
pub(super) const SUBTABLE: u32 = 3 << 5;
pub(super) const INVALID: u32 = 4 << 5;
pub(super) const KIND: u32 = 7 << 5;
/// In a [`LITERAL`] entry's extra-bits field: the slot holds two literals.
/// The field's low four bits are then the first literal's code length.
pub(super) const PAIR: u32 = 0x80;

/// A [`LENGTH`] entry's value: its base plus its extra bits, read from
/// `bits`, whose lowest bits are the entry's code.
#[inline(always)]
pub(super) const fn base_plus_extra(e: Entry, bits: u64) -> u32 {
    let total = entry_len(e);
    entry_value(e) + ((bits & ((1 << total) - 1)) >> entry_extra(e)) as u32
}

/// How many bytes a [`LITERAL`] entry yields: 1, or 2 for a pair.
#[inline(always)]
pub(super) const fn literal_count(e: Entry) -> usize {
    1 + ((e >> 15) & 1) as usize
}

/// Output a block with a dynamic code produces before its literal pairs
/// are made: a pass over the root table costs about what decoding a few
/// KiB gains from the pairs, so a short block (a small answer, a
/// WebSocket message) never pays for it. Fuzz builds (`cfg(fuzzing)`, set
/// by cargo-fuzz) make them after 64 bytes, so that the fuzzers' inputs,
/// at most a few KiB, reach the paired tables.
pub(super) const PAIR_AFTER: usize = if cfg!(fuzzing) { 64 } else { 4 * 1024 };

/// The first literal of a pair, as a one-literal entry; any other entry
/// as it is.
#[inline(always)]
pub(super) const fn first_literal(e: Entry) -> Entry {
    if e & KIND != LITERAL || entry_extra(e) & PAIR == 0 {
        return e;
    }
    pack(entry_extra(e) & 15, LITERAL, 0, (e >> 16) & 0xFF)
}

#[inline(always)]
pub(super) const fn entry_len(e: Entry) -> u32 {
    e & 31
}
#[inline(always)]
pub(super) const fn entry_extra(e: Entry) -> u32 {
    (e >> 8) & 0xFF
}
#[inline(always)]
pub(super) const fn entry_value(e: Entry) -> u32 {
    e >> 16
}

const fn pack(len: u32, kind: u32, extra: u32, value: u32) -> Entry {
    len | kind | (extra << 8) | (value << 16)
}

/// Length bases and extra bits for literal/length symbols 257–285
/// (RFC 1951 §3.2.5).
pub(super) const LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
pub(super) const LENGTH_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
/// Distance bases and extra bits for distance symbols 0–29.
pub(super) const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
pub(super) const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

/// Which alphabet a table decodes: it decides what each symbol's slot says.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Alphabet {
    /// Code lengths 0–18 (RFC 1951 §3.2.7).
    Precode,
    /// Literals 0–255, end of block 256, lengths 257–285; 286 and 287
    /// exist only in the fixed code and are invalid.
    LitLen,
    /// Distances 0–29; 30 and 31 exist only in the fixed code.
    Dist,
}

impl Alphabet {
    fn root(self) -> u32 {
        match self {
            Alphabet::Precode => PRECODE_ROOT,
            Alphabet::LitLen => LITLEN_ROOT,
            Alphabet::Dist => DIST_ROOT,
        }
    }

    /// What a code of `len` bits for `symbol` decodes to.
    fn entry(self, symbol: usize, len: u32) -> Entry {
        match self {
            Alphabet::Precode => pack(len, LITERAL, 0, symbol as u32),
            Alphabet::LitLen => match symbol {
                0..=255 => pack(len, LITERAL, 0, symbol as u32),
                256 => pack(len, END, 0, 0),
                257..=285 => pack(
                    len + LENGTH_EXTRA[symbol - 257] as u32,
                    LENGTH,
                    len,
                    LENGTH_BASE[symbol - 257] as u32,
                ),
                _ => pack(len, INVALID, 0, 0),
            },
            Alphabet::Dist => match symbol {
                0..=29 => pack(
                    len + DIST_EXTRA[symbol] as u32,
                    LENGTH,
                    len,
                    DIST_BASE[symbol] as u32,
                ),
                _ => pack(len, INVALID, 0, 0),
            },
        }
    }
}

/// Upper bounds on a table's size (root table plus subtables): at most one
/// subtable per code longer than the root, each at most 2^(15 − root)
/// slots. Generous, and allocated once per decoder.
pub(super) const LITLEN_CAPACITY: usize =
    (1 << LITLEN_ROOT) + 288 * (1 << (MAX_LEN as u32 - LITLEN_ROOT));
pub(super) const DIST_CAPACITY: usize = (1 << DIST_ROOT) + 32 * (1 << (MAX_LEN as u32 - DIST_ROOT));

/// Builds the decoding table for `lengths` (one code length per symbol, 0
/// for unused) into `table`, which keeps its capacity.
///
/// Refuses over-subscribed codes (more codes than the lengths leave room
/// for) and incomplete ones, except as zlib and libdeflate allow (RFC 1951
/// §3.2.7 mentions the first): a literal/length or distance code made of a
/// single code of one bit, and a code with no lengths at all (a distance
/// code when a block has only literals; a literal/length code without one
/// is refused later for its missing end-of-block code).
pub(super) fn build(
    alphabet: Alphabet,
    lengths: &[u8],
    table: &mut Vec<Entry>,
) -> Result<(), InflateError> {
    let root = alphabet.root();
    let mut count = [0u16; MAX_LEN + 1];
    for &len in lengths {
        count[len as usize] += 1;
    }
    count[0] = 0;

    // Kraft's inequality, one length at a time: `left` is how many codes of
    // the current length are still free.
    let mut left: i32 = 1;
    for &n in &count[1..] {
        left = (left << 1) - n as i32;
        if left < 0 {
            return Err(InflateError::OversubscribedTree);
        }
    }
    let used: u32 = count.iter().map(|&n| n as u32).sum();
    if left > 0 {
        let single_one_bit = used == 1 && count[1] == 1;
        let allowed = alphabet != Alphabet::Precode && (used == 0 || single_one_bit);
        if !allowed {
            return Err(InflateError::IncompleteTree);
        }
    }

    // Slots no code fills exist only in the two allowed incomplete codes;
    // the bits that select them are invalid as soon as they are read (one
    // bit: the unused half of a one-bit code; none: an empty code), so a
    // stream that uses them is refused even if it ends right after.
    let unused_len = used.min(1);
    table.clear();
    table.resize(1 << root, pack(unused_len, INVALID, 0, 0));

    // The first code of each length (RFC 1951 §3.2.2, step 2).
    let mut next = [0u32; MAX_LEN + 2];
    let mut code = 0u32;
    for len in 1..=MAX_LEN {
        code = (code + count[len - 1] as u32) << 1;
        next[len] = code;
    }

    // Short codes straight into the root table; long codes are collected
    // to be placed into subtables afterwards. RFC 1951 §3.2.2 step 3:
    // codes of one length go to symbols in increasing order, so one pass
    // over the symbols assigns them all.
    let mut long = [(0u32, 0u8, 0u16); 288];
    let mut long_count = 0;
    for (symbol, &len) in lengths.iter().enumerate() {
        let len = len as u32;
        if len == 0 {
            continue;
        }
        let code = next[len as usize];
        next[len as usize] += 1;
        let reversed = reverse(code, len);
        if len <= root {
            let e = alphabet.entry(symbol, len);
            let mut slot = reversed as usize;
            while slot < 1 << root {
                table[slot] = e;
                slot += 1 << len;
            }
        } else {
            long[long_count] = (reversed, len as u8, symbol as u16);
            long_count += 1;
        }
    }

    // Each root prefix that long codes share gets one subtable, as wide as
    // the longest of them needs: first the widest code per prefix, then
    // the codes into their subtables, each subtable made when its first
    // code comes (its root slot, which no short code fills, then points to
    // it). No sort and no pass over all prefixes: O(codes), whatever the
    // lengths.
    let long = &long[..long_count];
    if !long.is_empty() {
        place_long_codes(alphabet, root, long, table);
    }
    Ok(())
}

/// Places the codes longer than `root` bits (reversed code, length,
/// symbol) into subtables after the root table.
fn place_long_codes(
    alphabet: Alphabet,
    root: u32,
    long: &[(u32, u8, u16)],
    table: &mut Vec<Entry>,
) {
    let prefix_mask = (1u32 << root) - 1;
    let mut widest = [0u8; 1 << MAX_ROOT];
    for &(rev, len, _) in long {
        let w = &mut widest[(rev & prefix_mask) as usize];
        *w = (*w).max(len);
    }
    for &(rev, len, symbol) in long {
        let prefix = (rev & prefix_mask) as usize;
        let sub_bits = widest[prefix] as u32 - root;
        if table[prefix] & KIND != SUBTABLE {
            let offset = table.len();
            table.resize(
                offset + (1 << sub_bits),
                pack(widest[prefix] as u32, INVALID, 0, 0),
            );
            table[prefix] = pack(root, SUBTABLE, sub_bits, offset as u32);
        }
        let offset = entry_value(table[prefix]) as usize;
        let e = alphabet.entry(symbol as usize, len as u32);
        let mut slot = (rev >> root) as usize;
        while slot < 1 << sub_bits {
            table[offset + slot] = e;
            slot += 1 << (len as u32 - root);
        }
    }
}

/// Turns each root slot whose `root` bits hold a literal's code followed
/// by a second whole literal code into a [`PAIR`] entry for both.
///
/// A slot's bits after its first code of `l1` bits are the low
/// `root − l1` bits of the slot `index >> l1`; that slot's entry is the
/// next code whatever the `l1` bits above them are, if its code is no
/// longer than `root − l1`. Slots are visited from the top down, and
/// `index >> l1` is below `index` (or is `index`, for slot 0), so the
/// entry read there is still a single symbol's.
///
/// Short literal codes are what make it pay: digits and punctuation in
/// JSON, frequent letters in text. It costs a pass over the root table,
/// which the decoder makes only once a block has shown itself long enough
/// to repay it ([`PAIR_AFTER`]).
pub(super) fn pair_literals(table: &mut [Entry]) {
    let root = &mut table[..1 << LITLEN_ROOT];
    let bits = LITLEN_ROOT;
    for index in (0..root.len()).rev() {
        let first = root[index];
        if first & KIND != LITERAL {
            continue;
        }
        let l1 = entry_len(first);
        let second = root[index >> l1];
        let l2 = entry_len(second);
        if second & KIND == LITERAL && l1 + l2 <= bits {
            let value = entry_value(first) | entry_value(second) << 8;
            root[index] = pack(l1 + l2, LITERAL, PAIR | l1, value);
        }
    }
}

/// The low `len` bits of `code`, in reverse order.
fn reverse(code: u32, len: u32) -> u32 {
    code.reverse_bits() >> (32 - len)
}

/// The fixed literal/length code lengths (RFC 1951 §3.2.6).
pub(super) fn fixed_litlen_lengths() -> [u8; 288] {
    let mut lengths = [0u8; 288];
    lengths[..144].fill(8);
    lengths[144..256].fill(9);
    lengths[256..280].fill(7);
    lengths[280..].fill(8);
    lengths
}
