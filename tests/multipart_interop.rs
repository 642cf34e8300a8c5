//! brisk's multipart bodies read by two parsers nobody here wrote:
//! python-multipart (the parser inside Starlette and FastAPI) and the
//! `multipart` package (strict mode), both from PyPI in a virtualenv
//! (tests/multipart/venv.sh makes it). tests/multipart/receive.py feeds
//! each upload to both as it arrives and answers with what each found.
//!
//! Every field, file name and byte must arrive intact, with
//! `Content-Length` and chunked, a 200 MB file included, while the
//! client's resident memory stays flat.
//!
//! Without the virtualenv the tests say so and pass, unless
//! `BRISK_REQUIRE_MULTIPART=1` (set by .ci/run, which makes it).
#![cfg(feature = "json")]

mod support;

use brisk::multipart::{Form, Part};
use brisk::{Body, Client};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::temp_dir::{pattern, TempDir};

/// The venv's python: `BRISK_MULTIPART_VENV`, else `multipart-venv` in
/// the target directory. `None` (with the reason printed) if absent and
/// not required.
fn venv_python() -> Option<PathBuf> {
    let venv = std::env::var_os("BRISK_MULTIPART_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
                .parent()
                .unwrap()
                .join("multipart-venv")
        });
    let python = venv.join("bin/python");
    let ready = python.exists()
        && Command::new(&python)
            .args(["-c", "import multipart, python_multipart"])
            .status()
            .is_ok_and(|s| s.success());
    if ready {
        return Some(python);
    }
    let why = format!(
        "no virtualenv with python-multipart and multipart at {} (make it with tests/multipart/venv.sh)",
        venv.display()
    );
    if support::process::env_flag("BRISK_REQUIRE_MULTIPART") {
        panic!("BRISK_REQUIRE_MULTIPART=1: {why}");
    }
    support::process::warn(&format!("skipping the multipart interop test: {why}"));
    None
}

/// receive.py, running; killed on drop.
struct Receiver {
    child: Child,
    port: u16,
}

