//! [`Response`]: status and headers at once, the body on demand.

#[cfg(feature = "compression")]
mod decoding;

use super::codings::Codings;
use super::hop::{Hop, Tries};
use super::{Client, StatusCode, Timings};
use crate::conn::{BodyPart, Conn, Dest};
use crate::deadline::Deadline;
use crate::error::{Error, Kind, Phase};
use crate::events::{emit, Event};
use crate::h1::{self, Headers, ResponseHead, Version};
use crate::pool::{CloseReason, Slot};
use crate::retry::RetryRecord;
use crate::url::Url;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// A response: status and headers at once, the body on demand.
///
/// Reading the body to its end returns the connection to the pool.
/// Dropping a response before that returns it only if the rest of the body
/// had already arrived; otherwise the connection is closed (brisk never
/// spends time draining a body nobody wants).
pub struct Response {
    client: Client,
    head: ResponseHead,
    url: Url,
    remote: SocketAddr,
    reused: bool,
    timings: Timings,
    deadline: Deadline,
    content_length: Option<u64>,
    /// The connection while the body is unread.
    body: Option<(Box<Conn>, Slot)>,
    /// The request asked for `Connection: close`.
    close: bool,
    /// Reading the body failed: it must not look complete afterwards.
    failed: bool,
    /// Attempts the request took (free re-sends not counted).
    attempts: u32,
    /// Why each retry or re-send happened.
    retries: Vec<RetryRecord>,
    /// Body bytes read before the response was handed over (up to 64 KiB
    /// for the retry policy's veto, or all of it in a batch): served
    /// before anything else is read, from `ahead_from` on.
    ahead: Vec<u8>,
    /// The first byte of `ahead` not yet handed out: a cursor, so that
    /// reading a large buffered body in small pieces never shifts it.
    ahead_from: usize,
    /// The body is compressed and its readers decode it (boxed: rare, and
    /// it holds the decoder's window). While it is active, `ahead` holds
    /// encoded bytes.
    #[cfg(feature = "compression")]
    decoding: Option<Box<decoding::Decoding>>,
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.head.status)
            .field("url", &self.url)
            .field("reused", &self.reused)
            .finish_non_exhaustive()
    }
}

impl Response {
    pub(super) fn new(
        client: Client,
        method: &str,
        codings: Codings,
        hop: Hop,
        url: Url,
        deadline: Deadline,
    ) -> Response {
        let Hop {
            head,
            conn,
            slot,
            reused,
            timings,
            close,
        } = hop;
        let framing = conn.framing();
        let content_length = match framing {
            Some(h1::Framing::Length(n)) => Some(n),
            // For HEAD: the length a GET would have had, as curl shows.
            _ if method == "HEAD" => {
                let get = h1::RequestKind::Other;
                match h1::framing(get, head.status, head.version, &head.headers) {
                    Ok(h1::ResponseFraming {
                        framing: h1::Framing::Length(n),
                        ..
                    }) => Some(n),
                    _ => None,
                }
            }
            _ => None,
        };
        let empty = matches!(framing, Some(h1::Framing::NoBody | h1::Framing::Length(0)));
        // A HEAD answer has no body to decode (`empty`), whatever it says.
        #[cfg(feature = "compression")]
        let mut head = head;
        #[cfg(feature = "compression")]
        let decoding = if empty {
            None
        } else {
            decoding::Decoding::detect(&mut head, codings)
        };
        #[cfg(feature = "compression")]
        let content_length = content_length.filter(|_| decoding.is_none());
        #[cfg(not(feature = "compression"))]
        let _ = codings;
        let mut resp = Response {
            client,
            remote: conn.remote_addr(),
            head,
            url,
            reused,
            timings,
            deadline,
            content_length,
            body: Some((conn, slot)),
            close,
            failed: false,
            attempts: 1,
            retries: Vec::new(),
            ahead: Vec::new(),
            ahead_from: 0,
            #[cfg(feature = "compression")]
            decoding,
        };
        // A response without a body gives its connection back at once.
        if empty {
            resp.finish_if_buffered();
        }
        resp
    }

