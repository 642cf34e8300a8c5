//! A scriptable OpenAI-compatible chat server on a loopback port, for
//! your own tests and for brisk's demo (feature `mock`).
//!
//! [`MockServer::start`] binds `127.0.0.1` on a free port (or the
//! [port](MockServerBuilder::port) you give it) and serves
//! `POST {base}/chat/completions` (base `/v1` unless
//! [`MockServerBuilder::base_path`] says otherwise) and
//! `GET {base}/models`, until it is dropped or [shut
//! down](MockServer::shutdown). Point any OpenAI-compatible client at
//! [`MockServer::base_url`].
//!
//! It also takes uploads as OpenAI does, `multipart/form-data`:
//! `POST {base}/audio/transcriptions` (a `file` and a `model`; answers
//! `{"text": ...}`, the file's own text when it is UTF-8, or plain text
//! with `response_format=text`) and `POST {base}/files` (a `file` and a
//! `purpose`; answers a file object, `id` `file-mock-N`). The body is read
//! by a bounded parser that never panics (a malformed one is a `400` in
//! OpenAI's error shape), and [`Recorded::form`] gives the parts back.
//!
//! And it serves a Realtime-style WebSocket session, in the shape of
//! OpenAI's Realtime API: `GET {base}/realtime?model=...` upgrades (see
//! [Realtime](#realtime) below).
//!
//! By default every chat request gets its last `user` message back,
//! plain or streamed (`"stream": true`) as it asked. What a request gets
//! instead is an [`Answer`]: a fixed text, tool calls, reasoning, a delay
//! before the reply and between tokens, an HTTP error (429 with
//! `Retry-After`, 500, 503, an exhausted quota in OpenAI's or Zhipu's
//! shape), or a fault on the connection (a reset mid-stream, a request
//! never answered, a connection closed without a reply). A [`Script`]
//! hands answers out in order: the first requests get its steps, the rest
//! its last answer. Scripts are chosen per request, first match wins:
//!
//! 1. by path ([`MockServer::on_path`]): a path of your own that serves
//!    chat completions with its own script;
//! 2. by the request's `model` ([`MockServer::on_model`]), so one server
//!    runs several scenarios side by side, one model name each;
//! 3. else the server's default ([`MockServer::set_default`]).
//!
//! ```
//! use brisk::mock::{Answer, MockServer, Script};
//! use std::time::Duration;
//!
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = MockServer::start().await?;
//! // One model per scenario.
//! server.on_model("slow", Answer::text("Hi!").delay(Duration::from_millis(50)));
//! server.on_model(
//!     "flaky",
//!     Script::steps([
//!         Answer::status(503),
//!         Answer::rate_limited(Duration::from_millis(10)),
//!     ])
//!     .then(Answer::text("ok")),
//! );
//! server.on_model("broke", Answer::insufficient_quota());
//! server.on_model("hang", Answer::never());
//!
//! let client = brisk::Client::new();
//! let url = server.chat_url();
//! let resp = client
//!     .post(&url)
//!     .json(&serde_json::json!({
//!         "model": "slow",
//!         "messages": [{"role": "user", "content": "Hello"}],
//!     }))
//!     .send()
//!     .await?;
//! let reply: serde_json::Value = resp.json().await?;
//! assert_eq!(reply["choices"][0]["message"]["content"], "Hi!");
//!
//! let first = client
//!     .post(&url)
//!     .json(&serde_json::json!({"model": "flaky", "messages": []}))
//!     .send()
//!     .await?;
//! assert_eq!(first.status().as_u16(), 503);
//!
//! // What the server received, in order.
//! let seen = server.requests();
//! assert_eq!(seen[0].model(), Some("slow"));
//! assert_eq!(server.request_count(), 2);
//! # Ok(()) }
//! ```
//!
//! # Replies
//!
//! A plain reply is a `chat.completion` object (`id`, `object`, `created`,
//! `model` as the request named it, `choices[0].message` with `role` and
//! `content`, `finish_reason`, `usage`) with an `x-request-id` header. A
//! streamed reply is `text/event-stream`, chunked, one chunk per event: a
//! delta with the role, one delta per token, a finishing chunk, a usage
//! chunk with `choices: []` if the request set
//! `stream_options.include_usage`, then `data: [DONE]`. [`Flavour::Zhipu`]
//! copies Zhipu's differences. Token counts are the mock's own: one per
//! streamed piece of text.
//!
//! # Faults
//!
//! | scenario | answer |
//! | --- | --- |
//! | a completion that takes a second | `Answer::echo().delay(Duration::from_secs(1))` |
//! | tokens that drip | `.token_delay(Duration::from_millis(30))` |
//! | rate limited, retry later | [`Answer::rate_limited`]: 429, `Retry-After`, `retry-after-ms` |
//! | an overloaded or failing backend | [`Answer::status`]`(503)`, `(500)` |
//! | an empty account (never retry) | [`Answer::insufficient_quota`] (429), [`Answer::zhipu_arrears`] (429, code `1113`) |
//! | any provider's error body | [`Answer::error`]`(status, body)` |
//! | a connection reset mid-stream | `.reset_after(n)` |
//! | an error event inside a stream | `.error_after(n, body)` |
//! | an endpoint that never answers | [`Answer::never`] |
//! | a backend that crashes on the request | [`Answer::disconnect`] |
//! | a backend that is down, then back | [`MockServer::set_down`]`(true)`, later `(false)` (refused connections) |
//! | a Realtime session dropped mid-response | `.reset_after(n)` |
//! | a Realtime session closed with 1011 | `.close_after(n, 1011, "internal error")` |
//!
//! # Realtime
//!
//! `GET {base}/realtime` (any query; `?model=` names the session's model)
//! is a WebSocket endpoint with OpenAI's Realtime events. The handshake is
//! checked as a server must (RFC 6455 §4.2.1): an `Authorization: Bearer`
//! key (any key; without one, `401` in OpenAI's error shape, before any
//! upgrade), `Upgrade: websocket`, `Connection: Upgrade`,
//! `Sec-WebSocket-Version: 13` (else `426`), a `Sec-WebSocket-Key` of 16
//! bytes (else `400`); the `101` carries its `Sec-WebSocket-Accept`. No
//! extension or subprotocol is agreed to. Then JSON text events both
//! ways, each server event with an `event_id`:
//!
//! | client sends | server answers |
//! | --- | --- |
//! | (on connect) | `session.created` |
//! | `session.update` | `session.updated`: the session with the event's fields merged in |
//! | `conversation.item.create` | `conversation.item.created` (a user item's text is what an echo replies) |
//! | `response.create` | `response.created`, one `response.output_text.delta` per token of the reply (cut as streamed chat replies are), `response.output_text.done`, `response.done` with the text and usage |
//! | text that is not a JSON event, an unknown type, a binary message | an `error` event (`invalid_request_error`), and the session goes on |
//! | a ping / a close | a pong / the same close, then the TCP close |
//!
//! Each `response.create` takes the next [`Answer`] of the route (the
//! path rule for `{base}/realtime`, else the `?model=` rule, else the
//! default, as for chat): its text ([`Answer::text`], or [`Answer::echo`]
//! of the last user item), its delays, and its faults:
//! [`reset_after`](Answer::reset_after) drops the connection (a TCP reset)
//! after `response.created` and `n` more events,
//! [`close_after`](Answer::close_after) closes the WebSocket with a code
//! and reason there instead, [`error_after`](Answer::error_after) sends
//! its body's `error` as an `error` event; an HTTP error answer
//! ([`Answer::status`], [`Answer::rate_limited`], ...) becomes an `error`
//! event, [`Answer::never`] leaves the response unanswered, and
//! [`Answer::disconnect`] closes the connection without a close frame.
//! The server takes client frames masked (as RFC 6455 §5.1 requires; an
//! unmasked one fails the connection with 1002) and up to 1 MiB a
//! message, and sends its own unmasked. A silent session ends after the
//! [head timeout](MockServerBuilder::head_timeout). The handshake is
//! recorded like any request (the client's events are not).
//!
//! # The server's own checks
//!
//! It is strict enough to catch a client's mistakes: a request it cannot
//! read as HTTP/1.1 is answered `400` (or `413`, `431`, `501`, `505`) and
//! its connection closed; a body that is not JSON, or a chat request
//! without a string `model` and a `messages` list, is `400`; another path
//! is `404`; another method `405`. Heads are bounded (64 KiB, 100 fields),
//! bodies too (8 MiB). Connections are kept alive across requests (a
//! client's pool reuses them, and [`MockServer::connection_count`] shows
//! it) unless a request says `Connection: close`. No client holds the
//! server for ever: a head must arrive within the [head
//! timeout](MockServerBuilder::head_timeout) (60 s; else `408`, or a
//! silent close for an idle connection), and past [`max_connections`]
//! (4,096) a new connection is closed at once.
//!
//! [`max_connections`]: MockServerBuilder::max_connections
//!
//! Every request that was read is recorded ([`MockServer::requests`]),
//! the latest within the [record limit](MockServerBuilder::record_limit)
//! (10,000 requests) and the [byte limit](MockServerBuilder::record_bytes_limit)
//! (64 MiB), with all its headers **as sent, credentials included**
//! (`Authorization: Bearer ...`): this is a test server, and checking what
//! a client sent is what the record is for. Keep real keys away from it.
//! Only chat requests' bodies are parsed as JSON. What a request costs
//! the server is its body, however it was framed: a body sent in 1-byte
//! chunks is held as the body, not as the chunks
//! ([`MockServer::peak_read_buffer`] shows it).
//!
//! The server runs on the tokio runtime it is started on, which needs its
//! I/O and time drivers (`#[tokio::test]` gives both).

