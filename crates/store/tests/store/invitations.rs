//! Invitations from a cohort, told to both backends: invited once each, answered once, a "yes"
//! from someone the PCN already knows finds their record rather than making another, and
//! someone connected to the offer already is neither invited again nor connected twice.

use super::*;
use together_core::audit::AuditAction;
use together_core::connections::{ConnectionForm, Source, Status, Target};
use together_core::invitations::{Answer, Answered, Channel, Yes};
use together_store::invitations::{Invited, Invitee};

on_both!(a_cohort_is_invited_once_and_each_answer_recorded_once);
async fn a_cohort_is_invited_once_and_each_answer_recorded_once(store: DynStore) {
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let a = audit(pcn, AuditAction::Setup);
    let (practice, florence) = a_person(&store, pcn, "Florence", &[]).await;
    let lead = an_active_champion(&store, pcn, "Sue", true).await;
    let (singing, _) = a_monitor_to_lend(&store, pcn, lead, "BP-7").await;
    let gp = a_user(&store, pcn, "Okafor", Role::Clinician).await;
    let mut cohorts = Vec::new();
    for name in ["Over-65s", "Carers", "Walkers"] {
        let new = NewCohort {
            pcn_id: pcn,
            name: name.into(),
            definition: "{}".into(),
        };
        cohorts.push(store.save_cohort(&new, &a).await.unwrap());
    }
    let [cohort, carers, walkers] = <[String; 3]>::try_from(cohorts).unwrap();
    // Florence is known to the PCN already, through her NHS number's pseudonym.
    let (hers, known) = link_pseudonym(&store, pcn, florence, practice, "999 000 0018").await;
    let key = PseudonymKey::new(1, vec![7; 32]).unwrap();
    let stranger = key.pseudonymise(&"999 000 0026".parse().unwrap());
    let invitee = |p: &together_core::Pseudonym, channel| Invitee {
        pseudonym: p.as_str().to_owned(),
        channel,
        message: (channel == Channel::Text).then(|| NewMessage {
            pcn_id: Some(pcn),
            person: None,
            channel: together_store::Channel::Sms,
            recipient: "07700 900982".into(),
            subject: "An invitation".into(),
            body: "We'd love you to join us".into(),
            now: NOW,
        }),
    };
    let both = [
        invitee(&hers, Channel::Text),
        invitee(&stranger, Channel::Letter),
    ];
    let invited = |n| Invited {
        invited: n,
        already_connected: 0,
    };
    assert_eq!(
        store
            .invite(pcn, &cohort, practice, singing, &both, &a)
            .await
            .unwrap(),
        invited(2)
    );
    assert_eq!(
        store
            .invite(pcn, &cohort, practice, singing, &both, &a)
            .await
            .unwrap(),
        invited(0),
        "nobody is invited twice by one cohort"
    );
    // Another cohort invites them to the same offer before either answers.
    assert_eq!(
        store
            .invite(pcn, &carers, practice, singing, &both, &a)
            .await
            .unwrap(),
        invited(2)
    );
    assert_eq!(store.messages(Some(pcn), 10).await.unwrap().len(), 2);
    let list = store.invitations(pcn, &cohort, practice).await.unwrap();
    assert_eq!(list.len(), 2);
    let theirs = list.iter().find(|i| i.pseudonym == hers.as_str()).unwrap();
    assert_eq!(theirs.channel, Channel::Text);
    assert_eq!(theirs.service_name, "Home blood pressure monitors");

    let connection = ConnectionForm {
        to: Target::Service(singing).key(),
        source: Source::CohortInvitation.as_str().into(),
        made_on: String::new(),
        note: String::new(),
    }
    .parse(NOW.date())
    .unwrap();
    let yes = Answered {
        answer: Answer::Yes,
        on: NOW.date(),
        yes: Some(Yes {
            contact_preference: together_core::people::ContactPreference::Letter,
            consents: vec![ConsentPurpose::Contact],
            method: ConsentMethod::Written,
            connection,
            what_matters: String::new(),
        }),
    };
    // A yes without who said it is refused, and keeps nothing.
    assert!(matches!(
        store
            .answer_invitation(pcn, theirs.id, &yes, None, gp, &[14], &a)
            .await,
        Err(StoreError::Refused(_))
    ));
    let (person, made) = store
        .answer_invitation(pcn, theirs.id, &yes, Some(&known), gp, &[14], &a)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        person, florence,
        "someone already known keeps their one record"
    );
    let connections = connections_of(&store, pcn, florence, &a).await;
    assert_eq!(connections.len(), 1);
    assert_eq!(connections[0].id, made);
    assert_eq!(
        (connections[0].source, connections[0].status),
        (Source::CohortInvitation, Status::Suggested)
    );
    assert!(matches!(
        store
            .answer_invitation(pcn, theirs.id, &yes, Some(&known), gp, &[14], &a)
            .await,
        Err(StoreError::Refused(_))
    ));
    // Her yes to the other cohort's invitation finds the connection she has: not a second one.
    let from_carers = store.invitations(pcn, &carers, practice).await.unwrap();
    let second = from_carers
        .iter()
        .find(|i| i.pseudonym == hers.as_str())
        .unwrap();
    assert_eq!(
        store
            .answer_invitation(pcn, second.id, &yes, Some(&known), gp, &[14], &a)
            .await
            .unwrap(),
        Some((florence, made))
    );
    assert_eq!(connections_of(&store, pcn, florence, &a).await.len(), 1);
    assert_eq!(
        store
            .invitation(pcn, second.id)
            .await
            .unwrap()
            .unwrap()
            .connection_id,
        Some(made)
    );
    // Now she is connected, a third cohort's invitation to that offer passes her by.
    assert_eq!(
        store
            .invite(pcn, &walkers, practice, singing, &both, &a)
            .await
            .unwrap(),
        Invited {
            invited: 1,
            already_connected: 1
        }
    );
    let other = list
        .iter()
        .find(|i| i.pseudonym == stranger.as_str())
        .unwrap();
    let no = Answered {
        answer: Answer::NoReply,
        on: NOW.date(),
        yes: None,
    };
    assert_eq!(
        store
            .answer_invitation(pcn, other.id, &no, None, gp, &[14], &a)
            .await
            .unwrap(),
        None
    );
    let after = store.invitation(pcn, other.id).await.unwrap().unwrap();
    assert_eq!(
        (after.answer, after.person_id),
        (Some(Answer::NoReply), None)
    );
}
