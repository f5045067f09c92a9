//! One-time links that let someone choose a password: an enrolment link for a new account (or
//! the first administrator), a reset link after "forgot password" or an administrator's reset.
//! Only a hash of each link's token is stored; a link works once and expires.

use crate::context::Ctx;
use crate::error::AppError;
use crate::layout::Layout;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use serde::Deserialize;
use time::Duration;
use together_core::password::check_new_password;
use together_core::tokens::{hash_token, random_token};
use together_core::Email;
use together_store::{
    Channel, DynStore, NewMessage, NewToken, Outcome, TokenKind, User, UserStatus,
};

/// Creates a one-time link for `user` and returns its full address.
pub(crate) async fn issue_link(
    store: &DynStore,
    public_url: &str,
    user: &User,
    kind: TokenKind,
    valid_for: Duration,
    now: time::OffsetDateTime,
) -> Result<String, AppError> {
    let token = random_token();
    store
        .create_token(&NewToken {
            token_hash: hash_token(&token),
            user_id: user.id,
            kind,
            label: String::new(),
            created_at: now,
            expires_at: now + valid_for,
        })
        .await?;
    let path = if kind == TokenKind::Enrol {
        "enrol"
    } else {
        "reset-password"
    };
    Ok(format!(
        "{}/{path}?token={token}",
        public_url.trim_end_matches('/')
    ))
}

/// The words around a one-time link in an email.
pub(crate) struct LinkEmail<'a> {
    pub subject: &'a str,
    pub before: &'a str,
    pub after: &'a str,
}

/// Creates a one-time link for `user` and emails it to them through the outbox.
pub(crate) async fn send_link(
    state: &AppState,
    user: &User,
    kind: TokenKind,
    valid_for: Duration,
    email: &LinkEmail<'_>,
) -> Result<(), AppError> {
    let now = state.now();
    let link = issue_link(
        state.store(),
        &state.config().public_url,
        user,
        kind,
        valid_for,
        now,
    )
    .await?;
    state
        .store()
        .enqueue_message(&NewMessage {
            pcn_id: Some(user.pcn_id),
            person: None,
            channel: Channel::Email,
            recipient: user.email.to_string(),
            subject: email.subject.into(),
            body: format!("{}\n\n{link}\n\n{}", email.before, email.after)
                .trim_end()
                .to_owned(),
            now,
        })
        .await?;
    Ok(())
}

#[derive(Template)]
#[template(path = "set_password.html")]
struct SetPasswordPage {
    layout: Layout,
    action: &'static str,
    token: String,
    error: String,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    layout: Layout,
    body: String,
    link: (String, String),
}

#[derive(Deserialize)]
pub(crate) struct TokenQuery {
    #[serde(default)]
    token: String,
}

fn set_password_page(
    state: &AppState,
    ctx: &Ctx,
    action: &'static str,
    token: String,
    error: String,
) -> Result<Response, AppError> {
    let title = if action == "/enrol" {
        "Choose your password"
    } else {
        "Choose a new password"
    };
    let page = SetPasswordPage {
        layout: Layout::new(state, ctx, title),
        action,
        token,
        error,
    };
    let status = crate::layout::form_status(!page.error.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

pub(crate) async fn enrol_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<TokenQuery>,
) -> Result<Response, AppError> {
    set_password_page(&state, &ctx, "/enrol", q.token, String::new())
}

pub(crate) async fn reset_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<TokenQuery>,
) -> Result<Response, AppError> {
    set_password_page(&state, &ctx, "/reset-password", q.token, String::new())
}

#[derive(Deserialize)]
pub(crate) struct SetPasswordForm {
    token: String,
    password: String,
}

async fn set_password(
    state: AppState,
    ctx: Ctx,
    f: SetPasswordForm,
    kind: TokenKind,
    action: &'static str,
) -> Result<Response, AppError> {
    // The password is checked before the link is spent, so a refused password keeps the link usable.
    if let Err(e) = check_new_password(&f.password, &[]) {
        return set_password_page(&state, &ctx, action, f.token, e.to_string());
    }
    let hash = super::session::hash_password(&state, &f.password).await?;
    let Some(user_id) = state
        .store()
        .take_token(kind, &hash_token(f.token.trim()), state.now())
        .await?
    else {
        return set_password_page(&state, &ctx, action, f.token, "This link has expired or has already been used. Ask your PCN administrator for a new one".into());
    };
    let Some(user) = state.store().user(user_id).await? else {
        return Err(AppError::NotFound);
    };
    if user.status == UserStatus::Disabled {
        return set_password_page(
            &state,
            &ctx,
            action,
            f.token,
            "This account has been closed. Ask your PCN administrator".into(),
        );
    }
    state.store().set_password(user.id, &hash).await?;
    state.store().delete_user_sessions(user.id).await?;
    let mut audit = ctx.audit(
        &state,
        if kind == TokenKind::Enrol {
            together_core::audit::AuditAction::Enrol
        } else {
            together_core::audit::AuditAction::ResetPassword
        },
        "user",
        Some(user.id.to_string()),
        Outcome::Allowed,
    );
    audit.pcn_id = Some(user.pcn_id);
    audit.actor = format!("user:{}", user.id);
    audit.role = user.role.as_str().into();
    state.store().audit(&audit).await?;
    let page = MessagePage {
        layout: Layout::new(&state, &ctx, "Your password is set"),
        body: "You can now sign in with your email address and the password you chose.".into(),
        link: ("/sign-in".into(), "Sign in".into()),
    };
    Ok(Html(page.render()?).into_response())
}

pub(crate) async fn enrol_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<SetPasswordForm>,
) -> Result<Response, AppError> {
    set_password(state, ctx, f, TokenKind::Enrol, "/enrol").await
}

pub(crate) async fn reset_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<SetPasswordForm>,
) -> Result<Response, AppError> {
    set_password(state, ctx, f, TokenKind::Reset, "/reset-password").await
}

#[derive(Template)]
#[template(path = "forgot_password.html")]
struct ForgotPage {
    layout: Layout,
}

pub(crate) async fn forgot_page(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, AppError> {
    Ok(Html(
        ForgotPage {
            layout: Layout::new(&state, &ctx, "Reset your password"),
        }
        .render()?,
    )
    .into_response())
}

#[derive(Deserialize)]
pub(crate) struct ForgotForm {
    email: String,
}

pub(crate) async fn forgot_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<ForgotForm>,
) -> Result<Response, AppError> {
    let now = state.now();
    let cfg = state.config();
    if let Err(wait) = state.0.limiter.check(
        &format!("forgot:{}", ctx.ip),
        now,
        cfg.password_resets_per_address,
        cfg.limit_window,
    ) {
        return Err(AppError::TooMany(wait));
    }
    if let Ok(email) = f.email.parse::<Email>() {
        if let Some(user) = state
            .store()
            .user_by_email(&email)
            .await?
            .filter(|u| u.status == UserStatus::Active)
        {
            let email = LinkEmail {
                subject: "Reset your Together password",
                before: "Someone asked to reset the password for this email address. If it was you, choose a new password here within the hour:",
                after: "If it was not you, you can ignore this message.",
            };
            send_link(&state, &user, TokenKind::Reset, Duration::hours(1), &email).await?;
        }
    }
    // The same answer whether or not the account exists.
    let page = MessagePage {
        layout: Layout::new(&state, &ctx, "Check your email"),
        body: "If an account uses that email address, we have sent it a link to reset the password. The link works once, for one hour.".into(),
        link: ("/sign-in".into(), "Back to sign in".into()),
    };
    Ok(Html(page.render()?).into_response())
}
