//! The estimates: naive before-and-after, difference in differences against the matched
//! comparison, intervals by bootstrap over connected people, frequent attenders, balance, and
//! the month-by-month picture.

use super::matching::{before, comparisons, Candidates, Covariates, Pool, Spread};
use super::panel::{between, Connection, Panel, PanelPerson};
use super::settings::{Settings, YEAR};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use together_core::disclosure::RawCount;

/// What an outcome counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    GpAppointments,
    AeAttendances,
}

impl OutcomeKind {
    pub const ALL: [OutcomeKind; 2] = [OutcomeKind::GpAppointments, OutcomeKind::AeAttendances];

    pub fn label(self) -> &'static str {
        match self {
            OutcomeKind::GpAppointments => "GP appointments",
            OutcomeKind::AeAttendances => "A&E attendances",
        }
    }
}

/// A figure with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

impl Estimate {
    pub fn covers(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }
}

/// One outcome's figures, a person a year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub kind: OutcomeKind,
    pub connected_before: f64,
    pub connected_after: f64,
    pub comparison_before: f64,
    pub comparison_after: f64,
    /// After minus before, for the connected people alone: what a before-and-after count says.
    pub naive: Estimate,
    /// The connected people's change minus the comparison people's: the connection's effect.
    pub did: Estimate,
    /// The effect as a share of what the connected people would have had without it.
    pub relative: Option<Estimate>,
}

/// Everyone connected, and what became of them in the evaluation: none silently dropped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// People connected (their first connection in scope).
    pub connected: u64,
    /// Of them, linked to the attendance data by pseudonym.
    pub linkable: u64,
    /// Not registered at a practice in the data on the day they were connected.
    pub not_registered: u64,
    /// Registered for too little of the window before (or the data starts after it begins).
    pub history_short: u64,
    /// The window after reaches past the end of the data: not yet followed up.
    pub follow_up_incomplete: u64,
    /// Moved away or died too soon after to measure: censored and not evaluated.
    pub left_early: u64,
    /// Nobody comparable: no one never connected like them.
    pub unmatched: u64,
    /// Evaluated against their comparison people.
    pub evaluated: u64,
    /// Of the evaluated, moved away or died during the window after: counted over the time they
    /// were registered.
    pub censored: u64,
    /// Different people used for comparison.
    pub comparison_people: u64,
}

/// The shares of frequent attenders before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrequentAttenders {
    pub per_year: f64,
    pub connected_before: u64,
    pub connected_after: u64,
    /// Shares of the comparison people (weighted as matched).
    pub comparison_before: f64,
    pub comparison_after: f64,
}

/// One measure matched on: means for the connected people, the candidates before matching and
/// the chosen comparison people, and standardised differences before and after matching.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Balance {
    pub measure: &'static str,
    pub connected: f64,
    pub candidates: f64,
    pub matched: f64,
    pub difference_before: f64,
    pub difference_after: f64,
}

/// A month relative to the index date (0: the month from the day of connection).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Month {
    pub offset: i32,
    /// A person a month.
    pub connected_gp: f64,
    pub comparison_gp: f64,
    pub connected_ae: f64,
    pub comparison_ae: f64,
}

/// One evaluated connected person with their comparison people: rates a year before and after,
/// GP then A&E.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub person: usize,
    pub on: i32,
    pub before: [f64; 2],
    pub after: [f64; 2],
    pub comparisons: Vec<(usize, [f64; 2], [f64; 2])>,
    pub censored: bool,
}

impl Unit {
    fn change(&self, o: usize) -> f64 {
        self.after[o] - self.before[o]
    }

    /// The mean of the comparison people's rates.
    fn comparison(&self, f: impl Fn(&([f64; 2], [f64; 2])) -> f64) -> f64 {
        let n = self.comparisons.len() as f64;
        self.comparisons.iter().map(|c| f(&(c.1, c.2))).sum::<f64>() / n
    }
}

/// The whole evaluation of one set of connections.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    pub counts: Counts,
    /// GP appointments then A&E attendances; none when nobody could be evaluated.
    pub outcomes: Vec<Outcome>,
    pub frequent: Option<FrequentAttenders>,
    pub balance: Vec<Balance>,
    pub months: Vec<Month>,
    pub units: Vec<Unit>,
    /// The difference in differences of each bootstrap resample, GP then A&E (for intervals of
    /// what is worked out from both, such as the money saved).
    pub draws: Vec<[f64; 2]>,
    /// What could not be worked out, and why, in plain words.
    pub not_computed: Vec<String>,
    /// What to be careful of in what was worked out (a measure still unbalanced after
    /// matching), in plain words.
    pub cautions: Vec<String>,
}

