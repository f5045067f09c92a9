//! Offers: the walking groups, support groups, loans and clinics that champions and partners
//! run. An offer is a directory service the PCN runs, with its own extra fields (kind, leads,
//! the role a lead needs, capacity, helpers per session, the practices it serves).

use crate::listings::{whole, ServiceFields, ServiceText};
use crate::partners::text;
use crate::people::{parse_date, FieldError};
use crate::recurrence::{clock, parse_time};
use crate::{ChampionRoleId, PracticeId};
use time::{Date, Time};

/// What kind of offer it is.
pub const OFFER_KINDS: &[(&str, &str)] = &[
    ("group", "A group that meets"),
    ("one_to_one", "One-to-one support"),
    ("drop_in", "A drop-in"),
    ("equipment_loan", "An equipment loan"),
    ("event", "An event"),
];

/// Where an offer is in its life. Only active offers take new sessions' registers and show as
/// open in the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferStatus {
    Planned,
    Active,
    Paused,
    Ended,
}

impl OfferStatus {
    pub const ALL: [OfferStatus; 4] = [
        OfferStatus::Planned,
        OfferStatus::Active,
        OfferStatus::Paused,
        OfferStatus::Ended,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OfferStatus::Planned => "planned",
            OfferStatus::Active => "active",
            OfferStatus::Paused => "paused",
            OfferStatus::Ended => "ended",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            OfferStatus::Planned => "Planned",
            OfferStatus::Active => "Running",
            OfferStatus::Paused => "Paused",
            OfferStatus::Ended => "Ended",
        }
    }

    /// Whether someone can be connected or invited to it now: it is running, or planned.
    pub fn welcomes_people(self) -> bool {
        matches!(self, OfferStatus::Active | OfferStatus::Planned)
    }

    /// The ORUK 3.0 service status it is published as.
    pub fn oruk(self) -> &'static str {
        match self {
            OfferStatus::Planned => "inactive",
            OfferStatus::Active => "active",
            OfferStatus::Paused => "temporarily closed",
            OfferStatus::Ended => "defunct",
        }
    }
}

/// The offer form's fields in the order it shows them.
const OFFER_FIELDS: &[&str] = &[
    "name",
    "description",
    "offer_kind",
    "offer_status",
    "taxonomy",
    "eligibility",
    "minimum_age",
    "maximum_age",
    "capacity",
    "helpers_needed",
    "lead_role_id",
    "cost",
    "accessibility",
    "contact_name",
    "phone",
    "email",
    "url",
    "starts_on",
    "ends_on",
    "practices",
];

/// An offer as typed (repeated fields gathered: taxonomy terms and practices).
#[derive(Debug, Clone, Default)]
pub struct OfferForm {
    pub name: String,
    pub description: String,
    pub kind: String,
    pub status: String,
    pub taxonomy: Vec<String>,
    pub eligibility: String,
    pub minimum_age: String,
    pub maximum_age: String,
    pub cohort_id: String,
    pub venue_id: String,
    pub capacity: String,
    pub helpers_needed: String,
    pub lead_role_id: String,
    pub lead_partner_id: String,
    pub risk_assessment_id: String,
    pub cost: String,
    pub accessibility: String,
    pub contact_name: String,
    pub phone: String,
    pub email: String,
    pub url: String,
    pub starts_on: String,
    pub ends_on: String,
    pub practices: Vec<String>,
}

/// A checked offer. References (venue, role, partner, terms, practices) are checked by the store
/// against the PCN's own records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOffer {
    pub name: String,
    pub description: String,
    pub kind: String,
    pub status: OfferStatus,
    pub taxonomy: Vec<String>,
    pub eligibility: String,
    pub minimum_age: Option<i64>,
    pub maximum_age: Option<i64>,
    pub cohort_id: Option<String>,
    pub venue_id: Option<String>,
    pub capacity: Option<i64>,
    /// Champions wanted on the rota of each session (0: none).
    pub helpers_needed: i64,
    pub lead_role: Option<ChampionRoleId>,
    pub lead_partner_id: Option<String>,
    pub risk_assessment_id: Option<String>,
    /// "Free" unless said otherwise.
    pub cost: String,
    pub accessibility: String,
    pub contact_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub url: Option<String>,
    /// The season it runs, if it has one: every session must fall within it.
    pub starts_on: Option<Date>,
    pub ends_on: Option<Date>,
    pub practices: Vec<PracticeId>,
}

fn optional(v: &str) -> Option<String> {
    Some(v.trim().to_owned()).filter(|s| !s.is_empty())
}

