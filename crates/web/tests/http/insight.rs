//! The Insight page: figures from imported data, exact for a practice's own clinicians and
//! analysts, suppressed and rounded for everyone else, pooled only across agreeing practices.

use crate::helpers::*;
use reqwest::StatusCode;
use together_core::{PracticeCode, PseudonymKey, Role};
use together_formats::Dataset;
use together_insight::{commit, stage, Commit, Outcome, StageRequest};

async fn with_data(app: &TestApp) -> u64 {
    let files = tempfile::tempdir().unwrap();
    let p = together_generate::Params {
        patients: 500,
        practices: 2,
        years: 1,
        end_year: 2025,
        seed: 8,
        plant: None,
    };
    together_generate::generate(&p, files.path(), &mut |_| {}).unwrap();
    let practices: Vec<PracticeCode> = vec!["B99001".parse().unwrap(), "B99002".parse().unwrap()];
    // The same key the app was given, so pseudonyms agree.
    let key = PseudonymKey::new(1, vec![7u8; 32]).unwrap();
    let index = together_insight::patient_index::IndexKey::new(&[5u8; 32]).unwrap();
    for (d, f) in [
        (Dataset::Registrations, "registrations.csv"),
        (Dataset::Appointments, "appointments.csv"),
        (Dataset::AeAttendances, "ae_attendances.csv"),
    ] {
        let path = files.path().join(f);
        let req = StageRequest {
            dataset: d,
            path: &path,
            data_dir: &app.data_dir,
            key: &key,
            practices: &practices,
            today: time::macros::date!(2026 - 11 - 24),
            // The same index key the app was given, so its clinicians can open the index.
            index_key: Some(&index),
        };
        let staged = stage(&req, &mut |_| {}).unwrap();
        let how = Commit {
            pcn: app.pcn,
            accept_valid: false,
            replaces: None,
            source: "canonical".into(),
            audit: audit(app.pcn),
        };
        assert!(matches!(
            commit(&app.store, &app.data_dir, staged, how)
                .await
                .unwrap(),
            Outcome::Imported(_)
        ));
    }
    csv::Reader::from_path(files.path().join("registrations.csv"))
        .unwrap()
        .records()
        .filter(|r| {
            let r = r.as_ref().unwrap();
            &r[1] == "B99001" && &r[8] <= "2025-12-31" && (r[9].is_empty() || &r[9] >= "2025-01-01")
        })
        .count() as u64
}

fn figure(body: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\">");
    let at = body.find(&marker).unwrap_or_else(|| panic!("no #{id}")) + marker.len();
    body[at..body[at..].find('<').unwrap() + at].to_owned()
}

#[tokio::test]
async fn clinicians_see_their_practice_exactly_and_the_administrator_sees_rounded_figures() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let registered = with_data(&app).await;
    let mut gp = app.signed_in(Role::Clinician).await;
    let page = gp.get("/insight").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        figure(&page.body, "registered"),
        registered.to_string(),
        "their own practice, exactly"
    );
    assert!(
        page.body.contains("id=\"frequent\""),
        "pseudonymised frequent attenders for the practice's own clinicians"
    );
    assert!(
        !page.body.contains("9990"),
        "no NHS number reaches the page"
    );

    // No agreement recorded yet: nothing is pooled.
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let none = admin.get("/insight").await;
    assert!(
        none.body.contains("no data-sharing agreement recorded")
            && !none.body.contains("id=\"registered\"")
    );
    for p in &app.practices {
        app.store
            .set_data_sharing(app.pcn, *p, true, &audit(app.pcn))
            .await
            .unwrap();
    }
    let own = admin
        .get("/insight?practice=B99001&from=2025-01-01&to=2025-12-31")
        .await;
    let shown: u64 = figure(&own.body, "registered").parse().unwrap();
    assert_eq!(shown % 5, 0, "rounded to 5");
    assert!(shown.abs_diff(registered) <= 2);
    assert!(
        own.body.contains("Counts from 1 to 7 are not shown"),
        "the rule is stated beside the figures"
    );
    assert!(
        !own.body.contains("id=\"frequent\""),
        "no person-level rows for the administrator"
    );

    // A period running past the end of the data (2025) is said, with how much of it is held,
    // rather than shown as a quiet fall.
    let past = admin
        .get("/insight?practice=B99001&from=2025-12-01&to=2026-05-31")
        .await;
    assert!(
        past.body.contains("Appointment data for Quayside Surgery ends on 31 December 2025: this period holds 1 month of data")
            || past.body.contains("Appointment data for Quayside Surgery ends on 30 December 2025: this period holds 1 month of data"),
        "{}",
        past.body
    );
    assert!(past.body.contains("What the imported data covers"));
    assert!(
        past.body.contains("A&#38;E data: ") || past.body.contains("A&amp;E data: "),
        "A&E data's span is listed too"
    );
    let said = own
        .body
        .find("this period holds")
        .map(|i| &own.body[i.saturating_sub(200)..i + 80]);
    assert!(said.is_none(), "a covered period needs no note: {said:?}");

    let mut analyst = app.signed_in(Role::Analyst).await;
    let pooled = analyst.get("/insight").await;
    assert!(pooled
        .body
        .contains("except people with a national data opt-out"));
    assert!(
        !pooled.body.contains("Counts from 1 to 7 are not shown"),
        "analysts see exact figures"
    );
}

