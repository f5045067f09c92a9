//! The champions' spreadsheet: import it (all rows or none) and download everyone as CSV.

use super::*;

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

#[derive(Template)]
#[template(path = "champion_import.html")]
pub(super) struct ImportPage {
    layout: Layout,
    error: String,
    rejected: Vec<together_formats::RowError>,
    done: String,
}

pub(super) fn import_result(
    state: &AppState,
    ctx: &Ctx,
    error: String,
    rejected: Vec<together_formats::RowError>,
    done: String,
) -> Result<Response, AppError> {
    let page = ImportPage {
        layout: Layout::new(state, ctx, "Import champions"),
        error,
        rejected,
        done,
    };
    let status = form_status(!page.error.is_empty() || !page.rejected.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

pub(super) async fn import_page(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, AppError> {
    import_result(&state, &ctx, String::new(), Vec::new(), String::new())
}

/// The spreadsheet of champions, uploaded: the same checks and the same all-or-nothing as
/// `together champions import`.
pub(super) async fn import_file(
    State(state): State<AppState>,
    ctx: Ctx,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let fail = |e: axum::extract::multipart::MultipartError| {
        AppError::BadRequest(format!("The file did not arrive whole ({e}). Try again"))
    };
    let mut bytes = None;
    while let Some(field) = multipart.next_field().await.map_err(fail)? {
        if field.name() == Some("file") {
            bytes = Some(field.bytes().await.map_err(fail)?);
        }
    }
    let Some(bytes) = bytes.filter(|b| !b.is_empty()) else {
        return import_result(
            &state,
            &ctx,
            "Choose the CSV file to import".into(),
            Vec::new(),
            String::new(),
        );
    };
    let read = match together_formats::champions::read_champions(&bytes[..]) {
        Ok(r) => r,
        Err(e) => {
            let message = format!("Nothing was imported: {e}");
            return import_result(&state, &ctx, message, Vec::new(), String::new());
        }
    };
    let pcn = ctx.actor()?.pcn_id;
    let practices: Vec<_> = state
        .store()
        .practices(pcn)
        .await?
        .into_iter()
        .map(|p| (p.ods_code, p.id))
        .collect();
    let rows = match read.resolve(&practices) {
        Ok(r) => r,
        Err(rejected) => {
            return import_result(&state, &ctx, String::new(), rejected, String::new())
        }
    };
    let audit = ctx.audit(
        &state,
        "import_champions",
        "champion",
        None,
        Outcome::Allowed,
    );
    let (added, there) = state.store().import_champions(pcn, &rows, &audit).await?;
    let done = format!(
        "Imported {added} champion{}; {there} already there, left as they were.",
        if added == 1 { "" } else { "s" }
    );
    import_result(&state, &ctx, String::new(), Vec::new(), done)
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
