//! One request's life, from `send()` to the response it returns: a
//! [`Call`] owns the request, its deadline, its retry policy, what it has
//! been through, and where its current hop goes. Its loop is a state
//! machine, with every transition in [`Call::run`] and one small method
//! per state (ureq-proto's `Call` is the model):
//!
//! ```text
//!            ┌──────────────── Wait ◄──────────┐
//!            ▼                                 │ retry or re-send
//!  start ─► Admit ─► Attempt ─► (head < 400) ─►│─► Finish ─► Done
//!            ▲          │                      │      │
//!            │          └─► Decide ────────────┘      │ redirect
//!            └───────────────── Follow ◄──────────────┘
//! ```
//!
//! - **Admit**: the host's circuit breaker lets the attempt go (or the
//!   call fails at once, circuit open); the hook sees `RequestStart` and
//!   may set headers; the head is validated; the budget gets its deposit.
//! - **Attempt**: one exchange (`exchange.rs`); the breaker records how it
//!   went. A head below 400 goes straight to Finish: the success path asks
//!   the policy nothing.
//! - **Decide**: the policy is asked once. A retry it grants then meets
//!   the body veto (the body read ahead, bounded) and the host's budget,
//!   in that order; what survives is a Wait, anything else is the answer.
//! - **Wait**: the answer that will not be used is drained if cheap, then
//!   the delay; then Admit again, as the next attempt or a free re-send.
//! - **Finish**: a redirect to follow goes to Follow; anything else is
//!   the response.
//! - **Follow**: the redirect's body is drained if cheap; the next hop
//!   gets its own route and attempt count; then Admit.

use super::exchange::Exchange;
use super::hop::{Failed, Hop, Route, Tries, Turn};
use super::redirect::{REDIRECT_BODY_MAX, REDIRECT_DRAIN_WAIT};
use super::request::Request;
use super::{Client, Response, Timings};
use crate::breaker::{Admit, CircuitTransition, Outcome};
use crate::deadline::Deadline;
use crate::error::{Error, Kind, Phase, TlsFailure};
use crate::events::{emit, Event};
use crate::guard::lock;
use crate::h1::ParseError;
use crate::pool::HostEntry;
use crate::retry::{
    AttemptContext, AttemptEnd, Decision, Fault, Progress, RetryPolicy, RetryRecord, StopReason,
    IDEMPOTENCY_KEY, VETO_BODY_MAX, VETO_BODY_WAIT,
};
use crate::url::Url;
use crate::StatusCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// What a hop ended with: a response head (the usual case), or a response
/// whose body was already read ahead for the retry policy's veto.
enum Answer {
    Head(Hop),
    Read(Box<Response>),
}

/// Where a call is in its life. Every transition is in [`Call::run`].
enum State {
    /// Ask the breaker, run the hook, validate, then attempt.
    Admit,
    /// One attempt, with the half-open probe's turn if it is one.
    Attempt(ProbeTurn),
    /// An attempt that did not simply succeed, and whether it opened the
    /// host's circuit.
    Decide(Result<Hop, Failed>, bool),
    /// Before the next try.
    Wait(Again),
    /// A final head: a redirect to follow, or the response.
    Finish(Hop),
    /// A redirect from this hop to `next` (boxed: redirects are rare, and
    /// a URL beside the hop would make every state, and so every request's
    /// future, larger).
    Follow(Hop, Box<Url>),
    /// The call failed; why it was not tried again, if a retry was
    /// considered.
    Fail(Error, Option<StopReason>),
}

/// What the policy made of an attempt that [`State::Decide`] looked at.
enum Verdict {
    /// Hand this to the caller.
    Keep(Answer),
    /// Give up with this error.
    Fail(Error, StopReason),
    /// Try again.
    Again(Again),
}

/// A try to come: the answer to drain first, the delay (zero for a free
/// re-send), and whether the try is a free re-send of this attempt.
struct Again {
    answer: Option<Answer>,
    delay: Duration,
    resend: bool,
}

