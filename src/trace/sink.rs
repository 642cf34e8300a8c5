//! Where finished spans go: the [`SpanSink`] trait, and [`MemorySink`],
//! which keeps them (for tests, and for a program that prints its trace).

use super::span::Span;
use std::sync::{Arc, Mutex};

/// Receives every finished span a tracer records. Called on the task that
/// ended the span (a request's own task), so it must be quick and must
/// not block: queue the span, do not send it (the OTLP exporter queues
/// it for its background task).
pub trait SpanSink: Send + Sync {
    /// One finished span.
    fn export(&self, span: Span);
}

impl<S: SpanSink + ?Sized> SpanSink for Arc<S> {
    fn export(&self, span: Span) {
        (**self).export(span)
    }
}

/// Keeps every span in memory, in the order they ended. Cheap to clone:
/// clones share the spans.
///
/// ```
/// use brisk::trace::{MemorySink, Tracer};
///
/// let sink = MemorySink::new();
/// let client = brisk::Client::builder().tracing(Tracer::new(sink.clone())).build()?;
/// // ... requests ...
/// for span in sink.spans() {
///     println!("{} {}", span.name, span.span_id);
/// }
/// # Ok::<(), brisk::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemorySink {
    spans: Arc<Mutex<Vec<Span>>>,
}

impl MemorySink {
    /// An empty sink.
    pub fn new() -> MemorySink {
        MemorySink::default()
    }
    /// A copy of the spans so far.
    pub fn spans(&self) -> Vec<Span> {
        crate::guard::lock(&self.spans).clone()
    }
    /// The spans so far, leaving the sink empty.
    pub fn take(&self) -> Vec<Span> {
        std::mem::take(&mut *crate::guard::lock(&self.spans))
    }
    /// How many spans so far.
    pub fn len(&self) -> usize {
        crate::guard::lock(&self.spans).len()
    }
    /// Whether no span has ended yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl SpanSink for MemorySink {
    fn export(&self, span: Span) {
        crate::guard::lock(&self.spans).push(span);
    }
}
