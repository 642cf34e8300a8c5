//! `NO_PROXY`: which hosts an environment proxy is not used for.
//!
//! There is no standard for this variable; curl, Go and Python each read
//! it a little differently. brisk reads it as curl and Go agree:
//!
//! - a comma-separated list; whitespace around entries is trimmed, empty
//!   entries are ignored;
//! - `*` alone matches every host;
//! - a domain matches itself and its subdomains, with or without a leading
//!   dot (`example.com` and `.example.com` both match `example.com` and
//!   `a.example.com`, never `badexample.com`); a leading `*.` is read as a
//!   dot, and names compare case-insensitively;
//! - an IP address matches that address, and a CIDR range (`10.0.0.0/8`,
//!   `fd00::/8`) every address in it, for URLs whose host is an IP
//!   literal: names are never resolved to decide;
//! - an entry with a port (`example.com:8080`, `10.1.2.3:80`,
//!   `[::1]:8080`) matches only URLs with that port (explicit, or the
//!   scheme's default);
//! - an entry that cannot be read (a bad port or prefix length) is ignored.
//!
//! Beyond those, loopback hosts (`localhost`, `*.localhost`,
//! `127.0.0.0/8`, `::1`) never go through an environment proxy, as in Go:
//! a proxy's loopback is not the caller's. The entry `<-loopback>` (the
//! spelling of Chrome's bypass list) turns that off.

use crate::url::Url;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A parsed `NO_PROXY` list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct NoProxy {
    /// `*` was given: no host uses the proxy.
    all: bool,
    /// `<-loopback>` was given: loopback hosts may use the proxy.
    proxy_loopback: bool,
    entries: Vec<Entry>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    target: Target,
    /// Only this port, if given.
    port: Option<u16>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    /// A lowercase domain without a leading or trailing dot.
    Domain(String),
    /// An address range: the address and how many leading bits count.
    Net(IpAddr, u8),
}

impl NoProxy {
    /// Reads a `NO_PROXY` value.
    pub(crate) fn parse(list: &str) -> NoProxy {
        let mut out = NoProxy::default();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match item {
                "*" => out.all = true,
                "<-loopback>" => out.proxy_loopback = true,
                _ => out.entries.extend(Entry::parse(item)),
            }
        }
        out
    }

    /// Whether `url` should go direct rather than through the proxy.
    pub(crate) fn matches(&self, url: &Url) -> bool {
        if self.all {
            return true;
        }
        let host = url.host_text();
        let ip = parse_ip(host);
        if !self.proxy_loopback && is_loopback(host, ip) {
            return true;
        }
        self.entries.iter().any(|e| {
            e.port.is_none_or(|p| p == url.effective_port())
                && match (&e.target, ip) {
                    (Target::Net(net, bits), Some(ip)) => in_net(ip, *net, *bits),
                    (Target::Domain(d), None) => is_domain_or_sub(host, d),
                    _ => false,
                }
        })
    }
}

impl Entry {
    fn parse(item: &str) -> Option<Entry> {
        // A range: `addr/bits` (never with a port).
        if let Some((addr, bits)) = item.split_once('/') {
            let addr: IpAddr = addr.trim_matches(['[', ']']).parse().ok()?;
            let bits: u8 = bits.parse().ok()?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            return (bits <= max).then_some(Entry {
                target: Target::Net(addr, bits),
                port: None,
            });
        }
        // `[v6]` or `[v6]:port`.
        if let Some(rest) = item.strip_prefix('[') {
            let (addr, after) = rest.split_once(']')?;
            let addr: Ipv6Addr = addr.parse().ok()?;
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':')?.parse().ok()?),
            };
            return Some(Entry {
                target: Target::Net(IpAddr::V6(addr), 128),
                port,
            });
        }
        // A bare IPv6 address has more than one colon, and no port.
        if let Ok(addr) = item.parse::<Ipv6Addr>() {
            return Some(Entry {
                target: Target::Net(IpAddr::V6(addr), 128),
                port: None,
            });
        }
        let (host, port) = match item.rsplit_once(':') {
            Some((host, port)) => (host, Some(port.parse().ok()?)),
            None => (item, None),
        };
        if let Ok(addr) = host.parse::<Ipv4Addr>() {
            return Some(Entry {
                target: Target::Net(IpAddr::V4(addr), 32),
                port,
            });
        }
        let host = host.strip_prefix("*.").unwrap_or(host);
        let host = host.trim_start_matches('.').trim_end_matches('.');
        (!host.is_empty()).then(|| Entry {
            target: Target::Domain(host.to_ascii_lowercase()),
            port,
        })
    }
}

/// The address a URL host names, if it is an IP literal (`[::1]` is
/// bracketed in a URL).
fn parse_ip(host: &str) -> Option<IpAddr> {
    match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.parse::<Ipv6Addr>().ok().map(IpAddr::V6),
        None => host.parse::<Ipv4Addr>().ok().map(IpAddr::V4),
    }
}

fn is_loopback(host: &str, ip: Option<IpAddr>) -> bool {
    match ip {
        Some(ip) => ip.is_loopback(),
        None => is_domain_or_sub(host, "localhost"),
    }
}

