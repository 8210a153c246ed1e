//! Cron expressions for schedules: local validation, and conversion from a named time zone
//! to the UTC the API evaluates them in.

use chrono::{DateTime, Datelike, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use crate::error::{Error, Result};

/// Checks a five-field cron expression (minute hour day-of-month month day-of-week).
pub fn validate(expr: &str) -> Result<()> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(Error::usage(format!(
            "invalid cron {expr:?}: expected 5 fields (minute hour day-of-month month day-of-week), got {}",
            fields.len()
        )));
    }
    // Name the field and its range, rather than the parser's "number out of bounds".
    const FIELDS: [(&str, u32, u32); 5] = [
        ("minute", 0, 59),
        ("hour", 0, 23),
        ("day-of-month", 1, 31),
        ("month", 1, 12),
        ("day-of-week", 0, 7),
    ];
    for (text, (name, lo, hi)) in fields.iter().zip(FIELDS) {
        // A step (`*/90`) is not a value: only the parts before a `/` are checked.
        let values = text
            .split(',')
            .flat_map(|p| p.split('/').next())
            .collect::<Vec<_>>()
            .join(",");
        for n in values
            .split(|c: char| !c.is_ascii_digit())
            .filter(|n| !n.is_empty())
        {
            let v: u64 = n.parse().unwrap_or(u64::MAX);
            if v < u64::from(lo) || v > u64::from(hi) {
                return Err(Error::usage(format!(
                    "invalid cron {expr:?}: the {name} field is {text:?}, but {name} must be {lo}-{hi}"
                ))
                .hint("fields: minute (0-59) hour (0-23) day-of-month (1-31) month (1-12) day-of-week (0-7, 0 and 7 are Sunday)"));
            }
        }
    }
    expr.parse::<croner::Cron>().map(|_| ()).map_err(|e| {
        Error::usage(format!("invalid cron {expr:?}: {e}")).hint(
            "fields: minute (0-59) hour (0-23) day-of-month (1-31) month (1-12) day-of-week (0-7)",
        )
    })
}

pub fn parse_tz(name: &str) -> Result<Tz> {
    name.parse::<Tz>().map_err(|_| {
        Error::usage(format!("unknown time zone {name:?}"))
            .hint("use an IANA name such as Europe/Paris or America/New_York")
    })
}

/// Whether the zone's offset differs between January and July (daylight saving time).
pub fn observes_dst(tz: Tz, year: i32) -> bool {
    let at = |m| {
        tz.offset_from_utc_datetime(
            &Utc.with_ymd_and_hms(year, m, 1, 12, 0, 0)
                .single()
                .unwrap_or_default()
                .naive_utc(),
        )
        .fix()
    };
    at(1) != at(7)
}

/// Expands a numeric field (`5`, `1-5`, `1,3,5`, `*/2` over `lo..=hi`) to its values.
fn expand(field: &str, lo: u32, hi: u32) -> Option<Vec<u32>> {
    let mut out = Vec::new();
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().ok().filter(|s| *s > 0)?),
            None => (part, 1),
        };
        let (a, b) = if range == "*" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (a.parse().ok()?, b.parse().ok()?)
        } else {
            let v: u32 = range.parse().ok()?;
            (v, if part.contains('/') { hi } else { v })
        };
        if a > b || a < lo || b > hi {
            return None;
        }
        out.extend((a..=b).step_by(step as usize));
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}

