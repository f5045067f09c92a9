//! Synthea CSV: `patients.csv`, `encounters.csv` and `conditions.csv`, in the older column set
//! (without FIPS and INCOME) and the newer one. Synthea has no NHS numbers and no practices, so
//! (docs/design.md, "Formats spoken") a person is known by their Synthea `Id` and belongs to the practice
//! that the organisation of most of their GP consultations is given to ([`Plan`]).
//!
//! What becomes what (docs/formats.md says the same for people importing):
//! - patients → registrations, registered from birth until death;
//! - encounters by the one rule of [`crate::encounters`] (the FHIR reader's too): wellness,
//!   ambulatory, outpatient, virtual and home → finished GP appointments; emergency and urgent
//!   care → A&E attendances; inpatient, hospice and skilled nursing are skipped;
//! - conditions whose SNOMED CT code is one Insight tracks ([`CONDITION_CODES`]) → conditions;
//!   the others (findings such as "Medication review due") are skipped.

use crate::canonical::{
    read_rows, AeAttendance, Appointment, Condition, Dataset, Parsed, ReadSummary, Record,
    Registration, Subject,
};
use crate::fields::{ColumnMap, Fields, RowError};
use crate::{FileError, Word};
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use time::Date;
use together_core::PracticeCode;

use crate::encounters::{classify, EncounterKind};

/// What a Synthea CSV encounter row counts as, by its class and its type (`CODE`).
fn kind_of(f: &mut Fields<'_>) -> Option<EncounterKind> {
    let code = f.text("CODE");
    classify(f.text("ENCOUNTERCLASS"), (!code.is_empty()).then_some(code))
}

/// The SNOMED CT codes Synthea's modules record, by the condition Insight tracks. Complications
/// ("disorder of kidney due to diabetes") count as the condition; findings and acute illnesses
/// are not long-term conditions and are skipped.
pub const CONDITION_CODES: [(&str, &[&str]); 10] = [
    ("hypertension", &["59621000", "38341003"]),
    (
        "diabetes",
        &[
            "44054006",
            "46635009",
            "73211009",
            "127013003",
            "90781000119102",
            "157141000119108",
            "368581000119106",
            "422034002",
            "1551000119108",
            "1501000119109",
            "97331000119101",
        ],
    ),
    ("asthma", &["195967001", "233678006"]),
    ("copd", &["13645005", "185086009", "87433001"]),
    (
        "coronary_heart_disease",
        &[
            "53741008",
            "414545008",
            "22298006",
            "401314000",
            "401303003",
            "399211009",
            "399261000",
        ],
    ),
    ("depression", &["35489007", "370143000", "36923009"]),
    ("anxiety", &["197480006", "80583007"]),
    (
        "cancer",
        &[
            "363346000",
            "254837009",
            "109838007",
            "363406005",
            "93761005",
            "94260004",
            "254637007",
            "254632001",
            "424132000",
            "126906006",
            "92691004",
        ],
    ),
    ("dementia", &["52448006", "26929004", "230265002"]),
    (
        "severe_mental_illness",
        &["69322001", "58214004", "13746004", "191736004"],
    ),
];

/// The condition a Synthea code is evidence of, if Insight tracks it.
pub fn condition_of(code: &str) -> Option<&'static str> {
    CONDITION_CODES
        .iter()
        .find(|(_, codes)| codes.contains(&code))
        .map(|(name, _)| *name)
}

/// The three files of a Synthea export, and the dataset each row becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyntheaFile {
    /// `patients.csv` → registrations.
    Patients,
    /// `encounters.csv`, its GP consultations → appointments.
    GpEncounters,
    /// `encounters.csv`, its emergency and urgent care → A&E attendances.
    AeEncounters,
    /// `conditions.csv` → conditions.
    Conditions,
}

impl SyntheaFile {
    pub const ALL: [SyntheaFile; 4] = [
        SyntheaFile::Patients,
        SyntheaFile::GpEncounters,
        SyntheaFile::AeEncounters,
        SyntheaFile::Conditions,
    ];

    pub fn file_name(self) -> &'static str {
        match self {
            SyntheaFile::Patients => "patients.csv",
            SyntheaFile::GpEncounters | SyntheaFile::AeEncounters => "encounters.csv",
            SyntheaFile::Conditions => "conditions.csv",
        }
    }

    pub fn dataset(self) -> Dataset {
        match self {
            SyntheaFile::Patients => Dataset::Registrations,
            SyntheaFile::GpEncounters => Dataset::Appointments,
            SyntheaFile::AeEncounters => Dataset::AeAttendances,
            SyntheaFile::Conditions => Dataset::Conditions,
        }
    }

    /// The columns Together reads; any others (FIPS, INCOME, costs …) are ignored, which is
    /// how both column sets are read.
    fn columns(self) -> &'static [&'static str] {
        match self {
            SyntheaFile::Patients => &["Id", "BIRTHDATE", "DEATHDATE", "FIRST", "LAST", "GENDER"],
            SyntheaFile::GpEncounters | SyntheaFile::AeEncounters => &[
                "Id",
                "START",
                "PATIENT",
                "ORGANIZATION",
                "ENCOUNTERCLASS",
                "CODE",
            ],
            SyntheaFile::Conditions => &["START", "PATIENT", "CODE", "DESCRIPTION"],
        }
    }
}

