//! Steps 1 and 2: what non-blocking buys (the same calls serially and at
//! once, then 100 and 1,000 at once), and what the pool saves (connection
//! reuse under steady traffic).

use crate::console::{heading, human, open_file_limit, peak_memory_text, thousands, with_progress};
use crate::judge::Probe;
use crate::timeline::{Bar, EventLog, Section};
use crate::{Demo, DemoResult};
use brisk::chat::{ChatRequest, Message};
use brisk::mock::Answer;
use brisk::Client;
use std::time::Instant;

/// What the seed's service claimed: 100 calls of about 1 s in 5 s.
const SEED_CALLS: u64 = 100;
const SEED_SECONDS: f64 = 5.0;
/// What it claimed for connection reuse.
const SEED_REUSE: f64 = 0.95;

/// Step 1. Returns the client, whose pool counters step 2 shows.
pub async fn serial_vs_concurrent(demo: &mut Demo) -> DemoResult<Client> {
    let call = demo.cfg.call;
    heading(
        1,
        &format!(
            "Serial vs concurrent: chat calls that each take {} s",
            call.as_secs_f64()
        ),
    );
    let log = EventLog::counting();
    let client = Client::builder().on_event(log.hook()).build()?;
    demo.server.on_model(
        "slow",
        Answer::text("Pingyao is at its best in autumn.").delay(call),
    );
    let chat = demo.chat(&client, "slow");

    // One after another: each call waits for the one before.
    let mut serial = Section::new("10 calls, one after another: for .. { chat.chat(..).await }");
    let origin = Instant::now();
    let serial_total = with_progress("serial", 10, &log.done, async {
        for i in 0..10 {
            let t0 = Instant::now();
            chat.chat(&format!("question {}", i + 1)).await?;
            serial.bars.push(Bar::new(
                format!("call {}", i + 1),
                origin,
                t0,
                Instant::now(),
            ));
        }
        Ok::<_, brisk::chat::ChatError>(origin.elapsed())
    })
    .await?;
    println!(
        "10 calls, serial:      {:>9}  (one after another)",
        human(serial_total)
    );

    // The same ten at once, on the same client: one task each.
    log.reset_done();
    let mut concurrent = Section::new("the same 10 at once: one tokio task each, one client");
    let probe = Probe::start();
    let origin = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..10 {
        let chat = chat.clone();
        tasks.spawn(async move {
            let t0 = Instant::now();
            let result = chat.chat(&format!("question {}", i + 1)).await;
            (i, t0, Instant::now(), result)
        });
    }
    let mut ended = with_progress("concurrent", 10, &log.done, tasks.join_all()).await;
    let concurrent_total = origin.elapsed();
    let concurrent_busy = probe.stop();
    // The serial calls never had more than one in flight: a peak of ten
    // says all ten were at the server together.
    let together = demo.server.peak_in_flight();
    ended.sort_by_key(|e| e.0);
    for (i, t0, t1, result) in ended {
        result?;
        concurrent
            .bars
            .push(Bar::new(format!("call {}", i + 1), origin, t0, t1));
    }
    println!(
        "10 calls, concurrent:  {:>9}  speed-up {:.1}×",
        human(concurrent_total),
        serial_total.as_secs_f64() / concurrent_total.as_secs_f64()
    );

    // Bigger bursts through chat_many: results in order, a bound on those
    // in flight (here: all of them).
    let big = fit_to_open_files(demo.cfg.big);
    let mut bursts = Vec::new();
    for n in [100, big] {
        log.reset_done();
        let requests = (0..n).map(|i| ChatRequest::new(vec![Message::user(format!("q{i}"))]));
        let probe = Probe::start();
        let t0 = Instant::now();
        let label = format!("{} at once", thousands(n as u64));
        let results = with_progress(&label, n, &log.done, chat.chat_many(requests, n)).await;
        let took = t0.elapsed();
        let busy = probe.stop();
        let failed = results.iter().filter(|r| r.is_err()).count();
        if let Some(Err(e)) = results.into_iter().find(|r| r.is_err()) {
            return Err(format!("{failed} of {n} calls failed, the first: {e}").into());
        }
        println!(
            "{:>5} calls, concurrent: {:>9}  ({:.2}× one call)",
            thousands(n as u64),
            human(took),
            took.as_secs_f64() / call.as_secs_f64()
        );
        concurrent.bars.push(
            Bar::new(format!("{} calls", thousands(n as u64)), t0, t0, t0 + took)
                .note(format!("all {} done", thousands(n as u64))),
        );
        bursts.push((took, busy));
    }
    println!(
        "peak memory (client and server, one process): {}",
        peak_memory_text()
    );

    // The seed: 100 calls of ~1 s in 5 s, that is 5 calls' time; the same
    // ratio holds the comparison under --quick, whose calls are shorter.
    let seed = call.mul_f64(SEED_SECONDS);
    println!(
        "the seed's service: {SEED_CALLS} calls in {SEED_SECONDS} s{}; brisk: {} — {:.1}× faster",
        if demo.cfg.quick {
            format!(" (scaled to these calls: {})", human(seed))
        } else {
            String::new()
        },
        human(bursts[0].0),
        seed.as_secs_f64() / bursts[0].0.as_secs_f64()
    );

    let checks = &mut demo.checks;
    checks.behaviour(
        together == 10,
        format!("10 calls at once were at the server together (its peak: {together} in flight)"),
    );
    let s = client.stats();
    checks.behaviour(
        s.connections_opened <= big as u64 && s.requests_reused >= 120,
        format!(
            "{} connections for {} calls: each burst reused what the one before left ({} reused, 120 or more)",
            thousands(s.connections_opened),
            thousands(s.requests_sent),
            thousands(s.requests_reused)
        ),
    );
    checks.timing(
        concurrent_total,
        serial_total,
        concurrent_busy,
        format!(
            "10 at once ({}) faster than one after another ({})",
            human(concurrent_total),
            human(serial_total)
        ),
    );
    let (burst_big, burst_busy) = bursts[1];
    checks.timing(
        burst_big,
        call * 3,
        burst_busy,
        format!(
            "{} at once ({}) within 3 calls' time ({})",
            thousands(big as u64),
            human(burst_big),
            human(call * 3)
        ),
    );
    demo.timeline.sections.push(serial);
    demo.timeline.sections.push(concurrent);
    demo.cfg.big = big;
    Ok(client)
}

