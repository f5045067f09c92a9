//! What every importer promises whatever bytes arrive, as one function per importer: it never
//! panics, and when a file is read every row is accounted for (valid or rejected, never lost) and
//! every rejection has a reason. The cargo-fuzz targets in `fuzz/` call these; the formats tests
//! replay their corpora (and the golden files) through them on stable Rust.

use crate::fhir::read_fhir;
use crate::mapping::{read_mapped, Mapping};
use crate::synthea::{read_synthea, Survey, SyntheaFile};
use crate::{read, Dataset, FileError, ReadSummary, Record, RowError};
use time::macros::date;

/// The importers a fuzz target can drive.
pub const TARGETS: [&str; 4] = ["canonical", "synthea", "mapped", "fhir"];

/// Feeds `data` to the named importer, in each of its modes, and checks its promises.
/// Panics (which is what a fuzzer reports) when one is broken; `false` for an unknown target.
pub fn check(target: &str, data: &[u8]) -> bool {
    let today = date!(2026 - 11 - 24);
    match target {
        "canonical" => {
            for dataset in Dataset::ALL {
                accounted(|on_row| read(dataset, data, today, on_row));
            }
        }
        "synthea" => {
            let mut survey = Survey::default();
            let _ = survey.read_patients(data);
            let _ = survey.read_encounters(data);
            let practices: Vec<_> = "B99001".parse().into_iter().collect();
            if let Some(plan) = survey.plan(&practices) {
                for file in SyntheaFile::ALL {
                    accounted(|on_row| read_synthea(file, data, &plan, today, on_row));
                }
            }
        }
        "mapped" => {
            for name in ["emis-web", "systmone"] {
                if let Some(Ok(mapping)) = Mapping::shipped(name) {
                    let practice = "B99001".parse().ok();
                    accounted(|on_row| read_mapped(&mapping, data, practice.as_ref(), on_row));
                }
            }
        }
        "fhir" => {
            for dataset in [
                Dataset::Registrations,
                Dataset::Appointments,
                Dataset::AeAttendances,
            ] {
                accounted(|on_row| read_fhir(dataset, data, None, today, on_row));
            }
        }
        _ => return false,
    }
    true
}

type OnRow<'a> = dyn FnMut(u64, Result<Record, Vec<RowError>>) + 'a;

fn accounted(reader: impl FnOnce(&mut OnRow<'_>) -> Result<ReadSummary, FileError>) {
    let (mut valid, mut rejected, mut reasonless) = (0u64, 0u64, 0u64);
    let result = reader(&mut |_, row| match row {
        Ok(_) => valid += 1,
        Err(errors) => {
            rejected += 1;
            reasonless += errors.iter().all(|e| e.reason.is_empty()) as u64;
        }
    });
    assert_eq!(reasonless, 0, "a row was rejected without a reason");
    if let Ok(s) = result {
        assert_eq!(
            (s.valid, s.rejected),
            (valid, rejected),
            "every row given is counted"
        );
        assert_eq!(
            s.rows,
            s.valid + s.rejected,
            "every row is valid or rejected"
        );
    }
}
