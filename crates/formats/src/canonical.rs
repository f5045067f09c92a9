//! The four canonical files: registrations (the denominator and the patient index),
//! appointments, conditions and A&E attendances.

use crate::fields::{ColumnMap, Fields, RowError};
use crate::{FileError, Word};
use std::io::Read;
use time::{Date, OffsetDateTime};
use together_core::{NhsNumber, PracticeCode};

/// Which canonical file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dataset {
    Registrations,
    Appointments,
    Conditions,
    AeAttendances,
}

impl Dataset {
    pub const ALL: [Dataset; 4] = [
        Dataset::Registrations,
        Dataset::Appointments,
        Dataset::Conditions,
        Dataset::AeAttendances,
    ];

    /// The name used on the command line, in folders and in the imports list.
    pub fn name(self) -> &'static str {
        match self {
            Dataset::Registrations => "registrations",
            Dataset::Appointments => "appointments",
            Dataset::Conditions => "conditions",
            Dataset::AeAttendances => "ae_attendances",
        }
    }

    /// What the file holds, in words: "long-term conditions".
    pub fn label(self) -> &'static str {
        match self {
            Dataset::Registrations => "registered people",
            Dataset::Appointments => "appointments",
            Dataset::Conditions => "long-term conditions",
            Dataset::AeAttendances => "A&E attendances",
        }
    }

    /// (required columns, optional columns)
    pub fn columns(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            Dataset::Registrations => (
                &[
                    "nhs_number",
                    "ods_code",
                    "given_name",
                    "family_name",
                    "date_of_birth",
                    "sex",
                    "registered_from",
                ],
                &[
                    "mobile",
                    "imd_quintile",
                    "lsoa",
                    "registered_to",
                    "date_of_death",
                    "opt_out",
                ],
            ),
            Dataset::Appointments => (
                &[
                    "nhs_number",
                    "ods_code",
                    "booked_at",
                    "starts_at",
                    "status",
                    "slot_type",
                    "clinician_role",
                    "mode",
                ],
                &[],
            ),
            Dataset::Conditions => (&["nhs_number", "condition", "code", "recorded_on"], &[]),
            Dataset::AeAttendances => (&["nhs_number", "arrived_at", "discharge_destination"], &[]),
        }
    }
}

impl std::str::FromStr for Dataset {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Dataset::ALL
            .into_iter()
            .find(|d| d.name() == s || (s == "ae" && *d == Dataset::AeAttendances))
            .ok_or_else(|| {
                format!("'{s}' is not a dataset: registrations, appointments, conditions or ae")
            })
    }
}

/// The OpenSAFELY appointment status vocabulary.
pub const STATUSES: [&str; 15] = [
    "Booked",
    "Arrived",
    "Did Not Attend",
    "In Progress",
    "Finished",
    "Requested",
    "Blocked",
    "Visit",
    "Waiting",
    "Cancelled by Patient",
    "Cancelled by Unit",
    "Cancelled by Other Service",
    "No Access Visit",
    "Cancelled Due To Death",
    "Patient Walked Out",
];

/// What a status means, for the statuses whose name does not say it plainly: the counting rule
/// is chosen by people who know the appointment book, not the extract.
pub fn status_meaning(status: &str) -> Option<&'static str> {
    Some(match status {
        "Booked" => "Booked and not yet come (or the practice has not updated it).",
        "Arrived" => "Arrived at the practice; seen unless updated to another status.",
        "In Progress" => "Being seen when the data was taken.",
        "Finished" => "Seen, and the consultation finished.",
        "Requested" => "Asked for but not yet booked into a slot.",
        "Blocked" => "A slot held back, not given to a patient.",
        "Visit" => "A home visit.",
        "Waiting" => {
            "Arrived and waiting to be seen when the data was taken: almost always seen later."
        }
        "No Access Visit" => "A home visit where nobody answered.",
        "Cancelled Due To Death" => "Cancelled because the patient died.",
        "Patient Walked Out" => "Arrived, then left before being seen.",
        _ => return None,
    })
}

pub const SEXES: [&str; 4] = ["F", "M", "I", "U"];

/// Statuses of an appointment that has not happened yet (booked, or cancelled before it came):
/// only these may start after the day a file is imported.
pub const UPCOMING: [&str; 8] = [
    "Booked",
    "Requested",
    "Blocked",
    "Waiting",
    "Cancelled by Patient",
    "Cancelled by Unit",
    "Cancelled by Other Service",
    "Cancelled Due To Death",
];

