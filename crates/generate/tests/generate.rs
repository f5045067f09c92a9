//! The generator is a test oracle for Insight and evaluation, so its properties are tested
//! from the files it writes, as an importer would read them.

// Tests and examples stop at the first surprise, with its message: unwrap and expect are how.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use together_generate::{generate, Params, Summary};

fn params(patients: u64, seed: u64) -> Params {
    Params {
        patients,
        practices: 3,
        years: 2,
        end_year: 2025,
        seed,
        plant: None,
    }
}

fn run(p: &Params) -> (tempfile::TempDir, Summary) {
    let dir = tempfile::tempdir().unwrap();
    let mut last = 0;
    let s = generate(p, dir.path(), &mut |n| last = n).unwrap();
    assert_eq!(last, p.patients, "progress reaches the end");
    (dir, s)
}

fn rows(dir: &std::path::Path, name: &str) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(dir.join(name))
        .unwrap()
        .records()
        .map(|r| r.unwrap())
        .collect()
}

#[test]
fn the_same_seed_gives_the_same_files_and_another_seed_does_not() {
    let (a, sa) = run(&params(300, 11));
    let (b, sb) = run(&params(300, 11));
    let (c, _) = run(&params(300, 12));
    assert_eq!(sa, sb);
    for f in [
        "registrations.csv",
        "conditions.csv",
        "appointments.csv",
        "ae_attendances.csv",
    ] {
        assert_eq!(
            std::fs::read(a.path().join(f)).unwrap(),
            std::fs::read(b.path().join(f)).unwrap(),
            "{f}"
        );
    }
    assert_ne!(
        std::fs::read(a.path().join("appointments.csv")).unwrap(),
        std::fs::read(c.path().join("appointments.csv")).unwrap()
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(a.path().join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["parameters"]["seed"], 11);
    assert_eq!(manifest["counts"]["appointments"], sa.appointments);
    assert!(std::fs::read_dir(a.path()).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .ends_with(".partial")));
}

#[test]
fn every_nhs_number_is_valid_distinct_and_never_issued() {
    let (dir, s) = run(&params(2000, 3));
    let regs = rows(dir.path(), "registrations.csv");
    assert_eq!(regs.len() as u64, s.people);
    let mut seen = std::collections::HashSet::new();
    for r in &regs {
        let n: together_core::NhsNumber = r[0].parse().unwrap();
        assert!(n.is_test_range());
        assert!(seen.insert(r[0].to_owned()), "duplicate {}", &r[0]);
    }
    for r in rows(dir.path(), "appointments.csv") {
        assert!(
            seen.contains(&r[0]),
            "an appointment of someone not registered"
        );
        assert!(r[2] <= r[3], "booked after it started: {:?}", r);
    }
}

/// Appointments per person per year, for people registered throughout both years.
fn counts_by_year(dir: &std::path::Path) -> (Vec<(u32, u32)>, u64, u64) {
    let mut whole: HashMap<String, (u32, u32)> = HashMap::new();
    for r in rows(dir, "registrations.csv") {
        if r[8] < *"2024-01-01" && r[9].is_empty() {
            whole.insert(r[0].to_owned(), (0, 0));
        }
    }
    let (mut total, mut dna) = (0u64, 0u64);
    for r in rows(dir, "appointments.csv") {
        total += 1;
        dna += (&r[4] == "Did Not Attend") as u64;
        if let Some(c) = whole.get_mut(&r[0]) {
            if r[3].starts_with("2024") {
                c.0 += 1;
            } else {
                c.1 += 1;
            }
        }
    }
    (whole.into_values().collect(), total, dna)
}

