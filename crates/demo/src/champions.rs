//! The demo's champions: people at every step of the journey, in roles with the DBS level
//! each needs, with DBS dates spread so that the compliance dashboard has something due in 7,
//! 30 and 60 days and something overdue. Each step is dated in the past, as it would have been
//! taken, so the records read like a real programme's.

use crate::Result;
use time::{Duration, OffsetDateTime};
use together_core::champions::{years_after, DbsLevel, DbsResult, NewInterest, NewRole, Stage};
use together_core::people::ContactPreference;
use together_core::{ChampionRoleId, PcnId, PracticeId, UserId};
use together_store::{DynStore, NewAuditEvent};

/// What the demo does about a champion's DBS check.
#[derive(Clone, Copy)]
enum Dbs {
    /// The role needs none, or it is not reached yet.
    None,
    /// Asked for, no result yet.
    Waiting,
    /// Clear, with the renewal this many days from today (negative: overdue); the renewal
    /// already under way when the flag is set.
    Clear(i64, bool),
}

struct Demo {
    given: &'static str,
    family: &'static str,
    practice: usize,
    interests: &'static [&'static str],
    role: Option<usize>,
    stage: Stage,
    dbs: Dbs,
    /// Why they paused or left.
    reason: &'static str,
}

const fn c(
    given: &'static str,
    family: &'static str,
    practice: usize,
    interests: &'static [&'static str],
    role: Option<usize>,
    stage: Stage,
    dbs: Dbs,
) -> Demo {
    Demo {
        given,
        family,
        practice,
        interests,
        role,
        stage,
        dbs,
        reason: "",
    }
}

/// (name, what they do, DBS level, regulated activity)
const ROLES: [(&str, &str, DbsLevel, bool); 4] = [
    (
        "Walk leader",
        "Leads a weekly health walk on a route the PCN has risk-assessed, with a second champion.",
        DbsLevel::Basic,
        false,
    ),
    (
        "Group welcomer",
        "Welcomes people at a group or café, makes the tea and introduces newcomers.",
        DbsLevel::None,
        false,
    ),
    (
        "Flu clinic helper",
        "Guides people through the Saturday flu clinic: the queue, the forms, a friendly word.",
        DbsLevel::Basic,
        false,
    ),
    (
        "Home visit befriender",
        "Visits someone at home who cannot get out, and helps them with everyday tasks.",
        DbsLevel::EnhancedAdults,
        true,
    ),
];

use Stage::*;
const CHAMPIONS: &[Demo] = &[
    c(
        "Dave",
        "Marsh",
        0,
        &["walking", "befriending"],
        Some(0),
        Active,
        Dbs::Clear(45, false),
    ),
    c(
        "Amara",
        "Osei",
        1,
        &["befriending"],
        Some(3),
        Active,
        Dbs::Clear(5, false),
    ),
    c(
        "Gareth",
        "Price",
        2,
        &["clinics"],
        Some(2),
        Active,
        Dbs::Clear(20, false),
    ),
    c(
        "Helen",
        "Booth",
        0,
        &["walking", "gardening"],
        Some(0),
        Active,
        Dbs::Clear(400, false),
    ),
    c(
        "Raj",
        "Patel",
        1,
        &["clinics", "digital"],
        Some(2),
        Active,
        Dbs::Clear(-10, true),
    ),
    c(
        "Susan",
        "Clarke",
        2,
        &["singing", "crafts"],
        Some(1),
        Active,
        Dbs::None,
    ),
    c(
        "Tom",
        "Evans",
        0,
        &["walking"],
        Some(0),
        Induction,
        Dbs::Clear(1080, false),
    ),
    c(
        "Nadia",
        "Hussain",
        1,
        &["befriending", "support_groups"],
        Some(3),
        DbsCheck,
        Dbs::Waiting,
    ),
    c(
        "Peter",
        "Lowe",
        2,
        &["walking"],
        Some(0),
        DbsCheck,
        Dbs::Waiting,
    ),
    c(
        "Joan",
        "Whitfield",
        0,
        &["cooking"],
        None,
        References,
        Dbs::None,
    ),
    c(
        "Kwame",
        "Mensah",
        1,
        &["singing", "digital"],
        None,
        References,
        Dbs::None,
    ),
    c(
        "Lily",
        "Chen",
        2,
        &["crafts"],
        None,
        Conversation,
        Dbs::None,
    ),
    c(
        "Bob",
        "Green",
        0,
        &["gardening"],
        None,
        Conversation,
        Dbs::None,
    ),
    c(
        "Maria",
        "Santos",
        1,
        &["support_groups"],
        None,
        Interest,
        Dbs::None,
    ),
    c(
        "Ian",
        "Fletcher",
        2,
        &["walking", "other"],
        None,
        Interest,
        Dbs::None,
    ),
    c(
        "Grace",
        "Adeyemi",
        0,
        &["singing"],
        None,
        Interest,
        Dbs::None,
    ),
    Demo {
        reason: "Caring for her husband after his operation; back in the spring",
        ..c(
            "Ellen",
            "Wright",
            1,
            &["walking"],
            Some(0),
            Paused,
            Dbs::Clear(300, false),
        )
    },
    Demo {
        reason: "Moved to be near his daughter in Leeds",
        ..c(
            "Derek",
            "Hall",
            2,
            &["clinics"],
            Some(2),
            Left,
            Dbs::Clear(200, false),
        )
    },
];

