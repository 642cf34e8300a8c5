//! The public client: `Client`, `RequestBuilder`, `Response`, shaped like
//! reqwest's so that switching takes minutes.

use crate::conn::{BodyPart, Conn};
use crate::deadline::{Deadline, Timeouts};
use crate::error::{Error, Kind, Phase};
use crate::h1::{self, BodyFraming, Headers, Limits, RequestHead, ResponseHead, Version};
use crate::pool::{CloseReason, Counters, Grant, Pool, PoolConfig, Slot};
use crate::transport::{tcp, Stream};
use crate::url::{form_urlencode_into, Scheme, Url};
use std::borrow::Cow;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};

/// Bodies up to this size are written in the same buffer as the head: one
/// write, one TCP segment for typical API calls.
const INLINE_BODY: usize = 64 * 1024;

/// A redirect's body up to this size is read (and dropped) to keep its
/// connection; a larger one closes it.
const REDIRECT_BODY_MAX: usize = 64 * 1024;

/// An HTTP status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatusCode(pub(crate) u16);

impl StatusCode {
    /// The code as a number.
    pub fn as_u16(self) -> u16 {
        self.0
    }
    /// 100–199.
    pub fn is_informational(self) -> bool {
        (100..200).contains(&self.0)
    }
    /// 200–299.
    pub fn is_success(self) -> bool {
        (200..300).contains(&self.0)
    }
    /// 300–399.
    pub fn is_redirection(self) -> bool {
        (300..400).contains(&self.0)
    }
    /// 400–499.
    pub fn is_client_error(self) -> bool {
        (400..500).contains(&self.0)
    }
    /// 500–599.
    pub fn is_server_error(self) -> bool {
        (500..600).contains(&self.0)
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl PartialEq<u16> for StatusCode {
    fn eq(&self, other: &u16) -> bool {
        self.0 == *other
    }
}

/// How redirects are followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RedirectPolicy {
    max: usize,
    allow_downgrade: bool,
}

impl RedirectPolicy {
    /// Follow up to `max` redirects (the default is 10).
    pub fn limited(max: usize) -> Self {
        RedirectPolicy {
            max,
            allow_downgrade: false,
        }
    }

    /// Never follow: a 3xx response is returned as it is.
    pub fn none() -> Self {
        RedirectPolicy::limited(0)
    }

    /// Whether a redirect from `https` to `http` may be followed (default:
    /// no, it fails with an error for which `is_redirect()` is true).
    pub fn allow_https_to_http(mut self, allow: bool) -> Self {
        self.allow_downgrade = allow;
        self
    }
}

impl Default for RedirectPolicy {
    fn default() -> Self {
        RedirectPolicy::limited(10)
    }
}

/// Counters of a client's connection use, from [`Client::stats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// Connections opened (TCP connects that succeeded).
    pub connections_opened: u64,
    /// Requests that got a response head.
    pub requests_sent: u64,
    /// Of those, the ones sent on a reused connection.
    pub requests_reused: u64,
    /// Idle connections in the pool now.
    pub idle_connections: usize,
    /// Connections closed, by reason.
    pub closed: ClosedCounts,
}

impl ClientStats {
    /// `requests_reused / requests_sent` (0 before any request).
    pub fn reuse_ratio(&self) -> f64 {
        if self.requests_sent == 0 {
            0.0
        } else {
            self.requests_reused as f64 / self.requests_sent as f64
        }
    }
}

/// Connections closed, by why.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClosedCounts {
    /// The response said so: `Connection: close`, HTTP/1.0 without
    /// keep-alive, a body delimited by close, or suspect framing.
    pub not_reusable: u64,
    /// Idle longer than the pool's idle timeout.
    pub idle_timeout: u64,
    /// Past the server's `Keep-Alive: timeout=N`.
    pub keep_alive_expired: u64,
    /// Found closed (or sending unasked bytes) when about to be reused.
    pub server_closed: u64,
    /// More idle connections than `pool_max_idle_per_host`.
    pub pool_full: u64,
    /// A request on it failed (I/O, protocol error or timeout).
    pub error: u64,
    /// Its response was dropped before the body's end.
    pub abandoned: u64,
}

