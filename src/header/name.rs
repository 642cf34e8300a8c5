//! [`HeaderName`], the registered names as constants, and
//! [`InvalidHeaderName`].

use super::bytes::FieldBytes;
use crate::chars::is_tchar;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A header field name: a token (RFC 9110 §5.1), such as `content-type`.
///
/// Field names are case-insensitive, and so is everything `HeaderName`
/// does: equality (also with a `&str`), hashing, and lookups in a
/// [`HeaderMap`](super::HeaderMap). A name keeps the case it was made
/// with, and a request sends it so (`X-Request-Id` goes on the wire as
/// `X-Request-Id`); the constants of this module, and names in a response
/// (whatever case the server used), are lowercase, as in the `http` crate.
///
/// ```
/// use brisk::header::{self, HeaderName};
///
/// let name = HeaderName::from_bytes(b"Content-Type")?;
/// assert_eq!(name, header::CONTENT_TYPE);
/// assert_eq!(name, "content-type");
/// assert_eq!(header::CONTENT_TYPE.as_str(), "content-type");
/// assert!(HeaderName::from_bytes(b"bad name").is_err());
/// # Ok::<(), brisk::header::InvalidHeaderName>(())
/// ```
#[derive(Clone)]
pub struct HeaderName {
    /// Invariant: a non-empty token, so ASCII.
    bytes: FieldBytes,
}

impl HeaderName {
    /// A name from a literal, checked at compile time when used in a
    /// `const`.
    ///
    /// # Panics
    /// If `name` is not a token (empty, or with a space, a control byte, a
    /// `:` or another separator). Use [`HeaderName::from_bytes`] for names
    /// that are not literals.
    pub const fn from_static(name: &'static str) -> HeaderName {
        assert!(is_token(name.as_bytes()), "invalid header name");
        HeaderName {
            bytes: FieldBytes::Static(name.as_bytes()),
        }
    }

    /// A name from bytes, kept in the case given.
    pub fn from_bytes(name: &[u8]) -> Result<HeaderName, InvalidHeaderName> {
        if !is_token(name) {
            return Err(InvalidHeaderName);
        }
        Ok(HeaderName {
            bytes: FieldBytes::copy_from(name),
        })
    }

    /// A name from a response head, already checked to be a token; `bytes`
    /// is already lowercase.
    pub(crate) fn from_parsed(bytes: FieldBytes) -> HeaderName {
        HeaderName { bytes }
    }

    /// The name as a string, in the case it was made with.
    pub fn as_str(&self) -> &str {
        // A token is ASCII, so this never falls back.
        std::str::from_utf8(self.bytes.as_bytes()).unwrap_or_default()
    }

    /// The name's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.as_bytes()
    }

    /// Whether this is `name`, ignoring ASCII case.
    #[inline]
    pub(crate) fn is(&self, name: &[u8]) -> bool {
        self.bytes.as_bytes().eq_ignore_ascii_case(name)
    }
}

/// `!#$%&'*+-.^_`|~`, digits and letters, at least one.
const fn is_token(b: &[u8]) -> bool {
    if b.is_empty() {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if !is_tchar(b[i]) {
            return false;
        }
        i += 1;
    }
    true
}

impl PartialEq for HeaderName {
    fn eq(&self, other: &HeaderName) -> bool {
        self.is(other.as_bytes())
    }
}
impl Eq for HeaderName {}

impl Hash for HeaderName {
    /// Hashes the lowercase bytes, so that names equal ignoring case hash
    /// alike.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let bytes = self.as_bytes();
        state.write_usize(bytes.len());
        for b in bytes {
            state.write_u8(b.to_ascii_lowercase());
        }
    }
}

impl PartialEq<str> for HeaderName {
    fn eq(&self, other: &str) -> bool {
        self.is(other.as_bytes())
    }
}
impl PartialEq<&str> for HeaderName {
    fn eq(&self, other: &&str) -> bool {
        self.is(other.as_bytes())
    }
}
impl PartialEq<HeaderName> for str {
    fn eq(&self, other: &HeaderName) -> bool {
        other.is(self.as_bytes())
    }
}
impl PartialEq<HeaderName> for &str {
    fn eq(&self, other: &HeaderName) -> bool {
        other.is(self.as_bytes())
    }
}

