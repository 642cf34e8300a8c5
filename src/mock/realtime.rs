//! `GET {base}/realtime`: a Realtime-style WebSocket endpoint, in the
//! shape of OpenAI's Realtime API (JSON events both ways).
//!
//! What it serves, its events and its faults are documented with the
//! mock (`mock/mod.rs`, "Realtime"); here are the handshake's checks
//! (RFC 6455 §4.2.1, after the API key) and the session's loop.

use super::frames::{self, Frame, FrameReader, Refused};
use super::http::{self, Reader, Request};
use super::render::{self, server_error};
use super::script::{Chat, Content, Kind};
use super::{Recorded, Shared};
use serde_json::{json, Map, Value};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long the server waits for the client's answer to its close frame
/// before it closes the connection anyway.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// Answers a request to the Realtime path; whether the connection may
/// carry another request (never, once it was upgraded).
pub(crate) async fn respond(
    stream: &mut TcpStream,
    reader: &mut Reader,
    request: Request,
    shared: &Shared,
    conn: u64,
) -> bool {
    let keep = request.keep_alive();
    let refusal = check_handshake(&request);
    let key = request.header("sec-websocket-key").unwrap_or("").trim();
    let accept = crate::ws::accept_key(key);
    let path = request.target.split('?').next().unwrap_or("").to_owned();
    let model = query_model(&request.target).unwrap_or_else(|| "mock-realtime".to_owned());
    let Request {
        method,
        target,
        headers,
        body,
        ..
    } = request;
    shared.record(Recorded {
        method,
        path: target,
        headers,
        body_len: body.len(),
        body,
        json: None,
        connection: conn,
    });
    if let Some((status, extra, message)) = refusal {
        let body = server_error(message, "invalid_request_error");
        let mut out = http::head(
            status,
            &[("content-type", "application/json")],
            &extra,
            Some(body.len()),
            !keep,
        );
        out.extend_from_slice(body.as_bytes());
        return stream.write_all(&out).await.is_ok() && keep;
    }
    let head = format!(
        "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\
         sec-websocket-accept: {accept}\r\n\r\n"
    );
    if stream.write_all(head.as_bytes()).await.is_err() {
        return false;
    }
    let mut session = Session {
        stream,
        frames: FrameReader::default(),
        shared,
        path,
        idle: shared.head_timeout,
        events: 0,
        responses: 0,
        items: 0,
        last_user_text: String::new(),
        session: json!({
            "id": format!("sess_mock_{conn}"),
            "object": "realtime.session",
            "type": "realtime",
            "model": model,
            "output_modalities": ["text"],
            "instructions": "",
        }),
    };
    session.frames.push(&reader.take_buffered());
    session.run().await;
    false
}

/// A handshake the server will not upgrade: the status, extra headers
/// and the error's message.
type Refusal = (u16, Vec<(String, String)>, &'static str);

/// Why the handshake is refused, if it is.
fn check_handshake(request: &Request) -> Option<Refusal> {
    if request.method != "GET" {
        let allow = vec![("allow".to_owned(), "GET".to_owned())];
        return Some((405, allow, "mock: use GET to open a realtime session"));
    }
    let key = request
        .header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if key.is_none_or(str::is_empty) {
        let why = "You didn't provide an API key. Provide it in the Authorization header \
                   (Authorization: Bearer YOUR_KEY).";
        return Some((401, Vec::new(), why));
    }
    let has = |name: &str, token: &str| {
        request
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    };
    if !has("upgrade", "websocket") || !has("connection", "upgrade") {
        let upgrade = vec![("upgrade".to_owned(), "websocket".to_owned())];
        return Some((426, upgrade, "mock: this endpoint speaks WebSocket only"));
    }
    if request.header("sec-websocket-version").map(str::trim) != Some("13") {
        let version = vec![("sec-websocket-version".to_owned(), "13".to_owned())];
        return Some((426, version, "mock: Sec-WebSocket-Version must be 13"));
    }
    let key = request.header("sec-websocket-key").unwrap_or("").trim();
    if crate::base64::decode(key).is_none_or(|k| k.len() != 16) {
        return Some((
            400,
            Vec::new(),
            "mock: Sec-WebSocket-Key is not 16 bytes of base64",
        ));
    }
    None
}

/// The `model` query parameter, as OpenAI's URL carries it (model names
/// need no percent-encoding; it is taken as sent).
fn query_model(target: &str) -> Option<String> {
    let (_, query) = target.split_once('?')?;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("model="))
        .map(str::to_owned)
}

/// What the session does after an event.
enum Next {
    Continue,
    /// The connection is over (closed, dropped or reset).
    End,
}

/// One upgraded connection.
struct Session<'a> {
    stream: &'a mut TcpStream,
    frames: FrameReader,
    shared: &'a Shared,
    /// The path the session's scripts are chosen by.
    path: String,
    /// How long the client may stay silent.
    idle: Duration,
    events: u64,
    responses: u64,
    items: u64,
    /// What an echo answer replies.
    last_user_text: String,
    session: Value,
}

