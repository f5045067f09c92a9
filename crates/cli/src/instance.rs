//! Opening an instance: its settings (together.toml, TOGETHER_* variables, flags), its keys, its
//! database; and the commands that act on the instance as a whole (serve, backup, restore).

use crate::Location;
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::path::Path;
use std::sync::Arc;
use together_core::clock::SharedClock;
use together_core::Clock as _;
use together_core::{PseudonymKey, SystemClock};
use together_store::postgres::PgStore;
use together_store::sqlite::SqliteStore;
use together_store::{DynStore, NewAuditEvent};
use together_web::delivery::LogDelivery;
use together_web::{AppState, InstanceKeys, WebConfig};

/// Settings read from DIR/together.toml; flags and TOGETHER_* variables win over them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    pub database_url: Option<String>,
    pub public_url: Option<String>,
    pub listen: Option<String>,
    pub port: Option<u16>,
    pub session_idle_minutes: Option<i64>,
    pub session_absolute_hours: Option<i64>,
    /// The largest file the web import pages take, in megabytes (default 2048).
    pub upload_limit_mb: Option<usize>,
    /// The reverse proxies (addresses or CIDR ranges) whose Forwarded / X-Forwarded-For headers
    /// name the client (default: none, so those headers are ignored).
    pub trusted_proxies: Option<Vec<String>>,
    /// Failed sign-ins one client address may make in the window (default 50).
    pub sign_in_failures_per_address: Option<usize>,
    /// Password reset requests one client address may make in the window (default 10).
    pub password_resets_per_address: Option<usize>,
    /// The window those limits count in, in minutes (default 15).
    pub limit_window_minutes: Option<i64>,
}

impl FileSettings {
    /// Reads the settings, first making sure the data directory exists and can be written.
    pub fn load(data_dir: &Path) -> Result<Self> {
        prepare_dir(data_dir)?;
        let path = data_dir.join("together.toml");
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub at: Location,
    /// The port to listen on (0 picks a free one).
    #[arg(long, env = "TOGETHER_PORT")]
    pub port: Option<u16>,
    /// The address to listen on; 0.0.0.0 to accept connections from other machines.
    #[arg(long, env = "TOGETHER_LISTEN")]
    pub listen: Option<String>,
    /// The address people reach Together at (behind the TLS proxy), used in emailed links.
    #[arg(long, env = "TOGETHER_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Serve a demo database (refused otherwise, so that demo and real data never mix).
    #[arg(long)]
    pub allow_demo: bool,
}

/// Who the command line acts as in the audit trail.
pub fn cli_actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "operator".into());
    format!(
        "cli:{}",
        user.chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .take(32)
            .collect::<String>()
    )
}

pub fn cli_audit(
    action: together_core::audit::AuditAction,
    resource_type: &str,
    pcn: Option<together_core::PcnId>,
) -> NewAuditEvent {
    NewAuditEvent::by_operator(
        cli_actor(),
        together_core::clock::SystemClock.now(),
        action,
        resource_type,
        pcn,
    )
}

fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://…@{}", &url[..s], &url[at + 1..]),
        _ => url.to_owned(),
    }
}

/// Makes sure the data directory exists, can be written to, and is Together's alone: anything
/// in it that others could read (left by an older version, or copied in) is made private.
pub fn prepare_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    let repaired = make_private(dir)
        .with_context(|| format!("cannot restrict the data directory {}", dir.display()))?;
    if repaired > 0 {
        tracing::info!(
            repaired,
            "made files and folders in the data directory readable by Together alone"
        );
    }
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"ok")
        .with_context(|| format!("cannot write to the data directory {}", dir.display()))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// Files 0600 and folders 0700 under `dir` (links are left alone): how many were wider. A file
