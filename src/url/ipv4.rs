//! Numeric hosts, read as the WHATWG URL standard's IPv4 parser reads them
//! (<https://url.spec.whatwg.org/#concept-ipv4-parser>).
//!
//! `inet_aton`, and so most resolvers, browsers and curl, read far more than
//! dotted decimal as an IPv4 address: `127.1`, `0x7f000001`, `0177.0.0.1`
//! and `2130706433` all mean 127.0.0.1. A client that handed them to the
//! resolver as names would connect to loopback while every check on the
//! host (an allow-list, the pool key, the `Host` header) saw a different
//! string. So a host that looks numeric is parsed here, once, and is then
//! either an address, written back in dotted decimal, or an error; it is
//! never a name.

use super::UrlError;
use std::net::Ipv4Addr;

/// `None` if `name` is a registered name; else the address it spells, or
/// [`UrlError::InvalidHost`] if it looks numeric but is no address.
///
/// It looks numeric when its last non-empty dot-separated part is a number
/// (the standard's "ends in a number"). The standard ignores only one
/// trailing dot there, so that `1.2.3.4..` would be a name; here it is an
/// error, as a resolver may well read it as an address.
pub(super) fn parse(name: &str) -> Option<Result<Ipv4Addr, UrlError>> {
    // Byte scans from the end: this runs for every URL parsed, and most
    // hosts are names that fail at their last byte.
    let bytes = name.as_bytes();
    let end = bytes.iter().rposition(|&b| b != b'.')? + 1;
    let start = bytes[..end]
        .iter()
        .rposition(|&b| b == b'.')
        .map_or(0, |i| i + 1);
    let last = &bytes[start..end];
    if !last.iter().all(u8::is_ascii_digit) && !is_hex_number(last) {
        return None;
    }
    Some(address(bytes).ok_or(UrlError::InvalidHost))
}

/// `0x` or `0X` and hex digits, possibly none: a number to the standard
/// even where it is not a valid one.
fn is_hex_number(part: &[u8]) -> bool {
    match part {
        [b'0', b'x' | b'X', digits @ ..] => digits.iter().all(u8::is_ascii_hexdigit),
        _ => false,
    }
}

/// The IPv4 parser: one to four parts, each a number in decimal, hex or
/// octal. Every part but the last is one byte; the last fills the bytes
/// left, so `127.1` is 127.0.0.1 and `2130706433` all four bytes.
fn address(name: &[u8]) -> Option<Ipv4Addr> {
    // One trailing dot is allowed, as in a fully qualified name.
    let name = name.strip_suffix(b".").unwrap_or(name);
    let mut parts = [0u64; 4];
    let mut count = 0;
    for part in name.split(|&b| b == b'.') {
        *parts.get_mut(count)? = number(part)?;
        count += 1;
    }
    let (&last, leading) = parts[..count].split_last()?;
    if leading.iter().any(|&p| p > 255) || last >= 1 << (8 * (5 - count)) {
        return None;
    }
    let addr = leading
        .iter()
        .enumerate()
        .fold(last, |addr, (i, &p)| addr | p << (8 * (3 - i)));
    Some(Ipv4Addr::from(u32::try_from(addr).ok()?))
}

