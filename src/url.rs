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
//!
//! The accessors are shaped like those of the `url` crate (which reqwest
//! re-exports), so that code written against reqwest's `Url` compiles.
//! Submodules: `host` (the host and port), `ipv4` (numeric hosts),
//! `encode` (percent-encoding both ways), `query` (the decoded query
//! pairs), `join` (resolving a reference), `fragment` (kept for the
//! caller, never sent).

mod encode;
mod fragment;
mod host;
mod ipv4;
mod join;
mod query;
mod shared;
#[cfg(test)]
mod tests;

pub(crate) use encode::form_urlencode_into;
use encode::{encode_into, percent_decode, PATH_CHARS, QUERY_CHARS};
pub use host::Host;
use host::{parse_host_port, HostKind};
pub use query::{QueryPairs, QuerySerializer};
use std::fmt::{self, Write as _};
use std::sync::Arc;

/// The scheme of a [`Url`].
///
/// Compares with a string, as the `url` crate's `&str` scheme does:
///
/// ```
/// let url = brisk::Url::parse("HTTPS://example.com/")?;
/// assert!(url.scheme() == "https");
/// assert_eq!(url.scheme().as_str(), "https");
/// assert_eq!(url.scheme().to_string(), "https");
/// # Ok::<(), brisk::UrlError>(())
/// ```
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

impl fmt::Display for Scheme {
    /// `http` or `https`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// Comparisons with text, both ways round, with `str` and `&str`. Exact and
// case-sensitive, like comparing the `url` crate's `scheme()`: a parsed
// scheme is lowercase whatever the input's case.
impl PartialEq<str> for Scheme {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Scheme {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<Scheme> for str {
    fn eq(&self, other: &Scheme) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Scheme> for &str {
    fn eq(&self, other: &Scheme) -> bool {
        *self == other.as_str()
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
/// assert!(url.scheme() == "https");
/// assert_eq!(url.host_str(), Some("example.com"));
/// assert_eq!(url.port(), Some(8443));
/// assert_eq!(url.request_target(), "/a%20b?q=1");
/// assert_eq!(url.username(), "user");
/// assert_eq!(url.password(), Some("pa ss"));
/// assert_eq!(url.as_str(), "https://example.com:8443/a%20b?q=1");
/// # Ok::<(), brisk::UrlError>(())
/// ```
///
/// # Differences from the `url` crate
///
/// - Only `http` and `https` parse, so [`Url::host_str`],
///   [`Url::port_or_known_default`] and [`Url::path_segments`] are always
///   `Some`; they are `Option`s so that code written for `url::Url`
///   compiles unchanged.
/// - The fragment (`#...`) is kept for [`Url::fragment`], but it is never
///   sent, and [`Url::as_str`] and `Display` leave it out (the `url`
///   crate's include it).
/// - [`Url::as_str`] and `Display` leave out the userinfo, so that a URL
///   printed in a log or an error never shows a password; the user name
///   and password are kept beside it ([`Url::username`],
///   [`Url::password`]).
/// - Dot segments (`/a/../b`) are kept as written when parsing (the server
///   sees the path it was given) and removed only by [`Url::join`].
/// - Non-ASCII host names are refused (pass the punycode `xn--` form).
///
/// For a URL without userinfo or fragment, `Url::parse(url.as_str())`
/// gives the same URL back, after parsing and after every setter.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Url {
    /// `scheme://host[:port]/path[?query]`, percent-encoded, without
    /// userinfo or fragment: everything a request needs is a slice of it,
    /// so a parsed URL costs one allocation, and a clone none (the text
    /// is shared; a setter writes a new one).
    serialization: Arc<str>,
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
    /// After `#`, percent-encoded; `Some("")` for a bare `#`. Boxed: most
    /// URLs have none, and a `None` costs a pointer's width.
    fragment: Option<Box<str>>,
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
        let (rest, fragment) = match rest.split_once('#') {
            Some((rest, fragment)) => (rest, Some(fragment::encode(fragment))),
            None => (rest, None),
        };
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
        let decode = |s| percent_decode(s, false).into_owned();
        let (username, password) = match userinfo {
            None => (String::new(), None),
            Some(ui) => match ui.split_once(':') {
                Some((u, p)) => (decode(u), Some(decode(p))),
                None => (decode(ui), None),
            },
        };
        let write = |serialization: &mut String| {
            serialization.clear();
            let written = Url::write(serialization, scheme, kind, host_text, port, path_and_query);
            // A huge URL's buffer is not kept for the thread's lifetime.
            if serialization.capacity() > 4096 {
                *serialization = String::new();
            }
            written
        };
        // The thread's buffer, unless it is gone (this thread is ending, and
        // a destructor parses a URL) or in use: then a buffer of its own.
        SCRATCH
            .try_with(|cell| cell.try_borrow_mut().ok().map(|mut s| write(&mut s)))
            .ok()
            .flatten()
            .unwrap_or_else(|| write(&mut String::new()))
            .map(|(serialization, offsets)| Url {
                serialization,
                scheme,
                host: kind,
                port,
                host_start: offsets[0],
                host_end: offsets[1],
                path_start: offsets[2],
                query_start: offsets[3].checked_sub(1),
                username,
                password,
                fragment,
            })
    }

    /// Writes the serialization of a parsed URL into `serialization` (a
    /// reused buffer) and copies it into its one allocation. Returns it,
    /// with the host start, host end, path start and 1 + query start (0:
    /// no query).
    fn write(
        serialization: &mut String,
        scheme: Scheme,
        kind: HostKind,
        host_text: &str,
        port: u16,
        path_and_query: &str,
    ) -> Result<(Arc<str>, [u32; 4]), UrlError> {
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
                    push_decimal(serialization, u16::from(octet));
                }
            }
            HostKind::Ipv6(a) => {
                let _ = write!(serialization, "[{a}]");
            }
        }
        let host_end = serialization.len() as u32;
        if port != scheme.default_port() {
            serialization.push(':');
            push_decimal(serialization, port);
        }
        let path_start = serialization.len() as u32;
        let (path, query) = split_target(path_and_query);
        let query_start = write_target(serialization, path, query, true);
        let offsets = [
            host_start,
            host_end,
            path_start,
            query_start.map_or(0, |q| q + 1),
        ];
        Ok((Arc::from(serialization.as_str()), offsets))
    }

