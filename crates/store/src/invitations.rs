//! Invitations from a cohort: who was invited to what and how, and what they answered. Only
//! pseudonyms are kept (the practice re-identifies its own people, audited, to show the list);
//! a "yes" becomes a person with their consent and a suggested connection in one transaction.

use crate::sql::{Db, Pooled, RowsAffected as _, Sql, Tx};
use crate::{NewAuditEvent, NewMessage, StoreError};
use async_trait::async_trait;
use serde::Serialize;
use time::Date;
use together_core::invitations::{Answer, Answered, Channel};
use together_core::people::NewPerson;
use together_core::{ConnectionId, InvitationId, PcnId, PersonId, PracticeId, ServiceId, UserId};

/// One person to invite: their pseudonym, how, and the text message to send when it is one.
#[derive(Debug, Clone)]
pub struct Invitee {
    pub pseudonym: String,
    pub channel: Channel,
    pub message: Option<NewMessage>,
}

/// One invitation as the practice's list shows it (names come from re-identification).
#[derive(Debug, Clone, Serialize)]
pub struct Invitation {
    pub id: InvitationId,
    pub cohort_id: String,
    pub practice_id: PracticeId,
    pub pseudonym: String,
    pub service_id: ServiceId,
    /// The offer or service's name.
    pub service_name: String,
    pub channel: Channel,
    pub invited_on: Date,
    pub answer: Option<Answer>,
    pub answered_on: Option<Date>,
    pub person_id: Option<PersonId>,
    pub connection_id: Option<ConnectionId>,
}

/// What one round of invitations did, for the clinician to be told.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Invited {
    /// Invited now.
    pub invited: u64,
    /// Not invited: they have an open connection to the offer already, so an invitation would
    /// only ask them to join what they are in (and a yes would make a second connection).
    pub already_connected: u64,
}

#[async_trait]
pub trait InvitationStore {
    /// Invites each of `invitees` of the cohort at `practice` to `service`, except anyone the
    /// cohort invited already (inviting again reaches only people new to it) and anyone with an
    /// open connection to `service`; a text message is queued in the same transaction as its
    /// invitation.
    async fn invite(
        &self,
        pcn: PcnId,
        cohort: &str,
        practice: PracticeId,
        service: ServiceId,
        invitees: &[Invitee],
        audit: &NewAuditEvent,
    ) -> Result<Invited, StoreError>;
    /// The cohort's invitations at one practice, in the order they were made.
    async fn invitations(
        &self,
        pcn: PcnId,
        cohort: &str,
        practice: PracticeId,
    ) -> Result<Vec<Invitation>, StoreError>;
    async fn invitation(
        &self,
        pcn: PcnId,
        id: InvitationId,
    ) -> Result<Option<Invitation>, StoreError>;
    /// Records an answer, once (`Refused` after that). A "yes" needs `person`, the details of
    /// whoever said it: the invitation's pseudonym finds them if the PCN knows them already
    /// (else they are added, linked by it), records what they agreed to and makes the
    /// suggested connection by `by`, with follow-ups `follow_up_days` after it — unless they
    /// have an open connection to that offer already (made since the invitation went), which
    /// the invitation then points to instead of a second one.
    #[allow(clippy::too_many_arguments)]
    async fn answer_invitation(
        &self,
        pcn: PcnId,
        id: InvitationId,
        answered: &Answered,
        person: Option<&NewPerson>,
        by: UserId,
        follow_up_days: &[i64],
        audit: &NewAuditEvent,
    ) -> Result<Option<(PersonId, ConnectionId)>, StoreError>;
}

