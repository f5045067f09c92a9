//! Imports end to end: generated files in, Parquet out, records in the store (SQLite and
//! PostgreSQL), and nothing half-done ever visible.

// Tests and examples stop at the first surprise, with its message: unwrap and expect are how.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use arrow_array::{Array, StringArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::path::{Path, PathBuf};
use time::macros::{date, datetime};
use together_core::audit::AuditAction;
use together_core::{PcnId, PracticeCode, PseudonymKey};
use together_formats::Dataset;
use together_insight::patient_index::IndexKey;
use together_insight::{commit, delete, import_dirs, stage, sweep, Commit, Outcome, StageRequest};
use together_store::{DynStore, NewAuditEvent};

/// What the importer records for a test's import.
fn audit(pcn: PcnId) -> NewAuditEvent {
    together_store::testing::audit(pcn, AuditAction::Import)
}

struct World {
    store: DynStore,
    pcn: PcnId,
    practices: Vec<PracticeCode>,
    key: PseudonymKey,
    index: IndexKey,
    data: tempfile::TempDir,
    files: tempfile::TempDir,
}

async fn world(store: DynStore) -> World {
    let p = together_generate::Params {
        patients: 300,
        practices: 2,
        years: 2,
        end_year: 2025,
        seed: 4,
        plant: None,
    };
    world_of(store, &p).await
}

/// A world of the generated neighbourhood `p` (two practices).
async fn world_of(store: DynStore, p: &together_generate::Params) -> World {
    let files = tempfile::tempdir().unwrap();
    together_generate::generate(p, files.path(), &mut |_| {}).unwrap();
    let pcn = store
        .create_pcn("Harbourview PCN", None, datetime!(2026-11-24 09:00 UTC))
        .await
        .unwrap();
    let mut practices = Vec::new();
    for code in ["B99001", "B99002"] {
        let c: PracticeCode = code.parse().unwrap();
        store
            .add_practice(pcn, &c, code, &audit(pcn), datetime!(2026-11-24 09:00 UTC))
            .await
            .unwrap();
        practices.push(c);
    }
    World {
        store,
        pcn,
        practices,
        key: PseudonymKey::new(1, vec![9u8; 32]).unwrap(),
        index: IndexKey::new(&[7u8; 32]).unwrap(),
        data: tempfile::tempdir().unwrap(),
        files,
    }
}

impl World {
    async fn import(
        &self,
        dataset: Dataset,
        path: &Path,
        accept_valid: bool,
        replaces: Option<String>,
    ) -> Outcome {
        let req = StageRequest {
            dataset,
            path,
            data_dir: self.data.path(),
            key: &self.key,
            practices: &self.practices,
            today: date!(2026 - 11 - 24),
            index_key: Some(&self.index),
        };
        let mut last = 0;
        let staged = stage(&req, &mut |b| last = b).unwrap();
        assert_eq!(
            last,
            std::fs::metadata(path).unwrap().len(),
            "progress reaches the file's size"
        );
        commit(
            &self.store,
            self.data.path(),
            staged,
            Commit {
                pcn: self.pcn,
                accept_valid,
                replaces,
                source: "canonical".into(),
                audit: audit(self.pcn),
            },
        )
        .await
        .unwrap()
    }

    /// Imports the generated canonical file of each dataset, each one expected to import.
    async fn import_all(&self, datasets: &[Dataset]) {
        for d in datasets {
            let file = self.file(&format!("{}.csv", d.name()));
            assert!(matches!(
                self.import(*d, &file, false, None).await,
                Outcome::Imported(_)
            ));
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.files.path().join(name)
    }

    fn parquet_files(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out)
                } else if p.extension().is_some_and(|x| x == "parquet") {
                    out.push(p)
                }
            }
        }
        let mut v = Vec::new();
        walk(&self.data.path().join("insight"), &mut v);
        v.sort();
        v
    }
}

/// A world on a fresh SQLite store (kept alive by the returned folder) with every dataset
/// imported, and its tables open.
async fn imported_world() -> (tempfile::TempDir, World, together_insight::Tables) {
    let dir = tempfile::tempdir().unwrap();
    let w = world(
        together_store::testing::fresh_sqlite(dir.path())
            .await
            .unwrap(),
    )
    .await;
    w.import_all(&Dataset::ALL).await;
    let tables = together_insight::Tables::open(&w.store, w.data.path(), w.pcn)
        .await
        .unwrap();
    (dir, w, tables)
}

fn rows_and_pseudonyms(files: &[PathBuf]) -> (usize, Vec<String>) {
    let mut n = 0;
    let mut pseudonyms = Vec::new();
    for f in files {
        let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(f).unwrap())
            .unwrap()
            .build()
            .unwrap();
        for batch in reader {
            let batch = batch.unwrap();
            n += batch.num_rows();
            // Appointments keep their pseudonyms as a dictionary, the other datasets as text.
            let col = datafusion::arrow::compute::cast(
                batch.column_by_name("pseudonym").unwrap(),
                &datafusion::arrow::datatypes::DataType::Utf8,
            )
            .unwrap();
            let col = col.as_any().downcast_ref::<StringArray>().unwrap();
            pseudonyms.extend((0..col.len()).map(|i| col.value(i).to_owned()));
        }
    }
    (n, pseudonyms)
}

use together_store::on_both;

