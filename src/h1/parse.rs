//! The response head: status line and header fields (RFC 9112 §4, §5).
//!
//! ```text
//! status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF
//! field-line  = field-name ":" OWS field-value OWS CRLF
//! head        = status-line *( field-line ) CRLF
//! ```
//!
//! The scanner walks the bytes once. Each line is validated as it is read,
//! so invalid bytes are reported as soon as they arrive, without waiting for
//! a line ending (a TLS ServerHello sent to a plain-text client fails at its
//! first byte). When the input ends inside a line, the scanner reports
//! "partial" and remembers where that line began; the next call resumes
//! there. Header positions are kept as offsets ([`HeaderSpan`]), not slices,
//! so they stay valid while the caller's buffer grows.

use super::{Limits, ParseError, Version};
use crate::chars::{is_field_byte, is_tchar};
use crate::header::{FieldBytes, HeaderMap, HeaderSpan};

/// The result of parsing something that may not have fully arrived yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status<T> {
    /// Parsed completely.
    Complete(T),
    /// Everything so far is valid; more bytes are needed.
    Partial,
}

/// A response head parsed in place by [`parse_head`], borrowing the input and
/// the caller's header slots.
#[derive(Clone, Copy, Debug)]
pub struct RawHead<'a> {
    /// The bytes the head was parsed from.
    pub bytes: &'a [u8],
    /// The declared HTTP version.
    pub version: Version,
    /// The status code, 100–999.
    pub status: u16,
    /// Where the reason phrase lies in `bytes` (start, end); may be empty.
    reason: (u32, u32),
    /// The header fields, in wire order.
    pub headers: &'a [HeaderSpan],
    /// Length of the head in bytes, including the final blank line; the body
    /// (if any) starts at this offset.
    pub len: usize,
}

impl<'a> RawHead<'a> {
    /// The reason phrase, possibly empty, as sent (it may hold obs-text).
    pub fn reason(&self) -> &'a [u8] {
        self.bytes
            .get(self.reason.0 as usize..self.reason.1 as usize)
            .unwrap_or_default()
    }

    /// The `i`-th header field as `(name, value)`.
    pub fn header(&self, i: usize) -> Option<(&'a [u8], &'a [u8])> {
        let s = self.headers.get(i)?;
        Some((s.name(self.bytes), s.value(self.bytes)))
    }
}

/// Parses a response head from `buf` into `slots`, without allocating.
///
/// `buf` starts at the status line's first byte: empty lines before it are
/// between messages, and skipping them is [`ResponseDecoder`]'s business.
///
/// Returns [`Status::Partial`] when `buf` is a valid prefix of a head, and
/// [`ParseError::TooManyHeaders`] when the head has more fields than `slots`
/// (or `limits.max_headers`) can hold.
///
/// [`ResponseDecoder`]: crate::h1::ResponseDecoder
///
/// ```
/// use brisk::h1::{parse_head, HeaderSpan, Limits, Status};
///
/// let mut slots = [HeaderSpan::default(); 16];
/// let buf = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
/// let Status::Complete(head) = parse_head(buf, &mut slots, &Limits::default())? else {
///     unreachable!("the head is complete")
/// };
/// assert_eq!(head.status, 200);
/// assert_eq!(head.header(0), Some((&b"Content-Length"[..], &b"2"[..])));
/// assert_eq!(&buf[head.len..], b"hi");
/// # Ok::<(), brisk::h1::ParseError>(())
/// ```
pub fn parse_head<'a>(
    buf: &'a [u8],
    slots: &'a mut [HeaderSpan],
    limits: &Limits,
) -> Result<Status<RawHead<'a>>, ParseError> {
    let cap = slots.len().min(limits.max_headers);
    let mut n = 0;
    let mut scanner = HeadScanner::default();
    let done = scanner.advance(buf, limits, &mut |span| {
        let slot = slots.get_mut(n).filter(|_| n < cap);
        *slot.ok_or(ParseError::TooManyHeaders)? = span;
        n += 1;
        Ok(())
    })?;
    Ok(match done {
        None => Status::Partial,
        Some((len, line)) => Status::Complete(RawHead {
            bytes: buf,
            version: line.version,
            status: line.status,
            reason: line.reason,
            headers: &slots[..n],
            len,
        }),
    })
}

/// What the status line said.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StatusLine {
    pub(crate) version: Version,
    pub(crate) status: u16,
    pub(crate) reason: (u32, u32),
}

