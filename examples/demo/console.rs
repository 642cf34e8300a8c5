//! What the demo prints besides its figures: step headings, the live
//! progress line, durations in readable units, and what the process can
//! tell about itself (peak memory, its open-file limit).

use std::future::Future;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Prints a step's heading.
pub fn heading(n: u32, title: &str) {
    println!();
    println!("{n}. {title}");
    println!("{}", "-".repeat(title.len() + 3));
}

/// Awaits `work` while a line counts the calls `done` says have finished:
/// redrawn in place every 100 ms on a terminal; otherwise (a CI log, a
/// pipe: no carriage returns) a plain line when [`ProgressLines`] says so.
/// The line is erased when `work` ends, so the step's own result line takes
/// its place.
pub async fn with_progress<T>(
    label: &str,
    total: usize,
    done: &AtomicUsize,
    work: impl Future<Output = T>,
) -> T {
    let tty = std::io::stdout().is_terminal();
    let every = Duration::from_millis(if tty { 100 } else { 20 });
    let start = Instant::now();
    let mut lines = ProgressLines::new(label, total);
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tokio::pin!(work);
    let out = loop {
        tokio::select! {
            out = &mut work => break out,
            _ = ticks.tick() => {
                let now = start.elapsed();
                let count = done.load(Ordering::Relaxed);
                if tty {
                    print!("\r\x1b[2K{}", lines.line(count, now));
                    let _ = std::io::stdout().flush();
                } else if let Some(line) = lines.poll(count, now) {
                    println!("{line}");
                }
            }
        }
    };
    if tty {
        print!("\r\x1b[2K");
        let _ = std::io::stdout().flush();
    }
    out
}

/// When a log without carriage returns gets a progress line: when the
/// count has moved and a second has passed since the last line, or after
/// five seconds without news. A line printed on a fixed second races the
/// calls that end on that second (a serial run of 1 s calls showed
/// `0/10 done, 1.0 s` … `9/10 done, 10.0 s`); one printed as the count
/// moves says `1/10 done, 1.0 s`.
pub struct ProgressLines {
    label: String,
    total: usize,
    /// When the last line was printed, and the count it showed.
    last: Option<(Duration, usize)>,
}

impl ProgressLines {
    /// A stretch with `total` calls to go.
    pub fn new(label: &str, total: usize) -> ProgressLines {
        ProgressLines {
            label: label.to_string(),
            total,
            last: None,
        }
    }

    /// The line to print now, if any, given `done` calls `elapsed` into
    /// the stretch.
    pub fn poll(&mut self, done: usize, elapsed: Duration) -> Option<String> {
        let (since, shown) = self.last.unwrap_or((Duration::ZERO, 0));
        let waited = elapsed.saturating_sub(since);
        let news = done != shown && waited >= Duration::from_secs(1);
        let quiet = waited >= Duration::from_secs(5);
        if !(news || quiet) {
            return None;
        }
        self.last = Some((elapsed, done));
        Some(self.line(done, elapsed))
    }

    /// `   serial: 3/10 done, 3.0 s`.
    pub fn line(&self, done: usize, elapsed: Duration) -> String {
        format!(
            "   {}: {done}/{} done, {:.1} s",
            self.label,
            self.total,
            elapsed.as_secs_f64()
        )
    }
}

/// A duration in the unit that reads best: `3 µs`, `1.8 ms`, `1.004 s`.
pub fn human(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        format!("{s:.3} s")
    } else if s >= 0.001 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{:.0} µs", s * 1e6)
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The process's peak resident memory (`VmHWM` in `/proc/self/status`),
/// in bytes; `None` where there is no such file (macOS, Windows).
pub fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Peak memory as `17.2 MiB`, or `n/a`.
pub fn peak_memory_text() -> String {
    match peak_memory() {
        Some(b) => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
        None => "n/a (no /proc/self/status here)".to_string(),
    }
}

/// The soft limit on open files (`/proc/self/limits`), where known.
pub fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line
        .trim_start_matches("Max open files")
        .split_whitespace()
        .next()?;
    soft.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(human(Duration::from_micros(3)), "3 µs");
        assert_eq!(human(Duration::from_micros(1800)), "1.8 ms");
        assert_eq!(human(Duration::from_millis(1004)), "1.004 s");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
    }

    /// Ten serial calls of 1 s, each ending a few ms past its second,
    /// polled every 20 ms: each line shows the calls done by its time.
    #[test]
    fn progress_lines_count_what_is_done_at_their_time() {
        let mut lines = ProgressLines::new("serial", 10);
        let ends: Vec<Duration> = (1..=10)
            .map(|i| Duration::from_millis(i * 1000 + 4 * i))
            .collect();
        let mut printed = Vec::new();
        let mut now = Duration::ZERO;
        while now < ends[9] {
            now += Duration::from_millis(20);
            let done = ends.iter().filter(|&&e| e <= now).count();
            printed.extend(lines.poll(done, now));
        }
        let expected: Vec<String> = (1..=9)
            .map(|i| format!("   serial: {i}/10 done, {i}.0 s"))
            .chain(["   serial: 10/10 done, 10.0 s".to_string()])
            .collect();
        assert_eq!(printed, expected);
    }

    /// Nothing to report for a long while: a line every 5 s all the same.
    #[test]
    fn progress_lines_say_they_are_alive() {
        let mut lines = ProgressLines::new("hang", 1);
        let printed: Vec<String> = (1..=600)
            .filter_map(|t| lines.poll(0, Duration::from_millis(t * 20)))
            .collect();
        assert_eq!(
            printed,
            ["   hang: 0/1 done, 5.0 s", "   hang: 0/1 done, 10.0 s"]
        );
    }
}
