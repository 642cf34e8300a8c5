//! Time as a value: one total deadline per request, and a budget per phase.
//!
//! A request's deadline is computed once, when it starts. Every step that
//! waits (pool, DNS, connect, TLS, write, each read) waits on the earlier of
//! its own budget and the total, so no step can stretch the request past
//! its deadline.
//!
//! The defaults, and the rule that a default never undercuts a budget the
//! caller set, are in the crate docs (one table, in `lib.rs`); the rule is
//! applied in one place, [`Budgets::effective`].

use crate::error::{Error, Phase};
use std::future::{poll_fn, Future};
use std::task::Poll;
use std::time::Duration;
use tokio::time::Instant;

/// Per-phase budgets and the total, as configured on a client or request.
/// `None` means "no limit of its own". See the [defaults](crate#timeouts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// The whole request, from `send()` to the last byte of the body.
    /// Default: none. When set, the default phase budgets step aside.
    pub total: Option<Duration>,
    /// DNS resolution and the TCP connect together. Default: 10 s.
    pub connect: Option<Duration>,
    /// The TLS handshake. Default: 10 s.
    pub tls: Option<Duration>,
    /// Write progress: the longest a piece of the request (up to 64 KiB)
    /// may take to be written. Default: 30 s.
    pub write: Option<Duration>,
    /// Read progress: the longest the whole response head may take to
    /// arrive once the request is written, and then the longest wait for
    /// more body bytes. Default: 60 s.
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
            write: Some(Duration::from_secs(30)),
            read: Some(Duration::from_secs(60)),
            pool_wait: Some(Duration::from_secs(30)),
        }
    }
}

/// Budgets as configured, and which of them the caller set (as opposed to
/// the defaults), so that a default never undercuts the caller's total.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Budgets {
    timeouts: Timeouts,
    /// One bit per budget, `Budget as u8`.
    explicit: u8,
}

/// One budget of [`Timeouts`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Budget {
    Total = 1,
    Connect = 2,
    Tls = 4,
    Write = 8,
    Read = 16,
    PoolWait = 32,
}

impl Budgets {
    /// The caller sets one budget.
    pub(crate) fn set(&mut self, which: Budget, d: Option<Duration>) {
        let t = &mut self.timeouts;
        *match which {
            Budget::Total => &mut t.total,
            Budget::Connect => &mut t.connect,
            Budget::Tls => &mut t.tls,
            Budget::Write => &mut t.write,
            Budget::Read => &mut t.read,
            Budget::PoolWait => &mut t.pool_wait,
        } = d;
        self.explicit |= which as u8;
    }

    /// The caller sets every budget at once. A budget equal to its default
    /// counts as the default: `Timeouts { total: Some(d),
    /// ..Timeouts::default() }` sets a total, and nothing else.
    pub(crate) fn set_all(&mut self, t: Timeouts) {
        let d = Timeouts::default();
        let mut explicit = 0;
        for (b, mine, default) in [
            (Budget::Total, t.total, d.total),
            (Budget::Connect, t.connect, d.connect),
            (Budget::Tls, t.tls, d.tls),
            (Budget::Write, t.write, d.write),
            (Budget::Read, t.read, d.read),
            (Budget::PoolWait, t.pool_wait, d.pool_wait),
        ] {
            if mine != default {
                explicit |= b as u8;
            }
        }
        self.timeouts = t;
        self.explicit = explicit;
    }

