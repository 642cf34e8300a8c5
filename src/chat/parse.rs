//! Reading a chat completion, tolerantly: what OpenAI-compatible servers
//! really send differs in the details, and none of these is an error:
//!
//! - `object` missing (Zhipu), unknown extra fields (Qianfan's `flag`,
//!   OpenAI's `annotations`), keys in any order;
//! - `usage` missing, `null` or `{}` (read as no usage), counts missing
//!   (read as 0; a missing total as prompt + completion);
//! - `content` `null` (a reply that is only tool calls), or a list of
//!   parts (`[{"type":"text","text":…}]`), whose texts are joined;
//! - `choices: []`: a reply with no text and no finish reason (some
//!   gateways answer so when a filter ate the reply);
//! - any `finish_reason` string (`sensitive`, `model_context_window_exceeded`);
//! - tool-call `arguments` as a JSON object rather than a string (Ollama),
//!   kept as its JSON text.
//!
//! What the caller cannot do without is an error that names the field:
//! a body that is not a JSON object, `choices` missing or not a list,
//! `choices[0].message` missing, a tool call without a function name.

use super::error::ChatError;
use super::reply::{Reply, ToolCall, Usage};
use serde_json::{Map, Value};

/// Reads a completion body; `header_id` is the `x-request-id` header, which
/// wins over the body's ids.
pub(crate) fn parse_reply(body: &[u8], header_id: Option<&str>) -> Result<Reply, ChatError> {
    let top = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(top)) => top,
        Ok(_) => return Err(ChatError::decode("", "not a JSON object")),
        Err(e) => {
            return Err(ChatError::from_http(crate::json_path::decode_error(
                body, e,
            )))
        }
    };
    let request_id = header_id.map(str::to_string).or_else(|| {
        ["request_id", "id"]
            .iter()
            .find_map(|k| str_at(&top, k).map(str::to_string))
    });
    let choices = match top.get("choices") {
        Some(Value::Array(c)) => c,
        Some(_) => return Err(ChatError::decode("choices", "not a list")),
        None => return Err(ChatError::decode("choices", "missing")),
    };
    let mut reply = Reply {
        model: str_at(&top, "model").unwrap_or_default().to_string(),
        usage: top.get("usage").and_then(parse_usage),
        request_id,
        ..Reply::default()
    };
    let Some(choice) = choices.first() else {
        return Ok(reply);
    };
    let Some(choice) = choice.as_object() else {
        return Err(ChatError::decode("choices[0]", "not an object"));
    };
    reply.finish_reason = str_at(choice, "finish_reason").map(str::to_string);
    let message = match choice.get("message") {
        Some(Value::Object(m)) => m,
        Some(_) => return Err(ChatError::decode("choices[0].message", "not an object")),
        None => return Err(ChatError::decode("choices[0].message", "missing")),
    };
    reply.content = content_text(message.get("content"));
    reply.reasoning = ["reasoning_content", "reasoning"]
        .iter()
        .find_map(|k| str_at(message, k).filter(|r| !r.is_empty()))
        .map(str::to_string);
    if let Some(Value::Array(calls)) = message.get("tool_calls") {
        for (i, call) in calls.iter().enumerate() {
            reply.tool_calls.push(parse_call(call, i)?);
        }
    }
    Ok(reply)
}

fn str_at<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v str> {
    obj.get(key).and_then(Value::as_str)
}

/// `content` as text: a string, `null` (empty), or a list of parts whose
/// `text` fields are joined.
fn content_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect(),
        _ => String::new(),
    }
}

fn parse_call(call: &Value, i: usize) -> Result<ToolCall, ChatError> {
    let field = |name: &str| format!("choices[0].message.tool_calls[{i}].{name}");
    let function = call
        .get("function")
        .ok_or_else(|| ChatError::decode(&field("function"), "missing"))?;
    let name = function
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| ChatError::decode(&field("function.name"), "missing"))?;
    let arguments = match function.get("arguments") {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => String::new(),
        Some(other) => other.to_string(),
    };
    Ok(ToolCall {
        id: call
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        name: name.to_string(),
        arguments,
    })
}

