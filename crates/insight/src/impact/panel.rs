//! What the evaluation reads: each registered person's counted attendance as days, and the
//! connections as (person, day).

use time::Date;

/// A day as a number (Julian day), so that windows are arithmetic.
pub fn day(date: Date) -> i32 {
    date.to_julian_day()
}

/// The days of a person's conditions, one date each (the day it was first recorded), in order.
pub fn condition_days<'a, T: 'a>(
    conditions: impl IntoIterator<Item = &'a (T, T, Date)>,
) -> Vec<i32> {
    let mut days: Vec<i32> = conditions.into_iter().map(|c| day(c.2)).collect();
    days.sort_unstable();
    days
}

/// One registered person, as the evaluation needs them.
#[derive(Debug, Clone, PartialEq)]
pub struct PanelPerson {
    /// The practice, as a number of the panel's own.
    pub practice: u16,
    /// The sex as recorded, as a number of the panel's own.
    pub sex: u8,
    /// Year × 12 + month − 1 of birth: age at any day to the month.
    pub birth_month: i32,
    /// The day each condition the data records for them was first recorded, in order: matching
    /// counts only those recorded before the index date.
    pub conditions: Vec<i32>,
    /// First day registered.
    pub registered_from: i32,
    /// First day no longer registered (moved away or died), if they left.
    pub registered_until: Option<i32>,
    /// Days of their counted GP appointments, in order.
    pub gp: Vec<i32>,
    /// Days of their A&E attendances, in order.
    pub ae: Vec<i32>,
}

impl PanelPerson {
    /// Age in whole years on a day.
    pub fn age_on(&self, on: i32) -> i32 {
        let (y, m, _) = Date::from_julian_day(on)
            .map(|d| d.to_calendar_date())
            .unwrap_or((1970, time::Month::January, 1));
        (y * 12 + m as i32 - 1 - self.birth_month).div_euclid(12)
    }

    /// Conditions first recorded before a day.
    pub fn conditions_before(&self, on: i32) -> usize {
        self.conditions.partition_point(|d| *d < on)
    }

    pub(crate) fn registered_on(&self, on: i32) -> bool {
        self.registered_from <= on && self.registered_until.is_none_or(|u| u > on)
    }

    /// Days registered within `[from, to)`.
    pub(crate) fn observed(&self, from: i32, to: i32) -> i32 {
        let to = self.registered_until.map_or(to, |u| u.min(to));
        (to - from.max(self.registered_from)).max(0)
    }
}

/// How many days of `days` (in order) fall in `[from, to)`.
pub(crate) fn between(days: &[i32], from: i32, to: i32) -> usize {
    days.partition_point(|d| *d < to) - days.partition_point(|d| *d < from)
}

/// Everyone registered in the data, and the days the data covers.
#[derive(Debug, Clone, Default)]
pub struct Panel {
    pub people: Vec<PanelPerson>,
    /// First and last day of the attendance data (inclusive).
    pub data_from: i32,
    pub data_to: i32,
    /// Each practice's own first and last day, where they differ (a practice whose data ends
    /// sooner would otherwise count its people's missing months as no appointments).
    pub practice_spans: Vec<Option<(i32, i32)>>,
}

impl Panel {
    /// The first and last day of the data of a practice (the whole data's when not known).
    pub fn span(&self, practice: u16) -> (i32, i32) {
        self.practice_spans
            .get(practice as usize)
            .copied()
            .flatten()
            .unwrap_or((self.data_from, self.data_to))
    }
}

/// A person connected on a day. `person` is their place in the panel, or `None` when they
/// cannot be linked to the attendance data (no NHS number recorded, or not in the data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connection {
    pub person: Option<usize>,
    pub on: i32,
}