on_both!(appointments_land_as_pseudonymised_parquet_once);
async fn appointments_land_as_pseudonymised_parquet_once(store: DynStore) {
    let w = world(store).await;
    let csv_rows = csv::Reader::from_path(w.file("appointments.csv"))
        .unwrap()
        .records()
        .count();
    let Outcome::Imported(record) = w
        .import(
            Dataset::Appointments,
            &w.file("appointments.csv"),
            false,
            None,
        )
        .await
    else {
        panic!("not imported")
    };
    assert_eq!(
        (
            record.rows_read as usize,
            record.rows_imported as usize,
            record.rows_rejected
        ),
        (csv_rows, csv_rows, 0)
    );
    assert_eq!(record.practices, ["B99001", "B99002"]);
    let period = (record.period_from.unwrap(), record.period_to.unwrap());
    assert!(
        period.0 >= date!(2024 - 01 - 01) && period.1 <= date!(2025 - 12 - 31),
        "{period:?}"
    );

    let files = w.parquet_files();
    assert_eq!(files.len(), 2, "one file per practice");
    assert!(files.iter().all(|f| f
        .to_string_lossy()
        .contains(&format!("import={}", record.id))));
    let (n, pseudonyms) = rows_and_pseudonyms(&files);
    assert_eq!(n, csv_rows);
    let first_nhs: together_core::NhsNumber = csv::Reader::from_path(w.file("appointments.csv"))
        .unwrap()
        .records()
        .next()
        .unwrap()
        .unwrap()[0]
        .parse()
        .unwrap();
    assert!(
        pseudonyms.contains(&w.key.pseudonymise(&first_nhs).as_str().to_owned()),
        "the shared pseudonym function was used"
    );
    let numbers: std::collections::HashSet<String> =
        csv::Reader::from_path(w.file("appointments.csv"))
            .unwrap()
            .records()
            .map(|r| r.unwrap()[0].to_owned())
            .collect();
    assert!(pseudonyms
        .iter()
        .all(|p| p.len() == 64 && p.chars().all(|c| c.is_ascii_hexdigit())));
    assert!(
        pseudonyms
            .iter()
            .all(|p| !numbers.iter().any(|n| p.contains(n.as_str()))),
        "no NHS number is stored"
    );

    // The same file again changes nothing.
    let again = w
        .import(
            Dataset::Appointments,
            &w.file("appointments.csv"),
            false,
            None,
        )
        .await;
    assert!(
        matches!(again, Outcome::AlreadyImported(ref r) if r.id == record.id),
        "{again:?}"
    );
    assert_eq!(w.parquet_files(), files);
    assert_eq!(w.store.imports(w.pcn).await.unwrap().len(), 1);
    assert!(
        !w.data
            .path()
            .join("insight/.staging")
            .read_dir()
            .map(|mut d| d.next().is_some())
            .unwrap_or(false),
        "staging is left empty"
    );
}

on_both!(a_file_with_rejected_rows_imports_nothing_unless_accepted);
async fn a_file_with_rejected_rows_imports_nothing_unless_accepted(store: DynStore) {
    let w = world(store).await;
    let mut text = std::fs::read_to_string(w.file("registrations.csv")).unwrap();
    text.push_str("9990000017,B99001,Ann,Bad,1950-01-01,F,,,2000-01-01,,,false\n");
    text.push_str("9990000018,B12345,Ann,Elsewhere,1950-01-01,F,,,2000-01-01,,,false\n");
    let path = w.files.path().join("registrations-with-errors.csv");
    std::fs::write(&path, &text).unwrap();
    let lines = text.lines().count() as u64;

    let Outcome::Refused {
        valid,
        rejected,
        report,
    } = w.import(Dataset::Registrations, &path, false, None).await
    else {
        panic!("should be refused")
    };
    assert_eq!((valid, rejected), (300, 2));
    assert!(
        w.parquet_files().is_empty(),
        "nothing half-imported is visible"
    );
    assert!(w.store.imports(w.pcn).await.unwrap().is_empty());
    let report = std::fs::read_to_string(report.unwrap()).unwrap();
    assert!(
        report.contains(&format!(
            "{},nhs_number,is not a valid NHS number",
            lines - 1
        )),
        "{report}"
    );
    assert!(
        report.contains(&format!(
            "{lines},ods_code,B12345 is not a practice of this PCN"
        )),
        "{report}"
    );

    let Outcome::Imported(record) = w.import(Dataset::Registrations, &path, true, None).await
    else {
        panic!("accepted")
    };
    assert_eq!((record.rows_imported, record.rows_rejected), (300, 2));
    let (n, _) = rows_and_pseudonyms(&w.parquet_files());
    assert_eq!(n, 300);
}

on_both!(replacing_and_deleting_swap_the_files);
async fn replacing_and_deleting_swap_the_files(store: DynStore) {
    let w = world(store).await;
    let Outcome::Imported(first) = w
        .import(
            Dataset::AeAttendances,
            &w.file("ae_attendances.csv"),
            false,
            None,
        )
        .await
    else {
        panic!()
    };
    let text = std::fs::read_to_string(w.file("ae_attendances.csv")).unwrap();
    let shorter: String = text.lines().take(11).map(|l| format!("{l}\n")).collect();
    let newer = w.files.path().join("ae-newer.csv");
    std::fs::write(&newer, shorter).unwrap();
    let Outcome::Imported(second) = w
        .import(
            Dataset::AeAttendances,
            &newer,
            false,
            Some(first.id.clone()),
        )
        .await
    else {
        panic!()
    };
    assert!(
        import_dirs(w.data.path(), &first.id).is_empty(),
        "the replaced files are gone"
    );
    assert_eq!(rows_and_pseudonyms(&w.parquet_files()).0, 10);
    assert_eq!(
        w.store
            .imports(w.pcn)
            .await
            .unwrap()
            .iter()
            .find(|i| i.id == first.id)
            .unwrap()
            .status,
        "replaced"
    );
    assert_eq!(
        delete(&w.store, w.data.path(), w.pcn, &second.id, &audit(w.pcn))
            .await
            .unwrap(),
        1
    );
    assert!(w.parquet_files().is_empty());
}

