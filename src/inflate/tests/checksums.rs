//! CRC-32 and Adler-32 against their published check values.

use super::*;

#[test]
fn crc32_matches_the_published_check_values() {
    assert_eq!(crc32(0, b""), 0);
    assert_eq!(crc32(0, b"123456789"), 0xCBF4_3926);
    assert_eq!(
        crc32(0, b"The quick brown fox jumps over the lazy dog"),
        0x414F_A339
    );
    assert_eq!(crc32(0, &[0u8; 32]), 0x190A_55AD);
    assert_eq!(crc32(0, &[0xFFu8; 32]), 0xFF6C_AB0B);
    let ascending: Vec<u8> = (0..32).collect();
    assert_eq!(crc32(0, &ascending), 0x91267E8A);
}

#[test]
fn crc32_in_pieces_equals_crc32_whole() {
    let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
    let whole = crc32(0, &data);
    for split in [0, 1, 15, 16, 17, 4999, 9999, 10_000] {
        assert_eq!(crc32(crc32(0, &data[..split]), &data[split..]), whole);
    }
    assert_eq!(whole, reference(&data).0, "against the bitwise definition");
}

#[test]
fn adler32_matches_the_published_check_values() {
    assert_eq!(adler32(1, b""), 1);
    assert_eq!(adler32(1, b"Wikipedia"), 0x11E6_0398);
    assert_eq!(adler32(1, b"123456789"), 0x091E_01DE);
    assert_eq!(adler32(1, b"abc"), 0x024D_0127);
}

#[test]
fn adler32_survives_long_runs_of_0xff_in_pieces() {
    // The deferred modulo must not overflow: the worst case is all 0xFF.
    let data = vec![0xFFu8; 100_000];
    let mut a: u64 = 1;
    let mut b: u64 = 0;
    for &x in &data {
        a = (a + x as u64) % 65_521;
        b = (b + a) % 65_521;
    }
    let expect = ((b << 16) | a) as u32;
    assert_eq!(adler32(1, &data), expect);
    assert_eq!(adler32(adler32(1, &data[..5553]), &data[5553..]), expect);
}

/// The checksums one bit and one byte at a time, as the RFCs define them.
fn reference(data: &[u8]) -> (u32, u32) {
    let mut crc = !0u32;
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        crc ^= x as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
        a = (a + x as u32) % 65_521;
        b = (b + a) % 65_521;
    }
    (!crc, (b << 16) | a)
}

#[test]
fn lanes_and_groups_agree_with_the_definition_at_every_boundary() {
    // CRC-32 runs four 2 KiB lanes per 8 KiB block, and Adler-32 sums
    // eight-byte groups per 5,552-byte block: lengths and split points
    // around those boundaries, on bytes that are not all alike.
    let data: Vec<u8> = (0..40_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for len in [
        0, 1, 7, 8, 9, 2047, 2048, 8191, 8192, 8193, 5551, 5552, 5553, 16_384, 24_583, 40_000,
    ] {
        let (crc, adler) = reference(&data[..len]);
        assert_eq!(crc32(0, &data[..len]), crc, "crc32 of {len} bytes");
        assert_eq!(adler32(1, &data[..len]), adler, "adler32 of {len} bytes");
        for split in [1, 8, 2049, 8192, 8193] {
            if split < len {
                let (head, tail) = data[..len].split_at(split);
                assert_eq!(
                    crc32(crc32(0, head), tail),
                    crc,
                    "crc32 {len} cut at {split}"
                );
                assert_eq!(
                    adler32(adler32(1, head), tail),
                    adler,
                    "adler32 {len} cut at {split}"
                );
            }
        }
    }
    // The worst case for Adler-32's deferred sums: every byte 0xFF.
    let ones = vec![0xFFu8; 3 * 8192 + 5];
    assert_eq!(adler32(1, &ones), reference(&ones).1);
    assert_eq!(crc32(0, &ones), reference(&ones).0);
}
