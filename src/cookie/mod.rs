//! Cookies (RFC 6265bis): a jar that keeps what servers set and sends it
//! back, as reqwest's `cookie` module.
//!
//! ```no_run
//! # async fn run() -> Result<(), brisk::Error> {
//! // Every response's Set-Cookie goes into the client's jar, on every
//! // redirect hop too; every request sends what the jar holds for it.
//! let client = brisk::Client::builder().cookie_store(true).build()?;
//! client.post("https://example.com/login").form(&[("user", "ada")]).send().await?;
//! let page = client.get("https://example.com/account").send().await?;
//! for cookie in page.cookies() {
//!     println!("{}={} (path {:?})", cookie.name(), cookie.value(), cookie.path());
//! }
//! # Ok(()) }
//! ```
//!
//! | file | holds |
//! | --- | --- |
//! | `mod.rs` | the [`CookieStore`] trait, `Response::cookies`, the policy below |
//! | `parse.rs` | a `Set-Cookie` field read into a [`Cookie`] (RFC 6265bis §5.6) |
//! | `date.rs` | the `Expires` date, read with RFC 6265 §5.1.1's lenient algorithm |
//! | `jar.rs` | [`Jar`]: storing, expiring, evicting, and the `Cookie` field |
//!
//! # What the jar does
//!
//! - **Domain: host-only, always (no supercookies).** A browser lets
//!   `www.example.com` set a cookie for all of `example.com`, but must
//!   refuse one for a public suffix such as `co.uk`, which takes the
//!   public suffix list: brisk does not carry it. So a cookie is only
//!   ever sent back to the host that set it. A `Domain` attribute equal
//!   to that host, or naming a parent of it (`Domain=example.com` from
//!   `www.example.com`, and just as well `Domain=co.uk` from `a.co.uk`:
//!   without the list the two look alike), is accepted but never widens
//!   the cookie: it stays **host-only** on the host that set it, so a
//!   public suffix can never be given a cookie. A `Domain` the host does
//!   not match (another name, a child of the host, or any other address
//!   for an IP host) makes the jar **ignore the cookie**, as RFC 6265bis
//!   says. A site that shares a login cookie across its subdomains this
//!   way gets it back on the host that set it only; add it for the others
//!   with [`Jar::add_cookie_str`] if you need to.
//! - **Hosts, not ports.** As RFC 6265 says, cookies belong to a host
//!   whatever the port or scheme: one set by `http://h:8080` goes to
//!   `http://h:9090` too (unless `Secure`).
//! - **Path.** `Path` scopes a cookie to a path and the paths below it;
//!   without one, the default path is the request's path up to its last
//!   `/` (§5.1.4). A `Path` not starting with `/` counts as none.
//! - **Secure.** A `Secure` cookie is only ever sent over `https`, never
//!   over `http://`, not even to a loopback address (browsers make an
//!   exception for localhost; brisk does not). A `Secure` cookie from an
//!   `http://` response is ignored, and a cookie from an `http://`
//!   response cannot replace a `Secure` one of the same name. The
//!   `__Secure-` and `__Host-` name prefixes are enforced (§4.1.3).
//! - **Expiry.** `Max-Age` wins over `Expires`; `Max-Age=0` (or less), or
//!   an `Expires` in the past, deletes the cookie. `Expires` is read with
//!   RFC 6265's lenient date algorithm: the IMF-fixdate of RFC 9110, RFC
//!   850's and `asctime`'s formats and their common variants, always
//!   UTC, years 1601 to 9999; a date that does not parse is ignored (the
//!   cookie lasts the session). No cookie lasts past 400 days (§5.5). A
//!   cookie without either lasts as long as the jar. Expiry is judged by
//!   the system clock.
//! - **HttpOnly and SameSite** are read and kept ([`Cookie::http_only`],
//!   [`Cookie::same_site`]) but change nothing: brisk runs no scripts, and
//!   a program has no "site" that starts cross-site requests.
//! - **Limits.** A cookie whose name and value together exceed
//!   [`MAX_NAME_VALUE_BYTES`] (4096) is ignored, as is an attribute value
//!   over 1024 bytes. The jar keeps at most [`MAX_COOKIES_PER_HOST`] (50)
//!   cookies per host and [`MAX_COOKIES`] (3000) in all; past either,
//!   expired cookies go first, then the least recently sent.
//! - **Sending.** All of a request's cookies go in one `Cookie` field,
//!   longer paths first, then older cookies first (§5.8.3). A request that
//!   carries its own `Cookie` field (set on the request or as a client
//!   default header) is sent with that one alone: the jar adds nothing to
//!   it (reqwest adds the jar's beside it; one field that the caller chose
//!   is easier to reason about). The jar still stores what the response
//!   sets. After a redirect to another origin, the caller's `Cookie` is
//!   dropped (it is a credential), and the jar's go instead.
//! - **Nameless cookies.** `Set-Cookie: token` (no `=`) is a cookie with
//!   an empty name, sent back as `token` (RFC 6265bis). One whose value
//!   holds `=` (`Set-Cookie: =sid=evil`) is refused: sent as its value, it
//!   would read as a cookie named `sid`.
//! - **Not parsed:** non-UTF-8 fields and fields with control characters
//!   are ignored whole; quotes around a value are kept as sent.

