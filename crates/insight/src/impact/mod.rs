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
mod report;
mod settings;

pub use estimate::{
    evaluate, Balance, Counts, Estimate, Evaluation, Evaluator, FrequentAttenders, Month, Outcome,
    OutcomeKind, Unit, BALANCED,
};
pub use load::load;
pub use panel::{condition_days, day, Connection, Panel, PanelPerson};
pub use report::{
    assemble, build, inputs, unit_costs, Gifted, Group, ImpactReport, Inputs, Money, ReportError,
    ShownCounts, ShownEvaluation, ShownFrequent, ShownGroup, ShownReport, ShownWellbeing,
    WellbeingChange, EARLIER_RECORDS, FEWEST_TO_SHOW, NOT_FOR_SHARING,
};
pub use settings::{Method, Settings, SettingsForm, RESAMPLES, SETTINGS_KEY, WINDOW_DAYS};
