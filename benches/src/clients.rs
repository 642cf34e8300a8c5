//! The contenders, behind one small trait so every workload runs the same
//! code for each of them.
//!
//! Each client is used the way its documentation suggests:
//!
//! - `reqwest`: `reqwest::Client` (rustls, no proxy), `get(&str).send()`,
//!   `bytes()`. Parses the URL string on every request. Streamed:
//!   `resp.chunk()` until `None`.
//! - `hyper`: `hyper_util::client::legacy::Client` over `HttpConnector`
//!   (nodelay on), a pre-parsed `Uri` cloned per request, body collected
//!   with `http_body_util`. Streamed: `BodyExt::frame()` until `None`. Over
//!   TLS with reuse (`tls-seq`, `tls-c100`) the same pooled client over a
//!   `hyper_rustls::HttpsConnector`; for `tls-new-conn` a fresh
//!   `hyper::client::conn::http1` connection over tokio-rustls per request,
//!   which is what hyper-rustls does underneath.
//! - `raw`: the floor. A fixed request written to a raw `TcpStream` (or
//!   tokio-rustls stream), and the reply skipped by its length, learnt once
//!   from a first full response. No parsing, no allocation per request in
//!   its own code. Streamed: read into the caller's buffer until the learnt
//!   length is consumed.
//! - `raw-peek`: the safe floor. `raw`, plus the one check a client that
//!   reuses connections safely cannot skip: before each reuse, one
//!   non-blocking `MSG_PEEK` (`recv` of one byte on the socket, which tokio
//!   keeps non-blocking; brisk's pool makes the same call on a duplicate
//!   of it) asks the kernel whether the idle connection is still clean;
//!   one that has bytes or an EOF waiting is dropped and a new one made.
//! - `brisk`: in [`crate::brisk_client`], behind the `brisk-client` feature.
//!
//! Every TLS client trusts exactly the server's self-signed certificate and
//! builds its TLS configuration when the client is built: a new client per
//! request therefore means a full handshake every time, no session
//! resumption, for all of them alike.

use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Errors from any client, boxed.
pub type BoxError = Box<dyn std::error::Error>;

/// What a workload asks for.
#[derive(Clone, Debug)]
pub struct Target {
    /// The server's loopback address.
    pub addr: SocketAddr,
    /// Whether the server speaks TLS (then the URL names `localhost`).
    pub tls: bool,
    /// Path and query, e.g. `/1m`.
    pub path: String,
    /// The full URL, e.g. `http://127.0.0.1:8080/1m`.
    pub url: String,
    /// The same URL, parsed once for hyper.
    pub uri: hyper::Uri,
}

impl Target {
    /// The target for `path` on the server at `addr`.
    pub fn new(addr: SocketAddr, tls: bool, path: &str) -> Result<Self, BoxError> {
        let url = match tls {
            false => format!("http://{addr}{path}"),
            true => format!("https://localhost:{}{path}", addr.port()),
        };
        Ok(Target {
            addr,
            tls,
            path: path.to_string(),
            uri: url.parse()?,
            url,
        })
    }
}

/// How to build a client.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Idle connections kept per host.
    pub pool_max_idle_per_host: usize,
    /// The one root certificate (DER) to trust, for TLS targets.
    pub root_der: Option<Vec<u8>>,
    /// Over TLS, whether hyper uses its pooled client (through
    /// hyper-rustls) rather than a new connection per request. On for the
    /// workloads that reuse connections (`tls-seq`, `tls-c100`); off for
    /// `tls-new-conn`, whose figures stay comparable with earlier runs.
    pub pooled_tls: bool,
}

/// One HTTP client under test.
#[allow(async_fn_in_trait)] // used with spawn_local on one thread only
pub trait BenchClient {
    /// One `GET` of the target: checks the status is 200, reads the whole
    /// body, and returns its length.
    async fn get(&self, target: &Target) -> Result<usize, BoxError>;

    /// One `GET` of the target read through the client's streaming API:
    /// checks the status is 200, then takes the body piece by piece,
    /// counting and discarding it, and returns its length. `buf` is the
    /// caller's reusable buffer, for the clients that read into one (brisk,
    /// raw); reqwest and hyper hand out pieces of their own, which are
    /// counted and dropped without a copy.
    async fn stream(&self, target: &Target, buf: &mut [u8]) -> Result<u64, BoxError>;

    /// Connections the client says it opened, when it keeps count.
    fn connections_opened(&self) -> Option<u64> {
        None
    }
}

fn check_status(status: u16) -> Result<(), BoxError> {
    match status {
        200 => Ok(()),
        s => Err(format!("unexpected status {s}").into()),
    }
}

