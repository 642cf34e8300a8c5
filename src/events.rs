//! Attempt events: what a hook set with
//! [`ClientBuilder::on_event`](crate::ClientBuilder::on_event) receives,
//! one call per step of every attempt.
//!
//! A hook can log, count, time, and change each attempt's headers
//! ([`Event::RequestStart`]). For spans and W3C `traceparent`
//! propagation, brisk has its own tracing ([`crate::trace`]); its header
//! is set before the hook runs, so a hook sees it. When no hook is set,
//! nothing is built and nothing is called: the events cost one branch per
//! step.

use crate::breaker::CircuitTransition;
use crate::error::Error;
use crate::retry::{Progress, RetryReason};
use crate::status::StatusCode;
use crate::url::Url;
use std::sync::Arc;
use std::time::Duration;

/// One step of one attempt. Attempts count from 1; a free re-send on a
/// fresh connection (a stale pooled connection) keeps its attempt's
/// number.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// An attempt is about to be sent. Its header fields can still be
    /// changed (they are validated after the hook returns): this is where
    /// a `traceparent` goes. Changes persist into later attempts, so set a
    /// field (replacing an earlier value) rather than add one.
    RequestStart {
        /// The method.
        method: &'a str,
        /// The URL of this hop.
        url: &'a Url,
        /// Which attempt.
        attempt: u32,
        /// The request's own header fields (the client's defaults are
        /// added when the head is written).
        headers: &'a mut crate::header::HeaderMap,
    },
    /// A connection was obtained for the attempt.
    Connected {
        /// The URL of this hop.
        url: &'a Url,
        /// Which attempt.
        attempt: u32,
        /// Whether it came from the pool.
        reused: bool,
        /// DNS, connect and TLS times (zero when reused).
        timings: Timings,
    },
    /// The final response head of an attempt arrived.
    ResponseHead {
        /// The URL of this hop.
        url: &'a Url,
        /// Which attempt.
        attempt: u32,
        /// Its status.
        status: StatusCode,
        /// Time from `send()` to this head.
        ttfb: Duration,
    },
    /// A response's body ended: the one returned to the caller, or one
    /// drained before a retry or a redirect.
    BodyEnd {
        /// The response's URL.
        url: &'a Url,
        /// The response's status.
        status: StatusCode,
        /// Time from `send()` to the body's last byte.
        total: Duration,
        /// Whether the connection went back to the pool.
        reusable: bool,
    },
    /// An attempt failed (it may still be retried: see
    /// [`Event::RetryScheduled`]).
    Error {
        /// The URL of this hop.
        url: &'a Url,
        /// Which attempt.
        attempt: u32,
        /// What failed.
        error: &'a Error,
        /// How far the request got.
        progress: Progress,
    },
    /// The request will be sent again.
    RetryScheduled {
        /// The URL of this hop.
        url: &'a Url,
        /// The attempt that failed.
        attempt: u32,
        /// The wait before the next attempt (zero for a re-send on a fresh
        /// connection, which does not count as an attempt).
        delay: Duration,
        /// Why.
        reason: RetryReason,
        /// Whether the wait came from the server (`Retry-After`,
        /// `retry-after-ms`).
        hinted: bool,
    },
    /// A head as it went on the wire or came off it, as text, with
    /// [`ClientBuilder::connection_verbose`](crate::ClientBuilder::connection_verbose)
    /// on (and only then): the request head as written (after the
    /// [`RequestStart`](Event::RequestStart) hook's changes, in the case
    /// the wire gets), then the final response head as read. One line per
    /// field, joined by `\n`, without the CRLFs; the values of credential
    /// fields (`Authorization`, `Cookie`, `Set-Cookie`, `Proxy-Authorization`,
    /// API keys) and of any marked sensitive show as `Sensitive`. Bodies
    /// are never shown.
    ///
    /// ```
    /// let client = brisk::Client::builder()
    ///     .connection_verbose(true)
    ///     .on_event(|event| {
    ///         if let brisk::Event::WireHead { sent, text, .. } = event {
    ///             let arrow = if *sent { "> " } else { "< " };
    ///             for line in text.lines() {
    ///                 eprintln!("{arrow}{line}");
    ///             }
    ///         }
    ///     })
    ///     .build()?;
    /// # Ok::<(), brisk::Error>(())
    /// ```
    WireHead {
        /// The URL of this hop.
        url: &'a Url,
        /// Which attempt.
        attempt: u32,
        /// `true` for the request head, `false` for the response head.
        sent: bool,
        /// The head, one line per field.
        text: &'a str,
    },
    /// A host's circuit breaker changed state.
    Circuit {
        /// The host's origin (`scheme://host:port`).
        origin: &'a str,
        /// From which state to which.
        transition: CircuitTransition,
    },
}

/// The hook's type: called from the request's own task, so it must be
/// quick and must not block.
pub(crate) type Hook = Arc<dyn Fn(&mut Event<'_>) + Send + Sync>;

/// Calls `hook`, if one is set, with the event `make` builds: without a
/// hook the event is never built.
#[inline]
pub(crate) fn emit<'a>(hook: &Option<Hook>, make: impl FnOnce() -> Event<'a>) {
    if let Some(hook) = hook {
        hook(&mut make());
    }
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