/// How far ahead an upcoming appointment may be booked.
const BOOKED_AHEAD_DAYS: i64 = 366;

/// A file cannot hold what happened after it was exported, and it was exported at the latest on
/// the day it is imported: a date after that (a day's grace for time zones), beyond `ahead`
/// days for what may be booked ahead, is a mistake in the file — 2099 for 2019, say.
fn after_export(day: Date, today: Date, ahead: i64) -> bool {
    day > today + time::Duration::days(1 + ahead)
}

fn after_export_reason(today: Date) -> String {
    format!("is after the day of this import ({today}), so after the file was exported")
}

/// Whose record a row is: an NHS number, or for a source without them (Synthea) that
/// source's own id. Either way it becomes the same kind of pseudonym at the door.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Nhs(NhsNumber),
    Synthea(String),
}

#[derive(Debug, Clone)]
pub struct Registration {
    pub subject: Subject,
    pub ods_code: PracticeCode,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Date,
    pub sex: &'static str,
    pub mobile: Option<String>,
    pub imd_quintile: Option<u8>,
    pub lsoa: Option<String>,
    pub registered_from: Date,
    pub registered_to: Option<Date>,
    pub date_of_death: Option<Date>,
    pub opt_out: bool,
}

#[derive(Debug, Clone)]
pub struct Appointment {
    pub subject: Subject,
    pub ods_code: PracticeCode,
    pub booked_at: OffsetDateTime,
    pub starts_at: OffsetDateTime,
    pub status: &'static str,
    pub slot_type: Word,
    pub clinician_role: Word,
    pub mode: Word,
}

#[derive(Debug, Clone)]
pub struct Condition {
    pub subject: Subject,
    pub condition: String,
    pub code: String,
    pub recorded_on: Date,
}

#[derive(Debug, Clone)]
pub struct AeAttendance {
    pub subject: Subject,
    pub arrived_at: OffsetDateTime,
    pub discharge_destination: String,
}

/// One valid row of any canonical file.
#[derive(Debug, Clone)]
pub enum Record {
    Registration(Registration),
    Appointment(Appointment),
    Condition(Condition),
    AeAttendance(AeAttendance),
}

