//! [`Assembler`]: a whole [`Reply`] from streamed [`Delta`]s.

use super::{Delta, Reply, ToolCall, ToolCallDelta, MAX_TOOL_CALLS};
use std::fmt;

/// The default bound on an assembled reply: 64 MiB of text in all.
///
/// A long reply is a few hundred kilobytes; the bound is there because a
/// stream has no length the client could check up front, and a server
/// that never stops would otherwise grow the reply without end.
pub const DEFAULT_MAX_REPLY_BYTES: usize = 64 * 1024 * 1024;

/// Builds a whole [`Reply`] from the deltas of a stream, in order.
///
/// Text and reasoning are the concatenation of the deltas' pieces. The
/// model, the finish reason and the usage are the last ones a delta
/// carried (providers that send a running usage in every chunk end with
/// the total); the request id is the first chunk `id`, unless set from a
/// header with [`set_request_id`](Assembler::set_request_id). Reasoning is
/// `Some` once a non-empty piece of it has arrived.
///
/// # Tool calls
///
/// Pieces of tool calls are put together by these rules, which cover the
/// shapes servers send:
///
/// 1. A piece with an `index` belongs to the call with that index, which
///    it starts if it is the first. Pieces of several calls may
///    interleave (OpenAI).
/// 2. A piece without `index` (Ollama) starts a new call if there is
///    none yet, or if it carries an `id` other than the last call's, or a
///    `name` while the last call has one and it carries no `id` of that
///    call. Otherwise it continues the last call started. A new call is
///    placed after every call so far.
/// 3. A call's `id` and `name` are taken from the first piece that carries
///    them non-empty (servers that repeat them are not doubled); the
///    arguments are the concatenation of every piece's fragment. A call
///    that arrives whole in one piece (Zhipu) is just rule 1 or 2 once.
/// 4. [`finish`](Assembler::finish) lists the calls by index, and drops a
///    call that got neither id, name nor arguments.
///
/// # Bounds
///
/// An index is a key, never a position: `index: 4000000000` costs one
/// call, not four billion slots. At most [`MAX_TOOL_CALLS`] calls are
/// kept, and the reply's text (content, reasoning, every call's id, name
/// and arguments, the model, the finish reason and the request id) may
/// not pass [`DEFAULT_MAX_REPLY_BYTES`] (or the bound given to
/// [`with_max_bytes`](Assembler::with_max_bytes)). Every stored byte was
/// copied from a delta, so the memory an assembler holds is its text plus
/// a fixed cost per call: within a small factor of the stream it read.
///
/// ```
/// use brisk::chat::{Assembler, Delta};
///
/// let mut assembler = Assembler::new();
/// for data in [
///     r#"{"id":"c1","model":"m","choices":[{"delta":{"role":"assistant","content":"Hel"}}]}"#,
///     r#"{"id":"c1","choices":[{"delta":{"content":"lo"},"finish_reason":"stop"}]}"#,
///     r#"{"id":"c1","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}"#,
/// ] {
///     assembler.push(&Delta::parse(data)?)?;
/// }
/// let reply = assembler.finish();
/// assert_eq!(reply.content, "Hello");
/// assert_eq!(reply.finish_reason.as_deref(), Some("stop"));
/// assert_eq!(reply.usage.map(|u| u.total_tokens), Some(5));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Assembler {
    reply: Reply,
    /// Calls keyed by index, sorted by key. The key is a `u64` so that
    /// calls without an index can always be placed after the last one.
    calls: Vec<(u64, ToolCall)>,
    /// The key of the call started last, which a piece without index
    /// continues.
    last: Option<u64>,
    /// The request id came from outside (a header): chunk ids do not
    /// replace it.
    request_id_fixed: bool,
    /// Bytes of text held, and their bound.
    bytes: usize,
    max_bytes: usize,
}

/// A bound the assembler refused to pass; the delta that would have passed
/// it was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Overflow {
    /// The reply would hold more than [`MAX_TOOL_CALLS`] tool calls.
    TooManyToolCalls,
    /// The reply's text would pass the assembler's bound
    /// ([`DEFAULT_MAX_REPLY_BYTES`] by default).
    ReplyTooLarge,
}

impl fmt::Display for Overflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Overflow::TooManyToolCalls => "too many tool calls in the reply",
            Overflow::ReplyTooLarge => "streamed reply too large",
        })
    }
}

