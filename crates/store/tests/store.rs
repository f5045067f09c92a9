//! One story, told to both backends (the atuin pattern): whatever SQLite does, PostgreSQL must
//! do the same.

// Tests and examples stop at the first surprise, with its message: unwrap and expect are how.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use time::{Duration, OffsetDateTime};
use together_core::people::{ConsentMethod, ConsentPurpose, PersonForm};
use together_core::{PcnId, PseudonymKey, Role, UserId};
use together_store::on_both;
use together_store::sqlite::SqliteStore;
use together_store::testing::{audit, fresh_postgres_url, fresh_sqlite};
use together_store::*;

const NOW: OffsetDateTime = together_store::testing::FIXTURE_TIME;

on_both!(organisations_and_users);
async fn organisations_and_users(store: DynStore) {
    let pcn = store
        .create_pcn("Harbourview PCN", Some("U12345"), NOW)
        .await
        .unwrap();
    let a = audit(pcn, "add_practice");
    let p1 = store
        .add_practice(pcn, &"B82005".parse().unwrap(), "Quayside Surgery", &a, NOW)
        .await
        .unwrap();
    let dup = store
        .add_practice(pcn, &"B82005".parse().unwrap(), "Again", &a, NOW)
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    store
        .add_site(pcn, p1, "Main building", "1 Quay Street", &a, NOW)
        .await
        .unwrap();
    let other_pcn = store.create_pcn("Elsewhere PCN", None, NOW).await.unwrap();
    assert!(matches!(
        store
            .add_site(other_pcn, p1, "Not theirs", "x", &a, NOW)
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.sites(pcn).await.unwrap().len(), 1);
    assert!(store.sites(other_pcn).await.unwrap().is_empty());
    assert!(
        matches!(
            store.set_data_sharing(other_pcn, p1, false, &a).await,
            Err(StoreError::NotFound(_))
        ),
        "another PCN's practice"
    );

    assert_eq!(store.count_users_able_to_sign_in().await.unwrap(), 0);
    let new = NewUser {
        pcn_id: pcn,
        email: "gp@quayside.example".parse().unwrap(),
        display_name: "Dr Ada Okafor".into(),
        role: Role::Clinician,
        practice_id: Some(p1),
        status: UserStatus::Invited,
        password_hash: None,
    };
    let id = store.create_user(&new, &a, NOW).await.unwrap();
    assert!(matches!(
        store.create_user(&new, &a, NOW).await,
        Err(StoreError::Conflict(_))
    ));
    // A clinician cannot be tied to another PCN's practice.
    let stray = NewUser {
        pcn_id: other_pcn,
        email: "x@y.example".parse().unwrap(),
        ..new.clone()
    };
    assert!(matches!(
        store.create_user(&stray, &a, NOW).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(
        store
            .user_by_email(&"x@y.example".parse().unwrap())
            .await
            .unwrap()
            .is_none(),
        "failed creation left a user behind"
    );

    let u = store
        .user_by_email(&"GP@quayside.example".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (u.id, u.role, u.practice_id, u.status),
        (id, Role::Clinician, Some(p1), UserStatus::Invited)
    );
    store.set_password(id, "$argon2id$fake").await.unwrap();
    assert_eq!(
        store.user(id).await.unwrap().unwrap().status,
        UserStatus::Active
    );
    assert_eq!(store.count_users_able_to_sign_in().await.unwrap(), 1);

    // Wrong passwords lock the account by the core rule, counted and locked in one statement.
    let lockout = together_core::password::Lockout::DEFAULT;
    for n in 1..=12 {
        let locked = store.record_failed_sign_in(id, NOW, lockout).await.unwrap();
        let want = lockout.minutes_after(n).map(|m| NOW + Duration::minutes(m));
        assert_eq!(locked, want, "after {n} failures");
    }
    // A lock already set is never shortened by a failure counted with an earlier clock (a
    // request that started before).
    let earlier = store
        .record_failed_sign_in(id, NOW - Duration::minutes(30), lockout)
        .await
        .unwrap();
    assert_eq!(earlier, Some(NOW + Duration::minutes(60)));
    let u = store.user(id).await.unwrap().unwrap();
    assert_eq!(
        (u.failed_sign_ins, u.locked_until),
        (13, Some(NOW + Duration::minutes(60)))
    );
    store.clear_failed_sign_ins(id).await.unwrap();
    assert_eq!(store.user(id).await.unwrap().unwrap().failed_sign_ins, 0);

    // Sessions: disabling a user ends them all.
    for t in ["s1", "s2"] {
        store
            .create_session(&NewSession {
                token_hash: t.into(),
                user_id: id,
                now: NOW,
                mfa_done: false,
                ip: "127.0.0.1".into(),
                user_agent: "test".into(),
            })
            .await
            .unwrap();
    }
    store
        .touch_session("s1", NOW + Duration::minutes(5), true)
        .await
        .unwrap();
    let s1 = store.session("s1").await.unwrap().unwrap();
    assert!(s1.mfa_done && s1.last_seen_at == NOW + Duration::minutes(5));
    assert_eq!(store.user_sessions(id).await.unwrap().len(), 2);
    store
        .set_user_status(id, UserStatus::Disabled, &a)
        .await
        .unwrap();
    assert!(store.session("s1").await.unwrap().is_none());
    assert_eq!(store.count_users_able_to_sign_in().await.unwrap(), 0);

    // Single-use links: once, and not after expiry.
    let token = |hash: &str, kind| NewToken {
        token_hash: hash.into(),
        user_id: id,
        kind,
        label: String::new(),
        created_at: NOW,
        expires_at: NOW + Duration::hours(1),
    };
    store
        .create_token(&token("t1", TokenKind::Enrol))
        .await
        .unwrap();
    assert_eq!(
        store.take_token(TokenKind::Reset, "t1", NOW).await.unwrap(),
        None,
        "kind must match"
    );
    assert_eq!(
        store
            .take_token(TokenKind::Enrol, "t1", NOW + Duration::hours(2))
            .await
            .unwrap(),
        None,
        "expired"
    );
    assert_eq!(
        store.take_token(TokenKind::Enrol, "t1", NOW).await.unwrap(),
        Some(id)
    );
    assert_eq!(
        store.take_token(TokenKind::Enrol, "t1", NOW).await.unwrap(),
        None,
        "used twice"
    );
    store
        .create_token(&token("api1", TokenKind::Api))
        .await
        .unwrap();
    assert_eq!(store.api_token_user("api1", NOW).await.unwrap(), Some(id));
    assert_eq!(
        store
            .api_token_user("api1", NOW + Duration::hours(2))
            .await
            .unwrap(),
        None
    );

    // TOTP steps cannot be replayed; recovery codes are single use.
    store
        .set_totp(id, Some("SECRET"), &["c1".into(), "c2".into()], &a)
        .await
        .unwrap();
    assert!(store.use_totp_step(id, 100).await.unwrap());
    assert!(!store.use_totp_step(id, 100).await.unwrap());
    assert!(!store.use_totp_step(id, 99).await.unwrap());
    assert!(store.use_recovery_code(id, "c1", NOW).await.unwrap());
    assert!(!store.use_recovery_code(id, "c1", NOW).await.unwrap());
    assert!(!store.use_recovery_code(id, "nope", NOW).await.unwrap());
}

on_both!(people_consent_and_audit);
async fn people_consent_and_audit(store: DynStore) {
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let a = audit(pcn, "setup");
    let practice = store
        .add_practice(pcn, &"B82006".parse().unwrap(), "Harbour Lane", &a, NOW)
        .await
        .unwrap();
    let lw = store
        .create_user(
            &NewUser {
                pcn_id: pcn,
                email: "lw@pcn.example".parse().unwrap(),
                display_name: "Sam".into(),
                role: Role::LinkWorker,
                practice_id: None,
                status: UserStatus::Active,
                password_hash: None,
            },
            &a,
            NOW,
        )
        .await
        .unwrap();
    let form = PersonForm {
        given_name: "Florence".into(),
        family_name: "Ashworth".into(),
        date_of_birth: "1933-03-27".into(),
        practice_id: practice.to_string(),
        contact_preference: "phone".into(),
        phone: "07700 900982".into(),
        email: String::new(),
        nhs_number: "9990000018".into(),
        what_matters: String::new(),
    };
    let new = form.parse(NOW).unwrap();
    let key = PseudonymKey::generate(1);
    let pseudonym = key.pseudonymise(new.nhs_number.as_ref().unwrap());
    let create = NewAuditEvent {
        actor: format!("user:{lw}"),
        role: "link_worker".into(),
        action: "create_person".into(),
        ..a.clone()
    };
    let person = store
        .create_person(pcn, &new, Some(&pseudonym), Some(lw), &create)
        .await
        .unwrap();

    let scope = store.person_scope(pcn, person, lw).await.unwrap().unwrap();
    assert!(scope.on_caseload && scope.practice_id == practice);
    assert!(
        !store
            .person_scope(pcn, person, UserId::new())
            .await
            .unwrap()
            .unwrap()
            .on_caseload
    );
    let other_pcn = store.create_pcn("Elsewhere", None, NOW).await.unwrap();
    assert!(
        store
            .person_scope(other_pcn, person, lw)
            .await
            .unwrap()
            .is_none(),
        "another PCN must not see the person"
    );

    let read = NewAuditEvent {
        action: "view_person".into(),
        ..create.clone()
    };
    let p = store
        .read_person(pcn, person, &read)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (p.given_name.as_str(), p.pseudonym.as_ref()),
        ("Florence", Some(&pseudonym))
    );
    assert!(store
        .read_person(other_pcn, person, &read)
        .await
        .unwrap()
        .is_none());

    let found = store
        .find_people(
            pcn,
            None,
            "ashw",
            &NewAuditEvent {
                action: "find_people".into(),
                ..create.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert!(
        store
            .find_people(pcn, None, "%", &create)
            .await
            .unwrap()
            .is_empty(),
        "wildcards are matched literally"
    );
    assert!(store
        .find_people(pcn, Some(together_core::PracticeId::new()), "ash", &create)
        .await
        .unwrap()
        .is_empty());

    store
        .add_consent(
            person,
            ConsentPurpose::Contact,
            ConsentMethod::Verbal,
            lw,
            &create,
        )
        .await
        .unwrap();
    store
        .add_consent(
            person,
            ConsentPurpose::ShareWithChampions,
            ConsentMethod::Written,
            lw,
            &create,
        )
        .await
        .unwrap();
    assert_eq!(
        store.withdraw_consents(person, lw, &create).await.unwrap(),
        2
    );
    let consents = store.consents(person).await.unwrap();
    assert_eq!(consents.len(), 2);
    assert!(consents.iter().all(|c| c.withdrawn_at.is_some()));
    assert_eq!(consents[0].recorded_by, "Sam");

    // Who viewed this record: the read above is there, with no name in any field.
    let viewed = store
        .audit_events(
            pcn,
            &AuditFilter {
                resource_type: Some("person".into()),
                resource_id: Some(person.to_string()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(viewed
        .iter()
        .any(|e| e.action == "view_person" && e.actor == format!("user:{lw}")));
    for e in &viewed {
        let all = format!("{e:?}");
        assert!(
            !all.contains("Florence") && !all.contains("Ashworth") && !all.contains("07700"),
            "{all}"
        );
    }
    assert!(store
        .audit_events(other_pcn, &AuditFilter::default())
        .await
        .unwrap()
        .is_empty());

    // Settings are audited; the outbox keeps what it was given.
    store
        .set_setting(pcn, "unit_cost_gp_appointment", "42.00", &a)
        .await
        .unwrap();
    assert_eq!(
        store
            .setting(pcn, "unit_cost_gp_appointment")
            .await
            .unwrap()
            .as_deref(),
        Some("42.00")
    );
    store
        .enqueue_message(&NewMessage {
            pcn_id: Some(pcn),
            person: None,
            channel: Channel::Email,
            recipient: "lw@pcn.example".into(),
            subject: "Hello".into(),
            body: "Body".into(),
            now: NOW,
        })
        .await
        .unwrap();
    let pending = store.undelivered_messages(10).await.unwrap();
    assert_eq!(pending.len(), 1);
    store
        .mark_delivered(&pending[0].id, "log", NOW)
        .await
        .unwrap();
    assert!(store.undelivered_messages(10).await.unwrap().is_empty());
    assert!(store.messages(Some(pcn), 10).await.unwrap()[0].delivered);
}

#[tokio::test]
async fn audit_events_cannot_be_changed_or_deleted_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.sqlite");
    let (store, _) = SqliteStore::open(&path, None).await.unwrap();
    store.audit(&audit(PcnId::new(), "x")).await.unwrap();
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let upd = sqlx::query("UPDATE audit_event SET actor = 'someone else'")
        .execute(&pool)
        .await;
    assert!(upd.unwrap_err().to_string().contains("append-only"));
    assert!(sqlx::query("DELETE FROM audit_event")
        .execute(&pool)
        .await
        .is_err());
}

#[tokio::test]
async fn audit_events_cannot_be_changed_or_deleted_postgres() {
    let url = fresh_postgres_url().await.unwrap();
    let (store, _) = together_store::postgres::PgStore::open(&url).await.unwrap();
    store.audit(&audit(PcnId::new(), "x")).await.unwrap();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let upd = sqlx::query("UPDATE audit_event SET actor = 'someone else'")
        .execute(&pool)
        .await;
    assert!(upd.unwrap_err().to_string().contains("append-only"));
    assert!(sqlx::query("DELETE FROM audit_event")
        .execute(&pool)
        .await
        .is_err());
    assert!(sqlx::query("TRUNCATE audit_event")
        .execute(&pool)
        .await
        .is_err());
}

#[tokio::test]
async fn a_database_from_a_newer_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.sqlite");
    SqliteStore::open(&path, None)
        .await
        .unwrap()
        .0
        .close()
        .await;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (99990101000000, 'future', 1, x'00', 0)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let err = SqliteStore::open(&path, None).await.unwrap_err();
    assert!(
        matches!(err, StoreError::SchemaNewer(99990101000000)),
        "{err}"
    );
    assert!(err.to_string().contains("newer version of Together"));

    let url = fresh_postgres_url().await.unwrap();
    together_store::postgres::PgStore::open(&url).await.unwrap();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::query("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (99990101000000, 'future', true, '\\x00', 0)")
        .execute(&pool)
        .await
        .unwrap();
    let err = together_store::postgres::PgStore::open(&url)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::SchemaNewer(99990101000000)),
        "{err}"
    );
}

#[tokio::test]
async fn sqlite_pragmas_are_set_for_durability() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.sqlite");
    let (store, _) = SqliteStore::open(&path, None).await.unwrap();
    drop(store);
    let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(&path);
    use sqlx::ConnectOptions;
    let mut conn = opts.connect().await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        mode, "wal",
        "WAL mode is a property of the file and must persist"
    );
}

#[tokio::test]
async fn a_backup_taken_during_writes_restores_intact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("together.sqlite");
    let (store, _) = SqliteStore::open(&path, None).await.unwrap();
    let store = Arc::new(store);
    let pcn = store.create_pcn("Busy PCN", None, NOW).await.unwrap();
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for i in 0..300 {
                store
                    .set_setting(pcn, &format!("k{i}"), "v", &audit(pcn, "write"))
                    .await
                    .unwrap();
            }
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let backup = dir.path().join("backup.sqlite");
    store.backup_file(&backup).await.unwrap();
    writer.await.unwrap();
    assert!(
        store.backup_file(&backup).await.is_err(),
        "an existing backup is never overwritten"
    );

    let restored = dir.path().join("restored.sqlite");
    together_store::sqlite::restore_file(&backup, &restored)
        .await
        .unwrap();
    let (again, _) = SqliteStore::open(&restored, None).await.unwrap();
    assert_eq!(again.pcns().await.unwrap()[0].name, "Busy PCN");

    let junk = dir.path().join("junk.sqlite");
    std::fs::write(&junk, b"this is not a database").unwrap();
    assert!(together_store::sqlite::restore_file(&junk, &restored)
        .await
        .is_err());
}

