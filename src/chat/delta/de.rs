//! The chunk reader: hand-written serde visitors over `serde_core` (brisk
//! has no derive at runtime).
//!
//! Each visitor walks an object's keys and reads only the fields it knows;
//! every other value goes to [`IgnoredAny`], which serde_json reads past
//! without building anything. That is what keeps a chunk's cost in
//! proportion to what it carries: a `logprobs` array of a million numbers,
//! or a thousand extra choices, are scanned and dropped, not stored.

use super::{ChunkError, Delta, ErrorEvent, ToolCallDelta, MAX_TOOL_CALLS};
use crate::chat::Usage;
use crate::json_path;
use serde_core::de::{
    self, value::MapAccessDeserializer, value::SeqAccessDeserializer, Deserialize, DeserializeSeed,
    Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use std::fmt;

/// Reads one chunk's JSON text.
pub(super) fn parse(data: &str) -> Result<Delta, ChunkError> {
    let mut de = serde_json::Deserializer::from_str(data);
    let read = de
        .deserialize_map(ChunkVisitor)
        .and_then(|chunk| de.end().map(|()| chunk));
    match read {
        Ok(Chunk {
            error: Some(mut error),
            delta,
        }) => {
            error.request_id = delta.id;
            Err(ChunkError::Api(error))
        }
        Ok(chunk) => Ok(chunk.delta),
        // As `Response::json` does: the error path alone pays for naming
        // the field.
        Err(e) => Err(ChunkError::Decode(json_path::decode_error(
            data.as_bytes(),
            e,
        ))),
    }
}

/// Reads an error body: a chunk whose `error` key is set. `None` when the
/// text is not JSON or has no `error`.
pub(crate) fn parse_error_body(data: &[u8]) -> Option<ErrorEvent> {
    let mut de = serde_json::Deserializer::from_slice(data);
    de.deserialize_map(ChunkVisitor).ok()?.error
}

/// A chunk: the delta, or the error it reports.
struct Chunk {
    delta: Delta,
    error: Option<ErrorEvent>,
}

/// Walks the keys of an object, handing each key found in `names` to
/// `each` (which reads its value, matching on the name) and skipping the
/// value of every other key.
///
/// `each` matches by name, so the order of `names` means nothing; a name
/// it has no arm for must be read past with [`skip`].
fn fields<'de, A: MapAccess<'de>>(
    map: &mut A,
    names: &'static [&'static str],
    mut each: impl FnMut(&'static str, &mut A) -> Result<(), A::Error>,
) -> Result<(), A::Error> {
    while let Some(key) = map.next_key_seed(Key(names))? {
        match key {
            Some(name) => each(name, map)?,
            None => skip(map)?,
        }
    }
    Ok(())
}

/// Reads past the value of the key just read.
fn skip<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<IgnoredAny>().map(drop)
}

/// An object key, looked up among known names without being copied: the
/// known name it is (a `&'static str`, so the key's text is not kept), or
/// `None`.
struct Key(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Option<&'static str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl Visitor<'_> for Key {
    type Value = Option<&'static str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().copied().find(|name| *name == v))
    }
}

struct ChunkVisitor;