impl Evaluation {
    pub fn outcome(&self, kind: OutcomeKind) -> Option<&Outcome> {
        self.outcomes.iter().find(|o| o.kind == kind)
    }

    pub fn evaluated(&self) -> RawCount {
        RawCount::new(self.counts.evaluated)
    }
}

/// Rates a year in `[from, to)` over the days registered in it (what was recorded while they
/// were registered elsewhere, or after they left, is not theirs to count here).
fn rates(person: &PanelPerson, from: i32, to: i32) -> [f64; 2] {
    let years = person.observed(from, to).max(1) as f64 / YEAR;
    let (from, to) = (
        from.max(person.registered_from),
        person.registered_until.map_or(to, |u| u.min(to)),
    );
    [
        between(&person.gp, from, to) as f64 / years,
        between(&person.ae, from, to) as f64 / years,
    ]
}

/// Everyone's measures in the window before the middle of the data: the scale distances are
/// measured in, the same whichever connections are evaluated (so a person has the same
/// comparison people in the whole evaluation and in their offer's).
fn population(panel: &Panel, settings: &Settings) -> Vec<Covariates> {
    let middle = panel.data_from + (panel.data_to - panel.data_from) / 2;
    panel
        .people
        .iter()
        .filter_map(|p| before(p, middle, settings))
        .collect()
}

fn spread(xs: &[Covariates]) -> Spread {
    let mut out = [1.0; 3];
    for (j, s) in out.iter_mut().enumerate() {
        let n = xs.len() as f64;
        let mean = xs.iter().map(|x| x[j]).sum::<f64>() / n;
        let var = xs.iter().map(|x| (x[j] - mean).powi(2)).sum::<f64>() / n;
        if var.is_finite() && var > 1e-12 {
            *s = var.sqrt();
        }
    }
    out
}

/// Evaluates the connections (one per person; the earliest is kept) against people never
/// connected (`ever_connected` marks everyone connected to anything, in or out of scope).
pub fn evaluate(
    panel: &Panel,
    connections: &[Connection],
    ever_connected: &[bool],
    settings: &Settings,
) -> Evaluation {
    Evaluator::new(panel, ever_connected, settings).run(connections)
}

/// The candidates and the scale of distances, made once for a panel and used for every group of
/// connections evaluated on it (the whole, each offer, each practice, each route).
pub struct Evaluator<'a> {
    panel: &'a Panel,
    settings: &'a Settings,
    candidates: Candidates,
    spread: Spread,
}

impl<'a> Evaluator<'a> {
    pub fn new(panel: &'a Panel, ever_connected: &[bool], settings: &'a Settings) -> Self {
        Self {
            panel,
            settings,
            candidates: Candidates::new(panel, ever_connected),
            spread: spread(&population(panel, settings)),
        }
    }

    /// Evaluates one group of connections.
    pub fn run(&self, connections: &[Connection]) -> Evaluation {
        run(self, connections)
    }
}

