//! [`Request`]: a request ready to send, and its head as it goes on the
//! wire (the client's default fields, the request's own, credentials).

use super::body::{Body, BodyKind};
use super::codings::Codings;
use crate::deadline::{Budget, Budgets};
use crate::error::Error;
use crate::h1::{self, BodyFraming, RequestHead};
use crate::header::{is_credential, HeaderMap, HeaderName, HeaderValue};
use crate::method::Method;
use crate::retry::RetryPolicy;
use crate::url::Url;
use std::fmt;
use std::time::Duration;

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

/// What the client adds to every request's head, and which of its header
/// names are sensitive.
#[derive(Clone, Default)]
pub(crate) struct HeaderDefaults {
    /// `User-Agent`, `Accept` and the caller's default headers.
    pub(crate) fields: HeaderMap,
    /// Header names dropped on a redirect to another origin, and redacted
    /// in `Debug` output, beyond the built-in ones.
    pub(crate) sensitive: Vec<String>,
    /// The `Accept-Encoding` sent for the codings brisk decodes, when the
    /// caller's defaults have none; a request leaves it out if it sets
    /// its own, sends `Range`, or turns decoding off.
    pub(crate) accept_encoding: Option<(HeaderName, HeaderValue)>,
    /// Field names go on the wire title-cased
    /// ([`ClientBuilder::http1_title_case_headers`](super::ClientBuilder::http1_title_case_headers)).
    pub(crate) title_case: bool,
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

/// A request ready to send: made by [`RequestBuilder::build`](super::RequestBuilder::build) or
/// [`Request::new`], changed through its accessors, and sent by
/// [`Client::execute`](super::Client::execute). It can be sent again through
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
    /// Compressed bodies are decoded, if the client accepts their coding
    /// ([`RequestBuilder::decompress`](super::RequestBuilder::decompress)).
    pub(super) decompress: bool,
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
            decompress: true,
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
            decompress: self.decompress,
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
    pub(super) fn codings(&self, client: Codings) -> Codings {
        if self.decompress && !self.headers.contains_key("range") {
            client
        } else {
            Codings::NONE
        }
    }

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
        let start = out.len();
        self.with_head(defaults, via, |head| {
            h1::encode::encode_checked(head, host, out)
        });
        // One flag per head: the default path pays a branch, nothing more.
        if defaults.title_case {
            h1::encode::title_case_names(&mut out[start..]);
        }
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
        // The client's `Accept-Encoding`, unless this request names its own
        // or must not ask for a coding (see `codings`).
        let accept_encoding = defaults.accept_encoding.as_ref().filter(|_| {
            self.decompress
                && !self.headers.contains_key("range")
                && !self.headers.contains_key("accept-encoding")
        });
        let headers = HeaderIter {
            defaults: defaults.fields.iter(),
            accept_encoding,
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
    /// The client's `Accept-Encoding`, written after its defaults.
    accept_encoding: Option<&'a (HeaderName, HeaderValue)>,
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
        if let Some((n, v)) = self.accept_encoding.take() {
            return Some((n, v));
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