/// One request, from `send()` to its final response head (see the module
/// docs).
pub(super) struct Call {
    client: Client,
    req: Request,
    deadline: Deadline,
    /// The request's own policy, if it has one (else the client's).
    own_policy: Option<Box<RetryPolicy>>,
    tries: Tries,
    /// Redirects followed so far.
    followed: usize,
    /// DNS, connect and TLS of earlier hops, added to the final one's.
    earlier: Timings,
    /// Where the current hop goes.
    route: Route,
    /// The current attempt's number on this hop, from 1.
    attempt: u32,
    /// Whether the current attempt is a free re-send.
    resent: bool,
    /// The clock reading the next attempt starts at.
    now: tokio::time::Instant,
}

impl Client {
    /// Sends `req` and returns its final response head. Not an `async fn`:
    /// the request future is [`Call::send`]'s own, one level, so nothing
    /// is moved from an inner future into an outer one per call.
    pub(super) fn run(
        self,
        req: Result<Request, Error>,
    ) -> impl std::future::Future<Output = Result<Response, Error>> {
        Call::send(self, req)
    }

    /// The route of a hop to `url`: the proxy is chosen per hop, since a
    /// redirect may lead to a host that `NO_PROXY` exempts, or to another
    /// scheme.
    fn route(&self, url: &Url, now: tokio::time::Instant) -> Result<Route, Error> {
        let shared = &self.shared;
        Ok(match shared.proxies.route(url)? {
            None => Route {
                host: shared.pool.host(url.origin(), now),
                proxy: None,
            },
            Some(p) => Route {
                host: shared.pool.host(&p.pool_key(url), now),
                proxy: Some(Box::new(p.clone())),
            },
        })
    }

    /// Under [`https_only`](super::ClientBuilder::https_only), an
    /// `http://` URL is refused before anything is sent.
    fn refuse_plain(&self, url: &Url) -> Result<(), Error> {
        if self.shared.https_only && url.scheme() != crate::Scheme::Https {
            return Err(Error::builder("https_only: an http:// URL is refused").with_url(url));
        }
        Ok(())
    }
}

impl Call {
    /// The call, from start to the response: every transition, in one
    /// place. The attempt's exchange is awaited here, not through a
    /// method's future: each level of `async fn` would move the large
    /// exchange future once more per request.
    async fn send(client: Client, req: Result<Request, Error>) -> Result<Response, Error> {
        let mut call = Call::start(client, req)?;
        let mut state = State::Admit;
        loop {
            state = match state {
                State::Admit => match call.admit() {
                    Ok(probe) => State::Attempt(probe),
                    Err(e) => State::Fail(e, None),
                },
                State::Attempt(probe) => {
                    let turn = call.turn();
                    let x = Exchange {
                        req: &mut call.req,
                        route: &call.route,
                        deadline: &call.deadline,
                    };
                    let result = call.client.attempt_once(x, turn).await;
                    call.report(&result);
                    let opened = call.record_outcome(probe, &result);
                    match result {
                        Ok(hop) if hop.head.status < 400 => State::Finish(hop),
                        result => State::Decide(result, opened),
                    }
                }
                State::Decide(result, opened) => match call.decide(result, opened).await {
                    Verdict::Keep(Answer::Head(hop)) => State::Finish(hop),
                    // Only a status of 400 or more is read ahead: never a
                    // redirect, so this is the final hop.
                    Verdict::Keep(Answer::Read(resp)) => return Ok(call.respond(*resp)),
                    Verdict::Fail(e, stop) => State::Fail(e, Some(stop)),
                    Verdict::Again(next) => State::Wait(next),
                },
                State::Wait(next) => {
                    let resend = next.resend;
                    // Boxed: the wait is rare, and its futures would
                    // otherwise make every request's future larger.
                    Box::pin(call.wait(next.answer, next.delay)).await;
                    call.next_try(resend);
                    State::Admit
                }
                State::Finish(hop) => match call.redirect_target(&hop) {
                    Ok(None) => return Ok(call.into_response(hop)),
                    Ok(Some(next)) => State::Follow(hop, Box::new(next)),
                    Err(e) => State::Fail(e, None),
                },
                State::Follow(hop, next) => {
                    // Boxed, as the wait is: redirects are rare.
                    match Box::pin(call.follow(hop, *next)).await {
                        Ok(()) => State::Admit,
                        Err(e) => State::Fail(e, None),
                    }
                }
                State::Fail(e, stop) => return Err(call.fail(e, stop)),
            }
        }
    }

