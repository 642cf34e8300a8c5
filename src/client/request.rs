//! [`RequestBuilder`], [`Body`], and the request as it goes on the wire.

use super::{Client, Response};
use crate::deadline::{Budget, Budgets, Timeouts};
use crate::error::Error;
use crate::h1::{self, BodyFraming, RequestHead};
use crate::retry::RetryPolicy;
use crate::url::{form_urlencode_into, Url};
use std::borrow::Cow;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;
use tokio::io::AsyncRead;

/// The standard methods without an allocation; others as given.
fn method_name(method: &str) -> Cow<'static, str> {
    const KNOWN: [&str; 9] = [
        "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT", "TRACE",
    ];
    match KNOWN.iter().find(|m| **m == method) {
        Some(m) => Cow::Borrowed(m),
        None => Cow::Owned(method.to_string()),
    }
}

/// Something that can be turned into a [`Url`]: a `&str`, a `String`, or a
/// `Url`. A parse failure is reported by `send()`.
pub trait IntoUrl {
    /// Parses (or passes on) the URL.
    fn into_url(self) -> Result<Url, Error>;
}

impl IntoUrl for Url {
    fn into_url(self) -> Result<Url, Error> {
        Ok(self)
    }
}
impl IntoUrl for &Url {
    fn into_url(self) -> Result<Url, Error> {
        Ok(self.clone())
    }
}
impl IntoUrl for &str {
    fn into_url(self) -> Result<Url, Error> {
        Url::parse(self).map_err(Error::from)
    }
}
impl IntoUrl for String {
    fn into_url(self) -> Result<Url, Error> {
        self.as_str().into_url()
    }
}
impl IntoUrl for &String {
    fn into_url(self) -> Result<Url, Error> {
        self.as_str().into_url()
    }
}

/// A request body: bytes in memory, or a stream read while it is sent.
///
/// A body is `Send` and `Sync`, as reqwest's is, so a `RequestBuilder` or
/// a request can be shared across tasks by reference.
pub struct Body {
    pub(super) kind: BodyKind,
}

pub(super) enum BodyKind {
    Empty,
    Bytes(Vec<u8>),
    /// Streamed; `reader` is `None` once sent. The mutex is never locked:
    /// the body is only ever read through `&mut` (`Mutex::get_mut`), and
    /// the mutex is there to make a `Send`-only reader `Sync`.
    Reader {
        reader: Option<Mutex<Box<dyn AsyncRead + Send + Unpin>>>,
        /// The declared length ([`Body::sized`]): sent as
        /// `Content-Length`; `None` means chunked.
        len: Option<u64>,
    },
}

impl Body {
    /// No body.
    pub fn empty() -> Body {
        Body {
            kind: BodyKind::Empty,
        }
    }

    /// A body of unknown length, streamed from `reader` with chunked
    /// encoding. It can be sent only once: it is not retried, and a 307 or
    /// 308 redirect is returned to the caller instead of followed.
    pub fn from_reader(reader: impl AsyncRead + Send + Unpin + 'static) -> Body {
        Body {
            kind: BodyKind::Reader {
                reader: Some(Mutex::new(Box::new(reader))),
                len: None,
            },
        }
    }

    /// A body of exactly `len` bytes, streamed from `reader` and sent with
    /// `Content-Length: len` rather than chunked: for servers that refuse
    /// chunked uploads, such as S3-style presigned PUTs. The file need not
    /// fit in memory.
    ///
    /// The reader must yield exactly `len` bytes. If it ends early, or has
    /// more, the request fails with an error ([`Error::is_body`]) and its
    /// connection is closed, never reused: no more than `len` bytes are
    /// ever written, so a wrong length cannot run into the next request.
    /// Like [`Body::from_reader`], it can be sent only once.
    ///
    /// ```no_run
    /// # async fn put(client: brisk::Client, url: &str) -> Result<(), Box<dyn std::error::Error>> {
    /// # let bytes: &'static [u8] = b"contents";
    /// // A file would do the same: tokio's `File` with its length from
    /// // `metadata().len()`.
    /// let body = brisk::Body::sized(bytes, bytes.len() as u64);
    /// client.put(url).body(body).send().await?.error_for_status()?;
    /// # Ok(()) }
    /// ```
    pub fn sized(reader: impl AsyncRead + Send + Unpin + 'static, len: u64) -> Body {
        Body {
            kind: BodyKind::Reader {
                reader: Some(Mutex::new(Box::new(reader))),
                len: Some(len),
            },
        }
    }

