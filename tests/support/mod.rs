#![allow(dead_code)]
//! Shared helpers for the integration tests (`mod support;`).

pub mod certs;
pub mod nginx;
