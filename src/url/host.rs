//! The host of a URL: a registered name, or an IP address however it was
//! written (see `ipv4` for the many spellings of IPv4).

use super::{ipv4, Scheme, UrlError};
use crate::chars::ascii_set;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The host of a [`Url`](super::Url).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Host {
    /// A registered name, lowercased (`example.com`).
    Domain(String),
    /// An IPv4 address, in any form the WHATWG URL standard reads (`127.1`,
    /// `0x7f000001`, `0177.0.0.1`); written back in dotted decimal.
    Ipv4(Ipv4Addr),
    /// An IPv6 address, written in brackets in the URL.
    Ipv6(Ipv6Addr),
}

impl fmt::Display for Host {
    /// Formats the host as in a URL: IPv6 in brackets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => f.write_str(d),
            Host::Ipv4(a) => write!(f, "{a}"),
            Host::Ipv6(a) => write!(f, "[{a}]"),
        }
    }
}

/// The host's kind and value, without the name (which lives in the
/// serialization).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum HostKind {
    Domain,
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
}

/// The host's kind, its text as written (what names are made of), and the
/// port.
pub(super) fn parse_host_port(
    hostport: &str,
    scheme: Scheme,
) -> Result<(HostKind, &str, u16), UrlError> {
    let (kind, text, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let (v6, after) = rest.split_once(']').ok_or(UrlError::InvalidHost)?;
        let addr: Ipv6Addr = v6.parse().map_err(|_| UrlError::InvalidHost)?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or(UrlError::InvalidHost)?),
        };
        (HostKind::Ipv6(addr), v6, port)
    } else {
        let (name, port) = match hostport.bytes().rposition(|b| b == b':') {
            Some(i) => (&hostport[..i], Some(&hostport[i + 1..])),
            None => (hostport, None),
        };
        if name.is_empty() {
            return Err(UrlError::EmptyHost);
        }
        if !name.is_ascii() {
            return Err(UrlError::NonAsciiHost);
        }
        if !name.bytes().all(|b| HOST_CHARS[usize::from(b)]) {
            return Err(UrlError::InvalidHost);
        }
        let kind = match ipv4::parse(name) {
            Some(Ok(addr)) => HostKind::Ipv4(addr),
            Some(Err(e)) => return Err(e),
            None => HostKind::Domain,
        };
        (kind, name, port)
    };
    let port = match port {
        None | Some("") => scheme.default_port(),
        Some(p) if p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            match p.parse::<u16>() {
                Ok(0) | Err(_) => return Err(UrlError::InvalidPort),
                Ok(n) => n,
            }
        }
        Some(_) => return Err(UrlError::InvalidPort),
    };
    Ok((kind, text, port))
}

/// Bytes of a registered name or IPv4 address.
const HOST_CHARS: &[bool; 256] = &ascii_set(b"-._");
