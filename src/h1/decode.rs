//! The incremental response decoder: one state machine from the first byte
//! of a response to the end of its body.

use super::body::{chunk_size_line, Chunked};
use super::parse::{field_line, HeadScanner, Line};
use super::{
    framing, Framing, HeaderSpan, Limits, ParseError, RequestKind, ResponseFraming, ResponseHead,
};

/// What the decoder found in the bytes it was given.
#[derive(Debug, PartialEq, Eq)]
pub enum Event<'b> {
    /// A complete response head. Informational (1xx) heads come first, each
    /// as its own event, followed by the final response's head.
    Head(ResponseHead),
    /// Body bytes, borrowed from the input (transfer coding removed).
    Body(&'b [u8]),
    /// The message is complete. `reusable` says whether the connection may
    /// carry another request: only when the response was framed by length
    /// or chunks, both sides kept the connection open, and nothing about
    /// the framing was suspect.
    End {
        /// Whether the connection may be reused.
        reusable: bool,
    },
    /// HTTP has ended on this connection (101 Switching Protocols, or a 2xx
    /// answer to CONNECT). Every byte after the consumed ones belongs to the
    /// next protocol; the decoder will not read them.
    Upgrade,
}

/// One step of decoding: `consumed` bytes of the input are used up (the
/// caller drops them before the next call) and `event`, when present, is
/// what they held. `event: None` means "need more bytes": the caller keeps
/// the unconsumed bytes, appends what arrives next and calls again.
#[derive(Debug, PartialEq, Eq)]
pub struct Decoded<'b> {
    /// How many input bytes this step used.
    pub consumed: usize,
    /// What they held; `None` when more input is needed.
    pub event: Option<Event<'b>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for a status line, none of whose bytes has arrived yet;
    /// `empty_lines` empty lines before it have been skipped.
    Idle {
        empty_lines: usize,
    },
    /// Reading a head: some of its bytes have arrived.
    Head,
    /// Reading a body of this framing.
    Length(u64),
    Chunked(Chunked),
    UntilClose,
    /// The head said the protocol switches; `Upgrade` not yet reported.
    Switching,
    /// HTTP is over on this connection.
    Switched,
    /// A message after which the connection cannot be reused has ended;
    /// `empty_lines` empty lines have followed it.
    Closed {
        empty_lines: usize,
    },
}

/// Decodes a stream of HTTP/1.1 responses, incrementally.
///
/// Feed it the bytes received so far; it reports each thing it finds as an
/// [`Event`] and how many bytes that used. Body bytes are handed out as
/// slices of the input, never copied.
///
/// ```
/// use brisk::h1::{Event, ResponseDecoder};
///
/// let mut dec = ResponseDecoder::new(Default::default());
/// dec.expect_response_to(b"GET");
/// let mut buf: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n";
/// let mut body = Vec::new();
/// loop {
///     let step = dec.decode(buf)?;
///     buf = &buf[step.consumed..];
///     match step.event {
///         Some(Event::Head(head)) => assert_eq!(head.status, 200),
///         Some(Event::Body(bytes)) => body.extend_from_slice(bytes),
///         Some(Event::End { reusable }) => { assert!(reusable); break }
///         Some(Event::Upgrade) => unreachable!(),
///         None => unreachable!("all bytes were given"),
///     }
/// }
/// assert_eq!(body, b"hi");
/// # Ok::<(), brisk::h1::ParseError>(())
/// ```
#[derive(Debug)]
pub struct ResponseDecoder {
    limits: Limits,
    state: State,
    scanner: HeadScanner,
    spans: Vec<HeaderSpan>,
    /// Method of the request the next final response answers.
    method: RequestKind,
    informational: usize,
    reusable: bool,
    /// How the last final response's body is framed.
    framing: Option<Framing>,
    /// The most body bytes one event may carry (see
    /// [`ResponseDecoder::decode_at_most`]); unbounded otherwise.
    cap: u64,
}

