//! A span per chat call, with the OpenTelemetry GenAI conventions, when
//! the chat's HTTP client traces ([`ClientBuilder::tracing`]): named
//! `chat {model}`, kind CLIENT, the parent of the call's HTTP attempt
//! spans. Attributes:
//!
//! - `gen_ai.operation.name` (`chat`), `gen_ai.provider.name` (`openai`,
//!   `zhipu_ai`, `baidu.qianfan`; `openai_compatible` for a custom base
//!   URL), `gen_ai.request.model`, `server.address`, `server.port`;
//! - from the reply: `gen_ai.response.model`, `gen_ai.response.id` (the
//!   request id), `gen_ai.usage.input_tokens`,
//!   `gen_ai.usage.output_tokens`, `gen_ai.response.finish_reasons`;
//! - for a stream, `brisk.gen_ai.time_to_first_token` (seconds from the
//!   call's start to the first delta with text, reasoning or a tool call)
//!   and an event `gen_ai.first_token` at that moment;
//! - on failure, status error and `error.type` (the HTTP status, or
//!   `timeout`, `api`, `stream`, …).
//!
//! The prompt and the completion are never recorded unless the chat says
//! so ([`ChatBuilder::trace_content`](super::ChatBuilder::trace_content)):
//! then `gen_ai.input.messages` holds the request's messages and
//! `gen_ai.output.messages` the reply's text, both as JSON in OpenAI's
//! message shape.
//!
//! [`ClientBuilder::tracing`]: crate::ClientBuilder::tracing

use super::reply::Reply;
use super::Provider;
use crate::trace::{ActiveSpan, SpanKind, TraceContext};
use crate::Client;
use std::time::Instant;

/// The span of one chat call, if its client traces.
pub(super) struct ChatSpan {
    span: ActiveSpan,
    started: Instant,
    first_token: bool,
    content: bool,
}

impl ChatSpan {
    /// Starts the call's span, a child of `parent` (or a new trace's
    /// root); `None` when the client does not trace.
    pub(super) fn start(
        client: &Client,
        provider: &Provider,
        url: &str,
        model: &str,
        parent: Option<&TraceContext>,
        input: Option<String>,
    ) -> Option<Box<ChatSpan>> {
        let tracer = client.shared.tracer.as_ref()?;
        let mut span = tracer.start_span(format!("chat {model}"), SpanKind::Client, parent);
        if span.is_recording() {
            span.set_attribute("gen_ai.operation.name", "chat");
            span.set_attribute("gen_ai.provider.name", provider_name(provider));
            span.set_attribute("gen_ai.request.model", model.to_owned());
            if let Ok(u) = crate::url::Url::parse(url) {
                span.set_attribute("server.address", u.host_text().to_owned());
                span.set_attribute("server.port", u.effective_port());
            }
            if let Some(input) = input {
                span.set_attribute("gen_ai.input.messages", input);
            }
        }
        Some(Box::new(ChatSpan {
            content: span.is_recording(),
            span,
            started: Instant::now(),
            first_token: false,
        }))
    }

    /// The context the call's HTTP request carries as its parent.
    pub(super) fn context(&self) -> &TraceContext {
        self.span.context()
    }

    /// Whether the completion goes into the span.
    pub(super) fn records_content(&mut self, yes: bool) {
        self.content &= yes;
    }

    /// A stream's delta arrived; the first one with content is timed.
    pub(super) fn delta(&mut self, has_content: bool) {
        if has_content && !self.first_token {
            self.first_token = true;
            let ttft = self.started.elapsed().as_secs_f64();
            self.span
                .set_attribute("brisk.gen_ai.time_to_first_token", ttft);
            self.span.add_event("gen_ai.first_token", Vec::new());
        }
    }

    /// The call ended with `reply`.
    pub(super) fn reply(mut self, reply: &Reply) {
        let span = &mut self.span;
        if span.is_recording() {
            if !reply.model.is_empty() {
                span.set_attribute("gen_ai.response.model", reply.model.clone());
            }
            if let Some(id) = &reply.request_id {
                span.set_attribute("gen_ai.response.id", id.clone());
            }
            if let Some(usage) = &reply.usage {
                span.set_attribute("gen_ai.usage.input_tokens", usage.prompt_tokens);
                span.set_attribute("gen_ai.usage.output_tokens", usage.completion_tokens);
            }
            if let Some(reason) = &reply.finish_reason {
                span.set_attribute("gen_ai.response.finish_reasons", vec![reason.clone()]);
            }
            if self.content {
                let output = serde_json::json!([{ "role": "assistant", "content": reply.content }]);
                span.set_attribute("gen_ai.output.messages", output.to_string());
            }
        }
        self.span.end();
    }

    /// The call failed before its reply (or its stream) began.
    pub(super) fn failed(mut self, e: &super::ChatError) {
        let kind = match e.status() {
            Some(status) => status.as_u16().to_string(),
            None => format!("{:?}", e.kind()).to_ascii_lowercase(),
        };
        self.span.set_attribute("error.type", kind);
        self.span.set_error(e.to_string());
        self.span.end();
    }

    /// The stream ended with an error.
    pub(super) fn stream_failed(mut self, e: &super::StreamError) {
        self.span.set_attribute("error.type", "stream");
        self.span.set_error(e.to_string());
        self.span.end();
    }
}

/// `gen_ai.provider.name`: the conventions' names where they have one.
fn provider_name(p: &Provider) -> &'static str {
    match p {
        Provider::OpenAi => "openai",
        Provider::Zhipu => "zhipu_ai",
        Provider::Qianfan => "baidu.qianfan",
        Provider::Custom(_) => "openai_compatible",
    }
}
