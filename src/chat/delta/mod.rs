//! One streamed chunk and what it means: [`Delta`].
//!
//! [`Delta::parse`] reads one chunk; [`Delta`]'s docs list what it tolerates.

mod de;
#[cfg(test)]
pub(crate) mod tests;

use super::Usage;
pub(crate) use de::parse_error_body;
use std::fmt;

/// The most tool calls one reply may hold, and the most tool-call fragments
/// one chunk may hold. Real replies hold a handful; the bound stops a
/// hostile stream from making the assembler keep millions of empty calls.
pub const MAX_TOOL_CALLS: usize = 1024;

/// The meaning of one streamed chunk: a piece of the reply.
///
/// Text fields hold this chunk's piece only: the reply is their
/// concatenation, which [`Assembler`](super::Assembler) builds. `None`
/// means the chunk did not carry the field (or carried `null`).
///
/// A streamed chat completion arrives as one JSON object per server-sent
/// event (`object: "chat.completion.chunk"`), each carrying a small piece of
/// the reply in `choices[0].delta`. Servers that call themselves
/// OpenAI-compatible agree on the shape and differ in the details, so the
/// chunk is read tolerantly:
///
/// - a missing field, a `null` and an unknown field all mean "nothing
///   here" (`usage: null` in every chunk, `content: null` beside tool
///   calls, `refusal`, `logprobs`, `system_fingerprint`, ...);
/// - `choices: []` is a chunk without a choice: OpenAI's last chunk, which
///   carries only `usage` (`stream_options.include_usage`);
/// - `usage` may come in the chunk that carries the finish reason (Zhipu),
///   inside the choice (Moonshot), or alone in a last chunk (OpenAI);
///   `usage: {}` is no usage;
/// - the role may come once (OpenAI) or in every delta (Zhipu);
/// - the reasoning text is `reasoning_content` (DeepSeek, GLM-4.5 and
///   later) or `reasoning` (vLLM, Ollama, OpenRouter); a server that sends
///   both with the same text is read once (`reasoning_content` wins);
/// - a choice's `message` is read like its `delta`, so a server that
///   ignored `"stream": true` and answered with a whole completion gives one
///   delta that holds all of it;
/// - tool-call `arguments` are a JSON text; a server that sends a JSON
///   object instead gets it written back as text.
///
/// A field of the wrong type (`"content": 5`) is an error that names it
/// (`choices[0].delta.content`), as [`Response::json`](crate::Response::json)
/// does. Of several choices (`n > 1`), the one with index 0 is read and the
/// others are skipped.
///
/// A chunk with an `error` key is not a delta but an error event: the
/// server gave up in the middle of the stream (Zhipu, Qianfan and OpenAI
/// all do this, each with its own shape), and parsing gives an
/// [`ErrorEvent`].
///
/// # Bounds
///
/// The parser keeps only what it returns: skipped fields and other choices
/// are read past without being stored, so a chunk costs memory in
/// proportion to the text it carries, whatever else is in it. One chunk may
/// hold at most [`MAX_TOOL_CALLS`] tool-call fragments.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Delta {
    /// The chunk's `id`: the completion's id, the same in every chunk.
    pub id: Option<String>,
    /// The model that answered, as the server names it.
    pub model: Option<String>,
    /// The author's role, `"assistant"`: sent in the first delta (OpenAI)
    /// or in every one (Zhipu).
    pub role: Option<String>,
    /// A piece of the reply's text.
    pub content: Option<String>,
    /// A piece of the reasoning text (`reasoning_content`, or else
    /// `reasoning`).
    pub reasoning: Option<String>,
    /// Pieces of tool calls, in the order the chunk lists them.
    pub tool_calls: Vec<ToolCallDelta>,
    /// Why the model stopped, in the chunk that ends the choice: `stop`,
    /// `length`, `tool_calls`, `content_filter`, or any other string.
    pub finish_reason: Option<String>,
    /// Token counts: in the finishing chunk (Zhipu) or in a last chunk
    /// without choices (OpenAI, with `stream_options.include_usage`).
    pub usage: Option<Usage>,
}

