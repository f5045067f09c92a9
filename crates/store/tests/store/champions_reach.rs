//! A property over random records: whatever people, connections and consents there are, a
//! champion's list holds exactly the connections they made whose person still agrees to
//! champions knowing them, and never a last name. (SQLite only: each case is a fresh database,
//! and the query is the one both backends share; the HTTP role matrix runs on both.)

use super::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use together_core::audit::AuditAction;
use together_core::connections::{NewConnection, Source, Target};
use together_store::connections::ConnectionFilter;

/// Who made a connection: champion A, champion B, or a link worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Maker {
    A,
    B,
    Worker,
}

#[test]
fn a_champion_reaches_only_the_people_they_connected_while_they_agree() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let record = (
        prop_oneof![Just(Maker::A), Just(Maker::B), Just(Maker::Worker)],
        any::<bool>(),
    );
    let mut runner = TestRunner::new(Config {
        cases: 16,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&prop::collection::vec(record, 1..7), |records| {
            rt.block_on(check(records));
            Ok(())
        })
        .unwrap();
}

async fn check(records: Vec<(Maker, bool)>) {
    let dir = tempfile::tempdir().unwrap();
    let store = fresh_sqlite(dir.path()).await.unwrap();
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let a = audit(pcn, AuditAction::Setup);
    let dave = a_user(&store, pcn, "Dave", Role::Champion).await;
    let sue = a_user(&store, pcn, "Sue", Role::Champion).await;
    let lena = a_user(&store, pcn, "Lena", Role::LinkWorker).await;
    let lead = an_active_champion(&store, pcn, "Lead", true).await;
    let (singing, _) = a_monitor_to_lend(&store, pcn, lead, "BP-1").await;
    let (practice, _) = a_person(&store, pcn, "Anchor", &[]).await;
    let connection = NewConnection {
        to: Target::Service(singing),
        source: Source::CommunityEvent,
        made_on: NOW.date(),
        note: String::new(),
    };
    let mut expected = Vec::new();
    for (i, (maker, withdrawn)) in records.iter().enumerate() {
        let person = PersonForm {
            given_name: format!("Person{i}"),
            family_name: format!("Zedwards{i}"),
            date_of_birth: "1941-05-02".into(),
            practice_id: practice.to_string(),
            contact_preference: "text".into(),
            phone: "07700 900982".into(),
            ..PersonForm::default()
        }
        .parse(NOW)
        .unwrap();
        let id = match maker {
            Maker::A | Maker::B => {
                let by = if *maker == Maker::A { dave } else { sue };
                store
                    .connect_someone_new(pcn, &person, by, &connection, &[14], &a)
                    .await
                    .unwrap()
                    .1
            }
            Maker::Worker => {
                let p = store
                    .create_person(pcn, &person, None, Some(lena), &a)
                    .await
                    .unwrap();
                // Even agreeing to champions knowing them does not put them in a champion's
                // reach: only the champion's own connections are.
                store
                    .add_consent(
                        p,
                        ConsentPurpose::ShareWithChampions,
                        ConsentMethod::Verbal,
                        lena,
                        &a,
                    )
                    .await
                    .unwrap();
                store
                    .make_connection(pcn, p, lena, &connection, &[14], &a)
                    .await
                    .unwrap()
            }
        };
        if *withdrawn {
            let person = store
                .connections(pcn, &ConnectionFilter::default(), NOW.date(), &a)
                .await
                .unwrap()
                .into_iter()
                .find(|c| c.id == id)
                .unwrap()
                .person_id;
            store.withdraw_consents(person, lena, &a).await.unwrap();
        }
        if *maker == Maker::A && !withdrawn {
            expected.push(id);
        }
    }
    let mut seen: Vec<_> = store
        .connections(
            pcn,
            &ConnectionFilter {
                made_by: Some(dave),
                shared_only: true,
                ..ConnectionFilter::default()
            },
            NOW.date(),
            &a,
        )
        .await
        .unwrap();
    for c in &seen {
        assert!(
            !c.person_label.contains("Zedwards") && !c.reach.contains("1941"),
            "a champion sees first name and initial and how to reach them only: {c:?}"
        );
    }
    seen.sort_by_key(|c| c.id.to_string());
    expected.sort_by_key(|id| id.to_string());
    assert_eq!(
        seen.iter().map(|c| c.id).collect::<Vec<_>>(),
        expected,
        "{records:?}"
    );
}
