//! The getter (`examples/get/`) traced from the environment: its parent
//! from `TRACEPARENT`/`TRACESTATE`, its spans sent to the collector that
//! `OTEL_EXPORTER_OTLP_ENDPOINT` names before it returns. Its own binary:
//! the test sets process environment variables, which no other test may
//! see.
#![cfg(feature = "otlp")]

#[path = "../examples/get/main.rs"]
#[allow(dead_code)] // its `main`
mod get_tool;

mod support;

use support::server::recording;

#[tokio::test]
async fn get_takes_its_parent_from_the_environment_and_flushes_before_it_returns() {
    let (collector, mut posts) = recording("{}").await;
    let (app, mut seen) = recording("hello").await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    std::env::set_var("TRACEPARENT", format!("00-{trace_id}-00f067aa0ba902b7-01"));
    std::env::set_var("TRACESTATE", "rojo=00f067aa0ba902b7");
    std::env::set_var("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url(""));
    std::env::set_var("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=secret%20key");
    std::env::set_var("OTEL_SERVICE_NAME", "get-test");
    let args = [app.url("/a"), app.url("/b")].into_iter();
    let Ok(get_tool::Command::Run(options)) = get_tool::parse_args(args) else {
        panic!("the command line did not parse");
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    assert!(get_tool::run(options, &mut out, &mut err).await);
    assert_eq!(String::from_utf8(out).unwrap(), "hellohello");
    assert!(err.is_empty(), "{}", String::from_utf8_lossy(&err));

    // What the server saw: children of TRACEPARENT, with its state.
    let mut span_ids = Vec::new();
    for _ in 0..2 {
        let req = seen.try_recv().unwrap();
        let tp = req.header("traceparent").unwrap().to_owned();
        assert!(tp.starts_with(&format!("00-{trace_id}-")), "{tp}");
        assert_ne!(&tp[36..52], "00f067aa0ba902b7");
        assert_eq!(req.header("tracestate"), Some("rojo=00f067aa0ba902b7"));
        span_ids.push(tp[36..52].to_owned());
    }
    // Sent before `run` returned: one POST, both spans, under the parent.
    let post = posts
        .try_recv()
        .expect("the spans were sent before get returned");
    assert_eq!(post.header("x-api-key"), Some("secret key"));
    let body: serde_json::Value = serde_json::from_slice(&post.body).unwrap();
    let rs = &body["resourceSpans"][0];
    assert_eq!(
        rs["resource"]["attributes"][0]["value"]["stringValue"],
        "get-test"
    );
    let spans = rs["scopeSpans"][0]["spans"].as_array().unwrap();
    assert_eq!(spans.len(), 2);
    for (span, id) in spans.iter().zip(&span_ids) {
        assert_eq!(span["traceId"], trace_id);
        assert_eq!(span["parentSpanId"], "00f067aa0ba902b7");
        assert_eq!(&span["spanId"], id.as_str());
    }
    assert!(posts.try_recv().is_err());
}
