//! The getter of `examples/get/`, run as a function against loopback
//! servers: curl's habits (`--retry N` is N retries after the first
//! attempt; `-w` prints its line on failure too; a bad URL in a list is
//! named; an `https://` URL answered in plain HTTP gets a hint) and its
//! `-w` times (the answering attempt's own, and the whole call apart).

#[path = "../examples/get/main.rs"]
#[allow(dead_code)] // its `main`
mod get_tool;

mod support;

use std::time::Duration;
use support::server::{ok, serve_each, Scripted};

/// Runs the getter with `args`; returns success, stdout and stderr.
async fn get(args: &[&str]) -> (bool, String, String) {
    let args = args.iter().map(|a| a.to_string());
    let Ok(get_tool::Command::Run(options)) = get_tool::parse_args(args) else {
        panic!("the command line did not parse");
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let ok = get_tool::run(options, &mut out, &mut err).await;
    (
        ok,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

/// The value of `key=` in a `-w` line.
fn field<'a>(line: &'a str, key: &str) -> &'a str {
    line.split(' ')
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("no {key}= in {line:?}"))
}

fn seconds(line: &str, key: &str) -> Duration {
    Duration::from_secs_f64(field(line, key).parse().unwrap())
}

/// A server that answers every request `503` (asking for no wait).
async fn always_503() -> Scripted {
    Scripted::start(|stream, _| {
        serve_each(stream, |_| {
            b"HTTP/1.1 503 Service Unavailable\r\nretry-after-ms: 0\r\nContent-Length: 0\r\n\r\n"
                .to_vec()
        })
    })
    .await
}

#[tokio::test]
async fn retry_n_is_n_retries_after_the_first_attempt() {
    let server = always_503().await;
    let (ok, _, err) = get(&["--retry", "2", "-w", &server.url("/")]).await;
    // A 503 that outlasts the retries is still an HTTP response: success.
    assert!(ok, "{err}");
    assert_eq!(field(err.trim(), "attempts"), "3", "{err}");
    assert_eq!(field(err.trim(), "status"), "503", "{err}");

    let (_, _, err) = get(&["--retry", "0", "-w", &server.url("/")]).await;
    assert_eq!(field(err.trim(), "attempts"), "1", "{err}");
    let (_, _, err) = get(&["--no-retry", "-w", &server.url("/")]).await;
    assert_eq!(field(err.trim(), "attempts"), "1", "{err}");
}

#[tokio::test]
async fn write_out_line_names_the_code_alone() {
    let server = Scripted::start(|stream, _| serve_each(stream, |_| ok("hello"))).await;
    let url = server.url("/");
    let (ok, out, err) = get(&["-w", &url, &url]).await;
    assert!(ok, "{err}");
    assert_eq!(out, "hellohello");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].starts_with("status=200 reused=false dns="),
        "{err}"
    );
    assert!(lines[1].starts_with("status=200 reused=true dns="), "{err}");
}

#[tokio::test]
async fn write_out_line_comes_on_failure_too() {
    let refused = support::fault::refused_addr();
    let url = format!("http://{refused}/");
    let (ok, _, err) = get(&["--retry", "1", "-w", &url]).await;
    assert!(!ok);
    let line = err
        .lines()
        .find(|l| l.starts_with("status="))
        .unwrap_or_else(|| panic!("no -w line: {err}"));
    assert_eq!(field(line, "status"), "000", "{line}");
    assert_eq!(field(line, "attempts"), "2", "{line}");
    assert_eq!(field(line, "phase"), "connect", "{line}");
    assert!(line.contains(" error=\"connection failed"), "{line}");
    assert!(err.contains("get: connection failed"), "{err}");
}

#[tokio::test]
async fn a_bad_url_in_a_list_is_named() {
    let server = Scripted::start(|stream, _| serve_each(stream, |_| ok("fine"))).await;
    let good = server.url("/");
    let (ok, out, err) = get(&[&good, "not a url", &good]).await;
    assert!(!ok);
    // The others are still fetched.
    assert_eq!(out, "finefine");
    assert!(
        err.contains("get: \"not a url\": invalid request"),
        "the message names the URL: {err}"
    );
}

