//! FHIR R4 (UK Core): a Bundle, or NDJSON (one resource a line, as a FHIR bulk export writes
//! it), of Patient, Appointment and Encounter resources. Each import reads one dataset from the
//! file and skips the resources that are not of it:
//!
//! - registrations ← Patient (the NHS number identifier; the practice from `generalPractitioner`
//!   by ODS code; registered over the GP Connect `RegistrationDetails` extension's
//!   `registrationPeriod`, or from birth when the Patient has none);
//! - appointments ← Appointment, and the Encounters that name no Appointment (an Encounter of
//!   a booked appointment is already counted by it) and are GP appointments by the one rule of
//!   [`crate::encounters`] (ambulatory, virtual and home, but not urgent care or a hospice
//!   admission);
//! - A&E attendances ← the Encounters that are A&E attendances by that rule (emergency, and
//!   urgent care by its type).
//!
//! An Appointment or Encounter names its patient by the NHS number on the reference
//! (`identifier`), or by a reference to a Patient earlier in the same file. Its practice is the
//! one given with `--practice`, or an ODS code on a participant (Appointment) or the service
//! provider (Encounter), or the practice of that Patient. Every choice is in docs/formats.md.
//!
//! A Bundle is read entry by entry, never whole, so a large one stays in bounded memory; a
//! rejected entry's line is the line its entry starts on.

use crate::canonical::{
    AeAttendance, Appointment, Dataset, ReadSummary, Record, Registration, Subject,
};
use crate::fields::{RowError, MAX_FIELD};
use crate::{FileError, Word};
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::cell::Cell;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::rc::Rc;
use time::{Date, OffsetDateTime, PrimitiveDateTime};
use together_core::{NhsNumber, PracticeCode};

/// The identifier system of NHS numbers.
pub const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";
/// The identifier system of ODS organisation codes (a practice's code).
pub const ODS_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
/// The identifier system Synthea gives its people (it has no NHS numbers).
pub const SYNTHEA_SYSTEM: &str = "https://github.com/synthetichealth/synthea";

/// Longest line of NDJSON taken: a resource this large is a mistake, not an appointment.
const MAX_LINE: u64 = 16 << 20;

/// Who and where, for the resources that name a Patient by reference.
#[derive(Clone)]
struct Known {
    subject: Subject,
    practice: Option<PracticeCode>,
}

/// Reads `dataset` from a FHIR R4 Bundle or NDJSON file, giving each resource of it (valid or
/// not) with its line to `on_row`, in order; `practice` is every row's practice when given.
/// A file that is not UTF-8, is cut short or is not FHIR JSON is refused whole.
pub fn read_fhir<R: Read>(
    dataset: Dataset,
    input: R,
    practice: Option<&PracticeCode>,
    today: Date,
    on_row: impl FnMut(u64, Result<Record, Vec<RowError>>),
) -> Result<ReadSummary, FileError> {
    let mut reader = FhirReader {
        dataset,
        practice,
        today,
        known: HashMap::new(),
        summary: ReadSummary::default(),
        on_row,
    };
    let mut input = BufReader::with_capacity(1 << 20, input);
    // The first line tells the two apart: NDJSON's is a whole resource.
    let mut first = Vec::new();
    let mut line = 0u64;
    while first.iter().all(u8::is_ascii_whitespace) {
        first.clear();
        line += 1;
        if read_line(&mut input, &mut first, line)? == 0 {
            return Err(FileError::Empty);
        }
    }
    match serde_json::from_slice::<Value>(&first) {
        Ok(value) => {
            reader.ndjson_line(line, value);
            reader.ndjson(input, line)?;
        }
        Err(e) if e.is_eof() => {
            let lines = Rc::new(Cell::new(line - 1));
            let counted = CountLines {
                inner: std::io::Cursor::new(first).chain(input),
                lines: lines.clone(),
            };
            let mut de = serde_json::Deserializer::from_reader(counted);
            BundleSeed {
                reader: &mut reader,
                lines,
            }
            .deserialize(&mut de)
            .and_then(|()| de.end())
            .map_err(json_error)?;
        }
        Err(e) => return Err(json_error(e)),
    }
    Ok(reader.summary)
}

