//! The embedded default: one SQLite file in the data directory, in WAL mode with
//! `synchronous=FULL` (a commit survives power loss), foreign keys on and a busy timeout.

use crate::StoreError;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection};
use std::path::{Path, PathBuf};
use std::time::Duration;
use together_core::Clock as _;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// The SQLite implementation of [`crate::Store`].
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    path: PathBuf,
}

/// What opening the database did.
#[derive(Debug, Clone, Default)]
pub struct Opened {
    /// Migrations applied by this start.
    pub applied: Vec<i64>,
    /// Where the automatic pre-migration backup went, if one was taken.
    pub backup: Option<PathBuf>,
}

fn options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
        // Reads map the file rather than copy each page out of the kernel: under load the
        // directory spent a tenth of its time in those copies. Writes still go through the
        // journal, so a crash loses nothing that was committed.
        .pragma("mmap_size", "268435456")
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database. When migrations are pending on a
    /// database that already holds data, a copy is first written to `backup_dir`.
    pub async fn open(
        path: &Path,
        backup_dir: Option<&Path>,
    ) -> Result<(Self, Opened), StoreError> {
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options(path))
            .await?;
        let store = Self {
            pool,
            path: path.to_owned(),
        };
        let applied_before = applied_versions(&store.pool).await?;
        let known: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
        if let Some(newer) = applied_before.iter().find(|v| !known.contains(v)) {
            return Err(StoreError::SchemaNewer(*newer));
        }
        let pending: Vec<i64> = known
            .iter()
            .filter(|v| !applied_before.contains(v))
            .copied()
            .collect();
        let mut opened = Opened {
            applied: pending.clone(),
            backup: None,
        };
        if !pending.is_empty() && !applied_before.is_empty() {
            if let Some(dir) = backup_dir {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Corrupt(format!("cannot create {}: {e}", dir.display()))
                })?;
                let stamp = together_core::clock::SystemClock.now().unix_timestamp();
                let target = dir.join(format!("before-migration-{stamp}.sqlite"));
                store.backup_file(&target).await?;
                opened.backup = Some(target);
            }
        }
        MIGRATOR.run(&store.pool).await?;
        Ok((store, opened))
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes a consistent copy of this database to `target` (see [`backup_database`]).
    pub async fn backup_file(&self, target: &Path) -> Result<(), StoreError> {
        backup_database(&self.path, target).await
    }

    /// Closes the pool (checkpointing the WAL), e.g. before a restore or at shut-down.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[async_trait::async_trait]
impl crate::sql::Pooled for SqliteStore {
    type Db = sqlx::Sqlite;
    fn pool(&self) -> &sqlx::Pool<sqlx::Sqlite> {
        &self.pool
    }
    async fn backup_file(&self, target: &Path) -> Result<(), StoreError> {
        backup_database(&self.path, target).await
    }
}

/// Writes a consistent copy with `VACUUM INTO` (safe while others write, and it never changes
/// the source), checks it, and moves it into place only when it passes `integrity_check`.
pub async fn backup_database(source: &Path, target: &Path) -> Result<(), StoreError> {
    if target.exists() {
        return Err(StoreError::Conflict("a file at the backup path"));
    }
    if !source.is_file() {
        return Err(StoreError::NotFound("database file"));
    }
    let tmp = target.with_extension("partial");
    let _ = std::fs::remove_file(&tmp);
    let mut conn = SqliteConnectOptions::new()
        .filename(source)
        .read_only(true)
        .busy_timeout(Duration::from_secs(5))
        .connect()
        .await?;
    sqlx::query("VACUUM INTO $1")
        .bind(tmp.to_string_lossy().to_string())
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    verify_file(&tmp).await?;
    std::fs::rename(&tmp, target)
        .map_err(|e| StoreError::Corrupt(format!("cannot write {}: {e}", target.display())))?;
    Ok(())
}

async fn applied_versions(pool: &SqlitePool) -> Result<Vec<i64>, StoreError> {
    let exists: Option<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_optional(pool)
    .await?;
    if exists.is_none() {
        return Ok(Vec::new());
    }
    Ok(
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(pool)
            .await?,
    )
}

/// Checks that a file is an intact SQLite database written by Together.
pub async fn verify_file(path: &Path) -> Result<(), StoreError> {
    if !path.is_file() {
        return Err(StoreError::NotFound("backup file"));
    }
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    if check != "ok" {
        return Err(StoreError::Corrupt(format!("integrity check: {check}")));
    }
    let ours: Option<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'audit_event'",
    )
    .fetch_optional(&mut conn)
    .await
    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    conn.close()
        .await
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    if ours.is_none() {
        return Err(StoreError::Corrupt("it has no Together tables".into()));
    }
    Ok(())
}

/// Replaces the database at `target` with a verified backup. The server must be stopped.
pub async fn restore_file(backup: &Path, target: &Path) -> Result<(), StoreError> {
    verify_file(backup).await?;
    let io =
        |e: std::io::Error| StoreError::Corrupt(format!("cannot write {}: {e}", target.display()));
    let tmp = target.with_extension("restoring");
    std::fs::copy(backup, &tmp).map_err(io)?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(io)?;
    for suffix in ["-wal", "-shm"] {
        let mut side = target.as_os_str().to_owned();
        side.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(side));
    }
    std::fs::rename(&tmp, target).map_err(io)?;
    Ok(())
}
