//! Equipment loans: monitors kept safe and readings kept for the clinician.

use super::*;
use together_core::audit::AuditAction;

on_both!(loans_keep_monitors_safe_and_readings_for_the_clinician);
async fn loans_keep_monitors_safe_and_readings_for_the_clinician(store: DynStore) {
    use together_core::loans::{CleaningForm, ItemForm, LoanForm, ReturnForm};
    use together_store::loans::LoanFilter;
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let other = store.create_pcn("Elsewhere PCN", None, NOW).await.unwrap();
    let a = audit(pcn, AuditAction::Setup);
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
        matches!(&dup, Err(StoreError::Refused(m)) if m.to_string().contains("20231104LG")),
        "{dup:?}"
    );
    assert!(matches!(
        store
            .add_item(
                other,
                &item.parse().unwrap(),
                &audit(other, AuditAction::Setup)
            )
            .await,
        Err(StoreError::NotFound("offer"))
    ));
    item.serial = "ELSEWHERE-1".into();
    item.offer_id = String::new();
    store
        .add_item(
            other,
            &item.parse().unwrap(),
            &audit(other, AuditAction::Setup),
        )
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
        matches!(&refused, Err(StoreError::Refused(m)) if m.to_string().contains("does not lead")),
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
        matches!(&twice, Err(StoreError::Refused(m)) if m.to_string().contains("out on loan")),
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
        matches!(&dirty, Err(StoreError::Refused(m)) if m.to_string().contains("cleaned")),
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
        .bp_readings(other, florence, &audit(other, AuditAction::Setup))
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
