//! The one public error type, and the request phases it can name.

use crate::h1::{EncodeError, ParseError};
use crate::retry::{RetryRecord, StopReason};
use crate::url::{Url, UrlError};
use std::fmt;

/// A step of a request's life. Timeouts and failures name the step they
/// happened in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Waiting for a connection from the pool (per-host limit reached).
    PoolWait,
    /// Resolving the host name.
    Dns,
    /// Opening the TCP connection.
    Connect,
    /// The TLS handshake.
    Tls,
    /// Writing the request.
    Write,
    /// Reading the response head.
    ReadHead,
    /// Reading the response body.
    ReadBody,
}

impl Phase {
    /// A fixed lowercase name: `"pool-wait"`, `"dns"`, `"connect"`, `"tls"`,
    /// `"write"`, `"read-head"` or `"read-body"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::PoolWait => "pool-wait",
            Phase::Dns => "dns",
            Phase::Connect => "connect",
            Phase::Tls => "tls",
            Phase::Write => "write",
            Phase::ReadHead => "read-head",
            Phase::ReadBody => "read-body",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a TLS handshake failed, for the failures a user acts on differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsFailure {
    /// The server's certificate chain does not lead to a trusted root.
    UnknownIssuer,
    /// The server's certificate (or one in its chain) has expired.
    Expired,
    /// The certificate is valid, but not for the host name asked for.
    NotValidForName,
    /// The certificate is otherwise invalid (bad signature, not yet valid,
    /// revoked, wrong usage...).
    InvalidCertificate,
    /// The handshake failed for another reason (no common protocol
    /// version or cipher suite, an alert from the server, a closed socket).
    Handshake,
    /// The TLS session broke after the handshake: a record that did not
    /// decrypt or parse, or an alert from the server, while the request
    /// was written or its response read. Retried as a broken connection
    /// would be, never as a failed handshake.
    Session,
    /// The server refused the client's certificate
    /// ([`ClientBuilder::identity`](crate::ClientBuilder::identity)), or
    /// wanted one and got none: a TLS alert such as `certificate_required`,
    /// `bad_certificate` or `unknown_ca` from the server. Under TLS 1.3 it
    /// may come after the handshake, with the first response read.
    ClientCertificateRejected,
}

impl TlsFailure {
    fn as_str(self) -> &'static str {
        match self {
            TlsFailure::UnknownIssuer => "certificate issuer is not trusted",
            TlsFailure::Expired => "certificate has expired",
            TlsFailure::NotValidForName => "certificate is not valid for this host name",
            TlsFailure::InvalidCertificate => "certificate is invalid",
            TlsFailure::Handshake => "handshake failed",
            TlsFailure::Session => "session failed after the handshake",
            TlsFailure::ClientCertificateRejected => "server rejected the client certificate",
        }
    }
}

/// A protocol error that is not bad syntax: the bytes parsed, but came
/// where they may not. The source of an [`Error::is_protocol`] error, as a
/// [`ParseError`] is for bad syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unexpected {
    /// The codec reported body bytes before the final head (it never
    /// does; an error rather than a panic if it ever did).
    BodyBeforeHead,
    /// A response head where the body's bytes or its end were due.
    HeadInBody,
    /// A `101 Switching Protocols` the request did not ask for.
    UnsolicitedSwitch,
}

impl fmt::Display for Unexpected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unexpected::BodyBeforeHead => "body bytes before the response head",
            Unexpected::HeadInBody => "a response head where the body was due",
            Unexpected::UnsolicitedSwitch => "unsolicited 101 switching protocols",
        })
    }
}

