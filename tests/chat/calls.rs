//! Chat calls over real loopback sockets: the exact JSON they send, every
//! recorded provider payload read back, the three error shapes, quota
//! errors that must not be retried (Zhipu's 1113 and OpenAI's
//! insufficient_quota, both sent with HTTP 429), rate limits that must be,
//! the key kept out of Debug and error text, and suggestions.

use crate::support;

use brisk::chat::{
    Chat, ChatError, ChatOptions, ChatRequest, ErrorKind, Message, Provider, Reply, Tool,
};
use brisk::{Client, RetryPolicy};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::server::{serve_each, Received, Scripted};

const KEY: &str = "sk-test-0123456789secret";

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/chat/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap()
}

/// A whole response from a `.http` fixture (written with LF): the head
/// sent with CRLF and a `Content-Length`, the body as it is.
fn http_fixture(name: &str) -> Vec<u8> {
    let text = fixture(name);
    let (head, body) = text.split_once("\n\n").unwrap();
    let body = body.trim_end_matches('\n');
    format!(
        "{}\r\ncontent-length: {}\r\n\r\n{body}",
        head.replace('\n', "\r\n"),
        body.len()
    )
    .into_bytes()
}

pub(crate) fn response(status: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\ncontent-type: application/json\r\n");
    for (n, v) in headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
    out.into_bytes()
}

pub(crate) fn completion(content: &str) -> String {
    json!({"id":"c1","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":content},"finish_reason":"stop"}]})
        .to_string()
}

/// A server that answers the n-th request (counted over all connections)
/// with `answers[n]` (the last one again past the end), and records every
/// request.
struct Recorder {
    server: Scripted,
    seen: Arc<Mutex<Vec<Received>>>,
}

impl Recorder {
    async fn start(answers: Vec<Vec<u8>>) -> Recorder {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let answers = Arc::new(answers);
        let server = Scripted::start(move |stream, _| {
            let (log, answers) = (log.clone(), answers.clone());
            async move {
                serve_each(stream, |req| {
                    let mut log = log.lock().unwrap();
                    log.push(req.clone());
                    answers[(log.len() - 1).min(answers.len() - 1)].clone()
                })
                .await
            }
        })
        .await;
        Recorder { server, seen }
    }

    fn chat(&self) -> brisk::chat::ChatBuilder {
        Chat::builder(Provider::Custom(self.server.url("/v1")))
            .model("test-model")
            .api_key(KEY)
    }

    fn requests(&self) -> Vec<Received> {
        self.seen.lock().unwrap().clone()
    }

    fn body(&self, i: usize) -> Value {
        serde_json::from_slice(&self.requests()[i].body).unwrap()
    }
}

#[tokio::test]
async fn simple_call_sends_system_history_and_options() {
    let rec = Recorder::start(vec![response("200 OK", &[], &completion("hi"))]).await;
    let chat = rec.chat().system_prompt("Be brief.").build();
    let reply = chat.chat("Hello?").await.unwrap();
    assert_eq!(reply.content, "hi");
    let req = &rec.requests()[0];
    assert!(req
        .head
        .starts_with("POST /v1/chat/completions HTTP/1.1\r\n"));
    assert_eq!(req.header("authorization"), Some(&*format!("Bearer {KEY}")));
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(
        std::str::from_utf8(&req.body).unwrap(),
        r#"{"model":"test-model","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello?"}]}"#
    );

    // The call's own system prompt replaces the default; history goes
    // between it and the message.
    let options = ChatOptions::default()
        .system("Answer in French.")
        .history(vec![Message::user("Hi"), Message::assistant("Salut")])
        .temperature(0.5)
        .max_tokens(64);
    chat.chat_with("Ça va?", options).await.unwrap();
    assert_eq!(
        rec.body(1),
        json!({"model":"test-model","messages":[
            {"role":"system","content":"Answer in French."},
            {"role":"user","content":"Hi"},
            {"role":"assistant","content":"Salut"},
            {"role":"user","content":"Ça va?"}],
          "temperature":0.5,"max_tokens":64})
    );
}

