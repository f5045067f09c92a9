//! Offers (services the PCN runs, in the one ORUK-shaped `service` table), their leads,
//! schedules, sessions and rotas. The store enforces what must never slip: a champion who is
//! not clear for the role an offer's leads need is neither made a lead nor given a place on a
//! session's rota, and a session never falls outside its offer's season.

use crate::sql::{Db, Pooled, RowsAffected as _, Sql, Tx};
use crate::{Channel, NewAuditEvent, NewMessage, StoreError};
use async_trait::async_trait;
use serde::Serialize;
use time::{Date, OffsetDateTime, Time};
use together_core::offers::{NewOffer, NewSession, OfferStatus};
use together_core::recurrence::{clock, Recurrence};
use together_core::{ChampionId, ChampionRoleId, PcnId, PracticeId, ServiceId, SessionId};

/// A category of the directory (an ORUK taxonomy term).
#[derive(Debug, Clone, Serialize)]
pub struct TaxonomyTerm {
    pub id: String,
    pub taxonomy_id: String,
    pub parent_id: Option<String>,
    pub code: String,
    pub name: String,
    pub description: String,
}

/// An offer with everything its page shows.
#[derive(Debug, Clone, Serialize)]
pub struct Offer {
    pub id: ServiceId,
    pub organization_id: String,
    pub name: String,
    pub description: String,
    pub kind: String,
    #[serde(skip)]
    pub status: OfferStatus,
    pub eligibility: String,
    pub minimum_age: Option<i64>,
    pub maximum_age: Option<i64>,
    pub cohort_id: Option<String>,
    pub venue_id: Option<String>,
    pub capacity: Option<i64>,
    pub helpers_needed: i64,
    pub lead_role_id: Option<ChampionRoleId>,
    pub lead_partner_id: Option<String>,
    pub risk_assessment_id: Option<String>,
    pub cost: String,
    pub accessibility: String,
    pub contact_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub url: Option<String>,
    pub starts_on: Option<Date>,
    pub ends_on: Option<Date>,
    pub taxonomy: Vec<String>,
    pub practices: Vec<PracticeId>,
    pub leads: Vec<ChampionId>,
    #[serde(with = "time::serde::rfc3339")]
    pub last_modified: OffsetDateTime,
}

/// A schedule of an offer.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub id: String,
    pub recurrence: Recurrence,
}

/// One meeting of an offer, with what its lists need.
#[derive(Debug, Clone, Serialize)]
pub struct Session {
    pub id: SessionId,
    pub offer_id: ServiceId,
    pub offer_name: String,
    pub schedule_id: Option<String>,
    /// The day the schedule put it on; differs from `on` when it moved.
    pub scheduled_on: Option<Date>,
    pub on: Date,
    #[serde(skip)]
    pub opens_at: Time,
    #[serde(skip)]
    pub closes_at: Time,
    /// Its own venue if it moved, else the offer's.
    pub venue_id: Option<String>,
    pub venue_name: Option<String>,
    pub cancelled: bool,
    pub note: String,
    pub helpers_needed: i64,
    /// Champions on its rota now (not counting those who dropped out).
    pub helpers: i64,
    pub lead_role_id: Option<ChampionRoleId>,
}

impl Session {
    /// "10:00 to 11:30".
    pub fn times(&self) -> String {
        format!("{} to {}", clock(self.opens_at), clock(self.closes_at))
    }

    /// Rota places still to fill.
    pub fn gaps(&self) -> i64 {
        if self.cancelled {
            0
        } else {
            (self.helpers_needed - self.helpers).max(0)
        }
    }
}

/// Which sessions to list.
#[derive(Debug, Clone, Default)]
pub struct SessionFilter {
    pub offer: Option<ServiceId>,
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// Only sessions this champion leads or has a rota place on.
    pub champion: Option<ChampionId>,
    pub include_cancelled: bool,
}

/// A champion's place on a session's rota.
#[derive(Debug, Clone, Serialize)]
pub struct RotaPlace {
    pub session_id: SessionId,
    pub champion_id: ChampionId,
    pub given_name: String,
    pub family_name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub signed_up_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub dropped_at: Option<OffsetDateTime>,
}

/// A session's register.
#[derive(Debug, Clone, Serialize)]
pub struct Register {
    /// First name and initial of each person who came.
    pub came: Vec<String>,
    pub others: i64,
    pub taken_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub taken_at: OffsetDateTime,
}

/// How far ahead sessions are generated from a schedule; the outbox loop keeps it rolling.
pub const GENERATE_DAYS: i64 = 26 * 7;

/// The message telling a lead or helper that a session changed.
pub(crate) fn session_change_message(
    pcn: PcnId,
    to: (Channel, String),
    given_name: &str,
    s: &Session,
    change: &str,
    now: OffsetDateTime,
) -> NewMessage {
    NewMessage {
        pcn_id: Some(pcn),
        person: None,
        channel: to.0,
        recipient: to.1,
        subject: format!("{}: {}", s.offer_name, change_title(change)),
        body: format!(
            "{given_name}, {} on {} ({}) {change}. Thank you for all you do.",
            s.offer_name,
            s.on,
            s.times()
        ),
        now,
    }
}

fn change_title(change: &str) -> &'static str {
    if change.starts_with("is cancelled") {
        "session cancelled"
    } else {
        "session moved"
    }
}

