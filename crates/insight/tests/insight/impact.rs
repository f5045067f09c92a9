//! The generator as oracle: connections planted with a known effect among people chosen for a
//! busy year, so that regression to the mean is there too; the evaluation must recover the
//! effect, and the naive before-and-after must be seen to overstate it.

use std::collections::HashMap;
use together_generate::{people, Appointment, Params, Plant};
use together_insight::impact::{
    condition_days, day, evaluate, Connection, Evaluation, OutcomeKind, Panel, PanelPerson,
    Settings,
};

/// The committed list of seeds the oracle runs over.
const SEEDS: [u64; 50] = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
    27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50,
];

/// A generated neighbourhood as the evaluation reads it, twice: as it happened (with the
/// planted effect) and as it would have been without the connections (the untreated truth).
struct Oracle {
    treated: Panel,
    untreated: Panel,
    connections: Vec<Connection>,
    ever: Vec<bool>,
}

fn attended(a: &Appointment) -> bool {
    matches!(a.status, "Finished" | "Arrived" | "Patient Walked Out")
}

fn oracle(patients: u64, seed: u64, effect: f64, share: f64) -> Oracle {
    oracle_of(patients, seed, [effect, effect], share)
}

/// The oracle with its own planted effects on GP appointments and on A&E attendances.
fn oracle_of(patients: u64, seed: u64, [effect, ae_effect]: [f64; 2], share: f64) -> Oracle {
    let params = Params {
        patients,
        practices: 2,
        years: 3,
        end_year: 2025,
        seed,
        plant: Some(Plant {
            effect,
            ae_effect,
            share,
        }),
    };
    let mut practices: HashMap<String, u16> = HashMap::new();
    let (mut treated, mut untreated) = (Panel::default(), Panel::default());
    for panel in [&mut treated, &mut untreated] {
        panel.data_from = day(params.period_start());
        panel.data_to = day(params.period_end());
    }
    let (mut connections, mut ever) = (Vec::new(), Vec::new());
    for p in people(&params).unwrap() {
        let n = practices.len() as u16;
        let practice = *practices.entry(p.ods_code.clone()).or_insert(n);
        let days = |appointments: &[Appointment], ae: &[(time::PrimitiveDateTime, &str)]| {
            let gp: Vec<i32> = appointments
                .iter()
                .filter(|a| attended(a))
                .map(|a| day(a.starts_at.date()))
                .collect();
            (gp, ae.iter().map(|a| day(a.0.date())).collect::<Vec<i32>>())
        };
        let person = |(gp, ae): (Vec<i32>, Vec<i32>)| PanelPerson {
            practice,
            sex: (p.sex == "M") as u8,
            birth_month: p.date_of_birth.year() * 12 + p.date_of_birth.month() as i32 - 1,
            conditions: condition_days(&p.conditions),
            registered_from: day(p.registered_from),
            registered_until: p.registered_to.map(|d| day(d) + 1),
            gp,
            ae,
        };
        let actual = person(days(&p.appointments, &p.ae));
        let truth = match &p.connected {
            Some(c) => {
                connections.push(Connection {
                    person: Some(treated.people.len()),
                    on: day(c.connected_on),
                });
                person(days(&c.untreated_appointments, &c.untreated_ae))
            }
            None => actual.clone(),
        };
        ever.push(p.connected.is_some());
        treated.people.push(actual);
        untreated.people.push(truth);
    }
    Oracle {
        treated,
        untreated,
        connections,
        ever,
    }
}

/// The true effect on the evaluated people (a person a year) on one outcome (0: GP
/// appointments, 1: A&E attendances): what they had in the window after, as it happened, less
/// what they would have had.
fn truth(oracle: &Oracle, e: &Evaluation, settings: &Settings, outcome: usize) -> f64 {
    let rate = |p: &PanelPerson, from: i32, to: i32| {
        let to = p.registered_until.map_or(to, |u| u.min(to));
        let days = if outcome == 0 { &p.gp } else { &p.ae };
        let n = days.iter().filter(|d| (from..to).contains(*d)).count() as f64;
        n / ((to - from) as f64 / 365.25)
    };
    e.units
        .iter()
        .map(|u| {
            let to = u.on + settings.after_days;
            rate(&oracle.treated.people[u.person], u.on, to)
                - rate(&oracle.untreated.people[u.person], u.on, to)
        })
        .sum::<f64>()
        / e.units.len() as f64
}

