//! Changing a person's details: a misspelt name, a new phone number, how they now like to be
//! contacted, what matters to them, or the NHS number that links them to the appointment data.

use super::add::render_form;
use crate::context::Ctx;
use crate::error::path_id;
use crate::error::AppError;
use crate::person_access::may_update;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use together_core::audit::AuditAction;
use together_core::people::{uk_date, FieldError, PersonForm};
use together_store::{Outcome, StoreError};

pub(super) async fn edit_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    may_update(&state, &ctx, id).await?;
    let p = crate::person_access::read(&state, &ctx, id).await?;
    let form = PersonForm {
        given_name: p.given_name,
        family_name: p.family_name,
        date_of_birth: uk_date(p.date_of_birth),
        practice_id: p.practice_id.to_string(),
        contact_preference: p.contact_preference.as_str().to_owned(),
        phone: p.phone.unwrap_or_default(),
        email: p.email.unwrap_or_default(),
        nhs_number: String::new(),
        what_matters: p.what_matters,
    };
    render_form(
        &state,
        &ctx,
        form,
        Vec::new(),
        Some((id, p.pseudonym.is_some())),
    )
    .await
}

/// The form again, with what to correct; whether they are linked to the appointment data is
/// read (an audited read of the record) only when the form is shown again, not on every save.
async fn again(
    state: &AppState,
    ctx: &Ctx,
    id: together_core::PersonId,
    form: PersonForm,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let linked = crate::person_access::read(state, ctx, id)
        .await?
        .pseudonym
        .is_some();
    render_form(state, ctx, form, errors, Some((id, linked))).await
}

pub(super) async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<PersonForm>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    may_update(&state, &ctx, id).await?;
    let actor = ctx.actor()?.clone();
    let audit = ctx.audit(
        &state,
        AuditAction::UpdatePerson,
        "person",
        None,
        Outcome::Allowed,
    );
    let key = &state.0.pseudonym_key;
    match together_app::people::update_person(
        state.store(),
        &actor,
        id,
        key,
        &form,
        state.now(),
        &audit,
    )
    .await
    {
        Ok(Ok(())) => Ok(Redirect::to(&crate::paths::people::record(id)).into_response()),
        Ok(Err(errors)) => again(&state, &ctx, id, form, errors).await,
        Err(StoreError::NotFound(_)) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}
