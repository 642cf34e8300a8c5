//! When to send a request again, and how long to wait first.
//!
//! This module decides; it never sleeps, sends or reads a clock. The
//! call (`client/call.rs`) describes how an attempt ended in an
//! [`AttemptContext`] and asks [`RetryPolicy::decide`], which answers with a
//! [`Decision`]: re-send at once, retry after a delay, or stop and say why.
//!
//! The rules, in the order `decide` applies them:
//!
//! 1. **Classify by how far the request got** ([`Progress`]). Once a
//!    response has started, the server has acted: a status code may be
//!    retried, a broken response never is.
//! 2. **A free re-send** ([`Decision::ResendNow`]): a request that failed
//!    before any of it was written, or on a *reused* connection before any
//!    response byte (the server closed the idle connection just as we
//!    reused it: the "connection closed before message completed" of
//!    reqwest users), is sent again at once on a fresh connection. It
//!    counts against no attempt, waits for no backoff and draws nothing
//!    from the budget, because it is a symptom of connection reuse, not of
//!    the server failing. At most one per attempt, so a server that keeps
//!    doing this cannot make the client loop: the second such failure goes
//!    through the policy like any other.
//! 3. **The policy**: the failure must be retryable (a status in the list,
//!    unless `x-should-retry` says otherwise; a connect or TLS failure; a
//!    connect or read-head timeout), attempts must remain, the request
//!    must be safe to repeat and its body replayable, the server's hint
//!    must not be too long, and the delay must end before the deadline.
//!    `decide` changes nothing; a retry it grants then meets the body
//!    veto, if the policy has one, and last the host's budget
//!    ([`RetryPolicy::spend`]), so a vetoed retry costs no budget.
//!
//! Safe to repeat (RFC 9110 §9.2.2, RFC 9112 §9.3.1.1): a client must not
//! retry a non-idempotent request automatically "unless it has some means
//! to know that the request semantics are actually idempotent, regardless
//! of the method, or some means to detect that the original request was
//! never applied". brisk takes as such means an `Idempotency-Key` header
//! (as Go's net/http does), the caller marking the request retryable, and
//! knowing that not one byte of the request was written.

mod budget;
mod decision;
mod hint;

pub(crate) use budget::BudgetState;
pub use budget::{BudgetSnapshot, RetryBudget};
pub(crate) use decision::{AttemptContext, AttemptEnd, Decision, Fault, StopReason};
pub use decision::{Progress, RetryReason, RetryRecord};
#[cfg(feature = "json")]
pub(crate) use hint::parse_go_duration;
pub(crate) use hint::{server_hint, should_retry_header, Hint};

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime};

/// The request header whose presence makes any method safe to repeat: the
/// server promises to apply a request with a given key at most once.
pub(crate) const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// A source of uniformly random `u64`s, for jitter.
type Rng = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The caller's body-aware veto (see [`RetryPolicy::never_retry_if`]).
type Veto = Arc<VetoFn>;
pub(crate) type VetoFn =
    dyn Fn(crate::status::StatusCode, &crate::h1::Headers, &[u8]) -> bool + Send + Sync;

/// At most this much of a retry candidate's body is read for a
/// [`RetryPolicy::never_retry_if`] veto: error bodies are small (an API's
/// JSON error is a few hundred bytes), and a bound keeps a hostile or
/// mistaken server from making the client buffer a large body that it
/// would then discard.
pub(crate) const VETO_BODY_MAX: usize = 64 * 1024;

/// The longest wait for a retry candidate's body to arrive for the veto:
/// error bodies come with their head, and a server that stalls one must
/// not hold up the retry for the whole read budget.
pub(crate) const VETO_BODY_WAIT: Duration = Duration::from_secs(1);

