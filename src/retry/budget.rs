//! The retry budget: retries may add only a fraction to a host's traffic.
//!
//! Per-request limits (3 attempts) do not stop a retry storm: when a whole
//! backend is down, every request makes all its attempts, and the load on
//! the struggling backend triples just when it can least take it. A budget
//! bounds retries across requests instead. This is the rule of Finagle's
//! `RetryBudget` and tower's `TpsBudget`, also used by gRPC and Envoy:
//!
//! - every original request *deposits* into the host's budget;
//! - every retry *withdraws* one;
//! - a retry is allowed while
//!   `min_per_sec × window + ratio × deposits − withdrawals ≥ 1`,
//!   counting deposits and withdrawals of the last `window` only.
//!
//! The floor (`min_per_sec × window`) lets a quiet host retry at all; the
//! ratio lets a busy one retry a fixed share of its traffic, so retries
//! can never multiply the load by more than `1 + ratio` (plus the floor).

use crate::window::SlidingWindow;
use std::time::{Duration, Instant};

/// How much retrying a host's traffic may carry: retries may add at most
/// `ratio` of the requests of the last `window`, plus a floor of
/// `min_per_sec` retries per second. Per host, shared by all requests of a
/// client.
///
/// Defaults: ratio 0.2, 10 per second, a 10 s window: at most 20% more
/// requests than the last 10 s saw, and always up to 100 retries per 10 s.
///
/// ```
/// use brisk::RetryBudget;
/// use std::time::Duration;
///
/// let budget = RetryBudget::default()
///     .ratio(0.1)
///     .min_per_sec(1)
///     .window(Duration::from_secs(30));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryBudget {
    /// Kept in thousandths, so that the rule is exact integer arithmetic.
    ratio_milli: u64,
    min_per_sec: u32,
    window: Duration,
}

impl Default for RetryBudget {
    fn default() -> Self {
        RetryBudget {
            ratio_milli: 200,
            min_per_sec: 10,
            window: Duration::from_secs(10),
        }
    }
}

impl RetryBudget {
    /// The share of the window's requests that retries may add: 0.2 lets
    /// 100 requests bring 20 retries. Kept to the thousandth; negative or
    /// NaN is taken as 0. Default: 0.2.
    pub fn ratio(mut self, ratio: f64) -> Self {
        self.ratio_milli = if ratio >= 0.0 {
            // `as` saturates: an infinite ratio becomes "no ratio limit".
            (ratio * 1000.0).round() as u64
        } else {
            0
        };
        self
    }

    /// Retries per second allowed whatever the traffic, so that a host
    /// with few requests can still retry. Default: 10.
    pub fn min_per_sec(mut self, n: u32) -> Self {
        self.min_per_sec = n;
        self
    }

    /// How far back deposits and withdrawals count. At least 1 s (shorter
    /// is taken as 1 s): the window is kept in ten slots, and slots of a
    /// few milliseconds would forget the traffic as it happens.
    /// Default: 10 s.
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window.max(Duration::from_secs(1));
        self
    }
}

/// The state of one host's retry budget, for [`ClientStats`](crate::ClientStats).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BudgetSnapshot {
    /// Original requests in the window (each deposits once).
    pub deposits: u64,
    /// Retries in the window (each withdraws once).
    pub withdrawals: u64,
    /// How many more retries the budget would allow now, if no request
    /// came in meanwhile.
    pub available: u64,
    /// Retries the budget has refused since the client was built (not
    /// only in the window).
    pub refused: u64,
}

const DEPOSITS: usize = 0;
const WITHDRAWALS: usize = 1;

/// One host's retry budget. The client keeps one per host, behind a
/// mutex; the clock is passed in.
#[derive(Clone, Debug)]
pub(crate) struct BudgetState {
    config: RetryBudget,
    window: SlidingWindow<2>,
    refused: u64,
}

impl BudgetState {
    pub(crate) fn new(config: RetryBudget, now: Instant) -> Self {
        BudgetState {
            config,
            window: SlidingWindow::new(config.window, now),
            refused: 0,
        }
    }

    /// An original request (not a retry) to this host starts.
    pub(crate) fn deposit(&mut self, now: Instant) {
        self.window.add(DEPOSITS, now);
    }

