//! The neighbourhood as FHIR R4 NDJSON, the way a bulk export writes it: `Patient.ndjson`,
//! `Appointment.ndjson` and `Encounter.ndjson` (A&E attendances as emergency Encounters).
//! Appointments and Encounters name their patient by NHS number and their practice by ODS code,
//! so each file can be imported on its own.

use crate::model::{Appointment, Person};
use serde_json::{json, Value};
use time::{Date, PrimitiveDateTime};

const NHS: &str = "https://fhir.nhs.uk/Id/nhs-number";
const ODS: &str = "https://fhir.nhs.uk/Id/ods-organization-code";

fn date(d: Date) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    d.format(f).unwrap_or_default()
}

/// A local London time as a FHIR instant, in UTC.
fn instant(t: PrimitiveDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    together_core::uk_time::london_to_utc(t)
        .format(f)
        .unwrap_or_default()
}

fn patient_reference(p: &Person) -> Value {
    json!({ "type": "Patient", "identifier": { "system": NHS, "value": p.nhs_number } })
}

fn practice_reference(p: &Person) -> Value {
    json!({ "type": "Organization", "identifier": { "system": ODS, "value": p.ods_code } })
}

pub(crate) fn patient(p: &Person) -> Value {
    let mut period = json!({ "start": date(p.registered_from) });
    if let Some(to) = p.registered_to {
        period["end"] = json!(date(to));
    }
    let mut r = json!({
        "resourceType": "Patient",
        "id": p.nhs_number,
        "identifier": [{ "system": NHS, "value": p.nhs_number }],
        "name": [{ "use": "official", "family": p.family_name, "given": [p.given_name] }],
        "gender": match p.sex { "F" => "female", "M" => "male", "I" => "other", _ => "unknown" },
        "birthDate": date(p.date_of_birth),
        "telecom": [{ "system": "phone", "use": "mobile", "value": p.mobile }],
        "generalPractitioner": [practice_reference(p)],
        "extension": [{
            "url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-RegistrationDetails-1",
            "extension": [{ "url": "registrationPeriod", "valuePeriod": period }]
        }]
    });
    if let Some(d) = p.date_of_death {
        r["deceasedDateTime"] = json!(date(d));
    }
    r
}

/// An appointment; `Patient Walked Out` has no FHIR status and is written as `arrived`.
pub(crate) fn appointment(p: &Person, n: usize, a: &Appointment) -> Value {
    let (status, reason) = match a.status {
        "Finished" => ("fulfilled", None),
        "Did Not Attend" => ("noshow", None),
        "Cancelled by Patient" => ("cancelled", Some("pat")),
        "Cancelled by Unit" => ("cancelled", Some("prov")),
        "Booked" => ("booked", None),
        _ => ("arrived", None),
    };
    let mut r = json!({
        "resourceType": "Appointment",
        "id": format!("{}-{n}", p.nhs_number),
        "status": status,
        "created": instant(a.booked_at),
        "start": instant(a.starts_at),
        "serviceType": [{ "text": a.slot_type }],
        "extension": [{
            "url": "https://fhir.nhs.uk/StructureDefinition/Extension-GPConnect-DeliveryChannel-2",
            "valueCode": match a.mode { "Face to face" => "In-person", other => other }
        }],
        "participant": [
            { "actor": patient_reference(p), "status": "accepted" },
            { "type": [{ "text": a.clinician_role }], "actor": { "reference": "PractitionerRole/unknown" }, "status": "accepted" },
            { "actor": practice_reference(p), "status": "accepted" }
        ]
    });
    if let Some(code) = reason {
        r["cancelationReason"] = json!({
            "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason", "code": code }]
        });
    }
    r
}

pub(crate) fn ae_encounter(
    p: &Person,
    n: usize,
    at: PrimitiveDateTime,
    destination: &str,
) -> Value {
    json!({
        "resourceType": "Encounter",
        "id": format!("{}-ae-{n}", p.nhs_number),
        "status": "finished",
        "class": { "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "EMER" },
        "subject": patient_reference(p),
        "period": { "start": instant(at) },
        "hospitalization": { "dischargeDisposition": { "text": destination } }
    })
}