impl fmt::Debug for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AsRef<str> for HeaderName {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}
impl AsRef<[u8]> for HeaderName {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl std::str::FromStr for HeaderName {
    type Err = InvalidHeaderName;
    fn from_str(s: &str) -> Result<HeaderName, InvalidHeaderName> {
        HeaderName::from_bytes(s.as_bytes())
    }
}

impl From<&HeaderName> for HeaderName {
    fn from(name: &HeaderName) -> HeaderName {
        name.clone()
    }
}

impl TryFrom<&str> for HeaderName {
    type Error = InvalidHeaderName;
    fn try_from(s: &str) -> Result<HeaderName, InvalidHeaderName> {
        HeaderName::from_bytes(s.as_bytes())
    }
}
impl TryFrom<&String> for HeaderName {
    type Error = InvalidHeaderName;
    fn try_from(s: &String) -> Result<HeaderName, InvalidHeaderName> {
        HeaderName::from_bytes(s.as_bytes())
    }
}
impl TryFrom<String> for HeaderName {
    type Error = InvalidHeaderName;
    fn try_from(s: String) -> Result<HeaderName, InvalidHeaderName> {
        if !is_token(s.as_bytes()) {
            return Err(InvalidHeaderName);
        }
        Ok(HeaderName {
            bytes: FieldBytes::from_vec(s.into_bytes()),
        })
    }
}
impl TryFrom<&[u8]> for HeaderName {
    type Error = InvalidHeaderName;
    fn try_from(b: &[u8]) -> Result<HeaderName, InvalidHeaderName> {
        HeaderName::from_bytes(b)
    }
}

/// A header name that is not a token: empty, or with a space, a control
/// byte, a `:` or another separator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidHeaderName;

impl fmt::Display for InvalidHeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid header name")
    }
}

impl std::error::Error for InvalidHeaderName {}

