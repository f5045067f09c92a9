//! The demo's offers: a dozen that a real PCN runs with its champions and partners, each with
//! a schedule that began ten weeks ago (so there is a season of sessions behind and ahead),
//! leads who are clear for the role, helpers on the rotas and some places still to fill, the
//! Saturday flu clinics, one session moved and one cancelled.

use crate::{wrong, Result};
use time::{Duration, OffsetDateTime};
use together_core::offers::{NewOffer, NewSession, OfferForm, SessionForm};
use together_core::recurrence::ScheduleForm;
use together_core::{PcnId, ServiceId};
use together_store::offers::{SessionFilter, GENERATE_DAYS};
use together_store::{DynStore, NewAuditEvent};

/// How long ago the season began.
const SEASON_DAYS: i64 = 70;

struct DemoOffer {
    name: &'static str,
    description: &'static str,
    kind: &'static str,
    /// Codes of the built-in categories.
    terms: &'static [&'static str],
    venue: &'static str,
    role: Option<&'static str>,
    partner: Option<&'static str>,
    helpers: i64,
    /// (freq, interval, byday, opens, closes); None: sessions arranged one by one.
    schedule: Option<(
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    )>,
    leads: &'static [&'static str],
    eligibility: &'static str,
    cost: &'static str,
}