fn column_map(dataset: Dataset, headers: &csv::StringRecord) -> Result<ColumnMap, FileError> {
    let (required, optional) = dataset.columns();
    let names: Vec<String> = headers
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let mut map = ColumnMap::default();
    let mut unknown = false;
    for (i, name) in names.iter().enumerate() {
        match required
            .iter()
            .chain(optional)
            .find(|c| **c == name.as_str())
        {
            Some(c) if !map.contains_key(c) => {
                map.insert(c, i);
            }
            _ => unknown = true,
        }
    }
    if unknown || required.iter().any(|c| !map.contains_key(c)) {
        return Err(FileError::UnknownLayout {
            dataset: dataset.name(),
            found: names.join(", "),
            expected: required
                .iter()
                .chain(optional)
                .copied()
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(map)
}

fn text(s: &str) -> String {
    s.to_owned()
}

fn parse(dataset: Dataset, f: &mut Fields<'_>, today: Date) -> Option<Record> {
    let nhs = f.nhs_number();
    match dataset {
        Dataset::Registrations => {
            let ods = f.ods_code();
            let given = f.required("given_name").map(text);
            let family = f.required("family_name").map(text);
            let dob = f.date("date_of_birth", true).flatten();
            let sex = f.one_of("sex", &SEXES);
            let mobile = Some(f.text("mobile")).filter(|m| !m.is_empty()).map(text);
            let quintile_text = f.text("imd_quintile");
            let imd_quintile = match quintile_text {
                "" => Some(None),
                q => match q.parse::<u8>() {
                    Ok(n) if (1..=5).contains(&n) => Some(Some(n)),
                    _ => {
                        f.fail(
                            "imd_quintile",
                            format!("'{q}' is not a quintile from 1 (most deprived) to 5"),
                        );
                        None
                    }
                },
            };
            let lsoa = Some(f.text("lsoa")).filter(|l| !l.is_empty()).map(text);
            let from = f.date("registered_from", true).flatten();
            let to = f.date("registered_to", false);
            let death = f.date("date_of_death", false);
            let opt_out = f.flag("opt_out");
            if let Some(d) = dob {
                if d > today {
                    f.fail("date_of_birth", "is in the future");
                }
                if from.is_some_and(|r| r < d) {
                    f.fail("registered_from", "is before the date of birth");
                }
            }
            if let Some(Some(d)) = death {
                if after_export(d, today, 0) {
                    f.fail("date_of_death", after_export_reason(today));
                }
            }
            if let (Some(r), Some(Some(t))) = (from, to) {
                if t < r {
                    f.fail("registered_to", "is before registered_from");
                }
            }
            if !f.errors.is_empty() {
                return None;
            }
            Some(Record::Registration(Registration {
                subject: Subject::Nhs(nhs?),
                ods_code: ods?,
                given_name: given?,
                family_name: family?,
                date_of_birth: dob?,
                sex: sex?,
                mobile,
                imd_quintile: imd_quintile?,
                lsoa,
                registered_from: from?,
                registered_to: to?,
                date_of_death: death?,
                opt_out: opt_out?,
            }))
        }
        Dataset::Appointments => {
            let ods = f.ods_code();
            let booked = f.local_datetime("booked_at");
            let starts = f.local_datetime("starts_at");
            let status = f.one_of("status", &STATUSES);
            let slot = f.required("slot_type").map(Word::new);
            let role = f.required("clinician_role").map(Word::new);
            let mode = f.required("mode").map(Word::new);
            if let (Some(b), Some(s)) = (booked, starts) {
                if b > s {
                    f.fail("booked_at", "is after starts_at");
                }
            }
            if booked.is_some_and(|b| after_export(b.date(), today, 0)) {
                f.fail("booked_at", after_export_reason(today));
            }
            if let (Some(s), Some(st)) = (starts, status) {
                let ahead = if UPCOMING.contains(&st) {
                    BOOKED_AHEAD_DAYS
                } else {
                    0
                };
                if after_export(s.date(), today, ahead) {
                    f.fail(
                        "starts_at",
                        if ahead == 0 {
                            format!(
                                "{}: an appointment marked '{st}' has already happened",
                                after_export_reason(today)
                            )
                        } else {
                            format!("is more than a year after the day of this import ({today})")
                        },
                    );
                }
            }
            if !f.errors.is_empty() {
                return None;
            }
            Some(Record::Appointment(Appointment {
                subject: Subject::Nhs(nhs?),
                ods_code: ods?,
                booked_at: booked?,
                starts_at: starts?,
                status: status?,
                slot_type: slot?,
                clinician_role: role?,
                mode: mode?,
            }))
        }
        Dataset::Conditions => {
            let condition = f.required("condition").map(text);
            let code = f.required("code").map(text);
            if let Some(c) = code.as_deref() {
                if !(6..=18).contains(&c.len()) || !c.chars().all(|ch| ch.is_ascii_digit()) {
                    f.fail(
                        "code",
                        format!("'{c}' is not a SNOMED CT code (6 to 18 digits)"),
                    );
                }
            }
            let on = f.date("recorded_on", true).flatten();
            if on.is_some_and(|d| after_export(d, today, 0)) {
                f.fail("recorded_on", after_export_reason(today));
            }
            if !f.errors.is_empty() {
                return None;
            }
            Some(Record::Condition(Condition {
                subject: Subject::Nhs(nhs?),
                condition: condition?,
                code: code?,
                recorded_on: on?,
            }))
        }
        Dataset::AeAttendances => {
            let at = f.local_datetime("arrived_at");
            if at.is_some_and(|a| after_export(a.date(), today, 0)) {
                f.fail("arrived_at", after_export_reason(today));
            }
            let destination = f.required("discharge_destination").map(text);
            if !f.errors.is_empty() {
                return None;
            }
            Some(Record::AeAttendance(AeAttendance {
                subject: Subject::Nhs(nhs?),
                arrived_at: at?,
                discharge_destination: destination?,
            }))
        }
    }
}

/// Remembers the last byte read, to tell a complete file (ending in a newline) from a cut one.
struct LastByte<R> {
    inner: R,
    last: Option<u8>,
}

impl<R: Read> Read for LastByte<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.last = Some(buf[n - 1]);
        }
        Ok(n)
    }
}