on_both!(imports_are_recorded_once_replaced_and_deleted);
async fn imports_are_recorded_once_replaced_and_deleted(store: DynStore) {
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let a = audit(pcn, "import");
    let first = NewImport {
        id: "11111111-1111-1111-1111-111111111111".into(),
        pcn_id: pcn,
        dataset: "appointments".into(),
        source: "canonical".into(),
        file_name: "appointments.csv".into(),
        file_sha256: "aa".repeat(32),
        practices: vec!["B99001".into(), "B99002".into()],
        period: Some((
            time::macros::date!(2024 - 01 - 01),
            time::macros::date!(2025 - 12 - 31),
        )),
        rows_read: 10,
        rows_imported: 9,
        rows_rejected: 1,
        replaces: None,
    };
    store.record_import(&first, &a).await.unwrap();
    let again = NewImport {
        id: "22222222-2222-2222-2222-222222222222".into(),
        ..first.clone()
    };
    assert!(
        matches!(
            store.record_import(&again, &a).await,
            Err(StoreError::Conflict(_))
        ),
        "the same file twice"
    );
    let found = store
        .import_with_hash(pcn, "appointments", &"aa".repeat(32))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            found.practices.len(),
            found.rows_rejected,
            found.status.as_str()
        ),
        (2, 1, "active")
    );
    assert_eq!(found.period_to, Some(time::macros::date!(2025 - 12 - 31)));

    let newer = NewImport {
        id: "33333333-3333-3333-3333-333333333333".into(),
        file_sha256: "bb".repeat(32),
        replaces: Some(first.id.clone()),
        ..first.clone()
    };
    store.record_import(&newer, &a).await.unwrap();
    let all = store.imports(pcn).await.unwrap();
    assert_eq!(
        all.iter().find(|i| i.id == first.id).unwrap().status,
        "replaced"
    );
    assert_eq!(
        store.active_import_ids().await.unwrap(),
        vec![newer.id.clone()]
    );
    // The replaced file may now be imported again (it is no longer active).
    store.record_import(&again, &a).await.unwrap();
    store.delete_import(pcn, &newer.id, &a).await.unwrap();
    assert!(matches!(
        store.delete_import(pcn, &newer.id, &a).await,
        Err(StoreError::NotFound(_))
    ));
    let other = store.create_pcn("Elsewhere", None, NOW).await.unwrap();
    assert!(
        matches!(
            store.delete_import(other, &again.id, &a).await,
            Err(StoreError::NotFound(_))
        ),
        "another PCN's import"
    );
    assert_eq!(
        store.active_import_ids().await.unwrap(),
        vec![again.id.clone()]
    );
}

