//! Steps 3 to 5: what keeps a service alive when its LLM backend is not:
//! a deadline on every call, retries with jittered backoff (and none where
//! waiting cannot help), and a circuit breaker that stops calling a
//! backend that is down.

use crate::console::{heading, human};
use crate::timeline::{brief, secs, Bar, EventLog, Logged, Mark, Outcome, Section, Shade};
use crate::{Demo, DemoResult};
use brisk::chat::ErrorKind;
use brisk::mock::{Answer, Script};
use brisk::{CircuitBreaker, CircuitState, Client, RetryPolicy};
use std::time::{Duration, Instant};

/// Step 3: a call to an endpoint that never answers ends at its deadline.
pub async fn timeout(demo: &mut Demo) -> DemoResult<()> {
    let deadline = demo.cfg.deadline;
    heading(3, "Timeout: an endpoint that never answers");
    demo.server.on_model("hang", Answer::never());
    let client = Client::new();
    let chat = demo.chat_builder(&client, "hang").timeout(deadline).build();
    println!(
        "chat.timeout({}) on a call the server reads and never answers",
        human(deadline)
    );
    let t0 = Instant::now();
    let result = chat.chat("Are you there?").await;
    let elapsed = t0.elapsed();
    let Err(e) = result else {
        return Err("the call that never gets an answer got one".into());
    };
    let http = e.http();
    let phase = http
        .and_then(|h| h.phase())
        .map_or("none".to_string(), |p| p.to_string());
    let total = http.is_some_and(|h| h.is_total_timeout());
    println!(
        "cut after {} ({} past the deadline): kind {:?}, phase {phase}, {} deadline, {} attempt",
        human(elapsed),
        human(elapsed.saturating_sub(deadline)),
        e.kind(),
        if total { "the total" } else { "a phase's" },
        e.attempts(),
    );
    println!("error: {e}");
    let mut section = Section::new("timeout: Answer::never(), cut at the call's deadline");
    section.bars.push(
        Bar::new("never answers", t0, t0, t0 + elapsed)
            .outcome(Outcome::TimedOut)
            .note(format!("cut at {} (phase {phase})", human(elapsed))),
    );
    section.lines.push(Shade {
        start: deadline.as_secs_f64(),
        end: deadline.as_secs_f64(),
        label: format!("deadline {}", human(deadline)),
    });
    demo.timeline.sections.push(section);
    demo.figures.timeout_elapsed = elapsed;
    demo.figures.timeout_phase = phase;
    Ok(())
}

