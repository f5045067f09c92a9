//! Offers, their sessions and rotas, and the training a workshop gives and takes back.

use super::*;
use together_core::audit::AuditAction;

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
    let a = audit(pcn, AuditAction::Setup);
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
            .add_offer(other, &form(&[]), &audit(other, AuditAction::Setup))
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
        Err(StoreError::Refused(why)) => {
            assert!(why.to_string().contains("after the offer ends"), "{why}")
        }
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
        Err(StoreError::Refused(why)) => assert!(why.to_string().contains("Walk leader"), "{why}"),
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
        Err(StoreError::Refused(why)) => assert!(why.to_string().contains("full"), "{why}"),
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
        Err(StoreError::Refused(why)) => assert!(why.to_string().contains("on the day"), "{why}"),
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
    let a = audit(pcn, AuditAction::Setup);
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
