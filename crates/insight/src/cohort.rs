//! Cohorts: a saved, named definition — practices, a window, age, sex, conditions present or
//! absent, appointment, A&E and Did Not Attend counts in the window, last seen before a date —
//! evaluated afresh over the active imports. Its members are pseudonyms; turning them into an
//! invitation list goes through the patient index, for the practice's own clinicians only.

use crate::frequent::conditions;
use crate::hiu::per_person as ae_per_person;
use crate::profile::{age_band, group, people, Group, PersonCount, Scope, AGE_BANDS};
use crate::tables::Tables;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{Int64Type, TimestampMicrosecondType};
use datafusion::error::DataFusionError;
use datafusion::functions_aggregate::expr_fn::{count, max};
use datafusion::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use time::{Date, OffsetDateTime};
use together_core::disclosure::{Audience, Count, RawCount, RULE};

time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");

/// Who is in a cohort. Every criterion left empty matches everyone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortDefinition {
    /// ODS codes.
    pub practices: Vec<String>,
    /// The window that registrations and counts are taken over.
    #[serde(with = "iso_date")]
    pub from: Date,
    #[serde(with = "iso_date")]
    pub to: Date,
    #[serde(default)]
    pub age_min: Option<i32>,
    #[serde(default)]
    pub age_max: Option<i32>,
    /// F, M, I or U.
    #[serde(default)]
    pub sex: Option<String>,
    #[serde(default)]
    pub with_conditions: Vec<String>,
    #[serde(default)]
    pub without_conditions: Vec<String>,
    #[serde(default)]
    pub appointments_min: Option<u64>,
    #[serde(default)]
    pub appointments_max: Option<u64>,
    #[serde(default)]
    pub ae_min: Option<u64>,
    #[serde(default)]
    pub dna_min: Option<u64>,
    /// No counted appointment on or after this date.
    #[serde(default, with = "iso_date::option")]
    pub last_seen_before: Option<Date>,
}

impl CohortDefinition {
    /// The definition in words, printed beside the cohort.
    pub fn describe(&self) -> String {
        let mut parts = vec![format!(
            "people registered at {} at any time from {} to {}",
            self.practices.join(", "),
            self.from,
            self.to
        )];
        match (self.age_min, self.age_max) {
            (Some(a), Some(b)) => parts.push(format!("aged {a} to {b}")),
            (Some(a), None) => parts.push(format!("aged {a} or over")),
            (None, Some(b)) => parts.push(format!("aged {b} or under")),
            (None, None) => {}
        }
        if let Some(s) = &self.sex {
            parts.push(format!("sex {s}"));
        }
        if !self.with_conditions.is_empty() {
            parts.push(format!("with {}", self.with_conditions.join(" and ")));
        }
        if !self.without_conditions.is_empty() {
            parts.push(format!("without {}", self.without_conditions.join(" or ")));
        }
        match (self.appointments_min, self.appointments_max) {
            (Some(a), Some(b)) => parts.push(format!("{a} to {b} appointments")),
            (Some(a), None) => parts.push(format!("{a} or more appointments")),
            (None, Some(b)) => parts.push(format!("at most {b} appointments")),
            (None, None) => {}
        }
        if let Some(n) = self.ae_min {
            parts.push(format!("{n} or more A&E attendances"));
        }
        if let Some(n) = self.dna_min {
            parts.push(format!("{n} or more missed appointments (Did Not Attend)"));
        }
        if let Some(d) = self.last_seen_before {
            parts.push(format!("not seen since {d}"));
        }
        let mut text = parts.join("; ");
        text.push_str(
            " (appointments, A&E and missed appointments counted in the window; age at its start)",
        );
        text
    }

    fn scope(&self, rule: &crate::profile::CountingRule) -> Scope {
        Scope {
            from: self.from,
            to: self.to,
            practices: self.practices.clone(),
            rule: rule.clone(),
        }
    }
}

/// One member: never shown as such, only counted, or re-identified by the practice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub pseudonym: String,
    pub practice: String,
}

#[derive(Debug, Clone)]
pub struct Cohort {
    pub description: String,
    pub counting_rule: String,
    pub registered: RawCount,
    pub size: RawCount,
    pub by_practice: Vec<Group>,
    pub by_age: Vec<Group>,
    pub by_sex: Vec<Group>,
    /// Their appointments in the window, per person.
    pub mean_appointments: f64,
    pub members: Vec<Member>,
}

/// Per person: Did Not Attend in the window, and the last counted appointment ever imported.
async fn activity(
    tables: &Tables,
    scope: &Scope,
) -> Result<HashMap<String, (u64, Option<OffsetDateTime>)>, DataFusionError> {
    let (start, end) = scope.window();
    let in_window = col("starts_at").gt_eq(start).and(col("starts_at").lt(end));
    let dna = when(
        col("status").eq(lit("Did Not Attend")).and(in_window),
        lit(1i64),
    )
    .end()?;
    let seen = when(scope.rule.predicate(), col("starts_at")).end()?;
    let batches = tables
        .appointments()?
        .filter(col("ods_code").in_list(
            scope.practices.iter().map(|p| lit(p.as_str())).collect(),
            false,
        ))?
        .aggregate(
            vec![col("pseudonym")],
            vec![count(dna).alias("dna"), max(seen).alias("last_seen")],
        )?
        .collect()
        .await?;
    let mut out = HashMap::new();
    for b in batches {
        let p = crate::profile::strings(b.column(0))?;
        let p = p.as_string::<i32>();
        let dna = b.column(1).as_primitive::<Int64Type>();
        let last = b.column(2).as_primitive::<TimestampMicrosecondType>();
        for i in 0..b.num_rows() {
            let last_seen = (!last.is_null(i))
                .then(|| {
                    OffsetDateTime::from_unix_timestamp_nanos(last.value(i) as i128 * 1000).ok()
                })
                .flatten();
            out.insert(p.value(i).to_owned(), (dna.value(i) as u64, last_seen));
        }
    }
    Ok(out)
}