/// A rustls client configuration trusting only `root_der`, ring provider.
pub fn tls_config(root_der: &[u8]) -> Result<Arc<rustls::ClientConfig>, BoxError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(rustls::pki_types::CertificateDer::from(root_der.to_vec()))?;
    // ring, as brisk uses by default (rustls 0.23.48 deprecates its provider
    // for want of post-quantum key exchange).
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

fn root_config(options: &Options) -> Result<Arc<rustls::ClientConfig>, BoxError> {
    let der = options
        .root_der
        .as_deref()
        .ok_or("a TLS target needs the server's certificate (--cert)")?;
    tls_config(der)
}

// ---------------------------------------------------------------- reqwest

/// `reqwest::Client` with rustls.
pub struct Reqwest(reqwest::Client);

impl Reqwest {
    /// Builds the client.
    pub fn new(options: &Options) -> Result<Self, BoxError> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .no_proxy()
            .pool_max_idle_per_host(options.pool_max_idle_per_host);
        if let Some(der) = &options.root_der {
            builder = builder
                .tls_built_in_root_certs(false)
                .add_root_certificate(reqwest::Certificate::from_der(der)?);
        }
        Ok(Reqwest(builder.build()?))
    }
}

impl BenchClient for Reqwest {
    async fn get(&self, target: &Target) -> Result<usize, BoxError> {
        let resp = self.0.get(&target.url).send().await?;
        check_status(resp.status().as_u16())?;
        Ok(resp.bytes().await?.len())
    }

    async fn stream(&self, target: &Target, _buf: &mut [u8]) -> Result<u64, BoxError> {
        let mut resp = self.0.get(&target.url).send().await?;
        check_status(resp.status().as_u16())?;
        let mut n = 0u64;
        while let Some(chunk) = resp.chunk().await? {
            n += chunk.len() as u64;
        }
        Ok(n)
    }
}

// ---------------------------------------------------------------- hyper

type Legacy<C> = hyper_util::client::legacy::Client<C, Empty<Bytes>>;

/// hyper 1.x: the hyper-util legacy (pooled) client over plain TCP, or over
/// TLS through hyper-rustls; or, over TLS, a new
/// `hyper::client::conn::http1` connection per request.
pub enum Hyper {
    /// Pooled, plain TCP.
    Pooled(Legacy<HttpConnector>),
    /// Pooled, TLS through hyper-rustls.
    PooledTls(Legacy<HttpsConnector<HttpConnector>>),
    /// A new TLS connection for every request.
    TlsPerRequest(tokio_rustls::TlsConnector),
}

impl Hyper {
    /// Builds the client for `target`'s scheme.
    pub fn new(target: &Target, options: &Options) -> Result<Self, BoxError> {
        if target.tls && !options.pooled_tls {
            return Ok(Hyper::TlsPerRequest(root_config(options)?.into()));
        }
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        let mut builder = hyper_util::client::legacy::Client::builder(TokioExecutor::new());
        builder.pool_max_idle_per_host(options.pool_max_idle_per_host);
        if !target.tls {
            return Ok(Hyper::Pooled(builder.build(http)));
        }
        // The connector hands `https` URIs to the TCP connector, which
        // refuses them unless told not to.
        http.enforce_http(false);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(root_config(options)?.as_ref().clone())
            .https_only()
            .enable_http1()
            .wrap_connector(http);
        Ok(Hyper::PooledTls(builder.build(https)))
    }

    async fn send(&self, target: &Target) -> Result<hyper::Response<Incoming>, BoxError> {
        Ok(match self {
            Hyper::Pooled(client) => {
                let req = hyper::Request::get(target.uri.clone()).body(Empty::<Bytes>::new())?;
                client.request(req).await?
            }
            Hyper::PooledTls(client) => {
                let req = hyper::Request::get(target.uri.clone()).body(Empty::<Bytes>::new())?;
                client.request(req).await?
            }
            Hyper::TlsPerRequest(connector) => {
                let tcp = TcpStream::connect(target.addr).await?;
                tcp.set_nodelay(true)?;
                let name = rustls::pki_types::ServerName::try_from("localhost")?;
                let tls = connector.connect(name, tcp).await?;
                let (mut sender, conn) =
                    hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
                tokio::task::spawn_local(conn);
                let req = hyper::Request::get(target.path.as_str())
                    .header(hyper::header::HOST, "localhost")
                    .body(Empty::<Bytes>::new())?;
                sender.send_request(req).await?
            }
        })
    }
}

impl BenchClient for Hyper {
    async fn get(&self, target: &Target) -> Result<usize, BoxError> {
        let resp = self.send(target).await?;
        check_status(resp.status().as_u16())?;
        Ok(resp.into_body().collect().await?.to_bytes().len())
    }