    pub(super) fn is_replayable(&self) -> bool {
        !matches!(self.kind, BodyKind::Reader { .. })
    }

    /// How the body is framed on the wire for `method`.
    pub(super) fn framing(&self, method: &str) -> BodyFraming {
        match &self.kind {
            // RFC 9110 §8.6: a user agent SHOULD send `Content-Length: 0`
            // for a method that expects content (POST, PUT, PATCH) and has
            // none; servers and proxies may answer 411 without it.
            BodyKind::Empty if matches!(method, "POST" | "PUT" | "PATCH") => BodyFraming::Length(0),
            BodyKind::Empty => BodyFraming::None,
            BodyKind::Bytes(b) => BodyFraming::Length(b.len() as u64),
            BodyKind::Reader { len: Some(n), .. } => BodyFraming::Length(*n),
            BodyKind::Reader { len: None, .. } => BodyFraming::Chunked,
        }
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            BodyKind::Empty => f.write_str("Body::Empty"),
            BodyKind::Bytes(b) => write!(f, "Body({} bytes)", b.len()),
            BodyKind::Reader { len: None, .. } => f.write_str("Body::Stream"),
            BodyKind::Reader { len: Some(n), .. } => write!(f, "Body::Stream({n} bytes)"),
        }
    }
}

impl From<Vec<u8>> for Body {
    fn from(v: Vec<u8>) -> Body {
        Body {
            kind: BodyKind::Bytes(v),
        }
    }
}
impl From<String> for Body {
    fn from(s: String) -> Body {
        s.into_bytes().into()
    }
}
impl From<&str> for Body {
    fn from(s: &str) -> Body {
        s.as_bytes().to_vec().into()
    }
}
impl From<&[u8]> for Body {
    fn from(s: &[u8]) -> Body {
        s.to_vec().into()
    }
}

/// What the client adds to every request's head, and which of its header
/// names are sensitive.
#[derive(Clone, Default)]
pub(crate) struct HeaderDefaults {
    /// `User-Agent`, `Accept` and the caller's default headers.
    pub(crate) fields: Vec<(String, String)>,
    /// Header names dropped on a redirect to another origin, and redacted
    /// in `Debug` output, beyond the built-in ones.
    pub(crate) sensitive: Vec<String>,
}

impl HeaderDefaults {
    /// Whether `name` is sensitive for this client: a built-in credential
    /// header or one the caller listed.
    pub(crate) fn is_sensitive(&self, name: &str) -> bool {
        is_credential(name) || self.sensitive.iter().any(|s| s.eq_ignore_ascii_case(name))
    }
}

