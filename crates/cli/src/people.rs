//! `together people import`: bring in the spreadsheet of people a PCN keeps today (a link
//! worker's caseload, a social prescribing list), NHS numbers pseudonymised before anything is
//! written.

use crate::champions::nothing_imported;
use crate::import::pick_pcn;
use crate::instance::{cli_audit, open_store, FileSettings, Keys};
use crate::Location;
use anyhow::{Context, Result};
use clap::Subcommand;
use std::path::PathBuf;
use together_core::Clock as _;
use together_formats::people::read_people;
use together_store::ImportedPerson;

#[derive(Subcommand, Debug)]
pub enum PeopleCommand {
    /// Import people from a CSV (columns in docs/formats.md): all rows or none, and a row for
    /// someone already there changes nothing, so the same file can be imported again.
    Import {
        #[command(flatten)]
        at: Location,
        file: PathBuf,
        #[arg(long)]
        pcn: Option<String>,
    },
}

pub async fn run(cmd: PeopleCommand) -> Result<()> {
    match cmd {
        PeopleCommand::Import { at, file, pcn } => {
            let store = open_store(&at, &FileSettings::load(&at.data_dir)?).await?;
            let pcn = pick_pcn(&store, pcn.as_deref()).await?;
            let keys = Keys::load(&at.data_dir)?;
            let input = std::fs::File::open(&file)
                .with_context(|| format!("cannot open {}", file.display()))?;
            let read = read_people(
                std::io::BufReader::new(input),
                together_core::clock::SystemClock.now(),
            )
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let rows = read.summary.rows;
            let checked = read
                .resolve(&together_store::practice_codes(&store, pcn).await?)
                .map_err(|errors| nothing_imported(&file, rows, &errors))?;
            let people: Vec<ImportedPerson> = checked
                .into_iter()
                .map(|r| {
                    ImportedPerson::pseudonymised(r.person, r.consents, r.method, &keys.pseudonym)
                })
                .collect();
            let done = store
                .import_people(
                    pcn,
                    &people,
                    &cli_audit("import_people", "person", Some(pcn)),
                )
                .await?;
            println!(
                "Imported {} {} from {}; {} already there, left as they were.",
                done.added,
                if done.added == 1 { "person" } else { "people" },
                file.display(),
                done.already_there
            );
        }
    }
    Ok(())
}