/// The effects planted over the committed seeds, GP appointments then A&E attendances: a fall
/// of a fifth in GP appointments throughout; in A&E attendances a rise of 30% in odd seeds and
/// a fall of 40% in even ones — different sizes and signs, so that each outcome is checked on
/// its own.
fn planted_effects(seed: u64) -> [f64; 2] {
    [-0.2, if seed % 2 == 1 { 0.3 } else { -0.4 }]
}

/// Over 50 seeds of about 5,000 people, for GP appointments and for A&E attendances each: the
/// 95% interval of the difference in differences covers the planted effect in at least 45;
/// with nothing planted (the same people and connections, untreated) it excludes zero in at
/// most 4; and the naive before-and-after always claims a bigger fall in GP appointments than
/// the truth — on average at least 1.8 times the true fall (the stated margins,
/// docs/impact.md).
#[test]
fn the_evaluation_recovers_a_planted_effect_that_the_naive_figure_overstates() {
    let settings = Settings {
        resamples: 200,
        ..Settings::default()
    };
    let mut covered = [0; 2];
    let mut excluded_zero = [0; 2];
    let mut overstated = 0;
    let (mut naive_sum, mut truth_sum) = (0.0, 0.0);
    for seed in SEEDS {
        let o = oracle_of(5000, seed, planted_effects(seed), 0.5);
        let planted = evaluate(&o.treated, &o.connections, &o.ever, &settings);
        let none = evaluate(&o.untreated, &o.connections, &o.ever, &settings);
        let mut line = format!("seed {seed}: {} evaluated", planted.counts.evaluated);
        for (i, kind) in OutcomeKind::ALL.into_iter().enumerate() {
            let found = planted.outcome(kind).unwrap();
            let true_effect = truth(&o, &planted, &settings, i);
            covered[i] += found.did.covers(true_effect) as u32;
            let null = none.outcome(kind).unwrap();
            excluded_zero[i] += !null.did.covers(0.0) as u32;
            line += &format!(
                "; {}: truth {true_effect:.3}, did {:.3} [{:.3}, {:.3}], naive {:.3}, untreated did {:.3} [{:.3}, {:.3}]",
                kind.label(), found.did.value, found.did.low, found.did.high, found.naive.value,
                null.did.value, null.did.low, null.did.high
            );
            if kind == OutcomeKind::GpAppointments {
                assert!(true_effect < 0.0);
                overstated += (found.naive.value < true_effect) as u32;
                naive_sum += found.naive.value;
                truth_sum += true_effect;
            }
        }
        println!("{line}");
    }
    println!(
        "covered {covered:?}/50, zero excluded with nothing planted {excluded_zero:?}/50, naive overstated {overstated}/50; mean naive {:.2} vs truth {:.2}",
        naive_sum / 50.0,
        truth_sum / 50.0
    );
    for (i, kind) in OutcomeKind::ALL.into_iter().enumerate() {
        assert!(
            covered[i] >= 45,
            "{}: the interval covered the planted effect in {} of 50",
            kind.label(),
            covered[i]
        );
        assert!(
            excluded_zero[i] <= 4,
            "{}: with no effect, the interval excluded zero in {} of 50",
            kind.label(),
            excluded_zero[i]
        );
    }
    assert_eq!(
        overstated, 50,
        "the naive figure overstates the fall in every seed"
    );
    assert!(
        naive_sum < 1.8 * truth_sum,
        "naive {naive_sum} vs truth {truth_sum}"
    );
}

/// Matching makes the comparison people like the connected people where it matters: before
/// matching, the candidates attended far less (they were not chosen for a busy year); after,
/// the standardised difference in GP appointments before is small.
#[test]
fn matching_balances_the_attendance_before() {
    let o = oracle(5000, 3, 0.0, 0.5);
    let e = evaluate(&o.treated, &o.connections, &o.ever, &Settings::default());
    let gp = &e.balance[0];
    assert_eq!(gp.measure, "GP appointments a year before");
    assert!(gp.difference_before > 0.8, "{gp:?}");
    assert!(gp.difference_after.abs() < 0.1, "{gp:?}");
    assert!(
        gp.candidates < gp.matched && gp.matched <= gp.connected + 0.5,
        "{gp:?}"
    );
    // Every measure matched on is balanced after matching, A&E attendances too (most people
    // have none: nearest alone left them unbalanced), so the report gives no caution.
    for b in &e.balance {
        assert!(b.difference_after.abs() < 0.1, "{b:?}");
    }
    assert!(e.cautions.is_empty(), "{:?}", e.cautions);
    let c = e.counts;
    assert_eq!(
        c.connected,
        c.not_registered
            + c.history_short
            + c.follow_up_incomplete
            + c.left_early
            + c.unmatched
            + c.evaluated,
        "everyone connected is accounted for: {c:?}"
    );
    assert!(
        c.evaluated > 150 && c.censored > 0 && c.comparison_people > c.evaluated,
        "{c:?}"
    );
    let months = &e.months;
    assert_eq!(months.len(), 24);
    assert_eq!((months[0].offset, months[23].offset), (-12, 11));
    // The month before the connection is the busiest for the connected people (they were chosen
    // for it), and their comparison people look alike in it.
    let before: f64 = months[..12].iter().map(|m| m.connected_gp).sum();
    let after: f64 = months[12..].iter().map(|m| m.connected_gp).sum();
    assert!(
        after < before,
        "regression to the mean: {before} then {after}"
    );
}

