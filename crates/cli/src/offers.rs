//! `together offers import FILE`: the offers spreadsheet a PCN keeps today, brought into
//! Together. Each row's names (categories, venue, the role its leads need) are found among the
//! PCN's own records, every rule of the offer form and the schedule form is checked, and each
//! problem is reported with its line and column. All or nothing: a file with any problem
//! imports nothing; an offer whose name the PCN already has is left as it is.

use crate::champions::report;
use crate::import::pick_pcn;
use crate::instance::{cli_audit, open_store, FileSettings};
use crate::Location;
use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use together_core::audit::AuditAction;
use together_core::Clock as _;
use together_formats::offers::{read_offers, resolve, OfferNames};

#[derive(clap::Subcommand)]
pub enum OffersCommand {
    /// Import offers from a CSV file (columns: name, description, kind, and optionally status,
    /// categories, eligibility, minimum_age, maximum_age, venue, capacity, helpers_needed,
    /// lead_role, cost, accessibility, contact_name, phone, email, url, starts_on, ends_on,
    /// schedule_freq, schedule_interval, schedule_byday, schedule_starts_on, schedule_ends_on,
    /// schedule_opens, schedule_closes). See docs/formats.md.
    Import {
        #[command(flatten)]
        at: Location,
        file: PathBuf,
        #[arg(long)]
        pcn: Option<String>,
    },
}

pub async fn run(cmd: OffersCommand) -> Result<()> {
    match cmd {
        OffersCommand::Import { at, file, pcn } => {
            let input = std::fs::File::open(&file)
                .with_context(|| format!("cannot open {}", file.display()))?;
            let (rows, mut errors, summary) = read_offers(std::io::BufReader::new(input))
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let store = open_store(&at, &FileSettings::load(&at.data_dir)?).await?;
            let pcn = pick_pcn(&store, pcn.as_deref()).await?;
            let names = OfferNames {
                terms: store
                    .taxonomy_terms()
                    .await?
                    .into_iter()
                    .map(|t| (t.id, t.code, t.name))
                    .collect(),
                venues: store
                    .venues(pcn)
                    .await?
                    .into_iter()
                    .map(|v| (v.id, v.name))
                    .collect(),
                roles: store
                    .champion_roles(pcn)
                    .await?
                    .into_iter()
                    .map(|r| (r.id.to_string(), r.name))
                    .collect(),
            };
            let today = together_core::clock::SystemClock.now().date();
            let (checked, problems) = resolve(&rows, &names, today);
            errors.extend(problems);
            if !errors.is_empty() {
                errors.sort_by_key(|e| e.line);
                let lines: std::collections::BTreeSet<u64> =
                    errors.iter().map(|e| e.line).collect();
                bail!(
                    "{}: {} of {} rows have problems, so nothing was imported:{}",
                    file.display(),
                    lines.len(),
                    summary.rows,
                    report(&errors)
                );
            }
            let until = today + time::Duration::days(together_store::offers::GENERATE_DAYS);
            let added = store
                .import_offers(
                    pcn,
                    &checked,
                    until,
                    &cli_audit(AuditAction::ImportOffers, "offer", Some(pcn)),
                )
                .await?;
            let new = added.iter().filter(|a| a.is_some()).count();
            println!(
                "Imported {new} offer{} from {}; {} already there, left as they were.",
                if new == 1 { "" } else { "s" },
                file.display(),
                added.len() - new
            );
            Ok(())
        }
    }
}
