//! The people spreadsheet from the web: the coordinator uploads the CSV the PCN keeps today, with
//! the same checks, pseudonymisation and all-or-nothing as `together people import`.

use crate::context::Ctx;
use crate::error::AppError;
use crate::pages::spreadsheet::{self as sheet, Imported, Spreadsheet};
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use together_app::people::import_spreadsheet;
use together_core::audit::AuditAction;
use together_store::Outcome;

pub(super) async fn page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    sheet::page(&state, &ctx, Spreadsheet::People, Imported::Nothing)
}

pub(super) async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let show = |imported| sheet::page(&state, &ctx, Spreadsheet::People, imported);
    let bytes = match sheet::uploaded(&mut multipart).await? {
        Ok(b) => b,
        Err(refused) => return show(refused),
    };
    let pcn = ctx.actor()?.pcn_id;
    let audit = ctx.audit(
        &state,
        AuditAction::ImportPeople,
        "person",
        None,
        Outcome::Allowed,
    );
    let key = &state.0.pseudonym_key;
    let done =
        match import_spreadsheet(state.store(), pcn, key, &bytes[..], state.now(), &audit).await {
            Ok(done) => done,
            Err(refused) => return show(Imported::refused(refused)?),
        };
    show(sheet::done(
        done.added,
        done.already_there,
        "person",
        "people",
    ))
}
