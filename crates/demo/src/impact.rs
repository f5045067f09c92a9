//! The demo's evaluated connections: the generator planted connections in 2024 among people
//! with a busy year, with a known true effect on their attendance (a fall of a fifth); here the
//! team's records of them are made — the person, the connection to an offer, its steps to an
//! ending after four months, and how half of them were at the start and three months on — and
//! what the programme cost. The impact page must find the planted fall within its interval,
//! beside the bigger naive figure that regression to the mean gives.

use crate::connections::{answers, at};
use crate::{wrong, Missing, Result};
use std::collections::HashMap;
use std::path::Path;
use time::{Duration, OffsetDateTime};
use together_core::connections::{EndReason, NewConnection, NewStep, Source, Status, Target};
use together_core::impact::ProgrammeCostForm;
use together_core::people::{ConsentMethod, ConsentPurpose};
use together_core::wellbeing::{NewWellbeing, Occasion};
use together_core::{PcnId, PersonId, PracticeId, PseudonymKey, UserId};
use together_store::DynStore;

/// The true change in attendance the demo's connections have: a fall of a fifth.
pub const PLANTED_EFFECT: f64 = -0.2;

/// The offers the planted connections were to, in turn.
const OFFERS: [&str; 3] = [
    "Singing for wellbeing",
    "Harbourview walking group",
    "Chair yoga",
];

/// What the demo knows of its people: the key, the practices, and the records made already
/// (by NHS number).
pub struct People<'a> {
    pub key: &'a PseudonymKey,
    pub practices: &'a [(PracticeId, String)],
    pub known: HashMap<String, PersonId>,
}

pub async fn build(
    store: &DynStore,
    pcn: PcnId,
    source: &Path,
    mut people: People<'_>,
    link_worker: UserId,
    now: OffsetDateTime,
) -> Result<()> {
    let planted = source.join(together_generate::PLANTED_CONNECTIONS);
    let mut rows: HashMap<String, csv::StringRecord> = HashMap::new();
    for row in csv::Reader::from_path(source.join("registrations.csv"))?.records() {
        let row = row?;
        rows.insert(row[0].to_owned(), row);
    }
    let offers = store.offers(pcn).await?;
    let days_ago = |d: time::Date| (now.date() - d).whole_days();
    for (i, row) in csv::Reader::from_path(&planted)?.records().enumerate() {
        let row = row?;
        let made_on = together_core::people::parse_date(&row[2])
            .context("a planted connection has no date")?;
        let id = match people.known.get(&row[0]) {
            Some(id) => *id,
            None => {
                let reg = rows
                    .get(&row[0])
                    .context("a planted connection's person is not registered")?;
                let id =
                    crate::person_from(store, pcn, people.key, people.practices, reg, i, None, now)
                        .await?;
                people.known.insert(row[0].to_owned(), id);
                id
            }
        };
        let made = at(pcn, days_ago(made_on), now);
        for purpose in [ConsentPurpose::Contact, ConsentPurpose::WellbeingFollowUp] {
            store
                .add_consent(id, purpose, ConsentMethod::Verbal, link_worker, &made)
                .await?;
        }
        let offer = offers
            .iter()
            .find(|o| o.name == OFFERS[i % OFFERS.len()])
            .context("the demo's offers are missing")?;
        let connection = store
            .make_connection(
                pcn,
                id,
                link_worker,
                &NewConnection {
                    to: Target::Service(offer.id),
                    source: [
                        Source::CohortInvitation,
                        Source::ClinicianSuggestion,
                        Source::Themselves,
                    ][i % 3],
                    made_on,
                    note: String::new(),
                },
                &[],
                &made,
            )
            .await?;
        for (status, after) in [
            (Status::Contacted, 2),
            (Status::WentAlong, 7),
            (Status::KeepsGoing, 35),
            (Status::Ended, 120),
        ] {
            let on = made_on + Duration::days(after);
            store
                .move_connection(
                    pcn,
                    connection,
                    &NewStep {
                        status,
                        on,
                        reason: (status == Status::Ended).then_some(EndReason::NoLongerNeeded),
                        note: String::new(),
                    },
                    &at(pcn, days_ago(on), now),
                )
                .await?;
        }
        if i % 2 == 0 {
            for (occasion, after, later) in [
                (Occasion::Baseline, 0, false),
                (Occasion::FollowUp, 91, true),
            ] {
                let on = made_on + Duration::days(after);
                store
                    .record_wellbeing(
                        pcn,
                        connection,
                        &NewWellbeing {
                            occasion,
                            answered_on: on,
                            answers: answers(i, later),
                        },
                        &at(pcn, days_ago(on), now),
                    )
                    .await?;
            }
        }
    }
    // What the programme cost in the year of those connections.
    for (category, description, amount) in [
        ("staff_time", "Link worker, two days a week", "14,000"),
        ("venues", "Church hall hire for the groups", "1,800"),
        ("equipment", "Song sheets, walking poles, chairs", "650"),
    ] {
        let cost = ProgrammeCostForm {
            category: category.into(),
            description: description.into(),
            from: "1/1/2024".into(),
            to: "31/12/2024".into(),
            amount: amount.into(),
        }
        .parse()
        .map_err(|e| wrong!("a demo cost is invalid: {e:?}"))?;
        store
            .add_programme_cost(pcn, &cost, &at(pcn, 0, now))
            .await?;
    }
    Ok(())
}
