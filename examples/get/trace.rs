//! The getter's tracing, from the environment alone (as otel-cli and the
//! OpenTelemetry proposal for environment carriers do):
//!
//! - `TRACEPARENT` (and `TRACESTATE`) make every request a child of that
//!   span: a shell script that started a span can stitch `get` into its
//!   trace. An invalid `TRACEPARENT` is ignored, as a header would be; a
//!   `-H traceparent:` on the command line wins.
//! - `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`
//!   turns tracing on: each attempt's span goes to that collector (the
//!   other `OTEL_*` variables apply: headers, service name, timeout), and
//!   everything is sent before `get` exits. This needs brisk's `otlp`
//!   feature (`cargo run --features otlp --example get`); without it `get`
//!   says so on stderr and fetches untraced.

use std::io::Write;

/// What tracing the environment asked for.
pub struct Tracing {
    #[cfg(feature = "otlp")]
    exporter: Option<brisk::trace::OtlpExporter>,
}

impl Tracing {
    /// Reads the environment: the parent context goes into `headers`
    /// (unless they name one), and an exporter starts if a collector is
    /// named. Problems are told on `stderr`; none stops the fetch.
    pub fn from_env(headers: &mut Vec<(String, String)>, stderr: &mut dyn Write) -> Tracing {
        let named = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
        if !named("traceparent") {
            let parent = std::env::var("TRACEPARENT").ok();
            let state = std::env::var("TRACESTATE").ok();
            let ctx = parent
                .as_deref()
                .and_then(|p| brisk::trace::TraceContext::from_fields([p], state.as_deref()));
            match (parent, ctx) {
                (Some(_), Some(ctx)) => {
                    headers.push(("traceparent".into(), ctx.parent.to_string()));
                    if !ctx.state.is_empty() {
                        headers.push(("tracestate".into(), ctx.state.to_string()));
                    }
                }
                (Some(p), None) => {
                    let _ = writeln!(stderr, "get: TRACEPARENT {p:?} is not valid: ignored");
                }
                (None, _) => {}
            }
        }
        #[cfg(feature = "otlp")]
        {
            let exporter = match brisk::trace::OtlpExporter::configured_in_env() {
                false => None,
                true => match brisk::trace::OtlpExporter::from_env().build() {
                    Ok(exporter) => Some(exporter),
                    Err(e) => {
                        let _ = writeln!(stderr, "get: OTLP exporter: {e}");
                        None
                    }
                },
            };
            Tracing { exporter }
        }
        #[cfg(not(feature = "otlp"))]
        {
            if [
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            ]
            .iter()
            .any(|n| std::env::var_os(n).is_some_and(|v| !v.is_empty()))
            {
                let _ = writeln!(
                    stderr,
                    "get: an OTLP endpoint is set, but brisk was built without its `otlp` feature: not traced"
                );
            }
            Tracing {}
        }
    }

    /// The tracer the client takes, if spans are exported.
    pub fn tracer(&self) -> Option<brisk::trace::Tracer> {
        #[cfg(feature = "otlp")]
        if let Some(exporter) = &self.exporter {
            return Some(brisk::trace::Tracer::new(exporter.clone()));
        }
        None
    }

    /// Sends every span before the program exits.
    pub async fn finish(self, stderr: &mut dyn Write) {
        #[cfg(feature = "otlp")]
        if let Some(exporter) = self.exporter {
            exporter.shutdown().await;
            let stats = exporter.stats();
            if stats.failed + stats.dropped > 0 {
                let _ = writeln!(
                    stderr,
                    "get: {} span(s) not delivered to the collector",
                    stats.failed + stats.dropped
                );
            }
        }
        let _ = stderr;
    }
}
