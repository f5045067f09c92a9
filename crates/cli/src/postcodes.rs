//! `together postcodes import FILE`: postcode centroids for finding services by distance, from
//! the ONS Postcode Directory (ONSPD, Open Government Licence; its multi-CSV or the single
//! file) or a plain `postcode,latitude,longitude` file. All or nothing: a file with rejected
//! rows imports nothing unless `--accept-valid` says to keep the rest.

use crate::champions::report;
use crate::instance::{open_store, FileSettings};
use crate::Location;
use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Read;
use std::path::PathBuf;
use together_formats::postcodes::read_postcodes;

#[derive(clap::Subcommand)]
pub enum PostcodesCommand {
    /// Add (or update) postcode centroids from a CSV file.
    Import {
        #[command(flatten)]
        at: Location,
        file: PathBuf,
        /// Keep the valid rows of a file that has rejected ones (they are listed either way).
        #[arg(long)]
        accept_valid: bool,
    },
}

/// Counts the bytes read, for the progress bar.
struct Counted<R> {
    inner: R,
    bar: ProgressBar,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

pub async fn run(cmd: PostcodesCommand) -> Result<()> {
    match cmd {
        PostcodesCommand::Import {
            at,
            file,
            accept_valid,
        } => {
            let input = std::fs::File::open(&file)
                .with_context(|| format!("cannot open {}", file.display()))?;
            let size = input.metadata().map(|m| m.len()).unwrap_or(0);
            let bar = ProgressBar::new(size);
            bar.set_style(
                ProgressStyle::with_template("Reading postcodes [{bar:30}] {bytes}/{total_bytes}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let mut rows = Vec::new();
            let mut errors = Vec::new();
            let summary = read_postcodes(
                std::io::BufReader::new(Counted {
                    inner: input,
                    bar: bar.clone(),
                }),
                |_, r| match r {
                    Ok(c) => rows.push((c.postcode, c.latitude, c.longitude)),
                    Err(e) => errors.extend(e),
                },
            )
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            bar.finish_and_clear();
            if !errors.is_empty() && !accept_valid {
                bail!(
                    "{}: {} rows rejected, so nothing was imported (add --accept-valid to keep the {} valid ones):{}",
                    file.display(),
                    summary.rejected,
                    rows.len(),
                    report(&errors)
                );
            }
            let store = open_store(&at, &FileSettings::load(&at.data_dir)?).await?;
            let written = store.import_postcodes(&rows).await?;
            println!(
                "Imported {written} postcodes from {}; {} skipped (no location, or no longer in use){}.",
                file.display(),
                summary.skipped,
                if errors.is_empty() {
                    String::new()
                } else {
                    format!("; {} rows rejected:{}", summary.rejected, report(&errors))
                }
            );
            Ok(())
        }
    }
}
