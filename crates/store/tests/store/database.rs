//! The database itself: an audit trail nobody can change, a newer database refused, SQLite's
//! durability settings, and backups before and during migrations and writes.

use super::*;
use together_core::audit::AuditAction;

#[tokio::test]
async fn audit_events_cannot_be_changed_or_deleted_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.sqlite");
    let (store, _) = SqliteStore::open(&path, None).await.unwrap();
    store
        .audit(&audit(PcnId::new(), AuditAction::Setup))
        .await
        .unwrap();
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let upd = sqlx::query("UPDATE audit_event SET actor = 'someone else'")
        .execute(&pool)
        .await;
    assert!(upd.unwrap_err().to_string().contains("append-only"));
    assert!(sqlx::query("DELETE FROM audit_event")
        .execute(&pool)
        .await
        .is_err());
}

#[tokio::test]
async fn audit_events_cannot_be_changed_or_deleted_postgres() {
    let url = fresh_postgres_url().await.unwrap();
    let (store, _) = together_store::postgres::PgStore::open(&url).await.unwrap();
    store
        .audit(&audit(PcnId::new(), AuditAction::Setup))
        .await
        .unwrap();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let upd = sqlx::query("UPDATE audit_event SET actor = 'someone else'")
        .execute(&pool)
        .await;
    assert!(upd.unwrap_err().to_string().contains("append-only"));
    assert!(sqlx::query("DELETE FROM audit_event")
        .execute(&pool)
        .await
        .is_err());
    assert!(sqlx::query("TRUNCATE audit_event")
        .execute(&pool)
        .await
        .is_err());
}

#[tokio::test]
async fn a_database_from_a_newer_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.sqlite");
    SqliteStore::open(&path, None)
        .await
        .unwrap()
        .0
        .close()
        .await;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (99990101000000, 'future', 1, x'00', 0)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let err = SqliteStore::open(&path, None).await.unwrap_err();
    assert!(
        matches!(err, StoreError::SchemaNewer(99990101000000)),
        "{err}"
    );
    assert!(err.to_string().contains("newer version of Together"));

    let url = fresh_postgres_url().await.unwrap();
    together_store::postgres::PgStore::open(&url).await.unwrap();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::query("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (99990101000000, 'future', true, '\\x00', 0)")
        .execute(&pool)
        .await
        .unwrap();
    let err = together_store::postgres::PgStore::open(&url)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::SchemaNewer(99990101000000)),
        "{err}"
    );
}

#[tokio::test]
async fn sqlite_pragmas_are_set_for_durability() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.sqlite");
    let (store, _) = SqliteStore::open(&path, None).await.unwrap();
    drop(store);
    let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(&path);
    use sqlx::ConnectOptions;
    let mut conn = opts.connect().await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        mode, "wal",
        "WAL mode is a property of the file and must persist"
    );
}

#[tokio::test]
async fn a_backup_taken_during_writes_restores_intact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("together.sqlite");
    let (store, _) = SqliteStore::open(&path, None).await.unwrap();
    let store = Arc::new(store);
    let pcn = store.create_pcn("Busy PCN", None, NOW).await.unwrap();
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for i in 0..300 {
                store
                    .set_setting(pcn, &format!("k{i}"), "v", &audit(pcn, AuditAction::Setup))
                    .await
                    .unwrap();
            }
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let backup = dir.path().join("backup.sqlite");
    store.backup_file(&backup).await.unwrap();
    writer.await.unwrap();
    assert!(
        store.backup_file(&backup).await.is_err(),
        "an existing backup is never overwritten"
    );

    let restored = dir.path().join("restored.sqlite");
    together_store::sqlite::restore_file(&backup, &restored)
        .await
        .unwrap();
    let (again, _) = SqliteStore::open(&restored, None).await.unwrap();
    assert_eq!(again.pcns().await.unwrap()[0].name, "Busy PCN");

    let junk = dir.path().join("junk.sqlite");
    std::fs::write(&junk, b"this is not a database").unwrap();
    assert!(together_store::sqlite::restore_file(&junk, &restored)
        .await
        .is_err());
}

