//! Wellbeing answers, asked when a connection starts and at its follow-ups, by a worker or by the
//! person through a one-time link. The store keeps what must not slip: answers belong to a
//! connection of the PCN and are never dated before it; a link is used once, before it expires,
//! and only sent to someone who agreed to be contacted and asked how they are.

use crate::sql::{Db, Pooled, Sql, Tx};
use crate::{NewAuditEvent, StoreError};
use async_trait::async_trait;
use serde::Serialize;
use time::{Date, OffsetDateTime};
use together_core::wellbeing::{Answers, NewWellbeing, Occasion};
use together_core::{ConnectionId, PcnId, PersonId, ServiceId};

/// One time a person said how they are.
#[derive(Debug, Clone, Serialize)]
pub struct WellbeingRecord {
    pub connection_id: ConnectionId,
    pub occasion: Occasion,
    pub answered_on: Date,
    pub answers: Answers,
    /// They answered on their own phone, through a one-time link.
    pub by_themselves: bool,
}

/// What a one-time link is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    /// It may be answered: by whom (their first name) and on what occasion.
    Open {
        pcn: PcnId,
        connection: ConnectionId,
        given_name: String,
        occasion: Occasion,
        since: Date,
    },
    Used,
    Expired,
    Unknown,
}

/// A message with a one-time link, and for how long the link lasts.
#[derive(Debug, Clone)]
pub struct NewLink {
    pub token_hash: String,
    pub occasion: Occasion,
    pub expires_at: OffsetDateTime,
    pub subject: String,
    /// The message, with `{name}` where their first name goes.
    pub body: String,
}