/// The difference in differences equals an ordinary least squares fit of the same panel —
/// one row per person and period (rate a year), a dummy for each person (each comparison place
/// its own, weighted 1/k as matched), a dummy for the period after, and connected × after —
/// solved by nalgebra, not by the evaluation's arithmetic.
#[test]
fn the_difference_in_differences_equals_a_least_squares_fit_with_person_and_period_dummies() {
    use nalgebra::{DMatrix, DVector};
    let o = oracle(1500, 31, -0.3, 1.0);
    let e = evaluate(
        &o.treated,
        &o.connections,
        &o.ever,
        &Settings {
            resamples: 10,
            ..Settings::default()
        },
    );
    // (weight, connected, before, after) per place.
    let mut places: Vec<(f64, bool, [f64; 2], [f64; 2])> = Vec::new();
    for u in &e.units {
        places.push((1.0, true, u.before, u.after));
        for (_, before, after) in &u.comparisons {
            places.push((1.0 / u.comparisons.len() as f64, false, *before, *after));
        }
    }
    let people = places.len();
    assert!(
        (100..2000).contains(&people),
        "a panel of a few hundred: {people} places"
    );
    for (o_index, kind) in [
        (0, OutcomeKind::GpAppointments),
        (1, OutcomeKind::AeAttendances),
    ] {
        let rows = 2 * people;
        let cols = people + 2;
        let mut x = DMatrix::<f64>::zeros(rows, cols);
        let mut y = DVector::<f64>::zeros(rows);
        for (i, (w, connected, before, after)) in places.iter().enumerate() {
            let s = w.sqrt();
            for (period, value) in [(0, before[o_index]), (1, after[o_index])] {
                let r = 2 * i + period;
                x[(r, i)] = s;
                x[(r, people)] = s * period as f64;
                x[(r, people + 1)] = s * (period as f64) * (*connected as u8 as f64);
                y[r] = s * value;
            }
        }
        let fit = x.svd(true, true).solve(&y, 1e-12).unwrap();
        let ols = fit[people + 1];
        let did = e.outcome(kind).unwrap().did.value;
        assert!(
            (ols - did).abs() < 1e-9,
            "{kind:?}: least squares {ols}, evaluation {did}"
        );
    }
}

/// The panel the evaluation reads from the imported Parquet (through DataFusion) is the panel
/// of the generated people themselves: the same registrations, the same counted appointment
/// days (London days of UTC instants), the same A&E days and conditions.
#[tokio::test]
async fn the_panel_read_from_the_imported_data_is_the_generated_neighbourhood() {
    let params = Params {
        patients: 400,
        practices: 2,
        years: 3,
        end_year: 2025,
        seed: 12,
        plant: Some(Plant {
            effect: -0.2,
            ae_effect: -0.2,
            share: 0.5,
        }),
    };
    let dir = tempfile::tempdir().unwrap();
    let store = together_store::testing::fresh_sqlite(dir.path())
        .await
        .unwrap();
    let w = super::world_of(store, &params).await;
    w.import_all(&together_formats::Dataset::ALL).await;
    let tables = together_insight::Tables::open(&w.store, w.data.path(), w.pcn)
        .await
        .unwrap();
    let practices: Vec<String> = w.practices.iter().map(|p| p.to_string()).collect();
    let rule = together_insight::profile::CountingRule::default();
    let (panel, places) = together_insight::impact::load(&tables, &practices, &rule)
        .await
        .unwrap();

    let expected = oracle(400, 12, -0.2, 0.5);
    let mut compared = 0;
    for (p, want) in people(&params).unwrap().zip(&expected.treated.people) {
        let pseudonym = w
            .key
            .pseudonymise(&p.nhs_number.parse().unwrap())
            .to_string();
        let Some(&i) = places.get(&pseudonym) else {
            assert!(
                p.opt_out,
                "only people with an opt-out are left out when pooled"
            );
            continue;
        };
        let got = &panel.people[i];
        assert_eq!(got.gp, want.gp, "GP days of {pseudonym}");
        assert_eq!(got.ae, want.ae);
        assert_eq!(got.conditions, want.conditions);
        assert_eq!(
            (got.registered_from, got.registered_until),
            (want.registered_from, want.registered_until)
        );
        assert_eq!(got.birth_month, want.birth_month);
        assert_eq!(
            got.age_on(day(time::macros::date!(2024 - 06 - 30))),
            want.age_on(day(time::macros::date!(2024 - 06 - 30)))
        );
        compared += 1;
    }
    assert!(compared > 350, "{compared}");
    assert!(
        panel.data_from >= day(params.period_start()) && panel.data_to <= day(params.period_end())
    );
    assert!(panel.data_to - panel.data_from > 3 * 360);
}

