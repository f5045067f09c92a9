//! Equipment loans. The store enforces what must never slip: an item goes to one person at a
//! time, only in a condition fit to lend and only once cleaned since it last came back; a loan
//! is handled only by an active champion who leads the offer it is lent through; and the
//! readings brought back are written here and read back only through [`LoanStore::bp_readings`],
//! which audits the read (the policy lets only the person's own clinicians ask).

use crate::sql::{Db, Pooled, RowsAffected as _, Sql, Tx};
use crate::{NewAuditEvent, StoreError};
use async_trait::async_trait;
use serde::Serialize;
use time::Date;
use together_core::loans::{BpReading, NewCleaning, NewItem, NewLoan, NewReturn};
use together_core::{ChampionId, ItemId, LoanId, PcnId, PersonId, ServiceId};

/// An item in the inventory, with where it is now.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub id: ItemId,
    pub kind: String,
    pub name: String,
    pub serial: String,
    pub condition: String,
    pub offer_id: Option<ServiceId>,
    pub offer_name: Option<String>,
    pub notes: String,
    pub last_cleaned: Option<Date>,
    pub last_returned: Option<Date>,
    /// When the open loan is due back, if it is out.
    pub due_on: Option<Date>,
}

impl Item {
    /// It came back and has not been cleaned since.
    pub fn needs_cleaning(&self) -> bool {
        self.last_returned
            .is_some_and(|r| self.last_cleaned.is_none_or(|c| c < r))
    }

    /// Why it cannot be lent now, or `None` when it can.
    pub fn not_lendable(&self) -> Option<String> {
        if let Some(due) = self.due_on {
            Some(format!(
                "It is out on loan until {}",
                crate::values::long_date(due)
            ))
        } else if !together_core::loans::lendable(&self.condition) {
            Some("Its condition says it is not to be lent".into())
        } else if self.needs_cleaning() {
            Some("It has not been cleaned since it came back: record the cleaning first".into())
        } else {
            None
        }
    }
}

/// One cleaning of an item.
#[derive(Debug, Clone, Serialize)]
pub struct Cleaning {
    pub cleaned_on: Date,
    pub note: String,
    pub recorded_by: String,
}

/// A loan, with the person as a champion may see them: first name and initial, and how to
/// reach them only when they agreed to it being shared with champions.
#[derive(Debug, Clone, Serialize)]
pub struct Loan {
    pub id: LoanId,
    pub item_id: ItemId,
    pub item_name: String,
    pub serial: String,
    pub person_id: PersonId,
    pub person_label: String,
    pub reach: Option<String>,
    pub lent_on: Date,
    pub due_on: Date,
    pub handled_by: Option<ChampionId>,
    pub handler_name: Option<String>,
    pub returned_on: Option<Date>,
    pub return_condition: Option<String>,
}

impl Loan {
    pub fn overdue(&self, today: Date) -> bool {
        self.returned_on.is_none() && self.due_on < today
    }
}

/// Which loans to list.
#[derive(Debug, Clone, Default)]
pub struct LoanFilter {
    pub id: Option<LoanId>,
    pub item: Option<ItemId>,
    pub person: Option<PersonId>,
    pub handled_by: Option<ChampionId>,
    pub open_only: bool,
}

/// The readings of one return (or one average), for the person's clinician.
#[derive(Debug, Clone, Serialize)]
pub struct ReadingSet {
    pub loan_id: Option<LoanId>,
    pub item_name: Option<String>,
    pub returned_on: Option<Date>,
    #[serde(skip)]
    pub readings: Vec<BpReading>,
    /// Set when the one reading is an average of this many.
    pub average_of: Option<i64>,
}

