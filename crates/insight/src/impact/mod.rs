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
mod matching;
mod panel;
mod report;

pub use estimate::{
    evaluate, Balance, Counts, Estimate, Evaluation, FrequentAttenders, Month, Outcome,
    OutcomeKind, Unit,
};
pub use load::load;
pub use matching::Method;
pub use panel::{day, Connection, Panel, PanelPerson};
pub use report::{
    assemble, build, inputs, Gifted, Group, ImpactReport, Inputs, Money, ShownCounts,
    ShownEvaluation, ShownFrequent, ShownGroup, ShownReport, ShownWellbeing, WellbeingChange,
    FEWEST_TO_SHOW,
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
