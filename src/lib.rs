//! brisk (work in progress)
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod base64;
mod client;
mod conn;
mod deadline;
mod error;
pub mod h1;
mod pool;
mod transport;
mod url;

pub use client::{
    Body, Client, ClientBuilder, ClientStats, ClosedCounts, IntoUrl, RedirectPolicy,
    RequestBuilder, Response, StatusCode, Timings,
};
pub use deadline::Timeouts;
pub use error::{Error, Phase, TlsFailure};
pub use h1::{Headers, Version};
#[cfg(feature = "tls")]
pub use transport::tls::Certificate;
pub use url::{Host, Scheme, Url, UrlError};
