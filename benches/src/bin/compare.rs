//! Runs one workload with one client against the loopback server and prints
//! one line of JSON.
//!
//! ```text
//! compare --client brisk|reqwest|hyper|raw|raw-peek
//!         --workload seq|c100|1m|tls-new-conn|slow|tls-seq|tls-c100|stream-1m|stream-100m|slow10k|gzip-20m
//!         [--addr 127.0.0.1:PORT]   server started separately (the TLS server for tls-*);
//!                                   without it, one is started in-process
//!         [--cert FILE.der]         the TLS server's certificate (with --addr, for tls-*)
//!         [--requests N] [--warmup N] [--concurrency N] [--delay-ms N]
//!         [--quick]                 a tenth of the default counts, for smoke tests
//!         [--label TEXT]            copied into the JSON as "mode" (e.g. pinned, unpinned)
//! ```
//!
//! The client side runs on a current-thread tokio runtime (with a `LocalSet`
//! for the concurrent workloads). Only the measured phase is counted: CPU
//! time from `getrusage(RUSAGE_SELF)`, allocations from the counting global
//! allocator, connections from the server's count (`/stats`). Warm-up
//! requests go first, on the same client.
//!
//! A run that fails still prints its line, with an `error` field, so the
//! summary can show the failure (and the exit status is 1).

use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use brisk_benches::alloc_count::{self, Counting, Counts};
use brisk_benches::clients::{tls_config, AnyClient, BenchClient, BoxError, Options, Target};
use brisk_benches::measure::{cpu_time, listen_overflows, peak_rss_kb, percentile_us};
use brisk_benches::server::{self, GZIP_JSON_LEN, HELLO, HUNDRED_MIB, ONE_MIB};
use brisk_benches::{EXTRA_WORKLOADS, WORKLOADS};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[global_allocator]
static ALLOC: Counting = Counting;

/// Connections kept idle per host, for every pooled client. Larger than the
/// widest workload, so no client closes a connection it could reuse: 1,024
/// (as ever) beside `slow`'s 1,000, and 16,384 for `slow10k`'s 10,000.
fn pool_max_idle(workload: &str) -> usize {
    match workload {
        "slow10k" => 16_384,
        _ => 1024,
    }
}

/// The buffer a streamed download is read into, reused for every request.
const STREAM_BUF: usize = 64 * 1024;

struct Args {
    client: String,
    workload: String,
    addr: Option<SocketAddr>,
    cert: Option<String>,
    requests: Option<usize>,
    warmup: Option<usize>,
    concurrency: Option<usize>,
    delay_ms: u64,
    quick: bool,
    label: Option<String>,
}

