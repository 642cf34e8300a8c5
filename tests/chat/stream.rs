//! `ChatStream` over real loopback sockets: the provider fixtures streamed
//! as chunked `text/event-stream` bodies in odd pieces with pauses between
//! writes, error events, bodies that end without `[DONE]`, a server that
//! stalls, error statuses, and the connection going back to the pool.

use crate::support;

use brisk::chat::{ChatStream, Delta, Reply, StreamErrorKind, ToolCall};
use brisk::{Client, RetryPolicy};
use std::time::{Duration, Instant};
use support::server::{read_request, Scripted};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const OPENAI: &str = include_str!("../fixtures/chat/openai_stream.sse");
const OPENAI_TOOLS: &str = include_str!("../fixtures/chat/openai_stream_tool_calls.sse");
const ZHIPU: &str = include_str!("../fixtures/chat/zhipu_stream.sse");

/// Piece sizes that cut the stream everywhere: inside `data:`, inside
/// multi-byte UTF-8, between CR and LF of the chunk framing.
const PIECES: [usize; 6] = [1, 7, 13, 2, 29, 64];

/// `body` as a chunked body: one chunk per piece of odd sizes.
fn chunked(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut at, mut i) = (0, 0);
    while at < body.len() {
        let n = PIECES[i % PIECES.len()].min(body.len() - at);
        out.extend_from_slice(format!("{n:x}\r\n").as_bytes());
        out.extend_from_slice(&body[at..at + n]);
        out.extend_from_slice(b"\r\n");
        at += n;
        i += 1;
    }
    out
}

