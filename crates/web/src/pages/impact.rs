//! "Did it help?": the impact report on the web — the honest estimate against a matched
//! comparison beside the naive before-and-after, the money, how people are and the hours
//! champions gave — as a page, a self-contained HTML file to share (and print to PDF) and CSV;
//! and the costs page where the PCN lead enters what the programme cost and the unit costs.

use crate::context::Ctx;
use crate::error::AppError;
use crate::layout::{Layout, Problem};
use crate::pages::insight::{bars, Bar};
use crate::pages::wellbeing::Bar as ChangeBar;
use crate::policy_router::{Policy, Routes};
use crate::state::AppState;
use crate::subject_access::download;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use together_core::disclosure::{Audience, Count};
use together_core::hours_expenses::{money, whole_pounds};
use together_core::impact::{CostCategory, ProgrammeCostForm, UnitCostsForm, UNIT_COSTS_SETTING};
use together_core::{Action, ProgrammeCostId, Role};
use together_insight::impact::{
    build, inputs, Estimate, ImpactReport, OutcomeKind, ReportError, SettingsForm, ShownEvaluation,
    ShownReport, SETTINGS_KEY,
};
use together_store::Outcome;

pub(crate) fn routes(r: Routes) -> Routes {
    let view = Policy::Allow(Action::ViewImpact);
    let costs = Policy::Allow(Action::ManageProgrammeCosts);
    r.get("/impact", view, page)
        .get("/impact/report.html", view, report_html)
        .get("/impact/report.csv", view, report_csv)
        .get("/impact/costs", costs, costs_page)
        .get("/impact/past-connections", costs, past_page)
        .post("/impact/past-connections", costs, past_upload)
        .post("/impact/costs", costs, add_cost)
        .post("/impact/costs/{id}/remove", costs, remove_cost)
        .post("/impact/unit-costs", costs, set_unit_costs)
        .post("/impact/settings", costs, set_settings)
}

/// Exact figures for analysts; disclosure control for everyone else (the report pools the
/// practices, so it is never one practice's own).
fn audience(role: Role) -> Audience {
    if role == Role::Analyst {
        Audience::Unsuppressed
    } else {
        Audience::Suppressed
    }
}

/// The PCN's impact report: the practices that pool their data, the programme's settings,
/// and what the store holds; the read is audited. Shared by the page, the downloads and the API.
pub(crate) async fn report(
    state: &AppState,
    ctx: &Ctx,
) -> Result<(ImpactReport, Audience), AppError> {
    let actor = ctx.actor()?.clone();
    let pcn = actor.pcn_id;
    let store = state.store();
    let audit = ctx.audit(state, "view_impact", "impact", None, Outcome::Allowed);
    let (inputs, settings) = inputs(store, pcn, &audit).await?;
    let report = match build(store, &state.0.data_dir, pcn, &settings, &inputs).await {
        Ok(r) => r,
        Err(ReportError::Store(e)) => return Err(e.into()),
        Err(e) => return Err(AppError::Internal(e.to_string())),
    };
    Ok((report, audience(actor.role)))
}

/// "31 December 2025" for an ISO date (as written otherwise).
fn long_date(iso: &str) -> String {
    together_core::people::parse_date(iso)
        .map(together_insight::coverage::long_date)
        .unwrap_or_else(|| iso.to_owned())
}

/// A whole number as the page writes it, with a true minus sign: estimates of appointments.
fn whole(x: f64) -> String {
    format!("{x:.0}").replace('-', "−")
}

fn one(x: f64) -> String {
    let s = format!("{x:.1}");
    if s == "-0.0" {
        "0.0".into()
    } else {
        s.replace('-', "−")
    }
}

/// "1.2 fewer" / "0.4 more" for a change a person a year.
fn change(x: f64) -> String {
    if x < 0.0 {
        format!("{} fewer", one(-x))
    } else {
        format!("{} more", one(x))
    }
}

fn interval(e: &Estimate) -> String {
    format!("{} to {}", one(e.low), one(e.high))
}