/// Where a request's time went, as curl's `-w` reports it. Phases that did
/// not happen (DNS, connect and TLS on a reused connection) are zero; over
/// redirects, DNS, connect and TLS add up across the hops.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timings {
    /// Resolving the host name.
    pub dns: Duration,
    /// The TCP connect.
    pub connect: Duration,
    /// The TLS handshake.
    pub tls: Duration,
    /// From the start of the request until the final response head arrived
    /// (including DNS, connect, TLS and any redirects before it).
    pub ttfb: Duration,
    /// From the start of the request to its end: the last body byte once
    /// the body has been read, the head until then.
    pub total: Duration,
}

/// Builds a [`Client`].
#[derive(Debug)]
pub struct ClientBuilder {
    timeouts: Timeouts,
    pool: PoolConfig,
    default_headers: Vec<(String, String)>,
    user_agent: String,
    redirect: RedirectPolicy,
    limits: Limits,
    #[cfg(feature = "tls")]
    builtin_roots: bool,
    #[cfg(feature = "tls")]
    roots: Vec<crate::Certificate>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            timeouts: Timeouts::default(),
            pool: PoolConfig {
                max_idle_per_host: usize::MAX,
                max_per_host: usize::MAX,
                idle_timeout: Duration::from_secs(90),
            },
            default_headers: Vec::new(),
            user_agent: concat!("brisk/", env!("CARGO_PKG_VERSION")).to_string(),
            redirect: RedirectPolicy::default(),
            limits: Limits::default(),
            #[cfg(feature = "tls")]
            builtin_roots: true,
            #[cfg(feature = "tls")]
            roots: Vec::new(),
        }
    }
}

impl ClientBuilder {
    /// The total deadline of each request, from `send()` to the end of the
    /// body (default: none).
    pub fn timeout(mut self, total: Duration) -> Self {
        self.timeouts.total = Some(total);
        self
    }
    /// DNS plus TCP connect (default 10 s).
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.timeouts.connect = Some(d);
        self
    }
    /// The TLS handshake (default 10 s).
    pub fn tls_timeout(mut self, d: Duration) -> Self {
        self.timeouts.tls = Some(d);
        self
    }
    /// Writing the request (default: none).
    pub fn write_timeout(mut self, d: Duration) -> Self {
        self.timeouts.write = Some(d);
        self
    }
    /// The longest wait for the next bytes of a response (default 60 s).
    pub fn read_timeout(mut self, d: Duration) -> Self {
        self.timeouts.read = Some(d);
        self
    }
    /// The longest wait for a connection when `pool_max_per_host` are busy
    /// (default 30 s).
    pub fn pool_wait_timeout(mut self, d: Duration) -> Self {
        self.timeouts.pool_wait = Some(d);
        self
    }
    /// All budgets at once.
    pub fn timeouts(mut self, t: Timeouts) -> Self {
        self.timeouts = t;
        self
    }
    /// Idle connections kept per host (default: no limit).
    pub fn pool_max_idle_per_host(mut self, n: usize) -> Self {
        self.pool.max_idle_per_host = n;
        self
    }
    /// Connections open at once per host, idle or busy; further requests
    /// wait in FIFO order, up to the pool-wait timeout (default: no limit).
    pub fn pool_max_per_host(mut self, n: usize) -> Self {
        self.pool.max_per_host = n.max(1);
        self
    }
    /// How long an idle connection is kept (default 90 s).
    pub fn pool_idle_timeout(mut self, d: Duration) -> Self {
        self.pool.idle_timeout = d;
        self
    }
    /// A header sent with every request (a request's own header of the
    /// same name replaces it).
    pub fn default_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.default_headers.push((name.into(), value.into()));
        self
    }
    /// The `User-Agent` (default `brisk/<version>`).
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }
    /// How redirects are followed (default: up to 10, no https→http).
    pub fn redirect(mut self, policy: RedirectPolicy) -> Self {
        self.redirect = policy;
        self
    }
    /// Bounds on what servers may send (head size, header count...).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
    /// Trusts `cert` as a root, beside the built-in ones.
    #[cfg(feature = "tls")]
    pub fn add_root_certificate(mut self, cert: crate::Certificate) -> Self {
        self.roots.push(cert);
        self
    }
    /// Whether the webpki-roots (Mozilla's) trust anchors are used (default
    /// true). Turn off to trust only the added roots.
    #[cfg(feature = "tls")]
    pub fn tls_built_in_root_certs(mut self, on: bool) -> Self {
        self.builtin_roots = on;
        self
    }

    /// Builds the client. Fails only on an invalid TLS configuration.
    pub fn build(self) -> Result<Client, Error> {
        #[cfg(feature = "tls")]
        let tls = crate::transport::tls::config(self.builtin_roots, &self.roots)?;
        let counters = Arc::new(Counters::default());
        let mut fixed_headers = vec![
            ("User-Agent".to_string(), self.user_agent),
            ("Accept".to_string(), "*/*".to_string()),
        ];
        for (name, value) in self.default_headers {
            fixed_headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
            fixed_headers.push((name, value));
        }
        Ok(Client {
            shared: Arc::new(Shared {
                pool: Pool::new(self.pool, counters.clone()),
                counters,
                timeouts: self.timeouts,
                default_headers: fixed_headers,
                redirect: self.redirect,
                limits: self.limits,
                #[cfg(feature = "tls")]
                tls,
            }),
        })
    }
}

