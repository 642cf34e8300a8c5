//! The mock chat server (`brisk::mock`), driven by brisk's own client over
//! loopback: reply shapes, streams, scripts, faults, the record, keep-alive,
//! and what it does with bad requests.
#![cfg(feature = "mock")]

use brisk::mock::{Answer, Flavour, MockServer, Script};
use brisk::Client;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn chat(model: &str, text: &str) -> Value {
    json!({"model": model, "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": text},
    ]})
}

fn streamed(model: &str, text: &str, include_usage: bool) -> Value {
    let mut body = chat(model, text);
    body["stream"] = json!(true);
    if include_usage {
        body["stream_options"] = json!({"include_usage": true});
    }
    body
}

/// A response header as text.
fn header<'a>(resp: &'a brisk::Response, name: &str) -> Option<&'a str> {
    resp.headers().get(name).and_then(|v| v.to_str().ok())
}

async fn post(client: &Client, url: &str, body: &Value) -> brisk::Response {
    client.post(url).json(body).send().await.unwrap()
}

/// The data of each event of a stream, in order, read with brisk's own
/// SSE parser.
fn data_lines(sse: &str) -> Vec<String> {
    let mut parser = brisk::sse::Parser::new();
    let mut out = Vec::new();
    parser
        .feed(sse.as_bytes(), |e| out.push(e.data.to_owned()))
        .unwrap();
    assert!(parser.finish().is_clean(), "an event cut short");
    out
}

/// The chunks (JSON) of a stream, without `[DONE]`.
fn chunks(sse: &str) -> Vec<Value> {
    data_lines(sse)
        .iter()
        .filter(|d| *d != "[DONE]")
        .map(|d| serde_json::from_str(d).unwrap())
        .collect()
}

fn content_of(chunks: &[Value], key: &str) -> String {
    chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"][key].as_str())
        .collect()
}

