//! The server side of HTTP/1.1, as much as a test server needs: read one
//! request (head, then a `Content-Length` or chunked body) from a
//! connection's buffer, and write response heads.
//!
//! It is strict where the bytes decide where a request ends, as brisk's
//! own decoder is for responses, and it bounds everything the peer
//! controls. The field lines and chunk-size lines are read by the `h1`
//! codec's own functions, which are the same grammar on both sides.
//! Anything else it cannot read is a [`Bad`] request, answered with a 4xx
//! and a closed connection; it never panics.

use crate::h1::body::chunk_size_line;
use crate::h1::parse::{field_line, Line};
use crate::h1::Limits;
use std::io;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::time::Instant;

/// A request head may take this many bytes, request line included.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// And this many header fields.
const MAX_HEADERS: usize = 100;
/// A request body may take this many bytes (de-chunked).
pub(crate) const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// What one read asks the socket for.
const READ_BYTES: usize = 8 * 1024;
/// Empty lines skipped before a request line (RFC 9112 §2.2 asks a server
/// to skip at least one: some clients send a CRLF after a POST body).
const MAX_EMPTY_LINES: usize = 4;

/// One request as read from the wire.
#[derive(Debug)]
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) target: String,
    /// `true` for HTTP/1.1 (and 1.x), `false` for HTTP/1.0.
    pub(crate) http11: bool,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Request {
    /// The first field with this name (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether any field `name` lists `token` (as `Connection: close`).
    fn has_token(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    /// Whether the connection may carry another request after this one
    /// (RFC 9112 §9.3): HTTP/1.1 unless `Connection: close`, HTTP/1.0 only
    /// with `Connection: keep-alive`.
    pub(crate) fn keep_alive(&self) -> bool {
        if self.has_token("connection", "close") {
            false
        } else {
            self.http11 || self.has_token("connection", "keep-alive")
        }
    }
}

/// A request the server will not serve: the status to answer with and why.
#[derive(Debug)]
pub(crate) struct Bad {
    pub(crate) status: u16,
    pub(crate) why: &'static str,
}

fn bad(status: u16, why: &'static str) -> ReadError {
    ReadError::Bad(Bad { status, why })
}

/// Why no request came.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The peer closed (or reset) the connection, maybe mid-request.
    Closed,
    /// The bytes are not a request this server reads.
    Bad(Bad),
    /// The peer sent nothing within the wait (turned into a 408, or a
    /// silent close, by whoever knows the phase).
    TimedOut,
}

impl From<io::Error> for ReadError {
    fn from(_: io::Error) -> ReadError {
        ReadError::Closed
    }
}

/// A connection's read side: the socket and the bytes read but not yet
/// used. Bytes past one request (a pipelined next one) stay for the next
/// read.
pub(crate) struct Reader {
    buf: Vec<u8>,
    /// Where the unread bytes of `buf` start.
    pos: usize,
    /// How long a head may take to arrive, and the longest wait for a
    /// body's next bytes.
    timeout: Duration,
    /// When the head being read must be whole; `None` while reading a
    /// body, or when `timeout` reaches past the clock's range.
    head_deadline: Option<Instant>,
}

impl Reader {
    pub(crate) fn new(timeout: Duration) -> Reader {
        Reader {
            buf: Vec::with_capacity(READ_BYTES),
            pos: 0,
            timeout,
            head_deadline: None,
        }
    }

    /// The read buffer's capacity, in bytes.
    pub(crate) fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Reads more bytes; `Closed` at the end of the stream.
    ///
    /// The bytes already used are dropped first, so the buffer holds only
    /// what is still to be parsed: a head, a chunk-size or trailer line,
    /// or one read's worth of body on its way to the body. What a request
    /// costs is then its body, not its wire (a body sent as 1-byte chunks
    /// with 1 KiB extensions is 1,000 times longer on the wire). Each
    /// parser bounds what it waits for (the head, a chunk-size line, the
    /// trailer section), so the buffer stays within those bounds plus one
    /// read; the check here is a last line of defence.
    async fn fill(&mut self, stream: &mut TcpStream) -> Result<(), ReadError> {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        if self.buf.len() > MAX_HEAD_BYTES + READ_BYTES {
            return Err(bad(413, "request too large"));
        }
        self.buf.reserve(READ_BYTES);
        let read = stream.read_buf(&mut self.buf);
        // A head must be whole by its deadline, however its bytes drip
        // (a client sending one byte a second never times out a per-read
        // wait); a body must keep moving.
        let deadline = self
            .head_deadline
            .or_else(|| Instant::now().checked_add(self.timeout));
        let n = match deadline {
            Some(at) => tokio::time::timeout_at(at, read)
                .await
                .map_err(|_| ReadError::TimedOut)??,
            None => read.await?,
        };
        match n {
            0 => Err(ReadError::Closed),
            _ => Ok(()),
        }
    }