/// One part: `0x` (or `0X`) then hex digits, `0` then octal digits, or
/// decimal digits. Empty is no number; overflow is none either (any value
/// that large is out of range anyway).
fn number(part: &[u8]) -> Option<u64> {
    let (digits, radix) = match part {
        [] => return None,
        [b'0', b'x' | b'X', rest @ ..] => (rest, 16),
        [b'0', rest @ ..] if !rest.is_empty() => (rest, 8),
        _ => (part, 10),
    };
    digits.iter().try_fold(0u64, |n, &b| {
        let d = (b as char).to_digit(radix)?;
        n.checked_mul(u64::from(radix))?.checked_add(u64::from(d))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::url::{Host, Url};

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn numeric_hosts_are_read_as_ipv4_and_written_dotted_decimal() {
        let loopback = Host::Ipv4(Ipv4Addr::LOCALHOST);
        for host in [
            "127.0.0.1",
            "0x7f000001",
            "0X7F000001",
            "0177.0.0.1",
            "127.1",
            "0x7f.1",
            "127.0.1",
            "2130706433",
            "017700000001",
            "0x7f.0.0.0x1",
            "127.0.0.1.",
        ] {
            let u = url(&format!("http://{host}:8080/x"));
            assert_eq!(u.host(), loopback, "{host}");
            assert_eq!(u.host_str(), Some("127.0.0.1"), "{host}");
            assert_eq!(u.authority(), "127.0.0.1:8080", "{host}");
            assert_eq!(u.origin(), "http://127.0.0.1:8080", "{host}");
            assert_eq!(u.to_string(), "http://127.0.0.1:8080/x", "{host}");
            assert!(u.same_origin(&url("http://127.0.0.1:8080/")), "{host}");
            // The Host header is written from the authority.
            let mut head = Vec::new();
            let req = crate::h1::RequestHead {
                method: "GET",
                target: u.request_target(),
                host: u.authority(),
                headers: [("a", "b"); 0],
                body: crate::h1::BodyFraming::None,
            };
            crate::h1::encode_request_head(&req, &mut head).unwrap();
            let head = String::from_utf8(head).unwrap();
            assert!(head.contains("\r\nHost: 127.0.0.1:8080\r\n"), "{head}");
        }
        assert_eq!(
            url("http://0xC0.0250.1/").host(),
            Host::Ipv4(Ipv4Addr::new(192, 168, 0, 1))
        );
        assert_eq!(url("http://0/").host_str(), Some("0.0.0.0"));
        assert_eq!(url("http://0x/").host_str(), Some("0.0.0.0"));
        assert_eq!(
            url("http://4294967295/").host_str(),
            Some("255.255.255.255")
        );
        assert_eq!(url("http://1.16777215/").host_str(), Some("1.255.255.255"));
        // A host that ends in a number is an address or an error, never a
        // name for the resolver.
        for host in [
            "1.2.3.4.5",
            "0x100000000",
            "4294967296",
            "256.256.256.256",
            "1.2.3.256",
            "1.16777216",
            "foo.09",
            "08",
            "example.123",
            "a.0x1",
            "1..2",
            ".1",
            "1.2.3.4..",
            "0x7f.0xg.1",
            "99999999999999999999999",
        ] {
            assert_eq!(
                Url::parse(&format!("http://{host}/")),
                Err(UrlError::InvalidHost),
                "{host}"
            );
        }
        for name in [
            "example.com",
            "localhost",
            "1a.example",
            "example.1a",
            "0xg",
            "a.0x1g",
            "1.example",
            "x.09z",
        ] {
            assert_eq!(
                url(&format!("http://{name}/")).host(),
                Host::Domain(name.into()),
                "{name}"
            );
        }
    }

    #[test]
    fn numbers_in_three_radixes() {
        assert_eq!(number(b"0x"), Some(0));
        assert_eq!(number(b"0XfF"), Some(255));
        assert_eq!(number(b"0377"), Some(255));
        assert_eq!(number(b"0"), Some(0));
        assert_eq!(number(b"00"), Some(0));
        assert_eq!(number(b"255"), Some(255));
        assert_eq!(number(b""), None);
        assert_eq!(number(b"08"), None);
        assert_eq!(number(b"0xg"), None);
        assert_eq!(number(b"1a"), None);
        assert_eq!(number(b"0x00000000000000000000000001"), Some(1));
        assert_eq!(number(b"0x10000000000000000"), None);
    }

    #[test]
    fn the_last_part_fills_the_bytes_left() {
        let a = |s: &str| address(s.as_bytes()).map(|a| a.to_string());
        assert_eq!(a("1.2.3.4").as_deref(), Some("1.2.3.4"));
        assert_eq!(a("1.2.772").as_deref(), Some("1.2.3.4"));
        assert_eq!(a("1.131844").as_deref(), Some("1.2.3.4"));
        assert_eq!(a("16909060").as_deref(), Some("1.2.3.4"));
        assert_eq!(a("1.2.65536"), None);
        assert_eq!(a("1.2.3.4.5"), None);
        assert_eq!(a("1.2.3.4."), a("1.2.3.4"));
        assert_eq!(a(""), None);
    }
}
