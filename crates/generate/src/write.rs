//! Writing the canonical CSVs of docs/design.md, "Formats spoken" (the contract in docs/formats.md), Synthea
//! CSV or FHIR R4 NDJSON, plus manifest.json with the parameters. Files are written under temporary names and renamed only
//! when complete, so a stopped run never leaves a dataset that looks whole.

use crate::fhir;
use crate::model::{attended, person, practices, Params, ParamsError, Person, TestNumbers};
use serde::Serialize;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use thiserror::Error;
use time::{Date, PrimitiveDateTime};

#[derive(Debug, Error)]
pub enum GenerateError {
    #[error(transparent)]
    Params(#[from] ParamsError),
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("planted connections are written only with the canonical CSVs (--format csv)")]
    PlantFormat,
}

/// The planted connections' file, written beside the canonical CSVs when connections are
/// planted: who was connected, to what and on which day (what a practice's team would have
/// recorded) — the layout `together connections import` reads.
pub const PLANTED_CONNECTIONS: &str = "connections.csv";
const PLANTED_HEADER: [&str; 4] = ["nhs_number", "ods_code", "connected_on", "offer"];
/// What the planted connections were to.
pub const PLANTED_OFFER: &str = "Social prescribing";

/// The people of a neighbourhood, in order, as they are written: for tests that need the
/// truth behind the files (a planted connection's untreated attendance).
pub fn people(params: &Params) -> Result<impl Iterator<Item = Person>, ParamsError> {
    params.check()?;
    let practices = practices(params);
    let params = params.clone();
    Ok(TestNumbers::new()
        .take(params.patients as usize)
        .enumerate()
        .map(move |(index, nhs)| person(&params, &practices, index as u64, nhs)))
}

/// What was generated.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub people: u64,
    pub appointments: u64,
    pub ae_attendances: u64,
    pub conditions: u64,
    /// Planted connections (none unless asked for).
    pub connections: u64,
}

/// The canonical files and their headers.
const CANONICAL: [(&str, &[&str]); 4] = [
    (
        "registrations.csv",
        &[
            "nhs_number",
            "ods_code",
            "given_name",
            "family_name",
            "date_of_birth",
            "sex",
            "mobile",
            "imd_quintile",
            "registered_from",
            "registered_to",
            "date_of_death",
            "opt_out",
        ],
    ),
    (
        "conditions.csv",
        &["nhs_number", "condition", "code", "recorded_on"],
    ),
    (
        "appointments.csv",
        &[
            "nhs_number",
            "ods_code",
            "booked_at",
            "starts_at",
            "status",
            "slot_type",
            "clinician_role",
            "mode",
        ],
    ),
    (
        "ae_attendances.csv",
        &["nhs_number", "arrived_at", "discharge_destination"],
    ),
];

/// Synthea's files in its newer column set (the columns Together reads, and FIPS and INCOME).
const SYNTHEA: [(&str, &[&str]); 3] = [
    (
        "patients.csv",
        &[
            "Id",
            "BIRTHDATE",
            "DEATHDATE",
            "FIRST",
            "LAST",
            "GENDER",
            "FIPS",
            "INCOME",
        ],
    ),
    (
        "conditions.csv",
        &[
            "START",
            "STOP",
            "PATIENT",
            "ENCOUNTER",
            "CODE",
            "DESCRIPTION",
        ],
    ),
    (
        "encounters.csv",
        &[
            "Id",
            "START",
            "STOP",
            "PATIENT",
            "ORGANIZATION",
            "PROVIDER",
            "PAYER",
            "ENCOUNTERCLASS",
            "CODE",
            "DESCRIPTION",
        ],
    ),
];

/// Which files to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// The canonical CSVs of docs/formats.md.
    #[default]
    Canonical,
    /// Synthea CSV (patients, encounters, conditions): no NHS numbers, practices as
    /// organisations, only appointments that happened, times in UTC.
    Synthea,
    /// FHIR R4 NDJSON: Patient, Appointment and Encounter (A&E) resources; no conditions,
    /// deprivation or opt-outs, which FHIR does not carry here.
    Fhir,
}

/// The FHIR files: NDJSON has no header.
const FHIR: [(&str, &[&str]); 3] = [
    ("Patient.ndjson", &[]),
    ("Appointment.ndjson", &[]),
    ("Encounter.ndjson", &[]),
];

/// Where one file's rows go.
enum Sink {
    Csv(Box<csv::Writer<BufWriter<File>>>),
    Lines(BufWriter<File>),
}

