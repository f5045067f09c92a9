//! Safeguarding concerns and their follow-up. Who may read them (the named lead only) is
//! decided by the caller from the programme setting; every read is audited here.

use crate::sql::{Db, Pooled, Sql};
use crate::{NewAuditEvent, StoreError};
use async_trait::async_trait;
use serde::Serialize;
use time::OffsetDateTime;
use together_core::safeguarding::NewConcern;
use together_core::{PcnId, UserId};

pub use together_core::settings::SAFEGUARDING_LEAD_SETTING;

/// A concern as the lead reads it.
#[derive(Debug, Clone, Serialize)]
pub struct Concern {
    pub id: String,
    /// "safeguarding", "incident" or "accident".
    pub kind: String,
    pub what: String,
    pub happened: String,
    pub place: String,
    pub people: String,
    pub action_taken: String,
    pub raised_by: UserId,
    #[serde(with = "time::serde::rfc3339")]
    pub raised_at: OffsetDateTime,
    pub open: bool,
}

/// A note the lead adds.
#[derive(Debug, Clone, Serialize)]
pub struct FollowUp {
    pub note: String,
    pub by: UserId,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

#[async_trait]
pub trait SafeguardingStore {
    async fn raise_concern(
        &self,
        pcn: PcnId,
        by: UserId,
        concern: &NewConcern,
        audit: &NewAuditEvent,
    ) -> Result<String, StoreError>;
    /// Every concern of the PCN, open first then newest; audited as one read.
    async fn concerns(&self, pcn: PcnId, audit: &NewAuditEvent)
        -> Result<Vec<Concern>, StoreError>;
    /// One concern with its follow-up; audited.
    async fn concern(
        &self,
        pcn: PcnId,
        id: &str,
        audit: &NewAuditEvent,
    ) -> Result<Option<(Concern, Vec<FollowUp>)>, StoreError>;
    /// Adds a follow-up note; closing marks the concern closed with it.
    async fn follow_up(
        &self,
        pcn: PcnId,
        id: &str,
        by: UserId,
        note: &str,
        close: bool,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// How many concerns are open (for the pages that must not show what they say).
    async fn open_concerns(&self, pcn: PcnId) -> Result<i64, StoreError>;
}

// The SQL below is shared by both backends: see crate::sql for the bounds.
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
    pub(crate) fn concern_row(
        r: &DB::Row,
    ) -> Result<crate::safeguarding::Concern, crate::StoreError> {
        use sqlx::Row as _;
        Ok(crate::safeguarding::Concern {
            id: r.try_get("id")?,
            kind: r.try_get("kind")?,
            what: r.try_get("what")?,
            happened: r.try_get("happened")?,
            place: r.try_get("place")?,
            people: r.try_get("people")?,
            action_taken: r.try_get("action_taken")?,
            raised_by: crate::values::parsed("user id", &r.try_get::<String, _>("raised_by")?)?,
            raised_at: crate::values::at(r.try_get("raised_at")?)?,
            open: r.try_get::<String, _>("status")? == "open",
        })
    }
}

#[async_trait::async_trait]
impl<S, DB> crate::safeguarding::SafeguardingStore for S
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
    async fn raise_concern(
        &self,
        pcn: together_core::PcnId,
        by: together_core::UserId,
        c: &together_core::safeguarding::NewConcern,
        audit: &crate::NewAuditEvent,
    ) -> Result<String, crate::StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        sqlx::query(
            "INSERT INTO safeguarding_report (id, pcn_id, kind, what, happened, \
            place, people, action_taken, raised_by, raised_at, status) VALUES \
            ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open')",
        )
        .bind(&id)
        .bind(pcn.to_string())
        .bind(c.kind.as_str())
        .bind(&c.what)
        .bind(&c.when)
        .bind(&c.place)
        .bind(&c.who)
        .bind(&c.action_taken)
        .bind(by.to_string())
        .bind(crate::values::secs(audit.at))
        .execute(&mut *tx)
        .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("safeguarding_report", &id)).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn concerns(
        &self,
        pcn: together_core::PcnId,
        audit: &crate::NewAuditEvent,
    ) -> Result<Vec<crate::safeguarding::Concern>, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let list = sqlx::query(
            "SELECT * FROM safeguarding_report WHERE pcn_id = $1 ORDER BY status \
            DESC, raised_at DESC",
        )
        .bind(pcn.to_string())
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(Sql::<DB>::concern_row)
        .collect::<Result<Vec<_>, _>>()?;
        Sql::<DB>::write_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(list)
    }

    async fn concern(
        &self,
        pcn: together_core::PcnId,
        id: &str,
        audit: &crate::NewAuditEvent,
    ) -> Result<
        Option<(
            crate::safeguarding::Concern,
            Vec<crate::safeguarding::FollowUp>,
        )>,
        crate::StoreError,
    > {
        use sqlx::Row as _;
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let Some(c) =
            sqlx::query("SELECT * FROM safeguarding_report WHERE pcn_id = $1 AND id = $2")
                .bind(pcn.to_string())
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .as_ref()
                .map(Sql::<DB>::concern_row)
                .transpose()?
        else {
            return Ok(None);
        };
        let notes = sqlx::query(
            "SELECT note, by_user, at FROM safeguarding_followup WHERE report_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| {
            Ok(crate::safeguarding::FollowUp {
                note: r.try_get("note")?,
                by: crate::values::parsed("user id", &r.try_get::<String, _>("by_user")?)?,
                at: crate::values::at(r.try_get("at")?)?,
            })
        })
        .collect::<Result<Vec<_>, crate::StoreError>>()?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("safeguarding_report", id)).await?;
        tx.commit().await?;
        Ok(Some((c, notes)))
    }

    async fn follow_up(
        &self,
        pcn: together_core::PcnId,
        id: &str,
        by: together_core::UserId,
        note: &str,
        close: bool,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let status: Option<String> = sqlx::query_scalar(
            "SELECT status FROM safeguarding_report WHERE pcn_id = $1 AND id = $2",
        )
        .bind(pcn.to_string())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        match status.as_deref() {
            None => return Err(crate::StoreError::NotFound("concern")),
            Some("closed") => {
                return Err(crate::StoreError::Refused(
                    together_core::refusal::Refusal::ConcernClosed,
                ))
            }
            Some(_) => {}
        }
        let note = note.trim();
        if note.is_empty() || note.chars().count() > 5000 {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::WriteWhatWasDone,
            ));
        }
        sqlx::query(
            "INSERT INTO safeguarding_followup (report_id, note, by_user, at) \
            VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(note)
        .bind(by.to_string())
        .bind(crate::values::secs(audit.at))
        .execute(&mut *tx)
        .await?;
        if close {
            sqlx::query(
                "UPDATE safeguarding_report SET status = 'closed', closed_at = $1 WHERE id = $2",
            )
            .bind(crate::values::secs(audit.at))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        Sql::<DB>::write_audit(&mut tx, &audit.about("safeguarding_report", id)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn open_concerns(&self, pcn: together_core::PcnId) -> Result<i64, crate::StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM safeguarding_report WHERE pcn_id = $1 AND status = 'open'",
        )
        .bind(pcn.to_string())
        .fetch_one(self.pool())
        .await?)
    }
}
