//! What the server says about retrying: `retry-after-ms`, `Retry-After`,
//! the `x-ratelimit-reset-*` of an exhausted rate limit, and
//! `x-should-retry`, read from a response's header fields.
//!
//! Everything here is pure: header values come in through a lookup
//! function, and the wall clock (needed for an HTTP-date) is a parameter,
//! so tests are exact.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long the server asks the client to wait before trying again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hint {
    /// Wait this long, then retry (if the policy otherwise allows it).
    After(Duration),
    /// The server asks for a wait longer than the policy's
    /// `max_retry_after`: do not retry, hand the response to the caller,
    /// who can see the hint for itself.
    TooLong(Duration),
    /// No hint, or one that could not be read: the policy's backoff
    /// applies.
    None,
}

/// Reads the server's retry hint from a response's header fields.
///
/// `header` looks up a field's value by name (ASCII case-insensitive, as
/// [`HeaderMap::get`](crate::header::HeaderMap::get) does). `now` is the wall clock,
/// used only for an HTTP-date. A wait longer than `max` is
/// [`Hint::TooLong`].
///
/// - `retry-after-ms` comes first: a non-standard field in milliseconds
///   that OpenAI-compatible APIs send, and that openai-python reads before
///   `Retry-After` because it is more precise. It may be fractional.
/// - `Retry-After` (RFC 9110 §10.2.3) is either delay-seconds or an
///   HTTP-date. A date in the past means "now".
///
/// - Only for a `429`, and only without either of those: OpenAI's
///   `x-ratelimit-reset-requests` / `x-ratelimit-reset-tokens` (Go
///   durations such as `6m0s` or `20ms`) of a limit whose matching
///   `x-ratelimit-remaining-*` is `0`, the longest of them. A limit that
///   still has room says nothing about when to retry (its reset is when
///   the bucket is full again), so it is not read.
///
/// A value that cannot be read is ignored, as if the field were absent
/// (so an unreadable `retry-after-ms` falls back to `Retry-After`): a
/// malformed hint should not stop a retry the policy would make.
pub(crate) fn server_hint<'h>(
    status: u16,
    header: impl Fn(&str) -> Option<&'h str>,
    now: SystemTime,
    max: Duration,
) -> Hint {
    let wait = header("retry-after-ms")
        .and_then(parse_millis)
        .or_else(|| header("retry-after").and_then(|v| parse_retry_after(v, now)))
        .or_else(|| {
            (status == 429)
                .then(|| exhausted_limit_reset(&header))
                .flatten()
        });
    match wait {
        Some(wait) if wait > max => Hint::TooLong(wait),
        Some(wait) => Hint::After(wait),
        None => Hint::None,
    }
}

/// The longest `x-ratelimit-reset-*` among the limits whose
/// `x-ratelimit-remaining-*` is `0`.
fn exhausted_limit_reset<'h>(header: impl Fn(&str) -> Option<&'h str>) -> Option<Duration> {
    [
        (
            "x-ratelimit-remaining-requests",
            "x-ratelimit-reset-requests",
        ),
        ("x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"),
    ]
    .iter()
    .filter(|(remaining, _)| header(remaining).is_some_and(|v| v.trim() == "0"))
    .filter_map(|(_, reset)| header(reset).and_then(parse_go_duration))
    .max()
}

/// A duration as Go prints it and OpenAI sends it in
/// `x-ratelimit-reset-*`: `2s`, `6m0s`, `1h2m3.5s`, `20ms`, `1.5µs`; a
/// bare number is seconds. Anything else, and a value too large for a
/// `Duration`, is `None` (never a panic: the value comes from the server).
pub(crate) fn parse_go_duration(value: &str) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if let Ok(secs) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let mut total = 0f64;
    let mut rest = value;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += number * scale;
        rest = &rest[unit_len..];
    }
    Duration::try_from_secs_f64(total).ok()
}