#[async_trait]
pub trait LoanStore {
    async fn add_item(
        &self,
        pcn: PcnId,
        item: &NewItem,
        audit: &NewAuditEvent,
    ) -> Result<ItemId, StoreError>;
    async fn set_item_condition(
        &self,
        pcn: PcnId,
        item: ItemId,
        condition: &str,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// The PCN's inventory by name.
    async fn items(&self, pcn: PcnId) -> Result<Vec<Item>, StoreError>;
    async fn item(&self, pcn: PcnId, id: ItemId) -> Result<Item, StoreError>;
    async fn add_cleaning(
        &self,
        pcn: PcnId,
        item: ItemId,
        c: &NewCleaning,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// An item's cleaning log, latest first.
    async fn cleanings(&self, pcn: PcnId, item: ItemId) -> Result<Vec<Cleaning>, StoreError>;
    /// Lends an item to a person from today, with every rule checked; the champion asked to
    /// handle it is told through the outbox in the same transaction.
    async fn lend(
        &self,
        pcn: PcnId,
        person: PersonId,
        loan: &NewLoan,
        audit: &NewAuditEvent,
    ) -> Result<LoanId, StoreError>;
    /// Loans matching the filter, open ones first and then by due date; audited as one read,
    /// since it names people.
    async fn loans(
        &self,
        pcn: PcnId,
        filter: &LoanFilter,
        audit: &NewAuditEvent,
    ) -> Result<Vec<Loan>, StoreError>;
    /// Records a loan's return: its condition, a cleaning if it was cleaned, and the readings
    /// brought back, all or nothing. With `handler`, refused unless that champion handles it.
    async fn return_loan(
        &self,
        pcn: PcnId,
        loan: LoanId,
        handler: Option<ChampionId>,
        r: &NewReturn,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// The readings brought back for a person, latest first. Audited; ask only for a clinician
    /// of the person's practice.
    async fn bp_readings(
        &self,
        pcn: PcnId,
        person: PersonId,
        audit: &NewAuditEvent,
    ) -> Result<Vec<ReadingSet>, StoreError>;
    /// Tells the person (if they agreed to be contacted) and the champion handling it (else
    /// whoever lent it) about each loan overdue on `today`, once a week; returns how many
    /// loans were reminded of.
    async fn send_loan_reminders(
        &self,
        pcn: PcnId,
        today: Date,
        now: time::OffsetDateTime,
    ) -> Result<usize, StoreError>;
}

/// Where a person who agreed to be contacted would like a message to go.
pub(crate) fn person_reach(
    preference: &str,
    phone: Option<String>,
    email: Option<String>,
) -> Option<(crate::Channel, String)> {
    match (preference, phone, email) {
        ("email", _, Some(e)) => Some((crate::Channel::Email, e)),
        ("phone" | "text", Some(p), _) => Some((crate::Channel::Sms, p)),
        (_, None, Some(e)) => Some((crate::Channel::Email, e)),
        (_, Some(p), None) => Some((crate::Channel::Sms, p)),
        _ => None,
    }
}

// The SQL below is shared by both backends: see crate::sql for the bounds.
pub(crate) const ITEM_SELECT: &str =
    "SELECT i.id, i.kind, i.name, i.serial, i.condition, i.service_id, v.name \
    AS offer_name, i.notes, (SELECT MAX(c.cleaned_on) FROM \
    equipment_cleaning c WHERE c.item_id = i.id) AS last_cleaned, (SELECT \
    MAX(l.returned_on) FROM equipment_loan l WHERE l.item_id = i.id) AS \
    last_returned, (SELECT l.due_on FROM equipment_loan l WHERE l.item_id = \
    i.id AND l.returned_on IS NULL) AS due_on FROM equipment_item i LEFT \
    JOIN service v ON v.id = i.service_id";

pub(crate) const LOAN_SELECT: &str =
    "SELECT l.id, l.item_id, i.name AS item_name, i.serial, l.person_id, \
    p.given_name, p.family_name, p.phone, p.email, EXISTS (SELECT 1 FROM \
    consent c WHERE c.person_id = p.id AND c.purpose = \
    'share_with_champions' AND c.withdrawn_at IS NULL) AS shared, l.lent_on, \
    l.due_on, l.champion_id, ch.given_name AS handler_given, ch.family_name \
    AS handler_family, l.returned_on, l.return_condition FROM equipment_loan \
    l JOIN equipment_item i ON i.id = l.item_id JOIN person p ON p.id = \
    l.person_id LEFT JOIN champion ch ON ch.id = l.champion_id";

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
    pub(crate) fn opt_date(r: &DB::Row, c: &str) -> Result<Option<time::Date>, crate::StoreError> {
        use sqlx::Row as _;
        r.try_get::<Option<String>, _>(c)?
            .map(|s| crate::values::parse_iso_date(&s))
            .transpose()
    }

    pub(crate) fn item_row(r: &DB::Row) -> Result<crate::loans::Item, crate::StoreError> {
        use crate::values::parsed;
        use sqlx::Row as _;
        Ok(crate::loans::Item {
            id: parsed("item id", &r.try_get::<String, _>("id")?)?,
            kind: r.try_get("kind")?,
            name: r.try_get("name")?,
            serial: r.try_get("serial")?,
            condition: r.try_get("condition")?,
            offer_id: r
                .try_get::<Option<String>, _>("service_id")?
                .map(|s| parsed("offer id", &s))
                .transpose()?,
            offer_name: r.try_get("offer_name")?,
            notes: r.try_get("notes")?,
            last_cleaned: Sql::<DB>::opt_date(r, "last_cleaned")?,
            last_returned: Sql::<DB>::opt_date(r, "last_returned")?,
            due_on: Sql::<DB>::opt_date(r, "due_on")?,
        })
    }

    pub(crate) fn loan_row(r: &DB::Row) -> Result<crate::loans::Loan, crate::StoreError> {
        use crate::values::{parse_iso_date, parsed};
        use sqlx::Row as _;
        let given: String = r.try_get("given_name")?;
        let family: String = r.try_get("family_name")?;
        let shared: bool = r.try_get("shared")?;
        let handler = match (
            r.try_get::<Option<String>, _>("handler_given")?,
            r.try_get::<Option<String>, _>("handler_family")?,
        ) {
            (Some(g), Some(f)) => Some(format!("{g} {f}")),
            _ => None,
        };
        Ok(crate::loans::Loan {
            id: parsed("loan id", &r.try_get::<String, _>("id")?)?,
            item_id: parsed("item id", &r.try_get::<String, _>("item_id")?)?,
            item_name: r.try_get("item_name")?,
            serial: r.try_get("serial")?,
            person_id: parsed("person id", &r.try_get::<String, _>("person_id")?)?,
            person_label: crate::values::person_label(given, &family),
            reach: if shared {
                r.try_get::<Option<String>, _>("phone")?
                    .or(r.try_get::<Option<String>, _>("email")?)
            } else {
                None
            },
            lent_on: parse_iso_date(&r.try_get::<String, _>("lent_on")?)?,
            due_on: parse_iso_date(&r.try_get::<String, _>("due_on")?)?,
            handled_by: r
                .try_get::<Option<String>, _>("champion_id")?
                .map(|s| parsed("champion id", &s))
                .transpose()?,
            handler_name: handler,
            returned_on: Sql::<DB>::opt_date(r, "returned_on")?,
            return_condition: r.try_get("return_condition")?,
        })
    }

    pub(crate) async fn item_in(
        tx: &mut Tx<'_, DB>,
        pcn: together_core::PcnId,
        id: together_core::ItemId,
    ) -> Result<crate::loans::Item, crate::StoreError> {
        sqlx::query(&format!("{ITEM_SELECT} WHERE i.id = $1 AND i.pcn_id = $2"))
            .bind(id.to_string())
            .bind(pcn.to_string())
            .fetch_optional(&mut **tx)
            .await?
            .as_ref()
            .map(Sql::<DB>::item_row)
            .transpose()?
            .ok_or(crate::StoreError::NotFound("item"))
    }

    /// Loans matching a filter; the caller audits.
    pub(crate) async fn loans_in(
        tx: &mut Tx<'_, DB>,
        pcn: together_core::PcnId,
        f: &crate::loans::LoanFilter,
    ) -> Result<Vec<crate::loans::Loan>, crate::StoreError> {
        sqlx::query(&format!(
            "{LOAN_SELECT} WHERE l.pcn_id = $1 AND ($2 IS NULL OR l.id = $2) AND ($3 \
                 IS NULL OR l.item_id = $3) AND ($4 IS NULL OR l.person_id = $4) AND ($5 \
                 IS NULL OR l.champion_id = $5) AND ($6 = 0 OR l.returned_on IS NULL) \
                 ORDER BY CASE WHEN l.returned_on IS NULL THEN 0 ELSE 1 END, l.due_on, \
                 l.returned_on DESC, l.id LIMIT 1000"
        ))
        .bind(pcn.to_string())
        .bind(f.id.map(|i| i.to_string()))
        .bind(f.item.map(|i| i.to_string()))
        .bind(f.person.map(|i| i.to_string()))
        .bind(f.handled_by.map(|i| i.to_string()))
        .bind(i64::from(f.open_only))
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(Sql::<DB>::loan_row)
        .collect()
    }
}

#[async_trait::async_trait]
impl<S, DB> crate::loans::LoanStore for S
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
    async fn add_item(
        &self,
        pcn: together_core::PcnId,
        item: &together_core::loans::NewItem,
        audit: &crate::NewAuditEvent,
    ) -> Result<together_core::ItemId, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        if let Some(offer) = item.offer {
            let kind: Option<String> =
                sqlx::query_scalar("SELECT offer_kind FROM service WHERE id = $1 AND pcn_id = $2")
                    .bind(offer.to_string())
                    .bind(pcn.to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
            match kind.as_deref() {
                None => return Err(crate::StoreError::NotFound("offer")),
                Some("equipment_loan") => {}
                Some(_) => {
                    return Err(crate::StoreError::Refused(
                        together_core::refusal::Refusal::LentThroughEquipmentOffer,
                    ))
                }
            }
        }
        let id = together_core::ItemId::new();
        sqlx::query(
            "INSERT INTO equipment_item (id, pcn_id, service_id, kind, name, \
                        serial, condition, notes, added_at) VALUES ($1, $2, $3, $4, $5, $6, \
                        $7, $8, $9)",
        )
        .bind(id.to_string())
        .bind(pcn.to_string())
        .bind(item.offer.map(|o| o.to_string()))
        .bind(item.kind)
        .bind(&item.name)
        .bind(&item.serial)
        .bind(item.condition)
        .bind(&item.notes)
        .bind(crate::values::secs(audit.at))
        .execute(&mut *tx)
        .await
        .map_err(|e| match crate::StoreError::from(e) {
            crate::StoreError::Conflict(_) => crate::StoreError::Refused(
                together_core::refusal::Refusal::SerialInInventory(item.serial.clone()),
            ),
            other => other,
        })?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("equipment_item", id)).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn set_item_condition(
        &self,
        pcn: together_core::PcnId,
        item: together_core::ItemId,
        condition: &str,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        if !together_core::loans::CONDITIONS
            .iter()
            .any(|(k, _)| *k == condition)
        {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::ChooseCondition,
            ));
        }
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let done =
            sqlx::query("UPDATE equipment_item SET condition = $1 WHERE id = $2 AND pcn_id = $3")
                .bind(condition)
                .bind(item.to_string())
                .bind(pcn.to_string())
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 0 {
            return Err(crate::StoreError::NotFound("item"));
        }
        Sql::<DB>::write_audit(&mut tx, &audit.about("equipment_item", item)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn items(
        &self,
        pcn: together_core::PcnId,
    ) -> Result<Vec<crate::loans::Item>, crate::StoreError> {
        sqlx::query(&format!(
            "{ITEM_SELECT} WHERE i.pcn_id = $1 ORDER BY i.name, i.serial"
        ))
        .bind(pcn.to_string())
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(Sql::<DB>::item_row)
        .collect()
    }

    async fn item(
        &self,
        pcn: together_core::PcnId,
        id: together_core::ItemId,
    ) -> Result<crate::loans::Item, crate::StoreError> {
        let mut tx = self.pool().begin().await?;
        Sql::<DB>::item_in(&mut tx, pcn, id).await
    }

    async fn add_cleaning(
        &self,
        pcn: together_core::PcnId,
        item: together_core::ItemId,
        c: &together_core::loans::NewCleaning,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        Sql::<DB>::item_in(&mut tx, pcn, item).await?;
        sqlx::query(
            "INSERT INTO equipment_cleaning (id, item_id, cleaned_on, note, \
            recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(item.to_string())
        .bind(crate::values::iso_date(c.cleaned_on))
        .bind(&c.note)
        .bind(&audit.actor)
        .bind(crate::values::secs(audit.at))
        .execute(&mut *tx)
        .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("equipment_item", item)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn cleanings(
        &self,
        pcn: together_core::PcnId,
        item: together_core::ItemId,
    ) -> Result<Vec<crate::loans::Cleaning>, crate::StoreError> {
        use sqlx::Row as _;
        sqlx::query(
            "SELECT c.cleaned_on, c.note, c.recorded_by FROM equipment_cleaning c \
                     JOIN equipment_item i ON i.id = c.item_id WHERE c.item_id = $1 AND \
                     i.pcn_id = $2 ORDER BY c.cleaned_on DESC, c.recorded_at DESC",
        )
        .bind(item.to_string())
        .bind(pcn.to_string())
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(crate::loans::Cleaning {
                cleaned_on: crate::values::parse_iso_date(&r.try_get::<String, _>("cleaned_on")?)?,
                note: r.try_get("note")?,
                recorded_by: r.try_get("recorded_by")?,
            })
        })
        .collect()
    }

    async fn lend(
        &self,
        pcn: together_core::PcnId,
        person: together_core::PersonId,
        loan: &together_core::loans::NewLoan,
        audit: &crate::NewAuditEvent,
    ) -> Result<together_core::LoanId, crate::StoreError> {
        use sqlx::Row as _;
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let item = Sql::<DB>::item_in(&mut tx, pcn, loan.item).await?;
        if let Some(why) = item.not_lendable() {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::CannotBeLent {
                    item: item.name.clone(),
                    why,
                },
            ));
        }
        let who =
            sqlx::query("SELECT given_name, family_name FROM person WHERE id = $1 AND pcn_id = $2")
                .bind(person.to_string())
                .bind(pcn.to_string())
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(crate::StoreError::NotFound("person"))?;
        let today = audit.at.date();
        let handler = match loan.handled_by {
            Some(c) => {
                let champion = Sql::<DB>::champion_in(&mut tx, pcn, c).await?;
                if champion.stage != together_core::champions::Stage::Active {
                    return Err(crate::StoreError::Refused(
                        together_core::refusal::Refusal::NotActiveToLend(
                            champion.given_name.clone(),
                        ),
                    ));
                }
                if let Some(offer) = item.offer_id {
                    let leads: Option<String> = sqlx::query_scalar(
                        "SELECT champion_id FROM offer_lead WHERE service_id = $1 AND \
                        champion_id = $2",
                    )
                    .bind(offer.to_string())
                    .bind(c.to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
                    if leads.is_none() {
                        return Err(crate::StoreError::Refused(
                            together_core::refusal::Refusal::NotALead {
                                champion: champion.given_name.clone(),
                                offer: item.offer_name.clone().unwrap_or_default(),
                            },
                        ));
                    }
                }
                Some(champion)
            }
            None => None,
        };
        let id = together_core::LoanId::new();
        sqlx::query(
            "INSERT INTO equipment_loan (id, pcn_id, item_id, person_id, lent_on, \
                     due_on, champion_id, lent_by, created_at) VALUES ($1, $2, $3, $4, $5, \
                     $6, $7, $8, $9)",
        )
        .bind(id.to_string())
        .bind(pcn.to_string())
        .bind(loan.item.to_string())
        .bind(person.to_string())
        .bind(crate::values::iso_date(today))
        .bind(crate::values::iso_date(loan.due_on))
        .bind(loan.handled_by.map(|c| c.to_string()))
        .bind(&audit.actor)
        .bind(crate::values::secs(audit.at))
        .execute(&mut *tx)
        .await
        .map_err(|e| match crate::StoreError::from(e) {
            crate::StoreError::Conflict(_) => crate::StoreError::Refused(
                together_core::refusal::Refusal::LentMeanwhile(item.name.clone()),
            ),
            other => other,
        })?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("equipment_loan", id)).await?;
        if let Some(c) = handler {
            if let Some((channel, recipient)) = c.reach() {
                let label = together_core::offers::register_label(&format!(
                    "{} {}",
                    who.try_get::<String, _>("given_name")?,
                    who.try_get::<String, _>("family_name")?
                ))
                .unwrap_or_default();
                Sql::<DB>::write_message(&mut tx, &crate::NewMessage {
                            pcn_id: Some(pcn),
                            person: None,
                            channel,
                            recipient,
                            subject: format!("Please take {} to {label}", item.name),
                            body: format!(
                                "{}, would you take {} (serial {}) to {label}? It is due back on {}. How \
                                 to reach them is on My loans in Together, if they agreed to it.",
                                c.given_name, item.name, item.serial, crate::values::long_date(loan.due_on)
                            ),
                            now: audit.at,
                        })
                        .await?;
            }
        }
        tx.commit().await?;
        Ok(id)
    }

    async fn loans(
        &self,
        pcn: together_core::PcnId,
        filter: &crate::loans::LoanFilter,
        audit: &crate::NewAuditEvent,
    ) -> Result<Vec<crate::loans::Loan>, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let loans = Sql::<DB>::loans_in(&mut tx, pcn, filter).await?;
        Sql::<DB>::write_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(loans)
    }

    async fn return_loan(
        &self,
        pcn: together_core::PcnId,
        loan: together_core::LoanId,
        handler: Option<together_core::ChampionId>,
        r: &together_core::loans::NewReturn,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let filter = crate::loans::LoanFilter {
            id: Some(loan),
            ..Default::default()
        };
        let l = Sql::<DB>::loans_in(&mut tx, pcn, &filter)
            .await?
            .pop()
            .ok_or(crate::StoreError::NotFound("loan"))?;
        if handler.is_some() && l.handled_by != handler {
            return Err(crate::StoreError::NotFound("loan"));
        }
        if let Some(back) = l.returned_on {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::CameBackAlready {
                    item: l.item_name.clone(),
                    on: back,
                },
            ));
        }
        if r.returned_on < l.lent_on {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::BackBeforeLent(l.lent_on),
            ));
        }
        let back = crate::values::iso_date(r.returned_on);
        sqlx::query(
            "UPDATE equipment_loan SET returned_on = $1, return_condition = $2, \
            returned_by = $3 WHERE id = $4",
        )
        .bind(&back)
        .bind(r.condition)
        .bind(&audit.actor)
        .bind(loan.to_string())
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE equipment_item SET condition = $1 WHERE id = $2")
            .bind(r.condition)
            .bind(l.item_id.to_string())
            .execute(&mut *tx)
            .await?;
        if r.cleaned {
            sqlx::query(
                "INSERT INTO equipment_cleaning (id, item_id, cleaned_on, note, \
                recorded_by, recorded_at) VALUES ($1, $2, $3, 'Cleaned as it came \
                back', $4, $5)",
            )
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(l.item_id.to_string())
            .bind(&back)
            .bind(&audit.actor)
            .bind(crate::values::secs(audit.at))
            .execute(&mut *tx)
            .await?;
        }
        if let Some(readings) = &r.readings {
            for (i, reading) in readings.readings.iter().enumerate() {
                sqlx::query(
                            "INSERT INTO bp_reading (id, pcn_id, person_id, loan_id, position, \
                             systolic, diastolic, pulse, average_of, recorded_by, recorded_at) VALUES \
                             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                        )
                        .bind(uuid::Uuid::new_v4().to_string())
                        .bind(pcn.to_string())
                        .bind(l.person_id.to_string())
                        .bind(loan.to_string())
                        .bind(i as i64)
                        .bind(reading.systolic)
                        .bind(reading.diastolic)
                        .bind(reading.pulse)
                        .bind(readings.average_of)
                        .bind(&audit.actor)
                        .bind(crate::values::secs(audit.at))
                        .execute(&mut *tx)
                        .await?;
            }
        }
        Sql::<DB>::write_audit(&mut tx, &audit.about("equipment_loan", loan)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn bp_readings(
        &self,
        pcn: together_core::PcnId,
        person: together_core::PersonId,
        audit: &crate::NewAuditEvent,
    ) -> Result<Vec<crate::loans::ReadingSet>, crate::StoreError> {
        use sqlx::Row as _;
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let rows = sqlx::query(
            "SELECT r.loan_id, i.name AS item_name, l.returned_on, r.systolic, \
                     r.diastolic, r.pulse, r.average_of, r.recorded_at FROM bp_reading r LEFT \
                     JOIN equipment_loan l ON l.id = r.loan_id LEFT JOIN equipment_item i ON \
                     i.id = l.item_id WHERE r.person_id = $1 AND r.pcn_id = $2 ORDER BY \
                     r.recorded_at DESC, r.loan_id, r.position",
        )
        .bind(person.to_string())
        .bind(pcn.to_string())
        .fetch_all(&mut *tx)
        .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("bp_readings", person)).await?;
        tx.commit().await?;
        let mut sets: Vec<(crate::loans::ReadingSet, i64)> = Vec::new();
        for r in &rows {
            let loan_id: Option<String> = r.try_get("loan_id")?;
            let recorded_at: i64 = r.try_get("recorded_at")?;
            let reading = together_core::loans::BpReading {
                systolic: r.try_get("systolic")?,
                diastolic: r.try_get("diastolic")?,
                pulse: r.try_get("pulse")?,
            };
            let loan_id = loan_id
                .map(|s| crate::values::parsed("loan id", &s))
                .transpose()?;
            match sets.last_mut() {
                Some((set, at)) if set.loan_id == loan_id && *at == recorded_at => {
                    set.readings.push(reading)
                }
                _ => sets.push((
                    crate::loans::ReadingSet {
                        loan_id,
                        item_name: r.try_get("item_name")?,
                        returned_on: Sql::<DB>::opt_date(r, "returned_on")?,
                        readings: vec![reading],
                        average_of: r.try_get("average_of")?,
                    },
                    recorded_at,
                )),
            }
        }
        Ok(sets.into_iter().map(|(s, _)| s).collect())
    }

    async fn send_loan_reminders(
        &self,
        pcn: together_core::PcnId,
        today: time::Date,
        now: time::OffsetDateTime,
    ) -> Result<usize, crate::StoreError> {
        use crate::values::iso_date;
        use sqlx::Row as _;
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let again = today - time::Duration::days(together_core::loans::REMIND_EVERY_DAYS);
        let due = sqlx::query(
            "SELECT l.id, l.lent_by, p.contact_preference, p.phone, p.email, EXISTS \
                     (SELECT 1 FROM consent c WHERE c.person_id = p.id AND c.purpose = \
                     'contact' AND c.withdrawn_at IS NULL) AS may_contact FROM equipment_loan \
                     l JOIN person p ON p.id = l.person_id WHERE l.pcn_id = $1 AND \
                     l.returned_on IS NULL AND l.due_on < $2 AND (l.reminded_on IS NULL OR \
                     l.reminded_on <= $3)",
        )
        .bind(pcn.to_string())
        .bind(iso_date(today))
        .bind(iso_date(again))
        .fetch_all(&mut *tx)
        .await?;
        for row in &due {
            let id: String = row.try_get("id")?;
            let filter = crate::loans::LoanFilter {
                id: Some(crate::values::parsed("loan id", &id)?),
                ..Default::default()
            };
            let Some(l) = Sql::<DB>::loans_in(&mut tx, pcn, &filter).await?.pop() else {
                continue;
            };
            let may_contact: bool = row.try_get("may_contact")?;
            let person = if may_contact {
                crate::loans::person_reach(
                    &row.try_get::<String, _>("contact_preference")?,
                    row.try_get("phone")?,
                    row.try_get("email")?,
                )
            } else {
                None
            };
            let told = person.is_some();
            if let Some((channel, recipient)) = person {
                Sql::<DB>::write_message(
                    &mut tx,
                    &crate::NewMessage {
                        pcn_id: Some(pcn),
                        person: Some(l.person_id),
                        channel,
                        recipient,
                        subject: format!("Your {} is due back", l.item_name),
                        body: format!(
                            "Hello {}, the {} you borrowed was due back on {}. Please bring it \
                                    back, or reply to say when someone can collect it. Thank you.",
                            l.person_label,
                            l.item_name,
                            crate::values::long_date(l.due_on)
                        ),
                        now,
                    },
                )
                .await?;
            }
            let handler = match l.handled_by {
                Some(c) => Sql::<DB>::champion_in(&mut tx, pcn, c)
                    .await?
                    .reach()
                    .map(|to| (to, "on My loans")),
                None => {
                    let lent_by: String = row.try_get("lent_by")?;
                    let email: Option<String> = match lent_by.strip_prefix("user:") {
                        Some(u) => {
                            sqlx::query_scalar("SELECT email FROM app_user WHERE id = $1")
                                .bind(u)
                                .fetch_optional(&mut *tx)
                                .await?
                        }
                        None => None,
                    };
                    email.map(|e| ((crate::Channel::Email, e), "on the equipment page"))
                }
            };
            if let Some(((channel, recipient), where_)) = handler {
                Sql::<DB>::write_message(
                    &mut tx,
                    &crate::NewMessage {
                        pcn_id: Some(pcn),
                        person: None,
                        channel,
                        recipient,
                        subject: format!("Overdue: {}", l.item_name),
                        body: format!(
                            "{} (serial {}), lent to {}, was due back on {}. {}. Record it \
                                    {where_} when it comes back.",
                            l.item_name,
                            l.serial,
                            l.person_label,
                            crate::values::long_date(l.due_on),
                            if told {
                                "They have been sent a reminder"
                            } else {
                                "They have not agreed to messages, so they were not sent one"
                            }
                        ),
                        now,
                    },
                )
                .await?;
            }
            sqlx::query("UPDATE equipment_loan SET reminded_on = $1 WHERE id = $2")
                .bind(iso_date(today))
                .bind(&id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(due.len())
    }
}
