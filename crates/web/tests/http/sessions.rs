//! Sign-in, session rotation and expiry (with the controlled clock), sign-out, lockout and the
//! per-address limit.

use crate::helpers::*;
use crate::on_both;
use reqwest::StatusCode;
use time::Duration;
use together_core::Clock;
use together_core::Role;
use together_store::UserStatus;

#[tokio::test]
async fn signing_in_rotates_the_session_and_signing_out_ends_it() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let mut c = app.client();
    let email = app.users[&Role::LinkWorker].1.clone();
    c.sign_in(&email, PASSWORD).await;
    let first = c.cookies["__Host-session"].clone();
    assert_eq!(c.get("/account").await.status, StatusCode::OK);
    c.sign_in(&email, PASSWORD).await;
    let second = c.cookies["__Host-session"].clone();
    assert_ne!(
        first, second,
        "a new sign-in must issue a new session token"
    );
    let mut stale = app.client();
    stale.cookies.insert("__Host-session".into(), first);
    assert_eq!(
        stale.get("/account").await.location(),
        "/sign-in",
        "the old session ended at the new sign-in"
    );

    let out = c.post("/sign-out", &[]).await;
    assert_eq!(out.location(), "/sign-in");
    let mut replay = app.client();
    replay.cookies.insert("__Host-session".into(), second);
    assert_eq!(
        replay.get("/account").await.location(),
        "/sign-in",
        "a signed-out session cannot be replayed"
    );
}

#[tokio::test]
async fn sessions_expire_after_idle_and_absolute_limits() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let mut c = app.signed_in(Role::Analyst).await;
    app.clock.advance(Duration::minutes(29));
    assert_eq!(
        c.get("/account").await.status,
        StatusCode::OK,
        "29 idle minutes are fine"
    );
    app.clock.advance(Duration::minutes(31));
    assert_eq!(
        c.get("/account").await.location(),
        "/sign-in",
        "31 idle minutes end the session"
    );

    let mut busy = app.signed_in(Role::Analyst).await;
    for _ in 0..25 {
        app.clock.advance(Duration::minutes(29));
        busy.get("/account").await;
    }
    // 25 × 29 minutes is over 12 hours, with no idle gap longer than 29 minutes.
    assert_eq!(
        busy.get("/account").await.location(),
        "/sign-in",
        "12 hours is the absolute limit"
    );
}

#[tokio::test]
async fn unknown_wrong_and_locked_get_the_same_answer_and_locks_hold() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let email = app.users[&Role::Partner].1.clone();
    let mut c = app.client();
    let unknown = c.sign_in("nobody@harbourview.example", PASSWORD).await;
    let wrong = c.sign_in(&email, "not the password").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let msg = "Enter a correct email address and password";
    assert!(unknown.body.contains(msg) && wrong.body.contains(msg));
    for _ in 0..5 {
        c.sign_in(&email, "still not it").await;
    }
    let locked = c.sign_in(&email, PASSWORD).await;
    assert_eq!(
        locked.status,
        StatusCode::UNAUTHORIZED,
        "the right password is refused while locked"
    );
    assert!(
        locked.body.contains(msg),
        "a locked account answers like a wrong password"
    );
    app.clock.advance(Duration::minutes(61));
    assert_eq!(
        c.sign_in(&email, PASSWORD).await.status,
        StatusCode::SEE_OTHER,
        "the lock lifts"
    );
    let u = app
        .store
        .user(app.users[&Role::Partner].0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        u.failed_sign_ins, 0,
        "a successful sign-in clears the count"
    );
}

#[tokio::test]
async fn too_many_attempts_from_one_address_are_refused_with_retry_after() {
    let app = TestApp::with(Options {
        sign_in_failures_per_address: 3,
        ..Options::default()
    })
    .await;
    let mut c = app.client();
    for _ in 0..3 {
        c.sign_in("nobody@harbourview.example", "x").await;
    }
    let res = c.sign_in(&app.users[&Role::PcnAdmin].1, PASSWORD).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers.get("retry-after").is_some());
}

/// Behind a trusted reverse proxy each client is limited on its own address, successful
/// sign-ins use up nothing, and one address over its limit leaves everyone else alone.
#[tokio::test]
async fn behind_a_trusted_proxy_each_client_is_limited_alone_and_success_is_free() {
    let app = TestApp::with(Options {
        sign_in_failures_per_address: 3,
        trusted_proxies: vec!["127.0.0.0/8"],
        ..Options::default()
    })
    .await;
    let from = |address: &str| {
        let mut c = app.client();
        c.forwarded_for = Some(address.to_owned());
        c
    };
    // A busy morning: many colleagues sign in through the proxy, more than the limit.
    let admin = &app.users[&Role::PcnAdmin].1;
    for _ in 0..5 {
        let res = from("203.0.113.20").sign_in(admin, PASSWORD).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "success is not limited");
    }
    // One address guessing is stopped, with how long to wait...
    let mut guesser = from("198.51.100.7");
    for _ in 0..3 {
        guesser.sign_in("nobody@harbourview.example", "x").await;
    }
    let res = guesser.sign_in(admin, PASSWORD).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = res.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&wait), "{wait}");
    // ...and nobody else is.
    let res = from("203.0.113.21").sign_in(admin, PASSWORD).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let analyst = &app.users[&Role::Analyst].1;
    let res = from("203.0.113.20").sign_in(analyst, PASSWORD).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
}

