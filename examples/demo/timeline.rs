//! What the demo records as it runs: a log of the client's attempt events
//! (through `ClientBuilder::on_event`), and the timeline the SVG is drawn
//! from, in seconds from each section's start.

use brisk::{CircuitState, Event};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One event, as the log keeps it: owned, so it outlives the hook call.
#[derive(Clone, Debug)]
pub enum Logged {
    /// An attempt is about to go out.
    Start { attempt: u32 },
    /// An attempt's response head arrived.
    Head { attempt: u32, status: u16 },
    /// A response's body ended.
    BodyEnd,
    /// An attempt failed (it may still be retried).
    Failed { error: String },
    /// The request will be sent again after `delay`.
    Retry {
        attempt: u32,
        delay: Duration,
        reason: String,
        hinted: bool,
    },
    /// The host's circuit changed state.
    Circuit {
        from: CircuitState,
        to: CircuitState,
    },
}

/// The events a client's hook saw, with when it saw them, and a count of
/// finished responses for the progress line.
#[derive(Clone, Default)]
pub struct EventLog {
    events: Arc<Mutex<Vec<(Instant, Logged)>>>,
    /// Response bodies that ended: finished calls, for the progress line.
    pub done: Arc<AtomicUsize>,
    /// Whether to keep events (the 1,000-call runs only count).
    keep: Arc<std::sync::atomic::AtomicBool>,
}

impl EventLog {
    /// A log that keeps events.
    pub fn new() -> EventLog {
        let log = EventLog::default();
        log.keep.store(true, Ordering::Relaxed);
        log
    }

    /// A log that only counts finished calls.
    pub fn counting() -> EventLog {
        EventLog::default()
    }

    /// The hook to hand to `ClientBuilder::on_event`. It runs on the
    /// request's own task, so it only copies what it needs and returns.
    pub fn hook(&self) -> impl Fn(&mut Event<'_>) + Send + Sync + 'static {
        let log = self.clone();
        move |event| {
            let logged = match event {
                Event::BodyEnd { .. } => {
                    log.done.fetch_add(1, Ordering::Relaxed);
                    Logged::BodyEnd
                }
                Event::RequestStart { attempt, .. } => Logged::Start { attempt: *attempt },
                Event::ResponseHead {
                    attempt, status, ..
                } => Logged::Head {
                    attempt: *attempt,
                    status: status.as_u16(),
                },
                Event::Error { error, .. } => Logged::Failed {
                    error: brief(error),
                },
                Event::RetryScheduled {
                    attempt,
                    delay,
                    reason,
                    hinted,
                    ..
                } => Logged::Retry {
                    attempt: *attempt,
                    delay: *delay,
                    reason: reason.to_string(),
                    hinted: *hinted,
                },
                Event::Circuit { transition, .. } => Logged::Circuit {
                    from: transition.from,
                    to: transition.to,
                },
                _ => return,
            };
            if log.keep.load(Ordering::Relaxed) {
                let mut events = log.events.lock().unwrap_or_else(|e| e.into_inner());
                events.push((Instant::now(), logged));
            }
        }
    }

    /// Takes the events logged so far, oldest first.
    pub fn take(&self) -> Vec<(Instant, Logged)> {
        std::mem::take(&mut *self.events.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Starts a new count of finished calls.
    pub fn reset_done(&self) {
        self.done.store(0, Ordering::Relaxed);
    }
}

/// An error in a few words: what failed, without the URL.
pub fn brief(error: &brisk::Error) -> String {
    if error.is_circuit_open() {
        "circuit open".to_string()
    } else if error.is_connect() {
        "connection refused".to_string()
    } else if error.is_timeout() {
        match error.phase() {
            Some(phase) => format!("timed out ({phase})"),
            None => "timed out".to_string(),
        }
    } else if error.is_io() {
        // A pooled connection the backend dropped (brisk re-sends such a
        // request on a fresh connection at once).
        "connection lost".to_string()
    } else {
        error.to_string()
    }
}

/// How a bar's request ended, which sets its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Answered.
    Ok,
    /// Failed after trying (the server was reached, or tried).
    Failed,
    /// Refused at once by an open circuit: nothing was sent.
    Rejected,
    /// Cut at its deadline.
    TimedOut,
}

/// A mark on a bar: an attempt that failed, and why.
#[derive(Clone, Debug)]
pub struct Mark {
    /// Seconds from the section's start.
    pub at: f64,
    /// What to write beside it (`503`, `429`, `refused`).
    pub label: String,
}

/// One request, or one batch drawn as one bar.
#[derive(Clone, Debug)]
pub struct Bar {
    /// Written left of the bar.
    pub label: String,
    /// Seconds from the section's start.
    pub start: f64,
    pub end: f64,
    pub outcome: Outcome,
    /// Failed attempts on the way.
    pub marks: Vec<Mark>,
    /// Waits between attempts (backoff or a server's hint): drawn paler.
    pub waits: Vec<(f64, f64)>,
    /// Written right of the bar.
    pub note: String,
}

impl Bar {
    /// A bar from `start` to `end` (seconds since `origin`).
    pub fn new(label: impl Into<String>, origin: Instant, start: Instant, end: Instant) -> Bar {
        Bar {
            label: label.into(),
            start: secs(origin, start),
            end: secs(origin, end),
            outcome: Outcome::Ok,
            marks: Vec::new(),
            waits: Vec::new(),
            note: String::new(),
        }
    }

    pub fn outcome(mut self, outcome: Outcome) -> Bar {
        self.outcome = outcome;
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Bar {
        self.note = note.into();
        self
    }
}

/// A shaded stretch of a section (the circuit's open period), or a line
/// (a deadline) when `start == end`.
#[derive(Clone, Debug)]
pub struct Shade {
    pub start: f64,
    pub end: f64,
    pub label: String,
}

/// One block of the picture, with its own time origin.
#[derive(Clone, Debug)]
pub struct Section {
    pub title: String,
    pub bars: Vec<Bar>,
    pub shades: Vec<Shade>,
    pub lines: Vec<Shade>,
}

impl Section {
    pub fn new(title: impl Into<String>) -> Section {
        Section {
            title: title.into(),
            bars: Vec::new(),
            shades: Vec::new(),
            lines: Vec::new(),
        }
    }
}

/// The whole picture.
#[derive(Clone, Debug, Default)]
pub struct Timeline {
    pub sections: Vec<Section>,
    /// A line under the title: how the run was made.
    pub subtitle: String,
}

/// Seconds from `origin` to `t` (0 if `t` is earlier).
pub fn secs(origin: Instant, t: Instant) -> f64 {
    t.saturating_duration_since(origin).as_secs_f64()
}