/// One constant per registered name, each with a doc line naming it.
macro_rules! standard_names {
    ($($(#[$doc:meta])* $konst:ident = $name:literal;)+) => {
        $(
            #[doc = concat!("`", $name, "`.")]
            $(#[$doc])*
            pub const $konst: HeaderName = HeaderName::from_static($name);
        )+

        #[cfg(test)]
        pub(super) const STANDARD: &[HeaderName] = &[$($konst),+];
    };
}

// The names the `http` crate lists (the IANA registry's common ones, the
// fetch and CORS names, and a few de facto standards).
standard_names! {
    ACCEPT = "accept";
    ACCEPT_CHARSET = "accept-charset";
    ACCEPT_ENCODING = "accept-encoding";
    ACCEPT_LANGUAGE = "accept-language";
    ACCEPT_RANGES = "accept-ranges";
    ACCESS_CONTROL_ALLOW_CREDENTIALS = "access-control-allow-credentials";
    ACCESS_CONTROL_ALLOW_HEADERS = "access-control-allow-headers";
    ACCESS_CONTROL_ALLOW_METHODS = "access-control-allow-methods";
    ACCESS_CONTROL_ALLOW_ORIGIN = "access-control-allow-origin";
    ACCESS_CONTROL_EXPOSE_HEADERS = "access-control-expose-headers";
    ACCESS_CONTROL_MAX_AGE = "access-control-max-age";
    ACCESS_CONTROL_REQUEST_HEADERS = "access-control-request-headers";
    ACCESS_CONTROL_REQUEST_METHOD = "access-control-request-method";
    AGE = "age";
    ALLOW = "allow";
    ALT_SVC = "alt-svc";
    /// Credentials: never sent to another origin, never shown by `Debug`.
    AUTHORIZATION = "authorization";
    CACHE_CONTROL = "cache-control";
    CACHE_STATUS = "cache-status";
    CDN_CACHE_CONTROL = "cdn-cache-control";
    CONNECTION = "connection";
    CONTENT_DISPOSITION = "content-disposition";
    CONTENT_ENCODING = "content-encoding";
    CONTENT_LANGUAGE = "content-language";
    /// brisk writes it itself from the body: a request may not set it.
    CONTENT_LENGTH = "content-length";
    CONTENT_LOCATION = "content-location";
    CONTENT_RANGE = "content-range";
    CONTENT_SECURITY_POLICY = "content-security-policy";
    CONTENT_SECURITY_POLICY_REPORT_ONLY = "content-security-policy-report-only";
    CONTENT_TYPE = "content-type";
    /// Credentials: never sent to another origin, never shown by `Debug`.
    COOKIE = "cookie";
    DNT = "dnt";
    DATE = "date";
    ETAG = "etag";
    EXPECT = "expect";
    EXPIRES = "expires";
    FORWARDED = "forwarded";
    FROM = "from";
    HOST = "host";
    IF_MATCH = "if-match";
    IF_MODIFIED_SINCE = "if-modified-since";
    IF_NONE_MATCH = "if-none-match";
    IF_RANGE = "if-range";
    IF_UNMODIFIED_SINCE = "if-unmodified-since";
    LAST_MODIFIED = "last-modified";
    LINK = "link";
    LOCATION = "location";
    MAX_FORWARDS = "max-forwards";
    ORIGIN = "origin";
    PRAGMA = "pragma";
    PROXY_AUTHENTICATE = "proxy-authenticate";
    /// Credentials: never sent to another origin, never shown by `Debug`.
    PROXY_AUTHORIZATION = "proxy-authorization";
    PUBLIC_KEY_PINS = "public-key-pins";
    PUBLIC_KEY_PINS_REPORT_ONLY = "public-key-pins-report-only";
    RANGE = "range";
    REFERER = "referer";
    REFERRER_POLICY = "referrer-policy";
    REFRESH = "refresh";
    RETRY_AFTER = "retry-after";
    SEC_WEBSOCKET_ACCEPT = "sec-websocket-accept";
    SEC_WEBSOCKET_EXTENSIONS = "sec-websocket-extensions";
    SEC_WEBSOCKET_KEY = "sec-websocket-key";
    SEC_WEBSOCKET_PROTOCOL = "sec-websocket-protocol";
    SEC_WEBSOCKET_VERSION = "sec-websocket-version";
    SERVER = "server";
    SET_COOKIE = "set-cookie";
    STRICT_TRANSPORT_SECURITY = "strict-transport-security";
    TE = "te";
    TRAILER = "trailer";
    /// brisk writes it itself for a streamed body: a request may not set
    /// it.
    TRANSFER_ENCODING = "transfer-encoding";
    UPGRADE = "upgrade";
    UPGRADE_INSECURE_REQUESTS = "upgrade-insecure-requests";
    USER_AGENT = "user-agent";
    VARY = "vary";
    VIA = "via";
    WARNING = "warning";
    WWW_AUTHENTICATE = "www-authenticate";
    X_CONTENT_TYPE_OPTIONS = "x-content-type-options";
    X_DNS_PREFETCH_CONTROL = "x-dns-prefetch-control";
    X_FRAME_OPTIONS = "x-frame-options";
    X_XSS_PROTECTION = "x-xss-protection";
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;

    fn hash(n: &HeaderName) -> u64 {
        let mut h = DefaultHasher::new();
        n.hash(&mut h);
        h.finish()
    }

    #[test]
    fn constants_are_lowercase_tokens() {
        for n in STANDARD {
            assert_eq!(n.as_str(), n.as_str().to_ascii_lowercase());
            assert_eq!(HeaderName::from_bytes(n.as_bytes()).as_ref(), Ok(n));
        }
        assert_eq!(STANDARD.len(), 81);
    }

    #[test]
    fn case_is_kept_but_never_compared() {
        let n = HeaderName::from_bytes(b"X-Request-Id").unwrap();
        assert_eq!(n.as_str(), "X-Request-Id");
        assert_eq!(n, HeaderName::from_static("x-request-id"));
        assert_eq!(n, "X-REQUEST-ID");
        assert_eq!("x-request-id", n);
        assert_eq!(hash(&n), hash(&HeaderName::from_static("x-REQUEST-id")));
        assert_ne!(n, "x-request");
        assert_eq!(n.to_string(), "X-Request-Id");
        assert_eq!(format!("{n:?}"), "\"X-Request-Id\"");
    }

    #[test]
    fn only_tokens_are_names() {
        for bad in [
            &b""[..],
            b"a b",
            b"a:b",
            b"a\r\nb",
            b"\0",
            b"caf\xc3\xa9",
            b"(x)",
        ] {
            assert_eq!(
                HeaderName::from_bytes(bad),
                Err(InvalidHeaderName),
                "{bad:?}"
            );
        }
        assert!(HeaderName::try_from("X-Ok_~!#$%&'*+.^`|").is_ok());
        let long = "x".repeat(100);
        assert_eq!(HeaderName::try_from(long.clone()).unwrap().as_str(), long);
        assert!(HeaderName::try_from(String::from("a b")).is_err());
        assert_eq!("Accept".parse::<HeaderName>().unwrap(), ACCEPT);
    }

    #[test]
    #[should_panic(expected = "invalid header name")]
    fn from_static_panics_on_a_bad_literal() {
        let _ = HeaderName::from_static("bad name");
    }
}
