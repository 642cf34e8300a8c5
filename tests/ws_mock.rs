//! The mock server's Realtime-style endpoint (`GET /v1/realtime`), driven
//! by brisk's own WebSocket client over loopback: the event round trip,
//! the handshake's refusals, and the scripted faults, judged by events,
//! errors and close codes.
#![cfg(all(feature = "mock", feature = "ws"))]

use brisk::mock::{Answer, MockServer, Script};
use brisk::ws::{HandshakeError, Message, WebSocket};
use serde_json::{json, Value};
use std::error::Error as _;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// `ws://127.0.0.1:PORT/v1/realtime?model=...`.
fn realtime_url(server: &MockServer, model: &str) -> String {
    let base = server.base_url().replacen("http://", "ws://", 1);
    format!("{base}/realtime?model={model}")
}

async fn connect(server: &MockServer, model: &str) -> WebSocket {
    brisk::Client::new()
        .websocket(realtime_url(server, model))
        .bearer_auth("sk-test")
        .connect()
        .await
        .expect("the realtime handshake")
}

async fn send(ws: &mut WebSocket, event: Value) {
    ws.send(Message::text(event.to_string())).await.unwrap();
}

/// The next event, as JSON (pings and pongs skipped).
async fn next_event(ws: &mut WebSocket) -> Value {
    loop {
        match ws.recv().await.expect("an event") {
            Some(Message::Text(text)) => return serde_json::from_str(&text).unwrap(),
            Some(Message::Ping(_) | Message::Pong(_)) => continue,
            other => panic!("expected an event, got {other:?}"),
        }
    }
}

/// Events until (and with) the first of type `last`.
async fn events_until(ws: &mut WebSocket, last: &str) -> Vec<Value> {
    let mut events = Vec::new();
    loop {
        let event = next_event(ws).await;
        let done = event["type"] == last;
        events.push(event);
        if done {
            return events;
        }
    }
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

/// The text the deltas of `events` carry, joined.
fn deltas(events: &[Value]) -> String {
    events
        .iter()
        .filter(|e| e["type"] == "response.output_text.delta")
        .map(|e| e["delta"].as_str().unwrap())
        .collect()
}

/// Waits, within a generous bound, for `future`: a fault must end in an
/// error or a close, never a hang.
async fn bounded<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), future)
        .await
        .expect("no answer within 30 s: the client hangs")
}

#[tokio::test]
async fn session_update_and_response_create_round_trip() {
    let server = MockServer::start().await.unwrap();
    server.on_path("/v1/realtime", Answer::text("Hello there, 世界!"));
    let mut ws = connect(&server, "gpt-realtime").await;

    let created = next_event(&mut ws).await;
    assert_eq!(created["type"], "session.created");
    assert_eq!(created["session"]["model"], "gpt-realtime");

    send(
        &mut ws,
        json!({"type": "session.update", "session": {"instructions": "Be brief."}}),
    )
    .await;
    let updated = next_event(&mut ws).await;
    assert_eq!(updated["type"], "session.updated");
    assert_eq!(updated["session"]["instructions"], "Be brief.");
    assert_eq!(updated["session"]["model"], "gpt-realtime");

    send(&mut ws, json!({"type": "response.create"})).await;
    let events = events_until(&mut ws, "response.done").await;
    let kinds = types(&events);
    assert_eq!(kinds[0], "response.created");
    assert_eq!(
        kinds[kinds.len() - 2..],
        ["response.output_text.done", "response.done"]
    );
    let pieces = kinds
        .iter()
        .filter(|k| **k == "response.output_text.delta")
        .count();
    assert!(pieces > 1, "the text comes in pieces: {kinds:?}");
    assert_eq!(deltas(&events), "Hello there, 世界!");
    let done = &events[events.len() - 2];
    assert_eq!(done["text"], "Hello there, 世界!");
    let response = &events[events.len() - 1]["response"];
    assert_eq!(response["status"], "completed");
    assert_eq!(
        response["output"][0]["content"][0]["text"],
        "Hello there, 世界!"
    );
    // Every event of the response names it.
    let id = &events[0]["response"]["id"];
    assert!(events[1..events.len() - 1]
        .iter()
        .all(|e| e["response_id"] == *id));

    // A second response on the same session: an echo of the user's item.
    server.on_path("/v1/realtime", Answer::echo());
    send(
        &mut ws,
        json!({"type": "conversation.item.create", "item": {
            "type": "message", "role": "user",
            "content": [{"type": "input_text", "text": "echo me"}],
        }}),
    )
    .await;
    assert_eq!(
        next_event(&mut ws).await["type"],
        "conversation.item.created"
    );
    send(&mut ws, json!({"type": "response.create"})).await;
    let events = events_until(&mut ws, "response.done").await;
    assert_eq!(deltas(&events), "echo me");

    let answer = ws.close(1000, "done").await.unwrap();
    assert_eq!(answer.map(|c| c.code), Some(1000));
    // The handshake was recorded, with the query and the key as sent.
    let seen = server.requests();
    assert_eq!(seen[0].path, "/v1/realtime?model=gpt-realtime");
    assert_eq!(seen[0].header("authorization"), Some("Bearer sk-test"));
}

