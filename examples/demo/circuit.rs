//! Step 5: a circuit breaker that stops calling a backend that is down.
//!
//! The story is driven by what the client reports, in three explicit
//! stages, never by wall time racing the cool-down: calls until the
//! circuit-open event; calls until the open circuit has refused three
//! (a call that finds the cool-down already over, on a machine slow
//! between two calls, goes through as the probe, fails and opens the
//! circuit again: it is shown and checked, not a failure); then the backend
//! comes back, the demo waits for the instant the refusals named, and one
//! probe closes the circuit.

use crate::console::{heading, human};
use crate::judge::Probe;
use crate::timeline::{brief, secs, Bar, EventLog, Logged, Mark, Outcome, Section, Shade};
use crate::{Demo, DemoResult};
use brisk::chat::{Chat, ChatError, Reply};
use brisk::mock::Answer;
use brisk::{CircuitBreaker, CircuitState, Client, RetryPolicy};
use std::time::{Duration, Instant};

/// Failures in a row that open the circuit.
const FAILURES: u32 = 5;
/// Calls the open circuit refuses before the backend comes back.
const REFUSALS: usize = 3;
/// What the backend answers when it is up.
const BACK: &str = "Back in business.";

/// One call, with when it started and ended and the events it caused.
struct Call {
    t0: Instant,
    t1: Instant,
    result: Result<Reply, ChatError>,
    events: Vec<(Instant, Logged)>,
}

async fn call(chat: &Chat, log: &EventLog) -> Call {
    let t0 = Instant::now();
    let result = chat.chat("Still there?").await;
    let t1 = Instant::now();
    Call {
        t0,
        t1,
        result,
        events: log.take(),
    }
}

impl Call {
    /// The error of a call to the downed backend; an answer is an error of
    /// the demo (what answered is named: with the backend's port closed,
    /// another process on this machine may have taken it).
    fn failure(&self) -> DemoResult<&ChatError> {
        match &self.result {
            Err(e) => Ok(e),
            Ok(reply) => Err(format!(
                "a call to the downed backend got an answer: {:?}",
                reply.content
            )
            .into()),
        }
    }

    /// The attempts that went out: (when, attempt number).
    fn starts(&self) -> impl Iterator<Item = Instant> + '_ {
        self.events.iter().filter_map(|(at, e)| match e {
            Logged::Start { .. } => Some(*at),
            _ => None,
        })
    }

    /// The circuit's transitions, in order.
    fn transitions(&self) -> Vec<(Instant, CircuitState, CircuitState)> {
        self.events
            .iter()
            .filter_map(|(at, e)| match e {
                Logged::Circuit { from, to } => Some((*at, *from, *to)),
                _ => None,
            })
            .collect()
    }

    /// Its bar: failed attempts marked, waits between attempts paler.
    fn bar(&self, label: String, origin: Instant) -> Bar {
        let mut bar = Bar::new(label, origin, self.t0, self.t1);
        let mut waiting_since = None;
        for (at, event) in &self.events {
            match event {
                // A call the open circuit refused never reached the
                // backend: its bar's colour says so, no mark.
                Logged::Failed { error } if error == "circuit open" => {}
                Logged::Failed { error } => bar.marks.push(Mark {
                    at: secs(origin, *at),
                    label: if error == "connection refused" {
                        "refused".to_string()
                    } else {
                        error.clone()
                    },
                }),
                Logged::Retry { .. } => waiting_since = Some(secs(origin, *at)),
                Logged::Start { .. } => {
                    if let Some(w) = waiting_since.take() {
                        bar.waits.push((w, secs(origin, *at)));
                    }
                }
                _ => {}
            }
        }
        bar
    }
}

