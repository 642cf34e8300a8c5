//! The sans-IO HTTP/1.1 codec: bytes in, events out, no sockets.
//!
//! This module never performs I/O and never awaits. It is the part of brisk
//! that decides where one message ends and the next begins, so it is written
//! to be read, fuzzed and tested byte by byte:
//!
//! - [`encode_request_head`] writes a validated request head into a caller's
//!   `Vec<u8>`; [`encode_chunk`] and [`encode_last_chunk`] frame a streamed
//!   body.
//! - [`ResponseDecoder`] is fed response bytes as they arrive and answers with
//!   a [`Decoded`] step: how many bytes it consumed and, when it has one, an
//!   [`Event`] (a head, a slice of body, the end of the message, or a
//!   protocol switch). "Need more bytes" is never an error.
//! - [`parse_head`] parses one complete or partial response head into
//!   caller-provided slots without allocating; the decoder is built on it.
//!
//! # Policy choices
//!
//! Where well-known parsers disagree, brisk picks one behaviour. The rule of
//! thumb: be strict wherever the bytes decide message boundaries (line
//! endings, chunk-size lines, Content-Length), because a lenient reading
//! there is how responses are smuggled past a client.
//!
//! | input | brisk | why |
//! | --- | --- | --- |
//! | bare LF line ending (`\n` without `\r`) in the head | rejected: [`ParseError::InvalidLineEnding`] | line endings delimit the head; RFC 9112 §2.2 only *allows* leniency |
//! | CR not followed by LF | rejected: [`ParseError::InvalidLineEnding`] | same |
//! | obs-fold (a header line starting with SP or HTAB) | rejected: [`ParseError::ObsoleteLineFolding`] | RFC 9112 §5.2 deprecates it; folding hides header boundaries |
//! | whitespace between a field name and `:` | rejected: [`ParseError::InvalidHeaderName`] | RFC 9112 §5.1 |
//! | NUL or another control byte in the reason phrase | rejected: [`ParseError::InvalidReason`] | RFC 9112 §4 allows HTAB, SP, VCHAR, obs-text only |
//! | status code below 100 (e.g. `001`) | rejected: [`ParseError::InvalidStatus`] | RFC 9110 §15 defines 100–599; 600–999 are accepted as unknown classes |
//! | empty lines (CRLF) before a status line: at the start, between responses, after a 1xx | skipped, up to [`Limits::max_empty_lines`] (4) per status line; one more, or a bare LF, is [`ParseError::InvalidVersion`] | robustness for framing-neutral bytes (RFC 9112 §2.2 asks the same of servers; aiohttp sends one after `100 Continue`; llhttp skips them unbounded); bounded, and CRLF only, since line endings are where readings diverge |
//! | `HTTP/0.9 200 OK` status line | accepted, treated like HTTP/1.0 (no keep-alive by default) | a status line is present, so it is parseable; both reference parsers accept it |
//! | a status line of another protocol (`RTSP/1.0 200 OK`, `ICE/1.0 200 OK`) | rejected: [`ParseError::InvalidVersion`] | only `HTTP/` names HTTP; llhttp, which also parses RTSP and ICE, accepts them |
//! | `HTTP/1.2`…`HTTP/1.9` | accepted as HTTP/1.1 | RFC 9110 §2.5 |
//! | SP or HTAB after a chunk size without `;` | rejected: [`ParseError::InvalidChunkSize`] | RFC 9112 §7.1 allows whitespace only before a chunk extension |
//! | chunk extensions (`5;name=value`, `5 ; n = "v"`) | checked against their grammar, then discarded, bounded by [`Limits::max_chunk_ext_bytes`]; an empty name or value (`2;`, `2;=x`, `2;a=`), an unterminated quoted string, whitespace at the end of the line or a control byte is [`ParseError::InvalidChunkExtension`] | RFC 9112 §7.1.1 (BWS only around `;` and `=`); llhttp also rejects `2;` and an unterminated quoted string |
//! | chunk size `FFFFFFFFFFFFFFFF` (u64::MAX) | accepted: it fits in 64 bits | overflow, not size, is the error; 17+ digits or a value past u64 are rejected |
//! | `Content-Length: 18446744073709551615` | accepted (fits in u64); one more is [`ParseError::InvalidContentLength`] | same |
//! | identical duplicate `Content-Length` (fields or a list `0, 0`) | accepted as one value | RFC 9110 §8.6 allows it; differing values are [`ParseError::ConflictingContentLength`] |
//! | `Transfer-Encoding` and `Content-Length` together | chunked wins; the connection is not reused | RFC 9112 §6.3 step 3 |
//! | `Transfer-Encoding` whose last coding is not `chunked` (`gzip`, `chunked, gzip`) | body read until close; not reused | RFC 9112 §6.3 step 4 (h11 rejects instead) |
//! | the same, alongside `Content-Length` | rejected: [`ParseError::ConflictingFraming`] | two readings of the body's end; http-parser and llhttp agree |
//! | `Proxy-Connection: close` | honoured like `Connection: close` | non-standard, but closing is always safe |
//! | `Transfer-Encoding` on an HTTP/1.0 response | honoured; the connection is not reused | RFC 9112 §6.1 |
//! | bytes after a message that closes the connection (`Connection: close`, HTTP/1.0 without keep-alive, `Transfer-Encoding` with `Content-Length`; whenever [`Event::End`] says `reusable: false`) | rejected: [`ParseError::BytesAfterClose`]; empty lines within [`Limits::max_empty_lines`] are skipped | RFC 9112 §9.6: that response is the connection's last, so what follows is garbage or a smuggled response; llhttp's strict mode agrees |
//! | bytes after a `101 Switching Protocols` head, even with `Content-Length`/`Transfer-Encoding` | handed back untouched as the new protocol's bytes | RFC 9110 §15.2.2: a 101 has no content |
//! | a 101 the request did not ask for | the codec reports [`Event::Upgrade`]; the client refuses it | the codec cannot know what was asked; the client never asks |
//! | trailer fields | validated as header fields, bounded by [`Limits::max_trailer_bytes`], then discarded, so they can never change framing | RFC 9110 §6.5.1 |
//! | more than [`Limits::max_informational`] 1xx responses before the final one | rejected: [`ParseError::TooManyInformational`] | an endless 1xx stream would otherwise hang the client |