impl<'de> Visitor<'de> for ChunkVisitor {
    type Value = Chunk;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a chat completion chunk (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Chunk, A::Error> {
        let mut delta = Delta::default();
        let mut choice = None;
        let mut error = None;
        const NAMES: &[&str] = &["id", "model", "choices", "usage", "error"];
        fields(&mut map, NAMES, |name, map| {
            match name {
                "id" => delta.id = map.next_value()?,
                "model" => delta.model = map.next_value()?,
                "choices" => choice = map.next_value::<Option<Choices>>()?.and_then(|c| c.0),
                "usage" => delta.usage = map.next_value::<Option<UsageDe>>()?.and_then(|u| u.0),
                "error" => error = map.next_value::<Option<ErrorDe>>()?.map(|e| e.0),
                _ => skip(map)?,
            }
            Ok(())
        })?;
        if let Some(choice) = choice {
            let body = choice.body.unwrap_or_default();
            delta.role = body.role;
            delta.content = body.content;
            // Gateways that send both carry the same text in each.
            delta.reasoning = body.reasoning_content.or(body.reasoning);
            delta.tool_calls = body.tool_calls.map(|t| t.0).unwrap_or_default();
            delta.finish_reason = choice.finish_reason;
            if delta.usage.is_none() {
                delta.usage = choice.usage;
            }
        }
        Ok(Chunk { delta, error })
    }
}

/// `choices`: the choice with index 0 (or none), the others read past.
struct Choices(Option<Choice>);

impl<'de> Deserialize<'de> for Choices {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(ChoicesVisitor)
    }
}

struct ChoicesVisitor;

impl<'de> Visitor<'de> for ChoicesVisitor {
    type Value = Choices;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of choices")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Choices, A::Error> {
        let mut first = None;
        // The index may come after the delta in a choice's keys, so each
        // choice is read whole; only the first with index 0 is kept.
        while let Some(choice) = seq.next_element::<Choice>()? {
            if first.is_none() && choice.index.unwrap_or(0) == 0 {
                first = Some(choice);
            }
        }
        Ok(Choices(first))
    }
}

#[derive(Default)]
struct Choice {
    index: Option<u64>,
    body: Option<Body>,
    finish_reason: Option<String>,
    usage: Option<Usage>,
}

impl<'de> Deserialize<'de> for Choice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ChoiceVisitor)
    }
}

struct ChoiceVisitor;

impl<'de> Visitor<'de> for ChoiceVisitor {
    type Value = Choice;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a choice object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Choice, A::Error> {
        let mut c = Choice::default();
        const NAMES: &[&str] = &["index", "delta", "message", "finish_reason", "usage"];
        fields(&mut map, NAMES, |name, map| {
            match name {
                "index" => c.index = map.next_value()?,
                // A whole completion's `message` reads as one big delta.
                "delta" | "message" => c.body = map.next_value()?,
                "finish_reason" => c.finish_reason = map.next_value()?,
                "usage" => c.usage = map.next_value::<Option<UsageDe>>()?.and_then(|u| u.0),
                _ => skip(map)?,
            }
            Ok(())
        })?;
        Ok(c)
    }
}

/// A choice's `delta` (or `message`).
#[derive(Default)]
struct Body {
    role: Option<String>,
    content: Option<String>,
    reasoning_content: Option<String>,
    reasoning: Option<String>,
    tool_calls: Option<ToolCalls>,
}

impl<'de> Deserialize<'de> for Body {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(BodyVisitor)
    }
}

struct BodyVisitor;

impl<'de> Visitor<'de> for BodyVisitor {
    type Value = Body;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a delta object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Body, A::Error> {
        let mut b = Body::default();
        const NAMES: &[&str] = &[
            "role",
            "content",
            "reasoning_content",
            "reasoning",
            "tool_calls",
        ];
        fields(&mut map, NAMES, |name, map| {
            match name {
                "role" => b.role = map.next_value()?,
                "content" => b.content = map.next_value()?,
                "reasoning_content" => b.reasoning_content = map.next_value()?,
                "reasoning" => b.reasoning = map.next_value()?,
                "tool_calls" => b.tool_calls = map.next_value()?,
                _ => skip(map)?,
            }
            Ok(())
        })?;
        Ok(b)
    }
}

/// `tool_calls`: at most [`MAX_TOOL_CALLS`] pieces.
struct ToolCalls(Vec<ToolCallDelta>);

impl<'de> Deserialize<'de> for ToolCalls {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(ToolCallsVisitor)
    }
}

struct ToolCallsVisitor;