impl Session<'_> {
    async fn run(&mut self) {
        let created = json!({"type": "session.created", "session": self.session.clone()});
        if !self.send_event(created).await {
            return;
        }
        loop {
            let frame = match self.frames.next() {
                Ok(Some(frame)) => frame,
                Ok(None) => {
                    if !self.fill().await {
                        return;
                    }
                    continue;
                }
                Err(Refused(code)) => {
                    // Failing the connection (RFC 6455 §7.1.7): the close
                    // frame, then the TCP close, without waiting for an
                    // answer from a client that broke the protocol.
                    let close = frames::frame(frames::CLOSE, &frames::close_payload(code, ""));
                    let _ = self.stream.write_all(&close).await;
                    return;
                }
            };
            let next = match frame {
                Frame::Text(text) => self.event(&text).await,
                Frame::Binary(_) => {
                    let error = self.error("invalid_event", "mock: events are JSON text", None);
                    self.send_or_end(error).await
                }
                Frame::Ping(payload) => {
                    let pong = frames::frame(frames::PONG, &payload);
                    self.write(&pong).await
                }
                Frame::Pong(_) => Next::Continue,
                Frame::Close(close) => {
                    // Echo the close (RFC 6455 §5.5.1), then the server
                    // closes the TCP connection first (§7.1.1).
                    let payload = close
                        .map(|(code, _)| code.to_be_bytes().to_vec())
                        .unwrap_or_default();
                    let _ = self
                        .stream
                        .write_all(&frames::frame(frames::CLOSE, &payload))
                        .await;
                    Next::End
                }
            };
            if let Next::End = next {
                return;
            }
        }
    }

    /// Reads more of the client's bytes; `false` at the end of the
    /// connection, or when the client was silent past the idle bound.
    async fn fill(&mut self) -> bool {
        let mut buf = [0u8; 8192];
        match tokio::time::timeout(self.idle, self.stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => {
                self.frames.push(&buf[..n]);
                true
            }
            _ => false,
        }
    }

    /// One client event.
    async fn event(&mut self, text: &str) -> Next {
        let event: Option<Map<String, Value>> = serde_json::from_str(text).ok();
        let Some(event) = event else {
            let error = self.error("invalid_json", "mock: the event is not a JSON object", None);
            return self.send_or_end(error).await;
        };
        let client_id = event.get("event_id").cloned();
        match event.get("type").and_then(Value::as_str) {
            Some("session.update") => {
                if let (Some(Value::Object(fields)), Some(session)) =
                    (event.get("session"), self.session.as_object_mut())
                {
                    for (k, v) in fields {
                        // The session's identity is the server's.
                        if k != "id" && k != "object" {
                            session.insert(k.clone(), v.clone());
                        }
                    }
                }
                let updated = json!({"type": "session.updated", "session": self.session.clone()});
                self.send_or_end(updated).await
            }
            Some("conversation.item.create") => {
                let mut item = event.get("item").cloned().unwrap_or_else(|| json!({}));
                if item.get("role").and_then(Value::as_str) == Some("user") {
                    self.last_user_text = item_text(&item);
                }
                self.items += 1;
                if let Some(item) = item.as_object_mut() {
                    item.insert("id".into(), format!("item_mock_{}", self.items).into());
                    item.insert("object".into(), "realtime.item".into());
                    item.insert("status".into(), "completed".into());
                }
                let created = json!({"type": "conversation.item.created", "item": item});
                self.send_or_end(created).await
            }
            Some("response.create") => self.response().await,
            Some(other) => {
                let message = format!("mock: unknown event type `{other}`");
                let error = self.error("invalid_event", &message, client_id);
                self.send_or_end(error).await
            }
            None => {
                let message = "mock: an event needs a string `type`";
                let error = self.error("invalid_event", message, client_id);
                self.send_or_end(error).await
            }
        }
    }

    /// `response.create`: the route's next answer, as events.
    async fn response(&mut self) -> Next {
        let model = self.session["model"].as_str().unwrap_or("").to_owned();
        let answer = self.shared.next_answer(&self.path, &model);
        if !answer.delay.is_zero() {
            tokio::time::sleep(answer.delay).await;
        }
        let chat = match &answer.kind {
            Kind::Never => return Next::Continue,
            Kind::Disconnect => return Next::End,
            Kind::Error { body, .. } => {
                let error = serde_json::from_str::<Value>(body)
                    .ok()
                    .and_then(|v| v.get("error").cloned())
                    .unwrap_or_else(|| json!({"type": "server_error", "message": body}));
                return self
                    .send_or_end(json!({"type": "error", "error": error}))
                    .await;
            }
            Kind::Chat(chat) => chat,
        };
        let events = self.response_events(chat);
        let last = events.len() - 1;
        // A cut past the end of a short reply still happens: before
        // `response.done`, so that the response never looks whole.
        let cut_here = |n: usize, i: usize| n.saturating_add(1).min(last) == i;
        for (i, event) in events.into_iter().enumerate() {
            if i > 0 && !answer.token_delay.is_zero() {
                tokio::time::sleep(answer.token_delay).await;
            }
            if chat.reset_after.is_some_and(|n| cut_here(n, i)) {
                super::server::reset(self.stream);
                return Next::End;
            }
            if let Some((_, code, reason)) = chat.close_after.as_ref().filter(|c| cut_here(c.0, i))
            {
                self.close(*code, reason).await;
                return Next::End;
            }
            if let Some((_, body)) = chat.error_after.as_ref().filter(|e| cut_here(e.0, i)) {
                let error = serde_json::from_str::<Value>(body)
                    .ok()
                    .and_then(|v| v.get("error").cloned())
                    .unwrap_or_else(|| json!({"type": "server_error", "message": body}));
                return self
                    .send_or_end(json!({"type": "error", "error": error}))
                    .await;
            }
            if !self.send_event(event).await {
                return Next::End;
            }
        }
        Next::Continue
    }

    /// A reply's events: created, a delta per token, the text done, done.
    fn response_events(&mut self, chat: &Chat) -> Vec<Value> {
        self.responses += 1;
        self.items += 1;
        let response_id = format!("resp_mock_{}", self.responses);
        let item_id = format!("item_mock_{}", self.items);
        let text = match &chat.content {
            Content::Fixed(text) => text.clone(),
            Content::Echo => self.last_user_text.clone(),
        };
        let tokens = render::tokens(&text);
        let at = |extra: Value| {
            let mut event = json!({
                "response_id": response_id,
                "item_id": item_id,
                "output_index": 0,
                "content_index": 0,
            });
            if let (Some(e), Value::Object(x)) = (event.as_object_mut(), extra) {
                e.extend(x);
            }
            event
        };
        let mut events = vec![json!({"type": "response.created", "response": {
            "id": response_id, "object": "realtime.response", "status": "in_progress", "output": [],
        }})];
        for token in &tokens {
            let mut delta = at(json!({"delta": token}));
            delta["type"] = "response.output_text.delta".into();
            events.push(delta);
        }
        let mut done = at(json!({"text": text}));
        done["type"] = "response.output_text.done".into();
        events.push(done);
        let output = tokens.len() as u64;
        events.push(json!({"type": "response.done", "response": {
            "id": response_id,
            "object": "realtime.response",
            "status": "completed",
            "output": [{
                "id": item_id,
                "object": "realtime.item",
                "type": "message",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": text}],
            }],
            "usage": {
                "input_tokens": render::tokens(&self.last_user_text).len(),
                "output_tokens": output,
                "total_tokens": render::tokens(&self.last_user_text).len() as u64 + output,
            },
        }}));
        events
    }

    /// An `error` event in OpenAI's shape.
    fn error(&self, code: &str, message: &str, event_id: Option<Value>) -> Value {
        json!({"type": "error", "error": {
            "type": "invalid_request_error",
            "code": code,
            "message": message,
            "param": null,
            "event_id": event_id,
        }})
    }

    /// Sends an event with the server's own `event_id`; whether it went.
    async fn send_event(&mut self, mut event: Value) -> bool {
        self.events += 1;
        if let Some(e) = event.as_object_mut() {
            e.insert(
                "event_id".into(),
                format!("event_mock_{}", self.events).into(),
            );
        }
        let frame = frames::frame(frames::TEXT, event.to_string().as_bytes());
        self.stream.write_all(&frame).await.is_ok()
    }

    async fn send_or_end(&mut self, event: Value) -> Next {
        match self.send_event(event).await {
            true => Next::Continue,
            false => Next::End,
        }
    }

    async fn write(&mut self, frame: &[u8]) -> Next {
        match self.stream.write_all(frame).await {
            Ok(()) => Next::Continue,
            Err(_) => Next::End,
        }
    }

    /// The server's close (RFC 6455 §7.1.2): the close frame, then the
    /// client's answer awaited (within [`CLOSE_WAIT`]), then the TCP close
    /// (when the caller drops the stream).
    async fn close(&mut self, code: u16, reason: &str) {
        let frame = frames::frame(frames::CLOSE, &frames::close_payload(code, reason));
        if self.stream.write_all(&frame).await.is_err() {
            return;
        }
        let answered = async {
            loop {
                match self.frames.next() {
                    Ok(Some(Frame::Close(_))) | Err(_) => return,
                    Ok(Some(_)) => {}
                    Ok(None) => {
                        if !self.fill().await {
                            return;
                        }
                    }
                }
            }
        };
        let _ = tokio::time::timeout(CLOSE_WAIT, answered).await;
    }
}

/// A conversation item's text: its `input_text` (or `text`) parts, joined.
fn item_text(item: &Value) -> String {
    item.get("content")
        .and_then(Value::as_array)
        .map(|parts| {
            parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default()
}