/// A request being prepared.
pub(super) struct Request {
    pub(super) method: Cow<'static, str>,
    pub(super) url: Url,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Body,
    pub(super) timeouts: Budgets,
    /// Names of the request's own headers marked sensitive.
    pub(super) sensitive: Vec<String>,
    /// This request's retry policy, if not the client's.
    pub(super) retry: Option<Box<RetryPolicy>>,
    /// The caller says the request is safe to repeat.
    pub(super) retryable: bool,
    /// Set once a redirect has left the first origin: from then on no
    /// credential is sent, not even one from the client's defaults.
    pub(super) cross_origin: bool,
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

fn is_proxy_auth(name: &str) -> bool {
    name.eq_ignore_ascii_case("proxy-authorization")
}

pub(super) fn is_credential(name: &str) -> bool {
    CREDENTIALS.iter().any(|c| name.eq_ignore_ascii_case(c))
}

impl Request {
    /// Whether the request carries a header field `name`.
    pub(super) fn has_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    /// Whether the caller asked for the connection to close after this
    /// request (`Connection: close` in its headers or the defaults).
    pub(super) fn asks_close(&self, defaults: &HeaderDefaults) -> bool {
        self.headers.iter().chain(&defaults.fields).any(|(n, v)| {
            n.eq_ignore_ascii_case("connection")
                && v.split(',').any(|t| t.trim().eq_ignore_ascii_case("close"))
        })
    }
}

impl Request {
    /// Writes the head, which [`Request::validate_head`] has accepted: the
    /// client's defaults that the request does not override, the request's
    /// headers, Basic auth from the URL's userinfo, and the framing.
    ///
    /// Exactly one `Authorization` is sent. The request's own (from
    /// `header`, `bearer_auth` or `basic_auth`) wins; else the URL's
    /// userinfo; else the client's default.
    ///
    /// `via` says how the request travels: through a plain proxy it is
    /// written in absolute form with the proxy's `Proxy-Authorization`;
    /// inside a tunnel a caller's `Proxy-Authorization` is left out (it
    /// was meant for a proxy, and only the origin reads the tunnel).
    pub(super) fn encode_head(&self, defaults: &HeaderDefaults, via: Via<'_>, out: &mut Vec<u8>) {
        self.with_head(defaults, via, |head| {
            h1::encode::encode_prevalidated(head, out)
        });
    }

    /// Checks the head without writing it.
    pub(super) fn validate_head(&self, defaults: &HeaderDefaults) -> Result<(), Error> {
        #[allow(clippy::redundant_closure)] // a closure keeps the lifetimes general
        self.with_head(defaults, Via::Direct, |head| {
            h1::validate_request_head(head)
        })?;
        Ok(())
    }

    fn with_head<R>(
        &self,
        defaults: &HeaderDefaults,
        via: Via<'_>,
        f: impl FnOnce(&RequestHead<'_, HeaderIter<'_>>) -> R,
    ) -> R {
        let has = |name: &str| {
            self.headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(name))
        };
        let userinfo_auth = (!self.url.username().is_empty() && !has("authorization")).then(|| {
            let creds = format!(
                "{}:{}",
                self.url.username(),
                self.url.password().unwrap_or("")
            );
            (
                "Authorization".to_string(),
                format!("Basic {}", crate::base64::encode(creds.as_bytes())),
            )
        });
        let headers = HeaderIter {
            defaults: defaults.fields.iter(),
            client: defaults,
            own: &self.headers,
            userinfo_auth: userinfo_auth.is_some(),
            rest: self.headers.iter().chain(userinfo_auth.iter()),
            cross_origin: self.cross_origin,
            drop_proxy_auth: matches!(via, Via::Tunnel | Via::Proxy { auth: Some(_) }),
            proxy_auth: match via {
                Via::Proxy { auth } => auth,
                _ => None,
            },
        };
        let target = match via {
            Via::Proxy { .. } => self.url.as_str(),
            _ => self.url.request_target(),
        };
        f(&RequestHead {
            method: &self.method,
            target,
            host: self.url.authority(),
            headers,
            body: self.body.framing(&self.method),
        })
    }
}

/// How a request reaches its origin, as far as its head is concerned.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Via<'a> {
    /// Straight to the origin.
    Direct,
    /// Inside a CONNECT tunnel: the head is the origin's, as if direct,
    /// but never with a `Proxy-Authorization`.
    Tunnel,
    /// To a plain proxy: absolute form, and this `Proxy-Authorization`
    /// value if the proxy has credentials (it replaces a caller's).
    Proxy { auth: Option<&'a str> },
}

type OwnThenAuth<'a> = std::iter::Chain<
    std::slice::Iter<'a, (String, String)>,
    std::option::Iter<'a, (String, String)>,
>;

