//! The keep-alive pool: idle connections by origin, per-host limits, a FIFO
//! of waiters, and the counters behind `Client::stats`.
//!
//! The pool never parses and never does I/O beyond a non-blocking
//! liveness check of an idle socket. Its one invariant: for each host,
//! `open` counts every connection that exists (idle, in use, or being
//! opened) and never exceeds the limit. A [`Slot`] is the right to one of
//! those places; dropping it (with its connection) gives the place back,
//! to the first waiter if there is one.
//!
//! Connections are keyed by origin (`scheme://host:port`). A pool belongs
//! to one client, and a client has one TLS configuration, so a connection
//! made under one TLS configuration is never reused under another.
//!
//! Connections stay boxed (`Box<Conn>`) inside the pool's lists too: they
//! move between pool, request and response on every call, and a box
//! moves as one pointer.
#![allow(clippy::vec_box)]

use crate::conn::Conn;
use crate::deadline::Deadline;
use crate::error::{Error, Kind, Phase};
use crate::guard::{lock, GuardConfig, HostGuard};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::Instant;

/// Pool settings.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PoolConfig {
    pub(crate) max_idle_per_host: usize,
    pub(crate) max_per_host: usize,
    pub(crate) idle_timeout: Duration,
    /// Each host's retry budget and circuit breaker are made from this.
    pub(crate) guard: GuardConfig,
}

/// Why the pool closed a connection (counted in `ClientStats::closed`).
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
    /// Retries after a delay, by the policy.
    pub(crate) retries: AtomicU64,
    /// Free re-sends on a fresh connection.
    pub(crate) resends: AtomicU64,
    /// Retries the host's budget refused.
    pub(crate) budget_refused: AtomicU64,
    /// Requests refused by an open circuit.
    pub(crate) circuit_rejected: AtomicU64,
    /// Times a circuit opened.
    pub(crate) circuit_opened: AtomicU64,
}

impl Counters {
    pub(crate) fn closed(&self, reason: CloseReason) {
        self.closed[reason as usize].fetch_add(1, Ordering::Relaxed);
    }
}

/// What a caller gets from the pool.
pub(crate) enum Grant {
    /// An idle connection to reuse.
    Reuse(Box<Conn>, Slot),
    /// A place to open a new connection in.
    Open(Slot),
}

pub(crate) struct Pool {
    config: PoolConfig,
    counters: Arc<Counters>,
    hosts: Mutex<Hosts>,
}

#[derive(Default)]
struct Hosts {
    map: HashMap<String, Arc<HostEntry>>,
    /// When the next sweep of every host is due.
    next_sweep: Option<Instant>,
}

/// One origin's connections, with its own lock, and its retry budget and
/// circuit breaker (which the pool keeps but never uses).
pub(crate) struct HostEntry {
    state: Mutex<HostState>,
    counters: Arc<Counters>,
    guard: Option<HostGuard>,
}

impl HostEntry {
    /// The host's retry budget and circuit breaker, if the client has
    /// either.
    pub(crate) fn guard(&self) -> Option<&HostGuard> {
        self.guard.as_ref()
    }
}

#[derive(Default)]
struct HostState {
    /// Idle connections, most recently used last.
    idle: Vec<(Box<Conn>, Instant)>,
    /// No idle connection expires before this (it may be earlier than the
    /// first real expiry, never later): until then a checkout need not
    /// look at the idle connections' clocks. `None`: none expires.
    next_expiry: Option<Instant>,
    open: usize,
    waiters: VecDeque<oneshot::Sender<Grant>>,
}

/// The right to one connection's place under a host's limit.
pub(crate) struct Slot {
    host: Option<Arc<HostEntry>>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(host) = self.host.take() {
            let mut state = lock(&host.state);
            release(&host, &mut state);
        }
    }
}

impl Slot {
    fn new(host: &Arc<HostEntry>) -> Slot {
        Slot {
            host: Some(host.clone()),
        }
    }

    /// Gives up the place without going through the pool (used while the
    /// host lock is held, where dropping normally would deadlock).
    fn disarm(mut self) {
        self.host = None;
    }
}

