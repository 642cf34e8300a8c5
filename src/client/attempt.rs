//! The attempt loop: one request from `send()` to its final response head,
//! across retries and redirects. It ties the retry policy, the host's
//! retry budget and circuit breaker, the events hook, and single attempts
//! (`exchange.rs`) together.
//!
//! Per hop (a redirect is a new hop), each attempt goes:
//! 1. the breaker admits it (or the request fails at once, circuit open);
//! 2. the hook sees `RequestStart` and may set headers; the head is
//!    validated;
//! 3. one attempt runs; the breaker records its outcome;
//! 4. a success below 400 is returned at once: the success path asks the
//!    policy nothing. Otherwise the policy decides: re-send now on a
//!    fresh connection, retry after a delay, or stop.

use super::exchange::{Failed, Hop};
use super::redirect::{REDIRECT_BODY_MAX, REDIRECT_DRAIN_WAIT};
use super::request::Request;
use super::{Client, Response, Timings};
use crate::breaker::{Admit, BreakerState, CircuitTransition, Outcome};
use crate::deadline::Deadline;
use crate::error::{Error, Kind, Phase, TlsFailure};
use crate::events::{emit, Event};
use crate::h1::ParseError;
use crate::retry::{
    AttemptContext, AttemptEnd, BudgetState, Decision, Fault, Progress, RetryPolicy, RetryRecord,
    StopReason, IDEMPOTENCY_KEY,
};
use crate::StatusCode;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime};

/// A host's retry budget and circuit breaker, shared by every request of
/// one client to that origin.
pub(crate) struct HostGuard {
    pub(crate) budget: Mutex<Option<BudgetState>>,
    pub(crate) breaker: Mutex<Option<BreakerState>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Each update is a single assignment: a poisoned lock is still sound.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What a request has been through so far, across hops.
#[derive(Default)]
pub(super) struct Tries {
    /// Attempts made (free re-sends not counted).
    pub(super) attempts: u32,
    /// Every retry and re-send.
    pub(super) records: Vec<RetryRecord>,
}

impl Client {
    pub(super) async fn execute(self, req: Result<Request, Error>) -> Result<Response, Error> {
        let mut req = req?;
        let deadline = Deadline::start(req.timeouts);
        let own_policy = req.retry.take();
        let mut tries = Tries::default();
        let mut followed = 0;
        // DNS, connect and TLS of earlier hops, added to the final one's.
        let mut earlier = Timings::default();
        loop {
            let mut hop = self
                .send_with_retries(&mut req, own_policy.as_ref(), &deadline, &mut tries)
                .await
                .map_err(|e| e.with_url(&req.url))?;
            let next = self
                .follow(&hop.head, &mut req, followed)
                .map_err(|e| e.with_attempts(tries.attempts, tries.records.clone(), None))?;
            match next {
                None => {
                    hop.timings.dns += earlier.dns;
                    hop.timings.connect += earlier.connect;
                    hop.timings.tls += earlier.tls;
                    let mut resp = Response::new(self, &req.method, hop, req.url, deadline);
                    resp.set_tries(tries);
                    return Ok(resp);
                }
                Some(next) => {
                    followed += 1;
                    earlier.dns += hop.timings.dns;
                    earlier.connect += hop.timings.connect;
                    earlier.tls += hop.timings.tls;
                    // A small framed 3xx body (usually a tiny page) is read
                    // and discarded so that its connection can serve the
                    // next hop; anything else closes it.
                    let previous = std::mem::replace(&mut req.url, next);
                    let mut resp =
                        Response::new(self.clone(), &req.method, hop, previous, deadline);
                    resp.drain_redirect_body(REDIRECT_BODY_MAX, REDIRECT_DRAIN_WAIT)
                        .await;
                }
            }
        }
    }

