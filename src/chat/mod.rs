//! OpenAI-compatible chat on brisk's public client API: providers, the
//! request, the reply, typed API errors, bounded batches, and locally made
//! follow-up suggestions.
//!
//! It is a thin layer: every call is one [`crate::RequestBuilder`], so
//! timeouts, retries, the circuit breaker and events are the client's.
//! The chat layer classifies what a provider answered; it never loops on
//! its own.
//!
//! A reply whole, and one streamed token by token, side by side:
//!
//! ```no_run
//! # async fn run() -> Result<(), brisk::chat::ChatError> {
//! use brisk::chat::{Chat, ChatOptions, ErrorKind, Provider};
//!
//! // The key from ZHIPUAI_API_KEY; the model defaults to glm-4-flash.
//! let chat = Chat::builder(Provider::Zhipu)
//!     .system_prompt("You are a concise travel guide.")
//!     .build();
//!
//! // Whole: one reply, after the model has finished.
//! match chat.chat("When is Pingyao at its best?").await {
//!     Ok(reply) => println!("{} ({} attempts)", reply.content, reply.attempts),
//!     Err(e) if e.kind() == ErrorKind::QuotaExhausted => eprintln!("top up: {e}"),
//!     Err(e) => return Err(e),
//! }
//!
//! // Streamed: each delta as it arrives, then the same reply, assembled.
//! let mut stream = chat.stream("And Datong?", ChatOptions::default()).await?;
//! while let Some(delta) = stream.next().await {
//!     print!("{}", delta?.text());
//! }
//! let reply = stream.into_reply();
//! println!("\n({:?}, {:?})", reply.finish_reason, reply.usage);
//! # Ok(()) }
//! ```
//!
//! Follow-up questions made from a reply's structure, with no second call:
//!
//! ```no_run
//! # async fn run(chat: brisk::chat::Chat) -> Result<(), brisk::chat::ChatError> {
//! use brisk::chat::ChatOptions;
//!
//! let more = chat
//!     .chat_with_suggestions("And Taiyuan?", ChatOptions::default().temperature(0.3))
//!     .await?;
//! println!("{}\nnext: {:?}", more.reply.content, more.suggestions);
//! # Ok(()) }
//! ```
//!
//! # Retries
//!
//! Retries are the HTTP client's: each call carries a [`RetryPolicy`]
//! ([`ChatBuilder::retry`], default [`RetryPolicy::default`]) with a veto
//! ([`RetryPolicy::never_retry_if`]) that reads a retried status's body:
//! a quota error (OpenAI `insufficient_quota`, Zhipu `1113`, both sent
//! with HTTP 429) is returned at once, never retried, while a plain rate
//! limit is retried after its `retry-after-ms` or `Retry-After`. Calls are
//! marked retryable, as the OpenAI SDKs do ([`ChatBuilder::retryable`]
//! says why, and turns it off). What the retries could not mend comes
//! back as a [`ChatError`] whose [`ErrorKind`] says what to do.
//!
//! # Tolerance
//!
//! Replies are read as OpenAI-compatible servers really send them: a
//! missing `object` or `usage`, `usage: {}`, `null` content, unknown
//! fields, an empty `choices` list and any finish reason are all fine; a
//! field the reply cannot do without is an [`ErrorKind::Decode`] error
//! whose source, the client's decode error ([`ChatError::http`]), names
//! it (`choices[0].message`), as `Response::json` does.
//!
//! [`RetryPolicy`]: crate::RetryPolicy
//! [`RetryPolicy::default`]: crate::RetryPolicy::default
//! [`RetryPolicy::never_retry_if`]: crate::RetryPolicy::never_retry_if

mod assemble;
mod client;
mod delta;
mod error;
mod parse;
mod provider;
mod reply;
mod request;
mod stream;
mod suggest;
mod trace;
mod transcribe;

pub use assemble::{Assembler, Overflow, DEFAULT_MAX_REPLY_BYTES};
pub use client::{Chat, ChatBuilder, Suggested, DEFAULT_TIMEOUT};
pub use delta::{ChunkError, Delta, ErrorEvent, ToolCallDelta, MAX_TOOL_CALLS};
pub use error::{ChatError, ErrorKind};
pub use provider::Provider;
pub use reply::{Reply, ToolCall, Usage};
pub use request::{ChatOptions, ChatRequest, Message, Role, Tool};
pub use stream::{ChatStream, StreamError, StreamErrorKind};
pub use suggest::{DefaultSuggest, Suggest};
