//! High intensity use of A&E: people registered in the period with at least a threshold of A&E
//! attendances in it (default 5 in 12 months, the NHS High Intensity Use programme's usual
//! definition). How many, what share of the attendances they hold, their ages, whether they
//! were high intensity users the year before too, and how much they use the practice.

use crate::frequent::previous;
use crate::profile::{age_at, age_band, denominator, people, Group, Scope, AGE_BANDS};
use crate::tables::Tables;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{Int32Type, Int64Type};
use datafusion::common::JoinType;
use datafusion::error::DataFusionError;
use datafusion::functions_aggregate::expr_fn::count;
use datafusion::prelude::*;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use together_core::disclosure::{Audience, Count, RawCount, RULE};

/// The usual definition: five or more attendances in twelve months.
pub const DEFAULT_THRESHOLD: u64 = 5;

#[derive(Debug, Clone)]
pub struct Hiu {
    pub definition: String,
    pub registered: RawCount,
    /// People with at least one A&E attendance in the period.
    pub attenders: RawCount,
    pub attendances: RawCount,
    /// The high intensity users.
    pub people: RawCount,
    pub attendances_held: RawCount,
    /// Their share of all the registered people's attendances.
    pub share: f64,
    /// High intensity users in the same period a year earlier too.
    pub persistent: RawCount,
    /// High intensity users and their attendances by age band.
    pub by_age: Vec<Group>,
    /// GP appointments per person in the period: high intensity users, everyone.
    pub gp_mean_hiu: f64,
    pub gp_mean_everyone: f64,
    /// Their pseudonyms (for cohorts; never shown as such).
    pub members: HashSet<String>,
}

/// The plan: everyone registered in the period, with their A&E attendances in it (zero
/// included).
pub fn ae_per_person_plan(tables: &Tables, scope: &Scope) -> Result<DataFrame, DataFusionError> {
    let (start, end) = scope.window();
    let attendances = tables
        .ae_attendances()?
        .filter(
            col("arrived_at")
                .gt_eq(start)
                .and(col("arrived_at").lt(end)),
        )?
        .aggregate(
            vec![col("pseudonym").alias("attender")],
            vec![count(lit(1)).alias("n")],
        )?;
    denominator(tables, scope)?
        .join(
            attendances,
            JoinType::Left,
            &["pseudonym"],
            &["attender"],
            None,
        )?
        .select(vec![
            col("pseudonym"),
            col("year_of_birth"),
            col("month_of_birth"),
            coalesce(vec![col("n"), lit(0i64)]).alias("attendances"),
        ])
}

/// (pseudonym, age at the start of the period, attendances) for everyone registered.
pub(crate) async fn per_person(
    tables: &Tables,
    scope: &Scope,
) -> Result<Vec<(String, i32, u64)>, DataFusionError> {
    let mut out = Vec::new();
    for b in ae_per_person_plan(tables, scope)?.collect().await? {
        let p = b.column(0).as_string::<i32>();
        let yob = b.column(1).as_primitive::<Int32Type>();
        let mob = b.column(2).as_primitive::<Int32Type>();
        let n = b.column(3).as_primitive::<Int64Type>();
        for i in 0..b.num_rows() {
            let age = if yob.is_null(i) {
                0
            } else {
                age_at(yob.value(i), mob.value(i), scope.from)
            };
            out.push((p.value(i).to_owned(), age, n.value(i) as u64));
        }
    }
    Ok(out)
}

pub async fn hiu(tables: &Tables, scope: &Scope, threshold: u64) -> Result<Hiu, DataFusionError> {
    let gp = people(tables, scope).await?;
    hiu_given(tables, scope, threshold, &gp).await
}