fn run(ev: &Evaluator<'_>, connections: &[Connection]) -> Evaluation {
    let (panel, settings) = (ev.panel, ev.settings);
    let mut counts = Counts::default();
    let mut first: HashMap<usize, i32> = HashMap::new();
    for c in connections {
        match c.person.filter(|p| *p < panel.people.len()) {
            None => counts.connected += 1,
            Some(p) => {
                let on = first.entry(p).or_insert(c.on);
                *on = (*on).min(c.on);
            }
        }
    }
    counts.connected += first.len() as u64;
    counts.linkable = first.len() as u64;
    let mut people: Vec<(usize, i32)> = first.into_iter().collect();
    people.sort_unstable();

    // Who can be evaluated at all, and their measures before.
    let mut ready: Vec<(usize, i32, Covariates)> = Vec::new();
    for (p, on) in people {
        let person = &panel.people[p];
        // Their practice's data, which may begin later or end sooner than the others'.
        let (data_from, data_to) = panel.span(person.practice);
        if !person.registered_on(on) {
            counts.not_registered += 1;
        } else if on - settings.before_days < data_from {
            counts.history_short += 1;
        } else if on + settings.after_days - 1 > data_to {
            counts.follow_up_incomplete += 1;
        } else if person.observed(on, on + settings.after_days) < settings.min_observed_days {
            counts.left_early += 1;
        } else if let Some(x) = before(person, on, settings) {
            ready.push((p, on, x));
        } else {
            counts.history_short += 1;
        }
    }
    let mut out = Evaluation::default();
    if ready.is_empty() {
        out.counts = counts;
        out.not_computed.push(nobody(&counts, settings));
        return out;
    }
    let (candidates, spread) = (&ev.candidates, &ev.spread);

    // Matching: each connected person is independent, so the work is shared between cores.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = ready.len().div_ceil(threads).max(1);
    let found: Vec<(Pool, Vec<usize>)> = std::thread::scope(|s| {
        let handles: Vec<_> = ready
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|(p, on, x)| {
                            comparisons(panel, candidates, *p, *on, x, spread, settings)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });

    let mut pools = Vec::new();
    let mut used = HashSet::new();
    for ((p, on, x), (pool, chosen)) in ready.iter().zip(found) {
        if chosen.is_empty() {
            counts.unmatched += 1;
            continue;
        }
        let person = &panel.people[*p];
        let to = on + settings.after_days;
        let unit = Unit {
            person: *p,
            on: *on,
            before: rates(person, on - settings.before_days, *on),
            after: rates(person, *on, to),
            comparisons: chosen
                .iter()
                .map(|&c| {
                    used.insert(c);
                    let them = &panel.people[c];
                    (
                        c,
                        rates(them, on - settings.before_days, *on),
                        rates(them, *on, to),
                    )
                })
                .collect(),
            censored: person.observed(*on, to) < settings.after_days,
        };
        counts.censored += unit.censored as u64;
        pools.push((*x, pool));
        out.units.push(unit);
    }
    counts.evaluated = out.units.len() as u64;
    counts.comparison_people = used.len() as u64;
    out.counts = counts;
    if out.units.is_empty() {
        out.not_computed.push(nobody(&counts, settings));
        return out;
    }
    (out.outcomes, out.draws) = outcomes(&out.units, settings);
    out.frequent = Some(frequent(&out.units, settings));
    out.balance = balance(panel, &out.units, &pools, settings);
    out.cautions = out
        .balance
        .iter()
        .filter(|b| b.difference_after.abs() > BALANCED)
        .map(|b| {
            format!(
                "After matching, the comparison people still differ from the connected people in {} by more than a tenth of a standard deviation: the estimates may carry some of that difference.",
                in_a_sentence(b.measure)
            )
        })
        .collect();
    out.months = months(panel, &out.units, settings);
    out
}

/// Why no estimate could be made, in words.
fn nobody(counts: &Counts, settings: &Settings) -> String {
    if counts.connected == 0 {
        return "No one has been connected in what was chosen, so there is nothing to evaluate."
            .into();
    }
    // No numbers here: the counts are shown beside it, disclosed for their audience.
    let mut why = Vec::new();
    let mut say = |n: u64, what: String| {
        if n > 0 {
            why.push(format!("some {what}"));
        }
    };
    say(
        counts.connected - counts.linkable,
        "cannot be linked to the appointment data (no NHS number recorded, or not in the data)"
            .into(),
    );
    say(
        counts.not_registered,
        "were not registered at a practice in the data on the day they were connected".into(),
    );
    say(
        counts.history_short,
        format!(
            "have less than {} days of history before their connection in the data",
            settings.min_observed_days
        ),
    );
    say(
        counts.follow_up_incomplete,
        format!(
            "were connected less than {} days before the data ends, so their follow-up is not complete",
            settings.after_days
        ),
    );
    say(
        counts.left_early,
        format!(
            "moved away or died within {} days of being connected",
            settings.min_observed_days
        ),
    );
    say(
        counts.unmatched,
        "had no one comparable who was never connected".into(),
    );
    format!(
        "No estimate: none of the people connected could be evaluated — {}.",
        why.join("; ")
    )
}

/// The 2.5th and 97.5th percentiles (linear between order statistics).
pub(crate) fn interval(mut xs: Vec<f64>) -> Option<(f64, f64)> {
    if xs.is_empty() || xs.iter().any(|x| !x.is_finite()) {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let h = (xs.len() - 1) as f64 * q;
        let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
        xs[lo] + (xs[hi] - xs[lo]) * (h - lo as f64)
    };
    Some((at(0.025), at(0.975)))
}

fn outcomes(units: &[Unit], settings: &Settings) -> (Vec<Outcome>, Vec<[f64; 2]>) {
    let n = units.len();
    let mean = |f: &dyn Fn(&Unit) -> f64| units.iter().map(f).sum::<f64>() / n as f64;
    // The bootstrap resamples people: the connected people, and apart from them the comparison
    // people, each with everything they stand for (one person may stand in for several
    // connected people, at several index dates: resampling them as one keeps that together).
    let treated: Vec<[[f64; 2]; 2]> = units
        .iter()
        .map(|u| [0, 1].map(|o| [u.change(o), u.after[o]]))
        .collect();
    let mut stand_ins: HashMap<usize, (f64, [f64; 2])> = HashMap::new();
    for u in units {
        let w = 1.0 / u.comparisons.len() as f64;
        for (c, before, after) in &u.comparisons {
            let s = stand_ins.entry(*c).or_insert((0.0, [0.0; 2]));
            s.0 += w;
            for o in 0..2 {
                s.1[o] += w * (after[o] - before[o]);
            }
        }
    }
    let mut stand_ins: Vec<(usize, (f64, [f64; 2]))> = stand_ins.into_iter().collect();
    stand_ins.sort_unstable_by_key(|s| s.0);
    let m = stand_ins.len();
    let mut rng = StdRng::seed_from_u64(settings.seed);
    let resamples = settings.resamples.max(1);
    // Per resample and outcome: the connected people's mean change, the comparison people's
    // (weighted) mean change, the connected people's mean after.
    let mut draws: Vec<[[f64; 3]; 2]> = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        let mut t = [[0.0; 2]; 2];
        for _ in 0..n {
            let u = &treated[rng.gen_range(0..n)];
            for o in 0..2 {
                t[o][0] += u[o][0];
                t[o][1] += u[o][1];
            }
        }
        let (mut weight, mut change) = (0.0, [0.0; 2]);
        for _ in 0..m {
            let (_, (w, c)) = &stand_ins[rng.gen_range(0..m)];
            weight += w;
            change[0] += c[0];
            change[1] += c[1];
        }
        draws.push([0, 1].map(|o| [t[o][0] / n as f64, change[o] / weight, t[o][1] / n as f64]));
    }
    let dids = draws
        .iter()
        .map(|d| [0, 1].map(|o| d[o][0] - d[o][1]))
        .collect();
    let outcomes = OutcomeKind::ALL
        .iter()
        .enumerate()
        .map(|(o, &kind)| {
            let naive_value = mean(&|u| u.change(o));
            let did_value = naive_value - mean(&|u| u.comparison(|c| c.1[o] - c.0[o]));
            let after = mean(&|u| u.after[o]);
            // Means of finite rates: always an interval (NaN would show, not hide, a fault).
            let nan = (f64::NAN, f64::NAN);
            let naive = interval(draws.iter().map(|d| d[o][0]).collect()).unwrap_or(nan);
            let did = interval(draws.iter().map(|d| d[o][0] - d[o][1]).collect()).unwrap_or(nan);
            // Without the connection they would have had (after − effect).
            let share = |effect: f64, after: f64| {
                let untreated = after - effect;
                (untreated > 0.0).then(|| effect / untreated)
            };
            let relative = share(did_value, after).and_then(|value| {
                let all: Option<Vec<f64>> = draws
                    .iter()
                    .map(|d| share(d[o][0] - d[o][1], d[o][2]))
                    .collect();
                let (low, high) = interval(all?)?;
                Some(Estimate { value, low, high })
            });
            Outcome {
                kind,
                connected_before: mean(&|u| u.before[o]),
                connected_after: after,
                comparison_before: mean(&|u| u.comparison(|c| c.0[o])),
                comparison_after: mean(&|u| u.comparison(|c| c.1[o])),
                naive: Estimate {
                    value: naive_value,
                    low: naive.0,
                    high: naive.1,
                },
                did: Estimate {
                    value: did_value,
                    low: did.0,
                    high: did.1,
                },
                relative,
            }
        })
        .collect();
    (outcomes, dids)
}

