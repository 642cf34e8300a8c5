//! The chat client of `examples/chat.rs`, run as a function against brisk's
//! mock server: a `--base-url` without a key goes out keylessly (local
//! servers want none), the URL is checked before anything else, `custom`
//! is a provider of its own, and `--json` gives tool calls in OpenAI's own
//! shape.
#![cfg(all(feature = "json", feature = "mock"))]

#[path = "../examples/chat.rs"]
#[allow(dead_code)] // its `main`
mod chat_tool;

use brisk::mock::{Answer, MockServer};
use serde_json::{json, Value};

/// Runs the chat client with `args`: its output, or its error.
async fn chat(args: &[&str]) -> Result<String, String> {
    let args = chat_tool::parse_args(args.iter().map(|a| a.to_string()))?;
    let mut out = Vec::new();
    chat_tool::run(args, &mut out).await?;
    Ok(String::from_utf8(out).unwrap())
}

/// Whether the test's environment holds a key the client would send
/// (never set by these tests: the process environment is shared).
fn key_in_env(variable: &str) -> bool {
    std::env::var(variable).is_ok_and(|k| !k.is_empty())
}

#[tokio::test]
async fn a_base_url_without_a_key_goes_out_keyless() {
    let server = MockServer::start().await.unwrap();
    server.set_default(Answer::text("local answer"));
    // Zhipu's key is what the named provider would want; without it, a
    // base URL is a keyless custom server.
    if key_in_env("ZHIPUAI_API_KEY") {
        return;
    }
    let base = server.base_url();
    let out = chat(&["--provider", "zhipu", "--base-url", &base, "hello"])
        .await
        .unwrap();
    assert_eq!(out, "local answer\n");
    let sent = server.requests();
    assert_eq!(sent.len(), 1);
    // The named provider's default model goes along.
    assert_eq!(sent[0].model(), Some("glm-4-flash"));
    if !key_in_env("OPENAI_API_KEY") {
        assert_eq!(sent[0].header("authorization"), None);
        // The default provider (openai) too.
        let out = chat(&["--base-url", &base, "--model", "local-7b", "hi"]).await;
        assert_eq!(out.unwrap(), "local answer\n");
        assert_eq!(server.requests()[1].model(), Some("local-7b"));
    }
}

#[tokio::test]
async fn the_base_url_is_checked_first() {
    for args in [
        &["--base-url", "not a url", "hello"][..],
        &["--provider", "qianfan", "--base-url", "not a url", "hello"],
        &["--provider", "custom", "--base-url", "ftp://x/v1", "hello"],
    ] {
        let err = chat(args).await.unwrap_err();
        assert!(err.starts_with("--base-url \""), "{args:?}: {err}");
        assert!(!err.contains("API key"), "{err}");
    }
}

#[tokio::test]
async fn custom_is_a_provider_and_needs_a_url_and_a_model() {
    let err = chat(&["--provider", "custom", "hello"]).await.unwrap_err();
    assert_eq!(err, "--provider custom needs --base-url URL");
    let err = chat(&[
        "--provider",
        "custom",
        "--base-url",
        "http://127.0.0.1:9/v1",
        "hi",
    ])
    .await
    .unwrap_err();
    assert!(err.contains("--model"), "{err}");
    let err = chat(&["--provider", "nope", "hi"]).await.unwrap_err();
    assert!(err.contains("openai, zhipu, qianfan or custom"), "{err}");
    let usage = chat(&["--help"]).await.unwrap_err();
    assert!(usage.contains("openai|zhipu|qianfan|custom"), "{usage}");

    let server = MockServer::start().await.unwrap();
    server.set_default(Answer::text("custom answer"));
    let base = server.base_url();
    let out = chat(&[
        "--provider",
        "custom",
        "--base-url",
        &base,
        "--model",
        "m",
        "hi",
    ])
    .await;
    assert_eq!(out.unwrap(), "custom answer\n");
}

#[tokio::test]
async fn json_tool_calls_are_in_openais_shape() {
    let server = MockServer::start().await.unwrap();
    server.set_default(Answer::tool_call("get_weather", r#"{"city":"Taiyuan"}"#));
    let base = server.base_url();
    for stream in [false, true] {
        let mut args = vec!["--provider", "custom", "--base-url", &base, "--model", "m"];
        args.extend(stream.then_some("--stream"));
        args.extend(["--json", "weather?"]);
        let out = chat(&args).await.unwrap();
        let reply: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(reply["role"], "assistant");
        assert_eq!(
            reply["tool_calls"],
            json!([{
                "id": "call_mock_0",
                "type": "function",
                "function": {"name": "get_weather", "arguments": "{\"city\":\"Taiyuan\"}"},
            }]),
            "stream: {stream}"
        );
    }
}