    /// What the call went through: its attempts and retries, and the DNS,
    /// connect and TLS times of earlier hops (redirects), added to this
    /// one's.
    pub(super) fn set_tries(&mut self, tries: Tries) {
        self.timings.dns += tries.earlier.dns;
        self.timings.connect += tries.earlier.connect;
        self.timings.tls += tries.earlier.tls;
        self.attempts = tries.attempts.max(1);
        self.retries = tries.records;
    }

    /// How many attempts the request took (1 without retries; free
    /// re-sends on a fresh connection are not counted). Counted on the
    /// final hop: a redirect is a new request, and starts a new count;
    /// [`Response::retries`] keeps the records of every hop.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Each retry and re-send the request went through: which attempt,
    /// why, and how long brisk waited.
    pub fn retries(&self) -> &[RetryRecord] {
        &self.retries
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        StatusCode(self.head.status)
    }

    /// The HTTP version the server answered with.
    pub fn version(&self) -> Version {
        self.head.version
    }

    /// The header fields (case-insensitive lookup, multi-valued).
    pub fn headers(&self) -> &Headers {
        &self.head.headers
    }

    /// The header fields exactly as they came on the wire.
    ///
    /// The same as [`headers`](Self::headers), unless brisk decodes the
    /// body (see [`ClientBuilder::gzip`](crate::ClientBuilder::gzip)):
    /// then `headers` leaves out `Content-Encoding` and `Content-Length`,
    /// which describe the compressed bytes, and these keep them.
    pub fn wire_headers(&self) -> &Headers {
        #[cfg(feature = "compression")]
        if let Some(dec) = self.decoding.as_deref() {
            return &dec.wire_headers;
        }
        &self.head.headers
    }

    /// The reason phrase, as sent.
    pub fn reason(&self) -> &[u8] {
        self.head.reason()
    }

    /// The body length from `Content-Length`, when the body is framed by it.
    /// For a response to `HEAD`, the length the body would have had. `None`
    /// when brisk decodes the body: the length on the wire is not what the
    /// readers get ([`wire_headers`](Self::wire_headers) still has it).
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// The final URL (after redirects).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The header fields, to change in place (as reqwest's
    /// `headers_mut`): for code that hands the response on after adding
    /// or removing a field. The body's framing was settled when the head
    /// arrived, so a change here does not alter how the body is read.
    pub fn headers_mut(&mut self) -> &mut Headers {
        &mut self.head.headers
    }