impl Receiver {
    fn start(python: &PathBuf) -> Receiver {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/multipart/receive.py");
        let mut child = Command::new(python)
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("receive.py said {line:?}"));
        Receiver { child, port }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/upload", self.port)
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `form` to the receiver and returns what it found.
async fn upload(receiver: &Receiver, form: Form) -> Value {
    Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .unwrap()
        .post(receiver.url())
        .multipart(form)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Bytes as receive.py reports small parts: one latin-1 character each.
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

/// Every byte value, and lines that look like delimiters but are not.
fn binary() -> Vec<u8> {
    let mut data: Vec<u8> = (0..=255u8).cycle().take(1024).collect();
    data.extend_from_slice(b"\r\n--\r\n--brisk-\r\n\r\n");
    data
}

/// The form of everyday fields and awkward names, with its last part
/// streamed: of known length, or unknown (making the body chunked).
async fn awkward_form(dir: &TempDir, known_length: bool) -> Form {
    let notes = dir.join("notes.txt");
    std::fs::write(&notes, "line one\nline two\n").unwrap();
    let streamed = b"streamed \xe2\x9c\x93 bytes".to_vec();
    let len = streamed.len() as u64;
    let streamed = Body::from_reader(std::io::Cursor::new(streamed));
    let last = if known_length {
        Part::stream_with_length(streamed, len)
    } else {
        Part::stream(streamed)
    };
    Form::new()
        .text("model", "whisper-1")
        .text("empty", "")
        .text("quote\"d", "a \"quoted\" value")
        .text("line\r\nbreak", "multi\r\nline\r\nvalue")
        .text("名前", "値 ünïcödé")
        .part(
            "blob",
            Part::bytes(binary())
                .file_name("bin.dat")
                .mime_str("application/octet-stream")
                .unwrap(),
        )
        .part(
            "cv",
            Part::bytes(&b"%PDF-1.4"[..])
                .file_name("résumé \"final\".pdf")
                .mime_str("application/pdf")
                .unwrap(),
        )
        .file("notes", &notes)
        .await
        .unwrap()
        .part("last", last.file_name("s.txt"))
}

/// What a parser must find in `awkward_form`: every byte as sent, and
/// names and file names as the caller wrote them (`unescapes`: the
/// `multipart` package undoes the HTML standard's escapes) or as that
/// standard escapes them (python-multipart hands them over as sent).
fn awkward_expected(unescapes: bool) -> Value {
    let escaped = |raw: &'static str, sent: &'static str| if unescapes { raw } else { sent };
    let part = |name: &str, filename: Option<&str>, ctype: Option<&str>, data: &[u8]| {
        json!({
            "name": name,
            "filename": filename,
            "content_type": ctype,
            "size": data.len(),
            "data": latin1(data),
        })
    };
    json!([
        part("model", None, None, b"whisper-1"),
        part("empty", None, None, b""),
        part(
            escaped("quote\"d", "quote%22d"),
            None,
            None,
            b"a \"quoted\" value"
        ),
        part(
            escaped("line\r\nbreak", "line%0D%0Abreak"),
            None,
            None,
            b"multi\r\nline\r\nvalue"
        ),
        part("名前", None, None, "値 ünïcödé".as_bytes()),
        part(
            "blob",
            Some("bin.dat"),
            Some("application/octet-stream"),
            &binary()
        ),
        part(
            "cv",
            Some(escaped("résumé \"final\".pdf", "résumé %22final%22.pdf")),
            Some("application/pdf"),
            b"%PDF-1.4"
        ),
        part(
            "notes",
            Some("notes.txt"),
            Some("text/plain"),
            b"line one\nline two\n"
        ),
        part("last", Some("s.txt"), None, b"streamed \xe2\x9c\x93 bytes"),
    ])
}

/// The parts a parser reported, without their hashes.
fn parts_of(report: &Value, parser: &str) -> Value {
    let mut parts = report[parser].clone();
    assert!(
        parts.is_array(),
        "{parser} refused the body: {}",
        report[parser]
    );
    for p in parts.as_array_mut().unwrap() {
        p.as_object_mut().unwrap().remove("sha256");
    }
    parts
}

#[tokio::test]
async fn both_parsers_read_every_field_and_file_name_intact() {
    let Some(python) = venv_python() else { return };
    let receiver = Receiver::start(&python);
    let dir = TempDir::new("interop");
    for (known_length, framing) in [(true, "content-length"), (false, "chunked")] {
        let report = upload(&receiver, awkward_form(&dir, known_length).await).await;
        assert_eq!(report["framing"], framing);
        for (parser, unescapes) in [("python_multipart", false), ("multipart", true)] {
            assert_eq!(
                parts_of(&report, parser),
                awkward_expected(unescapes),
                "{parser}, {framing}"
            );
        }
    }
}

/// Writes `len` bytes of the pattern to `path` a piece at a time (the
/// test's own memory must not grow with the file either).
fn write_pattern(path: &PathBuf, len: usize) {
    let piece = pattern(251 * 4096);
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut left = len;
    while left > 0 {
        let n = left.min(piece.len());
        file.write_all(&piece[..n]).unwrap();
        left -= n;
    }
    file.flush().unwrap();
}

/// This process's resident set, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test]
async fn a_200_mb_file_arrives_intact_and_client_memory_stays_flat() {
    const LEN: usize = 200 * 1000 * 1000;
    let Some(python) = venv_python() else { return };
    let receiver = Receiver::start(&python);
    let dir = TempDir::new("interop-200mb");
    let path = dir.join("big.bin");
    write_pattern(&path, LEN);
    let sha256 = Command::new("sha256sum").arg(&path).output().unwrap();
    let sha256 = String::from_utf8(sha256.stdout).unwrap();
    let sha256 = sha256.split_whitespace().next().unwrap().to_string();

    // Resident memory, sampled while the upload runs.
    let before = rss_kib();
    let peak = Arc::new(AtomicU64::new(before));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let started = std::time::Instant::now();
    let form = Form::new()
        .text("purpose", "batch")
        .file("file", &path)
        .await
        .unwrap();
    let report = upload(&receiver, form).await;
    let took = started.elapsed();
    done.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    let growth_kib = peak.load(Ordering::Relaxed).saturating_sub(before);

    assert_eq!(report["framing"], "content-length");
    for parser in ["python_multipart", "multipart"] {
        let parts = &report[parser];
        assert!(parts.is_array(), "{parser} refused the body: {parts}");
        assert_eq!(parts[0]["name"], "purpose");
        assert_eq!(parts[0]["data"], "batch");
        assert_eq!(parts[1]["name"], "file", "{parser}");
        assert_eq!(parts[1]["filename"], "big.bin", "{parser}");
        assert_eq!(parts[1]["size"], LEN, "{parser}");
        assert_eq!(parts[1]["sha256"], sha256.as_str(), "{parser}");
    }
    println!(
        "200 MB multipart upload: {:.1} s, client VmRSS {} KiB before, peak growth {} KiB",
        took.as_secs_f64(),
        before,
        growth_kib
    );
    assert!(
        growth_kib < 64 * 1024,
        "client memory grew by {growth_kib} KiB during a 200 MB upload"
    );
}
