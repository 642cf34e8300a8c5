//! [`MockServerBuilder`]: a mock server's settings before it starts.

use super::record::Record;
use super::script::{Answer, Script};

/// What the record keeps by default, in bytes: eight bodies of the
/// largest size the server reads.
const DEFAULT_RECORD_BYTES: usize = 64 * 1024 * 1024;
use super::{server, set_route, MockServer, Routes, Shared};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex};
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

    /// Binds `127.0.0.1` on a free port and starts serving on the current
    /// tokio runtime. Fails only if the port cannot be bound.
    pub async fn start(self) -> std::io::Result<MockServer> {
        let listener = server::listen(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
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
