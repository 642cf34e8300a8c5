//! [`HeaderValue`] and its errors.

use super::bytes::FieldBytes;
use crate::chars::is_field_byte;
use std::fmt;

/// A header field value: bytes with no CR, LF, NUL or other control byte
/// except HTAB (RFC 9110 §5.5), so a value can never end its line early
/// and smuggle in another field.
///
/// Most values are visible ASCII, and [`to_str`](HeaderValue::to_str)
/// gives them as a `&str`; a server may also send other bytes (obs-text),
/// which [`as_bytes`](HeaderValue::as_bytes) always gives.
///
/// A value marked [sensitive](HeaderValue::set_sensitive) is shown as
/// `Sensitive` by `Debug`, and a request drops it when a redirect leads to
/// another origin, as it does a header given to
/// [`RequestBuilder::sensitive_header`](crate::RequestBuilder::sensitive_header).
///
/// ```
/// use brisk::header::HeaderValue;
///
/// let v = HeaderValue::from_static("text/plain");
/// assert_eq!(v.to_str(), Ok("text/plain"));
/// assert_eq!(v, "text/plain");
/// assert!(HeaderValue::from_str("a\r\nInjected: 1").is_err());
///
/// let mut key = HeaderValue::from_str("Bearer sk-secret")?;
/// key.set_sensitive(true);
/// assert_eq!(format!("{key:?}"), "Sensitive");
/// assert_eq!(HeaderValue::from(42u32), "42");
/// # Ok::<(), brisk::header::InvalidHeaderValue>(())
/// ```
#[derive(Clone)]
pub struct HeaderValue {
    /// Invariant: only field bytes ([`is_field_byte`]).
    bytes: FieldBytes,
    sensitive: bool,
}

impl HeaderValue {
    /// A value from a literal, checked at compile time when used in a
    /// `const`.
    ///
    /// # Panics
    /// If `value` holds a control byte other than HTAB (CR, LF, NUL...).
    /// Use [`HeaderValue::from_str`] for values that are not literals.
    pub const fn from_static(value: &'static str) -> HeaderValue {
        assert!(is_value(value.as_bytes()), "invalid header value");
        HeaderValue {
            bytes: FieldBytes::Static(value.as_bytes()),
            sensitive: false,
        }
    }

    /// A value from a string; fails on a control byte other than HTAB.
    #[allow(clippy::should_implement_trait)] // it does, too; this is the http crate's spelling
    pub fn from_str(value: &str) -> Result<HeaderValue, InvalidHeaderValue> {
        HeaderValue::from_bytes(value.as_bytes())
    }

    /// A value from bytes; fails on a control byte other than HTAB. Bytes
    /// past ASCII (obs-text) are accepted, as a server may send them.
    pub fn from_bytes(value: &[u8]) -> Result<HeaderValue, InvalidHeaderValue> {
        if !is_value(value) {
            return Err(InvalidHeaderValue);
        }
        Ok(HeaderValue::from_parsed(FieldBytes::copy_from(value)))
    }

    fn from_vec(value: Vec<u8>) -> Result<HeaderValue, InvalidHeaderValue> {
        if !is_value(&value) {
            return Err(InvalidHeaderValue);
        }
        Ok(HeaderValue::from_parsed(FieldBytes::from_vec(value)))
    }

    /// A value already checked (a response head's, or one brisk built).
    pub(crate) fn from_parsed(bytes: FieldBytes) -> HeaderValue {
        HeaderValue {
            bytes,
            sensitive: false,
        }
    }

    /// The value as a `&str`, if it is all visible ASCII, SP and HTAB (as
    /// the `http` crate's `to_str`): values with obs-text bytes are an
    /// error even when they are valid UTF-8; read those with
    /// [`as_bytes`](HeaderValue::as_bytes).
    pub fn to_str(&self) -> Result<&str, ToStrError> {
        let bytes = self.as_bytes();
        if !bytes
            .iter()
            .all(|&b| b == b'\t' || (0x20..0x7f).contains(&b))
        {
            return Err(ToStrError);
        }
        std::str::from_utf8(bytes).map_err(|_| ToStrError)
    }

