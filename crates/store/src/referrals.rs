//! Referrals to the social prescribing service: received, then accepted or declined once, never
//! dated before they arrived; receiving one puts the person on the receiver's caseload (docs/design.md,
//! "Who uses it": "an open connection or referral with them"). Reads name people, so they are
//! audited with their event in the same transaction.

use crate::sql::{Db, Pooled, RowsAffected as _, Sql};
use crate::{NewAuditEvent, StoreError};
use async_trait::async_trait;
use serde::Serialize;
use time::Date;
use together_core::referrals::{Decided, NewReferral, ReferralStatus};
use together_core::{PcnId, PersonId, PracticeId, ReferralId};

/// A referral as a person's record and the practice's coding list show it.
#[derive(Debug, Clone, Serialize)]
pub struct Referral {
    pub id: ReferralId,
    pub person_id: PersonId,
    pub practice_id: PracticeId,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Date,
    pub referrer: String,
    pub reason: String,
    pub received_on: Date,
    pub status: ReferralStatus,
    pub decided_on: Option<Date>,
}

/// Which referrals to list; every part optional.
#[derive(Debug, Clone, Default)]
pub struct ReferralFilter {
    pub person: Option<PersonId>,
    /// Only people registered at this practice (its coding list).
    pub practice: Option<PracticeId>,
    /// Only accepted or declined ones: what the practice codes.
    pub decided_only: bool,
}