/// `host` is `domain` or ends in `.domain` (both lowercase: URL hosts are
/// lowercased by the parser, entries when read).
fn is_domain_or_sub(host: &str, domain: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    host == domain
        || host
            .strip_suffix(domain)
            .is_some_and(|head| head.ends_with('.'))
}

fn in_net(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    let (ip, net, width) = match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => (u128::from(a.to_bits()), u128::from(n.to_bits()), 32),
        (IpAddr::V6(a), IpAddr::V6(n)) => (a.to_bits(), n.to_bits(), 128),
        _ => return false,
    };
    let shift = width - u32::from(bits);
    // `bits` is at most `width`; a shift of the full width means "/0".
    ip.checked_shr(shift).unwrap_or(0) == net.checked_shr(shift).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn goes_direct(list: &str, url: &str) -> bool {
        NoProxy::parse(list).matches(&Url::parse(url).unwrap())
    }

    #[test]
    fn star_matches_everything() {
        assert!(goes_direct("*", "http://example.com/"));
        assert!(goes_direct(" foo.org , * ", "https://10.1.2.3/"));
        // `*` only counts alone: inside a name it is not a wildcard.
        assert!(!goes_direct("*example.com", "http://a.example.com/"));
    }

    #[test]
    fn domains_match_themselves_and_subdomains_only() {
        for list in [
            "example.com",
            ".example.com",
            "*.example.com",
            "EXAMPLE.com.",
        ] {
            assert!(goes_direct(list, "http://example.com/"), "{list}");
            assert!(goes_direct(list, "http://a.b.example.com/"), "{list}");
            assert!(!goes_direct(list, "http://badexample.com/"), "{list}");
            assert!(!goes_direct(list, "http://example.com.evil.org/"), "{list}");
        }
        assert!(goes_direct(
            "foo.org,  example.com  ,",
            "http://x.example.com/"
        ));
        assert!(!goes_direct("", "http://example.com/"));
        assert!(!goes_direct(" , ,", "http://example.com/"));
    }

    #[test]
    fn an_entry_with_a_port_matches_only_that_port() {
        assert!(goes_direct("example.com:8080", "http://example.com:8080/"));
        assert!(!goes_direct("example.com:8080", "http://example.com/"));
        // The scheme's default port counts.
        assert!(goes_direct("example.com:443", "https://a.example.com/"));
        assert!(!goes_direct("example.com:443", "http://a.example.com/"));
        assert!(goes_direct("10.1.2.3:80", "http://10.1.2.3/"));
        assert!(!goes_direct("10.1.2.3:81", "http://10.1.2.3/"));
        assert!(goes_direct("[fd00::1]:8080", "http://[fd00::1]:8080/"));
        assert!(!goes_direct("[fd00::1]:8080", "http://[fd00::1]:8081/"));
        // An unreadable port makes the entry void, not a wildcard.
        assert!(!goes_direct("example.com:http", "http://example.com/"));
    }

    #[test]
    fn ip_addresses_and_ranges() {
        assert!(goes_direct("10.1.2.3", "http://10.1.2.3/"));
        assert!(!goes_direct("10.1.2.3", "http://10.1.2.4/"));
        assert!(goes_direct("10.0.0.0/8", "http://10.200.3.4:9000/"));
        assert!(!goes_direct("10.0.0.0/8", "http://11.0.0.1/"));
        assert!(goes_direct("192.168.1.0/24", "http://192.168.1.77/"));
        assert!(!goes_direct("192.168.1.0/24", "http://192.168.2.77/"));
        assert!(goes_direct("0.0.0.0/0", "http://8.8.8.8/"));
        assert!(goes_direct("fd00::/8", "http://[fd12:3456::1]/"));
        assert!(!goes_direct("fd00::/8", "http://[fe80::1]/"));
        assert!(goes_direct("2001:db8::1", "http://[2001:db8::1]/"));
        assert!(goes_direct("[2001:db8::1]", "http://[2001:db8::1]/"));
        // Families never mix, and names are not resolved.
        assert!(!goes_direct("10.0.0.0/8", "http://[::ffff:10.0.0.1]/"));
        assert!(!goes_direct("10.0.0.0/8", "http://ten.example/"));
        // Bad ranges are ignored.
        assert!(!goes_direct("10.0.0.0/33", "http://10.0.0.1/"));
        assert!(!goes_direct("10.0.0.0/x", "http://10.0.0.1/"));
        // A numeric host is read as the WHATWG parser reads it.
        assert!(goes_direct("10.0.0.0/8", "http://0x0a.1/"));
    }

    #[test]
    fn loopback_goes_direct_unless_told_otherwise() {
        for url in [
            "http://localhost:8080/",
            "http://api.localhost/",
            "http://127.0.0.1/",
            "http://127.9.9.9/",
            "http://[::1]:3000/",
        ] {
            assert!(goes_direct("", url), "{url}");
            assert!(!goes_direct("<-loopback>", url), "{url}");
        }
        assert!(!goes_direct("", "http://localhost.example.com/"));
        assert!(goes_direct("<-loopback>, 127.0.0.1", "http://127.0.0.1/"));
    }
}
