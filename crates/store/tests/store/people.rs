//! People: consent recorded and every read audited, details changed, spreadsheets imported,
//! duplicates merged with both histories kept, buddies who agreed to be asked, and messages
//! withheld once consent goes. Told to both backends like the rest of the store's story.

use super::*;
use together_core::audit::AuditAction;
use together_core::connections::{NewConnection, Source, Target};
use together_core::people::NewPerson;
use together_core::referrals::NewReferral;

fn details(practice: together_core::PracticeId, given: &str, nhs: &str) -> NewPerson {
    PersonForm {
        given_name: given.into(),
        family_name: "Ashworth".into(),
        date_of_birth: "27/03/1933".into(),
        practice_id: practice.to_string(),
        contact_preference: "phone".into(),
        phone: "07700 900982".into(),
        nhs_number: nhs.into(),
        ..PersonForm::default()
    }
    .parse(NOW)
    .unwrap()
}

fn pseudonym(p: &NewPerson) -> Option<together_core::Pseudonym> {
    let key = PseudonymKey::new(1, vec![7; 32]).unwrap();
    p.nhs_number.as_ref().map(|n| key.pseudonymise(n))
}

on_both!(people_are_changed_imported_and_merged_keeping_both_histories);
async fn people_are_changed_imported_and_merged_keeping_both_histories(store: DynStore) {
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let (practice, florence) = a_person(&store, pcn, "Florence", &[]).await;
    let a = audit(pcn, AuditAction::Setup);

    // Changing details: what matters is kept, an NHS number given later links the record, and
    // a different one is refused rather than quietly relinking it.
    let mut changed = details(practice, "Florence", "999 000 0018");
    changed.what_matters = "Singing again, and company on Tuesdays".into();
    changed.phone = Some("07700 900111".into());
    store
        .update_person(pcn, florence, &changed, pseudonym(&changed).as_ref(), &a)
        .await
        .unwrap();
    let read = store.read_person(pcn, florence, &a).await.unwrap().unwrap();
    assert_eq!(read.what_matters, "Singing again, and company on Tuesdays");
    assert_eq!(read.phone.as_deref(), Some("07700 900111"));
    assert_eq!(read.pseudonym, pseudonym(&changed));
    let other = details(practice, "Florence", "999 000 0026");
    assert!(matches!(
        store
            .update_person(pcn, florence, &other, pseudonym(&other).as_ref(), &a)
            .await,
        Err(StoreError::Refused(_))
    ));
    let mut elsewhere = changed.clone();
    elsewhere.practice_id = together_core::PracticeId::new();
    assert!(matches!(
        store
            .update_person(pcn, florence, &elsewhere, None, &a)
            .await,
        Err(StoreError::NotFound("practice"))
    ));
    // Left out, the NHS number stays linked.
    store
        .update_person(pcn, florence, &changed, None, &a)
        .await
        .unwrap();
    let read = store.read_person(pcn, florence, &a).await.unwrap().unwrap();
    assert_eq!(read.pseudonym, pseudonym(&changed));

    // Importing: all rows in one go, consents with how they were given; the same file again
    // adds no one (matched by NHS number, or by name, date of birth and practice).
    let mabel = details(practice, "Mabel", "");
    let arthur = details(practice, "Arthur", "999 000 0034");
    let again_florence = details(practice, "Flo", "999 000 0018");
    let rows = vec![
        ImportedPerson {
            person: mabel.clone(),
            pseudonym: None,
            consents: vec![ConsentPurpose::Contact, ConsentPurpose::WellbeingFollowUp],
            method: Some(ConsentMethod::Written),
        },
        ImportedPerson {
            pseudonym: pseudonym(&arthur),
            person: arthur.clone(),
            consents: vec![],
            method: None,
        },
        ImportedPerson {
            pseudonym: pseudonym(&again_florence),
            person: again_florence,
            consents: vec![],
            method: None,
        },
    ];
    let done = store.import_people(pcn, &rows, &a).await.unwrap();
    assert_eq!(
        done,
        PeopleImported {
            added: 2,
            already_there: 1
        },
        "Florence is known by her NHS number"
    );
    let again = store.import_people(pcn, &rows, &a).await.unwrap();
    assert_eq!(
        again,
        PeopleImported {
            added: 0,
            already_there: 3
        }
    );
    let found = store.find_people(pcn, None, "mabel", &a).await.unwrap();
    assert_eq!(found.len(), 1);
    let mabel_id = found[0].id;
    let consents = store.consents(mabel_id).await.unwrap();
    assert_eq!(consents.len(), 2);
    assert!(consents.iter().all(|c| c.method == "written"));

    // A duplicate, as a champion makes one: "Flo" with a connection, a referral and a
    // consent given before Florence withdrew hers.
    let lena = a_user(&store, pcn, "Lena", Role::LinkWorker).await;
    let flo = store
        .create_person(pcn, &details(practice, "Flo", ""), None, Some(lena), &a)
        .await
        .unwrap();
    let early = NewAuditEvent {
        at: NOW - Duration::days(3),
        ..a.clone()
    };
    store
        .add_consent(
            flo,
            ConsentPurpose::Contact,
            ConsentMethod::Verbal,
            lena,
            &early,
        )
        .await
        .unwrap();
    store
        .add_consent(
            florence,
            ConsentPurpose::Contact,
            ConsentMethod::Verbal,
            lena,
            &early,
        )
        .await
        .unwrap();
    store.withdraw_consents(florence, lena, &a).await.unwrap();
    let lead = an_active_champion(&store, pcn, "Sue", true).await;
    let (singing, _) = a_monitor_to_lend(&store, pcn, lead, "BP-3").await;
    let connection = store
        .make_connection(
            pcn,
            flo,
            lena,
            &NewConnection {
                to: Target::Service(singing),
                source: Source::CommunityEvent,
                made_on: NOW.date(),
                note: String::new(),
            },
            &[14],
            &a,
        )
        .await
        .unwrap();
    store
        .add_referral(
            pcn,
            flo,
            lena,
            &NewReferral {
                referrer: "Dr Okafor".into(),
                reason: String::new(),
                received_on: NOW.date(),
            },
            &a,
        )
        .await
        .unwrap();

    // Two NHS numbers are two people; a record is not merged into itself.
    let (_, arthur_id) = {
        let found = store.find_people(pcn, None, "arthur", &a).await.unwrap();
        (found[0].practice_id, found[0].id)
    };
    assert!(matches!(
        store.merge_people(pcn, florence, arthur_id, &a).await,
        Err(StoreError::Refused(_))
    ));
    assert!(matches!(
        store.merge_people(pcn, florence, florence, &a).await,
        Err(StoreError::Refused(_))
    ));

    store.merge_people(pcn, florence, flo, &a).await.unwrap();
    assert_eq!(store.merged_into(pcn, flo).await.unwrap(), Some(florence));
    assert_eq!(store.merged_into(pcn, florence).await.unwrap(), None);
    assert_eq!(store.merged_from(pcn, florence).await.unwrap(), vec![flo]);
    // Merged once only, and no longer found on its own.
    assert!(matches!(
        store.merge_people(pcn, florence, flo, &a).await,
        Err(StoreError::NotFound("person"))
    ));
    let found = store.find_people(pcn, None, "ashworth", &a).await.unwrap();
    assert!(found.iter().all(|p| p.id != flo));
    // Her connection, referral and caseload came across.
    let hers = connections_of(&store, pcn, florence, &a).await;
    assert_eq!(
        hers.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![connection]
    );
    let referrals = store
        .referrals(
            pcn,
            &together_store::referrals::ReferralFilter {
                person: Some(florence),
                ..Default::default()
            },
            &a,
        )
        .await
        .unwrap();
    assert_eq!(referrals.len(), 1);
    assert!(
        store
            .person_scope(pcn, florence, lena)
            .await
            .unwrap()
            .unwrap()
            .on_caseload
    );
    // The consent Flo gave before Florence withdrew hers does not bring it back.
    let consents = store.consents(florence).await.unwrap();
    assert_eq!(consents.len(), 2);
    assert!(
        consents.iter().all(|c| c.withdrawn_at.is_some()),
        "{consents:?}"
    );
    // The kept record's details stay.
    let read = store.read_person(pcn, florence, &a).await.unwrap().unwrap();
    assert_eq!(read.given_name, "Florence");
    assert_eq!(read.phone.as_deref(), Some("07700 900111"));
}

