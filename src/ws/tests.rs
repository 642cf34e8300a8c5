//! The codec at the wire: each input whole, byte by byte, and cut at
//! every point, with the same messages out.

use super::decoder::{Decoded, Decoder, InflateContext};
use super::*;
use std::io::Write;

/// An unmasked frame, as a server sends it.
fn frame(fin: bool, rsv1: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![(u8::from(fin) << 7) | (u8::from(rsv1) << 6) | opcode];
    match payload.len() {
        n @ 0..=125 => out.push(n as u8),
        n @ 126..=0xFFFF => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
    out
}

/// Feeds `bytes` in pieces of `step` (the caller's buffer keeps what was
/// not consumed), collecting messages until the end or the first error.
fn run(
    limits: Limits,
    deflate: Option<bool>,
    bytes: &[u8],
    step: usize,
) -> (Vec<Message>, Option<ProtocolError>) {
    let mut decoder = Decoder::new(limits, deflate.map(InflateContext::new));
    let mut buffered = Vec::new();
    let mut messages = Vec::new();
    for piece in bytes.chunks(step.max(1)) {
        buffered.extend_from_slice(piece);
        loop {
            match decoder.decode_owned(&buffered) {
                Ok((n, message)) => {
                    buffered.drain(..n);
                    match message {
                        Some(m) => messages.push(m),
                        None => break,
                    }
                }
                Err(e) => return (messages, Some(e)),
            }
        }
    }
    (messages, None)
}

/// The same result whole, byte by byte, and in a few odd sizes.
fn run_split(
    limits: Limits,
    deflate: Option<bool>,
    bytes: &[u8],
) -> (Vec<Message>, Option<ProtocolError>) {
    let whole = run(limits, deflate, bytes, bytes.len());
    for step in [1, 2, 3, 7, 64] {
        assert_eq!(run(limits, deflate, bytes, step), whole, "step {step}");
    }
    whole
}

#[test]
fn fragments_with_control_frames_between() {
    let mut bytes = frame(false, false, 0x1, "κό".as_bytes());
    bytes.extend(frame(true, false, 0x9, b"ping"));
    bytes.extend(frame(false, false, 0x0, "σ".as_bytes()[..1].as_ref()));
    bytes.extend(frame(true, false, 0xA, b""));
    bytes.extend(frame(true, false, 0x0, &"σμε".as_bytes()[1..]));
    bytes.extend(frame(true, false, 0x2, &[0, 1, 2]));
    bytes.extend(frame(true, false, 0x8, &[0x03, 0xE8, b'b', b'y', b'e']));
    let (messages, error) = run_split(Limits::default(), None, &bytes);
    assert_eq!(error, None);
    assert_eq!(
        messages,
        [
            Message::Ping(b"ping".to_vec()),
            Message::Pong(vec![]),
            Message::text("κόσμε"),
            Message::binary([0, 1, 2]),
            Message::Close(Some(CloseFrame {
                code: 1000,
                reason: "bye".into()
            })),
        ]
    );
}

#[test]
fn large_lengths_round_trip() {
    for len in [0usize, 125, 126, 65535, 65536, 200_000] {
        let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let (messages, error) = run(
            Limits::default(),
            None,
            &frame(true, false, 0x2, &payload),
            4096,
        );
        assert_eq!((messages, error), (vec![Message::Binary(payload)], None));
    }
}

#[test]
fn bad_utf8_fails_at_the_byte_not_at_the_end() {
    // Autobahn 6.4.3: a frame whose payload turns invalid in the middle;
    // the rest of the frame has not arrived.
    let mut bytes = frame(true, false, 0x1, &[b'a'; 40]);
    bytes.truncate(2 + 10);
    bytes.extend_from_slice(&[0xF4, 0x90]);
    let mut decoder = Decoder::new(Limits::default(), None);
    assert_eq!(
        decoder.decode_owned(&bytes),
        Err(ProtocolError::InvalidUtf8)
    );
    // A text message ending inside a character is refused at its end.
    let (_, error) = run_split(
        Limits::default(),
        None,
        &frame(true, false, 0x1, &[b'a', 0xE2, 0x82]),
    );
    assert_eq!(error, Some(ProtocolError::InvalidUtf8));
}

#[test]
fn refusals_and_their_close_codes() {
    let cases: Vec<(Vec<u8>, ProtocolError, u16)> = vec![
        (
            frame(true, false, 0x0, b"x"),
            ProtocolError::UnexpectedContinuation,
            1002,
        ),
        (
            [
                frame(false, false, 0x1, b"a"),
                frame(true, false, 0x1, b"b"),
            ]
            .concat(),
            ProtocolError::ExpectedContinuation,
            1002,
        ),
        (
            frame(true, false, 0x8, &[3]),
            ProtocolError::BadClosePayload,
            1002,
        ),
        (
            frame(true, false, 0x8, &[0x03, 0xEC]),
            ProtocolError::BadCloseCode,
            1002,
        ),
        (
            frame(true, false, 0x8, &[0x03, 0xE8, 0xFF]),
            ProtocolError::InvalidUtf8,
            1007,
        ),
        (
            frame(true, true, 0x1, b"x"),
            ProtocolError::ReservedBits,
            1002,
        ),
        (
            frame(true, false, 0x2, &[0; 11]),
            ProtocolError::FrameTooLarge,
            1009,
        ),
        (
            [
                frame(false, false, 0x2, &[0; 8]),
                frame(true, false, 0x0, &[0; 8]),
            ]
            .concat(),
            ProtocolError::MessageTooLarge,
            1009,
        ),
        (
            [
                frame(false, false, 0x2, b""),
                frame(false, false, 0x0, b""),
                frame(false, false, 0x0, b""),
                frame(true, false, 0x0, b""),
            ]
            .concat(),
            ProtocolError::TooManyFragments,
            1009,
        ),
    ];
    let limits = Limits::default()
        .max_frame_bytes(10)
        .max_message_bytes(12)
        .max_fragments(3);
    for (bytes, want, code) in cases {
        let (_, error) = run_split(limits, None, &bytes);
        assert_eq!(error, Some(want), "{bytes:x?}");
        assert_eq!(want.close_code(), code);
    }
    // A 1 GB frame is refused from its header alone.
    let header = [0x82, 127, 0, 0, 0, 0, 0x40, 0, 0, 0];
    let mut decoder = Decoder::new(Limits::default(), None);
    assert_eq!(
        decoder.decode_owned(&header),
        Err(ProtocolError::FrameTooLarge)
    );
}

fn deflate_sync(data: &[u8], compressor: &mut flate2::Compress) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 64);
    compressor
        .compress_vec(data, &mut out, flate2::FlushCompress::Sync)
        .unwrap();
    assert!(out.ends_with(&[0, 0, 0xff, 0xff]));
    out.truncate(out.len() - 4);
    out
}

