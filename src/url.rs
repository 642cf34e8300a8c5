//! URLs for `http` and `https`, and nothing else (RFC 3986, as browsers and
//! curl read it for these two schemes).
//!
//! ```text
//! http-URL = "http" / "https" "://" [ userinfo "@" ] host [ ":" port ] path-abempty [ "?" query ] [ "#" fragment ]
//! ```
//!
//! Parsing produces the pieces a request needs: where to connect (host,
//! port, TLS or not), what to put in the request-target (path and query,
//! percent-encoded as needed; never the userinfo, never the fragment), and
//! the credentials the userinfo carried (sent later as Basic auth).

mod ipv4;

use crate::h1::ascii_set;
use std::fmt::{self, Write as _};
use std::net::{Ipv4Addr, Ipv6Addr};

/// The scheme of a [`Url`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Plain-text HTTP, default port 80.
    Http,
    /// HTTP over TLS, default port 443.
    Https,
}

impl Scheme {
    /// `"http"` or `"https"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    /// 80 or 443.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// The host of a [`Url`].
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

/// Why a string is not a usable http(s) URL. The caller's mistake, never
/// the peer's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UrlError {
    /// There is no `scheme://` at the start.
    MissingScheme,
    /// The scheme is neither `http` nor `https`.
    UnsupportedScheme,
    /// The host is empty.
    EmptyHost,
    /// The host holds a byte that cannot be in a host name, or is a
    /// malformed IP literal.
    InvalidHost,
    /// The host holds non-ASCII characters (IDNA is not supported: pass the
    /// punycode `xn--` form).
    NonAsciiHost,
    /// The port is not a number in 1–65535.
    InvalidPort,
    /// The URL holds a space or a control character.
    InvalidCharacter,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UrlError::MissingScheme => "url has no scheme",
            UrlError::UnsupportedScheme => "url scheme is not http or https",
            UrlError::EmptyHost => "url has an empty host",
            UrlError::InvalidHost => "url host is invalid",
            UrlError::NonAsciiHost => "url host is not ascii (use its punycode form)",
            UrlError::InvalidPort => "url port is invalid",
            UrlError::InvalidCharacter => "url contains a space or control character",
        })
    }
}

impl std::error::Error for UrlError {}

/// A parsed `http` or `https` URL.
///
/// ```
/// use brisk::Url;
///
/// let url: Url = "https://user:pa%20ss@Example.COM:8443/a b?q=1#frag".replace(' ', "%20").parse()?;
/// assert_eq!(url.host_str(), "example.com");
/// assert_eq!(url.port(), 8443);
/// assert_eq!(url.request_target(), "/a%20b?q=1");
/// assert_eq!(url.username(), "user");
/// assert_eq!(url.password(), Some("pa ss"));
/// assert_eq!(url.to_string(), "https://example.com:8443/a%20b?q=1");
/// # Ok::<(), brisk::UrlError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Url {
    /// `scheme://host[:port]/path[?query]`, percent-encoded, without
    /// userinfo or fragment: everything a request needs is a slice of it,
    /// so a parsed URL costs one allocation.
    serialization: String,
    scheme: Scheme,
    host: HostKind,
    port: u16,
    host_start: u32,
    host_end: u32,
    path_start: u32,
    /// Offset of `?` in `serialization`, if there is a query.
    query_start: Option<u32>,
    username: String,
    password: Option<String>,
}

/// The host's kind and value, without the name (which lives in the
/// serialization).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum HostKind {
    Domain,
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
}