#[tokio::test]
async fn a_plain_reply_has_the_completion_shape() {
    let server = MockServer::start().await.unwrap();
    let client = Client::new();
    let resp = post(
        &client,
        &server.chat_url(),
        &chat("gpt-test", "Hello, world!"),
    )
    .await;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(header(&resp, "content-type"), Some("application/json"));
    let request_id = header(&resp, "x-request-id").unwrap().to_string();
    assert!(request_id.starts_with("req_mock_"));
    let v: Value = resp.json().await.unwrap();
    assert!(v["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(v["object"], "chat.completion");
    assert!(v["created"].as_u64().unwrap() > 1_700_000_000);
    assert_eq!(v["model"], "gpt-test");
    let choice = &v["choices"][0];
    assert_eq!(choice["index"], 0);
    assert_eq!(choice["message"]["role"], "assistant");
    // The default answer echoes the last user message.
    assert_eq!(choice["message"]["content"], "Hello, world!");
    assert_eq!(choice["finish_reason"], "stop");
    let usage = &v["usage"];
    assert_eq!(usage["completion_tokens"], 4);
    assert_eq!(
        usage["total_tokens"].as_u64().unwrap(),
        usage["prompt_tokens"].as_u64().unwrap() + 4
    );
}

#[tokio::test]
async fn a_streamed_reply_is_chunked_events_ending_with_done() {
    let server = MockServer::start().await.unwrap();
    server.set_default(Answer::text("Hello, 世界! How are you?"));
    let client = Client::new();
    let resp = post(&client, &server.chat_url(), &streamed("m", "x", true)).await;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(header(&resp, "content-type"), Some("text/event-stream"));
    assert_eq!(header(&resp, "transfer-encoding"), Some("chunked"));
    assert!(header(&resp, "x-request-id").is_some());
    let sse = resp.text().await.unwrap();
    let data = data_lines(&sse);
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let chunks = chunks(&sse);
    // Role first, with empty content.
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    assert_eq!(chunks[0]["choices"][0]["delta"]["content"], "");
    assert!(chunks
        .iter()
        .all(|c| c["object"] == "chat.completion.chunk"));
    assert_eq!(content_of(&chunks, "content"), "Hello, 世界! How are you?");
    // One token per chunk: more than a handful of content chunks.
    assert!(chunks.len() > 8);
    // Then the finish chunk, then usage alone with `choices: []`.
    let n = chunks.len();
    assert_eq!(chunks[n - 2]["choices"][0]["finish_reason"], "stop");
    assert_eq!(chunks[n - 1]["choices"], json!([]));
    assert!(chunks[n - 1]["usage"]["total_tokens"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn without_include_usage_there_is_no_usage_chunk() {
    let server = MockServer::start().await.unwrap();
    let client = Client::new();
    let sse = post(
        &client,
        &server.chat_url(),
        &streamed("m", "hi there", false),
    )
    .await
    .text()
    .await
    .unwrap();
    let chunks = chunks(&sse);
    assert!(chunks.iter().all(|c| c.get("usage").is_none()));
    assert_eq!(content_of(&chunks, "content"), "hi there");
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "stop"
    );
}

#[tokio::test]
async fn streamed_tokens_arrive_one_chunk_at_a_time() {
    let server = MockServer::start().await.unwrap();
    server.set_default(Answer::text("one two three").token_delay(Duration::from_millis(20)));
    let client = Client::new();
    let mut resp = post(&client, &server.chat_url(), &streamed("m", "x", false)).await;
    let mut pieces = 0;
    while let Some(chunk) = resp.chunk().await.unwrap() {
        assert!(!chunk.is_empty());
        pieces += 1;
    }
    // role, 3 tokens, finish, [DONE]: read as they came, each on its own.
    assert!(pieces >= 6, "{pieces} reads");
}

#[tokio::test]
async fn tool_calls_plain_and_streamed_interleaved_by_index() {
    let server = MockServer::start().await.unwrap();
    let weather = r#"{"city":"Taiyuan","unit":"celsius"}"#;
    let time = r#"{"tz":"Asia/Shanghai"}"#;
    server.set_default(Answer::tool_call("get_weather", weather).with_tool_call("get_time", time));
    let client = Client::new();

    let v: Value = post(&client, &server.chat_url(), &chat("m", "x"))
        .await
        .json()
        .await
        .unwrap();
    let message = &v["choices"][0]["message"];
    assert_eq!(message["content"], Value::Null);
    assert_eq!(v["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(message["tool_calls"][0]["id"], "call_mock_0");
    assert_eq!(message["tool_calls"][0]["type"], "function");
    assert_eq!(message["tool_calls"][0]["function"]["name"], "get_weather");
    assert_eq!(message["tool_calls"][0]["function"]["arguments"], weather);
    assert_eq!(message["tool_calls"][1]["function"]["name"], "get_time");

    let sse = post(&client, &server.chat_url(), &streamed("m", "x", false))
        .await
        .text()
        .await
        .unwrap();
    let chunks = chunks(&sse);
    let mut args = [String::new(), String::new()];
    let mut names = [String::new(), String::new()];
    let mut order = Vec::new();
    for c in &chunks {
        for call in c["choices"][0]["delta"]["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let i = call["index"].as_u64().unwrap() as usize;
            if let Some(name) = call["function"]["name"].as_str() {
                names[i] = name.to_string();
                assert_eq!(call["id"], format!("call_mock_{i}"));
            }
            let piece = call["function"]["arguments"].as_str().unwrap();
            if !piece.is_empty() {
                order.push(i);
            }
            args[i].push_str(piece);
        }
    }
    assert_eq!(names, ["get_weather", "get_time"]);
    assert_eq!(args, [weather, time]);
    // The fragments take turns: call 1 starts before call 0 is done.
    let first_1 = order.iter().position(|&i| i == 1).unwrap();
    let last_0 = order.iter().rposition(|&i| i == 0).unwrap();
    assert!(first_1 < last_0, "{order:?}");
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "tool_calls"
    );
}

#[tokio::test]
async fn zhipu_flavour_repeats_the_role_and_puts_usage_in_the_finish() {
    let server = MockServer::start().await.unwrap();
    server.set_default(
        Answer::text("你好，欢迎")
            .reasoning("Think first.")
            .flavour(Flavour::Zhipu),
    );
    let client = Client::new();
    let sse = post(
        &client,
        &server.chat_url(),
        &streamed("glm-4-flash", "x", false),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(sse.contains("\n: keep-alive\n"));
    let chunks = chunks(&sse);
    assert!(chunks.iter().all(|c| c.get("object").is_none()));
    assert!(chunks
        .iter()
        .all(|c| c["choices"][0]["delta"]["role"] == "assistant"));
    assert_eq!(content_of(&chunks, "content"), "你好，欢迎");
    assert_eq!(content_of(&chunks, "reasoning_content"), "Think first.");
    let last = chunks.last().unwrap();
    assert_eq!(last["choices"][0]["finish_reason"], "stop");
    assert!(last["usage"]["total_tokens"].as_u64().unwrap() > 0);

    // Plain: no `object`, a `request_id`, the reasoning beside the text.
    let v: Value = post(&client, &server.chat_url(), &chat("glm-4-flash", "x"))
        .await
        .json()
        .await
        .unwrap();
    assert!(v.get("object").is_none());
    assert!(v["request_id"].is_string());
    assert_eq!(
        v["choices"][0]["message"]["reasoning_content"],
        "Think first."
    );
}

#[tokio::test]
async fn delays_are_respected() {
    let server = MockServer::start().await.unwrap();
    server.on_model("slow", Answer::echo().delay(Duration::from_millis(150)));
    server.on_model(
        "drip",
        Answer::text("a b c d").token_delay(Duration::from_millis(30)),
    );
    let client = Client::new();
    let t = Instant::now();
    let resp = post(&client, &server.chat_url(), &chat("slow", "x")).await;
    assert!(resp.timings().ttfb >= Duration::from_millis(150));
    resp.text().await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(150));

    // role, 4 tokens, finish, [DONE]: six gaps of 30 ms.
    let t = Instant::now();
    post(&client, &server.chat_url(), &streamed("drip", "x", false))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(180),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn a_sequence_fails_then_succeeds_per_model() {
    let server = MockServer::start().await.unwrap();
    server.on_model(
        "flaky",
        Script::steps([
            Answer::status(503),
            Answer::status(503),
            Answer::rate_limited(Duration::from_millis(1500)),
        ])
        .then(Answer::text("finally")),
    );
    let client = Client::new();
    let url = server.chat_url();
    let mut statuses = Vec::new();
    for _ in 0..5 {
        // Another model in between does not consume the flaky script.
        let other = post(&client, &url, &chat("steady", "echo me")).await;
        assert_eq!(other.status().as_u16(), 200);
        let resp = post(&client, &url, &chat("flaky", "x")).await;
        // A POST is never retried by the client: each answer is seen.
        assert_eq!(resp.attempts(), 1);
        statuses.push(resp.status().as_u16());
        if resp.status().as_u16() == 429 {
            assert_eq!(header(&resp, "retry-after"), Some("2"));
            assert_eq!(header(&resp, "retry-after-ms"), Some("1500"));
            let v: Value = resp.json().await.unwrap();
            assert_eq!(v["error"]["code"], "rate_limit_exceeded");
        } else if resp.status().as_u16() == 503 {
            let v: Value = resp.json().await.unwrap();
            assert_eq!(v["error"]["type"], "server_error");
        } else {
            let v: Value = resp.json().await.unwrap();
            assert_eq!(v["choices"][0]["message"]["content"], "finally");
        }
    }
    assert_eq!(statuses, [503, 503, 429, 200, 200]);
}

#[tokio::test]
async fn quota_errors_in_both_shapes() {
    let server = MockServer::builder()
        .on_model("gpt", Answer::insufficient_quota())
        .on_model("glm", Answer::zhipu_arrears())
        .on_model(
            "filtered",
            Answer::error(400, r#"{"error":{"code":"1301","message":"unsafe"}}"#),
        )
        .on_model("boom", Answer::status(500))
        .start()
        .await
        .unwrap();
    let client = Client::new();
    let url = server.chat_url();

    let resp = post(&client, &url, &chat("gpt", "x")).await;
    assert_eq!(resp.status().as_u16(), 429);
    assert!(header(&resp, "retry-after").is_none());
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"]["type"], "insufficient_quota");
    assert_eq!(v["error"]["code"], "insufficient_quota");

    let resp = post(&client, &url, &chat("glm", "x")).await;
    assert_eq!(resp.status().as_u16(), 429);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"]["code"], "1113");
    assert!(v["error"]["message"].is_string());

    let resp = post(&client, &url, &chat("filtered", "x")).await;
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"error":{"code":"1301","message":"unsafe"}}"#
    );

    let resp = post(&client, &url, &chat("boom", "x")).await;
    assert_eq!(resp.status().as_u16(), 500);
    assert!(resp.error_for_status().unwrap_err().is_status());
}

#[tokio::test]
async fn a_reset_mid_stream_is_a_client_error_after_some_tokens() {
    let server = MockServer::start().await.unwrap();
    server.set_default(Answer::text("one two three four five").reset_after(2));
    let client = Client::new();
    let mut resp = post(&client, &server.chat_url(), &streamed("m", "x", false)).await;
    assert_eq!(resp.status().as_u16(), 200);
    let mut got = Vec::new();
    let err = loop {
        match resp.chunk().await {
            Ok(Some(c)) => got.extend_from_slice(&c),
            Ok(None) => panic!("the stream ended cleanly"),
            Err(e) => break e,
        }
    };
    assert!(err.is_io() || err.is_protocol(), "{err:?}");
    let text = String::from_utf8(got).unwrap();
    assert_eq!(content_of(&chunks(&text), "content"), "one two");

    // A plain reply: head, half the body, reset.
    let err = post(&client, &server.chat_url(), &chat("m", "x"))
        .await
        .text()
        .await
        .unwrap_err();
    assert!(err.is_io() || err.is_protocol(), "{err:?}");
}

#[tokio::test]
async fn an_error_event_ends_a_stream() {
    let server = MockServer::start().await.unwrap();
    let error = r#"{"error":{"message":"overloaded","type":"server_error"}}"#;
    server.set_default(Answer::text("a b c d e").error_after(2, error));
    let client = Client::new();
    let sse = post(&client, &server.chat_url(), &streamed("m", "x", false))
        .await
        .text()
        .await
        .unwrap();
    let data = data_lines(&sse);
    assert_eq!(data.last().unwrap(), error);
    assert!(!data.iter().any(|d| d == "[DONE]"));
    let before = &sse[..sse.find(&format!("data: {error}")).unwrap()];
    assert_eq!(content_of(&chunks(before), "content"), "a b");
}

#[tokio::test]
async fn a_never_answering_endpoint_hits_the_client_timeout() {
    let server = MockServer::start().await.unwrap();
    server.on_model("hang", Answer::never());
    let client = Client::new();
    let t = Instant::now();
    let err = client
        .post(server.chat_url())
        .json(&chat("hang", "x"))
        .timeout(Duration::from_millis(200))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(t.elapsed() >= Duration::from_millis(200));
    // It was received, and recorded, all the same.
    assert_eq!(server.requests()[0].model(), Some("hang"));
}

#[tokio::test]
async fn a_disconnect_fails_the_request() {
    let server = MockServer::start().await.unwrap();
    server.set_default(Script::steps([Answer::disconnect()]).then(Answer::text("back")));
    let client = Client::new();
    let err = client
        .post(server.chat_url())
        .json(&chat("m", "x"))
        .send()
        .await
        .unwrap_err();
    assert!(!err.is_timeout(), "{err:?}");
    let v: Value = post(&client, &server.chat_url(), &chat("m", "x"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], "back");
}

#[tokio::test]
async fn down_refuses_connections_then_comes_back_on_the_same_port() {
    let server = MockServer::start().await.unwrap();
    let client = Client::new();
    let url = server.chat_url();
    assert_eq!(
        post(&client, &url, &chat("m", "x")).await.status().as_u16(),
        200
    );

    server.set_down(true).await;
    assert!(server.is_down());
    assert!(TcpStream::connect(server.addr()).await.is_err());
    let err = client
        .post(&url)
        .json(&chat("m", "x"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect() || err.is_io(), "{err:?}");

    server.set_down(false).await;
    let resp = post(&client, &url, &chat("m", "again")).await;
    assert_eq!(resp.status().as_u16(), 200);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], "again");
}

#[tokio::test]
async fn the_record_holds_method_path_headers_and_json() {
    let server = MockServer::start().await.unwrap();
    let client = Client::new();
    post(&client, &server.url(), &json!({})).await;
    client
        .post(format!("{}?trace=1", server.chat_url()))
        .bearer_auth("sk-test-123")
        .header("X-Custom", "yes")
        .json(&chat("gpt-x", "recorded"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].path, "/");
    let r = &seen[1];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/v1/chat/completions?trace=1");
    assert_eq!(r.header("authorization"), Some("Bearer sk-test-123"));
    assert_eq!(r.header("x-custom"), Some("yes"));
    assert_eq!(r.model(), Some("gpt-x"));
    assert_eq!(
        r.json.as_ref().unwrap()["messages"][1]["content"],
        "recorded"
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&r.body).unwrap(),
        chat("gpt-x", "recorded")
    );
    assert_eq!(server.request_count(), 2);
    server.clear_requests();
    assert!(server.requests().is_empty());
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn the_record_limit_keeps_the_latest() {
    let server = MockServer::builder().record_limit(2).start().await.unwrap();
    let client = Client::new();
    for model in ["a", "b", "c"] {
        post(&client, &server.chat_url(), &chat(model, "x"))
            .await
            .text()
            .await
            .unwrap();
    }
    let models: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.model().unwrap().to_string())
        .collect();
    assert_eq!(models, ["b", "c"]);
}

#[tokio::test]
async fn connections_are_kept_alive_and_reused() {
    let server = MockServer::start().await.unwrap();
    let client = Client::new();
    for i in 0..5 {
        let stream = i % 2 == 1;
        let body = if stream {
            streamed("m", "x", true)
        } else {
            chat("m", "x")
        };
        post(&client, &server.chat_url(), &body)
            .await
            .text()
            .await
            .unwrap();
    }
    assert_eq!(server.connection_count(), 1);
    let stats = client.stats();
    assert_eq!(stats.connections_opened, 1);
    assert_eq!(stats.requests_reused, 4);
    assert!(server.requests().iter().all(|r| r.connection == 0));

    // `Connection: close` is honoured: answered, then closed.
    let resp = client
        .post(server.chat_url())
        .header("Connection", "close")
        .json(&chat("m", "x"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&resp, "connection"), Some("close"));
    resp.text().await.unwrap();
    post(&client, &server.chat_url(), &chat("m", "x"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(server.connection_count(), 2);
}

#[tokio::test]
async fn concurrent_calls_are_answered_together() {
    let server = MockServer::start().await.unwrap();
    server.set_default(Answer::echo().delay(Duration::from_millis(200)));
    let client = Client::new();
    let url = server.chat_url();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let client = client.clone();
            let url = url.clone();
            tokio::spawn(async move {
                let v: Value = post(&client, &url, &chat("m", &format!("n{i}")))
                    .await
                    .json()
                    .await
                    .unwrap();
                assert_eq!(v["choices"][0]["message"]["content"], format!("n{i}"));
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert!(server.peak_in_flight() > 1);
    assert_eq!(server.in_flight(), 0);
    assert_eq!(server.request_count(), 20);
}

#[tokio::test]
async fn path_rules_and_the_base_path() {
    let server = MockServer::builder()
        .base_path("api/paas/v4/")
        .on_path("/slow/chat/completions", Answer::text("from the path"))
        .start()
        .await
        .unwrap();
    assert_eq!(server.base_url(), format!("{}/api/paas/v4", server.url()));
    let client = Client::new();
    let v: Value = post(&client, &server.chat_url(), &chat("m", "base"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], "base");
    let url = format!("{}/slow/chat/completions", server.url());
    let v: Value = post(&client, &url, &chat("m", "x"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], "from the path");
    let old = format!("{}/v1/chat/completions", server.url());
    assert_eq!(
        post(&client, &old, &chat("m", "x")).await.status().as_u16(),
        404
    );
}

#[tokio::test]
async fn models_are_listed() {
    let server = MockServer::start().await.unwrap();
    server.on_model("glm-4-flash", Answer::echo());
    let client = Client::new();
    let v: Value = client
        .get(format!("{}/models", server.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["object"], "list");
    let ids: Vec<_> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    assert_eq!(ids, [json!("mock-model"), json!("glm-4-flash")]);
}

#[tokio::test]
async fn bad_requests_get_4xx_never_a_panic() {
    let server = MockServer::start().await.unwrap();
    let client = Client::new();
    let url = server.chat_url();

    let resp = client
        .post(&url)
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"]["type"], "invalid_request_error");

    let resp = post(&client, &url, &json!({"messages": []})).await;
    assert_eq!(resp.status().as_u16(), 400);
    let resp = post(&client, &url, &json!({"model": "m"})).await;
    assert_eq!(resp.status().as_u16(), 400);

    let wrong = format!("{}/v1/completions", server.url());
    assert_eq!(
        post(&client, &wrong, &chat("m", "x"))
            .await
            .status()
            .as_u16(),
        404
    );

    let resp = client.get(&url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    assert_eq!(header(&resp, "allow"), Some("POST"));

    // Not HTTP at all, a bad header, a body too large, smuggling-shaped
    // framing: a status line and a closed connection.
    for bytes in [
        &b"hello there\r\n\r\n"[..],
        b"POST /v1/chat/completions HTTP/1.1\r\nBad Header: x\r\n\r\n",
        b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n",
        b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"POST /v1/chat/completions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"GET / HTTP/3.0\r\n\r\n",
        b"HEAD /v1/chat/completions HTTP/1.1\r\n\r\n",
    ] {
        let mut s = TcpStream::connect(server.addr()).await.unwrap();
        s.write_all(bytes).await.unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        let out = String::from_utf8(out).unwrap();
        let status: u16 = out[9..12].parse().unwrap();
        assert!((400..=505).contains(&status), "{out}");
        assert!(out.contains("connection: close"), "{out}");
    }
    // Still serving.
    assert_eq!(
        post(&client, &url, &chat("m", "x")).await.status().as_u16(),
        200
    );
}

#[tokio::test]
async fn chunked_and_pipelined_requests_are_read() {
    let server = MockServer::start().await.unwrap();
    let body = chat("m", "chunked").to_string();
    let (a, b) = body.split_at(10);
    let mut raw = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
         {:x}\r\n{a}\r\n{:x};ext=1\r\n{b}\r\n0\r\nTrailer: t\r\n\r\n",
        a.len(),
        b.len()
    );
    // A second request right behind it, closing the connection.
    let second = chat("m", "second").to_string();
    raw.push_str(&format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{second}",
        second.len()
    ));
    let mut s = TcpStream::connect(server.addr()).await.unwrap();
    // Byte by byte, so every read boundary is crossed.
    for byte in raw.as_bytes() {
        s.write_all(&[*byte]).await.unwrap();
    }
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let out = String::from_utf8(out).unwrap();
    assert_eq!(out.matches("HTTP/1.1 200 OK").count(), 2, "{out}");
    assert!(out.contains(r#""content":"chunked""#));
    assert!(out.contains(r#""content":"second""#));
    assert_eq!(server.connection_count(), 1);
}

#[tokio::test]
async fn shutdown_closes_the_port() {
    let server = MockServer::start().await.unwrap();
    let addr = server.addr();
    let mut idle = TcpStream::connect(addr).await.unwrap();
    server.shutdown().await;
    assert!(TcpStream::connect(addr).await.is_err());
    // Open connections are dropped with it.
    let mut buf = [0u8; 1];
    assert!(matches!(idle.read(&mut buf).await, Ok(0) | Err(_)));
}
