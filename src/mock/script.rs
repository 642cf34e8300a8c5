//! What the mock server answers: one [`Answer`] per request, and the
//! [`Script`] that hands answers out in order.

use std::collections::VecDeque;
use std::time::Duration;

/// What the mock server does with one chat request: a reply (plain or
/// streamed, as the request asks), an HTTP error, or a fault on the
/// connection.
///
/// Start from a constructor ([`Answer::text`], [`Answer::echo`],
/// [`Answer::tool_call`], [`Answer::status`], [`Answer::rate_limited`],
/// [`Answer::never`], ...) and adjust it with the methods that take and
/// return `self` ([`delay`](Answer::delay),
/// [`token_delay`](Answer::token_delay), [`reset_after`](Answer::reset_after),
/// [`header`](Answer::header), ...). The methods that shape a reply's
/// content (tool calls, reasoning, flavour, usage, finish reason, reset,
/// error event) do nothing to an HTTP error or a connection fault; delays
/// and headers apply to every answer.
///
/// ```
/// use brisk::mock::{Answer, Flavour};
/// use std::time::Duration;
///
/// // A reply that takes a second, as a real completion does.
/// let slow = Answer::text("Hello there, world!").delay(Duration::from_secs(1));
/// // Streamed token by token, 20 ms apart, Zhipu-style.
/// let drip = Answer::echo()
///     .token_delay(Duration::from_millis(20))
///     .flavour(Flavour::Zhipu);
/// // Two tool calls; streamed, their arguments arrive interleaved.
/// let tools = Answer::tool_call("get_weather", r#"{"city":"Taiyuan"}"#)
///     .with_tool_call("get_time", r#"{"tz":"Asia/Shanghai"}"#);
/// ```
#[derive(Clone, Debug)]
pub struct Answer {
    pub(crate) kind: Kind,
    pub(crate) delay: Duration,
    pub(crate) token_delay: Duration,
    pub(crate) headers: Vec<(String, String)>,
}

/// The three families of answers.
#[derive(Clone, Debug)]
pub(crate) enum Kind {
    /// A `200` chat completion.
    Chat(Chat),
    /// An HTTP error with a JSON body.
    Error { status: u16, body: String },
    /// Read the request and never answer (until the client hangs up).
    Never,
    /// Read the request and close the connection without a byte.
    Disconnect,
}

/// A successful reply, before it is rendered as JSON or as events.
#[derive(Clone, Debug)]
pub(crate) struct Chat {
    pub(crate) content: Content,
    pub(crate) reasoning: Option<String>,
    /// `(name, arguments)` of each tool call, in index order.
    pub(crate) tool_calls: Vec<(String, String)>,
    pub(crate) finish_reason: Option<String>,
    pub(crate) usage: Option<(u64, u64)>,
    pub(crate) flavour: Flavour,
    /// Cut the connection (RST) after this many events past the first.
    pub(crate) reset_after: Option<usize>,
    /// Send this error event after this many events past the first.
    pub(crate) error_after: Option<(usize, String)>,
    /// Close the WebSocket with this code and reason after this many
    /// events past the first (the Realtime endpoint only).
    pub(crate) close_after: Option<(usize, u16, String)>,
}

/// Where a reply's text comes from.
#[derive(Clone, Debug)]
pub(crate) enum Content {
    Fixed(String),
    /// The text of the request's last `user` message.
    Echo,
}

/// Which provider's habits a reply copies, where providers differ.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Flavour {
    /// OpenAI: `object` fields; a streamed reply names its role in the
    /// first delta only; usage comes in a last chunk with `choices: []`,
    /// only when the request set `stream_options.include_usage`; tool-call
    /// arguments arrive in fragments.
    #[default]
    OpenAi,
    /// Zhipu GLM: no `object` field, a `request_id` in the body; the role
    /// is repeated in every delta, a `: keep-alive` comment line follows
    /// the first event, usage comes in the finishing chunk itself (always),
    /// and each tool call arrives whole in one chunk.
    Zhipu,
}

