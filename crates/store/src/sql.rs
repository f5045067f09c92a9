//! The SQL both backends share, written once as ordinary functions generic over the database.
//!
//! SQLite and PostgreSQL accept the same `$N` parameters and both schemas store the same
//! representations (UUID text, UTC seconds, ISO dates), so one function serves both; it is
//! type-checked once and monomorphised for each backend. The few statements that differ
//! (full-text search, schema introspection, how a writing transaction begins) branch on
//! [`Db::BACKEND`] in the function that needs them.
//!
//! Each aggregate's module holds its SQL in two generic `impl` blocks: its helpers and row
//! readers as associated functions of [`Sql`] (called `Sql::<DB>::champion_in(..)`, so a
//! reader sees where a helper lives), and its store trait for every [`Pooled`] store. Rust
//! does not carry a trait's `where` clauses to the places the trait is used, so the bounds
//! that say "this database can run a statement and bind and read text, whole numbers, reals
//! and flags" are written out on each block: the same list everywhere (copy it from
//! [`Sql`]'s own block), and the compiler names any that is missing.
//!
//! Why not sqlx's `Any` driver, which would need no bounds at all: it turns every row into
//! owned values before the code reads it (a copy per column), it refuses columns whose
//! declared type it does not know (SQLite's `DATE` and `BOOLEAN`, PostgreSQL's `UUID` and
//! `TSVECTOR`, all in our schemas), and it reads a SQLite flag (an integer) as an error where
//! a `bool` is asked for. docs/decisions.md has the comparison.

use crate::{Backend, NewAuditEvent, NewMessage, StoreError};
use sqlx::{Database, Pool, Transaction};

/// How many rows a statement changed: both backends say, but sqlx has no trait for it.
pub trait RowsAffected {
    fn rows_affected(&self) -> u64;
}

impl RowsAffected for sqlx::sqlite::SqliteQueryResult {
    fn rows_affected(&self) -> u64 {
        sqlx::sqlite::SqliteQueryResult::rows_affected(self)
    }
}

impl RowsAffected for sqlx::postgres::PgQueryResult {
    fn rows_affected(&self) -> u64 {
        sqlx::postgres::PgQueryResult::rows_affected(self)
    }
}

/// A database Together's SQL runs on.
pub trait Db: Database<QueryResult: RowsAffected> {
    /// Which backend, for the statements that differ.
    const BACKEND: Backend;
}

impl Db for sqlx::Sqlite {
    const BACKEND: Backend = Backend::Sqlite;
}

impl Db for sqlx::Postgres {
    const BACKEND: Backend = Backend::Postgres;
}

/// A store that holds a pool of one of the databases: what the shared SQL needs of it.
#[async_trait::async_trait]
pub(crate) trait Pooled: Send + Sync + 'static {
    type Db: Db;
    fn pool(&self) -> &Pool<Self::Db>;
    /// Writes a consistent copy of the database to `target`, where the backend can.
    async fn backup_file(&self, target: &std::path::Path) -> Result<(), StoreError>;
}

/// A transaction that will write.
pub(crate) type Tx<'c, DB> = Transaction<'c, DB>;

/// The helpers every aggregate's SQL uses.
pub(crate) struct Sql<DB>(std::marker::PhantomData<DB>);

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
    /// Starts a transaction that will write. SQLite's `BEGIN IMMEDIATE` takes the write lock
    /// at once (waiting up to the busy timeout for another writer), instead of failing with
    /// "database is locked" when a transaction that has read tries to write after another
    /// connection wrote; PostgreSQL's ordinary `BEGIN` needs no such care.
    pub(crate) async fn begin(pool: &Pool<DB>) -> Result<Tx<'static, DB>, sqlx::Error> {
        match DB::BACKEND {
            Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => pool.begin().await,
        }
    }

    /// Puts a message in the outbox inside a caller's transaction, so that a change and the
    /// message telling people about it are committed together.
    pub(crate) async fn write_message(
        tx: &mut Tx<'_, DB>,
        m: &NewMessage,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO outbox (id, pcn_id, channel, recipient, subject, body, created_at, \
             person_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(m.pcn_id.map(|p| p.to_string()))
        .bind(m.channel.as_str())
        .bind(&m.recipient)
        .bind(&m.subject)
        .bind(&m.body)
        .bind(crate::values::secs(m.now))
        .bind(m.person.map(|p| p.to_string()))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Records an audit event inside a caller's transaction: the change and its record commit
    /// together or not at all.
    pub(crate) async fn write_audit(
        tx: &mut Tx<'_, DB>,
        e: &NewAuditEvent,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_event (at, actor, role, pcn_id, action, resource_type, \
             resource_id, outcome, reason, request_id, ip) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(crate::values::secs(e.at))
        .bind(&e.actor)
        .bind(&e.role)
        .bind(e.pcn_id.map(|p| p.to_string()))
        .bind(e.action.as_str())
        .bind(&e.resource_type)
        .bind(&e.resource_id)
        .bind(e.outcome.as_str())
        .bind(&e.reason)
        .bind(&e.request_id)
        .bind(&e.ip)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}
