//! The event-stream parser on arbitrary bytes, whole and in pieces: the
//! checks are in `brisk::fuzzing::sse`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| brisk::fuzzing::sse(data));