    /// A retry wants to start: withdraws and returns true if the budget
    /// allows it, counts a refusal and returns false otherwise.
    pub(crate) fn try_withdraw(&mut self, now: Instant) -> bool {
        if self.balance_milli(now) >= 1000 {
            self.window.add(WITHDRAWALS, now);
            true
        } else {
            self.refused += 1;
            false
        }
    }

    /// `min_per_sec × window + ratio × deposits − withdrawals`, in
    /// thousandths of a retry. i128 holds any product of these u64/u32
    /// factors without overflow.
    fn balance_milli(&self, now: Instant) -> i128 {
        let [deposits, withdrawals] = self.window.sums(now);
        let floor = i128::from(self.config.min_per_sec) * self.window.length().as_millis() as i128;
        floor + i128::from(self.config.ratio_milli) * i128::from(deposits)
            - 1000 * i128::from(withdrawals)
    }

    pub(crate) fn snapshot(&self, now: Instant) -> BudgetSnapshot {
        let [deposits, withdrawals] = self.window.sums(now);
        let available = (self.balance_milli(now) / 1000).clamp(0, i128::from(u64::MAX)) as u64;
        BudgetSnapshot {
            deposits,
            withdrawals,
            available,
            refused: self.refused,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    fn drain(b: &mut BudgetState, now: Instant) -> u64 {
        let mut n = 0;
        while b.try_withdraw(now) {
            n += 1;
        }
        n
    }

    #[test]
    fn a_quiet_host_gets_the_floor() {
        let t0 = Instant::now();
        let mut b = BudgetState::new(RetryBudget::default(), t0);
        assert_eq!(b.snapshot(t0).available, 100);
        assert_eq!(drain(&mut b, t0), 100);
        assert_eq!(
            b.snapshot(t0),
            BudgetSnapshot {
                deposits: 0,
                withdrawals: 100,
                available: 0,
                refused: 1,
            }
        );
    }

    #[test]
    fn a_busy_host_gets_twenty_percent_more() {
        let t0 = Instant::now();
        let mut b = BudgetState::new(RetryBudget::default(), t0);
        for _ in 0..1000 {
            b.deposit(t0);
        }
        // 100 from the floor, 200 from 20% of 1000.
        assert_eq!(drain(&mut b, t0 + SEC), 300);
        assert!(!b.try_withdraw(t0 + SEC));
        // Four more requests earn 0.8 of a retry: not yet one.
        for _ in 0..4 {
            b.deposit(t0 + SEC);
        }
        assert!(!b.try_withdraw(t0 + SEC));
        b.deposit(t0 + SEC);
        assert!(b.try_withdraw(t0 + SEC));
        let s = b.snapshot(t0 + SEC);
        assert_eq!(
            (s.deposits, s.withdrawals, s.available, s.refused),
            (1005, 301, 0, 3)
        );
    }

    #[test]
    fn the_window_forgets() {
        let t0 = Instant::now();
        let mut b = BudgetState::new(RetryBudget::default().min_per_sec(0), t0);
        for _ in 0..10 {
            b.deposit(t0);
        }
        assert_eq!(drain(&mut b, t0), 2);
        // Both deposits and withdrawals age out together.
        assert_eq!(b.snapshot(t0 + 9 * SEC).withdrawals, 2);
        let later = t0 + 10 * SEC;
        assert_eq!(
            b.snapshot(later),
            BudgetSnapshot {
                deposits: 0,
                withdrawals: 0,
                available: 0,
                refused: 1,
            }
        );
        assert!(!b.try_withdraw(later));
    }

    #[test]
    fn configuration_is_clamped() {
        let c = RetryBudget::default()
            .ratio(f64::NAN)
            .window(Duration::ZERO);
        assert_eq!(c.ratio_milli, 0);
        assert_eq!(c.window, SEC);
        assert_eq!(RetryBudget::default().ratio(-1.0).ratio_milli, 0);
        assert_eq!(RetryBudget::default().ratio(0.0125).ratio_milli, 13);
        let t0 = Instant::now();
        let mut b = BudgetState::new(
            RetryBudget::default().ratio(f64::INFINITY).min_per_sec(0),
            t0,
        );
        b.deposit(t0);
        assert_eq!(drain_some(&mut b, t0, 10_000), 10_000);
    }

    fn drain_some(b: &mut BudgetState, now: Instant, n: u64) -> u64 {
        (0..n).filter(|_| b.try_withdraw(now)).count() as u64
    }
}
