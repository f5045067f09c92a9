//! The records the store reads and writes. Times are `OffsetDateTime` in UTC.

use serde::Serialize;
use time::{Date, OffsetDateTime};
use together_core::people::ContactPreference;
use together_core::{Email, PcnId, PersonId, PracticeCode, PracticeId, Pseudonym, Role, UserId};

/// Which database the store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone, Serialize)]
pub struct Pcn {
    pub id: PcnId,
    pub name: String,
    pub ods_code: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Practice {
    pub id: PracticeId,
    pub pcn_id: PcnId,
    pub ods_code: PracticeCode,
    pub name: String,
    pub data_sharing_agreed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Site {
    pub id: String,
    pub practice_id: PracticeId,
    pub practice_name: String,
    pub name: String,
    pub address: String,
}

/// Whether an account can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    /// Created, waiting for its enrolment link to be used.
    Invited,
    Active,
    Disabled,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Invited => "invited",
            UserStatus::Active => "active",
            UserStatus::Disabled => "disabled",
        }
    }
    pub(crate) fn parse(s: &str) -> Option<Self> {
        [
            UserStatus::Invited,
            UserStatus::Active,
            UserStatus::Disabled,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub pcn_id: PcnId,
    pub email: Email,
    pub display_name: String,
    pub role: Role,
    pub practice_id: Option<PracticeId>,
    pub status: UserStatus,
    pub password_hash: Option<String>,
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: UserId,
    pub pcn_id: PcnId,
    pub email: Email,
    pub display_name: String,
    pub role: Role,
    pub practice_id: Option<PracticeId>,
    pub status: UserStatus,
    pub password_hash: Option<String>,
    pub totp_secret: Option<String>,
    pub failed_sign_ins: i64,
    pub locked_until: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

/// What a single-use link or token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Set a first password (new user, or bootstrap admin).
    Enrol,
    /// Set a new password after "forgot password" or an administrator's reset.
    Reset,
    /// Authenticate API calls.
    Api,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Enrol => "enrol",
            TokenKind::Reset => "reset",
            TokenKind::Api => "api",
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewToken {
    pub token_hash: String,
    pub user_id: UserId,
    pub kind: TokenKind,
    pub label: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub token_hash: String,
    pub user_id: UserId,
    pub now: OffsetDateTime,
    pub mfa_done: bool,
    pub ip: String,
    pub user_agent: String,
}

#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub token_hash: String,
    pub user_id: UserId,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    pub mfa_done: bool,
    pub ip: String,
    pub user_agent: String,
}

/// The outcome recorded with an audit event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Allowed,
    Denied,
    /// Allowed outside a legitimate relationship, with a stated reason.
    BreakGlass,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Denied => "denied",
            Outcome::BreakGlass => "break_glass",
            Outcome::Failed => "failed",
        }
    }
}

/// One audit event to write. Subjects are ids or pseudonyms, never names.
#[derive(Debug, Clone)]
pub struct NewAuditEvent {
    pub at: OffsetDateTime,
    /// `user:<uuid>`, `cli:<login>` or `anonymous`.
    pub actor: String,
    pub role: String,
    pub pcn_id: Option<PcnId>,
    pub action: together_core::audit::AuditAction,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub outcome: Outcome,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    pub ip: Option<String>,
}

impl NewAuditEvent {
    /// An allowed act of an operator (the command line, the demo, a test's set-up): no
    /// request and no address to record, the operator's role.
    pub fn by_operator(
        actor: impl Into<String>,
        at: OffsetDateTime,
        action: together_core::audit::AuditAction,
        resource_type: &str,
        pcn_id: Option<PcnId>,
    ) -> Self {
        Self {
            at,
            actor: actor.into(),
            role: "operator".into(),
            pcn_id,
            action,
            resource_type: resource_type.to_owned(),
            resource_id: None,
            outcome: Outcome::Allowed,
            reason: None,
            request_id: None,
            ip: None,
        }
    }

    /// The same event about another resource.
    pub fn about(&self, resource_type: &str, resource_id: impl ToString) -> Self {
        Self {
            resource_type: resource_type.to_owned(),
            resource_id: Some(resource_id.to_string()),
            ..self.clone()
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditEvent {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub outcome: String,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    pub ip: Option<String>,
}

/// Narrows the audit trail.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub actor: Option<String>,
    pub limit: i64,
}

#[derive(Debug, Clone)]
pub struct NewMessage {
    pub pcn_id: Option<PcnId>,
    /// The person the PCN supports that it goes to, if it goes to one: while it waits, it is
    /// withheld the moment they withdraw consent to be contacted (hazard H4).
    pub person: Option<PersonId>,
    pub channel: Channel,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub now: OffsetDateTime,
}

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub id: String,
    pub channel: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub delivered: bool,
    /// Why it was never sent (the person withdrew consent while it waited), if it was not.
    pub withheld: Option<String>,
}

/// The facts about a person that the authorisation policy needs.
#[derive(Debug, Clone, Copy)]
pub struct PersonScope {
    pub practice_id: PracticeId,
    pub on_caseload: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Person {
    pub id: PersonId,
    pub pcn_id: PcnId,
    pub practice_id: PracticeId,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Date,
    pub contact_preference: ContactPreference,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub pseudonym: Option<Pseudonym>,
    /// What matters to them, in their own words.
    pub what_matters: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize)]
pub struct PersonSummary {
    pub id: PersonId,
    pub practice_id: PracticeId,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Date,
}

#[derive(Debug, Clone, Serialize)]
pub struct Consent {
    pub id: String,
    pub purpose: String,
    pub method: String,
    #[serde(with = "time::serde::rfc3339")]
    pub given_at: OffsetDateTime,
    pub recorded_by: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub withdrawn_at: Option<OffsetDateTime>,
}

/// An import to record, once its Parquet files are in place.
#[derive(Debug, Clone)]
pub struct NewImport {
    pub id: String,
    pub pcn_id: PcnId,
    pub dataset: String,
    /// `canonical`, a mapping's name, `synthea` or `fhir`.
    pub source: String,
    pub file_name: String,
    pub file_sha256: String,
    pub practices: Vec<String>,
    pub period: Option<(Date, Date)>,
    pub rows_read: i64,
    pub rows_imported: i64,
    pub rows_rejected: i64,
    /// The import this one replaces (marked `replaced` in the same transaction).
    pub replaces: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImportRecord {
    pub id: String,
    pub dataset: String,
    pub source: String,
    pub file_name: String,
    pub file_sha256: String,
    pub practices: Vec<String>,
    pub period_from: Option<Date>,
    pub period_to: Option<Date>,
    pub rows_read: i64,
    pub rows_imported: i64,
    pub rows_rejected: i64,
    pub imported_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub imported_at: OffsetDateTime,
    pub status: String,
}

/// A cohort to save: its definition is Insight's, kept as JSON (the store does not read it).
#[derive(Debug, Clone)]
pub struct NewCohort {
    pub pcn_id: PcnId,
    pub name: String,
    pub definition: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CohortRecord {
    pub id: String,
    pub name: String,
    pub definition: String,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}
