//! One attempt: a connection from the pool or a new one, the request
//! written on it (watching for an early answer), and the final response
//! head read. Whether to try again is the attempt loop's business
//! (`attempt.rs`).

use super::request::{BodyKind, HeaderDefaults, Request};
use super::{Client, Timings};
use crate::conn::{Conn, Sent};
use crate::deadline::Deadline;
use crate::error::{Error, Phase};
use crate::events::{emit, Event};
use crate::h1::{self, ResponseHead};
use crate::pool::{CloseReason, Grant, HostEntry, Slot};
use crate::retry::Progress;
use crate::transport::{tcp, Peeker, Stream};
use crate::url::{Scheme, Url};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};

/// Bodies up to this size are written in the same buffer as the head: one
/// write, one TCP segment for typical API calls.
pub(super) const INLINE_BODY: usize = 64 * 1024;

impl Client {
    /// One attempt: a connection (pooled, or new if `fresh` or none is
    /// idle), the request written on it, and the final response head read.
    pub(super) async fn attempt_once(
        &self,
        req: &mut Request,
        host: &Arc<HostEntry>,
        deadline: &Deadline,
        attempt: u32,
        fresh: bool,
        now: tokio::time::Instant,
    ) -> Result<Hop, Failed> {
        let shared = &self.shared;
        let not_sent = |error| Failed {
            error,
            progress: Progress::NotSent,
            reused: false,
        };
        // `slot` is bound first so that it drops last: the connection
        // closes before its place under the host's limit is given back.
        let (slot, mut conn, reused, mut timings) = match shared
            .pool
            .checkout(host, fresh, deadline, now)
            .await
            .map_err(not_sent)?
        {
            Grant::Reuse(conn, slot) => (slot, conn, true, Timings::default()),
            Grant::Open(slot) => {
                // Boxed: connecting (DNS, Happy Eyeballs, the TLS
                // handshake) is a large future, and the request future
                // would otherwise carry its size on every call.
                let (conn, timings) = Box::pin(self.connect(&req.url, deadline))
                    .await
                    .map_err(not_sent)?;
                shared.counters.opened.fetch_add(1, Ordering::Relaxed);
                (slot, conn, false, timings)
            }
        };
        emit(&shared.hook, || Event::Connected {
            url: &req.url,
            attempt,
            reused,
            timings,
        });
        match exchange(&mut conn, req, &shared.default_headers, deadline).await {
            Ok(head) => {
                shared.counters.requests.fetch_add(1, Ordering::Relaxed);
                if reused {
                    shared.counters.reused.fetch_add(1, Ordering::Relaxed);
                }
                timings.ttfb = deadline.started().elapsed();
                timings.total = timings.ttfb;
                Ok(Hop {
                    head,
                    conn,
                    slot,
                    reused,
                    timings,
                    close: req.asks_close(&shared.default_headers),
                })
            }
            Err(error) => {
                shared.counters.closed(CloseReason::Error);
                let progress = if conn.response_started {
                    Progress::ResponseStarted
                } else if conn.sent_any() {
                    Progress::SentNoResponse
                } else {
                    Progress::NotSent
                };
                Err(Failed {
                    error,
                    progress,
                    reused,
                })
            }
        }
    }

    async fn connect(&self, url: &Url, deadline: &Deadline) -> Result<(Box<Conn>, Timings), Error> {
        let (tcp, remote, times) =
            tcp::connect(&url.host(), url.effective_port(), deadline).await?;
        let peeker = Peeker::new(&tcp);
        let (stream, tls_time) = match url.scheme() {
            Scheme::Http => (Stream::Tcp(tcp), Duration::ZERO),
            #[cfg(feature = "tls")]
            Scheme::Https => {
                let t = tokio::time::Instant::now();
                let config = self.shared.tls.clone();
                let host = url.host_text();
                let tls = deadline
                    .run(Phase::Tls, async {
                        crate::transport::tls::TlsStream::connect(tcp, config, host)
                            .await
                            .map_err(|e| Error::io(Phase::Tls, e))
                    })
                    .await?;
                (Stream::Tls(Box::new(tls)), t.elapsed())
            }
            #[cfg(not(feature = "tls"))]
            Scheme::Https => {
                drop(tcp);
                return Err(Error::builder("https needs brisk's `tls` feature"));
            }
        };
        let timings = Timings {
            dns: times.dns,
            connect: times.connect,
            tls: tls_time,
            ..Timings::default()
        };
        Ok((
            Box::new(Conn::new(
                stream,
                peeker,
                remote,
                self.shared.limits.clone(),
            )),
            timings,
        ))
    }
}

