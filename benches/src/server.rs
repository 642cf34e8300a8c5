//! The loopback server every client is measured against: hyper 1.x,
//! HTTP/1.1 with keep-alive, on a current-thread tokio runtime.
//!
//! | path | answer |
//! | --- | --- |
//! | `/` | 200, `Hello, world!` (13 bytes) |
//! | `/1m` | 200, 1 MiB (1,048,576 bytes) of `x` |
//! | `/100m` | 200, 100 MiB (104,857,600 bytes) of `x`, sent as 1,600 frames of 64 KiB that share one buffer |
//! | `/delay?ms=N` | 200, `Hello, world!` after sleeping N ms |
//! | `/stats` | 200, `{"connections":N}`: connections accepted so far, this one included |
//! | `/chat` | 200, [`CHAT_REPLY`] (a chat completion, 1 KiB of JSON) once the request body is read |
//! | `/20m.json.gz` | 200, [`embeddings_json`] (20,000,000 bytes of embeddings-style JSON) gzip'd at level 6, `Content-Encoding: gzip`, whatever the request asks |
//! | anything else | 404 |
//!
//! Every answer is framed by `Content-Length`, and its head is the same
//! length every time (hyper's `date` is fixed-width), which is what the raw
//! client relies on.
//!
//! The TLS variant wraps the same service in tokio-rustls with a self-signed
//! certificate for `localhost` made by rcgen at start-up; its DER is handed to
//! the caller so clients can trust it.
//!
//! Start it in-process with [`spawn`] (its own thread, its own runtime) or as
//! a process with `cargo run --release --bin server -- --port P [--tls]`.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpSocket};

/// The decoded length of `/20m.json.gz`.
pub const GZIP_JSON_LEN: usize = 20_000_000;

/// An embeddings answer of exactly [`GZIP_JSON_LEN`] bytes, as an LLM API
/// sends for a large batch: 1,536 floats of 8 significant digits per input,
/// from a fixed-seed generator (so the same every run), padded with spaces
/// after the closing brace (valid JSON).
pub fn embeddings_json() -> Vec<u8> {
    use std::fmt::Write;
    let mut s = String::with_capacity(GZIP_JSON_LEN);
    s.push_str(r#"{"object":"list","model":"text-embedding-3-small","data":["#);
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut index = 0;
    'outer: loop {
        let start = s.len();
        if index > 0 {
            s.push(',');
        }
        let _ = write!(s, r#"{{"object":"embedding","index":{index},"embedding":["#);
        for i in 0..1536 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = (x % 200_000_000) as i64 - 100_000_000;
            let sign = if v < 0 { "-" } else { "" };
            let sep = if i > 0 { "," } else { "" };
            let _ = write!(s, "{sep}{sign}0.{:08}", v.unsigned_abs());
        }
        s.push_str("]}");
        if s.len() + 2 > GZIP_JSON_LEN {
            s.truncate(start);
            break 'outer;
        }
        index += 1;
    }
    s.push_str("]}");
    while s.len() < GZIP_JSON_LEN {
        s.push(' ');
    }
    s.into_bytes()
}

/// `/20m.json.gz`'s body, made once (about a second) on first use.
fn gzip_json() -> Bytes {
    static BODY: std::sync::OnceLock<Bytes> = std::sync::OnceLock::new();
    BODY.get_or_init(|| {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
        e.write_all(&embeddings_json()).expect("gzip into memory");
        Bytes::from(e.finish().expect("gzip into memory"))
    })
    .clone()
}

