//! `together report impact`: did it help? The impact report for a PCN board or commissioner,
//! as a self-contained HTML file (print it to PDF from a browser), JSON or CSV — disclosed for
//! sharing unless the operator says `--unsuppressed`.

use crate::import::pick_pcn;
use crate::instance::{cli_audit, open_store, FileSettings};
use crate::Location;
use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};
use indicatif::ProgressBar;
use together_core::disclosure::Audience;
use together_insight::impact::{build, inputs};
use together_insight::profile::{pooled_practices, CountingRule};
use together_insight::Tables;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ReportFormat {
    Html,
    Json,
    Csv,
}

#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// The impact report: connected people against a matched comparison, the money, wellbeing
    /// and hours gifted.
    Impact {
        #[command(flatten)]
        at: Location,
        #[arg(long)]
        pcn: Option<String>,
        #[arg(long, value_enum, default_value = "html")]
        format: ReportFormat,
        /// Where to write it (standard output if not given).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// Exact counts and figures for small groups (for the operator's own use; the default
        /// output is fit for sharing).
        #[arg(long)]
        unsuppressed: bool,
    },
}

pub async fn run(cmd: ReportCommand) -> Result<()> {
    let ReportCommand::Impact {
        at,
        pcn,
        format,
        out,
        unsuppressed,
    } = cmd;
    let store = open_store(&at, &FileSettings::load(&at.data_dir)?).await?;
    let pcn = pick_pcn(&store, pcn.as_deref()).await?;
    let mut audit = cli_audit("report_impact", "impact", Some(pcn));
    audit.reason = unsuppressed.then(|| "unsuppressed".to_owned());
    let (inputs, settings) = inputs(&store, pcn, &audit).await?;
    let practices = pooled_practices(&store.practices(pcn).await?);
    let tables = Tables::open(&store, &at.data_dir, pcn).await?;
    let rule = CountingRule::of(&store, pcn).await?;
    let spinner = ProgressBar::new_spinner();
    spinner.set_message(format!(
        "Matching {} connections and resampling {} times…",
        inputs.connections.len(),
        settings.resamples
    ));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let report = build(&tables, &practices, &rule, &settings, &inputs)
        .await
        .context("the evaluation failed")?;
    spinner.finish_and_clear();
    let audience = if unsuppressed {
        Audience::Unsuppressed
    } else {
        Audience::Suppressed
    };
    let shown = report.shown(audience);
    let name = store.pcn(pcn).await?.map(|p| p.name).unwrap_or_default();
    let bytes = match format {
        ReportFormat::Html => together_web::report::impact_report(
            &shown,
            &name,
            time::OffsetDateTime::now_utc().date(),
        )?
        .into_bytes(),
        ReportFormat::Json => serde_json::to_vec_pretty(&shown)?,
        ReportFormat::Csv => shown.csv()?,
    };
    match out {
        Some(path) => {
            std::fs::write(&path, bytes)
                .with_context(|| format!("could not write {}", path.display()))?;
            eprintln!("Wrote the impact report to {}", path.display());
        }
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&bytes)?;
        }
    }
    Ok(())
}