    /// A call for `req`, started now: its deadline and its first route.
    /// Inlined into [`Call::send`], so the call is built in the future's
    /// own state rather than returned and copied (half a kilobyte).
    #[inline(always)]
    fn start(client: Client, req: Result<Request, Error>) -> Result<Call, Error> {
        let mut req = req?;
        client.refuse_plain(&req.url)?;
        let deadline = Deadline::start(req.budgets(client.shared.timeouts));
        // One clock reading serves the host lookup, the budget and the
        // first attempt's checkout: the request's start.
        let now = deadline.started();
        let route = match client.route(&req.url, now) {
            Ok(route) => route,
            Err(e) => return Err(e.with_url(&req.url)),
        };
        Ok(Call {
            own_policy: req.retry.take(),
            client,
            req,
            deadline,
            tries: Tries::default(),
            followed: 0,
            earlier: Timings::default(),
            route,
            attempt: 1,
            resent: false,
            now,
        })
    }

    /// Done: the response to the final head. The call's client and URL
    /// move into it, field by field (inlined: no copy of the whole call).
    #[inline(always)]
    fn into_response(self, hop: Hop) -> Response {
        let Call {
            client,
            req,
            deadline,
            tries,
            earlier,
            ..
        } = self;
        let method = req.method.as_str();
        let mut resp = Response::new(client, method, hop, req.url, deadline);
        finished(&mut resp, earlier, tries);
        resp
    }

    /// The policy in force: the request's own, else the client's.
    fn policy(&self) -> &RetryPolicy {
        self.own_policy
            .as_deref()
            .unwrap_or(&self.client.shared.retry)
    }

    /// Admit: the breaker's word, the hook's `RequestStart`, the head's
    /// validation, and the budget's deposit (once per request and host).
    fn admit(&mut self) -> Result<ProbeTurn, Error> {
        let probe = match self.ask_breaker() {
            Ok(probe) => probe,
            Err(e) => {
                let (url, attempt) = (&self.req.url, self.attempt);
                emit(&self.client.shared.hook, || Event::Error {
                    url,
                    attempt,
                    error: &e,
                    progress: Progress::NotSent,
                });
                return Err(e);
            }
        };
        let req = &mut self.req;
        emit(&self.client.shared.hook, || Event::RequestStart {
            method: req.method.as_str(),
            url: &req.url,
            attempt: self.attempt,
            headers: &mut req.headers,
        });
        // Refused here, before a connection is spent on it (the probe's
        // turn goes back as `probe` drops).
        req.validate_head()?;
        if !self.resent {
            self.tries.attempts += 1;
            if self.attempt == 1 {
                if let Some(budget) = self.route.host.guard().and_then(|g| g.budget.as_ref()) {
                    lock(budget).deposit(self.now.into_std());
                }
            }
        }
        Ok(probe)
    }

    /// Attempt: which try this is. (What the exchange works on is
    /// borrowed field by field in [`Call::send`], apart from the client
    /// that runs it.)
    fn turn(&self) -> Turn {
        Turn {
            number: self.attempt,
            fresh: self.resent,
            now: self.now,
        }
    }

    /// Attempt, done: the hook hears how it ended.
    fn report(&self, result: &Result<Hop, Failed>) {
        let hook = &self.client.shared.hook;
        let (url, attempt) = (&self.req.url, self.attempt);
        match result {
            Ok(hop) => emit(hook, || Event::ResponseHead {
                url,
                attempt,
                status: StatusCode(hop.head.status),
                ttfb: hop.timings.ttfb,
            }),
            Err(failed) => emit(hook, || Event::Error {
                url,
                attempt,
                error: &failed.error,
                progress: failed.progress,
            }),
        }
    }

