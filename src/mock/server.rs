//! The running server: the accept loop (and "down"), one task per
//! connection, and each request routed to its answer.

use super::compress::{Coding, Encoder};
use super::http::{self, ReadError, Reader, Request};
use super::render::{self, Context, Resolved};
use super::script::{Answer, Kind};
use super::upload::{self, Upload};
use super::{Recorded, Shared};
use serde_json::Value;
use std::future::{poll_fn, Future};
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// What woke the accept loop.
enum Woke {
    Accepted(std::io::Result<(TcpStream, SocketAddr)>),
    /// The down switch moved, or its sender is gone (`true`).
    Switched(bool),
}

/// Accepts connections until the server is dropped, each served by its own
/// task in `conns`. The tasks live in a `JoinSet` owned by this loop, so
/// aborting the loop (drop) drops every connection with it; a shutdown
/// (the `down` sender gone) ends them and waits, as going down does.
///
/// While the server is down the listener is closed, so connecting is
/// refused (`ECONNREFUSED`) as with a backend that is not running, and
/// every open connection is dropped, as a crashed process's would be.
/// The port stays bound meanwhile (a socket that does not listen), so
/// that no other program's connection or free-port pick takes it, and
/// coming back up listens on that very socket.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    addr: SocketAddr,
    shared: Arc<Shared>,
    mut down: watch::Receiver<bool>,
    applied: watch::Sender<bool>,
) {
    let mut listener = Some(listener);
    let mut conns = JoinSet::new();
    loop {
        if *down.borrow_and_update() {
            drop(listener.take());
            end_all(&mut conns).await;
            let held = bound(addr).ok();
            applied.send_replace(true);
            while *down.borrow_and_update() {
                if down.changed().await.is_err() {
                    return;
                }
            }
            // Back up: the same port again, on the socket that held it.
            // Should that fail (another program bound the port with
            // SO_REUSEADDR meanwhile and listens), try anew for a while.
            listener = match held.map(|s| s.listen(BACKLOG)) {
                Some(Ok(l)) => Some(l),
                _ => rebind(addr).await,
            };
            applied.send_replace(false);
            continue;
        }
        let Some(l) = &listener else { return };
        let woke = {
            let mut accept = pin!(l.accept());
            let mut changed = pin!(down.changed());
            poll_fn(|cx| {
                if let Poll::Ready(r) = changed.as_mut().poll(cx) {
                    return Poll::Ready(Woke::Switched(r.is_err()));
                }
                // Reap finished connections so the set does not grow.
                while let Poll::Ready(Some(_)) = conns.poll_join_next(cx) {}
                accept.as_mut().poll(cx).map(Woke::Accepted)
            })
            .await
        };
        match woke {
            Woke::Switched(true) => {
                drop(listener.take());
                end_all(&mut conns).await;
                return;
            }
            Woke::Switched(false) => {}
            // At the cap, a new connection is closed at once, unanswered,
            // as nginx closes one past its `worker_connections`: what a
            // client holds open (idle, or dripping a head until the head
            // timeout) cannot grow the server without bound.
            Woke::Accepted(Ok((stream, _))) if conns.len() >= shared.max_connections => {
                drop(stream);
            }
            Woke::Accepted(Ok((stream, _))) => {
                let n = shared.connections.fetch_add(1, Ordering::Relaxed);
                conns.spawn(serve(stream, shared.clone(), n));
            }
            // Out of descriptors and the like: wait a moment rather than
            // spin on the error.
            Woke::Accepted(Err(_)) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// Ends every connection and waits until each task has. `abort` alone
/// only asks: a task in the middle of a poll on another worker finishes
/// that poll first, and could read a request sent after the caller went
/// on, and answer it. Once joined, a task's socket is closed.
async fn end_all(conns: &mut JoinSet<()>) {
    conns.abort_all();
    while conns.join_next().await.is_some() {}
}

/// Room for a burst of connections: the demo opens 1,000 at once, and a
/// full accept queue drops SYNs, which clients resend only after a second.
/// (The kernel caps the queue at `somaxconn`.)
const BACKLOG: u32 = 4096;

/// Listens on `addr`.
pub(crate) fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    bound(addr)?.listen(BACKLOG)
}

/// A socket bound to `addr`, not yet listening.
fn bound(addr: SocketAddr) -> std::io::Result<TcpSocket> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // Rebinding the port after "down" must not wait out TIME_WAIT (the
    // server closed its connections first, so their ends linger).
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    Ok(socket)
}

async fn rebind(addr: SocketAddr) -> Option<TcpListener> {
    for _ in 0..100 {
        if let Ok(l) = listen(addr) {
            return Some(l);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    None
}

/// Counts a request in flight for as long as it lives (a dropped
/// connection task included).
struct InFlight<'a>(&'a Shared);

impl<'a> InFlight<'a> {
    fn new(shared: &'a Shared) -> Self {
        let now = shared.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        shared.peak_in_flight.fetch_max(now, Ordering::Relaxed);
        InFlight(shared)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Serves one connection: request after request while both sides keep it
/// alive.
async fn serve(mut stream: TcpStream, shared: Arc<Shared>, conn: u64) {
    // Tokens must leave when they are written, not wait for Nagle.
    let _ = stream.set_nodelay(true);
    let mut reader = Reader::new(shared.head_timeout);
    loop {
        let read = reader.read(&mut stream).await;
        shared
            .peak_read_buffer
            .fetch_max(reader.capacity(), Ordering::Relaxed);
        let request = match read {
            Ok(Some(r)) => r,
            Ok(None) | Err(ReadError::Closed | ReadError::TimedOut) => return,
            Err(ReadError::Bad(bad)) => {
                let body =
                    render::server_error(&format!("mock: {}", bad.why), "invalid_request_error");
                let _ = write_json(&mut stream, bad.status, &[], &body, true, None).await;
                return;
            }
        };
        let n = shared.requests.fetch_add(1, Ordering::Relaxed) + 1;
        let _in_flight = InFlight::new(&shared);
        if !respond(&mut stream, &mut reader, request, &shared, conn, n).await {
            return;
        }
    }
}

/// Answers one request; whether the connection may carry another.
async fn respond(
    stream: &mut TcpStream,
    reader: &mut Reader,
    request: Request,
    shared: &Shared,
    conn: u64,
    n: u64,
) -> bool {
    if request.target.split('?').next() == Some(&format!("{}/realtime", shared.base)) {
        return super::realtime::respond(stream, reader, request, shared, conn).await;
    }
    let keep = request.keep_alive();
    let Request {
        method,
        target,
        headers,
        body,
        ..
    } = request;
    let coding = shared
        .compression
        .then(|| {
            let asked = headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("accept-encoding"));
            Coding::negotiate(asked.map(|(_, v)| v.as_str()))
        })
        .flatten();
    let path = target.split('?').next().unwrap_or("").to_string();
    let chat_path = format!("{}/chat/completions", shared.base);
    let is_chat = path == chat_path || shared.lock_routes().paths.iter().any(|(p, _)| *p == path);
    // Only a chat request's body is read as JSON: parsed, a body takes
    // many times its size (a `Value` per number of an array), and no
    // other route needs it.
    let json: Option<Value> = if is_chat && method == "POST" {
        serde_json::from_slice(&body).ok()
    } else {
        None
    };
    // An upload is answered from its body before the body is recorded
    // (the record may leave it out).
    let upload = Upload::at(&path, &shared.base)
        .filter(|_| method == "POST")
        .map(|kind| {
            let content_type = headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
                .map(|(_, v)| v.as_str());
            let created = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            upload::answer(kind, content_type, &body, n, created)
        });
    shared.record(Recorded {
        method: method.clone(),
        path: target,
        headers,
        body_len: body.len(),
        body,
        json: json.clone(),
        connection: conn,
    });

    if method == "HEAD" {
        // A response to HEAD has no body (RFC 9110 §9.3.2), and nothing
        // here answers HEAD: a bare 405, and the connection closed, so no
        // client can misread where the response ends.
        let head = http::head(405, &[("allow", "GET, POST")], &[], Some(0), true);
        let _ = stream.write_all(&head).await;
        return false;
    }
    if let Some(reply) = upload {
        if reply.text {
            let mut out = http::head(
                reply.status,
                &[("content-type", "text/plain; charset=utf-8")],
                &[],
                Some(reply.body.len()),
                !keep,
            );
            out.extend_from_slice(reply.body.as_bytes());
            return stream.write_all(&out).await.is_ok() && keep;
        }
        return write_json(stream, reply.status, &[], &reply.body, !keep, coding).await && keep;
    }
    if !is_chat {
        let (status, body) = if path == format!("{}/models", shared.base) {
            if method == "GET" {
                (200, shared.models_list())
            } else {
                (
                    405,
                    render::server_error("mock: use GET", "invalid_request_error"),
                )
            }
        } else {
            let msg = format!("mock: no route for {} {path}", method);
            (404, render::server_error(&msg, "invalid_request_error"))
        };
        let allow: &[(&str, &str)] = if status == 405 {
            &[("allow", "GET")]
        } else {
            &[]
        };
        return write_json(stream, status, allow, &body, !keep, coding).await && keep;
    }
    if method != "POST" {
        let body = render::server_error("mock: use POST", "invalid_request_error");
        return write_json(stream, 405, &[("allow", "POST")], &body, !keep, coding).await && keep;
    }
    let Some(json) = json else {
        let body =
            render::server_error("mock: the body is not valid JSON", "invalid_request_error");
        return write_json(stream, 400, &[], &body, !keep, coding).await && keep;
    };
    let model = json.get("model").and_then(Value::as_str);
    let messages_ok = json.get("messages").is_some_and(Value::is_array);
    let Some(model) = model.filter(|_| messages_ok) else {
        let body = render::server_error(
            "mock: a chat request needs a string `model` and a `messages` list",
            "invalid_request_error",
        );
        return write_json(stream, 400, &[], &body, !keep, coding).await && keep;
    };

    let answer = shared.next_answer(&path, model);
    let ctx = Context {
        id: format!("chatcmpl-mock-{n}"),
        model,
        created: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        request: &json,
    };
    let request_id = format!("req_mock_{n}");
    perform(stream, reader, answer, &ctx, &request_id, keep, coding).await
}

/// Carries out one answer; whether the connection may carry another.
async fn perform(
    stream: &mut TcpStream,
    reader: &mut Reader,
    answer: Answer,
    ctx: &Context<'_>,
    request_id: &str,
    keep: bool,
    coding: Option<Coding>,
) -> bool {
    if !answer.delay.is_zero() {
        tokio::time::sleep(answer.delay).await;
    }
    let ids = [("x-request-id", request_id)];
    let chat = match &answer.kind {
        Kind::Never => {
            reader.drain_until_closed(stream).await;
            return false;
        }
        Kind::Disconnect => return false,
        Kind::Error { status, body } => {
            return write_with(stream, *status, &ids, &answer.headers, body, !keep, coding).await
                && keep
        }
        Kind::Chat(chat) => chat,
    };
    let reply = Resolved::new(chat, ctx);
    let streamed = ctx.request.get("stream").and_then(Value::as_bool) == Some(true);
    if !streamed {
        let body = reply.completion(ctx);
        if chat.reset_after.is_some() {
            // Head and half the body, then a reset.
            let (head, body) = json_response(200, &ids, &answer.headers, &body, false, coding);
            let _ = stream.write_all(&head).await;
            let _ = stream.write_all(&body[..body.len() / 2]).await;
            reset(stream);
            return false;
        }
        return write_with(stream, 200, &ids, &answer.headers, &body, !keep, coding).await && keep;
    }

    let include_usage = ctx
        .request
        .pointer("/stream_options/include_usage")
        .and_then(Value::as_bool)
        == Some(true);
    let events = reply.events(ctx, include_usage);
    let mut headers = vec![
        ("content-type", "text/event-stream"),
        ("cache-control", "no-cache"),
        ("x-request-id", request_id),
    ];
    // Compressed, each event is flushed on its own, as a server that
    // streams through gzip must do for the tokens to arrive as they come.
    let mut encoder = coding.map(|c| {
        headers.push(("content-encoding", c.name()));
        Encoder::new(c)
    });
    let head = http::head(200, &headers, &answer.headers, None, !keep);
    if stream.write_all(&head).await.is_err() {
        return false;
    }
    for i in 0..=events.len() {
        if i > 0 && !answer.token_delay.is_zero() {
            tokio::time::sleep(answer.token_delay).await;
        }
        // A cut past the end of a short stream still happens: before the
        // last chunk.
        let cut_here = |n: usize| n.saturating_add(1).min(events.len()) == i;
        if chat.reset_after.is_some_and(cut_here) {
            reset(stream);
            return false;
        }
        if let Some((_, body)) = chat.error_after.as_ref().filter(|(n, _)| cut_here(*n)) {
            let event = format!("data: {body}\n\n");
            let mut last = event_chunk(&mut encoder, event.as_bytes());
            if let Some(e) = encoder.take() {
                last.extend_from_slice(&http::chunk(&e.finish()));
            }
            let ok = stream.write_all(&last).await.is_ok()
                && stream.write_all(b"0\r\n\r\n").await.is_ok();
            return ok && keep;
        }
        let Some(event) = events.get(i) else { break };
        let chunk = event_chunk(&mut encoder, event.as_bytes());
        if stream.write_all(&chunk).await.is_err() {
            return false;
        }
    }
    let mut end = match encoder.take() {
        Some(e) => http::chunk(&e.finish()),
        None => Vec::new(),
    };
    end.extend_from_slice(b"0\r\n\r\n");
    stream.write_all(&end).await.is_ok() && keep
}

/// One event as a chunk of the body, compressed and flushed if the
/// stream is.
fn event_chunk(encoder: &mut Option<Encoder>, event: &[u8]) -> Vec<u8> {
    match encoder.as_mut() {
        Some(e) => http::chunk(&e.piece(event)),
        None => http::chunk(event),
    }
}

/// Arms a TCP reset: with a zero linger time, closing the socket (when
/// the caller drops it) sends RST instead of FIN, as a crashed peer or a
/// middlebox does. (tokio deprecates `set_linger` because a non-zero
/// linger blocks the thread on drop; a zero one never does.)
#[allow(deprecated)]
pub(crate) fn reset(stream: &TcpStream) {
    let _ = stream.set_linger(Some(Duration::ZERO));
}

fn json_type<'a>(ids: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut h = vec![("content-type", "application/json")];
    h.extend_from_slice(ids);
    h
}

/// A whole JSON response, in `coding` if the client asked for one.
fn json_response(
    status: u16,
    headers: &[(&str, &str)],
    extra: &[(String, String)],
    body: &str,
    close: bool,
    coding: Option<Coding>,
) -> (Vec<u8>, Vec<u8>) {
    let mut fields = json_type(headers);
    let body = match coding {
        Some(c) => {
            fields.push(("content-encoding", c.name()));
            Encoder::whole(c, body.as_bytes())
        }
        None => body.as_bytes().to_vec(),
    };
    let head = http::head(status, &fields, extra, Some(body.len()), close);
    (head, body)
}

/// Writes a whole JSON response; whether it was written.
async fn write_with(
    stream: &mut TcpStream,
    status: u16,
    headers: &[(&str, &str)],
    extra: &[(String, String)],
    body: &str,
    close: bool,
    coding: Option<Coding>,
) -> bool {
    let (mut out, body) = json_response(status, headers, extra, body, close, coding);
    out.extend_from_slice(&body);
    stream.write_all(&out).await.is_ok()
}

async fn write_json(
    stream: &mut TcpStream,
    status: u16,
    headers: &[(&str, &str)],
    body: &str,
    close: bool,
    coding: Option<Coding>,
) -> bool {
    write_with(stream, status, headers, &[], body, close, coding).await
}
