//! The per-host circuit breaker: stop sending to a host that keeps failing,
//! and find out, one request at a time, when it is back.
//!
//! Retries ride through a blip; when a backend is down for a while they
//! only add load and latency (every request waits out its attempts before
//! it fails). A breaker fails requests at once instead, for a cool-down,
//! then lets a single request through to probe:
//!
//! ```text
//!            N consecutive failures,
//!            or the failure ratio tripped
//!   Closed ──────────────────────────────► Open { until }
//!     ▲                                      │ cool-down over: the next
//!     │ the probe succeeds                   │ request is the probe
//!     │                                      ▼
//!     └────────────────────────────── HalfOpen { probe }
//!                  the probe fails: Open again, for another cool-down
//! ```
//!
//! This is the classic pattern (Nygard, *Release It!*), with Hystrix's
//! single half-open probe. All transitions are in [`BreakerState`]'s three
//! methods, the clock is passed in, and what counts as a failure is the
//! client's call: the breaker only hears [`Outcome`]s.

use crate::window::SlidingWindow;
use std::fmt;
use std::time::{Duration, Instant};

/// A per-host circuit breaker's settings. Off unless set on the client.
///
/// Defaults: opens after 5 consecutive failures, no failure-ratio rule,
/// a 30 s cool-down.
///
/// ```
/// use brisk::CircuitBreaker;
/// use std::time::Duration;
///
/// let breaker = CircuitBreaker::default()
///     .consecutive_failures(3)
///     .failure_ratio(0.5, 20, Duration::from_secs(30))
///     .cool_down(Duration::from_secs(10));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CircuitBreaker {
    consecutive: u32,
    ratio: Option<RatioRule>,
    cool_down: Duration,
}

/// Opens when, over `window`, at least `min_requests` ended and the share
/// of failures among them reached `ratio_milli` thousandths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct RatioRule {
    ratio_milli: u64,
    min_requests: u64,
    window: Duration,
}

impl Default for CircuitBreaker {
    fn default() -> Self {
        CircuitBreaker {
            consecutive: 5,
            ratio: None,
            cool_down: Duration::from_secs(30),
        }
    }
}

/// The longest cool-down, a century: an open circuit's end is the clock
/// plus the cool-down, and `Instant + Duration::MAX` overflows (a panic),
/// while any clock reading plus a century is an instant.
const LONGEST_COOL_DOWN: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// The window over which requests are counted when no ratio rule sets one:
/// the counts still show in [`CircuitSnapshot`].
const STATS_WINDOW: Duration = Duration::from_secs(10);

impl CircuitBreaker {
    /// Opens the circuit after `n` failures in a row. 0 is taken as 1.
    /// Default: 5.
    pub fn consecutive_failures(mut self, n: u32) -> Self {
        self.consecutive = n.max(1);
        self
    }

    /// Also opens the circuit when, over the last `window`, at least
    /// `min_requests` requests ended and at least `ratio` of them failed
    /// (0.5: half). This catches a host that fails often but not in a row.
    /// `ratio` is kept to the thousandth and clamped to 0–1 (NaN is 1);
    /// `window` is at least 1 s. Default: no ratio rule.
    pub fn failure_ratio(mut self, ratio: f64, min_requests: u32, window: Duration) -> Self {
        let ratio = if ratio.is_nan() {
            1.0
        } else {
            ratio.clamp(0.0, 1.0)
        };
        self.ratio = Some(RatioRule {
            ratio_milli: (ratio * 1000.0).round() as u64,
            min_requests: u64::from(min_requests.max(1)),
            window: window.max(Duration::from_secs(1)),
        });
        self
    }

    /// How long the circuit stays open before it lets a probe through.
    /// Default: 30 s. At most a century (longer is
    /// taken as that): `Duration::MAX` keeps an open circuit open for good.
    pub fn cool_down(mut self, cool_down: Duration) -> Self {
        self.cool_down = cool_down.min(LONGEST_COOL_DOWN);
        self
    }
}

/// A circuit's state, as shown in stats and events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CircuitState {
    /// Requests go through; failures are counted.
    Closed,
    /// Requests fail at once until the cool-down is over.
    Open,
    /// One request (the probe) goes through; its outcome closes the
    /// circuit or opens it again. Others fail at once meanwhile.
    HalfOpen,
}