/// `1,2,3,5` → `1-3,5`.
fn compact(values: &[u32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < values.len() {
        let mut j = i;
        while j + 1 < values.len() && values[j + 1] == values[j] + 1 {
            j += 1;
        }
        parts.push(if j > i + 1 {
            format!("{}-{}", values[i], values[j])
        } else if j == i + 1 {
            format!("{},{}", values[i], values[j])
        } else {
            values[i].to_string()
        });
        i = j + 1;
    }
    parts.join(",")
}

/// Converts `expr`, meant in `tz`, to UTC for the zone's offset at `at`.
pub fn to_utc(expr: &str, tz: Tz, at: DateTime<Utc>) -> Result<String> {
    validate(expr)?;
    let f: Vec<&str> = expr.split_whitespace().collect();
    let offset_min = tz
        .offset_from_utc_datetime(&at.naive_utc())
        .fix()
        .local_minus_utc()
        / 60;
    if offset_min == 0 {
        return Ok(f.join(" "));
    }
    let cannot = || {
        Error::usage(format!("cannot convert cron {expr:?} from {tz} to UTC"))
            .hint("give the expression in UTC (without --timezone)")
    };
    let shift = -offset_min; // minutes to add to local time to get UTC
    let (mut minutes, minute_field) = if shift % 60 == 0 {
        (None, f[0].to_string())
    } else {
        // A half-hour zone moves the minute too: only one minute value can move with it.
        let m = expand(f[0], 0, 59)
            .filter(|m| m.len() == 1)
            .ok_or_else(cannot)?;
        (Some(m), String::new())
    };
    if f[1] == "*" && minutes.is_none() {
        return Ok(f.join(" ")); // every hour: a whole-hour offset changes nothing
    }
    let hours = expand(f[1], 0, 23).ok_or_else(cannot)?;
    let mut new_hours = Vec::new();
    let mut new_minutes = Vec::new();
    let mut carry: Option<i32> = None;
    for h in &hours {
        let mins: Vec<u32> = minutes.clone().unwrap_or_else(|| vec![0]);
        for m in mins {
            let total = (*h as i32) * 60 + m as i32 + shift;
            let day = total.div_euclid(24 * 60);
            let within = total.rem_euclid(24 * 60);
            if carry.is_some_and(|c| c != day) {
                return Err(cannot());
            }
            carry = Some(day);
            new_hours.push((within / 60) as u32);
            new_minutes.push((within % 60) as u32);
        }
    }
    new_hours.sort_unstable();
    new_hours.dedup();
    let minute_out = match minutes.take() {
        Some(_) => {
            new_minutes.sort_unstable();
            new_minutes.dedup();
            compact(&new_minutes)
        }
        None => minute_field,
    };
    let day = carry.unwrap_or(0);
    let (dom, dow) = if day == 0 {
        (f[2].to_string(), f[4].to_string())
    } else {
        if f[2] != "*" {
            return Err(cannot());
        }
        let dow = if f[4] == "*" {
            "*".to_string()
        } else {
            let days = expand(&f[4].replace('7', "0"), 0, 6).ok_or_else(cannot)?;
            let mut shifted: Vec<u32> = days
                .iter()
                .map(|d| (*d as i32 + day).rem_euclid(7) as u32)
                .collect();
            shifted.sort_unstable();
            compact(&shifted)
        };
        ("*".to_string(), dow)
    };
    Ok(format!(
        "{minute_out} {} {dom} {} {dow}",
        compact(&new_hours),
        f[3]
    ))
}

/// The year of `at`, for [`observes_dst`].
pub fn year_of(at: DateTime<Utc>) -> i32 {
    at.year()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, m, 15, 12, 0, 0)
            .single()
            .expect("date")
    }

    #[test]
    fn new_york_weekdays_at_nine() {
        let ny = parse_tz("America/New_York").expect("tz");
        assert_eq!(
            to_utc("0 9 * * 1-5", ny, at(1)).expect("jan"),
            "0 14 * * 1-5"
        );
        assert_eq!(
            to_utc("0 9 * * 1-5", ny, at(7)).expect("jul"),
            "0 13 * * 1-5"
        );
        assert!(observes_dst(ny, 2026));
    }

    #[test]
    fn utc_is_unchanged_and_days_carry() {
        let utc = parse_tz("UTC").expect("tz");
        assert_eq!(
            to_utc("0 9 * * 1-5", utc, at(1)).expect("utc"),
            "0 9 * * 1-5"
        );
        assert!(!observes_dst(utc, 2026));
        let ny = parse_tz("America/New_York").expect("tz");
        assert_eq!(
            to_utc("30 22 * * 1-5", ny, at(1)).expect("carry"),
            "30 3 * * 2-6"
        );
        let tokyo = parse_tz("Asia/Tokyo").expect("tz");
        assert_eq!(
            to_utc("0 8 * * 1", tokyo, at(1)).expect("back"),
            "0 23 * * 0"
        );
        let kolkata = parse_tz("Asia/Kolkata").expect("tz");
        assert_eq!(
            to_utc("0 9 * * *", kolkata, at(1)).expect("half hour"),
            "30 3 * * *"
        );
        assert!(
            to_utc("0 22,23 1 * *", ny, at(1)).is_err(),
            "day of month cannot carry"
        );
    }

    #[test]
    fn validation() {
        assert!(validate("0 9 * * 1-5").is_ok());
        assert!(validate("*/15 * * * *").is_ok());
        assert!(validate("0 25 * * *").is_err());
        assert!(validate("0 9 * *").is_err());
        assert!(validate("0 0 9 * * 1").is_err(), "six fields");
        assert!(validate("nonsense").is_err());
        assert!(parse_tz("Mars/Olympus").is_err());
    }
}