#[tokio::test]
async fn the_sweep_removes_what_no_record_points_to() {
    let dir = tempfile::tempdir().unwrap();
    let w = world(
        together_store::testing::fresh_sqlite(dir.path())
            .await
            .unwrap(),
    )
    .await;
    let Outcome::Imported(kept) = w
        .import(Dataset::Conditions, &w.file("conditions.csv"), false, None)
        .await
    else {
        panic!()
    };
    // A crash after staging, and a partition moved into place whose record was never written.
    std::fs::create_dir_all(w.data.path().join("insight/.staging/abc/conditions")).unwrap();
    let orphan = w
        .data
        .path()
        .join("insight/conditions/practice=all/import=orphan");
    std::fs::create_dir_all(&orphan).unwrap();
    std::fs::write(orphan.join("part-0.parquet"), b"half").unwrap();
    let removed = sweep(w.data.path(), &w.store.active_import_ids().await.unwrap()).unwrap();
    assert_eq!(removed, 2);
    assert!(!orphan.exists());
    assert_eq!(
        import_dirs(w.data.path(), &kept.id).len(),
        1,
        "recorded imports stay"
    );
}

#[tokio::test]
async fn a_file_refused_whole_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let w = world(
        together_store::testing::fresh_sqlite(dir.path())
            .await
            .unwrap(),
    )
    .await;
    let text = std::fs::read_to_string(w.file("appointments.csv")).unwrap();
    let cut = w.files.path().join("cut.csv");
    // Cut in its last line, which loses its last column.
    let end = text.trim_end().rfind(',').unwrap() - 2;
    std::fs::write(&cut, &text[..end]).unwrap();
    let req = StageRequest {
        dataset: Dataset::Appointments,
        path: &cut,
        data_dir: w.data.path(),
        key: &w.key,
        practices: &w.practices,
        today: date!(2026 - 11 - 24),
        index_key: None,
    };
    let err = stage(&req, &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("cut short"), "{err}");
    assert!(w.parquet_files().is_empty());
    assert!(!w
        .data
        .path()
        .join("insight/.staging")
        .read_dir()
        .map(|mut d| d.next().is_some())
        .unwrap_or(false));
}

/// An import killed part-way (kill -9: no clean-up ran) leaves its staging folder and its
/// half-written rejection report; the next import clears them away, but not the files of an
/// import still running in another process, which holds its lock.
#[tokio::test]
async fn the_next_import_clears_what_a_killed_one_left() {
    let dir = tempfile::tempdir().unwrap();
    let w = world(
        together_store::testing::fresh_sqlite(dir.path())
            .await
            .unwrap(),
    )
    .await;
    let staging = w.data.path().join("insight/.staging");
    let killed = staging.join("5b0c6a8e-0000-4000-8000-000000000001");
    let running = staging.join("5b0c6a8e-0000-4000-8000-000000000002");
    for d in [&killed, &running] {
        std::fs::create_dir_all(d.join("appointments/practice=B99001")).unwrap();
        std::fs::write(
            d.join("appointments/practice=B99001/part-0.parquet"),
            b"half",
        )
        .unwrap();
    }
    let uploads = w.data.path().join("uploads");
    std::fs::create_dir_all(&uploads).unwrap();
    let report = uploads.join("5b0c6a8e-0000-4000-8000-000000000001-rejections.csv");
    std::fs::write(&report, "line,column,reason\n2,sta").unwrap();
    let held =
        std::fs::File::create(staging.join("5b0c6a8e-0000-4000-8000-000000000002.lock")).unwrap();
    held.lock().unwrap();

    let req = StageRequest {
        dataset: Dataset::Appointments,
        path: &w.file("appointments.csv"),
        data_dir: w.data.path(),
        key: &w.key,
        practices: &w.practices,
        today: date!(2026 - 11 - 24),
        index_key: None,
    };
    let staged = stage(&req, &mut |_| {}).unwrap();
    assert!(
        !killed.exists() && !report.exists(),
        "the killed import's files are gone"
    );
    assert!(
        running.exists(),
        "the running import's files are left alone"
    );
    drop(staged);
    drop(held);
}

mod profile {
    //! The DataFusion profile against a straightforward computation from the CSV files
    //! themselves, over several generated neighbourhoods.
    use super::*;
    use std::collections::{HashMap, HashSet};
    use together_insight::profile::{
        appointment_scan, denominator, profile, registration_scan, CountingRule, Scope,
    };
    use together_insight::Tables;

    struct Oracle {
        counts: HashMap<String, u64>,
        dna: u64,
    }

    /// Independently: the denominator and counted appointments, read straight from the CSVs.
    fn oracle(w: &World, scope: &Scope) -> Oracle {
        let (from, to) = (scope.from.to_string(), scope.to.to_string());
        let mut counts = HashMap::new();
        for r in csv::Reader::from_path(w.file("registrations.csv"))
            .unwrap()
            .records()
        {
            let r = r.unwrap();
            let in_period = &r[8] <= to.as_str() && (r[9].is_empty() || &r[9] >= from.as_str());
            if in_period
                && scope.practices.iter().any(|p| p == &r[1])
                && !(scope.pooled() && &r[11] == "true")
            {
                counts.insert(r[0].to_owned(), 0u64);
            }
        }
        let statuses: HashSet<&str> = scope.rule.statuses.iter().map(String::as_str).collect();
        let mut dna = 0;
        for r in csv::Reader::from_path(w.file("appointments.csv"))
            .unwrap()
            .records()
        {
            let r = r.unwrap();
            let day = &r[3][..10];
            if day < from.as_str()
                || day > to.as_str()
                || !scope.practices.iter().any(|p| p == &r[1])
            {
                continue;
            }
            if let Some(c) = counts.get_mut(&r[0]) {
                if statuses.contains(&r[4]) {
                    *c += 1;
                } else if &r[4] == "Did Not Attend" {
                    dna += 1;
                }
            }
        }
        Oracle { counts, dna }
    }

