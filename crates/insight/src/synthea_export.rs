//! A whole Synthea export imported as one: survey who goes to which practice, stage the four
//! imports, and publish them all or none. The command line and the web page both run it through
//! [`import_whole_export`].

use crate::import::{
    commit, discard, stage_synthea, Commit, ImportError, Outcome, StageRequest, Staged,
};
use crate::patient_index::IndexKey;
use std::path::{Path, PathBuf};
use together_core::{PcnId, PracticeCode, PseudonymKey};
use together_formats::synthea::{Plan, Survey, SyntheaFile};
use together_formats::Dataset;
use together_store::{DynStore, NewAuditEvent};

/// The three files of one export (uploaded files need not carry Synthea's names).
#[derive(Debug, Clone)]
pub struct SyntheaExport {
    pub patients: PathBuf,
    pub encounters: PathBuf,
    pub conditions: PathBuf,
}

impl SyntheaExport {
    /// The files Synthea writes into one folder.
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            patients: dir.join("patients.csv"),
            encounters: dir.join("encounters.csv"),
            conditions: dir.join("conditions.csv"),
        }
    }

    pub fn path(&self, file: SyntheaFile) -> &Path {
        match file {
            SyntheaFile::Patients => &self.patients,
            SyntheaFile::GpEncounters | SyntheaFile::AeEncounters => &self.encounters,
            SyntheaFile::Conditions => &self.conditions,
        }
    }
}

/// Reports a step (its label) and the bytes of its file read so far, of how many.
pub type StepProgress<'p> = dyn FnMut(&'static str, u64, u64) + 'p;

fn size(path: &Path) -> Result<u64, ImportError> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| ImportError::Read(path.to_owned(), e))
}

/// Counts bytes read for a progress report.
struct Counted<'p, R> {
    inner: R,
    read: u64,
    total: u64,
    label: &'static str,
    progress: &'p mut StepProgress<'p>,
}

impl<R: std::io::Read> std::io::Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        (self.progress)(self.label, self.read, self.total);
        Ok(n)
    }
}

/// The first pass: everyone's practice, by the organisation of most of their GP consultations.
/// `base` gives the practices; `None` when there is none to import into.
pub fn survey(
    export: &SyntheaExport,
    base: &StageRequest<'_>,
    progress: &mut StepProgress<'_>,
) -> Result<Option<Plan>, ImportError> {
    let open = |p: &Path| {
        std::fs::File::open(p)
            .map(std::io::BufReader::new)
            .map_err(|e| ImportError::Read(p.to_owned(), e))
    };
    let mut survey = Survey::default();
    survey.read_patients(open(&export.patients)?)?;
    let total = size(&export.encounters)?;
    let mut counted = Counted {
        inner: open(&export.encounters)?,
        read: 0,
        total,
        label: "survey",
        progress,
    };
    survey.read_encounters(&mut counted)?;
    Ok(survey.plan(base.practices))
}

/// Stages the four imports of an export; on any failure none stays staged.
pub fn stage_export(
    export: &SyntheaExport,
    base: &StageRequest<'_>,
    plan: &Plan,
    progress: &mut StepProgress<'_>,
) -> Result<Vec<(SyntheaFile, Staged)>, ImportError> {
    let mut staged = Vec::new();
    for file in SyntheaFile::ALL {
        let path = export.path(file);
        let req = StageRequest {
            dataset: file.dataset(),
            path,
            ..*base
        };
        let total = size(path)?;
        let label = file.dataset().name();
        match stage_synthea(&req, file, plan, &mut |n| progress(label, n, total)) {
            Ok(s) => staged.push((file, s)),
            Err(e) => {
                staged.iter().for_each(|(_, s)| discard(s));
                return Err(e);
            }
        }
    }
    Ok(staged)
}

/// What became of an export.
#[derive(Debug)]
pub enum ExportOutcome {
    /// Some file had rejected rows that were not accepted: nothing was imported.
    Refused(Vec<(SyntheaFile, Staged)>),
    /// Each file's outcome, with the rows skipped as not of its dataset.
    Imported(Vec<(SyntheaFile, Outcome, u64)>),
}

