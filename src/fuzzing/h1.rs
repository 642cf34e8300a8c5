//! The codec's targets: the head parser (`response_head`), the decoder
//! (`response_stream`), the chunked decoder (`chunked`), and brisk's side
//! of the differential target against httparse (`read_head`).
//!
//! Split invariance is the codec's central promise: the network cuts bytes
//! wherever it likes, so a response read in any pieces must decode exactly
//! as it does whole. Each target checks it against the whole reading.

use crate::h1::{
    parse_head, Event, HeadScanner, HeaderSpan, Limits, ParseError, ResponseDecoder, Status,
    Version,
};

/// Small limits, so that inputs of a few hundred bytes reach every bound.
fn tiny_limits() -> Limits {
    Limits {
        max_head_bytes: 256,
        max_headers: 4,
        max_line_bytes: 64,
        max_chunk_size_digits: 4,
        max_chunk_ext_bytes: 16,
        max_trailer_bytes: 32,
        max_informational: 2,
        max_empty_lines: 1,
        max_body_bytes: None,
        max_decoded_bytes: 0,
    }
}

/// A head as the tests compare it: length, version, status, reason and
/// fields as (name, value).
type Head = (usize, Version, u16, Vec<u8>, Vec<(Vec<u8>, Vec<u8>)>);

/// The resumable scanner fed `input` in pieces ending at `cuts` (then the
/// whole), each call given every byte so far, as the decoder gives them.
fn scan(input: &[u8], cuts: &[usize], limits: &Limits) -> Result<Option<Head>, ParseError> {
    let mut scanner = HeadScanner::default();
    let mut spans = Vec::new();
    for &cut in cuts.iter().chain([&input.len()]) {
        let found = scanner.advance(&input[..cut], limits, &mut |span| {
            if spans.len() >= limits.max_headers {
                return Err(ParseError::TooManyHeaders);
            }
            spans.push(span);
            Ok(())
        })?;
        if let Some((len, line)) = found {
            let reason = input[..len]
                .get(line.reason.0 as usize..line.reason.1 as usize)
                .unwrap_or_default()
                .to_vec();
            let fields = spans
                .iter()
                .map(|s: &HeaderSpan| (s.name(input).to_vec(), s.value(input).to_vec()))
                .collect();
            return Ok(Some((len, line.version, line.status, reason, fields)));
        }
    }
    Ok(None)
}

/// [`parse_head`] on `input`, as a [`Head`].
fn parse(input: &[u8], limits: &Limits) -> Result<Option<Head>, ParseError> {
    let mut slots = vec![HeaderSpan::default(); limits.max_headers.min(256)];
    Ok(match parse_head(input, &mut slots, limits)? {
        Status::Partial => None,
        Status::Complete(h) => {
            let fields = (0..h.headers.len()).filter_map(|i| h.header(i));
            let fields = fields.map(|(n, v)| (n.to_vec(), v.to_vec())).collect();
            Some((h.len, h.version, h.status, h.reason().to_vec(), fields))
        }
    })
}

/// The head parser on arbitrary bytes. The first byte picks the limits
/// (its high bit: the defaults or tiny ones), a split point and a piece
/// size; the rest is the head.
///
/// - It never panics.
/// - The resumable scanner fed a prefix that needs more, then the whole,
///   gives what it gives on the whole; so do pieces of 1 to 13 bytes.
/// - [`parse_head`] on the whole agrees with the scanner, and on a prefix:
///   "need more" while the head is incomplete, never an error the whole
///   does not have, and the same head once it is all there.
/// - A complete head is well formed (it ends in CRLF CRLF, names are
///   tokens, values hold no CR, LF or edge whitespace, the status is
///   100–999), and printed back and parsed again it is the same head.
/// - The decoder's owned head (lowercased names) holds the same fields.
pub fn response_head(data: &[u8]) {
    let Some((&ctl, input)) = data.split_first() else {
        return;
    };
    let limits = if ctl & 0x80 == 0 {
        Limits::default()
    } else {
        tiny_limits()
    };
    let whole = scan(input, &[], &limits);
    assert_eq!(parse(input, &limits), whole, "parse_head vs the scanner");

    let cut = usize::from(ctl) * 31 % (input.len() + 1);
    assert_eq!(scan(input, &[cut], &limits), whole, "split at {cut}");
    let size = usize::from(ctl % 13) + 1;
    let cuts: Vec<usize> = (size..input.len()).step_by(size).collect();
    assert_eq!(scan(input, &cuts, &limits), whole, "pieces of {size}");

    let prefix = parse(&input[..cut], &limits);
    match (&whole, &prefix) {
        (Ok(Some(head)), _) if cut >= head.0 => assert_eq!(prefix, whole, "prefix {cut}"),
        (Ok(_), _) => assert_eq!(prefix, Ok(None), "prefix {cut} of a valid head"),
        (Err(_), Ok(None)) => {}
        (Err(_), _) => assert_eq!(prefix, whole, "prefix {cut}"),
    }

    if let Ok(Some(head)) = &whole {
        check_well_formed(input, head, &limits);
    }
}