    /// Gini by its definition: the mean absolute difference over twice the mean.
    fn gini_by_definition(xs: &[u64]) -> f64 {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<u64>() as f64 / n;
        let diff: f64 = xs
            .iter()
            .flat_map(|a| xs.iter().map(move |b| (*a as f64 - *b as f64).abs()))
            .sum();
        diff / (2.0 * n * n * mean)
    }

    async fn check(seed: u64) {
        let dir = tempfile::tempdir().unwrap();
        let mut w = world(
            together_store::testing::fresh_sqlite(dir.path())
                .await
                .unwrap(),
        )
        .await;
        // Re-generate with this seed (world() used seed 4).
        w.files = tempfile::tempdir().unwrap();
        let p = together_generate::Params {
            patients: 400,
            practices: 2,
            years: 2,
            end_year: 2025,
            seed,
            plant: None,
        };
        together_generate::generate(&p, w.files.path(), &mut |_| {}).unwrap();
        w.import_all(&[Dataset::Registrations, Dataset::Appointments])
            .await;
        let tables = Tables::open(&w.store, w.data.path(), w.pcn).await.unwrap();
        for practices in [
            vec!["B99001".to_owned(), "B99002".to_owned()],
            vec!["B99002".to_owned()],
        ] {
            let scope = Scope {
                from: date!(2024 - 01 - 01),
                to: date!(2024 - 12 - 31),
                practices,
                rule: CountingRule::default(),
            };
            let expected = oracle(&w, &scope);
            let got = profile(&tables, &scope).await.unwrap();
            let mut want: Vec<u64> = expected.counts.values().copied().collect();
            want.sort_unstable();
            let mut have: Vec<u64> = got.people.iter().map(|p| p.appointments).collect();
            have.sort_unstable();
            assert_eq!(have, want, "per-person counts (seed {seed})");
            let by_person: HashMap<String, u64> = got
                .people
                .iter()
                .map(|p| (p.pseudonym.clone(), p.appointments))
                .collect();
            for (nhs, n) in &expected.counts {
                let pseudonym = w.key.pseudonymise(&nhs.parse().unwrap());
                assert_eq!(
                    by_person.get(pseudonym.as_str()),
                    Some(n),
                    "the right person got the count"
                );
            }
            assert_eq!(got.registered.value(), want.len() as u64);
            let total: u64 = want.iter().sum();
            assert_eq!(got.appointments.value(), total);
            assert!(
                (got.gini - gini_by_definition(&want)).abs() < 1e-9,
                "gini {} vs {}",
                got.gini,
                gini_by_definition(&want)
            );
            let mut desc = want.clone();
            desc.reverse();
            for (p, share) in &got.top_shares {
                let k = (want.len() * *p as usize).div_ceil(100);
                let held: u64 = desc[..k].iter().sum();
                assert!(
                    (share - held as f64 / total as f64).abs() < 1e-12,
                    "top {p}%"
                );
            }
            assert!(
                (got.dna_rate - expected.dna as f64 / (total + expected.dna) as f64).abs() < 1e-12
            );
            assert_eq!(
                got.by_age.iter().map(|g| g.people.value()).sum::<u64>(),
                want.len() as u64
            );
            assert_eq!(got.monthly.iter().map(|m| m.1.value()).sum::<u64>(), total);
            for (what, mix) in [("roles", &got.roles), ("modes", &got.modes)] {
                assert_eq!(
                    mix.iter().map(|m| m.1.value()).sum::<u64>(),
                    total,
                    "{what}"
                );
            }
            assert!(
                got.roles.iter().any(|r| r.0 == "GP")
                    && got.modes.iter().any(|m| m.0 == "Telephone")
            );
            let months: Vec<&str> = got.monthly.iter().map(|m| m.0.as_str()).collect();
            let want_months: Vec<String> = (1..=12).map(|m| format!("2024-{m:02}")).collect();
            assert_eq!(months, want_months, "twelve months, in order, as YYYY-MM");
            assert_eq!(got.lorenz.first(), Some(&(0.0, 0.0)));
            assert!((got.lorenz.last().unwrap().1 - 1.0).abs() < 1e-12);
        }
    }

    #[tokio::test]
    async fn frequent_attenders_by_threshold_agree_with_the_files_and_persistence_is_real() {
        use together_insight::frequent::{frequent, Definition};
        let dir = tempfile::tempdir().unwrap();
        let mut w = world(
            together_store::testing::fresh_sqlite(dir.path())
                .await
                .unwrap(),
        )
        .await;
        w.files = tempfile::tempdir().unwrap();
        let p = together_generate::Params {
            patients: 1500,
            practices: 2,
            years: 2,
            end_year: 2025,
            seed: 21,
            plant: None,
        };
        together_generate::generate(&p, w.files.path(), &mut |_| {}).unwrap();
        w.import_all(&[
            Dataset::Registrations,
            Dataset::Appointments,
            Dataset::Conditions,
        ])
        .await;
        let tables = Tables::open(&w.store, w.data.path(), w.pcn).await.unwrap();
        let scope = Scope {
            from: date!(2025 - 01 - 01),
            to: date!(2025 - 12 - 31),
            practices: vec!["B99001".into(), "B99002".into()],
            rule: CountingRule::default(),
        };
        let expected = oracle(&w, &scope);
        let f = frequent(&tables, &scope, Definition::AtLeast(20))
            .await
            .unwrap();
        let want: Vec<u64> = expected
            .counts
            .values()
            .copied()
            .filter(|n| *n >= 20)
            .collect();
        assert_eq!(f.people.value(), want.len() as u64);
        assert_eq!(f.appointments_held.value(), want.iter().sum::<u64>());
        assert!(
            f.persistent.value() > 0 && f.persistent.value() < f.people.value(),
            "some, not all, were frequent the year before: {:?}",
            f.persistent
        );
        let hypertension = f
            .conditions
            .iter()
            .find(|c| c.condition == "hypertension")
            .expect("conditions compared");
        assert!(
            hypertension.frequent_share > hypertension.everyone_share,
            "frequent attenders have more long-term conditions"
        );
        let top = frequent(&tables, &scope, Definition::TopPercentWithinAgeSex(10.0))
            .await
            .unwrap();
        assert!(
            top.people.value() > 0 && top.share > 0.2,
            "the top tenth in each band holds a large share: {}",
            top.share
        );
    }

