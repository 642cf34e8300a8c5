//! Shared helpers for the integration tests (`mod support;`).
#![allow(dead_code)]

pub mod certs;
pub mod fault;
pub mod nginx;
pub mod process;
pub mod server;
pub mod temp_dir;
pub mod tinyproxy;
#[cfg(feature = "ws")]
pub mod ws;

/// GETs `url` and returns the body, panicking on any error: for tests
/// where the request is not what is under test.
pub async fn fetch(client: &brisk::Client, url: impl brisk::IntoUrl) -> Vec<u8> {
    client.get(url).send().await.unwrap().bytes().await.unwrap()
}

/// A client that reads its proxy settings from `vars` only (never from
/// the process's environment), with retries off.
pub fn env_client(vars: &[(&str, String)]) -> brisk::Client {
    let map: std::collections::HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    brisk::Client::builder()
        .proxy_env_lookup(move |name| map.get(name).cloned())
        .retry(brisk::RetryPolicy::none())
        .build()
        .unwrap()
}