mod date;
mod jar;
mod parse;

pub use jar::{Jar, MAX_COOKIES, MAX_COOKIES_PER_HOST};
pub use parse::{Cookie, SameSite, MAX_NAME_VALUE_BYTES};

use crate::header::HeaderValue;
use crate::url::Url;

/// A store of cookies a client reads and writes (reqwest's
/// `cookie::CookieStore`): give one to
/// [`ClientBuilder::cookie_provider`](crate::ClientBuilder::cookie_provider)
/// to keep cookies your own way. [`Jar`] is brisk's.
///
/// Both methods run on the request's task, once per response head and
/// once per attempt: keep them quick, and do not block.
///
/// ```
/// use brisk::cookie::CookieStore;
/// use brisk::header::HeaderValue;
/// use brisk::Url;
/// use std::sync::Mutex;
///
/// /// Sends one fixed cookie, and logs what servers set.
/// struct Fixed(Mutex<Vec<String>>);
///
/// impl CookieStore for Fixed {
///     fn set_cookies(&self, cookie_headers: &mut dyn Iterator<Item = &HeaderValue>, _url: &Url) {
///         let mut seen = self.0.lock().unwrap();
///         seen.extend(cookie_headers.filter_map(|v| v.to_str().ok()).map(String::from));
///     }
///     fn cookies(&self, _url: &Url) -> Option<HeaderValue> {
///         Some(HeaderValue::from_static("tenant=blue"))
///     }
/// }
///
/// let store = std::sync::Arc::new(Fixed(Mutex::new(Vec::new())));
/// let client = brisk::Client::builder().cookie_provider(store).build()?;
/// # Ok::<(), brisk::Error>(())
/// ```
pub trait CookieStore: Send + Sync {
    /// Takes the `Set-Cookie` fields of a response from `url` (every
    /// response head: redirects and answers that are retried included).
    fn set_cookies(&self, cookie_headers: &mut dyn Iterator<Item = &HeaderValue>, url: &Url);

    /// The `Cookie` field for a request to `url`, if one should be sent.
    fn cookies(&self, url: &Url) -> Option<HeaderValue>;
}

impl crate::Response {
    /// The cookies this response sets: each `Set-Cookie` field that holds
    /// one, read (RFC 6265bis §5.6), whether or not a jar would take it.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), brisk::Error> {
    /// let resp = brisk::get("https://example.com/").await?;
    /// if let Some(session) = resp.cookies().find(|c| c.name() == "session") {
    ///     println!("session {} until {:?}", session.value(), session.expires());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn cookies(&self) -> impl Iterator<Item = Cookie<'_>> + '_ {
        self.headers()
            .get_all("set-cookie")
            .into_iter()
            .filter_map(|v| Cookie::parse(v.as_bytes()))
    }
}
