//! Insight: a practice's appointment data, pseudonymised at the door and kept as Parquet under
//! the data directory, partitioned by dataset, practice and import
//! (`insight/<dataset>/practice=<ODS>/import=<id>/part-0.parquet`), and analysed with Apache
//! DataFusion.
//!
//! An import is staged (read, checked, pseudonymised, written under `insight/.staging/`), then
//! moved into place, then recorded in the operational store — the record last, so analyses,
//! which read only the partitions of recorded imports, never see half an import.

pub mod analyst;
pub mod cohort;
pub mod coverage;
pub mod frequent;
pub mod hiu;
pub mod impact;
mod import;
mod layout;
mod parquet_out;
pub mod patient_index;
pub mod profile;
mod pseudonym_table;
pub mod synthea_export;
mod tables;

pub use import::{
    commit, delete, discard, import_file, stage, stage_fhir, stage_file, stage_mapped,
    stage_synthea, Commit, FileImport, ImportError, Layout, Outcome, Reading, ReadingRefused,
    StageRequest, Staged,
};
pub use layout::{import_dirs, sweep, INSIGHT_DIR};
pub use tables::{lit_ts, Tables, TablesError};
