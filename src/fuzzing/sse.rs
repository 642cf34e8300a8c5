//! The `sse` target: the event-stream parser, whole and in pieces.

use crate::sse::{ParseError, Parser, StreamEnd, DEFAULT_MAX_EVENT_BYTES};

/// Events (type, data, id), the error that stopped the stream if any, the
/// last event ID and how the stream ended.
type Outcome = (
    Vec<(String, String, String)>,
    Option<ParseError>,
    String,
    Option<StreamEnd>,
);

fn run<'a>(max: usize, pieces: impl Iterator<Item = &'a [u8]>) -> Outcome {
    let mut parser = Parser::with_max_event_bytes(max);
    let mut events = Vec::new();
    for piece in pieces {
        let fed = parser.feed(piece, |e| {
            events.push((
                e.event.to_owned(),
                e.data.to_owned(),
                e.last_event_id.to_owned(),
            ))
        });
        if let Err(e) = fed {
            return (events, Some(e), parser.last_event_id().to_owned(), None);
        }
    }
    let id = parser.last_event_id().to_owned();
    (events, None, id, Some(parser.finish()))
}

/// The event-stream parser on arbitrary bytes: never panics, and the same
/// stream cut into pieces gives the same events, the same end and the same
/// error as when it comes whole. The first byte picks the piece size (1 to
/// 16 bytes); the rest is the stream, read with the default bound on an
/// event and with a tiny one (64 bytes), so that the bound's error is
/// reached too.
pub fn sse(data: &[u8]) {
    let Some((&size, stream)) = data.split_first() else {
        return;
    };
    let size = usize::from(size % 16) + 1;
    for max in [DEFAULT_MAX_EVENT_BYTES, 64] {
        let whole = run(max, std::iter::once(stream));
        assert_eq!(run(max, stream.chunks(size)), whole, "pieces of {size}");
    }
}
