//! FHIR R4: what each resource becomes, read from the golden Bundle, and that arbitrary or
//! damaged JSON never panics and every resource taken is accounted for.

use proptest::prelude::*;
use time::macros::{date, datetime};
use together_formats::fhir::read_fhir;
use together_formats::{Dataset, Record, Subject};

const BUNDLE: &str = include_str!("../golden/fhir-bundle-valid.json");

fn records(dataset: Dataset, text: &str) -> Vec<Record> {
    let mut out = Vec::new();
    read_fhir(
        dataset,
        text.as_bytes(),
        None,
        date!(2026 - 11 - 24),
        |_, r| out.push(r.expect("every resource of the golden Bundle is valid")),
    )
    .unwrap();
    out
}

fn nhs(subject: &Subject) -> &str {
    match subject {
        Subject::Nhs(n) => n.digits(),
        Subject::Synthea(_) => panic!("the golden Bundle uses NHS numbers"),
    }
}

#[test]
fn a_patient_becomes_a_registration_with_its_practice_and_registration_period() {
    let Ok([Record::Registration(r)]) =
        <[Record; 1]>::try_from(records(Dataset::Registrations, BUNDLE))
    else {
        panic!("one registration")
    };
    assert_eq!(nhs(&r.subject), "9990000018");
    assert_eq!(r.ods_code.as_str(), "B99001");
    assert_eq!(
        (r.given_name.as_str(), r.family_name.as_str()),
        ("Ada", "Lovelace")
    );
    assert_eq!((r.date_of_birth, r.sex), (date!(1950 - 02 - 03), "F"));
    assert_eq!(r.mobile.as_deref(), Some("07700 900001"));
    assert_eq!(r.registered_from, date!(2001 - 04 - 01));
    assert_eq!(r.registered_to, None);
}

#[test]
fn appointments_and_unbooked_encounters_become_appointments_once_each() {
    let appointments: Vec<_> = records(Dataset::Appointments, BUNDLE)
        .into_iter()
        .map(|r| match r {
            Record::Appointment(a) => a,
            other => panic!("{other:?} is not an appointment"),
        })
        .collect();
    // Three Appointments and the home visit; the Encounter of a booked appointment is not
    // counted twice, the A&E Encounter is not a GP consultation.
    assert_eq!(appointments.len(), 4);
    let seen = &appointments[0];
    assert_eq!(nhs(&seen.subject), "9990000018", "by the Bundle's fullUrl");
    assert_eq!(seen.status, "Finished");
    assert_eq!(seen.starts_at, datetime!(2025-03-27 09:30 UTC));
    assert_eq!(seen.booked_at, datetime!(2025-03-20 08:05 UTC));
    assert_eq!(seen.slot_type, "General Consultation Routine");
    assert_eq!(
        (seen.clinician_role.as_str(), seen.mode.as_str()),
        ("GP", "Face to face")
    );
    let missed = &appointments[1];
    assert_eq!(
        nhs(&missed.subject),
        "9990000026",
        "by the reference's identifier"
    );
    assert_eq!(
        missed.ods_code.as_str(),
        "B99001",
        "from the Location's ODS code"
    );
    assert_eq!(missed.status, "Did Not Attend");
    assert_eq!(
        missed.starts_at,
        datetime!(2025-07-01 13:00 UTC),
        "offset honoured"
    );
    assert_eq!(
        missed.booked_at, missed.starts_at,
        "no created: booked when it starts"
    );
    assert_eq!(
        (missed.clinician_role.as_str(), missed.mode.as_str()),
        ("Not recorded", "Not recorded")
    );
    let cancelled = &appointments[2];
    assert_eq!(cancelled.status, "Cancelled by Patient");
    assert_eq!(
        cancelled.starts_at,
        datetime!(2025-07-02 09:00 UTC),
        "a time without an offset is London time (BST in July)"
    );
    assert_eq!(
        cancelled.ods_code.as_str(),
        "B99001",
        "the patient's practice"
    );
    let home = &appointments[3];
    assert_eq!(
        (home.status, home.mode.as_str()),
        ("Finished", "Home visit")
    );
}

#[test]
fn an_emergency_encounter_becomes_an_ae_attendance() {
    let Ok([Record::AeAttendance(a)]) =
        <[Record; 1]>::try_from(records(Dataset::AeAttendances, BUNDLE))
    else {
        panic!("one A&E attendance")
    };
    assert_eq!(nhs(&a.subject), "9990000018");
    assert_eq!(a.arrived_at, datetime!(2025-09-13 22:40 UTC));
    assert_eq!(a.discharge_destination, "Home");
}

#[test]
fn the_same_resources_as_ndjson_read_the_same() {
    let bundle: serde_json::Value = serde_json::from_str(BUNDLE).unwrap();
    let ndjson: String = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let mut r = e["resource"].clone();
            // NDJSON has no fullUrl: refer to the Patient by its id instead.
            if let Some(p) = r.get_mut("participant") {
                p[0]["actor"]["reference"] = serde_json::json!("Patient/p1");
            }
            format!("{r}\n")
        })
        .collect();
    for dataset in [
        Dataset::Registrations,
        Dataset::Appointments,
        Dataset::AeAttendances,
    ] {
        let a = format!("{:?}", records(dataset, BUNDLE));
        let b = format!("{:?}", records(dataset, &ndjson));
        assert_eq!(a, b, "{}", dataset.name());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn damaged_fhir_never_panics_and_every_resource_is_accounted_for(
        cut in 0usize..BUNDLE.len(),
        noise in proptest::collection::vec(any::<u8>(), 0..40),
        which in 0usize..3,
    ) {
        let dataset = [Dataset::Registrations, Dataset::Appointments, Dataset::AeAttendances][which];
        let mut bytes = BUNDLE.as_bytes()[..cut].to_vec();
        bytes.extend_from_slice(&noise);
        bytes.extend_from_slice(&BUNDLE.as_bytes()[cut..]);
        let (mut seen, mut reasonless) = (0u64, 0u64);
        if let Ok(s) = read_fhir(dataset, bytes.as_slice(), None, date!(2026 - 11 - 24), |_, r| {
            seen += 1;
            reasonless += r.err().is_some_and(|e| e.is_empty()) as u64;
        }) {
            prop_assert_eq!(reasonless, 0, "a resource was rejected without a reason");
            prop_assert_eq!(s.rows, seen);
            prop_assert_eq!(s.rows, s.valid + s.rejected);
        }
    }

    #[test]
    fn arbitrary_ndjson_lines_never_panic(lines in proptest::collection::vec("[{}\\[\\]\":,a-zA-Z0-9 .-]{0,80}", 0..20), which in 0usize..3) {
        let dataset = [Dataset::Registrations, Dataset::Appointments, Dataset::AeAttendances][which];
        let text = lines.join("\n");
        let _ = read_fhir(dataset, text.as_bytes(), None, date!(2026 - 11 - 24), |_, _| {});
    }
}
