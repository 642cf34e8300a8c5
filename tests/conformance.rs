//! Every response case of http-parser's and h11's test suites (see
//! `tests/conformance/README.md` for provenance) run through
//! `brisk::h1::ResponseDecoder`: fed whole, split at every offset and one
//! byte at a time, with the same result each way.
//!
//! The `*_agreeing` subsets must pass as the reference parsers expect. The
//! `*_policy_divergent` cases are checked against the choices listed in the
//! `brisk::h1` docs (the table of policy choices), repeated in `POLICY`.

use brisk::h1::{Event, ParseError, ResponseDecoder};
use serde_json::Value;

/// What one run of the decoder over a byte stream produced.
#[derive(Debug, Clone, PartialEq)]
struct Outcome {
    messages: Vec<Message>,
    error: Option<ParseError>,
    /// Bytes left for the next protocol after a 101.
    upgrade_remainder: Option<Vec<u8>>,
    /// How many input bytes had been fed when the error was reported.
    fed_at_error: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
struct Message {
    version: String,
    status: u16,
    reason: Vec<u8>,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    complete: bool,
    reusable: Option<bool>,
}

/// Feeds `input` to a fresh decoder in pieces ending at `cuts` (then the
/// rest), as a connection would deliver it.
fn run(input: &[u8], method: &str, eof: bool, cuts: &[usize]) -> Outcome {
    let mut dec = ResponseDecoder::new(Default::default());
    dec.expect_response_to(method.as_bytes());
    let mut out = Outcome {
        messages: Vec::new(),
        error: None,
        upgrade_remainder: None,
        fed_at_error: None,
    };
    let mut buf: Vec<u8> = Vec::new();
    let mut fed = 0;
    let ends = cuts.iter().copied().chain([input.len()]);
    for end in ends {
        buf.extend_from_slice(&input[fed..end]);
        fed = end;
        loop {
            let step = match dec.decode(&buf) {
                Ok(step) => step,
                Err(e) => {
                    out.error = Some(e);
                    out.fed_at_error = Some(fed);
                    return out;
                }
            };
            let consumed = step.consumed;
            let Some(event) = step.event else {
                buf.drain(..consumed);
                break;
            };
            if apply(&mut out, event) {
                // HTTP is over: everything after the head, arrived or not,
                // belongs to the next protocol.
                let mut rest = buf[consumed..].to_vec();
                rest.extend_from_slice(&input[fed..]);
                out.upgrade_remainder = Some(rest);
                return out;
            }
            buf.drain(..consumed);
        }
    }
    if eof {
        match dec.finish() {
            Ok(event) => {
                apply(&mut out, event);
            }
            Err(ParseError::EmptyResponse) if !out.messages.is_empty() => {}
            Err(e) => {
                out.error = Some(e);
                out.fed_at_error = Some(fed);
            }
        }
    }
    out
}

/// Records one event; true when HTTP has ended (upgrade).
fn apply(out: &mut Outcome, event: Event<'_>) -> bool {
    match event {
        Event::Head(head) => out.messages.push(Message {
            version: head.version.to_string(),
            status: head.status,
            reason: head.reason().to_vec(),
            headers: head
                .headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
                .collect(),
            body: Vec::new(),
            // A 1xx head is complete in itself.
            complete: head.is_informational() && head.status != 101,
            reusable: None,
        }),
        Event::Body(bytes) => out
            .messages
            .last_mut()
            .expect("body after head")
            .body
            .extend_from_slice(bytes),
        Event::End { reusable } => {
            let m = out.messages.last_mut().expect("end after head");
            m.complete = true;
            m.reusable = Some(reusable);
        }
        Event::Upgrade => {
            out.messages
                .last_mut()
                .expect("upgrade after head")
                .complete = true;
            return true;
        }
    }
    false
}

fn b64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("bad base64"),
    };
    let digits: Vec<u8> = s.bytes().filter(|&c| c != b'=').map(val).collect();
    digits
        .chunks(4)
        .flat_map(|q| {
            let n = q
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &d)| n | (u32::from(d) << (18 - 6 * i)));
            let bytes = n.to_be_bytes();
            bytes[1..q.len()].to_vec()
        })
        .collect()
}

