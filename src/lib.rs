//! brisk (work in progress)
#![forbid(unsafe_code)]
#![deny(missing_docs)]
pub mod h1;
mod url;
pub use url::{Host, Scheme, Url, UrlError};