/// Publishes every staged file, or none when any has rejected rows not accepted.
pub async fn commit_export(
    store: &DynStore,
    data_dir: &Path,
    staged: Vec<(SyntheaFile, Staged)>,
    pcn: PcnId,
    accept_valid: bool,
    audit: &NewAuditEvent,
) -> Result<ExportOutcome, ImportError> {
    if !accept_valid && staged.iter().any(|(_, s)| s.read.rejected > 0) {
        staged.iter().for_each(|(_, s)| discard(s));
        return Ok(ExportOutcome::Refused(staged));
    }
    let mut done = Vec::new();
    let mut staged = staged.into_iter();
    while let Some((file, s)) = staged.next() {
        let skipped = s.read.skipped;
        let how = Commit {
            pcn,
            accept_valid,
            replaces: None,
            source: "synthea".into(),
            audit: audit.clone(),
        };
        match commit(store, data_dir, s, how).await {
            Ok(outcome) => done.push((file, outcome, skipped)),
            Err(e) => {
                staged.for_each(|(_, s)| discard(&s));
                return Err(e);
            }
        }
    }
    Ok(ExportOutcome::Imported(done))
}

/// Everything one import of a whole export needs, owned, so that its reading can run off the
/// async threads.
pub struct WholeExport {
    pub export: SyntheaExport,
    pub data_dir: PathBuf,
    pub key: PseudonymKey,
    pub index_key: IndexKey,
    /// The practices people may be given (all the PCN's, or those asked for).
    pub practices: Vec<PracticeCode>,
    pub today: time::Date,
    pub pcn: PcnId,
    pub accept_valid: bool,
}

/// What an import of a whole export did: who went to which practice, and each file's outcome.
#[derive(Debug)]
pub struct WholeImport {
    pub plan: Plan,
    pub outcome: ExportOutcome,
}

/// Why a whole export was not (wholly) imported.
#[derive(Debug, thiserror::Error)]
pub enum WholeExportError {
    /// Reading or staging failed: nothing was imported.
    #[error(transparent)]
    Staging(ImportError),
    /// Publishing failed part-way: the files published before it stay.
    #[error(transparent)]
    Publishing(ImportError),
}

/// Imports a whole export as the Import page and `together import synthea` both do: survey who
/// goes to which practice and stage the four files (blocking work, off the async threads,
/// reporting `progress`), then report the step "saving" and publish them all or none.
/// `Ok(None)` when there is no practice to import into.
pub async fn import_whole_export<P>(
    store: &DynStore,
    whole: WholeExport,
    audit: &NewAuditEvent,
    mut progress: P,
) -> Result<Option<WholeImport>, WholeExportError>
where
    P: FnMut(&'static str, u64, u64) + Send + 'static,
{
    let WholeExport {
        export,
        data_dir,
        key,
        index_key,
        practices,
        today,
        pcn,
        accept_valid,
    } = whole;
    let dir = data_dir.clone();
    let staging = tokio::task::spawn_blocking(move || {
        let base = StageRequest {
            dataset: Dataset::Registrations,
            path: &export.patients,
            data_dir: &dir,
            key: &key,
            practices: &practices,
            today,
            index_key: Some(&index_key),
        };
        let staged = match survey(&export, &base, &mut progress)? {
            Some(plan) => {
                let staged = stage_export(&export, &base, &plan, &mut progress)?;
                Some((plan, staged))
            }
            None => None,
        };
        Ok::<_, ImportError>((staged, progress))
    })
    .await
    .map_err(|_| WholeExportError::Staging(ImportError::Stopped))?;
    let (staged, mut progress) = staging.map_err(WholeExportError::Staging)?;
    let Some((plan, staged)) = staged else {
        return Ok(None);
    };
    progress("saving", 0, 0);
    let outcome = commit_export(store, &data_dir, staged, pcn, accept_valid, audit)
        .await
        .map_err(WholeExportError::Publishing)?;
    Ok(Some(WholeImport { plan, outcome }))
}

/// What a skipped row of each file was not, in words.
pub fn skipped_because(file: SyntheaFile) -> &'static str {
    match file {
        SyntheaFile::GpEncounters => "GP consultations (ambulatory, wellness, virtual)",
        SyntheaFile::AeEncounters => "A&E attendances (emergency, urgentcare)",
        SyntheaFile::Conditions => "conditions Insight tracks (see docs/formats.md)",
        SyntheaFile::Patients => "people",
    }
}
