//! `together generate`: the synthetic neighbourhood, as canonical CSVs (or Synthea CSV, or FHIR
//! NDJSON) an importer reads.

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use together_generate::{generate_as, Format, Params, Plant};

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
    /// Plant connections with this true effect on attendance (−0.2: a fall of a fifth) among
    /// people with high recent attendance, written to connections.csv — a known answer for
    /// the impact evaluation. Needs three years or more and the canonical CSVs.
    #[arg(long, allow_hyphen_values = true)]
    pub plant_effect: Option<f64>,
    /// With --plant-effect: a different true effect on A&E attendances (the same as on GP
    /// appointments when not given).
    #[arg(long, allow_hyphen_values = true, requires = "plant_effect")]
    pub plant_ae_effect: Option<f64>,
    /// With --plant-effect: the chance that someone with high recent attendance is connected.
    #[arg(long, default_value_t = 0.5, requires = "plant_effect")]
    pub plant_share: f64,
}

pub fn run(args: GenerateArgs) -> Result<()> {
    let params = Params {
        patients: args.patients,
        practices: args.practices,
        years: args.years,
        end_year: args.end_year,
        seed: args.seed,
        plant: args.plant_effect.map(|effect| Plant {
            effect,
            ae_effect: args.plant_ae_effect.unwrap_or(effect),
            share: args.plant_share,
        }),
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
    if params.plant.is_some() {
        println!(
            "Planted {} connections ({})",
            summary.connections,
            together_generate::PLANTED_CONNECTIONS
        );
    }
    Ok(())
}
