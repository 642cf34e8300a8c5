//! A `Set-Cookie` field read as RFC 6265bis §5.6 says: the name and value,
//! then each attribute brisk knows. Attributes it does not know, and
//! attribute values that do not parse, are ignored (as the RFC says), never
//! an error: a cookie that cannot be read at all is `None`.

use super::date::parse_cookie_date;
use std::time::{Duration, SystemTime};

/// The most bytes a cookie's name and value may hold together (RFC 6265bis
/// §5.6 step 6): a longer one is ignored whole.
pub const MAX_NAME_VALUE_BYTES: usize = 4096;

/// The most bytes an attribute's value may hold (RFC 6265bis §5.6): a
/// longer one is ignored, the cookie kept.
const MAX_ATTRIBUTE_VALUE_BYTES: usize = 1024;

/// Where a cookie may go along with requests that other sites start
/// (the `SameSite` attribute, RFC 6265bis §5.6.7). brisk keeps it but does
/// not apply it: a program has no "site" that starts a request, so every
/// request brisk sends is same-site in the RFC's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SameSite {
    /// `SameSite=Strict`.
    Strict,
    /// `SameSite=Lax`.
    Lax,
    /// `SameSite=None`.
    None,
}

/// A cookie as a `Set-Cookie` field gave it (reqwest's
/// `cookie::Cookie`), borrowed from the field: from
/// [`Response::cookies`](crate::Response::cookies).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cookie<'a> {
    pub(super) name: &'a str,
    pub(super) value: &'a str,
    pub(super) path: Option<&'a str>,
    pub(super) domain: Option<&'a str>,
    pub(super) expires: Option<SystemTime>,
    /// Seconds, as sent: zero or less expires the cookie at once.
    pub(super) max_age: Option<i64>,
    pub(super) secure: bool,
    pub(super) http_only: bool,
    pub(super) same_site: Option<SameSite>,
}

impl<'a> Cookie<'a> {
    /// Reads one `Set-Cookie` field value (RFC 6265bis §5.6), or `None`
    /// if it holds no cookie: no name and no value, a name and value
    /// longer than 4096 bytes together, a control character, or bytes
    /// that are not UTF-8.
    pub(crate) fn parse(field: &'a [u8]) -> Option<Cookie<'a>> {
        // Step 1: a control character other than HTAB anywhere ignores
        // the whole field (header values already exclude CR, LF and NUL).
        if field.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
            return None;
        }
        let field = std::str::from_utf8(field).ok()?;
        // Step 2: the name-value pair ends at the first `;`.
        let (pair, mut attributes) = match field.split_once(';') {
            Some((pair, rest)) => (pair, rest),
            None => (field, ""),
        };
        // Step 3: without `=`, the whole pair is the value and the name is
        // empty (RFC 6265bis; RFC 6265 dropped such a cookie).
        let (name, value) = match pair.split_once('=') {
            Some((name, value)) => (trim(name), trim(value)),
            None => ("", trim(pair)),
        };
        // Steps 5 and 6.
        if name.is_empty() && value.is_empty() {
            return None;
        }
        if name.len() + value.len() > MAX_NAME_VALUE_BYTES {
            return None;
        }
        let mut cookie = Cookie {
            name,
            value,
            path: None,
            domain: None,
            expires: None,
            max_age: None,
            secure: false,
            http_only: false,
            same_site: None,
        };
        // §5.6 steps 8–10: each attribute in turn; a later one of the same
        // name replaces an earlier.
        while !attributes.is_empty() {
            let attribute;
            (attribute, attributes) = attributes.split_once(';').unwrap_or((attributes, ""));
            let (key, value) = match attribute.split_once('=') {
                Some((key, value)) => (trim(key), trim(value)),
                None => (trim(attribute), ""),
            };
            if value.len() > MAX_ATTRIBUTE_VALUE_BYTES {
                continue;
            }
            cookie.attribute(key, value);
        }
        Some(cookie)
    }

