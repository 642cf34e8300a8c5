//! The client's spans: what a `Call` records when its client has a
//! tracer (see the module docs of `trace` for the conventions). Each
//! method is one step of the call; the call reaches them through one
//! `Option` check, so a client without a tracer pays a branch a step.

use super::context::{SpanId, TraceContext, TraceFlags, TraceParent};
use super::span::{ActiveSpan, Key, SpanKind, Value};
use super::Tracer;
use crate::error::{Error, Kind};
use crate::events::Timings;
use crate::header::{HeaderMap, HeaderValue};
use crate::url::Url;
use std::borrow::Cow;
use std::time::Duration;

/// One request's tracing: its parent, and the span of the attempt in
/// flight.
pub(crate) struct CallTrace {
    tracer: Tracer,
    /// The trace, flags and state every attempt's span takes; its
    /// `parent_id` is the caller's span (unused for a new trace).
    trace: TraceContext,
    /// The caller's span, if the request has one.
    parent: Option<SpanId>,
    /// The attempt in flight.
    open: Option<ActiveSpan>,
    /// Sends so far, over retries, re-sends and redirects.
    sends: u32,
}

impl CallTrace {
    /// Tracing for a request whose headers are `headers`: the
    /// `traceparent` (and `tracestate`) on them, if valid, is the parent;
    /// otherwise a new trace starts.
    pub(crate) fn start(tracer: &Tracer, headers: &HeaderMap) -> CallTrace {
        let (trace, parent) = match TraceContext::from_headers(headers) {
            Some(ctx) => {
                let parent = ctx.parent.parent_id;
                (ctx, Some(parent))
            }
            None => {
                let ids = &tracer.inner.ids;
                let ctx = TraceContext::new(TraceParent {
                    trace_id: ids.trace_id(),
                    parent_id: ids.span_id(),
                    flags: TraceFlags::SAMPLED.with(TraceFlags::RANDOM),
                });
                (ctx, None)
            }
        };
        CallTrace {
            tracer: tracer.clone(),
            trace,
            parent,
            open: None,
            sends: 0,
        }
    }

    /// An attempt starts (Admit): any earlier attempt's span ends, the new
    /// one starts, and its `traceparent` replaces the request's (with the
    /// `tracestate` beside it).
    pub(crate) fn attempt(&mut self, method: &str, url: &Url, headers: &mut HeaderMap) {
        self.end();
        let mut ctx = self.trace.clone();
        ctx.parent.parent_id = self.tracer.inner.ids.span_id();
        // Written on the stack without `fmt`; the value's one allocation
        // is its exact 55 bytes.
        let traceparent = ctx.parent.to_bytes();
        // Hex digits and dashes: always a valid field value.
        if let Some(v) = std::str::from_utf8(&traceparent)
            .ok()
            .and_then(|s| HeaderValue::try_from(s.to_owned()).ok())
        {
            headers.insert("traceparent", v);
        }
        if ctx.state.is_empty() {
            headers.remove("tracestate");
        } else if let Ok(v) = HeaderValue::try_from(ctx.state.to_string().as_str()) {
            headers.insert("tracestate", v);
        }
        let name = method_name(method);
        let mut span = ActiveSpan::start(
            self.tracer.clone(),
            name.map_or_else(|| Cow::Borrowed("HTTP"), Cow::Borrowed),
            SpanKind::Client,
            ctx,
            self.parent,
        );
        if span.is_recording() {
            match name {
                Some(m) => span.set_attribute("http.request.method", m),
                None => {
                    span.set_attribute("http.request.method", "_OTHER");
                    span.set_attribute("http.request.method_original", method.to_owned());
                }
            }
            span.set_attribute("server.address", url.host_text().to_owned());
            span.set_attribute("server.port", url.effective_port());
            span.set_attribute(
                "url.full",
                redacted_url(url, self.tracer.inner.keep_query_values),
            );
            span.set_attribute("http.request.resend_count", self.sends);
        }
        self.sends += 1;
        self.open = Some(span);
    }

    /// The attempt has its connection (or its turn to open one) after
    /// waiting `waited` from its start: the host's connection limit.
    pub(crate) fn pool_waited(&mut self, waited: Duration) {
        // Below a millisecond the wait is the checkout itself, not a queue.
        if waited >= Duration::from_millis(1) {
            if let Some(span) = &mut self.open {
                span.set_attribute("brisk.pool_wait.duration", waited.as_secs_f64());
            }
        }
    }

    /// The attempt got a response head.
    pub(crate) fn head(
        &mut self,
        status: u16,
        version: crate::Version,
        reused: bool,
        timings: &Timings,
    ) {
        let Some(span) = self.open.as_mut().filter(|s| s.is_recording()) else {
            return;
        };
        span.set_attribute("http.response.status_code", status);
        span.set_attribute(
            "network.protocol.version",
            match version {
                crate::Version::HTTP_10 | crate::Version::HTTP_09 => "1.0",
                _ => "1.1",
            },
        );
        connection(span, reused, timings);
        if status >= 400 {
            span.set_attribute("error.type", status.to_string());
            span.set_error(String::new());
        }
    }

