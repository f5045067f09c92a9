//! What an encounter counts as — a GP appointment, an A&E attendance, or neither — by one rule
//! for Synthea's CSV classes and FHIR's (HL7 v3 ActCode) classes, with the encounter's type
//! (SNOMED CT), so that the same people give the same counts from either export.
//!
//! Synthea's FHIR export gives wellness, ambulatory, outpatient and urgent care encounters the
//! one class `AMB`, and hospice and home visits `HH`; only the type tells urgent care (and a
//! hospice admission) apart. So, in both readers:
//! - A&E attendances: emergency (`EMER`), and urgent care (the CSV class `urgentcare`, or any
//!   encounter typed as an urgent care clinic): an urgent treatment centre's attendances are
//!   A&E attendances (type 3) in NHS England's statistics;
//! - GP appointments: wellness, ambulatory, outpatient, virtual and home (`AMB`, `VR`, `HH`),
//!   but not a hospice admission. Synthea's "outpatient" encounters are check-ups, vaccinations
//!   and consultations — practice work in a UK reading — and its FHIR cannot tell them apart;
//! - neither: inpatient, skilled nursing and hospice stays (`IMP`, and the rest).

/// What an encounter counts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncounterKind {
    GpAppointment,
    AeAttendance,
}

/// SNOMED CT 702927004 |Urgent care clinic|: the type of Synthea's urgent care encounters.
pub const URGENT_CARE: &str = "702927004";
/// SNOMED CT 305336008 |Admission to hospice|.
pub const HOSPICE_ADMISSION: &str = "305336008";

/// The rule, for a class in either vocabulary (any case) and the encounter's type code.
pub fn classify(class: &str, type_code: Option<&str>) -> Option<EncounterKind> {
    use EncounterKind::*;
    let class = class.to_ascii_lowercase();
    match (class.as_str(), type_code) {
        ("emergency" | "emer" | "urgentcare", _) => Some(AeAttendance),
        (_, Some(URGENT_CARE)) => Some(AeAttendance),
        (_, Some(HOSPICE_ADMISSION)) => None,
        (
            "ambulatory" | "wellness" | "outpatient" | "virtual" | "home" | "amb" | "vr" | "hh",
            _,
        ) => Some(GpAppointment),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EncounterKind::*;

    /// Each of Synthea's encounter classes, as its CSV names it and as its FHIR export codes it
    /// (HealthRecord.EncounterType), with the type Synthea gives it: the same answer both ways.
    #[test]
    fn a_synthea_encounter_counts_the_same_from_its_csv_and_its_fhir() {
        for (csv, fhir, code, want) in [
            ("wellness", "AMB", "162673000", Some(GpAppointment)),
            ("ambulatory", "AMB", "185347001", Some(GpAppointment)),
            ("outpatient", "AMB", "185349003", Some(GpAppointment)),
            ("urgentcare", "AMB", URGENT_CARE, Some(AeAttendance)),
            ("emergency", "EMER", "50849002", Some(AeAttendance)),
            ("virtual", "VR", "185345009", Some(GpAppointment)),
            ("home", "HH", "185345009", Some(GpAppointment)),
            ("hospice", "HH", HOSPICE_ADMISSION, None),
            ("inpatient", "IMP", "32485007", None),
            ("snf", "IMP", "449411000124106", None),
        ] {
            assert_eq!(classify(csv, Some(code)), want, "{csv}");
            assert_eq!(classify(fhir, Some(code)), want, "{fhir} {code}");
        }
        assert_eq!(classify("AMB", None), Some(GpAppointment));
        assert_eq!(classify("", None), None);
    }
}