fn column_map(file: SyntheaFile, headers: &csv::StringRecord) -> Result<ColumnMap, FileError> {
    let mut map = ColumnMap::default();
    for wanted in file.columns() {
        if let Some(i) = headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(wanted))
        {
            map.insert(wanted, i);
        }
    }
    if map.len() < file.columns().len() {
        return Err(FileError::UnknownLayout {
            dataset: file.file_name(),
            found: headers
                .iter()
                .map(|h| h.trim())
                .collect::<Vec<_>>()
                .join(", "),
            expected: format!("Synthea's columns, at least {}", file.columns().join(", ")),
        });
    }
    Ok(map)
}

/// What a first pass over `patients.csv` and `encounters.csv` finds: everyone's Synthea Id and
/// how many GP consultations each had with each organisation.
#[derive(Debug, Default)]
pub struct Survey {
    /// Patient Id → (organisation → GP consultations), for every patient in `patients.csv`.
    patients: HashMap<String, HashMap<String, u64>>,
}

impl Survey {
    /// Reads the Ids in `patients.csv`; rows in error are left for the import to report.
    pub fn read_patients<R: Read>(&mut self, input: R) -> Result<(), FileError> {
        let file = SyntheaFile::Patients;
        read_rows(
            input,
            |h| column_map(file, h),
            |f| {
                if let Some(id) = f.required("Id") {
                    self.patients.entry(id.to_owned()).or_default();
                }
                Some(Parsed::<Record>::Skip)
            },
            |_, _| {},
        )
        .map(|_| ())
    }

    /// Counts each known patient's GP consultations by organisation.
    pub fn read_encounters<R: Read>(&mut self, input: R) -> Result<(), FileError> {
        let file = SyntheaFile::GpEncounters;
        read_rows(
            input,
            |h| column_map(file, h),
            |f| {
                if kind_of(f) == Some(EncounterKind::GpAppointment) {
                    let (patient, org) = (f.text("PATIENT"), f.text("ORGANIZATION"));
                    if let Some(orgs) = self.patients.get_mut(patient) {
                        *orgs.entry(org.to_owned()).or_default() += 1;
                    }
                }
                Some(Parsed::<Record>::Skip)
            },
            |_, _| {},
        )
        .map(|_| ())
    }

    /// Gives each organisation to a practice, the organisation with most people first and the
    /// practices in turn, and so each person to a practice. People with no GP consultation at
    /// all go to the practice of the largest organisation.
    pub fn plan(&self, practices: &[PracticeCode]) -> Option<Plan> {
        let first = practices.first()?;
        let main_org = |orgs: &HashMap<String, u64>| {
            orgs.iter()
                .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                .map(|(org, _)| org.clone())
        };
        let mut people_by_org: BTreeMap<String, u64> = BTreeMap::new();
        let mains: HashMap<&String, Option<String>> = self
            .patients
            .iter()
            .map(|(id, orgs)| {
                let main = main_org(orgs);
                if let Some(org) = &main {
                    *people_by_org.entry(org.clone()).or_default() += 1;
                }
                (id, main)
            })
            .collect();
        let mut orgs: Vec<(String, u64)> = people_by_org.into_iter().collect();
        orgs.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let organisations: Vec<(String, u64, PracticeCode)> = orgs
            .into_iter()
            .zip(practices.iter().cycle())
            .map(|((org, people), practice)| (org, people, practice.clone()))
            .collect();
        let default = organisations
            .first()
            .map(|o| o.2.clone())
            .unwrap_or_else(|| first.clone());
        let practice_of_org: HashMap<&str, &PracticeCode> = organisations
            .iter()
            .map(|(org, _, p)| (org.as_str(), p))
            .collect();
        let people = mains
            .into_iter()
            .map(|(id, main)| {
                let practice = main
                    .as_deref()
                    .and_then(|o| practice_of_org.get(o).copied())
                    .unwrap_or(&default);
                (id.clone(), practice.clone())
            })
            .collect();
        Some(Plan {
            people,
            organisations,
        })
    }
}

/// Who belongs to which practice, decided once for the whole export.
#[derive(Debug, Clone)]
pub struct Plan {
    people: HashMap<String, PracticeCode>,
    /// Each organisation that is someone's main one: its Synthea Id, how many people, and the
    /// practice it was given to.
    pub organisations: Vec<(String, u64, PracticeCode)>,
}

