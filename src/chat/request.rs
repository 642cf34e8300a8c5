//! The request: messages of every role, tools, and the sampling options,
//! with a hand-written `Serialize` (brisk has no serde derive at runtime)
//! that writes exactly the JSON the OpenAI chat completions API takes.

use super::reply::{Reply, ToolCall};
use serde_core::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Value};

/// Who speaks in a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// Instructions for the model.
    System,
    /// The person (or program) asking.
    User,
    /// The model.
    Assistant,
    /// A tool's result, answering a [`ToolCall`] by its id.
    Tool,
    /// Any other role a server takes (`developer`, for OpenAI's newer
    /// models).
    Other(String),
}

impl Role {
    /// The role's name on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
            Role::Other(name) => name,
        }
    }
}

/// One message of a conversation.
///
/// ```
/// use brisk::chat::{Message, Reply};
///
/// let history = vec![
///     Message::user("What is the weather in Taiyuan?"),
///     // An assistant turn goes back with its tool calls and reasoning.
///     Message::from_reply(&Reply::default()),
///     Message::tool("call_1", r#"{"celsius":21}"#),
/// ];
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// Who speaks.
    pub role: Role,
    /// The text; `None` is sent as `null` (an assistant turn that is only
    /// tool calls).
    pub content: Option<String>,
    /// An optional participant name.
    pub name: Option<String>,
    /// For a [`Role::Tool`] message: the id of the call it answers.
    pub tool_call_id: Option<String>,
    /// For an assistant turn: the tool calls it made.
    pub tool_calls: Vec<ToolCall>,
    /// For an assistant turn: its reasoning, sent back as
    /// `reasoning_content`. DeepSeek's thinking mode rejects a tool loop
    /// whose assistant turns lack it.
    pub reasoning_content: Option<String>,
}

impl Message {
    /// A message of `role` with `content`.
    pub fn new(role: Role, content: impl Into<String>) -> Message {
        Message {
            role,
            content: Some(content.into()),
            name: None,
            tool_call_id: None,
            tool_calls: Vec::new(),
            reasoning_content: None,
        }
    }

    /// A system message.
    pub fn system(content: impl Into<String>) -> Message {
        Message::new(Role::System, content)
    }

    /// A user message.
    pub fn user(content: impl Into<String>) -> Message {
        Message::new(Role::User, content)
    }

    /// An assistant message (an earlier answer, for history).
    pub fn assistant(content: impl Into<String>) -> Message {
        Message::new(Role::Assistant, content)
    }

    /// A tool's result for the call `tool_call_id`.
    pub fn tool(tool_call_id: impl Into<String>, content: impl Into<String>) -> Message {
        Message {
            tool_call_id: Some(tool_call_id.into()),
            ..Message::new(Role::Tool, content)
        }
    }

    /// The assistant turn a reply was, to send back in the next request:
    /// its text (`null` if it had none and made tool calls), its tool
    /// calls, and its reasoning as `reasoning_content`.
    pub fn from_reply(reply: &Reply) -> Message {
        let content = if reply.content.is_empty() && !reply.tool_calls.is_empty() {
            None
        } else {
            Some(reply.content.clone())
        };
        Message {
            content,
            tool_calls: reply.tool_calls.clone(),
            reasoning_content: reply.reasoning.clone(),
            ..Message::new(Role::Assistant, "")
        }
    }

    /// Sets the participant name.
    pub fn name(mut self, name: impl Into<String>) -> Message {
        self.name = Some(name.into());
        self
    }
}

impl Serialize for Message {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("role", self.role.as_str())?;
        map.serialize_entry("content", &self.content)?;
        if let Some(name) = &self.name {
            map.serialize_entry("name", name)?;
        }
        if let Some(id) = &self.tool_call_id {
            map.serialize_entry("tool_call_id", id)?;
        }
        if !self.tool_calls.is_empty() {
            map.serialize_entry("tool_calls", &WireCalls(&self.tool_calls))?;
        }
        if let Some(reasoning) = &self.reasoning_content {
            map.serialize_entry("reasoning_content", reasoning)?;
        }
        map.end()
    }
}

/// Tool calls as the API takes them back:
/// `{"id","type":"function","function":{"name","arguments"}}`.
struct WireCalls<'a>(&'a [ToolCall]);

impl Serialize for WireCalls<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for call in self.0 {
            seq.serialize_element(&WireCall(call))?;
        }
        seq.end()
    }
}

struct WireCall<'a>(&'a ToolCall);

impl Serialize for WireCall<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("id", &self.0.id)?;
        map.serialize_entry("type", "function")?;
        map.serialize_entry(
            "function",
            &Function {
                name: &self.0.name,
                description: None,
                arguments: Some(&self.0.arguments),
                parameters: None,
            },
        )?;
        map.end()
    }
}

struct Function<'a> {
    name: &'a str,
    description: Option<&'a str>,
    arguments: Option<&'a str>,
    parameters: Option<&'a Value>,
}

