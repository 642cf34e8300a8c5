//! brisk's WebSocket client against tokio-tungstenite and fastwebsockets,
//! in one run, against one fastwebsockets echo server on loopback (issue
//! 21's performance goal).
//!
//! ```text
//! ws [--quick] [--reps N] [--clients "brisk tungstenite fastwebsockets"]
//!    (also brisk-owned: brisk receiving owned messages, `recv`)
//!    [--workloads "rtt stream c100 idle"] [--same-core | --no-pin]
//!        starts the echo server (a process pinned to core 1, or with
//!        --same-core to core 0 beside the client), then runs every workload
//!        with every client, each run a process pinned to core 0, clients in
//!        rotating order each rep; prints a markdown table of medians and
//!        brisk's ratios
//! ws --serve [--port P]                    the echo server alone
//! ws --run CLIENT WORKLOAD --addr ADDR [--quick]
//!        one run, one JSON line on stdout
//! ```
//!
//! Besides its rate, each measured workload reports the client process's
//! CPU time (user + system, `getrusage`) per message: on a shared machine
//! it moves less than the rate, which other processes' time slices cut.
//!
//! Workloads, each on a current-thread tokio runtime (with a `LocalSet`):
//! - `rtt`: one connection, 20 B text messages, send then wait for the echo:
//!   round trips a second and the median round trip;
//! - `stream`: one connection split into a writer task and a reader task,
//!   16 KiB binary messages with at most 32 sent and not yet echoed:
//!   messages a second (echoed ones) and MB/s one way;
//! - `c100`: 100 connections, each doing 20 B round trips in its own task:
//!   round trips a second, and the process's peak RSS;
//! - `idle`: after one connection (so that what is made once per process is
//!   counted before), 1,000 more connections held open, idle: RSS and
//!   malloc's bytes in use (glibc `mallinfo2`) after, minus before, per
//!   connection.
//!
//! `--quick` divides every count by 10 (100 idle connections), for smoke
//! tests; its figures are not for quoting.

use std::cell::Cell;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

use brisk_benches::measure::{cpu_time, peak_rss_kb, percentile_us};
use brisk_benches::ws_clients::{
    serve_echo, BoxError, Brisk, BriskOwned, Env, Fastwebsockets, Tungstenite, WsClient, WsReader,
    WsWriter,
};
use serde_json::{json, Value};

const CLIENTS: &[&str] = &["brisk", "tungstenite", "fastwebsockets"];
const WORKLOADS: &[&str] = &["rtt", "stream", "c100", "idle"];
const STREAM_MESSAGE: usize = 16 * 1024;
const IN_FLIGHT: usize = 32;

struct Counts {
    round_trips: usize,
    warmup: usize,
    stream_messages: usize,
    connections: usize,
    round_trips_each: usize,
    idle: usize,
}

impl Counts {
    fn new(quick: bool) -> Counts {
        let d = if quick { 10 } else { 1 };
        Counts {
            round_trips: 40_000 / d,
            warmup: 2_000 / d,
            stream_messages: 40_000 / d,
            connections: 100,
            round_trips_each: 1_000 / d,
            idle: 1_000 / d,
        }
    }
}

fn main() {
    raise_fd_limit();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("--serve") => serve(&args[1..]),
        Some("--run") => run_one(&args[1..]),
        _ => drive(&args),
    };
    if let Err(e) = result {
        eprintln!("ws: {e}");
        std::process::exit(1);
    }
}

/// The soft limit on open files up to the hard one: `idle` holds 1,000
/// connections in the client and as many in the server, past the usual
/// soft limit of 1,024 with what else is open.
fn raise_fd_limit() {
    // SAFETY: `getrlimit` and `setrlimit` only read and write the struct
    // they are given; an all-zero `rlimit` is a valid value to start from.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

fn flag_value<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn runtime() -> Result<tokio::runtime::Runtime, BoxError> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

// ---- the server process ----

fn serve(args: &[String]) -> Result<(), BoxError> {
    let port: u16 = flag_value(args, "--port").unwrap_or("0").parse()?;
    runtime()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        println!("listening {}", listener.local_addr()?);
        serve_echo(listener).await
    })
}

// ---- one run ----

