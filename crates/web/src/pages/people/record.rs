//! A person's record: opened (audited, with break-glass outside a link worker's caseload), their
//! consent recorded and withdrawn, and who has viewed it.

use crate::context::{denied, Ctx};
use crate::error::path_id;
use crate::error::AppError;
use crate::layout::{date, when, Layout};
use crate::pages::admin::{audit_rows, AuditRow};
use crate::person_access::*;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use together_core::audit::AuditAction;
use together_core::people::{ConsentMethod, ConsentPurpose};
use together_core::{authorize, Action, Decision, PersonId, Resource, Role};
use together_store::{AuditFilter, Channel, NewMessage, Outcome, Person};

#[derive(Template)]
#[template(path = "person.html")]
pub(super) struct PersonPage {
    pub(super) layout: Layout,
    pub(super) person: Person,
    pub(super) born: String,
    pub(super) age: i32,
    pub(super) practice: String,
    pub(super) preference: &'static str,
    pub(super) consents: Vec<ConsentRow>,
    pub(super) purposes: Vec<(&'static str, &'static str)>,
    pub(super) methods: Vec<(&'static str, &'static str)>,
    pub(super) can_see_access: bool,
    pub(super) can_update: bool,
    pub(super) can_merge: bool,
    pub(super) can_answer_sar: bool,
    pub(super) break_glass: bool,
    pub(super) equipment: crate::pages::equipment::PersonEquipment,
    pub(super) connections: crate::pages::connections::PersonConnections,
    pub(super) referrals: crate::pages::referrals::PersonReferrals,
    pub(super) today_hint: String,
    pub(super) decisions: Vec<(String, String)>,
    pub(super) problem: crate::layout::Problem,
}

pub(crate) struct ConsentRow {
    pub purpose: &'static str,
    pub method: &'static str,
    pub given: String,
    pub recorded_by: String,
    pub withdrawn: String,
}

#[derive(Template)]
#[template(path = "person_reason.html")]
pub(super) struct ReasonPage {
    pub(super) layout: Layout,
    pub(super) id: PersonId,
    pub(super) error: String,
}

/// The person's page again, with a problem in one of its forms (the lending form, say).
pub(crate) async fn show_with(
    state: &AppState,
    ctx: &Ctx,
    id: PersonId,
    problem: crate::layout::Problem,
) -> Result<Response, AppError> {
    show(state, ctx, id, Outcome::Allowed, None, problem).await
}