impl std::error::Error for Unexpected {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The caller asked for something invalid (bad URL, header, option).
    Builder,
    Connect,
    Tls(TlsFailure),
    /// A deadline fired; `total` says whether it was the request's total
    /// deadline rather than the phase's own budget.
    Timeout {
        total: bool,
    },
    /// The server sent bad HTTP, or closed mid-message.
    Protocol,
    /// The server broke the WebSocket protocol (RFC 6455) or a limit, or
    /// its handshake answer failed the checks: the source says which.
    #[cfg_attr(not(feature = "ws"), allow(dead_code))]
    WebSocket,
    /// Reading or writing the connection failed.
    Io,
    /// The caller's request body stream (`Body::from_reader`) failed:
    /// neither the connection's fault nor the server's.
    RequestBody,
    Redirect,
    Status(u16),
    /// The body is larger than `Limits::max_body_bytes`.
    TooLarge,
    /// The host's circuit breaker is open: the request was not sent.
    CircuitOpen {
        /// When the circuit lets a request through again.
        retry_at: std::time::Instant,
    },
    /// The body could not be decoded as JSON.
    #[cfg_attr(not(feature = "json"), allow(dead_code))]
    Decode,
    /// The proxy answered a CONNECT with this status, not a 2xx: no
    /// tunnel was opened.
    Proxy {
        status: u16,
    },
}

/// Every failure of a brisk request.
///
/// Opaque on purpose: ask it questions (`is_timeout()`, `phase()`,
/// `status()`...) rather than matching on its shape. The `Display` text is
/// for people and may change.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: Kind,
    phase: Option<Phase>,
    url: Option<Url>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
    /// Attempts made (0 when the request never started one).
    attempts: u32,
    /// Why each retry or re-send happened.
    retries: Vec<RetryRecord>,
    /// Why the request was not tried again, when a retry was considered
    /// and the reason says more than "not retryable".
    stop: Option<StopReason>,
    /// For a decode error: where in the body it failed
    /// (`choices[0].message.content`).
    path: Option<Box<str>>,
}

