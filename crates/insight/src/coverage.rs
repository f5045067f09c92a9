//! Where the imported data begins and ends, for each dataset and practice: a period chosen past
//! the end of the data would otherwise show zeros or undercount in silence. Insight, cohorts and
//! the impact report say what the data covers and flag a period that runs past it.

use crate::tables::Tables;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, TimestampMicrosecondType};
use datafusion::error::DataFusionError;
use datafusion::functions_aggregate::expr_fn::{max, min};
use datafusion::prelude::*;
use time::Date;

/// The first and last day a dataset holds for a practice (A&E attendances: for everyone, as
/// they are not a practice's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// "Appointment data" or "A&E data".
    pub what: &'static str,
    pub practice: Option<String>,
    pub from: Date,
    pub to: Date,
}

impl Coverage {
    /// It begins after `from` by more than quiet days.
    fn begins_after(&self, from: Date) -> bool {
        (self.from - from).whole_days() >= QUIET_DAYS
    }

    /// It ends before `to` by more than quiet days.
    fn ends_before(&self, to: Date) -> bool {
        (to - self.to).whole_days() >= QUIET_DAYS
    }

    /// Whether it begins after `from` or ends before `to` by more than quiet days.
    pub fn short_of(&self, from: Date, to: Date) -> bool {
        self.begins_after(from) || self.ends_before(to)
    }

    /// "Appointment data for Quayside Surgery" (`name` gives a practice's name from its code).
    pub fn label(&self, name: &dyn Fn(&str) -> String) -> String {
        match &self.practice {
            Some(p) => format!("{} for {}", self.what, name(p)),
            None => self.what.to_owned(),
        }
    }

    /// The share of the days of `[from, to]` that this data covers.
    pub fn share_of(&self, from: Date, to: Date) -> f64 {
        let days = (to - from).whole_days() + 1;
        let held = (to.min(self.to) - from.max(self.from)).whole_days() + 1;
        if days <= 0 {
            return 0.0;
        }
        held.clamp(0, days) as f64 / days as f64
    }
}

/// What the datasets hold for `practices`: appointments by practice, A&E attendances overall.
pub async fn coverage(
    tables: &Tables,
    practices: &[String],
) -> Result<Vec<Coverage>, DataFusionError> {
    let list: Vec<Expr> = practices.iter().map(|p| lit(p.as_str())).collect();
    let appointments = tables
        .appointments()?
        .filter(col("ods_code").in_list(list, false))?;
    let mut out = spans(appointments, "Appointment data", "starts_at", true).await?;
    out.sort_by(|a, b| a.practice.cmp(&b.practice));
    out.extend(spans(tables.ae_attendances()?, "A&E data", "arrived_at", false).await?);
    Ok(out)
}

/// The first and last day of `at` in `df`, by practice or for everyone.
async fn spans(
    df: DataFrame,
    what: &'static str,
    at: &str,
    by_practice: bool,
) -> Result<Vec<Coverage>, DataFusionError> {
    let group = if by_practice {
        cast(col("ods_code"), DataType::Utf8)
    } else {
        lit("")
    };
    let df = df.aggregate(
        vec![group.alias("practice")],
        vec![min(col(at)).alias("first"), max(col(at)).alias("last")],
    )?;
    let mut out = Vec::new();
    for batch in df.collect().await? {
        let practice = batch
            .column(0)
            .as_string_opt::<i32>()
            .ok_or_else(|| DataFusionError::Internal("the practice is not text".into()))?;
        let (first, last) = (
            batch.column(1).as_primitive::<TimestampMicrosecondType>(),
            batch.column(2).as_primitive::<TimestampMicrosecondType>(),
        );
        for r in 0..batch.num_rows() {
            if let (Some(from), Some(to)) = (london(first, r), london(last, r)) {
                out.push(Coverage {
                    what,
                    practice: by_practice.then(|| practice.value(r).to_owned()),
                    from,
                    to,
                });
            }
        }
    }
    Ok(out)
}

