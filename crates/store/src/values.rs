//! How values are stored: times as UTC seconds, dates as ISO text, identifiers as text
//! parsed back into their newtypes. Both backends' schemas use these representations.

use crate::error::StoreError;
use time::OffsetDateTime;

pub(crate) fn secs(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

pub(crate) fn at(s: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn parsed<T: std::str::FromStr>(what: &str, s: &str) -> Result<T, StoreError> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("{what} '{s}' cannot be read")))
}

pub(crate) fn iso_date(d: time::Date) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    d.format(f).unwrap_or_default()
}

pub(crate) use together_core::people::long_date;

pub(crate) fn parse_iso_date(s: &str) -> Result<time::Date, StoreError> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, f).map_err(|_| StoreError::Corrupt(format!("date '{s}' cannot be read")))
}

/// A person as a champion or a register sees them: first name and initial ("Florence A.").
pub(crate) fn person_label(given: String, family: &str) -> String {
    together_core::offers::register_label(&format!("{given} {family}")).unwrap_or(given)
}

/// Escapes `%`, `_` and `\` so that a search term is matched literally inside LIKE.
pub(crate) fn like_pattern(q: &str) -> String {
    let mut s = String::from("%");
    for c in q.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('%');
    s
}
