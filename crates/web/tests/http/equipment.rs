//! Equipment loans over HTTP, with the role matrix the issue asks for: the coordinator keeps
//! the inventory, a clinician lends a monitor to one of their practice's people (and cannot to
//! another practice's), the champion handling it sees only "Florence A." and records the
//! readings brought back, and nobody but the person's own clinician sees those readings.

use crate::helpers::*;
use crate::offers::{a_role, active_champion};
use crate::on_both;
use reqwest::StatusCode;
use together_core::champions::DbsLevel;
use together_core::Role;

on_both!(a_monitor_goes_out_comes_back_and_its_readings_reach_only_the_clinician);
async fn a_monitor_goes_out_comes_back_and_its_readings_reach_only_the_clinician(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = audit(app.pcn);
    let role = a_role(&app, "Monitor courier", DbsLevel::Basic).await;
    let dave = active_champion(&app, "Dave", role, false).await;
    let offer = together_core::offers::OfferForm::from_fields(
        &[
            ("name", "Home blood pressure monitors"),
            (
                "description",
                "Borrow a monitor for a week of home readings.",
            ),
            ("offer_kind", "equipment_loan"),
            ("offer_status", "active"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    )
    .parse()
    .unwrap();
    let offer = app.store.add_offer(app.pcn, &offer, &a).await.unwrap();
    app.store
        .add_offer_lead(app.pcn, offer, dave, &a)
        .await
        .unwrap();
    app.store
        .link_champion_user(app.pcn, dave, app.users[&Role::Champion].0, &a)
        .await
        .unwrap();
    let florence = app.add_person(0, "Florence").await;
    let mabel = app.add_person(1, "Mabel").await;

    // The coordinator adds a monitor; a missing serial number is refused and nothing kept.
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let offer_id = offer.to_string();
    let mut item = vec![
        ("item_kind", "blood_pressure_monitor"),
        ("name", "Omron M3 number 4"),
        ("condition", "good"),
        ("offer_id", offer_id.as_str()),
    ];
    let res = admin.post("/equipment", &item).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("Enter the serial number"), "{}", res.body);
    assert!(app.store.items(app.pcn).await.unwrap().is_empty());
    item.push(("serial", "20231104LG"));
    let res = admin.post("/equipment", &item).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let monitor = res.location().trim_start_matches("/equipment/").to_owned();
    let page = admin.get("/equipment").await;
    assert!(page.body.contains("Ready to lend") && page.body.contains("20231104LG"));

    // Only the coordinator keeps the inventory.
    for role in [
        Role::Champion,
        Role::Partner,
        Role::Analyst,
        Role::Clinician,
    ] {
        let mut c = app.signed_in(role).await;
        let res = c.get("/equipment").await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{role}");
    }

    // Florence's clinician lends it, for Dave to take round; Mabel is another practice's.
    let mut gp = app.signed_in(Role::Clinician).await;
    let record = gp.get(&format!("/people/{florence}")).await;
    assert!(record.body.contains("Lend them an item"));
    assert!(record.body.contains("Omron M3 number 4 (20231104LG)"));
    let dave_id = dave.to_string();
    let lend = [
        ("item_id", monitor.as_str()),
        ("due_on", "2026-12-08"),
        ("handled_by", dave_id.as_str()),
    ];
    let res = gp.post(&format!("/people/{mabel}/loans"), &lend).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "not her practice's");
    let res = gp
        .post(
            &format!("/people/{florence}/loans"),
            &[("item_id", monitor.as_str()), ("due_on", "yesterday")],
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("Enter the date it is due back"));
    let res = gp.post(&format!("/people/{florence}/loans"), &lend).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let again = gp.post(&format!("/people/{florence}/loans"), &lend).await;
    assert_eq!(
        again.status,
        StatusCode::BAD_REQUEST,
        "one person at a time"
    );

    // The coordinator's JSON view of the equipment says where it is, and nothing of her.
    let mut api = app.client();
    api.bearer = Some(app.api_token(Role::PcnAdmin).await);
    let res = api.get("/api/v1/equipment").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("\"due_back\":\"2026-12-08\"") && !res.body.contains("Florence"));
    let mut gp_api = app.client();
    gp_api.bearer = Some(app.api_token(Role::Clinician).await);
    assert_eq!(
        gp_api.get("/api/v1/equipment").await.status,
        StatusCode::FORBIDDEN
    );

    // Dave sees it on his phone as Florence A.'s, and no more of her than that.
    let mut phone = app.signed_in(Role::Champion).await;
    let mine = phone.get("/sessions/rota").await;
    assert!(mine.body.contains("Equipment you are looking after"));
    assert!(mine.body.contains("With Florence A."));
    assert!(!mine.body.contains("Ashworth") && !mine.body.contains("07700"));
    let loan = app
        .store
        .loans(app.pcn, &together_store::loans::LoanFilter::default(), &a)
        .await
        .unwrap()
        .pop()
        .unwrap()
        .id;
    // A day past its due date the outbox loop tells Dave (Florence agreed to no messages).
    app.clock.advance(time::Duration::days(15));
    together_web::reminders::sessions_due(&app.state)
        .await
        .unwrap();
    let told: Vec<_> = app
        .store
        .messages(Some(app.pcn), 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.subject == "Overdue: Omron M3 number 4")
        .collect();
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].recipient, "dave@example.org");
    assert!(told[0].body.contains("Florence A.") && !told[0].body.contains("Ashworth"));
    let mut phone = app.signed_in(Role::Champion).await;
    let mut gp = app.signed_in(Role::Clinician).await;
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    assert!(phone.get("/sessions/rota").await.body.contains("Overdue"));
    let back = format!("/loans/{loan}/return");
    assert_eq!(phone.get(&back).await.status, StatusCode::OK);
    let res = phone
        .post(
            &back,
            &[("condition", "good"), ("readings", "142/88 72\n13/86")],
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("Line 2:"), "{}", res.body);
    assert!(
        app.store
            .item(app.pcn, monitor.parse().unwrap())
            .await
            .unwrap()
            .due_on
            .is_some(),
        "nothing saved half-way"
    );
    let res = phone
        .post(
            &back,
            &[
                ("condition", "good"),
                ("cleaned", "yes"),
                ("readings", "142/88 72\n138/86"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.location(), "/sessions/rota");
    // His part is over: the loan and its readings are out of his reach.
    assert_eq!(phone.get(&back).await.status, StatusCode::NOT_FOUND);
    assert!(!phone
        .get("/sessions/rota")
        .await
        .body
        .contains("Florence A."));
    assert_ne!(
        phone.get(&format!("/people/{florence}")).await.status,
        StatusCode::OK
    );

    // Her clinician sees the average against the NICE threshold; the coordinator does not.
    let record = gp.get(&format!("/people/{florence}")).await;
    assert!(record.body.contains("Home blood pressure readings"));
    assert!(
        record.body.contains("140/87, pulse 72 mmHg"),
        "{}",
        record.body
    );
    assert!(record.body.contains("stage 1 hypertension"));
    let coordinator = admin.get(&format!("/people/{florence}")).await;
    assert_eq!(coordinator.status, StatusCode::OK);
    assert!(!coordinator.body.contains("Home blood pressure readings"));
    assert!(!coordinator.body.contains("140/87"));
    let reads = app
        .store
        .audit_events(
            app.pcn,
            &together_store::AuditFilter {
                resource_type: Some("bp_readings".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // Each opening of her record by her clinician read them, and each read is audited; nobody
    // else's opening of it did.
    assert!(!reads.is_empty());
    let gp_user = format!("user:{}", app.users[&Role::Clinician].0);
    assert!(reads.iter().all(|e| e.actor == gp_user), "{reads:?}");
}
