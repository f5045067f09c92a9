//! The impact report: the evaluation of everyone connected and by offer, practice and how they
//! came, the money, how people are, and the hours champions gave — and, wherever a figure cannot
//! be worked out, why, instead of a number.

use super::estimate::{interval, Estimate, Evaluation, Evaluator, OutcomeKind};
use super::load;
use super::panel::{day, Connection, Panel};
use super::settings::{Settings, YEAR};
use crate::profile::CountingRule;
use crate::tables::Tables;
use datafusion::error::DataFusionError;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use time::Date;
use together_core::disclosure::{Audience, Count, RawCount, RULE};
use together_core::impact::{UnitCost, UnitCosts};
use together_core::wellbeing::{Licensed, Loneliness, Occasion, Ons4};
use together_store::impact::{EvaluatedConnection, ProgrammeCost};
use together_store::wellbeing::WellbeingRecord;

/// What the report reads from the operational store.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub connections: Vec<EvaluatedConnection>,
    pub wellbeing: Vec<WellbeingRecord>,
    pub costs: Vec<ProgrammeCost>,
    /// Champions' approved expenses: (day, pence).
    pub expenses: Vec<(Date, i64)>,
    /// Champions' approved hours: (day, minutes).
    pub hours: Vec<(Date, i64)>,
    /// The value given to an hour of a champion's time.
    pub hourly_pence: i64,
    pub unit_costs: UnitCosts,
    /// The practices' names by ODS code, so that a board reads names.
    pub practice_names: BTreeMap<String, String>,
}

/// How they came, for connections brought in from the PCN's earlier records.
pub const EARLIER_RECORDS: &str = "Not known: from the PCN's records before Together";

/// The evaluation of one group of connections.
#[derive(Debug, Clone)]
pub struct Group {
    /// "Offer", "Practice" or "How they came".
    pub kind: &'static str,
    pub name: String,
    pub evaluation: Evaluation,
}

/// The money: what the fall in attendance is worth against what the programme cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Money {
    pub gp_unit: UnitCost,
    pub ae_unit: UnitCost,
    /// GP appointments and A&E attendances avoided over the follow-up of everyone evaluated.
    pub avoided_gp: Option<Estimate>,
    pub avoided_ae: Option<Estimate>,
    pub savings_pence: Option<Estimate>,
    /// (what, pence): the costs entered by category, and champions' expenses.
    pub costs: Vec<(String, i64)>,
    pub total_cost_pence: i64,
    /// The period the evaluated connections were made in (ISO dates): the costs, expenses and
    /// hours are those of this period, a cost spanning more of it counted pro rata. None when
    /// nobody was evaluated (then every cost entered is listed).
    pub period: Option<(String, String)>,
    /// The first and last days the costs entered cover (ISO dates).
    pub costs_cover: Option<(String, String)>,
    pub return_per_pound: Option<Estimate>,
    pub not_computed: Vec<String>,
}

/// Champions' time: shown on its own, never counted as a saving.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gifted {
    pub hours: f64,
    pub hourly_pence: i64,
    pub value_pence: i64,
    /// ("2024-03", hours) for each month with any.
    pub by_month: Vec<(String, f64)>,
}

/// One wellbeing measure from the first answer when connected to the last at a follow-up.
#[derive(Debug, Clone, PartialEq)]
pub struct WellbeingChange {
    pub measure: &'static str,
    /// The ONS4 question it is, if one.
    pub ons4: Option<Ons4>,
    pub higher_is_better: bool,
    /// A change of at least this much (in the better direction) counts as improving.
    pub meaningful: f64,
    pub at_start: RawCount,
    pub at_follow_up: RawCount,
    pub both: RawCount,
    pub mean_start: f64,
    pub mean_follow_up: f64,
    pub improved: RawCount,
}

#[derive(Debug, Clone)]
pub struct ImpactReport {
    pub settings: Settings,
    pub rule: String,
    /// First and last day of the attendance data.
    pub data: Option<(Date, Date)>,
    pub overall: Evaluation,
    pub groups: Vec<Group>,
    pub money: Money,
    pub wellbeing: Vec<WellbeingChange>,
    pub gifted: Gifted,
    /// Where a practice's data or the A&E data begins later or ends sooner than the whole.
    pub data_notes: Vec<String>,
}

