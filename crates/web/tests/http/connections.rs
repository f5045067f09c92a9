//! Connections over HTTP: a link worker connects someone on their caseload to an offer from
//! their record, sees the follow-up due (and missed) on their list, moves the connection on and
//! records the follow-up; bad dates and steps backwards are refused with nothing saved; only the
//! maker, the person's clinicians and the coordinator reach the connection, and every read of it
//! is audited.

use crate::helpers::*;
use crate::on_both;
use reqwest::StatusCode;
use time::Duration;
use together_core::Role;
use together_store::connections::ConnectionFilter;

on_both!(a_link_worker_connects_someone_follows_it_up_and_nobody_else_reaches_it);
async fn a_link_worker_connects_someone_follows_it_up_and_nobody_else_reaches_it(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = audit(app.pcn);
    let offer = together_core::offers::OfferForm::from_fields(
        &[
            ("name", "Harbourview singing group"),
            ("description", "Sing together on Tuesday mornings."),
            ("offer_kind", "group"),
            ("offer_status", "active"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    )
    .parse()
    .unwrap();
    let offer = app.store.add_offer(app.pcn, &offer, &a).await.unwrap();
    let worker_id = app.users[&Role::LinkWorker].0;
    // Florence is on the link worker's caseload (they added her); Mabel is not.
    let florence = together_core::people::PersonForm {
        given_name: "Florence".into(),
        family_name: "Ashworth".into(),
        date_of_birth: "27/03/1933".into(),
        practice_id: app.practices[0].to_string(),
        contact_preference: "phone".into(),
        phone: "07700 900982".into(),
        ..Default::default()
    }
    .parse(time::macros::datetime!(2026-11-24 09:00 UTC))
    .unwrap();
    let florence = app
        .store
        .create_person(app.pcn, &florence, None, Some(worker_id), &a)
        .await
        .unwrap();
    let mabel = app.add_person(0, "Mabel").await;
    let listed = |person| {
        let store = app.store.clone();
        let pcn = app.pcn;
        async move {
            store
                .connections(
                    pcn,
                    &ConnectionFilter {
                        person: Some(person),
                        ..Default::default()
                    },
                    time::macros::date!(2026 - 11 - 24),
                    &audit(pcn),
                )
                .await
                .unwrap()
        }
    };

    let mut worker = app.signed_in(Role::LinkWorker).await;
    let record = worker.get(&format!("/people/{florence}")).await;
    assert_eq!(record.status, StatusCode::OK);
    assert!(record.body.contains("Connect them"));
    assert!(record
        .body
        .contains("Harbourview singing group (our offer)"));
    let make = format!("/people/{florence}/connections");
    let res = worker.post(&make, &[("to", ""), ("source", "")]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res
        .body
        .contains("Choose what or who you are connecting them to"));
    assert!(res.body.contains("Choose how this came about"));
    let future = worker
        .post(
            &make,
            &[
                ("to", &format!("service:{offer}")),
                ("source", "clinician_suggestion"),
                ("made_on", "25/12/2026"),
            ],
        )
        .await;
    assert_eq!(future.status, StatusCode::BAD_REQUEST);
    assert!(future.body.contains("This is in the future"));
    assert!(listed(florence).await.is_empty(), "nothing saved half-way");
    let res = worker
        .post(
            &make,
            &[
                ("to", &format!("service:{offer}")),
                ("source", "clinician_suggestion"),
                ("note", "Loves to sing; lonely since her husband died"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let connection = res.location();
    assert!(connection.starts_with("/connections/"));
    // Not someone outside their caseload: that needs the record opened with a reason first.
    let res = worker
        .post(
            &format!("/people/{mabel}/connections"),
            &[
                ("to", &format!("service:{offer}")),
                ("source", "themselves"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(listed(mabel).await.is_empty());

    // Two weeks and a day on, the first follow-up is due, and missed.
    app.clock.advance(Duration::days(15));
    let mut worker = app.signed_in(Role::LinkWorker).await;
    let due = worker.get("/connections?show=due").await;
    assert_eq!(due.status, StatusCode::OK);
    assert!(
        due.body.contains("Florence A.") && due.body.contains("Missed"),
        "{}",
        due.body
    );

    // She went along; a step backwards is refused.
    let steps = format!("{connection}/steps");
    let res = worker
        .post(&steps, &[("status", "went_along"), ("on", "1/12/2026")])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let res = worker.post(&steps, &[("status", "contacted")]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(
        res.body.contains("a connection only moves on"),
        "{}",
        res.body
    );

    // The follow-up: not before the connection; then done.
    let page = worker.get(connection).await;
    let follow_up = page
        .body
        .split("action=\"/follow-ups/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let id = connection.trim_start_matches("/connections/").to_owned();
    let at = format!("/follow-ups/{follow_up}");
    let early = worker
        .post(&at, &[("connection", &id), ("done_on", "1/11/2026")])
        .await;
    assert_eq!(early.status, StatusCode::BAD_REQUEST);
    assert!(early
        .body
        .contains("A follow-up cannot be before the connection"));
    let res = worker
        .post(
            &at,
            &[
                ("connection", &id),
                ("follow_up_note", "Going every week, made friends"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = worker.get(connection).await;
    assert!(page.body.contains("Going every week, made friends"));
    assert!(page.body.contains("Went along"));
    let open = worker.get("/connections").await;
    assert!(
        !open.body.contains("Missed"),
        "done, it is no longer missed"
    );

    // Her practice's clinician and the coordinator see it; a champion who did not make it, an
    // analyst and a partner do not, by page or list.
    for role in [Role::Clinician, Role::PcnAdmin] {
        let mut c = app.signed_in(role).await;
        assert_eq!(c.get(connection).await.status, StatusCode::OK, "{role}");
        assert!(
            c.get("/connections").await.body.contains("Florence A."),
            "{role}"
        );
    }
    let mut champion = app.signed_in(Role::Champion).await;
    assert_eq!(champion.get(connection).await.status, StatusCode::NOT_FOUND);
    let mine = champion.get("/connections").await;
    assert!(mine.body.contains("My connections") && !mine.body.contains("Florence"));
    assert_eq!(
        champion
            .post(&steps, &[("status", "ended"), ("reason", "did_not_suit")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    for role in [Role::Analyst, Role::Partner] {
        let mut c = app.signed_in(role).await;
        assert_eq!(
            c.get(connection).await.status,
            StatusCode::FORBIDDEN,
            "{role}"
        );
        assert_eq!(
            c.get("/connections").await.status,
            StatusCode::FORBIDDEN,
            "{role}"
        );
    }
    // Every opening of it was audited, the champion's refusal among them.
    let reads = app
        .store
        .audit_events(
            app.pcn,
            &together_store::AuditFilter {
                resource_type: Some("connection".into()),
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let opened = reads
        .iter()
        .filter(|e| e.action == "view_connection")
        .count();
    assert!(opened >= 8, "{opened} reads audited");
    let champion_user = format!("user:{}", app.users[&Role::Champion].0);
    assert!(reads
        .iter()
        .any(|e| e.actor == champion_user && e.outcome == "denied"));
}
