//! Percent-encoding (RFC 3986 §2.1) and its inverse, for the parts of a
//! URL brisk writes: path, query, form-urlencoded pairs, userinfo.
//!
//! Encoding is tolerant of input that is already encoded: `%` is always
//! allowed through, so `a%20b` stays `a%20b` rather than becoming
//! `a%2520b`. That is what browsers do, and it is what makes
//! `Url::parse(url.as_str())` give back the same URL.

use crate::chars::ascii_set;
use std::borrow::Cow;

/// pchar without `%`-encoding (RFC 3986 §3.3): unreserved, sub-delims,
/// `:`, `@`, and `/` between segments. `%` is kept so that an already
/// encoded URL stays as it is.
pub(super) const PATH_CHARS: &[bool; 256] = &ascii_set(b"-._~!$&'()*+,;=:@/%");

/// Query characters (RFC 3986 §3.4): pchar, `/` and `?`.
pub(super) const QUERY_CHARS: &[bool; 256] = &ascii_set(b"-._~!$&'()*+,;=:@/%?");

/// Appends `s`, percent-encoding what `allowed` does not allow (and
/// turning `\\` into `/` in a path). Runs of allowed bytes, the usual
/// case, are copied whole.
pub(super) fn encode_into(out: &mut String, s: &str, allowed: &[bool; 256], path: bool) {
    let mut rest = s;
    loop {
        let clean = rest
            .bytes()
            .position(|b| !allowed[usize::from(b)])
            .unwrap_or(rest.len());
        out.push_str(&rest[..clean]);
        let Some(&b) = rest.as_bytes().get(clean) else {
            return;
        };
        if path && b == b'\\' {
            out.push('/');
        } else {
            encode_byte(out, b, allowed);
        }
        // `b` is ASCII or one byte of a multi-byte character; the next
        // boundary is found by skipping continuation bytes.
        let mut next = clean + 1;
        while next < rest.len() && !rest.is_char_boundary(next) {
            encode_byte(out, rest.as_bytes()[next], allowed);
            next += 1;
        }
        rest = &rest[next..];
    }
}

/// Copies an allowed byte, percent-encodes any other. Bytes of a
/// multi-byte character are never allowed, so a non-ASCII character comes
/// out as the percent-encoding of its UTF-8 bytes.
fn encode_byte(out: &mut String, b: u8, allowed: &[bool; 256]) {
    if allowed[usize::from(b)] {
        out.push(b as char);
    } else {
        push_pct(out, b);
    }
}

fn push_pct(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(HEX[usize::from(b >> 4)] as char);
    out.push(HEX[usize::from(b & 0xf)] as char);
}

/// `application/x-www-form-urlencoded` serialisation of one name or value
/// (WHATWG URL §5.2): space becomes `+`, and everything but
/// alphanumerics and `*-._` is percent-encoded.
pub(crate) fn form_urlencode_into(out: &mut String, s: &str) {
    for b in s.bytes() {
        match b {
            b' ' => out.push('+'),
            b if b.is_ascii_alphanumeric() || b"*-._".contains(&b) => out.push(b as char),
            b => push_pct(out, b),
        }
    }
}

/// Decodes `%XX` escapes (and, with `plus_as_space`, `+` as a space, the
/// form-urlencoded reading of a query). An invalid escape (`%zz`, a `%` at
/// the end) is kept as written; bytes that do not form UTF-8 are replaced
/// with U+FFFD. Borrows when there is nothing to decode, the common case
/// for query names and values.
pub(super) fn percent_decode(s: &str, plus_as_space: bool) -> Cow<'_, str> {
    let special = |b: &u8| *b == b'%' || (plus_as_space && *b == b'+');
    let Some(first) = s.bytes().position(|b| special(&b)) else {
        return Cow::Borrowed(s);
    };
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..first]);
    let mut i = first;
    let hex = |i: usize| bytes.get(i).and_then(|&b| (b as char).to_digit(16));
    while i < bytes.len() {
        match (bytes[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b'+', _, _) if plus_as_space => {
                out.push(b' ');
                i += 1;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    match String::from_utf8(out) {
        Ok(s) => Cow::Owned(s),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        assert!(matches!(
            percent_decode("plain", true),
            Cow::Borrowed("plain")
        ));
        assert_eq!(percent_decode("a+b%20c", true), "a b c");
        assert_eq!(percent_decode("a+b%20c", false), "a+b c");
        // Invalid escapes stay as written, at any position.
        assert_eq!(percent_decode("%zz%4", true), "%zz%4");
        assert_eq!(percent_decode("%", true), "%");
        assert_eq!(percent_decode("%C3%A9", true), "é");
        // Lone bytes that are not UTF-8 become U+FFFD.
        assert_eq!(percent_decode("%FFx", true), "\u{FFFD}x");
        assert_eq!(percent_decode("%e2%82%ac", true), "€");
    }

    #[test]
    fn encoding_keeps_escapes() {
        let mut out = String::new();
        encode_into(&mut out, "a%20b c?#é", PATH_CHARS, true);
        assert_eq!(out, "a%20b%20c%3F%23%C3%A9");
        let mut out = String::new();
        form_urlencode_into(&mut out, "a b&=é");
        assert_eq!(out, "a+b%26%3D%C3%A9");
    }
}
