//! The two checksums the wrappers carry: CRC-32 (gzip, RFC 1952 §8) and
//! Adler-32 (zlib, RFC 1950 §9). Both are written in the "update" style,
//! so that a stream is checked piece by piece as it is decoded.

/// The reflected CRC-32 polynomial of ISO 3309 / ITU-T V.42, as gzip,
/// zlib, PNG and Ethernet use it.
const POLY: u32 = 0xEDB8_8320;

/// How many bytes one table step folds: slice-by-8, one 64-bit load and
/// eight independent table look-ups.
const SLICES: usize = 8;

/// The bytes in each of the lanes [`crc32`] runs side by side.
const LANE: usize = 2048;

/// `x^(8n)` modulo the polynomial, in CRC-32's reflected representation
/// (`x^0` is the top bit): multiplying a CRC register by it is the same
/// as feeding it `n` zero bytes. Evaluated at compile time.
const fn x8n_mod_p(n: usize) -> u32 {
    let mut power = 1 << 31;
    let mut i = 0;
    while i < 8 * n {
        power = if power & 1 != 0 {
            (power >> 1) ^ POLY
        } else {
            power >> 1
        };
        i += 1;
    }
    power
}

/// What the first three of the four lanes are shifted by when they are
/// joined: past the three, two and one lanes that follow each.
const LANE_SHIFTS: [u32; 3] = [x8n_mod_p(3 * LANE), x8n_mod_p(2 * LANE), x8n_mod_p(LANE)];

/// `a · b` modulo the polynomial, both reflected (zlib's `multmodp`).
fn mult_mod_p(a: u32, mut b: u32) -> u32 {
    let mut product = 0;
    let mut bit = 1u32 << 31;
    while bit != 0 {
        if a & bit != 0 {
            product ^= b;
        }
        bit >>= 1;
        b = if b & 1 != 0 { (b >> 1) ^ POLY } else { b >> 1 };
    }
    product
}

/// `tables()[0]` is the classic byte-at-a-time table; `tables()[k][b]` is
/// the CRC of byte `b` followed by `k` zero bytes, so that eight bytes at
/// once are eight independent look-ups XORed together. Built on the heap
/// on first use rather than at compile time, which keeps 8 KiB out of the
/// binary.
fn tables() -> &'static [[u32; 256]; SLICES] {
    static TABLES: std::sync::OnceLock<Box<[[u32; 256]; SLICES]>> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let mut tables = Box::new([[0u32; 256]; SLICES]);
        for (b, entry) in tables[0].iter_mut().enumerate() {
            let mut crc = b as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ POLY
                } else {
                    crc >> 1
                };
            }
            *entry = crc;
        }
        for k in 1..SLICES {
            for b in 0..256 {
                let prev = tables[k - 1][b];
                tables[k][b] = (prev >> 8) ^ tables[0][(prev & 0xFF) as usize];
            }
        }
        tables
    })
}

/// Folds eight bytes into the CRC register `crc`.
#[inline(always)]
fn step(t: &[[u32; 256]; SLICES], crc: u32, bytes: &[u8]) -> u32 {
    // `chunks_exact(SLICES)` made `bytes` eight long; the fallback is
    // never taken, and costs no panic path.
    let bytes: [u8; SLICES] = bytes.try_into().unwrap_or([0; SLICES]);
    let x = u64::from_le_bytes(bytes) ^ crc as u64;
    t[7][(x & 0xFF) as usize]
        ^ t[6][((x >> 8) & 0xFF) as usize]
        ^ t[5][((x >> 16) & 0xFF) as usize]
        ^ t[4][((x >> 24) & 0xFF) as usize]
        ^ t[3][((x >> 32) & 0xFF) as usize]
        ^ t[2][((x >> 40) & 0xFF) as usize]
        ^ t[1][((x >> 48) & 0xFF) as usize]
        ^ t[0][(x >> 56) as usize]
}

