//! Time windows: a rule that applies only during (or only outside) given hours on
//! given days, in a given time zone (`match.time_window`).
//!
//! A window whose end is before its start runs overnight (`22:00-06:00`); its days
//! name the day it *starts*, so `days = ["fri"]` with `22:00-06:00` covers Friday
//! 22:00 to Saturday 06:00. Hours are local wall-clock time: on a daylight-saving
//! change the window follows the clock on the wall, as a person's working hours do.

use std::sync::OnceLock;

use jiff::Timestamp;
use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// A time window, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeWindowSpec {
    /// Days (`mon` … `sun`, or full names) and ranges (`mon-fri`, `fri-mon`); none
    /// means every day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days: Vec<String>,
    /// `HH:MM-HH:MM`, end exclusive (`24:00` ends at midnight); none means all day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<String>,
    /// An IANA time zone (`Europe/Berlin`, `UTC`); none means the machine's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// `true`: the rule matches calls *outside* the window (off-hours rules).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub outside: bool,
}

/// A checked window. The time zone is looked up on first use (it reads the
/// system's time zone database), so a policy that never reaches the rule never
/// pays for it.
#[derive(Debug)]
pub(crate) struct TimeWindow {
    /// Monday first.
    days: [bool; 7],
    start_minute: u16,
    end_minute: u16,
    time_zone: Option<String>,
    outside: bool,
    zone: OnceLock<Result<TimeZone, String>>,
}

const MINUTES_PER_DAY: u16 = 24 * 60;

const DAY_NAMES: [(&str, &str); 7] = [
    ("mon", "monday"),
    ("tue", "tuesday"),
    ("wed", "wednesday"),
    ("thu", "thursday"),
    ("fri", "friday"),
    ("sat", "saturday"),
    ("sun", "sunday"),
];

impl TimeWindow {
    /// Checks the days and hours; the message says what is wrong and how to write it.
    pub(crate) fn new(spec: &TimeWindowSpec) -> Result<TimeWindow, String> {
        let days = if spec.days.is_empty() {
            [true; 7]
        } else {
            let mut days = [false; 7];
            for item in &spec.days {
                for index in day_range(item)? {
                    if let Some(day) = days.get_mut(index) {
                        *day = true;
                    }
                }
            }
            days
        };
        let (start_minute, end_minute) = match &spec.hours {
            None => (0, MINUTES_PER_DAY),
            Some(hours) => parse_hours(hours)?,
        };
        if let Some(name) = &spec.time_zone
            && name.trim().is_empty()
        {
            return Err("`time_zone` is empty: name one such as `Europe/Berlin` or `UTC`, or leave it out for the machine's own".to_owned());
        }
        Ok(TimeWindow {
            days,
            start_minute,
            end_minute,
            time_zone: spec.time_zone.clone(),
            outside: spec.outside,
            zone: OnceLock::new(),
        })
    }

