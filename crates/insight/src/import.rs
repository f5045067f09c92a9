//! One import: [`stage`] reads, checks and pseudonymises a file into Parquet under
//! `insight/.staging/` (CPU work, no database); [`commit`] decides — refuse (rejected rows not
//! accepted), skip (this very file is already imported) or move the partitions into place and
//! record the import, the record last.

use crate::layout::{import_dirs, partition, INSIGHT_DIR, STAGING};
use crate::parquet_out::{PartitionedWriter, WriteError};
use crate::patient_index::{IndexEntry, IndexKey, IndexWriter};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use thiserror::Error;
use time::Date;
use together_core::{PcnId, PracticeCode, Pseudonym, PseudonymKey};
use together_formats::fhir::read_fhir;
use together_formats::mapping::{read_mapped, Mapping};
use together_formats::synthea::{read_synthea, Plan, SyntheaFile};
use together_formats::{read, Dataset, FileError, ReadSummary, Record, RowError, Subject};
use together_store::{DynStore, ImportRecord, NewAuditEvent, NewImport, StoreError};

#[derive(Debug, Error)]
pub enum ImportError {
    #[error("{0}")]
    File(#[from] FileError),
    #[error("cannot read {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("cannot write {0}: {1}")]
    Write(PathBuf, std::io::Error),
    #[error(transparent)]
    Parquet(#[from] WriteError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the rejection report: {0}")]
    Report(#[from] csv::Error),
    #[error("{0} is not a practice of this PCN (add it on the Admin page first)")]
    NotOurPractice(PracticeCode),
    #[error("the import stopped unexpectedly")]
    Stopped,
}

/// What to import.
#[derive(Clone, Copy)]
pub struct StageRequest<'a> {
    pub dataset: Dataset,
    pub path: &'a Path,
    pub data_dir: &'a Path,
    pub key: &'a PseudonymKey,
    /// The PCN's practices: rows naming any other practice are rejected.
    pub practices: &'a [PracticeCode],
    /// Dates of birth after this are rejected.
    pub today: Date,
    /// Seals the patient index a registrations import writes (names, dates of birth and mobiles
    /// are otherwise not kept). Without it, no index is written.
    pub index_key: Option<&'a IndexKey>,
}

/// A staged import, not yet visible to anyone.
#[derive(Debug)]
pub struct Staged {
    pub id: String,
    pub dataset: Dataset,
    pub file_name: String,
    pub sha256: String,
    pub read: ReadSummary,
    pub practices: Vec<String>,
    pub period: Option<(Date, Date)>,
    /// The rejection report (line, column, reason), when any row was rejected.
    pub report: Option<PathBuf>,
    staging: PathBuf,
    /// Held until the import is committed or thrown away.
    _lock: crate::layout::StagingLock,
}

/// What became of an import.
#[derive(Debug)]
pub enum Outcome {
    Imported(ImportRecord),
    /// This very file (same SHA-256) is already imported: nothing changed.
    AlreadyImported(ImportRecord),
    /// Rows were rejected and the rest was not accepted: nothing was imported.
    Refused {
        valid: u64,
        rejected: u64,
        report: Option<PathBuf>,
    },
}

/// Rows between two reports of progress.
const PROGRESS_EVERY: u64 = 4096;

/// A file read, counted (for the progress bar) and hashed (SHA-256, for idempotency) on a
/// thread of its own and handed over a block at a time, so that the thread splitting rows
/// does none of it.
struct Prefetch {
    blocks: std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    block: Vec<u8>,
    at: usize,
    hasher: Option<std::thread::JoinHandle<Sha256>>,
}

impl Prefetch {
    fn new(
        mut file: std::fs::File,
        bytes_read: std::sync::Arc<std::sync::atomic::AtomicU64>,
    ) -> Self {
        let (to_reader, blocks) = std::sync::mpsc::sync_channel(4);
        let hasher = std::thread::Builder::new()
            .name("file-reader".into())
            .spawn(move || {
                let mut hash = Sha256::new();
                loop {
                    let mut block = vec![0u8; 1 << 20];
                    let read = match file.read(&mut block) {
                        Ok(0) => break,
                        Ok(n) => n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(e) => {
                            let _ = to_reader.send(Err(e));
                            break;
                        }
                    };
                    block.truncate(read);
                    hash.update(&block);
                    bytes_read.fetch_add(read as u64, std::sync::atomic::Ordering::Relaxed);
                    if to_reader.send(Ok(block)).is_err() {
                        break;
                    }
                }
                hash
            })
            .ok();
        Self {
            blocks,
            block: Vec::new(),
            at: 0,
            hasher,
        }
    }

    /// The SHA-256 of everything read, once the reader has reached the end.
    fn finish(self) -> Result<sha2::digest::Output<Sha256>, std::io::Error> {
        drop(self.blocks);
        match self.hasher.map(std::thread::JoinHandle::join) {
            Some(Ok(hash)) => Ok(hash.finalize()),
            _ => Err(std::io::Error::other(
                "the file reader stopped unexpectedly",
            )),
        }
    }
}

impl Read for Prefetch {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.block.len() {
            match self.blocks.recv() {
                Ok(Ok(block)) => (self.block, self.at) = (block, 0),
                Ok(Err(e)) => return Err(e),
                // The reading thread has finished: the end of the file.
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.block.len() - self.at);
        buf[..n].copy_from_slice(&self.block[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fn practice_of(record: &Record) -> Option<&PracticeCode> {
    match record {
        Record::Appointment(a) => Some(&a.ods_code),
        Record::Registration(r) => Some(&r.ods_code),
        _ => None,
    }
}

/// What the patient index keeps of a registration.
fn index_entry(r: &together_formats::Registration) -> IndexEntry {
    IndexEntry {
        nhs_number: match &r.subject {
            Subject::Nhs(n) => Some(n.digits().to_owned()),
            Subject::Synthea(_) => None,
        },
        given_name: r.given_name.clone(),
        family_name: r.family_name.clone(),
        date_of_birth: r.date_of_birth,
        mobile: r.mobile.clone(),
    }
}

/// The one pseudonym of whoever a row is about (docs/design.md, "Data protection by construction"), remembered for the rest
/// of the file: most people have many rows, and the keyed hash is the dearest step of a row.
struct Pseudonyms<'k> {
    key: &'k PseudonymKey,
    /// Where each NHS number's pseudonym is in `worked_out`.
    by_nhs: HashMap<u64, u32, ahash::RandomState>,
    worked_out: Vec<Pseudonym>,
    /// The last NHS number met and where its pseudonym is: a file usually gives a person's rows
    /// one after another, and then the row needs no lookup at all.
    last: Option<(u64, u32)>,
    by_source_id: HashMap<String, Pseudonym, ahash::RandomState>,
    /// The last pseudonym worked out without being remembered.
    uncached: Option<Pseudonym>,
}

/// People remembered at most; past it the memory starts again (bounded memory on any file).
const REMEMBERED: usize = 1 << 20;

impl<'k> Pseudonyms<'k> {
    fn new(key: &'k PseudonymKey) -> Self {
        Self {
            key,
            by_nhs: HashMap::default(),
            worked_out: Vec::new(),
            last: None,
            by_source_id: HashMap::default(),
            uncached: None,
        }
    }

    fn of(&mut self, record: &Record) -> &Pseudonym {
        let subject = match record {
            Record::Appointment(a) => &a.subject,
            Record::Registration(r) => &r.subject,
            Record::Condition(c) => &c.subject,
            Record::AeAttendance(a) => &a.subject,
        };
        match subject {
            Subject::Nhs(n) => {
                let Ok(number) = n.digits().parse::<u64>() else {
                    return self.uncached.insert(self.key.pseudonymise(n));
                };
                let at = match self.last {
                    Some((last, at)) if last == number => at,
                    _ => {
                        if self.by_nhs.len() >= REMEMBERED && !self.by_nhs.contains_key(&number) {
                            self.by_nhs.clear();
                            self.worked_out.clear();
                        }
                        let (key, worked_out) = (self.key, &mut self.worked_out);
                        let at = *self.by_nhs.entry(number).or_insert_with(|| {
                            worked_out.push(key.pseudonymise(n));
                            (worked_out.len() - 1) as u32
                        });
                        self.last = Some((number, at));
                        at
                    }
                };
                &self.worked_out[at as usize]
            }
            Subject::Synthea(id) => {
                if self.by_source_id.contains_key(id) {
                    return &self.by_source_id[id];
                }
                if self.by_source_id.len() >= REMEMBERED {
                    self.by_source_id.clear();
                }
                let p = self.key.pseudonymise_source_id("synthea", id);
                self.by_source_id.entry(id.clone()).or_insert(p)
            }
        }
    }
}

fn day_of(record: &Record) -> Option<Date> {
    match record {
        Record::Appointment(a) => Some(a.starts_at.date()),
        Record::Condition(c) => Some(c.recorded_on),
        Record::AeAttendance(a) => Some(a.arrived_at.date()),
        Record::Registration(_) => None,
    }
}

/// Reads, checks and pseudonymises a canonical file into staging. `progress` gets the bytes
/// read so far.
pub fn stage(req: &StageRequest<'_>, progress: &mut dyn FnMut(u64)) -> Result<Staged, ImportError> {
    let (dataset, today) = (req.dataset, req.today);
    stage_rows(req, None, progress, &mut |input, on_row| {
        read(dataset, input, today, on_row)
    })
}

/// Reads one Synthea file as the dataset `file` gives, with everyone's practice from `plan`.
/// The import's identity is the file and the plan, so the same export given to the same
/// practices is recognised when imported again.
pub fn stage_synthea(
    req: &StageRequest<'_>,
    file: SyntheaFile,
    plan: &Plan,
    progress: &mut dyn FnMut(u64),
) -> Result<Staged, ImportError> {
    let today = req.today;
    let context = format!("synthea:{}:{}", file.dataset().name(), plan.fingerprint());
    stage_rows(req, Some(&context), progress, &mut |input, on_row| {
        read_synthea(file, input, plan, today, on_row)
    })
}

/// Reads a practice system's appointment export through `mapping`; `practice` is every row's
/// practice when the export has no practice column.
pub fn stage_mapped(
    req: &StageRequest<'_>,
    mapping: &Mapping,
    practice: Option<&PracticeCode>,
    progress: &mut dyn FnMut(u64),
) -> Result<Staged, ImportError> {
    let context = format!(
        "mapping:{}:{}",
        mapping.name,
        practice.map(|p| p.as_str()).unwrap_or("")
    );
    stage_rows(req, Some(&context), progress, &mut |input, on_row| {
        read_mapped(mapping, input, practice, on_row)
    })
}

/// Reads one dataset's resources from a FHIR R4 Bundle or NDJSON file; `practice` is every
/// row's practice when the resources do not say it.
pub fn stage_fhir(
    req: &StageRequest<'_>,
    practice: Option<&PracticeCode>,
    progress: &mut dyn FnMut(u64),
) -> Result<Staged, ImportError> {
    let (dataset, today) = (req.dataset, req.today);
    let context = format!("fhir:{}", practice.map(|p| p.as_str()).unwrap_or(""));
    stage_rows(req, Some(&context), progress, &mut |input, on_row| {
        read_fhir(dataset, input, practice, today, on_row)
    })
}

/// How a file is read: its layout, and the practice of every row when the file does not say.
#[derive(Debug)]
pub enum Reading {
    /// The canonical CSVs of docs/formats.md.
    Canonical,
    /// A practice system's appointment export, through a mapping.
    Mapped {
        mapping: Box<Mapping>,
        practice: Option<PracticeCode>,
    },
    /// FHIR R4, a Bundle or NDJSON.
    Fhir { practice: Option<PracticeCode> },
}

/// The layout a person says a file is in.
#[derive(Debug)]
pub enum Layout {
    /// Together's own CSV (docs/formats.md).
    Canonical,
    /// FHIR R4.
    Fhir,
    /// A practice system's export, read through this mapping.
    Mapped(Box<Mapping>),
}

/// Why a layout, a dataset and a practice do not go together: the words are the same at every
/// door (the Import data page, `together import`).
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ReadingRefused {
    #[error("Together's CSV says each row's practice: leave the practice out")]
    PracticeNotWanted,
    #[error("Long-term conditions come in Together's CSV (conditions are imported in the canonical layout of docs/formats.md): FHIR brings registered people, appointments and A&E")]
    ConditionsNotInFhir,
    #[error(
        "A practice system's export is read for appointments only; {0} come in Together's CSV"
    )]
    AppointmentsOnly(&'static str),
    #[error("An export read through the mapping '{0}' does not say whose it is: say which practice it is from")]
    PracticeNeeded(String),
}

impl ReadingRefused {
    /// Whether the practice given (or not given) is what is wrong, rather than the layout.
    pub fn is_about_practice(&self) -> bool {
        matches!(self, Self::PracticeNotWanted | Self::PracticeNeeded(_))
    }
}

impl Reading {
    /// How a file of `dataset` in `layout` is read, with the practice of every row when the
    /// file does not say it; refused when they do not go together.
    pub fn choose(
        layout: Layout,
        dataset: Dataset,
        practice: Option<PracticeCode>,
    ) -> Result<Reading, ReadingRefused> {
        match layout {
            Layout::Canonical if practice.is_some() => Err(ReadingRefused::PracticeNotWanted),
            Layout::Canonical => Ok(Reading::Canonical),
            Layout::Fhir if dataset == Dataset::Conditions => {
                Err(ReadingRefused::ConditionsNotInFhir)
            }
            Layout::Fhir => Ok(Reading::Fhir { practice }),
            Layout::Mapped(_) if dataset != Dataset::Appointments => {
                Err(ReadingRefused::AppointmentsOnly(dataset.label()))
            }
            Layout::Mapped(mapping) if practice.is_none() && mapping.columns.ods_code.is_none() => {
                Err(ReadingRefused::PracticeNeeded(mapping.name.clone()))
            }
            Layout::Mapped(mapping) => Ok(Reading::Mapped { mapping, practice }),
        }
    }

    /// What the imports list says of the file's source.
    pub fn source(&self) -> String {
        match self {
            Reading::Canonical => "canonical".to_owned(),
            Reading::Mapped { mapping, .. } => format!("mapping: {}", mapping.name),
            Reading::Fhir { .. } => "fhir".to_owned(),
        }
    }

    /// The practice given for every row, if any.
    pub fn practice(&self) -> Option<&PracticeCode> {
        match self {
            Reading::Canonical => None,
            Reading::Mapped { practice, .. } | Reading::Fhir { practice } => practice.as_ref(),
        }
    }

    /// Stages a file read this way.
    pub fn stage(
        &self,
        req: &StageRequest<'_>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Staged, ImportError> {
        match self {
            Reading::Canonical => stage(req, progress),
            Reading::Mapped { mapping, practice } => {
                stage_mapped(req, mapping, practice.as_ref(), progress)
            }
            Reading::Fhir { practice } => stage_fhir(req, practice.as_ref(), progress),
        }
    }
}

/// Gives rows of a file to `on_row` and says what it found, or refuses the whole file.
type Reader<'r> = dyn FnMut(
        &mut (dyn Read + Send),
        &mut dyn FnMut(u64, Result<Record, Vec<RowError>>),
    ) -> Result<ReadSummary, FileError>
    + 'r;

/// The work every import shares: hash and count the bytes, pseudonymise each valid row into
/// Parquet partitions in staging, report each rejected row, and clean up on any failure.
fn stage_rows(
    req: &StageRequest<'_>,
    context: Option<&str>,
    progress: &mut dyn FnMut(u64),
    reader: &mut Reader<'_>,
) -> Result<Staged, ImportError> {
    let id = uuid::Uuid::new_v4().to_string();
    let file =
        std::fs::File::open(req.path).map_err(|e| ImportError::Read(req.path.to_owned(), e))?;
    // What an import killed part-way left goes now, not only when the server next starts.
    let insight_dir = req.data_dir.join(INSIGHT_DIR);
    crate::layout::clear_unfinished(req.data_dir)
        .map_err(|e| ImportError::Write(insight_dir.clone(), e))?;
    let lock = crate::layout::StagingLock::take(req.data_dir, &id)
        .map_err(|e| ImportError::Write(insight_dir, e))?;
    let bytes_read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut input = Prefetch::new(file, bytes_read.clone());
    let mut rows_seen = 0u64;
    let staging = req.data_dir.join(INSIGHT_DIR).join(STAGING).join(&id);
    let uploads = req.data_dir.join("uploads");
    let report_path = uploads.join(format!("{id}-rejections.csv"));
    let mut writer = PartitionedWriter::new(req.dataset, &staging, &id);
    let mut index = match (req.dataset, req.index_key) {
        (Dataset::Registrations, Some(key)) => {
            let (root, import) = (staging.clone(), id.clone());
            Some(IndexWriter::new(
                key.clone(),
                Box::new(move |practice| {
                    partition(&root, Dataset::Registrations.name(), practice, &import)
                }),
            ))
        }
        _ => None,
    };
    let mut report: Option<csv::Writer<std::fs::File>> = None;
    let mut failure: Option<ImportError> = None;
    let mut extra_rejections = 0u64;
    let mut pseudonyms = Pseudonyms::new(req.key);
    let mut period: Option<(Date, Date)> = None;

    let reject = |errors: &[RowError],
                  report: &mut Option<csv::Writer<std::fs::File>>|
     -> Result<(), ImportError> {
        if report.is_none() {
            std::fs::create_dir_all(&uploads)
                .map_err(|e| ImportError::Write(uploads.clone(), e))?;
            let mut w = csv::Writer::from_path(&report_path)?;
            w.write_record(["line", "column", "reason"])?;
            *report = Some(w);
        }
        if let Some(w) = report.as_mut() {
            for e in errors {
                w.write_record([
                    e.line.to_string(),
                    together_formats::printable(&e.column),
                    together_formats::printable(&e.reason),
                ])?;
            }
        }
        Ok(())
    };

    let summary = reader(&mut input, &mut |line, row| {
        rows_seen += 1;
        if rows_seen.is_multiple_of(PROGRESS_EVERY) {
            progress(bytes_read.load(std::sync::atomic::Ordering::Relaxed));
        }
        if failure.is_some() {
            return;
        }
        let result = match row {
            Err(errors) => reject(&errors, &mut report),
            Ok(record) => {
                match practice_of(&record) {
                    Some(code) if !req.practices.contains(code) => {
                        extra_rejections += 1;
                        let e = RowError { line, column: "ods_code".into(), reason: format!("{code} is not a practice of this PCN (add it on the Admin page first)") };
                        reject(&[e], &mut report)
                    }
                    practice => {
                        let partition_name = practice.map_or("all", |c| c.as_str());
                        if let Some(d) = day_of(&record) {
                            period = Some(period.map_or((d, d), |(a, b)| (a.min(d), b.max(d))));
                        }
                        let pseudonym = pseudonyms.of(&record);
                        let sealed = match (&mut index, &record) {
                            (Some(index), Record::Registration(r)) => {
                                index.push(partition_name, pseudonym.as_str(), &index_entry(r))
                            }
                            _ => Ok(()),
                        };
                        sealed
                            .and_then(|()| writer.push(partition_name, pseudonym.as_str(), &record))
                            .map_err(ImportError::from)
                    }
                }
            }
        };
        if let Err(e) = result {
            failure = Some(e);
        }
    });
    let cleanup = |staging: &Path| {
        let _ = std::fs::remove_dir_all(staging);
    };
    progress(bytes_read.load(std::sync::atomic::Ordering::Relaxed));
    let summary = match (summary, failure) {
        (Err(e), _) => {
            drop(writer);
            cleanup(&staging);
            return Err(e.into());
        }
        (_, Some(e)) => {
            drop(writer);
            cleanup(&staging);
            return Err(e);
        }
        (Ok(s), None) => s,
    };
    let practices = writer.finish().inspect_err(|_| cleanup(&staging))?;
    if let Some(index) = index {
        index.finish().inspect_err(|_| cleanup(&staging))?;
    }
    if let Some(mut w) = report {
        w.flush()
            .map_err(|e| ImportError::Write(report_path.clone(), e))?;
    }
    let read = ReadSummary {
        rows: summary.rows,
        valid: summary.valid - extra_rejections,
        rejected: summary.rejected + extra_rejections,
        skipped: summary.skipped,
    };
    let file_hash = input
        .finish()
        .map_err(|e| ImportError::Read(req.path.to_owned(), e))?;
    let sha256 = match context {
        None => hex::encode(file_hash),
        Some(c) => hex::encode(Sha256::digest(format!("{}\n{c}", hex::encode(file_hash)))),
    };
    Ok(Staged {
        id,
        dataset: req.dataset,
        file_name: req
            .path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default(),
        sha256,
        report: (read.rejected > 0).then_some(report_path),
        read,
        practices,
        period,
        staging,
        _lock: lock,
    })
}

/// How to finish a staged import.
pub struct Commit {
    pub pcn: PcnId,
    /// Import the valid rows even though some were rejected.
    pub accept_valid: bool,
    /// The import this file replaces.
    pub replaces: Option<String>,
    pub source: String,
    pub audit: NewAuditEvent,
}

/// One file a person asks to import for their PCN, and how.
pub struct FileImport<'a> {
    pub dataset: Dataset,
    pub path: &'a Path,
    pub reading: Reading,
    /// Import the valid rows even though some were rejected.
    pub accept_valid: bool,
    /// The import this file replaces.
    pub replaces: Option<String>,
    /// Dates of birth after this are rejected.
    pub today: Date,
    pub audit: NewAuditEvent,
}

/// Imports one file as a person asks for it: [`stage_file`], then [`commit`]. The command line
/// and the demo import this way.
pub async fn import_file(
    store: &DynStore,
    data_dir: &Path,
    pcn: PcnId,
    keys: (&PseudonymKey, &IndexKey),
    file: FileImport<'_>,
    progress: impl FnMut(u64) + Send + 'static,
) -> Result<Outcome, ImportError> {
    let (staged, how) = stage_file(store, data_dir, pcn, keys, file, progress).await?;
    commit(store, data_dir, staged, how).await
}

/// The first half of [`import_file`], for a caller that shows the step between: checks the
/// practice the file is said to be from belongs to the PCN and stages it away from the async
/// threads (reporting bytes read to `progress`); answers the staged import and how to commit it.
pub async fn stage_file(
    store: &DynStore,
    data_dir: &Path,
    pcn: PcnId,
    keys: (&PseudonymKey, &IndexKey),
    file: FileImport<'_>,
    mut progress: impl FnMut(u64) + Send + 'static,
) -> Result<(Staged, Commit), ImportError> {
    let practices: Vec<PracticeCode> = store
        .practices(pcn)
        .await?
        .into_iter()
        .map(|p| p.ods_code)
        .collect();
    if let Some(p) = file.reading.practice() {
        if !practices.contains(p) {
            return Err(ImportError::NotOurPractice(p.clone()));
        }
    }
    let source = file.reading.source();
    let (data, path, reading) = (data_dir.to_owned(), file.path.to_owned(), file.reading);
    let (key, index) = (keys.0.clone(), keys.1.clone());
    let (dataset, today) = (file.dataset, file.today);
    let staged = tokio::task::spawn_blocking(move || {
        let req = StageRequest {
            dataset,
            path: &path,
            data_dir: &data,
            key: &key,
            practices: &practices,
            today,
            index_key: Some(&index),
        };
        reading.stage(&req, &mut progress)
    })
    .await
    .map_err(|_| ImportError::Stopped)??;
    let how = Commit {
        pcn,
        accept_valid: file.accept_valid,
        replaces: file.replaces,
        source,
        audit: file.audit,
    };
    Ok((staged, how))
}

/// Throws a staged import away (when another file of the same export was refused, say).
pub fn discard(staged: &Staged) {
    let _ = std::fs::remove_dir_all(&staged.staging);
}

/// Refuses, skips or publishes a staged import; the database record is written last.
pub async fn commit(
    store: &DynStore,
    data_dir: &Path,
    staged: Staged,
    how: Commit,
) -> Result<Outcome, ImportError> {
    if staged.read.rejected > 0 && !how.accept_valid {
        discard(&staged);
        return Ok(Outcome::Refused {
            valid: staged.read.valid,
            rejected: staged.read.rejected,
            report: staged.report.clone(),
        });
    }
    if let Some(existing) = store
        .import_with_hash(how.pcn, staged.dataset.name(), &staged.sha256)
        .await?
    {
        discard(&staged);
        return Ok(Outcome::AlreadyImported(existing));
    }
    let root = data_dir.join(INSIGHT_DIR);
    let mut moved = Vec::new();
    for practice in &staged.practices {
        let from = partition(&staged.staging, staged.dataset.name(), practice, &staged.id);
        let to = partition(&root, staged.dataset.name(), practice, &staged.id);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| ImportError::Write(parent.to_owned(), e))?;
        }
        std::fs::rename(&from, &to).map_err(|e| ImportError::Write(to.clone(), e))?;
        moved.push(to);
    }
    let record = NewImport {
        id: staged.id.clone(),
        pcn_id: how.pcn,
        dataset: staged.dataset.name().to_owned(),
        source: how.source,
        file_name: staged.file_name.clone(),
        file_sha256: staged.sha256.clone(),
        practices: staged.practices.clone(),
        period: staged.period,
        rows_read: staged.read.rows as i64,
        rows_imported: staged.read.valid as i64,
        rows_rejected: staged.read.rejected as i64,
        replaces: how.replaces.clone(),
    };
    if let Err(e) = store.record_import(&record, &how.audit).await {
        // Not recorded, so not visible: take the files back out (the start-up sweep would too).
        for dir in &moved {
            let _ = std::fs::remove_dir_all(dir);
        }
        discard(&staged);
        return match e {
            StoreError::Conflict(_) => match store
                .import_with_hash(how.pcn, staged.dataset.name(), &staged.sha256)
                .await?
            {
                Some(existing) => Ok(Outcome::AlreadyImported(existing)),
                None => Err(e.into()),
            },
            other => Err(other.into()),
        };
    }
    discard(&staged);
    if let Some(old) = &how.replaces {
        for dir in import_dirs(data_dir, old) {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    let recorded = store
        .import_with_hash(how.pcn, staged.dataset.name(), &staged.sha256)
        .await?
        .ok_or(StoreError::NotFound("the import just recorded"))?;
    Ok(Outcome::Imported(recorded))
}

/// Deletes an import: its record first (so it stops being visible), then its files.
pub async fn delete(
    store: &DynStore,
    data_dir: &Path,
    pcn: PcnId,
    id: &str,
    audit: &NewAuditEvent,
) -> Result<usize, ImportError> {
    store.delete_import(pcn, id, audit).await?;
    let dirs = import_dirs(data_dir, id);
    for dir in &dirs {
        std::fs::remove_dir_all(dir).map_err(|e| ImportError::Write(dir.clone(), e))?;
    }
    Ok(dirs.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_layout_a_dataset_and_a_practice_go_together_or_are_refused_with_the_reason() {
        let q: PracticeCode = "B82005".parse().unwrap();
        let emis = || Layout::Mapped(Box::new(Mapping::shipped("emis-web").unwrap().unwrap()));
        let choose = |l, d, p| Reading::choose(l, d, p).map(|r| r.source());
        assert_eq!(
            choose(Layout::Canonical, Dataset::Conditions, None),
            Ok("canonical".into())
        );
        assert_eq!(
            choose(Layout::Canonical, Dataset::Appointments, Some(q.clone())),
            Err(ReadingRefused::PracticeNotWanted)
        );
        assert_eq!(
            choose(Layout::Fhir, Dataset::Conditions, None),
            Err(ReadingRefused::ConditionsNotInFhir)
        );
        assert!(
            Reading::choose(Layout::Fhir, Dataset::Registrations, Some(q.clone()))
                .is_ok_and(|r| r.practice() == Some(&q))
        );
        assert_eq!(
            choose(emis(), Dataset::Registrations, Some(q.clone())),
            Err(ReadingRefused::AppointmentsOnly("registered people"))
        );
        let whose = Reading::choose(emis(), Dataset::Appointments, None);
        match Mapping::shipped("emis-web")
            .unwrap()
            .unwrap()
            .columns
            .ods_code
        {
            Some(_) => assert!(whose.is_ok()),
            None => assert!(whose.is_err_and(|e| e.is_about_practice())),
        }
        assert!(Reading::choose(emis(), Dataset::Appointments, Some(q)).is_ok());
    }
}
