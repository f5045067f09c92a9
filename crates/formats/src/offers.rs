//! The offers spreadsheet a PCN keeps today (`together offers import FILE`): one row per offer,
//! with its schedule in the `schedule_*` columns. Read here column by column; the names in it
//! (categories, venue, role) are turned into the PCN's records, and every rule checked, by the
//! importer, which reports each problem with its line and column.

use crate::canonical::{read_rows, Parsed, ReadSummary};
use crate::fields::{ColumnMap, Fields, RowError};
use crate::FileError;
use std::io::Read;

/// The columns, in order; the first three are required.
pub const OFFER_COLUMNS: [&str; 27] = [
    "name",
    "description",
    "kind",
    "status",
    "categories",
    "eligibility",
    "minimum_age",
    "maximum_age",
    "venue",
    "capacity",
    "helpers_needed",
    "lead_role",
    "cost",
    "accessibility",
    "contact_name",
    "phone",
    "email",
    "url",
    "starts_on",
    "ends_on",
    "schedule_freq",
    "schedule_interval",
    "schedule_byday",
    "schedule_starts_on",
    "schedule_ends_on",
    "schedule_opens",
    "schedule_closes",
];
const REQUIRED: usize = 3;

/// One row: its line, and each column's value (trimmed, empty ones left out).
#[derive(Debug, Clone, Default)]
pub struct OfferRow {
    pub line: u64,
    pub values: Vec<(&'static str, String)>,
}

impl OfferRow {
    pub fn get(&self, column: &str) -> &str {
        self.values
            .iter()
            .find(|(c, _)| *c == column)
            .map_or("", |(_, v)| v.as_str())
    }
}

fn columns(headers: &csv::StringRecord) -> Result<ColumnMap, FileError> {
    let names: Vec<String> = headers
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let mut map = ColumnMap::default();
    let mut unknown = false;
    for (i, name) in names.iter().enumerate() {
        match OFFER_COLUMNS.iter().find(|c| **c == name.as_str()) {
            Some(c) if !map.contains_key(c) => {
                map.insert(c, i);
            }
            _ => unknown = true,
        }
    }
    if unknown
        || OFFER_COLUMNS[..REQUIRED]
            .iter()
            .any(|c| !map.contains_key(c))
    {
        return Err(FileError::UnknownLayout {
            dataset: "offers",
            found: names.join(", "),
            expected: OFFER_COLUMNS.join(", "),
        });
    }
    Ok(map)
}

fn parse(f: &mut Fields<'_>) -> Option<Parsed<OfferRow>> {
    let mut row = OfferRow {
        line: f.line,
        values: Vec::new(),
    };
    for c in OFFER_COLUMNS {
        if !f.map.contains_key(c) {
            continue;
        }
        let v = f.text(c).trim();
        if !v.is_empty() {
            row.values.push((c, v.to_owned()));
        }
    }
    for c in &OFFER_COLUMNS[..REQUIRED] {
        if row.get(c).is_empty() {
            f.fail(c, format!("{c} is empty"));
        }
    }
    if f.errors.is_empty() {
        Some(Parsed::Keep(row))
    } else {
        None
    }
}

/// Reads the spreadsheet: every row, or every problem.
pub fn read_offers<R: Read>(
    input: R,
) -> Result<(Vec<OfferRow>, Vec<RowError>, ReadSummary), FileError> {
    let (mut rows, mut errors) = (Vec::new(), Vec::new());
    let summary = read_rows(input, columns, parse, |_, r| match r {
        Ok(row) => rows.push(row),
        Err(e) => errors.extend(e),
    })?;
    Ok((rows, errors, summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_keep_their_lines_and_missing_required_values_are_named() {
        let (rows, errors, _) = read_offers(
            "name,description,kind,schedule_byday\nWalking group,A walk,group,TU\n,No name,group,\n"
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].line, rows[0].get("schedule_byday")), (2, "TU"));
        assert_eq!(errors[0].to_string(), "line 3, name: name is empty");
        assert!(matches!(
            read_offers("name,colour\nx,y\n".as_bytes()),
            Err(FileError::UnknownLayout { .. })
        ));
    }
}
