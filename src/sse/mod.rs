//! A sans-IO parser for server-sent events (`text/event-stream`): bytes in,
//! events out, no sockets.
//!
//! Streaming LLM APIs (OpenAI and every API shaped like it) answer with an
//! event stream: a body of `field: value` lines, grouped into events by
//! blank lines. This module turns such bytes, in whatever pieces the network
//! delivers them, into [`Event`]s, following the parsing rules of the WHATWG
//! HTML standard, §9.2.6 "Interpreting an event stream". Like [`h1`], it
//! never awaits and never touches a socket: the caller reads body bytes
//! however it likes, [`Parser::push`]es them, and drains
//! [`Parser::next_event`].
//!
//! ```
//! use brisk::sse::Parser;
//!
//! let mut parser = Parser::new();
//! let mut texts = Vec::new();
//! // Two reads that split an event, and a line end, anywhere.
//! for piece in [&b"data: Hel"[..], b"lo\r", b"\n\r\ndata: [DONE]\n\n"] {
//!     parser.push(piece);
//!     while let Some(event) = parser.next_event()? {
//!         // `event` borrows the parser's buffers: copy what you keep.
//!         texts.push(event.data.to_owned());
//!     }
//! }
//! assert_eq!(texts, ["Hello", "[DONE]"]);
//! assert!(parser.finish().is_clean());
//! # Ok::<(), brisk::sse::ParseError>(())
//! ```
//!
//! # The rules, as implemented
//!
//! - A line ends in CRLF, LF or CR. A CR that ends one read and an LF that
//!   starts the next are one line end, not two.
//! - One UTF-8 byte order mark at the very start of the stream is dropped
//!   (also when it arrives split across reads); any other is kept as text.
//! - `name: value` is a field; one space after the colon is dropped. A line
//!   without a colon is a field with an empty value (`data` alone appends an
//!   empty line). A line that starts with `:` is a comment (servers send
//!   `: keep-alive` to keep idle connections open): comments are skipped and
//!   not reported. Fields other than the four below are ignored.
//! - `data` appends its value and a `\n` to the event's data; `event` sets
//!   the event type (`"message"` when unset or empty); `id` sets the last
//!   event ID unless the value holds a NUL; `retry` sets
//!   [`Parser::reconnection_time`] when the value is ASCII digits only (an
//!   empty value, or one that does not fit in a `u64` of milliseconds, is
//!   ignored).
//! - A blank line ends the event. The last event ID is updated even when
//!   the event is not reported; the event is reported only if its data is
//!   non-empty, without the data's final `\n`.
//! - Bytes that are not valid UTF-8 are decoded lossily: each invalid
//!   sequence becomes U+FFFD, as the standard's decoder does. A stream is
//!   never refused for its encoding.
//! - An event still open when the stream ends is dropped, never reported:
//!   a stream cut mid-event must not pass off half an event as whole.
//!   [`Parser::finish`] says whether that happened.
//!
//! # Cost and bounds
//!
//! The parser is linear in its input: each pushed byte is searched for a
//! line end once, and where a line's end has not arrived yet, the search
//! resumes after the last byte seen (an 8 MiB line fed in 1,024 pieces is
//! scanned once, not 1,024 times). Reported events borrow the parser's own
//! buffers, which are reused, so a stream of small events (one per token of
//! a chat reply) allocates nothing per event once the buffers have grown.
//!
//! The server controls how long an event is, so its size is bounded:
//! the data collected so far plus the line being read may not pass
//! [`Parser::max_event_bytes`] ([`DEFAULT_MAX_EVENT_BYTES`], 16 MiB, unless
//! set with [`Parser::with_max_event_bytes`]). Past it, the parser fails
//! with [`ParseError::EventTooLarge`] instead of growing.
//!
//! [`h1`]: crate::h1

use std::fmt;
use std::time::Duration;

#[cfg(test)]
mod tests;

/// The default bound on one event: 16 MiB of data plus the line being read.
///
/// Generous on purpose: a chat token delta is a few hundred bytes, but a
/// tool call's arguments or an image in base64 can arrive as one event of
/// megabytes, and the bound exists to stop a hostile or broken server, not
/// to police large honest ones.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