/// An HTTP/1.1 client with a keep-alive pool. Cheap to clone: clones share
/// the pool, settings and counters. Use one per process (or per set of
/// settings) and share it across tasks.
///
/// ```no_run
/// # async fn run() -> Result<(), brisk::Error> {
/// let client = brisk::Client::new();
/// let body = client.get("http://example.com/").send().await?.text().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

struct Shared {
    pool: Pool,
    counters: Arc<Counters>,
    timeouts: Timeouts,
    default_headers: Vec<(String, String)>,
    redirect: RedirectPolicy,
    limits: Limits,
    #[cfg(feature = "tls")]
    tls: Arc<rustls::ClientConfig>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl Default for Client {
    fn default() -> Self {
        Client::new()
    }
}

impl Client {
    /// A client with the default settings.
    ///
    /// # Panics
    /// Never with the built-in configuration; use [`Client::builder`] to
    /// handle TLS configuration errors yourself.
    pub fn new() -> Client {
        ClientBuilder::default()
            .build()
            .expect("the default TLS configuration is valid")
    }

    /// A builder for a client with other settings.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A `GET` request.
    pub fn get(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request("GET", url)
    }
    /// A `POST` request.
    pub fn post(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request("POST", url)
    }
    /// A `PUT` request.
    pub fn put(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request("PUT", url)
    }
    /// A `PATCH` request.
    pub fn patch(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request("PATCH", url)
    }
    /// A `DELETE` request.
    pub fn delete(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request("DELETE", url)
    }
    /// A `HEAD` request.
    pub fn head(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request("HEAD", url)
    }

    /// A request with any method (a token such as `OPTIONS`).
    pub fn request(&self, method: &str, url: impl IntoUrl) -> RequestBuilder {
        RequestBuilder {
            client: self.clone(),
            method: method_name(method),
            url: url.into_url(),
            headers: Vec::new(),
            body: Body::empty(),
            timeouts: self.shared.timeouts,
            error: None,
        }
    }

    /// Connection counters so far.
    pub fn stats(&self) -> ClientStats {
        let c = &self.shared.counters;
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        ClientStats {
            connections_opened: load(&c.opened),
            requests_sent: load(&c.requests),
            requests_reused: load(&c.reused),
            idle_connections: self.shared.pool.idle_count(),
            closed: ClosedCounts {
                not_reusable: load(&c.closed[CloseReason::NotReusable as usize]),
                idle_timeout: load(&c.closed[CloseReason::IdleTimeout as usize]),
                keep_alive_expired: load(&c.closed[CloseReason::KeepAliveExpired as usize]),
                server_closed: load(&c.closed[CloseReason::ServerClosed as usize]),
                pool_full: load(&c.closed[CloseReason::PoolFull as usize]),
                error: load(&c.closed[CloseReason::Error as usize]),
                abandoned: load(&c.closed[CloseReason::Abandoned as usize]),
            },
        }
    }

