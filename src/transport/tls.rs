//! TLS through rustls, with our own small adapter to tokio's traits.
//!
//! rustls is itself sans-IO: a `ClientConnection` takes TLS records in
//! (`read_tls`), hands plaintext out (`reader`), takes plaintext in
//! (`writer`) and gives records out (`write_tls`). The adapter below moves
//! records between it and a `TcpStream`, turning tokio's `Poll::Pending`
//! into `io::ErrorKind::WouldBlock` for rustls and back.

use crate::error::{Phase, TlsFailure};
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore};
use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A root certificate to trust, in DER form.
///
/// ```
/// # fn main() -> Result<(), brisk::Error> {
/// let pem = b"-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
/// let certs = brisk::Certificate::from_pem_bundle(pem)?;
/// assert_eq!(certs[0].as_der(), &[0x30, 0x00]);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
}

impl Certificate {
    /// A certificate from its DER bytes.
    pub fn from_der(der: &[u8]) -> Result<Certificate, crate::error::Error> {
        if der.first() != Some(&0x30) {
            return Err(crate::error::Error::builder(
                "certificate is not der (no sequence tag)",
            ));
        }
        Ok(Certificate { der: der.to_vec() })
    }

    /// The first certificate in a PEM document.
    pub fn from_pem(pem: &[u8]) -> Result<Certificate, crate::error::Error> {
        Certificate::from_pem_bundle(pem)?
            .into_iter()
            .next()
            .ok_or_else(|| crate::error::Error::builder("no certificate in pem"))
    }

    /// Every `CERTIFICATE` block of a PEM document (other blocks, such as
    /// keys, are skipped).
    pub fn from_pem_bundle(pem: &[u8]) -> Result<Vec<Certificate>, crate::error::Error> {
        let text = std::str::from_utf8(pem)
            .map_err(|_| crate::error::Error::builder("pem is not utf-8"))?;
        let mut certs = Vec::new();
        let mut body: Option<String> = None;
        for line in text.lines().map(str::trim) {
            if line == "-----BEGIN CERTIFICATE-----" {
                body = Some(String::new());
            } else if line == "-----END CERTIFICATE-----" {
                let b64 = body
                    .take()
                    .ok_or_else(|| crate::error::Error::builder("pem end without begin"))?;
                let der = crate::base64::decode(&b64)
                    .ok_or_else(|| crate::error::Error::builder("invalid base64 in pem"))?;
                certs.push(Certificate::from_der(&der)?);
            } else if let Some(b) = body.as_mut() {
                b.push_str(line);
            }
        }
        if body.is_some() {
            return Err(crate::error::Error::builder(
                "pem certificate without end line",
            ));
        }
        Ok(certs)
    }

    /// The DER bytes.
    pub fn as_der(&self) -> &[u8] {
        &self.der
    }
}