impl<'de> Visitor<'de> for ToolCallsVisitor {
    type Value = ToolCalls;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of tool calls")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ToolCalls, A::Error> {
        let mut calls = Vec::new();
        while let Some(call) = seq.next_element::<ToolCallDe>()? {
            if calls.len() == MAX_TOOL_CALLS {
                return Err(de::Error::custom("too many tool calls in one chunk"));
            }
            calls.push(call.0);
        }
        Ok(ToolCalls(calls))
    }
}

struct ToolCallDe(ToolCallDelta);

impl<'de> Deserialize<'de> for ToolCallDe {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ToolCallVisitor)
    }
}

struct ToolCallVisitor;

impl<'de> Visitor<'de> for ToolCallVisitor {
    type Value = ToolCallDe;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a tool call object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ToolCallDe, A::Error> {
        let mut call = ToolCallDelta::default();
        fields(&mut map, &["index", "id", "function"], |name, map| {
            match name {
                "index" => call.index = map.next_value()?,
                "id" => call.id = map.next_value()?,
                "function" => {
                    if let Some(f) = map.next_value::<Option<Function>>()? {
                        call.name = f.name;
                        call.arguments = f.arguments.and_then(|a| a.0);
                    }
                }
                _ => skip(map)?,
            }
            Ok(())
        })?;
        Ok(ToolCallDe(call))
    }
}

#[derive(Default)]
struct Function {
    name: Option<String>,
    arguments: Option<Arguments>,
}

impl<'de> Deserialize<'de> for Function {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(FunctionVisitor)
    }
}

struct FunctionVisitor;

impl<'de> Visitor<'de> for FunctionVisitor {
    type Value = Function;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a function object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Function, A::Error> {
        let mut function = Function::default();
        fields(&mut map, &["name", "arguments"], |name, map| {
            match name {
                "name" => function.name = map.next_value()?,
                "arguments" => function.arguments = map.next_value()?,
                _ => skip(map)?,
            }
            Ok(())
        })?;
        Ok(function)
    }
}

/// `arguments`: a JSON text as the standard says; a JSON value written
/// back as text when a server sends the value itself.
struct Arguments(Option<String>);

impl<'de> Deserialize<'de> for Arguments {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ArgumentsVisitor)
    }
}

struct ArgumentsVisitor;