    /// What applies: the caller's budgets, and the defaults that do not
    /// undercut the caller's total.
    pub(crate) fn effective(&self) -> Timeouts {
        let mut t = self.timeouts;
        if self.explicit & Budget::Total as u8 != 0 && t.total.is_some() {
            let keep =
                |b: Budget, d: Option<Duration>| (self.explicit & b as u8 != 0).then_some(d)?;
            t.connect = keep(Budget::Connect, t.connect);
            t.tls = keep(Budget::Tls, t.tls);
            t.write = keep(Budget::Write, t.write);
            t.read = keep(Budget::Read, t.read);
            t.pool_wait = keep(Budget::PoolWait, t.pool_wait);
        }
        t
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
    pub(crate) fn start(budgets: Budgets) -> Self {
        let budgets = budgets.effective();
        let start = Instant::now();
        Deadline {
            start,
            // A budget too large to add to the clock means "no limit".
            total: budgets.total.and_then(|t| start.checked_add(t)),
            budgets,
        }
    }

    /// Time left before the total deadline, if there is one.
    pub(crate) fn time_left(&self) -> Option<Duration> {
        self.total
            .map(|t| t.saturating_duration_since(Instant::now()))
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
        self.run_within(&mut self.lazy_end(phase), step).await
    }

    /// The end of `phase`'s budget from the moment a step of it first has
    /// to wait, for steps that share one budget (the reads of one head).
    pub(crate) fn lazy_end(&self, phase: Phase) -> LazyEnd {
        LazyEnd { phase, at: None }
    }

    /// Runs `step` until `end`, which is read from the clock only if a
    /// step has to wait: most finish at their first poll (the bytes were
    /// already there, or the socket had room), and those need neither a
    /// timer nor the time. A budget so measured starts when the waiting
    /// does, a few microseconds of work after the step began.
    pub(crate) async fn run_within<T>(
        &self,
        end: &mut LazyEnd,
        step: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let mut step = std::pin::pin!(step);
        if let Poll::Ready(result) = poll_fn(|cx| Poll::Ready(step.as_mut().poll(cx))).await {
            return result;
        }
        let at = *end.at.get_or_insert_with(|| self.end_of(end.phase));
        Deadline::wait(at, end.phase, step).await
    }

    /// Runs `step` until `end` (from [`Deadline::end_of`]), for steps that
    /// share one budget measured from before the first of them, such as
    /// DNS and connect.
    pub(crate) async fn run_until<T>(
        end: Option<(Instant, bool)>,
        phase: Phase,
        step: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let mut step = std::pin::pin!(step);
        if let Poll::Ready(result) = poll_fn(|cx| Poll::Ready(step.as_mut().poll(cx))).await {
            return result;
        }
        Deadline::wait(end, phase, step).await
    }

    /// Waits for a step that was not ready at its first poll, until `end`.
    async fn wait<T>(
        end: Option<(Instant, bool)>,
        phase: Phase,
        step: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let Some((end, total)) = end else {
            return step.await;
        };
        match tokio::time::timeout_at(end, step).await {
            Ok(result) => result,
            Err(_) => Err(Error::timeout(phase, total)),
        }
    }
}

/// When a phase's steps must give up, read from the clock the first time
/// one of them has to wait (see [`Deadline::run_within`]).
#[derive(Debug)]
pub(crate) struct LazyEnd {
    phase: Phase,
    at: Option<Option<(Instant, bool)>>,
}

impl LazyEnd {
    /// An end already read from the clock.
    pub(crate) fn fixed(phase: Phase, at: Option<(Instant, bool)>) -> LazyEnd {
        LazyEnd {
            phase,
            at: Some(at),
        }
    }

    /// The phase whose budget this is.
    pub(crate) fn phase(&self) -> Phase {
        self.phase
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_never_undercut_the_callers_total() {
        let mut b = Budgets::default();
        assert_eq!(b.effective(), Timeouts::default());
        b.set(Budget::Total, Some(Duration::from_secs(90)));
        let t = b.effective();
        assert_eq!(t.total, Some(Duration::from_secs(90)));
        assert_eq!(
            (t.connect, t.tls, t.write, t.read),
            (None, None, None, None)
        );
        assert_eq!(t.pool_wait, None);
        // The caller's own phase budgets stay.
        b.set(Budget::Read, Some(Duration::from_secs(5)));
        assert_eq!(b.effective().read, Some(Duration::from_secs(5)));
        // A phase budget alone keeps the other defaults.
        let mut b = Budgets::default();
        b.set(Budget::Read, Some(Duration::from_secs(120)));
        assert_eq!(b.effective().connect, Timeouts::default().connect);
        // Timeouts given whole: what differs from the defaults is the
        // caller's, so the idiomatic form sets a total and nothing else.
        let mut b = Budgets::default();
        b.set_all(Timeouts {
            total: Some(Duration::from_secs(90)),
            ..Timeouts::default()
        });
        assert_eq!(b.effective().read, None);
        b.set_all(Timeouts {
            total: Some(Duration::from_secs(90)),
            read: Some(Duration::from_secs(5)),
            ..Timeouts::default()
        });
        assert_eq!(b.effective().read, Some(Duration::from_secs(5)));
        assert_eq!(b.effective().connect, None);
    }

    #[tokio::test]
    async fn each_step_waits_on_the_earlier_of_budget_and_total() {
        let mut b = Budgets::default();
        b.set_all(Timeouts {
            total: Some(Duration::from_millis(80)),
            connect: Some(Duration::from_millis(20)),
            read: Some(Duration::from_secs(5)),
            ..Timeouts::default()
        });
        let d = Deadline::start(b);
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
