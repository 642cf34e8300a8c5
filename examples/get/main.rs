//! A small curl built on brisk.
//!
//! ```text
//! cargo run --example get -- [OPTIONS] URL [URL...]
//! ```
//!
//! Options:
//!
//! - `-i`, `--include`: put the final response's status line and header
//!   fields before its body (`HTTP/1.1 200 OK`, `name: value` lines, a blank
//!   line; CRLF line ends). Field names come out in lowercase, whatever case
//!   the server wrote them in: brisk keeps names lowercased (case carries no
//!   meaning in HTTP), as HTTP/2 sends them; values are as received.
//! - `-X METHOD`, `--request METHOD`: the method (default `GET`, or `POST`
//!   with `-d`).
//! - `-H 'Name: value'`, `--header 'Name: value'`: a request header; may be
//!   repeated.
//! - `-d DATA`, `--data DATA`: send DATA as the request body, as is (no
//!   `Content-Type` is added: pass one with `-H`).
//! - `-F name=value`, `--form name=value`: a `multipart/form-data` text
//!   field; `-F name=@path` a file part (its file name the path's last
//!   component, its type guessed from the extension), with
//!   `;type=MIME` and `;filename=NAME` after the path to set them
//!   (`-F 'file=@a.bin;type=audio/wav'`). Repeatable, in order; with `-F`
//!   the request is a multipart `POST` (unless `-X` says otherwise), as
//!   in curl. Files are streamed, never read whole. Not with `-d`.
//! - `--timeout SECS`: the total deadline of each request, from sending it
//!   to the last byte of its body (fractions allowed: `--timeout 0.5`).
//! - `--cacert FILE`: trust the PEM certificate(s) in FILE as roots, beside
//!   the built-in ones (needs the `tls` feature).
//! - `-o FILE`, `--output FILE`: write the bodies (and the heads, with `-i`)
//!   to FILE instead of stdout, one after the other, with a progress bar
//!   (bytes/total) on stderr when stderr is a terminal.
//! - `--retry N`: retry a failed request up to N times after its first
//!   attempt, as curl does (`--retry 0`: no retry; default: 2 retries, 3
//!   attempts in all, the client's default policy); `--no-retry` is
//!   `--retry 0`.
//! - `-v`, `--verbose`: print each retry on stderr, with its reason and
//!   delay (`get: retry after attempt 1 in 0.412s: status 503`).
//! - `-w`, `--write-out`: after each request, one line on stderr:
//!   `status=200 reused=false dns=0.0012 connect=0.0003 tls=0.0041 ttfb=0.0060 total=0.0062 attempts=1 call=0.0062`
//!   (seconds). `dns` to `total` are the answering attempt's own: `ttfb`
//!   from its start to the response head, `total` to the body's last byte.
//!   `call` is the whole request's time, retry waits and redirects
//!   included. A request that fails gets the line too, as with curl, with
//!   what is known: `status=000`, the times so far, then `phase=` (where it
//!   failed, or `-`) and `error="..."`.
//!
//! Tracing, from the environment: `TRACEPARENT`/`TRACESTATE` make the
//! requests children of that span, and `OTEL_EXPORTER_OTLP_ENDPOINT` (with
//! brisk's `otlp` feature) sends each attempt's span to a collector before
//! `get` exits (see `get/trace.rs`).
//!
//! Several URLs are fetched one after the other on one client, so a second
//! request to the same host reuses the first one's connection (see
//! `reused=` with `-w`). Redirects are followed (up to 10).
//!
//! Exit status: 0 when every request got an HTTP response, whatever its
//! status; 1 when one failed (a one-line `get: <error>` on stderr, naming
//! the URL, and the remaining URLs are still fetched); 2 for a bad command
//! line. An `https://` URL whose server answers in plain HTTP gets a hint
//! to try `http://`.
//!
//! ```text
//! cargo run --example get -- -i -w http://127.0.0.1:8080/hello.txt http://127.0.0.1:8080/
//! cargo run --example get -- --cacert ca.pem -o big.bin https://localhost:8443/big.bin
//! cargo run --example get -- -d '{"a":1}' -H 'Content-Type: application/json' http://127.0.0.1:8080/post
//! cargo run --example get -- -F model=whisper-1 -F file=@speech.wav http://127.0.0.1:8000/v1/audio/transcriptions
//! ```

