//! The demo's checks, and how a timing figure is judged on a machine that
//! may be busy.
//!
//! Two kinds of check. A behaviour check looks at what brisk did: attempt
//! counts, circuit transitions, connections opened, a timeout's phase. It
//! holds however slow the machine, and a miss fails the demo. A timing
//! check compares a figure with a bound (a burst within three calls' time,
//! a timeout cut within 50 ms of its deadline). On a machine busy with
//! other work a bound can be missed with brisk at no fault, so a miss is
//! failed only when the machine was not too busy to explain it: while the
//! figure was measured, a [`Probe`] task sleeps 5 ms at a time on the
//! demo's own runtime and adds up how late it wakes. That sum is the time
//! the runtime could not run anything (its threads had no CPU, or were
//! busy with the demo's own work); a miss no larger than it is reported as
//! "machine too busy to judge", not failed.

use crate::console::human;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the probe wakes.
const TICK: Duration = Duration::from_millis(5);
/// Lateness that is only the timer's own resolution (tokio's timer counts
/// whole milliseconds): not counted.
const TIMER_SLACK: Duration = Duration::from_millis(1);

/// Measures, while it runs, how far behind the runtime fell.
pub struct Probe {
    task: tokio::task::JoinHandle<()>,
    /// Lateness past the slack, summed, in microseconds.
    behind_us: Arc<AtomicU64>,
    /// The worst single lateness, in microseconds.
    worst_us: Arc<AtomicU64>,
    started: Instant,
}

impl Probe {
    /// Starts probing on the current runtime.
    pub fn start() -> Probe {
        let behind_us = Arc::new(AtomicU64::new(0));
        let worst_us = Arc::new(AtomicU64::new(0));
        let (behind, worst) = (behind_us.clone(), worst_us.clone());
        let task = tokio::spawn(async move {
            loop {
                let t0 = Instant::now();
                tokio::time::sleep(TICK).await;
                let late = t0.elapsed().saturating_sub(TICK + TIMER_SLACK);
                let us = late.as_micros() as u64;
                behind.fetch_add(us, Ordering::Relaxed);
                worst.fetch_max(us, Ordering::Relaxed);
            }
        });
        Probe {
            task,
            behind_us,
            worst_us,
            started: Instant::now(),
        }
    }

    /// Stops probing and says how busy the machine was meanwhile.
    pub fn stop(self) -> Busy {
        self.task.abort();
        Busy {
            span: self.started.elapsed(),
            behind: Duration::from_micros(self.behind_us.load(Ordering::Relaxed)),
            worst: Duration::from_micros(self.worst_us.load(Ordering::Relaxed)),
        }
    }
}

/// How busy the machine was while a figure was measured.
#[derive(Clone, Copy, Debug, Default)]
pub struct Busy {
    /// How long the measurement ran.
    pub span: Duration,
    /// How far behind the runtime fell in all (the probe's lateness,
    /// summed).
    pub behind: Duration,
    /// The probe's worst single lateness.
    pub worst: Duration,
}

impl Busy {
    /// "the runtime fell 380 ms behind in 412 ms (at worst 40 ms at once)".
    fn describe(&self) -> String {
        format!(
            "the runtime fell {} behind in {} (at worst {} at once)",
            human(self.behind),
            human(self.span),
            human(self.worst)
        )
    }
}

/// A check's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    /// A timing bound missed by no more than the machine's busyness
    /// explains: reported, not failed.
    TooBusy(String),
    Fail,
}

/// Judges a timing figure: `missed_by` is how far past its bound it came
/// (zero when within it).
pub fn timing(missed_by: Duration, busy: Busy) -> Verdict {
    if missed_by.is_zero() {
        Verdict::Ok
    } else if missed_by <= busy.behind {
        Verdict::TooBusy(format!(
            "machine too busy to judge: {}, missed by {}",
            busy.describe(),
            human(missed_by)
        ))
    } else {
        Verdict::Fail
    }
}

/// One line of the checks.
pub struct Check {
    pub behaviour: bool,
    pub verdict: Verdict,
    pub what: String,
}

/// The checks the steps have made, in order.
#[derive(Default)]
pub struct Checks {
    list: Vec<Check>,
}

impl Checks {
    /// A behaviour check: what brisk did, whatever the machine's speed.
    pub fn behaviour(&mut self, ok: bool, what: impl Into<String>) {
        self.list.push(Check {
            behaviour: true,
            verdict: if ok { Verdict::Ok } else { Verdict::Fail },
            what: what.into(),
        });
    }

    /// A timing check: `figure` against `bound`, judged with how busy the
    /// machine was while it was measured.
    pub fn timing(
        &mut self,
        figure: Duration,
        bound: Duration,
        busy: Busy,
        what: impl Into<String>,
    ) {
        self.list.push(Check {
            behaviour: false,
            verdict: timing(figure.saturating_sub(bound), busy),
            what: what.into(),
        });
    }

    /// Prints every check, behaviour first; true if none failed.
    pub fn report(&self) -> bool {
        println!();
        println!("checks: what brisk did (any machine)");
        for c in self.list.iter().filter(|c| c.behaviour) {
            print_check(c);
        }
        println!("checks: timings (a miss the machine's load explains is reported, not failed)");
        for c in self.list.iter().filter(|c| !c.behaviour) {
            print_check(c);
        }
        let failed = self.failed();
        if failed > 0 {
            eprintln!("demo: {failed} check(s) failed");
        }
        failed == 0
    }

    /// How many checks failed.
    pub fn failed(&self) -> usize {
        self.list
            .iter()
            .filter(|c| c.verdict == Verdict::Fail)
            .count()
    }
}

fn print_check(c: &Check) {
    match &c.verdict {
        Verdict::Ok => println!("  ok   {}", c.what),
        Verdict::Fail => println!("  FAIL {}", c.what),
        Verdict::TooBusy(why) => println!("  busy {}: {why}", c.what),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn busy(behind_ms: u64) -> Busy {
        Busy {
            span: Duration::from_millis(400),
            behind: Duration::from_millis(behind_ms),
            worst: Duration::from_millis(behind_ms / 4),
        }
    }

    #[test]
    fn a_figure_within_its_bound_passes_however_busy() {
        assert_eq!(timing(Duration::ZERO, busy(0)), Verdict::Ok);
        assert_eq!(timing(Duration::ZERO, busy(900)), Verdict::Ok);
    }

    #[test]
    fn a_miss_the_load_explains_is_reported_not_failed() {
        let v = timing(Duration::from_millis(50), busy(380));
        let Verdict::TooBusy(why) = v else {
            panic!("{v:?}")
        };
        assert!(why.starts_with("machine too busy to judge"), "{why}");
        assert!(why.contains("380.0 ms behind"), "{why}");
    }

    #[test]
    fn a_miss_on_a_quiet_machine_fails() {
        assert_eq!(timing(Duration::from_millis(50), busy(0)), Verdict::Fail);
        assert_eq!(timing(Duration::from_millis(50), busy(49)), Verdict::Fail);
    }

    // One thread: blocking the test's body blocks the probe's task too.
    #[tokio::test(flavor = "current_thread")]
    async fn the_probe_sees_a_blocked_runtime() {
        let probe = Probe::start();
        tokio::time::sleep(Duration::from_millis(20)).await;
        // The probe cannot run meanwhile.
        std::thread::sleep(Duration::from_millis(200));
        tokio::time::sleep(Duration::from_millis(20)).await;
        let busy = probe.stop();
        assert!(busy.behind >= Duration::from_millis(150), "{busy:?}");
    }
}
