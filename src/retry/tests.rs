use super::*;
use std::time::Instant;

const MS: Duration = Duration::from_millis(1);
const SEC: Duration = Duration::from_secs(1);

/// Every draw is the largest, so every backoff is exactly its ceiling.
fn policy() -> RetryPolicy {
    RetryPolicy::default().with_rng(|| u64::MAX)
}

fn ctx(end: AttemptEnd) -> AttemptContext<'static> {
    AttemptContext {
        attempt: 1,
        resent: false,
        method: "GET",
        idempotency_key: false,
        marked_retryable: false,
        replayable: true,
        time_left: None,
        end,
    }
}

fn status(status: u16) -> AttemptEnd {
    AttemptEnd::Response {
        status,
        hint: Hint::None,
        should_retry: None,
    }
}

fn failed(fault: Fault, progress: Progress, reused: bool) -> AttemptEnd {
    AttemptEnd::Failed {
        fault,
        progress,
        reused,
    }
}

fn retry(delay: Duration, reason: RetryReason) -> Decision {
    Decision::Retry {
        delay,
        reason,
        hinted: false,
    }
}

fn stop(reason: StopReason) -> Decision {
    Decision::Stop(reason)
}

#[test]
fn backoff_doubles_to_the_cap_with_exact_draws() {
    let p = policy();
    let ceilings: Vec<_> = (1..=7).map(|k| p.backoff_delay(k)).collect();
    assert_eq!(
        ceilings,
        [500 * MS, SEC, 2 * SEC, 4 * SEC, 8 * SEC, 8 * SEC, 8 * SEC]
    );
    // Retry 0 is read as the first; huge retry numbers give the cap.
    assert_eq!(p.backoff_delay(0), 500 * MS);
    assert_eq!(p.backoff_delay(64), 8 * SEC);
    assert_eq!(p.backoff_delay(200), 8 * SEC);
    assert_eq!(p.backoff_delay(u32::MAX), 8 * SEC);

    let zero = RetryPolicy::default().with_rng(|| 0);
    assert_eq!(zero.backoff_delay(1), Duration::ZERO);
    assert_eq!(zero.backoff_delay(9), Duration::ZERO);
    let half = RetryPolicy::default().with_rng(|| u64::MAX / 2);
    assert_eq!(half.backoff_delay(1), 250 * MS);
    assert_eq!(half.backoff_delay(3), SEC);
}

#[test]
fn backoff_never_overflows() {
    let huge = policy().backoff(Duration::MAX, Duration::MAX);
    assert_eq!(huge.backoff_delay(1), Duration::from_nanos(u64::MAX));
    assert_eq!(huge.backoff_delay(u32::MAX), Duration::from_nanos(u64::MAX));
    let one_ns = policy().backoff(Duration::from_nanos(1), Duration::MAX);
    assert_eq!(one_ns.backoff_delay(64), Duration::from_nanos(1 << 63));
    assert_eq!(one_ns.backoff_delay(65), Duration::from_nanos(u64::MAX));
    assert_eq!(one_ns.backoff_delay(1000), Duration::from_nanos(u64::MAX));
    let nothing = policy().backoff(Duration::ZERO, Duration::MAX);
    assert_eq!(nothing.backoff_delay(100), Duration::ZERO);
    // A cap below the base: every wait is capped.
    let capped = policy().backoff(SEC, 300 * MS);
    assert_eq!(capped.backoff_delay(1), 300 * MS);
}

#[test]
fn the_default_generator_spreads_within_the_ceiling() {
    let p = RetryPolicy::default();
    let delays: Vec<_> = (0..200).map(|_| p.backoff_delay(2)).collect();
    assert!(delays.iter().all(|d| *d <= SEC));
    assert!(delays.iter().any(|d| *d < 500 * MS));
    assert!(delays.iter().any(|d| *d > 500 * MS));
}

#[test]
fn configuration() {
    let p = RetryPolicy::default().retry_statuses(&[429, 42, 1000, 999]);
    assert!(p.is_retryable_status(429));
    assert!(p.is_retryable_status(999));
    assert!(!p.is_retryable_status(503));
    assert!(!p.is_retryable_status(42));
    assert!(!p.is_retryable_status(1000));
    assert!(!p.is_retryable_status(u16::MAX));
    assert_eq!(RetryPolicy::default().attempts(0).attempts, 1);
    assert_eq!(RetryPolicy::none().attempts, 1);
    assert_eq!(
        RetryPolicy::default().budget_config(),
        Some(RetryBudget::default())
    );
    assert_eq!(RetryPolicy::default().no_budget().budget_config(), None);
    // Debug needs nothing from the generator, and does not print it.
    let shown = format!("{:?}", policy());
    assert!(
        shown.contains("statuses: {408, 429, 500, 502, 503, 504}"),
        "{shown}"
    );
    assert!(shown.contains("rng: \"injected\""), "{shown}");
    assert!(format!("{:?}", RetryPolicy::none()).contains("\"default\""));
}

