//! Time as a value: one total deadline per request, and a budget per phase.
//!
//! A request's deadline is computed once, when it starts. Every step that
//! waits (pool, DNS, connect, TLS, write, each read) waits on the earlier of
//! its own budget and the total, so no step can stretch the request past
//! its deadline, and a slow server that drips a byte at a time cannot keep
//! a read alive forever: the read-idle budget restarts with each byte, the
//! total does not.

use crate::error::{Error, Phase};
use std::future::{poll_fn, Future};
use std::task::Poll;
use std::time::Duration;
use tokio::time::Instant;

/// Per-phase budgets and the total, as configured on a client or request.
/// `None` means "no limit of its own".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// The whole request, from `send()` to the last byte of the body.
    /// Default: none.
    pub total: Option<Duration>,
    /// DNS resolution and the TCP connect together. Default: 10 s.
    pub connect: Option<Duration>,
    /// The TLS handshake. Default: 10 s.
    pub tls: Option<Duration>,
    /// Writing the request. Default: none (the total applies).
    pub write: Option<Duration>,
    /// The longest wait between two reads that bring bytes (read-idle).
    /// Default: 60 s.
    pub read: Option<Duration>,
    /// Waiting for a free connection when the per-host limit is reached.
    /// Default: 30 s.
    pub pool_wait: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            total: None,
            connect: Some(Duration::from_secs(10)),
            tls: Some(Duration::from_secs(10)),
            write: None,
            read: Some(Duration::from_secs(60)),
            pool_wait: Some(Duration::from_secs(30)),
        }
    }
}

/// The deadline of one request.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline {
    start: Instant,
    total: Option<Instant>,
    budgets: Timeouts,
}

impl Deadline {
    /// Starts the clock for a request with these budgets.
    pub(crate) fn start(budgets: Timeouts) -> Self {
        let start = Instant::now();
        Deadline {
            start,
            // A budget too large to add to the clock means "no limit".
            total: budgets.total.and_then(|t| start.checked_add(t)),
            budgets,
        }
    }

    /// When the request began.
    pub(crate) fn started(&self) -> Instant {
        self.start
    }

    fn budget(&self, phase: Phase) -> Option<Duration> {
        let b = &self.budgets;
        match phase {
            Phase::PoolWait => b.pool_wait,
            Phase::Dns | Phase::Connect => b.connect,
            Phase::Tls => b.tls,
            Phase::Write => b.write,
            Phase::ReadHead | Phase::ReadBody => b.read,
        }
    }

    /// When a step of `phase` starting now must give up, and whether that
    /// is the total deadline rather than the phase's own budget.
    pub(crate) fn end_of(&self, phase: Phase) -> Option<(Instant, bool)> {
        let own = self
            .budget(phase)
            .and_then(|b| Instant::now().checked_add(b));
        match (own, self.total) {
            (Some(own), Some(total)) if total <= own => Some((total, true)),
            (Some(own), _) => Some((own, false)),
            (None, Some(total)) => Some((total, true)),
            (None, None) => None,
        }
    }

    /// Runs `step` within the earlier of `phase`'s budget and the total.
    pub(crate) async fn run<T>(
        &self,
        phase: Phase,
        step: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        Deadline::run_until(self.end_of(phase), phase, step).await
    }

    /// Runs `step` until `end` (from [`Deadline::end_of`]), for steps that
    /// share one budget, such as DNS and connect.
    pub(crate) async fn run_until<T>(
        end: Option<(Instant, bool)>,
        phase: Phase,
        step: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let Some((end, total)) = end else {
            return step.await;
        };
        // Most steps finish at their first poll (the bytes were already
        // there, or the socket had room): those need no timer, and arming
        // one costs more than the step. Only a step that has to wait gets
        // one.
        let mut step = std::pin::pin!(step);
        if let Poll::Ready(result) = poll_fn(|cx| Poll::Ready(step.as_mut().poll(cx))).await {
            return result;
        }
        match tokio::time::timeout_at(end, step).await {
            Ok(result) => result,
            Err(_) => Err(Error::timeout(phase, total)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_step_waits_on_the_earlier_of_budget_and_total() {
        let d = Deadline::start(Timeouts {
            total: Some(Duration::from_millis(80)),
            connect: Some(Duration::from_millis(20)),
            read: Some(Duration::from_secs(5)),
            ..Timeouts::default()
        });
        let slow = || async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            Ok::<(), Error>(())
        };
        let e = d.run(Phase::Connect, slow()).await.unwrap_err();
        assert!(e.is_timeout() && !e.is_total_timeout());
        assert_eq!(e.phase(), Some(Phase::Connect));
        let e = d.run(Phase::ReadBody, slow()).await.unwrap_err();
        assert!(e.is_total_timeout());
        assert_eq!(e.phase(), Some(Phase::ReadBody));
        let elapsed = d.started().elapsed();
        assert!(
            elapsed >= Duration::from_millis(80) && elapsed < Duration::from_millis(130),
            "{elapsed:?}"
        );
    }
}
