//! Byte streams to a server: TCP, or TLS over TCP, behind one type.
//!
//! Everything above this module sees a [`Stream`] that implements tokio's
//! `AsyncRead` and `AsyncWrite`; only `conn` drives it.

pub(crate) mod tcp;
#[cfg(feature = "tls")]
pub(crate) mod tls;
#[cfg(feature = "tls")]
pub(crate) mod tls_options;

use crate::error::{Error, Phase};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// An I/O error on a connection in `phase`, as brisk reports it: what
/// TLS said, if it said anything, classified here where TLS lives (a
/// certificate or handshake failure during the handshake, a broken
/// session after it); otherwise by the phase alone ([`Error::io`]).
pub(crate) fn io_error(phase: Phase, e: io::Error) -> Error {
    #[cfg(feature = "tls")]
    if let Some(failure) = tls::failure_of(&e, phase) {
        return Error::tls(failure, phase, e);
    }
    Error::io(phase, e)
}

/// A connection to a server, plain or encrypted.
#[derive(Debug)]
pub(crate) enum Stream {
    Tcp(TcpStream),
    #[cfg(feature = "tls")]
    Tls(Box<tls::TlsStream>),
}

impl Stream {
    /// Whether nothing has arrived on an idle connection, as far as this
    /// stream's own buffers and tokio's readiness know: polls a read once
    /// with a waker that does nothing, where `Pending` is the only healthy
    /// answer. The poll runs outside tokio's cooperative budget: a task
    /// that has used up its budget gets `Pending` from every resource,
    /// which would read as "alive" whatever the socket holds.
    ///
    /// tokio's readiness lags the kernel (it learns of bytes and FINs only
    /// when the reactor turns), so on its own this is not enough: see
    /// [`Stream::is_idle_and_open`].
    fn poll_idle(&mut self) -> bool {
        let mut byte = [0u8; 1];
        let probe = tokio::task::unconstrained(std::future::poll_fn(|cx| {
            let mut buf = ReadBuf::new(&mut byte);
            Poll::Ready(Pin::new(&mut *self).poll_read(cx, &mut buf).is_pending())
        }));
        let mut probe = std::pin::pin!(probe);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        matches!(probe.as_mut().poll(&mut cx), Poll::Ready(true))
    }

    /// Whether an idle connection can carry a request: the server has
    /// neither closed it nor sent anything unasked, and, for TLS, rustls
    /// holds no plaintext. The answer must come from the kernel, since
    /// tokio's readiness lags it (see [`Peeker`]), and one syscall asks:
    ///
    /// - With a kept second handle (`peeker`), a `recv(MSG_PEEK)` through
    ///   it, which leaves tokio's readiness as it was: the response read
    ///   that follows the request goes straight to the socket.
    /// - Else, if tokio takes the socket for readable (its readiness is
    ///   still set, as `conn` leaves it when a read fills exactly what it
    ///   asked for), the read that [`Stream::poll_idle`] polls goes to the
    ///   kernel: `WouldBlock` is the only healthy answer, a FIN reads as
    ///   0, stray bytes as bytes. (The `WouldBlock` clears tokio's
    ///   readiness, so the response is then awaited through the reactor:
    ///   one `epoll_wait` more than with a kept handle.)
    /// - Else tokio would answer `Pending` without asking: a second handle
    ///   is made for the check and closed after it. If none can be made,
    ///   the connection is not reused.
    pub(crate) fn is_idle_and_open(&mut self, peeker: &Peeker) -> bool {
        let peeked = match peeker.peek() {
            Peeked::Unknown if self.tokio_sees_readable() => return self.poll_idle(),
            Peeked::Unknown => peek_once(self.tcp()),
            peeked => peeked,
        };
        match (peeked, &mut *self) {
            (Peeked::Closed, _) => false,
            // Plain TCP: any byte is one nobody asked for.
            (Peeked::Bytes, Stream::Tcp(_)) => false,
            (Peeked::Empty, Stream::Tcp(_)) => true,
            // TLS: rustls may hold plaintext already decrypted; and bytes
            // in the kernel may be records that tokio cannot hand to
            // rustls before its reactor turns (a late ticket, an alert,
            // stale data): a connection is not reused on a guess.
            #[cfg(feature = "tls")]
            (Peeked::Bytes, Stream::Tls(_)) => false,
            // The kernel holds nothing: what is left to ask is rustls,
            // without I/O (a read through tokio here would cost a
            // syscall and clear its readiness for the response to come).
            #[cfg(feature = "tls")]
            (Peeked::Empty, Stream::Tls(tls)) => tls.holds_nothing(),
            // No handle could be made for the check (the process is out
            // of descriptors) or the peek was interrupted: tokio's
            // readiness alone could miss a FIN, so the connection is not
            // reused (a fresh one costs a connect, never a request).
            (Peeked::Unknown, _) => false,
        }
    }

