//! A finished span as a sink receives it, with OpenTelemetry's data
//! model (kind, attributes, events, status), and the handle that records
//! one while it is open.

use super::context::{SpanId, TraceContext, TraceFlags, TraceId, TraceParent, TraceState};
use super::Tracer;
use std::borrow::Cow;
use std::time::SystemTime;

/// An attribute's or event's key: usually a `&'static` semantic
/// convention name.
pub type Key = Cow<'static, str>;

/// What a span does (OTLP's `SpanKind`; the numbers are OTLP's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SpanKind {
    /// Work inside a process.
    Internal = 1,
    /// Serving a remote request.
    Server = 2,
    /// A request to a remote service: every span brisk makes.
    Client = 3,
    /// Sending a message.
    Producer = 4,
    /// Receiving a message.
    Consumer = 5,
}

/// A typed attribute value (OTLP's `AnyValue`, less maps and bytes).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A string.
    Str(Cow<'static, str>),
    /// A signed integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A list of strings.
    StrArray(Vec<String>),
}

impl Value {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
    /// The integer, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
}

impl From<&'static str> for Value {
    fn from(s: &'static str) -> Value {
        Value::Str(Cow::Borrowed(s))
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(Cow::Owned(s))
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}
impl From<u16> for Value {
    fn from(i: u16) -> Value {
        Value::Int(i64::from(i))
    }
}
impl From<u32> for Value {
    fn from(i: u32) -> Value {
        Value::Int(i64::from(i))
    }
}
impl From<u64> for Value {
    fn from(i: u64) -> Value {
        Value::Int(i64::try_from(i).unwrap_or(i64::MAX))
    }
}
impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Float(f)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<Vec<String>> for Value {
    fn from(v: Vec<String>) -> Value {
        Value::StrArray(v)
    }
}

/// Something that happened at a moment during a span.
#[derive(Clone, Debug, PartialEq)]
pub struct SpanEvent {
    /// What happened.
    pub name: Key,
    /// When.
    pub time: SystemTime,
    /// Details.
    pub attributes: Vec<(Key, Value)>,
}

/// How a span ended (OTLP's status codes: unset 0, ok 1, error 2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SpanStatus {
    /// Nothing said: the usual case for a success.
    #[default]
    Unset,
    /// Marked successful.
    Ok,
    /// Failed, with a description (empty for an HTTP status, whose code is
    /// in the attributes).
    Error(String),
}

/// A finished span.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    /// Its trace.
    pub trace_id: TraceId,
    /// Its own id.
    pub span_id: SpanId,
    /// Its parent's id; `None` for a trace's root span.
    pub parent_span_id: Option<SpanId>,
    /// The `tracestate` it was part of.
    pub trace_state: TraceState,
    /// The sampled and random bits.
    pub flags: TraceFlags,
    /// The span's name (`GET`, `chat gpt-4o`).
    pub name: Key,
    /// Its kind.
    pub kind: SpanKind,
    /// When it started.
    pub start: SystemTime,
    /// When it ended.
    pub end: SystemTime,
    /// Attributes, in the order they were set.
    pub attributes: Vec<(Key, Value)>,
    /// Events, in order.
    pub events: Vec<SpanEvent>,
    /// How it ended.
    pub status: SpanStatus,
}

impl Span {
    /// The value of attribute `key`, if set.
    pub fn attribute(&self, key: &str) -> Option<&Value> {
        self.attributes
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The `traceparent` a request sent under this span carries.
    pub fn traceparent(&self) -> TraceParent {
        TraceParent {
            trace_id: self.trace_id,
            parent_id: self.span_id,
            flags: self.flags,
        }
    }
}

/// A span being recorded: set attributes and events, then [`end`] it (or
/// drop it, which ends it too). When the trace is not sampled, nothing is
/// recorded and ending sends nothing, but the span still has its ids, so
/// that its context propagates.
///
/// [`end`]: ActiveSpan::end
#[derive(Debug)]
pub struct ActiveSpan {
    /// Unboxed: the client keeps its spans in a box already.
    span: Option<Span>,
    context: TraceContext,
    tracer: Tracer,
}

impl ActiveSpan {
    pub(super) fn start(
        tracer: Tracer,
        name: Key,
        kind: SpanKind,
        context: TraceContext,
        parent_span_id: Option<SpanId>,
    ) -> ActiveSpan {
        let span = context.parent.flags.is_sampled().then(|| Span {
            trace_id: context.parent.trace_id,
            span_id: context.parent.parent_id,
            parent_span_id,
            trace_state: context.state.clone(),
            flags: context.parent.flags,
            name,
            kind,
            start: SystemTime::now(),
            end: SystemTime::UNIX_EPOCH,
            attributes: Vec::with_capacity(12),
            events: Vec::new(),
            status: SpanStatus::Unset,
        });
        ActiveSpan {
            span,
            context,
            tracer,
        }
    }

    /// The context a child of this span (a request made under it) takes
    /// as its parent: this span's id, the trace's flags and state.
    pub fn context(&self) -> &TraceContext {
        &self.context
    }

    /// Whether anything is recorded (the trace is sampled).
    pub fn is_recording(&self) -> bool {
        self.span.is_some()
    }

    /// Sets an attribute (a later value for the same key wins).
    pub fn set_attribute(&mut self, key: impl Into<Key>, value: impl Into<Value>) {
        if let Some(span) = &mut self.span {
            span.attributes.push((key.into(), value.into()));
        }
    }

    /// Adds an event, now.
    pub fn add_event(&mut self, name: impl Into<Key>, attributes: Vec<(Key, Value)>) {
        if let Some(span) = &mut self.span {
            span.events.push(SpanEvent {
                name: name.into(),
                time: SystemTime::now(),
                attributes,
            });
        }
    }

    /// Marks the span failed.
    pub fn set_error(&mut self, description: impl Into<String>) {
        if let Some(span) = &mut self.span {
            span.status = SpanStatus::Error(description.into());
        }
    }

    /// Whether the span is marked failed.
    pub(crate) fn is_error(&self) -> bool {
        matches!(&self.span, Some(s) if matches!(s.status, SpanStatus::Error(_)))
    }

    /// Marks the span successful.
    pub fn set_ok(&mut self) {
        if let Some(span) = &mut self.span {
            span.status = SpanStatus::Ok;
        }
    }

    /// Ends the span now and hands it to the tracer's sink.
    pub fn end(mut self) {
        self.finish();
    }

    fn finish(&mut self) {
        if let Some(mut span) = self.span.take() {
            span.end = SystemTime::now();
            self.tracer.inner.sink.export(span);
        }
    }
}

impl Drop for ActiveSpan {
    fn drop(&mut self) {
        self.finish();
    }
}
