//! Champions: their records, the journey's history, the roles they take and their DBS checks.
//! The journey's rules (which move is allowed, which check a role justifies, who may be made
//! active) come from `together_core::champions` and are applied here, inside the transaction
//! that writes, so no page or import can get round them.

use crate::sql::{Db, Pooled, RowsAffected as _, Sql, Tx};
use crate::subject_access::SarTable;
use crate::{NewAuditEvent, StoreError};
use async_trait::async_trait;
use serde::Serialize;
use time::{Date, OffsetDateTime};
use together_core::champions::{
    CheckFacts, Clearance, DbsLevel, DbsResult, NewInterest, NewRole, Stage,
};
use together_core::people::ContactPreference;
use together_core::{ChampionId, ChampionRoleId, PcnId, PracticeId, UserId};

/// One champion's record.
#[derive(Debug, Clone, Serialize)]
pub struct Champion {
    pub id: ChampionId,
    pub pcn_id: PcnId,
    pub given_name: String,
    pub family_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub contact_preference: ContactPreference,
    pub home_practice_id: Option<PracticeId>,
    pub interests: Vec<String>,
    pub availability: Vec<String>,
    pub skills: String,
    #[serde(with = "time::serde::rfc3339")]
    pub contact_consent_at: OffsetDateTime,
    pub stage: Stage,
    pub paused_from: Option<Stage>,
    #[serde(with = "time::serde::rfc3339")]
    pub stage_since: OffsetDateTime,
    pub user_id: Option<UserId>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl Champion {
    /// Where a message to them goes: their email if they prefer it or have no phone, else a
    /// text message; `None` when they gave neither.
    pub fn reach(&self) -> Option<(crate::Channel, String)> {
        match (self.contact_preference, &self.email, &self.phone) {
            (ContactPreference::Email, Some(m), _) | (_, Some(m), None) => {
                Some((crate::Channel::Email, m.clone()))
            }
            (_, _, Some(p)) => Some((crate::Channel::Sms, p.clone())),
            _ => None,
        }
    }
}

/// One step of a champion's journey and who took it.
#[derive(Debug, Clone, Serialize)]
pub struct ChampionStep {
    pub from: Option<Stage>,
    pub to: Stage,
    pub reason: String,
    /// The audit actor: `user:<uuid>`, `cli:<login>` or `anonymous` (the person themselves).
    pub actor: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A role champions can take.
#[derive(Debug, Clone, Serialize)]
pub struct ChampionRole {
    pub id: ChampionRoleId,
    pub name: String,
    pub description: String,
    pub dbs_level: DbsLevel,
    pub regulated_activity: bool,
}

/// A DBS check asked for a champion in a role, and its result once known.
#[derive(Debug, Clone, Serialize)]
pub struct DbsCheck {
    pub id: String,
    pub champion_id: ChampionId,
    pub role_id: ChampionRoleId,
    pub level: DbsLevel,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    pub requested_by: String,
    pub issued_on: Option<Date>,
    pub certificate_ref: Option<String>,
    /// `Some(true)` clear, `Some(false)` not clear, `None` not back yet.
    pub clear: Option<bool>,
    pub update_service: bool,
    pub last_status_check: Option<Date>,
    pub renewal_in_progress: bool,
}

/// Where a claim of hours or an expense stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatus {
    Pending,
    Approved,
    Rejected,
}

impl ClaimStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Pending => "pending",
            ClaimStatus::Approved => "approved",
            ClaimStatus::Rejected => "rejected",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ClaimStatus::Pending => "Waiting for approval",
            ClaimStatus::Approved => "Approved",
            ClaimStatus::Rejected => "Not approved",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "pending" => Ok(ClaimStatus::Pending),
            "approved" => Ok(ClaimStatus::Approved),
            "rejected" => Ok(ClaimStatus::Rejected),
            other => Err(StoreError::Corrupt(format!("claim status '{other}'"))),
        }
    }
}

/// Which kind of claim a decision is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    Hours,
    Expense,
}

impl Claim {
    pub(crate) fn table(self) -> &'static str {
        match self {
            Claim::Hours => "champion_hours",
            Claim::Expense => "champion_expense",
        }
    }
}

/// Hours a champion gave.
#[derive(Debug, Clone, Serialize)]
pub struct HoursEntry {
    pub id: String,
    pub champion_id: ChampionId,
    pub on: Date,
    pub minutes: i64,
    pub activity: String,
    /// The offer the time was given to; `None`: general.
    pub offer_id: Option<together_core::ServiceId>,
    pub status: ClaimStatus,
    pub reason: String,
}

/// An expense a champion claims.
#[derive(Debug, Clone, Serialize)]
pub struct ExpenseEntry {
    pub id: String,
    pub champion_id: ChampionId,
    pub on: Date,
    /// "cost" or "mileage".
    pub kind: String,
    pub description: String,
    pub pence: i64,
    pub tenths_of_miles: Option<i64>,
    pub pence_per_mile: Option<i64>,
    /// The receipt's checked type, when there is one.
    pub receipt_type: Option<String>,
    /// The offer it was for; `None`: general.
    pub offer_id: Option<together_core::ServiceId>,
    pub status: ClaimStatus,
    pub reason: String,
}

/// A receipt image kept for an expense: the file under `uploads/receipts` and its type.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub champion_id: ChampionId,
    pub file: String,
    pub mime: String,
}

/// An ID badge.
#[derive(Debug, Clone, Serialize)]
pub struct Badge {
    pub id: String,
    pub champion_id: ChampionId,
    pub number: String,
    pub issued_on: Date,
    pub expires_on: Date,
    pub returned_on: Option<Date>,
}

/// Training a champion completed.
#[derive(Debug, Clone, Serialize)]
pub struct Training {
    pub id: String,
    pub champion_id: ChampionId,
    pub module: String,
    pub completed_on: Date,
    pub expires_on: Option<Date>,
}

/// Someone to call for a champion.
#[derive(Debug, Clone, Serialize)]
pub struct EmergencyContact {
    pub id: String,
    pub name: String,
    pub relationship: String,
    pub phone: String,
}

/// What a risk assessment is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RiskSubject<'a> {
    Role(ChampionRoleId),
    Venue(&'a str),
}

/// A risk assessment with its next review.
#[derive(Debug, Clone, Serialize)]
pub struct RiskAssessment {
    pub id: String,
    pub role_id: Option<ChampionRoleId>,
    pub venue_id: Option<String>,
    pub title: String,
    pub assessed_on: Date,
    pub review_on: Date,
}

/// A workshop and who is booked on it.
#[derive(Debug, Clone, Serialize)]
pub struct Workshop {
    pub id: String,
    pub title: String,
    pub module: Option<String>,
    pub on: Date,
    pub starts: String,
    pub capacity: Option<i64>,
    /// (champion, "booked", "attended" or "absent")
    pub attendance: Vec<(ChampionId, String)>,
}

impl DbsCheck {
    /// What clearance depends on.
    pub fn facts(&self) -> CheckFacts {
        CheckFacts {
            level: self.level,
            clear: self.clear,
            issued_on: self.issued_on,
            update_service: self.update_service,
            last_status_check: self.last_status_check,
        }
    }
}

/// Each training module's latest completion for a champion: an older one is renewed by it.
pub fn current_training(training: &[Training], champion: ChampionId) -> Vec<&Training> {
    let mut latest: Vec<&Training> = Vec::new();
    for t in training.iter().filter(|t| t.champion_id == champion) {
        match latest.iter_mut().find(|l| l.module == t.module) {
            Some(l) if l.completed_on < t.completed_on => *l = t,
            Some(_) => {}
            None => latest.push(t),
        }
    }
    latest
}

/// The clear checks still counting, each with its renewal date: a clear check is superseded
/// by a later one that covers its level. These are what renewals and reminders are about.
pub fn current_checks(checks: &[DbsCheck], years: i32) -> Vec<(&DbsCheck, Date)> {
    let due = |c: &DbsCheck| {
        c.issued_on.filter(|_| c.clear == Some(true)).map(|i| {
            together_core::champions::dbs_renewal_due(
                i,
                c.update_service,
                c.last_status_check,
                years,
            )
        })
    };
    checks
        .iter()
        .filter_map(|c| due(c).map(|d| (c, d)))
        .filter(|(c, d)| {
            !checks.iter().any(|o| {
                o.id != c.id
                    && o.level.covers(c.level)
                    && due(o).is_some_and(|od| od > *d || (od == *d && o.id < c.id))
            })
        })
        .collect()
}

