//! WebSocket (RFC 6455) with permessage-deflate (RFC 7692): a sans-IO
//! codec and the client on top of it.
//!
//! The codec (frames, message reassembly, UTF-8 checked as bytes arrive,
//! close codes, limits, inflate) never touches a socket, like [`h1`]; the
//! client ([`Client::websocket`]) opens the connection through brisk's own
//! transport (the same TLS configuration, proxies and budgets as any
//! request) and drives the codec over it.
//!
//! [`h1`]: crate::h1
//! [`Client::websocket`]: crate::Client::websocket

mod client;
mod decoder;
mod frame;
mod halves;
mod handshake;
mod reader;
mod sha1;
mod socket;
mod utf8;
mod writer;

#[cfg(test)]
mod tests;

pub use client::WebSocketBuilder;
// For the fuzz target (`fuzzing::ws_decoder`).
pub(crate) use decoder::{Decoder, InflateContext};
pub use handshake::HandshakeError;
pub use reader::WebSocketReader;
pub use sha1::accept_key;
pub use socket::WebSocket;
pub use writer::WebSocketWriter;

use std::fmt;

/// A WebSocket message, received or to send.
///
/// Control messages (`Ping`, `Pong`, `Close`) may arrive between the
/// fragments of a data message; the client hands them out as they come.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// A text message (valid UTF-8, checked as it arrived).
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
    /// A ping; the client answers it with a pong by itself.
    Ping(Vec<u8>),
    /// A pong (an answer to a ping, or unsolicited as a heartbeat).
    Pong(Vec<u8>),
    /// The peer's close frame: its code and reason, if it sent any.
    Close(Option<CloseFrame>),
}

impl Message {
    /// A text message.
    pub fn text(text: impl Into<String>) -> Message {
        Message::Text(text.into())
    }

    /// A binary message.
    pub fn binary(bytes: impl Into<Vec<u8>>) -> Message {
        Message::Binary(bytes.into())
    }
}