/// Hands a freed place to the first waiter still waiting, or frees it.
/// Called with the host lock held.
fn release(host: &Arc<HostEntry>, state: &mut HostState) {
    while let Some(waiter) = state.waiters.pop_front() {
        match waiter.send(Grant::Open(Slot::new(host))) {
            Ok(()) => return,
            Err(Grant::Open(slot) | Grant::Reuse(_, slot)) => slot.disarm(),
        }
    }
    state.open -= 1;
}

impl Pool {
    pub(crate) fn new(config: PoolConfig, counters: Arc<Counters>) -> Pool {
        Pool {
            config,
            counters,
            hosts: Mutex::new(Hosts::default()),
        }
    }

    /// The entry for `origin`, created on first use: what
    /// [`Pool::checkout`] takes, and the host's guard. Also, at most once a
    /// second, closes expired idle connections of every host and forgets
    /// hosts with nothing left (no connection, no one holding the entry,
    /// a quiet guard), so idle sockets and state do not linger for hosts no
    /// longer called.
    pub(crate) fn host(&self, origin: &str, now: Instant) -> Arc<HostEntry> {
        let mut dead = Vec::new();
        let entry = {
            let mut hosts = lock(&self.hosts);
            if hosts.next_sweep.is_none_or(|t| now >= t) {
                hosts.next_sweep = now.checked_add(Duration::from_secs(1));
                let wall = now.into_std();
                hosts.map.retain(|_, host| {
                    let mut state = lock(&host.state);
                    self.expire(host, &mut state, now, &mut dead);
                    state.open > 0
                        || Arc::strong_count(host) > 1
                        || host.guard.as_ref().is_some_and(|g| !g.is_quiet(wall))
                });
            }
            match hosts.map.get(origin) {
                Some(entry) => entry.clone(),
                None => {
                    let entry = Arc::new(HostEntry {
                        state: Mutex::new(HostState::default()),
                        counters: self.counters.clone(),
                        guard: HostGuard::new(self.config.guard, now.into_std()),
                    });
                    hosts.map.insert(origin.to_string(), entry.clone());
                    entry
                }
            }
        };
        drop(dead);
        entry
    }

    /// Moves idle connections past their idle timeout or the server's
    /// keep-alive promise to `dead`; each freed place goes to the first
    /// waiter, if any.
    fn expire(
        &self,
        host: &Arc<HostEntry>,
        state: &mut HostState,
        now: Instant,
        dead: &mut Vec<Box<Conn>>,
    ) {
        let idle_timeout = self.config.idle_timeout;
        if state.next_expiry.is_none_or(|t| now < t) {
            return;
        }
        let before = state.idle.len();
        let counters = &self.counters;
        let gone = state.idle.extract_if(.., |(conn, since)| {
            match expired(conn, *since, now, idle_timeout) {
                None => false,
                Some(reason) => {
                    counters.closed(reason);
                    true
                }
            }
        });
        dead.extend(gone.map(|(conn, _)| conn));
        state.next_expiry = state
            .idle
            .iter()
            .filter_map(|(conn, since)| expiry(conn, *since, idle_timeout))
            .min();
        for _ in state.idle.len()..before {
            release(host, state);
        }
    }

    /// The host's entry, if it has one now (for stats).
    pub(crate) fn existing_host(&self, origin: &str) -> Option<Arc<HostEntry>> {
        lock(&self.hosts).map.get(origin).cloned()
    }

