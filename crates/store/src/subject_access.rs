//! What a subject access export is made of, for people and champions alike: each table that
//! refers to them, with the columns never exported left out.

use serde::Serialize;

/// One table of a subject access export: its columns and the rows about the person or champion, every
/// value as text (`None` for an empty value).
#[derive(Debug, Clone, Serialize)]
pub struct SarTable {
    pub table: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

/// Columns never exported: secrets that are not information about the person.
pub(crate) const NOT_EXPORTED: [&str; 4] = [
    "password_hash",
    "totp_secret",
    "totp_last_step",
    "token_hash",
];
