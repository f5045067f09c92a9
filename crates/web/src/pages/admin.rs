//! Setting up the PCN (its name, practices and sites), the team (invitations by role, resets),
//! the audit trail and the outbox. Only the PCN administrator reaches these pages.

use crate::auth::{links, LinkEmail};
use crate::context::Ctx;
use crate::error::path_id;
use crate::error::AppError;
use crate::layout::{when, Layout};
use crate::policy_router::{Policy, Routes};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use std::collections::HashMap;
use time::Duration;
use together_core::audit::AuditAction;
use together_core::people::FieldError;
use together_core::roles::VolunteerSecondFactor;
use together_core::{Action, Email, PracticeCode, PracticeId, Role, UserId};
use together_store::{AuditFilter, NewUser, Outcome, Practice, Site, TokenKind, User, UserStatus};

pub(crate) fn routes(r: Routes) -> Routes {
    let org = Policy::Allow(Action::ManageOrganisation);
    let users = Policy::Allow(Action::ManageUsers);
    r.get("/admin", org, overview)
        .post("/admin/pcn", org, rename_pcn)
        .post("/admin/practices", org, add_practice)
        .post("/admin/sites", org, add_site)
        .post("/admin/practices/{id}/data-sharing", org, data_sharing)
        .get("/admin/outbox", org, outbox)
        .get("/admin/users", users, users_page)
        .post("/admin/users", users, invite)
        .post("/admin/users/second-factor", users, second_factor_setting)
        .post("/admin/users/{id}/disable", users, disable)
        .post("/admin/users/{id}/enable", users, enable)
        .post("/admin/users/{id}/reset-password", users, reset_password)
        .post(
            "/admin/users/{id}/reset-two-factor",
            users,
            reset_two_factor,
        )
        .get("/admin/audit", Policy::Allow(Action::ViewAudit), audit)
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    layout: Layout,
    practices: Vec<Practice>,
    sites: Vec<Site>,
    errors: Vec<FieldError>,
    notice: String,
}

impl AdminPage {
    fn err(&self, field: &str) -> String {
        crate::layout::field_error(&self.errors, field)
    }
}

