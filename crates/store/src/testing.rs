//! Fresh databases for tests (the zero2prod pattern): every test gets its own, so tests never
//! see each other's rows and can run in parallel.

use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{DynStore, StoreError};
use sqlx::Connection;
use std::sync::Arc;

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