/// Reads `x-should-retry: true|false` (ASCII case-insensitive), a
/// non-standard field with which a server overrides the client's
/// status-code rule in either direction (OpenAI's API sends it, and
/// openai-python obeys it). Any other value is ignored.
pub(crate) fn should_retry_header<'h>(header: impl Fn(&str) -> Option<&'h str>) -> Option<bool> {
    let value = header("x-should-retry")?.trim_matches([' ', '\t']);
    if value.eq_ignore_ascii_case("true") {
        Some(true)
    } else if value.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// `retry-after-ms`: `1*DIGIT [ "." 1*DIGIT ]`. Deliberately narrower than
/// a float parser: no sign, exponent, `inf` or `NaN`. Digits past the
/// nanosecond are dropped; a value too large for a `Duration` saturates
/// (and is then certainly [`Hint::TooLong`]).
fn parse_millis(value: &str) -> Option<Duration> {
    let value = value.trim_matches([' ', '\t']);
    let (whole, fraction) = match value.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (value, None),
    };
    let ms = parse_digits(whole)?;
    let mut nanos = 0u32;
    if let Some(fraction) = fraction {
        if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // The first six digits are nanoseconds of a millisecond.
        for (i, b) in fraction.bytes().take(6).enumerate() {
            nanos += u32::from(b - b'0') * 10u32.pow(5 - i as u32);
        }
    }
    Some(
        Duration::from_millis(ms.unwrap_or(u64::MAX))
            .saturating_add(Duration::from_nanos(nanos.into())),
    )
}

/// `1*DIGIT`, as `Some(None)` when it overflows a `u64` (a syntactically
/// valid, absurdly long wait) and `None` when it is not digits at all.
fn parse_digits(s: &str) -> Option<Option<u64>> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.parse().ok())
}

/// `Retry-After = HTTP-date / delay-seconds` (RFC 9110 §10.2.3).
fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim_matches([' ', '\t']);
    if let Some(secs) = parse_digits(value) {
        // A delta-seconds too large to represent is taken as the largest
        // one can (the rule RFC 9111 §1.2.2 gives caches for the same
        // grammar).
        return Some(Duration::from_secs(secs.unwrap_or(u64::MAX)));
    }
    let date = parse_http_date(value, now)?;
    // A date already past means "you may retry now".
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const DAYS_LONG: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// An HTTP-date in any of its three forms (RFC 9110 §5.6.7):
///
/// ```text
/// IMF-fixdate  Sun, 06 Nov 1994 08:49:37 GMT   (what servers must send)
/// rfc850-date  Sunday, 06-Nov-94 08:49:37 GMT  (obsolete)
/// asctime-date Sun Nov  6 08:49:37 1994        (obsolete)
/// ```
///
/// The RFC asks recipients to accept all three, and says HTTP-date is case
/// sensitive, so names are matched exactly. The day name must be a day
/// name but is not checked against the date: it carries no information
/// the date does not. `now` is needed only for rfc850's two-digit year.
fn parse_http_date(s: &str, now: SystemTime) -> Option<SystemTime> {
    // Every form is ASCII at fixed offsets; checking this first also keeps
    // the slicing below on character boundaries.
    if !s.is_ascii() {
        return None;
    }
    let b = s.as_bytes();
    let (day, month, year, time) = if b.get(3) == Some(&b',') {
        // IMF-fixdate: fixed width, 29 bytes.
        if b.len() != 29 || !DAYS.contains(&&s[..3]) || &s[3..5] != ", " || &s[25..] != " GMT" {
            return None;
        }
        let (day, month, year) = (&s[5..7], &s[8..11], &s[12..16]);
        if b[7] != b' ' || b[11] != b' ' || b[16] != b' ' {
            return None;
        }
        (
            two_digits(day)?,
            month_number(month)?,
            i64::from(digits4(year)?),
            &s[17..25],
        )
    } else if let Some((name, rest)) = s.split_once(", ") {
        // rfc850-date: "06-Nov-94 08:49:37 GMT" after the long day name.
        let r = rest.as_bytes();
        if !DAYS_LONG.contains(&name) || r.len() != 22 || r[2] != b'-' || r[6] != b'-' {
            return None;
        }
        if r[9] != b' ' || &rest[18..] != " GMT" {
            return None;
        }
        let yy = i64::from(two_digits(&rest[7..9])?);
        (
            two_digits(&rest[..2])?,
            month_number(&rest[3..6])?,
            two_digit_year(yy, now),
            &rest[10..18],
        )
    } else {
        // asctime-date: "Sun Nov  6 08:49:37 1994", 24 bytes, the day of
        // the month padded with a space rather than a zero.
        if b.len() != 24 || !DAYS.contains(&&s[..3]) || b[3] != b' ' || b[7] != b' ' {
            return None;
        }
        if b[10] != b' ' || b[19] != b' ' {
            return None;
        }
        let day = match (b[8], b[9]) {
            (b' ', d) if d.is_ascii_digit() => u32::from(d - b'0'),
            _ => two_digits(&s[8..10])?,
        };
        (
            day,
            month_number(&s[4..7])?,
            i64::from(digits4(&s[20..24])?),
            &s[11..19],
        )
    };
    let t = time.as_bytes();
    if t.len() != 8 || t[2] != b':' || t[5] != b':' {
        return None;
    }
    let (hour, minute, second) = (
        two_digits(&time[..2])?,
        two_digits(&time[3..5])?,
        two_digits(&time[6..8])?,
    );
    // A leap second (60) is allowed by the grammar's ancestor, RFC 5322;
    // it is read as the first second of the next minute.
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    if day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    // Before 1970 is in the past whatever `now` is, as far as waiting goes.
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap_or(0)))
}

