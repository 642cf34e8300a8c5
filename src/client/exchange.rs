//! One attempt: a connection from the pool or a new one, the request
//! written on it (watching for an early answer), and the final response
//! head read. Whether to try again is the call's business (`call.rs`).

use super::body::BodyKind;
use super::hop::{Failed, Hop, Route, Turn};
use super::request::{HeaderDefaults, Request, Via};
use super::{Client, Timings};
use crate::conn::{Conn, Sent};
use crate::deadline::Deadline;
use crate::error::{Error, Kind, Phase, Unexpected};
use crate::events::{emit, Event};
use crate::h1::{self, ResponseHead};
use crate::pool::{CloseReason, Grant};
use crate::proxy::Endpoint;
use crate::retry::Progress;
use crate::transport::{tcp, Stream};
use crate::url::{Scheme, Url};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::Poll;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};

/// Bodies up to this size are written in the same buffer as the head: one
/// write, one TCP segment for typical API calls.
pub(super) const INLINE_BODY: usize = 64 * 1024;

/// What one attempt works on: the request, where its hop goes, and its
/// deadline. Borrowed from the call for the length of the attempt.
pub(super) struct Exchange<'a> {
    pub(super) req: &'a mut Request,
    pub(super) route: &'a Route,
    pub(super) deadline: &'a Deadline,
    /// The call's tracing, if its client traces.
    pub(super) trace: Option<&'a mut crate::trace::CallTrace>,
}

impl Client {
    /// One attempt: a connection (pooled, or new if `turn.fresh` or none
    /// is idle), the request written on it, and the final response head
    /// read. Through a proxy, `route.host` is the pool's entry for the
    /// (proxy, origin) pair.
    pub(super) async fn attempt_once(&self, x: Exchange<'_>, turn: Turn) -> Result<Hop, Failed> {
        let Exchange {
            req,
            route,
            deadline,
            trace,
        } = x;
        let shared = &self.shared;
        let proxy = route.proxy.as_deref();
        let not_sent = |error| Failed {
            error,
            progress: Progress::NotSent,
            reused: false,
        };
        // `slot` is bound first so that it drops last: the connection
        // closes before its place under the host's limit is given back.
        let grant = shared
            .pool
            .checkout(&route.host, turn.fresh, deadline, turn.now)
            .await
            .map_err(not_sent)?;
        if let Some(trace) = trace {
            trace.pool_waited(turn.now.elapsed());
        }
        let (slot, mut conn, reused, mut timings) = match grant {
            Grant::Reuse(conn, slot) => (slot, conn, true, Timings::default()),
            Grant::Open(slot) => {
                // Boxed: connecting (DNS, Happy Eyeballs, the TLS
                // handshake) is a large future, and the request future
                // would otherwise carry its size on every call.
                let (conn, timings) = Box::pin(self.connect(&req.url, proxy, false, deadline))
                    .await
                    .map_err(not_sent)?;
                shared.counters.opened.fetch_add(1, Ordering::Relaxed);
                (slot, conn, false, timings)
            }
        };
        emit(&shared.hook, || Event::Connected {
            url: &req.url,
            attempt: turn.number,
            reused,
            timings,
        });
        let via = match (proxy, req.url.scheme()) {
            (None, _) => Via::Direct,
            (Some(_), Scheme::Https) => Via::Tunnel,
            (Some(p), Scheme::Http) => Via::Proxy {
                auth: p.auth.as_ref(),
            },
        };
        // One branch when off: the heads are written out as text only for
        // a hook that asked for them.
        let verbose = shared.verbose && shared.hook.is_some();
        if verbose {
            super::verbose::request_head(
                &shared.hook,
                req,
                &shared.default_headers,
                via,
                turn.number,
            );
        }
        match exchange(&mut conn, req, via, &shared.default_headers, deadline).await {
            Ok(head) => {
                if verbose {
                    super::verbose::response_head(&shared.hook, req, &head, turn.number);
                }
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
                Err(Failed {
                    error,
                    progress: conn.progress(),
                    reused,
                })
            }
        }
    }

