//! Safeguarding: anyone in the team raises a concern, an incident or an accident from their
//! phone in a minute; it goes to the PCN's named safeguarding lead only, who records the
//! follow-up. Anyone else who opens a concern finds nothing there (it looks like no record).

use crate::context::Ctx;
use crate::error::AppError;
use crate::layout::{field_error, form_status, when, Layout};
use crate::policy_router::{Policy, Routes};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use together_core::audit::AuditAction;
use together_core::people::FieldError;
use together_core::safeguarding::{ConcernForm, ConcernKind};
use together_core::{Action, PcnId, Role, UserId};
use together_store::safeguarding::{Concern, SAFEGUARDING_LEAD_SETTING};
use together_store::{Channel, NewMessage, Outcome, StoreError, User, UserStatus};

pub(crate) fn routes(r: Routes) -> Routes {
    let raise = Policy::Allow(Action::RaiseConcern);
    let handle = Policy::Allow(Action::HandleSafeguarding);
    r.get("/safeguarding/raise", raise, raise_page)
        .post("/safeguarding/raise", raise, raise_submit)
        .get("/safeguarding", handle, list)
        .post(
            "/safeguarding/lead",
            Policy::Allow(Action::ManageOrganisation),
            set_lead,
        )
        .get("/safeguarding/{id}", handle, view)
        .post("/safeguarding/{id}/follow-up", handle, follow_up)
}

/// The named lead, if one is named and their account is active.
async fn lead(state: &AppState, pcn: PcnId) -> Result<Option<User>, AppError> {
    let Some(id) = state.programme_settings(pcn).await?.safeguarding_lead else {
        return Ok(None);
    };
    Ok(state
        .store()
        .user(id)
        .await?
        .filter(|u| u.pcn_id == pcn && u.status == UserStatus::Active))
}

/// Whether the signed-in user is the PCN's named lead: the only one who reads concerns.
async fn is_lead(state: &AppState, ctx: &Ctx) -> Result<bool, AppError> {
    let actor = ctx.actor()?;
    Ok(lead(state, actor.pcn_id)
        .await?
        .is_some_and(|l| l.id == actor.user_id))
}

/// Staff who may be named the lead.
fn may_lead(u: &User) -> bool {
    matches!(u.role, Role::PcnAdmin | Role::Clinician) && u.status == UserStatus::Active
}

#[derive(Template)]
#[template(path = "safeguarding_raise.html")]
struct RaisePage {
    layout: Layout,
    form: ConcernForm,
    errors: Vec<FieldError>,
    kinds: Vec<(&'static str, &'static str)>,
    /// After sending: whether a lead was named to receive it.
    sent: Option<bool>,
}

impl RaisePage {
    fn err(&self, field: &str) -> String {
        field_error(&self.errors, field)
    }
}

fn raise_form(
    state: &AppState,
    ctx: &Ctx,
    form: ConcernForm,
    errors: Vec<FieldError>,
    sent: Option<bool>,
) -> Result<Response, AppError> {
    let page = RaisePage {
        layout: Layout::new(state, ctx, "Raise a concern"),
        form,
        kinds: ConcernKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        sent,
        errors,
    };
    let status = form_status(!page.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

async fn raise_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    raise_form(&state, &ctx, ConcernForm::default(), Vec::new(), None)
}

async fn raise_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<ConcernForm>,
) -> Result<Response, AppError> {
    let concern = match form.parse() {
        Ok(c) => c,
        Err(errors) => return raise_form(&state, &ctx, form, errors, None),
    };
    let actor = ctx.actor()?.clone();
    let audit = ctx.audit(
        &state,
        AuditAction::RaiseConcern,
        "safeguarding_report",
        None,
        Outcome::Allowed,
    );
    let id = state
        .store()
        .raise_concern(actor.pcn_id, actor.user_id, &concern, &audit)
        .await?;
    // The message says that something was raised, never what: that stays in Together.
    let base = state.config().public_url.trim_end_matches('/').to_owned();
    let named = lead(&state, actor.pcn_id).await?;
    let lead_named = named.is_some();
    let (recipients, body) = match named {
        Some(l) => (
            vec![l.email.to_string()],
            format!(
                "{} has been raised for you as the PCN's safeguarding lead. Open it here:\n\n{base}/safeguarding/{id}",
                concern.kind.short()
            ),
        ),
        None => (
            state
                .store()
                .users(actor.pcn_id)
                .await?
                .into_iter()
                .filter(|u| u.role == Role::PcnAdmin && u.status == UserStatus::Active)
                .map(|u| u.email.to_string())
                .collect(),
            format!(
                "{} has been raised, and the PCN has no safeguarding lead named to receive it. Name one here:\n\n{base}/safeguarding",
                concern.kind.short()
            ),
        ),
    };
    for to in recipients {
        state
            .store()
            .enqueue_message(&NewMessage {
                pcn_id: Some(actor.pcn_id),
                person: None,
                channel: Channel::Email,
                recipient: to,
                subject: format!("{} raised", concern.kind.short()),
                body: body.clone(),
                now: state.now(),
            })
            .await?;
    }
    raise_form(
        &state,
        &ctx,
        ConcernForm::default(),
        Vec::new(),
        Some(lead_named),
    )
}