/// Step 4: 503, 503, 429 with `Retry-After`, then an answer; then a quota
/// error, which no wait can mend.
pub async fn retry(demo: &mut Demo) -> DemoResult<()> {
    let cfg = &demo.cfg;
    heading(4, "Retry with jittered backoff");
    demo.server.on_model(
        "flaky",
        Script::steps([
            Answer::status(503),
            Answer::status(503),
            Answer::rate_limited(cfg.hint),
        ])
        .then(Answer::text("Third time lucky: here is your answer.")),
    );
    demo.server.on_model("broke", Answer::insufficient_quota());
    let log = EventLog::new();
    let client = Client::builder().on_event(log.hook()).build()?;
    // Four attempts in all (the default is three), the first backoff
    // `cfg.backoff`, doubling; each wait is drawn at random below it (full
    // jitter), unless the server said how long to wait.
    let policy = RetryPolicy::default()
        .attempts(4)
        .backoff(cfg.backoff, cfg.backoff * 16);
    println!(
        "RetryPolicy::default().attempts(4).backoff({}, {}); the server answers 503, 503, 429 (Retry-After {}), then 200",
        human(cfg.backoff),
        human(cfg.backoff * 16),
        human(cfg.hint)
    );
    let chat = demo.chat_builder(&client, "flaky").retry(policy).build();

    let t0 = Instant::now();
    let reply = chat.chat("Tell me about Datong.").await?;
    let t1 = Instant::now();
    let events = log.take();
    let mut bar = Bar::new("503, 503, 429, 200", t0, t0, t1);
    let mut waiting_since = None;
    for (at, event) in &events {
        let s = secs(t0, *at);
        match event {
            Logged::Start { attempt } => {
                if let Some(w) = waiting_since.take() {
                    bar.waits.push((w, s));
                }
                println!("  {s:>7.3} s  attempt {attempt} sent");
            }
            Logged::Head { attempt, status } => {
                println!("  {s:>7.3} s  attempt {attempt} answered {status}");
                if *status >= 400 {
                    bar.marks.push(Mark {
                        at: s,
                        label: status.to_string(),
                    });
                }
            }
            Logged::Retry {
                delay,
                reason,
                hinted,
                attempt,
            } => {
                let why = if *hinted {
                    "the server's hint: retry-after-ms".to_string()
                } else {
                    let cap = cfg.backoff * 2u32.pow(attempt - 1);
                    format!("backoff: random below {}", human(cap.min(cfg.backoff * 16)))
                };
                println!(
                    "  {s:>7.3} s  retry after {} ({why}), reason: {reason}",
                    human(*delay)
                );
                waiting_since = Some(s);
            }
            _ => {}
        }
    }
    println!(
        "answered after {} attempts in {}: {:?}",
        reply.attempts,
        human(t1 - t0),
        reply.content
    );
    bar.note = format!("{} attempts, {}", reply.attempts, human(t1 - t0));

    // A 429 that is not a rate limit: the account is empty.
    let broke = demo
        .chat_builder(&client, "broke")
        .retry(RetryPolicy::default())
        .build();
    let q0 = Instant::now();
    let err = match broke.chat("Tell me about Taiyuan.").await {
        Ok(_) => return Err("the quota call got an answer".into()),
        Err(e) => e,
    };
    let q1 = Instant::now();
    println!(
        "quota: {} {} after {} attempt in {}, kind {:?}, retryable {}",
        err.status().map_or(0, |s| s.as_u16()),
        err.error_type().or(err.code()).unwrap_or("?"),
        err.attempts(),
        human(q1 - q0),
        err.kind(),
        err.is_retryable()
    );
    if err.kind() == ErrorKind::QuotaExhausted {
        println!(
            "  not retried: a 429 whose body says insufficient_quota is an empty account, not a busy one;"
        );
        println!(
            "  the chat layer's veto (RetryPolicy::never_retry_if) read the body and made it final: only a top-up helps"
        );
    }
    let mut section =
        Section::new("retries: jittered backoff, the server's Retry-After, a quota error");
    section.bars.push(bar);
    let quota_origin = q0;
    section.bars.push(
        Bar::new("insufficient_quota", quota_origin, q0, q1)
            .outcome(Outcome::Failed)
            .note(format!("429, not retried ({})", human(q1 - q0))),
    );
    demo.timeline.sections.push(section);
    demo.figures.retry_attempts = reply.attempts;
    demo.figures.quota_attempts = err.attempts();
    Ok(())
}

