//! When an offer meets: the recurrence of Open Referral UK 3.0 / HSDS schedules (the iCalendar
//! subset `freq` WEEKLY or MONTHLY, `interval`, `byday` such as `TU` or `2MO` or `-1FR`,
//! `bymonthday`, `dtstart`, `valid_to`, `opens_at`, `closes_at`). Sessions are generated from it,
//! and a schedule that never falls on a day is refused when it is written, not discovered later.
//!
//! Written here rather than taken from an RRULE crate: the HSDS subset is small, every rule has
//! to answer with a message a coordinator can act on, and the workspace keeps to `time` rather
//! than adding `chrono` and a time-zone database for it.

use crate::people::{parse_date, FieldError};
use serde::Deserialize;
use time::{Date, Duration, Month, Time, Weekday};

/// How often the pattern repeats, before `interval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freq {
    Weekly,
    Monthly,
}

impl Freq {
    /// The iCalendar word ORUK uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Freq::Weekly => "WEEKLY",
            Freq::Monthly => "MONTHLY",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "WEEKLY" => Some(Freq::Weekly),
            "MONTHLY" => Some(Freq::Monthly),
            _ => None,
        }
    }
}

/// One part of `byday`: a weekday, and for a monthly pattern optionally which one of the month
/// (1 to 5 from the start, -1 to -5 from the end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRule {
    pub nth: Option<i8>,
    pub weekday: Weekday,
}

/// The two-letter iCalendar codes, Monday first, with the names people read.
pub const WEEKDAYS: [(&str, Weekday, &str); 7] = [
    ("MO", Weekday::Monday, "Monday"),
    ("TU", Weekday::Tuesday, "Tuesday"),
    ("WE", Weekday::Wednesday, "Wednesday"),
    ("TH", Weekday::Thursday, "Thursday"),
    ("FR", Weekday::Friday, "Friday"),
    ("SA", Weekday::Saturday, "Saturday"),
    ("SU", Weekday::Sunday, "Sunday"),
];

fn code(w: Weekday) -> &'static str {
    WEEKDAYS
        .iter()
        .find(|(_, d, _)| *d == w)
        .map_or("MO", |x| x.0)
}

fn day_name(w: Weekday) -> &'static str {
    WEEKDAYS
        .iter()
        .find(|(_, d, _)| *d == w)
        .map_or("", |x| x.2)
}

/// Parses an iCalendar `byday` list ("TU,TH", "2MO", "-1FR").
pub fn parse_byday(s: &str) -> Result<Vec<DayRule>, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let upper = part.to_ascii_uppercase();
        // Counted in characters: anything typed may arrive, not only ASCII.
        let split = upper.char_indices().rev().nth(1).map_or(0, |(i, _)| i);
        let (n, d) = upper.split_at(split);
        let weekday = WEEKDAYS
            .iter()
            .find(|(c, _, _)| *c == d)
            .map(|x| x.1)
            .ok_or_else(|| {
                format!("\"{part}\" is not a day: use MO, TU, WE, TH, FR, SA or SU, with a number before it for which one of the month (2MO, -1FR)")
            })?;
        let nth = if n.is_empty() {
            None
        } else {
            match n.trim_start_matches('+').parse::<i8>() {
                Ok(k) if (1..=5).contains(&k.abs()) => Some(k),
                _ => {
                    return Err(format!(
                        "\"{part}\": which one of the month must be 1 to 5, or -1 to -5 counting from the end"
                    ))
                }
            }
        };
        let rule = DayRule { nth, weekday };
        if !out.contains(&rule) {
            out.push(rule);
        }
    }
    Ok(out)
}

/// Parses an iCalendar `bymonthday` list ("1,15", "-1" for the last day).
pub fn parse_bymonthday(s: &str) -> Result<Vec<i8>, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.parse::<i8>() {
            Ok(k) if k != 0 && (-31..=31).contains(&k) => {
                if !out.contains(&k) {
                    out.push(k)
                }
            }
            _ => {
                return Err(format!(
                    "\"{part}\" is not a day of the month: use 1 to 31, or -1 for the last day"
                ))
            }
        }
    }
    Ok(out)
}

