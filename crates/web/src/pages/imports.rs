//! Importing data from the web: the PCN administrator uploads a practice's file (canonical CSV,
//! FHIR R4, or a practice system's export through a shipped mapping) or a whole Synthea export.
//! The upload is kept only while it is imported; the import runs in the background and its page
//! shows how far it has got, then what was imported, or why nothing was, with the rejection
//! report to download. The same staging and commit as `together import`.

use crate::context::Ctx;
use crate::error::AppError;
use crate::import_jobs::{Finished, Job};
use crate::layout::{date, form_status, when, Layout};
use crate::paths::UPLOAD_PATHS;
use crate::policy_router::{Policy, Routes};
use crate::state::AppState;
use askama::Template;
use axum::extract::multipart::Field;
use axum::extract::{Multipart, Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use together_core::audit::AuditAction;
use together_core::people::FieldError;
use together_core::{Action, PcnId, PracticeCode};
use together_formats::mapping::{Mapping, SHIPPED};
use together_formats::synthea::SyntheaFile;
use together_formats::Dataset;
use together_insight::synthea_export::{
    import_whole_export, skipped_because, ExportOutcome, SyntheaExport, WholeExport,
    WholeExportError,
};
use together_insight::{
    commit, delete as delete_import, stage_file, FileImport, ImportError, Layout as FileLayout,
    Outcome, Reading,
};
use together_store::NewAuditEvent;

pub(crate) fn routes(r: Routes) -> Routes {
    let import = Policy::Allow(Action::ImportData);
    r.get("/insight/imports", import, page)
        .upload(UPLOAD_PATHS[0], import, upload_file)
        .upload(UPLOAD_PATHS[1], import, upload_synthea)
        .get("/insight/imports/jobs/{id}", import, job_page)
        .get("/insight/imports/reports/{id}", import, report)
        .post("/insight/imports/{id}/delete", import, delete)
}

/// Finished jobs are forgotten after this long.
const KEEP_JOBS: time::Duration = time::Duration::hours(6);

fn jobs(state: &AppState) -> std::sync::MutexGuard<'_, HashMap<String, Job>> {
    state
        .0
        .import_jobs
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn update(state: &AppState, id: &str, change: impl FnOnce(&mut Job)) {
    if let Some(job) = jobs(state).get_mut(id) {
        change(job);
    }
}

/// The choices of the file form's layout select: value and label.
fn layouts() -> Vec<(String, String)> {
    let mut v = vec![
        (
            "canonical".to_owned(),
            "Together's CSV (docs/formats.md)".to_owned(),
        ),
        ("fhir".to_owned(), "FHIR R4: a Bundle or NDJSON".to_owned()),
    ];
    v.extend(SHIPPED.iter().map(|(name, _)| {
        (
            (*name).to_owned(),
            format!(
                "{} appointment export (mapping not yet checked against a real export)",
                mapping_label(name)
            ),
        )
    }));
    v
}

fn mapping_label(name: &str) -> &str {
    match name {
        "emis-web" => "EMIS Web",
        "systmone" => "SystmOne",
        other => other,
    }
}

const DATASETS: [(&str, &str); 4] = [
    ("registrations", "Registered people (the denominator)"),
    ("appointments", "Appointments"),
    ("conditions", "Long-term conditions"),
    ("ae", "A&E attendances"),
];

/// The file form, as typed.
#[derive(Default, Clone)]
struct FileForm {
    dataset: String,
    layout: String,
    practice: String,
    accept_valid: bool,
}

struct ImportRow {
    id: String,
    dataset: String,
    file_name: String,
    source: String,
    practices: String,
    period: String,
    rows: i64,
    rejected: i64,
    status: String,
    when: String,
    has_report: bool,
}

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage {
    layout: Layout,
    errors: Vec<FieldError>,
    form: FileForm,
    datasets: Vec<(String, String)>,
    layouts: Vec<(String, String)>,
    practices: Vec<(String, String)>,
    imports: Vec<ImportRow>,
    synthea_errors: Vec<FieldError>,
    file_hint: String,
}

impl ImportsPage {
    fn err(&self, field: &str) -> String {
        crate::layout::field_error(&self.errors, field)
    }
}

fn report_path(state: &AppState, id: &str) -> Option<PathBuf> {
    // Only an id Together made (a UUID) names a file: nothing else reaches the file system.
    let id = uuid::Uuid::parse_str(id).ok()?;
    Some(
        state
            .0
            .data_dir
            .join("uploads")
            .join(format!("{id}-rejections.csv")),
    )
}

async fn render(
    state: &AppState,
    ctx: &Ctx,
    form: FileForm,
    errors: Vec<FieldError>,
    synthea_errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?;
    let practices = state.store().practices(actor.pcn_id).await?;
    let imports = state
        .store()
        .imports(actor.pcn_id)
        .await?
        .into_iter()
        .map(|i| ImportRow {
            has_report: i.rows_rejected > 0
                && report_path(state, &i.id).is_some_and(|p| p.exists()),
            period: match (i.period_from, i.period_to) {
                (Some(a), Some(b)) => format!("{} to {}", date(&a), date(&b)),
                _ => String::new(),
            },
            practices: i.practices.join(", "),
            when: when(&i.imported_at),
            id: i.id,
            dataset: i.dataset.replace('_', " "),
            file_name: i.file_name,
            source: i.source,
            rows: i.rows_imported,
            rejected: i.rows_rejected,
            status: i.status,
        })
        .collect();
    let has_errors = !errors.is_empty() || !synthea_errors.is_empty();
    let page = ImportsPage {
        layout: Layout::new(state, ctx, "Import data"),
        errors,
        form,
        datasets: DATASETS
            .iter()
            .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
            .collect(),
        layouts: layouts(),
        practices: practices
            .iter()
            .map(|p| {
                (
                    p.ods_code.to_string(),
                    format!("{} ({})", p.name, p.ods_code),
                )
            })
            .collect(),
        imports,
        synthea_errors,
        file_hint: format!(
            "CSV, FHIR JSON or NDJSON, up to {}",
            size_in_words(state.config().upload_limit as u64)
        ),
    };
    Ok((form_status(has_errors), Html(page.render()?)).into_response())
}

async fn page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let form = FileForm {
        dataset: "appointments".into(),
        layout: "canonical".into(),
        ..FileForm::default()
    };
    render(&state, &ctx, form, Vec::new(), Vec::new()).await
}