/// The UTF-8 encoding of U+FEFF, the byte order mark.
const BOM: &[u8; 3] = b"\xEF\xBB\xBF";

/// One event, as dispatched at the blank line that ended it.
///
/// It borrows the parser's buffers, so it lives until the next call on the
/// parser; copy out (`to_owned`) what must outlive that.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Event<'a> {
    /// The event type: the value of the event's last `event` field, or
    /// `"message"` if it had none (or an empty one).
    pub event: &'a str,
    /// The values of the event's `data` lines joined with `\n`. An event
    /// has at least one `data` line (one without is not reported), but
    /// its data can be empty: `data:` alone gives `""`.
    pub data: &'a str,
    /// The last event ID at this event: the value of the most recent `id`
    /// field so far, in this event or an earlier one (the ID carries over
    /// to later events, as the standard says); empty if none was set. It
    /// is the standard's `lastEventId`, not an ID of this event alone.
    pub last_event_id: &'a str,
}

/// The event stream broke a bound: the parser stops, and the connection
/// should be closed.
///
/// The `Display` text is fixed and lowercase; [`ParseError::name`] is a
/// short stable identifier for logs and tools.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseError {
    /// The data of one event plus the line being read grew past
    /// [`Parser::max_event_bytes`].
    EventTooLarge,
}

impl ParseError {
    /// A short, stable, snake_case identifier, e.g. `"event_too_large"`.
    pub fn name(self) -> &'static str {
        match self {
            ParseError::EventTooLarge => "event_too_large",
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParseError::EventTooLarge => "server-sent event too large",
        })
    }
}

impl std::error::Error for ParseError {}

/// How a stream ended, as [`Parser::finish`] found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StreamEnd {
    /// The stream ended between events: after a blank line, or after
    /// comments only.
    Clean,
    /// The stream ended inside an event (a field line without the blank
    /// line that ends its event, or a line without its line end): that
    /// event was dropped. A body cut short looks like this.
    Truncated,
}

impl StreamEnd {
    /// `true` for [`StreamEnd::Clean`].
    pub fn is_clean(self) -> bool {
        self == StreamEnd::Clean
    }
}

/// Where the line scanner stands. One state at a time, and the transitions
/// between them all happen in [`Parser::next_event`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Nothing of the stream consumed yet: it may open with a BOM.
    Start,
    /// At the start of a line or inside one.
    Lines,
    /// The last line ended in CR: if the next byte is LF, the two are one
    /// line end (CRLF), and the LF is skipped.
    AfterCr,
    /// A bound was broken; nothing more is parsed until [`Parser::finish`].
    Failed(ParseError),
}

/// The standard's per-event buffers, and what outlives events.
#[derive(Debug, Default)]
struct Fields {
    /// The data buffer: each `data` value followed by `\n`.
    data: String,
    /// The event type buffer (empty means `"message"`).
    event_type: String,
    /// The last event ID buffer: set by `id` fields, read at dispatch.
    id_buffer: String,
    /// The last event ID string: the buffer's value at the last dispatch.
    last_event_id: String,
    /// The last valid `retry` value.
    reconnection_time: Option<Duration>,
    /// A field line has been seen since the last blank line.
    open: bool,
}

/// The incremental event-stream parser: push bytes as they arrive, take
/// events as they complete.
///
/// The typical loop reads a body chunk, [`push`](Parser::push)es it, then
/// calls [`next_event`](Parser::next_event) until it returns `Ok(None)`
/// (drain after every push: pushed bytes are held until they are parsed).
/// At the end of the body, [`finish`](Parser::finish) says whether the
/// stream ended cleanly, and readies the parser for a reconnection.
///
/// ```
/// let mut parser = brisk::sse::Parser::new();
/// let mut count = 0;
/// parser.feed(b"id: 7\nevent: ping\ndata\n\n: keep-alive\n", |event| {
///     assert_eq!((event.event, event.data, event.last_event_id), ("ping", "", "7"));
///     count += 1;
/// })?;
/// assert_eq!(count, 1);
/// assert_eq!(parser.last_event_id(), "7");
/// # Ok::<(), brisk::sse::ParseError>(())
/// ```
pub struct Parser {
    /// Pushed bytes; those before `pos` are parsed.
    pending: Vec<u8>,
    pos: usize,
    /// The first part of a line whose end has not arrived yet. Bytes move
    /// here once, when a scan of `pending` finds no line end, so the scan
    /// never has to look at them again.
    line: Vec<u8>,
    state: State,
    fields: Fields,
    /// The last call returned an event that borrowed `fields`: its buffers
    /// are cleared at the next call, not before, so the borrow could live.
    dispatched: bool,
    max_event_bytes: usize,
    /// Bytes examined by the line-end search, for the linearity test.
    scanned: u64,
}

