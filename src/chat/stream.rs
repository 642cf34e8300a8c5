//! [`ChatStream`]: a streamed chat completion, delta by delta.
//!
//! A request with `"stream": true` is answered with a `text/event-stream`
//! body: one JSON chunk per event, then `data: [DONE]`. `ChatStream` reads
//! that body as it arrives ([`Response::chunk`]), cuts it into events with
//! the sans-IO [`sse::Parser`](crate::sse::Parser), reads each event's
//! data as a [`Delta`], and keeps the reply assembled so far, so that what
//! arrived is never lost, whatever ends the stream.
//!
//! The docs of [`ChatStream`] say how a stream ends, what every error
//! keeps, and what is bounded.

use super::assemble::{Assembler, Overflow, DEFAULT_MAX_REPLY_BYTES};
use super::delta::{parse_error_body, ChunkError, Delta, ErrorEvent};
use super::error::error_body;
use super::trace::ChatSpan;
use super::Reply;
use crate::sse::{ParseError, Parser, DEFAULT_MAX_EVENT_BYTES};
use crate::Response;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// After `[DONE]`, how long and how far the rest of the body is read so the
/// connection can be reused (the body's last chunk normally follows at
/// once).
const DRAIN_WAIT: Duration = Duration::from_millis(100);
const DRAIN_BYTES: usize = 64 * 1024;

/// A streamed chat completion: an async iterator of [`Delta`]s that
/// assembles the whole [`Reply`] as it goes.
///
/// brisk has no `futures` dependency, so this is a hand-rolled async
/// iterator rather than a `Stream`: call [`next`](ChatStream::next) in a
/// loop, `while let Some(delta) = stream.next().await { ... }`. Once it has
/// returned `None` or an error, it returns `None`. Or let
/// [`collect_reply`](ChatStream::collect_reply) read the whole stream.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use brisk::chat::ChatStream;
/// use std::io::Write;
///
/// let body = serde_json::json!({
///     "model": "gpt-4o-mini",
///     "messages": [{"role": "user", "content": "Say hello"}],
///     "stream": true,
///     "stream_options": {"include_usage": true},
/// });
/// let resp = brisk::Client::new()
///     .post("https://api.openai.com/v1/chat/completions")
///     .bearer_auth(std::env::var("OPENAI_API_KEY")?)
///     .header("Accept", "text/event-stream")
///     .json(&body)
///     .send()
///     .await?;
/// let mut stream = ChatStream::new(resp);
/// while let Some(delta) = stream.next().await {
///     print!("{}", delta?.text());
///     std::io::stdout().flush()?;
/// }
/// let reply = stream.into_reply();
/// println!("\n{:?} {:?}", reply.finish_reason, reply.usage);
/// # Ok(()) }
/// ```
///
/// # How a stream ends
///
/// - At `data: [DONE]`: the normal end. What follows it is not read (a
///   few bytes of it are, briefly, so the connection can go back to the
///   pool).
/// - At the end of the body between two events, without `[DONE]`: also a
///   normal end, as some servers never send `[DONE]`. A reply cut off this
///   way can be told by its missing
///   [`finish_reason`](Reply::finish_reason).
/// - At the end of the body inside an event (a chunk without the blank
///   line that ends it): [`StreamErrorKind::Truncated`]. The event is
///   incomplete, so it is dropped, and the stream says so rather than
///   pass a reply that lost a piece for a whole one. A chunked body cut
///   before its last chunk, a reset, or a server that stalls longer than
///   the client's read timeout are [`StreamErrorKind::Read`] errors.
/// - At an error event: a chunk with an `error` key (or an event of type
///   `error`) is [`StreamErrorKind::Api`], with the provider's code and
///   message.
///
/// Every error carries the reply as assembled until then
/// ([`StreamError::partial`]): the text received before a provider gave up
/// or a connection broke is kept.
///
/// A response that is not a stream is read too: an error status (4xx, 5xx)
/// gives [`StreamErrorKind::Api`] with the status and the error the body
/// holds (at most 64 KiB of it is read, for at most 2 s: what arrived by
/// then is the error), and a `2xx` with an
/// `application/json` body (a server that ignored `"stream": true`) gives
/// the whole completion as one delta.
///
/// # Bounds
///
/// One event may hold at most [`DEFAULT_MAX_EVENT_BYTES`] (the SSE
/// parser's bound) and the assembled reply at most
/// [`DEFAULT_MAX_REPLY_BYTES`] of text; [`ChatStream::with_bounds`] sets
/// both. The stream as a whole has no byte bound of its own beyond these:
/// the parser holds one event at a time, and the assembler only the
/// reply, so memory stays within the two bounds however long the body
/// runs. Time is bounded by the client's timeouts: the read timeout cuts a
/// server that stalls between events, and a total timeout
/// ([`RequestBuilder::timeout`](crate::RequestBuilder::timeout)) bounds the
/// whole stream.
pub struct ChatStream {
    response: Response,
    parser: Parser,
    assembler: Assembler,
    state: State,
    /// A secret (the API key) to scrub from error messages the server
    /// sends, should it echo it.
    secret: Option<Arc<str>>,
    /// The call's span, ended with the stream (when the client traces).
    trace: Option<Box<ChatSpan>>,
}