impl Answer {
    fn chat(content: Content) -> Answer {
        Answer::from_kind(Kind::Chat(Chat {
            content,
            reasoning: None,
            tool_calls: Vec::new(),
            finish_reason: None,
            usage: None,
            flavour: Flavour::OpenAi,
            reset_after: None,
            error_after: None,
            close_after: None,
        }))
    }

    fn from_kind(kind: Kind) -> Answer {
        Answer {
            kind,
            delay: Duration::ZERO,
            token_delay: Duration::ZERO,
            headers: Vec::new(),
        }
    }

    /// A reply with this text. Streamed, it is cut into tokens, one delta
    /// each: a run of ASCII letters and digits, or any other single
    /// character, each with the spaces before it (`"Hello, 世界"` is
    /// `Hello` `,` ` 世` `界`), so the deltas concatenate to exactly this
    /// text.
    ///
    /// ```
    /// use brisk::mock::{Answer, MockServer};
    ///
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let server = MockServer::builder()
    ///     .default(Answer::text("Hello, 世界"))
    ///     .start()
    ///     .await?;
    /// let events = brisk::Client::new()
    ///     .post(server.chat_url())
    ///     .json(&serde_json::json!({"model": "m", "messages": [], "stream": true}))
    ///     .send()
    ///     .await?
    ///     .text()
    ///     .await?;
    /// let mut deltas = Vec::new();
    /// brisk::sse::Parser::new().feed(events.as_bytes(), |event| {
    ///     let chunk: serde_json::Value = serde_json::from_str(event.data).unwrap_or_default();
    ///     if let Some(text) = chunk.pointer("/choices/0/delta/content").and_then(|c| c.as_str()) {
    ///         deltas.push(text.to_string());
    ///     }
    /// })?;
    /// // The first delta carries the role, with empty content.
    /// assert_eq!(deltas, ["", "Hello", ",", " 世", "界"]);
    /// # Ok(()) }
    /// ```
    pub fn text(text: impl Into<String>) -> Answer {
        Answer::chat(Content::Fixed(text.into()))
    }

    /// A reply that repeats the text of the request's last `user` message
    /// (the server's default answer).
    pub fn echo() -> Answer {
        Answer::chat(Content::Echo)
    }

    /// A reply that is one tool call, with `arguments` as the model's JSON
    /// text (sent as given, not checked), `content: null` and
    /// `finish_reason: "tool_calls"`. The call's id is `call_mock_0`.
    pub fn tool_call(name: impl Into<String>, arguments: impl Into<String>) -> Answer {
        Answer::text("").with_tool_call(name, arguments)
    }

    /// Adds a tool call (ids `call_mock_0`, `call_mock_1`, ... in order)
    /// and makes the finish reason `tool_calls`. Streamed with the OpenAI
    /// flavour, each call's arguments arrive in fragments of up to 8 bytes,
    /// and the fragments of several calls take turns, so a client must
    /// assemble them by `index`.
    pub fn with_tool_call(mut self, name: impl Into<String>, arguments: impl Into<String>) -> Self {
        if let Kind::Chat(chat) = &mut self.kind {
            chat.tool_calls.push((name.into(), arguments.into()));
        }
        self
    }

    /// Adds reasoning text (`reasoning_content`, as DeepSeek and GLM send
    /// it): in the message, or streamed token by token before the content.
    pub fn reasoning(mut self, text: impl Into<String>) -> Self {
        if let Kind::Chat(chat) = &mut self.kind {
            chat.reasoning = Some(text.into());
        }
        self
    }

    /// The finish reason to report instead of `stop` (or `tool_calls`):
    /// `length`, `content_filter`, `sensitive`, any string.
    pub fn finish_reason(mut self, reason: impl Into<String>) -> Self {
        if let Kind::Chat(chat) = &mut self.kind {
            chat.finish_reason = Some(reason.into());
        }
        self
    }