// The SQL below is shared by both backends: see crate::sql for the bounds.
pub(crate) const INVITATION_SELECT: &str =
    "SELECT i.id, i.cohort_id, i.practice_id, i.pseudonym, i.service_id, \
    s.name AS service_name, i.channel, i.invited_at, i.answer, \
    i.answered_on, i.person_id, i.connection_id FROM invitation i JOIN \
    service s ON s.id = i.service_id";

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
    pub(crate) fn invitation_row(
        r: &DB::Row,
    ) -> Result<crate::invitations::Invitation, crate::StoreError> {
        use crate::values::{parse_iso_date, parsed};
        use sqlx::Row as _;
        let channel: String = r.try_get("channel")?;
        let answer: Option<String> = r.try_get("answer")?;
        Ok(crate::invitations::Invitation {
            id: parsed("invitation id", &r.try_get::<String, _>("id")?)?,
            cohort_id: r.try_get("cohort_id")?,
            practice_id: parsed("practice id", &r.try_get::<String, _>("practice_id")?)?,
            pseudonym: r.try_get("pseudonym")?,
            service_id: parsed("service id", &r.try_get::<String, _>("service_id")?)?,
            service_name: r.try_get("service_name")?,
            channel: channel
                .parse()
                .map_err(|_| crate::StoreError::Corrupt("invitation channel".into()))?,
            invited_on: crate::values::at(r.try_get("invited_at")?)?.date(),
            answer: answer
                .map(|a| {
                    a.parse()
                        .map_err(|_| crate::StoreError::Corrupt("invitation answer".into()))
                })
                .transpose()?,
            answered_on: r
                .try_get::<Option<String>, _>("answered_on")?
                .map(|d| parse_iso_date(&d))
                .transpose()?,
            person_id: r
                .try_get::<Option<String>, _>("person_id")?
                .map(|p| parsed("person id", &p))
                .transpose()?,
            connection_id: r
                .try_get::<Option<String>, _>("connection_id")?
                .map(|c| parsed("connection id", &c))
                .transpose()?,
        })
    }

    /// The open connection to `service` of the PCN's person with `pseudonym`, if any.
    pub(crate) async fn open_connection(
        tx: &mut Tx<'_, DB>,
        pcn: together_core::PcnId,
        pseudonym: &str,
        service: together_core::ServiceId,
    ) -> Result<Option<together_core::ConnectionId>, crate::StoreError> {
        let found: Option<String> = sqlx::query_scalar(
            "SELECT c.id FROM connection c JOIN person p ON p.id = c.person_id WHERE \
                 p.pcn_id = $1 AND p.pseudonym = $2 AND p.merged_into IS NULL AND \
                 c.service_id = $3 AND c.status <> 'ended' ORDER BY c.made_on, c.id LIMIT \
                 1",
        )
        .bind(pcn.to_string())
        .bind(pseudonym)
        .bind(service.to_string())
        .fetch_optional(&mut **tx)
        .await?;
        found
            .map(|c| crate::values::parsed("connection id", &c))
            .transpose()
    }
}

