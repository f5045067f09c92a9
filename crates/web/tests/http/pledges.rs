//! Health pledges over HTTP: anyone makes one without an account, anonymous unless they ask for
//! a champion; the wall shows only what the maker agreed to and the coordinator checked; the
//! coordinator counts them by theme and practice and asks a champion, who is told how to reach
//! the person; nobody else sees the pledges.

use crate::helpers::*;
use crate::offers::{a_role, active_champion};
use crate::on_both;
use reqwest::StatusCode;
use together_core::champions::DbsLevel;
use together_core::pledges::Theme;
use together_core::Role;
use together_store::pledges::Wall;

/// Makes a pledge as someone without an account would: the form read, a moment taken.
async fn pledge(app: &TestApp, fields: &[(&str, &str)]) -> Res {
    app.post_public_form("/pledge", fields).await
}

on_both!(a_pledge_is_made_without_an_account_counted_and_shown_once_checked);
async fn a_pledge_is_made_without_an_account_counted_and_shown_once_checked(db: Db) {
    let app = TestApp::spawn(db).await;
    let empty = pledge(&app, &[("theme", "moving_more")]).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert!(empty
        .body
        .contains("Say what you will do, in your own words"));
    let walk = pledge(
        &app,
        &[
            ("goal", "Walk to the shops instead of taking the bus"),
            ("theme", "moving_more"),
            ("place", "community_stall"),
            ("on_wall", "yes"),
            // Typed, but no champion asked for: not kept.
            ("given_name", "Arthur"),
            ("phone", "07700 900123"),
        ],
    )
    .await;
    assert_eq!(walk.status, StatusCode::OK, "{}", walk.body);
    assert!(walk.body.contains("Thank you for your pledge"));
    let practice = app.practices[0].to_string();
    let smoking = pledge(
        &app,
        &[
            ("goal", "Stop smoking by my birthday"),
            ("theme", "stopping_smoking"),
            ("practice_id", &practice),
            ("place", "waiting_room"),
            ("wants_champion", "yes"),
            ("given_name", "Florence"),
            ("phone", "07700 900982"),
        ],
    )
    .await;
    assert!(smoking.body.contains("A health champion will get in touch"));
    let made = app.store.pledges(app.pcn).await.unwrap();
    assert_eq!(made.len(), 2);
    let walk = made.iter().find(|p| p.theme == Theme::MovingMore).unwrap();
    let smoking = made
        .iter()
        .find(|p| p.theme == Theme::StoppingSmoking)
        .unwrap();
    assert_eq!(
        (walk.given_name.as_deref(), walk.phone.as_deref(), walk.wall),
        (None, None, Wall::Waiting),
        "anonymous unless a champion was asked for"
    );
    assert_eq!(smoking.wall, Wall::NotAsked);

    // The wall counts every pledge and shows only what was agreed and checked.
    let mut public = app.client();
    let wall = public.get("/pledges/wall").await;
    assert!(wall.body.contains("2 pledges have been made"));
    assert!(!wall.body.contains("Walk to the shops"), "not checked yet");
    let mut coordinator = app.signed_in(Role::PcnAdmin).await;
    let overview = coordinator.get("/pledges").await;
    assert_eq!(overview.status, StatusCode::OK);
    assert!(overview.body.contains("Pledges by theme and practice"));
    assert!(overview.body.contains("Florence: 07700 900982"));
    let shown = coordinator
        .post(&format!("/pledges/{}/wall", walk.id), &[("shown", "yes")])
        .await;
    assert_eq!(shown.status, StatusCode::SEE_OTHER);
    assert_eq!(
        coordinator
            .post(
                &format!("/pledges/{}/wall", smoking.id),
                &[("shown", "yes")]
            )
            .await
            .status,
        StatusCode::BAD_REQUEST,
        "never shown without the maker's agreement"
    );
    let wall = public.get("/pledges/wall").await;
    assert!(wall.body.contains("Walk to the shops") && !wall.body.contains("Stop smoking"));
    assert!(!wall.body.contains("Arthur") && !wall.body.contains("Florence"));

    // A champion is asked to help Florence, and told how to reach her.
    let role = a_role(&app, "Befriender", DbsLevel::Basic).await;
    let sue = active_champion(&app, "Sue", role, true).await;
    let asked = coordinator
        .post(
            &format!("/pledges/{}/champion", smoking.id),
            &[("champion", &sue.to_string())],
        )
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);
    let told = app.store.messages(Some(app.pcn), 20).await.unwrap();
    assert!(told.iter().any(|m| m.recipient == "sue@example.org"
        && m.body.contains("Stop smoking by my birthday")
        && m.body.contains("07700 900982")));
    // Walk's maker asked for no one.
    let refused = coordinator
        .post(
            &format!("/pledges/{}/champion", walk.id),
            &[("champion", &sue.to_string())],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("did not ask for a champion"));

    // Nobody else sees the pledges.
    for role in [
        Role::Clinician,
        Role::LinkWorker,
        Role::Champion,
        Role::Analyst,
        Role::Partner,
    ] {
        let mut c = app.signed_in(role).await;
        assert_eq!(
            c.get("/pledges").await.status,
            StatusCode::FORBIDDEN,
            "{role}"
        );
    }
}

#[tokio::test]
async fn with_two_pcns_a_public_form_first_asks_which_is_yours() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let other = app
        .store
        .create_pcn(
            "Riverside PCN",
            None,
            time::macros::datetime!(2026-11-24 09:00 UTC),
        )
        .await
        .unwrap();
    let mut public = app.client();
    for path in ["/join", "/pledge", "/pledges/wall"] {
        let page = public.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(
            page.body.contains("Choose your Primary Care Network")
                && page.body.contains(&format!("href=\"{path}?pcn={other}\""))
                && page
                    .body
                    .contains(&format!("href=\"{path}?pcn={}\"", app.pcn)),
            "{path}: {}",
            page.body
        );
    }
    // Chosen, the form is that PCN's.
    let chosen = public.get(&format!("/pledge?pcn={}", app.pcn)).await;
    assert!(chosen.body.contains("Make my pledge"));
}