fn check_well_formed(input: &[u8], head: &Head, limits: &Limits) {
    let (len, version, status, reason, fields) = head;
    assert!(input[..*len].ends_with(b"\r\n\r\n"));
    assert!((100..=999).contains(status));
    assert!(fields.len() <= limits.max_headers);
    for (name, value) in fields {
        assert!(!name.is_empty() && name.iter().all(|&b| crate::chars::is_tchar(b)));
        assert!(!value.iter().any(|&b| matches!(b, b'\r' | b'\n' | 0)));
        assert!(!value.starts_with(b" ") && !value.starts_with(b"\t"));
        assert!(!value.ends_with(b" ") && !value.ends_with(b"\t"));
    }
    // Printed back (the version as brisk reads it) and parsed again.
    let mut printed = format!("{} {status}", version.as_str()).into_bytes();
    if !reason.is_empty() {
        printed.push(b' ');
        printed.extend_from_slice(reason);
    }
    printed.extend_from_slice(b"\r\n");
    for (name, value) in fields {
        printed.extend_from_slice(name);
        printed.extend_from_slice(b": ");
        printed.extend_from_slice(value);
        printed.extend_from_slice(b"\r\n");
    }
    printed.extend_from_slice(b"\r\n");
    let big = Limits {
        max_line_bytes: usize::MAX,
        max_head_bytes: usize::MAX,
        ..limits.clone()
    };
    let again = parse(&printed, &big).expect("a printed head parses");
    let expected = (
        printed.len(),
        *version,
        *status,
        reason.clone(),
        fields.clone(),
    );
    assert_eq!(again, Some(expected), "printed back: {printed:?}");

    // The decoder builds an owned head from the same bytes: same status,
    // version, reason and fields, names lowercased. It may refuse the
    // head's framing, which `parse_head` does not look at.
    if input.first() == Some(&b'\r') {
        return;
    }
    let mut dec = ResponseDecoder::new(limits.clone());
    match dec.decode(input) {
        Ok(step) => {
            let Some(Event::Head(owned)) = step.event else {
                panic!("a complete head decodes to a head, not {:?}", step.event);
            };
            assert_eq!(step.consumed, *len);
            assert_eq!((owned.version, owned.status), (*version, *status));
            assert_eq!(owned.reason(), &reason[..]);
            let owned: Vec<_> = owned
                .headers
                .iter()
                .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
                .collect();
            let lower: Vec<_> = fields
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
                .collect();
            assert_eq!(owned, lower);
        }
        Err(e) => assert!(
            matches!(
                e,
                ParseError::InvalidContentLength
                    | ParseError::ConflictingContentLength
                    | ParseError::ConflictingFraming
            ),
            "a complete head refused by the decoder with {e:?}"
        ),
    }
}

/// What the decoder reported, with adjacent body slices merged so that
/// piece boundaries do not show. Offsets count input bytes consumed.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seen {
    Head(u16, Version, usize),
    Body(Vec<u8>),
    End { reusable: bool, at: usize },
    Upgrade { at: usize },
    Eof(Result<bool, ParseError>),
    Error(ParseError),
}

#[derive(Default)]
struct Record(Vec<Seen>);

impl Record {
    fn body(&mut self, bytes: &[u8]) {
        match self.0.last_mut() {
            Some(Seen::Body(b)) => b.extend_from_slice(bytes),
            _ if bytes.is_empty() => {}
            _ => self.0.push(Seen::Body(bytes.to_vec())),
        }
    }
}