const OFFERS: &[DemoOffer] = &[
    DemoOffer {
        name: "Harbourview walking group",
        description: "A gentle hour's walk along the sea front at an easy pace, then a cuppa at the Harbour Café. Everyone is welcome; nobody is left behind.",
        kind: "group",
        terms: &["physical_activity", "social_connection"],
        venue: "Harbour Café",
        role: Some("Walk leader"),
        partner: Some("Harbour Café"),
        helpers: 2,
        schedule: Some(("WEEKLY", "1", "TU", "10:00", "11:30")),
        leads: &["Dave", "Helen"],
        eligibility: "Anyone who would like a gentle walk and some company",
        cost: "",
    },
    DemoOffer {
        name: "Singing for wellbeing",
        description: "Songs everyone knows, no experience needed, with tea and biscuits after. Good for the lungs and the spirits.",
        kind: "group",
        terms: &["arts_music", "mental_wellbeing", "social_connection"],
        venue: "Citadel hall",
        role: Some("Group welcomer"),
        partner: Some("The Salvation Army, Harbourview"),
        helpers: 1,
        schedule: Some(("WEEKLY", "1", "TH", "14:00", "15:30")),
        leads: &["Susan"],
        eligibility: "",
        cost: "",
    },
    DemoOffer {
        name: "Ukulele group",
        description: "Learn a few chords and play together. Ukuleles to borrow.",
        kind: "group",
        terms: &["arts_music", "social_connection"],
        venue: "Citadel hall",
        role: Some("Group welcomer"),
        partner: Some("The Salvation Army, Harbourview"),
        helpers: 0,
        schedule: Some(("WEEKLY", "2", "MO", "18:00", "19:30")),
        leads: &["Susan"],
        eligibility: "",
        cost: "£1 for the tea fund, if you can",
    },
    DemoOffer {
        name: "Bereavement café",
        description: "A quiet table and a friendly ear for anyone who has lost someone, however long ago.",
        kind: "drop_in",
        terms: &["bereavement", "mental_wellbeing"],
        venue: "Harbour Café",
        role: Some("Group welcomer"),
        partner: Some("Harbour Café"),
        helpers: 1,
        schedule: Some(("MONTHLY", "1", "1WE", "10:30", "12:00")),
        leads: &["Amara"],
        eligibility: "Anyone who has lost someone",
        cost: "",
    },
    DemoOffer {
        name: "Living with cancer support group",
        description: "People living with cancer, and those close to them, meet to share what helps. A Macmillan nurse joins every other month.",
        kind: "group",
        terms: &["long_term_conditions", "mental_wellbeing"],
        venue: "Harbourview Library",
        role: Some("Group welcomer"),
        partner: None,
        helpers: 1,
        schedule: Some(("MONTHLY", "1", "3TH", "13:00", "15:00")),
        leads: &["Amara"],
        eligibility: "People living with cancer, their family and friends",
        cost: "",
    },
    DemoOffer {
        name: "Breastfeeding support drop-in",
        description: "Trained peer supporters help with feeding, whatever you choose. Bring the baby, and anyone you like.",
        kind: "drop_in",
        terms: &["parents_babies"],
        venue: "Quayside Surgery community room",
        role: Some("Group welcomer"),
        partner: None,
        helpers: 1,
        schedule: Some(("WEEKLY", "1", "FR", "10:00", "12:00")),
        leads: &["Susan"],
        eligibility: "Parents and their babies",
        cost: "",
    },
    DemoOffer {
        name: "Home blood-pressure monitor loans",
        description: "Borrow a monitor for a week, take your readings at home, and bring them back: your GP sees them.",
        kind: "equipment_loan",
        terms: &["health_checks", "equipment", "long_term_conditions"],
        venue: "Quayside Surgery community room",
        role: Some("Flu clinic helper"),
        partner: None,
        helpers: 1,
        schedule: Some(("WEEKLY", "1", "MO", "09:00", "12:00")),
        leads: &["Gareth", "Dave"],
        eligibility: "Adults asked by their practice to check their blood pressure",
        cost: "",
    },
    DemoOffer {
        name: "Saturday flu clinic helpers",
        description: "Guide people through the Saturday flu clinic: the queue, the forms, a friendly word and a seat for those who need one.",
        kind: "event",
        terms: &["health_checks"],
        venue: "Quayside Surgery community room",
        role: Some("Flu clinic helper"),
        partner: None,
        helpers: 12,
        schedule: None,
        leads: &["Gareth"],
        eligibility: "Everyone invited for a flu vaccine",
        cost: "",
    },
    DemoOffer {
        name: "Chair yoga",
        description: "Gentle stretches sitting down, for any body and any age.",
        kind: "group",
        terms: &["physical_activity"],
        venue: "Citadel hall",
        role: Some("Group welcomer"),
        partner: Some("The Salvation Army, Harbourview"),
        helpers: 1,
        schedule: Some(("WEEKLY", "1", "WE", "11:00", "12:00")),
        leads: &["Susan"],
        eligibility: "",
        cost: "",
    },
    DemoOffer {
        name: "Community safety drop-in",
        description: "Talk to your neighbourhood police team about scams, safety at home and anything worrying you.",
        kind: "drop_in",
        terms: &["money_housing"],
        venue: "Harbourview Library",
        role: None,
        partner: Some("Harbourview Neighbourhood Policing Team"),
        helpers: 0,
        schedule: Some(("MONTHLY", "1", "-1FR", "14:00", "16:00")),
        leads: &[],
        eligibility: "",
        cost: "",
    },
    DemoOffer {
        name: "Carers' coffee morning",
        description: "An hour for yourself with other carers, and someone who knows what help there is.",
        kind: "group",
        terms: &["carers", "social_connection"],
        venue: "Harbour Café",
        role: Some("Group welcomer"),
        partner: Some("Harbour Café"),
        helpers: 1,
        schedule: Some(("MONTHLY", "1", "2TU", "10:00", "11:30")),
        leads: &["Helen"],
        eligibility: "Anyone who looks after someone",
        cost: "",
    },
    DemoOffer {
        name: "Digital skills drop-in",
        description: "Help with phones, tablets, the NHS App and video calls with the family.",
        kind: "drop_in",
        terms: &["learning"],
        venue: "Harbourview Library",
        role: Some("Group welcomer"),
        partner: None,
        helpers: 1,
        schedule: Some(("WEEKLY", "1", "TH", "10:00", "12:00")),
        leads: &["Dave"],
        eligibility: "",
        cost: "",
    },
    DemoOffer {
        name: "Home visit befriending",
        description: "A champion visits someone who cannot get out, for a chat and help with everyday things, at times that suit you both.",
        kind: "one_to_one",
        terms: &["social_connection", "mental_wellbeing"],
        venue: "",
        role: Some("Home visit befriender"),
        partner: None,
        helpers: 0,
        schedule: None,
        leads: &["Amara"],
        eligibility: "People who cannot easily get out of the house",
        cost: "",
    },
];

