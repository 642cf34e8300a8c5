//! brisk's main job in one command, offline: non-blocking LLM calls.
//!
//! ```text
//! cargo run --release --example demo            # about 30 s
//! cargo run --release --example demo -- --quick # a few seconds, checked
//! ```
//!
//! The demo starts brisk's own OpenAI-compatible mock server
//! (`brisk::mock`) on a loopback port and calls it through `brisk::chat`
//! and the plain client: no network, no API key. Each step prints what it
//! measured; nothing printed is a canned figure. At the end it writes
//! `demo-timeline.svg`, one bar per request.
//!
//! `--quick` makes every delay a tenth (calls of 0.1 s, shorter backoffs
//! and cool-downs) and checks what brisk did: calls in flight together,
//! connections opened and reused, the timeout's phase and deadline, the
//! retries' attempts and waits, the circuit's transitions. A failed check
//! is printed and the demo exits with status 1, so CI runs this one
//! command (`--check` runs the checks at full length too). Timing figures
//! (a burst within three calls' time, the timeout cut within 50 ms of its
//! deadline) are judged too, but a miss that the machine's load explains
//! is reported as "machine too busy to judge", not failed: see `judge.rs`.
//! `.ci/demo-under-load` runs `--quick` five times beside six busy loops.
//!
//! The files: `concurrency.rs` (steps 1 and 2), `resilience.rs` (3 and 4),
//! `circuit.rs` (5), `talk.rs` (6 and 7), `realtime.rs` (8, a
//! Realtime-style WebSocket session), `judge.rs` (the checks),
//! `timeline.rs` (what is recorded), `svg.rs` (the picture), `console.rs`
//! (headings, the progress line, peak memory).

mod circuit;
mod concurrency;
mod console;
mod judge;
mod realtime;
mod resilience;
mod svg;
mod talk;
mod timeline;

use brisk::chat::{Chat, ChatBuilder, Provider};
use brisk::mock::MockServer;
use brisk::Client;
use judge::Checks;
use std::time::{Duration, Instant};
use timeline::Timeline;

/// The error type of the steps: anything unexpected ends the demo.
pub type DemoResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// How long things take: the full run, or a tenth of it under `--quick`.
pub struct Config {
    pub quick: bool,
    /// One slow chat call (the server's delay before it answers).
    pub call: Duration,
    /// The calls of the largest burst (1,000, fewer if the process may not
    /// open enough files).
    pub big: usize,
    /// Steady traffic: calls, how many in flight, each call's delay.
    pub steady_calls: usize,
    pub steady_in_flight: usize,
    pub steady_delay: Duration,
    /// The total deadline of the call that never gets an answer.
    pub deadline: Duration,
    /// The retry policy's first backoff (it doubles, capped at 16×).
    pub backoff: Duration,
    /// The `Retry-After` the rate-limited answer carries.
    pub hint: Duration,
    /// How long the circuit stays open before its probe.
    pub cool_down: Duration,
    /// Streaming: the wait before the first token, and between tokens.
    pub first_token: Duration,
    pub token_gap: Duration,
}

impl Config {
    fn new(quick: bool) -> Config {
        let scale = |ms: u64| Duration::from_millis(if quick { ms / 10 } else { ms });
        Config {
            quick,
            call: scale(1000),
            big: 1000,
            steady_calls: if quick { 500 } else { 2000 },
            steady_in_flight: 20,
            steady_delay: scale(10),
            deadline: scale(2000),
            backoff: scale(500),
            hint: scale(1000),
            cool_down: scale(3000),
            first_token: scale(400),
            token_gap: scale(60),
        }
    }
}

/// What every step shares: the mock server, the settings, what has been
/// recorded so far and the checks made.
pub struct Demo {
    pub server: MockServer,
    pub cfg: Config,
    pub timeline: Timeline,
    pub checks: Checks,
}

impl Demo {
    /// A chat client for the mock server, answering as `model`, sending
    /// through `client`. The key is a placeholder: the mock server checks
    /// none, and records what it gets, so no real key should go there.
    pub fn chat(&self, client: &Client, model: &str) -> Chat {
        self.chat_builder(client, model).build()
    }

    /// As [`Demo::chat`], to set more before building.
    pub fn chat_builder(&self, client: &Client, model: &str) -> ChatBuilder {
        Chat::builder(Provider::Custom(self.server.base_url()))
            .api_key("sk-demo-not-a-real-key")
            .model(model)
            .client(client.clone())
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut quick = false;
    let mut check = false;
    for arg in &args {
        match arg.as_str() {
            "--quick" => quick = true,
            "--check" => check = true,
            "-h" | "--help" => {
                println!("usage: demo [--quick] [--check]");
                println!("  --quick  delays a tenth as long (a few seconds); implies --check");
                println!("  --check  exit 1 if brisk did not do what each step expects");
                return;
            }
            other => {
                eprintln!("demo: unknown argument {other:?} (try --help)");
                std::process::exit(2);
            }
        }
    }
    let check = check || quick;
    match run(Config::new(quick), check).await {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("demo: {e}");
            std::process::exit(1);
        }
    }
}

async fn run(cfg: Config, check: bool) -> DemoResult<bool> {
    let started = Instant::now();
    let server = MockServer::builder().record_limit(0).start().await?;
    println!("brisk demo: non-blocking LLM calls, offline");
    println!(
        "mock OpenAI-compatible server (brisk::mock) at {}{}",
        server.base_url(),
        if cfg.quick {
            "; --quick: every delay a tenth"
        } else {
            ""
        }
    );
    let mut demo = Demo {
        server,
        cfg,
        timeline: Timeline::default(),
        checks: Checks::default(),
    };
    demo.timeline.subtitle = format!(
        "{} run, {}; mock server on loopback, one chat call = {} s",
        if demo.cfg.quick { "--quick" } else { "full" },
        std::env::consts::OS,
        demo.cfg.call.as_secs_f64()
    );

    let bursts = concurrency::serial_vs_concurrent(&mut demo).await?;
    concurrency::reuse(&mut demo, bursts).await?;
    resilience::timeout(&mut demo).await?;
    resilience::retry(&mut demo).await?;
    circuit::circuit_breaker(&mut demo).await?;
    talk::streaming(&mut demo).await?;
    talk::suggestions(&mut demo).await?;
    realtime::realtime(&mut demo).await?;

    let path = std::env::current_dir()?.join("demo-timeline.svg");
    std::fs::write(&path, svg::render(&demo.timeline))?;
    println!();
    println!("timeline: {}", path.display());
    println!(
        "the whole demo took {:.1} s; peak memory {}",
        started.elapsed().as_secs_f64(),
        console::peak_memory_text()
    );
    if check {
        return Ok(demo.checks.report());
    }
    Ok(true)
}
