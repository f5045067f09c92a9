//! `together import`: a practice's files into Insight, pseudonymised at the door.

use crate::instance::{cli_audit, open_store, FileSettings, Keys};
use crate::Location;
use anyhow::{anyhow, bail, Context, Result};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use together_core::audit::AuditAction;
use together_core::Clock as _;
use together_core::{PcnId, PracticeCode};
use together_formats::mapping::{Mapping, SHIPPED};
use together_formats::{Dataset, FileError};
use together_insight::synthea_export::{
    import_whole_export, skipped_because, ExportOutcome, SyntheaExport, WholeExport,
    WholeExportError,
};
use together_insight::{
    delete, import_file as import_asked, FileImport, ImportError, Layout, Outcome, Reading,
    ReadingRefused,
};
use together_store::DynStore;

#[derive(clap::Args, Debug)]
pub struct ImportFile {
    #[command(flatten)]
    pub at: Location,
    /// The file: a CSV in the canonical layout of docs/formats.md, or FHIR with --format fhir.
    pub file: PathBuf,
    /// canonical (CSV), or fhir (an R4 Bundle or NDJSON of Patient, Appointment, Encounter).
    #[arg(long, value_enum, default_value_t = FileFormat::Canonical)]
    pub format: FileFormat,
    /// Import the valid rows even when some are rejected (the rejected ones are reported).
    #[arg(long)]
    pub accept_valid: bool,
    /// Replace an earlier import (its id from `together import list`) with this file.
    #[arg(long, value_name = "IMPORT_ID")]
    pub replace: Option<String>,
    /// Read a practice system's own appointment export through a mapping: emis-web or
    /// systmone (both unverified), or the path of a mapping file (docs/formats.md).
    #[arg(long, value_name = "NAME|FILE")]
    pub mapping: Option<String>,
    /// The practice (ODS code) of every row, for an export or FHIR file that does not say.
    #[arg(long, value_name = "ODS")]
    pub practice: Option<String>,
    /// Which PCN, when the instance serves more than one.
    #[arg(long)]
    pub pcn: Option<String>,
}

/// The mapping `--mapping` names: a shipped one, or a file.
fn load_mapping(given: &str) -> Result<Mapping> {
    let mapping = match Mapping::shipped(given) {
        Some(m) => m,
        None => {
            let text = std::fs::read_to_string(given).with_context(|| {
                format!(
                    "{given} is neither a shipped mapping ({}) nor a mapping file that can be read",
                    shipped_names()
                )
            })?;
            Mapping::from_toml(&text)
        }
    };
    mapping.with_context(|| format!("the mapping {given} cannot be used"))
}

fn shipped_names() -> String {
    SHIPPED.map(|(n, _)| n).join(", ")
}

/// The layout of a file given to `together import DATASET`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    Canonical,
    Fhir,
}

#[derive(clap::Args, Debug)]
pub struct ImportSynthea {
    #[command(flatten)]
    pub at: Location,
    /// The folder holding patients.csv, encounters.csv and conditions.csv.
    pub dir: PathBuf,
    /// The practices to give Synthea's organisations to, largest first and in turn; repeat
    /// for several. Without it: every practice of the PCN.
    #[arg(long = "practice")]
    pub practices: Vec<String>,
    /// Import the valid rows even when some are rejected (the rejected ones are reported).
    #[arg(long)]
    pub accept_valid: bool,
    /// Which PCN, when the instance serves more than one.
    #[arg(long)]
    pub pcn: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Registered people: the denominator of every figure.
    Registrations(ImportFile),
    /// Appointments.
    Appointments(ImportFile),
    /// Long-term conditions and frailty.
    Conditions(ImportFile),
    /// A&E attendances.
    Ae(ImportFile),
    /// A Synthea export: patients.csv, encounters.csv and conditions.csv from one folder.
    Synthea(ImportSynthea),
    /// List the imports: id, dataset, file, rows, who and when.
    List {
        #[command(flatten)]
        at: Location,
        #[arg(long)]
        pcn: Option<String>,
    },
    /// Replace an import with a corrected file: the new rows count, the old ones stop, at once.
    Replace {
        /// The import's id, from `together import list`.
        id: String,
        #[command(flatten)]
        file: ImportFile,
    },
    /// Delete an import: its rows stop counting at once.
    Delete {
        #[command(flatten)]
        at: Location,
        /// The import's id, from `together import list`.
        id: String,
        #[arg(long)]
        pcn: Option<String>,
    },
}

