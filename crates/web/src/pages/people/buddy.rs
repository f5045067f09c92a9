//! A buddy: connecting a person to another person the PCN supports, who will go along with them
//! or keep in touch (a connection to `Target::Person`, followed up like any other).

use super::pick::{self, Purpose, Typed};
use crate::context::Ctx;
use crate::error::path_id;
use crate::error::AppError;
use crate::layout::Problem;
use crate::person_access::require;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use together_core::audit::AuditAction;
use together_core::connections::ConnectionForm;
use together_core::people::FieldError;
use together_core::{Action, PersonId};
use together_store::{Outcome, StoreError};

/// The person's name, once the actor may connect them (a refusal audited, answered not found).
async fn allowed(state: &AppState, ctx: &Ctx, id: PersonId) -> Result<String, AppError> {
    require(
        state,
        ctx,
        id,
        Action::MakeConnection,
        together_core::audit::AuditAction::MakeConnection,
    )
    .await?;
    crate::person_access::name_of(state, ctx, id).await
}

pub(super) async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(typed): Query<Typed>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let name = allowed(&state, &ctx, id).await?;
    pick::render(
        &state,
        &ctx,
        Purpose::Buddy,
        id,
        name,
        typed,
        Problem::none(),
    )
    .await
}

pub(super) async fn connect(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(typed): Form<Typed>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let name = allowed(&state, &ctx, id).await?;
    let again = |typed, field: &'static str, message: String| {
        let problem = Problem::of("pick", vec![FieldError { field, message }]);
        pick::render(
            &state,
            &ctx,
            Purpose::Buddy,
            id,
            name.clone(),
            typed,
            problem,
        )
    };
    let Ok(buddy) = typed.chosen.parse::<PersonId>() else {
        return again(typed, "chosen", "Choose who will be their buddy".into()).await;
    };
    let form = ConnectionForm {
        to: together_core::connections::Target::Person(buddy).key(),
        source: typed.source.clone(),
        made_on: String::new(),
        note: typed.note.clone(),
    };
    let new = match form.parse(state.now().date()) {
        Ok(c) => c,
        Err(errors) => {
            let problem = Problem::of("pick", errors);
            return pick::render(&state, &ctx, Purpose::Buddy, id, name, typed, problem).await;
        }
    };
    let audit = ctx.audit(
        &state,
        AuditAction::MakeConnection,
        "person",
        Some(id.to_string()),
        Outcome::Allowed,
    );
    match together_app::connections::make(state.store(), ctx.actor()?, id, &new, &audit).await {
        Ok(c) => Ok(Redirect::to(&crate::paths::connections::record(c)).into_response()),
        Err(StoreError::Refused(why)) => again(typed, "chosen", why.to_string()).await,
        Err(StoreError::NotFound(_)) => {
            again(typed, "chosen", "Choose one from the list".into()).await
        }
        Err(e) => Err(e.into()),
    }
}