/// Timings are per attempt: an attempt answered at once after a 300 ms
/// wait has a `ttfb` without the wait, and `call` holds the wait.
#[tokio::test]
async fn write_out_times_are_the_answering_attempts_and_call_is_the_whole() {
    let server = Scripted::start(|stream, n| {
        serve_each(stream, move |_| {
            if n == 0 {
                b"HTTP/1.1 503 Service Unavailable\r\nretry-after-ms: 300\r\nconnection: close\r\nContent-Length: 0\r\n\r\n".to_vec()
            } else {
                ok("late")
            }
        })
    })
    .await;
    let (ok, _, err) = get(&["-w", &server.url("/")]).await;
    assert!(ok, "{err}");
    let line = err.trim();
    let wait = Duration::from_millis(300);
    let (ttfb, total, call) = (
        seconds(line, "ttfb"),
        seconds(line, "total"),
        seconds(line, "call"),
    );
    assert_eq!(field(line, "attempts"), "2", "{line}");
    assert!(call >= wait, "the call holds the wait: {line}");
    // The answering attempt started after the wait, so its own times leave
    // the wait out: a bound from the order of events, not the clock's pace.
    assert!(ttfb <= total && total + wait <= call, "{line}");
    assert!(!ttfb.is_zero(), "{line}");
}

#[tokio::test]
async fn include_prints_field_names_lowercased() {
    let server = Scripted::start(|stream, _| {
        serve_each(stream, |_| {
            b"HTTP/1.1 200 OK\r\nX-Mixed-Case: Value\r\nContent-Length: 2\r\n\r\nok".to_vec()
        })
    })
    .await;
    let (ok, out, _) = get(&["-i", &server.url("/")]).await;
    assert!(ok);
    assert_eq!(
        out,
        "HTTP/1.1 200 OK\r\nx-mixed-case: Value\r\ncontent-length: 2\r\n\r\nok"
    );
}

#[cfg(feature = "tls")]
#[tokio::test]
async fn https_to_a_plain_http_port_gets_a_hint() {
    // Answers as soon as anything arrives: a TLS ClientHello is no HTTP
    // request to wait for.
    let server = Scripted::start(|mut stream, _| async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut buf = [0u8; 1024];
        let _ = stream.read(&mut buf).await;
        let _ = stream
            .write_all(
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )
            .await;
    })
    .await;
    let url = format!("https://{}/", server.addr);
    let (ok, _, err) = get(&["--no-retry", &url]).await;
    assert!(!ok);
    assert!(
        err.contains("(the server answered in plain HTTP? try http://)"),
        "{err}"
    );
}

#[test]
fn form_fields_parse_as_curl_writes_them() {
    use get_tool::FormField;
    assert_eq!(
        FormField::parse("model=whisper-1").unwrap(),
        FormField::Text {
            name: "model".into(),
            value: "whisper-1".into()
        }
    );
    // A value may hold '=' and ';' (only a file's ';' starts parameters).
    assert_eq!(
        FormField::parse("q=a=b;c").unwrap(),
        FormField::Text {
            name: "q".into(),
            value: "a=b;c".into()
        }
    );
    assert_eq!(
        FormField::parse("file=@dir/a.bin;type=audio/wav;filename=b.wav").unwrap(),
        FormField::File {
            name: "file".into(),
            path: "dir/a.bin".into(),
            mime: Some("audio/wav".into()),
            file_name: Some("b.wav".into()),
        }
    );
    for bad in ["novalue", "=x", "f=@", "f=@a;colour=red"] {
        assert!(FormField::parse(bad).is_err(), "{bad}");
    }
    let args = ["-d", "x", "-F", "a=b", "http://h/"].map(String::from);
    assert!(get_tool::parse_args(args.into_iter()).is_err());
}

/// `-F` against the mock's transcription endpoint: a multipart POST with
/// the text field and the file part (its type from `;type=`), answered
/// as OpenAI answers.
#[cfg(feature = "mock")]
#[tokio::test]
async fn form_fields_make_a_multipart_post() {
    let dir = support::temp_dir::TempDir::new("get-form");
    let path = dir.join("speech.bin");
    std::fs::write(&path, "say hello").unwrap();
    let server = brisk::mock::MockServer::start().await.unwrap();
    let url = format!("{}/audio/transcriptions", server.base_url());
    let file_arg = format!("file=@{};type=audio/wav", path.display());
    let (ok, out, err) = get(&["-F", "model=whisper-1", "-F", &file_arg, &url]).await;
    assert!(ok, "{err}");
    assert_eq!(out, r#"{"text":"say hello"}"#);
    let seen = &server.requests()[0];
    assert_eq!(seen.method, "POST");
    let parts = seen.form().unwrap();
    assert_eq!(
        (parts[0].name, parts[0].text()),
        ("model", Some("whisper-1"))
    );
    assert_eq!(parts[1].file_name, Some("speech.bin"));
    assert_eq!(parts[1].content_type, Some("audio/wav"));
    // A file that is not there fails before anything is sent.
    let missing = format!("file=@{}", dir.join("missing.wav").display());
    let (ok, _, err) = get(&["-F", &missing, &url]).await;
    assert!(!ok);
    assert!(
        err.contains("reading ") && err.contains("missing.wav"),
        "{err}"
    );
    assert_eq!(server.requests().len(), 1);
}