impl Parser {
    /// A parser with the default bound ([`DEFAULT_MAX_EVENT_BYTES`]).
    pub fn new() -> Self {
        Parser::with_max_event_bytes(DEFAULT_MAX_EVENT_BYTES)
    }

    /// A parser that fails with [`ParseError::EventTooLarge`] once an
    /// event's data plus the line being read pass `max` bytes.
    pub fn with_max_event_bytes(max: usize) -> Self {
        Parser {
            pending: Vec::new(),
            pos: 0,
            line: Vec::new(),
            state: State::Start,
            fields: Fields::default(),
            dispatched: false,
            max_event_bytes: max,
            scanned: 0,
        }
    }

    /// The bound on one event's size, in bytes.
    pub fn max_event_bytes(&self) -> usize {
        self.max_event_bytes
    }

    /// The last event ID: the value of the most recent `id` field whose
    /// event was ended by a blank line (empty if none). It is what a client
    /// sends as `Last-Event-ID` when it reconnects, and it is kept across
    /// [`finish`](Parser::finish).
    pub fn last_event_id(&self) -> &str {
        &self.fields.last_event_id
    }

    /// The reconnection time the server asked for with its most recent
    /// valid `retry` field, if any. Unlike the other fields it takes effect
    /// at once, not when its event ends, and it is kept across
    /// [`finish`](Parser::finish).
    pub fn reconnection_time(&self) -> Option<Duration> {
        self.fields.reconnection_time
    }

    /// Hands the parser the next bytes of the stream, in any pieces: a
    /// piece may end anywhere, even inside a CRLF or a UTF-8 sequence.
    /// Nothing is parsed until [`next_event`](Parser::next_event).
    ///
    /// After a [`ParseError`], pushed bytes are dropped.
    pub fn push(&mut self, bytes: &[u8]) {
        if matches!(self.state, State::Failed(_)) {
            return;
        }
        // Drop what was parsed. Normally everything was (the caller drained
        // after the last push); if not, move the rest down only when that
        // frees at least as much as it copies, so the cost stays linear.
        if self.pos == self.pending.len() {
            self.pending.clear();
            self.pos = 0;
        } else if self.pos >= self.pending.len() - self.pos {
            self.pending.drain(..self.pos);
            self.pos = 0;
        }
        self.pending.extend_from_slice(bytes);
    }