mod report {
    use super::*;
    use together_core::connections::Source;
    use together_core::disclosure::{Audience, Count};
    use together_core::impact::{CostCategory, UnitCosts};
    use together_core::wellbeing::{Answers, Occasion};
    use together_core::{ConnectionId, ProgrammeCostId, Pseudonym};
    use together_insight::impact::{assemble, Inputs};
    use together_insight::profile::CountingRule;
    use together_store::impact::{EvaluatedConnection, ProgrammeCost};
    use together_store::wellbeing::WellbeingRecord;

    fn pseudonym(i: usize) -> Pseudonym {
        Pseudonym::parse(&format!("{i:064x}")).unwrap()
    }

    /// The oracle's planted connections as the store would hand them over: two offers in turn,
    /// all from cohort invitations, plus one person with no NHS number.
    fn inputs(o: &Oracle) -> (HashMap<String, usize>, Inputs) {
        let places = (0..o.treated.people.len())
            .map(|i| (pseudonym(i).to_string(), i))
            .collect();
        let offers = ["Singing for the Brain", "Walking group"];
        let mut connections: Vec<EvaluatedConnection> = o
            .connections
            .iter()
            .enumerate()
            .map(|(n, c)| EvaluatedConnection {
                id: ConnectionId::new(),
                pseudonym: c.person.map(pseudonym),
                practice: "B99001".parse().unwrap(),
                made_on: time::Date::from_julian_day(c.on).unwrap(),
                source: Some(Source::CohortInvitation),
                offer: Some(offers[n % 2].to_owned()),
                went_along: true,
            })
            .collect();
        connections.push(EvaluatedConnection {
            pseudonym: None,
            source: Some(Source::Themselves),
            ..connections[0].clone()
        });
        let costs = vec![
            ProgrammeCost {
                id: ProgrammeCostId::new(),
                category: CostCategory::StaffTime,
                description: "Link worker".into(),
                from: time::macros::date!(2024 - 03 - 01),
                to: time::macros::date!(2024 - 08 - 31),
                pence: 2_000_000,
            },
            // Before anyone evaluated was connected: not this programme's cost.
            ProgrammeCost {
                id: ProgrammeCostId::new(),
                category: CostCategory::Venues,
                description: "Hall hire".into(),
                from: time::macros::date!(2021 - 01 - 01),
                to: time::macros::date!(2021 - 12 - 31),
                pence: 700_000,
            },
        ];
        (
            places,
            Inputs {
                connections,
                wellbeing: Vec::new(),
                costs,
                expenses: vec![
                    (time::macros::date!(2024 - 06 - 01), 50_000),
                    (time::macros::date!(2021 - 06 - 01), 9_000),
                ],
                hours: vec![
                    (time::macros::date!(2024 - 03 - 02), 240),
                    (time::macros::date!(2024 - 03 - 20), 360),
                    (time::macros::date!(2021 - 03 - 20), 600),
                ],
                hourly_pence: 1221,
                unit_costs: UnitCosts::default(),
                practice_names: [("B99001".to_owned(), "Quayside Surgery".to_owned())]
                    .into_iter()
                    .collect(),
            },
        )
    }

