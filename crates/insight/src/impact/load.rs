//! The panel from the pseudonymised Insight datasets: one DataFusion plan per dataset, streamed
//! into each person's days.

use super::panel::{Panel, PanelPerson};
use crate::profile::CountingRule;
use crate::tables::Tables;
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Date32Type, Int32Type, TimestampMicrosecondType};
use datafusion::error::DataFusionError;
use datafusion::functions_aggregate::expr_fn::min;
use datafusion::prelude::*;
use futures::StreamExt;
use std::collections::HashMap;
use time::OffsetDateTime;

/// The Julian day of 1 January 1970, where Arrow's dates and timestamps count from.
const UNIX_EPOCH_DAY: i32 = 2_440_588;
const MICROS_A_DAY: i64 = 86_400_000_000;

/// The London day of a UTC instant in microseconds, as a Julian day.
pub(crate) fn london_day(micros: i64) -> i32 {
    let bst = OffsetDateTime::from_unix_timestamp(micros.div_euclid(1_000_000))
        .map(together_core::uk_time::is_bst)
        .unwrap_or(false);
    let local = micros + if bst { 3_600_000_000 } else { 0 };
    UNIX_EPOCH_DAY + local.div_euclid(MICROS_A_DAY) as i32
}

fn in_list(column: &str, values: &[String]) -> Expr {
    col(column).in_list(values.iter().map(|v| lit(v.as_str())).collect(), false)
}

fn text(
    batch: &RecordBatch,
    i: usize,
) -> Result<&datafusion::arrow::array::StringArray, DataFusionError> {
    batch
        .column(i)
        .as_string_opt::<i32>()
        .ok_or_else(|| DataFusionError::Internal(format!("column {i} is not text")))
}

