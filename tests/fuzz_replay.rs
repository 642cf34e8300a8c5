//! Replays every fuzz corpus and regression file (`fuzz/corpus/<target>/`,
//! `fuzz/regressions/<target>/`) through the same checks the fuzz targets
//! run (`brisk::fuzzing`), on stable Rust: a fuzz finding, once fixed,
//! stays fixed without nightly.
//!
//! The files are in git (the crate's `exclude` only leaves them out of the
//! published package), so a fresh clone replays them all.

use std::path::Path;

/// A target's checks, run on one input.
type Check = fn(&[u8]);

/// Targets whose checks live in the library, and the function that runs
/// them. `request_encode` and `differential_httparse` finish their checks
/// with httparse, in the fuzz crate (the inflate targets with miniz_oxide); their library half still runs here
/// (it must not panic). `chat_delta` is replayed by `tests/chat/stream.rs`.
const TARGETS: &[(&str, Check)] = &[
    ("response_head", brisk::fuzzing::response_head),
    ("response_stream", brisk::fuzzing::response_stream),
    ("chunked", brisk::fuzzing::chunked),
    ("url", brisk::fuzzing::url),
    ("sse", brisk::fuzzing::sse),
    ("cookie", brisk::fuzzing::cookie),
    ("request_encode", |data| {
        let _ = brisk::fuzzing::request_encode(data);
    }),
    ("differential_httparse", |data| {
        let _ = brisk::fuzzing::read_head(data, 32);
    }),
    // The inflate targets compare with miniz_oxide in the fuzz crate; the
    // library's half (whole against pieces, the API's promises) runs here.
    #[cfg(feature = "compression")]
    ("inflate_differential", brisk::fuzzing::inflate),
    #[cfg(feature = "compression")]
    ("inflate_roundtrip", brisk::fuzzing::inflate),
    ("multipart_form", multipart_form),
    ("ws_decoder", ws_decoder),
];

/// The WebSocket decoder, behind the `ws` feature.
#[cfg(feature = "ws")]
fn ws_decoder(data: &[u8]) {
    brisk::fuzzing::ws_decoder(data)
}
#[cfg(not(feature = "ws"))]
fn ws_decoder(_: &[u8]) {}

/// The mock's parser, behind the `mock` feature: nothing to replay
/// without it.
#[cfg(feature = "mock")]
fn multipart_form(data: &[u8]) {
    brisk::fuzzing::multipart_form(data)
}
#[cfg(not(feature = "mock"))]
fn multipart_form(_: &[u8]) {}

/// Targets replayed elsewhere.
const ELSEWHERE: &[&str] = &["chat_delta"];

fn replay(dir: &str) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join(dir);
    let Ok(targets) = std::fs::read_dir(&root) else {
        return 0;
    };
    let mut replayed = 0;
    for target in targets {
        let target = target.unwrap().path();
        let name = target.file_name().unwrap().to_str().unwrap().to_owned();
        if ELSEWHERE.contains(&name.as_str()) {
            continue;
        }
        // Without the feature there is no inflate to replay them on.
        if cfg!(not(feature = "compression")) && name.starts_with("inflate") {
            continue;
        }
        let Some((_, check)) = TARGETS.iter().find(|(t, _)| *t == name) else {
            panic!("fuzz/{dir}/{name}: no such target in tests/fuzz_replay.rs");
        };
        let mut files: Vec<_> = std::fs::read_dir(&target)
            .unwrap()
            .map(|f| f.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).unwrap();
            let run = std::panic::catch_unwind(|| check(&data));
            assert!(run.is_ok(), "{} fails its target's checks", file.display());
            replayed += 1;
        }
    }
    replayed
}

#[test]
fn every_corpus_file_passes_its_targets_checks() {
    let n = replay("corpus");
    assert!(n >= 300, "only {n} corpus files: is fuzz/corpus there?");
}

#[test]
fn every_regression_file_passes_its_targets_checks() {
    let n = replay("regressions");
    assert!(
        n >= 5,
        "only {n} regression files: is fuzz/regressions there?"
    );
}
