//! A scripted reply turned into what goes on the wire: the JSON of a plain
//! completion, or the `data:` events of a streamed one.
//!
//! The shapes follow what providers send (see the payloads in
//! `tests/fixtures/` of the chat tests): OpenAI's by default, Zhipu's
//! where [`Flavour::Zhipu`] says so.

use super::script::{Chat, Content, Flavour};
use serde_json::{json, Map, Value};

/// What one reply is about: fixed per request.
pub(crate) struct Context<'a> {
    /// `chatcmpl-mock-N`.
    pub(crate) id: String,
    /// The model the request named.
    pub(crate) model: &'a str,
    /// Seconds since the Unix epoch.
    pub(crate) created: u64,
    /// The request's JSON body.
    pub(crate) request: &'a Value,
}

/// Cuts text into the pieces a streamed reply sends: a run of ASCII
/// letters and digits with the spaces before it, or any other single
/// character with the spaces before it. Concatenated, the pieces give the
/// text back exactly.
pub(crate) fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some(&(_, c)) = chars.peek() {
        // Leading spaces belong to the token they precede.
        if c == ' ' {
            chars.next();
            continue;
        }
        chars.next();
        if c.is_ascii_alphanumeric() {
            while chars.next_if(|&(_, c)| c.is_ascii_alphanumeric()).is_some() {}
        }
        let end = chars.peek().map_or(text.len(), |&(i, _)| i);
        out.push(&text[start..end]);
        start = end;
    }
    if start < text.len() {
        // Trailing spaces: a token of their own.
        out.push(&text[start..]);
    }
    out
}

/// The text of the request's last `user` message: a string, or the `text`
/// parts of a list of content parts, joined.
pub(crate) fn last_user_text(request: &Value) -> String {
    let Some(messages) = request.get("messages").and_then(Value::as_array) else {
        return String::new();
    };
    let Some(last) = messages
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
    else {
        return String::new();
    };
    match last.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect(),
        _ => String::new(),
    }
}

/// Prompt tokens as the mock counts them: the pieces of every message's
/// text.
fn prompt_tokens(request: &Value) -> u64 {
    let Some(messages) = request.get("messages").and_then(Value::as_array) else {
        return 0;
    };
    messages
        .iter()
        .filter_map(|m| m.get("content").and_then(Value::as_str))
        .map(|s| tokens(s).len() as u64)
        .sum()
}

/// A reply with its text resolved (echo read from the request).
pub(crate) struct Resolved<'a> {
    chat: &'a Chat,
    content: String,
    usage: Value,
}