/// Adds the demo's offers, with their seasons of sessions and rotas.
pub async fn build(store: &DynStore, pcn: PcnId, now: OffsetDateTime) -> Result<()> {
    let at = |days_ago: i64| dated(pcn, "offer", now - Duration::days(days_ago));
    let today = now.date();
    let a = at(SEASON_DAYS + 7);
    store
        .add_venue(
            pcn,
            None,
            &together_core::partners::NewVenue {
                name: "Quayside Surgery community room".into(),
                address: "1 Quay Street, Harbourview".into(),
                postcode: "HV1 1AA".into(),
                accessibility: "Step-free, hearing loop, accessible toilet, baby change".into(),
                capacity: Some(40),
            },
            &a,
        )
        .await?;
    let venues = store.venues(pcn).await?;
    let roles = store.champion_roles(pcn).await?;
    let partners = store.partners(pcn).await?;
    let terms = store.taxonomy_terms().await?;
    let champions = store.champions(pcn, &a).await?;
    let practices: Vec<String> = store
        .practices(pcn)
        .await?
        .iter()
        .map(|p| p.id.to_string())
        .collect();
    let champion = |given: &str| {
        champions
            .iter()
            .find(|c| c.given_name == given)
            .map(|c| c.id)
            .ok_or_else(|| wrong!("the demo has no champion called {given}"))
    };
    let mut helpers_pool = Vec::new();
    for given in ["Dave", "Helen", "Gareth", "Amara", "Susan"] {
        helpers_pool.push(champion(given)?);
    }
    let season_start = today - Duration::days(SEASON_DAYS);
    let mut flu = None;
    for (i, d) in OFFERS.iter().enumerate() {
        let mut fields: Vec<(String, String)> = vec![
            ("name".into(), d.name.into()),
            ("description".into(), d.description.into()),
            ("offer_kind".into(), d.kind.into()),
            ("offer_status".into(), "active".into()),
            ("helpers_needed".into(), d.helpers.to_string()),
            ("eligibility".into(), d.eligibility.into()),
            ("cost".into(), d.cost.into()),
            ("contact_name".into(), "The PCN's champions team".into()),
            ("phone".into(), "01632 960 123".into()),
        ];
        let find = |what: &str, id: Option<String>| {
            id.ok_or_else(|| wrong!("the demo has no {what} for {}", d.name))
        };
        if !d.venue.is_empty() {
            let v = venues
                .iter()
                .find(|v| v.name == d.venue)
                .map(|v| v.id.clone());
            fields.push(("venue_id".into(), find("venue", v)?));
        }
        if let Some(role) = d.role {
            let r = roles
                .iter()
                .find(|r| r.name == role)
                .map(|r| r.id.to_string());
            fields.push(("lead_role_id".into(), find("role", r)?));
        }
        if let Some(partner) = d.partner {
            let p = partners
                .iter()
                .find(|p| p.name == partner)
                .map(|p| p.id.clone());
            fields.push(("lead_partner_id".into(), find("partner", p)?));
        }
        for code in d.terms {
            let t = terms.iter().find(|t| t.code == *code).map(|t| t.id.clone());
            fields.push(("taxonomy".into(), find("category", t)?));
        }
        // Most offers serve every practice; a few are one practice's own.
        for (k, p) in practices.iter().enumerate() {
            if i % 4 != 3 || k == i % practices.len() {
                fields.push(("practices".into(), p.clone()));
            }
        }
        let offer: NewOffer = OfferForm::from_fields(&fields)
            .parse()
            .map_err(|e| wrong!("demo offer {}: {e:?}", d.name))?;
        let id = store.add_offer(pcn, &offer, &at(SEASON_DAYS + 7)).await?;
        for lead in d.leads {
            store
                .add_offer_lead(pcn, id, champion(lead)?, &at(0))
                .await?;
        }
        match d.schedule {
            Some((freq, interval, byday, opens, closes)) => {
                let r = ScheduleForm {
                    freq: freq.into(),
                    interval: interval.into(),
                    byday: byday.into(),
                    starts_on: season_start.to_string(),
                    opens_at: opens.into(),
                    closes_at: closes.into(),
                    ..ScheduleForm::default()
                }
                .parse()
                .map_err(|e| wrong!("demo schedule of {}: {e:?}", d.name))?;
                store
                    .add_schedule(
                        pcn,
                        id,
                        &r,
                        today + Duration::days(GENERATE_DAYS),
                        &at(SEASON_DAYS),
                    )
                    .await?;
            }
            None if d.kind == "event" => flu = Some(id),
            None => {}
        }
    }
    flu_clinics(store, pcn, flu, now).await?;
    rotas(store, pcn, &helpers_pool, now).await?;
    registers(store, pcn, now).await?;
    leads_time(store, pcn, now).await?;
    changes(store, pcn, now).await?;
    taster_today(store, pcn, now).await
}