on_both!(a_buddy_agreed_to_be_asked_and_one_is_never_merged_into_the_other);
async fn a_buddy_agreed_to_be_asked_and_one_is_never_merged_into_the_other(store: DynStore) {
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let (_, florence) = a_person(&store, pcn, "Florence", &[]).await;
    let (_, mabel) = a_person(&store, pcn, "Mabel", &[]).await;
    let (_, arthur) = a_person(&store, pcn, "Arthur", &[ConsentPurpose::Contact]).await;
    let lena = a_user(&store, pcn, "Lena", Role::LinkWorker).await;
    let a = audit(pcn, AuditAction::Setup);
    let buddy = |b| NewConnection {
        to: Target::Person(b),
        source: Source::Themselves,
        made_on: NOW.date(),
        note: "Would like someone to walk with".into(),
    };
    // Mabel never agreed to the team contacting her: she cannot be asked to be a buddy.
    assert!(matches!(
        store
            .make_connection(pcn, florence, lena, &buddy(mabel), &[14], &a)
            .await,
        Err(StoreError::Refused(_))
    ));
    let c = store
        .make_connection(pcn, florence, lena, &buddy(arthur), &[14], &a)
        .await
        .unwrap();
    let listed = connections_of(&store, pcn, florence, &a).await;
    assert_eq!(listed[0].id, c);
    assert_eq!(listed[0].to, Target::Person(arthur));
    assert_eq!(listed[0].to_name, "Arthur Ashworth");
    // Someone's buddy is someone else.
    assert!(matches!(
        store.merge_people(pcn, florence, arthur, &a).await,
        Err(StoreError::Refused(_))
    ));
}

