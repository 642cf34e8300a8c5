//! The mock's answers in gzip or deflate, when the client asks
//! (`Accept-Encoding`), as OpenAI's API answers: so that a client's
//! decoding meets real compressed bytes in every chat test.
//!
//! A small DEFLATE encoder (RFC 1951): greedy LZ77 matching over a hash of
//! three bytes, within each piece, coded with the fixed Huffman codes
//! (§3.2.6). Each piece ends with a sync flush (an empty stored block), so
//! a streamed event is decodable the moment it arrives, as a server that
//! flushes its compressor per event sends it. It compresses JSON about
//! three to one: enough to make a client decode, not a rival to zlib.

use crate::inflate::{adler32, crc32};

/// A coding the mock answers in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Coding {
    Gzip,
    /// RFC 9110's `deflate`: zlib-wrapped (RFC 1950).
    Deflate,
}

impl Coding {
    /// The coding to answer a request in, from its `Accept-Encoding`
    /// (gzip preferred; a coding with `q=0` is refused).
    pub(crate) fn negotiate<'a>(values: impl Iterator<Item = &'a str>) -> Option<Coding> {
        let accepted = |wanted: &str, value: &str| {
            value.split(',').any(|item| {
                let mut parts = item.split(';');
                let name = parts.next().unwrap_or("").trim();
                let refused = parts.any(|p| {
                    let p = p.trim();
                    p.strip_prefix("q=")
                        .is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
                });
                name.eq_ignore_ascii_case(wanted) && !refused
            })
        };
        let (mut gzip, mut deflate) = (false, false);
        for v in values {
            gzip |= accepted("gzip", v);
            deflate |= accepted("deflate", v);
        }
        match (gzip, deflate) {
            (true, _) => Some(Coding::Gzip),
            (false, true) => Some(Coding::Deflate),
            _ => None,
        }
    }

    /// The `Content-Encoding` value.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
        }
    }
}

/// One compressed stream, written piece by piece.
pub(crate) struct Encoder {
    coding: Coding,
    /// CRC-32 (gzip) or Adler-32 (zlib) of the data so far.
    check: u32,
    /// Bytes of data so far (gzip's ISIZE, modulo 2^32).
    size: u32,
    bits: Bits,
}

impl Encoder {
    /// A stream in `coding`; its first piece carries the header.
    pub(crate) fn new(coding: Coding) -> Encoder {
        let mut bits = Bits::default();
        match coding {
            // ID1 ID2 CM=8 FLG=0 MTIME=0 XFL=0 OS=255 (unknown).
            Coding::Gzip => bits
                .out
                .extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]),
            // CMF: deflate, 32 KiB window; FLG: no dictionary, and the
            // check bits that make CMF*256+FLG a multiple of 31.
            Coding::Deflate => bits.out.extend_from_slice(&[0x78, 0x01]),
        }
        let check = match coding {
            Coding::Gzip => 0,
            Coding::Deflate => 1,
        };
        Encoder {
            coding,
            check,
            size: 0,
            bits,
        }
    }

    /// `data` compressed, flushed so that a decoder gives all of it back
    /// from the bytes returned so far.
    pub(crate) fn piece(&mut self, data: &[u8]) -> Vec<u8> {
        self.check = match self.coding {
            Coding::Gzip => crc32(self.check, data),
            Coding::Deflate => adler32(self.check, data),
        };
        self.size = self.size.wrapping_add(data.len() as u32);
        if !data.is_empty() {
            // BFINAL=0, BTYPE=01 (fixed Huffman).
            self.bits.put(0b010, 3);
            compress(data, &mut self.bits);
            self.bits.literal_or_length(256);
        }
        // Sync flush: an empty stored block, which starts on a byte.
        self.bits.put(0, 3);
        self.bits.align();
        self.bits.out.extend_from_slice(&[0, 0, 0xff, 0xff]);
        std::mem::take(&mut self.bits.out)
    }

    /// The end of the stream: a last, empty block and the trailer.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        // BFINAL=1, BTYPE=01, end of block.
        self.bits.put(0b011, 3);
        self.bits.literal_or_length(256);
        self.bits.align();
        match self.coding {
            Coding::Gzip => {
                self.bits.out.extend_from_slice(&self.check.to_le_bytes());
                self.bits.out.extend_from_slice(&self.size.to_le_bytes());
            }
            Coding::Deflate => self.bits.out.extend_from_slice(&self.check.to_be_bytes()),
        }
        self.bits.out
    }

    /// `data` as one whole stream.
    pub(crate) fn whole(coding: Coding, data: &[u8]) -> Vec<u8> {
        let mut e = Encoder::new(coding);
        let mut out = e.piece(data);
        out.extend_from_slice(&e.finish());
        out
    }
}