    /// The next complete event in the bytes pushed so far, or `Ok(None)` if
    /// more bytes are needed. The event borrows the parser until the next
    /// call.
    ///
    /// An event larger than [`max_event_bytes`](Parser::max_event_bytes)
    /// is an error, and so is every call after it until
    /// [`finish`](Parser::finish).
    pub fn next_event(&mut self) -> Result<Option<Event<'_>>, ParseError> {
        if self.dispatched {
            // The standard clears these at dispatch; we clear them once the
            // event that borrowed them is gone.
            self.fields.data.clear();
            self.fields.event_type.clear();
            self.dispatched = false;
        }
        loop {
            let rest = &self.pending[self.pos..];
            match self.state {
                State::Failed(e) => return Err(e),
                // The standard decodes the stream as UTF-8, and its decoder
                // drops one leading BOM. Wait until three bytes tell whether
                // they are one.
                State::Start => {
                    let n = rest.len().min(BOM.len());
                    if rest[..n] != BOM[..n] {
                        self.state = State::Lines;
                    } else if n == BOM.len() {
                        self.pos += n;
                        self.state = State::Lines;
                    } else {
                        return Ok(None);
                    }
                }
                State::AfterCr => match rest.first() {
                    None => return Ok(None),
                    Some(&b) => {
                        if b == b'\n' {
                            self.pos += 1;
                        }
                        self.state = State::Lines;
                    }
                },
                State::Lines => {
                    let found = find_line_end(rest);
                    self.scanned += found.map_or(rest.len(), |i| i + 1) as u64;
                    let Some(i) = found else {
                        // No line end yet: keep the start of the line aside
                        // and wait; the next scan starts at the next push.
                        let tail = rest.len();
                        self.check_size(tail)?;
                        self.line.extend_from_slice(&self.pending[self.pos..]);
                        self.pending.clear();
                        self.pos = 0;
                        return Ok(None);
                    };
                    let (start, end) = (self.pos, self.pos + i);
                    self.check_size(i)?;
                    self.state = if self.pending[end] == b'\r' {
                        State::AfterCr
                    } else {
                        State::Lines
                    };
                    self.pos = end + 1;
                    let blank = if self.line.is_empty() {
                        self.fields.take_line(&self.pending[start..end])
                    } else {
                        self.line.extend_from_slice(&self.pending[start..end]);
                        let blank = self.fields.take_line(&self.line);
                        self.line.clear();
                        blank
                    };
                    if blank && self.fields.dispatch() {
                        self.dispatched = true;
                        return Ok(Some(self.fields.event()));
                    }
                }
            }
        }
    }

    /// Pushes `bytes` and calls `on_event` for each event they complete: a
    /// shorthand for [`push`](Parser::push) and a
    /// [`next_event`](Parser::next_event) loop, for callers that need not
    /// await between events.
    pub fn feed(
        &mut self,
        bytes: &[u8],
        mut on_event: impl FnMut(Event<'_>),
    ) -> Result<(), ParseError> {
        self.push(bytes);
        while let Some(event) = self.next_event()? {
            on_event(event);
        }
        Ok(())
    }

    /// Ends the stream: what has not been dispatched is dropped (WHATWG:
    /// "once the end of the file is reached, any pending data must be
    /// discarded"), and the answer says whether an event was cut short.
    ///
    /// Call it after [`next_event`](Parser::next_event) has returned
    /// `Ok(None)`; bytes pushed and not yet parsed count as cut short.
    /// Afterwards the parser is ready for a new stream (a reconnection):
    /// the last event ID and the reconnection time are kept, a leading BOM
    /// is looked for again, and a [`ParseError`] is forgotten.
    pub fn finish(&mut self) -> StreamEnd {
        let cut = self.pos < self.pending.len() || !self.line.is_empty() || self.fields.open;
        self.pending.clear();
        self.pos = 0;
        self.line.clear();
        self.state = State::Start;
        self.dispatched = false;
        let fields = &mut self.fields;
        fields.data.clear();
        fields.event_type.clear();
        fields.open = false;
        // An `id` whose event never ended does not count: start the new
        // stream from the ID that was last dispatched.
        fields.id_buffer.clone_from(&fields.last_event_id);
        if cut {
            StreamEnd::Truncated
        } else {
            StreamEnd::Clean
        }
    }

    /// Fails if the event's data plus a line of `line_more` more bytes (on
    /// top of those kept aside) would pass the bound. The check comes
    /// before the bytes are copied, so memory never grows past it.
    fn check_size(&mut self, line_more: usize) -> Result<(), ParseError> {
        let size = self
            .fields
            .data
            .len()
            .saturating_add(self.line.len())
            .saturating_add(line_more);
        if size > self.max_event_bytes {
            let e = ParseError::EventTooLarge;
            self.state = State::Failed(e);
            return Err(e);
        }
        Ok(())
    }
}

impl Default for Parser {
    fn default() -> Self {
        Parser::new()
    }
}

impl fmt::Debug for Parser {
    /// Sizes and state only: the buffers can be megabytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parser")
            .field("state", &self.state)
            .field(
                "unparsed_bytes",
                &(self.pending.len() - self.pos + self.line.len()),
            )
            .field("data_bytes", &self.fields.data.len())
            .field("last_event_id", &self.fields.last_event_id)
            .field("reconnection_time", &self.fields.reconnection_time)
            .field("max_event_bytes", &self.max_event_bytes)
            .finish()
    }
}