/// The header fields of a request on the wire: the client's defaults that
/// the request does not override (and, after a redirect to another origin,
/// that are not sensitive), then the request's own, then Basic auth from
/// the URL's userinfo.
#[derive(Clone)]
struct HeaderIter<'a> {
    defaults: std::slice::Iter<'a, (String, String)>,
    client: &'a HeaderDefaults,
    own: &'a [(String, String)],
    /// Basic auth from the URL's userinfo follows: it replaces a default
    /// `Authorization`.
    userinfo_auth: bool,
    rest: OwnThenAuth<'a>,
    cross_origin: bool,
    /// Leave out `Proxy-Authorization` fields from the defaults and the
    /// request: inside a tunnel, or when the proxy's own replace them.
    drop_proxy_auth: bool,
    /// The proxy's `Proxy-Authorization` value, written last.
    proxy_auth: Option<&'a str>,
}

impl<'a> Iterator for HeaderIter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        for (n, v) in self.defaults.by_ref() {
            let overridden = self.own.iter().any(|(o, _)| o.eq_ignore_ascii_case(n))
                || (self.userinfo_auth && n.eq_ignore_ascii_case("authorization"));
            if !(overridden
                || (self.cross_origin && self.client.is_sensitive(n))
                || (self.drop_proxy_auth && is_proxy_auth(n)))
            {
                return Some((n, v));
            }
        }
        for (n, v) in self.rest.by_ref() {
            if !(self.drop_proxy_auth && is_proxy_auth(n)) {
                return Some((n.as_str(), v.as_str()));
            }
        }
        self.proxy_auth.take().map(|v| ("Proxy-Authorization", v))
    }
}

/// A request under construction; `send()` sends it.
///
/// Errors in the parts (a bad URL, say) are kept and reported by `send()`.
#[must_use = "a request does nothing until it is sent"]
pub struct RequestBuilder {
    client: Client,
    method: Cow<'static, str>,
    url: Result<Url, Error>,
    headers: Vec<(String, String)>,
    /// Names of headers marked sensitive with `sensitive_header`.
    sensitive: Vec<String>,
    /// Boxed: rare, and large (it would grow every request future).
    retry: Option<Box<RetryPolicy>>,
    retryable: bool,
    body: Body,
    timeouts: Budgets,
    error: Option<Error>,
}

impl fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBuilder")
            .field("method", &self.method)
            .field("url", &self.url.as_ref().ok())
            .finish_non_exhaustive()
    }
}

impl RequestBuilder {
    pub(super) fn new(client: Client, method: &str, url: Result<Url, Error>) -> RequestBuilder {
        let timeouts = client.shared.timeouts;
        RequestBuilder {
            client,
            method: method_name(method),
            url,
            headers: Vec::new(),
            sensitive: Vec::new(),
            retry: None,
            retryable: false,
            body: Body::empty(),
            timeouts,
            error: None,
        }
    }

    /// Adds a header (validated when sent: a CR, LF or NUL in it fails the
    /// request, so headers can never be injected).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds several headers.
    pub fn headers<N: Into<String>, V: Into<String>>(
        mut self,
        headers: impl IntoIterator<Item = (N, V)>,
    ) -> Self {
        self.headers
            .extend(headers.into_iter().map(|(n, v)| (n.into(), v.into())));
        self
    }

