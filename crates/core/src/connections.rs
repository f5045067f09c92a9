//! Connections: a champion, link worker or clinician connects a person to an offer, to another
//! service in the directory, or to another person (a buddy, a champion) — "Dave took Florence to
//! a singing group". The rules here: the steps a connection goes through, where it came from,
//! why it ended, when it is followed up, and what a valid form looks like. Never "referrals":
//! a link worker's referral is its own record (docs/design.md, "Formats spoken"), and a connection is never
//! coded into the GP record.

use crate::people::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use time::{Date, Duration};

/// Where a connection has got to. Each step is a date the person reached it; a connection only
/// moves forward (it may skip a step: someone may go along the same day they hear of it), and
/// an ended one stays ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Suggested,
    Contacted,
    WentAlong,
    KeepsGoing,
    Ended,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Suggested,
        Status::Contacted,
        Status::WentAlong,
        Status::KeepsGoing,
        Status::Ended,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Suggested => "suggested",
            Status::Contacted => "contacted",
            Status::WentAlong => "went_along",
            Status::KeepsGoing => "keeps_going",
            Status::Ended => "ended",
        }
    }

    /// In the users' words, for lists and buttons.
    pub fn label(self) -> &'static str {
        match self {
            Status::Suggested => "Suggested",
            Status::Contacted => "Contacted",
            Status::WentAlong => "Went along",
            Status::KeepsGoing => "Keeps going",
            Status::Ended => "Ended",
        }
    }

    /// Still open: someone is looking after it (it is on their caseload and list).
    pub fn is_open(self) -> bool {
        self != Status::Ended
    }

    /// Whether a connection at `self` may move to `next`.
    pub fn may_move_to(self, next: Status) -> bool {
        self.is_open() && next > self
    }

    /// Where a register mark at the offer moves it: a first visit is "went along", a later one
    /// "keeps going". None when the mark changes nothing (it already keeps going, or ended).
    pub fn after_a_visit(self) -> Option<Status> {
        match self {
            Status::Suggested | Status::Contacted => Some(Status::WentAlong),
            Status::WentAlong => Some(Status::KeepsGoing),
            Status::KeepsGoing | Status::Ended => None,
        }
    }
}

impl FromStr for Status {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|x| x.as_str() == s).ok_or(())
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a connection ended, so that "didn't suit" is counted and not hidden among the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// It has done what it was for, or the person goes on their own now.
    NoLongerNeeded,
    DidNotSuit,
    /// They said no, or could not be reached.
    DidNotWant,
    CouldNotContact,
    MovedAway,
    Died,
    Other,
}

impl EndReason {
    pub const ALL: [EndReason; 7] = [
        EndReason::NoLongerNeeded,
        EndReason::DidNotSuit,
        EndReason::DidNotWant,
        EndReason::CouldNotContact,
        EndReason::MovedAway,
        EndReason::Died,
        EndReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::NoLongerNeeded => "no_longer_needed",
            EndReason::DidNotSuit => "did_not_suit",
            EndReason::DidNotWant => "did_not_want",
            EndReason::CouldNotContact => "could_not_contact",
            EndReason::MovedAway => "moved_away",
            EndReason::Died => "died",
            EndReason::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EndReason::NoLongerNeeded => "They go on their own now, or no longer need it",
            EndReason::DidNotSuit => "It didn't suit them",
            EndReason::DidNotWant => "They decided not to",
            EndReason::CouldNotContact => "We could not reach them",
            EndReason::MovedAway => "They moved away",
            EndReason::Died => "They died",
            EndReason::Other => "Something else (say in the note)",
        }
    }
}

impl FromStr for EndReason {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|x| x.as_str() == s).ok_or(())
    }
}

/// Where the connection came from: the evaluation reports each source apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// An invitation sent to a cohort found in Insight.
    CohortInvitation,
    /// The person came forward themselves.
    Themselves,
    ClinicianSuggestion,
    CommunityEvent,
    Other,
}

