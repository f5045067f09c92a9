//! The second factor: a time-based one-time code (TOTP, RFC 6238) from an authenticator app,
//! each code usable once, with single-use recovery codes for a lost phone.

use super::session::{new_session, start_session};
use crate::context::Ctx;
use crate::error::AppError;
use crate::layout::Layout;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use rand::RngCore;
use serde::Deserialize;
use time::Duration;
use together_core::audit::AuditAction;
use together_core::tokens::{hash_token, random_token};
use together_store::{Outcome, User};
use totp_rs::{Algorithm, Secret, TOTP};

const STEP: u64 = 30;

fn totp_for(secret_b32: &str, account: &str) -> Result<TOTP, AppError> {
    let bytes = Secret::Encoded(secret_b32.to_owned())
        .to_bytes()
        .map_err(|_| AppError::Internal("stored second-factor secret is unreadable".into()))?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP,
        bytes,
        Some("Together".into()),
        account.to_owned(),
    )
    .map_err(|e| AppError::Internal(format!("totp: {e}")))
}

/// The time step whose code matches, allowing one step of clock drift either way.
fn matching_step(totp: &TOTP, code: &str, now: time::OffsetDateTime) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let step = now.unix_timestamp() / STEP as i64;
    [step - 1, step, step + 1]
        .into_iter()
        .find(|s| *s >= 0 && totp.generate(*s as u64 * STEP) == code)
}

fn recovery_code() -> String {
    let t = random_token();
    format!("{}-{}", &t[..5], &t[5..10])
}

#[derive(Template)]
#[template(path = "two_factor_setup.html")]
struct SetupPage {
    layout: Layout,
    secret: String,
    url: String,
    error: String,
}

#[derive(Template)]
#[template(path = "two_factor_done.html")]
struct DonePage {
    layout: Layout,
    codes: Vec<String>,
}

#[derive(Template)]
#[template(path = "two_factor_challenge.html")]
struct ChallengePage {
    layout: Layout,
    error: String,
}

fn user(ctx: &Ctx) -> Result<&User, AppError> {
    Ok(&ctx.auth()?.user)
}

pub(crate) async fn setup_page(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, AppError> {
    let u = user(&ctx)?;
    // Someone who has only given a password may not replace an existing second factor.
    if u.totp_secret.is_some() && !ctx.auth()?.mfa_done {
        return Ok(Redirect::to("/sign-in/two-factor").into_response());
    }
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = Secret::Raw(bytes.to_vec()).to_encoded().to_string();
    render_setup(&state, &ctx, secret, String::new())
}

fn render_setup(
    state: &AppState,
    ctx: &Ctx,
    secret: String,
    error: String,
) -> Result<Response, AppError> {
    let url = totp_for(&secret, user(ctx)?.email.as_str())?.get_url();
    let page = SetupPage {
        layout: Layout::new(state, ctx, "Set up your second factor"),
        secret,
        url,
        error,
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Deserialize)]
pub(crate) struct SetupForm {
    secret: String,
    code: String,
}

pub(crate) async fn setup_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<SetupForm>,
) -> Result<Response, AppError> {
    let u = user(&ctx)?.clone();
    if u.totp_secret.is_some() && !ctx.auth()?.mfa_done {
        return Ok(Redirect::to("/sign-in/two-factor").into_response());
    }
    let totp = totp_for(&form.secret, u.email.as_str())
        .map_err(|_| AppError::BadRequest("The set-up form was damaged; start again".into()))?;
    let Some(step) = matching_step(&totp, &form.code, state.now()) else {
        return render_setup(
            &state,
            &ctx,
            form.secret,
            "Enter the 6-digit code your authenticator app shows now".into(),
        );
    };
    let codes: Vec<String> = (0..10).map(|_| recovery_code()).collect();
    let hashes: Vec<String> = codes.iter().map(|c| hash_token(c)).collect();
    let audit = ctx.audit(
        &state,
        AuditAction::SetUpSecondFactor,
        "user",
        Some(u.id.to_string()),
        Outcome::Allowed,
    );
    state
        .store()
        .set_totp(u.id, Some(&form.secret), &hashes, &audit)
        .await?;
    state.store().use_totp_step(u.id, step).await?;
    let cookie = new_session(&state, &ctx, &u, true).await?;
    let page = DonePage {
        layout: Layout::new(&state, &ctx, "Keep your recovery codes"),
        codes,
    };
    let mut res = Html(page.render()?).into_response();
    res.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(res)
}

pub(crate) async fn challenge_page(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, AppError> {
    let a = ctx.auth()?;
    if a.mfa_done {
        return Ok(Redirect::to("/").into_response());
    }
    if a.user.totp_secret.is_none() {
        return Ok(Redirect::to("/account/two-factor").into_response());
    }
    let page = ChallengePage {
        layout: Layout::new(&state, &ctx, "Enter your security code"),
        error: String::new(),
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Deserialize)]
pub(crate) struct ChallengeForm {
    code: String,
}

pub(crate) async fn challenge_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<ChallengeForm>,
) -> Result<Response, AppError> {
    let u = user(&ctx)?.clone();
    let Some(secret) = u.totp_secret.clone() else {
        return Ok(Redirect::to("/account/two-factor").into_response());
    };
    let now = state.now();
    if let Err(wait) =
        state
            .0
            .limiter
            .check(&format!("totp:{}", u.id), now, 10, Duration::minutes(15))
    {
        return Err(AppError::TooMany(wait));
    }
    let totp = totp_for(&secret, u.email.as_str())?;
    let ok = match matching_step(&totp, &form.code, now) {
        // A code already used (or older than the last used) is refused: no replay.
        Some(step) => state.store().use_totp_step(u.id, step).await?,
        None => {
            state
                .store()
                .use_recovery_code(u.id, &hash_token(form.code.trim()), now)
                .await?
        }
    };
    let outcome = if ok {
        Outcome::Allowed
    } else {
        Outcome::Denied
    };
    state
        .store()
        .audit(&ctx.audit(
            &state,
            AuditAction::SecondFactor,
            "user",
            Some(u.id.to_string()),
            outcome,
        ))
        .await?;
    if !ok {
        let page = ChallengePage {
            layout: Layout::new(&state, &ctx, "Enter your security code"),
            error: "Enter the current code from your authenticator app, or a recovery code".into(),
        };
        return Ok((axum::http::StatusCode::UNAUTHORIZED, Html(page.render()?)).into_response());
    }
    start_session(&state, &ctx, &u, true, "/").await
}
