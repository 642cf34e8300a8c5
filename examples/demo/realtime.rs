//! Step 8: a Realtime-style session over WebSocket: JSON events both
//! ways on one connection, as OpenAI's Realtime API speaks, against the
//! mock's `GET /v1/realtime`; then a server that fails mid-response.

use crate::console::{heading, human};
use crate::{Demo, DemoResult};
use brisk::mock::{Answer, Script};
use brisk::ws::{Message, WebSocket};
use brisk::Client;
use serde_json::{json, Value};
use std::io::Write;
use std::time::Instant;

const REPLY: &str = "Pingyao's walls are six kilometres round, with six gates.";

/// The next JSON event, or the close frame's code and reason.
enum Incoming {
    Event(Value),
    Closed(Option<(u16, String)>),
}

async fn next(ws: &mut WebSocket) -> DemoResult<Incoming> {
    loop {
        match ws.recv().await? {
            Some(Message::Text(text)) => return Ok(Incoming::Event(serde_json::from_str(&text)?)),
            Some(Message::Close(frame)) => {
                return Ok(Incoming::Closed(frame.map(|f| (f.code, f.reason))))
            }
            Some(_) => continue,
            None => return Err("the connection ended without a close".into()),
        }
    }
}

/// The text of the response's deltas, printed as they arrive, up to
/// `response.done`; or the close that came first.
async fn response(ws: &mut WebSocket) -> DemoResult<(String, usize, Option<(u16, String)>)> {
    let (mut text, mut deltas) = (String::new(), 0);
    print!("  ");
    loop {
        match next(ws).await? {
            Incoming::Event(e) if e["type"] == "response.output_text.delta" => {
                let delta = e["delta"].as_str().unwrap_or("");
                print!("{delta}");
                std::io::stdout().flush()?;
                text.push_str(delta);
                deltas += 1;
            }
            Incoming::Event(e) if e["type"] == "response.done" => {
                println!();
                return Ok((text, deltas, None));
            }
            Incoming::Event(_) => {}
            Incoming::Closed(close) => {
                println!();
                return Ok((text, deltas, close));
            }
        }
    }
}

/// Step 8: one WebSocket, events both ways; a reply streamed as deltas,
/// then a second response that the server fails with close code 1011.
pub async fn realtime(demo: &mut Demo) -> DemoResult<()> {
    heading(8, "Realtime over WebSocket: events both ways");
    demo.server.on_model(
        "realtime-guide",
        Script::steps([Answer::text(REPLY).token_delay(demo.cfg.token_gap)])
            .then(Answer::text(REPLY).close_after(3, 1011, "mock: the model crashed")),
    );
    let url = format!(
        "{}/realtime?model=realtime-guide",
        demo.server.base_url().replacen("http://", "ws://", 1)
    );
    println!("client.websocket({url:?}).bearer_auth(..).connect()");
    let t0 = Instant::now();
    let mut ws = Client::new()
        .websocket(&url)
        .bearer_auth("sk-demo-not-a-real-key")
        .connect()
        .await?;
    let events = [
        json!({"type": "session.update", "session": {"instructions": "Be brief."}}),
        json!({"type": "conversation.item.create", "item": {
            "type": "message", "role": "user",
            "content": [{"type": "input_text", "text": "How long are Pingyao's walls?"}],
        }}),
        json!({"type": "response.create"}),
    ];
    for event in &events {
        ws.send(Message::text(event.to_string())).await?;
    }
    println!(
        "sent session.update, conversation.item.create, response.create; the deltas, {} apart:",
        human(demo.cfg.token_gap)
    );
    let (text, deltas, close) = response(&mut ws).await?;
    println!("{deltas} deltas in {}", human(t0.elapsed()));
    demo.checks.behaviour(
        text == REPLY && deltas > 1 && close.is_none(),
        format!("realtime: {deltas} deltas joined into the scripted reply, then response.done"),
    );

    // The same session, a second response: the server fails it.
    ws.send(Message::text(
        json!({"type": "response.create"}).to_string(),
    ))
    .await?;
    println!("response.create again; this time the server fails mid-response:");
    let (_, deltas, close) = response(&mut ws).await?;
    let (code, reason) = close.unwrap_or((0, String::new()));
    println!("closed by the server after {deltas} deltas: {code} {reason:?}");
    demo.checks.behaviour(
        code == 1011 && reason == "mock: the model crashed" && deltas == 3,
        format!("realtime: the server's close reported as {code} {reason:?} (1011 expected)"),
    );
    Ok(())
}