    /// Decide: asks the policy once; a retry it grants then meets the
    /// veto (which reads the body ahead) and the budget.
    async fn decide(&mut self, result: Result<Hop, Failed>, opened: bool) -> Verdict {
        let policy = self.policy();
        let end = match &result {
            Ok(hop) => policy.response_end(
                hop.head.status,
                |n| hop.head.headers.get(n)?.to_str().ok(),
                SystemTime::now(),
            ),
            Err(failed) => AttemptEnd::Failed {
                fault: fault_of(&failed.error, failed.progress),
                progress: failed.progress,
                reused: failed.reused,
            },
        };
        // This attempt opened the circuit: no retry can pass it, so none
        // is scheduled (or paid for).
        let decision = match opened {
            true => Decision::Stop(StopReason::CircuitOpen),
            false => policy.decide(&self.context(end)),
        };
        let veto = match decision {
            Decision::Retry { .. } => policy.veto_for(&end),
            _ => None,
        };
        let mut answer = result.map(Answer::Head);
        if let (Some(veto), Ok(Answer::Head(_))) = (veto, &answer) {
            // A retry candidate meets the veto: its body is read ahead
            // (bounded), kept in the response, and shown to the veto.
            let Ok(Answer::Head(hop)) = answer else {
                unreachable!("matched just above")
            };
            let mut resp = self.response(hop);
            Box::pin(resp.read_at_most(VETO_BODY_MAX, VETO_BODY_WAIT)).await;
            let vetoed = veto(resp.status(), resp.headers(), resp.ahead());
            answer = Ok(Answer::Read(Box::new(resp)));
            if vetoed {
                return self.stop(answer, StopReason::Vetoed);
            }
        }
        match decision {
            Decision::Stop(stop) => self.stop(answer, stop),
            Decision::ResendNow { reason } => {
                self.client.count(|c| &c.resends);
                self.again(answer.ok(), Duration::ZERO, reason, false, true)
            }
            Decision::Retry {
                delay,
                reason,
                hinted,
            } => {
                let budget = self.route.host.guard().and_then(|g| g.budget.as_ref());
                if !self
                    .policy()
                    .spend(budget.map(lock).as_deref_mut(), Instant::now())
                {
                    return self.stop(answer, StopReason::BudgetExhausted);
                }
                self.client.count(|c| &c.retries);
                self.again(answer.ok(), delay, reason, hinted, false)
            }
        }
    }