#[tokio::test]
async fn full_request_sends_tools_extras_and_reasoning_back() {
    let tool_reply = json!({"model":"deepseek-reasoner","choices":[{"index":0,"finish_reason":"tool_calls",
        "message":{"role":"assistant","content":null,"reasoning_content":"I need the weather.",
        "tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Taiyuan\"}"}}]}}]})
    .to_string();
    let rec = Recorder::start(vec![
        response("200 OK", &[], &tool_reply),
        response("200 OK", &[], &completion("21 °C")),
    ])
    .await;
    let chat = rec.chat().build();
    let weather = Tool::function(
        "get_weather",
        "Weather by city",
        json!({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}),
    );
    let mut req = ChatRequest::new(vec![Message::user("Weather in Taiyuan?")])
        .model("deepseek-reasoner")
        .tool(weather.clone())
        .extra("thinking", json!({"type":"enabled"}));
    req.tool_choice = Some(json!("auto"));
    let first = chat.send(req.clone()).await.unwrap();
    assert_eq!(first.finish_reason.as_deref(), Some("tool_calls"));
    assert_eq!(first.reasoning.as_deref(), Some("I need the weather."));
    assert_eq!(first.tool_calls[0].arguments, r#"{"city":"Taiyuan"}"#);

    // The tool loop: the assistant turn goes back with its reasoning and
    // its calls, then the tool's result.
    req.messages.push(Message::from_reply(&first));
    req.messages
        .push(Message::tool("call_1", r#"{"celsius":21}"#));
    let second = chat.send(req).await.unwrap();
    assert_eq!(second.content, "21 °C");

    assert_eq!(
        rec.body(0),
        json!({"model":"deepseek-reasoner",
          "messages":[{"role":"user","content":"Weather in Taiyuan?"}],
          "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather by city",
            "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}],
          "tool_choice":"auto","thinking":{"type":"enabled"}})
    );
    let body = std::str::from_utf8(&rec.requests()[1].body)
        .unwrap()
        .to_string();
    assert!(
        body.contains(concat!(
            r#"{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","#,
            r#""function":{"name":"get_weather","arguments":"{\"city\":\"Taiyuan\"}"}}],"#,
            r#""reasoning_content":"I need the weather."},"#,
            r#"{"role":"tool","content":"{\"celsius\":21}","tool_call_id":"call_1"}"#
        )),
        "{body}"
    );
}

#[tokio::test]
async fn provider_payloads_are_read() {
    let rec = Recorder::start(vec![
        response(
            "200 OK",
            &[("x-request-id", "req_hdr")],
            &fixture("openai_completion.json"),
        ),
        response("200 OK", &[], &fixture("zhipu_completion.json")),
        response("200 OK", &[], &fixture("qianfan_v2_completion.json")),
    ])
    .await;
    let chat = rec.chat().build();

    let openai = chat.chat("q").await.unwrap();
    assert_eq!(
        openai.content,
        "Pingyao Ancient City is best visited in autumn, when the weather is mild."
    );
    assert_eq!(openai.model, "gpt-4o-mini-2024-07-18");
    assert_eq!(openai.finish_reason.as_deref(), Some("stop"));
    assert_eq!(openai.request_id.as_deref(), Some("req_hdr"));
    assert_eq!(openai.attempts, 1);
    let usage = openai.usage.unwrap();
    assert_eq!(
        (
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens
        ),
        (31, 17, 48)
    );
    assert_eq!(
        (usage.cached_tokens, usage.reasoning_tokens),
        (Some(0), Some(0))
    );

    let zhipu = chat.chat("q").await.unwrap();
    assert_eq!(zhipu.content, "平遥古城最适合秋季游览，气候宜人。");
    assert_eq!(zhipu.model, "glm-4-flash");
    assert_eq!(
        zhipu.request_id.as_deref(),
        Some("20250116120003abcdef0123456789ab")
    );
    assert_eq!(zhipu.usage.unwrap().total_tokens, 36);
    assert_eq!(zhipu.usage.unwrap().cached_tokens, None);

    let qianfan = chat.chat("q").await.unwrap();
    assert_eq!(qianfan.content, "云冈石窟位于大同市西郊。");
    assert_eq!(qianfan.model, "ernie-4.0-turbo-8k");
    assert_eq!(qianfan.request_id.as_deref(), Some("as-7xk2m9p4qa"));
    assert_eq!(qianfan.usage.unwrap().total_tokens, 23);
}

#[tokio::test]
async fn zhipu_arrears_with_429_is_not_retried() {
    let rec = Recorder::start(vec![response(
        "429 Too Many Requests",
        &[("retry-after-ms", "10")],
        &fixture("zhipu_error_arrears.json"),
    )])
    .await;
    let err = rec.chat().build().chat("q").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::QuotaExhausted);
    assert_eq!(err.code(), Some("1113"));
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(err.message(), "您的账户已欠费，请充值后重试。");
    assert!(!err.is_retryable());
    assert_eq!(err.attempts(), 1);
    assert_eq!(rec.requests().len(), 1, "a quota error was retried");
}

#[tokio::test]
async fn openai_insufficient_quota_with_429_is_not_retried() {
    let rec = Recorder::start(vec![http_fixture("openai_error_insufficient_quota.http")]).await;
    let err = rec.chat().build().chat("q").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::QuotaExhausted);
    assert_eq!(err.error_type(), Some("insufficient_quota"));
    assert_eq!(err.request_id(), Some("req_0d9e8f7a6b5c4d3e"));
    assert_eq!(rec.requests().len(), 1, "a quota error was retried");
}