#[test]
fn a_few_people_hold_many_appointments_and_some_hold_none() {
    let (dir, _) = run(&params(20_000, 5));
    let (mut counts, total, dna) = counts_by_year(dir.path());
    counts.sort_by_key(|c| std::cmp::Reverse(c.0));
    let year1: u64 = counts.iter().map(|c| c.0 as u64).sum();
    let top = counts.len() / 10;
    let top_share = counts[..top].iter().map(|c| c.0 as u64).sum::<u64>() as f64 / year1 as f64;
    let zero = counts.iter().filter(|c| c.0 == 0).count() as f64 / counts.len() as f64;
    println!(
        "top 10% hold {:.1}% of appointments; {:.1}% had none; the most had {}",
        top_share * 100.0,
        zero * 100.0,
        counts[0].0
    );
    assert!(
        (0.33..0.55).contains(&top_share),
        "top decile share {top_share}"
    );
    assert!(zero > 0.05, "zero attenders {zero}");
    assert!(
        counts[0].0 >= 50,
        "the long tail reaches 50+ appointments a year ({})",
        counts[0].0
    );
    let dna_rate = dna as f64 / total as f64;
    assert!((0.04..0.05).contains(&dna_rate), "DNA rate {dna_rate}");
}

/// With no intervention at all, the top decile of 2024 falls back in 2025 (regression to the
/// mean), but stays well above everyone else (persistence).
#[test]
fn the_top_decile_of_one_year_falls_by_a_stated_share_the_next() {
    let (dir, _) = run(&params(20_000, 9));
    let (mut counts, _, _) = counts_by_year(dir.path());
    counts.sort_by_key(|c| std::cmp::Reverse(c.0));
    let top = &counts[..counts.len() / 10];
    let mean = |f: &dyn Fn(&(u32, u32)) -> u32, xs: &[(u32, u32)]| {
        xs.iter().map(|c| f(c) as f64).sum::<f64>() / xs.len() as f64
    };
    let (y1, y2) = (mean(&|c| c.0, top), mean(&|c| c.1, top));
    let everyone = mean(&|c| c.1, &counts);
    let fall = 1.0 - y2 / y1;
    println!("top decile: {y1:.1} appointments in 2024, {y2:.1} in 2025: a fall of {:.0}% (everyone: {everyone:.1})", fall * 100.0);
    // The stated share (docs/formats.md): the top decile falls by about a third, 25–45%.
    assert!((0.25..0.45).contains(&fall), "fall {fall}");
    assert!(y2 > 2.0 * everyone, "frequent attendance persists for some");
}

#[test]
fn impossible_sizes_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let err = generate(
        &Params {
            patients: 2_000_000,
            ..params(1, 1)
        },
        dir.path(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("999 000 0000–999 999 9999"),
        "{err}"
    );
}

#[test]
fn the_same_neighbourhood_as_synthea_csv_reads_back_through_the_synthea_reader() {
    use together_formats::synthea::{read_synthea, Survey, SyntheaFile};
    let params = together_generate::Params {
        patients: 400,
        practices: 2,
        years: 1,
        end_year: 2025,
        seed: 11,
        plant: None,
    };
    let canonical = tempfile::tempdir().unwrap();
    together_generate::generate(&params, canonical.path(), &mut |_| {}).unwrap();
    let synthea = tempfile::tempdir().unwrap();
    let summary = together_generate::generate_as(
        &params,
        together_generate::Format::Synthea,
        synthea.path(),
        &mut |_| {},
    )
    .unwrap();
    let open = |name: &str| std::fs::File::open(synthea.path().join(name)).unwrap();
    let mut survey = Survey::default();
    survey.read_patients(open("patients.csv")).unwrap();
    survey.read_encounters(open("encounters.csv")).unwrap();
    let plan = survey
        .plan(&["B99001".parse().unwrap(), "B99002".parse().unwrap()])
        .unwrap();
    assert_eq!(plan.people() as u64, summary.people);
    assert_eq!(
        plan.organisations.len(),
        2,
        "each practice is one organisation"
    );
    let count = |file: SyntheaFile| {
        let s = read_synthea(
            file,
            open(file.file_name()),
            &plan,
            time::macros::date!(2026 - 11 - 24),
            |_, _| {},
        )
        .unwrap();
        assert_eq!(s.rejected, 0, "{file:?} reads cleanly");
        s.valid
    };
    // The appointments that happened in the canonical files are Synthea's GP encounters.
    let attended = csv::Reader::from_path(canonical.path().join("appointments.csv"))
        .unwrap()
        .records()
        .map(Result::unwrap)
        .filter(|r| !r[4].starts_with("Cancelled") && &r[4] != "Did Not Attend")
        .count() as u64;
    assert_eq!(count(SyntheaFile::GpEncounters), attended);
    assert_eq!(summary.appointments, attended);
    let ae = csv::Reader::from_path(canonical.path().join("ae_attendances.csv"))
        .unwrap()
        .records()
        .count() as u64;
    assert_eq!(count(SyntheaFile::AeEncounters), ae);
    assert_eq!(count(SyntheaFile::Patients), summary.people);
    let tracked = csv::Reader::from_path(canonical.path().join("conditions.csv"))
        .unwrap()
        .records()
        .map(Result::unwrap)
        .filter(|r| !r[1].starts_with("frailty"))
        .count() as u64;
    assert_eq!(
        count(SyntheaFile::Conditions),
        tracked,
        "the ten conditions, by their codes"
    );
}