/// Reads one line (with its newline) into `buf`, refusing one that is too long.
fn read_line(input: &mut impl BufRead, buf: &mut Vec<u8>, line: u64) -> Result<usize, FileError> {
    let n = input
        .take(MAX_LINE + 1)
        .read_until(b'\n', buf)
        .map_err(|e| FileError::Unreadable(e.to_string()))?;
    if n as u64 > MAX_LINE {
        return Err(FileError::Unreadable(format!(
            "line {line} is longer than 16 MiB"
        )));
    }
    if std::str::from_utf8(buf).is_err() {
        return Err(FileError::NotUtf8 { line });
    }
    Ok(n)
}

fn json_error(e: serde_json::Error) -> FileError {
    if e.is_eof() {
        FileError::Truncated
    } else if e.to_string().contains("unicode") || e.to_string().contains("UTF-8") {
        FileError::NotUtf8 {
            line: e.line() as u64,
        }
    } else {
        FileError::Unreadable(format!("it is not FHIR JSON: {e}"))
    }
}

/// Counts the newlines read, so a Bundle's entries can be given their lines.
struct CountLines<R> {
    inner: R,
    lines: Rc<Cell<u64>>,
}

impl<R: Read> Read for CountLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let newlines = buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
        self.lines.set(self.lines.get() + newlines);
        Ok(n)
    }
}

struct FhirReader<'p, F> {
    dataset: Dataset,
    practice: Option<&'p PracticeCode>,
    today: Date,
    /// Patients seen so far, by `Patient/{id}` and by their Bundle `fullUrl`.
    known: HashMap<String, Known>,
    summary: ReadSummary,
    on_row: F,
}

/// What one resource is to this import.
enum Outcome {
    Keep(Record),
    Reject(Vec<RowError>),
    /// Not of this dataset (or entered in error): neither imported nor rejected.
    Skip,
}

