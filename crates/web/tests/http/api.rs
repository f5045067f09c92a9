//! The JSON API: bearer tokens only, the same policy, and an OpenAPI document that lists every
//! API route.

use crate::helpers::*;
use reqwest::StatusCode;
use together_core::Role;
use together_web::Policy;

#[tokio::test]
async fn the_openapi_document_lists_every_api_route() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let doc: serde_json::Value =
        serde_json::from_str(&app.client().get("/api/v1/openapi.json").await.body).unwrap();
    let (_, table) = together_web::routes();
    for r in table
        .iter()
        .filter(|r| r.path.starts_with("/api/v1/") && r.path != "/api/v1/openapi.json")
    {
        let op = &doc["paths"][r.path][r.method.as_str().to_lowercase()];
        assert!(
            op.is_object(),
            "{} {} is missing from openapi.json",
            r.method,
            r.path
        );
        assert!(matches!(r.policy, Policy::Allow(_)));
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn a_link_worker_uses_the_api_with_a_token() {
    let app = TestApp::spawn(Db::Postgres).await;
    let mut c = app.client();
    c.bearer = Some(app.api_token(Role::LinkWorker).await);
    let me: serde_json::Value = serde_json::from_str(&c.get("/api/v1/me").await.body).unwrap();
    assert_eq!(me["role"], "link_worker");
    let bad = c.post_json("/api/v1/people", &serde_json::json!({"given_name": "A", "family_name": "B", "date_of_birth": "2099-01-01", "practice_id": app.practices[0].to_string(), "contact_preference": "letter"})).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("date_of_birth"));
    let extra = c.post_json("/api/v1/people", &serde_json::json!({"given_name": "A", "family_name": "B", "date_of_birth": "1950-01-01", "practice_id": app.practices[0].to_string(), "contact_preference": "letter", "role": "pcn_admin"})).await;
    assert_eq!(
        extra.status,
        StatusCode::BAD_REQUEST,
        "unknown fields are refused, not ignored"
    );
    assert!(
        extra.body.contains("unknown field `role`"),
        "{}",
        extra.body
    );
    let created = c
        .post_json("/api/v1/people", &serde_json::json!({"given_name": "Arthur", "family_name": "Bennett", "date_of_birth": "1950-01-01", "practice_id": app.practices[0].to_string(), "contact_preference": "letter", "nhs_number": "9990000018"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = serde_json::from_str::<serde_json::Value>(&created.body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let got: serde_json::Value =
        serde_json::from_str(&c.get(&format!("/api/v1/people/{id}")).await.body).unwrap();
    assert_eq!(
        (
            got["given_name"].as_str(),
            got["linked_to_appointment_data"].as_bool()
        ),
        (Some("Arthur"), Some(true))
    );
    assert!(!got.to_string().contains("9990000018"));
    let found: serde_json::Value =
        serde_json::from_str(&c.get("/api/v1/people?q=benn").await.body).unwrap();
    assert_eq!(found.as_array().unwrap().len(), 1);

    let mut champ = app.client();
    champ.bearer = Some(app.api_token(Role::Champion).await);
    assert_eq!(
        champ.get(&format!("/api/v1/people/{id}")).await.status,
        StatusCode::FORBIDDEN
    );
    let mut nobody = app.client();
    nobody.bearer = Some(together_web::random_token());
    assert_eq!(
        nobody.get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_api_ignores_session_cookies() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let mut c = app.signed_in(Role::PcnAdmin).await;
    assert_eq!(c.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
}
