//! What every request can reach: the store, the clock, the keys and the deployment settings.

use crate::delivery::Delivery;
use crate::rate_limit::RateLimiter;
use std::sync::Arc;
use time::Duration;
use together_core::clock::SharedClock;
use together_core::PseudonymKey;
use together_store::DynStore;

/// Deployment settings that the web layer needs.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// A demo instance: a banner on every page, and the second factor is optional.
    pub demo: bool,
    /// The address people reach Together at, used in links sent by email or text.
    pub public_url: String,
    /// A session ends after this long without a request.
    pub idle_timeout: Duration,
    /// A session ends this long after sign-in, however active.
    pub absolute_timeout: Duration,
    /// Failed sign-ins allowed from one client address in `limit_window` (successful ones do
    /// not count, so a busy morning behind one proxy locks nobody out).
    pub sign_in_failures_per_address: usize,
    /// Password reset requests allowed from one client address in `limit_window`.
    pub password_resets_per_address: usize,
    /// The window the limits above count in.
    pub limit_window: Duration,
    /// Reverse proxies whose `Forwarded`/`X-Forwarded-For` headers name the client; from any
    /// other peer those headers are ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The largest file the import pages take, in bytes (every other request: 2 MiB).
    pub upload_limit: usize,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            demo: false,
            public_url: "http://localhost:8080".into(),
            idle_timeout: Duration::minutes(30),
            absolute_timeout: Duration::hours(12),
            sign_in_failures_per_address: 50,
            password_resets_per_address: 10,
            limit_window: Duration::minutes(15),
            trusted_proxies: Vec::new(),
            upload_limit: 2 << 30,
        }
    }
}

/// Shared application state (cheap to clone).
#[derive(Clone)]
pub struct AppState(pub(crate) Arc<Inner>);

/// The instance's keys, all kept outside the database (DIR/keys/ or the environment).
pub struct InstanceKeys {
    /// Keys CSRF tokens and other server-side MACs.
    pub secret: Vec<u8>,
    /// Pseudonymises NHS numbers the people pages are given.
    pub pseudonym: PseudonymKey,
    /// Opens the patient index, for a clinician inviting a cohort.
    pub index: together_insight::patient_index::IndexKey,
}

pub(crate) struct Inner {
    pub store: DynStore,
    /// The data directory: Insight's Parquet files live under it.
    pub data_dir: std::path::PathBuf,
    pub clock: SharedClock,
    /// Keys CSRF tokens and other server-side MACs; kept in the data directory's keys/.
    pub secret: Vec<u8>,
    pub pseudonym_key: PseudonymKey,
    pub index_key: together_insight::patient_index::IndexKey,
    pub config: WebConfig,
    pub limiter: RateLimiter,
    /// Turns for CPU-heavy work off the runtime (password hashing): one per core.
    pub cpu_work: tokio::sync::Semaphore,
    /// Insight's analyses per import set, settings, filters and audience.
    pub analyses: together_app::insight::AnalysisCache<together_app::insight::Analysis>,
    /// One sign-in at a time for each account, so that each attempt reads the failures counted
    /// by those before it.
    pub sign_in_turns: Turns,
    pub delivery: Arc<dyn Delivery>,
    /// Imports started from the web, while they run and a while after.
    pub import_jobs: crate::import_jobs::Jobs,
}

impl AppState {
    pub fn new(
        store: DynStore,
        data_dir: std::path::PathBuf,
        clock: SharedClock,
        keys: InstanceKeys,
        config: WebConfig,
        delivery: Arc<dyn Delivery>,
    ) -> Self {
        Self(Arc::new(Inner {
            store,
            data_dir,
            clock,
            secret: keys.secret,
            pseudonym_key: keys.pseudonym,
            index_key: keys.index,
            config,
            limiter: RateLimiter::default(),
            cpu_work: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            ),
            analyses: Default::default(),
            sign_in_turns: Turns::default(),
            delivery,
            import_jobs: Default::default(),
        }))
    }

    pub fn store(&self) -> &DynStore {
        &self.0.store
    }

    /// Where Insight reads the PCN's data and keeps its analyses.
    pub(crate) fn insight(&self) -> together_app::insight::Sources<'_> {
        together_app::insight::Sources {
            store: &self.0.store,
            data_dir: &self.0.data_dir,
            cache: &self.0.analyses,
        }
    }

    /// The PCN's programme settings, parsed once with their defaults.
    pub(crate) async fn programme_settings(
        &self,
        pcn: together_core::PcnId,
    ) -> Result<together_core::settings::ProgrammeSettings, together_store::StoreError> {
        together_store::programme_settings(&self.0.store, pcn).await
    }

    pub(crate) fn now(&self) -> time::OffsetDateTime {
        self.0.clock.now()
    }

    pub(crate) fn config(&self) -> &WebConfig {
        &self.0.config
    }
}

/// Attempts on one account wait their turn: 24 wrong passwords sent at once, then the right one,
/// are checked one after another, so the lock the wrong ones earn is there when the right one is
/// checked. Accounts nobody is signing in to are forgotten.
#[derive(Default)]
pub struct Turns {
    waiting: std::sync::Mutex<
        std::collections::HashMap<together_core::UserId, Arc<tokio::sync::Mutex<()>>>,
    >,
}

impl Turns {
    /// Waits for this account's turn; the turn ends when the guard is dropped.
    pub async fn take(&self, user: together_core::UserId) -> tokio::sync::OwnedMutexGuard<()> {
        let turn = {
            let mut waiting = self
                .waiting
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if waiting.len() > 1024 {
                waiting.retain(|_, t| Arc::strong_count(t) > 1);
            }
            waiting.entry(user).or_default().clone()
        };
        turn.lock_owned().await
    }
}
