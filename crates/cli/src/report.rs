//! `together report impact`: did it help? The impact report for a PCN board or commissioner,
//! as a self-contained HTML file (print it to PDF from a browser), JSON or CSV — disclosed for
//! sharing unless the operator says `--unsuppressed`.

use crate::import::pick_pcn;
use crate::instance::{cli_audit, open_store, FileSettings};
use crate::Location;
use anyhow::{bail, Context, Result};
use clap::{Subcommand, ValueEnum};
use indicatif::ProgressBar;
use together_core::audit::AuditAction;
use together_core::disclosure::Audience;
use together_core::Clock as _;
use together_insight::impact::{build, inputs, RESAMPLES, WINDOW_DAYS};

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
        /// Days before the first connection to compare (the PCN's setting, or 365).
        #[arg(long)]
        before_days: Option<i32>,
        /// Days after it (the PCN's setting, or 365).
        #[arg(long)]
        after_days: Option<i32>,
        /// Bootstrap resamples for the intervals (the PCN's setting, or 1,000).
        #[arg(long)]
        resamples: Option<usize>,
        /// The bootstrap's seed (the PCN's setting, or 1): the same seed gives the same report.
        #[arg(long)]
        seed: Option<u64>,
    },
}

pub async fn run(cmd: ReportCommand) -> Result<()> {
    let ReportCommand::Impact {
        at,
        pcn,
        format,
        out,
        unsuppressed,
        before_days,
        after_days,
        resamples,
        seed,
    } = cmd;
    // The same bounds as the settings form on /impact/costs.
    for (name, days) in [("--before-days", before_days), ("--after-days", after_days)] {
        if days.is_some_and(|d| !WINDOW_DAYS.contains(&d)) {
            bail!("{name} must be between 30 and 1830 (five years)");
        }
    }
    if resamples.is_some_and(|r| !RESAMPLES.contains(&r)) {
        bail!("--resamples must be between 100 and 100,000");
    }
    let store = open_store(&at, &FileSettings::load(&at.data_dir)?).await?;
    let pcn = pick_pcn(&store, pcn.as_deref()).await?;
    let mut audit = cli_audit(AuditAction::ReportImpact, "impact", Some(pcn));
    audit.reason = unsuppressed.then(|| "unsuppressed".to_owned());
    let (inputs, mut settings) = inputs(&store, pcn, &audit).await?;
    settings.before_days = before_days.unwrap_or(settings.before_days);
    settings.after_days = after_days.unwrap_or(settings.after_days);
    settings.resamples = resamples.unwrap_or(settings.resamples);
    settings.seed = seed.unwrap_or(settings.seed);
    let spinner = ProgressBar::new_spinner();
    spinner.set_message(format!(
        "Matching {} connections and resampling {} times…",
        inputs.connections.len(),
        settings.resamples
    ));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let report = build(&store, &at.data_dir, pcn, &settings, &inputs)
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
            together_core::clock::SystemClock.now().date(),
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