/// The body of `/` and `/delay`.
pub const HELLO: &[u8] = b"Hello, world!";
/// The length of the body of `/1m`.
pub const ONE_MIB: usize = 1024 * 1024;
/// The length of the body of `/100m`.
pub const HUNDRED_MIB: usize = 100 * ONE_MIB;
/// The frame `/100m` is sent in: one shared 64 KiB buffer, handed out again
/// and again, so a download costs the server no memory of its own.
const FRAME: usize = 64 * 1024;
/// The body of `/chat`: an OpenAI-style chat completion of 1,024 bytes,
/// the kind of answer a typed JSON round trip decodes.
pub const CHAT_REPLY: &str = concat!(
    r#"{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion","#,
    r#""created":1741569952,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"#,
    r#""message":{"role":"assistant","content":"HTTP/1.1 keeps a connection open "#,
    r#"between requests, so a client that pools its connections pays for the TCP "#,
    r#"and TLS handshakes once per host rather than once per call. For an LLM "#,
    r#"service that makes thousands of short calls a minute, that is most of the "#,
    r#"latency it can still control: the model's own time to first token is the "#,
    r#"rest. A pool must also know when not to reuse: a connection the server "#,
    r#"has closed, or one with bytes left over from the previous response, has to "#,
    r#"be dropped before it carries another request. Deadlines complete the "#,
    r#"picture: every wait gets a budget, and a timeout error names the phase it hit.","#,
    r#""refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"#,
    r#""usage":{"prompt_tokens":19,"completion_tokens":112,"total_tokens":131},"#,
    r#""service_tier":"default","system_fingerprint":"fp_06737a9306abcde"}"#,
);

/// A self-signed certificate and its key, for the TLS variant.
pub struct TlsIdentity {
    /// The certificate in DER, for clients to add as a trusted root.
    pub cert_der: Vec<u8>,
    key_der: Vec<u8>,
}

impl TlsIdentity {
    /// A fresh self-signed certificate for `localhost` (and 127.0.0.1).
    pub fn generate() -> Self {
        let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        let ck = rcgen::generate_simple_self_signed(names).expect("rcgen: self-signed cert");
        TlsIdentity {
            cert_der: ck.cert.der().to_vec(),
            key_der: ck.key_pair.serialize_der(),
        }
    }

    fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
        // ring, as brisk uses by default (rustls 0.23.48 deprecates its provider
        // for want of post-quantum key exchange).
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("rustls: protocol versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(self.cert_der.clone())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone())),
            )
            .expect("rustls: server certificate");
        tokio_rustls::TlsAcceptor::from(Arc::new(config))
    }
}

/// A server running on its own thread.
pub struct RunningServer {
    /// The loopback address it listens on.
    pub addr: SocketAddr,
    /// The certificate (DER) clients must trust, for the TLS variant.
    pub cert_der: Option<Vec<u8>>,
    /// Connections accepted so far.
    pub connections: Arc<AtomicU64>,
}

/// Starts the server on its own thread with its own current-thread runtime
/// and returns once it listens. `port` 0 picks a free port.
///
/// The thread is marked with [`crate::alloc_count::exclude_this_thread`], so
/// a counting allocator in the same process sees only the client's work.
pub fn spawn(port: u16, tls: bool) -> std::io::Result<RunningServer> {
    let identity = tls.then(TlsIdentity::generate);
    let cert_der = identity.as_ref().map(|i| i.cert_der.clone());
    let connections = Arc::new(AtomicU64::new(0));
    let counter = connections.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name(
            if tls {
                "bench-server-tls"
            } else {
                "bench-server"
            }
            .into(),
        )
        .spawn(move || {
            crate::alloc_count::exclude_this_thread();
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => return drop(tx.send(Err(e))),
            };
            rt.block_on(async move {
                let listener = match bind(port) {
                    Ok(l) => l,
                    Err(e) => return drop(tx.send(Err(e))),
                };
                let _ = tx.send(listener.local_addr());
                let _ = serve(listener, identity, counter).await;
            })
        })?;
    let addr = rx
        .recv()
        .map_err(|_| std::io::Error::other("server thread died"))??;
    Ok(RunningServer {
        addr,
        cert_der,
        connections,
    })
}

/// The listen backlog asked for: deeper than the `slow10k` workload's
/// 10,000 simultaneous connects. A full accept queue drops SYNs, and the
/// client's retry comes a whole second later, which would swamp `wall_s`.
/// The kernel quietly caps it at `/proc/sys/net/core/somaxconn`.
pub const BACKLOG: u32 = 16_384;