pub(super) async fn show(
    state: &AppState,
    ctx: &Ctx,
    id: PersonId,
    outcome: Outcome,
    reason: Option<String>,
    problem: crate::layout::Problem,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?.clone();
    let mut audit = ctx.audit(state, AuditAction::ViewPerson, "person", None, outcome);
    audit.reason = reason;
    let person = state
        .store()
        .read_person(actor.pcn_id, id, &audit)
        .await?
        .ok_or(AppError::NotFound)?;
    let consents = state
        .store()
        .consents(id)
        .await?
        .into_iter()
        .map(|c| ConsentRow {
            purpose: c
                .purpose
                .parse::<ConsentPurpose>()
                .map(|p| p.label())
                .unwrap_or("Other"),
            method: c
                .method
                .parse::<ConsentMethod>()
                .map(|m| m.label())
                .unwrap_or("Other"),
            given: when(&c.given_at),
            recorded_by: c.recorded_by,
            withdrawn: c.withdrawn_at.as_ref().map(when).unwrap_or_default(),
        })
        .collect();
    let today = state.now().date();
    let mut age = today.year() - person.date_of_birth.year();
    if (today.month() as u8, today.day())
        < (
            person.date_of_birth.month() as u8,
            person.date_of_birth.day(),
        )
    {
        age -= 1;
    }
    let practice = practice_names(state, ctx)
        .await?
        .remove(&person.practice_id)
        .unwrap_or_default();
    let page = PersonPage {
        layout: Layout::new(
            state,
            ctx,
            &format!("{} {}", person.given_name, person.family_name),
        ),
        born: date(&person.date_of_birth),
        age,
        practice,
        preference: person.contact_preference.label(),
        consents,
        purposes: ConsentPurpose::ALL
            .iter()
            .map(|p| (p.as_str(), p.label()))
            .collect(),
        methods: ConsentMethod::ALL
            .iter()
            .map(|m| (m.as_str(), m.label()))
            .collect(),
        can_see_access: authorize(&actor, Action::ViewAudit, &Resource::Pcn(actor.pcn_id))
            .is_allowed(),
        can_update: may(state, ctx, id, Action::UpdatePerson).await?,
        can_merge: authorize(&actor, Action::MergePeople, &Resource::Pcn(actor.pcn_id))
            .is_allowed(),
        can_answer_sar: authorize(
            &actor,
            Action::PersonSubjectAccess,
            &Resource::Pcn(actor.pcn_id),
        )
        .is_allowed(),
        break_glass: outcome == Outcome::BreakGlass,
        equipment: crate::pages::equipment::person_equipment(state, ctx, id).await?,
        connections: crate::pages::connections::person_connections(state, ctx, id).await?,
        referrals: crate::pages::referrals::person_referrals(state, ctx, id).await?,
        today_hint: format!(
            "Leave empty for today, {}",
            together_core::people::uk_date(state.now().date())
        ),
        decisions: [("accepted", "Accepted"), ("declined", "Declined")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .to_vec(),
        person,
        problem,
    };
    let status = crate::layout::form_status(!page.problem.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

pub(super) async fn view(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    // A record merged into another leads there (the policy then asks about that one).
    if let Some(kept) = state.store().merged_into(ctx.actor()?.pcn_id, id).await? {
        return Ok(Redirect::to(&crate::paths::people::record(kept)).into_response());
    }
    let ask_reason = || -> Result<Response, AppError> {
        let page = ReasonPage {
            layout: Layout::new(&state, &ctx, "This person is not on your caseload"),
            id,
            error: String::new(),
        };
        Ok(Html(page.render()?).into_response())
    };
    match decide(&state, &ctx, id, Action::ViewPerson).await? {
        // A link worker is asked for a reason for a record that does not exist as for one
        // outside their caseload, so the page does not tell them which ids are people.
        None if ctx.actor()?.role == Role::LinkWorker => ask_reason(),
        None => Err(AppError::NotFound),
        Some(Decision::Allow) => {
            show(
                &state,
                &ctx,
                id,
                Outcome::Allowed,
                None,
                crate::layout::Problem::none(),
            )
            .await
        }
        Some(Decision::AllowWithReason) => ask_reason(),
        // Outside the actor's reach: the same answer as a record that does not exist.
        Some(Decision::Deny) => {
            denied(
                &state,
                &ctx,
                together_core::audit::AuditAction::ViewPerson,
                "person",
                Some(id.to_string()),
            )
            .await;
            Err(AppError::NotFound)
        }
    }
}

#[derive(Deserialize)]
pub(super) struct ReasonForm {
    pub(super) reason: String,
}

pub(super) async fn break_glass(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ReasonForm>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    match decide(&state, &ctx, id, Action::ViewPerson).await? {
        Some(Decision::Allow) => {
            Ok(Redirect::to(&crate::paths::people::record(id)).into_response())
        }
        Some(Decision::AllowWithReason) => {
            let reason = f.reason.trim().to_owned();
            if reason.chars().count() < 10 || reason.chars().count() > 500 {
                let page = ReasonPage {
                    layout: Layout::new(&state, &ctx, "This person is not on your caseload"),
                    id,
                    error: "Say why you need to open this record (10 to 500 characters)".into(),
                };
                return Ok(
                    (axum::http::StatusCode::BAD_REQUEST, Html(page.render()?)).into_response()
                );
            }
            alert_administrators(&state, &ctx, id).await?;
            show(
                &state,
                &ctx,
                id,
                Outcome::BreakGlass,
                Some(reason),
                crate::layout::Problem::none(),
            )
            .await
        }
        _ => Err(AppError::NotFound),
    }
}

/// Tells the PCN's administrators (who hold the information governance role) that a record was
/// opened outside a caseload. The message names no one: it points at the audit trail.
pub(super) async fn alert_administrators(
    state: &AppState,
    ctx: &Ctx,
    id: PersonId,
) -> Result<(), AppError> {
    let a = ctx.auth()?;
    for admin in state
        .store()
        .users(a.actor.pcn_id)
        .await?
        .into_iter()
        .filter(|u| u.role == Role::PcnAdmin && u.status == together_store::UserStatus::Active)
    {
        state
            .store()
            .enqueue_message(&NewMessage {
                pcn_id: Some(a.actor.pcn_id),
                person: None,
                channel: Channel::Email,
                recipient: admin.email.to_string(),
                subject: "A record was opened outside a caseload".into(),
                body: format!(
                    "{} opened person record {id} giving a reason. See who viewed it: {}/people/{id}/access",
                    a.user.display_name,
                    state.config().public_url.trim_end_matches('/')
                ),
                now: state.now(),
            })
            .await?;
    }
    Ok(())
}

#[derive(Deserialize)]
pub(super) struct ConsentForm {
    pub(super) purpose: String,
    pub(super) method: String,
}

pub(super) async fn add_consent(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ConsentForm>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    may_update(&state, &ctx, id).await?;
    let (Ok(purpose), Ok(method)) = (
        f.purpose.parse::<ConsentPurpose>(),
        f.method.parse::<ConsentMethod>(),
    ) else {
        return Err(AppError::BadRequest(
            "Choose what they agreed to and how".into(),
        ));
    };
    let audit = ctx.audit(
        &state,
        AuditAction::RecordConsent,
        "person",
        None,
        Outcome::Allowed,
    );
    state
        .store()
        .add_consent(id, purpose, method, ctx.actor()?.user_id, &audit)
        .await?;
    Ok(Redirect::to(&crate::paths::people::section(id, "consent")).into_response())
}

pub(super) async fn withdraw(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    may_update(&state, &ctx, id).await?;
    let audit = ctx.audit(
        &state,
        AuditAction::WithdrawConsent,
        "person",
        None,
        Outcome::Allowed,
    );
    state
        .store()
        .withdraw_consents(id, ctx.actor()?.user_id, &audit)
        .await?;
    Ok(Redirect::to(&crate::paths::people::section(id, "consent")).into_response())
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
pub(super) struct AccessPage {
    pub(super) layout: Layout,
    pub(super) rows: Vec<AuditRow>,
    pub(super) heading: String,
}

pub(super) async fn access_log(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let actor = ctx.actor()?;
    if state
        .store()
        .person_scope(actor.pcn_id, id, actor.user_id)
        .await?
        .is_none()
    {
        return Err(AppError::NotFound);
    }
    // A merged record's trail is this person's too.
    let mut rows = Vec::new();
    for one in std::iter::once(id).chain(state.store().merged_from(actor.pcn_id, id).await?) {
        let filter = AuditFilter {
            resource_type: Some("person".into()),
            resource_id: Some(one.to_string()),
            actor: None,
            limit: 500,
        };
        rows.extend(audit_rows(&state, &ctx, &filter).await?);
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.seq));
    let page = AccessPage {
        layout: Layout::new(&state, &ctx, "Who has viewed this record"),
        rows,
        heading: format!("Who has viewed or changed record {id}"),
    };
    Ok(Html(page.render()?).into_response())
}
