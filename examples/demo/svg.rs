//! The timeline as an SVG image, written by hand: one bar per request,
//! each section on its own time origin and all on one scale, so ten serial
//! calls and the same ten at once can be compared at a glance.

use crate::timeline::{Bar, Outcome, Section, Timeline};
use std::fmt::Write;

/// Left of the plot: the bars' labels.
const LABELS: f64 = 200.0;
/// The plot's width: the time axis.
const PLOT: f64 = 860.0;
/// Right of the plot: room for the notes of the longest bars.
const NOTES: f64 = 280.0;
const WIDTH: f64 = LABELS + PLOT + NOTES;
const ROW: f64 = 20.0;
const BAR: f64 = 12.0;
/// Above a section's first bar: its title.
const SECTION_HEAD: f64 = 30.0;
/// Under the title, where a section has shades or lines: their labels.
const ANNOTATIONS: f64 = 16.0;
const SECTION_GAP: f64 = 14.0;
/// Title, subtitle, legend and the top axis.
const TOP: f64 = 122.0;
const BOTTOM: f64 = 56.0;

const OK: &str = "#2f6fdf";
const WAIT: &str = "#f4c04e";
const FAILED: &str = "#d9482b";
const REJECTED: &str = "#3a3f47";
const TIMED_OUT: &str = "#8e44ad";
const MARK: &str = "#b00020";
const SHADE: &str = "#d9482b";
const GRID: &str = "#e3e6ea";
const TEXT: &str = "#1d2127";
const MUTED: &str = "#5b6470";

/// The picture, as SVG text.
pub fn render(timeline: &Timeline) -> String {
    let (end, step) = scale(timeline);
    let x = |t: f64| LABELS + (t / end).clamp(0.0, 1.0) * PLOT;
    let body_height: f64 = timeline
        .sections
        .iter()
        .map(|s| head(s) + s.bars.len() as f64 * ROW + SECTION_GAP)
        .sum();
    let height = TOP + body_height + BOTTOM;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="20" y="30" font-size="18" font-weight="bold" fill="{TEXT}">brisk demo: one bar per request</text>"#
    );
    let _ = writeln!(
        svg,
        r#"<text x="20" y="50" fill="{MUTED}">{}</text>"#,
        escape(&timeline.subtitle)
    );
    legend(&mut svg, 20.0, 74.0);

    // The grid and both axes, across every section.
    let plot_top = TOP;
    let plot_bottom = TOP + body_height;
    let mut t = 0.0;
    while t <= end + 1e-9 {
        let xt = x(t);
        let _ = writeln!(
            svg,
            r#"<line x1="{xt:.1}" y1="{plot_top}" x2="{xt:.1}" y2="{plot_bottom}" stroke="{GRID}"/>"#
        );
        for (y, anchor) in [(plot_top - 6.0, "top"), (plot_bottom + 16.0, "bottom")] {
            let _ = writeln!(
                svg,
                r#"<text x="{xt:.1}" y="{y}" text-anchor="middle" fill="{MUTED}" class="{anchor}">{} s</text>"#,
                tick(t, step)
            );
        }
        t += step;
    }
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{}" text-anchor="middle" fill="{MUTED}">seconds from the start of each section</text>"#,
        LABELS + PLOT / 2.0,
        plot_bottom + 36.0
    );

    let mut y = TOP;
    for section in &timeline.sections {
        y = draw_section(&mut svg, section, y, &x);
    }
    svg.push_str("</svg>\n");
    svg
}

/// Draws a section from `top`; returns where the next one starts.
fn draw_section(svg: &mut String, s: &Section, top: f64, x: &impl Fn(f64) -> f64) -> f64 {
    let rows_top = top + head(s);
    let rows_bottom = rows_top + s.bars.len() as f64 * ROW;
    let _ = writeln!(
        svg,
        r#"<text x="20" y="{:.1}" font-weight="bold" fill="{TEXT}">{}</text>"#,
        top + 18.0,
        escape(&s.title)
    );
    for shade in &s.shades {
        let (x0, x1) = (x(shade.start), x(shade.end));
        let _ = writeln!(
            svg,
            r#"<rect x="{x0:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{SHADE}" fill-opacity="0.13" stroke="{SHADE}" stroke-opacity="0.4" stroke-dasharray="3 3"/>"#,
            rows_top - 4.0,
            (x1 - x0).max(1.0),
            rows_bottom - rows_top + 4.0
        );
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" fill="{SHADE}" font-size="11">{} ({:.2} s)</text>"#,
            x0 + 4.0,
            rows_top - 7.0,
            escape(&shade.label),
            shade.end - shade.start
        );
    }
    for line in &s.lines {
        let xl = x(line.start);
        let _ = writeln!(
            svg,
            r#"<line x1="{xl:.1}" y1="{:.1}" x2="{xl:.1}" y2="{rows_bottom:.1}" stroke="{TEXT}" stroke-width="1.2" stroke-dasharray="5 3"/>"#,
            rows_top - 4.0
        );
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" fill="{TEXT}" font-size="11">{}</text>"#,
            xl + 4.0,
            rows_top - 7.0,
            escape(&line.label)
        );
    }
    for (i, bar) in s.bars.iter().enumerate() {
        draw_bar(svg, bar, rows_top + i as f64 * ROW, x);
    }
    rows_bottom + SECTION_GAP
}