/// One outcome's figures in words and numbers.
pub(crate) struct Headline {
    pub(crate) label: &'static str,
    pub(crate) sentence: String,
    pub(crate) naive_sentence: String,
    pub(crate) rows: Vec<(&'static str, String, String)>,
}

fn headline(kind: OutcomeKind, e: &ShownEvaluation) -> Option<Headline> {
    let o = e.outcomes.iter().find(|o| o.kind == kind)?;
    let what = kind.label();
    let sure = o.did.high < 0.0 || o.did.low > 0.0;
    let mut sentence = format!(
        "In the year after they were connected, people had {} {what} a year than similar people who were not connected (95% interval: {}).",
        change(o.did.value),
        interval(&o.did)
    );
    if !sure {
        sentence.push_str(&format!(
            " The interval includes no change, so we cannot be sure the connections made a difference to {what}."
        ));
    }
    if let Some(r) = &o.relative {
        sentence.push_str(&format!(
            " That is a change of {}% on what they would otherwise have had (95% interval: {}% to {}%).",
            one(r.value * 100.0),
            one(r.low * 100.0),
            one(r.high * 100.0)
        ));
    }
    let naive_sentence = format!(
        "Counting only the connected people, before and after, would say {} a year (95% interval: {}): {}",
        change(o.naive.value),
        interval(&o.naive),
        if o.did.value.abs() > 1e-9 && o.naive.value.signum() == o.did.value.signum() {
            format!("{} times the honest figure.", one(o.naive.value / o.did.value))
        } else {
            "not the same story as the honest figure.".to_owned()
        }
    );
    Some(Headline {
        label: what,
        sentence,
        naive_sentence,
        rows: vec![
            (
                "Connected people",
                one(o.connected_before),
                one(o.connected_after),
            ),
            (
                "Comparison people",
                one(o.comparison_before),
                one(o.comparison_after),
            ),
        ],
    })
}

/// The answer in one sentence with its interval, and what it means in appointments and money:
/// what a board reads first.
fn answer(e: &ShownEvaluation, m: &together_insight::impact::Money) -> String {
    let Some(o) = e
        .outcomes
        .iter()
        .find(|o| o.kind == OutcomeKind::GpAppointments)
    else {
        return "There is no answer yet: the reasons are below.".into();
    };
    // "a cut of 1.4% to 25.9%", "from a cut of 25.9% to a rise of 3.0%": an interval of
    // shares in words, smaller change first.
    let shares = |low: f64, high: f64| {
        let word = |x: f64| if x < 0.0 { "a cut" } else { "a rise" };
        let pct = |x: f64| format!("{}%", one(x.abs() * 100.0));
        if low < 0.0 && high < 0.0 {
            format!("a cut of {} to {}", pct(high), pct(low))
        } else if low >= 0.0 {
            format!("a rise of {} to {}", pct(low), pct(high))
        } else {
            format!(
                "from {} of {} to {} of {}",
                word(low),
                pct(low),
                word(high),
                pct(high)
            )
        }
    };
    let how = match &o.relative {
        Some(r) => format!(
            "{} GP appointments by {}% (95% interval: {})",
            if r.value < 0.0 {
                "cut their"
            } else {
                "raised their"
            },
            one(r.value.abs() * 100.0),
            shares(r.low, r.high)
        ),
        None => format!(
            "changed their GP appointments by {} a year each (95% interval: {})",
            change(o.did.value),
            interval(&o.did)
        ),
    };
    let mut s =
        format!("Connecting people {how}, compared with similar people who were not connected");
    if let Some(a) = &m.avoided_gp {
        s.push_str(&format!(
            ": about {} GP appointments {} in the year after (95% interval: {} to {})",
            whole(a.value.abs()),
            if a.value >= 0.0 { "freed" } else { "added" },
            whole(a.low),
            whole(a.high)
        ));
    }
    if let Some(v) = &m.savings_pence {
        s.push_str(&format!(
            ", worth about {} at the unit costs (95% interval: {} to {}) with A&E attendances",
            whole_pounds(v.value.round() as i64),
            whole_pounds(v.low.round() as i64),
            whole_pounds(v.high.round() as i64)
        ));
        if m.total_cost_pence > 0 {
            s.push_str(&format!(
                ", against {} the programme cost in that time",
                whole_pounds(m.total_cost_pence)
            ));
        }
    }
    s.push('.');
    if o.did.low <= 0.0 && 0.0 <= o.did.high {
        s.push_str(" The interval includes no change: we cannot yet be sure the connections made a difference.");
    }
    s
}

/// The month-by-month chart of one outcome: two lines and the table behind them.
pub(crate) struct MonthChart {
    /// "gp" or "ae": the chart's ids.
    pub(crate) id: &'static str,
    /// What is counted, as the heading and the axis say it.
    pub(crate) what: &'static str,
    /// The ends of the months axis, in words.
    pub(crate) first: String,
    pub(crate) last: String,
    pub(crate) connected: String,
    pub(crate) comparison: String,
    pub(crate) top: String,
    pub(crate) zero_x: f64,
    pub(crate) rows: Vec<(String, String, String)>,
}

fn month_chart(e: &ShownEvaluation, kind: OutcomeKind) -> Option<MonthChart> {
    if e.months.len() < 2 {
        return None;
    }
    let gp = kind == OutcomeKind::GpAppointments;
    let pick = |m: &together_insight::impact::Month| {
        if gp {
            (m.connected_gp, m.comparison_gp)
        } else {
            (m.connected_ae, m.comparison_ae)
        }
    };
    let max = e
        .months
        .iter()
        .map(|m| pick(m).0.max(pick(m).1))
        .fold(0.0, f64::max)
        .max(0.01);
    let n = (e.months.len() - 1) as f64;
    let x = |i: usize| i as f64 / n * 480.0;
    let y = |v: f64| 200.0 - v / max * 200.0;
    let line = |f: &dyn Fn(&together_insight::impact::Month) -> f64| {
        e.months
            .iter()
            .enumerate()
            .map(|(i, m)| format!("{:.1},{:.1}", x(i), y(f(m))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let zero = e.months.iter().position(|m| m.offset == 0).unwrap_or(0);
    Some(MonthChart {
        id: if gp { "gp" } else { "ae" },
        what: kind.label(),
        first: format!("{} months before", -e.months[0].offset),
        last: format!("{} months after", e.months[e.months.len() - 1].offset + 1),
        connected: line(&|m| pick(m).0),
        comparison: line(&|m| pick(m).1),
        top: format!("{max:.2}"),
        zero_x: x(zero),
        rows: e
            .months
            .iter()
            .map(|m| {
                let when = match m.offset {
                    0 => "The month they were connected".to_owned(),
                    o if o < 0 => format!("{} months before", -o),
                    o => format!("{} months after", o),
                };
                (
                    when,
                    format!("{:.2}", pick(m).0),
                    format!("{:.2}", pick(m).1),
                )
            })
            .collect(),
    })
}

/// Naive and honest estimates as bars from zero with their intervals.
pub(crate) struct EffectBar {
    pub(crate) label: String,
    pub(crate) y: f64,
    pub(crate) x: f64,
    pub(crate) width: f64,
    pub(crate) low: f64,
    pub(crate) high: f64,
    pub(crate) honest: bool,
    pub(crate) text: String,
}

fn effect_bars(e: &ShownEvaluation) -> Vec<EffectBar> {
    let biggest = e
        .outcomes
        .iter()
        .flat_map(|o| [o.naive.low, o.naive.high, o.did.low, o.did.high])
        .map(f64::abs)
        .fold(0.0, f64::max)
        .max(0.1);
    let scale = 180.0 / biggest;
    let mut out = Vec::new();
    for o in &e.outcomes {
        for (honest, est, what) in [
            (false, &o.naive, "before and after"),
            (true, &o.did, "against the comparison"),
        ] {
            let v = est.value * scale;
            out.push(EffectBar {
                label: format!("{}, {what}", o.kind.label()),
                y: out.len() as f64 * 34.0,
                x: v.min(0.0),
                width: v.abs(),
                low: est.low * scale,
                high: est.high * scale,
                honest,
                text: format!("{} ({})", one(est.value), interval(est)),
            });
        }
    }
    out
}

/// The report as people see it: words, tables and chart geometry.
pub(crate) struct View {
    pub(crate) suppressed: bool,
    pub(crate) disclosure: &'static str,
    pub(crate) not_for_sharing: &'static str,
    pub(crate) method: String,
    pub(crate) counting: String,
    pub(crate) data: String,
    pub(crate) windows: String,
    pub(crate) headlines: Vec<Headline>,
    pub(crate) gap: String,
    pub(crate) counts: Vec<(&'static str, Count)>,
    pub(crate) not_computed: Vec<String>,
    pub(crate) cautions: Vec<String>,
    pub(crate) data_notes: Vec<String>,
    pub(crate) months: Vec<MonthChart>,
    /// The answer in one sentence, first on the page.
    pub(crate) answer: String,
    pub(crate) effects: Vec<EffectBar>,
    pub(crate) effects_height: f64,
    pub(crate) frequent: Vec<(&'static str, String, String)>,
    pub(crate) frequent_words: String,
    pub(crate) money: Vec<(String, String)>,
    pub(crate) money_notes: Vec<String>,
    pub(crate) units: Vec<(&'static str, String, String)>,
    pub(crate) gifted: String,
    pub(crate) hour_bars: Vec<Bar>,
    pub(crate) wellbeing_bars: Vec<ChangeBar>,
    pub(crate) wellbeing: Vec<[String; 7]>,
    pub(crate) groups: Vec<[String; 6]>,
    pub(crate) balance: Vec<[String; 6]>,
}

const CANNOT: [&str; 5] = [
    "This is not a randomised trial. The comparison people were like the connected people in practice, sex, age and how often they came before, but they may differ in what the data does not record — how much support they have at home, or how ready they were for a change.",
    "Only GP appointments at the practices (by the counting rule) and A&E attendances are counted: hospital outpatients, NHS 111 and pharmacies are not.",
    "Savings are the unit costs of the appointments and attendances avoided: capacity freed for others, not cash the practices get back.",
    "The intervals show how much the figures could move by chance alone; they cannot show bias.",
    "For a small group (an offer with few people) the interval is wide: read it as \"we cannot tell yet\", not as \"it made no difference\".",
];

pub(crate) fn view(r: &ShownReport, today: time::Date) -> View {
    let e = &r.overall;
    let headlines: Vec<Headline> = [OutcomeKind::GpAppointments, OutcomeKind::AeAttendances]
        .into_iter()
        .filter_map(|k| headline(k, e))
        .collect();
    let gap = e
        .outcomes
        .iter()
        .find(|o| o.kind == OutcomeKind::GpAppointments)
        .map(|o| {
            format!(
                "Why the two figures differ: people are usually connected when they are coming to the practice a lot. Many people who come a lot one year come less the next anyway, whatever is done — their busy year was partly bad luck (this is called regression to the mean). The comparison people came as often as the connected people before, and without any connection they went from {} to {} GP appointments a year. Only the difference between the two falls can be put down to the connections; a before-and-after count gives the connections the credit for both.",
                one(o.comparison_before),
                one(o.comparison_after)
            )
        })
        .unwrap_or_default();
    let c = &e.counts;
    let counts = vec![
        ("People connected", c.connected),
        (
            "Linked to the appointment data (an NHS number recorded, and in the data)",
            c.linkable,
        ),
        (
            "Not registered at a practice in the data when connected",
            c.not_registered,
        ),
        (
            "Too little history in the data before they were connected",
            c.history_short,
        ),
        (
            "Connected too recently: their follow-up year is not over in the data",
            c.follow_up_incomplete,
        ),
        (
            "Moved away or died soon after being connected (not evaluated)",
            c.left_early,
        ),
        ("No one comparable who was never connected", c.unmatched),
        ("Evaluated", c.evaluated),
        (
            "Of them, moved away or died during the year after (counted while registered)",
            c.censored,
        ),
        ("Comparison people", c.comparison_people),
    ];
    let frequent = e
        .frequent
        .as_ref()
        .map(|f| {
            let evaluated = c.evaluated.shown().unwrap_or(0).max(1) as f64;
            let share = |n: Count| {
                n.shown().map_or_else(
                    || n.to_string(),
                    |v| format!("{n} ({}%)", one(v as f64 / evaluated * 100.0)),
                )
            };
            vec![
                (
                    "Connected people",
                    share(f.connected_before),
                    share(f.connected_after),
                ),
                (
                    "Comparison people",
                    format!("{}%", one(f.comparison_before * 100.0)),
                    format!("{}%", one(f.comparison_after * 100.0)),
                ),
            ]
        })
        .unwrap_or_default();
    let frequent_words = e
        .frequent
        .as_ref()
        .map(|f| {
            let fall = |a: f64, b: f64| if a > 0.0 { (a - b) / a * 100.0 } else { 0.0 };
            let before = f.connected_before.shown().unwrap_or(0) as f64;
            let after = f.connected_after.shown().unwrap_or(0) as f64;
            format!(
                "Frequent attenders here have {} or more GP appointments a year. Among the connected people their number fell by {}%; among the comparison people, who were never connected, it fell by {}%. Only the difference is the connections' doing: a report of the first figure alone would be the \"fall in frequent attenders\" that regression to the mean gives anyway.",
                one(f.per_year),
                one(fall(before, after)),
                one(fall(f.comparison_before, f.comparison_after))
            )
        })
        .unwrap_or_default();
    let m = &r.money;
    let pounds = |p: f64| whole_pounds(p.round() as i64);
    let mut money_rows = Vec::new();
    if let Some((from, to)) = &m.period {
        money_rows.push((
            "The period (the evaluated connections were made from the first day to the last)"
                .into(),
            format!("{} to {}", long_date(from), long_date(to)),
        ));
    }
    for (what, a) in [
        ("GP appointments avoided", &m.avoided_gp),
        ("A&E attendances avoided", &m.avoided_ae),
    ] {
        if let Some(a) = a {
            money_rows.push((
                what.into(),
                format!(
                    "{} (95% interval: {} to {})",
                    whole(a.value),
                    whole(a.low),
                    whole(a.high)
                ),
            ));
        }
    }
    if let Some(s) = &m.savings_pence {
        money_rows.push((
            "Worth, at the unit costs".into(),
            format!(
                "{} (95% interval: {} to {})",
                pounds(s.value),
                pounds(s.low),
                pounds(s.high)
            ),
        ));
    }
    for (what, p) in &m.costs {
        money_rows.push((format!("Cost in the period: {what}"), whole_pounds(*p)));
    }
    money_rows.push((
        "Total cost in the period".into(),
        whole_pounds(m.total_cost_pence),
    ));
    if let Some((from, to)) = &m.costs_cover {
        money_rows.push((
            "Costs entered cover (a cost spanning more than the period counts for its part in it)"
                .into(),
            format!("{} to {}", long_date(from), long_date(to)),
        ));
    }
    if let Some(x) = &m.return_per_pound {
        let p = |v: f64| format!("£{v}").replace("£-", "−£");
        money_rows.push((
            "Return per £1 spent".into(),
            format!(
                "{} (95% interval: {} to {})",
                p(x.value),
                p(x.low),
                p(x.high)
            ),
        ));
    }
    let unit =
        |u: &together_core::impact::UnitCost| u.pence.map_or_else(|| "Not set".to_owned(), money);
    let g = &r.gifted;
    let wellbeing_bars = r
        .wellbeing
        .iter()
        .filter_map(|w| Some((w.ons4?, w.mean_start?, w.mean_follow_up?)))
        .enumerate()
        .map(|(i, (item, a, b))| ChangeBar::new(i, item, a, b, |v| format!("{v:.1}")))
        .collect();
    let dash = |x: Option<f64>| x.map_or_else(|| "–".to_owned(), |v| format!("{v:.1}"));
    let group_row = |kind: &str, name: &str, e: &ShownEvaluation| {
        let gp = e
            .outcomes
            .iter()
            .find(|o| o.kind == OutcomeKind::GpAppointments);
        [
            if name.is_empty() {
                kind.to_owned()
            } else {
                format!("{kind}: {name}")
            },
            e.counts.connected.to_string(),
            e.counts.evaluated.to_string(),
            gp.map_or_else(
                || "–".into(),
                |o| format!("{} ({})", one(o.did.value), interval(&o.did)),
            ),
            gp.map_or_else(|| "–".into(), |o| one(o.naive.value)),
            e.not_computed.first().cloned().unwrap_or_default(),
        ]
    };
    let mut groups = vec![group_row("Everyone connected", "", e)];
    groups.extend(
        r.groups
            .iter()
            .map(|g| group_row(g.kind, &g.name, &g.evaluation)),
    );
    let effects = effect_bars(e);
    View {
        suppressed: r.disclosure.is_some(),
        disclosure: r.disclosure.unwrap_or(""),
        not_for_sharing: together_insight::impact::NOT_FOR_SHARING,
        method: r.method.clone(),
        counting: r.rule.clone(),
        data: match (&r.data_from, &r.data_to) {
            (Some(a), Some(b)) => format!("Appointment data from {a} to {b}."),
            _ => "No appointment data has been imported yet.".into(),
        },
        windows: format!(
            "Attendance is compared over {} days before and {} days after the day each person was first connected (the index date); each comparison person takes the index date of the person they are compared with. Figures are a person a year. Intervals are 95% intervals from {} bootstrap resamples of the people (seed {}, so the report can be reproduced).",
            r.settings.before_days, r.settings.after_days, r.settings.resamples, r.settings.seed
        ),
        headlines,
        gap,
        counts,
        not_computed: e.not_computed.clone(),
        cautions: e.cautions.clone(),
        data_notes: r.data_notes.clone(),
        months: OutcomeKind::ALL
            .into_iter()
            .filter_map(|k| month_chart(e, k))
            .collect(),
        answer: answer(e, m),
        effects_height: effects.len() as f64 * 34.0 + 10.0,
        effects,
        frequent,
        frequent_words,
        money: money_rows,
        money_notes: m.not_computed.clone(),
        units: [("A GP appointment", &m.gp_unit), ("An A&E attendance", &m.ae_unit)]
            .into_iter()
            .map(|(what, u)| {
                let source = match u.age_note(today) {
                    Some(note) => format!("{} {note}", u.source),
                    None => u.source.clone(),
                };
                (what, unit(u), source)
            })
            .collect(),
        gifted: format!(
            "Champions gave {} hours, worth {} at {} an hour. This is shown on its own: it is not a saving and is not in the return per £1.",
            one(g.hours),
            money(g.value_pence),
            money(g.hourly_pence)
        ),
        hour_bars: bars(
            &g.by_month
                .iter()
                .map(|(m, h)| (m.clone(), *h, one(*h)))
                .collect::<Vec<_>>(),
        ),
        wellbeing_bars,
        wellbeing: r
            .wellbeing
            .iter()
            .map(|w| {
                [
                    w.measure.to_owned(),
                    w.at_start.to_string(),
                    w.at_follow_up.to_string(),
                    w.both.to_string(),
                    dash(w.mean_start),
                    dash(w.mean_follow_up),
                    w.improved.map_or_else(
                        || "–".into(),
                        |n| {
                            // The share of those who answered both, from the figures shown.
                            let share = match (n.shown(), w.both.shown()) {
                                (Some(a), Some(b)) if b > 0 => {
                                    format!(", {}%", one(a as f64 / b as f64 * 100.0))
                                }
                                _ => String::new(),
                            };
                            format!("{n}{share} (by {} or more)", w.meaningful)
                        },
                    ),
                ]
            })
            .collect(),
        groups,
        balance: e
            .balance
            .iter()
            .map(|b| {
                [
                    b.measure.to_owned(),
                    format!("{:.1}", b.connected),
                    format!("{:.1}", b.candidates),
                    format!("{:.1}", b.matched),
                    format!("{:.2}", b.difference_before),
                    format!("{:.2}", b.difference_after),
                ]
            })
            .collect(),
    }
}

impl View {
    pub(crate) fn cannot(&self) -> &'static [&'static str] {
        &CANNOT
    }
}

#[derive(Template)]
#[template(path = "impact.html")]
struct ImpactPage {
    layout: Layout,
    v: View,
    can_manage: bool,
}

async fn page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let (r, audience) = report(&state, &ctx).await?;
    let actor = ctx.actor()?;
    let page = ImpactPage {
        can_manage: together_core::authorize(
            actor,
            Action::ManageProgrammeCosts,
            &together_core::Resource::Pcn(actor.pcn_id),
        )
        .is_allowed(),
        layout: Layout::new(&state, &ctx, "Did it help?"),
        v: view(&r.shown(audience), state.now().date()),
    };
    Ok(Html(page.render()?).into_response())
}

/// The report to share: disclosed for everyone, analysts included (exact figures stay in their
/// own view, the page and the API, marked not for sharing).
async fn report_html(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let (r, _) = report(&state, &ctx).await?;
    let pcn = ctx.actor()?.pcn_id;
    let name = state
        .store()
        .pcn(pcn)
        .await?
        .map(|p| p.name)
        .unwrap_or_default();
    let html =
        crate::report::impact_report(&r.shown(Audience::Suppressed), &name, state.now().date())?;
    Ok(download(
        html.into_bytes(),
        "text/html; charset=utf-8",
        "impact-report.html",
    ))
}

/// The report's figures as a CSV download, the page's link and the API's alike: a download is
/// for sharing, so it is disclosed for everyone.
pub(crate) async fn report_csv(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, AppError> {
    let (r, _) = report(&state, &ctx).await?;
    let csv = r
        .shown(Audience::Suppressed)
        .csv()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download(
        csv,
        "text/csv; charset=utf-8",
        "impact-report.csv",
    ))
}

async fn past_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    use crate::pages::spreadsheet::{page, Imported, Spreadsheet};
    page(
        &state,
        &ctx,
        Spreadsheet::PastConnections,
        Imported::Nothing,
    )
}

/// The connections made before Together, uploaded by the PCN lead: the command line's use case.
async fn past_upload(
    State(state): State<AppState>,
    ctx: Ctx,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, AppError> {
    use crate::pages::spreadsheet::{self as sheet, Imported, Spreadsheet};
    use together_insight::impact::{import_past_connections, PastImportError};
    let show = |imported| sheet::page(&state, &ctx, Spreadsheet::PastConnections, imported);
    let bytes = match sheet::uploaded(&mut multipart).await? {
        Ok(b) => b,
        Err(refused) => return show(refused),
    };
    let audit = ctx.audit(
        &state,
        "import_past_connections",
        "past_connection",
        None,
        Outcome::Allowed,
    );
    match import_past_connections(
        state.store(),
        ctx.actor()?.pcn_id,
        &state.0.pseudonym_key,
        &bytes[..],
        state.now(),
        &audit,
    )
    .await
    {
        Ok(done) => show(sheet::done(
            done.added,
            done.already_there,
            "connection",
            "connections",
        )),
        Err(PastImportError::Rows { errors, .. }) => show(Imported::Rejected(errors)),
        Err(PastImportError::File(e)) => {
            show(Imported::Refused(format!("Nothing was imported: {e}")))
        }
        Err(PastImportError::Store(e)) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "impact_costs.html")]
struct CostsPage {
    layout: Layout,
    problem: Problem,
    costs: Vec<(String, &'static str, String, String, String)>,
    total: String,
    categories: Vec<(&'static str, &'static str)>,
    form: ProgrammeCostForm,
    units: UnitCostsForm,
    settings: SettingsForm,
}

async fn render_costs(
    state: &AppState,
    ctx: &Ctx,
    problem: Problem,
    form: ProgrammeCostForm,
    units: Option<UnitCostsForm>,
    settings: Option<SettingsForm>,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let costs = state.store().programme_costs(pcn).await?;
    let current = together_insight::impact::unit_costs(state.store(), pcn).await?;
    let pounds =
        |p: Option<i64>| p.map_or_else(String::new, |p| format!("{}.{:02}", p / 100, p % 100));
    let units = units.unwrap_or(UnitCostsForm {
        gp_pounds: pounds(current.gp_appointment.pence),
        gp_source: current.gp_appointment.source,
        ae_pounds: pounds(current.ae_attendance.pence),
        ae_source: current.ae_attendance.source,
    });
    let settings = match settings {
        Some(s) => s,
        None => SettingsForm::of(
            &state
                .store()
                .setting(pcn, SETTINGS_KEY)
                .await?
                .and_then(|s| serde_json::from_str(&s).ok())
                .unwrap_or_default(),
        ),
    };
    let status = crate::layout::form_status(!problem.errors.is_empty());
    let page = CostsPage {
        settings,
        layout: Layout::new(
            state,
            ctx,
            "What the programme cost, and how it is evaluated",
        ),
        problem,
        total: money(costs.iter().map(|c| c.pence).sum()),
        costs: costs
            .iter()
            .map(|c| {
                (
                    c.id.to_string(),
                    c.category.label(),
                    c.description.clone(),
                    format!(
                        "{} to {}",
                        crate::layout::date(&c.from),
                        crate::layout::date(&c.to)
                    ),
                    money(c.pence),
                )
            })
            .collect(),
        categories: CostCategory::ALL
            .iter()
            .map(|c| (c.as_str(), c.label()))
            .collect(),
        form,
        units,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn costs_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    render_costs(
        &state,
        &ctx,
        Problem::none(),
        ProgrammeCostForm::default(),
        None,
        None,
    )
    .await
}

async fn add_cost(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<ProgrammeCostForm>,
) -> Result<Response, AppError> {
    let cost = match form.parse() {
        Ok(c) => c,
        Err(errors) => {
            return render_costs(&state, &ctx, Problem::of("cost", errors), form, None, None).await
        }
    };
    let pcn = ctx.actor()?.pcn_id;
    let audit = ctx.audit(
        &state,
        "add_programme_cost",
        "programme_cost",
        None,
        Outcome::Allowed,
    );
    state.store().add_programme_cost(pcn, &cost, &audit).await?;
    Ok(Redirect::to("/impact/costs").into_response())
}

async fn remove_cost(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id: ProgrammeCostId = id.parse().map_err(|_| AppError::NotFound)?;
    let pcn = ctx.actor()?.pcn_id;
    let audit = ctx.audit(
        &state,
        "remove_programme_cost",
        "programme_cost",
        Some(id.to_string()),
        Outcome::Allowed,
    );
    state.store().remove_programme_cost(pcn, id, &audit).await?;
    Ok(Redirect::to("/impact/costs").into_response())
}

async fn set_unit_costs(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<UnitCostsForm>,
) -> Result<Response, AppError> {
    let costs = match form.parse() {
        Ok(c) => c,
        Err(errors) => {
            return render_costs(
                &state,
                &ctx,
                Problem::of("units", errors),
                ProgrammeCostForm::default(),
                Some(form),
                None,
            )
            .await
        }
    };
    save_setting(&state, &ctx, UNIT_COSTS_SETTING, "set_unit_costs", &costs).await
}

async fn set_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<SettingsForm>,
) -> Result<Response, AppError> {
    let settings = match form.parse() {
        Ok(s) => s,
        Err(errors) => {
            return render_costs(
                &state,
                &ctx,
                Problem::of("settings", errors),
                ProgrammeCostForm::default(),
                None,
                Some(form),
            )
            .await
        }
    };
    save_setting(&state, &ctx, SETTINGS_KEY, "set_impact_settings", &settings).await
}

/// Keeps a programme setting of the impact report as JSON, audited, and goes back to the page.
async fn save_setting(
    state: &AppState,
    ctx: &Ctx,
    key: &str,
    action: &str,
    value: &impl serde::Serialize,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let json = serde_json::to_string(value).map_err(|e| AppError::Internal(e.to_string()))?;
    let audit = ctx.audit(state, action, "setting", Some(key.into()), Outcome::Allowed);
    state.store().set_setting(pcn, key, &json, &audit).await?;
    Ok(Redirect::to("/impact/costs").into_response())
}
