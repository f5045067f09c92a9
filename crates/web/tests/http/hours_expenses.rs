//! Hours and expenses: a champion logs time and claims costs and miles from their phone, with a
//! receipt photo checked by its bytes and its size; the coordinator approves or refuses; nobody
//! else sees them.

use crate::helpers::*;
use crate::on_both;
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use together_core::champions::NewInterest;
use together_core::people::ContactPreference;
use together_core::{ChampionId, Role, UserId};
use together_store::{NewUser, UserStatus};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR receipt";

/// A champion record for `user` (an active account), as if they had come through the journey.
async fn champion_for(app: &TestApp, user: UserId, given: &str) -> ChampionId {
    let interest = NewInterest {
        given_name: given.into(),
        family_name: "Okafor".into(),
        phone: Some("07700 900123".into()),
        email: None,
        contact_preference: ContactPreference::Text,
        practice_id: Some(app.practices[0]),
        interests: vec!["walking".into()],
        skills: String::new(),
        availability: vec![],
    };
    let id = app
        .store
        .record_interest(app.pcn, &interest, &audit(app.pcn))
        .await
        .unwrap();
    app.store
        .link_champion_user(app.pcn, id, user, &audit(app.pcn))
        .await
        .unwrap();
    id
}

async fn expense(c: &mut Client, fields: &[(&str, &str)], receipt: Option<(&str, Vec<u8>)>) -> Res {
    let mut form = Form::new().text("csrf_token", c.csrf().await);
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    if let Some((name, bytes)) = receipt {
        form = form.part("receipt", Part::bytes(bytes).file_name(name.to_owned()));
    }
    c.post_multipart("/champions/me/expenses", form).await
}

fn receipts(app: &TestApp) -> usize {
    std::fs::read_dir(app.data_dir.join("uploads").join("receipts"))
        .map(|d| d.count())
        .unwrap_or(0)
}