/// Everything the application asks about champions.
#[async_trait]
pub trait ChampionStore {
    /// Records an expression of interest: a champion at `interest`, whose first step was taken
    /// by the person themselves (the audit actor).
    async fn record_interest(
        &self,
        pcn: PcnId,
        interest: &NewInterest,
        audit: &NewAuditEvent,
    ) -> Result<ChampionId, StoreError>;
    /// Every champion of the PCN (the board), audited as one read of the list.
    async fn champions(
        &self,
        pcn: PcnId,
        audit: &NewAuditEvent,
    ) -> Result<Vec<Champion>, StoreError>;
    /// One champion's record, audited.
    async fn read_champion(
        &self,
        pcn: PcnId,
        id: ChampionId,
        audit: &NewAuditEvent,
    ) -> Result<Option<Champion>, StoreError>;
    /// The champion record of a signed-in champion, audited as their own read.
    async fn champion_of_user(
        &self,
        pcn: PcnId,
        user: UserId,
        audit: &NewAuditEvent,
    ) -> Result<Option<Champion>, StoreError>;
    /// The journey so far, oldest first.
    async fn champion_steps(
        &self,
        pcn: PcnId,
        id: ChampionId,
    ) -> Result<Vec<ChampionStep>, StoreError>;
    /// Moves a champion on (or pauses, resumes, ends); `Refused` says why a move is not
    /// allowed, including making someone active in a role that needs a DBS check they have not
    /// cleared.
    async fn move_champion(
        &self,
        pcn: PcnId,
        id: ChampionId,
        to: Stage,
        reason: &str,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// Links the champion to the account they were invited to.
    async fn link_champion_user(
        &self,
        pcn: PcnId,
        id: ChampionId,
        user: UserId,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;

    async fn add_champion_role(
        &self,
        pcn: PcnId,
        role: &NewRole,
        audit: &NewAuditEvent,
    ) -> Result<ChampionRoleId, StoreError>;
    async fn champion_roles(&self, pcn: PcnId) -> Result<Vec<ChampionRole>, StoreError>;
    /// Gives a champion a role (again is a no-op). An active champion is refused a role whose
    /// DBS check they have not cleared.
    async fn give_champion_role(
        &self,
        pcn: PcnId,
        id: ChampionId,
        role: ChampionRoleId,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// The roles a champion takes.
    async fn roles_of_champion(
        &self,
        pcn: PcnId,
        id: ChampionId,
    ) -> Result<Vec<ChampionRole>, StoreError>;

    /// Records that a DBS check was asked for; `Refused` when the role does not justify that
    /// level (or needs a higher one).
    async fn request_dbs_check(
        &self,
        pcn: PcnId,
        id: ChampionId,
        role: ChampionRoleId,
        level: DbsLevel,
        audit: &NewAuditEvent,
    ) -> Result<String, StoreError>;
    /// Records the result of a check asked for. `Refused` when it has a result already or the
    /// certificate number is recorded for another champion.
    async fn record_dbs_result(
        &self,
        pcn: PcnId,
        id: ChampionId,
        check: &str,
        result: &DbsResult,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// Marks a check's renewal as under way (reminders pause) or not.
    async fn set_renewal_in_progress(
        &self,
        pcn: PcnId,
        id: ChampionId,
        check: &str,
        in_progress: bool,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// Every DBS check in the PCN (the compliance dashboard), audited as one read.
    async fn pcn_dbs_checks(
        &self,
        pcn: PcnId,
        audit: &NewAuditEvent,
    ) -> Result<Vec<DbsCheck>, StoreError>;
    /// Which champion holds which role, across the PCN.
    async fn role_holders(
        &self,
        pcn: PcnId,
    ) -> Result<Vec<(ChampionId, ChampionRoleId)>, StoreError>;
    /// Notes that the reminder for `subject` in `band` goes out now; false when it went before.
    async fn note_reminder(
        &self,
        pcn: PcnId,
        subject: &str,
        band: &str,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    async fn log_hours(
        &self,
        pcn: PcnId,
        id: ChampionId,
        hours: &together_core::hours_expenses::NewHours,
        audit: &NewAuditEvent,
    ) -> Result<String, StoreError>;
    /// Records an expense, with its receipt's file name and type when there is one.
    async fn claim_expense(
        &self,
        pcn: PcnId,
        id: ChampionId,
        expense: &together_core::hours_expenses::NewExpense,
        receipt: Option<(&str, &str)>,
        audit: &NewAuditEvent,
    ) -> Result<String, StoreError>;
    /// Hours of one champion, or of every champion of the PCN; newest first.
    async fn hours(
        &self,
        pcn: PcnId,
        champion: Option<ChampionId>,
    ) -> Result<Vec<HoursEntry>, StoreError>;
    /// Expenses of one champion, or of every champion of the PCN; newest first; audited.
    async fn expenses(
        &self,
        pcn: PcnId,
        champion: Option<ChampionId>,
        audit: &NewAuditEvent,
    ) -> Result<Vec<ExpenseEntry>, StoreError>;
    /// Approves or refuses a pending claim; `Refused` when it was decided already.
    async fn decide_claim(
        &self,
        pcn: PcnId,
        claim: Claim,
        id: &str,
        approve: bool,
        reason: &str,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// The receipt of an expense in the PCN, audited.
    async fn receipt(
        &self,
        pcn: PcnId,
        expense: &str,
        audit: &NewAuditEvent,
    ) -> Result<Option<Receipt>, StoreError>;
    /// Issues an ID badge; `Refused` when its number is another badge's in the PCN.
    async fn issue_badge(
        &self,
        pcn: PcnId,
        id: ChampionId,
        badge: &together_core::champions::NewBadge,
        audit: &NewAuditEvent,
    ) -> Result<String, StoreError>;
    /// Records a badge as handed back.
    async fn return_badge(
        &self,
        pcn: PcnId,
        id: ChampionId,
        badge: &str,
        on: Date,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// Badges of one champion, or of every champion of the PCN.
    async fn badges(
        &self,
        pcn: PcnId,
        champion: Option<ChampionId>,
    ) -> Result<Vec<Badge>, StoreError>;
    async fn record_training(
        &self,
        pcn: PcnId,
        id: ChampionId,
        training: &together_core::champions::NewTraining,
        audit: &NewAuditEvent,
    ) -> Result<String, StoreError>;
    /// Training of one champion, or of every champion of the PCN; latest first.
    async fn training(
        &self,
        pcn: PcnId,
        champion: Option<ChampionId>,
    ) -> Result<Vec<Training>, StoreError>;
    /// Changes what a champion would like to give and their home practice (the coordinator).
    async fn update_champion_profile(
        &self,
        pcn: PcnId,
        id: ChampionId,
        profile: &together_core::champions::NewProfile,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// Changes how a champion is reached (from their own page).
    async fn update_champion_contact(
        &self,
        pcn: PcnId,
        id: ChampionId,
        contact: &together_core::champions::NewContact,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    async fn add_emergency_contact(
        &self,
        pcn: PcnId,
        id: ChampionId,
        contact: &together_core::champions::NewEmergencyContact,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    async fn emergency_contacts(
        &self,
        pcn: PcnId,
        id: ChampionId,
    ) -> Result<Vec<EmergencyContact>, StoreError>;
    /// Records a risk assessment of a role or a venue of the PCN.
    async fn add_risk_assessment(
        &self,
        pcn: PcnId,
        subject: RiskSubject<'_>,
        assessment: &together_core::partners::NewDated,
        audit: &NewAuditEvent,
    ) -> Result<String, StoreError>;
    async fn risk_assessments(&self, pcn: PcnId) -> Result<Vec<RiskAssessment>, StoreError>;
    async fn add_workshop(
        &self,
        pcn: PcnId,
        w: &together_core::champions::NewWorkshop,
        audit: &NewAuditEvent,
    ) -> Result<String, StoreError>;
    /// Every workshop of the PCN with its bookings, soonest first.
    async fn workshops(&self, pcn: PcnId) -> Result<Vec<Workshop>, StoreError>;
    /// Books a champion on a workshop; `Refused` when it is full (booking twice is a no-op).
    async fn book_workshop(
        &self,
        pcn: PcnId,
        workshop: &str,
        id: ChampionId,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// Marks whether a booked champion came; `Refused` before the day. Coming to a workshop of
    /// a training module records that training, completed on the workshop's day.
    async fn mark_attendance(
        &self,
        pcn: PcnId,
        workshop: &str,
        id: ChampionId,
        attended: bool,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// Adds champions from a PCN's spreadsheet in one transaction (all or none), each at its
    /// stage with a step per move; a row naming someone already there (same names and the
    /// same phone or email) is left as it is. Returns (added, already there).
    async fn import_champions(
        &self,
        pcn: PcnId,
        rows: &[(NewInterest, Stage)],
        audit: &NewAuditEvent,
    ) -> Result<(u64, u64), StoreError>;
    /// Everything held about a champion, table by table: their record, every table with a
    /// `champion_id` column (found from the schema, so a new table cannot be missed), their
    /// account (without its secrets) and the audit trail about them. Audited.
    async fn champion_subject_access(
        &self,
        pcn: PcnId,
        id: ChampionId,
        audit: &NewAuditEvent,
    ) -> Result<Vec<SarTable>, StoreError>;
    /// Erases a champion's personal data, keeping what the reports count (their hours, the
    /// amounts of their expenses, their journey's dates and their home practice); their DBS
    /// checks go entirely, their account is closed. Returns the receipt files to delete.
    async fn erase_champion(
        &self,
        pcn: PcnId,
        id: ChampionId,
        audit: &NewAuditEvent,
    ) -> Result<Vec<String>, StoreError>;
    /// A champion's DBS checks, newest first; every read audited (criminal-offence data).
    async fn dbs_checks(
        &self,
        pcn: PcnId,
        id: ChampionId,
        audit: &NewAuditEvent,
    ) -> Result<Vec<DbsCheck>, StoreError>;
}

pub(crate) fn join_keys(keys: &[String]) -> String {
    keys.join(",")
}

pub(crate) fn split_keys(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
        .collect()
}

pub(crate) fn stage(s: &str) -> Result<Stage, StoreError> {
    s.parse().map_err(StoreError::Corrupt)
}

pub(crate) fn level(s: &str) -> Result<DbsLevel, StoreError> {
    s.parse().map_err(StoreError::Corrupt)
}

/// The roles held that the champion is not clear for today (no clear check covers them, or
/// it is past renewal): making them active, or giving an active champion such a role, is
/// refused while there are any.
pub(crate) fn uncleared<'a>(
    roles: &'a [ChampionRole],
    checks: &[DbsCheck],
    years: i32,
    today: Date,
) -> Vec<&'a ChampionRole> {
    let facts: Vec<CheckFacts> = checks.iter().map(DbsCheck::facts).collect();
    roles
        .iter()
        .filter(|r| !Clearance::of(r.dbs_level, &facts, years, today).is_clear())
        .collect()
}

pub(crate) fn refuse_uncleared(uncleared: &[&ChampionRole]) -> Result<(), StoreError> {
    if uncleared.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = uncleared
        .iter()
        .map(|r| format!("'{}' ({})", r.name, r.dbs_level.label()))
        .collect();
    Err(StoreError::Refused(
        together_core::refusal::Refusal::NotClearFor(names.join(", ")),
    ))
}

// The SQL below is shared by both backends: see crate::sql for the bounds.
pub(crate) const CHAMPION_COLUMNS: &str = "id, pcn_id, given_name, family_name, phone, email, \
    contact_preference, home_practice_id, interests, availability, \
    skills, contact_consent_at, stage, paused_from, stage_since, \
    user_id, created_at";

impl<DB> Sql<DB>
where
    DB: Db,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'a> &'a str: sqlx::ColumnIndex<DB::Row> + sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<String>: sqlx::Encode<'q, DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<i64>: sqlx::Encode<'q, DB>,
    for<'q> f64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<f64>: sqlx::Encode<'q, DB>,
    for<'q> i32: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<i32>: sqlx::Encode<'q, DB>,
    for<'q> bool: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
{
    pub(crate) fn champion_row(
        r: &DB::Row,
    ) -> Result<crate::champions::Champion, crate::StoreError> {
        use crate::values::{at, parsed};
        use sqlx::Row as _;
        let practice: Option<String> = r.try_get("home_practice_id")?;
        let paused: Option<String> = r.try_get("paused_from")?;
        let user: Option<String> = r.try_get("user_id")?;
        Ok(crate::champions::Champion {
            id: parsed("champion id", &r.try_get::<String, _>("id")?)?,
            pcn_id: parsed("pcn id", &r.try_get::<String, _>("pcn_id")?)?,
            given_name: r.try_get("given_name")?,
            family_name: r.try_get("family_name")?,
            phone: r.try_get("phone")?,
            email: r.try_get("email")?,
            contact_preference: r
                .try_get::<String, _>("contact_preference")?
                .parse()
                .map_err(|_| crate::StoreError::Corrupt("contact preference".into()))?,
            home_practice_id: practice.map(|p| parsed("practice id", &p)).transpose()?,
            interests: crate::champions::split_keys(&r.try_get::<String, _>("interests")?),
            availability: crate::champions::split_keys(&r.try_get::<String, _>("availability")?),
            skills: r.try_get("skills")?,
            contact_consent_at: at(r.try_get("contact_consent_at")?)?,
            stage: crate::champions::stage(&r.try_get::<String, _>("stage")?)?,
            paused_from: paused.map(|p| crate::champions::stage(&p)).transpose()?,
            stage_since: at(r.try_get("stage_since")?)?,
            user_id: user.map(|u| parsed("user id", &u)).transpose()?,
            created_at: at(r.try_get("created_at")?)?,
        })
    }

    pub(crate) fn champion_role_row(
        r: &DB::Row,
    ) -> Result<crate::champions::ChampionRole, crate::StoreError> {
        use sqlx::Row as _;
        Ok(crate::champions::ChampionRole {
            id: crate::values::parsed("role id", &r.try_get::<String, _>("id")?)?,
            name: r.try_get("name")?,
            description: r.try_get("description")?,
            dbs_level: crate::champions::level(&r.try_get::<String, _>("dbs_level")?)?,
            regulated_activity: r.try_get("regulated_activity")?,
        })
    }

    pub(crate) fn dbs_row(r: &DB::Row) -> Result<crate::champions::DbsCheck, crate::StoreError> {
        use crate::values::{at, parse_iso_date, parsed};
        use sqlx::Row as _;
        let date = |c: &str| -> Result<Option<time::Date>, crate::StoreError> {
            r.try_get::<Option<String>, _>(c)?
                .map(|d| parse_iso_date(&d))
                .transpose()
        };
        let outcome: Option<String> = r.try_get("outcome")?;
        Ok(crate::champions::DbsCheck {
            id: r.try_get("id")?,
            champion_id: parsed("champion id", &r.try_get::<String, _>("champion_id")?)?,
            role_id: parsed("role id", &r.try_get::<String, _>("role_id")?)?,
            level: crate::champions::level(&r.try_get::<String, _>("level")?)?,
            requested_at: at(r.try_get("requested_at")?)?,
            requested_by: r.try_get("requested_by")?,
            issued_on: date("issued_on")?,
            certificate_ref: r.try_get("certificate_ref")?,
            clear: outcome.map(|o| o == "clear"),
            update_service: r.try_get("update_service")?,
            last_status_check: date("last_status_check")?,
            renewal_in_progress: r.try_get("renewal_in_progress")?,
        })
    }

    pub(crate) fn hours_row(
        r: &DB::Row,
    ) -> Result<crate::champions::HoursEntry, crate::StoreError> {
        use sqlx::Row as _;
        Ok(crate::champions::HoursEntry {
            id: r.try_get("id")?,
            champion_id: crate::values::parsed(
                "champion id",
                &r.try_get::<String, _>("champion_id")?,
            )?,
            on: crate::values::parse_iso_date(&r.try_get::<String, _>("on_date")?)?,
            minutes: r.try_get("minutes")?,
            activity: r.try_get("activity")?,
            offer_id: r
                .try_get::<Option<String>, _>("service_id")?
                .map(|s| crate::values::parsed("service id", &s))
                .transpose()?,
            status: crate::champions::ClaimStatus::parse(&r.try_get::<String, _>("status")?)?,
            reason: r.try_get("reason")?,
        })
    }

    pub(crate) fn expense_row(
        r: &DB::Row,
    ) -> Result<crate::champions::ExpenseEntry, crate::StoreError> {
        use sqlx::Row as _;
        Ok(crate::champions::ExpenseEntry {
            id: r.try_get("id")?,
            champion_id: crate::values::parsed(
                "champion id",
                &r.try_get::<String, _>("champion_id")?,
            )?,
            on: crate::values::parse_iso_date(&r.try_get::<String, _>("on_date")?)?,
            kind: r.try_get("kind")?,
            description: r.try_get("description")?,
            pence: r.try_get("pence")?,
            tenths_of_miles: r.try_get("tenths_of_miles")?,
            pence_per_mile: r.try_get("pence_per_mile")?,
            receipt_type: r.try_get("receipt_type")?,
            offer_id: r
                .try_get::<Option<String>, _>("service_id")?
                .map(|s| crate::values::parsed("service id", &s))
                .transpose()?,
            status: crate::champions::ClaimStatus::parse(&r.try_get::<String, _>("status")?)?,
            reason: r.try_get("reason")?,
        })
    }

    pub(crate) fn badge_row(r: &DB::Row) -> Result<crate::champions::Badge, crate::StoreError> {
        use crate::values::{parse_iso_date, parsed};
        use sqlx::Row as _;
        let returned: Option<String> = r.try_get("returned_on")?;
        Ok(crate::champions::Badge {
            id: r.try_get("id")?,
            champion_id: parsed("champion id", &r.try_get::<String, _>("champion_id")?)?,
            number: r.try_get("number")?,
            issued_on: parse_iso_date(&r.try_get::<String, _>("issued_on")?)?,
            expires_on: parse_iso_date(&r.try_get::<String, _>("expires_on")?)?,
            returned_on: returned.map(|d| parse_iso_date(&d)).transpose()?,
        })
    }

    pub(crate) fn training_row(
        r: &DB::Row,
    ) -> Result<crate::champions::Training, crate::StoreError> {
        use crate::values::{parse_iso_date, parsed};
        use sqlx::Row as _;
        let expires: Option<String> = r.try_get("expires_on")?;
        Ok(crate::champions::Training {
            id: r.try_get("id")?,
            champion_id: parsed("champion id", &r.try_get::<String, _>("champion_id")?)?,
            module: r.try_get("module")?,
            completed_on: parse_iso_date(&r.try_get::<String, _>("completed_on")?)?,
            expires_on: expires.map(|d| parse_iso_date(&d)).transpose()?,
        })
    }

    pub(crate) async fn champion_in(
        tx: &mut Tx<'_, DB>,
        pcn: together_core::PcnId,
        id: together_core::ChampionId,
    ) -> Result<crate::champions::Champion, crate::StoreError> {
        sqlx::query(&format!(
            "SELECT {CHAMPION_COLUMNS} FROM champion WHERE id = $1 AND pcn_id = $2"
        ))
        .bind(id.to_string())
        .bind(pcn.to_string())
        .fetch_optional(&mut **tx)
        .await?
        .as_ref()
        .map(Sql::<DB>::champion_row)
        .transpose()?
        .ok_or(crate::StoreError::NotFound("champion"))
    }

    pub(crate) async fn role_in(
        tx: &mut Tx<'_, DB>,
        pcn: together_core::PcnId,
        role: together_core::ChampionRoleId,
    ) -> Result<crate::champions::ChampionRole, crate::StoreError> {
        sqlx::query(
            "SELECT id, name, description, dbs_level, regulated_activity FROM \
            champion_role WHERE id = $1 AND pcn_id = $2",
        )
        .bind(role.to_string())
        .bind(pcn.to_string())
        .fetch_optional(&mut **tx)
        .await?
        .as_ref()
        .map(Sql::<DB>::champion_role_row)
        .transpose()?
        .ok_or(crate::StoreError::NotFound("role"))
    }

    /// A home practice must be one of the PCN's (none is fine).
    pub(crate) async fn practice_is_ours(
        tx: &mut Tx<'_, DB>,
        pcn: together_core::PcnId,
        practice: Option<together_core::PracticeId>,
    ) -> Result<(), crate::StoreError> {
        let Some(practice) = practice else {
            return Ok(());
        };
        let ours: Option<String> =
            sqlx::query_scalar("SELECT id FROM practice WHERE id = $1 AND pcn_id = $2")
                .bind(practice.to_string())
                .bind(pcn.to_string())
                .fetch_optional(&mut **tx)
                .await?;
        if ours.is_none() {
            return Err(crate::StoreError::NotFound("practice"));
        }
        Ok(())
    }

    pub(crate) async fn roles_in(
        tx: &mut Tx<'_, DB>,
        id: together_core::ChampionId,
    ) -> Result<Vec<crate::champions::ChampionRole>, crate::StoreError> {
        sqlx::query(
            "SELECT r.id, r.name, r.description, r.dbs_level, \
            r.regulated_activity FROM champion_role r JOIN champion_role_holder \
            h ON h.role_id = r.id WHERE h.champion_id = $1 ORDER BY r.name",
        )
        .bind(id.to_string())
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(Sql::<DB>::champion_role_row)
        .collect()
    }

    pub(crate) async fn checks_in(
        tx: &mut Tx<'_, DB>,
        id: together_core::ChampionId,
    ) -> Result<Vec<crate::champions::DbsCheck>, crate::StoreError> {
        sqlx::query("SELECT * FROM dbs_check WHERE champion_id = $1 ORDER BY requested_at DESC, id")
            .bind(id.to_string())
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(Sql::<DB>::dbs_row)
            .collect()
    }

    pub(crate) async fn renewal_years_in(
        tx: &mut Tx<'_, DB>,
        pcn: together_core::PcnId,
    ) -> Result<i32, crate::StoreError> {
        let v: Option<String> = sqlx::query_scalar(
            "SELECT value FROM programme_setting WHERE pcn_id = $1 AND key = $2",
        )
        .bind(pcn.to_string())
        .bind(together_core::champions::DBS_RENEWAL_SETTING)
        .fetch_optional(&mut **tx)
        .await?;
        Ok(together_core::champions::renewal_years(v.as_deref()))
    }

    pub(crate) async fn write_step(
        tx: &mut Tx<'_, DB>,
        id: together_core::ChampionId,
        from: Option<together_core::champions::Stage>,
        to: together_core::champions::Stage,
        reason: &str,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        sqlx::query(
            "INSERT INTO champion_step (champion_id, from_stage, to_stage, \
            reason, actor, at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.to_string())
        .bind(from.map(|s| s.as_str()))
        .bind(to.as_str())
        .bind(reason)
        .bind(&audit.actor)
        .bind(crate::values::secs(audit.at))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl<S, DB> crate::champions::ChampionStore for S
where
    S: Pooled<Db = DB>,
    DB: Db,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'a> &'a str: sqlx::ColumnIndex<DB::Row> + sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<String>: sqlx::Encode<'q, DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<i64>: sqlx::Encode<'q, DB>,
    for<'q> f64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<f64>: sqlx::Encode<'q, DB>,
    for<'q> i32: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<i32>: sqlx::Encode<'q, DB>,
    for<'q> bool: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
{
    async fn record_interest(
        &self,
        pcn: together_core::PcnId,
        i: &together_core::champions::NewInterest,
        audit: &crate::NewAuditEvent,
    ) -> Result<together_core::ChampionId, crate::StoreError> {
        use together_core::champions::Stage;
        let id = together_core::ChampionId::new();
        let now = crate::values::secs(audit.at);
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        Sql::<DB>::practice_is_ours(&mut tx, pcn, i.practice_id).await?;
        sqlx::query(
            "INSERT INTO champion (id, pcn_id, given_name, family_name, phone, email, \
                     contact_preference, home_practice_id, interests, availability, skills, \
                     contact_consent_at, stage, stage_since, created_at) VALUES ($1, $2, $3, \
                     $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $12, $12)",
        )
        .bind(id.to_string())
        .bind(pcn.to_string())
        .bind(&i.given_name)
        .bind(&i.family_name)
        .bind(&i.phone)
        .bind(&i.email)
        .bind(i.contact_preference.as_str())
        .bind(i.practice_id.map(|p| p.to_string()))
        .bind(crate::champions::join_keys(&i.interests))
        .bind(crate::champions::join_keys(&i.availability))
        .bind(&i.skills)
        .bind(now)
        .bind(Stage::Interest.as_str())
        .execute(&mut *tx)
        .await?;
        Sql::<DB>::write_step(&mut tx, id, None, Stage::Interest, "", audit).await?;
        let event = crate::NewAuditEvent {
            pcn_id: Some(pcn),
            ..audit.about("champion", id)
        };
        Sql::<DB>::write_audit(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn champions(
        &self,
        pcn: together_core::PcnId,
        audit: &crate::NewAuditEvent,
    ) -> Result<Vec<crate::champions::Champion>, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let list = sqlx::query(&format!(
            "SELECT {CHAMPION_COLUMNS} FROM champion WHERE pcn_id = $1 ORDER BY \
            stage_since, family_name, given_name"
        ))
        .bind(pcn.to_string())
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(Sql::<DB>::champion_row)
        .collect::<Result<Vec<_>, _>>()?;
        Sql::<DB>::write_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(list)
    }

    async fn read_champion(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ChampionId,
        audit: &crate::NewAuditEvent,
    ) -> Result<Option<crate::champions::Champion>, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let found = match Sql::<DB>::champion_in(&mut tx, pcn, id).await {
            Ok(c) => c,
            Err(crate::StoreError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        Sql::<DB>::write_audit(&mut tx, &audit.about("champion", id)).await?;
        tx.commit().await?;
        Ok(Some(found))
    }

    async fn champion_of_user(
        &self,
        pcn: together_core::PcnId,
        user: together_core::UserId,
        audit: &crate::NewAuditEvent,
    ) -> Result<Option<crate::champions::Champion>, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let found = sqlx::query(&format!(
            "SELECT {CHAMPION_COLUMNS} FROM champion WHERE user_id = $1 AND pcn_id = $2"
        ))
        .bind(user.to_string())
        .bind(pcn.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(Sql::<DB>::champion_row)
        .transpose()?;
        if let Some(c) = &found {
            Sql::<DB>::write_audit(&mut tx, &audit.about("champion", c.id)).await?;
        }
        tx.commit().await?;
        Ok(found)
    }

    async fn champion_steps(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ChampionId,
    ) -> Result<Vec<crate::champions::ChampionStep>, crate::StoreError> {
        use sqlx::Row as _;
        sqlx::query(
            "SELECT s.from_stage, s.to_stage, s.reason, s.actor, s.at FROM \
            champion_step s JOIN champion c ON c.id = s.champion_id WHERE \
            s.champion_id = $1 AND c.pcn_id = $2 ORDER BY s.id",
        )
        .bind(id.to_string())
        .bind(pcn.to_string())
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            let from: Option<String> = r.try_get("from_stage")?;
            Ok(crate::champions::ChampionStep {
                from: from.map(|s| crate::champions::stage(&s)).transpose()?,
                to: crate::champions::stage(&r.try_get::<String, _>("to_stage")?)?,
                reason: r.try_get("reason")?,
                actor: r.try_get("actor")?,
                at: crate::values::at(r.try_get("at")?)?,
            })
        })
        .collect()
    }

    async fn move_champion(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ChampionId,
        to: together_core::champions::Stage,
        reason: &str,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        use together_core::champions::Stage;
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let c = Sql::<DB>::champion_in(&mut tx, pcn, id).await?;
        c.stage
            .check_move(to, c.paused_from, reason)
            .map_err(|why| {
                crate::StoreError::Refused(together_core::refusal::Refusal::Rule(why))
            })?;
        if to == Stage::Active {
            let roles = Sql::<DB>::roles_in(&mut tx, id).await?;
            let checks = Sql::<DB>::checks_in(&mut tx, id).await?;
            let years = Sql::<DB>::renewal_years_in(&mut tx, pcn).await?;
            crate::champions::refuse_uncleared(&crate::champions::uncleared(
                &roles,
                &checks,
                years,
                audit.at.date(),
            ))?;
        }
        let paused_from = (to == Stage::Paused).then(|| c.stage.as_str());
        let changed = sqlx::query(
            "UPDATE champion SET stage = $1, paused_from = $2, stage_since = $3 \
            WHERE id = $4 AND stage = $5",
        )
        .bind(to.as_str())
        .bind(paused_from)
        .bind(crate::values::secs(audit.at))
        .bind(id.to_string())
        .bind(c.stage.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed != 1 {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::ChampionMovedMeanwhile,
            ));
        }
        Sql::<DB>::write_step(&mut tx, id, Some(c.stage), to, reason.trim(), audit).await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("champion", id)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn link_champion_user(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ChampionId,
        user: together_core::UserId,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let changed = sqlx::query("UPDATE champion SET user_id = $1 WHERE id = $2 AND pcn_id = $3")
            .bind(user.to_string())
            .bind(id.to_string())
            .bind(pcn.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed != 1 {
            return Err(crate::StoreError::NotFound("champion"));
        }
        Sql::<DB>::write_audit(&mut tx, &audit.about("champion", id)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn add_champion_role(
        &self,
        pcn: together_core::PcnId,
        role: &together_core::champions::NewRole,
        audit: &crate::NewAuditEvent,
    ) -> Result<together_core::ChampionRoleId, crate::StoreError> {
        let id = together_core::ChampionRoleId::new();
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        sqlx::query(
            "INSERT INTO champion_role (id, pcn_id, name, description, dbs_level, \
            regulated_activity, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.to_string())
        .bind(pcn.to_string())
        .bind(&role.name)
        .bind(&role.description)
        .bind(role.dbs_level.as_str())
        .bind(role.regulated_activity)
        .bind(crate::values::secs(audit.at))
        .execute(&mut *tx)
        .await
        .map_err(|e| match crate::StoreError::from(e) {
            crate::StoreError::Conflict(_) => crate::StoreError::Conflict("a role with this name"),
            other => other,
        })?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("champion_role", id)).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn champion_roles(
        &self,
        pcn: together_core::PcnId,
    ) -> Result<Vec<crate::champions::ChampionRole>, crate::StoreError> {
        sqlx::query(
            "SELECT id, name, description, dbs_level, regulated_activity FROM \
            champion_role WHERE pcn_id = $1 ORDER BY name",
        )
        .bind(pcn.to_string())
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(Sql::<DB>::champion_role_row)
        .collect()
    }

    async fn give_champion_role(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ChampionId,
        role: together_core::ChampionRoleId,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let c = Sql::<DB>::champion_in(&mut tx, pcn, id).await?;
        let found = Sql::<DB>::role_in(&mut tx, pcn, role).await?;
        if c.stage == together_core::champions::Stage::Active {
            let checks = Sql::<DB>::checks_in(&mut tx, id).await?;
            let years = Sql::<DB>::renewal_years_in(&mut tx, pcn).await?;
            crate::champions::refuse_uncleared(&crate::champions::uncleared(
                std::slice::from_ref(&found),
                &checks,
                years,
                audit.at.date(),
            ))?;
        }
        let held: Option<String> = sqlx::query_scalar(
            "SELECT role_id FROM champion_role_holder WHERE champion_id = $1 AND role_id = $2",
        )
        .bind(id.to_string())
        .bind(role.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        if held.is_none() {
            sqlx::query(
                "INSERT INTO champion_role_holder (champion_id, role_id, since) \
                VALUES ($1, $2, $3)",
            )
            .bind(id.to_string())
            .bind(role.to_string())
            .bind(crate::values::secs(audit.at))
            .execute(&mut *tx)
            .await?;
            Sql::<DB>::write_audit(&mut tx, &audit.about("champion", id)).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn roles_of_champion(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ChampionId,
    ) -> Result<Vec<crate::champions::ChampionRole>, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        Sql::<DB>::champion_in(&mut tx, pcn, id).await?;
        let roles = Sql::<DB>::roles_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(roles)
    }

    async fn request_dbs_check(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ChampionId,
        role: together_core::ChampionRoleId,
        level: together_core::champions::DbsLevel,
        audit: &crate::NewAuditEvent,
    ) -> Result<String, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        Sql::<DB>::champion_in(&mut tx, pcn, id).await?;
        let found = Sql::<DB>::role_in(&mut tx, pcn, role).await?;
        together_core::champions::DbsLevel::check_request(&found.name, found.dbs_level, level)
            .map_err(|why| {
                crate::StoreError::Refused(together_core::refusal::Refusal::Rule(why))
            })?;
        let check = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO dbs_check (id, champion_id, role_id, level, \
            requested_at, requested_by) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&check)
        .bind(id.to_string())
        .bind(role.to_string())
        .bind(level.as_str())
        .bind(crate::values::secs(audit.at))
        .bind(&audit.actor)
        .execute(&mut *tx)
        .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("dbs_check", &check)).await?;
        tx.commit().await?;
        Ok(check)
    }

    async fn record_dbs_result(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ChampionId,
        check: &str,
        r: &together_core::champions::DbsResult,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        Sql::<DB>::champion_in(&mut tx, pcn, id).await?;
        let existing = Sql::<DB>::checks_in(&mut tx, id).await?;
        let Some(found) = existing.iter().find(|c| c.id == check) else {
            return Err(crate::StoreError::NotFound("DBS check"));
        };
        if found.clear.is_some() {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::CheckHasResult,
            ));
        }
        let elsewhere: Option<String> = sqlx::query_scalar(
            "SELECT champion_id FROM dbs_check WHERE certificate_ref = $1 AND champion_id <> $2",
        )
        .bind(&r.certificate_ref)
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        if elsewhere.is_some() {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::CertificateElsewhere,
            ));
        }
        sqlx::query(
            "UPDATE dbs_check SET issued_on = $1, certificate_ref = $2, outcome = \
            $3, update_service = $4, last_status_check = $5, recorded_at = $6 \
            WHERE id = $7 AND champion_id = $8",
        )
        .bind(crate::values::iso_date(r.issued_on))
        .bind(&r.certificate_ref)
        .bind(if r.clear { "clear" } else { "not_clear" })
        .bind(r.update_service)
        .bind(r.last_status_check.map(crate::values::iso_date))
        .bind(crate::values::secs(audit.at))
        .bind(check)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("dbs_check", check)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_renewal_in_progress(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ChampionId,
        check: &str,
        in_progress: bool,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        Sql::<DB>::champion_in(&mut tx, pcn, id).await?;
        let changed = sqlx::query(
            "UPDATE dbs_check SET renewal_in_progress = $1 WHERE id = $2 AND champion_id = $3",
        )
        .bind(in_progress)
        .bind(check)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed != 1 {
            return Err(crate::StoreError::NotFound("DBS check"));
        }
        Sql::<DB>::write_audit(&mut tx, &audit.about("dbs_check", check)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn pcn_dbs_checks(
        &self,
        pcn: together_core::PcnId,
        audit: &crate::NewAuditEvent,
    ) -> Result<Vec<crate::champions::DbsCheck>, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let checks = sqlx::query(
            "SELECT d.* FROM dbs_check d JOIN champion c ON c.id = d.champion_id \
            WHERE c.pcn_id = $1 ORDER BY d.requested_at DESC, d.id",
        )
        .bind(pcn.to_string())
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(Sql::<DB>::dbs_row)
        .collect::<Result<Vec<_>, _>>()?;
        Sql::<DB>::write_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(checks)
    }

    async fn role_holders(
        &self,
        pcn: together_core::PcnId,
    ) -> Result<Vec<(together_core::ChampionId, together_core::ChampionRoleId)>, crate::StoreError>
    {
        use crate::values::parsed;
        use sqlx::Row as _;
        sqlx::query(
            "SELECT h.champion_id, h.role_id FROM champion_role_holder h JOIN \
            champion c ON c.id = h.champion_id WHERE c.pcn_id = $1",
        )
        .bind(pcn.to_string())
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok((
                parsed("champion id", &r.try_get::<String, _>("champion_id")?)?,
                parsed("role id", &r.try_get::<String, _>("role_id")?)?,
            ))
        })
        .collect()
    }

    async fn note_reminder(
        &self,
        pcn: together_core::PcnId,
        subject: &str,
        band: &str,
        at: time::OffsetDateTime,
    ) -> Result<bool, crate::StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO compliance_reminder (pcn_id, subject, band, sent_at) \
            VALUES ($1, $2, $3, $4) ON CONFLICT (subject, band) DO NOTHING",
        )
        .bind(pcn.to_string())
        .bind(subject)
        .bind(band)
        .bind(crate::values::secs(at))
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    async fn log_hours(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ChampionId,
        h: &together_core::hours_expenses::NewHours,
        audit: &crate::NewAuditEvent,
    ) -> Result<String, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        Sql::<DB>::champion_in(&mut tx, pcn, id).await?;
        if let Some(offer) = h.offer {
            Sql::<DB>::offer_in(&mut tx, pcn, offer).await?;
        }
        let entry = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO champion_hours (id, champion_id, on_date, minutes, \
            activity, status, created_at, service_id) VALUES ($1, $2, $3, $4, \
            $5, 'pending', $6, $7)",
        )
        .bind(&entry)
        .bind(id.to_string())
        .bind(crate::values::iso_date(h.on))
        .bind(h.minutes)
        .bind(&h.activity)
        .bind(crate::values::secs(audit.at))
        .bind(h.offer.map(|o| o.to_string()))
        .execute(&mut *tx)
        .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("champion_hours", &entry)).await?;
        tx.commit().await?;
        Ok(entry)
    }

    async fn claim_expense(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ChampionId,
        e: &together_core::hours_expenses::NewExpense,
        receipt: Option<(&str, &str)>,
        audit: &crate::NewAuditEvent,
    ) -> Result<String, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        Sql::<DB>::champion_in(&mut tx, pcn, id).await?;
        if let Some(offer) = e.offer {
            Sql::<DB>::offer_in(&mut tx, pcn, offer).await?;
        }
        let entry = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO champion_expense (id, champion_id, on_date, kind, \
            description, pence, tenths_of_miles, pence_per_mile, receipt_file, \
            receipt_type, status, created_at, service_id) VALUES ($1, $2, $3, \
            $4, $5, $6, $7, $8, $9, $10, 'pending', $11, $12)",
        )
        .bind(&entry)
        .bind(id.to_string())
        .bind(crate::values::iso_date(e.on))
        .bind(e.kind.as_str())
        .bind(&e.description)
        .bind(e.pence)
        .bind(e.tenths_of_miles)
        .bind(e.pence_per_mile)
        .bind(receipt.map(|r| r.0))
        .bind(receipt.map(|r| r.1))
        .bind(crate::values::secs(audit.at))
        .bind(e.offer.map(|o| o.to_string()))
        .execute(&mut *tx)
        .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("champion_expense", &entry)).await?;
        tx.commit().await?;
        Ok(entry)
    }

    async fn hours(
        &self,
        pcn: together_core::PcnId,
        champion: Option<together_core::ChampionId>,
    ) -> Result<Vec<crate::champions::HoursEntry>, crate::StoreError> {
        sqlx::query(
            "SELECT h.* FROM champion_hours h JOIN champion c ON c.id = \
            h.champion_id WHERE c.pcn_id = $1 AND ($2 IS NULL OR c.id = $2) \
            ORDER BY h.on_date DESC, h.created_at DESC",
        )
        .bind(pcn.to_string())
        .bind(champion.map(|c| c.to_string()))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(Sql::<DB>::hours_row)
        .collect()
    }

    async fn expenses(
        &self,
        pcn: together_core::PcnId,
        champion: Option<together_core::ChampionId>,
        audit: &crate::NewAuditEvent,
    ) -> Result<Vec<crate::champions::ExpenseEntry>, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let list = sqlx::query(
            "SELECT e.* FROM champion_expense e JOIN champion c ON c.id = \
            e.champion_id WHERE c.pcn_id = $1 AND ($2 IS NULL OR c.id = $2) \
            ORDER BY e.on_date DESC, e.created_at DESC",
        )
        .bind(pcn.to_string())
        .bind(champion.map(|c| c.to_string()))
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(Sql::<DB>::expense_row)
        .collect::<Result<Vec<_>, _>>()?;
        Sql::<DB>::write_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(list)
    }

    async fn decide_claim(
        &self,
        pcn: together_core::PcnId,
        claim: crate::champions::Claim,
        id: &str,
        approve: bool,
        reason: &str,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let table = claim.table();
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let status: Option<String> = sqlx::query_scalar(&format!(
            "SELECT t.status FROM {table} t JOIN champion c ON c.id = \
            t.champion_id WHERE t.id = $1 AND c.pcn_id = $2"
        ))
        .bind(id)
        .bind(pcn.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        match status.as_deref() {
            None => return Err(crate::StoreError::NotFound("claim")),
            Some("pending") => {}
            Some(_) => {
                return Err(crate::StoreError::Refused(
                    together_core::refusal::Refusal::DecidedAlready,
                ))
            }
        }
        if !approve && reason.trim().is_empty() {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::SayWhyNotApproved,
            ));
        }
        sqlx::query(&format!(
            "UPDATE {table} SET status = $1, reason = $2, decided_by = $3, \
            decided_at = $4 WHERE id = $5 AND status = 'pending'"
        ))
        .bind(if approve { "approved" } else { "rejected" })
        .bind(reason.trim())
        .bind(&audit.actor)
        .bind(crate::values::secs(audit.at))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about(table, id)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn receipt(
        &self,
        pcn: together_core::PcnId,
        expense: &str,
        audit: &crate::NewAuditEvent,
    ) -> Result<Option<crate::champions::Receipt>, crate::StoreError> {
        use sqlx::Row as _;
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let row = sqlx::query(
            "SELECT e.champion_id, e.receipt_file, e.receipt_type FROM \
            champion_expense e JOIN champion c ON c.id = e.champion_id WHERE \
            e.id = $1 AND c.pcn_id = $2 AND e.receipt_file IS NOT NULL",
        )
        .bind(expense)
        .bind(pcn.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(r) = row else {
            return Ok(None);
        };
        let receipt = crate::champions::Receipt {
            champion_id: crate::values::parsed(
                "champion id",
                &r.try_get::<String, _>("champion_id")?,
            )?,
            file: r.try_get("receipt_file")?,
            mime: r.try_get("receipt_type")?,
        };
        Sql::<DB>::write_audit(&mut tx, &audit.about("champion_expense", expense)).await?;
        tx.commit().await?;
        Ok(Some(receipt))
    }

    async fn issue_badge(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ChampionId,
        b: &together_core::champions::NewBadge,
        audit: &crate::NewAuditEvent,
    ) -> Result<String, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        Sql::<DB>::champion_in(&mut tx, pcn, id).await?;
        let badge = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO champion_badge (id, pcn_id, champion_id, number, \
            issued_on, expires_on, created_at) VALUES ($1, $2, $3, $4, $5, $6, \
            $7)",
        )
        .bind(&badge)
        .bind(pcn.to_string())
        .bind(id.to_string())
        .bind(&b.number)
        .bind(crate::values::iso_date(b.issued_on))
        .bind(crate::values::iso_date(b.expires_on))
        .bind(crate::values::secs(audit.at))
        .execute(&mut *tx)
        .await
        .map_err(|e| match crate::StoreError::from(e) {
            crate::StoreError::Conflict(_) => crate::StoreError::Refused(
                together_core::refusal::Refusal::BadgeNumberUsed(b.number.clone()),
            ),
            other => other,
        })?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("champion_badge", &badge)).await?;
        tx.commit().await?;
        Ok(badge)
    }

    async fn return_badge(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ChampionId,
        badge: &str,
        on: time::Date,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let changed = sqlx::query(
            "UPDATE champion_badge SET returned_on = $1 WHERE id = $2 AND \
            champion_id = $3 AND pcn_id = $4 AND returned_on IS NULL",
        )
        .bind(crate::values::iso_date(on))
        .bind(badge)
        .bind(id.to_string())
        .bind(pcn.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed != 1 {
            return Err(crate::StoreError::NotFound("badge not yet returned"));
        }
        Sql::<DB>::write_audit(&mut tx, &audit.about("champion_badge", badge)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn badges(
        &self,
        pcn: together_core::PcnId,
        champion: Option<together_core::ChampionId>,
    ) -> Result<Vec<crate::champions::Badge>, crate::StoreError> {
        sqlx::query(
            "SELECT * FROM champion_badge WHERE pcn_id = $1 AND ($2 IS NULL OR \
            champion_id = $2) ORDER BY issued_on DESC, created_at DESC",
        )
        .bind(pcn.to_string())
        .bind(champion.map(|c| c.to_string()))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(Sql::<DB>::badge_row)
        .collect()
    }

    async fn record_training(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ChampionId,
        t: &together_core::champions::NewTraining,
        audit: &crate::NewAuditEvent,
    ) -> Result<String, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        Sql::<DB>::champion_in(&mut tx, pcn, id).await?;
        let entry = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO champion_training (id, champion_id, module, \
            completed_on, expires_on, created_at) VALUES ($1, $2, $3, $4, $5, \
            $6)",
        )
        .bind(&entry)
        .bind(id.to_string())
        .bind(&t.module)
        .bind(crate::values::iso_date(t.completed_on))
        .bind(t.expires_on.map(crate::values::iso_date))
        .bind(crate::values::secs(audit.at))
        .execute(&mut *tx)
        .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("champion_training", &entry)).await?;
        tx.commit().await?;
        Ok(entry)
    }

    async fn training(
        &self,
        pcn: together_core::PcnId,
        champion: Option<together_core::ChampionId>,
    ) -> Result<Vec<crate::champions::Training>, crate::StoreError> {
        sqlx::query(
            "SELECT t.* FROM champion_training t JOIN champion c ON c.id = \
            t.champion_id WHERE c.pcn_id = $1 AND ($2 IS NULL OR c.id = $2) \
            ORDER BY t.completed_on DESC, t.created_at DESC",
        )
        .bind(pcn.to_string())
        .bind(champion.map(|c| c.to_string()))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(Sql::<DB>::training_row)
        .collect()
    }

    async fn update_champion_profile(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ChampionId,
        p: &together_core::champions::NewProfile,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        Sql::<DB>::champion_in(&mut tx, pcn, id).await?;
        Sql::<DB>::practice_is_ours(&mut tx, pcn, p.practice_id).await?;
        sqlx::query(
            "UPDATE champion SET interests = $1, availability = $2, skills = $3, \
            home_practice_id = $4 WHERE id = $5 AND pcn_id = $6",
        )
        .bind(crate::champions::join_keys(&p.interests))
        .bind(crate::champions::join_keys(&p.availability))
        .bind(&p.skills)
        .bind(p.practice_id.map(|x| x.to_string()))
        .bind(id.to_string())
        .bind(pcn.to_string())
        .execute(&mut *tx)
        .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("champion", id)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn update_champion_contact(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ChampionId,
        c: &together_core::champions::NewContact,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let changed = sqlx::query(
            "UPDATE champion SET phone = $1, email = $2, contact_preference = $3 \
            WHERE id = $4 AND pcn_id = $5",
        )
        .bind(&c.phone)
        .bind(&c.email)
        .bind(c.contact_preference.as_str())
        .bind(id.to_string())
        .bind(pcn.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed != 1 {
            return Err(crate::StoreError::NotFound("champion"));
        }
        Sql::<DB>::write_audit(&mut tx, &audit.about("champion", id)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn add_emergency_contact(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ChampionId,
        c: &together_core::champions::NewEmergencyContact,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        Sql::<DB>::champion_in(&mut tx, pcn, id).await?;
        let contact = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO champion_emergency_contact (id, champion_id, name, \
            relationship, phone, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&contact)
        .bind(id.to_string())
        .bind(&c.name)
        .bind(&c.relationship)
        .bind(&c.phone)
        .bind(crate::values::secs(audit.at))
        .execute(&mut *tx)
        .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("champion", id)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn emergency_contacts(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ChampionId,
    ) -> Result<Vec<crate::champions::EmergencyContact>, crate::StoreError> {
        use sqlx::Row as _;
        sqlx::query(
            "SELECT e.id, e.name, e.relationship, e.phone FROM \
            champion_emergency_contact e JOIN champion c ON c.id = e.champion_id \
            WHERE c.pcn_id = $1 AND c.id = $2 ORDER BY e.created_at",
        )
        .bind(pcn.to_string())
        .bind(id.to_string())
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(crate::champions::EmergencyContact {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                relationship: r.try_get("relationship")?,
                phone: r.try_get("phone")?,
            })
        })
        .collect()
    }

    async fn add_risk_assessment(
        &self,
        pcn: together_core::PcnId,
        subject: crate::champions::RiskSubject<'_>,
        a: &together_core::partners::NewDated,
        audit: &crate::NewAuditEvent,
    ) -> Result<String, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let (role, venue, table, key) = match subject {
            crate::champions::RiskSubject::Role(r) => {
                (Some(r.to_string()), None, "champion_role", r.to_string())
            }
            crate::champions::RiskSubject::Venue(v) => {
                (None, Some(v.to_owned()), "venue", v.to_owned())
            }
        };
        let ours: Option<String> = sqlx::query_scalar(&format!(
            "SELECT id FROM {table} WHERE id = $1 AND pcn_id = $2"
        ))
        .bind(&key)
        .bind(pcn.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        if ours.is_none() {
            return Err(crate::StoreError::NotFound("role or venue"));
        }
        let id = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO risk_assessment (id, pcn_id, role_id, venue_id, title, \
            assessed_on, review_on, created_at) VALUES ($1, $2, $3, $4, $5, $6, \
            $7, $8)",
        )
        .bind(&id)
        .bind(pcn.to_string())
        .bind(role)
        .bind(venue)
        .bind(&a.title)
        .bind(crate::values::iso_date(a.from))
        .bind(crate::values::iso_date(a.due))
        .bind(crate::values::secs(audit.at))
        .execute(&mut *tx)
        .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("risk_assessment", &id)).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn risk_assessments(
        &self,
        pcn: together_core::PcnId,
    ) -> Result<Vec<crate::champions::RiskAssessment>, crate::StoreError> {
        use crate::values::{parse_iso_date, parsed};
        use sqlx::Row as _;
        sqlx::query("SELECT * FROM risk_assessment WHERE pcn_id = $1 ORDER BY review_on")
            .bind(pcn.to_string())
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| {
                let role: Option<String> = r.try_get("role_id")?;
                Ok(crate::champions::RiskAssessment {
                    id: r.try_get("id")?,
                    role_id: role.map(|x| parsed("role id", &x)).transpose()?,
                    venue_id: r.try_get("venue_id")?,
                    title: r.try_get("title")?,
                    assessed_on: parse_iso_date(&r.try_get::<String, _>("assessed_on")?)?,
                    review_on: parse_iso_date(&r.try_get::<String, _>("review_on")?)?,
                })
            })
            .collect()
    }

    async fn add_workshop(
        &self,
        pcn: together_core::PcnId,
        w: &together_core::champions::NewWorkshop,
        audit: &crate::NewAuditEvent,
    ) -> Result<String, crate::StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        sqlx::query(
            "INSERT INTO champion_workshop (id, pcn_id, title, module, on_date, \
            starts, capacity, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, \
            $8)",
        )
        .bind(&id)
        .bind(pcn.to_string())
        .bind(&w.title)
        .bind(&w.module)
        .bind(crate::values::iso_date(w.on))
        .bind(&w.starts)
        .bind(w.capacity)
        .bind(crate::values::secs(audit.at))
        .execute(&mut *tx)
        .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("champion_workshop", &id)).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn workshops(
        &self,
        pcn: together_core::PcnId,
    ) -> Result<Vec<crate::champions::Workshop>, crate::StoreError> {
        use crate::values::{parse_iso_date, parsed};
        use sqlx::Row as _;
        let mut list: Vec<crate::champions::Workshop> = sqlx::query(
            "SELECT * FROM champion_workshop WHERE pcn_id = $1 ORDER BY on_date, starts",
        )
        .bind(pcn.to_string())
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(crate::champions::Workshop {
                id: r.try_get("id")?,
                title: r.try_get("title")?,
                module: r.try_get("module")?,
                on: parse_iso_date(&r.try_get::<String, _>("on_date")?)?,
                starts: r.try_get("starts")?,
                capacity: r.try_get("capacity")?,
                attendance: Vec::new(),
            })
        })
        .collect::<Result<_, crate::StoreError>>()?;
        let rows = sqlx::query(
            "SELECT a.workshop_id, a.champion_id, a.status FROM \
            workshop_attendance a JOIN champion_workshop w ON w.id = \
            a.workshop_id WHERE w.pcn_id = $1",
        )
        .bind(pcn.to_string())
        .fetch_all(self.pool())
        .await?;
        for r in rows {
            let w: String = r.try_get("workshop_id")?;
            if let Some(ws) = list.iter_mut().find(|x| x.id == w) {
                ws.attendance.push((
                    parsed("champion id", &r.try_get::<String, _>("champion_id")?)?,
                    r.try_get("status")?,
                ));
            }
        }
        Ok(list)
    }

    async fn book_workshop(
        &self,
        pcn: together_core::PcnId,
        workshop: &str,
        id: together_core::ChampionId,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        Sql::<DB>::champion_in(&mut tx, pcn, id).await?;
        let capacity: Option<Option<i64>> = sqlx::query_scalar(
            "SELECT capacity FROM champion_workshop WHERE id = $1 AND pcn_id = $2",
        )
        .bind(workshop)
        .bind(pcn.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(capacity) = capacity else {
            return Err(crate::StoreError::NotFound("workshop"));
        };
        let booked: Option<String> = sqlx::query_scalar(
            "SELECT status FROM workshop_attendance WHERE workshop_id = $1 AND champion_id = $2",
        )
        .bind(workshop)
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        if booked.is_some() {
            return Ok(());
        }
        let taken: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM workshop_attendance WHERE workshop_id = $1")
                .bind(workshop)
                .fetch_one(&mut *tx)
                .await?;
        if capacity.is_some_and(|c| taken >= c) {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::WorkshopFull,
            ));
        }
        sqlx::query(
            "INSERT INTO workshop_attendance (workshop_id, champion_id, status) \
            VALUES ($1, $2, 'booked')",
        )
        .bind(workshop)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("champion", id)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn mark_attendance(
        &self,
        pcn: together_core::PcnId,
        workshop: &str,
        id: together_core::ChampionId,
        attended: bool,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        use sqlx::Row as _;
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let Some(w) = sqlx::query(
            "SELECT on_date, module FROM champion_workshop WHERE id = $1 AND pcn_id = $2",
        )
        .bind(workshop)
        .bind(pcn.to_string())
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Err(crate::StoreError::NotFound("workshop"));
        };
        let on = crate::values::parse_iso_date(&w.try_get::<String, _>("on_date")?)?;
        let module: Option<String> = w.try_get("module")?;
        if on > audit.at.date() {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::WorkshopNotYet,
            ));
        }
        let before: Option<String> = sqlx::query_scalar(
            "SELECT status FROM workshop_attendance WHERE workshop_id = $1 AND champion_id = $2",
        )
        .bind(workshop)
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        match before.as_deref() {
            None => {
                return Err(crate::StoreError::Refused(
                    together_core::refusal::Refusal::NotBookedOnWorkshop,
                ))
            }
            Some("attended") if attended => return Ok(()),
            _ => {}
        }
        sqlx::query(
            "UPDATE workshop_attendance SET status = $1 WHERE workshop_id = $2 \
            AND champion_id = $3",
        )
        .bind(if attended { "attended" } else { "absent" })
        .bind(workshop)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        // "Did not come" correcting "came": the training the workshop recorded goes too.
        if let (false, Some("attended"), Some(module)) = (attended, before.as_deref(), &module) {
            sqlx::query(
                "DELETE FROM champion_training WHERE champion_id = $1 AND module = $2 \
                AND completed_on = $3",
            )
            .bind(id.to_string())
            .bind(module)
            .bind(crate::values::iso_date(on))
            .execute(&mut *tx)
            .await?;
        }
        if let (true, Some(module)) = (attended, module) {
            let years = together_core::champions::TRAINING
                .iter()
                .find(|(k, _, _)| *k == module)
                .and_then(|(_, _, y)| *y);
            sqlx::query(
                "INSERT INTO champion_training (id, champion_id, module, \
                completed_on, expires_on, created_at) VALUES ($1, $2, $3, $4, $5, \
                $6)",
            )
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(id.to_string())
            .bind(&module)
            .bind(crate::values::iso_date(on))
            .bind(
                years
                    .map(|y| crate::values::iso_date(together_core::champions::years_after(on, y))),
            )
            .bind(crate::values::secs(audit.at))
            .execute(&mut *tx)
            .await?;
        }
        Sql::<DB>::write_audit(&mut tx, &audit.about("champion", id)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn import_champions(
        &self,
        pcn: together_core::PcnId,
        rows: &[(
            together_core::champions::NewInterest,
            together_core::champions::Stage,
        )],
        audit: &crate::NewAuditEvent,
    ) -> Result<(u64, u64), crate::StoreError> {
        use together_core::champions::Stage;
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let (mut added, mut there) = (0u64, 0u64);
        if let Some((_, late)) = rows.iter().find(|(_, s)| !Stage::IMPORTABLE.contains(s)) {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::ImportedTooLate(late.label().to_string()),
            ));
        }
        for (i, stage) in rows {
            let existing: Option<String> = sqlx::query_scalar(
                "SELECT id FROM champion WHERE pcn_id = $1 AND lower(given_name) = \
                         lower($2) AND lower(family_name) = lower($3) AND ((phone IS NOT NULL AND \
                         phone = $4) OR (email IS NOT NULL AND email = $5))",
            )
            .bind(pcn.to_string())
            .bind(&i.given_name)
            .bind(&i.family_name)
            .bind(&i.phone)
            .bind(&i.email)
            .fetch_optional(&mut *tx)
            .await?;
            if existing.is_some() {
                there += 1;
                continue;
            }
            Sql::<DB>::practice_is_ours(&mut tx, pcn, i.practice_id).await?;
            let id = together_core::ChampionId::new();
            let now = crate::values::secs(audit.at);
            sqlx::query(
                "INSERT INTO champion (id, pcn_id, given_name, family_name, phone, email, \
                         contact_preference, home_practice_id, interests, availability, skills, \
                         contact_consent_at, stage, stage_since, created_at) VALUES ($1, $2, $3, \
                         $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $12, $12)",
            )
            .bind(id.to_string())
            .bind(pcn.to_string())
            .bind(&i.given_name)
            .bind(&i.family_name)
            .bind(&i.phone)
            .bind(&i.email)
            .bind(i.contact_preference.as_str())
            .bind(i.practice_id.map(|p| p.to_string()))
            .bind(crate::champions::join_keys(&i.interests))
            .bind(crate::champions::join_keys(&i.availability))
            .bind(&i.skills)
            .bind(now)
            .bind(stage.as_str())
            .execute(&mut *tx)
            .await?;
            Sql::<DB>::write_step(&mut tx, id, None, Stage::Interest, "imported", audit).await?;
            let reached = Stage::WAY_IN.iter().position(|s| s == stage).unwrap_or(0);
            for pair in Stage::WAY_IN[..=reached].windows(2) {
                Sql::<DB>::write_step(&mut tx, id, Some(pair[0]), pair[1], "imported", audit)
                    .await?;
            }
            Sql::<DB>::write_audit(&mut tx, &audit.about("champion", id)).await?;
            added += 1;
        }
        tx.commit().await?;
        Ok((added, there))
    }

    async fn champion_subject_access(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ChampionId,
        audit: &crate::NewAuditEvent,
    ) -> Result<Vec<crate::subject_access::SarTable>, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let c = Sql::<DB>::champion_in(&mut tx, pcn, id).await?;
        let mut wanted: Vec<(String, &str, String)> =
            vec![("champion".into(), "id", id.to_string())];
        for t in Sql::<DB>::tables_with(&mut tx, "champion_id").await? {
            wanted.push((t, "champion_id", id.to_string()));
        }
        if let Some(user) = c.user_id {
            wanted.push(("app_user".into(), "id", user.to_string()));
        }
        let mut out = Vec::new();
        for (table, key, value) in wanted {
            out.push(Sql::<DB>::sar_table(&mut tx, &table, key, &value).await?);
        }
        out.push(Sql::<DB>::sar_audit(&mut tx, pcn, &[id.to_string()]).await?);
        Sql::<DB>::write_audit(&mut tx, &audit.about("champion", id)).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn erase_champion(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ChampionId,
        audit: &crate::NewAuditEvent,
    ) -> Result<Vec<String>, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let c = Sql::<DB>::champion_in(&mut tx, pcn, id).await?;
        let id_text = id.to_string();
        let files: Vec<String> = sqlx::query_scalar(
            "SELECT receipt_file FROM champion_expense WHERE champion_id = $1 AND \
            receipt_file IS NOT NULL",
        )
        .bind(&id_text)
        .fetch_all(&mut *tx)
        .await?;
        for sql in [
            "UPDATE champion SET given_name = 'Erased', family_name = '', phone = \
                        NULL, email = NULL, interests = '', availability = '', skills = '', \
                        stage = 'left', paused_from = NULL WHERE id = $1",
            "UPDATE champion_step SET reason = '' WHERE champion_id = $1",
            "DELETE FROM dbs_check WHERE champion_id = $1",
            "DELETE FROM champion_badge WHERE champion_id = $1",
            "DELETE FROM champion_emergency_contact WHERE champion_id = $1",
            "UPDATE champion_expense SET description = '', receipt_file = NULL, \
                        receipt_type = NULL, reason = '' WHERE champion_id = $1",
            "UPDATE champion_hours SET reason = '' WHERE champion_id = $1",
            // Someone erased leads nothing and is expected at nothing.
            "DELETE FROM offer_lead WHERE champion_id = $1",
            "DELETE FROM rota_place WHERE champion_id = $1",
        ] {
            sqlx::query(sql).bind(&id_text).execute(&mut *tx).await?;
        }
        if c.stage != together_core::champions::Stage::Left {
            Sql::<DB>::write_step(
                &mut tx,
                id,
                Some(c.stage),
                together_core::champions::Stage::Left,
                "",
                audit,
            )
            .await?;
        }
        if let Some(user) = c.user_id {
            let u = user.to_string();
            sqlx::query(
                "UPDATE app_user SET email = $1, display_name = 'Erased', status = \
                'disabled', password_hash = NULL, totp_secret = NULL WHERE id = $2",
            )
            .bind(format!("erased-{u}@invalid.example"))
            .bind(&u)
            .execute(&mut *tx)
            .await?;
            for sql in [
                "DELETE FROM user_session WHERE user_id = $1",
                "DELETE FROM user_token WHERE user_id = $1",
                "DELETE FROM recovery_code WHERE user_id = $1",
            ] {
                sqlx::query(sql).bind(&u).execute(&mut *tx).await?;
            }
        }
        Sql::<DB>::write_audit(&mut tx, &audit.about("champion", id)).await?;
        tx.commit().await?;
        Ok(files)
    }

    async fn dbs_checks(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ChampionId,
        audit: &crate::NewAuditEvent,
    ) -> Result<Vec<crate::champions::DbsCheck>, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        Sql::<DB>::champion_in(&mut tx, pcn, id).await?;
        let checks = Sql::<DB>::checks_in(&mut tx, id).await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("champion_dbs", id)).await?;
        tx.commit().await?;
        Ok(checks)
    }
}
