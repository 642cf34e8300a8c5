//! The encoder on a request drawn from the fuzz data (method, target,
//! Host, fields, body; see `brisk::fuzzing::FuzzRequest::from_fuzz`). It
//! either refuses, or writes bytes that httparse, a strict request parser
//! (its default configuration: no bare-LF tolerance asked for, no obs-fold,
//! no spaces before colons), reads back to the same method, target, fields
//! and body: Host once and first, each field as given (its value trimmed of
//! SP/HTAB at the edges, as the encoder documents), nothing injected, and
//! exactly one framing field, which delimits exactly the body.
#![no_main]

use brisk::fuzzing::FuzzRequest;
use brisk::h1::BodyFraming;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((request, wire)) = brisk::fuzzing::request_encode(data) {
        parse_back(&request, &wire);
    }
});

fn parse_back(request: &FuzzRequest, wire: &[u8]) {
    let mut slots = [httparse::EMPTY_HEADER; 40];
    let mut parsed = httparse::Request::new(&mut slots);
    let len = match parsed.parse(wire) {
        Ok(httparse::Status::Complete(len)) => len,
        other => panic!("httparse read {other:?} from {wire:?}"),
    };
    assert_eq!(parsed.method, Some(&request.method[..]));
    assert_eq!(parsed.path, Some(&request.target[..]));
    assert_eq!(parsed.version, Some(1));

    let got: Vec<(Vec<u8>, Vec<u8>)> = parsed
        .headers
        .iter()
        .map(|h| (h.name.as_bytes().to_vec(), h.value.to_vec()))
        .collect();
    assert_eq!(
        got,
        expected_fields(request),
        "the fields on the wire: {wire:?}"
    );

    let body = &wire[len..];
    match request.framing {
        BodyFraming::None => assert!(body.is_empty()),
        BodyFraming::Length(n) => {
            assert_eq!(n, request.body.len() as u64);
            assert_eq!(body, request.body);
        }
        BodyFraming::Chunked => assert_eq!(dechunk(body), request.body),
    }
}

/// What the encoder promises to write: Host first (the caller's own Host
/// field, trimmed, in place of the URL's), then the caller's other fields
/// in order, values trimmed, then the one framing field.
fn expected_fields(request: &FuzzRequest) -> Vec<(Vec<u8>, Vec<u8>)> {
    let is_host = |n: &[u8]| n.eq_ignore_ascii_case(b"host");
    let host = match request.headers.iter().find(|(n, _)| is_host(n)) {
        Some((_, v)) => trim(v),
        None => request.host.as_bytes(),
    };
    let mut fields = vec![(b"Host".to_vec(), host.to_vec())];
    for (name, value) in &request.headers {
        if !is_host(name) {
            fields.push((name.clone(), trim(value).to_vec()));
        }
    }
    match request.framing {
        BodyFraming::None => {}
        BodyFraming::Length(n) => {
            fields.push((b"Content-Length".to_vec(), n.to_string().into_bytes()))
        }
        BodyFraming::Chunked => fields.push((b"Transfer-Encoding".to_vec(), b"chunked".to_vec())),
    }
    fields
}

fn trim(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

/// A chunked body read with httparse's chunk-size parser: it must end
/// exactly at the input's end, with an empty trailer section.
fn dechunk(mut wire: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let (at, size) = match httparse::parse_chunk_size(wire) {
            Ok(httparse::Status::Complete(c)) => c,
            other => panic!("chunk size {other:?} in {wire:?}"),
        };
        let size = usize::try_from(size).expect("a chunk this process wrote");
        wire = &wire[at..];
        if size == 0 {
            assert_eq!(wire, b"\r\n", "the body ends after the last chunk");
            return body;
        }
        body.extend_from_slice(&wire[..size]);
        assert_eq!(&wire[size..size + 2], b"\r\n");
        wire = &wire[size + 2..];
    }
}
