//! Merging two records of one person into the one kept: the coordinator's, since champions
//! record someone new without being told whom the PCN already knows.

use super::pick::{self, Purpose, Typed};
use crate::context::Ctx;
use crate::error::path_id;
use crate::error::AppError;
use crate::layout::Problem;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use together_core::audit::AuditAction;
use together_core::people::FieldError;
use together_core::PersonId;
use together_store::{Outcome, StoreError};

pub(super) async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(typed): Query<Typed>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let name = crate::person_access::name_of(&state, &ctx, id).await?;
    pick::render(
        &state,
        &ctx,
        Purpose::Merge,
        id,
        name,
        typed,
        Problem::none(),
    )
    .await
}

pub(super) async fn merge(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(typed): Form<Typed>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let name = crate::person_access::name_of(&state, &ctx, id).await?;
    let again = |typed, message: String| {
        let problem = Problem::of(
            "pick",
            vec![FieldError {
                field: "chosen",
                message,
            }],
        );
        pick::render(
            &state,
            &ctx,
            Purpose::Merge,
            id,
            name.clone(),
            typed,
            problem,
        )
    };
    let Ok(duplicate) = typed.chosen.parse::<PersonId>() else {
        return again(typed, "Choose the record that is the same person".into()).await;
    };
    let audit = ctx.audit(
        &state,
        AuditAction::MergePeople,
        "person",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .merge_people(ctx.actor()?.pcn_id, id, duplicate, &audit)
        .await
    {
        Ok(()) => Ok(Redirect::to(&crate::paths::people::record(id)).into_response()),
        Err(StoreError::Refused(why)) => again(typed, why.to_string()).await,
        Err(StoreError::NotFound(_)) => again(typed, "Choose one from the list".into()).await,
        Err(e) => Err(e.into()),
    }
}