    /// Adds a header whose value is a secret (an API key, a session
    /// token): like [`header`](Self::header), but it is dropped when a
    /// redirect leads to another origin, and never printed by `Debug`.
    /// `Authorization`, `Cookie`, `Proxy-Authorization`, `X-Api-Key` and
    /// `Api-Key` are always treated so.
    pub fn sensitive_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into();
        self.sensitive.push(name.clone());
        self.headers.push((name, value.into()));
        self
    }

    /// Appends `key=value` pairs to the URL's query, form-urlencoded.
    pub fn query<K: AsRef<str>, V: AsRef<str>>(mut self, pairs: &[(K, V)]) -> Self {
        if let Ok(url) = self.url.as_mut() {
            for (k, v) in pairs {
                url.append_query_pair(k.as_ref(), v.as_ref());
            }
        }
        self
    }

    /// Sets the body (bytes, a string, or a [`Body::from_reader`] stream).
    pub fn body(mut self, body: impl Into<Body>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets a JSON body and `Content-Type: application/json`.
    #[cfg(feature = "json")]
    pub fn json(mut self, value: &serde_json::Value) -> Self {
        match serde_json::to_vec(value) {
            Ok(bytes) => {
                self.body = bytes.into();
                self.set_header("Content-Type", "application/json")
            }
            Err(e) => {
                self.error = Some(Error::builder(e));
                self
            }
        }
    }

    /// Sets an `application/x-www-form-urlencoded` body from pairs.
    pub fn form<K: AsRef<str>, V: AsRef<str>>(mut self, pairs: &[(K, V)]) -> Self {
        let mut s = String::new();
        for (i, (k, v)) in pairs.iter().enumerate() {
            if i > 0 {
                s.push('&');
            }
            form_urlencode_into(&mut s, k.as_ref());
            s.push('=');
            form_urlencode_into(&mut s, v.as_ref());
        }
        self.body = s.into();
        self.set_header("Content-Type", "application/x-www-form-urlencoded")
    }

    /// `Authorization: Bearer <token>`.
    pub fn bearer_auth(self, token: impl fmt::Display) -> Self {
        self.set_header("Authorization", format!("Bearer {token}"))
    }

    /// `Authorization: Basic base64(user:password)`.
    pub fn basic_auth(self, user: impl fmt::Display, password: Option<impl fmt::Display>) -> Self {
        let creds = match password {
            Some(p) => format!("{user}:{p}"),
            None => format!("{user}:"),
        };
        self.set_header(
            "Authorization",
            format!("Basic {}", crate::base64::encode(creds.as_bytes())),
        )
    }

    /// This request's retry policy, in place of the client's
    /// ([`ClientBuilder::retry`](crate::ClientBuilder::retry)).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(Box::new(policy));
        self
    }

    /// Marks the request as safe to send more than once, so that the retry
    /// policy may repeat it whatever its method: for a POST whose server
    /// deduplicates (the chat API marks its calls so). A request with an
    /// `Idempotency-Key` header, or an idempotent method (GET, HEAD, PUT,
    /// DELETE, OPTIONS, TRACE), is already.
    pub fn retryable(mut self, yes: bool) -> Self {
        self.retryable = yes;
        self
    }

    /// The total deadline of this request (replaces the client's).
    pub fn timeout(mut self, total: Duration) -> Self {
        self.timeouts.set(Budget::Total, Some(total));
        self
    }

    /// All budgets of this request (replaces the client's).
    pub fn timeouts(mut self, t: Timeouts) -> Self {
        self.timeouts.set_all(t);
        self
    }

    /// The HTTP version of the request. brisk sends HTTP/1.1 only: any
    /// other version fails the request with a builder error at `send()`.
    pub fn version(mut self, version: crate::Version) -> Self {
        if version != crate::Version::HTTP_11 && self.error.is_none() {
            self.error = Some(Error::builder("brisk sends HTTP/1.1 requests only"));
        }
        self
    }

    fn set_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// Sends the request and waits for the response head (the body is read
    /// from the [`Response`]). Redirects are followed per the client's
    /// policy.
    ///
    /// The returned future is `Send` and `'static`: it can be spawned.
    // Not an `async fn`: the request future is the client's own future,
    // one level instead of two, which halves what is moved per call.
    pub fn send(self) -> impl std::future::Future<Output = Result<Response, Error>> {
        let req = match (self.error, self.url) {
            (Some(e), _) | (None, Err(e)) => Err(e),
            (None, Ok(url)) => Ok(Request {
                method: self.method,
                url,
                headers: self.headers,
                body: self.body,
                timeouts: self.timeouts,
                sensitive: self.sensitive,
                retry: self.retry,
                retryable: self.retryable,
                cross_origin: false,
            }),
        };
        self.client.execute(req)
    }
}
