//! `together connections import`: the connections made before Together, for the evaluation.
//! `together connections summary`: how many connections each offer or service has at each
//! step, and how many follow-ups were missed — counts only, nobody named — for the PCN's report
//! or a spreadsheet.

use crate::import::pick_pcn;
use crate::instance::{cli_audit, open_store, FileSettings};
use crate::Location;
use anyhow::{bail, Context, Result};
use clap::Subcommand;
use together_core::audit::AuditAction;
use together_core::connections::{count_by_step, Status};
use together_core::Clock as _;
use together_store::connections::ConnectionFilter;

#[derive(Subcommand, Debug)]
pub enum ConnectionsCommand {
    /// Bring in the connections the PCN made before it had Together (NHS number, practice, offer
    /// or service, date connected, date ended; docs/formats.md), so that the impact report
    /// evaluates them too: all rows or none, and a connection already there is left as it is.
    Import {
        #[command(flatten)]
        at: Location,
        file: std::path::PathBuf,
        #[arg(long)]
        pcn: Option<String>,
    },
    /// Connections by what they are to and where they have got to, with follow-ups missed.
    Summary {
        #[command(flatten)]
        at: Location,
        #[arg(long)]
        pcn: Option<String>,
        /// table (the default) or csv
        #[arg(long, default_value = "table")]
        format: String,
    },
}

pub async fn run(cmd: ConnectionsCommand) -> Result<()> {
    match cmd {
        ConnectionsCommand::Import { at, file, pcn } => {
            use together_app::{impact::import_past_connections, SpreadsheetRefused};
            let store = open_store(&at, &FileSettings::load(&at.data_dir)?).await?;
            let pcn = pick_pcn(&store, pcn.as_deref()).await?;
            let keys = crate::instance::Keys::load(&at.data_dir)?;
            let input = std::fs::File::open(&file)
                .with_context(|| format!("cannot open {}", file.display()))?;
            let done = match import_past_connections(
                &store,
                pcn,
                &keys.pseudonym,
                std::io::BufReader::new(input),
                together_core::clock::SystemClock.now(),
                &cli_audit(
                    AuditAction::ImportPastConnections,
                    "past_connection",
                    Some(pcn),
                ),
            )
            .await
            {
                Ok(done) => done,
                Err(SpreadsheetRefused::Rows { rows, errors }) => {
                    return Err(crate::champions::nothing_imported(&file, rows, &errors))
                }
                Err(e) => bail!("{}: {e}", file.display()),
            };
            println!(
                "Imported {} past {} from {} ({} to offers of the PCN's by the same name); {} already there, left as they were.",
                done.added,
                if done.added == 1 { "connection" } else { "connections" },
                file.display(),
                done.to_our_offers,
                done.already_there
            );
        }
        ConnectionsCommand::Summary { at, pcn, format } => {
            if !matches!(format.as_str(), "table" | "csv") {
                bail!("--format is table or csv, not {format}");
            }
            let store = open_store(&at, &FileSettings::load(&at.data_dir)?).await?;
            let pcn = pick_pcn(&store, pcn.as_deref()).await?;
            let today = together_core::clock::SystemClock.now().date();
            let found = store
                .connections(
                    pcn,
                    &ConnectionFilter::default(),
                    today,
                    &cli_audit(AuditAction::SummariseConnections, "connection", Some(pcn)),
                )
                .await?;
            let rows = count_by_step(
                &found
                    .into_iter()
                    .map(|c| (c.to_name, c.status, c.missed))
                    .collect::<Vec<_>>(),
            );
            let mut header = vec!["to".to_owned()];
            header.extend(Status::ALL.iter().map(|s| s.as_str().to_owned()));
            header.push("missed_follow_ups".into());
            if format == "csv" {
                let mut w = csv::Writer::from_writer(std::io::stdout());
                w.write_record(&header)?;
                for r in &rows {
                    let mut line = vec![together_core::export::neutralise(&r.to)];
                    line.extend(r.at.iter().map(u64::to_string));
                    line.push(r.missed_follow_ups.to_string());
                    w.write_record(&line)?;
                }
                w.flush()?;
            } else if rows.is_empty() {
                println!("No connections yet.");
            } else {
                let width = rows
                    .iter()
                    .map(|r| r.to.chars().count())
                    .max()
                    .unwrap_or(2)
                    .max(2);
                let labels: Vec<&str> = Status::ALL.iter().map(|s| s.label()).collect();
                println!("{:width$}  {}  Follow-ups missed", "To", labels.join("  "));
                for r in &rows {
                    let counts: Vec<String> =
                        r.at.iter()
                            .zip(&labels)
                            .map(|(n, l)| format!("{n:>w$}", w = l.chars().count()))
                            .collect();
                    println!(
                        "{:width$}  {}  {:>17}",
                        r.to,
                        counts.join("  "),
                        r.missed_follow_ups
                    );
                }
            }
        }
    }
    Ok(())
}