fn run_one(args: &[String]) -> Result<(), BoxError> {
    let (client, workload) = match args {
        [c, w, ..] => (c.as_str(), w.as_str()),
        _ => return Err("--run CLIENT WORKLOAD --addr ADDR".into()),
    };
    let addr: SocketAddr = flag_value(args, "--addr")
        .ok_or("--addr is needed")?
        .parse()?;
    let counts = Counts::new(args.iter().any(|a| a == "--quick"));
    let rt = runtime()?;
    let local = tokio::task::LocalSet::new();
    let result = local.block_on(&rt, async {
        let env = Rc::new(Env {
            addr,
            brisk: brisk::Client::new(),
        });
        match client {
            "brisk" => workload_run::<Brisk>(workload, env, &counts).await,
            "brisk-owned" => workload_run::<BriskOwned>(workload, env, &counts).await,
            "tungstenite" => workload_run::<Tungstenite>(workload, env, &counts).await,
            "fastwebsockets" => workload_run::<Fastwebsockets>(workload, env, &counts).await,
            other => Err(format!("unknown client {other}").into()),
        }
    });
    let mut line = json!({ "client": client, "workload": workload });
    match result {
        Ok(Value::Object(fields)) => line.as_object_mut().unwrap().extend(fields),
        Ok(_) => unreachable!(),
        Err(e) => line["error"] = json!(e.to_string()),
    }
    line["peak_rss_kb"] = json!(peak_rss_kb());
    println!("{line}");
    if line.get("error").is_some() {
        return Err("the run failed".into());
    }
    Ok(())
}

async fn workload_run<C: WsClient + 'static>(
    workload: &str,
    env: Rc<Env>,
    counts: &Counts,
) -> Result<Value, BoxError> {
    match workload {
        "rtt" => rtt::<C>(&env, counts).await,
        "stream" => stream::<C>(&env, counts).await,
        "c100" => c100::<C>(env, counts).await,
        "idle" => idle::<C>(&env, counts).await,
        other => Err(format!("unknown workload {other}").into()),
    }
}

async fn rtt<C: WsClient>(env: &Env, counts: &Counts) -> Result<Value, BoxError> {
    let mut ws = C::connect(env).await?;
    for _ in 0..counts.warmup {
        ws.round_trip().await?;
    }
    let mut times = Vec::with_capacity(counts.round_trips);
    let (start, cpu) = (Instant::now(), cpu_time());
    for _ in 0..counts.round_trips {
        let t = Instant::now();
        ws.round_trip().await?;
        times.push(t.elapsed());
    }
    let (wall, cpu) = (start.elapsed(), cpu_time() - cpu);
    times.sort_unstable();
    Ok(json!({
        "msgs_per_s": counts.round_trips as f64 / wall.as_secs_f64(),
        "cpu_us_per_msg": cpu.as_secs_f64() * 1e6 / counts.round_trips as f64,
        "p50_us": percentile_us(&times, 50.0),
    }))
}

async fn stream<C: WsClient + 'static>(env: &Env, counts: &Counts) -> Result<Value, BoxError> {
    let ws = C::connect(env).await?;
    let (mut reader, mut writer) = ws.split();
    let payload = vec![0x5a; STREAM_MESSAGE];
    let total = counts.stream_messages;
    // Messages sent and not yet echoed; the writer waits while IN_FLIGHT
    // are out. Both tasks run on this thread, so a Cell and a Notify do.
    let in_flight = Rc::new(Cell::new(0usize));
    let room = Rc::new(tokio::sync::Notify::new());
    let (start, cpu) = (Instant::now(), cpu_time());
    let writing = {
        let (in_flight, room) = (in_flight.clone(), room.clone());
        tokio::task::spawn_local(async move {
            for _ in 0..total {
                while in_flight.get() >= IN_FLIGHT {
                    room.notified().await;
                }
                in_flight.set(in_flight.get() + 1);
                // The application's fresh message, given away.
                writer.send_binary(payload.clone()).await?;
            }
            Ok::<_, BoxError>(writer)
        })
    };
    for _ in 0..total {
        let len = reader.recv().await?;
        if len != STREAM_MESSAGE {
            return Err(format!("echo of {len} bytes, sent {STREAM_MESSAGE}").into());
        }
        in_flight.set(in_flight.get() - 1);
        room.notify_one();
    }
    let (wall, cpu) = (start.elapsed(), cpu_time() - cpu);
    let _writer = writing.await??;
    let per_s = total as f64 / wall.as_secs_f64();
    Ok(json!({
        "cpu_us_per_msg": cpu.as_secs_f64() * 1e6 / total as f64,
        "msgs_per_s": per_s,
        "mb_per_s": per_s * STREAM_MESSAGE as f64 / 1e6,
    }))
}