/// A resumable walk over a head's lines; see the module docs.
#[derive(Debug, Default)]
pub(crate) struct HeadScanner {
    /// Offset of the first line not yet accepted.
    pos: usize,
    status_line: Option<StatusLine>,
}

/// One line of a field section, as the scanner saw it. Offsets are where
/// the next line starts.
pub(crate) enum Line {
    /// The input ended inside the line; every byte so far is valid.
    Partial,
    /// A field line.
    Field(HeaderSpan, usize),
    /// The blank line that ends a head (or a trailer section).
    End(usize),
}

impl HeadScanner {
    /// Where the next call resumes: the bytes before it were accepted.
    pub(crate) fn resume_at(&self) -> usize {
        self.pos
    }

    /// Scans complete lines from where the last call stopped, handing every
    /// header field to `push`. Returns the head's length and status line once
    /// the blank line has been read, `None` if more bytes are needed.
    ///
    /// `buf` must start at the head's first byte and hold at least the bytes
    /// given to earlier calls.
    pub(crate) fn advance(
        &mut self,
        buf: &[u8],
        limits: &Limits,
        push: &mut impl FnMut(HeaderSpan) -> Result<(), ParseError>,
    ) -> Result<Option<(usize, StatusLine)>, ParseError> {
        debug_assert!(buf.len() >= self.pos, "resumed on fewer bytes than before");
        let max_head = limits.head_bytes();
        loop {
            let start = self.pos;
            // Each line is read only as far as its limits reach: up to
            // `max_line_bytes` and its CRLF, and not past the head's limit.
            // What lies beyond cannot change the answer, so the answer is
            // the same however the bytes were cut: an invalid byte past the
            // limit is not reported before the limit is (it would be, or
            // not, depending on whether it had arrived yet).
            let line_end = start.saturating_add(limits.max_line_bytes.saturating_add(2));
            let window = &buf[..buf.len().min(line_end).min(max_head)];
            let next = match self.status_line {
                None => match status_line(window, start)? {
                    Some((line, next)) => {
                        self.status_line = Some(line);
                        next
                    }
                    None => return over_limit(window.len(), line_end, max_head),
                },
                Some(line) => match field_line(window, start)? {
                    Line::Partial => return over_limit(window.len(), line_end, max_head),
                    Line::Field(span, next) => {
                        push(span)?;
                        next
                    }
                    Line::End(next) => {
                        *self = HeadScanner::default();
                        return Ok(Some((next, line)));
                    }
                },
            };
            self.pos = next;
        }
    }
}

/// The line has not ended within the window (the input, cut at the
/// line's and the head's limits), which is `window` bytes long: "need
/// more" if that is because the input ended, else the limit that cut it
/// (the line's, if both).
fn over_limit<T>(window: usize, line_end: usize, max_head: usize) -> Result<Option<T>, ParseError> {
    if window >= line_end {
        Err(ParseError::LineTooLong)
    } else if window >= max_head {
        Err(ParseError::HeadTooLarge)
    } else {
        Ok(None)
    }
}

/// `HTTP/d.d SP ddd [SP reason] CRLF`, checked byte by byte as far as the
/// input goes, so that garbage fails at once.
fn status_line(buf: &[u8], at: usize) -> Result<Option<(StatusLine, usize)>, ParseError> {
    const PREFIX: &[u8; 5] = b"HTTP/";
    let line = &buf[at..];
    for (k, &b) in line.iter().take(12).enumerate() {
        let ok = match k {
            0..=4 => b == PREFIX[k],
            5 | 7 | 9..=11 => b.is_ascii_digit(),
            6 => b == b'.',
            _ => b == b' ',
        };
        if !ok {
            return Err(if k <= 8 {
                ParseError::InvalidVersion
            } else {
                ParseError::InvalidStatus
            });
        }
        // The version is checked as soon as its digits arrive: `HTTP/2`
        // can begin no head brisk reads.
        if k == 5 && !matches!(b, b'0' | b'1') {
            return Err(ParseError::InvalidVersion);
        }
        if k == 7 {
            version(line[5], line[7])?;
        }
    }
    if line.len() < 12 {
        return Ok(None);
    }
    let version = version(line[5], line[7])?;
    let digit = |i: usize| u16::from(line[i] - b'0');
    let status = digit(9) * 100 + digit(10) * 10 + digit(11);
    if status < 100 {
        return Err(ParseError::InvalidStatus);
    }
    let reason_start = at + 12;
    let (reason_end, next) = match buf.get(reason_start) {
        None => return Ok(None),
        Some(b'\r') => (reason_start, reason_start),
        Some(b' ') => {
            let mut i = reason_start + 1;
            loop {
                i = skip_field_bytes(buf, i);
                match buf.get(i) {
                    Some(b'\t') => i += 1,
                    Some(b'\r') | None => break,
                    Some(b'\n') => return Err(ParseError::InvalidLineEnding),
                    Some(_) => return Err(ParseError::InvalidReason),
                }
            }
            (i, i)
        }
        Some(b'\n') => return Err(ParseError::InvalidLineEnding),
        Some(_) => return Err(ParseError::InvalidStatus),
    };
    let Some(end) = crlf(buf, next)? else {
        return Ok(None);
    };
    let reason_start = if reason_end > reason_start {
        reason_start + 1
    } else {
        reason_start
    };
    let line = StatusLine {
        version,
        status,
        reason: (reason_start as u32, reason_end as u32),
    };
    Ok(Some((line, end)))
}