pub(crate) mod body;
mod decode;
pub(crate) mod encode;
mod error;
pub(crate) mod parse;

pub use crate::header::HeaderSpan;
pub use body::{framing, Framing, RequestKind, ResponseFraming};
pub use decode::{Decoded, Event, ResponseDecoder};
pub use encode::{
    encode_chunk, encode_last_chunk, encode_request_head, validate_request_head, BodyFraming,
    RequestHead,
};
pub use error::{EncodeError, ParseError};
/// The resumable head scanner, for `brisk::fuzzing`'s split checks.
pub(crate) use parse::HeadScanner;
pub use parse::{parse_head, Headers, RawHead, ResponseHead, Status};

/// The HTTP version a response declared in its status line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Version {
    /// `HTTP/0.9` in a status line; treated like HTTP/1.0.
    Http09,
    /// `HTTP/1.0`: no persistent connection unless `Connection: keep-alive`.
    Http10,
    /// `HTTP/1.1` (and `HTTP/1.x` for x ≥ 1): persistent unless `Connection: close`.
    Http11,
}

impl Version {
    /// `HTTP/0.9` (reqwest's spelling of [`Version::Http09`]).
    pub const HTTP_09: Version = Version::Http09;
    /// `HTTP/1.0` (reqwest's spelling of [`Version::Http10`]).
    pub const HTTP_10: Version = Version::Http10;
    /// `HTTP/1.1` (reqwest's spelling of [`Version::Http11`]).
    pub const HTTP_11: Version = Version::Http11;

    /// The version as written in a status line, e.g. `"HTTP/1.1"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Http09 => "HTTP/0.9",
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Bounds on everything the peer controls.
///
/// Every field has a default that no honest server comes near; a response
/// that crosses one fails with the matching [`ParseError`] instead of making
/// the client buffer without end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes in a response head: status line, header lines and the blank
    /// line. Default 64 KiB; capped at 16 MiB.
    pub max_head_bytes: usize,
    /// Header fields in one head. Default 128.
    pub max_headers: usize,
    /// Bytes in one line of the head (status line or one field line).
    /// Default 16 KiB.
    pub max_line_bytes: usize,
    /// Hex digits in a chunk size. Default 16 (any u64).
    pub max_chunk_size_digits: usize,
    /// Bytes of chunk extensions on one chunk-size line. Default 1 KiB.
    pub max_chunk_ext_bytes: usize,
    /// Bytes in the trailer section after the last chunk. Default 16 KiB.
    pub max_trailer_bytes: usize,
    /// Informational (1xx) responses accepted before the final one. Default 16.
    pub max_informational: usize,
    /// Empty lines (CRLF) skipped before each status line. Default 4; 0
    /// makes any empty line there an error.
    pub max_empty_lines: usize,
    /// The most body bytes that `Response::bytes`, `text` and `json`
    /// collect: a longer body (by its `Content-Length`, before anything is
    /// read, or as it arrives) fails with an error for which
    /// `is_too_large()` is true. Default: no cap. Streaming with
    /// `Response::chunk` is not capped: the caller holds what it keeps.
    /// The codec itself does not use it.
    pub max_body_bytes: Option<u64>,
    /// The most bytes a compressed body that brisk decodes (see
    /// `ClientBuilder::gzip`) may inflate to in `Response::bytes`, `text`
    /// and `json`, whatever `max_body_bytes` says (the smaller cap
    /// applies): a body of a few megabytes can inflate to gigabytes.
    /// Default 256 MiB. Streaming reads are not capped: they decode into
    /// the caller's buffer, so memory stays constant.
    pub max_decoded_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head_bytes: 64 * 1024,
            max_headers: 128,
            max_line_bytes: 16 * 1024,
            max_chunk_size_digits: 16,
            max_chunk_ext_bytes: 1024,
            max_trailer_bytes: 16 * 1024,
            max_informational: 16,
            max_empty_lines: 4,
            max_body_bytes: None,
            max_decoded_bytes: 256 * 1024 * 1024,
        }
    }
}

impl Limits {
    /// The head limit actually applied: spans are stored as `u32` offsets, so
    /// the head can never exceed 16 MiB whatever the caller asks for.
    pub(crate) fn head_bytes(&self) -> usize {
        self.max_head_bytes.min(16 * 1024 * 1024)
    }
}
