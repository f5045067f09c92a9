//! `together sql`: read-only SQL over the pseudonymised Insight datasets, for analysts' own
//! questions. Tables: registrations, appointments, conditions, ae_attendances (docs/formats.md
//! and the extract's data dictionary describe their columns). Nothing identifiable is in them.

use crate::import::pick_pcn;
use crate::instance::{cli_audit, open_store, FileSettings};
use crate::Location;
use anyhow::{Context, Result};
use clap::ValueEnum;
use together_core::audit::AuditAction;
use together_insight::analyst::{render, sql, Output};
use together_insight::Tables;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SqlFormat {
    Table,
    Csv,
    Json,
}

#[derive(clap::Args, Debug)]
pub struct SqlArgs {
    #[command(flatten)]
    pub at: Location,
    #[arg(long, value_enum, default_value = "table")]
    pub format: SqlFormat,
    /// Which PCN, when the instance serves more than one.
    #[arg(long)]
    pub pcn: Option<String>,
    /// The query, for example: "SELECT status, count(*) FROM appointments GROUP BY status".
    pub query: String,
}

pub async fn run(args: SqlArgs) -> Result<()> {
    let store = open_store(&args.at, &FileSettings::load(&args.at.data_dir)?).await?;
    let pcn = pick_pcn(&store, args.pcn.as_deref()).await?;
    let tables = Tables::open(&store, &args.at.data_dir, pcn).await?;
    let mut audit = cli_audit(AuditAction::Sql, "insight", Some(pcn));
    audit.reason = Some(args.query.chars().take(1000).collect());
    store.audit(&audit).await?;
    let batches = match sql(&tables, &args.query).await {
        Ok(b) => b,
        Err(e) if e.to_string().contains("not supported") => {
            anyhow::bail!("the query was not run: together sql is read-only, so only queries (SELECT, WITH, EXPLAIN) run ({e})")
        }
        Err(e) => return Err(e).context("the query was not run"),
    };
    let output = match args.format {
        SqlFormat::Table => Output::Table,
        SqlFormat::Csv => Output::Csv,
        SqlFormat::Json => Output::Json,
    };
    println!("{}", render(&batches, output)?);
    Ok(())
}
