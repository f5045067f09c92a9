//! The operational store: one [`Store`] trait, implemented for SQLite (the embedded default) and
//! PostgreSQL (a multi-practice deployment). Each backend keeps its own migrations; the queries
//! are written once and shared, because both speak `$N` parameters and the schemas use the same
//! representations (UUID text, UTC seconds, ISO dates).

pub mod champions;
pub mod connections;
pub mod directory;
mod error;
mod foundation;
pub mod impact;
pub mod invitations;
pub mod listings;
pub mod loans;
mod model;
pub mod offers;
pub mod partners;
pub mod people;
pub mod pledges;
pub mod postgres;
pub mod referrals;
pub mod safeguarding;
mod sql;
pub mod sqlite;
pub mod subject_access;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod values;
pub mod wellbeing;

pub use champions::ChampionStore;
pub use connections::ConnectionStore;
pub use directory::DirectoryStore;
pub use error::StoreError;
pub use impact::ImpactStore;
pub use invitations::InvitationStore;
pub use listings::ListingStore;
pub use loans::LoanStore;
pub use model::*;
pub use offers::OfferStore;
pub use partners::PartnerStore;
pub use people::{ImportedPerson, PeopleImported, PeopleStore};
pub use pledges::PledgeStore;
pub use referrals::ReferralStore;
pub use safeguarding::SafeguardingStore;
pub use wellbeing::WellbeingStore;

use async_trait::async_trait;
use std::sync::Arc;
use time::OffsetDateTime;
use together_core::people::{ConsentMethod, ConsentPurpose, NewPerson};
use together_core::{Email, PcnId, PersonId, PracticeCode, PracticeId, Pseudonym, UserId};

/// Shared handle to whichever backend the instance runs on.
pub type DynStore = Arc<dyn Store>;

/// The PCN's programme settings, each parsed once with its default (together_core::settings).
pub async fn programme_settings(
    store: &DynStore,
    pcn: PcnId,
) -> Result<together_core::settings::ProgrammeSettings, StoreError> {
    let stored: std::collections::HashMap<String, String> =
        store.settings(pcn).await?.into_iter().collect();
    Ok(together_core::settings::ProgrammeSettings::from_stored(
        |key| stored.get(key).map(String::as_str),
    ))
}

/// The PCN's practices by ODS code, for a spreadsheet's `practice` column (the web pages and
/// the command line import the same spreadsheets).
pub async fn practice_codes(
    store: &DynStore,
    pcn: PcnId,
) -> Result<Vec<(PracticeCode, PracticeId)>, StoreError> {
    Ok(store
        .practices(pcn)
        .await?
        .into_iter()
        .map(|p| (p.ods_code, p.id))
        .collect())
}

