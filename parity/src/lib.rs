//! Everyday reqwest code, compiled against brisk. See README.md.
#![allow(unused, clippy::all)]

#[cfg(not(feature = "oracle"))]
extern crate brisk as client;
#[cfg(feature = "oracle")]
extern crate reqwest as client;

/// A user's own type, as everyday code derives it.
#[derive(serde::Serialize, serde::Deserialize, Default, Debug)]
pub struct Payload {
    pub name: String,
    pub n: u32,
    pub tag: Option<String>,
}

/// One function per line of `uses.txt` (written by build.rs).
pub mod uses {
    use super::Payload;
    use crate::client as reqwest;
    use std::collections::HashMap;
    use std::time::Duration;
    include!(concat!(env!("OUT_DIR"), "/uses.rs"));
}

/// The eight everyday programs (programs/README.md): the reqwest originals
/// under the oracle, their brisk ports otherwise.
#[cfg_attr(feature = "oracle", path = "../programs/reqwest")]
#[cfg_attr(not(feature = "oracle"), path = "../programs/brisk")]
pub mod programs {
    pub mod p1_get_text;
    pub mod p2_chat_json;
    pub mod p3_client_defaults;
    pub mod p4_query_form;
    pub mod p5_errors;
    pub mod p6_download;
    pub mod p7_concurrent;
    pub mod p8_reuse_proxy;
}