    /// One attribute, by its case-insensitive name (RFC 6265bis §5.6.1 to
    /// §5.6.7).
    fn attribute(&mut self, key: &str, value: &'a str) {
        let is = |name: &str| key.eq_ignore_ascii_case(name);
        if is("expires") {
            // §5.6.1: a date that does not parse is ignored.
            if let Some(t) = parse_cookie_date(value.as_bytes()) {
                self.expires = Some(t);
            }
        } else if is("max-age") {
            // §5.6.2: `-`? DIGIT+; anything else is ignored. A huge number
            // saturates (the jar caps the lifetime anyway).
            let digits = value.strip_prefix('-').unwrap_or(value);
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                let magnitude = digits.parse::<i64>().unwrap_or(i64::MAX);
                self.max_age = Some(if value.starts_with('-') {
                    -magnitude
                } else {
                    magnitude
                });
            }
        } else if is("domain") {
            // §5.6.3: an empty value is ignored; a leading dot is dropped.
            if !value.is_empty() {
                self.domain = Some(value.strip_prefix('.').unwrap_or(value));
            }
        } else if is("path") {
            // §5.6.4: a path not starting with `/` means the default path.
            self.path = value.starts_with('/').then_some(value);
        } else if is("secure") {
            self.secure = true;
        } else if is("httponly") {
            self.http_only = true;
        } else if is("samesite") {
            // §5.6.7: an unknown value is as if none were given.
            self.same_site = [
                ("strict", SameSite::Strict),
                ("lax", SameSite::Lax),
                ("none", SameSite::None),
            ]
            .into_iter()
            .find(|(name, _)| value.eq_ignore_ascii_case(name))
            .map(|(_, s)| s);
        }
    }

    /// The cookie's name (empty for a `Set-Cookie` without `=`, whose
    /// whole pair is the value).
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The cookie's value, as sent (no quotes removed, nothing decoded).
    pub fn value(&self) -> &'a str {
        self.value
    }

    /// The `Path` attribute, if one starting with `/` was given.
    pub fn path(&self) -> Option<&'a str> {
        self.path
    }

    /// The `Domain` attribute, without a leading dot, as sent (see the
    /// [module docs](crate::cookie) for what the jar does with it).
    pub fn domain(&self) -> Option<&'a str> {
        self.domain
    }

    /// The `Expires` attribute, if its date could be read.
    pub fn expires(&self) -> Option<SystemTime> {
        self.expires
    }

    /// The `Max-Age` attribute: zero for zero or a negative number (the
    /// cookie is to be deleted). It wins over [`expires`](Self::expires).
    pub fn max_age(&self) -> Option<Duration> {
        self.max_age
            .map(|secs| Duration::from_secs(u64::try_from(secs).unwrap_or(0)))
    }

    /// The `Secure` attribute: the cookie goes only over `https`.
    pub fn secure(&self) -> bool {
        self.secure
    }

    /// The `HttpOnly` attribute (kept; it concerns scripts, which brisk
    /// does not run).
    pub fn http_only(&self) -> bool {
        self.http_only
    }

    /// The `SameSite` attribute, if it named a known policy.
    pub fn same_site(&self) -> Option<SameSite> {
        self.same_site
    }

    /// `SameSite=Lax`, by reqwest's name.
    pub fn same_site_lax(&self) -> bool {
        self.same_site == Some(SameSite::Lax)
    }

    /// `SameSite=Strict`, by reqwest's name.
    pub fn same_site_strict(&self) -> bool {
        self.same_site == Some(SameSite::Strict)
    }
}

