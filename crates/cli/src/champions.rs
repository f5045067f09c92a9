//! `together champions`: bring in the spreadsheet of champions a PCN keeps today, write the
//! champions out as the same CSV, and list them with where each is on the journey.

use crate::import::pick_pcn;
use crate::instance::{cli_audit, open_store, FileSettings};
use crate::Location;
use anyhow::{Context, Result};
use clap::Subcommand;
use std::io::Write;
use std::path::PathBuf;
use together_core::audit::AuditAction;
use together_core::champions::{label_of, Stage, AVAILABILITY, INTERESTS};
use together_formats::champions::read_champions;
use together_formats::RowError;

#[derive(Subcommand, Debug)]
pub enum ChampionsCommand {
    /// Import champions from a CSV (columns in docs/formats.md): all rows or none, and a row
    /// for someone already there changes nothing, so the same file can be imported again.
    Import {
        #[command(flatten)]
        at: Location,
        file: PathBuf,
        #[arg(long)]
        pcn: Option<String>,
    },
    /// Write every champion as CSV (the import's columns), to a file or the screen.
    Export {
        #[command(flatten)]
        at: Location,
        /// Where to write (the screen if not given).
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        pcn: Option<String>,
    },
    /// List the champions with their step on the journey and since when.
    List {
        #[command(flatten)]
        at: Location,
        #[arg(long)]
        pcn: Option<String>,
    },
}

/// The refusal of a file with rejected rows, in one message: how many of its `rows` were
/// rejected and each problem by line and column.
pub(crate) fn nothing_imported(
    file: &std::path::Path,
    rows: u64,
    errors: &[RowError],
) -> anyhow::Error {
    let lines = together_formats::rejected_lines(errors);
    anyhow::anyhow!(
        "{}: {lines} of {rows} rows rejected, so nothing was imported:{}",
        file.display(),
        report(errors)
    )
}

pub(crate) fn report(errors: &[RowError]) -> String {
    let mut out = String::new();
    for e in errors.iter().take(50) {
        out.push_str(&format!("\n  {e}"));
    }
    if errors.len() > 50 {
        out.push_str(&format!("\n  … and {} more", errors.len() - 50));
    }
    out
}

pub async fn run(cmd: ChampionsCommand) -> Result<()> {
    match cmd {
        ChampionsCommand::Import { at, file, pcn } => {
            let store = open_store(&at, &FileSettings::load(&at.data_dir)?).await?;
            let pcn = pick_pcn(&store, pcn.as_deref()).await?;
            let input = std::fs::File::open(&file)
                .with_context(|| format!("cannot open {}", file.display()))?;
            let read = read_champions(std::io::BufReader::new(input))
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let rows = read.summary.rows;
            let checked = read
                .resolve(&together_store::practice_codes(&store, pcn).await?)
                .map_err(|errors| nothing_imported(&file, rows, &errors))?;
            let (added, there) = store
                .import_champions(
                    pcn,
                    &checked,
                    &cli_audit(AuditAction::ImportChampions, "champion", Some(pcn)),
                )
                .await?;
            println!(
                "Imported {added} champion{} from {}; {there} already there, left as they were.",
                if added == 1 { "" } else { "s" },
                file.display()
            );
        }
        ChampionsCommand::Export { at, out, pcn } => {
            let store = open_store(&at, &FileSettings::load(&at.data_dir)?).await?;
            let pcn = pick_pcn(&store, pcn.as_deref()).await?;
            let champions = store
                .champions(
                    pcn,
                    &cli_audit(AuditAction::ExportChampions, "champions", Some(pcn)),
                )
                .await?;
            let practices = store.practices(pcn).await?;
            let sink: Box<dyn Write> = match &out {
                Some(path) => Box::new(
                    std::fs::File::create(path)
                        .with_context(|| format!("cannot write {}", path.display()))?,
                ),
                None => Box::new(std::io::stdout()),
            };
            let mut sink = sink;
            sink.write_all(&together_app::champions::spreadsheet(
                &champions, &practices,
            )?)?;
            sink.flush()?;

            if let Some(path) = out {
                eprintln!("Wrote {} champions to {}.", champions.len(), path.display());
            }
        }
        ChampionsCommand::List { at, pcn } => {
            let store = open_store(&at, &FileSettings::load(&at.data_dir)?).await?;
            let pcn = pick_pcn(&store, pcn.as_deref()).await?;
            let champions = store
                .champions(
                    pcn,
                    &cli_audit(AuditAction::ListChampions, "champions", Some(pcn)),
                )
                .await?;
            for stage in Stage::ALL {
                let here: Vec<_> = champions.iter().filter(|c| c.stage == stage).collect();
                if here.is_empty() {
                    continue;
                }
                println!("{} ({})", stage.label(), here.len());
                for c in here {
                    let interests: Vec<String> =
                        c.interests.iter().map(|k| label_of(INTERESTS, k)).collect();
                    let time: Vec<String> = c
                        .availability
                        .iter()
                        .map(|k| label_of(AVAILABILITY, k))
                        .collect();
                    println!(
                        "  {} {} · since {} · {}{}",
                        c.given_name,
                        c.family_name,
                        c.stage_since.date(),
                        interests.join(", "),
                        if time.is_empty() {
                            String::new()
                        } else {
                            format!(" · {}", time.join(", "))
                        }
                    );
                }
            }
            if champions.is_empty() {
                println!("No champions yet. The expression of interest form is at /join.");
            }
        }
    }
    Ok(())
}