    async fn execute(self, req: Result<Request, Error>) -> Result<Response, Error> {
        let mut req = req?;
        let deadline = Deadline::start(req.timeouts);
        let mut followed = 0;
        // DNS, connect and TLS of earlier hops, added to the final one's.
        let mut earlier = Timings::default();
        loop {
            let mut hop = self
                .send_once(&mut req, &deadline)
                .await
                .map_err(|e| e.with_url(&req.url))?;
            match self.follow(&hop.head, &mut req, followed)? {
                None => {
                    hop.timings.dns += earlier.dns;
                    hop.timings.connect += earlier.connect;
                    hop.timings.tls += earlier.tls;
                    return Ok(Response::new(self, &req.method, hop, req.url, deadline));
                }
                Some(next) => {
                    followed += 1;
                    earlier.dns += hop.timings.dns;
                    earlier.connect += hop.timings.connect;
                    earlier.tls += hop.timings.tls;
                    // The 3xx body (usually a tiny page) is read and
                    // discarded so that its connection can serve the next
                    // hop; a large one is not worth the wait.
                    let previous = std::mem::replace(&mut req.url, next);
                    let mut resp =
                        Response::new(self.clone(), &req.method, hop, previous, deadline);
                    resp.discard_body(REDIRECT_BODY_MAX).await;
                }
            }
        }
    }

    /// Decides whether `head` is a redirect to follow, adjusting `req` for
    /// the next hop (RFC 9110 §15.4).
    fn follow(
        &self,
        head: &ResponseHead,
        req: &mut Request,
        followed: usize,
    ) -> Result<Option<Url>, Error> {
        let policy = self.shared.redirect;
        let status = head.status;
        if policy.max == 0 || !matches!(status, 301 | 302 | 303 | 307 | 308) {
            return Ok(None);
        }
        let Some(location) = head.headers.get("location") else {
            return Ok(None);
        };
        let redirect_error = |msg: &'static str| {
            Error::new(Kind::Redirect)
                .with_url(&req.url)
                .with_source(msg)
        };
        let next = req
            .url
            .join(location)
            .map_err(|e| Error::new(Kind::Redirect).with_url(&req.url).with_source(e))?;
        if followed >= policy.max {
            return Err(redirect_error("too many redirects"));
        }
        if req.url.scheme() == Scheme::Https
            && next.scheme() == Scheme::Http
            && !policy.allow_downgrade
        {
            return Err(redirect_error("refused redirect from https to http"));
        }
        let keeps_method = matches!(status, 307 | 308);
        if keeps_method {
            // The body must be sent again: impossible for a stream.
            if !req.body.is_replayable() {
                return Ok(None);
            }
        } else if status == 303 || (req.method != "GET" && req.method != "HEAD") {
            // 303, and 301/302 after a POST (as browsers, curl -L and
            // reqwest do), turn into a GET without a body. HEAD stays HEAD.
            if req.method != "HEAD" {
                req.method = Cow::Borrowed("GET");
            }
            req.body = Body::empty();
            req.headers.retain(|(n, _)| {
                !n.get(..8)
                    .is_some_and(|p| p.eq_ignore_ascii_case("content-"))
            });
        }
        if !req.url.same_origin(&next) {
            // Credentials belong to the origin they were given for, and a
            // Host set by the caller named the old one.
            req.cross_origin = true;
            req.headers
                .retain(|(n, _)| !is_credential(n) && !n.eq_ignore_ascii_case("host"));
        }
        Ok(Some(next))
    }

