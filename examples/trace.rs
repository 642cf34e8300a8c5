//! A traced chat call, drawn as a tree: a streamed reply from brisk's mock
//! server, whose first answer is a `503`, so the call is one chat span
//! over two HTTP attempt spans, the first with its retry scheduled.
//!
//! ```text
//! cargo run --example trace
//! ```
//!
//! The spans go to a [`MemorySink`]; to send them to a collector instead,
//! give the tracer an `OtlpExporter` (feature `otlp`). Exits non-zero if
//! the trace is not that shape.

use brisk::chat::{Chat, ChatOptions, Provider};
use brisk::mock::{Answer, MockServer, Script};
use brisk::trace::{render_tree, MemorySink, Tracer};
use brisk::{Client, RetryPolicy};
use std::process::ExitCode;
use std::time::Duration;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let server = MockServer::start().await?;
    server.set_default(Script::steps([
        Answer::status(503),
        Answer::text("Pingyao is at its best in late autumn.")
            .usage(9, 8)
            .token_delay(Duration::from_millis(5)),
    ]));
    let sink = MemorySink::new();
    let client = Client::builder()
        .tracing(Tracer::new(sink.clone()))
        .build()?;
    let chat = Chat::builder(Provider::Custom(server.base_url()))
        .model("mock-1")
        .client(client)
        .retry(RetryPolicy::default().backoff(Duration::from_millis(20), Duration::from_millis(40)))
        .build();
    let mut stream = chat
        .stream("When is Pingyao at its best?", ChatOptions::default())
        .await?;
    while let Some(delta) = stream.next().await {
        print!("{}", delta?.text());
    }
    println!("\n");
    let spans = sink.spans();
    print!("{}", render_tree(&spans));
    let shape = spans.len() == 3
        && spans[2].name == "chat mock-1"
        && spans[..2]
            .iter()
            .all(|s| s.name == "POST" && s.parent_span_id == Some(spans[2].span_id));
    Ok(match shape {
        true => ExitCode::SUCCESS,
        false => {
            eprintln!("trace: expected a chat span over two POST spans");
            ExitCode::FAILURE
        }
    })
}
