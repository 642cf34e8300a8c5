//! URL parsing, printing, the setters and relative resolution: the checks
//! are in `brisk::fuzzing::url`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| brisk::fuzzing::url(data));
