//! Health pledges: kept as made, counted by practice and theme, shown on the public wall once
//! the person agreed and the coordinator checked the words, and passed to a champion when the
//! person asked for one (the champion told through the outbox in the same transaction).

use crate::sql::{Db, Pooled, Sql};
use crate::values::{at, parsed, secs};
use crate::{NewAuditEvent, NewMessage, StoreError};
use async_trait::async_trait;
use serde::Serialize;
use time::OffsetDateTime;
use together_core::pledges::{NewPledge, Place, Theme};
use together_core::{ChampionId, PcnId, PledgeId, PracticeId};

/// Where a pledge stands with the public wall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Wall {
    /// They did not agree to it being shown.
    NotAsked,
    /// They agreed; the coordinator has yet to check it.
    Waiting,
    Shown,
    /// Checked and kept off (it named someone, say).
    KeptOff,
}

impl Wall {
    pub fn as_str(self) -> &'static str {
        match self {
            Wall::NotAsked => "not_asked",
            Wall::Waiting => "waiting",
            Wall::Shown => "shown",
            Wall::KeptOff => "kept_off",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "not_asked" => Wall::NotAsked,
            "waiting" => Wall::Waiting,
            "shown" => Wall::Shown,
            "kept_off" => Wall::KeptOff,
            _ => return Err(StoreError::Corrupt("pledge wall".into())),
        })
    }
}

/// A pledge as the coordinator sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Pledge {
    pub id: PledgeId,
    pub goal: String,
    pub theme: Theme,
    pub practice_id: Option<PracticeId>,
    pub place: Place,
    pub given_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub wants_champion: bool,
    pub wall: Wall,
    pub champion_id: Option<ChampionId>,
    #[serde(with = "time::serde::rfc3339")]
    pub made_at: OffsetDateTime,
}