impl Plan {
    pub fn people(&self) -> usize {
        self.people.len()
    }

    /// What went to one practice: how many Synthea organisations, and how many people.
    pub fn given_to(&self, practice: &PracticeCode) -> (usize, u64) {
        self.organisations
            .iter()
            .filter(|(_, _, p)| p == practice)
            .fold((0, 0), |(orgs, people), (_, n, _)| (orgs + 1, people + n))
    }

    /// A stable description of the plan, so that importing the same export onto the same
    /// practices is recognised as the same import.
    pub fn fingerprint(&self) -> String {
        self.organisations
            .iter()
            .map(|(org, n, p)| format!("{org}={p}:{n}"))
            .collect::<Vec<_>>()
            .join(";")
    }
}

fn patient(
    f: &mut Fields<'_>,
    plan: &Plan,
    column: &'static str,
) -> Option<(Subject, PracticeCode)> {
    let id = f.required(column)?;
    match plan.people.get(id) {
        Some(practice) => Some((Subject::Synthea(id.to_owned()), practice.clone())),
        None => {
            f.fail(column, format!("'{id}' is not a patient in patients.csv"));
            None
        }
    }
}

fn parse(file: SyntheaFile, f: &mut Fields<'_>, plan: &Plan, today: Date) -> Option<Parsed> {
    match file {
        SyntheaFile::Patients => {
            let who = patient(f, plan, "Id");
            let given = f.required("FIRST").map(str::to_owned);
            let family = f.required("LAST").map(str::to_owned);
            let dob = f.date("BIRTHDATE", true).flatten();
            let death = f.date("DEATHDATE", false);
            let sex = f.one_of("GENDER", &["F", "M"]);
            if dob.is_some_and(|d| d > today) {
                f.fail("BIRTHDATE", "is in the future");
            }
            if let (Some(b), Some(Some(d))) = (dob, death) {
                if d < b {
                    f.fail("DEATHDATE", "is before BIRTHDATE");
                }
            }
            let (subject, ods_code) = who?;
            let date_of_death = death?;
            Some(Parsed::Keep(Record::Registration(Registration {
                subject,
                ods_code,
                given_name: given?,
                family_name: family?,
                date_of_birth: dob?,
                sex: sex?,
                mobile: None,
                imd_quintile: None,
                lsoa: None,
                registered_from: dob?,
                registered_to: date_of_death,
                date_of_death,
                opt_out: false,
            })))
        }
        SyntheaFile::GpEncounters | SyntheaFile::AeEncounters => {
            let class = f.required("ENCOUNTERCLASS")?.to_ascii_lowercase();
            let wanted = if file == SyntheaFile::GpEncounters {
                EncounterKind::GpAppointment
            } else {
                EncounterKind::AeAttendance
            };
            if kind_of(f) != Some(wanted) {
                return Some(Parsed::Skip);
            }
            let who = patient(f, plan, "PATIENT");
            let start = f.utc_datetime("START");
            let (subject, ods_code) = who?;
            let start = start?;
            Some(Parsed::Keep(if file == SyntheaFile::GpEncounters {
                Record::Appointment(Appointment {
                    subject,
                    ods_code,
                    booked_at: start,
                    starts_at: start,
                    status: "Finished",
                    slot_type: Word::new(&class),
                    clinician_role: Word::new("GP"),
                    mode: Word::new(if class == "virtual" {
                        "Video"
                    } else {
                        "Face to face"
                    }),
                })
            } else {
                Record::AeAttendance(AeAttendance {
                    subject,
                    arrived_at: start,
                    discharge_destination: "Not recorded".to_owned(),
                })
            }))
        }
        SyntheaFile::Conditions => {
            let code = f.required("CODE")?;
            let Some(condition) = condition_of(code) else {
                return Some(Parsed::Skip);
            };
            let code = code.to_owned();
            let who = patient(f, plan, "PATIENT");
            let on = f.date("START", true).flatten();
            let (subject, _) = who?;
            Some(Parsed::Keep(Record::Condition(Condition {
                subject,
                condition: condition.to_owned(),
                code,
                recorded_on: on?,
            })))
        }
    }
}

/// Reads one Synthea file as one dataset, giving each row that dataset takes (valid or not) with
/// its line to `on_row`; rows it does not take are counted as skipped. Whole-file refusals are
/// those of the canonical files.
pub fn read_synthea<R: Read>(
    file: SyntheaFile,
    input: R,
    plan: &Plan,
    today: Date,
    on_row: impl FnMut(u64, Result<Record, Vec<RowError>>),
) -> Result<ReadSummary, FileError> {
    read_rows(
        input,
        |h| column_map(file, h),
        |f| parse(file, f, plan, today),
        on_row,
    )
}