    /// Moves up to `n` buffered bytes to `body`; how many it moved.
    fn take_into(&mut self, body: &mut Vec<u8>, n: usize) -> usize {
        let n = n.min(self.buf.len() - self.pos);
        body.extend_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        n
    }

    /// The bytes read past the last request, handed over with the
    /// connection when it is upgraded (a client may send its first
    /// WebSocket frames right behind the handshake).
    pub(crate) fn take_buffered(&mut self) -> Vec<u8> {
        let rest = self.buf.split_off(self.pos);
        self.buf.clear();
        self.pos = 0;
        rest
    }

    /// Waits for the peer to close, discarding what it sends: the silent
    /// end of a request that is never answered.
    pub(crate) async fn drain_until_closed(&mut self, stream: &mut TcpStream) {
        let mut scratch = [0u8; 4096];
        while let Ok(n) = stream.read(&mut scratch).await {
            if n == 0 {
                return;
            }
        }
    }

    /// Reads the next request. `Ok(None)` when the peer closed cleanly
    /// between requests.
    pub(crate) async fn read(
        &mut self,
        stream: &mut TcpStream,
    ) -> Result<Option<Request>, ReadError> {
        // Drop the previous request's bytes.
        self.buf.drain(..self.pos);
        self.pos = 0;
        self.head_deadline = Instant::now().checked_add(self.timeout);
        let head = self.read_head(stream).await;
        self.head_deadline = None;
        let Some((mut request, framing)) = head? else {
            return Ok(None);
        };
        // RFC 9110 §10.1.1: a client that waits for `100 Continue` before
        // sending its body gets one.
        if request
            .header("expect")
            .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
            && !matches!(framing, Framing::Length(0))
        {
            use tokio::io::AsyncWriteExt;
            stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
        }
        let body = match framing {
            Framing::Length(n) => self.read_sized(stream, n).await,
            Framing::Chunked => self.read_chunked(stream).await,
        };
        request.body = body.map_err(|e| match e {
            ReadError::TimedOut => bad(408, "request body stalled"),
            e => e,
        })?;
        // Grown by doubling as it arrived; the record keeps it as long as
        // it is.
        request.body.shrink_to_fit();
        Ok(Some(request))
    }

    /// Reads a request head, by the head deadline. `Ok(None)` when the
    /// peer closed, or kept still until the deadline, between requests:
    /// an idle connection is closed without a word, as servers close idle
    /// keep-alive connections; a head begun and not finished is a 408.
    async fn read_head(
        &mut self,
        stream: &mut TcpStream,
    ) -> Result<Option<(Request, Framing)>, ReadError> {
        loop {
            match parse_head(&self.buf)? {
                Some((request, framing, used)) => {
                    self.pos = used;
                    return Ok(Some((request, framing)));
                }
                None if self.buf.len() > MAX_HEAD_BYTES => {
                    return Err(bad(431, "request head too large"))
                }
                None => match self.fill(stream).await {
                    Err(ReadError::Closed | ReadError::TimedOut) if self.buf.is_empty() => {
                        return Ok(None)
                    }
                    Err(ReadError::TimedOut) => return Err(bad(408, "request head timed out")),
                    Err(e) => return Err(e),
                    Ok(()) => {}
                },
            }
        }
    }

    /// A body of `n` bytes. It grows as the bytes arrive, so a
    /// `Content-Length` that is never sent costs nothing.
    async fn read_sized(&mut self, stream: &mut TcpStream, n: usize) -> Result<Vec<u8>, ReadError> {
        let mut body = Vec::new();
        let mut left = n - self.take_into(&mut body, n);
        while left > 0 {
            self.fill(stream).await?;
            left -= self.take_into(&mut body, left);
        }
        Ok(body)
    }

