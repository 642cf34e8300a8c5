//! The public client, shaped like reqwest's so that switching takes minutes.
//!
//! | file | holds |
//! | --- | --- |
//! | `mod.rs` | [`Client`], its shared state and its counters |
//! | `builder.rs` | [`ClientBuilder`]: every setting, with its default (`builder/connect.rs` the TLS and socket ones, `builder/session.rs` cookies and what else each request carries) |
//! | `request_builder.rs` | [`RequestBuilder`] and `send()` |
//! | `request.rs` | [`Request`]: the head on the wire (defaults, own fields, credentials) |
//! | `body/` | [`Body`]: bytes or a stream, and its framing; `exact.rs` holds a stream to its declared length (a file that changes size fails); `stream.rs` is `Body::wrap_stream` (feature `futures-stream`) |
//! | `call/` | one request's life as a `Call`: `mod.rs` the state machine (admission, the attempt, redirects) with every transition in one loop; `decide.rs` the retry decision (policy, veto, budget) and the wait; `breaker.rs` admission by and reports to the host's circuit breaker; `cookies.rs` the jar's part in each attempt |
//! | `hop.rs` | what a hop is made of: its route, the try, the head and connection it got, what the request went through |
//! | `exchange.rs` | one attempt: pool checkout or connect (a CONNECT tunnel through a proxy), write, read the head |
//! | `redirect.rs` | [`RedirectPolicy`] and what changes from hop to hop |
//! | `response.rs` | [`Response`]: status, headers, and reading the body |
//! | `bytes_stream.rs` | [`BytesStream`]: the body as a stream of chunks, on `Response::chunk` |
//! | `verbose.rs` | the heads as text for the hook, under `connection_verbose` |
//! | `batch.rs` | [`Client::send_all`]: many requests, a bound on those in flight, results in order |
//!
//! The arrows run one way: `call` uses `exchange`, `redirect` and
//! `response`; those three use `hop`; nothing here is used by the floors
//! below (`pool`, `conn`, `retry`, `breaker`, `events`).

mod batch;
mod body;
mod builder;
mod bytes_stream;
mod call;
mod codings;
mod exchange;
mod hop;
mod redirect;
mod request;
mod request_builder;
mod response;
mod verbose;

pub(crate) use crate::events::Timings;
pub(crate) use crate::status::StatusCode;
#[cfg(feature = "json")]
pub(crate) use batch::run_bounded;
pub use body::Body;
pub(crate) use body::{BoxReader, EndCheck, ExactLen, Source};
pub use builder::ClientBuilder;
pub use bytes_stream::BytesStream;
pub use redirect::{Action, Attempt, RedirectPolicy};
use request::HeaderDefaults;
pub use request::{IntoUrl, Request};
pub use request_builder::RequestBuilder;
pub use response::Response;

use crate::breaker::CircuitSnapshot;
use crate::deadline::Budgets;
use crate::events::Hook;
use crate::guard::lock;
use crate::h1::Limits;
use crate::method::Method;
use crate::pool::{CloseReason, Counters, Pool};
use crate::retry::{BudgetSnapshot, RetryPolicy};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

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
    /// Retries the policy made, after a delay.
    pub retries: u64,
    /// Free re-sends on a fresh connection (a pooled connection the
    /// server had closed, or a request that could not be sent).
    pub resends: u64,
    /// Retries that the hosts' retry budgets refused.
    pub retries_refused_by_budget: u64,
    /// Requests refused at once because their host's circuit was open.
    pub circuit_rejected: u64,
    /// Times a circuit opened.
    pub circuits_opened: u64,
}

