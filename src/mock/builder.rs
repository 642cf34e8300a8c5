//! [`MockServerBuilder`]: a mock server's settings before it starts.

use super::record::Record;
use super::script::{Answer, Script};

/// What the record keeps by default, in bytes: eight bodies of the
/// largest size the server reads.
const DEFAULT_RECORD_BYTES: usize = 64 * 1024 * 1024;
/// How long a request head may take by default: nginx's
/// `client_header_timeout`.
const DEFAULT_HEAD_TIMEOUT: Duration = Duration::from_secs(60);
/// Connections served at once by default: the listen backlog, and room
/// for the demo's 1,000 simultaneous calls.
const DEFAULT_MAX_CONNECTIONS: usize = 4096;
use super::{server, set_route, MockServer, Routes, Shared};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// Sets up a [`MockServer`] before it starts: its base path, its scripts
/// and its record limit.
///
/// ```
/// use brisk::mock::{Answer, MockServer};
///
/// # #[tokio::main]
/// # async fn main() -> std::io::Result<()> {
/// let server = MockServer::builder()
///     .base_path("/api/paas/v4")
///     .default(Answer::text("你好"))
///     .start()
///     .await?;
/// assert!(server.base_url().ends_with("/api/paas/v4"));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct MockServerBuilder {
    base: String,
    default: Script,
    models: Vec<(String, Script)>,
    paths: Vec<(String, Script)>,
    record_limit: usize,
    record_bytes_limit: usize,
    head_timeout: Duration,
    max_connections: usize,
    compression: bool,
    addr: SocketAddr,
}

impl MockServerBuilder {
    pub(super) fn new() -> MockServerBuilder {
        MockServerBuilder {
            base: "/v1".to_string(),
            default: Script::always(Answer::echo()),
            models: Vec::new(),
            paths: Vec::new(),
            record_limit: 10_000,
            record_bytes_limit: DEFAULT_RECORD_BYTES,
            head_timeout: DEFAULT_HEAD_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            compression: true,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        }
    }

    /// The path the API lives under (default `/v1`): chat completions are
    /// served at `{base}/chat/completions`. `""` or `/` serves them at
    /// `/chat/completions`.
    pub fn base_path(mut self, base: impl Into<String>) -> Self {
        let base = base.into();
        let base = base.trim_end_matches('/');
        self.base = if base.is_empty() || base.starts_with('/') {
            base.to_string()
        } else {
            format!("/{base}")
        };
        self
    }

    /// The script of requests that no path or model rule takes (default:
    /// echo).
    pub fn default(mut self, script: impl Into<Script>) -> Self {
        self.default = script.into();
        self
    }

    /// The script for requests whose body names this `model`.
    pub fn on_model(mut self, model: impl Into<String>, script: impl Into<Script>) -> Self {
        set_route(&mut self.models, model.into(), script.into());
        self
    }

    /// Serves chat completions at this path too (exact match, query
    /// ignored), with its own script.
    pub fn on_path(mut self, path: impl Into<String>, script: impl Into<Script>) -> Self {
        set_route(&mut self.paths, path.into(), script.into());
        self
    }

    /// How many requests [`MockServer::requests`] keeps (the latest;
    /// default 10,000; 0 keeps none).
    pub fn record_limit(mut self, n: usize) -> Self {
        self.record_limit = n;
        self
    }

    /// How many bytes [`MockServer::requests`] keeps, as
    /// [`MockServer::record_bytes`] counts them (default 64 MiB): past
    /// it, the oldest requests are forgotten first, and a request larger
    /// than the whole limit is kept without its body and JSON (its
    /// [`body_len`](super::Recorded::body_len) still says how long it
    /// was).
    pub fn record_bytes_limit(mut self, bytes: usize) -> Self {
        self.record_bytes_limit = bytes;
        self
    }

    /// How long a client may take to send a request head (default 60 s),
    /// counted from when the server starts waiting for it: the connection
    /// opened, or the previous response ended. A head begun and not
    /// finished in time is answered `408` and its connection closed; a
    /// connection that sent nothing of a next request is closed without a
    /// word (the idle keep-alive timeout). The same time bounds each wait
    /// for a body's next bytes: a body that stalls that long is a `408`.
    /// A duration past the clock's range waits for ever.
    pub fn head_timeout(mut self, timeout: Duration) -> Self {
        self.head_timeout = timeout;
        self
    }

    /// The most connections served at once (default 4,096). A connection
    /// past it is closed at once, unanswered (as nginx closes one past its
    /// `worker_connections`), and not counted in
    /// [`MockServer::connection_count`]; once a served connection ends,
    /// its place is free again.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n;
        self
    }

    /// Whether answers are compressed when the request asks
    /// (`Accept-Encoding: gzip`, else `deflate`), as OpenAI's API does: the
    /// JSON replies and errors whole, a stream event by event (each one
    /// flushed, so it is readable as it arrives). On by default, so that a
    /// client that decodes is tested on compressed answers; a request
    /// without `Accept-Encoding` gets plain ones either way.
    pub fn compression(mut self, on: bool) -> Self {
        self.compression = on;
        self
    }

    /// The address to listen on (default `127.0.0.1:0`: loopback, on a
    /// free port the system picks). Another address is yours to choose,
    /// for a server other machines or containers reach (`0.0.0.0:8000`),
    /// but remember that the record keeps every request's credentials.
    pub fn addr(mut self, addr: impl Into<SocketAddr>) -> Self {
        self.addr = addr.into();
        self
    }

    /// The port to listen on (default 0: a free port the system picks),
    /// for a server other programs find at a known address: a Python or
    /// Node test suite, `examples/mock.rs`. Taken, the port makes
    /// [`start`](Self::start) fail (`AddrInUse`).
    pub fn port(mut self, port: u16) -> Self {
        self.addr.set_port(port);
        self
    }

    /// Binds the [address](Self::addr) (by default `127.0.0.1` on a free
    /// port) and starts serving on the current tokio runtime. Fails only
    /// if the address cannot be bound.
    pub async fn start(self) -> std::io::Result<MockServer> {
        let listener = server::listen(self.addr)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            base: self.base,
            routes: Mutex::new(Routes {
                default: self.default,
                models: self.models,
                paths: self.paths,
            }),
            record: Mutex::new(Record::new(self.record_limit, self.record_bytes_limit)),
            requests: AtomicU64::new(0),
            connections: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            peak_in_flight: AtomicU64::new(0),
            peak_read_buffer: AtomicUsize::new(0),
            head_timeout: self.head_timeout,
            max_connections: self.max_connections,
            compression: self.compression,
        });
        let (down, down_rx) = watch::channel(false);
        let (applied_tx, applied) = watch::channel(false);
        let task = tokio::spawn(server::accept_loop(
            listener,
            addr,
            shared.clone(),
            down_rx,
            applied_tx,
        ));
        Ok(MockServer {
            addr,
            shared,
            down,
            applied,
            task,
        })
    }
}
