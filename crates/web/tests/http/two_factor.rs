//! Outside demo mode, staff must set up and then give a one-time code; codes cannot be replayed.

use crate::helpers::*;
use reqwest::StatusCode;
use time::Duration;
use together_core::Role;
use totp_rs::{Algorithm, Secret, TOTP};

fn code(secret: &str, app: &TestApp) -> String {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().unwrap();
    let totp = TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes, None, "x".into()).unwrap();
    use together_core::Clock;
    totp.generate(app.clock.now().unix_timestamp() as u64)
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> &'a str {
    let i = s.find(start).unwrap() + start.len();
    &s[i..i + s[i..].find(end).unwrap()]
}

#[tokio::test]
async fn staff_set_up_a_second_factor_before_anything_else_and_codes_are_single_use() {
    let app = TestApp::with(Options {
        demo: false,
        ..Options::default()
    })
    .await;
    let email = app.users[&Role::LinkWorker].1.clone();
    let mut c = app.client();
    let res = c.sign_in(&email, PASSWORD).await;
    assert_eq!(
        res.location(),
        "/account/two-factor",
        "staff are sent to set up a second factor"
    );
    assert_eq!(
        c.get("/people").await.location(),
        "/account/two-factor",
        "nothing else works until then"
    );
    assert_eq!(
        c.get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED,
        "the session cookie is no API credential"
    );

    let setup = c.get("/account/two-factor").await;
    let secret = between(&setup.body, "name=\"secret\" value=\"", "\"").to_owned();
    let wrong = c
        .post(
            "/account/two-factor",
            &[("secret", &secret), ("code", "000000")],
        )
        .await;
    assert!(wrong.body.contains("Enter the 6-digit code"));
    let before = c.cookies["__Host-session"].clone();
    let done = c
        .post(
            "/account/two-factor",
            &[("secret", &secret), ("code", &code(&secret, &app))],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK);
    assert_ne!(
        c.cookies["__Host-session"], before,
        "the session rotates once the second factor is given"
    );
    let recovery: Vec<String> = done
        .body
        .split("<li class=\"together-secret\">")
        .skip(1)
        .map(|s| s[..s.find('<').unwrap()].to_owned())
        .collect();
    assert_eq!(recovery.len(), 10);
    assert_eq!(c.get("/people").await.status, StatusCode::OK);

    // Next sign-in: the code just used is refused (replay), the next one works.
    let mut again = app.client();
    assert_eq!(
        again.sign_in(&email, PASSWORD).await.location(),
        "/sign-in/two-factor"
    );
    let replay = again
        .post("/sign-in/two-factor", &[("code", &code(&secret, &app))])
        .await;
    assert_eq!(
        replay.status,
        StatusCode::UNAUTHORIZED,
        "a code is good for one use"
    );
    // Someone who knows only the password cannot replace the second factor.
    assert_eq!(
        again.get("/account/two-factor").await.location(),
        "/sign-in/two-factor"
    );
    app.clock.advance(Duration::seconds(30));
    let ok = again
        .post("/sign-in/two-factor", &[("code", &code(&secret, &app))])
        .await;
    assert_eq!(ok.location(), "/");
    assert_eq!(again.get("/people").await.status, StatusCode::OK);

    // A recovery code works once.
    let mut lost_phone = app.client();
    lost_phone.sign_in(&email, PASSWORD).await;
    assert_eq!(
        lost_phone
            .post("/sign-in/two-factor", &[("code", &recovery[0])])
            .await
            .location(),
        "/"
    );
    let mut twice = app.client();
    twice.sign_in(&email, PASSWORD).await;
    assert_eq!(
        twice
            .post("/sign-in/two-factor", &[("code", &recovery[0])])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

/// A client signed in outside demo mode who has set up and given a second factor.
async fn with_second_factor(app: &TestApp, role: Role) -> Client {
    let mut c = app.client();
    c.sign_in(&app.users[&role].1, PASSWORD).await;
    let setup = c.get("/account/two-factor").await;
    let secret = between(&setup.body, "name=\"secret\" value=\"", "\"").to_owned();
    let done = c
        .post(
            "/account/two-factor",
            &[("secret", &secret), ("code", &code(&secret, app))],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK);
    c
}

crate::on_both!(champions_and_partners_give_a_second_factor_unless_the_pcn_only_offers_it);
/// Champions and partners see people's details and run registers: outside the demo they set up
/// a second factor too, unless the PCN only offers it; required again, those without one are
/// signed out and asked for it at their next sign-in.
async fn champions_and_partners_give_a_second_factor_unless_the_pcn_only_offers_it(db: Db) {
    let app = TestApp::with(Options {
        db,
        demo: false,
        ..Options::default()
    })
    .await;
    for role in [Role::Champion, Role::Partner] {
        let mut c = app.client();
        assert_eq!(
            c.sign_in(&app.users[&role].1, PASSWORD).await.location(),
            "/account/two-factor",
            "{role} is asked to set one up"
        );
        assert_eq!(c.get("/account").await.location(), "/account/two-factor");
    }
    let mut admin = with_second_factor(&app, Role::PcnAdmin).await;
    let team = admin.get("/admin/users").await;
    assert!(
        team.body.contains("value=\"required\" checked"),
        "required by default"
    );
    let saved = admin
        .post("/admin/users/second-factor", &[("volunteers", "offered")])
        .await;
    assert!(
        saved.body.contains("may now set up a second factor"),
        "{}",
        saved.body
    );
    let mut champion = app.client();
    assert_eq!(
        champion
            .sign_in(&app.users[&Role::Champion].1, PASSWORD)
            .await
            .location(),
        "/"
    );
    assert_eq!(champion.get("/account").await.status, StatusCode::OK);
    assert!(
        champion
            .get("/account")
            .await
            .body
            .contains("Set up a second factor"),
        "offered on their account page"
    );
    let mut staff = app.client();
    assert_eq!(
        staff
            .sign_in(&app.users[&Role::LinkWorker].1, PASSWORD)
            .await
            .location(),
        "/account/two-factor",
        "staff always"
    );

    let saved = admin
        .post("/admin/users/second-factor", &[("volunteers", "required")])
        .await;
    assert!(saved.body.contains("were signed out"), "{}", saved.body);
    assert_ne!(
        champion.get("/account").await.status,
        StatusCode::OK,
        "the champion's session without a second factor has ended"
    );
    assert_eq!(
        champion
            .sign_in(&app.users[&Role::Champion].1, PASSWORD)
            .await
            .location(),
        "/account/two-factor"
    );
    let trail = app
        .store
        .audit_events(
            app.pcn,
            &together_store::AuditFilter {
                resource_type: Some("setting".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        trail
            .iter()
            .filter(|e| e.action == "set_second_factor_for_volunteers")
            .count(),
        2,
        "each change is audited"
    );
}