fn frequent(units: &[Unit], settings: &Settings) -> FrequentAttenders {
    let t = settings.frequent_per_year;
    let n = units.len() as f64;
    let is = |x: f64| (x >= t) as u64 as f64;
    FrequentAttenders {
        per_year: t,
        connected_before: units.iter().filter(|u| u.before[0] >= t).count() as u64,
        connected_after: units.iter().filter(|u| u.after[0] >= t).count() as u64,
        comparison_before: units
            .iter()
            .map(|u| u.comparison(|c| is(c.0[0])))
            .sum::<f64>()
            / n,
        comparison_after: units
            .iter()
            .map(|u| u.comparison(|c| is(c.1[0])))
            .sum::<f64>()
            / n,
    }
}

/// Every measure matched on (practice and sex are matched exactly, so they balance by
/// construction).
const MEASURES: [&str; 4] = [
    "GP appointments a year before",
    "A&E attendances a year before",
    "Conditions recorded before",
    "Age",
];

/// A measure's name inside a sentence: "Conditions recorded before" becomes "conditions
/// recorded before", while "GP appointments" and "A&E attendances" keep their capitals.
fn in_a_sentence(measure: &str) -> String {
    let mut chars = measure.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if second.is_lowercase() => first
            .to_lowercase()
            .chain(measure[first.len_utf8()..].chars())
            .collect(),
        _ => measure.to_owned(),
    }
}

