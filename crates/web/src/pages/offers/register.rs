//! Taking a session's register on a phone: tick the regulars who came, type newcomers' first
//! names and initials, count the others. The page keeps the register on the phone until the
//! server has it (assets/together.js), so a dropped connection loses nothing; saving the same
//! register again changes nothing.

use crate::context::Ctx;
use crate::error::path_id;
use crate::error::AppError;
use crate::layout::{date, form_status, Layout, Problem};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use together_core::audit::AuditAction;
use together_core::offers::RegisterForm;
use together_core::people::FieldError;
use together_core::{ChampionId, Role, SessionId};
use together_store::offers::Session;
use together_store::{Outcome, StoreError};

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    layout: Layout,
    s: Session,
    on: String,
    /// (label, ticked).
    people: Vec<(String, String, bool)>,
    newcomers: Vec<String>,
    others: String,
    saved: bool,
    taken: String,
    back: String,
    problem: Problem,
}

/// The champion taking the register (a lead), or `None` for the coordinator.
async fn lead(state: &AppState, ctx: &Ctx) -> Result<Option<ChampionId>, AppError> {
    let actor = ctx.actor()?;
    if actor.role != Role::Champion {
        return Ok(None);
    }
    match crate::pages::champions::own_record(state, ctx).await? {
        Some(c) => Ok(Some(c.id)),
        // A champion's account not linked to a record leads nothing.
        None => Err(AppError::NotFound),
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct SavedQuery {
    saved: String,
}

async fn render(
    state: &AppState,
    ctx: &Ctx,
    id: SessionId,
    form: Option<RegisterForm>,
    saved: bool,
    problem: Problem,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let lead = lead(state, ctx).await?;
    let store = state.store();
    let register = match store.register(pcn, id, lead).await {
        Err(StoreError::NotFound(_)) => return Err(AppError::NotFound),
        other => other?,
    };
    let s = store
        .offer_session(pcn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut people: Vec<String> = store.regulars(pcn, s.offer_id).await?;
    let came: Vec<String> = match (&form, &register) {
        (Some(f), _) => f.came.clone(),
        (None, Some(r)) => r.came.clone(),
        (None, None) => Vec::new(),
    };
    for c in &came {
        if !people.contains(c) {
            people.push(c.clone());
        }
    }
    let mut newcomers = form
        .as_ref()
        .map(|f| f.newcomers.clone())
        .unwrap_or_default();
    newcomers.resize(newcomers.len().max(3), String::new());
    let page = RegisterPage {
        layout: Layout::new(state, ctx, &format!("Register: {}", s.offer_name)),
        on: date(&s.on),
        people: people
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let ticked = came.contains(&p);
                (format!("came-{i}"), p, ticked)
            })
            .collect(),
        newcomers,
        others: form
            .map(|f| f.others)
            .or_else(|| register.as_ref().map(|r| r.others.to_string()))
            .unwrap_or_default(),
        saved,
        taken: register
            .map(|r| format!("Last saved {}", crate::layout::when(&r.taken_at)))
            .unwrap_or_default(),
        back: if lead.is_some() {
            "/sessions/rota".into()
        } else {
            crate::paths::sessions::record(id)
        },
        problem,
        s,
    };
    let status = form_status(!page.problem.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

pub(super) async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, AppError> {
    render(
        &state,
        &ctx,
        path_id(&id)?,
        None,
        q.saved == "1",
        Problem::none(),
    )
    .await
}

pub(super) async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let form = RegisterForm::from_fields(&fields);
    let register = match form.parse() {
        Ok(r) => r,
        Err(e) => {
            return render(
                &state,
                &ctx,
                id,
                Some(form),
                false,
                Problem::of("register", e),
            )
            .await
        }
    };
    let lead = lead(&state, &ctx).await?;
    let audit = ctx.audit(
        &state,
        AuditAction::TakeRegister,
        "session",
        Some(id.to_string()),
        Outcome::Allowed,
    );
    match state
        .store()
        .save_register(ctx.actor()?.pcn_id, id, lead, &register, &audit)
        .await
    {
        Ok(()) => Ok(Redirect::to(&crate::paths::sessions::register_saved(id)).into_response()),
        Err(StoreError::Refused(why)) => {
            let e = vec![FieldError {
                field: "others",
                message: why.to_string(),
            }];
            render(
                &state,
                &ctx,
                id,
                Some(form),
                false,
                Problem::of("register", e),
            )
            .await
        }
        Err(StoreError::NotFound(_)) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}
