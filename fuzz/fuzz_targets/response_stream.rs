//! The response decoder on arbitrary bytes, in pieces and whole: the
//! checks are in `brisk::fuzzing::response_stream`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| brisk::fuzzing::response_stream(data));