/// Binds 127.0.0.1:`port` with a backlog of [`BACKLOG`] (tokio's
/// `TcpListener::bind` asks for 1,024, too few for `slow10k`).
pub fn bind(port: u16) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))?;
    socket.listen(BACKLOG)
}

/// The body of `/100m`: `left` bytes handed out as slices of one shared
/// buffer, so no download holds its whole body in memory. Its exact size
/// hint makes hyper announce it with `Content-Length`.
pub struct Repeat {
    frame: Bytes,
    left: u64,
}

impl hyper::body::Body for Repeat {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.left == 0 {
            return std::task::Poll::Ready(None);
        }
        let n = self.left.min(self.frame.len() as u64) as usize;
        self.left -= n as u64;
        std::task::Poll::Ready(Some(Ok(Frame::data(self.frame.slice(..n)))))
    }

    fn is_end_stream(&self) -> bool {
        self.left == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.left)
    }
}

/// What every route answers with: a whole body, or `/100m`'s stream.
type Body = Either<Full<Bytes>, Repeat>;

/// Accepts connections forever, one task per connection.
pub async fn serve(
    listener: TcpListener,
    identity: Option<TlsIdentity>,
    connections: Arc<AtomicU64>,
) -> std::io::Result<()> {
    let acceptor = identity.as_ref().map(TlsIdentity::acceptor);
    let big = Bytes::from(vec![b'x'; ONE_MIB]);
    // `/100m`'s frames are slices of the start of the same megabyte.
    let frame = big.slice(..FRAME);
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(s) => s,
            // Out of file descriptors and the like: back off, keep serving.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        connections.fetch_add(1, Ordering::Relaxed);
        let _ = stream.set_nodelay(true);
        let (big, frame) = (big.clone(), frame.clone());
        let counter = connections.clone();
        let service =
            service_fn(move |req| handle(req, big.clone(), frame.clone(), counter.clone()));
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let builder = {
                let mut b = hyper::server::conn::http1::Builder::new();
                b.keep_alive(true);
                b
            };
            match acceptor {
                None => {
                    let _ = builder
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                }
                Some(acceptor) => {
                    if let Ok(tls) = acceptor.accept(stream).await {
                        let _ = builder.serve_connection(TokioIo::new(tls), service).await;
                    }
                }
            }
        });
    }
}

async fn handle(
    req: Request<Incoming>,
    big: Bytes,
    frame: Bytes,
    connections: Arc<AtomicU64>,
) -> Result<Response<Body>, Infallible> {
    let whole = |body: Full<Bytes>| Response::new(Either::Left(body));
    if req.uri().path() == "/100m" {
        let body = Repeat {
            frame,
            left: HUNDRED_MIB as u64,
        };
        return Ok(Response::new(Either::Right(body)));
    }
    if req.uri().path() == "/chat" {
        use http_body_util::BodyExt;
        // Read the request whole, as an API server parses it, so the
        // connection stays reusable.
        let _ = req.into_body().collect().await;
        let mut resp = whole(Full::new(Bytes::from_static(CHAT_REPLY.as_bytes())));
        resp.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("application/json"),
        );
        return Ok(resp);
    }
    if req.uri().path() == "/20m.json.gz" {
        let mut resp = whole(Full::new(gzip_json()));
        let headers = resp.headers_mut();
        headers.insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("application/json"),
        );
        headers.insert(
            hyper::header::CONTENT_ENCODING,
            hyper::header::HeaderValue::from_static("gzip"),
        );
        return Ok(resp);
    }
    let body = match req.uri().path() {
        "/" => Bytes::from_static(HELLO),
        "/1m" => big,
        "/delay" => {
            let ms = req
                .uri()
                .query()
                .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("ms=")))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Bytes::from_static(HELLO)
        }
        "/stats" => Bytes::from(format!(
            "{{\"connections\":{}}}",
            connections.load(Ordering::Relaxed)
        )),
        _ => {
            let mut resp = whole(Full::new(Bytes::from_static(b"not found")));
            *resp.status_mut() = StatusCode::NOT_FOUND;
            return Ok(resp);
        }
    };
    Ok(whole(Full::new(body)))
}
