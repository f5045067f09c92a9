use super::session::{after_password, clear_session_cookie, start_session};
use super::session::{hash_password, verify_password};
use crate::context::Ctx;
use crate::error::AppError;
use crate::layout::Layout;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use together_core::audit::AuditAction;
use together_core::password::{dummy_hash, needs_rehash};
use together_core::Email;
use together_store::{Outcome, UserStatus};

/// The one message for every failed sign-in, so that it never tells whether an account exists
/// or is locked.
pub(crate) const SIGN_IN_FAILED: &str = "Enter a correct email address and password";

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    layout: Layout,
    email: String,
    error: String,
    demo: bool,
}

pub(crate) async fn page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    if ctx.auth.as_ref().is_some_and(|a| a.mfa_done) {
        return Ok(Redirect::to("/").into_response());
    }
    render(&state, &ctx, String::new(), String::new())
}

fn render(state: &AppState, ctx: &Ctx, email: String, error: String) -> Result<Response, AppError> {
    let page = SignInPage {
        layout: Layout::new(state, ctx, "Sign in"),
        email,
        error,
        demo: state.config().demo,
    };
    let status = if page.error.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNAUTHORIZED
    };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(Deserialize)]
pub(crate) struct SignInForm {
    email: String,
    password: String,
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<SignInForm>,
) -> Result<Response, AppError> {
    let now = state.now();
    let cfg = state.config();
    // Counted before the password is checked (so that guesses sent at once are all counted),
    // and forgiven once it matches: only failures use up the address's allowance.
    let limit_key = format!("sign-in:{}", ctx.ip);
    if let Err(wait) = state.0.limiter.check(
        &limit_key,
        now,
        cfg.sign_in_failures_per_address,
        cfg.limit_window,
    ) {
        return Err(AppError::TooMany(wait));
    }
    let counted_at = now;
    let user = match form.email.parse::<Email>() {
        Ok(email) => state.store().user_by_email(&email).await?,
        Err(_) => None,
    };
    let Some(user) = user else {
        // Spend the same time as a real check, so timing does not reveal unknown accounts.
        verify_password(&state, &form.password, dummy_hash()).await?;
        return render(&state, &ctx, form.email, SIGN_IN_FAILED.into());
    };
    // This account's attempts one at a time, each reading the account afresh: what the
    // attempts before it counted and locked is seen.
    let _turn = state.0.sign_in_turns.take(user.id).await;
    let Some(user) = state.store().user(user.id).await? else {
        return render(&state, &ctx, form.email, SIGN_IN_FAILED.into());
    };
    let now = state.now();
    let locked = user.locked_until.is_some_and(|t| t > now);
    let usable = user.status == UserStatus::Active && !locked;
    let matches = verify_password(
        &state,
        &form.password,
        user.password_hash.as_deref().unwrap_or(dummy_hash()),
    )
    .await?;
    let audit = |outcome, reason: &str| {
        let mut e = ctx.audit(
            &state,
            AuditAction::SignIn,
            "user",
            Some(user.id.to_string()),
            outcome,
        );
        e.pcn_id = Some(user.pcn_id);
        e.actor = format!("user:{}", user.id);
        e.role = user.role.as_str().into();
        e.reason = Some(reason.to_owned()).filter(|r| !r.is_empty());
        e
    };
    if !usable || !matches {
        if usable {
            state
                .store()
                .record_failed_sign_in(user.id, now, together_core::password::Lockout::DEFAULT)
                .await?;
        }
        let why = if locked {
            "account locked"
        } else if !usable {
            "account not active"
        } else {
            "wrong password"
        };
        state.store().audit(&audit(Outcome::Denied, why)).await?;
        return render(&state, &ctx, form.email, SIGN_IN_FAILED.into());
    }
    state.0.limiter.forgive(&limit_key, counted_at);
    state.store().clear_failed_sign_ins(user.id).await?;
    if user.password_hash.as_deref().is_some_and(needs_rehash) {
        if let Ok(h) = hash_password(&state, &form.password).await {
            state.store().set_password(user.id, &h).await?;
        }
    }
    state.store().audit(&audit(Outcome::Allowed, "")).await?;
    let (mfa_done, to) = after_password(&state, &user).await?;
    start_session(&state, &ctx, &user, mfa_done, to).await
}

pub(crate) async fn sign_out(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, AppError> {
    if let Some(hash) = ctx.auth.as_ref().and_then(|a| a.session_hash.as_deref()) {
        state.store().delete_session(hash).await?;
    }
    let mut res = Redirect::to("/sign-in").into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, clear_session_cookie());
    Ok(res)
}
