//! Finding comparison people: never connected, like the connected person on the day they were
//! connected.

use super::panel::{between, Panel, PanelPerson};
use super::settings::{Method, Settings, YEAR};
use crate::profile::AGE_BANDS;
use std::collections::HashMap;

/// A&E attendances in the window before, as matched exactly: none, one, two or more.
pub(crate) fn ae_band(count: usize) -> usize {
    count.min(2)
}

/// The measures matched on, in the window before a day: GP appointments a year, A&E
/// attendances a year, conditions recorded before the day, age.
pub(crate) type Covariates = [f64; 4];

/// What someone looked like in the window before `on`, if they can stand in the evaluation on
/// that day: registered that day, and for at least the minimum of the window before.
pub(crate) fn before(person: &PanelPerson, on: i32, settings: &Settings) -> Option<Covariates> {
    if !person.registered_on(on) {
        return None;
    }
    let from = on - settings.before_days;
    let observed = person.observed(from, on);
    if observed < settings.min_observed_days {
        return None;
    }
    let years = observed as f64 / YEAR;
    Some([
        between(&person.gp, from, on) as f64 / years,
        between(&person.ae, from, on) as f64 / years,
        person.conditions_before(on) as f64,
        person.age_on(on) as f64,
    ])
}

/// One practice and sex's people never connected, in order of birth, laid out side by side
/// (their days one after another) so that scanning an age band reads memory in order: the
/// matching reads every candidate of a band for every connected person.
#[derive(Default)]
struct Cell {
    person: Vec<usize>,
    birth_month: Vec<i32>,
    from: Vec<i32>,
    /// First day not registered; `i32::MAX` while registered.
    until: Vec<i32>,
    /// Days conditions were first recorded, each person's after the last's.
    cond_at: Vec<usize>,
    cond: Vec<i32>,
    gp_at: Vec<usize>,
    gp: Vec<i32>,
    ae_at: Vec<usize>,
    ae: Vec<i32>,
}

/// The candidates: people never connected, by practice and sex.
pub(crate) struct Candidates {
    cells: HashMap<(u16, u8), Cell>,
}

impl Candidates {
    pub fn new(panel: &Panel, ever_connected: &[bool]) -> Self {
        let mut members: HashMap<(u16, u8), Vec<usize>> = HashMap::new();
        for (i, p) in panel.people.iter().enumerate() {
            if !ever_connected.get(i).copied().unwrap_or(false) {
                members.entry((p.practice, p.sex)).or_default().push(i);
            }
        }
        let cells = members
            .into_iter()
            .map(|(key, mut v)| {
                v.sort_by_key(|&i| (panel.people[i].birth_month, i));
                let mut cell = Cell {
                    cond_at: vec![0],
                    gp_at: vec![0],
                    ae_at: vec![0],
                    ..Cell::default()
                };
                for i in v {
                    let p = &panel.people[i];
                    cell.person.push(i);
                    cell.birth_month.push(p.birth_month);
                    cell.from.push(p.registered_from);
                    cell.until.push(p.registered_until.unwrap_or(i32::MAX));
                    cell.cond.extend_from_slice(&p.conditions);
                    cell.cond_at.push(cell.cond.len());
                    cell.gp.extend_from_slice(&p.gp);
                    cell.gp_at.push(cell.gp.len());
                    cell.ae.extend_from_slice(&p.ae);
                    cell.ae_at.push(cell.ae.len());
                }
                (key, cell)
            })
            .collect();
        Self { cells }
    }
}

/// Sums over the eligible candidates of one connected person (before matching), for balance.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Pool {
    pub n: usize,
    pub sum: Covariates,
    pub sum_sq: Covariates,
}

/// The connected people's spread of each matched measure, so that a distance weighs them alike.
pub(crate) type Spread = [f64; 3];

fn mix(a: u64) -> u64 {
    let mut z = a.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The comparison people for the connected person `who`, connected on `on` with `covariates`
/// before: the eligible candidates' sums, and the chosen ones (nearest first). Ties are broken
/// by a hash of the pair, so that no one is always chosen first among equals.
#[allow(clippy::too_many_arguments)]
pub(crate) fn comparisons(
    panel: &Panel,
    candidates: &Candidates,
    who: usize,
    on: i32,
    covariates: &Covariates,
    spread: &Spread,
    settings: &Settings,
) -> (Pool, Vec<usize>) {
    let Method::NearestNeighbour { k, caliper } = settings.method;
    let k = k.max(1);
    let me = &panel.people[who];
    let age = covariates[3] as i32;
    let mut pool = Pool::default();
    let Some(cell) = candidates.cells.get(&(me.practice, me.sex)) else {
        return (pool, Vec::new());
    };
    let Some(&(_, lo, hi)) = AGE_BANDS
        .iter()
        .find(|(_, lo, hi)| (*lo..=*hi).contains(&age))
    else {
        return (pool, Vec::new());
    };
    // Born in these months ⇔ in the age band on the day.
    let month_of = |d: i32| {
        let (y, m, _) = time::Date::from_julian_day(d)
            .map(|d| d.to_calendar_date())
            .unwrap_or((1970, time::Month::January, 1));
        y * 12 + m as i32 - 1
    };
    let now = month_of(on);
    let (first, last) = (now - 12 * hi - 11, now - 12 * lo);
    let start = cell.birth_month.partition_point(|&b| b < first);
    let end = cell.birth_month.partition_point(|&b| b <= last);
    let (window, follow) = (on - settings.before_days, on + settings.after_days);
    let min = settings.min_observed_days;
    let band = ae_band(between(&me.ae, window, on));
    let mut best: Vec<(f64, u64, usize)> = Vec::with_capacity(k + 1);
    for j in start..end {
        // What `before` and `PanelPerson::observed` say, read from the cell's columns.
        let (from, until) = (cell.from[j], cell.until[j]);
        if from > on || until <= on || until.min(follow) - on < min {
            continue;
        }
        let observed = on - from.max(window);
        if observed < min {
            continue;
        }
        let years = observed as f64 / YEAR;
        let ae = between(&cell.ae[cell.ae_at[j]..cell.ae_at[j + 1]], window, on);
        let x = [
            between(&cell.gp[cell.gp_at[j]..cell.gp_at[j + 1]], window, on) as f64 / years,
            ae as f64 / years,
            cell.cond[cell.cond_at[j]..cell.cond_at[j + 1]].partition_point(|d| *d < on) as f64,
            (now - cell.birth_month[j]).div_euclid(12) as f64,
        ];
        pool.n += 1;
        for (i, v) in x.iter().enumerate() {
            pool.sum[i] += v;
            pool.sum_sq[i] += v * v;
        }
        let gp = (x[0] - covariates[0]).abs() / spread[0];
        if gp > caliper || ae_band(ae) != band {
            continue;
        }
        let d = gp
            + (x[1] - covariates[1]).abs() / spread[1]
            + (x[2] - covariates[2]).abs() / spread[2];
        let c = cell.person[j];
        let tie = mix((c as u64) ^ ((who as u64) << 32));
        if best.len() == k {
            let worst = best[k - 1];
            if (d, tie) >= (worst.0, worst.1) {
                continue;
            }
            best.pop();
        }
        let at = best.partition_point(|b| (b.0, b.1) < (d, tie));
        best.insert(at, (d, tie, c));
    }
    (pool, best.into_iter().map(|b| b.2).collect())
}
