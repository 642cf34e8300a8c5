//! `Set-Cookie` fields read, stored in a jar and sent back: the checks are
//! in `brisk::fuzzing::cookie`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| brisk::fuzzing::cookie(data));
