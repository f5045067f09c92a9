//! Insight's analyses, kept so that a page viewed again does not run them again. An analysis
//! (profile, coverage, frequent attenders, high intensity users) takes tens of milliseconds of
//! DataFusion on every view; under a morning's traffic that starved every other route.
//!
//! An entry is found by everything its figures depend on: the PCN, the set of active imports
//! (so an import, a replace or a deletion makes a new key), the counting rule (a changed
//! setting), the period and practices, and the audience its figures will be disclosed to (never
//! shared across roles that see different disclosure). Keys that can no longer be asked for are
//! simply never found again; the map is emptied when it grows past its bound. Concurrent views of
//! the same key run the analysis once.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use together_insight::frequent::Frequent;
use together_insight::hiu::Hiu;
use together_insight::profile::Profile;
use tokio::sync::OnceCell;

/// The analyses of one selection, computed together and kept in an [`AnalysisCache`]: the
/// profile, what the data covers, and the two analyses that build on the profile.
pub struct Analysis {
    pub profile: Profile,
    pub held: Vec<together_insight::coverage::Coverage>,
    pub frequent: Frequent,
    pub hiu: Hiu,
}

/// Entries kept at most; past that the map starts again (each entry is one selection's figures).
const BOUND: usize = 128;

type Slot<T> = Arc<OnceCell<Arc<T>>>;

/// Analyses by selection; one per server, shared by every view of Insight.
pub struct AnalysisCache<T> {
    entries: Mutex<HashMap<String, Slot<T>>>,
}

impl<T> Default for AnalysisCache<T> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<T> AnalysisCache<T> {
    /// The analysis for `key`, computed by `compute` if no view has computed it yet (and once,
    /// however many views ask at the same time). A failure is not kept.
    pub async fn get_or_compute<F, Fut, E>(&self, key: String, compute: F) -> Result<Arc<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let slot = {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            if entries.len() >= BOUND && !entries.contains_key(&key) {
                entries.clear();
            }
            entries.entry(key).or_default().clone()
        };
        slot.get_or_try_init(|| async { compute().await.map(Arc::new) })
            .await
            .cloned()
    }

    /// How many selections are kept (for tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn empty() -> u32 {
        7
    }

    #[tokio::test]
    async fn views_at_once_of_one_selection_run_it_once_and_failures_are_not_kept() {
        let cache = Arc::new(AnalysisCache::<u32>::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let mut views = Vec::new();
        for _ in 0..8 {
            let (cache, runs) = (cache.clone(), runs.clone());
            views.push(tokio::spawn(async move {
                cache
                    .get_or_compute("pcn|imports|rule|period".into(), || async {
                        runs.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        Ok::<_, String>(empty())
                    })
                    .await
                    .map(|_| ())
            }));
        }
        for v in views {
            v.await.unwrap().unwrap();
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        let failed = cache
            .get_or_compute("other".into(), || async {
                Err::<u32, _>("DataFusion failed".to_owned())
            })
            .await;
        assert!(failed.is_err());
        let again = cache
            .get_or_compute("other".into(), || async { Ok::<_, String>(empty()) })
            .await;
        assert!(again.is_ok(), "a failure is tried again on the next view");
    }

    #[tokio::test]
    async fn the_cache_stays_within_its_bound() {
        let cache = AnalysisCache::<u32>::default();
        for i in 0..(BOUND * 2 + 3) {
            cache
                .get_or_compute(format!("key {i}"), || async { Ok::<_, String>(empty()) })
                .await
                .unwrap();
        }
        assert!(cache.len() <= BOUND);
    }
}