/// "2 GB", "500 MB": a size as people read it.
fn size_in_words(bytes: u64) -> String {
    if bytes >= 1 << 30 && bytes.is_multiple_of(1 << 30) {
        format!("{} GB", bytes >> 30)
    } else {
        format!("{} MB", bytes >> 20)
    }
}

/// A file name as the user's computer called it, safe to keep and show.
fn file_name_of(field: &Field<'_>) -> String {
    let given = field.file_name().unwrap_or("");
    let last = given.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last.chars().filter(|c| !c.is_control()).take(120).collect();
    match clean.trim() {
        "" | "." | ".." => "upload".to_owned(),
        name => name.to_owned(),
    }
}

/// Writes one uploaded file into `dir`; its path and size.
async fn save(
    dir: &std::path::Path,
    mut field: Field<'_>,
    as_name: Option<&str>,
) -> Result<(PathBuf, u64), AppError> {
    use tokio::io::AsyncWriteExt;
    let name = as_name
        .map(str::to_owned)
        .unwrap_or_else(|| file_name_of(&field));
    let path = dir.join(name);
    let mut file = tokio::fs::File::create(&path)
        .await
        .map_err(|e| AppError::Internal(format!("cannot keep the upload: {e}")))?;
    let mut size = 0u64;
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) => {
                size += chunk.len() as u64;
                file.write_all(&chunk)
                    .await
                    .map_err(|e| AppError::Internal(format!("cannot keep the upload: {e}")))?;
            }
            Ok(None) => break,
            Err(e) => {
                return Err(AppError::BadRequest(format!(
                    "The upload did not arrive whole ({e}). Try again"
                )))
            }
        }
    }
    file.flush()
        .await
        .map_err(|e| AppError::Internal(format!("cannot keep the upload: {e}")))?;
    Ok((path, size))
}

/// What an upload is to import: its title, its size in bytes, the practices rows may name, and
/// whether rejected rows may be left out.
struct Launch {
    title: String,
    total: u64,
    practices: Vec<PracticeCode>,
    accept_valid: bool,
}

