//! Tracing over real loopback sockets, one test binary: `spans` (the
//! client's spans and the `traceparent` each server saw) and, with the
//! `otlp` feature, `otlp` (the exporter: queue, dead collector, and the
//! JSON checked by the official protobuf schema).

#[path = "../support/mod.rs"]
mod support;

#[cfg(feature = "mock")]
mod chat;
#[cfg(feature = "otlp")]
mod otlp;
mod spans;