/// A taster session of the singing group today, whatever day the demo runs (unless one of its
/// sessions already falls today), so that a register can be taken for someone connected today.
async fn taster_today(store: &DynStore, pcn: PcnId, now: OffsetDateTime) -> Result<()> {
    let today = now.date();
    let Some(singing) = store
        .offers(pcn)
        .await?
        .into_iter()
        .find(|o| o.name == "Singing for wellbeing")
    else {
        return Ok(());
    };
    let held_today = store
        .offer_sessions(
            pcn,
            &SessionFilter {
                offer: Some(singing.id),
                from: Some(today),
                to: Some(today),
                ..SessionFilter::default()
            },
        )
        .await?;
    if !held_today.is_empty() {
        return Ok(());
    }
    let s: NewSession = SessionForm {
        on: today.to_string(),
        opens_at: "14:00".into(),
        closes_at: "15:30".into(),
        note: "A taster session: come and try it".into(),
        ..SessionForm::default()
    }
    .parse(today)
    .map_err(|e| wrong!("demo taster session: {e:?}"))?;
    store
        .add_offer_session(pcn, singing.id, &s, &dated(pcn, "session", now))
        .await?;
    Ok(())
}

/// The next two Saturdays' flu clinics.
async fn flu_clinics(
    store: &DynStore,
    pcn: PcnId,
    flu: Option<ServiceId>,
    now: OffsetDateTime,
) -> Result<()> {
    let Some(flu) = flu else {
        return Ok(());
    };
    let a = dated(pcn, "session", now);
    let today = now.date();
    let mut saturday = today;
    while saturday.weekday() != time::Weekday::Saturday || saturday == today {
        saturday += Duration::days(1);
    }
    for week in 0..2 {
        let s: NewSession = SessionForm {
            on: (saturday + Duration::weeks(week)).to_string(),
            opens_at: "09:00".into(),
            closes_at: "13:00".into(),
            note: "Over-65s and people with long-term conditions; walk in or book".into(),
            ..SessionForm::default()
        }
        .parse(today)
        .map_err(|e| wrong!("demo flu clinic: {e:?}"))?;
        store.add_offer_session(pcn, flu, &s, &a).await?;
    }
    Ok(())
}

/// The demo's audit event for `resource`, dated when it would have happened.
fn dated(pcn: PcnId, resource: &str, at: OffsetDateTime) -> NewAuditEvent {
    NewAuditEvent {
        at,
        ..crate::audit(
            together_core::audit::AuditAction::DemoOffers,
            resource,
            Some(pcn),
        )
    }
}

