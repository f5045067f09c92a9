//! One's own account: change password, second factor, and the sessions signed in elsewhere.

use super::session::clear_session_cookie;
use super::session::{hash_password, verify_password};
use crate::context::Ctx;
use crate::error::AppError;
use crate::layout::{when, Layout};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use together_core::audit::AuditAction;
use together_core::password::check_new_password;
use together_store::Outcome;

pub(crate) struct SessionRow {
    pub id: String,
    pub started: String,
    pub last_seen: String,
    pub device: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    email: String,
    role: &'static str,
    pcn: String,
    two_factor: bool,
    sessions: Vec<SessionRow>,
    error: String,
    notice: String,
}

async fn render(
    state: &AppState,
    ctx: &Ctx,
    error: String,
    notice: String,
) -> Result<Response, AppError> {
    let a = ctx.auth()?;
    let sessions = state
        .store()
        .user_sessions(a.user.id)
        .await?
        .into_iter()
        .map(|s| SessionRow {
            // The first 16 hex characters of the token's hash name a session without revealing it.
            id: s.token_hash[..16].to_owned(),
            started: when(&s.created_at),
            last_seen: when(&s.last_seen_at),
            device: format!(
                "{} from {}",
                if s.user_agent.is_empty() {
                    "Unknown browser"
                } else {
                    &s.user_agent
                },
                s.ip
            ),
            current: Some(&s.token_hash) == a.session_hash.as_ref(),
        })
        .collect();
    let page = AccountPage {
        layout: Layout::new(state, ctx, "Your account"),
        email: a.user.email.to_string(),
        role: a.user.role.label(),
        pcn: a.pcn_name.clone(),
        two_factor: a.user.totp_secret.is_some(),
        sessions,
        error,
        notice,
    };
    let status = crate::layout::form_status(!page.error.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

pub(crate) async fn page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    render(&state, &ctx, String::new(), String::new()).await
}

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    current_password: String,
    new_password: String,
}

pub(crate) async fn change_password(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let a = ctx.auth()?;
    if !verify_password(
        &state,
        &f.current_password,
        a.user.password_hash.as_deref().unwrap_or(""),
    )
    .await?
    {
        return render(
            &state,
            &ctx,
            "Your current password is not right".into(),
            String::new(),
        )
        .await;
    }
    let email = a.user.email.to_string();
    if let Err(e) = check_new_password(&f.new_password, &[&a.pcn_name, &email]) {
        return render(&state, &ctx, e.to_string(), String::new()).await;
    }
    let hash = hash_password(&state, &f.new_password).await?;
    state.store().set_password(a.user.id, &hash).await?;
    // Every other session ends: a changed password must lock out whoever knew the old one.
    for s in state.store().user_sessions(a.user.id).await? {
        if Some(&s.token_hash) != a.session_hash.as_ref() {
            state.store().delete_session(&s.token_hash).await?;
        }
    }
    state
        .store()
        .audit(&ctx.audit(
            &state,
            AuditAction::ChangePassword,
            "user",
            Some(a.user.id.to_string()),
            Outcome::Allowed,
        ))
        .await?;
    render(
        &state,
        &ctx,
        String::new(),
        "Your password has been changed. You have been signed out everywhere else.".into(),
    )
    .await
}

#[derive(Deserialize)]
pub(crate) struct EndForm {
    session: String,
}

pub(crate) async fn end_session(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<EndForm>,
) -> Result<Response, AppError> {
    let a = ctx.auth()?;
    let sessions = state.store().user_sessions(a.user.id).await?;
    // Only the user's own sessions can be named here.
    if let Some(s) = sessions
        .iter()
        .find(|s| s.token_hash.starts_with(&f.session) && f.session.len() == 16)
    {
        state.store().delete_session(&s.token_hash).await?;
    }
    Ok(Redirect::to("/account").into_response())
}

pub(crate) async fn end_all_sessions(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, AppError> {
    let a = ctx.auth()?;
    state.store().delete_user_sessions(a.user.id).await?;
    state
        .store()
        .audit(&ctx.audit(
            &state,
            AuditAction::SignOutEverywhere,
            "user",
            Some(a.user.id.to_string()),
            Outcome::Allowed,
        ))
        .await?;
    let mut res = Redirect::to("/sign-in").into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, clear_session_cookie());
    Ok(res)
}
