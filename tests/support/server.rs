//! A scripted HTTP server on loopback: each accepted connection is handed
//! to a test's own async function, which reads exactly what the client
//! sent and writes exactly the bytes the test chooses (including broken
//! ones, slowly, or not at all).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A running scripted server; it stops when dropped.
pub struct Scripted {
    pub addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Scripted {
    /// Starts a server that runs `script(stream, n)` for the n-th accepted
    /// connection (from 0), each in its own task.
    pub async fn start<F, Fut>(script: F) -> Scripted
    where
        F: Fn(TcpStream, usize) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        let script = Arc::new(script);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let n = counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(script(stream, n));
            }
        });
        Scripted {
            addr,
            accepted,
            task,
        }
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One request as received: the head (text up to and including the blank
/// line) and the body, de-chunked if it was chunked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub head: String,
    pub body: Vec<u8>,
    /// The raw bytes of the body as sent (with chunk framing).
    pub raw_body: Vec<u8>,
}

impl Received {
    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.all(name).into_iter().next()
    }

    /// The request line (`GET /path HTTP/1.1`).
    pub fn request_line(&self) -> &str {
        self.head.split("\r\n").next().unwrap_or_default()
    }

    /// Every value of header `name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.head
            .split("\r\n")
            .skip(1)
            .filter_map(|l| {
                let (n, v) = l.split_once(':')?;
                n.eq_ignore_ascii_case(name).then(|| v.trim())
            })
            .collect()
    }
}

/// Reads one request from `stream`; `None` if the client closed first.
/// `pending` carries bytes read past the previous request.
pub async fn read_request(stream: &mut TcpStream, pending: &mut Vec<u8>) -> Option<Received> {
    let head_end = loop {
        if let Some(i) = find(pending, b"\r\n\r\n") {
            break i + 4;
        }
        if !fill(stream, pending).await {
            return None;
        }
    };
    let head = String::from_utf8(pending[..head_end].to_vec()).unwrap();
    pending.drain(..head_end);
    let probe = Received {
        head: head.clone(),
        body: Vec::new(),
        raw_body: Vec::new(),
    };
    let mut body = Vec::new();
    let mut raw = Vec::new();
    if let Some(len) = probe.header("content-length") {
        let len: usize = len.parse().unwrap();
        while pending.len() < len {
            if !fill(stream, pending).await {
                return None;
            }
        }
        body = pending.drain(..len).collect();
        raw = body.clone();
    } else if probe.header("transfer-encoding").is_some() {
        loop {
            let line_end = loop {
                if let Some(i) = find(pending, b"\r\n") {
                    break i;
                }
                if !fill(stream, pending).await {
                    return None;
                }
            };
            let size =
                usize::from_str_radix(std::str::from_utf8(&pending[..line_end]).unwrap(), 16)
                    .unwrap();
            while pending.len() < line_end + 2 + size + 2 {
                if !fill(stream, pending).await {
                    return None;
                }
            }
            raw.extend(pending.drain(..line_end + 2 + size + 2));
            body.extend_from_slice(&raw[raw.len() - size - 2..raw.len() - 2]);
            if size == 0 {
                break;
            }
        }
    }
    Some(Received {
        head,
        body,
        raw_body: raw,
    })
}