/// What reading a file found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadSummary {
    pub rows: u64,
    pub valid: u64,
    pub rejected: u64,
    /// Rows of a kind this dataset does not take (a Synthea inpatient stay in the
    /// appointments, say): neither imported nor rejected.
    pub skipped: u64,
}

/// What parsing one row gave, when it gave no errors.
pub(crate) enum Parsed<T = Record> {
    Keep(T),
    Skip,
}

/// Opens a CSV file and reads its header: refused whole when it is empty, not UTF-8, or its
/// header does not give `columns` what it needs.
/// The first bytes of a file, read ahead to tell its encoding, then given back in front of the rest.
type Sniffed<R> = std::io::Chain<std::io::Cursor<Vec<u8>>, R>;

/// Reads up to 4 KiB ahead and refuses UTF-16, with or without a byte-order mark: without one,
/// its ASCII letters come with a NUL byte beside each, which is valid UTF-8 and would otherwise
/// be read as a header Together does not know.
fn sniff<R: Read>(mut input: R) -> Result<Sniffed<R>, FileError> {
    let mut head = vec![0u8; 4096];
    let mut n = 0;
    while n < head.len() {
        match input.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(FileError::Unreadable(e.to_string())),
        }
    }
    head.truncate(n);
    if looks_utf16(&head) {
        return Err(FileError::Utf16);
    }
    Ok(std::io::Cursor::new(head).chain(input))
}

fn looks_utf16(head: &[u8]) -> bool {
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return true;
    }
    let pairs = head.len() / 2;
    if pairs < 2 {
        return false;
    }
    // Text in UTF-16 has a NUL in one byte of most pairs, always the same one of the two.
    let nul_odd = head
        .chunks_exact(2)
        .filter(|p| p[1] == 0 && p[0] != 0)
        .count();
    let nul_even = head
        .chunks_exact(2)
        .filter(|p| p[0] == 0 && p[1] != 0)
        .count();
    nul_odd.max(nul_even) * 10 >= pairs * 7
}

/// A file opened for reading rows: its reader, its header and where each column is.
type Opened<R> = (
    csv::Reader<LastByte<Sniffed<R>>>,
    csv::StringRecord,
    ColumnMap,
);

fn open_csv<R: Read>(
    input: R,
    columns: impl FnOnce(&csv::StringRecord) -> Result<ColumnMap, FileError>,
) -> Result<Opened<R>, FileError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(LastByte {
            inner: sniff(input)?,
            last: None,
        });
    let headers = match reader.headers() {
        Ok(h) if h.is_empty() || (h.len() == 1 && h[0].trim().is_empty()) => {
            return Err(FileError::Empty)
        }
        Ok(h) => h.clone(),
        Err(e) => return Err(csv_error(e)),
    };
    let map = columns(&headers)?;
    Ok((reader, headers, map))
}

/// Parses one row and counts it; what `on_row` is to be given, if anything.
fn parse_row<T>(
    record: &csv::StringRecord,
    map: &ColumnMap,
    columns: usize,
    parse: &mut impl FnMut(&mut Fields<'_>) -> Option<Parsed<T>>,
    summary: &mut ReadSummary,
) -> Option<(u64, Result<T, Vec<RowError>>)> {
    let line = record.position().map(|p| p.line()).unwrap_or(0);
    let mut fields = Fields::new(record, map, line, columns);
    match parse(&mut fields) {
        Some(Parsed::Skip) if fields.errors.is_empty() => {
            summary.skipped += 1;
            None
        }
        Some(Parsed::Keep(r)) if fields.errors.is_empty() => {
            summary.rows += 1;
            summary.valid += 1;
            Some((line, Ok(r)))
        }
        _ => {
            summary.rows += 1;
            summary.rejected += 1;
            Some((line, Err(fields.errors)))
        }
    }
}

/// Reads a CSV file row by row: the file is refused whole when it is not UTF-8, is cut short or
/// its header does not give `columns` what it needs; each row is parsed and given, valid or not,
/// with its line to `on_row`, in order.
pub(crate) fn read_rows<R: Read, T>(
    input: R,
    columns: impl FnOnce(&csv::StringRecord) -> Result<ColumnMap, FileError>,
    mut parse: impl FnMut(&mut Fields<'_>) -> Option<Parsed<T>>,
    mut on_row: impl FnMut(u64, Result<T, Vec<RowError>>),
) -> Result<ReadSummary, FileError> {
    let (mut reader, headers, map) = open_csv(input, columns)?;
    let mut summary = ReadSummary::default();
    let mut record = csv::StringRecord::new();
    let mut last_width = None;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                last_width = Some(record.len());
                if let Some((line, row)) =
                    parse_row(&record, &map, headers.len(), &mut parse, &mut summary)
                {
                    on_row(line, row);
                }
            }
            Err(e) => return Err(csv_error(e)),
        }
    }
    finished(reader.get_ref().last, last_width, headers.len(), &summary)?;
    Ok(summary)
}