    /// An idle connection to `host` if a live one exists (unless
    /// `fresh`), else a place to open one, else a wait (FIFO, bounded by
    /// the pool-wait budget).
    /// `now` is the caller's clock reading, taken once per attempt.
    pub(crate) async fn checkout(
        &self,
        host: &Arc<HostEntry>,
        fresh: bool,
        deadline: &Deadline,
        now: Instant,
    ) -> Result<Grant, Error> {
        let mut dead = Vec::new();
        let waiting = {
            let mut state = lock(&host.state);
            self.expire(host, &mut state, now, &mut dead);
            let mut found = None;
            // Every idle connection is checked before it is reused, however
            // recently it came back: a server that closed it, or sent
            // something unasked, must never get the request. The check is
            // one non-blocking peek (see `Stream::is_idle_and_open`).
            while let Some((mut conn, _)) = if fresh { None } else { state.idle.pop() } {
                if conn.is_reusable() {
                    found = Some(conn);
                    break;
                }
                self.counters.closed(CloseReason::ServerClosed);
                dead.push(conn);
                release(host, &mut state);
            }
            if let Some(conn) = found {
                return Ok(Grant::Reuse(conn, Slot::new(host)));
            }
            if state.open >= self.config.max_per_host && fresh && !state.idle.is_empty() {
                // A fresh connection at the limit: the oldest idle one gives
                // up its place rather than have this request wait behind a
                // connection it will not use.
                let (conn, _) = state.idle.remove(0);
                self.counters.closed(CloseReason::PoolFull);
                dead.push(conn);
                state.open -= 1;
            }
            if state.open < self.config.max_per_host {
                state.open += 1;
                return Ok(Grant::Open(Slot::new(host)));
            }
            let (tx, rx) = oneshot::channel();
            state.waiters.push_back(tx);
            rx
        };
        drop(dead);
        deadline
            .run(Phase::PoolWait, async {
                waiting.await.map_err(|_| {
                    Error::new(Kind::Io)
                        .with_phase(Phase::PoolWait)
                        .with_source("pool closed")
                })
            })
            .await
    }

    /// Returns a connection after a complete response: `Ok` if it may be
    /// reused (the caller has checked [`Conn::is_clean`]), else why it is
    /// closed. A reusable connection goes to the first waiter (checked with
    /// [`Conn::is_reusable`] first), else to the idle list (up to its
    /// limit), to be checked when it is taken.
    /// Takes a connection back at `now` (the caller's clock reading, when
    /// it has one anyway).
    pub(crate) fn checkin(
        &self,
        mut conn: Box<Conn>,
        slot: Slot,
        keep: Result<(), CloseReason>,
        now: Instant,
    ) {
        if let Err(reason) = keep {
            self.counters.closed(reason);
            drop(conn);
            drop(slot);
            return;
        }
        let Some(host) = slot.host.clone() else {
            return;
        };
        let mut state = lock(&host.state);
        // A waiter gets the connection at once, so it is checked now as the
        // idle path checks at checkout.
        if !state.waiters.is_empty() && !conn.is_reusable() {
            self.counters.closed(CloseReason::ServerClosed);
            slot.disarm();
            release(&host, &mut state);
            drop(state);
            drop(conn);
            return;
        }
        while let Some(waiter) = state.waiters.pop_front() {
            match waiter.send(Grant::Reuse(conn, Slot::new(&host))) {
                Ok(()) => {
                    slot.disarm();
                    return;
                }
                Err(Grant::Reuse(back, handed)) => {
                    handed.disarm();
                    conn = back;
                }
                Err(Grant::Open(handed)) => {
                    // Not reachable: Reuse was sent. Keep the books right.
                    handed.disarm();
                    slot.disarm();
                    state.open -= 1;
                    return;
                }
            }
        }
        slot.disarm();
        if state.idle.len() < self.config.max_idle_per_host {
            if let Some(at) = expiry(&conn, now, self.config.idle_timeout) {
                state.next_expiry = Some(state.next_expiry.map_or(at, |t| t.min(at)));
            }
            state.idle.push((conn, now));
        } else {
            host.counters.closed(CloseReason::PoolFull);
            release(&host, &mut state);
            drop(state);
            drop(conn);
        }
    }

    /// Idle connections now, over all hosts.
    pub(crate) fn idle_count(&self) -> usize {
        let hosts = lock(&self.hosts);
        hosts.map.values().map(|h| lock(&h.state).idle.len()).sum()
    }
}

