//! The foundation's SQL (PCNs, practices, users, sessions, the outbox, imports, cohorts,
//! settings, subject access, the audit log), written once for both backends (crate::sql).

use crate::sql::{Db, Pooled, RowsAffected as _, Sql, Tx};

pub(crate) const USER_COLUMNS: &str =
    "u.id, u.pcn_id, u.email, u.display_name, r.role, r.practice_id, u.status, \
     u.password_hash, u.totp_secret, u.failed_sign_ins, u.locked_until, u.created_at";

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
    /// Adds a person of `pcn` at one of its practices (`NotFound("practice")` otherwise);
    /// the caller audits and commits.
    pub(crate) async fn insert_person(
        tx: &mut Tx<'_, DB>,
        pcn: together_core::PcnId,
        p: &together_core::people::NewPerson,
        pseudonym: Option<&together_core::Pseudonym>,
        audit: &crate::NewAuditEvent,
    ) -> Result<together_core::PersonId, crate::StoreError> {
        let id = together_core::PersonId::new();
        let inserted = sqlx::query(
            "INSERT INTO person (id, pcn_id, practice_id, given_name, family_name, \
                 date_of_birth, contact_preference, phone, email, pseudonym, created_at, \
                 created_by, what_matters) SELECT $1, pcn_id, id, $2, $3, $4, $5, $6, $7, \
                 $8, $9, $10, $13 FROM practice WHERE id = $11 AND pcn_id = $12",
        )
        .bind(id.to_string())
        .bind(&p.given_name)
        .bind(&p.family_name)
        .bind(crate::values::iso_date(p.date_of_birth))
        .bind(p.contact_preference.as_str())
        .bind(&p.phone)
        .bind(&p.email)
        .bind(pseudonym.map(|s| s.as_str().to_owned()))
        .bind(crate::values::secs(audit.at))
        .bind(&audit.actor)
        .bind(p.practice_id.to_string())
        .bind(pcn.to_string())
        .bind(&p.what_matters)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Err(crate::StoreError::NotFound("practice"));
        }
        Ok(id)
    }

    /// Records a consent given now, recorded by a user's id (or, for an import, the
    /// audit's actor); the caller audits and commits.
    pub(crate) async fn insert_consent(
        tx: &mut Tx<'_, DB>,
        person: together_core::PersonId,
        purpose: together_core::people::ConsentPurpose,
        method: together_core::people::ConsentMethod,
        by: &str,
        at: time::OffsetDateTime,
    ) -> Result<(), crate::StoreError> {
        sqlx::query(
            "INSERT INTO consent (id, person_id, purpose, method, given_at, \
            recorded_by) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(person.to_string())
        .bind(purpose.as_str())
        .bind(method.as_str())
        .bind(crate::values::secs(at))
        .bind(by)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Withholds every message still waiting for a person who no longer agrees to be
    /// contacted: it stays in the outbox, marked, and is never sent (hazard H4).
    pub(crate) async fn withhold_messages(
        tx: &mut Tx<'_, DB>,
        person: together_core::PersonId,
    ) -> Result<(), crate::StoreError> {
        sqlx::query(
            "UPDATE outbox SET withheld = 'consent withdrawn' WHERE person_id = $1 \
                 AND delivered_at IS NULL AND withheld IS NULL AND NOT EXISTS (SELECT 1 \
                 FROM consent k WHERE k.person_id = $1 AND k.purpose = 'contact' AND \
                 k.withdrawn_at IS NULL)",
        )
        .bind(person.to_string())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The tables with a column named `column`, read from the schema itself (so that a table
    /// added later cannot be missed by a subject access export).
    pub(crate) async fn tables_with(
        tx: &mut Tx<'_, DB>,
        column: &str,
    ) -> Result<Vec<String>, crate::StoreError> {
        let sql = match DB::BACKEND {
            crate::Backend::Sqlite => {
                "SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                    WHERE m.type = 'table' AND p.name = $1 ORDER BY m.name"
            }
            crate::Backend::Postgres => {
                "SELECT table_name::text FROM information_schema.columns WHERE \
                    column_name = $1 AND table_schema = current_schema() ORDER BY \
                    table_name"
            }
        };
        Ok(sqlx::query_scalar::<_, String>(sql)
            .bind(column)
            .fetch_all(&mut **tx)
            .await?)
    }

    /// Every column (as text, secrets left out) of the rows of `table` whose `key` is
    /// `value`. Table and column names come from the schema or the code, never a request.
    pub(crate) async fn sar_table(
        tx: &mut Tx<'_, DB>,
        table: &str,
        key: &str,
        value: &str,
    ) -> Result<crate::subject_access::SarTable, crate::StoreError> {
        use sqlx::Row as _;
        let columns_sql = match DB::BACKEND {
            crate::Backend::Sqlite => "SELECT name FROM pragma_table_info($1) ORDER BY cid",
            crate::Backend::Postgres => {
                "SELECT column_name::text FROM information_schema.columns WHERE \
                    table_name = $1 AND table_schema = current_schema() ORDER BY \
                    ordinal_position"
            }
        };
        let columns: Vec<String> = sqlx::query_scalar::<_, String>(columns_sql)
            .bind(table)
            .fetch_all(&mut **tx)
            .await?
            .into_iter()
            .filter(|c| !crate::subject_access::NOT_EXPORTED.contains(&c.as_str()))
            .collect();
        let select = columns
            .iter()
            .map(|c| format!("CAST(\"{c}\" AS TEXT) AS \"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let rows = sqlx::query(&format!(
            "SELECT {select} FROM \"{table}\" WHERE \"{key}\" = $1"
        ))
        .bind(value)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| {
            (0..columns.len())
                .map(|i| r.try_get::<Option<String>, _>(i))
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()?;
        Ok(crate::subject_access::SarTable {
            table: table.to_owned(),
            columns,
            rows,
        })
    }

    /// The audit trail about any of `ids` (who looked, who changed what), oldest first.
    pub(crate) async fn sar_audit(
        tx: &mut Tx<'_, DB>,
        pcn: together_core::PcnId,
        ids: &[String],
    ) -> Result<crate::subject_access::SarTable, crate::StoreError> {
        use sqlx::Row as _;
        let audit_columns = [
            "at",
            "actor",
            "role",
            "action",
            "resource_type",
            "resource_id",
            "outcome",
            "reason",
        ];
        let select = audit_columns
            .iter()
            .map(|c| format!("CAST({c} AS TEXT) AS {c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut rows = Vec::new();
        for id in ids {
            let found = sqlx::query(&format!(
                "SELECT id, {select} FROM audit_event WHERE resource_id = $1 AND pcn_id = $2"
            ))
            .bind(id)
            .bind(pcn.to_string())
            .fetch_all(&mut **tx)
            .await?;
            for r in &found {
                let seq: i64 = r.try_get("id")?;
                let values = (1..=audit_columns.len())
                    .map(|i| r.try_get::<Option<String>, _>(i))
                    .collect::<Result<Vec<_>, _>>()?;
                rows.push((seq, values));
            }
        }
        rows.sort_by_key(|(seq, _)| *seq);
        Ok(crate::subject_access::SarTable {
            table: "audit_event".into(),
            columns: audit_columns.iter().map(|c| (*c).to_owned()).collect(),
            rows: rows.into_iter().map(|(_, v)| v).collect(),
        })
    }

    pub(crate) fn user_row(row: &DB::Row) -> Result<crate::User, crate::StoreError> {
        use crate::values::{at, parsed};
        use sqlx::Row as _;
        let practice: Option<String> = row.try_get("practice_id")?;
        let locked: Option<i64> = row.try_get("locked_until")?;
        Ok(crate::User {
            id: parsed("user id", &row.try_get::<String, _>("id")?)?,
            pcn_id: parsed("pcn id", &row.try_get::<String, _>("pcn_id")?)?,
            email: parsed("email", &row.try_get::<String, _>("email")?)?,
            display_name: row.try_get("display_name")?,
            role: row
                .try_get::<String, _>("role")?
                .parse()
                .map_err(crate::StoreError::Corrupt)?,
            practice_id: practice.map(|p| parsed("practice id", &p)).transpose()?,
            status: crate::UserStatus::parse(&row.try_get::<String, _>("status")?)
                .ok_or_else(|| crate::StoreError::Corrupt("user status".into()))?,
            password_hash: row.try_get("password_hash")?,
            totp_secret: row.try_get("totp_secret")?,
            failed_sign_ins: row.try_get("failed_sign_ins")?,
            locked_until: locked.map(at).transpose()?,
            created_at: at(row.try_get("created_at")?)?,
        })
    }

    pub(crate) fn pcn_row(row: &DB::Row) -> Result<crate::Pcn, crate::StoreError> {
        use sqlx::Row as _;
        Ok(crate::Pcn {
            id: crate::values::parsed("pcn id", &row.try_get::<String, _>("id")?)?,
            name: row.try_get("name")?,
            ods_code: row.try_get("ods_code")?,
        })
    }

    pub(crate) fn session_row(row: &DB::Row) -> Result<crate::SessionRecord, crate::StoreError> {
        use crate::values::{at, parsed};
        use sqlx::Row as _;
        Ok(crate::SessionRecord {
            token_hash: row.try_get("token_hash")?,
            user_id: parsed("user id", &row.try_get::<String, _>("user_id")?)?,
            created_at: at(row.try_get("created_at")?)?,
            last_seen_at: at(row.try_get("last_seen_at")?)?,
            mfa_done: row.try_get("mfa_done")?,
            ip: row.try_get("ip")?,
            user_agent: row.try_get("user_agent")?,
        })
    }

    pub(crate) fn message_row(row: &DB::Row) -> Result<crate::Message, crate::StoreError> {
        use sqlx::Row as _;
        let delivered: Option<i64> = row.try_get("delivered_at")?;
        Ok(crate::Message {
            id: row.try_get("id")?,
            channel: row.try_get("channel")?,
            recipient: row.try_get("recipient")?,
            subject: row.try_get("subject")?,
            body: row.try_get("body")?,
            created_at: crate::values::at(row.try_get("created_at")?)?,
            delivered: delivered.is_some(),
            withheld: row.try_get("withheld")?,
        })
    }

    pub(crate) fn import_row(row: &DB::Row) -> Result<crate::ImportRecord, crate::StoreError> {
        use sqlx::Row as _;
        let date = |c: &str| -> Result<Option<time::Date>, crate::StoreError> {
            row.try_get::<Option<String>, _>(c)?
                .map(|d| crate::values::parse_iso_date(&d))
                .transpose()
        };
        let practices: String = row.try_get("practices")?;
        Ok(crate::ImportRecord {
            id: row.try_get("id")?,
            dataset: row.try_get("dataset")?,
            source: row.try_get("source")?,
            file_name: row.try_get("file_name")?,
            file_sha256: row.try_get("file_sha256")?,
            practices: practices
                .split(',')
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
            period_from: date("period_from")?,
            period_to: date("period_to")?,
            rows_read: row.try_get("rows_read")?,
            rows_imported: row.try_get("rows_imported")?,
            rows_rejected: row.try_get("rows_rejected")?,
            imported_by: row.try_get("imported_by")?,
            imported_at: crate::values::at(row.try_get("imported_at")?)?,
            status: row.try_get("status")?,
        })
    }

    pub(crate) fn cohort_row(row: &DB::Row) -> Result<crate::CohortRecord, crate::StoreError> {
        use sqlx::Row as _;
        Ok(crate::CohortRecord {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            definition: row.try_get("definition")?,
            created_by: row.try_get("created_by")?,
            created_at: crate::values::at(row.try_get("created_at")?)?,
        })
    }
}

#[async_trait::async_trait]
impl<S, DB> crate::Store for S
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
    fn backend(&self) -> crate::Backend {
        DB::BACKEND
    }

    async fn check_writable(&self) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        sqlx::query(
            "INSERT INTO instance_meta (key, value) VALUES ('readyz', 'ok') ON \
            CONFLICT (key) DO UPDATE SET value = 'ok'",
        )
        .execute(&mut *tx)
        .await?;
        tx.rollback().await?;
        Ok(())
    }

    async fn meta(&self, key: &str) -> Result<Option<String>, crate::StoreError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM instance_meta WHERE key = $1")
                .bind(key)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    async fn set_meta(&self, key: &str, value: &str) -> Result<(), crate::StoreError> {
        sqlx::query(
            "INSERT INTO instance_meta (key, value) VALUES ($1, $2) ON CONFLICT \
            (key) DO UPDATE SET value = $2",
        )
        .bind(key)
        .bind(value)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn create_pcn(
        &self,
        name: &str,
        ods_code: Option<&str>,
        now: time::OffsetDateTime,
    ) -> Result<together_core::PcnId, crate::StoreError> {
        let id = together_core::PcnId::new();
        sqlx::query("INSERT INTO pcn (id, name, ods_code, created_at) VALUES ($1, $2, $3, $4)")
            .bind(id.to_string())
            .bind(name)
            .bind(ods_code)
            .bind(crate::values::secs(now))
            .execute(self.pool())
            .await?;
        Ok(id)
    }

    async fn pcn(&self, id: together_core::PcnId) -> Result<Option<crate::Pcn>, crate::StoreError> {
        sqlx::query("SELECT id, name, ods_code FROM pcn WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(Sql::<DB>::pcn_row)
            .transpose()
    }

    async fn pcns(&self) -> Result<Vec<crate::Pcn>, crate::StoreError> {
        sqlx::query("SELECT id, name, ods_code FROM pcn ORDER BY name")
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(Sql::<DB>::pcn_row)
            .collect()
    }

    async fn rename_pcn(
        &self,
        id: together_core::PcnId,
        name: &str,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        sqlx::query("UPDATE pcn SET name = $1 WHERE id = $2")
            .bind(name)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        Sql::<DB>::write_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn add_practice(
        &self,
        pcn: together_core::PcnId,
        code: &together_core::PracticeCode,
        name: &str,
        audit: &crate::NewAuditEvent,
        now: time::OffsetDateTime,
    ) -> Result<together_core::PracticeId, crate::StoreError> {
        let id = together_core::PracticeId::new();
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        sqlx::query(
            "INSERT INTO practice (id, pcn_id, ods_code, name, created_at) VALUES \
            ($1, $2, $3, $4, $5)",
        )
        .bind(id.to_string())
        .bind(pcn.to_string())
        .bind(code.as_str())
        .bind(name)
        .bind(crate::values::secs(now))
        .execute(&mut *tx)
        .await
        .map_err(|e| match crate::StoreError::from(e) {
            crate::StoreError::Conflict(_) => {
                crate::StoreError::Conflict("a practice with this ODS code")
            }
            other => other,
        })?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("practice", id)).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn practices(
        &self,
        pcn: together_core::PcnId,
    ) -> Result<Vec<crate::Practice>, crate::StoreError> {
        use crate::values::parsed;
        use sqlx::Row as _;
        let rows = sqlx::query(
            "SELECT id, pcn_id, ods_code, name, data_sharing_agreed FROM practice \
            WHERE pcn_id = $1 ORDER BY name",
        )
        .bind(pcn.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(crate::Practice {
                    id: parsed("practice id", &r.try_get::<String, _>("id")?)?,
                    pcn_id: parsed("pcn id", &r.try_get::<String, _>("pcn_id")?)?,
                    ods_code: parsed("ODS code", &r.try_get::<String, _>("ods_code")?)?,
                    name: r.try_get("name")?,
                    data_sharing_agreed: r.try_get("data_sharing_agreed")?,
                })
            })
            .collect()
    }

    async fn set_data_sharing(
        &self,
        pcn: together_core::PcnId,
        practice: together_core::PracticeId,
        agreed: bool,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let n = sqlx::query(
            "UPDATE practice SET data_sharing_agreed = $1 WHERE id = $2 AND pcn_id = $3",
        )
        .bind(agreed)
        .bind(practice.to_string())
        .bind(pcn.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(crate::StoreError::NotFound("practice"));
        }
        Sql::<DB>::write_audit(&mut tx, &audit.about("practice", practice)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn add_site(
        &self,
        pcn: together_core::PcnId,
        practice: together_core::PracticeId,
        name: &str,
        address: &str,
        audit: &crate::NewAuditEvent,
        now: time::OffsetDateTime,
    ) -> Result<(), crate::StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        // The practice must belong to the actor's PCN: the insert selects it from there.
        let inserted = sqlx::query(
            "INSERT INTO site (id, practice_id, name, address, created_at) \
                     SELECT $1, id, $2, $3, $4 FROM practice WHERE id = $5 AND pcn_id = $6",
        )
        .bind(&id)
        .bind(name)
        .bind(address)
        .bind(crate::values::secs(now))
        .bind(practice.to_string())
        .bind(pcn.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Err(crate::StoreError::NotFound("practice"));
        }
        Sql::<DB>::write_audit(&mut tx, &audit.about("site", &id)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn sites(
        &self,
        pcn: together_core::PcnId,
    ) -> Result<Vec<crate::Site>, crate::StoreError> {
        use sqlx::Row as _;
        let rows = sqlx::query(
            "SELECT s.id, s.practice_id, p.name AS practice_name, s.name, s.address \
                     FROM site s JOIN practice p ON p.id = s.practice_id WHERE p.pcn_id = $1 \
                     ORDER BY p.name, s.name",
        )
        .bind(pcn.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(crate::Site {
                    id: r.try_get("id")?,
                    practice_id: crate::values::parsed(
                        "practice id",
                        &r.try_get::<String, _>("practice_id")?,
                    )?,
                    practice_name: r.try_get("practice_name")?,
                    name: r.try_get("name")?,
                    address: r.try_get("address")?,
                })
            })
            .collect()
    }

    async fn create_user(
        &self,
        u: &crate::NewUser,
        audit: &crate::NewAuditEvent,
        now: time::OffsetDateTime,
    ) -> Result<together_core::UserId, crate::StoreError> {
        let id = together_core::UserId::new();
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        sqlx::query(
            "INSERT INTO app_user (id, pcn_id, email, display_name, status, \
                     password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.to_string())
        .bind(u.pcn_id.to_string())
        .bind(u.email.as_str())
        .bind(&u.display_name)
        .bind(u.status.as_str())
        .bind(&u.password_hash)
        .bind(crate::values::secs(now))
        .execute(&mut *tx)
        .await
        .map_err(|e| match crate::StoreError::from(e) {
            crate::StoreError::Conflict(_) => crate::StoreError::Conflict("a user with this email"),
            other => other,
        })?;
        let practice_ok = match u.practice_id {
            None => true,
            Some(p) => sqlx::query("SELECT 1 FROM practice WHERE id = $1 AND pcn_id = $2")
                .bind(p.to_string())
                .bind(u.pcn_id.to_string())
                .fetch_optional(&mut *tx)
                .await?
                .is_some(),
        };
        if !practice_ok {
            return Err(crate::StoreError::NotFound("practice"));
        }
        sqlx::query(
            "INSERT INTO role_assignment (user_id, role, pcn_id, practice_id) \
            VALUES ($1, $2, $3, $4)",
        )
        .bind(id.to_string())
        .bind(u.role.as_str())
        .bind(u.pcn_id.to_string())
        .bind(u.practice_id.map(|p| p.to_string()))
        .execute(&mut *tx)
        .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("user", id)).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn user(
        &self,
        id: together_core::UserId,
    ) -> Result<Option<crate::User>, crate::StoreError> {
        let sql = format!(
            "SELECT {} FROM app_user u JOIN role_assignment r ON r.user_id = u.id WHERE u.id = $1",
            crate::foundation::USER_COLUMNS
        );
        sqlx::query(&sql)
            .bind(id.to_string())
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(Sql::<DB>::user_row)
            .transpose()
    }

    async fn user_by_email(
        &self,
        email: &together_core::Email,
    ) -> Result<Option<crate::User>, crate::StoreError> {
        let sql = format!(
            "SELECT {} FROM app_user u JOIN role_assignment r ON r.user_id = u.id \
            WHERE u.email = $1",
            crate::foundation::USER_COLUMNS
        );
        sqlx::query(&sql)
            .bind(email.as_str())
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(Sql::<DB>::user_row)
            .transpose()
    }

    async fn users(
        &self,
        pcn: together_core::PcnId,
    ) -> Result<Vec<crate::User>, crate::StoreError> {
        let sql = format!(
            "SELECT {} FROM app_user u JOIN role_assignment r ON r.user_id = u.id \
            WHERE u.pcn_id = $1 ORDER BY u.display_name",
            crate::foundation::USER_COLUMNS
        );
        sqlx::query(&sql)
            .bind(pcn.to_string())
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(Sql::<DB>::user_row)
            .collect()
    }

    async fn count_users_able_to_sign_in(&self) -> Result<i64, crate::StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM app_user WHERE status = 'active' AND password_hash IS NOT NULL",
        )
        .fetch_one(self.pool())
        .await?)
    }

    async fn set_password(
        &self,
        id: together_core::UserId,
        phc: &str,
    ) -> Result<(), crate::StoreError> {
        sqlx::query(
            "UPDATE app_user SET password_hash = $1, status = CASE WHEN status = \
            'invited' THEN 'active' ELSE status END, failed_sign_ins = 0, \
            locked_until = NULL WHERE id = $2",
        )
        .bind(phc)
        .bind(id.to_string())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn set_user_status(
        &self,
        id: together_core::UserId,
        status: crate::UserStatus,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let n = sqlx::query("UPDATE app_user SET status = $1 WHERE id = $2")
            .bind(status.as_str())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(crate::StoreError::NotFound("user"));
        }
        if status == crate::UserStatus::Disabled {
            sqlx::query("DELETE FROM user_session WHERE user_id = $1")
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE user_token SET used_at = created_at WHERE user_id = $1 AND used_at IS NULL",
            )
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        }
        Sql::<DB>::write_audit(&mut tx, &audit.about("user", id)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn record_failed_sign_in(
        &self,
        id: together_core::UserId,
        now: time::OffsetDateTime,
        lockout: together_core::password::Lockout,
    ) -> Result<Option<time::OffsetDateTime>, crate::StoreError> {
        // Lockout::minutes_after in SQL, on the count this statement makes: the doubling
        // spelled out (no shift or power is written alike in both dialects), capped, and
        // never shortening a lock already set.
        const MINUTES: &str = "(CASE WHEN failed_sign_ins + 1 - $3 >= 6 THEN 64 ELSE CASE \
            failed_sign_ins + 1 - $3 WHEN 0 THEN 1 WHEN 1 THEN 2 WHEN 2 THEN 4 WHEN \
            3 THEN 8 WHEN 4 THEN 16 ELSE 32 END END)";
        let sql = format!(
            "UPDATE app_user SET failed_sign_ins = failed_sign_ins + 1, locked_until \
                     = CASE WHEN failed_sign_ins + 1 < $3 THEN locked_until WHEN locked_until \
                     > $2 + 60 * (CASE WHEN {MINUTES} > $4 THEN $4 ELSE {MINUTES} END) THEN \
                     locked_until ELSE $2 + 60 * (CASE WHEN {MINUTES} > $4 THEN $4 ELSE \
                     {MINUTES} END) END WHERE id = $1 RETURNING locked_until"
        );
        let locked: Option<Option<i64>> = sqlx::query_scalar(&sql)
            .bind(id.to_string())
            .bind(crate::values::secs(now))
            .bind(lockout.free)
            .bind(lockout.max_minutes)
            .fetch_optional(self.pool())
            .await?;
        locked
            .flatten()
            .map(|s| {
                time::OffsetDateTime::from_unix_timestamp(s)
                    .map_err(|e| crate::StoreError::Corrupt(e.to_string()))
            })
            .transpose()
    }

    async fn clear_failed_sign_ins(
        &self,
        id: together_core::UserId,
    ) -> Result<(), crate::StoreError> {
        sqlx::query("UPDATE app_user SET failed_sign_ins = 0, locked_until = NULL WHERE id = $1")
            .bind(id.to_string())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn set_totp(
        &self,
        id: together_core::UserId,
        secret: Option<&str>,
        codes: &[String],
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        sqlx::query("UPDATE app_user SET totp_secret = $1, totp_last_step = NULL WHERE id = $2")
            .bind(secret)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM recovery_code WHERE user_id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        for c in codes {
            sqlx::query("INSERT INTO recovery_code (user_id, code_hash) VALUES ($1, $2)")
                .bind(id.to_string())
                .bind(c)
                .execute(&mut *tx)
                .await?;
        }
        Sql::<DB>::write_audit(&mut tx, &audit.about("user", id)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn use_totp_step(
        &self,
        id: together_core::UserId,
        step: i64,
    ) -> Result<bool, crate::StoreError> {
        let n = sqlx::query(
            "UPDATE app_user SET totp_last_step = $1 WHERE id = $2 AND \
            (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step)
        .bind(id.to_string())
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    async fn use_recovery_code(
        &self,
        id: together_core::UserId,
        code_hash: &str,
        now: time::OffsetDateTime,
    ) -> Result<bool, crate::StoreError> {
        let n = sqlx::query(
            "UPDATE recovery_code SET used_at = $1 WHERE user_id = $2 AND \
            code_hash = $3 AND used_at IS NULL",
        )
        .bind(crate::values::secs(now))
        .bind(id.to_string())
        .bind(code_hash)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    async fn create_token(&self, t: &crate::NewToken) -> Result<(), crate::StoreError> {
        sqlx::query(
            "INSERT INTO user_token (token_hash, user_id, kind, label, \
            created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&t.token_hash)
        .bind(t.user_id.to_string())
        .bind(t.kind.as_str())
        .bind(&t.label)
        .bind(crate::values::secs(t.created_at))
        .bind(crate::values::secs(t.expires_at))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn take_token(
        &self,
        kind: crate::TokenKind,
        hash: &str,
        now: time::OffsetDateTime,
    ) -> Result<Option<together_core::UserId>, crate::StoreError> {
        let user: Option<String> = sqlx::query_scalar(
            "UPDATE user_token SET used_at = $1 WHERE token_hash = $2 AND kind = \
                        $3 AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
        )
        .bind(crate::values::secs(now))
        .bind(hash)
        .bind(kind.as_str())
        .fetch_optional(self.pool())
        .await?;
        user.map(|u| crate::values::parsed("user id", &u))
            .transpose()
    }

    async fn api_token_user(
        &self,
        hash: &str,
        now: time::OffsetDateTime,
    ) -> Result<Option<together_core::UserId>, crate::StoreError> {
        let user: Option<String> = sqlx::query_scalar(
            "SELECT user_id FROM user_token WHERE token_hash = $1 AND kind = \
                        'api' AND used_at IS NULL AND expires_at > $2",
        )
        .bind(hash)
        .bind(crate::values::secs(now))
        .fetch_optional(self.pool())
        .await?;
        user.map(|u| crate::values::parsed("user id", &u))
            .transpose()
    }

    async fn create_session(&self, s: &crate::NewSession) -> Result<(), crate::StoreError> {
        sqlx::query(
            "INSERT INTO user_session (token_hash, user_id, created_at, \
                        last_seen_at, mfa_done, ip, user_agent) VALUES ($1, $2, $3, $3, $4, \
                        $5, $6)",
        )
        .bind(&s.token_hash)
        .bind(s.user_id.to_string())
        .bind(crate::values::secs(s.now))
        .bind(s.mfa_done)
        .bind(&s.ip)
        .bind(&s.user_agent)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn session(&self, hash: &str) -> Result<Option<crate::SessionRecord>, crate::StoreError> {
        sqlx::query("SELECT * FROM user_session WHERE token_hash = $1")
            .bind(hash)
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(Sql::<DB>::session_row)
            .transpose()
    }

    async fn touch_session(
        &self,
        hash: &str,
        now: time::OffsetDateTime,
        mfa_done: bool,
    ) -> Result<(), crate::StoreError> {
        sqlx::query(
            "UPDATE user_session SET last_seen_at = $1, mfa_done = $2 WHERE token_hash = $3",
        )
        .bind(crate::values::secs(now))
        .bind(mfa_done)
        .bind(hash)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn delete_session(&self, hash: &str) -> Result<(), crate::StoreError> {
        sqlx::query("DELETE FROM user_session WHERE token_hash = $1")
            .bind(hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn delete_user_sessions(
        &self,
        user: together_core::UserId,
    ) -> Result<u64, crate::StoreError> {
        Ok(sqlx::query("DELETE FROM user_session WHERE user_id = $1")
            .bind(user.to_string())
            .execute(self.pool())
            .await?
            .rows_affected())
    }

    async fn user_sessions(
        &self,
        user: together_core::UserId,
    ) -> Result<Vec<crate::SessionRecord>, crate::StoreError> {
        sqlx::query("SELECT * FROM user_session WHERE user_id = $1 ORDER BY last_seen_at DESC")
            .bind(user.to_string())
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(Sql::<DB>::session_row)
            .collect()
    }

    async fn audit(&self, e: &crate::NewAuditEvent) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        Sql::<DB>::write_audit(&mut tx, e).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_many(&self, events: &[crate::NewAuditEvent]) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        for e in events {
            Sql::<DB>::write_audit(&mut tx, e).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn audit_events(
        &self,
        pcn: together_core::PcnId,
        f: &crate::AuditFilter,
    ) -> Result<Vec<crate::AuditEvent>, crate::StoreError> {
        use sqlx::Row as _;
        let rows = sqlx::query(
            "SELECT id, at, actor, role, action, resource_type, resource_id, outcome, \
                     reason, request_id, ip FROM audit_event WHERE pcn_id = $1 AND ($2 IS \
                     NULL OR resource_type = $2) AND ($3 IS NULL OR resource_id = $3) AND ($4 \
                     IS NULL OR actor = $4) ORDER BY id DESC LIMIT $5",
        )
        .bind(pcn.to_string())
        .bind(&f.resource_type)
        .bind(&f.resource_id)
        .bind(&f.actor)
        .bind(if f.limit > 0 { f.limit } else { 200 })
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(crate::AuditEvent {
                    id: r.try_get("id")?,
                    at: crate::values::at(r.try_get("at")?)?,
                    actor: r.try_get("actor")?,
                    role: r.try_get("role")?,
                    action: r.try_get("action")?,
                    resource_type: r.try_get("resource_type")?,
                    resource_id: r.try_get("resource_id")?,
                    outcome: r.try_get("outcome")?,
                    reason: r.try_get("reason")?,
                    request_id: r.try_get("request_id")?,
                    ip: r.try_get("ip")?,
                })
            })
            .collect()
    }

    async fn enqueue_message(&self, m: &crate::NewMessage) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        Sql::<DB>::write_message(&mut tx, m).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn messages(
        &self,
        pcn: Option<together_core::PcnId>,
        limit: i64,
    ) -> Result<Vec<crate::Message>, crate::StoreError> {
        sqlx::query(
            "SELECT * FROM outbox WHERE ($1 IS NULL OR pcn_id = $1) ORDER BY \
            created_at DESC, id LIMIT $2",
        )
        .bind(pcn.map(|p| p.to_string()))
        .bind(limit)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(Sql::<DB>::message_row)
        .collect()
    }

    async fn undelivered_messages(
        &self,
        limit: i64,
    ) -> Result<Vec<crate::Message>, crate::StoreError> {
        sqlx::query(
            "SELECT o.* FROM outbox o WHERE o.delivered_at IS NULL AND o.withheld IS \
                     NULL AND (o.person_id IS NULL OR EXISTS (SELECT 1 FROM consent k WHERE \
                     k.person_id = o.person_id AND k.purpose = 'contact' AND k.withdrawn_at \
                     IS NULL)) ORDER BY o.created_at LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(Sql::<DB>::message_row)
        .collect()
    }

    async fn mark_delivered(
        &self,
        id: &str,
        adapter: &str,
        now: time::OffsetDateTime,
    ) -> Result<(), crate::StoreError> {
        sqlx::query("UPDATE outbox SET delivered_at = $1, adapter = $2 WHERE id = $3")
            .bind(crate::values::secs(now))
            .bind(adapter)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn setting(
        &self,
        pcn: together_core::PcnId,
        key: &str,
    ) -> Result<Option<String>, crate::StoreError> {
        Ok(
            sqlx::query_scalar(
                "SELECT value FROM programme_setting WHERE pcn_id = $1 AND key = $2",
            )
            .bind(pcn.to_string())
            .bind(key)
            .fetch_optional(self.pool())
            .await?,
        )
    }

    async fn settings(
        &self,
        pcn: together_core::PcnId,
    ) -> Result<Vec<(String, String)>, crate::StoreError> {
        Ok(
            sqlx::query_as("SELECT key, value FROM programme_setting WHERE pcn_id = $1")
                .bind(pcn.to_string())
                .fetch_all(self.pool())
                .await?,
        )
    }

    async fn set_setting(
        &self,
        pcn: together_core::PcnId,
        key: &str,
        value: &str,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        sqlx::query(
            "INSERT INTO programme_setting (pcn_id, key, value, updated_at, \
                     updated_by) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (pcn_id, key) DO \
                     UPDATE SET value = $3, updated_at = $4, updated_by = $5",
        )
        .bind(pcn.to_string())
        .bind(key)
        .bind(value)
        .bind(crate::values::secs(audit.at))
        .bind(&audit.actor)
        .execute(&mut *tx)
        .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("setting", key)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_person(
        &self,
        pcn: together_core::PcnId,
        p: &together_core::people::NewPerson,
        pseudonym: Option<&together_core::Pseudonym>,
        caseload_of: Option<together_core::UserId>,
        audit: &crate::NewAuditEvent,
    ) -> Result<together_core::PersonId, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let id = Sql::<DB>::insert_person(&mut tx, pcn, p, pseudonym, audit).await?;
        if let Some(user) = caseload_of {
            Sql::<DB>::open_caseload(
                &mut tx,
                &id.to_string(),
                &user.to_string(),
                crate::values::secs(audit.at),
            )
            .await?;
        }
        Sql::<DB>::write_audit(&mut tx, &audit.about("person", id)).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn person_scope(
        &self,
        pcn: together_core::PcnId,
        id: together_core::PersonId,
        actor: together_core::UserId,
    ) -> Result<Option<crate::PersonScope>, crate::StoreError> {
        use sqlx::Row as _;
        let row = sqlx::query(
            "SELECT p.practice_id, EXISTS (SELECT 1 FROM caseload c WHERE c.person_id \
                     = p.id AND c.user_id = $3 AND c.closed_at IS NULL) AS on_caseload FROM \
                     person p WHERE p.id = $1 AND p.pcn_id = $2",
        )
        .bind(id.to_string())
        .bind(pcn.to_string())
        .bind(actor.to_string())
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(crate::PersonScope {
                practice_id: crate::values::parsed(
                    "practice id",
                    &r.try_get::<String, _>("practice_id")?,
                )?,
                on_caseload: r.try_get("on_caseload")?,
            })
        })
        .transpose()
    }

    async fn read_person(
        &self,
        pcn: together_core::PcnId,
        id: together_core::PersonId,
        audit: &crate::NewAuditEvent,
    ) -> Result<Option<crate::Person>, crate::StoreError> {
        use crate::values::{at, parsed};
        use sqlx::Row as _;
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let row = sqlx::query("SELECT * FROM person WHERE id = $1 AND pcn_id = $2")
            .bind(id.to_string())
            .bind(pcn.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        let Some(r) = row else {
            return Ok(None);
        };
        Sql::<DB>::write_audit(&mut tx, &audit.about("person", id)).await?;
        let pseudonym: Option<String> = r.try_get("pseudonym")?;
        let person = crate::Person {
            id,
            pcn_id: pcn,
            practice_id: parsed("practice id", &r.try_get::<String, _>("practice_id")?)?,
            given_name: r.try_get("given_name")?,
            family_name: r.try_get("family_name")?,
            date_of_birth: crate::values::parse_iso_date(
                &r.try_get::<String, _>("date_of_birth")?,
            )?,
            contact_preference: r
                .try_get::<String, _>("contact_preference")?
                .parse()
                .map_err(|_| crate::StoreError::Corrupt("contact preference".into()))?,
            phone: r.try_get("phone")?,
            email: r.try_get("email")?,
            pseudonym: pseudonym.and_then(|p| together_core::Pseudonym::parse(&p)),
            what_matters: r.try_get("what_matters")?,
            created_at: at(r.try_get("created_at")?)?,
        };
        tx.commit().await?;
        Ok(Some(person))
    }

    async fn find_people(
        &self,
        pcn: together_core::PcnId,
        practice: Option<together_core::PracticeId>,
        q: &str,
        audit: &crate::NewAuditEvent,
    ) -> Result<Vec<crate::PersonSummary>, crate::StoreError> {
        use crate::values::parsed;
        use sqlx::Row as _;
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let rows = sqlx::query(
            "SELECT id, practice_id, given_name, family_name, date_of_birth FROM \
                     person WHERE pcn_id = $1 AND ($2 IS NULL OR practice_id = $2) AND \
                     merged_into IS NULL AND erased_at IS NULL AND (LOWER(given_name || ' ' \
                     || family_name) LIKE $3 ESCAPE '\\' OR LOWER(family_name) LIKE $3 ESCAPE \
                     '\\') ORDER BY family_name, given_name LIMIT 100",
        )
        .bind(pcn.to_string())
        .bind(practice.map(|p| p.to_string()))
        .bind(crate::values::like_pattern(q))
        .fetch_all(&mut *tx)
        .await?;
        Sql::<DB>::write_audit(&mut tx, audit).await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                Ok(crate::PersonSummary {
                    id: parsed("person id", &r.try_get::<String, _>("id")?)?,
                    practice_id: parsed("practice id", &r.try_get::<String, _>("practice_id")?)?,
                    given_name: r.try_get("given_name")?,
                    family_name: r.try_get("family_name")?,
                    date_of_birth: crate::values::parse_iso_date(
                        &r.try_get::<String, _>("date_of_birth")?,
                    )?,
                })
            })
            .collect()
    }

    async fn add_consent(
        &self,
        person: together_core::PersonId,
        purpose: together_core::people::ConsentPurpose,
        method: together_core::people::ConsentMethod,
        by: together_core::UserId,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        Sql::<DB>::insert_consent(&mut tx, person, purpose, method, &by.to_string(), audit.at)
            .await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("person", person)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn withdraw_consents(
        &self,
        person: together_core::PersonId,
        by: together_core::UserId,
        audit: &crate::NewAuditEvent,
    ) -> Result<u64, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let n = sqlx::query(
            "UPDATE consent SET withdrawn_at = $1, withdrawn_by = $2 WHERE \
            person_id = $3 AND withdrawn_at IS NULL",
        )
        .bind(crate::values::secs(audit.at))
        .bind(by.to_string())
        .bind(person.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        Sql::<DB>::withhold_messages(&mut tx, person).await?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("person", person)).await?;
        tx.commit().await?;
        Ok(n)
    }

    async fn consents(
        &self,
        person: together_core::PersonId,
    ) -> Result<Vec<crate::Consent>, crate::StoreError> {
        use sqlx::Row as _;
        let rows = sqlx::query(
            "SELECT c.id, c.purpose, c.method, c.given_at, COALESCE(u.display_name, \
                     c.recorded_by) AS recorded_by, c.withdrawn_at FROM consent c LEFT JOIN \
                     app_user u ON u.id = c.recorded_by WHERE c.person_id = $1 ORDER BY \
                     c.given_at, c.id",
        )
        .bind(person.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let withdrawn: Option<i64> = r.try_get("withdrawn_at")?;
                Ok(crate::Consent {
                    id: r.try_get("id")?,
                    purpose: r.try_get("purpose")?,
                    method: r.try_get("method")?,
                    given_at: crate::values::at(r.try_get("given_at")?)?,
                    recorded_by: r.try_get("recorded_by")?,
                    withdrawn_at: withdrawn.map(crate::values::at).transpose()?,
                })
            })
            .collect()
    }

    async fn record_import(
        &self,
        i: &crate::NewImport,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        if let Some(old) = &i.replaces {
            // Only an active import of the same dataset: appointments never replace registrations.
            let n = sqlx::query(
                "UPDATE insight_import SET status = 'replaced' WHERE id = $1 AND \
                pcn_id = $2 AND dataset = $3 AND status = 'active'",
            )
            .bind(old)
            .bind(i.pcn_id.to_string())
            .bind(&i.dataset)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(crate::StoreError::NotFound("import to replace"));
            }
        }
        sqlx::query(
            "INSERT INTO insight_import (id, pcn_id, dataset, source, file_name, \
                     file_sha256, practices, period_from, period_to, rows_read, \
                     rows_imported, rows_rejected, imported_by, imported_at, status, \
                     replaces) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
                     $13, $14, 'active', $15)",
        )
        .bind(&i.id)
        .bind(i.pcn_id.to_string())
        .bind(&i.dataset)
        .bind(&i.source)
        .bind(&i.file_name)
        .bind(&i.file_sha256)
        .bind(i.practices.join(","))
        .bind(i.period.map(|p| crate::values::iso_date(p.0)))
        .bind(i.period.map(|p| crate::values::iso_date(p.1)))
        .bind(i.rows_read)
        .bind(i.rows_imported)
        .bind(i.rows_rejected)
        .bind(&audit.actor)
        .bind(crate::values::secs(audit.at))
        .bind(&i.replaces)
        .execute(&mut *tx)
        .await
        .map_err(|e| match crate::StoreError::from(e) {
            crate::StoreError::Conflict(_) => {
                crate::StoreError::Conflict("an import of this same file")
            }
            other => other,
        })?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("import", &i.id)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn imports(
        &self,
        pcn: together_core::PcnId,
    ) -> Result<Vec<crate::ImportRecord>, crate::StoreError> {
        sqlx::query("SELECT * FROM insight_import WHERE pcn_id = $1 ORDER BY imported_at DESC, id")
            .bind(pcn.to_string())
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(Sql::<DB>::import_row)
            .collect()
    }

    async fn import_with_hash(
        &self,
        pcn: together_core::PcnId,
        dataset: &str,
        sha256: &str,
    ) -> Result<Option<crate::ImportRecord>, crate::StoreError> {
        sqlx::query(
            "SELECT * FROM insight_import WHERE pcn_id = $1 AND dataset = $2 AND \
            file_sha256 = $3 AND status = 'active'",
        )
        .bind(pcn.to_string())
        .bind(dataset)
        .bind(sha256)
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(Sql::<DB>::import_row)
        .transpose()
    }

    async fn save_cohort(
        &self,
        c: &crate::NewCohort,
        audit: &crate::NewAuditEvent,
    ) -> Result<String, crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let id = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO insight_cohort (id, pcn_id, name, definition, \
                        created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(c.pcn_id.to_string())
        .bind(&c.name)
        .bind(&c.definition)
        .bind(&audit.actor)
        .bind(crate::values::secs(audit.at))
        .execute(&mut *tx)
        .await
        .map_err(|e| match crate::StoreError::from(e) {
            crate::StoreError::Conflict(_) => {
                crate::StoreError::Conflict("a cohort with this name")
            }
            other => other,
        })?;
        Sql::<DB>::write_audit(&mut tx, &audit.about("cohort", &id)).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn cohorts(
        &self,
        pcn: together_core::PcnId,
    ) -> Result<Vec<crate::CohortRecord>, crate::StoreError> {
        sqlx::query(
            "SELECT id, name, definition, created_by, created_at FROM \
            insight_cohort WHERE pcn_id = $1 AND NOT deleted ORDER BY name",
        )
        .bind(pcn.to_string())
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(Sql::<DB>::cohort_row)
        .collect()
    }

    async fn cohort(
        &self,
        pcn: together_core::PcnId,
        id: &str,
    ) -> Result<crate::CohortRecord, crate::StoreError> {
        sqlx::query(
            "SELECT id, name, definition, created_by, created_at FROM \
            insight_cohort WHERE pcn_id = $1 AND id = $2 AND NOT deleted",
        )
        .bind(pcn.to_string())
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(Sql::<DB>::cohort_row)
        .transpose()?
        .ok_or(crate::StoreError::NotFound("cohort"))
    }

    async fn delete_cohort(
        &self,
        pcn: together_core::PcnId,
        id: &str,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let n = sqlx::query(
            "UPDATE insight_cohort SET deleted = TRUE WHERE pcn_id = $1 AND id = \
            $2 AND NOT deleted",
        )
        .bind(pcn.to_string())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(crate::StoreError::NotFound("cohort"));
        }
        Sql::<DB>::write_audit(&mut tx, &audit.about("cohort", id)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn active_import_ids(&self) -> Result<Vec<String>, crate::StoreError> {
        Ok(
            sqlx::query_scalar("SELECT id FROM insight_import WHERE status = 'active'")
                .fetch_all(self.pool())
                .await?,
        )
    }

    async fn delete_import(
        &self,
        pcn: together_core::PcnId,
        id: &str,
        audit: &crate::NewAuditEvent,
    ) -> Result<(), crate::StoreError> {
        let mut tx = Sql::<DB>::begin(self.pool()).await?;
        let n = sqlx::query(
            "UPDATE insight_import SET status = 'deleted' WHERE id = $1 AND \
            pcn_id = $2 AND status = 'active'",
        )
        .bind(id)
        .bind(pcn.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(crate::StoreError::NotFound("import"));
        }
        Sql::<DB>::write_audit(&mut tx, &audit.about("import", id)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn backup_to(&self, path: &std::path::Path) -> Result<(), crate::StoreError> {
        self.backup_file(path).await
    }
}
