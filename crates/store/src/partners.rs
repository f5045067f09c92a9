//! Community partners, venues, their agreements and insurance, and the partner users who keep
//! their organisation's details up to date.

use crate::sql::{Db, Pooled, RowsAffected as _, Sql, Tx};
use crate::{NewAuditEvent, StoreError};
use async_trait::async_trait;
use serde::Serialize;
use time::Date;
use together_core::partners::{NewDated, NewPartner, NewVenue};
use together_core::{PcnId, UserId};

#[derive(Debug, Clone, Serialize)]
pub struct Partner {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub description: String,
    pub contact: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Venue {
    pub id: String,
    /// `None`: one of the PCN's own.
    pub partner_id: Option<String>,
    pub name: String,
    pub address: String,
    pub postcode: String,
    pub accessibility: String,
    pub capacity: Option<i64>,
}

/// Someone to talk to at a partner.
#[derive(Debug, Clone, Serialize)]
pub struct Contact {
    pub id: String,
    pub name: String,
    pub title: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// An agreement (due for review) or an insurance policy (due to expire).
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    pub id: String,
    /// `None`: the PCN's own.
    pub partner_id: Option<String>,
    /// "agreement" or "insurance".
    pub kind: String,
    pub title: String,
    pub reference: String,
    pub from: Date,
    pub due: Date,
}

#[async_trait]
pub trait PartnerStore {
    async fn add_partner(
        &self,
        pcn: PcnId,
        p: &NewPartner,
        audit: &NewAuditEvent,
    ) -> Result<String, StoreError>;
    async fn update_partner(
        &self,
        pcn: PcnId,
        id: &str,
        p: &NewPartner,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    async fn partners(&self, pcn: PcnId) -> Result<Vec<Partner>, StoreError>;
    async fn partner(&self, pcn: PcnId, id: &str) -> Result<Option<Partner>, StoreError>;
    /// Adds a venue of a partner (or of the PCN, with `None`).
    async fn add_venue(
        &self,
        pcn: PcnId,
        partner: Option<&str>,
        v: &NewVenue,
        audit: &NewAuditEvent,
    ) -> Result<String, StoreError>;
    async fn venues(&self, pcn: PcnId) -> Result<Vec<Venue>, StoreError>;
    /// Records an agreement or insurance of a partner (or of the PCN, with `None`).
    async fn add_document(
        &self,
        pcn: PcnId,
        partner: Option<&str>,
        kind: &str,
        d: &NewDated,
        audit: &NewAuditEvent,
    ) -> Result<String, StoreError>;
    async fn documents(&self, pcn: PcnId) -> Result<Vec<Document>, StoreError>;
    /// Lets a partner user keep this organisation's details; `Refused` for another role.
    async fn link_partner_user(
        &self,
        pcn: PcnId,
        partner: &str,
        user: UserId,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    async fn add_partner_contact(
        &self,
        pcn: PcnId,
        partner: &str,
        c: &together_core::partners::NewContact,
        audit: &NewAuditEvent,
    ) -> Result<String, StoreError>;
    async fn remove_partner_contact(
        &self,
        pcn: PcnId,
        partner: &str,
        contact: &str,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    async fn partner_contacts(&self, pcn: PcnId, partner: &str)
        -> Result<Vec<Contact>, StoreError>;
    /// The organisation a partner user keeps up to date.
    async fn partner_of_user(&self, pcn: PcnId, user: UserId)
        -> Result<Option<String>, StoreError>;
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
    pub(crate) fn partner_row(r: &DB::Row) -> Result<crate::partners::Partner, crate::StoreError> {
        use sqlx::Row as _;
        Ok(crate::partners::Partner {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            kind: r.try_get("kind")?,
            description: r.try_get("description")?,
            contact: r.try_get("contact")?,
            phone: r.try_get("phone")?,
            email: r.try_get("email")?,
            website: r.try_get("website")?,
        })
    }

    pub(crate) async fn partner_exists(
        tx: &mut Tx<'_, DB>,
        pcn: together_core::PcnId,
        partner: Option<&str>,
    ) -> Result<(), crate::StoreError> {
        if let Some(p) = partner {
            let found: Option<String> =
                sqlx::query_scalar("SELECT id FROM partner WHERE id = $1 AND pcn_id = $2")
                    .bind(p)
                    .bind(pcn.to_string())
                    .fetch_optional(&mut **tx)
                    .await?;
            if found.is_none() {
                return Err(crate::StoreError::NotFound("partner"));
            }
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl<S, DB> crate::partners::PartnerStore for S
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
    async fn add_partner_contact(
        &self,
        pcn: together_core::PcnId,
        partner: &str,
        c: &together_core::partners::NewContact,
        audit: &crate::NewAuditEvent,
    ) -> Result<String, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        Sql::<DB>::partner_exists(&mut tx, pcn, Some(partner)).await?;
        let id = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO partner_contact (id, partner_id, name, title, phone, \
            email, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(partner)
        .bind(&c.name)
        .bind(&c.title)
        .bind(&c.phone)
        .bind(&c.email)
        .bind(crate::values::secs(audit.at))
        .execute(&mut *tx)
        .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("partner_contact", &id)).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn remove_partner_contact(
        &self,
        pcn: together_core::PcnId,
        partner: &str,
        contact: &str,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        Sql::<DB>::partner_exists(&mut tx, pcn, Some(partner)).await?;
        let gone = sqlx::query("DELETE FROM partner_contact WHERE id = $1 AND partner_id = $2")
            .bind(contact)
            .bind(partner)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if gone != 1 {
            return Err(crate::StoreError::NotFound("contact"));
        }
        Sql::<DB>::write_audit(&mut tx, &audit.about("partner_contact", contact)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn partner_contacts(
        &self,
        pcn: together_core::PcnId,
        partner: &str,
    ) -> Result<Vec<crate::partners::Contact>, crate::StoreError> {
        use sqlx::Row as _;
        sqlx::query(
            "SELECT c.* FROM partner_contact c JOIN partner p ON p.id = \
            c.partner_id WHERE p.pcn_id = $1 AND c.partner_id = $2 ORDER BY \
            c.created_at, c.id",
        )
        .bind(pcn.to_string())
        .bind(partner)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(crate::partners::Contact {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                title: r.try_get("title")?,
                phone: r.try_get("phone")?,
                email: r.try_get("email")?,
            })
        })
        .collect()
    }

    async fn add_partner(
        &self,
        pcn: together_core::PcnId,
        p: &together_core::partners::NewPartner,
        audit: &crate::NewAuditEvent,
    ) -> Result<String, crate::StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        sqlx::query(
            "INSERT INTO partner (id, pcn_id, name, kind, description, contact, \
            phone, email, website, created_at) VALUES ($1, $2, $3, $4, $5, $6, \
            $7, $8, $9, $10)",
        )
        .bind(&id)
        .bind(pcn.to_string())
        .bind(&p.name)
        .bind(&p.kind)
        .bind(&p.description)
        .bind(&p.contact)
        .bind(&p.phone)
        .bind(&p.email)
        .bind(&p.website)
        .bind(crate::values::secs(audit.at))
        .execute(&mut *tx)
        .await
        .map_err(|e| match crate::StoreError::from(e) {
            crate::StoreError::Conflict(_) => {
                crate::StoreError::Conflict("a partner with this name")
            }
            other => other,
        })?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("partner", &id)).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn update_partner(
        &self,
        pcn: together_core::PcnId,
        id: &str,
        p: &together_core::partners::NewPartner,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let changed = sqlx::query(
            "UPDATE partner SET name = $1, kind = $2, description = $3, contact = \
            $4, phone = $5, email = $6, website = $7 WHERE id = $8 AND pcn_id = \
            $9",
        )
        .bind(&p.name)
        .bind(&p.kind)
        .bind(&p.description)
        .bind(&p.contact)
        .bind(&p.phone)
        .bind(&p.email)
        .bind(&p.website)
        .bind(id)
        .bind(pcn.to_string())
        .execute(&mut *tx)
        .await
        .map_err(|e| match crate::StoreError::from(e) {
            crate::StoreError::Conflict(_) => {
                crate::StoreError::Conflict("a partner with this name")
            }
            other => other,
        })?
        .rows_affected();
        if changed != 1 {
            return Err(crate::StoreError::NotFound("partner"));
        }
        Sql::<DB>::write_audit(&mut tx, &audit.about("partner", id)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn partners(
        &self,
        pcn: together_core::PcnId,
    ) -> Result<Vec<crate::partners::Partner>, crate::StoreError> {
        sqlx::query("SELECT * FROM partner WHERE pcn_id = $1 ORDER BY name")
            .bind(pcn.to_string())
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(Sql::<DB>::partner_row)
            .collect()
    }

    async fn partner(
        &self,
        pcn: together_core::PcnId,
        id: &str,
    ) -> Result<Option<crate::partners::Partner>, crate::StoreError> {
        sqlx::query("SELECT * FROM partner WHERE pcn_id = $1 AND id = $2")
            .bind(pcn.to_string())
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(Sql::<DB>::partner_row)
            .transpose()
    }

    async fn add_venue(
        &self,
        pcn: together_core::PcnId,
        partner: Option<&str>,
        v: &together_core::partners::NewVenue,
        audit: &crate::NewAuditEvent,
    ) -> Result<String, crate::StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        Sql::<DB>::partner_exists(&mut tx, pcn, partner).await?;
        sqlx::query(
            "INSERT INTO venue (id, pcn_id, partner_id, name, address, postcode, \
            accessibility, capacity, created_at) VALUES ($1, $2, $3, $4, $5, $6, \
            $7, $8, $9)",
        )
        .bind(&id)
        .bind(pcn.to_string())
        .bind(partner)
        .bind(&v.name)
        .bind(&v.address)
        .bind(&v.postcode)
        .bind(&v.accessibility)
        .bind(v.capacity)
        .bind(crate::values::secs(audit.at))
        .execute(&mut *tx)
        .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("venue", &id)).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn venues(
        &self,
        pcn: together_core::PcnId,
    ) -> Result<Vec<crate::partners::Venue>, crate::StoreError> {
        use sqlx::Row as _;
        sqlx::query("SELECT * FROM venue WHERE pcn_id = $1 ORDER BY name")
            .bind(pcn.to_string())
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| {
                Ok(crate::partners::Venue {
                    id: r.try_get("id")?,
                    partner_id: r.try_get("partner_id")?,
                    name: r.try_get("name")?,
                    address: r.try_get("address")?,
                    postcode: r.try_get("postcode")?,
                    accessibility: r.try_get("accessibility")?,
                    capacity: r.try_get("capacity")?,
                })
            })
            .collect()
    }

    async fn add_document(
        &self,
        pcn: together_core::PcnId,
        partner: Option<&str>,
        kind: &str,
        d: &together_core::partners::NewDated,
        audit: &crate::NewAuditEvent,
    ) -> Result<String, crate::StoreError> {
        if !matches!(kind, "agreement" | "insurance") {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::AgreementOrInsurance,
            ));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        Sql::<DB>::partner_exists(&mut tx, pcn, partner).await?;
        sqlx::query(
            "INSERT INTO partner_document (id, pcn_id, partner_id, kind, title, \
            reference, from_on, due_on, created_at) VALUES ($1, $2, $3, $4, $5, \
            $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(pcn.to_string())
        .bind(partner)
        .bind(kind)
        .bind(&d.title)
        .bind(&d.reference)
        .bind(crate::values::iso_date(d.from))
        .bind(crate::values::iso_date(d.due))
        .bind(crate::values::secs(audit.at))
        .execute(&mut *tx)
        .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("partner_document", &id)).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn documents(
        &self,
        pcn: together_core::PcnId,
    ) -> Result<Vec<crate::partners::Document>, crate::StoreError> {
        use crate::values::parse_iso_date;
        use sqlx::Row as _;
        sqlx::query("SELECT * FROM partner_document WHERE pcn_id = $1 ORDER BY due_on")
            .bind(pcn.to_string())
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| {
                Ok(crate::partners::Document {
                    id: r.try_get("id")?,
                    partner_id: r.try_get("partner_id")?,
                    kind: r.try_get("kind")?,
                    title: r.try_get("title")?,
                    reference: r.try_get("reference")?,
                    from: parse_iso_date(&r.try_get::<String, _>("from_on")?)?,
                    due: parse_iso_date(&r.try_get::<String, _>("due_on")?)?,
                })
            })
            .collect()
    }

    async fn link_partner_user(
        &self,
        pcn: together_core::PcnId,
        partner: &str,
        user: together_core::UserId,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        Sql::<DB>::partner_exists(&mut tx, pcn, Some(partner)).await?;
        let role: Option<String> = sqlx::query_scalar(
            "SELECT r.role FROM role_assignment r WHERE r.user_id = $1 AND r.pcn_id = $2",
        )
        .bind(user.to_string())
        .bind(pcn.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        if role.as_deref() != Some("partner") {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::OnlyPartnerKeepsDetails,
            ));
        }
        sqlx::query("DELETE FROM partner_user WHERE user_id = $1")
            .bind(user.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO partner_user (user_id, partner_id) VALUES ($1, $2)")
            .bind(user.to_string())
            .bind(partner)
            .execute(&mut *tx)
            .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("partner", partner)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn partner_of_user(
        &self,
        pcn: together_core::PcnId,
        user: together_core::UserId,
    ) -> Result<Option<String>, crate::StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT u.partner_id FROM partner_user u JOIN partner p ON p.id = \
            u.partner_id WHERE u.user_id = $1 AND p.pcn_id = $2",
        )
        .bind(user.to_string())
        .bind(pcn.to_string())
        .fetch_optional(self.pool())
        .await?)
    }
}