    #[tokio::test]
    async fn the_profile_agrees_with_a_straightforward_computation() {
        for seed in [1, 2, 3] {
            check(seed).await;
        }
    }

    /// Each plan's shape is kept as a golden file (run with BLESS=1 to update, then read the
    /// diff).
    #[tokio::test]
    async fn each_plan_matches_its_golden_explain() {
        let tables = Tables::from_dirs(&HashMap::new()).unwrap();
        let scope = Scope {
            from: date!(2024 - 01 - 01),
            to: date!(2024 - 12 - 31),
            practices: vec!["B99001".into(), "B99002".into()],
            rule: CountingRule::default(),
        };
        let plans = [
            ("denominator", denominator(&tables, &scope).unwrap()),
            (
                "registration_scan",
                registration_scan(&tables, &scope).unwrap(),
            ),
            (
                "appointment_scan",
                appointment_scan(&tables, &scope).unwrap(),
            ),
            (
                "ae_per_person_plan",
                together_insight::hiu::ae_per_person_plan(&tables, &scope).unwrap(),
            ),
        ];
        for (name, plan) in plans {
            let text = format!("{}\n", plan.into_optimized_plan().unwrap().display_indent());
            let path =
                Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/{name}.explain"));
            if std::env::var("BLESS").is_ok() {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &text).unwrap();
            }
            assert_eq!(
                text,
                std::fs::read_to_string(&path).expect("golden file (run with BLESS=1)"),
                "{name}"
            );
        }
    }

    #[tokio::test]
    async fn high_intensity_users_of_ae_agree_with_the_files() {
        use together_insight::hiu::hiu;
        let dir = tempfile::tempdir().unwrap();
        let w = world(
            together_store::testing::fresh_sqlite(dir.path())
                .await
                .unwrap(),
        )
        .await;
        w.import_all(&[
            Dataset::Registrations,
            Dataset::Appointments,
            Dataset::AeAttendances,
        ])
        .await;
        let tables = Tables::open(&w.store, w.data.path(), w.pcn).await.unwrap();
        let scope = Scope {
            from: date!(2025 - 01 - 01),
            to: date!(2025 - 12 - 31),
            practices: vec!["B99001".into(), "B99002".into()],
            rule: CountingRule::default(),
        };
        // Independently: A&E rows per registered person, by the local date in the file.
        let registered = oracle(&w, &scope).counts;
        let mut ae: HashMap<String, u64> = registered.keys().map(|k| (k.clone(), 0)).collect();
        for r in csv::Reader::from_path(w.file("ae_attendances.csv"))
            .unwrap()
            .records()
        {
            let r = r.unwrap();
            let day = &r[1][..10];
            if ("2025-01-01"..="2025-12-31").contains(&day) {
                if let Some(n) = ae.get_mut(&r[0]) {
                    *n += 1;
                }
            }
        }
        for threshold in [1, 2, 3] {
            let h = hiu(&tables, &scope, threshold).await.unwrap();
            let users: Vec<u64> = ae.values().copied().filter(|n| *n >= threshold).collect();
            assert_eq!(h.registered.value(), registered.len() as u64);
            assert_eq!(h.attendances.value(), ae.values().sum::<u64>());
            assert_eq!(
                h.people.value(),
                users.len() as u64,
                "threshold {threshold}"
            );
            assert_eq!(h.attendances_held.value(), users.iter().sum::<u64>());
            assert_eq!(
                h.by_age.iter().map(|g| g.people.value()).sum::<u64>(),
                users.len() as u64
            );
            for nhs in ae.iter().filter(|(_, n)| **n >= threshold).map(|(k, _)| k) {
                let pseudonym = w.key.pseudonymise(&nhs.parse().unwrap());
                assert!(h.members.contains(pseudonym.as_str()));
            }
        }
        let h = hiu(&tables, &scope, 2).await.unwrap();
        assert!(h.people.value() > 0, "the generator's A&E tail reaches 2");
    }
}

mod synthea {
    //! The real Synthea sample (testdata/synthea-unmc) imported through the Synthea reader, its
    //! figures checked against values computed here straight from its CSVs.
    use super::*;
    use std::collections::{HashMap, HashSet};
    use together_formats::synthea::{Survey, SyntheaFile};
    use together_insight::profile::{profile, CountingRule, Scope};
    use together_insight::{stage_synthea, Tables};

    fn sample(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/synthea-unmc")
            .join(name)
    }

    fn rows(name: &str) -> Vec<csv::StringRecord> {
        csv::Reader::from_path(sample(name))
            .unwrap()
            .records()
            .map(Result::unwrap)
            .collect()
    }

