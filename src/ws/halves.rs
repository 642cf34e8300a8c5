//! The upgraded connection cut in two, for the reader and the writer.
//!
//! A TCP stream splits into halves that need no lock
//! ([`TcpStream::into_split`]); a TLS stream, whose reads and writes share
//! one session, is split by `tokio::io::split`, which locks it for each
//! read and write.

use crate::transport::Stream;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf, ReadHalf, WriteHalf};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

/// The reading half.
#[derive(Debug)]
pub(crate) enum ReadPart {
    Tcp(OwnedReadHalf),
    Shared(ReadHalf<Stream>),
}

/// The writing half. Dropped, a TCP half shuts the connection's sending
/// side (tokio's `OwnedWriteHalf`); the writer is dropped only with the
/// reader, when the connection is over.
#[derive(Debug)]
pub(crate) enum WritePart {
    Tcp(OwnedWriteHalf),
    Shared(WriteHalf<Stream>),
}

/// `stream` in two.
pub(crate) fn split(stream: Stream) -> (ReadPart, WritePart) {
    match stream {
        Stream::Tcp(tcp) => {
            let (read, write) = TcpStream::into_split(tcp);
            (ReadPart::Tcp(read), WritePart::Tcp(write))
        }
        #[allow(unreachable_patterns)]
        other => {
            let (read, write) = tokio::io::split(other);
            (ReadPart::Shared(read), WritePart::Shared(write))
        }
    }
}

impl AsyncRead for ReadPart {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ReadPart::Tcp(half) => Pin::new(half).poll_read(cx, buf),
            ReadPart::Shared(half) => Pin::new(half).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for WritePart {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            WritePart::Tcp(half) => Pin::new(half).poll_write(cx, buf),
            WritePart::Shared(half) => Pin::new(half).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            WritePart::Tcp(half) => Pin::new(half).poll_write_vectored(cx, bufs),
            WritePart::Shared(half) => Pin::new(half).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            WritePart::Tcp(half) => half.is_write_vectored(),
            WritePart::Shared(half) => half.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            WritePart::Tcp(half) => Pin::new(half).poll_flush(cx),
            WritePart::Shared(half) => Pin::new(half).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            WritePart::Tcp(half) => Pin::new(half).poll_shutdown(cx),
            WritePart::Shared(half) => Pin::new(half).poll_shutdown(cx),
        }
    }
}
