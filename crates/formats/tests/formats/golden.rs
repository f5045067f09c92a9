//! Golden files, one per rejection reason (the DataFusion sqllogictest idea applied to
//! imports): `golden/<dataset>-<case>.csv` is read and its report compared with
//! `golden/<dataset>-<case>.expected`. Run with BLESS=1 to rewrite the expected files, then read
//! the difference before committing it.

use std::path::Path;
use time::macros::date;
use together_formats::{read, Dataset};

fn report(dataset: Dataset, path: &Path) -> String {
    let mut out = String::new();
    let bytes = std::fs::read(path).unwrap();
    let result = read(
        dataset,
        bytes.as_slice(),
        date!(2026 - 11 - 24),
        |_, row| {
            if let Err(errors) = row {
                for e in errors {
                    out.push_str(&format!("rejected {e}\n"));
                }
            }
        },
    );
    match result {
        Ok(s) => out.push_str(&format!(
            "rows {}, valid {}, rejected {}\n",
            s.rows, s.valid, s.rejected
        )),
        Err(e) => out.push_str(&format!("refused: {e}\n")),
    }
    out
}

#[test]
fn every_rejection_reason_matches_its_golden_file() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 12, "the golden cases are there");
    let bless = std::env::var("BLESS").is_ok();
    let mut failures = Vec::new();
    for case in cases {
        let stem = case.file_stem().unwrap().to_string_lossy().to_string();
        let dataset: Dataset = stem.split('-').next().unwrap().parse().unwrap();
        let got = report(dataset, &case);
        let expected_path = case.with_extension("expected");
        if bless {
            std::fs::write(&expected_path, &got).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("{} has no .expected file (run with BLESS=1)", stem));
        if got != expected {
            failures.push(format!("{stem}:\n--- expected\n{expected}--- got\n{got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
