//! The directory's other listings. The store keeps what must hold whoever asks: a partner
//! reaches only the listings it keeps, its changes wait for the coordinator (one at a time,
//! the latest replacing the one before), a new listing of a partner's is out of the directory
//! until approved, and the verification cycle asks each owner once per due date and takes a
//! listing out after the grace period, telling them in the same transaction.

use crate::sql::{Db, Pooled, Sql, Tx};
use crate::{NewAuditEvent, StoreError};
use async_trait::async_trait;
use serde::Serialize;
use time::{Date, OffsetDateTime};
use together_core::listings::NewListing;
use together_core::{PcnId, ServiceId};

/// A listing as the coordinator's list shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ListingSummary {
    pub id: ServiceId,
    pub name: String,
    pub organization: String,
    pub owner_partner_id: Option<String>,
    pub owner_name: Option<String>,
    pub published: bool,
    pub unpublished_reason: Option<String>,
    /// Last confirmed, or when it was added if never.
    pub assured_on: Date,
    pub pending_change: bool,
    pub source_url: Option<String>,
}

/// A listing whole, to show and change.
#[derive(Debug, Clone)]
pub struct Listing {
    pub summary: ListingSummary,
    pub listing: NewListing,
    pub assurer_email: Option<String>,
}

/// A partner's proposed change.
#[derive(Debug, Clone)]
pub struct ListingChange {
    pub id: String,
    pub service_id: ServiceId,
    pub partner_name: String,
    pub proposed: NewListing,
    pub proposed_at: OffsetDateTime,
    /// "approved" or "declined", once decided.
    pub decision: Option<String>,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    pub added: usize,
    pub changed: usize,
    pub unchanged: usize,
}

/// What one run of the verification cycle did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VerifyRun {
    pub asked: usize,
    pub unpublished: usize,
}

