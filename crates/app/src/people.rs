//! People the PCN supports.

use std::io::Read;
use thiserror::Error;
use time::OffsetDateTime;
use together_core::{PcnId, PseudonymKey};
use together_formats::people::read_people;
use together_formats::{FileError, RowError};
use together_store::people::{ImportedPerson, PeopleImported};
use together_store::{practice_codes, DynStore, NewAuditEvent, StoreError};

/// Why a people spreadsheet was not imported. Nothing of it was.
#[derive(Debug, Error)]
pub enum SpreadsheetRefused {
    /// The file as a whole cannot be read (not a CSV, a column missing, …).
    #[error("{0}")]
    File(#[from] FileError),
    /// Some rows were rejected, each with its line, column and reason.
    #[error("{} of {rows} rows rejected, so nothing was imported", together_formats::rejected_lines(.errors))]
    Rows { rows: u64, errors: Vec<RowError> },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Imports the people spreadsheet a PCN keeps today: every row checked (dates of birth against
/// `now`, each practice one of the PCN's), NHS numbers pseudonymised with `key` at the door,
/// and all of it saved in one transaction or none of it. People already there are left as they
/// were, so importing the same file again adds nobody.
pub async fn import_spreadsheet(
    store: &DynStore,
    pcn: PcnId,
    key: &PseudonymKey,
    input: impl Read,
    now: OffsetDateTime,
    audit: &NewAuditEvent,
) -> Result<PeopleImported, SpreadsheetRefused> {
    let read = read_people(input, now)?;
    let rows = read.summary.rows;
    let checked = read
        .resolve(&practice_codes(store, pcn).await?)
        .map_err(|errors| SpreadsheetRefused::Rows { rows, errors })?;
    let people: Vec<ImportedPerson> = checked
        .into_iter()
        .map(|r| ImportedPerson::pseudonymised(r.person, r.consents, r.method, key))
        .collect();
    Ok(store.import_people(pcn, &people, audit).await?)
}
