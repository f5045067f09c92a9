//! Authorisation from the real router: every route is in the policy table, and every role is
//! sent to every route (POSTs with valid CSRF tokens) and gets the answer the policy gives.

use crate::helpers::*;
use reqwest::StatusCode;
use std::collections::HashSet;
use together_core::{authorize, Resource, Role};
use together_web::Policy;

fn fill(path: &str, person: &str, user: &str) -> String {
    if path.starts_with("/admin/users/") {
        path.replace("{id}", user)
    } else {
        path.replace("{id}", person)
            .replace("{*path}", "nhsuk-frontend.min.css")
    }
}

#[tokio::test]
async fn every_route_has_one_policy_and_guards_itself_without_a_session() {
    let (_, table) = together_web::routes();
    assert!(
        table.len() >= 30,
        "the table lists the routes ({} found)",
        table.len()
    );
    let mut seen = HashSet::new();
    for r in &table {
        assert!(
            seen.insert((r.method.clone(), r.path)),
            "{} {} is registered twice",
            r.method,
            r.path
        );
    }
    let app = TestApp::spawn(Db::Sqlite).await;
    let person = uuid::Uuid::new_v4().to_string();
    let user = app.users[&Role::Champion].0.to_string();
    for r in &table {
        let path = fill(r.path, &person, &user);
        let mut c = app.client();
        let res = if r.method == reqwest::Method::GET {
            c.get(&path).await
        } else {
            c.post(&path, &[]).await
        };
        match r.policy {
            Policy::Public => assert!(
                res.status != StatusCode::UNAUTHORIZED && res.location() != "/sign-in"
                    || r.path == "/sign-out",
                "{} {} is public but refused",
                r.method,
                r.path
            ),
            _ if r.path.starts_with("/api/") => assert_eq!(
                res.status,
                StatusCode::UNAUTHORIZED,
                "{} {}",
                r.method,
                r.path
            ),
            _ => assert_eq!(
                res.location(),
                "/sign-in",
                "{} {} must send a stranger to sign in (got {})",
                r.method,
                r.path,
                res.status
            ),
        }
    }
    let mut c = app.client();
    assert_eq!(
        c.get("/admin/secret-page").await.status,
        StatusCode::NOT_FOUND,
        "unregistered paths do not exist"
    );
}

#[tokio::test]
async fn role_by_route_matrix_matches_the_policy_and_leaks_no_personal_data() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let person = app.add_person(0, "Florence").await.to_string();
    // A user the administrator's actions may safely act on.
    let victim = app
        .store
        .create_user(
            &together_store::NewUser {
                pcn_id: app.pcn,
                email: "victim@harbourview.example".parse().unwrap(),
                display_name: "Victim".into(),
                role: Role::Partner,
                practice_id: None,
                status: together_store::UserStatus::Active,
                password_hash: None,
            },
            &audit(app.pcn),
            time::macros::datetime!(2026-11-24 09:00 UTC),
        )
        .await
        .unwrap()
        .to_string();
    let (_, mut table) = together_web::routes();
    // Ending all one's sessions signs the client out, so it goes last.
    table.sort_by_key(|r| r.path == "/account/sessions/end-all");
    let secrets = ["Ashworth", "27 March 1933", "1933-03-27", "07700 900982"];
    let mut checked = 0;
    for role in Role::ALL {
        let mut web = app.signed_in(role).await;
        let mut api = app.client();
        let token = app.api_token(role).await;
        api.bearer = Some(token);
        let actor = together_core::Actor {
            user_id: app.users[&role].0,
            role,
            pcn_id: app.pcn,
            practice_id: role.needs_practice().then(|| app.practices[0]),
        };
        for r in &table {
            let Policy::Allow(action) = r.policy else {
                continue;
            };
            let path = fill(r.path, &person, &victim);
            let c = if r.path.starts_with("/api/") {
                &mut api
            } else {
                &mut web
            };
            let res = if r.method == reqwest::Method::GET {
                c.get(&path).await
            } else if r.path.starts_with("/api/") {
                c.post_json(&path, &serde_json::json!({})).await
            } else {
                c.post(&path, &[]).await
            };
            let allowed = authorize(&actor, action, &Resource::Pcn(app.pcn)).is_allowed();
            if allowed {
                // Signing out everywhere rightly ends at the sign-in page; anywhere else that means refused.
                let sent_away =
                    res.location() == "/sign-in" && r.path != "/account/sessions/end-all";
                assert!(
                    res.status != StatusCode::FORBIDDEN
                        && res.status != StatusCode::UNAUTHORIZED
                        && !sent_away,
                    "{role} should reach {} {} (got {})",
                    r.method,
                    r.path,
                    res.status
                );
            } else {
                assert_eq!(
                    res.status,
                    StatusCode::FORBIDDEN,
                    "{role} must be refused {} {}",
                    r.method,
                    r.path
                );
            }
            if matches!(role, Role::Champion | Role::Partner | Role::Analyst) {
                for s in secrets {
                    assert!(
                        !res.body.contains(s),
                        "{role} saw '{s}' at {} {}",
                        r.method,
                        r.path
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 100, "the matrix ran ({checked} requests)");
}

#[tokio::test]
async fn navigation_shows_each_role_only_what_it_may_open() {
    let app = TestApp::spawn(Db::Sqlite).await;
    for role in Role::ALL {
        let mut c = app.signed_in(role).await;
        let home = c.get("/").await;
        let nav = &home.body[home.body.find("nhsuk-header__navigation-list").unwrap()..];
        let nav = &nav[..nav.find("</ul>").unwrap()];
        assert_eq!(
            nav.contains("href=\"/people\""),
            matches!(role, Role::PcnAdmin | Role::Clinician | Role::LinkWorker),
            "{role}"
        );
        assert_eq!(
            nav.contains("href=\"/admin\""),
            role == Role::PcnAdmin,
            "{role}"
        );
        assert!(nav.contains("href=\"/account\""), "{role}");
    }
}