    /// One request-response exchange on one connection, retried on a fresh
    /// connection when a reused one turns out to have been closed by the
    /// server before it answered (a race no liveness check can close).
    async fn send_once(&self, req: &mut Request, deadline: &Deadline) -> Result<Hop, Error> {
        let shared = &self.shared;
        // Refused here, before a connection is spent on it.
        req.validate_head(&shared.default_headers)?;
        let mut retried = false;
        loop {
            // `slot` is bound first so that it drops last: the connection
            // closes before its place under the host's limit is given back.
            let (slot, mut conn, reused, mut timings) = match shared
                .pool
                .checkout(req.url.origin(), retried, deadline)
                .await?
            {
                Grant::Reuse(conn, slot) => (slot, conn, true, Timings::default()),
                Grant::Open(slot) => {
                    // Boxed: connecting (DNS, Happy Eyeballs, the TLS
                    // handshake) is a large future, and the request future
                    // would otherwise carry its size on every call.
                    let (conn, timings) = Box::pin(self.connect(&req.url, deadline)).await?;
                    shared.counters.opened.fetch_add(1, Ordering::Relaxed);
                    (slot, conn, false, timings)
                }
            };
            match exchange(&mut conn, req, &shared.default_headers, deadline).await {
                Ok(head) => {
                    shared.counters.requests.fetch_add(1, Ordering::Relaxed);
                    if reused {
                        shared.counters.reused.fetch_add(1, Ordering::Relaxed);
                    }
                    timings.ttfb = deadline.started().elapsed();
                    timings.total = timings.ttfb;
                    return Ok(Hop {
                        head,
                        conn,
                        slot,
                        reused,
                        timings,
                        close: req.asks_close(&shared.default_headers),
                    });
                }
                Err(e) => {
                    shared.counters.closed(CloseReason::Error);
                    // The server closed a pooled connection as we reused
                    // it: nothing of a response arrived. Idempotent
                    // requests are sent once more, on a fresh connection.
                    let stale = reused && !conn.response_started && !e.is_timeout();
                    drop(conn);
                    drop(slot);
                    if stale && !retried && req.is_idempotent() && req.body.is_replayable() {
                        retried = true;
                        continue;
                    }
                    return Err(e);
                }
            }
        }
    }

    async fn connect(&self, url: &Url, deadline: &Deadline) -> Result<(Box<Conn>, Timings), Error> {
        let (tcp, remote, times) = tcp::connect(&url.host(), url.port(), deadline).await?;
        let (stream, tls_time) = match url.scheme() {
            Scheme::Http => (Stream::Tcp(tcp), Duration::ZERO),
            #[cfg(feature = "tls")]
            Scheme::Https => {
                let t = tokio::time::Instant::now();
                let config = self.shared.tls.clone();
                let host = url.host_str();
                let tls = deadline
                    .run(Phase::Tls, async {
                        crate::transport::tls::TlsStream::connect(tcp, config, host)
                            .await
                            .map_err(|e| Error::io(Phase::Tls, e))
                    })
                    .await?;
                (Stream::Tls(Box::new(tls)), t.elapsed())
            }
            #[cfg(not(feature = "tls"))]
            Scheme::Https => {
                drop(tcp);
                return Err(Error::builder("https needs brisk's `tls` feature"));
            }
        };
        let timings = Timings {
            dns: times.dns,
            connect: times.connect,
            tls: tls_time,
            ..Timings::default()
        };
        Ok((
            Box::new(Conn::new(stream, remote, self.shared.limits.clone())),
            timings,
        ))
    }
}

/// Writes the request on `conn` and reads the final response head.
/// Sends a streamed body with chunked framing.
async fn stream_body(
    conn: &mut Conn,
    reader: &mut (dyn AsyncRead + Send + Unpin),
    deadline: &Deadline,
) -> Result<(), Error> {
    let mut chunk = vec![0u8; 16 * 1024];
    let mut framed = Vec::with_capacity(chunk.len() + 16);
    loop {
        let n = deadline
            .run(Phase::Write, async {
                reader
                    .read(&mut chunk)
                    .await
                    .map_err(|e| Error::io(Phase::Write, e))
            })
            .await?;
        framed.clear();
        if n == 0 {
            h1::encode_last_chunk(&mut framed);
            conn.write_more(&framed, deadline).await?;
            return conn.flush(deadline).await;
        }
        h1::encode_chunk(&chunk[..n], &mut framed);
        conn.write_more(&framed, deadline).await?;
    }
}

/// One response head and the connection it came on.
struct Hop {
    head: ResponseHead,
    conn: Box<Conn>,
    slot: Slot,
    reused: bool,
    timings: Timings,
    /// The request said `Connection: close`.
    close: bool,
}

