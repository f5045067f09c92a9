//! The request context: who is asking (from the session cookie or an API token, never from the
//! request's parameters), the request id, the client address and the CSRF token. Built once per
//! request by [`load`], which also renders error responses for pages and the API.

use crate::error::AppError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use together_core::audit::AuditAction;
use together_core::tokens::hash_token;
use together_core::Actor;
use together_store::{NewAuditEvent, Outcome, User, UserStatus};

pub(crate) const SESSION_COOKIE: &str = "__Host-session";
pub(crate) const ANON_COOKIE: &str = "__Host-anon";

/// The signed-in user, as established by the session or API token.
#[derive(Debug, Clone)]
pub struct Auth {
    pub user: User,
    pub actor: Actor,
    pub pcn_name: String,
    /// The session's token hash; `None` for API-token requests.
    pub session_hash: Option<String>,
    /// Whether the second factor has been given (always true for API tokens and when not required).
    pub mfa_done: bool,
    /// Whether this user must give a second factor at all (staff; champions and partners when
    /// their PCN requires it; anyone who has set one up).
    pub mfa_required: bool,
}

/// Everything a handler needs to know about the request it is serving.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub request_id: String,
    pub ip: String,
    pub user_agent: String,
    pub path: String,
    pub is_api: bool,
    pub auth: Option<Auth>,
    pub csrf_token: String,
}

impl Ctx {
    /// The signed-in actor, or an error asking to sign in.
    pub fn actor(&self) -> Result<&Actor, AppError> {
        self.auth
            .as_ref()
            .map(|a| &a.actor)
            .ok_or(AppError::SignInRequired)
    }

    pub fn auth(&self) -> Result<&Auth, AppError> {
        self.auth.as_ref().ok_or(AppError::SignInRequired)
    }

    /// An audit event for this request, stamped with who, where and when.
    pub fn audit(
        &self,
        state: &AppState,
        action: AuditAction,
        resource_type: &str,
        resource_id: Option<String>,
        outcome: Outcome,
    ) -> NewAuditEvent {
        NewAuditEvent {
            at: state.now(),
            actor: self
                .auth
                .as_ref()
                .map(|a| format!("user:{}", a.user.id))
                .unwrap_or_else(|| "anonymous".into()),
            role: self
                .auth
                .as_ref()
                .map(|a| a.actor.role.as_str().to_owned())
                .unwrap_or_else(|| "public".into()),
            pcn_id: self.auth.as_ref().map(|a| a.actor.pcn_id),
            action,
            resource_type: resource_type.into(),
            resource_id,
            outcome,
            reason: None,
            request_id: Some(self.request_id.clone()),
            ip: Some(self.ip.clone()),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| AppError::Internal("request context missing".into()))
    }
}

pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Builds the `Actor` for a user: scope comes from their stored role assignment.
pub(crate) fn actor_of(user: &User) -> Actor {
    Actor {
        user_id: user.id,
        role: user.role,
        pcn_id: user.pcn_id,
        practice_id: user.practice_id,
    }
}

/// Whether this user must give a second factor before using the service (the rule is
/// [`together_core::roles::second_factor_required`]; the PCN's setting is read only when it
/// matters, for a champion or partner without one outside the demo).
pub(crate) async fn mfa_required(state: &AppState, user: &User) -> Result<bool, AppError> {
    use together_core::roles::{second_factor_required, VolunteerSecondFactor};
    let demo = state.config().demo;
    let has = user.totp_secret.is_some();
    let volunteers = if has || demo || user.role.is_staff() {
        VolunteerSecondFactor::Required
    } else {
        state
            .programme_settings(user.pcn_id)
            .await?
            .second_factor_volunteers
    };
    Ok(second_factor_required(user.role, demo, has, volunteers))
}

pub(crate) async fn from_api_token(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Auth>, AppError> {
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return Ok(None);
    };
    let Some(user_id) = state
        .store()
        .api_token_user(&hash_token(token.trim()), state.now())
        .await?
    else {
        return Ok(None);
    };
    auth_for(state, user_id, None, true).await
}

async fn auth_for(
    state: &AppState,
    user_id: together_core::UserId,
    session_hash: Option<String>,
    mfa_done: bool,
) -> Result<Option<Auth>, AppError> {
    let Some(user) = state.store().user(user_id).await? else {
        return Ok(None);
    };
    if user.status != UserStatus::Active {
        return Ok(None);
    }
    let pcn_name = state
        .store()
        .pcn(user.pcn_id)
        .await?
        .map(|p| p.name)
        .unwrap_or_default();
    let mfa_required = mfa_required(state, &user).await?;
    Ok(Some(Auth {
        actor: actor_of(&user),
        user,
        pcn_name,
        session_hash,
        mfa_done,
        mfa_required,
    }))
}

pub(crate) async fn from_session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Auth>, AppError> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = hash_token(token);
    let Some(session) = state.store().session(&hash).await? else {
        return Ok(None);
    };
    let now = state.now();
    let cfg = state.config();
    if now - session.last_seen_at > cfg.idle_timeout
        || now - session.created_at > cfg.absolute_timeout
    {
        state.store().delete_session(&hash).await?;
        return Ok(None);
    }
    let Some(auth) = auth_for(state, session.user_id, Some(hash.clone()), session.mfa_done).await?
    else {
        return Ok(None);
    };
    // Recording every request would turn each page view into a write; a minute's precision is
    // plenty for a 30-minute idle timeout.
    if now - session.last_seen_at >= time::Duration::minutes(1) {
        state
            .store()
            .touch_session(&hash, now, session.mfa_done)
            .await?;
    }
    Ok(Some(auth))
}

/// Records a refused request in the audit trail (who tried what), then returns the refusal.
pub(crate) async fn denied(
    state: &AppState,
    ctx: &Ctx,
    action: AuditAction,
    resource_type: &str,
    resource_id: Option<String>,
) -> AppError {
    let event = ctx.audit(state, action, resource_type, resource_id, Outcome::Denied);
    if let Err(e) = state.store().audit(&event).await {
        return AppError::from(e);
    }
    AppError::Forbidden
}