impl Source {
    pub const ALL: [Source; 5] = [
        Source::CohortInvitation,
        Source::Themselves,
        Source::ClinicianSuggestion,
        Source::CommunityEvent,
        Source::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::CohortInvitation => "cohort_invitation",
            Source::Themselves => "themselves",
            Source::ClinicianSuggestion => "clinician_suggestion",
            Source::CommunityEvent => "community_event",
            Source::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Source::CohortInvitation => "An invitation from the practice",
            Source::Themselves => "They came forward themselves",
            Source::ClinicianSuggestion => "A GP, nurse or other clinician suggested it",
            Source::CommunityEvent => "A community event or stall",
            Source::Other => "Somewhere else",
        }
    }
}

impl FromStr for Source {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|x| x.as_str() == s).ok_or(())
    }
}

/// What a person is connected to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Target {
    /// An offer the PCN runs, or any other service in the directory.
    Service(crate::ServiceId),
    /// A champion who will go along with them, or look in on them.
    Champion(crate::ChampionId),
    /// Another person the PCN supports (a buddy).
    Person(crate::PersonId),
}

impl Target {
    /// As a form sends it: `service:<id>`, `champion:<id>` or `person:<id>`.
    pub fn key(&self) -> String {
        match self {
            Target::Service(id) => format!("service:{id}"),
            Target::Champion(id) => format!("champion:{id}"),
            Target::Person(id) => format!("person:{id}"),
        }
    }
}

impl FromStr for Target {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let (kind, id) = s.trim().split_once(':').ok_or(())?;
        match kind {
            "service" => id.parse().map(Target::Service).map_err(|_| ()),
            "champion" => id.parse().map(Target::Champion).map_err(|_| ()),
            "person" => id.parse().map(Target::Person).map_err(|_| ()),
            _ => Err(()),
        }
    }
}

/// The setting holding when connections are followed up, in days after they are made.
pub const FOLLOW_UPS_SETTING: &str = "connections.follow_up_days";
/// Two weeks and three months, as link workers do it today.
pub const DEFAULT_FOLLOW_UP_DAYS: [i64; 2] = [14, 91];

/// The follow-up days a PCN set ("14, 91"), or the defaults when unset or unreadable: each
/// from 1 day to 2 years, in order, at most six.
pub fn follow_up_days(setting: Option<&str>) -> Vec<i64> {
    let parsed: Option<Vec<i64>> = setting.map(|s| {
        s.split([',', ' '])
            .filter(|p| !p.is_empty())
            .map(|p| p.parse::<i64>().ok().filter(|d| (1..=730).contains(d)))
            .collect::<Option<Vec<_>>>()
            .unwrap_or_default()
    });
    match parsed {
        Some(mut days) if !days.is_empty() && days.len() <= 6 => {
            days.sort_unstable();
            days.dedup();
            days
        }
        _ => DEFAULT_FOLLOW_UP_DAYS.to_vec(),
    }
}

/// How many connections one offer, service or person has reached at each step, and how many
/// of their follow-ups were missed: counts only, nobody named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepCounts {
    pub to: String,
    /// In the order of [`Status::ALL`].
    pub at: [u64; 5],
    pub missed_follow_ups: u64,
}

/// Counts connections — (what to, where it has got to, follow-ups missed) — by what they are
/// to, most connections first, then by name.
pub fn count_by_step(connections: &[(String, Status, i64)]) -> Vec<StepCounts> {
    let mut rows: Vec<StepCounts> = Vec::new();
    for (to, status, missed) in connections {
        let i = match rows.iter().position(|r| &r.to == to) {
            Some(i) => i,
            None => {
                rows.push(StepCounts {
                    to: to.clone(),
                    at: [0; 5],
                    missed_follow_ups: 0,
                });
                rows.len() - 1
            }
        };
        if let Some(step) = Status::ALL.iter().position(|s| s == status) {
            rows[i].at[step] += 1;
        }
        rows[i].missed_follow_ups += u64::try_from(*missed).unwrap_or(0);
    }
    rows.sort_by(|a, b| {
        let total = |r: &StepCounts| r.at.iter().sum::<u64>();
        total(b).cmp(&total(a)).then_with(|| a.to.cmp(&b.to))
    });
    rows
}

