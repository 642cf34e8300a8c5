//! Trace and span ids: random, from a fast generator seeded once per
//! thread from the process's entropy (no crate), or from a seed, for
//! tests that want to know the ids in advance.
//!
//! The generator is SplitMix64 (Steele, Lea and Flood, 2014): one add and
//! a few multiply-xorshifts per 64 bits, good statistical quality, and
//! not cryptographic. Trace ids need to be unlikely to collide, not
//! unguessable (the W3C `random` flag promises randomness, not secrecy).

use super::context::{SpanId, TraceId};
use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// Where a tracer's new trace ids and span ids come from. Neither may
/// return an all-zero id.
pub trait IdGenerator: Send + Sync + fmt::Debug {
    /// A new trace id.
    fn trace_id(&self) -> TraceId;
    /// A new span id.
    fn span_id(&self) -> SpanId;
}

/// Random ids (the default): each thread's generator is seeded once from
/// std's `RandomState` (keys the OS gave the process), the clock, and
/// addresses, and then costs a few instructions an id.
#[derive(Clone, Copy, Debug, Default)]
pub struct RandomIds;

thread_local! {
    static STATE: Cell<u64> = Cell::new(thread_seed());
}

/// The golden-ratio increment of SplitMix64.
const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn thread_seed() -> u64 {
    let mut h = RandomState::new().build_hasher();
    let local = 0u8;
    h.write_usize(std::ptr::addr_of!(local) as usize);
    if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(t.as_nanos());
    }
    h.write_u32(std::process::id());
    h.finish()
}

pub(crate) fn next_random() -> u64 {
    STATE.with(|s| {
        let x = s.get().wrapping_add(GAMMA);
        s.set(x);
        mix(x)
    })
}

/// A non-zero value from `next`.
fn nonzero(mut next: impl FnMut() -> u64) -> u64 {
    loop {
        let v = next();
        if v != 0 {
            return v;
        }
    }
}

impl IdGenerator for RandomIds {
    fn trace_id(&self) -> TraceId {
        let (hi, lo) = (next_random(), nonzero(next_random));
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&hi.to_be_bytes());
        id[8..].copy_from_slice(&lo.to_be_bytes());
        TraceId(id)
    }
    fn span_id(&self) -> SpanId {
        SpanId(nonzero(next_random).to_be_bytes())
    }
}

/// Ids from a fixed seed: the same sequence on every run, for tests.
/// Shared by every thread (one atomic counter).
#[derive(Debug)]
pub struct SeededIds {
    counter: AtomicU64,
    seed: u64,
}

impl SeededIds {
    /// A generator whose sequence `seed` fixes.
    pub fn new(seed: u64) -> SeededIds {
        SeededIds {
            counter: AtomicU64::new(0),
            seed,
        }
    }
    fn next(&self) -> u64 {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        mix(self.seed ^ n.wrapping_mul(GAMMA))
    }
}

impl IdGenerator for SeededIds {
    fn trace_id(&self) -> TraceId {
        let (hi, lo) = (self.next(), nonzero(|| self.next()));
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&hi.to_be_bytes());
        id[8..].copy_from_slice(&lo.to_be_bytes());
        TraceId(id)
    }
    fn span_id(&self) -> SpanId {
        SpanId(nonzero(|| self.next()).to_be_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn random_ids_do_not_repeat_and_are_never_zero() {
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            let id = RandomIds.span_id();
            assert!(!id.is_zero());
            assert!(seen.insert(id));
        }
        let a = RandomIds.trace_id();
        let b = RandomIds.trace_id();
        assert!(a != b && !a.is_zero());
    }

    #[test]
    fn threads_get_different_sequences() {
        let here = RandomIds.trace_id();
        let there = std::thread::spawn(|| RandomIds.trace_id()).join().unwrap();
        assert_ne!(here, there);
    }

    #[test]
    fn a_seed_fixes_the_sequence() {
        let (a, b) = (SeededIds::new(7), SeededIds::new(7));
        assert_eq!(a.trace_id(), b.trace_id());
        assert_eq!(a.span_id(), b.span_id());
        assert_ne!(SeededIds::new(8).span_id(), SeededIds::new(7).span_id());
    }
}
