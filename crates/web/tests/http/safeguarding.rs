//! Safeguarding: anyone raises a concern in a minute; only the named lead reads it and
//! records the follow-up; the messages say that something was raised, never what.

use crate::helpers::*;
use crate::on_both;
use reqwest::StatusCode;
use together_core::Role;

const WHAT: &str = "Florence said her nephew has been taking her pension";

on_both!(a_concern_reaches_the_named_safeguarding_lead_and_no_one_else);
async fn a_concern_reaches_the_named_safeguarding_lead_and_no_one_else(db: Db) {
    let app = TestApp::spawn(db).await;
    let mut champion = app.signed_in(Role::Champion).await;
    let form = champion.get("/safeguarding/raise").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("Call 999"));
    let empty = champion
        .post("/safeguarding/raise", &[("kind", "safeguarding")])
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert!(empty.body.contains("Say what happened"));
    let sent = champion
        .post(
            "/safeguarding/raise",
            &[
                ("kind", "safeguarding"),
                ("what", WHAT),
                ("who", "Florence"),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    assert!(
        sent.body.contains("asked to name the safeguarding lead"),
        "no lead yet, and the page says so: {}",
        sent.body
    );

    // No lead yet: the administrators are asked to name one, and are not told what was said.
    let messages = app.store.messages(Some(app.pcn), 20).await.unwrap();
    let asked = messages
        .iter()
        .find(|m| m.recipient == "pcn-admin@harbourview.example")
        .expect("the administrator is told");
    assert!(asked.body.contains("no safeguarding lead named"));
    assert!(messages.iter().all(|m| !m.body.contains("pension")));
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let page = admin.get("/safeguarding").await;
    assert!(page.body.contains("No safeguarding lead is named"));
    assert!(!page.body.contains("pension"));
    let audit = audit(app.pcn);
    let id = app.store.concerns(app.pcn, &audit).await.unwrap()[0]
        .id
        .clone();
    assert_eq!(
        admin.get(&format!("/safeguarding/{id}")).await.status,
        StatusCode::NOT_FOUND,
        "not the lead: there is nothing to see"
    );

    // The administrator names the GP as lead; only the GP reads it.
    let gp = app.users[&Role::Clinician].0.to_string();
    let named = admin.post("/safeguarding/lead", &[("user_id", &gp)]).await;
    assert_eq!(named.status, StatusCode::SEE_OTHER, "{}", named.body);
    let champion_id = app.users[&Role::Champion].0.to_string();
    let refused = admin
        .post("/safeguarding/lead", &[("user_id", &champion_id)])
        .await;
    assert_eq!(
        refused.status,
        StatusCode::BAD_REQUEST,
        "a champion cannot be the lead"
    );
    let mut lead = app.signed_in(Role::Clinician).await;
    let list = lead.get("/safeguarding").await;
    assert!(list.body.contains(&format!("/safeguarding/{id}")));
    let concern = lead.get(&format!("/safeguarding/{id}")).await;
    assert_eq!(concern.status, StatusCode::OK);
    assert!(concern.body.contains("nephew has been taking her pension"));
    assert!(
        concern.body.contains("Test Health champion"),
        "who raised it"
    );
    let empty = lead
        .post(&format!("/safeguarding/{id}/follow-up"), &[("note", " ")])
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    let closed = lead
        .post(
            &format!("/safeguarding/{id}/follow-up"),
            &[
                (
                    "note",
                    "Referred to the council's adult safeguarding team today",
                ),
                ("close", "yes"),
            ],
        )
        .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER);
    let concern = lead.get(&format!("/safeguarding/{id}")).await;
    assert!(concern.body.contains("Referred to the council"));
    assert!(concern.body.contains("Closed"));
    assert_eq!(
        admin.get(&format!("/safeguarding/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        champion.get("/safeguarding").await.status,
        StatusCode::FORBIDDEN
    );

    // With a lead named, a new concern goes to them alone.
    let mut partner = app.signed_in(Role::Partner).await;
    let sent = partner
        .post(
            "/safeguarding/raise",
            &[
                ("kind", "accident"),
                ("what", "A walker tripped on the towpath"),
            ],
        )
        .await;
    assert!(sent
        .body
        .contains("It has gone to the PCN's safeguarding lead"));
    let messages = app.store.messages(Some(app.pcn), 20).await.unwrap();
    let to_lead: Vec<_> = messages
        .iter()
        .filter(|m| m.subject == "Accident raised")
        .collect();
    assert_eq!(to_lead.len(), 1);
    assert_eq!(to_lead[0].recipient, "clinician@harbourview.example");
    assert!(!to_lead[0].body.contains("towpath"));
    let events = app
        .store
        .audit_events(app.pcn, &together_store::AuditFilter::default())
        .await
        .unwrap();
    assert!(events.iter().any(|e| e.action == "view_concern"));
}