/// The follow-ups a connection made on `made_on` is due.
pub fn follow_ups_due(made_on: Date, days: &[i64]) -> Vec<Date> {
    days.iter().map(|d| made_on + Duration::days(*d)).collect()
}

/// A follow-up not done by its day is missed, and shown as such until it is done.
pub fn is_missed(due_on: Date, done: bool, today: Date) -> bool {
    !done && due_on < today
}

/// The text of a new connection's form, as it arrived.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ConnectionForm {
    /// `service:<id>`, `champion:<id>` or `person:<id>`.
    pub to: String,
    pub source: String,
    /// The day it was made (UK or ISO date); today when empty.
    pub made_on: String,
    /// What matters to the person, in their words, or anything the next person should know.
    pub note: String,
}

/// A connection ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConnection {
    pub to: Target,
    pub source: Source,
    pub made_on: Date,
    pub note: String,
}

/// Longest note kept: enough for what matters to someone, not a case file.
pub const NOTE_MAX: usize = 2000;

pub(crate) fn date_field(raw: &str, today: Date) -> Result<Date, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(today);
    }
    let d = crate::people::parse_date(raw)
        .ok_or_else(|| format!("'{raw}' is not a date: enter it like 3/11/2026 or 2026-11-03"))?;
    if d > today {
        return Err("This is in the future: enter the day it happened".into());
    }
    Ok(d)
}

fn note_field(raw: &str, errors: &mut Vec<FieldError>) -> String {
    let note = raw.trim().to_owned();
    if note.chars().count() > NOTE_MAX {
        errors.push(FieldError {
            field: "note",
            message: format!("Keep the note under {NOTE_MAX} characters"),
        });
    }
    note
}

impl ConnectionForm {
    /// Every problem at once, in the order of the form.
    pub fn parse(&self, today: Date) -> Result<NewConnection, Vec<FieldError>> {
        let mut errors = Vec::new();
        let to = self.to.parse::<Target>().ok();
        if to.is_none() {
            errors.push(FieldError {
                field: "to",
                message: "Choose what or who you are connecting them to".into(),
            });
        }
        let source = self.source.parse::<Source>().ok();
        if source.is_none() {
            errors.push(FieldError {
                field: "source",
                message: "Choose how this came about".into(),
            });
        }
        let made_on = date_field(&self.made_on, today)
            .map_err(|message| {
                errors.push(FieldError {
                    field: "made_on",
                    message,
                })
            })
            .ok();
        let note = note_field(&self.note, &mut errors);
        match (to, source, made_on) {
            (Some(to), Some(source), Some(made_on)) if errors.is_empty() => Ok(NewConnection {
                to,
                source,
                made_on,
                note,
            }),
            _ => Err(errors),
        }
    }
}

/// The text of a champion's quick form: someone they met (at an offer, a stall, on the street)
/// and what they are connecting them to, on a phone, in one go.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SomeoneNewForm {
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: String,
    pub practice_id: String,
    pub contact_preference: String,
    pub phone: String,
    pub email: String,
    /// As [`ConnectionForm::to`].
    pub to: String,
    pub source: String,
    pub note: String,
    /// `yes` when the person agreed to the team contacting them and to the champion knowing
    /// their first name and how to reach them.
    pub agreed: String,
}

