//! Where Insight keeps its files, and the start-up sweep of anything no import record points to.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The folder under the data directory.
pub const INSIGHT_DIR: &str = "insight";
pub(crate) const STAGING: &str = ".staging";

pub(crate) fn partition(root: &Path, dataset: &str, practice: &str, import_id: &str) -> PathBuf {
    root.join(dataset)
        .join(format!("practice={practice}"))
        .join(format!("import={import_id}"))
}

/// Every `import=<id>` folder of one import, in every dataset and practice.
pub fn import_dirs(data_dir: &Path, import_id: &str) -> Vec<PathBuf> {
    let root = data_dir.join(INSIGHT_DIR);
    let wanted = format!("import={import_id}");
    let mut found = Vec::new();
    for dataset in read_dirs(&root) {
        for practice in read_dirs(&dataset) {
            for import in read_dirs(&practice) {
                if import.file_name().is_some_and(|n| n == wanted.as_str()) {
                    found.push(import);
                }
            }
        }
    }
    found
}

fn read_dirs(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir() && p.file_name().is_none_or(|n| n != STAGING))
                .collect()
        })
        .unwrap_or_default()
}

/// Held by an import while it stages and commits (`insight/.staging/<id>.lock`): the next
/// import clears away what a killed one left (the operating system lets a dead process's lock
/// go), and passes over what one still running holds.
pub(crate) struct StagingLock {
    _file: std::fs::File,
    path: PathBuf,
}

impl StagingLock {
    pub(crate) fn take(data_dir: &Path, id: &str) -> std::io::Result<Self> {
        let dir = data_dir.join(INSIGHT_DIR).join(STAGING);
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{id}.lock"));
        let file = open_lock(&path)?;
        file.lock()?;
        Ok(Self { _file: file, path })
    }
}

impl Drop for StagingLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl std::fmt::Debug for StagingLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("StagingLock").field(&self.path).finish()
    }
}

/// Removes what imports killed part-way left in staging (and their half-written rejection
/// reports), passing over any import still running. Returns how many were removed.
pub fn clear_unfinished(data_dir: &Path) -> std::io::Result<usize> {
    let staging = data_dir.join(INSIGHT_DIR).join(STAGING);
    let entries = match std::fs::read_dir(&staging) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        let id = match name.strip_suffix(".lock") {
            // A lock left with no folder: an import killed before it wrote anything. Only an old
            // one, as a new import makes its lock a moment before it takes it.
            Some(id) if !staging.join(id).exists() && older_than(&path, 600) => id.to_owned(),
            Some(_) => continue,
            None if path.is_dir() => name,
            None => continue,
        };
        let lock_path = staging.join(format!("{id}.lock"));
        let lock = open_lock(&lock_path)?;
        match lock.try_lock() {
            Ok(()) => {
                let folder = staging.join(&id);
                if folder.exists() {
                    std::fs::remove_dir_all(&folder)?;
                }
                let _ = std::fs::remove_file(
                    data_dir
                        .join("uploads")
                        .join(format!("{id}-rejections.csv")),
                );
                let _ = std::fs::remove_file(&lock_path);
                removed += 1;
            }
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
    }
    Ok(removed)
}

/// Opens (making it if need be) the file an import's lock is taken on.
fn open_lock(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
}

fn older_than(path: &Path, seconds: u64) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age.as_secs() > seconds)
}

/// Removes staging leftovers and every partition whose import is not active. Returns how many
/// folders were removed.
pub fn sweep(data_dir: &Path, active: &[String]) -> std::io::Result<usize> {
    let root = data_dir.join(INSIGHT_DIR);
    let mut removed = clear_unfinished(data_dir)?;
    let active: HashSet<String> = active.iter().map(|id| format!("import={id}")).collect();
    for dataset in read_dirs(&root) {
        for practice in read_dirs(&dataset) {
            for import in read_dirs(&practice) {
                let name = import
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default();
                if !active.contains(&name) {
                    std::fs::remove_dir_all(&import)?;
                    removed += 1;
                }
            }
        }
    }
    Ok(removed)
}