pub(crate) async fn pick_pcn(store: &DynStore, name: Option<&str>) -> Result<PcnId> {
    let pcns = store.pcns().await?;
    match (name, pcns.as_slice()) {
        (_, []) => bail!("the instance has no PCN yet: run `together bootstrap-admin` first"),
        (None, [one]) => Ok(one.id),
        (None, _) => bail!("this instance serves several PCNs; say which with --pcn"),
        (Some(n), all) => all
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(n))
            .map(|p| p.id)
            .with_context(|| format!("no PCN is called {n}")),
    }
}

/// One file to import, and how.
pub struct Job<'a> {
    pub dataset: Dataset,
    pub file: &'a Path,
    pub accept_valid: bool,
    pub replace: Option<String>,
    pub show_progress: bool,
    pub reading: Reading,
}

/// The PCN's practices, whose rows an import may hold.
async fn practices_of(store: &DynStore, pcn: PcnId) -> Result<Vec<PracticeCode>> {
    Ok(store
        .practices(pcn)
        .await?
        .into_iter()
        .map(|p| p.ods_code)
        .collect())
}

/// A progress bar over a file's bytes, labelled with what is being read.
fn bytes_style() -> ProgressStyle {
    ProgressStyle::with_template(
        "{msg} {bar:40.cyan/blue} {binary_bytes}/{binary_total_bytes} · {binary_bytes_per_sec} · {eta} left",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// A progress bar over `file`'s bytes, labelled with what is being read (hidden unless asked).
fn bytes_bar(label: &str, file: &Path, show: bool) -> Result<ProgressBar> {
    let size = std::fs::metadata(file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .len();
    let bar = if show {
        ProgressBar::new(size)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(bytes_style());
    bar.set_message(label.to_owned());
    Ok(bar)
}

fn today() -> time::Date {
    together_core::clock::SystemClock.now().date()
}

/// Imports one file (with a progress bar if asked); returns the outcome for the caller to report.
pub async fn import_one(
    store: &DynStore,
    data_dir: &Path,
    keys: &Keys,
    pcn: PcnId,
    job: Job<'_>,
) -> Result<Outcome> {
    let Job {
        dataset,
        file,
        accept_valid,
        replace,
        show_progress,
        reading,
    } = job;
    let canonical = matches!(reading, Reading::Canonical);
    let bar = bytes_bar(dataset.name(), file, show_progress)?;
    let b = bar.clone();
    let asked = FileImport {
        dataset,
        path: file,
        reading,
        accept_valid,
        replaces: replace,
        today: today(),
        audit: cli_audit(AuditAction::Import, "import", Some(pcn)),
    };
    let keys = (&keys.pseudonym, &keys.index);
    let outcome = import_asked(store, data_dir, pcn, keys, asked, move |n| {
        b.set_position(n)
    })
    .await;
    bar.finish_and_clear();
    outcome.map_err(|e| match e {
        ImportError::File(FileError::UnknownLayout { .. })
            if canonical && dataset == Dataset::Appointments =>
        {
            anyhow!(
                "{} was not imported: {e}. A practice system's own export is read with --mapping: {} (unverified), or a mapping file of your own",
                file.display(),
                shipped_names()
            )
        }
        ImportError::NotOurPractice(_) => anyhow!("{e}"),
        e => anyhow!("{} was not imported: {e}", file.display()),
    })
}

fn refused(what: &str, valid: u64, rejected: u64, report: Option<&Path>) -> String {
    let report = report
        .map(|p| {
            format!(
                " The rejected rows, with line, column and reason, are in {}.",
                p.display()
            )
        })
        .unwrap_or_default();
    let rows = if rejected == 1 {
        "1 row was".to_owned()
    } else {
        format!("{rejected} rows were")
    };
    format!("{what}: {rows} rejected ({valid} valid), so nothing was imported.{report}")
}

/// What became of an import, in a sentence; `Err` when it was refused.
fn describe(outcome: Outcome, file: &Path) -> Result<String> {
    Ok(match outcome {
        Outcome::Imported(r) => {
            let period = match (r.period_from, r.period_to) {
                (Some(a), Some(b)) => format!(", {a} to {b}"),
                _ => String::new(),
            };
            format!(
                "Imported {} {} from {} ({}{period}) as import {}.{}",
                r.rows_imported,
                r.dataset,
                r.file_name,
                r.practices.join(", "),
                r.id,
                match r.rows_rejected {
                    0 => String::new(),
                    1 => " 1 rejected row was left out.".to_owned(),
                    n => format!(" {n} rejected rows were left out."),
                }
            )
        }
        Outcome::AlreadyImported(r) => format!(
            "{} ({}) was already imported on {} as import {}: nothing changed.",
            file.display(),
            r.dataset,
            r.imported_at.date(),
            r.id
        ),
        Outcome::Refused {
            valid,
            rejected,
            report,
        } => bail!(
            "{} Correct the file, or import the valid rows with --accept-valid",
            refused(
                &file.display().to_string(),
                valid,
                rejected,
                report.as_deref()
            )
        ),
    })
}

pub async fn run(cmd: ImportCommand) -> Result<()> {
    let (dataset, args) = match cmd {
        ImportCommand::Registrations(a) => (Dataset::Registrations, a),
        ImportCommand::Appointments(a) => (Dataset::Appointments, a),
        ImportCommand::Conditions(a) => (Dataset::Conditions, a),
        ImportCommand::Ae(a) => (Dataset::AeAttendances, a),
        ImportCommand::Replace { id, mut file } => {
            if file.replace.is_some() {
                bail!("say the import to replace once: `together import replace ID …`");
            }
            file.replace = Some(id);
            return replace(file).await;
        }
        ImportCommand::Synthea(a) => return synthea(a).await,
        ImportCommand::List { at, pcn } => return list(&at, pcn.as_deref()).await,
        ImportCommand::Delete { at, id, pcn } => {
            let store = open_store(&at, &FileSettings::load(&at.data_dir)?).await?;
            let pcn = pick_pcn(&store, pcn.as_deref()).await?;
            delete(
                &store,
                &at.data_dir,
                pcn,
                &id,
                &cli_audit(AuditAction::DeleteImport, "import", Some(pcn)),
            )
            .await
            .with_context(|| format!("import {id} was not deleted"))?;
            println!("Deleted import {id}: its rows no longer count.");
            return Ok(());
        }
    };
    import_file(dataset, args).await
}

/// The dataset a replacement file is, from the import it replaces.
async fn replace(args: ImportFile) -> Result<()> {
    let store = open_store(&args.at, &FileSettings::load(&args.at.data_dir)?).await?;
    let pcn = pick_pcn(&store, args.pcn.as_deref()).await?;
    let id = args.replace.clone().unwrap_or_default();
    let old = store
        .imports(pcn)
        .await?
        .into_iter()
        .find(|i| i.id == id)
        .with_context(|| format!("there is no import {id} (see `together import list`)"))?;
    let dataset: Dataset = old.dataset.parse().map_err(|e: String| anyhow!(e))?;
    drop(store);
    import_file(dataset, args).await
}

fn parse_practice(given: Option<&String>) -> Result<Option<PracticeCode>> {
    given
        .map(|p| {
            p.parse::<PracticeCode>()
                .map_err(|_| anyhow!("'{p}' is not a practice ODS code (a letter and five digits)"))
        })
        .transpose()
}

async fn import_file(dataset: Dataset, args: ImportFile) -> Result<()> {
    let store = open_store(&args.at, &FileSettings::load(&args.at.data_dir)?).await?;
    let pcn = pick_pcn(&store, args.pcn.as_deref()).await?;
    let keys = Keys::load(&args.at.data_dir)?;
    let layout = match (&args.mapping, args.format) {
        (Some(_), FileFormat::Fhir) => {
            bail!("--mapping reads a practice system's CSV export; FHIR needs no mapping")
        }
        (None, FileFormat::Fhir) => Layout::Fhir,
        (None, FileFormat::Canonical) => Layout::Canonical,
        (Some(m), FileFormat::Canonical) => {
            let mapping = load_mapping(m)?;
            if !mapping.verified {
                eprintln!(
                    "Note: the mapping '{}' is unverified. {}",
                    mapping.name, mapping.note
                );
            }
            Layout::Mapped(Box::new(mapping))
        }
    };
    let practice = parse_practice(args.practice.as_ref())?;
    let reading = Reading::choose(layout, dataset, practice).map_err(|refused| {
        let flag = match refused {
            ReadingRefused::PracticeNotWanted => {
                " (--practice goes with --mapping or --format fhir)"
            }
            ReadingRefused::PracticeNeeded(_) => " (--practice ODS)",
            _ => "",
        };
        anyhow!("{refused}{flag}")
    })?;
    let job = Job {
        dataset,
        file: &args.file,
        accept_valid: args.accept_valid,
        replace: args.replace,
        show_progress: true,
        reading,
    };
    let outcome = import_one(&store, &args.at.data_dir, &keys, pcn, job).await?;
    println!("{}", describe(outcome, &args.file)?);
    Ok(())
}

/// `together import synthea DIR`: four imports from one export, all refused if any file has
/// rejected rows that were not accepted.
async fn synthea(args: ImportSynthea) -> Result<()> {
    let store = open_store(&args.at, &FileSettings::load(&args.at.data_dir)?).await?;
    let pcn = pick_pcn(&store, args.pcn.as_deref()).await?;
    let keys = Keys::load(&args.at.data_dir)?;
    let ours = practices_of(&store, pcn).await?;
    let mut practices = Vec::new();
    for p in &args.practices {
        match p.parse::<PracticeCode>() {
            Ok(code) if ours.contains(&code) => practices.push(code),
            _ => bail!("{p} is not a practice of this PCN (add it on the Admin page first)"),
        }
    }
    if practices.is_empty() {
        practices = ours;
    }
    let export = SyntheaExport::in_dir(&args.dir);
    let whole = WholeExport {
        export: export.clone(),
        data_dir: args.at.data_dir.clone(),
        key: keys.pseudonym.clone(),
        index_key: keys.index.clone(),
        practices: practices.clone(),
        today: today(),
        pcn,
        accept_valid: args.accept_valid,
    };
    let audit = cli_audit(AuditAction::Import, "import", Some(pcn));
    let (bar, step) = step_bar();
    let done = import_whole_export(&store, whole, &audit, step).await;
    bar.finish_and_clear();
    let done = match done {
        Ok(Some(done)) => done,
        Ok(None) => {
            bail!("this PCN has no practice to import into: add one on the Admin page first")
        }
        Err(WholeExportError::Staging(e)) => {
            return Err(e).with_context(|| format!("{} was not imported", args.dir.display()))
        }
        Err(WholeExportError::Publishing(e)) => return Err(e.into()),
    };
    let plan = &done.plan;
    println!(
        "{} people, each given the practice of the organisation of most of their GP consultations:",
        plan.people()
    );
    for practice in &practices {
        let (orgs, people) = plan.given_to(practice);
        println!("  {practice}: {people} people from {orgs} Synthea organisations");
    }
    match done.outcome {
        ExportOutcome::Refused(staged) => {
            let refusals: Vec<String> = staged
                .iter()
                .filter(|(_, s)| s.read.rejected > 0)
                .map(|(f, s)| {
                    refused(
                        &format!("{} ({})", f.file_name(), f.dataset().name()),
                        s.read.valid,
                        s.read.rejected,
                        s.report.as_deref(),
                    )
                })
                .collect();
            bail!(
                "{}\nNo file of the export was imported. Correct the export, or import the valid rows with --accept-valid",
                refusals.join("\n")
            );
        }
        ExportOutcome::Imported(done) => {
            for (file, outcome, skipped) in done {
                println!("{}", describe(outcome, export.path(file))?);
                if skipped > 0 {
                    println!(
                        "  ({skipped} rows of {} are not {} and were skipped.)",
                        file.file_name(),
                        skipped_because(file)
                    );
                }
            }
        }
    }
    Ok(())
}

/// One progress bar for a run of steps over files, restarted at each step.
fn step_bar() -> (
    ProgressBar,
    impl FnMut(&'static str, u64, u64) + Send + 'static,
) {
    let bar = ProgressBar::new(0);
    bar.set_style(bytes_style());
    let b = bar.clone();
    let mut current = "";
    let step = move |label: &'static str, n: u64, total: u64| {
        if label != current {
            current = label;
            b.reset();
            b.set_length(total);
            b.set_message(label);
        }
        b.set_position(n);
    };
    (bar, step)
}

async fn list(at: &Location, pcn: Option<&str>) -> Result<()> {
    let store = open_store(at, &FileSettings::load(&at.data_dir)?).await?;
    let pcn = pick_pcn(&store, pcn).await?;
    let imports = store.imports(pcn).await?;
    if imports.is_empty() {
        println!("No imports yet.");
    }
    for i in imports {
        println!(
            "{}  {:<15} {:<9} {:>9} rows  {:>6} rejected  {}  {} by {}",
            i.id,
            i.dataset,
            i.status,
            i.rows_imported,
            i.rows_rejected,
            i.file_name,
            i.imported_at.date(),
            i.imported_by
        );
    }
    Ok(())
}
