//! Body framing: how long a response body is (RFC 9112 §6.3), and the
//! chunked transfer coding (RFC 9112 §7.1).

use super::{Headers, Limits, ParseError, Version};
use crate::chars::trim_ows;
use crate::chars::{is_field_byte, is_tchar};

/// How a response body is delimited, as decided by [`framing`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// No body: the message ends with its head.
    NoBody,
    /// Exactly this many bytes follow the head.
    Length(u64),
    /// The chunked transfer coding.
    Chunked,
    /// The body runs until the server closes the connection.
    UntilClose,
    /// HTTP ends with this head (101 Switching Protocols, or 2xx to
    /// CONNECT): the bytes that follow belong to another protocol.
    Switch,
}

/// What a response answers, as far as its framing cares: RFC 9112 §6.3
/// treats a response to `HEAD` (no body) and a 2xx to `CONNECT` (a tunnel)
/// apart from every other method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestKind {
    /// A `HEAD` request.
    Head,
    /// A `CONNECT` request.
    Connect,
    /// Any other method.
    Other,
}

impl RequestKind {
    /// The kind of a request with this method (methods are case-sensitive,
    /// RFC 9110 §9.1: `head` is not `HEAD`).
    pub fn of(method: &[u8]) -> RequestKind {
        match method {
            b"HEAD" => RequestKind::Head,
            b"CONNECT" => RequestKind::Connect,
            _ => RequestKind::Other,
        }
    }
}

/// How a response's body is delimited, and whether its connection may
/// carry another request after it: what [`framing`] decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResponseFraming {
    /// Where the body ends.
    pub framing: Framing,
    /// Whether the connection may be reused once the body has ended.
    pub reusable: bool,
}

/// Decides how the body of a response is delimited, and whether the
/// connection may carry another request afterwards.
///
/// `request` is the kind of request this response answers. The steps are
/// those of RFC 9112 §6.3, in order; the first that applies wins.
pub fn framing(
    request: RequestKind,
    status: u16,
    version: Version,
    headers: &Headers,
) -> Result<ResponseFraming, ParseError> {
    let fields = FramingFields::scan(headers);
    // Persistence (RFC 9112 §9.3): HTTP/1.1 persists unless told to close;
    // HTTP/1.0 only when the server says keep-alive. The non-standard
    // `Proxy-Connection: close` is honoured too: closing is always safe.
    let mut reusable = match version {
        Version::Http11 => !fields.close,
        Version::Http10 | Version::Http09 => !fields.close && fields.keep_alive,
    };

    // Step 1: a response to HEAD, and any 1xx, 204 or 304 response, ends
    // at its head, whatever its header fields say. (101 ends HTTP itself.)
    if status == 101 {
        return Ok(ResponseFraming {
            framing: Framing::Switch,
            reusable: false,
        });
    }
    if request == RequestKind::Head
        || (100..200).contains(&status)
        || status == 204
        || status == 304
    {
        return Ok(ResponseFraming {
            framing: Framing::NoBody,
            reusable,
        });
    }

    // Step 2: a 2xx response to CONNECT turns the connection into a tunnel.
    if request == RequestKind::Connect && (200..300).contains(&status) {
        return Ok(ResponseFraming {
            framing: Framing::Switch,
            reusable: false,
        });
    }

    let content_length = fields.content_length?;
    if let Some(last_coding) = fields.last_coding {
        // Step 3: Transfer-Encoding overrides Content-Length; a message with
        // both may be an attempt at smuggling, so the connection is closed
        // after it. RFC 9112 §6.1: so is any HTTP/1.0 message with
        // Transfer-Encoding, whose framing is suspect.
        if content_length.is_some() || version != Version::Http11 {
            reusable = false;
        }
        // Step 4: chunked as the final coding delimits the body; any other
        // final coding means the body runs until close. Read-until-close
        // while a Content-Length claims otherwise leaves two readings of
        // where the response ends: that one is refused, as http-parser and
        // llhttp do ("ought to be handled as an error", step 3).
        return if last_coding.eq_ignore_ascii_case(b"chunked") {
            Ok(ResponseFraming {
                framing: Framing::Chunked,
                reusable,
            })
        } else if content_length.is_some() {
            Err(ParseError::ConflictingFraming)
        } else {
            Ok(ResponseFraming {
                framing: Framing::UntilClose,
                reusable: false,
            })
        };
    }

    // Steps 5 and 6: Content-Length, already validated by `content_length`
    // (an invalid or conflicting value is an unrecoverable error).
    if let Some(n) = content_length {
        return Ok(ResponseFraming {
            framing: Framing::Length(n),
            reusable,
        });
    }

    // Step 7 (no body) concerns requests. Step 8: a response with no
    // framing at all is delimited by the connection closing.
    Ok(ResponseFraming {
        framing: Framing::UntilClose,
        reusable: false,
    })
}