/// `usage`, if it says anything: `null`, `{}` and non-objects are none.
pub(crate) fn parse_usage(value: &Value) -> Option<Usage> {
    let usage = value.as_object()?;
    let count = |v: Option<&Value>| v.and_then(Value::as_u64);
    let prompt = count(usage.get("prompt_tokens"));
    let completion = count(usage.get("completion_tokens"));
    let total = count(usage.get("total_tokens"));
    if prompt.is_none() && completion.is_none() && total.is_none() {
        return None;
    }
    let (prompt, completion) = (prompt.unwrap_or(0), completion.unwrap_or(0));
    Some(Usage {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: total.unwrap_or(prompt.saturating_add(completion)),
        cached_tokens: count(value.pointer("/prompt_tokens_details/cached_tokens")),
        reasoning_tokens: count(value.pointer("/completion_tokens_details/reasoning_tokens")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::ErrorKind;

    fn parse(s: &str) -> Result<Reply, ChatError> {
        parse_reply(s.as_bytes(), None)
    }

    #[test]
    fn tolerated_shapes() {
        let r = parse(r#"{"choices":[{"message":{"content":null,"role":"assistant"},"finish_reason":"sensitive"}],"usage":{}}"#).unwrap();
        assert_eq!(r.content, "");
        assert_eq!(r.usage, None);
        assert_eq!(r.finish_reason.as_deref(), Some("sensitive"));
        assert_eq!(r.model, "");

        let r = parse(r#"{"choices":[],"model":"x","id":"i"}"#).unwrap();
        assert_eq!((r.content.as_str(), r.finish_reason), ("", None));
        assert_eq!(r.request_id.as_deref(), Some("i"));

        let r = parse(r#"{"choices":[{"message":{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}}],"usage":{"prompt_tokens":3}}"#).unwrap();
        assert_eq!(r.content, "ab");
        assert_eq!(r.usage.unwrap().total_tokens, 3);
    }

    #[test]
    fn reasoning_from_either_field() {
        let r = parse(r#"{"choices":[{"message":{"content":"4","reasoning_content":"2+2"}}]}"#)
            .unwrap();
        assert_eq!(r.reasoning.as_deref(), Some("2+2"));
        let r = parse(r#"{"choices":[{"message":{"content":"4","reasoning":"sum"}}]}"#).unwrap();
        assert_eq!(r.reasoning.as_deref(), Some("sum"));
        let r =
            parse(r#"{"choices":[{"message":{"content":"4","reasoning_content":null}}]}"#).unwrap();
        assert_eq!(r.reasoning, None);
    }

    #[test]
    fn tool_calls_with_object_arguments() {
        let r = parse(r#"{"choices":[{"message":{"content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":{"a":1}}}]},"finish_reason":"tool_calls"}]}"#).unwrap();
        assert_eq!(r.tool_calls[0].name, "f");
        assert_eq!(r.tool_calls[0].arguments, r#"{"a":1}"#);
    }

    #[test]
    fn missing_fields_are_named() {
        for (body, field) in [
            (r#"{"object":"chat.completion"}"#, " at choices"),
            (
                r#"{"choices":[{"finish_reason":"stop"}]}"#,
                "choices[0].message",
            ),
            (
                r#"{"choices":[{"message":{"tool_calls":[{"id":"c","function":{}}]}}]}"#,
                "choices[0].message.tool_calls[0].function.name",
            ),
            ("[1]", "could not decode the response body"),
            ("<html>", "could not decode the response body"),
        ] {
            let e = parse(body).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Decode);
            // The path is the source's, the client's decode error.
            let source = e.http().unwrap();
            assert!(source.is_decode());
            let shown = source.to_string();
            assert!(shown.ends_with(field), "{body}: {shown}");
            assert!(e.message().starts_with(&shown), "{body}: {e}");
        }
    }

    #[test]
    fn usage_details() {
        let u = parse_usage(&serde_json::json!({"prompt_tokens":31,"completion_tokens":17,"total_tokens":48,
            "prompt_tokens_details":{"cached_tokens":12},"completion_tokens_details":{"reasoning_tokens":5}}))
        .unwrap();
        assert_eq!((u.cached_tokens, u.reasoning_tokens), (Some(12), Some(5)));
        assert_eq!(parse_usage(&Value::Null), None);
    }
}