async fn render_overview(
    state: &AppState,
    ctx: &Ctx,
    errors: Vec<FieldError>,
    notice: &str,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let page = AdminPage {
        layout: Layout::new(state, ctx, "Set up the PCN"),
        practices: state.store().practices(pcn).await?,
        sites: state.store().sites(pcn).await?,
        errors,
        notice: notice.to_owned(),
    };
    let status = crate::layout::form_status(!page.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

async fn overview(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    render_overview(&state, &ctx, Vec::new(), "").await
}

fn field(field: &'static str, message: &str) -> Vec<FieldError> {
    vec![FieldError {
        field,
        message: message.to_owned(),
    }]
}

fn clean(s: &str, max: usize) -> Option<String> {
    let s = s.trim();
    (!s.is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control))
        .then(|| s.to_owned())
}

#[derive(Deserialize)]
struct RenameForm {
    name: String,
}

async fn rename_pcn(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<RenameForm>,
) -> Result<Response, AppError> {
    let Some(name) = clean(&f.name, 120) else {
        return render_overview(
            &state,
            &ctx,
            field("name", "Enter the PCN's name (120 characters at most)"),
            "",
        )
        .await;
    };
    let pcn = ctx.actor()?.pcn_id;
    state
        .store()
        .rename_pcn(
            pcn,
            &name,
            &ctx.audit(
                &state,
                AuditAction::RenamePcn,
                "pcn",
                Some(pcn.to_string()),
                Outcome::Allowed,
            ),
        )
        .await?;
    Ok(Redirect::to("/admin").into_response())
}

#[derive(Deserialize)]
struct PracticeForm {
    ods_code: String,
    practice_name: String,
}

async fn add_practice(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<PracticeForm>,
) -> Result<Response, AppError> {
    let code = f.ods_code.parse::<PracticeCode>();
    let name = clean(&f.practice_name, 120);
    let mut errors = Vec::new();
    if let Err(e) = &code {
        errors.push(FieldError {
            field: "ods_code",
            message: e.to_string(),
        });
    }
    if name.is_none() {
        errors.push(FieldError {
            field: "practice_name",
            message: "Enter the practice's name".into(),
        });
    }
    let (Ok(code), Some(name), true) = (code, name, errors.is_empty()) else {
        return render_overview(&state, &ctx, errors, "").await;
    };
    let pcn = ctx.actor()?.pcn_id;
    match state
        .store()
        .add_practice(
            pcn,
            &code,
            &name,
            &ctx.audit(
                &state,
                AuditAction::AddPractice,
                "practice",
                None,
                Outcome::Allowed,
            ),
            state.now(),
        )
        .await
    {
        Err(together_store::StoreError::Conflict(_)) => {
            render_overview(
                &state,
                &ctx,
                field(
                    "ods_code",
                    "A practice with this ODS code is already in Together",
                ),
                "",
            )
            .await
        }
        Err(e) => Err(e.into()),
        Ok(_) => {
            render_overview(
                &state,
                &ctx,
                Vec::new(),
                &format!("{name} ({code}) has been added."),
            )
            .await
        }
    }
}

#[derive(Deserialize)]
struct SharingForm {
    #[serde(default)]
    agreed: String,
}

/// Records (or withdraws) a practice's data-sharing agreement: pooled figures include only
/// practices that have one.
async fn data_sharing(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<SharingForm>,
) -> Result<Response, AppError> {
    let practice: PracticeId = path_id(&id)?;
    let agreed = f.agreed == "yes";
    let pcn = ctx.actor()?.pcn_id;
    let action = if agreed {
        together_core::audit::AuditAction::RecordDataSharingAgreement
    } else {
        together_core::audit::AuditAction::WithdrawDataSharingAgreement
    };
    state
        .store()
        .set_data_sharing(
            pcn,
            practice,
            agreed,
            &ctx.audit(&state, action, "practice", None, Outcome::Allowed),
        )
        .await?;
    Ok(Redirect::to("/admin").into_response())
}

#[derive(Deserialize)]
struct SiteForm {
    practice_id: String,
    site_name: String,
    address: String,
}

async fn add_site(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<SiteForm>,
) -> Result<Response, AppError> {
    let (Ok(practice), Some(name), Some(address)) = (
        f.practice_id.parse::<PracticeId>(),
        clean(&f.site_name, 120),
        clean(&f.address, 300),
    ) else {
        return render_overview(
            &state,
            &ctx,
            field(
                "site_name",
                "Choose a practice and enter the site's name and address",
            ),
            "",
        )
        .await;
    };
    let pcn = ctx.actor()?.pcn_id;
    state
        .store()
        .add_site(
            pcn,
            practice,
            &name,
            &address,
            &ctx.audit(&state, AuditAction::AddSite, "site", None, Outcome::Allowed),
            state.now(),
        )
        .await?;
    render_overview(&state, &ctx, Vec::new(), &format!("{name} has been added.")).await
}

pub(crate) struct UserRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub practice: String,
    pub status: &'static str,
    pub active: bool,
    pub two_factor: bool,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<UserRow>,
    practices: Vec<Practice>,
    roles: Vec<(&'static str, &'static str)>,
    errors: Vec<FieldError>,
    notice: String,
    /// Whether champions and partners must give a second factor ("required" or "offered").
    volunteers_second_factor: &'static str,
    demo: bool,
}

impl UsersPage {
    fn err(&self, field: &str) -> String {
        crate::layout::field_error(&self.errors, field)
    }
}