impl ResponseDecoder {
    /// A decoder expecting a response to a `GET`-like request.
    pub fn new(limits: Limits) -> Self {
        ResponseDecoder {
            limits,
            state: State::Idle { empty_lines: 0 },
            scanner: HeadScanner::default(),
            spans: Vec::new(),
            method: RequestKind::Other,
            informational: 0,
            reusable: false,
            framing: None,
            cap: u64::MAX,
        }
    }

    /// The limits this decoder enforces.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Tells the decoder which request method the next response answers:
    /// a response to `HEAD` has no body and a 2xx to `CONNECT` opens a
    /// tunnel, whatever their header fields say.
    pub fn expect_response_to(&mut self, method: &[u8]) {
        self.method = RequestKind::of(method);
    }

    /// How the body of the last final response head is framed (as
    /// [`framing`] decided it, for the method given to
    /// [`ResponseDecoder::expect_response_to`]).
    pub fn framing(&self) -> Option<Framing> {
        self.framing
    }

    /// Whether the decoder is between messages: no byte of a response has
    /// arrived since the last one ended (empty lines before a status line
    /// are not part of a response).
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Idle { .. } | State::Closed { .. })
    }

    /// How many raw body bytes the decoder expects next, when the body is
    /// in a stretch of plain data (the rest of a `Content-Length` body, or
    /// of the current chunk). A caller holding no buffered input may read
    /// up to this many bytes straight into their destination and report
    /// them with [`ResponseDecoder::skip_body`], saving a copy.
    pub fn body_bytes_pending(&self) -> Option<u64> {
        match self.state {
            State::Length(n) | State::Chunked(Chunked::Data(n)) if n > 0 => Some(n),
            _ => None,
        }
    }

    /// Records that the caller took `n` body bytes straight from the
    /// connection (at most [`ResponseDecoder::body_bytes_pending`]; more is
    /// clamped, never trusted).
    pub fn skip_body(&mut self, n: u64) {
        match &mut self.state {
            State::Length(left) => *left -= n.min(*left),
            State::Chunked(c) => {
                if let Chunked::Data(left) = *c {
                    let rest = left - n.min(left);
                    *c = if rest == 0 {
                        Chunked::DataCr
                    } else {
                        Chunked::Data(rest)
                    };
                }
            }
            _ => {}
        }
    }

    /// Decodes from `input`, the bytes received and not yet consumed.
    ///
    /// Call it again after every event (an event may be reported with zero
    /// bytes consumed, e.g. the end of a body-less response) until it
    /// returns `event: None`.
    pub fn decode<'b>(&mut self, input: &'b [u8]) -> Result<Decoded<'b>, ParseError> {
        match self.state {
            State::Idle { empty_lines } => self.decode_idle(input, empty_lines, false),
            State::Closed { empty_lines } => self.decode_idle(input, empty_lines, true),
            State::Head => self.decode_head(input),
            State::Length(0) => Ok(self.end(0)),
            State::Length(remaining) => Ok(match take(input, remaining.min(self.cap)) {
                None => need_more(0),
                Some(bytes) => {
                    self.state = State::Length(remaining - bytes.len() as u64);
                    body(bytes)
                }
            }),
            State::Chunked(state) => self.decode_chunked(input, state),
            State::UntilClose => Ok(match take(input, self.cap) {
                None => need_more(0),
                Some(bytes) => body(bytes),
            }),
            State::Switching => {
                self.state = State::Switched;
                Ok(Decoded {
                    consumed: 0,
                    event: Some(Event::Upgrade),
                })
            }
            State::Switched => Ok(need_more(0)),
        }
    }

    /// Like [`ResponseDecoder::decode`], but a body event carries at most
    /// `max` bytes (at least one): the rest stays unconsumed, for the next
    /// call. For a caller that copies the body into a buffer of its own
    /// size, so nothing decoded is left over.
    ///
    /// ```
    /// use brisk::h1::{Event, ResponseDecoder};
    ///
    /// let mut dec = ResponseDecoder::new(Default::default());
    /// let input: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    /// let head = dec.decode(input)?;
    /// let rest = &input[head.consumed..];
    /// let step = dec.decode_at_most(rest, 2)?;
    /// assert!(matches!(step.event, Some(Event::Body(b"he"))));
    /// assert_eq!(step.consumed, 2);
    /// # Ok::<(), brisk::h1::ParseError>(())
    /// ```
    pub fn decode_at_most<'b>(
        &mut self,
        input: &'b [u8],
        max: usize,
    ) -> Result<Decoded<'b>, ParseError> {
        self.cap = (max as u64).max(1);
        let step = self.decode(input);
        self.cap = u64::MAX;
        step
    }

    /// Tells the decoder the peer closed the connection after the bytes it
    /// was given. A body that runs until close ends here; anything else
    /// unfinished is [`ParseError::IncompleteMessage`], and a connection
    /// that closed before any byte of a response (skipped empty lines are
    /// none) is [`ParseError::EmptyResponse`], also when it closed, as it
    /// should, after a message that ended with `reusable: false`.
    pub fn finish(&mut self) -> Result<Event<'static>, ParseError> {
        match self.state {
            State::Idle { .. } | State::Closed { .. } => Err(ParseError::EmptyResponse),
            State::UntilClose | State::Length(0) => {
                self.state = State::Closed { empty_lines: 0 };
                Ok(Event::End { reusable: false })
            }
            State::Switching | State::Switched => {
                self.state = State::Switched;
                Ok(Event::Upgrade)
            }
            _ => Err(ParseError::IncompleteMessage),
        }
    }

    /// Between messages: before a status line, or after a message that
    /// closes the connection.
    ///
    /// RFC 9112 §2.2 asks servers to ignore at least one empty line before
    /// a request line, since some clients send a CRLF after a body; some
    /// servers do the same in reverse (aiohttp after `100 Continue`, older
    /// servers after a body). An empty line is framing-neutral: it ends no
    /// message and starts none, so skipping it cannot move a boundary. Only
    /// CRLF counts (a bare LF is exactly where parsers disagree about line
    /// endings), and only `Limits::max_empty_lines` of them, so that a peer
    /// cannot keep the decoder busy on nothing; one more is taken as the
    /// status line, and refused as one.
    ///
    /// After a message that ends with `reusable: false` (`Connection:
    /// close`, HTTP/1.0 without keep-alive, suspect framing), any other
    /// byte is an error rather than the start of a response: the server
    /// said the stream ends there, or its framing cannot be trusted, so
    /// whatever follows is either garbage or a smuggled response. (RFC 9112
    /// §9.6: a client that receives `close` closes the connection after
    /// reading that response.) llhttp in its strict mode agrees.
    fn decode_idle<'b>(
        &mut self,
        input: &'b [u8],
        mut empty_lines: usize,
        closed: bool,
    ) -> Result<Decoded<'b>, ParseError> {
        let max = self.limits.max_empty_lines;
        let mut at = 0;
        while empty_lines < max && input[at..].starts_with(b"\r\n") {
            at += 2;
            empty_lines += 1;
        }
        let rest = &input[at..];
        // A lone CR may be the first half of one more empty line.
        if rest.is_empty() || (rest == b"\r" && empty_lines < max) {
            self.state = match closed {
                false => State::Idle { empty_lines },
                true => State::Closed { empty_lines },
            };
            return Ok(need_more(at));
        }
        if closed {
            return Err(ParseError::BytesAfterClose);
        }
        self.state = State::Head;
        let mut step = self.decode_head(rest)?;
        step.consumed += at;
        Ok(step)
    }

    fn decode_head<'b>(&mut self, input: &'b [u8]) -> Result<Decoded<'b>, ParseError> {
        // A caller that gives fewer bytes than before broke the contract
        // (the unconsumed bytes must all be given again): start over on
        // what there is rather than index past it.
        if input.len() < self.scanner.resume_at() {
            self.scanner = HeadScanner::default();
            self.spans.clear();
        }
        // `spans` (where the fields lie) is cleared after each head but
        // keeps its capacity: one allocation per connection, room for a
        // typical head's fields, made when the first head arrives.
        if self.spans.capacity() == 0 {
            self.spans.reserve_exact(16);
        }
        let spans = &mut self.spans;
        let max = self.limits.max_headers;
        let found = self.scanner.advance(input, &self.limits, &mut |span| {
            if spans.len() >= max {
                return Err(ParseError::TooManyHeaders);
            }
            spans.push(span);
            Ok(())
        })?;
        let Some((len, line)) = found else {
            return Ok(need_more(0));
        };
        // The owned head: one allocation for its fields (see
        // `HeaderMap::from_head`).
        let head = ResponseHead::new(line, &input[..len], &self.spans);
        self.spans.clear();
        let consumed = |event| Decoded {
            consumed: len,
            event: Some(event),
        };
        self.state = State::Idle { empty_lines: 0 };
        // Informational responses precede the final one; 101 is the
        // exception, since it ends HTTP on this connection.
        if head.is_informational() && head.status != 101 {
            self.informational += 1;
            if self.informational > self.limits.max_informational {
                return Err(ParseError::TooManyInformational);
            }
            return Ok(consumed(Event::Head(head)));
        }
        let ResponseFraming { framing, reusable } =
            framing(self.method, head.status, head.version, &head.headers)?;
        self.reusable = reusable;
        self.framing = Some(framing);
        self.informational = 0;
        self.method = RequestKind::Other;
        self.state = match framing {
            Framing::NoBody => State::Length(0),
            Framing::Length(n) => State::Length(n),
            Framing::Chunked => State::Chunked(Chunked::Size),
            Framing::UntilClose => State::UntilClose,
            Framing::Switch => State::Switching,
        };
        Ok(consumed(Event::Head(head)))
    }

    /// The chunked state machine: every transition is in this one match.
    fn decode_chunked<'b>(
        &mut self,
        input: &'b [u8],
        mut state: Chunked,
    ) -> Result<Decoded<'b>, ParseError> {
        let mut at = 0;
        loop {
            self.state = State::Chunked(state);
            let rest = &input[at..];
            state = match state {
                Chunked::Size => match chunk_size_line(rest, &self.limits)? {
                    None => return Ok(need_more(at)),
                    Some((0, len)) => {
                        at += len;
                        Chunked::Trailers(0)
                    }
                    Some((size, len)) => {
                        at += len;
                        Chunked::Data(size)
                    }
                },
                Chunked::Data(remaining) => {
                    let Some(bytes) = take(rest, remaining.min(self.cap)) else {
                        return Ok(need_more(at));
                    };
                    let left = remaining - bytes.len() as u64;
                    self.state = State::Chunked(match left {
                        0 => Chunked::DataCr,
                        n => Chunked::Data(n),
                    });
                    return Ok(Decoded {
                        consumed: at + bytes.len(),
                        event: Some(Event::Body(bytes)),
                    });
                }
                Chunked::DataCr | Chunked::DataLf => {
                    let expected = if state == Chunked::DataCr {
                        b'\r'
                    } else {
                        b'\n'
                    };
                    match rest.first() {
                        None => return Ok(need_more(at)),
                        Some(&b) if b == expected => {}
                        Some(_) => return Err(ParseError::InvalidChunkEnd),
                    }
                    at += 1;
                    if state == Chunked::DataCr {
                        Chunked::DataLf
                    } else {
                        Chunked::Size
                    }
                }
                // Trailer fields are validated like header fields and then
                // dropped: nothing in them can change the framing.
                // Like the head's lines, the section is read only as far
                // as its limit (and the final CRLF) reaches, so that an
                // invalid byte past the limit cannot be reported, or not,
                // depending on whether it has arrived.
                Chunked::Trailers(read) => {
                    match field_line(&input[..input.len().min(at + self.trailer_room(read))], at)? {
                        Line::End(end) => return Ok(self.end(end)),
                        Line::Field(_, end) => {
                            let read = read + (end - at);
                            if read > self.limits.max_trailer_bytes {
                                return Err(ParseError::TrailersTooLarge);
                            }
                            at = end;
                            Chunked::Trailers(read)
                        }
                        Line::Partial => {
                            if rest.len() >= self.trailer_room(read) {
                                return Err(ParseError::TrailersTooLarge);
                            }
                            return Ok(need_more(at));
                        }
                    }
                }
            };
        }
    }

    /// How far the trailer section may still reach after `read` bytes of
    /// it: the rest of `Limits::max_trailer_bytes`, and the CRLF that ends
    /// the section, which is not counted.
    fn trailer_room(&self, read: usize) -> usize {
        self.limits
            .max_trailer_bytes
            .saturating_sub(read)
            .saturating_add(2)
    }

    fn end<'b>(&mut self, consumed: usize) -> Decoded<'b> {
        self.state = match self.reusable {
            true => State::Idle { empty_lines: 0 },
            false => State::Closed { empty_lines: 0 },
        };
        Decoded {
            consumed,
            event: Some(Event::End {
                reusable: self.reusable,
            }),
        }
    }
}