impl Url {
    /// Parses an absolute `http` or `https` URL.
    pub fn parse(input: &str) -> Result<Url, UrlError> {
        // Leading and trailing spaces and ASCII controls are ignored, as
        // browsers and curl do.
        let edge = |b: &u8| *b > b' ' && *b != 0x7f;
        let start = input.bytes().position(|b| edge(&b)).unwrap_or(input.len());
        let end = input
            .bytes()
            .rposition(|b| edge(&b))
            .map_or(start, |e| e + 1);
        let input = &input[start..end];
        let control = |c: char| c == ' ' || c.is_control();
        let ascii_control = |b: &u8| *b <= b' ' || *b == 0x7f;
        // Bytes first (the common all-ASCII case); chars only if needed,
        // for the C1 controls beyond ASCII.
        if input.as_bytes().iter().any(ascii_control)
            || (!input.is_ascii() && input.chars().any(control))
        {
            return Err(UrlError::InvalidCharacter);
        }
        let colon = input.find(':').ok_or(UrlError::MissingScheme)?;
        let (scheme, rest) = match input[colon..].strip_prefix("://") {
            Some(rest) => (&input[..colon], rest),
            None => return Err(UrlError::MissingScheme),
        };
        let scheme = if scheme.eq_ignore_ascii_case("http") {
            Scheme::Http
        } else if scheme.eq_ignore_ascii_case("https") {
            Scheme::Https
        } else if scheme.is_empty()
            || !scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        {
            return Err(UrlError::MissingScheme);
        } else {
            return Err(UrlError::UnsupportedScheme);
        };
        // The fragment is for the client alone: it is never sent.
        let rest = rest.split('#').next().unwrap_or_default();
        let authority_end = rest
            .bytes()
            .position(|b| matches!(b, b'/' | b'?' | b'\\'))
            .unwrap_or(rest.len());
        let (authority, path_and_query) = rest.split_at(authority_end);
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
            None => (None, authority),
        };
        let (kind, host_text, port) = parse_host_port(hostport, scheme)?;
        let (username, password) = match userinfo {
            None => (String::new(), None),
            Some(ui) => match ui.split_once(':') {
                Some((u, p)) => (percent_decode(u), Some(percent_decode(p))),
                None => (percent_decode(ui), None),
            },
        };
        let mut serialization = String::with_capacity(input.len() + 8);
        serialization.push_str(scheme.as_str());
        serialization.push_str("://");
        let host_start = serialization.len() as u32;
        match kind {
            // Registered names are case-insensitive: lowercased once, here.
            HostKind::Domain => {
                serialization.push_str(host_text);
                serialization[host_start as usize..].make_ascii_lowercase();
            }
            // Written in its one canonical form, whatever form it was read
            // in, so that `127.1` and `127.0.0.1` are one origin and one
            // `Host`.
            HostKind::Ipv4(a) => {
                // Octet by octet: `fmt` would cost more than the whole
                // rest of the URL.
                for (i, octet) in a.octets().into_iter().enumerate() {
                    if i > 0 {
                        serialization.push('.');
                    }
                    push_decimal(&mut serialization, u16::from(octet));
                }
            }
            HostKind::Ipv6(a) => {
                let _ = write!(serialization, "[{a}]");
            }
        }
        let host_end = serialization.len() as u32;
        if port != scheme.default_port() {
            serialization.push(':');
            push_decimal(&mut serialization, port);
        }
        let path_start = serialization.len() as u32;
        let mut url = Url {
            serialization,
            scheme,
            host: kind,
            port,
            host_start,
            host_end,
            path_start,
            query_start: None,
            username,
            password,
        };
        url.set_target(path_and_query);
        Ok(url)
    }

    /// Replaces path and query from an (unencoded or encoded) `path?query`.
    fn set_target(&mut self, path_and_query: &str) {
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path_and_query, None),
        };
        let target = &mut self.serialization;
        target.truncate(self.path_start as usize);
        if !path.starts_with(['/', '\\']) {
            target.push('/');
        }
        // Backslashes are path separators to browsers and curl alike.
        encode_into(target, path, PATH_CHARS, true);
        self.query_start = None;
        if let Some(q) = query {
            self.query_start = Some(target.len() as u32);
            target.push('?');
            encode_into(target, q, QUERY_CHARS, false);
        }
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host.
    pub fn host(&self) -> Host {
        match self.host {
            HostKind::Domain => Host::Domain(self.host_str().to_string()),
            HostKind::Ipv4(a) => Host::Ipv4(a),
            HostKind::Ipv6(a) => Host::Ipv6(a),
        }
    }

    /// The host as written in a URL: a lowercased name, dotted IPv4, or
    /// bracketed IPv6 (`[::1]`).
    pub fn host_str(&self) -> &str {
        &self.serialization[self.host_start as usize..self.host_end as usize]
    }

    /// The port: explicit, or the scheme's default.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The path, percent-encoded, always starting with `/`.
    pub fn path(&self) -> &str {
        let end = self
            .query_start
            .map_or(self.serialization.len(), |q| q as usize);
        &self.serialization[self.path_start as usize..end]
    }

    /// The query without its `?`, percent-encoded, if there is one.
    pub fn query(&self) -> Option<&str> {
        self.query_start
            .map(|q| &self.serialization[q as usize + 1..])
    }

    /// The origin-form request-target: path and query.
    pub fn request_target(&self) -> &str {
        &self.serialization[self.path_start as usize..]
    }

    /// The user name from the userinfo, percent-decoded (empty if none).
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The password from the userinfo, percent-decoded.
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// The `Host` header value: the host, with the port unless it is the
    /// scheme's default.
    pub fn authority(&self) -> &str {
        &self.serialization[self.host_start as usize..self.path_start as usize]
    }

    /// `scheme://authority`: what the pool keys connections by.
    pub fn origin(&self) -> &str {
        &self.serialization[..self.path_start as usize]
    }

    /// The URL as a string, without userinfo or fragment.
    pub fn as_str(&self) -> &str {
        &self.serialization
    }

    /// Appends `key=value` to the query, each form-urlencoded.
    pub fn append_query_pair(&mut self, key: &str, value: &str) {
        let s = &mut self.serialization;
        match self.query_start {
            Some(_) if !s.ends_with(['?', '&']) => s.push('&'),
            Some(_) => {}
            None => {
                self.query_start = Some(s.len() as u32);
                s.push('?');
            }
        }
        form_urlencode_into(s, key);
        s.push('=');
        form_urlencode_into(s, value);
    }

    /// Whether `self` and `other` share scheme, host and port: an "origin"
    /// (RFC 6454), across which credentials may be sent.
    pub fn same_origin(&self, other: &Url) -> bool {
        self.origin() == other.origin()
    }

    /// Resolves `reference` (a `Location` value) against this URL, as RFC
    /// 3986 §5.2 describes: absolute, scheme-relative (`//host/x`),
    /// absolute-path (`/x`), query-only (`?q`) or relative (`x`, `../x`).
    pub fn join(&self, reference: &str) -> Result<Url, UrlError> {
        let reference = reference.trim();
        if let Some((scheme, _)) = reference.split_once("://") {
            if !scheme.is_empty()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
            {
                return Url::parse(reference);
            }
        }
        if let Some(rest) = reference.strip_prefix("//") {
            return Url::parse(&format!("{}://{rest}", self.scheme.as_str()));
        }
        let reference = reference.split('#').next().unwrap_or_default();
        let mut joined = self.clone();
        if reference.is_empty() {
            return Ok(joined);
        }
        if reference.starts_with('?') {
            let path = self.path().to_string();
            joined.set_target(&format!("{path}{reference}"));
        } else if reference.starts_with('/') {
            joined.set_target(reference);
        } else {
            let base = self.path();
            let dir = &base[..base.rfind('/').map_or(0, |i| i + 1)];
            joined.set_target(&format!("{dir}{reference}"));
        }
        if reference.chars().any(|c| c == ' ' || c.is_control()) {
            return Err(UrlError::InvalidCharacter);
        }
        joined.remove_dot_segments();
        Ok(joined)
    }

    /// RFC 3986 §5.2.4, on the path only.
    fn remove_dot_segments(&mut self) {
        let query = self.query().map(str::to_string);
        let mut out: Vec<&str> = Vec::new();
        let path = self.path().to_string();
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        let last = segments.len().saturating_sub(1);
        for (i, seg) in segments.iter().enumerate() {
            match *seg {
                "." => {
                    if i == last {
                        out.push("");
                    }
                }
                ".." => {
                    out.pop();
                    if i == last {
                        out.push("");
                    }
                }
                s => out.push(s),
            }
        }
        let mut target = String::from("/");
        target.push_str(&out.join("/"));
        if let Some(q) = query {
            target.push('?');
            target.push_str(&q);
        }
        self.set_target(&target);
    }
}