/// Writes the request on `conn` and reads the final response head.
async fn exchange(
    conn: &mut Conn,
    req: &mut Request,
    defaults: &[(String, String)],
    deadline: &Deadline,
) -> Result<ResponseHead, Error> {
    // Head and a small body go out in one write.
    conn.prepare_request(&req.method, |buf| {
        req.encode_head(defaults, buf);
        if let BodyKind::Bytes(b) = &req.body.kind {
            if b.len() <= INLINE_BODY {
                buf.extend_from_slice(b);
            }
        }
        Ok(())
    })?;
    conn.write_request(deadline).await?;
    match &mut req.body.kind {
        BodyKind::Empty => {}
        BodyKind::Bytes(b) if b.len() <= INLINE_BODY => {}
        BodyKind::Bytes(b) => {
            conn.write_more(b, deadline).await?;
            conn.flush(deadline).await?;
        }
        BodyKind::Reader(reader) => {
            let Some(reader) = reader.as_mut() else {
                return Err(Error::builder("a streamed body can be sent only once"));
            };
            // Boxed for the same reason as connecting: rare and large.
            Box::pin(stream_body(conn, reader, deadline)).await?;
            req.body.kind = BodyKind::Reader(None);
        }
    }
    let head = conn.read_head(deadline).await?;
    if head.status == 101 {
        return Err(
            Error::protocol(Phase::ReadHead, h1::ParseError::IncompleteMessage)
                .with_source("unsolicited 101 switching protocols"),
        );
    }
    Ok(head)
}

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

/// A request body.
pub struct Body {
    kind: BodyKind,
}

enum BodyKind {
    Empty,
    Bytes(Vec<u8>),
    /// Streamed, sent chunked; `None` once sent.
    Reader(Option<Box<dyn AsyncRead + Send + Unpin>>),
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
            kind: BodyKind::Reader(Some(Box::new(reader))),
        }
    }

    fn is_replayable(&self) -> bool {
        !matches!(self.kind, BodyKind::Reader(_))
    }

    fn framing(&self) -> BodyFraming {
        match &self.kind {
            BodyKind::Empty => BodyFraming::None,
            BodyKind::Bytes(b) => BodyFraming::Length(b.len() as u64),
            BodyKind::Reader(_) => BodyFraming::Chunked,
        }
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            BodyKind::Empty => f.write_str("Body::Empty"),
            BodyKind::Bytes(b) => write!(f, "Body({} bytes)", b.len()),
            BodyKind::Reader(_) => f.write_str("Body::Stream"),
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

/// A request being prepared.
struct Request {
    method: Cow<'static, str>,
    url: Url,
    headers: Vec<(String, String)>,
    body: Body,
    timeouts: Timeouts,
    /// Set once a redirect has left the first origin: from then on no
    /// credential is sent, not even one from the client's defaults.
    cross_origin: bool,
}

/// Headers that carry credentials, dropped when a redirect changes origin.
const CREDENTIALS: [&str; 3] = ["authorization", "cookie", "proxy-authorization"];

fn is_credential(name: &str) -> bool {
    CREDENTIALS.iter().any(|c| name.eq_ignore_ascii_case(c))
}

impl Request {
    /// Whether the method may be sent twice with the effect of once
    /// (RFC 9110 §9.2.2): only such requests are retried automatically.
    fn is_idempotent(&self) -> bool {
        matches!(
            &*self.method,
            "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS" | "TRACE"
        )
    }

    /// Whether the caller asked for the connection to close after this
    /// request (`Connection: close` in its headers or the defaults).
    fn asks_close(&self, defaults: &[(String, String)]) -> bool {
        self.headers.iter().chain(defaults).any(|(n, v)| {
            n.eq_ignore_ascii_case("connection")
                && v.split(',').any(|t| t.trim().eq_ignore_ascii_case("close"))
        })
    }
}

impl Request {
    /// Encodes the head: the client's defaults that the request does not
    /// override, the request's headers, Basic auth from the URL's userinfo
    /// if no Authorization was set, and the framing.
    /// Writes the head, which [`Request::validate_head`] has accepted.
    fn encode_head(&self, defaults: &[(String, String)], out: &mut Vec<u8>) {
        self.with_head(defaults, |head| h1::encode::encode_prevalidated(head, out));
    }

    /// Checks the head without writing it.
    fn validate_head(&self, defaults: &[(String, String)]) -> Result<(), Error> {
        #[allow(clippy::redundant_closure)] // a closure keeps the lifetimes general
        self.with_head(defaults, |head| h1::validate_request_head(head))?;
        Ok(())
    }

    fn with_head<R>(
        &self,
        defaults: &[(String, String)],
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
            defaults: defaults.iter(),
            own: &self.headers,
            rest: self.headers.iter().chain(userinfo_auth.iter()),
            cross_origin: self.cross_origin,
        };
        f(&RequestHead {
            method: &self.method,
            target: self.url.request_target(),
            host: self.url.authority(),
            headers,
            body: self.body.framing(),
        })
    }
}

