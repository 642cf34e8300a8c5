//! Chunk reading, one tolerance at a time, and the provider fixtures.

use super::*;

fn parse(data: &str) -> Delta {
    Delta::parse(data).unwrap_or_else(|e| panic!("{data}: {e:?}"))
}

fn decode_error(data: &str) -> String {
    match Delta::parse(data) {
        Err(ChunkError::Decode(e)) => {
            assert!(e.is_decode());
            e.to_string()
        }
        other => panic!("{data}: {other:?}"),
    }
}

fn api_error(data: &str) -> ErrorEvent {
    match Delta::parse(data) {
        Err(ChunkError::Api(e)) => e,
        other => panic!("{data}: {other:?}"),
    }
}

/// The `data` of every event in a fixture stream, `[DONE]` left out.
pub(crate) fn fixture_chunks(sse: &str) -> Vec<&str> {
    sse.lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter(|d| *d != "[DONE]")
        .collect()
}

const OPENAI: &str = include_str!("../../../tests/fixtures/chat/openai_stream.sse");
const OPENAI_TOOLS: &str =
    include_str!("../../../tests/fixtures/chat/openai_stream_tool_calls.sse");
const ZHIPU: &str = include_str!("../../../tests/fixtures/chat/zhipu_stream.sse");

#[test]
fn openai_fixture() {
    let d: Vec<Delta> = fixture_chunks(OPENAI).into_iter().map(parse).collect();
    assert_eq!(d.len(), 6);
    assert_eq!(d[0].role.as_deref(), Some("assistant"));
    assert_eq!(d[0].content.as_deref(), Some(""));
    assert_eq!(d[0].id.as_deref(), Some("chatcmpl-AqP4"));
    assert_eq!(d[0].model.as_deref(), Some("gpt-4o-mini-2024-07-18"));
    assert_eq!(d[0].usage, None, "usage: null");
    assert_eq!(d[1].text(), "Hello");
    assert_eq!(d[2].text(), ", 世界");
    assert_eq!(d[4].finish_reason.as_deref(), Some("stop"));
    assert_eq!(d[4].content, None, "delta: {{}}");
    // The usage-only chunk: `choices: []`.
    assert_eq!(d[5].content, None);
    assert_eq!(d[5].finish_reason, None);
    let usage = d[5].usage.unwrap();
    assert_eq!(
        (
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens
        ),
        (9, 4, 13)
    );
    assert_eq!((usage.cached_tokens, usage.reasoning_tokens), (None, None));
}

#[test]
fn openai_tool_call_fixture() {
    let d: Vec<Delta> = fixture_chunks(OPENAI_TOOLS)
        .into_iter()
        .map(parse)
        .collect();
    assert_eq!(d[0].content, None, "content: null");
    let first = &d[0].tool_calls[0];
    assert_eq!(first.index, Some(0));
    assert_eq!(first.id.as_deref(), Some("call_Weather01"));
    assert_eq!(first.name.as_deref(), Some("get_weather"));
    assert_eq!(first.arguments.as_deref(), Some(""));
    assert_eq!(d[1].tool_calls[0].arguments.as_deref(), Some("{\""));
    assert_eq!(d[1].tool_calls[0].id, None);
    assert_eq!(d[3].tool_calls[0].index, Some(1));
    assert_eq!(d[5].finish_reason.as_deref(), Some("tool_calls"));
}

#[test]
fn zhipu_fixture() {
    let d: Vec<Delta> = fixture_chunks(ZHIPU).into_iter().map(parse).collect();
    assert_eq!(d.len(), 3);
    for delta in &d {
        assert_eq!(delta.role.as_deref(), Some("assistant"), "role every time");
    }
    assert_eq!(d[2].finish_reason.as_deref(), Some("stop"));
    assert_eq!(d[2].usage.map(|u| u.total_tokens), Some(15));
}

