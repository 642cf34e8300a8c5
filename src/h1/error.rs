//! The codec's two error types: the peer's fault and the caller's.

use std::fmt;

/// The peer sent bytes that are not valid HTTP/1.1 (or crossed a [`Limits`]
/// bound). The connection they arrived on must not be reused.
///
/// The `Display` text is fixed and lowercase; [`ParseError::name`] is a short
/// stable identifier for logs and tools.
///
/// [`Limits`]: crate::h1::Limits
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseError {
    /// The status line does not start with `HTTP/<digit>.<digit> `.
    InvalidVersion,
    /// The status code is not three digits in 100–999.
    InvalidStatus,
    /// The reason phrase holds a control byte.
    InvalidReason,
    /// A line ended in a bare LF, or a CR was not followed by LF.
    InvalidLineEnding,
    /// A field name is empty or holds a byte that is not a token character.
    InvalidHeaderName,
    /// A field value holds a control byte.
    InvalidHeaderValue,
    /// A field line starts with whitespace (obsolete line folding).
    ObsoleteLineFolding,
    /// The head is longer than `Limits::max_head_bytes`.
    HeadTooLarge,
    /// The head has more fields than `Limits::max_headers`.
    TooManyHeaders,
    /// A line of the head is longer than `Limits::max_line_bytes`.
    LineTooLong,
    /// `Content-Length` is not a decimal number that fits in 64 bits.
    InvalidContentLength,
    /// Several `Content-Length` values disagree.
    ConflictingContentLength,
    /// `Content-Length` alongside a `Transfer-Encoding` whose last coding
    /// is not chunked: two readings of where the body ends.
    ConflictingFraming,
    /// A chunk-size line is malformed.
    InvalidChunkSize,
    /// A chunk size has more hex digits than `Limits::max_chunk_size_digits`
    /// or does not fit in 64 bits.
    ChunkSizeTooLarge,
    /// Chunk extensions are longer than `Limits::max_chunk_ext_bytes`.
    ChunkExtensionTooLong,
    /// A chunk extension breaks its grammar (RFC 9112 §7.1.1): an empty or
    /// non-token name or value, an unterminated quoted string, whitespace
    /// where no `;` or `=` follows, or a control byte.
    InvalidChunkExtension,
    /// Chunk data was not followed by exactly CRLF.
    InvalidChunkEnd,
    /// The trailer section is longer than `Limits::max_trailer_bytes`.
    TrailersTooLarge,
    /// More 1xx responses than `Limits::max_informational`.
    TooManyInformational,
    /// The connection closed before any byte of a response arrived.
    EmptyResponse,
    /// The connection closed in the middle of a message.
    IncompleteMessage,
    /// Bytes other than empty lines arrived after a message that ended
    /// with `Event::End { reusable: false }`: the server said the stream
    /// ends there (or framed the message suspectly), so what follows
    /// cannot be a response.
    BytesAfterClose,
}

impl ParseError {
    /// A short, stable, snake_case identifier, e.g. `"invalid_chunk_size"`.
    pub fn name(self) -> &'static str {
        use ParseError::*;
        match self {
            InvalidVersion => "invalid_version",
            InvalidStatus => "invalid_status",
            InvalidReason => "invalid_reason",
            InvalidLineEnding => "invalid_line_ending",
            InvalidHeaderName => "invalid_header_name",
            InvalidHeaderValue => "invalid_header_value",
            ObsoleteLineFolding => "obsolete_line_folding",
            HeadTooLarge => "head_too_large",
            TooManyHeaders => "too_many_headers",
            LineTooLong => "line_too_long",
            InvalidContentLength => "invalid_content_length",
            ConflictingContentLength => "conflicting_content_length",
            ConflictingFraming => "conflicting_framing",
            InvalidChunkSize => "invalid_chunk_size",
            ChunkSizeTooLarge => "chunk_size_too_large",
            ChunkExtensionTooLong => "chunk_extension_too_long",
            InvalidChunkExtension => "invalid_chunk_extension",
            InvalidChunkEnd => "invalid_chunk_end",
            TrailersTooLarge => "trailers_too_large",
            TooManyInformational => "too_many_informational",
            EmptyResponse => "empty_response",
            IncompleteMessage => "incomplete_message",
            BytesAfterClose => "bytes_after_close",
        }
    }

    fn message(self) -> &'static str {
        use ParseError::*;
        match self {
            InvalidVersion => "invalid http version in status line",
            InvalidStatus => "invalid status code",
            InvalidReason => "invalid byte in reason phrase",
            InvalidLineEnding => "invalid line ending (expected crlf)",
            InvalidHeaderName => "invalid header name",
            InvalidHeaderValue => "invalid byte in header value",
            ObsoleteLineFolding => "obsolete line folding in header",
            HeadTooLarge => "response head too large",
            TooManyHeaders => "too many headers",
            LineTooLong => "header line too long",
            InvalidContentLength => "invalid content-length",
            ConflictingContentLength => "conflicting content-length values",
            ConflictingFraming => "content-length with a non-chunked transfer-encoding",
            InvalidChunkSize => "invalid chunk size line",
            ChunkSizeTooLarge => "chunk size too large",
            ChunkExtensionTooLong => "chunk extensions too long",
            InvalidChunkExtension => "invalid chunk extension",
            InvalidChunkEnd => "chunk data not followed by crlf",
            TrailersTooLarge => "trailer section too large",
            TooManyInformational => "too many informational responses",
            EmptyResponse => "connection closed before a response",
            IncompleteMessage => "connection closed before the message was complete",
            BytesAfterClose => "bytes after a message that closes the connection",
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for ParseError {}

/// The caller asked the encoder to write something that is not a valid
/// request. Nothing was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EncodeError {
    /// The method is empty or not a token (RFC 9110 §9.1).
    InvalidMethod,
    /// The request-target is empty, or holds a space, a control byte or a
    /// non-ASCII byte, or is neither origin-form (`/...`, `*`) nor
    /// absolute-form (`http://...`).
    InvalidTarget,
    /// The `Host` value holds a byte that cannot appear in an authority.
    InvalidHost,
    /// More than one `Host` field was given.
    DuplicateHost,
    /// A header name is empty or not a token.
    InvalidHeaderName,
    /// A header value holds CR, LF, NUL or another control byte.
    InvalidHeaderValue,
    /// The caller set `Content-Length` or `Transfer-Encoding`: the encoder
    /// writes the framing itself, from [`BodyFraming`](crate::h1::BodyFraming),
    /// so that it is always present and never doubled.
    FramingHeader,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EncodeError::InvalidMethod => "invalid request method",
            EncodeError::InvalidTarget => "invalid request target",
            EncodeError::InvalidHost => "invalid host",
            EncodeError::DuplicateHost => "more than one host field",
            EncodeError::InvalidHeaderName => "invalid header name",
            EncodeError::InvalidHeaderValue => "invalid header value",
            EncodeError::FramingHeader => {
                "content-length and transfer-encoding are set by the encoder"
            }
        })
    }
}

impl std::error::Error for EncodeError {}