/// What the header fields say about framing and persistence, gathered in
/// one pass over them.
struct FramingFields<'h> {
    /// `Connection: close` (or `Proxy-Connection: close`).
    close: bool,
    /// `Connection: keep-alive`.
    keep_alive: bool,
    /// Every `Content-Length` value, which must agree: digits only, and
    /// identical duplicates (as fields or as a list) count as one (RFC 9110
    /// §8.6). An error is kept, not returned, since steps 1 and 2 of §6.3
    /// come before Content-Length matters.
    content_length: Result<Option<u64>, ParseError>,
    /// The last transfer coding named across all `Transfer-Encoding`
    /// fields; empty if the fields name none.
    last_coding: Option<&'h [u8]>,
}

impl<'h> FramingFields<'h> {
    fn scan(headers: &'h Headers) -> Self {
        let mut f = FramingFields {
            close: false,
            keep_alive: false,
            content_length: Ok(None),
            last_coding: None,
        };
        let tokens = |v: &'h [u8]| v.split(|&b| b == b',').map(trim_ows);
        for (name, value) in headers.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())) {
            let is = |n: &str| name.eq_ignore_ascii_case(n.as_bytes());
            if is("connection") || is("proxy-connection") {
                for t in tokens(value) {
                    f.close |= t.eq_ignore_ascii_case(b"close");
                    f.keep_alive |= is("connection") && t.eq_ignore_ascii_case(b"keep-alive");
                }
            } else if is("content-length") {
                for element in tokens(value) {
                    f.content_length = match (f.content_length, parse_decimal(element)) {
                        (Err(e), _) => Err(e),
                        (_, None) => Err(ParseError::InvalidContentLength),
                        (Ok(Some(m)), Some(n)) if m != n => {
                            Err(ParseError::ConflictingContentLength)
                        }
                        (Ok(_), Some(n)) => Ok(Some(n)),
                    };
                }
            } else if is("transfer-encoding") {
                let last = tokens(value).rfind(|c| !c.is_empty());
                f.last_coding = last.or(f.last_coding).or(Some(&[]));
            }
        }
        f
    }
}

/// Digits only, no sign, no whitespace, no overflow.
fn parse_decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u64, |n, &b| {
        let d = (b as char).to_digit(10)?;
        n.checked_mul(10)?.checked_add(u64::from(d))
    })
}

/// Where the chunked decoder is, between calls.
///
/// ```text
/// chunked-body = *chunk last-chunk trailer-section CRLF
/// chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
/// last-chunk   = 1*("0") [ chunk-ext ] CRLF
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Chunked {
    /// Expecting a chunk-size line.
    Size,
    /// Inside chunk data, with this many bytes still to come.
    Data(u64),
    /// Chunk data ended; expecting its CR.
    DataCr,
    /// Expecting the LF after the chunk data's CR.
    DataLf,
    /// After the last chunk: reading trailer fields (bytes read so far).
    Trailers(usize),
}