    /// The London date of a Synthea time (UTC, "2022-07-20T07:13:55Z").
    fn london_day(t: &str) -> String {
        let utc =
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).unwrap();
        let hours = if together_core::uk_time::is_bst(utc) {
            1
        } else {
            0
        };
        (utc + time::Duration::hours(hours)).date().to_string()
    }

    async fn import_all(w: &World) -> Vec<Outcome> {
        let mut survey = Survey::default();
        survey
            .read_patients(std::fs::File::open(sample("patients.csv")).unwrap())
            .unwrap();
        survey
            .read_encounters(std::fs::File::open(sample("encounters.csv")).unwrap())
            .unwrap();
        let plan = survey.plan(&w.practices).unwrap();
        let mut outcomes = Vec::new();
        for file in SyntheaFile::ALL {
            let path = sample(file.file_name());
            let req = StageRequest {
                dataset: file.dataset(),
                path: &path,
                data_dir: w.data.path(),
                key: &w.key,
                practices: &w.practices,
                today: date!(2026 - 11 - 24),
                index_key: Some(&w.index),
            };
            let staged = stage_synthea(&req, file, &plan, &mut |_| {}).unwrap();
            assert_eq!(staged.read.rejected, 0, "{:?}: the sample is clean", file);
            let how = Commit {
                pcn: w.pcn,
                accept_valid: false,
                replaces: None,
                source: "synthea".into(),
                audit: audit(w.pcn),
            };
            outcomes.push(commit(&w.store, w.data.path(), staged, how).await.unwrap());
        }
        outcomes
    }

    async fn the_sample_imports_once_and_its_figures_agree(store: DynStore) {
        let w = world(store).await;
        let first = import_all(&w).await;
        assert!(first.iter().all(|o| matches!(o, Outcome::Imported(_))));
        let again = import_all(&w).await;
        assert!(
            again
                .iter()
                .all(|o| matches!(o, Outcome::AlreadyImported(_))),
            "importing the same export again changes nothing"
        );

        // Independently: everyone alive in 2022, and their GP consultations that year.
        let (from, to) = ("2022-01-01", "2022-12-31");
        let mut counts: HashMap<String, u64> = rows("patients.csv")
            .iter()
            .filter(|r| &r[1] <= to && (r[2].is_empty() || &r[2] >= from))
            .map(|r| (r[0].to_owned(), 0))
            .collect();
        let mut gp_orgs: HashMap<String, HashMap<String, u64>> = HashMap::new();
        let mut ae = 0;
        for r in rows("encounters.csv") {
            match &r[7] {
                // The one rule of docs/formats.md: outpatient counts too (Synthea's FHIR cannot
                // tell it from ambulatory); urgent care is an A&E attendance.
                "ambulatory" | "wellness" | "virtual" | "outpatient" | "home" => {
                    *gp_orgs
                        .entry(r[3].to_owned())
                        .or_default()
                        .entry(r[4].to_owned())
                        .or_default() += 1;
                    let day = london_day(&r[1]);
                    if (from..=to).contains(&day.as_str()) {
                        if let Some(c) = counts.get_mut(&r[3]) {
                            *c += 1;
                        }
                    }
                }
                "emergency" | "urgentcare" => ae += 1,
                _ => {}
            }
        }
        let tables = Tables::open(&w.store, w.data.path(), w.pcn).await.unwrap();
        let scope = Scope {
            from: date!(2022 - 01 - 01),
            to: date!(2022 - 12 - 31),
            practices: w.practices.iter().map(|p| p.to_string()).collect(),
            rule: CountingRule::default(),
        };
        let got = profile(&tables, &scope).await.unwrap();
        assert_eq!(got.registered.value(), counts.len() as u64);
        assert_eq!(
            got.appointments.value(),
            counts.values().sum::<u64>(),
            "GP consultations in 2022"
        );
        let by_person: HashMap<&str, (u64, &str)> = got
            .people
            .iter()
            .map(|p| (p.pseudonym.as_str(), (p.appointments, &*p.practice)))
            .collect();
        let mut practice_of_org: HashMap<String, HashSet<String>> = HashMap::new();
        for (id, n) in &counts {
            let pseudonym = w.key.pseudonymise_source_id("synthea", id);
            let (have, practice) = by_person[pseudonym.as_str()];
            assert_eq!(have, *n, "{id}'s consultations");
            if let Some(orgs) = gp_orgs.get(id) {
                let most = orgs.values().max().unwrap();
                let main: Vec<&String> = orgs.iter().filter(|o| o.1 == most).map(|o| o.0).collect();
                if main.len() == 1 {
                    practice_of_org
                        .entry(main[0].clone())
                        .or_default()
                        .insert(practice.to_owned());
                }
            }
        }
        assert!(
            practice_of_org.values().all(|p| p.len() == 1),
            "everyone whose main organisation is the same is with the same practice"
        );
        let ae_files: Vec<PathBuf> = w
            .parquet_files()
            .into_iter()
            .filter(|p| p.to_string_lossy().contains("ae_attendances"))
            .collect();
        assert_eq!(rows_and_pseudonyms(&ae_files).0, ae, "A&E attendances");
    }

    on_both!(the_sample_imports_once_and_its_figures_agree);
}

mod patient_index {
    //! The registrations import seals who each pseudonym is; only the practice's own clinician
    //! gets it back, and every person named is audited.
    use super::*;
    use std::collections::{HashMap, HashSet};
    use together_core::policy::Actor;
    use together_core::{Role, UserId};
    use together_insight::patient_index::{reidentify, IndexError, Request};

