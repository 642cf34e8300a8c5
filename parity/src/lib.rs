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