/// One upload: its job's id and a folder of its own, removed when the import is done or the
/// form is refused.
struct Upload {
    job: String,
    dir: PathBuf,
}

impl Upload {
    async fn new(state: &AppState) -> Result<Self, AppError> {
        let job = uuid::Uuid::new_v4().to_string();
        let dir = state
            .0
            .data_dir
            .join("uploads")
            .join(format!("{job}.upload"));
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| AppError::Internal(format!("cannot keep the upload: {e}")))?;
        Ok(Self { job, dir })
    }

    async fn forget(self) {
        let _ = tokio::fs::remove_dir_all(&self.dir).await;
    }

    /// The fields received, or the upload forgotten and why.
    async fn received(self, read: Result<(), AppError>) -> Result<Self, AppError> {
        match read {
            Ok(()) => Ok(self),
            Err(e) => {
                self.forget().await;
                Err(e)
            }
        }
    }

    /// Starts the import in the background, shown on its job page; the redirect there.
    fn launch<F, Fut>(
        self,
        state: &AppState,
        ctx: &Ctx,
        what: Launch,
        work: F,
    ) -> Result<Response, AppError>
    where
        F: FnOnce(Arc<Run>, PathBuf) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Finished> + Send + 'static,
    {
        let pcn = ctx.actor()?.pcn_id;
        start_job(state, &self.job, pcn, what.title, what.total);
        let run = Arc::new(Run {
            state: state.clone(),
            job: self.job.clone(),
            pcn,
            practices: what.practices,
            accept_valid: what.accept_valid,
            audit: ctx.audit(
                state,
                AuditAction::Import,
                "import",
                None,
                together_store::Outcome::Allowed,
            ),
        });
        let to = format!("/insight/imports/jobs/{}", self.job);
        tokio::spawn(async move {
            let finished = work(run.clone(), self.dir.clone()).await;
            update(&run.state, &run.job, |j| j.finished = Some(finished));
            self.forget().await;
        });
        Ok(Redirect::to(&to).into_response())
    }
}

async fn text(field: Field<'_>) -> Result<String, AppError> {
    field
        .text()
        .await
        .map_err(|_| AppError::BadRequest("The form did not arrive whole. Try again".into()))
}

async fn upload_file(
    State(state): State<AppState>,
    ctx: Ctx,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?.clone();
    let upload = Upload::new(&state).await?;
    let dir = upload.dir.clone();
    let mut form = FileForm::default();
    let mut file: Option<(PathBuf, u64)> = None;
    let received = async {
        while let Some(field) = multipart.next_field().await? {
            match field.name().unwrap_or("") {
                "dataset" => form.dataset = text(field).await?,
                "layout" => form.layout = text(field).await?,
                "practice" => form.practice = text(field).await?,
                "accept_valid" => form.accept_valid = text(field).await? == "yes",
                "file" if file.is_none() => file = Some(save(&dir, field, None).await?),
                _ => {}
            }
        }
        Ok::<_, AppError>(())
    }
    .await;
    let upload = upload.received(received).await?;
    let practices = state.store().practices(actor.pcn_id).await?;
    let mut errors = Vec::new();
    let dataset = form.dataset.parse::<Dataset>().ok();
    if dataset.is_none() {
        errors.push(FieldError {
            field: "dataset",
            message: "Choose what the file holds".into(),
        });
    }
    let practice = match form.practice.trim() {
        "" => None,
        code => match practices.iter().find(|p| p.ods_code.as_str() == code) {
            Some(p) => Some(p.ods_code.clone()),
            None => {
                errors.push(FieldError {
                    field: "practice",
                    message: "Choose one of this PCN's practices".into(),
                });
                None
            }
        },
    };
    let layout = match form.layout.as_str() {
        "canonical" => Some(FileLayout::Canonical),
        "fhir" => Some(FileLayout::Fhir),
        name => match Mapping::shipped(name) {
            Some(Ok(mapping)) => Some(FileLayout::Mapped(Box::new(mapping))),
            _ => {
                errors.push(FieldError {
                    field: "layout",
                    message: "Choose the file's layout".into(),
                });
                None
            }
        },
    };
    let reading = match (layout, dataset) {
        (Some(layout), Some(dataset)) => match Reading::choose(layout, dataset, practice) {
            Ok(reading) => Some(reading),
            Err(refused) => {
                errors.push(FieldError {
                    field: if refused.is_about_practice() {
                        "practice"
                    } else {
                        "layout"
                    },
                    message: refused.to_string(),
                });
                None
            }
        },
        _ => None,
    };
    match &file {
        Some((_, size)) if *size > 0 => {}
        _ => errors.push(FieldError {
            field: "file",
            message: "Choose a file to import".into(),
        }),
    }
    let (Some(dataset), Some(reading), Some((path, size)), true) =
        (dataset, reading, file, errors.is_empty())
    else {
        upload.forget().await;
        return render(&state, &ctx, form, errors, Vec::new()).await;
    };
    let title = format!(
        "{} from {}",
        DATASETS
            .iter()
            .find(|d| d.0 == form.dataset)
            .map(|d| d.1)
            .unwrap_or(""),
        path.file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default()
    );
    let practices = practices.into_iter().map(|p| p.ods_code).collect();
    let what = Launch {
        title,
        total: size,
        practices,
        accept_valid: form.accept_valid,
    };
    upload.launch(&state, &ctx, what, move |run, _| {
        run_file(run, dataset, reading, path)
    })
}

