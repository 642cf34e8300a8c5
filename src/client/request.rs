//! [`RequestBuilder`], [`Body`], and the request as it goes on the wire.

use super::{Client, Response};
use crate::deadline::{Budget, Budgets, Timeouts};
use crate::error::Error;
use crate::h1::{self, BodyFraming, RequestHead};
use crate::header::{is_credential, HeaderMap, HeaderName, HeaderValue};
use crate::method::Method;
use crate::retry::RetryPolicy;
use crate::url::Url;
use crate::urlencoded;
use serde_core::Serialize;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;
use tokio::io::AsyncRead;

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
        Url::parse_shared(self).map_err(Error::from)
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

    /// A copy, unless the body is a stream.
    pub fn try_clone(&self) -> Option<Body> {
        let kind = match &self.kind {
            BodyKind::Empty => BodyKind::Empty,
            BodyKind::Bytes(b) => BodyKind::Bytes(b.clone()),
            BodyKind::Reader { .. } => return None,
        };
        Some(Body { kind })
    }

    /// The bytes of a body held in memory (`None` for a stream).
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.kind {
            BodyKind::Empty => Some(&[]),
            BodyKind::Bytes(b) => Some(b),
            BodyKind::Reader { .. } => None,
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
    pub(crate) fields: HeaderMap,
    /// Header names dropped on a redirect to another origin, and redacted
    /// in `Debug` output, beyond the built-in ones.
    pub(crate) sensitive: Vec<String>,
}

impl HeaderDefaults {
    /// Checks the default fields as a request head would have them checked
    /// (names, values, no framing fields, one valid `Host`), once: they
    /// never change after the client is built, so requests check only
    /// their own.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        h1::validate_request_head(&RequestHead {
            method: "GET",
            target: "/",
            host: "localhost",
            headers: self.fields.iter(),
            body: BodyFraming::None,
        })?;
        Ok(())
    }

    /// Whether the field `name: value` is sensitive for this client: a
    /// built-in credential header, one the caller listed, or a value
    /// marked sensitive.
    pub(crate) fn is_sensitive(&self, name: &HeaderName, value: &HeaderValue) -> bool {
        value.is_sensitive()
            || is_credential(name.as_str())
            || self.sensitive.iter().any(|s| name == s.as_str())
    }
}

/// A request ready to send: made by [`RequestBuilder::build`] or
/// [`Request::new`], changed through its accessors, and sent by
/// [`Client::execute`]. It can be sent again through
/// [`try_clone`](Request::try_clone) unless its body is a stream.
///
/// ```no_run
/// # async fn run() -> Result<(), brisk::Error> {
/// use brisk::header::{HeaderValue, ACCEPT};
/// use std::time::Duration;
///
/// let client = brisk::Client::new();
/// let mut req = client.get("https://example.com/items").build()?;
/// req.headers_mut().insert(ACCEPT, HeaderValue::from_static("application/json"));
/// *req.timeout_mut() = Some(Duration::from_secs(5));
/// let again = req.try_clone().expect("not a streamed body");
/// let first = client.execute(req).await?;
/// let second = client.execute(again).await?;
/// # Ok(()) }
/// ```
pub struct Request {
    pub(super) method: Method,
    pub(super) url: Url,
    /// The request's own fields; those given to `sensitive_header` have
    /// their value marked sensitive.
    pub(super) headers: HeaderMap,
    pub(super) body: Body,
    /// The phase budgets; `None` (a [`Request::new`]) takes the executing
    /// client's.
    pub(super) timeouts: Option<Budgets>,
    /// The total deadline, over the budgets' own ([`Request::timeout_mut`]).
    pub(super) timeout: Option<Duration>,
    /// This request's retry policy, if not the client's.
    pub(super) retry: Option<Box<RetryPolicy>>,
    /// The caller says the request is safe to repeat.
    pub(super) retryable: bool,
    /// Set once a redirect has left the first origin: from then on no
    /// credential is sent, not even one from the client's defaults.
    pub(super) cross_origin: bool,
}

