//! The demo's connections: people the link worker and Dave (the demo champion) connected to
//! offers over the last four months, at every stage — suggested, contacted, went along, keeps
//! going, ended (one didn't suit) — with follow-ups done, due and missed, and the ONS wellbeing
//! questions answered at the start and at a follow-up by enough people at the singing group for
//! its change to be shown; the link worker's referrals that led to the first few, to code.

use crate::{wrong, Result};
use time::{Duration, OffsetDateTime};
use together_core::connections::{
    DoneFollowUp, EndReason, NewConnection, NewStep, Source, Status, Target,
};
use together_core::people::{ConsentMethod, ConsentPurpose};
use together_core::referrals::{Decided, NewReferral, ReferralStatus};
use together_core::wellbeing::{Answers, Loneliness, NewWellbeing, Occasion};
use together_core::{PcnId, UserId};
use together_store::{DynStore, NewAuditEvent};

pub(crate) fn at(pcn: PcnId, days_ago: i64, now: OffsetDateTime) -> NewAuditEvent {
    NewAuditEvent {
        at: now - Duration::days(days_ago),
        ..crate::audit(
            together_core::audit::AuditAction::DemoConnections,
            "connection",
            Some(pcn),
        )
    }
}

/// Where each demo connection has got to: (offer, days ago it was made, status now, by the
/// champion rather than the link worker).
const PLAN: [(&str, i64, Status, bool); 20] = [
    ("Singing for wellbeing", 120, Status::KeepsGoing, false),
    ("Singing for wellbeing", 112, Status::KeepsGoing, false),
    ("Singing for wellbeing", 105, Status::KeepsGoing, true),
    ("Singing for wellbeing", 101, Status::WentAlong, false),
    ("Singing for wellbeing", 98, Status::KeepsGoing, false),
    ("Singing for wellbeing", 96, Status::Ended, false),
    ("Singing for wellbeing", 95, Status::KeepsGoing, true),
    ("Singing for wellbeing", 93, Status::KeepsGoing, false),
    ("Singing for wellbeing", 97, Status::WentAlong, false),
    ("Singing for wellbeing", 94, Status::KeepsGoing, false),
    ("Harbourview walking group", 60, Status::KeepsGoing, false),
    ("Harbourview walking group", 45, Status::WentAlong, true),
    ("Chair yoga", 30, Status::Contacted, false),
    ("Carers' coffee morning", 20, Status::WentAlong, false),
    ("Bereavement café", 16, Status::Contacted, false),
    ("Digital skills drop-in", 15, Status::Suggested, false),
    ("Ukulele group", 10, Status::Suggested, true),
    ("Home visit befriending", 8, Status::Contacted, false),
    ("Chair yoga", 3, Status::Suggested, false),
    ("Harbourview walking group", 1, Status::Suggested, true),
];

/// ONS4 answers at the start and at the three-month follow-up, varied but repeatable: most
/// feel a little better, some the same, one worse.
pub(crate) fn answers(i: usize, later: bool) -> Answers {
    let i8 = i as u8;
    let start = [3 + i8 % 3, 4 + i8 % 2, 3 + i8 % 4, 7 - i8 % 3];
    let ons4 = if !later {
        start
    } else {
        match i % 5 {
            4 => [start[0], start[1], start[2].saturating_sub(1), start[3] + 1],
            3 => start,
            _ => [
                start[0] + 2,
                start[1] + 1,
                start[2] + 2,
                start[3].saturating_sub(2),
            ],
        }
    };
    Answers {
        ons4: Some(ons4),
        lonely: Some(match (later, i % 3) {
            (false, 0) => Loneliness::OftenOrAlways,
            (false, _) => Loneliness::SomeOfTheTime,
            (true, 0) => Loneliness::SomeOfTheTime,
            (true, _) => Loneliness::Occasionally,
        }),
        wemwbs: i
            .is_multiple_of(4)
            .then_some(if later { 47 } else { 39 } + i8 % 5),
        ..Answers::default()
    }
}

