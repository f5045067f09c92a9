//! Adding a person, and the form a person's details are entered and changed in.

use crate::context::Ctx;
use crate::error::AppError;
use crate::layout::Layout;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use together_core::audit::AuditAction;
use together_core::people::{FieldError, PersonForm};
use together_core::{PersonId, Role};
use together_store::{Outcome, Practice};

/// The person form, adding someone or changing their details.
#[derive(Template)]
#[template(path = "person_new.html")]
pub(super) struct FormPage {
    pub(super) layout: Layout,
    pub(super) form: PersonForm,
    pub(super) errors: Vec<FieldError>,
    pub(super) practices: Vec<Practice>,
    pub(super) preferences: Vec<(&'static str, &'static str)>,
    /// Where the form goes and what its button says.
    pub(super) action: String,
    pub(super) button: &'static str,
    /// Changing someone already linked to the appointment data through their NHS number.
    pub(super) linked: bool,
    pub(super) back: String,
}

impl FormPage {
    fn err(&self, field: &str) -> String {
        crate::layout::field_error(&self.errors, field)
    }
}

/// Renders the person form: a new person when `editing` is `None`, else that person's details
/// (`linked` when their NHS number's pseudonym is already held).
pub(crate) async fn render_form(
    state: &AppState,
    ctx: &Ctx,
    form: PersonForm,
    errors: Vec<FieldError>,
    editing: Option<(PersonId, bool)>,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?;
    let mut practices = state.store().practices(actor.pcn_id).await?;
    if let (Role::Clinician, Some(own)) = (actor.role, actor.practice_id) {
        practices.retain(|p| p.id == own);
    }
    let (title, action, button, linked, back) = match editing {
        None => (
            "Add a person",
            "/people".to_owned(),
            "Add person",
            false,
            "/people".to_owned(),
        ),
        Some((id, linked)) => (
            "Change their details",
            crate::paths::people::edit(id),
            "Save their details",
            linked,
            crate::paths::people::record(id),
        ),
    };
    let page = FormPage {
        layout: Layout::new(state, ctx, title),
        form,
        errors,
        practices,
        preferences: together_core::people::ContactPreference::ALL
            .iter()
            .map(|c| (c.as_str(), c.label()))
            .collect(),
        action,
        button,
        linked,
        back,
    };
    let status = crate::layout::form_status(!page.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

pub(super) async fn new_page(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, AppError> {
    render_form(&state, &ctx, PersonForm::default(), Vec::new(), None).await
}

/// Adds a person for the signed-in actor: the form is checked, a clinician may add only their
/// own practice's people, the NHS number becomes the pseudonym (and is dropped), and a link
/// worker gets the person on their caseload. `Ok(Err(..))` lists what to correct.
async fn add_person(
    state: &AppState,
    ctx: &Ctx,
    form: &PersonForm,
) -> Result<Result<PersonId, Vec<FieldError>>, AppError> {
    let audit = ctx.audit(
        state,
        AuditAction::CreatePerson,
        "person",
        None,
        Outcome::Allowed,
    );
    let key = &state.0.pseudonym_key;
    let added = together_app::people::add_person(
        state.store(),
        ctx.actor()?,
        key,
        form,
        state.now(),
        &audit,
    );
    Ok(added.await?)
}

pub(super) async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<PersonForm>,
) -> Result<Response, AppError> {
    match add_person(&state, &ctx, &form).await? {
        Ok(id) => Ok(Redirect::to(&crate::paths::people::record(id)).into_response()),
        Err(errors) => render_form(&state, &ctx, form, errors, None).await,
    }
}