fn start_job(state: &AppState, id: &str, pcn: PcnId, title: String, total: u64) {
    let now = state.now();
    let mut all = jobs(state);
    all.retain(|_, j| j.finished.is_none() || now - j.started < KEEP_JOBS);
    all.insert(
        id.to_owned(),
        Job {
            pcn,
            title,
            started: now,
            step: "Reading".into(),
            done: 0,
            total,
            finished: None,
        },
    );
}

/// Reports progress into the job at most every megabyte, so reading is not slowed by it.
fn progress_of(state: &AppState, id: &str) -> impl FnMut(&'static str, u64, u64) + Send + 'static {
    let (state, id) = (state.clone(), id.to_owned());
    let mut last = (String::new(), 0u64);
    move |step: &'static str, done: u64, total: u64| {
        if step != last.0 || done >= last.1 + (1 << 20) || done == total {
            last = (step.to_owned(), done);
            update(&state, &id, |j| {
                j.step = step_label(step);
                j.done = done;
                j.total = total;
            });
        }
    }
}

fn step_label(step: &str) -> String {
    match step {
        "survey" => "Finding each person's practice".into(),
        "saving" => "Saving".into(),
        "ae_attendances" => "Reading A&E attendances".into(),
        "file" => "Reading and checking every row".into(),
        other => format!("Reading {}", other.replace('_', " ")),
    }
}

fn failed(message: String) -> Finished {
    Finished {
        imported: false,
        lines: vec![message],
        reports: Vec::new(),
    }
}

fn rows(n: u64) -> String {
    if n == 1 {
        "1 row".into()
    } else {
        format!("{n} rows")
    }
}

/// One sentence for an import's outcome, and its report if it has one.
fn describe(outcome: &Outcome, what: &str, finished: &mut Finished) {
    match outcome {
        Outcome::Imported(r) => {
            let period = match (r.period_from, r.period_to) {
                (Some(a), Some(b)) => format!(", {} to {}", date(&a), date(&b)),
                _ => String::new(),
            };
            finished.lines.push(format!(
                "{what}: imported {} ({}{period}).{}",
                rows(r.rows_imported as u64),
                r.practices.join(", "),
                match r.rows_rejected {
                    0 => String::new(),
                    n => format!(" {} rejected were left out.", rows(n as u64)),
                }
            ));
            if r.rows_rejected > 0 {
                finished.reports.push((what.to_owned(), r.id.clone()));
            }
        }
        Outcome::AlreadyImported(r) => finished.lines.push(format!(
            "{what}: this very file was already imported on {}; nothing changed.",
            date(&r.imported_at.date())
        )),
        Outcome::Refused {
            valid,
            rejected,
            report,
        } => {
            finished.imported = false;
            finished.lines.push(format!(
                "{what}: {} rejected ({} valid), so nothing was imported.",
                rows(*rejected),
                rows(*valid)
            ));
            if let Some(id) = report
                .as_ref()
                .and_then(|p| p.file_name())
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix("-rejections.csv"))
            {
                finished.reports.push((what.to_owned(), id.to_owned()));
            }
        }
    }
}

