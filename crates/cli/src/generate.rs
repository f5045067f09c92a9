//! `together generate`: the synthetic neighbourhood, as canonical CSVs (or Synthea CSV, or FHIR
//! NDJSON) an importer reads.

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use together_generate::{generate_as, Format, Params};

/// What `--format` can ask for.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum OutputFormat {
    /// The canonical CSVs of docs/formats.md.
    Csv,
    /// Synthea CSV: patients.csv, encounters.csv, conditions.csv (`together import synthea`).
    Synthea,
    /// FHIR R4 NDJSON: Patient.ndjson, Appointment.ndjson, Encounter.ndjson (A&E), for
    /// `together import registrations|appointments|ae FILE --format fhir`.
    Fhir,
}

#[derive(clap::Args, Debug)]
pub struct GenerateArgs {
    /// How many registered people (at most 909,091: the never-issued NHS number range).
    #[arg(long, default_value_t = 10_000)]
    pub patients: u64,
    /// How many practices they are registered with.
    #[arg(long, default_value_t = 3)]
    pub practices: u32,
    /// How many calendar years of appointments.
    #[arg(long, default_value_t = 2)]
    pub years: u32,
    /// The last year generated.
    #[arg(long, default_value_t = 2025)]
    pub end_year: i32,
    /// The same seed always gives the same neighbourhood.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The folder to write registrations.csv, conditions.csv, appointments.csv,
    /// ae_attendances.csv (or Synthea's or FHIR's files) and manifest.json into.
    #[arg(long)]
    pub out: PathBuf,
    /// Which files to write.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: OutputFormat,
}

pub fn run(args: GenerateArgs) -> Result<()> {
    let params = Params {
        patients: args.patients,
        practices: args.practices,
        years: args.years,
        end_year: args.end_year,
        seed: args.seed,
    };
    params.check()?;
    let bar = ProgressBar::new(params.patients);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40.cyan/blue} {human_pos}/{human_len} people · {per_sec} · {eta} left",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let format = match args.format {
        OutputFormat::Csv => Format::Canonical,
        OutputFormat::Synthea => Format::Synthea,
        OutputFormat::Fhir => Format::Fhir,
    };
    let summary = generate_as(&params, format, &args.out, &mut |n| bar.set_position(n))
        .with_context(|| format!("could not generate into {}", args.out.display()))?;
    bar.finish_and_clear();
    println!(
        "Generated {} people, {} appointments, {} A&E attendances and {} conditions ({}–{}) in {}",
        summary.people,
        summary.appointments,
        summary.ae_attendances,
        summary.conditions,
        params.first_year(),
        params.end_year,
        args.out.display()
    );
    Ok(())
}
