//! Fresh databases for tests (the zero2prod pattern): every test gets its own, so tests never
//! see each other's rows and can run in parallel.

use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{DynStore, NewAuditEvent, StoreError};
use sqlx::Connection;
use std::sync::Arc;
use together_core::PcnId;

/// The server that PostgreSQL tests create their databases on. Tests fail, not skip, when it
/// does not answer: CI must run them.
pub fn postgres_admin_url() -> String {
    std::env::var("TOGETHER_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Creates an empty database with a unique name and returns its URL.
pub async fn fresh_postgres_url() -> Result<String, StoreError> {
    let admin = postgres_admin_url();
    let mut conn = sqlx::PgConnection::connect(&admin).await?;
    let name = format!("together_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    let base = match admin.rfind('/') {
        Some(i)
            if admin[..i].contains('@')
                || admin[..i].ends_with(':')
                || admin[..i].contains("//") =>
        {
            &admin[..i]
        }
        _ => admin.as_str(),
    };
    Ok(format!("{base}/{name}"))
}

/// A migrated store on a fresh PostgreSQL database.
pub async fn fresh_postgres() -> Result<DynStore, StoreError> {
    let url = fresh_postgres_url().await?;
    Ok(Arc::new(PgStore::open(&url).await?.0))
}

/// A migrated store in a fresh SQLite file inside `dir`.
pub async fn fresh_sqlite(dir: &std::path::Path) -> Result<DynStore, StoreError> {
    Ok(Arc::new(
        SqliteStore::open(&dir.join("together.sqlite"), None)
            .await?
            .0,
    ))
}

/// Which database a story runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs `story` on a fresh, migrated store of `backend`; the SQLite folder lives as long as the
/// story. Stops at once, with the reason, when the database cannot be made: PostgreSQL tests
/// fail rather than skip, because CI must run them.
pub async fn with_store<F, Fut>(backend: Backend, story: F)
where
    F: FnOnce(DynStore) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    match backend {
        Backend::Sqlite => {
            let dir = match tempfile::tempdir() {
                Ok(dir) => dir,
                Err(e) => panic!("cannot make a folder for the test database: {e}"),
            };
            match fresh_sqlite(dir.path()).await {
                Ok(store) => story(store).await,
                Err(e) => panic!("cannot open a fresh SQLite store: {e}"),
            }
        }
        Backend::Postgres => match fresh_postgres().await {
            Ok(store) => story(store).await,
            Err(e) => {
                panic!("PostgreSQL must answer for these tests (TOGETHER_TEST_POSTGRES_URL): {e}")
            }
        },
    }
}

/// Runs the story with the backend itself, for tests that build more than a store on it
/// (a whole running application, say).
pub async fn with_backend<F, Fut>(backend: Backend, story: F)
where
    F: FnOnce(Backend) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    story(backend).await
}

/// The moment test fixtures are written at.
pub const FIXTURE_TIME: time::OffsetDateTime = time::macros::datetime!(2026-11-24 09:00 UTC);

/// An audit event for what a test sets up, as the command line would record it.
pub fn audit(pcn: PcnId, action: together_core::audit::AuditAction) -> NewAuditEvent {
    NewAuditEvent {
        resource_id: Some(pcn.to_string()),
        ..NewAuditEvent::by_operator("cli:test", FIXTURE_TIME, action, "pcn", Some(pcn))
    }
}

/// Tells one story to both backends (the atuin pattern): whatever SQLite does, PostgreSQL must
/// do the same. `on_both!(story)` hands the story a fresh store; `on_both!(story, backend)`
/// hands it the [`Backend`], for stories that build a whole application on it. The calling
/// crate needs tokio (for `#[tokio::test]`).
#[macro_export]
macro_rules! on_both {
    ($name:ident) => {
        $crate::on_both!(@tell $name, $crate::testing::with_store);
    };
    ($name:ident, backend) => {
        $crate::on_both!(@tell $name, $crate::testing::with_backend);
    };
    (@tell $name:ident, $with:path) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                $with($crate::testing::Backend::Sqlite, super::$name).await;
            }
            #[tokio::test]
            async fn postgres() {
                $with($crate::testing::Backend::Postgres, super::$name).await;
            }
        }
    };
}
