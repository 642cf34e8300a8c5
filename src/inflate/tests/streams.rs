//! Streaming: permessage-deflate, outputs of exact size, and the vectors made by the system zlib.

use super::*;

#[test]
fn a_sync_flushed_stream_yields_all_its_output_without_a_final_block() {
    // Message 1: "abcabc" then a sync flush; message 2 refers back into 1.
    let mut w = BitWriter::default();
    w.bits(0, 1)
        .bits(1, 2)
        .fixed(b'a' as u32)
        .fixed(b'b' as u32)
        .fixed(b'c' as u32)
        .fixed(257)
        .code(2, 5)
        .fixed(256);
    stored(&mut w, false, b"");
    let first = w.finish();
    assert_eq!(&first[first.len() - 4..], [0, 0, 0xff, 0xff]);
    let mut w = BitWriter::default();
    // Length 4 (symbol 258) at distance 5 (code 4, extra bit 0).
    w.bits(0, 1)
        .bits(1, 2)
        .fixed(258)
        .code(4, 5)
        .bits(0, 1)
        .fixed(256);
    stored(&mut w, false, b"");
    let second = w.finish();

    let mut inflate = Inflate::new(Format::Raw);
    let mut out = [0u8; 64];
    // Byte by byte: all output is out once the message's bytes are in.
    let mut got = Vec::new();
    for &b in &first {
        let p = inflate.decode(&[b], &mut out).unwrap();
        got.extend_from_slice(&out[..p.produced]);
    }
    assert_eq!(got, b"abcabc");
    let p = inflate.decode(&second, &mut out).unwrap();
    assert_eq!(&out[..p.produced], b"bcab");
    assert!(!p.done);

    // After reset the window is gone: the second message reaches too far.
    inflate.reset();
    assert_eq!(
        inflate.decode(&second, &mut out),
        Err(InflateError::DistanceTooFarBack)
    );
}

#[test]
fn start_message_continues_after_a_final_block_with_the_window() {
    let first = BitWriter::default()
        .bits(1, 1)
        .bits(1, 2)
        .fixed(b'x' as u32)
        .fixed(b'y' as u32)
        .fixed(256)
        .finish();
    let second = BitWriter::default()
        .bits(1, 1)
        .bits(1, 2)
        .fixed(258)
        .code(1, 5)
        .fixed(256)
        .finish();
    let mut inflate = Inflate::new(Format::Raw);
    let mut out = [0u8; 64];
    let p = inflate.decode(&first, &mut out).unwrap();
    assert!(p.done);
    assert_eq!(&out[..p.produced], b"xy");
    inflate.start_message();
    let p = inflate.decode(&second, &mut out).unwrap();
    assert!(p.done);
    assert_eq!(&out[..p.produced], b"xyxy");
}

#[test]
fn zlib_made_streams_decode_every_way() {
    // gzip and zlib streams check themselves (CRC-32 and Adler-32).
    for (name, gz, zz) in [
        ("text", &vector!("text.gz")[..], &vector!("text.zz")[..]),
        ("noise", vector!("noise.gz"), vector!("noise.zz")),
        ("zeros", vector!("zeros.gz"), vector!("zeros.zz")),
        ("mixed", vector!("mixed.gz"), vector!("mixed.zz")),
        ("empty", vector!("empty.gz"), vector!("empty.zz")),
    ] {
        let expect = inflate(Format::Gzip, gz);
        assert_eq!(inflate(Format::Zlib, zz), expect, "{name}");
        assert_eq!(inflate(Format::ZlibOrRaw, zz), expect, "{name}");
    }
    let text = inflate(Format::Gzip, vector!("text.gz"));
    assert_eq!(inflate(Format::Zlib, vector!("text.window9.zz")), text);
    let sync = decode_every_way(Format::Raw, vector!("text.sync.deflate")).unwrap();
    assert_eq!(sync, (text[..40_000].to_vec(), false));
    let mut text6 = Vec::new();
    for (name, raw) in [
        ("0-default", &vector!("text.0-default.deflate")[..]),
        ("1-default", vector!("text.1-default.deflate")),
        ("6-default", vector!("text.6-default.deflate")),
        ("6-filtered", vector!("text.6-filtered.deflate")),
        ("6-fixed", vector!("text.6-fixed.deflate")),
        ("6-huffman", vector!("text.6-huffman.deflate")),
        ("6-rle", vector!("text.6-rle.deflate")),
        ("9-default", vector!("text.9-default.deflate")),
    ] {
        assert_eq!(inflate(Format::Raw, raw), text, "text {name}");
        assert_eq!(
            inflate(Format::ZlibOrRaw, raw),
            text,
            "text {name} as deflate"
        );
        text6 = raw.to_vec();
    }
    let _ = text6;
}

#[test]
fn an_output_of_exactly_the_data_size_reaches_the_end_in_one_call() {
    for (format, stream) in [
        (Format::Gzip, &vector!("mixed.gz")[..]),
        (Format::Zlib, vector!("text.zz")),
        (Format::Raw, vector!("text.6-default.deflate")),
        (Format::Gzip, vector!("empty.gz")),
    ] {
        let (expect, _) = decode_with(format, stream, Feed::Whole).unwrap();
        let mut out = vec![0u8; expect.len()];
        let p = Inflate::new(format).decode(stream, &mut out).unwrap();
        assert_eq!(
            (p.consumed, p.produced, p.done),
            (stream.len(), expect.len(), true)
        );
        assert_eq!(out, expect);
    }
}

#[test]
fn a_member_cannot_reach_into_stored_output_of_the_previous_one() {
    // Member 1: a stored block large enough to be copied straight to the
    // output; member 2: a match at distance 1 as its first symbol.
    let data = vec![7u8; 40_000];
    let mut w = BitWriter::default();
    stored(&mut w, true, &data);
    let one = gzip_wrap(&w.finish(), &data);
    let reach = BitWriter::default()
        .bits(1, 1)
        .bits(1, 2)
        .fixed(257)
        .code(0, 5)
        .fixed(256)
        .finish();
    let two = gzip_wrap(&reach, b"\x07\x07\x07");
    let both = [one, two].concat();
    let mut inflate = Inflate::new(Format::Gzip);
    let mut out = vec![0u8; 100_000];
    let result = inflate
        .decode(&both, &mut out)
        .and_then(|_| inflate.decode(&[], &mut out));
    assert_eq!(result, Err(InflateError::DistanceTooFarBack));
    assert_eq!(
        refused(Format::Gzip, &both),
        InflateError::DistanceTooFarBack
    );
}