/// One import running in the background: whose, into which job, and how.
struct Run {
    state: AppState,
    job: String,
    pcn: PcnId,
    practices: Vec<PracticeCode>,
    accept_valid: bool,
    audit: NewAuditEvent,
}

async fn run_file(run: Arc<Run>, dataset: Dataset, reading: Reading, path: PathBuf) -> Finished {
    let (state, job) = (&run.state, run.job.as_str());
    let mut progress = progress_of(state, job);
    let total = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let asked = FileImport {
        dataset,
        path: &path,
        reading,
        accept_valid: run.accept_valid,
        replaces: None,
        today: state.now().date(),
        audit: run.audit.clone(),
    };
    let keys = (&state.0.pseudonym_key, &state.0.index_key);
    let data = &state.0.data_dir;
    let staged = stage_file(state.store(), data, run.pcn, keys, asked, move |n| {
        progress("file", n, total)
    });
    let (staged, how) = match staged.await {
        Ok(s) => s,
        Err(ImportError::Stopped) => {
            return failed("The import stopped unexpectedly; nothing was imported.".into())
        }
        Err(e) => return failed(format!("Nothing was imported: {e}.")),
    };
    update(state, job, |j| j.step = "Saving".into());
    let mut finished = Finished {
        imported: true,
        lines: Vec::new(),
        reports: Vec::new(),
    };
    match commit(state.store(), &state.0.data_dir, staged, how).await {
        Ok(outcome) => describe(&outcome, "The file", &mut finished),
        Err(e) => return failed(format!("Nothing was imported: {e}.")),
    }
    finished
}

async fn upload_synthea(
    State(state): State<AppState>,
    ctx: Ctx,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?.clone();
    let upload = Upload::new(&state).await?;
    let dir = upload.dir.clone();
    let mut sizes: HashMap<&'static str, u64> = HashMap::new();
    let mut accept_valid = false;
    let received = async {
        while let Some(field) = multipart.next_field().await? {
            let name = match field.name().unwrap_or("") {
                "patients" => "patients.csv",
                "encounters" => "encounters.csv",
                "conditions" => "conditions.csv",
                "synthea_accept_valid" => {
                    accept_valid = text(field).await? == "yes";
                    continue;
                }
                _ => continue,
            };
            if !sizes.contains_key(name) {
                let (_, size) = save(&dir, field, Some(name)).await?;
                sizes.insert(name, size);
            }
        }
        Ok::<_, AppError>(())
    }
    .await;
    let upload = upload.received(received).await?;
    let errors: Vec<FieldError> = [
        ("patients", "patients.csv"),
        ("encounters", "encounters.csv"),
        ("conditions", "conditions.csv"),
    ]
    .into_iter()
    .filter(|(_, file)| sizes.get(file).copied().unwrap_or(0) == 0)
    .map(|(field, file)| FieldError {
        field,
        message: format!("Choose the export's {file}"),
    })
    .collect();
    let practices: Vec<PracticeCode> = state
        .store()
        .practices(actor.pcn_id)
        .await?
        .into_iter()
        .map(|p| p.ods_code)
        .collect();
    if !errors.is_empty() || practices.is_empty() {
        upload.forget().await;
        let errors = if practices.is_empty() {
            vec![FieldError {
                field: "patients",
                message: "This PCN has no practice to import into: add one on the Admin page first"
                    .into(),
            }]
        } else {
            errors
        };
        let form = FileForm {
            dataset: "appointments".into(),
            layout: "canonical".into(),
            ..FileForm::default()
        };
        return render(&state, &ctx, form, Vec::new(), errors).await;
    }
    let total = sizes.values().sum();
    let what = Launch {
        title: "A Synthea export".into(),
        total,
        practices,
        accept_valid,
    };
    upload.launch(&state, &ctx, what, |run, dir| {
        run_synthea(run, SyntheaExport::in_dir(&dir))
    })
}

