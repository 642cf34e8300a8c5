//! [`Method`]: the request method, shaped like the `http` crate's.

use std::fmt;

/// A request method (RFC 9110 §9): one of the standard ones as a constant
/// ([`Method::GET`]...), or any other token (`PROPFIND`, `QUERY`).
///
/// Methods are case-sensitive: `get` is not `GET`. The standard ones cost
/// no allocation; others are kept in a small box.
///
/// ```
/// use brisk::Method;
///
/// assert_eq!(Method::from_bytes(b"OPTIONS")?, Method::OPTIONS);
/// assert_eq!(Method::PATCH.as_str(), "PATCH");
/// assert_eq!(Method::GET, "GET");
/// assert_eq!("PROPFIND".parse::<Method>()?.to_string(), "PROPFIND");
/// assert!(Method::from_bytes(b"GE T").is_err());
///
/// # async fn run(client: brisk::Client) -> Result<(), brisk::Error> {
/// let resp = client.request(Method::OPTIONS, "http://example.com/").send().await?;
/// let resp = client.request("OPTIONS", "http://example.com/").send().await?;
/// # Ok(()) }
/// # Ok::<(), brisk::InvalidMethod>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Method(Inner);

/// Invariant: a standard method is always `Standard`, so the derived
/// equality and hash agree with comparing the strings.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Inner {
    Standard(&'static str),
    Extension(Box<str>),
}

impl Method {
    /// `GET`: transfer a representation of the target.
    pub const GET: Method = Method(Inner::Standard("GET"));
    /// `POST`: process the enclosed content.
    pub const POST: Method = Method(Inner::Standard("POST"));
    /// `PUT`: replace the target with the enclosed content.
    pub const PUT: Method = Method(Inner::Standard("PUT"));
    /// `DELETE`: remove the target.
    pub const DELETE: Method = Method(Inner::Standard("DELETE"));
    /// `HEAD`: as `GET`, without the content.
    pub const HEAD: Method = Method(Inner::Standard("HEAD"));
    /// `OPTIONS`: the communication options of the target.
    pub const OPTIONS: Method = Method(Inner::Standard("OPTIONS"));
    /// `CONNECT`: a tunnel to the server the target names.
    pub const CONNECT: Method = Method(Inner::Standard("CONNECT"));
    /// `PATCH`: apply a partial modification (RFC 5789).
    pub const PATCH: Method = Method(Inner::Standard("PATCH"));
    /// `TRACE`: a loop-back of the request message.
    pub const TRACE: Method = Method(Inner::Standard("TRACE"));

    const STANDARD: [Method; 9] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
        Method::CONNECT,
        Method::PATCH,
        Method::TRACE,
    ];

    /// A method from its name: a token (RFC 9110 §9.1, §5.6.2), that is
    /// letters, digits and ``!#$%&'*+-.^_`|~``, at least one.
    pub fn from_bytes(name: &[u8]) -> Result<Method, InvalidMethod> {
        if let Some(m) = Method::STANDARD
            .iter()
            .find(|m| m.as_str().as_bytes() == name)
        {
            return Ok(m.clone());
        }
        if name.is_empty() || !name.iter().all(|&b| crate::chars::is_tchar(b)) {
            return Err(InvalidMethod);
        }
        // A token is ASCII, so this is never an error.
        let name = std::str::from_utf8(name).map_err(|_| InvalidMethod)?;
        Ok(Method(Inner::Extension(name.into())))
    }

    /// The method's name, as sent.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Inner::Standard(s) => s,
            Inner::Extension(s) => s,
        }
    }

    /// Whether the method is safe (read-only by definition, RFC 9110
    /// §9.2.1): GET, HEAD, OPTIONS and TRACE.
    pub fn is_safe(&self) -> bool {
        matches!(self.as_str(), "GET" | "HEAD" | "OPTIONS" | "TRACE")
    }

    /// Whether sending the request twice has the effect of sending it once
    /// (RFC 9110 §9.2.2): the safe methods, PUT and DELETE.
    pub fn is_idempotent(&self) -> bool {
        self.is_safe() || matches!(self.as_str(), "PUT" | "DELETE")
    }
}

impl Default for Method {
    /// `GET`.
    fn default() -> Method {
        Method::GET
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AsRef<str> for Method {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<str> for Method {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}
impl PartialEq<&str> for Method {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}
impl PartialEq<Method> for str {
    fn eq(&self, other: &Method) -> bool {
        self == other.as_str()
    }
}
impl PartialEq<Method> for &str {
    fn eq(&self, other: &Method) -> bool {
        *self == other.as_str()
    }
}

impl std::str::FromStr for Method {
    type Err = InvalidMethod;
    fn from_str(s: &str) -> Result<Method, InvalidMethod> {
        Method::from_bytes(s.as_bytes())
    }
}

impl From<&Method> for Method {
    fn from(m: &Method) -> Method {
        m.clone()
    }
}

impl TryFrom<&str> for Method {
    type Error = InvalidMethod;
    fn try_from(s: &str) -> Result<Method, InvalidMethod> {
        Method::from_bytes(s.as_bytes())
    }
}
impl TryFrom<&String> for Method {
    type Error = InvalidMethod;
    fn try_from(s: &String) -> Result<Method, InvalidMethod> {
        Method::from_bytes(s.as_bytes())
    }
}
impl TryFrom<String> for Method {
    type Error = InvalidMethod;
    fn try_from(s: String) -> Result<Method, InvalidMethod> {
        Method::from_bytes(s.as_bytes())
    }
}
impl TryFrom<&[u8]> for Method {
    type Error = InvalidMethod;
    fn try_from(b: &[u8]) -> Result<Method, InvalidMethod> {
        Method::from_bytes(b)
    }
}

/// A method name that is not a token (empty, or with a space, a control
/// byte or a separator).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidMethod;

impl fmt::Display for InvalidMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid method")
    }
}

impl std::error::Error for InvalidMethod {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_methods_are_found_not_boxed() {
        for m in &Method::STANDARD {
            let parsed = Method::from_bytes(m.as_str().as_bytes()).unwrap();
            assert_eq!(&parsed, m);
            assert!(matches!(parsed.0, Inner::Standard(_)));
        }
        assert_eq!(std::mem::size_of::<Method>(), 24);
    }

    #[test]
    fn extensions_are_tokens_and_case_matters() {
        let m = Method::from_bytes(b"PROPFIND").unwrap();
        assert_eq!(m, "PROPFIND");
        assert_eq!("PROPFIND", m);
        assert_eq!(format!("{m} {m:?}"), "PROPFIND PROPFIND");
        let lower = Method::try_from("get").unwrap();
        assert_ne!(lower, Method::GET);
        assert!(matches!(lower.0, Inner::Extension(_)));
        for bad in [&b""[..], b"GE T", b"GE\r\nT", b"G:T", b"\xc3\xa9", b"(GET)"] {
            assert_eq!(Method::from_bytes(bad), Err(InvalidMethod), "{bad:?}");
        }
        assert!(Method::try_from(String::from("QUERY")).is_ok());
    }

    #[test]
    fn safety_and_idempotence() {
        assert!(Method::GET.is_safe() && Method::GET.is_idempotent());
        assert!(!Method::PUT.is_safe() && Method::PUT.is_idempotent());
        assert!(!Method::POST.is_idempotent() && !Method::PATCH.is_idempotent());
        assert_eq!(Method::default(), Method::GET);
    }
}
