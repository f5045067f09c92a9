//! How an evaluation is done: the programme's settings, with the form that changes them and
//! the bounds each must keep.

use serde::{Deserialize, Serialize};

/// How comparison people are chosen: a setting, reported with every result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Method {
    /// Exact on practice, sex, age band and A&E attendances in the window before (none, one,
    /// two or more); then the `k` nearest on GP appointments and A&E attendances (both a year,
    /// in the window before) and conditions recorded before the day, each measured in units of
    /// everyone's spread, and no further than `caliper` of those units apart on GP
    /// appointments. With replacement: one person may stand in for several. Ties are broken by
    /// a hash of the two people's places in the panel, which is in the order of their
    /// pseudonyms: the same data gives the same comparison people every time.
    ///
    /// Why exact on A&E: most people have none in a year, so "nearest" alone filled the second
    /// and third places of a connected person with one A&E attendance with people who had none,
    /// whose attendance then rose towards the average — a rise counted as A&E "avoided".
    NearestNeighbour { k: usize, caliper: f64 },
}

impl Default for Method {
    fn default() -> Self {
        Method::NearestNeighbour { k: 3, caliper: 0.5 }
    }
}

impl Method {
    pub fn describe(&self) -> String {
        match self {
            Method::NearestNeighbour { k, caliper } => format!(
                "Each connected person is compared with up to {k} people never connected, of the same practice, sex and age band, registered on the day they were connected, with the same number of A&E attendances in the window before (none, one, or two or more), who had the nearest numbers of GP appointments, A&E attendances and conditions before that day (no more than {caliper} standard deviations apart on GP appointments); each comparison person takes that day as their own. Everything matched on is measured before the day of connection."
            ),
        }
    }
}

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

impl Settings {
    /// The PCN's evaluation settings, the defaults where none are saved (or they cannot be read).
    pub async fn load(
        store: &together_store::DynStore,
        pcn: together_core::PcnId,
    ) -> Result<Self, together_store::StoreError> {
        Ok(store
            .setting(pcn, SETTINGS_KEY)
            .await?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default())
    }
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
