//! A fault-injecting HTTP/1.1 server on loopback, plain or over TLS.
//!
//! Each accepted connection follows a *plan*: an iterator of [`Fault`]s,
//! one per request it reads (a plan step may also strike before a request
//! is read, as [`Fault::Reset`] does). A test scripts one connection
//! exactly ("answer, then hang up on the next request"); the soak draws
//! faults at random for ever. When a plan runs out, the connection closes.
//!
//! The server is std threads with blocking I/O, a thread per connection:
//! it shares no runtime with the client under test, so a client that
//! blocks its runtime stalls only itself. TLS is rustls's
//! own blocking `StreamOwned`; plain and TLS take one code path, a boxed
//! [`Wire`]. Dropping the server shuts every connection down and joins
//! every thread, so that counting file descriptors afterwards counts only
//! the client's.
//!
//! Requests are read by Content-Length only (the tests never send chunked
//! bodies to it).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// What the server does at one step of a connection's plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// No fault: read the request, answer 200 with [`body_for`] its path
    /// and an `X-Checksum` header, keep the connection.
    None,
    /// Reset the connection (SO_LINGER 0, then close) before reading
    /// anything: on a new connection a reset on accept (before the TLS
    /// handshake), on a pooled one a reset while it is idle.
    Reset,
    /// Read the first bytes of the request, then reset.
    ResetMidRequest,
    /// Read the request, then close without a byte of answer.
    Hangup,
    /// Read the request, send a head announcing a 100-byte body, close.
    CloseAfterHead,
    /// Send the head and 50 of the 100 bytes it announces, close.
    ShortBody,
    /// As [`Fault::ShortBody`], but the connection is dropped without a
    /// TLS `close_notify` (a crashed server, a proxy timing out). Over
    /// plain TCP the same as `ShortBody`.
    Truncate,
    /// A chunked body: one whole chunk, half of the next, close.
    ChunkedCut,
    /// The whole response, one byte every 100 ms.
    DripHead,
    /// The head at once, then a 1,000-byte body one byte every 100 ms.
    DripBody,
    /// Read the request, never answer; hold the connection until the
    /// client closes it.
    Silent,
    /// Answer bytes that are not HTTP, then hold the connection.
    Garbage,
    /// `100 Continue` heads without end.
    Endless1xx,
    /// A head with a 1 MiB header field.
    HugeHeader,
    /// Read the request head but never its body, and never answer.
    StopReading,
    /// `503` with `Retry-After: 1`: a complete keep-alive response.
    Unavailable,
    /// Answer as [`Fault::None`] does (no `Connection: close`), then close
    /// at once: the FIN travels with the response.
    CloseAfterResponse,
    /// Answer as [`Fault::None`] does, then close 50 ms later, while the
    /// connection sits idle in the client's pool.
    CloseWhenIdle,
}

impl Fault {
    /// A short kebab-case name, for tables.
    pub fn name(self) -> &'static str {
        match self {
            Fault::None => "none",
            Fault::Reset => "reset",
            Fault::ResetMidRequest => "reset-mid-request",
            Fault::Hangup => "hangup",
            Fault::CloseAfterHead => "close-after-head",
            Fault::ShortBody => "short-body",
            Fault::Truncate => "truncate",
            Fault::ChunkedCut => "chunked-cut",
            Fault::DripHead => "drip-head",
            Fault::DripBody => "drip-body",
            Fault::Silent => "silent",
            Fault::Garbage => "garbage",
            Fault::Endless1xx => "endless-1xx",
            Fault::HugeHeader => "huge-header",
            Fault::StopReading => "stop-reading",
            Fault::Unavailable => "503-retry-after",
            Fault::CloseAfterResponse => "close-after-response",
            Fault::CloseWhenIdle => "close-when-idle",
        }
    }
}

/// What a connection does, step by step.
pub type Plan = Box<dyn Iterator<Item = Fault> + Send>;

/// How connections are served.
#[derive(Clone)]
pub enum Mode {
    Plain,
    #[cfg(feature = "tls")]
    Tls(Arc<rustls::ServerConfig>),
}

