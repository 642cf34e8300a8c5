//! Decide and Wait: what the retry policy, the body veto and the host's
//! budget make of an attempt that did not simply succeed, and the wait
//! before the next try.

use super::{Again, Answer, Call, Verdict};
use crate::client::hop::{Failed, Hop};
use crate::client::redirect::{REDIRECT_BODY_MAX, REDIRECT_DRAIN_WAIT};
use crate::error::{Error, Kind, Phase, TlsFailure};
use crate::events::{emit, Event};
use crate::guard::lock;
use crate::h1::ParseError;
use crate::retry::{
    AttemptContext, AttemptEnd, Decision, Fault, Progress, RetryRecord, StopReason,
    IDEMPOTENCY_KEY, VETO_BODY_MAX, VETO_BODY_WAIT,
};
use std::time::{Duration, Instant, SystemTime};

impl Call {
    /// Decide: asks the policy once; a retry it grants then meets the
    /// veto (which reads the body ahead) and the budget.
    pub(super) async fn decide(&mut self, result: Result<Hop, Failed>, opened: bool) -> Verdict {
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
            let vetoed = veto(resp.status(), resp.headers(), &resp.ahead_decoded());
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
    pub(super) fn context(&self, end: AttemptEnd) -> AttemptContext<'_> {
        let req = &self.req;
        AttemptContext {
            attempt: self.turn.number,
            resent: self.turn.fresh,
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
    pub(super) fn stop(&self, answer: Result<Answer, Failed>, stop: StopReason) -> Verdict {
        if stop == StopReason::BudgetExhausted {
            self.client.count(|c| &c.budget_refused);
        }
        match answer {
            Ok(answer) => Verdict::Keep(answer),
            Err(failed) => Verdict::Fail(failed.error, stop),
        }
    }

    /// A retry (or a re-send) is on: recorded, and told to the hook.
    pub(super) fn again(
        &mut self,
        answer: Option<Answer>,
        delay: Duration,
        reason: crate::RetryReason,
        hinted: bool,
        resend: bool,
    ) -> Verdict {
        let attempt = self.turn.number;
        self.tries.records.push(RetryRecord {
            attempt,
            reason,
            delay,
            hinted,
        });
        if let Some(trace) = &mut self.trace {
            trace.retry(delay, reason, hinted);
        }
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
    /// is closed); then the delay; then the next try.
    pub(super) async fn wait(&mut self, next: Again) {
        let Again {
            answer,
            delay,
            resend,
        } = next;
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
        self.next_try(resend);
    }

    /// After a wait: the next attempt, or a free re-send of this one.
    fn next_try(&mut self, resend: bool) {
        self.turn.now = tokio::time::Instant::now();
        if resend {
            self.turn.fresh = true;
        } else {
            self.turn.number += 1;
            self.turn.fresh = false;
        }
    }
}

/// What kind of failure an error is, for the retry policy.
pub(super) fn fault_of(error: &Error, progress: Progress) -> Fault {
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