/// Writes `bytes` in odd pieces with a pause between writes, so the client
/// reads them in many reads.
async fn dribble(stream: &mut TcpStream, bytes: &[u8]) -> std::io::Result<()> {
    for (i, piece) in bytes.chunks(37).enumerate() {
        stream.write_all(piece).await?;
        if i % 4 == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    Ok(())
}

const SSE_HEAD: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-Request-Id: req-42\r\nTransfer-Encoding: chunked\r\n\r\n";

/// Serves every request on a connection with `body` as a chunked event
/// stream, dribbled.
async fn streaming(body: &'static str) -> Scripted {
    Scripted::start(move |mut stream, _| async move {
        let mut pending = Vec::new();
        while read_request(&mut stream, &mut pending).await.is_some() {
            let mut bytes = SSE_HEAD.as_bytes().to_vec();
            bytes.extend(chunked(body.as_bytes()));
            bytes.extend_from_slice(b"0\r\n\r\n");
            if dribble(&mut stream, &bytes).await.is_err() {
                return;
            }
        }
    })
    .await
}

/// A server that answers one request with `head` and `body` as they are,
/// then holds the connection for `hold` and closes it.
async fn once(head: &'static str, body: String, hold: Duration) -> Scripted {
    let body: &'static str = body.leak();
    Scripted::start(move |mut stream, _| async move {
        read_request(&mut stream, &mut Vec::new()).await;
        let mut bytes = head.as_bytes().to_vec();
        bytes.extend_from_slice(body.as_bytes());
        let _ = dribble(&mut stream, &bytes).await;
        tokio::time::sleep(hold).await;
    })
    .await
}

fn client() -> Client {
    Client::builder()
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

/// A streamed chat request as `chat.stream(...)` sends it.
async fn open(client: &Client, server: &Scripted) -> ChatStream {
    let body = serde_json::json!({
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": true,
        "stream_options": {"include_usage": true},
    });
    let resp = client
        .post(server.url("/v1/chat/completions"))
        .header("Accept", "text/event-stream")
        .json(&body)
        .send()
        .await
        .unwrap();
    ChatStream::new(resp)
}

async fn all_deltas(stream: &mut ChatStream) -> Vec<Delta> {
    let mut out = Vec::new();
    while let Some(delta) = stream.next().await {
        out.push(delta.unwrap());
    }
    assert!(stream.next().await.is_none(), "fused after the end");
    out
}

#[tokio::test]
async fn openai_text_stream() {
    let server = streaming(OPENAI).await;
    let client = client();
    let mut stream = open(&client, &server).await;
    let deltas = all_deltas(&mut stream).await;
    let texts: Vec<&str> = deltas.iter().map(Delta::text).collect();
    assert_eq!(texts, ["", "Hello", ", 世界", "!", "", ""]);
    assert_eq!(deltas[0].role.as_deref(), Some("assistant"));
    assert_eq!(deltas[4].finish_reason.as_deref(), Some("stop"));
    assert_eq!(deltas[5].usage.map(|u| u.total_tokens), Some(13));
    let reply = stream.into_reply();
    assert_eq!(reply.content, "Hello, 世界!");
    assert_eq!(reply.finish_reason.as_deref(), Some("stop"));
    assert_eq!(reply.model, "gpt-4o-mini-2024-07-18");
    let usage = reply.usage.unwrap();
    assert_eq!(
        (
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens
        ),
        (9, 4, 13)
    );
    assert_eq!(reply.request_id.as_deref(), Some("req-42"), "the header's");
    assert_eq!(reply.attempts, 1);
}

#[tokio::test]
async fn openai_tool_calls_stream() {
    let server = streaming(OPENAI_TOOLS).await;
    let reply = open(&client(), &server)
        .await
        .collect_reply()
        .await
        .unwrap();
    let call = |id: &str, name: &str, arguments: &str| ToolCall {
        id: id.into(),
        name: name.into(),
        arguments: arguments.into(),
    };
    assert_eq!(
        reply.tool_calls,
        [
            call("call_Weather01", "get_weather", r#"{"city":"Taiyuan"}"#),
            call("call_Time02", "get_time", r#"{"tz":"Asia/Shanghai"}"#),
        ]
    );
    assert_eq!(reply.finish_reason.as_deref(), Some("tool_calls"));
    assert_eq!(reply.content, "");
}

#[tokio::test]
async fn zhipu_stream_in_a_spawned_task() {
    let server = streaming(ZHIPU).await;
    let stream = open(&client(), &server).await;
    // The stream and its future are Send: it can run in its own task.
    let reply: Reply = tokio::spawn(stream.collect_reply()).await.unwrap().unwrap();
    assert_eq!(reply.content, "你好，欢迎来到山西");
    assert_eq!(reply.finish_reason.as_deref(), Some("stop"));
    assert_eq!(reply.usage.map(|u| u.total_tokens), Some(15));
    assert_eq!(reply.model, "glm-4-flash");
}

#[tokio::test]
async fn the_connection_is_reused_after_done() {
    let server = streaming(OPENAI).await;
    let client = client();
    for round in 0..3 {
        let mut stream = open(&client, &server).await;
        assert_eq!(stream.response().reused(), round > 0, "round {round}");
        all_deltas(&mut stream).await;
    }
    assert_eq!(server.accepted(), 1);
}

/// The first `n` events of the OpenAI fixture.
fn first_events(n: usize) -> String {
    OPENAI
        .split_inclusive("\n\n")
        .take(n)
        .collect::<Vec<_>>()
        .concat()
}

#[tokio::test]
async fn an_error_event_ends_the_stream_keeping_the_text() {
    let body = first_events(3)
        + "data: {\"error\":{\"code\":\"1301\",\"message\":\"unsafe content\"}}\n\n"
        + &OPENAI[first_events(3).len()..];
    let server = once(
        SSE_HEAD,
        String::from_utf8(chunked(body.as_bytes())).unwrap() + "0\r\n\r\n",
        Duration::ZERO,
    )
    .await;
    let mut stream = open(&client(), &server).await;
    let mut texts = Vec::new();
    let err = loop {
        match stream.next().await.expect("an error before the end") {
            Ok(delta) => texts.push(delta.text().to_owned()),
            Err(e) => break e,
        }
    };
    assert_eq!(texts, ["", "Hello", ", 世界"]);
    let api = err.api().expect("an api error");
    assert_eq!(api.code.as_deref(), Some("1301"));
    assert_eq!(api.message, "unsafe content");
    assert_eq!(api.status, None);
    assert_eq!(err.partial().content, "Hello, 世界");
    assert_eq!(
        err.to_string(),
        "the server sent an error [1301]: unsafe content"
    );
    assert!(stream.next().await.is_none(), "nothing after the error");
    assert_eq!(stream.into_reply().content, "Hello, 世界");
}

#[tokio::test]
async fn collect_reply_keeps_the_text_in_its_error() {
    let body = first_events(2) + "event: error\ndata: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\n\n";
    let server = once(
        SSE_HEAD,
        String::from_utf8(chunked(body.as_bytes())).unwrap() + "0\r\n\r\n",
        Duration::ZERO,
    )
    .await;
    let err = open(&client(), &server)
        .await
        .collect_reply()
        .await
        .unwrap_err();
    assert_eq!(err.api().unwrap().kind.as_deref(), Some("server_error"));
    assert_eq!(err.into_partial().content, "Hello");
}

/// A body framed by the connection's close (no length, not chunked).
const CLOSE_HEAD: &str =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n";

#[tokio::test]
async fn a_clean_end_without_done_is_the_end() {
    let server = once(CLOSE_HEAD, first_events(4), Duration::ZERO).await;
    let reply = open(&client(), &server)
        .await
        .collect_reply()
        .await
        .unwrap();
    assert_eq!(reply.content, "Hello, 世界!");
    assert_eq!(reply.finish_reason, None, "what tells a cut reply");
}

#[tokio::test]
async fn an_end_inside_an_event_is_truncated() {
    let cut = first_events(3) + "data: {\"choices\":[{\"delta\":{\"content\":\"!\"}}]}\n";
    let server = once(CLOSE_HEAD, cut, Duration::ZERO).await;
    let err = open(&client(), &server)
        .await
        .collect_reply()
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), StreamErrorKind::Truncated), "{err:?}");
    assert_eq!(err.partial().content, "Hello, 世界");
}

#[tokio::test]
async fn a_chunked_body_cut_short_is_a_read_error() {
    let body = String::from_utf8(chunked(first_events(3).as_bytes())).unwrap();
    let server = once(SSE_HEAD, body, Duration::ZERO).await;
    let err = open(&client(), &server)
        .await
        .collect_reply()
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), StreamErrorKind::Read(_)), "{err:?}");
    assert_eq!(err.partial().content, "Hello, 世界");
}