#[tokio::test]
async fn rate_limit_is_retried_after_its_hint() {
    let rec = Recorder::start(vec![
        response(
            "429 Too Many Requests",
            &[("retry-after-ms", "150")],
            &fixture("zhipu_error_concurrency.json"),
        ),
        response("200 OK", &[], &completion("done")),
    ])
    .await;
    // A backoff far longer than the hint: a quick retry proves the hint
    // set the wait.
    let policy = RetryPolicy::default().backoff(Duration::from_secs(20), Duration::from_secs(20));
    let chat = rec.chat().retry(policy).build();
    let started = Instant::now();
    let reply = chat.chat("q").await.unwrap();
    let took = started.elapsed();
    assert_eq!(reply.content, "done");
    assert_eq!(reply.attempts, 2);
    assert_eq!(rec.requests().len(), 2);
    assert!(took >= Duration::from_millis(150), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[tokio::test]
async fn rate_limit_left_over_is_typed_with_its_wait() {
    let rec = Recorder::start(vec![http_fixture("openai_error_rate_limit.http")]).await;
    let chat = rec.chat().retry(RetryPolicy::none()).build();
    let err = chat.chat("q").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert!(err.is_retryable());
    assert_eq!(err.code(), Some("rate_limit_exceeded"));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(2)));
    assert_eq!(err.request_id(), Some("req_7c1f0d2a9b8e4f6a"));
}

#[tokio::test]
async fn error_shapes_and_the_key_kept_out() {
    let echo = format!(
        r#"{{"error":{{"message":"Incorrect API key provided: {KEY}.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}}}"#
    );
    let rec = Recorder::start(vec![
        response("401 Unauthorized", &[("x-request-id", "req_k")], &echo),
        http_fixture("openai_error_invalid_key.http"),
        response(
            "400 Bad Request",
            &[],
            r#"{"error":{"code":"invalid_model","message":"model not found","type":"invalid_request_error"},"id":"as-qf1"}"#,
        ),
        response(
            "400 Bad Request",
            &[],
            r#"{"error":{"code":"1301","message":"系统检测到输入或生成内容可能包含不安全或敏感内容"}}"#,
        ),
    ])
    .await;
    let chat = rec.chat().build();
    assert!(!format!("{chat:?}").contains(KEY));

    let auth = chat.chat("q").await.unwrap_err();
    assert_eq!(auth.kind(), ErrorKind::Authentication);
    assert_eq!(auth.request_id(), Some("req_k"));
    for shown in [auth.to_string(), format!("{auth:?}")] {
        assert!(!shown.contains(KEY), "{shown}");
        assert!(!shown.contains("0123456789secret"), "{shown}");
    }

    let openai = chat.chat("q").await.unwrap_err();
    assert_eq!(openai.kind(), ErrorKind::Authentication);
    assert_eq!(openai.code(), Some("invalid_api_key"));

    let qianfan = chat.chat("q").await.unwrap_err();
    assert_eq!(qianfan.kind(), ErrorKind::Api);
    assert_eq!(qianfan.code(), Some("invalid_model"));
    assert_eq!(qianfan.error_type(), Some("invalid_request_error"));
    assert_eq!(qianfan.request_id(), Some("as-qf1"));

    let filtered = chat.chat("q").await.unwrap_err();
    assert_eq!(filtered.kind(), ErrorKind::ContentFiltered);
    assert_eq!(rec.requests().len(), 4);
}

/// vLLM's error body repeats the status as its code (`"code": 400`); the
/// message says the status once and names the error's type instead.
#[tokio::test]
async fn an_error_code_that_repeats_the_status_is_not_shown_twice() {
    let rec = Recorder::start(vec![response(
        "400 Bad Request",
        &[],
        r#"{"object":"error","message":"max_tokens is too large","type":"BadRequestError","param":null,"code":400}"#,
    )])
    .await;
    let err = rec.chat().build().chat("q").await.unwrap_err();
    assert_eq!(err.code(), Some("400"));
    assert_eq!(
        err.to_string(),
        "api error (HTTP 400, BadRequestError): max_tokens is too large"
    );
}

