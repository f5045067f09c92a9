//! A person's subject access (everything held about them, and who viewed it, as JSON or CSV)
//! and erasure (their details go, anonymous counts stay): the coordinator's.

use super::record::show_with;
use crate::context::Ctx;
use crate::error::path_id;
use crate::error::AppError;
use crate::layout::{one_error, Problem};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use together_core::audit::AuditAction;
use together_store::subject_access::SarTable;
use together_store::{Outcome, StoreError};

async fn tables(state: &AppState, ctx: &Ctx, id: &str) -> Result<Vec<SarTable>, AppError> {
    let id = path_id(id)?;
    let audit = ctx.audit(
        state,
        AuditAction::SubjectAccessExport,
        "person",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .person_subject_access(ctx.actor()?.pcn_id, id, &audit)
        .await
    {
        Err(StoreError::NotFound(_)) => Err(AppError::NotFound),
        other => Ok(other?),
    }
}

pub(super) async fn export_json(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let found = tables(&state, &ctx, &id).await?;
    crate::subject_access::json(found, &format!("person-{id}"))
}

pub(super) async fn export_csv(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let found = tables(&state, &ctx, &id).await?;
    crate::subject_access::csv(&found, &format!("person-{id}"))
}

#[derive(serde::Deserialize, Default)]
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
        let problem = Problem::of(
            "erase",
            one_error(
                "confirm",
                "Tick the box to confirm: erasing cannot be undone",
            ),
        );
        return show_with(&state, &ctx, id, problem).await;
    }
    let audit = ctx.audit(
        &state,
        AuditAction::ErasePerson,
        "person",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .erase_person(ctx.actor()?.pcn_id, id, &audit)
        .await
    {
        Ok(()) => Ok(Redirect::to(&crate::paths::people::record(id)).into_response()),
        Err(StoreError::NotFound(_)) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}
