//! Together's use cases, one module per domain area. A use case is what a person asks Together
//! to do, whichever door they ask at — a page, the JSON API or the command line: it loads what it
//! needs from the store, asks core (and formats, for a file) to decide, saves, and audits. The
//! doors only parse what was sent, call the use case and show its answer, so a rule is written
//! once and holds at every door.
//!
//! The layer is being filled area by area (docs/architecture.md, "Adding a use case"); an area
//! not here yet still has its steps in its page and command.

pub mod champions;
pub mod connections;
pub mod impact;
pub mod insight;
pub mod oruk;
pub mod people;
pub mod wellbeing;
pub mod work;

/// Why a spreadsheet (people, past connections) was not imported. Nothing of it was.
#[derive(Debug, thiserror::Error)]
pub enum SpreadsheetRefused {
    /// The file as a whole cannot be read (not a CSV, a column missing, …).
    #[error("{0}")]
    File(#[from] together_formats::FileError),
    /// Some rows were rejected, each with its line, column and reason.
    #[error("{} of {rows} rows rejected, so nothing was imported", together_formats::rejected_lines(.errors))]
    Rows {
        rows: u64,
        errors: Vec<together_formats::RowError>,
    },
    #[error(transparent)]
    Store(#[from] together_store::StoreError),
}