impl<F: FnMut(u64, Result<Record, Vec<RowError>>)> FhirReader<'_, F> {
    fn ndjson(&mut self, mut input: impl BufRead, mut line: u64) -> Result<(), FileError> {
        let mut buf = Vec::new();
        loop {
            buf.clear();
            line += 1;
            if read_line(&mut input, &mut buf, line)? == 0 {
                return Ok(());
            }
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<Value>(&buf) {
                Ok(value) => self.ndjson_line(line, value),
                // A last line cut short is a file cut short.
                Err(e) if e.is_eof() && !buf.ends_with(b"\n") => return Err(FileError::Truncated),
                Err(e) => self.give(
                    line,
                    Outcome::Reject(vec![RowError {
                        line,
                        column: String::new(),
                        reason: format!("is not a FHIR resource in JSON: {e}"),
                    }]),
                ),
            }
        }
    }

    /// One NDJSON line: a resource, or a whole Bundle on one line.
    fn ndjson_line(&mut self, line: u64, value: Value) {
        if value.get("resourceType").and_then(Value::as_str) == Some("Bundle") {
            for entry in array(&value, "entry") {
                self.entry(line, entry);
            }
        } else {
            self.resource(line, None, &value);
        }
    }

    fn entry(&mut self, line: u64, entry: &Value) {
        let full_url = entry.get("fullUrl").and_then(Value::as_str);
        match entry.get("resource") {
            Some(resource) => self.resource(line, full_url, resource),
            None => self.give(
                line,
                Outcome::Reject(vec![RowError {
                    line,
                    column: "entry".into(),
                    reason: "has no resource".into(),
                }]),
            ),
        }
    }

    fn give(&mut self, line: u64, outcome: Outcome) {
        match outcome {
            Outcome::Skip => self.summary.skipped += 1,
            Outcome::Keep(record) => {
                self.summary.rows += 1;
                self.summary.valid += 1;
                (self.on_row)(line, Ok(record));
            }
            Outcome::Reject(errors) => {
                self.summary.rows += 1;
                self.summary.rejected += 1;
                (self.on_row)(line, Err(errors));
            }
        }
    }

    fn resource(&mut self, line: u64, full_url: Option<&str>, r: &Value) {
        let kind = r.get("resourceType").and_then(Value::as_str).unwrap_or("");
        let mut c = Checks {
            line,
            kind,
            errors: Vec::new(),
        };
        let outcome = match (kind, self.dataset) {
            ("", _) => {
                c.fail("resourceType", "is missing: this is not a FHIR resource");
                None
            }
            ("Patient", dataset) => {
                let registration = self.patient(&mut c, r);
                if let Some(reg) = registration.as_ref().filter(|_| c.errors.is_empty()) {
                    let known = Known {
                        subject: reg.subject.clone(),
                        practice: Some(reg.ods_code.clone()),
                    };
                    if let Some(id) = r.get("id").and_then(Value::as_str) {
                        self.known.insert(format!("Patient/{id}"), known.clone());
                    }
                    if let Some(url) = full_url {
                        self.known.insert(url.to_owned(), known);
                    }
                }
                match dataset {
                    Dataset::Registrations => registration.map(|r| Some(Record::Registration(r))),
                    // Only remembered: what is wrong with it is the registrations import's to say.
                    _ => {
                        c.errors.clear();
                        Some(None)
                    }
                }
            }
            ("Appointment", Dataset::Appointments) => self.appointment(&mut c, r),
            ("Encounter", Dataset::Appointments | Dataset::AeAttendances) => {
                self.encounter(&mut c, r)
            }
            _ => Some(None),
        };
        let outcome = match outcome {
            _ if !c.errors.is_empty() => Outcome::Reject(c.errors),
            Some(Some(record)) => Outcome::Keep(record),
            Some(None) => Outcome::Skip,
            None => Outcome::Reject(vec![RowError {
                line,
                column: kind.to_owned(),
                reason: "cannot be read".into(),
            }]),
        };
        self.give(line, outcome);
    }

    /// A Patient as a registration; `None` with the reasons in `c` when it cannot be one.
    fn patient(&self, c: &mut Checks<'_>, r: &Value) -> Option<Registration> {
        let subject = match identifier(r, NHS_NUMBER_SYSTEM) {
            Some(v) => c.nhs_number("identifier", v).map(Subject::Nhs),
            None => match identifier(r, SYNTHEA_SYSTEM) {
                Some(id) => c
                    .text("identifier", id)
                    .map(|id| Subject::Synthea(id.to_owned())),
                None => {
                    c.fail(
                        "identifier",
                        format!(
                            "has no NHS number (an identifier with system {NHS_NUMBER_SYSTEM})"
                        ),
                    );
                    None
                }
            },
        };
        let practice = match self.practice {
            Some(p) => Some(p.clone()),
            None => match array(r, "generalPractitioner")
                .iter()
                .find_map(|gp| reference_identifier(gp, ODS_SYSTEM))
            {
                Some(code) => c.ods_code("generalPractitioner", code),
                None => {
                    c.fail(
                        "generalPractitioner",
                        "names no practice by ODS code; import with --practice to say whose they are",
                    );
                    None
                }
            },
        };
        let names = array(r, "name");
        let name = names
            .iter()
            .find(|n| n.get("use").and_then(Value::as_str) == Some("official"))
            .or_else(|| names.first());
        let given = name
            .and_then(|n| array(n, "given").first())
            .and_then(Value::as_str)
            .and_then(|g| c.text("name", g));
        let family = name
            .and_then(|n| n.get("family"))
            .and_then(Value::as_str)
            .and_then(|f| c.text("name", f));
        if given.is_none() || family.is_none() {
            c.fail("name", "has no given and family name");
        }
        let birth = c.date("birthDate", r.get("birthDate"), true);
        let sex = match r.get("gender").and_then(Value::as_str) {
            Some("female") => "F",
            Some("male") => "M",
            Some("other") => "I",
            Some("unknown") | None => "U",
            Some(other) => {
                c.fail(
                    "gender",
                    format!("'{other}' is not one of: male, female, other, unknown"),
                );
                "U"
            }
        };
        let mobile = array(r, "telecom")
            .iter()
            .find(|t| {
                t.get("system").and_then(Value::as_str) == Some("phone")
                    && t.get("use").and_then(Value::as_str) == Some("mobile")
            })
            .and_then(|t| t.get("value"))
            .and_then(Value::as_str)
            .and_then(|m| c.text("telecom", m))
            .map(str::to_owned);
        let death = c.date("deceasedDateTime", r.get("deceasedDateTime"), false);
        let period = array(r, "extension")
            .iter()
            .filter(|e| url_of(e).is_some_and(|u| u.contains("RegistrationDetails")))
            .flat_map(|e| array(e, "extension"))
            .find(|e| url_of(e) == Some("registrationPeriod"))
            .and_then(|e| e.get("valuePeriod"));
        let from = match period {
            Some(p) => c.date("registrationPeriod.start", p.get("start"), true),
            None => birth,
        };
        let to = period.and_then(|p| c.date("registrationPeriod.end", p.get("end"), false));
        if let Some(b) = birth {
            if b > self.today {
                c.fail("birthDate", "is in the future");
            }
            if from.is_some_and(|f| f < b) {
                c.fail("registrationPeriod.start", "is before the date of birth");
            }
        }
        if let (Some(f), Some(t)) = (from, to) {
            if t < f {
                c.fail("registrationPeriod.end", "is before its start");
            }
        }
        Some(Registration {
            subject: subject?,
            ods_code: practice?,
            given_name: given?.to_owned(),
            family_name: family?.to_owned(),
            date_of_birth: birth?,
            sex,
            mobile,
            imd_quintile: None,
            lsoa: None,
            registered_from: from?,
            registered_to: to.or(death),
            date_of_death: death,
            opt_out: false,
        })
    }

    /// Who a reference names: by NHS number, or a Patient earlier in the file.
    fn subject(
        &self,
        c: &mut Checks<'_>,
        column: &str,
        reference: Option<&Value>,
    ) -> Option<Known> {
        let Some(reference) = reference else {
            c.fail(column, "names no patient");
            return None;
        };
        if let Some(v) = reference_identifier(reference, NHS_NUMBER_SYSTEM) {
            return c.nhs_number(column, v).map(|n| Known {
                subject: Subject::Nhs(n),
                practice: None,
            });
        }
        let target = reference
            .get("reference")
            .and_then(Value::as_str)
            .unwrap_or("");
        match self.known.get(target) {
            Some(known) => Some(known.clone()),
            None => {
                let target = clip(target);
                c.fail(
                    column,
                    format!("names its patient by a reference Together cannot follow ('{target}'): give the NHS number as the reference's identifier, or put the Patient earlier in the same file"),
                );
                None
            }
        }
    }

    /// The practice of a row: `--practice`, an ODS code the resource gives, or its patient's.
    fn practice_of(
        &self,
        c: &mut Checks<'_>,
        column: &str,
        given: Option<&str>,
        patient: Option<&Known>,
    ) -> Option<PracticeCode> {
        if let Some(p) = self.practice {
            return Some(p.clone());
        }
        if let Some(code) = given {
            return c.ods_code(column, code);
        }
        match patient.map(|p| p.practice.clone()) {
            Some(Some(p)) => Some(p),
            Some(None) => {
                c.fail(column, "names no practice by ODS code, and the patient's practice is not in the file; import with --practice to say whose it is");
                None
            }
            None => None,
        }
    }

    fn appointment(&self, c: &mut Checks<'_>, r: &Value) -> Option<Option<Record>> {
        let status = match r.get("status").and_then(Value::as_str) {
            Some("entered-in-error") => return Some(None),
            Some(s) => appointment_status(s, r).or_else(|| {
                c.fail(
                    "status",
                    format!("'{}' is not an Appointment status of FHIR R4", clip(s)),
                );
                None
            }),
            None => {
                c.fail("status", "is missing");
                None
            }
        };
        let participants = array(r, "participant");
        let is_patient = |p: &&Value| {
            let actor = p.get("actor");
            actor
                .and_then(|a| a.get("reference"))
                .and_then(Value::as_str)
                .is_some_and(|s| s.starts_with("Patient/") || self.known.contains_key(s))
                || actor.and_then(|a| a.get("type")).and_then(Value::as_str) == Some("Patient")
                || actor.is_some_and(|a| reference_identifier(a, NHS_NUMBER_SYSTEM).is_some())
        };
        let patient = participants.iter().find(is_patient);
        let known = self.subject(c, "participant", patient.and_then(|p| p.get("actor")));
        let ods = participants
            .iter()
            .filter_map(|p| p.get("actor"))
            .find_map(|a| reference_identifier(a, ODS_SYSTEM));
        let practice = self.practice_of(c, "participant", ods, known.as_ref());
        let starts = c.instant("start", r.get("start"), true);
        let created = c.instant("created", r.get("created"), false);
        let slot = ["serviceType", "appointmentType", "serviceCategory"]
            .iter()
            .find_map(|k| match r.get(*k) {
                Some(Value::Array(a)) => a.first().and_then(concept),
                Some(v) => concept(v),
                None => None,
            });
        let role = participants
            .iter()
            .filter(|p| !is_patient(p))
            .filter(|p| {
                p.get("actor")
                    .and_then(|a| a.get("reference"))
                    .and_then(Value::as_str)
                    .is_some_and(|s| s.starts_with("Practitioner"))
            })
            .find_map(|p| {
                array(p, "type")
                    .first()
                    .and_then(|t| t.get("text"))
                    .and_then(Value::as_str)
            });
        let mode = array(r, "extension")
            .iter()
            .find(|e| {
                url_of(e).is_some_and(|u| {
                    u.ends_with("DeliveryChannel") || u.contains("DeliveryChannel-")
                })
            })
            .and_then(|e| e.get("valueCode").or_else(|| e.get("valueString")))
            .and_then(Value::as_str)
            .map(|m| match m {
                "In-person" => "Face to face",
                other => other,
            });
        let slot = c.text_or("serviceType", slot);
        let role = c.text_or("participant.type", role);
        let mode = c.text_or("extension", mode);
        let starts = starts??;
        Some(Some(Record::Appointment(Appointment {
            subject: known?.subject,
            ods_code: practice?,
            booked_at: created.flatten().map_or(starts, |b| b.min(starts)),
            starts_at: starts,
            status: status?,
            slot_type: slot?.into(),
            clinician_role: role?.into(),
            mode: mode?.into(),
        })))
    }

    fn encounter(&self, c: &mut Checks<'_>, r: &Value) -> Option<Option<Record>> {
        let class = r
            .get("class")
            .and_then(|k| k.get("code"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let status = r.get("status").and_then(Value::as_str).unwrap_or("");
        let type_code = array(r, "type").first().and_then(|t| {
            array(t, "coding")
                .iter()
                .find_map(|c| c.get("code").and_then(Value::as_str))
        });
        let kind = crate::encounters::classify(class, type_code);
        let wanted = match self.dataset {
            Dataset::Appointments => {
                kind == Some(crate::encounters::EncounterKind::GpAppointment)
                    && array(r, "appointment").is_empty()
            }
            _ => kind == Some(crate::encounters::EncounterKind::AeAttendance),
        };
        if !wanted || status == "entered-in-error" {
            return Some(None);
        }
        let known = self.subject(c, "subject", r.get("subject"));
        let start = c.instant(
            "period.start",
            r.get("period").and_then(|p| p.get("start")),
            true,
        );
        if self.dataset == Dataset::AeAttendances {
            let destination = r
                .get("hospitalization")
                .and_then(|h| h.get("dischargeDisposition"))
                .and_then(concept);
            let destination = c.text_or("hospitalization.dischargeDisposition", destination);
            return Some(Some(Record::AeAttendance(AeAttendance {
                subject: known?.subject,
                arrived_at: start??,
                discharge_destination: destination?,
            })));
        }
        let status = match encounter_status(status) {
            Some(s) => Some(s),
            None => {
                c.fail(
                    "status",
                    format!("'{}' says nothing Together can count", clip(status)),
                );
                None
            }
        };
        let ods = r
            .get("serviceProvider")
            .and_then(|p| reference_identifier(p, ODS_SYSTEM));
        let practice = self.practice_of(c, "serviceProvider", ods, known.as_ref());
        let slot = array(r, "type").first().and_then(concept);
        let role = array(r, "participant").iter().find_map(|p| {
            array(p, "type")
                .first()
                .and_then(|t| t.get("text"))
                .and_then(Value::as_str)
        });
        let slot = c.text_or("type", slot);
        let role = c.text_or("participant.type", role);
        let start = start??;
        Some(Some(Record::Appointment(Appointment {
            subject: known?.subject,
            ods_code: practice?,
            booked_at: start,
            starts_at: start,
            status: status?,
            slot_type: slot?.into(),
            clinician_role: role?.into(),
            mode: Word::new(match class {
                "VR" => "Telephone or video",
                "HH" => "Home visit",
                _ => "Face to face",
            }),
        })))
    }
}

/// An Appointment's status in the OpenSAFELY vocabulary; a cancellation's reason (FHIR's
/// appointment-cancellation-reason codes) says by whom.
fn appointment_status(status: &str, r: &Value) -> Option<&'static str> {
    Some(match status {
        "proposed" | "pending" => "Requested",
        "booked" => "Booked",
        "arrived" | "checked-in" => "Arrived",
        "fulfilled" => "Finished",
        "noshow" => "Did Not Attend",
        "waitlist" => "Waiting",
        "cancelled" => {
            let reason = r
                .get("cancelationReason")
                .and_then(|c| array(c, "coding").first().cloned())
                .and_then(|c| c.get("code").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_default();
            match reason.as_str() {
                "pat-dec" => "Cancelled Due To Death",
                r if r.starts_with("pat") => "Cancelled by Patient",
                r if r.starts_with("oth") => "Cancelled by Other Service",
                _ => "Cancelled by Unit",
            }
        }
        _ => return None,
    })
}

fn encounter_status(status: &str) -> Option<&'static str> {
    Some(match status {
        "planned" => "Booked",
        "arrived" | "triaged" => "Arrived",
        "in-progress" | "onleave" => "In Progress",
        "finished" => "Finished",
        "cancelled" => "Cancelled by Unit",
        _ => return None,
    })
}