/// A running fault server; dropping it closes every connection and joins
/// every thread.
pub struct FaultServer {
    pub addr: SocketAddr,
    scheme: &'static str,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

struct Shared {
    stop: AtomicBool,
    accepted: AtomicUsize,
    requests: AtomicUsize,
    /// Faults applied so far, by kind ([`Fault::None`] is not counted).
    applied: Mutex<HashMap<Fault, usize>>,
    /// Live connections by index: a handle on the socket (to shut it down
    /// from outside) and the thread serving it.
    live: Mutex<HashMap<usize, (TcpStream, JoinHandle<()>)>>,
}

impl Shared {
    fn applying(&self, fault: Fault) {
        if fault != Fault::None {
            *lock(&self.applied).entry(fault).or_default() += 1;
        }
    }

    /// Sleeps for `d` unless the server stops first; false if it did.
    fn pause(&self, d: Duration) -> bool {
        let step = Duration::from_millis(10);
        let mut left = d;
        while !left.is_zero() {
            if self.stop.load(Ordering::SeqCst) {
                return false;
            }
            std::thread::sleep(left.min(step));
            left = left.saturating_sub(step);
        }
        !self.stop.load(Ordering::SeqCst)
    }
}

impl FaultServer {
    /// Starts a server where connection `n` (from 0) follows `plan(n)`.
    pub fn start(mode: Mode, plan: impl Fn(usize) -> Plan + Send + Sync + 'static) -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let scheme = match mode {
            Mode::Plain => "http",
            #[cfg(feature = "tls")]
            Mode::Tls(_) => "https",
        };
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            accepted: AtomicUsize::new(0),
            requests: AtomicUsize::new(0),
            applied: Mutex::new(HashMap::new()),
            live: Mutex::new(HashMap::new()),
        });
        let acceptor = {
            let shared = shared.clone();
            std::thread::spawn(move || accept_loop(listener, mode, plan, shared))
        };
        FaultServer {
            addr,
            scheme,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// Connection 0 follows `faults` and then serves without fault; every
    /// other connection serves without fault.
    pub fn first(mode: Mode, faults: &[Fault]) -> FaultServer {
        let faults = faults.to_vec();
        FaultServer::start(mode, move |n| {
            let clean = std::iter::repeat(Fault::None);
            if n == 0 {
                Box::new(faults.clone().into_iter().chain(clean))
            } else {
                Box::new(clean)
            }
        })
    }

    /// `http://127.0.0.1:PORT` (or `https://`) + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{path}", self.scheme, self.addr)
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Request heads read so far (over all connections).
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// How many times `fault` was applied: to a request that arrived, or,
    /// for the resets, to a connection.
    pub fn applied(&self, fault: Fault) -> usize {
        lock(&self.shared.applied).get(&fault).copied().unwrap_or(0)
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the acceptor blocked in accept().
        let _ = TcpStream::connect(self.addr);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        // A shut-down socket ends every blocked read and write.
        let live: Vec<_> = lock(&self.shared.live).drain().collect();
        for (_, (socket, thread)) in live {
            let _ = socket.shutdown(Shutdown::Both);
            drop(socket);
            let _ = thread.join();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A loopback address where nothing listens (its listener was closed).
pub fn refused_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

fn accept_loop(
    listener: TcpListener,
    mode: Mode,
    plan: impl Fn(usize) -> Plan,
    shared: Arc<Shared>,
) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(tcp) = stream else { continue };
        let n = shared.accepted.fetch_add(1, Ordering::SeqCst);
        tcp.set_nodelay(true).unwrap();
        let handle = tcp.try_clone().unwrap();
        let wire: Box<dyn Wire> = match &mode {
            Mode::Plain => Box::new(tcp),
            #[cfg(feature = "tls")]
            Mode::Tls(config) => {
                let conn = rustls::ServerConnection::new(config.clone()).unwrap();
                Box::new(rustls::StreamOwned::new(conn, tcp))
            }
        };
        let steps = plan(n);
        // Registered under the lock, so the thread's own removal (at its
        // end) cannot come before its registration.
        let mut live = lock(&shared.live);
        let thread = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || {
                    serve(wire, steps, &shared);
                    // The last handle on the socket: a reset happens here.
                    lock(&shared.live).remove(&n);
                })
                .unwrap()
        };
        live.insert(n, (handle, thread));
    }
}