    /// Replaces path and query from an (unencoded or encoded) `path?query`.
    fn set_target(&mut self, path_and_query: &str) {
        let (path, query) = split_target(path_and_query);
        self.set_target_parts(path, query, true);
    }

    /// Rewrites the serialization: `f` gets a copy to change, and the
    /// query start to keep up to date.
    fn edit(&mut self, f: impl FnOnce(&mut String, &mut Option<u32>)) {
        let mut s = String::from(&*self.serialization);
        f(&mut s, &mut self.query_start);
        self.serialization = Arc::from(s);
    }

    /// Replaces path and query (see [`write_target`]).
    fn set_target_parts(&mut self, path: &str, query: Option<&str>, encode_query: bool) {
        let path_start = self.path_start as usize;
        self.edit(|s, query_start| {
            s.truncate(path_start);
            *query_start = write_target(s, path, query, encode_query);
        });
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host.
    pub fn host(&self) -> Host {
        match self.host {
            HostKind::Domain => Host::Domain(self.host_text().to_string()),
            HostKind::Ipv4(a) => Host::Ipv4(a),
            HostKind::Ipv6(a) => Host::Ipv6(a),
        }
    }

    /// The host as written in a URL: a lowercased name, dotted IPv4, or
    /// bracketed IPv6 (`[::1]`), as the `url` crate writes it. Always
    /// `Some` for the URLs brisk parses.
    ///
    /// ```
    /// let url = brisk::Url::parse("http://[::1]:8080/")?;
    /// assert_eq!(url.host_str(), Some("[::1]"));
    /// # Ok::<(), brisk::UrlError>(())
    /// ```
    pub fn host_str(&self) -> Option<&str> {
        Some(self.host_text())
    }

    /// The host as written in the URL: what [`Url::host_str`] returns,
    /// without the `Option` (brisk's URLs always have a host).
    pub(crate) fn host_text(&self) -> &str {
        &self.serialization[self.host_start as usize..self.host_end as usize]
    }

    /// The registered name, if the host is one (not an IP address).
    ///
    /// ```
    /// use brisk::Url;
    /// assert_eq!(Url::parse("http://Example.com/")?.domain(), Some("example.com"));
    /// assert_eq!(Url::parse("http://127.0.0.1/")?.domain(), None);
    /// # Ok::<(), brisk::UrlError>(())
    /// ```
    pub fn domain(&self) -> Option<&str> {
        match self.host {
            HostKind::Domain => Some(self.host_text()),
            HostKind::Ipv4(_) | HostKind::Ipv6(_) => None,
        }
    }

    /// The port written in the URL, or `None` if there is none or it is
    /// the scheme's default (`https://h:443/` has none), as in the `url`
    /// crate. The port to connect to is [`Url::port_or_known_default`].
    ///
    /// ```
    /// use brisk::Url;
    /// assert_eq!(Url::parse("http://h:8080/")?.port(), Some(8080));
    /// assert_eq!(Url::parse("http://h:80/")?.port(), None);
    /// assert_eq!(Url::parse("http://h/")?.port_or_known_default(), Some(80));
    /// # Ok::<(), brisk::UrlError>(())
    /// ```
    pub fn port(&self) -> Option<u16> {
        (self.port != self.scheme.default_port()).then_some(self.port)
    }

    /// The port: explicit, or the scheme's default. Always `Some` for the
    /// URLs brisk parses.
    pub fn port_or_known_default(&self) -> Option<u16> {
        Some(self.port)
    }

    /// The port to connect to: explicit, or the scheme's default.
    pub(crate) fn effective_port(&self) -> u16 {
        self.port
    }

    /// The path, percent-encoded, always starting with `/`.
    pub fn path(&self) -> &str {
        let end = self
            .query_start
            .map_or(self.serialization.len(), |q| q as usize);
        &self.serialization[self.path_start as usize..end]
    }

    /// The path's segments, split on `/` after the leading one, still
    /// percent-encoded. Always `Some` for the URLs brisk parses (the `url`
    /// crate returns `None` for URLs like `mailto:` that have no
    /// hierarchy). `/` gives one empty segment, as in the `url` crate.
    ///
    /// ```
    /// let url = brisk::Url::parse("https://h/v1/models/gpt%204")?;
    /// let segments: Vec<&str> = url.path_segments().map(|s| s.collect()).unwrap_or_default();
    /// assert_eq!(segments, ["v1", "models", "gpt%204"]);
    /// assert_eq!(url.path_segments().and_then(|s| s.last()), Some("gpt%204"));
    /// # Ok::<(), brisk::UrlError>(())
    /// ```
    pub fn path_segments(&self) -> Option<std::str::Split<'_, char>> {
        // The path always starts with `/` (see `set_target_parts`).
        Some(self.path()[1..].split('/'))
    }