    /// The host's budget and breaker, created on first use.
    fn guard(&self, origin: &str) -> Arc<HostGuard> {
        let shared = &self.shared;
        let mut guards = lock(&shared.guards);
        if let Some(guard) = guards.get(origin) {
            return guard.clone();
        }
        let now = Instant::now();
        let guard = Arc::new(HostGuard {
            budget: Mutex::new(
                shared
                    .retry
                    .budget_config()
                    .map(|config| BudgetState::new(config, now)),
            ),
            breaker: Mutex::new(shared.breaker.map(|config| BreakerState::new(config, now))),
        });
        guards.insert(origin.to_string(), guard.clone());
        guard
    }

    /// One hop: attempts until a response the policy keeps, or an error
    /// it does not retry.
    async fn send_with_retries(
        &self,
        req: &mut Request,
        own_policy: Option<&RetryPolicy>,
        deadline: &Deadline,
        tries: &mut Tries,
    ) -> Result<Hop, Error> {
        let shared = &self.shared;
        let policy = own_policy.unwrap_or(&shared.retry);
        let guard = self.guard(req.url.origin());
        if let Some(budget) = lock(&guard.budget).as_mut() {
            budget.deposit(Instant::now());
        }
        let mut attempt = 1;
        let mut resent = false;
        loop {
            let probe = self.admit(&guard, req.url.origin())?;
            if !resent {
                tries.attempts += 1;
            }
            emit(&shared.hook, || Event::RequestStart {
                method: &req.method,
                url: &req.url,
                attempt,
                headers: &mut req.headers,
            });
            // Refused here, before a connection is spent on it.
            if let Err(e) = req.validate_head(&shared.default_headers) {
                self.abandon_probe(&guard, probe);
                return Err(e.with_attempts(tries.attempts, tries.records.clone(), None));
            }
            let result = self.attempt_once(req, deadline, attempt, resent).await;
            self.record_outcome(&guard, req.url.origin(), probe, &result);
            let end = match &result {
                Ok(hop) => {
                    let status = hop.head.status;
                    emit(&shared.hook, || Event::ResponseHead {
                        url: &req.url,
                        attempt,
                        status: StatusCode(status),
                        ttfb: hop.timings.ttfb,
                    });
                    if status < 400 {
                        return result.map_err(|f| f.error);
                    }
                    policy.response_end(status, |n| hop.head.headers.get(n), SystemTime::now())
                }
                Err(failed) => {
                    emit(&shared.hook, || Event::Error {
                        url: &req.url,
                        attempt,
                        error: &failed.error,
                        progress: failed.progress,
                    });
                    AttemptEnd::Failed {
                        fault: fault_of(&failed.error, failed.progress),
                        progress: failed.progress,
                        reused: failed.reused,
                    }
                }
            };
            let now = Instant::now();
            let ctx = AttemptContext {
                attempt,
                resent,
                method: &req.method,
                idempotency_key: req.has_header(IDEMPOTENCY_KEY),
                marked_retryable: req.retryable,
                replayable: req.body.is_replayable(),
                time_left: deadline.time_left(),
                now,
                end,
            };
            let decision = policy.decide(&ctx, lock(&guard.budget).as_mut());
            let (delay, reason, hinted) = match decision {
                Decision::ResendNow { reason } => {
                    shared.counters.resends.fetch_add(1, Ordering::Relaxed);
                    resent = true;
                    (std::time::Duration::ZERO, reason, false)
                }
                Decision::Retry {
                    delay,
                    reason,
                    hinted,
                } => {
                    shared.counters.retries.fetch_add(1, Ordering::Relaxed);
                    (delay, reason, hinted)
                }
                Decision::Stop(stop) => {
                    if stop == StopReason::BudgetExhausted {
                        shared
                            .counters
                            .budget_refused
                            .fetch_add(1, Ordering::Relaxed);
                    }
                    return match result {
                        Ok(hop) => Ok(hop),
                        Err(failed) => {
                            // "Not retryable" is the common case and says
                            // nothing; the other reasons explain the error.
                            let stop = (stop != StopReason::NotRetryable).then(|| stop.as_str());
                            Err(failed.error.with_attempts(
                                tries.attempts,
                                tries.records.clone(),
                                stop,
                            ))
                        }
                    };
                }
            };
            tries.records.push(RetryRecord {
                attempt,
                reason,
                delay,
                hinted,
            });
            emit(&shared.hook, || Event::RetryScheduled {
                url: &req.url,
                attempt,
                delay,
                reason,
                hinted,
            });
            if let Ok(hop) = result {
                // The answer that will be retried: its body is read only
                // if that is cheap, as a redirect's is.
                let url = req.url.clone();
                let mut resp = Response::new(self.clone(), &req.method, hop, url, *deadline);
                resp.drain_redirect_body(REDIRECT_BODY_MAX, REDIRECT_DRAIN_WAIT)
                    .await;
            }
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            if !resent || matches!(decision, Decision::Retry { .. }) {
                attempt += 1;
                resent = false;
            }
        }
    }

