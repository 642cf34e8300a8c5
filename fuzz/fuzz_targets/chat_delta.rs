//! Streamed chat chunks (one JSON text per line) into the reply assembler:
//! never panics, and never holds more than a small factor of its input
//! (the bound is checked in `brisk::fuzzing::chat_delta`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| brisk::fuzzing::chat_delta(data));
