//! The head parser on arbitrary bytes, whole, resumed and on prefixes: the
//! checks are in `brisk::fuzzing::response_head`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| brisk::fuzzing::response_head(data));