/// Step 5: the backend goes down; the circuit opens, calls fail at once;
/// the backend comes back and one probe closes the circuit.
pub async fn circuit_breaker(demo: &mut Demo) -> DemoResult<()> {
    let cfg = &demo.cfg;
    heading(5, "Circuit breaker: a backend that is down");
    demo.server.on_model("backend", Answer::text(BACK));
    let log = EventLog::new();
    let client = Client::builder()
        .circuit_breaker(
            CircuitBreaker::default()
                .consecutive_failures(FAILURES)
                .cool_down(cfg.cool_down),
        )
        .on_event(log.hook())
        .build()?;
    let chat = demo
        .chat_builder(&client, "backend")
        .retry(RetryPolicy::default().backoff(cfg.backoff, cfg.backoff * 16))
        .build();
    println!(
        "CircuitBreaker::default().consecutive_failures({FAILURES}).cool_down({}); 3 attempts a call",
        human(cfg.cool_down)
    );
    // The backend answers before it goes down: asked on a client of its
    // own, so that this client's pool holds no connection the server then
    // drops, and every attempt below is a refused connect. (Such a
    // connection is never answered once `set_down(true)` has returned;
    // before the mock waited for its connections to end, one was, 2 times
    // in 300 in a loop.)
    let warm_up = demo.chat_builder(&Client::new(), "backend").build();
    warm_up.chat("warm-up").await?;

    demo.server.set_down(true).await;
    let origin = Instant::now();
    println!("  {:>7.3} s  backend down (connections refused)", 0.0);
    let mut section =
        Section::new("circuit breaker: backend down, circuit open (shaded), probe closes it");
    let mut n = 0;

    // Stage 1: calls until the circuit opens. Each waits out its attempts.
    let mut attempts_before_open = 0;
    let mut opened = None;
    let mut last_attempt = origin;
    while opened.is_none() {
        n += 1;
        if n > 10 {
            return Err("the circuit never opened".into());
        }
        let c = call(&chat, &log).await;
        let e = c.failure()?;
        attempts_before_open += c.starts().count() as u32;
        last_attempt = c.starts().last().unwrap_or(last_attempt);
        opened = c
            .transitions()
            .iter()
            .find(|t| t.2 == CircuitState::Open)
            .map(|t| t.0);
        println!(
            "  {:>7.3} s  call {n}: failed in {} after {} attempts ({}){}",
            secs(origin, c.t0),
            human(c.t1 - c.t0),
            e.attempts(),
            e.http().map_or("?".to_string(), brief),
            if opened.is_some() {
                format!(": {FAILURES} failures in a row, the circuit opened")
            } else {
                String::new()
            }
        );
        let note = format!("{} attempts, {}", e.attempts(), human(c.t1 - c.t0));
        section.bars.push(
            c.bar(format!("call {n}"), origin)
                .outcome(Outcome::Failed)
                .note(note),
        );
    }
    let open_at = opened.unwrap_or(origin);
    demo.checks.behaviour(
        attempts_before_open == FAILURES,
        format!(
            "circuit opened after {attempts_before_open} failed attempts in a row ({FAILURES} set)"
        ),
    );

    // Stage 2: calls until the open circuit has refused REFUSALS of them.
    let mut refused = Vec::new();
    let mut retry_at = None;
    let mut probes_while_down = 0;
    let mut probes_in_time = true;
    let probe = Probe::start();
    while refused.len() < REFUSALS {
        n += 1;
        if n > 30 {
            return Err("the open circuit never refused a call".into());
        }
        let c = call(&chat, &log).await;
        let e = c.failure()?;
        let took = c.t1 - c.t0;
        let sent = c.starts().count();
        if e.http().is_some_and(|h| h.is_circuit_open()) && sent == 0 {
            retry_at = e.http().and_then(|h| h.retry_at());
            refused.push(took);
            println!(
                "  {:>7.3} s  call {n}: refused at once in {} (circuit open, nothing sent)",
                secs(origin, c.t0),
                human(took)
            );
            section.bars.push(
                Bar::new(format!("call {n}"), origin, c.t0, c.t1)
                    .outcome(Outcome::Rejected)
                    .note(format!("refused at once, {}", human(took))),
            );
            // A pause, so that the picture spreads the refusals over the
            // cool-down. Should the machine stretch it past the cool-down,
            // the next call is the probe: shown and checked above.
            tokio::time::sleep(demo.cfg.cool_down / 10).await;
        } else {
            // The cool-down was over when this call came (the machine was
            // slow between two calls): it went through as the probe. The
            // breaker opened at or after the last failed attempt started,
            // so a probe that ended sooner than a cool-down after it came
            // too early.
            probes_while_down += 1;
            probes_in_time &= c.t1 >= last_attempt + demo.cfg.cool_down;
            last_attempt = c.starts().last().unwrap_or(last_attempt);
            let moves: Vec<String> = c
                .transitions()
                .iter()
                .map(|t| format!("{} -> {}", t.1, t.2))
                .collect();
            println!(
                "  {:>7.3} s  call {n}: the cool-down was over (a slow machine): the probe, failed in {} ({})",
                secs(origin, c.t0),
                human(took),
                moves.join(", ")
            );
            section.bars.push(
                c.bar(format!("call {n} (probe)"), origin)
                    .outcome(Outcome::Failed)
                    .note("probe failed, open again"),
            );
        }
    }
    let refusing = probe.stop();
    let mut sorted = refused.clone();
    sorted.sort();
    let median = sorted[sorted.len() / 2];
    demo.checks.behaviour(
        probes_in_time,
        format!(
            "open circuit: {REFUSALS} calls refused with nothing sent{}",
            if probes_while_down > 0 {
                format!(
                    "; {probes_while_down} probe(s) after the cool-down failed and opened it again"
                )
            } else {
                String::new()
            }
        ),
    );
    demo.checks.timing(
        median,
        Duration::from_millis(5),
        refusing,
        format!(
            "open circuit refused at once ({} median, at most 5 ms)",
            human(median)
        ),
    );

    // Stage 3: the backend is back; the circuit lets a probe through once
    // its cool-down is over, at the instant the refusals named.
    demo.server.set_down(false).await;
    let up = Instant::now();
    println!(
        "  {:>7.3} s  backend up again; the circuit stays open until its cool-down ends",
        secs(origin, up)
    );
    let mut moves = Vec::new();
    let mut answered = None;
    for _ in 0..5 {
        if let Some(at) = retry_at {
            tokio::time::sleep_until(at.into()).await;
        }
        n += 1;
        let c = call(&chat, &log).await;
        for (at, from, to) in c.transitions() {
            println!("  {:>7.3} s  circuit {from} -> {to}", secs(origin, at));
            moves.push((at, from, to));
        }
        match c.result {
            Ok(reply) => {
                println!(
                    "  {:>7.3} s  call {n}: the probe, answered in {}: {:?}",
                    secs(origin, c.t0),
                    human(c.t1 - c.t0),
                    reply.content
                );
                section.bars.push(
                    Bar::new(format!("call {n} (probe)"), origin, c.t0, c.t1).note(format!(
                        "probe answered, circuit closed ({})",
                        human(c.t1 - c.t0)
                    )),
                );
                answered = Some((c.t0, reply.content));
                break;
            }
            // Refused: the cool-down was not over yet by the breaker's
            // clock. Wait for the instant it names.
            Err(e) if e.http().is_some_and(|h| h.is_circuit_open()) => {
                retry_at = e.http().and_then(|h| h.retry_at());
            }
            Err(e) => return Err(format!("the probe failed: {e}").into()),
        }
    }
    let Some((probe_at, content)) = answered else {
        return Err("the circuit never let a probe through".into());
    };
    let closing: Vec<(CircuitState, CircuitState)> = moves.iter().map(|m| (m.1, m.2)).collect();
    demo.checks.behaviour(
        content == BACK
            && closing
                == [
                    (CircuitState::Open, CircuitState::HalfOpen),
                    (CircuitState::HalfOpen, CircuitState::Closed),
                ],
        "backend back: after the cool-down one probe went through and closed the circuit (open -> half-open -> closed)",
    );

    let half_open_at = moves
        .iter()
        .find(|m| m.2 == CircuitState::HalfOpen)
        .map_or(probe_at, |m| m.0);
    section.shades.push(Shade {
        start: secs(origin, open_at),
        end: secs(origin, half_open_at),
        label: "circuit open".to_string(),
    });
    section.lines.push(Shade {
        start: secs(origin, up),
        end: secs(origin, up),
        label: "backend up".to_string(),
    });
    let slowest = section
        .bars
        .iter()
        .filter(|b| b.outcome == Outcome::Failed)
        .map(|b| Duration::from_secs_f64(b.end - b.start))
        .max();
    if let Some(slowest) = slowest {
        println!(
            "a failed call took up to {} while the circuit was closed (it waited out its retries); \
             {} (median) once open",
            human(slowest),
            human(median)
        );
    }
    let stats = client.stats();
    println!(
        "client stats: circuits opened {}, requests refused by the circuit {}, retries {}",
        stats.circuits_opened, stats.circuit_rejected, stats.retries
    );
    demo.timeline.sections.push(section);
    Ok(())
}
