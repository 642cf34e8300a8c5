//! Byte streams to a server: TCP, or TLS over TCP, behind one type.
//!
//! Everything above this module sees a [`Stream`] that implements tokio's
//! `AsyncRead` and `AsyncWrite`; only `conn` drives it.

pub(crate) mod tcp;
#[cfg(feature = "tls")]
pub(crate) mod tls;

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A connection to a server, plain or encrypted.
#[derive(Debug)]
pub(crate) enum Stream {
    Tcp(TcpStream),
    #[cfg(feature = "tls")]
    Tls(Box<tls::TlsStream>),
}

impl Stream {
    /// Whether nothing has arrived on an idle connection: the server has
    /// neither closed it nor sent anything unasked. Checked without
    /// blocking, by polling a read once with a waker that does nothing:
    /// `Pending` is the only healthy answer.
    ///
    /// The poll runs outside tokio's cooperative budget: a task that has
    /// used up its budget gets `Pending` from every resource, which would
    /// read as "alive" whatever the socket holds.
    ///
    /// This is as sound as tokio's readiness, and as cheap: tokio clears a
    /// socket's read readiness only when it saw the socket empty (a read
    /// that returned less than asked, or `WouldBlock`), and a closed peer's
    /// readiness is never cleared. So while readiness is clear the answer
    /// costs no syscall; once the reactor has seen bytes or a FIN since,
    /// the poll reads the socket and finds them.
    pub(crate) fn is_idle_and_open(&mut self) -> bool {
        let mut byte = [0u8; 1];
        let probe = tokio::task::unconstrained(std::future::poll_fn(|cx| {
            let mut buf = ReadBuf::new(&mut byte);
            Poll::Ready(Pin::new(&mut *self).poll_read(cx, &mut buf).is_pending())
        }));
        let mut probe = std::pin::pin!(probe);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        matches!(probe.as_mut().poll(&mut cx), Poll::Ready(true))
    }
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
