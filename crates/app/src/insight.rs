//! What Insight shows whom: the period asked about when none is, and which figures are exact.
//! The Insight page, the cohort pages and the API all ask these questions of the same rules.

use time::Date;
use together_core::disclosure::Audience;
use together_core::Role;
use together_store::ImportRecord;

/// The last day of the appointments imported (active imports only), if any are.
pub fn latest_appointment(imports: &[ImportRecord]) -> Option<Date> {
    imports
        .iter()
        .filter(|i| i.status == "active" && i.dataset == "appointments")
        .filter_map(|i| i.period_to)
        .max()
}

/// The default period: the twelve months ending on the last day of imported appointments (or
/// `today`, before any import).
pub fn default_period(latest: Option<Date>, today: Date) -> (Date, Date) {
    let to = latest.unwrap_or(today);
    (year_ending(to), to)
}

/// The first day of the twelve months that end on `to`.
fn year_ending(to: Date) -> Date {
    let back = Date::from_calendar_date(to.year() - 1, to.month(), to.day())
        .or_else(|_| Date::from_calendar_date(to.year() - 1, to.month(), 28))
        .unwrap_or(to);
    back.next_day().unwrap_or(back)
}

/// Exact figures for analysts and for a clinician looking at their own practice alone;
/// disclosure control for everyone and everything else.
pub fn audience_for(role: Role, own: Option<&str>, practices: &[String]) -> Audience {
    match (role, own) {
        (Role::Analyst, _) => Audience::Unsuppressed,
        (Role::Clinician, Some(own)) if practices == [own] => Audience::Unsuppressed,
        _ => Audience::Suppressed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_default_year_ends_on_the_last_appointment_and_survives_a_leap_day() {
        assert_eq!(
            default_period(Some(date!(2026 - 03 - 31)), date!(2026 - 12 - 07)),
            (date!(2025 - 04 - 01), date!(2026 - 03 - 31))
        );
        assert_eq!(
            default_period(Some(date!(2024 - 02 - 29)), date!(2026 - 12 - 07)),
            (date!(2023 - 03 - 01), date!(2024 - 02 - 29))
        );
        assert_eq!(
            default_period(None, date!(2026 - 12 - 07)).1,
            date!(2026 - 12 - 07),
            "before any import, the year ends today"
        );
    }

    #[test]
    fn only_analysts_and_a_clinician_on_their_own_practice_see_exact_figures() {
        let own = ["Y00001".to_owned()];
        let both = ["Y00001".to_owned(), "Y00002".to_owned()];
        assert_eq!(
            audience_for(Role::Analyst, None, &both),
            Audience::Unsuppressed
        );
        assert_eq!(
            audience_for(Role::Clinician, Some("Y00001"), &own),
            Audience::Unsuppressed
        );
        assert_eq!(
            audience_for(Role::Clinician, Some("Y00001"), &both),
            Audience::Suppressed
        );
        assert_eq!(
            audience_for(Role::PcnAdmin, None, &own),
            Audience::Suppressed
        );
    }
}