#[async_trait]
pub trait PledgeStore {
    /// Keeps a pledge (at a practice of the PCN, `NotFound("practice")` otherwise).
    async fn add_pledge(
        &self,
        pcn: PcnId,
        p: &NewPledge,
        audit: &NewAuditEvent,
    ) -> Result<PledgeId, StoreError>;
    /// Every pledge of the PCN, newest first.
    async fn pledges(&self, pcn: PcnId) -> Result<Vec<Pledge>, StoreError>;
    /// The words of the pledges shown on the wall, newest first, at most `limit`, and how many
    /// pledges were made in all.
    async fn pledge_wall(
        &self,
        pcn: PcnId,
        limit: i64,
    ) -> Result<(Vec<(String, Theme)>, i64), StoreError>;
    /// Shows a pledge whose maker agreed to it, or keeps it off (`Refused` for one not asked).
    async fn set_pledge_wall(
        &self,
        pcn: PcnId,
        id: PledgeId,
        shown: bool,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// Asks an active champion to help the maker keep a pledge they wanted help with, telling
    /// the champion how to reach them in the same transaction.
    async fn ask_champion_for_pledge(
        &self,
        pcn: PcnId,
        id: PledgeId,
        champion: ChampionId,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
}

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
    fn pledge_row(r: &DB::Row) -> Result<Pledge, StoreError> {
        use sqlx::Row as _;
        Ok(Pledge {
            id: parsed("pledge id", &r.try_get::<String, _>("id")?)?,
            goal: r.try_get("goal")?,
            theme: r
                .try_get::<String, _>("theme")?
                .parse()
                .map_err(|_| StoreError::Corrupt("pledge theme".into()))?,
            practice_id: r
                .try_get::<Option<String>, _>("practice_id")?
                .map(|p| parsed("practice id", &p))
                .transpose()?,
            place: r
                .try_get::<String, _>("place")?
                .parse()
                .map_err(|_| StoreError::Corrupt("pledge place".into()))?,
            given_name: r.try_get("given_name")?,
            phone: r.try_get("phone")?,
            email: r.try_get("email")?,
            wants_champion: r.try_get("wants_champion")?,
            wall: Wall::parse(&r.try_get::<String, _>("wall")?)?,
            champion_id: r
                .try_get::<Option<String>, _>("champion_id")?
                .map(|c| parsed("champion id", &c))
                .transpose()?,
            made_at: at(r.try_get("made_at")?)?,
        })
    }
}

#[async_trait]
impl<S, DB> PledgeStore for S
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
    async fn add_pledge(
        &self,
        pcn: PcnId,
        p: &NewPledge,
        audit: &NewAuditEvent,
    ) -> Result<PledgeId, StoreError> {
        let mut tx = Sql::begin(self.pool()).await?;
        if let Some(practice) = p.practice_id {
            let ours: Option<String> =
                sqlx::query_scalar("SELECT id FROM practice WHERE id = $1 AND pcn_id = $2")
                    .bind(practice.to_string())
                    .bind(pcn.to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
            if ours.is_none() {
                return Err(StoreError::NotFound("practice"));
            }
        }
        let id = PledgeId::new();
        let wall = if p.on_wall {
            Wall::Waiting
        } else {
            Wall::NotAsked
        };
        sqlx::query(
            "INSERT INTO pledge (id, pcn_id, goal, theme, practice_id, place, given_name, phone, \
             email, wants_champion, wall, made_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(id.to_string())
        .bind(pcn.to_string())
        .bind(&p.goal)
        .bind(p.theme.as_str())
        .bind(p.practice_id.map(|x| x.to_string()))
        .bind(p.place.as_str())
        .bind(p.contact.as_ref().map(|c| c.given_name.clone()))
        .bind(p.contact.as_ref().and_then(|c| c.phone.clone()))
        .bind(p.contact.as_ref().and_then(|c| c.email.clone()))
        .bind(p.contact.is_some())
        .bind(wall.as_str())
        .bind(secs(audit.at))
        .execute(&mut *tx)
        .await?;
        Sql::write_audit(&mut tx, &audit.about("pledge", id)).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn pledges(&self, pcn: PcnId) -> Result<Vec<Pledge>, StoreError> {
        sqlx::query("SELECT * FROM pledge WHERE pcn_id = $1 ORDER BY made_at DESC, id")
            .bind(pcn.to_string())
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(Sql::<DB>::pledge_row)
            .collect()
    }

    async fn pledge_wall(
        &self,
        pcn: PcnId,
        limit: i64,
    ) -> Result<(Vec<(String, Theme)>, i64), StoreError> {
        use sqlx::Row as _;
        let shown = sqlx::query(
            "SELECT goal, theme FROM pledge WHERE pcn_id = $1 AND wall = 'shown' \
             ORDER BY made_at DESC, id LIMIT $2",
        )
        .bind(pcn.to_string())
        .bind(limit)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            let theme = r
                .try_get::<String, _>("theme")?
                .parse()
                .map_err(|_| StoreError::Corrupt("pledge theme".into()))?;
            Ok((r.try_get("goal")?, theme))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        let made: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pledge WHERE pcn_id = $1")
            .bind(pcn.to_string())
            .fetch_one(self.pool())
            .await?;
        Ok((shown, made))
    }

    async fn set_pledge_wall(
        &self,
        pcn: PcnId,
        id: PledgeId,
        shown: bool,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = Sql::begin(self.pool()).await?;
        let wall: Option<String> =
            sqlx::query_scalar("SELECT wall FROM pledge WHERE id = $1 AND pcn_id = $2")
                .bind(id.to_string())
                .bind(pcn.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        match wall.as_deref() {
            None => return Err(StoreError::NotFound("pledge")),
            Some("not_asked") => {
                return Err(StoreError::Refused(
                    together_core::refusal::Refusal::NotAgreedToWall,
                ))
            }
            Some(_) => {}
        }
        sqlx::query("UPDATE pledge SET wall = $1 WHERE id = $2")
            .bind(if shown { "shown" } else { "kept_off" })
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        Sql::write_audit(&mut tx, &audit.about("pledge", id)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn ask_champion_for_pledge(
        &self,
        pcn: PcnId,
        id: PledgeId,
        champion: ChampionId,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = Sql::begin(self.pool()).await?;
        let Some(p) = sqlx::query("SELECT * FROM pledge WHERE id = $1 AND pcn_id = $2")
            .bind(id.to_string())
            .bind(pcn.to_string())
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Err(StoreError::NotFound("pledge"));
        };
        let p = Sql::<DB>::pledge_row(&p)?;
        if !p.wants_champion {
            return Err(StoreError::Refused(
                together_core::refusal::Refusal::DidNotAskForChampion,
            ));
        }
        let c = Sql::<DB>::champion_in(&mut tx, pcn, champion).await?;
        if c.stage != together_core::champions::Stage::Active {
            return Err(StoreError::Refused(
                together_core::refusal::Refusal::ChampionNotActive,
            ));
        }
        sqlx::query("UPDATE pledge SET champion_id = $1 WHERE id = $2")
            .bind(champion.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        if let Some((channel, recipient)) = c.reach() {
            let reach = [p.phone.as_deref(), p.email.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" or ");
            let message = NewMessage {
                pcn_id: Some(pcn),
                person: None,
                channel,
                recipient,
                subject: "Someone would like a champion's help with their pledge".into(),
                body: format!(
                    "{}, {} made a health pledge and would like a champion to help them keep \
                     it: \"{}\". They asked to be contacted on {reach}. Thank you.",
                    c.given_name,
                    p.given_name.as_deref().unwrap_or("someone"),
                    p.goal
                ),
                now: audit.at,
            };
            Sql::write_message(&mut tx, &message).await?;
        }
        Sql::write_audit(&mut tx, &audit.about("pledge", id)).await?;
        tx.commit().await?;
        Ok(())
    }
}
