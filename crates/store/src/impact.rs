//! What the impact report reads from the operational store: the connections with only the
//! pseudonym that links a person to the attendance data (never a name), the wellbeing answers
//! by connection, and the programme's costs as the PCN enters them.

use crate::sql::{Db, Pooled, RowsAffected as _, Sql};
use crate::wellbeing::WELLBEING_COLUMNS;
use crate::{NewAuditEvent, StoreError};
use async_trait::async_trait;
use serde::Serialize;
use time::Date;
use together_core::connections::Source;
use together_core::impact::{CostCategory, NewProgrammeCost};
use together_core::{ConnectionId, PcnId, PracticeCode, ProgrammeCostId, Pseudonym};

/// A connection as the evaluation sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvaluatedConnection {
    pub id: ConnectionId,
    /// Links the person to the attendance data; none without an NHS number (or once erased).
    pub pseudonym: Option<Pseudonym>,
    /// The person's practice.
    pub practice: PracticeCode,
    pub made_on: Date,
    /// How they came; not known for a connection brought in from the PCN's earlier records.
    pub source: Option<Source>,
    /// The offer's name, when connected to one (not a champion or another person).
    pub offer: Option<String>,
    /// It got as far as the person going along.
    pub went_along: bool,
}

/// A cost of the programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProgrammeCost {
    pub id: ProgrammeCostId,
    pub category: CostCategory,
    pub description: String,
    pub from: Date,
    pub to: Date,
    pub pence: i64,
}

/// A connection made before the PCN had Together, from its own records: who (by pseudonym
/// only), at which practice, to what, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastConnection {
    pub pseudonym: Pseudonym,
    pub practice: PracticeCode,
    /// The offer or service as the records name it.
    pub offer: String,
    pub connected_on: Date,
    pub ended_on: Option<Date>,
}

/// What an import of past connections did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PastConnectionsImported {
    pub added: u64,
    /// The same person, offer and day were there already (an import run again).
    pub already_there: u64,
    /// Of those added, to an offer of the PCN's by the same name.
    pub to_our_offers: u64,
}