impl Serialize for Function<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("name", self.name)?;
        if let Some(d) = self.description {
            map.serialize_entry("description", d)?;
        }
        if let Some(a) = self.arguments {
            map.serialize_entry("arguments", a)?;
        }
        if let Some(p) = self.parameters {
            map.serialize_entry("parameters", p)?;
        }
        map.end()
    }
}

/// A function the model may call, described by a JSON Schema of its
/// parameters. Sent as `{"type":"function","function":{…}}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Tool {
    /// The function's name.
    pub name: String,
    /// What it does, for the model.
    pub description: Option<String>,
    /// A JSON Schema object for its arguments.
    pub parameters: Value,
}

impl Tool {
    /// A function tool.
    pub fn function(
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: Value,
    ) -> Tool {
        Tool {
            name: name.into(),
            description: Some(description.into()),
            parameters,
        }
    }
}

impl Serialize for Tool {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("type", "function")?;
        map.serialize_entry(
            "function",
            &Function {
                name: &self.name,
                description: self.description.as_deref(),
                arguments: None,
                parameters: Some(&self.parameters),
            },
        )?;
        map.end()
    }
}

/// The setters of the sampling options that a simple call
/// ([`ChatOptions`]) and the full form ([`ChatRequest`]) share: written
/// once, so that the two cannot drift apart.
macro_rules! sampling_setters {
    () => {
        /// Sets the sampling temperature (`temperature`).
        pub fn temperature(mut self, t: f64) -> Self {
            self.temperature = Some(t);
            self
        }

        /// Sets the most tokens to generate (`max_tokens`).
        pub fn max_tokens(mut self, n: u32) -> Self {
            self.max_tokens = Some(n);
            self
        }
    };
}

/// The options of a simple call ([`Chat::chat_with`](super::Chat::chat_with)):
/// the few a question needs; [`ChatRequest`] has every field.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChatOptions {
    /// The system prompt, in place of the client's default.
    pub system: Option<String>,
    /// Earlier turns, sent between the system prompt and the message.
    pub history: Vec<Message>,
    /// Sampling temperature.
    pub temperature: Option<f64>,
    /// The most tokens to generate.
    pub max_tokens: Option<u32>,
}

impl ChatOptions {
    /// Sets the system prompt.
    pub fn system(mut self, prompt: impl Into<String>) -> Self {
        self.system = Some(prompt.into());
        self
    }

    /// Sets the history.
    pub fn history(mut self, history: Vec<Message>) -> Self {
        self.history = history;
        self
    }

    sampling_setters!();

    /// The request that asks `message`: the system prompt (these
    /// options', else `default_system`, else none), the history, then
    /// `message` as the user's turn.
    pub(crate) fn into_request(self, default_system: Option<&str>, message: &str) -> ChatRequest {
        let system = self.system.or_else(|| default_system.map(str::to_string));
        let mut messages = Vec::with_capacity(self.history.len() + 2);
        messages.extend(system.map(Message::system));
        messages.extend(self.history);
        messages.push(Message::user(message));
        ChatRequest {
            temperature: self.temperature,
            max_tokens: self.max_tokens,
            ..ChatRequest::new(messages)
        }
    }
}

/// The full request form of a chat completion: every field the API
/// takes that brisk models, and any other as raw JSON
/// ([`ChatRequest::extra`]).
///
/// Fields left at `None` (or empty) are not sent, so the provider's own
/// defaults apply. On the wire the fields go in this order: `model`,
/// `messages`, the options, then the extra fields. An extra field with
/// the name of a modelled one replaces it (to send a shape brisk does not
/// model).
///
/// ```
/// use brisk::chat::{ChatRequest, Message, Tool};
/// use serde_json::json;
///
/// let req = ChatRequest::new(vec![
///     Message::system("Answer briefly."),
///     Message::user("Weather in Datong?"),
/// ])
/// .model("glm-4.5")
/// .temperature(0.2)
/// .tool(Tool::function(
///     "get_weather",
///     "Current weather for a city",
///     json!({"type": "object", "properties": {"city": {"type": "string"}}}),
/// ))
/// .extra("thinking", json!({"type": "enabled"}));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChatRequest {
    /// The model; `None` means the chat client's.
    pub model: Option<String>,
    /// The conversation, in order.
    pub messages: Vec<Message>,
    /// Sampling temperature.
    pub temperature: Option<f64>,
    /// Nucleus sampling mass (`top_p`).
    pub top_p: Option<f64>,
    /// The most tokens to generate (`max_tokens`).
    pub max_tokens: Option<u32>,
    /// Sequences that end generation (`stop`), if any.
    pub stop: Vec<String>,
    /// A seed, for repeatable sampling where the provider supports it.
    pub seed: Option<i64>,
    /// An end-user id, for the provider's abuse monitoring (`user`).
    pub user: Option<String>,
    /// The functions the model may call.
    pub tools: Vec<Tool>,
    /// `tool_choice`: `"auto"`, `"none"`, `"required"`, or an object
    /// naming a function.
    pub tool_choice: Option<Value>,
    /// `response_format`, such as `{"type":"json_object"}`.
    pub response_format: Option<Value>,
    /// `stream`: whether the reply comes as server-sent events.
    pub stream: Option<bool>,
    /// `stream_options`, such as `{"include_usage":true}`.
    pub stream_options: Option<Value>,
    /// Any other fields, sent as they are after the others (`thinking`,
    /// `enable_search`, `reasoning_effort`...).
    pub extra: Map<String, Value>,
}