impl SomeoneNewForm {
    /// The person and the connection, made today; every problem at once. Without the person's
    /// agreement nothing can be recorded: a champion keeps no one's details unasked.
    pub fn parse(
        &self,
        now: time::OffsetDateTime,
    ) -> Result<(crate::people::NewPerson, NewConnection), Vec<FieldError>> {
        let person = crate::people::PersonForm {
            given_name: self.given_name.clone(),
            family_name: self.family_name.clone(),
            date_of_birth: self.date_of_birth.clone(),
            practice_id: self.practice_id.clone(),
            contact_preference: self.contact_preference.clone(),
            phone: self.phone.clone(),
            email: self.email.clone(),
            nhs_number: String::new(),
            what_matters: self.note.clone(),
        }
        .parse(now);
        let connection = ConnectionForm {
            to: self.to.clone(),
            source: self.source.clone(),
            made_on: String::new(),
            note: self.note.clone(),
        }
        .parse(now.date());
        let mut errors = Vec::new();
        if let Err(e) = &person {
            errors.extend(e.iter().cloned());
        }
        if let Err(e) = &connection {
            errors.extend(e.iter().cloned());
        }
        if self.agreed != "yes" {
            errors.push(FieldError {
                field: "agreed",
                message: "Ask them first: a connection is recorded only when they agree".into(),
            });
        }
        match (person, connection) {
            (Ok(p), Ok(c)) if errors.is_empty() => Ok((p, c)),
            _ => Err(errors),
        }
    }
}

/// The text of a step's form: the connection moved on (or ended) on a day.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StepForm {
    pub status: String,
    pub on: String,
    pub reason: String,
    pub note: String,
}

/// A step ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStep {
    pub status: Status,
    pub on: Date,
    pub reason: Option<EndReason>,
    pub note: String,
}

impl StepForm {
    /// A step for a connection now at `now`, made on `made_on`: forward only, not before the
    /// connection was made, and an ending says why.
    pub fn parse(
        &self,
        now: Status,
        made_on: Date,
        today: Date,
    ) -> Result<NewStep, Vec<FieldError>> {
        let mut errors = Vec::new();
        let status = match self.status.parse::<Status>() {
            Ok(s) if now.may_move_to(s) => Some(s),
            Ok(_) if !now.is_open() => {
                errors.push(FieldError {
                    field: "status",
                    message: "This connection has ended: make a new one if they want to try again"
                        .into(),
                });
                None
            }
            Ok(s) => {
                errors.push(FieldError {
                    field: "status",
                    message: format!(
                        "It is already at '{}': a connection only moves on, not to '{}'",
                        now.label(),
                        s.label()
                    ),
                });
                None
            }
            Err(()) => {
                errors.push(FieldError {
                    field: "status",
                    message: "Choose where it has got to".into(),
                });
                None
            }
        };
        let on = match date_field(&self.on, today) {
            Ok(d) if d < made_on => {
                errors.push(FieldError {
                    field: "on",
                    message: format!(
                        "This is before the connection was made ({}): check the date",
                        crate::people::uk_date(made_on)
                    ),
                });
                None
            }
            Ok(d) => Some(d),
            Err(message) => {
                errors.push(FieldError {
                    field: "on",
                    message,
                });
                None
            }
        };
        let reason = match (status, self.reason.trim()) {
            (Some(Status::Ended), r) => match r.parse::<EndReason>() {
                Ok(r) => Some(r),
                Err(()) => {
                    errors.push(FieldError {
                        field: "reason",
                        message: "Say why it ended".into(),
                    });
                    None
                }
            },
            _ => None,
        };
        let note = note_field(&self.note, &mut errors);
        match (status, on) {
            (Some(status), Some(on)) if errors.is_empty() => Ok(NewStep {
                status,
                on,
                reason,
                note,
            }),
            _ => Err(errors),
        }
    }
}

/// The text of a follow-up's form: it was done on a day, with what was heard.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FollowUpForm {
    pub done_on: String,
    pub note: String,
}

/// A follow-up done, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoneFollowUp {
    pub done_on: Date,
    pub note: String,
}

