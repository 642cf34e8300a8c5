//! The event-stream parser, rule by rule, then fed every way a network can
//! cut a stream.

use super::*;

/// An event copied out of the parser: (type, data, last event ID).
type Owned = (String, String, String);

fn owned(e: Event<'_>) -> Owned {
    (
        e.event.to_owned(),
        e.data.to_owned(),
        e.last_event_id.to_owned(),
    )
}

/// Everything one reading of a stream produced.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    events: Vec<Owned>,
    last_event_id: String,
    retry: Option<Duration>,
    end: StreamEnd,
}

/// Feeds `pieces` in turn, draining after each, then finishes.
fn run<'a>(pieces: impl IntoIterator<Item = &'a [u8]>) -> Outcome {
    let mut p = Parser::new();
    let mut events = Vec::new();
    for piece in pieces {
        p.feed(piece, |e| events.push(owned(e))).unwrap();
    }
    Outcome {
        events,
        last_event_id: p.last_event_id().to_owned(),
        retry: p.reconnection_time(),
        end: p.finish(),
    }
}

fn whole(input: &[u8]) -> Outcome {
    run([input])
}

/// Just the data of each event, for the rules where only data matters.
fn data(input: &[u8]) -> Vec<String> {
    whole(input).events.into_iter().map(|e| e.1).collect()
}

fn msg(data: &str, id: &str) -> Owned {
    ("message".into(), data.into(), id.into())
}

#[test]
fn lines_end_in_crlf_lf_or_cr() {
    for input in [
        &b"data: a\ndata: b\n\ndata: c\n\n"[..],
        b"data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n",
        b"data: a\rdata: b\r\rdata: c\r\r",
        b"data: a\r\ndata: b\r\rdata: c\n\r\n",
    ] {
        assert_eq!(data(input), ["a\nb", "c"], "{input:?}");
    }
    // LF CR is two line ends: the CR ends an empty line, which dispatches.
    assert_eq!(data(b"data: a\n\rdata: b\n\n"), ["a", "b"]);
}

#[test]
fn a_crlf_split_across_reads_is_one_line_end() {
    // Were the CR and the LF two line ends, the LF would end an empty line
    // and dispatch "a" alone.
    let out = run([&b"data: a\r"[..], b"\ndata: b\r\n\r\n"]);
    assert_eq!(out.events, [msg("a\nb", "")]);
    // The same split with nothing between the two reads' drains.
    let out = run([&b"data: a\r"[..], b"", b"\n", b"data: b\r", b"\n\r", b"\n"]);
    assert_eq!(out.events, [msg("a\nb", "")]);
    // A CR then a CR is two line ends, split or not.
    assert_eq!(run([&b"data: a\r"[..], b"\r"]).events, [msg("a", "")]);
}

#[test]
fn exactly_one_leading_bom_is_stripped() {
    assert_eq!(data(b"\xEF\xBB\xBFdata: a\n\n"), ["a"]);
    // Split across reads, even one byte at a time.
    let out = run([&b"\xEF"[..], b"\xBB", b"\xBF", b"data: a\n\n"]);
    assert_eq!(out.events, [msg("a", "")]);
    // A second BOM is text: it makes the field name `\u{FEFF}data`, unknown.
    assert_eq!(
        data(b"\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\n"),
        [] as [&str; 0]
    );
    // A BOM later in the stream is text too.
    assert_eq!(data(b"data: \xEF\xBB\xBFa\n\n"), ["\u{FEFF}a"]);
    // Half a BOM is not one: its bytes stay (and spoil the field name).
    assert!(data(b"\xEF\xBBdata: a\n\n").is_empty());
    assert!(run([&b"\xEF\xBB"[..], b"data: a\n\n"]).events.is_empty());
}

#[test]
fn data_lines_are_joined_and_the_last_lf_removed() {
    assert_eq!(data(b"data: a\ndata: b\ndata: c\n\n"), ["a\nb\nc"]);
    // `data` without a colon, and `data:` with nothing after it, append an
    // empty line: an event with empty data is still an event.
    assert_eq!(data(b"data\n\n"), [""]);
    assert_eq!(data(b"data:\ndata:\n\n"), ["\n"]);
    assert_eq!(data(b"data: a\ndata\n\n"), ["a\n"]);
    // A value ending in LF? It cannot: LF ends the line. But one ending in
    // text that looks like an escape stays as sent.
    assert_eq!(data(b"data: a\\n\n\n"), ["a\\n"]);
}

