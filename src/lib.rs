//! brisk: a lean async HTTP/1.1 client.
//!
//! Services that call LLMs and other APIs spend most of their time waiting
//! on HTTP. brisk makes those calls non-blocking, fast and small. A GET,
//! your own types sent and read as JSON, and a chat reply streamed token
//! by token:
//!
//! ```no_run
//! # #[cfg(feature = "json")]
//! # async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! use brisk::chat::{Chat, ChatOptions, Provider};
//! use serde::{Deserialize, Serialize};
//!
//! let client = brisk::Client::new(); // create once, clone freely
//!
//! let page = client.get("https://example.com/").send().await?.text().await?;
//!
//! #[derive(Serialize)]
//! struct Search<'a> { query: &'a str, limit: u32 }
//! #[derive(Deserialize)]
//! struct Hits { total: u64 }
//! let hits: Hits = client
//!     .post("https://api.example.com/v1/search")
//!     .json(&Search { query: "pingyao", limit: 10 })
//!     .send()
//!     .await?
//!     .error_for_status()?
//!     .json()
//!     .await?;
//!
//! // The key from OPENAI_API_KEY; any compatible server by its base URL.
//! let chat = Chat::builder(Provider::OpenAi).client(client.clone()).build();
//! let mut stream = chat.stream("When is Pingyao at its best?", ChatOptions::default()).await?;
//! while let Some(delta) = stream.next().await {
//!     print!("{}", delta?.text());
//! }
//! # let _ = (page, hits.total);
//! # Ok(()) }
//! ```
//!
//! What is inside:
//!
//! - a hand-rolled HTTP/1.1 codec, [`h1`], sans-IO: it never touches a
//!   socket, so it is fuzzed and tested byte by byte;
//! - a sans-IO parser for server-sent events, [`sse`], for streamed LLM
//!   replies and any other `text/event-stream`;
//! - transport on tokio: TCP with Happy Eyeballs, and TLS through rustls
//!   (ring, or aws-lc-rs with post-quantum key exchange; webpki-roots)
//!   with its own small adapter;
//! - its own keep-alive pool (per-host limits, idle expiry, the server's
//!   `Keep-Alive: timeout`), never reusing a connection it cannot trust;
//! - one deadline per request, with a budget per phase (connect, TLS,
//!   write, read-idle, pool-wait), and errors that name the phase;
//! - distributed tracing with no added crate, in [`trace`]: W3C Trace
//!   Context propagation, a span per attempt with the OpenTelemetry
//!   conventions, and (feature `otlp`) an OTLP/HTTP JSON exporter;
//! - an API shaped like reqwest's.
//!
//! Coming from reqwest? Most code compiles after renaming the crate; the
//! [`from_reqwest`] page lists every difference and why it differs.
//!
//! # What brisk is not
//!
//! - Not HTTP/2 or HTTP/3, and not a server.
//! - No SOCKS or TLS-to-the-proxy (plain `http://` proxies only; see
//!   [Proxies](#proxies)), and of the compressed codings only gzip and
//!   deflate (decoded transparently with the `compression`
//!   feature, on by default: see [`ClientBuilder::gzip`]).
//!
//! # Uploads
//!
//! A `tokio::fs::File` is a [`Body`] (streamed, with `Content-Length`
//! from its metadata), and [`multipart`] builds `multipart/form-data`
//! forms with reqwest's API for [`RequestBuilder::multipart`]: files and
//! streams are read in pieces while they are sent, never whole, and a
//! file that changes size mid-upload fails the request instead of
//! sending it short or long. A response body reads as a stream of chunks
//! with [`Response::bytes_stream`], whose own `next().await` needs no
//! futures crate (feature `futures-stream`: a `futures_core::Stream`, and
//! `Body::wrap_stream`).
//!
//! # Cookies
//!
//! Off by default, as in reqwest: [`ClientBuilder::cookie_store`] keeps a
//! [`cookie::Jar`] (RFC 6265bis) that stores every response's
//! `Set-Cookie`, on each redirect hop, and sends its cookies back;
//! [`ClientBuilder::cookie_provider`] takes any [`cookie::CookieStore`].
//! Without a public suffix list, the jar keeps every cookie host-only and
//! ignores a `Domain` attribute naming another host, so no server can set
//! a cookie for a public suffix such as `co.uk` (see [`cookie`]).
//! [`Response::cookies`] reads a response's cookies, jar or not.
//!
//! # Typed JSON, query and form
//!
//! [`RequestBuilder::json`] sends any `T: Serialize` and
//! [`Response::json`] returns any `T: DeserializeOwned`, so your own
//! `#[derive(Serialize, Deserialize)]` types (from the `serde` crate) go
//! straight to and from the wire, fields in their declared order, with no
//! `serde_json::Value` in between. A body of the wrong shape is an error
//! with [`Error::is_decode`] that names the field
//! (`choices[0].message.content`). [`RequestBuilder::query`] and
//! [`RequestBuilder::form`] take structs, maps and lists of pairs, as
//! reqwest's do.
//!
//! brisk names serde's traits through `serde_core`, the crate of traits
//! that serde and serde_json are built on (serde re-exports them, so a
//! derive implements exactly these), and never serde's derive macros: it
//! adds no crate to a build that has serde_json.
//!
//! # Chat
//!
//! `brisk::chat` (feature `json`) is OpenAI-compatible chat on this client:
//! OpenAI, Zhipu, Qianfan or any compatible server, typed provider
//! errors, tolerant replies, bounded batches. [`Client::send_all`] runs
//! any requests so: at most N in flight, results in order, failures
//! included.
//!
//! # Features
//!
//! - `tls` (default): HTTPS through rustls (ring provider) with the
//!   webpki-roots anchors.
//! - `aws-lc-rs` (off; implies `tls`): rustls's aws-lc-rs provider instead
//!   of ring, for the post-quantum hybrid key exchange X25519MLKEM768,
//!   offered first, as rustls prefers it (ring has no post-quantum key
//!   exchange, and rustls 0.23.48 deprecates its provider for that). Off
//!   by default: aws-lc-sys is a C build (a C compiler is enough on Linux
//!   x86_64 and aarch64) and adds crates; ring stays in the build, unused.
//!   A provider the program installs as rustls's process default
//!   (`CryptoProvider::install_default`) is used before either.
//! - `json` (default): [`RequestBuilder::json`] and [`Response::json`],
//!   through serde_json.
//! - `mock` (default; needs `json`): [`mock`], a scriptable
//!   OpenAI-compatible chat server on a loopback port for tests and demos.
//!   On by default so that `cargo run --release --example demo` works as
//!   typed; it adds no crate, and nothing to a binary that does not use
//!   it.
//!
//! With `--no-default-features` brisk is a plain-HTTP client on tokio and
//! `serde_core` alone. `serde_core` stays (a small crate of traits, no
//! build script or macro) so that `query` and `form` take the same
//! `Serialize` types with or without `json`.
//!
//! # Runtime
//!
//! brisk runs on tokio and needs a runtime with both its I/O and its time
//! drivers: `#[tokio::main]` and `#[tokio::test]` give both, and a
//! hand-built runtime needs `enable_all()` (or `enable_io()` and
//! `enable_time()`). Without the time driver, tokio panics the first time
//! a step has to wait on a deadline.
//!
//! # Timeouts
//!
//! Every wait has a budget by default, so that nothing hangs:
//!
//! | budget | default | bounds |
//! | --- | --- | --- |
//! | connect | 10 s | DNS and the TCP connect together |
//! | TLS | 10 s | the TLS handshake |
//! | write | 30 s | write progress: each piece (up to 64 KiB) of the request |
//! | read | 60 s | the whole response head, then each wait for more body bytes |
//! | pool-wait | 30 s | waiting for a connection at the per-host limit |
//! | total | none | the whole request, `send()` to the body's last byte |
//!
//! A default never undercuts a budget you set: with a total (from
//! [`ClientBuilder::timeout`], [`RequestBuilder::timeout`] or a whole
//! [`Timeouts`]), the default phase budgets step aside and only your own
//! budgets and the total apply, as with reqwest's `timeout`. So
//! `.timeout(Duration::from_secs(90))` on a completion that takes 61 s
//! gets its answer. A body that keeps bringing bytes is progress (a long
//! download, an event stream): bound it with a total. Each timeout error
//! names its phase ([`Error::phase`]) and says whether the total fired
//! ([`Error::is_total_timeout`]).
//!
//! # Proxies
//!
//! By default a client reads the proxy environment variables once, when
//! it is built ([`Client::new`] included); changing them later does not
//! affect it. [`ClientBuilder::proxy`] with a [`Proxy`] sets proxies
//! explicitly (and turns the environment off, as in reqwest);
//! [`ClientBuilder::no_proxy`] turns all proxies off;
//! [`ClientBuilder::proxy_env_lookup`] reads the variables from elsewhere.
//!
//! | variable | used for |
//! | --- | --- |
//! | `http_proxy`, `HTTP_PROXY` | `http://` URLs; `HTTP_PROXY` is ignored when `REQUEST_METHOD` is set (CGI, where it can come from a request header: httpoxy) |
//! | `https_proxy`, `HTTPS_PROXY` | `https://` URLs |
//! | `all_proxy`, `ALL_PROXY` | either, when the variable above is not set |
//! | `no_proxy`, `NO_PROXY` | hosts that go direct |
//!
//! Where both spellings are set the lowercase one wins (as in curl); an
//! empty value counts as unset. `NO_PROXY` is a comma-separated list:
//! `*` matches everything; `example.com` or `.example.com` matches that
//! domain and its subdomains (not `badexample.com`); `host:port` matches
//! that port only; IP addresses and CIDR ranges (`10.0.0.0/8`, `fd00::/8`)
//! match IP-literal hosts (names are not resolved to decide).
//!
//! Unlike curl and reqwest, and like Go, loopback hosts (`localhost`,
//! `*.localhost`, `127.0.0.0/8`, `::1`) never use an environment proxy: the
//! proxy's loopback is not yours, and a `HTTP_PROXY` exported for the
//! internet would otherwise break every call to a local model server or
//! test server. Add `<-loopback>` to `NO_PROXY` to proxy them anyway. An
//! explicit [`Proxy`] applies to loopback hosts too.
//!
//! `http://` requests go to the proxy in absolute form
//! (`GET http://host/path`), with the proxy's `Proxy-Authorization`; the
//! proxy sees them whole, and a `407` from it is an ordinary response.
//! `https://` requests go through a `CONNECT` tunnel, with TLS to the
//! origin inside it (the certificate checked against the origin's name).
//! The CONNECT carries only `Host`, `User-Agent` and the proxy's
//! credentials; a refusal is an error with [`Error::is_proxy`] (and
//! [`Error::is_proxy_auth`] for a `407`), and a proxy that cannot be
//! reached is [`Error::is_connect`], naming the proxy. A `Proxy-Authorization`
//! header set on a request never goes into a tunnel. Only `http://` proxy
//! URLs are supported: `https://` (TLS to the proxy) and SOCKS proxy URLs
//! are refused ([`Error::is_builder`]); from the environment, the requests
//! such a proxy would carry fail, rather than silently going direct.
//!
//! Connections through a proxy are pooled per (proxy, origin): a tunnel
//! leads to one origin, and a plain connection to the proxy is kept for
//! one origin too, so per-host limits, retry budgets and circuit breakers
//! keep meaning "this origin" (the cost: `http://` requests to many
//! origins through one proxy open a connection per origin). Redirects
//! choose the proxy again at every hop.
//!
//! ```
//! let client = brisk::Client::builder()
//!     .proxy(brisk::Proxy::https("http://proxy.internal:3128")?.basic_auth("me", "secret"))
//!     .build()?;
//! # Ok::<(), brisk::Error>(())
//! ```
//!
//! # Behaviour worth knowing
//!
//! - Where parsers disagree, the decoder's choices are listed in the
//!   [`h1`] module docs.
//! - A [`Response`] read to its end gives its connection back to the pool;
//!   one dropped before that gives it back only if the rest of the body
//!   had already arrived, and closes it otherwise (no draining).
//! - A connection is reused only if nothing has arrived past the end of
//!   its last response and the server has not closed it: before it
//!   carries a request, the kernel is asked (one non-blocking peek, through
//!   a duplicate of the socket that the first 256 connections of a process
//!   keep; past those, a connection holds one descriptor and is checked
//!   another way, and one that cannot be checked is not reused: see the
//!   README's "Reuse"). A server that closes a connection in the instant
//!   between that check and the request's write can still fail the
//!   request (no client can close that race); requests safe to repeat are
//!   then re-sent on a fresh connection.
//! - A server that answers while a request body is still being sent with
//!   300 or more (a 413 or 401 to a large upload) gets its answer returned: sending stops
//!   at once, or, if the write failed because the server closed, the
//!   answer it sent first is read. The connection is not reused.
//! - Failed requests are retried by a [`RetryPolicy`] (3 attempts in all
//!   by default, jittered exponential backoff, server hints honoured,
//!   within a per-host budget; a body veto, [`RetryPolicy::never_retry_if`],
//!   can make a retried status final from what its body says), but only
//!   when that is safe: nothing was
//!   sent, or the request is idempotent, carries an `Idempotency-Key`, or
//!   is marked [`RequestBuilder::retryable`]; never a streamed body. A
//!   plain POST that may have reached the server is never sent twice by
//!   brisk itself. The README has the full table; an optional per-host
//!   [`CircuitBreaker`] fails fast while a backend is down, and
//!   [`ClientBuilder::on_event`] sees every attempt.
//! - Credentials (`Authorization`, `Cookie`, `Proxy-Authorization`, the
//!   API-key headers `X-Api-Key` and `Api-Key`, any header marked with
//!   [`RequestBuilder::sensitive_header`] or
//!   [`ClientBuilder::sensitive_header`], and any
//!   [`HeaderValue`](header::HeaderValue) marked
//!   [`set_sensitive`](header::HeaderValue::set_sensitive)), from the
//!   request or the client's default headers, are never sent to another
//!   origin on a redirect, and never shown by `Debug`.
//! - Header names are case-insensitive. A request sends a name in the case
//!   it was given (the [`header`] constants are lowercase); names in a
//!   response are lowercase, as in the `http` crate.
//! - Exactly one `Authorization` is sent: the request's own, else one
//!   from the URL's userinfo, else the client's default. Exactly one
//!   `Host`: two are refused. POST, PUT and PATCH without a body send
//!   `Content-Length: 0` (RFC 9110 §8.6).
//! - DNS runs on tokio's blocking pool (`getaddrinfo`); a lookup that
//!   times out fails the request at once, but its thread finishes the
//!   lookup in the background.
//! - Redirects: up to 10. A redirect's own body is read and dropped so its
//!   connection serves the next hop only if it is framed (a
//!   `Content-Length` of at most 64 KiB, or chunked), and then at most
//!   64 KiB of it for at most 500 ms; any other closes the connection and
//!   the redirect is followed at once. 301, 302 and 303 are followed
//!   without a body, as a GET unless the method was GET or HEAD; 307/308
//!   keep method and body (not followed for a streamed body); sensitive
//!   headers are dropped when the origin changes; https→http is refused
//!   unless allowed.
//! - [`Limits::max_body_bytes`](h1::Limits::max_body_bytes) caps what
//!   [`Response::bytes`], `text` and `json` collect (no cap by default).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod base64;
mod breaker;
mod chars;
#[cfg(feature = "json")]
pub mod chat;
mod client;
mod conn;
pub mod cookie;
mod deadline;
mod error;
mod events;
// Its examples use typed JSON, so it is shown with the `json` feature.
#[cfg(feature = "json")]
#[doc = include_str!("from_reqwest.md")]
pub mod from_reqwest {}
#[doc(hidden)]
pub mod fuzzing;
mod guard;
pub mod h1;
pub mod header;
#[cfg(feature = "compression")]
pub mod inflate;
#[cfg(feature = "json")]
mod json_path;
mod method;
#[cfg(feature = "mock")]
pub mod mock;
pub mod multipart;
mod pool;
mod proxy;
mod retry;
pub mod sse;
mod status;
pub mod trace;
mod transport;
mod url;
mod urlencoded;
mod window;
#[cfg(feature = "ws")]
pub mod ws;

