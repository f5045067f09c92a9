//! The offers spreadsheet a PCN keeps today (`together offers import FILE`): one row per offer,
//! with its schedule in the `schedule_*` columns. Read here column by column; the names in it
//! (categories, venue, role) are turned into the PCN's records, and every rule checked, by the
//! importer, which reports each problem with its line and column.

use crate::canonical::{read_rows, Parsed, ReadSummary};
use crate::fields::{ColumnMap, Fields, RowError};
use crate::FileError;
use std::io::Read;
use together_core::offers::{NewOffer, OfferForm};
use together_core::recurrence::{Recurrence, ScheduleForm};

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

/// The column of the spreadsheet a form's field is read from.
fn column_of(field: &str) -> &'static str {
    match field {
        "offer_kind" => "kind",
        "offer_status" => "status",
        "taxonomy" => "categories",
        "venue_id" => "venue",
        "lead_role_id" => "lead_role",
        "freq" => "schedule_freq",
        "interval" => "schedule_interval",
        "byday" | "bymonthday" => "schedule_byday",
        "starts_on" => "starts_on",
        "ends_on" => "ends_on",
        "opens_at" => "schedule_opens",
        "closes_at" => "schedule_closes",
        other => OFFER_COLUMNS
            .iter()
            .find(|c| **c == other)
            .copied()
            .unwrap_or("name"),
    }
}

/// "Drop-in" → "drop_in"; "running" → "active".
fn key(v: &str) -> String {
    let k = v.trim().to_lowercase().replace([' ', '-'], "_");
    match k.as_str() {
        "running" => "active".into(),
        "loan" | "equipment" => "equipment_loan".into(),
        _ => k,
    }
}

