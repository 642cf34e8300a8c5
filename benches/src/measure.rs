//! Process CPU time, peak memory and latency percentiles.

use std::time::Duration;

/// User + system CPU time of the whole process so far (every thread),
/// from `getrusage(RUSAGE_SELF)`.
pub fn cpu_time() -> Duration {
    // SAFETY: `getrusage` only writes the struct it is given; an all-zero
    // `rusage` is a valid value to start from.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut ru) != 0 {
            return Duration::ZERO;
        }
        ru
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// Peak resident set size of the process in KiB (`VmHWM` in
/// `/proc/self/status`), if the kernel says.
pub fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// The `p`-th percentile (0–100, nearest rank) of `sorted`, in µs.
pub fn percentile_us(sorted: &[Duration], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let i = rank.clamp(1, sorted.len()) - 1;
    Some(sorted[i].as_secs_f64() * 1e6)
}

/// `TcpExt: ListenOverflows` from `/proc/net/netstat`: how many times a
/// listener's accept queue was full and the kernel dropped the connection's
/// handshake (the client retries its SYN a second later). The count is for
/// the whole network namespace, so other programs' listeners count too.
pub fn listen_overflows() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/net/netstat").ok()?;
    let mut rows = text.lines().filter(|l| l.starts_with("TcpExt:"));
    let (names, values) = (rows.next()?, rows.next()?);
    let i = names
        .split_whitespace()
        .position(|n| n == "ListenOverflows")?;
    values.split_whitespace().nth(i)?.parse().ok()
}