/// A connection to a client, plain or TLS.
trait Wire: Read + Write + Send {
    fn tcp(&self) -> &TcpStream;
    /// Ends the stream in order: TLS says `close_notify`; plain TCP has
    /// nothing to say.
    fn close_notify(&mut self) {}
}

impl Wire for TcpStream {
    fn tcp(&self) -> &TcpStream {
        self
    }
}

#[cfg(feature = "tls")]
impl Wire for rustls::StreamOwned<rustls::ServerConnection, TcpStream> {
    fn tcp(&self) -> &TcpStream {
        &self.sock
    }
    fn close_notify(&mut self) {
        self.conn.send_close_notify();
        let _ = self.flush();
    }
}

/// An orderly close: TLS `close_notify`, then a FIN.
fn close(mut wire: Box<dyn Wire>) {
    wire.close_notify();
    let _ = wire.tcp().shutdown(Shutdown::Write);
}

/// A reset: with SO_LINGER 0, closing the socket sends RST, not FIN.
fn reset(wire: Box<dyn Wire>) {
    let _ = socket2::SockRef::from(wire.tcp()).set_linger(Some(Duration::ZERO));
}

/// Reads (and drops) what the client sends until it closes.
fn hold(wire: &mut dyn Wire) {
    let mut buf = [0u8; 4096];
    while matches!(wire.read(&mut buf), Ok(n) if n > 0) {}
}

fn serve(mut wire: Box<dyn Wire>, plan: Plan, shared: &Shared) {
    let mut reader = Reader::default();
    for fault in plan {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        match fault {
            Fault::Reset => {
                shared.applying(fault);
                return reset(wire);
            }
            Fault::ResetMidRequest => {
                let mut part = [0u8; 8];
                if matches!(wire.read(&mut part), Ok(n) if n > 0) {
                    shared.applying(fault);
                }
                return reset(wire);
            }
            _ => {}
        }
        let Some(req) = reader.head(&mut *wire) else {
            return;
        };
        shared.requests.fetch_add(1, Ordering::SeqCst);
        shared.applying(fault);
        if fault == Fault::StopReading {
            // The body stays in the socket buffers; the client's writes
            // stall once they are full.
            while shared.pause(Duration::from_millis(100)) {}
            return;
        }
        if !reader.skip_body(&mut *wire, req.content_length) {
            return;
        }
        let written = match fault {
            Fault::None => wire.write_all(&ok_response(&req.path)),
            Fault::Unavailable => wire.write_all(
                b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n\
                  Content-Length: 11\r\n\r\nunavailable",
            ),
            Fault::Hangup => return close(wire),
            Fault::CloseAfterHead => {
                let _ = wire.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
                return close(wire);
            }
            Fault::ShortBody | Fault::Truncate => {
                let mut bytes = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n".to_vec();
                bytes.extend_from_slice(&[b'x'; 50]);
                let _ = wire.write_all(&bytes).and_then(|()| wire.flush());
                if fault == Fault::ShortBody {
                    close(wire);
                }
                // Dropped: plain TCP closes with a FIN; TLS says nothing.
                return;
            }
            Fault::ChunkedCut => {
                let _ = wire.write_all(
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
                      5\r\nhello\r\n10\r\nhalf",
                );
                return close(wire);
            }
            Fault::DripHead | Fault::DripBody => {
                let (at_once, dripped) = if fault == Fault::DripHead {
                    (Vec::new(), ok_response(&req.path))
                } else {
                    let head = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
                    (head.to_vec(), vec![b'd'; 1000])
                };
                if wire.write_all(&at_once).is_err() {
                    return;
                }
                for byte in dripped {
                    if !shared.pause(Duration::from_millis(100)) || wire.write_all(&[byte]).is_err()
                    {
                        return;
                    }
                }
                Ok(())
            }
            Fault::Silent => return hold(&mut *wire),
            Fault::Garbage => {
                let _ = wire.write_all(b"\x00\x01garbage \xff\xfe not http\r\n\r\n");
                return hold(&mut *wire);
            }
            Fault::Endless1xx => loop {
                if wire.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").is_err() {
                    return;
                }
            },
            Fault::HugeHeader => {
                // Written from one static piece: no 1 MiB allocation on
                // the server's side to blur the soak's memory figures.
                static PIECE: [u8; 64 * 1024] = [b'a'; 64 * 1024];
                let mut r = wire.write_all(b"HTTP/1.1 200 OK\r\nX-Huge: ");
                for _ in 0..16 {
                    r = r.and_then(|()| wire.write_all(&PIECE));
                }
                r.and_then(|()| wire.write_all(b"\r\nContent-Length: 0\r\n\r\n"))
            }
            Fault::CloseAfterResponse => {
                // TCP_CORK holds the response back so that it and the FIN
                // leave in one segment.
                let _ = socket2::SockRef::from(wire.tcp()).set_tcp_cork(true);
                let _ = wire.write_all(&ok_response(&req.path));
                return close(wire);
            }
            Fault::CloseWhenIdle => {
                let _ = wire.write_all(&ok_response(&req.path));
                shared.pause(Duration::from_millis(50));
                return close(wire);
            }
            Fault::Reset | Fault::ResetMidRequest | Fault::StopReading => unreachable!(),
        };
        if written.and_then(|()| wire.flush()).is_err() {
            return;
        }
    }
    close(wire);
}