/// Step 5: the backend goes down; the circuit opens, calls fail at once;
/// the backend comes back and one probe closes the circuit.
pub async fn circuit_breaker(demo: &mut Demo) -> DemoResult<()> {
    let cfg = &demo.cfg;
    heading(5, "Circuit breaker: a backend that is down");
    const FAILURES: u32 = 5;
    demo.server
        .on_model("backend", Answer::text("Back in business."));
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
    chat.chat("warm-up").await?;
    log.take();

    demo.server.set_down(true).await;
    let origin = Instant::now();
    println!("  {:>7.3} s  backend down (connections refused)", 0.0);
    let mut section =
        Section::new("circuit breaker: backend down, circuit open (shaded), probe closes it");
    let mut open_at = None;
    let mut half_open_at = None;
    let mut retry_at = None;
    let mut fast = Vec::new();
    let mut call = 0;
    // Calls until the circuit has refused six of them, spread over the
    // cool-down.
    while fast.len() < 6 {
        call += 1;
        let t0 = Instant::now();
        let result = chat.chat("Still there?").await;
        let t1 = Instant::now();
        let Err(e) = result else {
            return Err("a call to the downed backend got an answer".into());
        };
        let mut bar = Bar::new(format!("call {call}"), origin, t0, t1);
        let mut opened_now = false;
        let mut waiting_since = None;
        for (at, event) in log.take() {
            match event {
                // A call the open circuit refused never reached the
                // backend: its bar's colour says so, no mark.
                Logged::Failed { error } if error == "circuit open" => {}
                Logged::Failed { error } => bar.marks.push(Mark {
                    at: secs(origin, at),
                    label: if error == "connection refused" {
                        "refused".to_string()
                    } else {
                        error
                    },
                }),
                Logged::Retry { .. } => waiting_since = Some(secs(origin, at)),
                Logged::Start { .. } => {
                    if let Some(w) = waiting_since.take() {
                        bar.waits.push((w, secs(origin, at)));
                    }
                }
                Logged::Circuit {
                    to: CircuitState::Open,
                    ..
                } => {
                    open_at = Some(at);
                    opened_now = true;
                }
                _ => {}
            }
        }
        if e.http().is_some_and(|h| h.is_circuit_open()) {
            retry_at = e.http().and_then(|h| h.retry_at());
            fast.push(t1 - t0);
            println!(
                "  {:>7.3} s  call {call}: refused at once in {} (circuit open, nothing sent)",
                secs(origin, t0),
                human(t1 - t0)
            );
            bar = bar
                .outcome(Outcome::Rejected)
                .note(format!("refused at once, {}", human(t1 - t0)));
            tokio::time::sleep(cfg.cool_down / 10).await;
        } else {
            println!(
                "  {:>7.3} s  call {call}: failed in {} after {} attempts ({}){}",
                secs(origin, t0),
                human(t1 - t0),
                e.attempts(),
                e.http().map_or("?".to_string(), brief),
                if opened_now {
                    format!(": {FAILURES} failures in a row, the circuit opened")
                } else {
                    String::new()
                }
            );
            let note = format!("{} attempts, {}", e.attempts(), human(t1 - t0));
            bar = bar.outcome(Outcome::Failed).note(note);
        }
        section.bars.push(bar);
        if call > 20 {
            return Err("the circuit never opened".into());
        }
    }

    demo.server.set_down(false).await;
    let up = Instant::now();
    println!(
        "  {:>7.3} s  backend up again; the circuit stays open until its cool-down ends",
        secs(origin, up)
    );
    if let Some(at) = retry_at {
        tokio::time::sleep_until(at.into()).await;
    }
    let t0 = Instant::now();
    let reply = chat.chat("Still there?").await?;
    let t1 = Instant::now();
    let mut closed = false;
    for (at, event) in log.take() {
        if let Logged::Circuit { from, to } = event {
            println!("  {:>7.3} s  circuit {from} -> {to}", secs(origin, at));
            if to == CircuitState::HalfOpen {
                half_open_at = Some(at);
            }
            closed |= to == CircuitState::Closed;
        }
    }
    println!(
        "  {:>7.3} s  call {}: the probe, answered in {}: {:?}",
        secs(origin, t0),
        call + 1,
        human(t1 - t0),
        reply.content
    );
    section.bars.push(
        Bar::new(format!("call {} (probe)", call + 1), origin, t0, t1).note(format!(
            "probe answered, circuit closed ({})",
            human(t1 - t0)
        )),
    );
    if let Some(open) = open_at {
        section.shades.push(Shade {
            start: secs(origin, open),
            end: secs(origin, half_open_at.unwrap_or(t0)),
            label: "circuit open".to_string(),
        });
    }
    section.lines.push(Shade {
        start: secs(origin, up),
        end: secs(origin, up),
        label: "backend up".to_string(),
    });
    fast.sort();
    let median = fast[fast.len() / 2];
    let before: Vec<Duration> = section
        .bars
        .iter()
        .filter(|b| b.outcome == Outcome::Failed)
        .map(|b| Duration::from_secs_f64(b.end - b.start))
        .collect();
    if let Some(slowest) = before.iter().max() {
        println!(
            "a failed call took up to {} while the circuit was closed (it waited out its retries); \
             {} (median) once open",
            human(*slowest),
            human(median)
        );
    }
    let stats = client.stats();
    println!(
        "client stats: circuits opened {}, requests refused by the circuit {}, retries {}",
        stats.circuits_opened, stats.circuit_rejected, stats.retries
    );
    demo.timeline.sections.push(section);
    demo.figures.circuit_opened = open_at.is_some();
    demo.figures.circuit_closed = closed;
    demo.figures.fast_fail = median;
    Ok(())
}