/// The problems of one resource, each named by its FHIR path.
struct Checks<'k> {
    line: u64,
    kind: &'k str,
    errors: Vec<RowError>,
}

impl Checks<'_> {
    fn fail(&mut self, element: &str, reason: impl Into<String>) {
        self.errors.push(RowError {
            line: self.line,
            column: match self.kind {
                "" => element.to_owned(),
                kind => format!("{kind}.{element}"),
            },
            reason: reason.into(),
        });
    }

    /// Text no longer than any field may be.
    fn text<'v>(&mut self, element: &str, v: &'v str) -> Option<&'v str> {
        let v = v.trim();
        if v.chars().count() > MAX_FIELD {
            self.fail(element, format!("is longer than {MAX_FIELD} characters"));
            return None;
        }
        Some(v)
    }

    /// Optional text, "Not recorded" when absent.
    fn text_or(&mut self, element: &str, v: Option<&str>) -> Option<String> {
        match v.map(str::trim).filter(|v| !v.is_empty()) {
            Some(v) => self.text(element, v).map(str::to_owned),
            None => Some("Not recorded".to_owned()),
        }
    }

    fn nhs_number(&mut self, element: &str, v: &str) -> Option<NhsNumber> {
        match v.parse::<NhsNumber>() {
            Ok(n) => Some(n),
            Err(e) => {
                self.fail(element, format!("is not a valid NHS number: {e}"));
                None
            }
        }
    }

    fn ods_code(&mut self, element: &str, v: &str) -> Option<PracticeCode> {
        match v.trim().parse::<PracticeCode>() {
            Ok(c) => Some(c),
            Err(_) => {
                let v = clip(v);
                self.fail(
                    element,
                    format!("'{v}' is not a practice ODS code (a letter and five digits)"),
                );
                None
            }
        }
    }

    /// A FHIR date (or the date of a dateTime); `None` when wrong, `Some(None)`-like absence
    /// as `None` without a complaint when not required.
    fn date(&mut self, element: &str, v: Option<&Value>, required: bool) -> Option<Date> {
        let Some(v) = v.and_then(Value::as_str) else {
            if required {
                self.fail(element, "is missing");
            }
            return None;
        };
        let f = time::macros::format_description!("[year]-[month]-[day]");
        match v.get(..10).map(|d| Date::parse(d, f)) {
            Some(Ok(d)) => Some(d),
            _ => {
                let v = clip(v);
                self.fail(element, format!("'{v}' is not a full date like 2025-03-27"));
                None
            }
        }
    }

    /// A FHIR instant or dateTime, in UTC; one without an offset is Europe/London time.
    /// `Some(None)` when absent and not required; `None` when wrong.
    fn instant(
        &mut self,
        element: &str,
        v: Option<&Value>,
        required: bool,
    ) -> Option<Option<OffsetDateTime>> {
        let Some(v) = v.and_then(Value::as_str) else {
            if required {
                self.fail(element, "is missing");
                return None;
            }
            return Some(None);
        };
        if let Ok(t) = OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339) {
            return Some(Some(t.to_offset(time::UtcOffset::UTC)));
        }
        let local =
            time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
        match PrimitiveDateTime::parse(v, local) {
            Ok(t) => Some(Some(together_core::uk_time::london_to_utc(t))),
            Err(_) => {
                let v = clip(v);
                self.fail(
                    element,
                    format!("'{v}' is not a date and time like 2025-03-27T09:30:00+00:00"),
                );
                None
            }
        }
    }
}

