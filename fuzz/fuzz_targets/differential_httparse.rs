//! The same response head to brisk (`brisk::fuzzing::read_head`: the
//! decoder's reading of a head, with no length limits) and to httparse
//! (default configuration). They must agree on accept, "need more" or
//! reject, and on the head's length, version, status, reason and fields,
//! except where brisk documents a different choice (the policy table in
//! the `brisk::h1` docs). Each exception below is a predicate, not a skip:
//! it names what brisk refuses or accepts on purpose, and a rewrite of the
//! input that takes exactly that construct away, is a no-op for the parser
//! whose reading it must not change, and after which the two must agree
//! again (exceptions may chain: an input may hold several). Anything else
//! is a disagreement, and the target fails on it.
//!
//! 1. Bare LF. brisk refuses LF without CR as a line ending
//!    (`InvalidLineEnding`, or `InvalidVersion` where an empty line before
//!    the status line is a bare LF): line endings are where a head's
//!    boundaries are decided, and RFC 9112 §2.2 only *allows* a recipient to
//!    accept a lone LF. httparse accepts it everywhere. Rewrite: each bare
//!    LF becomes CRLF (httparse reads both alike).
//! 2. More than 4 empty lines before the status line. brisk skips at most
//!    `Limits::max_empty_lines` (4), so that a peer cannot keep it busy on
//!    nothing, and refuses the fifth (`InvalidVersion`, from its first
//!    byte, the CR); httparse skips any number. Rewrite: the leading empty
//!    lines are removed.
//! 3. HTTP/0.9 and HTTP/1.2 to HTTP/1.9. brisk reads a status line of
//!    HTTP/0.9 as HTTP/1.0 (a status line is there, so it is parseable)
//!    and HTTP/1.x as HTTP/1.1 (RFC 9110 §2.5: the highest minor version it
//!    knows); httparse knows only 1.0 and 1.1 and refuses the others
//!    (before 8 bytes, anything but `HTTP/1.`). Rewrite: the version
//!    becomes the one brisk reads it as (`HTTP/0` → `HTTP/1`, `0.9` →
//!    `1.0`, `1.x` → `1.1`).
//! 4. Status codes 000 to 099. RFC 9110 §15 defines 100–599; brisk refuses
//!    a code below 100 (`InvalidStatus`); httparse takes any three digits.
//!    Rewrite: the code's leading `0` becomes `2`.
#![no_main]

use brisk::fuzzing::{read_head, HeadReading};
use brisk::h1::{ParseError, Version};
use libfuzzer_sys::fuzz_target;

/// Field slots on both sides: both refuse a head with more fields.
const SLOTS: usize = 32;

fuzz_target!(|data: &[u8]| {
    if let Err(why) = agree(data, &mut Vec::new()) {
        panic!("{why}");
    }
});

/// A head as both parsers can report it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Reading {
    Complete {
        len: usize,
        /// 0 for HTTP/1.0, 1 for HTTP/1.1 (httparse's numbering).
        minor: u8,
        status: u16,
        /// `None` when it holds obs-text, which httparse reports as "".
        reason: Option<Vec<u8>>,
        fields: Vec<(Vec<u8>, Vec<u8>)>,
    },
    Partial,
    Reject,
}

impl Reading {
    fn without_len(&self) -> Reading {
        match self.clone() {
            Reading::Complete {
                minor,
                status,
                reason,
                fields,
                ..
            } => Reading::Complete {
                len: 0,
                minor,
                status,
                reason,
                fields,
            },
            other => other,
        }
    }
}

/// brisk's reading, and its error if it refused.
fn brisk(input: &[u8]) -> (Reading, Option<ParseError>) {
    match read_head(input, SLOTS) {
        HeadReading::Complete {
            len,
            version,
            status,
            reason,
            fields,
        } => {
            let minor = match version {
                Version::Http09 | Version::Http10 => 0,
                Version::Http11 => 1,
            };
            let reason = (!reason.iter().any(|&b| b >= 0x80)).then_some(reason);
            (
                Reading::Complete {
                    len,
                    minor,
                    status,
                    reason,
                    fields,
                },
                None,
            )
        }
        HeadReading::Partial => (Reading::Partial, None),
        HeadReading::Reject(e) => (Reading::Reject, Some(e)),
    }
}

/// httparse's reading, and the status code if it got that far.
fn httparse(input: &[u8]) -> (Reading, Option<u16>) {
    let mut slots = [httparse::EMPTY_HEADER; SLOTS];
    let mut response = httparse::Response::new(&mut slots);
    let reading = match response.parse(input) {
        Ok(httparse::Status::Complete(len)) => {
            let reason = response.reason.unwrap_or_default().as_bytes();
            Reading::Complete {
                len,
                minor: response.version.unwrap_or(9),
                status: response.code.unwrap_or_default(),
                // An empty reason may be obs-text that httparse hid.
                reason: (!reason.is_empty()).then(|| reason.to_vec()),
                fields: response
                    .headers
                    .iter()
                    .map(|h| (h.name.as_bytes().to_vec(), h.value.to_vec()))
                    .collect(),
            }
        }
        Ok(httparse::Status::Partial) => Reading::Partial,
        Err(_) => Reading::Reject,
    };
    (reading, response.code)
}

