//! Subject access (everything held about a champion, as JSON or CSV) and erasure.

use super::common::*;
use super::record::render_record;
use crate::error::path_id;
use together_core::audit::AuditAction;

pub(super) async fn subject_access(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
) -> Result<Vec<together_store::subject_access::SarTable>, AppError> {
    let id = path_id(id)?;
    let audit = ctx.audit(
        state,
        AuditAction::SubjectAccessExport,
        "champion",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .champion_subject_access(ctx.actor()?.pcn_id, id, &audit)
        .await
    {
        Err(StoreError::NotFound(_)) => Err(AppError::NotFound),
        other => Ok(other?),
    }
}

/// Everything held about a champion as one JSON document: each table with its rows.
pub(super) async fn export_json(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let tables = subject_access(&state, &ctx, &id).await?;
    crate::subject_access::json(tables, &format!("champion-{id}"))
}

/// The same as one CSV, a line per value.
pub(super) async fn export_csv(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let tables = subject_access(&state, &ctx, &id).await?;
    crate::subject_access::csv(&tables, &format!("champion-{id}"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct EraseForm {
    confirm: String,
}

pub(super) async fn erase(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<EraseForm>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    if f.confirm != "yes" {
        let e = (
            "confirm".to_owned(),
            "Tick the box to confirm: erasing cannot be undone".to_owned(),
        );
        return render_record(&state, &ctx, id, e, String::new()).await;
    }
    let audit = ctx.audit(
        &state,
        AuditAction::EraseChampion,
        "champion",
        None,
        Outcome::Allowed,
    );
    let files = state
        .store()
        .erase_champion(ctx.actor()?.pcn_id, id, &audit)
        .await?;
    let dir = state.0.data_dir.join("uploads").join("receipts");
    for f in files.iter().filter(|f| !f.contains(['/', '\\'])) {
        let _ = tokio::fs::remove_file(dir.join(f)).await;
    }
    Ok(Redirect::to(&crate::paths::champions::done(id, "erased")).into_response())
}