fn london(a: &datafusion::arrow::array::TimestampMicrosecondArray, r: usize) -> Option<Date> {
    (!a.is_null(r))
        .then(|| Date::from_julian_day(crate::impact::london_day(a.value(r))).ok())
        .flatten()
}

/// "1 month", "3 months", "under a month": how much of a period has data, as people say it.
fn months(days: i64) -> String {
    let m = (days as f64 / 30.44).round() as i64;
    match m {
        0 => "under a month".into(),
        1 => "1 month".into(),
        m => format!("{m} months"),
    }
}

/// "31 December 2025".
pub fn long_date(d: Date) -> String {
    format!("{} {} {}", d.day(), d.month(), d.year())
}

/// Days without a record at either end of a period that are taken as quiet days, not missing
/// data: A&E attendances are rare, and a small practice can go a fortnight without one.
pub const QUIET_DAYS: i64 = 28;

/// What Insight's figures do with a period the data does not cover.
pub const INSIGHT_COUNTS: &str = "so its figures count only that.";

/// For a chosen period, a sentence for each dataset that begins after it begins or ends before
/// it ends (`name` gives a practice's name from its code): what is held, how much of the period
/// that is, and `so`, what follows for the figures. None when the data covers the period.
pub fn gaps(
    coverage: &[Coverage],
    from: Date,
    to: Date,
    name: &dyn Fn(&str) -> String,
    so: &dyn Fn(&Coverage) -> &'static str,
) -> Vec<String> {
    coverage
        .iter()
        .filter(|c| c.short_of(from, to))
        .map(|c| {
            let held = (to.min(c.to) - from.max(c.from)).whole_days() + 1;
            let mut what = Vec::new();
            if c.begins_after(from) {
                what.push(format!("begins on {}", long_date(c.from)));
            }
            if c.ends_before(to) {
                what.push(format!("ends on {}", long_date(c.to)));
            }
            format!(
                "{} {}: this period holds {} of data, {}",
                c.label(name),
                what.join(" and "),
                if held > 0 {
                    months(held)
                } else {
                    "none".into()
                },
                so(c)
            )
        })
        .collect()
}

/// For a cohort's window: the share of it each dataset covers, where that is short of all of it.
pub fn shares(
    coverage: &[Coverage],
    from: Date,
    to: Date,
    name: &dyn Fn(&str) -> String,
) -> Vec<String> {
    coverage
        .iter()
        .filter(|c| c.short_of(from, to))
        .map(|c| {
            format!(
                "{} covers {:.0}% of this window ({} to {}), so its counts over the window are lower than the whole window would give.",
                c.label(name),
                c.share_of(from, to) * 100.0,
                long_date(c.from),
                long_date(c.to)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_period_past_the_end_of_the_data_is_said_with_how_much_it_holds() {
        let c = vec![
            Coverage {
                what: "Appointment data",
                practice: Some("B99001".into()),
                from: date!(2023 - 01 - 01),
                to: date!(2025 - 12 - 31),
            },
            Coverage {
                what: "Appointment data",
                practice: Some("B99002".into()),
                from: date!(2023 - 01 - 01),
                to: date!(2026 - 06 - 30),
            },
        ];
        let name = |p: &str| format!("Practice {p}");
        let so = |_: &Coverage| INSIGHT_COUNTS;
        let said = gaps(&c, date!(2025 - 12 - 01), date!(2026 - 05 - 31), &name, &so);
        assert_eq!(
            said,
            ["Appointment data for Practice B99001 ends on 31 December 2025: this period holds 1 month of data, so its figures count only that."]
        );
        assert!(gaps(&c, date!(2024 - 01 - 01), date!(2024 - 12 - 31), &name, &so).is_empty());
        assert!(
            (c[0].share_of(date!(2025 - 07 - 01), date!(2026 - 06 - 30)) - 184.0 / 365.0).abs()
                < 1e-9
        );
        assert_eq!(
            shares(&c, date!(2025 - 07 - 01), date!(2026 - 06 - 30), &name),
            ["Appointment data for Practice B99001 covers 50% of this window (1 January 2023 to 31 December 2025), so its counts over the window are lower than the whole window would give."]
        );
    }
}