/// Whether the two readings agree; an empty reason on httparse's side
/// matches any reason brisk reports (httparse hides obs-text as "").
fn same(b: &Reading, h: &Reading) -> bool {
    match (b, h) {
        (
            Reading::Complete {
                len,
                minor,
                status,
                reason,
                fields,
            },
            Reading::Complete {
                len: l,
                minor: m,
                status: s,
                reason: r,
                fields: f,
            },
        ) => {
            let reason_ok = r.is_none() || reason.is_none() || r == reason;
            len == l && minor == m && status == s && fields == f && reason_ok
        }
        _ => b == h,
    }
}

/// Where the status line starts, as httparse finds it: after any CRLF or
/// LF.
fn status_line_start(input: &[u8]) -> usize {
    let mut at = 0;
    loop {
        match input.get(at..at + 2) {
            Some(b"\r\n") => at += 2,
            _ if input.get(at) == Some(&b'\n') => at += 1,
            _ => return at,
        }
    }
}

type Rewrite =
    fn(&[u8], &(Reading, Option<ParseError>), &(Reading, Option<u16>)) -> Option<Vec<u8>>;

/// The documented exceptions: each returns the rewritten input when it
/// applies (see the list at the top).
const POLICIES: [(&str, Rewrite, Side); 4] = [
    ("bare LF", bare_lf, Side::Httparse),
    ("empty lines", empty_lines, Side::Httparse),
    ("version", version, Side::Brisk),
    ("status below 100", status_below_100, Side::Neither),
];

/// The parser whose reading a rewrite must leave as it was.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Brisk,
    Httparse,
    /// The rewrite changes the status both report; the recursion checks
    /// the rest.
    Neither,
}

fn bare_lf(
    input: &[u8],
    (_, err): &(Reading, Option<ParseError>),
    _: &(Reading, Option<u16>),
) -> Option<Vec<u8>> {
    if !matches!(
        err,
        Some(ParseError::InvalidLineEnding | ParseError::InvalidVersion)
    ) {
        return None;
    }
    let bare = |i: usize| input[i] == b'\n' && (i == 0 || input[i - 1] != b'\r');
    if !(0..input.len()).any(bare) {
        return None;
    }
    let mut out = Vec::with_capacity(input.len() + 8);
    for i in 0..input.len() {
        if bare(i) {
            out.push(b'\r');
        }
        out.push(input[i]);
    }
    Some(out)
}

fn empty_lines(
    input: &[u8],
    (_, err): &(Reading, Option<ParseError>),
    _: &(Reading, Option<u16>),
) -> Option<Vec<u8>> {
    let mut at = 0;
    while input[at..].starts_with(b"\r\n") {
        at += 2;
    }
    // A fifth CRLF, or the CR that begins one, is where brisk stops.
    let max = brisk::h1::Limits::default().max_empty_lines;
    let over = at / 2 > max || (at / 2 == max && input[at..].starts_with(b"\r"));
    (*err == Some(ParseError::InvalidVersion) && over).then(|| input[at..].to_vec())
}

fn version(
    input: &[u8],
    _: &(Reading, Option<ParseError>),
    (h, _): &(Reading, Option<u16>),
) -> Option<Vec<u8>> {
    if *h != Reading::Reject {
        return None;
    }
    let at = status_line_start(input) + 5;
    let v = input.get(at..)?.get(..3.min(input.len() - at))?;
    let new: &[u8] = match v {
        [b'0', ..] if v.len() < 3 || v == b"0.9" => &b"1.0"[..v.len()],
        [b'1', b'.', b'2'..=b'9'] => b"1.1",
        _ => return None,
    };
    if !input[..at].ends_with(b"HTTP/") {
        return None;
    }
    let mut out = input.to_vec();
    out[at..at + new.len()].copy_from_slice(new);
    Some(out)
}

fn status_below_100(
    input: &[u8],
    (_, err): &(Reading, Option<ParseError>),
    (_, code): &(Reading, Option<u16>),
) -> Option<Vec<u8>> {
    if *err != Some(ParseError::InvalidStatus) || !code.is_some_and(|c| c < 100) {
        return None;
    }
    let at = status_line_start(input) + 9;
    (input.get(at) == Some(&b'0')).then(|| {
        let mut out = input.to_vec();
        out[at] = b'2';
        out
    })
}

/// Whether brisk and httparse agree on `input`, directly or through the
/// documented exceptions; `used` collects the exceptions taken.
fn agree(input: &[u8], used: &mut Vec<&'static str>) -> Result<(), String> {
    let b = brisk(input);
    let h = httparse(input);
    if same(&b.0, &h.0) {
        return Ok(());
    }
    for (name, rewrite, keep) in POLICIES {
        if used.contains(&name) {
            continue;
        }
        let Some(rewritten) = rewrite(input, &b, &h) else {
            continue;
        };
        // The rewrite must not change what the other parser reads.
        match keep {
            Side::Brisk => assert_eq!(
                brisk(&rewritten).0.without_len(),
                b.0.without_len(),
                "{name}"
            ),
            Side::Httparse => {
                assert_eq!(
                    httparse(&rewritten).0.without_len(),
                    h.0.without_len(),
                    "{name}"
                )
            }
            Side::Neither => {}
        }
        used.push(name);
        if agree(&rewritten, used).is_ok() {
            return Ok(());
        }
        used.pop();
    }
    Err(format!(
        "brisk and httparse disagree on {:?}:\n brisk    {:?}\n httparse {:?}\n (exceptions tried: {used:?})",
        String::from_utf8_lossy(input),
        b,
        h
    ))
}