on_both!(cohorts_are_saved_by_name_listed_and_deleted);
async fn cohorts_are_saved_by_name_listed_and_deleted(store: DynStore) {
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let a = audit(pcn, "save_cohort");
    let cohort = NewCohort {
        pcn_id: pcn,
        name: "Lonely over-75s".into(),
        definition: r#"{"practices":["B99001"]}"#.into(),
    };
    let id = store.save_cohort(&cohort, &a).await.unwrap();
    assert!(
        matches!(
            store.save_cohort(&cohort, &a).await,
            Err(StoreError::Conflict(_))
        ),
        "names are unique within the PCN"
    );
    let saved = store.cohort(pcn, &id).await.unwrap();
    assert_eq!(
        (saved.name.as_str(), saved.definition.as_str()),
        ("Lonely over-75s", r#"{"practices":["B99001"]}"#)
    );
    assert_eq!(store.cohorts(pcn).await.unwrap().len(), 1);
    let other = store.create_pcn("Other PCN", None, NOW).await.unwrap();
    assert!(matches!(
        store.cohort(other, &id).await,
        Err(StoreError::NotFound(_))
    ));
    store.delete_cohort(pcn, &id, &a).await.unwrap();
    assert!(store.cohorts(pcn).await.unwrap().is_empty());
    store
        .save_cohort(&cohort, &a)
        .await
        .expect("the name is free again once deleted");
    let trail = store
        .audit_events(
            pcn,
            &AuditFilter {
                resource_type: Some("cohort".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(trail.len(), 3, "saving and deleting are audited");
}

#[tokio::test]
async fn pending_migrations_on_a_database_with_data_are_preceded_by_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("together.sqlite");
    let backups = dir.path().join("backups");
    // A database as the previous version left it: every migration but the last, from copies of
    // the files (so their checksums are the ones the binary knows).
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    let mut files: Vec<_> = std::fs::read_dir(&source)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let earlier = dir.path().join("earlier-migrations");
    std::fs::create_dir(&earlier).unwrap();
    for f in &files[..files.len() - 1] {
        std::fs::copy(f, earlier.join(f.file_name().unwrap())).unwrap();
    }
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    sqlx::migrate::Migrator::new(earlier.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO pcn (id, name, created_at) VALUES ($1, 'Harbourview PCN', 0)")
        .bind(PcnId::new().to_string())
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let last: i64 = files
        .last()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .split('_')
        .next()
        .unwrap()
        .parse()
        .unwrap();

    let (store, opened) = SqliteStore::open(&path, Some(&backups)).await.unwrap();
    assert_eq!(opened.applied, vec![last]);
    let backup = opened.backup.expect("a backup was taken before migrating");
    together_store::sqlite::verify_file(&backup).await.unwrap();
    assert_eq!(
        store.pcns().await.unwrap().len(),
        1,
        "data survives the migration"
    );
    let pcn = store.pcns().await.unwrap()[0].id;
    assert!(
        store.imports(pcn).await.unwrap().is_empty()
            && store.cohorts(pcn).await.unwrap().is_empty()
            && store.hours(pcn, None).await.unwrap().is_empty(),
        "the migration ran: every table is there"
    );
    // A fresh database needs no backup.
    let fresh = dir.path().join("fresh.sqlite");
    let (_, first) = SqliteStore::open(&fresh, Some(&backups)).await.unwrap();
    assert!(first.backup.is_none(), "a new database needs no backup");
}

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
    let a = audit(pcn, "champion");
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
            &audit(other, "p"),
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
        Err(StoreError::Refused(why)) => assert!(why.contains("Home visit befriender"), "{why}"),
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
    let a = audit(pcn, "champion");
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
    let a = audit(pcn, "subject_access");
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
        .erase_champion(pcn, id, &audit(pcn, "erase"))
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
    for n in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..15 {
                let a = audit(pcn, &format!("read_{n}"));
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
            .filter(|e| e.action.starts_with("read_"))
            .count()
            >= 100
    );
}

/// An active champion in `pcn`, with a clear enhanced DBS check when `checked`.
async fn an_active_champion(
    store: &DynStore,
    pcn: PcnId,
    given: &str,
    checked: bool,
) -> together_core::ChampionId {
    use together_core::champions::{DbsLevel, DbsResult, NewInterest, NewRole, Stage};
    let a = audit(pcn, "champion");
    let id = store
        .record_interest(
            pcn,
            &NewInterest {
                given_name: given.into(),
                family_name: "Price".into(),
                phone: Some("07700 900456".into()),
                email: Some(format!("{}@example.org", given.to_lowercase())),
                contact_preference: together_core::people::ContactPreference::Email,
                practice_id: None,
                interests: vec![],
                skills: String::new(),
                availability: vec![],
            },
            &a,
        )
        .await
        .unwrap();
    for to in [
        Stage::Conversation,
        Stage::References,
        Stage::DbsCheck,
        Stage::Induction,
        Stage::Active,
    ] {
        store.move_champion(pcn, id, to, "", &a).await.unwrap();
    }
    if checked {
        let role = store
            .add_champion_role(
                pcn,
                &NewRole {
                    name: format!("Checked role of {given}"),
                    description: "For the test".into(),
                    dbs_level: DbsLevel::EnhancedAdults,
                    regulated_activity: true,
                },
                &a,
            )
            .await
            .unwrap();
        let check = store
            .request_dbs_check(pcn, id, role, DbsLevel::EnhancedAdults, &a)
            .await
            .unwrap();
        let certificate = format!("{:012}", given.len() * 1000 + given.as_bytes()[0] as usize);
        store
            .record_dbs_result(
                pcn,
                id,
                &check,
                &DbsResult {
                    issued_on: time::macros::date!(2026 - 10 - 01),
                    certificate_ref: certificate,
                    clear: true,
                    update_service: false,
                    last_status_check: None,
                },
                &a,
            )
            .await
            .unwrap();
    }
    id
}

on_both!(offers_sessions_and_rotas_keep_their_rules_in_the_store);
async fn offers_sessions_and_rotas_keep_their_rules_in_the_store(store: DynStore) {
    use together_core::champions::{DbsLevel, NewRole};
    use together_core::offers::{OfferForm, OfferStatus, SessionForm};
    use together_core::recurrence::ScheduleForm;
    use together_store::offers::SessionFilter;
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let other = store.create_pcn("Elsewhere PCN", None, NOW).await.unwrap();
    let a = audit(pcn, "offer");
    let today = NOW.date();
    let terms = store.taxonomy_terms().await.unwrap();
    assert!(terms.len() >= 10, "the built-in categories are there");
    let walking = terms
        .iter()
        .find(|t| t.code == "physical_activity")
        .unwrap();
    let role = store
        .add_champion_role(
            pcn,
            &NewRole {
                name: "Walk leader".into(),
                description: "Leads a walk".into(),
                dbs_level: DbsLevel::Basic,
                regulated_activity: false,
            },
            &a,
        )
        .await
        .unwrap();
    let form = |extra: &[(&str, &str)]| {
        let mut fields: Vec<(String, String)> = [
            ("name", "Harbourview walking group"),
            ("description", "A gentle walk along the front, then tea."),
            ("offer_kind", "group"),
            ("offer_status", "active"),
            ("helpers_needed", "2"),
            ("starts_on", "2026-12-01"),
            ("ends_on", "2027-03-31"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        fields.push(("taxonomy".into(), walking.id.clone()));
        fields.push(("lead_role_id".into(), role.to_string()));
        fields.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        OfferForm::from_fields(&fields).parse().unwrap()
    };
    let offer = store.add_offer(pcn, &form(&[]), &a).await.unwrap();
    // Another PCN cannot see it, and an offer cannot point at another PCN's role.
    assert!(store.offer(other, offer).await.unwrap().is_none());
    assert!(store.offers(other).await.unwrap().is_empty());
    assert!(matches!(
        store
            .add_offer(other, &form(&[]), &audit(other, "offer"))
            .await,
        Err(StoreError::NotFound("role"))
    ));
    let o = store.offer(pcn, offer).await.unwrap().unwrap();
    assert_eq!(o.status, OfferStatus::Active);
    assert_eq!(o.taxonomy, vec![walking.id.clone()]);

    // Weekly on Tuesdays from 1 December; generated up to the season's end and no further.
    let weekly = ScheduleForm {
        freq: "WEEKLY".into(),
        byday: "TU".into(),
        starts_on: "2026-12-01".into(),
        opens_at: "10:00".into(),
        closes_at: "11:30".into(),
        ..ScheduleForm::default()
    }
    .parse()
    .unwrap();
    let far = today + Duration::days(365);
    let added = store
        .add_schedule(pcn, offer, &weekly, far, &a)
        .await
        .unwrap();
    assert_eq!(added, 18, "Tuesdays from 1 December 2026 to 30 March 2027");
    // Generating again adds nothing.
    assert_eq!(
        store.generate_sessions(pcn, today, far, NOW).await.unwrap(),
        0
    );
    let outside = ScheduleForm {
        starts_on: "2026-11-01".into(),
        ..ScheduleForm {
            freq: "WEEKLY".into(),
            byday: "TU".into(),
            opens_at: "10:00".into(),
            closes_at: "11:30".into(),
            ..ScheduleForm::default()
        }
    }
    .parse()
    .unwrap();
    assert!(matches!(
        store.add_schedule(pcn, offer, &outside, far, &a).await,
        Err(StoreError::Refused(_))
    ));
    let one_off = |on: &str| {
        SessionForm {
            on: on.into(),
            opens_at: "09:00".into(),
            closes_at: "13:00".into(),
            ..SessionForm::default()
        }
        .parse(today)
        .unwrap()
    };
    match store
        .add_offer_session(pcn, offer, &one_off("2027-05-01"), &a)
        .await
    {
        Err(StoreError::Refused(why)) => assert!(why.contains("after the offer ends"), "{why}"),
        other => panic!("a session after the season: {other:?}"),
    }
    // Shortening the season past planned sessions is refused.
    assert!(matches!(
        store
            .update_offer(pcn, offer, &form(&[("ends_on", "2027-01-31")]), &a)
            .await,
        Err(StoreError::Refused(_))
    ));
    let sessions = store
        .offer_sessions(
            pcn,
            &SessionFilter {
                offer: Some(offer),
                ..SessionFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(sessions.len(), 18);
    let first = &sessions[0];
    assert_eq!(
        (first.on, first.times().as_str()),
        (time::macros::date!(2026 - 12 - 01), "10:00 to 11:30")
    );

    // Leads and rota places need an active champion who is clear for the role.
    let clear = an_active_champion(&store, pcn, "Dave", true).await;
    let unchecked = an_active_champion(&store, pcn, "Florence", false).await;
    let third = an_active_champion(&store, pcn, "Aisha", true).await;
    match store.add_offer_lead(pcn, offer, unchecked, &a).await {
        Err(StoreError::Refused(why)) => assert!(why.contains("Walk leader"), "{why}"),
        other => panic!("an uncleared lead: {other:?}"),
    }
    store.add_offer_lead(pcn, offer, clear, &a).await.unwrap();
    assert!(matches!(
        store.take_rota_place(pcn, first.id, unchecked, &a).await,
        Err(StoreError::Refused(_))
    ));
    let open = store
        .open_rota_places(pcn, unchecked, today, far, today)
        .await
        .unwrap();
    assert!(open.is_empty(), "no open places shown to someone not clear");
    let open = store
        .open_rota_places(pcn, third, today, far, today)
        .await
        .unwrap();
    assert_eq!(open.len(), 18);
    store
        .take_rota_place(pcn, first.id, clear, &a)
        .await
        .unwrap();
    assert!(matches!(
        store.take_rota_place(pcn, first.id, clear, &a).await,
        Err(StoreError::Conflict(_))
    ));
    store
        .take_rota_place(pcn, first.id, third, &a)
        .await
        .unwrap();
    let fourth = an_active_champion(&store, pcn, "Bea", true).await;
    match store.take_rota_place(pcn, first.id, fourth, &a).await {
        Err(StoreError::Refused(why)) => assert!(why.contains("full"), "{why}"),
        other => panic!("a full rota: {other:?}"),
    }
    // Swapping moves the place in one step; dropping out frees it.
    let second = &sessions[1];
    store
        .swap_rota_place(pcn, first.id, second.id, third, &a)
        .await
        .unwrap();
    store
        .take_rota_place(pcn, first.id, fourth, &a)
        .await
        .unwrap();
    store
        .leave_rota_place(pcn, first.id, fourth, &a)
        .await
        .unwrap();
    let rota = store.rota(pcn, first.id).await.unwrap();
    assert_eq!(rota.len(), 3);
    assert_eq!(
        rota.iter().filter(|p| p.dropped_at.is_none()).count(),
        1,
        "Dave stays; Aisha swapped and Bea dropped out"
    );
    let first_now = store.offer_session(pcn, first.id).await.unwrap().unwrap();
    assert_eq!((first_now.helpers, first_now.gaps()), (1, 1));

    // Moving and cancelling tell the lead and the helpers, in the same transaction.
    let before = store.messages(Some(pcn), 100).await.unwrap().len();
    let moved = SessionForm {
        on: "2026-12-02".into(),
        opens_at: "10:30".into(),
        closes_at: "12:00".into(),
        note: "The front is closed for repairs".into(),
        ..SessionForm::default()
    }
    .parse(today)
    .unwrap();
    assert_eq!(
        store
            .move_offer_session(pcn, first.id, &moved, &a)
            .await
            .unwrap(),
        1
    );
    let told = store
        .cancel_offer_session(pcn, second.id, "Storm warning", &a)
        .await
        .unwrap();
    assert_eq!(told, 2, "Dave leads; Aisha is on the rota");
    let messages = store.messages(Some(pcn), 100).await.unwrap();
    assert_eq!(messages.len(), before + 3);
    assert!(messages
        .iter()
        .any(|m| m.body.contains("has moved to 2026-12-02 (10:30 to 12:00)")));
    assert!(messages
        .iter()
        .any(|m| m.body.contains("is cancelled: Storm warning")
            && m.recipient == "aisha@example.org"));
    assert!(matches!(
        store.take_rota_place(pcn, second.id, fourth, &a).await,
        Err(StoreError::Refused(_))
    ));
    // A moved session stays moved when the schedule is generated again.
    assert_eq!(
        store.generate_sessions(pcn, today, far, NOW).await.unwrap(),
        0
    );
    let mine = store
        .offer_sessions(
            pcn,
            &SessionFilter {
                champion: Some(third),
                include_cancelled: true,
                ..SessionFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert!(mine[0].cancelled);

    // Registers: on the day, by a lead (or the coordinator), whole and idempotent.
    use together_core::offers::RegisterForm;
    let register = |came: &[&str], others: &str| {
        let mut fields: Vec<(String, String)> = came
            .iter()
            .map(|c| ("came".to_owned(), (*c).to_owned()))
            .collect();
        fields.push(("others".into(), others.into()));
        RegisterForm::from_fields(&fields).parse().unwrap()
    };
    let third_session = &sessions[2];
    let r = register(&["Florence Ashworth", "Bill T"], "2");
    match store
        .save_register(pcn, third_session.id, Some(clear), &r, &a)
        .await
    {
        Err(StoreError::Refused(why)) => assert!(why.contains("on the day"), "{why}"),
        other => panic!("a register before the day: {other:?}"),
    }
    let on_the_day = NewAuditEvent {
        at: third_session.on.midnight().assume_utc() + Duration::hours(12),
        ..a.clone()
    };
    assert!(
        matches!(
            store
                .save_register(pcn, third_session.id, Some(third), &r, &on_the_day)
                .await,
            Err(StoreError::NotFound(_))
        ),
        "Aisha does not lead the walk"
    );
    assert!(
        matches!(
            store.register(pcn, third_session.id, Some(third)).await,
            Err(StoreError::NotFound(_))
        ),
        "nor sees its registers"
    );
    for _ in 0..2 {
        store
            .save_register(pcn, third_session.id, Some(clear), &r, &on_the_day)
            .await
            .unwrap();
    }
    let saved = store
        .register(pcn, third_session.id, Some(clear))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (saved.came.clone(), saved.others),
        (vec!["Bill T.".to_owned(), "Florence A.".to_owned()], 2)
    );
    assert!(
        matches!(
            store
                .save_register(pcn, second.id, None, &r, &on_the_day)
                .await,
            Err(StoreError::Refused(_))
        ),
        "a cancelled session has no register"
    );
    let fourth_session = &sessions[3];
    let later = NewAuditEvent {
        at: fourth_session.on.midnight().assume_utc() + Duration::hours(12),
        ..a.clone()
    };
    store
        .save_register(
            pcn,
            fourth_session.id,
            None,
            &register(&["Florence A.", "Mo Khan"], "0"),
            &later,
        )
        .await
        .unwrap();
    assert_eq!(
        store.regulars(pcn, offer).await.unwrap(),
        ["Florence A.", "Mo K.", "Bill T."]
    );
    let figures = together_core::offers::attendance(&store.registers_of(pcn, offer).await.unwrap());
    assert_eq!(
        (
            figures.sessions_held,
            figures.attendances,
            figures.unique_people,
            figures.returning_people
        ),
        (2, 6, 3, 1)
    );
    // Tomorrow's helpers are reminded once.
    store
        .take_rota_place(pcn, fourth_session.id, clear, &a)
        .await
        .unwrap();
    assert_eq!(
        store
            .send_rota_reminders(pcn, fourth_session.on, NOW)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .send_rota_reminders(pcn, fourth_session.on, NOW)
            .await
            .unwrap(),
        0
    );
}

on_both!(a_workshop_marked_came_then_did_not_come_takes_its_training_back);
async fn a_workshop_marked_came_then_did_not_come_takes_its_training_back(store: DynStore) {
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let a = audit(pcn, "workshop");
    let champion = an_active_champion(&store, pcn, "Nadia", false).await;
    let w = store
        .add_workshop(
            pcn,
            &together_core::champions::NewWorkshop {
                title: "Safeguarding adults".into(),
                module: Some("safeguarding_adults".into()),
                on: time::macros::date!(2026 - 11 - 20),
                starts: "10:00".into(),
                capacity: Some(10),
            },
            &a,
        )
        .await
        .unwrap();
    store.book_workshop(pcn, &w, champion, &a).await.unwrap();
    store
        .mark_attendance(pcn, &w, champion, true, &a)
        .await
        .unwrap();
    assert_eq!(store.training(pcn, Some(champion)).await.unwrap().len(), 1);
    store
        .mark_attendance(pcn, &w, champion, false, &a)
        .await
        .unwrap();
    assert!(
        store
            .training(pcn, Some(champion))
            .await
            .unwrap()
            .is_empty(),
        "the training came from the workshop they did not come to"
    );
    store
        .mark_attendance(pcn, &w, champion, true, &a)
        .await
        .unwrap();
    assert_eq!(store.training(pcn, Some(champion)).await.unwrap().len(), 1);
}

/// Every connection of one person, as of `NOW`.
async fn connections_of(
    store: &DynStore,
    pcn: PcnId,
    person: together_core::PersonId,
    a: &NewAuditEvent,
) -> Vec<together_store::connections::Connection> {
    store
        .connections(
            pcn,
            &together_store::connections::ConnectionFilter {
                person: Some(person),
                ..Default::default()
            },
            NOW.date(),
            a,
        )
        .await
        .unwrap()
}

/// A person at a practice of the PCN, with the consents named.
async fn a_person(
    store: &DynStore,
    pcn: PcnId,
    given: &str,
    consents: &[ConsentPurpose],
) -> (together_core::PracticeId, together_core::PersonId) {
    let a = audit(pcn, "person");
    let code = format!("Y{:05}", given.len() * 7919 % 100_000);
    let practice = match store.practices(pcn).await.unwrap().into_iter().next() {
        Some(p) => p.id,
        None => store
            .add_practice(pcn, &code.parse().unwrap(), "Quayside Surgery", &a, NOW)
            .await
            .unwrap(),
    };
    let new = PersonForm {
        given_name: given.into(),
        family_name: "Ashworth".into(),
        date_of_birth: "1941-05-02".into(),
        practice_id: practice.to_string(),
        contact_preference: "text".into(),
        phone: "07700 900982".into(),
        email: String::new(),
        nhs_number: String::new(),
        what_matters: String::new(),
    }
    .parse(NOW)
    .unwrap();
    let person = store
        .create_person(pcn, &new, None, None, &a)
        .await
        .unwrap();
    for c in consents {
        store
            .add_consent(person, *c, ConsentMethod::Verbal, UserId::new(), &a)
            .await
            .unwrap();
    }
    (practice, person)
}

/// Links a person to their NHS number's pseudonym (key 7s), as a record whose NHS number was
/// given later is; returns the pseudonym and the details saved.
async fn link_pseudonym(
    store: &DynStore,
    pcn: PcnId,
    person: together_core::PersonId,
    practice: together_core::PracticeId,
    nhs: &str,
) -> (together_core::Pseudonym, together_core::people::NewPerson) {
    let a = audit(pcn, "person");
    let key = PseudonymKey::new(1, vec![7; 32]).unwrap();
    let pseudonym = key.pseudonymise(&nhs.parse().unwrap());
    let details = store.read_person(pcn, person, &a).await.unwrap().unwrap();
    let known = together_core::people::NewPerson {
        given_name: details.given_name.clone(),
        family_name: details.family_name.clone(),
        date_of_birth: details.date_of_birth,
        practice_id: practice,
        contact_preference: details.contact_preference,
        phone: details.phone.clone(),
        email: None,
        nhs_number: None,
        what_matters: String::new(),
    };
    store
        .update_person(pcn, person, &known, Some(&pseudonym), &a)
        .await
        .unwrap();
    (pseudonym, known)
}

/// An equipment-loan offer led by `lead`, with one blood-pressure monitor.
async fn a_monitor_to_lend(
    store: &DynStore,
    pcn: PcnId,
    lead: together_core::ChampionId,
    serial: &str,
) -> (together_core::ServiceId, together_core::ItemId) {
    use together_core::loans::ItemForm;
    let a = audit(pcn, "equipment");
    let offer = together_core::offers::OfferForm::from_fields(
        &[
            ("name", "Home blood pressure monitors"),
            (
                "description",
                "Borrow a monitor for a week of readings at home.",
            ),
            ("offer_kind", "equipment_loan"),
            ("offer_status", "active"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    )
    .parse()
    .unwrap();
    let offer = store.add_offer(pcn, &offer, &a).await.unwrap();
    store.add_offer_lead(pcn, offer, lead, &a).await.unwrap();
    let item = ItemForm {
        item_kind: "blood_pressure_monitor".into(),
        name: format!("Omron M3 {serial}"),
        serial: serial.into(),
        condition: "good".into(),
        offer_id: offer.to_string(),
        notes: String::new(),
    }
    .parse()
    .unwrap();
    let item = store.add_item(pcn, &item, &a).await.unwrap();
    (offer, item)
}

on_both!(loans_keep_monitors_safe_and_readings_for_the_clinician);
async fn loans_keep_monitors_safe_and_readings_for_the_clinician(store: DynStore) {
    use together_core::loans::{CleaningForm, ItemForm, LoanForm, ReturnForm};
    use together_store::loans::LoanFilter;
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let other = store.create_pcn("Elsewhere PCN", None, NOW).await.unwrap();
    let a = audit(pcn, "equipment");
    let today = NOW.date();
    let dave = an_active_champion(&store, pcn, "Dave", false).await;
    let bea = an_active_champion(&store, pcn, "Bea", false).await;
    let (_, florence) = a_person(&store, pcn, "Florence", &[ConsentPurpose::Contact]).await;
    let (offer, monitor) = a_monitor_to_lend(&store, pcn, dave, "20231104LG").await;

    // The inventory: serials are unique in the PCN; items go through equipment-loan offers.
    let mut item = ItemForm {
        item_kind: "blood_pressure_monitor".into(),
        name: "Omron M3 again".into(),
        serial: "20231104LG".into(),
        condition: "good".into(),
        offer_id: offer.to_string(),
        notes: String::new(),
    };
    let dup = store.add_item(pcn, &item.parse().unwrap(), &a).await;
    assert!(
        matches!(&dup, Err(StoreError::Refused(m)) if m.contains("20231104LG")),
        "{dup:?}"
    );
    assert!(matches!(
        store
            .add_item(other, &item.parse().unwrap(), &audit(other, "x"))
            .await,
        Err(StoreError::NotFound("offer"))
    ));
    item.serial = "ELSEWHERE-1".into();
    item.offer_id = String::new();
    store
        .add_item(other, &item.parse().unwrap(), &audit(other, "x"))
        .await
        .unwrap();
    assert_eq!(store.items(pcn).await.unwrap().len(), 1);
    assert!(matches!(
        store.item(other, monitor).await,
        Err(StoreError::NotFound("item"))
    ));

    // Only a lead of the offer handles its loans; the lead is told in the same transaction.
    let loan = |handler: Option<together_core::ChampionId>, due: &str| {
        LoanForm {
            item_id: monitor.to_string(),
            due_on: due.into(),
            handled_by: handler.map(|c| c.to_string()).unwrap_or_default(),
        }
        .parse(today)
        .unwrap()
    };
    let refused = store.lend(pcn, florence, &loan(Some(bea), ""), &a).await;
    assert!(
        matches!(&refused, Err(StoreError::Refused(m)) if m.contains("does not lead")),
        "{refused:?}"
    );
    let before = store.messages(Some(pcn), 100).await.unwrap().len();
    let first = store
        .lend(pcn, florence, &loan(Some(dave), "2026-12-01"), &a)
        .await
        .unwrap();
    let messages = store.messages(Some(pcn), 100).await.unwrap();
    assert_eq!(messages.len(), before + 1);
    assert!(messages
        .iter()
        .any(|m| m.recipient == "dave@example.org" && m.subject.contains("Florence A.")));
    // One person at a time.
    let twice = store.lend(pcn, florence, &loan(None, ""), &a).await;
    assert!(
        matches!(&twice, Err(StoreError::Refused(m)) if m.contains("out on loan")),
        "{twice:?}"
    );
    assert_eq!(
        store.item(pcn, monitor).await.unwrap().due_on,
        Some(time::macros::date!(2026 - 12 - 01))
    );

    // Dave sees Florence as "Florence A.", and how to reach her only once she agrees to it.
    let mine = LoanFilter {
        handled_by: Some(dave),
        open_only: true,
        ..Default::default()
    };
    let list = store.loans(pcn, &mine, &a).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].person_label, "Florence A.");
    assert_eq!(list[0].reach, None);
    store
        .add_consent(
            florence,
            ConsentPurpose::ShareWithChampions,
            ConsentMethod::Verbal,
            UserId::new(),
            &a,
        )
        .await
        .unwrap();
    let list = store.loans(pcn, &mine, &a).await.unwrap();
    assert_eq!(list[0].reach.as_deref(), Some("07700 900982"));
    assert!(store
        .loans(
            pcn,
            &LoanFilter {
                handled_by: Some(bea),
                ..Default::default()
            },
            &a
        )
        .await
        .unwrap()
        .is_empty());

    // Overdue: reminded once a week, the person (who agreed to contact) and Dave.
    let due_day = time::macros::date!(2026 - 12 - 02);
    assert!(list[0].overdue(due_day));
    let later = NOW + Duration::days(8);
    assert_eq!(
        store
            .send_loan_reminders(pcn, due_day, later)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .send_loan_reminders(pcn, due_day, later)
            .await
            .unwrap(),
        0
    );
    let reminders = || async {
        store
            .messages(Some(pcn), 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.subject.contains("due back") || m.subject.starts_with("Overdue"))
            .collect::<Vec<_>>()
    };
    let sent = reminders().await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent.iter().any(|m| m.recipient == "07700 900982"));
    assert!(sent.iter().any(|m| m.recipient == "dave@example.org"));
    store
        .withdraw_consents(florence, UserId::new(), &a)
        .await
        .unwrap();
    let week_on = due_day + Duration::days(7);
    assert_eq!(
        store
            .send_loan_reminders(pcn, week_on, later)
            .await
            .unwrap(),
        1
    );
    let after = reminders().await;
    assert_eq!(after.len(), 3, "withdrawal stops her messages, not Dave's");
    assert!(after
        .iter()
        .any(|m| m.body.contains("not agreed to messages")));

    // The return: only Dave (or the coordinator); readings go with it, all or nothing.
    let back = ReturnForm {
        condition: "worn".into(),
        readings: "142/88 72\n138/86\n135/84 70".into(),
        ..Default::default()
    }
    .parse(today, today)
    .unwrap();
    assert!(matches!(
        store.return_loan(pcn, first, Some(bea), &back, &a).await,
        Err(StoreError::NotFound("loan"))
    ));
    store
        .return_loan(pcn, first, Some(dave), &back, &a)
        .await
        .unwrap();
    let again = store.return_loan(pcn, first, None, &back, &a).await;
    assert!(matches!(again, Err(StoreError::Refused(_))), "{again:?}");
    let m = store.item(pcn, monitor).await.unwrap();
    assert_eq!((m.condition.as_str(), m.due_on), ("worn", None));
    assert!(m.needs_cleaning());

    // Not lent again until it is cleaned.
    let dirty = store.lend(pcn, florence, &loan(None, ""), &a).await;
    assert!(
        matches!(&dirty, Err(StoreError::Refused(m)) if m.contains("cleaned")),
        "{dirty:?}"
    );
    let cleaning = CleaningForm {
        cleaned_on: String::new(),
        note: "Wiped with alcohol, cuff aired".into(),
    }
    .parse(today)
    .unwrap();
    store
        .add_cleaning(pcn, monitor, &cleaning, &a)
        .await
        .unwrap();
    assert_eq!(store.cleanings(pcn, monitor).await.unwrap().len(), 1);
    let second = store
        .lend(pcn, florence, &loan(None, ""), &a)
        .await
        .unwrap();
    let averaged = ReturnForm {
        condition: "good".into(),
        cleaned: "yes".into(),
        readings: "137/84".into(),
        average_of: "14".into(),
        ..Default::default()
    }
    .parse(today, today)
    .unwrap();
    store
        .return_loan(pcn, second, None, &averaged, &a)
        .await
        .unwrap();
    assert!(!store.item(pcn, monitor).await.unwrap().needs_cleaning());

    // The readings are the person's, in two sets, and reading them is audited.
    let sets = store.bp_readings(pcn, florence, &a).await.unwrap();
    let counts: Vec<_> = sets
        .iter()
        .map(|s| (s.readings.len(), s.average_of))
        .collect();
    assert_eq!(counts.len(), 2);
    assert!(counts.contains(&(3, None)) && counts.contains(&(1, Some(14))));
    assert!(store
        .bp_readings(other, florence, &audit(other, "x"))
        .await
        .unwrap()
        .is_empty());
    let reads = store
        .audit_events(
            pcn,
            &AuditFilter {
                resource_type: Some("bp_readings".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(reads.len(), 1);
    assert_eq!(
        reads[0].resource_id.as_deref(),
        Some(florence.to_string().as_str())
    );
}

on_both!(listings_are_kept_by_their_owners_checked_in_a_cycle_and_changed_by_approval);
async fn listings_are_kept_by_their_owners_checked_in_a_cycle_and_changed_by_approval(
    store: DynStore,
) {
    use together_core::listings::ListingForm;
    use together_store::directory::DirectoryFilter;
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let other = store.create_pcn("Elsewhere PCN", None, NOW).await.unwrap();
    let a = audit(pcn, "listing");
    let partner = store
        .add_partner(
            pcn,
            &together_core::partners::NewPartner {
                name: "Harbourview Food Bank".into(),
                kind: "charity".into(),
                description: "Food parcels".into(),
                contact: "Joy".into(),
                phone: None,
                email: Some("joy@foodbank.example".into()),
                website: None,
            },
            &a,
        )
        .await
        .unwrap();
    let form = |name: &str, org: &str, extra: &[(&str, &str)]| {
        let mut fields: Vec<(String, String)> = [
            ("name", name),
            (
                "description",
                "Open to anyone who needs it, with or without a referral.",
            ),
            ("organization", org),
            ("phone", "01632 960 456"),
            ("address", "St Mary's Hall, Church Lane"),
            ("postcode", "HV1 2BB"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        fields.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        ListingForm::from_fields(&fields).parse().unwrap()
    };
    // Staff list Citizens Advice; the food bank adds its own, which waits for approval.
    let cab = store
        .add_listing(
            pcn,
            &form("Money advice", "Citizens Advice Harbourview", &[]),
            None,
            false,
            &a,
        )
        .await
        .unwrap();
    let bank = store
        .add_listing(
            pcn,
            &form("Food parcels", "Harbourview Food Bank", &[]),
            Some(&partner),
            true,
            &a,
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .add_listing(
                other,
                &form("X", "Y", &[]),
                Some(&partner),
                false,
                &audit(other, "x")
            )
            .await,
        Err(StoreError::NotFound("partner"))
    ));
    let public = |q: &'static str| {
        let store = store.clone();
        async move {
            store
                .directory_services(
                    &DirectoryFilter {
                        search: Some(q.into()),
                        ..Default::default()
                    },
                    1,
                    50,
                )
                .await
                .unwrap()
                .0
        }
    };
    assert_eq!(
        public("money advice").await,
        1,
        "staff listings are published at once"
    );
    assert_eq!(
        public("food parcels").await,
        0,
        "a partner's new listing waits"
    );
    let l = store.listing(pcn, bank, Some(&partner)).await.unwrap();
    assert_eq!(
        l.summary.unpublished_reason.as_deref(),
        Some("awaiting_approval")
    );
    assert_eq!(l.listing.postcode.as_deref(), Some("HV1 2BB"));
    assert_eq!(l.listing.organization, "Harbourview Food Bank");
    assert!(matches!(
        store.listing(pcn, cab, Some(&partner)).await,
        Err(StoreError::NotFound("listing"))
    ));
    store
        .set_listing_published(pcn, bank, true, &a)
        .await
        .unwrap();
    assert_eq!(public("food parcels").await, 1);
    let told = store.messages(Some(pcn), 100).await.unwrap();
    assert!(told.iter().any(
        |m| m.recipient == "joy@foodbank.example" && m.subject.contains("is in the directory")
    ));
    assert_eq!(store.listings(pcn, Some(&partner)).await.unwrap().len(), 1);
    assert_eq!(store.listings(pcn, None).await.unwrap().len(), 2);
    assert!(store.listings(other, None).await.unwrap().is_empty());

    // The partner proposes a change: nothing moves until the coordinator approves it, and
    // only the latest proposal waits.
    let cheaper = form(
        "Food parcels",
        "Harbourview Food Bank",
        &[("cost", "£1 a parcel")],
    );
    let refused = store
        .propose_listing_change(pcn, bank, &partner, &l.listing, &a)
        .await;
    assert!(
        matches!(refused, Err(StoreError::Refused(_))),
        "no change at all"
    );
    assert!(matches!(
        store
            .propose_listing_change(pcn, cab, &partner, &cheaper, &a)
            .await,
        Err(StoreError::NotFound("listing"))
    ));
    store
        .propose_listing_change(pcn, bank, &partner, &cheaper, &a)
        .await
        .unwrap();
    let later = form(
        "Food parcels",
        "Harbourview Food Bank",
        &[("cost", "£1 a parcel"), ("phone", "01632 960 999")],
    );
    let change = store
        .propose_listing_change(pcn, bank, &partner, &later, &a)
        .await
        .unwrap();
    let changes = store.listing_changes(pcn, bank).await.unwrap();
    assert_eq!(changes.len(), 1, "the later proposal replaced the first");
    assert_eq!(changes[0].proposed, later);
    assert_eq!(
        store
            .listing(pcn, bank, None)
            .await
            .unwrap()
            .listing
            .fields
            .cost,
        "Free"
    );
    store
        .decide_listing_change(pcn, &change, true, "", &a)
        .await
        .unwrap();
    let now = store.listing(pcn, bank, None).await.unwrap();
    assert_eq!(now.listing, later);
    assert!(matches!(
        store
            .decide_listing_change(pcn, &change, false, "", &a)
            .await,
        Err(StoreError::NotFound("change"))
    ));

    // The cycle: a year on, the owner is asked once; after the grace period it leaves the
    // directory, and confirming brings it back.
    let base = "https://together.example";
    let year = NOW + Duration::days(360);
    let run = store
        .verify_listings(pcn, 12, 28, base, year)
        .await
        .unwrap();
    assert_eq!(run.asked, 2);
    assert_eq!(
        store
            .verify_listings(pcn, 12, 28, base, year)
            .await
            .unwrap()
            .asked,
        0,
        "asked once"
    );
    let asks: Vec<_> = store
        .messages(Some(pcn), 200)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.subject == "Is Food parcels still right?")
        .collect();
    assert_eq!(asks.len(), 1);
    assert_eq!(asks[0].recipient, "joy@foodbank.example");
    assert!(asks[0]
        .body
        .contains(&format!("{base}/partners/mine/listings/{bank}")));
    store
        .confirm_listing(
            pcn,
            bank,
            Some(&partner),
            "joy@foodbank.example",
            &NewAuditEvent {
                at: year,
                ..audit(pcn, "confirm")
            },
        )
        .await
        .unwrap();
    let lapsed = NOW + Duration::days(400);
    let run = store
        .verify_listings(pcn, 12, 28, base, lapsed)
        .await
        .unwrap();
    assert_eq!(run.unpublished, 1, "only the one nobody confirmed");
    assert_eq!(public("money advice").await, 0);
    assert_eq!(public("food parcels").await, 1);
    let cab_now = store.listing(pcn, cab, None).await.unwrap();
    assert_eq!(
        cab_now.summary.unpublished_reason.as_deref(),
        Some("lapsed")
    );
    store
        .confirm_listing(pcn, cab, None, "cli:test", &a)
        .await
        .unwrap();
    assert_eq!(public("money advice").await, 1, "confirmed, it is back");
}

on_both!(services_are_found_by_the_words_they_hold_whatever_wrote_them);
async fn services_are_found_by_the_words_they_hold_whatever_wrote_them(store: DynStore) {
    use together_core::listings::{ListingForm, NewListing};
    use together_store::directory::DirectoryFilter;
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let listing = |name: &str, description: &str| -> NewListing {
        ListingForm::from_fields(
            &[
                ("name", name),
                ("description", description),
                ("organization", "Someone"),
                ("phone", "01632 960 456"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        )
        .parse()
        .unwrap()
    };
    let mut ids = Vec::new();
    for (name, description) in [
        ("Walking group", "A gentle hour round the harbour."),
        ("Quay walk", "Meet at the lifeboat station."),
        ("Sidewalk chalk art", "For children and their grown-ups."),
        ("Men's Shed", "Drop-in woodwork, tea and a chat."),
    ] {
        ids.push(
            store
                .add_listing(
                    pcn,
                    &listing(name, description),
                    None,
                    false,
                    &audit(pcn, "listing"),
                )
                .await
                .unwrap(),
        );
    }
    let found = |q: &'static str| {
        let store = store.clone();
        async move {
            let (n, services) = store
                .directory_services(
                    &DirectoryFilter {
                        search: Some(q.into()),
                        ..Default::default()
                    },
                    1,
                    50,
                )
                .await
                .unwrap();
            assert_eq!(n as usize, services.len(), "the count agrees with the page");
            services.into_iter().map(|s| s.name).collect::<Vec<_>>()
        }
    };
    assert_eq!(
        found("walk").await,
        ["Quay walk", "Walking group"],
        "a word finds the words it starts, not the middle of another word"
    );
    assert_eq!(
        found("group walking").await,
        ["Walking group"],
        "in any order"
    );
    assert_eq!(
        found("walk harbour").await,
        ["Walking group"],
        "name and description together"
    );
    assert_eq!(
        found("men's shed").await,
        ["Men's Shed"],
        "punctuation is not a word"
    );
    assert_eq!(found("DROP-IN").await, ["Men's Shed"]);
    assert!(
        found("walking lifeboat").await.is_empty(),
        "every word is wanted"
    );
    assert_eq!(
        found("?!").await.len(),
        4,
        "no words at all searches for nothing in particular"
    );
    // A change of name is found by its new words and no longer by its old ones.
    store
        .update_listing(
            pcn,
            ids[2],
            &listing("Pavement chalk art", "For children and their grown-ups."),
            None,
            &audit(pcn, "listing"),
        )
        .await
        .unwrap();
    assert_eq!(found("pavement").await, ["Pavement chalk art"]);
    assert!(found("sidewalk").await.is_empty());
}

on_both!(services_are_found_by_distance_from_a_postcode_nearest_first);
async fn services_are_found_by_distance_from_a_postcode_nearest_first(store: DynStore) {
    use together_core::geo::Point;
    use together_core::listings::ListingForm;
    use together_store::directory::DirectoryFilter;
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let centroids = vec![
        ("HV1 1AA".to_owned(), 50.6150, -3.4130),
        ("HV1 2BB".to_owned(), 50.6190, -3.4100),
        ("HV2 4DD".to_owned(), 50.6300, -3.3900),
        ("HV9 9ZZ".to_owned(), 51.5000, -0.1200),
    ];
    assert_eq!(store.import_postcodes(&centroids).await.unwrap(), 4);
    assert_eq!(store.import_postcodes(&centroids).await.unwrap(), 4);
    assert_eq!(
        store.postcode_count().await.unwrap(),
        4,
        "importing again adds nothing"
    );
    let here = store.postcode_point("HV1 1AA").await.unwrap().unwrap();
    assert_eq!(
        here,
        Point {
            latitude: 50.615,
            longitude: -3.413
        }
    );
    assert!(store.postcode_point("ZZ1 1ZZ").await.unwrap().is_none());
    for (name, postcode) in [
        ("Quay walk", "HV1 1AA"),
        ("Church Lane food bank", "HV1 2BB"),
        ("Dock Road lunch club", "HV2 4DD"),
        ("London advice line", "HV9 9ZZ"),
    ] {
        let l = ListingForm::from_fields(
            &[
                ("name", name),
                ("description", "Somewhere to go."),
                ("organization", "Someone"),
                ("phone", "01632 960 456"),
                ("address", "1 Some Street"),
                ("postcode", postcode),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        )
        .parse()
        .unwrap();
        store
            .add_listing(pcn, &l, None, false, &audit(pcn, "listing"))
            .await
            .unwrap();
    }
    let near = |within: f64| DirectoryFilter {
        near: Some((here, within)),
        ..Default::default()
    };
    let (total, found) = store
        .directory_services(&near(3_000.0), 1, 10)
        .await
        .unwrap();
    let names: Vec<&str> = found.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(total, 3);
    assert_eq!(
        names,
        ["Quay walk", "Church Lane food bank", "Dock Road lunch club"]
    );
    assert_eq!(found[0].distance_m, Some(0.0));
    assert!(found[1].distance_m.unwrap() < found[2].distance_m.unwrap());
    assert_eq!(
        found[2].point,
        Some(Point {
            latitude: 50.63,
            longitude: -3.39
        })
    );
    let (total, page2) = store
        .directory_services(&near(3_000.0), 2, 2)
        .await
        .unwrap();
    assert_eq!(
        (total, page2.len()),
        (3, 1),
        "paged after sorting by distance"
    );
    assert_eq!(page2[0].name, "Dock Road lunch club");
    let (total, _) = store.directory_services(&near(500.0), 1, 10).await.unwrap();
    assert_eq!(total, 2);
    let words = DirectoryFilter {
        search: Some("food".into()),
        ..near(3_000.0)
    };
    assert_eq!(store.directory_services(&words, 1, 10).await.unwrap().0, 1);
    // Words match whatever their case, on both backends.
    let shouted = DirectoryFilter {
        search: Some("QUAY".into()),
        ..Default::default()
    };
    let (n, found) = store.directory_services(&shouted, 1, 10).await.unwrap();
    assert_eq!((n, found[0].name.as_str()), (1, "Quay walk"));
    // The organisations that run something published.
    let (n, orgs) = store.directory_organizations(None, 1, 10).await.unwrap();
    assert_eq!((n, orgs[0].name.as_str()), (1, "Someone"));
    assert!(store
        .directory_organization(&orgs[0].id)
        .await
        .unwrap()
        .is_some());
    assert!(store
        .directory_organization("nope")
        .await
        .unwrap()
        .is_none());
    assert_eq!(store.service_locations().await.unwrap().len(), 4);
}

async fn a_user(store: &DynStore, pcn: PcnId, name: &str, role: Role) -> together_core::UserId {
    store
        .create_user(
            &NewUser {
                pcn_id: pcn,
                email: format!("{}@harbourview.example", name.to_lowercase())
                    .parse()
                    .unwrap(),
                display_name: name.into(),
                role,
                practice_id: None,
                status: UserStatus::Active,
                password_hash: None,
            },
            &audit(pcn, "user"),
            NOW,
        )
        .await
        .unwrap()
}

on_both!(a_connection_moves_on_is_followed_up_and_keeps_the_person_on_a_caseload);
async fn a_connection_moves_on_is_followed_up_and_keeps_the_person_on_a_caseload(store: DynStore) {
    use together_core::connections::{
        DoneFollowUp, EndReason, NewConnection, NewStep, Source, Status, Target,
    };
    use together_store::connections::ConnectionFilter;
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let (_, florence) = a_person(&store, pcn, "Florence", &[]).await;
    let dave_champion = an_active_champion(&store, pcn, "Dave", true).await;
    let lena = a_user(&store, pcn, "Lena", Role::LinkWorker).await;
    let (singing, _) = a_monitor_to_lend(&store, pcn, dave_champion, "BP-1").await;
    let made_on = NOW.date() - time::Duration::days(20);
    let a = audit(pcn, "connection");
    let connect = |to: Target| NewConnection {
        to,
        source: Source::ClinicianSuggestion,
        made_on,
        note: "Loves to sing".into(),
    };
    let id = store
        .make_connection(
            pcn,
            florence,
            lena,
            &connect(Target::Service(singing)),
            &[14, 91],
            &a,
        )
        .await
        .unwrap();
    let scope = store
        .person_scope(pcn, florence, lena)
        .await
        .unwrap()
        .unwrap();
    assert!(
        scope.on_caseload,
        "a connection puts them on the maker's caseload"
    );
    // Someone cannot be connected to themselves, nor to a service that is not there.
    assert!(matches!(
        store
            .make_connection(
                pcn,
                florence,
                lena,
                &connect(Target::Person(florence)),
                &[14],
                &a
            )
            .await,
        Err(StoreError::Refused(_))
    ));
    assert!(matches!(
        store
            .make_connection(
                pcn,
                florence,
                lena,
                &connect(Target::Service(together_core::ServiceId::new())),
                &[14],
                &a
            )
            .await,
        Err(StoreError::NotFound("service"))
    ));
    let today = NOW.date();
    let list = |f: ConnectionFilter| {
        let store = store.clone();
        async move {
            store
                .connections(pcn, &f, today, &audit(pcn, "connections"))
                .await
                .unwrap()
        }
    };
    let due = list(ConnectionFilter {
        made_by: Some(lena),
        due_by: Some(today),
        ..Default::default()
    })
    .await;
    assert_eq!(due.len(), 1, "the two-week follow-up is due (and missed)");
    assert_eq!(due[0].person_label, "Florence A.");
    assert_eq!(due[0].to_name, "Home blood pressure monitors");
    assert_eq!(due[0].missed, 1);
    assert_eq!(
        due[0].next_follow_up,
        Some(made_on + time::Duration::days(14))
    );
    // It moves on; not backwards, and not before it was made.
    let step = |status, on, reason| NewStep {
        status,
        on,
        reason,
        note: String::new(),
    };
    store
        .move_connection(
            pcn,
            id,
            &step(Status::WentAlong, made_on + time::Duration::days(3), None),
            &a,
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .move_connection(pcn, id, &step(Status::Contacted, today, None), &a)
            .await,
        Err(StoreError::Refused(_))
    ));
    assert!(matches!(
        store
            .move_connection(
                pcn,
                id,
                &step(Status::KeepsGoing, made_on - time::Duration::days(1), None),
                &a
            )
            .await,
        Err(StoreError::Refused(_))
    ));
    // The follow-up is done, and cannot be dated before the connection.
    let record = store.connection(pcn, id, &a).await.unwrap();
    assert_eq!(record.follow_ups.len(), 2);
    let first = record.follow_ups[0].id;
    assert!(matches!(
        store
            .do_follow_up(
                pcn,
                first,
                &DoneFollowUp {
                    done_on: made_on - time::Duration::days(1),
                    note: String::new()
                },
                &a
            )
            .await,
        Err(StoreError::Refused(_))
    ));
    store
        .do_follow_up(
            pcn,
            first,
            &DoneFollowUp {
                done_on: today,
                note: "Going every week".into(),
            },
            &a,
        )
        .await
        .unwrap();
    let record = store.connection(pcn, id, &a).await.unwrap();
    assert_eq!(
        record.steps.iter().map(|s| s.status).collect::<Vec<_>>(),
        [Status::Suggested, Status::WentAlong]
    );
    assert_eq!(record.connection.missed, 0);
    assert_eq!(
        record.connection.next_follow_up,
        Some(made_on + time::Duration::days(91))
    );
    assert!(list(ConnectionFilter {
        due_by: Some(today),
        ..Default::default()
    })
    .await
    .is_empty());
    // A connection to a champion too; ending one keeps the person on the caseload while the
    // other is open, and ending both takes them off.
    let with_dave = store
        .make_connection(
            pcn,
            florence,
            lena,
            &connect(Target::Champion(dave_champion)),
            &[14],
            &a,
        )
        .await
        .unwrap();
    assert_eq!(
        list(ConnectionFilter {
            person: Some(florence),
            ..Default::default()
        })
        .await
        .len(),
        2
    );
    store
        .move_connection(
            pcn,
            id,
            &step(Status::Ended, today, Some(EndReason::NoLongerNeeded)),
            &a,
        )
        .await
        .unwrap();
    assert!(
        store
            .person_scope(pcn, florence, lena)
            .await
            .unwrap()
            .unwrap()
            .on_caseload
    );
    store
        .move_connection(
            pcn,
            with_dave,
            &step(Status::Ended, today, Some(EndReason::DidNotSuit)),
            &a,
        )
        .await
        .unwrap();
    assert!(
        !store
            .person_scope(pcn, florence, lena)
            .await
            .unwrap()
            .unwrap()
            .on_caseload
    );
    let ended = list(ConnectionFilter {
        person: Some(florence),
        ..Default::default()
    })
    .await;
    assert!(ended
        .iter()
        .all(|c| c.status == Status::Ended && c.next_follow_up.is_none()));
    assert!(list(ConnectionFilter {
        open_only: true,
        ..Default::default()
    })
    .await
    .is_empty());
    // Another PCN reaches none of it.
    let other = store.create_pcn("Elsewhere PCN", None, NOW).await.unwrap();
    assert!(matches!(
        store
            .connection(other, id, &audit(other, "connection"))
            .await,
        Err(StoreError::NotFound("connection"))
    ));
}

on_both!(a_register_mark_moves_a_connection_on_by_itself);
async fn a_register_mark_moves_a_connection_on_by_itself(store: DynStore) {
    use together_core::connections::{NewConnection, Source, Status, Target};
    use together_core::offers::{NewRegister, SessionForm};
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let (_, florence) = a_person(
        &store,
        pcn,
        "Florence",
        &[ConsentPurpose::ShareWithChampions],
    )
    .await;
    let lead = an_active_champion(&store, pcn, "Dave", true).await;
    let (offer, _) = a_monitor_to_lend(&store, pcn, lead, "BP-9").await;
    let lena = a_user(&store, pcn, "Lena", Role::LinkWorker).await;
    let a = audit(pcn, "connection");
    let made_on = NOW.date() - Duration::days(14);
    let id = store
        .make_connection(
            pcn,
            florence,
            lena,
            &NewConnection {
                to: Target::Service(offer),
                source: Source::CohortInvitation,
                made_on,
                note: String::new(),
            },
            &[14],
            &a,
        )
        .await
        .unwrap();
    assert_eq!(
        store.regulars(pcn, offer).await.unwrap(),
        ["Florence A."],
        "the lead sees who is expected, to tick"
    );
    let session_on = |days_ago: i64| SessionForm {
        on: (NOW.date() - Duration::days(days_ago)).to_string(),
        opens_at: "10:00".into(),
        closes_at: "11:00".into(),
        ..Default::default()
    };
    let mut sessions = Vec::new();
    for days_ago in [7, 0] {
        let form = session_on(days_ago).parse(made_on).unwrap();
        sessions.push(
            store
                .add_offer_session(pcn, offer, &form, &a)
                .await
                .unwrap(),
        );
    }
    let came = NewRegister {
        came: vec!["Florence A.".into(), "Bill T.".into()],
        others: 2,
    };
    let status = || {
        let store = store.clone();
        async move {
            store
                .connection(pcn, id, &audit(pcn, "connection"))
                .await
                .unwrap()
        }
    };
    store
        .save_register(pcn, sessions[0], Some(lead), &came, &a)
        .await
        .unwrap();
    let first = status().await;
    assert_eq!(first.connection.status, Status::WentAlong);
    assert_eq!(first.connection.status_on, NOW.date() - Duration::days(7));
    assert_eq!(first.steps.last().unwrap().recorded_by, "register");
    // The same register again (a phone resending it) changes nothing.
    store
        .save_register(pcn, sessions[0], Some(lead), &came, &a)
        .await
        .unwrap();
    assert_eq!(status().await.steps.len(), 2);
    // Coming again on a later day: she keeps going.
    store
        .save_register(pcn, sessions[1], Some(lead), &came, &a)
        .await
        .unwrap();
    assert_eq!(status().await.connection.status, Status::KeepsGoing);
    assert!(
        store
            .regulars(pcn, offer)
            .await
            .unwrap()
            .contains(&"Florence A.".to_owned()),
        "she is among those who came before"
    );
}

on_both!(a_champions_connection_for_someone_new_reaches_the_link_workers_until_consent_goes);
async fn a_champions_connection_for_someone_new_reaches_the_link_workers_until_consent_goes(
    store: DynStore,
) {
    use together_core::connections::{NewConnection, Source, Target};
    use together_store::connections::ConnectionFilter;
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let (practice, mabel) = a_person(&store, pcn, "Mabel", &[]).await;
    let dave = a_user(&store, pcn, "Dave", Role::Champion).await;
    let lena = a_user(&store, pcn, "Lena", Role::LinkWorker).await;
    let omar = a_user(&store, pcn, "Omar", Role::LinkWorker).await;
    let lead = an_active_champion(&store, pcn, "Sue", true).await;
    let (singing, _) = a_monitor_to_lend(&store, pcn, lead, "BP-7").await;
    let met = |practice: together_core::PracticeId| {
        PersonForm {
            given_name: "Florence".into(),
            family_name: "Ashworth".into(),
            date_of_birth: "27/3/1933".into(),
            practice_id: practice.to_string(),
            contact_preference: "text".into(),
            phone: "07700 900983".into(),
            email: String::new(),
            nhs_number: String::new(),
            what_matters: String::new(),
        }
        .parse(NOW)
        .unwrap()
    };
    let connection = NewConnection {
        to: Target::Service(singing),
        source: Source::CommunityEvent,
        made_on: NOW.date(),
        note: "Met at the library stall; loves to sing".into(),
    };
    let a = audit(pcn, "connect_someone_new");
    // A practice of another PCN: nothing at all is kept.
    let elsewhere = store.create_pcn("Elsewhere PCN", None, NOW).await.unwrap();
    let (far_practice, _) = a_person(&store, elsewhere, "Zed", &[]).await;
    assert!(matches!(
        store
            .connect_someone_new(pcn, &met(far_practice), dave, &connection, &[14, 91], &a)
            .await,
        Err(StoreError::NotFound("practice"))
    ));
    let people = |store: DynStore| async move {
        store
            .find_people(pcn, None, "Florence", &audit(pcn, "find"))
            .await
            .unwrap()
            .len()
    };
    assert_eq!(people(store.clone()).await, 0, "no half-kept person");
    let (florence, id) = store
        .connect_someone_new(pcn, &met(practice), dave, &connection, &[14, 91], &a)
        .await
        .unwrap();
    assert_eq!(people(store.clone()).await, 1);
    // The consent the champion asked for is kept, given verbally, by the champion.
    let consents = store.consents(florence).await.unwrap();
    let mut purposes: Vec<_> = consents.iter().map(|c| c.purpose.as_str()).collect();
    purposes.sort();
    assert_eq!(purposes, ["contact", "share_with_champions"]);
    assert!(consents
        .iter()
        .all(|c| c.method == "verbal" && c.withdrawn_at.is_none()));
    // The policy's facts: the champion made it; it waits for a link worker.
    let scope = |user| {
        let store = store.clone();
        async move {
            store
                .connection_scope(pcn, id, user)
                .await
                .unwrap()
                .unwrap()
        }
    };
    let by_dave = scope(dave).await;
    assert_eq!((by_dave.made_by, by_dave.practice_id), (dave, practice));
    assert!(by_dave.made_by_champion && by_dave.shared_with_champions);
    let by_lena = scope(lena).await;
    assert!(by_lena.made_by_champion && !by_lena.on_caseload);
    // Every link worker's list holds the champion's connection, due in two weeks.
    let today = NOW.date();
    let list = |f: ConnectionFilter, today: time::Date| {
        let store = store.clone();
        async move {
            store
                .connections(pcn, &f, today, &audit(pcn, "connections"))
                .await
                .unwrap()
        }
    };
    let lenas = |due_by| ConnectionFilter {
        followed_up_by: Some(lena),
        open_only: true,
        due_by,
        ..ConnectionFilter::default()
    };
    let found = list(lenas(None), today).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].person_label, "Florence A.");
    assert_eq!(found[0].reach, "Text message: 07700 900983");
    assert_eq!(found[0].next_follow_up, Some(today + Duration::days(14)));
    assert!(
        list(lenas(Some(today)), today).await.is_empty(),
        "not due yet"
    );
    let later = today + Duration::days(15);
    let due = list(lenas(Some(later)), later).await;
    assert_eq!(
        (due.len(), due[0].missed),
        (1, 1),
        "due, and missed a day later"
    );
    // A colleague's connection of someone not on Lena's caseload is not on her list, until
    // she takes that person on.
    let omars = store
        .make_connection(pcn, mabel, omar, &connection, &[14], &a)
        .await
        .unwrap();
    let ids = |found: Vec<together_store::connections::Connection>| {
        found.into_iter().map(|c| c.id).collect::<Vec<_>>()
    };
    assert_eq!(ids(list(lenas(None), today).await), [id]);
    let omar_by_florence = store
        .make_connection(pcn, florence, omar, &connection, &[14], &a)
        .await
        .unwrap();
    assert_eq!(
        ids(list(lenas(None), today).await),
        [id],
        "Florence is not Lena's yet"
    );
    assert_eq!(store.take_on(pcn, id, lena, &a).await.unwrap(), florence);
    assert!(scope(lena).await.on_caseload);
    let mut hers = ids(list(lenas(None), today).await);
    hers.sort();
    let mut expected = vec![id, omar_by_florence];
    expected.sort();
    assert_eq!(
        hers, expected,
        "everything open for the people on her caseload"
    );
    assert!(!hers.contains(&omars));
    // Withdrawing consent hides Florence from the champion's list at once.
    let daves = ConnectionFilter {
        made_by: Some(dave),
        shared_only: true,
        ..ConnectionFilter::default()
    };
    assert_eq!(list(daves.clone(), today).await.len(), 1);
    store
        .withdraw_consents(florence, lena, &audit(pcn, "withdraw"))
        .await
        .unwrap();
    assert!(list(daves, today).await.is_empty());
    assert!(!scope(dave).await.shared_with_champions);
}

on_both!(wellbeing_is_kept_per_connection_and_a_link_is_answered_once);
async fn wellbeing_is_kept_per_connection_and_a_link_is_answered_once(store: DynStore) {
    use together_core::connections::{NewConnection, Source, Target};
    use together_core::wellbeing::{Answers, Loneliness, NewWellbeing, Occasion};
    use together_store::wellbeing::{LinkState, NewLink};
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let (_, florence) = a_person(&store, pcn, "Florence", &[ConsentPurpose::Contact]).await;
    let lena = a_user(&store, pcn, "Lena", Role::LinkWorker).await;
    let lead = an_active_champion(&store, pcn, "Sue", true).await;
    let (singing, _) = a_monitor_to_lend(&store, pcn, lead, "BP-9").await;
    let a = audit(pcn, "wellbeing");
    let made_on = NOW.date() - Duration::days(30);
    let connection = store
        .make_connection(
            pcn,
            florence,
            lena,
            &NewConnection {
                to: Target::Service(singing),
                source: Source::Themselves,
                made_on,
                note: String::new(),
            },
            &[14],
            &a,
        )
        .await
        .unwrap();
    let answers = |ons4, lonely| Answers {
        ons4: Some(ons4),
        lonely: Some(lonely),
        ..Answers::default()
    };
    let at = |occasion, answered_on, a| NewWellbeing {
        occasion,
        answered_on,
        answers: a,
    };
    // Not before the connection was made.
    assert!(matches!(
        store
            .record_wellbeing(
                pcn,
                connection,
                &at(
                    Occasion::Baseline,
                    made_on - Duration::days(1),
                    answers([3, 4, 4, 8], Loneliness::OftenOrAlways)
                ),
                &a
            )
            .await,
        Err(StoreError::Refused(_))
    ));
    store
        .record_wellbeing(
            pcn,
            connection,
            &at(
                Occasion::Baseline,
                made_on,
                answers([3, 4, 4, 8], Loneliness::OftenOrAlways),
            ),
            &a,
        )
        .await
        .unwrap();
    // A link needs her agreement to be asked how she is.
    let link = |secret: &str| NewLink {
        token_hash: format!("hash-of-{secret}"),
        occasion: Occasion::FollowUp,
        expires_at: NOW + Duration::days(14),
        subject: "How are you getting on?".into(),
        body: "Hello {name}, how are you? https://example.org/wellbeing?token=secret".into(),
    };
    assert!(matches!(
        store
            .issue_wellbeing_link(pcn, connection, &link("one"), &a)
            .await,
        Err(StoreError::Refused(_))
    ));
    assert_eq!(
        store.wellbeing_link("hash-of-one", NOW).await.unwrap(),
        LinkState::Unknown,
        "nothing kept"
    );
    store
        .add_consent(
            florence,
            ConsentPurpose::WellbeingFollowUp,
            ConsentMethod::Verbal,
            lena,
            &a,
        )
        .await
        .unwrap();
    store
        .issue_wellbeing_link(pcn, connection, &link("one"), &a)
        .await
        .unwrap();
    let sent = store.messages(Some(pcn), 10).await.unwrap();
    assert!(
        sent.iter().any(|m| m.channel == "sms"
            && m.recipient == "07700 900982"
            && m.body.starts_with("Hello Florence,")),
        "{sent:?}"
    );
    match store.wellbeing_link("hash-of-one", NOW).await.unwrap() {
        LinkState::Open {
            given_name,
            occasion,
            since,
            ..
        } => {
            assert_eq!(
                (given_name.as_str(), occasion, since),
                ("Florence", Occasion::FollowUp, made_on)
            )
        }
        other => panic!("{other:?}"),
    }
    // Answered once; the second time is refused and keeps nothing.
    let later = answers([6, 6, 7, 4], Loneliness::Occasionally);
    store
        .answer_by_link("hash-of-one", &later, NOW.date(), &a)
        .await
        .unwrap();
    assert!(matches!(
        store
            .answer_by_link("hash-of-one", &later, NOW.date(), &a)
            .await,
        Err(StoreError::Refused(_))
    ));
    assert_eq!(
        store.wellbeing_link("hash-of-one", NOW).await.unwrap(),
        LinkState::Used
    );
    // A link past its day is expired, and cannot be answered.
    store
        .issue_wellbeing_link(pcn, connection, &link("two"), &a)
        .await
        .unwrap();
    let after = NOW + Duration::days(15);
    assert_eq!(
        store.wellbeing_link("hash-of-two", after).await.unwrap(),
        LinkState::Expired
    );
    let late = NewAuditEvent {
        at: after,
        ..a.clone()
    };
    assert!(matches!(
        store
            .answer_by_link("hash-of-two", &later, after.date(), &late)
            .await,
        Err(StoreError::Refused(_))
    ));
    let kept = store.wellbeing_of(pcn, florence, &a).await.unwrap();
    assert_eq!(kept.len(), 2);
    assert_eq!(
        (kept[0].occasion, kept[0].by_themselves),
        (Occasion::Baseline, false)
    );
    assert_eq!((kept[1].answers, kept[1].by_themselves), (later, true));
    // The offer's first-and-latest pairs hold her change.
    assert_eq!(
        store.offer_wellbeing(pcn, singing).await.unwrap(),
        [(kept[0].answers, later)]
    );
    // Withdrawing consent stops the links.
    store.withdraw_consents(florence, lena, &a).await.unwrap();
    assert!(matches!(
        store
            .issue_wellbeing_link(pcn, connection, &link("three"), &a)
            .await,
        Err(StoreError::Refused(_))
    ));
}

on_both!(a_referral_is_received_then_decided_once_and_opens_a_caseload);
async fn a_referral_is_received_then_decided_once_and_opens_a_caseload(store: DynStore) {
    use together_core::referrals::{Decided, NewReferral, ReferralStatus};
    use together_store::referrals::ReferralFilter;
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let (practice, florence) = a_person(&store, pcn, "Florence", &[]).await;
    let lena = a_user(&store, pcn, "Lena", Role::LinkWorker).await;
    let a = audit(pcn, "referral");
    let received_on = NOW.date() - Duration::days(3);
    let id = store
        .add_referral(
            pcn,
            florence,
            lena,
            &NewReferral {
                referrer: "Dr Okafor".into(),
                reason: "Lonely since her husband died".into(),
                received_on,
            },
            &a,
        )
        .await
        .unwrap();
    assert!(
        store
            .person_scope(pcn, florence, lena)
            .await
            .unwrap()
            .unwrap()
            .on_caseload
    );
    assert_eq!(
        store.referral_scope(pcn, id).await.unwrap(),
        Some((florence, received_on))
    );
    let elsewhere = store.create_pcn("Elsewhere PCN", None, NOW).await.unwrap();
    assert_eq!(store.referral_scope(elsewhere, id).await.unwrap(), None);
    let coded = |store: DynStore| async move {
        store
            .referrals(
                pcn,
                &ReferralFilter {
                    practice: Some(practice),
                    decided_only: true,
                    ..ReferralFilter::default()
                },
                &audit(pcn, "coding"),
            )
            .await
            .unwrap()
    };
    assert!(
        coded(store.clone()).await.is_empty(),
        "only received: nothing to code"
    );
    let early = Decided {
        status: ReferralStatus::Accepted,
        on: received_on - Duration::days(1),
    };
    assert!(matches!(
        store.decide_referral(pcn, id, &early, &a).await,
        Err(StoreError::Refused(_))
    ));
    let accepted = Decided {
        status: ReferralStatus::Accepted,
        on: NOW.date(),
    };
    store.decide_referral(pcn, id, &accepted, &a).await.unwrap();
    let declined = Decided {
        status: ReferralStatus::Declined,
        ..accepted
    };
    assert!(
        matches!(
            store.decide_referral(pcn, id, &declined, &a).await,
            Err(StoreError::Refused(_))
        ),
        "decided once"
    );
    let list = coded(store.clone()).await;
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0].status, list[0].decided_on),
        (ReferralStatus::Accepted, Some(NOW.date()))
    );
    assert_eq!(
        (list[0].given_name.as_str(), list[0].referrer.as_str()),
        ("Florence", "Dr Okafor")
    );
}

#[path = "store/people.rs"]
mod people;

#[path = "store/invitations.rs"]
mod invitations;

#[path = "store/champions_reach.rs"]
mod champions_reach;

#[path = "store/impact.rs"]
mod impact;
