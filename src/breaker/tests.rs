use super::*;

const SEC: Duration = Duration::from_secs(1);
const OPENED: CircuitTransition = CircuitTransition {
    from: CircuitState::Closed,
    to: CircuitState::Open,
};
const HALF_OPENED: CircuitTransition = CircuitTransition {
    from: CircuitState::Open,
    to: CircuitState::HalfOpen,
};

fn fail(b: &mut BreakerState, now: Instant, n: u32) -> Vec<CircuitTransition> {
    (0..n)
        .filter_map(|_| b.record(now, Outcome::Failure, false))
        .collect()
}

/// A breaker opened at `t0`, with a 30 s cool-down.
fn opened(t0: Instant) -> BreakerState {
    let mut b = BreakerState::new(CircuitBreaker::default(), t0);
    assert_eq!(fail(&mut b, t0, 5), [OPENED]);
    b
}

#[test]
fn opens_after_consecutive_failures() {
    let t0 = Instant::now();
    let mut b = BreakerState::new(CircuitBreaker::default(), t0);
    assert!(fail(&mut b, t0, 4).is_empty());
    assert_eq!(b.admit(t0), (Admit::Allow, None));
    assert_eq!(b.snapshot(t0).consecutive_failures, 4);
    assert_eq!(fail(&mut b, t0, 1), [OPENED]);
    let s = b.snapshot(t0);
    assert_eq!(
        (s.state, s.retry_at, s.opened),
        (CircuitState::Open, Some(t0 + 30 * SEC), 1)
    );
    assert_eq!(OPENED.to_string(), "closed -> open");
}

#[test]
fn a_success_resets_the_count() {
    let t0 = Instant::now();
    let mut b = BreakerState::new(CircuitBreaker::default().consecutive_failures(2), t0);
    for _ in 0..10 {
        assert!(fail(&mut b, t0, 1).is_empty());
        assert_eq!(b.record(t0, Outcome::Success, false), None);
    }
    let s = b.snapshot(t0);
    assert_eq!(
        (
            s.state,
            s.consecutive_failures,
            s.recent_requests,
            s.recent_failures
        ),
        (CircuitState::Closed, 0, 20, 10)
    );
    assert_eq!(fail(&mut b, t0, 2), [OPENED]);
}

#[test]
fn the_ratio_rule_opens_on_scattered_failures() {
    let t0 = Instant::now();
    let config = CircuitBreaker::default().failure_ratio(0.5, 10, 10 * SEC);
    let mut b = BreakerState::new(config, t0);
    // Alternating: never two failures in a row, half of them failed.
    for i in 0..9 {
        let outcome = if i % 2 == 0 {
            Outcome::Failure
        } else {
            Outcome::Success
        };
        assert_eq!(b.record(t0, outcome, false), None, "{i}");
    }
    // 5 failures of 9: over the ratio, but under the minimum count.
    assert_eq!(b.snapshot(t0).state, CircuitState::Closed);
    assert_eq!(b.record(t0, Outcome::Success, false), None);
    // 6 of 11.
    assert_eq!(b.record(t0, Outcome::Failure, false), Some(OPENED));
}

#[test]
fn the_ratio_window_forgets_old_failures() {
    let t0 = Instant::now();
    let config = CircuitBreaker::default()
        .consecutive_failures(u32::MAX)
        .failure_ratio(0.5, 4, 10 * SEC);
    let mut b = BreakerState::new(config, t0);
    assert!(fail(&mut b, t0, 3).is_empty());
    let later = t0 + 10 * SEC;
    for _ in 0..3 {
        assert_eq!(b.record(later, Outcome::Success, false), None);
    }
    // 1 of 4, then 2 of 5 in the window: the three old failures are
    // forgotten (with them, 4 of 7 would have opened it already).
    assert!(fail(&mut b, later, 2).is_empty());
    // 3 of 6.
    assert_eq!(fail(&mut b, later, 1), [OPENED]);
}

#[test]
fn rejects_while_open_until_the_cool_down_ends() {
    let t0 = Instant::now();
    let mut b = opened(t0);
    let reject = (
        Admit::Reject {
            retry_at: t0 + 30 * SEC,
        },
        None,
    );
    assert_eq!(b.admit(t0), reject);
    assert_eq!(b.admit(t0 + 29 * SEC), reject);
    // Late outcomes of requests admitted before it opened are ignored.
    assert_eq!(b.record(t0, Outcome::Success, false), None);
    assert_eq!(b.snapshot(t0).state, CircuitState::Open);
    assert_eq!(b.snapshot(t0).rejected, 2);
    assert_eq!(b.admit(t0 + 30 * SEC), (Admit::Probe, Some(HALF_OPENED)));
}