struct Row {
    id: String,
    kind: &'static str,
    raised: String,
    open: bool,
}

#[derive(Template)]
#[template(path = "safeguarding.html")]
struct ListPage {
    layout: Layout,
    lead_name: String,
    is_lead: bool,
    is_admin: bool,
    open_count: i64,
    rows: Vec<Row>,
    candidates: Vec<(String, String)>,
    lead_id: String,
}

fn kind_label(kind: &str) -> &'static str {
    ConcernKind::parse(kind)
        .map(ConcernKind::short)
        .unwrap_or("Concern")
}

async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let actor = ctx.actor()?.clone();
    let named = lead(&state, actor.pcn_id).await?;
    let is_lead = named.as_ref().is_some_and(|l| l.id == actor.user_id);
    let rows = if is_lead {
        let audit = ctx.audit(
            &state,
            AuditAction::ListConcerns,
            "safeguarding",
            None,
            Outcome::Allowed,
        );
        state
            .store()
            .concerns(actor.pcn_id, &audit)
            .await?
            .into_iter()
            .map(|c: Concern| Row {
                kind: kind_label(&c.kind),
                raised: when(&c.raised_at),
                open: c.open,
                id: c.id,
            })
            .collect()
    } else {
        Vec::new()
    };
    let is_admin = actor.role == Role::PcnAdmin;
    let candidates = if is_admin {
        state
            .store()
            .users(actor.pcn_id)
            .await?
            .into_iter()
            .filter(may_lead)
            .map(|u| {
                (
                    u.id.to_string(),
                    format!("{} ({})", u.display_name, u.role.label()),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let page = ListPage {
        layout: Layout::new(&state, &ctx, "Safeguarding"),
        lead_name: named
            .as_ref()
            .map(|l| l.display_name.clone())
            .unwrap_or_default(),
        lead_id: named.as_ref().map(|l| l.id.to_string()).unwrap_or_default(),
        is_lead,
        is_admin,
        open_count: state.store().open_concerns(actor.pcn_id).await?,
        rows,
        candidates,
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LeadForm {
    user_id: String,
}

async fn set_lead(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<LeadForm>,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let chosen = match f.user_id.parse::<UserId>() {
        Ok(id) => state.store().user(id).await?,
        Err(_) => None,
    };
    let Some(user) = chosen.filter(|u| u.pcn_id == pcn && may_lead(u)) else {
        return Err(AppError::BadRequest(
            "Choose a PCN administrator or clinician with an active account".into(),
        ));
    };
    let audit = ctx.audit(
        &state,
        AuditAction::NameSafeguardingLead,
        "setting",
        None,
        Outcome::Allowed,
    );
    state
        .store()
        .set_setting(pcn, SAFEGUARDING_LEAD_SETTING, &user.id.to_string(), &audit)
        .await?;
    Ok(Redirect::to("/safeguarding").into_response())
}

#[derive(Template)]
#[template(path = "safeguarding_concern.html")]
struct ConcernPage {
    layout: Layout,
    c: Concern,
    kind: &'static str,
    raised: String,
    raised_by: String,
    notes: Vec<(String, String, String)>,
    error: String,
}

/// The concern, for the named lead only; anyone else gets "not found".
async fn render_concern(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    error: String,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?.clone();
    if !is_lead(state, ctx).await? {
        return Err(AppError::NotFound);
    }
    let audit = ctx.audit(
        state,
        AuditAction::ViewConcern,
        "safeguarding_report",
        None,
        Outcome::Allowed,
    );
    let (c, notes) = state
        .store()
        .concern(actor.pcn_id, id, &audit)
        .await?
        .ok_or(AppError::NotFound)?;
    let users = state.store().users(actor.pcn_id).await?;
    let name_of = |id: UserId| {
        users
            .iter()
            .find(|u| u.id == id)
            .map(|u| format!("{} ({})", u.display_name, u.role.label()))
            .unwrap_or_default()
    };
    let page = ConcernPage {
        layout: Layout::new(state, ctx, kind_label(&c.kind)),
        kind: kind_label(&c.kind),
        raised: when(&c.raised_at),
        raised_by: name_of(c.raised_by),
        notes: notes
            .iter()
            .map(|n| (when(&n.at), name_of(n.by), n.note.clone()))
            .collect(),
        error,
        c,
    };
    let status = form_status(!page.error.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

async fn view(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    render_concern(&state, &ctx, &id, String::new()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FollowUpForm {
    note: String,
    /// "yes" to close the concern with this note.
    close: String,
}

async fn follow_up(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<FollowUpForm>,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?.clone();
    if !is_lead(&state, &ctx).await? {
        return Err(AppError::NotFound);
    }
    let audit = ctx.audit(
        &state,
        AuditAction::FollowUpConcern,
        "safeguarding_report",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .follow_up(
            actor.pcn_id,
            &id,
            actor.user_id,
            &f.note,
            f.close == "yes",
            &audit,
        )
        .await
    {
        Ok(()) => Ok(Redirect::to(&crate::paths::safeguarding::record(id)).into_response()),
        Err(StoreError::Refused(why)) => render_concern(&state, &ctx, &id, why.to_string()).await,
        Err(e) => Err(e.into()),
    }
}