on_both!(a_message_waiting_when_consent_is_withdrawn_is_never_sent);
async fn a_message_waiting_when_consent_is_withdrawn_is_never_sent(store: DynStore) {
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let (_, florence) = a_person(&store, pcn, "Florence", &[ConsentPurpose::Contact]).await;
    let (_, mabel) = a_person(&store, pcn, "Mabel", &[]).await;
    let message = |person, subject: &str| NewMessage {
        pcn_id: Some(pcn),
        person: Some(person),
        channel: Channel::Sms,
        recipient: "07700 900982".into(),
        subject: subject.into(),
        body: "Hello".into(),
        now: NOW,
    };
    store
        .enqueue_message(&message(florence, "Your monitor is due back"))
        .await
        .unwrap();
    // A message to someone who never agreed to be contacted is not handed on either.
    store
        .enqueue_message(&message(mabel, "Never agreed"))
        .await
        .unwrap();
    let waiting = store.undelivered_messages(10).await.unwrap();
    assert_eq!(
        waiting
            .iter()
            .map(|m| m.subject.as_str())
            .collect::<Vec<_>>(),
        ["Your monitor is due back"]
    );
    store
        .withdraw_consents(
            florence,
            UserId::new(),
            &audit(pcn, AuditAction::WithdrawConsent),
        )
        .await
        .unwrap();
    assert!(store.undelivered_messages(10).await.unwrap().is_empty());
    let kept = store.messages(Some(pcn), 10).await.unwrap();
    let hers = kept
        .iter()
        .find(|m| m.subject == "Your monitor is due back")
        .unwrap();
    assert!(!hers.delivered);
    assert_eq!(hers.withheld.as_deref(), Some("consent withdrawn"));
    // Agreeing again later does not send what was withheld.
    store
        .add_consent(
            florence,
            ConsentPurpose::Contact,
            ConsentMethod::Verbal,
            UserId::new(),
            &audit(pcn, AuditAction::RecordConsent),
        )
        .await
        .unwrap();
    assert!(store.undelivered_messages(10).await.unwrap().is_empty());
}

