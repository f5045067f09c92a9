//! Connections and their follow-ups. The store keeps what must not slip: a connection is to
//! something of the same PCN (a service in the directory, an active champion, another person),
//! it only moves forward and never before the day it was made, its follow-ups are set when it
//! is made, and the person is on the maker's caseload while any connection of theirs is open.
//! Every read names people, so every read is audited with its event in the same transaction.

use crate::sql::{Db, Pooled, RowsAffected as _, Sql, Tx};
use crate::{NewAuditEvent, StoreError};
use async_trait::async_trait;
use serde::Serialize;
use time::Date;
use together_core::connections::{DoneFollowUp, EndReason, NewConnection, NewStep, Source, Status};
use together_core::{ConnectionId, FollowUpId, PcnId, PersonId, UserId};

/// A connection as the lists show it.
#[derive(Debug, Clone, Serialize)]
pub struct Connection {
    pub id: ConnectionId,
    pub person_id: PersonId,
    /// The person's practice (whose clinicians may see it).
    pub practice_id: together_core::PracticeId,
    /// First name and initial: all a champion's list shows of anyone.
    pub person_label: String,
    /// What or who they are connected to, by name.
    pub to_name: String,
    pub to: together_core::connections::Target,
    pub made_by: UserId,
    pub made_by_name: String,
    pub source: Source,
    pub status: Status,
    /// The day it reached its status.
    pub status_on: Date,
    pub end_reason: Option<EndReason>,
    pub made_on: Date,
    pub note: String,
    /// The next follow-up not yet done, if any (on an open connection).
    pub next_follow_up: Option<Date>,
    /// Follow-ups not done by their day (on an open connection).
    pub missed: i64,
    /// How to reach the person ("Phone call: 07700 900982"), for whoever follows it up.
    pub reach: String,
    /// The person agrees to champions knowing their first name and how to reach them.
    pub shared_with_champions: bool,
}

/// The facts the policy needs about a connection and the actor asking, read without reading
/// the connection itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionScope {
    pub practice_id: together_core::PracticeId,
    pub made_by: UserId,
    /// A champion made it.
    pub made_by_champion: bool,
    /// The actor has the person on their caseload.
    pub on_caseload: bool,
    pub shared_with_champions: bool,
}

/// One step a connection took.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub status: Status,
    pub on: Date,
    pub end_reason: Option<EndReason>,
    pub note: String,
    pub recorded_by: String,
}

/// A follow-up, due or done.
#[derive(Debug, Clone, Serialize)]
pub struct FollowUp {
    pub id: FollowUpId,
    pub due_on: Date,
    pub done_on: Option<Date>,
    pub note: String,
}

/// A connection whole: its steps in order and its follow-ups by day.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectionRecord {
    pub connection: Connection,
    pub steps: Vec<Step>,
    pub follow_ups: Vec<FollowUp>,
}

/// Which connections a list shows; every part optional.
#[derive(Debug, Clone, Default)]
pub struct ConnectionFilter {
    /// Only those this user made (a champion's "my connections").
    pub made_by: Option<UserId>,
    /// What this link worker follows up: the connections they made, those of the people on
    /// their caseload, and every champion's.
    pub followed_up_by: Option<UserId>,
    /// Only people who agree to champions knowing them (what a champion's list may show).
    pub shared_only: bool,
    pub person: Option<PersonId>,
    /// Only people registered at this practice (a clinician's view).
    pub practice: Option<together_core::PracticeId>,
    pub status: Option<Status>,
    pub open_only: bool,
    /// Only those with a follow-up due on or before this day (what is due).
    pub due_by: Option<Date>,
}

