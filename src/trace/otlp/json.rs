//! The OTLP/JSON encoding of spans (OTLP specification, "JSON Protobuf
//! Encoding"): the protobuf JSON mapping of `ExportTraceServiceRequest`,
//! with the deviations OTLP requires:
//!
//! - trace and span ids are lowercase hex, not base64;
//! - enums (`kind`, `status.code`) are integers, never names;
//! - field names are lowerCamelCase;
//! - 64-bit integers (`*TimeUnixNano`, `intValue`) are decimal strings,
//!   as proto3 JSON writes `int64` and `fixed64`.
//!
//! Empty and default fields are left out, as a protobuf writer does.

use crate::trace::span::{Span, SpanStatus, Value};
use std::io::Write;
use std::time::SystemTime;

/// `service.name` and the other resource attributes of every span.
pub(crate) type Resource = Vec<(String, String)>;

/// The request body for `spans`, all from one resource and one scope.
/// Written straight into one buffer (strings escaped by serde_json): no
/// tree of values is built, so a span costs no allocation of its own.
pub(crate) fn encode(spans: &[Span], resource: &Resource) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + spans.len() * 1024);
    out.extend_from_slice(b"{\"resourceSpans\":[{\"resource\":{\"attributes\":[");
    for (i, (k, v)) in resource.iter().enumerate() {
        comma(&mut out, i);
        attribute(&mut out, k, &Value::Str(v.as_str().to_owned().into()));
    }
    out.extend_from_slice(b"]},\"scopeSpans\":[{\"scope\":{\"name\":\"brisk\",\"version\":");
    string(&mut out, env!("CARGO_PKG_VERSION"));
    out.extend_from_slice(b"},\"spans\":[");
    for (i, s) in spans.iter().enumerate() {
        comma(&mut out, i);
        span(&mut out, s);
    }
    out.extend_from_slice(b"]}]}]}");
    out
}

fn span(out: &mut Vec<u8>, s: &Span) {
    out.extend_from_slice(b"{\"traceId\":\"");
    hex(out, &s.trace_id.0);
    out.extend_from_slice(b"\",\"spanId\":\"");
    hex(out, &s.span_id.0);
    out.push(b'"');
    if !s.trace_state.is_empty() {
        out.extend_from_slice(b",\"traceState\":");
        string(out, &s.trace_state.to_string());
    }
    if let Some(parent) = s.parent_span_id {
        out.extend_from_slice(b",\"parentSpanId\":\"");
        hex(out, &parent.0);
        out.push(b'"');
    }
    // The W3C trace flags in the low byte.
    out.extend_from_slice(b",\"flags\":");
    decimal(out, u64::from(s.flags.0));
    out.extend_from_slice(b",\"name\":");
    string(out, &s.name);
    out.extend_from_slice(b",\"kind\":");
    decimal(out, s.kind as u64);
    out.extend_from_slice(b",\"startTimeUnixNano\":\"");
    decimal(out, nanos(s.start));
    out.extend_from_slice(b"\",\"endTimeUnixNano\":\"");
    decimal(out, nanos(s.end));
    out.push(b'"');
    if !s.attributes.is_empty() {
        out.extend_from_slice(b",\"attributes\":[");
        for (i, (k, v)) in s.attributes.iter().enumerate() {
            comma(out, i);
            attribute(out, k, v);
        }
        out.push(b']');
    }
    if !s.events.is_empty() {
        out.extend_from_slice(b",\"events\":[");
        for (i, e) in s.events.iter().enumerate() {
            comma(out, i);
            let _ = write!(out, "{{\"timeUnixNano\":\"{}\",\"name\":", nanos(e.time));
            string(out, &e.name);
            if !e.attributes.is_empty() {
                out.extend_from_slice(b",\"attributes\":[");
                for (j, (k, v)) in e.attributes.iter().enumerate() {
                    comma(out, j);
                    attribute(out, k, v);
                }
                out.push(b']');
            }
            out.push(b'}');
        }
        out.push(b']');
    }
    match &s.status {
        SpanStatus::Unset => {}
        SpanStatus::Ok => out.extend_from_slice(b",\"status\":{\"code\":1}"),
        SpanStatus::Error(m) if m.is_empty() => out.extend_from_slice(b",\"status\":{\"code\":2}"),
        SpanStatus::Error(m) => {
            out.extend_from_slice(b",\"status\":{\"message\":");
            string(out, m);
            out.extend_from_slice(b",\"code\":2}");
        }
    }
    out.push(b'}');
}

fn comma(out: &mut Vec<u8>, i: usize) {
    if i > 0 {
        out.push(b',');
    }
}

fn attribute(out: &mut Vec<u8>, key: &str, value: &Value) {
    out.extend_from_slice(b"{\"key\":");
    string(out, key);
    out.extend_from_slice(b",\"value\":");
    any_value(out, value);
    out.push(b'}');
}