type OwnThenAuth<'a> = std::iter::Chain<
    std::slice::Iter<'a, (String, String)>,
    std::option::Iter<'a, (String, String)>,
>;

/// The header fields of a request on the wire: the client's defaults that
/// the request does not override (and, after a redirect to another origin,
/// that are not credentials), then the request's own, then Basic auth from
/// the URL's userinfo.
#[derive(Clone)]
struct HeaderIter<'a> {
    defaults: std::slice::Iter<'a, (String, String)>,
    own: &'a [(String, String)],
    rest: OwnThenAuth<'a>,
    cross_origin: bool,
}

impl<'a> Iterator for HeaderIter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        for (n, v) in self.defaults.by_ref() {
            let overridden = self.own.iter().any(|(o, _)| o.eq_ignore_ascii_case(n));
            if !(overridden || (self.cross_origin && is_credential(n))) {
                return Some((n, v));
            }
        }
        self.rest.next().map(|(n, v)| (n.as_str(), v.as_str()))
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
    body: Body,
    timeouts: Timeouts,
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

    /// The total deadline of this request (replaces the client's).
    pub fn timeout(mut self, total: Duration) -> Self {
        self.timeouts.total = Some(total);
        self
    }

    /// All budgets of this request (replaces the client's).
    pub fn timeouts(mut self, t: Timeouts) -> Self {
        self.timeouts = t;
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
                cross_origin: false,
            }),
        };
        self.client.execute(req)
    }
}

/// A response: status and headers at once, the body on demand.
///
/// Reading the body to its end returns the connection to the pool.
/// Dropping a response before that returns it only if the rest of the body
/// had already arrived; otherwise the connection is closed (brisk never
/// spends time draining a body nobody wants).
pub struct Response {
    client: Client,
    head: ResponseHead,
    url: Url,
    remote: SocketAddr,
    reused: bool,
    timings: Timings,
    deadline: Deadline,
    content_length: Option<u64>,
    /// The connection while the body is unread.
    body: Option<(Box<Conn>, Slot)>,
    /// The request asked for `Connection: close`.
    close: bool,
    /// Reading the body failed: it must not look complete afterwards.
    failed: bool,
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.head.status)
            .field("url", &self.url)
            .field("reused", &self.reused)
            .finish_non_exhaustive()
    }
}

impl Response {
    fn new(client: Client, method: &str, hop: Hop, url: Url, deadline: Deadline) -> Response {
        let Hop {
            head,
            conn,
            slot,
            reused,
            timings,
            close,
        } = hop;
        let framing = conn.framing();
        let content_length = match framing {
            Some(h1::Framing::Length(n)) => Some(n),
            // For HEAD: the length a GET would have had, as curl shows.
            _ if method == "HEAD" => {
                match h1::framing(b"GET", head.status, head.version, &head.headers) {
                    Ok((h1::Framing::Length(n), _)) => Some(n),
                    _ => None,
                }
            }
            _ => None,
        };
        let empty = matches!(framing, Some(h1::Framing::NoBody | h1::Framing::Length(0)));
        let mut resp = Response {
            client,
            remote: conn.remote_addr(),
            head,
            url,
            reused,
            timings,
            deadline,
            content_length,
            body: Some((conn, slot)),
            close,
            failed: false,
        };
        // A response without a body gives its connection back at once.
        if empty {
            resp.finish_if_buffered();
        }
        resp
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        StatusCode(self.head.status)
    }

    /// The HTTP version the server answered with.
    pub fn version(&self) -> Version {
        self.head.version
    }

    /// The header fields (case-insensitive lookup, multi-valued).
    pub fn headers(&self) -> &Headers {
        &self.head.headers
    }

    /// The reason phrase, as sent.
    pub fn reason(&self) -> &[u8] {
        self.head.reason()
    }