    async fn stream(&self, target: &Target, _buf: &mut [u8]) -> Result<u64, BoxError> {
        let resp = self.send(target).await?;
        check_status(resp.status().as_u16())?;
        let mut body = resp.into_body();
        let mut n = 0u64;
        while let Some(frame) = body.frame().await {
            if let Some(data) = frame?.data_ref() {
                n += data.len() as u64;
            }
        }
        Ok(n)
    }
}

// ---------------------------------------------------------------- raw

enum RawStream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl RawStream {
    async fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            RawStream::Plain(s) => s.write_all(bytes).await,
            RawStream::Tls(s) => {
                s.write_all(bytes).await?;
                s.flush().await
            }
        }
    }

    async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = match self {
            RawStream::Plain(s) => s.read(buf).await?,
            RawStream::Tls(s) => s.read(buf).await?,
        };
        match n {
            0 => Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => Ok(n),
        }
    }
}

struct RawConn {
    stream: RawStream,
    scratch: Box<[u8]>,
}

impl RawConn {
    /// Whether nothing has arrived on the idle connection: one `recv(1,
    /// MSG_PEEK)` on the TCP socket (under TLS too) that must find nothing
    /// to read (`WouldBlock`).
    fn is_clean(&self) -> bool {
        let tcp = match &self.stream {
            RawStream::Plain(s) => s,
            RawStream::Tls(s) => s.get_ref().0,
        };
        let mut byte = [std::mem::MaybeUninit::uninit(); 1];
        matches!(
            socket2::SockRef::from(tcp).peek(&mut byte),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock
        )
    }
}

/// The floor: a fixed request, a reply skipped by its known length.
///
/// Keeps its own stack of idle connections, so concurrent tasks sharing one
/// `Raw` each get a connection of their own, as with a pooled client.
pub struct Raw {
    request: Vec<u8>,
    /// Peek before each reuse (`raw-peek`).
    peek: bool,
    tls: Option<tokio_rustls::TlsConnector>,
    idle: RefCell<Vec<RawConn>>,
    /// (whole reply, body) in bytes; (0, 0) until learnt.
    reply_len: Cell<(usize, usize)>,
    opened: Cell<u64>,
}

/// Reply lengths learnt so far, by path, shared by every `Raw` in the
/// process so a new client per request does not re-learn them.
static REPLY_LENS: Mutex<Vec<(String, (usize, usize))>> = Mutex::new(Vec::new());

impl Raw {
    /// A client sending `GET <target.path> HTTP/1.1` with `Host: x`; with
    /// `peek`, checking each idle connection before reusing it.
    pub fn new(target: &Target, options: &Options, peek: bool) -> Result<Self, BoxError> {
        let tls = match target.tls {
            true => Some(root_config(options)?.into()),
            false => None,
        };
        let known = REPLY_LENS
            .lock()
            .map_err(|_| "poisoned")?
            .iter()
            .find(|(p, _)| *p == target.path)
            .map_or((0, 0), |&(_, n)| n);
        Ok(Raw {
            request: format!("GET {} HTTP/1.1\r\nHost: x\r\n\r\n", target.path).into_bytes(),
            peek,
            tls,
            idle: RefCell::new(Vec::new()),
            reply_len: Cell::new(known),
            opened: Cell::new(0),
        })
    }

    async fn connect(&self, target: &Target) -> Result<RawConn, BoxError> {
        let tcp = TcpStream::connect(target.addr).await?;
        tcp.set_nodelay(true)?;
        let stream = match &self.tls {
            None => RawStream::Plain(tcp),
            Some(connector) => {
                let name = rustls::pki_types::ServerName::try_from("localhost")?;
                RawStream::Tls(Box::new(connector.connect(name, tcp).await?))
            }
        };
        self.opened.set(self.opened.get() + 1);
        // A reply is skipped through this buffer: 64 KiB reads for big
        // bodies, no more than one reply's worth for small ones (so 1,000
        // idle connections do not cost 64 MiB of RSS).
        let (known, _) = self.reply_len.get();
        let size = match known {
            0 => 64 * 1024,
            n => n.min(64 * 1024),
        };
        Ok(RawConn {
            stream,
            scratch: vec![0; size].into_boxed_slice(),
        })
    }

    /// Reads one whole response the slow way and returns its length and its
    /// body's: head up to the blank line, then `Content-Length` bytes.
    async fn learn(conn: &mut RawConn) -> Result<(usize, usize), BoxError> {
        let mut seen = Vec::new();
        let head_len = loop {
            let n = conn.stream.read(&mut conn.scratch).await?;
            seen.extend_from_slice(&conn.scratch[..n]);
            if let Some(i) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
        };
        let head = std::str::from_utf8(&seen[..head_len])?;
        let body_len: usize = head
            .split("\r\n")
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .ok_or("raw client: reply without Content-Length")?;
        let total = head_len + body_len;
        let mut have = seen.len();
        while have < total {
            have += conn.stream.read(&mut conn.scratch).await?;
        }
        if have != total || !head.starts_with("HTTP/1.1 200 ") {
            return Err(format!("raw client: unexpected reply: {head:?}").into());
        }
        Ok((total, body_len))
    }
}