/// When and how often a failed request is tried again.
///
/// Defaults: 3 attempts in all; backoff from 500 ms, doubling up to 8 s,
/// with full jitter; retried statuses 408, 429, 500, 502, 503, 504; server
/// hints (`Retry-After`, `retry-after-ms`) honoured up to 60 s; a per-host
/// [`RetryBudget`] with its defaults.
///
/// Whatever the policy, a request is retried only if it is safe to repeat
/// (an idempotent method, an `Idempotency-Key` header, or marked retryable
/// by the caller) and its body can be sent again.
///
/// ```
/// use brisk::RetryPolicy;
/// use std::time::Duration;
///
/// let policy = RetryPolicy::default()
///     .attempts(5)
///     .backoff(Duration::from_millis(200), Duration::from_secs(5))
///     .retry_statuses(&[429, 503])
///     .max_retry_after(Duration::from_secs(30));
/// let never = RetryPolicy::none();
/// ```
#[derive(Clone)]
pub struct RetryPolicy {
    attempts: u32,
    base: Duration,
    cap: Duration,
    statuses: StatusSet,
    max_retry_after: Duration,
    budget: Option<RetryBudget>,
    /// `None`: the process-wide default generator.
    rng: Option<Rng>,
    /// `None`: statuses alone decide (and no body is read).
    veto: Option<Veto>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(8),
            statuses: StatusSet::from_codes(&[408, 429, 500, 502, 503, 504]),
            max_retry_after: Duration::from_secs(60),
            budget: Some(RetryBudget::default()),
            rng: None,
            veto: None,
        }
    }
}

impl fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("attempts", &self.attempts)
            .field("base", &self.base)
            .field("cap", &self.cap)
            .field("statuses", &self.statuses)
            .field("max_retry_after", &self.max_retry_after)
            .field("budget", &self.budget)
            .field(
                "rng",
                &if self.rng.is_some() {
                    "injected"
                } else {
                    "default"
                },
            )
            .field("veto", &self.veto.is_some())
            .finish()
    }
}

impl RetryPolicy {
    /// One attempt: no retries. The free re-send of a request that a
    /// stale keep-alive connection lost before it was answered still
    /// happens: that is not a retry of a failure of the server.
    pub fn none() -> Self {
        RetryPolicy::default().attempts(1)
    }

    /// Attempts in all, the first one included (so 3 means up to 2
    /// retries). 0 is taken as 1. Default: 3.
    pub fn attempts(mut self, n: u32) -> Self {
        self.attempts = n.max(1);
        self
    }

    /// Exponential backoff: before retry `k` (1 for the first retry) the
    /// client waits a uniformly random time between zero and
    /// `min(cap, base × 2^(k−1))` ("full jitter": spreading retries over the
    /// whole interval is what keeps many clients that failed together from
    /// retrying together). Defaults: 500 ms and 8 s.
    pub fn backoff(mut self, base: Duration, cap: Duration) -> Self {
        self.base = base;
        self.cap = cap;
        self
    }

    /// The response statuses that are retried, replacing the list.
    /// Codes outside 100–999 are ignored. Default: 408, 429, 500, 502, 503,
    /// 504.
    pub fn retry_statuses(mut self, statuses: &[u16]) -> Self {
        self.statuses = StatusSet::from_codes(statuses);
        self
    }

    /// The longest server hint (`Retry-After`, `retry-after-ms`) the client
    /// waits out. A longer one means "not now": the response is returned
    /// as it is, and the caller can read the hint. Default: 60 s.
    pub fn max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// Bounds retries per host with `budget`. On by default, with
    /// [`RetryBudget::default`].
    ///
    /// A host's budget is shared by every request of a client, so its
    /// settings come from the client's policy
    /// ([`ClientBuilder::retry`](crate::ClientBuilder::retry)); a
    /// per-request policy ([`RequestBuilder::retry`](crate::RequestBuilder::retry))
    /// can only opt out of it, with [`RetryPolicy::no_budget`].
    pub fn budget(mut self, budget: RetryBudget) -> Self {
        self.budget = Some(budget);
        self
    }

    /// Retries are bounded only by the attempts of each request.
    pub fn no_budget(mut self) -> Self {
        self.budget = None;
        self
    }