/// A received message, borrowed from the reader: what
/// [`WebSocketReader::recv_ref`] hands out.
///
/// A message that came as one frame, uncompressed, is its payload where
/// it lies in the read buffer, with no copy and no allocation; any other
/// is borrowed from the buffer it was reassembled in, which the reader
/// reuses. The borrow ends before the next read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageRef<'a> {
    /// A text message (valid UTF-8).
    Text(&'a str),
    /// A binary message.
    Binary(&'a [u8]),
    /// A ping; the client has answered it with a pong already.
    Ping(&'a [u8]),
    /// A pong.
    Pong(&'a [u8]),
    /// The peer's close frame: its code and reason, if it sent any.
    Close(Option<&'a CloseFrame>),
}

impl MessageRef<'_> {
    /// The message, owned (a copy).
    pub fn to_message(&self) -> Message {
        match *self {
            MessageRef::Text(t) => Message::Text(t.to_owned()),
            MessageRef::Binary(b) => Message::Binary(b.to_vec()),
            MessageRef::Ping(p) => Message::Ping(p.to_vec()),
            MessageRef::Pong(p) => Message::Pong(p.to_vec()),
            MessageRef::Close(c) => Message::Close(c.cloned()),
        }
    }
}

/// The body of a close frame (RFC 6455 §5.5.1, §7.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseFrame {
    /// The status code, e.g. 1000 (normal) or 1001 (going away).
    pub code: u16,
    /// The reason, at most 123 bytes of UTF-8.
    pub reason: String,
}

/// Whether `code` may be sent in a close frame (RFC 6455 §7.4.1, §7.4.2,
/// and the IANA registry): 1000–1003 and 1007–1014 are defined, 3000–4999
/// are for libraries and applications. 1004 is reserved, and 1005, 1006
/// and 1015 are only for reporting, never sent.
pub fn is_valid_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// How much a peer may make the client hold, each with the close code
/// RFC 6455 names when it is exceeded (1009, "message too big").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    max_frame_bytes: usize,
    max_message_bytes: usize,
    max_fragments: usize,
}

impl Default for Limits {
    /// 16 MiB a frame, 64 MiB a message (after inflating), 100 000
    /// fragments a message: tokio-tungstenite's sizes, which Autobahn's
    /// largest cases (16 MiB in one frame, 4 MiB in 64-byte fragments) fit.
    fn default() -> Limits {
        Limits {
            max_frame_bytes: 16 << 20,
            max_message_bytes: 64 << 20,
            max_fragments: 100_000,
        }
    }
}

impl Limits {
    /// The largest frame payload accepted, in bytes.
    pub fn max_frame_bytes(mut self, bytes: usize) -> Limits {
        self.max_frame_bytes = bytes;
        self
    }

    /// The largest message accepted, in bytes, after inflating.
    pub fn max_message_bytes(mut self, bytes: usize) -> Limits {
        self.max_message_bytes = bytes;
        self
    }

    /// The most frames one data message may be split into.
    pub fn max_fragments(mut self, count: usize) -> Limits {
        self.max_fragments = count;
        self
    }
}

/// What the server did wrong at the WebSocket layer: the connection is
/// failed with [`ProtocolError::close_code`] (RFC 6455 §7.1.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A frame from the server was masked (§5.1).
    MaskedFrame,
    /// A reserved bit was set that no negotiated extension defines (§5.2).
    ReservedBits,
    /// A reserved opcode (§5.2).
    ReservedOpcode,
    /// A control frame without FIN (§5.5).
    FragmentedControl,
    /// A control frame longer than 125 bytes (§5.5).
    ControlTooLong,
    /// A 64-bit length with its most significant bit set (§5.2).
    BadLength,
    /// A continuation frame with no message to continue (§5.4).
    UnexpectedContinuation,
    /// A new data message before the previous one ended (§5.4).
    ExpectedContinuation,
    /// Text or a close reason that is not UTF-8 (§8.1): close code 1007.
    InvalidUtf8,
    /// A close frame with a code that may not be sent (§7.4).
    BadCloseCode,
    /// A close frame with a one-byte body (§5.5.1).
    BadClosePayload,
    /// A frame larger than [`Limits::max_frame_bytes`]: close code 1009.
    FrameTooLarge,
    /// A message larger than [`Limits::max_message_bytes`]: close code 1009.
    MessageTooLarge,
    /// A message in more frames than [`Limits::max_fragments`]: close
    /// code 1009.
    TooManyFragments,
    /// A compressed message that does not inflate (RFC 7692 §8): close
    /// code 1007.
    BadDeflate,
}

impl ProtocolError {
    /// The close code the client sends when it fails the connection for
    /// this error: 1007 for bad data, 1009 for a limit, else 1002.
    pub fn close_code(self) -> u16 {
        match self {
            ProtocolError::InvalidUtf8 | ProtocolError::BadDeflate => 1007,
            ProtocolError::FrameTooLarge
            | ProtocolError::MessageTooLarge
            | ProtocolError::TooManyFragments => 1009,
            _ => 1002,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            ProtocolError::MaskedFrame => "masked frame from the server",
            ProtocolError::ReservedBits => "reserved bits set",
            ProtocolError::ReservedOpcode => "reserved opcode",
            ProtocolError::FragmentedControl => "fragmented control frame",
            ProtocolError::ControlTooLong => "control frame longer than 125 bytes",
            ProtocolError::BadLength => "invalid frame length",
            ProtocolError::UnexpectedContinuation => "continuation frame without a message",
            ProtocolError::ExpectedContinuation => "new message inside a fragmented message",
            ProtocolError::InvalidUtf8 => "invalid utf-8 in text",
            ProtocolError::BadCloseCode => "invalid close code",
            ProtocolError::BadClosePayload => "invalid close frame body",
            ProtocolError::FrameTooLarge => "frame too large",
            ProtocolError::MessageTooLarge => "message too large",
            ProtocolError::TooManyFragments => "too many fragments",
            ProtocolError::BadDeflate => "compressed message does not inflate",
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for ProtocolError {}
