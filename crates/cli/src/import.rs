//! `together import`: a practice's files into Insight, pseudonymised at the door.

use crate::instance::{cli_audit, key, open_store, FileSettings};
use crate::Location;
use anyhow::{bail, Context, Result};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use together_core::{PcnId, PracticeCode, PseudonymKey};
use together_formats::Dataset;
use together_insight::{commit, delete, stage, Commit, Outcome, StageRequest};
use together_store::DynStore;

#[derive(clap::Args, Debug)]
pub struct ImportFile {
    #[command(flatten)]
    pub at: Location,
    /// The CSV file (the canonical layout of docs/formats.md).
    pub file: PathBuf,
    /// Import the valid rows even when some are rejected (the rejected ones are reported).
    #[arg(long)]
    pub accept_valid: bool,
    /// Replace an earlier import (its id from `together import list`) with this file.
    #[arg(long, value_name = "IMPORT_ID")]
    pub replace: Option<String>,
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
    /// List the imports: id, dataset, file, rows, who and when.
    List {
        #[command(flatten)]
        at: Location,
        #[arg(long)]
        pcn: Option<String>,
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
}

/// Imports one file (with a progress bar if asked); returns the outcome for the caller to report.
pub async fn import_one(
    store: &DynStore,
    data_dir: &Path,
    key: &PseudonymKey,
    pcn: PcnId,
    job: Job<'_>,
) -> Result<Outcome> {
    let Job {
        dataset,
        file,
        accept_valid,
        replace,
        show_progress,
    } = job;
    let practices: Vec<PracticeCode> = store
        .practices(pcn)
        .await?
        .into_iter()
        .map(|p| p.ods_code)
        .collect();
    let size = std::fs::metadata(file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .len();
    let bar = if show_progress {
        ProgressBar::new(size)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{msg} {bar:40.cyan/blue} {binary_bytes}/{binary_total_bytes} · {binary_bytes_per_sec} · {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(dataset.name());
    let (data, path, key2, b) = (
        data_dir.to_owned(),
        file.to_owned(),
        key.clone(),
        bar.clone(),
    );
    let today = time::OffsetDateTime::now_utc().date();
    let staged = tokio::task::spawn_blocking(move || {
        let req = StageRequest {
            dataset,
            path: &path,
            data_dir: &data,
            key: &key2,
            practices: &practices,
            today,
        };
        stage(&req, &mut |n| b.set_position(n))
    })
    .await
    .context("the import stopped unexpectedly")?
    .with_context(|| format!("{} was not imported", file.display()))?;
    bar.finish_and_clear();
    let how = Commit {
        pcn,
        accept_valid,
        replaces: replace,
        source: "canonical".into(),
        audit: cli_audit("import", "import", Some(pcn)),
    };
    Ok(commit(store, data_dir, staged, how).await?)
}

pub async fn run(cmd: ImportCommand) -> Result<()> {
    let (dataset, args) = match cmd {
        ImportCommand::Registrations(a) => (Dataset::Registrations, a),
        ImportCommand::Appointments(a) => (Dataset::Appointments, a),
        ImportCommand::Conditions(a) => (Dataset::Conditions, a),
        ImportCommand::Ae(a) => (Dataset::AeAttendances, a),
        ImportCommand::List { at, pcn } => return list(&at, pcn.as_deref()).await,
        ImportCommand::Delete { at, id, pcn } => {
            let store = open_store(&at, &FileSettings::load(&at.data_dir)?).await?;
            let pcn = pick_pcn(&store, pcn.as_deref()).await?;
            delete(
                &store,
                &at.data_dir,
                pcn,
                &id,
                &cli_audit("delete_import", "import", Some(pcn)),
            )
            .await
            .with_context(|| format!("import {id} was not deleted"))?;
            println!("Deleted import {id}: its rows no longer count.");
            return Ok(());
        }
    };
    let store = open_store(&args.at, &FileSettings::load(&args.at.data_dir)?).await?;
    let pcn = pick_pcn(&store, args.pcn.as_deref()).await?;
    let key = PseudonymKey::new(
        1,
        key(
            &args.at.data_dir,
            "pseudonym-v1.key",
            "TOGETHER_PSEUDONYM_KEY",
        )?,
    )?;
    let job = Job {
        dataset,
        file: &args.file,
        accept_valid: args.accept_valid,
        replace: args.replace,
        show_progress: true,
    };
    match import_one(&store, &args.at.data_dir, &key, pcn, job).await? {
        Outcome::Imported(r) => {
            let period = match (r.period_from, r.period_to) {
                (Some(a), Some(b)) => format!(", {a} to {b}"),
                _ => String::new(),
            };
            println!(
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
            );
        }
        Outcome::AlreadyImported(r) => println!(
            "{} was already imported on {} as import {}: nothing changed.",
            args.file.display(),
            r.imported_at.date(),
            r.id
        ),
        Outcome::Refused {
            valid,
            rejected,
            report,
        } => {
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
            bail!("{rows} rejected ({valid} valid), so nothing was imported.{report} Correct the file, or import the valid rows with --accept-valid");
        }
    }
    Ok(())
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
