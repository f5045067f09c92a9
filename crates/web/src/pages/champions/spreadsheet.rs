//! The champions' spreadsheet: import it (all rows or none) and download everyone as CSV.

use super::common::*;
use crate::pages::spreadsheet::{self as sheet, Imported, Spreadsheet};
use together_core::audit::AuditAction;
use together_store::practice_codes;

pub(super) async fn import_page(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, AppError> {
    sheet::page(&state, &ctx, Spreadsheet::Champions, Imported::Nothing)
}

/// The spreadsheet of champions, uploaded: the same checks and the same all-or-nothing as
/// `together champions import`.
pub(super) async fn import_file(
    State(state): State<AppState>,
    ctx: Ctx,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let show = |imported| sheet::page(&state, &ctx, Spreadsheet::Champions, imported);
    let bytes = match sheet::uploaded(&mut multipart).await? {
        Ok(b) => b,
        Err(refused) => return show(refused),
    };
    let read = match together_formats::champions::read_champions(&bytes[..]) {
        Ok(r) => r,
        Err(e) => return show(Imported::Refused(format!("Nothing was imported: {e}"))),
    };
    let pcn = ctx.actor()?.pcn_id;
    let rows = match read.resolve(&practice_codes(state.store(), pcn).await?) {
        Ok(r) => r,
        Err(rejected) => return show(Imported::Rejected(rejected)),
    };
    let audit = ctx.audit(
        &state,
        AuditAction::ImportChampions,
        "champion",
        None,
        Outcome::Allowed,
    );
    let (added, there) = state.store().import_champions(pcn, &rows, &audit).await?;
    show(sheet::done(added, there, "champion", "champions"))
}

pub(super) async fn export_all(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let audit = ctx.audit(
        &state,
        AuditAction::ExportChampions,
        "champions",
        None,
        Outcome::Allowed,
    );
    let champions = state.store().champions(pcn, &audit).await?;
    let practices = state.store().practices(pcn).await?;
    let body = together_app::champions::spreadsheet(&champions, &practices)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download(body, "text/csv; charset=utf-8", "champions.csv"))
}
