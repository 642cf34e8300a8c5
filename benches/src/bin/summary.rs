//! Reads the JSON lines `compare` printed (files given as arguments, or
//! stdin) and prints markdown: per mode (pinned, unpinned, ...), one table of
//! medians with the min–max spread per workload and client, then the ratios
//! brisk/reqwest and brisk/hyper of the medians, and brisk against the two
//! floors (`raw`, and `raw-peek`: raw plus one liveness peek per reuse,
//! the safe floor) where they ran. A failed run (a line with
//! an `error` field) is counted beside its client and its first error is
//! quoted under the table.

use std::collections::BTreeMap;
use std::io::Read;

use brisk_benches::WORKLOADS;
use serde_json::Value;

const CLIENTS: &[&str] = &["brisk", "reqwest", "hyper", "raw", "raw-peek"];

/// (column header, JSON field, scale applied before printing)
const COLUMNS: &[(&str, &str, f64)] = &[
    ("req/s", "req_per_s", 1.0),
    ("p50 µs", "p50_us", 1.0),
    ("p99 µs", "p99_us", 1.0),
    ("CPU µs/req", "cpu_us_per_req", 1.0),
    ("allocs/req", "allocs_per_req", 1.0),
    ("KiB alloc/req", "bytes_allocated_per_req", 1.0 / 1024.0),
    ("conns", "connections_opened", 1.0),
    ("MB/s", "mb_per_s", 1.0),
    ("CPU µs/MiB", "cpu_us_per_mib", 1.0),
    ("wall s", "wall_s", 1.0),
    ("1 call s", "single_call_s", 1.0),
    ("listen drops", "listen_overflows", 1.0),
    ("peak RSS MiB", "peak_rss_kb", 1.0 / 1024.0),
];

/// (label, JSON field): the ratios shown; for req/s higher is better for
/// brisk, for the rest lower is.
const RATIOS: &[(&str, &str)] = &[
    ("req/s", "req_per_s"),
    ("CPU µs/req", "cpu_us_per_req"),
    ("allocs/req", "allocs_per_req"),
    ("p99 µs", "p99_us"),
];

type Runs = Vec<Value>;
/// (workload index, client index) -> runs, for one mode.
type Groups = BTreeMap<(usize, usize), Runs>;

fn main() {
    let mut text = String::new();
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        std::io::stdin()
            .read_to_string(&mut text)
            .expect("read stdin");
    } else {
        for f in files {
            text += &std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("{f}: {e}"));
            text.push('\n');
        }
    }
    // mode -> (workload, client) -> runs
    let mut modes: Vec<(String, Groups)> = Vec::new();
    for line in text.lines().filter(|l| l.trim_start().starts_with('{')) {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            eprintln!("summary: skipping unparsable line: {line}");
            continue;
        };
        let mode = v["mode"].as_str().unwrap_or("-").to_string();
        let w = position(WORKLOADS, v["workload"].as_str());
        let c = position(CLIENTS, v["client"].as_str());
        let (Some(w), Some(c)) = (w, c) else { continue };
        let i = match modes.iter().position(|(m, _)| *m == mode) {
            Some(i) => i,
            None => {
                modes.push((mode, Groups::new()));
                modes.len() - 1
            }
        };
        modes[i].1.entry((w, c)).or_default().push(v);
    }
    for (mode, groups) in &modes {
        print_mode(mode, groups);
    }
}

fn position(names: &[&str], name: Option<&str>) -> Option<usize> {
    names.iter().position(|n| Some(*n) == name)
}

