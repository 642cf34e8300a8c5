//! OpenAI-compatible chat on brisk's public client API: providers, the
//! request, the reply and its assembly from streamed deltas, typed API
//! errors, and locally made follow-up suggestions.
//!
//! It is a thin layer: every call is one [`crate::RequestBuilder`], so
//! timeouts, retries, the circuit breaker and events are the client's.
//! The chat layer classifies what a provider answered; it never loops on
//! its own.

mod reply;

pub use reply::{Reply, ToolCall, Usage};