/// Streams a body from the caller's reader: chunked when its length is
/// unknown, or exactly `len` bytes under `Content-Length` (RFC 9112 §6.2).
/// A sized body never writes more than `len` bytes, whatever the reader
/// yields: a wrong length fails the request, whose connection is then
/// closed; it cannot run into the next request.
async fn stream_body(
    conn: &mut Conn,
    reader: &mut (dyn AsyncRead + Send + Unpin),
    len: Option<u64>,
    deadline: &Deadline,
) -> Result<Sent, SendFailure> {
    let mut chunk = vec![0u8; 16 * 1024];
    let mut framed = Vec::with_capacity(chunk.len() + 16);
    let mut left = len;
    loop {
        let want = match left {
            // The whole declared length is out. A reader that still has
            // bytes ready was wrong about its length: say so rather than
            // cut the caller's data short in silence. (Only what is ready
            // now is looked at: a stream that stays open is not waited on.)
            Some(0) => {
                let mut probe = [0u8; 1];
                let mut probe = ReadBuf::new(&mut probe);
                let more = std::future::poll_fn(|cx| {
                    Poll::Ready(Pin::new(&mut *reader).poll_read(cx, &mut probe))
                })
                .await;
                if matches!(more, Poll::Ready(Ok(()))) && !probe.filled().is_empty() {
                    return Err(SendFailure::Body(body_length_error(
                        "the body stream has more bytes than its declared length",
                    )));
                }
                conn.flush(deadline).await?;
                return Ok(Sent::All);
            }
            Some(n) => chunk.len().min(usize::try_from(n).unwrap_or(usize::MAX)),
            None => chunk.len(),
        };
        // The caller's stream failing is the caller's error, not the
        // connection's: no answer is looked for.
        let n = deadline
            .run(Phase::Write, async {
                reader
                    .read(&mut chunk[..want])
                    .await
                    .map_err(Error::request_body)
            })
            .await
            .map_err(SendFailure::Body)?;
        let out = match left.as_mut() {
            Some(_) if n == 0 => {
                return Err(SendFailure::Body(body_length_error(
                    "the body stream ended before its declared length",
                )))
            }
            Some(left) => {
                *left -= n as u64;
                &chunk[..n]
            }
            None => {
                framed.clear();
                if n == 0 {
                    h1::encode_last_chunk(&mut framed);
                } else {
                    h1::encode_chunk(&chunk[..n], &mut framed);
                }
                &framed[..]
            }
        };
        if conn.write_body(out, deadline).await? == Sent::Answered {
            return Ok(Sent::Answered);
        }
        if n == 0 {
            conn.flush(deadline).await?;
            return Ok(Sent::All);
        }
    }
}

/// A sized body whose reader disagreed with its declared length.
fn body_length_error(what: &'static str) -> Error {
    Error::request_body(std::io::Error::new(std::io::ErrorKind::InvalidData, what))
}

/// Why a request could not be sent whole.
enum SendFailure {
    /// Writing to the connection failed or timed out.
    Conn(Error),
    /// The request itself could not be produced (its body stream failed,
    /// or was already spent).
    Body(Error),
}

impl From<Error> for SendFailure {
    fn from(e: Error) -> Self {
        SendFailure::Conn(e)
    }
}

/// An attempt that failed, and how far it got.
pub(super) struct Failed {
    pub(super) error: Error,
    pub(super) progress: Progress,
    /// The connection had served an earlier request.
    pub(super) reused: bool,
}

/// One response head and the connection it came on.
pub(super) struct Hop {
    pub(super) head: ResponseHead,
    pub(super) conn: Box<Conn>,
    pub(super) slot: Slot,
    pub(super) reused: bool,
    pub(super) timings: Timings,
    /// The request said `Connection: close`.
    pub(super) close: bool,
}

/// Writes the request: the head and a small body in one write, a larger
/// or streamed body after it, watching for an early answer.
async fn send_request(
    conn: &mut Conn,
    req: &mut Request,
    defaults: &HeaderDefaults,
    deadline: &Deadline,
) -> Result<Sent, SendFailure> {
    conn.prepare_request(req.method.as_str(), |buf| {
        req.encode_head(defaults, buf);
        if let BodyKind::Bytes(b) = &req.body.kind {
            if b.len() <= INLINE_BODY {
                buf.extend_from_slice(b);
            }
        }
        Ok(())
    })
    .map_err(SendFailure::Body)?;
    conn.write_request(deadline).await?;
    match &mut req.body.kind {
        BodyKind::Empty => Ok(Sent::All),
        BodyKind::Bytes(b) if b.len() <= INLINE_BODY => Ok(Sent::All),
        BodyKind::Bytes(b) => {
            let sent = conn.write_body(b, deadline).await?;
            if sent == Sent::All {
                conn.flush(deadline).await?;
            }
            Ok(sent)
        }
        BodyKind::Reader { reader, len } => {
            let len = *len;
            let Some(reader) = reader.as_mut() else {
                return Err(SendFailure::Body(Error::builder(
                    "a streamed body can be sent only once",
                )));
            };
            // Boxed for the same reason as connecting: rare and large.
            let reader = reader.get_mut().unwrap_or_else(|p| p.into_inner());
            let sent = Box::pin(stream_body(conn, reader.as_mut(), len, deadline)).await;
            req.body.kind = BodyKind::Reader { reader: None, len };
            sent
        }
    }
}

/// Writes the request on `conn` and reads the final response head.
///
/// If writing fails, an answer the server sent before it stopped reading
/// (a 413 or 401 to a large upload, followed by a close or reset) is
/// looked for and returned, as curl and hyper do; the connection is then
/// not reused.
async fn exchange(
    conn: &mut Conn,
    req: &mut Request,
    defaults: &HeaderDefaults,
    deadline: &Deadline,
) -> Result<ResponseHead, Error> {
    match send_request(conn, req, defaults, deadline).await {
        Ok(_) => {}
        Err(SendFailure::Body(e)) => return Err(e),
        Err(SendFailure::Conn(e)) if e.is_timeout() => return Err(e),
        Err(SendFailure::Conn(e)) => {
            conn.cut_short();
            let head = conn.read_head(deadline).await.map_err(|_| e)?;
            return refuse_switch(head);
        }
    }
    refuse_switch(conn.read_head(deadline).await?)
}

/// brisk never asks for a protocol switch, so a 101 is refused.
fn refuse_switch(head: ResponseHead) -> Result<ResponseHead, Error> {
    if head.status == 101 {
        return Err(
            Error::protocol(Phase::ReadHead, h1::ParseError::IncompleteMessage)
                .with_source("unsolicited 101 switching protocols"),
        );
    }
    Ok(head)
}
