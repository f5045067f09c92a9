//! People beyond finding and reading them: their details corrected and what matters to them
//! kept up to date, the PCN's spreadsheets of people brought in, and duplicate records merged
//! with the history of both kept. Each change is audited in its own transaction.

use crate::sql::{Db, Pooled, RowsAffected as _, Sql};
use crate::{NewAuditEvent, StoreError};
use async_trait::async_trait;
use together_core::people::{ConsentMethod, ConsentPurpose, NewPerson};
use together_core::{PcnId, PersonId, Pseudonym};

/// One person of an imported spreadsheet, checked: their details, the pseudonym of their NHS
/// number (the number itself never reaches the store) and what they agreed to, and how.
#[derive(Debug, Clone)]
pub struct ImportedPerson {
    pub person: NewPerson,
    pub pseudonym: Option<Pseudonym>,
    pub consents: Vec<ConsentPurpose>,
    pub method: Option<ConsentMethod>,
}

impl ImportedPerson {
    /// A checked row of the people spreadsheet, its NHS number pseudonymised by `key` before
    /// anything is written.
    pub fn pseudonymised(
        person: NewPerson,
        consents: Vec<ConsentPurpose>,
        method: Option<ConsentMethod>,
        key: &together_core::PseudonymKey,
    ) -> Self {
        Self {
            pseudonym: person.nhs_number.as_ref().map(|n| key.pseudonymise(n)),
            person,
            consents,
            method,
        }
    }
}

/// What an import did: people added, and rows for people already there (left as they were).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PeopleImported {
    pub added: u64,
    pub already_there: u64,
}