/// What [`ChatStream::next`] does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Reading events from an event-stream body.
    Events,
    /// The response is an error status: read its body for the error.
    Status,
    /// The response is one JSON completion, not a stream.
    Whole,
    /// Ended: by `[DONE]`, the body's end, or an error.
    Done,
}

/// What one event means to the stream.
enum Step {
    Delta(Delta),
    Skip,
    Done,
    Fail(StreamErrorKind),
}

impl fmt::Debug for ChatStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatStream")
            .field("response", &self.response)
            .field("state", &self.state)
            .field("parser", &self.parser)
            .field("text_bytes", &self.assembler.text_bytes())
            .finish()
    }
}

impl ChatStream {
    /// Scrubs `secret` from error messages the server sends (the chat
    /// client passes its API key).
    pub(crate) fn redacting(mut self, secret: Option<&str>) -> ChatStream {
        self.secret = secret.map(Arc::from);
        self
    }

    /// Ends `span` with the stream: first token, reply or error.
    pub(super) fn traced(mut self, span: Box<ChatSpan>) -> ChatStream {
        self.trace = Some(span);
        self
    }

    /// Reads `response` as a chat stream, with the default bounds.
    pub fn new(response: Response) -> ChatStream {
        ChatStream::with_bounds(response, DEFAULT_MAX_EVENT_BYTES, DEFAULT_MAX_REPLY_BYTES)
    }

    /// Reads `response` as a chat stream whose events may hold at most
    /// `max_event_bytes` each and whose assembled reply may hold at most
    /// `max_reply_bytes` of text.
    pub fn with_bounds(
        response: Response,
        max_event_bytes: usize,
        max_reply_bytes: usize,
    ) -> ChatStream {
        let mut assembler = Assembler::with_max_bytes(max_reply_bytes);
        assembler.set_attempts(response.attempts());
        let headers = response.headers();
        if let Some(id) = headers.get("x-request-id").and_then(|v| v.to_str().ok()) {
            assembler.set_request_id(id);
        }
        let status = response.status().as_u16();
        let json = headers
            .get("content-type")
            .is_some_and(|v| starts_with_ignore_case(v.as_bytes(), b"application/json"));
        let state = if !(200..300).contains(&status) {
            State::Status
        } else if json {
            State::Whole
        } else {
            State::Events
        };
        ChatStream {
            response,
            parser: Parser::with_max_event_bytes(max_event_bytes),
            assembler,
            secret: None,
            trace: None,
            state,
        }
    }

    /// The response the stream reads (status, headers, timings).
    pub fn response(&self) -> &Response {
        &self.response
    }

