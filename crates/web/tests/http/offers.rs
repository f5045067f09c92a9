//! Offers, sessions and rotas over HTTP: the PCN administrator adds an offer and its schedule,
//! the sessions appear, a lead who is not clear is refused with the reason, a champion signs up
//! to a rota place on their phone (and one not clear for the role cannot, even by posting), and
//! cancelling a session tells the champions on its rota.

use crate::helpers::*;
use crate::on_both;
use reqwest::StatusCode;
use together_core::champions::{DbsLevel, DbsResult, NewInterest, NewRole, Stage};
use together_core::people::ContactPreference;
use together_core::{ChampionId, ChampionRoleId, Role};

/// A role of the PCN needing a DBS check at `level` (not regulated activity).
pub(crate) async fn a_role(app: &TestApp, name: &str, level: DbsLevel) -> ChampionRoleId {
    app.store
        .add_champion_role(
            app.pcn,
            &NewRole {
                name: name.into(),
                description: format!("The {name}"),
                dbs_level: level,
                regulated_activity: false,
            },
            &audit(app.pcn),
        )
        .await
        .unwrap()
}

/// An active champion, with a clear basic DBS check for `role` when `clear`.
pub(crate) async fn active_champion(
    app: &TestApp,
    given: &str,
    role: ChampionRoleId,
    clear: bool,
) -> ChampionId {
    let a = audit(app.pcn);
    let id = app
        .store
        .record_interest(
            app.pcn,
            &NewInterest {
                given_name: given.into(),
                family_name: "Okafor".into(),
                phone: None,
                email: Some(format!("{}@example.org", given.to_lowercase())),
                contact_preference: ContactPreference::Email,
                practice_id: None,
                interests: vec![],
                skills: String::new(),
                availability: vec![],
            },
            &a,
        )
        .await
        .unwrap();
    for to in [
        Stage::Conversation,
        Stage::References,
        Stage::DbsCheck,
        Stage::Induction,
        Stage::Active,
    ] {
        app.store
            .move_champion(app.pcn, id, to, "", &a)
            .await
            .unwrap();
    }
    if clear {
        let check = app
            .store
            .request_dbs_check(app.pcn, id, role, DbsLevel::Basic, &a)
            .await
            .unwrap();
        let result = DbsResult {
            issued_on: time::macros::date!(2026 - 10 - 01),
            certificate_ref: format!("{:012}", 4242 + given.len()),
            clear: true,
            update_service: false,
            last_status_check: None,
        };
        app.store
            .record_dbs_result(app.pcn, id, &check, &result, &a)
            .await
            .unwrap();
    }
    id
}

