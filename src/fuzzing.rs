//! Entry points for the fuzz targets in `fuzz/` (hidden from the docs; not
//! a stable API). Each function takes the fuzzer's bytes, drives one part
//! of the library with them, and panics only where an invariant breaks, so
//! that `cargo fuzz` reports it. The same functions replay the seed
//! corpora in `cargo test`, on stable Rust.

mod cookie;
mod h1;
#[cfg(feature = "compression")]
mod inflate;
mod request;
mod sse;
mod url;
#[cfg(feature = "ws")]
mod ws;

pub use self::cookie::cookie;
pub use self::h1::{chunked, read_head, response_head, response_stream, HeadReading};
#[cfg(feature = "compression")]
pub use self::inflate::{
    inflate, inflate_format, inflate_pieces, inflate_whole_and_pieces, InflateOutcome,
};
pub use self::request::{request_encode, FuzzRequest};
pub use self::sse::sse;
pub use self::url::url;
#[cfg(feature = "ws")]
pub use self::ws::ws_decoder;

/// Sets how many connections of the process keep a second handle for the
/// liveness check (256 by default; see `transport::Peeker`), so that tests
/// reach the checks made without one. Process-wide: for a test binary of
/// its own.
pub fn set_kept_peek_handles(max: usize) {
    crate::transport::KEPT_LIMIT.store(max, std::sync::atomic::Ordering::Relaxed);
}

/// A `multipart/form-data` body read by the mock server's parser: the
/// first line of `data` is the boundary, the rest the body.
///
/// Never panics, and what it returns holds together: at most 256 parts,
/// each part's bytes a slice of the body, and none holding the delimiter
/// (`CRLF--boundary`) that should have ended it.
#[cfg(feature = "mock")]
pub fn multipart_form(data: &[u8]) {
    let Some(newline) = data.iter().position(|&b| b == b'\n') else {
        return;
    };
    let Ok(boundary) = std::str::from_utf8(&data[..newline]) else {
        return;
    };
    let body = &data[newline + 1..];
    let Ok(parts) = crate::mock::multipart::parse(body, boundary) else {
        return;
    };
    assert!(parts.len() <= 256, "{} parts", parts.len());
    let delimiter = [&b"\r\n--"[..], boundary.as_bytes()].concat();
    let range = body.as_ptr_range();
    for part in &parts {
        let inside = part.data.is_empty()
            || (range.contains(&part.data.as_ptr()) && part.data.len() <= body.len());
        assert!(inside, "a part's bytes are not the body's");
        let holds = part
            .data
            .windows(delimiter.len())
            .any(|w| w == delimiter.as_slice());
        assert!(!holds, "a part holds the delimiter");
    }
}

/// Streamed chat chunks into the reply assembler: each line of `data` is
/// one chunk's JSON (as an event's `data` would be, decoded as UTF-8 the
/// way the SSE parser decodes it), read as a
/// [`Delta`](crate::chat::Delta) and pushed into an
/// [`Assembler`](crate::chat::Assembler); chunks that are errors are
/// skipped, and an overflow ends the run.
///
/// Never panics, and checks the memory bound after every chunk:
///
/// - the reply's text is at most 4 times the input (a byte of text comes
///   from at least a byte of input, except where invalid UTF-8 becomes
///   U+FFFD, 3 bytes, and where tool-call arguments sent as a JSON value
///   are written back as text: `1e15` becomes `1000000000000000.0`);
/// - the heap the assembler holds is at most 16 times the input plus
///   4 KiB: text capacity (at most twice the text) and a fixed record per
///   tool call, the largest part for inputs made only of tiny calls;
/// - at most [`MAX_TOOL_CALLS`](crate::chat::MAX_TOOL_CALLS) calls.
#[cfg(feature = "json")]
pub fn chat_delta(data: &[u8]) {
    use crate::chat::{Assembler, Delta, MAX_TOOL_CALLS};

    let mut assembler = Assembler::new();
    let mut read = 0;
    for line in data.split(|&b| b == b'\n') {
        read += line.len() + 1;
        let Ok(delta) = Delta::parse(&String::from_utf8_lossy(line)) else {
            continue;
        };
        if assembler.push(&delta).is_err() {
            break;
        }
        let input = read.min(data.len());
        let text = assembler.text_bytes();
        assert!(text <= 4 * input, "{text} bytes of text from {input}");
        let heap = assembler.heap_bytes();
        assert!(heap <= 16 * input + 4096, "{heap} bytes held for {input}");
    }
    let reply = assembler.reply();
    assert!(reply.tool_calls.len() <= MAX_TOOL_CALLS);
    let mut text = reply.content.len() + reply.model.len();
    for call in &reply.tool_calls {
        text += call.id.len() + call.name.len() + call.arguments.len();
    }
    assert!(text <= 4 * data.len());
}