    /// The server's address: always `Some` in brisk (every response came
    /// over a socket brisk connected); an `Option` as in reqwest, so that
    /// code written for it compiles unchanged.
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        Some(self.remote)
    }

    /// Whether the request went over a reused (pooled) connection.
    pub fn reused(&self) -> bool {
        self.reused
    }

    /// Where the time went.
    pub fn timings(&self) -> Timings {
        self.timings
    }

    /// Fails with an error carrying the status if it is 4xx or 5xx.
    pub fn error_for_status(self) -> Result<Response, Error> {
        let s = self.head.status;
        if (400..600).contains(&s) {
            Err(Error::new(Kind::Status(s)).or_url(&self.url))
        } else {
            Ok(self)
        }
    }

    /// Like [`Response::error_for_status`], but borrows: the response (and
    /// its body, which often says why) stays with the caller either way.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), brisk::Error> {
    /// let resp = brisk::get("https://api.example.com/v1/models").await?;
    /// if let Err(e) = resp.error_for_status_ref() {
    ///     eprintln!("{e}: {}", resp.text().await?);
    ///     return Err(e);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn error_for_status_ref(&self) -> Result<&Response, Error> {
        let s = self.head.status;
        if (400..600).contains(&s) {
            Err(Error::new(Kind::Status(s)).or_url(&self.url))
        } else {
            Ok(self)
        }
    }

    /// The next piece of the body, `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Vec<u8>>, Error> {
        #[cfg(feature = "compression")]
        if self.decoding() {
            return self.chunk_decoded().await;
        }
        let mut out = Vec::new();
        Ok(self.next_part(&mut out, true).await?.then_some(out))
    }

    /// Reads the next body bytes into `buf`, as many as are at hand (at
    /// least one, at most `buf.len()`), and returns how many; 0 at the end
    /// of the body (or for an empty `buf`).
    ///
    /// This is the streaming read: one buffer of the caller's, reused for
    /// a body of any size, so memory stays constant. Bytes that have not
    /// arrived yet are read from the socket straight into `buf`; bytes
    /// that came with the head are copied from the connection's buffer.
    /// Each wait for bytes is bounded by the read budget, the whole by the
    /// request's deadline. Reading to the end returns the connection to
    /// the pool, as [`bytes`](Self::bytes) does.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), brisk::Error> {
    /// let mut resp = brisk::get("http://127.0.0.1:8080/big.iso").await?;
    /// let mut buf = vec![0; 64 * 1024];
    /// let mut total = 0;
    /// loop {
    ///     let n = resp.read(&mut buf).await?;
    ///     if n == 0 {
    ///         break;
    ///     }
    ///     total += n; // use &buf[..n]
    /// }
    /// println!("{total} bytes");
    /// # Ok(()) }
    /// ```
    pub async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        if buf.is_empty() {
            return Ok(0);
        }
        #[cfg(feature = "compression")]
        if self.decoding() {
            return self.read_decoded(buf).await;
        }
        let pending = self.ahead();
        if !pending.is_empty() {
            let n = pending.len().min(buf.len());
            buf[..n].copy_from_slice(&pending[..n]);
            self.ahead_from += n;
            return Ok(n);
        }
        let Some((conn, _)) = self.body.as_mut() else {
            if self.failed {
                return Err(self.already_failed());
            }
            return Ok(0);
        };
        match conn.read_body(Dest::Fill(buf), &self.deadline).await {
            Ok(BodyPart::Direct(n)) => Ok(n),
            // `Fill` copies for us; a lent piece (never cut past `buf`'s
            // length) would be copied here alike.
            Ok(BodyPart::Data(bytes)) => {
                let n = bytes.len().min(buf.len());
                buf[..n].copy_from_slice(&bytes[..n]);
                Ok(n)
            }
            Ok(BodyPart::End { reusable }) => {
                self.end_body(reusable);
                Ok(0)
            }
            Err(e) => Err(self.body_failed(e)),
        }
    }

    /// The whole body.
    ///
    /// With [`Limits::max_body_bytes`](crate::h1::Limits::max_body_bytes)
    /// set, a larger body fails (`is_too_large()`): at once if its
    /// `Content-Length` says so, else as soon as it grows past the cap.
    /// A compressed body that brisk decodes is measured decoded, against
    /// that cap and [`Limits::max_decoded_bytes`](crate::h1::Limits::max_decoded_bytes),
    /// and fails as soon as it passes either: a small gzip that would
    /// inflate to gigabytes never does.
    pub async fn bytes(mut self) -> Result<Vec<u8>, Error> {
        self.buffer_body().await?;
        Ok(self.take_ahead())
    }

    /// Reads the rest of the body into memory (where the body's readers
    /// find it first) and so gives the connection back to the pool; fails
    /// as [`bytes`](Self::bytes) does, the connection then closed.
    pub(super) async fn buffer_body(&mut self) -> Result<(), Error> {
        let limit = self.client.shared.limits.max_body_bytes.unwrap_or(u64::MAX);
        if self.content_length.is_some_and(|n| n > limit) {
            return Err(self.too_large());
        }
        #[cfg(feature = "compression")]
        if self.decoding() {
            let decoded = self.client.shared.limits.max_decoded_bytes;
            return self.buffer_decoded(limit.min(decoded)).await;
        }
        // What the server announces is trusted up to 1 MiB; beyond that the
        // buffer grows with the bytes that actually arrive.
        let cap = self.content_length.unwrap_or(0).min(1024 * 1024) as usize;
        let mut out = self.take_ahead();
        out.reserve(cap.saturating_sub(out.len()));
        while self.next_part(&mut out, true).await? {
            if out.len() as u64 > limit {
                return Err(self.too_large());
            }
        }
        self.ahead = out;
        Ok(())
    }

    fn too_large(&self) -> Error {
        Error::new(Kind::TooLarge)
            .with_phase(Phase::ReadBody)
            .or_url(&self.url)
    }

    /// The whole body as text (invalid UTF-8 is replaced with U+FFFD).
    pub async fn text(self) -> Result<String, Error> {
        let bytes = self.bytes().await?;
        Ok(match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }

    /// The whole body decoded from JSON into `T`: a type of your own with
    /// `#[derive(Deserialize)]`, or `serde_json::Value` when the shape is
    /// not known.
    ///
    /// A body that is not JSON, or not of `T`'s shape, fails with
    /// [`Error::is_decode`]. The error names the place in the body
    /// (`choices[0].message.content`), and its
    /// [`source`](std::error::Error::source) is the `serde_json::Error`
    /// saying what was wrong there (`invalid type: null, expected a
    /// string`). Reading the body can fail as [`bytes`](Self::bytes) does.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), brisk::Error> {
    /// #[derive(serde::Deserialize)]
    /// struct Reply {
    ///     choices: Vec<Choice>,
    /// }
    /// #[derive(serde::Deserialize)]
    /// struct Choice {
    ///     message: Message,
    /// }
    /// #[derive(serde::Deserialize)]
    /// struct Message {
    ///     content: String,
    /// }
    ///
    /// let reply: Reply = brisk::Client::new()
    ///     .post("http://127.0.0.1:8080/v1/chat/completions")
    ///     .body(r#"{"model":"m","messages":[]}"#)
    ///     .send()
    ///     .await?
    ///     .json()
    ///     .await?;
    /// println!("{}", reply.choices[0].message.content);
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "json")]
    pub async fn json<T: serde_core::de::DeserializeOwned>(self) -> Result<T, Error> {
        let url = self.url.clone();
        let bytes = self.bytes().await?;
        // The error path alone pays for finding where it went wrong.
        serde_json::from_slice(&bytes)
            .map_err(|e| crate::json_path::decode_error(&bytes, e).or_url(&url))
    }

    /// Reads up to `max` bytes of the body ahead, for at most `wait`, and
    /// ignores a failure: the one bounded read behind the retry veto, the
    /// drain of a redirect or a retried answer. What was read stays in the
    /// response ([`Response::ahead`] shows it) and the body's readers get
    /// it first, so the response is handed on intact. A read cut by `wait`
    /// loses nothing (a socket read is either done or not started); a
    /// failed read is kept for the body's readers to meet.
    pub(super) async fn read_at_most(&mut self, max: usize, wait: Duration) {
        let mut ahead = self.take_ahead();
        let read = async {
            while ahead.len() < max {
                match self.next_part(&mut ahead, false).await {
                    Ok(true) => {}
                    Ok(false) | Err(_) => return,
                }
            }
        };
        let _ = tokio::time::timeout(wait, read).await;
        self.ahead = ahead;
    }

    /// The body read ahead, for the retry policy's veto (nothing to
    /// decode without the `compression` feature).
    #[cfg(not(feature = "compression"))]
    pub(in crate::client) fn ahead_decoded(&self) -> std::borrow::Cow<'_, [u8]> {
        std::borrow::Cow::Borrowed(self.ahead())
    }

    /// The body bytes read ahead and not yet handed out.
    pub(super) fn ahead(&self) -> &[u8] {
        &self.ahead[self.ahead_from..]
    }

    /// The body bytes read ahead and not yet handed out, taken out.
    fn take_ahead(&mut self) -> Vec<u8> {
        let mut ahead = std::mem::take(&mut self.ahead);
        ahead.drain(..std::mem::take(&mut self.ahead_from));
        ahead
    }

    /// Appends the next piece of body to `out`; false at the end. With
    /// `direct`, a large body may be read straight into `out` in one read
    /// of up to 4 MiB.
    async fn next_part(&mut self, out: &mut Vec<u8>, direct: bool) -> Result<bool, Error> {
        if !self.ahead().is_empty() {
            let ahead = self.take_ahead();
            if out.is_empty() {
                *out = ahead;
            } else {
                out.extend_from_slice(&ahead);
            }
            return Ok(true);
        }
        let Some((conn, _)) = self.body.as_mut() else {
            if self.failed {
                return Err(self.already_failed());
            }
            return Ok(false);
        };
        let dest = if direct {
            Dest::Append(&mut *out)
        } else {
            Dest::Lend
        };
        match conn.read_body(dest, &self.deadline).await {
            Ok(BodyPart::Data(bytes)) => {
                out.extend_from_slice(bytes);
                Ok(true)
            }
            Ok(BodyPart::Direct(_)) => Ok(true),
            Ok(BodyPart::End { reusable }) => {
                self.end_body(reusable);
                Ok(false)
            }
            Err(e) => Err(self.body_failed(e)),
        }
    }

    /// A body read failed: the connection is closed, and the body can no
    /// longer look complete.
    fn body_failed(&mut self, e: Error) -> Error {
        self.client.shared.counters.closed(CloseReason::Error);
        self.body = None;
        self.failed = true;
        e.or_url(&self.url)
    }

    fn already_failed(&self) -> Error {
        Error::new(Kind::Io)
            .with_phase(Phase::ReadBody)
            .or_url(&self.url)
            .with_source("the body already failed")
    }

    fn end_body(&mut self, reusable: bool) {
        if let Some((conn, slot)) = self.body.take() {
            // One clock reading for the timings and the pool's idle clock.
            let now = tokio::time::Instant::now();
            self.timings.total = now.saturating_duration_since(self.deadline.started());
            emit(&self.client.shared.hook, || Event::BodyEnd {
                url: &self.url,
                status: StatusCode(self.head.status),
                total: self.timings.total,
                reusable: reusable && !self.close && conn.is_clean(),
            });
            // Bytes after the end of the response were never asked for, and
            // a closed connection cannot carry the next request: either way
            // it is not reused.
            let keep = if !reusable || self.close || conn.was_cut_short() {
                Err(CloseReason::NotReusable)
            } else if !conn.is_clean() {
                Err(CloseReason::ServerClosed)
            } else {
                Ok(())
            };
            self.client.shared.pool.checkin(conn, slot, keep, now);
        }
    }

    /// Reads and drops a redirect's body so that its connection can serve
    /// the next hop, when that is cheap: only a body framed by a
    /// `Content-Length` of at most `max` bytes, or chunked, is read; at
    /// most `max` bytes are read, for at most `wait`. Otherwise the
    /// connection is closed when the response drops: a body that runs
    /// until close, on a connection the server holds open, would only end
    /// at the read timeout.
    pub(super) async fn drain_redirect_body(&mut self, max: usize, wait: Duration) {
        let worth_it = match self.body.as_ref().and_then(|(conn, _)| conn.framing()) {
            Some(h1::Framing::Length(n)) => n <= max as u64,
            Some(h1::Framing::Chunked) => true,
            _ => false,
        };
        if worth_it {
            self.read_at_most(max + 1, wait).await;
        }
    }

    /// Ends the body without I/O if all of it has arrived (discarding it).
    fn finish_if_buffered(&mut self) {
        if let Some(reusable) = self
            .body
            .as_mut()
            .and_then(|(conn, _)| conn.finish_buffered())
        {
            self.end_body(reusable);
        }
    }
}

impl Drop for Response {
    fn drop(&mut self) {
        self.finish_if_buffered();
        if self.body.take().is_some() {
            self.client.shared.counters.closed(CloseReason::Abandoned);
        }
    }
}