#[tokio::test]
async fn a_stalled_stream_is_cut_by_the_read_timeout() {
    let body = String::from_utf8(chunked(first_events(2).as_bytes())).unwrap();
    let server = once(SSE_HEAD, body, Duration::from_secs(10)).await;
    let client = Client::builder()
        .retry(RetryPolicy::none())
        .read_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let mut stream = open(&client, &server).await;
    assert_eq!(stream.next().await.unwrap().unwrap().text(), "");
    assert_eq!(stream.next().await.unwrap().unwrap().text(), "Hello");
    let started = Instant::now();
    let err = stream.next().await.unwrap().unwrap_err();
    let waited = started.elapsed();
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    assert_eq!(err.partial().content, "Hello");
}

#[tokio::test]
async fn an_error_status_is_an_api_error_with_its_status() {
    let body = r#"{"error":{"code":"1113","message":"Insufficient balance"}}"#;
    let head = "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nContent-Length: 58\r\n\r\n";
    assert_eq!(body.len(), 58);
    let server = once(head, body.into(), Duration::ZERO).await;
    let err = open(&client(), &server)
        .await
        .collect_reply()
        .await
        .unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.status, Some(429));
    assert_eq!(api.code.as_deref(), Some("1113"));
    assert_eq!(api.message, "Insufficient balance");
    // Not JSON: the text is the message.
    let head = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 11\r\n\r\n";
    let server = once(head, "bad gateway".into(), Duration::ZERO).await;
    let err = open(&client(), &server)
        .await
        .collect_reply()
        .await
        .unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(
        (api.status, api.message.as_str()),
        (Some(502), "bad gateway")
    );
}

#[tokio::test]
async fn a_whole_completion_instead_of_a_stream() {
    let body = r#"{"id":"x","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"whole"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"#;
    let head: &'static str = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .leak();
    let server = once(head, body.into(), Duration::ZERO).await;
    let mut stream = open(&client(), &server).await;
    let deltas = all_deltas(&mut stream).await;
    assert_eq!(deltas.len(), 1);
    let reply = stream.into_reply();
    assert_eq!(reply.content, "whole");
    assert_eq!(reply.usage.map(|u| u.total_tokens), Some(2));
}

