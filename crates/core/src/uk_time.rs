//! Practice systems record local Europe/London wall-clock times; Together stores UTC. The UK
//! rule since 1996: British Summer Time (UTC+1) from 01:00 UTC on the last Sunday of March to
//! 01:00 UTC on the last Sunday of October.

use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, Weekday};

fn last_sunday(year: i32, month: Month) -> Option<Date> {
    let mut d = Date::from_calendar_date(year, month, 31).ok()?;
    while d.weekday() != Weekday::Sunday {
        d = d.previous_day()?;
    }
    Some(d)
}

/// The UTC instants at which BST starts and ends in `year`.
fn bst_bounds(year: i32) -> Option<(OffsetDateTime, OffsetDateTime)> {
    let one = Time::from_hms(1, 0, 0).ok()?;
    let start = PrimitiveDateTime::new(last_sunday(year, Month::March)?, one).assume_utc();
    let end = PrimitiveDateTime::new(last_sunday(year, Month::October)?, one).assume_utc();
    Some((start, end))
}

/// The years whose BST bounds are worked out once (imports convert millions of times).
const CACHED_YEARS: std::ops::RangeInclusive<i32> = 1970..=2199;

/// Whether an instant falls in British Summer Time.
pub fn is_bst(t: OffsetDateTime) -> bool {
    static BOUNDS: std::sync::OnceLock<Vec<Option<(OffsetDateTime, OffsetDateTime)>>> =
        std::sync::OnceLock::new();
    let year = t.year();
    let bounds = if CACHED_YEARS.contains(&year) {
        BOUNDS.get_or_init(|| CACHED_YEARS.map(bst_bounds).collect())
            [(year - CACHED_YEARS.start()) as usize]
    } else {
        bst_bounds(year)
    };
    bounds.is_some_and(|(s, e)| t >= s && t < e)
}

/// The day it is in London at an instant.
pub fn london_date(t: OffsetDateTime) -> time::Date {
    if is_bst(t) {
        (t + Duration::hours(1)).date()
    } else {
        t.date()
    }
}

/// Converts a London wall-clock time to UTC. In the hour that does not exist (clocks go
/// forward) the time is read as GMT, i.e. an hour later in local terms; in the hour that
/// happens twice (clocks go back) the first, BST, reading is taken. Both are documented in
/// docs/formats.md.
pub fn london_to_utc(local: PrimitiveDateTime) -> OffsetDateTime {
    let as_gmt = local.assume_utc();
    let as_bst = as_gmt - Duration::hours(1);
    if is_bst(as_bst) {
        as_bst
    } else {
        as_gmt
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn winter_is_gmt_and_summer_is_bst() {
        assert_eq!(
            london_to_utc(datetime!(2025-01-15 09:00)),
            datetime!(2025-01-15 09:00 UTC)
        );
        assert_eq!(
            london_to_utc(datetime!(2025-07-15 09:00)),
            datetime!(2025-07-15 08:00 UTC)
        );
    }

    #[test]
    fn the_changeover_hours_are_handled_as_documented() {
        // 2025: BST from Sunday 30 March 01:00 UTC to Sunday 26 October 01:00 UTC.
        assert_eq!(
            london_to_utc(datetime!(2025-03-30 00:59)),
            datetime!(2025-03-30 00:59 UTC)
        );
        assert_eq!(
            london_to_utc(datetime!(2025-03-30 01:30)),
            datetime!(2025-03-30 01:30 UTC),
            "the missing hour reads as GMT"
        );
        assert_eq!(
            london_to_utc(datetime!(2025-03-30 02:00)),
            datetime!(2025-03-30 01:00 UTC)
        );
        assert_eq!(
            london_to_utc(datetime!(2025-10-26 01:30)),
            datetime!(2025-10-26 00:30 UTC),
            "the repeated hour reads as BST"
        );
        assert_eq!(
            london_to_utc(datetime!(2025-10-26 02:00)),
            datetime!(2025-10-26 02:00 UTC)
        );
    }
}
