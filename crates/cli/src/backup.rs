//! Whole backups and restores of an instance: the database (SQLite copied while the server runs,
//! or a `pg_dump` of PostgreSQL), the Insight Parquet with its sealed patient index, the uploads
//! that matter (rejection reports, receipts) and the settings file, under a manifest of sizes and
//! SHA-256 checksums. The keys are never in a backup: without them the pseudonyms and the patient
//! index cannot be read, so they are kept apart (docs/operations.md says where).
//!
//! A backup is a folder, written beside its final name and renamed into place only once every
//! file is in it and summed, so a backup that exists is whole. Insight files never change once
//! written (an import adds folders; a deletion removes them after its record), so the database is
//! copied first and then the folders of every import it could name; if one goes while it is
//! copied, the whole backup is taken again.

use crate::instance::{self, DirLock};
use crate::Location;
use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use together_core::Clock as _;
use together_insight::INSIGHT_DIR;

/// The file that lists everything in a backup.
pub const MANIFEST: &str = "manifest.json";
const FORMAT: &str = "together-backup";
const VERSION: u32 = 1;
const SQLITE_FILE: &str = "together.sqlite";
const PG_DUMP_FILE: &str = "database.pgdump";
const SETTINGS_FILE: &str = "together.toml";
const UPLOADS_DIR: &str = "uploads";
/// How many times a backup is taken again when an import is deleted while it is copied.
const ATTEMPTS: usize = 3;

#[derive(Debug, Serialize, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Database {
    Sqlite,
    Postgresql,
}

