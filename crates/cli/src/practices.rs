//! `together practices`: the PCN's practices and their data-sharing agreements, for an
//! operator setting up without the web page (the Admin page does the same).

use crate::import::pick_pcn;
use crate::instance::{cli_audit, open_store, FileSettings};
use crate::Location;
use anyhow::{anyhow, Context, Result};
use clap::Subcommand;
use together_core::audit::AuditAction;
use together_core::Clock as _;
use together_core::PracticeCode;

#[derive(Subcommand, Debug)]
pub enum PracticesCommand {
    /// Add a practice to the PCN by its ODS code.
    Add {
        #[command(flatten)]
        at: Location,
        /// The practice's ODS code (a letter and five digits).
        ods_code: String,
        /// Its name, as patients know it.
        #[arg(long)]
        name: String,
        #[arg(long)]
        pcn: Option<String>,
    },
    /// List the practices, with whether each has agreed to pool its data.
    List {
        #[command(flatten)]
        at: Location,
        #[arg(long)]
        pcn: Option<String>,
    },
    /// Record that a practice has agreed (or, with --withdrawn, no longer agrees) to pool its
    /// data in PCN-wide figures.
    DataSharing {
        #[command(flatten)]
        at: Location,
        ods_code: String,
        #[arg(long)]
        withdrawn: bool,
        #[arg(long)]
        pcn: Option<String>,
    },
}

fn code(text: &str) -> Result<PracticeCode> {
    text.parse()
        .map_err(|_| anyhow!("'{text}' is not a practice ODS code (a letter and five digits)"))
}

pub async fn run(cmd: PracticesCommand) -> Result<()> {
    match cmd {
        PracticesCommand::Add {
            at,
            ods_code,
            name,
            pcn,
        } => {
            let store = open_store(&at, &FileSettings::load(&at.data_dir)?).await?;
            let pcn = pick_pcn(&store, pcn.as_deref()).await?;
            let code = code(&ods_code)?;
            store
                .add_practice(
                    pcn,
                    &code,
                    &name,
                    &cli_audit(AuditAction::AddPractice, "practice", Some(pcn)),
                    together_core::clock::SystemClock.now(),
                )
                .await
                .with_context(|| format!("{code} was not added"))?;
            println!("Added {name} ({code}).");
        }
        PracticesCommand::List { at, pcn } => {
            let store = open_store(&at, &FileSettings::load(&at.data_dir)?).await?;
            let pcn = pick_pcn(&store, pcn.as_deref()).await?;
            for p in store.practices(pcn).await? {
                let sharing = if p.data_sharing_agreed {
                    "data sharing agreed"
                } else {
                    "no data-sharing agreement"
                };
                println!("{}  {:<40} {sharing}", p.ods_code, p.name);
            }
        }
        PracticesCommand::DataSharing {
            at,
            ods_code,
            withdrawn,
            pcn,
        } => {
            let store = open_store(&at, &FileSettings::load(&at.data_dir)?).await?;
            let pcn = pick_pcn(&store, pcn.as_deref()).await?;
            let code = code(&ods_code)?;
            let practice = store
                .practices(pcn)
                .await?
                .into_iter()
                .find(|p| p.ods_code == code)
                .ok_or_else(|| anyhow!("{code} is not a practice of this PCN"))?;
            store
                .set_data_sharing(
                    pcn,
                    practice.id,
                    !withdrawn,
                    &cli_audit(AuditAction::SetDataSharing, "practice", Some(pcn)),
                )
                .await?;
            println!(
                "{} ({code}) {}",
                practice.name,
                if withdrawn {
                    "no longer pools its data in PCN-wide figures."
                } else {
                    "pools its data in PCN-wide figures."
                }
            );
        }
    }
    Ok(())
}
