//! "Did it help?" over HTTP: the page, the downloads and the API answer for the staff and the
//! analysts, counts disclosed for everyone but analysts, and each says what it could not work
//! out rather than printing a number; the PCN lead enters the programme's costs and unit costs,
//! mistakes explained where they were typed.

use crate::helpers::*;
use crate::on_both;
use reqwest::StatusCode;
use together_core::Role;

on_both!(the_impact_page_and_its_downloads_say_what_they_cannot_work_out);
async fn the_impact_page_and_its_downloads_say_what_they_cannot_work_out(db: Db) {
    let app = TestApp::spawn(db).await;
    let mut analyst = app.signed_in(Role::Analyst).await;
    let page = analyst.get("/impact").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Did it help?"));
    assert!(
        page.body
            .contains("No one has been connected in what was chosen"),
        "{}",
        page.body
    );
    assert!(page.body.contains("No savings: without an estimate"));
    assert!(
        !page.body.contains("Counts from 1 to 7") && page.body.contains("Not for sharing"),
        "analysts see exact figures, marked not for sharing"
    );

    let mut lead = app.signed_in(Role::PcnAdmin).await;
    let shown = lead.get("/impact").await;
    assert!(
        shown.body.contains("Counts from 1 to 7 are not shown"),
        "everyone else: disclosed"
    );
    assert!(
        shown.body.contains("href=\"/impact/costs\""),
        "the lead can enter costs"
    );

    let csv = analyst.get("/impact/report.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(
        csv.body.starts_with(
            "section,group,measure,value,low,high\ndisclosure,,\"Counts from 1 to 7 are not shown"
        ),
        "a download is for sharing: disclosed, the analyst's too: {}",
        csv.body
    );
    assert!(csv
        .body
        .contains("not worked out,All connected,\"No one has been connected"));
    let html = analyst.get("/impact/report.html").await;
    assert!(html.headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("impact-report.html"));
    assert!(html.body.contains("<h1>Did it help?</h1>") && !html.body.contains("<script"));
    assert!(
        html.body.contains("Counts from 1 to 7 are not shown")
            && !html.body.contains("Not for sharing"),
        "the report to share is disclosed, the analyst's too"
    );

    let mut api = app.client();
    api.bearer = Some(app.api_token(Role::Analyst).await);
    let json = api.get("/api/v1/impact").await;
    assert_eq!(json.status, StatusCode::OK);
    let r: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(
        r["overall"]["counts"]["connected"],
        serde_json::json!({"kind": "exact", "value": 0})
    );
    assert_eq!(
        r["money"]["gp_unit"]["pence"], 4500,
        "the shipped default, with its source"
    );
    assert!(r["money"]["gp_unit"]["source"]
        .as_str()
        .unwrap()
        .contains("PSSRU"));
    let trail = app
        .store
        .audit_events(app.pcn, &together_store::AuditFilter::default())
        .await
        .unwrap();
    assert!(
        trail.iter().any(|e| e.action == "view_impact"),
        "every read is audited"
    );
}

