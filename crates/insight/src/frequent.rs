//! Frequent attenders, by a definition the PCN chooses: the top X% within each age-sex band, or
//! a fixed number of appointments in the period; persistent when frequent in the same period a
//! year earlier too. How many they are, what share of appointments they hold, and how common each condition
//! is among them compared with everyone.

use crate::profile::{age_band, people, profile, PersonCount, Scope};
use crate::tables::Tables;
use datafusion::arrow::array::AsArray;
use datafusion::error::DataFusionError;
use datafusion::prelude::*;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use together_core::disclosure::RawCount;

/// Who counts as a frequent attender.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Definition {
    /// The top X percent of attenders within each age band and sex (people with at least one
    /// appointment), so that the old are not the only ones found.
    TopPercentWithinAgeSex(f64),
    /// At least this many appointments in the period.
    AtLeast(u64),
}

impl Definition {
    pub fn describe(&self) -> String {
        match self {
            Definition::TopPercentWithinAgeSex(p) => {
                format!("the top {p}% of attenders within each age band and sex")
            }
            Definition::AtLeast(n) => format!("{n} or more appointments in the period"),
        }
    }

    /// The pseudonyms of the frequent attenders among `people`.
    pub fn select(&self, people: &[PersonCount]) -> HashSet<String> {
        match *self {
            Definition::AtLeast(n) => people
                .iter()
                .filter(|p| p.appointments >= n.max(1))
                .map(|p| p.pseudonym.clone())
                .collect(),
            Definition::TopPercentWithinAgeSex(pct) => {
                let mut groups: HashMap<(&str, &str), Vec<&PersonCount>> = HashMap::new();
                for p in people.iter().filter(|p| p.appointments > 0) {
                    groups.entry((age_band(p.age), p.sex)).or_default().push(p);
                }
                let mut chosen = HashSet::new();
                for (_, mut group) in groups {
                    group.sort_by(|a, b| {
                        b.appointments
                            .cmp(&a.appointments)
                            .then_with(|| a.pseudonym.cmp(&b.pseudonym))
                    });
                    let k = ((group.len() as f64) * pct / 100.0).ceil() as usize;
                    chosen.extend(group.into_iter().take(k).map(|p| p.pseudonym.clone()));
                }
                chosen
            }
        }
    }
}

/// How common one condition is among frequent attenders and among everyone.
#[derive(Debug, Clone)]
pub struct ConditionShare {
    pub condition: String,
    pub frequent: RawCount,
    pub frequent_share: f64,
    pub everyone: RawCount,
    pub everyone_share: f64,
}

#[derive(Debug, Clone)]
pub struct Frequent {
    pub definition: String,
    pub registered: RawCount,
    pub people: RawCount,
    pub appointments_held: RawCount,
    /// Their share of all counted appointments.
    pub share: f64,
    /// Frequent in this period and in the same period a year earlier.
    pub persistent: RawCount,
    pub conditions: Vec<ConditionShare>,
    /// The frequent attenders' pseudonyms (for cohorts; never shown as such).
    pub members: HashSet<String>,
}

/// The same dates a year earlier: persistence is about consecutive years.
pub fn previous(scope: &Scope) -> Scope {
    let year_before = |d: time::Date| {
        time::Date::from_calendar_date(d.year() - 1, d.month(), d.day())
            .or_else(|_| time::Date::from_calendar_date(d.year() - 1, d.month(), 28))
            .unwrap_or(d)
    };
    Scope {
        from: year_before(scope.from),
        to: year_before(scope.to),
        ..scope.clone()
    }
}

/// Conditions recorded on or before `until`, per person.
pub(crate) async fn conditions(
    tables: &Tables,
    until: time::Date,
) -> Result<HashMap<String, HashSet<String>>, DataFusionError> {
    let epoch =
        time::Date::from_calendar_date(1970, time::Month::January, 1).unwrap_or(time::Date::MIN);
    let until = lit(datafusion::scalar::ScalarValue::Date32(Some(
        (until - epoch).whole_days() as i32,
    )));
    let batches = tables
        .conditions()?
        .filter(col("recorded_on").lt_eq(until))?
        .select(vec![col("pseudonym"), col("condition")])?
        .distinct()?
        .collect()
        .await?;
    let mut out: HashMap<String, HashSet<String>> = HashMap::new();
    for b in batches {
        let (p, c) = (
            b.column(0).as_string::<i32>(),
            b.column(1).as_string::<i32>(),
        );
        for i in 0..b.num_rows() {
            out.entry(p.value(i).to_owned())
                .or_default()
                .insert(c.value(i).to_owned());
        }
    }
    Ok(out)
}

pub async fn frequent(
    tables: &Tables,
    scope: &Scope,
    definition: Definition,
) -> Result<Frequent, DataFusionError> {
    let now = profile(tables, scope).await?;
    frequent_given(tables, scope, definition, &now).await
}