/// Everything the application asks of its operational database.
#[async_trait]
pub trait Store:
    ChampionStore
    + ConnectionStore
    + DirectoryStore
    + ImpactStore
    + InvitationStore
    + ListingStore
    + LoanStore
    + OfferStore
    + PartnerStore
    + PeopleStore
    + PledgeStore
    + ReferralStore
    + SafeguardingStore
    + WellbeingStore
    + Send
    + Sync
    + 'static
{
    /// Which backend this is, for `/readyz` and the operations guide.
    fn backend(&self) -> Backend;
    /// Proves the database answers and accepts a write.
    async fn check_writable(&self) -> Result<(), StoreError>;

    // Instance.
    async fn meta(&self, key: &str) -> Result<Option<String>, StoreError>;
    async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError>;

    // Organisations.
    async fn create_pcn(
        &self,
        name: &str,
        ods_code: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<PcnId, StoreError>;
    async fn pcn(&self, id: PcnId) -> Result<Option<Pcn>, StoreError>;
    async fn pcns(&self) -> Result<Vec<Pcn>, StoreError>;
    async fn rename_pcn(
        &self,
        id: PcnId,
        name: &str,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    async fn add_practice(
        &self,
        pcn: PcnId,
        code: &PracticeCode,
        name: &str,
        audit: &NewAuditEvent,
        now: OffsetDateTime,
    ) -> Result<PracticeId, StoreError>;
    async fn practices(&self, pcn: PcnId) -> Result<Vec<Practice>, StoreError>;
    /// Records whether a practice has agreed to pool its data in PCN-wide analyses.
    async fn set_data_sharing(
        &self,
        pcn: PcnId,
        practice: PracticeId,
        agreed: bool,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    async fn add_site(
        &self,
        pcn: PcnId,
        practice: PracticeId,
        name: &str,
        address: &str,
        audit: &NewAuditEvent,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;
    async fn sites(&self, pcn: PcnId) -> Result<Vec<Site>, StoreError>;

    // Users.
    async fn create_user(
        &self,
        user: &NewUser,
        audit: &NewAuditEvent,
        now: OffsetDateTime,
    ) -> Result<UserId, StoreError>;
    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError>;
    async fn user_by_email(&self, email: &Email) -> Result<Option<User>, StoreError>;
    async fn users(&self, pcn: PcnId) -> Result<Vec<User>, StoreError>;
    /// Users who could sign in now (active, with a password): a fresh install has none.
    async fn count_users_able_to_sign_in(&self) -> Result<i64, StoreError>;
    async fn set_password(&self, id: UserId, phc: &str) -> Result<(), StoreError>;
    /// Changes status; disabling also ends every session of the user in the same transaction.
    async fn set_user_status(
        &self,
        id: UserId,
        status: UserStatus,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// Counts a wrong password and locks the account by `lockout` from the new count, in one
    /// statement (never later than a lock already set); the lock now, if any.
    async fn record_failed_sign_in(
        &self,
        id: UserId,
        now: OffsetDateTime,
        lockout: together_core::password::Lockout,
    ) -> Result<Option<OffsetDateTime>, StoreError>;
    async fn clear_failed_sign_ins(&self, id: UserId) -> Result<(), StoreError>;
    async fn set_totp(
        &self,
        id: UserId,
        secret: Option<&str>,
        recovery_code_hashes: &[String],
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// Records the last TOTP time step used; false when that step (or a later one) was used already.
    async fn use_totp_step(&self, id: UserId, step: i64) -> Result<bool, StoreError>;
    /// Spends a recovery code; false when it is unknown or spent.
    async fn use_recovery_code(
        &self,
        id: UserId,
        code_hash: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    // Single-use links and API tokens (only hashes are stored).
    async fn create_token(&self, token: &NewToken) -> Result<(), StoreError>;
    /// Spends a single-use link and returns its user, if it exists, is unspent and unexpired.
    async fn take_token(
        &self,
        kind: TokenKind,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<UserId>, StoreError>;
    /// The user behind an API token, if it is unexpired.
    async fn api_token_user(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<UserId>, StoreError>;

    // Sessions (only hashes of session tokens are stored).
    async fn create_session(&self, s: &NewSession) -> Result<(), StoreError>;
    async fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>, StoreError>;
    async fn touch_session(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
        mfa_done: bool,
    ) -> Result<(), StoreError>;
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;
    async fn delete_user_sessions(&self, user: UserId) -> Result<u64, StoreError>;
    async fn user_sessions(&self, user: UserId) -> Result<Vec<SessionRecord>, StoreError>;

    // Audit.
    async fn audit(&self, event: &NewAuditEvent) -> Result<(), StoreError>;
    /// Several events in one transaction: all are recorded or none (a re-identification of a
    /// cohort records one event per person).
    async fn audit_many(&self, events: &[NewAuditEvent]) -> Result<(), StoreError>;
    async fn audit_events(
        &self,
        pcn: PcnId,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditEvent>, StoreError>;

    // Outbox.
    async fn enqueue_message(&self, m: &NewMessage) -> Result<(), StoreError>;
    async fn messages(&self, pcn: Option<PcnId>, limit: i64) -> Result<Vec<Message>, StoreError>;
    async fn undelivered_messages(&self, limit: i64) -> Result<Vec<Message>, StoreError>;
    async fn mark_delivered(
        &self,
        id: &str,
        adapter: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;

    // Programme settings.
    async fn setting(&self, pcn: PcnId, key: &str) -> Result<Option<String>, StoreError>;
    /// Every setting the PCN has saved, (key, value): one read for all of them.
    async fn settings(&self, pcn: PcnId) -> Result<Vec<(String, String)>, StoreError>;
    async fn set_setting(
        &self,
        pcn: PcnId,
        key: &str,
        value: &str,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;

    // People: every read writes its audit event in the same transaction.
    async fn create_person(
        &self,
        pcn: PcnId,
        p: &NewPerson,
        pseudonym: Option<&Pseudonym>,
        caseload_of: Option<UserId>,
        audit: &NewAuditEvent,
    ) -> Result<PersonId, StoreError>;
    /// The facts the policy needs about a person, without reading (or auditing) their record.
    async fn person_scope(
        &self,
        pcn: PcnId,
        id: PersonId,
        actor: UserId,
    ) -> Result<Option<PersonScope>, StoreError>;
    async fn read_person(
        &self,
        pcn: PcnId,
        id: PersonId,
        audit: &NewAuditEvent,
    ) -> Result<Option<Person>, StoreError>;
    /// Finds people by name within the PCN (optionally one practice); audited as one search.
    async fn find_people(
        &self,
        pcn: PcnId,
        practice: Option<PracticeId>,
        query: &str,
        audit: &NewAuditEvent,
    ) -> Result<Vec<PersonSummary>, StoreError>;
    async fn add_consent(
        &self,
        person: PersonId,
        purpose: ConsentPurpose,
        method: ConsentMethod,
        recorded_by: UserId,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// Withdraws every active consent of the person at once.
    async fn withdraw_consents(
        &self,
        person: PersonId,
        by: UserId,
        audit: &NewAuditEvent,
    ) -> Result<u64, StoreError>;
    async fn consents(&self, person: PersonId) -> Result<Vec<Consent>, StoreError>;

    // Insight imports (the rows live in Parquet; this is their record).
    /// Records a finished import (and marks the one it replaces), with its audit event.
    async fn record_import(
        &self,
        import: &NewImport,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    async fn imports(&self, pcn: PcnId) -> Result<Vec<ImportRecord>, StoreError>;
    /// The active import of this very file, if it was imported before.
    async fn import_with_hash(
        &self,
        pcn: PcnId,
        dataset: &str,
        sha256: &str,
    ) -> Result<Option<ImportRecord>, StoreError>;
    /// Ids of every active import on the instance, to tell finished partitions from leftovers.
    /// Saves a named cohort definition (names are unique within the PCN).
    async fn save_cohort(
        &self,
        cohort: &NewCohort,
        audit: &NewAuditEvent,
    ) -> Result<String, StoreError>;
    async fn cohorts(&self, pcn: PcnId) -> Result<Vec<CohortRecord>, StoreError>;
    async fn cohort(&self, pcn: PcnId, id: &str) -> Result<CohortRecord, StoreError>;
    async fn delete_cohort(
        &self,
        pcn: PcnId,
        id: &str,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    async fn active_import_ids(&self) -> Result<Vec<String>, StoreError>;
    async fn delete_import(
        &self,
        pcn: PcnId,
        id: &str,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;

    /// Copies the whole database to a file (SQLite only; PostgreSQL is backed up with pg_dump).
    async fn backup_to(&self, path: &std::path::Path) -> Result<(), StoreError>;
}