on_both!(the_pcn_lead_enters_the_programmes_costs_and_unit_costs);
async fn the_pcn_lead_enters_the_programmes_costs_and_unit_costs(db: Db) {
    let app = TestApp::spawn(db).await;
    let mut lead = app.signed_in(Role::PcnAdmin).await;
    let page = lead.get("/impact/costs").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("None yet."));
    let wrong = lead
        .post(
            "/impact/costs",
            &[
                ("category", "venues"),
                ("description", "Church hall"),
                ("from", "1/4/2025"),
                ("to", "1/3/2025"),
                ("amount", "lots"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(wrong
        .body
        .contains("The last day must be on or after the first"));
    assert!(wrong.body.contains("Enter the amount in pounds"));
    assert!(
        wrong.body.contains("value=\"Church hall\""),
        "what was typed is kept"
    );
    let added = lead
        .post(
            "/impact/costs",
            &[
                ("category", "venues"),
                ("description", "Church hall hire"),
                ("from", "1/4/2025"),
                ("to", "31/3/2026"),
                ("amount", "1,800"),
            ],
        )
        .await;
    assert_eq!(added.location(), "/impact/costs");
    let listed = lead.get("/impact/costs").await;
    assert!(listed.body.contains("Church hall hire") && listed.body.contains("£1,800.00"));
    let id = listed
        .body
        .split("/impact/costs/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();

    // Unit costs: a figure needs its source; a blank one is "not set", and the report says so.
    let unsourced = lead
        .post(
            "/impact/unit-costs",
            &[
                ("gp_pounds", "52"),
                ("gp_source", ""),
                ("ae_pounds", "130"),
                ("ae_source", "Our trust, 2025/26"),
            ],
        )
        .await;
    assert_eq!(unsourced.status, StatusCode::BAD_REQUEST);
    assert!(unsourced.body.contains("Say where the figure comes from"));
    let cleared = lead
        .post(
            "/impact/unit-costs",
            &[
                ("gp_pounds", ""),
                ("gp_source", ""),
                ("ae_pounds", "130"),
                ("ae_source", "Our trust, 2025/26"),
            ],
        )
        .await;
    assert_eq!(cleared.location(), "/impact/costs");
    let mut analyst = app.client();
    analyst.bearer = Some(app.api_token(Role::Analyst).await);
    let r: serde_json::Value =
        serde_json::from_str(&analyst.get("/api/v1/impact").await.body).unwrap();
    assert_eq!(r["money"]["gp_unit"]["pence"], serde_json::Value::Null);
    assert_eq!(r["money"]["ae_unit"]["pence"], 13000);
    assert_eq!(r["money"]["total_cost_pence"], 180_000);

    // How it is evaluated: each mistake explained; saved, every report uses and states it.
    let settings = |before: &'static str| {
        [
            ("before_days", before),
            ("after_days", "182"),
            ("matches", "5"),
            ("caliper", "0.25"),
            ("resamples", "500"),
            ("seed", "7"),
            ("frequent_per_year", "10"),
        ]
    };
    let bad = lead.post("/impact/settings", &settings("ten")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("Enter the days before, from 30 to 1830"));
    let saved = lead.post("/impact/settings", &settings("365")).await;
    assert_eq!(saved.location(), "/impact/costs");
    let r: serde_json::Value =
        serde_json::from_str(&analyst.get("/api/v1/impact").await.body).unwrap();
    assert_eq!(r["settings"]["after_days"], 182);
    assert_eq!(
        r["settings"]["method"],
        serde_json::json!({"kind": "nearest_neighbour", "k": 5, "caliper": 0.25})
    );
    assert!(r["method"]
        .as_str()
        .unwrap()
        .contains("up to 5 people never connected"));

    lead.post(&format!("/impact/costs/{id}/remove"), &[]).await;
    assert!(lead.get("/impact/costs").await.body.contains("None yet."));
    // Nobody else keeps the costs.
    let mut gp = app.signed_in(Role::Clinician).await;
    assert_eq!(gp.get("/impact/costs").await.status, StatusCode::FORBIDDEN);
    assert_eq!(gp.get("/impact").await.status, StatusCode::OK);
}

on_both!(the_pcn_lead_imports_the_connections_made_before_together);
/// The PCN lead brings in the connections made before Together from the web: a bad row refuses
/// the file with its line and column, the file imports once, and only the lead may.
async fn the_pcn_lead_imports_the_connections_made_before_together(db: Db) {
    let app = TestApp::spawn(db).await;
    let mut lw = app.signed_in(Role::LinkWorker).await;
    assert_eq!(
        lw.get("/impact/past-connections").await.status,
        StatusCode::FORBIDDEN
    );
    let header = "NHS No,Practice,Service,Date connected,Date ended\n";
    let good = format!(
        "{header}999 000 0018,B99001,Walking group,14/03/2024,\n\
         999 000 0026,B99001,Men's shed,2024-05-01,2024-09-01\n"
    );
    assert_eq!(
        lw.post_csv("/impact/past-connections", &good).await.status,
        StatusCode::FORBIDDEN
    );

    let mut lead = app.signed_in(Role::PcnAdmin).await;
    assert!(lead
        .get("/impact/costs")
        .await
        .body
        .contains("href=\"/impact/past-connections\""));
    let page = lead.get("/impact/past-connections").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .body
        .contains("Import connections made before Together"));
    let bad = format!(
        "{header}999 000 0018,B99001,Walking group,14/03/2024,\n999 000 0019,B99001,,2024-05-01,\n"
    );
    let res = lead.post_csv("/impact/past-connections", &bad).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert!(res.body.contains("Nothing was imported"));
    assert!(
        res.body.contains("<td>3</td><td>nhs_number</td>")
            && res.body.contains("<td>3</td><td>offer</td>"),
        "{}",
        res.body
    );
    for expect in [
        "Imported 2 connections; 0 already there",
        "Imported 0 connections; 2 already there",
    ] {
        let res = lead.post_csv("/impact/past-connections", &good).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(res.body.contains(expect), "{expect}: {}", res.body);
    }
    let read = app
        .store
        .evaluated_connections(app.pcn, &audit(app.pcn))
        .await
        .unwrap();
    assert_eq!(read.len(), 2);
    assert!(read
        .iter()
        .all(|c| c.source.is_none() && c.pseudonym.is_some()));
}
