//! Each role's home is its work queue: what needs them now, counted, most urgent first, each a
//! link to where it is done; the API's `/api/v1/work` answers the same counts.

use crate::helpers::*;
use crate::on_both;
use reqwest::StatusCode;
use together_core::Role;

/// The API's work queue for a token of `role`.
async fn work_by_api(app: &TestApp, role: Role) -> Vec<serde_json::Value> {
    let mut c = app.client();
    c.bearer = Some(app.api_token(role).await);
    let res = c.get("/api/v1/work").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    serde_json::from_str(&res.body).unwrap()
}

on_both!(new_expressions_of_interest_wait_on_the_coordinators_home_and_in_the_api);
async fn new_expressions_of_interest_wait_on_the_coordinators_home_and_in_the_api(db: Db) {
    let app = TestApp::spawn(db).await;
    let mut lead = app.signed_in(Role::PcnAdmin).await;
    let home = lead.get("/").await;
    assert!(
        home.body.contains("Nothing is waiting for you now."),
        "{}",
        home.body
    );
    assert!(work_by_api(&app, Role::PcnAdmin).await.is_empty());

    for (given, email) in [("Dave", "dave@example.org"), ("Ama", "ama@example.org")] {
        let fields = [
            ("given_name", given),
            ("family_name", "Okafor"),
            ("contact_preference", "email"),
            ("email", email),
            ("interests", "walking"),
            ("availability", "weekends"),
            ("consent", "yes"),
        ];
        let thanks = app.post_public_form("/join", &fields).await;
        assert_eq!(thanks.status, StatusCode::OK, "{}", thanks.body);
    }

    let home = lead.get("/").await;
    assert!(
        home.body
            .contains("<a href=\"/champions\">2 new expressions of interest</a>"),
        "the count links to the board where they are taken on: {}",
        home.body
    );
    let work = work_by_api(&app, Role::PcnAdmin).await;
    assert_eq!(work.len(), 1, "{work:?}");
    assert_eq!(work[0]["need"], "new_interest");
    assert_eq!(work[0]["count"], 2);
    assert_eq!(work[0]["href"], "/champions");
    assert_eq!(work[0]["text"], "2 new expressions of interest");

    // A champion is not shown the coordinator's work.
    let mut champion = app.signed_in(Role::Champion).await;
    let theirs = champion.get("/").await;
    assert!(!theirs.body.contains("expressions of interest"));
}

on_both!(the_demo_coordinator_sees_the_work_the_demo_holds_most_urgent_first);
async fn the_demo_coordinator_sees_the_work_the_demo_holds_most_urgent_first(db: Db) {
    let (app, sign_ins) = TestApp::demo_world(db, 600).await;
    let work = work_by_api(&app, Role::PcnAdmin).await;
    let needs: Vec<&str> = work.iter().map(|w| w["need"].as_str().unwrap()).collect();
    for expected in [
        "follow_ups_overdue",
        "rota_gaps",
        "listings_due",
        "changes_waiting",
    ] {
        assert!(needs.contains(&expected), "{expected} in {needs:?}");
    }
    assert!(
        work.iter().all(|w| w["count"].as_u64().unwrap() > 0),
        "nothing counted as nothing: {work:?}"
    );
    let urgent: Vec<bool> = work
        .iter()
        .map(|w| w["urgent"].as_bool().unwrap())
        .collect();
    assert!(
        urgent.windows(2).all(|w| w[0] >= w[1]),
        "the urgent come first: {work:?}"
    );

    // The home page says the same, in the same order.
    let (_, email, password) = sign_ins
        .iter()
        .find(|s| s.0 == Role::PcnAdmin)
        .unwrap()
        .clone();
    let mut c = app.client();
    c.sign_in(&email, &password).await;
    let home = c.get("/").await;
    let mut at = 0;
    for w in &work {
        let line = format!(
            "<a href=\"{}\">{}</a>",
            w["href"].as_str().unwrap(),
            w["text"].as_str().unwrap().replace('\'', "&#39;")
        );
        let found = home.body[at..]
            .find(&line)
            .unwrap_or_else(|| panic!("{line} after the one before: {}", home.body));
        at += found + line.len();
    }
}