    async fn only_the_practices_clinician_reidentifies_and_it_is_audited(store: DynStore) {
        let w = world(store).await;
        assert!(matches!(
            w.import(
                Dataset::Registrations,
                &w.file("registrations.csv"),
                false,
                None
            )
            .await,
            Outcome::Imported(_)
        ));
        // Independently: who is registered where, by NHS number.
        let mut by_practice: HashMap<String, Vec<(String, String, String)>> = HashMap::new();
        for r in csv::Reader::from_path(w.file("registrations.csv"))
            .unwrap()
            .records()
        {
            let r = r.unwrap();
            by_practice.entry(r[1].to_owned()).or_default().push((
                r[0].to_owned(),
                r[2].to_owned(),
                r[3].to_owned(),
            ));
        }
        let pseudonym = |nhs: &str| w.key.pseudonymise(&nhs.parse().unwrap()).to_string();
        let ours: Vec<_> = by_practice["B99001"].iter().take(3).cloned().collect();
        let theirs = &by_practice["B99002"][0];
        let wanted: HashSet<String> = ours
            .iter()
            .map(|p| pseudonym(&p.0))
            .chain([pseudonym(&theirs.0)])
            .collect();

        let practices = w.store.practices(w.pcn).await.unwrap();
        let b99001 = practices
            .iter()
            .find(|p| p.ods_code.as_str() == "B99001")
            .unwrap();
        let actor = |role| Actor {
            user_id: UserId::new(),
            role,
            pcn_id: w.pcn,
            practice_id: Some(b99001.id),
        };
        let request = |a: &'static Actor| Request {
            actor: a,
            actor_label: "user:test",
            practice: b99001,
            reason: "cohort: lonely over-75s",
            request_id: None,
            ip: None,
            now: datetime!(2026-11-24 10:00 UTC),
        };
        let clinician: &'static Actor = Box::leak(Box::new(actor(Role::Clinician)));
        let people = reidentify(
            &w.store,
            w.data.path(),
            &w.index,
            w.pcn,
            &request(clinician),
            &wanted,
        )
        .await
        .unwrap();
        let mut got: Vec<(String, String, String)> = people
            .iter()
            .map(|p| {
                (
                    p.entry.nhs_number.clone().unwrap(),
                    p.entry.given_name.clone(),
                    p.entry.family_name.clone(),
                )
            })
            .collect();
        got.sort();
        let mut want = ours.clone();
        want.sort();
        assert_eq!(got, want, "the practice's own people, and no one else's");