#[test]
fn the_same_neighbourhood_as_fhir_ndjson_reads_back_as_the_same_records() {
    use together_formats::fhir::read_fhir;
    use together_formats::{read, Dataset, Record, Subject};
    let params = params(300, 5);
    let today = time::macros::date!(2026 - 11 - 24);
    let canonical = tempfile::tempdir().unwrap();
    generate(&params, canonical.path(), &mut |_| {}).unwrap();
    let fhir = tempfile::tempdir().unwrap();
    let summary = together_generate::generate_as(
        &params,
        together_generate::Format::Fhir,
        fhir.path(),
        &mut |_| {},
    )
    .unwrap();
    // What both layouts carry, in words; FHIR has no "Patient Walked Out".
    let key = |r: Record| -> String {
        let nhs = |s: &Subject| match s {
            Subject::Nhs(n) => n.digits().to_owned(),
            Subject::Synthea(_) => panic!("generated people have NHS numbers"),
        };
        match r {
            Record::Registration(r) => format!(
                "{} {} {} {} {} {} {:?} {:?} {:?}",
                nhs(&r.subject),
                r.ods_code.as_str(),
                r.given_name,
                r.family_name,
                r.date_of_birth,
                r.sex,
                r.mobile,
                (r.registered_from, r.registered_to),
                r.date_of_death
            ),
            Record::Appointment(a) => format!(
                "{} {} {} {} {} {} {} {}",
                nhs(&a.subject),
                a.ods_code.as_str(),
                a.booked_at,
                a.starts_at,
                match a.status {
                    "Patient Walked Out" => "Arrived",
                    s => s,
                },
                a.slot_type,
                a.clinician_role,
                a.mode
            ),
            Record::AeAttendance(a) => {
                format!(
                    "{} {} {}",
                    nhs(&a.subject),
                    a.arrived_at,
                    a.discharge_destination
                )
            }
            Record::Condition(_) => unreachable!("not read here"),
        }
    };
    for (dataset, csv, ndjson) in [
        (
            Dataset::Registrations,
            "registrations.csv",
            "Patient.ndjson",
        ),
        (
            Dataset::Appointments,
            "appointments.csv",
            "Appointment.ndjson",
        ),
        (
            Dataset::AeAttendances,
            "ae_attendances.csv",
            "Encounter.ndjson",
        ),
    ] {
        let mut from_csv = Vec::new();
        let file = std::fs::File::open(canonical.path().join(csv)).unwrap();
        read(dataset, file, today, |_, r| from_csv.push(key(r.unwrap()))).unwrap();
        let mut from_fhir = Vec::new();
        let file = std::fs::File::open(fhir.path().join(ndjson)).unwrap();
        let s = read_fhir(dataset, file, None, today, |_, r| {
            from_fhir.push(key(r.unwrap()))
        })
        .unwrap();
        assert_eq!(s.skipped, 0, "{ndjson} holds only {}", dataset.name());
        assert!(!from_fhir.is_empty());
        assert_eq!(from_csv, from_fhir, "{}", dataset.name());
    }
    assert_eq!(summary.people, 300);
}

fn planted(patients: u64, seed: u64, effect: f64) -> Params {
    Params {
        years: 3,
        plant: Some(together_generate::Plant {
            effect,
            ae_effect: effect,
            share: 0.5,
        }),
        ..params(patients, seed)
    }
}

