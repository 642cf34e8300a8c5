//! What the mock server (`brisk::mock`) bounds, over real sockets: the
//! memory a request costs (read buffer, record) and the time and
//! connections a client can hold. Each bound is judged by behaviour (bytes
//! the server reports holding, connections closed), never by speed.
#![cfg(feature = "mock")]

use brisk::mock::MockServer;
use brisk::Client;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const MIB: usize = 1024 * 1024;
/// Far longer than any bound under test: a read that takes this long
/// means the server kept the connection open.
const PATIENCE: Duration = Duration::from_secs(20);

/// A chat request asking for `content` back.
fn chat(content: &str) -> Value {
    json!({"model": "m", "messages": [{"role": "user", "content": content}]})
}

/// What the server sends until it closes the connection (a reset counts
/// as closed); `None` if it is still open after [`PATIENCE`].
async fn read_until_closed(s: &mut TcpStream) -> Option<String> {
    let mut out = Vec::new();
    let read = tokio::time::timeout(PATIENCE, async {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = s.read(&mut buf).await {
            out.extend_from_slice(&buf[..n]);
        }
    });
    read.await.ok()?;
    Some(String::from_utf8_lossy(&out).into_owned())
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

/// Issue 18 defect 4: a client that sends part of a head and stops (or
/// drips it a byte at a time) held its connection for ever. Past the head
/// timeout it gets a 408 and a closed connection.
#[tokio::test]
async fn a_head_that_does_not_arrive_in_time_is_a_408() {
    let server = MockServer::builder()
        .head_timeout(Duration::from_millis(200))
        .start()
        .await
        .unwrap();

    let mut stopped = TcpStream::connect(server.addr()).await.unwrap();
    stopped
        .write_all(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let out = read_until_closed(&mut stopped).await.expect("still open");
    assert!(out.starts_with("HTTP/1.1 408 "), "{out}");
    assert!(out.contains("connection: close"), "{out}");

    // A byte every 20 ms keeps every read short, but the head as a whole
    // is late: the server closes before the 400-byte head is done (8 s).
    let mut drip = TcpStream::connect(server.addr()).await.unwrap();
    let head = format!(
        "GET /v1/models HTTP/1.1\r\nX-Slow: {}\r\n\r\n",
        "s".repeat(360)
    );
    let (mut rd, mut wr) = drip.split();
    let writer = async {
        for byte in head.as_bytes() {
            if wr.write_all(&[*byte]).await.is_err() {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    };
    let reader = async {
        let mut out = Vec::new();
        let _ = tokio::time::timeout(PATIENCE, rd.read_to_end(&mut out)).await;
        String::from_utf8_lossy(&out).into_owned()
    };
    // Whichever ends first: the server's answer should.
    let out = tokio::select! {
        out = reader => out,
        _ = writer => String::from("the whole head was sent"),
    };
    assert!(out.starts_with("HTTP/1.1 408 "), "{out}");
    assert_eq!(server.request_count(), 0);
}

/// An idle connection (nothing of a request sent) is closed silently
/// after the head timeout, as a keep-alive timeout would; one that was
/// used is closed the same way after its response.
#[tokio::test]
async fn idle_connections_are_closed_without_a_word() {
    let server = MockServer::builder()
        .head_timeout(Duration::from_millis(200))
        .start()
        .await
        .unwrap();
    let mut idle = TcpStream::connect(server.addr()).await.unwrap();
    assert_eq!(read_until_closed(&mut idle).await.as_deref(), Some(""));

    let mut used = TcpStream::connect(server.addr()).await.unwrap();
    used.write_all(b"GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let out = read_until_closed(&mut used).await.expect("still open");
    assert_eq!(out.matches("HTTP/1.1 ").count(), 1, "{out}");
    assert!(out.starts_with("HTTP/1.1 200 OK"), "{out}");
}

/// A body that stops arriving is cut the same way.
#[tokio::test]
async fn a_stalled_body_is_a_408() {
    let server = MockServer::builder()
        .head_timeout(Duration::from_millis(200))
        .start()
        .await
        .unwrap();
    let mut s = TcpStream::connect(server.addr()).await.unwrap();
    s.write_all(b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"model\"")
        .await
        .unwrap();
    let out = read_until_closed(&mut s).await.expect("still open");
    assert!(out.starts_with("HTTP/1.1 408 "), "{out}");
}

/// Issue 18 defect 4: connections were not capped. Past the cap a new
/// connection is closed at once; when a served one ends, its place is
/// free again.
#[tokio::test]
async fn connections_past_the_cap_are_closed() {
    let server = MockServer::builder()
        .max_connections(2)
        .start()
        .await
        .unwrap();
    let first = TcpStream::connect(server.addr()).await.unwrap();
    let _second = TcpStream::connect(server.addr()).await.unwrap();
    for _ in 0..1000 {
        if server.connection_count() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(server.connection_count(), 2);

    let mut third = TcpStream::connect(server.addr()).await.unwrap();
    let _ = third
        .write_all(b"GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    assert_eq!(read_until_closed(&mut third).await.as_deref(), Some(""));
    assert_eq!(server.connection_count(), 2);
    assert_eq!(server.request_count(), 0);

    // One place freed: a request is served again (once the server has
    // seen the close; a client retrying meanwhile is closed too).
    drop(first);
    let client = Client::new();
    let url = format!("{}/models", server.base_url());
    let mut served = false;
    for _ in 0..200 {
        if let Ok(resp) = client.get(&url).send().await {
            assert_eq!(resp.status().as_u16(), 200);
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(served, "no place was freed");
    assert_eq!(server.connection_count(), 3);
}
