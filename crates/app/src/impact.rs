//! "Did it help?": the impact report, as the page, the downloads and the API ask for it; and
//! the connections a PCN made before it had Together, brought in so that the evaluation looks
//! at that programme too. The file is read and every row checked first; NHS numbers are
//! pseudonymised before anything is written; then all the rows go in one transaction, or none.

use crate::SpreadsheetRefused;
use std::io::Read;
use std::path::Path;
use time::OffsetDateTime;
use together_core::disclosure::Audience;
use together_core::{Actor, PcnId, PseudonymKey, Role};
use together_formats::connections::read_past_connections;
use together_insight::impact::{build, inputs, ImpactReport, ReportError};
use together_store::impact::{PastConnection, PastConnectionsImported};
use together_store::{DynStore, NewAuditEvent};

/// The PCN's impact report from the practices that pool their data, by its evaluation
/// settings (the read of the connections audited with `audit`), and the audience its figures
/// are disclosed to for the actor.
pub async fn report(
    store: &DynStore,
    data_dir: &Path,
    actor: &Actor,
    audit: &NewAuditEvent,
) -> Result<(ImpactReport, Audience), ReportError> {
    let (inputs, settings) = inputs(store, actor.pcn_id, audit).await?;
    let report = build(store, data_dir, actor.pcn_id, &settings, &inputs).await?;
    Ok((report, audience(actor.role)))
}

/// Exact figures for analysts; disclosure control for everyone else (the report pools the
/// practices, so it is never one practice's own).
pub fn audience(role: Role) -> Audience {
    if role == Role::Analyst {
        Audience::Unsuppressed
    } else {
        Audience::Suppressed
    }
}

/// Reads, checks and imports a past connections CSV for the PCN.
pub async fn import_past_connections(
    store: &DynStore,
    pcn: PcnId,
    key: &PseudonymKey,
    input: impl Read,
    now: OffsetDateTime,
    audit: &NewAuditEvent,
) -> Result<PastConnectionsImported, SpreadsheetRefused> {
    let read = read_past_connections(input, now)?;
    let rows = read.summary.rows;
    let practices: Vec<_> = together_store::practice_codes(store, pcn)
        .await?
        .into_iter()
        .map(|(code, _)| code)
        .collect();
    let checked = read
        .resolve(&practices)
        .map_err(|errors| SpreadsheetRefused::Rows { rows, errors })?;
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