    /// Draws jitter from `rng` instead of the built-in generator, for tests
    /// that need exact delays. `rng` must return uniformly distributed
    /// `u64`s; the delay is `⌊ceiling × (r + 1) / 2⁶⁴⌋` nanoseconds for a
    /// draw `r`, so `0` gives (almost) no wait and `u64::MAX` the whole
    /// ceiling.
    pub fn with_rng(mut self, rng: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        self.rng = Some(Arc::new(rng));
        self
    }

    /// Lets the caller refuse, from the response body, a retry that the
    /// status alone would make: for APIs that use one status for two
    /// meanings. Zhipu answers both "too many requests, try again" and
    /// "your account is in arrears" (code `1113`) with HTTP 429, and
    /// OpenAI sends `insufficient_quota` with 429 too; retrying an empty
    /// account only spends the retry budget and delays the error.
    ///
    /// How it works, for a response whose status this policy would retry
    /// (a status in the list, or `x-should-retry: true`):
    /// 1. up to 64 KiB of its body is read, for at most 1 s and within
    ///    the request's deadline (the whole body, for any error body of
    ///    usual size);
    /// 2. `veto(status, headers, body)` is called with those bytes;
    /// 3. `true` means "final": the response is returned to the caller
    ///    as it is, its body intact ([`Response::bytes`](crate::Response::bytes),
    ///    `text` and `json` give the bytes already read, then the rest);
    ///    `false` lets the policy decide as usual (the attempts, the
    ///    hints, the budget).
    ///
    /// Nothing changes on the success path, or for a status that would
    /// not be retried: no body is read before the caller asks for it. A
    /// veto can only refuse a retry, never add one. The chat layer
    /// (`brisk::chat`) installs one that knows the providers' quota
    /// errors.
    ///
    /// ```
    /// use brisk::RetryPolicy;
    ///
    /// // A 429 whose body says the quota is spent is final.
    /// let policy = RetryPolicy::default().never_retry_if(|status, _headers, body| {
    ///     status.as_u16() == 429
    ///         && body.windows(18).any(|w| w == b"insufficient_quota")
    /// });
    /// ```
    pub fn never_retry_if(
        mut self,
        veto: impl Fn(crate::status::StatusCode, &crate::h1::Headers, &[u8]) -> bool
            + Send
            + Sync
            + 'static,
    ) -> Self {
        self.veto = Some(Arc::new(veto));
        self
    }

    /// The veto to consult for an attempt that ended as `end`: only a
    /// response whose status the policy would retry, and only if a veto
    /// is set.
    pub(crate) fn veto_for(&self, end: &AttemptEnd) -> Option<&VetoFn> {
        let veto = self.veto.as_deref()?;
        match *end {
            AttemptEnd::Response {
                status,
                should_retry,
                ..
            } if should_retry.unwrap_or_else(|| self.is_retryable_status(status)) => Some(veto),
            _ => None,
        }
    }

    pub(crate) fn budget_config(&self) -> Option<RetryBudget> {
        self.budget
    }

    /// The wait before retry `retry` (1 for the first retry).
    ///
    /// The ceiling `min(cap, base × 2^(retry−1))` is computed in u128
    /// nanoseconds, saturating, so a large retry number simply gives the
    /// cap. The draw `r` maps to `⌊ceiling × (r + 1) / 2⁶⁴⌋`: exact integer
    /// arithmetic, uniform over `[0, ceiling]`, with `r = u64::MAX` giving
    /// exactly the ceiling. Ceilings above 2⁶⁴ ns (584 years) are cut to it.
    pub(crate) fn backoff_delay(&self, retry: u32) -> Duration {
        let base = self.base.as_nanos();
        let shift = retry.saturating_sub(1);
        // `base << shift` fits while the shift leaves base's top bit inside
        // 128 bits; past that, the doubling is certainly above any cap.
        let doubled = if base == 0 {
            0
        } else if shift < base.leading_zeros() {
            base << shift
        } else {
            u128::MAX
        };
        let ceiling = doubled.min(self.cap.as_nanos()).min(u128::from(u64::MAX));
        let r = match &self.rng {
            Some(rng) => rng(),
            None => default_random(),
        };
        let nanos = (ceiling * (u128::from(r) + 1)) >> 64;
        Duration::from_nanos(nanos as u64)
    }