on_both!(a_champion_claims_time_and_expenses_and_the_coordinator_approves_them);
async fn a_champion_claims_time_and_expenses_and_the_coordinator_approves_them(db: Db) {
    let app = TestApp::spawn(db).await;
    champion_for(&app, app.users[&Role::Champion].0, "Dave").await;
    let mut dave = app.signed_in(Role::Champion).await;

    let page = dave.get("/champions/me/hours").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("value=\"24/11/2026\""),
        "today is filled in"
    );
    let future = dave
        .post(
            "/champions/me/hours",
            &[("on", "25/11/2026"), ("hours", "2"), ("activity", "Walk")],
        )
        .await;
    assert_eq!(future.status, StatusCode::BAD_REQUEST);
    assert!(future.body.contains("cannot be in the future"));
    let logged = dave
        .post(
            "/champions/me/hours",
            &[
                ("on", "24/11/2026"),
                ("hours", "2"),
                ("activity", "Tuesday health walk"),
            ],
        )
        .await;
    assert_eq!(logged.status, StatusCode::SEE_OTHER, "{}", logged.body);

    let cost = [
        ("on", "20/11/2026"),
        ("kind", "cost"),
        ("description", "Tea and biscuits for the walkers"),
        ("amount", "6.80"),
    ];
    // Not a photo, whatever its name says: refused, nothing kept.
    let pdf = expense(
        &mut dave,
        &cost,
        Some(("receipt.jpg", b"%PDF-1.7 ...".to_vec())),
    )
    .await;
    assert_eq!(pdf.status, StatusCode::BAD_REQUEST);
    assert!(pdf.body.contains("must be a photo"), "{}", pdf.body);
    let mut big = PNG.to_vec();
    big.resize(6 * 1024 * 1024, 0);
    let too_big = expense(&mut dave, &cost, Some(("receipt.png", big))).await;
    assert_eq!(too_big.status, StatusCode::BAD_REQUEST);
    assert!(too_big.body.contains("5 MB or smaller"), "{}", too_big.body);
    assert_eq!(receipts(&app), 0);
    let audit = audit(app.pcn);
    assert!(app
        .store
        .expenses(app.pcn, None, &audit)
        .await
        .unwrap()
        .is_empty());

    let claimed = expense(&mut dave, &cost, Some(("receipt.png", PNG.to_vec()))).await;
    assert_eq!(claimed.status, StatusCode::SEE_OTHER, "{}", claimed.body);
    assert_eq!(receipts(&app), 1);
    let miles = expense(
        &mut dave,
        &[
            ("on", "21/11/2026"),
            ("kind", "mileage"),
            ("description", "Drove Florence to the singing group"),
            ("miles", "12.5"),
        ],
        None,
    )
    .await;
    assert_eq!(miles.status, StatusCode::SEE_OTHER, "{}", miles.body);
    let mine = dave.get("/champions/me/hours").await;
    assert!(mine.body.contains("12.5 miles at 45p") && mine.body.contains("£5.63"));
    assert!(mine.body.contains("Waiting for approval"));
    let expenses = app.store.expenses(app.pcn, None, &audit).await.unwrap();
    let with_receipt = expenses.iter().find(|e| e.receipt_type.is_some()).unwrap();
    let own = dave
        .get(&format!("/champions/me/receipts/{}", with_receipt.id))
        .await;
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(own.headers["content-type"], "image/png");

    // Another champion sees none of it.
    let other = app
        .store
        .create_user(
            &NewUser {
                pcn_id: app.pcn,
                email: "amara@harbourview.example".parse().unwrap(),
                display_name: "Amara".into(),
                role: Role::Champion,
                practice_id: None,
                status: UserStatus::Active,
                password_hash: Some(together_core::password::hash_password(PASSWORD).unwrap()),
            },
            &audit,
            time::macros::datetime!(2026-11-24 09:00 UTC),
        )
        .await
        .unwrap();
    champion_for(&app, other, "Amara").await;
    let mut amara = app.client();
    amara.sign_in("amara@harbourview.example", PASSWORD).await;
    let theirs = amara.get("/champions/me/hours").await;
    assert!(
        !theirs.body.contains("Tea and biscuits for the walkers") && !theirs.body.contains("£6.80"),
        "{}",
        theirs.body
    );
    let peek = amara
        .get(&format!("/champions/me/receipts/{}", with_receipt.id))
        .await;
    assert_eq!(peek.status, StatusCode::NOT_FOUND);
    assert_eq!(
        amara.get("/champions/claims").await.status,
        StatusCode::FORBIDDEN
    );

    // The coordinator decides.
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let claims = admin.get("/champions/claims").await;
    assert!(claims.body.contains("Dave Okafor: 2 h on 24 November 2026"));
    assert!(claims.body.contains("See the receipt"));
    let receipt = admin
        .get(&format!("/champions/claims/receipts/{}", with_receipt.id))
        .await;
    assert_eq!(receipt.status, StatusCode::OK);
    let hours = app.store.hours(app.pcn, None).await.unwrap();
    let no_reason = admin
        .post(
            &format!("/champions/claims/hours/{}", hours[0].id),
            &[("decision", "reject"), ("reason", "")],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST);
    assert!(no_reason.body.contains("Say why"));
    for (path, id) in [
        ("hours", &hours[0].id),
        ("expenses", &expenses[0].id),
        ("expenses", &expenses[1].id),
    ] {
        let ok = admin
            .post(
                &format!("/champions/claims/{path}/{id}"),
                &[("decision", "approve")],
            )
            .await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    }
    let twice = admin
        .post(
            &format!("/champions/claims/hours/{}", hours[0].id),
            &[("decision", "approve")],
        )
        .await;
    assert_eq!(twice.status, StatusCode::BAD_REQUEST);
    assert!(twice.body.contains("decided already"));
    let claims = admin.get("/champions/claims").await;
    // 2 hours at £12.21, and £6.80 + £5.63 of expenses, by month, champion and practice.
    assert!(
        claims.body.contains("2 h gifted, valued at £24.42"),
        "{}",
        claims.body
    );
    assert!(claims.body.contains("£12.43 of expenses"));
    assert!(claims.body.contains("2026-11") && claims.body.contains("Quayside Surgery"));
    let mine = dave.get("/champions/me/hours").await;
    assert!(mine
        .body
        .contains("Approved so far: 2 h given, £12.43 of expenses"));
}