#[test]
fn one_probe_at_a_time_while_half_open() {
    let t0 = Instant::now();
    let mut b = opened(t0);
    let t1 = t0 + 30 * SEC;
    assert_eq!(b.admit(t1).0, Admit::Probe);
    let reject = (
        Admit::Reject {
            retry_at: t1 + 30 * SEC,
        },
        None,
    );
    assert_eq!(b.admit(t1), reject);
    assert_eq!(b.admit(t1 + SEC), reject);
    // A non-probe outcome (admitted before the circuit opened) does
    // not decide.
    assert_eq!(b.record(t1, Outcome::Success, false), None);
    let s = b.snapshot(t1);
    assert_eq!(
        (s.state, s.retry_at),
        (CircuitState::HalfOpen, Some(t1 + 30 * SEC))
    );
}

#[test]
fn a_successful_probe_closes_the_circuit() {
    let t0 = Instant::now();
    let mut b = opened(t0);
    let t1 = t0 + 30 * SEC;
    assert_eq!(b.admit(t1).0, Admit::Probe);
    assert_eq!(
        b.record(t1 + SEC, Outcome::Success, true),
        Some(CircuitTransition {
            from: CircuitState::HalfOpen,
            to: CircuitState::Closed,
        })
    );
    assert_eq!(b.admit(t1 + SEC), (Admit::Allow, None));
    // The count starts again from zero.
    assert!(fail(&mut b, t1 + SEC, 4).is_empty());
    assert_eq!(fail(&mut b, t1 + SEC, 1), [OPENED]);
    assert_eq!(b.snapshot(t1 + SEC).opened, 2);
}

#[test]
fn a_failed_probe_opens_it_again() {
    let t0 = Instant::now();
    let mut b = opened(t0);
    let t1 = t0 + 30 * SEC;
    assert_eq!(b.admit(t1).0, Admit::Probe);
    let t2 = t1 + 2 * SEC;
    assert_eq!(
        b.record(t2, Outcome::Failure, true),
        Some(CircuitTransition {
            from: CircuitState::HalfOpen,
            to: CircuitState::Open,
        })
    );
    assert_eq!(
        b.admit(t2),
        (
            Admit::Reject {
                retry_at: t2 + 30 * SEC
            },
            None
        )
    );
    assert_eq!(b.snapshot(t2).opened, 2);
    assert_eq!(b.admit(t2 + 30 * SEC), (Admit::Probe, Some(HALF_OPENED)));
}

#[test]
fn an_abandoned_probe_lets_the_next_request_probe() {
    let t0 = Instant::now();
    let mut b = opened(t0);
    let t1 = t0 + 30 * SEC;
    assert_eq!(b.admit(t1).0, Admit::Probe);
    b.probe_abandoned();
    assert_eq!(b.snapshot(t1).retry_at, None);
    assert_eq!(b.admit(t1 + SEC), (Admit::Probe, None));
}

#[test]
fn a_lost_probe_expires_after_a_cool_down() {
    let t0 = Instant::now();
    let mut b = opened(t0);
    let t1 = t0 + 30 * SEC;
    assert_eq!(b.admit(t1).0, Admit::Probe);
    assert!(matches!(b.admit(t1 + 29 * SEC).0, Admit::Reject { .. }));
    assert_eq!(b.admit(t1 + 30 * SEC), (Admit::Probe, None));
    // Abandoning outside half-open changes nothing.
    let mut closed = BreakerState::new(CircuitBreaker::default(), t0);
    closed.probe_abandoned();
    assert_eq!(closed.admit(t0), (Admit::Allow, None));
}

#[test]
fn configuration_is_clamped() {
    let c = CircuitBreaker::default()
        .consecutive_failures(0)
        .failure_ratio(f64::NAN, 0, Duration::ZERO);
    assert_eq!(c.consecutive, 1);
    assert_eq!(
        c.ratio,
        Some(RatioRule {
            ratio_milli: 1000,
            min_requests: 1,
            window: SEC,
        })
    );
    let c = CircuitBreaker::default().failure_ratio(7.0, 3, SEC);
    assert_eq!(c.ratio.unwrap().ratio_milli, 1000);
    assert_eq!(CircuitState::HalfOpen.to_string(), "half-open");
}

#[test]
fn the_longest_cool_down_is_a_century_in_every_state() {
    let century = LONGEST_COOL_DOWN;
    let config = CircuitBreaker::default()
        .consecutive_failures(1)
        .failure_ratio(0.5, 1, Duration::MAX)
        .cool_down(Duration::MAX);
    assert_eq!(config.cool_down, century);
    let t0 = Instant::now();
    let mut b = BreakerState::new(config, t0);
    assert_eq!(fail(&mut b, t0, 1), [OPENED]);
    assert_eq!(b.snapshot(t0).retry_at, Some(t0 + century));
    let reject = (
        Admit::Reject {
            retry_at: t0 + century,
        },
        None,
    );
    assert_eq!(b.admit(t0 + century / 2), reject);
    // The probe, and one that was lost, in a century.
    let t1 = t0 + century;
    assert_eq!(b.admit(t1), (Admit::Probe, Some(HALF_OPENED)));
    assert_eq!(b.snapshot(t1).retry_at, Some(t1 + century));
    assert!(matches!(b.admit(t1 + SEC).0, Admit::Reject { .. }));
    assert_eq!(b.admit(t1 + century).0, Admit::Probe);
}