/// Trims SP and HTAB at both ends (RFC 6265bis's whitespace).
fn trim(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn parse(s: &str) -> Option<Cookie<'_>> {
        Cookie::parse(s.as_bytes())
    }

    #[test]
    fn name_value_and_every_attribute() {
        let c = parse(
            "sid = a1b2 ; Path=/api; Domain=.Example.com; Expires=Sun, 06 Nov 1994 08:49:37 GMT; \
             Max-Age=60; Secure; HttpOnly; SameSite=lax; Unknown=x; Priority",
        )
        .unwrap();
        assert_eq!((c.name(), c.value()), ("sid", "a1b2"));
        assert_eq!(c.path(), Some("/api"));
        assert_eq!(c.domain(), Some("Example.com"));
        assert_eq!(
            c.expires(),
            Some(UNIX_EPOCH + Duration::from_secs(784_111_777))
        );
        assert_eq!(c.max_age(), Some(Duration::from_secs(60)));
        assert!(c.secure() && c.http_only() && c.same_site_lax() && !c.same_site_strict());
    }

    #[test]
    fn attribute_names_are_case_insensitive_and_the_last_wins() {
        let c = parse("a=b; PATH=/x; path=/y; SECURE; samesite=STRICT").unwrap();
        assert_eq!(c.path(), Some("/y"));
        assert!(c.secure());
        assert_eq!(c.same_site(), Some(SameSite::Strict));
    }

    #[test]
    fn bad_attribute_values_are_ignored_not_fatal() {
        let c = parse("a=b; Max-Age=1x; Expires=never; Path=relative; Domain=; SameSite=Maybe")
            .unwrap();
        assert_eq!(c.max_age(), None);
        assert_eq!(c.expires(), None);
        assert_eq!(c.path(), None);
        assert_eq!(c.domain(), None);
        assert_eq!(c.same_site(), None);
        // A negative or zero Max-Age reads as zero: delete.
        assert_eq!(
            parse("a=b; Max-Age=-5").unwrap().max_age(),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse("a=b; Max-Age=0").unwrap().max_age(),
            Some(Duration::ZERO)
        );
        // An attribute value over 1024 bytes is dropped, the cookie kept.
        let long = format!("a=b; Path=/{}", "p".repeat(1024));
        assert_eq!(parse(&long).unwrap().path(), None);
    }

    #[test]
    fn pairs_without_a_name_or_with_nothing() {
        let c = parse("lonely").unwrap();
        assert_eq!((c.name(), c.value()), ("", "lonely"));
        let c = parse("a=").unwrap();
        assert_eq!((c.name(), c.value()), ("a", ""));
        // The value keeps any `=` after the first.
        let c = parse("a=b=c").unwrap();
        assert_eq!((c.name(), c.value()), ("a", "b=c"));
        assert!(parse("").is_none());
        assert!(parse("=").is_none());
        assert!(parse(" ; Path=/").is_none());
    }

    #[test]
    fn the_size_limit_counts_name_and_value() {
        let name = "n".repeat(96);
        let fits = format!("{name}={}", "v".repeat(MAX_NAME_VALUE_BYTES - 96));
        assert!(parse(&fits).is_some());
        let over = format!("{name}={}", "v".repeat(MAX_NAME_VALUE_BYTES - 95));
        assert!(parse(&over).is_none());
    }

    #[test]
    fn control_bytes_and_bad_utf8_drop_the_cookie() {
        assert!(Cookie::parse(b"a=b\x01c").is_none());
        assert!(Cookie::parse(b"a=b; Path=/\x7f").is_none());
        assert!(Cookie::parse(b"a=\xff").is_none());
        // HTAB is whitespace, trimmed.
        let c = Cookie::parse(b"a=\tb\t").unwrap();
        assert_eq!(c.value(), "b");
        // UTF-8 past ASCII is kept as sent.
        assert_eq!(parse("a=caf\u{e9}").unwrap().value(), "caf\u{e9}");
    }

    #[test]
    fn byte_by_byte_prefixes_never_panic() {
        let field = "id=1; Expires=Sun, 06 Nov 1994 08:49:37 GMT; Max-Age=-9; Domain=.x; Path=/a";
        for end in 0..=field.len() {
            let _ = parse(&field[..end]);
        }
    }
}
