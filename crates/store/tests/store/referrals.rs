//! Referrals received, decided once, opening a caseload.

use super::*;
use together_core::audit::AuditAction;

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
    let a = audit(pcn, AuditAction::Setup);
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
                &audit(pcn, AuditAction::Setup),
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