#[test]
fn permessage_deflate_with_and_without_context_takeover() {
    let text = "Hello, hello, hello! ".repeat(50);
    for reset in [false, true] {
        let mut compressor = flate2::Compress::new(flate2::Compression::default(), false);
        let mut bytes = Vec::new();
        for _ in 0..3 {
            if reset {
                compressor.reset();
            }
            let body = deflate_sync(text.as_bytes(), &mut compressor);
            // Split into two frames, a ping between.
            let (a, b) = body.split_at(body.len() / 2);
            bytes.extend(frame(false, true, 0x1, a));
            bytes.extend(frame(true, false, 0x9, b""));
            bytes.extend(frame(true, false, 0x0, b));
        }
        // An uncompressed message is allowed under the extension too.
        bytes.extend(frame(true, false, 0x2, b"plain"));
        let (messages, error) = run_split(Limits::default(), Some(reset), &bytes);
        assert_eq!(error, None);
        let mut want = Vec::new();
        for _ in 0..3 {
            want.push(Message::Ping(vec![]));
            want.push(Message::text(text.clone()));
        }
        want.push(Message::binary(*b"plain"));
        assert_eq!(messages, want);
    }
}

#[test]
fn deflate_output_is_bounded_by_the_message_limit() {
    let mut compressor = flate2::Compress::new(flate2::Compression::best(), false);
    let body = deflate_sync(&vec![0u8; 1 << 20], &mut compressor);
    assert!(body.len() < 2048);
    let limits = Limits::default().max_message_bytes(100_000);
    let (_, error) = run(limits, Some(false), &frame(true, true, 0x2, &body), 512);
    assert_eq!(error, Some(ProtocolError::MessageTooLarge));
    // A message ending with a final block (BFINAL) rather than a flush.
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b"final block").unwrap();
    let body = e.finish().unwrap();
    let bytes = [frame(true, true, 0x1, &body), frame(true, true, 0x1, &body)].concat();
    let (messages, error) = run_split(Limits::default(), Some(false), &bytes);
    assert_eq!((messages.len(), error), (2, None));
    assert_eq!(messages[1], Message::text("final block"));
    // Garbage refuses with 1007.
    let (_, error) = run(
        Limits::default(),
        Some(false),
        &frame(true, true, 0x2, &[0xFF; 8]),
        8,
    );
    assert_eq!(error.map(ProtocolError::close_code), Some(1007));
}