fn two_digits(s: &str) -> Option<u32> {
    match s.as_bytes() {
        [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => {
            Some(u32::from(a - b'0') * 10 + u32::from(b - b'0'))
        }
        _ => None,
    }
}

fn digits4(s: &str) -> Option<u32> {
    Some(two_digits(&s[..2])? * 100 + two_digits(&s[2..])?)
}

/// 1 for "Jan" to 12 for "Dec".
fn month_number(s: &str) -> Option<u32> {
    MONTHS.iter().position(|m| *m == s).map(|i| i as u32 + 1)
}

/// RFC 9110 §5.6.7: a two-digit year that "appears to be more than 50
/// years in the future" is "the most recent year in the past that had the
/// same last two digits". Read the other way, the year is the one with
/// those digits in the hundred years from 49 years ago to 50 years ahead.
fn two_digit_year(yy: i64, now: SystemTime) -> i64 {
    let now_days = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| (d.as_secs() / 86_400) as i64);
    let this_year = year_of_day(now_days);
    let mut year = this_year - this_year.rem_euclid(100) + yy;
    if year > this_year + 50 {
        year -= 100;
    } else if year <= this_year - 50 {
        year += 100;
    }
    year
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Calendar arithmetic after Howard Hinnant's "chrono-Compatible Low-Level
// Date Algorithms": shift the year to start on 1 March, so that the leap
// day is the last day of the (shifted) year, and count in 400-year eras of
// exactly 146 097 days. Then no table and no loop over years is needed.

/// Days from 1970-01-01 to the given date of the proleptic Gregorian
/// calendar (negative before 1970). `month` is 1..=12.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400); // 0..=399
                                            // Months counted from March: Mar = 0 ... Feb = 11. The 153-day
                                            // five-month cycle (31+30+31+30+31) gives each month's first day.
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1; // 0..=365
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    // 719 468 days separate 0000-03-01 from 1970-01-01.
    era * 146_097 + day_of_era - 719_468
}

