//! PostgreSQL, for a deployment serving several practices or PCNs. Backed up with `pg_dump`.

use crate::StoreError;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions};
use std::time::Duration;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// The PostgreSQL implementation of [`crate::Store`].
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects (failing within seconds if the server does not answer) and migrates.
    pub async fn open(url: &str) -> Result<(Self, Vec<i64>), StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await?;
        let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
            .fetch_one(&pool)
            .await?;
        let applied: Vec<i64> = if exists {
            sqlx::query_scalar(
                "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
            )
            .fetch_all(&pool)
            .await?
        } else {
            Vec::new()
        };
        let known: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
        if let Some(newer) = applied.iter().find(|v| !known.contains(v)) {
            return Err(StoreError::SchemaNewer(*newer));
        }
        let pending = known.into_iter().filter(|v| !applied.contains(v)).collect();
        MIGRATOR.run(&pool).await?;
        Ok((Self { pool }, pending))
    }
}

#[async_trait::async_trait]
impl crate::sql::Pooled for PgStore {
    type Db = sqlx::Postgres;
    fn pool(&self) -> &sqlx::Pool<sqlx::Postgres> {
        &self.pool
    }
    async fn backup_file(&self, _target: &std::path::Path) -> Result<(), StoreError> {
        Err(StoreError::Unsupported(
            "a PostgreSQL database is backed up with pg_dump (see docs/operations.md)",
        ))
    }
}