pub async fn build(
    store: &DynStore,
    pcn: PcnId,
    link_worker: UserId,
    champion: UserId,
    now: OffsetDateTime,
) -> Result<()> {
    let offers = store.offers(pcn).await?;
    let people = store.find_people(pcn, None, "", &at(pcn, 0, now)).await?;
    if people.len() < PLAN.len() {
        return Err(wrong!("the demo needs {} people to connect", PLAN.len()));
    }
    for (i, ((offer, days_ago, status, by_champion), person)) in
        PLAN.iter().zip(&people).enumerate()
    {
        let offer = offers
            .iter()
            .find(|o| o.name == *offer)
            .ok_or_else(|| wrong!("the demo has no offer called {offer}"))?;
        let made = at(pcn, *days_ago, now);
        let made_on = made.at.date();
        let by = if *by_champion { champion } else { link_worker };
        let mut consents = vec![ConsentPurpose::Contact, ConsentPurpose::WellbeingFollowUp];
        if *by_champion || i % 2 == 0 {
            consents.push(ConsentPurpose::ShareWithChampions);
        }
        for purpose in consents {
            store
                .add_consent(person.id, purpose, ConsentMethod::Verbal, by, &made)
                .await?;
        }
        // The link worker's referrals for the first few: most accepted, one declined, one
        // waiting, so that the practice has something to code.
        if i < 6 && !by_champion {
            let referral = store
                .add_referral(
                    pcn,
                    person.id,
                    link_worker,
                    &NewReferral {
                        referrer: ["Dr Ada Okafor", "Nurse Priya Patel", "Dr Tom Reid"][i % 3]
                            .into(),
                        reason: "Lonely and low; would like to meet people".into(),
                        received_on: made_on - Duration::days(5),
                    },
                    &at(pcn, days_ago + 5, now),
                )
                .await?;
            let status = match i {
                3 => Some(ReferralStatus::Declined),
                5 => None,
                _ => Some(ReferralStatus::Accepted),
            };
            if let Some(status) = status {
                store
                    .decide_referral(
                        pcn,
                        referral,
                        &Decided {
                            status,
                            on: made_on - Duration::days(1),
                        },
                        &made,
                    )
                    .await?;
            }
        }
        let connection = store
            .make_connection(
                pcn,
                person.id,
                by,
                &NewConnection {
                    to: Target::Service(offer.id),
                    source: [
                        Source::ClinicianSuggestion,
                        Source::Themselves,
                        Source::CommunityEvent,
                        Source::CohortInvitation,
                    ][i % 4],
                    made_on,
                    note: [
                        "Would like to meet people; on her own since last year",
                        "Likes to sing; used to be in a choir",
                        "Wants to get out of the house more",
                        "Carer for his wife; needs a break",
                    ][i % 4]
                        .into(),
                },
                &[14, 91],
                &made,
            )
            .await?;
        if offer.name == "Singing for wellbeing" {
            store
                .record_wellbeing(
                    pcn,
                    connection,
                    &NewWellbeing {
                        occasion: Occasion::Baseline,
                        answered_on: made_on,
                        answers: answers(i, false),
                    },
                    &made,
                )
                .await?;
        }
        // Its steps, a week or so apart, up to where it is now.
        let mut day = *days_ago;
        for next in [
            Status::Contacted,
            Status::WentAlong,
            Status::KeepsGoing,
            Status::Ended,
        ] {
            if next > *status || day <= 2 {
                break;
            }
            day -= (day / 6).clamp(1, 10);
            store
                .move_connection(
                    pcn,
                    connection,
                    &NewStep {
                        status: next,
                        on: (now - Duration::days(day)).date(),
                        reason: (next == Status::Ended).then_some(EndReason::DidNotSuit),
                        note: if next == Status::Ended {
                            "Found it too loud; would try something quieter".into()
                        } else {
                            String::new()
                        },
                    },
                    &at(pcn, day, now),
                )
                .await?;
        }
        // Follow-ups done for most of the older ones, with their answers at three months; a
        // few left missed, so the list shows what slipped.
        if i % 7 == 6 {
            continue;
        }
        let record = store.connection(pcn, connection, &at(pcn, 0, now)).await?;
        for f in record.follow_ups.iter().filter(|f| f.due_on < now.date()) {
            let done_on = (f.due_on + Duration::days(i as i64 % 3)).min(now.date());
            let done = at(pcn, (now.date() - done_on).whole_days(), now);
            store
                .do_follow_up(
                    pcn,
                    f.id,
                    &DoneFollowUp {
                        done_on,
                        note: [
                            "Enjoying it; has made a friend there",
                            "Goes most weeks",
                            "Finding it hard to get there on the bus",
                            "Much brighter in herself",
                        ][i % 4]
                            .into(),
                    },
                    &done,
                )
                .await?;
            let three_months = f.due_on - record.connection.made_on >= Duration::days(90);
            if three_months
                && offer.name == "Singing for wellbeing"
                && record.connection.status.is_open()
            {
                store
                    .record_wellbeing(
                        pcn,
                        connection,
                        &NewWellbeing {
                            occasion: Occasion::FollowUp,
                            answered_on: done_on,
                            answers: answers(i, true),
                        },
                        &done,
                    )
                    .await?;
            }
        }
    }
    Ok(())
}