/// A standardised difference after matching within this is balanced (the usual rule of thumb);
/// beyond it, the report says so.
pub const BALANCED: f64 = 0.1;

fn balance(
    panel: &Panel,
    units: &[Unit],
    pools: &[(Covariates, Pool)],
    settings: &Settings,
) -> Vec<Balance> {
    let n = units.len() as f64;
    let matched: Vec<Covariates> = units
        .iter()
        .map(|u| {
            let mut m = [0.0; 4];
            for (c, _, _) in &u.comparisons {
                if let Some(x) = before(&panel.people[*c], u.on, settings) {
                    for j in 0..4 {
                        m[j] += x[j] / u.comparisons.len() as f64;
                    }
                }
            }
            m
        })
        .collect();
    (0..4)
        .map(|j| {
            let connected = pools.iter().map(|p| p.0[j]).sum::<f64>() / n;
            let var_t = pools
                .iter()
                .map(|p| (p.0[j] - connected).powi(2))
                .sum::<f64>()
                / n;
            // The candidates: each connected person's pool, weighted alike.
            let with: Vec<&Pool> = pools.iter().map(|p| &p.1).filter(|p| p.n > 0).collect();
            let k = with.len().max(1) as f64;
            let candidates = with.iter().map(|p| p.sum[j] / p.n as f64).sum::<f64>() / k;
            let second = with.iter().map(|p| p.sum_sq[j] / p.n as f64).sum::<f64>() / k;
            let var_c = (second - candidates * candidates).max(0.0);
            let scale = ((var_t + var_c) / 2.0).sqrt();
            // Alike within each group but apart between them: a whole standard deviation, so
            // that it is not taken for balance.
            let std = |d: f64| match (scale > 1e-12, d.abs() > 1e-12) {
                (true, _) => d / scale,
                (false, true) => d.signum(),
                (false, false) => 0.0,
            };
            let matched_mean = matched.iter().map(|m| m[j]).sum::<f64>() / n;
            Balance {
                measure: MEASURES[j],
                connected,
                candidates,
                matched: matched_mean,
                difference_before: std(connected - candidates),
                difference_after: std(connected - matched_mean),
            }
        })
        .collect()
}

fn months(panel: &Panel, units: &[Unit], settings: &Settings) -> Vec<Month> {
    let month = YEAR / 12.0;
    let before = (settings.before_days as f64 / month).round() as i32;
    let after = (settings.after_days as f64 / month).round() as i32;
    (-before..after)
        .map(|m| {
            let span = |on: i32| {
                (
                    on + (m as f64 * month).floor() as i32,
                    on + ((m + 1) as f64 * month).floor() as i32,
                )
            };
            // [count, exposure days] for GP and A&E, connected then comparison.
            let mut acc = [[0.0f64; 2]; 4];
            for u in units {
                let (from, to) = span(u.on);
                let add = |acc: &mut [[f64; 2]; 4], at: usize, p: &PanelPerson, w: f64| {
                    let days = p.observed(from, to) as f64;
                    acc[at][0] += w * between(&p.gp, from, to) as f64;
                    acc[at][1] += w * days;
                    acc[at + 1][0] += w * between(&p.ae, from, to) as f64;
                    acc[at + 1][1] += w * days;
                };
                add(&mut acc, 0, &panel.people[u.person], 1.0);
                let w = 1.0 / u.comparisons.len() as f64;
                for (c, _, _) in &u.comparisons {
                    add(&mut acc, 2, &panel.people[*c], w);
                }
            }
            let rate = |a: [f64; 2]| if a[1] > 0.0 { a[0] / a[1] * month } else { 0.0 };
            Month {
                offset: m,
                connected_gp: rate(acc[0]),
                connected_ae: rate(acc[1]),
                comparison_gp: rate(acc[2]),
                comparison_ae: rate(acc[3]),
            }
        })
        .collect()
}
