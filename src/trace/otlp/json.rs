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
use serde_json::{json, Map, Value as Json};
use std::time::SystemTime;

/// `service.name` and the other resource attributes of every span.
pub(crate) type Resource = Vec<(String, String)>;

/// The request body for `spans`, all from one resource and one scope.
pub(crate) fn encode(spans: &[Span], resource: &Resource) -> Vec<u8> {
    let attributes: Vec<Json> = resource
        .iter()
        .map(|(k, v)| attribute(k, &Value::Str(v.clone().into())))
        .collect();
    let body = json!({
        "resourceSpans": [{
            "resource": { "attributes": attributes },
            "scopeSpans": [{
                "scope": { "name": "brisk", "version": env!("CARGO_PKG_VERSION") },
                "spans": spans.iter().map(span).collect::<Vec<_>>(),
            }],
        }],
    });
    serde_json::to_vec(&body).unwrap_or_default()
}

fn span(s: &Span) -> Json {
    let mut o = Map::new();
    o.insert("traceId".into(), s.trace_id.to_hex().into());
    o.insert("spanId".into(), s.span_id.to_hex().into());
    if !s.trace_state.is_empty() {
        o.insert("traceState".into(), s.trace_state.to_string().into());
    }
    if let Some(parent) = s.parent_span_id {
        o.insert("parentSpanId".into(), parent.to_hex().into());
    }
    // The W3C trace flags in the low byte.
    o.insert("flags".into(), u32::from(s.flags.0).into());
    o.insert("name".into(), s.name.as_ref().into());
    o.insert("kind".into(), (s.kind as i32).into());
    o.insert("startTimeUnixNano".into(), nanos(s.start).into());
    o.insert("endTimeUnixNano".into(), nanos(s.end).into());
    if !s.attributes.is_empty() {
        let a: Vec<Json> = s.attributes.iter().map(|(k, v)| attribute(k, v)).collect();
        o.insert("attributes".into(), a.into());
    }
    if !s.events.is_empty() {
        let events: Vec<Json> = s
            .events
            .iter()
            .map(|e| {
                let mut ev = Map::new();
                ev.insert("timeUnixNano".into(), nanos(e.time).into());
                ev.insert("name".into(), e.name.as_ref().into());
                if !e.attributes.is_empty() {
                    let a: Vec<Json> = e.attributes.iter().map(|(k, v)| attribute(k, v)).collect();
                    ev.insert("attributes".into(), a.into());
                }
                Json::Object(ev)
            })
            .collect();
        o.insert("events".into(), events.into());
    }
    let status = match &s.status {
        SpanStatus::Unset => None,
        SpanStatus::Ok => Some(json!({ "code": 1 })),
        SpanStatus::Error(m) if m.is_empty() => Some(json!({ "code": 2 })),
        SpanStatus::Error(m) => Some(json!({ "message": m, "code": 2 })),
    };
    if let Some(status) = status {
        o.insert("status".into(), status);
    }
    Json::Object(o)
}

fn attribute(key: &str, value: &Value) -> Json {
    json!({ "key": key, "value": any_value(value) })
}

fn any_value(v: &Value) -> Json {
    match v {
        Value::Str(s) => json!({ "stringValue": s }),
        Value::Int(i) => json!({ "intValue": i.to_string() }),
        // JSON has no NaN or infinity; such a value goes as its name.
        Value::Float(f) if !f.is_finite() => json!({ "stringValue": f.to_string() }),
        Value::Float(f) => json!({ "doubleValue": f }),
        Value::Bool(b) => json!({ "boolValue": b }),
        Value::StrArray(items) => json!({
            "arrayValue": {
                "values": items.iter().map(|s| json!({ "stringValue": s })).collect::<Vec<_>>()
            }
        }),
    }
}

/// Nanoseconds since the Unix epoch, as a decimal string (0 before it).
fn nanos(t: SystemTime) -> String {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::context::{SpanId, TraceFlags, TraceId, TraceState};
    use crate::trace::span::{SpanEvent, SpanKind};
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
        assert_eq!(span["events"][0]["timeUnixNano"], "1700000000123456789");
        assert_eq!(
            body["resourceSpans"][0]["resource"]["attributes"][0],
            json!({ "key": "service.name", "value": { "stringValue": "svc" } })
        );
    }
}