#[test]
fn a_blank_line_without_data_dispatches_nothing_but_the_id() {
    let out = whole(b"id: 1\n\nevent: x\n\n: only a comment\n\n\n\ndata: a\n\n");
    // The `event: x` block had no data: nothing reported, and its type does
    // not leak into the next event.
    assert_eq!(out.events, [msg("a", "1")]);
    assert_eq!(out.last_event_id, "1");
    assert_eq!(out.end, StreamEnd::Clean);
}

#[test]
fn event_sets_the_type_which_defaults_to_message() {
    let out = whole(
        b"event: delta\ndata: a\n\nevent:\ndata: b\n\ndata: c\n\nevent: x\nevent: y\ndata: d\n\n",
    );
    let types: Vec<_> = out.events.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(types, ["delta", "message", "message", "y"]);
}

#[test]
fn id_sets_the_last_event_id_unless_it_holds_nul() {
    let out = whole(b"id: 1\ndata: a\n\ndata: b\n\nid: 2\0x\ndata: c\n\nid\ndata: d\n\nid: 3\n\n");
    // The ID carries over to later events; a NUL makes the field ignored;
    // `id` alone sets it empty; a block without data still sets it.
    assert_eq!(
        out.events,
        [msg("a", "1"), msg("b", "1"), msg("c", "1"), msg("d", "")]
    );
    assert_eq!(out.last_event_id, "3");
    // An id whose event never ends is not the last event ID.
    let out = whole(b"id: 1\ndata: a\n\nid: 2\ndata: b\n");
    assert_eq!(out.last_event_id, "1");
    assert_eq!(out.end, StreamEnd::Truncated);
}

#[test]
fn retry_counts_only_ascii_digits() {
    let retry = |input: &[u8]| whole(input).retry;
    assert_eq!(retry(b"retry: 3000\n\n"), Some(Duration::from_millis(3000)));
    assert_eq!(retry(b"retry:0\n"), Some(Duration::ZERO));
    for ignored in [
        &b"retry: 3s\n"[..],
        b"retry: -1\n",
        b"retry: 1.5\n",
        b"retry:  10\n",
        b"retry: 10 \n",
        b"retry: +10\n",
        b"retry:\n",
        b"retry\n",
        b"retry: \xD9\xA3\n", // ARABIC-INDIC DIGIT THREE: a digit, not ASCII
        b"retry: 18446744073709551616\n", // u64::MAX + 1 ms
    ] {
        assert_eq!(retry(ignored), None, "{ignored:?}");
    }
    assert_eq!(
        retry(b"retry: 18446744073709551615\n"),
        Some(Duration::from_millis(u64::MAX))
    );
    // An ignored value leaves the earlier one; a valid one replaces it.
    assert_eq!(
        retry(b"retry: 10\nretry: x\n"),
        Some(Duration::from_millis(10))
    );
    assert_eq!(
        retry(b"retry: 10\nretry: 20\n"),
        Some(Duration::from_millis(20))
    );
    // It takes effect at once: no blank line needed.
    let mut p = Parser::new();
    p.push(b"retry: 5\n");
    assert_eq!(p.next_event(), Ok(None));
    assert_eq!(p.reconnection_time(), Some(Duration::from_millis(5)));
}

#[test]
fn one_space_after_the_colon_is_removed() {
    assert_eq!(
        data(b"data:a\n\ndata: a\n\ndata:  a\n\ndata: a:b: c\n\ndata:\ta\n\n"),
        ["a", "a", " a", "a:b: c", "\ta"]
    );
    // Space before the colon belongs to the name: `data ` is unknown.
    assert!(data(b"data : a\n\n").is_empty());
    // Names are case-sensitive.
    assert!(data(b"Data: a\n\nDATA: b\n\n").is_empty());
}

#[test]
fn comments_and_unknown_fields_are_skipped() {
    let out =
        whole(b": keep-alive\n\n:\ndata: a\n: between lines\nfoo: bar\nbaz\ndata: b\n\n: bye\n");
    assert_eq!(out.events, [msg("a\nb", "")]);
    // Comments after the last event leave the stream clean.
    assert_eq!(out.end, StreamEnd::Clean);
}

#[test]
fn invalid_utf8_is_decoded_lossily() {
    // 0xFF can never start a sequence; 0xC3 lacks its continuation byte.
    assert_eq!(data(b"data: a\xFFb\xC3\n\n"), ["a\u{FFFD}b\u{FFFD}"]);
    assert_eq!(whole(b"event: \xC0\ndata: x\n\n").events[0].0, "\u{FFFD}");
    assert_eq!(whole(b"id: \xFE\n\n").last_event_id, "\u{FFFD}");
    // A valid sequence split across reads is not broken by the split.
    let out = run([&b"data: \xE4\xBD"[..], b"\xA0\xE5\xA5\xBD\n\n"]);
    assert_eq!(out.events, [msg("你好", "")]);
}

