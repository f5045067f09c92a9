//! Whatever bytes arrive, reading never panics and every row is either accepted or rejected
//! with reasons (never silently dropped). The fuzz targets' property, run on stable Rust.

use proptest::prelude::*;
use time::macros::date;
use together_formats::fuzz::{check, TARGETS};
use together_formats::synthea::{read_synthea, Survey, SyntheaFile};
use together_formats::{read, Dataset};

const HEADER: &str =
    "nhs_number,ods_code,booked_at,starts_at,status,slot_type,clinician_role,mode\n";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_bytes_keep_every_importers_promises(bytes in proptest::collection::vec(any::<u8>(), 0..2000), which in 0usize..4) {
        prop_assert!(check(TARGETS[which], &bytes));
    }

    #[test]
    fn arbitrary_synthea_rows_never_panic(rows in proptest::collection::vec("[0-9a-z ,:TZ/\"-]{0,120}", 0..30), which in 0usize..4) {
        let text = format!("Id,START,PATIENT,ORGANIZATION,ENCOUNTERCLASS,BIRTHDATE,DEATHDATE,FIRST,LAST,GENDER,CODE,DESCRIPTION\n{}\n", rows.join("\n"));
        let mut survey = Survey::default();
        let _ = survey.read_patients(text.as_bytes());
        let _ = survey.read_encounters(text.as_bytes());
        let plan = survey.plan(&["B99001".parse().unwrap()]).unwrap();
        let (mut seen, mut reasonless) = (0u64, 0u64);
        if let Ok(s) = read_synthea(SyntheaFile::ALL[which], text.as_bytes(), &plan, date!(2026 - 11 - 24), |_, r| {
            seen += 1;
            reasonless += r.err().is_some_and(|e| e.is_empty()) as u64;
        }) {
            prop_assert_eq!(reasonless, 0, "a row was rejected without a reason");
            prop_assert_eq!(s.rows, seen);
            prop_assert_eq!(s.rows, s.valid + s.rejected);
        }
    }

    #[test]
    fn every_row_is_accounted_for(rows in proptest::collection::vec("[0-9A-Za-z ,:T/\"-]{0,120}", 0..30)) {
        let text = format!("{HEADER}{}\n", rows.join("\n"));
        let (mut ok, mut bad, mut reasonless) = (0u64, 0u64, 0u64);
        if let Ok(s) = read(Dataset::Appointments, text.as_bytes(), date!(2026 - 11 - 24), |_, r| match r {
            Ok(_) => ok += 1,
            Err(e) => {
                bad += 1;
                reasonless += e.is_empty() as u64;
            }
        }) {
            prop_assert_eq!(reasonless, 0, "a row was rejected without a reason");
            prop_assert_eq!(s.rows, ok + bad);
            prop_assert_eq!((s.valid, s.rejected), (ok, bad));
        }
    }
}
