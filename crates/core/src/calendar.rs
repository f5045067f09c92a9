//! A calendar file (iCalendar, RFC 5545) for an offer or a listing, so that someone can add it
//! to their phone's calendar: each session as an event (a moved one at its new time, a
//! cancelled one marked so), or a schedule as one repeating event. Times are UK local time,
//! with the Europe/London time zone written into the file. Small enough to write here: the
//! crates for it bring a second date library with them.

use crate::recurrence::{Freq, Recurrence};
use time::{Date, Time};

/// One event in the file.
#[derive(Debug, Clone)]
pub struct Event {
    /// Stable across downloads, so that a calendar updates the event rather than adding another.
    pub uid: String,
    pub summary: String,
    pub description: String,
    pub location: String,
    pub on: Date,
    pub starts: Time,
    pub ends: Time,
    /// Repeats by this schedule (its first day is `on`).
    pub repeats: Option<Recurrence>,
    pub cancelled: bool,
}

const LONDON: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/London\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0100\r\nTZNAME:BST\r\nDTSTART:19700329T010000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000\r\nTZNAME:GMT\r\nDTSTART:19701025T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";

/// Text as a property value: backslashes, semicolons, commas and line breaks escaped.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line, folded at 75 octets without splitting a character.
fn line(out: &mut String, text: &str) {
    let mut width = 0;
    for c in text.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

fn local(d: Date, t: Time) -> String {
    format!(
        "{:04}{:02}{:02}T{:02}{:02}00",
        d.year(),
        d.month() as u8,
        d.day(),
        t.hour(),
        t.minute()
    )
}

/// The RRULE of a schedule.
pub fn rrule(r: &Recurrence) -> String {
    let mut rule = format!(
        "FREQ={};INTERVAL={}",
        match r.freq {
            Freq::Weekly => "WEEKLY",
            Freq::Monthly => "MONTHLY",
        },
        r.interval
    );
    let byday = r.byday_text();
    if !byday.is_empty() {
        rule.push_str(&format!(";BYDAY={byday}"));
    }
    let bymonthday = r.bymonthday_text();
    if !bymonthday.is_empty() {
        rule.push_str(&format!(";BYMONTHDAY={bymonthday}"));
    }
    if let Some(last) = r.valid_to {
        // UNTIL is in UTC when the start has a time zone: the end of the last day is safe.
        rule.push_str(&format!(
            ";UNTIL={:04}{:02}{:02}T235959Z",
            last.year(),
            last.month() as u8,
            last.day()
        ));
    }
    rule
}

/// The whole file. `stamp` is when it was made, in UTC ("20261201T090000Z").
pub fn calendar(name: &str, events: &[Event], stamp: &str) -> String {
    let mut out = String::new();
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Together//Offers and directory//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        line(&mut out, l);
    }
    line(&mut out, &format!("X-WR-CALNAME:{}", escape(name)));
    out.push_str(LONDON);
    for e in events {
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}", e.uid));
        line(&mut out, &format!("DTSTAMP:{stamp}"));
        line(
            &mut out,
            &format!("DTSTART;TZID=Europe/London:{}", local(e.on, e.starts)),
        );
        line(
            &mut out,
            &format!("DTEND;TZID=Europe/London:{}", local(e.on, e.ends)),
        );
        if let Some(r) = &e.repeats {
            line(&mut out, &format!("RRULE:{}", rrule(r)));
        }
        line(&mut out, &format!("SUMMARY:{}", escape(&e.summary)));
        if !e.description.is_empty() {
            line(&mut out, &format!("DESCRIPTION:{}", escape(&e.description)));
        }
        if !e.location.is_empty() {
            line(&mut out, &format!("LOCATION:{}", escape(&e.location)));
        }
        if e.cancelled {
            line(&mut out, "STATUS:CANCELLED");
        }
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recurrence::ScheduleForm;
    use time::macros::{date, time};

    #[test]
    fn a_schedule_becomes_one_repeating_event_in_london_time() {
        let r = ScheduleForm {
            freq: "MONTHLY".into(),
            byday: "2TU".into(),
            starts_on: "2026-12-01".into(),
            ends_on: "2027-06-30".into(),
            opens_at: "10:00".into(),
            closes_at: "11:30".into(),
            ..ScheduleForm::default()
        }
        .parse()
        .unwrap();
        assert_eq!(
            rrule(&r),
            "FREQ=MONTHLY;INTERVAL=1;BYDAY=2TU;UNTIL=20270630T235959Z"
        );
        let ics = calendar(
            "Bereavement café",
            &[Event {
                uid: "x@together".into(),
                summary: "Bereavement café".into(),
                description: "Tea, cake; and company".into(),
                location: "Harbour Café, 12 Quay Street".into(),
                on: date!(2026 - 12 - 08),
                starts: time!(10:00),
                ends: time!(11:30),
                repeats: Some(r),
                cancelled: false,
            }],
            "20261201T090000Z",
        );
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(ics.contains("DTSTART;TZID=Europe/London:20261208T100000\r\n"));
        assert!(ics.contains("RRULE:FREQ=MONTHLY;INTERVAL=1;BYDAY=2TU;UNTIL=20270630T235959Z\r\n"));
        assert!(ics.contains("DESCRIPTION:Tea\\, cake\\; and company\r\n"));
        assert!(ics.contains("TZID:Europe/London"));
        assert!(ics.lines().all(|l| l.len() <= 75), "folded");
    }

    #[test]
    fn long_lines_fold_without_breaking_a_character_and_cancelled_sessions_say_so() {
        let e = Event {
            uid: "y@together".into(),
            summary: "Café ".repeat(30),
            description: String::new(),
            location: String::new(),
            on: date!(2027 - 01 - 05),
            starts: time!(09:30),
            ends: time!(10:00),
            repeats: None,
            cancelled: true,
        };
        let ics = calendar("x", &[e], "20261201T090000Z");
        assert!(ics.contains("STATUS:CANCELLED"));
        assert!(ics.split("\r\n").all(|l| l.len() <= 75));
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains(&format!("SUMMARY:{}", "Café ".repeat(30))));
    }
}