/// Step 2: the bursts' pool counters, then steady traffic on a client of
/// its own.
pub async fn reuse(demo: &mut Demo, bursts: Client) -> DemoResult<()> {
    heading(2, "Connection reuse: the pool's counters");
    let s = bursts.stats();
    println!(
        "after the bursts:  {:>5} connections opened, {:>5} requests, {:>5} reused  ratio {:.3}",
        thousands(s.connections_opened),
        thousands(s.requests_sent),
        thousands(s.requests_reused),
        s.reuse_ratio()
    );
    println!("  (a call in flight needs a connection of its own: a burst of N from cold opens N;");
    println!("   each burst reused what the one before left in the pool)");
    // Close the bursts' connections before the next run.
    drop(bursts);

    let cfg = &demo.cfg;
    let log = EventLog::counting();
    let client = Client::builder().on_event(log.hook()).build()?;
    demo.server
        .on_model("steady", Answer::text("ok").delay(cfg.steady_delay));
    let chat = demo.chat(&client, "steady");
    let n = cfg.steady_calls;
    let seen_before = demo.server.connection_count();
    let requests = (0..n).map(|i| ChatRequest::new(vec![Message::user(format!("s{i}"))]));
    let t0 = Instant::now();
    let label = format!("steady, {} in flight", cfg.steady_in_flight);
    let results = with_progress(
        &label,
        n,
        &log.done,
        chat.chat_many(requests, cfg.steady_in_flight),
    )
    .await;
    let took = t0.elapsed();
    if let Some(Err(e)) = results.into_iter().find(|r| r.is_err()) {
        return Err(format!("a steady call failed: {e}").into());
    }
    let s = client.stats();
    println!(
        "steady traffic:    {:>5} connections opened, {:>5} requests, {:>5} reused  ratio {:.3}",
        thousands(s.connections_opened),
        thousands(s.requests_sent),
        thousands(s.requests_reused),
        s.reuse_ratio()
    );
    println!(
        "  ({} calls of {}, {} in flight, in {}; the server accepted {} connections)",
        thousands(n as u64),
        human(cfg.steady_delay),
        cfg.steady_in_flight,
        human(took),
        demo.server.connection_count() - seen_before
    );
    println!(
        "the seed claims {:.0}% reuse; brisk: {:.1}%",
        SEED_REUSE * 100.0,
        s.reuse_ratio() * 100.0
    );
    demo.checks.behaviour(
        s.connections_opened <= cfg.steady_in_flight as u64 && s.reuse_ratio() > 0.9,
        format!(
            "steady traffic: {} connections for {} in flight, reuse ratio {:.3} above 0.9",
            s.connections_opened,
            cfg.steady_in_flight,
            s.reuse_ratio()
        ),
    );
    Ok(())
}

/// The largest burst this process can open files for: each call in flight
/// holds a client socket (two descriptors: brisk keeps a duplicate for its
/// liveness peek) and the in-process server's socket.
fn fit_to_open_files(wanted: usize) -> usize {
    const PER_CALL: u64 = 3;
    const SPARE: u64 = 64;
    let Some(limit) = open_file_limit() else {
        return wanted;
    };
    let fits = (limit.saturating_sub(SPARE) / PER_CALL) as usize;
    if fits >= wanted {
        return wanted;
    }
    let n = (fits / 100 * 100).max(100);
    println!(
        "note: the open-file limit is {limit}; {} calls at once need about {} here. \
         Running {n} instead (raise it with `ulimit -n 4096`).",
        thousands(wanted as u64),
        thousands(wanted as u64 * PER_CALL + SPARE)
    );
    n
}