impl std::error::Error for Overflow {}

impl Default for Assembler {
    fn default() -> Self {
        Assembler::new()
    }
}

impl Assembler {
    /// An empty assembler with the default bound
    /// ([`DEFAULT_MAX_REPLY_BYTES`]).
    pub fn new() -> Assembler {
        Assembler::with_max_bytes(DEFAULT_MAX_REPLY_BYTES)
    }

    /// An empty assembler whose reply's text may hold at most `max` bytes.
    pub fn with_max_bytes(max: usize) -> Assembler {
        Assembler {
            reply: Reply {
                attempts: 1,
                ..Reply::default()
            },
            calls: Vec::new(),
            last: None,
            request_id_fixed: false,
            bytes: 0,
            max_bytes: max,
        }
    }

    /// Sets the request id from outside the stream (the `x-request-id`
    /// header, which names the request to the provider's support better
    /// than the completion's id); chunk ids no longer replace it.
    pub fn set_request_id(&mut self, id: impl Into<String>) {
        let id = id.into();
        self.bytes = self.bytes.saturating_add(id.len());
        if let Some(old) = self.reply.request_id.replace(id) {
            self.bytes -= old.len();
        }
        self.request_id_fixed = true;
    }

    /// Sets how many HTTP attempts the call took (1 by default).
    pub fn set_attempts(&mut self, attempts: u32) {
        self.reply.attempts = attempts;
    }

    /// Takes one delta. On an [`Overflow`] the delta is not taken at all
    /// and the reply so far is unchanged.
    pub fn push(&mut self, delta: &Delta) -> Result<(), Overflow> {
        self.check(delta)?;
        let reply = &mut self.reply;
        if let Some(id) = &delta.id {
            if !self.request_id_fixed && reply.request_id.is_none() {
                self.bytes += id.len();
                reply.request_id = Some(id.clone());
            }
        }
        if let Some(model) = &delta.model {
            self.bytes = self.bytes - reply.model.len() + model.len();
            reply.model.clone_from(model);
        }
        if let Some(text) = &delta.content {
            self.bytes += text.len();
            reply.content.push_str(text);
        }
        if let Some(text) = delta.reasoning.as_deref().filter(|t| !t.is_empty()) {
            self.bytes += text.len();
            reply
                .reasoning
                .get_or_insert_with(String::new)
                .push_str(text);
        }
        if let Some(reason) = &delta.finish_reason {
            let old = reply.finish_reason.replace(reason.clone());
            self.bytes = self.bytes - old.map_or(0, |o| o.len()) + reason.len();
        }
        if delta.usage.is_some() {
            reply.usage = delta.usage;
        }
        for piece in &delta.tool_calls {
            self.take_call(piece);
        }
        Ok(())
    }

    /// The reply so far, as [`finish`](Assembler::finish) would give it
    /// now (a copy).
    pub fn reply(&self) -> Reply {
        self.clone().finish()
    }

    /// The reply's text size so far, in bytes: what the bound counts.
    pub fn text_bytes(&self) -> usize {
        self.bytes
    }

    /// The heap memory the assembler holds, in bytes: for the fuzz
    /// target's memory bound.
    pub(crate) fn heap_bytes(&self) -> usize {
        let r = &self.reply;
        let opt = |s: &Option<String>| s.as_ref().map_or(0, String::capacity);
        let calls: usize = self
            .calls
            .iter()
            .map(|(_, c)| c.id.capacity() + c.name.capacity() + c.arguments.capacity())
            .sum();
        r.content.capacity()
            + r.model.capacity()
            + opt(&r.reasoning)
            + opt(&r.finish_reason)
            + opt(&r.request_id)
            + self.calls.capacity() * std::mem::size_of::<(u64, ToolCall)>()
            + calls
    }

    /// The whole reply: tool calls in index order.
    pub fn finish(mut self) -> Reply {
        self.reply.tool_calls = self
            .calls
            .into_iter()
            .map(|(_, call)| call)
            .filter(|c| !(c.id.is_empty() && c.name.is_empty() && c.arguments.is_empty()))
            .collect();
        self.reply
    }