    /// A chunked body (RFC 9112 §7.1): size lines, data, each followed by
    /// CRLF, a last chunk of size 0, trailer fields (read and dropped),
    /// and an empty line. Data goes to the body as it arrives, not once
    /// its chunk is whole.
    async fn read_chunked(&mut self, stream: &mut TcpStream) -> Result<Vec<u8>, ReadError> {
        let limits = Limits::default();
        let mut body = Vec::new();
        loop {
            let size = loop {
                match chunk_size_line(&self.buf[self.pos..], &limits) {
                    Ok(Some((size, used))) => {
                        self.pos += used;
                        break size;
                    }
                    Ok(None) => self.fill(stream).await?,
                    Err(_) => return Err(bad(400, "invalid chunk size line")),
                }
            };
            if size == 0 {
                break;
            }
            let size = usize::try_from(size)
                .ok()
                .filter(|s| body.len().saturating_add(*s) <= MAX_BODY_BYTES)
                .ok_or(bad(413, "request body too large"))?;
            let mut left = size - self.take_into(&mut body, size);
            while left > 0 {
                self.fill(stream).await?;
                left -= self.take_into(&mut body, left);
            }
            while self.buf.len() - self.pos < 2 {
                self.fill(stream).await?;
            }
            if &self.buf[self.pos..self.pos + 2] != b"\r\n" {
                return Err(bad(400, "chunk data not followed by CRLF"));
            }
            self.pos += 2;
        }
        // The trailer section: field lines until the empty line.
        let mut trailer_bytes = 0;
        loop {
            match field_line(&self.buf, self.pos) {
                Ok(Line::End(end)) => {
                    self.pos = end;
                    return Ok(body);
                }
                Ok(Line::Field(_, end)) => {
                    trailer_bytes += end - self.pos;
                    self.pos = end;
                }
                // A line that never ends is bounded too.
                Ok(Line::Partial)
                    if trailer_bytes + (self.buf.len() - self.pos) > limits.max_trailer_bytes =>
                {
                    return Err(bad(431, "trailer section too large"))
                }
                Ok(Line::Partial) => self.fill(stream).await?,
                Err(_) => return Err(bad(400, "invalid trailer field")),
            }
            if trailer_bytes > limits.max_trailer_bytes {
                return Err(bad(431, "trailer section too large"));
            }
        }
    }
}

/// How a request's body is delimited.
#[derive(Debug, PartialEq, Eq)]
enum Framing {
    Length(usize),
    Chunked,
}

/// Parses a request head at the start of `buf`: `Ok(None)` if it has not
/// fully arrived (every byte so far being valid), else the request
/// (without its body), how its body is framed and the head's length.
fn parse_head(buf: &[u8]) -> Result<Option<(Request, Framing, usize)>, ReadError> {
    let mut at = 0;
    let mut empty = 0;
    while buf[at..].starts_with(b"\r\n") {
        at += 2;
        empty += 1;
        if empty > MAX_EMPTY_LINES {
            return Err(bad(400, "too many empty lines before the request line"));
        }
    }
    // The request line (RFC 9112 §3): method SP request-target SP version.
    let Some(len) = buf[at..].windows(2).position(|w| w == b"\r\n") else {
        if buf[at..].contains(&b'\n') {
            return Err(bad(400, "bare LF in the request line"));
        }
        return Ok(None);
    };
    let line = &buf[at..at + len];
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad(400, "malformed request line"));
    };
    if method.is_empty() || !method.iter().all(|&b| is_tchar(b)) {
        return Err(bad(400, "invalid method"));
    }
    if target.is_empty() || !target.iter().all(|&b| b.is_ascii_graphic()) {
        return Err(bad(400, "invalid request target"));
    }
    let http11 = match version {
        b"HTTP/1.1" => true,
        b"HTTP/1.0" => false,
        v if v.starts_with(b"HTTP/1.") && v.len() == 8 && v[7].is_ascii_digit() => true,
        _ => return Err(bad(505, "unsupported HTTP version")),
    };
    at += len + 2;

    let mut headers = Vec::new();
    let end = loop {
        match field_line(buf, at) {
            Ok(Line::Partial) => return Ok(None),
            Ok(Line::End(end)) => break end,
            Ok(Line::Field(span, end)) => {
                if headers.len() == MAX_HEADERS {
                    return Err(bad(431, "too many header fields"));
                }
                let name = String::from_utf8_lossy(span.name(buf)).into_owned();
                let value = String::from_utf8_lossy(span.value(buf)).into_owned();
                headers.push((name, value));
                at = end;
            }
            Err(_) => return Err(bad(400, "invalid header field")),
        }
    };
    let request = Request {
        // Both were checked to be ASCII above.
        method: String::from_utf8_lossy(method).into_owned(),
        target: String::from_utf8_lossy(target).into_owned(),
        http11,
        headers,
        body: Vec::new(),
    };
    let framing = framing(&request)?;
    Ok(Some((request, framing, end)))
}

