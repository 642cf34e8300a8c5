//! One request's life, from `send()` to the response it returns: a
//! [`Call`] owns the request, its deadline, its retry policy, what it has
//! been through, and where its current hop goes. Its loop is a state
//! machine, with every transition in [`Call::send`] and one small method
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
//!   call fails at once, circuit open); the cookie jar's field goes on
//!   (`cookies.rs`); the hook sees `RequestStart` and may set headers;
//!   the head is validated; the budget gets its deposit.
//! - **Attempt**: one exchange (`exchange.rs`); the breaker records how it
//!   went, and the cookie jar takes the head's `Set-Cookie`. A head below
//!   400 goes straight to Finish: the success path asks the policy
//!   nothing.
//! - **Decide**: the policy is asked once. A retry it grants then meets
//!   the body veto (the body read ahead, bounded) and the host's budget,
//!   in that order; what survives is a Wait, anything else is the answer.
//! - **Wait**: the answer that will not be used is drained if cheap, then
//!   the delay; then Admit again, as the next attempt or a free re-send.
//! - **Finish**: a redirect to follow goes to Follow; anything else is
//!   the response.
//! - **Follow**: the redirect's body is drained if cheap; the next hop
//!   gets its own route and attempt count; then Admit.

mod breaker;
mod cookies;
mod decide;

use super::codings::Codings;
use super::exchange::Exchange;
use super::hop::{Failed, Hop, Route, Tries, Turn};
use super::redirect::{REDIRECT_BODY_MAX, REDIRECT_DRAIN_WAIT};
use super::request::Request;
use super::{Client, Response};
use crate::deadline::Deadline;
use crate::error::Error;
use crate::events::{emit, Event};
use crate::guard::lock;
use crate::retry::{Progress, RetryPolicy, StopReason};
use crate::trace::CallTrace;
use crate::url::Url;
use crate::StatusCode;
use breaker::ProbeTurn;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// What a hop ended with: a response head (the usual case), or a response
/// whose body was already read ahead for the retry policy's veto.
enum Answer {
    Head(Hop),
    Read(Box<Response>),
}

/// Where a call is in its life. Every transition is in [`Call::send`].
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
    /// Attempts, retries, redirects and earlier hops' times so far.
    tries: Tries,
    /// Where the current hop goes.
    route: Route,
    /// The current try: its number on this hop (from 1), whether it is a
    /// free re-send, and the clock reading it starts at.
    turn: Turn,
    /// Spans, when the client traces (boxed: most clients do not).
    trace: Option<Box<CallTrace>>,
    /// The URLs of the hops before the current one, for a custom redirect
    /// policy's `Attempt::previous`.
    visited: Vec<Url>,
    /// The request's `Cookie` field, if any, is the jar's (`cookies.rs`).
    jar_sets_cookie: bool,
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
            return Err(Error::builder("https_only: an http:// URL is refused").or_url(url));
        }
        Ok(())
    }
}

