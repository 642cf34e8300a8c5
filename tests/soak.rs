//! The soak: many GETs over loopback at concurrency 100, while the server
//! injects a random fault into 1% of them.
//!
//! Ignored by default. `BRISK_SOAK_REQUESTS` sets the number of requests
//! (default 1,000,000; CI runs a shortened form), `BRISK_SOAK_SEED` the
//! server's seed, `BRISK_SOAK_FAULT_PERCENT` the share of faults:
//!
//! ```text
//! BRISK_SOAK_REQUESTS=100000 cargo test --release --test soak -- --ignored --nocapture
//! ```
//!
//! The fault server runs in a child process (this same test binary, in
//! its `soak_server` role), so that the memory and descriptors counted
//! here are the client's alone, not those of a hundred server threads.
//!
//! It asserts:
//! - every 200 body is the one its path asks for, and matches the
//!   checksum the server sent with it;
//! - every failure is a typed error (a kind and a phase), never a panic
//!   or a hang, and no request fails without a fault to blame: failures
//!   are at most the faults that can fail a request, and every injected
//!   503 reached the client: as a 503, or as a retry it recorded (the
//!   default retry policy waits out its `Retry-After: 1`);
//! - the client's counters add up: every connection opened is idle at
//!   the end or was closed for a counted reason;
//! - no file descriptor leaks;
//! - resident memory grows by less than 5 MB from the first tenth of the
//!   requests to the end.

mod support;

use brisk::Client;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::fault::{body_for, checksum, describe, Fault, FaultServer, Mode, XorShift};
use support::server::open_fds;

const CONCURRENCY: usize = 100;
/// RSS may grow by less than this from the 10% point to the end.
const RSS_GROWTH_MAX_KB: u64 = 5 * 1024;
/// A request this slow has hung (the total deadline is 5 s).
const HANG: Duration = Duration::from_secs(10);
/// Set (to anything) in the environment of the server's process.
const SERVER_ROLE: &str = "BRISK_SOAK_SERVER_ROLE";

/// The faults a request may meet. The slow ones (drips) and the upload
/// one (stop reading) are left to the fault matrix; `Silent` stands for
/// the slow kind here.
const FAULTS: [Fault; 14] = [
    Fault::Reset,
    Fault::ResetMidRequest,
    Fault::Hangup,
    Fault::CloseAfterHead,
    Fault::ShortBody,
    Fault::Truncate,
    Fault::ChunkedCut,
    Fault::Silent,
    Fault::Garbage,
    Fault::Endless1xx,
    Fault::HugeHeader,
    Fault::Unavailable,
    Fault::CloseAfterResponse,
    Fault::CloseWhenIdle,
];

/// Faults after which the client recovers on its own: the request they
/// strike succeeds (or, for the 503, is answered).
const HARMLESS: [Fault; 3] = [
    Fault::Unavailable,
    Fault::CloseAfterResponse,
    Fault::CloseWhenIdle,
];

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|v| v.replace(['_', ','], "").parse().expect(name))
        .unwrap_or(default)
}

