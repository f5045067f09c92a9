//! Bringing in the connections a PCN made before it had Together, so that the evaluation looks at
//! that programme too: the one way the command line and the web do it. The file is read and
//! every row checked first; NHS numbers are pseudonymised before anything is written; then all
//! the rows go in one transaction, or none.

use std::io::Read;
use time::OffsetDateTime;
use together_core::{PcnId, PseudonymKey};
use together_formats::connections::read_past_connections;
use together_formats::{rejected_lines, FileError, RowError};
use together_store::impact::{PastConnection, PastConnectionsImported};
use together_store::{DynStore, NewAuditEvent, StoreError};

/// Why past connections were not imported.
#[derive(Debug, thiserror::Error)]
pub enum PastImportError {
    /// The file as a whole (not UTF-8, cut short, columns not known).
    #[error(transparent)]
    File(#[from] FileError),
    /// Some rows are wrong: nothing was imported.
    #[error("{} of {rows} rows rejected, so nothing was imported", rejected_lines(.errors))]
    Rows { rows: u64, errors: Vec<RowError> },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reads, checks and imports a past connections CSV for the PCN.
pub async fn import_past_connections(
    store: &DynStore,
    pcn: PcnId,
    key: &PseudonymKey,
    input: impl Read,
    now: OffsetDateTime,
    audit: &NewAuditEvent,
) -> Result<PastConnectionsImported, PastImportError> {
    let read = read_past_connections(input, now)?;
    let rows = read.summary.rows;
    let practices: Vec<_> = together_store::practice_codes(store, pcn)
        .await?
        .into_iter()
        .map(|(code, _)| code)
        .collect();
    let checked = read
        .resolve(&practices)
        .map_err(|errors| PastImportError::Rows { rows, errors })?;
    let rows: Vec<PastConnection> = checked
        .into_iter()
        .map(|r| PastConnection {
            pseudonym: key.pseudonymise(&r.nhs_number),
            practice: r.practice,
            offer: r.offer,
            connected_on: r.connected_on,
            ended_on: r.ended_on,
        })
        .collect();
    Ok(store.import_past_connections(pcn, &rows, audit).await?)
}