#[async_trait]
pub trait WellbeingStore {
    /// Records answers given to a worker, for a connection of this PCN, not dated before it.
    async fn record_wellbeing(
        &self,
        pcn: PcnId,
        connection: ConnectionId,
        w: &NewWellbeing,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// Every answer of a person, oldest first; audited.
    async fn wellbeing_of(
        &self,
        pcn: PcnId,
        person: PersonId,
        audit: &NewAuditEvent,
    ) -> Result<Vec<WellbeingRecord>, StoreError>;
    /// Keeps a one-time link for the person of a connection and queues its message, refused
    /// unless they agreed to be contacted and to be asked how they are, and can be reached by
    /// text or email.
    async fn issue_wellbeing_link(
        &self,
        pcn: PcnId,
        connection: ConnectionId,
        link: &NewLink,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// What a link is now (read by someone without an account, so nothing personal beyond
    /// the first name they will be greeted by).
    async fn wellbeing_link(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<LinkState, StoreError>;
    /// The person's own answers through a link: the link is spent and the answers kept in
    /// one transaction, or neither (a link used twice or expired is refused).
    async fn answer_by_link(
        &self,
        token_hash: &str,
        answers: &Answers,
        answered_on: Date,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// For each person connected to an offer who answered the ONS4 questions at least twice:
    /// their first and their latest answers.
    async fn offer_wellbeing(
        &self,
        pcn: PcnId,
        offer: ServiceId,
    ) -> Result<Vec<(Answers, Answers)>, StoreError>;
}

// The SQL below is shared by both backends: see crate::sql for the bounds.
pub(crate) const WELLBEING_COLUMNS: &str =
    "w.connection_id, w.occasion, w.answered_on, w.life_satisfaction, \
    w.worthwhile, w.happy, w.anxious, w.lonely, w.wemwbs, w.swemwbs, \
    w.pam, w.answered_by";

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
    pub(crate) fn wellbeing_row(
        r: &DB::Row,
    ) -> Result<crate::wellbeing::WellbeingRecord, crate::StoreError> {
        use crate::values::{parse_iso_date, parsed};
        use sqlx::Row as _;
        let small = |c: &str| -> Result<Option<u8>, crate::StoreError> {
            r.try_get::<Option<i32>, _>(c)?
                .map(|v| {
                    u8::try_from(v)
                        .map_err(|_| crate::StoreError::Corrupt(format!("{c} {v} cannot be read")))
                })
                .transpose()
        };
        let ons4 = match (
            small("life_satisfaction")?,
            small("worthwhile")?,
            small("happy")?,
            small("anxious")?,
        ) {
            (Some(a), Some(b), Some(c), Some(d)) => Some([a, b, c, d]),
            _ => None,
        };
        Ok(crate::wellbeing::WellbeingRecord {
            connection_id: parsed("connection id", &r.try_get::<String, _>("connection_id")?)?,
            occasion: parsed("occasion", &r.try_get::<String, _>("occasion")?)?,
            answered_on: parse_iso_date(&r.try_get::<String, _>("answered_on")?)?,
            answers: together_core::wellbeing::Answers {
                ons4,
                lonely: r
                    .try_get::<Option<String>, _>("lonely")?
                    .map(|s| parsed("loneliness", &s))
                    .transpose()?,
                wemwbs: small("wemwbs")?,
                swemwbs: small("swemwbs")?,
                pam: small("pam")?,
            },
            by_themselves: r.try_get::<String, _>("answered_by")? == "self",
        })
    }

    /// Keeps one set of answers; the caller has checked the connection and the date.
    pub(crate) async fn insert_wellbeing(
        tx: &mut Tx<'_, DB>,
        connection: &str,
        occasion: together_core::wellbeing::Occasion,
        on: time::Date,
        a: &together_core::wellbeing::Answers,
        by: &str,
        at: i64,
    ) -> Result<(), crate::StoreError> {
        use together_core::wellbeing::Ons4;
        let item = |i: Ons4| a.ons4(i).map(i32::from);
        sqlx::query(
            "INSERT INTO wellbeing (id, connection_id, occasion, answered_on, \
                 life_satisfaction, worthwhile, happy, anxious, lonely, wemwbs, swemwbs, \
                 pam, answered_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
                 $9, $10, $11, $12, $13, $14)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(connection)
        .bind(occasion.as_str())
        .bind(crate::values::iso_date(on))
        .bind(item(Ons4::LifeSatisfaction))
        .bind(item(Ons4::Worthwhile))
        .bind(item(Ons4::Happy))
        .bind(item(Ons4::Anxious))
        .bind(a.lonely.map(|l| l.as_str()))
        .bind(a.wemwbs.map(i32::from))
        .bind(a.swemwbs.map(i32::from))
        .bind(a.pam.map(i32::from))
        .bind(by)
        .bind(at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl<S, DB> crate::wellbeing::WellbeingStore for S
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
    async fn record_wellbeing(
        &self,
        pcn: together_core::PcnId,
        connection: together_core::ConnectionId,
        w: &together_core::wellbeing::NewWellbeing,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let made_on: Option<String> =
            sqlx::query_scalar("SELECT made_on FROM connection WHERE id = $1 AND pcn_id = $2")
                .bind(connection.to_string())
                .bind(pcn.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        let made_on = crate::values::parse_iso_date(
            &made_on.ok_or(crate::StoreError::NotFound("connection"))?,
        )?;
        if w.answered_on < made_on {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::BeforeConnection(made_on),
            ));
        }
        Sql::<DB>::insert_wellbeing(
            &mut tx,
            &connection.to_string(),
            w.occasion,
            w.answered_on,
            &w.answers,
            &audit.actor,
            crate::values::secs(audit.at),
        )
        .await?;
        Sql::<DB>::write_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn wellbeing_of(
        &self,
        pcn: together_core::PcnId,
        person: together_core::PersonId,
        audit: &crate::NewAuditEvent,
    ) -> Result<Vec<crate::wellbeing::WellbeingRecord>, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let rows = sqlx::query(&format!(
            "SELECT {WELLBEING_COLUMNS} FROM wellbeing w JOIN connection c ON c.id = \
                     w.connection_id WHERE c.person_id = $1 AND c.pcn_id = $2 ORDER BY \
                     w.answered_on, w.created_at"
        ))
        .bind(person.to_string())
        .bind(pcn.to_string())
        .fetch_all(&mut *tx)
        .await?;
        let found = rows
            .iter()
            .map(Sql::<DB>::wellbeing_row)
            .collect::<Result<Vec<_>, _>>()?;
        Sql::<DB>::write_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(found)
    }

    async fn issue_wellbeing_link(
        &self,
        pcn: together_core::PcnId,
        connection: together_core::ConnectionId,
        link: &crate::wellbeing::NewLink,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        use sqlx::Row as _;
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let Some(p) = sqlx::query(
            "SELECT p.id, p.given_name, p.contact_preference, p.phone, p.email, \
                     EXISTS (SELECT 1 FROM consent k WHERE k.person_id = p.id AND k.purpose = \
                     'contact' AND k.withdrawn_at IS NULL) AS contact, EXISTS (SELECT 1 FROM \
                     consent k WHERE k.person_id = p.id AND k.purpose = 'wellbeing_follow_up' \
                     AND k.withdrawn_at IS NULL) AS asked FROM connection c JOIN person p ON \
                     p.id = c.person_id WHERE c.id = $1 AND c.pcn_id = $2",
        )
        .bind(connection.to_string())
        .bind(pcn.to_string())
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Err(crate::StoreError::NotFound("connection"));
        };
        if !(p.try_get::<bool, _>("contact")? && p.try_get::<bool, _>("asked")?) {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::NoConsentToAsk,
            ));
        }
        let phone: Option<String> = p.try_get("phone")?;
        let email: Option<String> = p.try_get("email")?;
        let prefers_email = p.try_get::<String, _>("contact_preference")? == "email";
        let (channel, recipient) = match (prefers_email, email, phone) {
            (true, Some(e), _) | (false, Some(e), None) => (crate::Channel::Email, e),
            (_, _, Some(ph)) => (crate::Channel::Sms, ph),
            _ => {
                return Err(crate::StoreError::Refused(
                    together_core::refusal::Refusal::NoWayToSendLink,
                ))
            }
        };
        sqlx::query(
            "INSERT INTO wellbeing_link (token_hash, connection_id, occasion, \
            created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&link.token_hash)
        .bind(connection.to_string())
        .bind(link.occasion.as_str())
        .bind(&audit.actor)
        .bind(crate::values::secs(audit.at))
        .bind(crate::values::secs(link.expires_at))
        .execute(&mut *tx)
        .await?;
        Sql::<DB>::write_message(
            &mut tx,
            &crate::NewMessage {
                pcn_id: Some(pcn),
                person: Some(crate::values::parsed(
                    "person id",
                    &p.try_get::<String, _>("id")?,
                )?),
                channel,
                recipient,
                subject: link.subject.clone(),
                body: link
                    .body
                    .replace("{name}", &p.try_get::<String, _>("given_name")?),
                now: audit.at,
            },
        )
        .await?;
        Sql::<DB>::write_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn wellbeing_link(
        &self,
        token_hash: &str,
        now: time::OffsetDateTime,
    ) -> Result<crate::wellbeing::LinkState, crate::StoreError> {
        use crate::values::{parse_iso_date, parsed, secs};
        use crate::wellbeing::LinkState;
        use sqlx::Row as _;
        let Some(r) = sqlx::query(
            "SELECT l.connection_id, l.occasion, l.expires_at, l.used_at, c.pcn_id, \
                     c.made_on, p.given_name FROM wellbeing_link l JOIN connection c ON c.id \
                     = l.connection_id JOIN person p ON p.id = c.person_id WHERE l.token_hash \
                     = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?
        else {
            return Ok(LinkState::Unknown);
        };
        if r.try_get::<Option<i64>, _>("used_at")?.is_some() {
            return Ok(LinkState::Used);
        }
        if r.try_get::<i64, _>("expires_at")? <= secs(now) {
            return Ok(LinkState::Expired);
        }
        Ok(LinkState::Open {
            pcn: parsed("pcn id", &r.try_get::<String, _>("pcn_id")?)?,
            connection: parsed("connection id", &r.try_get::<String, _>("connection_id")?)?,
            given_name: r.try_get("given_name")?,
            occasion: parsed("occasion", &r.try_get::<String, _>("occasion")?)?,
            since: parse_iso_date(&r.try_get::<String, _>("made_on")?)?,
        })
    }

    async fn answer_by_link(
        &self,
        token_hash: &str,
        answers: &together_core::wellbeing::Answers,
        answered_on: time::Date,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        use crate::values::{parsed, secs};
        use sqlx::Row as _;
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let at = secs(audit.at);
        // Spent first, so that two answers sent at once keep only one.
        let Some(r) = sqlx::query(
            "UPDATE wellbeing_link SET used_at = $2 WHERE token_hash = $1 AND \
            used_at IS NULL AND expires_at > $2 RETURNING connection_id, \
            occasion",
        )
        .bind(token_hash)
        .bind(at)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::LinkUsedOrExpired,
            ));
        };
        let connection: String = r.try_get("connection_id")?;
        let occasion: together_core::wellbeing::Occasion =
            parsed("occasion", &r.try_get::<String, _>("occasion")?)?;
        Sql::<DB>::insert_wellbeing(
            &mut tx,
            &connection,
            occasion,
            answered_on,
            answers,
            "self",
            at,
        )
        .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("connection", &connection)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn offer_wellbeing(
        &self,
        pcn: together_core::PcnId,
        offer: together_core::ServiceId,
    ) -> Result<
        Vec<(
            together_core::wellbeing::Answers,
            together_core::wellbeing::Answers,
        )>,
        crate::StoreError,
    > {
        use sqlx::Row as _;
        let rows = sqlx::query(&format!(
            "SELECT c.person_id, {WELLBEING_COLUMNS} FROM wellbeing w JOIN connection \
                     c ON c.id = w.connection_id WHERE c.service_id = $1 AND c.pcn_id = $2 \
                     AND w.life_satisfaction IS NOT NULL ORDER BY c.person_id, w.answered_on, \
                     w.created_at"
        ))
        .bind(offer.to_string())
        .bind(pcn.to_string())
        .fetch_all(self.pool())
        .await?;
        let mut pairs = Vec::new();
        let mut current: Option<(
            String,
            together_core::wellbeing::Answers,
            Option<together_core::wellbeing::Answers>,
        )> = None;
        for r in &rows {
            let person: String = r.try_get("person_id")?;
            let answers = Sql::<DB>::wellbeing_row(r)?.answers;
            match &mut current {
                Some((p, _, latest)) if *p == person => *latest = Some(answers),
                _ => {
                    if let Some((_, first, Some(latest))) = current.take() {
                        pairs.push((first, latest));
                    }
                    current = Some((person, answers, None));
                }
            }
        }
        if let Some((_, first, Some(latest))) = current {
            pairs.push((first, latest));
        }
        Ok(pairs)
    }
}