#[path = "trace.rs"]
mod trace;

#[path = "form.rs"]
mod form;

pub use form::FormField;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const USAGE: &str =
    "usage: get [-i] [-X METHOD] [-H 'Name: value']... [-d DATA | -F name=value|@file...] \
                     [--timeout SECS] [--cacert FILE] [-o FILE] [-w] \
                     [--retry N | --no-retry] [-v] URL [URL...]";

/// The parsed command line.
#[derive(Debug, Default)]
pub struct Options {
    include: bool,
    method: Option<String>,
    headers: Vec<(String, String)>,
    data: Option<String>,
    /// `-F` fields, in order.
    form: Vec<FormField>,
    timeout: Option<Duration>,
    cacert: Option<String>,
    output: Option<String>,
    write_out: bool,
    /// Retries after the first attempt; `Some(0)` with `--no-retry`.
    retry: Option<u32>,
    verbose: bool,
    urls: Vec<String>,
}

/// What the command line asks for.
pub enum Command {
    Run(Options),
    Help,
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Run(options)) => options,
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("get: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    #[cfg(not(feature = "tls"))]
    if options.cacert.is_some() {
        eprintln!("get: --cacert needs brisk's `tls` feature (built with --no-default-features)");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("get: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let stdout = io::stdout();
    if runtime.block_on(run(options, &mut stdout.lock(), &mut io::stderr())) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Parses the arguments (after the program name). Options and URLs may be
/// mixed; `--` ends the options. Long options also take `--name=value`.
pub fn parse_args(args: impl Iterator<Item = String>) -> Result<Command, String> {
    let mut o = Options::default();
    let mut args = args.peekable();
    let mut only_urls = false;
    while let Some(arg) = args.next() {
        if only_urls || !arg.starts_with('-') || arg == "-" {
            o.urls.push(arg);
            continue;
        }
        // `--name=value` is `--name value`.
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |what: &str| -> Result<String, String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => args.next().ok_or_else(|| format!("{name} needs {what}")),
            }
        };
        let is_flag = matches!(
            name.as_str(),
            "--" | "-h"
                | "--help"
                | "-i"
                | "--include"
                | "-w"
                | "--write-out"
                | "--no-retry"
                | "-v"
                | "--verbose"
        );
        if is_flag && inline.is_some() {
            return Err(format!("{name} takes no value"));
        }
        match name.as_str() {
            "--" => only_urls = true,
            "-h" | "--help" => return Ok(Command::Help),
            "-i" | "--include" => o.include = true,
            "-w" | "--write-out" => o.write_out = true,
            "--no-retry" => o.retry = Some(0),
            "-v" | "--verbose" => o.verbose = true,
            "--retry" => {
                let text = value("a number of retries")?;
                let n: u32 = text.parse().ok().filter(|n| *n < 100).ok_or_else(|| {
                    format!("--retry {text:?} is not a number of retries (0 to 99)")
                })?;
                o.retry = Some(n);
            }
            "-X" | "--request" => {
                let method = value("a method")?;
                if method.is_empty() {
                    return Err("empty method".into());
                }
                o.method = Some(method);
            }
            "-H" | "--header" => {
                let line = value("a header ('Name: value')")?;
                let Some((n, v)) = line.split_once(':') else {
                    return Err(format!("header {line:?} has no ':' (use 'Name: value')"));
                };
                let n = n.trim();
                if n.is_empty() {
                    return Err(format!("header {line:?} has no name"));
                }
                o.headers.push((n.to_string(), v.trim().to_string()));
            }
            "-d" | "--data" => o.data = Some(value("the data to send")?),
            "-F" | "--form" => o.form.push(FormField::parse(&value("a form field")?)?),
            "--timeout" => {
                let text = value("a number of seconds")?;
                let secs: f64 = text
                    .parse()
                    .map_err(|_| format!("--timeout {text:?} is not a number of seconds"))?;
                let timeout = Duration::try_from_secs_f64(secs)
                    .ok()
                    .filter(|d| !d.is_zero())
                    .ok_or_else(|| format!("--timeout {text:?} is not a positive duration"))?;
                o.timeout = Some(timeout);
            }
            "--cacert" => o.cacert = Some(value("a PEM file")?),
            "-o" | "--output" => o.output = Some(value("a file name")?),
            _ => return Err(format!("unknown option {arg:?}")),
        }
    }
    if o.urls.is_empty() {
        return Err("no URL given".into());
    }
    if o.data.is_some() && !o.form.is_empty() {
        return Err("-d and -F cannot be used together (one body per request)".into());
    }
    Ok(Command::Run(o))
}

/// Fetches every URL in turn, bodies to `stdout` (or `-o`'s file),
/// messages and `-w` lines to `stderr`; false if any failed.
pub async fn run(mut options: Options, stdout: &mut dyn Write, stderr: &mut dyn Write) -> bool {
    let clock = Arc::new(Mutex::new(AttemptClock::default()));
    let tracing = trace::Tracing::from_env(&mut options.headers, stderr);
    let client = match build_client(&options, &clock, tracing.tracer()) {
        Ok(client) => client,
        Err(message) => {
            let _ = writeln!(stderr, "get: {message}");
            return false;
        }
    };
    let mut file;
    let out: &mut dyn Write = match &options.output {
        Some(path) => match File::create(path) {
            Ok(f) => {
                file = BufWriter::new(f);
                &mut file
            }
            Err(e) => {
                let _ = writeln!(stderr, "get: creating {path}: {e}");
                return false;
            }
        },
        None => stdout,
    };
    let progress = options.output.is_some() && io::stderr().is_terminal();
    let mut all_ok = true;
    for url in &options.urls {
        *lock(&clock) = AttemptClock::default();
        let call = Instant::now();
        let result = fetch(&client, &options, url, &mut *out, progress).await;
        let ended = Instant::now();
        if options.write_out {
            let line = write_out_line(&lock(&clock), &result, call, ended);
            let _ = writeln!(stderr, "{line}");
        }
        if let Err(failure) = result {
            let _ = writeln!(stderr, "get: {}", failure.message(url));
            all_ok = false;
        }
    }
    tracing.finish(stderr).await;
    all_ok
}

/// The times of the attempt under way, kept by the client's event hook
/// for `-w`: each attempt (a retry, a redirect's next hop) starts afresh,
/// so what is left at the end is the answering attempt's.
#[derive(Clone, Copy, Debug, Default)]
pub struct AttemptClock {
    /// When the attempt started.
    started: Option<Instant>,
    /// Its connection's DNS, connect and TLS times (zero when reused).
    connection: Option<brisk::Timings>,
    reused: bool,
    /// When its response head arrived.
    head: Option<Instant>,
}

fn lock(clock: &Mutex<AttemptClock>) -> std::sync::MutexGuard<'_, AttemptClock> {
    clock.lock().unwrap_or_else(|e| e.into_inner())
}

