//! Writing the canonical CSVs of DESIGN.md section 5 (the contract in docs/formats.md), plus
//! manifest.json with the parameters. Files are written under temporary names and renamed only
//! when complete, so a stopped run never leaves a dataset that looks whole.

use crate::model::{person, practices, Params, ParamsError, TestNumbers};
use serde::Serialize;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use thiserror::Error;
use time::{Date, PrimitiveDateTime};

#[derive(Debug, Error)]
pub enum GenerateError {
    #[error(transparent)]
    Params(#[from] ParamsError),
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write CSV: {0}")]
    Csv(#[from] csv::Error),
}

/// What was generated.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub people: u64,
    pub appointments: u64,
    pub ae_attendances: u64,
    pub conditions: u64,
}

const FILES: [(&str, &[&str]); 4] = [
    (
        "registrations.csv",
        &[
            "nhs_number",
            "ods_code",
            "given_name",
            "family_name",
            "date_of_birth",
            "sex",
            "mobile",
            "imd_quintile",
            "registered_from",
            "registered_to",
            "date_of_death",
            "opt_out",
        ],
    ),
    (
        "conditions.csv",
        &["nhs_number", "condition", "code", "recorded_on"],
    ),
    (
        "appointments.csv",
        &[
            "nhs_number",
            "ods_code",
            "booked_at",
            "starts_at",
            "status",
            "slot_type",
            "clinician_role",
            "mode",
        ],
    ),
    (
        "ae_attendances.csv",
        &["nhs_number", "arrived_at", "discharge_destination"],
    ),
];

fn date(d: Date) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    d.format(f).unwrap_or_default()
}

/// Local (Europe/London) wall-clock time, as practices' systems record it.
fn datetime(t: PrimitiveDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    t.format(f).unwrap_or_default()
}

fn partial(out: &Path, name: &str) -> PathBuf {
    out.join(format!(".{name}.partial"))
}

/// Generates the neighbourhood into `out`, calling `progress` with the number of people done.
pub fn generate(
    params: &Params,
    out: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<Summary, GenerateError> {
    params.check()?;
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| GenerateError::Io { path, source }
    };
    std::fs::create_dir_all(out).map_err(io(out))?;
    let mut writers = Vec::new();
    for (name, header) in FILES {
        let path = partial(out, name);
        let file = File::create(&path).map_err(io(&path))?;
        let mut w = csv::Writer::from_writer(BufWriter::with_capacity(1 << 20, file));
        w.write_record(header)?;
        writers.push(w);
    }
    let [reg, cond, appt, ae] = &mut writers[..] else {
        unreachable!("four files are opened above")
    };
    let practices = practices(params);
    let mut numbers = TestNumbers::new();
    let mut summary = Summary::default();
    for index in 0..params.patients {
        let Some(nhs) = numbers.next() else { break };
        let p = person(params, &practices, index, nhs);
        let quintile = p.imd_quintile.to_string();
        reg.write_record([
            p.nhs_number.as_str(),
            &p.ods_code,
            p.given_name,
            p.family_name,
            &date(p.date_of_birth),
            p.sex,
            &p.mobile,
            &quintile,
            &date(p.registered_from),
            &p.registered_to.map(date).unwrap_or_default(),
            &p.date_of_death.map(date).unwrap_or_default(),
            if p.opt_out { "true" } else { "false" },
        ])?;
        for (name, code, on) in &p.conditions {
            cond.write_record([p.nhs_number.as_str(), name, code, &date(*on)])?;
        }
        for a in &p.appointments {
            appt.write_record([
                p.nhs_number.as_str(),
                &p.ods_code,
                &datetime(a.booked_at),
                &datetime(a.starts_at),
                a.status,
                a.slot_type,
                a.clinician_role,
                a.mode,
            ])?;
        }
        for (at, destination) in &p.ae {
            ae.write_record([p.nhs_number.as_str(), &datetime(*at), destination])?;
        }
        summary.people += 1;
        summary.conditions += p.conditions.len() as u64;
        summary.appointments += p.appointments.len() as u64;
        summary.ae_attendances += p.ae.len() as u64;
        if index % 1000 == 999 {
            progress(summary.people);
        }
    }
    progress(summary.people);
    for mut w in writers {
        w.flush().map_err(io(out))?;
    }
    for (name, _) in FILES {
        let from = partial(out, name);
        std::fs::rename(&from, out.join(name)).map_err(io(&from))?;
    }
    let manifest = serde_json::json!({
        "generator": "together generate",
        "version": env!("CARGO_PKG_VERSION"),
        "format": "canonical-csv",
        "parameters": params,
        "period": { "from": date(params.period_start()), "to": date(params.period_end()) },
        "practices": practices,
        "counts": summary,
        "model": {
            "consultation_rate": "base(age, sex) × (1 + conditions) × deprivation × persistent Gamma(shape 1.5, mean 1) × yearly Gamma(shape 1.8, mean 1); appointments ~ Poisson",
            "ae_rate": "0.22/year × age × deprivation × persistent Gamma(shape 0.3, mean 1) × yearly Gamma(shape 2, mean 1)",
            "nhs_numbers": "the never-issued test range 999 000 0000–999 999 9999",
            "times": "local Europe/London wall-clock time, YYYY-MM-DDTHH:MM:SS"
        }
    });
    let path = out.join("manifest.json");
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(&manifest).unwrap_or_default(),
    )
    .map_err(io(&path))?;
    Ok(summary)
}
