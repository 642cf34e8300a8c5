//! The vocabulary between the call (`client/call.rs`) and the policy: what the call
//! reports about an attempt that ended ([`AttemptContext`]), and what the
//! policy answers ([`Decision`]).

use super::Hint;
use std::fmt;
use std::time::Duration;

/// Everything `decide` needs to know about the attempt that just ended.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AttemptContext<'a> {
    /// Which attempt ended: 1 for the first. Free re-sends do not count.
    pub(crate) attempt: u32,
    /// Whether this attempt already had its free re-send.
    pub(crate) resent: bool,
    /// The request method, exactly as sent (methods are case-sensitive,
    /// RFC 9110 §9.1).
    pub(crate) method: &'a str,
    /// Whether the request carries an [`IDEMPOTENCY_KEY`](super::IDEMPOTENCY_KEY) header.
    pub(crate) idempotency_key: bool,
    /// Whether the caller marked the request retryable.
    pub(crate) marked_retryable: bool,
    /// Whether the body can be sent again (not a one-shot stream).
    pub(crate) replayable: bool,
    /// Time left before the request's total deadline, if it has one.
    pub(crate) time_left: Option<Duration>,
    /// How the attempt ended.
    pub(crate) end: AttemptEnd,
}

impl AttemptContext<'_> {
    /// The request may be applied twice with the effect of once: an
    /// idempotent method (RFC 9110 §9.2.2), an idempotency key, or the
    /// caller's word.
    pub(super) fn request_is_repeatable(&self) -> bool {
        self.idempotency_key
            || self.marked_retryable
            || matches!(
                self.method,
                "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS" | "TRACE"
            )
    }
}

/// How an attempt ended, as far as retrying is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AttemptEnd {
    /// A response head arrived. [`RetryPolicy::response_end`](super::RetryPolicy::response_end) builds this
    /// from the head.
    Response {
        status: u16,
        hint: Hint,
        should_retry: Option<bool>,
    },
    /// The attempt failed.
    Failed {
        fault: Fault,
        progress: Progress,
        /// The connection had served an earlier request.
        reused: bool,
    },
}

/// What went wrong in a failed attempt. The client maps its errors onto
/// these; the policy decides which are retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    /// DNS or the TCP connect failed (refused, unreachable, reset).
    Connect,
    /// The TLS handshake failed, for a reason other than the certificate.
    Tls,
    /// The server's certificate was rejected. Never retried: the same
    /// certificate would come back.
    Certificate,
    /// Connecting (DNS, TCP, TLS) ran out of its budget.
    ConnectTimeout,
    /// The response head did not arrive within its budget.
    ReadHeadTimeout,
    /// The connection failed once up: a reset, an unexpected close, a
    /// failed write.
    Transport,
    /// Anything else (bad HTTP, a write timeout, a pool-wait timeout...):
    /// never retried.
    Other,
}

/// How far a request got before its attempt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Not one byte of the request was written to the connection (it
    /// failed to open, or failed on the first write). The server cannot
    /// have acted on it.
    NotSent,
    /// Some or all of the request was written, and no byte of a response
    /// arrived. The server may or may not have acted on it.
    SentNoResponse,
    /// At least one byte of a response arrived.
    ResponseStarted,
}

/// What the call does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Send the same request again at once, on a fresh connection. Not an
    /// attempt: `attempt` stays, `resent` becomes true.
    ResendNow {
        /// [`RetryReason::StaleConnection`] or [`RetryReason::Unsent`].
        reason: RetryReason,
    },
    /// Wait `delay`, then make the next attempt.
    Retry {
        /// The wait: the server's hint if it gave one, else the backoff.
        delay: Duration,
        /// What failed.
        reason: RetryReason,
        /// Whether `delay` came from a server hint.
        hinted: bool,
    },
    /// Return the response, or the error, to the caller.
    Stop(StopReason),
}

/// One retry, or free re-send, of a request: from
/// [`Response::retries`](crate::Response::retries) and
/// [`Error::retries`](crate::Error::retries).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryRecord {
    /// The attempt that failed (a free re-send keeps its attempt's number).
    pub attempt: u32,
    /// Why it was sent again.
    pub reason: RetryReason,
    /// How long brisk waited first (zero for a free re-send).
    pub delay: Duration,
    /// Whether the wait came from the server (`Retry-After`,
    /// `retry-after-ms`).
    pub hinted: bool,
}

/// Why a request was sent again. Appears in attempt records and events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetryReason {
    /// The response had this status, one the policy retries (or the server
    /// said `x-should-retry: true`).
    Status(u16),
    /// Resolving the host or opening the TCP connection failed.
    Connect,
    /// The TLS handshake failed (for a reason other than the certificate,
    /// which is never retried).
    Tls,
    /// Connecting (DNS, TCP and TLS) took longer than its budget.
    ConnectTimeout,
    /// The response head did not arrive within the read budget.
    ReadHeadTimeout,
    /// A reused keep-alive connection failed before any byte of a response
    /// arrived: the server had closed it while it sat idle in the pool.
    StaleConnection,
    /// The connection failed before any byte of the request was written.
    Unsent,
}

impl fmt::Display for RetryReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetryReason::Status(status) => write!(f, "status {status}"),
            RetryReason::Connect => f.write_str("connect failed"),
            RetryReason::Tls => f.write_str("tls handshake failed"),
            RetryReason::ConnectTimeout => f.write_str("connect timed out"),
            RetryReason::ReadHeadTimeout => f.write_str("response head timed out"),
            RetryReason::StaleConnection => f.write_str("reused connection was closed"),
            RetryReason::Unsent => f.write_str("request could not be sent"),
        }
    }
}

/// Why the call stopped retrying.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StopReason {
    /// The status or failure is not one that is retried (including
    /// `x-should-retry: false`, and any failure once a response started).
    NotRetryable,
    /// The policy's attempts are used up.
    AttemptsExhausted,
    /// The server may have acted on the request, and it is not safe to
    /// repeat: a non-idempotent method without an `Idempotency-Key` that
    /// the caller did not mark retryable.
    NotSafeToRepeat,
    /// The body was a one-shot stream and cannot be sent again.
    BodyNotReplayable,
    /// The server asked for a longer wait than `max_retry_after`.
    HintTooLong(Duration),
    /// The host's retry budget is spent.
    BudgetExhausted,
    /// The attempt opened the host's circuit: any retry would be refused.
    CircuitOpen,
    /// The policy's body veto ([`RetryPolicy::never_retry_if`](crate::RetryPolicy::never_retry_if))
    /// read the response body and said it is final.
    Vetoed,
    /// Waiting `delay` would reach the request's total deadline.
    Deadline {
        /// The wait the retry would have needed.
        delay: Duration,
    },
}

impl StopReason {
    /// A fixed lowercase phrase, for error messages.
    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            StopReason::NotRetryable => "not retryable",
            StopReason::AttemptsExhausted => "retry attempts exhausted",
            StopReason::NotSafeToRepeat => "request is not safe to repeat",
            StopReason::BodyNotReplayable => "request body cannot be replayed",
            StopReason::HintTooLong(_) => "server asked to wait longer than allowed",
            StopReason::BudgetExhausted => "retry budget exhausted",
            StopReason::Deadline { .. } => "retry would pass the deadline",
            StopReason::CircuitOpen => "the host's circuit opened",
            StopReason::Vetoed => "the response body says not to retry",
        }
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
