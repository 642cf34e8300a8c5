//! The encoder on arbitrary fields: it either refuses, writing nothing, or
//! writes one head whose only CR and LF bytes are the line endings.
#![no_main]

use brisk::h1::{encode_request_head, BodyFraming, RequestHead};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut parts = text.split('\u{1}');
    let (Some(method), Some(target), Some(name), Some(value)) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return;
    };
    let mut out = b"x".to_vec();
    let head = RequestHead { method, target, host: "h", headers: [(name, value)], body: BodyFraming::Length(3) };
    match encode_request_head(&head, &mut out) {
        Err(_) => assert_eq!(out, b"x"),
        Ok(()) => {
            let head = &out[1..];
            assert!(head.ends_with(b"\r\n\r\n"));
            // Without the blank line, every line ends in CRLF: split at LF,
            // the last piece is empty.
            let lines: Vec<&[u8]> = head[..head.len() - 2].split(|&b| b == b'\n').collect();
            let (last, lines) = lines.split_last().expect("at least one line");
            assert!(last.is_empty());
            for line in lines {
                let line = line.strip_suffix(b"\r").expect("every LF ends a CRLF");
                assert!(!line.contains(&b'\r'));
            }
            // Request line, Host, the field, Content-Length: never more. A
            // field named Host replaces the URL's Host rather than adding one.
            let expected = if name.eq_ignore_ascii_case("host") { 3 } else { 4 };
            assert_eq!(lines.len(), expected);
        }
    }
});
