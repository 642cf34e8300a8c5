//! Distributed tracing without a dependency: W3C Trace Context
//! propagation, spans named and attributed by the OpenTelemetry semantic
//! conventions, a [`SpanSink`] to receive them, and (feature `otlp`) an
//! exporter that sends them to any OTLP/HTTP collector as JSON.
//!
//! | file | holds |
//! | --- | --- |
//! | `context.rs` | `traceparent` and `tracestate`, parsed and written (Level 1 and 2) |
//! | `ids.rs` | trace and span ids: a fast generator seeded once per thread, or from a seed |
//! | `span.rs` | the span data model, and [`ActiveSpan`], which records one |
//! | `sink.rs` | [`SpanSink`] and the in-memory [`MemorySink`] |
//! | `http.rs` | the client's spans: one per attempt and per redirect hop |
//! | `tree.rs` | a trace drawn as a text tree |
//! | `otlp/` | the OTLP/HTTP JSON exporter (feature `otlp`) |
//!
//! Turn it on with [`ClientBuilder::tracing`](crate::ClientBuilder::tracing):
//!
//! ```no_run
//! # async fn run() -> Result<(), brisk::Error> {
//! use brisk::trace::{MemorySink, TraceContext, Tracer};
//!
//! let sink = MemorySink::new();
//! let client = brisk::Client::builder().tracing(Tracer::new(sink.clone())).build()?;
//! // A child of the caller's span (from an incoming request, say):
//! let parent: TraceContext = TraceContext::from_fields(
//!     ["00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"],
//!     ["rojo=00f067aa0ba902b7"],
//! ).expect("valid");
//! client.get("http://example.com/").trace_parent(&parent).send().await?;
//! assert_eq!(sink.spans()[0].parent_span_id, Some(parent.parent.parent_id));
//! # Ok(()) }
//! ```
//!
//! # The client's spans
//!
//! Every attempt, and every redirect hop, is its own span of kind CLIENT,
//! named by the method, with its own span id, sent as the `traceparent`
//! of that attempt (replacing any earlier one); the `tracestate` is
//! passed through unchanged. All of a request's spans share one parent:
//! the caller's span given by [`RequestBuilder::trace_parent`](crate::RequestBuilder::trace_parent)
//! (or a `traceparent` field already on the request), or, without one,
//! none: a new trace starts, and the request's spans are its roots.
//!
//! Attributes (OpenTelemetry HTTP client conventions): `http.request.method`
//! (`_OTHER` and `http.request.method_original` for a method outside
//! RFC 9110's), `server.address`, `server.port`, `url.full`,
//! `http.request.resend_count` (0 for the first send, then 1, 2, … over
//! retries, re-sends and redirects), `http.response.status_code`,
//! `network.protocol.version`, and on failure `error.type` (the status
//! code for 4xx and 5xx, else a short kind: `timeout`, `connect`, `tls`,
//! `io`, `protocol`, …).
//!
//! - `url.full` never holds credentials: userinfo is written
//!   `REDACTED:REDACTED@`, and every query value is `REDACTED` unless
//!   [`Tracer::keep_query_values`] says otherwise (keys stay).
//! - Status is error for 4xx, 5xx and failures (with the error's message
//!   for a failure, none for a status), unset otherwise.
//! - A span ends when its attempt's fate is known: at the final response
//!   head, when a retry is scheduled, when the call fails, or when a
//!   redirect's body has been drained. Reading the final body is not in
//!   the span.
//! - An attempt that will be retried gets an event `brisk.retry.scheduled`
//!   (attributes `brisk.retry.delay_ms`, `brisk.retry.reason`,
//!   `brisk.retry.hinted`); the retry's own span starts after the wait.
//! - Connection timings are attributes, in seconds, set when the phase
//!   happened: `brisk.pool_wait.duration` (waiting for the host's
//!   connection limit), `brisk.dns.duration`, `brisk.connect.duration`,
//!   `brisk.tls.duration`, and `brisk.connection.reused`.
//!
//! An unsampled parent (flags `-00`) is followed: headers still carry new
//! span ids, but nothing is recorded. Without a tracer nothing is made:
//! each step costs one branch.

