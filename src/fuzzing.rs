//! Entry points for the fuzz targets in `fuzz/` (hidden from the docs; not
//! a stable API). Each function takes the fuzzer's bytes, drives one part
//! of the library with them, and panics only where an invariant breaks, so
//! that `cargo fuzz` reports it. The same functions replay the seed
//! corpora in `cargo test`, on stable Rust.

mod h1;
mod request;
mod sse;
mod url;

pub use self::h1::{chunked, read_head, response_head, response_stream, HeadReading};
pub use self::request::{request_encode, FuzzRequest};
pub use self::sse::sse;
pub use self::url::url;
