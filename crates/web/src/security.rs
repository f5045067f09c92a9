//! Security headers on every response, CSRF protection on every state change, the body limit,
//! and telling a person from a bot on a public form.

use crate::context::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use crate::tokens::{csrf_valid, stamp_shown, FASTEST_HUMAN, FORM_LIFETIME};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use time::Duration;

/// What a post of a public form (no account: joining as a champion, making a pledge) is.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PublicPost {
    /// Someone who read the form: go on.
    Person,
    /// The hidden field was filled in: thank them and keep nothing.
    Bot,
    /// Posted too soon after it was shown, or too long after: say so and show it again.
    Again(&'static str),
}

/// Tells a person from a bot on a public form without a third-party CAPTCHA: the hidden
/// `website` field, the signed `stamp` of when the form was shown, and at most `per_hour`
/// posts of `what` from one address (`TooMany` beyond it).
pub(crate) fn public_post(
    state: &AppState,
    ctx: &Ctx,
    website: &str,
    stamp: &str,
    what: &str,
    per_hour: usize,
) -> Result<PublicPost, AppError> {
    if !website.trim().is_empty() {
        return Ok(PublicPost::Bot);
    }
    let now = state.now();
    match stamp_shown(&state.0.secret, stamp) {
        Some(t) if now - t < FASTEST_HUMAN => {
            return Ok(PublicPost::Again(
                "That was very quick. Check your answers and send the form again",
            ))
        }
        Some(t) if now - t <= FORM_LIFETIME => {}
        _ => {
            return Ok(PublicPost::Again(
                "This form has expired. Check your answers and send it again",
            ))
        }
    }
    state
        .0
        .limiter
        .check(
            &format!("{what}:{}", ctx.ip),
            now,
            per_hour,
            Duration::hours(1),
        )
        .map_err(AppError::TooMany)?;
    Ok(PublicPost::Person)
}

/// Headers that every response carries, pages and errors alike (security checklist W1).
pub(crate) async fn headers(req: Request, next: Next) -> Response {
    let is_asset = req.uri().path().starts_with("/assets/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: &'static str, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    set(
        h,
        "strict-transport-security",
        "max-age=31536000; includeSubDomains",
    );
    set(
        h,
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    );
    set(h, "x-content-type-options", "nosniff");
    set(h, "x-frame-options", "DENY");
    set(h, "referrer-policy", "same-origin");
    set(
        h,
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    );
    set(h, "cross-origin-opener-policy", "same-origin");
    if is_asset {
        set(h, "cache-control", "public, max-age=3600");
    } else {
        // Pages can hold personal data: never keep them in a shared or browser cache.
        set(h, "cache-control", "no-store");
    }
    res
}

/// The most any request body may be, but an upload to an import page.
pub(crate) const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Caps every request body: 2 MiB, or the configured upload limit for the import pages. A body
/// that says it is larger is refused before it is read; one that grows larger fails as it is.
pub(crate) async fn body_limit(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    let limit = if crate::paths::UPLOAD_PATHS.contains(&path) {
        state.config().upload_limit
    } else if path == crate::paths::EXPENSE_PATH {
        // A receipt image and the few fields beside it; a photo up to three times too big still
        // arrives, so the form can say what is wrong instead of the bare refusal.
        together_core::hours_expenses::RECEIPT_MAX_BYTES * 3
    } else {
        BODY_LIMIT
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return (
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "The upload is too large",
        )
            .into_response();
    }
    let (parts, body) = req.into_parts();
    let body = Body::new(http_body_util::Limited::new(body, limit));
    next.run(Request::from_parts(parts, body)).await
}

fn same_origin(req: &Request) -> bool {
    let h = req.headers();
    if let Some(site) = h.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if site != "same-origin" && site != "none" {
            return false;
        }
    }
    if let Some(origin) = h.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = h
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or("");
        if origin == "null" || origin_host != host {
            return false;
        }
    }
    true
}

