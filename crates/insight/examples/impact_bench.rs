//! The impact evaluation at scale (docs/performance.md): about 10,000 connected people against
//! about 1,000,000 people never connected, with 1,000 bootstrap resamples. The panel is built in
//! memory from the generator (two seeds, since the never-issued NHS number range holds 909,091
//! people), with connections planted among people with a busy year; what is timed is the
//! evaluation itself — matching, the estimates and the bootstrap — which is what grows with the
//! connected people and the candidates. Run by `bash bench/impact.sh`.

// Tests and examples stop at the first surprise, with its message: unwrap and expect are how.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;
use together_generate::{people, Params, Plant};
use together_insight::impact::{
    condition_days, day, evaluate, Connection, OutcomeKind, Panel, PanelPerson, Settings,
};

fn peak_mb() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_owned())
        })
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or_else(|| "?".into(), |kb| format!("{:.0} MB", kb / 1024.0))
}

fn main() {
    let arg = |i: usize, default: u64| {
        std::env::args()
            .nth(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or(default)
    };
    let total = arg(1, 1_010_000);
    let connected_target = arg(2, 10_000);
    let resamples = arg(3, 1000) as usize;
    let seeds = total.div_ceil(together_generate::MAX_PEOPLE);
    let each = total.div_ceil(seeds);
    // About one person in nine has a busy enough year to be chosen.
    let share = (connected_target as f64 / (total as f64 * 0.11)).min(1.0);
    let started = Instant::now();
    let mut panel = Panel::default();
    let mut connections = Vec::new();
    for seed in 1..=seeds {
        let params = Params {
            patients: each,
            practices: 3,
            years: 3,
            end_year: 2025,
            seed,
            plant: Some(Plant {
                effect: -0.2,
                ae_effect: -0.2,
                share,
            }),
        };
        panel.data_from = day(params.period_start());
        panel.data_to = day(params.period_end());
        for p in people(&params).expect("valid parameters") {
            let practice = p.ods_code[1..].parse::<u16>().unwrap_or(0);
            let attended = |s: &str| matches!(s, "Finished" | "Arrived" | "Patient Walked Out");
            if let Some(c) = &p.connected {
                connections.push(Connection {
                    person: Some(panel.people.len()),
                    on: day(c.connected_on),
                });
            }
            panel.people.push(PanelPerson {
                practice,
                sex: (p.sex == "M") as u8,
                birth_month: p.date_of_birth.year() * 12 + p.date_of_birth.month() as i32 - 1,
                conditions: condition_days(&p.conditions),
                registered_from: day(p.registered_from),
                registered_until: p.registered_to.map(|d| day(d) + 1),
                gp: p
                    .appointments
                    .iter()
                    .filter(|a| attended(a.status))
                    .map(|a| day(a.starts_at.date()))
                    .collect(),
                ae: p.ae.iter().map(|a| day(a.0.date())).collect(),
            });
        }
    }
    let mut ever = vec![false; panel.people.len()];
    for c in &connections {
        if let Some(p) = c.person {
            ever[p] = true;
        }
    }
    println!(
        "panel: {} people ({} connected, {} candidates), built in {:.1} s",
        panel.people.len(),
        connections.len(),
        panel.people.len() - connections.len(),
        started.elapsed().as_secs_f64()
    );
    let settings = Settings {
        resamples,
        ..Settings::default()
    };
    let t = Instant::now();
    let e = evaluate(&panel, &connections, &ever, &settings);
    let took = t.elapsed().as_secs_f64();
    let gp = e.outcome(OutcomeKind::GpAppointments);
    println!(
        "evaluation: {:.2} s for {} evaluated against {} comparison people, {resamples} resamples; peak memory {}",
        took,
        e.counts.evaluated,
        e.counts.comparison_people,
        peak_mb()
    );
    if let Some(o) = gp {
        println!(
            "GP appointments a person a year: naive {:.2}, difference in differences {:.2} [{:.2}, {:.2}]",
            o.naive.value, o.did.value, o.did.low, o.did.high
        );
    }
    println!(
        "machine: {} cores; {}",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(
                |c| c.lines().find(|l| l.starts_with("model name")).map(|l| l
                    .split(':')
                    .nth(1)
                    .unwrap_or("")
                    .trim()
                    .to_owned())
            )
            .unwrap_or_default()
    );
}