struct Case {
    id: String,
    raw: Vec<u8>,
    method: String,
    eof: bool,
    expect: Value,
    /// Only the repeated part is fed byte by byte for large generated cases.
    generated: bool,
}

fn load_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for file in ["http_parser_responses.json", "h11_responses.json"] {
        let path = format!("{}/tests/conformance/{file}", env!("CARGO_MANIFEST_DIR"));
        let all: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for c in all {
            let (raw, generated) = match c["raw_base64"].as_str() {
                Some(b) => (b64(b), false),
                None => {
                    let g = &c["raw_generator"];
                    let mut raw = g["prefix"].as_str().unwrap().as_bytes().to_vec();
                    let rep = g["repeat"].as_str().unwrap().as_bytes();
                    for _ in 0..g["times"].as_u64().unwrap() {
                        raw.extend_from_slice(rep);
                    }
                    raw.extend_from_slice(g["suffix"].as_str().unwrap().as_bytes());
                    (raw, true)
                }
            };
            cases.push(Case {
                id: c["id"].as_str().unwrap().to_string(),
                raw,
                method: c["mode"]["request_method"]
                    .as_str()
                    .unwrap_or("GET")
                    .to_string(),
                eof: c["mode"]["eof_after_raw"].as_bool().unwrap_or(false),
                expect: c["expect"].clone(),
                generated,
            });
        }
    }
    cases
}