impl Sink {
    /// One resource a line.
    fn resource(&mut self, value: &serde_json::Value) -> std::io::Result<()> {
        use std::io::Write;
        match self {
            Sink::Lines(w) => {
                serde_json::to_writer(&mut *w, value)?;
                w.write_all(b"\n")
            }
            Sink::Csv(_) => Err(std::io::Error::other("a CSV file takes records")),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        use std::io::Write;
        match self {
            Sink::Csv(w) => w.flush(),
            Sink::Lines(w) => w.flush(),
        }
    }
}

/// A Synthea-style id for a person (Synthea has no NHS numbers).
fn synthea_id(nhs: &str) -> String {
    format!("00000000-0000-4000-8000-00{nhs}")
}

/// A Synthea-style id for a practice's organisation.
fn organisation_id(ods: &str) -> String {
    let digits: String = ods.chars().filter(char::is_ascii_digit).collect();
    format!("00000000-0000-4000-9000-{digits:0>12}")
}

/// A local time as Synthea writes times: UTC, with a Z.
fn utc(t: PrimitiveDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    together_core::uk_time::london_to_utc(t)
        .format(f)
        .unwrap_or_default()
}

fn date(d: Date) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    d.format(f).unwrap_or_default()
}

/// Local (Europe/London) wall-clock time, as practices' systems record it.
fn datetime(t: PrimitiveDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    t.format(f).unwrap_or_default()
}

fn partial(out: &Path, name: &str) -> PathBuf {
    out.join(format!(".{name}.partial"))
}

