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
use together_app::{people::import_spreadsheet, SpreadsheetRefused};
use together_core::audit::AuditAction;
use together_core::Clock as _;

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
            let audit = cli_audit(AuditAction::ImportPeople, "person", Some(pcn));
            let now = together_core::clock::SystemClock.now();
            let input = std::io::BufReader::new(input);
            let done = import_spreadsheet(&store, pcn, &keys.pseudonym, input, now, &audit)
                .await
                .map_err(|e| match e {
                    SpreadsheetRefused::Rows { rows, errors } => {
                        nothing_imported(&file, rows, &errors)
                    }
                    other => anyhow::anyhow!("{}: {other}", file.display()),
                })?;
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