    /// The attempt failed.
    pub(crate) fn failed(&mut self, error: &Error) {
        if let Some(span) = self.open.as_mut().filter(|s| s.is_recording()) {
            span.set_attribute("error.type", error_type(error));
            span.set_error(error.to_string());
        }
    }

    /// The attempt will be retried after `delay`: said on its span, which
    /// ends here (the wait is not part of it).
    pub(crate) fn retry(&mut self, delay: Duration, reason: crate::RetryReason, hinted: bool) {
        if let Some(mut span) = self.open.take() {
            let ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
            span.add_event(
                "brisk.retry.scheduled",
                vec![
                    (Key::Borrowed("brisk.retry.delay_ms"), Value::Int(ms)),
                    (
                        Key::Borrowed("brisk.retry.reason"),
                        Value::from(reason.to_string()),
                    ),
                    (Key::Borrowed("brisk.retry.hinted"), Value::Bool(hinted)),
                ],
            );
            span.end();
        }
    }

    /// The call failed before or without an attempt's own failure (an
    /// open circuit, an invalid head, a redirect refused).
    pub(crate) fn fail(&mut self, error: &Error) {
        if let Some(span) = self.open.as_mut().filter(|s| s.is_recording()) {
            if !span.is_error() {
                span.set_attribute("error.type", error_type(error));
                span.set_error(error.to_string());
            }
        }
        self.end();
    }

    /// The attempt in flight, if any, ends now.
    pub(crate) fn end(&mut self) {
        if let Some(span) = self.open.take() {
            span.end();
        }
    }
}

/// Connection attributes (see the module docs).
fn connection(span: &mut ActiveSpan, reused: bool, t: &Timings) {
    span.set_attribute("brisk.connection.reused", reused);
    if !reused {
        span.set_attribute("brisk.dns.duration", t.dns.as_secs_f64());
        span.set_attribute("brisk.connect.duration", t.connect.as_secs_f64());
        if !t.tls.is_zero() {
            span.set_attribute("brisk.tls.duration", t.tls.as_secs_f64());
        }
    }
}

/// The method as the conventions name it: one of RFC 9110's (and
/// PATCH), else `None` (then `_OTHER`, and the span is named `HTTP`).
fn method_name(method: &str) -> Option<&'static str> {
    Some(match method {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        "PATCH" => "PATCH",
        "CONNECT" => "CONNECT",
        "TRACE" => "TRACE",
        _ => return None,
    })
}

/// `url.full` without credentials: userinfo as `REDACTED:REDACTED@`, and
/// each query value `REDACTED` unless `keep_query` (keys stay, as the
/// conventions' own redaction of signed URLs keeps them).
pub(crate) fn redacted_url(url: &Url, keep_query: bool) -> String {
    let whole = url.as_str();
    let scheme_end = url.scheme().as_str().len() + "://".len();
    let mut out = String::with_capacity(whole.len() + 24);
    out.push_str(&whole[..scheme_end]);
    if !url.username().is_empty() || url.password().is_some() {
        out.push_str("REDACTED:REDACTED@");
    }
    out.push_str(url.authority());
    out.push_str(url.path());
    if let Some(query) = url.query() {
        out.push('?');
        if keep_query {
            out.push_str(query);
        } else {
            for (i, pair) in query.split('&').enumerate() {
                if i > 0 {
                    out.push('&');
                }
                match pair.split_once('=') {
                    Some((key, _)) => {
                        out.push_str(key);
                        out.push_str("=REDACTED");
                    }
                    None => out.push_str(pair),
                }
            }
        }
    }
    out
}

/// `error.type` for a failure: a short, low-cardinality name.
pub(crate) fn error_type(e: &Error) -> String {
    match e.kind() {
        Kind::Builder => "builder",
        Kind::Connect => "connect",
        Kind::Tls(_) => "tls",
        Kind::Timeout { .. } => "timeout",
        Kind::Protocol | Kind::WebSocket => "protocol",
        Kind::Io => "io",
        Kind::RequestBody => "request_body",
        Kind::Redirect => "redirect",
        Kind::Status(code) => return code.to_string(),
        Kind::TooLarge => "too_large",
        Kind::CircuitOpen { .. } => "circuit_open",
        Kind::Decode => "decode",
        Kind::Proxy { .. } => "proxy",
    }
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_full_never_holds_credentials_or_query_values() {
        let url = Url::parse("https://user:secret@api.example.com:8443/v1/x?key=abc&sig=zz&flag")
            .unwrap();
        let full = redacted_url(&url, false);
        assert_eq!(
            full,
            "https://REDACTED:REDACTED@api.example.com:8443/v1/x?key=REDACTED&sig=REDACTED&flag"
        );
        let kept = redacted_url(&url, true);
        assert_eq!(
            kept,
            "https://REDACTED:REDACTED@api.example.com:8443/v1/x?key=abc&sig=zz&flag"
        );
        let plain = Url::parse("http://example.com/").unwrap();
        assert_eq!(redacted_url(&plain, false), "http://example.com/");
    }

    #[test]
    fn other_methods_are_other() {
        assert_eq!(method_name("GET"), Some("GET"));
        assert_eq!(method_name("PROPFIND"), None);
    }
}
