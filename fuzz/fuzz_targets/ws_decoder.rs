//! The WebSocket frame and message decoder on arbitrary server bytes,
//! whole, split and in pieces: the checks are in
//! `brisk::fuzzing::ws_decoder`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| brisk::fuzzing::ws_decoder(data));