    #[test]
    fn the_report_values_the_fall_against_the_costs_and_says_what_it_cannot_work_out() {
        let o = oracle(5000, 7, -0.3, 0.5);
        let (places, mut inputs) = inputs(&o);
        let settings = Settings {
            resamples: 200,
            ..Settings::default()
        };
        let rule = CountingRule::default();
        let r = assemble(&o.treated, &places, &rule, &settings, &inputs);
        let c = r.overall.counts;
        assert_eq!(c.connected, o.connections.len() as u64 + 1);
        assert_eq!(
            c.linkable,
            o.connections.len() as u64,
            "the one without an NHS number is counted, not linked"
        );
        let gp = r.overall.outcome(OutcomeKind::GpAppointments).unwrap();
        assert!(
            gp.did.high < 0.0,
            "a planted fall of 30% is found: {:?}",
            gp.did
        );
        // The groups: each offer, the practice, and how they came (the unlinkable one apart).
        let names: Vec<(&str, &str)> = r.groups.iter().map(|g| (g.kind, g.name.as_str())).collect();
        assert_eq!(
            names,
            [
                ("Offer", "Singing for the Brain"),
                ("Offer", "Walking group"),
                ("Practice", "Quayside Surgery (B99001)"),
                ("How they came", "An invitation from the practice"),
                ("How they came", "They came forward themselves"),
            ]
        );
        let halves: u64 = r.groups[..2]
            .iter()
            .map(|g| g.evaluation.counts.evaluated)
            .sum();
        assert_eq!(halves, c.evaluated, "the offers split the people evaluated");

        // Money: avoided = −effect × people × years of follow-up; savings at the unit costs; per £1 of cost.
        let m = &r.money;
        let avoided = m.avoided_gp.unwrap();
        let years = 365.0 / 365.25;
        assert!((avoided.value + gp.did.value * c.evaluated as f64 * years).abs() < 1e-6);
        let savings = m.savings_pence.unwrap();
        assert!(savings.low < savings.value && savings.value < savings.high);
        let (from, to) = m.period.clone().unwrap();
        assert!(
            from.starts_with("2024") && to.starts_with("2024"),
            "{from} to {to}"
        );
        assert_eq!(
            m.total_cost_pence, 2_050_000,
            "staff time and champions' expenses of the period, not the hall hire of 2021"
        );
        let per_pound = m.return_per_pound.unwrap();
        assert!((per_pound.value - savings.value / 2_050_000.0).abs() < 1e-9);
        assert_eq!(
            r.gifted.value_pence, 12_210,
            "ten hours at £12.21 in the period, apart from the savings"
        );
        // Shown as a board reads it: savings to the nearest £100, the return to two figures.
        let board = r.shown(Audience::Unsuppressed).money;
        let shown_savings = board.savings_pence.unwrap();
        assert_eq!(shown_savings.value % 10_000.0, 0.0, "{shown_savings:?}");
        assert!((shown_savings.value - savings.value).abs() <= 5_000.0);
        let shown_return = board.return_per_pound.unwrap().value;
        assert_eq!(
            shown_return,
            together_core::impact::two_significant(per_pound.value)
        );
        assert!(m.not_computed.is_empty());

        // Without a unit cost or costs, the report says so instead of printing a number.
        inputs.unit_costs.ae_attendance.pence = None;
        let r2 = assemble(&o.treated, &places, &rule, &settings, &inputs);
        assert!(r2.money.savings_pence.is_none() && r2.money.return_per_pound.is_none());
        assert!(
            r2.money.not_computed[0].contains("no unit cost is set for an A&E attendance"),
            "{:?}",
            r2.money.not_computed
        );
        inputs.unit_costs = UnitCosts::default();
        inputs.costs.clear();
        inputs.expenses.clear();
        let r3 = assemble(&o.treated, &places, &rule, &settings, &inputs);
        assert!(r3.money.savings_pence.is_some() && r3.money.return_per_pound.is_none());
        assert!(r3.money.not_computed[0].contains("no programme costs"));

        // Shown to a commissioner: counts rounded to 5, the rule stated; the group of one
        // unlinkable person shows no figures and no number in its words.
        let shown = r.shown(Audience::Suppressed);
        assert!(shown.disclosure.is_some());
        assert!(matches!(shown.overall.counts.connected, Count::Rounded(n) if n % 5 == 0));
        let alone = &shown.groups[4].evaluation;
        assert_eq!(alone.counts.connected, Count::Suppressed);
        assert!(alone.outcomes.is_empty());
        assert!(
            alone
                .not_computed
                .iter()
                .all(|w| !w.chars().any(|ch| ch.is_ascii_digit())),
            "{:?}",
            alone.not_computed
        );
        let exact = r.shown(Audience::Unsuppressed);
        assert_eq!(exact.overall.counts.connected, Count::Exact(c.connected));
        let csv = String::from_utf8(shown.csv().unwrap()).unwrap();
        assert!(csv.starts_with("section,group,measure,value,low,high\n"));
        assert!(csv.contains("change,All connected,GP appointments: against the comparison (difference in differences),"));
        assert!(csv.contains("people,Offer: Walking group,connected,"));
        let json = serde_json::to_value(&shown).unwrap();
        // Nothing shown for sharing is a count from 1 to 7, or exact, anywhere in it.
        fn counts(v: &serde_json::Value, out: &mut Vec<serde_json::Value>) {
            match v {
                serde_json::Value::Object(m)
                    if m.get("kind")
                        .and_then(|k| k.as_str())
                        .is_some_and(|k| ["exact", "rounded", "suppressed"].contains(&k)) =>
                {
                    out.push(v.clone())
                }
                serde_json::Value::Object(m) => m.values().for_each(|x| counts(x, out)),
                serde_json::Value::Array(a) => a.iter().for_each(|x| counts(x, out)),
                _ => {}
            }
        }
        let mut found = Vec::new();
        counts(&json, &mut found);
        assert!(found.len() >= 20, "{}", found.len());
        for c in &found {
            match c["kind"].as_str().unwrap() {
                "suppressed" => {}
                "rounded" => {
                    let n = c["value"].as_u64().unwrap();
                    assert!(n >= 10 && n % 5 == 0, "{c}");
                }
                "exact" => assert_eq!(c["value"], 0, "only none is shown exactly: {c}"),
                _ => unreachable!(),
            }
        }
        assert!(csv
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("disclosure,,\"Counts from 1 to 7"));
        let exact = String::from_utf8(r.shown(Audience::Unsuppressed).csv().unwrap()).unwrap();
        assert!(exact.lines().nth(1).unwrap().contains("Not for sharing"));
        assert_eq!(json["data_from"], "2023-01-01");
        assert!(json["overall"]["outcomes"][0]["did"]["low"].is_number());
    }

