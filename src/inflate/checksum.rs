//! The two checksums the wrappers carry: CRC-32 (gzip, RFC 1952 §8) and
//! Adler-32 (zlib, RFC 1950 §9). Both are written in the "update" style,
//! so that a stream is checked piece by piece as it is decoded.

/// The reflected CRC-32 polynomial of ISO 3309 / ITU-T V.42, as gzip,
/// zlib, PNG and Ethernet use it.
const POLY: u32 = 0xEDB8_8320;

/// How many bytes [`crc32`] folds per step: slice-by-16 reads 16 bytes and
/// looks up 16 tables whose loads are independent, so they overlap.
const SLICES: usize = 16;

/// `TABLES[0]` is the classic byte-at-a-time table; `TABLES[k][b]` is the
/// CRC of byte `b` followed by `k` zero bytes, so that 16 bytes at once are
/// 16 independent look-ups XORed together. Computed at compile time.
static TABLES: [[u32; 256]; SLICES] = crc_tables();

const fn crc_tables() -> [[u32; 256]; SLICES] {
    let mut tables = [[0u32; 256]; SLICES];
    let mut b = 0;
    while b < 256 {
        let mut crc = b as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ POLY
            } else {
                crc >> 1
            };
            bit += 1;
        }
        tables[0][b] = crc;
        b += 1;
    }
    let mut k = 1;
    while k < SLICES {
        let mut b = 0;
        while b < 256 {
            let prev = tables[k - 1][b];
            tables[k][b] = (prev >> 8) ^ tables[0][(prev & 0xFF) as usize];
            b += 1;
        }
        k += 1;
    }
    tables
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
    let mut crc = !crc;
    let mut chunks = bytes.chunks_exact(SLICES);
    for chunk in &mut chunks {
        // The first four bytes are folded into the running CRC; the other
        // twelve only need their own table.
        let low = crc ^ u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        crc = TABLES[15][(low & 0xFF) as usize]
            ^ TABLES[14][((low >> 8) & 0xFF) as usize]
            ^ TABLES[13][((low >> 16) & 0xFF) as usize]
            ^ TABLES[12][(low >> 24) as usize]
            ^ TABLES[11][chunk[4] as usize]
            ^ TABLES[10][chunk[5] as usize]
            ^ TABLES[9][chunk[6] as usize]
            ^ TABLES[8][chunk[7] as usize]
            ^ TABLES[7][chunk[8] as usize]
            ^ TABLES[6][chunk[9] as usize]
            ^ TABLES[5][chunk[10] as usize]
            ^ TABLES[4][chunk[11] as usize]
            ^ TABLES[3][chunk[12] as usize]
            ^ TABLES[2][chunk[13] as usize]
            ^ TABLES[1][chunk[14] as usize]
            ^ TABLES[0][chunk[15] as usize];
    }
    for &b in chunks.remainder() {
        crc = (crc >> 8) ^ TABLES[0][((crc ^ b as u32) & 0xFF) as usize];
    }
    !crc
}

/// The Adler-32 modulus: the largest prime below 2^16.
const ADLER_MOD: u32 = 65_521;

/// The most bytes that can be summed before `b` may pass `u32::MAX`
/// (zlib's NMAX): 255·n(n+1)/2 + (n+1)(MOD−1) ≤ 2^32 − 1 for n = 5552.
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
    // The modulo is deferred to once per NMAX bytes; inside, four
    // independent running sums shorten the dependency chain.
    for block in bytes.chunks(NMAX) {
        let mut quads = block.chunks_exact(4);
        for q in &mut quads {
            // b gains a four times, plus the bytes weighted by how many
            // times each is added after it arrives.
            b += 4 * a + 4 * q[0] as u32 + 3 * q[1] as u32 + 2 * q[2] as u32 + q[3] as u32;
            a += q[0] as u32 + q[1] as u32 + q[2] as u32 + q[3] as u32;
        }
        for &byte in quads.remainder() {
            a += byte as u32;
            b += a;
        }
        a %= ADLER_MOD;
        b %= ADLER_MOD;
    }
    (b << 16) | a
}