crate::on_both!(insight_figures_follow_a_deleted_import_at_once_and_every_view_is_audited);
/// Insight's analyses are kept between views, but never past a change: deleting an import
/// shows at once on the next view, and every view is still audited.
async fn insight_figures_follow_a_deleted_import_at_once_and_every_view_is_audited(db: Db) {
    let app = TestApp::spawn(db).await;
    let registered = with_data(&app).await;
    let mut gp = app.signed_in(Role::Clinician).await;
    for _ in 0..2 {
        let page = gp.get("/insight").await;
        assert_eq!(figure(&page.body, "registered"), registered.to_string());
    }
    let views = || async {
        app.store
            .audit_events(
                app.pcn,
                &together_store::AuditFilter {
                    resource_type: Some("insight".into()),
                    limit: 500,
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .iter()
            .filter(|e| e.action == "view_insight")
            .count()
    };
    assert_eq!(
        views().await,
        2,
        "a view answered from the kept analysis is audited too"
    );
    let registrations = app
        .store
        .imports(app.pcn)
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.dataset == "registrations")
        .unwrap();
    together_insight::delete(
        &app.store,
        &app.data_dir,
        app.pcn,
        &registrations.id,
        &audit(app.pcn),
    )
    .await
    .unwrap();
    let page = gp.get("/insight").await;
    assert!(
        !page
            .body
            .contains(&format!("id=\"registered\">{registered}<")),
        "the deleted registrations no longer count"
    );
}

/// The audit trail of the patient index: who was named, and who was refused.
async fn index_trail(app: &TestApp) -> Vec<together_store::AuditEvent> {
    app.store
        .audit_events(
            app.pcn,
            &together_store::AuditFilter {
                resource_type: Some("patient_index".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn a_clinician_builds_a_cohort_and_downloads_invitations_for_their_practice_only() {
    let app = TestApp::spawn(Db::Sqlite).await;
    with_data(&app).await;
    let mut gp = app.signed_in(Role::Clinician).await;
    let form = [
        ("name", "Over-65s who see us a lot"),
        ("practice", "B99001"),
        ("from", "2025-01-01"),
        ("to", "2025-12-31"),
        ("age_min", "65"),
        ("appointments_min", "3"),
    ];
    let bad = gp
        .post(
            "/insight/cohorts",
            &[
                ("name", ""),
                ("practice", "B99001"),
                ("from", "soon"),
                ("to", "2025-12-31"),
                ("age_min", "old"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.body.contains("There is a problem")
            && bad.body.contains("Give the cohort a name")
            && bad.body.contains("Enter a date")
            && bad.body.contains("as a whole number"),
        "every mistake is named"
    );
    let saved = gp.post("/insight/cohorts", &form).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let url = saved.location().to_owned();
    assert!(url.starts_with("/insight/cohorts/"));
    let again = gp.post("/insight/cohorts", &form).await;
    assert!(again
        .body
        .contains("A cohort with this name already exists"));

    let page = gp.get(&url).await;
    assert_eq!(page.status, StatusCode::OK);
    let size: usize = figure(&page.body, "size").parse().unwrap();
    assert!(size > 0, "the cohort finds people");
    assert!(page.body.contains("Download the invitation list"));
    assert!(!page.body.contains("9990"), "no NHS number on the page");
    assert!(
        page.body
            .contains("<td class=\"nhsuk-table__cell\">Quayside Surgery</td>")
            && !page.body.contains(">B99001</td>"),
        "practices by name: {}",
        page.body
    );
    assert!(
        page.body.contains(">Female</td>") && !page.body.contains(">F</td>"),
        "sexes in words"
    );
    assert!(
        !page.body.contains("of this window"),
        "the data covers 2025"
    );

    // A window running half past the end of the data says what share of it has data.
    let later = gp
        .post(
            "/insight/cohorts",
            &[
                ("name", "Into 2026"),
                ("practice", "B99001"),
                ("from", "2025-07-01"),
                ("to", "2026-06-30"),
            ],
        )
        .await;
    let later = gp.get(later.location()).await;
    assert!(
        later
            .body
            .contains("Appointment data for Quayside Surgery covers 50% of this window"),
        "{}",
        later.body
    );

    let list = gp.post(&format!("{url}/invitations"), &[]).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(list.headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(list.headers["cache-control"], "no-store");
    assert_eq!(
        list.headers["x-content-type-options"], "nosniff",
        "security headers on the download too"
    );
    assert!(list.headers.contains_key("content-security-policy"));
    let mut lines = list.body.lines();
    assert_eq!(
        lines.next(),
        Some("given_name,family_name,date_of_birth,nhs_number,mobile,suggested_text_message")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), size, "everyone in the cohort at their practice");
    assert!(rows
        .iter()
        .all(|r| r.contains(",999") && r.contains("we'd love you to join us")));
    let trail = index_trail(&app).await;
    assert_eq!(
        trail.iter().filter(|e| e.outcome == "allowed").count(),
        size,
        "one audit row per person named"
    );

    // The administrator sees the cohort's shape, rounded, and cannot see who is in it.
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let shape = admin.get(&url).await;
    assert!(shape.body.contains("Counts from 1 to 7 are not shown"));
    assert!(!shape.body.contains("Download the invitation list"));
    let refused = admin.post(&format!("{url}/invitations"), &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!refused.body.contains("given_name"));
    let trail = index_trail(&app).await;
    assert!(
        trail.iter().any(|e| e.outcome == "denied"),
        "the refusal is audited"
    );
}

#[tokio::test]
async fn the_administrator_sets_what_counts_and_every_figure_follows_it() {
    let app = TestApp::spawn(Db::Sqlite).await;
    with_data(&app).await;
    let files = tempfile::tempdir().unwrap();
    // The same files with_data imported (same parameters, same seed).
    together_generate::generate(
        &together_generate::Params {
            patients: 500,
            practices: 2,
            years: 1,
            end_year: 2025,
            seed: 8,
            plant: None,
        },
        files.path(),
        &mut |_| {},
    )
    .unwrap();
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let page = admin.get("/admin/counting").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Same Day"),
        "slot types found in the data are offered"
    );
    assert!(
        page.body.contains("Arrived, then left before being seen."),
        "a status whose name does not say it is explained where it is chosen"
    );
    assert!(page.body.contains("almost always seen later"));

    let none = admin
        .post("/admin/counting", &[("slot_0", "Same Day")])
        .await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST);
    assert!(none.body.contains("Choose at least one status"));

    let saved = admin
        .post(
            "/admin/counting",
            &[("status_0", "Finished"), ("slot_0", "Same Day")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);

    // Independently: Finished appointments, not Same Day, of people registered at B99001 in 2025.
    let registered: std::collections::HashSet<String> =
        csv::Reader::from_path(files.path().join("registrations.csv"))
            .unwrap()
            .records()
            .map(Result::unwrap)
            .filter(|r| {
                &r[1] == "B99001"
                    && &r[8] <= "2025-12-31"
                    && (r[9].is_empty() || &r[9] >= "2025-01-01")
            })
            .map(|r| r[0].to_owned())
            .collect();
    let counted = csv::Reader::from_path(files.path().join("appointments.csv"))
        .unwrap()
        .records()
        .map(Result::unwrap)
        .filter(|r| {
            &r[1] == "B99001"
                && r[3].starts_with("2025")
                && &r[4] == "Finished"
                && &r[5] != "Same Day"
                && registered.contains(&r[0])
        })
        .count();
    let mut gp = app.signed_in(Role::Clinician).await;
    let insight = gp.get("/insight?from=2025-01-01&to=2025-12-31").await;
    assert_eq!(figure(&insight.body, "appointments"), counted.to_string());
    assert!(insight
        .body
        .contains("Appointments with status Finished count as consultations; every slot type counts except Same Day"));
}

#[tokio::test]
async fn frequent_attenders_and_high_intensity_users_on_the_page_and_in_the_api() {
    let app = TestApp::spawn(Db::Sqlite).await;
    with_data(&app).await;
    let mut gp = app.signed_in(Role::Clinician).await;
    let page = gp.get("/insight?from=2025-01-01&to=2025-12-31").await;
    assert!(
        page.body.contains("Frequent attenders") && page.body.contains("id=\"frequent-people\"")
    );
    assert!(
        page.body.contains("High intensity use of A&amp;E")
            && page.body.contains("id=\"hiu-people\"")
    );

    let mut api = app.client();
    api.bearer = Some(app.api_token(Role::Clinician).await);
    let res = api
        .get("/api/v1/insight/hiu?from=2025-01-01&to=2025-12-31")
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let hiu: serde_json::Value = serde_json::from_str(&res.body).unwrap();
    assert!(hiu["definition"]
        .as_str()
        .unwrap()
        .starts_with("5 or more A&E attendances"));
    assert_eq!(
        hiu["attendances"]["kind"], "exact",
        "a clinician's own practice, exactly"
    );
    // The same denominator as the page.
    let shown_people: u64 = figure(&page.body, "registered").parse().unwrap();
    assert_eq!(hiu["registered"]["value"].as_u64(), Some(shown_people));
    let res = api
        .get("/api/v1/insight/frequent?from=2025-01-01&to=2025-12-31")
        .await;
    let frequent: serde_json::Value = serde_json::from_str(&res.body).unwrap();
    assert!(frequent["definition"].as_str().unwrap().contains("top 10%"));
    assert!(frequent["people"]["value"].as_u64().unwrap() > 0);

    let mut admin_api = app.client();
    admin_api.bearer = Some(app.api_token(Role::PcnAdmin).await);
    let res = admin_api
        .get("/api/v1/insight/hiu?practice=B99001&from=2025-01-01&to=2025-12-31")
        .await;
    let shown: serde_json::Value = serde_json::from_str(&res.body).unwrap();
    assert!(
        shown["disclosure"]
            .as_str()
            .unwrap()
            .starts_with("Counts from 1 to 7"),
        "disclosure control for the administrator"
    );
    assert_ne!(shown["registered"]["kind"], "exact");
    let mut champion = app.client();
    champion.bearer = Some(app.api_token(Role::Champion).await);
    assert_eq!(
        champion.get("/api/v1/insight/frequent").await.status,
        StatusCode::FORBIDDEN
    );
}

/// Text messages inviting people, waiting or sent.
async fn invitations_sent(app: &TestApp) -> usize {
    app.store
        .messages(Some(app.pcn), 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.subject.starts_with("An invitation from"))
        .count()
}

#[tokio::test]
async fn a_clinician_invites_a_cohort_and_a_yes_becomes_a_person_with_a_suggested_connection() {
    use together_core::connections::{Source, Status, Target};
    use together_core::invitations::{Answer, Channel};
    let app = TestApp::spawn(Db::Sqlite).await;
    with_data(&app).await;
    let singing = a_singing_group(&app).await;
    let mut gp = app.signed_in(Role::Clinician).await;
    let saved = gp
        .post(
            "/insight/cohorts",
            &[
                ("name", "Over-65s who see us a lot"),
                ("practice", "B99001"),
                ("from", "2025-01-01"),
                ("to", "2025-12-31"),
                ("age_min", "65"),
                ("appointments_min", "3"),
            ],
        )
        .await;
    let url = saved.location().to_owned();
    let cohort = url.rsplit('/').next().unwrap().to_owned();
    let page = gp.get(&url).await;
    let size: usize = figure(&page.body, "size").parse().unwrap();
    assert!(page.body.contains("Invite them") && page.body.contains("Harbourview singing group"));

    let how = [
        ("service", singing.to_string()),
        ("channel", "text".to_owned()),
    ];
    let how: Vec<(&str, &str)> = how.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let invited = gp.post(&format!("{url}/invite"), &how).await;
    assert_eq!(invited.status, StatusCode::SEE_OTHER, "{}", invited.body);
    assert_eq!(
        invited.location(),
        format!("{url}/invited?invited={size}&connected=0")
    );
    let list = app
        .store
        .invitations(app.pcn, &cohort, app.practices[0])
        .await
        .unwrap();
    assert_eq!(list.len(), size, "everyone in the cohort at the practice");
    let texts = list.iter().filter(|i| i.channel == Channel::Text).count();
    assert!(texts > 0 && list.iter().all(|i| i.channel != Channel::Phone));
    assert_eq!(
        invitations_sent(&app).await,
        texts,
        "a text for everyone with a mobile, a letter for the rest"
    );
    // Inviting again reaches no one twice.
    let again = gp.post(&format!("{url}/invite"), &how).await;
    assert!(
        gp.get(again.location())
            .await
            .body
            .contains("Invited 0 people now."),
        "the clinician is told nobody new was invited"
    );
    assert_eq!(
        app.store
            .invitations(app.pcn, &cohort, app.practices[0])
            .await
            .unwrap()
            .len(),
        size
    );
    assert_eq!(invitations_sent(&app).await, texts);

    let shown = gp.get(&format!("{url}/invited")).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.body.matches("Record their answer").count(), size);
    assert!(!shown.body.contains("9990"), "no NHS number on the page");

    // A yes: they become a person we support, with what they agreed to and a suggested
    // connection, linked to their appointment data by the same pseudonym.
    let (first, second) = (&list[0], &list[1]);
    let answer_url = format!("/insight/invitations/{}", first.id);
    let form = gp.get(&answer_url).await;
    assert_eq!(form.status, StatusCode::OK);
    let missing = gp
        .post(
            &answer_url,
            &[("answer", "yes"), ("contact_preference", "letter")],
        )
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert!(
        missing.body.contains("Choose how they said yes"),
        "{}",
        missing.body
    );
    let yes = gp
        .post(
            &answer_url,
            &[
                ("answer", "yes"),
                ("to", &Target::Service(singing).key()),
                ("contact_preference", "letter"),
                ("method", "verbal"),
                ("wellbeing_follow_up", "yes"),
                ("what_matters", "Getting out of the house"),
            ],
        )
        .await;
    assert_eq!(yes.status, StatusCode::SEE_OTHER, "{}", yes.body);
    let answered = app
        .store
        .invitation(app.pcn, first.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(answered.answer, Some(Answer::Yes));
    let person = answered.person_id.expect("a yes becomes a person");
    let record = app
        .store
        .read_person(app.pcn, person, &audit(app.pcn))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        record.pseudonym.as_ref().map(|p| p.as_str()),
        Some(first.pseudonym.as_str())
    );
    assert_eq!(record.what_matters, "Getting out of the house");
    let mut purposes: Vec<String> = app
        .store
        .consents(person)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.purpose)
        .collect();
    purposes.sort();
    assert_eq!(purposes, ["contact", "wellbeing_follow_up"]);
    let connections = app
        .store
        .connections(
            app.pcn,
            &together_store::connections::ConnectionFilter {
                person: Some(person),
                ..Default::default()
            },
            time::macros::date!(2026 - 11 - 24),
            &audit(app.pcn),
        )
        .await
        .unwrap();
    assert_eq!(connections.len(), 1);
    assert_eq!(
        (
            connections[0].to,
            connections[0].source,
            connections[0].status
        ),
        (
            Target::Service(singing),
            Source::CohortInvitation,
            Status::Suggested
        )
    );
    assert_eq!(Some(connections[0].id), answered.connection_id);
    // An answer is recorded once.
    let twice = gp.post(&answer_url, &[("answer", "no")]).await;
    assert_eq!(twice.status, StatusCode::BAD_REQUEST);
    assert!(twice.body.contains("recorded already"));
    let no = gp
        .post(
            &format!("/insight/invitations/{}", second.id),
            &[("answer", "no")],
        )
        .await;
    assert_eq!(no.status, StatusCode::SEE_OTHER);
    let shown = gp.get(&format!("{url}/invited")).await;
    assert!(
        shown.body.contains(&format!("/people/{person}")) && shown.body.contains("No, thank you")
    );

    // Nobody but the practice's clinicians sees who was invited or records an answer.
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    assert_eq!(
        admin.get(&format!("{url}/invited")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        admin
            .get(&format!("/insight/invitations/{}", second.id))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        admin.post(&format!("{url}/invite"), &how).await.status,
        StatusCode::FORBIDDEN
    );
}
