//! Sessions and passwords: starting, ending and remembering a sign-in, and hashing a password off
//! the async threads.

use crate::context::{Ctx, SESSION_COOKIE};
use crate::error::AppError;
use crate::state::AppState;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use together_core::tokens::{hash_token, random_token};
use together_store::{NewSession, User};

/// Runs CPU-heavy work of a request (argon2 takes tens of milliseconds of a core) on the
/// blocking pool, at most one at a time per core: twenty clients guessing passwords then wait
/// their turn there, instead of holding the threads every other request runs on.
pub(crate) async fn off_runtime<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    let _turn = state
        .0
        .cpu_work
        .acquire()
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::Internal(format!("password work stopped: {e}")))
}

/// [`together_core::password::verify_password`], off the runtime.
pub(crate) async fn verify_password(
    state: &AppState,
    password: &str,
    hash: &str,
) -> Result<bool, AppError> {
    let (password, hash) = (password.to_owned(), hash.to_owned());
    off_runtime(state, move || {
        together_core::password::verify_password(&password, &hash)
    })
    .await
}

/// [`together_core::password::hash_password`], off the runtime.
pub(crate) async fn hash_password(state: &AppState, password: &str) -> Result<String, AppError> {
    let password = password.to_owned();
    off_runtime(state, move || {
        together_core::password::hash_password(&password)
    })
    .await?
    .map_err(|e| AppError::Internal(e.to_string()))
}

pub(super) fn session_cookie(token: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Lax"
    ))
    .ok()
}

pub(super) fn clear_session_cookie() -> HeaderValue {
    HeaderValue::from_static("__Host-session=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// Starts a fresh session (a new token every time: rotation on sign-in and on the second
/// factor), ends the one the request came with, and returns the cookie that carries it.
pub(crate) async fn new_session(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    mfa_done: bool,
) -> Result<HeaderValue, AppError> {
    if let Some(old) = ctx.auth.as_ref().and_then(|a| a.session_hash.as_deref()) {
        state.store().delete_session(old).await?;
    }
    let token = random_token();
    state
        .store()
        .create_session(&NewSession {
            token_hash: hash_token(&token),
            user_id: user.id,
            now: state.now(),
            mfa_done,
            ip: ctx.ip.clone(),
            user_agent: ctx.user_agent.clone(),
        })
        .await?;
    session_cookie(&token).ok_or_else(|| AppError::Internal("session cookie".into()))
}

/// [`new_session`], then a redirect.
pub(crate) async fn start_session(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    mfa_done: bool,
    to: &str,
) -> Result<Response, AppError> {
    let cookie = new_session(state, ctx, user, mfa_done).await?;
    let mut res = Redirect::to(to).into_response();
    res.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(res)
}

/// Sends a signed-in user on: to the second factor if they owe one, otherwise home.
pub(crate) async fn after_password(
    state: &AppState,
    user: &User,
) -> Result<(bool, &'static str), AppError> {
    let owes = crate::context::mfa_required(state, user).await?;
    Ok(match (owes, user.totp_secret.is_some()) {
        (false, _) => (true, "/"),
        (true, true) => (false, "/sign-in/two-factor"),
        (true, false) => (false, "/account/two-factor"),
    })
}
