//! Chat spans (the GenAI conventions) over brisk's mock server: one span
//! per call, the parent of the call's HTTP attempts.

use brisk::chat::{Chat, ChatOptions, Provider};
use brisk::mock::{Answer, MockServer, Script};
use brisk::trace::{MemorySink, Span, SpanStatus, TraceContext, Tracer, Value};
use brisk::{Client, RetryPolicy};
use std::time::Duration;

fn chat(server: &MockServer, sink: &MemorySink, content: bool) -> Chat {
    let client = Client::builder()
        .tracing(Tracer::new(sink.clone()))
        .build()
        .unwrap();
    Chat::builder(Provider::Custom(server.base_url()))
        .model("mock-1")
        .api_key("sk-test")
        .client(client)
        .retry(RetryPolicy::default().backoff(Duration::from_millis(1), Duration::from_millis(2)))
        .trace_content(content)
        .build()
}

fn attr<'a>(span: &'a Span, key: &str) -> &'a Value {
    span.attribute(key)
        .unwrap_or_else(|| panic!("{key} missing: {span:#?}"))
}

#[tokio::test]
async fn a_retried_streamed_call_is_a_chat_span_over_its_attempts() {
    let server = MockServer::start().await.unwrap();
    server.set_default(Script::steps([
        Answer::status(503),
        Answer::text("hello there world").usage(5, 3),
    ]));
    let sink = MemorySink::new();
    let parent = TraceContext::new(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            .parse()
            .unwrap(),
    );
    let chat = chat(&server, &sink, false).trace_parent(&parent);
    let stream = chat
        .stream("say hello", ChatOptions::default())
        .await
        .unwrap();
    let reply = stream.collect_reply().await.unwrap();
    assert_eq!(reply.content, "hello there world");
    let spans = sink.spans();
    assert_eq!(spans.len(), 3, "{spans:#?}");
    // The HTTP attempts end first, the chat span with the stream.
    let (http, call) = (&spans[..2], &spans[2]);
    assert_eq!(call.name, "chat mock-1");
    assert_eq!(call.parent_span_id, Some(parent.parent.parent_id));
    for (i, s) in http.iter().enumerate() {
        assert_eq!(s.name, "POST");
        assert_eq!(s.trace_id, call.trace_id);
        assert_eq!(s.parent_span_id, Some(call.span_id));
        assert_eq!(
            attr(s, "http.request.resend_count").as_int(),
            Some(i as i64)
        );
    }
    assert_eq!(attr(call, "gen_ai.operation.name").as_str(), Some("chat"));
    assert_eq!(
        attr(call, "gen_ai.provider.name").as_str(),
        Some("openai_compatible")
    );
    assert_eq!(attr(call, "gen_ai.request.model").as_str(), Some("mock-1"));
    assert!(call.attribute("gen_ai.response.model").is_some());
    assert_eq!(attr(call, "gen_ai.usage.input_tokens").as_int(), Some(5));
    assert_eq!(attr(call, "gen_ai.usage.output_tokens").as_int(), Some(3));
    assert_eq!(
        attr(call, "gen_ai.response.finish_reasons"),
        &Value::StrArray(vec!["stop".into()])
    );
    assert!(matches!(
        attr(call, "brisk.gen_ai.time_to_first_token"),
        Value::Float(s) if *s > 0.0
    ));
    assert_eq!(call.events[0].name, "gen_ai.first_token");
    assert_eq!(call.status, SpanStatus::Unset);
    // Never the prompt or the completion unless asked.
    let all = format!("{spans:?}");
    assert!(
        !all.contains("say hello") && !all.contains("hello there"),
        "{all}"
    );
}

#[tokio::test]
async fn content_is_recorded_only_when_asked_and_a_failed_call_is_an_error() {
    let server = MockServer::start().await.unwrap();
    server.set_default(Script::steps([
        Answer::text("the answer"),
        Answer::status(400),
    ]));
    let sink = MemorySink::new();
    let chat = chat(&server, &sink, true);
    chat.chat("the question").await.unwrap();
    let call = sink.take().pop().unwrap();
    assert!(call.parent_span_id.is_none());
    let input = attr(&call, "gen_ai.input.messages").as_str().unwrap();
    assert!(input.contains("the question"), "{input}");
    let output = attr(&call, "gen_ai.output.messages").as_str().unwrap();
    assert!(output.contains("the answer"), "{output}");

    assert!(chat.chat("again").await.is_err());
    let call = sink.take().pop().unwrap();
    assert_eq!(attr(&call, "error.type").as_str(), Some("400"));
    assert!(matches!(call.status, SpanStatus::Error(_)));
}