/// The server's side: run by the soak in a child process. It prints its
/// address, serves until its stdin closes, then prints how many times it
/// applied each fault of [`FAULTS`].
#[test]
#[ignore = "the soak's server process; does nothing on its own"]
fn soak_server() {
    if std::env::var_os(SERVER_ROLE).is_none() {
        return;
    }
    let seed = env_or("BRISK_SOAK_SEED", 0x5eed_b415);
    let percent = env_or("BRISK_SOAK_FAULT_PERCENT", 1) as usize;
    let server = FaultServer::start(Mode::Plain, move |conn| {
        let mut rng = XorShift::new(seed ^ (conn as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        Box::new(std::iter::from_fn(move || {
            Some(if rng.below(100) < percent {
                FAULTS[rng.below(FAULTS.len())]
            } else {
                Fault::None
            })
        }))
    });
    println!("soak-server-addr {}", server.addr);
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    let applied: Vec<String> = FAULTS
        .iter()
        .map(|&f| server.applied(f).to_string())
        .collect();
    drop(server);
    println!("soak-server-applied {}", applied.join(" "));
}

/// The server process, seen from the soak.
struct ServerProcess {
    child: std::process::Child,
    lines: std::io::Lines<BufReader<std::process::ChildStdout>>,
    addr: String,
}

impl ServerProcess {
    fn start() -> ServerProcess {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["soak_server", "--exact", "--ignored", "--nocapture"])
            .env(SERVER_ROLE, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let addr = lines
            .by_ref()
            .find_map(|l| Some(l.ok()?.strip_prefix("soak-server-addr ")?.to_string()))
            .expect("the soak server did not start");
        ServerProcess { child, lines, addr }
    }

    /// Stops the server; how many times it applied each of [`FAULTS`].
    fn stop(mut self) -> Vec<(Fault, usize)> {
        drop(self.child.stdin.take());
        let counts = self
            .lines
            .by_ref()
            .find_map(|l| Some(l.ok()?.strip_prefix("soak-server-applied ")?.to_string()))
            .expect("the soak server did not report");
        assert!(
            self.child.wait().unwrap().success(),
            "the soak server failed"
        );
        FAULTS
            .iter()
            .zip(counts.split(' '))
            .map(|(&f, n)| (f, n.parse().unwrap()))
            .collect()
    }
}

/// What happened to one request.
enum Outcome {
    Ok,
    /// The injected 503.
    Unavailable,
    /// A typed error, classified.
    Failed(String),
    /// An untyped error, a wrong body or status, a hang: always a test
    /// failure.
    Wrong(String),
}

#[derive(Default)]
struct Tally {
    done: AtomicU64,
    ok: AtomicU64,
    unavailable: AtomicU64,
    /// 503s the client retried (from `retries()` of responses and errors).
    retried_503: AtomicU64,
    failed: Mutex<BTreeMap<String, u64>>,
    wrong: Mutex<Vec<String>>,
    /// VmRSS (kB) when each tenth of the requests had completed.
    rss_by_tenth: [AtomicU64; 10],
}

impl Tally {
    fn record(&self, outcome: Outcome, total: u64) {
        match outcome {
            Outcome::Ok => {
                self.ok.fetch_add(1, Ordering::Relaxed);
            }
            Outcome::Unavailable => {
                self.unavailable.fetch_add(1, Ordering::Relaxed);
            }
            Outcome::Failed(class) => *self.failed.lock().unwrap().entry(class).or_default() += 1,
            Outcome::Wrong(what) => self.wrong.lock().unwrap().push(what),
        }
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let tenth = (total / 10).max(1);
        if done.is_multiple_of(tenth) && done / tenth <= 10 {
            self.rss_by_tenth[(done / tenth - 1) as usize].store(rss_kb(), Ordering::Relaxed);
        }
    }
}

/// Resident memory of this process, in kB.
fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// 503s that a request retried.
fn retried_503(records: &[brisk::RetryRecord]) -> u64 {
    records
        .iter()
        .filter(|r| r.reason == brisk::RetryReason::Status(503))
        .count() as u64
}

async fn one(client: &Client, base: &str, id: u64, tally: &Tally) -> Outcome {
    let path = format!("/soak/{id}");
    let resp = match client.get(format!("{base}{path}")).send().await {
        Ok(resp) => resp,
        Err(e) => {
            tally
                .retried_503
                .fetch_add(retried_503(e.retries()), Ordering::Relaxed);
            return failed(&e);
        }
    };
    tally
        .retried_503
        .fetch_add(retried_503(resp.retries()), Ordering::Relaxed);
    let status = resp.status().as_u16();
    let sum = resp
        .headers()
        .get("x-checksum")
        .and_then(|v| u64::from_str_radix(v.to_str().ok()?, 16).ok());
    let body = match resp.bytes().await {
        Ok(body) => body,
        Err(e) => return failed(&e),
    };
    match status {
        200 if sum == Some(checksum(&body)) && body == body_for(&path) => Outcome::Ok,
        200 => Outcome::Wrong(format!("{path}: body does not match (checksum {sum:?})")),
        503 => Outcome::Unavailable,
        s => Outcome::Wrong(format!("{path}: status {s}")),
    }
}

fn failed(e: &brisk::Error) -> Outcome {
    let class = describe(e);
    if class.starts_with("UNTYPED") {
        Outcome::Wrong(class)
    } else {
        Outcome::Failed(class)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "soak: run with --release --ignored; BRISK_SOAK_REQUESTS sets the count"]
async fn soak() {
    if std::env::var_os(SERVER_ROLE).is_some() {
        return;
    }
    let total = env_or("BRISK_SOAK_REQUESTS", 1_000_000);
    let fds_before = open_fds();
    let server = ServerProcess::start();
    let client = Client::builder()
        .connect_timeout(Duration::from_secs(1))
        .write_timeout(Duration::from_millis(500))
        .read_timeout(Duration::from_millis(500))
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let base = Arc::new(format!("http://{}", server.addr));
    let tally = Arc::new(Tally::default());
    let next = Arc::new(AtomicU64::new(0));

    let started = Instant::now();
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (client, base, tally, next) =
                (client.clone(), base.clone(), tally.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    let id = next.fetch_add(1, Ordering::Relaxed);
                    if id >= total {
                        return;
                    }
                    let outcome = tokio::time::timeout(HANG, one(&client, &base, id, &tally))
                        .await
                        .unwrap_or_else(|_| Outcome::Wrong(format!("/soak/{id}: hung")));
                    tally.record(outcome, total);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("a request panicked");
    }
    let elapsed = started.elapsed();
    let rss_end = rss_kb();
    let rss: Vec<u64> = tally
        .rss_by_tenth
        .iter()
        .map(|r| r.load(Ordering::Relaxed))
        .collect();
    let stats = client.stats();
    drop(client);
    let applied = server.stop();
    let mut fds_after = open_fds();
    for _ in 0..40 {
        if fds_after <= fds_before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        fds_after = open_fds();
    }

    let count = |fault: Fault| applied.iter().find(|(f, _)| *f == fault).map_or(0, |p| p.1);
    let can_fail: usize = applied
        .iter()
        .filter(|(f, _)| !HARMLESS.contains(f))
        .map(|(_, n)| n)
        .sum();
    let ok = tally.ok.load(Ordering::Relaxed);
    let unavailable = tally.unavailable.load(Ordering::Relaxed);
    let failed = tally.failed.lock().unwrap().clone();
    let failures: u64 = failed.values().sum();
    let wrong = tally.wrong.lock().unwrap().clone();

    println!("\nsoak: {total} requests at concurrency {CONCURRENCY}");
    println!(
        "  {:.1} s, {:.0} req/s",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  ok {ok}, 503 {unavailable} (retried {}), failed {failures}, wrong {}",
        tally.retried_503.load(Ordering::Relaxed),
        wrong.len()
    );
    for (class, n) in &failed {
        println!("    failed: {class}: {n}");
    }
    let applied_text: Vec<String> = applied
        .iter()
        .map(|(f, n)| format!("{} {n}", f.name()))
        .collect();
    println!(
        "  faults applied: {} (that can fail a request: {can_fail})",
        applied_text.join(", ")
    );
    println!(
        "  client: {} connections opened, {} requests sent ({} reused), {} idle, closed {:?}",
        stats.connections_opened,
        stats.requests_sent,
        stats.requests_reused,
        stats.idle_connections,
        stats.closed
    );
    println!(
        "  VmRSS {} kB at {} requests, {rss_end} kB at the end ({:+} kB); by tenth: {rss:?}",
        rss[0],
        total / 10,
        rss_end as i64 - rss[0] as i64
    );
    println!("  fds {fds_before} before, {fds_after} after");

    assert!(
        wrong.is_empty(),
        "{} wrong outcomes, the first: {:#?}",
        wrong.len(),
        &wrong[..wrong.len().min(20)]
    );
    assert_eq!(ok + unavailable + failures, total, "outcomes lost");
    let retried = tally.retried_503.load(Ordering::Relaxed);
    assert_eq!(
        (unavailable + retried) as usize,
        count(Fault::Unavailable),
        "an injected 503 was lost, or one appeared ({unavailable} returned, {retried} retried)"
    );
    assert!(
        failures as usize <= can_fail,
        "{failures} failures but only {can_fail} faults that can fail a request"
    );
    // With every response read, each connection opened is either idle in
    // the pool or was closed for a counted reason.
    let c = stats.closed;
    let closed = c.not_reusable
        + c.idle_timeout
        + c.keep_alive_expired
        + c.server_closed
        + c.pool_full
        + c.error
        + c.abandoned;
    assert_eq!(
        stats.connections_opened,
        closed + stats.idle_connections as u64,
        "connections opened vs closed + idle: {stats:?}"
    );
    assert!(
        fds_after <= fds_before,
        "fds {fds_before} before, {fds_after} after"
    );
    assert!(
        rss_end < rss[0] + RSS_GROWTH_MAX_KB,
        "VmRSS grew from {} kB to {rss_end} kB",
        rss[0]
    );
}