async fn run_synthea(run: Arc<Run>, export: SyntheaExport) -> Finished {
    let state = &run.state;
    let whole = WholeExport {
        export,
        data_dir: state.0.data_dir.clone(),
        key: state.0.pseudonym_key.clone(),
        index_key: state.0.index_key.clone(),
        practices: run.practices.clone(),
        today: state.now().date(),
        pcn: run.pcn,
        accept_valid: run.accept_valid,
    };
    let progress = progress_of(state, &run.job);
    let done = match import_whole_export(state.store(), whole, &run.audit, progress).await {
        Ok(Some(done)) => done,
        Ok(None) => {
            return failed(
                "This PCN has no practice to import into: add one on the Admin page first.".into(),
            )
        }
        Err(WholeExportError::Staging(ImportError::Stopped)) => {
            return failed("The import stopped unexpectedly; nothing was imported.".into())
        }
        Err(WholeExportError::Staging(e)) => return failed(format!("Nothing was imported: {e}.")),
        Err(WholeExportError::Publishing(e)) => {
            return failed(format!("Nothing more was imported: {e}."))
        }
    };
    let people: Vec<String> = run
        .practices
        .iter()
        .map(|p| format!("{p}: {} people", done.plan.given_to(p).1))
        .collect();
    let mut finished = Finished {
        imported: true,
        lines: vec![format!(
            "Each person was given the practice of the organisation of most of their GP consultations ({}).",
            people.join("; ")
        )],
        reports: Vec::new(),
    };
    let what = |f: SyntheaFile| {
        format!(
            "{} ({})",
            f.file_name(),
            f.dataset().name().replace('_', " ")
        )
    };
    match done.outcome {
        ExportOutcome::Refused(staged) => {
            finished.imported = false;
            for (f, s) in staged.iter().filter(|(_, s)| s.read.rejected > 0) {
                let refused = Outcome::Refused {
                    valid: s.read.valid,
                    rejected: s.read.rejected,
                    report: s.report.clone(),
                };
                describe(&refused, &what(*f), &mut finished);
            }
            finished
                .lines
                .push("No file of the export was imported.".into());
        }
        ExportOutcome::Imported(done) => {
            for (f, outcome, skipped) in done {
                describe(&outcome, &what(f), &mut finished);
                if skipped > 0 {
                    finished.lines.push(format!(
                        "{} of {} are not {} and were skipped.",
                        rows(skipped),
                        f.file_name(),
                        skipped_because(f)
                    ));
                }
            }
        }
    }
    finished
}

#[derive(Template)]
#[template(path = "import_job.html")]
struct JobPage {
    layout: Layout,
    job: Job,
    percent: u64,
}

async fn job_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?;
    let job = jobs(&state)
        .get(&id)
        .filter(|j| j.pcn == actor.pcn_id)
        .cloned()
        .ok_or(AppError::NotFound)?;
    let percent = (job.done.saturating_mul(100))
        .checked_div(job.total)
        .unwrap_or(0)
        .min(100);
    let mut layout = Layout::new(&state, &ctx, &job.title);
    if job.finished.is_none() {
        layout.refresh = Some(2);
    }
    let page = JobPage {
        layout,
        job,
        percent,
    };
    Ok(Html(page.render()?).into_response())
}

/// A rejection report: line, column and reason of every rejected row (never a row's values).
async fn report(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?;
    let ours = state
        .store()
        .imports(actor.pcn_id)
        .await?
        .iter()
        .any(|i| i.id == id)
        || jobs(&state).values().any(|j| {
            j.pcn == actor.pcn_id
                && j.finished
                    .as_ref()
                    .is_some_and(|f| f.reports.iter().any(|r| r.1 == id))
        });
    let path = report_path(&state, &id)
        .filter(|_| ours)
        .ok_or(AppError::NotFound)?;
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|_| AppError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"rejected-rows-{id}.csv\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?;
    let audit = ctx.audit(
        &state,
        AuditAction::DeleteImport,
        "import",
        Some(id.clone()),
        together_store::Outcome::Allowed,
    );
    match delete_import(state.store(), &state.0.data_dir, actor.pcn_id, &id, &audit).await {
        Ok(_) => Ok(Redirect::to("/insight/imports").into_response()),
        Err(together_insight::ImportError::Store(together_store::StoreError::NotFound(_))) => {
            Err(AppError::NotFound)
        }
        Err(e) => Err(AppError::Internal(e.to_string())),
    }
}