#[async_trait::async_trait]
impl<S, DB> crate::invitations::InvitationStore for S
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
    async fn invite(
        &self,
        pcn: together_core::PcnId,
        cohort: &str,
        practice: together_core::PracticeId,
        service: together_core::ServiceId,
        invitees: &[crate::invitations::Invitee],
        audit: &crate::NewAuditEvent,
    ) -> Result<crate::invitations::Invited, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let ours: Option<String> = sqlx::query_scalar(
            "SELECT c.id FROM insight_cohort c WHERE c.id = $1 AND c.pcn_id = $2 AND \
                     NOT c.deleted AND EXISTS (SELECT 1 FROM practice p WHERE p.id = $3 AND \
                     p.pcn_id = $2) AND EXISTS (SELECT 1 FROM service s WHERE s.id = $4 AND \
                     s.pcn_id = $2)",
        )
        .bind(cohort)
        .bind(pcn.to_string())
        .bind(practice.to_string())
        .bind(service.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        if ours.is_none() {
            return Err(crate::StoreError::NotFound("cohort, practice or service"));
        }
        let mut done = crate::invitations::Invited::default();
        for i in invitees {
            if Sql::<DB>::open_connection(&mut tx, pcn, &i.pseudonym, service)
                .await?
                .is_some()
            {
                done.already_connected += 1;
                continue;
            }
            let added = sqlx::query(
                "INSERT INTO invitation (id, pcn_id, cohort_id, practice_id, pseudonym, \
                         service_id, channel, invited_by, invited_at) VALUES ($1, $2, $3, $4, $5, \
                         $6, $7, $8, $9) ON CONFLICT (cohort_id, pseudonym) DO NOTHING",
            )
            .bind(together_core::InvitationId::new().to_string())
            .bind(pcn.to_string())
            .bind(cohort)
            .bind(practice.to_string())
            .bind(&i.pseudonym)
            .bind(service.to_string())
            .bind(i.channel.as_str())
            .bind(&audit.actor)
            .bind(crate::values::secs(audit.at))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if added == 1 {
                done.invited += 1;
                if let Some(m) = &i.message {
                    Sql::<DB>::write_message(&mut tx, m).await?;
                }
            }
        }
        Sql::<DB>::write_audit(&mut tx, &audit.about("cohort", cohort)).await?;
        tx.commit().await?;
        Ok(done)
    }

    async fn invitations(
        &self,
        pcn: together_core::PcnId,
        cohort: &str,
        practice: together_core::PracticeId,
    ) -> Result<Vec<crate::invitations::Invitation>, crate::StoreError> {
        sqlx::query(&format!(
            "{INVITATION_SELECT} WHERE i.pcn_id = $1 AND i.cohort_id = $2 AND \
            i.practice_id = $3 ORDER BY i.invited_at, i.id"
        ))
        .bind(pcn.to_string())
        .bind(cohort)
        .bind(practice.to_string())
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(Sql::<DB>::invitation_row)
        .collect()
    }

    async fn invitation(
        &self,
        pcn: together_core::PcnId,
        id: together_core::InvitationId,
    ) -> Result<Option<crate::invitations::Invitation>, crate::StoreError> {
        sqlx::query(&format!(
            "{INVITATION_SELECT} WHERE i.pcn_id = $1 AND i.id = $2"
        ))
        .bind(pcn.to_string())
        .bind(id.to_string())
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(Sql::<DB>::invitation_row)
        .transpose()
    }

    async fn answer_invitation(
        &self,
        pcn: together_core::PcnId,
        id: together_core::InvitationId,
        answered: &together_core::invitations::Answered,
        person: Option<&together_core::people::NewPerson>,
        by: together_core::UserId,
        follow_up_days: &[i64],
        audit: &crate::NewAuditEvent,
    ) -> Result<Option<(together_core::PersonId, together_core::ConnectionId)>, crate::StoreError>
    {
        use together_core::invitations::Answer;
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        use sqlx::Row as _;
        let state =
            sqlx::query("SELECT answer, pseudonym FROM invitation WHERE id = $1 AND pcn_id = $2")
                .bind(id.to_string())
                .bind(pcn.to_string())
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(crate::StoreError::NotFound("invitation"))?;
        if state.try_get::<Option<String>, _>("answer")?.is_some() {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::AnswerRecordedAlready,
            ));
        }
        let pseudonym = together_core::Pseudonym::parse(&state.try_get::<String, _>("pseudonym")?)
            .ok_or_else(|| crate::StoreError::Corrupt("an invitation's pseudonym".into()))?;
        let made = match (answered.answer, &answered.yes, person) {
            (Answer::Yes, Some(yes), Some(p)) => {
                let known: Option<String> = sqlx::query_scalar(
                    "SELECT id FROM person WHERE pcn_id = $1 AND pseudonym = $2 AND \
                    merged_into IS NULL ORDER BY created_at LIMIT 1",
                )
                .bind(pcn.to_string())
                .bind(pseudonym.as_str())
                .fetch_optional(&mut *tx)
                .await?;
                let person = match known {
                    Some(known) => crate::values::parsed("person id", &known)?,
                    None => {
                        Sql::<DB>::insert_person(&mut tx, pcn, p, Some(&pseudonym), audit).await?
                    }
                };
                for purpose in &yes.consents {
                    Sql::<DB>::insert_consent(
                        &mut tx,
                        person,
                        *purpose,
                        yes.method,
                        &by.to_string(),
                        audit.at,
                    )
                    .await?;
                }
                let already = match yes.connection.to {
                    together_core::connections::Target::Service(s) => {
                        Sql::<DB>::open_connection(&mut tx, pcn, pseudonym.as_str(), s).await?
                    }
                    _ => None,
                };
                let connection = match already {
                    Some(c) => c,
                    None => {
                        Sql::<DB>::connect_in(
                            &mut tx,
                            pcn,
                            person,
                            by,
                            &yes.connection,
                            follow_up_days,
                            crate::values::secs(audit.at),
                            &audit.actor,
                        )
                        .await?
                    }
                };
                Sql::<DB>::write_audit(&mut tx, &audit.about("person", person)).await?;
                Some((person, connection))
            }
            (Answer::Yes, _, _) => {
                return Err(crate::StoreError::Refused(
                    together_core::refusal::Refusal::YesNeedsWhoAndWhat,
                ))
            }
            _ => None,
        };
        sqlx::query(
            "UPDATE invitation SET answer = $1, answered_on = $2, answered_by = \
            $3, person_id = $4, connection_id = $5 WHERE id = $6",
        )
        .bind(answered.answer.as_str())
        .bind(crate::values::iso_date(answered.on))
        .bind(&audit.actor)
        .bind(made.map(|(p, _)| p.to_string()))
        .bind(made.map(|(_, c)| c.to_string()))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("invitation", id)).await?;
        tx.commit().await?;
        Ok(made)
    }
}