    pub(crate) fn is_retryable_status(&self, status: u16) -> bool {
        self.statuses.contains(status)
    }

    /// How an attempt that got a response head ended: its status, and the
    /// server's hints read from its fields with this policy's
    /// `max_retry_after`. `header` looks a field up by name, as
    /// [`HeaderMap::get`](crate::header::HeaderMap::get) does; `now` is the wall clock
    /// (for an HTTP-date in `Retry-After`).
    pub(crate) fn response_end<'h>(
        &self,
        status: u16,
        header: impl Fn(&str) -> Option<&'h str>,
        now: SystemTime,
    ) -> AttemptEnd {
        AttemptEnd::Response {
            status,
            hint: server_hint(status, &header, now, self.max_retry_after),
            should_retry: should_retry_header(&header),
        }
    }

    /// What to do after an attempt ended as `ctx` says. Changes no state:
    /// a [`Decision::Retry`] still has to pass the body veto, if the
    /// policy has one, and then the host's budget ([`RetryPolicy::spend`]),
    /// in that order, so that a vetoed retry costs the budget nothing.
    pub(crate) fn decide(&self, ctx: &AttemptContext<'_>) -> Decision {
        let (reason, route, hint) = match classify(self, &ctx.end) {
            Ok(c) => c,
            Err(stop) => return Decision::Stop(stop),
        };
        // Nothing written means nothing applied, whatever the method.
        let safe = route.nothing_sent || ctx.request_is_repeatable();

        if route.free && !ctx.resent {
            if !safe {
                return Decision::Stop(StopReason::NotSafeToRepeat);
            }
            if !ctx.replayable {
                return Decision::Stop(StopReason::BodyNotReplayable);
            }
            if ctx.time_left.is_some_and(|left| left.is_zero()) {
                return Decision::Stop(StopReason::Deadline {
                    delay: Duration::ZERO,
                });
            }
            return Decision::ResendNow { reason };
        }

        if ctx.attempt >= self.attempts {
            return Decision::Stop(StopReason::AttemptsExhausted);
        }
        if !safe {
            return Decision::Stop(StopReason::NotSafeToRepeat);
        }
        if !ctx.replayable {
            return Decision::Stop(StopReason::BodyNotReplayable);
        }
        let (delay, hinted) = match hint {
            Hint::TooLong(wait) => return Decision::Stop(StopReason::HintTooLong(wait)),
            Hint::After(wait) => (wait, true),
            Hint::None => (self.backoff_delay(ctx.attempt), false),
        };
        // A retry that would only start at (or after) the deadline cannot
        // finish before it: stop now, and let the error say the deadline
        // ended it, not the policy.
        if ctx.time_left.is_some_and(|left| delay >= left) {
            return Decision::Stop(StopReason::Deadline { delay });
        }
        Decision::Retry {
            delay,
            reason,
            hinted,
        }
    }

    /// Pays for a retry [`RetryPolicy::decide`] granted: one withdrawal
    /// from the host's `budget`, if this policy uses one. False when the
    /// budget is spent (the retry must not happen). The one step of the
    /// retry decision with a side effect, so it comes last.
    pub(crate) fn spend(&self, budget: Option<&mut BudgetState>, now: Instant) -> bool {
        match (self.budget, budget) {
            (Some(_), Some(budget)) => budget.try_withdraw(now),
            _ => true,
        }
    }
}

/// How a failure may be sent again, once we know it is a candidate.
#[derive(Clone, Copy)]
struct Route {
    /// The free re-send applies (rule 2 of the module docs).
    free: bool,
    /// Not one byte of the request reached the socket.
    nothing_sent: bool,
}