#[async_trait]
pub trait ImpactStore {
    /// Brings in connections from the PCN's earlier records, all or none, in one transaction;
    /// one that is there already (same person, offer and day) is left as it is.
    async fn import_past_connections(
        &self,
        pcn: PcnId,
        rows: &[PastConnection],
        audit: &NewAuditEvent,
    ) -> Result<PastConnectionsImported, StoreError>;
    /// Every connection of the PCN, by day made; one audited read (pseudonymised: no names).
    async fn evaluated_connections(
        &self,
        pcn: PcnId,
        audit: &NewAuditEvent,
    ) -> Result<Vec<EvaluatedConnection>, StoreError>;
    /// Every wellbeing answer of the PCN, by connection, oldest first (scores only).
    async fn wellbeing_answers(
        &self,
        pcn: PcnId,
    ) -> Result<Vec<crate::wellbeing::WellbeingRecord>, StoreError>;
    /// The programme's costs, by first day.
    async fn programme_costs(&self, pcn: PcnId) -> Result<Vec<ProgrammeCost>, StoreError>;
    async fn add_programme_cost(
        &self,
        pcn: PcnId,
        cost: &NewProgrammeCost,
        audit: &NewAuditEvent,
    ) -> Result<ProgrammeCostId, StoreError>;
    async fn remove_programme_cost(
        &self,
        pcn: PcnId,
        id: ProgrammeCostId,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
}

// The SQL below is shared by both backends: see crate::sql for the bounds.
#[async_trait::async_trait]
impl<S, DB> crate::impact::ImpactStore for S
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
    async fn evaluated_connections(
        &self,
        pcn: together_core::PcnId,
        audit: &crate::NewAuditEvent,
    ) -> Result<Vec<crate::impact::EvaluatedConnection>, crate::StoreError> {
        use crate::values::{parse_iso_date, parsed};
        use sqlx::Row as _;
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        // The connections made in Together, and those brought in from earlier records
        // (how they came not known; the offer by the name the records gave, or ours).
        let rows = sqlx::query(
            "SELECT c.id, p.pseudonym, pr.ods_code, c.made_on, c.source, s.name AS \
                     offer, EXISTS (SELECT 1 FROM connection_step k WHERE k.connection_id = \
                     c.id AND k.status IN ('went_along', 'keeps_going')) AS went FROM \
                     connection c JOIN person p ON p.id = c.person_id JOIN practice pr ON \
                     pr.id = p.practice_id LEFT JOIN service s ON s.id = c.service_id WHERE \
                     c.pcn_id = $1 UNION ALL SELECT x.id, x.pseudonym, x.practice_code, \
                     x.connected_on, CAST(NULL AS TEXT), COALESCE(s.name, x.offer_name), \
                     FALSE FROM past_connection x LEFT JOIN service s ON s.id = x.service_id \
                     WHERE x.pcn_id = $1 ORDER BY 4, 1",
        )
        .bind(pcn.to_string())
        .fetch_all(&mut *tx)
        .await?;
        let out = rows
            .iter()
            .map(|r| {
                Ok(crate::impact::EvaluatedConnection {
                    id: parsed("connection id", &r.try_get::<String, _>(0)?)?,
                    pseudonym: r
                        .try_get::<Option<String>, _>(1)?
                        .and_then(|p| together_core::Pseudonym::parse(&p)),
                    practice: parsed("practice", &r.try_get::<String, _>(2)?)?,
                    made_on: parse_iso_date(&r.try_get::<String, _>(3)?)?,
                    source: r
                        .try_get::<Option<String>, _>(4)?
                        .map(|s| parsed("source", &s))
                        .transpose()?,
                    offer: r.try_get(5)?,
                    went_along: r.try_get(6)?,
                })
            })
            .collect::<Result<Vec<_>, crate::StoreError>>()?;
        Sql::<DB>::write_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn import_past_connections(
        &self,
        pcn: together_core::PcnId,
        rows: &[crate::impact::PastConnection],
        audit: &crate::NewAuditEvent,
    ) -> Result<crate::impact::PastConnectionsImported, crate::StoreError> {
        use crate::values::{iso_date, secs};
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let mut done = crate::impact::PastConnectionsImported::default();
        for row in rows {
            let ours: Option<String> = sqlx::query_scalar(
                "SELECT id FROM service WHERE pcn_id = $1 AND lower(name) = lower($2) \
                            ORDER BY id LIMIT 1",
            )
            .bind(pcn.to_string())
            .bind(&row.offer)
            .fetch_optional(&mut *tx)
            .await?;
            let id = together_core::ConnectionId::new();
            let added = sqlx::query(
                "INSERT INTO past_connection (id, pcn_id, pseudonym, practice_code, \
                         offer_name, service_id, connected_on, ended_on, imported_by, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (pcn_id, \
                         pseudonym, offer_name, connected_on) DO NOTHING",
            )
            .bind(id.to_string())
            .bind(pcn.to_string())
            .bind(row.pseudonym.as_str())
            .bind(row.practice.to_string())
            .bind(&row.offer)
            .bind(&ours)
            .bind(iso_date(row.connected_on))
            .bind(row.ended_on.map(iso_date))
            .bind(&audit.actor)
            .bind(secs(audit.at))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if added == 0 {
                done.already_there += 1;
            } else {
                done.added += 1;
                done.to_our_offers += ours.is_some() as u64;
            }
        }
        Sql::<DB>::write_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(done)
    }

    async fn wellbeing_answers(
        &self,
        pcn: together_core::PcnId,
    ) -> Result<Vec<crate::wellbeing::WellbeingRecord>, crate::StoreError> {
        sqlx::query(&format!(
            "SELECT {WELLBEING_COLUMNS} FROM wellbeing w JOIN connection c ON c.id = \
                     w.connection_id WHERE c.pcn_id = $1 ORDER BY w.connection_id, \
                     w.answered_on, w.created_at"
        ))
        .bind(pcn.to_string())
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(Sql::<DB>::wellbeing_row)
        .collect()
    }

    async fn programme_costs(
        &self,
        pcn: together_core::PcnId,
    ) -> Result<Vec<crate::impact::ProgrammeCost>, crate::StoreError> {
        use crate::values::{parse_iso_date, parsed};
        use sqlx::Row as _;
        sqlx::query(
            "SELECT * FROM programme_cost WHERE pcn_id = $1 ORDER BY from_date, created_at, id",
        )
        .bind(pcn.to_string())
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(crate::impact::ProgrammeCost {
                id: parsed("cost id", &r.try_get::<String, _>("id")?)?,
                category: together_core::impact::CostCategory::parse(
                    &r.try_get::<String, _>("category")?,
                )
                .ok_or_else(|| crate::StoreError::Corrupt("cost category".into()))?,
                description: r.try_get("description")?,
                from: parse_iso_date(&r.try_get::<String, _>("from_date")?)?,
                to: parse_iso_date(&r.try_get::<String, _>("to_date")?)?,
                pence: r.try_get("pence")?,
            })
        })
        .collect()
    }

    async fn add_programme_cost(
        &self,
        pcn: together_core::PcnId,
        cost: &together_core::impact::NewProgrammeCost,
        audit: &crate::NewAuditEvent,
    ) -> Result<together_core::ProgrammeCostId, crate::StoreError> {
        use crate::values::{iso_date, secs};
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let id = together_core::ProgrammeCostId::new();
        sqlx::query(
            "INSERT INTO programme_cost (id, pcn_id, category, description, \
                     from_date, to_date, pence, recorded_by, created_at) VALUES ($1, $2, $3, \
                     $4, $5, $6, $7, $8, $9)",
        )
        .bind(id.to_string())
        .bind(pcn.to_string())
        .bind(cost.category.as_str())
        .bind(&cost.description)
        .bind(iso_date(cost.from))
        .bind(iso_date(cost.to))
        .bind(cost.pence)
        .bind(&audit.actor)
        .bind(secs(audit.at))
        .execute(&mut *tx)
        .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("programme_cost", id)).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn remove_programme_cost(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ProgrammeCostId,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let gone = sqlx::query("DELETE FROM programme_cost WHERE id = $1 AND pcn_id = $2")
            .bind(id.to_string())
            .bind(pcn.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if gone == 0 {
            return Err(crate::StoreError::NotFound("cost"));
        }
        Sql::<DB>::write_audit(&mut tx, &audit.about("programme_cost", id)).await?;
        tx.commit().await?;
        Ok(())
    }
}
