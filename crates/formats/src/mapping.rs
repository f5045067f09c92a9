//! Appointment exports as practices make them (EMIS Web, SystmOne …), read through a TOML
//! mapping: which of the export's columns holds each field, how its dates are written, and what
//! its status words mean in the OpenSAFELY vocabulary. The shipped mappings are in `mappings/`
//! and marked unverified until someone checks them against a real export.

use crate::canonical::{read_rows, Appointment, Parsed, ReadSummary, Record, Subject, STATUSES};
use crate::fields::{ColumnMap, Fields, RowError};
use crate::FileError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::Read;
use thiserror::Error;
use time::format_description::OwnedFormatItem;
use time::{Date, PrimitiveDateTime, Time};
use together_core::PracticeCode;

/// The mappings shipped with Together: (name for `--mapping`, TOML text).
pub const SHIPPED: [(&str, &str); 2] = [
    (
        "emis-web",
        include_str!("../../../mappings/emis-web-appointments.toml"),
    ),
    (
        "systmone",
        include_str!("../../../mappings/systmone-appointments.toml"),
    ),
];

/// Why a mapping file cannot be used.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum MappingError {
    #[error("the mapping is not valid TOML: {0}")]
    Toml(String),
    #[error("the mapping's {0} format '{1}' is not a format Together understands: {2}")]
    Format(&'static str, String, String),
    #[error("the mapping turns status '{0}' into '{1}', which is not one of: {all}", all = STATUSES.join(", "))]
    Status(String, String),
    #[error("the mapping reads {0} only; appointments are the one dataset read through mappings")]
    Dataset(String),
}