impl Error {
    pub(crate) fn new(kind: Kind) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                phase: None,
                url: None,
                source: None,
                attempts: 0,
                retries: Vec::new(),
                stop: None,
                path: None,
            }),
        }
    }

    pub(crate) fn kind(&self) -> Kind {
        self.inner.kind
    }

    pub(crate) fn with_phase(mut self, phase: Phase) -> Self {
        self.inner.phase.get_or_insert(phase);
        self
    }

    /// Records `url` unless the error has one already.
    pub(crate) fn or_url(mut self, url: &Url) -> Self {
        if self.inner.url.is_none() {
            self.inner.url = Some(url.clone());
        }
        self
    }

    pub(crate) fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    /// Records the attempts the request made, and why it stopped. "Not
    /// retryable" is the common case and says nothing, so it is not kept;
    /// the other reasons explain the error.
    pub(crate) fn with_attempts(
        mut self,
        attempts: u32,
        retries: Vec<RetryRecord>,
        stop: Option<StopReason>,
    ) -> Self {
        self.inner.attempts = attempts;
        self.inner.retries = retries;
        self.inner.stop = stop.filter(|s| *s != StopReason::NotRetryable);
        self
    }

    /// Replaces the source with what `wrap` makes of it (which may keep
    /// it as its own source).
    pub(crate) fn map_source(
        mut self,
        wrap: impl FnOnce(
            Option<Box<dyn std::error::Error + Send + Sync>>,
        ) -> Box<dyn std::error::Error + Send + Sync>,
    ) -> Self {
        let cause = self.inner.source.take();
        self.inner.source = Some(wrap(cause));
        self
    }

    pub(crate) fn builder(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Error::new(Kind::Builder).with_source(source)
    }

    /// A body that did not decode: `path` says where in it (empty at the
    /// top level), `source` what was wrong there.
    #[cfg_attr(not(feature = "json"), allow(dead_code))]
    pub(crate) fn decode(
        path: String,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        let mut e = Error::new(Kind::Decode).with_source(source);
        e.inner.path = (!path.is_empty()).then(|| path.into_boxed_str());
        e
    }

    pub(crate) fn timeout(phase: Phase, total: bool) -> Self {
        Error::new(Kind::Timeout { total }).with_phase(phase)
    }

    /// An I/O error in `phase`, classified by the phase alone: a failure
    /// while connecting is a connect error, one in the TLS handshake a
    /// handshake failure, anything later a connection error. What TLS
    /// itself said is classified where TLS lives, by
    /// `transport::io_error`, which calls [`Error::tls`] instead.
    pub(crate) fn io(phase: Phase, e: std::io::Error) -> Self {
        let kind = match phase {
            Phase::Dns | Phase::Connect => Kind::Connect,
            Phase::Tls => Kind::Tls(TlsFailure::Handshake),
            _ => Kind::Io,
        };
        Error::new(kind).with_phase(phase).with_source(e)
    }

    /// TLS failed in `phase` as `failure` says; `e` carries what rustls
    /// reported.
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    pub(crate) fn tls(failure: TlsFailure, phase: Phase, e: std::io::Error) -> Self {
        Error::new(Kind::Tls(failure))
            .with_phase(phase)
            .with_source(e)
    }

    /// The server sent well-formed HTTP where it may not come.
    pub(crate) fn unexpected(phase: Phase, e: Unexpected) -> Self {
        Error::new(Kind::Protocol).with_phase(phase).with_source(e)
    }

    pub(crate) fn protocol(phase: Phase, e: ParseError) -> Self {
        Error::new(Kind::Protocol).with_phase(phase).with_source(e)
    }

    /// The caller's body stream failed while the request was being
    /// written; its error is the source.
    pub(crate) fn request_body(e: std::io::Error) -> Self {
        Error::new(Kind::RequestBody)
            .with_phase(Phase::Write)
            .with_source(e)
    }

    /// Whether a deadline fired: a phase's own budget or the request's
    /// total. [`Error::phase`] says which step was running.
    pub fn is_timeout(&self) -> bool {
        matches!(self.inner.kind, Kind::Timeout { .. })
    }

    /// Whether it was the request's total deadline that fired (rather than
    /// the budget of one phase).
    pub fn is_total_timeout(&self) -> bool {
        matches!(self.inner.kind, Kind::Timeout { total: true })
    }

    /// Whether resolving the host or opening the TCP connection failed,
    /// or timed out (then [`Error::is_timeout`] too).
    pub fn is_connect(&self) -> bool {
        matches!(self.inner.kind, Kind::Connect)
            || (self.is_timeout() && matches!(self.inner.phase, Some(Phase::Dns | Phase::Connect)))
    }

    /// Whether TLS failed: the handshake (see [`Error::tls_failure`]), or,
    /// in a later phase, a TLS record or alert from the server. A handshake
    /// that ran out of time is [`Error::is_timeout`] with
    /// `phase() == Some(Phase::Tls)` instead.
    pub fn is_tls(&self) -> bool {
        matches!(self.inner.kind, Kind::Tls(_))
    }

    /// Why TLS failed, if it did: the handshake's reason, or
    /// [`TlsFailure::Session`] for a failure after it.
    pub fn tls_failure(&self) -> Option<TlsFailure> {
        match self.inner.kind {
            Kind::Tls(f) => Some(f),
            _ => None,
        }
    }

    /// Whether a redirect could not be followed: too many, a refused
    /// downgrade from https to http, or a `Location` that is not a usable
    /// http(s) URL (the [`UrlError`] is the source).
    pub fn is_redirect(&self) -> bool {
        matches!(self.inner.kind, Kind::Redirect)
    }

    /// Whether the request itself was invalid: a bad URL, header name or
    /// value, or method, or a client option (a bad certificate, `https`
    /// without the `tls` feature). Nothing was sent.
    pub fn is_builder(&self) -> bool {
        matches!(self.inner.kind, Kind::Builder)
    }

    /// Whether the server broke the HTTP/1.1 protocol: a malformed
    /// response ([`Error::parse_error`] says how), a connection closed
    /// before or in the middle of a response, or a `101 Switching
    /// Protocols` brisk did not ask for; and, on a WebSocket, a frame or
    /// handshake answer that breaks RFC 6455 (the source is a
    /// `ws::ProtocolError` or `ws::HandshakeError`).
    pub fn is_protocol(&self) -> bool {
        matches!(self.inner.kind, Kind::Protocol | Kind::WebSocket)
    }

    /// Whether reading or writing the connection failed (a reset, a
    /// broken pipe...) after it was open. The caller's own body stream
    /// failing is not this: see [`Error::is_body`].
    pub fn is_io(&self) -> bool {
        matches!(self.inner.kind, Kind::Io)
    }

    /// Whether the request failed on its way to a response, as reqwest's
    /// `is_request` means it: while waiting for a pooled connection,
    /// resolving, connecting, in the TLS handshake, writing the request,
    /// or reading the response head. That is every [`Error::is_connect`],
    /// [`Error::is_tls`], [`Error::is_io`], [`Error::is_protocol`] and
    /// [`Error::is_timeout`] error whose [`Error::phase`] is not
    /// [`Phase::ReadBody`], and the caller's request body stream failing.
    ///
    /// Not: an invalid request ([`Error::is_builder`], nothing was sent), a
    /// refused redirect, an open circuit (nothing was sent), an error
    /// status, and anything about the response body after its head
    /// arrived ([`Error::is_body`], [`Error::is_decode`]).
    pub fn is_request(&self) -> bool {
        match self.inner.kind {
            Kind::Connect
            | Kind::Tls(_)
            | Kind::Timeout { .. }
            | Kind::Io
            | Kind::Protocol
            | Kind::WebSocket
            | Kind::Proxy { .. }
            | Kind::RequestBody => self.inner.phase != Some(Phase::ReadBody),
            Kind::Builder
            | Kind::Redirect
            | Kind::Status(_)
            | Kind::TooLarge
            | Kind::CircuitOpen { .. }
            | Kind::Decode => false,
        }
    }

    /// Whether reading or writing a body failed: reading the response
    /// body (a reset, a timeout, bad chunked framing, a body past
    /// [`Limits::max_body_bytes`](crate::h1::Limits::max_body_bytes); its
    /// [`Error::phase`] is [`Phase::ReadBody`]), or the caller's request
    /// body stream returning an error (then [`Error::is_request`] too, and
    /// the stream's error is the [`source`](std::error::Error::source)).
    ///
    /// A body that arrived whole but is not the JSON asked for is
    /// [`Error::is_decode`] instead.
    pub fn is_body(&self) -> bool {
        match self.inner.kind {
            Kind::RequestBody => true,
            Kind::Decode => false,
            _ => self.inner.phase == Some(Phase::ReadBody),
        }
    }

    /// Whether the response body arrived whole but could not be decoded:
    /// `Response::json` on a body that is not JSON, or not of the shape
    /// asked for (the `Display` text names the field, the source says what
    /// was wrong with it). `Response::text` never fails this way: it replaces
    /// invalid UTF-8 with U+FFFD, as reqwest's does.
    pub fn is_decode(&self) -> bool {
        matches!(self.inner.kind, Kind::Decode)
    }

    /// Whether the body was refused for being larger than
    /// [`Limits::max_body_bytes`](crate::h1::Limits::max_body_bytes).
    pub fn is_too_large(&self) -> bool {
        matches!(self.inner.kind, Kind::TooLarge)
    }

    /// Whether this error came from [`Response::error_for_status`] or
    /// [`Response::error_for_status_ref`].
    ///
    /// [`Response::error_for_status`]: crate::Response::error_for_status
    /// [`Response::error_for_status_ref`]: crate::Response::error_for_status_ref
    pub fn is_status(&self) -> bool {
        matches!(self.inner.kind, Kind::Status(_))
    }

    /// The HTTP status, for an error made by `error_for_status` or
    /// `error_for_status_ref`.
    pub fn status(&self) -> Option<crate::status::StatusCode> {
        match self.inner.kind {
            Kind::Status(s) => Some(crate::status::StatusCode(s)),
            _ => None,
        }
    }

    /// Whether the proxy refused to open a tunnel: it answered the CONNECT
    /// of an `https://` request with a status other than 2xx
    /// ([`Error::proxy_status`] says which). A plain `http://` request
    /// through a proxy gets the proxy's answer (a 407 too) as an ordinary
    /// response instead. Failing to reach the proxy at all is
    /// [`Error::is_connect`], naming the proxy in the source.
    pub fn is_proxy(&self) -> bool {
        matches!(self.inner.kind, Kind::Proxy { .. })
    }

    /// Whether the proxy asked for credentials it did not get, or refused
    /// the ones it got: `407 Proxy Authentication Required` to a CONNECT,
    /// or a `401` (tinyproxy answers a CONNECT with wrong credentials so;
    /// a CONNECT is addressed to the proxy alone, so any auth demand in
    /// answer to it is the proxy's).
    pub fn is_proxy_auth(&self) -> bool {
        matches!(self.inner.kind, Kind::Proxy { status: 401 | 407 })
    }

    /// The status a proxy refused a CONNECT with.
    pub fn proxy_status(&self) -> Option<crate::status::StatusCode> {
        match self.inner.kind {
            Kind::Proxy { status } => Some(crate::status::StatusCode(status)),
            _ => None,
        }
    }

    /// The step of the request that failed, when it had begun.
    pub fn phase(&self) -> Option<Phase> {
        self.inner.phase
    }

    /// The URL of the request that failed, when known (never with its
    /// userinfo; see [`Error::without_url`] to drop a query that holds a
    /// secret).
    pub fn url(&self) -> Option<&Url> {
        self.inner.url.as_ref()
    }

    /// The URL, to change in place: for instance to remove an API key from
    /// its query before the error is logged, while keeping the rest.
    ///
    /// ```
    /// # async fn run(client: brisk::Client) {
    /// if let Err(mut e) = client.get("http://127.0.0.1:1/v1?key=secret").send().await {
    ///     if let Some(url) = e.url_mut() {
    ///         url.set_query(None);
    ///     }
    ///     eprintln!("{e}"); // ... for http://127.0.0.1:1/v1
    /// }
    /// # }
    /// ```
    pub fn url_mut(&mut self) -> Option<&mut Url> {
        self.inner.url.as_mut()
    }

    /// The same error with `url` as its URL, replacing any it had (as
    /// reqwest's `with_url`): for errors made or passed on by code above
    /// brisk. The URL's userinfo never shows ([`Url`]'s `Display` leaves
    /// it out).
    pub fn with_url(mut self, url: Url) -> Self {
        self.inner.url = Some(url);
        self
    }

    /// The same error without its URL, for when the URL itself is a secret
    /// (a presigned or tokenised link) and the error is about to be logged
    /// or returned to someone else.
    pub fn without_url(mut self) -> Self {
        self.inner.url = None;
        self
    }

    /// How many attempts the request made before this error, on the hop
    /// that failed (free re-sends on a fresh connection not counted); 0 if
    /// it failed before its first (an open circuit, an invalid request).
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// Each retry and re-send the request went through before this error:
    /// which attempt, why, and how long brisk waited.
    pub fn retries(&self) -> &[RetryRecord] {
        &self.inner.retries
    }

    /// Whether the host's circuit breaker was open, so the request was
    /// not sent at all.
    pub fn is_circuit_open(&self) -> bool {
        matches!(self.inner.kind, Kind::CircuitOpen { .. })
    }

    /// When an open circuit lets a request through again.
    pub fn retry_at(&self) -> Option<std::time::Instant> {
        match self.inner.kind {
            Kind::CircuitOpen { retry_at } => Some(retry_at),
            _ => None,
        }
    }

    /// The parse error, when the server sent invalid HTTP.
    pub fn parse_error(&self) -> Option<ParseError> {
        self.inner
            .source
            .as_deref()
            .and_then(|s| s.downcast_ref::<ParseError>())
            .copied()
    }
}