/// Bits written least significant first, as DEFLATE packs them.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u32, n: u32) {
        self.acc |= u64::from(value) << self.n;
        self.n += n;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code: sent most significant bit first (§3.1.1).
    fn code(&mut self, code: u32, len: u32) {
        self.put(code.reverse_bits() >> (32 - len), len);
    }

    fn align(&mut self) {
        if self.n > 0 {
            self.put(0, 8 - self.n);
        }
    }

    /// A literal/length symbol in the fixed code (§3.2.6).
    fn literal_or_length(&mut self, symbol: u32) {
        match symbol {
            0..=143 => self.code(0x30 + symbol, 8),
            144..=255 => self.code(0x190 + symbol - 144, 9),
            256..=279 => self.code(symbol - 256, 7),
            _ => self.code(0xc0 + symbol - 280, 8),
        }
    }

    fn length(&mut self, len: usize) {
        // The last base not above `len`: 258 gets its own code (285),
        // never 284 with all five extra bits set.
        let i = LENGTH_BASE.partition_point(|&base| base as usize <= len) - 1;
        self.literal_or_length(257 + i as u32);
        self.put((len - LENGTH_BASE[i] as usize) as u32, LENGTH_EXTRA[i]);
    }

    fn distance(&mut self, dist: usize) {
        let i = DIST_BASE.partition_point(|&base| base as usize <= dist) - 1;
        self.code(i as u32, 5);
        self.put((dist - DIST_BASE[i] as usize) as u32, DIST_EXTRA[i]);
    }
}

const LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LENGTH_EXTRA: [u32; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u32; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

/// Greedy LZ77 over `data`: at each position the last earlier position
/// with the same three bytes (within 32 KiB) is tried, and a match of 3
/// to 258 bytes taken; otherwise a literal.
fn compress(data: &[u8], bits: &mut Bits) {
    const HASH_BITS: u32 = 12;
    const WINDOW: usize = 32 * 1024;
    let mut last = vec![usize::MAX; 1 << HASH_BITS];
    let hash = |at: usize| {
        let v = u32::from(data[at]) | u32::from(data[at + 1]) << 8 | u32::from(data[at + 2]) << 16;
        (v.wrapping_mul(0x9E37_79B1) >> (32 - HASH_BITS)) as usize
    };
    let mut at = 0;
    while at < data.len() {
        if at + 3 <= data.len() {
            let h = hash(at);
            let candidate = last[h];
            last[h] = at;
            if candidate != usize::MAX && at - candidate <= WINDOW {
                let max = (data.len() - at).min(258);
                let len = (0..max)
                    .take_while(|&i| data[candidate + i] == data[at + i])
                    .count();
                if len >= 3 {
                    bits.length(len);
                    bits.distance(at - candidate);
                    // The skipped positions join the table, so later data
                    // can match into them.
                    for p in at + 1..(at + len).min(data.len().saturating_sub(2)) {
                        last[hash(p)] = p;
                    }
                    at += len;
                    continue;
                }
            }
        }
        bits.literal_or_length(u32::from(data[at]));
        at += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn samples() -> Vec<Vec<u8>> {
        let json = br#"{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Pingyao is at its best in autumn."}}]}"#;
        vec![
            Vec::new(),
            b"a".to_vec(),
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".to_vec(),
            json.repeat(50),
            vec![0; 100_000],
            (0..70_000u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
                .collect(),
        ]
    }

    /// flate2 (zlib's format, another implementation) reads what the mock
    /// writes, in one piece or many.
    #[test]
    fn flate2_decodes_what_the_mock_writes() {
        for data in samples() {
            let gz = Encoder::whole(Coding::Gzip, &data);
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&gz[..])
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, data);

            let mut e = Encoder::new(Coding::Deflate);
            let mut zl = Vec::new();
            for piece in data.chunks(1000) {
                zl.extend_from_slice(&e.piece(piece));
            }
            zl.extend_from_slice(&e.finish());
            let mut out = Vec::new();
            flate2::read::ZlibDecoder::new(&zl[..])
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, data);
        }
        let json = &samples()[3];
        assert!(Encoder::whole(Coding::Gzip, json).len() * 3 < json.len());
    }

    #[test]
    fn each_piece_decodes_as_it_arrives() {
        let mut e = Encoder::new(Coding::Gzip);
        let mut inflate = crate::inflate::Inflate::new(crate::inflate::Format::Gzip);
        let mut out = vec![0; 4096];
        for event in [
            "data: {\"a\":1}\n\n",
            "data: {\"a\":2}\n\n",
            "data: [DONE]\n\n",
        ] {
            let bytes = e.piece(event.as_bytes());
            let p = inflate.decode(&bytes, &mut out).unwrap();
            assert_eq!(p.consumed, bytes.len());
            assert_eq!(&out[..p.produced], event.as_bytes());
        }
        let end = e.finish();
        inflate.decode(&end, &mut out).unwrap();
        assert!(inflate.is_done());
    }

    #[test]
    fn negotiation_follows_the_request() {
        let pick = |v: &[&str]| Coding::negotiate(v.iter().copied());
        assert_eq!(pick(&["gzip, deflate"]), Some(Coding::Gzip));
        assert_eq!(pick(&["deflate"]), Some(Coding::Deflate));
        assert_eq!(pick(&["br", "DEFLATE;q=0.5"]), Some(Coding::Deflate));
        assert_eq!(pick(&["gzip;q=0, deflate"]), Some(Coding::Deflate));
        assert_eq!(pick(&["identity"]), None);
        assert_eq!(pick(&[]), None);
    }
}