const WAY_IN: [Stage; 6] = [
    Interest,
    Conversation,
    References,
    DbsCheck,
    Induction,
    Active,
];

/// A few weeks of an active champion's time and expenses: most approved, the last week's waiting.
async fn time_and_expenses(
    store: &DynStore,
    pcn: PcnId,
    id: together_core::ChampionId,
    i: usize,
    now: OffsetDateTime,
    at: &impl Fn(i64) -> NewAuditEvent,
) -> Result<()> {
    use together_core::hours_expenses::{ExpenseKind, NewExpense, NewHours};
    use together_store::champions::Claim;
    let activity = [
        "Tuesday health walk",
        "Saturday flu clinic",
        "Singing group welcome",
    ][i % 3];
    for week in 0..6i64 {
        let days_ago = 2 + 7 * week + (i as i64 % 3);
        let hours = NewHours {
            on: (now - Duration::days(days_ago)).date(),
            minutes: 90 + 30 * ((i as i64 + week) % 3),
            activity: activity.into(),
            offer: None,
        };
        let entry = store.log_hours(pcn, id, &hours, &at(days_ago)).await?;
        if week > 0 {
            store
                .decide_claim(pcn, Claim::Hours, &entry, true, "", &at(days_ago - 1))
                .await?;
        }
    }
    let expenses = [
        (
            ExpenseKind::Cost,
            "Tea and biscuits for the group",
            680,
            None,
        ),
        (
            ExpenseKind::Mileage,
            "Drove to the flu clinic and back",
            563,
            Some(125),
        ),
    ];
    for (n, (kind, description, pence, tenths)) in expenses.into_iter().enumerate() {
        let days_ago = 3 + 10 * n as i64 + i as i64;
        let e = NewExpense {
            on: (now - Duration::days(days_ago)).date(),
            kind,
            description: description.into(),
            pence,
            tenths_of_miles: tenths,
            pence_per_mile: tenths.map(|_| 45),
            offer: None,
        };
        let entry = store
            .claim_expense(pcn, id, &e, None, &at(days_ago))
            .await?;
        if n > 0 {
            store
                .decide_claim(pcn, Claim::Expense, &entry, true, "", &at(days_ago - 1))
                .await?;
        }
    }
    Ok(())
}

/// An active champion's ID badge and training: one badge runs out within the month, one
/// champion's safeguarding refresher within two.
async fn badge_and_training(
    store: &DynStore,
    pcn: PcnId,
    id: together_core::ChampionId,
    i: usize,
    now: OffsetDateTime,
    at: &impl Fn(i64) -> NewAuditEvent,
) -> Result<()> {
    use together_core::champions::{NewBadge, NewTraining};
    let today = now.date();
    let expires_in = if i == 2 { 12 } else { 500 + 30 * i as i64 };
    let badge = NewBadge {
        number: format!("HV-{:04}", 100 + i),
        issued_on: today - Duration::days(200),
        expires_on: today + Duration::days(expires_in),
    };
    store.issue_badge(pcn, id, &badge, &at(200)).await?;
    let induction = NewTraining {
        module: "induction".into(),
        completed_on: today - Duration::days(30 + i as i64),
        expires_on: None,
    };
    store.record_training(pcn, id, &induction, &at(30)).await?;
    let refresher_in = if i == 1 { 40 } else { 700 };
    let done = years_after(today + Duration::days(refresher_in), -3);
    let safeguarding = NewTraining {
        module: "safeguarding_adults".into(),
        completed_on: done,
        expires_on: Some(today + Duration::days(refresher_in)),
    };
    store
        .record_training(pcn, id, &safeguarding, &at(30))
        .await?;
    Ok(())
}

