//! Steps 3 and 4: what keeps a service alive when its LLM backend is not:
//! a deadline on every call, and retries with jittered backoff (and none
//! where waiting cannot help). Step 5, the circuit breaker, is in
//! `circuit.rs`.

use crate::console::{heading, human};
use crate::judge::Probe;
use crate::timeline::{secs, Bar, EventLog, Logged, Mark, Outcome, Section, Shade};
use crate::{Demo, DemoResult};
use brisk::chat::ErrorKind;
use brisk::mock::{Answer, Script};
use brisk::{Client, RetryPolicy};
use std::time::Duration;
use std::time::Instant;

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
    let probe = Probe::start();
    let t0 = Instant::now();
    let result = chat.chat("Are you there?").await;
    let elapsed = t0.elapsed();
    let busy = probe.stop();
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
    demo.checks.behaviour(
        e.kind() == brisk::chat::ErrorKind::Timeout
            && phase == "read-head"
            && total
            && e.attempts() == 1
            && elapsed >= deadline,
        format!(
            "timeout: phase {phase}, {} deadline, {} attempt, not before the deadline",
            if total { "the total" } else { "a phase's" },
            e.attempts()
        ),
    );
    let late = elapsed.saturating_sub(deadline);
    demo.checks.timing(
        late,
        Duration::from_millis(50),
        busy,
        format!(
            "timeout cut {} after its deadline (at most 50 ms)",
            human(late)
        ),
    );
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
    // What the checks look at: the statuses in order, and each wait with
    // what bounded it.
    let mut statuses = Vec::new();
    let mut waits_within = true;
    let mut hinted_wait = None;
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
                statuses.push(*status);
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
                    hinted_wait = Some(*delay);
                    "the server's hint: retry-after-ms".to_string()
                } else {
                    let cap = (cfg.backoff * 2u32.pow(attempt - 1)).min(cfg.backoff * 16);
                    waits_within &= *delay <= cap;
                    format!("backoff: random below {}", human(cap))
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
    let checks = &mut demo.checks;
    checks.behaviour(
        reply.attempts == 4 && statuses == [503, 503, 429, 200],
        format!(
            "retried call: answered {} in {} attempts",
            statuses
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            reply.attempts
        ),
    );
    checks.behaviour(
        waits_within && hinted_wait == Some(cfg.hint),
        format!(
            "retry waits: each backoff below its cap, the 429's wait its Retry-After ({})",
            hinted_wait.map_or("none".to_string(), human)
        ),
    );
    checks.behaviour(
        err.attempts() == 1 && err.kind() == ErrorKind::QuotaExhausted,
        format!(
            "quota error not retried ({} attempt, {:?})",
            err.attempts(),
            err.kind()
        ),
    );
    Ok(())
}