async fn c100<C: WsClient + 'static>(env: Rc<Env>, counts: &Counts) -> Result<Value, BoxError> {
    let mut sockets = Vec::with_capacity(counts.connections);
    for _ in 0..counts.connections {
        sockets.push(C::connect(&env).await?);
    }
    let each = counts.round_trips_each;
    let warmup = (each / 10).max(1);
    // Every connection warms up, then all wait at the start line.
    let ready = Rc::new(tokio::sync::Barrier::new(counts.connections + 1));
    let mut tasks = Vec::with_capacity(counts.connections);
    for mut ws in sockets {
        let ready = ready.clone();
        tasks.push(tokio::task::spawn_local(async move {
            for _ in 0..warmup {
                ws.round_trip().await?;
            }
            ready.wait().await;
            for _ in 0..each {
                ws.round_trip().await?;
            }
            Ok::<_, BoxError>(ws)
        }));
    }
    ready.wait().await;
    let (start, cpu) = (Instant::now(), cpu_time());
    let mut open = Vec::with_capacity(tasks.len());
    for task in tasks {
        open.push(task.await??);
    }
    let (wall, cpu) = (start.elapsed(), cpu_time() - cpu);
    let total = (counts.connections * each) as f64;
    Ok(json!({
        "msgs_per_s": total / wall.as_secs_f64(),
        "cpu_us_per_msg": cpu.as_secs_f64() * 1e6 / total,
        "peak_rss_mib": peak_rss_kb().map(|kb| kb as f64 / 1024.0),
    }))
}

/// `VmRSS` from `/proc/self/status`, in KiB.
fn rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Bytes malloc has handed out and not had back (glibc's `mallinfo2`:
/// `uordblks` from the heap and arenas, `hblkhd` mmapped).
fn heap_in_use() -> u64 {
    // SAFETY: `mallinfo2` takes nothing and returns a struct by value.
    let info = unsafe { libc::mallinfo2() };
    (info.uordblks + info.hblkhd) as u64
}

async fn idle<C: WsClient>(env: &Env, counts: &Counts) -> Result<Value, BoxError> {
    let mut first = C::connect(env).await?;
    first.round_trip().await?;
    tokio::task::yield_now().await;
    let (rss_before, heap_before) = (rss_kb().ok_or("no VmRSS")?, heap_in_use());
    let mut held = Vec::with_capacity(counts.idle);
    for _ in 0..counts.idle {
        held.push(C::connect(env).await?);
    }
    // Let what the handshakes spawned (hyper's connection task for
    // fastwebsockets) finish.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (rss_after, heap_after) = (rss_kb().ok_or("no VmRSS")?, heap_in_use());
    let n = counts.idle as f64;
    Ok(json!({
        "rss_kib_per_conn": (rss_after as f64 - rss_before as f64) / n,
        "heap_kib_per_conn": (heap_after as f64 - heap_before as f64) / 1024.0 / n,
    }))
}

// ---- the driver ----

fn list(args: &[String], name: &str, all: &[&str]) -> Vec<String> {
    match flag_value(args, name) {
        Some(v) => v.split_whitespace().map(str::to_owned).collect(),
        None => all.iter().map(|s| s.to_string()).collect(),
    }
}

fn pinned(core: u32, pin: bool) -> Command {
    let exe = std::env::current_exe().expect("the bench's own path");
    if pin {
        let mut c = Command::new("taskset");
        c.arg("-c").arg(core.to_string()).arg(exe);
        c
    } else {
        Command::new(exe)
    }
}

/// The measured figures of each workload: (JSON field, heading, whether
/// higher is better).
fn metrics(workload: &str) -> &'static [(&'static str, &'static str, bool)] {
    match workload {
        "rtt" => &[
            ("msgs_per_s", "20 B round trips, 1 connection: msgs/s", true),
            ("p50_us", "… p50 µs", false),
            ("cpu_us_per_msg", "… client CPU µs/msg", false),
        ],
        "stream" => &[
            ("msgs_per_s", "16 KiB, 32 in flight: msgs/s", true),
            ("mb_per_s", "… MB/s", true),
            ("cpu_us_per_msg", "… client CPU µs/msg", false),
        ],
        "c100" => &[
            ("msgs_per_s", "100 connections × 20 B: msgs/s", true),
            ("cpu_us_per_msg", "… client CPU µs/msg", false),
            ("peak_rss_mib", "… peak RSS MiB", false),
        ],
        "idle" => &[
            ("rss_kib_per_conn", "idle connection: RSS KiB", false),
            ("heap_kib_per_conn", "… malloc KiB", false),
        ],
        _ => &[],
    }
}