impl OfferForm {
    /// Gathers the form from its fields in order (checkboxes repeat their name).
    pub fn from_fields(fields: &[(String, String)]) -> Self {
        let mut f = Self::default();
        for (k, v) in fields {
            let slot = match k.as_str() {
                "name" => &mut f.name,
                "description" => &mut f.description,
                "offer_kind" => &mut f.kind,
                "offer_status" => &mut f.status,
                "eligibility" => &mut f.eligibility,
                "minimum_age" => &mut f.minimum_age,
                "maximum_age" => &mut f.maximum_age,
                "cohort_id" => &mut f.cohort_id,
                "venue_id" => &mut f.venue_id,
                "capacity" => &mut f.capacity,
                "helpers_needed" => &mut f.helpers_needed,
                "lead_role_id" => &mut f.lead_role_id,
                "lead_partner_id" => &mut f.lead_partner_id,
                "risk_assessment_id" => &mut f.risk_assessment_id,
                "cost" => &mut f.cost,
                "accessibility" => &mut f.accessibility,
                "contact_name" => &mut f.contact_name,
                "phone" => &mut f.phone,
                "email" => &mut f.email,
                "url" => &mut f.url,
                "starts_on" => &mut f.starts_on,
                "ends_on" => &mut f.ends_on,
                "taxonomy" => {
                    f.taxonomy.push(v.clone());
                    continue;
                }
                "practices" => {
                    f.practices.push(v.clone());
                    continue;
                }
                _ => continue,
            };
            *slot = v.clone();
        }
        f
    }

    pub fn parse(&self) -> Result<NewOffer, Vec<FieldError>> {
        let mut errors = Vec::new();
        let ServiceFields {
            name,
            description,
            taxonomy,
            eligibility,
            minimum_age,
            maximum_age,
            cost,
            accessibility,
            contact_name,
            phone,
            email,
            url,
        } = ServiceText {
            name: &self.name,
            description: &self.description,
            taxonomy: &self.taxonomy,
            eligibility: &self.eligibility,
            minimum_age: &self.minimum_age,
            maximum_age: &self.maximum_age,
            cost: &self.cost,
            accessibility: &self.accessibility,
            contact_name: &self.contact_name,
            phone: &self.phone,
            email: &self.email,
            url: &self.url,
        }
        .parse("the offer's name", &mut errors);
        let kind = OFFER_KINDS
            .iter()
            .find(|(k, _)| *k == self.kind.trim())
            .map(|(k, _)| (*k).to_owned());
        if kind.is_none() {
            errors.push(FieldError {
                field: "offer_kind",
                message: "Choose what kind of offer it is".into(),
            });
        }
        let status = if self.status.trim().is_empty() {
            Some(OfferStatus::Planned)
        } else {
            OfferStatus::parse(&self.status)
        };
        if status.is_none() {
            errors.push(FieldError {
                field: "offer_status",
                message: "Choose planned, running, paused or ended".into(),
            });
        }
        let capacity = whole(
            "capacity",
            &self.capacity,
            1..=100_000,
            "Enter how many people it can welcome at once, 1 or more (or leave it empty for no limit)",
            &mut errors,
        );
        let helpers_needed = whole(
            "helpers_needed",
            &self.helpers_needed,
            0..=200,
            "Enter how many champions each session needs on its rota, from 0 to 200",
            &mut errors,
        )
        .unwrap_or(0);
        let lead_role = optional(&self.lead_role_id).and_then(|r| match r.parse() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.push(FieldError {
                    field: "lead_role_id",
                    message: "Choose a role from the list".into(),
                });
                None
            }
        });
        let date = |field: &'static str, v: &str, errors: &mut Vec<FieldError>| {
            optional(v).and_then(|v| {
                let d = parse_date(&v);
                if d.is_none() {
                    errors.push(FieldError {
                        field,
                        message: "Enter a date like 2027-01-05, or leave it empty".into(),
                    });
                }
                d
            })
        };
        let starts_on = date("starts_on", &self.starts_on, &mut errors);
        let ends_on = date("ends_on", &self.ends_on, &mut errors);
        if let (Some(s), Some(e)) = (starts_on, ends_on) {
            if e < s {
                errors.push(FieldError {
                    field: "ends_on",
                    message: "The last date must be on or after the first".into(),
                });
            }
        }
        let mut practices: Vec<PracticeId> = Vec::new();
        for p in self.practices.iter().filter(|p| !p.trim().is_empty()) {
            match p.trim().parse() {
                Ok(id) if !practices.contains(&id) => practices.push(id),
                Ok(_) => {}
                Err(_) => {
                    errors.push(FieldError {
                        field: "practices",
                        message: "Choose practices from the list".into(),
                    });
                    break;
                }
            }
        }
        // The summary lists problems in the order the form asks.
        errors.sort_by_key(|e| OFFER_FIELDS.iter().position(|f| *f == e.field));
        match (kind, status) {
            (Some(kind), Some(status)) if errors.is_empty() => Ok(NewOffer {
                name,
                description,
                kind,
                status,
                taxonomy,
                eligibility,
                minimum_age,
                maximum_age,
                cohort_id: optional(&self.cohort_id),
                venue_id: optional(&self.venue_id),
                capacity,
                helpers_needed,
                lead_role,
                lead_partner_id: optional(&self.lead_partner_id),
                risk_assessment_id: optional(&self.risk_assessment_id),
                cost,
                accessibility,
                contact_name,
                phone,
                email,
                url,
                starts_on,
                ends_on,
                practices,
            }),
            _ => Err(errors),
        }
    }
}