/// Rejects any state-changing page request that lacks the session's CSRF token or comes from
/// another site (security checklist W2). The JSON API is exempt: it accepts no cookies.
pub(crate) async fn csrf(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    if !same_origin(&req) {
        return AppError::Csrf.into_response();
    }
    let Some(ctx) = req.extensions().get::<Ctx>().cloned() else {
        return AppError::Csrf.into_response();
    };
    let (parts, body) = req.into_parts();
    if let Some(boundary) = multipart_boundary(&parts.headers) {
        // An upload may be large: read only its first field, which must be the token, and pass
        // the rest on unread.
        let (provided, body) = match first_multipart_field(body, &boundary).await {
            Some(found) => found,
            None => return AppError::Csrf.into_response(),
        };
        if !csrf_valid(&state.0.secret, &binding_of(&ctx, &parts), &provided) {
            return AppError::Csrf.into_response();
        }
        return next.run(Request::from_parts(parts, body)).await;
    }
    let bytes = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => return AppError::BadRequest("The form was too large".into()).into_response(),
    };
    let provided = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
        .ok()
        .and_then(|fields| {
            fields
                .into_iter()
                .find(|(k, _)| k == "csrf_token")
                .map(|(_, v)| v)
        });
    let binding_ok = provided
        .as_deref()
        .is_some_and(|p| csrf_valid(&state.0.secret, &binding_of(&ctx, &parts), p));
    if !binding_ok {
        return AppError::Csrf.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The boundary of a `multipart/form-data` body, if the request is one.
fn multipart_boundary(headers: &axum::http::HeaderMap) -> Option<String> {
    let ct = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let (kind, params) = ct.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// The most read of an upload to find its first field.
const FIRST_FIELD_LIMIT: usize = 16 * 1024;

/// Reads an upload up to the end of its first field; that field's value when it is
/// `csrf_token`, and the body whole again (what was read, then the rest as it comes).
async fn first_multipart_field(body: Body, boundary: &str) -> Option<(String, Body)> {
    use futures::StreamExt;
    let mut stream = body.into_data_stream();
    let mut seen: Vec<u8> = Vec::new();
    let start = format!("--{boundary}\r\n");
    let next = format!("\r\n--{boundary}");
    let value = loop {
        if let Some(value) = field_value(&seen, &start, &next) {
            break value?;
        }
        if seen.len() > FIRST_FIELD_LIMIT {
            return None;
        }
        match stream.next().await {
            Some(Ok(chunk)) => seen.extend_from_slice(&chunk),
            _ => return None,
        }
    };
    let head =
        futures::stream::once(async move { Ok::<_, axum::Error>(axum::body::Bytes::from(seen)) });
    Some((value, Body::from_stream(head.chain(stream))))
}

/// `None` while the first field is not yet all read; `Some(None)` when it is not the token.
fn field_value(seen: &[u8], start: &str, next: &str) -> Option<Option<String>> {
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
    if seen.len() < start.len() {
        return None;
    }
    if !seen.starts_with(start.as_bytes()) {
        return Some(None);
    }
    let rest = &seen[start.len()..];
    let headers_end = find(rest, b"\r\n\r\n")?;
    let end = find(&rest[headers_end + 4..], next.as_bytes())?;
    let headers = String::from_utf8_lossy(&rest[..headers_end]).to_ascii_lowercase();
    let named_token = headers.lines().any(|h| {
        h.starts_with("content-disposition:")
            && h.split(';').any(|p| p.trim() == "name=\"csrf_token\"")
    });
    let value = &rest[headers_end + 4..headers_end + 4 + end];
    Some(
        named_token
            .then(|| String::from_utf8(value.to_vec()).ok())
            .flatten(),
    )
}

fn binding_of(ctx: &Ctx, parts: &axum::http::request::Parts) -> String {
    match ctx.auth.as_ref().and_then(|a| a.session_hash.clone()) {
        Some(h) => h,
        None => crate::context::cookie(&parts.headers, crate::context::ANON_COOKIE)
            .unwrap_or_default()
            .to_owned(),
    }
}
