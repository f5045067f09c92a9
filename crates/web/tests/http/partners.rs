//! Community partners: organisations, venues, agreements and insurance kept by the PCN
//! administrator, and a partner user keeping their own organisation's details.

use crate::helpers::*;
use crate::on_both;
use reqwest::StatusCode;
use together_core::Role;

on_both!(partners_venues_agreements_and_a_partner_keeping_their_own_details);
async fn partners_venues_agreements_and_a_partner_keeping_their_own_details(db: Db) {
    let app = TestApp::spawn(db).await;
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let salvation = [
        ("name", "The Salvation Army, Harbourview"),
        ("partner_kind", "faith_group"),
        ("contact", "Captain Ruth Ellis"),
    ];
    let no_kind = admin
        .post("/partners", &[("name", "The Salvation Army, Harbourview")])
        .await;
    assert_eq!(no_kind.status, StatusCode::BAD_REQUEST);
    assert!(no_kind
        .body
        .contains("Choose what kind of organisation it is"));
    let added = admin.post("/partners", &salvation).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let page = added.location().to_owned();
    let again = admin.post("/partners", &salvation).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again
        .body
        .contains("There is a partner with this name already"));

    let bad = admin
        .post(
            &format!("{page}/venues"),
            &[
                ("venue_name", "Citadel hall"),
                ("address", "3 Dock Road"),
                ("postcode", "12345"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("Enter the postcode"));
    let venue = admin
        .post(
            &format!("{page}/venues"),
            &[
                ("venue_name", "Citadel hall"),
                ("address", "3 Dock Road, Harbourview"),
                ("postcode", "hv2 4dd"),
                ("accessibility", "Step-free, hearing loop"),
                ("capacity", "80"),
            ],
        )
        .await;
    assert_eq!(venue.status, StatusCode::SEE_OTHER, "{}", venue.body);
    // Today is 24 November 2026: the agreement's review on 10 December is within 30 days.
    let agreement = admin
        .post(
            &format!("{page}/documents"),
            &[
                ("kind", "agreement"),
                ("title", "Venue agreement"),
                ("from", "10/12/2025"),
                ("due", "10/12/2026"),
            ],
        )
        .await;
    assert_eq!(
        agreement.status,
        StatusCode::SEE_OTHER,
        "{}",
        agreement.body
    );
    let insurance = admin
        .post(
            "/partners/pcn/documents",
            &[
                ("kind", "insurance"),
                ("title", "Volunteer insurance"),
                ("reference", "VOL-2291"),
                ("from", "01/01/2026"),
                ("due", "01/01/2027"),
            ],
        )
        .await;
    assert_eq!(
        insurance.status,
        StatusCode::SEE_OTHER,
        "{}",
        insurance.body
    );
    let dashboard = admin.get("/champions/compliance").await;
    assert!(
        dashboard.body.contains("Venue agreement (review)"),
        "{}",
        dashboard.body
    );
    assert!(dashboard.body.contains("Volunteer insurance (insurance)"));
    assert!(dashboard.body.contains("The PCN"));

    // A champion's account cannot keep an organisation; a partner's can.
    let champion = app.users[&Role::Champion].0.to_string();
    let refused = admin
        .post(&format!("{page}/users"), &[("user_id", &champion)])
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("Only a community partner"));
    let partner_user = app.users[&Role::Partner].0.to_string();
    let linked = admin
        .post(&format!("{page}/users"), &[("user_id", &partner_user)])
        .await;
    assert_eq!(linked.status, StatusCode::SEE_OTHER);

    let mut partner = app.signed_in(Role::Partner).await;
    let mine = partner.get("/partners/mine").await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(mine.body.contains("Citadel hall") && mine.body.contains("HV2 4DD"));
    assert!(
        !mine.body.contains("VOL-2291"),
        "the PCN's insurance is not theirs to see"
    );
    let updated = partner
        .post(
            "/partners/mine",
            &[
                ("name", "The Salvation Army, Harbourview"),
                ("partner_kind", "faith_group"),
                ("contact", "Lieutenant Sam Okoro"),
                ("website", "https://example.org/harbourview"),
            ],
        )
        .await;
    assert_eq!(updated.status, StatusCode::SEE_OTHER, "{}", updated.body);
    let mine = partner.get("/partners/mine").await;
    assert!(mine.body.contains("Lieutenant Sam Okoro"));
    assert_eq!(partner.get("/partners").await.status, StatusCode::FORBIDDEN);
    assert_eq!(partner.get(&page).await.status, StatusCode::FORBIDDEN);
    let list = admin.get("/partners").await;
    assert!(list.body.contains("Lieutenant Sam Okoro"));

    // As many people to talk to as the organisation has, each reachable.
    let unreachable = admin
        .post(
            &format!("{page}/contacts"),
            &[("contact_name", "Captain Ruth Ellis")],
        )
        .await;
    assert_eq!(unreachable.status, StatusCode::BAD_REQUEST);
    assert!(unreachable
        .body
        .contains("Enter a phone number or an email address"));
    for (name, title, phone) in [
        ("Captain Ruth Ellis", "Corps officer", "07700 900601"),
        ("Mary Dunn", "Runs the lunch club", "07700 900602"),
    ] {
        let added = admin
            .post(
                &format!("{page}/contacts"),
                &[
                    ("contact_name", name),
                    ("contact_title", title),
                    ("contact_phone", phone),
                ],
            )
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    }
    let own = partner
        .post(
            "/partners/mine/contacts",
            &[
                ("contact_name", "Sam Okoro"),
                ("contact_email", "sam@example.org"),
            ],
        )
        .await;
    assert_eq!(own.status, StatusCode::SEE_OTHER, "{}", own.body);
    let mine = partner.get("/partners/mine").await;
    for seen in [
        "Captain Ruth Ellis</strong>, Corps officer",
        "Mary Dunn</strong>, Runs the lunch club",
        "sam@example.org",
    ] {
        assert!(mine.body.contains(seen), "{seen}");
    }
    let partner_id = page.trim_start_matches("/partners/");
    let contacts = app
        .store
        .partner_contacts(app.pcn, partner_id)
        .await
        .unwrap();
    assert_eq!(contacts.len(), 3);
    let removed = partner
        .post(
            &format!("/partners/mine/contacts/{}/remove", contacts[1].id),
            &[],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.store
            .partner_contacts(app.pcn, partner_id)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        partner
            .post(
                &format!("{page}/contacts"),
                &[("contact_name", "X"), ("contact_phone", "07700 900603")]
            )
            .await
            .status,
        StatusCode::FORBIDDEN,
        "a partner keeps only their own organisation's contacts"
    );
}