/// The demo's community partners, their venues and agreements, and the PCN's own volunteer
/// insurance; the demo partner user keeps the Salvation Army's details.
pub async fn partners(
    store: &DynStore,
    pcn: PcnId,
    partner_user: Option<UserId>,
    now: OffsetDateTime,
) -> Result<()> {
    use together_core::partners::{NewDated, NewPartner, NewVenue};
    let a = crate::audit(
        together_core::audit::AuditAction::DemoPartners,
        "partner",
        Some(pcn),
    );
    let today = now.date();
    let orgs = [
        (
            "The Salvation Army, Harbourview",
            "faith_group",
            "Lunch club on Wednesdays, a warm space all week, and the hall for the singing group.",
            "Captain Ruth Ellis",
            (
                "Citadel hall",
                "3 Dock Road, Harbourview",
                "HV2 4DD",
                "Step-free, hearing loop, accessible toilet",
                80,
            ),
            40,
        ),
        (
            "Harbour Café",
            "business",
            "Hosts the Tuesday walkers for a cuppa afterwards, and the bereavement café monthly.",
            "Jo Pennington",
            (
                "Harbour Café",
                "12 Quay Street, Harbourview",
                "HV1 1AB",
                "Step-free; no accessible toilet",
                30,
            ),
            200,
        ),
        (
            "Harbourview Neighbourhood Policing Team",
            "public_service",
            "Joins the community safety drop-ins at the library.",
            "PCSO Dan Whitley",
            (
                "Harbourview Library",
                "Market Square, Harbourview",
                "HV3 2EE",
                "Step-free, lift, accessible toilet",
                60,
            ),
            400,
        ),
    ];
    for (i, (name, kind, description, contact, venue, review_in)) in orgs.into_iter().enumerate() {
        let p = NewPartner {
            name: name.into(),
            kind: kind.into(),
            description: description.into(),
            contact: contact.into(),
            phone: Some(format!("07700 900{:03}", 500 + i)),
            email: None,
            website: None,
        };
        let id = store.add_partner(pcn, &p, &a).await?;
        let v = NewVenue {
            name: venue.0.into(),
            address: venue.1.into(),
            postcode: venue.2.into(),
            accessibility: venue.3.into(),
            capacity: Some(venue.4),
        };
        store.add_venue(pcn, Some(&id), &v, &a).await?;
        let people = [
            (contact, "The person to ask first"),
            (
                ["Mary Dunn", "Sam Okoro", "Kath Brennan"][i % 3],
                "Runs the sessions we share",
            ),
        ];
        for (k, (name, title)) in people.into_iter().enumerate() {
            let c = together_core::partners::NewContact {
                name: name.into(),
                title: title.into(),
                phone: Some(format!("07700 900{:03}", 600 + 2 * i + k)),
                email: None,
            };
            store.add_partner_contact(pcn, &id, &c, &a).await?;
        }
        let agreement = NewDated {
            title: "Venue agreement".into(),
            reference: String::new(),
            from: today - Duration::days(365 - review_in),
            due: today + Duration::days(review_in),
        };
        store
            .add_document(pcn, Some(&id), "agreement", &agreement, &a)
            .await?;
        if i == 0 {
            if let Some(user) = partner_user {
                store.link_partner_user(pcn, &id, user, &a).await?;
            }
        }
    }
    let insurance = NewDated {
        title: "Volunteer insurance".into(),
        reference: "VOL-2291".into(),
        from: today - Duration::days(320),
        due: today + Duration::days(45),
    };
    store
        .add_document(pcn, None, "insurance", &insurance, &a)
        .await?;
    Ok(())
}