on_both!(a_person_gets_everything_held_about_them_and_erasure_keeps_only_counts);
async fn a_person_gets_everything_held_about_them_and_erasure_keeps_only_counts(store: DynStore) {
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let (practice, florence) = a_person(&store, pcn, "Florence", &[ConsentPurpose::Contact]).await;
    let (_, arthur) = a_person(&store, pcn, "Arthur", &[ConsentPurpose::Contact]).await;
    let a = audit(pcn, AuditAction::SubjectAccessExport);
    let mut linked = details(practice, "Florence", "999 000 0018");
    linked.what_matters = "Company on Tuesdays".into();
    store
        .update_person(pcn, florence, &linked, pseudonym(&linked).as_ref(), &a)
        .await
        .unwrap();
    let lena = a_user(&store, pcn, "Lena", Role::LinkWorker).await;
    let lead = an_active_champion(&store, pcn, "Sue", true).await;
    let (singing, _) = a_monitor_to_lend(&store, pcn, lead, "BP-5").await;
    let to = |target| NewConnection {
        to: target,
        source: Source::Themselves,
        made_on: NOW.date(),
        note: "Lives alone since her husband died".into(),
    };
    let hers = store
        .make_connection(
            pcn,
            florence,
            lena,
            &to(Target::Service(singing)),
            &[14],
            &a,
        )
        .await
        .unwrap();
    // Arthur's buddy connection names Florence: it is hers to see too.
    store
        .make_connection(pcn, arthur, lena, &to(Target::Person(florence)), &[14], &a)
        .await
        .unwrap();
    store
        .add_referral(
            pcn,
            florence,
            lena,
            &NewReferral {
                referrer: "Dr Okafor".into(),
                reason: "Low since her husband died".into(),
                received_on: NOW.date(),
            },
            &a,
        )
        .await
        .unwrap();
    store.read_person(pcn, florence, &a).await.unwrap();

    let tables = store
        .person_subject_access(pcn, florence, &a)
        .await
        .unwrap();
    let table = |name: &str| {
        tables
            .iter()
            .find(|t| t.table == name)
            .unwrap_or_else(|| panic!("no {name} in the export"))
    };
    let holds = |name: &str, text: &str| {
        table(name)
            .rows
            .iter()
            .flatten()
            .flatten()
            .any(|v| v.contains(text))
    };
    assert!(holds("person", "Florence") && holds("person", "Company on Tuesdays"));
    assert_eq!(
        table("connection").rows.len(),
        2,
        "her own and the one naming her as a buddy"
    );
    assert!(holds("connection", &hers.to_string()));
    assert!(holds("referral", "Low since her husband died"));
    assert!(!table("consent").rows.is_empty() && !table("follow_up").rows.is_empty());
    assert!(!table("connection_step").rows.is_empty() && !table("caseload").rows.is_empty());
    assert!(
        holds("audit_event", "view_person") || holds("audit_event", "subject_access_export"),
        "who looked at her record"
    );
    assert!(
        tables
            .iter()
            .all(|t| !t.columns.iter().any(|c| c == "token_hash")),
        "no secrets"
    );

    store.erase_person(pcn, florence, &a).await.unwrap();
    let erased = store.read_person(pcn, florence, &a).await.unwrap().unwrap();
    assert_eq!(
        (
            erased.given_name.as_str(),
            erased.family_name.as_str(),
            erased.date_of_birth.to_string(),
        ),
        ("Erased", "", "1933-01-01".to_owned()),
        "the year of birth stays for counting by age"
    );
    assert!(erased.phone.is_none() && erased.pseudonym.is_none() && erased.what_matters.is_empty());
    assert!(store
        .find_people(pcn, None, "ashworth", &a)
        .await
        .unwrap()
        .iter()
        .all(|p| p.id != florence));
    assert!(store
        .consents(florence)
        .await
        .unwrap()
        .iter()
        .all(|c| c.withdrawn_at.is_some()));
    // What the reports count stays: the connection, its steps and dates; its words go.
    let kept = connections_of(&store, pcn, florence, &a).await;
    assert_eq!(kept.len(), 1);
    assert_eq!(
        (kept[0].to, kept[0].note.as_str()),
        (Target::Service(singing), "")
    );
    let referral = &store
        .referrals(
            pcn,
            &together_store::referrals::ReferralFilter {
                person: Some(florence),
                ..Default::default()
            },
            &a,
        )
        .await
        .unwrap()[0];
    assert_eq!(
        (referral.reason.as_str(), referral.received_on),
        ("", NOW.date())
    );
    assert!(
        !store
            .person_scope(pcn, florence, lena)
            .await
            .unwrap()
            .unwrap()
            .on_caseload
    );
}

