//! The date in a cookie's `Expires` attribute, read with the lenient
//! algorithm of RFC 6265 §5.1.1 (unchanged in RFC 6265bis §5.1.1).
//!
//! Servers write `Expires` in every format the web has known: the
//! IMF-fixdate of RFC 9110 (`Sun, 06 Nov 1994 08:49:37 GMT`), RFC 850's
//! (`Sunday, 06-Nov-94 08:49:37 GMT`), C's `asctime` (`Sun Nov  6
//! 08:49:37 1994`), and variants of each. The RFC's algorithm reads them
//! all the same way: the string is cut into tokens at delimiters, and
//! each token is taken, in order, as the first field it can still be: a
//! time (`hh:mm:ss`), a day of the month, a month (its first three
//! letters), or a year. Whatever else is there (the weekday, `GMT`) is
//! ignored, so the zone is always UTC, as the RFC says.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Reads a cookie date (RFC 6265 §5.1.1), or `None` if the algorithm
/// fails: a field missing, out of range, or a day the month does not
/// have. Years from 1601 to 9999 are read (two-digit years: 70–99 are
/// 19xx, 00–69 are 20xx).
pub(super) fn parse_cookie_date(input: &[u8]) -> Option<SystemTime> {
    let mut time = None;
    let mut day = None;
    let mut month = None;
    let mut year = None;
    for token in input.split(|&b| is_delimiter(b)).filter(|t| !t.is_empty()) {
        // Step 2: each token is the first field, not found yet, that it
        // matches.
        if time.is_none() {
            if let Some(t) = match_time(token) {
                time = Some(t);
                continue;
            }
        }
        if day.is_none() {
            if let Some(d) = match_digits(token, 1, 2) {
                day = Some(d);
                continue;
            }
        }
        if month.is_none() {
            if let Some(m) = match_month(token) {
                month = Some(m);
                continue;
            }
        }
        if year.is_none() {
            if let Some(y) = match_digits(token, 2, 4) {
                year = Some(y);
                continue;
            }
        }
    }
    let ((hour, minute, second), day, month, mut year) = (time?, day?, month?, year?);
    // Steps 3 and 4: two-digit years.
    if (70..=99).contains(&year) {
        year += 1900;
    } else if year <= 69 {
        year += 2000;
    }
    // Step 5: the ranges, and step 6: a day the month has.
    if !(1..=31).contains(&day) || year < 1601 || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    if day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    let secs = days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
    if secs >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(secs.unsigned_abs()))
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs()))
    }
}

/// `delimiter = %x09 / %x20-2F / %x3B-40 / %x5B-60 / %x7B-7E`.
fn is_delimiter(b: u8) -> bool {
    matches!(b, 0x09 | 0x20..=0x2f | 0x3b..=0x40 | 0x5b..=0x60 | 0x7b..=0x7e)
}

/// `min` to `max` digits at the start of `token`, followed by nothing or
/// by a non-digit and anything (the RFC's `1*2DIGIT [ non-digit *OCTET ]`
/// and `2*4DIGIT [ non-digit *OCTET ]`).
fn match_digits(token: &[u8], min: usize, max: usize) -> Option<u32> {
    let n = token.iter().take_while(|b| b.is_ascii_digit()).count();
    if n < min || n > max {
        return None;
    }
    Some(
        token[..n]
            .iter()
            .fold(0, |acc, &d| acc * 10 + u32::from(d - b'0')),
    )
}

/// `time = hms-time [ non-digit *OCTET ]`, with `hms-time = time-field
/// ":" time-field ":" time-field` and `time-field = 1*2DIGIT`.
fn match_time(token: &[u8]) -> Option<(u32, u32, u32)> {
    let mut fields = [0u32; 3];
    let mut rest = token;
    for (i, field) in fields.iter_mut().enumerate() {
        let n = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if !(1..=2).contains(&n) {
            return None;
        }
        *field = match_digits(rest, 1, 2)?;
        rest = &rest[n..];
        if i < 2 {
            rest = rest.strip_prefix(b":")?;
        }
    }
    // Whatever follows the seconds must start with a non-digit, which the
    // digit count above already ensures.
    Some((fields[0], fields[1], fields[2]))
}

