//! Impact: did connecting people help? The honest answer compares the people connected with
//! people like them who were never connected, because people chosen for a busy year attend
//! less the next year by themselves (regression to the mean). A before-and-after count of the
//! connected people alone — the "naive" figure — mixes that fall with the connection's effect.
//!
//! The evaluation works on a [`Panel`]: every registered person's counted GP appointments and
//! A&E attendances as days, from the pseudonymised Insight data. For each connected person it
//! takes the day of their first connection as the index date, finds comparison people never
//! connected (exact on practice, sex and age band; nearest on attendance and conditions in the
//! window before), gives each the same index date, and estimates the difference in
//! differences with a bootstrap interval over connected people. Nobody is silently dropped:
//! everyone connected is counted as evaluated, or under the reason they could not be.

mod estimate;
mod load;
pub(crate) use load::london_day;
mod matching;
mod panel;
mod past;
mod report;

pub use estimate::{
    evaluate, Balance, Counts, Estimate, Evaluation, Evaluator, FrequentAttenders, Month, Outcome,
    OutcomeKind, Unit, BALANCED,
};
pub use load::load;
pub use matching::Method;
pub use panel::{condition_days, day, Connection, Panel, PanelPerson};
pub use past::{import_past_connections, PastImportError};
pub use report::{
    assemble, build, inputs, unit_costs, Gifted, Group, ImpactReport, Inputs, Money, ReportError,
    ShownCounts, ShownEvaluation, ShownFrequent, ShownGroup, ShownReport, ShownWellbeing,
    WellbeingChange, EARLIER_RECORDS, FEWEST_TO_SHOW, NOT_FOR_SHARING,
};

use serde::{Deserialize, Serialize};

/// How an evaluation is done: a programme setting, quoted in every report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// The window before the index date, in days.
    pub before_days: i32,
    /// The window after the index date, in days.
    pub after_days: i32,
    /// How comparison people are found.
    pub method: Method,
    /// Someone registered for less of a window than this (days) cannot be evaluated: rates
    /// from a few weeks are mostly noise.
    pub min_observed_days: i32,
    /// Bootstrap resamples for the 95% intervals.
    pub resamples: usize,
    /// The bootstrap's seed, so that a report can be reproduced exactly.
    pub seed: u64,
    /// GP appointments a year that make someone a frequent attender, for the before-and-after
    /// count of frequent attenders.
    pub frequent_per_year: f64,
}

impl Default for Settings {
    /// Twelve months each side, three nearest comparison people each, intervals from 1,000
    /// resamples, frequent attendance at 12 appointments a year.
    fn default() -> Self {
        Self {
            before_days: 365,
            after_days: 365,
            method: Method::default(),
            min_observed_days: 91,
            resamples: 1000,
            seed: 1,
            frequent_per_year: 12.0,
        }
    }
}

/// The programme setting that holds the evaluation settings (JSON).
pub const SETTINGS_KEY: &str = "impact.settings";

/// Days in a year, for rates per person per year.
pub(crate) const YEAR: f64 = 365.25;

/// The windows a PCN lead or an analyst may choose, in days: a month to five years.
pub const WINDOW_DAYS: std::ops::RangeInclusive<i32> = 30..=1830;
/// The bootstrap resamples they may choose: fewer than 100 give intervals too rough to state.
pub const RESAMPLES: std::ops::RangeInclusive<usize> = 100..=100_000;

/// The evaluation settings as a form: whole numbers and decimals as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SettingsForm {
    pub before_days: String,
    pub after_days: String,
    pub matches: String,
    pub caliper: String,
    pub resamples: String,
    pub seed: String,
    pub frequent_per_year: String,
}

impl SettingsForm {
    pub fn of(s: &Settings) -> Self {
        let Method::NearestNeighbour { k, caliper } = s.method;
        Self {
            before_days: s.before_days.to_string(),
            after_days: s.after_days.to_string(),
            matches: k.to_string(),
            caliper: caliper.to_string(),
            resamples: s.resamples.to_string(),
            seed: s.seed.to_string(),
            frequent_per_year: s.frequent_per_year.to_string(),
        }
    }

    pub fn parse(&self) -> Result<Settings, Vec<together_core::people::FieldError>> {
        let mut errors = Vec::new();
        fn number<T: std::str::FromStr + PartialOrd + Copy>(
            errors: &mut Vec<together_core::people::FieldError>,
            field: &'static str,
            text: &str,
            range: std::ops::RangeInclusive<T>,
            message: &str,
        ) -> Option<T> {
            let n = text
                .trim()
                .replace(',', "")
                .parse::<T>()
                .ok()
                .filter(|n| range.contains(n));
            if n.is_none() {
                errors.push(together_core::people::FieldError {
                    field,
                    message: message.into(),
                });
            }
            n
        }
        let before = number(
            &mut errors,
            "before_days",
            &self.before_days,
            WINDOW_DAYS,
            "Enter the days before, from 30 to 1830 (five years), like 365",
        );
        let after = number(
            &mut errors,
            "after_days",
            &self.after_days,
            WINDOW_DAYS,
            "Enter the days after, from 30 to 1830 (five years), like 365",
        );
        let k = number(
            &mut errors,
            "matches",
            &self.matches,
            1..=10,
            "Enter how many comparison people for each connected person, from 1 to 10",
        );
        let caliper = number(
            &mut errors,
            "caliper",
            &self.caliper,
            0.01..=5.0,
            "Enter how far apart, in standard deviations, from 0.01 to 5, like 0.5",
        );
        let resamples = number(
            &mut errors,
            "resamples",
            &self.resamples,
            RESAMPLES,
            "Enter the resamples, from 100 to 100,000, like 1000",
        );
        let seed = number(
            &mut errors,
            "seed",
            &self.seed,
            0..=u64::MAX,
            "Enter a whole number, like 1",
        );
        let frequent = number(
            &mut errors,
            "frequent_per_year",
            &self.frequent_per_year,
            1.0..=365.0,
            "Enter the GP appointments a year that make a frequent attender, like 12",
        );
        match (before, after, k, caliper, resamples, seed, frequent) {
            (
                Some(before_days),
                Some(after_days),
                Some(k),
                Some(caliper),
                Some(resamples),
                Some(seed),
                Some(frequent_per_year),
            ) if errors.is_empty() => Ok(Settings {
                before_days,
                after_days,
                method: Method::NearestNeighbour { k, caliper },
                min_observed_days: Settings::default().min_observed_days,
                resamples,
                seed,
                frequent_per_year,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_parsed_from_the_form_or_each_mistake_named() {
        let d = Settings::default();
        assert_eq!(SettingsForm::of(&d).parse().unwrap(), d);
        let wrong = SettingsForm {
            before_days: "10".into(),
            caliper: "-1".into(),
            ..SettingsForm::of(&d)
        }
        .parse()
        .unwrap_err();
        let fields: Vec<&str> = wrong.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["before_days", "caliper"]);
    }
}