#[test]
fn retried_statuses_back_off_until_attempts_run_out() {
    let p = policy();
    let mut c = ctx(status(503));
    assert_eq!(p.decide(&c), retry(500 * MS, RetryReason::Status(503)));
    c.attempt = 2;
    assert_eq!(p.decide(&c), retry(SEC, RetryReason::Status(503)));
    c.attempt = 3;
    assert_eq!(p.decide(&c), stop(StopReason::AttemptsExhausted));
    assert_eq!(
        RetryPolicy::none().decide(&ctx(status(503))),
        stop(StopReason::AttemptsExhausted)
    );
    for ok in [200, 201, 301, 400, 401, 404, 409, 501] {
        assert_eq!(
            p.decide(&ctx(status(ok))),
            stop(StopReason::NotRetryable),
            "{ok}"
        );
    }
}

#[test]
fn x_should_retry_overrides_the_status_rule() {
    let p = policy();
    let now = SystemTime::UNIX_EPOCH;
    let end =
        |status, value| p.response_end(status, |n| (n == "x-should-retry").then_some(value), now);
    assert_eq!(
        p.decide(&ctx(end(404, "true"))),
        retry(500 * MS, RetryReason::Status(404))
    );
    assert_eq!(
        p.decide(&ctx(end(503, "false"))),
        stop(StopReason::NotRetryable)
    );
    assert_eq!(
        p.decide(&ctx(end(503, "maybe"))),
        retry(500 * MS, RetryReason::Status(503))
    );
    // It overrides the status list, not the safety rule.
    let mut post = ctx(end(404, "true"));
    post.method = "POST";
    assert_eq!(p.decide(&post), stop(StopReason::NotSafeToRepeat));
}

#[test]
fn server_hints_replace_the_backoff_up_to_the_cap() {
    let p = policy().max_retry_after(10 * SEC);
    let now = SystemTime::UNIX_EPOCH;
    let end = |value| p.response_end(429, |n| (n == "retry-after").then_some(value), now);
    assert_eq!(
        p.decide(&ctx(end("3"))),
        Decision::Retry {
            delay: 3 * SEC,
            reason: RetryReason::Status(429),
            hinted: true,
        }
    );
    assert_eq!(
        p.decide(&ctx(end("11"))),
        stop(StopReason::HintTooLong(11 * SEC))
    );
    assert_eq!(
        p.decide(&ctx(end("garbage"))),
        retry(500 * MS, RetryReason::Status(429))
    );
    // A hint on a status that is not retried changes nothing.
    let end = p.response_end(404, |n| (n == "retry-after").then_some("1"), now);
    assert_eq!(p.decide(&ctx(end)), stop(StopReason::NotRetryable));
}

#[test]
fn only_requests_safe_to_repeat_are_retried() {
    let p = policy();
    let mut c = ctx(status(503));
    c.method = "POST";
    assert_eq!(p.decide(&c), stop(StopReason::NotSafeToRepeat));
    c.method = "get";
    assert_eq!(p.decide(&c), stop(StopReason::NotSafeToRepeat));
    for method in ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"] {
        c.method = method;
        assert!(matches!(p.decide(&c), Decision::Retry { .. }));
    }
    c.method = "PATCH";
    c.idempotency_key = true;
    assert!(matches!(p.decide(&c), Decision::Retry { .. }));
    c.idempotency_key = false;
    c.marked_retryable = true;
    assert!(matches!(p.decide(&c), Decision::Retry { .. }));
}

#[test]
fn a_one_shot_body_is_never_sent_twice() {
    let p = policy();
    let mut c = ctx(status(503));
    c.replayable = false;
    assert_eq!(p.decide(&c), stop(StopReason::BodyNotReplayable));
    c.end = failed(Fault::Transport, Progress::SentNoResponse, true);
    assert_eq!(p.decide(&c), stop(StopReason::BodyNotReplayable));
}

#[test]
fn no_retry_starts_that_would_reach_the_deadline() {
    let p = policy();
    let mut c = ctx(status(503));
    c.time_left = Some(400 * MS);
    assert_eq!(p.decide(&c), stop(StopReason::Deadline { delay: 500 * MS }));
    c.time_left = Some(500 * MS);
    assert_eq!(p.decide(&c), stop(StopReason::Deadline { delay: 500 * MS }));
    c.time_left = Some(501 * MS);
    assert_eq!(p.decide(&c), retry(500 * MS, RetryReason::Status(503)));
    // Even a free re-send needs some time left.
    c.end = failed(Fault::Transport, Progress::SentNoResponse, true);
    c.time_left = Some(Duration::ZERO);
    assert_eq!(
        p.decide(&c),
        stop(StopReason::Deadline {
            delay: Duration::ZERO
        })
    );
}