    /// The value's bytes.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.as_bytes()
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// Whether the value is empty (a field may be sent with no value).
    pub fn is_empty(&self) -> bool {
        self.as_bytes().is_empty()
    }

    /// Whether the value is marked sensitive.
    pub fn is_sensitive(&self) -> bool {
        self.sensitive
    }

    /// Marks the value as sensitive (a secret): `Debug` shows `Sensitive`
    /// instead of it, and a request drops its field when a redirect leads
    /// to another origin.
    pub fn set_sensitive(&mut self, sensitive: bool) {
        self.sensitive = sensitive;
    }
}

/// Field bytes only: no control byte but HTAB, no DEL.
const fn is_value(b: &[u8]) -> bool {
    let mut i = 0;
    while i < b.len() {
        if !is_field_byte(b[i]) {
            return false;
        }
        i += 1;
    }
    true
}

impl PartialEq for HeaderValue {
    /// Compares the bytes (exactly: values are case-sensitive); whether a
    /// value is sensitive does not count.
    fn eq(&self, other: &HeaderValue) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}
impl Eq for HeaderValue {}

impl std::hash::Hash for HeaderValue {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl PartialOrd for HeaderValue {
    fn partial_cmp(&self, other: &HeaderValue) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for HeaderValue {
    fn cmp(&self, other: &HeaderValue) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl PartialEq<str> for HeaderValue {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}
impl PartialEq<&str> for HeaderValue {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}
impl PartialEq<String> for HeaderValue {
    fn eq(&self, other: &String) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}
impl PartialEq<[u8]> for HeaderValue {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_bytes() == other
    }
}
impl PartialEq<HeaderValue> for str {
    fn eq(&self, other: &HeaderValue) -> bool {
        other == self
    }
}
impl PartialEq<HeaderValue> for &str {
    fn eq(&self, other: &HeaderValue) -> bool {
        other == *self
    }
}

impl fmt::Debug for HeaderValue {
    /// A quoted string, bytes past visible ASCII escaped; `Sensitive` for a
    /// sensitive value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.sensitive {
            return f.write_str("Sensitive");
        }
        f.write_str("\"")?;
        for &b in self.as_bytes() {
            match b {
                b'"' => f.write_str("\\\"")?,
                b'\\' => f.write_str("\\\\")?,
                b'\t' => f.write_str("\\t")?,
                0x20..=0x7e => write!(f, "{}", b as char)?,
                _ => write!(f, "\\x{b:02x}")?,
            }
        }
        f.write_str("\"")
    }
}

impl AsRef<[u8]> for HeaderValue {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl std::str::FromStr for HeaderValue {
    type Err = InvalidHeaderValue;
    fn from_str(s: &str) -> Result<HeaderValue, InvalidHeaderValue> {
        HeaderValue::from_bytes(s.as_bytes())
    }
}

impl From<&HeaderValue> for HeaderValue {
    fn from(v: &HeaderValue) -> HeaderValue {
        v.clone()
    }
}

impl TryFrom<&str> for HeaderValue {
    type Error = InvalidHeaderValue;
    fn try_from(s: &str) -> Result<HeaderValue, InvalidHeaderValue> {
        HeaderValue::from_bytes(s.as_bytes())
    }
}
impl TryFrom<&String> for HeaderValue {
    type Error = InvalidHeaderValue;
    fn try_from(s: &String) -> Result<HeaderValue, InvalidHeaderValue> {
        HeaderValue::from_bytes(s.as_bytes())
    }
}
impl TryFrom<String> for HeaderValue {
    type Error = InvalidHeaderValue;
    fn try_from(s: String) -> Result<HeaderValue, InvalidHeaderValue> {
        HeaderValue::from_vec(s.into_bytes())
    }
}
impl TryFrom<&[u8]> for HeaderValue {
    type Error = InvalidHeaderValue;
    fn try_from(b: &[u8]) -> Result<HeaderValue, InvalidHeaderValue> {
        HeaderValue::from_bytes(b)
    }
}
impl TryFrom<Vec<u8>> for HeaderValue {
    type Error = InvalidHeaderValue;
    fn try_from(b: Vec<u8>) -> Result<HeaderValue, InvalidHeaderValue> {
        HeaderValue::from_vec(b)
    }
}

/// Integers as their decimal digits (`Content-Length`-style values),
/// written without an allocation.
macro_rules! from_integers {
    ($($t:ty),+) => {$(
        impl From<$t> for HeaderValue {
            fn from(n: $t) -> HeaderValue {
                // Every type here fits in an i128, so the cast is exact.
                decimal_value(n as i128)
            }
        }
    )+};
}

from_integers!(u16, i16, u32, i32, u64, i64, usize, isize);

fn decimal_value(n: i128) -> HeaderValue {
    let mut digits = [0u8; 20];
    // |n| is at most u64::MAX for every type above.
    let digits = crate::chars::decimal(n.unsigned_abs() as u64, &mut digits);
    let mut buf = [b'-'; 21];
    let sign = usize::from(n < 0);
    buf[sign..sign + digits.len()].copy_from_slice(digits);
    HeaderValue::from_parsed(FieldBytes::copy_from(&buf[..sign + digits.len()]))
}

/// A header value with a control byte other than HTAB (CR, LF, NUL...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidHeaderValue;

impl fmt::Display for InvalidHeaderValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid header value")
    }
}