fn any_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Str(s) => {
            out.extend_from_slice(b"{\"stringValue\":");
            string(out, s);
            out.push(b'}');
        }
        Value::Int(i) => {
            out.extend_from_slice(b"{\"intValue\":\"");
            if *i < 0 {
                out.push(b'-');
            }
            decimal(out, i.unsigned_abs());
            out.extend_from_slice(b"\"}");
        }
        // JSON has no NaN or infinity; such a value goes as its name.
        Value::Float(f) if !f.is_finite() => {
            out.extend_from_slice(b"{\"stringValue\":");
            string(out, &f.to_string());
            out.push(b'}');
        }
        Value::Float(f) => {
            out.extend_from_slice(b"{\"doubleValue\":");
            let _ = serde_json::to_writer(&mut *out, f);
            out.push(b'}');
        }
        Value::Bool(b) => {
            let _ = write!(out, "{{\"boolValue\":{b}}}");
        }
        Value::StrArray(items) => {
            out.extend_from_slice(b"{\"arrayValue\":{\"values\":[");
            for (i, item) in items.iter().enumerate() {
                comma(out, i);
                out.extend_from_slice(b"{\"stringValue\":");
                string(out, item);
                out.push(b'}');
            }
            out.extend_from_slice(b"]}}");
        }
    }
}

/// A JSON string, escaped as serde_json escapes it. Keys, methods, hosts
/// and most URLs need no escape: those are copied between quotes as they
/// are, one scan and one copy.
fn string(out: &mut Vec<u8>, s: &str) {
    if s.bytes()
        .all(|b| b >= 0x20 && b != b'"' && b != b'\\' && b < 0x7f)
    {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

fn hex(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut digits = [0u8; 32];
    let n = bytes.len().min(16) * 2;
    out.extend_from_slice(
        crate::trace::context::hex_into(&bytes[..n / 2], &mut digits[..n]).as_bytes(),
    );
}

/// A `u64` in decimal, without `fmt`.
fn decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// Nanoseconds since the Unix epoch (0 before it), as a `u64` (enough
/// until 2554, and much quicker to format than a `u128`).
fn nanos(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::context::{SpanId, TraceFlags, TraceId, TraceState};
    use crate::trace::span::{SpanEvent, SpanKind};
    use serde_json::{json, Value as Json};
    use std::time::Duration;

    #[test]
    fn a_span_in_otlp_json() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_nanos(1_700_000_000_123_456_789);
        let s = Span {
            trace_id: TraceId([0x4b; 16]),
            span_id: SpanId([0x0a; 8]),
            parent_span_id: Some(SpanId([0x01; 8])),
            trace_state: TraceState::parse(["rojo=1"]).unwrap(),
            flags: TraceFlags(1),
            name: "GET".into(),
            kind: SpanKind::Client,
            start: t0,
            end: t0 + Duration::from_millis(2),
            attributes: vec![
                ("http.response.status_code".into(), Value::Int(503)),
                ("brisk.connection.reused".into(), Value::Bool(false)),
                ("brisk.dns.duration".into(), Value::Float(0.5)),
                (
                    "gen_ai.response.finish_reasons".into(),
                    Value::StrArray(vec!["stop".into()]),
                ),
                ("note".into(), Value::Str("a \"quoted\"\nline\u{1}".into())),
            ],
            events: vec![SpanEvent {
                name: "brisk.retry.scheduled".into(),
                time: t0,
                attributes: vec![],
            }],
            status: SpanStatus::Error(String::new()),
        };
        let body: Json =
            serde_json::from_slice(&encode(&[s], &vec![("service.name".into(), "svc".into())]))
                .unwrap();
        let span = &body["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
        assert_eq!(span["traceId"], "4b".repeat(16));
        assert_eq!(span["spanId"], "0a".repeat(8));
        assert_eq!(span["parentSpanId"], "01".repeat(8));
        assert_eq!(span["traceState"], "rojo=1");
        assert_eq!(span["kind"], 3);
        assert_eq!(span["startTimeUnixNano"], "1700000000123456789");
        assert_eq!(span["endTimeUnixNano"], "1700000000125456789");
        assert_eq!(span["status"], json!({ "code": 2 }));
        let attrs = &span["attributes"];
        assert_eq!(attrs[0]["value"], json!({ "intValue": "503" }));
        assert_eq!(attrs[1]["value"], json!({ "boolValue": false }));
        assert_eq!(attrs[2]["value"], json!({ "doubleValue": 0.5 }));
        assert_eq!(
            attrs[3]["value"],
            json!({ "arrayValue": { "values": [{ "stringValue": "stop" }] } })
        );
        assert_eq!(attrs[4]["value"]["stringValue"], "a \"quoted\"\nline\u{1}");
        assert_eq!(span["events"][0]["timeUnixNano"], "1700000000123456789");
        assert_eq!(
            body["resourceSpans"][0]["resource"]["attributes"][0],
            json!({ "key": "service.name", "value": { "stringValue": "svc" } })
        );
    }

    #[test]
    fn hand_written_numbers_and_strings_match_serde_json() {
        for n in [0u64, 7, 10, 503, 1_700_000_000_123_456_789, u64::MAX] {
            let mut out = Vec::new();
            decimal(&mut out, n);
            assert_eq!(out, n.to_string().into_bytes());
        }
        for i in [i64::MIN, -1, 0, 42, i64::MAX] {
            let mut out = Vec::new();
            any_value(&mut out, &Value::Int(i));
            assert_eq!(
                String::from_utf8(out).unwrap(),
                format!("{{\"intValue\":\"{i}\"}}")
            );
        }
        for s in [
            "",
            "GET",
            "http://h/p?q=1",
            "a\"b",
            "back\\slash",
            "\u{1}\u{7f}",
            "é\n",
        ] {
            let mut out = Vec::new();
            string(&mut out, s);
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
    }
}