    /// Fails if taking `delta` would pass a bound, before anything of it
    /// is taken. Counts the worst case (every piece adds all it carries, and
    /// every piece may start a call), so it may refuse a delta a little
    /// early, never late.
    fn check(&self, delta: &Delta) -> Result<(), Overflow> {
        let len = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        let mut more = len(&delta.id)
            + len(&delta.model)
            + len(&delta.content)
            + len(&delta.reasoning)
            + len(&delta.finish_reason);
        let mut new_calls = 0;
        for piece in &delta.tool_calls {
            more += len(&piece.id) + len(&piece.name) + len(&piece.arguments);
            if self.starts_call(piece) {
                new_calls += 1;
            }
        }
        if self.bytes.saturating_add(more) > self.max_bytes {
            return Err(Overflow::ReplyTooLarge);
        }
        // A piece without index may start a call that an earlier piece of
        // the same delta would have changed the answer for; counting each
        // as seen from now over-counts at worst.
        if self.calls.len() + new_calls > MAX_TOOL_CALLS {
            return Err(Overflow::TooManyToolCalls);
        }
        Ok(())
    }

    /// Rule 1 and 2 of the type's docs: the key of the call `piece` belongs
    /// to, and whether it starts that call.
    fn key_of(&self, piece: &ToolCallDelta) -> (u64, bool) {
        if let Some(index) = piece.index {
            let key = u64::from(index);
            let known = self.calls.binary_search_by_key(&key, |(k, _)| *k).is_ok();
            return (key, !known);
        }
        let next = self.calls.last().map_or(0, |(k, _)| k + 1);
        let Some(last) = self.last.and_then(|k| self.find(k)) else {
            return (next, true);
        };
        let call = &self.calls[last].1;
        let id = piece.id.as_deref().unwrap_or("");
        let name = piece.name.as_deref().unwrap_or("");
        let other_id = !id.is_empty() && id != call.id;
        let another_name = id.is_empty() && !name.is_empty() && !call.name.is_empty();
        if other_id || another_name {
            (next, true)
        } else {
            (self.calls[last].0, false)
        }
    }

    fn starts_call(&self, piece: &ToolCallDelta) -> bool {
        self.key_of(piece).1
    }

    fn find(&self, key: u64) -> Option<usize> {
        self.calls.binary_search_by_key(&key, |(k, _)| *k).ok()
    }