#[test]
fn the_budget_is_drawn_only_for_a_retry_that_happens() {
    let now = Instant::now();
    let p = policy();
    let mut budget = BudgetState::new(RetryBudget::default().min_per_sec(0), now);
    for _ in 0..5 {
        budget.deposit(now);
    }
    let mut c = ctx(status(503));
    // A retry stopped by the deadline draws nothing.
    c.time_left = Some(MS);
    assert!(matches!(
        charged(&p, &c, &mut budget, now),
        Decision::Stop(_)
    ));
    assert_eq!(budget.snapshot(now).withdrawals, 0);
    c.time_left = None;
    assert_eq!(
        charged(&p, &c, &mut budget, now),
        retry(500 * MS, RetryReason::Status(503))
    );
    assert_eq!(
        charged(&p, &c, &mut budget, now),
        stop(StopReason::BudgetExhausted)
    );
    let s = budget.snapshot(now);
    assert_eq!((s.withdrawals, s.refused), (1, 1));
    // A policy without a budget ignores the host's.
    assert_eq!(
        charged(&p.clone().no_budget(), &c, &mut budget, now),
        retry(500 * MS, RetryReason::Status(503))
    );
    // Free re-sends draw nothing either.
    c.end = failed(Fault::Transport, Progress::SentNoResponse, true);
    assert_eq!(
        charged(&p, &c, &mut budget, now),
        Decision::ResendNow {
            reason: RetryReason::StaleConnection
        }
    );
    assert_eq!(budget.snapshot(now).withdrawals, 1);
}

#[test]
fn a_stale_connection_is_resent_at_once_then_goes_through_the_policy() {
    let p = policy();
    let mut c = ctx(failed(Fault::Transport, Progress::SentNoResponse, true));
    let resend = Decision::ResendNow {
        reason: RetryReason::StaleConnection,
    };
    assert_eq!(p.decide(&c), resend);
    // Not an attempt: even a policy of one attempt re-sends.
    assert_eq!(RetryPolicy::none().decide(&c), resend);
    // The second time in the same attempt, it is an ordinary failure.
    c.resent = true;
    assert_eq!(p.decide(&c), retry(500 * MS, RetryReason::StaleConnection));
    assert_eq!(
        RetryPolicy::none().decide(&c),
        stop(StopReason::AttemptsExhausted)
    );
    // The server may have seen a POST: not re-sent.
    c.resent = false;
    c.method = "POST";
    assert_eq!(p.decide(&c), stop(StopReason::NotSafeToRepeat));
    // On a fresh connection, it is not staleness: not retried.
    c.method = "GET";
    c.end = failed(Fault::Transport, Progress::SentNoResponse, false);
    assert_eq!(p.decide(&c), stop(StopReason::NotRetryable));
}

#[test]
fn a_request_never_written_is_resent_whatever_its_method() {
    let p = policy();
    let mut c = ctx(failed(Fault::Transport, Progress::NotSent, false));
    c.method = "POST";
    assert_eq!(
        p.decide(&c),
        Decision::ResendNow {
            reason: RetryReason::Unsent
        }
    );
    c.resent = true;
    assert_eq!(p.decide(&c), retry(500 * MS, RetryReason::Unsent));
}

#[test]
fn connect_failures_retry_with_backoff_even_for_a_post() {
    let p = policy();
    for (fault, reason) in [
        (Fault::Connect, RetryReason::Connect),
        (Fault::Tls, RetryReason::Tls),
        (Fault::ConnectTimeout, RetryReason::ConnectTimeout),
    ] {
        let mut c = ctx(failed(fault, Progress::NotSent, false));
        c.method = "POST";
        assert_eq!(p.decide(&c), retry(500 * MS, reason));
    }
}

#[test]
fn a_read_head_timeout_retries_only_what_is_safe_to_repeat() {
    let p = policy();
    // On a reused connection too: a timeout is a slow server, not a stale
    // connection, so it gets no free re-send.
    let mut c = ctx(failed(
        Fault::ReadHeadTimeout,
        Progress::SentNoResponse,
        true,
    ));
    assert_eq!(p.decide(&c), retry(500 * MS, RetryReason::ReadHeadTimeout));
    c.method = "POST";
    assert_eq!(p.decide(&c), stop(StopReason::NotSafeToRepeat));
}

#[test]
fn some_failures_are_never_retried() {
    let p = policy();
    for end in [
        failed(Fault::Certificate, Progress::NotSent, false),
        failed(Fault::Other, Progress::NotSent, false),
        failed(Fault::Other, Progress::SentNoResponse, true),
        failed(Fault::Transport, Progress::ResponseStarted, true),
        failed(Fault::ReadHeadTimeout, Progress::ResponseStarted, false),
    ] {
        assert_eq!(
            p.decide(&ctx(end)),
            stop(StopReason::NotRetryable),
            "{end:?}"
        );
    }
}

#[test]
fn reasons_display_fixed_lowercase_text() {
    assert_eq!(RetryReason::Status(429).to_string(), "status 429");
    assert_eq!(
        RetryReason::StaleConnection.to_string(),
        "reused connection was closed"
    );
    assert_eq!(
        StopReason::Deadline { delay: SEC }.to_string(),
        "retry would pass the deadline"
    );
}

/// The call's order: the decision, then (for a retry) the budget.
fn charged(
    p: &RetryPolicy,
    c: &AttemptContext<'_>,
    budget: &mut BudgetState,
    now: Instant,
) -> Decision {
    match p.decide(c) {
        Decision::Retry { .. } if !p.spend(Some(budget), now) => {
            Decision::Stop(StopReason::BudgetExhausted)
        }
        d => d,
    }
}
