//! What a chat call returns: the reply, its tool calls and its token usage.

/// A whole chat reply: from one completion, or assembled from a stream.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reply {
    /// The assistant's text (empty when the reply is only tool calls, or
    /// the server sent `null`).
    pub content: String,
    /// The reasoning text, where the server sends one:
    /// `reasoning_content` (DeepSeek, GLM-4.5 and later) or `reasoning`
    /// (vLLM, Ollama, OpenRouter).
    pub reasoning: Option<String>,
    /// The tool calls the model asked for, in their index order.
    pub tool_calls: Vec<ToolCall>,
    /// The model that answered, as the server names it (empty if absent).
    pub model: String,
    /// Why the model stopped: `stop`, `length`, `tool_calls`,
    /// `content_filter`, or any other string a provider sends
    /// (`sensitive`, `model_context_window_exceeded`).
    pub finish_reason: Option<String>,
    /// Token counts, when the server reports them.
    pub usage: Option<Usage>,
    /// The provider's request id: the `x-request-id` header, or the
    /// body's `request_id` or `id`, for support tickets and logs.
    pub request_id: Option<String>,
    /// HTTP attempts the call took (1 without retries).
    pub attempts: u32,
}

/// One tool (function) call the model asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ToolCall {
    /// The call's id, to be sent back with the tool's result.
    pub id: String,
    /// The function's name.
    pub name: String,
    /// The arguments as the model wrote them: a JSON text, not checked.
    pub arguments: String,
}

/// Token counts of one call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Tokens in the prompt.
    pub prompt_tokens: u64,
    /// Tokens in the reply.
    pub completion_tokens: u64,
    /// Their sum, as the server reports it.
    pub total_tokens: u64,
    /// Prompt tokens served from the provider's cache, where reported
    /// (`prompt_tokens_details.cached_tokens`).
    pub cached_tokens: Option<u64>,
    /// Reply tokens spent on reasoning, where reported
    /// (`completion_tokens_details.reasoning_tokens`).
    pub reasoning_tokens: Option<u64>,
}