fn draw_bar(svg: &mut String, bar: &Bar, row: f64, x: &impl Fn(f64) -> f64) {
    let top = row + (ROW - BAR) / 2.0;
    let mid = row + ROW / 2.0;
    let (x0, x1) = (x(bar.start), x(bar.end));
    let colour = match bar.outcome {
        Outcome::Ok => OK,
        Outcome::Failed => FAILED,
        Outcome::Rejected => REJECTED,
        Outcome::TimedOut => TIMED_OUT,
    };
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="{TEXT}">{}</text>"#,
        LABELS - 10.0,
        mid + 4.0,
        escape(&bar.label)
    );
    // At least 2 px, so a call refused in microseconds still shows.
    let _ = writeln!(
        svg,
        r#"<rect x="{x0:.1}" y="{top:.1}" width="{:.1}" height="{BAR}" rx="2" fill="{colour}"><title>{}: {:.3} s to {:.3} s</title></rect>"#,
        (x1 - x0).max(2.0),
        escape(&bar.label),
        bar.start,
        bar.end
    );
    for &(w0, w1) in &bar.waits {
        let _ = writeln!(
            svg,
            r#"<rect x="{:.1}" y="{top:.1}" width="{:.1}" height="{BAR}" fill="{WAIT}"><title>waiting {:.3} s before the next attempt</title></rect>"#,
            x(w0),
            (x(w1) - x(w0)).max(1.0),
            w1 - w0
        );
    }
    for mark in &bar.marks {
        let xm = x(mark.at);
        let _ = writeln!(
            svg,
            r#"<line x1="{xm:.1}" y1="{:.1}" x2="{xm:.1}" y2="{:.1}" stroke="{MARK}" stroke-width="2.5"><title>failed attempt: {}</title></line>"#,
            top - 3.0,
            top + BAR + 3.0,
            escape(&mark.label)
        );
    }
    // Mark labels go after the bar's note, in one run, so close marks
    // never print on top of each other.
    let mut note = bar.note.clone();
    if !bar.marks.is_empty() {
        let labels: Vec<&str> = bar.marks.iter().map(|m| m.label.as_str()).collect();
        let failed = format!("✕ {}", labels.join(", "));
        note = if note.is_empty() {
            failed
        } else {
            format!("{note}  {failed}")
        };
    }
    if !note.is_empty() {
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" fill="{MUTED}" font-size="11">{}</text>"#,
            x0 + (x1 - x0).max(2.0) + 6.0,
            mid + 4.0,
            escape(&note)
        );
    }
}

fn legend(svg: &mut String, left: f64, y: f64) {
    let items: [(&str, &str, &str); 7] = [
        ("rect", OK, "call (answered)"),
        ("rect", WAIT, "wait before a retry"),
        ("line", MARK, "failed attempt"),
        ("rect", FAILED, "call failed"),
        ("rect", REJECTED, "refused by the open circuit"),
        ("rect", TIMED_OUT, "cut at its deadline"),
        ("shade", SHADE, "circuit open"),
    ];
    let mut x = left;
    for (kind, colour, text) in items {
        match kind {
            "line" => {
                let _ = writeln!(
                    svg,
                    r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{colour}" stroke-width="2.5"/>"#,
                    x + 6.0,
                    y - 9.0,
                    x + 6.0,
                    y + 3.0
                );
            }
            "shade" => {
                let _ = writeln!(
                    svg,
                    r#"<rect x="{x:.1}" y="{:.1}" width="14" height="12" fill="{colour}" fill-opacity="0.13" stroke="{colour}" stroke-opacity="0.4" stroke-dasharray="3 3"/>"#,
                    y - 9.0
                );
            }
            _ => {
                let _ = writeln!(
                    svg,
                    r#"<rect x="{x:.1}" y="{:.1}" width="14" height="12" rx="2" fill="{colour}"/>"#,
                    y - 9.0
                );
            }
        }
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{y:.1}" fill="{TEXT}">{text}</text>"#,
            x + 20.0
        );
        x += 20.0 + text.chars().count() as f64 * 6.6 + 22.0;
    }
}

/// The height above a section's bars.
fn head(s: &Section) -> f64 {
    if s.shades.is_empty() && s.lines.is_empty() {
        SECTION_HEAD
    } else {
        SECTION_HEAD + ANNOTATIONS
    }
}

/// The axis' end and its tick step: at most 14 ticks, on a round step.
fn scale(timeline: &Timeline) -> (f64, f64) {
    let mut max: f64 = 0.0;
    for s in &timeline.sections {
        for b in &s.bars {
            max = max.max(b.end);
        }
        for sh in s.shades.iter().chain(&s.lines) {
            max = max.max(sh.end);
        }
    }
    let max = max.max(0.01);
    let step = [
        0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0,
    ]
    .into_iter()
    .find(|step| max / step <= 13.0)
    .unwrap_or(120.0);
    ((max / step).ceil() * step, step)
}

/// A tick's label, with as many decimals as the step needs.
fn tick(t: f64, step: f64) -> String {
    if step >= 1.0 {
        format!("{t:.0}")
    } else if step >= 0.1 {
        format!("{t:.1}")
    } else {
        format!("{t:.2}")
    }
}

/// Text as XML character data.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_scales() {
        let mut t = Timeline::default();
        let mut s = Section::new("s");
        let now = std::time::Instant::now();
        s.bars.push(Bar::new(
            "a",
            now,
            now,
            now + std::time::Duration::from_millis(10_300),
        ));
        t.sections.push(s);
        assert_eq!(scale(&t), (11.0, 1.0));
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