/// Parses "10:00" or "10:00:00" (an ORUK feed may add a zone suffix such as "Z" or "+01:00",
/// which is read as UK local time: every offer here is in England).
pub fn parse_time(s: &str) -> Option<Time> {
    let s = s.trim();
    let s = s.strip_suffix('Z').unwrap_or(s);
    // Drop a zone offset after HH:MM or HH:MM:SS.
    let s = [5, 8]
        .into_iter()
        .find(|&i| matches!(s.as_bytes().get(i), Some(b'+' | b'-')))
        .map_or(s, |i| &s[..i]);
    let hm = time::macros::format_description!("[hour]:[minute]");
    let hms = time::macros::format_description!("[hour]:[minute]:[second]");
    Time::parse(s, hm).or_else(|_| Time::parse(s, hms)).ok()
}

/// A checked schedule: it falls on at least one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurrence {
    pub freq: Freq,
    /// 2 with WEEKLY: fortnightly.
    pub interval: u32,
    /// Empty: the weekday (or, monthly, the day of the month) of `dtstart`.
    pub byday: Vec<DayRule>,
    pub bymonthday: Vec<i8>,
    /// The first day the pattern counts from; nothing happens before it.
    pub dtstart: Date,
    /// The last day it may fall on.
    pub valid_to: Option<Date>,
    pub opens_at: Time,
    pub closes_at: Time,
}

/// The longest look-ahead when asking whether a schedule occurs at all, and the most sessions
/// generated at once: enough for any real season, small enough that a typo cannot fill the
/// database.
pub const HORIZON_DAYS: i64 = 366 * 3;
pub const MAX_SESSIONS: usize = 400;

fn month_index(d: Date) -> i32 {
    d.year() * 12 + d.month() as i32 - 1
}

fn days_in_month(year: i32, month: Month) -> u8 {
    month.length(year)
}