#[tokio::test]
async fn risk_assessments_of_roles_and_venues_come_due_and_champions_have_emergency_contacts() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    admin
        .post(
            "/champions/roles",
            &[
                ("name", "Home visit befriender"),
                ("description", "Visits people at home"),
                ("dbs_level", "enhanced_adults"),
                ("regulated_activity", "yes"),
            ],
        )
        .await;
    let role = app.store.champion_roles(app.pcn).await.unwrap()[0]
        .id
        .to_string();
    // Today is 24 November 2026.
    let late = admin
        .post(
            "/champions/roles/risk",
            &[
                ("role_id", &role),
                ("title", "Lone working on home visits"),
                ("from", "01/12/2026"),
                ("due", "01/12/2027"),
            ],
        )
        .await;
    assert_eq!(
        late.status,
        StatusCode::BAD_REQUEST,
        "assessed in the future"
    );
    let ok = admin
        .post(
            "/champions/roles/risk",
            &[
                ("role_id", &role),
                ("title", "Lone working on home visits"),
                ("from", "01/12/2025"),
                ("due", "20/11/2026"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    admin
        .post(
            "/partners/pcn/venues",
            &[
                ("venue_name", "Quayside Surgery community room"),
                ("address", "1 Quay Street"),
                ("postcode", "HV1 1AA"),
            ],
        )
        .await;
    let venue = app.store.venues(app.pcn).await.unwrap()[0].id.clone();
    let undated = admin
        .post(
            "/partners/risk",
            &[("venue_id", &venue), ("risk_title", "Fire safety")],
        )
        .await;
    assert_eq!(undated.status, StatusCode::BAD_REQUEST);
    assert!(
        undated.body.contains("href=\"#risk_from\""),
        "the error summary leads to the risk assessment's own field, not the agreement form's"
    );
    let risk = admin
        .post(
            "/partners/risk",
            &[
                ("venue_id", &venue),
                ("risk_title", "Fire safety and evacuation"),
                ("risk_from", "01/01/2026"),
                ("risk_due", "01/01/2027"),
            ],
        )
        .await;
    assert_eq!(risk.status, StatusCode::SEE_OTHER, "{}", risk.body);
    let dashboard = admin.get("/champions/compliance").await;
    assert!(dashboard
        .body
        .contains("Lone working on home visits (risk assessment review)"));
    assert!(dashboard.body.contains("Role: Home visit befriender"));
    assert!(dashboard
        .body
        .contains("Venue: Quayside Surgery community room"));

    let interest = together_core::champions::NewInterest {
        given_name: "Dave".into(),
        family_name: "Okafor".into(),
        phone: Some("07700 900123".into()),
        email: None,
        contact_preference: together_core::people::ContactPreference::Text,
        practice_id: None,
        interests: vec![],
        skills: "walking".into(),
        availability: vec![],
    };
    let id = app
        .store
        .record_interest(app.pcn, &interest, &audit(app.pcn))
        .await
        .unwrap();
    let missing = admin
        .post(
            &format!("/champions/{id}/emergency-contacts"),
            &[("contact_name", "Mary Okafor")],
        )
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert!(missing
        .body
        .contains("Enter a phone number to call them on"));
    let added = admin
        .post(
            &format!("/champions/{id}/emergency-contacts"),
            &[
                ("contact_name", "Mary Okafor"),
                ("relationship", "Wife"),
                ("contact_phone", "07700 900456"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let page = admin.get(&format!("/champions/{id}")).await;
    assert!(page.body.contains("Mary Okafor") && page.body.contains("07700 900456"));
}