/// Without a trusted proxy, X-Forwarded-For is ignored: a guesser cannot write a new address
/// on each request to slip the limit.
#[tokio::test]
async fn a_forwarded_address_from_an_untrusted_peer_is_ignored() {
    let app = TestApp::with(Options {
        sign_in_failures_per_address: 3,
        ..Options::default()
    })
    .await;
    for i in 0..3 {
        let mut c = app.client();
        c.forwarded_for = Some(format!("198.51.100.{i}"));
        c.sign_in("nobody@harbourview.example", "x").await;
    }
    let mut c = app.client();
    c.forwarded_for = Some("198.51.100.99".into());
    let res = c.sign_in(&app.users[&Role::PcnAdmin].1, PASSWORD).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers.get("retry-after").is_some());
}

#[tokio::test]
async fn a_disabled_users_session_stops_working_at_once() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let mut champ = app.signed_in(Role::Champion).await;
    assert_eq!(champ.get("/account").await.status, StatusCode::OK);
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let id = app.users[&Role::Champion].0;
    let res = admin.post(&format!("/admin/users/{id}/disable"), &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(
        app.store.user(id).await.unwrap().unwrap().status,
        UserStatus::Disabled
    );
    assert_eq!(champ.get("/account").await.location(), "/sign-in");
    assert_eq!(
        app.client()
            .sign_in(&app.users[&Role::Champion].1, PASSWORD)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_session_of_the_user() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let mut phone = app.signed_in(Role::Clinician).await;
    let mut desk = app.signed_in(Role::Clinician).await;
    let res = desk.post("/account/sessions/end-all", &[]).await;
    assert_eq!(res.location(), "/sign-in");
    assert_eq!(phone.get("/account").await.location(), "/sign-in");
}

#[tokio::test]
async fn an_invited_user_chooses_a_password_through_their_one_time_link() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let res = admin
        .post(
            "/admin/users",
            &[
                ("display_name", "Mo Champion"),
                ("email", "mo@harbourview.example"),
                ("role", "champion"),
                ("practice_id", ""),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let msg = app
        .store
        .messages(Some(app.pcn), 10)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.recipient == "mo@harbourview.example")
        .expect("invitation in the outbox");
    assert!(msg.subject.contains("invited") && msg.body.contains("we'd love you to join us"));
    let link = msg
        .body
        .split_whitespace()
        .find(|w| w.contains("/enrol?token="))
        .unwrap()
        .to_owned();
    let token = link.split("token=").nth(1).unwrap().to_owned();
    // The outbox page never shows the link's secret.
    let outbox = admin.get("/admin/outbox").await;
    assert!(outbox.body.contains("mo@harbourview.example") && !outbox.body.contains(&token));

    let mut mo = app.client();
    mo.get(&format!("/enrol?token={token}")).await;
    let weak = mo
        .post("/enrol", &[("token", &token), ("password", "password1")])
        .await;
    assert_eq!(
        weak.status,
        StatusCode::BAD_REQUEST,
        "a common password is refused and the link kept"
    );
    let ok = mo
        .post(
            "/enrol",
            &[("token", &token), ("password", "lantern meadow heron")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let again = mo
        .post(
            "/enrol",
            &[("token", &token), ("password", "lantern meadow heron 2")],
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "a link works once");
    assert_eq!(
        mo.sign_in("mo@harbourview.example", "lantern meadow heron")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn forgot_password_answers_the_same_and_only_mails_real_accounts() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let mut c = app.client();
    c.get("/forgot-password").await;
    let real = c
        .post(
            "/forgot-password",
            &[("email", &app.users[&Role::Analyst].1)],
        )
        .await;
    let fake = c
        .post(
            "/forgot-password",
            &[("email", "nobody@harbourview.example")],
        )
        .await;
    assert_eq!(real.status, fake.status);
    assert!(
        real.body.contains("If an account uses that email address")
            && fake.body.contains("If an account uses that email address")
    );
    let msgs = app.store.messages(Some(app.pcn), 10).await.unwrap();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].recipient, app.users[&Role::Analyst].1);
}

on_both!(the_lockout_holds_when_wrong_passwords_come_all_at_once);
/// 24 wrong passwords sent at once, then the right one while they are still being checked:
/// the free failures are counted one after another and lock the account, and the right
/// password is refused, because the lock the wrong
/// ones earned is there when it is checked (each attempt on an account waits its turn and reads
/// the account afresh; the store counts and locks in one statement).
async fn the_lockout_holds_when_wrong_passwords_come_all_at_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let (id, email) = app.users[&Role::Partner].clone();
    let mut clients: Vec<_> = (0..25).map(|_| app.client()).collect();
    for c in &mut clients {
        c.get("/sign-in").await;
    }
    let mut right = clients.pop().unwrap();
    let guess = [("email", email.as_str()), ("password", "a wrong guess")];
    let wrong = futures::future::join_all(clients.iter_mut().map(|c| c.post("/sign-in", &guess)));
    let late = async {
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        right
            .post(
                "/sign-in",
                &[("email", email.as_str()), ("password", PASSWORD)],
            )
            .await
    };
    let (wrong, late) = tokio::join!(wrong, late);
    assert!(wrong.iter().all(|r| r.status == StatusCode::UNAUTHORIZED));
    assert_eq!(
        late.status,
        StatusCode::UNAUTHORIZED,
        "the right password after 24 wrong ones is refused"
    );
    let u = app.store.user(id).await.unwrap().unwrap();
    assert_eq!(
        u.failed_sign_ins, 5,
        "the five free failures counted one after another, then locked: the rest refused unchecked"
    );
    assert!(u.locked_until.is_some_and(|t| t > app.clock.now()));
}
