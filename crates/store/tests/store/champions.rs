//! Champions: the journey's steps, roles and DBS rules, a subject access export that misses no
//! table, and audited reads from many connections at once.

use super::*;
use together_core::audit::AuditAction;

on_both!(champions_journey_roles_and_dbs_rules_hold_in_the_store);
async fn champions_journey_roles_and_dbs_rules_hold_in_the_store(store: DynStore) {
    use together_core::champions::{DbsLevel, DbsResult, NewInterest, NewRole, Stage};
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let other = store.create_pcn("Elsewhere PCN", None, NOW).await.unwrap();
    let interest = |given: &str| NewInterest {
        given_name: given.into(),
        family_name: "Okafor".into(),
        phone: Some("07700 900123".into()),
        email: None,
        contact_preference: together_core::people::ContactPreference::Text,
        practice_id: None,
        interests: vec!["walking".into()],
        skills: String::new(),
        availability: vec![],
    };
    let a = audit(pcn, AuditAction::Setup);
    let dave = store
        .record_interest(pcn, &interest("Dave"), &a)
        .await
        .unwrap();
    let amara = store
        .record_interest(pcn, &interest("Amara"), &a)
        .await
        .unwrap();
    // Another PCN's practice is not a home practice here.
    let elsewhere = store
        .add_practice(
            other,
            &"B99009".parse().unwrap(),
            "Far Away",
            &audit(other, AuditAction::Setup),
            NOW,
        )
        .await
        .unwrap();
    let stray = NewInterest {
        practice_id: Some(elsewhere),
        ..interest("Stray")
    };
    assert!(matches!(
        store.record_interest(pcn, &stray, &a).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.champions(pcn, &a).await.unwrap().len(), 2);
    assert!(store.champions(other, &a).await.unwrap().is_empty());
    assert!(store
        .read_champion(other, dave, &a)
        .await
        .unwrap()
        .is_none());

    // The journey's rules are the store's, not only the page's.
    let refused = store.move_champion(pcn, dave, Stage::Active, "", &a).await;
    assert!(matches!(refused, Err(StoreError::Refused(_))));
    for to in [
        Stage::Conversation,
        Stage::References,
        Stage::DbsCheck,
        Stage::Induction,
    ] {
        store.move_champion(pcn, dave, to, "", &a).await.unwrap();
    }
    let visit = store
        .add_champion_role(
            pcn,
            &NewRole {
                name: "Home visit befriender".into(),
                description: "Visits people at home".into(),
                dbs_level: DbsLevel::EnhancedAdults,
                regulated_activity: true,
            },
            &a,
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .add_champion_role(
                pcn,
                &NewRole {
                    name: "Home visit befriender".into(),
                    description: "again".into(),
                    dbs_level: DbsLevel::None,
                    regulated_activity: false,
                },
                &a,
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    store
        .give_champion_role(pcn, dave, visit, &a)
        .await
        .unwrap();
    store
        .give_champion_role(pcn, dave, visit, &a)
        .await
        .unwrap();
    assert_eq!(store.roles_of_champion(pcn, dave).await.unwrap().len(), 1);
    match store.move_champion(pcn, dave, Stage::Active, "", &a).await {
        Err(StoreError::Refused(why)) => {
            assert!(why.to_string().contains("Home visit befriender"), "{why}")
        }
        other => panic!("active without a clear check: {other:?}"),
    }
    assert!(matches!(
        store
            .request_dbs_check(pcn, dave, visit, DbsLevel::Basic, &a)
            .await,
        Err(StoreError::Refused(_))
    ));
    let check = store
        .request_dbs_check(pcn, dave, visit, DbsLevel::EnhancedAdults, &a)
        .await
        .unwrap();
    let result = DbsResult {
        issued_on: time::macros::date!(2026 - 11 - 01),
        certificate_ref: "001234567890".into(),
        clear: true,
        update_service: true,
        last_status_check: None,
    };
    store
        .record_dbs_result(pcn, dave, &check, &result, &a)
        .await
        .unwrap();
    assert!(matches!(
        store
            .record_dbs_result(pcn, dave, &check, &result, &a)
            .await,
        Err(StoreError::Refused(_))
    ));
    // The same certificate cannot be someone else's.
    store
        .give_champion_role(pcn, amara, visit, &a)
        .await
        .unwrap();
    let hers = store
        .request_dbs_check(pcn, amara, visit, DbsLevel::EnhancedAdults, &a)
        .await
        .unwrap();
    assert!(matches!(
        store
            .record_dbs_result(pcn, amara, &hers, &result, &a)
            .await,
        Err(StoreError::Refused(_))
    ));
    store
        .move_champion(pcn, dave, Stage::Active, "", &a)
        .await
        .unwrap();
    // Active in a role that needs a check they have not had: refused.
    let children = store
        .add_champion_role(
            pcn,
            &NewRole {
                name: "Homework club helper".into(),
                description: "Helps children with homework".into(),
                dbs_level: DbsLevel::EnhancedChildren,
                regulated_activity: true,
            },
            &a,
        )
        .await
        .unwrap();
    assert!(matches!(
        store.give_champion_role(pcn, dave, children, &a).await,
        Err(StoreError::Refused(_))
    ));
    // Paused and back to where they were.
    assert!(matches!(
        store.move_champion(pcn, dave, Stage::Paused, " ", &a).await,
        Err(StoreError::Refused(_))
    ));
    store
        .move_champion(pcn, dave, Stage::Paused, "Away for the winter", &a)
        .await
        .unwrap();
    let c = store.read_champion(pcn, dave, &a).await.unwrap().unwrap();
    assert_eq!(
        (c.stage, c.paused_from),
        (Stage::Paused, Some(Stage::Active))
    );
    store
        .move_champion(pcn, dave, Stage::Active, "", &a)
        .await
        .unwrap();
    let steps = store.champion_steps(pcn, dave).await.unwrap();
    assert_eq!(steps.len(), 8);
    assert_eq!(steps[6].reason, "Away for the winter");
    assert!(steps.iter().all(|s| s.actor == "cli:test"));
    let checks = store.dbs_checks(pcn, dave, &a).await.unwrap();
    assert_eq!(checks[0].clear, Some(true));
    assert_eq!(checks[0].certificate_ref.as_deref(), Some("001234567890"));
}

/// A champion with something in every table about champions: steps, a role, a DBS check,
/// hours and an expense, and an account.
async fn a_champion_with_everything(store: &DynStore) -> (PcnId, together_core::ChampionId) {
    use together_core::champions::{DbsLevel, DbsResult, NewInterest, NewRole, Stage};
    use together_core::hours_expenses::{ExpenseKind, NewExpense, NewHours};
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let a = audit(pcn, AuditAction::Setup);
    let id = store
        .record_interest(
            pcn,
            &NewInterest {
                given_name: "Dave".into(),
                family_name: "Okafor".into(),
                phone: Some("07700 900123".into()),
                email: Some("dave@example.org".into()),
                contact_preference: together_core::people::ContactPreference::Email,
                practice_id: None,
                interests: vec!["walking".into()],
                skills: "I play the ukulele".into(),
                availability: vec![],
            },
            &a,
        )
        .await
        .unwrap();
    store
        .move_champion(pcn, id, Stage::Conversation, "Met at the café", &a)
        .await
        .unwrap();
    let role = store
        .add_champion_role(
            pcn,
            &NewRole {
                name: "Walk leader".into(),
                description: "Leads walks".into(),
                dbs_level: DbsLevel::Basic,
                regulated_activity: false,
            },
            &a,
        )
        .await
        .unwrap();
    store.give_champion_role(pcn, id, role, &a).await.unwrap();
    let check = store
        .request_dbs_check(pcn, id, role, DbsLevel::Basic, &a)
        .await
        .unwrap();
    store
        .record_dbs_result(
            pcn,
            id,
            &check,
            &DbsResult {
                issued_on: time::macros::date!(2026 - 11 - 01),
                certificate_ref: "001234567890".into(),
                clear: true,
                update_service: false,
                last_status_check: None,
            },
            &a,
        )
        .await
        .unwrap();
    let on = time::macros::date!(2026 - 11 - 20);
    store
        .log_hours(
            pcn,
            id,
            &NewHours {
                on,
                minutes: 90,
                activity: "Walk".into(),
                offer: None,
            },
            &a,
        )
        .await
        .unwrap();
    store
        .claim_expense(
            pcn,
            id,
            &NewExpense {
                on,
                kind: ExpenseKind::Cost,
                description: "Tea for the walkers".into(),
                pence: 680,
                tenths_of_miles: None,
                pence_per_mile: None,
                offer: None,
            },
            Some(("receipt.png", "image/png")),
            &a,
        )
        .await
        .unwrap();
    let user = store
        .create_user(
            &NewUser {
                pcn_id: pcn,
                email: "dave@example.org".parse().unwrap(),
                display_name: "Dave Okafor".into(),
                role: Role::Champion,
                practice_id: None,
                status: UserStatus::Active,
                password_hash: Some("$argon2id$secret".into()),
            },
            &a,
            NOW,
        )
        .await
        .unwrap();
    store.link_champion_user(pcn, id, user, &a).await.unwrap();
    let badge = together_core::champions::NewBadge {
        number: "HV-0042".into(),
        issued_on: on,
        expires_on: time::macros::date!(2028 - 11 - 20),
    };
    store.issue_badge(pcn, id, &badge, &a).await.unwrap();
    assert!(
        matches!(
            store.issue_badge(pcn, id, &badge, &a).await,
            Err(StoreError::Refused(_))
        ),
        "a badge number is one badge's"
    );
    let training = together_core::champions::NewTraining {
        module: "safeguarding_adults".into(),
        completed_on: on,
        expires_on: Some(time::macros::date!(2029 - 11 - 20)),
    };
    store.record_training(pcn, id, &training, &a).await.unwrap();
    let contact = together_core::champions::NewEmergencyContact {
        name: "Mary Okafor".into(),
        relationship: "Wife".into(),
        phone: "07700 900456".into(),
    };
    store
        .add_emergency_contact(pcn, id, &contact, &a)
        .await
        .unwrap();
    let workshop = together_core::champions::NewWorkshop {
        title: "Induction".into(),
        module: Some("induction".into()),
        on,
        starts: "10:00".into(),
        capacity: Some(12),
    };
    let w = store.add_workshop(pcn, &workshop, &a).await.unwrap();
    store.book_workshop(pcn, &w, id, &a).await.unwrap();
    store.mark_attendance(pcn, &w, id, true, &a).await.unwrap();
    for to in [
        Stage::References,
        Stage::DbsCheck,
        Stage::Induction,
        Stage::Active,
    ] {
        store.move_champion(pcn, id, to, "", &a).await.unwrap();
    }
    let offer = together_core::offers::OfferForm::from_fields(
        &[
            ("name", "Walking group"),
            ("description", "A walk"),
            ("offer_kind", "group"),
            ("offer_status", "active"),
            ("helpers_needed", "1"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    )
    .parse()
    .unwrap();
    let offer = store.add_offer(pcn, &offer, &a).await.unwrap();
    store.add_offer_lead(pcn, offer, id, &a).await.unwrap();
    let session = together_core::offers::SessionForm {
        on: "2026-12-05".into(),
        opens_at: "10:00".into(),
        closes_at: "11:00".into(),
        ..Default::default()
    }
    .parse(NOW.date())
    .unwrap();
    let session = store
        .add_offer_session(pcn, offer, &session, &a)
        .await
        .unwrap();
    store.take_rota_place(pcn, session, id, &a).await.unwrap();
    let (_, mabel) = a_person(store, pcn, "Mabel", &[]).await;
    let (_, monitor) = a_monitor_to_lend(store, pcn, id, "SAR-0001").await;
    let loan = together_core::loans::LoanForm {
        item_id: monitor.to_string(),
        handled_by: id.to_string(),
        ..Default::default()
    }
    .parse(NOW.date())
    .unwrap();
    store.lend(pcn, mabel, &loan, &a).await.unwrap();
    // Mabel is connected to the champion, who will walk with her.
    let worker = a_user(store, pcn, "Lena", Role::LinkWorker).await;
    let walk = together_core::connections::NewConnection {
        to: together_core::connections::Target::Champion(id),
        source: together_core::connections::Source::Themselves,
        made_on: NOW.date(),
        note: String::new(),
    };
    store
        .make_connection(pcn, mabel, worker, &walk, &[14], &a)
        .await
        .unwrap();
    // Someone's pledge that the champion was asked to help with.
    let pledge = together_core::pledges::PledgeForm {
        goal: "Walk every morning".into(),
        theme: "moving_more".into(),
        wants_champion: "yes".into(),
        given_name: "Edna".into(),
        phone: "07700 900461".into(),
        ..Default::default()
    }
    .parse()
    .unwrap();
    let pledge = store.add_pledge(pcn, &pledge, &a).await.unwrap();
    store
        .ask_champion_for_pledge(pcn, pledge, id, &a)
        .await
        .unwrap();
    (pcn, id)
}

/// Checks a subject access export against the tables the schema says reference a champion.
async fn the_export_holds_every_table_that_references_the_champion(
    store: DynStore,
    referencing: Vec<String>,
) {
    assert!(
        referencing.len() >= 5,
        "the schema was read: {referencing:?}"
    );
    let (pcn, id) = a_champion_with_everything(&store).await;
    let a = audit(pcn, AuditAction::Setup);
    let sar = store.champion_subject_access(pcn, id, &a).await.unwrap();
    let tables: Vec<&str> = sar.iter().map(|t| t.table.as_str()).collect();
    for t in &referencing {
        let found = sar.iter().find(|s| &s.table == t);
        assert!(
            found.is_some(),
            "{t} references champions but is not in the export {tables:?}"
        );
        assert!(
            !found.unwrap().rows.is_empty(),
            "{t} has the champion's rows"
        );
    }
    for t in ["champion", "app_user", "audit_event"] {
        assert!(tables.contains(&t), "{t} in {tables:?}");
    }
    let text = format!("{sar:?}");
    for held in [
        "Okafor",
        "07700 900123",
        "001234567890",
        "Met at the café",
        "Tea for the walkers",
        "HV-0042",
        "Mary Okafor",
        "safeguarding_adults",
    ] {
        assert!(text.contains(held), "the export holds '{held}'");
    }
    assert!(
        !text.contains("$argon2id$secret"),
        "secrets are not exported"
    );

    // Erasure keeps the counts and removes the person.
    let files = store
        .erase_champion(pcn, id, &audit(pcn, AuditAction::Setup))
        .await
        .unwrap();
    assert_eq!(files, ["receipt.png"]);
    let after = format!(
        "{:?}",
        store.champion_subject_access(pcn, id, &a).await.unwrap()
    );
    for gone in [
        "Okafor",
        "07700 900123",
        "001234567890",
        "Met at the café",
        "Tea for the walkers",
        "HV-0042",
        "Mary Okafor",
        "dave@example.org",
    ] {
        assert!(!after.contains(gone), "'{gone}' survived erasure");
    }
    let hours = store.hours(pcn, Some(id)).await.unwrap();
    assert_eq!(hours[0].minutes, 90, "hours are kept for the reports");
    let expenses = store.expenses(pcn, Some(id), &a).await.unwrap();
    assert_eq!(expenses[0].pence, 680, "amounts are kept");
    assert!(store.dbs_checks(pcn, id, &a).await.unwrap().is_empty());
    let c = store.read_champion(pcn, id, &a).await.unwrap().unwrap();
    assert_eq!(c.stage, together_core::champions::Stage::Left);
    assert!(store
        .user_by_email(&"dave@example.org".parse().unwrap())
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_subject_access_export_covers_every_table_referencing_a_champion_sqlite() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let store = fresh_sqlite(dir.path()).await.unwrap();
    let mut conn = sqlx::SqliteConnection::connect(&format!(
        "sqlite://{}",
        dir.path().join("together.sqlite").display()
    ))
    .await
    .unwrap();
    // Foreign keys to champion(id), from the schema itself.
    let referencing: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT m.name FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
         WHERE m.type = 'table' AND f.\"table\" = 'champion' ORDER BY m.name",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    the_export_holds_every_table_that_references_the_champion(store, referencing).await;
}

#[tokio::test]
async fn a_subject_access_export_covers_every_table_referencing_a_champion_postgres() {
    use sqlx::Connection;
    let url = fresh_postgres_url().await.unwrap();
    let store: DynStore = Arc::new(
        together_store::postgres::PgStore::open(&url)
            .await
            .unwrap()
            .0,
    );
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    let referencing: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT tc.table_name::text FROM information_schema.table_constraints tc \
         JOIN information_schema.constraint_column_usage cu ON cu.constraint_name = tc.constraint_name \
         WHERE tc.constraint_type = 'FOREIGN KEY' AND cu.table_name = 'champion' ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    the_export_holds_every_table_that_references_the_champion(store, referencing).await;
}

on_both!(audited_reads_from_many_connections_at_once_all_succeed);
async fn audited_reads_from_many_connections_at_once_all_succeed(store: DynStore) {
    // Each audited read reads, then writes its audit event: on SQLite a transaction that read
    // cannot then write once another connection has written, unless it took the write lock at
    // the start. Many at once, as a busy page would make them.
    let (pcn, id) = a_champion_with_everything(&store).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..15 {
                let a = audit(pcn, AuditAction::ViewChampion);
                store.read_champion(pcn, id, &a).await?;
                store.dbs_checks(pcn, id, &a).await?;
            }
            Ok::<_, StoreError>(())
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let events = store
        .audit_events(pcn, &AuditFilter::default())
        .await
        .unwrap();
    assert!(
        events
            .iter()
            .filter(|e| e.action == "view_champion")
            .count()
            >= 100
    );
}