impl fmt::Display for CircuitState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CircuitState::Closed => "closed",
            CircuitState::Open => "open",
            CircuitState::HalfOpen => "half-open",
        })
    }
}

/// A circuit changed state: closed → open, open → half-open, half-open →
/// closed, or half-open → open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CircuitTransition {
    /// The state before.
    pub from: CircuitState,
    /// The state after.
    pub to: CircuitState,
}

impl fmt::Display for CircuitTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -> {}", self.from, self.to)
    }
}

/// One host's circuit, for [`ClientStats`](crate::ClientStats).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CircuitSnapshot {
    /// The current state. An open circuit whose cool-down is over stays
    /// open until a request comes to probe it.
    pub state: CircuitState,
    /// Failures in a row, while closed (0 otherwise).
    pub consecutive_failures: u32,
    /// Requests that ended in the recent window (the failure-ratio window,
    /// or 10 s without a ratio rule), while closed (0 otherwise).
    pub recent_requests: u64,
    /// How many of those failed.
    pub recent_failures: u64,
    /// When a request may next be let through: the end of the cool-down
    /// while open, the probe's expiry while a probe is in flight, `None`
    /// when a request would go through now.
    pub retry_at: Option<Instant>,
    /// How many times the circuit opened (or opened again after a failed
    /// probe).
    pub opened: u64,
    /// Requests refused because the circuit was open or probing.
    pub rejected: u64,
}

/// Whether a request may go to the host now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Admit {
    /// Closed: go ahead.
    Allow,
    /// Go ahead as the half-open probe: report its outcome with
    /// `was_probe: true`, or call [`BreakerState::probe_abandoned`] if it
    /// ends without one (cancelled, dropped).
    Probe,
    /// Fail at once; the circuit may let a request through at `retry_at`.
    Reject {
        /// The end of the cool-down, or of the probe in flight.
        retry_at: Instant,
    },
}

/// How a request ended, for the breaker. The client decides what counts
/// as a failure (connect errors, timeouts, 5xx).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The host answered (any status the client does not count as a
    /// failure).
    Success,
    /// The host failed the request.
    Failure,
}

/// One host's circuit. The client keeps one per host, behind a mutex.
#[derive(Clone, Debug)]
pub(crate) struct BreakerState {
    config: CircuitBreaker,
    state: State,
    opened: u64,
    rejected: u64,
}

#[derive(Clone, Debug)]
enum State {
    Closed {
        consecutive: u32,
        /// `[successes, failures]` over the ratio window. Boxed so that
        /// the other states do not carry its size.
        recent: Box<SlidingWindow<2>>,
    },
    Open {
        until: Instant,
    },
    HalfOpen {
        /// When the probe in flight was let through; `None` when there is
        /// none (not yet, or abandoned).
        probe_since: Option<Instant>,
    },
}

const SUCCESSES: usize = 0;
const FAILURES: usize = 1;

impl BreakerState {
    pub(crate) fn new(config: CircuitBreaker, now: Instant) -> Self {
        BreakerState {
            state: closed(&config, now),
            config,
            opened: 0,
            rejected: 0,
        }
    }

    /// Asks whether a request may go now. An open circuit whose cool-down
    /// is over becomes half-open here, and this request is its probe.
    ///
    /// A probe that never reports (its future dropped without
    /// [`probe_abandoned`](Self::probe_abandoned)) expires after one
    /// cool-down, and the next request probes instead: a lost probe must
    /// not leave the circuit half-open for ever. A very slow probe may
    /// thus overlap the next one; the first outcome to arrive decides.
    pub(crate) fn admit(&mut self, now: Instant) -> (Admit, Option<CircuitTransition>) {
        match self.state {
            State::Closed { .. } => (Admit::Allow, None),
            State::Open { until } if now >= until => {
                self.state = State::HalfOpen {
                    probe_since: Some(now),
                };
                (
                    Admit::Probe,
                    Some(transition(CircuitState::Open, CircuitState::HalfOpen)),
                )
            }
            State::Open { until } => self.reject(until),
            State::HalfOpen { probe_since } => match probe_since {
                Some(since) if now < since + self.config.cool_down => {
                    self.reject(since + self.config.cool_down)
                }
                // No probe in flight, or it expired: this one probes.
                _ => {
                    self.state = State::HalfOpen {
                        probe_since: Some(now),
                    };
                    (Admit::Probe, None)
                }
            },
        }
    }