    /// Looks the time zone up (for `ward policy validate` and the first match).
    pub(crate) fn zone(&self) -> Result<&TimeZone, String> {
        self.zone
            .get_or_init(|| match &self.time_zone {
                None => Ok(TimeZone::system()),
                Some(name) => TimeZone::get(name).map_err(|error| {
                    format!("unknown time zone `{name}` ({error}); use an IANA name such as `Europe/Berlin` or `UTC`")
                }),
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Whether the rule's window condition holds at `now`.
    pub(crate) fn applies_at(&self, now: Timestamp) -> Result<bool, String> {
        let local = now.to_zoned(self.zone()?.clone()).datetime();
        let minute =
            u16::try_from(i32::from(local.hour()) * 60 + i32::from(local.minute())).unwrap_or(0);
        let today = day_index(local.weekday());
        let yesterday = (today + 6) % 7;
        let on = |index: usize| self.days.get(index).copied().unwrap_or(false);
        let inside = if self.start_minute < self.end_minute {
            on(today) && (self.start_minute..self.end_minute).contains(&minute)
        } else {
            // Overnight: the evening of a listed day, or the morning after one.
            (on(today) && minute >= self.start_minute)
                || (on(yesterday) && minute < self.end_minute)
        };
        Ok(inside != self.outside)
    }
}

fn day_index(day: Weekday) -> usize {
    usize::try_from(day.to_monday_zero_offset()).unwrap_or(0)
}

/// One day or a range of days, as indexes from Monday; ranges may wrap (`fri-mon`).
fn day_range(item: &str) -> Result<Vec<usize>, String> {
    let day = |name: &str| {
        let name = name.trim().to_ascii_lowercase();
        DAY_NAMES
            .iter()
            .position(|(short, long)| name == *short || name == *long)
            .ok_or_else(|| {
                format!("unknown day `{}` in `days` (write mon, tue, … sun, or a range such as mon-fri)", name)
            })
    };
    match item.split_once('-') {
        None => Ok(vec![day(item)?]),
        Some((first, last)) => {
            let (first, last) = (day(first)?, day(last)?);
            let length = (last + 7 - first) % 7 + 1;
            Ok((0..length).map(|offset| (first + offset) % 7).collect())
        }
    }
}

/// `HH:MM-HH:MM` as minutes since midnight; the end may be `24:00`.
fn parse_hours(text: &str) -> Result<(u16, u16), String> {
    let wrong = || {
        format!(
            "`hours = \"{text}\"` is not a window: write `HH:MM-HH:MM` such as `09:00-18:00`, or `22:00-06:00` for one that runs overnight"
        )
    };
    let (start, end) = text.split_once('-').ok_or_else(wrong)?;
    let start = parse_clock(start.trim()).ok_or_else(wrong)?;
    let end = parse_clock(end.trim()).ok_or_else(wrong)?;
    if start >= MINUTES_PER_DAY {
        return Err(wrong());
    }
    if start == end || (start == 0 && end == MINUTES_PER_DAY) {
        return Err(format!(
            "`hours = \"{text}\"` covers the whole day or none of it; leave `hours` out for the whole day"
        ));
    }
    Ok((start, end))
}

fn parse_clock(text: &str) -> Option<u16> {
    let (hours, minutes) = text.split_once(':')?;
    if hours.is_empty() || hours.len() > 2 || minutes.len() != 2 {
        return None;
    }
    let hours: u16 = hours.parse().ok()?;
    let minutes: u16 = minutes.parse().ok()?;
    let total = hours * 60 + minutes;
    (minutes < 60 && total <= MINUTES_PER_DAY).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(days: &[&str], hours: Option<&str>, outside: bool) -> TimeWindow {
        TimeWindow::new(&TimeWindowSpec {
            days: days.iter().map(|d| (*d).to_owned()).collect(),
            hours: hours.map(str::to_owned),
            time_zone: Some("Europe/Berlin".to_owned()),
            outside,
        })
        .unwrap()
    }

    /// A Berlin wall-clock time. 2026-11-23 is a Monday.
    fn at(text: &str) -> Timestamp {
        jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M", text)
            .unwrap()
            .to_zoned(TimeZone::get("Europe/Berlin").unwrap())
            .unwrap()
            .timestamp()
    }

    #[test]
    fn office_hours_include_the_start_and_exclude_the_end() {
        let office = window(&["mon-fri"], Some("09:00-18:00"), false);
        assert!(!office.applies_at(at("2026-11-23 08:59")).unwrap());
        assert!(office.applies_at(at("2026-11-23 09:00")).unwrap());
        assert!(office.applies_at(at("2026-11-23 17:59")).unwrap());
        assert!(!office.applies_at(at("2026-11-23 18:00")).unwrap());
        // Saturday.
        assert!(!office.applies_at(at("2026-11-28 10:00")).unwrap());
    }

    #[test]
    fn outside_inverts_the_window() {
        let off_hours = window(&["mon-fri"], Some("09:00-18:00"), true);
        assert!(off_hours.applies_at(at("2026-11-23 20:00")).unwrap());
        assert!(off_hours.applies_at(at("2026-11-29 12:00")).unwrap());
        assert!(!off_hours.applies_at(at("2026-11-24 12:00")).unwrap());
    }

    #[test]
    fn an_overnight_window_belongs_to_the_day_it_starts() {
        // Friday night only.
        let night = window(&["fri"], Some("22:00-06:00"), false);
        assert!(!night.applies_at(at("2026-11-27 21:59")).unwrap());
        assert!(night.applies_at(at("2026-11-27 22:00")).unwrap());
        assert!(night.applies_at(at("2026-11-28 05:59")).unwrap());
        assert!(!night.applies_at(at("2026-11-28 06:00")).unwrap());
        // Saturday evening is not Friday's window.
        assert!(!night.applies_at(at("2026-11-28 23:00")).unwrap());
        // Friday morning belongs to Thursday's window, which is not listed.
        assert!(!night.applies_at(at("2026-11-27 03:00")).unwrap());
    }

    #[test]
    fn the_time_zone_decides_the_wall_clock() {
        let utc = TimeWindow::new(&TimeWindowSpec {
            hours: Some("09:00-10:00".to_owned()),
            time_zone: Some("UTC".to_owned()),
            ..TimeWindowSpec::default()
        })
        .unwrap();
        // 09:30 in Berlin (winter) is 08:30 UTC.
        assert!(!utc.applies_at(at("2026-11-23 09:30")).unwrap());
        assert!(utc.applies_at(at("2026-11-23 10:30")).unwrap());
    }

    #[test]
    fn ranges_wrap_and_full_names_count() {
        let weekend = window(&["fri-Mon"], None, false);
        for (day, expected) in [
            ("2026-11-23", true),
            ("2026-11-24", false),
            ("2026-11-26", false),
            ("2026-11-27", true),
            ("2026-11-29", true),
        ] {
            assert_eq!(
                weekend.applies_at(at(&format!("{day} 12:00"))).unwrap(),
                expected,
                "{day}"
            );
        }
        let sunday = window(&["Sunday"], None, false);
        assert!(sunday.applies_at(at("2026-11-29 23:59")).unwrap());
    }

    #[test]
    fn bad_windows_say_how_to_write_them() {
        let error = |days: &[&str], hours: &str| {
            TimeWindow::new(&TimeWindowSpec {
                days: days.iter().map(|d| (*d).to_owned()).collect(),
                hours: Some(hours.to_owned()),
                ..TimeWindowSpec::default()
            })
            .unwrap_err()
        };
        assert!(error(&["mon"], "9-17").contains("HH:MM-HH:MM"));
        assert!(error(&["mon"], "09:00-25:00").contains("HH:MM-HH:MM"));
        assert!(error(&["mon"], "09:60-10:00").contains("HH:MM-HH:MM"));
        assert!(error(&["mon"], "10:00-10:00").contains("whole day"));
        assert!(error(&["mon"], "00:00-24:00").contains("whole day"));
        assert!(error(&["monday", "frday"], "09:00-10:00").contains("unknown day `frday`"));
        let zone = TimeWindow::new(&TimeWindowSpec {
            time_zone: Some("Mars/Olympus".to_owned()),
            ..TimeWindowSpec::default()
        })
        .unwrap();
        assert!(
            zone.zone()
                .unwrap_err()
                .contains("unknown time zone `Mars/Olympus`")
        );
    }
}
