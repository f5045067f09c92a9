//! The past connections CSV: the record a PCN kept of the people it connected before it had
//! Together (a link worker's log, a social prescribing spreadsheet), brought in with `together
//! connections import` so that the evaluation can look at that programme too. One row a
//! connection: NHS number, practice, the offer or service, the day connected and, if known, the
//! day it ended. NHS numbers are checked by Modulus 11 here and pseudonymised by the importer
//! before anything is written; every problem is reported with its line and column.

use crate::canonical::{read_rows, Parsed, ReadSummary};
use crate::fields::{resolve_practices, spreadsheet_columns, ColumnMap, Fields, RowError};
use crate::FileError;
use std::io::Read;
use time::{Date, OffsetDateTime};
use together_core::{NhsNumber, PracticeCode};

/// The columns; the first four are required.
pub const CONNECTION_COLUMNS: [&str; 5] = [
    "nhs_number",
    "practice",
    "offer",
    "connected_on",
    "ended_on",
];
const REQUIRED: usize = 4;

/// Other names spreadsheets give the same columns.
const ALIASES: [(&str, &str); 12] = [
    ("nhs_no", "nhs_number"),
    ("practice_code", "practice"),
    ("ods_code", "practice"),
    ("service", "offer"),
    ("service_name", "offer"),
    ("offer_name", "offer"),
    ("date_connected", "connected_on"),
    ("connected", "connected_on"),
    ("date", "connected_on"),
    ("date_ended", "ended_on"),
    ("ended", "ended_on"),
    ("end_date", "ended_on"),
];

/// Longest name of an offer or service kept.
pub const MAX_OFFER: usize = 200;

/// One valid row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastConnectionRow {
    pub nhs_number: NhsNumber,
    pub practice: PracticeCode,
    pub offer: String,
    pub connected_on: Date,
    pub ended_on: Option<Date>,
}

fn column_map(headers: &csv::StringRecord) -> Result<ColumnMap, FileError> {
    spreadsheet_columns(
        headers,
        "past connections",
        &CONNECTION_COLUMNS,
        REQUIRED,
        &ALIASES,
    )
}

/// A date as spreadsheets write it (2024-03-27 or 27/03/2024), or the reason it is not one.
fn date(f: &mut Fields<'_>, column: &'static str, required: bool) -> Option<Option<Date>> {
    f.date_as(
        column,
        required,
        together_core::people::parse_date,
        "2024-03-27 or 27/03/2024",
    )
}

fn parse(f: &mut Fields<'_>, today: Date) -> Option<Parsed<PastConnectionRow>> {
    let nhs_number = f.nhs_number();
    let practice = match f.required("practice").map(str::parse::<PracticeCode>) {
        Some(Ok(p)) => Some(p),
        Some(Err(e)) => {
            f.fail("practice", e.to_string());
            None
        }
        None => None,
    };
    let offer = f.required("offer").and_then(|o| {
        if o.chars().count() > MAX_OFFER {
            f.fail(
                "offer",
                format!("is longer than {MAX_OFFER} characters: give the offer's name"),
            );
            None
        } else {
            Some(o.to_owned())
        }
    });
    let connected_on = date(f, "connected_on", true).flatten();
    let ended_on = date(f, "ended_on", false);
    if let Some(on) = connected_on {
        if on > today {
            f.fail("connected_on", "is in the future");
        }
        if let Some(Some(end)) = ended_on {
            if end < on {
                f.fail("ended_on", "is before the day they were connected");
            }
        }
    }
    if !f.errors.is_empty() {
        return None;
    }
    Some(Parsed::Keep(PastConnectionRow {
        nhs_number: nhs_number?,
        practice: practice?,
        offer: offer?,
        connected_on: connected_on?,
        ended_on: ended_on?,
    }))
}

/// What a past connections CSV held.
#[derive(Debug, Default)]
pub struct PastConnectionsFile {
    /// Every valid row, with its line.
    pub rows: Vec<(u64, PastConnectionRow)>,
    /// Every problem of every rejected row.
    pub errors: Vec<RowError>,
    pub summary: ReadSummary,
}

/// Reads a past connections CSV, dates checked against `now`: every valid row with its line, and
/// every problem.
pub fn read_past_connections<R: Read>(
    input: R,
    now: OffsetDateTime,
) -> Result<PastConnectionsFile, FileError> {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let today = together_core::uk_time::london_date(now);
    let summary = read_rows(
        input,
        column_map,
        |f| parse(f, today),
        |line, row| match row {
            Ok(r) => rows.push((line, r)),
            Err(e) => errors.extend(e),
        },
    )?;
    Ok(PastConnectionsFile {
        rows,
        errors,
        summary,
    })
}

impl PastConnectionsFile {
    /// The rows, each practice checked to be one of the PCN's (`practices`); every problem of
    /// every row otherwise, in line order.
    pub fn resolve(
        self,
        practices: &[PracticeCode],
    ) -> Result<Vec<PastConnectionRow>, Vec<RowError>> {
        resolve_practices(self.rows, self.errors, |row| {
            if practices.contains(&row.practice) {
                Ok(row)
            } else {
                Err(row.practice.to_string())
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    const NOW: OffsetDateTime = datetime!(2026-12-07 09:00 UTC);

    #[test]
    fn each_bad_row_is_reported_with_its_line_column_and_reason() {
        let file = "NHS No,Practice code,Service,Date connected,Date ended\n\
                    999 000 0018,B99001,Singing for wellbeing,14/03/2024,\n\
                    9990000019,B99001,Walking group,2024-04-01,2024-03-01\n\
                    9990000026,Q,,31/02/2024,\n\
                    9990000034,B99001,Chair yoga,2027-01-01,\n\
                    9990000018,B99002,Chair yoga,2024-05-01,2024-09-01\n";
        let read = read_past_connections(file.as_bytes(), NOW).unwrap();
        assert_eq!(read.summary.rows, 5);
        let lines: Vec<u64> = read.rows.iter().map(|r| r.0).collect();
        assert_eq!(lines, [2, 6]);
        assert_eq!(read.rows[0].1.offer, "Singing for wellbeing");
        assert_eq!(read.rows[0].1.connected_on, date!(2024 - 03 - 14));
        assert_eq!(read.rows[1].1.ended_on, Some(date!(2024 - 09 - 01)));
        let got: Vec<(u64, &str)> = read
            .errors
            .iter()
            .map(|e| (e.line, e.column.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (3, "nhs_number"),
                (3, "ended_on"),
                (4, "practice"),
                (4, "offer"),
                (4, "connected_on"),
                (5, "connected_on"),
            ]
        );
        // A practice outside the PCN rejects its row too, with the others.
        let errors = read.resolve(&["B99001".parse().unwrap()]).unwrap_err();
        assert_eq!(errors.len(), 7);
        assert_eq!((errors[6].line, errors[6].column.as_str()), (6, "practice"));
    }

    #[test]
    fn a_spreadsheet_without_the_columns_is_refused_whole() {
        let err =
            read_past_connections("name,date\nDave,2024-01-01\n".as_bytes(), NOW).unwrap_err();
        assert!(matches!(err, FileError::UnknownLayout { .. }), "{err}");
    }
}