impl fmt::Display for Error {
    /// brisk's own layer only: what failed, in which phase, for which URL,
    /// after how many attempts, e.g. `connection failed during connect for
    /// http://127.0.0.1:1/`. The cause beneath (the I/O error, the parse
    /// error, the JSON error) is not repeated here: it is
    /// [`source`](std::error::Error::source), so that the usual loop over
    /// `source()` (or anyhow's `{:#}`) prints each cause once.
    ///
    /// With `{:#}`, the causes follow, each after `: `, for code that logs
    /// one line and does not walk the chain itself:
    ///
    /// ```
    /// # async fn run(client: brisk::Client) {
    /// if let Err(e) = client.get("http://127.0.0.1:1/").send().await {
    ///     eprintln!("{e:#}"); // connection failed during connect for http://127.0.0.1:1/: Connection refused (os error 111)
    ///     let mut cause = std::error::Error::source(&e);
    ///     while let Some(c) = cause {
    ///         eprintln!("  caused by: {c}");
    ///         cause = c.source();
    ///     }
    /// }
    /// # }
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut phase = self.inner.phase;
        match self.inner.kind {
            Kind::Builder => f.write_str("invalid request")?,
            Kind::Connect => f.write_str("connection failed")?,
            Kind::Tls(failure) => {
                // "tls: ... during tls" would say it twice.
                phase = phase.filter(|p| *p != Phase::Tls);
                write!(f, "tls: {}", failure.as_str())?
            }
            Kind::Timeout { total: true } => f.write_str("request deadline exceeded")?,
            Kind::Timeout { total: false } => f.write_str("timed out")?,
            Kind::Protocol => f.write_str("invalid http response")?,
            Kind::WebSocket => f.write_str("websocket protocol error")?,
            Kind::Io => f.write_str("connection error")?,
            Kind::RequestBody => f.write_str("request body stream failed")?,
            Kind::Redirect => f.write_str("redirect not followed")?,
            Kind::Status(s) => write!(f, "http status {}", crate::status::StatusCode(s))?,
            Kind::Proxy { status } => write!(f, "proxy refused the tunnel with status {status}")?,
            Kind::Decode => f.write_str("could not decode the response body")?,
            Kind::TooLarge => f.write_str("response body larger than the configured limit")?,
            Kind::CircuitOpen { retry_at } => {
                let wait = retry_at.saturating_duration_since(std::time::Instant::now());
                write!(f, "circuit open, next try allowed in {wait:?}")?
            }
        }
        // Where in the body a decode failed is brisk's finding (the JSON
        // error beneath, the source, does not name the field).
        if let Some(path) = &self.inner.path {
            write!(f, " at {path}")?;
        }
        if let Some(phase) = phase {
            write!(f, " during {phase}")?;
        }
        if let Some(url) = &self.inner.url {
            write!(f, " for {url}")?;
        }
        match (self.inner.attempts, self.inner.stop.map(|s| s.as_str())) {
            (0 | 1, None) => {}
            (0 | 1, Some(stop)) => write!(f, " (not retried: {stop})")?,
            (n, None) => write!(f, " (after {n} attempts)")?,
            (n, Some(stop)) => write!(f, " (after {n} attempts; not retried: {stop})")?,
        }
        if f.alternate() {
            let mut cause = std::error::Error::source(self);
            while let Some(c) = cause {
                write!(f, ": {c}")?;
                cause = c.source();
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.inner.kind);
        if let Some(p) = self.inner.phase {
            d.field("phase", &p);
        }
        if let Some(u) = &self.inner.url {
            d.field("url", u);
        }
        if let Some(p) = &self.inner.path {
            d.field("path", p);
        }
        if let Some(s) = &self.inner.source {
            d.field("source", s);
        }
        if self.inner.attempts > 0 {
            d.field("attempts", &self.inner.attempts);
        }
        if !self.inner.retries.is_empty() {
            d.field("retries", &self.inner.retries);
        }
        if let Some(stop) = self.inner.stop {
            d.field("stop", &stop);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

impl From<UrlError> for Error {
    fn from(e: UrlError) -> Self {
        Error::builder(e)
    }
}

impl From<EncodeError> for Error {
    fn from(e: EncodeError) -> Self {
        Error::builder(e)
    }
}

#[cfg(test)]
mod tests;