    #[test]
    fn windows_past_the_end_of_the_data_are_not_followed_up_and_the_report_says_why() {
        let o = oracle(2000, 5, -0.3, 0.5);
        let (places, mut inputs) = inputs(&o);
        for c in &mut inputs.connections {
            c.made_on = time::macros::date!(2025 - 06 - 01);
        }
        let r = assemble(
            &o.treated,
            &places,
            &CountingRule::default(),
            &Settings::default(),
            &inputs,
        );
        assert_eq!(r.overall.counts.evaluated, 0);
        assert!(r.overall.counts.follow_up_incomplete > 0);
        assert!(r.overall.outcomes.is_empty());
        assert!(
            r.overall.not_computed[0].contains("follow-up is not complete"),
            "{:?}",
            r.overall.not_computed
        );
        assert!(r.money.not_computed[0].starts_with("No savings"));
    }

    #[test]
    fn wellbeing_changes_from_the_start_to_the_last_follow_up_with_how_many_answered() {
        let o = oracle(300, 5, 0.0, 0.5);
        let (places, mut inputs) = inputs(&o);
        let ons4 = |a: [u8; 4]| Answers {
            ons4: Some(a),
            lonely: None,
            wemwbs: None,
            swemwbs: None,
            pam: None,
        };
        let record = |id, occasion, day: u8, a| WellbeingRecord {
            connection_id: id,
            occasion,
            answered_on: time::Date::from_calendar_date(2024, time::Month::March, day).unwrap(),
            answers: a,
            by_themselves: false,
        };
        let (a, b, c) = (
            ConnectionId::new(),
            ConnectionId::new(),
            ConnectionId::new(),
        );
        inputs.wellbeing = vec![
            record(a, Occasion::Baseline, 1, ons4([4, 5, 5, 8])),
            record(a, Occasion::FollowUp, 10, ons4([5, 5, 5, 8])),
            record(a, Occasion::FollowUp, 20, ons4([7, 6, 6, 5])),
            record(b, Occasion::Baseline, 1, ons4([6, 6, 6, 4])),
            record(b, Occasion::FollowUp, 20, ons4([6, 6, 7, 5])),
            record(c, Occasion::Baseline, 2, ons4([3, 3, 3, 9])),
        ];
        let r = assemble(
            &o.treated,
            &places,
            &CountingRule::default(),
            &Settings::default(),
            &inputs,
        );
        let life = &r.wellbeing[0];
        assert!(life.measure.starts_with("Life satisfaction"));
        assert_eq!(
            (
                life.at_start.value(),
                life.at_follow_up.value(),
                life.both.value()
            ),
            (3, 2, 2)
        );
        assert_eq!(
            (life.mean_start, life.mean_follow_up),
            (5.0, 6.5),
            "the last follow-up counts"
        );
        assert_eq!(life.improved.value(), 1);
        let anxiety = &r.wellbeing[3];
        assert!(!anxiety.higher_is_better);
        assert_eq!(
            anxiety.improved.value(),
            1,
            "8 to 5 is better; 4 to 5 is not"
        );
        assert_eq!(
            r.wellbeing.len(),
            4,
            "measures nobody answered are left out"
        );
        let shown = r.shown(Audience::Suppressed);
        assert_eq!(shown.wellbeing[0].both, Count::Suppressed);
        assert_eq!(
            shown.wellbeing[0].mean_start, None,
            "too few to show a mean"
        );
    }
}