fn build_client(
    options: &Options,
    clock: &Arc<Mutex<AttemptClock>>,
    tracer: Option<brisk::trace::Tracer>,
) -> Result<brisk::Client, String> {
    let mut builder = brisk::Client::builder();
    if let Some(tracer) = tracer {
        builder = builder.tracing(tracer);
    }
    if let Some(retries) = options.retry {
        builder = builder.retry(brisk::RetryPolicy::default().attempts(retries + 1));
    }
    let verbose = options.verbose;
    let clock = clock.clone();
    builder = builder.on_event(move |event| match event {
        brisk::Event::RequestStart { .. } => {
            *lock(&clock) = AttemptClock {
                started: Some(Instant::now()),
                ..AttemptClock::default()
            };
        }
        brisk::Event::Connected {
            reused, timings, ..
        } => {
            let mut c = lock(&clock);
            c.connection = Some(*timings);
            c.reused = *reused;
        }
        brisk::Event::ResponseHead { .. } => lock(&clock).head = Some(Instant::now()),
        brisk::Event::RetryScheduled {
            attempt,
            delay,
            reason,
            hinted,
            ..
        } if verbose => {
            let from = if *hinted { " (server's hint)" } else { "" };
            eprintln!(
                "get: retry after attempt {attempt} in {:.3}s{from}: {reason}",
                delay.as_secs_f64()
            );
        }
        _ => {}
    });
    #[cfg(feature = "tls")]
    if let Some(path) = &options.cacert {
        let pem = std::fs::read(path).map_err(|e| format!("reading {path}: {e}"))?;
        let certs =
            brisk::Certificate::from_pem_bundle(&pem).map_err(|e| format!("{path}: {e}"))?;
        if certs.is_empty() {
            return Err(format!("{path}: no certificate in it"));
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder.build().map_err(|e| format!("{e:#}"))
}

/// How a request failed.
pub enum Failure {
    /// brisk's error, with the attempts it took.
    Request(brisk::Error),
    /// Writing the body out failed (the file's name, and why).
    Write(String),
    /// A file to send could not be read (which, and why).
    Input(String),
}

impl Failure {
    /// The line after `get: `. An error that does not name its URL (one
    /// brisk could not parse) is prefixed with it, so that a list of URLs
    /// says which was bad; an `https://` URL whose server answered in plain
    /// HTTP gets a hint.
    fn message(&self, url: &str) -> String {
        let e = match self {
            Failure::Write(message) | Failure::Input(message) => return message.clone(),
            Failure::Request(e) => e,
        };
        let mut text = format!("{e:#}");
        if e.url().is_none() {
            text = format!("{url:?}: {text}");
        }
        if answered_in_plain_http(e) {
            text.push_str(" (the server answered in plain HTTP? try http://)");
        }
        text
    }

    fn error(&self) -> Option<&brisk::Error> {
        match self {
            Failure::Request(e) => Some(e),
            Failure::Write(_) | Failure::Input(_) => None,
        }
    }
}

/// A TLS handshake that failed on its first record because what came back
/// was not TLS: rustls reads a plain HTTP answer (`HTTP/1.1 400 ...`) as a
/// record of type `0x48` ('H') and reports an invalid content type.
fn answered_in_plain_http(e: &brisk::Error) -> bool {
    let https = e.url().is_some_and(|u| u.scheme() == "https");
    https && e.is_tls() && format!("{e:#}").contains("InvalidContentType")
}

/// One request: sends it, writes the head (with `-i`) and the body to
/// `out`.
async fn fetch(
    client: &brisk::Client,
    options: &Options,
    url: &str,
    out: &mut dyn Write,
    progress: bool,
) -> Result<Done, Failure> {
    let method = match (&options.method, &options.data) {
        (Some(m), _) => m.as_str(),
        (None, Some(_)) => "POST",
        (None, None) if !options.form.is_empty() => "POST",
        (None, None) => "GET",
    };
    let mut req = client.request(method, url);
    for (name, value) in &options.headers {
        req = req.header(name, value);
    }
    if let Some(data) = &options.data {
        req = req.body(data.as_str());
    }
    if !options.form.is_empty() {
        req = req.multipart(form::build(&options.form).await.map_err(Failure::Input)?);
    }
    if let Some(t) = options.timeout {
        req = req.timeout(t);
    }
    let mut resp = req.send().await.map_err(Failure::Request)?;

    let write_err = |e: io::Error| {
        Failure::Write(match &options.output {
            Some(path) => format!("writing {path}: {e}"),
            None => format!("writing stdout: {e}"),
        })
    };
    if options.include {
        out.write_all(&head_bytes(&resp)).map_err(write_err)?;
    }
    let mut bar = progress.then(|| Progress::new(resp.content_length()));
    let body = loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                out.write_all(&chunk).map_err(write_err)?;
                if let Some(bar) = bar.as_mut() {
                    bar.advance(chunk.len());
                }
            }
            Ok(None) => break Ok(()),
            Err(e) => break Err(Failure::Request(e)),
        }
    };
    if let Some(bar) = bar.as_mut() {
        bar.finish();
    }
    out.flush().map_err(write_err)?;
    body?;
    Ok(Done {
        status: resp.status().as_u16(),
        attempts: resp.attempts(),
    })
}