impl ChatRequest {
    /// A request with these messages and nothing else set.
    pub fn new(messages: Vec<Message>) -> ChatRequest {
        ChatRequest {
            messages,
            ..ChatRequest::default()
        }
    }

    /// Sets the model.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Appends a message.
    pub fn message(mut self, message: Message) -> Self {
        self.messages.push(message);
        self
    }

    sampling_setters!();

    /// Appends a tool.
    pub fn tool(mut self, tool: Tool) -> Self {
        self.tools.push(tool);
        self
    }

    /// Sets a field brisk does not model (or replaces one it does).
    pub fn extra(mut self, name: impl Into<String>, value: Value) -> Self {
        self.extra.insert(name.into(), value);
        self
    }
}

/// A request with the model filled in: what goes on the wire.
pub(crate) struct Wire<'a> {
    pub(crate) req: &'a ChatRequest,
    pub(crate) model: &'a str,
}

impl Serialize for Wire<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.req;
        let mut map = s.serialize_map(None)?;
        // An extra field of the same name replaces a modelled one: one
        // key, never two (duplicate keys are read differently by
        // different JSON parsers).
        let own = |name: &str| !r.extra.contains_key(name);
        macro_rules! field {
            ($name:literal, $value:expr) => {
                if own($name) {
                    map.serialize_entry($name, $value)?;
                }
            };
        }
        field!("model", r.model.as_deref().unwrap_or(self.model));
        field!("messages", &r.messages);
        if let Some(v) = r.temperature {
            field!("temperature", &v);
        }
        if let Some(v) = r.top_p {
            field!("top_p", &v);
        }
        if let Some(v) = r.max_tokens {
            field!("max_tokens", &v);
        }
        if !r.stop.is_empty() {
            field!("stop", &r.stop);
        }
        if let Some(v) = r.seed {
            field!("seed", &v);
        }
        if let Some(v) = &r.user {
            field!("user", v);
        }
        if !r.tools.is_empty() {
            field!("tools", &r.tools);
        }
        if let Some(v) = &r.tool_choice {
            field!("tool_choice", v);
        }
        if let Some(v) = &r.response_format {
            field!("response_format", v);
        }
        if let Some(v) = r.stream {
            field!("stream", &v);
        }
        if let Some(v) = &r.stream_options {
            field!("stream_options", v);
        }
        for (name, value) in &r.extra {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn wire(req: &ChatRequest) -> String {
        serde_json::to_string(&Wire { req, model: "m" }).unwrap()
    }

    #[test]
    fn minimal_request() {
        let req = ChatRequest::new(vec![Message::user("hi")]);
        assert_eq!(
            wire(&req),
            r#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#
        );
    }

    #[test]
    fn assistant_turn_goes_back_with_calls_and_reasoning() {
        let reply = Reply {
            reasoning: Some("look it up".into()),
            tool_calls: vec![ToolCall {
                id: "call_1".into(),
                name: "get_weather".into(),
                arguments: r#"{"city":"Taiyuan"}"#.into(),
            }],
            ..Reply::default()
        };
        let m = serde_json::to_value(Message::from_reply(&reply)).unwrap();
        assert_eq!(
            m,
            json!({"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
                "function":{"name":"get_weather","arguments":"{\"city\":\"Taiyuan\"}"}}],
                "reasoning_content":"look it up"})
        );
    }

    #[test]
    fn every_option_and_extra_replacing() {
        let req = ChatRequest {
            top_p: Some(0.5),
            stop: vec!["END".into()],
            seed: Some(7),
            user: Some("u1".into()),
            response_format: Some(json!({"type":"json_object"})),
            stream: Some(true),
            stream_options: Some(json!({"include_usage":true})),
            tool_choice: Some(json!("auto")),
            ..ChatRequest::new(vec![Message::tool("c1", "21").name("w")])
        }
        .temperature(0.1)
        .max_tokens(5)
        .extra("max_tokens", json!(9))
        .extra("thinking", json!({"type":"disabled"}));
        assert_eq!(
            wire(&req),
            concat!(
                r#"{"model":"m","messages":[{"role":"tool","content":"21","name":"w","tool_call_id":"c1"}],"#,
                r#""temperature":0.1,"top_p":0.5,"stop":["END"],"seed":7,"user":"u1","#,
                r#""tool_choice":"auto","response_format":{"type":"json_object"},"stream":true,"#,
                r#""stream_options":{"include_usage":true},"max_tokens":9,"thinking":{"type":"disabled"}}"#
            )
        );
    }
}