fn values(runs: &Runs, field: &str, scale: f64) -> Vec<f64> {
    let mut v: Vec<f64> = runs
        .iter()
        .filter(|r| r.get("error").is_none())
        .filter_map(|r| r[field].as_f64())
        .map(|x| x * scale)
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

fn num(x: f64) -> String {
    let a = x.abs();
    if a >= 100_000.0 {
        format!("{:.0}k", x / 1000.0)
    } else if a >= 10_000.0 {
        format!("{:.1}k", x / 1000.0)
    } else if a >= 100.0 || x == x.trunc() {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

fn cell(sorted: &[f64]) -> String {
    let Some(m) = median(sorted) else {
        return "–".into();
    };
    let (lo, hi) = (sorted[0], sorted[sorted.len() - 1]);
    if num(lo) == num(hi) {
        num(m)
    } else {
        format!("{} ({}–{})", num(m), num(lo), num(hi))
    }
}

fn print_mode(mode: &str, groups: &Groups) {
    let reps = groups.values().map(Vec::len).max().unwrap_or(0);
    println!("### {mode} (median of up to {reps} runs, min–max in brackets)\n");
    print!("| workload | client |");
    for (h, _, _) in COLUMNS {
        print!(" {h} |");
    }
    println!();
    println!("|---|---|{}", "---|".repeat(COLUMNS.len()));
    let mut failures = Vec::new();
    for ((w, c), runs) in groups {
        let failed: Vec<&Value> = runs.iter().filter(|r| r.get("error").is_some()).collect();
        let client = match failed.len() {
            0 => CLIENTS[*c].to_string(),
            k => format!("{} (**{k} of {} runs failed**)", CLIENTS[*c], runs.len()),
        };
        print!("| {} | {client} |", WORKLOADS[*w]);
        for (_, field, scale) in COLUMNS {
            print!(" {} |", cell(&values(runs, field, *scale)));
        }
        println!();
        if let Some(first) = failed.first() {
            failures.push(format!(
                "- {} {}: {}",
                WORKLOADS[*w],
                CLIENTS[*c],
                first["error"].as_str().unwrap_or("?")
            ));
        }
    }
    println!();
    if !failures.is_empty() {
        println!("Failed runs (the first error of each):\n");
        for f in &failures {
            println!("{f}");
        }
        println!();
    }

    let brisk = position(CLIENTS, Some("brisk")).unwrap_or(0);
    let ratio = |w: usize, c: usize, field: &str| -> String {
        let b = groups.get(&(w, brisk)).map(|r| values(r, field, 1.0));
        let o = groups.get(&(w, c)).map(|r| values(r, field, 1.0));
        match (b.as_deref().and_then(median), o.as_deref().and_then(median)) {
            (Some(b), Some(o)) if o != 0.0 => format!("{:.2}×", b / o),
            (Some(0.0), Some(_)) => "=".into(),
            _ => "–".into(),
        }
    };
    let has_brisk = groups.keys().any(|&(_, c)| c == brisk);
    if !has_brisk {
        println!("(no brisk runs: no ratios)\n");
        return;
    }
    println!("Ratios of medians, brisk ÷ rival (req/s: above 1 is brisk faster; the rest: below 1 is brisk cheaper).\n");
    print!("| workload |");
    for (label, _) in RATIOS {
        print!(" {label} ÷reqwest | {label} ÷hyper |");
    }
    println!();
    println!("|---|{}", "---|".repeat(RATIOS.len() * 2));
    let reqwest = position(CLIENTS, Some("reqwest")).unwrap_or(1);
    let hyper = position(CLIENTS, Some("hyper")).unwrap_or(2);
    for (w, workload) in WORKLOADS.iter().enumerate() {
        if !groups.contains_key(&(w, brisk)) {
            continue;
        }
        print!("| {workload} |");
        for (_, field) in RATIOS {
            print!(
                " {} | {} |",
                ratio(w, reqwest, field),
                ratio(w, hyper, field)
            );
        }
        println!();
    }
    println!();

    // brisk against the floors: the share of the floor's req/s it reaches,
    // and its CPU per request over the floor's.
    let raw = position(CLIENTS, Some("raw")).unwrap_or(3);
    let safe = position(CLIENTS, Some("raw-peek")).unwrap_or(4);
    let floors: Vec<usize> = WORKLOADS
        .iter()
        .enumerate()
        .map(|(w, _)| w)
        .filter(|&w| {
            groups.contains_key(&(w, brisk))
                && (groups.contains_key(&(w, raw)) || groups.contains_key(&(w, safe)))
        })
        .collect();
    if floors.is_empty() {
        return;
    }
    println!("brisk against the floors: raw, and raw-peek (raw plus one MSG_PEEK before each reuse, the safe floor).\n");
    println!(
        "| workload | req/s ÷raw | req/s ÷raw-peek | CPU µs/req ÷raw | CPU µs/req ÷raw-peek |"
    );
    println!("|---|---|---|---|---|");
    for w in floors {
        println!(
            "| {} | {} | {} | {} | {} |",
            WORKLOADS[w],
            ratio(w, raw, "req_per_s"),
            ratio(w, safe, "req_per_s"),
            ratio(w, raw, "cpu_us_per_req"),
            ratio(w, safe, "cpu_us_per_req"),
        );
    }
    println!();
}