#[test]
fn an_unterminated_event_at_the_end_is_dropped() {
    for cut in [
        &b"data: a\n\ndata: b\n"[..], // a field line, no blank line
        b"data: a\n\ndata: b",        // not even a line end
        b"data: a\n\nevent: x\n",     // a block without data is open too
        b"data: a\n\nnonsense\n",
        b"data: a\n\n\xEF\xBB",
    ] {
        let out = whole(cut);
        assert_eq!(out.events, [msg("a", "")], "{cut:?}");
        assert_eq!(out.end, StreamEnd::Truncated, "{cut:?}");
    }
    for clean in [
        &b""[..],
        b"data: a\n\n",
        b"data: a\r\n\r\n",
        b"data: a\r\r",
        b"data: a\n\n: keep-alive\n",
        b"\xEF\xBB\xBF",
    ] {
        assert_eq!(whole(clean).end, StreamEnd::Clean, "{clean:?}");
    }
    // Bytes pushed but never parsed count as cut short.
    let mut p = Parser::new();
    p.push(b"data: a\n\n");
    assert_eq!(p.finish(), StreamEnd::Truncated);
}

#[test]
fn finish_readies_the_parser_for_a_reconnection() {
    let mut p = Parser::new();
    let mut seen = Vec::new();
    p.feed(b"retry: 1000\nid: 5\ndata: a\n\nid: 6\ndata: cut", |e| {
        seen.push(owned(e))
    })
    .unwrap();
    assert_eq!(p.finish(), StreamEnd::Truncated);
    // The new stream may open with a BOM; the ID and retry carry over; the
    // cut event's `id: 6` does not.
    p.feed(b"\xEF\xBB\xBFdata: b\n\n", |e| seen.push(owned(e)))
        .unwrap();
    assert_eq!(seen, [msg("a", "5"), msg("b", "5")]);
    assert_eq!(p.reconnection_time(), Some(Duration::from_secs(1)));
    assert_eq!(p.finish(), StreamEnd::Clean);
}

#[test]
fn an_event_past_the_bound_is_an_error_and_stays_one() {
    // Exactly at the bound is fine: a 10-byte line, then 5 bytes of data
    // buffer ("abcd\n") beside an empty line.
    let mut p = Parser::with_max_event_bytes(10);
    assert_eq!(p.max_event_bytes(), 10);
    p.push(b"data: abcd\n\n");
    assert_eq!(
        p.next_event().map(|e| e.map(owned)),
        Ok(Some(msg("abcd", "")))
    );

    // One line too long, whole or arriving in pieces.
    for pieces in [
        vec![&b"data: abcdefgh\n"[..]],
        vec![b"data: ab", b"cdef", b"gh"],
    ] {
        let mut p = Parser::with_max_event_bytes(10);
        let mut result = Ok(None);
        for piece in pieces {
            p.push(piece);
            result = p.next_event().map(|e| e.map(owned));
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result, Err(ParseError::EventTooLarge));
        // Sticky: more bytes do not revive it.
        p.push(b"\n\ndata: a\n\n");
        assert_eq!(p.next_event(), Err(ParseError::EventTooLarge));
        // Nothing past the bound was kept.
        assert!(p.line.len() + p.fields.data.len() <= 10);
        // finish forgets it.
        assert_eq!(p.finish(), StreamEnd::Truncated);
        p.push(b"data: a\n\n");
        assert_eq!(p.next_event().map(|e| e.map(owned)), Ok(Some(msg("a", ""))));
    }

    // Many short data lines add up.
    let mut p = Parser::with_max_event_bytes(10);
    p.push(b"data: abc\ndata: abc\ndata: abc\n");
    assert_eq!(p.next_event(), Err(ParseError::EventTooLarge));
    assert_eq!(ParseError::EventTooLarge.name(), "event_too_large");
    assert_eq!(
        ParseError::EventTooLarge.to_string(),
        "server-sent event too large"
    );
}

#[test]
fn events_borrow_buffers_that_are_reused() {
    let mut p = Parser::new();
    p.push(b"event: a\ndata: 1\n\ndata: 2\n\n");
    let first = p.next_event().unwrap().map(owned);
    assert_eq!(first, Some(("a".into(), "1".into(), "".into())));
    // The first event's type and data are cleared once it is gone.
    let second = p.next_event().unwrap().map(owned);
    assert_eq!(second, Some(msg("2", "")));
    assert_eq!(p.next_event(), Ok(None));
    let capacity = p.fields.data.capacity();
    for _ in 0..100 {
        p.push(b"data: 3\n\n");
        assert!(p.next_event().unwrap().is_some());
    }
    assert_eq!(p.fields.data.capacity(), capacity);
}