impl Database {
    fn file(self) -> &'static str {
        match self {
            Database::Sqlite => SQLITE_FILE,
            Database::Postgresql => PG_DUMP_FILE,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: String,
    version: u32,
    /// The Together release that wrote it (a newer release migrates an older database on start).
    written_by: String,
    made_at: String,
    database: Database,
    /// The imports whose Insight files are in the backup.
    imports: Vec<String>,
    files: Vec<Entry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    /// Relative to the backup folder, with `/` between parts.
    path: String,
    bytes: u64,
    sha256: String,
}

/// The location with its database URL as the server takes it ([`instance::database_url`]),
/// and the settings it was read from.
fn resolved(at: &Location) -> Result<(Location, instance::FileSettings)> {
    let settings = instance::FileSettings::load(&at.data_dir)?;
    let at = Location {
        data_dir: at.data_dir.clone(),
        database_url: instance::database_url(at, &settings),
    };
    Ok((at, settings))
}

fn is_postgres(at: &Location) -> Option<&str> {
    at.database_url
        .as_deref()
        .filter(|u| instance::is_postgres(u))
}

/// `together backup`: everything but the keys, into a new folder `to`, while the server runs.
pub async fn backup(at: &Location, to: &Path) -> Result<()> {
    let (at, settings) = &resolved(at)?;
    if to.exists() {
        bail!("{} already exists: choose a new name", to.display());
    }
    let name = to
        .file_name()
        .with_context(|| format!("{} is not a folder name", to.display()))?;
    let parent = match to.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let partial = parent.join(format!(".{}.partial", name.to_string_lossy()));
    let store = instance::open_store(at, settings).await?;
    let database = if is_postgres(at).is_some() {
        Database::Postgresql
    } else {
        Database::Sqlite
    };
    let mut attempt = 0;
    let manifest = loop {
        attempt += 1;
        if partial.exists() {
            std::fs::remove_dir_all(&partial)
                .with_context(|| format!("cannot clear {}", partial.display()))?;
        }
        std::fs::create_dir_all(&partial)
            .with_context(|| format!("cannot create {}", partial.display()))?;
        match take(at, &store, database, &partial).await {
            Ok(m) => break m,
            Err(Taken::Moved) if attempt < ATTEMPTS => {
                tracing::info!(
                    attempt,
                    "an import changed while it was copied; taking the backup again"
                );
            }
            Err(Taken::Moved) => {
                let _ = std::fs::remove_dir_all(&partial);
                bail!("imports kept changing while the backup was taken ({ATTEMPTS} tries): run it again when no import is being deleted");
            }
            Err(Taken::Failed(e)) => {
                let _ = std::fs::remove_dir_all(&partial);
                return Err(e);
            }
        }
    };
    sync_dir(&partial)?;
    std::fs::rename(&partial, to)
        .with_context(|| format!("cannot name the backup {}", to.display()))?;
    sync_dir(&parent)?;
    let bytes: u64 = manifest.files.iter().map(|f| f.bytes).sum();
    println!(
        "Backed up {} ({} files, {}, {} imports) to {} and checked it (integrity_check ok; every file summed in {MANIFEST}).",
        at.data_dir.display(),
        manifest.files.len(),
        megabytes(bytes),
        manifest.imports.len(),
        to.display()
    );
    println!(
        "The keys in {} are not in the backup: keep a copy of them somewhere else safe, apart from the backups.",
        at.data_dir.join("keys").display()
    );
    Ok(())
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

enum Taken {
    /// An import was deleted while its files were copied: take the backup again.
    Moved,
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for Taken {
    fn from(e: anyhow::Error) -> Self {
        Taken::Failed(e)
    }
}

async fn active(store: &together_store::DynStore) -> Result<BTreeSet<String>> {
    Ok(store.active_import_ids().await?.into_iter().collect())
}

async fn take(
    at: &Location,
    store: &together_store::DynStore,
    database: Database,
    partial: &Path,
) -> Result<Manifest, Taken> {
    // The imports the copied database can name: those active just before it was copied, and
    // any that landed while it was.
    let before = active(store).await?;
    match database {
        Database::Sqlite => {
            let source = at.data_dir.join(SQLITE_FILE);
            if !source.is_file() {
                return Err(anyhow::anyhow!("there is no database at {}", source.display()).into());
            }
            together_store::sqlite::backup_database(&source, &partial.join(SQLITE_FILE))
                .await
                .with_context(|| {
                    format!("the database {} could not be copied", source.display())
                })?;
        }
        Database::Postgresql => {
            let url = is_postgres(at).unwrap_or_default();
            pg_dump(url, &partial.join(PG_DUMP_FILE))?;
        }
    }
    let after = active(store).await?;
    let imports: BTreeSet<String> = before.union(&after).cloned().collect();
    let mut sources: Vec<(PathBuf, PathBuf)> = Vec::new();
    let insight = at.data_dir.join(INSIGHT_DIR);
    for id in &imports {
        for dir in together_insight::import_dirs(&at.data_dir, id) {
            let rel = dir.strip_prefix(&insight).unwrap_or(&dir).to_owned();
            sources.push((dir, Path::new(INSIGHT_DIR).join(rel)));
        }
    }
    let uploads = at.data_dir.join(UPLOADS_DIR);
    if uploads.is_dir() {
        sources.push((uploads, PathBuf::from(UPLOADS_DIR)));
    }
    let files = list_files(&sources).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Taken::Moved,
        _ => Taken::Failed(anyhow::Error::new(e).context("cannot read the data directory")),
    })?;
    let total: u64 = files.iter().map(|(_, _, n)| n).sum();
    let bar = bar(total, "Backing up");
    for (from, rel, _) in &files {
        match copy_file(from, &partial.join(rel), &bar) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Taken::Moved),
            Err(e) => {
                return Err(anyhow::Error::new(e)
                    .context(format!("cannot copy {}", from.display()))
                    .into())
            }
        }
    }
    bar.finish_and_clear();
    // An import deleted while its files were copied may have left only some of them.
    let now = active(store).await?;
    if !imports.is_subset(&now) {
        return Err(Taken::Moved);
    }
    let settings = at.data_dir.join(SETTINGS_FILE);
    if settings.is_file() {
        std::fs::copy(&settings, partial.join(SETTINGS_FILE))
            .with_context(|| format!("cannot copy {}", settings.display()))?;
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        version: VERSION,
        written_by: env!("CARGO_PKG_VERSION").into(),
        made_at: together_core::clock::SystemClock
            .now()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        database,
        imports: imports.into_iter().collect(),
        files: sum_folder(partial)?,
    };
    let text = serde_json::to_string_pretty(&manifest).map_err(anyhow::Error::new)?;
    instance::write_private(&partial.join(MANIFEST), &text)
        .with_context(|| format!("cannot write the {MANIFEST}"))?;
    Ok(manifest)
}