on_both!(the_people_who_go_hear_when_a_session_is_cancelled_or_moved);
async fn the_people_who_go_hear_when_a_session_is_cancelled_or_moved(store: DynStore) {
    use together_core::connections::{NewStep, Status};
    use together_core::offers::SessionForm;
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let a = audit(pcn, AuditAction::Setup);
    let lena = a_user(&store, pcn, "Lena", Role::LinkWorker).await;
    let lead = an_active_champion(&store, pcn, "Sue", true).await;
    let (group, _) = a_monitor_to_lend(&store, pcn, lead, "BP-8").await;
    // Florence goes and agrees to messages; Mabel goes but did not agree; Arthur was only
    // suggested it.
    let (_, florence) = a_person(&store, pcn, "Florence", &[ConsentPurpose::Contact]).await;
    let (_, mabel) = a_person(&store, pcn, "Mabel", &[]).await;
    let (_, arthur) = a_person(&store, pcn, "Arthur", &[ConsentPurpose::Contact]).await;
    let made_on = NOW.date() - Duration::days(10);
    for (who, went) in [(florence, true), (mabel, true), (arthur, false)] {
        let c = store
            .make_connection(
                pcn,
                who,
                lena,
                &NewConnection {
                    to: Target::Service(group),
                    source: Source::Themselves,
                    made_on,
                    note: String::new(),
                },
                &[14],
                &a,
            )
            .await
            .unwrap();
        if went {
            store
                .move_connection(
                    pcn,
                    c,
                    &NewStep {
                        status: Status::WentAlong,
                        on: made_on,
                        reason: None,
                        note: String::new(),
                    },
                    &a,
                )
                .await
                .unwrap();
        }
    }
    let session = SessionForm {
        on: (NOW.date() + Duration::days(7)).to_string(),
        opens_at: "10:00".into(),
        closes_at: "11:00".into(),
        ..Default::default()
    }
    .parse(NOW.date())
    .unwrap();
    let id = store
        .add_offer_session(pcn, group, &session, &a)
        .await
        .unwrap();
    let told = store
        .cancel_offer_session(pcn, id, "The hall is flooded", &a)
        .await
        .unwrap();
    let messages = store.messages(Some(pcn), 50).await.unwrap();
    let to_people: Vec<_> = messages
        .iter()
        .filter(|m| m.body.contains("Sorry for any trouble"))
        .collect();
    assert_eq!(to_people.len(), 1, "only Florence: {messages:?}");
    assert!(
        to_people[0].body.starts_with("Florence,")
            && to_people[0].body.contains("The hall is flooded")
    );
    assert_eq!(told, 2, "the lead and Florence");
    // Withdrawing her consent withholds what has not gone yet.
    store.withdraw_consents(florence, lena, &a).await.unwrap();
    assert!(store
        .undelivered_messages(50)
        .await
        .unwrap()
        .iter()
        .all(|m| !m.body.contains("Sorry for any trouble")));
}

on_both!(people_consent_and_audit);
async fn people_consent_and_audit(store: DynStore) {
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let a = audit(pcn, AuditAction::Setup);
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
        action: together_core::audit::AuditAction::CreatePerson,
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
        action: together_core::audit::AuditAction::ViewPerson,
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
                action: together_core::audit::AuditAction::FindPeople,
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
    assert_eq!(
        store.settings(pcn).await.unwrap(),
        vec![("unit_cost_gp_appointment".to_owned(), "42.00".to_owned())],
        "every saved setting in one read"
    );
    assert!(store.settings(other_pcn).await.unwrap().is_empty());
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