#[test]
fn pushing_without_draining_loses_nothing() {
    let mut p = Parser::new();
    for piece in [&b"data: a\n"[..], b"\ndata: b\n\nda", b"ta: c\n\n"] {
        p.push(piece);
    }
    let mut seen = Vec::new();
    while let Some(e) = p.next_event().unwrap() {
        seen.push(owned(e));
        p.push(b""); // a push between events must not lose the rest
    }
    assert_eq!(seen, [msg("a", ""), msg("b", ""), msg("c", "")]);
    assert_eq!(p.finish(), StreamEnd::Clean);
}

const OPENAI: &[u8] = include_bytes!("../../tests/fixtures/chat/openai_stream.sse");
const OPENAI_TOOLS: &[u8] =
    include_bytes!("../../tests/fixtures/chat/openai_stream_tool_calls.sse");
const ZHIPU: &[u8] = include_bytes!("../../tests/fixtures/chat/zhipu_stream.sse");

#[test]
fn provider_streams_parse_to_their_data_events() {
    for (input, n) in [(OPENAI, 7), (OPENAI_TOOLS, 7), (ZHIPU, 4)] {
        let out = whole(input);
        assert_eq!(out.events.len(), n);
        assert_eq!(out.end, StreamEnd::Clean);
        assert_eq!(out.events.last().unwrap().1, "[DONE]");
        for e in &out.events[..n - 1] {
            assert!(e.1.starts_with("{\"id\":"), "{e:?}");
            assert!(e.1.ends_with('}'), "{e:?}");
        }
    }
}

/// Streams that exercise every rule at once, for the split tests.
fn tricky_streams() -> Vec<Vec<u8>> {
    let crlf = String::from_utf8(OPENAI.to_vec())
        .unwrap()
        .replace('\n', "\r\n")
        .into_bytes();
    let cr = String::from_utf8(ZHIPU.to_vec())
        .unwrap()
        .replace('\n', "\r")
        .into_bytes();
    vec![
        OPENAI.to_vec(),
        OPENAI_TOOLS.to_vec(),
        ZHIPU.to_vec(),
        crlf,
        cr,
        b"\xEF\xBB\xBFretry: 7\r\nid: 1\r\nevent: e\r\ndata: a\r\ndata\r\n\r\n: c\rdata:b\r\r\nid: 2\0\ndata: \xE4\xBD\xA0\xFF\n\nid\n\ndata: cut".to_vec(),
        b"\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\ndata: y\r\n\r".to_vec(),
    ]
}

#[test]
fn every_split_gives_the_same_events() {
    for input in tricky_streams() {
        let expected = whole(&input);
        let bytewise = run(input.chunks(1));
        assert_eq!(bytewise, expected, "byte by byte: {input:?}");
        for cut in 0..=input.len() {
            let (a, b) = input.split_at(cut);
            assert_eq!(run([a, b]), expected, "split at {cut}: {input:?}");
        }
    }
}

#[test]
fn the_line_scan_is_linear_in_the_input() {
    // One 8 MiB data line in 1,024 pieces: every byte is searched for a
    // line end once, as if it had come whole (a scanner that restarted at
    // the line's start on each push would examine ~512 times as many).
    let mut input = b"data: ".to_vec();
    input.resize(8 << 20, b'x');
    input.extend_from_slice(b"\n\n");
    let mut p = Parser::new();
    let mut got = 0;
    for piece in input.chunks(input.len().div_ceil(1024)) {
        p.feed(piece, |e| got += e.data.len()).unwrap();
    }
    assert_eq!(got, (8 << 20) - 6);
    assert!(
        p.scanned <= input.len() as u64,
        "{} > {}",
        p.scanned,
        input.len()
    );
    // And byte by byte, on a realistic stream.
    let mut p = Parser::new();
    for b in OPENAI.chunks(1) {
        p.feed(b, |_| {}).unwrap();
    }
    assert!(p.scanned <= OPENAI.len() as u64);
}

#[test]
fn the_word_scan_finds_the_first_line_end() {
    for len in 0..40 {
        assert_eq!(find_line_end(&vec![b'a'; len]), None);
        assert_eq!(find_line_end(&vec![0xFF; len]), None);
        for at in 0..len {
            for end in [b'\n', b'\r'] {
                for filler in [b'a', 0x00, 0x0B, 0x0C, 0x8A, 0x8D, 0xFF] {
                    let mut v = vec![filler; len];
                    v[at] = end;
                    // A second line end later must not win.
                    if at + 3 < len {
                        v[at + 3] = b'\n';
                    }
                    assert_eq!(find_line_end(&v), Some(at), "{v:?}");
                }
            }
        }
    }
}