/// Builds the client's TLS configuration: TLS 1.3 and 1.2 (or the range
/// `options` names) with the [crypto provider](crypto_provider), ALPN
/// `http/1.1`, webpki-roots unless dropped, plus `extra`; the client
/// certificate and SNI as `options` say.
pub(crate) fn config(
    builtin_roots: bool,
    extra: &[Certificate],
    options: &super::tls_options::TlsOptions,
) -> Result<Arc<ClientConfig>, crate::error::Error> {
    let mut roots = RootCertStore::empty();
    if builtin_roots {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    for cert in extra {
        roots
            .add(CertificateDer::from(cert.der.clone()))
            .map_err(crate::error::Error::builder)?;
    }
    let builder = ClientConfig::builder_with_provider(crypto_provider())
        .with_protocol_versions(&options.versions()?)
        .map_err(crate::error::Error::builder)?
        .with_root_certificates(roots);
    let mut config = match &options.identity {
        // rustls checks here that the key is one it can sign with, and
        // that it matches the certificate.
        Some(id) => builder
            .with_client_auth_cert(id.chain(), id.key())
            .map_err(crate::error::Error::builder)?,
        None => builder.with_no_client_auth(),
    };
    config.enable_sni = options.sni;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The crypto provider: the process default if the program installed one
/// (`rustls::crypto::CryptoProvider::install_default`, rustls's way to
/// choose for a whole process, which reqwest honours too), else brisk's own:
/// aws-lc-rs under the `aws-lc-rs` feature, ring otherwise.
fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    match rustls::crypto::CryptoProvider::get_default() {
        Some(installed) => Arc::clone(installed),
        None => Arc::new(built_in_provider()),
    }
}

/// aws-lc-rs's default provider, whose key exchange groups start with the
/// post-quantum hybrid X25519MLKEM768 (rustls 0.23.48 puts it first
/// unconditionally: its `prefer-post-quantum` feature is obsolete).
///
/// aws-lc sets itself up on first use (CPU features, its random
/// generator): 80 ms in a test build on the 2-core test machine. A key
/// share made once, when the first client is built, keeps that out of the
/// first request's deadline.
#[cfg(feature = "aws-lc-rs")]
fn built_in_provider() -> rustls::crypto::CryptoProvider {
    static SET_UP: std::sync::Once = std::sync::Once::new();
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    SET_UP.call_once(|| {
        if let Some(group) = provider.kx_groups.first() {
            let _ = group.start();
        }
    });
    provider
}

/// ring's provider. rustls 0.23.48 deprecates `ring::default_provider` for
/// want of post-quantum key exchange and offers no other way to name ring's
/// provider (its random source and key loader are private); rustls's
/// crate-feature default would reach the same provider, but panics when a
/// dependency also turns on rustls's aws-lc-rs. ring stays the default
/// (no C toolchain beyond ring's own, fewer crates); post-quantum key
/// exchange is what the `aws-lc-rs` feature is for.
#[cfg(not(feature = "aws-lc-rs"))]
#[allow(deprecated)]
fn built_in_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// Classifies a TLS failure carried inside an `io::Error`, by what rustls
/// said and in which phase: during the handshake, certificate problems
/// apart from the rest; after it, a broken session.
pub(crate) fn failure_of(e: &io::Error, phase: Phase) -> Option<TlsFailure> {
    use rustls::CertificateError as C;
    let tls = e.get_ref()?.downcast_ref::<rustls::Error>()?;
    // The server turned down the client's certificate, or wanted one. In
    // TLS 1.3 the server checks it after the client has finished the
    // handshake, so the alert may come with the first read: in any phase.
    if let rustls::Error::AlertReceived(alert) = tls {
        use rustls::AlertDescription as A;
        if matches!(
            alert,
            A::CertificateRequired
                | A::BadCertificate
                | A::UnsupportedCertificate
                | A::CertificateRevoked
                | A::CertificateExpired
                | A::CertificateUnknown
                | A::UnknownCA
        ) {
            return Some(TlsFailure::ClientCertificateRejected);
        }
    }
    if phase != Phase::Tls {
        // The handshake is over: whatever rustls says now (a bad record
        // MAC, an alert) is about the session, not the handshake.
        return Some(TlsFailure::Session);
    }
    Some(match tls {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => TlsFailure::UnknownIssuer,
            C::Expired | C::ExpiredContext { .. } => TlsFailure::Expired,
            C::NotValidForName | C::NotValidForNameContext { .. } => TlsFailure::NotValidForName,
            _ => TlsFailure::InvalidCertificate,
        },
        _ => TlsFailure::Handshake,
    })
}

/// TLS over TCP: a `rustls::ClientConnection` driven over a `TcpStream`.
pub(crate) struct TlsStream {
    io: TcpStream,
    tls: ClientConnection,
}

impl TlsStream {
    /// Whether rustls holds nothing for the reader: no plaintext, and no
    /// close_notify. Asks rustls alone, no I/O (records are processed as
    /// soon as they are read, so nothing waits unprocessed).
    pub(crate) fn holds_nothing(&mut self) -> bool {
        matches!(
            self.tls.reader().read(&mut [0u8; 1]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock
        )
    }

    /// The TCP socket under the TLS session.
    pub(crate) fn tcp(&self) -> &TcpStream {
        &self.io
    }
}

impl std::fmt::Debug for TlsStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsStream")
            .field("io", &self.io)
            .finish_non_exhaustive()
    }
}

/// `std::io::Read`/`Write` over a tokio socket for the duration of one
/// poll: `Pending` becomes `WouldBlock` (the waker is already registered).
struct Blocking<'a, 'b> {
    io: &'a mut TcpStream,
    cx: &'a mut Context<'b>,
}

