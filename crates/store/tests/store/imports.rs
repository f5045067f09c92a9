//! Imports are recorded once, replaced and deleted; cohorts are saved by name.

use super::*;
use together_core::audit::AuditAction;

on_both!(imports_are_recorded_once_replaced_and_deleted);
async fn imports_are_recorded_once_replaced_and_deleted(store: DynStore) {
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let a = audit(pcn, AuditAction::Import);
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
    let a = audit(pcn, AuditAction::SaveCohort);
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