impl Raw {
    /// One request: a connection from the stack (or a new one), the fixed
    /// request written, and the reply skipped through `buf` (the
    /// connection's own scratch buffer when `None`).
    async fn exchange(&self, target: &Target, buf: Option<&mut [u8]>) -> Result<usize, BoxError> {
        let popped = self.idle.borrow_mut().pop();
        let mut conn = match popped {
            Some(c) if !self.peek || c.is_clean() => c,
            _ => self.connect(target).await?,
        };
        conn.stream.write_all(&self.request).await?;
        let (mut left, _) = self.reply_len.get();
        if left == 0 {
            let lens = Raw::learn(&mut conn).await?;
            self.reply_len.set(lens);
            REPLY_LENS
                .lock()
                .map_err(|_| "poisoned")?
                .push((target.path.clone(), lens));
        } else {
            let buf = match buf {
                Some(b) if !b.is_empty() => b,
                _ => &mut conn.scratch[..],
            };
            while left > 0 {
                let cap = left.min(buf.len());
                left -= conn.stream.read(&mut buf[..cap]).await?;
            }
        }
        self.idle.borrow_mut().push(conn);
        Ok(self.reply_len.get().1)
    }
}

impl BenchClient for Raw {
    async fn get(&self, target: &Target) -> Result<usize, BoxError> {
        self.exchange(target, None).await
    }

    async fn stream(&self, target: &Target, buf: &mut [u8]) -> Result<u64, BoxError> {
        Ok(self.exchange(target, Some(buf)).await? as u64)
    }

    fn connections_opened(&self) -> Option<u64> {
        Some(self.opened.get())
    }
}

// ---------------------------------------------------------------- any

/// The client chosen on the command line.
pub enum AnyClient {
    /// reqwest.
    Reqwest(Reqwest),
    /// hyper.
    Hyper(Hyper),
    /// The raw floor, with or without the liveness peek.
    Raw(Raw),
    /// brisk.
    #[cfg(feature = "brisk-client")]
    Brisk(crate::brisk_client::Brisk),
}

/// The client names `--client` accepts.
pub const CLIENTS: &[&str] = &["brisk", "reqwest", "hyper", "raw", "raw-peek"];

impl AnyClient {
    /// Builds the client named `name` for `target`.
    pub fn build(name: &str, target: &Target, options: &Options) -> Result<Self, BoxError> {
        Ok(match name {
            "reqwest" => AnyClient::Reqwest(Reqwest::new(options)?),
            "hyper" => AnyClient::Hyper(Hyper::new(target, options)?),
            "raw" => AnyClient::Raw(Raw::new(target, options, false)?),
            "raw-peek" => AnyClient::Raw(Raw::new(target, options, true)?),
            #[cfg(feature = "brisk-client")]
            "brisk" => AnyClient::Brisk(crate::brisk_client::Brisk::new(options)?),
            #[cfg(not(feature = "brisk-client"))]
            "brisk" => return Err("built without the `brisk-client` feature".into()),
            other => return Err(format!("unknown client {other:?}; one of {CLIENTS:?}").into()),
        })
    }
}

impl BenchClient for AnyClient {
    async fn get(&self, target: &Target) -> Result<usize, BoxError> {
        match self {
            AnyClient::Reqwest(c) => c.get(target).await,
            AnyClient::Hyper(c) => c.get(target).await,
            AnyClient::Raw(c) => c.get(target).await,
            #[cfg(feature = "brisk-client")]
            AnyClient::Brisk(c) => c.get(target).await,
        }
    }

    async fn stream(&self, target: &Target, buf: &mut [u8]) -> Result<u64, BoxError> {
        match self {
            AnyClient::Reqwest(c) => c.stream(target, buf).await,
            AnyClient::Hyper(c) => c.stream(target, buf).await,
            AnyClient::Raw(c) => c.stream(target, buf).await,
            #[cfg(feature = "brisk-client")]
            AnyClient::Brisk(c) => c.stream(target, buf).await,
        }
    }

    fn connections_opened(&self) -> Option<u64> {
        match self {
            AnyClient::Reqwest(c) => c.connections_opened(),
            AnyClient::Hyper(c) => c.connections_opened(),
            AnyClient::Raw(c) => c.connections_opened(),
            #[cfg(feature = "brisk-client")]
            AnyClient::Brisk(c) => c.connections_opened(),
        }
    }
}