/// One host's retry budget and circuit breaker, from [`Client::host_stats`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostStats {
    /// The retry budget, if the client's policy has one.
    pub budget: Option<BudgetSnapshot>,
    /// The circuit breaker, if the client has one.
    pub circuit: Option<CircuitSnapshot>,
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
    /// Found closed, or holding bytes nobody asked for: when its response
    /// ended (bytes already buffered), or when about to be reused (the
    /// kernel peek).
    pub server_closed: u64,
    /// More idle connections than `pool_max_idle_per_host`.
    pub pool_full: u64,
    /// A request on it failed (I/O, protocol error or timeout).
    pub error: u64,
    /// Its response was dropped before the body's end.
    pub abandoned: u64,
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
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct Shared {
    pub(crate) pool: Pool,
    pub(crate) counters: Arc<Counters>,
    pub(crate) timeouts: Budgets,
    pub(crate) default_headers: HeaderDefaults,
    pub(crate) redirect: RedirectPolicy,
    pub(crate) limits: Limits,
    pub(crate) retry: RetryPolicy,
    pub(crate) hook: Option<Hook>,
    /// Spans for every attempt ([`ClientBuilder::tracing`]).
    pub(crate) tracer: Option<crate::trace::Tracer>,
    pub(crate) proxies: crate::proxy::Proxies,
    /// Refuse `http://` URLs ([`ClientBuilder::https_only`]).
    pub(crate) https_only: bool,
    /// The content codings requests accept and responses are decoded
    /// from ([`ClientBuilder::gzip`], [`ClientBuilder::deflate`]).
    pub(crate) codings: codings::Codings,
    /// DNS overrides and socket settings ([`ClientBuilder::resolve`],
    /// [`ClientBuilder::local_address`] and the rest).
    pub(crate) dialer: crate::transport::tcp::Dialer,
    /// The cookie jar ([`ClientBuilder::cookie_store`],
    /// [`ClientBuilder::cookie_provider`]).
    pub(crate) cookies: Option<Arc<dyn crate::cookie::CookieStore>>,
    /// Send `Referer` on redirect hops ([`ClientBuilder::referer`]).
    pub(crate) referer: bool,
    /// Hand the hook each head as text
    /// ([`ClientBuilder::connection_verbose`]).
    pub(crate) verbose: bool,
    #[cfg(feature = "tls")]
    pub(crate) tls: Arc<rustls::ClientConfig>,
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
        RequestBuilder::new(self.clone(), Ok(Method::GET), url.into_url())
    }
    /// A `POST` request.
    pub fn post(&self, url: impl IntoUrl) -> RequestBuilder {
        RequestBuilder::new(self.clone(), Ok(Method::POST), url.into_url())
    }
    /// A `PUT` request.
    pub fn put(&self, url: impl IntoUrl) -> RequestBuilder {
        RequestBuilder::new(self.clone(), Ok(Method::PUT), url.into_url())
    }
    /// A `PATCH` request.
    pub fn patch(&self, url: impl IntoUrl) -> RequestBuilder {
        RequestBuilder::new(self.clone(), Ok(Method::PATCH), url.into_url())
    }
    /// A `DELETE` request.
    pub fn delete(&self, url: impl IntoUrl) -> RequestBuilder {
        RequestBuilder::new(self.clone(), Ok(Method::DELETE), url.into_url())
    }
    /// A `HEAD` request.
    pub fn head(&self, url: impl IntoUrl) -> RequestBuilder {
        RequestBuilder::new(self.clone(), Ok(Method::HEAD), url.into_url())
    }

    /// A request with any method: a [`Method`] (`Method::OPTIONS`) or its
    /// name as a string (`"OPTIONS"`, `"PROPFIND"`). A string that is not
    /// a token fails the request when it is sent, with nothing sent
    /// ([`Error::is_builder`](crate::Error::is_builder)).
    ///
    /// ```no_run
    /// use brisk::Method;
    ///
    /// # async fn run(client: brisk::Client) -> Result<(), brisk::Error> {
    /// let allowed = client.request(Method::OPTIONS, "https://example.com/").send().await?;
    /// let listing = client.request("PROPFIND", "https://dav.example.com/").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn request<M>(&self, method: M, url: impl IntoUrl) -> RequestBuilder
    where
        M: TryInto<Method>,
        M::Error: std::error::Error + Send + Sync + 'static,
    {
        let method = method.try_into().map_err(crate::Error::builder);
        RequestBuilder::new(self.clone(), method, url.into_url())
    }
    /// Sends a [`Request`] made earlier (by [`RequestBuilder::build`] or
    /// [`Request::new`]) and waits for its response head, as
    /// [`RequestBuilder::send`] does.
    pub fn execute(
        &self,
        request: Request,
    ) -> impl std::future::Future<Output = Result<Response, crate::Error>> {
        self.clone().run(Ok(request))
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
            retries: load(&c.retries),
            resends: load(&c.resends),
            retries_refused_by_budget: load(&c.budget_refused),
            circuit_rejected: load(&c.circuit_rejected),
            circuits_opened: load(&c.circuit_opened),
        }
    }

    /// The retry budget and circuit breaker of the host `url` names (its
    /// origin, through the proxy this client would use for it), or `None`
    /// if this client has not called it.
    pub fn host_stats(&self, url: impl IntoUrl) -> Option<HostStats> {
        let url = url.into_url().ok()?;
        let host = match self.shared.proxies.route(&url).ok()? {
            None => self.shared.pool.existing_host(url.origin())?,
            Some(p) => self.shared.pool.existing_host(&p.pool_key(&url))?,
        };
        let guard = host.guard()?;
        let now = std::time::Instant::now();
        let budget = guard.budget.as_ref().map(|b| lock(b).snapshot(now));
        let circuit = guard.breaker.as_ref().map(|b| lock(b).snapshot(now));
        Some(HostStats { budget, circuit })
    }
}
