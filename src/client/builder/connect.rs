//! The builder's TLS and connection settings, by reqwest's names.

use super::ClientBuilder;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

impl ClientBuilder {
    /// Presents `identity` (a certificate chain and its key) to servers
    /// that ask for a client certificate: mutual TLS, as enterprise
    /// gateways often require. A server that refuses it, or wants one
    /// when none is set, fails the request with
    /// [`TlsFailure::ClientCertificateRejected`](crate::TlsFailure::ClientCertificateRejected)
    /// (or answers with an HTTP error of its own: nginx sends `400`). A
    /// key that does not match the certificate makes
    /// [`build`](Self::build) fail.
    #[cfg(feature = "tls")]
    pub fn identity(mut self, identity: crate::Identity) -> Self {
        self.tls_options.identity = Some(identity);
        self
    }

    /// The oldest TLS version offered (default TLS 1.2, the oldest rustls
    /// speaks). A range with no version in it makes
    /// [`build`](Self::build) fail.
    #[cfg(feature = "tls")]
    pub fn min_tls_version(mut self, version: crate::tls::Version) -> Self {
        self.tls_options.min_version = Some(version);
        self
    }

    /// The newest TLS version offered (default TLS 1.3).
    #[cfg(feature = "tls")]
    pub fn max_tls_version(mut self, version: crate::tls::Version) -> Self {
        self.tls_options.max_version = Some(version);
        self
    }

    /// Whether the server's name goes out in the handshake (SNI, RFC 6066
    /// §3; default true). Off, a server that hosts several names answers
    /// with its default certificate; the certificate is still checked
    /// against the URL's host.
    #[cfg(feature = "tls")]
    pub fn tls_sni(mut self, on: bool) -> Self {
        self.tls_options.sni = on;
        self
    }

    /// Connects to `addr` for the host `domain` instead of asking DNS, as
    /// reqwest's `resolve`. Only where the connection goes changes: the
    /// `Host` header, SNI and the certificate check all keep the URL's
    /// name. The URL's port is used when it names one; otherwise `addr`'s,
    /// or the scheme's when `addr`'s is 0. Names match without regard to
    /// case; a later call for the same name replaces the earlier.
    ///
    /// ```
    /// let client = brisk::Client::builder()
    ///     .resolve("api.internal.example", "10.0.0.7:443".parse().unwrap())
    ///     .build()?;
    /// # Ok::<(), brisk::Error>(())
    /// ```
    pub fn resolve(self, domain: &str, addr: SocketAddr) -> Self {
        self.resolve_to_addrs(domain, &[addr])
    }

    /// [`resolve`](Self::resolve) to several addresses, tried as DNS's
    /// would be (Happy Eyeballs, IPv6 and IPv4 alternating). An empty list
    /// fails every request to `domain` with a DNS-phase connect error.
    pub fn resolve_to_addrs(mut self, domain: &str, addrs: &[SocketAddr]) -> Self {
        let name = domain.trim_end_matches('.').to_ascii_lowercase();
        self.dialer.overrides.insert(name, addrs.to_vec());
        self
    }

    /// Connects from this local address (the OS picks the port), as
    /// reqwest's `local_address`. Only the server's addresses of the same
    /// family are tried; a host with none fails to connect. `None` (the
    /// default) lets the OS choose.
    pub fn local_address(mut self, addr: impl Into<Option<IpAddr>>) -> Self {
        self.dialer.socket.local_address = addr.into();
        self
    }

    /// Turns TCP keep-alive (`SO_KEEPALIVE`) on for every connection
    /// (`Some`), or leaves it off (`None`, the default), as reqwest's
    /// `tcp_keepalive`. The duration is not applied: tokio can turn
    /// keep-alive on but not set how long a connection idles before the
    /// first probe, which stays the operating system's (Linux:
    /// `net.ipv4.tcp_keepalive_time`, 2 hours unless changed). Setting it
    /// needs the socket2 crate, outside brisk's footprint.
    pub fn tcp_keepalive(mut self, idle: impl Into<Option<Duration>>) -> Self {
        self.dialer.socket.keepalive = idle.into().is_some();
        self
    }

    /// `TCP_NODELAY` on every connection (default true, as in reqwest):
    /// a request goes out at once rather than waiting on Nagle's
    /// algorithm.
    pub fn tcp_nodelay(mut self, on: bool) -> Self {
        self.dialer.socket.nodelay = on;
        self
    }
}