    /// Adds one piece to its call (rule 3), starting the call if needed.
    /// The bounds were checked by [`check`](Assembler::check).
    fn take_call(&mut self, piece: &ToolCallDelta) {
        let (key, _) = self.key_of(piece);
        let at = match self.calls.binary_search_by_key(&key, |(k, _)| *k) {
            Ok(at) => at,
            Err(at) => {
                self.calls.insert(at, (key, ToolCall::default()));
                self.last = Some(key);
                at
            }
        };
        let call = &mut self.calls[at].1;
        for (field, value) in [(&mut call.id, &piece.id), (&mut call.name, &piece.name)] {
            if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
                if field.is_empty() {
                    field.push_str(value);
                    self.bytes += value.len();
                }
            }
        }
        if let Some(fragment) = &piece.arguments {
            call.arguments.push_str(fragment);
            self.bytes += fragment.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::delta::tests::fixture_chunks;

    fn assemble(chunks: &[&str]) -> Reply {
        let mut a = Assembler::new();
        for data in chunks {
            a.push(&Delta::parse(data).unwrap()).unwrap();
        }
        a.finish()
    }

    fn call(id: &str, name: &str, arguments: &str) -> ToolCall {
        ToolCall {
            id: id.into(),
            name: name.into(),
            arguments: arguments.into(),
        }
    }

    /// A chunk holding only these tool-call pieces.
    fn calls(pieces: &str) -> String {
        format!(r#"{{"choices":[{{"delta":{{"tool_calls":[{pieces}]}}}}]}}"#)
    }

    #[test]
    fn openai_text_with_usage_in_a_chunk_without_choices() {
        let sse = include_str!("../../tests/fixtures/chat/openai_stream.sse");
        let reply = assemble(&fixture_chunks(sse));
        assert_eq!(reply.content, "Hello, 世界!");
        assert_eq!(reply.model, "gpt-4o-mini-2024-07-18");
        assert_eq!(reply.finish_reason.as_deref(), Some("stop"));
        assert_eq!(reply.request_id.as_deref(), Some("chatcmpl-AqP4"));
        assert_eq!(reply.usage.map(|u| u.total_tokens), Some(13));
        assert_eq!(
            (reply.reasoning, reply.tool_calls.len(), reply.attempts),
            (None, 0, 1)
        );
    }

    #[test]
    fn zhipu_usage_in_the_finishing_chunk() {
        let sse = include_str!("../../tests/fixtures/chat/zhipu_stream.sse");
        let reply = assemble(&fixture_chunks(sse));
        assert_eq!(reply.content, "你好，欢迎来到山西");
        assert_eq!(reply.finish_reason.as_deref(), Some("stop"));
        assert_eq!(reply.usage.map(|u| u.total_tokens), Some(15));
    }

    #[test]
    fn interleaved_fragments_by_index() {
        let sse = include_str!("../../tests/fixtures/chat/openai_stream_tool_calls.sse");
        let reply = assemble(&fixture_chunks(sse));
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

    #[test]
    fn calls_are_listed_by_index_not_arrival() {
        let reply = assemble(&[
            &calls(r#"{"index":2,"id":"c","function":{"name":"h","arguments":"{"}}"#),
            &calls(r#"{"index":0,"id":"a","function":{"name":"f","arguments":"["}}"#),
            &calls(
                r#"{"index":2,"function":{"arguments":"}"}},{"index":0,"function":{"arguments":"]"}}"#,
            ),
        ]);
        assert_eq!(
            reply.tool_calls,
            [call("a", "f", "[]"), call("c", "h", "{}")]
        );
    }

    #[test]
    fn whole_calls_in_one_chunk() {
        let reply = assemble(&[&calls(
            r#"{"index":0,"id":"a","function":{"name":"f","arguments":"{}"}},{"index":1,"id":"b","function":{"name":"g","arguments":"{\"x\":1}"}}"#,
        )]);
        assert_eq!(
            reply.tool_calls,
            [call("a", "f", "{}"), call("b", "g", r#"{"x":1}"#)]
        );
    }

    #[test]
    fn pieces_without_index_are_the_next_call_in_order() {
        // Ollama: each call whole, no index, each with its own id.
        let reply = assemble(&[
            &calls(r#"{"id":"a","function":{"name":"f","arguments":"{}"}}"#),
            &calls(r#"{"id":"b","function":{"name":"g","arguments":"{}"}}"#),
        ]);
        assert_eq!(
            reply.tool_calls,
            [call("a", "f", "{}"), call("b", "g", "{}")]
        );
        // Without ids: a new name starts a new call.
        let reply = assemble(&[&calls(
            r#"{"function":{"name":"f","arguments":"1"}},{"function":{"name":"g","arguments":"2"}}"#,
        )]);
        assert_eq!(reply.tool_calls, [call("", "f", "1"), call("", "g", "2")]);
        // A piece with neither id nor name continues the last call; one
        // repeating the last call's id too.
        let reply = assemble(&[
            &calls(r#"{"id":"a","function":{"name":"f","arguments":"{\"k\""}}"#),
            &calls(r#"{"function":{"arguments":":1"}}"#),
            &calls(r#"{"id":"a","function":{"name":"f","arguments":"}"}}"#),
        ]);
        assert_eq!(reply.tool_calls, [call("a", "f", r#"{"k":1}"#)]);
        // After indexed calls, a call without index goes after them all.
        let reply = assemble(&[
            &calls(r#"{"index":7,"id":"a","function":{"name":"f"}}"#),
            &calls(r#"{"id":"b","function":{"name":"g"}}"#),
        ]);
        assert_eq!(reply.tool_calls, [call("a", "f", ""), call("b", "g", "")]);
    }

    #[test]
    fn repeated_id_and_name_are_not_doubled() {
        let reply = assemble(&[
            &calls(r#"{"index":0,"id":"a","function":{"name":"f","arguments":"{"}}"#),
            &calls(r#"{"index":0,"id":"a","function":{"name":"f","arguments":"}"}}"#),
            &calls(r#"{"index":0,"id":"","function":{"name":""}}"#),
        ]);
        assert_eq!(reply.tool_calls, [call("a", "f", "{}")]);
    }

    #[test]
    fn empty_calls_are_dropped() {
        let reply = assemble(&[&calls(r#"{"index":0},{"index":1,"function":{"name":"f"}}"#)]);
        assert_eq!(reply.tool_calls, [call("", "f", "")]);
    }

    #[test]
    fn reasoning_and_last_values_win() {
        let reply = assemble(&[
            r#"{"id":"first","model":"a","choices":[{"delta":{"reasoning_content":"","content":null}}]}"#,
            r#"{"id":"second","model":"b","choices":[{"delta":{"reasoning_content":"Let me "}}],"usage":{"total_tokens":1}}"#,
            r#"{"choices":[{"delta":{"reasoning":"think.","content":"Yes"},"finish_reason":"length"}],"usage":{"total_tokens":2}}"#,
            r#"{"choices":[{"delta":{},"finish_reason":"stop"}]}"#,
        ]);
        assert_eq!(reply.reasoning.as_deref(), Some("Let me think."));
        assert_eq!(reply.content, "Yes");
        assert_eq!(reply.model, "b");
        assert_eq!(reply.request_id.as_deref(), Some("first"));
        assert_eq!(reply.finish_reason.as_deref(), Some("stop"));
        assert_eq!(reply.usage.map(|u| u.total_tokens), Some(2));
        // Only empty reasoning pieces: no reasoning.
        let reply = assemble(&[r#"{"choices":[{"delta":{"reasoning_content":""}}]}"#]);
        assert_eq!(reply.reasoning, None);
    }

    #[test]
    fn a_header_request_id_wins() {
        let mut a = Assembler::new();
        a.set_request_id("req-from-header");
        a.set_attempts(3);
        a.push(&Delta::parse(r#"{"id":"chunk-id"}"#).unwrap())
            .unwrap();
        let reply = a.finish();
        assert_eq!(reply.request_id.as_deref(), Some("req-from-header"));
        assert_eq!(reply.attempts, 3);
    }

    #[test]
    fn a_huge_index_is_one_call() {
        let reply = assemble(&[
            &calls(r#"{"index":4000000000,"id":"x","function":{"name":"f","arguments":"{"}}"#),
            &calls(r#"{"index":4294967295,"function":{"arguments":"}"}}"#),
            &calls(r#"{"id":"y","function":{"name":"g"}}"#),
        ]);
        assert_eq!(
            reply.tool_calls,
            [call("x", "f", "{"), call("", "", "}"), call("y", "g", "")]
        );
    }

    #[test]
    fn the_number_of_calls_is_bounded() {
        let mut a = Assembler::new();
        for i in 0..MAX_TOOL_CALLS {
            let piece = format!(r#"{{"index":{},"function":{{"name":"f"}}}}"#, i * 1000);
            a.push(&Delta::parse(&calls(&piece)).unwrap()).unwrap();
        }
        // More pieces of known calls are fine; a new call is not.
        a.push(&Delta::parse(&calls(r#"{"index":0,"function":{"arguments":"{}"}}"#)).unwrap())
            .unwrap();
        let over = Delta::parse(&calls(r#"{"index":1,"function":{"name":"g"}}"#)).unwrap();
        assert_eq!(a.push(&over), Err(Overflow::TooManyToolCalls));
        let no_index = Delta::parse(&calls(r#"{"id":"new"}"#)).unwrap();
        assert_eq!(a.push(&no_index), Err(Overflow::TooManyToolCalls));
        let reply = a.finish();
        assert_eq!(reply.tool_calls.len(), MAX_TOOL_CALLS);
        assert_eq!(reply.tool_calls[0].arguments, "{}");
    }

    #[test]
    fn the_text_is_bounded_and_a_refused_delta_changes_nothing() {
        let mut a = Assembler::with_max_bytes(10);
        a.push(&Delta::parse(r#"{"choices":[{"delta":{"content":"12345"}}]}"#).unwrap())
            .unwrap();
        let over = Delta::parse(
            r#"{"choices":[{"delta":{"content":"678","tool_calls":[{"index":0,"function":{"arguments":"abc"}}]}}]}"#,
        )
        .unwrap();
        assert_eq!(a.push(&over), Err(Overflow::ReplyTooLarge));
        assert_eq!(a.text_bytes(), 5);
        let reply = a.reply();
        assert_eq!(
            (reply.content.as_str(), reply.tool_calls.len()),
            ("12345", 0)
        );
        a.push(&Delta::parse(r#"{"choices":[{"delta":{"content":"67890"}}]}"#).unwrap())
            .unwrap();
        assert_eq!(a.finish().content, "1234567890");
    }
}