    /// The token counts to report instead of the mock's own count (one
    /// token per streamed piece of text).
    pub fn usage(mut self, prompt_tokens: u64, completion_tokens: u64) -> Self {
        if let Kind::Chat(chat) = &mut self.kind {
            chat.usage = Some((prompt_tokens, completion_tokens));
        }
        self
    }

    /// Copies a provider's habits; see [`Flavour`].
    pub fn flavour(mut self, flavour: Flavour) -> Self {
        if let Kind::Chat(chat) = &mut self.kind {
            chat.flavour = flavour;
        }
        self
    }

    /// Resets the connection (a TCP RST) partway through the reply. A
    /// streamed reply sends its first event and then `n` more (tokens, for
    /// a plain text reply) before the reset; a plain reply sends its head
    /// and half its body; a Realtime response sends `response.created`
    /// and `n` more events. The client sees an error, never a short reply
    /// that looks whole.
    pub fn reset_after(mut self, n: usize) -> Self {
        if let Kind::Chat(chat) = &mut self.kind {
            chat.reset_after = Some(n);
        }
        self
    }

    /// Ends a streamed reply with an error event after its first event and
    /// `n` more: `data: {body}` (a JSON text such as
    /// `{"error":{"message":"overloaded","type":"server_error"}}`), then the
    /// end of the body, with no `[DONE]`. This is how providers report a
    /// failure once the `200` head is out. A plain reply ignores it; a
    /// Realtime response sends the body's `error` as an `error` event
    /// there, and no `response.done`.
    pub fn error_after(mut self, n: usize, body: impl Into<String>) -> Self {
        if let Kind::Chat(chat) = &mut self.kind {
            chat.error_after = Some((n, body.into()));
        }
        self
    }

    /// Closes a Realtime session's WebSocket (`GET /v1/realtime`) with
    /// this close `code` and `reason` after the response's first event
    /// (`response.created`) and `n` more, as a server that fails
    /// mid-response does: `.close_after(1, 1011, "internal error")`. The
    /// client sees the close frame with its code and reason, and no
    /// `response.done`. HTTP chat replies ignore it.
    pub fn close_after(mut self, n: usize, code: u16, reason: impl Into<String>) -> Self {
        if let Kind::Chat(chat) = &mut self.kind {
            chat.close_after = Some((n, code, reason.into()));
        }
        self
    }

    /// An HTTP error with this status and an OpenAI-shaped body
    /// (`{"error":{"message":...,"type":...,"param":null,"code":null}}`):
    /// `500`, `502`, `503` and so on.
    pub fn status(status: u16) -> Answer {
        let kind = if status >= 500 {
            "server_error"
        } else {
            "invalid_request_error"
        };
        let body = serde_json::json!({"error": {
            "message": format!("mock: status {status}"),
            "type": kind,
            "param": null,
            "code": null,
        }});
        Answer::error(status, body.to_string())
    }

    /// An HTTP error with this status and this body, sent as given with
    /// `Content-Type: application/json`: for any provider's error shape
    /// (a Zhipu `1301` content filter, a Qianfan error, a `401`).
    pub fn error(status: u16, body: impl Into<String>) -> Answer {
        Answer::from_kind(Kind::Error {
            status,
            body: body.into(),
        })
    }

    /// A retryable rate limit: `429` with `Retry-After` (whole seconds,
    /// rounded up) and `retry-after-ms` (milliseconds), and OpenAI's
    /// `rate_limit_exceeded` body.
    pub fn rate_limited(retry_after: Duration) -> Answer {
        let ms = retry_after.as_millis();
        let secs = ms.div_ceil(1000);
        let body = serde_json::json!({"error": {
            "message": format!("mock: rate limit reached, please try again in {ms}ms"),
            "type": "requests",
            "param": null,
            "code": "rate_limit_exceeded",
        }});
        Answer::error(429, body.to_string())
            .header("retry-after", secs.to_string())
            .header("retry-after-ms", ms.to_string())
    }