/// that goes while it is walked (a database's journal closing, a staged import swept) is passed
/// over.
fn make_private(dir: &Path) -> std::io::Result<u64> {
    use std::io::ErrorKind::NotFound;
    use std::os::unix::fs::PermissionsExt;
    let gone = |r: std::io::Result<()>| match r {
        Err(e) if e.kind() == NotFound => Ok(()),
        other => other,
    };
    let mut repaired = 0;
    let mut todo = vec![dir.to_path_buf()];
    while let Some(path) = todo.pop() {
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == NotFound => continue,
            Err(e) => return Err(e),
        };
        if meta.file_type().is_symlink() {
            continue;
        }
        let mode = if meta.is_dir() { 0o700 } else { 0o600 };
        if meta.permissions().mode() & 0o077 != 0 {
            gone(std::fs::set_permissions(
                &path,
                std::fs::Permissions::from_mode(mode),
            ))?;
            repaired += 1;
        }
        if meta.is_dir() {
            let entries = match std::fs::read_dir(&path) {
                Ok(e) => e,
                Err(e) if e.kind() == NotFound => continue,
                Err(e) => return Err(e),
            };
            for entry in entries {
                match entry {
                    Ok(e) => todo.push(e.path()),
                    Err(e) if e.kind() == NotFound => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Ok(repaired)
}

pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The database URL the instance uses: the flag or variable, else `database_url` in
/// together.toml; `None` for the SQLite file in the data directory.
pub fn database_url(at: &Location, settings: &FileSettings) -> Option<String> {
    at.database_url
        .clone()
        .or_else(|| settings.database_url.clone())
}

/// Opens (and migrates) the instance's database.
pub async fn open_store(at: &Location, settings: &FileSettings) -> Result<DynStore> {
    prepare_dir(&at.data_dir)?;
    match database_url(at, settings) {
        Some(url) if is_postgres(&url) => {
            let (store, applied) = PgStore::open(&url).await.with_context(|| format!("cannot open the PostgreSQL database at {}", redact_url(&url)))?;
            if !applied.is_empty() {
                tracing::info!(migrations = applied.len(), "database schema updated");
            }
            Ok(Arc::new(store))
        }
        Some(other) => bail!("the database URL must start with postgres:// (got {}); leave it out to use SQLite in the data directory", redact_url(&other)),
        None => {
            let path = at.data_dir.join("together.sqlite");
            let (store, opened) = SqliteStore::open(&path, Some(&at.data_dir.join("backups")))
                .await
                .with_context(|| format!("cannot open the database {}", path.display()))?;
            if let Some(b) = opened.backup {
                tracing::info!(backup = %b.display(), migrations = opened.applied.len(), "database backed up, then its schema updated");
            }
            Ok(Arc::new(store))
        }
    }
}

/// Reads a key from an environment variable (hex) or DIR/keys/NAME, creating the file with 32
/// random bytes on first use. Keys never live in the database, so a database backup holds none.
pub fn key(data_dir: &Path, name: &str, env: &str) -> Result<Vec<u8>> {
    if let Ok(hexed) = std::env::var(env) {
        return hex::decode(hexed.trim()).with_context(|| format!("{env} must be hex-encoded"));
    }
    let dir = data_dir.join("keys");
    let path = dir.join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            hex::decode(text.trim()).with_context(|| format!("{} is damaged", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let fresh = PseudonymKey::generate(1).bytes().to_vec();
            write_private(&path, &hex::encode(&fresh))
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(fresh)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Writes a new file (refusing one that exists) readable by Together alone, and syncs it.
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()
    }
    #[cfg(not(unix))]
    std::fs::write(path, text)
}

/// The keys that pseudonymise at the door and seal the patient index, from DIR/keys/ or the
/// environment (never the database).
pub struct Keys {
    pub pseudonym: PseudonymKey,
    pub index: together_insight::patient_index::IndexKey,
}

impl Keys {
    pub fn load(data_dir: &Path) -> Result<Self> {
        Ok(Self {
            pseudonym: PseudonymKey::new(
                1,
                key(data_dir, "pseudonym-v1.key", "TOGETHER_PSEUDONYM_KEY")?,
            )?,
            index: together_insight::patient_index::IndexKey::new(&key(
                data_dir,
                "patient-index-v1.key",
                "TOGETHER_INDEX_KEY",
            )?)?,
        })
    }
}

/// Everything the web layer needs, for `serve` and `demo`.
pub fn app_state(store: DynStore, data_dir: &Path, config: WebConfig) -> Result<AppState> {
    let keys = Keys::load(data_dir)?;
    let secret = key(data_dir, "instance-secret.key", "TOGETHER_INSTANCE_SECRET")?;
    let clock: SharedClock = Arc::new(SystemClock);
    Ok(AppState::new(
        store,
        data_dir.to_owned(),
        clock,
        InstanceKeys {
            secret,
            pseudonym: keys.pseudonym,
            index: keys.index,
        },
        config,
        Arc::new(LogDelivery),
    ))
}

/// Removes Insight files that no import record points to (an import stopped half-way).
pub async fn sweep_insight(store: &DynStore, data_dir: &Path) -> Result<()> {
    let removed = together_insight::sweep(data_dir, &store.active_import_ids().await?)
        .with_context(|| format!("cannot tidy {}", data_dir.join("insight").display()))?;
    if removed > 0 {
        tracing::info!(removed, "removed the files of unfinished imports");
    }
    Ok(())
}

pub async fn is_demo(store: &DynStore) -> Result<bool> {
    Ok(store.meta("demo").await?.as_deref() == Some("true"))
}

pub async fn listen(listen: &str, port: u16) -> Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind((listen, port))
        .await
        .with_context(|| format!("cannot listen on {listen}:{port}"))
}

pub async fn serve(args: ServeArgs) -> Result<()> {
    let _lock = DirLock::take(&args.at.data_dir, "serve it again")?;
    let settings = FileSettings::load(&args.at.data_dir)?;
    let store = open_store(&args.at, &settings).await?;
    let demo = is_demo(&store).await?;
    sweep_insight(&store, &args.at.data_dir).await?;
    if demo && !args.allow_demo {
        bail!("this is a demo database; serve it with --allow-demo, or point --data-dir at a real instance");
    }
    let listen_on = args
        .listen
        .or(settings.listen.clone())
        .unwrap_or_else(|| "127.0.0.1".into());
    let listener = listen(&listen_on, args.port.or(settings.port).unwrap_or(8080)).await?;
    let port = listener.local_addr()?.port();
    let mut config = WebConfig {
        demo,
        public_url: args
            .public_url
            .or(settings.public_url.clone())
            .unwrap_or_else(|| format!("http://localhost:{port}")),
        ..WebConfig::default()
    };
    if let Some(m) = settings.session_idle_minutes {
        config.idle_timeout = time::Duration::minutes(m);
    }
    if let Some(mb) = settings.upload_limit_mb {
        config.upload_limit = mb.saturating_mul(1 << 20);
    }
    if let Some(h) = settings.session_absolute_hours {
        config.absolute_timeout = time::Duration::hours(h);
    }
    if let Some(proxies) = &settings.trusted_proxies {
        config.trusted_proxies = together_web::parse_trusted(proxies)
            .map_err(anyhow::Error::msg)
            .context("together.toml")?;
    }
    if let Some(n) = settings.sign_in_failures_per_address {
        config.sign_in_failures_per_address = n.max(1);
    }
    if let Some(n) = settings.password_resets_per_address {
        config.password_resets_per_address = n.max(1);
    }
    if let Some(m) = settings.limit_window_minutes {
        config.limit_window = time::Duration::minutes(m.max(1));
    }
    if store.count_users_able_to_sign_in().await? == 0 {
        eprintln!("No one can sign in yet: run `together bootstrap-admin --data-dir {}` to create the first administrator.", args.at.data_dir.display());
    }
    let state = app_state(store, &args.at.data_dir, config.clone())?;
    println!("Together is running at {}", config.public_url);
    together_web::serve(state, listener).await?;
    Ok(())
}

/// An advisory lock on a data directory (`DIR/.lock`), held by a running server for as long as
/// it runs and by a command that replaces the server's files while it does so: the operating
/// system lets it go when the process ends, however it ends.
pub struct DirLock {
    _file: std::fs::File,
}

impl DirLock {
    /// Takes the lock, or refuses `refused` ("restore into it") in words while another holds it.
    pub fn take(dir: &Path, refused: &str) -> Result<DirLock> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
        let path = dir.join(".lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(DirLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => bail!(
                "Together is running with the data directory {} (or another command is changing it): stop it before you {refused}",
                dir.display()
            ),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
    }
}