/// The same, given everyone's GP appointments in the period (from the period's profile).
pub async fn hiu_given(
    tables: &Tables,
    scope: &Scope,
    threshold: u64,
    gp_people: &[crate::profile::PersonCount],
) -> Result<Hiu, DataFusionError> {
    let threshold = threshold.max(1);
    let now = per_person(tables, scope).await?;
    let before: HashSet<String> = per_person(tables, &previous(scope))
        .await?
        .into_iter()
        .filter(|p| p.2 >= threshold)
        .map(|p| p.0)
        .collect();
    let members: HashSet<String> = now
        .iter()
        .filter(|p| p.2 >= threshold)
        .map(|p| p.0.clone())
        .collect();
    let total: u64 = now.iter().map(|p| p.2).sum();
    let held: u64 = now.iter().filter(|p| p.2 >= threshold).map(|p| p.2).sum();
    let mut by_age: Vec<Group> = AGE_BANDS
        .iter()
        .map(|b| Group {
            label: b.0.to_owned(),
            people: RawCount::new(0),
            appointments: RawCount::new(0),
        })
        .collect();
    for (_, age, n) in now.iter().filter(|p| p.2 >= threshold) {
        if let Some(g) = by_age.iter_mut().find(|g| g.label == age_band(*age)) {
            g.people = RawCount::new(g.people.value() + 1);
            g.appointments = RawCount::new(g.appointments.value() + n);
        }
    }
    let gp: HashMap<&str, u64> = gp_people
        .iter()
        .map(|p| (p.pseudonym.as_str(), p.appointments))
        .collect();
    let mean = |who: &mut dyn Iterator<Item = &String>| {
        let (mut n, mut sum) = (0u64, 0u64);
        for p in who {
            n += 1;
            sum += gp.get(p.as_str()).copied().unwrap_or(0);
        }
        if n == 0 {
            0.0
        } else {
            sum as f64 / n as f64
        }
    };
    Ok(Hiu {
        definition: format!(
            "{threshold} or more A&E attendances from {} to {}",
            scope.from, scope.to
        ),
        registered: RawCount::new(now.len() as u64),
        attenders: RawCount::new(now.iter().filter(|p| p.2 > 0).count() as u64),
        attendances: RawCount::new(total),
        people: RawCount::new(members.len() as u64),
        attendances_held: RawCount::new(held),
        share: if total > 0 {
            held as f64 / total as f64
        } else {
            0.0
        },
        persistent: RawCount::new(members.intersection(&before).count() as u64),
        by_age,
        gp_mean_hiu: mean(&mut members.iter()),
        gp_mean_everyone: mean(&mut now.iter().map(|p| &p.0)),
        members,
    })
}

/// The figures as they may be shown to one audience.
#[derive(Debug, Clone, Serialize)]
pub struct ShownHiu {
    pub definition: String,
    pub disclosure: Option<&'static str>,
    pub registered: Count,
    pub attenders: Count,
    pub attendances: Count,
    pub people: Count,
    pub attendances_held: Count,
    /// None where the count behind it is not shown.
    pub share: Option<f64>,
    pub persistent: Count,
    /// (age band, people, attendances)
    pub by_age: Vec<(String, Count, Count)>,
    pub gp_mean_hiu: Option<f64>,
    pub gp_mean_everyone: f64,
}

impl Hiu {
    pub fn shown(&self, audience: Audience) -> ShownHiu {
        let people = self.people.disclose(audience);
        let visible = people.shown().is_some();
        ShownHiu {
            definition: self.definition.clone(),
            disclosure: (audience == Audience::Suppressed).then_some(RULE),
            registered: self.registered.disclose(audience),
            attenders: self.attenders.disclose(audience),
            attendances: self.attendances.disclose(audience),
            attendances_held: self.attendances_held.disclose(audience),
            share: visible.then_some(self.share),
            persistent: self.persistent.disclose(audience),
            by_age: self
                .by_age
                .iter()
                .map(|g| {
                    (
                        g.label.clone(),
                        g.people.disclose(audience),
                        g.appointments.disclose(audience),
                    )
                })
                .collect(),
            gp_mean_hiu: visible.then_some(self.gp_mean_hiu),
            gp_mean_everyone: self.gp_mean_everyone,
            people,
        }
    }
}
