//! Decodes a raw HTTP/1.1 response stream from stdin and prints each message
//! as one JSON object per line.
//!
//! ```text
//! cargo run --example decode -- [--method HEAD] [--eof] < capture.bin
//! ```
//!
//! - `--method HEAD`: the request was HEAD, so responses have no body.
//! - `--eof`: the peer closed the connection after these bytes, so a body
//!   read until close is complete, and an unfinished message is an error.
//!
//! Output, one line per message, informational (1xx) ones included:
//! `{"version":"HTTP/1.1","status":200,"reason":"OK","headers":[["Name","value"]],"body":"...","complete":true}`
//! (the body as UTF-8, lossy). A message cut short without `--eof` is
//! printed with `"complete":false`. Invalid bytes end the output with
//! `{"error":"<kind>","offset":N}`, where N is the stream offset of the
//! element that failed (the start of its head with any empty lines before
//! it, of its chunk line or trailer), and exit status 1. So do bytes after
//! a message that closes the connection (`Connection: close`, HTTP/1.0
//! without keep-alive, suspect framing): `bytes_after_close`, since no
//! further response can follow such a message. After a 101 (or a 2xx to
//! CONNECT) decoding stops: what follows belongs to another protocol.

use brisk::h1::{Event, ParseError, ResponseDecoder, ResponseHead};
use std::io::{Read, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut method = String::from("GET");
    let mut eof = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--method" => method = args.next().unwrap_or_default().to_ascii_uppercase(),
            "--eof" => eof = true,
            _ => {
                eprintln!("usage: decode [--method METHOD] [--eof] < capture");
                return ExitCode::from(2);
            }
        }
    }
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut input) {
        eprintln!("decode: reading stdin: {e}");
        return ExitCode::from(2);
    }
    match decode(&input, &method, eof, &mut std::io::stdout().lock()) {
        true => ExitCode::SUCCESS,
        false => ExitCode::from(1),
    }
}

/// Decodes `input` as responses to `method`, writing one JSON line per
/// message to `out`; `eof` says the peer closed after these bytes. False
/// when the bytes are invalid (the last line written is the error).
///
/// A function rather than the body of `main` so that `tests/decode_tool.rs`
/// can include this file and run it on byte strings.
pub fn decode(input: &[u8], method: &str, eof: bool, out: &mut impl Write) -> bool {
    let mut dec = ResponseDecoder::new(Default::default());
    let mut offset = 0;
    // The message being decoded: its head and the body so far.
    let mut current: Option<(ResponseHead, Vec<u8>)> = None;
    let fail = |out: &mut dyn Write, e: ParseError, offset: usize| {
        let _ = writeln!(out, "{{\"error\":\"{}\",\"offset\":{offset}}}", e.name());
        false
    };
    loop {
        dec.expect_response_to(method.as_bytes());
        let step = match dec.decode(&input[offset..]) {
            Ok(step) => step,
            Err(e) => return fail(out, e, offset),
        };
        let event = match step.event {
            Some(event) => event,
            None if !eof => break,
            None => match dec.finish() {
                Ok(event) => event,
                Err(ParseError::EmptyResponse) => break,
                Err(e) => {
                    if let Some((head, body)) = current.take() {
                        print_message(out, &head, &body, false);
                    }
                    return fail(out, e, offset);
                }
            },
        };
        offset += step.consumed;
        match event {
            Event::Head(head) if head.is_informational() && head.status != 101 => {
                print_message(out, &head, &[], true);
            }
            Event::Head(head) => current = Some((head, Vec::new())),
            Event::Body(bytes) => {
                if let Some((_, body)) = current.as_mut() {
                    body.extend_from_slice(bytes);
                }
            }
            Event::End { .. } | Event::Upgrade => {
                if let Some((head, body)) = current.take() {
                    print_message(out, &head, &body, true);
                }
                if matches!(event, Event::Upgrade) {
                    return true;
                }
                if eof && offset == input.len() {
                    break;
                }
            }
        }
    }
    if let Some((head, body)) = current.take() {
        print_message(out, &head, &body, false);
    }
    true
}

fn print_message(out: &mut impl Write, head: &ResponseHead, body: &[u8], complete: bool) {
    let mut line = format!(
        "{{\"version\":\"{}\",\"status\":{},\"reason\":{},\"headers\":[",
        head.version,
        head.status,
        json_string(head.reason())
    );
    for (i, (name, value)) in head.headers.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        line.push_str(&format!(
            "[{},{}]",
            json_string(name.as_bytes()),
            json_string(value.as_bytes())
        ));
    }
    line.push_str(&format!(
        "],\"body\":{},\"complete\":{complete}}}",
        json_string(body)
    ));
    let _ = writeln!(out, "{line}");
}

/// A JSON string literal of `bytes` read as UTF-8, lossily.
fn json_string(bytes: &[u8]) -> String {
    let mut s = String::from("\"");
    for c in String::from_utf8_lossy(bytes).chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c if (c as u32) < 0x20 => s.push_str(&format!("\\u{:04x}", c as u32)),
            c => s.push(c),
        }
    }
    s.push('"');
    s
}