/// A value quoted in a reason, cut to a readable length.
fn clip(v: &str) -> String {
    v.chars().take(60).collect()
}

fn array<'v>(v: &'v Value, key: &str) -> &'v [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn url_of(v: &Value) -> Option<&str> {
    v.get("url").and_then(Value::as_str)
}

/// The value of a resource's identifier in `system`.
fn identifier<'v>(r: &'v Value, system: &str) -> Option<&'v str> {
    array(r, "identifier")
        .iter()
        .find(|i| i.get("system").and_then(Value::as_str) == Some(system))
        .and_then(|i| i.get("value"))
        .and_then(Value::as_str)
}

/// The value of a reference's logical identifier in `system`.
fn reference_identifier<'v>(reference: &'v Value, system: &str) -> Option<&'v str> {
    let i = reference.get("identifier")?;
    (i.get("system").and_then(Value::as_str) == Some(system))
        .then(|| i.get("value").and_then(Value::as_str))
        .flatten()
}

/// A CodeableConcept in words: its text, else its first coding's display, else its code.
fn concept(v: &Value) -> Option<&str> {
    v.get("text").and_then(Value::as_str).or_else(|| {
        let coding = array(v, "coding").first()?;
        coding
            .get("display")
            .or_else(|| coding.get("code"))
            .and_then(Value::as_str)
    })
}