/// How a file that was read to its end ended: a last line without its newline is whole when it
/// has every column (many tools leave the final newline off); one with fewer was cut short.
/// A header with no rows under it is said to be so, not imported as nothing.
fn finished(
    last_byte: Option<u8>,
    last_width: Option<usize>,
    width: usize,
    summary: &ReadSummary,
) -> Result<(), FileError> {
    if last_byte != Some(b'\n') && last_width.is_some_and(|w| w < width) {
        return Err(FileError::Truncated);
    }
    if summary.rows == 0 && summary.skipped == 0 {
        return Err(FileError::NoRows);
    }
    Ok(())
}

/// Rows handed to a parsing thread at a time.
const CHUNK: usize = 2048;

/// What parsing a row gave, with its line and the fingerprint of its bytes.
type ParsedRow = (u64, Result<Record, Vec<RowError>>, u128);

/// A 128-bit fingerprint of a row's fields exactly as written: two rows with the same one are
/// the same row (a chance match is about one in 10^20 for a file of ten million rows).
fn fingerprint(record: &csv::StringRecord) -> u128 {
    use std::hash::Hasher;
    let mut a = std::hash::DefaultHasher::new();
    let mut b = std::hash::DefaultHasher::new();
    b.write_u8(0x5a);
    for field in record.iter() {
        for h in [&mut a, &mut b] {
            h.write(field.as_bytes());
            h.write_u8(0xff);
        }
    }
    (u128::from(a.finish()) << 64) | u128::from(b.finish())
}
/// Rows split from the file (and where their parsed rows go), or what parsing them gave,
/// numbered in file order.
type Chunk = (usize, Vec<csv::StringRecord>, Vec<ParsedRow>);
type ParsedChunk = (usize, Vec<ParsedRow>, ReadSummary, Vec<csv::StringRecord>);

