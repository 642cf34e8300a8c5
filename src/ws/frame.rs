//! Frames (RFC 6455 §5.2): the header parsed and written, payloads masked.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-------+-+-------------+-------------------------------+
//! |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
//! |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
//! |N|V|V|V|       |S|             |   (if payload len==126/127)   |
//! | |1|2|3|       |K|             |                               |
//! +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
//! |     Extended payload length continued, if payload len == 127  |
//! + - - - - - - - - - - - - - - - +-------------------------------+
//! |                               |Masking-key, if MASK set to 1  |
//! +-------------------------------+-------------------------------+
//! ```

use super::ProtocolError;

/// What a frame carries (RFC 6455 §5.2, §11.8). Opcodes 3–7 and B–F are
/// reserved and refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Opcode {
    Continuation,
    Text,
    Binary,
    Close,
    Ping,
    Pong,
}

impl Opcode {
    fn from_bits(bits: u8) -> Result<Opcode, ProtocolError> {
        Ok(match bits {
            0x0 => Opcode::Continuation,
            0x1 => Opcode::Text,
            0x2 => Opcode::Binary,
            0x8 => Opcode::Close,
            0x9 => Opcode::Ping,
            0xA => Opcode::Pong,
            _ => return Err(ProtocolError::ReservedOpcode),
        })
    }

    pub(crate) fn bits(self) -> u8 {
        match self {
            Opcode::Continuation => 0x0,
            Opcode::Text => 0x1,
            Opcode::Binary => 0x2,
            Opcode::Close => 0x8,
            Opcode::Ping => 0x9,
            Opcode::Pong => 0xA,
        }
    }

    /// Close, ping and pong (opcodes with the high bit set, §5.5).
    pub(crate) fn is_control(self) -> bool {
        matches!(self, Opcode::Close | Opcode::Ping | Opcode::Pong)
    }
}

/// The largest payload of a control frame (RFC 6455 §5.5).
pub(crate) const MAX_CONTROL_PAYLOAD: u64 = 125;

/// A parsed frame header, as sent by a server (never masked).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FrameHeader {
    pub(crate) fin: bool,
    /// RSV1: "compressed" under permessage-deflate (RFC 7692 §6).
    pub(crate) rsv1: bool,
    pub(crate) opcode: Opcode,
    pub(crate) len: u64,
}

/// Parses a frame header from the start of `input`: `Ok(None)` when more
/// bytes are needed, else the header and its size.
///
/// Refused here, with the reason RFC 6455 gives:
/// - RSV1 without permessage-deflate, and RSV2/RSV3 always (§5.2: no
///   extension that defines them was negotiated);
/// - reserved opcodes (§5.2);
/// - a control frame that is fragmented or longer than 125 bytes (§5.5);
/// - a masked frame: a server must not mask (§5.1);
/// - a 64-bit length with its most significant bit set (§5.2).
///
/// A length written in more bytes than needed is accepted: §5.2's
/// "minimal number of bytes" binds the sender, and refusing it would
/// protect nothing.
pub(crate) fn parse_header(
    input: &[u8],
    rsv1_allowed: bool,
) -> Result<Option<(FrameHeader, usize)>, ProtocolError> {
    let [b0, b1, ..] = *input else {
        return Ok(None);
    };
    let fin = b0 & 0x80 != 0;
    let rsv1 = b0 & 0x40 != 0;
    if b0 & 0x30 != 0 || (rsv1 && !rsv1_allowed) {
        return Err(ProtocolError::ReservedBits);
    }
    let opcode = Opcode::from_bits(b0 & 0x0F)?;
    if b1 & 0x80 != 0 {
        return Err(ProtocolError::MaskedFrame);
    }
    let (len, size) = match b1 & 0x7F {
        126 => match input.get(2..4) {
            Some(b) => (u64::from(u16::from_be_bytes([b[0], b[1]])), 4),
            None => return Ok(None),
        },
        127 => match input.get(2..10) {
            Some(b) => {
                let len = u64::from_be_bytes(b.try_into().expect("8 bytes"));
                if len >> 63 != 0 {
                    return Err(ProtocolError::BadLength);
                }
                (len, 10)
            }
            None => return Ok(None),
        },
        n => (u64::from(n), 2),
    };
    if opcode.is_control() {
        if !fin {
            return Err(ProtocolError::FragmentedControl);
        }
        if len > MAX_CONTROL_PAYLOAD {
            return Err(ProtocolError::ControlTooLong);
        }
        if rsv1 {
            // RFC 7692 §6.1: only data messages are compressed.
            return Err(ProtocolError::ReservedBits);
        }
    }
    Ok(Some((
        FrameHeader {
            fin,
            rsv1,
            opcode,
            len,
        },
        size,
    )))
}

/// Appends a client frame to `out`: the header with `key`, then `payload`
/// masked with it (a client masks every frame, RFC 6455 §5.3).
pub(crate) fn encode_frame(
    opcode: Opcode,
    fin: bool,
    rsv1: bool,
    payload: &[u8],
    key: [u8; 4],
    out: &mut Vec<u8>,
) {
    out.reserve(14 + payload.len());
    encode_header(opcode, fin, rsv1, payload.len(), key, out);
    let start = out.len();
    out.extend_from_slice(payload);
    apply_mask(&mut out[start..], key);
}

