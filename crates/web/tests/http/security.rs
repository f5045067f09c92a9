//! Security headers on every kind of response, and CSRF on every state change.

use crate::helpers::*;
use reqwest::StatusCode;
use together_core::Role;

fn assert_headers(res: &Res, what: &str) {
    let h = |k: &str| {
        res.headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{what}: no {k}"))
            .to_owned()
    };
    assert_eq!(
        h("strict-transport-security"),
        "max-age=31536000; includeSubDomains",
        "{what}"
    );
    let csp = h("content-security-policy");
    for part in [
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(part), "{what}: CSP lacks {part}");
    }
    assert!(
        !csp.contains("unsafe-inline"),
        "{what}: CSP allows inline code"
    );
    assert_eq!(h("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(h("referrer-policy"), "same-origin", "{what}");
    assert_eq!(h("x-frame-options"), "DENY", "{what}");
    assert!(!h("permissions-policy").is_empty(), "{what}");
}

#[tokio::test]
async fn headers_on_public_signed_in_error_and_api_responses() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let mut anon = app.client();
    let public = anon.get("/").await;
    assert_eq!(public.status, StatusCode::OK);
    assert_headers(&public, "public page");
    let missing = anon.get("/no-such-page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_headers(&missing, "404 page");
    assert!(missing.body.contains("Page not found") && !missing.body.contains("panicked"));

    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let page = admin.get("/admin").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_headers(&page, "signed-in page");
    assert_eq!(
        page.headers.get("cache-control").unwrap(),
        "no-store",
        "signed-in pages must not be cached"
    );
    let api = anon.get("/api/v1/me").await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
    assert_headers(&api, "API error");
    assert!(api.body.contains("\"error\""));
    let css = anon.get("/assets/nhsuk-frontend.min.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css
        .headers
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/css"));
}

#[tokio::test]
async fn session_cookies_are_host_prefixed_secure_httponly_lax() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let mut c = app.client();
    let res = c.sign_in(&app.users[&Role::Champion].1, PASSWORD).await;
    let cookie = res
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("__Host-session="))
        .expect("session cookie");
    for attr in ["Path=/", "Secure", "HttpOnly", "SameSite=Lax"] {
        assert!(cookie.contains(attr), "{cookie} lacks {attr}");
    }
    assert!(
        !cookie.contains("Domain="),
        "__Host- cookies carry no Domain"
    );
    let token = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("__Host-session=");
    assert_eq!(token.len(), 64, "256-bit token, hex-encoded");
}

#[tokio::test]
async fn state_changes_need_the_sessions_csrf_token_and_our_origin() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let base = app.base.clone();
    let fields = [("ods_code", "B99009"), ("practice_name", "Forged Practice")];

    let no_token = admin
        .post_raw("/admin/practices", &fields, Some(&base))
        .await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    let token = admin.csrf().await;
    let with_token: Vec<(&str, &str)> = [("csrf_token", token.as_str())]
        .into_iter()
        .chain(fields)
        .collect();
    let foreign = admin
        .post_raw(
            "/admin/practices",
            &with_token,
            Some("https://evil.example"),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    // A token from another session does not work either.
    let mut other = app.signed_in(Role::PcnAdmin).await;
    let other_token = other.csrf().await;
    let stolen: Vec<(&str, &str)> = [("csrf_token", other_token.as_str())]
        .into_iter()
        .chain(fields)
        .collect();
    assert_eq!(
        admin
            .post_raw("/admin/practices", &stolen, Some(&base))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert!(
        app.store
            .practices(app.pcn)
            .await
            .unwrap()
            .iter()
            .all(|p| p.name != "Forged Practice"),
        "a rejected form changed data"
    );

    let ok = admin
        .post_raw("/admin/practices", &with_token, Some(&base))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert!(app
        .store
        .practices(app.pcn)
        .await
        .unwrap()
        .iter()
        .any(|p| p.name == "Forged Practice"));
}

#[tokio::test]
async fn the_sign_in_form_itself_needs_a_csrf_token() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let mut c = app.client();
    c.get("/sign-in").await;
    let res = c
        .post_raw(
            "/sign-in",
            &[
                ("email", &app.users[&Role::PcnAdmin].1),
                ("password", PASSWORD),
            ],
            None,
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::FORBIDDEN,
        "login CSRF must be refused"
    );
}

#[tokio::test]
async fn health_and_readiness_answer_without_revealing_data() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let mut c = app.client();
    let h = c.get("/healthz").await;
    assert_eq!(
        (h.status, h.body.as_str()),
        (StatusCode::OK, "{\"status\":\"ok\"}")
    );
    let r = c.get("/readyz").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("\"ready\"") && r.body.contains("sqlite"));
}
