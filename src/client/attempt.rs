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
//!    fresh connection, retry after a delay, or stop. A response whose
//!    status would be retried first has its body read ahead for the
//!    policy's veto, if it has one ([`RetryPolicy::never_retry_if`]).

use super::exchange::{Failed, Hop};
use super::redirect::{REDIRECT_BODY_MAX, REDIRECT_DRAIN_WAIT};
use super::request::Request;
use super::{Client, Response, Timings};
use crate::breaker::{Admit, CircuitTransition, Outcome};
use crate::deadline::Deadline;
use crate::error::{Error, Kind, Phase, TlsFailure};
use crate::events::{emit, Event};
use crate::guard::{lock, HostGuard, ProbeTurn};
use crate::h1::ParseError;
use crate::retry::{
    AttemptContext, AttemptEnd, Decision, Fault, Progress, RetryPolicy, RetryRecord, StopReason,
    IDEMPOTENCY_KEY, VETO_BODY_MAX, VETO_BODY_WAIT,
};
use crate::url::Url;
use crate::StatusCode;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

/// What a hop ended with: a response head (the usual case), or a response
/// whose body was already read ahead for the retry policy's veto.
pub(super) enum Answer {
    Head(Hop),
    Read(Box<Response>),
}

/// What a request has been through so far.
#[derive(Default)]
pub(super) struct Tries {
    /// Attempts made on the current hop (free re-sends not counted).
    pub(super) attempts: u32,
    /// Every retry and re-send, over all hops.
    pub(super) records: Vec<RetryRecord>,
}

impl Client {
    pub(super) async fn run(self, req: Result<Request, Error>) -> Result<Response, Error> {
        let mut req = req?;
        self.refuse_plain(&req.url)?;
        let deadline = Deadline::start(req.budgets(self.shared.timeouts));
        let own_policy = req.retry.take();
        let mut tries = Tries::default();
        let mut followed = 0;
        // DNS, connect and TLS of earlier hops, added to the final one's.
        let mut earlier = Timings::default();
        loop {
            let answer = self
                .send_with_retries(
                    &mut req,
                    own_policy.as_deref(),
                    &deadline,
                    &mut tries,
                    followed == 0,
                )
                .await
                .map_err(|e| e.with_url(&req.url))?;
            let hop = match answer {
                Answer::Head(hop) => hop,
                // Only a status of 400 or more is read ahead: never a
                // redirect, so this is the final hop.
                Answer::Read(mut resp) => {
                    resp.add_earlier_hops(earlier);
                    resp.set_tries(tries);
                    return Ok(*resp);
                }
            };
            let next = self
                .follow(&hop.head, &mut req, followed)
                .map_err(|e| e.with_attempts(tries.attempts, tries.records.clone(), None))?;
            match next {
                None => {
                    let mut resp = Response::new(self, req.method.as_str(), hop, req.url, deadline);
                    resp.add_earlier_hops(earlier);
                    resp.set_tries(tries);
                    return Ok(resp);
                }
                Some(next) => {
                    self.refuse_plain(&next).map_err(|e| {
                        e.with_attempts(tries.attempts, tries.records.clone(), None)
                    })?;
                    followed += 1;
                    earlier.dns += hop.timings.dns;
                    earlier.connect += hop.timings.connect;
                    earlier.tls += hop.timings.tls;
                    // A small framed 3xx body (usually a tiny page) is read
                    // and discarded so that its connection can serve the
                    // next hop; anything else closes it.
                    let previous = std::mem::replace(&mut req.url, next);
                    // Boxed: redirects are rare, and this wait would
                    // otherwise make every request's future larger.
                    Box::pin(self.drain_redirect(req.method.as_str(), hop, previous, deadline))
                        .await;
                }
            }
        }
    }

    /// Reads and drops a redirect's body, when that is cheap, so that its
    /// connection can serve the next hop.
    async fn drain_redirect(&self, method: &str, hop: Hop, url: Url, deadline: Deadline) {
        let mut resp = Response::new(self.clone(), method, hop, url, deadline);
        resp.drain_redirect_body(REDIRECT_BODY_MAX, REDIRECT_DRAIN_WAIT)
            .await;
    }

    /// Under [`https_only`](super::ClientBuilder::https_only), an
    /// `http://` URL is refused before anything is sent.
    fn refuse_plain(&self, url: &Url) -> Result<(), Error> {
        if self.shared.https_only && url.scheme() != crate::Scheme::Https {
            return Err(Error::builder("https_only: an http:// URL is refused").with_url(url));
        }
        Ok(())
    }