/// Why a report could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] together_store::StoreError),
    #[error(transparent)]
    Tables(#[from] crate::TablesError),
    #[error(transparent)]
    DataFusion(#[from] DataFusionError),
}

/// Builds the PCN's report from the data of the practices that pool it, by the PCN's counting
/// rule: the one way the web app and the command line make it.
pub async fn build(
    store: &together_store::DynStore,
    data_dir: &std::path::Path,
    pcn: together_core::PcnId,
    settings: &Settings,
    inputs: &Inputs,
) -> Result<ImpactReport, ReportError> {
    let practices = crate::profile::pooled_practices(&store.practices(pcn).await?);
    let tables = Tables::open(store, data_dir, pcn).await?;
    let rule = CountingRule::of(store, pcn).await?;
    let (panel, places) = load(&tables, &practices, &rule).await?;
    let mut report = assemble(&panel, &places, &rule, settings, inputs);
    // Where a practice's data, or the A&E data, stops short of the whole: said, not hidden.
    if let Some((from, to)) = report.data {
        let held = crate::coverage::coverage(&tables, &practices).await?;
        let name = |code: &str| {
            inputs
                .practice_names
                .get(code)
                .cloned()
                .unwrap_or_else(|| code.to_owned())
        };
        let so = |c: &crate::coverage::Coverage| {
            if c.practice.is_some() {
                "so its people are evaluated only where their year before and after is in it."
            } else {
                "so attendances outside it are not counted, for the connected people and their comparison people alike."
            }
        };
        report.data_notes = crate::coverage::gaps(&held, from, to, &name, &so);
    }
    Ok(report)
}

fn date_of(d: i32) -> Option<Date> {
    Date::from_julian_day(d).ok()
}

/// The report from a panel (pure: what [`build`] does after reading the data).
pub fn assemble(
    panel: &Panel,
    places: &HashMap<String, usize>,
    rule: &CountingRule,
    settings: &Settings,
    inputs: &Inputs,
) -> ImpactReport {
    let linked: Vec<(Connection, &EvaluatedConnection)> = inputs
        .connections
        .iter()
        .map(|c| {
            let person = c
                .pseudonym
                .as_ref()
                .and_then(|p| places.get(p.as_str()).copied());
            (
                Connection {
                    person,
                    on: day(c.made_on),
                },
                c,
            )
        })
        .collect();
    let mut ever = vec![false; panel.people.len()];
    for (c, _) in &linked {
        if let Some(p) = c.person {
            ever[p] = true;
        }
    }
    let evaluator = Evaluator::new(panel, &ever, settings);
    let run = |keep: &dyn Fn(&EvaluatedConnection) -> bool| {
        let chosen: Vec<Connection> = linked
            .iter()
            .filter(|(_, e)| keep(e))
            .map(|(c, _)| *c)
            .collect();
        evaluator.run(&chosen)
    };
    let overall = run(&|_| true);

    let mut groups = Vec::new();
    let offers: std::collections::BTreeSet<&String> = linked
        .iter()
        .filter_map(|(_, e)| e.offer.as_ref())
        .collect();
    for name in offers {
        groups.push(Group {
            kind: "Offer",
            name: name.clone(),
            evaluation: run(&|e| e.offer.as_ref() == Some(name)),
        });
    }
    let practices: std::collections::BTreeSet<String> =
        linked.iter().map(|(_, e)| e.practice.to_string()).collect();
    for practice in practices {
        groups.push(Group {
            kind: "Practice",
            evaluation: run(&|e| e.practice.to_string() == practice),
            name: match inputs.practice_names.get(&practice) {
                Some(name) => format!("{name} ({practice})"),
                None => practice,
            },
        });
    }
    let sources = together_core::connections::Source::ALL.map(Some);
    for source in sources.into_iter().chain([None]) {
        if linked.iter().any(|(_, e)| e.source == source) {
            groups.push(Group {
                kind: "How they came",
                name: source.map_or(EARLIER_RECORDS, |s| s.label()).to_owned(),
                evaluation: run(&|e| e.source == source),
            });
        }
    }

    let period = period(&overall);
    let money = money(&overall, settings, inputs, period);
    let hours: Vec<&(Date, i64)> = inputs
        .hours
        .iter()
        .filter(|h| in_period(period, h.0))
        .collect();
    let minutes: i64 = hours.iter().map(|h| h.1).sum();
    let mut by_month: BTreeMap<String, i64> = BTreeMap::new();
    for (on, m) in hours {
        *by_month
            .entry(format!("{}-{:02}", on.year(), on.month() as u8))
            .or_default() += m;
    }
    let gifted = Gifted {
        hours: minutes as f64 / 60.0,
        hourly_pence: inputs.hourly_pence,
        value_pence: minutes * inputs.hourly_pence / 60,
        by_month: by_month
            .into_iter()
            .map(|(m, n)| (m, n as f64 / 60.0))
            .collect(),
    };
    ImpactReport {
        settings: settings.clone(),
        rule: rule.describe(),
        data: (panel.data_from <= panel.data_to && !panel.people.is_empty())
            .then(|| date_of(panel.data_from).zip(date_of(panel.data_to)))
            .flatten(),
        overall,
        groups,
        money,
        wellbeing: wellbeing(&inputs.wellbeing),
        gifted,
        data_notes: Vec::new(),
    }
}

/// The days the evaluated connections were made in, first to last: what the programme cost to
/// make them is the cost of this period.
fn period(overall: &Evaluation) -> Option<(Date, Date)> {
    let first = overall.units.iter().map(|u| u.on).min()?;
    let last = overall.units.iter().map(|u| u.on).max()?;
    date_of(first).zip(date_of(last))
}

/// A claim or an hour dated in the period counts (all of them when there is no period).
fn in_period(period: Option<(Date, Date)>, on: Date) -> bool {
    period.is_none_or(|(from, to)| (from..=to).contains(&on))
}

/// The part of a cost entered over `[from, to]` that falls in `period`, by days (pro rata).
fn pro_rata(cost: &ProgrammeCost, period: Option<(Date, Date)>) -> i64 {
    let Some((start, end)) = period else {
        return cost.pence;
    };
    let days = (cost.to - cost.from).whole_days() + 1;
    let overlap = (cost.to.min(end) - cost.from.max(start)).whole_days() + 1;
    if days <= 0 || overlap <= 0 {
        return 0;
    }
    (cost.pence as i128 * overlap.min(days) as i128 / days as i128) as i64
}

fn money(
    overall: &Evaluation,
    settings: &Settings,
    inputs: &Inputs,
    period: Option<(Date, Date)>,
) -> Money {
    let mut not_computed = Vec::new();
    let n = overall.counts.evaluated as f64;
    let years = settings.after_days as f64 / YEAR;
    // A fall is a negative difference: avoided is its opposite, over everyone's follow-up.
    let avoided = |kind: OutcomeKind| {
        overall.outcome(kind).map(|o| Estimate {
            value: -o.did.value * n * years,
            low: -o.did.high * n * years,
            high: -o.did.low * n * years,
        })
    };
    let (gp, ae) = (
        &inputs.unit_costs.gp_appointment,
        &inputs.unit_costs.ae_attendance,
    );
    let mut costs: BTreeMap<&str, i64> = BTreeMap::new();
    for c in &inputs.costs {
        let part = pro_rata(c, period);
        if part > 0 {
            *costs.entry(c.category.label()).or_default() += part;
        }
    }
    let mut costs: Vec<(String, i64)> = costs.into_iter().map(|(k, v)| (k.into(), v)).collect();
    let expenses: i64 = inputs
        .expenses
        .iter()
        .filter(|(on, _)| in_period(period, *on))
        .map(|e| e.1)
        .sum();
    if expenses > 0 {
        costs.push(("Champions' expenses".into(), expenses));
    }
    let total: i64 = costs.iter().map(|c| c.1).sum();
    let cover = inputs
        .costs
        .iter()
        .map(|c| c.from)
        .min()
        .zip(inputs.costs.iter().map(|c| c.to).max())
        .map(|(a, b)| (a.to_string(), b.to_string()));

    let savings = match (overall.outcomes.is_empty(), gp.pence, ae.pence) {
        (true, _, _) => {
            not_computed.push("No savings: without an estimate of the change in attendance there is nothing to value.".into());
            None
        }
        (false, None, _) | (false, _, None) => {
            let missing: Vec<&str> = [
                (gp.pence, "a GP appointment"),
                (ae.pence, "an A&E attendance"),
            ]
            .iter()
            .filter(|(p, _)| p.is_none())
            .map(|(_, what)| *what)
            .collect();
            not_computed.push(format!(
                "No savings: no unit cost is set for {}. The PCN lead can set it on the costs page.",
                missing.join(" or ")
            ));
            None
        }
        (false, Some(gp_pence), Some(ae_pence)) => {
            let value = |d_gp: f64, d_ae: f64| {
                -(d_gp * gp_pence as f64 + d_ae * ae_pence as f64) * n * years
            };
            let point = value(
                overall
                    .outcome(OutcomeKind::GpAppointments)
                    .map_or(0.0, |o| o.did.value),
                overall
                    .outcome(OutcomeKind::AeAttendances)
                    .map_or(0.0, |o| o.did.value),
            );
            interval(overall.draws.iter().map(|d| value(d[0], d[1])).collect()).map(
                |(low, high)| Estimate {
                    value: point,
                    low,
                    high,
                },
            )
        }
    };
    let return_per_pound = match (&savings, total) {
        (Some(s), t) if t > 0 => Some(Estimate {
            value: s.value / t as f64,
            low: s.low / t as f64,
            high: s.high / t as f64,
        }),
        (Some(_), _) => {
            not_computed.push("No return per £1: no programme costs have been entered for the period the evaluated connections were made in. The PCN lead can enter staff time, venues and equipment on the costs page.".into());
            None
        }
        (None, _) => None,
    };
    Money {
        gp_unit: gp.clone(),
        ae_unit: ae.clone(),
        avoided_gp: avoided(OutcomeKind::GpAppointments),
        avoided_ae: avoided(OutcomeKind::AeAttendances),
        savings_pence: savings,
        costs,
        total_cost_pence: total,
        period: period.map(|(a, b)| (a.to_string(), b.to_string())),
        costs_cover: cover,
        return_per_pound,
        not_computed,
    }
}

/// One measure's score in an answer, on a scale where its meaningful change is stated.
struct Measure {
    name: &'static str,
    ons4: Option<Ons4>,
    higher_is_better: bool,
    meaningful: f64,
    score: fn(&together_core::wellbeing::Answers) -> Option<u8>,
}

const MEASURES: [Measure; 8] = [
    Measure {
        name: "Life satisfaction (0–10)",
        higher_is_better: true,
        meaningful: 1.0,
        score: |a| a.ons4(Ons4::LifeSatisfaction),
        ons4: Some(Ons4::LifeSatisfaction),
    },
    Measure {
        name: "Feeling that life is worthwhile (0–10)",
        higher_is_better: true,
        meaningful: 1.0,
        score: |a| a.ons4(Ons4::Worthwhile),
        ons4: Some(Ons4::Worthwhile),
    },
    Measure {
        name: "Happiness yesterday (0–10)",
        higher_is_better: true,
        meaningful: 1.0,
        score: |a| a.ons4(Ons4::Happy),
        ons4: Some(Ons4::Happy),
    },
    Measure {
        name: "Anxiety yesterday (0–10, lower is better)",
        higher_is_better: false,
        meaningful: 1.0,
        score: |a| a.ons4(Ons4::Anxious),
        ons4: Some(Ons4::Anxious),
    },
    Measure {
        name: "Loneliness (0 often or always – 4 never)",
        ons4: None,
        higher_is_better: true,
        meaningful: 1.0,
        score: |a| {
            a.lonely
                .and_then(|l| Loneliness::ALL.iter().position(|x| *x == l))
                .map(|i| i as u8)
        },
    },
    Measure {
        name: "WEMWBS (14–70)",
        ons4: None,
        higher_is_better: true,
        meaningful: 3.0,
        score: |a| a.licensed(Licensed::Wemwbs),
    },
    Measure {
        name: "SWEMWBS (7–35)",
        ons4: None,
        higher_is_better: true,
        meaningful: 1.0,
        score: |a| a.licensed(Licensed::Swemwbs),
    },
    Measure {
        name: "Patient Activation Measure level (1–4)",
        ons4: None,
        higher_is_better: true,
        meaningful: 1.0,
        score: |a| a.licensed(Licensed::Pam),
    },
];

/// For each measure: the first answer when connected and the last at a follow-up, per
/// connection; how many answered each and both; the means; and how many improved by at least
/// the meaningful change.
fn wellbeing(records: &[WellbeingRecord]) -> Vec<WellbeingChange> {
    let mut by_connection: BTreeMap<String, Vec<&WellbeingRecord>> = BTreeMap::new();
    for r in records {
        by_connection
            .entry(r.connection_id.to_string())
            .or_default()
            .push(r);
    }
    MEASURES
        .iter()
        .map(|m| {
            let (mut start_n, mut follow_n) = (0u64, 0u64);
            let mut pairs = Vec::new();
            for answers in by_connection.values() {
                let start = answers
                    .iter()
                    .filter(|r| r.occasion == Occasion::Baseline)
                    .find_map(|r| (m.score)(&r.answers));
                let follow = answers
                    .iter()
                    .rev()
                    .filter(|r| r.occasion == Occasion::FollowUp)
                    .find_map(|r| (m.score)(&r.answers));
                start_n += start.is_some() as u64;
                follow_n += follow.is_some() as u64;
                if let (Some(a), Some(b)) = (start, follow) {
                    pairs.push((a as f64, b as f64));
                }
            }
            let n = pairs.len().max(1) as f64;
            let better = |(a, b): &(f64, f64)| {
                let change = if m.higher_is_better { b - a } else { a - b };
                change >= m.meaningful
            };
            WellbeingChange {
                measure: m.name,
                ons4: m.ons4,
                higher_is_better: m.higher_is_better,
                meaningful: m.meaningful,
                at_start: RawCount::new(start_n),
                at_follow_up: RawCount::new(follow_n),
                both: RawCount::new(pairs.len() as u64),
                mean_start: pairs.iter().map(|p| p.0).sum::<f64>() / n,
                mean_follow_up: pairs.iter().map(|p| p.1).sum::<f64>() / n,
                improved: RawCount::new(pairs.iter().filter(|p| better(p)).count() as u64),
            }
        })
        .filter(|w| w.at_start.value() + w.at_follow_up.value() > 0)
        .collect()
}

/// What exact figures say of themselves, wherever they are written.
pub const NOT_FOR_SHARING: &str =
    "Not for sharing: exact figures, small numbers included. Share the disclosed report instead.";

/// Fewer people evaluated than this, and figures (means, intervals) are not shown to anyone
/// but analysts and the practice's own clinicians: with so few, a mean could point to someone.
pub const FEWEST_TO_SHOW: u64 = 8;

/// Counts fit for their audience.
#[derive(Debug, Clone, Serialize)]
pub struct ShownCounts {
    pub connected: Count,
    pub linkable: Count,
    pub not_registered: Count,
    pub history_short: Count,
    pub follow_up_incomplete: Count,
    pub left_early: Count,
    pub unmatched: Count,
    pub evaluated: Count,
    pub censored: Count,
    pub comparison_people: Count,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShownFrequent {
    pub per_year: f64,
    pub connected_before: Count,
    pub connected_after: Count,
    pub comparison_before: f64,
    pub comparison_after: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShownEvaluation {
    pub counts: ShownCounts,
    pub outcomes: Vec<super::Outcome>,
    pub frequent: Option<ShownFrequent>,
    pub balance: Vec<super::Balance>,
    pub months: Vec<super::Month>,
    pub not_computed: Vec<String>,
    pub cautions: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShownGroup {
    pub kind: &'static str,
    pub name: String,
    pub evaluation: ShownEvaluation,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShownWellbeing {
    pub measure: &'static str,
    pub ons4: Option<Ons4>,
    pub higher_is_better: bool,
    pub meaningful: f64,
    pub at_start: Count,
    pub at_follow_up: Count,
    pub both: Count,
    /// Means and improvers, when enough answered both to show them.
    pub mean_start: Option<f64>,
    pub mean_follow_up: Option<f64>,
    pub improved: Option<Count>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShownReport {
    pub settings: Settings,
    pub method: String,
    pub rule: String,
    /// First and last day of the attendance data (ISO dates).
    pub data_from: Option<String>,
    pub data_to: Option<String>,
    /// The disclosure rule, when it was applied.
    pub disclosure: Option<&'static str>,
    pub overall: ShownEvaluation,
    pub groups: Vec<ShownGroup>,
    pub money: Money,
    pub wellbeing: Vec<ShownWellbeing>,
    pub gifted: Gifted,
    /// Where a practice's data or the A&E data stops short of the whole.
    pub data_notes: Vec<String>,
}

fn shown_evaluation(e: &Evaluation, audience: Audience) -> ShownEvaluation {
    let c = |n: u64| RawCount::new(n).disclose(audience);
    let k = e.counts;
    let enough = audience == Audience::Unsuppressed || k.evaluated >= FEWEST_TO_SHOW;
    let mut not_computed = e.not_computed.clone();
    if !enough && !e.outcomes.is_empty() {
        not_computed.push(format!(
            "Too few people were evaluated to show figures for them (fewer than {FEWEST_TO_SHOW}): with so few, a figure could point to someone."
        ));
    }
    ShownEvaluation {
        counts: ShownCounts {
            connected: c(k.connected),
            linkable: c(k.linkable),
            not_registered: c(k.not_registered),
            history_short: c(k.history_short),
            follow_up_incomplete: c(k.follow_up_incomplete),
            left_early: c(k.left_early),
            unmatched: c(k.unmatched),
            evaluated: c(k.evaluated),
            censored: c(k.censored),
            comparison_people: c(k.comparison_people),
        },
        outcomes: if enough {
            e.outcomes.clone()
        } else {
            Vec::new()
        },
        frequent: e
            .frequent
            .as_ref()
            .filter(|_| enough)
            .map(|f| ShownFrequent {
                per_year: f.per_year,
                connected_before: c(f.connected_before),
                connected_after: c(f.connected_after),
                comparison_before: f.comparison_before,
                comparison_after: f.comparison_after,
            }),
        balance: if enough {
            e.balance.clone()
        } else {
            Vec::new()
        },
        months: if enough { e.months.clone() } else { Vec::new() },
        not_computed,
        cautions: if enough {
            e.cautions.clone()
        } else {
            Vec::new()
        },
    }
}

impl ImpactReport {
    /// The report for its audience: counts suppressed and rounded, and no figures for groups too
    /// small, for everyone but analysts and the practice's own clinicians.
    pub fn shown(&self, audience: Audience) -> ShownReport {
        let enough_money =
            audience == Audience::Unsuppressed || self.overall.counts.evaluated >= FEWEST_TO_SHOW;
        let mut money = self.money.clone();
        // As a board reads money: savings to the nearest £100, the return per £1 to two
        // significant figures, appointments avoided to whole ones (the same for every
        // audience: it is about what the figures can bear, not who reads them).
        let each = |e: Estimate, f: fn(f64) -> f64| Estimate {
            value: f(e.value),
            low: f(e.low),
            high: f(e.high),
        };
        use together_core::impact::{round_savings, two_significant};
        money.savings_pence = money.savings_pence.map(|e| each(e, round_savings));
        money.return_per_pound = money.return_per_pound.map(|e| each(e, two_significant));
        money.avoided_gp = money.avoided_gp.map(|e| each(e, f64::round));
        money.avoided_ae = money.avoided_ae.map(|e| each(e, f64::round));
        if !enough_money {
            money.avoided_gp = None;
            money.avoided_ae = None;
            money.savings_pence = None;
            money.return_per_pound = None;
        }
        ShownReport {
            settings: self.settings.clone(),
            method: self.settings.method.describe(),
            rule: self.rule.clone(),
            data_from: self.data.map(|d| d.0.to_string()),
            data_to: self.data.map(|d| d.1.to_string()),
            disclosure: (audience == Audience::Suppressed).then_some(RULE),
            overall: shown_evaluation(&self.overall, audience),
            groups: self
                .groups
                .iter()
                .map(|g| ShownGroup {
                    kind: g.kind,
                    name: g.name.clone(),
                    evaluation: shown_evaluation(&g.evaluation, audience),
                })
                .collect(),
            money,
            wellbeing: self
                .wellbeing
                .iter()
                .map(|w| {
                    let enough =
                        audience == Audience::Unsuppressed || w.both.value() >= FEWEST_TO_SHOW;
                    ShownWellbeing {
                        measure: w.measure,
                        ons4: w.ons4,
                        higher_is_better: w.higher_is_better,
                        meaningful: w.meaningful,
                        at_start: w.at_start.disclose(audience),
                        at_follow_up: w.at_follow_up.disclose(audience),
                        both: w.both.disclose(audience),
                        mean_start: enough.then_some(w.mean_start),
                        mean_follow_up: enough.then_some(w.mean_follow_up),
                        improved: enough.then(|| w.improved.disclose(audience)),
                    }
                })
                .collect(),
            gifted: self.gifted.clone(),
            data_notes: self.data_notes.clone(),
        }
    }
}

impl ShownReport {
    /// The report's figures as CSV (what, group, measure, value, low, high), for a spreadsheet:
    /// every text cell neutralised so that no offer's name can run as a formula.
    pub fn csv(&self) -> Result<Vec<u8>, csv::Error> {
        use together_core::export::neutralise;
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["section", "group", "measure", "value", "low", "high"])?;
        // Whether it may be shared goes with the figures, first.
        w.write_record([
            "disclosure",
            "",
            self.disclosure.unwrap_or(NOT_FOR_SHARING),
            "",
            "",
            "",
        ])?;
        let mut row =
            |section: &str, group: &str, measure: &str, value: String, est: Option<&Estimate>| {
                let (low, high) = est.map_or((String::new(), String::new()), |e| {
                    (num(e.low), num(e.high))
                });
                w.write_record([
                    neutralise(section),
                    neutralise(group),
                    neutralise(measure),
                    value,
                    low,
                    high,
                ])
            };
        let mut evaluations = vec![("All connected", String::new(), &self.overall)];
        for g in &self.groups {
            evaluations.push((g.kind, g.name.clone(), &g.evaluation));
        }
        for (kind, name, e) in evaluations {
            let group = if name.is_empty() {
                kind.to_owned()
            } else {
                format!("{kind}: {name}")
            };
            let c = &e.counts;
            for (what, n) in [
                ("connected", c.connected),
                ("linked to the data", c.linkable),
                ("not registered on the day", c.not_registered),
                ("too little history before", c.history_short),
                ("follow-up not complete", c.follow_up_incomplete),
                ("moved away or died soon after", c.left_early),
                ("no one comparable", c.unmatched),
                ("evaluated", c.evaluated),
                (
                    "of them censored (moved away or died during follow-up)",
                    c.censored,
                ),
                ("comparison people", c.comparison_people),
            ] {
                row("people", &group, what, n.to_string(), None)?;
            }
            for o in &e.outcomes {
                let label = o.kind.label();
                row(
                    "a person a year",
                    &group,
                    &format!("{label}: connected, before"),
                    num(o.connected_before),
                    None,
                )?;
                row(
                    "a person a year",
                    &group,
                    &format!("{label}: connected, after"),
                    num(o.connected_after),
                    None,
                )?;
                row(
                    "a person a year",
                    &group,
                    &format!("{label}: comparison, before"),
                    num(o.comparison_before),
                    None,
                )?;
                row(
                    "a person a year",
                    &group,
                    &format!("{label}: comparison, after"),
                    num(o.comparison_after),
                    None,
                )?;
                row(
                    "change",
                    &group,
                    &format!("{label}: before and after (naive)"),
                    num(o.naive.value),
                    Some(&o.naive),
                )?;
                row(
                    "change",
                    &group,
                    &format!("{label}: against the comparison (difference in differences)"),
                    num(o.did.value),
                    Some(&o.did),
                )?;
                if let Some(r) = &o.relative {
                    row(
                        "change",
                        &group,
                        &format!("{label}: as a share of what they would have had"),
                        num(r.value),
                        Some(r),
                    )?;
                }
            }
            for note in &e.not_computed {
                row("not worked out", &group, note, String::new(), None)?;
            }
        }
        let m = &self.money;
        let pounds = |p: f64| format!("{:.0}", p / 100.0);
        let in_pounds = |e: &Estimate| Estimate {
            value: e.value / 100.0,
            low: e.low / 100.0,
            high: e.high / 100.0,
        };
        if let Some(a) = &m.avoided_gp {
            row(
                "money",
                "All connected",
                "GP appointments avoided",
                num(a.value),
                Some(a),
            )?;
        }
        if let Some(a) = &m.avoided_ae {
            row(
                "money",
                "All connected",
                "A&E attendances avoided",
                num(a.value),
                Some(a),
            )?;
        }
        if let Some(s) = &m.savings_pence {
            row(
                "money",
                "All connected",
                "savings (£)",
                pounds(s.value),
                Some(&in_pounds(s)),
            )?;
        }
        for (what, p) in &m.costs {
            row(
                "money",
                "costs",
                &format!("{what} (£)"),
                pounds(*p as f64),
                None,
            )?;
        }
        row(
            "money",
            "costs",
            "total (£)",
            pounds(m.total_cost_pence as f64),
            None,
        )?;
        if let Some(r) = &m.return_per_pound {
            row(
                "money",
                "All connected",
                "return per £1",
                num(r.value),
                Some(r),
            )?;
        }
        for note in &m.not_computed {
            row("not worked out", "money", note, String::new(), None)?;
        }
        row(
            "champions' time",
            "gifted",
            "hours",
            num(self.gifted.hours),
            None,
        )?;
        row(
            "champions' time",
            "gifted",
            "value (£, not a saving)",
            pounds(self.gifted.value_pence as f64),
            None,
        )?;
        for wb in &self.wellbeing {
            row(
                "wellbeing",
                wb.measure,
                "answered when connected",
                wb.at_start.to_string(),
                None,
            )?;
            row(
                "wellbeing",
                wb.measure,
                "answered at a follow-up",
                wb.at_follow_up.to_string(),
                None,
            )?;
            row(
                "wellbeing",
                wb.measure,
                "answered both",
                wb.both.to_string(),
                None,
            )?;
            if let (Some(a), Some(b), Some(i)) = (wb.mean_start, wb.mean_follow_up, wb.improved) {
                row("wellbeing", wb.measure, "mean when connected", num(a), None)?;
                row(
                    "wellbeing",
                    wb.measure,
                    "mean at the last follow-up",
                    num(b),
                    None,
                )?;
                row(
                    "wellbeing",
                    wb.measure,
                    "improved by a meaningful amount",
                    i.to_string(),
                    None,
                )?;
            }
        }
        w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
    }
}

fn num(x: f64) -> String {
    format!("{x:.3}")
}

/// The PCN's unit costs, the shipped defaults when none are set.
pub async fn unit_costs(
    store: &together_store::DynStore,
    pcn: together_core::PcnId,
) -> Result<UnitCosts, together_store::StoreError> {
    Ok(together_store::programme_settings(store, pcn)
        .await?
        .unit_costs)
}

/// Everything the report needs from the operational store, and the PCN's evaluation settings
/// (the defaults where none are set): one audited read of the connections. Shared by the web
/// app and the command line.
pub async fn inputs(
    store: &together_store::DynStore,
    pcn: together_core::PcnId,
    audit: &together_store::NewAuditEvent,
) -> Result<(Inputs, Settings), together_store::StoreError> {
    use together_store::champions::ClaimStatus;
    let settings = Settings::load(store, pcn).await?;
    let programme = together_store::programme_settings(store, pcn).await?;
    let hours = store
        .hours(pcn, None)
        .await?
        .into_iter()
        .filter(|h| h.status == ClaimStatus::Approved)
        .map(|h| (h.on, h.minutes))
        .collect();
    let expenses = store
        .expenses(pcn, None, audit)
        .await?
        .iter()
        .filter(|e| e.status == ClaimStatus::Approved)
        .map(|e| (e.on, e.pence))
        .collect();
    let practice_names = store
        .practices(pcn)
        .await?
        .into_iter()
        .map(|p| (p.ods_code.to_string(), p.name))
        .collect();
    let inputs = Inputs {
        connections: store.evaluated_connections(pcn, audit).await?,
        wellbeing: store.wellbeing_answers(pcn).await?,
        costs: store.programme_costs(pcn).await?,
        expenses,
        hours,
        hourly_pence: programme.hourly_value_pence,
        unit_costs: programme.unit_costs,
        practice_names,
    };
    Ok((inputs, settings))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_cost_spanning_more_than_the_period_counts_for_its_days_in_it() {
        let cost = ProgrammeCost {
            id: together_core::ProgrammeCostId::new(),
            category: together_core::impact::CostCategory::StaffTime,
            description: "Link worker".into(),
            from: date!(2023 - 07 - 01),
            to: date!(2024 - 06 - 29),
            pence: 3_650_000,
        };
        // 365 days entered, 181 of them in 2024's first half.
        let period = Some((date!(2024 - 01 - 01), date!(2024 - 12 - 31)));
        assert_eq!(pro_rata(&cost, period), 3_650_000 * 181 / 365);
        let before = Some((date!(2022 - 01 - 01), date!(2022 - 12 - 31)));
        assert_eq!(pro_rata(&cost, before), 0);
        assert_eq!(pro_rata(&cost, None), 3_650_000, "no period: all of it");
    }
}