    /// The query without its `?`, percent-encoded, if there is one (`?`
    /// alone gives `Some("")`).
    pub fn query(&self) -> Option<&str> {
        self.query_start
            .map(|q| &self.serialization[q as usize + 1..])
    }

    /// The query's `name=value` pairs, decoded as a form: `+` is a space,
    /// `%XX` escapes are decoded, invalid UTF-8 is replaced. See
    /// [`QueryPairs`] for the exact rules.
    ///
    /// ```
    /// let url = brisk::Url::parse("https://h/?model=gpt+4&n=2")?;
    /// let n = url.query_pairs().find(|(k, _)| k == "n").map(|(_, v)| v.into_owned());
    /// assert_eq!(n.as_deref(), Some("2"));
    /// # Ok::<(), brisk::UrlError>(())
    /// ```
    pub fn query_pairs(&self) -> QueryPairs<'_> {
        QueryPairs::new(self.query())
    }

    /// Replaces the path. What cannot appear in a path is percent-encoded
    /// (a space, non-ASCII, `?`, `#`...); `%` is kept, so an
    /// already-encoded path stays as it is. A missing leading `/` is
    /// added, and `\` is a `/`, as when parsing. The query is kept.
    ///
    /// ```
    /// let mut url = brisk::Url::parse("https://h/old?x=1")?;
    /// url.set_path("v1/caf\u{e9} menu");
    /// assert_eq!(url.as_str(), "https://h/v1/caf%C3%A9%20menu?x=1");
    /// assert_eq!(brisk::Url::parse(url.as_str())?, url);
    /// # Ok::<(), brisk::UrlError>(())
    /// ```
    pub fn set_path(&mut self, path: &str) {
        let query = self.query().map(str::to_string);
        self.set_target_parts(path, query.as_deref(), false);
    }