async fn fill(stream: &mut TcpStream, pending: &mut Vec<u8>) -> bool {
    let mut buf = [0u8; 8192];
    match stream.read(&mut buf).await {
        Ok(0) | Err(_) => false,
        Ok(n) => {
            pending.extend_from_slice(&buf[..n]);
            true
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Serves every request on the connection with `reply(request)` until the
/// client closes.
pub async fn serve_each<F>(mut stream: TcpStream, reply: F)
where
    F: Fn(&Received) -> Vec<u8>,
{
    let mut pending = Vec::new();
    while let Some(req) = read_request(&mut stream, &mut pending).await {
        if stream.write_all(&reply(&req)).await.is_err() {
            return;
        }
    }
}

/// A server that records every request and answers `200 OK` with `body`.
pub async fn recording(
    body: &'static str,
) -> (Scripted, tokio::sync::mpsc::UnboundedReceiver<Received>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let server = Scripted::start(move |stream, _| {
        let tx = tx.clone();
        async move {
            serve_each(stream, |req| {
                let _ = tx.send(req.clone());
                ok(body)
            })
            .await
        }
    })
    .await;
    (server, rx)
}

/// A server that answers every request with a `302` to `to`.
pub async fn redirecting_to(to: String) -> Scripted {
    Scripted::start(move |stream, _| {
        let to = to.clone();
        async move {
            serve_each(stream, |_| {
                format!("HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\n\r\n")
                    .into_bytes()
            })
            .await
        }
    })
    .await
}

/// `HTTP/1.1 200 OK` with a Content-Length body.
pub fn ok(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Open file descriptors of this process.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// A plain blocking server, a thread per connection, that closes each
/// connection just after its first answer, at the moment the test chooses,
/// and tells the test once the client's kernel has the FIN. It reads one
/// request (the head, then a body ending in `body`; empty for none) and
/// writes a 4-byte `done`; on [`close_and_wait`](Self::close_and_wait) it
/// sends its FIN. It then counts the connections on which the client wrote
/// anything more: a request written into a connection the server had
/// closed.
///
/// On its own threads, so the FIN does not depend on the client's
/// runtime: a client that blocks its thread in `close_and_wait` has the
/// FIN arrived but unseen by tokio's reactor, whatever the machine's
/// speed.
pub struct FinAfterResponse {
    pub addr: SocketAddr,
    /// For each connection that answered, the switch that closes it; sent
    /// before the answer, so it is here once the client has the answer.
    answered: std::sync::mpsc::Receiver<std::sync::mpsc::Sender<()>>,
    /// One message per closed connection whose FIN the client's kernel has.
    fin_arrived: std::sync::mpsc::Receiver<()>,
    /// One message per closed connection the server is done with: whether
    /// the client wrote into it after the FIN.
    verdicts: std::sync::mpsc::Receiver<bool>,
    closed: AtomicUsize,
}

/// Far beyond any healthy wait: a bound on waiting for an event that
/// does come, so that a broken test fails instead of hanging.
const NEVER: std::time::Duration = std::time::Duration::from_secs(30);

impl FinAfterResponse {
    pub fn start(body: &'static [u8]) -> FinAfterResponse {
        use std::sync::mpsc::channel;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (answered_tx, answered) = channel();
        let (fin_tx, fin_arrived) = channel();
        let (verdict_tx, verdicts) = channel();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let (answered_tx, fin_tx, verdict_tx) =
                    (answered_tx.clone(), fin_tx.clone(), verdict_tx.clone());
                std::thread::spawn(move || {
                    answer_then_close(stream, body, &answered_tx, &fin_tx, &verdict_tx)
                });
            }
        });
        FinAfterResponse {
            addr,
            answered,
            fin_arrived,
            verdicts,
            closed: AtomicUsize::new(0),
        }
    }

    /// Has the server close every connection that has answered since the
    /// last call (one, unless the client sent a request again), and blocks
    /// this thread (as busy synchronous work would: tokio's reactor gets
    /// no turn) until each FIN is in the client's kernel.
    pub fn close_and_wait(&self) {
        let mut closing = 0;
        while let Ok(close) = self.answered.try_recv() {
            if close.send(()).is_ok() {
                closing += 1;
            }
        }
        self.closed.fetch_add(closing, Ordering::SeqCst);
        for _ in 0..closing {
            self.fin_arrived
                .recv_timeout(NEVER)
                .expect("the FIN never reached the client");
        }
    }

    /// The closed connections into which the client wrote after the FIN.
    /// Waits until the server is done with each (the client wrote, or
    /// closed its end): drop the client first.
    pub fn written_after_close(&self) -> usize {
        (0..self.closed.load(Ordering::SeqCst))
            .filter(|_| {
                self.verdicts
                    .recv_timeout(NEVER)
                    .expect("a closed connection was never ended")
            })
            .count()
    }
}

fn answer_then_close(
    mut s: std::net::TcpStream,
    body: &[u8],
    answered: &std::sync::mpsc::Sender<std::sync::mpsc::Sender<()>>,
    fin_arrived: &std::sync::mpsc::Sender<()>,
    verdicts: &std::sync::mpsc::Sender<bool>,
) {
    use std::io::{Read, Write};
    let mut buf = [0u8; 4096];
    let mut got = Vec::new();
    while !(got.windows(4).any(|w| w == b"\r\n\r\n") && got.ends_with(body)) {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    let (close, closing) = std::sync::mpsc::channel();
    if answered.send(close).is_err() {
        return;
    }
    let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone");
    // A connection the test never closes (the server is dropped first)
    // just ends.
    if closing.recv().is_err() {
        return;
    }
    let client = s.peer_addr().unwrap();
    let server = s.local_addr().unwrap();
    let _ = s.shutdown(std::net::Shutdown::Write);
    wait_for_close_wait(client, server);
    let _ = fin_arrived.send(());
    // The client either closes its end (read gives 0) or writes.
    let _ = s.set_read_timeout(Some(NEVER));
    let _ = verdicts.send(matches!(s.read(&mut buf), Ok(n) if n > 0));
}

/// Waits until the client's end of the connection `client` -> `server`
/// has taken the server's FIN: in Linux's `/proc/net/tcp` it is past
/// ESTABLISHED, in CLOSE_WAIT (or further on, had the client closed).
/// A poll of the kernel's state, not a guess at how long delivery takes.
pub fn wait_for_close_wait(client: SocketAddr, server: SocketAddr) {
    let hex = |a: SocketAddr| match a {
        SocketAddr::V4(a) => format!(
            "{:08X}:{:04X}",
            u32::from_ne_bytes(a.ip().octets()),
            a.port()
        ),
        SocketAddr::V6(_) => unreachable!("the server listens on 127.0.0.1"),
    };
    let (local, remote) = (hex(client), hex(server));
    let started = std::time::Instant::now();
    let mut seen = false;
    loop {
        let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
        let state = table.lines().skip(1).find_map(|line| {
            let mut fields = line.split_whitespace().skip(1);
            let (l, r, st) = (fields.next()?, fields.next()?, fields.next()?);
            (l == local && r == remote).then(|| st.to_string())
        });
        match state.as_deref() {
            // ESTABLISHED: the FIN is still on its way.
            Some("01") => seen = true,
            Some(_) => return,
            None if seen => return,
            None => panic!("{client} -> {server} is not in /proc/net/tcp"),
        }
        assert!(started.elapsed() < NEVER, "the FIN never arrived");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}