/// Everyone registered at `practices` (leaving out people with a national data opt-out when
/// more than one practice is pooled), their counted GP appointments by `rule` at those
/// practices, their A&E attendances and how many conditions are on record; with each person's
/// place in the panel by pseudonym. The data's days run from the first to the last counted
/// appointment.
pub async fn load(
    tables: &Tables,
    practices: &[String],
    rule: &CountingRule,
) -> Result<(Panel, HashMap<String, usize>), DataFusionError> {
    let utf8 = |c: &str| cast(col(c), DataType::Utf8).alias(c);
    let mut registrations = tables
        .registrations()?
        .filter(in_list("ods_code", practices))?;
    if practices.len() > 1 {
        registrations = registrations.filter(col("opt_out").not())?;
    }
    let registrations = registrations.select(vec![
        utf8("pseudonym"),
        utf8("ods_code"),
        col("year_of_birth"),
        col("month_of_birth"),
        utf8("sex"),
        col("registered_from"),
        col("registered_to"),
        col("date_of_death"),
    ])?;
    // Every registration first, then the panel in the order of the pseudonyms' bytes: the same
    // data gives the same panel whatever order DataFusion's partitions arrive in, so matching
    // (whose ties are broken by places in the panel) and the bootstrap (which draws people in
    // that order) give the same figures every time.
    struct Row {
        pseudonym: String,
        ods: String,
        sex: String,
        birth_month: i32,
        registered_from: i32,
        until: Option<i32>,
    }
    let mut rows: Vec<Row> = Vec::new();
    for batch in registrations.collect().await? {
        let (pseudonym, ods, sex) = (text(&batch, 0)?, text(&batch, 1)?, text(&batch, 4)?);
        let yob = batch.column(2).as_primitive::<Int32Type>();
        let mob = batch.column(3).as_primitive::<Int32Type>();
        let from = batch.column(5).as_primitive::<Date32Type>();
        let to = batch.column(6).as_primitive::<Date32Type>();
        let died = batch.column(7).as_primitive::<Date32Type>();
        for r in 0..batch.num_rows() {
            let day = |a: &datafusion::arrow::array::Date32Array| {
                (!a.is_null(r)).then(|| UNIX_EPOCH_DAY + a.value(r))
            };
            // The last day registered is the day they left or died; the next is the first not.
            let until = match (day(to), day(died)) {
                (Some(a), Some(b)) => Some(a.min(b) + 1),
                (a, b) => a.or(b).map(|d| d + 1),
            };
            rows.push(Row {
                pseudonym: pseudonym.value(r).to_owned(),
                ods: ods.value(r).to_owned(),
                sex: sex.value(r).to_owned(),
                birth_month: yob.value(r) * 12 + mob.value(r) - 1,
                registered_from: UNIX_EPOCH_DAY + from.value(r),
                until,
            });
        }
    }
    rows.sort_unstable_by(|a, b| {
        (a.pseudonym.as_bytes(), a.registered_from, a.ods.as_bytes()).cmp(&(
            b.pseudonym.as_bytes(),
            b.registered_from,
            b.ods.as_bytes(),
        ))
    });
    // Practices and sexes numbered in the order of their codes, for the same reason.
    let numbered = |of: &dyn Fn(&Row) -> &str| -> HashMap<String, usize> {
        let codes: std::collections::BTreeSet<&str> = rows.iter().map(of).collect();
        codes
            .into_iter()
            .enumerate()
            .map(|(i, c)| (c.to_owned(), i))
            .collect()
    };
    let codes = numbered(&|r| r.ods.as_str());
    let sexes = numbered(&|r| r.sex.as_str());
    let mut places: HashMap<String, usize> = HashMap::new();
    let mut panel = Panel::default();
    for row in rows {
        let practice = codes.get(&row.ods).map_or(0, |&n| n as u16);
        let sex = sexes.get(&row.sex).map_or(0, |&n| n as u8);
        match places.get(&row.pseudonym) {
            None => {
                places.insert(row.pseudonym, panel.people.len());
                panel.people.push(PanelPerson {
                    practice,
                    sex,
                    birth_month: row.birth_month,
                    conditions: Vec::new(),
                    registered_from: row.registered_from,
                    registered_until: row.until,
                    gp: Vec::new(),
                    ae: Vec::new(),
                });
            }
            // Registered again (moved between the practices; rows come in order of the day they
            // registered): from the first registration to the end of the last, at the practice
            // of the latest.
            Some(&i) => {
                let p = &mut panel.people[i];
                p.registered_until = match (p.registered_until, row.until) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
                p.practice = practice;
            }
        }
    }

    // Each condition on the day it was first recorded, so that matching counts only what was
    // known before the index date.
    let conditions = tables
        .conditions()?
        .aggregate(
            vec![utf8("pseudonym"), col("condition")],
            vec![min(col("recorded_on")).alias("first")],
        )?
        .select(vec![col("pseudonym"), col("first")])?;
    for batch in conditions.collect().await? {
        let (pseudonym, first) = (
            text(&batch, 0)?,
            batch.column(1).as_primitive::<Date32Type>(),
        );
        for r in 0..batch.num_rows() {
            if let Some(&i) = places.get(pseudonym.value(r)) {
                if !first.is_null(r) {
                    panel.people[i]
                        .conditions
                        .push(UNIX_EPOCH_DAY + first.value(r));
                }
            }
        }
    }
    let appointments = tables
        .appointments()?
        .filter(in_list("ods_code", practices).and(rule.predicate()))?
        .select(vec![utf8("pseudonym"), col("starts_at")])?;
    let (mut first, mut last) = (i32::MAX, i32::MIN);
    days_into(
        appointments,
        &places,
        &mut panel,
        |p| &mut p.gp,
        |d| {
            first = first.min(d);
            last = last.max(d);
        },
    )
    .await?;
    let ae = tables
        .ae_attendances()?
        .select(vec![utf8("pseudonym"), col("arrived_at")])?;
    days_into(ae, &places, &mut panel, |p| &mut p.ae, |_| {}).await?;
    for p in &mut panel.people {
        p.conditions.sort_unstable();
        p.gp.sort_unstable();
        p.ae.sort_unstable();
    }
    if first <= last {
        (panel.data_from, panel.data_to) = (first, last);
    }
    // Each practice's own span, from its people's appointments.
    let mut spans: Vec<Option<(i32, i32)>> = vec![None; codes.len()];
    for p in &panel.people {
        if let (Some(a), Some(b)) = (p.gp.first(), p.gp.last()) {
            let s = &mut spans[p.practice as usize];
            *s = Some(s.map_or((*a, *b), |(x, y)| (x.min(*a), y.max(*b))));
        }
    }
    panel.practice_spans = spans;
    Ok((panel, places))
}

/// Streams (pseudonym, instant) rows into each known person's days.
async fn days_into(
    df: DataFrame,
    places: &HashMap<String, usize>,
    panel: &mut Panel,
    days: impl Fn(&mut PanelPerson) -> &mut Vec<i32>,
    mut seen: impl FnMut(i32),
) -> Result<(), DataFusionError> {
    let mut stream = df.execute_stream().await?;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        let pseudonym = text(&batch, 0)?;
        let at = batch.column(1).as_primitive::<TimestampMicrosecondType>();
        for r in 0..batch.num_rows() {
            let d = london_day(at.value(r));
            seen(d);
            if let Some(&i) = places.get(pseudonym.value(r)) {
                days(&mut panel.people[i]).push(d);
            }
        }
    }
    Ok(())
}
