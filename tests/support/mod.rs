//! Shared helpers for the integration tests (`mod support;`).
#![allow(dead_code)]

pub mod certs;
pub mod nginx;
pub mod server;