    /// The body length from `Content-Length`, when the body is framed by it.
    /// For a response to `HEAD`, the length the body would have had.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// The final URL (after redirects).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The server's address.
    pub fn remote_addr(&self) -> SocketAddr {
        self.remote
    }

    /// Whether the request went over a reused (pooled) connection.
    pub fn reused(&self) -> bool {
        self.reused
    }

    /// Where the time went.
    pub fn timings(&self) -> Timings {
        self.timings
    }

    /// Fails with an error carrying the status if it is 4xx or 5xx.
    pub fn error_for_status(self) -> Result<Response, Error> {
        let s = self.head.status;
        if (400..600).contains(&s) {
            Err(Error::new(Kind::Status(s)).with_url(&self.url))
        } else {
            Ok(self)
        }
    }

    /// The next piece of the body, `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Vec<u8>>, Error> {
        let mut out = Vec::new();
        Ok(self.next_part(&mut out).await?.then_some(out))
    }

    /// The whole body.
    pub async fn bytes(mut self) -> Result<Vec<u8>, Error> {
        // What the server announces is trusted up to 1 MiB; beyond that the
        // buffer grows with the bytes that actually arrive.
        let cap = self.content_length.unwrap_or(0).min(1024 * 1024) as usize;
        let mut out = Vec::with_capacity(cap);
        while self.next_part(&mut out).await? {}
        Ok(out)
    }

    /// The whole body as text (invalid UTF-8 is replaced with U+FFFD).
    pub async fn text(self) -> Result<String, Error> {
        let bytes = self.bytes().await?;
        Ok(match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }

    /// The whole body parsed as JSON.
    #[cfg(feature = "json")]
    pub async fn json(self) -> Result<serde_json::Value, Error> {
        let url = self.url.clone();
        let bytes = self.bytes().await?;
        serde_json::from_slice(&bytes)
            .map_err(|e| Error::new(Kind::Decode).with_url(&url).with_source(e))
    }

    /// Appends the next piece of body to `out`; false at the end.
    async fn next_part(&mut self, out: &mut Vec<u8>) -> Result<bool, Error> {
        let Some((conn, _)) = self.body.as_mut() else {
            if self.failed {
                return Err(Error::new(Kind::Io)
                    .with_phase(Phase::ReadBody)
                    .with_url(&self.url)
                    .with_source("the body already failed"));
            }
            return Ok(false);
        };
        match conn.read_body(Some(&mut *out), &self.deadline).await {
            Ok(BodyPart::Data(bytes)) => {
                out.extend_from_slice(bytes);
                Ok(true)
            }
            Ok(BodyPart::Direct) => Ok(true),
            Ok(BodyPart::End { reusable }) => {
                self.end_body(reusable);
                Ok(false)
            }
            Err(e) => {
                self.client.shared.counters.closed(CloseReason::Error);
                self.body = None;
                self.failed = true;
                Err(e.with_url(&self.url))
            }
        }
    }

    fn end_body(&mut self, reusable: bool) {
        if let Some((conn, slot)) = self.body.take() {
            self.timings.total = self.deadline.started().elapsed();
            // Bytes after the end of the response were never asked for:
            // the connection's state is unknown, so it is not reused.
            let reusable = reusable && !self.close && conn.is_drained();
            self.client.shared.pool.checkin(conn, slot, reusable);
        }
    }

    /// Reads and drops the rest of a body of at most `max` bytes, so that
    /// the connection goes back to the pool; gives up (closing it) past
    /// `max` or on any error.
    async fn discard_body(&mut self, max: usize) {
        let mut scratch = Vec::new();
        while scratch.len() <= max {
            match self.next_part(&mut scratch).await {
                Ok(true) => {}
                Ok(false) | Err(_) => return,
            }
        }
    }

    /// Ends the body without I/O if all of it has arrived (discarding it).
    fn finish_if_buffered(&mut self) {
        if let Some(reusable) = self
            .body
            .as_mut()
            .and_then(|(conn, _)| conn.finish_buffered())
        {
            self.end_body(reusable);
        }
    }
}

impl Drop for Response {
    fn drop(&mut self) {
        self.finish_if_buffered();
        if self.body.take().is_some() {
            self.client.shared.counters.closed(CloseReason::Abandoned);
        }
    }
}