    fn reject(&mut self, retry_at: Instant) -> (Admit, Option<CircuitTransition>) {
        self.rejected += 1;
        (Admit::Reject { retry_at }, None)
    }

    /// A request let through by [`admit`](Self::admit) ended.
    ///
    /// Outcomes that arrive while the circuit is open, or half-open but
    /// not from a probe, belong to requests admitted before it opened:
    /// they say nothing about the host now and are ignored.
    pub(crate) fn record(
        &mut self,
        now: Instant,
        outcome: Outcome,
        was_probe: bool,
    ) -> Option<CircuitTransition> {
        match &mut self.state {
            State::Closed {
                consecutive,
                recent,
            } => {
                match outcome {
                    Outcome::Success => {
                        *consecutive = 0;
                        recent.add(SUCCESSES, now);
                        return None;
                    }
                    Outcome::Failure => {
                        *consecutive = consecutive.saturating_add(1);
                        recent.add(FAILURES, now);
                    }
                }
                let tripped = *consecutive >= self.config.consecutive
                    || self.config.ratio.is_some_and(|rule| {
                        let [ok, failed] = recent.sums(now);
                        let ended = ok + failed;
                        ended >= rule.min_requests
                            && u128::from(failed) * 1000
                                >= u128::from(rule.ratio_milli) * u128::from(ended)
                    });
                tripped.then(|| self.open(now, CircuitState::Closed))
            }
            State::Open { .. } => None,
            State::HalfOpen { .. } if !was_probe => None,
            State::HalfOpen { .. } => match outcome {
                Outcome::Success => {
                    self.state = closed(&self.config, now);
                    Some(transition(CircuitState::HalfOpen, CircuitState::Closed))
                }
                Outcome::Failure => Some(self.open(now, CircuitState::HalfOpen)),
            },
        }
    }

    /// The probe ended without an outcome (the caller dropped it, or it
    /// failed in a way that says nothing about the host): the next
    /// request may probe at once.
    pub(crate) fn probe_abandoned(&mut self) {
        if let State::HalfOpen { probe_since } = &mut self.state {
            *probe_since = None;
        }
    }

    fn open(&mut self, now: Instant, from: CircuitState) -> CircuitTransition {
        self.opened += 1;
        self.state = State::Open {
            until: now + self.config.cool_down,
        };
        transition(from, CircuitState::Open)
    }

    pub(crate) fn snapshot(&self, now: Instant) -> CircuitSnapshot {
        let mut snap = CircuitSnapshot {
            state: CircuitState::Closed,
            consecutive_failures: 0,
            recent_requests: 0,
            recent_failures: 0,
            retry_at: None,
            opened: self.opened,
            rejected: self.rejected,
        };
        match &self.state {
            State::Closed {
                consecutive,
                recent,
            } => {
                let [ok, failed] = recent.sums(now);
                snap.consecutive_failures = *consecutive;
                snap.recent_requests = ok + failed;
                snap.recent_failures = failed;
            }
            State::Open { until } => {
                snap.state = CircuitState::Open;
                snap.retry_at = Some(*until);
            }
            State::HalfOpen { probe_since } => {
                snap.state = CircuitState::HalfOpen;
                snap.retry_at = probe_since.map(|since| since + self.config.cool_down);
            }
        }
        snap
    }
}

fn closed(config: &CircuitBreaker, now: Instant) -> State {
    let window = config.ratio.map_or(STATS_WINDOW, |rule| rule.window);
    State::Closed {
        consecutive: 0,
        recent: Box::new(SlidingWindow::new(window, now)),
    }
}

fn transition(from: CircuitState, to: CircuitState) -> CircuitTransition {
    CircuitTransition { from, to }
}

#[cfg(test)]
mod tests;