fn version(major: u8, minor: u8) -> Result<Version, ParseError> {
    match (major, minor) {
        (b'1', b'0') => Ok(Version::Http10),
        (b'1', _) => Ok(Version::Http11),
        (b'0', b'9') => Ok(Version::Http09),
        _ => Err(ParseError::InvalidVersion),
    }
}

/// One field line, or the blank line that ends the section.
///
/// Shared by the head and the chunked trailer section.
pub(crate) fn field_line(buf: &[u8], at: usize) -> Result<Line, ParseError> {
    match buf.get(at) {
        None => return Ok(Line::Partial),
        Some(b'\r') => {
            return Ok(match crlf(buf, at)? {
                Some(end) => Line::End(end),
                None => Line::Partial,
            })
        }
        Some(b'\n') => return Err(ParseError::InvalidLineEnding),
        Some(b' ' | b'\t') => return Err(ParseError::ObsoleteLineFolding),
        Some(_) => {}
    }
    let mut i = at;
    while i < buf.len() && is_tchar(buf[i]) {
        i += 1;
    }
    match buf.get(i) {
        None => return Ok(Line::Partial),
        Some(b':') if i > at => {}
        Some(_) => return Err(ParseError::InvalidHeaderName),
    }
    let name = (at as u32, i as u32);
    i += 1;
    while matches!(buf.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    let value_start = i;
    loop {
        i = skip_field_bytes(buf, i);
        match buf.get(i) {
            Some(b'\t') => i += 1,
            Some(b'\r') => break,
            None => return Ok(Line::Partial),
            Some(b'\n') => return Err(ParseError::InvalidLineEnding),
            Some(_) => return Err(ParseError::InvalidHeaderValue),
        }
    }
    let Some(end) = crlf(buf, i)? else {
        return Ok(Line::Partial);
    };
    let mut value_end = i;
    while value_end > value_start && matches!(buf[value_end - 1], b' ' | b'\t') {
        value_end -= 1;
    }
    let span = HeaderSpan {
        name,
        value: (value_start as u32, value_end as u32),
    };
    Ok(Line::Field(span, end))
}

/// Expects CRLF at `at`: the offset after it, `None` if the input ends first.
fn crlf(buf: &[u8], at: usize) -> Result<Option<usize>, ParseError> {
    match (buf.get(at), buf.get(at + 1)) {
        (Some(b'\r'), Some(b'\n')) => Ok(Some(at + 2)),
        (Some(b'\r'), None) | (None, _) => Ok(None),
        _ => Err(ParseError::InvalidLineEnding),
    }
}

/// Skips bytes that may appear in a field value or reason phrase without a
/// second look (VCHAR, SP, obs-text): the offset of the first byte that is
/// not one, or `buf.len()`. HTAB stops the scan; callers accept it.
///
/// This is the parser's hot loop: most of a head is field values. It looks
/// at eight bytes at a time (SWAR) and finds a stop byte with two classic
/// bit tricks: a byte below 0x20 borrows in `x - 0x20..20`, and DEL becomes
/// zero in `x ^ 0x7f..7f`.
#[inline]
pub(crate) fn skip_field_bytes(buf: &[u8], mut i: usize) -> usize {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = buf.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        // Bytes >= 0x80 (obs-text) are allowed: mask them out of the test.
        let ascii = !x & HIGH;
        let below_space = x.wrapping_sub(LOW * 0x20) & ascii;
        let y = x ^ (LOW * 0x7f);
        let del = y.wrapping_sub(LOW) & !y & HIGH;
        let stop = below_space | del;
        if stop != 0 {
            return i + (stop.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < buf.len() && is_field_byte(buf[i]) && buf[i] != b'\t' {
        i += 1;
    }
    i
}

/// Header fields of a parsed response head: the [`HeaderMap`] of
/// [`brisk::header`](crate::header), under its former name. Names are
/// lowercase, whatever case the server sent.
pub type Headers = HeaderMap;

/// A complete, owned response head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseHead {
    /// The declared HTTP version.
    pub version: Version,
    /// The status code, 100–999.
    pub status: u16,
    reason: FieldBytes,
    /// The header fields.
    pub headers: HeaderMap,
}

impl ResponseHead {
    /// The head whose bytes are `head`, with its fields at `spans`.
    pub(crate) fn new(line: StatusLine, head: &[u8], spans: &[HeaderSpan]) -> Self {
        let reason = head
            .get(line.reason.0 as usize..line.reason.1 as usize)
            .unwrap_or_default();
        ResponseHead {
            version: line.version,
            status: line.status,
            reason: FieldBytes::copy_from(reason),
            headers: HeaderMap::from_head(head, spans),
        }
    }

    /// The reason phrase as sent (possibly empty, possibly not UTF-8).
    pub fn reason(&self) -> &[u8] {
        self.reason.as_bytes()
    }

    /// Whether this is an informational (1xx) response.
    pub fn is_informational(&self) -> bool {
        (100..200).contains(&self.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Head length, status and fields, as the tests compare them.
    type Parsed = Option<(usize, u16, Vec<(Vec<u8>, Vec<u8>)>)>;

    /// Parses `input` whole, split at every offset and byte by byte through
    /// the resumable scanner; all must agree.
    fn parse_all_ways(input: &[u8]) -> Result<Parsed, ParseError> {
        let limits = Limits::default();
        let run = |cuts: &[usize]| {
            let mut sc = HeadScanner::default();
            let mut spans = Vec::new();
            let mut last = None;
            for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
                let r = sc.advance(&input[..cut], &limits, &mut |s| {
                    spans.push(s);
                    Ok(())
                })?;
                if let Some((len, sl)) = r {
                    let hs = spans
                        .iter()
                        .map(|s: &HeaderSpan| (s.name(input).to_vec(), s.value(input).to_vec()))
                        .collect();
                    last = Some((len, sl.status, hs));
                    break;
                }
            }
            Ok(last)
        };
        let whole = run(&[]);
        for cut in 0..=input.len() {
            assert_eq!(run(&[cut]), whole, "split at {cut}");
        }
        let bytes: Vec<usize> = (0..input.len()).collect();
        assert_eq!(run(&bytes), whole, "byte by byte");
        whole
    }

    #[test]
    fn simple_head() {
        let (len, status, hs) =
            parse_all_ways(b"HTTP/1.1 200 OK\r\nA: 1\r\nB-b:  x y \t\r\n\r\nbody")
                .unwrap()
                .unwrap();
        assert_eq!(len, 38);
        assert_eq!(status, 200);
        assert_eq!(hs[0], (b"A".to_vec(), b"1".to_vec()));
        assert_eq!(hs[1], (b"B-b".to_vec(), b"x y".to_vec()));
    }

    #[test]
    fn early_failures_need_no_line_ending() {
        for bad in [
            &b"\x16\x03\x01"[..],
            b" ",
            b"\0",
            b"HTTP/1.1 200 OK\r\nFo@",
            b"HTTP/1.1 200 OK\r\nA: \x01",
        ] {
            assert!(parse_all_ways(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn valid_prefixes_are_partial() {
        assert_eq!(parse_all_ways(b"HTTP/1.1 200 OK\r\nA: b\r"), Ok(None));
        assert_eq!(parse_all_ways(b"HTT"), Ok(None));
    }

    #[test]
    fn errors_are_named() {
        let cases: &[(&[u8], ParseError)] = &[
            (
                b"HTTP/1.1 200 OK\nA: b\r\n\r\n",
                ParseError::InvalidLineEnding,
            ),
            (
                b"HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n",
                ParseError::InvalidLineEnding,
            ),
            (
                b"HTTP/1.1 200 OK\r\n folded\r\n\r\n",
                ParseError::ObsoleteLineFolding,
            ),
            (
                b"HTTP/1.1 200 OK\r\nA : b\r\n\r\n",
                ParseError::InvalidHeaderName,
            ),
            (
                b"HTTP/1.1 200 OK\r\n: b\r\n\r\n",
                ParseError::InvalidHeaderName,
            ),
            (b"HTTP/1.1 200 O\0K\r\n\r\n", ParseError::InvalidReason),
            (b"HTTP/1.1 001 OK\r\n\r\n", ParseError::InvalidStatus),
            (b"HTTP/1.1 2000 OK\r\n\r\n", ParseError::InvalidStatus),
            (b"HTTP/2.0 200 OK\r\n\r\n", ParseError::InvalidVersion),
            (b"RTSP/1.0 200 OK\r\n\r\n", ParseError::InvalidVersion),
            (b"ICE/1.0 200 OK\r\n\r\n", ParseError::InvalidVersion),
            (b"\r\nHTTP/1.1 200 OK\r\n\r\n", ParseError::InvalidVersion),
            (
                b"HTTP/1.1 200 OK\r\nA: \x7f\r\n\r\n",
                ParseError::InvalidHeaderValue,
            ),
        ];
        for (input, err) in cases {
            assert_eq!(
                parse_all_ways(input),
                Err(*err),
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn obs_text_is_allowed_in_values_and_reason() {
        let (_, _, hs) =
            parse_all_ways("HTTP/1.1 500 Oriëntatie\r\nX: é\t\u{ff}\r\n\r\n".as_bytes())
                .unwrap()
                .unwrap();
        assert_eq!(hs[0].1, "é\t\u{ff}".as_bytes());
    }

    #[test]
    fn limits_bound_lines_heads_and_counts() {
        let limits = Limits {
            max_line_bytes: 20,
            max_head_bytes: 40,
            max_headers: 2,
            ..Limits::default()
        };
        let mut slots = [HeaderSpan::default(); 8];
        let long_line = b"HTTP/1.1 200 OK\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaa";
        assert_eq!(
            parse_head(long_line, &mut slots, &limits).err(),
            Some(ParseError::LineTooLong)
        );
        let many = b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
        assert_eq!(
            parse_head(many, &mut slots, &limits).err(),
            Some(ParseError::TooManyHeaders)
        );
        let big = b"HTTP/1.1 200 OK\r\nA: 123456789\r\nB: 123456789\r\nC";
        assert_eq!(
            parse_head(
                big,
                &mut slots,
                &Limits {
                    max_headers: 8,
                    ..limits.clone()
                }
            )
            .err(),
            Some(ParseError::HeadTooLarge)
        );
    }

    #[test]
    fn swar_scan_matches_bytewise_scan() {
        for len in 0..40 {
            for stop_at in 0..len {
                for stop in [0u8, b'\t', b'\r', b'\n', 0x1f, 0x7f] {
                    let mut v = vec![b'a'; len];
                    v[stop_at] = stop;
                    assert_eq!(skip_field_bytes(&v, 0), stop_at);
                }
            }
            let v = vec![0xc3u8; len];
            assert_eq!(skip_field_bytes(&v, 0), len);
        }
    }

    #[test]
    fn headers_lookup_is_case_insensitive_and_multi_valued() {
        let buf = b"HTTP/1.1 200 OK\r\nSet-Cookie: a\r\nset-cookie: b\r\nConnection: Keep-Alive, Upgrade\r\n\r\n";
        let mut sc = HeadScanner::default();
        let mut spans = Vec::new();
        let (len, _) = sc
            .advance(buf, &Limits::default(), &mut |s| {
                spans.push(s);
                Ok(())
            })
            .unwrap()
            .unwrap();
        let h = HeaderMap::from_head(&buf[..len], &spans);
        assert_eq!(h.get("SET-COOKIE").unwrap(), "a");
        let cookies: Vec<_> = h.get_all("set-cookie").iter().collect();
        assert_eq!(cookies, ["a", "b"]);
        assert!(h.has_token("connection", "upgrade"));
        assert!(!h.has_token("connection", "close"));
        let (name, value) = h.iter().next().unwrap();
        assert_eq!((name.as_str(), value.as_bytes()), ("set-cookie", &b"a"[..]));
    }
}
