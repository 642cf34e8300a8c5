//! Known vectors for `brisk::inflate`, from outside brisk:
//!
//! - Go's compress/flate stream cases (`tests/data/inflate/go-flate-streams.txt`,
//!   see `PROVENANCE.md` there): hand-made raw DEFLATE streams for the
//!   corners of RFC 1951 (degenerate and empty trees, repeat codes that run
//!   over, symbol 284 with 31 extra bits, reserved symbols). Where Go and
//!   zlib disagree, brisk follows zlib, as its docs say; each such case is
//!   listed below with zlib's verdict.
//! - Streams made by the system zlib at every level and strategy
//!   (`tests/data/inflate/generated/`, by `generate.py` there), each gzip
//!   and zlib one checked by its own CRC-32 or Adler-32, and every raw one
//!   against the gzip one's output.
//!
//! Every stream is decoded whole and in pieces into outputs of varied
//! sizes, which must agree (`brisk::fuzzing::inflate_whole_and_pieces`).

#![cfg(feature = "compression")]

use std::path::Path;

use brisk::fuzzing::inflate_whole_and_pieces;
use brisk::inflate::{Format, InflateError};

fn data_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/inflate")
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Go's expectation, and brisk's where it differs (with zlib's message).
fn expected_by_brisk(description: &str, go: &str) -> Result<Vec<u8>, Option<InflateError>> {
    match description {
        // zlib: "invalid distances set". The distance code is incomplete
        // (more than a single one-bit code); Go accepts it because the
        // block uses no distance.
        "complete HCLenTree, complete HLitTree, empty HDistTree of normal length 30"
        | "complete HCLenTree, complete HLitTree with single code, empty HDistTree"
        | "complete HCLenTree, complete HLitTree with multiple codes, empty HDistTree" => {
            Err(Some(InflateError::IncompleteTree))
        }
        // One byte follows the final block; Go's reader stops at the end
        // of the stream, zlib reports it as unused input, brisk refuses it.
        "complete HCLenTree, complete HLitTree, empty HDistTree, spanning repeater code" => {
            Err(Some(InflateError::TrailingData))
        }
        _ if go == "fail" => Err(None),
        _ => Ok(unhex(go)),
    }
}

#[test]
fn go_flate_stream_cases() {
    let text = std::fs::read_to_string(data_dir().join("go-flate-streams.txt")).unwrap();
    let mut cases = 0;
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let mut fields = line.split('\t');
        let (description, stream, go) = (
            fields.next().unwrap(),
            fields.next().unwrap(),
            fields.next().unwrap_or(""),
        );
        let stream = unhex(stream);
        for seed in [1, 2, 3] {
            let (output, end) = inflate_whole_and_pieces(Format::Raw, &stream, seed, 1 << 20);
            match expected_by_brisk(description, go) {
                Ok(want) => {
                    assert_eq!(end, Ok(true), "{description}");
                    assert_eq!(output, want, "{description}");
                }
                Err(None) => assert!(end != Ok(true), "{description}: accepted {output:02x?}"),
                Err(Some(error)) => assert_eq!(end, Err(error), "{description}"),
            }
        }
        cases += 1;
    }
    assert_eq!(cases, 29);
}

/// Go's TestTruncatedStreams: every proper prefix of a stream is
/// incomplete, never complete and never an error.
#[test]
fn go_truncated_streams_are_not_complete() {
    let data = b"\x00\x0c\x00\xf3\xffhello, world\x01\x00\x00\xff\xff";
    let (output, end) = inflate_whole_and_pieces(Format::Raw, data, 7, 1 << 20);
    assert_eq!((output.as_slice(), end), (&b"hello, world"[..], Ok(true)));
    for cut in 0..data.len() {
        let (output, end) = inflate_whole_and_pieces(Format::Raw, &data[..cut], 7, 1 << 20);
        assert_eq!(end, Ok(false), "cut at {cut}");
        assert!(b"hello, world".starts_with(&output));
    }
}

fn generated(name: &str) -> Vec<u8> {
    std::fs::read(data_dir().join("generated").join(name)).unwrap()
}

#[test]
fn zlib_made_streams_at_every_level_and_strategy() {
    let dir = data_dir().join("generated");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let mut checked = 0;
    for input in ["text", "noise", "zeros", "mixed", "empty"] {
        // The gzip stream checks itself (CRC-32, ISIZE).
        let (want, end) = inflate_whole_and_pieces(
            Format::Gzip,
            &generated(&format!("{input}.gz")),
            5,
            usize::MAX,
        );
        assert_eq!(end, Ok(true), "{input}.gz");
        for name in names.iter().filter(|n| n.starts_with(&format!("{input}."))) {
            let stream = generated(name);
            let format = if name.ends_with(".gz") {
                Format::Gzip
            } else if name.ends_with(".zz") {
                Format::Zlib
            } else {
                Format::Raw
            };
            for seed in [1, 9] {
                let (output, end) = inflate_whole_and_pieces(format, &stream, seed, usize::MAX);
                if name.contains(".sync.") {
                    // Sync-flushed, no final block: the first 40,000 bytes.
                    assert_eq!(end, Ok(false), "{name}");
                    assert!(output == want[..want.len().min(40_000)], "{name}");
                } else {
                    assert_eq!(end, Ok(true), "{name}");
                    assert!(output == want, "{name}");
                }
                if format != Format::Gzip && !name.contains(".sync.") {
                    let (output, end) =
                        inflate_whole_and_pieces(Format::ZlibOrRaw, &stream, seed, usize::MAX);
                    assert!(end == Ok(true) && output == want, "{name} as deflate");
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 50, "only {checked} vectors");
}