#[async_trait]
pub trait ConnectionStore {
    /// Makes a connection by `made_by` and sets its follow-ups `follow_up_days` after it was
    /// made; puts the person on the maker's caseload.
    async fn make_connection(
        &self,
        pcn: PcnId,
        person: PersonId,
        made_by: UserId,
        c: &NewConnection,
        follow_up_days: &[i64],
        audit: &NewAuditEvent,
    ) -> Result<ConnectionId, StoreError>;
    /// Moves a connection on (or ends it), checked again inside the transaction against what
    /// it is now; an ending takes the person off the maker's caseload when nothing else of
    /// theirs is open.
    async fn move_connection(
        &self,
        pcn: PcnId,
        id: ConnectionId,
        step: &NewStep,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// Records a follow-up as done.
    async fn do_follow_up(
        &self,
        pcn: PcnId,
        id: FollowUpId,
        done: &DoneFollowUp,
        audit: &NewAuditEvent,
    ) -> Result<ConnectionId, StoreError>;
    /// The facts the policy needs about a connection and `actor`, without reading or auditing
    /// the connection.
    async fn connection_scope(
        &self,
        pcn: PcnId,
        id: ConnectionId,
        actor: UserId,
    ) -> Result<Option<ConnectionScope>, StoreError>;
    /// A champion's connection for someone new, met at an offer or in the community: the
    /// person (with the verbal consent they gave the champion to be contacted by the team and
    /// for the champion to know them) and the connection, in one transaction. Always a new
    /// record: a champion is never told whether the PCN knows someone already; duplicates are
    /// for the coordinator to merge.
    async fn connect_someone_new(
        &self,
        pcn: PcnId,
        person: &together_core::people::NewPerson,
        made_by: UserId,
        c: &NewConnection,
        follow_up_days: &[i64],
        audit: &NewAuditEvent,
    ) -> Result<(PersonId, ConnectionId), StoreError>;
    /// Puts the person of a connection on `user`'s caseload (a link worker taking on someone a
    /// champion connected).
    async fn take_on(
        &self,
        pcn: PcnId,
        id: ConnectionId,
        user: UserId,
        audit: &NewAuditEvent,
    ) -> Result<PersonId, StoreError>;
    /// One connection whole; audited.
    async fn connection(
        &self,
        pcn: PcnId,
        id: ConnectionId,
        audit: &NewAuditEvent,
    ) -> Result<ConnectionRecord, StoreError>;
    /// Connections matching the filter on `today` (for what is due and missed), open ones
    /// first, then by next follow-up and day made; audited as one read.
    async fn connections(
        &self,
        pcn: PcnId,
        filter: &ConnectionFilter,
        today: Date,
        audit: &NewAuditEvent,
    ) -> Result<Vec<Connection>, StoreError>;
}

// The SQL below is shared by both backends: see crate::sql for the bounds.
pub(crate) const CONNECTION_SELECT: &str =
    "SELECT c.id, c.person_id, p.practice_id, p.given_name, p.family_name, \
    c.service_id, c.champion_id, c.buddy_id, COALESCE(s.name, ch.given_name \
    || ' ' || ch.family_name, b.given_name || ' ' || b.family_name) AS \
    to_name, c.made_by, u.display_name AS made_by_name, c.source, c.status, \
    c.status_on, c.end_reason, c.made_on, c.note, (SELECT MIN(f.due_on) FROM \
    follow_up f WHERE f.connection_id = c.id AND f.done_on IS NULL) AS \
    next_follow_up, (SELECT COUNT(*) FROM follow_up f WHERE f.connection_id \
    = c.id AND f.done_on IS NULL AND f.due_on < $2) AS missed, \
    p.contact_preference, p.phone, p.email, EXISTS (SELECT 1 FROM consent k \
    WHERE k.person_id = c.person_id AND k.purpose = 'share_with_champions' \
    AND k.withdrawn_at IS NULL) AS shared FROM connection c JOIN person p ON \
    p.id = c.person_id JOIN app_user u ON u.id = c.made_by LEFT JOIN service \
    s ON s.id = c.service_id LEFT JOIN champion ch ON ch.id = c.champion_id \
    LEFT JOIN person b ON b.id = c.buddy_id";

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
    pub(crate) fn connection_row(
        r: &DB::Row,
    ) -> Result<crate::connections::Connection, crate::StoreError> {
        use crate::values::{parse_iso_date, parsed};
        use sqlx::Row as _;
        use together_core::connections::Target;
        let given: String = r.try_get("given_name")?;
        let family: String = r.try_get("family_name")?;
        let to = match (
            r.try_get::<Option<String>, _>("service_id")?,
            r.try_get::<Option<String>, _>("champion_id")?,
            r.try_get::<Option<String>, _>("buddy_id")?,
        ) {
            (Some(s), _, _) => Target::Service(parsed("service id", &s)?),
            (_, Some(c), _) => Target::Champion(parsed("champion id", &c)?),
            (_, _, Some(b)) => Target::Person(parsed("person id", &b)?),
            _ => return Err(crate::StoreError::Corrupt("a connection to nothing".into())),
        };
        let status: together_core::connections::Status =
            parsed("status", &r.try_get::<String, _>("status")?)?;
        let open = status.is_open();
        Ok(crate::connections::Connection {
            id: parsed("connection id", &r.try_get::<String, _>("id")?)?,
            person_id: parsed("person id", &r.try_get::<String, _>("person_id")?)?,
            practice_id: parsed("practice id", &r.try_get::<String, _>("practice_id")?)?,
            person_label: crate::values::person_label(given, &family),
            to_name: r
                .try_get::<Option<String>, _>("to_name")?
                .unwrap_or_default(),
            to,
            made_by: parsed("user id", &r.try_get::<String, _>("made_by")?)?,
            made_by_name: r.try_get("made_by_name")?,
            source: parsed("source", &r.try_get::<String, _>("source")?)?,
            status,
            status_on: parse_iso_date(&r.try_get::<String, _>("status_on")?)?,
            end_reason: r
                .try_get::<Option<String>, _>("end_reason")?
                .map(|s| parsed("end reason", &s))
                .transpose()?,
            made_on: parse_iso_date(&r.try_get::<String, _>("made_on")?)?,
            note: r.try_get("note")?,
            next_follow_up: if open {
                r.try_get::<Option<String>, _>("next_follow_up")?
                    .map(|s| parse_iso_date(&s))
                    .transpose()?
            } else {
                None
            },
            missed: if open { r.try_get("missed")? } else { 0 },
            reach: together_core::people::how_to_reach(
                parsed(
                    "contact preference",
                    &r.try_get::<String, _>("contact_preference")?,
                )?,
                r.try_get::<Option<String>, _>("phone")?.as_deref(),
                r.try_get::<Option<String>, _>("email")?.as_deref(),
            ),
            shared_with_champions: r.try_get("shared")?,
        })
    }

