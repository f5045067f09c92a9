//! The people CSV: the spreadsheet a PCN keeps today of the people it supports (a link
//! worker's caseload, a social prescribing list), brought in with `together people import`.
//! Each row is checked by the same rules as the "Add a person" form, NHS numbers by Modulus 11;
//! a rejected row is reported with its line, column and reason. Headers are matched whatever
//! their case, with spaces or hyphens for underscores, and a few names spreadsheets use
//! ("First name", "Surname", "DOB", "NHS No").

use crate::canonical::{read_rows, Parsed, ReadSummary};
use crate::fields::{resolve_practices, spreadsheet_columns, ColumnMap, Fields, RowError};
use crate::FileError;
use std::io::Read;
use time::OffsetDateTime;
use together_core::people::{ConsentMethod, ConsentPurpose, NewPerson, PersonForm};
use together_core::{PracticeCode, PracticeId};

/// The columns; the first five are required.
pub const PEOPLE_COLUMNS: [&str; 13] = [
    "given_name",
    "family_name",
    "date_of_birth",
    "practice",
    "contact_preference",
    "phone",
    "email",
    "nhs_number",
    "what_matters",
    "consent_contact",
    "consent_share_with_champions",
    "consent_wellbeing_follow_up",
    "consent_method",
];
const REQUIRED: usize = 5;

/// Other names spreadsheets give the same columns.
const ALIASES: [(&str, &str); 8] = [
    ("first_name", "given_name"),
    ("forename", "given_name"),
    ("surname", "family_name"),
    ("last_name", "family_name"),
    ("dob", "date_of_birth"),
    ("nhs_no", "nhs_number"),
    ("practice_code", "practice"),
    ("what_matters_to_them", "what_matters"),
];

/// One valid row; the practice is found among the PCN's by [`PeopleFile::resolve`].
#[derive(Debug, Clone)]
pub struct PersonRow {
    pub person: NewPerson,
    pub practice: PracticeCode,
    pub consents: Vec<ConsentPurpose>,
    pub method: Option<ConsentMethod>,
}

fn column_map(headers: &csv::StringRecord) -> Result<ColumnMap, FileError> {
    spreadsheet_columns(headers, "people", &PEOPLE_COLUMNS, REQUIRED, &ALIASES)
}

/// The form field a core rule names, as the column of this file.
fn column_of(field: &str) -> &str {
    match field {
        "practice_id" => "practice",
        other => other,
    }
}

/// Yes or no, as spreadsheets say it; empty is no.
fn yes(f: &mut Fields<'_>, column: &'static str) -> Option<bool> {
    match f.text(column).to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "1" => Some(true),
        "" | "no" | "n" | "false" | "0" => Some(false),
        _ => {
            f.fail(column, "must be yes or no");
            None
        }
    }
}

fn parse(f: &mut Fields<'_>, now: OffsetDateTime) -> Option<Parsed<PersonRow>> {
    let form = PersonForm {
        given_name: f.text("given_name").to_owned(),
        family_name: f.text("family_name").to_owned(),
        date_of_birth: f.text("date_of_birth").to_owned(),
        // Found among the PCN's practices later; a stand-in meanwhile for the form's rules.
        practice_id: PracticeId::from(uuid::Uuid::nil()).to_string(),
        contact_preference: f
            .text("contact_preference")
            .to_ascii_lowercase()
            .replace(' ', "_"),
        phone: f.text("phone").to_owned(),
        email: f.text("email").to_owned(),
        nhs_number: f.text("nhs_number").to_owned(),
        what_matters: f.text("what_matters").to_owned(),
    };
    let practice = match f.required("practice").map(str::parse::<PracticeCode>) {
        Some(Ok(p)) => Some(p),
        Some(Err(e)) => {
            f.fail("practice", e.to_string());
            None
        }
        None => None,
    };
    let mut consents = Vec::new();
    let mut answered = true;
    for (column, purpose) in [
        ("consent_contact", ConsentPurpose::Contact),
        (
            "consent_share_with_champions",
            ConsentPurpose::ShareWithChampions,
        ),
        (
            "consent_wellbeing_follow_up",
            ConsentPurpose::WellbeingFollowUp,
        ),
    ] {
        match yes(f, column) {
            Some(true) => consents.push(purpose),
            Some(false) => {}
            None => answered = false,
        }
    }
    let method = match f.text("consent_method").to_ascii_lowercase().as_str() {
        "" => None,
        m => match m.parse::<ConsentMethod>() {
            Ok(m) => Some(m),
            Err(()) => {
                f.fail("consent_method", "must be verbal, written or online");
                answered = false;
                None
            }
        },
    };
    if !consents.is_empty() && method.is_none() && answered {
        f.fail(
            "consent_method",
            "say how they agreed (verbal, written or online)",
        );
        answered = false;
    }
    let person = match form.parse(now) {
        Ok(p) => Some(p),
        Err(errors) => {
            for e in errors {
                f.fail(column_of(e.field), e.message);
            }
            None
        }
    };
    answered.then_some(())?;
    Some(Parsed::Keep(PersonRow {
        person: person?,
        practice: practice?,
        consents,
        method,
    }))
}