        let audit = w
            .store
            .audit_events(
                w.pcn,
                &together_store::AuditFilter {
                    resource_type: Some("patient_index".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(audit.len(), 3, "one audit row per person named");
        assert!(audit.iter().all(|e| e.outcome == "allowed"
            && e.resource_id.as_deref().is_some_and(|r| wanted.contains(r))));

        for role in [Role::PcnAdmin, Role::Analyst, Role::LinkWorker] {
            let a: &'static Actor = Box::leak(Box::new(actor(role)));
            assert!(matches!(
                reidentify(
                    &w.store,
                    w.data.path(),
                    &w.index,
                    w.pcn,
                    &request(a),
                    &wanted
                )
                .await,
                Err(IndexError::Denied(_))
            ));
        }
        let denied = w
            .store
            .audit_events(
                w.pcn,
                &together_store::AuditFilter {
                    resource_type: Some("patient_index".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(denied.iter().filter(|e| e.outcome == "denied").count(), 3);

        let other_key = IndexKey::new(&[8u8; 32]).unwrap();
        assert!(matches!(
            reidentify(
                &w.store,
                w.data.path(),
                &other_key,
                w.pcn,
                &request(clinician),
                &wanted
            )
            .await,
            Err(IndexError::Unsealable)
        ));
        // Nothing identifiable in the files in plain text.
        for f in walk(&w.data.path().join("insight")) {
            let bytes = std::fs::read(&f).unwrap();
            for (nhs, _, family) in &ours {
                for needle in [nhs.as_bytes(), family.as_bytes()] {
                    assert!(
                        !bytes.windows(needle.len()).any(|x| x == needle),
                        "{} holds {}",
                        f.display(),
                        String::from_utf8_lossy(needle)
                    );
                }
            }
        }
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
        out
    }

    on_both!(only_the_practices_clinician_reidentifies_and_it_is_audited);
}

mod cohorts {
    //! A cohort's members against the same criteria applied straight to the CSV files, and the
    //! practice's clinician turning them into an invitation list.
    use super::*;
    use std::collections::{HashMap, HashSet};
    use together_insight::cohort::{evaluate, CohortDefinition};
    use together_insight::profile::CountingRule;

    fn csv_rows(w: &World, name: &str) -> Vec<csv::StringRecord> {
        csv::Reader::from_path(w.file(name))
            .unwrap()
            .records()
            .map(Result::unwrap)
            .collect()
    }

    #[tokio::test]
    async fn a_cohort_is_who_the_files_say_and_becomes_an_invitation_list() {
        let (_dir, w, tables) = imported_world().await;
        let rule = CountingRule::default();
        let definition = CohortDefinition {
            practices: vec!["B99001".into()],
            from: date!(2025 - 01 - 01),
            to: date!(2025 - 12 - 31),
            age_min: Some(50),
            age_max: None,
            sex: None,
            with_conditions: vec!["hypertension".into()],
            without_conditions: vec!["dementia".into()],
            appointments_min: Some(2),
            appointments_max: None,
            ae_min: None,
            dna_min: None,
            last_seen_before: None,
        };
        let got = evaluate(&tables, &definition, &rule).await.unwrap();

        // Independently, from the files.
        let mut conditions: HashMap<String, HashSet<String>> = HashMap::new();
        for r in csv_rows(&w, "conditions.csv") {
            if &r[3] <= "2025-12-31" {
                conditions
                    .entry(r[0].to_owned())
                    .or_default()
                    .insert(r[1].to_owned());
            }
        }
        let counted: HashSet<&str> = rule.statuses.iter().map(String::as_str).collect();
        let mut appointments: HashMap<String, u64> = HashMap::new();
        for r in csv_rows(&w, "appointments.csv") {
            if &r[1] == "B99001" && r[3].starts_with("2025") && counted.contains(&r[4]) {
                *appointments.entry(r[0].to_owned()).or_default() += 1;
            }
        }
        let none = HashSet::new();
        let want: HashSet<String> = csv_rows(&w, "registrations.csv")
            .iter()
            .filter(|r| {
                let (yob, mob): (i32, u32) =
                    (r[4][..4].parse().unwrap(), r[4][5..7].parse().unwrap());
                let age = 2025 - yob - i32::from(1 < mob);
                let has = conditions.get(&r[0]).unwrap_or(&none);
                &r[1] == "B99001"
                    && &r[8] <= "2025-12-31"
                    && (r[9].is_empty() || &r[9] >= "2025-01-01")
                    && age >= 50
                    && has.contains("hypertension")
                    && !has.contains("dementia")
                    && appointments.get(&r[0]).copied().unwrap_or(0) >= 2
            })
            .map(|r| w.key.pseudonymise(&r[0].parse().unwrap()).to_string())
            .collect();
        let members: HashSet<String> = got.members.iter().map(|m| m.pseudonym.clone()).collect();
        assert!(!want.is_empty(), "the criteria find someone");
        assert_eq!(members, want);
        assert_eq!(got.size.value(), want.len() as u64);
        assert!(
            got.description.contains("with hypertension")
                && got.description.contains("without dementia")
        );

        // Missed appointments and "not seen since" narrow it further, never widen it.
        let narrower = CohortDefinition {
            dna_min: Some(1),
            last_seen_before: Some(date!(2025 - 10 - 01)),
            ..definition.clone()
        };
        let fewer = evaluate(&tables, &narrower, &rule).await.unwrap();
        assert!(fewer.members.iter().all(|m| members.contains(&m.pseudonym)));
        assert!(fewer.size.value() < got.size.value());

        // The practice's clinician turns the cohort into an invitation list.
        use together_core::policy::Actor;
        use together_insight::patient_index::{invitation_csv, reidentify, Request};
        let practice = w
            .store
            .practices(w.pcn)
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.ods_code.as_str() == "B99001")
            .unwrap();
        let clinician = Actor {
            user_id: together_core::UserId::new(),
            role: together_core::Role::Clinician,
            pcn_id: w.pcn,
            practice_id: Some(practice.id),
        };
        let request = Request {
            actor: &clinician,
            actor_label: "user:gp",
            practice: &practice,
            reason: "cohort: test",
            request_id: None,
            ip: None,
            now: datetime!(2026-11-24 10:00 UTC),
        };
        let people = reidentify(&w.store, w.data.path(), &w.index, w.pcn, &request, &members)
            .await
            .unwrap();
        assert_eq!(people.len(), members.len());
        let text = String::from_utf8(invitation_csv(&people, "Quayside Surgery").unwrap()).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("given_name,family_name,date_of_birth,nhs_number,mobile,suggested_text_message")
        );
        assert_eq!(lines.count(), members.len());
        assert!(text.contains("we'd love you to join us"));
    }
}

mod analysts {
    //! Read-only SQL and the pseudonymised extract.
    use super::*;
    use together_insight::analyst::{extract, render, sql, Output};
    use together_insight::profile::{CountingRule, Scope};

    #[tokio::test]
    async fn sql_reads_but_never_writes_and_the_extract_holds_nothing_identifiable() {
        let (_dir, w, tables) = imported_world().await;
        let appointments = csv::Reader::from_path(w.file("appointments.csv"))
            .unwrap()
            .records()
            .count();
        let counted = sql(&tables, "SELECT count(*) AS n FROM appointments")
            .await
            .unwrap();
        let text = render(&counted, Output::Csv).unwrap();
        assert_eq!(text, format!("n\n{appointments}\n"));
        for refused in [
            "CREATE TABLE copy AS SELECT * FROM appointments",
            "INSERT INTO appointments SELECT * FROM appointments",
            "DROP TABLE appointments",
            "SET datafusion.execution.batch_size = 1",
        ] {
            assert!(sql(&tables, refused).await.is_err(), "{refused}");
        }
        let formula = sql(&tables, "SELECT '=HYPERLINK(1)' AS x").await.unwrap();
        assert_eq!(
            render(&formula, Output::Csv).unwrap(),
            "x\n'=HYPERLINK(1)\n"
        );
        assert!(render(&formula, Output::Json)
            .unwrap()
            .contains("=HYPERLINK(1)"));

        let out = w.data.path().join("extract");
        let scope = Scope {
            from: date!(2025 - 01 - 01),
            to: date!(2025 - 12 - 31),
            practices: vec!["B99001".into()],
            rule: CountingRule::default(),
        };
        let written = extract(&tables, &scope, &out).await.unwrap();
        let registered = csv::Reader::from_path(w.file("registrations.csv"))
            .unwrap()
            .records()
            .filter(|r| &r.as_ref().unwrap()[1] == "B99001")
            .count();
        assert_eq!(
            written
                .iter()
                .find(|(d, _)| *d == Dataset::Registrations)
                .unwrap()
                .1,
            registered
        );
        let in_2025 = csv::Reader::from_path(w.file("appointments.csv"))
            .unwrap()
            .records()
            .filter(|r| {
                let r = r.as_ref().unwrap();
                &r[1] == "B99001" && r[3].starts_with("2025")
            })
            .count();
        assert_eq!(
            written
                .iter()
                .find(|(d, _)| *d == Dataset::Appointments)
                .unwrap()
                .1,
            in_2025
        );
        assert!(out.join("DATA-DICTIONARY.md").exists());
        let (parquet_rows, _) = rows_and_pseudonyms(&[out.join("appointments.parquet")]);
        assert_eq!(parquet_rows, in_2025);
        let first = csv::Reader::from_path(w.file("registrations.csv"))
            .unwrap()
            .records()
            .next()
            .unwrap()
            .unwrap();
        for name in ["registrations.csv", "appointments.csv", "conditions.csv"] {
            let text = std::fs::read_to_string(out.join(name)).unwrap();
            assert!(
                !text.contains(&first[0]) && !text.contains(&first[3]),
                "{name}"
            );
        }
    }
}

#[path = "insight/impact.rs"]
mod impact;