/// Day names as iCalendar's two letters: "Tuesday" → "TU", "2nd Monday" stays as typed.
fn byday(v: &str) -> String {
    v.split([',', ';', ' '])
        .filter(|d| !d.is_empty())
        .map(|d| {
            let low = d.to_lowercase();
            ["mo", "tu", "we", "th", "fr", "sa", "su"]
                .iter()
                .find(|code| low.len() > 2 && low.starts_with(*code))
                .map_or_else(|| d.to_uppercase(), |code| code.to_uppercase())
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn push(errors: &mut Vec<RowError>, line: u64, column: &str, reason: String) {
    errors.push(RowError {
        line,
        column: column.into(),
        reason,
    });
}

/// What a spreadsheet's names may name: categories (id, code, name), the PCN's venues and its
/// champion roles (id, name), as the store holds them.
pub struct OfferNames {
    pub terms: Vec<(String, String, String)>,
    pub venues: Vec<(String, String)>,
    pub roles: Vec<(String, String)>,
}

fn find(list: &[(String, String)], name: &str) -> Option<String> {
    list.iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(name.trim()))
        .map(|(id, _)| id.clone())
}

/// Every row resolved: the offers with their schedules, and every problem (line, column,
/// reason) of the rows that could not be; `today` bounds the dates a row may give.
pub fn resolve(
    rows: &[OfferRow],
    names: &OfferNames,
    today: time::Date,
) -> (Vec<(NewOffer, Option<Recurrence>)>, Vec<RowError>) {
    let mut resolved = Vec::new();
    let mut errors = Vec::new();
    for row in rows {
        match check(row, names, today) {
            Ok(c) => resolved.push(c),
            Err(es) => errors.extend(es),
        }
    }
    (resolved, errors)
}

/// One row, checked: the offer and its schedule, or every problem with it.
fn check(
    row: &OfferRow,
    names: &OfferNames,
    today: time::Date,
) -> Result<(NewOffer, Option<Recurrence>), Vec<RowError>> {
    let mut errors = Vec::new();
    let mut fields: Vec<(String, String)> = vec![
        ("offer_kind".into(), key(row.get("kind"))),
        (
            "offer_status".into(),
            match row.get("status") {
                "" => "active".into(),
                s => key(s),
            },
        ),
    ];
    for (column, field) in [
        ("name", "name"),
        ("description", "description"),
        ("eligibility", "eligibility"),
        ("minimum_age", "minimum_age"),
        ("maximum_age", "maximum_age"),
        ("capacity", "capacity"),
        ("helpers_needed", "helpers_needed"),
        ("cost", "cost"),
        ("accessibility", "accessibility"),
        ("contact_name", "contact_name"),
        ("phone", "phone"),
        ("email", "email"),
        ("url", "url"),
        ("starts_on", "starts_on"),
        ("ends_on", "ends_on"),
    ] {
        fields.push((field.into(), row.get(column).into()));
    }
    for c in row
        .get("categories")
        .split([';', ','])
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        match names
            .terms
            .iter()
            .find(|(_, code, name)| code.eq_ignore_ascii_case(c) || name.eq_ignore_ascii_case(c))
        {
            Some((id, _, _)) => fields.push(("taxonomy".into(), id.clone())),
            None => push(
                &mut errors,
                row.line,
                "categories",
                format!(
                    "'{c}' is not one of the directory's categories ({})",
                    names
                        .terms
                        .iter()
                        .map(|t| t.1.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        }
    }
    if !row.get("venue").is_empty() {
        match find(&names.venues, row.get("venue")) {
            Some(id) => fields.push(("venue_id".into(), id)),
            None => push(
                &mut errors,
                row.line,
                "venue",
                format!(
                    "there is no venue called '{}': add it on the Partners page first",
                    row.get("venue")
                ),
            ),
        }
    }
    if !row.get("lead_role").is_empty() {
        match find(&names.roles, row.get("lead_role")) {
            Some(id) => fields.push(("lead_role_id".into(), id)),
            None => push(
                &mut errors,
                row.line,
                "lead_role",
                format!(
                    "there is no champion role called '{}'",
                    row.get("lead_role")
                ),
            ),
        }
    }
    let offer = OfferForm::from_fields(&fields).parse();
    let has_schedule = [
        "schedule_freq",
        "schedule_byday",
        "schedule_opens",
        "schedule_closes",
    ]
    .iter()
    .any(|c| !row.get(c).is_empty());
    let schedule = if has_schedule {
        let (freq, interval) = match key(row.get("schedule_freq")).as_str() {
            "fortnightly" => ("WEEKLY".to_owned(), "2".to_owned()),
            f => (f.to_uppercase(), row.get("schedule_interval").to_owned()),
        };
        let starts = [row.get("schedule_starts_on"), row.get("starts_on")]
            .into_iter()
            .find(|d| !d.is_empty())
            .map_or_else(|| today.to_string(), str::to_owned);
        let form = ScheduleForm {
            freq,
            interval,
            byday: byday(row.get("schedule_byday")),
            starts_on: starts,
            ends_on: row.get("schedule_ends_on").into(),
            opens_at: row.get("schedule_opens").into(),
            closes_at: row.get("schedule_closes").into(),
            ..ScheduleForm::default()
        };
        match form.parse() {
            Ok(r) => Some(r),
            Err(es) => {
                for e in es {
                    push(
                        &mut errors,
                        row.line,
                        if e.field == "starts_on" {
                            "schedule_starts_on"
                        } else {
                            column_of(e.field)
                        },
                        e.message,
                    );
                }
                None
            }
        }
    } else {
        None
    };
    match offer {
        Ok(o) if errors.is_empty() => {
            if let Some(r) = &schedule {
                if let Some(why) = o.outside_season(r.dtstart) {
                    return Err(vec![RowError {
                        line: row.line,
                        column: "schedule_starts_on".into(),
                        reason: why,
                    }]);
                }
            }
            Ok((o, schedule))
        }
        Ok(_) => Err(errors),
        Err(es) => {
            for e in es {
                push(&mut errors, row.line, column_of(e.field), e.message);
            }
            Err(errors)
        }
    }
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
