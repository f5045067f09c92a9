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

/// Removes staging leftovers and every partition whose import is not active. Returns how many
/// folders were removed.
pub fn sweep(data_dir: &Path, active: &[String]) -> std::io::Result<usize> {
    let root = data_dir.join(INSIGHT_DIR);
    let mut removed = 0;
    let staging = root.join(STAGING);
    if staging.exists() {
        removed += std::fs::read_dir(&staging)?.count();
        std::fs::remove_dir_all(&staging)?;
    }
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