#[tokio::test]
async fn pending_migrations_on_a_database_with_data_are_preceded_by_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("together.sqlite");
    let backups = dir.path().join("backups");
    // A database as the previous version left it: every migration but the last, from copies of
    // the files (so their checksums are the ones the binary knows).
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    let mut files: Vec<_> = std::fs::read_dir(&source)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let earlier = dir.path().join("earlier-migrations");
    std::fs::create_dir(&earlier).unwrap();
    for f in &files[..files.len() - 1] {
        std::fs::copy(f, earlier.join(f.file_name().unwrap())).unwrap();
    }
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    sqlx::migrate::Migrator::new(earlier.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO pcn (id, name, created_at) VALUES ($1, 'Harbourview PCN', 0)")
        .bind(PcnId::new().to_string())
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let last: i64 = files
        .last()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .split('_')
        .next()
        .unwrap()
        .parse()
        .unwrap();

    let (store, opened) = SqliteStore::open(&path, Some(&backups)).await.unwrap();
    assert_eq!(opened.applied, vec![last]);
    let backup = opened.backup.expect("a backup was taken before migrating");
    together_store::sqlite::verify_file(&backup).await.unwrap();
    assert_eq!(
        store.pcns().await.unwrap().len(),
        1,
        "data survives the migration"
    );
    let pcn = store.pcns().await.unwrap()[0].id;
    assert!(
        store.imports(pcn).await.unwrap().is_empty()
            && store.cohorts(pcn).await.unwrap().is_empty()
            && store.hours(pcn, None).await.unwrap().is_empty(),
        "the migration ran: every table is there"
    );
    // A fresh database needs no backup.
    let fresh = dir.path().join("fresh.sqlite");
    let (_, first) = SqliteStore::open(&fresh, Some(&backups)).await.unwrap();
    assert!(first.backup.is_none(), "a new database needs no backup");
}

/// Every table and column the migrations leave, with whether the column may be empty.
type Schema = std::collections::BTreeSet<(String, String, bool)>;

async fn sqlite_schema(path: &std::path::Path) -> Schema {
    use sqlx::Row;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let tables: Vec<String> = sqlx::query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name NOT LIKE '_sqlx%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .iter()
    .map(|r| r.get::<String, _>(0))
    .collect();
    let mut schema = Schema::new();
    for table in tables {
        let columns = sqlx::query(&format!(
            "SELECT name, \"notnull\", pk FROM pragma_table_info('{table}')"
        ))
        .fetch_all(&pool)
        .await
        .unwrap();
        for c in columns {
            // SQLite lets a primary key column be empty unless it says NOT NULL; PostgreSQL never
            // does, and Together never leaves one empty.
            let required = c.get::<i64, _>(1) == 1 || c.get::<i64, _>(2) > 0;
            schema.insert((table.clone(), c.get::<String, _>(0), !required));
        }
    }
    schema
}

async fn postgres_schema(url: &str) -> Schema {
    use sqlx::Row;
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    sqlx::query(
        "SELECT c.table_name::text, c.column_name::text, c.is_nullable = 'YES' \
         FROM information_schema.columns c JOIN information_schema.tables t \
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' \
           AND c.table_name NOT LIKE '_sqlx%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect()
}

/// The two migration sets describe one schema: the same tables, the same columns, the same
/// columns required. What each backend keeps for full-text search is its own and named here.
#[tokio::test]
async fn both_backends_end_up_with_the_same_tables_and_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.sqlite");
    SqliteStore::open(&path, None).await.unwrap();
    let url = fresh_postgres_url().await.unwrap();
    together_store::postgres::PgStore::open(&url).await.unwrap();
    let (sqlite, postgres) = (sqlite_schema(&path).await, postgres_schema(&url).await);
    // Full-text search is each backend's own: SQLite's FTS5 index of the directory
    // (`service_words` and its shadow tables) with the rowid map `service_search_row`;
    // PostgreSQL's tsvector column `service.words`.
    let own_search = |(table, column, _): &(String, String, bool)| {
        table.starts_with("service_words")
            || table == "service_search_row"
            || (table == "service" && column == "words")
    };
    let only_sqlite: Vec<_> = sqlite
        .difference(&postgres)
        .filter(|c| !own_search(c))
        .collect();
    let only_postgres: Vec<_> = postgres
        .difference(&sqlite)
        .filter(|c| !own_search(c))
        .collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "the migrations differ\nonly SQLite: {only_sqlite:?}\nonly PostgreSQL: {only_postgres:?}"
    );
    assert!(
        sqlite.len() > 100,
        "the schema was read: {} columns",
        sqlite.len()
    );
}
