//! The keep-alive pool: idle connections by origin, per-host limits, a FIFO
//! of waiters, and the counters behind `Client::stats`.
//!
//! The pool never parses and never does I/O beyond a non-blocking
//! liveness check of an idle socket. Its one invariant: for each host,
//! `open` counts every connection that exists (idle, in use, or being
//! opened) and never exceeds the limit. A [`Slot`] is the right to one of
//! those places; dropping it (with its connection) gives the place back,
//! to the first waiter if there is one.

use crate::conn::Conn;
use crate::error::{Error, Phase};
use crate::url::{Host, Scheme};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::Instant;

/// What a pooled connection is for: it is only ever reused for the same
/// scheme, host, port and TLS configuration.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    pub(crate) scheme: Scheme,
    pub(crate) host: Host,
    pub(crate) port: u16,
    /// Identifies the TLS configuration the connection was made under.
    pub(crate) tls_id: u64,
}

/// Pool settings.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PoolConfig {
    pub(crate) max_idle_per_host: usize,
    pub(crate) max_per_host: usize,
    pub(crate) idle_timeout: Duration,
}

/// Why the pool closed a connection; see [`ClosedCounts`](crate::ClosedCounts).
#[derive(Clone, Copy, Debug)]
pub(crate) enum CloseReason {
    NotReusable = 0,
    IdleTimeout = 1,
    KeepAliveExpired = 2,
    ServerClosed = 3,
    PoolFull = 4,
    Error = 5,
    Abandoned = 6,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) opened: AtomicU64,
    pub(crate) requests: AtomicU64,
    pub(crate) reused: AtomicU64,
    pub(crate) closed: [AtomicU64; 7],
}

impl Counters {
    pub(crate) fn closed(&self, reason: CloseReason) {
        self.closed[reason as usize].fetch_add(1, Ordering::Relaxed);
    }
}

/// What a caller gets from the pool.
// Moved once per request; boxing the connection would cost an allocation.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Grant {
    /// An idle connection to reuse.
    Reuse(Conn, Slot),
    /// A place to open a new connection in.
    Open(Slot),
}

pub(crate) struct Pool {
    shared: Arc<Shared>,
}

struct Shared {
    config: PoolConfig,
    hosts: Mutex<Hosts>,
    counters: Arc<Counters>,
}

#[derive(Default)]
struct Hosts {
    map: HashMap<Key, HostState>,
    last_sweep: Option<Instant>,
}

#[derive(Default)]
struct HostState {
    idle: Vec<(Conn, Instant)>,
    open: usize,
    waiters: VecDeque<oneshot::Sender<Grant>>,
}

/// The right to one connection's place under a host's limit.
pub(crate) struct Slot {
    shared: Option<Arc<Shared>>,
    key: Key,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.take() {
            let mut hosts = shared.lock();
            release(&shared, &mut hosts, &self.key);
        }
    }
}

impl Slot {
    /// Gives up the place without going through the pool (used while the
    /// pool lock is held, where dropping normally would deadlock).
    fn disarm(mut self) {
        self.shared = None;
    }
}

