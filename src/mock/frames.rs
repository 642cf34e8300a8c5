//! The server's side of WebSocket framing (RFC 6455 §5), for the
//! Realtime endpoint: client frames read (masked, as a client must send
//! them), server frames written (unmasked). brisk's own codec
//! (`crate::ws`) is the client's side and refuses masked frames, so the
//! mock reads with this small reader instead: whole messages, no
//! extensions, bounded.

use crate::ws::is_valid_close_code;

/// The largest message the mock takes from a client: Realtime events are
/// JSON, and audio arrives base64-encoded in pieces far below this.
const MAX_MESSAGE_BYTES: usize = 1 << 20;

/// A whole message from the client.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Frame {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    /// The close frame's code and reason, if it had a body.
    Close(Option<(u16, String)>),
}

/// Why the client's frames cannot be read: the close code to fail the
/// connection with (RFC 6455 §7.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Refused(pub(crate) u16);

/// A frame as read: FIN, opcode, the unmasked payload, its size on the
/// wire.
type RawFrame = (bool, u8, Vec<u8>, usize);

/// The client's frames read from its bytes, which may arrive cut
/// anywhere; fragments joined into messages.
#[derive(Debug, Default)]
pub(crate) struct FrameReader {
    buf: Vec<u8>,
    /// A data message begun in fragments: text or not, its bytes so far.
    partial: Option<(bool, Vec<u8>)>,
}

impl FrameReader {
    /// Bytes as they arrived.
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole message, `Ok(None)` when more bytes are needed.
    pub(crate) fn next(&mut self) -> Result<Option<Frame>, Refused> {
        loop {
            let Some((fin, opcode, payload, used)) = self.frame()? else {
                return Ok(None);
            };
            self.buf.drain(..used);
            let control = opcode & 0x8 != 0;
            if control {
                return control_frame(opcode, payload).map(Some);
            }
            let (text, mut bytes) = match (opcode, self.partial.take()) {
                (0x0, Some(partial)) => partial,
                // A continuation with nothing to continue, or a new
                // message inside a fragmented one (§5.4).
                (0x0, None) | (_, Some(_)) => return Err(Refused(1002)),
                (op, None) => (op == 0x1, Vec::new()),
            };
            bytes.extend_from_slice(&payload);
            if bytes.len() > MAX_MESSAGE_BYTES {
                return Err(Refused(1009));
            }
            if !fin {
                self.partial = Some((text, bytes));
                continue;
            }
            if !text {
                return Ok(Some(Frame::Binary(bytes)));
            }
            return match String::from_utf8(bytes) {
                Ok(t) => Ok(Some(Frame::Text(t))),
                Err(_) => Err(Refused(1007)),
            };
        }
    }

    /// One whole frame at the start of the buffer: FIN, opcode, the
    /// unmasked payload and the bytes it took.
    fn frame(&self) -> Result<Option<RawFrame>, Refused> {
        let [b0, b1, ..] = self.buf[..] else {
            return Ok(None);
        };
        let fin = b0 & 0x80 != 0;
        let opcode = b0 & 0x0F;
        // No extension is negotiated, so no reserved bit may be set; and
        // only the six opcodes RFC 6455 defines (§5.2).
        if b0 & 0x70 != 0 || !matches!(opcode, 0x0..=0x2 | 0x8..=0xA) {
            return Err(Refused(1002));
        }
        // A client masks every frame (§5.1); a server fails the
        // connection on one that is not.
        if b1 & 0x80 == 0 {
            return Err(Refused(1002));
        }
        let (len, at) = match b1 & 0x7F {
            126 => match self.buf.get(2..4) {
                Some(b) => (u64::from(u16::from_be_bytes([b[0], b[1]])), 4),
                None => return Ok(None),
            },
            127 => match self.buf.get(2..10) {
                Some(b) => (u64::from_be_bytes(b.try_into().expect("8 bytes")), 10),
                None => return Ok(None),
            },
            n => (u64::from(n), 2),
        };
        if opcode & 0x8 != 0 && (!fin || len > 125) {
            return Err(Refused(1002));
        }
        if len > MAX_MESSAGE_BYTES as u64 {
            return Err(Refused(1009));
        }
        let len = len as usize;
        let Some(key) = self.buf.get(at..at + 4) else {
            return Ok(None);
        };
        let Some(masked) = self.buf.get(at + 4..at + 4 + len) else {
            return Ok(None);
        };
        let payload = masked
            .iter()
            .zip(key.iter().cycle())
            .map(|(b, k)| b ^ k)
            .collect();
        Ok(Some((fin, opcode, payload, at + 4 + len)))
    }
}

