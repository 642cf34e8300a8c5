//! Shared helpers for the integration tests (`mod support;`).
#![allow(dead_code)]

pub mod certs;
pub mod fault;
pub mod nginx;
pub mod process;
pub mod server;
pub mod tinyproxy;

/// GETs `url` and returns the body, panicking on any error: for tests
/// where the request is not what is under test.
pub async fn fetch(client: &brisk::Client, url: impl brisk::IntoUrl) -> Vec<u8> {
    client.get(url).send().await.unwrap().bytes().await.unwrap()
}