#[async_trait]
pub trait OfferStore {
    /// The directory's categories.
    async fn taxonomy_terms(&self) -> Result<Vec<TaxonomyTerm>, StoreError>;
    async fn add_offer(
        &self,
        pcn: PcnId,
        o: &NewOffer,
        audit: &NewAuditEvent,
    ) -> Result<ServiceId, StoreError>;
    /// Refused when sessions already planned would fall outside a shortened season.
    async fn update_offer(
        &self,
        pcn: PcnId,
        id: ServiceId,
        o: &NewOffer,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    async fn offers(&self, pcn: PcnId) -> Result<Vec<Offer>, StoreError>;
    async fn offer(&self, pcn: PcnId, id: ServiceId) -> Result<Option<Offer>, StoreError>;
    /// Refused unless the champion is active and clear for the role the offer's leads need.
    async fn add_offer_lead(
        &self,
        pcn: PcnId,
        offer: ServiceId,
        champion: ChampionId,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    async fn remove_offer_lead(
        &self,
        pcn: PcnId,
        offer: ServiceId,
        champion: ChampionId,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// Adds a schedule and generates its sessions up to `until`; returns how many. Refused
    /// when it would run outside the offer's season.
    async fn add_schedule(
        &self,
        pcn: PcnId,
        offer: ServiceId,
        r: &Recurrence,
        until: Date,
        audit: &NewAuditEvent,
    ) -> Result<usize, StoreError>;
    async fn schedules(&self, pcn: PcnId, offer: ServiceId) -> Result<Vec<Schedule>, StoreError>;
    /// Generates every schedule's sessions from `from` up to `until` (idempotent: a day already
    /// generated, moved or cancelled is left as it is); returns how many were added.
    async fn generate_sessions(
        &self,
        pcn: PcnId,
        from: Date,
        until: Date,
        now: OffsetDateTime,
    ) -> Result<usize, StoreError>;
    /// A one-off session (an event, an extra meeting).
    async fn add_offer_session(
        &self,
        pcn: PcnId,
        offer: ServiceId,
        s: &NewSession,
        audit: &NewAuditEvent,
    ) -> Result<SessionId, StoreError>;
    async fn offer_sessions(
        &self,
        pcn: PcnId,
        filter: &SessionFilter,
    ) -> Result<Vec<Session>, StoreError>;
    async fn offer_session(&self, pcn: PcnId, id: SessionId)
        -> Result<Option<Session>, StoreError>;
    /// Cancels a session and tells its leads and helpers, and the people who go to the offer
    /// (when they agree to be contacted), through the outbox, in one transaction; returns how
    /// many were told.
    async fn cancel_offer_session(
        &self,
        pcn: PcnId,
        id: SessionId,
        reason: &str,
        audit: &NewAuditEvent,
    ) -> Result<usize, StoreError>;
    /// Moves a session (day, times, venue) and tells its leads and helpers and the people who go,
    /// in one transaction.
    async fn move_offer_session(
        &self,
        pcn: PcnId,
        id: SessionId,
        to: &NewSession,
        audit: &NewAuditEvent,
    ) -> Result<usize, StoreError>;
    /// Everyone who signed up to a session's rota, including those who dropped out.
    async fn rota(&self, pcn: PcnId, session: SessionId) -> Result<Vec<RotaPlace>, StoreError>;
    /// Refused when the champion is not active or not clear for the offer's role, the session
    /// is past, cancelled or full.
    async fn take_rota_place(
        &self,
        pcn: PcnId,
        session: SessionId,
        champion: ChampionId,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    async fn leave_rota_place(
        &self,
        pcn: PcnId,
        session: SessionId,
        champion: ChampionId,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// Leaves one session's rota for another's, both or neither.
    async fn swap_rota_place(
        &self,
        pcn: PcnId,
        from: SessionId,
        to: SessionId,
        champion: ChampionId,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// Adds offers (and each one's schedule) from a spreadsheet, all or nothing; an offer whose
    /// name the PCN already has is left as it is (`None` in its place).
    async fn import_offers(
        &self,
        pcn: PcnId,
        offers: &[(NewOffer, Option<Recurrence>)],
        until: Date,
        audit: &NewAuditEvent,
    ) -> Result<Vec<Option<ServiceId>>, StoreError>;
    /// Sessions from `from` to `to` with rota places a champion could take: not full, not
    /// cancelled, not already theirs, of an offer whose role they are clear for today.
    async fn open_rota_places(
        &self,
        pcn: PcnId,
        champion: ChampionId,
        from: Date,
        to: Date,
        today: Date,
    ) -> Result<Vec<Session>, StoreError>;
    /// Saves a session's register whole (idempotent). With `lead`, refused unless that champion
    /// leads the offer; refused for a cancelled session or one not yet begun.
    async fn save_register(
        &self,
        pcn: PcnId,
        session: SessionId,
        lead: Option<ChampionId>,
        r: &together_core::offers::NewRegister,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// A session's register, if taken; with `lead`, only for an offer that champion leads.
    async fn register(
        &self,
        pcn: PcnId,
        session: SessionId,
        lead: Option<ChampionId>,
    ) -> Result<Option<Register>, StoreError>;
    /// Who has come to the offer before (labels, most recent first), for the register's list.
    async fn regulars(&self, pcn: PcnId, offer: ServiceId) -> Result<Vec<String>, StoreError>;
    /// Every register of an offer in date order: (day, who came, others).
    async fn registers_of(
        &self,
        pcn: PcnId,
        offer: ServiceId,
    ) -> Result<Vec<(Date, Vec<String>, i64)>, StoreError>;
    /// Reminds everyone on the rota of a session on `on` (once each, through the outbox, in the
    /// same transaction that notes it); returns how many were reminded.
    async fn send_rota_reminders(
        &self,
        pcn: PcnId,
        on: Date,
        now: OffsetDateTime,
    ) -> Result<usize, StoreError>;
}

/// The reminder of a rota place the day before.
pub(crate) fn rota_reminder(
    pcn: PcnId,
    to: (Channel, String),
    given_name: &str,
    s: &Session,
    now: OffsetDateTime,
) -> NewMessage {
    let place = s
        .venue_name
        .as_ref()
        .map(|v| format!(" at {v}"))
        .unwrap_or_default();
    NewMessage {
        pcn_id: Some(pcn),
        person: None,
        channel: to.0,
        recipient: to.1,
        subject: format!("{}: see you on {}", s.offer_name, s.on),
        body: format!(
            "{given_name}, a reminder that you are helping at {} on {}, \
                {}{place}. If you cannot come, say so on My sessions so that someone \
                else can take your place.",
            s.offer_name,
            s.on,
            s.times()
        ),
        now,
    }
}

// The SQL below is shared by both backends: see crate::sql for the bounds.
pub(crate) const SESSION_SELECT: &str =
    "SELECT s.id, s.service_id, v.name AS offer_name, s.schedule_id, \
    s.scheduled_on, s.on_date, s.opens_at, s.closes_at, COALESCE(s.venue_id, \
    v.venue_id) AS venue_id, ve.name AS venue_name, s.cancelled, s.note, \
    v.helpers_needed, v.lead_role_id, (SELECT COUNT(*) FROM rota_place p \
    WHERE p.session_id = s.id AND p.dropped_at IS NULL) AS helpers FROM \
    offer_session s JOIN service v ON v.id = s.service_id LEFT JOIN venue ve \
    ON ve.id = COALESCE(s.venue_id, v.venue_id)";

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
    pub(crate) fn offer_row(r: &DB::Row) -> Result<crate::offers::Offer, crate::StoreError> {
        use sqlx::Row as _;
        let date = |c: &str| -> Result<Option<time::Date>, crate::StoreError> {
            r.try_get::<Option<String>, _>(c)?
                .map(|s| crate::values::parse_iso_date(&s))
                .transpose()
        };
        let status: String = r.try_get("offer_status")?;
        Ok(crate::offers::Offer {
            id: crate::values::parsed("service id", &r.try_get::<String, _>("id")?)?,
            organization_id: r.try_get("organization_id")?,
            name: r.try_get("name")?,
            description: r.try_get("description")?,
            kind: r.try_get("offer_kind")?,
            status: together_core::offers::OfferStatus::parse(&status)
                .ok_or_else(|| crate::StoreError::Corrupt(format!("offer status '{status}'")))?,
            eligibility: r.try_get("eligibility")?,
            minimum_age: r.try_get("minimum_age")?,
            maximum_age: r.try_get("maximum_age")?,
            cohort_id: r.try_get("cohort_id")?,
            venue_id: r.try_get("venue_id")?,
            capacity: r.try_get("capacity")?,
            helpers_needed: r.try_get("helpers_needed")?,
            lead_role_id: r
                .try_get::<Option<String>, _>("lead_role_id")?
                .map(|s| crate::values::parsed("role id", &s))
                .transpose()?,
            lead_partner_id: r.try_get("lead_partner_id")?,
            risk_assessment_id: r.try_get("risk_assessment_id")?,
            cost: r.try_get("fees")?,
            accessibility: r.try_get("accessibility")?,
            contact_name: r.try_get("contact_name")?,
            phone: r.try_get("phone")?,
            email: r.try_get("email")?,
            url: r.try_get("url")?,
            starts_on: date("starts_on")?,
            ends_on: date("ends_on")?,
            taxonomy: Vec::new(),
            practices: Vec::new(),
            leads: Vec::new(),
            last_modified: crate::values::at(r.try_get("last_modified")?)?,
        })
    }

    pub(crate) fn offer_session_row(
        r: &DB::Row,
    ) -> Result<crate::offers::Session, crate::StoreError> {
        use sqlx::Row as _;
        let time = |c: &str| -> Result<time::Time, crate::StoreError> {
            let s: String = r.try_get(c)?;
            together_core::recurrence::parse_time(&s)
                .ok_or_else(|| crate::StoreError::Corrupt(format!("time '{s}'")))
        };
        Ok(crate::offers::Session {
            id: crate::values::parsed("session id", &r.try_get::<String, _>("id")?)?,
            offer_id: crate::values::parsed("service id", &r.try_get::<String, _>("service_id")?)?,
            offer_name: r.try_get("offer_name")?,
            schedule_id: r.try_get("schedule_id")?,
            scheduled_on: r
                .try_get::<Option<String>, _>("scheduled_on")?
                .map(|s| crate::values::parse_iso_date(&s))
                .transpose()?,
            on: crate::values::parse_iso_date(&r.try_get::<String, _>("on_date")?)?,
            opens_at: time("opens_at")?,
            closes_at: time("closes_at")?,
            venue_id: r.try_get("venue_id")?,
            venue_name: r.try_get("venue_name")?,
            cancelled: r.try_get("cancelled")?,
            note: r.try_get("note")?,
            helpers_needed: r.try_get("helpers_needed")?,
            helpers: r.try_get("helpers")?,
            lead_role_id: r
                .try_get::<Option<String>, _>("lead_role_id")?
                .map(|s| crate::values::parsed("role id", &s))
                .transpose()?,
        })
    }

    pub(crate) fn schedule_row(r: &DB::Row) -> Result<crate::offers::Schedule, crate::StoreError> {
        use sqlx::Row as _;
        let corrupt = |what: &str| crate::StoreError::Corrupt(format!("schedule {what}"));
        let freq: String = r.try_get("freq")?;
        let time = |c: &str| -> Result<time::Time, crate::StoreError> {
            together_core::recurrence::parse_time(&r.try_get::<String, _>(c)?)
                .ok_or_else(|| corrupt(c))
        };
        Ok(crate::offers::Schedule {
            id: r.try_get("id")?,
            recurrence: together_core::recurrence::Recurrence {
                freq: together_core::recurrence::Freq::parse(&freq)
                    .ok_or_else(|| corrupt("freq"))?,
                interval: u32::try_from(r.try_get::<i64, _>("interval_n")?)
                    .map_err(|_| corrupt("interval"))?,
                byday: together_core::recurrence::parse_byday(&r.try_get::<String, _>("byday")?)
                    .map_err(|_| corrupt("byday"))?,
                bymonthday: together_core::recurrence::parse_bymonthday(
                    &r.try_get::<String, _>("bymonthday")?,
                )
                .map_err(|_| corrupt("bymonthday"))?,
                dtstart: crate::values::parse_iso_date(&r.try_get::<String, _>("dtstart")?)?,
                valid_to: r
                    .try_get::<Option<String>, _>("valid_to")?
                    .map(|s| crate::values::parse_iso_date(&s))
                    .transpose()?,
                opens_at: time("opens_at")?,
                closes_at: time("closes_at")?,
            },
        })
    }

    pub(crate) async fn offer_in(
        tx: &mut Tx<'_, DB>,
        pcn: together_core::PcnId,
        id: together_core::ServiceId,
    ) -> Result<crate::offers::Offer, crate::StoreError> {
        sqlx::query(
            "SELECT * FROM service WHERE id = $1 AND pcn_id = $2 AND offer_kind IS NOT NULL",
        )
        .bind(id.to_string())
        .bind(pcn.to_string())
        .fetch_optional(&mut **tx)
        .await?
        .as_ref()
        .map(Sql::<DB>::offer_row)
        .transpose()?
        .ok_or(crate::StoreError::NotFound("offer"))
    }

    pub(crate) async fn session_in(
        tx: &mut Tx<'_, DB>,
        pcn: together_core::PcnId,
        id: together_core::SessionId,
    ) -> Result<crate::offers::Session, crate::StoreError> {
        sqlx::query(&format!(
            "{SESSION_SELECT} WHERE s.id = $1 AND v.pcn_id = $2"
        ))
        .bind(id.to_string())
        .bind(pcn.to_string())
        .fetch_optional(&mut **tx)
        .await?
        .as_ref()
        .map(Sql::<DB>::offer_session_row)
        .transpose()?
        .ok_or(crate::StoreError::NotFound("session"))
    }

    /// Adds a schedule to an offer and generates its sessions up to `until`, inside a transaction.
    pub(crate) async fn add_schedule_in(
        tx: &mut Tx<'_, DB>,
        pcn: together_core::PcnId,
        offer: together_core::ServiceId,
        r: &together_core::recurrence::Recurrence,
        until: time::Date,
        audit: &crate::NewAuditEvent,
    ) -> Result<usize, crate::StoreError> {
        let o = Sql::<DB>::offer_in(tx, pcn, offer).await?;
        if let Some(why) = together_core::offers::outside_season(o.starts_on, o.ends_on, r.dtstart)
        {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::Rule(why),
            ));
        }
        if let (Some(end), Some(last)) = (o.ends_on, r.valid_to) {
            if last > end {
                return Err(crate::StoreError::Refused(
                    together_core::refusal::Refusal::ScheduleAfterEnd { last, end },
                ));
            }
        }
        // Without a last date of its own, a schedule ends with the offer's season.
        let mut r = r.clone();
        if r.valid_to.is_none() {
            r.valid_to = o.ends_on;
        }
        let id = Sql::<DB>::write_schedule(tx, offer, &r, audit.at).await?;
        let mut added = 0;
        for day in r.between(audit.at.date(), until) {
            if Sql::<DB>::write_generated(tx, &offer.to_string(), &id, day, &r, audit.at).await? {
                added += 1;
            }
        }
        sqlx::query("UPDATE service SET last_modified = $1 WHERE id = $2")
            .bind(crate::values::secs(audit.at))
            .bind(offer.to_string())
            .execute(&mut **tx)
            .await?;
        Sql::<DB>::write_audit(tx, &audit.about("offer_schedule", offer)).await?;
        Ok(added)
    }

    /// Adds an offer inside a transaction: its row, then its fields by the one writer an
    /// update uses too.
    pub(crate) async fn add_offer_in(
        tx: &mut Tx<'_, DB>,
        pcn: together_core::PcnId,
        o: &together_core::offers::NewOffer,
        audit: &crate::NewAuditEvent,
    ) -> Result<together_core::ServiceId, crate::StoreError> {
        let id = together_core::ServiceId::new();
        Sql::<DB>::offer_references_ours(tx, pcn, o).await?;
        let org = Sql::<DB>::pcn_organization(tx, pcn, audit.at).await?;
        sqlx::query(
            "INSERT INTO service (id, pcn_id, organization_id, name, status, \
                 last_modified, created_at, offer_kind, offer_status) VALUES ($1, $2, $3, \
                 $4, $5, $6, $6, $7, $8)",
        )
        .bind(id.to_string())
        .bind(pcn.to_string())
        .bind(&org)
        .bind(&o.name)
        .bind(o.status.oruk())
        .bind(crate::values::secs(audit.at))
        .bind(&o.kind)
        .bind(o.status.as_str())
        .execute(&mut **tx)
        .await?;
        Sql::<DB>::write_offer_fields(tx, id, o, audit.at).await?;
        Sql::<DB>::write_offer_links(tx, &id.to_string(), o).await?;
        Sql::<DB>::write_audit(tx, &audit.about("offer", id)).await?;
        Ok(id)
    }

    /// Keeps a schedule of a service (an offer's, or an imported listing's); returns its id.
    pub(crate) async fn write_schedule(
        tx: &mut Tx<'_, DB>,
        service: together_core::ServiceId,
        r: &together_core::recurrence::Recurrence,
        at: time::OffsetDateTime,
    ) -> Result<String, crate::StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO schedule (id, service_id, freq, interval_n, byday, \
            bymonthday, dtstart, valid_to, opens_at, closes_at, description, \
            created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
            $12)",
        )
        .bind(&id)
        .bind(service.to_string())
        .bind(r.freq.as_str())
        .bind(i64::from(r.interval))
        .bind(r.byday_text())
        .bind(r.bymonthday_text())
        .bind(crate::values::iso_date(r.dtstart))
        .bind(r.valid_to.map(crate::values::iso_date))
        .bind(together_core::recurrence::clock(r.opens_at))
        .bind(together_core::recurrence::clock(r.closes_at))
        .bind(r.describe())
        .bind(crate::values::secs(at))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// The PCN's own organisation in the directory, made the first time it is needed.
    pub(crate) async fn pcn_organization(
        tx: &mut Tx<'_, DB>,
        pcn: together_core::PcnId,
        now: time::OffsetDateTime,
    ) -> Result<String, crate::StoreError> {
        let found: Option<String> = sqlx::query_scalar(
            "SELECT id FROM organization WHERE pcn_id = $1 AND kind = 'pcn' ORDER \
            BY created_at, id LIMIT 1",
        )
        .bind(pcn.to_string())
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(id) = found {
            return Ok(id);
        }
        let name: String = sqlx::query_scalar("SELECT name FROM pcn WHERE id = $1")
            .bind(pcn.to_string())
            .fetch_one(&mut **tx)
            .await?;
        let id = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO organization (id, pcn_id, name, description, created_at) \
            VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(pcn.to_string())
        .bind(&name)
        .bind(
            "The Primary Care Network of the practices here, with its health \
                    champions and partners",
        )
        .bind(crate::values::secs(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// Every reference an offer makes must be the PCN's own (or, for terms, known).
    pub(crate) async fn offer_references_ours(
        tx: &mut Tx<'_, DB>,
        pcn: together_core::PcnId,
        o: &together_core::offers::NewOffer,
    ) -> Result<(), crate::StoreError> {
        let p = pcn.to_string();
        let checks: [(&str, Option<String>, &'static str); 4] = [
            (
                "SELECT id FROM venue WHERE id = $1 AND pcn_id = $2",
                o.venue_id.clone(),
                "venue",
            ),
            (
                "SELECT id FROM champion_role WHERE id = $1 AND pcn_id = $2",
                o.lead_role.map(|r| r.to_string()),
                "role",
            ),
            (
                "SELECT id FROM partner WHERE id = $1 AND pcn_id = $2",
                o.lead_partner_id.clone(),
                "partner",
            ),
            (
                "SELECT id FROM risk_assessment WHERE id = $1 AND pcn_id = $2",
                o.risk_assessment_id.clone(),
                "risk assessment",
            ),
        ];
        for (sql, id, what) in checks {
            if let Some(id) = id {
                let found: Option<String> = sqlx::query_scalar(sql)
                    .bind(&id)
                    .bind(&p)
                    .fetch_optional(&mut **tx)
                    .await?;
                if found.is_none() {
                    return Err(crate::StoreError::NotFound(what));
                }
            }
        }
        for practice in &o.practices {
            Sql::<DB>::practice_is_ours(tx, pcn, Some(*practice)).await?;
        }
        for term in &o.taxonomy {
            let found: Option<String> =
                sqlx::query_scalar("SELECT id FROM taxonomy_term WHERE id = $1")
                    .bind(term)
                    .fetch_optional(&mut **tx)
                    .await?;
            if found.is_none() {
                return Err(crate::StoreError::NotFound("category"));
            }
        }
        Ok(())
    }

    /// Writes every field of an offer from its checked form: adding and changing an offer
    /// share it, so the two can never disagree about a column.
    pub(crate) async fn write_offer_fields(
        tx: &mut Tx<'_, DB>,
        id: together_core::ServiceId,
        o: &together_core::offers::NewOffer,
        at: time::OffsetDateTime,
    ) -> Result<(), crate::StoreError> {
        sqlx::query(
            "UPDATE service SET name = $1, description = $2, url = $3, email = $4, \
                 phone = $5, contact_name = $6, status = $7, fees = $8, eligibility = $9, \
                 minimum_age = $10, maximum_age = $11, accessibility = $12, venue_id = \
                 $13, last_modified = $14, offer_kind = $15, offer_status = $16, capacity \
                 = $17, helpers_needed = $18, lead_role_id = $19, lead_partner_id = $20, \
                 risk_assessment_id = $21, cohort_id = $22, starts_on = $23, ends_on = \
                 $24 WHERE id = $25",
        )
        .bind(&o.name)
        .bind(&o.description)
        .bind(&o.url)
        .bind(&o.email)
        .bind(&o.phone)
        .bind(&o.contact_name)
        .bind(o.status.oruk())
        .bind(&o.cost)
        .bind(&o.eligibility)
        .bind(o.minimum_age)
        .bind(o.maximum_age)
        .bind(&o.accessibility)
        .bind(&o.venue_id)
        .bind(crate::values::secs(at))
        .bind(&o.kind)
        .bind(o.status.as_str())
        .bind(o.capacity)
        .bind(o.helpers_needed)
        .bind(o.lead_role.map(|r| r.to_string()))
        .bind(&o.lead_partner_id)
        .bind(&o.risk_assessment_id)
        .bind(&o.cohort_id)
        .bind(o.starts_on.map(crate::values::iso_date))
        .bind(o.ends_on.map(crate::values::iso_date))
        .bind(id.to_string())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub(crate) async fn write_offer_links(
        tx: &mut Tx<'_, DB>,
        id: &str,
        o: &together_core::offers::NewOffer,
    ) -> Result<(), crate::StoreError> {
        for sql in [
            "DELETE FROM service_taxonomy WHERE service_id = $1",
            "DELETE FROM service_practice WHERE service_id = $1",
        ] {
            sqlx::query(sql).bind(id).execute(&mut **tx).await?;
        }
        for term in &o.taxonomy {
            sqlx::query("INSERT INTO service_taxonomy (service_id, term_id) VALUES ($1, $2)")
                .bind(id)
                .bind(term)
                .execute(&mut **tx)
                .await?;
        }
        for practice in &o.practices {
            sqlx::query("INSERT INTO service_practice (service_id, practice_id) VALUES ($1, $2)")
                .bind(id)
                .bind(practice.to_string())
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Fills an offer's terms, practices and leads.
    pub(crate) async fn offer_links(
        ex: &mut Tx<'_, DB>,
        offers: &mut [crate::offers::Offer],
    ) -> Result<(), crate::StoreError> {
        for o in offers.iter_mut() {
            let id = o.id.to_string();
            o.taxonomy = sqlx::query_scalar(
                "SELECT term_id FROM service_taxonomy WHERE service_id = $1 ORDER BY term_id",
            )
            .bind(&id)
            .fetch_all(&mut **ex)
            .await?;
            o.practices = sqlx::query_scalar::<_, String>(
                "SELECT practice_id FROM service_practice WHERE service_id = $1 ORDER \
                BY practice_id",
            )
            .bind(&id)
            .fetch_all(&mut **ex)
            .await?
            .iter()
            .map(|p| crate::values::parsed("practice id", p))
            .collect::<Result<_, _>>()?;
            o.leads = sqlx::query_scalar::<_, String>(
                "SELECT champion_id FROM offer_lead WHERE service_id = $1 ORDER BY \
                since, champion_id",
            )
            .bind(&id)
            .fetch_all(&mut **ex)
            .await?
            .iter()
            .map(|p| crate::values::parsed("champion id", p))
            .collect::<Result<_, _>>()?;
        }
        Ok(())
    }

    /// Refuses a champion who is not active, or not clear today for `role`.
    pub(crate) async fn refuse_unless_clear(
        tx: &mut Tx<'_, DB>,
        pcn: together_core::PcnId,
        champion: together_core::ChampionId,
        role: Option<together_core::ChampionRoleId>,
        today: time::Date,
    ) -> Result<crate::champions::Champion, crate::StoreError> {
        let c = Sql::<DB>::champion_in(tx, pcn, champion).await?;
        if c.stage != together_core::champions::Stage::Active {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::NotActiveToLead {
                    name: c.given_name.clone(),
                    stage: c.stage.label().to_string(),
                },
            ));
        }
        if let Some(role) = role {
            let role = Sql::<DB>::role_in(tx, pcn, role).await?;
            let checks = Sql::<DB>::checks_in(tx, champion).await?;
            let years = Sql::<DB>::renewal_years_in(tx, pcn).await?;
            crate::champions::refuse_uncleared(&crate::champions::uncleared(
                std::slice::from_ref(&role),
                &checks,
                years,
                today,
            ))?;
        }
        Ok(c)
    }

    /// Writes one session unless its schedule already has that day.
    pub(crate) async fn write_generated(
        tx: &mut Tx<'_, DB>,
        offer: &str,
        schedule: &str,
        day: time::Date,
        r: &together_core::recurrence::Recurrence,
        now: time::OffsetDateTime,
    ) -> Result<bool, crate::StoreError> {
        let exists: Option<String> = sqlx::query_scalar(
            "SELECT id FROM offer_session WHERE schedule_id = $1 AND scheduled_on = $2",
        )
        .bind(schedule)
        .bind(crate::values::iso_date(day))
        .fetch_optional(&mut **tx)
        .await?;
        if exists.is_some() {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO offer_session (id, service_id, schedule_id, \
            scheduled_on, on_date, opens_at, closes_at, created_at, changed_at) \
            VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $7)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(offer)
        .bind(schedule)
        .bind(crate::values::iso_date(day))
        .bind(together_core::recurrence::clock(r.opens_at))
        .bind(together_core::recurrence::clock(r.closes_at))
        .bind(crate::values::secs(now))
        .execute(&mut **tx)
        .await?;
        Ok(true)
    }

    /// Tells a session's leads and helpers (through the outbox) what changed.
    pub(crate) async fn tell_session(
        tx: &mut Tx<'_, DB>,
        pcn: together_core::PcnId,
        s: &crate::offers::Session,
        change: &str,
        now: time::OffsetDateTime,
    ) -> Result<usize, crate::StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT champion_id FROM offer_lead WHERE service_id = $1 UNION \
                    SELECT champion_id FROM rota_place WHERE session_id = $2 AND \
                    dropped_at IS NULL",
        )
        .bind(s.offer_id.to_string())
        .bind(s.id.to_string())
        .fetch_all(&mut **tx)
        .await?;
        let mut told = 0;
        for id in ids {
            let c =
                Sql::<DB>::champion_in(tx, pcn, crate::values::parsed("champion id", &id)?).await?;
            if let Some(to) = c.reach() {
                Sql::<DB>::write_message(
                    tx,
                    &crate::offers::session_change_message(pcn, to, &c.given_name, s, change, now),
                )
                .await?;
                told += 1;
            }
        }
        // The people who go (a connection to the offer that got as far as going along and is
        // still open), when they agree to be contacted: nobody makes a wasted journey
        // (hazard H14). Each message names its person, so a withdrawal withholds it.
        use sqlx::Row as _;
        let people = sqlx::query(
            "SELECT DISTINCT p.id, p.given_name, p.contact_preference, p.phone, \
                 p.email FROM connection c JOIN person p ON p.id = c.person_id WHERE \
                 c.service_id = $1 AND c.status IN ('went_along', 'keeps_going') AND \
                 p.merged_into IS NULL AND p.erased_at IS NULL AND EXISTS (SELECT 1 FROM \
                 consent k WHERE k.person_id = p.id AND k.purpose = 'contact' AND \
                 k.withdrawn_at IS NULL)",
        )
        .bind(s.offer_id.to_string())
        .fetch_all(&mut **tx)
        .await?;
        for p in &people {
            let reach = crate::loans::person_reach(
                &p.try_get::<String, _>("contact_preference")?,
                p.try_get("phone")?,
                p.try_get("email")?,
            );
            if let Some(to) = reach {
                let mut m = crate::offers::session_change_message(
                    pcn,
                    to,
                    &p.try_get::<String, _>("given_name")?,
                    s,
                    change,
                    now,
                );
                m.person = Some(crate::values::parsed(
                    "person id",
                    &p.try_get::<String, _>("id")?,
                )?);
                m.body = m.body.replace(
                    " Thank you for all you do.",
                    " Sorry for any trouble: we hope to see you soon.",
                );
                Sql::<DB>::write_message(tx, &m).await?;
                told += 1;
            }
        }
        Ok(told)
    }

    /// A session must be within its offer's season and its venue the PCN's.
    pub(crate) async fn session_fits(
        tx: &mut Tx<'_, DB>,
        pcn: together_core::PcnId,
        offer: &crate::offers::Offer,
        s: &together_core::offers::NewSession,
    ) -> Result<(), crate::StoreError> {
        if let Some(why) =
            together_core::offers::outside_season(offer.starts_on, offer.ends_on, s.on)
        {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::Rule(why),
            ));
        }
        if let Some(v) = &s.venue_id {
            let found: Option<String> =
                sqlx::query_scalar("SELECT id FROM venue WHERE id = $1 AND pcn_id = $2")
                    .bind(v)
                    .bind(pcn.to_string())
                    .fetch_optional(&mut **tx)
                    .await?;
            if found.is_none() {
                return Err(crate::StoreError::NotFound("venue"));
            }
        }
        Ok(())
    }

    /// A champion sees and takes only the registers of offers they lead.
    pub(crate) async fn refuse_unless_lead(
        tx: &mut Tx<'_, DB>,
        s: &crate::offers::Session,
        champion: together_core::ChampionId,
    ) -> Result<(), crate::StoreError> {
        let leads: Option<String> = sqlx::query_scalar(
            "SELECT champion_id FROM offer_lead WHERE service_id = $1 AND champion_id = $2",
        )
        .bind(s.offer_id.to_string())
        .bind(champion.to_string())
        .fetch_optional(&mut **tx)
        .await?;
        if leads.is_none() {
            return Err(crate::StoreError::NotFound("session"));
        }
        Ok(())
    }

    /// Takes a place on a session's rota, with every rule checked.
    pub(crate) async fn take_place_in(
        tx: &mut Tx<'_, DB>,
        pcn: together_core::PcnId,
        session: together_core::SessionId,
        champion: together_core::ChampionId,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let s = Sql::<DB>::session_in(tx, pcn, session).await?;
        let today = audit.at.date();
        if s.cancelled {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::SessionCancelled,
            ));
        }
        if s.on < today {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::SessionHappened,
            ));
        }
        Sql::<DB>::refuse_unless_clear(tx, pcn, champion, s.lead_role_id, today).await?;
        let existing: Option<Option<i64>> = sqlx::query_scalar(
            "SELECT dropped_at FROM rota_place WHERE session_id = $1 AND champion_id = $2",
        )
        .bind(session.to_string())
        .bind(champion.to_string())
        .fetch_optional(&mut **tx)
        .await?;
        if existing == Some(None) {
            return Err(crate::StoreError::Conflict(
                "a place on this rota for this champion",
            ));
        }
        if s.helpers >= s.helpers_needed {
            return Err(crate::StoreError::Refused(if s.helpers_needed == 0 {
                together_core::refusal::Refusal::NoRota
            } else {
                together_core::refusal::Refusal::RotaFull(s.helpers_needed)
            }));
        }
        let sql = if existing.is_some() {
            "UPDATE rota_place SET dropped_at = NULL, signed_up_at = $3, reminded \
                = FALSE WHERE session_id = $1 AND champion_id = $2"
        } else {
            "INSERT INTO rota_place (session_id, champion_id, signed_up_at) VALUES ($1, $2, $3)"
        };
        sqlx::query(sql)
            .bind(session.to_string())
            .bind(champion.to_string())
            .bind(crate::values::secs(audit.at))
            .execute(&mut **tx)
            .await?;
        Sql::<DB>::write_audit(tx, &audit.about("rota_place", session)).await?;
        Ok(())
    }