    /// One hop: attempts until a response the policy keeps, or an error
    /// it does not retry. Attempts are counted per hop: a redirect is a
    /// new request, with its own attempts (the records of retries are kept
    /// across hops).
    async fn send_with_retries(
        &self,
        req: &mut Request,
        own_policy: Option<&RetryPolicy>,
        deadline: &Deadline,
        tries: &mut Tries,
        first_hop: bool,
    ) -> Result<Answer, Error> {
        let shared = &self.shared;
        let policy = own_policy.unwrap_or(&shared.retry);
        // One clock reading serves the host lookup, the budget and the
        // first attempt's checkout: the request's start, on its first hop.
        let mut now = match first_hop {
            true => deadline.started(),
            false => tokio::time::Instant::now(),
        };
        // The proxy is chosen per hop: a redirect may lead to a host that
        // NO_PROXY exempts, or to another scheme.
        let proxy = shared
            .proxies
            .route(&req.url)
            .map_err(|e| e.with_attempts(tries.attempts, tries.records.clone(), None))?;
        let host = match proxy {
            None => shared.pool.host(req.url.origin(), now),
            Some(p) => shared.pool.host(&p.pool_key(&req.url), now),
        };
        let guard = host.guard();
        tries.attempts = 0;
        let mut attempt = 1;
        let mut resent = false;
        loop {
            let probe = match self.admit(guard, req.url.origin()) {
                Ok(probe) => probe,
                Err(e) => {
                    emit(&shared.hook, || Event::Error {
                        url: &req.url,
                        attempt,
                        error: &e,
                        progress: Progress::NotSent,
                    });
                    return Err(e.with_attempts(tries.attempts, tries.records.clone(), None));
                }
            };
            emit(&shared.hook, || Event::RequestStart {
                method: req.method.as_str(),
                url: &req.url,
                attempt,
                headers: &mut req.headers,
            });
            // Refused here, before a connection is spent on it (the probe's
            // turn goes back as `probe` drops).
            req.validate_head()
                .map_err(|e| e.with_attempts(tries.attempts, tries.records.clone(), None))?;
            if !resent {
                tries.attempts += 1;
            }
            if attempt == 1 && !resent {
                // One deposit per request sent to this host.
                if let Some(budget) = guard.and_then(|g| g.budget.as_ref()) {
                    lock(budget).deposit(now.into_std());
                }
            }
            let result = self
                .attempt_once(req, proxy, &host, deadline, attempt, resent, now)
                .await;
            let opened = self.record_outcome(guard, req.url.origin(), probe, &result);
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
                        return result.map(Answer::Head).map_err(|f| f.error);
                    }
                    policy.response_end(
                        status,
                        |n| hop.head.headers.get(n)?.to_str().ok(),
                        SystemTime::now(),
                    )
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
            let context = |end| AttemptContext {
                attempt,
                resent,
                method: req.method.as_str(),
                idempotency_key: req.has_header(IDEMPOTENCY_KEY),
                marked_retryable: req.retryable,
                replayable: req.body.is_replayable(),
                time_left: deadline.time_left(),
                now: Instant::now(),
                end,
            };
            // A retry candidate meets the policy's veto, if it has one:
            // its body is read ahead (bounded), kept in the response, and
            // shown to the veto. Only a response the policy would really
            // retry (asked without touching the budget) is read ahead: a
            // POST that cannot be repeated, or the last attempt, goes to
            // the caller at once.
            let mut vetoed = false;
            let veto = policy.veto_for(&end).filter(|_| {
                !opened
                    && matches!(
                        policy.decide(&context(end), None),
                        Decision::Retry { .. } | Decision::ResendNow { .. }
                    )
            });
            let result = match (result, veto) {
                (Ok(hop), Some(veto)) => {
                    let mut resp = Response::new(
                        self.clone(),
                        req.method.as_str(),
                        hop,
                        req.url.clone(),
                        *deadline,
                    );
                    Box::pin(resp.read_ahead(VETO_BODY_MAX, VETO_BODY_WAIT)).await;
                    vetoed = veto(resp.status(), resp.headers(), resp.ahead());
                    Ok(Answer::Read(Box::new(resp)))
                }
                (result, _) => result.map(Answer::Head),
            };
            // This attempt opened the circuit: no retry can pass it, so
            // none is scheduled (or paid for).
            let decision = if opened {
                Decision::Stop(StopReason::CircuitOpen)
            } else if vetoed {
                Decision::Stop(StopReason::Vetoed)
            } else {
                let budget = guard.and_then(|g| g.budget.as_ref());
                policy.decide(&context(end), budget.map(lock).as_deref_mut())
            };
            let (delay, reason, hinted) = match decision {
                Decision::ResendNow { reason } => {
                    shared.counters.resends.fetch_add(1, Ordering::Relaxed);
                    (Duration::ZERO, reason, false)
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
            // Boxed: the wait is rare, and its futures would otherwise make
            // every request's future larger.
            let (method, url) = (req.method.as_str(), &req.url);
            Box::pin(self.wait_to_retry(result.ok(), method, url, deadline, delay)).await;
            now = tokio::time::Instant::now();
            if matches!(decision, Decision::ResendNow { .. }) {
                resent = true;
            } else {
                attempt += 1;
                resent = false;
            }
        }
    }

    /// Before the next try: the answer that will be retried has its body
    /// read if that is cheap and leaves time, as a redirect's is (otherwise
    /// its connection is closed); then the delay.
    async fn wait_to_retry(
        &self,
        answer: Option<Answer>,
        method: &str,
        url: &Url,
        deadline: &Deadline,
        delay: Duration,
    ) {
        if let Some(answer) = answer {
            let spare = deadline.time_left().map(|left| left.saturating_sub(delay));
            let mut resp = match answer {
                Answer::Head(hop) => {
                    Response::new(self.clone(), method, hop, url.clone(), *deadline)
                }
                Answer::Read(resp) => *resp,
            };
            if spare.is_none_or(|spare| spare > REDIRECT_DRAIN_WAIT) {
                resp.drain_redirect_body(REDIRECT_BODY_MAX, REDIRECT_DRAIN_WAIT)
                    .await;
            }
        }
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }

    /// Asks the host's breaker whether an attempt may go; the returned
    /// turn is the half-open probe's, if it is one.
    fn admit<'g>(
        &self,
        guard: Option<&'g HostGuard>,
        origin: &str,
    ) -> Result<ProbeTurn<'g>, Error> {
        let Some(breaker) = guard.and_then(|g| g.breaker.as_ref()) else {
            return Ok(ProbeTurn { breaker: None });
        };
        let (admit, transition) = lock(breaker).admit(Instant::now());
        self.circuit_changed(origin, transition);
        match admit {
            Admit::Allow => Ok(ProbeTurn { breaker: None }),
            Admit::Probe => Ok(ProbeTurn {
                breaker: Some(breaker),
            }),
            Admit::Reject { retry_at } => {
                self.shared
                    .counters
                    .circuit_rejected
                    .fetch_add(1, Ordering::Relaxed);
                Err(Error::new(Kind::CircuitOpen { retry_at }))
            }
        }
    }

    /// Tells the breaker how an attempt went, and whether that opened the
    /// circuit. Against the host count: connect failures, timeouts, 5xx,
    /// and a fresh connection dropped before any response byte (a backend
    /// that accepts and then fails every request). A stale pooled
    /// connection says nothing about the host: it is not recorded (a probe
    /// that meets one gives its turn back).
    fn record_outcome(
        &self,
        guard: Option<&HostGuard>,
        origin: &str,
        probe: ProbeTurn<'_>,
        result: &Result<Hop, Failed>,
    ) -> bool {
        let Some(breaker) = guard.and_then(|g| g.breaker.as_ref()) else {
            return false;
        };
        let outcome = match result {
            Ok(hop) if hop.head.status >= 500 => Outcome::Failure,
            Ok(_) => Outcome::Success,
            // The caller's own body stream failing says nothing about the
            // host.
            Err(f) if matches!(f.error.kind(), Kind::RequestBody) => return false,
            Err(f) if f.error.is_connect() || f.error.is_timeout() => Outcome::Failure,
            Err(f) if f.progress != Progress::ResponseStarted && f.reused => return false,
            Err(f) if fault_of(&f.error, f.progress) == Fault::Transport => Outcome::Failure,
            Err(_) => Outcome::Success,
        };
        let transition = lock(breaker).record(Instant::now(), outcome, probe.is_probe());
        probe.done();
        let opened = transition.is_some_and(|t| t.to == crate::CircuitState::Open);
        self.circuit_changed(origin, transition);
        opened
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