pub use breaker::{CircuitBreaker, CircuitSnapshot, CircuitState, CircuitTransition};
pub use client::{
    Body, BytesStream, Client, ClientBuilder, ClientStats, ClosedCounts, IntoUrl, RedirectPolicy,
    Request, RequestBuilder, Response,
};
pub use deadline::Timeouts;

/// GETs `url` with a client of default settings, as `reqwest::get` does: a
/// one-liner for scripts and examples. A new client (and its pool) is made
/// for each call; keep a [`Client`] to reuse connections.
///
/// ```no_run
/// # async fn run() -> Result<(), brisk::Error> {
/// let body = brisk::get("https://example.com/").await?.text().await?;
/// # Ok(()) }
/// ```
pub async fn get(url: impl IntoUrl) -> Result<Response, Error> {
    Client::new().get(url).send().await
}
pub use error::{Error, Phase, TlsFailure};

/// `Result` with brisk's [`Error`], as `reqwest::Result` is.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Redirect policies, under the path reqwest users know
/// (`brisk::redirect::Policy::none()`).
pub mod redirect {
    pub use crate::client::RedirectPolicy as Policy;
    pub use crate::client::{Action, Attempt};
}
pub use events::{Event, Timings};
pub use h1::{Headers, Version};
pub use method::{InvalidMethod, Method};
pub use proxy::Proxy;
pub use retry::{BudgetSnapshot, Progress, RetryBudget, RetryPolicy, RetryReason, RetryRecord};
pub use status::{InvalidStatusCode, StatusCode};
#[cfg(feature = "tls")]
pub use transport::tls::Certificate;
#[cfg(feature = "tls")]
pub use transport::tls_options::Identity;
/// TLS settings' vocabulary, by reqwest's path (`brisk::tls::Version`).
#[cfg(feature = "tls")]
pub mod tls {
    pub use crate::transport::tls_options::Version;
}
pub use url::{Host, QueryPairs, QuerySerializer, Scheme, Url, UrlError};