impl NewOffer {
    /// Why a session on `on` cannot be part of this offer, if it cannot.
    pub fn outside_season(&self, on: Date) -> Option<String> {
        outside_season(self.starts_on, self.ends_on, on)
    }
}

/// Why a session on `on` falls outside an offer's season, if it does.
pub fn outside_season(starts_on: Option<Date>, ends_on: Option<Date>, on: Date) -> Option<String> {
    match (starts_on, ends_on) {
        (Some(s), _) if on < s => Some(format!(
            "{on} is before the offer starts ({s}): change the offer's dates first"
        )),
        (_, Some(e)) if on > e => Some(format!(
            "{on} is after the offer ends ({e}): change the offer's dates first"
        )),
        _ => None,
    }
}

/// A single session as typed: a one-off event, or where and when a session moves to.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct SessionForm {
    pub on: String,
    pub opens_at: String,
    pub closes_at: String,
    /// Empty: the offer's own venue.
    pub venue_id: String,
    /// Why it moved or was added, for the people expected.
    pub note: String,
}

/// A checked single session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub on: Date,
    pub opens_at: Time,
    pub closes_at: Time,
    pub venue_id: Option<String>,
    pub note: String,
}

impl NewSession {
    /// "10:00 to 11:30".
    pub fn times(&self) -> String {
        format!("{} to {}", clock(self.opens_at), clock(self.closes_at))
    }
}