/// A chunk-size line: `Ok(None)` if it has not fully arrived (every byte so
/// far being valid), else the size and the line's length with its CRLF.
pub(crate) fn chunk_size_line(
    buf: &[u8],
    limits: &Limits,
) -> Result<Option<(u64, usize)>, ParseError> {
    let mut size: u64 = 0;
    let mut i = 0;
    while let Some(d) = buf.get(i).and_then(|&b| (b as char).to_digit(16)) {
        if i == limits.max_chunk_size_digits {
            return Err(ParseError::ChunkSizeTooLarge);
        }
        size = size
            .checked_mul(16)
            .and_then(|s| s.checked_add(u64::from(d)))
            .ok_or(ParseError::ChunkSizeTooLarge)?;
        i += 1;
    }
    let digits = i;
    if digits == 0 {
        return match buf.first() {
            None => Ok(None),
            Some(_) => Err(ParseError::InvalidChunkSize),
        };
    }
    // What follows the digits is validated and dropped: no extension is
    // defined that a client could act on.
    let mut ext = Ext::AfterSize;
    loop {
        let Some(&b) = buf.get(i) else {
            return Ok(None);
        };
        if b == b'\r' && ext.may_end_line() {
            break;
        }
        ext = ext.next(b).ok_or(match ext {
            // Before any `;`, the error is in the size itself (`5 x`, `5\0`).
            Ext::AfterSize | Ext::SpaceAfterSize => ParseError::InvalidChunkSize,
            _ => ParseError::InvalidChunkExtension,
        })?;
        i += 1;
        if i - digits > limits.max_chunk_ext_bytes {
            return Err(ParseError::ChunkExtensionTooLong);
        }
    }
    match (buf.get(i), buf.get(i + 1)) {
        (Some(b'\r'), Some(b'\n')) => Ok(Some((size, i + 2))),
        (Some(b'\r'), None) => Ok(None),
        _ => Err(ParseError::InvalidChunkSize),
    }
}

/// Where a chunk-size line is after its digits, byte by byte, in the
/// chunk extension grammar (RFC 9112 §7.1.1):
///
/// ```text
/// chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
/// chunk-ext-name = token
/// chunk-ext-val  = token / quoted-string
/// quoted-string  = DQUOTE *( qdtext / quoted-pair ) DQUOTE
/// quoted-pair    = "\" ( HTAB / SP / VCHAR / obs-text )
/// ```
///
/// BWS ("bad" whitespace) is whitespace a sender must not produce but a
/// recipient must accept, so it is allowed exactly where the grammar puts
/// it: around `;` and `=`, never at the end of the line. A quoted string is
/// the reason this is a state machine rather than a scan for CR: it may hold
/// `;`, `=` and whitespace, and only its closing quote ends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ext {
    /// Right after the size digits.
    AfterSize,
    /// Whitespace after the digits: only a `;` may end it.
    SpaceAfterSize,
    /// After the closing quote of a quoted value.
    AfterQuoted,
    /// Whitespace after a value: only a `;` may end it.
    SpaceAfterValue,
    /// After a `;`: a name must follow.
    BeforeName,
    Name,
    /// Whitespace after a name: `=` or `;` must follow.
    AfterName,
    /// After `=`: a value must follow.
    BeforeValue,
    TokenValue,
    Quoted,
    /// After a backslash in a quoted string.
    QuotedPair,
}

impl Ext {
    /// Whether CR may end the line here: not after `;` or `=` (an empty
    /// name or value), not inside a quoted string, not after whitespace.
    fn may_end_line(self) -> bool {
        matches!(
            self,
            Ext::AfterSize | Ext::AfterQuoted | Ext::Name | Ext::TokenValue
        )
    }

