//! The chat layer (`brisk::chat`) over real loopback sockets, one test
//! binary: `calls` (requests, replies, API errors, retries), `stream`
//! (`ChatStream` over scripted event streams), `batch` (`chat_many` and
//! `send_all`), and `end_to_end` (against brisk's own mock server).
#![cfg(feature = "json")]

#[path = "../support/mod.rs"]
mod support;

mod batch;
mod calls;
#[cfg(feature = "mock")]
mod end_to_end;
mod stream;