fn control_frame(opcode: u8, payload: Vec<u8>) -> Result<Frame, Refused> {
    Ok(match opcode {
        0x9 => Frame::Ping(payload),
        0xA => Frame::Pong(payload),
        _ => match payload.as_slice() {
            [] => Frame::Close(None),
            [_] => return Err(Refused(1002)),
            [hi, lo, reason @ ..] => {
                let code = u16::from_be_bytes([*hi, *lo]);
                if !is_valid_close_code(code) {
                    return Err(Refused(1002));
                }
                let reason = std::str::from_utf8(reason).map_err(|_| Refused(1007))?;
                Frame::Close(Some((code, reason.to_owned())))
            }
        },
    })
}

/// Opcodes of the frames the server sends.
pub(crate) const TEXT: u8 = 0x1;
pub(crate) const CLOSE: u8 = 0x8;
pub(crate) const PONG: u8 = 0xA;

/// A whole, unmasked server frame (a server never masks, §5.1).
pub(crate) fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0x80 | opcode];
    match payload.len() {
        n @ 0..=125 => out.push(n as u8),
        n @ 126..=0xFFFF => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
    out
}

/// A close frame's body: the code, then the reason (cut to the 123 bytes
/// a control frame leaves it, at a character boundary).
pub(crate) fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = code.to_be_bytes().to_vec();
    out.extend_from_slice(&reason.as_bytes()[..end]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A masked client frame.
    fn masked(b0: u8, payload: &[u8]) -> Vec<u8> {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        let mut out = frame(0, payload);
        out[0] = b0;
        out[1] |= 0x80;
        let at = out.len() - payload.len();
        out.splice(at..at, key);
        for (i, b) in out[at + 4..].iter_mut().enumerate() {
            *b ^= key[i % 4];
        }
        out
    }

    #[test]
    fn rfc6455_masked_hello_whole_and_byte_by_byte() {
        // RFC 6455 §5.7.
        let hello = [
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        let mut reader = FrameReader::default();
        for (i, b) in hello.iter().enumerate() {
            assert_eq!(reader.next(), Ok(None), "at {i}");
            reader.push(&[*b]);
        }
        assert_eq!(reader.next(), Ok(Some(Frame::Text("Hello".into()))));
        assert_eq!(reader.next(), Ok(None));
    }

    #[test]
    fn fragments_with_a_ping_between() {
        let mut bytes = masked(0x01, "κ".as_bytes());
        bytes.extend(masked(0x89, b"hi"));
        bytes.extend(masked(0x80, &[b'!'; 300]));
        bytes.extend(masked(0x88, &close_payload(1000, "bye")));
        let mut reader = FrameReader::default();
        reader.push(&bytes);
        assert_eq!(reader.next(), Ok(Some(Frame::Ping(b"hi".to_vec()))));
        let text = format!("κ{}", "!".repeat(300));
        assert_eq!(reader.next(), Ok(Some(Frame::Text(text))));
        let close = Frame::Close(Some((1000, "bye".into())));
        assert_eq!(reader.next(), Ok(Some(close)));
    }

    #[test]
    fn refusals() {
        let mut unmasked = frame(TEXT, b"x");
        unmasked[0] = 0x81;
        let cases: [(Vec<u8>, u16); 6] = [
            (unmasked, 1002),
            (masked(0xC1, b"x"), 1002),
            (masked(0x83, b"x"), 1002),
            (masked(0x81, &[0xff]), 1007),
            (masked(0x80, b"x"), 1002),
            (masked(0x88, &[0x03, 0xED]), 1002),
        ];
        for (bytes, code) in cases {
            let mut reader = FrameReader::default();
            reader.push(&bytes);
            assert_eq!(reader.next(), Err(Refused(code)), "{bytes:x?}");
        }
        let mut reader = FrameReader::default();
        reader.push(&[0x82, 0xFF, 0, 0, 0, 0, 0x40, 0, 0, 0]);
        assert_eq!(reader.next(), Err(Refused(1009)));
    }
}