impl std::str::FromStr for Url {
    type Err = UrlError;
    fn from_str(s: &str) -> Result<Url, UrlError> {
        Url::parse(s)
    }
}

impl fmt::Display for Url {
    /// The URL without userinfo or fragment.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.serialization)
    }
}

impl fmt::Debug for Url {
    /// Like `Display`: the password is never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Url({self})")
    }
}

/// The host's kind, its text as written (what names are made of), and the
/// port.
fn parse_host_port(hostport: &str, scheme: Scheme) -> Result<(HostKind, &str, u16), UrlError> {
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

fn push_decimal(out: &mut String, n: u16) {
    let mut buf = [0; 20];
    let digits = crate::h1::decimal(u64::from(n), &mut buf);
    // ASCII digits: each byte is its char, no UTF-8 check needed.
    out.extend(digits.iter().map(|&d| char::from(d)));
}

/// pchar without `%`-encoding (RFC 3986 §3.3): unreserved, sub-delims,
/// `:`, `@`, and `/` between segments. `%` is kept so that an already
/// encoded URL stays as it is.
const PATH_CHARS: &[bool; 256] = &ascii_set(b"-._~!$&'()*+,;=:@/%");

/// Query characters (RFC 3986 §3.4): pchar, `/` and `?`.
const QUERY_CHARS: &[bool; 256] = &ascii_set(b"-._~!$&'()*+,;=:@/%?");

/// Appends `s`, percent-encoding what `allowed` does not allow (and
/// turning `\\` into `/` in a path). Runs of allowed bytes, the usual
/// case, are copied whole.
fn encode_into(out: &mut String, s: &str, allowed: &[bool; 256], path: bool) {
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

/// Decodes `%XX` escapes; invalid escapes are kept as written, and bytes
/// that do not form UTF-8 are replaced.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parts() {
        let u = url("HTTP://Example.COM/a/b?x=1&y=2#frag");
        assert_eq!(u.scheme(), Scheme::Http);
        assert_eq!(u.host(), Host::Domain("example.com".into()));
        assert_eq!(u.origin(), "http://example.com");
        assert_eq!(u.port(), 80);
        assert_eq!(u.path(), "/a/b");
        assert_eq!(u.query(), Some("x=1&y=2"));
        assert_eq!(u.request_target(), "/a/b?x=1&y=2");
        assert_eq!(u.authority(), "example.com");
        assert_eq!(url("https://h").request_target(), "/");
        assert_eq!(url("https://h?q").request_target(), "/?q");
        assert_eq!(url("https://h:443/").authority(), "h");
        assert_eq!(url("https://h:8443/").authority(), "h:8443");
        assert_eq!(url("http://h:/").port(), 80);
        assert_eq!(
            url(" \thttp://ExAmple.COM:8080/P\n ").to_string(),
            "http://example.com:8080/P"
        );
        assert_eq!(
            url("http://ExAmple.COM:8080/P").host(),
            Host::Domain("example.com".into())
        );
    }

    #[test]
    fn ip_literals() {
        assert_eq!(
            url("http://127.0.0.1:8080/").host(),
            Host::Ipv4(Ipv4Addr::new(127, 0, 0, 1))
        );
        let v6 = url("http://[::1]:9/x");
        assert_eq!(v6.host(), Host::Ipv6(Ipv6Addr::LOCALHOST));
        assert_eq!(v6.host_str(), "[::1]");
        assert_eq!(v6.authority(), "[::1]:9");
        assert_eq!(url("https://[2001:db8::1]/").port(), 443);
    }

    #[test]
    fn errors() {
        let cases = [
            ("example.com/x", UrlError::MissingScheme),
            ("ftp://example.com/", UrlError::UnsupportedScheme),
            ("http:///x", UrlError::EmptyHost),
            ("http://:80/x", UrlError::EmptyHost),
            ("http://exa mple.com/", UrlError::InvalidCharacter),
            ("http://example.com/a b", UrlError::InvalidCharacter),
            ("http://example.com/a\nb", UrlError::InvalidCharacter),
            (
                "http://example.com/a\r\nHost: evil",
                UrlError::InvalidCharacter,
            ),
            ("http://bücher.de/", UrlError::NonAsciiHost),
            ("http://ex%61mple.com/", UrlError::InvalidHost),
            ("http://a<b/", UrlError::InvalidHost),
            ("http://[::1/", UrlError::InvalidHost),
            ("http://[zz::1]/", UrlError::InvalidHost),
            ("http://[::1]x/", UrlError::InvalidHost),
            ("http://1.2.3.256/", UrlError::InvalidHost),
            ("http://h:0/", UrlError::InvalidPort),
            ("http://h:65536/", UrlError::InvalidPort),
            ("http://h:99999999999/", UrlError::InvalidPort),
            ("http://h:8o/", UrlError::InvalidPort),
            ("http://h:-1/", UrlError::InvalidPort),
        ];
        for (input, err) in cases {
            assert_eq!(Url::parse(input), Err(err), "{input}");
        }
    }

    #[test]
    fn percent_encoding_of_target() {
        assert_eq!(url("http://h/é?q=ü").request_target(), "/%C3%A9?q=%C3%BC");
        assert_eq!(url("http://h/a%20b").request_target(), "/a%20b");
        assert_eq!(
            url("http://h/\"<>`{}|^").request_target(),
            "/%22%3C%3E%60%7B%7D%7C%5E"
        );
        assert_eq!(url("http://h/a?b=/c?d").request_target(), "/a?b=/c?d");
        assert_eq!(url("http://h\\a\\b?x\\y").request_target(), "/a/b?x%5Cy");
        assert_eq!(url("http://h/€x€").request_target(), "/%E2%82%ACx%E2%82%AC");
        assert_eq!(
            Url::parse("http://h/a\u{85}b"),
            Err(UrlError::InvalidCharacter)
        );
    }

    #[test]
    fn userinfo_is_decoded_and_never_in_the_target() {
        let u = url("http://us%40er:p%3Ass@h/x");
        assert_eq!(u.username(), "us@er");
        assert_eq!(u.password(), Some("p:ss"));
        assert_eq!(u.request_target(), "/x");
        assert!(!u.to_string().contains("p:ss"));
        assert!(!format!("{u:?}").contains("ss"));
    }

    #[test]
    fn query_pairs() {
        let mut u = url("http://h/p");
        u.append_query_pair("a b", "c&d=é");
        u.append_query_pair("x", "");
        assert_eq!(u.request_target(), "/p?a+b=c%26d%3D%C3%A9&x=");
        let mut u = url("http://h/p?z=1");
        u.append_query_pair("k", "v");
        assert_eq!(u.query(), Some("z=1&k=v"));
    }

    #[test]
    fn joining_references() {
        let base = url("https://h:8443/a/b/c?q");
        assert_eq!(base.join("/x").unwrap().to_string(), "https://h:8443/x");
        assert_eq!(base.join("x").unwrap().to_string(), "https://h:8443/a/b/x");
        assert_eq!(
            base.join("../x?y").unwrap().to_string(),
            "https://h:8443/a/x?y"
        );
        assert_eq!(
            base.join("?z").unwrap().to_string(),
            "https://h:8443/a/b/c?z"
        );
        assert_eq!(
            base.join("//other/p").unwrap().to_string(),
            "https://other/p"
        );
        assert_eq!(base.join("http://o:1/").unwrap().to_string(), "http://o:1/");
        assert_eq!(base.join("./").unwrap().to_string(), "https://h:8443/a/b/");
        assert!(base.join("/a b").is_err());
    }
}