impl FollowUpForm {
    /// Not before the connection it follows up, not in the future.
    pub fn parse(&self, made_on: Date, today: Date) -> Result<DoneFollowUp, Vec<FieldError>> {
        let mut errors = Vec::new();
        let done_on = match date_field(&self.done_on, today) {
            Ok(d) if d < made_on => {
                errors.push(FieldError {
                    field: "done_on",
                    message: format!(
                        "A follow-up cannot be before the connection ({}): check the date",
                        crate::people::uk_date(made_on)
                    ),
                });
                None
            }
            Ok(d) => Some(d),
            Err(message) => {
                errors.push(FieldError {
                    field: "done_on",
                    message,
                });
                None
            }
        };
        let note = note_field(&self.note, &mut errors);
        match done_on {
            Some(done_on) if errors.is_empty() => Ok(DoneFollowUp { done_on, note }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_are_counted_by_what_they_are_to_and_where_they_got_to() {
        let singing = "Singing for wellbeing".to_owned();
        let walk = "Walking group".to_owned();
        let rows = count_by_step(&[
            (walk.clone(), Status::Suggested, 1),
            (singing.clone(), Status::KeepsGoing, 0),
            (singing.clone(), Status::WentAlong, 2),
            (singing.clone(), Status::KeepsGoing, 0),
        ]);
        assert_eq!(
            rows,
            [
                StepCounts {
                    to: singing,
                    at: [0, 0, 1, 2, 0],
                    missed_follow_ups: 2
                },
                StepCounts {
                    to: walk,
                    at: [1, 0, 0, 0, 0],
                    missed_follow_ups: 1
                },
            ]
        );
        assert!(count_by_step(&[]).is_empty());
    }
    use time::macros::date;

    const TODAY: Date = date!(2026 - 12 - 01);

    #[test]
    fn a_connection_only_moves_on_and_an_ended_one_stays_ended() {
        use Status::*;
        assert!(Suggested.may_move_to(Contacted));
        assert!(Suggested.may_move_to(WentAlong), "a step may be skipped");
        assert!(KeepsGoing.may_move_to(Ended));
        assert!(!WentAlong.may_move_to(Contacted));
        assert!(!WentAlong.may_move_to(WentAlong));
        assert!(!Ended.may_move_to(KeepsGoing));
        assert_eq!(Suggested.after_a_visit(), Some(WentAlong));
        assert_eq!(WentAlong.after_a_visit(), Some(KeepsGoing));
        assert_eq!(KeepsGoing.after_a_visit(), None);
        assert_eq!(Ended.after_a_visit(), None, "a register never reopens one");
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>(), Ok(s));
        }
    }

    #[test]
    fn follow_ups_default_to_two_weeks_and_three_months() {
        assert_eq!(follow_up_days(None), [14, 91]);
        assert_eq!(follow_up_days(Some("28, 7")), [7, 28]);
        assert_eq!(
            follow_up_days(Some("0")),
            [14, 91],
            "a day 0 follow-up is no follow-up"
        );
        assert_eq!(follow_up_days(Some("soon")), [14, 91]);
        assert_eq!(
            follow_ups_due(date!(2026 - 11 - 20), &[14, 91]),
            [date!(2026 - 12 - 04), date!(2027 - 02 - 19)]
        );
        assert!(is_missed(date!(2026 - 11 - 30), false, TODAY));
        assert!(
            !is_missed(date!(2026 - 12 - 01), false, TODAY),
            "due today is not missed"
        );
        assert!(!is_missed(date!(2026 - 11 - 30), true, TODAY));
    }

    #[test]
    fn a_champion_records_someone_new_only_with_their_agreement() {
        let now = time::macros::datetime!(2026-12-01 10:00 UTC);
        let offer = crate::ServiceId::new();
        let practice = crate::PracticeId::new();
        let form = SomeoneNewForm {
            given_name: "Florence".into(),
            family_name: "Ashworth".into(),
            date_of_birth: "27/3/1933".into(),
            practice_id: practice.to_string(),
            contact_preference: "phone".into(),
            phone: "07700 900982".into(),
            to: Target::Service(offer).key(),
            source: "community_event".into(),
            agreed: "yes".into(),
            ..SomeoneNewForm::default()
        };
        let (person, connection) = form.parse(now).unwrap();
        assert_eq!(
            (person.given_name.as_str(), person.practice_id),
            ("Florence", practice)
        );
        assert_eq!(person.nhs_number, None, "a champion never asks for it");
        assert_eq!(
            (connection.to, connection.source, connection.made_on),
            (Target::Service(offer), Source::CommunityEvent, TODAY)
        );
        let errors = SomeoneNewForm {
            agreed: String::new(),
            phone: String::new(),
            to: String::new(),
            ..form
        }
        .parse(now)
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["phone", "to", "agreed"], "{errors:?}");
    }

