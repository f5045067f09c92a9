//! The champions CSV: the spreadsheet a PCN keeps of its champions today, brought into
//! Together (`together champions import`) and written back out (`export`). Each row is checked
//! by the same rules as the expression-of-interest form; a rejected row is reported with its
//! line, column and reason.

use crate::canonical::{read_rows, Parsed, ReadSummary};
use crate::fields::{resolve_practices, ColumnMap, Fields, RowError};
use crate::FileError;
use std::io::Read;
use together_core::champions::{InterestForm, NewInterest, Stage};
use together_core::{PracticeCode, PracticeId};

/// The columns, in the order `export` writes them. The first three are required.
pub const CHAMPION_COLUMNS: [&str; 11] = [
    "given_name",
    "family_name",
    "contact_preference",
    "phone",
    "email",
    "practice",
    "interests",
    "availability",
    "skills",
    "consent_to_contact",
    "stage",
];
const REQUIRED: usize = 3;

/// One valid row.
#[derive(Debug, Clone)]
pub struct ChampionRow {
    /// Their details; the practice is resolved against the PCN's by the caller.
    pub interest: NewInterest,
    pub practice: Option<PracticeCode>,
    pub stage: Stage,
}

fn column_map(headers: &csv::StringRecord) -> Result<ColumnMap, FileError> {
    let names: Vec<String> = headers
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let mut map = ColumnMap::default();
    let mut unknown = false;
    for (i, name) in names.iter().enumerate() {
        match CHAMPION_COLUMNS.iter().find(|c| **c == name.as_str()) {
            Some(c) if !map.contains_key(c) => {
                map.insert(c, i);
            }
            _ => unknown = true,
        }
    }
    if unknown
        || CHAMPION_COLUMNS[..REQUIRED]
            .iter()
            .any(|c| !map.contains_key(c))
    {
        return Err(FileError::UnknownLayout {
            dataset: "champions",
            found: names.join(", "),
            expected: CHAMPION_COLUMNS.join(", "),
        });
    }
    Ok(map)
}

/// The form field a core rule names, as the column of this file.
fn column_of(field: &str) -> &str {
    match field {
        "practice_id" => "practice",
        "consent" => "consent_to_contact",
        other => other,
    }
}