impl SessionForm {
    /// `today`: a session cannot be added or moved into the past.
    pub fn parse(&self, today: Date) -> Result<NewSession, Vec<FieldError>> {
        let mut errors = Vec::new();
        let on = match parse_date(&self.on) {
            Some(d) if d < today => {
                errors.push(FieldError {
                    field: "on",
                    message: "Choose today or a later date".into(),
                });
                None
            }
            Some(d) => Some(d),
            None => {
                errors.push(FieldError {
                    field: "on",
                    message: "Enter the date, like 2027-01-05".into(),
                });
                None
            }
        };
        let opens_at = parse_time(&self.opens_at);
        if opens_at.is_none() {
            errors.push(FieldError {
                field: "opens_at",
                message: "Enter the start time, like 10:00".into(),
            });
        }
        let closes_at = parse_time(&self.closes_at);
        match (opens_at, closes_at) {
            (_, None) => errors.push(FieldError {
                field: "closes_at",
                message: "Enter the end time, like 11:30".into(),
            }),
            (Some(o), Some(c)) if c <= o => errors.push(FieldError {
                field: "closes_at",
                message: "The end time must be after the start time".into(),
            }),
            _ => {}
        }
        let note = text("note", &self.note, 500, None, &mut errors);
        match (on, opens_at, closes_at) {
            (Some(on), Some(opens_at), Some(closes_at)) if errors.is_empty() => Ok(NewSession {
                on,
                opens_at,
                closes_at,
                venue_id: optional(&self.venue_id),
                note,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn an_offer_needs_a_name_a_description_and_a_kind_and_is_free_unless_said() {
        let e = OfferForm::default().parse().unwrap_err();
        assert_eq!(
            e.iter().map(|e| e.field).collect::<Vec<_>>(),
            ["name", "description", "offer_kind"]
        );
        let o = OfferForm::from_fields(&fields(&[
            ("name", "Harbourview walking group"),
            (
                "description",
                "A gentle hour's walk along the sea front, then tea.",
            ),
            ("offer_kind", "group"),
            ("taxonomy", "6f1b4c0e-2d9a-4f3e-9a51-0c7d2b8e1a01"),
            ("taxonomy", "6f1b4c0e-2d9a-4f3e-9a51-0c7d2b8e1a01"),
            ("helpers_needed", "2"),
        ]))
        .parse()
        .unwrap();
        assert_eq!(o.status, OfferStatus::Planned);
        assert_eq!(o.cost, "Free");
        assert_eq!(o.taxonomy.len(), 1);
        assert_eq!(o.helpers_needed, 2);
        assert_eq!(o.capacity, None);
    }

    #[test]
    fn capacity_below_one_ages_the_wrong_way_round_and_a_backwards_season_are_refused() {
        let e = OfferForm::from_fields(&fields(&[
            ("name", "Singing for the brain"),
            ("description", "Songs and tea."),
            ("offer_kind", "group"),
            ("capacity", "-3"),
            ("minimum_age", "65"),
            ("maximum_age", "18"),
            ("starts_on", "2027-06-01"),
            ("ends_on", "2027-01-01"),
            ("helpers_needed", "lots"),
            ("url", "harbourview.example"),
        ]))
        .parse()
        .unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "maximum_age",
                "capacity",
                "helpers_needed",
                "url",
                "ends_on"
            ]
        );
        assert!(e[1].message.contains("1 or more"));
    }

    #[test]
    fn a_session_outside_the_season_says_which_end_it_missed() {
        let s = Some(date!(2027 - 01 - 05));
        let e = Some(date!(2027 - 03 - 30));
        assert!(outside_season(s, e, date!(2027 - 01 - 04))
            .unwrap()
            .contains("before the offer starts"));
        assert!(outside_season(s, e, date!(2027 - 04 - 01))
            .unwrap()
            .contains("after the offer ends"));
        assert_eq!(outside_season(s, e, date!(2027 - 02 - 01)), None);
        assert_eq!(outside_season(None, None, date!(2030 - 02 - 01)), None);
    }

    #[test]
    fn a_one_off_session_is_today_or_later_and_ends_after_it_starts() {
        let today = date!(2027 - 01 - 10);
        let f = |on: &str, o: &str, c: &str| SessionForm {
            on: on.into(),
            opens_at: o.into(),
            closes_at: c.into(),
            ..SessionForm::default()
        };
        let ok = f("2027-01-16", "09:00", "13:00").parse(today).unwrap();
        assert_eq!(ok.times(), "09:00 to 13:00");
        assert_eq!(
            f("2027-01-09", "09:00", "13:00").parse(today).unwrap_err()[0].field,
            "on"
        );
        assert_eq!(
            f("2027-01-16", "13:00", "09:00").parse(today).unwrap_err()[0].field,
            "closes_at"
        );
    }

    #[test]
    fn offer_statuses_publish_as_oruk_service_statuses() {
        let oruk: Vec<_> = OfferStatus::ALL.iter().map(|s| s.oruk()).collect();
        assert_eq!(
            oruk,
            ["inactive", "active", "temporarily closed", "defunct"]
        );
        for s in OfferStatus::ALL {
            assert_eq!(OfferStatus::parse(s.as_str()), Some(s));
        }
    }
}

/// How someone appears on a register: first name and the initial of the family name
/// ("Florence A."), never more, since champions take registers.
pub fn register_label(typed: &str) -> Option<String> {
    let words: Vec<&str> = typed
        .split_whitespace()
        .map(|w| w.trim_matches('.'))
        .filter(|w| !w.is_empty())
        .collect();
    let first = words.first()?;
    if first.chars().count() > 30 || words.iter().any(|w| w.chars().any(char::is_control)) {
        return None;
    }
    let mut given: Vec<char> = first.chars().collect();
    given[0] = given[0].to_uppercase().next().unwrap_or(given[0]);
    let given: String = given.into_iter().collect();
    Some(match words.get(1..).and_then(|rest| rest.last()) {
        Some(family) => {
            let initial = family.chars().next()?.to_uppercase().collect::<String>();
            format!("{given} {initial}.")
        }
        None => given,
    })
}

/// A register as a lead sends it from their phone: who came (repeated `came` fields, the
/// labels shown, and `new` fields typed for newcomers) and how many others.
#[derive(Debug, Clone, Default)]
pub struct RegisterForm {
    pub came: Vec<String>,
    pub newcomers: Vec<String>,
    pub others: String,
}

/// A checked register: the labels of who came, each once, and the count of others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRegister {
    pub came: Vec<String>,
    pub others: i64,
}

/// The most people one register can hold: a big event, not a typo's worth.
pub const REGISTER_MAX: usize = 500;

impl RegisterForm {
    pub fn from_fields(fields: &[(String, String)]) -> Self {
        let mut f = Self::default();
        for (k, v) in fields {
            match k.as_str() {
                "came" => f.came.push(v.clone()),
                "new" => f.newcomers.push(v.clone()),
                "others" => f.others = v.clone(),
                _ => {}
            }
        }
        f
    }

