//! Golden files, one per rejection reason (the DataFusion sqllogictest idea applied to
//! imports): `golden/<dataset>-<case>.csv` is read and its report compared with
//! `golden/<dataset>-<case>.expected`. Run with BLESS=1 to rewrite the expected files, then read
//! the difference before committing it.

use std::path::Path;
use time::macros::date;
use together_formats::fhir::read_fhir;
use together_formats::mapping::{read_mapped, Mapping};
use together_formats::synthea::{read_synthea, Survey, SyntheaFile};
use together_formats::{read, Dataset, FileError, ReadSummary, Record, RowError};

/// The patients every Synthea case other than patients.csv's own may name.
const SYNTHEA_PATIENTS: &str = "Id,BIRTHDATE,DEATHDATE,FIRST,LAST,GENDER\n\
    p-1,1950-02-03,,Ada,Lovelace,F\n\
    p-2,1988-07-30,,Sam,Reid,M\n";

fn report(
    reader: impl FnOnce(
        &mut dyn FnMut(u64, Result<Record, Vec<RowError>>),
    ) -> Result<ReadSummary, FileError>,
) -> String {
    let mut out = String::new();
    let result = reader(&mut |_, row| {
        if let Err(errors) = row {
            for e in errors {
                out.push_str(&format!("rejected {e}\n"));
            }
        }
    });
    match result {
        Ok(s) if s.skipped > 0 => out.push_str(&format!(
            "rows {}, valid {}, rejected {}, skipped {}\n",
            s.rows, s.valid, s.rejected, s.skipped
        )),
        Ok(s) => out.push_str(&format!(
            "rows {}, valid {}, rejected {}\n",
            s.rows, s.valid, s.rejected
        )),
        Err(e) => out.push_str(&format!("refused: {e}\n")),
    }
    out
}

/// A case's report: `<dataset>-<case>.csv` for the canonical files,
/// `synthea-<patients|encounters|conditions>-<case>.csv` for Synthea's (encounters read both as
/// appointments and as A&E attendances), `mapped-<emis|systmone>-<case>.csv` for practice
/// exports read through a shipped mapping (practice B99001 where the export has none),
/// `fhir-<case>.json|ndjson` for FHIR R4, read as registrations, appointments and A&E.
fn case_report(stem: &str, bytes: &[u8]) -> String {
    let today = date!(2026 - 11 - 24);
    let mut parts = stem.split('-');
    let first = parts.next().unwrap();
    if first == "mapped" {
        let name = match parts.next().unwrap() {
            "emis" => "emis-web",
            other => other,
        };
        let mapping = Mapping::shipped(name).unwrap().unwrap();
        let practice = "B99001".parse().unwrap();
        return report(|on_row| read_mapped(&mapping, bytes, Some(&practice), on_row));
    }
    if first == "fhir" {
        return [
            Dataset::Registrations,
            Dataset::Appointments,
            Dataset::AeAttendances,
        ]
        .iter()
        .map(|d| {
            format!(
                "as {}:\n{}",
                d.name(),
                report(|on_row| read_fhir(*d, bytes, None, today, on_row))
            )
        })
        .collect();
    }
    if first != "synthea" {
        let dataset: Dataset = first.parse().unwrap();
        return report(|on_row| read(dataset, bytes, today, on_row));
    }
    let kind = parts.next().unwrap();
    let mut survey = Survey::default();
    let patients = if kind == "patients" {
        bytes
    } else {
        SYNTHEA_PATIENTS.as_bytes()
    };
    if survey.read_patients(patients).is_err() {
        survey.read_patients(SYNTHEA_PATIENTS.as_bytes()).unwrap();
    }
    let plan = survey.plan(&["B99001".parse().unwrap()]).unwrap();
    let files: &[SyntheaFile] = match kind {
        "patients" => &[SyntheaFile::Patients],
        "encounters" => &[SyntheaFile::GpEncounters, SyntheaFile::AeEncounters],
        "conditions" => &[SyntheaFile::Conditions],
        other => panic!("{other} is not a Synthea file"),
    };
    files
        .iter()
        .map(|f| {
            format!(
                "as {}:\n{}",
                f.dataset().name(),
                report(|on_row| read_synthea(*f, bytes, &plan, today, on_row))
            )
        })
        .collect()
}

#[test]
fn every_rejection_reason_matches_its_golden_file() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "csv" || e == "json" || e == "ndjson")
        })
        .collect();
    cases.sort();
    assert!(cases.len() >= 12, "the golden cases are there");
    let bless = std::env::var("BLESS").is_ok();
    let mut failures = Vec::new();
    for case in cases {
        let stem = case.file_stem().unwrap().to_string_lossy().to_string();
        let got = case_report(&stem, &std::fs::read(&case).unwrap());
        let expected_path = case.with_extension("expected");
        if bless {
            std::fs::write(&expected_path, &got).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("{} has no .expected file (run with BLESS=1)", stem));
        if got != expected {
            failures.push(format!("{stem}:\n--- expected\n{expected}--- got\n{got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