fn subset(name: &str) -> Vec<String> {
    let path = format!(
        "{}/tests/conformance/INDEX.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let index: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    index["subsets"][name]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// Runs a case whole, at every split offset and byte by byte (or in a few
/// piece sizes for the large generated cases), asserting one result.
fn run_all_ways(case: &Case) -> Outcome {
    let whole = run(&case.raw, &case.method, case.eof, &[]);
    let same = |o: Outcome, how: &str| {
        let strip = |mut o: Outcome| {
            o.fed_at_error = None;
            o
        };
        assert_eq!(
            strip(o),
            strip(whole.clone()),
            "{}: {how} differs from whole",
            case.id
        );
    };
    let n = case.raw.len();
    if !case.generated {
        for cut in 0..=n {
            same(
                run(&case.raw, &case.method, case.eof, &[cut]),
                &format!("split at {cut}"),
            );
        }
        let bytes: Vec<usize> = (1..n).collect();
        same(
            run(&case.raw, &case.method, case.eof, &bytes),
            "byte by byte",
        );
    } else {
        for piece in [1usize, 7, 4096] {
            if n / piece > 300_000 {
                continue;
            }
            let cuts: Vec<usize> = (piece..n).step_by(piece).collect();
            same(
                run(&case.raw, &case.method, case.eof, &cuts),
                &format!("{piece}-byte pieces"),
            );
        }
    }
    whole
}

fn trimmed(v: &[u8]) -> &[u8] {
    let s = v
        .iter()
        .position(|b| !b" \t".contains(b))
        .unwrap_or(v.len());
    let e = v
        .iter()
        .rposition(|b| !b" \t".contains(b))
        .map_or(s, |e| e + 1);
    &v[s..e]
}

/// Checks a case the reference parsers agree on against their expectation.
fn check_expected(case: &Case, got: &Outcome) {
    let e = &case.expect;
    let ok = e["ok"].as_bool().unwrap();
    assert_eq!(
        got.error.is_none(),
        ok,
        "{}: expected ok={ok}, got {:?}",
        case.id,
        got.error
    );
    if !ok {
        return;
    }
    // Full per-message expectations where the case gives them.
    if let Some(msgs) = e["messages"].as_array().filter(|m| !m.is_empty()) {
        assert_eq!(got.messages.len(), msgs.len(), "{}: message count", case.id);
        for (m, g) in msgs.iter().zip(&got.messages) {
            check_message(&case.id, m, g);
        }
    } else if e["status"].is_u64() {
        let g = got
            .messages
            .first()
            .unwrap_or_else(|| panic!("{}: no message", case.id));
        check_message(&case.id, e, g);
    }
    if let Some(rem) = e["upgrade_remainder"].as_str() {
        assert_eq!(
            got.upgrade_remainder.as_deref(),
            Some(rem.as_bytes()),
            "{}: upgrade remainder",
            case.id
        );
    }
    if let Some(keep) = e["should_keep_alive"].as_bool() {
        if let Some(reusable) = got.messages.last().and_then(|m| m.reusable) {
            assert!(
                !reusable || keep,
                "{}: reusable but the reference says close",
                case.id
            );
        }
    }
}

fn check_message(id: &str, m: &Value, g: &Message) {
    assert_eq!(
        u64::from(g.status),
        m["status"].as_u64().unwrap(),
        "{id}: status"
    );
    if let Some(v) = m["version"].as_str() {
        // h11 writes "1.1", http-parser "HTTP/1.1".
        let v = if v.starts_with("HTTP/") {
            v.to_string()
        } else {
            format!("HTTP/{v}")
        };
        assert_eq!(g.version, v, "{id}: version");
    }
    if let Some(r) = m["reason"].as_str() {
        assert_eq!(g.reason, r.as_bytes(), "{id}: reason");
    }
    // h11 normalises the fields of its `headers/` cases (lowercased
    // codings, merged Content-Length); those cases test framing, which the
    // body and completeness checks cover.
    let normalised = id.starts_with("h11/headers/");
    if let Some(hs) = m["headers"].as_array().filter(|_| !normalised) {
        // brisk lowercases names, as the `http` crate does.
        let want: Vec<(String, Vec<u8>)> = hs
            .iter()
            .map(|h| {
                (
                    h[0].as_str().unwrap().to_ascii_lowercase(),
                    trimmed(h[1].as_str().unwrap().as_bytes()).to_vec(),
                )
            })
            .collect();
        assert_eq!(g.headers, want, "{id}: headers");
    }
    if let Some(b) = m["body"].as_str() {
        assert_eq!(String::from_utf8_lossy(&g.body), b, "{id}: body");
    }
    if let Some(c) = m["complete"].as_bool() {
        assert_eq!(g.complete, c, "{id}: complete");
    }
}

#[test]
fn agreeing_cases_pass() {
    let cases = load_cases();
    let mut passed = 0;
    for name in ["http_parser_agreeing", "h11_agreeing"] {
        for id in subset(name) {
            let case = cases
                .iter()
                .find(|c| c.id == id)
                .unwrap_or_else(|| panic!("{id} missing"));
            let got = run_all_ways(case);
            check_expected(case, &got);
            passed += 1;
        }
    }
    assert_eq!(passed, 45 + 35);
    println!("conformance: {passed} agreeing cases passed");
}

#[test]
fn large_chunked_body_is_exact_and_not_reusable() {
    let cases = load_cases();
    let case = cases
        .iter()
        .find(|c| c.id == "http-parser/main/large_chunked")
        .unwrap();
    let got = run_all_ways(case);
    assert_eq!(got.messages[0].body.len(), 31337 * 1024);
    // Transfer-Encoding on an HTTP/1.0 response: honoured, never reused.
    assert_eq!(got.messages[0].reusable, Some(false));
}

/// Our choice for each case where the reference parsers disagree: accept
/// (with what we make of it) or reject.
enum Policy {
    Reject(ParseError),
    Accept,
    /// Accepted; HTTP ends after the 101 head and these bytes are handed
    /// back for the next protocol.
    Upgrade(&'static [u8]),
    /// Accepted as a body read until the connection closes.
    UntilClose,
    /// Skipped as framing-neutral bytes (empty lines before a status line):
    /// no message, no error, and a close after them is an empty response.
    Skipped,
}

const POLICY: &[(&str, Policy)] = &[
    (
        "http-parser/responses/TRAILING_SPACE_ON_CHUNKED_BODY",
        Policy::Reject(ParseError::InvalidChunkSize),
    ),
    (
        "http-parser/responses/NO_CARRIAGE_RET",
        Policy::Reject(ParseError::InvalidLineEnding),
    ),
    (
        "http-parser/responses/SPACE_IN_FIELD_RES",
        Policy::Reject(ParseError::InvalidHeaderName),
    ),
    (
        "http-parser/responses/HTTP_101_RESPONSE_WITH_UPGRADE_HEADER_AND_CONTENT_LENGTH",
        Policy::Upgrade(b"bodyproto"),
    ),
    (
        "http-parser/responses/HTTP_101_RESPONSE_WITH_UPGRADE_HEADER_AND_TRANSFER_ENCODING",
        Policy::Upgrade(b"2\r\nbo\r\n2\r\ndy\r\n0\r\n\r\nproto"),
    ),
    ("http-parser/main/cl_overflow_max", Policy::Accept),
    ("http-parser/main/chunk_overflow_max", Policy::Accept),
    ("h11/conn/unsolicited_101", Policy::Upgrade(b"")),
    (
        "h11/io/lf_then_crlf_end",
        Policy::Reject(ParseError::InvalidLineEnding),
    ),
    (
        "h11/io/lf_only",
        Policy::Reject(ParseError::InvalidLineEnding),
    ),
    (
        "h11/io/mixed_crlf_lf",
        Policy::Reject(ParseError::InvalidLineEnding),
    ),
    (
        "h11/io/nul_after_status_line",
        Policy::Reject(ParseError::InvalidReason),
    ),
    ("h11/io/chunked_7", Policy::Accept),
    (
        "h11/io/chunked_8",
        Policy::Reject(ParseError::InvalidChunkSize),
    ),
    ("h11/conn/empty_response", Policy::Skipped),
    ("h11/headers/cl_0_0", Policy::Accept),
    ("h11/headers/cl_0c0", Policy::Accept),
    ("h11/headers/te_gzip", Policy::UntilClose),
    ("h11/headers/te_chunked_then_gzip", Policy::UntilClose),
];

#[test]
fn divergent_cases_follow_documented_policy() {
    let cases = load_cases();
    let mut divergent = subset("http_parser_policy_divergent");
    divergent.extend(subset("h11_policy_divergent"));
    assert_eq!(
        divergent.len(),
        POLICY.len(),
        "every divergent case has a policy"
    );
    for id in divergent {
        let case = cases.iter().find(|c| c.id == id).unwrap();
        let (_, policy) = POLICY
            .iter()
            .find(|(p, _)| *p == id)
            .unwrap_or_else(|| panic!("{id}: no policy"));
        let got = run_all_ways(case);
        match policy {
            Policy::Reject(err) => assert_eq!(got.error, Some(*err), "{id}"),
            Policy::Accept => {
                assert_eq!(got.error, None, "{id}");
                // Where we accept, we decode what the accepting reference did.
                if case.expect["ok"].as_bool() == Some(true) {
                    check_expected(case, &got);
                }
            }
            Policy::Upgrade(rest) => {
                assert_eq!(got.error, None, "{id}");
                assert_eq!(got.messages.len(), 1, "{id}");
                assert_eq!(got.messages[0].status, 101, "{id}");
                assert!(
                    got.messages[0].body.is_empty(),
                    "{id}: a 101 has no content"
                );
                assert_eq!(got.upgrade_remainder.as_deref(), Some(*rest), "{id}");
            }
            Policy::UntilClose => {
                assert_eq!(got.error, None, "{id}");
                assert!(!got.messages[0].complete, "{id}: body runs until close");
                let mut closed = case.raw.clone();
                closed.extend_from_slice(b"raw");
                let at_eof = run(&closed, "GET", true, &[]);
                assert_eq!(at_eof.messages[0].body, b"raw", "{id}");
                assert_eq!(at_eof.messages[0].reusable, Some(false), "{id}");
            }
            Policy::Skipped => {
                assert_eq!(got.error, None, "{id}");
                assert!(got.messages.is_empty(), "{id}");
                let at_eof = run(&case.raw, &case.method, true, &[]);
                assert_eq!(at_eof.error, Some(ParseError::EmptyResponse), "{id}");
            }
        }
    }
}

#[test]
fn header_overflow_fails_before_all_input_is_read() {
    let cases = load_cases();
    let case = cases
        .iter()
        .find(|c| c.id == "http-parser/main/header_overflow")
        .unwrap();
    let cuts: Vec<usize> = (1024..case.raw.len()).step_by(1024).collect();
    let got = run(&case.raw, "GET", false, &cuts);
    // 10,000 short fields: the header count limit trips first.
    assert_eq!(got.error, Some(ParseError::TooManyHeaders));
    assert!(
        got.fed_at_error.unwrap() < case.raw.len() / 4,
        "{:?}",
        got.fed_at_error
    );
}