on_both!(an_offer_its_sessions_and_a_rota_from_the_coordinator_to_a_champions_phone);
async fn an_offer_its_sessions_and_a_rota_from_the_coordinator_to_a_champions_phone(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = audit(app.pcn);
    let role = a_role(&app, "Walk leader", DbsLevel::Basic).await;
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let role_id = role.to_string();
    let offer = [
        ("name", "Harbourview walking group"),
        ("description", "A gentle walk along the front, then tea."),
        ("offer_kind", "group"),
        ("offer_status", "active"),
        ("helpers_needed", "1"),
        ("lead_role_id", role_id.as_str()),
        ("starts_on", "2026-12-01"),
        ("ends_on", "2027-02-28"),
    ];
    let mut bad = offer.to_vec();
    bad.push(("capacity", "-5"));
    let res = admin.post("/offers", &bad).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("1 or more"), "the capacity's message");
    assert!(
        app.store.offers(app.pcn).await.unwrap().is_empty(),
        "nothing saved"
    );
    let res = admin.post("/offers", &offer).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = res.location().to_owned();

    // A schedule that never falls on a day is refused in words; a weekly one makes sessions.
    let never = admin
        .post(
            &format!("{page}/schedules"),
            &[
                ("schedule_freq", "MONTHLY"),
                ("days", "MO"),
                ("week_of_month", "-1"),
                ("schedule_starts_on", "2026-12-01"),
                ("schedule_ends_on", "2026-12-27"),
                ("schedule_opens_at", "10:00"),
                ("schedule_closes_at", "11:30"),
            ],
        )
        .await;
    assert_eq!(never.status, StatusCode::BAD_REQUEST);
    assert!(
        never.body.contains("never falls on a day"),
        "{}",
        never.body
    );
    let weekly = admin
        .post(
            &format!("{page}/schedules"),
            &[
                ("schedule_freq", "WEEKLY"),
                ("schedule_interval", "1"),
                ("days", "TU"),
                ("schedule_starts_on", "2026-12-01"),
                ("schedule_opens_at", "10:00"),
                ("schedule_closes_at", "11:30"),
            ],
        )
        .await;
    assert_eq!(weekly.status, StatusCode::SEE_OTHER, "{}", weekly.body);
    let shown = admin.get(&page).await;
    assert!(shown.body.contains("Every Tuesday, 10:00 to 11:30"));
    assert!(shown.body.contains("1 December 2026"));
    assert!(
        shown.body.contains("23 February 2027"),
        "the season's last Tuesday"
    );
    assert!(
        !shown.body.contains("2 March 2027"),
        "nothing after the season"
    );
    let late = admin
        .post(
            &format!("{page}/sessions"),
            &[
                ("session_on", "2027-03-06"),
                ("session_opens_at", "10:00"),
                ("session_closes_at", "12:00"),
            ],
        )
        .await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST);
    assert!(late.body.contains("after the offer ends"));

    // A lead who is not clear for the role is refused, with the reason.
    let florence = active_champion(&app, "Florence", role, false).await;
    let dave = active_champion(&app, "Dave", role, true).await;
    let refused = admin
        .post(
            &format!("{page}/leads"),
            &[("champion_id", &florence.to_string())],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused
        .body
        .contains("Not yet clear for &#39;Walk leader&#39; (basic)"));

    // Dave signs up on his phone; Florence cannot see the place or take it by posting.
    app.store
        .link_champion_user(app.pcn, dave, app.users[&Role::Champion].0, &a)
        .await
        .unwrap();
    let mut phone = app.signed_in(Role::Champion).await;
    let rota = phone.get("/sessions/rota").await;
    assert_eq!(rota.status, StatusCode::OK);
    assert!(rota.body.contains("Places you could take"));
    assert!(rota.body.contains("Harbourview walking group"));
    let offer_id: together_core::ServiceId = page.trim_start_matches("/offers/").parse().unwrap();
    let sessions = app
        .store
        .offer_sessions(
            app.pcn,
            &together_store::offers::SessionFilter {
                offer: Some(offer_id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(sessions.len(), 13);
    let first = sessions[0].id;
    let took = phone
        .post(&format!("/sessions/{first}/rota/take"), &[])
        .await;
    assert_eq!(took.status, StatusCode::SEE_OTHER, "{}", took.body);
    let rota = phone.get("/sessions/rota").await;
    assert!(
        rota.body.contains(&format!("/sessions/{first}/rota/leave")),
        "Dave's place is his, and he can give it up"
    );
    let progress = phone.get("/champions/me").await;
    let next = progress
        .body
        .split("My next sessions")
        .nth(1)
        .unwrap_or_default();
    assert!(
        next.contains("Harbourview walking group") && next.contains("1 December 2026"),
        "his own area shows his next session"
    );
    let full = phone
        .post(&format!("/sessions/{first}/rota/take"), &[])
        .await;
    assert_eq!(full.status, StatusCode::BAD_REQUEST, "taking it twice");

    let second = sessions[1].id;
    let direct = admin
        .post(
            &format!("/sessions/{second}/rota"),
            &[("champion_id", &florence.to_string())],
        )
        .await;
    assert_eq!(direct.status, StatusCode::BAD_REQUEST);
    assert!(direct.body.contains("Not yet clear"));

    // The gaps ahead: 4 weeks of Tuesdays from 24 November, one place each, Dave has one.
    let gaps = admin.get("/sessions?weeks=4&gaps=1").await;
    assert!(
        gaps.body.contains("3 rota places to fill in this period."),
        "{}",
        gaps.body
    );

    // Cancelling tells Dave by email.
    let cancel = admin
        .post(
            &format!("/sessions/{first}/cancel"),
            &[("reason", "Storm warning")],
        )
        .await;
    assert_eq!(cancel.status, StatusCode::SEE_OTHER);
    let messages = app.store.messages(Some(app.pcn), 50).await.unwrap();
    assert!(messages.iter().any(
        |m| m.recipient == "dave@example.org" && m.body.contains("is cancelled: Storm warning")
    ));
    let page_now = admin.get(&format!("/sessions/{first}")).await;
    assert!(page_now
        .body
        .contains("This session is cancelled. Storm warning"));

    // The rest of the team sees the offers, to signpost people, but cannot change them.
    let mut gp = app.signed_in(Role::Clinician).await;
    let seen = gp.get(&page).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(seen.body.contains("Harbourview walking group"));
    assert!(!seen.body.contains("Change the details"));
    assert!(
        !seen.body.contains("Dave"),
        "no champions' names for the team"
    );
    let change = gp.post(&page, &offer).await;
    assert_eq!(change.status, StatusCode::FORBIDDEN);
}

on_both!(a_register_is_taken_by_a_lead_on_the_day_and_only_leads_see_it);
async fn a_register_is_taken_by_a_lead_on_the_day_and_only_leads_see_it(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = audit(app.pcn);
    let role = a_role(&app, "Group welcomer", DbsLevel::None).await;
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let role_id = role.to_string();
    let res = admin
        .post(
            "/offers",
            &[
                ("name", "Singing for wellbeing"),
                ("description", "Songs and tea."),
                ("offer_kind", "group"),
                ("offer_status", "active"),
                ("lead_role_id", role_id.as_str()),
            ],
        )
        .await;
    let page = res.location().to_owned();
    // Today (24 November 2026) and next week.
    for on in ["2026-11-24", "2026-12-01"] {
        let res = admin
            .post(
                &format!("{page}/sessions"),
                &[
                    ("session_on", on),
                    ("session_opens_at", "14:00"),
                    ("session_closes_at", "15:30"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    }
    let offer: together_core::ServiceId = page.trim_start_matches("/offers/").parse().unwrap();
    let sessions = app
        .store
        .offer_sessions(
            app.pcn,
            &together_store::offers::SessionFilter {
                offer: Some(offer),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let (today, next) = (sessions[0].id, sessions[1].id);
    let susan = active_champion(&app, "Susan", role, false).await;
    app.store
        .link_champion_user(app.pcn, susan, app.users[&Role::Champion].0, &a)
        .await
        .unwrap();
    let mut phone = app.signed_in(Role::Champion).await;
    // Not her offer yet: she cannot see its register, by link or by posting.
    assert_eq!(
        phone
            .get(&format!("/sessions/{today}/register"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        phone
            .post(
                &format!("/sessions/{today}/register"),
                &[("new", "Florence Ashworth")]
            )
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    admin
        .post(
            &format!("{page}/leads"),
            &[("champion_id", &susan.to_string())],
        )
        .await;
    let rota = phone.get("/sessions/rota").await;
    assert!(
        rota.body.contains(&format!("/sessions/{today}/register")),
        "today's register is hers to take"
    );
    let form = [
        ("came", ""),
        ("new", "florence ashworth"),
        ("new", "Bill T"),
        ("others", "3"),
    ];
    for _ in 0..2 {
        let saved = phone
            .post(&format!("/sessions/{today}/register"), &form)
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        assert_eq!(
            saved.location(),
            format!("/sessions/{today}/register?saved=1")
        );
    }
    let shown = phone
        .get(&format!("/sessions/{today}/register?saved=1"))
        .await;
    assert!(shown.body.contains("Register saved."));
    assert!(shown.body.contains("Florence A.") && !shown.body.contains("Ashworth"));
    let r = app
        .store
        .register(app.pcn, today, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((r.came.len(), r.others), (2, 3), "sent twice, kept once");
    let early = phone
        .post(&format!("/sessions/{next}/register"), &form)
        .await;
    assert_eq!(early.status, StatusCode::BAD_REQUEST);
    assert!(early.body.contains("take its register on the day"));
    let bad = phone
        .post(
            &format!("/sessions/{today}/register"),
            &[("others", "lots")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("Enter how many others came"));
    // The coordinator sees the attendance on the offer's page; the rest of the team does not.
    let offer_page = admin.get(&page).await;
    assert!(offer_page.body.contains("Attendance"));
    assert!(offer_page.body.contains("5 came"));
    let mut gp = app.signed_in(Role::Clinician).await;
    let seen = gp.get(&page).await;
    assert!(!seen.body.contains("Florence A.") && !seen.body.contains("Attendance"));
    assert_eq!(
        gp.get(&format!("/sessions/{today}/register")).await.status,
        StatusCode::FORBIDDEN
    );
}

on_both!(time_given_to_an_offer_shows_in_the_coordinators_totals_by_offer);
async fn time_given_to_an_offer_shows_in_the_coordinators_totals_by_offer(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = audit(app.pcn);
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let res = admin
        .post(
            "/offers",
            &[
                ("name", "Chair yoga"),
                ("description", "Gentle stretches sitting down."),
                ("offer_kind", "group"),
                ("offer_status", "active"),
            ],
        )
        .await;
    let offer = res.location().trim_start_matches("/offers/").to_owned();
    let role = a_role(&app, "Group welcomer", DbsLevel::None).await;
    let susan = active_champion(&app, "Susan", role, false).await;
    app.store
        .link_champion_user(app.pcn, susan, app.users[&Role::Champion].0, &a)
        .await
        .unwrap();
    let mut phone = app.signed_in(Role::Champion).await;
    let page = phone.get("/champions/me/hours").await;
    assert!(page.body.contains("Chair yoga"), "the offer is a choice");
    let stranger = together_core::ServiceId::new().to_string();
    let refused = phone
        .post(
            "/champions/me/hours",
            &[
                ("on", "24/11/2026"),
                ("hours", "1.5"),
                ("activity", "Yoga"),
                ("hours_offer_id", &stranger),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused
        .body
        .contains("Choose an offer from the list, or none"));
    assert!(
        app.store
            .hours(app.pcn, Some(susan))
            .await
            .unwrap()
            .is_empty(),
        "nothing saved"
    );
    let logged = phone
        .post(
            "/champions/me/hours",
            &[
                ("on", "24/11/2026"),
                ("hours", "1.5"),
                ("activity", "Yoga"),
                ("hours_offer_id", &offer),
            ],
        )
        .await;
    assert_eq!(logged.status, StatusCode::SEE_OTHER, "{}", logged.body);
    let entry = app
        .store
        .hours(app.pcn, Some(susan))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(entry.offer_id.map(|o| o.to_string()), Some(offer.clone()));
    app.store
        .decide_claim(
            app.pcn,
            together_store::champions::Claim::Hours,
            &entry.id,
            true,
            "",
            &a,
        )
        .await
        .unwrap();
    let claims = admin.get("/champions/claims").await;
    let by_offer = claims
        .body
        .split("By offer")
        .nth(1)
        .expect("a table by offer");
    assert!(
        by_offer.contains("<td>Chair yoga</td><td>1 h 30 min</td>"),
        "{by_offer}"
    );
}

on_both!(hours_claims_compliance_and_offers_through_the_json_api);
async fn hours_claims_compliance_and_offers_through_the_json_api(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = audit(app.pcn);
    let role = a_role(&app, "Walk leader", DbsLevel::Basic).await;
    let dave = active_champion(&app, "Dave", role, true).await;
    app.store
        .give_champion_role(app.pcn, dave, role, &a)
        .await
        .unwrap();
    app.store
        .link_champion_user(app.pcn, dave, app.users[&Role::Champion].0, &a)
        .await
        .unwrap();
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let res = admin
        .post(
            "/offers",
            &[
                ("name", "Harbourview walking group"),
                ("description", "A walk, then tea."),
                ("offer_kind", "group"),
                ("offer_status", "active"),
            ],
        )
        .await;
    let offer = res.location().trim_start_matches("/offers/").to_owned();

    let mut phone = app.client();
    phone.bearer = Some(app.api_token(Role::Champion).await);
    let bad = phone
        .post_json(
            "/api/v1/champions/me/hours",
            &serde_json::json!({"on": "2026-12-25", "hours": "2", "activity": "Walk"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("on:"), "{}", bad.body);
    let logged = phone
        .post_json(
            "/api/v1/champions/me/hours",
            &serde_json::json!({"on": "2026-11-24", "hours": "1:30", "activity": "Tuesday walk", "offer_id": offer}),
        )
        .await;
    assert_eq!(logged.status, StatusCode::CREATED, "{}", logged.body);
    let mine: serde_json::Value =
        serde_json::from_str(&phone.get("/api/v1/champions/me/claims").await.body).unwrap();
    assert_eq!(mine["hours"][0]["minutes"], 90);
    assert_eq!(mine["hours"][0]["offer_id"], offer.as_str());
    assert_eq!(mine["hours"][0]["status"], "pending");
    assert_eq!(
        phone.get("/api/v1/champions/compliance").await.status,
        StatusCode::FORBIDDEN,
        "a champion sees no one's compliance but their own page"
    );
    assert_eq!(
        phone.get("/api/v1/champions/claims").await.status,
        StatusCode::FORBIDDEN
    );

    let mut coordinator = app.client();
    coordinator.bearer = Some(app.api_token(Role::PcnAdmin).await);
    let all: serde_json::Value =
        serde_json::from_str(&coordinator.get("/api/v1/champions/claims").await.body).unwrap();
    assert_eq!(all["hours"].as_array().unwrap().len(), 1);
    let compliance: serde_json::Value =
        serde_json::from_str(&coordinator.get("/api/v1/champions/compliance").await.body).unwrap();
    let row = &compliance["clearance"][0];
    assert_eq!(row["champion_id"], dave.to_string().as_str());
    assert_eq!(
        (row["role"].as_str(), row["clear"].as_bool()),
        (Some("Walk leader"), Some(true))
    );
    // Issued 1 October 2026, renewed after 3 years.
    assert_eq!(row["renewal_due"], "2029-10-01");
    assert_eq!(compliance["renewal_years"], 3);

    let mut gp = app.client();
    gp.bearer = Some(app.api_token(Role::Clinician).await);
    let offers: serde_json::Value =
        serde_json::from_str(&gp.get("/api/v1/offers").await.body).unwrap();
    assert_eq!(offers[0]["name"], "Harbourview walking group");
    assert_eq!(offers[0]["status"], "active");
}
