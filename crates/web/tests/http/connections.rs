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
    let offer = a_singing_group(&app).await;
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

on_both!(a_champion_records_a_connection_that_link_workers_follow_up_until_consent_goes);
async fn a_champion_records_a_connection_that_link_workers_follow_up_until_consent_goes(db: Db) {
    let app = TestApp::spawn(db).await;
    let offer = a_singing_group(&app).await;
    let to = format!("service:{offer}");
    let practice = app.practices[0].to_string();
    let florence = [
        ("given_name", "Florence"),
        ("family_name", "Ashworth"),
        ("date_of_birth", "27/3/1933"),
        ("practice_id", practice.as_str()),
        ("contact_preference", "text"),
        ("phone", "07700 900983"),
        ("to", to.as_str()),
        ("source", "community_event"),
        ("note", "Met at the library stall; would love to sing again"),
    ];
    let champions_list = |app: &TestApp| {
        let store = app.store.clone();
        let pcn = app.pcn;
        async move {
            store
                .connections(
                    pcn,
                    &ConnectionFilter::default(),
                    time::macros::date!(2026 - 11 - 24),
                    &audit(pcn),
                )
                .await
                .unwrap()
        }
    };

    // The champion's form offers the PCN's offers; without the person's agreement nothing is
    // kept.
    let mut champion = app.signed_in(Role::Champion).await;
    let form = champion.get("/connections/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("Harbourview singing group (our offer)"));
    let res = champion.post("/connections", &florence).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(
        res.body
            .contains("a connection is recorded only when they agree"),
        "{}",
        res.body
    );
    assert!(
        res.body.contains("value=\"Florence\""),
        "what was typed is kept"
    );
    assert!(
        champions_list(&app).await.is_empty(),
        "nothing saved half-way"
    );
    // Other people may not use the champion's quick form.
    let mut worker = app.signed_in(Role::LinkWorker).await;
    assert_eq!(
        worker.get("/connections/new").await.status,
        StatusCode::FORBIDDEN
    );

    let agreed = [florence.as_slice(), &[("agreed", "yes")]].concat();
    let res = champion.post("/connections", &agreed).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let connection = res.location().to_owned();
    let page = champion.get(&connection).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Florence A.") && page.body.contains("Text message: 07700 900983"));
    assert!(
        !page.body.contains("Ashworth")
            // Her date of birth however written ("1933" alone may turn up inside a random token).
            && !["March 1933", "1933-03-27", "27/03/1933", "27/3/1933"]
                .iter()
                .any(|d| page.body.contains(d)),
        "only what the connection needs"
    );
    assert!(!page.body.contains("/people/"), "no way into the record");
    let mine = champion.get("/connections").await;
    assert!(mine.body.contains("Florence A."));
    let person = champions_list(&app).await[0].person_id;
    assert_eq!(
        champion.get(&format!("/people/{person}")).await.status,
        StatusCode::FORBIDDEN
    );

    // Every link worker sees it, its first follow-up in two weeks, and due after that.
    let open = worker.get("/connections").await;
    assert!(open.body.contains("Florence A."), "{}", open.body);
    assert!(!worker
        .get("/connections?show=due")
        .await
        .body
        .contains("Florence A."));
    app.clock.advance(Duration::days(14));
    let mut worker = app.signed_in(Role::LinkWorker).await;
    let due = worker.get("/connections?show=due").await;
    assert!(due.body.contains("Florence A."), "{}", due.body);
    // The link worker takes her on, and then opens her record without giving a reason.
    let page = worker.get(&connection).await;
    assert!(page.body.contains("Take them on"));
    let before = worker.get(&format!("/people/{person}")).await;
    assert!(
        before.body.contains("Why do you need to open this record?"),
        "not hers yet"
    );
    let res = worker.post(&format!("{connection}/take-on"), &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(
        !worker.get(&connection).await.body.contains("Take them on"),
        "hers now"
    );
    let record = worker.get(&format!("/people/{person}")).await;
    assert_eq!(record.status, StatusCode::OK);
    assert!(record.body.contains("Ashworth"), "{}", record.body);
    // A champion cannot take anyone on.
    let mut champion = app.signed_in(Role::Champion).await;
    assert_eq!(
        champion
            .post(&format!("{connection}/take-on"), &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // She withdraws her consent: the champion no longer sees her, by list or page.
    let res = worker
        .post(&format!("/people/{person}/consents/withdraw"), &[])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(!champion.get("/connections").await.body.contains("Florence"));
    assert_eq!(
        champion.get(&connection).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(
        worker
            .get("/connections")
            .await
            .body
            .contains("Florence A."),
        "the worker still follows it up"
    );
}

on_both!(how_someone_is_is_asked_by_a_worker_and_on_their_own_phone_once);
async fn how_someone_is_is_asked_by_a_worker_and_on_their_own_phone_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let offer = a_singing_group(&app).await;
    let florence = app.add_person(0, "Florence").await;
    let mut gp = app.signed_in(Role::Clinician).await;
    let res = gp
        .post(
            &format!("/people/{florence}/connections"),
            &[
                ("to", &format!("service:{offer}")),
                ("source", "clinician_suggestion"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let connection = res.location().to_owned();
    let page = gp.get(&connection).await;
    assert!(page.body.contains("Not asked yet"));
    assert!(page
        .body
        .contains("Overall, how satisfied are you with your life nowadays?"));
    let kept = |app: &TestApp| {
        let store = app.store.clone();
        let pcn = app.pcn;
        async move {
            store
                .wellbeing_of(pcn, florence, &audit(pcn))
                .await
                .unwrap()
        }
    };

    // At the start: a score out of range, or three ONS4 answers of four, saves nothing.
    let wellbeing = format!("{connection}/wellbeing");
    let start = [
        ("occasion", "baseline"),
        ("life_satisfaction", "3"),
        ("worthwhile", "4"),
        ("happy", "4"),
        ("anxious", "8"),
        ("lonely", "often_or_always"),
    ];
    let bad = [start.as_slice(), &[("wemwbs", "71")]].concat();
    let res = gp.post(&wellbeing, &bad).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(
        res.body
            .contains("The WEMWBS score is a whole number from 14 to 70"),
        "{}",
        res.body
    );
    let res = gp.post(&wellbeing, &start[..4]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res
        .body
        .contains("answer all four questions, or none of them"));
    assert!(kept(&app).await.is_empty(), "nothing saved half-way");
    let res = gp
        .post(
            &wellbeing,
            &[start.as_slice(), &[("wemwbs", "38")]].concat(),
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);

    // A link to answer on her phone needs her agreement to be asked.
    let link = format!("{connection}/wellbeing-link");
    let res = gp.post(&link, &[("occasion", "follow_up")]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(
        res.body.contains("record their consent first"),
        "{}",
        res.body
    );
    for purpose in ["contact", "wellbeing_follow_up"] {
        let res = gp
            .post(
                &format!("/people/{florence}/consents"),
                &[("purpose", purpose), ("method", "verbal")],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    }
    let res = gp.post(&link, &[("occasion", "follow_up")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(gp
        .get(res.location())
        .await
        .body
        .contains("A link has gone to them"));
    let message = app
        .store
        .messages(Some(app.pcn), 10)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.subject == "How are you getting on?")
        .expect("the link was sent");
    assert_eq!(
        (message.channel.as_str(), message.recipient.as_str()),
        ("sms", "07700 900982")
    );
    let url = message
        .body
        .split_whitespace()
        .find(|w| w.contains("/wellbeing?token="))
        .unwrap()
        .to_owned();
    let token = url.split("token=").nth(1).unwrap().to_owned();

    // She answers on her phone, without an account; the link works once.
    let mut phone = app.client();
    let form = phone.get(&format!("/wellbeing?token={token}")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("How are you getting on, Florence?"));
    assert!(!form.body.contains("Ashworth"));
    let answers = [
        ("token", token.as_str()),
        ("life_satisfaction", "7"),
        ("worthwhile", "7"),
        ("happy", "8"),
        ("anxious", "4"),
        ("lonely", "occasionally"),
    ];
    let res = phone
        .post(
            "/wellbeing",
            &[&answers[..2], &[("worthwhile", "12")]].concat(),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert_eq!(kept(&app).await.len(), 1, "a wrong answer spends nothing");
    let res = phone.post("/wellbeing", &answers).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("Thank you"));
    let again = phone.post("/wellbeing", &answers).await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(again.body.contains("This link has been used already"));
    assert_eq!(kept(&app).await.len(), 2, "answered once");
    assert_eq!(
        phone.get("/wellbeing?token=not-a-token").await.status,
        StatusCode::NOT_FOUND
    );

    // The change shows on the connection as a chart, with the table behind it.
    let page = gp.get(&connection).await;
    assert!(
        page.body.contains("Their first and latest answers"),
        "{}",
        page.body
    );
    assert!(page.body.contains("4, better") && page.body.contains("Themselves, on their phone"));
    assert!(page.body.contains("WEMWBS score 38"));
    // The offer's coordinator sees no mean of one person's answers.
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let offer_page = admin.get(&format!("/offers/{offer}")).await;
    assert!(
        offer_page
            .body
            .contains("Fewer than 8 people connected to it have answered"),
        "{}",
        offer_page.body
    );

    // A second link not answered within two weeks has expired.
    let res = gp.post(&link, &[("occasion", "follow_up")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let second = app
        .store
        .messages(Some(app.pcn), 10)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|m| {
            m.body
                .split("token=")
                .nth(1)
                .map(|t| t.split_whitespace().next().unwrap_or("").to_owned())
        })
        .find(|t| *t != token)
        .unwrap();
    app.clock.advance(Duration::days(15));
    let expired = phone.get(&format!("/wellbeing?token={second}")).await;
    assert_eq!(expired.status, StatusCode::GONE);
    assert!(expired.body.contains("This link has expired"));
}
