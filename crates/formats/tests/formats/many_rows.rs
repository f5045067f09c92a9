//! A file far longer than one of the reader's chunks: rows are parsed on several threads, and
//! what each gives must still come back in file order, with its own line, every rejection
//! where it was planted, and a bad byte anywhere refusing the whole file.

use time::macros::date;
use together_formats::{read, Dataset, FileError};

/// The `n`th valid NHS number of the never-issued range (Modulus 11 check digit).
fn nhs(n: u32) -> String {
    let mut stem = 999_000_000 + n;
    loop {
        let digits: Vec<u32> = format!("{stem:09}")
            .bytes()
            .map(|b| u32::from(b - b'0'))
            .collect();
        let sum: u32 = digits.iter().zip((2..=10).rev()).map(|(d, w)| d * w).sum();
        match 11 - sum % 11 {
            10 => stem += 1,
            11 => return format!("{stem:09}0"),
            check => return format!("{stem:09}{check}"),
        }
    }
}

const ROWS: u32 = 20_000;

/// Lines (the header is line 1) whose NHS number is wrong.
fn planted(line: u64) -> bool {
    line % 997 == 5
}

fn appointments() -> String {
    let mut csv = String::from(
        "nhs_number,ods_code,booked_at,starts_at,status,slot_type,clinician_role,mode\n",
    );
    for i in 0..ROWS {
        let line = u64::from(i) + 2;
        let number = if planted(line) {
            "1234567890".to_owned()
        } else {
            nhs(i * 3)
        };
        csv.push_str(&format!(
            "{number},B99001,2025-03-01T09:00:00,2025-03-0{}T10:30:00,Finished,General,GP,Face to face\n",
            1 + i % 9
        ));
    }
    csv
}

#[test]
fn rows_come_back_in_file_order_with_their_lines_and_rejections() {
    let mut lines = Vec::new();
    let mut rejected = Vec::new();
    let summary = read(
        Dataset::Appointments,
        appointments().as_bytes(),
        date!(2026 - 01 - 01),
        |line, row| {
            lines.push(line);
            if let Err(errors) = row {
                assert!(
                    errors
                        .iter()
                        .all(|e| e.line == line && e.column == "nhs_number"),
                    "{errors:?}"
                );
                rejected.push(line);
            }
        },
    )
    .unwrap();
    let expected: Vec<u64> = (2..u64::from(ROWS) + 2).collect();
    assert_eq!(lines, expected, "every row once, in file order");
    let planted_lines: Vec<u64> = expected.iter().copied().filter(|l| planted(*l)).collect();
    assert!(planted_lines.len() > 10);
    assert_eq!(rejected, planted_lines);
    assert_eq!(summary.rows, u64::from(ROWS));
    assert_eq!(summary.rejected, planted_lines.len() as u64);
    assert_eq!(summary.valid, u64::from(ROWS) - planted_lines.len() as u64);
}

#[test]
fn a_bad_byte_deep_in_a_long_file_refuses_all_of_it() {
    let mut bytes = appointments().into_bytes();
    let at = bytes.len() * 3 / 4;
    let line_start = at + bytes[at..].iter().position(|b| *b == b'\n').unwrap() + 1;
    bytes[line_start + 11] = 0xff; // inside the ods_code of a row three quarters down
    let result = read(
        Dataset::Appointments,
        bytes.as_slice(),
        date!(2026 - 01 - 01),
        |_, _| {},
    );
    assert!(
        matches!(result, Err(FileError::NotUtf8 { line }) if line > 14_000),
        "{result:?}"
    );
}

#[test]
fn a_long_file_cut_short_is_refused() {
    let csv = appointments();
    let cut = &csv.as_bytes()[..csv.len() - 20];
    let result = read(Dataset::Appointments, cut, date!(2026 - 01 - 01), |_, _| {});
    assert_eq!(result, Err(FileError::Truncated));
}