#[test]
fn missing_null_and_unknown_fields() {
    assert!(parse("{}").is_empty());
    assert!(parse(r#"{"choices":null,"usage":null,"id":null}"#).is_empty());
    assert!(parse(r#"{"choices":[{"delta":null}]}"#).is_empty());
    assert!(parse(r#"{"choices":[{}]}"#).is_empty());
    let d = parse(
        r#"{"x":{"deep":[1,2,{"a":null}]},"choices":[{"logprobs":{"content":[]},"delta":{"content":null,"refusal":null,"audio":{}},"extra":1}],"system_fingerprint":"fp"}"#,
    );
    assert!(d.is_empty(), "{d:?}");
    // `usage: {}` is no usage.
    assert_eq!(parse(r#"{"usage":{}}"#).usage, None);
    // Any finish reason string.
    let d = parse(r#"{"choices":[{"finish_reason":"model_context_window_exceeded"}]}"#);
    assert_eq!(
        d.finish_reason.as_deref(),
        Some("model_context_window_exceeded")
    );
}

#[test]
fn escaped_keys_and_text() {
    let d = parse(r#"{"choices":[{"d\u0065lta":{"content":"a\"b\n\u00e9"}}]}"#);
    assert_eq!(d.text(), "a\"b\né");
}

#[test]
fn reasoning_under_either_name_and_read_once() {
    let d = parse(r#"{"choices":[{"delta":{"reasoning_content":"think"}}]}"#);
    assert_eq!(d.reasoning.as_deref(), Some("think"));
    let d = parse(r#"{"choices":[{"delta":{"reasoning":"vllm"}}]}"#);
    assert_eq!(d.reasoning.as_deref(), Some("vllm"));
    let d = parse(r#"{"choices":[{"delta":{"reasoning":"x","reasoning_content":"x"}}]}"#);
    assert_eq!(d.reasoning.as_deref(), Some("x"));
    // DeepSeek: `reasoning_content: null` beside the content.
    let d = parse(r#"{"choices":[{"delta":{"reasoning_content":null,"content":"a"}}]}"#);
    assert_eq!((d.reasoning.as_deref(), d.text()), (None, "a"));
}

#[test]
fn usage_details_and_placements() {
    let d = parse(
        r#"{"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,
            "prompt_tokens_details":{"cached_tokens":4,"audio_tokens":0},
            "completion_tokens_details":{"reasoning_tokens":3,"accepted_prediction_tokens":0}}}"#,
    );
    let u = d.usage.unwrap();
    assert_eq!((u.cached_tokens, u.reasoning_tokens), (Some(4), Some(3)));
    // Null details, and DeepSeek's own name for cache hits.
    let u = parse(r#"{"usage":{"prompt_tokens":10,"completion_tokens":1,"prompt_tokens_details":null,"prompt_cache_hit_tokens":7}}"#)
        .usage
        .unwrap();
    assert_eq!(u.cached_tokens, Some(7));
    assert_eq!(u.total_tokens, 11, "a missing total is the sum");
    // Inside the choice (Moonshot); the chunk's own wins when both.
    let d = parse(r#"{"choices":[{"finish_reason":"stop","usage":{"total_tokens":3}}]}"#);
    assert_eq!(d.usage.map(|u| u.total_tokens), Some(3));
    let d = parse(
        r#"{"usage":{"total_tokens":9},"choices":[{"finish_reason":"stop","usage":{"total_tokens":3}}]}"#,
    );
    assert_eq!(d.usage.map(|u| u.total_tokens), Some(9));
}

#[test]
fn the_choice_with_index_zero() {
    let d = parse(
        r#"{"choices":[{"index":1,"delta":{"content":"one"}},{"delta":{"content":"zero"},"index":0},{"index":0,"delta":{"content":"again"}}]}"#,
    );
    assert_eq!(d.text(), "zero");
    let d = parse(r#"{"choices":[{"index":2,"delta":{"content":"two"}}]}"#);
    assert_eq!(d.content, None);
}

#[test]
fn a_whole_message_reads_as_one_delta() {
    let d = parse(
        r#"{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"all of it","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}],"usage":{"total_tokens":2}}"#,
    );
    assert_eq!(d.text(), "all of it");
    assert_eq!(d.tool_calls[0].name.as_deref(), Some("f"));
    assert_eq!(d.tool_calls[0].index, None);
}

#[test]
fn tool_call_shapes() {
    // Whole in one chunk, with null fields around it (Zhipu).
    let d = parse(
        r#"{"choices":[{"delta":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","index":0,"type":"function","function":{"name":"get","arguments":"{\"a\":1}"}}]}}]}"#,
    );
    assert_eq!(
        d.tool_calls,
        [ToolCallDelta {
            index: Some(0),
            id: Some("call_1".into()),
            name: Some("get".into()),
            arguments: Some("{\"a\":1}".into()),
        }]
    );
    // Arguments sent as a JSON value are written back as text.
    let d = parse(
        r#"{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":{"a": [1, 2.5, "x"]}}}]}}]}"#,
    );
    assert_eq!(
        d.tool_calls[0].arguments.as_deref(),
        Some(r#"{"a":[1,2.5,"x"]}"#)
    );
    let d = parse(
        r#"{"choices":[{"delta":{"tool_calls":[{"function":null},{"function":{"arguments":null}}]}}]}"#,
    );
    assert_eq!(
        d.tool_calls,
        [ToolCallDelta::default(), ToolCallDelta::default()]
    );
    // The largest index a u32 holds is fine; past it is a decode error.
    let d = parse(r#"{"choices":[{"delta":{"tool_calls":[{"index":4000000000}]}}]}"#);
    assert_eq!(d.tool_calls[0].index, Some(4_000_000_000));
    let e = decode_error(r#"{"choices":[{"delta":{"tool_calls":[{"index":5000000000}]}}]}"#);
    assert!(e.contains("choices[0].delta.tool_calls[0].index"), "{e}");
    let e = decode_error(r#"{"choices":[{"delta":{"tool_calls":[{"index":-1}]}}]}"#);
    assert!(e.contains("index"), "{e}");
}

#[test]
fn too_many_tool_calls_in_one_chunk() {
    let calls = vec!["{}"; MAX_TOOL_CALLS].join(",");
    let ok = format!(r#"{{"choices":[{{"delta":{{"tool_calls":[{calls}]}}}}]}}"#);
    assert_eq!(parse(&ok).tool_calls.len(), MAX_TOOL_CALLS);
    let over = format!(r#"{{"choices":[{{"delta":{{"tool_calls":[{calls},{{}}]}}}}]}}"#);
    let e = decode_error(&over);
    assert!(e.contains("tool_calls"), "{e}");
}

#[test]
fn wrong_types_name_their_field() {
    let e = decode_error(r#"{"choices":[{"delta":{"content":5}}]}"#);
    assert!(e.ends_with("at choices[0].delta.content"), "{e}");
    let e = decode_error(r#"{"choices":{}}"#);
    assert!(e.ends_with("at choices"), "{e}");
    let e = decode_error(r#"{"usage":{"prompt_tokens":1.5}}"#);
    assert!(e.ends_with("at usage.prompt_tokens"), "{e}");
    let e = decode_error(r#"{"model":["m"]}"#);
    assert!(e.ends_with("at model"), "{e}");
}

#[test]
fn not_a_chunk() {
    for data in [
        "", "[1]", "\"x\"", "null", "{", "{} x", "data: {}", "[DONE]",
    ] {
        decode_error(data);
    }
}

#[test]
fn error_events_in_each_provider_shape() {
    let e = api_error(
        r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#,
    );
    assert_eq!(e.code.as_deref(), Some("insufficient_quota"));
    assert_eq!(e.kind.as_deref(), Some("insufficient_quota"));
    assert_eq!(e.message, "You exceeded your current quota");
    assert_eq!(e.status, None);
    let e = api_error(r#"{"error":{"code":"1301","message":"unsafe content"}}"#);
    assert_eq!((e.code.as_deref(), e.kind.as_deref()), (Some("1301"), None));
    let e = api_error(
        r#"{"id":"as-123","error":{"code":"rpm_rate_limit_exceeded","message":"slow down","type":"rate_limit_exceeded"}}"#,
    );
    assert_eq!(e.request_id.as_deref(), Some("as-123"));
    let e = api_error(r#"{"error":{"code":1113,"message":null}}"#);
    assert_eq!((e.code.as_deref(), e.message.as_str()), (Some("1113"), ""));
    let e = api_error(r#"{"error":"overloaded"}"#);
    assert_eq!(e.message, "overloaded");
    // An error beside a normal chunk's fields is still an error.
    let e = api_error(r#"{"choices":[{"delta":{"content":"x"}}],"error":{"message":"m"}}"#);
    assert_eq!(e.message, "m");
    assert_eq!(
        e.to_string(),
        "the server sent an error: m",
        "a fixed, lowercase opening"
    );
    // `error: null` is no error.
    assert_eq!(
        parse(r#"{"error":null,"choices":[{"delta":{"content":"x"}}]}"#).text(),
        "x"
    );
}

#[test]
fn ignored_values_are_not_kept() {
    // A chunk whose bulk is in fields nobody reads parses to a small delta:
    // the skipped values are scanned, not stored.
    let numbers = vec!["0"; 100_000].join(",");
    let d = parse(&format!(
        r#"{{"logprobs":[{numbers}],"choices":[{{"delta":{{"content":"x"}},"logprobs":[{numbers}]}}]}}"#
    ));
    assert_eq!(d.text(), "x");
}
