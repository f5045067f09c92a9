//! One story, told to both backends (the atuin pattern): whatever SQLite does, PostgreSQL must
//! do the same.

// Tests and examples stop at the first surprise, with its message: unwrap and expect are how.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use time::{Duration, OffsetDateTime};
use together_core::audit::AuditAction;
use together_core::people::{ConsentMethod, ConsentPurpose, PersonForm};
use together_core::{PcnId, PseudonymKey, Role, UserId};
use together_store::on_both;
use together_store::sqlite::SqliteStore;
use together_store::testing::{audit, fresh_postgres_url, fresh_sqlite};
use together_store::*;

const NOW: OffsetDateTime = together_store::testing::FIXTURE_TIME;

// What many stories start from.

/// An active champion in `pcn`, with a clear enhanced DBS check when `checked`.
async fn an_active_champion(
    store: &DynStore,
    pcn: PcnId,
    given: &str,
    checked: bool,
) -> together_core::ChampionId {
    use together_core::champions::{DbsLevel, DbsResult, NewInterest, NewRole, Stage};
    let a = audit(pcn, AuditAction::Setup);
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
    let a = audit(pcn, AuditAction::Setup);
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
    let a = audit(pcn, AuditAction::Setup);
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
    let a = audit(pcn, AuditAction::Setup);
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
            &audit(pcn, AuditAction::Setup),
            NOW,
        )
        .await
        .unwrap()
}

#[path = "store/organisations.rs"]
mod organisations;

#[path = "store/database.rs"]
mod database;

#[path = "store/imports.rs"]
mod imports;

#[path = "store/champions.rs"]
mod champions;

#[path = "store/offers.rs"]
mod offers;

#[path = "store/loans.rs"]
mod loans;

#[path = "store/directory.rs"]
mod directory;

#[path = "store/connections.rs"]
mod connections;

#[path = "store/wellbeing.rs"]
mod wellbeing;

#[path = "store/referrals.rs"]
mod referrals;

#[path = "store/people.rs"]
mod people;

#[path = "store/invitations.rs"]
mod invitations;

#[path = "store/champions_reach.rs"]
mod champions_reach;

#[path = "store/impact.rs"]
mod impact;
