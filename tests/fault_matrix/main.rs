//! The fault matrix: every fault of `support::fault`, plain and over TLS,
//! met by one attempt with retries off (`one_attempt`: the typed error a
//! user would expect, or the recovery) and by the default retry policy
//! (`retried`: what it may ride through, and what it must not).

#[path = "../support/mod.rs"]
mod support;

mod one_attempt;
mod retried;

/// Both tests count the process's open descriptors, so neither may run
/// beside the other: each holds this lock throughout.
static DESCRIPTORS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