/// Appends a masked frame's header for a payload of `len` bytes to `out`:
/// the frame is this header and then the payload masked with `key`
/// ([`apply_mask`]).
pub(crate) fn encode_header(
    opcode: Opcode,
    fin: bool,
    rsv1: bool,
    len: usize,
    key: [u8; 4],
    out: &mut Vec<u8>,
) {
    let b0 = (u8::from(fin) << 7) | (u8::from(rsv1) << 6) | opcode.bits();
    out.push(b0);
    match len {
        n @ 0..=125 => out.push(0x80 | n as u8),
        n @ 126..=0xFFFF => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&key);
}

/// XORs `bytes` with `key` repeated (RFC 6455 §5.3), eight bytes at a
/// time: the key repeated twice is one `u64`, and since the chunks start
/// at the payload's start, each lines up with the key.
pub(crate) fn apply_mask(bytes: &mut [u8], key: [u8; 4]) {
    let wide = u64::from_ne_bytes([
        key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3],
    ]);
    let mut chunks = bytes.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let word = u64::from_ne_bytes(chunk.try_into().expect("8 bytes")) ^ wide;
        chunk.copy_from_slice(&word.to_ne_bytes());
    }
    for (b, k) in chunks.into_remainder().iter_mut().zip(key.iter().cycle()) {
        *b ^= k;
    }
}

/// A fresh masking key. RFC 6455 §5.3 asks that it be unpredictable to
/// scripts in the page, which a native client has none of; SplitMix64,
/// seeded per thread from the OS's keys (as trace ids are), is fast and
/// unpredictable enough to any proxy along the way.
pub(crate) fn mask_key() -> [u8; 4] {
    let v = crate::trace::ids::next_random();
    (v as u32).to_ne_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_7_16_64() {
        for (len, size) in [
            (0usize, 2usize),
            (125, 2),
            (126, 4),
            (65535, 4),
            (65536, 10),
        ] {
            let payload = vec![7u8; len];
            let mut out = Vec::new();
            encode_frame(
                Opcode::Binary,
                true,
                false,
                &payload,
                [1, 2, 3, 4],
                &mut out,
            );
            assert_eq!(out.len(), size + 4 + len);
            // Unmask as a server would, and parse it with the mask bit
            // cleared.
            out[1] &= 0x7F;
            let key: [u8; 4] = out[size..size + 4].try_into().unwrap();
            out.drain(size..size + 4);
            let (h, n) = parse_header(&out, false).unwrap().unwrap();
            assert_eq!(
                (h.len, n, h.fin, h.opcode),
                (len as u64, size, true, Opcode::Binary)
            );
            apply_mask(&mut out[n..], key);
            assert_eq!(&out[n..], &payload[..]);
            // Every prefix of the header is "need more".
            for cut in 0..size {
                assert_eq!(parse_header(&out[..cut], false).unwrap(), None);
            }
        }
    }

    #[test]
    fn word_masking_equals_byte_masking() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        for len in 0..40 {
            let original: Vec<u8> = (0..len as u8).collect();
            let mut fast = original.clone();
            apply_mask(&mut fast, key);
            let slow: Vec<u8> = original
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ key[i % 4])
                .collect();
            assert_eq!(fast, slow);
        }
        // RFC 6455 §5.7: a masked "Hello".
        let mut out = Vec::new();
        encode_frame(
            Opcode::Text,
            true,
            false,
            b"Hello",
            [0x37, 0xfa, 0x21, 0x3d],
            &mut out,
        );
        assert_eq!(
            out,
            [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
        );
    }

    #[test]
    fn refusals() {
        let cases: [(&[u8], ProtocolError); 7] = [
            (&[0x81, 0x85, 0, 0, 0, 0], ProtocolError::MaskedFrame),
            (&[0xC1, 0x00], ProtocolError::ReservedBits),
            (&[0xA1, 0x00], ProtocolError::ReservedBits),
            (&[0x83, 0x00], ProtocolError::ReservedOpcode),
            (&[0x8B, 0x00], ProtocolError::ReservedOpcode),
            (&[0x09, 0x00], ProtocolError::FragmentedControl),
            (&[0x89, 0x7E, 0x00, 0x7E], ProtocolError::ControlTooLong),
        ];
        for (bytes, want) in cases {
            assert_eq!(parse_header(bytes, false), Err(want), "{bytes:x?}");
        }
        let huge = [0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(parse_header(&huge, false), Err(ProtocolError::BadLength));
        // RSV1 on a control frame, even with deflate.
        assert_eq!(
            parse_header(&[0xC9, 0x00], true),
            Err(ProtocolError::ReservedBits)
        );
        assert!(parse_header(&[0xC1, 0x00], true).unwrap().is_some());
    }

    #[test]
    fn keys_change_from_frame_to_frame() {
        let keys: std::collections::HashSet<[u8; 4]> = (0..64).map(|_| mask_key()).collect();
        assert!(keys.len() > 60);
    }
}