/// [`read_rows`] with the work spread over threads: one splits the file into rows, others (one
/// per core) parse and check them, and this one gives what each row became to `on_row`, in
/// file order — what `on_row` is given, and in what order, is the same. For big files, where
/// doing all of it one row after another on one core is the slow part.
pub(crate) fn read_rows_parallel<R: Read + Send>(
    input: R,
    columns: impl FnOnce(&csv::StringRecord) -> Result<ColumnMap, FileError>,
    parse: impl Fn(&mut Fields<'_>) -> Option<Parsed> + Sync,
    mut on_row: impl FnMut(u64, Result<Record, Vec<RowError>>),
) -> Result<ReadSummary, FileError> {
    use std::sync::mpsc;
    let (reader, headers, map) = open_csv(input, columns)?;
    let width = headers.len();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (to_parse, chunks) = mpsc::sync_channel::<Chunk>(threads * 2);
    let chunks = std::sync::Mutex::new(chunks);
    let (to_order, parsed) = mpsc::channel::<ParsedChunk>();
    // Chunks split but not yet given back, at most: memory stays bounded on any file. Their
    // buffers go round and round: a chunk's parsed rows are a few hundred kilobytes, which
    // allocated afresh for every chunk (and freed on another thread) kept the kernel busy
    // clearing new pages.
    let (to_split, spare) =
        mpsc::sync_channel::<(Vec<csv::StringRecord>, Vec<ParsedRow>)>(threads * 4);
    for _ in 0..threads * 4 {
        let _ = to_split.send((Vec::new(), Vec::new()));
    }
    let (map, parse, chunks) = (&map, &parse, &chunks);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let to_order = to_order.clone();
            scope.spawn(move || loop {
                let next = chunks.lock().ok().and_then(|c| c.recv().ok());
                let Some((seq, records, mut rows)) = next else {
                    return;
                };
                let mut summary = ReadSummary::default();
                let mut each = |f: &mut Fields<'_>| parse(f);
                rows.extend(records.iter().filter_map(|r| {
                    parse_row(r, map, width, &mut each, &mut summary)
                        .map(|(line, row)| (line, row, fingerprint(r)))
                }));
                if to_order.send((seq, rows, summary, records)).is_err() {
                    return;
                }
            });
        }
        drop(to_order);
        // The splitter: what ended the file (a refusal, or the last byte read).
        let splitter = scope.spawn(move || {
            let mut reader = reader;
            let mut seq = 0;
            let mut last_width = None;
            while let Ok((mut records, rows)) = spare.recv() {
                let mut n = 0;
                let mut end = None;
                while n < CHUNK {
                    if records.len() <= n {
                        records.push(csv::StringRecord::new());
                    }
                    match reader.read_record(&mut records[n]) {
                        Ok(true) => n += 1,
                        Ok(false) => {
                            end = Some(Ok(()));
                            break;
                        }
                        Err(e) => {
                            end = Some(Err(csv_error(e)));
                            break;
                        }
                    }
                }
                records.truncate(n);
                if n > 0 {
                    last_width = Some(records[n - 1].len());
                    if to_parse.send((seq, records, rows)).is_err() {
                        return Err(FileError::Unreadable("the row checkers stopped".into()));
                    }
                    seq += 1;
                }
                if let Some(end) = end {
                    return end.map(|()| (reader.get_ref().last, last_width, seq));
                }
            }
            Err(FileError::Unreadable("the reader stopped".into()))
        });
        let mut summary = ReadSummary::default();
        let mut given = 0usize;
        // Every valid row's fingerprint and first line: an exact copy of a row is rejected,
        // naming the line it copies, as a person would call it wrong (it would count twice).
        let mut seen: std::collections::HashMap<u128, u64> = Default::default();
        let mut duplicates = 0u64;
        let mut waiting: std::collections::BTreeMap<usize, ParsedChunk> = Default::default();
        for result in parsed.iter() {
            waiting.insert(result.0, result);
            while let Some((_, mut rows, part, records)) = waiting.remove(&given) {
                given += 1;
                summary.rows += part.rows;
                summary.valid += part.valid;
                summary.rejected += part.rejected;
                summary.skipped += part.skipped;
                for (line, row, print) in rows.drain(..) {
                    let row = match row {
                        Ok(record) => match seen.entry(print) {
                            std::collections::hash_map::Entry::Occupied(first) => {
                                duplicates += 1;
                                Err(vec![RowError {
                                    line,
                                    column: String::new(),
                                    reason: format!(
                                        "the same as line {}: the row is in the file twice",
                                        first.get()
                                    ),
                                }])
                            }
                            std::collections::hash_map::Entry::Vacant(v) => {
                                v.insert(line);
                                Ok(record)
                            }
                        },
                        Err(e) => Err(e),
                    };
                    on_row(line, row);
                }
                let _ = to_split.send((records, rows));
            }
        }
        drop(to_split);
        let (last, last_width, chunks) = splitter
            .join()
            .unwrap_or_else(|_| Err(FileError::Unreadable("the reader stopped".into())))?;
        if given != chunks {
            return Err(FileError::Unreadable(
                "rows went missing between threads".into(),
            ));
        }
        summary.valid -= duplicates;
        summary.rejected += duplicates;
        finished(last, last_width, width, &summary)?;
        Ok(summary)
    })
}

/// Reads a canonical file, giving each row (valid or not) with its line to `on_row`, in order.
/// `today` bounds dates of birth. A file that is not UTF-8, is cut short or has an unknown
/// header is refused whole, before or instead of any row being accepted.
pub fn read<R: Read + Send>(
    dataset: Dataset,
    input: R,
    today: Date,
    on_row: impl FnMut(u64, Result<Record, Vec<RowError>>),
) -> Result<ReadSummary, FileError> {
    read_rows_parallel(
        input,
        |headers| column_map(dataset, headers),
        |fields| parse(dataset, fields, today).map(Parsed::Keep),
        on_row,
    )
}

fn csv_error(e: csv::Error) -> FileError {
    match e.kind() {
        csv::ErrorKind::Utf8 { pos, .. } => FileError::NotUtf8 {
            line: pos.as_ref().map(|p| p.line()).unwrap_or(0),
        },
        _ => FileError::Unreadable(e.to_string()),
    }
}