/// Hands a freed place to the first waiter still waiting, or frees it.
/// Called with the lock held.
fn release(shared: &Arc<Shared>, hosts: &mut Hosts, key: &Key) {
    let Some(host) = hosts.map.get_mut(key) else {
        return;
    };
    while let Some(waiter) = host.waiters.pop_front() {
        let slot = Slot {
            shared: Some(shared.clone()),
            key: key.clone(),
        };
        match waiter.send(Grant::Open(slot)) {
            Ok(()) => return,
            Err(Grant::Open(slot) | Grant::Reuse(_, slot)) => slot.disarm(),
        }
    }
    host.open -= 1;
    if host.open == 0 && host.idle.is_empty() {
        hosts.map.remove(key);
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Hosts> {
        // A panic elsewhere while holding the lock cannot leave the counts
        // half-updated in a way that matters more than losing the pool.
        self.hosts.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Pool {
    pub(crate) fn new(config: PoolConfig, counters: Arc<Counters>) -> Pool {
        Pool {
            shared: Arc::new(Shared {
                config,
                hosts: Mutex::new(Hosts::default()),
                counters,
            }),
        }
    }

    /// An idle connection for `key` if a live one exists, else a place to
    /// open one, else a wait (FIFO, bounded by the pool-wait budget).
    pub(crate) async fn checkout(
        &self,
        key: &Key,
        deadline: &crate::deadline::Deadline,
    ) -> Result<Grant, Error> {
        let shared = &self.shared;
        let mut dead = Vec::new();
        let waiting = {
            let mut hosts = shared.lock();
            let now = Instant::now();
            sweep(shared, &mut hosts, now, &mut dead);
            let host = hosts.map.entry(key.clone()).or_default();
            let mut found = None;
            while let Some((mut conn, since)) = host.idle.pop() {
                match check_idle(&mut conn, since, now, shared.config.idle_timeout) {
                    None => {
                        found = Some(conn);
                        break;
                    }
                    Some(reason) => {
                        shared.counters.closed(reason);
                        dead.push(conn);
                        host.open -= 1;
                    }
                }
            }
            let slot = || Slot {
                shared: Some(shared.clone()),
                key: key.clone(),
            };
            if let Some(conn) = found {
                return Ok(Grant::Reuse(conn, slot()));
            }
            if host.open < shared.config.max_per_host {
                host.open += 1;
                return Ok(Grant::Open(slot()));
            }
            let (tx, rx) = oneshot::channel();
            host.waiters.push_back(tx);
            rx
        };
        drop(dead);
        deadline
            .run(Phase::PoolWait, async {
                waiting.await.map_err(|_| {
                    Error::new(crate::error::Kind::Io)
                        .with_phase(Phase::PoolWait)
                        .with_source("pool closed")
                })
            })
            .await
    }

    /// Returns a connection after a complete response. It is kept only if
    /// `reusable`; a waiter gets it first, then the idle list (up to its
    /// limit).
    pub(crate) fn checkin(&self, mut conn: Conn, slot: Slot, reusable: bool) {
        let shared = &self.shared;
        if !reusable {
            shared.counters.closed(CloseReason::NotReusable);
            drop(conn);
            drop(slot);
            return;
        }
        let mut dead = Vec::new();
        let mut hosts = shared.lock();
        let key = slot.key.clone();
        let Some(host) = hosts.map.get_mut(&key) else {
            drop(hosts);
            drop(slot);
            return;
        };
        while let Some(waiter) = host.waiters.pop_front() {
            let handed = Slot {
                shared: Some(shared.clone()),
                key: key.clone(),
            };
            match waiter.send(Grant::Reuse(conn, handed)) {
                Ok(()) => {
                    slot.disarm();
                    return;
                }
                Err(Grant::Reuse(back, handed)) => {
                    handed.disarm();
                    conn = back;
                }
                Err(Grant::Open(handed)) => {
                    // Not reachable: we sent Reuse. Keep the books right.
                    handed.disarm();
                    slot.disarm();
                    host.open -= 1;
                    return;
                }
            }
        }
        if host.idle.len() < shared.config.max_idle_per_host {
            host.idle.push((conn, Instant::now()));
            slot.disarm();
        } else {
            shared.counters.closed(CloseReason::PoolFull);
            dead.push(conn);
            slot.disarm();
            release(shared, &mut hosts, &key);
        }
        drop(hosts);
        drop(dead);
    }

    /// Idle connections now, over all hosts.
    pub(crate) fn idle_count(&self) -> usize {
        self.shared.lock().map.values().map(|h| h.idle.len()).sum()
    }
}

/// Why an idle connection may not be reused, or `None` if it may.
fn check_idle(
    conn: &mut Conn,
    since: Instant,
    now: Instant,
    idle_timeout: Duration,
) -> Option<CloseReason> {
    if now.duration_since(since) >= idle_timeout {
        Some(CloseReason::IdleTimeout)
    } else if conn.keep_alive_until.is_some_and(|t| now >= t) {
        Some(CloseReason::KeepAliveExpired)
    } else if !conn.is_reusable(now) {
        Some(CloseReason::ServerClosed)
    } else {
        None
    }
}

/// At most once a second, closes idle connections that have expired on
/// every host, so that idle sockets do not linger for hosts no longer
/// called.
fn sweep(shared: &Arc<Shared>, hosts: &mut Hosts, now: Instant, dead: &mut Vec<Conn>) {
    if hosts
        .last_sweep
        .is_some_and(|t| now.duration_since(t) < Duration::from_secs(1))
    {
        return;
    }
    hosts.last_sweep = Some(now);
    let idle_timeout = shared.config.idle_timeout;
    hosts.map.retain(|_, host| {
        let before = host.idle.len();
        let mut kept = Vec::with_capacity(before);
        for (conn, since) in host.idle.drain(..) {
            let expired = if now.duration_since(since) >= idle_timeout {
                Some(CloseReason::IdleTimeout)
            } else if conn.keep_alive_until.is_some_and(|t| now >= t) {
                Some(CloseReason::KeepAliveExpired)
            } else {
                None
            };
            match expired {
                Some(reason) => {
                    shared.counters.closed(reason);
                    dead.push(conn);
                }
                None => kept.push((conn, since)),
            }
        }
        host.open -= before - kept.len();
        host.idle = kept;
        host.open > 0 || !host.waiters.is_empty()
    });
}
