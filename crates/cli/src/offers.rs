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
use together_core::offers::{NewOffer, OfferForm};
use together_core::recurrence::{Recurrence, ScheduleForm};
use together_core::Clock as _;
use together_formats::offers::{read_offers, OfferRow};
use together_formats::RowError;

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

/// The column of the spreadsheet a form's field is read from.
fn column_of(field: &str) -> &'static str {
    match field {
        "offer_kind" => "kind",
        "offer_status" => "status",
        "taxonomy" => "categories",
        "venue_id" => "venue",
        "lead_role_id" => "lead_role",
        "freq" => "schedule_freq",
        "interval" => "schedule_interval",
        "byday" | "bymonthday" => "schedule_byday",
        "starts_on" => "starts_on",
        "ends_on" => "ends_on",
        "opens_at" => "schedule_opens",
        "closes_at" => "schedule_closes",
        other => together_formats::offers::OFFER_COLUMNS
            .iter()
            .find(|c| **c == other)
            .copied()
            .unwrap_or("name"),
    }
}

/// "Drop-in" → "drop_in"; "running" → "active".
fn key(v: &str) -> String {
    let k = v.trim().to_lowercase().replace([' ', '-'], "_");
    match k.as_str() {
        "running" => "active".into(),
        "loan" | "equipment" => "equipment_loan".into(),
        _ => k,
    }
}

/// Day names as iCalendar's two letters: "Tuesday" → "TU", "2nd Monday" stays as typed.
fn byday(v: &str) -> String {
    v.split([',', ';', ' '])
        .filter(|d| !d.is_empty())
        .map(|d| {
            let low = d.to_lowercase();
            ["mo", "tu", "we", "th", "fr", "sa", "su"]
                .iter()
                .find(|code| low.len() > 2 && low.starts_with(*code))
                .map_or_else(|| d.to_uppercase(), |code| code.to_uppercase())
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn push(errors: &mut Vec<RowError>, line: u64, column: &str, reason: String) {
    errors.push(RowError {
        line,
        column: column.into(),
        reason,
    });
}

struct Names {
    terms: Vec<(String, String, String)>,
    venues: Vec<(String, String)>,
    roles: Vec<(String, String)>,
}

fn find(list: &[(String, String)], name: &str) -> Option<String> {
    list.iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(name.trim()))
        .map(|(id, _)| id.clone())
}

/// One row, checked: the offer and its schedule, or every problem with it.
fn check(
    row: &OfferRow,
    names: &Names,
    today: time::Date,
) -> Result<(NewOffer, Option<Recurrence>), Vec<RowError>> {
    let mut errors = Vec::new();
    let mut fields: Vec<(String, String)> = vec![
        ("offer_kind".into(), key(row.get("kind"))),
        (
            "offer_status".into(),
            match row.get("status") {
                "" => "active".into(),
                s => key(s),
            },
        ),
    ];
    for (column, field) in [
        ("name", "name"),
        ("description", "description"),
        ("eligibility", "eligibility"),
        ("minimum_age", "minimum_age"),
        ("maximum_age", "maximum_age"),
        ("capacity", "capacity"),
        ("helpers_needed", "helpers_needed"),
        ("cost", "cost"),
        ("accessibility", "accessibility"),
        ("contact_name", "contact_name"),
        ("phone", "phone"),
        ("email", "email"),
        ("url", "url"),
        ("starts_on", "starts_on"),
        ("ends_on", "ends_on"),
    ] {
        fields.push((field.into(), row.get(column).into()));
    }
    for c in row
        .get("categories")
        .split([';', ','])
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        match names
            .terms
            .iter()
            .find(|(_, code, name)| code.eq_ignore_ascii_case(c) || name.eq_ignore_ascii_case(c))
        {
            Some((id, _, _)) => fields.push(("taxonomy".into(), id.clone())),
            None => push(
                &mut errors,
                row.line,
                "categories",
                format!(
                    "'{c}' is not one of the directory's categories ({})",
                    names
                        .terms
                        .iter()
                        .map(|t| t.1.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        }
    }
    if !row.get("venue").is_empty() {
        match find(&names.venues, row.get("venue")) {
            Some(id) => fields.push(("venue_id".into(), id)),
            None => push(
                &mut errors,
                row.line,
                "venue",
                format!(
                    "there is no venue called '{}': add it on the Partners page first",
                    row.get("venue")
                ),
            ),
        }
    }
    if !row.get("lead_role").is_empty() {
        match find(&names.roles, row.get("lead_role")) {
            Some(id) => fields.push(("lead_role_id".into(), id)),
            None => push(
                &mut errors,
                row.line,
                "lead_role",
                format!(
                    "there is no champion role called '{}'",
                    row.get("lead_role")
                ),
            ),
        }
    }
    let offer = OfferForm::from_fields(&fields).parse();
    let has_schedule = [
        "schedule_freq",
        "schedule_byday",
        "schedule_opens",
        "schedule_closes",
    ]
    .iter()
    .any(|c| !row.get(c).is_empty());
    let schedule = if has_schedule {
        let (freq, interval) = match key(row.get("schedule_freq")).as_str() {
            "fortnightly" => ("WEEKLY".to_owned(), "2".to_owned()),
            f => (f.to_uppercase(), row.get("schedule_interval").to_owned()),
        };
        let starts = [row.get("schedule_starts_on"), row.get("starts_on")]
            .into_iter()
            .find(|d| !d.is_empty())
            .map_or_else(|| today.to_string(), str::to_owned);
        let form = ScheduleForm {
            freq,
            interval,
            byday: byday(row.get("schedule_byday")),
            starts_on: starts,
            ends_on: row.get("schedule_ends_on").into(),
            opens_at: row.get("schedule_opens").into(),
            closes_at: row.get("schedule_closes").into(),
            ..ScheduleForm::default()
        };
        match form.parse() {
            Ok(r) => Some(r),
            Err(es) => {
                for e in es {
                    push(
                        &mut errors,
                        row.line,
                        if e.field == "starts_on" {
                            "schedule_starts_on"
                        } else {
                            column_of(e.field)
                        },
                        e.message,
                    );
                }
                None
            }
        }
    } else {
        None
    };
    match offer {
        Ok(o) if errors.is_empty() => {
            if let Some(r) = &schedule {
                if let Some(why) = o.outside_season(r.dtstart) {
                    return Err(vec![RowError {
                        line: row.line,
                        column: "schedule_starts_on".into(),
                        reason: why,
                    }]);
                }
            }
            Ok((o, schedule))
        }
        Ok(_) => Err(errors),
        Err(es) => {
            for e in es {
                push(&mut errors, row.line, column_of(e.field), e.message);
            }
            Err(errors)
        }
    }
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
            let names = Names {
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
            let mut checked = Vec::new();
            for row in &rows {
                match check(row, &names, today) {
                    Ok(c) => checked.push(c),
                    Err(es) => errors.extend(es),
                }
            }
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