    /// The connections matching a filter; the caller audits.
    pub(crate) async fn connections_in(
        tx: &mut Tx<'_, DB>,
        pcn: together_core::PcnId,
        f: &crate::connections::ConnectionFilter,
        id: Option<together_core::ConnectionId>,
        today: time::Date,
    ) -> Result<Vec<crate::connections::Connection>, crate::StoreError> {
        use crate::values::iso_date;
        sqlx::query(&format!(
            "{CONNECTION_SELECT} WHERE c.pcn_id = $1 AND ($3 IS NULL OR c.id = $3) \
                 AND ($4 IS NULL OR c.made_by = $4) AND ($5 IS NULL OR c.person_id = $5) \
                 AND ($6 IS NULL OR p.practice_id = $6) AND ($7 IS NULL OR c.status = $7) \
                 AND ($8 = 0 OR c.status <> 'ended') AND ($9 IS NULL OR (c.status <> \
                 'ended' AND EXISTS (SELECT 1 FROM follow_up f WHERE f.connection_id = \
                 c.id AND f.done_on IS NULL AND f.due_on <= $9))) AND ($10 IS NULL OR \
                 c.made_by = $10 OR EXISTS (SELECT 1 FROM caseload k WHERE k.person_id = \
                 c.person_id AND k.user_id = $10 AND k.closed_at IS NULL) OR EXISTS \
                 (SELECT 1 FROM role_assignment r WHERE r.user_id = c.made_by AND r.role \
                 = 'champion')) ORDER BY c.made_on DESC, c.id LIMIT 1000"
        ))
        .bind(pcn.to_string())
        .bind(iso_date(today))
        .bind(id.map(|i| i.to_string()))
        .bind(f.made_by.map(|i| i.to_string()))
        .bind(f.person.map(|i| i.to_string()))
        .bind(f.practice.map(|i| i.to_string()))
        .bind(f.status.map(|s| s.as_str()))
        .bind(i64::from(f.open_only))
        .bind(f.due_by.map(iso_date))
        .bind(f.followed_up_by.map(|i| i.to_string()))
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(Sql::<DB>::connection_row)
        .collect::<Result<Vec<_>, _>>()
        .map(|mut found| {
            found.retain(|c| c.shared_with_champions || !f.shared_only);
            // Open ones first, the soonest follow-up first (none last), then the newest.
            found.sort_by_key(|c| {
                (
                    !c.status.is_open(),
                    c.next_follow_up.is_none(),
                    c.next_follow_up,
                    std::cmp::Reverse(c.made_on),
                )
            });
            found
        })
    }