    /// A new connection for `url`: to the origin, or to `proxy` (with a
    /// CONNECT tunnel through it for an `https://` URL, or for any URL if
    /// `tunnel_always`). TLS always goes to the origin, checked against
    /// the origin's name.
    pub(crate) async fn connect(
        &self,
        url: &Url,
        proxy: Option<&Endpoint>,
        tunnel_always: bool,
        deadline: &Deadline,
    ) -> Result<(Box<Conn>, Timings), Error> {
        let (tcp, remote, times) = match proxy {
            None => {
                let (host, port) = (url.host(), url.effective_port());
                let dialer = &self.shared.dialer;
                tcp::connect(&host, port, url.port().is_some(), dialer, deadline).await?
            }
            Some(p) => tcp::connect(&p.host, p.port, true, &self.shared.dialer, deadline)
                .await
                .map_err(|e| p.name_in(e))?,
        };
        let mut tcp = tcp;
        if let Some(p) = proxy.filter(|_| tunnel_always || url.scheme() == Scheme::Https) {
            tcp = self.tunnel(tcp, remote, p, url, deadline).await?;
        }
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
                            .map_err(|e| crate::transport::io_error(Phase::Tls, e))
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
            Box::new(Conn::new(stream, remote, self.shared.limits.clone())),
            timings,
        ))
    }
}

impl Client {
    /// Asks `proxy` (connected on `tcp`) for a tunnel to `url`'s host and
    /// port (RFC 9110 §9.3.6). The CONNECT carries only what the proxy
    /// needs: `Host` (RFC 9112 §3.2.3: the same authority as the target),
    /// the client's `User-Agent` (some proxies filter on it) and the
    /// proxy's `Proxy-Authorization`. Never the request's headers: its
    /// `Authorization` is for the origin, and goes inside the tunnel.
    ///
    /// The exchange runs under its own connect budget and the total
    /// deadline: a proxy that never answers times out in the connect
    /// phase, which the retry policy treats as a connect timeout (nothing
    /// reached the origin).
    async fn tunnel(
        &self,
        tcp: tokio::net::TcpStream,
        remote: std::net::SocketAddr,
        proxy: &Endpoint,
        url: &Url,
        deadline: &Deadline,
    ) -> Result<tokio::net::TcpStream, Error> {
        let mut conn = Conn::new(Stream::Tcp(tcp), remote, self.shared.limits.clone());
        conn.prepare_request("CONNECT", |buf| {
            connect_head(url, proxy, &self.shared.default_headers, buf)
        })?;
        let head = conn
            .open_tunnel(deadline)
            .await
            .map_err(|e| proxy.name_in(e))?;
        if !(200..300).contains(&head.status) {
            return Err(Error::new(Kind::Proxy {
                status: head.status,
            })
            .with_phase(Phase::Connect)
            .with_source(format!("proxy {}", proxy.authority)));
        }
        match conn.into_tunnel()? {
            Stream::Tcp(tcp) => Ok(tcp),
            #[cfg(feature = "tls")]
            Stream::Tls(_) => unreachable!("the tunnel was opened on plain TCP"),
        }
    }
}

/// The CONNECT request head for `url` through `proxy`. The target is in
/// authority form, always with the port (RFC 9112 §3.2.3), an IPv6 host
/// with its brackets. The user agent was validated with the request's
/// head (it is one of the client's defaults).
fn connect_head(
    url: &Url,
    proxy: &Endpoint,
    defaults: &HeaderDefaults,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let authority = format!("{}:{}", url.host_text(), url.effective_port());
    let ua = defaults
        .fields
        .get("user-agent")
        .map(|v| ("User-Agent".as_bytes(), v.as_bytes()));
    let auth = proxy
        .auth
        .as_ref()
        .map(|v| ("Proxy-Authorization".as_bytes(), v.as_bytes()));
    let head = h1::RequestHead {
        method: "CONNECT",
        target: &authority,
        host: &authority,
        headers: ua.into_iter().chain(auth),
        body: h1::BodyFraming::None,
    };
    h1::encode_request_head(&head, out)?;
    Ok(())
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
            // (Only a zero-length body gets here: otherwise the last piece
            // is checked before it is written, below.)
            Some(0) => {
                if has_more(reader).await {
                    return Err(SendFailure::Body(too_long()));
                }
                conn.flush(deadline).await?;
                return Ok(Sent::All);
            }
            Some(n) => chunk.len().min(usize::try_from(n).unwrap_or(usize::MAX)),
            None => chunk.len(),
        };
        let n = read_piece(reader, &mut chunk[..want], deadline).await?;
        let out = match left.as_mut() {
            Some(_) if n == 0 => {
                return Err(SendFailure::Body(body_length_error(
                    "the body stream ended before its declared length",
                )))
            }
            Some(left) => {
                *left -= n as u64;
                // The last piece waits until the reader is known to end
                // here: a reader longer than declared fails the request
                // while the server still holds an incomplete one, never a
                // complete request the caller is told failed.
                if *left == 0 && has_more(reader).await {
                    return Err(SendFailure::Body(too_long()));
                }
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
        if n == 0 || left == Some(0) {
            conn.flush(deadline).await?;
            return Ok(Sent::All);
        }
    }
}