async fn render_users(
    state: &AppState,
    ctx: &Ctx,
    errors: Vec<FieldError>,
    notice: String,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let practices = state.store().practices(pcn).await?;
    let names: HashMap<PracticeId, String> =
        practices.iter().map(|p| (p.id, p.name.clone())).collect();
    let users = state
        .store()
        .users(pcn)
        .await?
        .into_iter()
        .map(|u| UserRow {
            id: u.id.to_string(),
            practice: u
                .practice_id
                .and_then(|p| names.get(&p).cloned())
                .unwrap_or_default(),
            name: u.display_name,
            email: u.email.to_string(),
            role: u.role.label(),
            status: match u.status {
                UserStatus::Invited => "Invited",
                UserStatus::Active => "Active",
                UserStatus::Disabled => "Disabled",
            },
            active: u.status != UserStatus::Disabled,
            two_factor: u.totp_secret.is_some(),
        })
        .collect();
    let volunteers = state
        .programme_settings(pcn)
        .await?
        .second_factor_volunteers;
    let page = UsersPage {
        layout: Layout::new(state, ctx, "Team"),
        users,
        practices,
        roles: Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        errors,
        notice,
        volunteers_second_factor: volunteers.as_str(),
        demo: state.config().demo,
    };
    let status = crate::layout::form_status(!page.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

async fn users_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    render_users(&state, &ctx, Vec::new(), String::new()).await
}

#[derive(Deserialize)]
struct SecondFactorForm {
    volunteers: String,
}

/// Requires a second factor of champions and partners, or only offers it. When it becomes
/// required, those without one are signed out, so that their next sign-in asks them to set it up.
async fn second_factor_setting(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<SecondFactorForm>,
) -> Result<Response, AppError> {
    let choice = match f.volunteers.as_str() {
        "required" => VolunteerSecondFactor::Required,
        "offered" => VolunteerSecondFactor::Offered,
        _ => {
            return render_users(
                &state,
                &ctx,
                field(
                    "volunteers",
                    "Choose whether champions and partners must use a second factor",
                ),
                String::new(),
            )
            .await
        }
    };
    let pcn = ctx.actor()?.pcn_id;
    let audit = ctx.audit(
        &state,
        AuditAction::SetSecondFactorForVolunteers,
        "setting",
        Some(choice.as_str().to_owned()),
        Outcome::Allowed,
    );
    state
        .store()
        .set_setting(pcn, VolunteerSecondFactor::SETTING, choice.as_str(), &audit)
        .await?;
    let mut signed_out = 0;
    if choice == VolunteerSecondFactor::Required {
        for u in state.store().users(pcn).await? {
            if !u.role.is_staff() && u.totp_secret.is_none() && u.status == UserStatus::Active {
                state.store().delete_user_sessions(u.id).await?;
                signed_out += 1;
            }
        }
    }
    let notice = match choice {
        VolunteerSecondFactor::Required => format!(
            "Champions and partners now set up a second factor when they next sign in ({signed_out} without one were signed out)."
        ),
        VolunteerSecondFactor::Offered => "Champions and partners may now set up a second factor, but need not.".to_owned(),
    };
    render_users(&state, &ctx, Vec::new(), notice).await
}

#[derive(Deserialize)]
struct InviteForm {
    display_name: String,
    email: String,
    role: String,
    #[serde(default)]
    practice_id: String,
}

/// Emails the user an invitation (enrolment) or a new-password link.
async fn send_link(state: &AppState, user: &User, kind: TokenKind) -> Result<(), AppError> {
    let (valid, subject, before) = match kind {
        TokenKind::Enrol => (
            Duration::days(7),
            "You're invited to join us on Together",
            format!(
                "{}, we'd love you to join us on Together as {}. Choose your password here (the link works once, within 7 days):",
                user.display_name,
                user.role.label()
            ),
        ),
        _ => (
            Duration::days(1),
            "Choose a new Together password",
            format!(
                "{}, your PCN administrator has reset your Together password. Choose a new one here (the link works once, within a day):",
                user.display_name
            ),
        ),
    };
    let email = LinkEmail {
        subject,
        before: &before,
        after: "",
    };
    links::send_link(state, user, kind, valid, &email).await
}

async fn invite(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<InviteForm>,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?.clone();
    let mut errors = Vec::new();
    let name = clean(&f.display_name, 100);
    if name.is_none() {
        errors.push(FieldError {
            field: "display_name",
            message: "Enter their name".into(),
        });
    }
    let email = f.email.parse::<Email>();
    if email.is_err() {
        errors.push(FieldError {
            field: "email",
            message: "Enter an email address, like name@example.com".into(),
        });
    }
    let role = f.role.parse::<Role>();
    if role.is_err() {
        errors.push(FieldError {
            field: "role",
            message: "Choose their role".into(),
        });
    }
    let practice = f.practice_id.parse::<PracticeId>().ok();
    if role.as_ref().is_ok_and(|r| r.needs_practice()) && practice.is_none() {
        errors.push(FieldError {
            field: "practice_id",
            message: "Choose the practice a clinician works for".into(),
        });
    }
    let (Some(name), Ok(email), Ok(role), true) = (name, email, role, errors.is_empty()) else {
        return render_users(&state, &ctx, errors, String::new()).await;
    };
    let new = NewUser {
        pcn_id: actor.pcn_id,
        email,
        display_name: name,
        role,
        practice_id: practice.filter(|_| role.needs_practice()),
        status: UserStatus::Invited,
        password_hash: None,
    };
    let id = match state
        .store()
        .create_user(
            &new,
            &ctx.audit(
                &state,
                AuditAction::InviteUser,
                "user",
                None,
                Outcome::Allowed,
            ),
            state.now(),
        )
        .await
    {
        Err(together_store::StoreError::Conflict(_)) => {
            return render_users(
                &state,
                &ctx,
                field(
                    "email",
                    "Someone with this email address already has an account",
                ),
                String::new(),
            )
            .await
        }
        other => other?,
    };
    let user = state.store().user(id).await?.ok_or(AppError::NotFound)?;
    send_link(&state, &user, TokenKind::Enrol).await?;
    render_users(
        &state,
        &ctx,
        Vec::new(),
        format!(
            "{} has been sent an invitation to {}.",
            user.display_name, user.email
        ),
    )
    .await
}

/// The user named in the path, if they belong to the administrator's PCN.
async fn own_user(state: &AppState, ctx: &Ctx, id: &str) -> Result<User, AppError> {
    let id: UserId = path_id(id)?;
    let pcn = ctx.actor()?.pcn_id;
    state
        .store()
        .user(id)
        .await?
        .filter(|u| u.pcn_id == pcn)
        .ok_or(AppError::NotFound)
}

async fn set_status(
    state: AppState,
    ctx: Ctx,
    id: String,
    status: UserStatus,
    action: together_core::audit::AuditAction,
) -> Result<Response, AppError> {
    let user = own_user(&state, &ctx, &id).await?;
    if user.id == ctx.actor()?.user_id && status == UserStatus::Disabled {
        return render_users(
            &state,
            &ctx,
            field("users", "You cannot disable your own account"),
            String::new(),
        )
        .await;
    }
    let target = if status == UserStatus::Active && user.password_hash.is_none() {
        UserStatus::Invited
    } else {
        status
    };
    state
        .store()
        .set_user_status(
            user.id,
            target,
            &ctx.audit(&state, action, "user", None, Outcome::Allowed),
        )
        .await?;
    Ok(Redirect::to("/admin/users").into_response())
}

async fn disable(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    set_status(
        state,
        ctx,
        id,
        UserStatus::Disabled,
        together_core::audit::AuditAction::DisableUser,
    )
    .await
}

async fn enable(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    set_status(
        state,
        ctx,
        id,
        UserStatus::Active,
        together_core::audit::AuditAction::EnableUser,
    )
    .await
}

async fn reset_password(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let user = own_user(&state, &ctx, &id).await?;
    state.store().delete_user_sessions(user.id).await?;
    state
        .store()
        .audit(&ctx.audit(
            &state,
            AuditAction::ResetPassword,
            "user",
            Some(user.id.to_string()),
            Outcome::Allowed,
        ))
        .await?;
    let kind = if user.password_hash.is_some() {
        TokenKind::Reset
    } else {
        TokenKind::Enrol
    };
    send_link(&state, &user, kind).await?;
    render_users(
        &state,
        &ctx,
        Vec::new(),
        format!(
            "{} has been sent a link to choose a new password.",
            user.display_name
        ),
    )
    .await
}

async fn reset_two_factor(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let user = own_user(&state, &ctx, &id).await?;
    state
        .store()
        .set_totp(
            user.id,
            None,
            &[],
            &ctx.audit(
                &state,
                AuditAction::ResetSecondFactor,
                "user",
                None,
                Outcome::Allowed,
            ),
        )
        .await?;
    state.store().delete_user_sessions(user.id).await?;
    render_users(
        &state,
        &ctx,
        Vec::new(),
        format!(
            "{} will set up a new second factor when they next sign in.",
            user.display_name
        ),
    )
    .await
}

pub(crate) struct AuditRow {
    /// The event's place in the trail (later is greater), for putting trails together.
    pub seq: i64,
    pub at: String,
    pub who: String,
    pub role: String,
    pub action: String,
    pub resource: String,
    pub outcome: String,
    pub reason: String,
    pub ip: String,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    layout: Layout,
    rows: Vec<AuditRow>,
    heading: String,
}

#[derive(Deserialize, Default)]
pub(crate) struct AuditQuery {
    resource_type: Option<String>,
    resource_id: Option<String>,
}

/// Audit rows with actors shown by name (staff names are not personal data of the subject).
pub(crate) async fn audit_rows(
    state: &AppState,
    ctx: &Ctx,
    filter: &AuditFilter,
) -> Result<Vec<AuditRow>, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let names: HashMap<String, String> = state
        .store()
        .users(pcn)
        .await?
        .into_iter()
        .map(|u| (format!("user:{}", u.id), u.display_name))
        .collect();
    Ok(state
        .store()
        .audit_events(pcn, filter)
        .await?
        .into_iter()
        .map(|e| AuditRow {
            seq: e.id,
            at: when(&e.at),
            who: names.get(&e.actor).cloned().unwrap_or(e.actor),
            role: e.role,
            action: e.action.replace('_', " "),
            resource: match e.resource_id {
                Some(id) => format!("{} {}", e.resource_type, id),
                None => e.resource_type,
            },
            outcome: e.outcome.replace('_', " "),
            reason: e.reason.unwrap_or_default(),
            ip: e.ip.unwrap_or_default(),
        })
        .collect())
}

