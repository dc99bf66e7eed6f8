//! Time formatting without a date library: RFC 3339 UTC from epoch
//! seconds, and short human durations.

/// `2026-11-28T15:53:58Z` for epoch seconds.
pub fn rfc3339(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// RFC 3339 or the empty string.
pub fn rfc3339_opt(epoch: Option<i64>) -> String {
    epoch.map(rfc3339).unwrap_or_default()
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// algorithm; the inverse of the one [`rfc3339`] uses).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `3d 04h` (from two days up), `1h 02m 03s`, `4m 05s`, `12s`.
pub fn duration(secs: i64) -> String {
    let s = secs.max(0);
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    if h >= 48 {
        format!("{}d {:02}h", h / 24, h % 24)
    } else if h > 0 {
        format!("{h}h {m:02}m {s:02}s")
    } else if m > 0 {
        format!("{m}m {s:02}s")
    } else {
        format!("{s}s")
    }
}

/// A percentage for display: clamped to 0–100 (a log can say -5 or
/// 1e308; JSON keeps the raw value), `?` when it is not a number.
pub fn percent(p: f64, decimals: usize) -> String {
    if p.is_nan() {
        return "?".into();
    }
    format!("{:.*}%", decimals, p.clamp(0.0, 100.0))
}

/// `1.2 GB`, `340.0 MB`, `512 B` (decimal units, as transfer tools show).
pub fn bytes(n: f64) -> String {
    const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut v = n.max(0.0);
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{v:.0} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// A short text of a duration, or `-`.
pub fn dur(d: Option<i64>) -> String {
    d.map(duration).unwrap_or_else(|| "-".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_known_points() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_881_238), "2026-11-28T15:53:58Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn durations_and_bytes() {
        assert_eq!(duration(3723), "1h 02m 03s");
        assert_eq!(duration(65), "1m 05s");
        assert_eq!(duration(7), "7s");
        assert_eq!(duration(47 * 3600 + 59), "47h 00m 59s");
        assert_eq!(duration(48 * 3600), "2d 00h");
        assert_eq!(duration(365 * 86_400 + 13 * 3600 + 1), "365d 13h");
        assert_eq!(bytes(512.0), "512 B");
        assert_eq!(bytes(1_234_000_000.0), "1.2 GB");
    }
}