/// What a people CSV held.
#[derive(Debug, Default)]
pub struct PeopleFile {
    /// Every valid row, with its line.
    pub rows: Vec<(u64, PersonRow)>,
    /// Every problem of every rejected row.
    pub errors: Vec<RowError>,
    pub summary: ReadSummary,
}

/// Reads a people CSV, dates of birth checked against `now`: every valid row with its line,
/// and every problem.
pub fn read_people<R: Read>(input: R, now: OffsetDateTime) -> Result<PeopleFile, FileError> {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let summary = read_rows(
        input,
        column_map,
        |f| parse(f, now),
        |line, row| match row {
            Ok(r) => rows.push((line, r)),
            Err(e) => errors.extend(e),
        },
    )?;
    Ok(PeopleFile {
        rows,
        errors,
        summary,
    })
}

impl PeopleFile {
    /// The rows with their practices found among the PCN's (`practices`: code and id); every
    /// problem of every row otherwise, in line order.
    pub fn resolve(
        self,
        practices: &[(PracticeCode, PracticeId)],
    ) -> Result<Vec<PersonRow>, Vec<RowError>> {
        resolve_practices(self.rows, self.errors, |mut row| {
            match practices.iter().find(|(c, _)| *c == row.practice) {
                Some((_, id)) => {
                    row.person.practice_id = *id;
                    Ok(row)
                }
                None => Err(row.practice.to_string()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-12-03 09:00 UTC);

    #[test]
    fn each_bad_row_is_reported_with_its_line_column_and_reason() {
        let file = "First name,Surname,DOB,Practice code,contact_preference,phone,email,NHS No,what_matters,consent_contact,consent_method\n\
                    Florence,Ashworth,27/03/1933,B99001,phone,07700 900982,,999 000 0018,Singing again,yes,verbal\n\
                    Mabel,Price,31/02/1950,B99001,text,,,999 000 0019,,yes,\n\
                    Arthur,Hale,1/4/1948,Q,letter,,,,,maybe,\n";
        let PeopleFile {
            rows,
            errors,
            summary,
        } = read_people(file.as_bytes(), NOW).unwrap();
        assert_eq!(summary.rows, 3);
        assert_eq!(rows.len(), 1);
        let (line, florence) = &rows[0];
        assert_eq!(*line, 2);
        assert_eq!(florence.person.what_matters, "Singing again");
        assert_eq!(florence.consents, [ConsentPurpose::Contact]);
        assert_eq!(florence.method, Some(ConsentMethod::Verbal));
        assert!(florence.person.nhs_number.is_some());
        let got: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.column.as_str())).collect();
        assert_eq!(
            got,
            [
                (3, "consent_method"),
                (3, "date_of_birth"),
                (3, "phone"),
                (3, "nhs_number"),
                (4, "practice"),
                (4, "consent_contact"),
            ]
        );
    }

    #[test]
    fn a_practice_not_of_the_pcn_rejects_its_row_by_line() {
        let file = "given_name,family_name,date_of_birth,practice,contact_preference\n\
                    Florence,Ashworth,1933-03-27,B99001,in person\n\
                    Mabel,Price,1950-02-01,B99002,letter\n";
        let read = read_people(file.as_bytes(), NOW).unwrap();
        assert!(read.errors.is_empty(), "{:?}", read.errors);
        let ours = PracticeId::new();
        let errors = read
            .resolve(&[("B99001".parse().unwrap(), ours)])
            .unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].line, errors[0].column.as_str()), (3, "practice"));
    }

    #[test]
    fn a_file_without_the_required_columns_is_refused_whole() {
        let err = read_people("name,phone\nDave,07700 900123\n".as_bytes(), NOW).unwrap_err();
        assert!(matches!(err, FileError::UnknownLayout { .. }), "{err}");
    }
}
