//! Imports running in the background, and what became of them: kept in memory for the page
//! that shows how one is going (the imports themselves are recorded in the store).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;
use together_core::PcnId;

/// Imports running or recently finished, by job id. Kept in memory: the imports themselves are
/// recorded in the store; a job only says how one is going.
pub(crate) type Jobs = Arc<Mutex<HashMap<String, Job>>>;

/// How far one import has got.
#[derive(Clone)]
pub(crate) struct Job {
    pub(crate) pcn: PcnId,
    pub(crate) title: String,
    pub(crate) started: OffsetDateTime,
    pub(crate) step: String,
    pub(crate) done: u64,
    pub(crate) total: u64,
    pub(crate) finished: Option<Finished>,
}

/// What became of an import, in sentences, with the rejection reports to download.
#[derive(Clone)]
pub(crate) struct Finished {
    pub(crate) imported: bool,
    pub(crate) lines: Vec<String>,
    /// (what it is of, the report's id)
    pub(crate) reports: Vec<(String, String)>,
}