#[tokio::test]
async fn an_event_past_the_bound_fails() {
    let big = format!(
        "data: {{\"choices\":[{{\"delta\":{{\"content\":\"{}\"}}}}]}}\n\n",
        "x".repeat(4096)
    );
    let body = first_events(2) + &big;
    let server = once(CLOSE_HEAD, body, Duration::ZERO).await;
    let resp = client()
        .post(server.url("/"))
        .body("{}")
        .send()
        .await
        .unwrap();
    let err = ChatStream::with_bounds(resp, 1024, 1 << 20)
        .collect_reply()
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), StreamErrorKind::Event(_)), "{err:?}");
    assert_eq!(err.partial().content, "Hello");
}

#[tokio::test]
async fn a_reply_past_the_bound_fails() {
    let server = once(CLOSE_HEAD, OPENAI.into(), Duration::ZERO).await;
    let resp = client()
        .post(server.url("/"))
        .body("{}")
        .send()
        .await
        .unwrap();
    let err = ChatStream::with_bounds(resp, 1 << 20, 40)
        .collect_reply()
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), StreamErrorKind::Overflow(_)),
        "{err:?}"
    );
}

/// The fuzz target's seed corpus and regressions, replayed on stable.
#[test]
fn chat_delta_corpus_replays() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut replayed = 0;
    for dir in ["corpus/chat_delta", "regressions/chat_delta"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in entries {
            brisk::fuzzing::chat_delta(&std::fs::read(entry.unwrap().path()).unwrap());
            replayed += 1;
        }
    }
    assert!(replayed >= 4, "the seed corpus is there");
}

/// An error status whose body drips a byte at a time, each well within
/// the read timeout, never ending: the stream reads it for a bounded time
/// (about 2 s), then ends with the API error made of what arrived. Before
/// the bound it read until 64 KiB had come: an hour at this pace.
#[tokio::test]
async fn a_dripping_error_body_is_read_for_a_bounded_time() {
    let server = Scripted::start(|mut stream, _| async move {
        read_request(&mut stream, &mut Vec::new()).await;
        let head = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"error\":{\"message\":\"overloaded";
        if stream.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        loop {
            tokio::time::sleep(Duration::from_millis(50)).await;
            if stream.write_all(b" ").await.is_err() {
                return;
            }
        }
    })
    .await;
    let client = Client::builder()
        .retry(RetryPolicy::none())
        .read_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let stream = open(&client, &server).await;
    let err = tokio::time::timeout(Duration::from_secs(60), stream.collect_reply())
        .await
        .expect("the error body's read has no total bound")
        .unwrap_err();
    let api = err.api().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(api.status, Some(503));
    assert!(
        api.message
            .starts_with(r#"{"error":{"message":"overloaded"#),
        "{api:?}"
    );
}

/// `Chat::stream` answered by an error status whose body never ends (a
/// gateway streaming an error page, or a hostile server): the error body
/// is read with `Response::bytes`, with no byte cap (the default client
/// has no `max_body_bytes`) and no total deadline (a stream only has a
/// read budget), so the call neither returns nor stops growing. The
/// non-streaming path's `ChatStream` reads at most 64 KiB of an error
/// body; this one should too.
#[cfg(feature = "json")]
#[tokio::test]
async fn chat_stream_error_status_with_an_endless_body_returns() {
    use brisk::chat::{Chat, ChatOptions, Provider};
    let server = Scripted::start(|mut stream, _| async move {
        let mut pending = Vec::new();
        if read_request(&mut stream, &mut pending).await.is_some() {
            let _ = stream
                .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n")
                .await;
            let piece = format!("400\r\n{}\r\n", "e".repeat(0x400));
            // 1 KiB every 5 ms, for up to ~50 s.
            for _ in 0..10_000 {
                if stream.write_all(piece.as_bytes()).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    })
    .await;
    let chat = Chat::builder(Provider::Custom(server.url("/v1")))
        .model("m")
        .api_key("sk-test")
        .timeout(Duration::from_secs(1))
        .build();
    let t = Instant::now();
    let r = tokio::time::timeout(
        Duration::from_secs(6),
        chat.stream("hi", ChatOptions::default()),
    )
    .await;
    assert!(
        r.is_ok(),
        "Chat::stream still reading an endless error body after {:?}",
        t.elapsed()
    );
}
