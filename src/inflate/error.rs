//! Why a compressed stream was refused.

use std::fmt;

/// Why [`Inflate::decode`](super::Inflate::decode) refused its input: the
/// bytes are not a valid stream of the chosen [`Format`](super::Format).
///
/// A stream that merely stops early is not an error (see
/// [`Inflate::is_done`](super::Inflate::is_done)). Once an error is
/// returned the decoder keeps returning it until [`reset`](super::Inflate::reset).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InflateError {
    /// A block header names block type 3, which RFC 1951 §3.2.3 reserves.
    BadBlockType,
    /// A stored block's LEN is not the one's complement of its NLEN
    /// (RFC 1951 §3.2.4).
    BadStoredLength,
    /// A dynamic block declares more than 286 literal/length codes or more
    /// than 30 distance codes (RFC 1951 §3.2.7).
    TooManyCodes,
    /// A dynamic block's code lengths are malformed: a "repeat the previous
    /// length" with no previous length, or repeats running past the number
    /// of lengths declared.
    BadCodeLengths,
    /// A set of code lengths describes more codes than bits allow
    /// (Kraft's inequality is broken).
    OversubscribedTree,
    /// A set of code lengths leaves codes unused, other than the one-code
    /// exception (RFC 1951 §3.2.7) and an empty distance code.
    IncompleteTree,
    /// A dynamic block gives the end-of-block symbol (256) no code, so the
    /// block could never end.
    MissingEndOfBlock,
    /// The input holds a code that names no symbol: literal/length 286 or
    /// 287, distance 30 or 31, or a bit pattern an incomplete code left
    /// unused.
    BadSymbol,
    /// A match reaches back before the start of the stream.
    DistanceTooFarBack,
    /// A gzip header is malformed: wrong magic bytes, a compression method
    /// other than 8 (deflate), or reserved flag bits set (RFC 1952 §2.3.1).
    BadGzipHeader,
    /// The gzip header's own CRC-16 (flag FHCRC) does not match it.
    GzipHeaderCrcMismatch,
    /// A gzip member's CRC-32 does not match its decoded data.
    GzipCrcMismatch,
    /// A gzip member's ISIZE does not match its decoded length (mod 2^32).
    GzipSizeMismatch,
    /// A zlib header is malformed: compression method other than 8, a
    /// window larger than 32 KiB, or a failed header check (RFC 1950 §2.2).
    BadZlibHeader,
    /// The zlib stream needs a preset dictionary (flag FDICT), which brisk
    /// does not have: no HTTP or WebSocket coding uses one.
    ZlibDictionary,
    /// A zlib stream's Adler-32 does not match its decoded data.
    AdlerMismatch,
    /// Bytes follow the end of the stream (after a raw or zlib stream, or
    /// after a gzip member when they do not start another member).
    TrailingData,
}

impl fmt::Display for InflateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InflateError::BadBlockType => "invalid deflate block type",
            InflateError::BadStoredLength => "stored block length does not match its complement",
            InflateError::TooManyCodes => "too many literal/length or distance codes",
            InflateError::BadCodeLengths => "invalid code lengths",
            InflateError::OversubscribedTree => "over-subscribed huffman code",
            InflateError::IncompleteTree => "incomplete huffman code",
            InflateError::MissingEndOfBlock => "huffman code has no end-of-block symbol",
            InflateError::BadSymbol => "invalid huffman code in deflate data",
            InflateError::DistanceTooFarBack => {
                "match distance reaches before the start of the stream"
            }
            InflateError::BadGzipHeader => "invalid gzip header",
            InflateError::GzipHeaderCrcMismatch => "gzip header crc mismatch",
            InflateError::GzipCrcMismatch => "gzip crc-32 mismatch",
            InflateError::GzipSizeMismatch => "gzip length mismatch",
            InflateError::BadZlibHeader => "invalid zlib header",
            InflateError::ZlibDictionary => {
                "zlib stream needs a preset dictionary, which is not supported"
            }
            InflateError::AdlerMismatch => "zlib adler-32 mismatch",
            InflateError::TrailingData => "data after the end of the compressed stream",
        })
    }
}

impl std::error::Error for InflateError {}
