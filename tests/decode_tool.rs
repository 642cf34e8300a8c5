//! The capture decoder of `examples/decode.rs`, run as a function on byte
//! strings (examples have no binary a test can find, and `cargo run` per
//! case would be slow): one JSON line per message, 1xx included; an error
//! line and a failure for what cannot be a response.

#[path = "../examples/decode.rs"]
#[allow(dead_code)] // its `main`
mod decode_tool;

use serde_json::{json, Value};

/// The lines the tool prints for `input` (the peer having closed after it
/// when `eof`), and whether it succeeded.
fn decode(input: &[u8], eof: bool) -> (Vec<Value>, bool) {
    let mut out = Vec::new();
    let ok = decode_tool::decode(input, "GET", eof, &mut out);
    let lines = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    (lines, ok)
}

fn statuses(lines: &[Value]) -> Vec<&Value> {
    lines.iter().map(|l| &l["status"]).collect()
}

#[test]
fn every_message_is_a_line_informational_ones_too() {
    let capture = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/captures/pipelined.http"
    ))
    .unwrap();
    let (lines, ok) = decode(&capture, true);
    assert!(ok);
    assert_eq!(statuses(&lines), [&json!(100), &json!(200), &json!(404)]);
    assert_eq!(lines[1]["body"], "hello, world!");
    assert!(lines.iter().all(|l| l["complete"] == true));

    // aiohttp's extra CRLF after `100 Continue`.
    let (lines, ok) = decode(
        b"HTTP/1.1 100 Continue\r\n\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        false,
    );
    assert!(ok);
    assert_eq!(statuses(&lines), [&json!(100), &json!(200)]);
}

#[test]
fn bytes_after_a_message_that_closes_the_connection_are_an_error() {
    let next = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    for first in [
        "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx",
        "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
    ] {
        for eof in [false, true] {
            let (lines, ok) = decode(format!("{first}{next}").as_bytes(), eof);
            assert!(!ok, "{first:?}");
            assert_eq!(lines.len(), 2, "{first:?}");
            assert_eq!(lines[0]["body"], "x", "{first:?}");
            assert_eq!(
                lines[1],
                json!({"error": "bytes_after_close", "offset": first.len()}),
                "{first:?}"
            );
            // Empty lines are framing-neutral: no error.
            let (lines, ok) = decode(format!("{first}\r\n").as_bytes(), eof);
            assert!(ok, "{first:?}");
            assert_eq!(statuses(&lines), [&json!(200)], "{first:?}");
        }
    }
    // The same bytes with keep-alive are two messages.
    let (lines, ok) = decode(
        format!("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx{next}")
            .as_bytes(),
        true,
    );
    assert!(ok);
    assert_eq!(statuses(&lines), [&json!(200), &json!(200)]);
}

#[test]
fn status_lines_of_other_protocols_are_refused() {
    for other in [
        "RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n",
        "ICE/1.0 200 OK\r\n\r\n",
    ] {
        let (lines, ok) = decode(other.as_bytes(), true);
        assert!(!ok, "{other:?}");
        assert_eq!(lines, [json!({"error": "invalid_version", "offset": 0})]);
        let first = "HTTP/1.1 204 No Content\r\n\r\n";
        let (lines, ok) = decode(format!("{first}{other}").as_bytes(), true);
        assert!(!ok, "{other:?}");
        assert_eq!(
            lines[1],
            json!({"error": "invalid_version", "offset": first.len()})
        );
    }
}