/// Helpers on the rotas: every past session's places filled (signed up the week before), the
/// next fortnight's mostly, and later ones left with gaps for the coordinator to see.
async fn rotas(
    store: &DynStore,
    pcn: PcnId,
    pool: &[together_core::ChampionId],
    now: OffsetDateTime,
) -> Result<()> {
    let today = now.date();
    let sessions = store
        .offer_sessions(
            pcn,
            &SessionFilter {
                from: Some(today - Duration::days(SEASON_DAYS)),
                to: Some(today + Duration::weeks(6)),
                ..SessionFilter::default()
            },
        )
        .await?;
    for (n, s) in sessions.iter().enumerate() {
        let wanted = if s.on < today {
            s.helpers_needed
        } else if s.on < today + Duration::weeks(2) {
            s.helpers_needed.min(4) - i64::from(n % 3 == 0)
        } else {
            i64::from(n % 2 == 0)
        };
        let signed_up = if s.on <= today {
            s.on.midnight().assume_utc() - Duration::days(7)
        } else {
            now
        };
        let a = dated(pcn, "rota_place", signed_up);
        let mut placed = 0;
        for k in 0..pool.len() {
            if placed >= wanted {
                break;
            }
            let champion = pool[(n + k) % pool.len()];
            // Not everyone is clear for every role: the store says who is.
            match store.take_rota_place(pcn, s.id, champion, &a).await {
                Ok(()) => placed += 1,
                Err(together_store::StoreError::Refused(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(())
}

/// One session moved (the hall is booked) and one cancelled (a storm), with the people
/// expected told.
async fn changes(store: &DynStore, pcn: PcnId, now: OffsetDateTime) -> Result<()> {
    let today = now.date();
    let a = dated(pcn, "session", now);
    let ahead = store
        .offer_sessions(
            pcn,
            &SessionFilter {
                from: Some(today + Duration::days(1)),
                to: Some(today + Duration::weeks(3)),
                ..SessionFilter::default()
            },
        )
        .await?;
    if let Some(walk) = ahead
        .iter()
        .find(|s| s.offer_name == "Harbourview walking group")
    {
        store
            .cancel_offer_session(pcn, walk.id, "Storm warning: stay safe at home", &a)
            .await?;
    }
    let library = store
        .venues(pcn)
        .await?
        .into_iter()
        .find(|v| v.name == "Harbourview Library")
        .map(|v| v.id);
    if let Some(singing) = ahead
        .iter()
        .find(|s| s.offer_name == "Singing for wellbeing")
    {
        let to = NewSession {
            on: singing.on,
            opens_at: singing.opens_at,
            closes_at: singing.closes_at,
            venue_id: library,
            note: "The hall is booked for a funeral; we meet at the library this week".into(),
        };
        store.move_offer_session(pcn, singing.id, &to, &a).await?;
    }
    Ok(())
}

/// The people on the demo's registers: made up, first name and initial only.
const REGULARS: [&str; 24] = [
    "Florence A.",
    "Bill T.",
    "Margaret O.",
    "Stan W.",
    "Pat K.",
    "Eileen R.",
    "Mo K.",
    "Sandra J.",
    "Ray P.",
    "Doreen M.",
    "Ken H.",
    "June L.",
    "Aziz B.",
    "Brenda C.",
    "Colin F.",
    "Shirley D.",
    "Tony G.",
    "Val N.",
    "Wendy S.",
    "Les E.",
    "Priya V.",
    "Noreen Y.",
    "Alf U.",
    "Rita Z.",
];

/// A register for every session held so far: each offer has its regulars, most of whom come
/// most weeks, a newcomer now and then who sometimes stays, and a few who give no name.
async fn registers(store: &DynStore, pcn: PcnId, now: OffsetDateTime) -> Result<()> {
    use together_core::offers::RegisterForm;
    let today = now.date();
    let held = store
        .offer_sessions(
            pcn,
            &SessionFilter {
                from: Some(today - Duration::days(SEASON_DAYS)),
                to: Some(today - Duration::days(1)),
                ..SessionFilter::default()
            },
        )
        .await?;
    let offers = store.offers(pcn).await?;
    for (n, s) in held.iter().enumerate() {
        let k = offers.iter().position(|o| o.id == s.offer_id).unwrap_or(0);
        // Each offer draws its regulars from its own stretch of the list.
        let start = (k * 5) % REGULARS.len();
        let weeks_in = ((s.on - (today - Duration::days(SEASON_DAYS))).whole_days() / 7) as usize;
        let mut fields: Vec<(String, String)> = Vec::new();
        for j in 0..(4 + k % 5 + weeks_in.min(4)) {
            // Most come most weeks.
            if (n + j) % 5 != 0 {
                let who = REGULARS[(start + j) % REGULARS.len()];
                fields.push(("came".into(), who.into()));
            }
        }
        fields.push(("others".into(), ((n * 7) % 4).to_string()));
        let register = RegisterForm::from_fields(&fields)
            .parse()
            .map_err(|e| wrong!("demo register: {e:?}"))?;
        let at = s.on.midnight().assume_utc() + Duration::hours(12);
        store
            .save_register(pcn, s.id, None, &register, &dated(pcn, "register", at))
            .await?;
    }
    Ok(())
}

/// The time the leads gave to their offers over the last three weeks, approved, so the
/// coordinator's totals show each offer's share of the hours gifted.
async fn leads_time(store: &DynStore, pcn: PcnId, now: OffsetDateTime) -> Result<()> {
    use together_core::hours_expenses::NewHours;
    use together_store::champions::Claim;
    let today = now.date();
    let offers = store.offers(pcn).await?;
    let held = store
        .offer_sessions(
            pcn,
            &SessionFilter {
                from: Some(today - Duration::days(21)),
                to: Some(today - Duration::days(1)),
                ..SessionFilter::default()
            },
        )
        .await?;
    for s in &held {
        let Some(o) = offers.iter().find(|o| o.id == s.offer_id) else {
            continue;
        };
        for lead in &o.leads {
            let hours = NewHours {
                on: s.on,
                minutes: (s.closes_at - s.opens_at).whole_minutes() + 30,
                activity: format!("Leading {}", o.name),
                offer: Some(o.id),
            };
            let at = dated(
                pcn,
                "champion_hours",
                s.on.midnight().assume_utc() + Duration::hours(18),
            );
            let entry = store.log_hours(pcn, *lead, &hours, &at).await?;
            store
                .decide_claim(pcn, Claim::Hours, &entry, true, "", &at)
                .await?;
        }
    }
    Ok(())
}
