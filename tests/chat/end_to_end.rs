//! The chat client against brisk's own mock server, over loopback:
//! streaming end to end, errors before and inside a stream, and the key
//! kept out of what the caller sees.

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

/// A hostile rate-limit header (`1e300` seconds) once panicked while the
/// error was read (`Duration::from_secs_f64` overflows). It is now
/// ignored: the error is typed, with no wait.
#[tokio::test]
async fn an_absurd_rate_limit_reset_is_ignored_not_a_panic() {
    let server = MockServer::start().await.unwrap();
    let body =
        r#"{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}"#;
    server.set_default(Script::always(
        Answer::error(429, body)
            .header("x-ratelimit-remaining-requests", "0")
            .header("x-ratelimit-reset-requests", "1e300"),
    ));
    let chat = Chat::builder(Provider::Custom(server.base_url()))
        .model("mock-1")
        .retry(brisk::RetryPolicy::none())
        .build();
    let err = chat.chat("hi").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited, "{err}");
    assert_eq!(err.retry_after(), None);
}

/// A 429 whose exhausted limit resets in 150 ms is retried after about
/// that long, not after the policy's (here absurdly long) backoff.
#[tokio::test]
async fn a_429_waits_for_the_exhausted_limits_reset() {
    let server = MockServer::start().await.unwrap();
    let body =
        r#"{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}"#;
    server.set_default(
        Script::steps([Answer::error(429, body)
            .header("x-ratelimit-remaining-requests", "0")
            .header("x-ratelimit-reset-requests", "150ms")
            .header("x-ratelimit-remaining-tokens", "5000")
            .header("x-ratelimit-reset-tokens", "6m0s")])
        .then(Answer::text("ok now")),
    );
    let chat = Chat::builder(Provider::Custom(server.base_url()))
        .model("mock-1")
        .retry(
            brisk::RetryPolicy::default().backoff(Duration::from_secs(20), Duration::from_secs(20)),
        )
        .build();
    let started = std::time::Instant::now();
    let reply = chat.chat("hi").await.unwrap();
    assert_eq!(reply.content, "ok now");
    assert_eq!(reply.attempts, 2);
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(150), "{took:?}");
    assert!(
        took < Duration::from_secs(10),
        "the backoff was used: {took:?}"
    );
}

/// Memory of 1,000 concurrent streamed chats on one client against the
/// mock server (client and server in this one process). A measurement,
/// not a check: run it with
/// `cargo test --release --all-features --test chat end_to_end -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn memory_of_a_thousand_concurrent_streams() {
    fn vm_hwm_kib() -> u64 {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            })
            .unwrap_or(0)
    }
    let server = MockServer::start().await.unwrap();
    let words: Vec<String> = (0..40).map(|i| format!("token{i}")).collect();
    server.set_default(
        Answer::text(words.join(" "))
            .delay(Duration::from_millis(200))
            .token_delay(Duration::from_millis(20)),
    );
    let chat = Chat::builder(Provider::Custom(server.base_url()))
        .model("mock-1")
        .build();
    let before = vm_hwm_kib();
    let started = std::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..1000 {
        let chat = chat.clone();
        tasks.spawn(async move {
            let mut stream = chat.stream("go", ChatOptions::default()).await?;
            let mut n = 0;
            while let Some(d) = stream.next().await {
                n += d.map_err(ChatError::from)?.text().len();
            }
            Ok::<usize, ChatError>(n)
        });
    }
    let mut ok = 0;
    while let Some(r) = tasks.join_next().await {
        ok += usize::from(r.unwrap().is_ok_and(|n| n > 0));
    }
    println!(
        "1,000 concurrent streams: {ok} complete in {:.2} s; peak RSS {:.1} MiB (before: {:.1} MiB)",
        started.elapsed().as_secs_f64(),
        vm_hwm_kib() as f64 / 1024.0,
        before as f64 / 1024.0
    );
    assert_eq!(ok, 1000);
}
