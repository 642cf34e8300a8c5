//! The chunked decoder on arbitrary bodies, in pieces and whole, and
//! against the plainest reading of the grammar: the checks are in
//! `brisk::fuzzing::chunked`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| brisk::fuzzing::chunked(data));
