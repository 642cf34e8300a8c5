//! The incremental response decoder: one state machine from the first byte
//! of a response to the end of its body.

use super::body::{chunk_size_line, Chunked};
use super::parse::{field_line, HeadScanner, Line};
use super::{framing, Framing, HeaderSpan, Headers, Limits, ParseError, ResponseHead};

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
    /// Reading a head. `started` is whether any byte of it has arrived.
    Head {
        started: bool,
    },
    /// Reading a body of this framing.
    Length(u64),
    Chunked(Chunked),
    UntilClose,
    /// The head said the protocol switches; `Upgrade` not yet reported.
    Switching,
    /// HTTP is over on this connection.
    Switched,
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
    method: MethodKind,
    informational: usize,
    reusable: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MethodKind {
    Head,
    Connect,
    Other,
}

impl ResponseDecoder {
    /// A decoder expecting a response to a `GET`-like request.
    pub fn new(limits: Limits) -> Self {
        ResponseDecoder {
            limits,
            state: State::Head { started: false },
            scanner: HeadScanner::default(),
            spans: Vec::new(),
            method: MethodKind::Other,
            informational: 0,
            reusable: false,
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
        self.method = match method {
            b"HEAD" => MethodKind::Head,
            b"CONNECT" => MethodKind::Connect,
            _ => MethodKind::Other,
        };
    }

    /// Whether the decoder is between messages: no byte of a response has
    /// arrived since the last one ended.
    pub fn is_idle(&self) -> bool {
        self.state == State::Head { started: false }
    }

    /// Decodes from `input`, the bytes received and not yet consumed.
    ///
    /// Call it again after every event (an event may be reported with zero
    /// bytes consumed, e.g. the end of a body-less response) until it
    /// returns `event: None`.
    pub fn decode<'b>(&mut self, input: &'b [u8]) -> Result<Decoded<'b>, ParseError> {
        match self.state {
            State::Head { .. } => self.decode_head(input),
            State::Length(0) => Ok(self.end(0)),
            State::Length(remaining) => Ok(match take(input, remaining) {
                None => need_more(0),
                Some(bytes) => {
                    self.state = State::Length(remaining - bytes.len() as u64);
                    body(bytes)
                }
            }),
            State::Chunked(state) => self.decode_chunked(input, state),
            State::UntilClose => Ok(match input.is_empty() {
                true => need_more(0),
                false => body(input),
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

    /// Tells the decoder the peer closed the connection after the bytes it
    /// was given. A body that runs until close ends here; anything else
    /// unfinished is [`ParseError::IncompleteMessage`], and a connection
    /// that closed before any byte of a response is
    /// [`ParseError::EmptyResponse`].
    pub fn finish(&mut self) -> Result<Event<'static>, ParseError> {
        match self.state {
            State::Head { started: false } => Err(ParseError::EmptyResponse),
            State::UntilClose => {
                self.state = State::Head { started: false };
                Ok(Event::End { reusable: false })
            }
            State::Length(0) => {
                self.state = State::Head { started: false };
                Ok(Event::End { reusable: false })
            }
            State::Switching | State::Switched => {
                self.state = State::Switched;
                Ok(Event::Upgrade)
            }
            _ => Err(ParseError::IncompleteMessage),
        }
    }

    fn decode_head<'b>(&mut self, input: &'b [u8]) -> Result<Decoded<'b>, ParseError> {
        if !input.is_empty() {
            self.state = State::Head { started: true };
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
        let headers = Headers::from_parts(input[..len].to_vec(), std::mem::take(&mut self.spans));
        let head = ResponseHead::new(line, headers);
        let consumed = |event| Decoded {
            consumed: len,
            event: Some(event),
        };
        self.state = State::Head { started: false };
        // Informational responses precede the final one; 101 is the
        // exception, since it ends HTTP on this connection.
        if head.is_informational() && head.status != 101 {
            self.informational += 1;
            if self.informational > self.limits.max_informational {
                return Err(ParseError::TooManyInformational);
            }
            return Ok(consumed(Event::Head(head)));
        }
        let method: &[u8] = match self.method {
            MethodKind::Head => b"HEAD",
            MethodKind::Connect => b"CONNECT",
            MethodKind::Other => b"GET",
        };
        let (framing, reusable) = framing(method, head.status, head.version, &head.headers)?;
        self.reusable = reusable;
        self.informational = 0;
        self.method = MethodKind::Other;
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
                    let Some(bytes) = take(rest, remaining) else {
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
                Chunked::Trailers(read) => match field_line(input, at)? {
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
                        if read + rest.len() > self.limits.max_trailer_bytes {
                            return Err(ParseError::TrailersTooLarge);
                        }
                        return Ok(need_more(at));
                    }
                },
            };
        }
    }

    fn end<'b>(&mut self, consumed: usize) -> Decoded<'b> {
        self.state = State::Head { started: false };
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
