//! Admit's and Attempt's dealings with the host's circuit breaker: asking
//! it to let an attempt go, telling it how the attempt went, and the
//! half-open probe's turn.

use super::decide::fault_of;
use super::Call;
use crate::breaker::{Admit, CircuitTransition, Outcome};
use crate::client::hop::{Failed, Hop};
use crate::error::{Error, Kind, Phase};
use crate::events::{emit, Event};
use crate::guard::lock;
use crate::pool::HostEntry;
use crate::retry::{Fault, Progress};
use std::sync::Arc;
use std::time::Instant;

impl Call {
    /// Asks the host's breaker whether an attempt may go; the returned
    /// turn is the half-open probe's, if it is one.
    pub(super) fn ask_breaker(&self) -> Result<ProbeTurn, Error> {
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
    pub(super) fn record_outcome(&self, probe: ProbeTurn, result: &Result<Hop, Failed>) -> bool {
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

    pub(super) fn circuit_changed(&self, transition: Option<CircuitTransition>) {
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
pub(super) struct ProbeTurn {
    /// The host whose breaker gave the turn; `None` for an ordinary
    /// attempt.
    host: Option<Arc<HostEntry>>,
}

impl ProbeTurn {
    pub(super) fn none() -> ProbeTurn {
        ProbeTurn { host: None }
    }

    pub(super) fn probe(host: Arc<HostEntry>) -> ProbeTurn {
        ProbeTurn { host: Some(host) }
    }

    pub(super) fn is_probe(&self) -> bool {
        self.host.is_some()
    }

    /// The outcome was recorded: nothing to give back.
    pub(super) fn done(mut self) {
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