/// What a request that succeeded leaves for the `-w` line.
pub struct Done {
    status: u16,
    attempts: u32,
}

/// `status=200 reused=false dns=… connect=… tls=… ttfb=… total=…
/// attempts=1 call=…`, and for a failure `status=000 …` with `phase=` and
/// `error=` at the end. Times the request did not reach are 0, as in curl.
fn write_out_line(
    clock: &AttemptClock,
    result: &Result<Done, Failure>,
    call: Instant,
    ended: Instant,
) -> String {
    let secs = |d: Duration| format!("{:.4}", d.as_secs_f64());
    let since_start = |t: Option<Instant>| match (clock.started, t) {
        (Some(s), Some(t)) => t.saturating_duration_since(s),
        _ => Duration::ZERO,
    };
    let connection = clock.connection.unwrap_or_default();
    let (status, attempts) = match result {
        Ok(done) => (done.status, done.attempts),
        // 0 attempts: the request never went out (a URL brisk refused).
        Err(f) => (0, f.error().map_or(1, brisk::Error::attempts)),
    };
    let mut line = format!(
        "status={status:03} reused={} dns={} connect={} tls={} ttfb={} total={} attempts={attempts} call={}",
        clock.reused,
        secs(connection.dns),
        secs(connection.connect),
        secs(connection.tls),
        secs(since_start(clock.head)),
        secs(since_start(Some(ended))),
        secs(ended - call),
    );
    if let Err(f) = result {
        let phase = f
            .error()
            .and_then(|e| e.phase())
            .map_or("-".to_string(), |p| p.to_string());
        let error = match f {
            Failure::Request(e) => e.to_string(),
            Failure::Write(m) | Failure::Input(m) => m.clone(),
        };
        line.push_str(&format!(" phase={phase} error={error:?}"));
    }
    line
}