    /// The next delta, an error, or `None` once the stream has ended.
    ///
    /// Each delta is also taken into the reply being assembled, so that
    /// [`partial`](ChatStream::partial) and
    /// [`into_reply`](ChatStream::into_reply) hold everything returned so
    /// far. An error ends the stream: later calls return `None`.
    pub async fn next(&mut self) -> Option<Result<Delta, StreamError>> {
        loop {
            let step = match self.state {
                State::Done => return None,
                State::Status => Step::Fail(StreamErrorKind::Api(self.read_error_status().await)),
                State::Whole => self.read_whole().await,
                State::Events => match self.parser.next_event() {
                    Err(e) => Step::Fail(StreamErrorKind::Event(e)),
                    Ok(Some(event)) => interpret(event.event, event.data),
                    Ok(None) => match self.response.chunk().await {
                        Ok(Some(bytes)) => {
                            self.parser.push(&bytes);
                            continue;
                        }
                        Ok(None) if self.parser.finish().is_clean() => Step::Done,
                        Ok(None) => Step::Fail(StreamErrorKind::Truncated),
                        Err(e) => Step::Fail(StreamErrorKind::Read(e)),
                    },
                },
            };
            match step {
                Step::Skip => {}
                Step::Done => {
                    if self.state == State::Events {
                        self.drain().await;
                    }
                    self.state = State::Done;
                    if let Some(span) = self.trace.take() {
                        span.reply(&self.assembler.reply());
                    }
                    return None;
                }
                Step::Fail(kind) => {
                    let e = self.fail(kind);
                    if let Some(span) = self.trace.take() {
                        span.stream_failed(&e);
                    }
                    return Some(Err(e));
                }
                Step::Delta(delta) => {
                    if let Err(o) = self.assembler.push(&delta) {
                        let e = self.fail(StreamErrorKind::Overflow(o));
                        if let Some(span) = self.trace.take() {
                            span.stream_failed(&e);
                        }
                        return Some(Err(e));
                    }
                    if let Some(span) = &mut self.trace {
                        let content = delta.content.as_deref().is_some_and(|c| !c.is_empty())
                            || delta.reasoning.as_deref().is_some_and(|c| !c.is_empty())
                            || !delta.tool_calls.is_empty();
                        span.delta(content);
                    }
                    if self.state == State::Whole {
                        self.state = State::Done;
                        if let Some(span) = self.trace.take() {
                            span.reply(&self.assembler.reply());
                        }
                    }
                    return Some(Ok(delta));
                }
            }
        }
    }

    /// Reads the rest of the stream and returns the whole reply. On an
    /// error, the error carries the reply received until then
    /// ([`StreamError::partial`]).
    pub async fn collect_reply(mut self) -> Result<Reply, StreamError> {
        while let Some(delta) = self.next().await {
            delta?;
        }
        Ok(self.into_reply())
    }

    /// The reply assembled from the deltas returned so far (a copy).
    pub fn partial(&self) -> Reply {
        self.assembler.reply()
    }

    /// The reply assembled from the deltas returned so far; after the
    /// stream has ended, the whole reply.
    pub fn into_reply(self) -> Reply {
        self.assembler.finish()
    }

    /// Ends the stream with an error that keeps the reply so far.
    fn fail(&mut self, mut kind: StreamErrorKind) -> StreamError {
        self.state = State::Done;
        if let (StreamErrorKind::Api(e), Some(secret)) = (&mut kind, &self.secret) {
            if !secret.is_empty() && e.message.contains(&**secret) {
                e.message = e.message.replace(&**secret, "[redacted]");
            }
        }
        StreamError {
            kind,
            partial: Box::new(self.assembler.reply()),
        }
    }

    /// An error status's body (at most 64 KiB of it, read for at most
    /// 2 s), read as a provider's error JSON, or kept as text if it is
    /// not one.
    async fn read_error_status(&mut self) -> ErrorEvent {
        let body = error_body(&mut self.response).await;
        let mut error = parse_error_body(&body).unwrap_or_else(|| ErrorEvent {
            message: String::from_utf8_lossy(&body).trim().to_owned(),
            ..ErrorEvent::default()
        });
        error.status = Some(self.response.status().as_u16());
        error
    }

    /// A whole JSON completion where a stream was asked for: one delta.
    async fn read_whole(&mut self) -> Step {
        let max = self.parser.max_event_bytes();
        let mut body = Vec::new();
        loop {
            match self.response.chunk().await {
                Ok(Some(bytes)) if body.len().saturating_add(bytes.len()) > max => {
                    return Step::Fail(StreamErrorKind::Event(ParseError::EventTooLarge));
                }
                Ok(Some(bytes)) => body.extend_from_slice(&bytes),
                Ok(None) => break,
                Err(e) => return Step::Fail(StreamErrorKind::Read(e)),
            }
        }
        interpret("message", &String::from_utf8_lossy(&body))
    }