/// Decodes `pieces` one after another, as a connection would: each piece
/// is appended to what is left unconsumed, and decoded until the decoder
/// needs more. With `direct`, a piece that arrives while the buffer is
/// empty and the decoder is in plain body data goes straight to the body,
/// reported with `skip_body` (the connection's copy-saving path). With
/// `eof`, `finish` follows the last piece.
fn decode<'a>(
    mut dec: ResponseDecoder,
    pieces: impl Iterator<Item = &'a [u8]>,
    direct: bool,
    eof: bool,
) -> Vec<Seen> {
    let mut seen = Record::default();
    let mut buf = Vec::new();
    let mut at = 0;
    for mut piece in pieces {
        loop {
            if let (true, true, Some(n)) = (direct, buf.is_empty(), dec.body_bytes_pending()) {
                let m = usize::try_from(n).map_or(piece.len(), |n| n.min(piece.len()));
                if m > 0 {
                    seen.body(&piece[..m]);
                    dec.skip_body(m as u64);
                    piece = &piece[m..];
                    at += m;
                    continue;
                }
            }
            buf.extend_from_slice(piece);
            piece = &[];
            loop {
                let step = match dec.decode(&buf) {
                    Ok(step) => step,
                    Err(e) => {
                        seen.0.push(Seen::Error(e));
                        return seen.0;
                    }
                };
                assert!(step.consumed <= buf.len(), "consumed past the input");
                let n = step.consumed;
                let more = step.event.is_none();
                match step.event {
                    None => {}
                    Some(Event::Head(h)) => {
                        seen.0
                            .push(Seen::Head(h.status, h.version, h.headers.len()))
                    }
                    Some(Event::Body(b)) => {
                        assert!(!b.is_empty(), "an empty body event");
                        seen.body(b);
                    }
                    Some(Event::End { reusable }) => seen.0.push(Seen::End {
                        reusable,
                        at: at + n,
                    }),
                    Some(Event::Upgrade) => {
                        seen.0.push(Seen::Upgrade { at: at + n });
                        return seen.0;
                    }
                }
                buf.drain(..n);
                at += n;
                if more {
                    break;
                }
            }
            if piece.is_empty() {
                break;
            }
        }
    }
    if eof {
        seen.0.push(Seen::Eof(match dec.finish() {
            Ok(Event::End { reusable }) => Ok(reusable),
            Ok(Event::Upgrade) => Ok(false),
            Ok(other) => panic!("finish gave {other:?}"),
            Err(e) => Err(e),
        }));
    }
    seen.0
}

/// Decodes `input` whole, split at `cut`, in pieces of `size`, and in
/// pieces of `size` taking body bytes directly; all must agree.
fn decode_all_ways(
    input: &[u8],
    cut: usize,
    size: usize,
    new: &dyn Fn() -> ResponseDecoder,
    eof: bool,
) -> Vec<Seen> {
    let whole = decode(new(), std::iter::once(input), false, eof);
    let (a, b) = input.split_at(cut);
    let split = decode(new(), [a, b].into_iter(), false, eof);
    assert_eq!(split, whole, "split at {cut}");
    let pieces = decode(new(), input.chunks(size), false, eof);
    assert_eq!(pieces, whole, "pieces of {size}");
    let direct = decode(new(), input.chunks(size), true, eof);
    assert_eq!(direct, whole, "pieces of {size}, body read directly");
    let direct = decode(new(), [a, b].into_iter(), true, eof);
    assert_eq!(direct, whole, "split at {cut}, body read directly");
    whole
}

/// The response decoder on arbitrary bytes: heads and bodies, any number
/// of responses. The first byte picks the request method (GET, HEAD,
/// CONNECT), whether the connection closes after the input, the limits and
/// a piece size; the second a split point.
///
/// Never panics, never consumes bytes it was not given, and decoding in
/// pieces equals decoding whole: the same heads, body bytes, ends (and
/// where they fall), error or none, and the same outcome at EOF. Body
/// bytes never outnumber the input's.
pub fn response_stream(data: &[u8]) {
    let [ctl, cut, input @ ..] = data else {
        return;
    };
    let method: &[u8] = match ctl & 3 {
        1 => b"HEAD",
        2 => b"CONNECT",
        _ => b"GET",
    };
    let eof = ctl & 4 != 0;
    let limits = if ctl & 8 == 0 {
        Limits::default()
    } else {
        tiny_limits()
    };
    let size = usize::from(ctl >> 4) + 1;
    let cut = usize::from(*cut) * 17 % (input.len() + 1);
    let new = || {
        let mut dec = ResponseDecoder::new(limits.clone());
        dec.expect_response_to(method);
        dec
    };
    let seen = decode_all_ways(input, cut, size, &new, eof);
    let body: usize = seen
        .iter()
        .map(|s| match s {
            Seen::Body(b) => b.len(),
            _ => 0,
        })
        .sum();
    assert!(body <= input.len());
}