/// Step 1 of `decide`: is this ending a candidate for sending again at
/// all, and why? Status candidates carry the server's hint.
fn classify(
    policy: &RetryPolicy,
    end: &AttemptEnd,
) -> Result<(RetryReason, Route, Hint), StopReason> {
    let policy_route = |nothing_sent| Route {
        free: false,
        nothing_sent,
    };
    match *end {
        AttemptEnd::Response {
            status,
            hint,
            should_retry,
        } => {
            // The server's explicit word beats the client's status list.
            if should_retry.unwrap_or_else(|| policy.is_retryable_status(status)) {
                Ok((RetryReason::Status(status), policy_route(false), hint))
            } else {
                Err(StopReason::NotRetryable)
            }
        }
        AttemptEnd::Failed {
            fault,
            progress,
            reused,
        } => {
            let nothing_sent = progress == Progress::NotSent;
            let reason = match (fault, progress) {
                // Bytes of a response were read: whatever broke, the
                // server acted, and half a response is not retried.
                (_, Progress::ResponseStarted) => return Err(StopReason::NotRetryable),
                (Fault::Connect, _) => RetryReason::Connect,
                (Fault::Tls, _) => RetryReason::Tls,
                (Fault::ConnectTimeout, _) => RetryReason::ConnectTimeout,
                (Fault::ReadHeadTimeout, _) => RetryReason::ReadHeadTimeout,
                (Fault::Transport, Progress::NotSent) => {
                    let route = Route {
                        free: true,
                        nothing_sent,
                    };
                    return Ok((RetryReason::Unsent, route, Hint::None));
                }
                (Fault::Transport, Progress::SentNoResponse) if reused => {
                    let route = Route {
                        free: true,
                        nothing_sent,
                    };
                    return Ok((RetryReason::StaleConnection, route, Hint::None));
                }
                // A fresh connection that took the request and then broke
                // may have a server that crashed handling it: not retried.
                (Fault::Transport | Fault::Certificate | Fault::Other, _) => {
                    return Err(StopReason::NotRetryable)
                }
            };
            Ok((reason, policy_route(nothing_sent), Hint::None))
        }
    }
}

/// A set of status codes 0–1023, one bit each: no allocation when a policy
/// is cloned per request, one shift and mask per lookup.
#[derive(Clone, Copy, PartialEq, Eq)]
struct StatusSet([u64; 16]);

impl StatusSet {
    fn from_codes(codes: &[u16]) -> Self {
        let mut bits = [0u64; 16];
        for &code in codes.iter().filter(|c| (100..=999).contains(*c)) {
            bits[usize::from(code / 64)] |= 1 << (code % 64);
        }
        StatusSet(bits)
    }

    fn contains(&self, code: u16) -> bool {
        self.0
            .get(usize::from(code / 64))
            .is_some_and(|word| word & (1 << (code % 64)) != 0)
    }
}

impl fmt::Debug for StatusSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries((100..=999u16).filter(|c| self.contains(*c)))
            .finish()
    }
}

/// The built-in jitter source: SplitMix64 (Steele, Lea and Flood, "Fast
/// Splittable Pseudorandom Number Generators", OOPSLA 2014). The n-th draw
/// mixes `seed + n × γ`, so the state is one atomic counter: lock-free
/// and shared by every thread. Jitter needs spread, not secrecy, so a
/// non-cryptographic generator is right; what matters is that two
/// processes started together do not draw the same sequence, hence a seed
/// from std's per-process random hash keys, the time and the process id.
pub(crate) fn default_random() -> u64 {
    const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;
    static SEED: OnceLock<u64> = OnceLock::new();
    static DRAWS: AtomicU64 = AtomicU64::new(0);
    let seed = *SEED.get_or_init(|| {
        let mut h = RandomState::new().build_hasher();
        if let Ok(t) = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH) {
            h.write_u128(t.as_nanos());
        }
        h.write_u32(std::process::id());
        h.finish()
    });
    let n = DRAWS.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
    let mut z = seed.wrapping_add(n.wrapping_mul(GAMMA));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests;