/// Updates a CRC-32 (the checksum of gzip and zlib's `crc32`) with `bytes`.
///
/// Start from `0`, the CRC of no bytes: the pre- and post-conditioning
/// (XOR with `0xFFFF_FFFF`) happen inside, so `crc32(crc32(0, a), b)`
/// equals `crc32(0, ab)`.
///
/// ```
/// assert_eq!(brisk::inflate::crc32(0, b"123456789"), 0xCBF4_3926);
/// ```
pub fn crc32(crc: u32, bytes: &[u8]) -> u32 {
    let t = tables();
    let mut crc = !crc;
    // A CRC register is linear: the register after `A ‖ B` is the one
    // after `A` shifted past `B`'s length, XOR the register of `B` alone
    // (started from zero). So each 8 KiB block is cut into four lanes run
    // side by side in one loop, the first from the running register and
    // the others from zero, so that their table look-ups overlap instead
    // of waiting on each other; then the lanes are joined by shifting each
    // past the ones after it (zlib's "braided" CRC, in its simplest form).
    let mut blocks = bytes.chunks_exact(4 * LANE);
    for block in &mut blocks {
        let (l0, rest) = block.split_at(LANE);
        let (l1, rest) = rest.split_at(LANE);
        let (l2, l3) = rest.split_at(LANE);
        let (mut c0, mut c1, mut c2, mut c3) = (crc, 0, 0, 0);
        let lanes = l0
            .chunks_exact(SLICES)
            .zip(l1.chunks_exact(SLICES))
            .zip(l2.chunks_exact(SLICES))
            .zip(l3.chunks_exact(SLICES));
        for (((a, b), c), d) in lanes {
            c0 = step(t, c0, a);
            c1 = step(t, c1, b);
            c2 = step(t, c2, c);
            c3 = step(t, c3, d);
        }
        crc = mult_mod_p(LANE_SHIFTS[0], c0)
            ^ mult_mod_p(LANE_SHIFTS[1], c1)
            ^ mult_mod_p(LANE_SHIFTS[2], c2)
            ^ c3;
    }
    let mut chunks = blocks.remainder().chunks_exact(SLICES);
    for chunk in &mut chunks {
        crc = step(t, crc, chunk);
    }
    for &b in chunks.remainder() {
        crc = (crc >> 8) ^ t[0][((crc ^ b as u32) & 0xFF) as usize];
    }
    !crc
}

/// The Adler-32 modulus: the largest prime below 2^16.
const ADLER_MOD: u32 = 65_521;

/// The bytes summed between two reductions modulo [`ADLER_MOD`]: zlib's
/// NMAX, which is a multiple of eight, so only a call's last block has
/// bytes left over after the eight-byte groups.
const NMAX: usize = 5552;

/// Updates an Adler-32 (the checksum of zlib, RFC 1950 §9) with `bytes`.
///
/// Start from `1`, the Adler-32 of no bytes.
///
/// ```
/// assert_eq!(brisk::inflate::adler32(1, b"Wikipedia"), 0x11E6_0398);
/// ```
pub fn adler32(adler: u32, bytes: &[u8]) -> u32 {
    let mut a = adler & 0xFFFF;
    let mut b = adler >> 16;
    for block in bytes.chunks(NMAX) {
        // Eight-byte groups, summed into eight independent lanes. Byte `j`
        // of group `g` (of `n` groups) adds itself to `a` once, and to `b`
        // once for every byte from it to the block's end: `8(n − g) − j`
        // times. `sums` weighs every earlier group by 8 once per group
        // after it; the lanes give the `8 − j` within a group.
        let mut lanes = [0u32; 8];
        let mut sum = 0u32; // all the bytes of the groups so far
        let mut sums = 0u32; // `sum`, added up before each group
        let mut groups = block.chunks_exact(8);
        for group in &mut groups {
            sums += sum;
            let mut group_sum = 0;
            for (lane, &byte) in lanes.iter_mut().zip(group) {
                *lane += byte as u32;
                group_sum += byte as u32;
            }
            sum += group_sum;
        }
        // Bounded per block of NMAX bytes: `sum` < 2^21, `sums` < 2^29,
        // so only the weighted total needs 64 bits.
        let grouped = (block.len() - groups.remainder().len()) as u64;
        let mut weighted = b as u64 + a as u64 * grouped + 8 * sums as u64;
        for (j, &lane) in lanes.iter().enumerate() {
            weighted += (8 - j as u64) * lane as u64;
        }
        a = ((a as u64 + sum as u64) % ADLER_MOD as u64) as u32;
        b = (weighted % ADLER_MOD as u64) as u32;
        for &byte in groups.remainder() {
            a += byte as u32;
            b += a;
        }
        a %= ADLER_MOD;
        b %= ADLER_MOD;
    }
    (b << 16) | a
}