impl Recurrence {
    /// The iCalendar `byday` text, as ORUK writes it.
    pub fn byday_text(&self) -> String {
        self.byday
            .iter()
            .map(|r| match r.nth {
                Some(n) => format!("{n}{}", code(r.weekday)),
                None => code(r.weekday).to_owned(),
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn bymonthday_text(&self) -> String {
        self.bymonthday
            .iter()
            .map(i8::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }

    fn matches_day_rules(&self, d: Date) -> bool {
        let dim = days_in_month(d.year(), d.month()) as i8;
        let day = d.day() as i8;
        let by_weekday = || {
            self.byday.iter().any(|r| {
                r.weekday == d.weekday()
                    && match r.nth {
                        None => true,
                        Some(n) if n > 0 => (day - 1) / 7 + 1 == n,
                        Some(n) => (dim - day) / 7 + 1 == -n,
                    }
            })
        };
        let by_monthday = || {
            self.bymonthday
                .iter()
                .any(|&k| if k > 0 { k == day } else { dim + 1 + k == day })
        };
        match self.freq {
            Freq::Weekly => {
                if self.byday.is_empty() {
                    d.weekday() == self.dtstart.weekday()
                } else {
                    self.byday.iter().any(|r| r.weekday == d.weekday())
                }
            }
            Freq::Monthly => match (self.byday.is_empty(), self.bymonthday.is_empty()) {
                (true, true) => day == self.dtstart.day() as i8,
                (false, true) => by_weekday(),
                (true, false) => by_monthday(),
                // Both given: iCalendar reads them together (the 13th, when it is a Friday).
                (false, false) => by_weekday() && by_monthday(),
            },
        }
    }

    /// Whether a session falls on this day.
    pub fn occurs_on(&self, d: Date) -> bool {
        if d < self.dtstart || self.valid_to.is_some_and(|end| d > end) {
            return false;
        }
        let interval = self.interval.max(1) as i64;
        let in_cycle = match self.freq {
            Freq::Weekly => {
                let week_of = |x: Date| {
                    (x - Duration::days(x.weekday().number_days_from_monday() as i64))
                        .to_julian_day() as i64
                };
                ((week_of(d) - week_of(self.dtstart)) / 7) % interval == 0
            }
            Freq::Monthly => ((month_index(d) - month_index(self.dtstart)) as i64) % interval == 0,
        };
        in_cycle && self.matches_day_rules(d)
    }

    /// The days it falls on from `from` to `to` inclusive, at most [`MAX_SESSIONS`].
    pub fn between(&self, from: Date, to: Date) -> Vec<Date> {
        let start = from.max(self.dtstart);
        let end = match self.valid_to {
            Some(v) => to.min(v),
            None => to,
        };
        let mut out = Vec::new();
        let mut d = start;
        while d <= end && out.len() < MAX_SESSIONS {
            if self.occurs_on(d) {
                out.push(d);
            }
            match d.next_day() {
                Some(n) => d = n,
                None => break,
            }
        }
        out
    }

    /// The first day it falls on, looking at most [`HORIZON_DAYS`] ahead.
    pub fn first(&self) -> Option<Date> {
        let end = self.dtstart + Duration::days(HORIZON_DAYS);
        let mut d = self.dtstart;
        while d <= end && self.valid_to.is_none_or(|v| d <= v) {
            if self.occurs_on(d) {
                return Some(d);
            }
            d = d.next_day()?;
        }
        None
    }

    /// In words, for the offer's page and the directory booklet.
    pub fn describe(&self) -> String {
        let every = |unit: &str, units: &str| match self.interval {
            0 | 1 => format!("every {unit}"),
            2 if unit == "week" => "every other week".to_owned(),
            n => format!("every {n} {units}"),
        };
        let list = |names: Vec<String>| -> String {
            match names.len() {
                0 => String::new(),
                1 => names[0].clone(),
                n => format!("{} and {}", names[..n - 1].join(", "), names[n - 1]),
            }
        };
        let days = match self.freq {
            Freq::Weekly => {
                let names: Vec<String> = if self.byday.is_empty() {
                    vec![day_name(self.dtstart.weekday()).to_owned()]
                } else {
                    self.byday
                        .iter()
                        .map(|r| day_name(r.weekday).to_owned())
                        .collect()
                };
                let cycle = every("week", "weeks");
                if self.interval <= 1 {
                    format!("Every {}", list(names))
                } else {
                    format!("{} on {}", capitalise(&cycle), list(names))
                }
            }
            Freq::Monthly => {
                let mut parts: Vec<String> = self
                    .byday
                    .iter()
                    .map(|r| match r.nth {
                        Some(n) => format!("the {} {}", ordinal(n), day_name(r.weekday)),
                        None => format!("every {}", day_name(r.weekday)),
                    })
                    .collect();
                parts.extend(self.bymonthday.iter().map(|&k| {
                    if k > 0 {
                        format!("the {}", ordinal_day(k))
                    } else if k == -1 {
                        "the last day".to_owned()
                    } else {
                        format!("{} days before the end", -k - 1)
                    }
                }));
                if parts.is_empty() {
                    parts.push(format!("the {}", ordinal_day(self.dtstart.day() as i8)));
                }
                let cycle = every("month", "months");
                capitalise(&format!("{} of {cycle}", list(parts)))
            }
        };
        format!(
            "{days}, {} to {}",
            clock(self.opens_at),
            clock(self.closes_at)
        )
    }
}

/// "10:00", as the UK writes a time on a poster.
pub fn clock(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn ordinal(n: i8) -> &'static str {
    match n {
        1 => "first",
        2 => "second",
        3 => "third",
        4 => "fourth",
        5 => "fifth",
        -1 => "last",
        -2 => "second to last",
        -3 => "third to last",
        -4 => "fourth to last",
        _ => "fifth to last",
    }
}

fn ordinal_day(k: i8) -> String {
    let suffix = match (k % 10, k % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{k}{suffix}")
}

/// A schedule as typed on the offer's page, or read from an ORUK feed or a spreadsheet (the
/// same names as ORUK's schedule fields).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ScheduleForm {
    /// "WEEKLY" or "MONTHLY".
    pub freq: String,
    pub interval: String,
    /// iCalendar text ("TU", "2MO,4MO"); the page's day boxes and "which week" fill it.
    pub byday: String,
    pub bymonthday: String,
    /// Also accepted as ORUK's `dtstart` / `valid_from`.
    pub starts_on: String,
    pub ends_on: String,
    pub opens_at: String,
    pub closes_at: String,
}

impl ScheduleForm {
    pub fn parse(&self) -> Result<Recurrence, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut err = |field: &'static str, message: String| {
            errors.push(FieldError { field, message });
        };
        let freq = Freq::parse(&self.freq);
        if freq.is_none() {
            err("freq", "Choose weekly or monthly".into());
        }
        let interval = if self.interval.trim().is_empty() {
            Some(1)
        } else {
            self.interval.trim().parse::<u32>().ok()
        };
        let max_interval = if freq == Some(Freq::Monthly) { 12 } else { 52 };
        let interval = match interval {
            Some(n) if (1..=max_interval).contains(&n) => n,
            _ => {
                err(
                    "interval",
                    format!("Enter how many weeks or months apart, from 1 to {max_interval}"),
                );
                1
            }
        };
        let byday = parse_byday(&self.byday).unwrap_or_else(|m| {
            err("byday", m);
            Vec::new()
        });
        let bymonthday = parse_bymonthday(&self.bymonthday).unwrap_or_else(|m| {
            err("bymonthday", m);
            Vec::new()
        });
        if freq == Some(Freq::Weekly) {
            if byday.iter().any(|r| r.nth.is_some()) {
                err(
                    "byday",
                    "A weekly schedule meets on days of the week; \"2MO\" (the second Monday) needs a monthly one".into(),
                );
            }
            if !bymonthday.is_empty() {
                err(
                    "bymonthday",
                    "A weekly schedule cannot meet on a day of the month; choose monthly".into(),
                );
            }
        }
        let dtstart = parse_date(&self.starts_on);
        if dtstart.is_none() {
            err("starts_on", "Enter the first date, like 2027-01-05".into());
        }
        let valid_to = if self.ends_on.trim().is_empty() {
            None
        } else {
            let d = parse_date(&self.ends_on);
            if d.is_none() {
                err(
                    "ends_on",
                    "Enter the last date, like 2027-07-20, or leave it empty".into(),
                );
            }
            d
        };
        if let (Some(s), Some(e)) = (dtstart, valid_to) {
            if e < s {
                err(
                    "ends_on",
                    "The last date must be on or after the first".into(),
                );
            }
        }
        let opens_at = parse_time(&self.opens_at);
        if opens_at.is_none() {
            err("opens_at", "Enter the start time, like 10:00".into());
        }
        let closes_at = parse_time(&self.closes_at);
        if closes_at.is_none() {
            err("closes_at", "Enter the end time, like 11:30".into());
        }
        if let (Some(o), Some(c)) = (opens_at, closes_at) {
            if c <= o {
                err(
                    "closes_at",
                    "The end time must be after the start time".into(),
                );
            }
        }
        let (Some(freq), Some(dtstart), Some(opens_at), Some(closes_at)) =
            (freq, dtstart, opens_at, closes_at)
        else {
            return Err(errors);
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let r = Recurrence {
            freq,
            interval,
            byday,
            bymonthday,
            dtstart,
            valid_to,
            opens_at,
            closes_at,
        };
        if r.first().is_none() {
            let until = r.valid_to.unwrap_or(dtstart + Duration::days(HORIZON_DAYS));
            errors.push(FieldError {
                field: "byday",
                message: format!(
                    "This schedule never falls on a day between {dtstart} and {until}: check the days and dates"
                ),
            });
            return Err(errors);
        }
        Ok(r)
    }
}

/// The page's day boxes and "which week of the month" as iCalendar `byday` ("2TU,2TH").
pub fn byday_from_boxes(days: &[String], week_of_month: &str) -> String {
    let nth = week_of_month.trim();
    let nth = if nth == "every" { "" } else { nth };
    WEEKDAYS
        .iter()
        .filter(|(c, _, _)| days.iter().any(|d| d.eq_ignore_ascii_case(c)))
        .map(|(c, _, _)| format!("{nth}{c}"))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::{date, time};

    fn form(freq: &str, interval: &str, byday: &str, start: &str, end: &str) -> ScheduleForm {
        ScheduleForm {
            freq: freq.into(),
            interval: interval.into(),
            byday: byday.into(),
            bymonthday: String::new(),
            starts_on: start.into(),
            ends_on: end.into(),
            opens_at: "10:00".into(),
            closes_at: "11:30".into(),
        }
    }

    #[test]
    fn a_weekly_walk_meets_every_tuesday_from_its_first_day_to_its_last() {
        // 2027-01-04 is a Monday.
        let r = form("WEEKLY", "1", "TU", "2027-01-04", "2027-02-02")
            .parse()
            .unwrap();
        assert_eq!(
            r.between(date!(2026 - 12 - 01), date!(2027 - 12 - 31)),
            vec![
                date!(2027 - 01 - 05),
                date!(2027 - 01 - 12),
                date!(2027 - 01 - 19),
                date!(2027 - 01 - 26),
                date!(2027 - 02 - 02)
            ]
        );
        assert_eq!(r.describe(), "Every Tuesday, 10:00 to 11:30");
    }

    #[test]
    fn fortnightly_counts_weeks_from_the_week_it_starts() {
        let r = form("WEEKLY", "2", "TU,TH", "2027-01-05", "2027-01-31")
            .parse()
            .unwrap();
        assert_eq!(
            r.between(date!(2027 - 01 - 01), date!(2027 - 01 - 31)),
            vec![
                date!(2027 - 01 - 05),
                date!(2027 - 01 - 07),
                date!(2027 - 01 - 19),
                date!(2027 - 01 - 21)
            ]
        );
        assert_eq!(
            r.describe(),
            "Every other week on Tuesday and Thursday, 10:00 to 11:30"
        );
    }

    #[test]
    fn monthly_by_day_finds_the_second_monday_and_the_last_friday() {
        let r = form("MONTHLY", "1", "2MO,-1FR", "2027-01-01", "2027-03-31")
            .parse()
            .unwrap();
        assert_eq!(
            r.between(date!(2027 - 01 - 01), date!(2027 - 03 - 31)),
            vec![
                date!(2027 - 01 - 11),
                date!(2027 - 01 - 29),
                date!(2027 - 02 - 08),
                date!(2027 - 02 - 26),
                date!(2027 - 03 - 08),
                date!(2027 - 03 - 26)
            ]
        );
        assert_eq!(
            r.describe(),
            "The second Monday and the last Friday of every month, 10:00 to 11:30"
        );
    }

    #[test]
    fn monthly_by_month_day_counts_back_from_the_end_of_each_month() {
        let mut f = form("MONTHLY", "", "", "2027-01-01", "2027-04-30");
        f.bymonthday = "-1".into();
        let r = f.parse().unwrap();
        assert_eq!(
            r.between(date!(2027 - 01 - 01), date!(2027 - 12 - 31)),
            vec![
                date!(2027 - 01 - 31),
                date!(2027 - 02 - 28),
                date!(2027 - 03 - 31),
                date!(2027 - 04 - 30)
            ]
        );
    }

    #[test]
    fn a_schedule_that_never_occurs_is_refused_with_the_dates_it_looked_at() {
        // Only one Monday in that week, and a fifth Monday does not exist in February 2027.
        let errors = form("MONTHLY", "12", "5MO", "2027-02-01", "2027-02-28")
            .parse()
            .unwrap_err();
        assert_eq!(errors[0].field, "byday");
        assert!(
            errors[0].message.contains("never falls on a day"),
            "{errors:?}"
        );
        let mut f = form("MONTHLY", "1", "", "2027-01-01", "");
        f.bymonthday = "30".into();
        f.byday = "FR".into();
        // Friday the 30th happens; the form accepts it.
        assert!(f.parse().is_ok());
    }

    #[test]
    fn bad_input_names_the_field_and_says_what_to_do() {
        let errors = ScheduleForm {
            freq: "daily".into(),
            interval: "0".into(),
            byday: "XX".into(),
            bymonthday: "32".into(),
            starts_on: "soon".into(),
            ends_on: "later".into(),
            opens_at: "25:00".into(),
            closes_at: "".into(),
        }
        .parse()
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        for f in [
            "freq",
            "interval",
            "byday",
            "bymonthday",
            "starts_on",
            "ends_on",
            "opens_at",
            "closes_at",
        ] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
        let errors = form("WEEKLY", "1", "2MO", "2027-01-01", "")
            .parse()
            .unwrap_err();
        assert!(errors[0].message.contains("monthly"));
        let mut f = form("WEEKLY", "1", "MO", "2027-01-01", "2026-12-01");
        f.closes_at = "09:00".into();
        let errors = f.parse().unwrap_err();
        assert_eq!(
            errors.iter().map(|e| e.field).collect::<Vec<_>>(),
            vec!["ends_on", "closes_at"]
        );
    }

    #[test]
    fn oruk_times_and_day_lists_read_as_written() {
        assert_eq!(parse_time("10:00"), Some(time!(10:00)));
        assert_eq!(parse_time("10:00:00"), Some(time!(10:00)));
        assert_eq!(parse_time("18:30Z"), Some(time!(18:30)));
        assert_eq!(parse_time("09:00+01:00"), Some(time!(09:00)));
        assert_eq!(parse_time("09:00:00-05:00"), Some(time!(09:00)));
        assert_eq!(parse_time("9am"), None);
        // Characters of more than one byte where a day code should be.
        assert!(parse_byday("Ö1").is_err());
        assert!(parse_byday("2€").is_err());
        let r = form("MONTHLY", "1", "2mo, -1FR", "2027-01-01", "")
            .parse()
            .unwrap();
        assert_eq!(r.byday_text(), "2MO,-1FR");
        assert_eq!(
            byday_from_boxes(&["we".into(), "MO".into()], "2"),
            "2MO,2WE"
        );
        assert_eq!(byday_from_boxes(&["TU".into()], "every"), "TU");
    }

    proptest! {
        #[test]
        fn anything_typed_into_a_schedule_is_answered_without_a_panic(
            byday in ".{0,12}",
            bymonthday in ".{0,8}",
            time in ".{0,9}",
            freq in prop_oneof![Just("WEEKLY".to_owned()), Just("MONTHLY".to_owned()), ".{0,8}"],
        ) {
            let _ = parse_byday(&byday);
            let _ = parse_bymonthday(&bymonthday);
            let _ = parse_time(&time);
            let _ = ScheduleForm {
                freq,
                interval: "1".into(),
                byday,
                bymonthday,
                starts_on: "2027-01-01".into(),
                ends_on: String::new(),
                opens_at: time,
                closes_at: "23:59".into(),
            }
            .parse();
        }

        #[test]
        fn every_day_generated_meets_the_rule_and_none_is_missed(
            weekly in any::<bool>(),
            interval in 1u32..5,
            days in proptest::collection::vec(0usize..7, 1..3),
            nth in prop_oneof![Just(None), (1i8..=4).prop_map(Some), Just(Some(-1))],
            offset in 0i64..400,
        ) {
            let start = date!(2027 - 01 - 01) + Duration::days(offset);
            let byday = days.iter().map(|&i| match (weekly, nth) {
                (false, Some(n)) => format!("{n}{}", WEEKDAYS[i].0),
                _ => WEEKDAYS[i].0.to_owned(),
            }).collect::<Vec<_>>().join(",");
            let f = form(if weekly { "WEEKLY" } else { "MONTHLY" }, &interval.to_string(), &byday, &start.to_string(), "");
            let r = f.parse().unwrap();
            let end = start + Duration::days(200);
            let got = r.between(start, end);
            // Each generated day is one of the chosen weekdays, and consecutive ones are in order.
            for d in &got {
                prop_assert!(days.iter().any(|&i| WEEKDAYS[i].1 == d.weekday()));
            }
            prop_assert!(got.windows(2).all(|w| w[0] < w[1]));
            if weekly {
                // Exactly the chosen weekdays of every interval-th week.
                let per_cycle = { let mut u = days.clone(); u.sort(); u.dedup(); u.len() };
                let weeks = 200 / 7 / interval as usize;
                prop_assert!(got.len() + per_cycle >= weeks.saturating_sub(1) * per_cycle);
            } else if nth.is_some() {
                // At most one of each (nth, weekday) per month in the cycle.
                let months = got.iter().map(|d| (d.year(), d.month() as u8, d.weekday())).collect::<Vec<_>>();
                let mut unique = months.clone();
                unique.dedup();
                prop_assert_eq!(months.len(), unique.len());
            }
        }
    }
}