    /// OpenAI's empty account: `429` with `insufficient_quota`, which no
    /// client should retry (it has no `Retry-After`, and waiting does not
    /// refill an account).
    pub fn insufficient_quota() -> Answer {
        let body = serde_json::json!({"error": {
            "message": "You exceeded your current quota, please check your plan and billing details.",
            "type": "insufficient_quota",
            "param": null,
            "code": "insufficient_quota",
        }});
        Answer::error(429, body.to_string())
    }

    /// Zhipu's account in arrears: HTTP `429` with
    /// `{"error":{"code":"1113","message":...}}` (the code a string). Like
    /// [`Answer::insufficient_quota`], it must not be retried, though its
    /// status says "too many requests".
    pub fn zhipu_arrears() -> Answer {
        let body = serde_json::json!({"error": {
            "code": "1113",
            "message": "您的账户已欠费，请充值后重试。",
        }});
        Answer::error(429, body.to_string())
    }

    /// Reads the request and never answers: the connection stays open,
    /// silent, until the client gives up (its timeout) or the server stops.
    pub fn never() -> Answer {
        Answer::from_kind(Kind::Never)
    }

    /// Reads the request and closes the connection without sending a byte,
    /// as a backend that crashed on it would. (To refuse connections
    /// altogether, see [`MockServer::set_down`](super::MockServer::set_down).)
    pub fn disconnect() -> Answer {
        Answer::from_kind(Kind::Disconnect)
    }

    /// Waits this long before sending the response head (or, for
    /// [`Answer::disconnect`], before closing). A completion that "takes
    /// one second" is `.delay(Duration::from_secs(1))`.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Waits this long between the events of a streamed reply (a plain
    /// reply ignores it).
    pub fn token_delay(mut self, delay: Duration) -> Self {
        self.token_delay = delay;
        self
    }

    /// Adds a header to the response (after the mock's own).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// The answers one route gives, in order: first each of its steps once,
/// then its last answer for every request after.
///
/// Each route (the server's default, a model, a path) has its own script,
/// consumed by the requests that reach that route, so that scenarios run
/// side by side on one server.
///
/// ```
/// use brisk::mock::{Answer, Script};
/// use std::time::Duration;
///
/// // Fails twice with 503, then asks for a pause, then answers.
/// let flaky = Script::steps([
///     Answer::status(503),
///     Answer::status(503),
///     Answer::rate_limited(Duration::from_millis(200)),
/// ])
/// .then(Answer::text("finally"));
///
/// // A single answer is a script that always gives it.
/// let always: Script = Answer::text("hi").into();
/// ```
#[derive(Clone, Debug)]
pub struct Script {
    steps: VecDeque<Answer>,
    then: Answer,
}

impl Script {
    /// A script that gives `answer` to every request.
    pub fn always(answer: Answer) -> Script {
        Script {
            steps: VecDeque::new(),
            then: answer,
        }
    }

    /// A script that gives these answers to the first requests, one each,
    /// and then echoes (see [`Script::then`] to choose what follows).
    pub fn steps(answers: impl IntoIterator<Item = Answer>) -> Script {
        Script {
            steps: answers.into_iter().collect(),
            then: Answer::echo(),
        }
    }

    /// What every request gets once the steps are used up.
    pub fn then(mut self, answer: Answer) -> Script {
        self.then = answer;
        self
    }

    /// How many steps are left before the script settles on its last
    /// answer.
    pub fn steps_left(&self) -> usize {
        self.steps.len()
    }

    /// The answer for the next request.
    pub(crate) fn next_answer(&mut self) -> Answer {
        self.steps.pop_front().unwrap_or_else(|| self.then.clone())
    }
}

impl From<Answer> for Script {
    fn from(answer: Answer) -> Script {
        Script::always(answer)
    }
}