    #[test]
    fn a_connection_form_says_everything_wrong_at_once() {
        let offer = crate::ServiceId::new();
        let ok = ConnectionForm {
            to: Target::Service(offer).key(),
            source: "themselves".into(),
            made_on: "".into(),
            note: " Likes singing. ".into(),
        }
        .parse(TODAY)
        .unwrap();
        assert_eq!(ok.to, Target::Service(offer));
        assert_eq!((ok.made_on, ok.note.as_str()), (TODAY, "Likes singing."));
        let errors = ConnectionForm {
            to: "service:nope".into(),
            source: "".into(),
            made_on: "2/12/2026".into(),
            note: "x".repeat(NOTE_MAX + 1),
        }
        .parse(TODAY)
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["to", "source", "made_on", "note"]);
    }

    #[test]
    fn a_step_is_forward_dated_after_the_connection_and_an_ending_says_why() {
        let made = date!(2026 - 11 - 20);
        let step = |status: &str, on: &str, reason: &str| StepForm {
            status: status.into(),
            on: on.into(),
            reason: reason.into(),
            note: String::new(),
        };
        let ok = step("went_along", "25/11/2026", "")
            .parse(Status::Suggested, made, TODAY)
            .unwrap();
        assert_eq!(
            (ok.status, ok.on),
            (Status::WentAlong, date!(2026 - 11 - 25))
        );
        let back = step("contacted", "", "").parse(Status::WentAlong, made, TODAY);
        assert_eq!(back.unwrap_err()[0].field, "status");
        let early = step("contacted", "19/11/2026", "").parse(Status::Suggested, made, TODAY);
        assert_eq!(early.unwrap_err()[0].field, "on");
        let why = step("ended", "", "").parse(Status::WentAlong, made, TODAY);
        assert_eq!(why.unwrap_err()[0].field, "reason");
        let ended = step("ended", "", "did_not_suit")
            .parse(Status::WentAlong, made, TODAY)
            .unwrap();
        assert_eq!(ended.reason, Some(EndReason::DidNotSuit));
        let again = step("keeps_going", "", "").parse(Status::Ended, made, TODAY);
        assert!(again.unwrap_err()[0].message.contains("ended"));
    }

    #[test]
    fn a_follow_up_before_the_connection_is_refused() {
        let made = date!(2026 - 11 - 20);
        let form = |d: &str| FollowUpForm {
            done_on: d.into(),
            note: "Enjoying it".into(),
        };
        assert_eq!(form("").parse(made, TODAY).unwrap().done_on, TODAY);
        let early = form("19/11/2026").parse(made, TODAY).unwrap_err();
        assert!(early[0].message.contains("before the connection"));
        assert_eq!(
            form("tomorrow").parse(made, TODAY).unwrap_err()[0].field,
            "done_on"
        );
    }

    #[test]
    fn a_target_is_read_back_from_its_key() {
        let t = Target::Champion(crate::ChampionId::new());
        assert_eq!(t.key().parse::<Target>(), Ok(t));
        assert!("offer:123".parse::<Target>().is_err());
        assert!("service".parse::<Target>().is_err());
    }
}