mod context;
mod http;
pub(crate) mod ids;
#[cfg(feature = "otlp")]
mod otlp;
mod sink;
mod span;
mod tree;

pub use context::{
    ContextError, SpanId, TraceContext, TraceFlags, TraceId, TraceParent, TraceState,
    TRACESTATE_MAX_MEMBERS,
};
pub(crate) use http::CallTrace;
pub use ids::{IdGenerator, RandomIds, SeededIds};
#[cfg(feature = "otlp")]
pub use otlp::{ExportStats, OtlpExporter, OtlpExporterBuilder, DEFAULT_TRACES_ENDPOINT};
pub use sink::{MemorySink, SpanSink};
pub use span::{ActiveSpan, Key, Span, SpanEvent, SpanKind, SpanStatus, Value};
pub use tree::render_tree;

use std::fmt;
use std::sync::Arc;

/// Makes spans and hands them to a sink. Cheap to clone: clones share
/// the sink and the id generator.
#[derive(Clone)]
pub struct Tracer {
    inner: Arc<Inner>,
}

struct Inner {
    sink: Arc<dyn SpanSink>,
    ids: Arc<dyn IdGenerator>,
    keep_query_values: bool,
}

impl fmt::Debug for Tracer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tracer")
            .field("ids", &self.inner.ids)
            .field("keep_query_values", &self.inner.keep_query_values)
            .finish_non_exhaustive()
    }
}

impl Tracer {
    /// A tracer that sends every finished span to `sink`, with random ids.
    pub fn new(sink: impl SpanSink + 'static) -> Tracer {
        Tracer {
            inner: Arc::new(Inner {
                sink: Arc::new(sink),
                ids: Arc::new(RandomIds),
                keep_query_values: false,
            }),
        }
    }

    fn with(self, change: impl FnOnce(&mut Inner)) -> Tracer {
        let mut inner = Inner {
            sink: self.inner.sink.clone(),
            ids: self.inner.ids.clone(),
            keep_query_values: self.inner.keep_query_values,
        };
        change(&mut inner);
        Tracer {
            inner: Arc::new(inner),
        }
    }

    /// Ids from `ids` instead of the random generator (a
    /// [`SeededIds`] makes a test's ids known in advance).
    pub fn ids(self, ids: impl IdGenerator + 'static) -> Tracer {
        self.with(|i| i.ids = Arc::new(ids))
    }

    /// Keep query values in `url.full` (default: each is `REDACTED`, since
    /// queries often carry keys and signatures).
    pub fn keep_query_values(self, keep: bool) -> Tracer {
        self.with(|i| i.keep_query_values = keep)
    }

    /// Starts a span named `name` as a child of `parent`, or as the root
    /// of a new trace (sampled, with the Level 2 random flag) without one.
    pub fn start_span(
        &self,
        name: impl Into<Key>,
        kind: SpanKind,
        parent: Option<&TraceContext>,
    ) -> ActiveSpan {
        let ids = &self.inner.ids;
        let (context, parent_span_id) = match parent {
            Some(p) => (
                TraceContext {
                    parent: TraceParent {
                        parent_id: ids.span_id(),
                        ..p.parent
                    },
                    state: p.state.clone(),
                },
                Some(p.parent.parent_id),
            ),
            None => (
                TraceContext::new(TraceParent {
                    trace_id: ids.trace_id(),
                    parent_id: ids.span_id(),
                    flags: TraceFlags::SAMPLED.with(TraceFlags::RANDOM),
                }),
                None,
            ),
        };
        ActiveSpan::start(self.clone(), name.into(), kind, context, parent_span_id)
    }
}