mod builder;
mod compress;
mod frames;
mod http;
pub(crate) mod multipart;
mod realtime;
mod record;
mod render;
mod script;
mod server;
mod upload;

pub use builder::MockServerBuilder;
pub use multipart::{FormError, FormPart};
pub use record::Recorded;
pub use script::{Answer, Flavour, Script};

use record::Record;
use serde_json::Value;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The scripts, by route.
struct Routes {
    default: Script,
    models: Vec<(String, Script)>,
    paths: Vec<(String, Script)>,
}

/// What the server's tasks share with the handle.
pub(crate) struct Shared {
    /// The base path, without a trailing `/` (`/v1`).
    base: String,
    routes: Mutex<Routes>,
    record: Mutex<Record>,
    requests: AtomicU64,
    connections: AtomicU64,
    in_flight: AtomicU64,
    peak_in_flight: AtomicU64,
    /// The largest capacity a connection's read buffer reached.
    peak_read_buffer: AtomicUsize,
    /// How long a request head may take to arrive.
    head_timeout: Duration,
    /// The most connections served at once.
    max_connections: usize,
    /// Answers are compressed when the request asks.
    compression: bool,
}

/// Locks a mutex, taking it back from a panicked holder: the data behind
/// these locks is always whole between statements.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    fn lock_routes(&self) -> MutexGuard<'_, Routes> {
        lock(&self.routes)
    }

    fn record(&self, r: Recorded) {
        lock(&self.record).push(r);
    }

    /// The answer for a chat request on `path` naming `model`.
    fn next_answer(&self, path: &str, model: &str) -> Answer {
        let mut routes = self.lock_routes();
        let Routes {
            default,
            models,
            paths,
        } = &mut *routes;
        if let Some((_, s)) = paths.iter_mut().find(|(p, _)| p == path) {
            return s.next_answer();
        }
        if let Some((_, s)) = models.iter_mut().find(|(m, _)| m == model) {
            return s.next_answer();
        }
        default.next_answer()
    }

    /// `GET {base}/models`: `mock-model` and each scripted model.
    fn models_list(&self) -> String {
        let routes = self.lock_routes();
        let names =
            std::iter::once("mock-model").chain(routes.models.iter().map(|(m, _)| m.as_str()));
        let data: Vec<Value> = names
            .map(|id| serde_json::json!({"id": id, "object": "model", "created": 0, "owned_by": "brisk-mock"}))
            .collect();
        serde_json::json!({"object": "list", "data": data}).to_string()
    }
}

