//! Event counts over a sliding window of time, kept in a ring of slots.
//!
//! The retry budget ("how many requests, and how many retries, in the last
//! 10 s?") and the circuit breaker's failure ratio ("how many failures out
//! of how many requests, lately?") both ask the same question. Keeping
//! every event's timestamp would answer it exactly, at a cost that grows
//! with the traffic; a ring of [`SLOTS`] counters, each covering a tenth of
//! the window, answers it in constant space and time.
//!
//! The price is resolution: an event is counted for at least nine tenths of
//! the window and at most the whole window after it happened, depending on
//! where in its slot it fell. For a budget or a ratio that is plenty.
//!
//! Time is passed in (`now`), never read here, so tests drive the clock.

use std::time::{Duration, Instant};

/// How many slots the window is cut into.
pub(crate) const SLOTS: usize = 10;

/// `K` counters (deposits and withdrawals, successes and failures...) over
/// a sliding window.
#[derive(Clone, Debug)]
pub(crate) struct SlidingWindow<const K: usize> {
    /// Slot numbers count slot widths from here.
    origin: Instant,
    /// `window / SLOTS`, never zero.
    width: Duration,
    slots: [Slot<K>; SLOTS],
}

#[derive(Clone, Copy, Debug)]
struct Slot<const K: usize> {
    /// Which slot-width of time since `origin` these counts belong to. A
    /// slot whose tick is not among the last `SLOTS` ticks is stale: it is
    /// skipped when summing and zeroed before it is reused.
    tick: u64,
    counts: [u64; K],
}

impl<const K: usize> SlidingWindow<K> {
    /// An empty window of length `window` (at least `SLOTS` nanoseconds, so
    /// that a slot is never empty of time), starting at `now`.
    pub(crate) fn new(window: Duration, now: Instant) -> Self {
        let width = (window / SLOTS as u32).max(Duration::from_nanos(1));
        SlidingWindow {
            origin: now,
            width,
            slots: [Slot {
                tick: 0,
                counts: [0; K],
            }; SLOTS],
        }
    }

    /// The window's length.
    pub(crate) fn length(&self) -> Duration {
        self.width * SLOTS as u32
    }

    fn tick(&self, now: Instant) -> u64 {
        // An injected clock may go backwards; such a `now` falls in the
        // first slot rather than panicking.
        let since = now.saturating_duration_since(self.origin).as_nanos();
        u64::try_from(since / self.width.as_nanos()).unwrap_or(u64::MAX)
    }

    /// Counts one event of kind `which` at `now`.
    pub(crate) fn add(&mut self, which: usize, now: Instant) {
        let tick = self.tick(now);
        let slot = &mut self.slots[(tick % SLOTS as u64) as usize];
        if slot.tick != tick {
            *slot = Slot {
                tick,
                counts: [0; K],
            };
        }
        slot.counts[which] = slot.counts[which].saturating_add(1);
    }

    /// The counts of each kind over the window that ends at `now`.
    pub(crate) fn sums(&self, now: Instant) -> [u64; K] {
        let tick = self.tick(now);
        let mut sums = [0u64; K];
        for slot in &self.slots {
            // Only the last SLOTS ticks count; a slot from the future (a
            // clock that went backwards) counts too little rather than twice.
            if slot.tick <= tick && tick - slot.tick < SLOTS as u64 {
                for (sum, n) in sums.iter_mut().zip(slot.counts) {
                    *sum = sum.saturating_add(n);
                }
            }
        }
        sums
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_within_the_window_and_forgets_after_it() {
        let t0 = Instant::now();
        let s = Duration::from_secs(1);
        let mut w = SlidingWindow::<2>::new(Duration::from_secs(10), t0);
        assert_eq!(w.length(), Duration::from_secs(10));
        w.add(0, t0);
        w.add(0, t0 + s / 2);
        w.add(1, t0 + 3 * s);
        assert_eq!(w.sums(t0 + 3 * s), [2, 1]);
        // Slot 0 is still inside the window at 9.999 s...
        assert_eq!(w.sums(t0 + 9 * s + s / 2), [2, 1]);
        // ...and out of it from 10 s on.
        assert_eq!(w.sums(t0 + 10 * s), [0, 1]);
        assert_eq!(w.sums(t0 + 13 * s), [0, 0]);
        // A slot reused after a full turn starts from zero.
        w.add(1, t0 + 13 * s);
        assert_eq!(w.sums(t0 + 13 * s), [0, 1]);
    }

    #[test]
    fn a_clock_that_goes_backwards_neither_panics_nor_double_counts() {
        let t0 = Instant::now() + Duration::from_secs(60);
        let mut w = SlidingWindow::<1>::new(Duration::from_secs(10), t0);
        w.add(0, t0 + Duration::from_secs(5));
        assert_eq!(w.sums(t0), [0]);
        w.add(0, t0 - Duration::from_secs(5));
        assert_eq!(w.sums(t0 + Duration::from_secs(5)), [2]);
    }

    #[test]
    fn a_tiny_window_still_has_slots_of_some_width() {
        let t0 = Instant::now();
        let mut w = SlidingWindow::<1>::new(Duration::ZERO, t0);
        w.add(0, t0);
        assert_eq!(w.sums(t0), [1]);
        assert_eq!(w.sums(t0 + Duration::from_millis(1)), [0]);
    }
}
