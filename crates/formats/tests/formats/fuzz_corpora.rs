//! The fuzz targets' corpora (fuzz/corpus/<target>/, and any crash kept in
//! fuzz/artifacts/<target>/) and every golden file, replayed through each importer's promises on
//! stable Rust, so a crash a fuzzer once found stays fixed.

use std::path::{Path, PathBuf};
use together_formats::fuzz::{check, TARGETS};

fn files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_corpus_and_golden_file_keeps_every_importers_promises() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let golden = files(&root.join("crates/formats/tests/golden"));
    assert!(golden.len() > 30, "the golden files are found");
    let mut replayed = 0;
    for target in TARGETS {
        let mut inputs = files(&root.join("fuzz/corpus").join(target));
        assert!(!inputs.is_empty(), "fuzz/corpus/{target} has seeds");
        inputs.extend(files(&root.join("fuzz/artifacts").join(target)));
        inputs.extend(golden.iter().cloned());
        for input in inputs {
            let data = std::fs::read(&input).unwrap();
            assert!(check(target, &data), "{target} is a target");
            replayed += 1;
        }
    }
    assert!(replayed > TARGETS.len() * golden.len());
    assert!(!check("no-such-importer", b""));
}