impl<'de> Visitor<'de> for ArgumentsVisitor {
    type Value = Arguments;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("arguments as a JSON text")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Arguments, E> {
        Ok(Arguments(Some(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Arguments, E> {
        Ok(Arguments(Some(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Arguments, E> {
        Ok(Arguments(None))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Arguments, E> {
        Ok(Arguments(Some(v.to_string())))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Arguments, E> {
        Ok(Arguments(Some(v.to_string())))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Arguments, E> {
        Ok(Arguments(Some(v.to_string())))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Arguments, E> {
        Ok(Arguments(Some(serde_json::Value::from(v).to_string())))
    }

    // A value written back as compact JSON is never much longer than the
    // text it was read from (numbers may gain a few digits), so this stays
    // within the memory bound.
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Arguments, A::Error> {
        let v = serde_json::Value::deserialize(MapAccessDeserializer::new(map))?;
        Ok(Arguments(Some(v.to_string())))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Arguments, A::Error> {
        let v = serde_json::Value::deserialize(SeqAccessDeserializer::new(seq))?;
        Ok(Arguments(Some(v.to_string())))
    }
}

/// `usage`, or `None` for `{}` (no counts is no usage).
struct UsageDe(Option<Usage>);

impl<'de> Deserialize<'de> for UsageDe {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(UsageVisitor)
    }
}

struct UsageVisitor;

impl<'de> Visitor<'de> for UsageVisitor {
    type Value = UsageDe;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a usage object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UsageDe, A::Error> {
        let (mut prompt, mut completion, mut total) = (None::<u64>, None::<u64>, None::<u64>);
        let (mut prompt_details, mut completion_details) = (None::<Details>, None::<Details>);
        let mut cache_hit = None::<u64>;
        const NAMES: &[&str] = &[
            "prompt_tokens",
            "completion_tokens",
            "total_tokens",
            "prompt_tokens_details",
            "completion_tokens_details",
            // DeepSeek's name for cached prompt tokens.
            "prompt_cache_hit_tokens",
        ];
        fields(&mut map, NAMES, |name, map| {
            match name {
                "prompt_tokens" => prompt = map.next_value()?,
                "completion_tokens" => completion = map.next_value()?,
                "total_tokens" => total = map.next_value()?,
                "prompt_tokens_details" => prompt_details = map.next_value()?,
                "completion_tokens_details" => completion_details = map.next_value()?,
                "prompt_cache_hit_tokens" => cache_hit = map.next_value()?,
                _ => skip(map)?,
            }
            Ok(())
        })?;
        let cached = prompt_details.and_then(|d| d.cached).or(cache_hit);
        let reasoning = completion_details.and_then(|d| d.reasoning);
        if prompt.is_none() && completion.is_none() && total.is_none() && cached.is_none() {
            return Ok(UsageDe(None));
        }
        let (p, c) = (prompt.unwrap_or(0), completion.unwrap_or(0));
        Ok(UsageDe(Some(Usage {
            prompt_tokens: p,
            completion_tokens: c,
            total_tokens: total.unwrap_or(p.saturating_add(c)),
            cached_tokens: cached,
            reasoning_tokens: reasoning,
        })))
    }
}

/// `prompt_tokens_details` and `completion_tokens_details`.
#[derive(Default)]
struct Details {
    cached: Option<u64>,
    reasoning: Option<u64>,
}

impl<'de> Deserialize<'de> for Details {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(DetailsVisitor)
    }
}

struct DetailsVisitor;

impl<'de> Visitor<'de> for DetailsVisitor {
    type Value = Details;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a token details object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Details, A::Error> {
        let mut d = Details::default();
        fields(
            &mut map,
            &["cached_tokens", "reasoning_tokens"],
            |name, map| {
                match name {
                    "cached_tokens" => d.cached = map.next_value()?,
                    "reasoning_tokens" => d.reasoning = map.next_value()?,
                    _ => skip(map)?,
                }
                Ok(())
            },
        )?;
        Ok(d)
    }
}

/// `error`: an object in one of the providers' shapes, or a bare string.
struct ErrorDe(ErrorEvent);

impl<'de> Deserialize<'de> for ErrorDe {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ErrorVisitor)
    }
}

struct ErrorVisitor;

impl<'de> Visitor<'de> for ErrorVisitor {
    type Value = ErrorDe;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an error object or message")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<ErrorDe, E> {
        Ok(ErrorDe(ErrorEvent {
            message: v.to_owned(),
            ..ErrorEvent::default()
        }))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ErrorDe, A::Error> {
        let mut e = ErrorEvent::default();
        fields(&mut map, &["code", "message", "type"], |name, map| {
            match name {
                "code" => e.code = map.next_value::<Option<Code>>()?.and_then(|c| c.0),
                "message" => e.message = map.next_value::<Option<String>>()?.unwrap_or_default(),
                "type" => e.kind = map.next_value()?,
                _ => skip(map)?,
            }
            Ok(())
        })?;
        Ok(ErrorDe(e))
    }
}

/// An error code: a string (Zhipu's `"1113"`), or a number kept as its
/// decimal text.
struct Code(Option<String>);

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(CodeVisitor)
    }
}

struct CodeVisitor;

impl Visitor<'_> for CodeVisitor {
    type Value = Code;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an error code")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Code, E> {
        Ok(Code(Some(v.to_owned())))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Code, E> {
        Ok(Code(Some(v.to_string())))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Code, E> {
        Ok(Code(Some(v.to_string())))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Code, E> {
        Ok(Code(None))
    }
}