/// Works out who is in the cohort now, with its size and profile.
pub async fn evaluate(
    tables: &Tables,
    definition: &CohortDefinition,
    rule: &crate::profile::CountingRule,
) -> Result<Cohort, DataFusionError> {
    let scope = definition.scope(rule);
    let everyone = people(tables, &scope).await?;
    let ae: HashMap<String, u64> = if definition.ae_min.is_some() {
        ae_per_person(tables, &scope)
            .await?
            .into_iter()
            .map(|(p, _, n)| (p, n))
            .collect()
    } else {
        HashMap::new()
    };
    let needs_activity = definition.dna_min.is_some() || definition.last_seen_before.is_some();
    let activity = if needs_activity {
        activity(tables, &scope).await?
    } else {
        HashMap::new()
    };
    let needs_conditions =
        !definition.with_conditions.is_empty() || !definition.without_conditions.is_empty();
    let recorded: HashMap<String, HashSet<String>> = if needs_conditions {
        conditions(tables, definition.to).await?
    } else {
        HashMap::new()
    };
    let none = HashSet::new();
    let d = definition;
    let chosen: Vec<&PersonCount> = everyone
        .iter()
        .filter(|p| {
            let has = recorded.get(&p.pseudonym).unwrap_or(&none);
            let (dna, last_seen) = activity.get(&p.pseudonym).copied().unwrap_or((0, None));
            d.age_min.is_none_or(|a| p.age >= a)
                && d.age_max.is_none_or(|a| p.age <= a)
                && d.sex.as_deref().is_none_or(|s| p.sex == s)
                && d.with_conditions.iter().all(|c| has.contains(c))
                && !d.without_conditions.iter().any(|c| has.contains(c))
                && d.appointments_min.is_none_or(|n| p.appointments >= n)
                && d.appointments_max.is_none_or(|n| p.appointments <= n)
                && d.ae_min
                    .is_none_or(|n| ae.get(&p.pseudonym).copied().unwrap_or(0) >= n)
                && d.dna_min.is_none_or(|n| dna >= n)
                && d.last_seen_before.is_none_or(|day| {
                    last_seen
                        .is_none_or(|t| t < together_core::uk_time::london_to_utc(day.midnight()))
                })
        })
        .collect();
    let held: u64 = chosen.iter().map(|p| p.appointments).sum();
    let bands: Vec<String> = AGE_BANDS.iter().map(|b| b.0.to_owned()).collect();
    let mut by_practice = group(
        chosen.iter().copied(),
        |p| &p.practice,
        &definition.practices,
    );
    by_practice.retain(|g| g.people.value() > 0);
    Ok(Cohort {
        description: definition.describe(),
        counting_rule: rule.describe(),
        registered: RawCount::new(everyone.len() as u64),
        size: RawCount::new(chosen.len() as u64),
        by_practice,
        by_age: group(chosen.iter().copied(), |p| age_band(p.age), &bands),
        by_sex: group(chosen.iter().copied(), |p| p.sex, &["F".into(), "M".into()]),
        mean_appointments: if chosen.is_empty() {
            0.0
        } else {
            held as f64 / chosen.len() as f64
        },
        members: chosen
            .iter()
            .map(|p| Member {
                pseudonym: p.pseudonym.clone(),
                practice: p.practice.to_string(),
            })
            .collect(),
    })
}

/// A breakdown row as it may be shown.
#[derive(Debug, Clone, Serialize)]
pub struct ShownGroup {
    pub label: String,
    pub people: Count,
}

/// The cohort's figures as one audience may see them (never its members).
#[derive(Debug, Clone, Serialize)]
pub struct ShownCohort {
    pub description: String,
    pub counting_rule: String,
    pub disclosure: Option<&'static str>,
    pub registered: Count,
    pub size: Count,
    pub mean_appointments: Option<f64>,
    pub by_practice: Vec<ShownGroup>,
    pub by_age: Vec<ShownGroup>,
    pub by_sex: Vec<ShownGroup>,
}

impl Cohort {
    pub fn shown(&self, audience: Audience) -> ShownCohort {
        let size = self.size.disclose(audience);
        let shown = |gs: &[Group]| {
            gs.iter()
                .map(|g| ShownGroup {
                    label: g.label.clone(),
                    people: g.people.disclose(audience),
                })
                .collect()
        };
        ShownCohort {
            description: self.description.clone(),
            counting_rule: self.counting_rule.clone(),
            disclosure: (audience == Audience::Suppressed).then_some(RULE),
            registered: self.registered.disclose(audience),
            mean_appointments: size.shown().map(|_| self.mean_appointments),
            size,
            by_practice: shown(&self.by_practice),
            by_age: shown(&self.by_age),
            by_sex: shown(&self.by_sex),
        }
    }
}
