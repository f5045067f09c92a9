//! Connections: moving on, followed up, registered by a mark, and a champion's connection for
//! someone new reaching the link workers.

use super::*;
use together_core::audit::AuditAction;

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
    let a = audit(pcn, AuditAction::Setup);
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
                .connections(pcn, &f, today, &audit(pcn, AuditAction::Setup))
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
            .connection(other, id, &audit(other, AuditAction::Setup))
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
    let a = audit(pcn, AuditAction::Setup);
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
                .connection(pcn, id, &audit(pcn, AuditAction::Setup))
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
    let a = audit(pcn, AuditAction::ConnectSomeoneNew);
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
            .find_people(pcn, None, "Florence", &audit(pcn, AuditAction::Setup))
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
                .connections(pcn, &f, today, &audit(pcn, AuditAction::Setup))
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
        .withdraw_consents(florence, lena, &audit(pcn, AuditAction::Setup))
        .await
        .unwrap();
    assert!(list(daves, today).await.is_empty());
    assert!(!scope(dave).await.shared_with_champions);
}
