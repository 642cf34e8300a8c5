//! brisk: a lean async HTTP/1.1 client.
//!
//! Services that call LLMs and other APIs spend most of their time waiting
//! on HTTP. brisk makes those calls non-blocking, fast and small:
//!
//! - a hand-rolled HTTP/1.1 codec, [`h1`], sans-IO: it never touches a
//!   socket, so it is fuzzed and tested byte by byte;
//! - transport on tokio: TCP with Happy Eyeballs, and TLS through rustls
//!   (ring, webpki-roots) with its own small adapter;
//! - its own keep-alive pool (per-host limits, idle expiry, the server's
//!   `Keep-Alive: timeout`), never reusing a connection it cannot trust;
//! - one deadline per request, with a budget per phase (connect, TLS,
//!   write, read-idle, pool-wait), and errors that name the phase;
//! - an API shaped like reqwest's.
//!
//! ```no_run
//! # async fn run() -> Result<(), brisk::Error> {
//! use std::time::Duration;
//!
//! let client = brisk::Client::builder()
//!     .timeout(Duration::from_secs(30))
//!     .build()?;
//! let resp = client
//!     .post("https://api.example.com/v1/echo")
//!     .bearer_auth("token")
//!     .body(r#"{"hello":"world"}"#)
//!     .header("Content-Type", "application/json")
//!     .send()
//!     .await?
//!     .error_for_status()?;
//! println!("{} after {:?}", resp.status(), resp.timings().ttfb);
//! let text = resp.text().await?;
//! # Ok(()) }
//! ```
//!
//! # What brisk is not
//!
//! - Not HTTP/2 or HTTP/3, and not a server.
//! - Not a proxy client (yet), and no cookie jar, compression or
//!   multipart: it sends what you give it and hands back what it received.
//! - Not generic over serde: with the `json` feature, JSON goes in and out
//!   as [`serde_json::Value`](https://docs.rs/serde_json) (no serde derive
//!   at runtime); convert with `serde_json::from_value` in your code.
//!
//! # Features
//!
//! - `tls` (default): HTTPS through rustls with the webpki-roots anchors.
//! - `json` (default): [`RequestBuilder::json`] and [`Response::json`].
//!
//! With `--no-default-features` brisk is a plain-HTTP client on tokio
//! alone.
//!
//! # Behaviour worth knowing
//!
//! - Where parsers disagree, the decoder's choices are listed in the
//!   [`h1`] module docs.
//! - A [`Response`] read to its end gives its connection back to the pool;
//!   one dropped before that gives it back only if the rest of the body
//!   had already arrived, and closes it otherwise (no draining).
//! - A request that fails on a reused connection before any response byte
//!   arrived (the server closed it while idle) is retried once on a fresh
//!   connection, if its method is idempotent (GET, HEAD, PUT, DELETE,
//!   OPTIONS, TRACE) and its body can be replayed. A POST is never sent
//!   twice by brisk itself.
//! - Credentials (`Authorization`, `Cookie`, `Proxy-Authorization`), from
//!   the request or the client's default headers, are never sent to
//!   another origin on a redirect.
//! - DNS runs on tokio's blocking pool (`getaddrinfo`); a lookup that
//!   times out fails the request at once, but its thread finishes the
//!   lookup in the background.
//! - A connection returned to the pool less than 1 ms ago is reused without
//!   the liveness check (a non-blocking read) that older idle connections
//!   get: back-to-back calls skip a syscall, and the idempotent retry
//!   above covers a server that closed it in that instant.
//! - Redirects: up to 10; a redirect's own body (up to 64 KiB) is read and
//!   dropped so its connection serves the next hop; 303, and 301/302 after
//!   a POST, turn into a GET without body (HEAD stays HEAD);
//!   307/308 keep method and body (not followed for a streamed body);
//!   `Authorization`, `Cookie` and `Proxy-Authorization` are dropped when
//!   the origin changes; https→http is refused unless allowed.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod base64;
mod client;
mod conn;
mod deadline;
mod error;
pub mod h1;
mod pool;
mod transport;
mod url;

pub use client::{
    Body, Client, ClientBuilder, ClientStats, ClosedCounts, IntoUrl, RedirectPolicy,
    RequestBuilder, Response, StatusCode, Timings,
};
pub use deadline::Timeouts;
pub use error::{Error, Phase, TlsFailure};
pub use h1::{Headers, Version};
#[cfg(feature = "tls")]
pub use transport::tls::Certificate;
pub use url::{Host, Scheme, Url, UrlError};
