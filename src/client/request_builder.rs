//! [`RequestBuilder`]: a request under construction, and `send()`.

use super::body::Body;
use super::request::Request;
use super::{Client, Response};
use crate::deadline::{Budgets, Timeouts};
use crate::error::Error;
use crate::header::{HeaderMap, HeaderName, HeaderValue};
use crate::method::Method;
use crate::retry::RetryPolicy;
use crate::url::Url;
use crate::urlencoded;
use serde_core::Serialize;
use std::fmt;
use std::time::Duration;

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
    decompress: bool,
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
            decompress: true,
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

    /// Sets a `multipart/form-data` body ([`Form`](crate::multipart::Form))
    /// and the `Content-Type` that names its boundary (replacing any
    /// `Content-Type` set before, which could not name it). The body is
    /// sent with `Content-Length` when every part's length is known, else
    /// chunked; see [`multipart`](crate::multipart).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use brisk::multipart::Form;
    ///
    /// let form = Form::new().text("purpose", "batch").file("file", "input.jsonl").await?;
    /// let file = brisk::Client::new()
    ///     .post("https://api.openai.com/v1/files")
    ///     .bearer_auth("sk-...")
    ///     .multipart(form)
    ///     .send()
    ///     .await?
    ///     .text() // or .json(), with the `json` feature
    ///     .await?;
    /// # let _ = file;
    /// # Ok(()) }
    /// ```
    pub fn multipart(mut self, form: crate::multipart::Form) -> Self {
        match form.encode() {
            Ok((body, content_type)) => {
                self.body = body;
                self.set_header("Content-Type", content_type)
            }
            Err(e) => {
                self.error.get_or_insert(e);
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

    /// Makes the request a child of the caller's span: its `traceparent`
    /// and `tracestate` fields are set from `parent` (replacing any). On a
    /// client with [tracing](crate::ClientBuilder::tracing) each attempt
    /// then sends its own span id under that parent; without it the
    /// caller's context goes out as it is.
    pub fn trace_parent(mut self, parent: &crate::trace::TraceContext) -> Self {
        if parent.state.is_empty() {
            self.headers.remove("tracestate");
            self.set_header("traceparent", parent.parent.to_string())
        } else {
            self.set_header("traceparent", parent.parent.to_string())
                .set_header("tracestate", parent.state.to_string())
        }
    }

    /// This request's retry policy, in place of the client's
    /// ([`ClientBuilder::retry`](crate::ClientBuilder::retry)).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(Box::new(policy));
        self
    }

    /// Whether this request's compressed answer is decoded (`true`, the
    /// default, decodes what the client accepts: see
    /// [`ClientBuilder::gzip`](crate::ClientBuilder::gzip)). With `false`
    /// no `Accept-Encoding` is sent for it (unless set as a header), and
    /// the body is handed over as it came, `Content-Encoding` and all: for
    /// a caller that stores `.gz` files as they are.
    pub fn decompress(mut self, on: bool) -> Self {
        self.decompress = on;
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
                decompress: self.decompress,
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
            decompress: request.decompress,
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
            decompress: self.decompress,
            body: self.body.try_clone()?,
            timeouts: self.timeouts,
            timeout: self.timeout,
            error: None,
        })
    }
}
