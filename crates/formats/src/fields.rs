//! Reading typed values out of one CSV row, collecting every problem rather than stopping at
//! the first, so that a rejection report shows all that is wrong with a row at once.

use csv::StringRecord;
use serde::Serialize;
use time::{Date, OffsetDateTime, PrimitiveDateTime};
use together_core::{NhsNumber, PracticeCode};

/// Longest value accepted in any field: longer ones are mistakes (or attacks), not data.
pub const MAX_FIELD: usize = 256;

/// One problem in one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// The line in the file (the header is line 1).
    pub line: u64,
    /// The column's name, or empty for a problem with the whole row.
    pub column: String,
    pub reason: String,
}

/// The text with control characters (a NUL byte, a stray escape) written as `\0`, `\u{1b}`:
/// a reason quotes what the row held, and a rejection report or a terminal must show it, not
/// act on it or stop at it.
pub fn printable(text: &str) -> String {
    if !text.chars().any(|c| c.is_control() && c != '\t') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\0' => out.push_str("\\0"),
            '\t' => out.push(c),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.column.is_empty() {
            write!(f, "line {}: {}", self.line, self.reason)
        } else {
            write!(f, "line {}, {}: {}", self.line, self.column, self.reason)
        }
    }
}

/// A spreadsheet's valid rows with each one's practice found among the PCN's by `place` (which
/// fills in what it found, or names the code it could not find); every problem of every row
/// otherwise, in line order. The people, champions and past connections imports share it.
pub(crate) fn resolve_practices<T, U>(
    rows: Vec<(u64, T)>,
    mut errors: Vec<RowError>,
    mut place: impl FnMut(T) -> Result<U, String>,
) -> Result<Vec<U>, Vec<RowError>> {
    let mut out = Vec::new();
    for (line, row) in rows {
        match place(row) {
            Ok(row) => out.push(row),
            Err(code) => errors.push(RowError {
                line,
                column: "practice".into(),
                reason: format!("{code} is not one of this PCN's practices"),
            }),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
}

/// How many lines have a problem: what a person is told was rejected.
pub fn rejected_lines(errors: &[RowError]) -> usize {
    errors
        .iter()
        .map(|e| e.line)
        .collect::<std::collections::BTreeSet<_>>()
        .len()
}

/// Where each named column is in this file. Looked up for every field of every row: a file
/// has a dozen columns at most, and the names asked for are the same literals the map was
/// made from, so they are first found by where they are (a few integer comparisons), then by
/// their text — cheaper than hashing each name, which an import of millions of rows felt.
#[derive(Debug, Default, Clone)]
pub(crate) struct ColumnMap {
    columns: Vec<(&'static str, usize)>,
}

impl ColumnMap {
    /// Says where `name` is; a later place replaces an earlier one, as a map's `insert` does
    /// (the map this replaced).
    pub fn insert(&mut self, name: &'static str, at: usize) {
        match self.columns.iter_mut().find(|(n, _)| *n == name) {
            Some((_, place)) => *place = at,
            None => self.columns.push((name, at)),
        }
    }

    pub fn get(&self, name: &str) -> Option<&usize> {
        let same_literal =
            |(n, _): &&(&'static str, usize)| n.as_ptr() == name.as_ptr() && n.len() == name.len();
        self.columns
            .iter()
            .find(same_literal)
            .or_else(|| self.columns.iter().find(|(n, _)| *n == name))
            .map(|(_, at)| at)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn len(&self) -> usize {
        self.columns.len()
    }
}

/// Where a spreadsheet's columns are: headers matched whatever their case, with spaces or
/// hyphens for underscores, and the other names spreadsheets give them (`aliases`); the file is
/// refused when a header is unknown, given twice, or one of the first `required` is missing.
pub(crate) fn spreadsheet_columns(
    headers: &StringRecord,
    dataset: &'static str,
    columns: &[&'static str],
    required: usize,
    aliases: &[(&str, &str)],
) -> Result<ColumnMap, crate::FileError> {
    let normalise = |header: &str| -> String {
        let h: String = header
            .trim()
            .to_ascii_lowercase()
            .chars()
            .map(|c| if c == ' ' || c == '-' { '_' } else { c })
            .collect();
        aliases
            .iter()
            .find(|(alias, _)| *alias == h)
            .map_or(h, |(_, name)| (*name).to_owned())
    };
    let mut map = ColumnMap::default();
    let mut unknown = false;
    for (i, header) in headers.iter().enumerate() {
        let name = normalise(header);
        match columns.iter().find(|c| **c == name.as_str()) {
            Some(c) if !map.contains_key(c) => map.insert(c, i),
            _ => unknown = true,
        }
    }
    if unknown || columns[..required].iter().any(|c| !map.contains_key(c)) {
        return Err(crate::FileError::UnknownLayout {
            dataset,
            found: headers.iter().collect::<Vec<_>>().join(", "),
            expected: columns.join(", "),
        });
    }
    Ok(map)
}

pub(crate) struct Fields<'a> {
    pub rec: &'a StringRecord,
    pub map: &'a ColumnMap,
    pub line: u64,
    pub errors: Vec<RowError>,
}

impl<'a> Fields<'a> {
    pub fn new(rec: &'a StringRecord, map: &'a ColumnMap, line: u64, columns: usize) -> Self {
        let mut f = Self {
            rec,
            map,
            line,
            errors: Vec::new(),
        };
        if rec.len() != columns {
            f.errors.push(RowError {
                line,
                column: String::new(),
                reason: format!("has {} fields where the header has {columns}", rec.len()),
            });
        }
        f
    }

    pub fn fail(&mut self, column: &str, reason: impl Into<String>) {
        self.errors.push(RowError {
            line: self.line,
            column: column.to_owned(),
            reason: printable(&reason.into()),
        });
    }

    /// The trimmed text of a column ("" when absent), or `None` when it is too long (reported).
    fn raw(&mut self, column: &'static str) -> Option<&'a str> {
        let v = self
            .map
            .get(column)
            .and_then(|i| self.rec.get(*i))
            .unwrap_or("")
            .trim();
        // Bytes are never fewer than characters: most values need no counting.
        if v.len() > MAX_FIELD && v.chars().count() > MAX_FIELD {
            self.fail(column, format!("is longer than {MAX_FIELD} characters"));
            return None;
        }
        Some(v)
    }

    /// The trimmed text of an optional column ("" when absent, empty or too long).
    pub fn text(&mut self, column: &'static str) -> &'a str {
        self.raw(column).unwrap_or("")
    }

    pub fn required(&mut self, column: &'static str) -> Option<&'a str> {
        let v = self.raw(column)?;
        if v.is_empty() {
            self.fail(column, "is empty");
            None
        } else {
            Some(v)
        }
    }

    pub fn nhs_number(&mut self) -> Option<NhsNumber> {
        let v = self.required("nhs_number")?;
        match v.parse::<NhsNumber>() {
            Ok(n) => Some(n),
            Err(e) => {
                self.fail("nhs_number", format!("is not a valid NHS number: {e}"));
                None
            }
        }
    }

    pub fn ods_code(&mut self) -> Option<PracticeCode> {
        let v = self.required("ods_code")?;
        match v.parse::<PracticeCode>() {
            Ok(c) => Some(c),
            Err(_) => {
                self.fail(
                    "ods_code",
                    format!("'{v}' is not a practice ODS code (a letter and five digits)"),
                );
                None
            }
        }
    }

    /// `Some(None)` for an empty optional date; `None` when the value is wrong.
    pub fn date(&mut self, column: &'static str, required: bool) -> Option<Option<Date>> {
        let iso = |v: &str| {
            Date::parse(v, time::macros::format_description!("[year]-[month]-[day]")).ok()
        };
        self.date_as(column, required, iso, "2025-03-27")
    }

    /// A date read by `parse` (a spreadsheet's own forms, say), `like` the example the reason
    /// gives: `Some(None)` when an optional one is empty, `None` when it is wrong.
    pub fn date_as(
        &mut self,
        column: &'static str,
        required: bool,
        parse: impl Fn(&str) -> Option<Date>,
        like: &str,
    ) -> Option<Option<Date>> {
        let v = if required {
            self.required(column)?
        } else {
            self.text(column)
        };
        if v.is_empty() {
            return Some(None);
        }
        match parse(v) {
            Some(d) => Some(Some(d)),
            None => {
                self.fail(column, format!("'{v}' is not a date like {like}"));
                None
            }
        }
    }

    /// A local Europe/London date-time, returned in UTC.
    pub fn local_datetime(&mut self, column: &'static str) -> Option<OffsetDateTime> {
        let v = self.required(column)?;
        let with_seconds =
            time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
        let without = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
        match iso_datetime(v)
            .ok_or(())
            .or_else(|_| PrimitiveDateTime::parse(v, with_seconds).map_err(|_| ()))
            .or_else(|_| PrimitiveDateTime::parse(v, without).map_err(|_| ()))
        {
            Ok(t) => Some(together_core::uk_time::london_to_utc(t)),
            Err(_) => {
                self.fail(
                    column,
                    format!("'{v}' is not a date and time like 2025-03-27T09:30:00"),
                );
                None
            }
        }
    }

    /// A date-time with its offset, as Synthea writes it (2022-07-20T07:13:55Z).
    pub fn utc_datetime(&mut self, column: &'static str) -> Option<OffsetDateTime> {
        let v = self.required(column)?;
        match OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339) {
            Ok(t) => Some(t.to_offset(time::UtcOffset::UTC)),
            Err(_) => {
                self.fail(
                    column,
                    format!("'{v}' is not a date and time like 2022-07-20T07:13:55Z"),
                );
                None
            }
        }
    }

    pub fn one_of(
        &mut self,
        column: &'static str,
        allowed: &[&'static str],
    ) -> Option<&'static str> {
        let v = self.required(column)?;
        match allowed.iter().find(|a| a.eq_ignore_ascii_case(v)) {
            Some(a) => Some(a),
            None => {
                self.fail(
                    column,
                    format!("'{v}' is not one of: {}", allowed.join(", ")),
                );
                None
            }
        }
    }

    pub fn flag(&mut self, column: &'static str) -> Option<bool> {
        match self.text(column).to_ascii_lowercase().as_str() {
            "" | "false" | "no" | "n" | "0" => Some(false),
            "true" | "yes" | "y" | "1" => Some(true),
            other => {
                let other = other.to_owned();
                self.fail(column, format!("'{other}' is not true or false"));
                None
            }
        }
    }
}

/// The common layout `2025-03-27T09:30:00` read directly (the general parser is several times
/// slower, and an import reads millions); anything else is left to it.
fn iso_datetime(v: &str) -> Option<PrimitiveDateTime> {
    let b = v.as_bytes();
    if b.len() != 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let n = |range: std::ops::Range<usize>| {
        b[range].iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let month = time::Month::try_from(u8::try_from(n(5..7)?).ok()?).ok()?;
    let date = Date::from_calendar_date(
        i32::try_from(n(0..4)?).ok()?,
        month,
        u8::try_from(n(8..10)?).ok()?,
    )
    .ok()?;
    let time = time::Time::from_hms(
        u8::try_from(n(11..13)?).ok()?,
        u8::try_from(n(14..16)?).ok()?,
        u8::try_from(n(17..19)?).ok()?,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, time))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The fast path reads exactly what the general parser reads, and nothing it refuses.
        #[test]
        fn the_fast_datetime_path_agrees_with_the_general_parser(
            y in 0u32..10000, mo in 0u32..14, d in 0u32..33, h in 0u32..26, mi in 0u32..62, s in 0u32..62,
        ) {
            let v = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}");
            let general = PrimitiveDateTime::parse(
                &v,
                time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
            )
            .ok();
            prop_assert_eq!(iso_datetime(&v), general);
        }
    }

    #[test]
    fn other_layouts_are_left_to_the_general_parser() {
        for v in [
            "2025-03-27 09:30:00",
            "2025-03-27T09:30",
            "+2025-03-27T09:30:00",
            "2025-3-27T09:30:00",
        ] {
            assert_eq!(iso_datetime(v), None, "{v}");
        }
    }
}