#[async_trait]
pub trait ReferralStore {
    /// Records a referral received by `audit`'s actor, who gets the person on their caseload.
    async fn add_referral(
        &self,
        pcn: PcnId,
        person: PersonId,
        received_by: together_core::UserId,
        r: &NewReferral,
        audit: &NewAuditEvent,
    ) -> Result<ReferralId, StoreError>;
    /// Accepts or declines a referral still only received, not before it arrived.
    async fn decide_referral(
        &self,
        pcn: PcnId,
        id: ReferralId,
        d: &Decided,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// The person a referral is about (for the policy) and the day it arrived (for checking a
    /// decision's date), without reading the rest of it.
    async fn referral_scope(
        &self,
        pcn: PcnId,
        id: ReferralId,
    ) -> Result<Option<(PersonId, Date)>, StoreError>;
    /// Referrals matching the filter, newest first; audited as one read.
    async fn referrals(
        &self,
        pcn: PcnId,
        filter: &ReferralFilter,
        audit: &NewAuditEvent,
    ) -> Result<Vec<Referral>, StoreError>;
}

// The SQL below is shared by both backends: see crate::sql for the bounds.
#[async_trait::async_trait]
impl<S, DB> crate::referrals::ReferralStore for S
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
    async fn add_referral(
        &self,
        pcn: together_core::PcnId,
        person: together_core::PersonId,
        received_by: together_core::UserId,
        r: &together_core::referrals::NewReferral,
        audit: &crate::NewAuditEvent,
    ) -> Result<together_core::ReferralId, crate::StoreError> {
        use crate::values::{iso_date, secs};
        let id = together_core::ReferralId::new();
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let inserted = sqlx::query(
            "INSERT INTO referral (id, pcn_id, person_id, referrer, reason, \
                     received_on, status, created_by, created_at) SELECT $1, pcn_id, id, $2, \
                     $3, $4, 'received', $5, $6 FROM person WHERE id = $7 AND pcn_id = $8",
        )
        .bind(id.to_string())
        .bind(&r.referrer)
        .bind(&r.reason)
        .bind(iso_date(r.received_on))
        .bind(&audit.actor)
        .bind(secs(audit.at))
        .bind(person.to_string())
        .bind(pcn.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Err(crate::StoreError::NotFound("person"));
        }
        Sql::<DB>::open_caseload(
            &mut tx,
            &person.to_string(),
            &received_by.to_string(),
            secs(audit.at),
        )
        .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("referral", id)).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn decide_referral(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ReferralId,
        d: &together_core::referrals::Decided,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        use crate::values::{iso_date, parse_iso_date};
        use sqlx::Row as _;
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let Some(r) =
            sqlx::query("SELECT status, received_on FROM referral WHERE id = $1 AND pcn_id = $2")
                .bind(id.to_string())
                .bind(pcn.to_string())
                .fetch_optional(&mut *tx)
                .await?
        else {
            return Err(crate::StoreError::NotFound("referral"));
        };
        if r.try_get::<String, _>("status")? != "received" {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::ReferralDecided,
            ));
        }
        let received_on = parse_iso_date(&r.try_get::<String, _>("received_on")?)?;
        if d.on < received_on || d.status == together_core::referrals::ReferralStatus::Received {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::DecidedBeforeArrival(received_on),
            ));
        }
        sqlx::query(
            "UPDATE referral SET status = $2, decided_on = $3, decided_by = $4 WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(d.status.as_str())
        .bind(iso_date(d.on))
        .bind(&audit.actor)
        .execute(&mut *tx)
        .await?;
        Sql::<DB>::write_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn referral_scope(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ReferralId,
    ) -> Result<Option<(together_core::PersonId, time::Date)>, crate::StoreError> {
        use crate::values::{parse_iso_date, parsed};
        use sqlx::Row as _;
        sqlx::query("SELECT person_id, received_on FROM referral WHERE id = $1 AND pcn_id = $2")
            .bind(id.to_string())
            .bind(pcn.to_string())
            .fetch_optional(self.pool())
            .await?
            .map(|r| -> Result<_, crate::StoreError> {
                Ok((
                    parsed("person id", &r.try_get::<String, _>("person_id")?)?,
                    parse_iso_date(&r.try_get::<String, _>("received_on")?)?,
                ))
            })
            .transpose()
    }

    async fn referrals(
        &self,
        pcn: together_core::PcnId,
        f: &crate::referrals::ReferralFilter,
        audit: &crate::NewAuditEvent,
    ) -> Result<Vec<crate::referrals::Referral>, crate::StoreError> {
        use crate::values::{parse_iso_date, parsed};
        use sqlx::Row as _;
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let rows = sqlx::query(
            "SELECT r.id, r.person_id, p.practice_id, p.given_name, p.family_name, \
                     p.date_of_birth, r.referrer, r.reason, r.received_on, r.status, \
                     r.decided_on FROM referral r JOIN person p ON p.id = r.person_id WHERE \
                     r.pcn_id = $1 AND ($2 IS NULL OR r.person_id = $2) AND ($3 IS NULL OR \
                     p.practice_id = $3) AND ($4 = 0 OR r.status <> 'received') ORDER BY \
                     r.received_on DESC, r.id LIMIT 5000",
        )
        .bind(pcn.to_string())
        .bind(f.person.map(|p| p.to_string()))
        .bind(f.practice.map(|p| p.to_string()))
        .bind(i64::from(f.decided_only))
        .fetch_all(&mut *tx)
        .await?;
        let mut found = Vec::with_capacity(rows.len());
        for r in &rows {
            found.push(crate::referrals::Referral {
                id: parsed("referral id", &r.try_get::<String, _>("id")?)?,
                person_id: parsed("person id", &r.try_get::<String, _>("person_id")?)?,
                practice_id: parsed("practice id", &r.try_get::<String, _>("practice_id")?)?,
                given_name: r.try_get("given_name")?,
                family_name: r.try_get("family_name")?,
                date_of_birth: parse_iso_date(&r.try_get::<String, _>("date_of_birth")?)?,
                referrer: r.try_get("referrer")?,
                reason: r.try_get("reason")?,
                received_on: parse_iso_date(&r.try_get::<String, _>("received_on")?)?,
                status: parsed("referral status", &r.try_get::<String, _>("status")?)?,
                decided_on: r
                    .try_get::<Option<String>, _>("decided_on")?
                    .map(|d| parse_iso_date(&d))
                    .transpose()?,
            });
        }
        Sql::<DB>::write_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(found)
    }
}
