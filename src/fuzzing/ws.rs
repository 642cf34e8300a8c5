//! The `ws_decoder` target: the WebSocket frame and message decoder,
//! whole and in pieces.

use crate::ws::{is_valid_close_code, Decoder, InflateContext, Limits, Message, ProtocolError};

/// The messages decoded, then either the error that stopped the stream
/// or how many bytes were consumed (a frame header cut short at the end
/// is left unconsumed). An error says nothing of what was consumed: the
/// connection is over.
type Outcome = (Vec<Message>, Result<usize, ProtocolError>);

/// The tiny limits' message bound, and the default one.
const TINY_MAX_MESSAGE: usize = 128;
const DEFAULT_MAX_MESSAGE: usize = 64 << 20;

/// Limits small enough for a fuzz input to reach each of them.
fn tiny_limits() -> Limits {
    Limits::default()
        .max_frame_bytes(64)
        .max_message_bytes(TINY_MAX_MESSAGE)
        .max_fragments(4)
}

/// Feeds `pieces` to a fresh decoder the way the socket does: a buffer
/// keeps what was not consumed (a partial header), and the decoder is
/// called until it needs more.
fn run<'a>(
    limits: Limits,
    deflate: Option<bool>,
    pieces: impl Iterator<Item = &'a [u8]>,
) -> Outcome {
    let mut decoder = Decoder::new(limits, deflate.map(InflateContext::new));
    let mut buf = Vec::new();
    let mut start = 0;
    let mut consumed = 0;
    let mut messages = Vec::new();
    for piece in pieces {
        buf.extend_from_slice(piece);
        loop {
            // Every other message is read borrowed, then copied: the
            // decoder's buffers are reused after a borrowed read.
            let decoded = decoder.decode(&buf[start..]).and_then(|(n, d)| {
                let input = &buf[start..];
                let message = match d {
                    Some(d) if messages.len() % 2 == 0 => Some(decoder.take(input, d)?),
                    Some(d) => Some(decoder.view(input, d)?.to_message()),
                    None => None,
                };
                Ok((n, message))
            });
            match decoded {
                Err(e) => return (messages, Err(e)),
                Ok((n, message)) => {
                    assert!(n <= buf.len() - start, "consumed past the input");
                    start += n;
                    consumed += n;
                    match message {
                        Some(m) => messages.push(m),
                        None => {
                            // "Need more" consumes all but a partial header,
                            // which is shorter than the longest header.
                            assert!(buf.len() - start < 10, "stalled with bytes to read");
                            break;
                        }
                    }
                }
            }
        }
        buf.drain(..start);
        start = 0;
    }
    (messages, Ok(consumed))
}

/// What every message handed out must be, however it came.
fn check_message(message: &Message, max_message: usize, deflate: bool, input: usize) {
    match message {
        Message::Ping(p) | Message::Pong(p) => assert!(p.len() <= 125, "control over 125 bytes"),
        Message::Close(Some(frame)) => {
            assert!(is_valid_close_code(frame.code), "close code {}", frame.code);
            assert!(frame.reason.len() <= 123, "close reason over 123 bytes");
        }
        Message::Close(None) => {}
        Message::Text(t) => check_data(t.len(), max_message, deflate, input),
        Message::Binary(b) => check_data(b.len(), max_message, deflate, input),
    }
}

fn check_data(len: usize, max_message: usize, deflate: bool, input: usize) {
    assert!(len <= max_message, "message over the limit");
    if !deflate {
        // Uncompressed, a message is never larger than its frames.
        assert!(len <= input, "message larger than the input");
    }
}

/// The frame and message decoder on arbitrary server bytes.
///
/// The first byte picks the settings: bit 0 permessage-deflate, bit 1
/// `server_no_context_takeover` (the window reset after each message),
/// bit 2 tiny limits (64-byte frames, 128-byte messages, 4 fragments),
/// bits 3–7 a piece size of 1 to 32 bytes. The second byte picks a split
/// point; the rest is the stream.
///
/// Never panics; the stream whole, split in two at that point, and in
/// pieces gives the same messages, the same error (or none) and consumes
/// the same bytes; every message is within the limits, every control
/// message within 125 bytes, every close code one that may be sent, and
/// an uncompressed message no larger than the input.
pub fn ws_decoder(data: &[u8]) {
    let [ctl, cut, stream @ ..] = data else {
        return;
    };
    let deflate = (ctl & 1 != 0).then_some(ctl & 2 != 0);
    let (limits, max_message) = if ctl & 4 != 0 {
        (tiny_limits(), TINY_MAX_MESSAGE)
    } else {
        (Limits::default(), DEFAULT_MAX_MESSAGE)
    };
    let size = usize::from(ctl >> 3) + 1;
    let cut = usize::from(*cut) * 17 % (stream.len() + 1);
    let whole = run(limits, deflate, std::iter::once(stream));
    for message in &whole.0 {
        check_message(message, max_message, deflate.is_some(), stream.len());
    }
    let (head, tail) = stream.split_at(cut);
    let split = run(limits, deflate, [head, tail].into_iter());
    assert_eq!(split, whole, "split at {cut}");
    assert_eq!(
        run(limits, deflate, stream.chunks(size)),
        whole,
        "pieces of {size}"
    );
}