/// The status line and header fields, CRLF-terminated, then a blank line.
fn head_bytes(resp: &brisk::Response) -> Vec<u8> {
    let mut head = format!("{} {}", resp.version(), resp.status().as_u16()).into_bytes();
    if !resp.reason().is_empty() {
        head.push(b' ');
        head.extend_from_slice(resp.reason());
    }
    head.extend_from_slice(b"\r\n");
    for (name, value) in resp.headers().iter() {
        head.extend_from_slice(name.as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    head
}

/// A one-line progress bar on stderr, redrawn at most ten times a second.
struct Progress {
    total: Option<u64>,
    done: u64,
    /// When the bar was last drawn, and with how many bytes.
    last_draw: Option<(Instant, u64)>,
}

impl Progress {
    const WIDTH: usize = 30;

    fn new(total: Option<u64>) -> Progress {
        Progress {
            total,
            done: 0,
            last_draw: None,
        }
    }

    fn advance(&mut self, n: usize) {
        self.done += n as u64;
        if self
            .last_draw
            .is_none_or(|(t, _)| t.elapsed() >= Duration::from_millis(100))
        {
            self.draw();
        }
    }

    fn finish(&mut self) {
        if self.last_draw.is_none_or(|(_, drawn)| drawn != self.done) {
            self.draw();
        }
        eprintln!();
    }

    fn draw(&mut self) {
        self.last_draw = Some((Instant::now(), self.done));
        let line = match self.total {
            Some(total) if total > 0 => {
                let fraction = (self.done as f64 / total as f64).min(1.0);
                let filled = (fraction * Self::WIDTH as f64) as usize;
                format!(
                    "[{}{}] {} / {} {:3.0}%",
                    "#".repeat(filled),
                    " ".repeat(Self::WIDTH - filled),
                    human(self.done),
                    human(total),
                    fraction * 100.0
                )
            }
            _ => format!("{} / unknown size", human(self.done)),
        };
        // `\x1b[K` clears what a longer previous line left.
        let mut err = io::stderr().lock();
        let _ = write!(err, "\r{line}\x1b[K");
        let _ = err.flush();
    }
}

/// `1536` → `1.5 KiB`.
fn human(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}