/// Adds the demo's roles and champions; Dave Marsh is the demo champion's own record.
pub async fn build(
    store: &DynStore,
    pcn: PcnId,
    practices: &[PracticeId],
    champion_user: Option<UserId>,
    now: OffsetDateTime,
) -> Result<()> {
    let at = |days_ago: i64| -> NewAuditEvent {
        NewAuditEvent {
            at: now - Duration::days(days_ago),
            ..crate::audit(
                together_core::audit::AuditAction::DemoChampions,
                "champion",
                Some(pcn),
            )
        }
    };
    let mut roles: Vec<ChampionRoleId> = Vec::new();
    for (name, description, level, regulated) in ROLES {
        let role = NewRole {
            name: name.into(),
            description: description.into(),
            dbs_level: level,
            regulated_activity: regulated,
        };
        roles.push(store.add_champion_role(pcn, &role, &at(200)).await?);
    }
    let today = now.date();
    // The next induction workshop, for the champions on their way in to book on.
    let induction = together_core::champions::NewWorkshop {
        title: "Induction for new champions".into(),
        module: Some("induction".into()),
        on: today + Duration::days(16),
        starts: "10:00".into(),
        capacity: Some(12),
    };
    let workshop = store.add_workshop(pcn, &induction, &at(10)).await?;
    for (i, d) in CHAMPIONS.iter().enumerate() {
        let with_email = i % 3 != 2 || i == 0;
        let interest = NewInterest {
            given_name: d.given.into(),
            family_name: d.family.into(),
            phone: Some(format!("07700 900{:03}", 300 + i)),
            email: with_email.then(|| {
                if i == 0 {
                    "champion@harbourview.example".to_owned()
                } else {
                    format!("{}.{}@example.org", d.given, d.family).to_lowercase()
                }
            }),
            contact_preference: if with_email {
                ContactPreference::Email
            } else {
                ContactPreference::Text
            },
            practice_id: practices.get(d.practice).copied(),
            interests: d.interests.iter().map(|s| (*s).to_owned()).collect(),
            skills: String::new(),
            availability: vec!["weekday_mornings".into()],
        };
        // Steps three weeks apart, the last a few days ago (or, for a check now overdue, before
        // it lapsed: they became active while it was current).
        let target = match d.stage {
            Paused | Left => Active,
            s => s,
        };
        let steps = WAY_IN.iter().position(|s| *s == target).unwrap_or(0);
        let extra = usize::from(matches!(d.stage, Paused | Left));
        let lapsed = match d.dbs {
            Dbs::Clear(due_in, _) if due_in < 0 => 5 - due_in,
            _ => 0,
        };
        let mut days_ago = 3 + lapsed + 21 * (steps + extra) as i64 + i as i64;
        let id = store.record_interest(pcn, &interest, &at(days_ago)).await?;
        if let Some(r) = d.role {
            store
                .give_champion_role(pcn, id, roles[r], &at(days_ago))
                .await?;
        }
        for to in &WAY_IN[1..=steps] {
            days_ago -= 21;
            let needs_check = d.role.is_some_and(|r| ROLES[r].2 != DbsLevel::None);
            if *to == DbsCheck && !needs_check {
                continue;
            }
            store.move_champion(pcn, id, *to, "", &at(days_ago)).await?;
            if *to == DbsCheck {
                if let (Some(r), Dbs::Waiting | Dbs::Clear(..)) = (d.role, d.dbs) {
                    let check = store
                        .request_dbs_check(pcn, id, roles[r], ROLES[r].2, &at(days_ago))
                        .await?;
                    if let Dbs::Clear(due_in, in_progress) = d.dbs {
                        // The policy renews every three years: issued three years before due.
                        let issued = years_after(today + Duration::days(due_in), -3)
                            .min(today - Duration::days(days_ago - 7));
                        // A certificate much older than the request is one they already had,
                        // brought with them through the Update Service.
                        let asked = today - Duration::days(days_ago);
                        let result = DbsResult {
                            issued_on: issued,
                            certificate_ref: format!("{:012}", 3_141_592_000 + i as u64),
                            clear: true,
                            update_service: issued < asked - Duration::days(60) || i % 2 == 0,
                            last_status_check: None,
                        };
                        store
                            .record_dbs_result(pcn, id, &check, &result, &at(days_ago - 7))
                            .await?;
                        if in_progress {
                            store
                                .set_renewal_in_progress(pcn, id, &check, true, &at(2))
                                .await?;
                        }
                    }
                }
            }
        }
        if matches!(d.stage, Paused | Left) {
            store
                .move_champion(pcn, id, d.stage, d.reason, &at(days_ago - 14))
                .await?;
        }
        if i == 0 {
            if let Some(user) = champion_user {
                store.link_champion_user(pcn, id, user, &at(1)).await?;
            }
        }
        if matches!(d.stage, References | DbsCheck) {
            store.book_workshop(pcn, &workshop, id, &at(2)).await?;
        }
        if d.stage == Active {
            time_and_expenses(store, pcn, id, i, now, &at).await?;
            badge_and_training(store, pcn, id, i, now, &at).await?;
        }
    }
    Ok(())
}
