//! A trace as a text tree, for a terminal: each span under its parent,
//! with its times from the trace's first start, its status, attributes
//! and events.

use super::span::{Span, SpanStatus, Value};
use std::fmt::Write;
use std::time::{Duration, SystemTime};

/// Draws `spans` (any order, any number of traces) as trees: roots are
/// spans whose parent is not among them, children in order of start.
///
/// ```text
/// chat mock-1  0.0 → 14.2 ms
/// │  gen_ai.request.model = "mock-1"
/// ├─ POST  0.3 → 1.2 ms  error
/// │  │  http.response.status_code = 503
/// │  · 1.2 ms brisk.retry.scheduled brisk.retry.delay_ms=3
/// └─ POST  4.5 → 6.0 ms
///    │  http.response.status_code = 200
/// ```
pub fn render_tree(spans: &[Span]) -> String {
    let mut order: Vec<&Span> = spans.iter().collect();
    order.sort_by_key(|s| s.start);
    let origin = order.first().map_or(SystemTime::UNIX_EPOCH, |s| s.start);
    let is_root = |s: &Span| {
        !s.parent_span_id.is_some_and(|p| {
            order
                .iter()
                .any(|o| o.span_id == p && o.trace_id == s.trace_id)
        })
    };
    let mut out = String::new();
    for root in order.iter().filter(|s| is_root(s)) {
        draw(&mut out, root, &order, origin, "", None);
    }
    out
}

/// One span at `prefix`; `last` is `None` for a root, else whether it is
/// its parent's last child.
fn draw(
    out: &mut String,
    span: &Span,
    all: &[&Span],
    origin: SystemTime,
    prefix: &str,
    last: Option<bool>,
) {
    let (branch, inner) = match last {
        None => ("", String::new()),
        Some(false) => ("├─ ", format!("{prefix}│  ")),
        Some(true) => ("└─ ", format!("{prefix}   ")),
    };
    let status = match &span.status {
        SpanStatus::Error(m) if m.is_empty() => "  error".to_owned(),
        SpanStatus::Error(m) => format!("  error: {m}"),
        SpanStatus::Ok => "  ok".to_owned(),
        SpanStatus::Unset => String::new(),
    };
    let _ = writeln!(
        out,
        "{prefix}{branch}{}  {} → {}{status}",
        span.name,
        ms(since(origin, span.start)),
        ms(since(origin, span.end)),
    );
    let children: Vec<&&Span> = all
        .iter()
        .filter(|c| c.parent_span_id == Some(span.span_id) && c.trace_id == span.trace_id)
        .collect();
    let bar = if children.is_empty() { "   " } else { "│  " };
    for (k, v) in &span.attributes {
        let _ = writeln!(out, "{inner}{bar}{k} = {}", value(v));
    }
    for e in &span.events {
        let attrs: Vec<String> = e
            .attributes
            .iter()
            .map(|(k, v)| format!("{k}={}", value(v)))
            .collect();
        let line = format!(
            "{inner}{bar}· {} {} {}",
            ms(since(origin, e.time)),
            e.name,
            attrs.join(" ")
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
    for (i, child) in children.iter().enumerate() {
        draw(
            out,
            child,
            all,
            origin,
            &inner,
            Some(i + 1 == children.len()),
        );
    }
}

fn since(origin: SystemTime, t: SystemTime) -> Duration {
    t.duration_since(origin).unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn value(v: &Value) -> String {
    match v {
        Value::Str(s) => format!("{s:?}"),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => format!("{f:.6}"),
        Value::Bool(b) => b.to_string(),
        Value::StrArray(a) => format!("{a:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{MemorySink, SpanKind, Tracer};

    #[test]
    fn children_hang_under_their_parent_in_order() {
        let sink = MemorySink::new();
        let tracer = Tracer::new(sink.clone());
        let mut root = tracer.start_span("root", SpanKind::Internal, None);
        let ctx = root.context().clone();
        let mut a = tracer.start_span("first", SpanKind::Client, Some(&ctx));
        a.set_attribute("n", 1i64);
        a.add_event("retry", vec![]);
        a.set_error("");
        a.end();
        tracer
            .start_span("second", SpanKind::Client, Some(&ctx))
            .end();
        root.set_attribute("k", "v");
        root.end();
        let tree = render_tree(&sink.spans());
        let lines: Vec<&str> = tree.lines().collect();
        assert!(lines[0].starts_with("root  0.0 ms → "), "{tree}");
        assert_eq!(lines[1], "│  k = \"v\"", "{tree}");
        assert!(
            lines[2].starts_with("├─ first  ") && lines[2].ends_with("  error"),
            "{tree}"
        );
        assert_eq!(lines[3], "│     n = 1", "{tree}");
        assert!(
            lines[4].starts_with("│     · ") && lines[4].contains(" retry"),
            "{tree}"
        );
        assert!(lines[5].starts_with("└─ second  "), "{tree}");
        assert_eq!(lines.len(), 6, "{tree}");
    }
}