fn bar(total: u64, what: &str) -> ProgressBar {
    if total < 64 << 20 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(&format!("{what} [{{bar:30}}] {{bytes}}/{{total_bytes}}"))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// Runs `pg_dump` (custom format, which `pg_restore` reads) into `file`.
fn pg_dump(url: &str, file: &Path) -> Result<()> {
    let file = file.as_os_str();
    pg_tool(
        "pg_dump",
        &[
            "--format=custom".as_ref(),
            "--no-owner".as_ref(),
            "--no-privileges".as_ref(),
            "--file".as_ref(),
            file,
            "--dbname".as_ref(),
            url.as_ref(),
        ],
        "pg_dump failed",
    )
}

/// Runs a PostgreSQL client tool, saying in words what went wrong (its own message, or that it
/// is not installed).
fn pg_tool(tool: &str, args: &[&std::ffi::OsStr], failed: &str) -> Result<()> {
    match std::process::Command::new(tool).args(args).output() {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => bail!("{failed}: {}", String::from_utf8_lossy(&o.stderr).trim()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "{tool} was not found: install the PostgreSQL client tools, of the same major version as the server (see docs/operations.md)"
        ),
        Err(e) => Err(e).with_context(|| format!("cannot run {tool}")),
    }
}

/// Every file under each source (a file or a folder), with where it goes in the backup and its
/// size. Unfinished writes (`*.partial`) and uploads still arriving (`*.upload`) are left out.
fn list_files(sources: &[(PathBuf, PathBuf)]) -> std::io::Result<Vec<(PathBuf, PathBuf, u64)>> {
    let mut out = Vec::new();
    let mut todo: Vec<(PathBuf, PathBuf)> = sources.to_vec();
    while let Some((path, rel)) = todo.pop() {
        let meta = std::fs::symlink_metadata(&path)?;
        let name = rel.file_name().map(|n| n.to_string_lossy().to_string());
        if name
            .as_deref()
            .is_some_and(|n| n.ends_with(".partial") || n.ends_with(".upload"))
            || meta.file_type().is_symlink()
        {
            continue;
        }
        if meta.is_dir() {
            for entry in std::fs::read_dir(&path)? {
                let entry = entry?;
                todo.push((entry.path(), rel.join(entry.file_name())));
            }
        } else {
            out.push((path, rel, meta.len()));
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

fn copy_file(from: &Path, to: &Path, bar: &ProgressBar) -> std::io::Result<()> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let n = std::fs::copy(from, to)?;
    std::fs::File::open(to)?.sync_all()?;
    bar.inc(n);
    Ok(())
}

fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot write {}", dir.display()))
}

fn sha256(path: &Path) -> std::io::Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let bytes = std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
    Ok((bytes, hex::encode(hasher.finalize())))
}

/// The entries of every file in a backup folder but the manifest, in path order.
fn sum_folder(root: &Path) -> Result<Vec<Entry>> {
    let files = list_files(&[(root.to_owned(), PathBuf::new())])
        .with_context(|| format!("cannot read {}", root.display()))?;
    let mut entries = Vec::new();
    for (path, rel, _) in files {
        if rel == Path::new(MANIFEST) {
            continue;
        }
        let (bytes, sha256) =
            sha256(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().to_string())
            .collect();
        entries.push(Entry {
            path: parts.join("/"),
            bytes,
            sha256,
        });
    }
    Ok(entries)
}

/// Reads a backup's manifest and checks every file it lists against its size and checksum, and
/// that nothing is missing or added.
fn check(from: &Path) -> Result<Manifest> {
    let path = from.join(MANIFEST);
    let text = std::fs::read(&path).with_context(|| {
        format!(
            "{} is not a Together backup: it has no {MANIFEST}",
            from.display()
        )
    })?;
    let manifest: Manifest = serde_json::from_slice(&text)
        .with_context(|| format!("{} cannot be read", path.display()))?;
    if manifest.format != FORMAT || manifest.version != VERSION {
        bail!(
            "{} is not a backup this release reads (format {} version {})",
            from.display(),
            manifest.format,
            manifest.version
        );
    }
    let found = sum_folder(from)?;
    let listed: std::collections::BTreeMap<&str, &Entry> = manifest
        .files
        .iter()
        .map(|e| (e.path.as_str(), e))
        .collect();
    for entry in &found {
        match listed.get(entry.path.as_str()) {
            None => bail!(
                "{} is in the backup but not in its {MANIFEST}: the backup was changed",
                entry.path
            ),
            Some(l) if l.bytes != entry.bytes || l.sha256 != entry.sha256 => bail!(
                "{} is damaged: its checksum is not the one in the {MANIFEST}",
                entry.path
            ),
            Some(_) => {}
        }
    }
    let present: BTreeSet<&str> = found.iter().map(|f| f.path.as_str()).collect();
    if let Some(missing) = manifest
        .files
        .iter()
        .find(|l| !present.contains(l.path.as_str()))
    {
        bail!("{} is missing from the backup", missing.path);
    }
    if !manifest
        .files
        .iter()
        .any(|f| f.path == manifest.database.file())
    {
        bail!("the backup holds no database");
    }
    Ok(manifest)
}

/// `together restore`: checks the backup whole, keeps what the instance holds now under
/// `backups/before-restore-<time>/`, and puts the backup in its place. The server must be
/// stopped (the data directory's lock says so).
pub async fn restore(at: &Location, from: &Path) -> Result<()> {
    let _lock = DirLock::take(&at.data_dir, "restore into it")?;
    let (at, _) = &resolved(at)?;
    if from.is_file() {
        return restore_database_file(at, from).await;
    }
    let manifest = check(from).with_context(|| format!("{} cannot be restored", from.display()))?;
    let target_pg = is_postgres(at);
    match (manifest.database, target_pg) {
        (Database::Sqlite, None) => {
            together_store::sqlite::verify_file(&from.join(SQLITE_FILE))
                .await
                .with_context(|| format!("{} cannot be restored", from.display()))?;
        }
        (Database::Postgresql, Some(_)) => {}
        (Database::Sqlite, Some(_)) => bail!("{} holds a SQLite database: restore it into an instance without a PostgreSQL database URL, or move it to PostgreSQL by hand", from.display()),
        (Database::Postgresql, None) => bail!("{} holds a PostgreSQL dump: name the PostgreSQL database to restore it into (--database-url, or database_url in together.toml)", from.display()),
    }
    instance::prepare_dir(&at.data_dir)?;
    let stamp = together_core::clock::SystemClock.now().unix_timestamp();
    // The files go into the data directory beside their places first, then are swapped in.
    let incoming = at.data_dir.join(format!(".restoring-{stamp}"));
    let _ = std::fs::remove_dir_all(&incoming);
    let mut sources = Vec::new();
    for dir in [INSIGHT_DIR, UPLOADS_DIR] {
        if from.join(dir).is_dir() {
            sources.push((from.join(dir), PathBuf::from(dir)));
        }
    }
    let files = list_files(&sources).with_context(|| format!("cannot read {}", from.display()))?;
    let bar = bar(files.iter().map(|(_, _, n)| n).sum(), "Restoring");
    for (src, rel, _) in &files {
        copy_file(src, &incoming.join(rel), &bar)
            .with_context(|| format!("cannot copy {}", src.display()))?;
    }
    bar.finish_and_clear();
    let keep = at
        .data_dir
        .join("backups")
        .join(format!("before-restore-{stamp}"));
    std::fs::create_dir_all(&keep).with_context(|| format!("cannot create {}", keep.display()))?;
    match target_pg {
        Some(url) => {
            pg_dump(url, &keep.join(PG_DUMP_FILE))
                .context("could not keep a copy of the current database")?;
            pg_restore(url, &from.join(PG_DUMP_FILE))?
        }
        None => {
            let target = at.data_dir.join(SQLITE_FILE);
            if target.is_file() {
                together_store::sqlite::backup_database(&target, &keep.join(SQLITE_FILE))
                    .await
                    .context("could not keep a copy of the current database")?;
            }
        }
    }
    for dir in [INSIGHT_DIR, UPLOADS_DIR] {
        let now = at.data_dir.join(dir);
        if now.exists() {
            std::fs::rename(&now, keep.join(dir))
                .with_context(|| format!("cannot move {} aside", now.display()))?;
        }
        if incoming.join(dir).exists() {
            std::fs::rename(incoming.join(dir), &now)
                .with_context(|| format!("cannot put {} in place", now.display()))?;
        }
    }
    let _ = std::fs::remove_dir_all(&incoming);
    if target_pg.is_none() {
        together_store::sqlite::restore_file(
            &from.join(SQLITE_FILE),
            &at.data_dir.join(SQLITE_FILE),
        )
        .await
        .with_context(|| format!("restore from {} failed", from.display()))?;
    }
    let settings = at.data_dir.join(SETTINGS_FILE);
    if from.join(SETTINGS_FILE).is_file() {
        if settings.exists() {
            println!(
                "The settings in {} were kept; the backup's are in {}.",
                settings.display(),
                from.join(SETTINGS_FILE).display()
            );
        } else {
            std::fs::copy(from.join(SETTINGS_FILE), &settings)
                .with_context(|| format!("cannot write {}", settings.display()))?;
        }
    }
    println!(
        "Restored {} from {} (made {}: {} files, {} imports). What was there before is in {}.",
        at.data_dir.display(),
        from.display(),
        manifest.made_at,
        manifest.files.len(),
        manifest.imports.len(),
        keep.display()
    );
    if !at.data_dir.join("keys").is_dir() && std::env::var_os("TOGETHER_PSEUDONYM_KEY").is_none() {
        println!(
            "Put the instance's keys in {} before you start it: without them the patient index cannot be opened and new imports would not match the old.",
            at.data_dir.join("keys").display()
        );
    }
    Ok(())
}

fn pg_restore(url: &str, dump: &Path) -> Result<()> {
    pg_tool(
        "pg_restore",
        &[
            "--clean".as_ref(),
            "--if-exists".as_ref(),
            "--no-owner".as_ref(),
            "--no-privileges".as_ref(),
            "--single-transaction".as_ref(),
            "--dbname".as_ref(),
            url.as_ref(),
            dump.as_os_str(),
        ],
        "pg_restore failed, and the database was left as it was",
    )
}

/// A backup from before whole backups (a single SQLite file, or a copy kept before a migration
/// or a restore): the database alone.
async fn restore_database_file(at: &Location, from: &Path) -> Result<()> {
    if is_postgres(at).is_some() {
        bail!("{} is a SQLite database file: a PostgreSQL database is restored from a whole backup folder", from.display());
    }
    let target = at.data_dir.join(SQLITE_FILE);
    together_store::sqlite::verify_file(from)
        .await
        .with_context(|| format!("{} cannot be restored", from.display()))?;
    instance::prepare_dir(&at.data_dir)?;
    if target.is_file() {
        let dir = at.data_dir.join("backups");
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let keep = dir.join(format!(
            "before-restore-{}.sqlite",
            together_core::clock::SystemClock.now().unix_timestamp()
        ));
        together_store::sqlite::backup_database(&target, &keep)
            .await
            .context("could not keep a copy of the current database")?;
        println!("The current database was kept as {}.", keep.display());
    }
    together_store::sqlite::restore_file(from, &target)
        .await
        .with_context(|| format!("restore from {} failed", from.display()))?;
    println!(
        "Restored the database {} from {} (a database file alone: Insight's files and uploads are only in whole backups).",
        target.display(),
        from.display()
    );
    Ok(())
}
