//! The fault matrix: every fault of `support::fault`, plain and over TLS,
//! met by one attempt with retries off (`one_attempt`: the typed error a
//! user would expect, or the recovery) and by the default retry policy
//! (`retried`: what it may ride through, and what it must not).

#[path = "../support/mod.rs"]
mod support;

mod one_attempt;
mod retried;

/// Both tests count the process's open descriptors, so neither may run
/// beside the other, nor beside the other's runtime: each takes this lock
/// before it builds its runtime (a `#[tokio::test]` builds one, with its
/// own descriptors, before the test's first line), and drops the runtime
/// before the lock.
static DESCRIPTORS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `test` alone (see [`DESCRIPTORS`]) on a runtime of its own.
fn alone(test: impl std::future::Future<Output = ()>) {
    let _alone = DESCRIPTORS.lock().unwrap_or_else(|p| p.into_inner());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(test);
}