    pub(crate) async fn leave_place_in(
        tx: &mut Tx<'_, DB>,
        pcn: together_core::PcnId,
        session: together_core::SessionId,
        champion: together_core::ChampionId,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        Sql::<DB>::session_in(tx, pcn, session).await?;
        let changed = sqlx::query(
            "UPDATE rota_place SET dropped_at = $1 WHERE session_id = $2 AND \
            champion_id = $3 AND dropped_at IS NULL",
        )
        .bind(crate::values::secs(audit.at))
        .bind(session.to_string())
        .bind(champion.to_string())
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if changed != 1 {
            return Err(crate::StoreError::NotFound("rota place"));
        }
        Sql::<DB>::write_audit(tx, &audit.about("rota_place", session)).await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl<S, DB> crate::offers::OfferStore for S
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
    async fn taxonomy_terms(&self) -> Result<Vec<crate::offers::TaxonomyTerm>, crate::StoreError> {
        use sqlx::Row as _;
        sqlx::query(
            "SELECT id, taxonomy_id, parent_id, code, name, description FROM \
            taxonomy_term ORDER BY name",
        )
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(crate::offers::TaxonomyTerm {
                id: r.try_get("id")?,
                taxonomy_id: r.try_get("taxonomy_id")?,
                parent_id: r.try_get("parent_id")?,
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                description: r.try_get("description")?,
            })
        })
        .collect()
    }

    async fn add_offer(
        &self,
        pcn: together_core::PcnId,
        o: &together_core::offers::NewOffer,
        audit: &crate::NewAuditEvent,
    ) -> Result<together_core::ServiceId, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let id = Sql::<DB>::add_offer_in(&mut tx, pcn, o, audit).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn update_offer(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ServiceId,
        o: &together_core::offers::NewOffer,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let before = Sql::<DB>::offer_in(&mut tx, pcn, id).await?;
        Sql::<DB>::offer_references_ours(&mut tx, pcn, o).await?;
        let outside: Option<String> = sqlx::query_scalar(
            "SELECT MIN(on_date) FROM offer_session WHERE service_id = $1 AND NOT \
                        cancelled AND (($2 IS NOT NULL AND on_date < $2) OR ($3 IS NOT NULL \
                        AND on_date > $3))",
        )
        .bind(id.to_string())
        .bind(o.starts_on.map(crate::values::iso_date))
        .bind(o.ends_on.map(crate::values::iso_date))
        .fetch_one(&mut *tx)
        .await?;
        if let Some(day) = outside {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::SessionOutsideDates(day),
            ));
        }
        Sql::<DB>::write_offer_fields(&mut tx, id, o, audit.at).await?;
        Sql::<DB>::write_offer_links(&mut tx, &id.to_string(), o).await?;
        // A stricter role applies to the leads already there: refuse rather than keep
        // someone leading who is not clear for it.
        if o.lead_role.is_some() && o.lead_role != before.lead_role_id {
            let leads: Vec<String> =
                sqlx::query_scalar("SELECT champion_id FROM offer_lead WHERE service_id = $1")
                    .bind(id.to_string())
                    .fetch_all(&mut *tx)
                    .await?;
            for lead in leads {
                Sql::<DB>::refuse_unless_clear(
                    &mut tx,
                    pcn,
                    crate::values::parsed("champion id", &lead)?,
                    o.lead_role,
                    audit.at.date(),
                )
                .await?;
            }
        }
        Sql::<DB>::write_audit(&mut tx, &audit.about("offer", id)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn offers(
        &self,
        pcn: together_core::PcnId,
    ) -> Result<Vec<crate::offers::Offer>, crate::StoreError> {
        let mut tx = self.pool().begin().await?;
        let mut offers = sqlx::query(
            "SELECT * FROM service WHERE pcn_id = $1 AND offer_kind IS NOT NULL ORDER BY name, id",
        )
        .bind(pcn.to_string())
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(Sql::<DB>::offer_row)
        .collect::<Result<Vec<_>, _>>()?;
        Sql::<DB>::offer_links(&mut tx, &mut offers).await?;
        tx.commit().await?;
        Ok(offers)
    }

    async fn offer(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ServiceId,
    ) -> Result<Option<crate::offers::Offer>, crate::StoreError> {
        let mut tx = self.pool().begin().await?;
        let found = match Sql::<DB>::offer_in(&mut tx, pcn, id).await {
            Ok(o) => o,
            Err(crate::StoreError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut one = [found];
        Sql::<DB>::offer_links(&mut tx, &mut one).await?;
        tx.commit().await?;
        let [o] = one;
        Ok(Some(o))
    }

    async fn add_offer_lead(
        &self,
        pcn: together_core::PcnId,
        offer: together_core::ServiceId,
        champion: together_core::ChampionId,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let o = Sql::<DB>::offer_in(&mut tx, pcn, offer).await?;
        Sql::<DB>::refuse_unless_clear(&mut tx, pcn, champion, o.lead_role_id, audit.at.date())
            .await?;
        let held: Option<String> = sqlx::query_scalar(
            "SELECT champion_id FROM offer_lead WHERE service_id = $1 AND champion_id = $2",
        )
        .bind(offer.to_string())
        .bind(champion.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        if held.is_some() {
            return Err(crate::StoreError::Conflict(
                "this champion as a lead of this offer",
            ));
        }
        sqlx::query("INSERT INTO offer_lead (service_id, champion_id, since) VALUES ($1, $2, $3)")
            .bind(offer.to_string())
            .bind(champion.to_string())
            .bind(crate::values::secs(audit.at))
            .execute(&mut *tx)
            .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("offer_lead", offer)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn remove_offer_lead(
        &self,
        pcn: together_core::PcnId,
        offer: together_core::ServiceId,
        champion: together_core::ChampionId,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        Sql::<DB>::offer_in(&mut tx, pcn, offer).await?;
        let gone = sqlx::query("DELETE FROM offer_lead WHERE service_id = $1 AND champion_id = $2")
            .bind(offer.to_string())
            .bind(champion.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if gone != 1 {
            return Err(crate::StoreError::NotFound("lead"));
        }
        Sql::<DB>::write_audit(&mut tx, &audit.about("offer_lead", offer)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn add_schedule(
        &self,
        pcn: together_core::PcnId,
        offer: together_core::ServiceId,
        r: &together_core::recurrence::Recurrence,
        until: time::Date,
        audit: &crate::NewAuditEvent,
    ) -> Result<usize, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let added = Sql::<DB>::add_schedule_in(&mut tx, pcn, offer, r, until, audit).await?;
        tx.commit().await?;
        Ok(added)
    }

    async fn import_offers(
        &self,
        pcn: together_core::PcnId,
        offers: &[(
            together_core::offers::NewOffer,
            Option<together_core::recurrence::Recurrence>,
        )],
        until: time::Date,
        audit: &crate::NewAuditEvent,
    ) -> Result<Vec<Option<together_core::ServiceId>>, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let mut out = Vec::new();
        for (o, schedule) in offers {
            let there: Option<String> = sqlx::query_scalar(
                "SELECT id FROM service WHERE pcn_id = $1 AND offer_kind IS NOT NULL \
                AND LOWER(name) = LOWER($2)",
            )
            .bind(pcn.to_string())
            .bind(&o.name)
            .fetch_optional(&mut *tx)
            .await?;
            if there.is_some() {
                out.push(None);
                continue;
            }
            let id = Sql::<DB>::add_offer_in(&mut tx, pcn, o, audit).await?;
            if let Some(r) = schedule {
                Sql::<DB>::add_schedule_in(&mut tx, pcn, id, r, until, audit).await?;
            }
            out.push(Some(id));
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn schedules(
        &self,
        pcn: together_core::PcnId,
        offer: together_core::ServiceId,
    ) -> Result<Vec<crate::offers::Schedule>, crate::StoreError> {
        sqlx::query(
            "SELECT s.* FROM schedule s JOIN service v ON v.id = s.service_id \
            WHERE s.service_id = $1 AND v.pcn_id = $2 ORDER BY s.dtstart, s.id",
        )
        .bind(offer.to_string())
        .bind(pcn.to_string())
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(Sql::<DB>::schedule_row)
        .collect()
    }

    async fn generate_sessions(
        &self,
        pcn: together_core::PcnId,
        from: time::Date,
        until: time::Date,
        now: time::OffsetDateTime,
    ) -> Result<usize, crate::StoreError> {
        use sqlx::Row as _;
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let rows = sqlx::query(
            "SELECT s.*, s.service_id AS offer FROM schedule s JOIN service v ON \
            v.id = s.service_id WHERE v.pcn_id = $1 AND v.offer_status IN \
            ('planned', 'active')",
        )
        .bind(pcn.to_string())
        .fetch_all(&mut *tx)
        .await?;
        let mut added = 0;
        for row in &rows {
            let s = Sql::<DB>::schedule_row(row)?;
            let offer: String = row.try_get("offer")?;
            for day in s.recurrence.between(from, until) {
                if Sql::<DB>::write_generated(&mut tx, &offer, &s.id, day, &s.recurrence, now)
                    .await?
                {
                    added += 1;
                }
            }
        }
        tx.commit().await?;
        Ok(added)
    }

    async fn add_offer_session(
        &self,
        pcn: together_core::PcnId,
        offer: together_core::ServiceId,
        s: &together_core::offers::NewSession,
        audit: &crate::NewAuditEvent,
    ) -> Result<together_core::SessionId, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let o = Sql::<DB>::offer_in(&mut tx, pcn, offer).await?;
        Sql::<DB>::session_fits(&mut tx, pcn, &o, s).await?;
        let id = together_core::SessionId::new();
        sqlx::query(
            "INSERT INTO offer_session (id, service_id, on_date, opens_at, \
            closes_at, venue_id, note, created_at, changed_at) VALUES ($1, $2, \
            $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(id.to_string())
        .bind(offer.to_string())
        .bind(crate::values::iso_date(s.on))
        .bind(together_core::recurrence::clock(s.opens_at))
        .bind(together_core::recurrence::clock(s.closes_at))
        .bind(&s.venue_id)
        .bind(&s.note)
        .bind(crate::values::secs(audit.at))
        .execute(&mut *tx)
        .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("session", id)).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn offer_sessions(
        &self,
        pcn: together_core::PcnId,
        f: &crate::offers::SessionFilter,
    ) -> Result<Vec<crate::offers::Session>, crate::StoreError> {
        sqlx::query(&format!(
            "{SESSION_SELECT} WHERE v.pcn_id = $1 AND ($2 IS NULL OR s.service_id = \
                     $2) AND ($3 IS NULL OR s.on_date >= $3) AND ($4 IS NULL OR s.on_date <= \
                     $4) AND ($5 IS NULL OR EXISTS (SELECT 1 FROM offer_lead l WHERE \
                     l.service_id = s.service_id AND l.champion_id = $5) OR EXISTS (SELECT 1 \
                     FROM rota_place p WHERE p.session_id = s.id AND p.champion_id = $5 AND \
                     p.dropped_at IS NULL)) AND ($6 OR NOT s.cancelled) ORDER BY s.on_date, \
                     s.opens_at, v.name, s.id LIMIT 2000"
        ))
        .bind(pcn.to_string())
        .bind(f.offer.map(|o| o.to_string()))
        .bind(f.from.map(crate::values::iso_date))
        .bind(f.to.map(crate::values::iso_date))
        .bind(f.champion.map(|c| c.to_string()))
        .bind(f.include_cancelled)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(Sql::<DB>::offer_session_row)
        .collect()
    }

    async fn offer_session(
        &self,
        pcn: together_core::PcnId,
        id: together_core::SessionId,
    ) -> Result<Option<crate::offers::Session>, crate::StoreError> {
        sqlx::query(&format!(
            "{SESSION_SELECT} WHERE s.id = $1 AND v.pcn_id = $2"
        ))
        .bind(id.to_string())
        .bind(pcn.to_string())
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(Sql::<DB>::offer_session_row)
        .transpose()
    }

    async fn cancel_offer_session(
        &self,
        pcn: together_core::PcnId,
        id: together_core::SessionId,
        reason: &str,
        audit: &crate::NewAuditEvent,
    ) -> Result<usize, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let s = Sql::<DB>::session_in(&mut tx, pcn, id).await?;
        if s.cancelled {
            return Err(crate::StoreError::Conflict(
                "a cancellation of this session",
            ));
        }
        sqlx::query(
            "UPDATE offer_session SET cancelled = TRUE, note = $1, changed_at = $2 WHERE id = $3",
        )
        .bind(reason)
        .bind(crate::values::secs(audit.at))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        let change = if reason.trim().is_empty() {
            "is cancelled".to_owned()
        } else {
            format!("is cancelled: {}", reason.trim())
        };
        let told = Sql::<DB>::tell_session(&mut tx, pcn, &s, &change, audit.at).await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("session", id)).await?;
        tx.commit().await?;
        Ok(told)
    }

    async fn move_offer_session(
        &self,
        pcn: together_core::PcnId,
        id: together_core::SessionId,
        to: &together_core::offers::NewSession,
        audit: &crate::NewAuditEvent,
    ) -> Result<usize, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let s = Sql::<DB>::session_in(&mut tx, pcn, id).await?;
        if s.cancelled {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::SessionCancelledAddNew,
            ));
        }
        let o = Sql::<DB>::offer_in(&mut tx, pcn, s.offer_id).await?;
        Sql::<DB>::session_fits(&mut tx, pcn, &o, to).await?;
        sqlx::query(
            "UPDATE offer_session SET on_date = $1, opens_at = $2, closes_at = \
            $3, venue_id = $4, note = $5, changed_at = $6 WHERE id = $7",
        )
        .bind(crate::values::iso_date(to.on))
        .bind(together_core::recurrence::clock(to.opens_at))
        .bind(together_core::recurrence::clock(to.closes_at))
        .bind(to.venue_id.clone().or(s.venue_id.clone()))
        .bind(&to.note)
        .bind(crate::values::secs(audit.at))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        let moved = Sql::<DB>::session_in(&mut tx, pcn, id).await?;
        let mut change = format!("has moved to {} ({})", moved.on, moved.times());
        if let Some(v) = &moved.venue_name {
            change.push_str(&format!(" at {v}"));
        }
        if !to.note.trim().is_empty() {
            change.push_str(&format!(": {}", to.note.trim()));
        }
        let told = Sql::<DB>::tell_session(&mut tx, pcn, &s, &change, audit.at).await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("session", id)).await?;
        tx.commit().await?;
        Ok(told)
    }

    async fn rota(
        &self,
        pcn: together_core::PcnId,
        session: together_core::SessionId,
    ) -> Result<Vec<crate::offers::RotaPlace>, crate::StoreError> {
        use sqlx::Row as _;
        sqlx::query(
            "SELECT p.session_id, p.champion_id, c.given_name, c.family_name, \
                     p.signed_up_at, p.dropped_at FROM rota_place p JOIN champion c ON c.id = \
                     p.champion_id WHERE p.session_id = $1 AND c.pcn_id = $2 ORDER BY \
                     p.dropped_at IS NOT NULL, p.signed_up_at, c.given_name",
        )
        .bind(session.to_string())
        .bind(pcn.to_string())
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(crate::offers::RotaPlace {
                session_id: crate::values::parsed(
                    "session id",
                    &r.try_get::<String, _>("session_id")?,
                )?,
                champion_id: crate::values::parsed(
                    "champion id",
                    &r.try_get::<String, _>("champion_id")?,
                )?,
                given_name: r.try_get("given_name")?,
                family_name: r.try_get("family_name")?,
                signed_up_at: crate::values::at(r.try_get("signed_up_at")?)?,
                dropped_at: r
                    .try_get::<Option<i64>, _>("dropped_at")?
                    .map(crate::values::at)
                    .transpose()?,
            })
        })
        .collect()
    }

    async fn take_rota_place(
        &self,
        pcn: together_core::PcnId,
        session: together_core::SessionId,
        champion: together_core::ChampionId,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        Sql::<DB>::take_place_in(&mut tx, pcn, session, champion, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn leave_rota_place(
        &self,
        pcn: together_core::PcnId,
        session: together_core::SessionId,
        champion: together_core::ChampionId,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        Sql::<DB>::leave_place_in(&mut tx, pcn, session, champion, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn swap_rota_place(
        &self,
        pcn: together_core::PcnId,
        from: together_core::SessionId,
        to: together_core::SessionId,
        champion: together_core::ChampionId,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        Sql::<DB>::leave_place_in(&mut tx, pcn, from, champion, audit).await?;
        Sql::<DB>::take_place_in(&mut tx, pcn, to, champion, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn save_register(
        &self,
        pcn: together_core::PcnId,
        session: together_core::SessionId,
        lead: Option<together_core::ChampionId>,
        r: &together_core::offers::NewRegister,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let s = Sql::<DB>::session_in(&mut tx, pcn, session).await?;
        if let Some(c) = lead {
            Sql::<DB>::refuse_unless_lead(&mut tx, &s, c).await?;
        }
        if s.cancelled {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::CancelledNoRegister,
            ));
        }
        if s.on > audit.at.date() {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::RegisterOnTheDay(s.on),
            ));
        }
        let id = session.to_string();
        sqlx::query("DELETE FROM register_mark WHERE session_id = $1")
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        for label in &r.came {
            sqlx::query("INSERT INTO register_mark (session_id, label) VALUES ($1, $2)")
                .bind(&id)
                .bind(label)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO session_register (session_id, others, taken_by, taken_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (session_id) DO UPDATE SET others = \
                     excluded.others, taken_by = excluded.taken_by, taken_at = \
                     excluded.taken_at",
        )
        .bind(&id)
        .bind(r.others)
        .bind(&audit.actor)
        .bind(crate::values::secs(audit.at))
        .execute(&mut *tx)
        .await?;
        Sql::<DB>::move_on_by_register(
            &mut tx,
            s.offer_id,
            s.on,
            &r.came,
            crate::values::secs(audit.at),
        )
        .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("register", session)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn register(
        &self,
        pcn: together_core::PcnId,
        session: together_core::SessionId,
        lead: Option<together_core::ChampionId>,
    ) -> Result<Option<crate::offers::Register>, crate::StoreError> {
        use sqlx::Row as _;
        let mut tx = self.pool().begin().await?;
        let s = Sql::<DB>::session_in(&mut tx, pcn, session).await?;
        if let Some(c) = lead {
            Sql::<DB>::refuse_unless_lead(&mut tx, &s, c).await?;
        }
        let id = session.to_string();
        let Some(row) = sqlx::query(
            "SELECT others, taken_by, taken_at FROM session_register WHERE session_id = $1",
        )
        .bind(&id)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(None);
        };
        let came = sqlx::query_scalar(
            "SELECT label FROM register_mark WHERE session_id = $1 ORDER BY label",
        )
        .bind(&id)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(crate::offers::Register {
            came,
            others: row.try_get("others")?,
            taken_by: row.try_get("taken_by")?,
            taken_at: crate::values::at(row.try_get("taken_at")?)?,
        }))
    }

    async fn regulars(
        &self,
        pcn: together_core::PcnId,
        offer: together_core::ServiceId,
    ) -> Result<Vec<String>, crate::StoreError> {
        use sqlx::Row as _;
        // The people connected to it and not yet keeping going first (a lead ticks
        // them, and the connection moves on), if they agreed to champions seeing them;
        // then those who have come before.
        let mut labels: Vec<String> = Vec::new();
        for r in sqlx::query(
            "SELECT p.given_name, p.family_name FROM connection c JOIN person p ON \
                     p.id = c.person_id WHERE c.service_id = $1 AND c.pcn_id = $2 AND \
                     c.status IN ('suggested', 'contacted', 'went_along') AND EXISTS (SELECT \
                     1 FROM consent k WHERE k.person_id = p.id AND k.purpose = \
                     'share_with_champions' AND k.withdrawn_at IS NULL) ORDER BY c.made_on, \
                     c.id",
        )
        .bind(offer.to_string())
        .bind(pcn.to_string())
        .fetch_all(self.pool())
        .await?
        {
            let given: String = r.try_get("given_name")?;
            let family: String = r.try_get("family_name")?;
            labels.push(crate::values::person_label(given, &family));
        }
        let before: Vec<String> = sqlx::query_scalar(
            "SELECT m.label FROM register_mark m JOIN offer_session s ON s.id = \
                     m.session_id JOIN service v ON v.id = s.service_id WHERE s.service_id = \
                     $1 AND v.pcn_id = $2 GROUP BY m.label ORDER BY MAX(s.on_date) DESC, \
                     m.label LIMIT 200",
        )
        .bind(offer.to_string())
        .bind(pcn.to_string())
        .fetch_all(self.pool())
        .await?;
        labels.extend(before);
        let mut seen = std::collections::HashSet::new();
        labels.retain(|l| seen.insert(l.clone()));
        Ok(labels)
    }

    async fn registers_of(
        &self,
        pcn: together_core::PcnId,
        offer: together_core::ServiceId,
    ) -> Result<Vec<(time::Date, Vec<String>, i64)>, crate::StoreError> {
        use sqlx::Row as _;
        let rows = sqlx::query(
            "SELECT s.id, s.on_date, r.others FROM session_register r JOIN \
                     offer_session s ON s.id = r.session_id JOIN service v ON v.id = \
                     s.service_id WHERE s.service_id = $1 AND v.pcn_id = $2 AND NOT \
                     s.cancelled ORDER BY s.on_date, s.opens_at, s.id",
        )
        .bind(offer.to_string())
        .bind(pcn.to_string())
        .fetch_all(self.pool())
        .await?;
        let marks = sqlx::query(
            "SELECT m.session_id, m.label FROM register_mark m JOIN offer_session \
                        s ON s.id = m.session_id WHERE s.service_id = $1",
        )
        .bind(offer.to_string())
        .fetch_all(self.pool())
        .await?;
        let mut by_session: std::collections::HashMap<String, Vec<String>> =
            std::collections::HashMap::new();
        for m in &marks {
            by_session
                .entry(m.try_get("session_id")?)
                .or_default()
                .push(m.try_get("label")?);
        }
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                let mut came = by_session.remove(&id).unwrap_or_default();
                came.sort();
                Ok((
                    crate::values::parse_iso_date(&r.try_get::<String, _>("on_date")?)?,
                    came,
                    r.try_get("others")?,
                ))
            })
            .collect()
    }

    async fn send_rota_reminders(
        &self,
        pcn: together_core::PcnId,
        on: time::Date,
        now: time::OffsetDateTime,
    ) -> Result<usize, crate::StoreError> {
        use sqlx::Row as _;
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let due = sqlx::query(
            "SELECT p.session_id, p.champion_id FROM rota_place p JOIN offer_session \
                     s ON s.id = p.session_id JOIN service v ON v.id = s.service_id WHERE \
                     v.pcn_id = $1 AND s.on_date = $2 AND NOT s.cancelled AND p.dropped_at IS \
                     NULL AND NOT p.reminded",
        )
        .bind(pcn.to_string())
        .bind(crate::values::iso_date(on))
        .fetch_all(&mut *tx)
        .await?;
        let mut sent = 0;
        for row in &due {
            let session: String = row.try_get("session_id")?;
            let champion: String = row.try_get("champion_id")?;
            let s =
                Sql::<DB>::session_in(&mut tx, pcn, crate::values::parsed("session id", &session)?)
                    .await?;
            let c = Sql::<DB>::champion_in(
                &mut tx,
                pcn,
                crate::values::parsed("champion id", &champion)?,
            )
            .await?;
            if let Some(to) = c.reach() {
                Sql::<DB>::write_message(
                    &mut tx,
                    &crate::offers::rota_reminder(pcn, to, &c.given_name, &s, now),
                )
                .await?;
                sent += 1;
            }
            sqlx::query(
                "UPDATE rota_place SET reminded = TRUE WHERE session_id = $1 AND champion_id = $2",
            )
            .bind(&session)
            .bind(&champion)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(sent)
    }

    async fn open_rota_places(
        &self,
        pcn: together_core::PcnId,
        champion: together_core::ChampionId,
        from: time::Date,
        to: time::Date,
        today: time::Date,
    ) -> Result<Vec<crate::offers::Session>, crate::StoreError> {
        let mut tx = self.pool().begin().await?;
        let c = Sql::<DB>::champion_in(&mut tx, pcn, champion).await?;
        if c.stage != together_core::champions::Stage::Active {
            return Ok(Vec::new());
        }
        let checks: Vec<together_core::champions::CheckFacts> =
            Sql::<DB>::checks_in(&mut tx, champion)
                .await?
                .iter()
                .map(crate::champions::DbsCheck::facts)
                .collect();
        let years = Sql::<DB>::renewal_years_in(&mut tx, pcn).await?;
        let sessions = sqlx::query(&format!(
            "{SESSION_SELECT} WHERE v.pcn_id = $1 AND s.on_date >= $2 AND s.on_date \
                     <= $3 AND NOT s.cancelled AND v.helpers_needed > 0 AND v.offer_status = \
                     'active' AND NOT EXISTS (SELECT 1 FROM rota_place p WHERE p.session_id = \
                     s.id AND p.champion_id = $4 AND p.dropped_at IS NULL) ORDER BY \
                     s.on_date, s.opens_at, v.name, s.id LIMIT 500"
        ))
        .bind(pcn.to_string())
        .bind(crate::values::iso_date(from.max(today)))
        .bind(crate::values::iso_date(to))
        .bind(champion.to_string())
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(Sql::<DB>::offer_session_row)
        .collect::<Result<Vec<_>, _>>()?;
        let mut roles: std::collections::HashMap<together_core::ChampionRoleId, bool> =
            std::collections::HashMap::new();
        let mut out = Vec::new();
        for s in sessions.into_iter().filter(|s| s.gaps() > 0) {
            let clear = match s.lead_role_id {
                None => true,
                Some(r) => match roles.get(&r) {
                    Some(c) => *c,
                    None => {
                        let role = Sql::<DB>::role_in(&mut tx, pcn, r).await?;
                        let c = together_core::champions::Clearance::of(
                            role.dbs_level,
                            &checks,
                            years,
                            today,
                        )
                        .is_clear();
                        roles.insert(r, c);
                        c
                    }
                },
            };
            if clear {
                out.push(s);
            }
        }
        tx.commit().await?;
        Ok(out)
    }
}