/// Which column holds each field. Optional ones may be left out of the export.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    pub nhs_number: String,
    /// Without it, the practice is given on the command line (`--practice`).
    pub ods_code: Option<String>,
    /// The appointment's date, or its date and time.
    pub date: String,
    /// Its start time, when in a column of its own.
    pub time: Option<String>,
    /// When it was booked (date, or date and time); without it, booked when it starts.
    pub booked_date: Option<String>,
    pub booked_time: Option<String>,
    pub status: String,
    pub slot_type: Option<String>,
    pub clinician_role: Option<String>,
    pub mode: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Formats {
    /// Accepted date formats (the `time` crate's format descriptions), tried in order.
    dates: Vec<String>,
    /// Accepted time formats, tried in order.
    times: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Defaults {
    slot_type: Option<String>,
    clinician_role: Option<String>,
    mode: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    name: String,
    verified: bool,
    #[serde(default)]
    note: String,
    dataset: String,
    columns: Columns,
    formats: Formats,
    #[serde(default)]
    defaults: Defaults,
    /// The export's status words → the OpenSAFELY vocabulary.
    status: BTreeMap<String, String>,
    /// The export's mode words → Together's (Face to face, Telephone, Video, Home visit).
    #[serde(default)]
    mode: BTreeMap<String, String>,
}

/// A checked mapping, ready to read exports with.
#[derive(Debug)]
pub struct Mapping {
    pub name: String,
    /// Whether someone has checked it against a real export.
    pub verified: bool,
    pub note: String,
    pub columns: Columns,
    dates: Vec<OwnedFormatItem>,
    times: Vec<OwnedFormatItem>,
    defaults: Defaults,
    status: Vec<(String, &'static str)>,
    mode: Vec<(String, String)>,
}

impl Mapping {
    /// A shipped mapping by its name, or `None`.
    pub fn shipped(name: &str) -> Option<Result<Mapping, MappingError>> {
        SHIPPED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, text)| Mapping::from_toml(text))
    }

    pub fn from_toml(text: &str) -> Result<Mapping, MappingError> {
        let file: MappingFile =
            toml::from_str(text).map_err(|e| MappingError::Toml(e.message().to_owned()))?;
        if file.dataset != "appointments" {
            return Err(MappingError::Dataset(file.dataset));
        }
        let parse = |kind: &'static str, list: &[String]| {
            list.iter()
                .map(|f| {
                    time::format_description::parse_owned::<2>(f)
                        .map_err(|e| MappingError::Format(kind, f.clone(), e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let mut status = Vec::new();
        for (word, target) in &file.status {
            match STATUSES.iter().find(|s| s.eq_ignore_ascii_case(target)) {
                Some(s) => status.push((word.trim().to_lowercase(), *s)),
                None => return Err(MappingError::Status(word.clone(), target.clone())),
            }
        }
        Ok(Mapping {
            dates: parse("date", &file.formats.dates)?,
            times: parse("time", &file.formats.times)?,
            name: file.name,
            verified: file.verified,
            note: file.note,
            columns: file.columns,
            defaults: file.defaults,
            status,
            mode: file
                .mode
                .into_iter()
                .map(|(k, v)| (k.trim().to_lowercase(), v))
                .collect(),
        })
    }

    /// Every (field, the export's column) pair this mapping reads.
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        let c = &self.columns;
        let optional = [
            ("ods_code", &c.ods_code),
            ("time", &c.time),
            ("booked_date", &c.booked_date),
            ("booked_time", &c.booked_time),
            ("slot_type", &c.slot_type),
            ("clinician_role", &c.clinician_role),
            ("mode", &c.mode),
        ];
        [
            ("nhs_number", c.nhs_number.as_str()),
            ("date", c.date.as_str()),
            ("status", c.status.as_str()),
        ]
        .into_iter()
        .chain(
            optional
                .into_iter()
                .filter_map(|(f, col)| col.as_deref().map(|c| (f, c))),
        )
        .collect()
    }

    /// The export's name for one of Together's fields, for rejection reports.
    fn column_of(&self, field: &str) -> String {
        self.pairs()
            .into_iter()
            .find(|(f, _)| *f == field)
            .map(|(_, c)| c.to_owned())
            .unwrap_or_else(|| field.to_owned())
    }

    fn column_map(&self, headers: &csv::StringRecord) -> Result<ColumnMap, FileError> {
        let mut map = ColumnMap::default();
        let mut missing = Vec::new();
        for (field, column) in self.pairs() {
            match headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(column.trim()))
            {
                Some(i) => {
                    map.insert(field, i);
                }
                None => missing.push(column),
            }
        }
        if !missing.is_empty() {
            return Err(FileError::UnknownLayout {
                dataset: "appointments",
                found: headers.iter().map(str::trim).collect::<Vec<_>>().join(", "),
                expected: format!(
                    "the columns of the mapping '{}', which lacks {}",
                    self.name,
                    missing.join(", ")
                ),
            });
        }
        Ok(map)
    }

    fn date(&self, text: &str) -> Option<Date> {
        self.dates.iter().find_map(|f| Date::parse(text, f).ok())
    }

    fn time(&self, text: &str) -> Option<Time> {
        self.times.iter().find_map(|f| Time::parse(text, f).ok())
    }

    /// A date and time from one column (date, date and time) or two; midnight when there is
    /// no time at all.
    fn datetime(
        &self,
        f: &mut Fields<'_>,
        date: &'static str,
        time: &'static str,
    ) -> Option<PrimitiveDateTime> {
        let d = f.required(date)?;
        let t = f.text(time);
        let parsed = if t.is_empty() {
            match d.split_once([' ', 'T']) {
                Some((day, clock)) => self
                    .date(day)
                    .zip(self.time(clock.trim()))
                    .map(|(d, t)| d.with_time(t)),
                None => self.date(d).map(|d| d.midnight()),
            }
        } else {
            match (self.date(d), self.time(t)) {
                (Some(d), Some(t)) => Some(d.with_time(t)),
                (None, _) => None,
                (Some(_), None) => {
                    f.fail(time, format!("'{t}' is not a time like 09:30"));
                    return None;
                }
            }
        };
        if parsed.is_none() {
            f.fail(date, format!("'{d}' is not a date like 17/01/2025"));
        }
        parsed
    }

    fn parse(&self, f: &mut Fields<'_>, practice: Option<&PracticeCode>) -> Option<Parsed> {
        let nhs = f.nhs_number();
        let ods = if self.columns.ods_code.is_some() {
            f.ods_code()
        } else {
            practice.cloned()
        };
        let starts = self.datetime(f, "date", "time");
        // Walk-ins and telephone triage often have no booking: booked when they start.
        let booked = if self.columns.booked_date.is_some() && !f.text("booked_date").is_empty() {
            self.datetime(f, "booked_date", "booked_time")
        } else {
            starts
        };
        let status = f.required("status").and_then(|s| {
            let word = s.to_lowercase();
            let found = self
                .status
                .iter()
                .find(|(w, _)| *w == word)
                .map(|(_, s)| *s)
                .or_else(|| STATUSES.iter().find(|x| x.eq_ignore_ascii_case(s)).copied());
            if found.is_none() {
                f.fail(
                    "status",
                    format!(
                        "'{s}' is not a status the mapping '{}' knows (add it to its [status] table)",
                        self.name
                    ),
                );
            }
            found
        });
        let or_default = |f: &mut Fields<'_>, field: &'static str, default: &Option<String>| {
            let v = f.text(field);
            if v.is_empty() {
                default.clone().unwrap_or_else(|| "Not recorded".to_owned())
            } else {
                v.to_owned()
            }
        };
        let slot_type = or_default(f, "slot_type", &self.defaults.slot_type);
        let clinician_role = or_default(f, "clinician_role", &self.defaults.clinician_role);
        let mode_word = or_default(f, "mode", &self.defaults.mode);
        let mode = self
            .mode
            .iter()
            .find(|(w, _)| *w == mode_word.to_lowercase())
            .map(|(_, m)| m.clone())
            .unwrap_or(mode_word);
        let (starts, booked) = (starts?, booked?);
        if booked > starts {
            f.fail("booked_date", "is after the appointment");
        }
        Some(Parsed::Keep(Record::Appointment(Appointment {
            subject: Subject::Nhs(nhs?),
            ods_code: ods?,
            booked_at: together_core::uk_time::london_to_utc(booked),
            starts_at: together_core::uk_time::london_to_utc(starts),
            status: status?,
            slot_type: slot_type.into(),
            clinician_role: clinician_role.into(),
            mode: mode.into(),
        })))
    }
}

/// Reads an appointment export through `mapping`, like [`crate::read`] reads a canonical file;
/// rejected rows name the export's own columns. `practice` is every row's practice when the
/// export has no practice column.
pub fn read_mapped<R: Read>(
    mapping: &Mapping,
    input: R,
    practice: Option<&PracticeCode>,
    mut on_row: impl FnMut(u64, Result<Record, Vec<RowError>>),
) -> Result<ReadSummary, FileError> {
    read_rows(
        input,
        |h| mapping.column_map(h),
        |f| mapping.parse(f, practice),
        |line, row| {
            on_row(
                line,
                row.map_err(|errors| {
                    errors
                        .into_iter()
                        .map(|mut e| {
                            if !e.column.is_empty() {
                                e.column = mapping.column_of(&e.column);
                            }
                            e
                        })
                        .collect()
                }),
            )
        },
    )
}