/// A Bundle, read entry by entry as the parser reaches each.
struct BundleSeed<'r, 'p, F> {
    reader: &'r mut FhirReader<'p, F>,
    lines: Rc<Cell<u64>>,
}

impl<'de, F: FnMut(u64, Result<Record, Vec<RowError>>)> DeserializeSeed<'de>
    for BundleSeed<'_, '_, F>
{
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, F: FnMut(u64, Result<Record, Vec<RowError>>)> Visitor<'de> for BundleSeed<'_, '_, F> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a FHIR Bundle")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut kind: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "resourceType" => kind = Some(map.next_value()?),
                "entry" => map.next_value_seed(Entries {
                    reader: &mut *self.reader,
                    lines: self.lines.clone(),
                })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        match kind.as_deref() {
            Some("Bundle") => Ok(()),
            other => Err(serde::de::Error::custom(format!(
                "the file holds one {} spread over several lines, where Together reads a Bundle or NDJSON (one resource a line)",
                other.unwrap_or("JSON object")
            ))),
        }
    }
}

struct Entries<'r, 'p, F> {
    reader: &'r mut FhirReader<'p, F>,
    lines: Rc<Cell<u64>>,
}

impl<'de, F: FnMut(u64, Result<Record, Vec<RowError>>)> DeserializeSeed<'de>
    for Entries<'_, '_, F>
{
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(u64, Result<Record, Vec<RowError>>)> Visitor<'de> for Entries<'_, '_, F> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the Bundle's entries")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some((line, entry)) = seq.next_element_seed(Entry(self.lines.clone()))? {
            self.reader.entry(line, &entry);
        }
        Ok(())
    }
}

/// One entry, with the line it starts on (the parser has just looked at its `{`).
struct Entry(Rc<Cell<u64>>);

impl<'de> DeserializeSeed<'de> for Entry {
    type Value = (u64, Value);
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(u64, Value), D::Error> {
        let line = self.0.get() + 1;
        serde::Deserialize::deserialize(d).map(|v| (line, v))
    }
}