/// `month = ( "jan" / "feb" / ... / "dec" ) *OCTET`, case-insensitive:
/// the month's number, from 1.
fn match_month(token: &[u8]) -> Option<u32> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    let prefix = token.get(..3)?;
    MONTHS
        .iter()
        .position(|m| prefix.eq_ignore_ascii_case(&m[..]))
        .map(|i| i as u32 + 1)
}

fn is_leap(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard
/// Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: &str) -> Option<i64> {
        parse_cookie_date(s.as_bytes()).map(|t| match t.duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs() as i64,
            Err(e) => -(e.duration().as_secs() as i64),
        })
    }

    // 1994-11-06 08:49:37 UTC, RFC 9110's example date.
    const EXAMPLE: i64 = 784_111_777;

    #[test]
    fn the_three_http_date_formats() {
        assert_eq!(secs("Sun, 06 Nov 1994 08:49:37 GMT"), Some(EXAMPLE));
        assert_eq!(secs("Sunday, 06-Nov-94 08:49:37 GMT"), Some(EXAMPLE));
        assert_eq!(secs("Sun Nov  6 08:49:37 1994"), Some(EXAMPLE));
    }

    #[test]
    fn lenient_variants_read_as_the_rfc_says() {
        // No weekday, lowercase month, a single-digit day, another zone
        // name (ignored: cookie dates are UTC).
        assert_eq!(secs("6 nov 1994 08:49:37 UTC"), Some(EXAMPLE));
        // The month spelled out, dashes, trailing junk.
        assert_eq!(secs("06-November-1994 08:49:37 junk"), Some(EXAMPLE));
        // A time of one-digit fields.
        assert_eq!(secs("Sun, 06 Nov 1994 8:49:37 GMT"), Some(EXAMPLE));
        assert_eq!(secs("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(secs("Fri, 31 Dec 1999 23:59:59 GMT"), Some(946_684_799));
        assert_eq!(secs("Wed, 29 Feb 2000 00:00:00 GMT"), Some(951_782_400));
        // Two-digit years: 00–69 are 20xx.
        assert_eq!(secs("Sat, 01-Jan-00 00:00:00 GMT"), Some(946_684_800));
        // Before 1970 (still a valid date: the cookie is expired).
        assert_eq!(secs("Mon, 01 Jan 1601 00:00:00 GMT"), Some(-11_644_473_600));
    }

    #[test]
    fn invalid_dates_fail() {
        for bad in [
            "",
            "Sun, 06 Nov 1994",               // no time
            "Sun, Nov 1994 08:49:37 GMT",     // no day
            "Sun, 06 1994 08:49:37 GMT",      // no month
            "Sun, 06 Nov 08:49:37 GMT",       // no year
            "Sun, 32 Nov 1994 08:49:37 GMT",  // day past 31
            "Sun, 31 Nov 1994 08:49:37 GMT",  // November has 30
            "Tue, 29 Feb 1900 08:49:37 GMT",  // 1900 was not a leap year
            "Sun, 06 Nov 1994 24:00:00 GMT",  // hour
            "Sun, 06 Nov 1994 08:60:00 GMT",  // minute
            "Sun, 06 Nov 1994 08:49:60 GMT",  // second
            "Sun, 06 Nov 1600 08:49:37 GMT",  // before 1601
            "Sun, 06 Nov 12345 08:49:37 GMT", // five-digit year
            "Sun, 06 Nov 1994 108:49:37 GMT", // three-digit hour
        ] {
            assert_eq!(secs(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn any_bytes_never_panic() {
        for s in [
            &b"\xff\xfe 99:99"[..],
            b"::",
            b"1:2:3:4",
            b"0 0 0 0:0:0",
            b"9999",
        ] {
            let _ = parse_cookie_date(s);
        }
        assert!(parse_cookie_date(b"31 Dec 9999 23:59:59").is_some());
    }
}
