//! One rule for the same people, whatever the file: the real Synthea sample read from its CSV
//! export and from the FHIR its exporter writes for the same encounters give every person the
//! same GP appointments and A&E attendances.

use std::collections::BTreeMap;
use std::path::Path;
use together_formats::fhir::{read_fhir, SYNTHEA_SYSTEM};
use together_formats::synthea::{read_synthea, Survey, SyntheaFile};
use together_formats::{Dataset, Record, Subject};

type Counts = BTreeMap<String, [u32; 2]>;

fn count(counts: &mut Counts, record: Record) {
    let (subject, at) = match record {
        Record::Appointment(a) => (a.subject, 0),
        Record::AeAttendance(a) => (a.subject, 1),
        _ => return,
    };
    if let Subject::Synthea(id) = subject {
        counts.entry(id).or_default()[at] += 1;
    }
}

/// The class Synthea's FHIR R4 exporter gives each of its encounter classes
/// (HealthRecord.EncounterType): wellness, ambulatory, outpatient and urgent care are all `AMB`.
fn fhir_class(csv_class: &str) -> &'static str {
    match csv_class {
        "emergency" => "EMER",
        "inpatient" | "snf" => "IMP",
        "hospice" | "home" => "HH",
        "virtual" => "VR",
        _ => "AMB",
    }
}

#[test]
fn the_same_synthea_people_count_the_same_from_csv_and_from_fhir() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/synthea-unmc");
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
    let (patients, encounters) = (read("patients.csv"), read("encounters.csv"));
    let practice = "B99001".parse().unwrap();
    let today = time::macros::date!(2026 - 12 - 07);

    let mut survey = Survey::default();
    survey.read_patients(&patients[..]).unwrap();
    survey.read_encounters(&encounters[..]).unwrap();
    let plan = survey.plan(std::slice::from_ref(&practice)).unwrap();
    let mut from_csv = Counts::new();
    for file in [SyntheaFile::GpEncounters, SyntheaFile::AeEncounters] {
        read_synthea(file, &encounters[..], &plan, today, |_, r| {
            count(&mut from_csv, r.unwrap())
        })
        .unwrap();
    }

    // The same people and encounters as Synthea's FHIR exporter writes them.
    let mut ndjson = String::new();
    let mut rows = csv::Reader::from_reader(&patients[..]);
    for p in rows.deserialize::<BTreeMap<String, String>>() {
        let p = p.unwrap();
        let resource = serde_json::json!({
            "resourceType": "Patient",
            "id": p["Id"],
            "identifier": [{"system": SYNTHEA_SYSTEM, "value": p["Id"]}],
            "name": [{"family": p["LAST"], "given": [p["FIRST"]]}],
            "birthDate": p["BIRTHDATE"],
            "gender": if p["GENDER"] == "F" { "female" } else { "male" },
        });
        ndjson.push_str(&format!("{resource}\n"));
    }
    let mut rows = csv::Reader::from_reader(&encounters[..]);
    for e in rows.deserialize::<BTreeMap<String, String>>() {
        let e = e.unwrap();
        let resource = serde_json::json!({
            "resourceType": "Encounter",
            "id": e["Id"],
            "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": fhir_class(&e["ENCOUNTERCLASS"])},
            "type": [{"coding": [{"system": "http://snomed.info/sct", "code": e["CODE"], "display": e["DESCRIPTION"]}], "text": e["DESCRIPTION"]}],
            "subject": {"reference": format!("Patient/{}", e["PATIENT"])},
            "participant": [{"type": [{"text": "GP"}]}],
            "period": {"start": e["START"], "end": e["STOP"]},
        });
        ndjson.push_str(&format!("{resource}\n"));
    }
    let mut from_fhir = Counts::new();
    for dataset in [Dataset::Appointments, Dataset::AeAttendances] {
        read_fhir(
            dataset,
            ndjson.as_bytes(),
            Some(&practice),
            today,
            |line, r| {
                count(
                    &mut from_fhir,
                    r.unwrap_or_else(|e| panic!("line {line}: {e:?}")),
                )
            },
        )
        .unwrap();
    }

    let total = |c: &Counts, i: usize| c.values().map(|v| v[i]).sum::<u32>();
    assert!(
        total(&from_csv, 0) > 3000 && total(&from_csv, 1) > 500,
        "GP {}, A&E {}",
        total(&from_csv, 0),
        total(&from_csv, 1)
    );
    assert_eq!(
        (total(&from_fhir, 0), total(&from_fhir, 1)),
        (total(&from_csv, 0), total(&from_csv, 1)),
        "GP appointments and A&E attendances, FHIR against CSV"
    );
    assert_eq!(from_fhir, from_csv, "each person's counts alike");
}