async fn audit(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    let filter = AuditFilter {
        resource_type: q.resource_type.filter(|s| !s.is_empty()),
        resource_id: q.resource_id.filter(|s| !s.is_empty()),
        actor: None,
        limit: 500,
    };
    let rows = audit_rows(&state, &ctx, &filter).await?;
    let page = AuditPage {
        layout: Layout::new(&state, &ctx, "Audit"),
        rows,
        heading: "Who did what".into(),
    };
    Ok(Html(page.render()?).into_response())
}

pub(crate) struct MessageRow {
    pub created: String,
    pub channel: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub delivered: bool,
    pub withheld: bool,
}

#[derive(Template)]
#[template(path = "admin_outbox.html")]
struct OutboxPage {
    layout: Layout,
    messages: Vec<MessageRow>,
}

/// Hides one-time link tokens: a message's link is for its recipient, not for whoever reads
/// the outbox.
pub(crate) fn mask_tokens(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(i) = rest.find("token=") {
        out.push_str(&rest[..i + 6]);
        rest = &rest[i + 6..];
        let end = rest
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(rest.len());
        out.push_str("[hidden]");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

async fn outbox(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let messages = state
        .store()
        .messages(Some(ctx.actor()?.pcn_id), 200)
        .await?
        .into_iter()
        .map(|m| MessageRow {
            created: when(&m.created_at),
            channel: m.channel,
            recipient: m.recipient,
            subject: m.subject,
            body: mask_tokens(&m.body),
            delivered: m.delivered,
            withheld: m.withheld.is_some(),
        })
        .collect();
    Ok(Html(
        OutboxPage {
            layout: Layout::new(&state, &ctx, "Messages sent"),
            messages,
        }
        .render()?,
    )
    .into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_in_links_are_hidden() {
        let body = "Choose here: http://x/enrol?token=abcdef0123456789 now, or http://x/reset-password?token=ff.";
        assert_eq!(super::mask_tokens(body), "Choose here: http://x/enrol?token=[hidden] now, or http://x/reset-password?token=[hidden].");
    }
}
