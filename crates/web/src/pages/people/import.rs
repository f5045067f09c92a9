//! The people spreadsheet from the web: the coordinator uploads the CSV the PCN keeps today, with
//! the same checks, pseudonymisation and all-or-nothing as `together people import`.

use crate::context::Ctx;
use crate::error::AppError;
use crate::pages::spreadsheet::{self as sheet, Imported, Spreadsheet};
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use together_formats::people::read_people;
use together_store::practice_codes;
use together_store::ImportedPerson;
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
    let read = match read_people(&bytes[..], state.now()) {
        Ok(r) => r,
        Err(e) => return show(Imported::Refused(format!("Nothing was imported: {e}"))),
    };
    let pcn = ctx.actor()?.pcn_id;
    let rows = match read.resolve(&practice_codes(state.store(), pcn).await?) {
        Ok(r) => r,
        Err(rejected) => return show(Imported::Rejected(rejected)),
    };
    let people: Vec<ImportedPerson> = rows
        .into_iter()
        .map(|r| {
            ImportedPerson::pseudonymised(r.person, r.consents, r.method, &state.0.pseudonym_key)
        })
        .collect();
    let audit = ctx.audit(&state, "import_people", "person", None, Outcome::Allowed);
    let done = state.store().import_people(pcn, &people, &audit).await?;
    show(sheet::done(
        done.added,
        done.already_there,
        "person",
        "people",
    ))
}
