//! Security headers on every response, CSRF protection on every state change, random tokens and
//! their hashes, and the in-memory rate limiter for sign-in.

use crate::context::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use time::{Duration, OffsetDateTime};

/// 256 random bits, hex-encoded: session tokens, links and API tokens.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// What the store keeps instead of a token: a leaked database cannot be replayed as sessions.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn mac(secret: &[u8], message: &str) -> Hmac<Sha256> {
    let mut m = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    m.update(message.as_bytes());
    m
}

/// The CSRF token for a session (or anonymous visitor): a MAC of its binding, so it changes
/// when the session rotates and cannot be made by anyone without the server's secret.
pub(crate) fn csrf_token(secret: &[u8], binding: &str) -> String {
    hex::encode(
        mac(secret, &format!("csrf:{binding}"))
            .finalize()
            .into_bytes(),
    )
}

fn csrf_valid(secret: &[u8], expected_for: &str, provided: &str) -> bool {
    match hex::decode(provided) {
        Ok(bytes) => mac(secret, &format!("csrf:{expected_for}"))
            .verify_slice(&bytes)
            .is_ok(),
        Err(_) => false,
    }
}

/// A signed "this form was shown at" stamp for a public form: a bot that posts the moment it
/// has the page, or replays an old one, can be told from a person without a third-party
/// CAPTCHA (the honeypot field and the rate limit do the rest).
pub(crate) fn form_stamp(secret: &[u8], shown: OffsetDateTime) -> String {
    let t = shown.unix_timestamp();
    let sig = mac(secret, &format!("form:{t}")).finalize().into_bytes();
    format!("{t}.{}", hex::encode(sig))
}

/// When the form carrying this stamp was shown, if the stamp is genuine.
pub(crate) fn stamp_shown(secret: &[u8], stamp: &str) -> Option<OffsetDateTime> {
    let (t, sig) = stamp.split_once('.')?;
    let secs: i64 = t.parse().ok()?;
    let sig = hex::decode(sig).ok()?;
    mac(secret, &format!("form:{secs}"))
        .verify_slice(&sig)
        .ok()?;
    OffsetDateTime::from_unix_timestamp(secs).ok()
}

/// A person faster than this has not read a public form: the post is treated as a bot's.
pub(crate) const FASTEST_HUMAN: Duration = Duration::seconds(3);

/// A public form older than this is shown again with a fresh stamp.
pub(crate) const FORM_LIFETIME: Duration = Duration::days(1);

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
    let limit = if crate::pages::imports::UPLOAD_PATHS.contains(&path) {
        state.config().upload_limit
    } else if path == crate::pages::hours_expenses::EXPENSE_PATH {
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

/// Counts attempts per key (an IP address) in a sliding window, in memory: enough for one
/// server process, and forgotten on restart, which only ever loosens the limit.
#[derive(Default)]
pub(crate) struct RateLimiter {
    hits: Mutex<HashMap<String, VecDeque<OffsetDateTime>>>,
}

impl RateLimiter {
    /// Records an attempt; `Err(seconds)` when the key is over `limit` in `window`.
    pub(crate) fn check(
        &self,
        key: &str,
        now: OffsetDateTime,
        limit: usize,
        window: Duration,
    ) -> Result<(), u64> {
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        if hits.len() > 10_000 {
            hits.retain(|_, q| q.back().is_some_and(|t| now - *t < window));
        }
        let q = hits.entry(key.to_owned()).or_default();
        while q.front().is_some_and(|t| now - *t >= window) {
            q.pop_front();
        }
        if q.len() >= limit {
            let oldest = q.front().copied().unwrap_or(now);
            return Err((window - (now - oldest)).whole_seconds().max(1) as u64);
        }
        q.push_back(now);
        Ok(())
    }

    /// Takes back an attempt recorded at `at` that turned out not to count (a sign-in that
    /// succeeded): counted first, so that attempts sent at once cannot all slip under the limit.
    pub(crate) fn forgive(&self, key: &str, at: OffsetDateTime) {
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(q) = hits.get_mut(key) {
            if let Some(i) = q.iter().rposition(|t| *t == at) {
                q.remove(i);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn form_stamps_say_when_the_form_was_shown_and_cannot_be_made_without_the_secret() {
        let t = datetime!(2026-11-24 09:00 UTC);
        let s = form_stamp(b"secret", t);
        assert_eq!(stamp_shown(b"secret", &s), Some(t));
        assert_eq!(stamp_shown(b"other", &s), None);
        let forged = format!("{}{}", t.unix_timestamp() - 60, &s[s.find('.').unwrap()..]);
        assert_eq!(stamp_shown(b"secret", &forged), None);
        assert_eq!(stamp_shown(b"secret", "nonsense"), None);
    }

    #[test]
    fn csrf_tokens_are_bound_to_their_session() {
        let t = csrf_token(b"secret", "session-a");
        assert!(csrf_valid(b"secret", "session-a", &t));
        assert!(!csrf_valid(b"secret", "session-b", &t));
        assert!(!csrf_valid(b"other", "session-a", &t));
        assert!(!csrf_valid(b"secret", "session-a", "zz"));
    }

    #[test]
    fn the_limiter_refuses_past_the_limit_and_forgets_after_the_window() {
        let l = RateLimiter::default();
        let t0 = datetime!(2026-11-24 09:00 UTC);
        for _ in 0..3 {
            assert!(l.check("ip", t0, 3, Duration::minutes(15)).is_ok());
        }
        assert_eq!(
            l.check("ip", t0 + Duration::minutes(5), 3, Duration::minutes(15)),
            Err(600)
        );
        assert!(l.check("other", t0, 3, Duration::minutes(15)).is_ok());
        assert!(l
            .check("ip", t0 + Duration::minutes(16), 3, Duration::minutes(15))
            .is_ok());
    }

    #[test]
    fn a_forgiven_attempt_no_longer_counts() {
        let l = RateLimiter::default();
        let t0 = datetime!(2026-11-24 09:00 UTC);
        for i in 0..10 {
            let at = t0 + Duration::seconds(i);
            assert!(l.check("ip", at, 2, Duration::minutes(15)).is_ok());
            l.forgive("ip", at);
        }
        assert!(l.check("ip", t0, 2, Duration::minutes(15)).is_ok());
        assert!(l.check("ip", t0, 2, Duration::minutes(15)).is_ok());
        assert!(l.check("ip", t0, 2, Duration::minutes(15)).is_err());
    }
}