/// The same, given the period's profile already worked out (the Insight page has it).
pub async fn frequent_given(
    tables: &Tables,
    scope: &Scope,
    definition: Definition,
    now: &crate::profile::Profile,
) -> Result<Frequent, DataFusionError> {
    let before = people(tables, &previous(scope)).await?;
    let members = definition.select(&now.people);
    let earlier = definition.select(&before);
    let held: u64 = now
        .people
        .iter()
        .filter(|p| members.contains(&p.pseudonym))
        .map(|p| p.appointments)
        .sum();
    let by_person = conditions(tables, scope.to).await?;
    let mut tally: HashMap<&str, (u64, u64)> = HashMap::new();
    for p in &now.people {
        for c in by_person.get(&p.pseudonym).into_iter().flatten() {
            let t = tally.entry(c.as_str()).or_default();
            t.1 += 1;
            if members.contains(&p.pseudonym) {
                t.0 += 1;
            }
        }
    }
    let (n_frequent, n_all) = (members.len() as f64, now.people.len() as f64);
    let mut conditions: Vec<ConditionShare> = tally
        .into_iter()
        .map(|(c, (f, a))| ConditionShare {
            condition: c.to_owned(),
            frequent: RawCount::new(f),
            frequent_share: if n_frequent > 0.0 {
                f as f64 / n_frequent
            } else {
                0.0
            },
            everyone: RawCount::new(a),
            everyone_share: if n_all > 0.0 { a as f64 / n_all } else { 0.0 },
        })
        .collect();
    conditions.sort_by(|a, b| {
        b.frequent_share
            .total_cmp(&a.frequent_share)
            .then_with(|| a.condition.cmp(&b.condition))
    });
    Ok(Frequent {
        definition: definition.describe(),
        registered: now.registered,
        people: RawCount::new(members.len() as u64),
        appointments_held: RawCount::new(held),
        share: if now.appointments.value() > 0 {
            held as f64 / now.appointments.value() as f64
        } else {
            0.0
        },
        persistent: RawCount::new(members.intersection(&earlier).count() as u64),
        conditions,
        members,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(p: &str, age: i32, sex: &'static str, n: u64) -> PersonCount {
        PersonCount {
            pseudonym: p.into(),
            practice: "B99001".into(),
            age,
            sex,
            imd_quintile: None,
            appointments: n,
        }
    }

    #[test]
    fn the_top_percent_is_taken_within_each_age_band_and_sex() {
        let mut people = Vec::new();
        for i in 0..10 {
            people.push(person(&format!("old{i}"), 80, "F", 20 + i));
            people.push(person(&format!("young{i}"), 20, "M", 1 + i));
        }
        people.push(person("never", 20, "M", 0));
        let top = Definition::TopPercentWithinAgeSex(10.0).select(&people);
        assert_eq!(
            top,
            HashSet::from(["old9".to_owned(), "young9".to_owned()]),
            "one from each group, though the young attend less"
        );
        let fixed = Definition::AtLeast(25).select(&people);
        assert_eq!(fixed.len(), 5);
        assert!(
            Definition::AtLeast(0)
                .select(&people)
                .iter()
                .all(|p| p != "never"),
            "zero attenders are never frequent"
        );
    }

    #[test]
    fn the_previous_period_is_the_same_dates_a_year_earlier() {
        let s = Scope {
            from: time::macros::date!(2025 - 01 - 01),
            to: time::macros::date!(2025 - 12 - 31),
            practices: vec![],
            rule: Default::default(),
        };
        let p = previous(&s);
        assert_eq!(
            (p.from, p.to),
            (
                time::macros::date!(2024 - 01 - 01),
                time::macros::date!(2024 - 12 - 31)
            )
        );
        let leap = Scope {
            from: time::macros::date!(2024 - 02 - 29),
            to: time::macros::date!(2024 - 03 - 31),
            ..s
        };
        assert_eq!(previous(&leap).from, time::macros::date!(2023 - 02 - 28));
    }
}

/// A condition's comparison, disclosed.
#[derive(Debug, Clone, Serialize)]
pub struct ShownCondition {
    pub condition: String,
    pub frequent: together_core::disclosure::Count,
    /// None where the count behind it is not shown (a share would reveal it).
    pub frequent_share: Option<f64>,
    pub everyone: together_core::disclosure::Count,
    pub everyone_share: Option<f64>,
}

/// The frequent attenders' figures as they may be shown to one audience.
#[derive(Debug, Clone, Serialize)]
pub struct ShownFrequent {
    pub definition: String,
    pub disclosure: Option<&'static str>,
    pub registered: together_core::disclosure::Count,
    pub people: together_core::disclosure::Count,
    pub appointments_held: together_core::disclosure::Count,
    pub share: f64,
    pub persistent: together_core::disclosure::Count,
    pub conditions: Vec<ShownCondition>,
}

impl Frequent {
    pub fn shown(&self, audience: together_core::disclosure::Audience) -> ShownFrequent {
        use together_core::disclosure::{Audience, RULE};
        ShownFrequent {
            definition: self.definition.clone(),
            disclosure: (audience == Audience::Suppressed).then_some(RULE),
            registered: self.registered.disclose(audience),
            people: self.people.disclose(audience),
            appointments_held: self.appointments_held.disclose(audience),
            share: self.share,
            persistent: self.persistent.disclose(audience),
            conditions: self
                .conditions
                .iter()
                .map(|c| {
                    let (frequent, everyone) =
                        (c.frequent.disclose(audience), c.everyone.disclose(audience));
                    ShownCondition {
                        condition: c.condition.clone(),
                        frequent_share: frequent.shown().map(|_| c.frequent_share),
                        everyone_share: everyone.shown().map(|_| c.everyone_share),
                        frequent,
                        everyone,
                    }
                })
                .collect(),
        }
    }
}