impl std::error::Error for InvalidHeaderValue {}

/// A header value that is not all visible ASCII, from
/// [`HeaderValue::to_str`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ToStrError;

impl fmt::Display for ToStrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("header value is not visible ASCII")
    }
}

impl std::error::Error for ToStrError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_bytes_are_refused_at_construction() {
        for bad in [&b"a\rb"[..], b"a\nb", b"a\0", b"\x7f", b"\x1b[31m"] {
            assert_eq!(HeaderValue::from_bytes(bad), Err(InvalidHeaderValue));
        }
        assert!(HeaderValue::try_from(String::from("a\r\nb")).is_err());
        assert!(HeaderValue::try_from(b"x\ny".to_vec()).is_err());
        assert!(HeaderValue::from_bytes(b"tab\tand space ok").is_ok());
        assert!(HeaderValue::from_bytes(b"").unwrap().is_empty());
    }

    #[test]
    fn to_str_is_visible_ascii_only() {
        let v = HeaderValue::from_bytes("caf\u{e9}".as_bytes()).unwrap();
        assert_eq!(v.to_str(), Err(ToStrError));
        assert_eq!(v.as_bytes(), "caf\u{e9}".as_bytes());
        assert_eq!(format!("{v:?}"), "\"caf\\xc3\\xa9\"");
        let v = HeaderValue::from_static("a \"b\"\t");
        assert_eq!(v.to_str(), Ok("a \"b\"\t"));
        assert_eq!(format!("{v:?}"), r#""a \"b\"\t""#);
    }

    #[test]
    fn integers_are_decimal() {
        assert_eq!(HeaderValue::from(0u16), "0");
        assert_eq!(HeaderValue::from(-12i32), "-12");
        assert_eq!(HeaderValue::from(i64::MIN), i64::MIN.to_string());
        assert_eq!(HeaderValue::from(u64::MAX), u64::MAX.to_string());
        assert_eq!(
            HeaderValue::from(usize::MAX).len(),
            usize::MAX.to_string().len()
        );
    }

    #[test]
    fn sensitivity_is_redaction_not_identity() {
        let mut v = HeaderValue::from_static("secret");
        assert!(!v.is_sensitive());
        v.set_sensitive(true);
        assert!(v.is_sensitive());
        assert_eq!(format!("{v:?}"), "Sensitive");
        assert_eq!(v, HeaderValue::from_static("secret"));
        assert!(v.clone().is_sensitive());
    }

    #[test]
    fn long_values_round_trip() {
        let long = "v".repeat(200);
        assert_eq!(HeaderValue::try_from(long.clone()).unwrap(), long);
        assert_eq!(HeaderValue::from_str(&long).unwrap().to_str(), Ok(&*long));
    }

    #[test]
    #[should_panic(expected = "invalid header value")]
    fn from_static_panics_on_a_bad_literal() {
        let _ = HeaderValue::from_static("a\r\nb");
    }
}
