//! Support code for brisk's benchmarks: the loopback server, the clients
//! under comparison, and the measuring instruments. The binaries are
//! `server`, `compare` (one workload, one client, one JSON line) and
//! `summary` (JSON lines in, markdown table out); `benches/parse.rs` is the
//! criterion parser bench. See README.md.

pub mod alloc_count;
#[cfg(feature = "brisk-client")]
pub mod brisk_client;
pub mod clients;
pub mod measure;
pub mod server;