fn drive(args: &[String]) -> Result<(), BoxError> {
    let quick = args.iter().any(|a| a == "--quick");
    let pin = !args.iter().any(|a| a == "--no-pin");
    let reps: usize = flag_value(args, "--reps").unwrap_or("5").parse()?;
    let clients = list(args, "--clients", CLIENTS);
    let workloads = list(args, "--workloads", WORKLOADS);

    let server_core = if args.iter().any(|a| a == "--same-core") {
        0
    } else {
        1
    };
    let mut server = pinned(server_core, pin)
        .arg("--serve")
        .stdout(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(server.stdout.take().ok_or("server stdout")?).read_line(&mut line)?;
    let addr = line
        .trim()
        .strip_prefix("listening ")
        .ok_or("the server did not start")?
        .to_owned();
    let placement = match (pin, server_core) {
        (false, _) => "unpinned".to_owned(),
        (true, core) => format!("server on core {core}, client on core 0"),
    };
    eprintln!(
        "echo server on {addr}, {placement}; {reps} reps{}",
        if quick { ", quick" } else { "" }
    );

    let mut results: Vec<Value> = Vec::new();
    let outcome = (|| -> Result<(), BoxError> {
        for rep in 0..reps {
            for workload in &workloads {
                for i in 0..clients.len() {
                    let client = &clients[(i + rep) % clients.len()];
                    let mut cmd = pinned(0, pin);
                    cmd.args(["--run", client, workload, "--addr", &addr]);
                    if quick {
                        cmd.arg("--quick");
                    }
                    let out = cmd.stderr(Stdio::inherit()).output()?;
                    let text = String::from_utf8_lossy(&out.stdout);
                    let value: Value = serde_json::from_str(text.trim())
                        .map_err(|e| format!("{client} {workload}: {e}: {text}"))?;
                    eprintln!("rep {} {value}", rep + 1);
                    if let Some(e) = value.get("error") {
                        return Err(format!("{client} {workload}: {e}").into());
                    }
                    results.push(value);
                }
            }
        }
        Ok(())
    })();
    let _ = server.kill();
    let _ = server.wait();
    outcome?;
    println!("\nMedians of {reps} interleaved reps (min–max), {placement}; ratios of medians, brisk ÷ rival.\n");
    print_table(&results, &clients, &workloads, reps);
    Ok(())
}

fn median_and_spread(
    results: &[Value],
    client: &str,
    workload: &str,
    field: &str,
) -> Option<(f64, f64, f64)> {
    let mut xs: Vec<f64> = results
        .iter()
        .filter(|v| v["client"] == client && v["workload"] == workload)
        .filter_map(|v| v[field].as_f64())
        .collect();
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    let median = if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    };
    Some((median, xs[0], xs[n - 1]))
}

fn fmt_figure(x: f64) -> String {
    if x >= 10_000.0 {
        format!("{:.1}k", x / 1000.0)
    } else if x >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

fn print_table(results: &[Value], clients: &[String], workloads: &[String], reps: usize) {
    let mut heading = String::from("| workload |");
    let mut rule = String::from("|---|");
    for c in clients {
        heading += &format!(" {} |", display_name(c));
        rule += "---|";
    }
    let rivals: Vec<&String> = clients.iter().filter(|c| *c != "brisk").collect();
    let with_brisk = clients.iter().any(|c| c == "brisk");
    if with_brisk {
        for r in &rivals {
            heading += &format!(" brisk ÷ {} |", display_name(r));
            rule += "---|";
        }
    }
    println!("{heading}\n{rule}");
    for w in workloads {
        for (field, label, higher_better) in metrics(w) {
            let mut row = format!(
                "| {label}{} |",
                if *higher_better {
                    ""
                } else {
                    " (lower is better)"
                }
            );
            for c in clients {
                row += &match median_and_spread(results, c, w, field) {
                    Some((m, lo, hi)) if reps > 1 => {
                        format!(
                            " {} ({}–{}) |",
                            fmt_figure(m),
                            fmt_figure(lo),
                            fmt_figure(hi)
                        )
                    }
                    Some((m, _, _)) => format!(" {} |", fmt_figure(m)),
                    None => " – |".into(),
                };
            }
            if with_brisk {
                let brisk = median_and_spread(results, "brisk", w, field);
                for r in &rivals {
                    row += &match (brisk, median_and_spread(results, r, w, field)) {
                        (Some((b, _, _)), Some((x, _, _))) if x != 0.0 => {
                            format!(" {:.2}× |", b / x)
                        }
                        _ => " – |".into(),
                    };
                }
            }
            println!("{row}");
        }
    }
}

fn display_name(client: &str) -> &str {
    match client {
        "tungstenite" => "tokio-tungstenite 0.30",
        "fastwebsockets" => "fastwebsockets 0.10",
        other => other,
    }
}
