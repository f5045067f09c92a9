//! Reading the canonical CSVs of docs/formats.md, Synthea's CSVs (module [`synthea`]) and FHIR R4
//! (module [`fhir`]). A file is checked as a whole (UTF-8, complete,
//! a header Together knows) and then row by row: each row becomes a typed record or a list of
//! [`RowError`]s naming its line, column and reason. Nothing here writes anything: the importer
//! decides what to do with rejected rows (by default, import nothing).

mod canonical;
pub mod champions;
pub mod connections;
pub mod encounters;
pub mod fhir;
mod fields;
pub mod fuzz;
pub mod mapping;
pub mod offers;
pub mod oruk;
pub mod people;
pub mod postcodes;
pub mod synthea;
mod words;

pub use canonical::*;
pub use fields::{printable, rejected_lines, RowError};
pub use words::Word;

use thiserror::Error;

/// Why a whole file is refused (as opposed to some of its rows).
#[derive(Debug, Error, PartialEq, Eq)]
pub enum FileError {
    #[error("the file is not UTF-8 text (line {line}); save it as UTF-8 (from a spreadsheet: CSV UTF-8) and try again")]
    NotUtf8 { line: u64 },
    #[error("the file ends in the middle of a line: it may have been cut short; export it again")]
    Truncated,
    #[error("the file is empty")]
    Empty,
    #[error(
        "the file has its header but no rows: nothing to import; export it again with its data"
    )]
    NoRows,
    #[error("the file is UTF-16 text (what some spreadsheets save as \"Unicode text\"); save it as UTF-8 (from a spreadsheet: CSV UTF-8) and try again")]
    Utf16,
    #[error("Together does not know this layout for {dataset}: found the columns {found}; expected {expected} (see docs/formats.md)")]
    UnknownLayout {
        dataset: &'static str,
        found: String,
        expected: String,
    },
    #[error("the file cannot be read: {0}")]
    Unreadable(String),
}