/// Whether `name` is `Proxy-Authorization`.
fn is_proxy_auth(name: &HeaderName) -> bool {
    name.as_str().eq_ignore_ascii_case("proxy-authorization")
}

/// The name the proxy's credentials go under (a static, so that the
/// header iterator can lend it for as long as it lends the rest).
static PROXY_AUTHORIZATION: HeaderName = HeaderName::from_static("Proxy-Authorization");

impl Request {
    /// A request with no headers and no body. Its timeouts are those of
    /// the client that executes it.
    pub fn new(method: Method, url: Url) -> Request {
        Request {
            method,
            url,
            headers: HeaderMap::new(),
            body: Body::empty(),
            timeouts: None,
            timeout: None,
            retry: None,
            retryable: false,
            cross_origin: false,
        }
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }
    /// The method, to change it.
    pub fn method_mut(&mut self) -> &mut Method {
        &mut self.method
    }
    /// The URL.
    pub fn url(&self) -> &Url {
        &self.url
    }
    /// The URL, to change it.
    pub fn url_mut(&mut self) -> &mut Url {
        &mut self.url
    }
    /// The request's own header fields (the client's defaults are added
    /// when it is sent).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }
    /// The request's own header fields, to change them. They are checked
    /// when the request is sent: a CR, LF or NUL cannot reach the wire.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }
    /// The body, unless it is empty.
    pub fn body(&self) -> Option<&Body> {
        (!matches!(self.body.kind, BodyKind::Empty)).then_some(&self.body)
    }
    /// The body, to replace it (an empty body is [`Body::empty`]).
    pub fn body_mut(&mut self) -> &mut Body {
        &mut self.body
    }
    /// The total deadline set for this request, if any.
    pub fn timeout(&self) -> Option<&Duration> {
        self.timeout.as_ref()
    }
    /// The total deadline, to set or clear it (`None`: the client's).
    pub fn timeout_mut(&mut self) -> &mut Option<Duration> {
        &mut self.timeout
    }
    /// The HTTP version: brisk sends HTTP/1.1.
    pub fn version(&self) -> crate::Version {
        crate::Version::HTTP_11
    }

    /// A copy to send again, or `None` if the body is a stream (which can
    /// be read only once).
    pub fn try_clone(&self) -> Option<Request> {
        Some(Request {
            method: self.method.clone(),
            url: self.url.clone(),
            headers: self.headers.clone(),
            body: self.body.try_clone()?,
            timeouts: self.timeouts,
            timeout: self.timeout,
            retry: self.retry.clone(),
            retryable: self.retryable,
            cross_origin: self.cross_origin,
        })
    }