    /// Asks the host's breaker whether an attempt may go. `Ok(true)` for
    /// the half-open probe.
    fn admit(&self, guard: &HostGuard, origin: &str) -> Result<bool, Error> {
        let mut breaker = lock(&guard.breaker);
        let Some(state) = breaker.as_mut() else {
            return Ok(false);
        };
        let (admit, transition) = state.admit(Instant::now());
        drop(breaker);
        self.circuit_changed(origin, transition);
        match admit {
            Admit::Allow => Ok(false),
            Admit::Probe => Ok(true),
            Admit::Reject { retry_at } => {
                self.shared
                    .counters
                    .circuit_rejected
                    .fetch_add(1, Ordering::Relaxed);
                Err(Error::new(Kind::CircuitOpen { retry_at }))
            }
        }
    }

    /// Tells the breaker how an attempt went: connect failures, timeouts
    /// and 5xx count against the host; anything else shows it is up.
    fn record_outcome(
        &self,
        guard: &HostGuard,
        origin: &str,
        probe: bool,
        result: &Result<Hop, Failed>,
    ) {
        let mut breaker = lock(&guard.breaker);
        let Some(state) = breaker.as_mut() else {
            return;
        };
        let failed = match result {
            Ok(hop) => hop.head.status >= 500,
            Err(f) => f.error.is_connect() || f.error.is_timeout(),
        };
        let outcome = if failed {
            Outcome::Failure
        } else {
            Outcome::Success
        };
        let transition = state.record(Instant::now(), outcome, probe);
        drop(breaker);
        self.circuit_changed(origin, transition);
    }

    fn abandon_probe(&self, guard: &HostGuard, probe: bool) {
        if probe {
            if let Some(state) = lock(&guard.breaker).as_mut() {
                state.probe_abandoned();
            }
        }
    }

    fn circuit_changed(&self, origin: &str, transition: Option<CircuitTransition>) {
        if let Some(transition) = transition {
            if transition.to == crate::CircuitState::Open {
                self.shared
                    .counters
                    .circuit_opened
                    .fetch_add(1, Ordering::Relaxed);
            }
            emit(&self.shared.hook, || Event::Circuit { origin, transition });
        }
    }
}

/// What kind of failure an error is, for the retry policy.
fn fault_of(error: &Error, progress: Progress) -> Fault {
    match error.kind() {
        Kind::Connect => Fault::Connect,
        Kind::Tls(TlsFailure::Handshake) => Fault::Tls,
        Kind::Tls(_) => Fault::Certificate,
        // The total deadline leaves no time for another try.
        Kind::Timeout { total: true } => Fault::Other,
        Kind::Timeout { total: false } => match error.phase() {
            Some(Phase::Dns | Phase::Connect | Phase::Tls) => Fault::ConnectTimeout,
            Some(Phase::ReadHead) => Fault::ReadHeadTimeout,
            _ => Fault::Other,
        },
        Kind::Io if progress != Progress::ResponseStarted => Fault::Transport,
        // The connection closed before any byte of a response.
        Kind::Protocol
            if progress != Progress::ResponseStarted
                && matches!(
                    error.parse_error(),
                    Some(ParseError::EmptyResponse | ParseError::IncompleteMessage)
                ) =>
        {
            Fault::Transport
        }
        _ => Fault::Other,
    }
}