/// The next piece of the caller's body stream, within the write budget.
/// The caller's stream failing is the caller's error, not the
/// connection's: no answer is looked for.
async fn read_piece(
    reader: &mut (dyn AsyncRead + Send + Unpin),
    into: &mut [u8],
    deadline: &Deadline,
) -> Result<usize, SendFailure> {
    let read = async { reader.read(into).await.map_err(Error::request_body) };
    deadline.run(Phase::Write, read).await.map_err(|e| {
        // A reader that gives nothing within the write budget is the
        // caller's stall, not the server's: a body error, which the host's
        // circuit breaker does not count.
        if e.is_timeout() && !e.is_total_timeout() {
            SendFailure::Body(Error::request_body(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request body stream gave no bytes within the write budget",
            )))
        } else {
            SendFailure::Body(e)
        }
    })
}

/// Whether `reader` has a byte ready now, past the declared length. Only
/// what is ready is looked at: a stream that stays open is not waited on.
async fn has_more(reader: &mut (dyn AsyncRead + Send + Unpin)) -> bool {
    let mut probe = [0u8; 1];
    let mut probe = ReadBuf::new(&mut probe);
    let more =
        std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *reader).poll_read(cx, &mut probe)))
            .await;
    matches!(more, Poll::Ready(Ok(()))) && !probe.filled().is_empty()
}

fn too_long() -> Error {
    body_length_error("the body stream has more bytes than its declared length")
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

/// Writes the request: the head and a small body in one write, a larger
/// or streamed body after it, watching for an early answer.
async fn send_request(
    conn: &mut Conn,
    req: &mut Request,
    via: Via<'_>,
    defaults: &HeaderDefaults,
    deadline: &Deadline,
) -> Result<Sent, SendFailure> {
    conn.prepare_request(req.method.as_str(), |buf| {
        req.encode_head(defaults, via, buf);
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
    via: Via<'_>,
    defaults: &HeaderDefaults,
    deadline: &Deadline,
) -> Result<ResponseHead, Error> {
    match send_request(conn, req, via, defaults, deadline).await {
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
        return Err(Error::unexpected(
            Phase::ReadHead,
            Unexpected::UnsolicitedSwitch,
        ));
    }
    Ok(head)
}

#[cfg(test)]
mod tests {
    use super::*;
    fn map(pairs: &[(&'static str, &'static str)]) -> crate::header::HeaderMap {
        let mut m = crate::header::HeaderMap::new();
        for (n, v) in pairs {
            m.append(*n, crate::header::HeaderValue::from_static(v));
        }
        m
    }

    fn head(via: Via<'_>) -> String {
        let mut req = Request::new(
            crate::Method::GET,
            Url::parse("http://origin.example/p?q").unwrap(),
        );
        req.headers = map(&[
            ("Authorization", "Bearer origin"),
            ("Proxy-Authorization", "Basic caller"),
        ]);
        let defaults = HeaderDefaults {
            fields: map(&[("Proxy-Authorization", "Basic default")]),
            sensitive: Vec::new(),
            accept_encoding: None,
            title_case: false,
        };
        let mut out = Vec::new();
        req.encode_head(&defaults, via, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn proxy_authorization_never_goes_into_a_tunnel() {
        let h = head(Via::Tunnel);
        assert!(h.starts_with("GET /p?q HTTP/1.1\r\n"), "{h}");
        assert!(
            !h.to_ascii_lowercase().contains("proxy-authorization"),
            "{h}"
        );
        assert!(h.contains("Authorization: Bearer origin\r\n"), "{h}");
    }

    #[test]
    fn a_plain_proxy_gets_absolute_form_and_one_proxy_authorization() {
        let proxy = crate::header::HeaderValue::from_static("Basic proxy");
        let h = head(Via::Proxy { auth: Some(&proxy) });
        assert!(
            h.starts_with("GET http://origin.example/p?q HTTP/1.1\r\nHost: origin.example\r\n"),
            "{h}"
        );
        assert_eq!(
            h.to_ascii_lowercase()
                .matches("proxy-authorization")
                .count(),
            1,
            "{h}"
        );
        assert!(h.contains("Proxy-Authorization: Basic proxy\r\n"), "{h}");
        // Without credentials of its own, the caller's header is for it.
        let h = head(Via::Proxy { auth: None });
        assert!(h.contains("Proxy-Authorization: Basic caller\r\n"), "{h}");
        // Direct: the request is as the caller made it.
        let h = head(Via::Direct);
        assert!(
            h.starts_with("GET /p?q HTTP/1.1\r\n") && h.contains("Basic caller"),
            "{h}"
        );
    }
}