fn set_route(list: &mut Vec<(String, Script)>, key: String, script: Script) {
    match list.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = script,
        None => list.push((key, script)),
    }
}

/// A running mock chat server; it stops when dropped. See the [module
/// docs](self).
pub struct MockServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    down: watch::Sender<bool>,
    /// What the accept loop has carried out of `down`.
    applied: watch::Receiver<bool>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("addr", &self.addr)
            .field("base", &self.shared.base)
            .finish_non_exhaustive()
    }
}

impl MockServer {
    /// Starts a server with the defaults: base `/v1`, every chat request
    /// echoed.
    pub async fn start() -> std::io::Result<MockServer> {
        MockServer::builder().start().await
    }

    /// A builder, to set the base path or scripts before starting.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::new()
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: its address, or loopback when it listens
    /// on every interface (`0.0.0.0`, `::`), which no client connects to.
    pub fn url(&self) -> String {
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                SocketAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
            });
        }
        format!("http://{addr}")
    }

    /// The API's base URL, what OpenAI-compatible clients take:
    /// `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("{}{}", self.url(), self.shared.base)
    }

    /// `{base_url}/chat/completions`.
    pub fn chat_url(&self) -> String {
        format!("{}/chat/completions", self.base_url())
    }

    /// Replaces the default script: requests that no path or model rule
    /// takes.
    pub fn set_default(&self, script: impl Into<Script>) {
        self.shared.lock_routes().default = script.into();
    }

    /// Sets (or replaces) the script for requests whose body names this
    /// `model`.
    pub fn on_model(&self, model: impl Into<String>, script: impl Into<Script>) {
        set_route(
            &mut self.shared.lock_routes().models,
            model.into(),
            script.into(),
        );
    }

    /// Serves chat completions at this path too (exact match, query
    /// ignored), with its own script; sets or replaces it.
    pub fn on_path(&self, path: impl Into<String>, script: impl Into<Script>) {
        set_route(
            &mut self.shared.lock_routes().paths,
            path.into(),
            script.into(),
        );
    }

    /// Takes the backend down (`true`) or brings it back (`false`). While
    /// down, the port refuses connections and every open connection is
    /// dropped, as when a backend's process dies; back up, it listens on
    /// the same port again, with its scripts and record as they were.
    /// (Meanwhile the port stays bound, without listening, so that no
    /// other program's connection or free-port pick takes it.)
    ///
    /// Returns once that is done: right after `set_down(true)`, connecting
    /// is refused and every connection it had has ended, so a request on a
    /// client's kept-alive connection is never read, let alone answered;
    /// right after `set_down(false)`, connecting is accepted.
    pub async fn set_down(&self, down: bool) {
        self.down.send_replace(down);
        let mut applied = self.applied.clone();
        // An error means the server has stopped: nothing to wait for.
        let _ = applied.wait_for(|&now| now == down).await;
    }

    /// Whether [`set_down`](MockServer::set_down) took it down.
    pub fn is_down(&self) -> bool {
        *self.down.borrow()
    }

    /// The requests received so far, oldest first (up to the record
    /// limit). Credentials are recorded as sent.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.shared.record).to_vec()
    }

    /// Forgets the recorded requests (the counters stay).
    pub fn clear_requests(&self) {
        lock(&self.shared.record).clear();
    }

    /// Requests read so far (any path, any answer; not bounded by the
    /// record limit).
    pub fn request_count(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }

    /// Connections accepted so far. Fewer connections than requests means
    /// the client reused them.
    pub fn connection_count(&self) -> u64 {
        self.shared.connections.load(Ordering::Relaxed)
    }

    /// Requests being answered right now (read, reply not yet finished).
    pub fn in_flight(&self) -> u64 {
        self.shared.in_flight.load(Ordering::Relaxed)
    }

    /// The most requests that were being answered at once.
    pub fn peak_in_flight(&self) -> u64 {
        self.shared.peak_in_flight.load(Ordering::Relaxed)
    }

    /// The bytes the record holds now, as the server counts them: each
    /// request's method, target, headers and body, and the parsed JSON of
    /// chat requests (an estimate of its size in memory, which is larger
    /// than its text). Never more than the [record byte
    /// limit](MockServerBuilder::record_bytes_limit).
    pub fn record_bytes(&self) -> usize {
        lock(&self.shared.record).bytes()
    }

    /// The largest read buffer any connection has had, in bytes of
    /// capacity: what the server held of the wire beyond the requests'
    /// bodies. It stays near the largest head or chunk-size line a client
    /// sent, however long the body and however it was chunked.
    pub fn peak_read_buffer(&self) -> usize {
        self.shared.peak_read_buffer.load(Ordering::Relaxed)
    }

    /// Stops the server and waits until it has: the port is closed and
    /// every connection has ended when this returns, so nothing more is
    /// read or answered. (Dropping the server stops it too, without
    /// waiting.)
    pub async fn shutdown(mut self) {
        // The switch's sender gone tells the accept loop to stop: it ends
        // its connections and waits for them, as going down does.
        // Aborting the loop instead would drop them unwaited.
        drop(std::mem::replace(&mut self.down, watch::channel(false).0));
        // A loop that has stopped already (it could not bind the port
        // again) has nothing left to wait for; `Drop` then aborts a
        // finished task, harmlessly.
        let _ = (&mut self.task).await;
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