fn need_more<'b>(consumed: usize) -> Decoded<'b> {
    Decoded {
        consumed,
        event: None,
    }
}

fn body(bytes: &[u8]) -> Decoded<'_> {
    Decoded {
        consumed: bytes.len(),
        event: Some(Event::Body(bytes)),
    }
}

/// Up to `limit` leading bytes of `input`; `None` if it is empty.
fn take(input: &[u8], limit: u64) -> Option<&[u8]> {
    if input.is_empty() {
        return None;
    }
    let n = usize::try_from(limit).map_or(input.len(), |l| l.min(input.len()));
    Some(&input[..n])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, PartialEq, Eq)]
    enum Seen {
        Head(u16),
        Body(Vec<u8>),
        End(bool),
        Upgrade,
    }

    /// Decodes `input` fed in pieces ending at `cuts`, merging adjacent body
    /// slices, then `finish` when `eof`.
    fn feed(
        method: &str,
        input: &[u8],
        cuts: &[usize],
        eof: bool,
        limits: &Limits,
    ) -> Result<Vec<Seen>, ParseError> {
        let mut dec = ResponseDecoder::new(limits.clone());
        dec.expect_response_to(method.as_bytes());
        let mut seen = Vec::new();
        let push = |seen: &mut Vec<Seen>, e: Event<'_>| match e {
            Event::Head(h) => seen.push(Seen::Head(h.status)),
            Event::Body(b) => match seen.last_mut() {
                Some(Seen::Body(v)) => v.extend_from_slice(b),
                _ => seen.push(Seen::Body(b.to_vec())),
            },
            Event::End { reusable } => seen.push(Seen::End(reusable)),
            Event::Upgrade => seen.push(Seen::Upgrade),
        };
        let mut buf = Vec::new();
        let mut fed = 0;
        for end in cuts.iter().copied().chain([input.len()]) {
            buf.extend_from_slice(&input[fed..end]);
            fed = end;
            loop {
                let step = dec.decode(&buf)?;
                let consumed = step.consumed;
                let done = step.event.is_none();
                if let Some(e) = step.event {
                    push(&mut seen, e);
                }
                buf.drain(..consumed);
                if done || seen.last() == Some(&Seen::Upgrade) {
                    break;
                }
            }
        }
        if eof {
            match dec.finish() {
                Ok(e) => push(&mut seen, e),
                Err(ParseError::EmptyResponse) if !seen.is_empty() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(seen)
    }

    /// Whole, split at every offset, and byte by byte: one answer.
    fn all_ways(
        method: &str,
        input: &[u8],
        eof: bool,
        limits: &Limits,
    ) -> Result<Vec<Seen>, ParseError> {
        let whole = feed(method, input, &[], eof, limits);
        for cut in 0..=input.len() {
            assert_eq!(
                feed(method, input, &[cut], eof, limits),
                whole,
                "split at {cut}"
            );
        }
        let bytes: Vec<usize> = (1..input.len()).collect();
        assert_eq!(
            feed(method, input, &bytes, eof, limits),
            whole,
            "byte by byte"
        );
        whole
    }

    fn run(input: &str) -> Result<Vec<Seen>, ParseError> {
        all_ways("GET", input.as_bytes(), false, &Limits::default())
    }

    use Seen::*;

    #[test]
    fn length_chunked_and_pipelined() {
        assert_eq!(
            run("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 204 No Content\r\n\r\n"),
            Ok(vec![
                Head(200),
                Body(b"abc".to_vec()),
                End(true),
                Head(204),
                End(true)
            ])
        );
        assert_eq!(
            run("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n1\r\nd\r\n0\r\nX-Trailer: 1\r\nContent-Length: 99\r\n\r\n"),
            Ok(vec![Head(200), Body(b"abcd".to_vec()), End(true)])
        );
    }

    #[test]
    fn chunk_data_must_end_in_crlf() {
        for bad in ["3\r\nabcX\r\n", "3\r\nabc\rX", "3\r\nabc\n"] {
            let input = format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{bad}");
            assert_eq!(run(&input), Err(ParseError::InvalidChunkEnd), "{bad:?}");
        }
    }

    #[test]
    fn chunk_extensions_are_checked_however_they_arrive() {
        let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(
            run(&format!(
                "{chunked}2 ; a = \"x;\\\"y\" ;b\r\nhi\r\n0;c=d\r\n\r\n"
            )),
            Ok(vec![Head(200), Body(b"hi".to_vec()), End(true)])
        );
        for bad in ["2;\r\nhi", "2;a=\"x\r\nhi", "0;=x\r\n\r\n"] {
            assert_eq!(
                run(&format!("{chunked}{bad}")),
                Err(ParseError::InvalidChunkExtension),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn informational_responses_come_first_and_are_bounded() {
        assert_eq!(
            run("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
            Ok(vec![Head(100), Head(103), Head(200), End(true)])
        );
        let limits = Limits {
            max_informational: 2,
            ..Limits::default()
        };
        let three = "HTTP/1.1 100 Continue\r\n\r\n".repeat(3);
        assert_eq!(
            all_ways("GET", three.as_bytes(), false, &limits),
            Err(ParseError::TooManyInformational)
        );
    }

    #[test]
    fn empty_lines_before_a_status_line_are_skipped_within_a_bound() {
        // aiohttp sends an extra CRLF after `100 Continue`.
        assert_eq!(
            run("HTTP/1.1 100 Continue\r\n\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
            Ok(vec![Head(100), Head(200), End(true)])
        );
        // At the start of the stream, and between pipelined responses.
        let no_content = "HTTP/1.1 204 No Content\r\n\r\n";
        assert_eq!(
            run(&format!("\r\n{no_content}\r\n\r\n{no_content}")),
            Ok(vec![Head(204), End(true), Head(204), End(true)])
        );
        // The allowance is per status line, and one more is not a line of
        // the head at all.
        let max = Limits::default().max_empty_lines;
        let at_limit = format!("{}{no_content}", "\r\n".repeat(max));
        assert_eq!(run(&at_limit), Ok(vec![Head(204), End(true)]));
        let over = format!("{}{no_content}", "\r\n".repeat(max + 1));
        assert_eq!(run(&over), Err(ParseError::InvalidVersion));
        let strict = Limits {
            max_empty_lines: 0,
            ..Limits::default()
        };
        let one = format!("\r\n{no_content}");
        assert_eq!(
            all_ways("GET", one.as_bytes(), false, &strict),
            Err(ParseError::InvalidVersion)
        );
        // Only CRLF: a bare LF, or a CR before anything but LF, is refused.
        for bad in ["\n", "\r\n\n", "\rH", "\r\r\n"] {
            assert_eq!(
                run(&format!("{bad}{no_content}")),
                Err(ParseError::InvalidVersion),
                "{bad:?}"
            );
        }
        // Empty lines are not a response: closing after them is still an
        // empty response, and the decoder is still idle.
        assert_eq!(
            all_ways("GET", b"\r\n\r\n", true, &Limits::default()),
            Err(ParseError::EmptyResponse)
        );
        let mut dec = ResponseDecoder::new(Limits::default());
        let step = dec.decode(b"\r\n\r").unwrap();
        assert_eq!((step.consumed, step.event), (2, None));
        assert!(dec.is_idle());
    }

    #[test]
    fn head_and_switching() {
        let input = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
        assert_eq!(
            all_ways("HEAD", input, false, &Limits::default()),
            Ok(vec![Head(200), End(true)])
        );
        assert_eq!(
            all_ways(
                "CONNECT",
                b"HTTP/1.1 200 OK\r\n\r\ntunnel",
                false,
                &Limits::default()
            ),
            Ok(vec![Head(200), Upgrade])
        );
        assert_eq!(
            run("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\nxyz"),
            Ok(vec![Head(101), Upgrade])
        );
    }

    #[test]
    fn eof_semantics() {
        let l = Limits::default();
        assert_eq!(
            all_ways("GET", b"HTTP/1.1 200 OK\r\n\r\nuntil close", true, &l),
            Ok(vec![Head(200), Body(b"until close".to_vec()), End(false)])
        );
        assert_eq!(
            all_ways(
                "GET",
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab",
                true,
                &l
            ),
            Err(ParseError::IncompleteMessage)
        );
        assert_eq!(
            all_ways(
                "GET",
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                true,
                &l
            ),
            Err(ParseError::IncompleteMessage)
        );
        assert_eq!(
            all_ways("GET", b"HTTP/1.1 2", true, &l),
            Err(ParseError::IncompleteMessage)
        );
        assert_eq!(
            feed("GET", b"", &[], true, &l),
            Err(ParseError::EmptyResponse)
        );
    }

    #[test]
    fn trailers_are_bounded() {
        let limits = Limits {
            max_trailer_bytes: 20,
            ..Limits::default()
        };
        let input = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: 12345678901234567890\r\n\r\n";
        assert_eq!(
            all_ways("GET", input, false, &limits),
            Err(ParseError::TrailersTooLarge)
        );
        let bad = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA\0: 1\r\n\r\n";
        assert_eq!(
            all_ways("GET", bad, false, &Limits::default()),
            Err(ParseError::InvalidHeaderName)
        );
    }

    /// Found by the fuzz targets (`fuzz/regressions/`): a limit and an
    /// invalid byte past it gave one error or the other depending on where
    /// the input was cut; a line of exactly `max_line_bytes` was refused
    /// when a cut fell between its CR and LF; `HTTP/2` was a valid prefix.
    #[test]
    fn limits_decide_alike_however_the_input_is_cut() {
        let line = Limits {
            max_line_bytes: 16,
            ..Limits::default()
        };
        // "A: 0123456789abc" is 16 bytes: at the limit, not over it.
        let exact = b"HTTP/1.1 200 OK\r\nA: 0123456789abc\r\n\r\n";
        assert_eq!(
            all_ways("HEAD", exact, false, &line),
            Ok(vec![Head(200), End(true)])
        );
        let past = b"HTTP/1.1 200 OK\r\nA: 0123456789abcdef\x01\r\n\r\n";
        assert_eq!(
            all_ways("GET", past, false, &line),
            Err(ParseError::LineTooLong)
        );
        let head = Limits {
            max_head_bytes: 24,
            ..Limits::default()
        };
        let past = b"HTTP/1.1 200 OK\r\nA: bcdefgh\x01\r\n\r\n";
        assert_eq!(
            all_ways("GET", past, false, &head),
            Err(ParseError::HeadTooLarge)
        );
        let trailers = Limits {
            max_trailer_bytes: 8,
            ..Limits::default()
        };
        let past =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nAbcdefghijk@: 1\r\n\r\n";
        assert_eq!(
            all_ways("GET", past, false, &trailers),
            Err(ParseError::TrailersTooLarge)
        );
        let at_limit = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: 12\r\n\r\n";
        assert_eq!(
            all_ways("GET", at_limit, false, &trailers),
            Ok(vec![Head(200), End(true)])
        );
        let no_such_version = b"HTTP/2";
        assert_eq!(
            all_ways("GET", no_such_version, false, &Limits::default()),
            Err(ParseError::InvalidVersion)
        );
    }

    #[test]
    fn reuse_follows_the_framing() {
        assert_eq!(
            run("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"),
            Ok(vec![Head(200), End(false)])
        );
        assert_eq!(
            run("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"),
            Ok(vec![Head(200), End(false)])
        );
        assert_eq!(
            run("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            Ok(vec![Head(200), End(false)])
        );
    }

    #[test]
    fn only_empty_lines_may_follow_a_message_that_closes_the_connection() {
        let closing: [(&str, Vec<Seen>); 4] = [
            (
                "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx",
                vec![Head(200), Body(b"x".to_vec()), End(false)],
            ),
            (
                "HTTP/1.0 204 No Content\r\n\r\n",
                vec![Head(204), End(false)],
            ),
            (
                "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n",
                vec![Head(100), Head(304), End(false)],
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                vec![Head(200), End(false)],
            ),
        ];
        let max = Limits::default().max_empty_lines;
        for (first, seen) in closing {
            assert_eq!(run(first), Ok(seen.clone()), "{first:?}");
            for after in ["HTTP/1.1 204 No Content\r\n\r\n", "x", "\n", "\r\n\r\nH"] {
                assert_eq!(
                    run(&format!("{first}{after}")),
                    Err(ParseError::BytesAfterClose),
                    "{first:?} then {after:?}"
                );
            }
            // Empty lines are as framing-neutral here as before a status
            // line, and as bounded.
            let lines = format!("{first}{}", "\r\n".repeat(max));
            assert_eq!(run(&lines), Ok(seen.clone()), "{first:?}");
            assert_eq!(
                all_ways("GET", lines.as_bytes(), true, &Limits::default()),
                Ok(seen),
                "{first:?}"
            );
            let over = format!("{first}{}", "\r\n".repeat(max + 1));
            assert_eq!(run(&over), Err(ParseError::BytesAfterClose), "{first:?}");
        }
        // A keep-alive HTTP/1.0 response may be followed by another.
        assert_eq!(
            run("HTTP/1.0 204 No Content\r\nConnection: keep-alive\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"),
            Ok(vec![Head(204), End(true), Head(204), End(true)])
        );
    }

    #[test]
    fn body_bytes_can_be_taken_directly() {
        let mut dec = ResponseDecoder::new(Limits::default());
        let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n";
        assert!(matches!(
            dec.decode(head).unwrap().event,
            Some(Event::Head(_))
        ));
        assert_eq!(
            dec.body_bytes_pending(),
            None,
            "the chunk-size line is not read yet"
        );
        let step = dec.decode(b"5\r\n").unwrap();
        assert_eq!((step.consumed, step.event), (3, None));
        assert_eq!(dec.body_bytes_pending(), Some(5));
        dec.skip_body(3);
        assert_eq!(dec.body_bytes_pending(), Some(2));
        dec.skip_body(99);
        assert_eq!(dec.body_bytes_pending(), None);
        let step = dec.decode(b"\r\n0\r\n\r\n").unwrap();
        assert_eq!(step.event, Some(Event::End { reusable: true }));
    }

    #[test]
    fn body_is_a_slice_of_the_input() {
        let input = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody";
        let mut dec = ResponseDecoder::new(Limits::default());
        let head = dec.decode(input).unwrap();
        let rest = &input[head.consumed..];
        let Decoded {
            event: Some(Event::Body(b)),
            ..
        } = dec.decode(rest).unwrap()
        else {
            panic!("expected body")
        };
        assert!(std::ptr::eq(b.as_ptr(), rest.as_ptr()));
    }

    #[test]
    fn a_capped_decode_splits_bodies_and_nothing_else() {
        let inputs: [&[u8]; 3] = [
            b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\n\r\nhello world",
        ];
        for input in inputs {
            let whole = feed("GET", input, &[], true, &Limits::default()).unwrap();
            for cap in 1..=12 {
                let mut dec = ResponseDecoder::new(Limits::default());
                let (mut at, mut body, mut ends) = (0, Vec::new(), 0);
                loop {
                    let step = dec.decode_at_most(&input[at..], cap).unwrap();
                    at += step.consumed;
                    match step.event {
                        Some(Event::Body(b)) => {
                            assert!(!b.is_empty() && b.len() <= cap, "cap {cap}");
                            body.extend_from_slice(b);
                        }
                        Some(Event::End { .. }) => ends += 1,
                        Some(_) => {}
                        None => break,
                    }
                }
                if ends == 0 {
                    assert!(matches!(dec.finish(), Ok(Event::End { .. })));
                }
                assert_eq!(at, input.len(), "cap {cap}");
                assert!(whole.contains(&Body(body)), "cap {cap}");
            }
        }
    }
}
