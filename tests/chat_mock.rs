//! The chat client against brisk's own mock server, over loopback:
//! streaming end to end, errors before and inside a stream, and the key
//! kept out of what the caller sees.
#![cfg(feature = "mock")]

use brisk::chat::{Chat, ChatError, ChatOptions, ErrorKind, Provider};
use brisk::mock::{Answer, MockServer, Script};
use std::time::Duration;

const KEY: &str = "sk-test-0123456789abcdef";

fn chat(server: &MockServer) -> Chat {
    Chat::builder(Provider::Custom(server.base_url()))
        .model("mock-1")
        .api_key(KEY)
        .build()
}

#[tokio::test]
async fn a_streamed_reply_arrives_in_deltas_and_assembles_whole() {
    let server = MockServer::start().await.unwrap();
    server.set_default(Answer::text("one two three four").usage(7, 4));
    let chat = chat(&server);
    let mut stream = chat.stream("count", ChatOptions::default()).await.unwrap();
    let mut text = String::new();
    let mut deltas = 0;
    while let Some(delta) = stream.next().await {
        text.push_str(delta.unwrap().text());
        deltas += 1;
    }
    assert_eq!(text, "one two three four");
    assert!(deltas >= 4, "one delta per token at least: {deltas}");
    let reply = stream.into_reply();
    assert_eq!(reply.content, "one two three four");
    assert_eq!(reply.finish_reason.as_deref(), Some("stop"));
    let usage = reply.usage.expect("include_usage asked for usage");
    assert_eq!((usage.prompt_tokens, usage.completion_tokens), (7, 4));
    // What went out: a streaming request that asks for usage.
    let sent = &server.requests()[0];
    let body = sent.json.as_ref().unwrap();
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(sent.header("accept"), Some("text/event-stream"));
    assert_eq!(
        sent.header("authorization")
            .map(|a| a.starts_with("Bearer ")),
        Some(true)
    );
}

#[tokio::test]
async fn collect_reply_gives_the_same_reply_as_a_plain_call() {
    let server = MockServer::start().await.unwrap();
    server.set_default(Script::always(Answer::text("same words either way")));
    let chat = chat(&server);
    let streamed = chat
        .stream("q", ChatOptions::default())
        .await
        .unwrap()
        .collect_reply()
        .await
        .unwrap();
    let plain = chat.chat("q").await.unwrap();
    assert_eq!(streamed.content, plain.content);
    assert_eq!(streamed.finish_reason, plain.finish_reason);
}

#[tokio::test]
async fn a_quota_error_before_the_stream_is_typed_and_not_retried() {
    let server = MockServer::start().await.unwrap();
    server.set_default(Script::always(Answer::zhipu_arrears()));
    let err = chat(&server)
        .stream("hi", ChatOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::QuotaExhausted, "{err}");
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn an_error_inside_the_stream_keeps_the_text_so_far_and_hides_the_key() {
    let server = MockServer::start().await.unwrap();
    let body = format!(
        r#"{{"error":{{"message":"quota gone for key {KEY}","type":"insufficient_quota","code":"insufficient_quota"}}}}"#
    );
    server.set_default(Answer::text("alpha beta gamma delta").error_after(2, body));
    let mut stream = chat(&server)
        .stream("hi", ChatOptions::default())
        .await
        .unwrap();
    let err = loop {
        match stream.next().await {
            Some(Ok(_)) => continue,
            Some(Err(e)) => break e,
            None => panic!("the stream ended without its error"),
        }
    };
    assert!(!err.partial().content.is_empty(), "{:?}", err.partial());
    assert!("alpha beta gamma delta".starts_with(&err.partial().content));
    let chat_err: ChatError = err.into();
    assert_eq!(chat_err.kind(), ErrorKind::QuotaExhausted);
    let shown = format!("{chat_err} {chat_err:?}");
    assert!(!shown.contains(KEY), "{shown}");
}

#[tokio::test]
async fn a_stalled_stream_is_cut_by_the_read_budget() {
    let server = MockServer::start().await.unwrap();
    server.set_default(Answer::text("slow tokens here").token_delay(Duration::from_secs(5)));
    let chat = Chat::builder(Provider::Custom(server.base_url()))
        .model("mock-1")
        .timeout(Duration::from_millis(300))
        .build();
    let mut stream = chat.stream("hi", ChatOptions::default()).await.unwrap();
    let started = std::time::Instant::now();
    let err = loop {
        match stream.next().await {
            Some(Ok(_)) => continue,
            Some(Err(e)) => break e,
            None => panic!("a stalled stream must not end cleanly"),
        }
    };
    assert!(err.is_timeout(), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3));
}
