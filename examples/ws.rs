//! `ws`: a small websocat on brisk's WebSocket client.
//!
//! ```sh
//! cargo run --example mock -- --port 8000 &
//! printf '%s\n' '{"type":"response.create"}' \
//!   | cargo run --example ws -- -H 'Authorization: Bearer sk-mock' \
//!       'ws://127.0.0.1:8000/v1/realtime?model=mock-model'
//! ```
//!
//! Each line of stdin is sent as a text message (a binary one with
//! `--binary`); each message received is printed on its own line to
//! stdout (a binary one as hex; pings and pongs are not printed, and
//! pings are answered). At the end of stdin it closes normally (1000) and
//! waits for the server's answer; once the closing handshake is done,
//! from either side, it prints `closed CODE REASON` to stderr and exits
//! 0, whatever the code (as websocat does: the code says how it went). A
//! failed handshake, a protocol error or a connection lost without a
//! close is one line on stderr and exit status 1; bad arguments, 2.

use brisk::ws::{CloseFrame, Message, WebSocketReader};
use std::io::Write;
use std::time::Duration;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};
use tokio::sync::mpsc;

const USAGE: &str = "usage: ws [-H 'Name: value']... [--protocol P] [--binary] URL";

/// How long the server has to answer the close sent at the end of stdin.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// The command line, parsed.
#[derive(Debug, Default)]
pub struct Options {
    headers: Vec<(String, String)>,
    protocols: Vec<String>,
    binary: bool,
    url: String,
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    Run(Options),
    Help,
}

/// Parses the arguments after the program's name.
pub fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut options = Options::default();
    let mut url = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-H" | "--header" => {
                let header = value(&arg)?;
                let (name, value) = header
                    .split_once(':')
                    .ok_or(format!("-H: 'Name: value' expected, got {header:?}"))?;
                options
                    .headers
                    .push((name.trim().to_owned(), value.trim().to_owned()));
            }
            "--protocol" => options.protocols.push(value(&arg)?),
            "--binary" => options.binary = true,
            flag if flag.starts_with('-') && flag.len() > 1 => {
                return Err(format!("unknown option {flag}"))
            }
            _ if url.is_some() => return Err(format!("one URL only, got {arg:?} too")),
            _ => url = Some(arg),
        }
    }
    options.url = url.ok_or("a URL is needed")?;
    Ok(Command::Run(options))
}

/// Runs a session: lines of `input` out, messages to `out`, the close
/// and errors to `err`. Returns the exit status.
pub async fn run<R: AsyncBufRead + Unpin>(
    options: Options,
    input: R,
    out: &mut impl Write,
    err: &mut impl Write,
) -> i32 {
    let mut builder = brisk::Client::new().websocket(&options.url);
    for (name, value) in &options.headers {
        builder = builder.header(name, value);
    }
    for protocol in &options.protocols {
        builder = builder.protocol(protocol);
    }
    let ws = match builder.connect().await {
        Ok(ws) => ws,
        Err(e) => return fail(err, &e),
    };
    let (reader, writer) = ws.split();
    // The reader runs in its own task: a `recv` cut off in the middle
    // (by a `select!` on stdin) could lose a message it had decoded.
    let (tx, mut received) = mpsc::channel(16);
    tokio::spawn(read_all(reader, tx));

    // Lines as bytes: with `--binary` they need not be UTF-8.
    let mut lines = input.split(b'\n');
    let mut stdin_open = true;
    // Set once our close frame is out: the server's answer is due by then.
    let mut close_due = None;
    loop {
        let deadline = async {
            match close_due {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            line = lines.next_segment(), if stdin_open => match line {
                Ok(Some(line)) => {
                    let Some(message) = message(line, options.binary) else {
                        let _ = writeln!(err, "ws: a line of stdin is not utf-8 (try --binary)");
                        return 1;
                    };
                    if let Err(e) = writer.send(message).await {
                        return fail(err, &e);
                    }
                }
                // The end of stdin (or stdin unreadable): close normally.
                _ => {
                    stdin_open = false;
                    if let Err(e) = writer.close(1000, "").await {
                        return fail(err, &e);
                    }
                    close_due = Some(tokio::time::Instant::now() + CLOSE_WAIT);
                }
            },
            message = received.recv() => match message {
                Some(Ok(Message::Text(text))) => {
                    let _ = writeln!(out, "{text}");
                    let _ = out.flush();
                }
                Some(Ok(Message::Binary(bytes))) => {
                    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                    let _ = writeln!(out, "{hex}");
                    let _ = out.flush();
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(frame))) => {
                    closed(err, frame.as_ref());
                    return 0;
                }
                Some(Err(e)) => return fail(err, &e),
                // The reader ended without a close frame or an error: it
                // hands out one or the other first, so this is not reached.
                None => {
                    let _ = writeln!(err, "ws: the connection ended without a close");
                    return 1;
                }
            },
            () = deadline => {
                let _ = writeln!(err, "ws: the server did not answer the close");
                return 1;
            }
        }
    }
}

/// Reads every message into `tx`, the error that ends the connection
/// included.
async fn read_all(mut reader: WebSocketReader, tx: mpsc::Sender<Result<Message, brisk::Error>>) {
    loop {
        let message = match reader.recv().await {
            Ok(Some(message)) => Ok(message),
            Ok(None) => return,
            Err(e) => Err(e),
        };
        let last = message.is_err();
        if tx.send(message).await.is_err() || last {
            return;
        }
    }
}

/// A line of stdin (without its `\n`) as the message to send: binary as
/// it is, text without a `\r` before the `\n`; `None` for text that is
/// not UTF-8.
fn message(mut line: Vec<u8>, binary: bool) -> Option<Message> {
    if binary {
        return Some(Message::Binary(line));
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line).ok().map(Message::Text)
}

/// `closed CODE REASON` (1005, "no status received", for a close frame
/// without a code: RFC 6455 §7.1.5).
fn closed(err: &mut impl Write, frame: Option<&CloseFrame>) {
    let line = match frame {
        Some(f) if f.reason.is_empty() => format!("closed {}", f.code),
        Some(f) => format!("closed {} {}", f.code, f.reason),
        None => "closed 1005".to_owned(),
    };
    let _ = writeln!(err, "{line}");
}

/// One line for the error, with its causes; status 1.
fn fail(err: &mut impl Write, e: &brisk::Error) -> i32 {
    let _ = writeln!(err, "ws: {e:#}");
    1
}

#[tokio::main]
async fn main() {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Run(options)) => options,
        Ok(Command::Help) => {
            println!("{USAGE}");
            return;
        }
        Err(e) => {
            eprintln!("ws: {e}\n{USAGE}");
            std::process::exit(2);
        }
    };
    let stdin = tokio::io::BufReader::new(stdin());
    let code = run(
        options,
        stdin,
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    )
    .await;
    std::process::exit(code);
}

/// Stdin as an async reader (brisk's tokio has no `io-std`): a thread
/// reads it, blocking, into one end of a pipe in memory; its end is the
/// end of stdin.
fn stdin() -> tokio::io::DuplexStream {
    use std::io::Read;
    use tokio::io::AsyncWriteExt;
    let (mut tx, rx) = tokio::io::duplex(64 * 1024);
    let runtime = tokio::runtime::Handle::current();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 16 * 1024];
        let mut stdin = std::io::stdin().lock();
        while let Ok(n @ 1..) = stdin.read(&mut buf) {
            if runtime.block_on(tx.write_all(&buf[..n])).is_err() {
                return;
            }
        }
    });
    rx
}
