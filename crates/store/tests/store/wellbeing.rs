//! Wellbeing kept per connection, and a one-time link answered once.

use super::*;
use together_core::audit::AuditAction;

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
    let a = audit(pcn, AuditAction::Setup);
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