impl<'a> Resolved<'a> {
    pub(crate) fn new(chat: &'a Chat, ctx: &Context<'_>) -> Resolved<'a> {
        let content = match &chat.content {
            Content::Fixed(s) => s.clone(),
            Content::Echo => last_user_text(ctx.request),
        };
        let (prompt, completion) = chat.usage.unwrap_or_else(|| {
            let reasoning = chat.reasoning.as_deref().map_or(0, |r| tokens(r).len());
            let args: usize = chat.tool_calls.iter().map(|(_, a)| tokens(a).len()).sum();
            let completion = tokens(&content).len() + reasoning + args;
            (prompt_tokens(ctx.request), completion as u64)
        });
        let usage = json!({
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        });
        Resolved {
            chat,
            content,
            usage,
        }
    }

    fn finish_reason(&self) -> &str {
        match &self.chat.finish_reason {
            Some(r) => r,
            None if self.chat.tool_calls.is_empty() => "stop",
            None => "tool_calls",
        }
    }

    fn zhipu(&self) -> bool {
        self.chat.flavour == Flavour::Zhipu
    }

    /// The common fields of a completion or a chunk, in each provider's
    /// habits.
    fn envelope(&self, ctx: &Context<'_>, object: &str, choices: Value) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("id".into(), ctx.id.clone().into());
        if !self.zhipu() {
            m.insert("object".into(), object.into());
        }
        m.insert("created".into(), ctx.created.into());
        m.insert("model".into(), ctx.model.into());
        if self.zhipu() {
            m.insert("request_id".into(), ctx.id.clone().into());
        }
        m.insert("choices".into(), choices);
        m
    }

    /// The body of a plain (non-streamed) completion.
    pub(crate) fn completion(&self, ctx: &Context<'_>) -> String {
        let mut message = Map::new();
        message.insert("role".into(), "assistant".into());
        // OpenAI sends `content: null` when the reply is only tool calls.
        let content = if self.content.is_empty() && !self.chat.tool_calls.is_empty() {
            Value::Null
        } else {
            self.content.clone().into()
        };
        message.insert("content".into(), content);
        if let Some(r) = &self.chat.reasoning {
            message.insert("reasoning_content".into(), r.clone().into());
        }
        if !self.chat.tool_calls.is_empty() {
            let calls: Vec<Value> = self
                .chat
                .tool_calls
                .iter()
                .enumerate()
                .map(|(i, (name, args))| whole_call(i, name, args))
                .collect();
            message.insert("tool_calls".into(), calls.into());
        }
        let choices = json!([{
            "index": 0,
            "message": message,
            "finish_reason": self.finish_reason(),
        }]);
        let mut m = self.envelope(ctx, "chat.completion", choices);
        m.insert("usage".into(), self.usage.clone());
        Value::Object(m).to_string()
    }

    /// One delta: these fields, after the role where the flavour repeats
    /// it in every delta.
    fn delta(&self, pairs: &[(&str, Value)]) -> Map<String, Value> {
        let mut d = Map::new();
        if self.zhipu() {
            d.insert("role".into(), "assistant".into());
        }
        for (k, v) in pairs {
            d.insert((*k).into(), v.clone());
        }
        d
    }

    /// The events of a streamed reply, each a whole `data: ...\n\n` (or a
    /// comment line), in order, ending with `data: [DONE]`.
    pub(crate) fn events(&self, ctx: &Context<'_>, include_usage: bool) -> Vec<String> {
        let zhipu = self.zhipu();
        let mut deltas: Vec<Map<String, Value>> = Vec::new();
        // OpenAI opens with the role and empty content; Zhipu's first
        // delta already carries text, so it opens with the first piece.
        if !zhipu {
            let content = if self.chat.tool_calls.is_empty() || !self.content.is_empty() {
                Value::from("")
            } else {
                Value::Null
            };
            let mut first = self.delta(&[("role", "assistant".into()), ("content", content)]);
            if !self.content.is_empty() || self.chat.reasoning.is_some() {
                deltas.push(first);
            } else {
                // A reply of tool calls only: the first call opens the
                // stream, beside the role (as in OpenAI's).
                if let Some((name, _)) = self.chat.tool_calls.first() {
                    first.insert("tool_calls".into(), json!([call_head(0, name)]));
                }
                deltas.push(first);
            }
        }
        if let Some(r) = &self.chat.reasoning {
            for t in tokens(r) {
                deltas.push(self.delta(&[("reasoning_content", t.into())]));
            }
        }
        for t in tokens(&self.content) {
            deltas.push(self.delta(&[("content", t.into())]));
        }
        self.tool_call_deltas(&mut deltas);

        let mut events = Vec::with_capacity(deltas.len() + 4);
        for d in deltas {
            let choice = json!([{"index": 0, "delta": d, "finish_reason": null}]);
            events.push(data(self.envelope(ctx, "chat.completion.chunk", choice)));
            if zhipu && events.len() == 1 {
                events.push(": keep-alive\n\n".to_string());
            }
        }
        // The finishing chunk: an empty delta (OpenAI), or an empty piece
        // of text beside the usage (Zhipu).
        let last = if zhipu {
            self.delta(&[("content", "".into())])
        } else {
            Map::new()
        };
        let choice = json!([{"index": 0, "delta": last, "finish_reason": self.finish_reason()}]);
        let mut finish = self.envelope(ctx, "chat.completion.chunk", choice);
        if zhipu {
            finish.insert("usage".into(), self.usage.clone());
        }
        events.push(data(finish));
        if include_usage && !zhipu {
            let mut m = self.envelope(ctx, "chat.completion.chunk", json!([]));
            m.insert("usage".into(), self.usage.clone());
            events.push(data(m));
        }
        events.push("data: [DONE]\n\n".to_string());
        events
    }

    /// The deltas that carry the tool calls: whole (Zhipu), or each call's
    /// head and then argument fragments of up to 8 bytes taking turns
    /// across calls, so that a client must join them by `index`.
    fn tool_call_deltas(&self, deltas: &mut Vec<Map<String, Value>>) {
        let calls = &self.chat.tool_calls;
        if self.zhipu() {
            for (i, (name, args)) in calls.iter().enumerate() {
                deltas.push(self.delta(&[("tool_calls", json!([whole_call(i, name, args)]))]));
            }
            return;
        }
        // The first call's head went out in the opening delta when the
        // reply has nothing else.
        let opened = self.content.is_empty() && self.chat.reasoning.is_none();
        for (i, (name, _)) in calls.iter().enumerate() {
            if !(opened && i == 0) {
                deltas.push(self.delta(&[("tool_calls", json!([call_head(i, name)]))]));
            }
        }
        let mut fragments: Vec<Vec<&str>> = calls.iter().map(|(_, a)| fragments(a)).collect();
        for f in &mut fragments {
            f.reverse();
        }
        loop {
            let mut sent = false;
            for (i, f) in fragments.iter_mut().enumerate() {
                if let Some(piece) = f.pop() {
                    let call = json!([{"index": i, "function": {"arguments": piece}}]);
                    deltas.push(self.delta(&[("tool_calls", call)]));
                    sent = true;
                }
            }
            if !sent {
                break;
            }
        }
    }
}

