//! The request layer, run before routing so that every route (and the 404 page) has a
//! context: who is asking (session or API token), their CSRF token, the request's id in the
//! log, and every error answered in the same words and shape — a page for people, JSON for the
//! API.

use crate::context::{cookie, from_api_token, from_session, Auth, Ctx, ANON_COOKIE};
use crate::error::{AppError, ErrorInfo};
use crate::layout::Layout;
use crate::state::AppState;
use crate::tokens::csrf_token;
use askama::Template;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use std::net::SocketAddr;
use together_core::tokens::random_token;

/// The request layer.
pub(crate) async fn load(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let headers = req.headers().clone();
    // The path only: query strings can carry one-time link tokens, which must never be logged.
    let path = req.uri().path().to_owned();
    let is_api = path.starts_with("/api/");
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| {
            crate::client_address::client_address(
                c.0.ip(),
                &headers,
                &state.config().trusted_proxies,
            )
            .to_string()
        })
        .unwrap_or_else(|| "unknown".into());
    let user_agent: String = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    // The API authenticates only by bearer token, never by cookie, so it cannot be driven by a
    // forged cross-site request.
    let auth = if is_api {
        from_api_token(&state, &headers).await
    } else {
        from_session(&state, &headers).await
    };
    let auth = match auth {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let mut new_anon = None;
    let binding = match (&auth, cookie(&headers, ANON_COOKIE)) {
        (
            Some(Auth {
                session_hash: Some(h),
                ..
            }),
            _,
        ) => h.clone(),
        (_, Some(anon)) if anon.len() == 64 => anon.to_owned(),
        _ => {
            let fresh = random_token();
            new_anon = Some(fresh.clone());
            fresh
        }
    };
    let ctx = Ctx {
        request_id: uuid::Uuid::new_v4().simple().to_string(),
        ip,
        user_agent,
        path: path.clone(),
        is_api,
        auth,
        csrf_token: csrf_token(&state.0.secret, &binding),
    };
    req.extensions_mut().insert(ctx.clone());
    req.extensions_mut().insert(state.clone());
    let mut res = next.run(req).await;
    if res.extensions().get::<ErrorInfo>().is_none() && is_framework_rejection(&res) {
        // A form or JSON body the handler could not even read: answer in the same words and
        // shape as every other error.
        let message = if is_api {
            rejection_text(res).await
        } else {
            "Some of the form was missing or could not be read. Go back and try again".to_owned()
        };
        res = AppError::BadRequest(message).into_response();
    }
    if let Some(info) = res.extensions().get::<ErrorInfo>().cloned() {
        res = render_error(&state, &ctx, res.status(), &info, res.headers().clone());
    }
    if let (Some(anon), false) = (new_anon, is_api) {
        if let Ok(v) = HeaderValue::from_str(&format!(
            "{ANON_COOKIE}={anon}; Path=/; Secure; HttpOnly; SameSite=Lax"
        )) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    if let Ok(v) = HeaderValue::from_str(&ctx.request_id) {
        res.headers_mut().insert("x-request-id", v);
    }
    tracing::info!(
        request_id = %ctx.request_id,
        method = %method,
        path = %path,
        status = res.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        user = %ctx.auth.as_ref().map(|a| a.user.id.to_string()).unwrap_or_default(),
        "request"
    );
    res
}

fn is_framework_rejection(res: &Response) -> bool {
    res.status().is_client_error()
        && res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/plain"))
}

async fn rejection_text(res: Response) -> String {
    let bytes = axum::body::to_bytes(res.into_body(), 4096)
        .await
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes)
        .chars()
        .filter(|c| !c.is_control())
        .collect()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    message: String,
    status: u16,
}

fn render_error(
    state: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    info: &ErrorInfo,
    headers: HeaderMap,
) -> Response {
    if ctx.is_api {
        let mut res = (
            status,
            axum::Json(serde_json::json!({ "error": info.message })),
        )
            .into_response();
        if let Some(v) = headers.get(header::RETRY_AFTER) {
            res.headers_mut().insert(header::RETRY_AFTER, v.clone());
        }
        return res;
    }
    if status == StatusCode::UNAUTHORIZED {
        return Redirect::to("/sign-in").into_response();
    }
    let title = match status {
        StatusCode::NOT_FOUND => "Page not found",
        StatusCode::FORBIDDEN => "You do not have access",
        StatusCode::INTERNAL_SERVER_ERROR => "Sorry, there is a problem with the service",
        _ => "There is a problem",
    };
    let page = ErrorPage {
        layout: Layout::new(state, ctx, title),
        message: info.message.clone(),
        status: status.as_u16(),
    };
    let body = page
        .render()
        .unwrap_or_else(|_| "Sorry, there is a problem with the service".into());
    let mut res = (status, Html(body)).into_response();
    if let Some(v) = headers.get(header::RETRY_AFTER) {
        res.headers_mut().insert(header::RETRY_AFTER, v.clone());
    }
    res
}