impl Delta {
    /// Reads one chunk: the `data` of one server-sent event (other than
    /// `[DONE]`).
    ///
    /// A chunk with an `error` key gives [`ChunkError::Api`]; text that is
    /// not JSON, or a field of the wrong type, gives
    /// [`ChunkError::Decode`].
    ///
    /// ```
    /// use brisk::chat::Delta;
    ///
    /// let delta = Delta::parse(
    ///     r#"{"id":"c1","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"usage":null}"#,
    /// )?;
    /// assert_eq!(delta.text(), "Hi");
    /// assert_eq!(delta.id.as_deref(), Some("c1"));
    /// # Ok::<(), brisk::chat::ChunkError>(())
    /// ```
    pub fn parse(data: &str) -> Result<Delta, ChunkError> {
        de::parse(data)
    }

    /// This chunk's piece of text, `""` if it has none.
    pub fn text(&self) -> &str {
        self.content.as_deref().unwrap_or("")
    }

    /// `true` if the chunk says nothing: no field the assembler would use
    /// (a keep-alive chunk, or an empty delta).
    pub fn is_empty(&self) -> bool {
        self == &Delta::default()
    }
}

/// A piece of one tool call, as a chunk carries it.
///
/// OpenAI-style servers send a call's `id` and `name` in its first piece
/// and its `arguments` (a JSON text) in fragments after it, each piece
/// naming its call by `index`; pieces of several calls may interleave. Some
/// servers send a call whole in one piece (Zhipu), some without `index`
/// (Ollama). [`Assembler`](super::Assembler) documents how pieces are put
/// together.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ToolCallDelta {
    /// Which call this piece belongs to, when the server says.
    pub index: Option<u32>,
    /// The call's id (in its first piece).
    pub id: Option<String>,
    /// The function's name (in its first piece).
    pub name: Option<String>,
    /// A fragment of the arguments' JSON text.
    pub arguments: Option<String>,
}

/// An error the server sent instead of a reply: an error event inside a
/// stream (a chunk with an `error` key), or the body of an HTTP error
/// status where a stream was expected.
///
/// The three shapes providers use are all read:
///
/// - OpenAI: `{"error":{"message":...,"type":...,"code":...}}`;
/// - Zhipu: `{"error":{"code":"1113","message":...}}` (the code a string);
/// - Qianfan v2: `{"error":{"code":...,"message":...,"type":...},"id":...}`;
///
/// and also `{"error":"text"}`. A numeric code is kept as its decimal text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorEvent {
    /// The HTTP status, when the error came as a status rather than inside
    /// a `200` stream.
    pub status: Option<u16>,
    /// The provider's error code (`"insufficient_quota"`, `"1113"`).
    pub code: Option<String>,
    /// The provider's message (empty if it sent none).
    pub message: String,
    /// The error's `type` (`"invalid_request_error"`).
    pub kind: Option<String>,
    /// The `id` beside the error (Qianfan), for support tickets.
    pub request_id: Option<String>,
}

impl fmt::Display for ErrorEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the server sent an error")?;
        if let Some(status) = self.status {
            write!(f, " (status {status})")?;
        }
        if let Some(code) = &self.code {
            write!(f, " [{code}]")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ErrorEvent {}

/// A chunk that is not a delta.
#[derive(Debug)]
#[non_exhaustive]
pub enum ChunkError {
    /// The chunk is an error event: the server reports a failure.
    Api(ErrorEvent),
    /// The chunk is not JSON, or a field has the wrong type. The error
    /// [`is_decode`](crate::Error::is_decode) and names the field
    /// (`choices[0].delta.content`).
    Decode(crate::Error),
}

impl fmt::Display for ChunkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChunkError::Api(e) => e.fmt(f),
            ChunkError::Decode(_) => f.write_str("invalid chat chunk"),
        }
    }
}

impl std::error::Error for ChunkError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ChunkError::Api(_) => None,
            ChunkError::Decode(e) => Some(e),
        }
    }
}