    /// What the policy needs to know of the attempt that ended as `end`.
    fn context(&self, end: AttemptEnd) -> AttemptContext<'_> {
        let req = &self.req;
        AttemptContext {
            attempt: self.attempt,
            resent: self.resent,
            method: req.method.as_str(),
            idempotency_key: req.has_header(IDEMPOTENCY_KEY),
            marked_retryable: req.retryable,
            replayable: req.body.is_replayable(),
            time_left: self.deadline.time_left(),
            end,
        }
    }

    /// No further try: the answer goes to the caller, or its error fails
    /// the call.
    fn stop(&self, answer: Result<Answer, Failed>, stop: StopReason) -> Verdict {
        if stop == StopReason::BudgetExhausted {
            self.client.count(|c| &c.budget_refused);
        }
        match answer {
            Ok(answer) => Verdict::Keep(answer),
            Err(failed) => Verdict::Fail(failed.error, stop),
        }
    }

    /// A retry (or a re-send) is on: recorded, and told to the hook.
    fn again(
        &mut self,
        answer: Option<Answer>,
        delay: Duration,
        reason: crate::RetryReason,
        hinted: bool,
        resend: bool,
    ) -> Verdict {
        let attempt = self.attempt;
        self.tries.records.push(RetryRecord {
            attempt,
            reason,
            delay,
            hinted,
        });
        let url = &self.req.url;
        emit(&self.client.shared.hook, || Event::RetryScheduled {
            url,
            attempt,
            delay,
            reason,
            hinted,
        });
        Verdict::Again(Again {
            answer,
            delay,
            resend,
        })
    }

    /// Wait: the answer that will be retried has its body read if that is
    /// cheap and leaves time, as a redirect's is (otherwise its connection
    /// is closed); then the delay.
    async fn wait(&mut self, answer: Option<Answer>, delay: Duration) {
        if let Some(answer) = answer {
            let spare = self
                .deadline
                .time_left()
                .map(|left| left.saturating_sub(delay));
            let mut resp = match answer {
                Answer::Head(hop) => self.response(hop),
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

    /// After a wait: the next attempt, or a free re-send of this one.
    fn next_try(&mut self, resend: bool) {
        self.now = tokio::time::Instant::now();
        if resend {
            self.resent = true;
        } else {
            self.attempt += 1;
            self.resent = false;
        }
    }

    /// Finish: where the redirect policy sends the request next, if
    /// anywhere (the request is adjusted for that hop).
    fn redirect_target(&mut self, hop: &Hop) -> Result<Option<Url>, Error> {
        // Most answers are not redirects: asked first, without a call.
        if !matches!(hop.head.status, 301 | 302 | 303 | 307 | 308) {
            return Ok(None);
        }
        let next = self
            .client
            .follow(&hop.head, &mut self.req, self.followed)?;
        if let Some(next) = &next {
            self.client.refuse_plain(next)?;
        }
        Ok(next)
    }

    /// Follow: a small framed 3xx body (usually a tiny page) is read and
    /// discarded so that its connection can serve the next hop (anything
    /// else closes it); the next hop gets its route and its own count of
    /// attempts (a redirect is a new request; the records of retries are
    /// kept across hops).
    async fn follow(&mut self, hop: Hop, next: Url) -> Result<(), Error> {
        self.followed += 1;
        self.earlier.dns += hop.timings.dns;
        self.earlier.connect += hop.timings.connect;
        self.earlier.tls += hop.timings.tls;
        let previous = std::mem::replace(&mut self.req.url, next);
        let mut resp = Response::new(
            self.client.clone(),
            self.req.method.as_str(),
            hop,
            previous,
            self.deadline,
        );
        resp.drain_redirect_body(REDIRECT_BODY_MAX, REDIRECT_DRAIN_WAIT)
            .await;
        drop(resp);
        self.now = tokio::time::Instant::now();
        self.route = self.client.route(&self.req.url, self.now)?;
        self.tries.attempts = 0;
        self.attempt = 1;
        self.resent = false;
        Ok(())
    }

    /// The response for `hop`, on the current URL.
    fn response(&self, hop: Hop) -> Response {
        Response::new(
            self.client.clone(),
            self.req.method.as_str(),
            hop,
            self.req.url.clone(),
            self.deadline,
        )
    }

    /// Done, with a response made earlier (read ahead for the veto): it
    /// carries what the call went through.
    fn respond(&mut self, mut resp: Response) -> Response {
        finished(&mut resp, self.earlier, std::mem::take(&mut self.tries));
        resp
    }

    /// Done, failed: the error carries the URL, the attempts, the retries
    /// and why there was no other.
    fn fail(&mut self, e: Error, stop: Option<StopReason>) -> Error {
        let tries = std::mem::take(&mut self.tries);
        e.with_url(&self.req.url)
            .with_attempts(tries.attempts, tries.records, stop)
    }

    /// Asks the host's breaker whether an attempt may go; the returned
    /// turn is the half-open probe's, if it is one.
    fn ask_breaker(&self) -> Result<ProbeTurn, Error> {
        let host = &self.route.host;
        let Some(breaker) = host.guard().and_then(|g| g.breaker.as_ref()) else {
            return Ok(ProbeTurn::none());
        };
        let (admit, transition) = lock(breaker).admit(Instant::now());
        self.circuit_changed(transition);
        match admit {
            Admit::Allow => Ok(ProbeTurn::none()),
            Admit::Probe => Ok(ProbeTurn::probe(host.clone())),
            Admit::Reject { retry_at } => {
                self.client.count(|c| &c.circuit_rejected);
                Err(Error::new(Kind::CircuitOpen { retry_at }))
            }
        }
    }

    /// Tells the breaker how an attempt went, and whether that opened the
    /// circuit. Against the host count: connect failures, timeouts on the
    /// way to it or from it, 5xx, and a fresh connection dropped before
    /// any response byte (a backend that accepts and then fails every
    /// request). What says nothing about the host is not recorded (a probe
    /// that meets it gives its turn back):
    /// - a stale pooled connection;
    /// - the caller's own body stream failing;
    /// - waiting in this client's own pool (its per-host limit), and a
    ///   total deadline that ran out before a byte was sent: the host was
    ///   never asked.
    fn record_outcome(&self, probe: ProbeTurn, result: &Result<Hop, Failed>) -> bool {
        let Some(breaker) = self.route.host.guard().and_then(|g| g.breaker.as_ref()) else {
            return false;
        };
        let outcome = match result {
            Ok(hop) if hop.head.status >= 500 => Outcome::Failure,
            Ok(_) => Outcome::Success,
            Err(f) if matches!(f.error.kind(), Kind::RequestBody) => return false,
            Err(f) if f.error.phase() == Some(Phase::PoolWait) => return false,
            Err(f) if f.error.is_total_timeout() && f.progress == Progress::NotSent => {
                return false
            }
            Err(f) if f.error.is_connect() || f.error.is_timeout() => Outcome::Failure,
            Err(f) if f.progress != Progress::ResponseStarted && f.reused => return false,
            Err(f) if fault_of(&f.error, f.progress) == Fault::Transport => Outcome::Failure,
            Err(_) => Outcome::Success,
        };
        let transition = lock(breaker).record(Instant::now(), outcome, probe.is_probe());
        probe.done();
        self.circuit_changed(transition);
        transition.is_some_and(|t| t.to == crate::CircuitState::Open)
    }

    fn circuit_changed(&self, transition: Option<CircuitTransition>) {
        if let Some(transition) = transition {
            if transition.to == crate::CircuitState::Open {
                self.client.count(|c| &c.circuit_opened);
            }
            let origin = self.req.url.origin();
            emit(&self.client.shared.hook, || Event::Circuit {
                origin,
                transition,
            });
        }
    }
}

/// Owns the half-open probe's turn until its outcome is recorded: a probe
/// dropped before that (the caller's future cancelled, a hook panicking)
/// gives the turn back, so the circuit is not held for a whole cool-down.
struct ProbeTurn {
    /// The host whose breaker gave the turn; `None` for an ordinary
    /// attempt.
    host: Option<Arc<HostEntry>>,
}

impl ProbeTurn {
    fn none() -> ProbeTurn {
        ProbeTurn { host: None }
    }

    fn probe(host: Arc<HostEntry>) -> ProbeTurn {
        ProbeTurn { host: Some(host) }
    }

    fn is_probe(&self) -> bool {
        self.host.is_some()
    }

    /// The outcome was recorded: nothing to give back.
    fn done(mut self) {
        self.host = None;
    }
}

impl Drop for ProbeTurn {
    fn drop(&mut self) {
        let host = self.host.take();
        if let Some(breaker) = host.as_ref().and_then(|h| h.guard()?.breaker.as_ref()) {
            lock(breaker).probe_abandoned();
        }
    }
}

impl Client {
    /// Adds one to the counter `which` picks.
    fn count(&self, which: impl FnOnce(&crate::pool::Counters) -> &std::sync::atomic::AtomicU64) {
        which(&self.shared.counters).fetch_add(1, Ordering::Relaxed);
    }
}

/// A response as the call hands it over: with the connect times of the
/// hops before it, and what the call went through.
fn finished(resp: &mut Response, earlier: Timings, tries: Tries) {
    resp.add_earlier_hops(earlier);
    resp.set_tries(tries);
}

/// What kind of failure an error is, for the retry policy.
fn fault_of(error: &Error, progress: Progress) -> Fault {
    match error.kind() {
        Kind::Connect => Fault::Connect,
        Kind::Tls(TlsFailure::Handshake) => Fault::Tls,
        // A session that broke after the handshake is a broken connection.
        Kind::Tls(TlsFailure::Session) if progress != Progress::ResponseStarted => Fault::Transport,
        Kind::Tls(TlsFailure::Session) => Fault::Other,
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