    /// The budgets this request runs under on a client whose own are
    /// `client`: the request's, or the client's, with the request's total.
    pub(super) fn budgets(&self, client: Budgets) -> Budgets {
        let mut budgets = self.timeouts.unwrap_or(client);
        if let Some(total) = self.timeout {
            budgets.set(Budget::Total, Some(total));
        }
        budgets
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The header map's own Debug hides sensitive values.
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &self.headers)
            .field("body", &self.body)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Request {
    /// Whether the request carries a header field `name`.
    pub(super) fn has_header(&self, name: &str) -> bool {
        self.headers.contains_key(name)
    }

    /// Whether the caller asked for the connection to close after this
    /// request (`Connection: close` in its headers or the defaults).
    pub(super) fn asks_close(&self, defaults: &HeaderDefaults) -> bool {
        self.headers.has_token("connection", "close")
            || defaults.fields.has_token("connection", "close")
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
        // The `Host` sent: the request's own field, else the client's
        // default one (a request's field overrides a default), else the
        // URL's authority. Found here so the fields are walked once.
        // A sensitive default `Host` stays behind on a redirect to another
        // origin, as every sensitive default does (see `HeaderIter`).
        let default_host = defaults
            .fields
            .get("host")
            .filter(|v| !(self.cross_origin && defaults.is_sensitive(&crate::header::HOST, v)));
        let host = self
            .headers
            .get("host")
            .or(default_host)
            .map_or(self.url.authority().as_bytes(), HeaderValue::as_bytes);
        self.with_head(defaults, via, |head| {
            h1::encode::encode_checked(head, host, out)
        });
    }

    /// Checks the head without writing it: the method, the target, the
    /// `Host` and the request's own fields. The client's default fields
    /// were checked once, when the client was built (see
    /// [`HeaderDefaults::validate`]); those added here (Basic auth from
    /// the URL, a proxy's credentials) are base64 and valid as made.
    pub(super) fn validate_head(&self) -> Result<(), Error> {
        h1::validate_request_head(&RequestHead {
            method: self.method.as_str(),
            target: self.url.request_target(),
            host: self.url.authority(),
            headers: self.headers.iter(),
            body: self.body.framing(self.method.as_str()),
        })?;
        Ok(())
    }

    fn with_head<R>(
        &self,
        defaults: &HeaderDefaults,
        via: Via<'_>,
        f: impl FnOnce(&RequestHead<'_, HeaderIter<'_>>) -> R,
    ) -> R {
        let userinfo_auth = (!self.url.username().is_empty()
            && !self.headers.contains_key("authorization"))
        .then(|| {
            let creds = format!(
                "{}:{}",
                self.url.username(),
                self.url.password().unwrap_or("")
            );
            let basic = format!("Basic {}", crate::base64::encode(creds.as_bytes()));
            // Base64 and "Basic " are always a valid value.
            HeaderValue::try_from(basic)
                .ok()
                .map(|v| (HeaderName::from_static("Authorization"), v))
        })
        .flatten();
        let headers = HeaderIter {
            defaults: defaults.fields.iter(),
            client: defaults,
            own: &self.headers,
            userinfo_auth: userinfo_auth.is_some(),
            rest: self.headers.iter(),
            auth: userinfo_auth.as_ref(),
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
            method: self.method.as_str(),
            target,
            host: self.url.authority(),
            headers,
            body: self.body.framing(self.method.as_str()),
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
    Proxy { auth: Option<&'a HeaderValue> },
}

/// The header fields of a request on the wire: the client's defaults that
/// the request does not override (and, after a redirect to another origin,
/// that are not sensitive), then the request's own, then Basic auth from
/// the URL's userinfo.
#[derive(Clone)]
struct HeaderIter<'a> {
    defaults: crate::header::Iter<'a>,
    client: &'a HeaderDefaults,
    own: &'a HeaderMap,
    /// Basic auth from the URL's userinfo follows: it replaces a default
    /// `Authorization`.
    userinfo_auth: bool,
    rest: crate::header::Iter<'a>,
    auth: Option<&'a (HeaderName, HeaderValue)>,
    cross_origin: bool,
    /// Leave out `Proxy-Authorization` fields from the defaults and the
    /// request: inside a tunnel, or when the proxy's own replace them.
    drop_proxy_auth: bool,
    /// The proxy's `Proxy-Authorization` value, written last.
    proxy_auth: Option<&'a HeaderValue>,
}

impl<'a> Iterator for HeaderIter<'a> {
    type Item = (&'a HeaderName, &'a HeaderValue);

    fn next(&mut self) -> Option<Self::Item> {
        for (n, v) in self.defaults.by_ref() {
            let overridden =
                self.own.contains_key(n) || (self.userinfo_auth && n == "authorization");
            if !(overridden
                || (self.cross_origin && self.client.is_sensitive(n, v))
                || (self.drop_proxy_auth && is_proxy_auth(n)))
            {
                return Some((n, v));
            }
        }
        for (n, v) in self.rest.by_ref() {
            if !(self.drop_proxy_auth && is_proxy_auth(n)) {
                return Some((n, v));
            }
        }
        self.auth
            .take()
            .map(|(n, v)| (n, v))
            .or_else(|| self.proxy_auth.take().map(|v| (&PROXY_AUTHORIZATION, v)))
    }
}

/// A request under construction; `send()` sends it.
///
/// Errors in the parts (a bad URL, say) are kept and reported by `send()`.
#[must_use = "a request does nothing until it is sent"]
pub struct RequestBuilder {
    client: Client,
    method: Method,
    url: Result<Url, Error>,
    headers: HeaderMap,
    /// Boxed: rare, and large (it would grow every request future).
    retry: Option<Box<RetryPolicy>>,
    retryable: bool,
    body: Body,
    timeouts: Budgets,
    timeout: Option<Duration>,
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
    pub(super) fn new(
        client: Client,
        method: Result<Method, Error>,
        url: Result<Url, Error>,
    ) -> RequestBuilder {
        let timeouts = client.shared.timeouts;
        let (method, error) = match method {
            Ok(m) => (m, None),
            Err(e) => (Method::GET, Some(e)),
        };
        RequestBuilder {
            client,
            method,
            url,
            headers: HeaderMap::new(),
            retry: None,
            retryable: false,
            body: Body::empty(),
            timeouts,
            timeout: None,
            error,
        }
    }

    /// Keeps the first error, for `send()` to report.
    fn fail(&mut self, e: impl Into<Box<dyn std::error::Error + Send + Sync>>) {
        if self.error.is_none() {
            self.error = Some(Error::builder(e));
        }
    }

    /// Converts a name and a value, or records why not.
    fn field<K, V>(&mut self, key: K, value: V) -> Option<(HeaderName, HeaderValue)>
    where
        K: TryInto<HeaderName>,
        K::Error: std::error::Error + Send + Sync + 'static,
        V: TryInto<HeaderValue>,
        V::Error: std::error::Error + Send + Sync + 'static,
    {
        match (key.try_into(), value.try_into()) {
            (Ok(name), Ok(value)) => Some((name, value)),
            (Err(e), _) => {
                self.fail(e);
                None
            }
            (_, Err(e)) => {
                self.fail(e);
                None
            }
        }
    }

    /// Adds a header field, after any of the same name (as reqwest's
    /// `header` does). Name and value may be strings or a
    /// [`HeaderName`](crate::header::HeaderName) and a
    /// [`HeaderValue`](crate::header::HeaderValue) (or an integer).
    ///
    /// A string that is not a valid name, or a value with CR, LF, NUL or
    /// another control byte, fails the request when it is sent, with
    /// nothing sent ([`Error::is_builder`]): headers can never be
    /// injected.
    ///
    /// ```no_run
    /// use brisk::header::{self, HeaderValue};
    ///
    /// # async fn run(client: brisk::Client) -> Result<(), brisk::Error> {
    /// let resp = client
    ///     .get("https://api.example.com/items")
    ///     .header(header::ACCEPT, HeaderValue::from_static("application/json"))
    ///     .header("X-Request-Id", "42")
    ///     .header(header::RANGE, format!("bytes={}-", 1024))
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn header<K, V>(mut self, key: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        K::Error: std::error::Error + Send + Sync + 'static,
        V: TryInto<HeaderValue>,
        V::Error: std::error::Error + Send + Sync + 'static,
    {
        if let Some((name, value)) = self.field(key, value) {
            self.headers.append(name, value);
        }
        self
    }

    /// Adds every field of `headers`, replacing the fields of those names
    /// that the request already has (as reqwest's `headers` does). A value
    /// marked sensitive stays so.
    pub fn headers(mut self, headers: HeaderMap) -> Self {
        self.headers.extend(headers);
        self
    }

    /// Adds a header whose value is a secret (an API key, a session
    /// token): like [`header`](Self::header), but it is dropped when a
    /// redirect leads to another origin, and never printed by `Debug`; the
    /// same as a [`HeaderValue`] marked with
    /// [`set_sensitive`](HeaderValue::set_sensitive).
    /// `Authorization`, `Cookie`, `Proxy-Authorization`, `X-Api-Key` and
    /// `Api-Key` are always treated so.
    pub fn sensitive_header<K, V>(mut self, key: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        K::Error: std::error::Error + Send + Sync + 'static,
        V: TryInto<HeaderValue>,
        V::Error: std::error::Error + Send + Sync + 'static,
    {
        if let Some((name, mut value)) = self.field(key, value) {
            value.set_sensitive(true);
            self.headers.append(name, value);
        }
        self
    }

    /// Appends `name=value` pairs to the URL's query, after any query it
    /// already has; each call appends more.
    ///
    /// `query` takes what serializes as a flat list of pairs, by
    /// serde_urlencoded's rules (as reqwest's `query` does): a struct with
    /// `#[derive(Serialize)]`, a `HashMap` or `BTreeMap`, a slice, array or
    /// `Vec` of `(name, value)` tuples. Values are strings, numbers, bools,
    /// chars or unit enum variants; a `None` value leaves its pair out.
    /// Names and values are form-urlencoded (a space becomes `+`). A nested
    /// sequence, map or struct as a value cannot be said in a query: `send()`
    /// then fails with [`Error::is_builder`].
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), brisk::Error> {
    /// #[derive(serde::Serialize)]
    /// struct Page<'a> {
    ///     q: &'a str,
    ///     limit: u32,
    ///     cursor: Option<&'a str>,
    /// }
    ///
    /// let client = brisk::Client::new();
    /// // GET /search?q=rust+http&limit=10&order=desc
    /// client
    ///     .get("http://127.0.0.1:8080/search")
    ///     .query(&Page { q: "rust http", limit: 10, cursor: None })
    ///     .query(&[("order", "desc")])
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn query<T: Serialize + ?Sized>(mut self, query: &T) -> Self {
        if let Ok(url) = self.url.as_mut() {
            // On an error the URL may keep some of the pairs; it is never
            // used, since `send()` reports the error instead.
            if let Err(e) = urlencoded::for_each_pair(query, &mut |k, v| {
                url.append_query_pair(k, v);
            }) {
                self.error.get_or_insert(Error::builder(e));
            }
        }
        self
    }

    /// Sets the body (bytes, a string, or a [`Body::from_reader`] stream).
    pub fn body(mut self, body: impl Into<Body>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets the body to `value` serialized as JSON: any type with
    /// `#[derive(Serialize)]`, or a `serde_json::Value`. Fields go out in
    /// the order the type serializes them (a struct's declaration order).
    ///
    /// Sets `Content-Type: application/json`, unless the request already
    /// has a `Content-Type` (set earlier, in any case), which it keeps, as
    /// reqwest does. If `value` cannot be serialized (a map with non-string
    /// keys, say), `send()` fails with [`Error::is_builder`].
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), brisk::Error> {
    /// #[derive(serde::Serialize)]
    /// struct Chat<'a> {
    ///     model: &'a str,
    ///     messages: Vec<Message<'a>>,
    ///     #[serde(skip_serializing_if = "Option::is_none")]
    ///     temperature: Option<f32>,
    /// }
    /// #[derive(serde::Serialize)]
    /// struct Message<'a> {
    ///     role: &'a str,
    ///     content: &'a str,
    /// }
    ///
    /// let chat = Chat {
    ///     model: "gpt-4o-mini",
    ///     messages: vec![Message { role: "user", content: "Hi" }],
    ///     temperature: None,
    /// };
    /// let resp = brisk::Client::new()
    ///     .post("http://127.0.0.1:8080/v1/chat/completions")
    ///     .json(&chat)
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "json")]
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        // serde_json::to_vec starts at 128 bytes and doubles: an everyday
        // chat request (300 bytes to a few KiB) would cost 2 to 5
        // allocations instead of 1.
        let mut bytes = Vec::with_capacity(512);
        match serde_json::to_writer(&mut bytes, value) {
            Ok(()) => {
                self.body = bytes.into();
                self.set_header_if_absent("Content-Type", "application/json")
            }
            Err(e) => {
                self.error.get_or_insert(Error::builder(e));
                self
            }
        }
    }

    /// Sets an `application/x-www-form-urlencoded` body: `value`'s pairs,
    /// by the rules of [`query`](Self::query), joined by `&`, with names and
    /// values form-urlencoded (a space becomes `+`).
    ///
    /// Sets `Content-Type: application/x-www-form-urlencoded` unless the
    /// request already has a `Content-Type`. A value that is not a flat
    /// list of pairs makes `send()` fail with [`Error::is_builder`].
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), brisk::Error> {
    /// use std::collections::HashMap;
    ///
    /// let client = brisk::Client::new();
    /// // grant_type=client_credentials&scope=read+write
    /// client
    ///     .post("http://127.0.0.1:8080/token")
    ///     .form(&[("grant_type", "client_credentials"), ("scope", "read write")])
    ///     .send()
    ///     .await?;
    /// let fields = HashMap::from([("name", "brisk")]);
    /// client.post("http://127.0.0.1:8080/f").form(&fields).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn form<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        match urlencoded::to_form(value) {
            Ok(body) => {
                self.body = body.into();
                self.set_header_if_absent("Content-Type", "application/x-www-form-urlencoded")
            }
            Err(e) => {
                self.error.get_or_insert(Error::builder(e));
                self
            }
        }
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
        self.timeout = Some(total);
        self
    }

    /// All budgets of this request (replaces the client's).
    pub fn timeouts(mut self, t: Timeouts) -> Self {
        self.timeouts.set_all(t);
        // `t.total` replaces a total set earlier with `timeout`: the last
        // call wins, whichever of the two it is.
        self.timeout = None;
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

    /// Sets the field `name` (a literal), replacing any value it had.
    fn set_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        match HeaderValue::try_from(value.into()) {
            Ok(v) => {
                self.headers.insert(HeaderName::from_static(name), v);
            }
            Err(e) => self.fail(e),
        }
        self
    }

    /// Adds `name: value` unless the request has a `name` field already
    /// (a `Content-Type` the caller chose wins over a body's default).
    fn set_header_if_absent(self, name: &'static str, value: &'static str) -> Self {
        if self.headers.contains_key(name) {
            return self;
        }
        self.set_header(name, value)
    }

    /// Sends the request and waits for the response head (the body is read
    /// from the [`Response`]). Redirects are followed per the client's
    /// policy.
    ///
    /// The returned future is `Send` and `'static`: it can be spawned.
    // Not an `async fn`: the request future is the client's own future,
    // one level instead of two, which halves what is moved per call.
    pub fn send(self) -> impl std::future::Future<Output = Result<Response, Error>> {
        let (client, req) = self.build_split();
        client.run(req)
    }

    /// The request, to send later with [`Client::execute`] (or to change
    /// first): the first error in its parts, if any.
    pub fn build(self) -> Result<Request, Error> {
        self.build_split().1
    }

    /// The client and the request, as [`build`](Self::build) gives it.
    pub fn build_split(self) -> (Client, Result<Request, Error>) {
        let req = match (self.error, self.url) {
            (Some(e), _) | (None, Err(e)) => Err(e),
            (None, Ok(url)) => Ok(Request {
                method: self.method,
                url,
                headers: self.headers,
                body: self.body,
                timeouts: Some(self.timeouts),
                timeout: self.timeout,
                retry: self.retry,
                retryable: self.retryable,
                cross_origin: false,
            }),
        };
        (self.client, req)
    }

    /// A builder for `request` on `client`: the way back from
    /// [`build_split`](Self::build_split).
    pub fn from_parts(client: Client, request: Request) -> RequestBuilder {
        RequestBuilder {
            timeouts: request.budgets(client.shared.timeouts),
            client,
            method: request.method,
            url: Ok(request.url),
            headers: request.headers,
            retry: request.retry,
            retryable: request.retryable,
            body: request.body,
            timeout: request.timeout,
            error: None,
        }
    }

    /// A copy of the builder, or `None` if its body is a stream or one of
    /// its parts is in error.
    pub fn try_clone(&self) -> Option<RequestBuilder> {
        if self.error.is_some() {
            return None;
        }
        Some(RequestBuilder {
            client: self.client.clone(),
            method: self.method.clone(),
            url: Ok(self.url.as_ref().ok()?.clone()),
            headers: self.headers.clone(),
            retry: self.retry.clone(),
            retryable: self.retryable,
            body: self.body.try_clone()?,
            timeouts: self.timeouts,
            timeout: self.timeout,
            error: None,
        })
    }
}