/// Censoring and the reasons people cannot be evaluated, on a hand-made panel where each case
/// is known: someone who moves away during the year after is evaluated over the days they were
/// registered; someone who dies within 91 days is censored and not evaluated; someone who
/// registered just before, or was connected too near the end of the data, or was not
/// registered, or has no one like them, is counted under that reason — and nobody is dropped.
#[test]
fn censoring_and_every_reason_not_to_evaluate_are_counted() {
    let start = day(time::macros::date!(2023 - 01 - 01));
    let end = day(time::macros::date!(2025 - 12 - 31));
    let on = day(time::macros::date!(2024 - 06 - 01));
    // Twelve GP appointments in the year before, one a month; n a month after.
    let busy = |after_each: i32| -> Vec<i32> {
        let mut days: Vec<i32> = (1..=12).map(|m| on - 30 * m).collect();
        days.extend(
            (0..12)
                .filter(|m| m % after_each == 0)
                .map(|m| on + 15 + 30 * m),
        );
        days.sort();
        days
    };
    let person = |practice: u16, from: i32, until: Option<i32>, gp: Vec<i32>| PanelPerson {
        practice,
        sex: 0,
        birth_month: 1950 * 12,
        conditions: vec![start - 500],
        registered_from: from,
        registered_until: until,
        gp,
        ae: Vec::new(),
    };
    let mut panel = Panel {
        people: Vec::new(),
        data_from: start,
        data_to: end,
        practice_spans: Vec::new(),
    };
    // 0: moves away 200 days after; 1: dies 30 days after; 2: registered 50 days before;
    // 3: connected 100 days before the data ends; 4: not registered on the day; 5: the only one
    // at practice 9, so no one is like them.
    panel
        .people
        .push(person(1, start - 1000, Some(on + 200), busy(1)));
    panel
        .people
        .push(person(1, start - 1000, Some(on + 30), busy(1)));
    panel.people.push(person(1, on - 50, None, busy(1)));
    panel.people.push(person(1, start - 1000, None, busy(1)));
    panel.people.push(person(1, on + 10, None, busy(1)));
    panel.people.push(person(9, start - 1000, None, busy(1)));
    // Candidates like them, never connected: half the appointments after.
    for _ in 0..20 {
        panel.people.push(person(1, start - 1000, None, busy(2)));
    }
    let connections: Vec<Connection> = [on, on, on, end - 100, on, on]
        .iter()
        .enumerate()
        .map(|(i, d)| Connection {
            person: Some(i),
            on: *d,
        })
        .chain(std::iter::once(Connection { person: None, on }))
        .collect();
    let mut ever = vec![false; panel.people.len()];
    ever[..6].fill(true);
    let e = evaluate(
        &panel,
        &connections,
        &ever,
        &Settings {
            resamples: 50,
            ..Settings::default()
        },
    );
    let c = e.counts;
    assert_eq!(
        (
            c.connected,
            c.linkable,
            c.left_early,
            c.history_short,
            c.follow_up_incomplete,
            c.not_registered,
            c.unmatched,
            c.evaluated,
            c.censored
        ),
        (7, 6, 1, 1, 1, 1, 1, 1, 1),
        "{c:?}"
    );
    let unit = &e.units[0];
    assert_eq!(unit.person, 0);
    // Registered 200 days after: the appointments in them, over 200 days, a year.
    let in_200 = panel.people[0]
        .gp
        .iter()
        .filter(|d| (on..on + 200).contains(*d))
        .count() as f64;
    assert!(
        (unit.after[0] - in_200 / (200.0 / 365.25)).abs() < 1e-9,
        "{:?}",
        unit.after
    );
    assert_eq!(unit.comparisons.len(), 3);
    assert!(e.not_computed.is_empty());
}