#[tokio::test]
async fn bad_events_get_error_events_and_the_session_goes_on() {
    let server = MockServer::start().await.unwrap();
    let mut ws = connect(&server, "m").await;
    assert_eq!(next_event(&mut ws).await["type"], "session.created");

    ws.send(Message::text("{not json")).await.unwrap();
    let error = next_event(&mut ws).await;
    assert_eq!(error["type"], "error");
    assert_eq!(error["error"]["type"], "invalid_request_error");
    assert_eq!(error["error"]["code"], "invalid_json");

    send(
        &mut ws,
        json!({"type": "no.such.event", "event_id": "evt_1"}),
    )
    .await;
    let error = next_event(&mut ws).await;
    assert_eq!(error["error"]["code"], "invalid_event");
    assert_eq!(error["error"]["event_id"], "evt_1");

    ws.send(Message::binary(*b"\x00\x01")).await.unwrap();
    assert_eq!(next_event(&mut ws).await["type"], "error");

    // Still serving: a ping is answered, and so is the next event.
    ws.send(Message::Ping(b"are you there".to_vec()))
        .await
        .unwrap();
    assert_eq!(
        ws.recv().await.unwrap(),
        Some(Message::Pong(b"are you there".to_vec()))
    );
    send(&mut ws, json!({"type": "session.update", "session": {}})).await;
    assert_eq!(next_event(&mut ws).await["type"], "session.updated");
}

