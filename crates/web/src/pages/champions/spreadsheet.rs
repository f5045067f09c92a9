//! The champions' spreadsheet: import it (all rows or none) and download everyone as CSV.

use super::common::*;
use crate::pages::spreadsheet::{self as sheet, Imported, Spreadsheet};
use together_store::practice_codes;

/// Every champion as the CSV `together champions import` reads, for the download on the board
/// and `together champions export`.
pub fn champions_csv(
    champions: &[Champion],
    practices: &[Practice],
) -> Result<Vec<u8>, csv::Error> {
    let codes: Vec<String> = champions
        .iter()
        .map(|c| {
            c.home_practice_id
                .and_then(|id| practices.iter().find(|p| p.id == id))
                .map(|p| p.ods_code.to_string())
                .unwrap_or_default()
        })
        .collect();
    let lines: Vec<ChampionLine<'_>> = champions
        .iter()
        .zip(&codes)
        .map(|(c, practice)| ChampionLine {
            given_name: &c.given_name,
            family_name: &c.family_name,
            contact_preference: c.contact_preference.as_str(),
            phone: c.phone.as_deref().unwrap_or(""),
            email: c.email.as_deref().unwrap_or(""),
            practice,
            interests: &c.interests,
            availability: &c.availability,
            skills: &c.skills,
            stage: c.stage.as_str(),
        })
        .collect();
    let mut out = Vec::new();
    write_champions(&mut out, &lines)?;
    Ok(out)
}

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
        "import_champions",
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
        "export_champions",
        "champions",
        None,
        Outcome::Allowed,
    );
    let champions = state.store().champions(pcn, &audit).await?;
    let practices = state.store().practices(pcn).await?;
    let body =
        champions_csv(&champions, &practices).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download(body, "text/csv; charset=utf-8", "champions.csv"))
}
