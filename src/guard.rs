//! Per-host resilience state: the retry budget and the circuit breaker of
//! one origin, shared by every request a client sends there. It lives in
//! the pool's entry for the origin (found once per request anyway), which
//! keeps it while it holds anything worth keeping.

use crate::breaker::{BreakerState, CircuitBreaker};
use crate::retry::{BudgetState, RetryBudget};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

/// Locks `m`. The pool's and the guards' books stay consistent across a
/// panic elsewhere (every update is a single assignment), so a poisoned
/// lock is still usable.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What every host's guard is made from: the client's settings.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct GuardConfig {
    pub(crate) budget: Option<RetryBudget>,
    pub(crate) breaker: Option<CircuitBreaker>,
}

/// A host's retry budget and circuit breaker, shared by every request of
/// one client to that origin.
pub(crate) struct HostGuard {
    /// `None` when the client's policy has no budget.
    pub(crate) budget: Option<Mutex<BudgetState>>,
    /// `None` when the client has no breaker: no lock is taken then.
    pub(crate) breaker: Option<Mutex<BreakerState>>,
}

impl HostGuard {
    /// Whether the guard holds nothing worth keeping: no budget activity
    /// in its window, and a closed circuit with no failures.
    pub(crate) fn is_quiet(&self, now: Instant) -> bool {
        let budget = self.budget.as_ref().is_none_or(|b| {
            let snap = lock(b).snapshot(now);
            snap.deposits == 0 && snap.withdrawals == 0
        });
        let breaker = self.breaker.as_ref().is_none_or(|b| {
            let snap = lock(b).snapshot(now);
            snap.state == crate::breaker::CircuitState::Closed && snap.recent_requests == 0
        });
        budget && breaker
    }
}

impl HostGuard {
    /// A fresh guard, or `None` when there is nothing to guard with.
    pub(crate) fn new(config: GuardConfig, now: Instant) -> Option<HostGuard> {
        if config.budget.is_none() && config.breaker.is_none() {
            return None;
        }
        Some(HostGuard {
            budget: config.budget.map(|c| Mutex::new(BudgetState::new(c, now))),
            breaker: config
                .breaker
                .map(|c| Mutex::new(BreakerState::new(c, now))),
        })
    }
}
