//! Referrals over HTTP: a referral is recorded on the person's record, accepted or declined once
//! and never before it arrived; the practice's own clinicians download what to code in the GP
//! record (CSV and a FHIR R4 bundle), which follows the coding rules exactly — the referral
//! concept only when accepted, the declined concept when declined, nothing while received, and
//! no connection ever — and nobody else can.

use crate::helpers::*;
use crate::on_both;
use reqwest::StatusCode;
use together_core::Role;

on_both!(the_practice_codes_accepted_and_declined_referrals_and_nothing_else);
async fn the_practice_codes_accepted_and_declined_referrals_and_nothing_else(db: Db) {
    let app = TestApp::spawn(db).await;
    let florence = app.add_person(0, "Florence").await;
    let mabel = app.add_person(0, "Mabel").await;
    let walter = app.add_person(0, "Walter").await;
    let elsewhere = app.add_person(1, "Edith").await;
    let mut gp = app.signed_in(Role::Clinician).await;
    let mut admin = app.signed_in(Role::PcnAdmin).await;

    // Recording one: who referred them is needed, and nothing is kept without it.
    let res = gp
        .post(
            &format!("/people/{florence}/referrals"),
            &[("referrer", "")],
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("Enter who referred them"), "{}", res.body);
    let refer = |person, referrer: &'static str| {
        let path = format!("/people/{person}/referrals");
        (
            path,
            [
                ("referrer", referrer),
                ("received_on", "20/11/2026"),
                ("reason", "Lonely; would like to get out more"),
            ],
        )
    };
    for (person, referrer) in [
        (florence, "Dr Okafor"),
        (mabel, "=HYPERLINK(\"http://x\")"),
        (walter, "Nurse Patel"),
    ] {
        let (path, fields) = refer(person, referrer);
        let res = gp.post(&path, &fields).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    }
    let (path, fields) = refer(elsewhere, "Dr Lee");
    assert_eq!(
        admin.post(&path, &fields).await.status,
        StatusCode::SEE_OTHER
    );

    // Deciding: not before it arrived, and only once.
    let pending = |body: &str| {
        body.split("action=\"/referrals/")
            .nth(1)
            .and_then(|s| s.split('/').next())
            .unwrap()
            .to_owned()
    };
    let page = gp.get(&format!("/people/{florence}")).await;
    assert!(
        page.body.contains("Referrals to social prescribing") && page.body.contains("Dr Okafor")
    );
    let florences = format!("/referrals/{}/decision", pending(&page.body));
    let early = gp
        .post(
            &florences,
            &[("decision", "accepted"), ("decided_on", "19/11/2026")],
        )
        .await;
    assert_eq!(early.status, StatusCode::BAD_REQUEST);
    assert!(early.body.contains("before the referral was received"));
    assert_eq!(
        gp.post(&florences, &[("decision", "accepted")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let twice = gp.post(&florences, &[("decision", "declined")]).await;
    assert_eq!(twice.status, StatusCode::BAD_REQUEST);
    assert!(twice.body.contains("decided already"));
    let page = gp.get(&format!("/people/{mabel}")).await;
    let mabels = format!("/referrals/{}/decision", pending(&page.body));
    assert_eq!(
        gp.post(&mabels, &[("decision", "declined")]).await.status,
        StatusCode::SEE_OTHER
    );
    let page = admin.get(&format!("/people/{elsewhere}")).await;
    let ediths = format!("/referrals/{}/decision", pending(&page.body));
    assert_eq!(
        admin
            .post(&ediths, &[("decision", "accepted")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    // Walter's stays received; Florence also has a connection, which is never coded.
    let offer = together_core::offers::OfferForm::from_fields(
        &[
            ("name", "Chair yoga"),
            ("description", "Gentle yoga, seated."),
            ("offer_kind", "group"),
            ("offer_status", "active"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    )
    .parse()
    .unwrap();
    let offer = app
        .store
        .add_offer(app.pcn, &offer, &audit(app.pcn))
        .await
        .unwrap();
    let res = gp
        .post(
            &format!("/people/{florence}/connections"),
            &[
                ("to", &format!("service:{offer}")),
                ("source", "clinician_suggestion"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);

    // The CSV: one row each for Florence (accepted) and Mabel (declined), nothing else.
    let csv = gp.get("/referrals/coding.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let rows: Vec<&str> = csv.body.lines().collect();
    assert_eq!(
        rows[0],
        "referral_id,given_name,family_name,date_of_birth,snomed_code,snomed_term,date,referrer"
    );
    assert_eq!(rows.len(), 3, "{}", csv.body);
    let florence_row = rows.iter().find(|r| r.contains(",Florence,")).unwrap();
    assert!(florence_row.contains(",Ashworth,1933-03-27,871731000000106,Referral to social prescribing service,2026-11-24,Dr Okafor"), "{florence_row}");
    let mabel_row = rows.iter().find(|r| r.contains(",Mabel,")).unwrap();
    assert!(
        mabel_row.contains(",871711000000103,Social prescribing declined,"),
        "{mabel_row}"
    );
    assert!(
        mabel_row.contains("'=HYPERLINK"),
        "a formula is turned into text: {mabel_row}"
    );
    assert!(
        !csv.body.contains("Walter")
            && !csv.body.contains("Edith")
            && !csv.body.contains("Chair yoga")
    );

    // The FHIR bundle says the same: a ServiceRequest and a Task for each.
    let fhir = gp.get("/referrals/coding.json").await;
    assert_eq!(fhir.status, StatusCode::OK);
    let bundle: serde_json::Value = serde_json::from_str(&fhir.body).unwrap();
    assert_eq!(
        (bundle["resourceType"].as_str(), bundle["type"].as_str()),
        (Some("Bundle"), Some("collection"))
    );
    let entries = bundle["entry"].as_array().unwrap();
    assert_eq!(entries.len(), 4);
    let requests: Vec<&serde_json::Value> = entries
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == "ServiceRequest")
        .collect();
    let coded = |status: &str| {
        requests.iter().find(|r| r["status"] == status).map(|r| {
            (
                r["code"]["coding"][0]["system"].as_str().unwrap(),
                r["code"]["coding"][0]["code"].as_str().unwrap(),
            )
        })
    };
    assert_eq!(
        coded("active"),
        Some(("http://snomed.info/sct", "871731000000106"))
    );
    assert_eq!(
        coded("revoked"),
        Some(("http://snomed.info/sct", "871711000000103"))
    );
    let tasks: Vec<&str> = entries
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == "Task")
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(tasks.len(), 2);
    assert!(tasks.contains(&"accepted") && tasks.contains(&"rejected"));

    // The summary letter for the GP: what became of each, and for Florence what it led to.
    let letter_of = |body: &str| {
        body.split("href=\"/referrals/")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .map(|s| format!("/referrals/{s}"))
            .unwrap()
    };
    let florences_letter = letter_of(&gp.get(&format!("/people/{florence}")).await.body);
    let letter = gp.get(&florences_letter).await;
    assert_eq!(letter.status, StatusCode::OK, "{}", letter.body);
    for said in [
        "Re: Florence Ashworth, born 27 March 1933",
        "Thank you for referring Florence to Harbourview PCN social prescribing on 20 November 2026",
        "We accepted the referral on 24 November 2026.",
        "connected to Chair yoga: suggested.",
        "SNOMED CT 871731000000106",
    ] {
        assert!(letter.body.contains(said), "{said}: {}", letter.body);
    }
    let mabels = letter_of(&gp.get(&format!("/people/{mabel}")).await.body);
    let mabels_letter = gp.get(&mabels).await;
    assert!(mabels_letter
        .body
        .contains("not able to take the referral on"));
    assert!(
        mabels_letter.body.contains("871711000000103")
            && !mabels_letter.body.contains("Chair yoga")
    );
    let walters = letter_of(&gp.get(&format!("/people/{walter}")).await.body);
    let walters_letter = gp.get(&walters).await;
    assert!(walters_letter
        .body
        .contains("will be in touch with Walter soon"));
    assert!(
        !walters_letter.body.contains("SNOMED"),
        "nothing to code while received"
    );
    // Only someone who looks after Florence writes to her GP about her: not a link worker
    // without her on their caseload, nor a champion.
    let mut lw = app.signed_in(Role::LinkWorker).await;
    assert_eq!(
        lw.get(&florences_letter).await.status,
        StatusCode::NOT_FOUND
    );
    let mut champion = app.signed_in(Role::Champion).await;
    assert_eq!(
        champion.get(&florences_letter).await.status,
        StatusCode::FORBIDDEN
    );

    // Nobody but the practice's clinicians downloads it.
    for role in [
        Role::PcnAdmin,
        Role::LinkWorker,
        Role::Champion,
        Role::Analyst,
        Role::Partner,
    ] {
        let mut c = app.signed_in(role).await;
        assert_eq!(
            c.get("/referrals/coding.csv").await.status,
            StatusCode::FORBIDDEN,
            "{role}"
        );
        assert_eq!(
            c.get("/referrals/coding.json").await.status,
            StatusCode::FORBIDDEN,
            "{role}"
        );
    }
}