/// RFC 9112 §6.3 for a request: chunked if `Transfer-Encoding` says so;
/// any other transfer coding is refused (step 4: a server cannot know the
/// body's length); `Transfer-Encoding` beside `Content-Length` is refused
/// outright (step 3 allows it; two readings of the end are how requests
/// are smuggled); else `Content-Length`, whose copies must agree; else no
/// body.
fn framing(request: &Request) -> Result<Framing, ReadError> {
    let te: Vec<&str> = request
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("transfer-encoding"))
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .collect();
    let cl: Vec<&str> = request
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .collect();
    if !te.is_empty() {
        if !cl.is_empty() {
            return Err(bad(400, "both Transfer-Encoding and Content-Length"));
        }
        if !request.http11 {
            return Err(bad(400, "Transfer-Encoding in an HTTP/1.0 request"));
        }
        return match te.as_slice() {
            [only] if only.eq_ignore_ascii_case("chunked") => Ok(Framing::Chunked),
            _ => Err(bad(501, "unsupported transfer coding")),
        };
    }
    let mut length = None;
    for v in cl {
        if v.is_empty() || v.len() > 19 || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(400, "invalid Content-Length"));
        }
        let n: u64 = v.parse().map_err(|_| bad(400, "invalid Content-Length"))?;
        if length.is_some_and(|l| l != n) {
            return Err(bad(400, "conflicting Content-Length"));
        }
        length = Some(n);
    }
    match length {
        None => Ok(Framing::Length(0)),
        Some(n) if n > MAX_BODY_BYTES as u64 => Err(bad(413, "request body too large")),
        Some(n) => Ok(Framing::Length(n as usize)),
    }
}

/// RFC 9110 §5.6.2 token characters.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The reason phrase the server writes for a status.
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Mock",
    }
}

/// A response head: the status line, `headers`, the framing header, and
/// `Connection: close` when the connection ends after it.
pub(crate) fn head(
    status: u16,
    headers: &[(&str, &str)],
    extra: &[(String, String)],
    length: Option<usize>,
    close: bool,
) -> Vec<u8> {
    let mut h = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (n, v) in headers {
        h.push_str(&format!("{n}: {v}\r\n"));
    }
    for (n, v) in extra {
        h.push_str(&format!("{n}: {v}\r\n"));
    }
    match length {
        Some(n) => h.push_str(&format!("content-length: {n}\r\n")),
        None => h.push_str("transfer-encoding: chunked\r\n"),
    }
    if close {
        h.push_str("connection: close\r\n");
    }
    h.push_str("\r\n");
    h.into_bytes()
}

/// One chunk of a chunked body (RFC 9112 §7.1).
pub(crate) fn chunk(data: &[u8]) -> Vec<u8> {
    let mut c = format!("{:x}\r\n", data.len()).into_bytes();
    c.extend_from_slice(data);
    c.extend_from_slice(b"\r\n");
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> Result<Option<(Request, Framing, usize)>, ReadError> {
        parse_head(bytes)
    }

    #[test]
    fn a_request_head_whole_and_in_pieces() {
        let head = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}";
        let (req, framing, used) = parse(head).unwrap().unwrap();
        assert_eq!(req.method, "POST");
        assert_eq!(req.target, "/v1/chat/completions");
        assert_eq!(req.header("content-length"), Some("2"));
        assert_eq!(framing, Framing::Length(2));
        assert_eq!(used, head.len() - 2);
        for i in 0..used {
            assert!(parse(&head[..i]).unwrap().is_none(), "at {i}");
        }
    }

    #[test]
    fn bad_heads_are_refused_with_a_status() {
        let status = |bytes: &[u8]| match parse(bytes) {
            Err(ReadError::Bad(b)) => b.status,
            other => panic!("{other:?}"),
        };
        assert_eq!(status(b"GET / HTTP/2.0\r\n\r\n"), 505);
        assert_eq!(status(b"GET  / HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(status(b"GET /\n"), 400);
        assert_eq!(status(b"G(T / HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(status(b"GET / HTTP/1.1\r\nA : b\r\n\r\n"), 400);
        assert_eq!(
            status(b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
            400
        );
        assert_eq!(
            status(b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"),
            400
        );
        assert_eq!(
            status(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n"),
            400
        );
        assert_eq!(
            status(b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"),
            501
        );
        assert_eq!(
            status(b"POST / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n"),
            413
        );
    }

    #[test]
    fn keep_alive_follows_version_and_connection() {
        let ka = |bytes: &[u8]| parse(bytes).unwrap().unwrap().0.keep_alive();
        assert!(ka(b"GET / HTTP/1.1\r\n\r\n"));
        assert!(!ka(b"GET / HTTP/1.1\r\nConnection: Close\r\n\r\n"));
        assert!(!ka(b"GET / HTTP/1.0\r\n\r\n"));
        assert!(ka(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    }
}
