//! The impact report as people read it, on the page and in the HTML report a board is sent:
//! the answer in one sentence, headlines, charts' geometry and the tables behind them.

use crate::pages::insight::{bars, Bar};
use crate::pages::wellbeing::Bar as ChangeBar;
use together_core::disclosure::Count;
use together_core::hours_expenses::{money, whole_pounds};
use together_insight::impact::{Estimate, OutcomeKind, ShownEvaluation, ShownReport};

/// "31 December 2025" for an ISO date (as written otherwise).
pub(super) fn long_date(iso: &str) -> String {
    together_core::people::parse_date(iso)
        .map(together_insight::coverage::long_date)
        .unwrap_or_else(|| iso.to_owned())
}

/// A whole number as the page writes it, with a true minus sign: estimates of appointments.
pub(super) fn whole(x: f64) -> String {
    format!("{x:.0}").replace('-', "−")
}

pub(super) fn one(x: f64) -> String {
    let s = format!("{x:.1}");
    if s == "-0.0" {
        "0.0".into()
    } else {
        s.replace('-', "−")
    }
}

/// "1.2 fewer" / "0.4 more" for a change a person a year.
pub(super) fn change(x: f64) -> String {
    if x < 0.0 {
        format!("{} fewer", one(-x))
    } else {
        format!("{} more", one(x))
    }
}

pub(super) fn interval(e: &Estimate) -> String {
    format!("{} to {}", one(e.low), one(e.high))
}

/// One outcome's figures in words and numbers.
pub(crate) struct Headline {
    pub(crate) label: &'static str,
    pub(crate) sentence: String,
    pub(crate) naive_sentence: String,
    pub(crate) rows: Vec<(&'static str, String, String)>,
}

pub(super) fn headline(kind: OutcomeKind, e: &ShownEvaluation) -> Option<Headline> {
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
pub(super) fn answer(e: &ShownEvaluation, m: &together_insight::impact::Money) -> String {
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

pub(super) fn month_chart(e: &ShownEvaluation, kind: OutcomeKind) -> Option<MonthChart> {
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

pub(super) fn effect_bars(e: &ShownEvaluation) -> Vec<EffectBar> {
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

pub(super) const CANNOT: [&str; 5] = [
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