fn parse(f: &mut Fields<'_>) -> Option<Parsed<ChampionRow>> {
    let list = |v: &str| -> Vec<String> {
        v.split(';')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let consent = f.text("consent_to_contact");
    let form = InterestForm {
        given_name: f.text("given_name").to_owned(),
        family_name: f.text("family_name").to_owned(),
        phone: f.text("phone").to_owned(),
        email: f.text("email").to_owned(),
        contact_preference: f.text("contact_preference").to_ascii_lowercase(),
        practice_id: String::new(),
        interests: list(f.text("interests")),
        skills: f.text("skills").to_owned(),
        availability: list(f.text("availability")),
        consent: matches!(consent.to_ascii_lowercase().as_str(), "yes" | "y" | "true"),
    };
    let practice = match f.text("practice") {
        "" => None,
        code => match code.parse::<PracticeCode>() {
            Ok(p) => Some(p),
            Err(e) => {
                f.fail("practice", e.to_string());
                None
            }
        },
    };
    let stage = match f.text("stage") {
        "" => Some(Stage::Interest),
        s => match s.to_ascii_lowercase().parse::<Stage>() {
            Ok(s) if Stage::IMPORTABLE.contains(&s) => Some(s),
            Ok(_) => {
                f.fail(
                    "stage",
                    "champions are imported at interest, conversation or references: record \
                     their DBS check in Together, then move them on",
                );
                None
            }
            Err(e) => {
                f.fail("stage", e);
                None
            }
        },
    };
    let interest = match form.parse() {
        Ok(i) => Some(i),
        Err(errors) => {
            for e in errors {
                f.fail(column_of(e.field), e.message);
            }
            None
        }
    };
    Some(Parsed::Keep(ChampionRow {
        interest: interest?,
        practice,
        stage: stage?,
    }))
}

/// What a champions CSV held.
#[derive(Debug, Default)]
pub struct ChampionsFile {
    /// Every valid row, with its line.
    pub rows: Vec<(u64, ChampionRow)>,
    /// Every problem of every rejected row.
    pub errors: Vec<RowError>,
    pub summary: ReadSummary,
}

/// Reads a champions CSV: every valid row with its line, and every problem.
pub fn read_champions<R: Read>(input: R) -> Result<ChampionsFile, FileError> {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let summary = read_rows(input, column_map, parse, |line, row| match row {
        Ok(r) => rows.push((line, r)),
        Err(e) => errors.extend(e),
    })?;
    Ok(ChampionsFile {
        rows,
        errors,
        summary,
    })
}

impl ChampionsFile {
    /// The rows ready for the store, with their home practices found among the PCN's
    /// (`practices`: code and id); every problem of every row otherwise, in line order.
    pub fn resolve(
        self,
        practices: &[(PracticeCode, PracticeId)],
    ) -> Result<Vec<(NewInterest, Stage)>, Vec<RowError>> {
        resolve_practices(self.rows, self.errors, |mut row| {
            if let Some(code) = &row.practice {
                match practices.iter().find(|(c, _)| c == code) {
                    Some((_, id)) => row.interest.practice_id = Some(*id),
                    None => return Err(code.to_string()),
                }
            }
            Ok((row.interest, row.stage))
        })
    }
}

/// One champion as `export` writes them, in [`CHAMPION_COLUMNS`] order.
pub struct ChampionLine<'a> {
    pub given_name: &'a str,
    pub family_name: &'a str,
    pub contact_preference: &'a str,
    pub phone: &'a str,
    pub email: &'a str,
    pub practice: &'a str,
    pub interests: &'a [String],
    pub availability: &'a [String],
    pub skills: &'a str,
    pub stage: &'a str,
}

/// Writes champions as the CSV `import` reads (consent is "yes": every record holds it).
pub fn write_champions<W: std::io::Write>(
    out: W,
    lines: &[ChampionLine<'_>],
) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(CHAMPION_COLUMNS)?;
    for c in lines {
        w.write_record([
            c.given_name,
            c.family_name,
            c.contact_preference,
            c.phone,
            c.email,
            c.practice,
            &c.interests.join(";"),
            &c.availability.join(";"),
            c.skills,
            "yes",
            c.stage,
        ])?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bad_row_is_reported_with_its_line_column_and_reason() {
        let file = "given_name,family_name,contact_preference,phone,email,practice,interests,consent_to_contact,stage\n\
                    Dave,Okafor,text,07700 900123,,B99001,walking;singing,yes,conversation\n\
                    ,Osei,email,,amara@example,B9901,walking,yes,\n\
                    Gareth,Price,phone,07700 900124,,,juggling,no,active\n";
        let ChampionsFile {
            rows,
            errors,
            summary,
        } = read_champions(file.as_bytes()).unwrap();
        assert_eq!(summary.rows, 3);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[0].1.stage, Stage::Conversation);
        assert_eq!(rows[0].1.interest.interests, ["walking", "singing"]);
        let got: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.column.as_str())).collect();
        assert_eq!(
            got,
            [
                (3, "practice"),
                (3, "given_name"),
                (3, "email"),
                (4, "stage"),
                (4, "interests"),
                (4, "interests"),
                (4, "consent_to_contact"),
            ]
        );
    }

    #[test]
    fn a_file_without_the_required_columns_is_refused_whole() {
        let err = read_champions("name,phone\nDave,07700 900123\n".as_bytes()).unwrap_err();
        assert!(matches!(err, FileError::UnknownLayout { .. }), "{err}");
        assert!(matches!(
            read_champions("given_name,family_name,contact_preference\nDave,Okafor".as_bytes()),
            Err(FileError::Truncated)
        ));
        // Without its final newline, a last line with every column is whole.
        assert!(read_champions(
            "given_name,family_name,contact_preference\nDave,Okafor,text".as_bytes()
        )
        .is_ok());
    }
}