#[async_trait]
pub trait PeopleStore {
    /// Changes a person's details (a practice of the PCN, `NotFound("practice")` otherwise); an
    /// NHS number given later links them to the appointment data, and one already linked is
    /// never unlinked or changed to another (`Refused`).
    async fn update_person(
        &self,
        pcn: PcnId,
        id: PersonId,
        p: &NewPerson,
        pseudonym: Option<&Pseudonym>,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// Adds every row or none. A row is someone already there, and changes nothing, when a
    /// person of the PCN has the same NHS number, or (without one) the same names, date of birth
    /// and practice: the same file imported again adds no one.
    async fn import_people(
        &self,
        pcn: PcnId,
        rows: &[ImportedPerson],
        audit: &NewAuditEvent,
    ) -> Result<PeopleImported, StoreError>;
    /// Merges `duplicate` into `keep`: everything that was the duplicate's (consents,
    /// connections, referrals, loans and readings, caseloads, messages waiting, invitations
    /// answered) becomes the kept
    /// record's; the kept record's details stay, its blanks filled from the duplicate's; the
    /// duplicate stays as it was, marked merged, and its id leads to the kept record. Refused
    /// for two different NHS numbers, or when one is the other's buddy. A consent given before
    /// a withdrawal on either record counts as withdrawn by it.
    async fn merge_people(
        &self,
        pcn: PcnId,
        keep: PersonId,
        duplicate: PersonId,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
    /// The record a merged person's id now leads to, if it was merged.
    async fn merged_into(&self, pcn: PcnId, id: PersonId) -> Result<Option<PersonId>, StoreError>;
    /// The records merged into this one, oldest merge first (whose audit trails are theirs too).
    async fn merged_from(&self, pcn: PcnId, keep: PersonId) -> Result<Vec<PersonId>, StoreError>;
    /// Everything held about a person, table by table: their record and the records merged
    /// into it, every table with a `person_id` or `buddy_id` column (found from the schema, so
    /// a new table cannot be missed), every table with a `connection_id` column for their
    /// connections (steps, follow-ups, wellbeing), and who viewed or changed any of it (the
    /// audit trail about their ids and their NHS number's pseudonym). Audited.
    async fn person_subject_access(
        &self,
        pcn: PcnId,
        id: PersonId,
        audit: &NewAuditEvent,
    ) -> Result<Vec<crate::subject_access::SarTable>, StoreError>;
    /// Erases a person's details, keeping what the reports count: their practice, year of
    /// birth, connections (what to, their steps and dates), follow-ups' dates, wellbeing
    /// scores, referrals' dates and decisions, and loans. Names, contact details, what matters,
    /// every note, the NHS number's pseudonym, home readings and caseloads go; consents are
    /// withdrawn and waiting messages withheld. The records merged into theirs are erased too.
    async fn erase_person(
        &self,
        pcn: PcnId,
        id: PersonId,
        audit: &NewAuditEvent,
    ) -> Result<(), StoreError>;
}

// The SQL below is shared by both backends: see crate::sql for the bounds.
#[async_trait::async_trait]
impl<S, DB> crate::people::PeopleStore for S
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
    async fn update_person(
        &self,
        pcn: together_core::PcnId,
        id: together_core::PersonId,
        p: &together_core::people::NewPerson,
        pseudonym: Option<&together_core::Pseudonym>,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let now: Option<Option<String>> = sqlx::query_scalar(
            "SELECT pseudonym FROM person WHERE id = $1 AND pcn_id = $2 AND merged_into IS NULL",
        )
        .bind(id.to_string())
        .bind(pcn.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(linked) = now else {
            return Err(crate::StoreError::NotFound("person"));
        };
        if let (Some(was), Some(new)) = (&linked, pseudonym) {
            if was != new.as_str() {
                return Err(crate::StoreError::Refused(
                    together_core::refusal::Refusal::NhsNumberDiffers,
                ));
            }
        }
        let changed = sqlx::query(
            "UPDATE person SET given_name = $1, family_name = $2, date_of_birth = $3, \
                     contact_preference = $4, phone = $5, email = $6, what_matters = $7, \
                     pseudonym = COALESCE(pseudonym, $8), practice_id = (SELECT id FROM \
                     practice WHERE id = $9 AND pcn_id = $10) WHERE id = $11 AND pcn_id = $10 \
                     AND EXISTS (SELECT 1 FROM practice WHERE id = $9 AND pcn_id = $10)",
        )
        .bind(&p.given_name)
        .bind(&p.family_name)
        .bind(crate::values::iso_date(p.date_of_birth))
        .bind(p.contact_preference.as_str())
        .bind(&p.phone)
        .bind(&p.email)
        .bind(&p.what_matters)
        .bind(pseudonym.map(|s| s.as_str().to_owned()))
        .bind(p.practice_id.to_string())
        .bind(pcn.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(crate::StoreError::NotFound("practice"));
        }
        Sql::<DB>::write_audit(&mut tx, &audit.about("person", id)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn import_people(
        &self,
        pcn: together_core::PcnId,
        rows: &[crate::people::ImportedPerson],
        audit: &crate::NewAuditEvent,
    ) -> Result<crate::people::PeopleImported, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let mut done = crate::people::PeopleImported::default();
        for row in rows {
            let p = &row.person;
            let there: Option<String> = sqlx::query_scalar(
                "SELECT id FROM person WHERE pcn_id = $1 AND merged_into IS NULL AND (($2 \
                         IS NOT NULL AND pseudonym = $2) OR (lower(given_name) = lower($3) AND \
                         lower(family_name) = lower($4) AND date_of_birth = $5 AND practice_id = \
                         $6)) LIMIT 1",
            )
            .bind(pcn.to_string())
            .bind(row.pseudonym.as_ref().map(|s| s.as_str().to_owned()))
            .bind(&p.given_name)
            .bind(&p.family_name)
            .bind(crate::values::iso_date(p.date_of_birth))
            .bind(p.practice_id.to_string())
            .fetch_optional(&mut *tx)
            .await?;
            if there.is_some() {
                done.already_there += 1;
                continue;
            }
            let id =
                Sql::<DB>::insert_person(&mut tx, pcn, p, row.pseudonym.as_ref(), audit).await?;
            if !row.consents.is_empty() {
                let method = row.method.ok_or_else(|| {
                    crate::StoreError::Refused(together_core::refusal::Refusal::SayHowAgreed)
                })?;
                for purpose in &row.consents {
                    Sql::<DB>::insert_consent(
                        &mut tx,
                        id,
                        *purpose,
                        method,
                        &audit.actor,
                        audit.at,
                    )
                    .await?;
                }
            }
            Sql::<DB>::write_audit(&mut tx, &audit.about("person", id)).await?;
            done.added += 1;
        }
        tx.commit().await?;
        Ok(done)
    }

    async fn merge_people(
        &self,
        pcn: together_core::PcnId,
        keep: together_core::PersonId,
        duplicate: together_core::PersonId,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        use sqlx::Row as _;
        if keep == duplicate {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::MergeIntoItself,
            ));
        }
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let (k, d) = (keep.to_string(), duplicate.to_string());
        let mut found = Vec::new();
        for id in [&k, &d] {
            let row = sqlx::query(
                "SELECT pseudonym, phone, email, what_matters FROM person WHERE id = \
                $1 AND pcn_id = $2 AND merged_into IS NULL",
            )
            .bind(id)
            .bind(pcn.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(crate::StoreError::NotFound("person"))?;
            found.push((
                row.try_get::<Option<String>, _>("pseudonym")?,
                row.try_get::<Option<String>, _>("phone")?,
                row.try_get::<Option<String>, _>("email")?,
                row.try_get::<String, _>("what_matters")?,
            ));
        }
        let (kept, dup) = (&found[0], &found[1]);
        if let (Some(a), Some(b)) = (&kept.0, &dup.0) {
            if a != b {
                return Err(crate::StoreError::Refused(
                    together_core::refusal::Refusal::DifferentNhsNumbers,
                ));
            }
        }
        let buddies: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM connection WHERE (person_id = $1 AND buddy_id = \
            $2) OR (person_id = $2 AND buddy_id = $1)",
        )
        .bind(&k)
        .bind(&d)
        .fetch_one(&mut *tx)
        .await?;
        if buddies > 0 {
            return Err(crate::StoreError::Refused(
                together_core::refusal::Refusal::BuddiesOfEachOther,
            ));
        }
        // What matters to them: both, when both say something different.
        let what_matters = match (kept.3.trim(), dup.3.trim()) {
            (a, "") => a.to_owned(),
            ("", b) => b.to_owned(),
            (a, b) if a == b => a.to_owned(),
            (a, b) => format!("{a}\n\n{b}"),
        };
        sqlx::query(
            "UPDATE person SET pseudonym = COALESCE(pseudonym, $1), phone = \
            COALESCE(phone, $2), email = COALESCE(email, $3), what_matters = $4 \
            WHERE id = $5",
        )
        .bind(&dup.0)
        .bind(&dup.1)
        .bind(&dup.2)
        .bind(&what_matters)
        .bind(&k)
        .execute(&mut *tx)
        .await?;
        for table in [
            "consent",
            "connection",
            "referral",
            "equipment_loan",
            "bp_reading",
            "outbox",
            "invitation",
        ] {
            sqlx::query(&format!(
                "UPDATE {table} SET person_id = $1 WHERE person_id = $2"
            ))
            .bind(&k)
            .bind(&d)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE connection SET buddy_id = $1 WHERE buddy_id = $2")
            .bind(&k)
            .bind(&d)
            .execute(&mut *tx)
            .await?;
        // Caseloads: whoever had either record on theirs has the person, open if either was.
        sqlx::query(
            "UPDATE caseload SET closed_at = NULL WHERE person_id = $1 AND closed_at \
                     IS NOT NULL AND user_id IN (SELECT user_id FROM caseload WHERE person_id \
                     = $2 AND closed_at IS NULL)",
        )
        .bind(&k)
        .bind(&d)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO caseload (person_id, user_id, opened_at, closed_at) SELECT \
                     $1, user_id, opened_at, closed_at FROM caseload c WHERE c.person_id = $2 \
                     AND NOT EXISTS (SELECT 1 FROM caseload o WHERE o.person_id = $1 AND \
                     o.user_id = c.user_id)",
        )
        .bind(&k)
        .bind(&d)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM caseload WHERE person_id = $1")
            .bind(&d)
            .execute(&mut *tx)
            .await?;
        // A withdrawal on either record withdraws what was agreed before it on both.
        if let Some(last) = sqlx::query(
            "SELECT withdrawn_at, withdrawn_by FROM consent WHERE person_id = $1 \
            AND withdrawn_at IS NOT NULL ORDER BY withdrawn_at DESC LIMIT 1",
        )
        .bind(&k)
        .fetch_optional(&mut *tx)
        .await?
        {
            let at: i64 = last.try_get("withdrawn_at")?;
            let by: Option<String> = last.try_get("withdrawn_by")?;
            sqlx::query(
                "UPDATE consent SET withdrawn_at = $1, withdrawn_by = $2 WHERE \
                        person_id = $3 AND withdrawn_at IS NULL AND given_at <= $1",
            )
            .bind(at)
            .bind(&by)
            .bind(&k)
            .execute(&mut *tx)
            .await?;
        }
        Sql::<DB>::withhold_messages(&mut tx, keep).await?;
        sqlx::query("UPDATE person SET merged_into = $1 WHERE id = $2")
            .bind(&k)
            .bind(&d)
            .execute(&mut *tx)
            .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("person", duplicate)).await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("person", keep)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn person_subject_access(
        &self,
        pcn: together_core::PcnId,
        id: together_core::PersonId,
        audit: &crate::NewAuditEvent,
    ) -> Result<Vec<crate::subject_access::SarTable>, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let pseudonym: Option<Option<String>> = sqlx::query_scalar(
            "SELECT pseudonym FROM person WHERE id = $1 AND pcn_id = $2 AND merged_into IS NULL",
        )
        .bind(id.to_string())
        .bind(pcn.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(pseudonym) = pseudonym else {
            return Err(crate::StoreError::NotFound("person"));
        };
        let merged: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM person WHERE merged_into = $1 AND pcn_id = $2 ORDER BY id",
        )
        .bind(id.to_string())
        .bind(pcn.to_string())
        .fetch_all(&mut *tx)
        .await?;
        let connections: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM connection WHERE person_id = $1 ORDER BY made_on, id",
        )
        .bind(id.to_string())
        .fetch_all(&mut *tx)
        .await?;
        let me = id.to_string();
        let mut wanted: Vec<(String, &str, String)> = vec![("person".into(), "id", me.clone())];
        for m in &merged {
            wanted.push(("person".into(), "id", m.clone()));
        }
        for column in ["person_id", "buddy_id"] {
            for t in Sql::<DB>::tables_with(&mut tx, column).await? {
                wanted.push((t, column, me.clone()));
            }
        }
        for t in Sql::<DB>::tables_with(&mut tx, "connection_id").await? {
            // Invitations are theirs by person already.
            if t == "invitation" {
                continue;
            }
            for c in &connections {
                wanted.push((t.clone(), "connection_id", c.clone()));
            }
        }
        // One table each, rows gathered from every key that reaches it.
        let mut out: Vec<crate::subject_access::SarTable> = Vec::new();
        for (table, key, value) in wanted {
            let found = Sql::<DB>::sar_table(&mut tx, &table, key, &value).await?;
            match out.iter_mut().find(|t| t.table == found.table) {
                Some(t) => t.rows.extend(found.rows),
                None => out.push(found),
            }
        }
        let mut about = vec![me.clone()];
        about.extend(merged);
        about.extend(pseudonym);
        out.push(Sql::<DB>::sar_audit(&mut tx, pcn, &about).await?);
        Sql::<DB>::write_audit(&mut tx, &audit.about("person", id)).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn erase_person(
        &self,
        pcn: together_core::PcnId,
        id: together_core::PersonId,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let found: Option<String> = sqlx::query_scalar(
            "SELECT id FROM person WHERE id = $1 AND pcn_id = $2 AND merged_into IS NULL",
        )
        .bind(id.to_string())
        .bind(pcn.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        if found.is_none() {
            return Err(crate::StoreError::NotFound("person"));
        }
        let mut ids: Vec<String> =
            sqlx::query_scalar("SELECT id FROM person WHERE merged_into = $1 AND pcn_id = $2")
                .bind(id.to_string())
                .bind(pcn.to_string())
                .fetch_all(&mut *tx)
                .await?;
        ids.push(id.to_string());
        let at = crate::values::secs(audit.at);
        for p in &ids {
            // The year of birth stays, for counting by age.
            sqlx::query(
                "UPDATE person SET given_name = 'Erased', family_name = '', date_of_birth \
                         = SUBSTR(date_of_birth, 1, 4) || '-01-01', phone = NULL, email = NULL, \
                         what_matters = '', pseudonym = NULL, contact_preference = 'letter', \
                         erased_at = $1 WHERE id = $2",
            )
            .bind(at)
            .bind(p)
            .execute(&mut *tx)
            .await?;
            for sql in [
                "UPDATE consent SET withdrawn_at = $2, withdrawn_by = 'erased' WHERE \
                            person_id = $1 AND withdrawn_at IS NULL",
                "UPDATE outbox SET recipient = 'erased', body = '', withheld = \
                            COALESCE(withheld, 'erased') WHERE person_id = $1 AND $2 IS NOT NULL",
                "UPDATE connection SET note = '' WHERE person_id = $1 AND $2 IS NOT NULL",
                "UPDATE connection_step SET note = '' WHERE connection_id IN (SELECT \
                            id FROM connection WHERE person_id = $1) AND $2 IS NOT NULL",
                "UPDATE follow_up SET note = '' WHERE connection_id IN (SELECT id \
                            FROM connection WHERE person_id = $1) AND $2 IS NOT NULL",
                "DELETE FROM wellbeing_link WHERE connection_id IN (SELECT id FROM \
                            connection WHERE person_id = $1) AND $2 IS NOT NULL",
                "UPDATE referral SET reason = '' WHERE person_id = $1 AND $2 IS NOT NULL",
                "UPDATE invitation SET pseudonym = 'erased:' || id WHERE person_id = \
                            $1 AND $2 IS NOT NULL",
                "DELETE FROM bp_reading WHERE person_id = $1 AND $2 IS NOT NULL",
                "DELETE FROM caseload WHERE person_id = $1 AND $2 IS NOT NULL",
            ] {
                sqlx::query(sql).bind(p).bind(at).execute(&mut *tx).await?;
            }
        }
        Sql::<DB>::write_audit(&mut tx, &audit.about("person", id)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn merged_into(
        &self,
        pcn: together_core::PcnId,
        id: together_core::PersonId,
    ) -> Result<Option<together_core::PersonId>, crate::StoreError> {
        let into: Option<Option<String>> =
            sqlx::query_scalar("SELECT merged_into FROM person WHERE id = $1 AND pcn_id = $2")
                .bind(id.to_string())
                .bind(pcn.to_string())
                .fetch_optional(self.pool())
                .await?;
        into.flatten()
            .map(|s| crate::values::parsed("person id", &s))
            .transpose()
    }

    async fn merged_from(
        &self,
        pcn: together_core::PcnId,
        keep: together_core::PersonId,
    ) -> Result<Vec<together_core::PersonId>, crate::StoreError> {
        // Merges chain (a record merged into one later merged itself): follow them all.
        let mut found = Vec::new();
        let mut next = vec![keep.to_string()];
        while let Some(id) = next.pop() {
            let ids: Vec<String> = sqlx::query_scalar(
                "SELECT id FROM person WHERE merged_into = $1 AND pcn_id = $2 ORDER \
                BY created_at, id",
            )
            .bind(&id)
            .bind(pcn.to_string())
            .fetch_all(self.pool())
            .await?;
            for i in ids {
                found.push(crate::values::parsed("person id", &i)?);
                next.push(i);
            }
        }
        Ok(found)
    }
}
