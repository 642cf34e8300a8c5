//! brisk's mock chat server (`brisk::mock`) as a program: an
//! OpenAI-compatible endpoint on a port of your choosing, until stopped
//! (Ctrl-C), so that a test suite in any language (openai-python, the npm
//! `openai` package, curl) can run against scripted replies and faults.
//!
//! ```sh
//! cargo run --example mock -- --port 8000
//! cargo run --example mock -- --port 8000 --default 'text:Hello!' \
//!     --model flaky=status:503 --model flaky=text:ok --model broke=quota
//! ```
//!
//! The first line on stdout is the API's base URL
//! (`http://127.0.0.1:8000/v1`), for the program that started it; without
//! `--port` the system picks a free port. Every chat request is echoed
//! back unless a flag scripts it: `--default ANSWER` for every model,
//! `--model NAME=ANSWER` for requests naming that model. Repeated for the
//! same model (or `--default`), the answers form a script: the first
//! requests get them in order, the rest the last one. See `--help` for the
//! answers.

use brisk::mock::{Answer, MockServer, Script};
use std::collections::BTreeMap;
use std::io::Write;
use std::net::IpAddr;
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "\
usage: mock [--port N] [--host ADDR] [--base-path PATH] [--default ANSWER]...
            [--model NAME=ANSWER]... [--delay MS] [--token-delay MS]

Serves an OpenAI-compatible chat API (POST {base}/chat/completions,
GET {base}/models, and the uploads POST {base}/audio/transcriptions and
POST {base}/files), and a Realtime-style WebSocket (GET {base}/realtime,
its model in ?model=, each response.create answered as a chat request
would be), until stopped. Prints the base URL first.

  --port N          port to listen on (default 0: a free one)
  --host ADDR       address to listen on (default 127.0.0.1)
  --base-path PATH  where the API lives (default /v1)
  --default ANSWER  the answer for any model (default: echo); repeat for a
                    script, answered in order, the last one repeating
  --model NAME=ANSWER
                    the answer for requests with this model; repeat for a
                    script
  --delay MS        wait this long before every answer
  --token-delay MS  wait this long between streamed tokens

ANSWER is one of:
  echo               the last user message back (plain or streamed)
  text:TEXT          this text
  tool:NAME:ARGS     a call to tool NAME with JSON arguments ARGS
  status:CODE        an HTTP error (429, 500, 503, ...) in OpenAI's shape
  rate-limited:MS    429 with Retry-After
  quota              429 insufficient_quota (never worth retrying)
  never              read the request, never answer
  disconnect         read the request, close without a reply
  reset:N            a reply cut by a TCP reset after N streamed events
  close:N:CODE:REASON
                     a Realtime response whose WebSocket the server closes
                     with CODE and REASON after N deltas (chat: an echo)
";

struct Args {
    host: IpAddr,
    port: u16,
    base_path: String,
    default: Vec<Answer>,
    models: BTreeMap<String, Vec<Answer>>,
    delay: Duration,
    token_delay: Duration,
}

/// One `ANSWER` of the command line.
fn parse_answer(spec: &str) -> Result<Answer, String> {
    let (kind, rest) = spec.split_once(':').unwrap_or((spec, ""));
    let number = |what: &str| {
        rest.parse::<u64>()
            .map_err(|_| format!("{kind}: {what} expected, got {rest:?}"))
    };
    Ok(match kind {
        "echo" => Answer::echo(),
        "text" => Answer::text(rest),
        "tool" => {
            let (name, args) = rest.split_once(':').ok_or("tool: NAME:ARGS expected")?;
            Answer::tool_call(name, args)
        }
        "status" => {
            let code = number("a status code")?;
            match u16::try_from(code) {
                Ok(code @ 400..=599) => Answer::status(code),
                _ => return Err(format!("status: 400 to 599 expected, got {code}")),
            }
        }
        "rate-limited" => Answer::rate_limited(Duration::from_millis(number("milliseconds")?)),
        "quota" => Answer::insufficient_quota(),
        "never" => Answer::never(),
        "disconnect" => Answer::disconnect(),
        "reset" => Answer::echo().reset_after(number("an event count")? as usize),
        "close" => {
            let mut parts = rest.splitn(3, ':');
            let bad = || format!("close: N:CODE:REASON expected, got {rest:?}");
            let n = parts.next().and_then(|n| n.parse().ok()).ok_or_else(bad)?;
            let code = parts.next().and_then(|c| c.parse().ok()).ok_or_else(bad)?;
            Answer::echo().close_after(n, code, parts.next().unwrap_or(""))
        }
        _ => return Err(format!("unknown answer {spec:?}")),
    })
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        host: IpAddr::from([127, 0, 0, 1]),
        port: 0,
        base_path: "/v1".to_string(),
        default: Vec::new(),
        models: BTreeMap::new(),
        delay: Duration::ZERO,
        token_delay: Duration::ZERO,
    };
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let millis = || {
            value
                .parse()
                .map(Duration::from_millis)
                .map_err(|_| format!("{flag}: milliseconds expected, got {value:?}"))
        };
        match flag.as_str() {
            "--port" => parsed.port = value.parse().map_err(|_| format!("bad port {value:?}"))?,
            "--host" => {
                parsed.host = value
                    .parse()
                    .map_err(|_| format!("bad address {value:?}"))?
            }
            "--base-path" => parsed.base_path = value,
            "--default" => parsed.default.push(parse_answer(&value)?),
            "--model" => {
                let (name, spec) = value
                    .split_once('=')
                    .ok_or_else(|| format!("--model: NAME=ANSWER expected, got {value:?}"))?;
                let answer = parse_answer(spec)?;
                parsed
                    .models
                    .entry(name.to_string())
                    .or_default()
                    .push(answer);
            }
            "--delay" => parsed.delay = millis()?,
            "--token-delay" => parsed.token_delay = millis()?,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(parsed)
}

/// The answers given for one model (or the default) as a script, each
/// with the delays of the command line.
fn script(answers: Vec<Answer>, args: &Args) -> Script {
    let mut answers: Vec<Answer> = answers
        .into_iter()
        .map(|a| a.delay(args.delay).token_delay(args.token_delay))
        .collect();
    let last = answers.pop().unwrap_or_else(|| {
        Answer::echo()
            .delay(args.delay)
            .token_delay(args.token_delay)
    });
    Script::steps(answers).then(last)
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(why) if why.is_empty() => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(why) => {
            eprintln!("mock: {why}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let default = std::mem::take(&mut args.default);
    let mut builder = MockServer::builder()
        .addr((args.host, args.port))
        .base_path(args.base_path.clone())
        .default(script(default, &args));
    for (model, answers) in std::mem::take(&mut args.models) {
        builder = builder.on_model(model, script(answers, &args));
    }
    // A long-running server keeps no record: nothing here reads it.
    let server = match builder.record_limit(0).start().await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("mock: cannot listen on {}:{}: {e}", args.host, args.port);
            return ExitCode::FAILURE;
        }
    };
    println!("{}", server.base_url());
    let _ = std::io::stdout().flush();
    eprintln!(
        "mock: serving {} (POST /chat/completions, GET /models); Ctrl-C stops",
        server.base_url()
    );
    // Until the process is stopped: SIGINT and SIGTERM end it as they
    // find it, and the kernel closes the port.
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}