fn parse_args() -> Result<Args, BoxError> {
    let mut args = Args {
        client: String::new(),
        workload: String::new(),
        addr: None,
        cert: None,
        requests: None,
        warmup: None,
        concurrency: None,
        delay_ms: 1000,
        quick: false,
        label: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--client" => args.client = value()?,
            "--workload" => args.workload = value()?,
            "--addr" => args.addr = Some(value()?.parse()?),
            "--cert" => args.cert = Some(value()?),
            "--requests" => args.requests = Some(value()?.parse()?),
            "--warmup" => args.warmup = Some(value()?.parse()?),
            "--concurrency" => args.concurrency = Some(value()?.parse()?),
            "--delay-ms" => args.delay_ms = value()?.parse()?,
            "--label" => args.label = Some(value()?),
            "--quick" => args.quick = true,
            "-h" | "--help" => {
                println!("see the top of benches/src/bin/compare.rs");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    let known = WORKLOADS.iter().chain(EXTRA_WORKLOADS);
    if args.client.is_empty() || !known.clone().any(|w| *w == args.workload) {
        return Err(format!(
            "usage: compare --client brisk|reqwest|hyper|raw|raw-peek --workload {} [--addr A] ...",
            known.copied().collect::<Vec<_>>().join("|")
        )
        .into());
    }
    Ok(args)
}

/// Counts connections the server accepted: directly for an in-process
/// server, else through its `/stats` page (each fetch is one connection).
struct ServerCount {
    in_process: Option<Arc<AtomicU64>>,
    addr: SocketAddr,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl ServerCount {
    async fn read(&self) -> Result<u64, BoxError> {
        if let Some(n) = &self.in_process {
            return Ok(n.load(Ordering::Relaxed));
        }
        let tcp = tokio::net::TcpStream::connect(self.addr).await?;
        let req = b"GET /stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        let mut reply = Vec::new();
        match &self.tls {
            None => {
                let mut s = tcp;
                s.write_all(req).await?;
                s.read_to_end(&mut reply).await?;
            }
            Some(config) => {
                let name = rustls::pki_types::ServerName::try_from("localhost")?;
                let connector = tokio_rustls::TlsConnector::from(config.clone());
                let mut s = connector.connect(name, tcp).await?;
                s.write_all(req).await?;
                s.flush().await?;
                // A peer that closes without close_notify is fine here.
                let _ = s.read_to_end(&mut reply).await;
            }
        }
        let text = String::from_utf8_lossy(&reply);
        let n = text
            .split("\"connections\":")
            .nth(1)
            .and_then(|rest| rest.split('}').next())
            .and_then(|n| n.trim().parse().ok())
            .ok_or_else(|| format!("bad /stats reply: {text:?}"))?;
        Ok(n)
    }

    /// Connections opened between two readings, not counting the `fetches`
    /// of `/stats` made after the first reading (the later one included).
    fn between(&self, before: u64, after: u64, fetches: u64) -> u64 {
        let fetches = fetches * u64::from(self.in_process.is_none());
        after.saturating_sub(before).saturating_sub(fetches)
    }
}

/// What the measured phase cost.
struct Measured {
    seconds: f64,
    cpu: Duration,
    counts: Counts,
}

/// Marks the start of the measured phase.
struct Probe {
    wall: Instant,
    cpu: Duration,
}

impl Probe {
    fn start() -> Probe {
        let cpu = cpu_time();
        alloc_count::start();
        Probe {
            wall: Instant::now(),
            cpu,
        }
    }

    fn stop(self) -> Measured {
        let seconds = self.wall.elapsed().as_secs_f64();
        let counts = alloc_count::stop();
        Measured {
            seconds,
            cpu: cpu_time().saturating_sub(self.cpu),
            counts,
        }
    }
}

struct Setup {
    target: Target,
    options: Options,
    count: ServerCount,
    /// Keeps an in-process server's thread meaningful to the reader: it
    /// runs until the process exits.
    _server: Option<server::RunningServer>,
}

fn setup(args: &Args, tls: bool, path: &str) -> Result<Setup, BoxError> {
    let (addr, cert_der, running) = match args.addr {
        Some(addr) => {
            let der = match (&args.cert, tls) {
                (Some(file), true) => Some(std::fs::read(file)?),
                (None, true) => {
                    return Err(format!("{} with --addr needs --cert", args.workload).into())
                }
                (_, false) => None,
            };
            (addr, der, None)
        }
        None => {
            let running = server::spawn(0, tls)?;
            (running.addr, running.cert_der.clone(), Some(running))
        }
    };
    let count = ServerCount {
        in_process: running.as_ref().map(|r| r.connections.clone()),
        addr,
        tls: cert_der.as_deref().map(tls_config).transpose()?,
    };
    Ok(Setup {
        target: Target::new(addr, tls, path)?,
        options: Options {
            pool_max_idle_per_host: pool_max_idle(&args.workload),
            root_der: cert_der,
            // hyper's pooled TLS client where connections are reused;
            // tls-new-conn keeps its connection per request.
            pooled_tls: args.workload != "tls-new-conn",
        },
        count,
        _server: running,
    })
}

fn expect_len(got: usize, want: usize) -> Result<(), BoxError> {
    match got == want {
        true => Ok(()),
        false => Err(format!("body of {got} bytes, expected {want}").into()),
    }
}

/// `n` requests one after another; latencies of each. With `stream`, each
/// body is read through the client's streaming API into that buffer.
async fn sequential(
    client: &AnyClient,
    target: &Target,
    n: usize,
    want: usize,
    lat: &mut Vec<Duration>,
    mut stream: Option<&mut [u8]>,
) -> Result<(), BoxError> {
    for _ in 0..n {
        let t0 = Instant::now();
        let got = match stream.as_deref_mut() {
            Some(buf) => usize::try_from(client.stream(target, buf).await?)?,
            None => client.get(target).await?,
        };
        expect_len(got, want)?;
        lat.push(t0.elapsed());
    }
    Ok(())
}

/// `n` requests shared among `tasks` tasks on one client. With `measure`,
/// the measured phase starts once every task is spawned and waiting, so
/// spawning is not counted.
async fn concurrent(
    client: &Rc<AnyClient>,
    target: &Rc<Target>,
    tasks: usize,
    n: usize,
    want: usize,
    measure: bool,
) -> Result<(Vec<Duration>, Option<Measured>), BoxError> {
    let next = Rc::new(Cell::new(0usize));
    let lat = Rc::new(RefCell::new(Vec::with_capacity(n)));
    let barrier = Rc::new(tokio::sync::Barrier::new(tasks + 1));
    let mut handles = Vec::with_capacity(tasks);
    for _ in 0..tasks {
        let (client, target, next, lat, barrier) = (
            client.clone(),
            target.clone(),
            next.clone(),
            lat.clone(),
            barrier.clone(),
        );
        handles.push(tokio::task::spawn_local(async move {
            barrier.wait().await;
            loop {
                let i = next.get();
                if i >= n {
                    return Ok::<(), BoxError>(());
                }
                next.set(i + 1);
                let t0 = Instant::now();
                expect_len(client.get(&target).await?, want)?;
                lat.borrow_mut().push(t0.elapsed());
            }
        }));
    }
    let probe = measure.then(Probe::start);
    barrier.wait().await;
    let mut failure = None;
    let mut failed = 0;
    for h in handles {
        if let Err(e) = h.await.map_err(BoxError::from).and_then(|r| r) {
            failed += 1;
            failure.get_or_insert(e);
        }
    }
    let measured = probe.map(Probe::stop);
    if let Some(e) = failure {
        // How many failed says whether it is a limit (all past some count)
        // or a fluke; each task stops at its first error.
        return Err(format!("{failed} of {tasks} tasks failed; the first: {e}").into());
    }
    let lat = std::mem::take(&mut *lat.borrow_mut());
    Ok((lat, measured))
}

struct Outcome {
    requests: usize,
    measured: Measured,
    lat: Vec<Duration>,
    conns: u64,
    conns_total: u64,
    client_conns: Option<u64>,
    extra: Vec<(&'static str, Value)>,
}

async fn run(args: Args) -> Result<Outcome, BoxError> {
    let q = |full: usize| if args.quick { (full / 10).max(1) } else { full };
    let name = args.client.as_str();
    match args.workload.as_str() {
        "seq" | "1m" | "tls-seq" | "stream-1m" | "stream-100m" | "gzip-20m" => {
            let w = args.workload.as_str();
            let (path, want, n, warm) = match w {
                "seq" | "tls-seq" => ("/", HELLO.len(), q(20_000), q(1_000)),
                "1m" | "stream-1m" => ("/1m", ONE_MIB, q(2_000), q(20)),
                // Decoded by brisk and reqwest (hyper and raw would hand
                // back the gzip: not comparable).
                "gzip-20m" => ("/20m.json.gz", GZIP_JSON_LEN, q(30), q(3)),
                _ => ("/100m", HUNDRED_MIB, q(20), q(2)),
            };
            let streamed = w.starts_with("stream-");
            let (n, warm) = (args.requests.unwrap_or(n), args.warmup.unwrap_or(warm));
            let s = setup(&args, w == "tls-seq", path)?;
            let c0 = s.count.read().await?;
            let client = AnyClient::build(name, &s.target, &s.options)?;
            let mut lat = Vec::with_capacity(n.max(warm));
            // One buffer for every streamed download, allocated before the
            // measured phase.
            let mut buf = match streamed {
                true => vec![0u8; STREAM_BUF],
                false => Vec::new(),
            };
            let stream = streamed.then_some(&mut buf[..]);
            sequential(&client, &s.target, warm, want, &mut lat, stream).await?;
            lat.clear();
            let c1 = s.count.read().await?;
            let k0 = client.connections_opened();
            let rss_before = peak_rss_kb();
            let probe = Probe::start();
            let stream = streamed.then_some(&mut buf[..]);
            sequential(&client, &s.target, n, want, &mut lat, stream).await?;
            let measured = probe.stop();
            let k1 = client.connections_opened();
            let c2 = s.count.read().await?;
            let mut extra = Vec::new();
            if want >= ONE_MIB {
                let bytes = (n * want) as f64;
                let mb = bytes / measured.seconds / 1e6;
                extra.push(("mb_per_s", json!(round(mb, 1))));
                let mib = bytes / ONE_MIB as f64;
                let cpu = measured.cpu.as_secs_f64() * 1e6 / mib;
                extra.push(("cpu_us_per_mib", json!(round(cpu, 2))));
            }
            if streamed {
                // Peak RSS before the measured phase (after the warm-up):
                // with the one at the end, whether downloads grow memory.
                extra.push(("peak_rss_kb_before", json!(rss_before)));
                extra.push(("body_bytes", json!(want)));
            }
            Ok(Outcome {
                requests: n,
                measured,
                lat,
                conns: s.count.between(c1, c2, 1),
                conns_total: s.count.between(c0, c2, 2),
                client_conns: k0.zip(k1).map(|(a, b)| b - a),
                extra,
            })
        }
        "c100" | "slow" | "tls-c100" | "slow10k" => {
            let w = args.workload.as_str();
            let slow = w.starts_with("slow");
            let wide = match w {
                "slow10k" => 10_000,
                _ => 1_000,
            };
            let (path, n, warm, tasks) = match slow {
                false => ("/".to_string(), q(50_000), q(5_000), 100),
                true => (format!("/delay?ms={}", args.delay_ms), q(wide), 0, q(wide)),
            };
            let n = args.requests.unwrap_or(n);
            let warm = args.warmup.unwrap_or(warm);
            let tasks = args.concurrency.unwrap_or(tasks);
            let s = setup(&args, w == "tls-c100", &path)?;
            let c0 = s.count.read().await?;
            let client = Rc::new(AnyClient::build(name, &s.target, &s.options)?);
            let target = Rc::new(s.target.clone());
            let mut extra = Vec::new();
            if slow {
                // One call alone first: what a single request takes.
                let t0 = Instant::now();
                expect_len(client.get(&target).await?, HELLO.len())?;
                extra.push(("single_call_s", json!(round(t0.elapsed().as_secs_f64(), 4))));
            }
            if warm > 0 {
                concurrent(&client, &target, tasks, warm, HELLO.len(), false).await?;
            }
            let c1 = s.count.read().await?;
            let k0 = client.connections_opened();
            let o0 = listen_overflows();
            let (lat, measured) = concurrent(&client, &target, tasks, n, HELLO.len(), true).await?;
            let measured = measured.ok_or("no measurement")?;
            let o1 = listen_overflows();
            let k1 = client.connections_opened();
            let c2 = s.count.read().await?;
            if slow {
                extra.push(("wall_s", json!(round(measured.seconds, 4))));
            }
            if w == "slow10k" {
                // Handshakes dropped at a full accept queue cost a second
                // each: this says whether wall_s includes that.
                let dropped = o0.zip(o1).map(|(a, b)| b.saturating_sub(a));
                extra.push(("listen_overflows", json!(dropped)));
            }
            extra.push(("concurrency", json!(tasks)));
            Ok(Outcome {
                requests: n,
                measured,
                lat,
                conns: s.count.between(c1, c2, 1),
                conns_total: s.count.between(c0, c2, 2),
                client_conns: k0.zip(k1).map(|(a, b)| b - a),
                extra,
            })
        }
        "tls-new-conn" => {
            let n = args.requests.unwrap_or(q(1_000));
            let warm = args.warmup.unwrap_or(q(20));
            let s = setup(&args, true, "/")?;
            let c0 = s.count.read().await?;
            for _ in 0..warm {
                let client = AnyClient::build(name, &s.target, &s.options)?;
                expect_len(client.get(&s.target).await?, HELLO.len())?;
            }
            let c1 = s.count.read().await?;
            let mut lat = Vec::with_capacity(n);
            let mut client_conns = Some(0);
            let probe = Probe::start();
            for _ in 0..n {
                // A new client per request: build, one GET, drop.
                let t0 = Instant::now();
                let client = AnyClient::build(name, &s.target, &s.options)?;
                expect_len(client.get(&s.target).await?, HELLO.len())?;
                client_conns = client_conns
                    .zip(client.connections_opened())
                    .map(|(a, b)| a + b);
                drop(client);
                lat.push(t0.elapsed());
            }
            let measured = probe.stop();
            let c2 = s.count.read().await?;
            Ok(Outcome {
                requests: n,
                measured,
                lat,
                conns: s.count.between(c1, c2, 1),
                conns_total: s.count.between(c0, c2, 2),
                client_conns,
                extra: Vec::new(),
            })
        }
        other => Err(format!("unknown workload {other:?}").into()),
    }
}

fn round(x: f64, digits: i32) -> f64 {
    let m = 10f64.powi(digits);
    (x * m).round() / m
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("compare: {e}");
            std::process::exit(2);
        }
    };
    let (client, workload, label) = (
        args.client.clone(),
        args.workload.clone(),
        args.label.clone(),
    );
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(BoxError::from)
        .and_then(|rt| tokio::task::LocalSet::new().block_on(&rt, run(args)));
    let mut o = match result {
        Ok(o) => o,
        Err(e) => {
            eprintln!("compare: {client} {workload}: {e}");
            // The failure goes into the results too, so the table shows it.
            let line = json!({
                "client": client,
                "workload": workload,
                "mode": label,
                "error": e.to_string(),
                "peak_rss_kb": peak_rss_kb(),
            });
            println!("{line}");
            std::process::exit(1);
        }
    };
    let n = o.requests as f64;
    let m = &o.measured;
    o.lat.sort_unstable();
    let mut line = json!({
        "client": client,
        "workload": workload,
        "mode": label,
        "requests": o.requests,
        "seconds": round(m.seconds, 4),
        "req_per_s": round(n / m.seconds, 1),
        "p50_us": percentile_us(&o.lat, 50.0).map(|x| round(x, 1)),
        "p99_us": percentile_us(&o.lat, 99.0).map(|x| round(x, 1)),
        "cpu_us_per_req": round(m.cpu.as_secs_f64() * 1e6 / n, 2),
        "allocs_per_req": round(m.counts.allocs as f64 / n, 2),
        "bytes_allocated_per_req": round(m.counts.bytes as f64 / n, 1),
        "connections_opened": o.conns,
        "connections_total": o.conns_total,
        "client_connections_opened": o.client_conns,
        "peak_rss_kb": peak_rss_kb(),
    });
    for (k, v) in o.extra {
        line[k] = v;
    }
    println!("{line}");
}
