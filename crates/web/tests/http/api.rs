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
    // What a client meets is documented: every operation says 401 and 403, `q` is a required
    // query parameter, and a champion's steps have the shape they are sent in.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for code in ["401", "403"] {
                assert!(
                    op["responses"][code].is_object(),
                    "{method} {path} does not document {code}"
                );
            }
        }
    }
    let q = &doc["paths"]["/api/v1/people"]["get"]["parameters"][0];
    assert_eq!(
        (q["name"].as_str(), q["in"].as_str()),
        (Some("q"), Some("query"))
    );
    assert_eq!(q["required"], true);
    assert_eq!(q["schema"]["minLength"], 2);
    let step = &doc["components"]["schemas"]["JourneyStepOut"]["properties"];
    for key in ["from", "to", "reason", "by", "at"] {
        assert!(step[key].is_object(), "a champion's step has {key}");
    }
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
    nobody.bearer = Some(together_core::tokens::random_token());
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

#[tokio::test]
async fn each_role_gets_its_own_connections_from_the_api_and_a_champion_no_record_ids() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let offer = a_singing_group(&app).await;
    let to = format!("service:{offer}");
    let practice = app.practices[0].to_string();
    // A champion records one for someone they met, who agrees to them knowing her.
    let mut champion = app.signed_in(Role::Champion).await;
    let made = champion
        .post(
            "/connections",
            &[
                ("given_name", "Florence"),
                ("family_name", "Ashworth"),
                ("date_of_birth", "27/3/1933"),
                ("practice_id", practice.as_str()),
                ("contact_preference", "text"),
                ("phone", "07700 900983"),
                ("to", to.as_str()),
                ("source", "community_event"),
                ("agreed", "yes"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let list = |role: Role| {
        let app = &app;
        async move {
            let mut c = app.client();
            c.bearer = Some(app.api_token(role).await);
            c.get("/api/v1/connections").await
        }
    };
    let theirs: serde_json::Value = serde_json::from_str(&list(Role::Champion).await.body).unwrap();
    let theirs = theirs.as_array().unwrap();
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0]["person"], "Florence A.");
    assert_eq!(theirs[0]["reach"], "Text message: 07700 900983");
    assert_eq!(theirs[0]["status"], "suggested");
    assert!(
        theirs[0]["person_id"].is_null(),
        "no record id for a champion"
    );
    assert!(!theirs[0].to_string().contains("Ashworth") && !theirs[0].to_string().contains("1933"));
    // The link workers follow it up, with the record to open.
    let followed: serde_json::Value =
        serde_json::from_str(&list(Role::LinkWorker).await.body).unwrap();
    assert_eq!(followed.as_array().unwrap().len(), 1);
    assert!(followed[0]["person_id"].is_string());
    assert_eq!(followed[0]["next_follow_up"], "2026-12-08");
    // One connection whole: its steps and follow-ups; how they are for the staff only.
    let one = |role: Role, id: String| {
        let app = &app;
        async move {
            let mut c = app.client();
            c.bearer = Some(app.api_token(role).await);
            c.get(&format!("/api/v1/connections/{id}")).await
        }
    };
    let id = followed[0]["id"].as_str().unwrap().to_owned();
    let whole: serde_json::Value =
        serde_json::from_str(&one(Role::LinkWorker, id.clone()).await.body).unwrap();
    assert_eq!(whole["steps"][0]["status"], "suggested");
    assert_eq!(whole["follow_ups"][0]["due_on"], "2026-12-08");
    assert!(
        whole["wellbeing"].is_array(),
        "the link worker may see how they are"
    );
    let champions_view: serde_json::Value =
        serde_json::from_str(&one(Role::Champion, id.clone()).await.body).unwrap();
    assert!(
        champions_view["wellbeing"].is_null()
            && champions_view["connection"]["person_id"].is_null()
    );
    assert_eq!(
        one(Role::Clinician, uuid::Uuid::new_v4().to_string())
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // A person's referrals, with what the practice codes (nothing while only received).
    let person_id = followed[0]["person_id"].as_str().unwrap().to_owned();
    let mut coordinator = app.client();
    coordinator.bearer = Some(app.api_token(Role::PcnAdmin).await);
    let none: serde_json::Value = serde_json::from_str(
        &coordinator
            .get(&format!("/api/v1/people/{person_id}/referrals"))
            .await
            .body,
    )
    .unwrap();
    assert_eq!(none, serde_json::json!([]));
    let mut champion_api = app.client();
    champion_api.bearer = Some(app.api_token(Role::Champion).await);
    assert_eq!(
        champion_api
            .get(&format!("/api/v1/people/{person_id}/referrals"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Nobody without connections in their reach gets any.
    assert_eq!(list(Role::Analyst).await.status, StatusCode::FORBIDDEN);
    assert_eq!(list(Role::Partner).await.status, StatusCode::FORBIDDEN);
    // Consent withdrawn: gone from the champion's list at once.
    let person: uuid::Uuid = followed[0]["person_id"].as_str().unwrap().parse().unwrap();
    app.store
        .withdraw_consents(
            together_core::PersonId::from(person),
            app.users[&Role::LinkWorker].0,
            &audit(app.pcn),
        )
        .await
        .unwrap();
    let theirs: serde_json::Value = serde_json::from_str(&list(Role::Champion).await.body).unwrap();
    assert!(theirs.as_array().unwrap().is_empty());
}