#[tokio::test]
async fn without_a_key_the_handshake_is_a_401_that_keeps_its_status() {
    let server = MockServer::start().await.unwrap();
    let e = brisk::Client::new()
        .websocket(realtime_url(&server, "m"))
        .connect()
        .await
        .expect_err("no key, no session");
    assert_eq!(e.status().map(|s| s.as_u16()), Some(401), "{e:?}");
    let rejected = e
        .source()
        .and_then(|s| s.downcast_ref::<HandshakeError>())
        .unwrap_or_else(|| panic!("not a handshake error: {e:?}"));
    match rejected {
        HandshakeError::Rejected { status, body } => {
            assert_eq!(*status, 401);
            let body: Value = serde_json::from_slice(body).unwrap();
            assert_eq!(body["error"]["type"], "invalid_request_error");
            assert!(body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("API key"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_handshake_is_checked_as_a_server_must() {
    let server = MockServer::start().await.unwrap();
    let ask = |head: String| {
        let addr = server.addr();
        async move {
            let mut sock = TcpStream::connect(addr).await.unwrap();
            sock.write_all(head.as_bytes()).await.unwrap();
            let mut answer = vec![0u8; 4096];
            let n = sock.read(&mut answer).await.unwrap();
            String::from_utf8_lossy(&answer[..n]).into_owned()
        }
    };
    let head = |fields: &str| {
        format!(
            "GET /v1/realtime?model=m HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n{fields}\r\n"
        )
    };
    let good = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\
                Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    // RFC 6455 §1.3's example key and its accept value.
    let answer = ask(head(good)).await;
    assert!(answer.starts_with("HTTP/1.1 101 "), "{answer}");
    assert!(answer.contains("sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    // Not an upgrade; a wrong version; a key that is not 16 bytes.
    let plain = ask(head("")).await;
    assert!(plain.starts_with("HTTP/1.1 426 "), "{plain}");
    let v8 = ask(head(&good.replace("Version: 13", "Version: 8"))).await;
    assert!(v8.starts_with("HTTP/1.1 426 "), "{v8}");
    assert!(v8.contains("sec-websocket-version: 13\r\n"), "{v8}");
    let short = ask(head(&good.replace("dGhlIHNhbXBsZSBub25jZQ==", "c2hvcnQ="))).await;
    assert!(short.starts_with("HTTP/1.1 400 "), "{short}");
}

#[tokio::test]
async fn a_client_frame_that_is_not_masked_fails_the_connection_with_1002() {
    let server = MockServer::start().await.unwrap();
    let mut sock = TcpStream::connect(server.addr()).await.unwrap();
    let head = "GET /v1/realtime HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n\
                Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\
                Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    sock.write_all(head.as_bytes()).await.unwrap();
    // An unmasked text frame, right behind the head.
    sock.write_all(b"\x81\x02{}").await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    bounded(async {
        while let Ok(n) = sock.read(&mut buf).await {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
    })
    .await;
    // After the 101 and session.created: a close frame with 1002.
    let close = [0x88, 0x02, 0x03, 0xEA];
    assert!(
        got.windows(4).any(|w| w == close),
        "no close 1002 in {:?}",
        String::from_utf8_lossy(&got)
    );
}

#[tokio::test]
async fn a_connection_dropped_mid_response_is_an_error_not_a_hang() {
    let server = MockServer::start().await.unwrap();
    server.on_model(
        "drop",
        Answer::text("one two three four five").reset_after(2),
    );
    let mut ws = connect(&server, "drop").await;
    assert_eq!(next_event(&mut ws).await["type"], "session.created");
    send(&mut ws, json!({"type": "response.create"})).await;
    let mut seen = Vec::new();
    let e = bounded(async {
        loop {
            match ws.recv().await {
                Ok(Some(Message::Text(t))) => seen.push(serde_json::from_str::<Value>(&t).unwrap()),
                Ok(other) => panic!("expected an error, got {other:?}"),
                Err(e) => return e,
            }
        }
    })
    .await;
    // response.created and two deltas, then the reset.
    assert_eq!(
        types(&seen),
        [
            "response.created",
            "response.output_text.delta",
            "response.output_text.delta"
        ]
    );
    assert!(e.is_io(), "{e:?}");
    assert!(!e.is_timeout(), "{e:?}");
    // The connection is over: no more messages.
    assert_eq!(ws.recv().await.unwrap(), None);
}

#[tokio::test]
async fn a_1011_close_mid_response_is_reported_with_code_and_reason() {
    let server = MockServer::start().await.unwrap();
    server.on_model(
        "crash",
        Script::steps([Answer::text("fine")]).then(Answer::text("one two three").close_after(
            1,
            1011,
            "mock: internal error",
        )),
    );
    let mut ws = connect(&server, "crash").await;
    assert_eq!(next_event(&mut ws).await["type"], "session.created");
    // The script's first step answers; the second closes.
    send(&mut ws, json!({"type": "response.create"})).await;
    let first = events_until(&mut ws, "response.done").await;
    assert_eq!(deltas(&first), "fine");
    send(&mut ws, json!({"type": "response.create"})).await;
    let close = bounded(async {
        let mut kinds = Vec::new();
        loop {
            match ws.recv().await.unwrap() {
                Some(Message::Text(t)) => {
                    let event: Value = serde_json::from_str(&t).unwrap();
                    kinds.push(event["type"].as_str().unwrap().to_owned());
                }
                Some(Message::Close(frame)) => return (kinds, frame),
                other => panic!("{other:?}"),
            }
        }
    })
    .await;
    let (kinds, frame) = close;
    assert_eq!(kinds, ["response.created", "response.output_text.delta"]);
    let frame = frame.expect("a close frame with a code");
    assert_eq!(frame.code, 1011);
    assert_eq!(frame.reason, "mock: internal error");
    // After the close, the connection ends cleanly.
    assert_eq!(ws.recv().await.unwrap(), None);
}

#[tokio::test]
async fn a_scripted_error_is_an_error_event() {
    let server = MockServer::start().await.unwrap();
    server.on_model("limited", Answer::rate_limited(Duration::from_secs(2)));
    let mut ws = connect(&server, "limited").await;
    assert_eq!(next_event(&mut ws).await["type"], "session.created");
    send(&mut ws, json!({"type": "response.create"})).await;
    let error = next_event(&mut ws).await;
    assert_eq!(error["type"], "error");
    assert_eq!(error["error"]["code"], "rate_limit_exceeded");
}