/// The head every `chunked` input follows.
const CHUNKED_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

/// The chunked decoder on arbitrary bytes: the input is a chunked body
/// (after a fixed head that selects the chunked coding). The first byte
/// picks the limits, a piece size and whether EOF follows; the second a
/// split point.
///
/// Never panics; in pieces it decodes as it does whole (body bytes, end
/// and where it falls, error or none). And a body that brisk accepts is
/// read the same by the plainest reading of RFC 9112 §7.1 (size, skip to
/// CRLF, data, CRLF; trailer lines to an empty one): same bytes, same end.
pub fn chunked(data: &[u8]) {
    let [ctl, cut, body @ ..] = data else {
        return;
    };
    let limits = if ctl & 1 == 0 {
        Limits::default()
    } else {
        tiny_limits()
    };
    let eof = ctl & 2 != 0;
    let size = usize::from(ctl >> 2) + 1;
    let mut input = CHUNKED_HEAD.to_vec();
    input.extend_from_slice(body);
    let cut = CHUNKED_HEAD.len() + usize::from(*cut) * 17 % (body.len() + 1);
    let new = || ResponseDecoder::new(limits.clone());
    let seen = decode_all_ways(&input, cut, size, &new, eof);
    if let Some(end) = seen.iter().find_map(|s| match s {
        Seen::End { at, .. } => Some(*at),
        _ => None,
    }) {
        let decoded = match seen.get(1) {
            Some(Seen::Body(b)) => b.clone(),
            _ => Vec::new(),
        };
        let plain = plain_chunked(body).expect("brisk accepted a body the plain reading refuses");
        assert_eq!(plain, (decoded, end - CHUNKED_HEAD.len()));
    }
}

/// The most lenient reading of a chunked body: the decoded bytes and where
/// the body ends, or `None` if it is incomplete or not chunked at all.
fn plain_chunked(mut input: &[u8]) -> Option<(Vec<u8>, usize)> {
    let total = input.len();
    let mut body = Vec::new();
    let line = |input: &[u8]| input.windows(2).position(|w| w == b"\r\n");
    loop {
        let digits = input.iter().take_while(|b| b.is_ascii_hexdigit()).count();
        let size = u64::from_str_radix(std::str::from_utf8(&input[..digits]).ok()?, 16).ok()?;
        let eol = line(input)?;
        input = &input[eol + 2..];
        if size == 0 {
            loop {
                let eol = line(input)?;
                input = &input[eol + 2..];
                if eol == 0 {
                    return Some((body, total - input.len()));
                }
            }
        }
        let size = usize::try_from(size).ok()?;
        body.extend_from_slice(input.get(..size)?);
        input = input.get(size..)?.strip_prefix(b"\r\n")?;
    }
}

/// A response head as brisk reads it, for comparison with other parsers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeadReading {
    /// A complete head.
    Complete {
        /// Its length, with any empty lines skipped before it.
        len: usize,
        /// The version as declared.
        version: Version,
        /// The status code.
        status: u16,
        /// The reason phrase, as sent.
        reason: Vec<u8>,
        /// The fields as sent (name case kept), values trimmed.
        fields: Vec<(Vec<u8>, Vec<u8>)>,
    },
    /// A valid prefix of a head: more bytes are needed.
    Partial,
    /// Refused.
    Reject(ParseError),
}

/// Reads a response head from `input` as the decoder does before a status
/// line (up to `Limits::max_empty_lines` empty lines skipped; a lone CR
/// after them may start one more), then with [`parse_head`], with room for
/// `max_headers` fields and no bound on line or head length (16 MiB), so
/// that only the grammar decides.
pub fn read_head(input: &[u8], max_headers: usize) -> HeadReading {
    let limits = Limits {
        max_head_bytes: usize::MAX,
        max_line_bytes: usize::MAX,
        max_headers,
        ..Limits::default()
    };
    let mut at = 0;
    for _ in 0..limits.max_empty_lines {
        if input[at..].starts_with(b"\r\n") {
            at += 2;
        }
    }
    let rest = &input[at..];
    if rest.is_empty() || (rest == b"\r" && at < 2 * limits.max_empty_lines) {
        return HeadReading::Partial;
    }
    match parse(rest, &limits) {
        Ok(None) => HeadReading::Partial,
        Ok(Some((len, version, status, reason, fields))) => HeadReading::Complete {
            len: at + len,
            version,
            status,
            reason,
            fields,
        },
        Err(e) => HeadReading::Reject(e),
    }
}
