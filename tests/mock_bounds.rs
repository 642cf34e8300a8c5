//! What the mock server (`brisk::mock`) bounds, over real sockets: the
//! memory a request costs (read buffer, record) and the time and
//! connections a client can hold. Each bound is judged by behaviour (bytes
//! the server reports holding, connections closed), never by speed.
#![cfg(feature = "mock")]

use brisk::mock::MockServer;
use brisk::Client;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const MIB: usize = 1024 * 1024;

/// A chat request asking for `content` back.
fn chat(content: &str) -> Value {
    json!({"model": "m", "messages": [{"role": "user", "content": content}]})
}

/// Issue 18 defect 3: the chunked reader kept every consumed byte until the
/// request ended, so the wire's size (here 20 MB of chunk extensions), not
/// the body's (20 KB), set what a request cost.
#[tokio::test]
async fn a_chunked_body_costs_its_size_not_the_wires() {
    let server = MockServer::start().await.unwrap();
    let body = chat(&"x".repeat(20_000)).to_string();
    let ext = format!(";e={}", "v".repeat(1000));
    let mut wire = Vec::with_capacity(body.len() * (ext.len() + 8));
    wire.extend_from_slice(
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
          Transfer-Encoding: chunked\r\n\r\n",
    );
    // One-byte chunks, each with a 1 KiB extension.
    for byte in body.as_bytes() {
        wire.extend_from_slice(format!("1{ext}\r\n").as_bytes());
        wire.push(*byte);
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b"0\r\n\r\n");
    assert!(wire.len() > 20 * 1_000_000);

    let mut s = TcpStream::connect(server.addr()).await.unwrap();
    let (mut rd, mut wr) = s.split();
    let (out, wrote) = tokio::join!(
        async {
            let mut out = Vec::new();
            let _ = rd.read_to_end(&mut out).await;
            String::from_utf8_lossy(&out).into_owned()
        },
        wr.write_all(&wire)
    );
    wrote.unwrap();
    assert!(
        out.starts_with("HTTP/1.1 200 OK"),
        "{}",
        &out[..out.len().min(200)]
    );
    assert_eq!(server.requests()[0].body, body.as_bytes());
    let held = server.peak_read_buffer();
    assert!(held < MIB, "the read buffer grew to {held} bytes");
}

/// A `Content-Length` body is not held twice (buffer and body) either.
#[tokio::test]
async fn a_sized_body_does_not_grow_the_read_buffer() {
    let server = MockServer::start().await.unwrap();
    let text = "y".repeat(4 * MIB);
    let resp = Client::new()
        .post(server.chat_url())
        .json(&chat(&text))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let reply: Value = resp.json().await.unwrap();
    assert_eq!(reply["choices"][0]["message"]["content"], text.as_str());
    let held = server.peak_read_buffer();
    assert!(held < MIB, "the read buffer grew to {held} bytes");
}

/// Issue 18 defect 3: every request's body was parsed as JSON and kept,
/// whatever its path. A 1 MiB JSON array of small numbers is 16 MiB as
/// parsed values. Off the chat routes the server never parses a body.
#[tokio::test]
async fn json_is_parsed_only_on_chat_routes() {
    let server = MockServer::start().await.unwrap();
    let numbers = format!("[{}1]", "1,".repeat(MIB / 2));
    let resp = Client::new()
        .post(format!("{}/v1/elsewhere", server.url()))
        .header("content-type", "application/json")
        .body(numbers.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    let seen = server.requests();
    assert_eq!(seen[0].body.len(), numbers.len());
    assert!(seen[0].json.is_none());
    let held = server.record_bytes();
    assert!(
        held < numbers.len() + 64 * 1024,
        "the record holds {held} bytes for a {} byte body",
        numbers.len()
    );
}

/// Issue 18 defect 3: the record was bounded by count alone (10,000
/// requests of up to 8 MiB each). It is bounded by bytes too: the oldest
/// requests go first, and a request larger than the whole bound is kept
/// without its body.
#[tokio::test]
async fn the_record_is_bounded_by_bytes() {
    let limit = 3 * MIB;
    let server = MockServer::builder()
        .record_bytes_limit(limit)
        .start()
        .await
        .unwrap();
    let client = Client::new();
    let url = server.chat_url();
    // Each costs about 1.5 MiB: a 0.75 MiB body and its parsed text.
    for i in 0..4 {
        let text = format!("{i}{}", "z".repeat(3 * MIB / 4));
        let resp = client.post(&url).json(&chat(&text)).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        resp.bytes().await.unwrap();
        let held = server.record_bytes();
        assert!(held <= limit, "the record holds {held} bytes");
    }
    let seen = server.requests();
    assert!(!seen.is_empty() && seen.len() < 4, "{} kept", seen.len());
    // The latest are the ones kept.
    let last = &seen[seen.len() - 1].json.as_ref().unwrap()["messages"][0]["content"];
    assert!(last.as_str().unwrap().starts_with('3'));

    // Larger than the bound: recorded, without its body.
    let big = "w".repeat(4 * MIB);
    let resp = client.post(&url).json(&chat(&big)).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    resp.bytes().await.unwrap();
    let seen = server.requests();
    let r = seen.last().unwrap();
    assert!(r.body.is_empty() && r.json.is_none());
    assert!(r.body_len > 4 * MIB, "{}", r.body_len);
    assert_eq!(r.method, "POST");
    assert!(server.record_bytes() <= limit);
    assert_eq!(server.request_count(), 5);
}
