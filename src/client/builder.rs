//! [`ClientBuilder`]: every client setting, with its default.

use super::request::HeaderDefaults;
use super::{Client, RedirectPolicy, Shared};
use crate::breaker::CircuitBreaker;
use crate::deadline::{Budget, Budgets, Timeouts};
use crate::error::Error;
use crate::events::{Event, Hook};
use crate::guard::GuardConfig;
use crate::h1::Limits;
use crate::header::{HeaderMap, HeaderName, HeaderValue};
use crate::pool::{Counters, Pool, PoolConfig};
use crate::proxy::{EnvSource, Proxies, Proxy};
use crate::retry::RetryPolicy;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

mod connect;
mod session;

/// Builds a [`Client`].
///
/// Its `Debug` output never shows the value of a sensitive default header
/// (see [`ClientBuilder::sensitive_header`]).
pub struct ClientBuilder {
    timeouts: Budgets,
    pool: PoolConfig,
    default_headers: HeaderMap,
    sensitive: Vec<String>,
    user_agent: HeaderValue,
    /// A default header or user agent that was not valid, for `build()`.
    header_error: Option<Error>,
    redirect: RedirectPolicy,
    limits: Limits,
    retry: RetryPolicy,
    breaker: Option<CircuitBreaker>,
    hook: Option<Hook>,
    tracer: Option<crate::trace::Tracer>,
    proxies: Vec<Proxy>,
    proxy_env: EnvSource,
    #[cfg(feature = "tls")]
    builtin_roots: bool,
    #[cfg(feature = "tls")]
    roots: Vec<crate::Certificate>,
    https_only: bool,
    codings: super::codings::Codings,
    dialer: crate::transport::tcp::Dialer,
    #[cfg(feature = "tls")]
    tls_options: crate::transport::tls_options::TlsOptions,
    cookies: Option<Arc<dyn crate::cookie::CookieStore>>,
    referer: bool,
    title_case_headers: bool,
    verbose: bool,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            timeouts: Budgets::default(),
            pool: PoolConfig {
                max_idle_per_host: usize::MAX,
                max_per_host: usize::MAX,
                idle_timeout: Duration::from_secs(90),
                guard: GuardConfig::default(),
            },
            default_headers: HeaderMap::new(),
            sensitive: Vec::new(),
            user_agent: HeaderValue::from_static(concat!("brisk/", env!("CARGO_PKG_VERSION"))),
            header_error: None,
            redirect: RedirectPolicy::default(),
            limits: Limits::default(),
            retry: RetryPolicy::default(),
            breaker: None,
            hook: None,
            tracer: None,
            proxies: Vec::new(),
            proxy_env: EnvSource::Process,
            #[cfg(feature = "tls")]
            builtin_roots: true,
            #[cfg(feature = "tls")]
            roots: Vec::new(),
            https_only: false,
            codings: super::codings::Codings::DEFAULT,
            dialer: Default::default(),
            #[cfg(feature = "tls")]
            tls_options: Default::default(),
            cookies: None,
            referer: true,
            title_case_headers: false,
            verbose: false,
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sensitive = HeaderDefaults {
            fields: HeaderMap::new(),
            sensitive: self.sensitive.clone(),
            accept_encoding: None,
            title_case: false,
        };
        // Marked sensitive, a value shows as `Sensitive`.
        let headers: HeaderMap = self
            .default_headers
            .iter()
            .map(|(n, v)| {
                let mut v = v.clone();
                v.set_sensitive(sensitive.is_sensitive(n, &v));
                (n.clone(), v)
            })
            .collect();
        f.debug_struct("ClientBuilder")
            .field("timeouts", &self.timeouts)
            .field("pool", &self.pool)
            .field("default_headers", &headers)
            .field("sensitive", &self.sensitive)
            .field("user_agent", &self.user_agent)
            .field("redirect", &self.redirect)
            .field("limits", &self.limits)
            .field("retry", &self.retry)
            .field("breaker", &self.breaker)
            .field("hook", &self.hook.is_some())
            .field("tracer", &self.tracer)
            .field("proxies", &self.proxies)
            .field("https_only", &self.https_only)
            .field("dialer", &self.dialer)
            .field("cookies", &self.cookies.is_some())
            .field("referer", &self.referer)
            .field("title_case_headers", &self.title_case_headers)
            .field("verbose", &self.verbose)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// A builder with every default; the same as [`Client::builder`].
    pub fn new() -> ClientBuilder {
        ClientBuilder::default()
    }
    /// The total deadline of each request, from `send()` to the end of the
    /// body (default: none). Setting it lifts the default phase budgets:
    /// only the total and the budgets you set yourself apply (see
    /// [`Timeouts`]).
    pub fn timeout(mut self, total: Duration) -> Self {
        self.timeouts.set(Budget::Total, Some(total));
        self
    }
    /// DNS plus TCP connect (default 10 s).
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.timeouts.set(Budget::Connect, Some(d));
        self
    }
    /// The TLS handshake (default 10 s).
    pub fn tls_timeout(mut self, d: Duration) -> Self {
        self.timeouts.set(Budget::Tls, Some(d));
        self
    }
    /// Write progress: the longest a piece of the request (up to 64 KiB)
    /// may take to be written (default 30 s).
    pub fn write_timeout(mut self, d: Duration) -> Self {
        self.timeouts.set(Budget::Write, Some(d));
        self
    }
    /// Read progress: the longest the whole response head may take once
    /// the request is written, then the longest wait for more body bytes
    /// (default 60 s).
    pub fn read_timeout(mut self, d: Duration) -> Self {
        self.timeouts.set(Budget::Read, Some(d));
        self
    }
    /// The longest wait for a connection when `pool_max_per_host` are busy
    /// (default 30 s).
    pub fn pool_wait_timeout(mut self, d: Duration) -> Self {
        self.timeouts.set(Budget::PoolWait, Some(d));
        self
    }
    /// All budgets at once (`None` is "no limit"). A budget equal to its
    /// default counts as the default, so `Timeouts { total: Some(d),
    /// ..Timeouts::default() }` is the same as `.timeout(d)`.
    pub fn timeouts(mut self, t: Timeouts) -> Self {
        self.timeouts.set_all(t);
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
    /// How long an idle connection is kept (default 90 s). `None` keeps
    /// idle connections until the server closes them (as in reqwest): a
    /// closed one is found and dropped when it leaves the pool, never
    /// written to.
    pub fn pool_idle_timeout(mut self, d: impl Into<Option<Duration>>) -> Self {
        self.pool.idle_timeout = d.into().unwrap_or(Duration::MAX);
        self
    }
    /// A header sent with every request (a request's own header of the
    /// same name replaces it). Name and value may be strings, or a
    /// [`HeaderName`] and a [`HeaderValue`] (a value marked sensitive is
    /// treated as [`sensitive_header`](Self::sensitive_header) says). A
    /// string that is not a valid name or value makes
    /// [`build`](Self::build) fail.
    pub fn default_header<K, V>(mut self, key: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        K::Error: std::error::Error + Send + Sync + 'static,
        V: TryInto<HeaderValue>,
        V::Error: std::error::Error + Send + Sync + 'static,
    {
        match (key.try_into(), value.try_into()) {
            (Ok(name), Ok(value)) => {
                self.default_headers.append(name, value);
            }
            (Err(e), _) => self.fail(e),
            (_, Err(e)) => self.fail(e),
        }
        self
    }
    /// Headers sent with every request, as reqwest's `default_headers`:
    /// they replace the default headers of the same names set before
    /// (`User-Agent` and `Accept` included), and a request's own header
    /// of the same name replaces them.
    ///
    /// ```no_run
    /// use brisk::header::{self, HeaderMap, HeaderValue};
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    /// let mut key = HeaderValue::from_static("sk-secret");
    /// key.set_sensitive(true);
    /// headers.insert("x-tenant-key", key);
    /// let client = brisk::Client::builder().default_headers(headers).build()?;
    /// # Ok::<(), brisk::Error>(())
    /// ```
    pub fn default_headers(mut self, headers: HeaderMap) -> Self {
        self.default_headers.extend(headers);
        self
    }
    /// Keeps the first invalid header for `build()`.
    fn fail(&mut self, e: impl Into<Box<dyn std::error::Error + Send + Sync>>) {
        if self.header_error.is_none() {
            self.header_error = Some(Error::builder(e));
        }
    }
    /// Marks a header name as sensitive for every request of this client:
    /// whether it comes from the defaults or from a request, it is dropped
    /// when a redirect leads to another origin, and its value never shows
    /// in `Debug` output. `Authorization`, `Cookie`, `Proxy-Authorization`,
    /// `X-Api-Key` and `Api-Key` always are.
    pub fn sensitive_header(mut self, name: impl AsRef<str>) -> Self {
        self.sensitive.push(name.as_ref().to_string());
        self
    }
    /// The `User-Agent` (default `brisk/<version>`): a string or a
    /// [`HeaderValue`]. An invalid one makes [`build`](Self::build) fail.
    pub fn user_agent<V>(mut self, ua: V) -> Self
    where
        V: TryInto<HeaderValue>,
        V::Error: std::error::Error + Send + Sync + 'static,
    {
        match ua.try_into() {
            Ok(ua) => self.user_agent = ua,
            Err(e) => self.fail(e),
        }
        self
    }
    /// How redirects are followed (default: up to 10, no https→http).
    pub fn redirect(mut self, policy: RedirectPolicy) -> Self {
        self.redirect = policy;
        self
    }
    /// How failed requests are retried (default: [`RetryPolicy::default`],
    /// 3 attempts in all with jittered backoff, within a per-host budget;
    /// [`RetryPolicy::none`] turns retries off). See the crate docs for
    /// what is retried and what never is.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }
    /// A circuit breaker per host (default: none).
    pub fn circuit_breaker(mut self, breaker: CircuitBreaker) -> Self {
        self.breaker = Some(breaker);
        self
    }
    /// A hook that receives every [`Event`] of every attempt: for logs,
    /// metrics and tracing (a `traceparent` header is set in
    /// [`Event::RequestStart`]). It runs on the request's task: keep it
    /// quick. Without a hook, events cost nothing.
    pub fn on_event(mut self, hook: impl Fn(&mut Event<'_>) + Send + Sync + 'static) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }
    /// Traces every request: each attempt and redirect hop is a span of
    /// kind CLIENT with the OpenTelemetry HTTP conventions, handed to the
    /// tracer's sink, and carries its own W3C `traceparent` (see
    /// [`crate::trace`]). Without a tracer nothing is made: each step of a
    /// request costs one branch.
    ///
    /// ```
    /// use brisk::trace::{MemorySink, Tracer};
    ///
    /// let sink = MemorySink::new();
    /// let client = brisk::Client::builder().tracing(Tracer::new(sink.clone())).build()?;
    /// # Ok::<(), brisk::Error>(())
    /// ```
    pub fn tracing(mut self, tracer: crate::trace::Tracer) -> Self {
        self.tracer = Some(tracer);
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

    /// Asks for gzip bodies and decodes them: `Accept-Encoding: gzip` is
    /// sent (with `deflate` unless that is off), and a body that comes with
    /// `Content-Encoding: gzip` reads decoded from every reader
    /// ([`Response::bytes`](crate::Response::bytes), `text`, `json`, `chunk`,
    /// `read`, and the chat and SSE streams). On by default with the
    /// `compression` feature (which is on by default), as with reqwest's
    /// `gzip` feature.
    ///
    /// A decoded response's [`headers`](crate::Response::headers) leave out
    /// `Content-Encoding` and `Content-Length`;
    /// [`wire_headers`](crate::Response::wire_headers) has them. A request
    /// that sets its own `Accept-Encoding` sends that instead; one that sets
    /// `Range` sends none, and a `206` answer is never decoded. See
    /// [`RequestBuilder::decompress`](crate::RequestBuilder::decompress) to
    /// turn decoding off for one request.
    #[cfg(feature = "compression")]
    pub fn gzip(mut self, on: bool) -> Self {
        self.codings.gzip = on;
        self
    }

    /// Asks for `deflate` bodies and decodes them, as
    /// [`gzip`](Self::gzip) does gzip. Both the zlib-wrapped data
    /// RFC 9110 names and raw deflate data (which some servers send) are
    /// read. On by default with the `compression` feature.
    #[cfg(feature = "compression")]
    pub fn deflate(mut self, on: bool) -> Self {
        self.codings.deflate = on;
        self
    }

    /// `gzip(false)`, by reqwest's name.
    #[cfg(feature = "compression")]
    pub fn no_gzip(self) -> Self {
        self.gzip(false)
    }

    /// `deflate(false)`, by reqwest's name.
    #[cfg(feature = "compression")]
    pub fn no_deflate(self) -> Self {
        self.deflate(false)
    }

    /// Sends requests through `proxy` (those of the schemes it is for).
    /// Proxies are tried in the order added; the first that covers a
    /// request's scheme is used. Adding one turns off the environment
    /// variables (`HTTP_PROXY` and the rest), as in reqwest. See the crate
    /// docs' "Proxies" section.
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.proxies.push(proxy);
        self.proxy_env = EnvSource::Off;
        self
    }
    /// No proxy at all: neither those added with
    /// [`proxy`](Self::proxy), nor the environment's.
    pub fn no_proxy(mut self) -> Self {
        self.proxies.clear();
        self.proxy_env = EnvSource::Off;
        self
    }
    /// Reads the proxy variables (`http_proxy`, `HTTPS_PROXY`, `NO_PROXY`,
    /// `REQUEST_METHOD`...) through `lookup` instead of the process
    /// environment, with the same rules: for settings kept elsewhere, and
    /// for tests, which must not change a process's environment while
    /// other threads read it. `lookup` is called while the client is
    /// built, not afterwards. Proxies added with [`proxy`](Self::proxy)
    /// come first.
    ///
    /// ```
    /// let client = brisk::Client::builder()
    ///     .proxy_env_lookup(|name| match name {
    ///         "HTTPS_PROXY" => Some("http://proxy.internal:3128".to_string()),
    ///         "NO_PROXY" => Some(".internal, 10.0.0.0/8".to_string()),
    ///         _ => None,
    ///     })
    ///     .build()?;
    /// # Ok::<(), brisk::Error>(())
    /// ```
    pub fn proxy_env_lookup(
        mut self,
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.proxy_env = EnvSource::Lookup(Arc::new(lookup));
        self
    }
    /// Refuses every `http://` URL, the first one and any a redirect leads
    /// to, with a builder error before anything is sent (default false).
    pub fn https_only(mut self, on: bool) -> Self {
        self.https_only = on;
        self
    }
    /// Kept for code written for reqwest: brisk speaks HTTP/1.1 only, so
    /// this changes nothing.
    pub fn http1_only(self) -> Self {
        self
    }
    /// Kept for code written for reqwest: brisk's TLS is always rustls
    /// (ring provider), so this changes nothing.
    #[cfg(feature = "tls")]
    pub fn use_rustls_tls(self) -> Self {
        self
    }

    /// Builds the client. Fails on an invalid default header or user
    /// agent, and on an invalid TLS configuration. The proxy environment
    /// variables are read here, once: a change to them later does not
    /// affect the client.
    pub fn build(self) -> Result<Client, Error> {
        if let Some(e) = self.header_error {
            return Err(e);
        }
        #[cfg(feature = "tls")]
        let tls =
            crate::transport::tls::config(self.builtin_roots, &self.roots, &self.tls_options)?;
        let counters = Arc::new(Counters::default());
        let mut pool = self.pool;
        pool.guard = GuardConfig {
            budget: self.retry.budget_config(),
            breaker: self.breaker,
        };
        let mut fixed_headers = HeaderMap::with_capacity(2 + self.default_headers.len());
        fixed_headers.append(HeaderName::from_static("User-Agent"), self.user_agent);
        fixed_headers.append(
            HeaderName::from_static("Accept"),
            HeaderValue::from_static("*/*"),
        );
        // The caller's replace the built-in ones, and go after them.
        for name in self.default_headers.keys() {
            fixed_headers.remove(name);
        }
        fixed_headers.extend(
            self.default_headers
                .iter()
                .map(|(n, v)| (n.clone(), v.clone())),
        );
        // `Accept-Encoding` for the codings brisk decodes, unless the
        // caller's defaults name their own.
        let accept_encoding = self
            .codings
            .header_value()
            .filter(|_| !self.default_headers.contains_key("accept-encoding"))
            .map(|v| {
                let name = HeaderName::from_static("Accept-Encoding");
                (name, HeaderValue::from_static(v))
            });
        let default_headers = HeaderDefaults {
            fields: fixed_headers,
            sensitive: self.sensitive,
            accept_encoding,
            title_case: self.title_case_headers,
        };
        default_headers.validate()?;
        Ok(Client {
            shared: Arc::new(Shared {
                pool: Pool::new(pool, counters.clone()),
                counters,
                timeouts: self.timeouts,
                default_headers,
                redirect: self.redirect,
                limits: self.limits,
                retry: self.retry,
                hook: self.hook,
                tracer: self.tracer,
                proxies: Proxies::new(self.proxies, &self.proxy_env),
                https_only: self.https_only,
                codings: self.codings,
                dialer: self.dialer,
                cookies: self.cookies,
                referer: self.referer,
                verbose: self.verbose,
                #[cfg(feature = "tls")]
                tls,
            }),
        })
    }
}