    pub fn parse(&self) -> Result<NewRegister, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut came: Vec<String> = Vec::new();
        for typed in self.came.iter().chain(&self.newcomers) {
            if typed.trim().is_empty() {
                continue;
            }
            match register_label(typed) {
                Some(l) if !came.contains(&l) => came.push(l),
                Some(_) => {}
                None => {
                    errors.push(FieldError {
                        field: "new",
                        message: format!(
                            "\"{}\" is not a first name and initial, like Florence A.",
                            typed.trim()
                        ),
                    });
                    break;
                }
            }
        }
        let others = match self.others.trim() {
            "" => 0,
            o => match o.parse::<i64>() {
                Ok(n) if (0..=REGISTER_MAX as i64).contains(&n) => n,
                _ => {
                    errors.push(FieldError {
                        field: "others",
                        message: format!("Enter how many others came, from 0 to {REGISTER_MAX}"),
                    });
                    0
                }
            },
        };
        if came.len() > REGISTER_MAX {
            errors.push(FieldError {
                field: "new",
                message: format!("A register holds at most {REGISTER_MAX} names"),
            });
        }
        if errors.is_empty() {
            Ok(NewRegister { came, others })
        } else {
            Err(errors)
        }
    }
}

/// An offer's figures from its registers: sessions held, attendances (named and others),
/// different people, and of the people at each session how many came for the first time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Attendance {
    pub sessions_held: usize,
    pub attendances: i64,
    pub unique_people: usize,
    pub new_people: usize,
    /// People who came to more than one session.
    pub returning_people: usize,
    /// Per session held, in date order: (day, named, others, of the named how many were new).
    pub per_session: Vec<(Date, usize, i64, usize)>,
}

/// Works out an offer's figures from its registers, given in date order as (day, named, others).
pub fn attendance(registers: &[(Date, Vec<String>, i64)]) -> Attendance {
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut a = Attendance::default();
    for (day, named, others) in registers {
        let mut new = 0;
        for n in named {
            let count = seen.entry(n.as_str()).or_insert(0);
            if *count == 0 {
                new += 1;
            }
            *count += 1;
        }
        a.sessions_held += 1;
        a.attendances += named.len() as i64 + others;
        a.per_session.push((*day, named.len(), *others, new));
    }
    a.unique_people = seen.len();
    a.new_people = a.per_session.iter().map(|s| s.3).sum();
    a.returning_people = seen.values().filter(|c| **c > 1).count();
    a
}

#[cfg(test)]
mod register_tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_register_keeps_first_names_and_initials_only_each_once() {
        assert_eq!(
            register_label("florence ashworth").as_deref(),
            Some("Florence A.")
        );
        assert_eq!(
            register_label(" Florence  A. ").as_deref(),
            Some("Florence A.")
        );
        assert_eq!(register_label("Dave").as_deref(), Some("Dave"));
        assert_eq!(register_label("  "), None);
        let r = RegisterForm::from_fields(
            &[
                ("came", "Florence A."),
                ("came", "Bill T."),
                ("new", "florence ashworth"),
                ("new", "Mo Khan"),
                ("others", "3"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        )
        .parse()
        .unwrap();
        assert_eq!(r.came, ["Florence A.", "Bill T.", "Mo K."]);
        assert_eq!(r.others, 3);
        let bad = RegisterForm {
            others: "-1".into(),
            ..RegisterForm::default()
        }
        .parse()
        .unwrap_err();
        assert_eq!(bad[0].field, "others");
    }

    #[test]
    fn figures_count_new_and_returning_people_across_sessions() {
        let l = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let a = attendance(&[
            (date!(2026 - 11 - 03), l(&["Florence A.", "Bill T."]), 2),
            (date!(2026 - 11 - 10), l(&["Florence A.", "Mo K."]), 0),
            (date!(2026 - 11 - 17), l(&["Florence A."]), 1),
        ]);
        assert_eq!(a.sessions_held, 3);
        assert_eq!(a.attendances, 8);
        assert_eq!(a.unique_people, 3);
        assert_eq!(a.new_people, 3);
        assert_eq!(a.returning_people, 1);
        assert_eq!(a.per_session[1], (date!(2026 - 11 - 10), 2, 0, 1));
    }
}