    /// Reads what follows `[DONE]`, briefly, so that a body whose last
    /// chunk is a moment behind still ends and gives its connection back
    /// to the pool.
    async fn drain(&mut self) {
        let response = &mut self.response;
        let _ = tokio::time::timeout(DRAIN_WAIT, async {
            let mut read = 0;
            while read <= DRAIN_BYTES {
                match response.chunk().await {
                    Ok(Some(bytes)) => read += bytes.len(),
                    Ok(None) | Err(_) => return,
                }
            }
        })
        .await;
    }
}

/// What one event's type and data mean to a chat stream.
fn interpret(event: &str, data: &str) -> Step {
    let data = data.trim_matches(|c: char| c.is_ascii_whitespace());
    if data == "[DONE]" {
        return Step::Done;
    }
    if event == "error" {
        // Some servers mark an error with the event type: its data is an
        // error body, or the message itself.
        let error = parse_error_body(data.as_bytes()).unwrap_or_else(|| ErrorEvent {
            message: data.to_owned(),
            ..ErrorEvent::default()
        });
        return Step::Fail(StreamErrorKind::Api(error));
    }
    if data.is_empty() {
        return Step::Skip;
    }
    match Delta::parse(data) {
        Ok(delta) if delta.is_empty() => Step::Skip,
        Ok(delta) => Step::Delta(delta),
        Err(ChunkError::Api(e)) => Step::Fail(StreamErrorKind::Api(e)),
        Err(ChunkError::Decode(e)) => Step::Fail(StreamErrorKind::Decode(e)),
    }
}

fn starts_with_ignore_case(value: &[u8], prefix: &[u8]) -> bool {
    value.len() >= prefix.len() && value[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// Why a [`ChatStream`] ended early, with the reply received until then.
#[derive(Debug)]
pub struct StreamError {
    kind: StreamErrorKind,
    partial: Box<Reply>,
}

/// What ended a stream early.
#[derive(Debug)]
#[non_exhaustive]
pub enum StreamErrorKind {
    /// The server reported an error: an error event inside the stream,
    /// or an error status (4xx, 5xx) instead of a stream (then
    /// [`ErrorEvent::status`] is set).
    Api(ErrorEvent),
    /// Reading the body failed: a timeout (the read timeout between
    /// events, or the total), a reset, a chunked body cut short. See
    /// [`crate::Error`].
    Read(crate::Error),
    /// An event's data is not a chat chunk: not JSON, or a field of the
    /// wrong type (the error names it).
    Decode(crate::Error),
    /// An event passed the event-stream parser's bound.
    Event(ParseError),
    /// The body ended inside an event: the server closed in the middle of
    /// a chunk, which was dropped.
    Truncated,
    /// The assembled reply would pass a bound.
    Overflow(Overflow),
}

impl StreamError {
    /// What ended the stream.
    pub fn kind(&self) -> &StreamErrorKind {
        &self.kind
    }

    /// What ended the stream, by value (to wrap in an error of your own).
    pub fn into_kind(self) -> StreamErrorKind {
        self.kind
    }

    /// The reply as assembled before the error: the text, reasoning and
    /// tool calls received so far.
    pub fn partial(&self) -> &Reply {
        &self.partial
    }

    /// The reply as assembled before the error, by value.
    pub fn into_partial(self) -> Reply {
        *self.partial
    }

    /// The server's error, for [`StreamErrorKind::Api`].
    pub fn api(&self) -> Option<&ErrorEvent> {
        match &self.kind {
            StreamErrorKind::Api(e) => Some(e),
            _ => None,
        }
    }

    /// `true` if a timeout ended the stream.
    pub fn is_timeout(&self) -> bool {
        matches!(&self.kind, StreamErrorKind::Read(e) if e.is_timeout())
    }
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            StreamErrorKind::Api(e) => e.fmt(f),
            StreamErrorKind::Read(_) => f.write_str("reading the chat stream failed"),
            StreamErrorKind::Decode(_) => f.write_str("invalid chat chunk in the stream"),
            StreamErrorKind::Event(e) => e.fmt(f),
            StreamErrorKind::Truncated => f.write_str("chat stream cut inside an event"),
            StreamErrorKind::Overflow(o) => o.fmt(f),
        }
    }
}

impl std::error::Error for StreamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            StreamErrorKind::Read(e) | StreamErrorKind::Decode(e) => Some(e),
            _ => None,
        }
    }
}
