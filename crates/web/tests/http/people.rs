//! People: adding, finding, opening (audited), break-glass, consent, and who viewed a record.

use crate::helpers::*;
use crate::on_both;
use reqwest::StatusCode;
use together_core::Role;
use together_store::AuditFilter;

on_both!(a_link_worker_adds_a_person_who_joins_their_caseload);
async fn a_link_worker_adds_a_person_who_joins_their_caseload(db: Db) {
    let app = TestApp::spawn(db).await;
    let mut lw = app.signed_in(Role::LinkWorker).await;
    let bad = lw
        .post(
            "/people",
            &[
                ("given_name", ""),
                ("family_name", "Ashworth"),
                ("date_of_birth", "31/02/1950"),
                ("practice_id", &app.practices[0].to_string()),
                ("contact_preference", "phone"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.body.contains("Enter the person&#39;s first name"),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("Enter the date of birth"));
    let res = lw
        .post(
            "/people",
            &[
                ("given_name", "Florence"),
                ("family_name", "Ashworth"),
                ("date_of_birth", "27/03/1933"),
                ("practice_id", &app.practices[1].to_string()),
                ("contact_preference", "phone"),
                ("phone", "07700 900982"),
                ("email", ""),
                ("nhs_number", "999 000 0018"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = lw.get(res.location()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Florence Ashworth")
            && page.body.contains("Yes, through their NHS number")
    );
    assert!(
        !page.body.contains("9990000018") && !page.body.contains("999 000 0018"),
        "the NHS number is never shown or kept"
    );
    let found = lw.get("/people?q=ashw").await;
    assert!(found.body.contains("Florence Ashworth"));
}

#[tokio::test]
async fn an_empty_form_is_answered_with_what_is_missing() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let mut lw = app.signed_in(Role::LinkWorker).await;
    let res = lw.post("/people", &[]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    for msg in [
        "Enter the person&#39;s first name",
        "Enter the date of birth",
        "Choose how they like to be contacted",
    ] {
        assert!(res.body.contains(msg), "missing '{msg}'");
    }
    let unreadable = lw.post("/account/password", &[]).await;
    assert_eq!(unreadable.status, StatusCode::BAD_REQUEST);
    assert!(
        unreadable.body.contains("Go back and try again")
            && unreadable.body.contains("nhsuk-header"),
        "rendered as a page"
    );
}

on_both!(every_read_is_audited_and_listed_under_who_viewed);
async fn every_read_is_audited_and_listed_under_who_viewed(db: Db) {
    let app = TestApp::spawn(db).await;
    let id = app.add_person(0, "Florence").await;
    let mut gp = app.signed_in(Role::Clinician).await;
    assert_eq!(
        gp.get(&format!("/people/{id}")).await.status,
        StatusCode::OK
    );
    let events = app
        .store
        .audit_events(
            app.pcn,
            &AuditFilter {
                resource_type: Some("person".into()),
                resource_id: Some(id.to_string()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let gp_id = app.users[&Role::Clinician].0;
    let view = events
        .iter()
        .find(|e| e.action == "view_person")
        .expect("the read is audited");
    assert_eq!(
        (
            view.actor.as_str(),
            view.role.as_str(),
            view.outcome.as_str()
        ),
        (format!("user:{gp_id}").as_str(), "clinician", "allowed")
    );
    assert!(view.request_id.is_some() && view.ip.as_deref() == Some("127.0.0.1"));

    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let who = admin.get(&format!("/people/{id}/access")).await;
    assert_eq!(who.status, StatusCode::OK);
    assert!(who.body.contains("Test Clinician") && who.body.contains("view person"));
    assert!(
        !who.body.contains("Florence"),
        "the access log names the viewer, never the person"
    );
}

on_both!(clinicians_reach_only_their_own_practices_people);
async fn clinicians_reach_only_their_own_practices_people(db: Db) {
    let app = TestApp::spawn(db).await;
    let mine = app.add_person(0, "Mabel").await;
    let theirs = app.add_person(1, "Harold").await;
    let mut gp = app.signed_in(Role::Clinician).await;
    assert_eq!(
        gp.get(&format!("/people/{mine}")).await.status,
        StatusCode::OK
    );
    let other = gp.get(&format!("/people/{theirs}")).await;
    assert_eq!(
        other.status,
        StatusCode::NOT_FOUND,
        "another practice's person looks like no one"
    );
    assert!(!other.body.contains("Harold"));
    let search = gp.get("/people?q=ashworth").await;
    assert!(search.body.contains("Mabel") && !search.body.contains("Harold"));
    let denied = app
        .store
        .audit_events(
            app.pcn,
            &AuditFilter {
                resource_id: Some(theirs.to_string()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(
        denied.iter().any(|e| e.outcome == "denied"),
        "the refused attempt is audited"
    );
}

#[tokio::test]
async fn link_workers_break_glass_with_a_reason_that_is_audited_and_reported() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let id = app.add_person(0, "Elsie").await;
    let mut lw = app.signed_in(Role::LinkWorker).await;
    let ask = lw.get(&format!("/people/{id}")).await;
    assert_eq!(ask.status, StatusCode::OK);
    assert!(ask.body.contains("not on your caseload") && !ask.body.contains("Elsie"));
    // An id that is nobody's gets the same page: it does not tell which ids are people.
    let unknown = together_core::PersonId::new().to_string();
    let nobody = lw.get(&format!("/people/{unknown}")).await;
    assert_eq!(nobody.status, ask.status);
    let page = |body: &str, id: &str| {
        body.replace(id, "ID")
            .lines()
            .filter(|l| !l.contains("csrf"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        page(&nobody.body, &unknown),
        page(&ask.body, &id.to_string()),
        "the same page for an unknown id and one outside the caseload"
    );
    let short = lw
        .post(&format!("/people/{id}/open"), &[("reason", "because")])
        .await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    let open = lw
        .post(
            &format!("/people/{id}/open"),
            &[("reason", "Referral received from Dr Okafor today")],
        )
        .await;
    assert_eq!(open.status, StatusCode::OK);
    assert!(open.body.contains("Elsie Ashworth"));
    let events = app
        .store
        .audit_events(
            app.pcn,
            &AuditFilter {
                resource_id: Some(id.to_string()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let glass = events
        .iter()
        .find(|e| e.outcome == "break_glass")
        .expect("break-glass read audited");
    assert_eq!(
        glass.reason.as_deref(),
        Some("Referral received from Dr Okafor today")
    );
    let alert = app.store.messages(Some(app.pcn), 10).await.unwrap();
    assert!(alert
        .iter()
        .any(|m| m.recipient == app.users[&Role::PcnAdmin].1
            && m.subject.contains("outside a caseload")
            && !m.body.contains("Elsie")));
}

#[tokio::test]
async fn consent_is_recorded_and_withdrawn_in_one_action() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let id = app.add_person(0, "Grace").await;
    let mut gp = app.signed_in(Role::Clinician).await;
    for purpose in ["contact", "share_with_champions"] {
        let r = gp
            .post(
                &format!("/people/{id}/consents"),
                &[("purpose", purpose), ("method", "verbal")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    assert!(app
        .store
        .consents(id)
        .await
        .unwrap()
        .iter()
        .all(|c| c.withdrawn_at.is_none()));
    gp.post(&format!("/people/{id}/consents/withdraw"), &[])
        .await;
    let consents = app.store.consents(id).await.unwrap();
    assert_eq!(consents.len(), 2);
    assert!(consents.iter().all(|c| c.withdrawn_at.is_some()));
    assert!(gp
        .get(&format!("/people/{id}"))
        .await
        .body
        .contains("Withdrawn"));
}

on_both!(a_person_is_kept_up_to_date_given_a_buddy_and_merged_by_the_coordinator);
async fn a_person_is_kept_up_to_date_given_a_buddy_and_merged_by_the_coordinator(db: Db) {
    use together_core::people::{ConsentMethod, ConsentPurpose};
    let app = TestApp::spawn(db).await;
    let florence = app.add_person(0, "Florence").await;
    let mut gp = app.signed_in(Role::Clinician).await;
    let form = gp.get(&format!("/people/{florence}/edit")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("Save their details") && form.body.contains("value=\"Florence\""));
    let details = |practice: usize, nhs: &'static str| {
        vec![
            ("given_name", "Florence".to_owned()),
            ("family_name", "Ashworth".to_owned()),
            ("date_of_birth", "27/03/1933".to_owned()),
            ("practice_id", app.practices[practice].to_string()),
            ("contact_preference", "text".to_owned()),
            ("phone", "07700 900111".to_owned()),
            (
                "what_matters",
                "Singing again, and company on Tuesdays".to_owned(),
            ),
            ("nhs_number", nhs.to_owned()),
        ]
    };
    // A clinician keeps people at their own practice; a wrong NHS number is said so.
    for (fields, said) in [
        (details(1, ""), "at your own practice only"),
        (details(0, "999 000 0019"), "Check the NHS number"),
    ] {
        let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = gp.post(&format!("/people/{florence}/edit"), &f).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
        assert!(res.body.contains(said), "{said}: {}", res.body);
    }
    let f = details(0, "999 000 0018");
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let saved = gp.post(&format!("/people/{florence}/edit"), &f).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let page = gp.get(&format!("/people/{florence}")).await;
    assert!(page.body.contains("Singing again, and company on Tuesdays"));
    assert!(page.body.contains("Yes, through their NHS number"));
    assert!(page.body.contains("Text message") && page.body.contains("07700 900111"));

    // A buddy: someone else the practice supports, who agreed to the team asking them.
    let arthur = app.add_person(0, "Arthur").await;
    let mabel = app.add_person(0, "Mabel").await;
    app.store
        .add_consent(
            arthur,
            ConsentPurpose::Contact,
            ConsentMethod::Verbal,
            app.users[&Role::Clinician].0,
            &audit(app.pcn),
        )
        .await
        .unwrap();
    let choose = gp
        .get(&format!("/people/{florence}/buddy?q=ashworth"))
        .await;
    assert_eq!(choose.status, StatusCode::OK);
    assert!(
        choose.body.contains("Arthur Ashworth, born")
            && choose.body.contains("Mabel Ashworth, born")
    );
    assert!(
        !choose.body.contains("Florence Ashworth, born"),
        "never their own buddy"
    );
    let refused = gp
        .post(
            &format!("/people/{florence}/buddy"),
            &[
                ("q", "ashworth"),
                ("chosen", &mabel.to_string()),
                ("source", "themselves"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused
        .body
        .contains("have not agreed to the team contacting them"));
    let made = gp
        .post(
            &format!("/people/{florence}/buddy"),
            &[
                ("q", "ashworth"),
                ("chosen", &arthur.to_string()),
                ("source", "themselves"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    assert!(made.location().starts_with("/connections/"));
    assert!(gp
        .get(&format!("/people/{florence}"))
        .await
        .body
        .contains("Arthur Ashworth"));

    // Only the coordinator merges; a merged record's address leads to the one kept, and its
    // trail is shown with it.
    assert_eq!(
        gp.get(&format!("/people/{florence}/merge")).await.status,
        StatusCode::FORBIDDEN
    );
    let flo = app.add_person(0, "Flo").await;
    let mut coordinator = app.signed_in(Role::PcnAdmin).await;
    assert_eq!(
        coordinator.get(&format!("/people/{flo}")).await.status,
        StatusCode::OK
    );
    let buddy_refused = coordinator
        .post(
            &format!("/people/{florence}/merge"),
            &[("q", "ashworth"), ("chosen", &arthur.to_string())],
        )
        .await;
    assert_eq!(buddy_refused.status, StatusCode::BAD_REQUEST);
    assert!(buddy_refused.body.contains("as a buddy"));
    let merged = coordinator
        .post(
            &format!("/people/{florence}/merge"),
            &[("q", "ashworth"), ("chosen", &flo.to_string())],
        )
        .await;
    assert_eq!(merged.status, StatusCode::SEE_OTHER, "{}", merged.body);
    let old = coordinator.get(&format!("/people/{flo}")).await;
    assert_eq!(old.status, StatusCode::SEE_OTHER);
    assert_eq!(old.location(), format!("/people/{florence}"));
    let trail = coordinator.get(&format!("/people/{florence}/access")).await;
    assert!(
        trail.body.contains(&format!("person {flo}")) && trail.body.contains("merge people"),
        "{}",
        trail.body
    );
    let search = coordinator.get("/people?q=flo").await;
    assert!(search.body.contains("Florence Ashworth") && !search.body.contains("Flo Ashworth"));
}

on_both!(the_coordinator_gives_someone_everything_held_about_them_then_erases_it);
async fn the_coordinator_gives_someone_everything_held_about_them_then_erases_it(db: Db) {
    let app = TestApp::spawn(db).await;
    let florence = app.add_person(0, "Florence").await;
    let mut gp = app.signed_in(Role::Clinician).await;
    gp.get(&format!("/people/{florence}")).await;
    // Only the coordinator answers a subject access request or erases.
    for path in ["subject-access.json", "subject-access.csv"] {
        assert_eq!(
            gp.get(&format!("/people/{florence}/{path}")).await.status,
            StatusCode::FORBIDDEN
        );
    }
    let mut coordinator = app.signed_in(Role::PcnAdmin).await;
    let json = coordinator
        .get(&format!("/people/{florence}/subject-access.json"))
        .await;
    assert_eq!(json.status, StatusCode::OK);
    assert_eq!(json.headers["cache-control"], "no-store");
    let doc: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(doc["person"][0]["given_name"], "Florence");
    let viewers: Vec<&str> = doc["audit_event"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        viewers.contains(&"view_person"),
        "who viewed her record: {viewers:?}"
    );
    let csv = coordinator
        .get(&format!("/people/{florence}/subject-access.csv"))
        .await;
    assert!(
        csv.body.starts_with("table,row,column,value")
            && csv.body.contains("person,1,given_name,Florence")
    );

    let unconfirmed = coordinator
        .post(&format!("/people/{florence}/erase"), &[])
        .await;
    assert_eq!(unconfirmed.status, StatusCode::BAD_REQUEST);
    assert!(unconfirmed.body.contains("Tick the box to confirm"));
    let erased = coordinator
        .post(&format!("/people/{florence}/erase"), &[("confirm", "yes")])
        .await;
    assert_eq!(erased.status, StatusCode::SEE_OTHER);
    let page = coordinator.get(&format!("/people/{florence}")).await;
    assert!(page.body.contains("Erased") && !page.body.contains("07700 900982"));
    assert!(!coordinator
        .get("/people?q=ashworth")
        .await
        .body
        .contains(&florence.to_string()));
}

on_both!(the_coordinator_imports_the_spreadsheet_of_people_from_the_web);
async fn the_coordinator_imports_the_spreadsheet_of_people_from_the_web(db: Db) {
    let app = TestApp::spawn(db).await;
    let header = "First name,Surname,DOB,Practice code,contact_preference,phone,NHS No,consent_contact,consent_method\n";
    // Nobody but the coordinator brings in many records at once.
    let mut lw = app.signed_in(Role::LinkWorker).await;
    assert_eq!(lw.get("/people/import").await.status, StatusCode::FORBIDDEN);
    assert!(!lw.get("/people").await.body.contains("/people/import"));
    let refused = lw
        .post_csv(
            "/people/import",
            &format!("{header}Florence,Ashworth,27/03/1933,B99001,phone,07700 900982,,,\n"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let mut admin = app.signed_in(Role::PcnAdmin).await;
    assert!(admin.get("/people").await.body.contains("/people/import"));
    let page = admin.get("/people/import").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Import people"));
    let none = admin.post_csv("/people/import", "").await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST);
    assert!(none.body.contains("Choose the CSV file to import"));
    let unknown = admin
        .post_csv("/people/import", "name,phone\nDave,07700 900123\n")
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(
        unknown.body.contains("Nothing was imported"),
        "{}",
        unknown.body
    );

    // One good row and two bad ones: nothing comes in, each problem named by line and column.
    let bad = format!(
        "{header}Florence,Ashworth,27/03/1933,B99001,phone,07700 900982,999 000 0018,yes,verbal\n\
         Mabel,Price,01/02/1950,B99001,letter,,999 000 0019,,\n\
         Arthur,Hale,1/4/1948,Q99999,letter,,,,\n"
    );
    let res = admin.post_csv("/people/import", &bad).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert!(res.body.contains("Nothing was imported"));
    assert!(
        res.body.contains("<td>3</td><td>nhs_number</td>"),
        "{}",
        res.body
    );
    assert!(
        res.body.contains("<td>4</td><td>practice</td>"),
        "{}",
        res.body
    );
    assert!(
        !res.body.contains("999 000 001"),
        "no NHS number shown back"
    );
    let a = audit(app.pcn);
    assert!(app
        .store
        .find_people(app.pcn, None, "Ashworth", &a)
        .await
        .unwrap()
        .is_empty());

    let good = format!(
        "{header}Florence,Ashworth,27/03/1933,B99001,phone,07700 900982,999 000 0018,yes,verbal\n\
         Arthur,Hale,1/4/1948,B99002,letter,,,,\n"
    );
    for expect in [
        "Imported 2 people; 0 already there",
        "Imported 0 people; 2 already there",
    ] {
        let res = admin.post_csv("/people/import", &good).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(res.body.contains(expect), "{expect}: {}", res.body);
    }
    // Florence's NHS number is kept only as its pseudonym, which links her to the appointment
    // data; she agreed to be contacted.
    let found = app
        .store
        .find_people(app.pcn, None, "Ashworth", &a)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let florence = app
        .store
        .read_person(app.pcn, found[0].id, &a)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        florence.pseudonym,
        Some(
            together_core::PseudonymKey::new(1, vec![7u8; 32])
                .unwrap()
                .pseudonymise(&"9990000018".parse().unwrap())
        )
    );
    let record = admin.get(&format!("/people/{}", florence.id)).await;
    assert_eq!(record.status, StatusCode::OK);
    assert!(
        !record.body.contains("Nothing recorded yet."),
        "her consent came in with her: {}",
        record.body
    );
}