    /// The TCP socket (under TLS, if any).
    pub(crate) fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Tcp(tcp) => tcp,
            #[cfg(feature = "tls")]
            Stream::Tls(tls) => tls.tcp(),
        }
    }

    /// Whether tokio's read readiness is set for the socket: asked of
    /// tokio alone, no syscall (outside the cooperative budget, as in
    /// [`Stream::poll_idle`]).
    fn tokio_sees_readable(&self) -> bool {
        let tcp = self.tcp();
        let probe = tokio::task::unconstrained(std::future::poll_fn(|cx| {
            Poll::Ready(tcp.poll_read_ready(cx).is_ready())
        }));
        let mut probe = std::pin::pin!(probe);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        matches!(probe.as_mut().poll(&mut cx), Poll::Ready(true))
    }
}

/// What the kernel holds for a socket.
enum Peeked {
    /// Nothing: the read would block.
    Empty,
    /// The peer closed (FIN), or the socket failed.
    Closed,
    /// Bytes are waiting.
    Bytes,
    /// No second handle to ask with, or the peek was interrupted.
    Unknown,
}

/// Second handles kept in this process: at most [`KEPT_LIMIT`].
static KEPT: AtomicUsize = AtomicUsize::new(0);

/// How many connections in a process keep a second handle for peeking
/// (256): enough for the pools of most programs (a hundred concurrent LLM
/// calls keep a hundred), few enough that a process holding thousands of
/// connections needs barely more than one descriptor each, as with any
/// other client. Tests lower it to reach the other paths.
pub(crate) static KEPT_LIMIT: AtomicUsize = AtomicUsize::new(256);

/// A second handle on a connection's socket, used only to peek: a
/// non-blocking `recv(MSG_PEEK)` asks the kernel directly, where tokio's
/// read readiness would answer from what its reactor last saw. That lag
/// is the gap between a response's bytes and a FIN sent a few
/// microseconds after them: a request written into it is lost.
///
/// std can peek only through a socket it owns, and brisk has no `unsafe`
/// to borrow tokio's, so the handle is a duplicate descriptor. The first
/// [`KEPT_LIMIT`] connections of the process keep theirs (one syscall a
/// reuse, and tokio's readiness untouched); the others have none, and
/// [`Stream::is_idle_and_open`] asks the kernel another way.
#[derive(Debug)]
pub(crate) struct Peeker(Option<std::net::TcpStream>);

impl Peeker {
    /// Duplicates `tcp`'s socket if fewer than [`KEPT_LIMIT`] are kept (the
    /// duplicate shares its non-blocking mode: a peek never waits).
    pub(crate) fn new(tcp: &TcpStream) -> Peeker {
        if KEPT.fetch_add(1, Ordering::Relaxed) < KEPT_LIMIT.load(Ordering::Relaxed) {
            if let Some(socket) = duplicate(tcp) {
                return Peeker(Some(socket));
            }
        }
        KEPT.fetch_sub(1, Ordering::Relaxed);
        Peeker(None)
    }

    fn peek(&self) -> Peeked {
        match &self.0 {
            Some(socket) => peek_with(socket),
            None => Peeked::Unknown,
        }
    }
}

impl Drop for Peeker {
    fn drop(&mut self) {
        if self.0.take().is_some() {
            KEPT.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// Peeks through a second handle made for this check and closed after it
/// (two more syscalls); [`Peeked::Unknown`] if none can be made.
fn peek_once(tcp: &TcpStream) -> Peeked {
    duplicate(tcp).map_or(Peeked::Unknown, |socket| peek_with(&socket))
}

fn peek_with(socket: &std::net::TcpStream) -> Peeked {
    match socket.peek(&mut [0u8; 1]) {
        Ok(0) => Peeked::Closed,
        Ok(_) => Peeked::Bytes,
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Peeked::Empty,
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Peeked::Unknown,
        Err(_) => Peeked::Closed,
    }
}

#[cfg(unix)]
fn duplicate(tcp: &TcpStream) -> Option<std::net::TcpStream> {
    use std::os::fd::AsFd;
    tcp.as_fd().try_clone_to_owned().ok().map(Into::into)
}

#[cfg(windows)]
fn duplicate(tcp: &TcpStream) -> Option<std::net::TcpStream> {
    use std::os::windows::io::AsSocket;
    tcp.as_socket().try_clone_to_owned().ok().map(Into::into)
}

#[cfg(not(any(unix, windows)))]
fn duplicate(_: &TcpStream) -> Option<std::net::TcpStream> {
    None
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    /// A header and a body in one `writev` over TCP. Over TLS the bytes
    /// are copied into records anyway, so the plain default (the first
    /// non-empty slice) is used, and [`is_write_vectored`] says so.
    ///
    /// [`is_write_vectored`]: AsyncWrite::is_write_vectored
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => {
                let buf = bufs
                    .iter()
                    .find(|b| !b.is_empty())
                    .map_or(&[][..], |b| &**b);
                Pin::new(s.as_mut()).poll_write(cx, buf)
            }
        }
    }

    fn is_write_vectored(&self) -> bool {
        matches!(self, Stream::Tcp(_))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_flush(cx),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
