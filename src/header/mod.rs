//! Header fields: [`HeaderName`], [`HeaderValue`] and [`HeaderMap`], shaped
//! like the `http` crate's that reqwest uses, without that crate.
//!
//! | file | holds |
//! | --- | --- |
//! | `name.rs` | [`HeaderName`], and a constant for each common name ([`CONTENT_TYPE`]...) |
//! | `value.rs` | [`HeaderValue`]: checked bytes, `to_str`, sensitivity |
//! | `map.rs` | [`HeaderMap`], an ordered multimap, and its iterators |
//! | `bytes.rs` | the storage of names and values: inline when short |
//!
//! Names are case-insensitive everywhere: in equality, in hashing and in
//! every lookup. A request sends a name in the case it was given; names
//! in a response, like the constants here, are lowercase.
//!
//! Reading a response's headers:
//!
//! ```no_run
//! use brisk::header;
//!
//! # async fn run() -> Result<(), brisk::Error> {
//! let resp = brisk::get("https://example.com/").await?;
//! let kind = resp
//!     .headers()
//!     .get(header::CONTENT_TYPE)
//!     .and_then(|v| v.to_str().ok());
//! for cookie in resp.headers().get_all(header::SET_COOKIE) {
//!     println!("cookie: {:?}", cookie);
//! }
//! for (name, value) in resp.headers() {
//!     println!("{}: {}", name.as_str(), value.to_str().unwrap_or("<binary>"));
//! }
//! # Ok(()) }
//! ```
//!
//! Sending some, as names and values or as a whole map; strings work too,
//! and a bad one fails `send()` with a builder error:
//!
//! ```no_run
//! use brisk::header::{self, HeaderMap, HeaderValue};
//!
//! # async fn run() -> Result<(), brisk::Error> {
//! let mut defaults = HeaderMap::new();
//! let mut key = HeaderValue::from_static("sk-secret");
//! key.set_sensitive(true); // never printed, never sent to another origin
//! defaults.insert("x-api-key", key);
//! let client = brisk::Client::builder().default_headers(defaults).build()?;
//!
//! let resp = client
//!     .get("https://api.example.com/v1/models")
//!     .header(header::ACCEPT, "application/json")
//!     .header("X-Request-Id", HeaderValue::from_static("42"))
//!     .send()
//!     .await?;
//! # Ok(()) }
//! ```

mod bytes;
mod map;
mod name;
mod span;
mod value;

pub use map::{GetAll, HeaderMap, IntoIter, Iter, Keys, ValueIter, Values};
pub use name::*;
pub use span::HeaderSpan;
pub use value::{HeaderValue, InvalidHeaderValue, ToStrError};

pub(crate) use bytes::FieldBytes;

/// A name to look a field up by: a [`HeaderName`] (or a reference to
/// one), a `&str` or a `String`. Sealed: brisk decides which types are
/// names.
pub trait AsHeaderName: sealed::Sealed {}

/// A name to add a field under, in [`HeaderMap::insert`] and
/// [`HeaderMap::append`]: a [`HeaderName`], a `&HeaderName`, or a
/// `&'static str` literal. Sealed.
///
/// A literal that is not a valid name panics, as
/// [`HeaderName::from_static`] does (and as the `http` crate's map does);
/// build names from other strings with [`HeaderName::from_bytes`].
pub trait IntoHeaderName: sealed::Sealed {
    #[doc(hidden)]
    fn into_header_name(self) -> HeaderName;
}

mod sealed {
    /// What a lookup compares names against.
    pub trait Sealed {
        fn name_bytes(&self) -> &[u8];
    }
}

impl sealed::Sealed for HeaderName {
    fn name_bytes(&self) -> &[u8] {
        self.as_bytes()
    }
}
impl sealed::Sealed for &HeaderName {
    fn name_bytes(&self) -> &[u8] {
        self.as_bytes()
    }
}
impl sealed::Sealed for &str {
    fn name_bytes(&self) -> &[u8] {
        self.as_bytes()
    }
}
impl sealed::Sealed for String {
    fn name_bytes(&self) -> &[u8] {
        self.as_bytes()
    }
}
impl sealed::Sealed for &String {
    fn name_bytes(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsHeaderName for HeaderName {}
impl AsHeaderName for &HeaderName {}
impl AsHeaderName for &str {}
impl AsHeaderName for String {}
impl AsHeaderName for &String {}

impl IntoHeaderName for HeaderName {
    fn into_header_name(self) -> HeaderName {
        self
    }
}
impl IntoHeaderName for &HeaderName {
    fn into_header_name(self) -> HeaderName {
        self.clone()
    }
}
impl IntoHeaderName for &'static str {
    fn into_header_name(self) -> HeaderName {
        HeaderName::from_static(self)
    }
}

/// Headers that carry credentials: dropped when a redirect changes origin,
/// and redacted in `Debug` output. Besides HTTP's own, the API-key headers
/// that LLM providers use (Anthropic's and others' `x-api-key`, Azure
/// OpenAI's `api-key`).
const CREDENTIALS: [&str; 5] = [
    "authorization",
    "cookie",
    "proxy-authorization",
    "x-api-key",
    "api-key",
];

/// Whether `name` is one of the built-in credential headers.
pub(crate) fn is_credential(name: &str) -> bool {
    CREDENTIALS.iter().any(|c| name.eq_ignore_ascii_case(c))
}

#[cfg(test)]
mod tests;
