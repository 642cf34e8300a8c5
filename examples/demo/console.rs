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
/// redrawn in place every 100 ms on a terminal, a plain line every second
/// otherwise (a CI log or a pipe gets no carriage returns). The line is
/// erased when `work` ends, so the step's own result line takes its place.
pub async fn with_progress<T>(
    label: &str,
    total: usize,
    done: &AtomicUsize,
    work: impl Future<Output = T>,
) -> T {
    let tty = std::io::stdout().is_terminal();
    let every = if tty {
        Duration::from_millis(100)
    } else {
        Duration::from_secs(1)
    };
    let start = Instant::now();
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tokio::pin!(work);
    let out = loop {
        tokio::select! {
            out = &mut work => break out,
            _ = ticks.tick() => {
                let line = format!(
                    "   {label}: {}/{total} done, {:.1} s",
                    done.load(Ordering::Relaxed),
                    start.elapsed().as_secs_f64()
                );
                if tty {
                    print!("\r\x1b[2K{line}");
                    let _ = std::io::stdout().flush();
                } else {
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
}