    /// The state after byte `b`, or `None` if `b` cannot come here. Every
    /// transition of the grammar is in this one match.
    fn next(self, b: u8) -> Option<Ext> {
        use Ext::*;
        let space = b == b' ' || b == b'\t';
        Some(match self {
            AfterSize | SpaceAfterSize if space => SpaceAfterSize,
            AfterQuoted | SpaceAfterValue | TokenValue if space => SpaceAfterValue,
            AfterSize | SpaceAfterSize | AfterQuoted | SpaceAfterValue if b == b';' => BeforeName,
            BeforeName if space => BeforeName,
            BeforeName | Name if is_tchar(b) => Name,
            Name | AfterName if space => AfterName,
            Name | AfterName | TokenValue if b == b';' => BeforeName,
            Name | AfterName if b == b'=' => BeforeValue,
            BeforeValue if space => BeforeValue,
            BeforeValue if b == b'"' => Quoted,
            BeforeValue | TokenValue if is_tchar(b) => TokenValue,
            Quoted if b == b'"' => AfterQuoted,
            Quoted if b == b'\\' => QuotedPair,
            // qdtext and the escaped byte of a quoted-pair are the bytes of
            // a field value (HTAB, SP, VCHAR, obs-text); `"` and `\` were
            // taken above.
            Quoted | QuotedPair if is_field_byte(b) => Quoted,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::h1::parse::HeadScanner;

    fn head(fields: &str) -> Headers {
        let buf = format!("HTTP/1.1 200 OK\r\n{fields}\r\n").into_bytes();
        let mut spans = Vec::new();
        let mut sc = HeadScanner::default();
        sc.advance(&buf, &Limits::default(), &mut |s| {
            spans.push(s);
            Ok(())
        })
        .unwrap()
        .unwrap();
        Headers::from_head(&buf, &spans)
    }

    fn frame(
        method: &str,
        status: u16,
        v: Version,
        fields: &str,
    ) -> Result<(Framing, bool), ParseError> {
        framing(RequestKind::of(method.as_bytes()), status, v, &head(fields))
            .map(|f| (f.framing, f.reusable))
    }

    use Version::*;

    #[test]
    fn rfc9112_section_6_3() {
        let cl = "Content-Length: 5\r\n";
        // Step 1.
        assert_eq!(frame("HEAD", 200, Http11, cl), Ok((Framing::NoBody, true)));
        for s in [100, 103, 204, 304] {
            assert_eq!(frame("GET", s, Http11, cl), Ok((Framing::NoBody, true)));
        }
        assert_eq!(frame("GET", 101, Http11, cl), Ok((Framing::Switch, false)));
        // Step 2.
        assert_eq!(
            frame("CONNECT", 200, Http11, cl),
            Ok((Framing::Switch, false))
        );
        assert_eq!(
            frame("CONNECT", 407, Http11, cl),
            Ok((Framing::Length(5), true))
        );
        // Step 3.
        let both = "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n";
        assert_eq!(
            frame("GET", 200, Http11, both),
            Ok((Framing::Chunked, false))
        );
        // Step 4.
        assert_eq!(
            frame("GET", 200, Http11, "Transfer-Encoding: gzip, chunked\r\n"),
            Ok((Framing::Chunked, true))
        );
        assert_eq!(
            frame("GET", 200, Http11, "Transfer-Encoding: CHUNKED\r\n"),
            Ok((Framing::Chunked, true))
        );
        assert_eq!(
            frame("GET", 200, Http11, "Transfer-Encoding: chunked, gzip\r\n"),
            Ok((Framing::UntilClose, false))
        );
        assert_eq!(
            frame(
                "GET",
                200,
                Http11,
                "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n"
            ),
            Ok((Framing::UntilClose, false))
        );
        assert_eq!(
            frame("GET", 200, Http10, "Transfer-Encoding: chunked\r\n"),
            Ok((Framing::Chunked, false))
        );
        assert_eq!(
            frame(
                "GET",
                200,
                Http11,
                "Transfer-Encoding: gzip\r\nContent-Length: 1\r\n"
            ),
            Err(ParseError::ConflictingFraming)
        );
        // Step 5.
        assert_eq!(
            frame(
                "GET",
                200,
                Http11,
                "Content-Length: 1\r\nContent-Length: 2\r\n"
            ),
            Err(ParseError::ConflictingContentLength)
        );
        for bad in ["+1", "-1", "1x", "0x10", "", "1 2", "18446744073709551616"] {
            assert_eq!(
                frame("GET", 200, Http11, &format!("Content-Length: {bad}\r\n")),
                Err(ParseError::InvalidContentLength),
                "{bad}"
            );
        }
        assert_eq!(
            frame(
                "GET",
                200,
                Http11,
                "Content-Length: 7, 7\r\nContent-Length: 7\r\n"
            ),
            Ok((Framing::Length(7), true))
        );
        assert_eq!(
            frame(
                "GET",
                200,
                Http11,
                "Content-Length: 18446744073709551615\r\n"
            ),
            Ok((Framing::Length(u64::MAX), true))
        );
        // Step 8.
        assert_eq!(
            frame("GET", 200, Http11, ""),
            Ok((Framing::UntilClose, false))
        );
    }

    #[test]
    fn persistence() {
        assert_eq!(
            frame(
                "GET",
                200,
                Http11,
                "Connection: close\r\nContent-Length: 0\r\n"
            ),
            Ok((Framing::Length(0), false))
        );
        assert_eq!(
            frame("GET", 200, Http10, "Content-Length: 0\r\n"),
            Ok((Framing::Length(0), false))
        );
        assert_eq!(
            frame(
                "GET",
                200,
                Http10,
                "Connection: Keep-Alive\r\nContent-Length: 0\r\n"
            ),
            Ok((Framing::Length(0), true))
        );
    }

    #[test]
    fn chunk_size_lines() {
        let l = Limits::default();
        assert_eq!(chunk_size_line(b"1a\r\n", &l), Ok(Some((26, 4))));
        assert_eq!(chunk_size_line(b"aA; x=\"y\"\r\n", &l), Ok(Some((170, 11))));
        assert_eq!(chunk_size_line(b"5 ;x\r\n", &l), Ok(Some((5, 6))));
        assert_eq!(
            chunk_size_line(b"FFFFFFFFFFFFFFFF\r\n", &l),
            Ok(Some((u64::MAX, 18)))
        );
        assert_eq!(chunk_size_line(b"5", &l), Ok(None));
        assert_eq!(chunk_size_line(b"5\r", &l), Ok(None));
        assert_eq!(chunk_size_line(b"5;ext", &l), Ok(None));
        assert_eq!(chunk_size_line(b"", &l), Ok(None));
        assert_eq!(
            chunk_size_line(b"5 \r\n", &l),
            Err(ParseError::InvalidChunkSize)
        );
        assert_eq!(
            chunk_size_line(b"\r\n", &l),
            Err(ParseError::InvalidChunkSize)
        );
        assert_eq!(
            chunk_size_line(b"5\n", &l),
            Err(ParseError::InvalidChunkSize)
        );
        assert_eq!(
            chunk_size_line(b"5\0\r\n", &l),
            Err(ParseError::InvalidChunkSize)
        );
        assert_eq!(
            chunk_size_line(b"10000000000000000\r\n", &l),
            Err(ParseError::ChunkSizeTooLarge)
        );
        assert_eq!(
            chunk_size_line(&[b'0'; 17], &l),
            Err(ParseError::ChunkSizeTooLarge)
        );
        let spaces = format!("1{}", " ".repeat(2000));
        assert_eq!(
            chunk_size_line(spaces.as_bytes(), &l),
            Err(ParseError::ChunkExtensionTooLong)
        );
        let long_ext = format!("1;{}\r\n", "x".repeat(2000));
        assert_eq!(
            chunk_size_line(long_ext.as_bytes(), &l),
            Err(ParseError::ChunkExtensionTooLong)
        );
    }

    #[test]
    fn chunk_extensions_follow_their_grammar() {
        let l = Limits::default();
        for ok in [
            "5;a=b",
            "5;a",
            "5;a;b=c;d=\"e\"",
            "5;a=\"x;y\"",
            "5;a=\"\"",
            "5;a=\"q\\\"uote\\\\\"",
            "5;a=\"tab\there\"",
            "5;a=\"\u{e9}\"",
            "5 ; a = b ;c",
            "5\t;a=\"x\"\t;\tb",
        ] {
            let line = format!("{ok}\r\n");
            let len = line.len();
            assert_eq!(
                chunk_size_line(line.as_bytes(), &l),
                Ok(Some((5, len))),
                "{ok:?}"
            );
            // Every prefix is valid so far: the line is still arriving.
            for cut in 0..len - 1 {
                assert_eq!(
                    chunk_size_line(&line.as_bytes()[..cut], &l),
                    Ok(None),
                    "{ok:?} cut at {cut}"
                );
            }
        }
        for bad in [
            "2;",
            "2; ",
            "2;=x",
            "2;;a",
            "2;a=",
            "2;a= ",
            "2;a=\"unterminated",
            "2;a=\"x\\",
            "2;a=\"x\"y",
            "2;a b",
            "2;a ",
            "2;a=b c",
            "2;a=b ",
            "2;a@b",
            "2;a=b@",
            "2;a\0",
            "2;a=\"\x01\"",
            "2;a=\"x\\\x01\"",
            "2;a=\x7f",
        ] {
            let line = format!("{bad}\r\n");
            assert_eq!(
                chunk_size_line(line.as_bytes(), &l),
                Err(ParseError::InvalidChunkExtension),
                "{bad:?}"
            );
        }
    }
}