#[async_trait]
pub trait ListingStore {
    /// Adds a listing; `owner` is the partner that keeps it. One `awaiting_approval` stays out
    /// of the directory until the coordinator publishes it.
    async fn add_listing(
        &self,
        pcn: PcnId,
        l: &NewListing,
        owner: Option<&str>,
        awaiting_approval: bool,
        audit: &NewAuditEvent,
    ) -> Result<ServiceId, StoreError>;
    /// The coordinator changes a listing (which confirms it too) and who keeps it.
    async fn update_listing(
        &self,
        pcn: PcnId,
        id: ServiceId,
        l: &NewListing,
        owner: Option<&str>,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// The PCN's listings (not its offers) by name; with `owner`, only that partner's.
    async fn listings(
        &self,
        pcn: PcnId,
        owner: Option<&str>,
    ) -> Result<Vec<ListingSummary>, StoreError>;
    /// One listing; with `owner`, only if that partner keeps it.
    async fn listing(
        &self,
        pcn: PcnId,
        id: ServiceId,
        owner: Option<&str>,
    ) -> Result<Listing, StoreError>;
    /// Its owner (or the coordinator, `owner` None) says it is still right: assured today,
    /// and back in the directory if the cycle had taken it out.
    async fn confirm_listing(
        &self,
        pcn: PcnId,
        id: ServiceId,
        owner: Option<&str>,
        assurer: &str,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// The coordinator takes a listing out of the directory or puts it back (approving a
    /// partner's new listing).
    async fn set_listing_published(
        &self,
        pcn: PcnId,
        id: ServiceId,
        published: bool,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// A partner proposes a change to a listing it keeps; it replaces any still waiting.
    async fn propose_listing_change(
        &self,
        pcn: PcnId,
        id: ServiceId,
        partner: &str,
        l: &NewListing,
        audit: &NewAuditEvent,
    ) -> Result<String, StoreError>;
    /// A listing's proposed changes, the waiting one first, then the decided, latest first.
    async fn listing_changes(
        &self,
        pcn: PcnId,
        id: ServiceId,
    ) -> Result<Vec<ListingChange>, StoreError>;
    /// The coordinator approves (the listing takes the change and is assured today) or
    /// declines a waiting change, with a reason the partner is told.
    async fn decide_listing_change(
        &self,
        pcn: PcnId,
        change: &str,
        approve: bool,
        reason: &str,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// Keeps services read from another directory's feed as listings of the PCN's team, all or
    /// nothing: one seen before (the same feed and id) changes only if it changed; a new one keeps
    /// its id from the feed when that id is free. Unknown categories join the directory's.
    async fn import_listings(
        &self,
        pcn: PcnId,
        source_url: &str,
        services: &[together_core::listings::ImportedService],
        audit: &NewAuditEvent,
    ) -> Result<ImportCounts, StoreError>;
    /// The verification cycle for one PCN: asks each owner whose listing falls due (once per
    /// due date), and takes out those past the grace period, telling the owner.
    async fn verify_listings(
        &self,
        pcn: PcnId,
        months: u32,
        grace_days: i64,
        base_url: &str,
        now: OffsetDateTime,
    ) -> Result<VerifyRun, StoreError>;
}

// The SQL below is shared by both backends: see crate::sql for the bounds.
pub(crate) const LISTING_SELECT: &str =
    "SELECT v.id, v.name, o.name AS organization, v.owner_partner_id, p.name \
    AS owner_name, v.published, v.unpublished_reason, \
    COALESCE(v.assured_date, '') AS assured_date, v.created_at, \
    v.source_url, v.assurer_email, EXISTS (SELECT 1 FROM listing_change c \
    WHERE c.service_id = v.id AND c.decision IS NULL) AS pending FROM \
    service v JOIN organization o ON o.id = v.organization_id LEFT JOIN \
    partner p ON p.id = v.owner_partner_id";

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
    pub(crate) fn listing_summary_row(
        r: &DB::Row,
    ) -> Result<crate::listings::ListingSummary, crate::StoreError> {
        use sqlx::Row as _;
        let assured: String = r.try_get("assured_date")?;
        let assured_on = if assured.is_empty() {
            crate::values::at(r.try_get("created_at")?)?.date()
        } else {
            crate::values::parse_iso_date(&assured)?
        };
        Ok(crate::listings::ListingSummary {
            id: crate::values::parsed("service id", &r.try_get::<String, _>("id")?)?,
            name: r.try_get("name")?,
            organization: r.try_get("organization")?,
            owner_partner_id: r.try_get("owner_partner_id")?,
            owner_name: r.try_get("owner_name")?,
            published: r.try_get("published")?,
            unpublished_reason: r.try_get("unpublished_reason")?,
            assured_on,
            pending_change: r.try_get("pending")?,
            source_url: r.try_get("source_url")?,
        })
    }

    /// The listing's row, if it is the PCN's, not an offer, and (with `owner`) that partner's.
    pub(crate) async fn listing_in(
        tx: &mut Tx<'_, DB>,
        pcn: together_core::PcnId,
        id: together_core::ServiceId,
        owner: Option<&str>,
    ) -> Result<crate::listings::Listing, crate::StoreError> {
        use sqlx::Row as _;
        let row = sqlx::query(&format!(
            "{LISTING_SELECT} WHERE v.id = $1 AND v.pcn_id = $2 AND v.offer_kind \
                    IS NULL AND ($3 IS NULL OR v.owner_partner_id = $3)"
        ))
        .bind(id.to_string())
        .bind(pcn.to_string())
        .bind(owner)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(crate::StoreError::NotFound("listing"))?;
        let summary = Sql::<DB>::listing_summary_row(&row)?;
        let assurer_email: Option<String> = row.try_get("assurer_email")?;
        let full = sqlx::query(
            "SELECT v.description, v.url, v.email, v.phone, v.contact_name, v.fees, \
                 v.eligibility, v.minimum_age, v.maximum_age, v.accessibility, \
                 ve.address, ve.postcode FROM service v LEFT JOIN venue ve ON ve.id = \
                 v.venue_id WHERE v.id = $1",
        )
        .bind(id.to_string())
        .fetch_one(&mut **tx)
        .await?;
        let taxonomy: Vec<String> = sqlx::query_scalar(
            "SELECT term_id FROM service_taxonomy WHERE service_id = $1 ORDER BY term_id",
        )
        .bind(id.to_string())
        .fetch_all(&mut **tx)
        .await?;
        let listing = together_core::listings::NewListing {
            fields: together_core::listings::ServiceFields {
                name: summary.name.clone(),
                description: full.try_get("description")?,
                taxonomy,
                eligibility: full.try_get("eligibility")?,
                minimum_age: full.try_get("minimum_age")?,
                maximum_age: full.try_get("maximum_age")?,
                cost: full.try_get("fees")?,
                accessibility: full.try_get("accessibility")?,
                contact_name: full.try_get("contact_name")?,
                phone: full.try_get("phone")?,
                email: full.try_get("email")?,
                url: full.try_get("url")?,
            },
            organization: summary.organization.clone(),
            address: full
                .try_get::<Option<String>, _>("address")?
                .unwrap_or_default(),
            postcode: full.try_get("postcode")?,
        };
        Ok(crate::listings::Listing {
            summary,
            listing,
            assurer_email,
        })
    }

    /// The organisation a listing names: a partner's own when it is one of the PCN's
    /// partners, else one of the others by name, made the first time.
    pub(crate) async fn listing_organization(
        tx: &mut Tx<'_, DB>,
        pcn: together_core::PcnId,
        name: &str,
        at: time::OffsetDateTime,
    ) -> Result<String, crate::StoreError> {
        use sqlx::Row as _;
        let p = pcn.to_string();
        let partner = sqlx::query(
            "SELECT id, description, email, website FROM partner WHERE pcn_id = \
            $1 AND LOWER(name) = LOWER($2)",
        )
        .bind(&p)
        .bind(name)
        .fetch_optional(&mut **tx)
        .await?;
        let found: Option<String> = match &partner {
            Some(row) => {
                sqlx::query_scalar("SELECT id FROM organization WHERE partner_id = $1")
                    .bind(row.try_get::<String, _>("id")?)
                    .fetch_optional(&mut **tx)
                    .await?
            }
            None => {
                sqlx::query_scalar(
                    "SELECT id FROM organization WHERE pcn_id = $1 AND kind = 'other' AND \
                    LOWER(name) = LOWER($2) ORDER BY created_at, id LIMIT 1",
                )
                .bind(&p)
                .bind(name)
                .fetch_optional(&mut **tx)
                .await?
            }
        };
        if let Some(id) = found {
            return Ok(id);
        }
        let id = uuid::Uuid::new_v4().to_string();
        let (partner_id, description, email, website) = match &partner {
            Some(row) => (
                Some(row.try_get::<String, _>("id")?),
                row.try_get::<String, _>("description")?,
                row.try_get::<Option<String>, _>("email")?,
                row.try_get::<Option<String>, _>("website")?,
            ),
            None => (None, String::new(), None, None),
        };
        sqlx::query(
            "INSERT INTO organization (id, pcn_id, partner_id, name, description, \
            email, website, created_at, kind) VALUES ($1, $2, $3, $4, $5, $6, \
            $7, $8, $9)",
        )
        .bind(&id)
        .bind(&p)
        .bind(&partner_id)
        .bind(name)
        .bind(description)
        .bind(email)
        .bind(website)
        .bind(crate::values::secs(at))
        .bind(if partner_id.is_some() {
            "partner"
        } else {
            "other"
        })
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// Writes a listing's fields, its place (a venue of the owner's, kept with it) and its
    /// categories: adding, changing and approving a change share it.
    pub(crate) async fn write_listing(
        tx: &mut Tx<'_, DB>,
        pcn: together_core::PcnId,
        id: together_core::ServiceId,
        l: &together_core::listings::NewListing,
        owner: Option<&str>,
        at: time::OffsetDateTime,
    ) -> Result<(), crate::StoreError> {
        for term in &l.fields.taxonomy {
            let found: Option<String> =
                sqlx::query_scalar("SELECT id FROM taxonomy_term WHERE id = $1")
                    .bind(term)
                    .fetch_optional(&mut **tx)
                    .await?;
            if found.is_none() {
                return Err(crate::StoreError::NotFound("category"));
            }
        }
        let org = Sql::<DB>::listing_organization(tx, pcn, &l.organization, at).await?;
        let venue: Option<String> =
            sqlx::query_scalar("SELECT venue_id FROM service WHERE id = $1")
                .bind(id.to_string())
                .fetch_one(&mut **tx)
                .await?;
        let venue = match (&l.postcode, venue) {
            (None, _) => None,
            (Some(postcode), Some(v)) => {
                sqlx::query(
                    "UPDATE venue SET name = $1, address = $2, postcode = $3, \
                    accessibility = $4, partner_id = $5 WHERE id = $6",
                )
                .bind(&l.fields.name)
                .bind(&l.address)
                .bind(postcode)
                .bind(&l.fields.accessibility)
                .bind(owner)
                .bind(&v)
                .execute(&mut **tx)
                .await?;
                Some(v)
            }
            (Some(postcode), None) => {
                let v = uuid::Uuid::new_v4().to_string();
                sqlx::query(
                    "INSERT INTO venue (id, pcn_id, partner_id, name, address, postcode, \
                    accessibility, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&v)
                .bind(pcn.to_string())
                .bind(owner)
                .bind(&l.fields.name)
                .bind(&l.address)
                .bind(postcode)
                .bind(&l.fields.accessibility)
                .bind(crate::values::secs(at))
                .execute(&mut **tx)
                .await?;
                Some(v)
            }
        };
        let f = &l.fields;
        sqlx::query(
            "UPDATE service SET organization_id = $1, name = $2, description = $3, \
                 url = $4, email = $5, phone = $6, contact_name = $7, fees = $8, \
                 eligibility = $9, minimum_age = $10, maximum_age = $11, accessibility = \
                 $12, venue_id = $13, owner_partner_id = $14, last_modified = $15 WHERE \
                 id = $16",
        )
        .bind(&org)
        .bind(&f.name)
        .bind(&f.description)
        .bind(&f.url)
        .bind(&f.email)
        .bind(&f.phone)
        .bind(&f.contact_name)
        .bind(&f.cost)
        .bind(&f.eligibility)
        .bind(f.minimum_age)
        .bind(f.maximum_age)
        .bind(&f.accessibility)
        .bind(&venue)
        .bind(owner)
        .bind(crate::values::secs(at))
        .bind(id.to_string())
        .execute(&mut **tx)
        .await?;
        sqlx::query("DELETE FROM service_taxonomy WHERE service_id = $1")
            .bind(id.to_string())
            .execute(&mut **tx)
            .await?;
        for term in &f.taxonomy {
            sqlx::query("INSERT INTO service_taxonomy (service_id, term_id) VALUES ($1, $2)")
                .bind(id.to_string())
                .bind(term)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Marks a listing assured today by `assurer`, and back in the directory if only the
    /// cycle had taken it out.
    pub(crate) async fn assure_in(
        tx: &mut Tx<'_, DB>,
        id: together_core::ServiceId,
        assurer: &str,
        at: time::OffsetDateTime,
    ) -> Result<(), crate::StoreError> {
        sqlx::query(
            "UPDATE service SET assured_date = $1, assurer_email = $2, verify_asked = \
                 NULL, published = CASE WHEN unpublished_reason = 'lapsed' THEN TRUE ELSE \
                 published END, unpublished_reason = CASE WHEN unpublished_reason = \
                 'lapsed' THEN NULL ELSE unpublished_reason END WHERE id = $3",
        )
        .bind(crate::values::iso_date(at.date()))
        .bind(assurer)
        .bind(id.to_string())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Where to tell a listing's owner: the partner's users and its own address, else the
    /// PCN's coordinators.
    pub(crate) async fn listing_owners(
        tx: &mut Tx<'_, DB>,
        pcn: together_core::PcnId,
        owner: Option<&str>,
    ) -> Result<Vec<String>, crate::StoreError> {
        let mut to: Vec<String> = match owner {
            Some(p) => {
                let mut v: Vec<String> = sqlx::query_scalar(
                    "SELECT a.email FROM partner_user u JOIN app_user a ON a.id = \
                    u.user_id WHERE u.partner_id = $1 AND a.status = 'active' ORDER BY \
                    a.email",
                )
                .bind(p)
                .fetch_all(&mut **tx)
                .await?;
                let own: Option<Option<String>> =
                    sqlx::query_scalar("SELECT email FROM partner WHERE id = $1")
                        .bind(p)
                        .fetch_optional(&mut **tx)
                        .await?;
                v.extend(own.flatten());
                v
            }
            None => Vec::new(),
        };
        if to.is_empty() {
            to = sqlx::query_scalar(
                "SELECT a.email FROM app_user a JOIN role_assignment r ON r.user_id = \
                a.id WHERE a.pcn_id = $1 AND r.role = 'pcn_admin' AND a.status = \
                'active' ORDER BY a.email",
            )
            .bind(pcn.to_string())
            .fetch_all(&mut **tx)
            .await?;
        }
        to.sort();
        to.dedup();
        Ok(to)
    }

    pub(crate) async fn tell(
        tx: &mut Tx<'_, DB>,
        pcn: together_core::PcnId,
        to: &[String],
        subject: &str,
        body: &str,
        now: time::OffsetDateTime,
    ) -> Result<(), crate::StoreError> {
        for recipient in to {
            Sql::<DB>::write_message(
                tx,
                &crate::NewMessage {
                    pcn_id: Some(pcn),
                    person: None,
                    channel: crate::Channel::Email,
                    recipient: recipient.clone(),
                    subject: subject.into(),
                    body: body.into(),
                    now,
                },
            )
            .await?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl<S, DB> crate::listings::ListingStore for S
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
    async fn add_listing(
        &self,
        pcn: together_core::PcnId,
        l: &together_core::listings::NewListing,
        owner: Option<&str>,
        awaiting_approval: bool,
        audit: &crate::NewAuditEvent,
    ) -> Result<together_core::ServiceId, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        if let Some(p) = owner {
            let ours: Option<String> =
                sqlx::query_scalar("SELECT id FROM partner WHERE id = $1 AND pcn_id = $2")
                    .bind(p)
                    .bind(pcn.to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
            if ours.is_none() {
                return Err(crate::StoreError::NotFound("partner"));
            }
        }
        let id = together_core::ServiceId::new();
        let org = Sql::<DB>::listing_organization(&mut tx, pcn, &l.organization, audit.at).await?;
        sqlx::query(
            "INSERT INTO service (id, pcn_id, organization_id, name, status, \
                        published, unpublished_reason, last_modified, created_at) VALUES \
                        ($1, $2, $3, $4, 'active', $5, $6, $7, $7)",
        )
        .bind(id.to_string())
        .bind(pcn.to_string())
        .bind(&org)
        .bind(&l.fields.name)
        .bind(!awaiting_approval)
        .bind(awaiting_approval.then_some("awaiting_approval"))
        .bind(crate::values::secs(audit.at))
        .execute(&mut *tx)
        .await?;
        Sql::<DB>::write_listing(&mut tx, pcn, id, l, owner, audit.at).await?;
        if !awaiting_approval {
            Sql::<DB>::assure_in(&mut tx, id, &audit.actor, audit.at).await?;
        }
        Sql::<DB>::write_audit(&mut tx, &audit.about("listing", id)).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn update_listing(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ServiceId,
        l: &together_core::listings::NewListing,
        owner: Option<&str>,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        Sql::<DB>::listing_in(&mut tx, pcn, id, None).await?;
        if let Some(p) = owner {
            let ours: Option<String> =
                sqlx::query_scalar("SELECT id FROM partner WHERE id = $1 AND pcn_id = $2")
                    .bind(p)
                    .bind(pcn.to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
            if ours.is_none() {
                return Err(crate::StoreError::NotFound("partner"));
            }
        }
        Sql::<DB>::write_listing(&mut tx, pcn, id, l, owner, audit.at).await?;
        Sql::<DB>::assure_in(&mut tx, id, &audit.actor, audit.at).await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("listing", id)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn listings(
        &self,
        pcn: together_core::PcnId,
        owner: Option<&str>,
    ) -> Result<Vec<crate::listings::ListingSummary>, crate::StoreError> {
        sqlx::query(&format!(
            "{LISTING_SELECT} WHERE v.pcn_id = $1 AND v.offer_kind IS NULL AND \
            ($2 IS NULL OR v.owner_partner_id = $2) ORDER BY v.name, v.id"
        ))
        .bind(pcn.to_string())
        .bind(owner)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(Sql::<DB>::listing_summary_row)
        .collect()
    }

    async fn listing(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ServiceId,
        owner: Option<&str>,
    ) -> Result<crate::listings::Listing, crate::StoreError> {
        let mut tx = self.pool().begin().await?;
        Sql::<DB>::listing_in(&mut tx, pcn, id, owner).await
    }

    async fn confirm_listing(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ServiceId,
        owner: Option<&str>,
        assurer: &str,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        Sql::<DB>::listing_in(&mut tx, pcn, id, owner).await?;
        Sql::<DB>::assure_in(&mut tx, id, assurer, audit.at).await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("listing", id)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_listing_published(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ServiceId,
        published: bool,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let l = Sql::<DB>::listing_in(&mut tx, pcn, id, None).await?;
        sqlx::query(
            "UPDATE service SET published = $1, unpublished_reason = $2, \
            last_modified = $3 WHERE id = $4",
        )
        .bind(published)
        .bind((!published).then_some("staff"))
        .bind(crate::values::secs(audit.at))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        if published {
            Sql::<DB>::assure_in(&mut tx, id, &audit.actor, audit.at).await?;
            if l.summary.unpublished_reason.as_deref() == Some("awaiting_approval") {
                let to =
                    Sql::<DB>::listing_owners(&mut tx, pcn, l.summary.owner_partner_id.as_deref())
                        .await?;
                Sql::<DB>::tell(
                    &mut tx,
                    pcn,
                    &to,
                    &format!("{} is in the directory", l.summary.name),
                    &format!(
                        "{} has been approved and is now in the directory.",
                        l.summary.name
                    ),
                    audit.at,
                )
                .await?;
            }
        }
        Sql::<DB>::write_audit(&mut tx, &audit.about("listing", id)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn propose_listing_change(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ServiceId,
        partner: &str,
        l: &together_core::listings::NewListing,
        audit: &crate::NewAuditEvent,
    ) -> Result<String, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let current = Sql::<DB>::listing_in(&mut tx, pcn, id, Some(partner)).await?;
        if current.listing == *l {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::ReadsAlready,
            ));
        }
        let proposed =
            serde_json::to_string(l).map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
        sqlx::query("DELETE FROM listing_change WHERE service_id = $1 AND decision IS NULL")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        let change = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO listing_change (id, service_id, partner_id, proposed, \
            proposed_by, proposed_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&change)
        .bind(id.to_string())
        .bind(partner)
        .bind(&proposed)
        .bind(&audit.actor)
        .bind(crate::values::secs(audit.at))
        .execute(&mut *tx)
        .await?;
        let admins = Sql::<DB>::listing_owners(&mut tx, pcn, None).await?;
        Sql::<DB>::tell(
            &mut tx,
            pcn,
            &admins,
            &format!("A change to {} is waiting", current.summary.name),
            &format!(
                "{} proposed a change to {}. Open the listing in the directory to see \
            what would change and approve it or not.",
                current.summary.owner_name.clone().unwrap_or_default(),
                current.summary.name
            ),
            audit.at,
        )
        .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("listing", id)).await?;
        tx.commit().await?;
        Ok(change)
    }

    async fn listing_changes(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ServiceId,
    ) -> Result<Vec<crate::listings::ListingChange>, crate::StoreError> {
        use sqlx::Row as _;
        sqlx::query(
            "SELECT c.id, c.service_id, p.name AS partner_name, c.proposed, \
                     c.proposed_at, c.decision, c.reason FROM listing_change c JOIN service v \
                     ON v.id = c.service_id JOIN partner p ON p.id = c.partner_id WHERE \
                     c.service_id = $1 AND v.pcn_id = $2 ORDER BY CASE WHEN c.decision IS \
                     NULL THEN 0 ELSE 1 END, c.proposed_at DESC, c.id",
        )
        .bind(id.to_string())
        .bind(pcn.to_string())
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(crate::listings::ListingChange {
                id: r.try_get("id")?,
                service_id: crate::values::parsed(
                    "service id",
                    &r.try_get::<String, _>("service_id")?,
                )?,
                partner_name: r.try_get("partner_name")?,
                proposed: serde_json::from_str(&r.try_get::<String, _>("proposed")?)
                    .map_err(|e| crate::StoreError::Corrupt(format!("a proposed change: {e}")))?,
                proposed_at: crate::values::at(r.try_get("proposed_at")?)?,
                decision: r.try_get("decision")?,
                reason: r.try_get("reason")?,
            })
        })
        .collect()
    }

    async fn decide_listing_change(
        &self,
        pcn: together_core::PcnId,
        change: &str,
        approve: bool,
        reason: &str,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        use sqlx::Row as _;
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let row = sqlx::query(
            "SELECT c.service_id, c.partner_id, c.proposed FROM listing_change c \
            JOIN service v ON v.id = c.service_id WHERE c.id = $1 AND v.pcn_id = \
            $2 AND c.decision IS NULL",
        )
        .bind(change)
        .bind(pcn.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(crate::StoreError::NotFound("change"))?;
        let id: together_core::ServiceId =
            crate::values::parsed("service id", &row.try_get::<String, _>("service_id")?)?;
        let current = Sql::<DB>::listing_in(&mut tx, pcn, id, None).await?;
        if approve {
            let proposed: together_core::listings::NewListing =
                serde_json::from_str(&row.try_get::<String, _>("proposed")?)
                    .map_err(|e| crate::StoreError::Corrupt(format!("a proposed change: {e}")))?;
            Sql::<DB>::write_listing(
                &mut tx,
                pcn,
                id,
                &proposed,
                current.summary.owner_partner_id.as_deref(),
                audit.at,
            )
            .await?;
            Sql::<DB>::assure_in(&mut tx, id, &audit.actor, audit.at).await?;
        }
        sqlx::query(
            "UPDATE listing_change SET decision = $1, decided_by = $2, decided_at \
            = $3, reason = $4 WHERE id = $5",
        )
        .bind(if approve { "approved" } else { "declined" })
        .bind(&audit.actor)
        .bind(crate::values::secs(audit.at))
        .bind(reason)
        .bind(change)
        .execute(&mut *tx)
        .await?;
        let to =
            Sql::<DB>::listing_owners(&mut tx, pcn, current.summary.owner_partner_id.as_deref())
                .await?;
        let (subject, body) = if approve {
            (
                format!(
                    "Your change to {} is in the directory",
                    current.summary.name
                ),
                format!("Your change to {} has been approved.", current.summary.name),
            )
        } else {
            (
                format!("Your change to {} was not made", current.summary.name),
                format!(
                    "Your change to {} was not made. {reason}",
                    current.summary.name
                ),
            )
        };
        Sql::<DB>::tell(&mut tx, pcn, &to, &subject, body.trim(), audit.at).await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("listing", id)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn import_listings(
        &self,
        pcn: together_core::PcnId,
        source_url: &str,
        services: &[together_core::listings::ImportedService],
        audit: &crate::NewAuditEvent,
    ) -> Result<crate::listings::ImportCounts, crate::StoreError> {
        use sqlx::Row as _;
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let mut counts = crate::listings::ImportCounts::default();
        // The feed's categories we do not have join a taxonomy named after the feed.
        let feed_taxonomy =
            uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, source_url.as_bytes()).to_string();
        for s in services {
            let mut listing = s.listing.clone();
            listing.fields.taxonomy.clear();
            for t in &s.terms {
                let known: Option<String> =
                    sqlx::query_scalar("SELECT id FROM taxonomy_term WHERE id = $1")
                        .bind(&t.id)
                        .fetch_optional(&mut *tx)
                        .await?;
                let id = match known {
                    Some(id) => id,
                    None => {
                        let taxonomy = match &t.taxonomy_id {
                            Some(x) => {
                                let have: Option<String> =
                                    sqlx::query_scalar("SELECT id FROM taxonomy WHERE id = $1")
                                        .bind(x)
                                        .fetch_optional(&mut *tx)
                                        .await?;
                                have.unwrap_or_else(|| feed_taxonomy.clone())
                            }
                            None => feed_taxonomy.clone(),
                        };
                        if taxonomy == feed_taxonomy {
                            sqlx::query("INSERT INTO taxonomy (id, name, description, uri) VALUES ($1, $2, $3, \
                                $4) ON CONFLICT (id) DO NOTHING")
                                        .bind(&feed_taxonomy)
                                        .bind("Imported categories")
                                        .bind(format!("Categories of the directory at {source_url}"))
                                        .bind(source_url)
                                        .execute(&mut *tx)
                                        .await?;
                        }
                        // A code the taxonomy has already under another id is that term.
                        let same: Option<String> = sqlx::query_scalar(
                            "SELECT id FROM taxonomy_term WHERE taxonomy_id = $1 AND code = $2",
                        )
                        .bind(&taxonomy)
                        .bind(&t.code)
                        .fetch_optional(&mut *tx)
                        .await?;
                        match same {
                            Some(id) => id,
                            None => {
                                sqlx::query("INSERT INTO taxonomy_term (id, taxonomy_id, code, name, description) \
                                    VALUES ($1, $2, $3, $4, $5)")
                                            .bind(&t.id)
                                            .bind(&taxonomy)
                                            .bind(&t.code)
                                            .bind(&t.name)
                                            .bind(&t.description)
                                            .execute(&mut *tx)
                                            .await?;
                                t.id.clone()
                            }
                        }
                    }
                };
                if !listing.fields.taxonomy.contains(&id) {
                    listing.fields.taxonomy.push(id);
                }
            }
            listing.fields.taxonomy.sort();
            // As the feed says: a service it never assured is not assured here either.
            let assured = s.assured_date.map(crate::values::iso_date);
            let existing: Option<String> = sqlx::query_scalar(
                "SELECT id FROM service WHERE pcn_id = $1 AND source_url = $2 AND source_id = $3",
            )
            .bind(pcn.to_string())
            .bind(source_url)
            .bind(&s.source_id)
            .fetch_optional(&mut *tx)
            .await?;
            let id = match existing {
                Some(id) => {
                    let id: together_core::ServiceId = crate::values::parsed("service id", &id)?;
                    let now = Sql::<DB>::listing_in(&mut tx, pcn, id, None).await?;
                    let row = sqlx::query("SELECT status, assured_date FROM service WHERE id = $1")
                        .bind(id.to_string())
                        .fetch_one(&mut *tx)
                        .await?;
                    let schedules: Vec<String> = sqlx::query_scalar(
                        "SELECT description FROM schedule WHERE service_id = $1 ORDER BY \
                        description",
                    )
                    .bind(id.to_string())
                    .fetch_all(&mut *tx)
                    .await?;
                    let mut theirs: Vec<String> =
                        s.schedules.iter().map(|r| r.describe()).collect();
                    theirs.sort();
                    let mut mine = now.listing.clone();
                    mine.fields.taxonomy.sort();
                    if mine == listing
                        && row.try_get::<String, _>("status")? == s.status
                        && row.try_get::<Option<String>, _>("assured_date")? == assured
                        && schedules == theirs
                    {
                        counts.unchanged += 1;
                        continue;
                    }
                    counts.changed += 1;
                    id
                }
                None => {
                    let free = match s.source_id.parse::<together_core::ServiceId>() {
                        Ok(id) => {
                            let taken: Option<String> =
                                sqlx::query_scalar("SELECT id FROM service WHERE id = $1")
                                    .bind(id.to_string())
                                    .fetch_optional(&mut *tx)
                                    .await?;
                            taken.is_none().then_some(id)
                        }
                        Err(_) => None,
                    };
                    let id = free.unwrap_or_default();
                    let org = Sql::<DB>::listing_organization(
                        &mut tx,
                        pcn,
                        &listing.organization,
                        audit.at,
                    )
                    .await?;
                    sqlx::query(
                                "INSERT INTO service (id, pcn_id, organization_id, name, status, \
                                 published, last_modified, created_at, source_url, source_id) VALUES ($1, \
                                 $2, $3, $4, 'active', TRUE, $5, $5, $6, $7)",
                            )
                            .bind(id.to_string())
                            .bind(pcn.to_string())
                            .bind(&org)
                            .bind(&listing.fields.name)
                            .bind(crate::values::secs(audit.at))
                            .bind(source_url)
                            .bind(&s.source_id)
                            .execute(&mut *tx)
                            .await?;
                    counts.added += 1;
                    id
                }
            };
            Sql::<DB>::write_listing(&mut tx, pcn, id, &listing, None, audit.at).await?;
            sqlx::query(
                "UPDATE service SET status = $1, assured_date = $2, assurer_email = \
                $3, verify_asked = NULL WHERE id = $4",
            )
            .bind(&s.status)
            .bind(&assured)
            .bind(assured.as_ref().map(|_| source_url))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM schedule WHERE service_id = $1")
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
            for r in &s.schedules {
                Sql::<DB>::write_schedule(&mut tx, id, r, audit.at).await?;
            }
        }
        Sql::<DB>::write_audit(&mut tx, &audit.about("directory_import", source_url)).await?;
        tx.commit().await?;
        Ok(counts)
    }

    async fn verify_listings(
        &self,
        pcn: together_core::PcnId,
        months: u32,
        grace_days: i64,
        base_url: &str,
        now: time::OffsetDateTime,
    ) -> Result<crate::listings::VerifyRun, crate::StoreError> {
        use together_core::listings::{months_after, Verification};
        let today = now.date();
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let rows = sqlx::query(&format!(
            "{LISTING_SELECT} WHERE v.pcn_id = $1 AND v.offer_kind IS NULL AND \
            v.published ORDER BY v.name, v.id"
        ))
        .bind(pcn.to_string())
        .fetch_all(&mut *tx)
        .await?;
        let mut run = crate::listings::VerifyRun::default();
        for r in &rows {
            let l = Sql::<DB>::listing_summary_row(r)?;
            let due = months_after(l.assured_on, months);
            let state = Verification::of(l.assured_on, months, grace_days, today);
            let link = match &l.owner_partner_id {
                Some(_) => format!("{base_url}/partners/mine/listings/{}", l.id),
                None => format!("{base_url}/listings/{}", l.id),
            };
            let asked: Option<String> =
                sqlx::query_scalar("SELECT verify_asked FROM service WHERE id = $1")
                    .bind(l.id.to_string())
                    .fetch_one(&mut *tx)
                    .await?;
            let due_iso = crate::values::iso_date(due);
            match state {
                Verification::Current => {}
                Verification::DueSoon | Verification::Overdue
                    if asked.as_deref() == Some(due_iso.as_str()) => {}
                Verification::DueSoon | Verification::Overdue => {
                    let to = Sql::<DB>::listing_owners(&mut tx, pcn, l.owner_partner_id.as_deref())
                        .await?;
                    Sql::<DB>::tell(
                                &mut tx,
                                pcn,
                                &to,
                                &format!("Is {} still right?", l.name),
                                &format!(
                                    "{} in the neighbourhood directory was last checked on {}. Please look at \
                                     it and confirm it is still right, or change what is not, by \
                                     {}:\n\n{link}\n\nIf nobody confirms it, it leaves the directory on {}.",
                                    l.name,
                                    crate::values::long_date(l.assured_on),
                                    crate::values::long_date(due),
                                    crate::values::long_date(due + time::Duration::days(grace_days))
                                ),
                                now,
                            )
                            .await?;
                    sqlx::query("UPDATE service SET verify_asked = $1 WHERE id = $2")
                        .bind(&due_iso)
                        .bind(l.id.to_string())
                        .execute(&mut *tx)
                        .await?;
                    run.asked += 1;
                }
                Verification::Lapsed => {
                    sqlx::query(
                        "UPDATE service SET published = FALSE, unpublished_reason = 'lapsed', \
                        last_modified = $1 WHERE id = $2",
                    )
                    .bind(crate::values::secs(now))
                    .bind(l.id.to_string())
                    .execute(&mut *tx)
                    .await?;
                    let to = Sql::<DB>::listing_owners(&mut tx, pcn, l.owner_partner_id.as_deref())
                        .await?;
                    Sql::<DB>::tell(
                        &mut tx,
                        pcn,
                        &to,
                        &format!("{} has left the directory", l.name),
                        &format!(
                            "Nobody confirmed {} since {}, so it is no longer shown in the \
                                    directory. Confirm it is still right to put it back:\n\n{link}",
                            l.name,
                            crate::values::long_date(l.assured_on)
                        ),
                        now,
                    )
                    .await?;
                    run.unpublished += 1;
                }
            }
        }
        tx.commit().await?;
        Ok(run)
    }
}