/// Planting touches nobody's data but the connected people's, and theirs only from the day
/// they were connected: the rest of the neighbourhood is the same as without it.
#[test]
fn planted_connections_change_only_the_connected_peoples_attendance_after_the_day() {
    let p = planted(3000, 17, -0.3);
    let without = Params {
        plant: None,
        ..p.clone()
    };
    let mut connected = 0;
    for (a, b) in together_generate::people(&p)
        .unwrap()
        .zip(together_generate::people(&without).unwrap())
    {
        assert_eq!(a.nhs_number, b.nhs_number);
        assert_eq!(a.registered_to, b.registered_to);
        let starts = |x: &[together_generate::Appointment]| {
            x.iter().map(|a| a.starts_at).collect::<Vec<_>>()
        };
        match &a.connected {
            None => assert_eq!(starts(&a.appointments), starts(&b.appointments)),
            Some(c) => {
                connected += 1;
                let on = c.connected_on;
                assert!(a.registered_from <= on && a.registered_to.is_none_or(|to| to > on));
                assert!((2024..=2024).contains(&on.year()), "a year each side: {on}");
                let recent = b
                    .appointments
                    .iter()
                    .filter(|x| {
                        x.status == "Finished"
                            || x.status == "Arrived"
                            || x.status == "Patient Walked Out"
                    })
                    .filter(|x| {
                        x.starts_at.date() < on
                            && x.starts_at.date() >= on - time::Duration::days(365)
                    })
                    .count();
                assert!(
                    recent >= together_generate::Plant::THRESHOLD,
                    "chosen for high recent attendance"
                );
                let before = |x: &[together_generate::Appointment]| {
                    x.iter()
                        .filter(|a| a.starts_at.date() < on)
                        .map(|a| a.starts_at)
                        .collect::<Vec<_>>()
                };
                assert_eq!(before(&a.appointments), before(&b.appointments));
                assert_eq!(starts(&c.untreated_appointments), starts(&b.appointments));
            }
        }
    }
    assert!(connected >= 30, "{connected} connected of 3000");
}

/// Across many people, the planted effect is the effect: after the day, the connected people
/// have about (1 + effect) times the appointments they would have had.
#[test]
fn the_planted_effect_is_the_true_change_in_attendance() {
    for effect in [-0.4, 0.25] {
        let (mut treated, mut untreated) = (0usize, 0usize);
        for person in together_generate::people(&planted(8000, 23, effect)).unwrap() {
            if let Some(c) = &person.connected {
                let after = |x: &[together_generate::Appointment]| {
                    x.iter()
                        .filter(|a| a.starts_at.date() >= c.connected_on)
                        .count()
                };
                treated += after(&person.appointments);
                untreated += after(&c.untreated_appointments);
            }
        }
        let ratio = treated as f64 / untreated as f64;
        assert!(
            (ratio - (1.0 + effect)).abs() < 0.03,
            "effect {effect}: ratio {ratio} over {untreated}"
        );
    }
}

#[test]
fn planted_connections_are_written_with_the_canonical_files_and_explained_otherwise() {
    let (dir, s) = run(&planted(1500, 5, -0.2));
    let planted_rows = rows(dir.path(), together_generate::PLANTED_CONNECTIONS);
    assert_eq!(planted_rows.len() as u64, s.connections);
    assert!(s.connections > 0);
    let registered: std::collections::HashSet<String> = rows(dir.path(), "registrations.csv")
        .iter()
        .map(|r| r[0].to_owned())
        .collect();
    assert!(planted_rows
        .iter()
        .all(|r| registered.contains(&r[0]) && r[2].starts_with("2024-")));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["parameters"]["plant"]["effect"], -0.2);

    let other = tempfile::tempdir().unwrap();
    let err = together_generate::generate_as(
        &planted(10, 1, -0.2),
        together_generate::Format::Synthea,
        other.path(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("canonical"), "{err}");
    let two_years = Params {
        years: 2,
        ..planted(10, 1, -0.2)
    };
    assert!(generate(&two_years, other.path(), &mut |_| {})
        .unwrap_err()
        .to_string()
        .contains("three years"));
    let silly = planted(10, 1, f64::NAN);
    assert!(generate(&silly, other.path(), &mut |_| {})
        .unwrap_err()
        .to_string()
        .contains("--plant-effect"));
}