/// A tool call whole, as in a plain reply (and Zhipu's stream).
fn whole_call(i: usize, name: &str, args: &str) -> Value {
    json!({
        "index": i,
        "id": format!("call_mock_{i}"),
        "type": "function",
        "function": {"name": name, "arguments": args},
    })
}

/// The first delta of a streamed tool call: its id and name, no arguments.
fn call_head(i: usize, name: &str) -> Value {
    json!({
        "index": i,
        "id": format!("call_mock_{i}"),
        "type": "function",
        "function": {"name": name, "arguments": ""},
    })
}

/// Arguments cut into pieces of at most 8 bytes, on character boundaries.
fn fragments(args: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in args.char_indices() {
        if i + c.len_utf8() - start > 8 {
            out.push(&args[start..i]);
            start = i;
        }
    }
    if start < args.len() {
        out.push(&args[start..]);
    }
    out
}

fn data(m: Map<String, Value>) -> String {
    format!("data: {}\n\n", Value::Object(m))
}

/// The body of an error the server itself raises (bad request, unknown
/// path), in OpenAI's shape.
pub(crate) fn server_error(message: &str, kind: &str) -> String {
    json!({"error": {"message": message, "type": kind, "param": null, "code": null}}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_concatenate_to_the_text() {
        for text in [
            "",
            "Hello, world!",
            "  lead and trail  ",
            "Hello, 世界!",
            "a1 b2\nc",
        ] {
            assert_eq!(tokens(text).concat(), text);
        }
        assert_eq!(tokens("Hello, world!"), ["Hello", ",", " world", "!"]);
        assert_eq!(tokens("你好"), ["你", "好"]);
        // The example in `Answer::text`'s docs.
        assert_eq!(tokens("Hello, 世界"), ["Hello", ",", " 世", "界"]);
    }

    #[test]
    fn fragments_concatenate_and_keep_characters_whole() {
        let args = r#"{"city":"太原","n":12345678}"#;
        let f = fragments(args);
        assert_eq!(f.concat(), args);
        assert!(f.len() > 2);
        assert!(f.iter().all(|p| p.len() <= 8));
    }

    #[test]
    fn echo_reads_the_last_user_message() {
        let req = json!({"messages": [
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "x"},
            {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
            {"role": "system", "content": "s"},
        ]});
        assert_eq!(last_user_text(&req), "ab");
        assert_eq!(last_user_text(&json!({})), "");
    }
}
