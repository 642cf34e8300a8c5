//! The mock server's multipart/form-data parser on arbitrary bodies and
//! boundaries: the checks are in `brisk::fuzzing::multipart_form`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| brisk::fuzzing::multipart_form(data));