impl Read for Blocking<'_, '_> {
    /// rustls reads into a buffer of its own size, so a read is nearly
    /// always short of it. Through `poll_read`, tokio would take a short
    /// read for a drained socket and clear its readiness, and the next
    /// response would wait for a reactor turn (an `epoll_wait`) even when
    /// its bytes are already there. So readiness is asked first
    /// (`poll_read_ready`, which also spends the task's cooperative
    /// budget, as a read would, and registers the waker when not ready),
    /// then `try_read` reads, clearing readiness only on `WouldBlock`.
    ///
    /// Two rounds at most; then `poll_read` decides (it registers the
    /// waker itself), so a socket that keeps signalling without data
    /// cannot keep this loop turning.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        for _ in 0..2 {
            match self.io.poll_read_ready(self.cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => return Err(e),
                Poll::Pending => return Err(io::ErrorKind::WouldBlock.into()),
            }
            match self.io.try_read(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                result => return result,
            }
        }
        let mut buf = ReadBuf::new(buf);
        match Pin::new(&mut *self.io).poll_read(self.cx, &mut buf) {
            Poll::Ready(Ok(())) => Ok(buf.filled().len()),
            Poll::Ready(Err(e)) => Err(e),
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl Write for Blocking<'_, '_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match Pin::new(&mut *self.io).poll_write(self.cx, buf) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn pending_on_would_block<T>(r: io::Result<T>) -> Poll<io::Result<T>> {
    match r {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Poll::Pending,
        r => Poll::Ready(r),
    }
}

fn tls_error(e: rustls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

impl TlsStream {
    /// Performs the handshake for `server_name` over `io`.
    ///
    /// Each turn of the loop either moves records or fails: the handshake
    /// cannot spin. The caller bounds it in time with the TLS budget.
    pub(crate) async fn connect(
        io: TcpStream,
        config: Arc<ClientConfig>,
        server_name: &str,
    ) -> io::Result<TlsStream> {
        let name = match server_name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
        {
            Ok(ip) => ServerName::IpAddress(ip.into()),
            Err(_) => ServerName::try_from(server_name.to_string())
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?,
        };
        let tls = ClientConnection::new(config, name).map_err(tls_error)?;
        let mut stream = TlsStream { io, tls };
        while stream.tls.is_handshaking() {
            if stream.tls.wants_write() {
                poll_fn(|cx| stream.poll_write_tls(cx)).await?;
            } else if stream.tls.wants_read() {
                let n = poll_fn(|cx| stream.poll_read_tls(cx)).await?;
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "connection closed during tls handshake",
                    ));
                }
            } else {
                return Err(io::Error::other("tls handshake stalled"));
            }
        }
        // Send what the handshake left (the client Finished message).
        while stream.tls.wants_write() {
            poll_fn(|cx| stream.poll_write_tls(cx)).await?;
        }
        Ok(stream)
    }

    /// Reads records from the socket and processes them. `Ok(0)` at EOF.
    fn poll_read_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let n = match pending_on_would_block(self.tls.read_tls(&mut Blocking {
            io: &mut self.io,
            cx,
        })) {
            Poll::Ready(r) => r?,
            Poll::Pending => return Poll::Pending,
        };
        if let Err(e) = self.tls.process_new_packets() {
            // Tell the server why (rustls queued an alert), best effort.
            let _ = self.poll_write_tls(cx);
            return Poll::Ready(Err(tls_error(e)));
        }
        Poll::Ready(Ok(n))
    }

    /// Writes queued records to the socket.
    fn poll_write_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        pending_on_would_block(self.tls.write_tls(&mut Blocking {
            io: &mut self.io,
            cx,
        }))
    }
}

impl AsyncRead for TlsStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            match this.tls.reader().read(buf.initialize_unfilled()) {
                Ok(n) => {
                    // n == 0 is a clean close: the server sent close_notify.
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                // UnexpectedEof: the socket closed without close_notify.
                Err(e) => return Poll::Ready(Err(e)),
            }
            // Post-handshake messages (tickets, key updates) may queue
            // replies; send them while we are here.
            while this.tls.wants_write() {
                match this.poll_write_tls(cx) {
                    Poll::Ready(Ok(_)) => {}
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => break,
                }
            }
            match this.poll_read_tls(cx) {
                Poll::Ready(Ok(0)) => {
                    // EOF from TCP: let the reader report clean or unclean
                    // close on the next turn (rustls now knows).
                    match this.tls.reader().read(buf.initialize_unfilled()) {
                        Ok(n) => {
                            buf.advance(n);
                            return Poll::Ready(Ok(()));
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                            return Poll::Ready(Err(io::ErrorKind::UnexpectedEof.into()))
                        }
                        Err(e) => return Poll::Ready(Err(e)),
                    }
                }
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl AsyncWrite for TlsStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        // rustls buffers a bounded amount of plaintext; push records out
        // first so that there is room.
        let mut accepted = this.tls.writer().write(buf)?;
        loop {
            while this.tls.wants_write() {
                match this.poll_write_tls(cx) {
                    Poll::Ready(Ok(_)) => {}
                    // Bytes rustls took are the caller's written bytes:
                    // report them, and let the socket's error come back on
                    // the next call. (Reporting the error now would say
                    // that nothing was written, when records may already
                    // be on the wire: a request could then be taken as
                    // never sent, and sent again.)
                    Poll::Ready(Err(_)) if accepted > 0 => return Poll::Ready(Ok(accepted)),
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending if accepted > 0 => return Poll::Ready(Ok(accepted)),
                    Poll::Pending => return Poll::Pending,
                }
            }
            if accepted > 0 || buf.is_empty() {
                return Poll::Ready(Ok(accepted));
            }
            accepted = this.tls.writer().write(buf)?;
            if accepted == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.tls.writer().flush()?;
        while this.tls.wants_write() {
            match this.poll_write_tls(cx) {
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.tls.send_close_notify();
        while this.tls.wants_write() {
            match this.poll_write_tls(cx) {
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks_other_than_certificates_are_skipped() {
        let pem = b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n\
                    -----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
        assert_eq!(Certificate::from_pem_bundle(pem).unwrap().len(), 1);
        assert!(Certificate::from_pem(b"no pem here").is_err());
        assert!(Certificate::from_pem(b"-----BEGIN CERTIFICATE-----\nMAA=\n").is_err());
    }
}