impl Fields {
    /// Interprets one line (without its line end), as WHATWG §9.2.6 says.
    /// Returns `true` for a blank line: the caller dispatches.
    fn take_line(&mut self, line: &[u8]) -> bool {
        if line.is_empty() {
            return true;
        }
        // "If the line starts with a U+003A COLON character: ignore the line."
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(0) => return false,
            // "Collect the characters on the line before the first colon,
            // and let field be that string. Collect the characters on the
            // line after the first colon, and let value be that string. If
            // value starts with a U+0020 SPACE character, remove it."
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            // "Otherwise, the string is not empty but does not contain a
            // colon: process the field using the whole line as the field
            // name, and the empty string as the field value."
            None => (line, &b""[..]),
        };
        self.open = true;
        // Field names are compared as bytes: a name with invalid UTF-8 in
        // it cannot be one of these four, so decoding it first would change
        // nothing. Values are decoded lossily; `Cow::Borrowed` when valid,
        // so valid text is not copied twice.
        match name {
            b"data" => {
                self.data.push_str(&String::from_utf8_lossy(value));
                self.data.push('\n');
            }
            b"event" => {
                self.event_type.clear();
                self.event_type.push_str(&String::from_utf8_lossy(value));
            }
            b"id" if !value.contains(&0) => {
                self.id_buffer.clear();
                self.id_buffer.push_str(&String::from_utf8_lossy(value));
            }
            b"retry" => {
                if let Some(ms) = parse_millis(value) {
                    self.reconnection_time = Some(Duration::from_millis(ms));
                }
            }
            _ => {}
        }
        false
    }

    /// The standard's "dispatch the event" at a blank line: the last event
    /// ID takes the buffer's value whatever happens; `true` if there is an
    /// event to report (its data buffer is not empty). Otherwise the event
    /// type is reset here, since no event will borrow it.
    fn dispatch(&mut self) -> bool {
        self.open = false;
        self.last_event_id.clone_from(&self.id_buffer);
        if self.data.is_empty() {
            self.event_type.clear();
            return false;
        }
        true
    }

    /// The event being dispatched, borrowing the buffers.
    fn event(&self) -> Event<'_> {
        Event {
            event: if self.event_type.is_empty() {
                "message"
            } else {
                &self.event_type
            },
            // "If the data buffer's last character is a U+000A LINE FEED
            // (LF) character, then remove the last character": it always
            // is, since every `data` field appends one.
            data: self.data.strip_suffix('\n').unwrap_or(&self.data),
            last_event_id: &self.last_event_id,
        }
    }
}

/// A `retry` value: ASCII digits only, base ten, in a `u64` of
/// milliseconds. Empty, any other byte, or overflow: `None` (ignored).
fn parse_millis(value: &[u8]) -> Option<u64> {
    if value.is_empty() {
        return None;
    }
    value.iter().try_fold(0u64, |n, &b| {
        if !b.is_ascii_digit() {
            return None;
        }
        n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })
}

/// The offset of the first CR or LF in `buf`.
///
/// Data lines can be megabytes, so this looks at eight bytes at a time
/// (SWAR): a byte equal to `c` becomes zero in `x ^ c..c`, and a zero byte
/// is flagged by the classic `(y - 0x01..01) & !y & 0x80..80`. Flags can be
/// wrong only above a true zero byte (a borrow travels upwards), and the
/// lowest flag, which is the first byte in memory since the word is read
/// little-endian, is always right.
fn find_line_end(buf: &[u8]) -> Option<usize> {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const LF: u64 = LOW * b'\n' as u64;
    const CR: u64 = LOW * b'\r' as u64;
    let mut words = buf.chunks_exact(8);
    for (n, chunk) in words.by_ref().enumerate() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let (lf, cr) = (x ^ LF, x ^ CR);
        let hit = ((lf.wrapping_sub(LOW) & !lf) | (cr.wrapping_sub(LOW) & !cr)) & HIGH;
        if hit != 0 {
            return Some(n * 8 + (hit.trailing_zeros() / 8) as usize);
        }
    }
    let done = buf.len() - words.remainder().len();
    words
        .remainder()
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .map(|i| done + i)
}
