//! PostgreSQL, for a deployment serving several practices or PCNs. Backed up with `pg_dump`.

use crate::{queries, Backend, StoreError};
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

    async fn backup_file(&self, _target: &std::path::Path) -> Result<(), StoreError> {
        Err(StoreError::Unsupported(
            "a PostgreSQL database is backed up with pg_dump (see docs/operations.md)",
        ))
    }
}

crate::champions::impl_champion_store!(PgStore, Backend::Postgres);
crate::safeguarding::impl_safeguarding_store!(PgStore);
crate::partners::impl_partner_store!(PgStore);
crate::offers::impl_offer_store!(PgStore);
crate::directory::impl_directory_store!(
    PgStore,
    "v.words @@ to_tsquery('simple', ${n})",
    crate::directory::tsquery,
    "service v"
);
crate::loans::impl_loan_store!(PgStore);
crate::connections::impl_connection_store!(PgStore);
crate::wellbeing::impl_wellbeing_store!(PgStore);
crate::referrals::impl_referral_store!(PgStore);
crate::people::impl_people_store!(PgStore);
crate::invitations::impl_invitation_store!(PgStore);
crate::pledges::impl_pledge_store!(PgStore);
crate::impact::impl_impact_store!(PgStore);
crate::listings::impl_listing_store!(PgStore);
queries::impl_store!(PgStore, sqlx::Postgres, Backend::Postgres);