/// Generates the neighbourhood into `out`, calling `progress` with the number of people done.
pub fn generate(
    params: &Params,
    out: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<Summary, GenerateError> {
    generate_as(params, Format::Canonical, out, progress)
}

/// Generates the neighbourhood into `out` in the given format.
pub fn generate_as(
    params: &Params,
    format: Format,
    out: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<Summary, GenerateError> {
    let files: &[(&str, &[&str])] = match format {
        Format::Canonical => &CANONICAL,
        Format::Synthea => &SYNTHEA,
        Format::Fhir => &FHIR,
    };
    params.check()?;
    if params.plant.is_some() && format != Format::Canonical {
        return Err(GenerateError::PlantFormat);
    }
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| GenerateError::Io { path, source }
    };
    std::fs::create_dir_all(out).map_err(io(out))?;
    let mut writers = Vec::new();
    for (name, header) in files {
        let path = partial(out, name);
        let file = BufWriter::with_capacity(1 << 20, File::create(&path).map_err(io(&path))?);
        writers.push(if format == Format::Fhir {
            Sink::Lines(file)
        } else {
            let mut w = csv::Writer::from_writer(file);
            w.write_record(*header)?;
            Sink::Csv(Box::new(w))
        });
    }
    let mut planted = match params.plant {
        Some(_) => {
            let path = partial(out, PLANTED_CONNECTIONS);
            let file = File::create(&path).map_err(io(&path))?;
            let mut w = csv::Writer::from_writer(BufWriter::new(file));
            w.write_record(PLANTED_HEADER)?;
            Some(w)
        }
        None => None,
    };
    let mut summary = Summary::default();
    for (index, p) in people(params)?.enumerate() {
        let index = index as u64;
        if let (Some(w), Some(c)) = (&mut planted, &p.connected) {
            w.write_record([
                p.nhs_number.as_str(),
                &p.ods_code,
                &date(c.connected_on),
                PLANTED_OFFER,
            ])?;
            summary.connections += 1;
        }
        let appointments_written = match (format, &mut writers[..]) {
            (
                Format::Canonical,
                [Sink::Csv(reg), Sink::Csv(cond), Sink::Csv(appt), Sink::Csv(ae)],
            ) => {
                let quintile = p.imd_quintile.to_string();
                reg.write_record([
                    p.nhs_number.as_str(),
                    &p.ods_code,
                    p.given_name,
                    p.family_name,
                    &date(p.date_of_birth),
                    p.sex,
                    &p.mobile,
                    &quintile,
                    &date(p.registered_from),
                    &p.registered_to.map(date).unwrap_or_default(),
                    &p.date_of_death.map(date).unwrap_or_default(),
                    if p.opt_out { "true" } else { "false" },
                ])?;
                for (name, code, on) in &p.conditions {
                    cond.write_record([p.nhs_number.as_str(), name, code, &date(*on)])?;
                }
                for a in &p.appointments {
                    appt.write_record([
                        p.nhs_number.as_str(),
                        &p.ods_code,
                        &datetime(a.booked_at),
                        &datetime(a.starts_at),
                        a.status,
                        a.slot_type,
                        a.clinician_role,
                        a.mode,
                    ])?;
                }
                for (at, destination) in &p.ae {
                    ae.write_record([p.nhs_number.as_str(), &datetime(*at), destination])?;
                }
                p.appointments.len()
            }
            (Format::Synthea, [Sink::Csv(patients), Sink::Csv(cond), Sink::Csv(encounters)]) => {
                let id = synthea_id(&p.nhs_number);
                let org = organisation_id(&p.ods_code);
                patients.write_record([
                    id.as_str(),
                    &date(p.date_of_birth),
                    &p.date_of_death.map(date).unwrap_or_default(),
                    p.given_name,
                    p.family_name,
                    p.sex,
                    "",
                    "",
                ])?;
                for (name, code, on) in &p.conditions {
                    cond.write_record([&date(*on), "", id.as_str(), "", code, name])?;
                }
                // Synthea records what happened: attended appointments only.
                let attended = p.appointments.iter().filter(|a| attended(a.status));
                let mut written = 0;
                for (n, a) in attended.enumerate() {
                    written += 1;
                    let class = if matches!(a.mode, "Video" | "Telephone") {
                        "virtual"
                    } else {
                        "ambulatory"
                    };
                    let start = utc(a.starts_at);
                    encounters.write_record([
                        &format!("{id}-gp-{n}"),
                        &start,
                        &start,
                        id.as_str(),
                        &org,
                        "",
                        "",
                        class,
                        "185345009",
                        a.slot_type,
                    ])?;
                }
                for (n, (at, _)) in p.ae.iter().enumerate() {
                    let start = utc(*at);
                    encounters.write_record([
                        &format!("{id}-ae-{n}"),
                        &start,
                        &start,
                        id.as_str(),
                        "",
                        "",
                        "",
                        "emergency",
                        "50849002",
                        "Emergency room admission",
                    ])?;
                }
                written
            }
            (Format::Fhir, [patients, appointments, encounters]) => {
                let fail = |(name, _): (&str, &[&str])| io(&partial(out, name));
                patients
                    .resource(&fhir::patient(&p))
                    .map_err(fail(FHIR[0]))?;
                for (n, a) in p.appointments.iter().enumerate() {
                    appointments
                        .resource(&fhir::appointment(&p, n, a))
                        .map_err(fail(FHIR[1]))?;
                }
                for (n, (at, destination)) in p.ae.iter().enumerate() {
                    encounters
                        .resource(&fhir::ae_encounter(&p, n, *at, destination))
                        .map_err(fail(FHIR[2]))?;
                }
                p.appointments.len()
            }
            _ => unreachable!("the writers opened match the format"),
        };
        summary.people += 1;
        summary.conditions += p.conditions.len() as u64;
        summary.appointments += appointments_written as u64;
        summary.ae_attendances += p.ae.len() as u64;
        if index % 1000 == 999 {
            progress(summary.people);
        }
    }
    progress(summary.people);
    for mut w in writers {
        w.flush().map_err(io(out))?;
    }
    let mut names: Vec<&str> = files.iter().map(|f| f.0).collect();
    if let Some(mut w) = planted {
        w.flush().map_err(io(out))?;
        names.push(PLANTED_CONNECTIONS);
    }
    for name in names {
        let from = partial(out, name);
        std::fs::rename(&from, out.join(name)).map_err(io(&from))?;
    }
    let manifest = serde_json::json!({
        "generator": "together generate",
        "version": env!("CARGO_PKG_VERSION"),
        "format": match format { Format::Canonical => "canonical-csv", Format::Synthea => "synthea-csv", Format::Fhir => "fhir-r4-ndjson" },
        "parameters": params,
        "period": { "from": date(params.period_start()), "to": date(params.period_end()) },
        "practices": practices(params),
        "counts": summary,
        "model": {
            "consultation_rate": "base(age, sex) × (1 + conditions) × deprivation × persistent Gamma(shape 1.5, mean 1) × yearly Gamma(shape 1.8, mean 1); appointments ~ Poisson",
            "ae_rate": "0.22/year × age × deprivation × persistent Gamma(shape 0.3, mean 1) × yearly Gamma(shape 2, mean 1)",
            "nhs_numbers": "the never-issued test range 999 000 0000–999 999 9999",
            "planted_connections": "when asked for: on a random day between a year after the period starts and a year before it ends, each person registered then with at least 12 attended GP appointments in the 12 months before is connected with probability `share`; from that day their appointments and A&E attendances are kept with probability 1 + effect (or doubled with probability effect)",
            "times": "local Europe/London wall-clock time, YYYY-MM-DDTHH:MM:SS"
        }
    });
    let path = out.join("manifest.json");
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(&manifest).unwrap_or_default(),
    )
    .map_err(io(&path))?;
    Ok(summary)
}