    /// Replaces the query (`None` removes it, `?` and all). What cannot
    /// appear in a query is percent-encoded (a space, non-ASCII, `#`...);
    /// `%`, `&`, `=` and `+` are kept as given, so `Some("a=1&b=2")` gives
    /// two pairs. To add one pair with its name and value encoded, use
    /// [`Url::append_query_pair`].
    ///
    /// ```
    /// let mut url = brisk::Url::parse("https://h/p?old")?;
    /// url.set_query(Some("q=caf\u{e9} au lait&n=1"));
    /// assert_eq!(url.as_str(), "https://h/p?q=caf%C3%A9%20au%20lait&n=1");
    /// url.set_query(None);
    /// assert_eq!(url.as_str(), "https://h/p");
    /// # Ok::<(), brisk::UrlError>(())
    /// ```
    pub fn set_query(&mut self, query: Option<&str>) {
        self.edit(|s, query_start| {
            s.truncate(query_start.map_or(s.len(), |q| q as usize));
            *query_start = None;
            if let Some(q) = query {
                *query_start = Some(s.len() as u32);
                s.push('?');
                encode_into(s, q, QUERY_CHARS, false);
            }
        });
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

    /// The URL as a string, without userinfo or fragment. Parsing it gives
    /// this URL back (less the userinfo).
    pub fn as_str(&self) -> &str {
        &self.serialization
    }

    /// Appends `key=value` to the query, each form-urlencoded.
    pub fn append_query_pair(&mut self, key: &str, value: &str) {
        self.edit(|s, query_start| {
            match query_start {
                Some(_) if !s.ends_with(['?', '&']) => s.push('&'),
                Some(_) => {}
                None => {
                    *query_start = Some(s.len() as u32);
                    s.push('?');
                }
            }
            form_urlencode_into(s, key);
            s.push('=');
            form_urlencode_into(s, value);
        });
    }

    /// Whether `self` and `other` share scheme, host and port: an "origin"
    /// (RFC 6454), across which credentials may be sent.
    pub fn same_origin(&self, other: &Url) -> bool {
        self.origin() == other.origin()
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

thread_local! {
    /// The buffer a URL is written in before its one allocation.
    static SCRATCH: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// `path?query` split at the first `?`.
fn split_target(path_and_query: &str) -> (&str, Option<&str>) {
    match path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_and_query, None),
    }
}

/// Appends path and query to `s` (which ends where the path starts); the
/// query's start, if there is one. The path always starts with `/` (added
/// if missing), which `path_segments` relies on; a `?` in it is
/// percent-encoded, so the query starts where the offset says. Without
/// `encode_query`, `query` is already in its encoded form and is copied as
/// it is.
fn write_target(
    s: &mut String,
    path: &str,
    query: Option<&str>,
    encode_query: bool,
) -> Option<u32> {
    if !path.starts_with(['/', '\\']) {
        s.push('/');
    }
    // Backslashes are path separators to browsers and curl alike.
    encode_into(s, path, PATH_CHARS, true);
    let q = query?;
    let start = s.len() as u32;
    s.push('?');
    if encode_query {
        encode_into(s, q, QUERY_CHARS, false);
    } else {
        s.push_str(q);
    }
    Some(start)
}

fn push_decimal(out: &mut String, n: u16) {
    let mut buf = [0; 20];
    let digits = crate::chars::decimal(u64::from(n), &mut buf);
    // ASCII digits: each byte is its char, no UTF-8 check needed.
    out.extend(digits.iter().map(|&d| char::from(d)));
}