#[test]
fn compressed_text_fails_at_the_bad_byte_however_it_is_cut() {
    // Found by the `ws_decoder` fuzz target: "Hello", then a compressed
    // text frame whose inflated bytes turn invalid before its deflate
    // data does. Whole, the frame was inflated to its end before its text
    // was checked, so it failed with BadDeflate; in pieces of 4, the text
    // was checked first and it failed with InvalidUtf8.
    let hello = [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00];
    let bad = [
        0xF2, 0x00, 0x11, 0x0A, 0x89, 0x07, 0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00, 0xC1,
    ];
    let bytes = [frame(true, true, 0x1, &hello), frame(true, true, 0x1, &bad)].concat();
    let (messages, error) = run_split(Limits::default(), Some(false), &bytes);
    assert_eq!(messages, [Message::text("Hello")]);
    assert_eq!(error, Some(ProtocolError::InvalidUtf8));
    // Invalid text in a stored block (FF FE) past a 1-byte message
    // limit: whole, the limit was checked first (MessageTooLarge); byte
    // by byte, the FF came alone and failed as text first.
    let body = [0x00, 0x02, 0x00, 0xFD, 0xFF, 0xFF, 0xFE, 0x06];
    // The same with the invalid text past the message limit: the limit
    // decides, wherever the input is cut.
    let limits = Limits::default().max_message_bytes(1);
    let (_, error) = run_split(limits, Some(false), &frame(true, true, 0x1, &body));
    assert_eq!(error, Some(ProtocolError::InvalidUtf8));
    // Found next: a compressed frame cut short, whose last bits are a
    // distance too far back. The inflater returns the output before the
    // error and holds the error for its next call; whole, no next call
    // came (the frame had not ended), so the error went unreported, while
    // in pieces the next piece's call reported it.
    let bytes = [0xC1, 0x07, 0xFB, 0x48, 0xCD, 0xC9, 0xCD];
    let (_, error) = run_split(Limits::default(), Some(true), &bytes);
    assert_eq!(error, Some(ProtocolError::BadDeflate));
}

/// A large reassembled message's room is given back once the next call
/// comes (its reader is done with it), even when what follows is only
/// whole frames, which never touch the reassembly buffer; a small one's is
/// kept for the next.
#[test]
fn a_large_reassembled_message_does_not_keep_its_room() {
    let half = vec![7u8; 1 << 20];
    let mut stream = frame(false, false, 0x2, &half);
    stream.extend(frame(true, false, 0x0, &half));
    let small = frame(true, false, 0x2, b"small");
    let mut decoder = Decoder::new(Limits::default(), None);
    let (n, decoded) = decoder.decode(&stream).unwrap();
    assert_eq!(
        (n, decoded),
        (stream.len(), Some(Decoded::Assembled { text: false }))
    );
    let viewed = decoder.view(&stream, decoded.unwrap()).unwrap();
    assert_eq!(viewed, MessageRef::Binary(&[7u8; 2 << 20][..]));
    assert!(decoder.reassembly_capacity() >= 2 << 20);
    let (_, decoded) = decoder.decode(&small).unwrap();
    assert!(matches!(decoded, Some(Decoded::Whole { .. })));
    assert_eq!(decoder.reassembly_capacity(), 0);
    // A small reassembled message's room stays.
    let mut stream = frame(false, false, 0x1, b"ab");
    stream.extend(frame(true, false, 0x0, b"cd"));
    let (_, decoded) = decoder.decode(&stream).unwrap();
    assert_eq!(
        decoder.view(&stream, decoded.unwrap()),
        Ok(MessageRef::Text("abcd"))
    );
    decoder.decode(&small).unwrap();
    assert!(decoder.reassembly_capacity() >= 4);
}