/// `200 OK` with [`body_for`] `path`, its checksum in `X-Checksum`.
fn ok_response(path: &str) -> Vec<u8> {
    let body = body_for(path);
    let mut bytes = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nX-Checksum: {:016x}\r\n\r\n",
        body.len(),
        checksum(&body)
    )
    .into_bytes();
    bytes.extend_from_slice(&body);
    bytes
}

/// The body the server answers `path` with: 16 to 1,039 bytes, a pure
/// function of the path, so a client can tell a body from another
/// request's.
pub fn body_for(path: &str) -> Vec<u8> {
    let mut rng = XorShift::new(checksum(path.as_bytes()));
    let len = 16 + rng.below(1024);
    let mut body = Vec::with_capacity(len + 8);
    while body.len() < len {
        body.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    body.truncate(len);
    body
}

/// FNV-1a, 64 bits.
pub fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Marsaglia's xorshift64: a seeded, std-only source of noise.
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> XorShift {
        // Zero is xorshift's one fixed point.
        XorShift(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform enough in `0..n` for tests.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// A request as the server needs it.
struct Request {
    path: String,
    content_length: usize,
}

/// Reads requests off one connection, keeping bytes read past the
/// current one.
#[derive(Default)]
struct Reader {
    pending: Vec<u8>,
}

impl Reader {
    /// The next request head; `None` if the client closed (or the
    /// connection failed) first.
    fn head(&mut self, wire: &mut dyn Wire) -> Option<Request> {
        let end = loop {
            if let Some(i) = self.pending.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            if !self.fill(wire) {
                return None;
            }
        };
        let head = String::from_utf8_lossy(&self.pending[..end]).into_owned();
        self.pending.drain(..end);
        let path = head.split(' ').nth(1)?.to_string();
        let content_length = head
            .split("\r\n")
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
            .map_or(0, |(_, v)| v.trim().parse().unwrap());
        Some(Request {
            path,
            content_length,
        })
    }

    /// Reads and drops `n` body bytes; false if the connection ended first.
    fn skip_body(&mut self, wire: &mut dyn Wire, mut n: usize) -> bool {
        loop {
            let take = n.min(self.pending.len());
            self.pending.drain(..take);
            n -= take;
            if n == 0 {
                return true;
            }
            if !self.fill(wire) {
                return false;
            }
        }
    }

    fn fill(&mut self, wire: &mut dyn Wire) -> bool {
        let mut buf = [0u8; 16 * 1024];
        match wire.read(&mut buf) {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.pending.extend_from_slice(&buf[..n]);
                true
            }
        }
    }
}

/// A fixed short text for a client error: its kind, asked through the
/// public predicates (with the parse error or the I/O error kind under
/// it), and its phase. An error no predicate claims, or without a phase,
/// reads `UNTYPED ...`.
pub fn describe(e: &brisk::Error) -> String {
    let kind = if e.is_total_timeout() {
        "total-timeout".to_string()
    } else if e.is_timeout() {
        "timeout".to_string()
    } else if e.is_connect() {
        with_io_kind("connect", e)
    } else if let Some(f) = e.tls_failure() {
        format!("tls {f:?}")
    } else if e.is_protocol() {
        let p = e.parse_error().map_or("?", brisk::h1::ParseError::name);
        format!("protocol {p}")
    } else if e.is_io() {
        with_io_kind("io", e)
    } else {
        return format!("UNTYPED {e:?}");
    };
    match e.phase() {
        Some(phase) => format!("{kind} in {phase}"),
        None => format!("UNTYPED {kind} without a phase: {e:?}"),
    }
}

/// `kind`, and the kind of the I/O error under `e` if there is one.
fn with_io_kind(kind: &str, e: &brisk::Error) -> String {
    let cause = std::error::Error::source(e).and_then(|s| s.downcast_ref::<std::io::Error>());
    cause.map_or(kind.into(), |c| format!("{kind} {:?}", c.kind()))
}

/// A TLS server configuration for `localhost`/`127.0.0.1`, and the PEM of
/// the CA a client must trust to accept it. The certificates come from
/// [`super::certs::generate`], in a temporary directory removed after.
#[cfg(feature = "tls")]
pub fn tls_setup() -> (Arc<rustls::ServerConfig>, Vec<u8>) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let dir = std::env::temp_dir().join(format!(
        "brisk-fault-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    let certs = super::certs::generate(&dir);
    let chain = vec![CertificateDer::from_pem_file(&certs.server_cert).unwrap()];
    let key = PrivateKeyDer::from_pem_file(&certs.server_key).unwrap();
    let ca = std::fs::read(&certs.ca_cert).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let config = rustls::ServerConfig::builder_with_provider(server_provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    (Arc::new(config), ca)
}

/// The test servers' crypto provider: the one brisk's client uses, so
/// that a server offers what the client prefers (aws-lc-rs, with the
/// post-quantum group, under the `aws-lc-rs` feature; ring otherwise).
pub fn server_provider() -> Arc<rustls::crypto::CryptoProvider> {
    #[cfg(feature = "aws-lc-rs")]
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    // Deprecated in rustls 0.23.48 for want of post-quantum key exchange,
    // and the only way to name ring's provider (see src/transport/tls.rs).
    #[cfg(not(feature = "aws-lc-rs"))]
    #[allow(deprecated)]
    let provider = rustls::crypto::ring::default_provider();
    Arc::new(provider)
}

/// One way to reach a fault server: plain, or TLS with the test CA.
pub struct Transport {
    pub label: &'static str,
    pub mode: Mode,
    pub scheme: &'static str,
    /// The test CA, for TLS.
    #[cfg(feature = "tls")]
    pub ca: Option<Vec<u8>>,
}

impl Transport {
    /// `builder`, trusting this transport's server.
    pub fn trust(&self, builder: brisk::ClientBuilder) -> brisk::ClientBuilder {
        #[cfg(feature = "tls")]
        if let Some(pem) = &self.ca {
            return builder
                .tls_built_in_root_certs(false)
                .add_root_certificate(brisk::Certificate::from_pem(pem).unwrap());
        }
        builder
    }

    /// A server whose first connection follows `plan`, then serves clean.
    pub fn server(&self, plan: &[Fault]) -> FaultServer {
        FaultServer::first(self.mode.clone(), plan)
    }
}

/// Plain, and TLS when built with it.
pub fn transports() -> Vec<Transport> {
    #[allow(unused_mut)]
    let mut all = vec![Transport {
        label: "plain",
        mode: Mode::Plain,
        scheme: "http",
        #[cfg(feature = "tls")]
        ca: None,
    }];
    #[cfg(feature = "tls")]
    {
        let (config, ca) = tls_setup();
        all.push(Transport {
            label: "tls",
            mode: Mode::Tls(config),
            scheme: "https",
            ca: Some(ca),
        });
    }
    all
}