#[tokio::test]
async fn transport_errors_are_typed() {
    // A port nothing listens on.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let chat = Chat::builder(Provider::Custom(format!("http://{addr}/v1")))
        .model("m")
        .api_key(KEY)
        .retry(RetryPolicy::none())
        .build();
    let err = chat.chat("q").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert!(err.http().unwrap().is_connect());
    assert!(!err.to_string().contains(KEY));

    // Hosted providers without a key fail before sending anything.
    let none = Chat::builder(Provider::Zhipu).base_url(format!("http://{addr}"));
    if std::env::var_os("ZHIPUAI_API_KEY").is_none() {
        let err = none.build().chat("q").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.message().contains("ZHIPUAI_API_KEY"), "{err}");
    }
}

/// A reply that is not a completion, whole or streamed: a decode error
/// whose source, the client's decode error, names the field.
#[tokio::test]
async fn a_reply_that_is_not_a_completion_names_its_field_in_the_source() {
    let whole = r#"{"id":"c1","choices":[{"index":0,"finish_reason":"stop"}]}"#;
    let streamed = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":5}}]}\n\n";
    let rec = Recorder::start(vec![
        response("200 OK", &[], whole),
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: {}\r\n\r\n{streamed}",
            streamed.len()
        )
        .into_bytes(),
    ])
    .await;
    let chat = rec.chat().retry(RetryPolicy::none()).build();
    for (err, path) in [
        (chat.chat("q").await.unwrap_err(), "choices[0].message"),
        (
            ChatError::from(
                chat.stream("q", ChatOptions::default())
                    .await
                    .unwrap()
                    .collect_reply()
                    .await
                    .unwrap_err(),
            ),
            "choices[0].delta.content",
        ),
    ] {
        assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
        let source = err.http().unwrap();
        assert!(source.is_decode(), "{source:?}");
        assert!(
            source.to_string().contains(&format!(" at {path}")),
            "{source}"
        );
        let chained = std::error::Error::source(&err).unwrap().to_string();
        assert_eq!(chained, source.to_string());
    }
}

#[tokio::test]
async fn suggestions_come_from_the_reply() {
    let body = completion("## Best season\nAutumn.\n- Pingyao: walls\n");
    let rec = Recorder::start(vec![response("200 OK", &[], &body)]).await;
    let plain = rec.chat().build();
    let s = plain
        .chat_with_suggestions("Shanxi?", ChatOptions::default())
        .await
        .unwrap();
    assert_eq!(
        s.suggestions,
        vec![
            "Can you tell me more about Best season?",
            "Can you tell me more about Pingyao?",
            "Can you give a concrete example?",
        ]
    );
    let custom = rec
        .chat()
        .suggestions(|m: &str, r: &Reply| vec![format!("{m} / {}", r.content.len())])
        .build();
    let s = custom
        .chat_with_suggestions("q", ChatOptions::default())
        .await
        .unwrap();
    assert_eq!(
        s.suggestions,
        vec![format!("q / {}", s.reply.content.len())]
    );
    assert_eq!(rec.requests().len(), 2, "suggestions made a network call");
}

#[tokio::test]
async fn a_vetoed_response_keeps_its_whole_body() {
    // Larger than the 64 KiB read ahead for the veto: the caller still
    // gets every byte, the ones read ahead and the rest.
    let big = "x".repeat(100 * 1024);
    let body = format!(r#"{{"error":{{"code":"1113","message":"{big}"}}}}"#);
    let rec = Recorder::start(vec![response("503 Service Unavailable", &[], &body)]).await;
    let client = Client::new();
    let seen = Arc::new(AtomicUsize::new(0));
    let s = seen.clone();
    let policy = RetryPolicy::default().never_retry_if(move |status, _, bytes| {
        s.store(bytes.len(), Ordering::SeqCst);
        status.as_u16() == 503 && bytes.starts_with(br#"{"error":{"code":"1113""#)
    });
    let resp = client
        .get(rec.server.url("/"))
        .retry(policy)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 503);
    assert_eq!(resp.attempts(), 1);
    assert_eq!(resp.text().await.unwrap(), body);
    assert_eq!(rec.requests().len(), 1);
    let read = seen.load(Ordering::SeqCst);
    assert!((64 * 1024..body.len()).contains(&read), "{read}");

    // A veto that says "retry" leaves the policy in charge.
    let rec = Recorder::start(vec![
        response("503 Service Unavailable", &[("retry-after-ms", "1")], "{}"),
        response("200 OK", &[], "fine"),
    ])
    .await;
    let policy = RetryPolicy::default().never_retry_if(|_, _, _| false);
    let resp = client
        .get(rec.server.url("/"))
        .retry(policy)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.attempts(), 2);
    assert_eq!(resp.text().await.unwrap(), "fine");
}