/// When a connection idle since `since` stops being usable: at its idle
/// timeout, or at the server's keep-alive promise if that comes first.
fn expiry(conn: &Conn, since: Instant, idle_timeout: Duration) -> Option<Instant> {
    let idle = since.checked_add(idle_timeout);
    match (idle, conn.keep_alive_until) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Why an idle connection may no longer be used, by the clock alone.
fn expired(
    conn: &Conn,
    since: Instant,
    now: Instant,
    idle_timeout: Duration,
) -> Option<CloseReason> {
    if now.duration_since(since) >= idle_timeout {
        Some(CloseReason::IdleTimeout)
    } else if conn.keep_alive_until.is_some_and(|t| now >= t) {
        Some(CloseReason::KeepAliveExpired)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deadline::{Budget, Budgets};
    use crate::h1::Limits;
    use crate::transport::Stream;
    use tokio::net::{TcpListener, TcpStream};

    /// A real loopback connection, wrapped as brisk wraps one.
    async fn conn(listener: &TcpListener) -> (Box<Conn>, TcpStream) {
        let addr = listener.local_addr().unwrap();
        let (client, server) = tokio::join!(TcpStream::connect(addr), listener.accept());
        let client = client.unwrap();
        let conn = Conn::new(Stream::Tcp(client), addr, Limits::default());
        (Box::new(conn), server.unwrap().0)
    }

    fn pool(max_per_host: usize) -> Pool {
        let config = PoolConfig {
            max_idle_per_host: usize::MAX,
            max_per_host,
            idle_timeout: Duration::from_secs(90),
            guard: GuardConfig::default(),
        };
        Pool::new(config, Arc::new(Counters::default()))
    }

    fn deadline() -> Deadline {
        let mut b = Budgets::default();
        b.set(Budget::PoolWait, Some(Duration::from_millis(300)));
        Deadline::start(b)
    }

    #[tokio::test]
    async fn a_fresh_checkout_at_the_limit_does_not_wait_behind_an_idle_connection() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let pool = pool(1);
        let Grant::Open(slot) = pool
            .checkout(
                &pool.host("o", Instant::now()),
                false,
                &deadline(),
                Instant::now(),
            )
            .await
            .unwrap()
        else {
            panic!("expected a place");
        };
        let (c, _server) = conn(&listener).await;
        pool.checkin(c, slot, Ok(()), Instant::now());
        assert_eq!(pool.idle_count(), 1);
        // The retry path asks for a fresh connection; the idle one gives
        // up its place instead of making it wait out the pool-wait budget.
        let grant = pool
            .checkout(
                &pool.host("o", Instant::now()),
                true,
                &deadline(),
                Instant::now(),
            )
            .await;
        assert!(
            matches!(grant, Ok(Grant::Open(_))),
            "waited behind an idle connection"
        );
        assert_eq!(pool.idle_count(), 0);
    }

    #[tokio::test]
    async fn places_freed_by_expiry_or_dead_idle_connections_go_to_waiters() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        for dead in [false, true] {
            let mut pool = pool(1);
            pool.config.idle_timeout = Duration::from_millis(50);
            let Grant::Open(slot) = pool
                .checkout(
                    &pool.host("o", Instant::now()),
                    false,
                    &deadline(),
                    Instant::now(),
                )
                .await
                .unwrap()
            else {
                panic!("expected a place");
            };
            let (c, server) = conn(&listener).await;
            pool.checkin(c, slot, Ok(()), Instant::now());
            // A waiter queued while the connection is idle (as the fresh
            // path could before it learned to evict).
            let (tx, mut rx) = oneshot::channel();
            let host = pool.host("o", Instant::now());
            lock(&host.state).waiters.push_back(tx);
            if dead {
                drop(server);
                tokio::time::sleep(Duration::from_millis(20)).await;
            } else {
                tokio::time::sleep(Duration::from_millis(60)).await;
            }
            // Any checkout sweeps the host: the freed place must reach the
            // waiter, not vanish from the books.
            let _ = pool
                .checkout(
                    &pool.host("o", Instant::now()),
                    false,
                    &deadline(),
                    Instant::now(),
                )
                .await;
            assert!(matches!(rx.try_recv(), Ok(Grant::Open(_))), "dead: {dead}");
        }
    }
}