/// Everything matched on is measured before the index date: a condition recorded on the day
/// someone was connected, or after it, changes no one's comparison people and no figure.
#[test]
fn a_condition_recorded_after_the_index_date_changes_no_match_and_no_figure() {
    let o = oracle(3000, 8, -0.2, 0.5);
    let settings = Settings {
        resamples: 100,
        ..Settings::default()
    };
    let before = evaluate(&o.treated, &o.connections, &o.ever, &settings);
    assert!(before.counts.evaluated > 50, "{:?}", before.counts);
    let mut later = o.treated.clone();
    for c in &o.connections {
        let p = &mut later.people[c.person.unwrap()];
        p.conditions.extend([c.on, c.on + 30]);
        p.conditions.sort_unstable();
    }
    // Everyone else: a condition on the last day of the data, after every index date.
    for (i, p) in later.people.iter_mut().enumerate() {
        if !o.ever[i] {
            p.conditions.push(later.data_to);
        }
    }
    let after = evaluate(&later, &o.connections, &o.ever, &settings);
    assert_eq!(after.units, before.units, "the same people, matched alike");
    assert_eq!(after.outcomes, before.outcomes);
    assert_eq!(after.balance, before.balance);
    // And one recorded before the day does count: it is what matching is for.
    let mut earlier = o.treated.clone();
    for c in &o.connections {
        let p = &mut earlier.people[c.person.unwrap()];
        p.conditions.insert(0, c.on - 200);
    }
    let changed = evaluate(&earlier, &o.connections, &o.ever, &settings);
    assert_ne!(changed.balance, before.balance);
}

/// When the comparison people still differ from the connected people after matching by more
/// than a tenth of a standard deviation in something matched on, the evaluation says so in
/// words beside its figures.
#[test]
fn a_measure_unbalanced_after_matching_is_named_as_a_caution() {
    let start = day(time::macros::date!(2023 - 01 - 01));
    let on = day(time::macros::date!(2024 - 06 - 01));
    let person = |conditions: Vec<i32>, seed: i32| PanelPerson {
        practice: 0,
        sex: 0,
        birth_month: 1950 * 12,
        conditions,
        registered_from: start - 1000,
        registered_until: None,
        gp: (1..=12).map(|m| on - 30 * m + seed % 7).rev().collect(),
        ae: Vec::new(),
    };
    let mut panel = Panel {
        people: Vec::new(),
        data_from: start,
        data_to: day(time::macros::date!(2025 - 12 - 31)),
        practice_spans: Vec::new(),
    };
    // Ten connected people with two or three conditions each; everyone like them has one or
    // none.
    for i in 0..10 {
        let n = 2 + i % 2;
        panel
            .people
            .push(person((0..n).map(|d| start + d).collect(), i));
    }
    for i in 0..40 {
        let n = i % 2;
        panel
            .people
            .push(person((0..n).map(|d| start + d).collect(), i));
    }
    let connections: Vec<Connection> = (0..10)
        .map(|i| Connection {
            person: Some(i),
            on,
        })
        .collect();
    let mut ever = vec![false; panel.people.len()];
    ever[..10].fill(true);
    let settings = Settings {
        resamples: 100,
        ..Settings::default()
    };
    let e = evaluate(&panel, &connections, &ever, &settings);
    assert_eq!(e.counts.evaluated, 10, "{:?}", e.counts);
    assert_eq!(e.cautions.len(), 1, "{:?}", e.cautions);
    assert!(
        e.cautions[0].contains("conditions recorded before"),
        "{:?}",
        e.cautions
    );
}

/// A practice whose data ends sooner than the others' has its own end: its people connected
/// too near it are not followed up (their missing months are not counted as no appointments),
/// and nobody else's evaluation changes.
#[test]
fn a_practice_whose_data_ends_sooner_is_followed_up_only_to_its_own_end() {
    let o = oracle(3000, 9, -0.2, 0.5);
    let settings = Settings {
        resamples: 100,
        ..Settings::default()
    };
    let whole = evaluate(&o.treated, &o.connections, &o.ever, &settings);
    let mut short = o.treated.clone();
    let end = short.data_to - 180;
    short.practice_spans = vec![Some((short.data_from, end)), None];
    let cut = evaluate(&short, &o.connections, &o.ever, &settings);
    assert!(cut.counts.follow_up_incomplete > whole.counts.follow_up_incomplete);
    assert!(cut.units.iter().all(|u| {
        short.people[u.person].practice != 0 || u.on + settings.after_days - 1 <= end
    }));
    let others = |e: &Evaluation| -> Vec<usize> {
        e.units
            .iter()
            .filter(|u| o.treated.people[u.person].practice == 1)
            .map(|u| u.person)
            .collect()
    };
    assert_eq!(others(&cut), others(&whole));
}