impl Call {
    /// The call, from start to the response: every transition, in one
    /// place. The attempt's exchange is awaited here, not through a
    /// method's future: each level of `async fn` would move the large
    /// exchange future once more per request. The call is built here too,
    /// in the future's own state (returned from a constructor, half a
    /// kilobyte would be copied), and one clock reading, the request's
    /// start, serves the host lookup, the budget and the first checkout.
    /// The final response gets the call's client and URL by move, field
    /// by field: no clone, and no copy of the whole call. The wait and a
    /// redirect's drain are boxed: they are rare, and their futures would
    /// make every request's future larger.
    async fn send(client: Client, req: Result<Request, Error>) -> Result<Response, Error> {
        let mut req = req?;
        client.refuse_plain(&req.url)?;
        let deadline = Deadline::start(req.budgets(client.shared.timeouts));
        let now = deadline.started();
        let route = client
            .route(&req.url, now)
            .map_err(|e| e.or_url(&req.url))?;
        let trace = (client.shared.tracer.as_ref())
            .map(|tracer| Box::new(CallTrace::start(tracer, &req.headers)));
        let mut call = Call {
            trace,
            own_policy: req.retry.take(),
            client,
            req,
            deadline,
            tries: Tries::default(),
            visited: Vec::new(),
            jar_sets_cookie: false,
            route,
            turn: Turn::first(now),
        };
        let mut state = State::Admit;
        loop {
            state = match state {
                State::Admit => match call.admit() {
                    Ok(probe) => State::Attempt(probe),
                    Err(e) => State::Fail(e, None),
                },
                State::Attempt(probe) => {
                    let turn = call.turn;
                    let x = Exchange {
                        req: &mut call.req,
                        route: &call.route,
                        deadline: &call.deadline,
                        trace: call.trace.as_deref_mut(),
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
                    Box::pin(call.wait(next)).await;
                    State::Admit
                }
                State::Finish(hop) => match call.redirect_target(&hop) {
                    Ok(None) => {
                        let Call {
                            client,
                            req,
                            deadline,
                            tries,
                            ..
                        } = call;
                        let method = req.method.as_str();
                        let codings = req.codings(client.shared.codings);
                        let mut resp =
                            Response::new(client, method, codings, hop, req.url, deadline);
                        resp.set_tries(tries);
                        return Ok(resp);
                    }
                    Ok(Some(next)) => State::Follow(hop, Box::new(next)),
                    Err(e) => State::Fail(e, None),
                },
                State::Follow(hop, next) => match Box::pin(call.follow(hop, *next)).await {
                    Ok(()) => State::Admit,
                    Err(e) => State::Fail(e, None),
                },
                State::Fail(e, stop) => return Err(call.fail(e, stop)),
            }
        }
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
        if let Some(trace) = &mut self.trace {
            let req = &mut self.req;
            trace.attempt(req.method.as_str(), &req.url, &mut req.headers);
        }
        let probe = match self.ask_breaker() {
            Ok(probe) => probe,
            Err(e) => {
                let (url, attempt) = (&self.req.url, self.turn.number);
                emit(&self.client.shared.hook, || Event::Error {
                    url,
                    attempt,
                    error: &e,
                    progress: Progress::NotSent,
                });
                return Err(e);
            }
        };
        self.add_cookies();
        let req = &mut self.req;
        emit(&self.client.shared.hook, || Event::RequestStart {
            method: req.method.as_str(),
            url: &req.url,
            attempt: self.turn.number,
            headers: &mut req.headers,
        });
        // Refused here, before a connection is spent on it (the probe's
        // turn goes back as `probe` drops).
        req.validate_head()?;
        if !self.turn.fresh {
            self.tries.attempts += 1;
            if self.turn.number == 1 {
                if let Some(budget) = self.route.host.guard().and_then(|g| g.budget.as_ref()) {
                    lock(budget).deposit(self.turn.now.into_std());
                }
            }
        }
        Ok(probe)
    }

    /// Attempt, done: the hook hears how it ended, and the span records it.
    fn report(&mut self, result: &Result<Hop, Failed>) {
        if let Ok(hop) = result {
            self.store_cookies(&hop.head);
        }
        if let Some(trace) = &mut self.trace {
            match result {
                Ok(hop) => trace.head(hop.head.status, hop.head.version, hop.reused, &hop.timings),
                Err(failed) => trace.failed(&failed.error),
            }
        }
        let hook = &self.client.shared.hook;
        let (url, attempt) = (&self.req.url, self.turn.number);
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

    /// Finish: where the redirect policy sends the request next, if
    /// anywhere (the request is adjusted for that hop).
    fn redirect_target(&mut self, hop: &Hop) -> Result<Option<Url>, Error> {
        // Most answers are not redirects: asked first, without a call.
        if !matches!(hop.head.status, 301 | 302 | 303 | 307 | 308) {
            return Ok(None);
        }
        let next =
            self.client
                .follow(&hop.head, &mut self.req, self.tries.followed, &self.visited)?;
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
        self.tries.followed += 1;
        self.tries.earlier.dns += hop.timings.dns;
        self.tries.earlier.connect += hop.timings.connect;
        self.tries.earlier.tls += hop.timings.tls;
        let previous = std::mem::replace(&mut self.req.url, next);
        self.visited.push(previous.clone());
        // Its body is drained unread: nothing to decode.
        let mut resp = Response::new(
            self.client.clone(),
            self.req.method.as_str(),
            Codings::NONE,
            hop,
            previous,
            self.deadline,
        );
        resp.drain_redirect_body(REDIRECT_BODY_MAX, REDIRECT_DRAIN_WAIT)
            .await;
        drop(resp);
        self.turn = Turn::first(tokio::time::Instant::now());
        self.route = self.client.route(&self.req.url, self.turn.now)?;
        self.tries.attempts = 0;
        Ok(())
    }

    /// The response for `hop`, on the current URL.
    fn response(&self, hop: Hop) -> Response {
        Response::new(
            self.client.clone(),
            self.req.method.as_str(),
            self.req.codings(self.client.shared.codings),
            hop,
            self.req.url.clone(),
            self.deadline,
        )
    }

    /// Done, with a response made earlier (read ahead for the veto): it
    /// carries what the call went through.
    fn respond(&mut self, mut resp: Response) -> Response {
        resp.set_tries(std::mem::take(&mut self.tries));
        resp
    }

    /// Done, failed: the error carries the URL, the attempts, the retries
    /// and why there was no other.
    fn fail(&mut self, e: Error, stop: Option<StopReason>) -> Error {
        if let Some(trace) = &mut self.trace {
            trace.fail(&e);
        }
        let tries = std::mem::take(&mut self.tries);
        e.or_url(&self.req.url)
            .with_attempts(tries.attempts, tries.records, stop)
    }
}

impl Client {
    /// Adds one to the counter `which` picks.
    fn count(&self, which: impl FnOnce(&crate::pool::Counters) -> &std::sync::atomic::AtomicU64) {
        which(&self.shared.counters).fetch_add(1, Ordering::Relaxed);
    }
}