    /// Takes the person off `user`'s caseload when none of that user's connections with
    /// them is open any more.
    pub(crate) async fn close_caseload_if_done(
        tx: &mut Tx<'_, DB>,
        person: &str,
        user: &str,
        at: i64,
    ) -> Result<(), crate::StoreError> {
        sqlx::query(
            "UPDATE caseload SET closed_at = $3 WHERE person_id = $1 AND user_id = $2 \
                 AND closed_at IS NULL AND NOT EXISTS (SELECT 1 FROM connection c WHERE \
                 c.person_id = $1 AND c.made_by = $2 AND c.status <> 'ended')",
        )
        .bind(person)
        .bind(user)
        .bind(at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Keeps one step of a connection with its day and who recorded it.
    pub(crate) async fn insert_step(
        tx: &mut Tx<'_, DB>,
        id: &str,
        step: &together_core::connections::NewStep,
        by: &str,
        at: i64,
    ) -> Result<(), crate::StoreError> {
        sqlx::query(
            "INSERT INTO connection_step (connection_id, status, on_date, \
            end_reason, note, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, \
            $5, $6, $7)",
        )
        .bind(id)
        .bind(step.status.as_str())
        .bind(crate::values::iso_date(step.on))
        .bind(step.reason.map(|r| r.as_str()))
        .bind(&step.note)
        .bind(by)
        .bind(at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Moves a connection to `step` (already checked by the caller) and keeps the step.
    pub(crate) async fn move_to(
        tx: &mut Tx<'_, DB>,
        id: &str,
        step: &together_core::connections::NewStep,
        by: &str,
        at: i64,
    ) -> Result<(), crate::StoreError> {
        sqlx::query(
            "UPDATE connection SET status = $2, status_on = $3, end_reason = $4, \
            updated_at = $5 WHERE id = $1",
        )
        .bind(id)
        .bind(step.status.as_str())
        .bind(crate::values::iso_date(step.on))
        .bind(step.reason.map(|r| r.as_str()))
        .bind(at)
        .execute(&mut **tx)
        .await?;
        Sql::<DB>::insert_step(tx, id, step, by, at).await
    }

    /// A register of `offer` on `on` marked these people (first name and initial): each
    /// open connection to the offer of exactly one person with that label moves on by
    /// itself — a first visit to "went along", a later one (a later day) to "keeps going".
    /// Two connected people with the same label are left for a worker to move: a register
    /// cannot tell them apart. Saving the same register again changes nothing.
    pub(crate) async fn move_on_by_register(
        tx: &mut Tx<'_, DB>,
        offer: together_core::ServiceId,
        on: time::Date,
        came: &[String],
        at: i64,
    ) -> Result<usize, crate::StoreError> {
        use crate::values::{iso_date, parse_iso_date, parsed};
        use sqlx::Row as _;
        use together_core::connections::Status;
        let rows = sqlx::query(
            "SELECT c.id, c.status, c.status_on, c.made_on, p.given_name, \
                 p.family_name FROM connection c JOIN person p ON p.id = c.person_id \
                 WHERE c.service_id = $1 AND c.status <> 'ended' AND c.made_on <= $2",
        )
        .bind(offer.to_string())
        .bind(iso_date(on))
        .fetch_all(&mut **tx)
        .await?;
        let mut open = Vec::new();
        for r in &rows {
            let given: String = r.try_get("given_name")?;
            let family: String = r.try_get("family_name")?;
            let label = crate::values::person_label(given, &family);
            let status: Status = parsed("status", &r.try_get::<String, _>("status")?)?;
            let status_on = parse_iso_date(&r.try_get::<String, _>("status_on")?)?;
            open.push((label, r.try_get::<String, _>("id")?, status, status_on));
        }
        let mut moved = 0;
        for label in came {
            let mut theirs = open.iter().filter(|(l, ..)| l == label);
            let (Some((_, id, status, status_on)), None) = (theirs.next(), theirs.next()) else {
                continue;
            };
            let next = match status.after_a_visit() {
                Some(Status::KeepsGoing) if on <= *status_on => continue,
                Some(next) => next,
                None => continue,
            };
            let step = together_core::connections::NewStep {
                status: next,
                on,
                reason: None,
                note: "Marked on the register".into(),
            };
            Sql::<DB>::move_to(tx, id, &step, "register", at).await?;
            moved += 1;
        }
        Ok(moved)
    }

    /// Makes a connection inside `tx` (the checks, its first step and its follow-ups) and puts
    /// the person on the maker's caseload; the caller audits and commits.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn connect_in(
        tx: &mut Tx<'_, DB>,
        pcn: together_core::PcnId,
        person: together_core::PersonId,
        made_by: together_core::UserId,
        c: &together_core::connections::NewConnection,
        follow_up_days: &[i64],
        now: i64,
        by: &str,
    ) -> Result<together_core::ConnectionId, crate::StoreError> {
        use crate::values::iso_date;
        use together_core::connections::Target;
        let found: Option<String> = sqlx::query_scalar(
            "SELECT id FROM person WHERE id = $1 AND pcn_id = $2 AND merged_into IS NULL",
        )
        .bind(person.to_string())
        .bind(pcn.to_string())
        .fetch_optional(&mut **tx)
        .await?;
        if found.is_none() {
            return Err(crate::StoreError::NotFound("person"));
        }
        let (service, champion, buddy) = match c.to {
            Target::Service(s) => {
                // An offer of this PCN, or anything published in the directory.
                let ok: Option<String> = sqlx::query_scalar(
                    "SELECT id FROM service WHERE id = $1 AND (pcn_id = $2 OR published)",
                )
                .bind(s.to_string())
                .bind(pcn.to_string())
                .fetch_optional(&mut **tx)
                .await?;
                if ok.is_none() {
                    return Err(crate::StoreError::NotFound("service"));
                }
                (Some(s.to_string()), None, None)
            }
            Target::Champion(ch) => {
                let status: Option<String> =
                    sqlx::query_scalar("SELECT stage FROM champion WHERE id = $1 AND pcn_id = $2")
                        .bind(ch.to_string())
                        .bind(pcn.to_string())
                        .fetch_optional(&mut **tx)
                        .await?;
                match status.as_deref() {
                    None => return Err(crate::StoreError::NotFound("champion")),
                    Some("active") => {}
                    Some(_) => {
                        return Err(crate::StoreError::Refused(
                            together_core::refusal::Refusal::ChampionNotActive,
                        ))
                    }
                }
                (None, Some(ch.to_string()), None)
            }
            Target::Person(b) => {
                if b == person {
                    return Err(crate::StoreError::Refused(
                        together_core::refusal::Refusal::OwnBuddy,
                    ));
                }
                // A buddy is asked by the team first: only someone who agrees to be contacted.
                let agrees: Option<bool> = sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM consent k WHERE k.person_id = p.id AND \
                         k.purpose = 'contact' AND k.withdrawn_at IS NULL) FROM person p WHERE \
                         p.id = $1 AND p.pcn_id = $2 AND p.merged_into IS NULL",
                )
                .bind(b.to_string())
                .bind(pcn.to_string())
                .fetch_optional(&mut **tx)
                .await?;
                match agrees {
                    None => return Err(crate::StoreError::NotFound("person")),
                    Some(false) => {
                        return Err(crate::StoreError::Refused(
                            together_core::refusal::Refusal::BuddyWithoutConsent,
                        ))
                    }
                    Some(true) => {}
                }
                (None, None, Some(b.to_string()))
            }
        };
        let id = together_core::ConnectionId::new();
        sqlx::query(
            "INSERT INTO connection (id, pcn_id, person_id, service_id, champion_id, \
                 buddy_id, made_by, source, status, note, made_on, status_on, created_at, \
                 updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'suggested', $9, \
                 $10, $10, $11, $11)",
        )
        .bind(id.to_string())
        .bind(pcn.to_string())
        .bind(person.to_string())
        .bind(service)
        .bind(champion)
        .bind(buddy)
        .bind(made_by.to_string())
        .bind(c.source.as_str())
        .bind(&c.note)
        .bind(iso_date(c.made_on))
        .bind(now)
        .execute(&mut **tx)
        .await?;
        let suggested = together_core::connections::NewStep {
            status: together_core::connections::Status::Suggested,
            on: c.made_on,
            reason: None,
            note: String::new(),
        };
        Sql::<DB>::insert_step(tx, &id.to_string(), &suggested, by, now).await?;
        for due in together_core::connections::follow_ups_due(c.made_on, follow_up_days) {
            sqlx::query("INSERT INTO follow_up (id, connection_id, due_on) VALUES ($1, $2, $3)")
                .bind(together_core::FollowUpId::new().to_string())
                .bind(id.to_string())
                .bind(iso_date(due))
                .execute(&mut **tx)
                .await?;
        }
        Sql::<DB>::open_caseload(tx, &person.to_string(), &made_by.to_string(), now).await?;
        Ok(id)
    }

    /// Puts `person` on `user`'s caseload, reopening it if it was closed.
    pub(crate) async fn open_caseload(
        tx: &mut Tx<'_, DB>,
        person: &str,
        user: &str,
        now: i64,
    ) -> Result<(), crate::StoreError> {
        let updated = sqlx::query(
            "UPDATE caseload SET closed_at = NULL WHERE person_id = $1 AND user_id = $2",
        )
        .bind(person)
        .bind(user)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if updated == 0 {
            sqlx::query("INSERT INTO caseload (person_id, user_id, opened_at) VALUES ($1, $2, $3)")
                .bind(person)
                .bind(user)
                .bind(now)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl<S, DB> crate::connections::ConnectionStore for S
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
    async fn make_connection(
        &self,
        pcn: together_core::PcnId,
        person: together_core::PersonId,
        made_by: together_core::UserId,
        c: &together_core::connections::NewConnection,
        follow_up_days: &[i64],
        audit: &crate::NewAuditEvent,
    ) -> Result<together_core::ConnectionId, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let id = Sql::<DB>::connect_in(
            &mut tx,
            pcn,
            person,
            made_by,
            c,
            follow_up_days,
            crate::values::secs(audit.at),
            &audit.actor,
        )
        .await?;
        Sql::<DB>::write_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn connect_someone_new(
        &self,
        pcn: together_core::PcnId,
        p: &together_core::people::NewPerson,
        made_by: together_core::UserId,
        c: &together_core::connections::NewConnection,
        follow_up_days: &[i64],
        audit: &crate::NewAuditEvent,
    ) -> Result<(together_core::PersonId, together_core::ConnectionId), crate::StoreError> {
        use together_core::people::{ConsentMethod, ConsentPurpose};
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let person = Sql::<DB>::insert_person(&mut tx, pcn, p, None, audit).await?;
        for purpose in [ConsentPurpose::Contact, ConsentPurpose::ShareWithChampions] {
            Sql::<DB>::insert_consent(
                &mut tx,
                person,
                purpose,
                ConsentMethod::Verbal,
                &made_by.to_string(),
                audit.at,
            )
            .await?;
        }
        let id = Sql::<DB>::connect_in(
            &mut tx,
            pcn,
            person,
            made_by,
            c,
            follow_up_days,
            crate::values::secs(audit.at),
            &audit.actor,
        )
        .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("person", person)).await?;
        tx.commit().await?;
        Ok((person, id))
    }

    async fn take_on(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ConnectionId,
        user: together_core::UserId,
        audit: &crate::NewAuditEvent,
    ) -> Result<together_core::PersonId, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let person: Option<String> =
            sqlx::query_scalar("SELECT person_id FROM connection WHERE id = $1 AND pcn_id = $2")
                .bind(id.to_string())
                .bind(pcn.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        let person = person.ok_or(crate::StoreError::NotFound("connection"))?;
        Sql::<DB>::open_caseload(
            &mut tx,
            &person,
            &user.to_string(),
            crate::values::secs(audit.at),
        )
        .await?;
        Sql::<DB>::write_audit(&mut tx, audit).await?;
        tx.commit().await?;
        crate::values::parsed("person id", &person)
    }

    async fn move_connection(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ConnectionId,
        step: &together_core::connections::NewStep,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        use crate::values::{parse_iso_date, parsed, secs};
        use sqlx::Row as _;
        use together_core::connections::Status;
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let Some(r) = sqlx::query(
            "SELECT status, made_on, person_id, made_by FROM connection WHERE id \
            = $1 AND pcn_id = $2",
        )
        .bind(id.to_string())
        .bind(pcn.to_string())
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Err(crate::StoreError::NotFound("connection"));
        };
        let now: Status = parsed("status", &r.try_get::<String, _>("status")?)?;
        let made_on = parse_iso_date(&r.try_get::<String, _>("made_on")?)?;
        if !now.may_move_to(step.status) {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::ConnectionCannotMove {
                    now: now.label().to_string(),
                    to: step.status.label().to_string(),
                },
            ));
        }
        if step.on < made_on {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::BeforeConnection(made_on),
            ));
        }
        if (step.status == Status::Ended) != step.reason.is_some() {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::EndingSaysWhy,
            ));
        }
        let at = secs(audit.at);
        Sql::<DB>::move_to(&mut tx, &id.to_string(), step, &audit.actor, at).await?;
        if step.status == Status::Ended {
            let person: String = r.try_get("person_id")?;
            let maker: String = r.try_get("made_by")?;
            Sql::<DB>::close_caseload_if_done(&mut tx, &person, &maker, at).await?;
        }
        Sql::<DB>::write_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn do_follow_up(
        &self,
        pcn: together_core::PcnId,
        id: together_core::FollowUpId,
        done: &together_core::connections::DoneFollowUp,
        audit: &crate::NewAuditEvent,
    ) -> Result<together_core::ConnectionId, crate::StoreError> {
        use crate::values::{iso_date, parse_iso_date, parsed};
        use sqlx::Row as _;
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let Some(r) = sqlx::query(
            "SELECT c.id, c.made_on, f.done_on FROM follow_up f JOIN connection c \
            ON c.id = f.connection_id WHERE f.id = $1 AND c.pcn_id = $2",
        )
        .bind(id.to_string())
        .bind(pcn.to_string())
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Err(crate::StoreError::NotFound("follow-up"));
        };
        let made_on = parse_iso_date(&r.try_get::<String, _>("made_on")?)?;
        if done.done_on < made_on {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::FollowUpBeforeConnection(made_on),
            ));
        }
        if r.try_get::<Option<String>, _>("done_on")?.is_some() {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::FollowUpDone,
            ));
        }
        sqlx::query("UPDATE follow_up SET done_on = $2, note = $3, done_by = $4 WHERE id = $1")
            .bind(id.to_string())
            .bind(iso_date(done.done_on))
            .bind(&done.note)
            .bind(&audit.actor)
            .execute(&mut *tx)
            .await?;
        Sql::<DB>::write_audit(&mut tx, audit).await?;
        tx.commit().await?;
        parsed("connection id", &r.try_get::<String, _>("id")?)
    }

    async fn connection_scope(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ConnectionId,
        actor: together_core::UserId,
    ) -> Result<Option<crate::connections::ConnectionScope>, crate::StoreError> {
        use crate::values::parsed;
        use sqlx::Row as _;
        sqlx::query(
            "SELECT p.practice_id, c.made_by, EXISTS (SELECT 1 FROM role_assignment r \
                     WHERE r.user_id = c.made_by AND r.role = 'champion') AS by_champion, \
                     EXISTS (SELECT 1 FROM caseload k WHERE k.person_id = c.person_id AND \
                     k.user_id = $3 AND k.closed_at IS NULL) AS on_caseload, EXISTS (SELECT 1 \
                     FROM consent k WHERE k.person_id = c.person_id AND k.purpose = \
                     'share_with_champions' AND k.withdrawn_at IS NULL) AS shared FROM \
                     connection c JOIN person p ON p.id = c.person_id WHERE c.id = $1 AND \
                     c.pcn_id = $2",
        )
        .bind(id.to_string())
        .bind(pcn.to_string())
        .bind(actor.to_string())
        .fetch_optional(self.pool())
        .await?
        .map(|r| -> Result<_, crate::StoreError> {
            Ok(crate::connections::ConnectionScope {
                practice_id: parsed("practice id", &r.try_get::<String, _>("practice_id")?)?,
                made_by: parsed("user id", &r.try_get::<String, _>("made_by")?)?,
                made_by_champion: r.try_get("by_champion")?,
                on_caseload: r.try_get("on_caseload")?,
                shared_with_champions: r.try_get("shared")?,
            })
        })
        .transpose()
    }

    async fn connection(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ConnectionId,
        audit: &crate::NewAuditEvent,
    ) -> Result<crate::connections::ConnectionRecord, crate::StoreError> {
        use crate::values::{parse_iso_date, parsed};
        use sqlx::Row as _;
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let today = audit.at.date();
        let connection =
            Sql::<DB>::connections_in(&mut tx, pcn, &Default::default(), Some(id), today)
                .await?
                .pop()
                .ok_or(crate::StoreError::NotFound("connection"))?;
        let mut steps = Vec::new();
        for r in sqlx::query(
            "SELECT status, on_date, end_reason, note, recorded_by FROM \
            connection_step WHERE connection_id = $1 ORDER BY on_date, \
            recorded_at",
        )
        .bind(id.to_string())
        .fetch_all(&mut *tx)
        .await?
        {
            steps.push(crate::connections::Step {
                status: parsed("status", &r.try_get::<String, _>("status")?)?,
                on: parse_iso_date(&r.try_get::<String, _>("on_date")?)?,
                end_reason: r
                    .try_get::<Option<String>, _>("end_reason")?
                    .map(|s| parsed("end reason", &s))
                    .transpose()?,
                note: r.try_get("note")?,
                recorded_by: r.try_get("recorded_by")?,
            });
        }
        steps.sort_by_key(|s| (s.on, s.status));
        let mut follow_ups = Vec::new();
        for r in sqlx::query(
            "SELECT id, due_on, done_on, note FROM follow_up WHERE connection_id \
            = $1 ORDER BY due_on, id",
        )
        .bind(id.to_string())
        .fetch_all(&mut *tx)
        .await?
        {
            follow_ups.push(crate::connections::FollowUp {
                id: parsed("follow-up id", &r.try_get::<String, _>("id")?)?,
                due_on: parse_iso_date(&r.try_get::<String, _>("due_on")?)?,
                done_on: r
                    .try_get::<Option<String>, _>("done_on")?
                    .map(|s| parse_iso_date(&s))
                    .transpose()?,
                note: r.try_get("note")?,
            });
        }
        Sql::<DB>::write_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(crate::connections::ConnectionRecord {
            connection,
            steps,
            follow_ups,
        })
    }

    async fn connections(
        &self,
        pcn: together_core::PcnId,
        filter: &crate::connections::ConnectionFilter,
        today: time::Date,
        audit: &crate::NewAuditEvent,
    ) -> Result<Vec<crate::connections::Connection>, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let found = Sql::<DB>::connections_in(&mut tx, pcn, filter, None, today).await?;
        Sql::<DB>::write_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(found)
    }
}