/// The year (proleptic Gregorian) of the day `days` after 1970-01-01: the
/// inverse of [`days_from_civil`], for the year alone.
fn year_of_day(days: i64) -> i64 {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097); // 0..=146_096
                                               // Subtract the leap days (one per 4 years, less one per 100, plus the
                                               // era's last day) to get whole 365-day years.
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let year = era * 400 + year_of_era;
    // January and February belong to the next calendar year.
    if month_from_march >= 10 {
        year + 1
    } else {
        year
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);
    const MAX: Duration = Duration::from_secs(60);

    /// 1994-11-06 08:49:37 UTC, the RFC's own example.
    fn rfc_example() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(784_111_777)
    }

    fn lookup<'h>(fields: &'h [(&'h str, &'h str)]) -> impl Fn(&str) -> Option<&'h str> {
        move |name| {
            fields
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| *v)
        }
    }

    fn hint(fields: &[(&str, &str)], now: SystemTime) -> Hint {
        server_hint(503, lookup(fields), now, MAX)
    }

    #[test]
    fn an_exhausted_rate_limit_sets_the_wait_of_a_429_only() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let fields = [
            ("x-ratelimit-remaining-requests", "0"),
            ("x-ratelimit-reset-requests", "1.5s"),
            ("x-ratelimit-remaining-tokens", "1200"),
            ("x-ratelimit-reset-tokens", "6m0s"),
        ];
        // The exhausted limit's reset, not the one with room left.
        assert_eq!(
            server_hint(429, lookup(&fields), now, MAX),
            Hint::After(Duration::from_millis(1500))
        );
        // Not for other statuses, and never over an explicit hint.
        assert_eq!(server_hint(503, lookup(&fields), now, MAX), Hint::None);
        let with_ms = [fields[0], fields[1], ("retry-after-ms", "20")];
        assert_eq!(
            server_hint(429, lookup(&with_ms), now, MAX),
            Hint::After(Duration::from_millis(20))
        );
        // No exhausted limit: no hint.
        let room = [("x-ratelimit-remaining-requests", "3"), fields[1]];
        assert_eq!(server_hint(429, lookup(&room), now, MAX), Hint::None);
        // Past the policy's maximum: handed to the caller.
        let long = [
            ("x-ratelimit-remaining-tokens", "0"),
            ("x-ratelimit-reset-tokens", "6m0s"),
        ];
        assert_eq!(
            server_hint(429, lookup(&long), now, MAX),
            Hint::TooLong(360 * SEC)
        );
    }

    #[test]
    fn go_durations_read_and_hostile_ones_never_panic() {
        let d = parse_go_duration;
        assert_eq!(d("6m0s"), Some(Duration::from_secs(360)));
        assert_eq!(d("1h2m3.5s"), Some(Duration::from_millis(3_723_500)));
        assert_eq!(d("20ms"), Some(Duration::from_millis(20)));
        assert_eq!(d("2"), Some(Duration::from_secs(2)));
        for bad in [
            "",
            "1e300",
            "-1",
            "NaN",
            "inf",
            "5x",
            "s",
            "1e300h",
            "99999999999999999999h",
        ] {
            assert_eq!(d(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn calendar_round_trips_known_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1994, 11, 6), 784_111_777 / 86_400);
        for days in [
            -800_000, -1, 0, 59, 60, 365, 11_016, 11_017, 20_000, 2_932_896,
        ] {
            let year = year_of_day(days);
            assert!(days_from_civil(year, 1, 1) <= days, "{days}");
            assert!(days < days_from_civil(year + 1, 1, 1), "{days}");
        }
    }

    #[test]
    fn reads_all_three_date_forms() {
        let now = rfc_example() - 10 * SEC;
        for date in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(parse_http_date(date, now), Some(rfc_example()), "{date}");
            assert_eq!(hint(&[("Retry-After", date)], now), Hint::After(10 * SEC));
        }
        assert_eq!(
            parse_http_date("Thu Feb 29 00:00:00 2024", now),
            Some(UNIX_EPOCH + Duration::from_secs(1_709_164_800))
        );
    }

    #[test]
    fn two_digit_years_stay_within_fifty_years_of_now() {
        let at =
            |y: i64| UNIX_EPOCH + Duration::from_secs(days_from_civil(y, 6, 1) as u64 * 86_400);
        let year = |s: &str, now| {
            let t = parse_http_date(s, now).unwrap();
            year_of_day((t.duration_since(UNIX_EPOCH).unwrap().as_secs() / 86_400) as i64)
        };
        assert_eq!(year("Sunday, 06-Nov-94 08:49:37 GMT", at(2026)), 1994);
        assert_eq!(year("Sunday, 06-Nov-30 08:49:37 GMT", at(2026)), 2030);
        assert_eq!(year("Sunday, 06-Nov-76 08:49:37 GMT", at(2026)), 2076);
        assert_eq!(year("Sunday, 06-Nov-77 08:49:37 GMT", at(2026)), 1977);
        assert_eq!(year("Sunday, 06-Nov-05 08:49:37 GMT", at(2090)), 2105);
    }

    #[test]
    fn a_date_in_the_past_means_now() {
        let later = rfc_example() + 3600 * SEC;
        assert_eq!(
            hint(&[("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT")], later),
            Hint::After(Duration::ZERO)
        );
        assert_eq!(
            hint(&[("retry-after", "Thu, 01 Jan 1960 00:00:00 GMT")], later),
            Hint::After(Duration::ZERO)
        );
    }

    #[test]
    fn delay_seconds_and_milliseconds() {
        let now = rfc_example();
        assert_eq!(hint(&[("Retry-After", "7")], now), Hint::After(7 * SEC));
        assert_eq!(
            hint(&[("Retry-After", " 0 ")], now),
            Hint::After(Duration::ZERO)
        );
        assert_eq!(
            hint(&[("retry-after-ms", "1500")], now),
            Hint::After(Duration::from_millis(1500))
        );
        assert_eq!(
            hint(&[("retry-after-ms", "12.5")], now),
            Hint::After(Duration::from_micros(12_500))
        );
        assert_eq!(
            hint(&[("retry-after-ms", "0.0000019")], now),
            Hint::After(Duration::from_nanos(1))
        );
    }

    #[test]
    fn milliseconds_take_precedence_and_garbage_falls_back() {
        let now = rfc_example();
        let both = [("retry-after", "30"), ("retry-after-ms", "250")];
        assert_eq!(hint(&both, now), Hint::After(Duration::from_millis(250)));
        let bad_ms = [("retry-after", "30"), ("retry-after-ms", "soon")];
        assert_eq!(hint(&bad_ms, now), Hint::After(30 * SEC));
    }

    #[test]
    fn garbage_is_no_hint() {
        let now = rfc_example();
        for v in [
            "",
            "-1",
            "1.5",
            "1e3",
            "+3",
            "0x10",
            "soon",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "sun, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 nov 1994 08:49:37 GMT",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:60:00 GMT",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 29 Feb 1900 08:49:37 GMT",
            "Sun,  06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sun, 06-Nov-94 08:49:37 GMT",
            "Sun Nov 06 08:49:37 94",
            "Sun Nov  6 08:49:37 1994 GMT",
            "Sün, 06 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(hint(&[("retry-after", v)], now), Hint::None, "{v:?}");
        }
        for v in ["", "-1", "1.", ".5", "1e3", "inf", "NaN", "1,5", "1.2.3"] {
            assert_eq!(hint(&[("retry-after-ms", v)], now), Hint::None, "{v:?}");
        }
        assert_eq!(hint(&[], now), Hint::None);
    }

    #[test]
    fn hints_past_the_cap_are_too_long() {
        let now = rfc_example();
        assert_eq!(hint(&[("retry-after", "60")], now), Hint::After(MAX));
        assert_eq!(hint(&[("retry-after", "61")], now), Hint::TooLong(61 * SEC));
        assert_eq!(
            hint(&[("retry-after-ms", "60000.001")], now),
            Hint::TooLong(MAX + Duration::from_micros(1))
        );
        assert_eq!(
            hint(&[("retry-after", "Sun, 06 Nov 1994 09:49:37 GMT")], now),
            Hint::TooLong(3600 * SEC)
        );
        // Absurd values saturate rather than overflow, and are too long.
        assert_eq!(
            hint(&[("retry-after", "99999999999999999999999")], now),
            Hint::TooLong(Duration::from_secs(u64::MAX))
        );
        assert!(matches!(
            hint(&[("retry-after-ms", "99999999999999999999999.9")], now),
            Hint::TooLong(_)
        ));
    }

    #[test]
    fn should_retry_reads_true_and_false_only() {
        let get = |v: &str| {
            let fields = [("X-Should-Retry", v)];
            should_retry_header(lookup(&fields))
        };
        assert_eq!(get("true"), Some(true));
        assert_eq!(get("TRUE"), Some(true));
        assert_eq!(get(" False "), Some(false));
        assert_eq!(get("yes"), None);
        assert_eq!(get("1"), None);
        assert_eq!(should_retry_header(lookup(&[])), None);
    }
}
