//! `together analyse`: Insight's figures on the command line, disclosed for sharing unless the
//! operator says `--unsuppressed`.

use crate::import::pick_pcn;
use crate::instance::{cli_audit, open_store, FileSettings};
use crate::Location;
use anyhow::{bail, Context, Result};
use clap::{Subcommand, ValueEnum};
use together_core::audit::AuditAction;
use together_core::disclosure::Audience;
use together_core::export::neutralise;
use together_core::people::parse_date;
use together_core::Clock as _;
use together_core::PcnId;
use together_insight::frequent::{frequent, Definition};
use together_insight::profile::{pooled_practices, profile, CountingRule, Scope, ShownProfile};
use together_insight::Tables;
use together_store::DynStore;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
    /// A self-contained HTML report a practice can share (the attendance profile; the other
    /// analyses print their table).
    Html,
}

/// What every analysis is run on: the instance, the period and the practices.
#[derive(clap::Args, Debug)]
pub struct Period {
    #[command(flatten)]
    pub at: Location,
    /// First day of the period (YYYY-MM-DD).
    #[arg(long)]
    pub from: String,
    /// Last day of the period (YYYY-MM-DD).
    #[arg(long)]
    pub to: String,
    /// A practice's ODS code; repeat for several. Without it: every practice with a
    /// data-sharing agreement recorded.
    #[arg(long = "practice")]
    pub practices: Vec<String>,
    /// Which PCN, when the instance serves more than one.
    #[arg(long)]
    pub pcn: Option<String>,
}

/// A period and practices, and how the figures are written.
#[derive(clap::Args, Debug)]
pub struct Selection {
    #[command(flatten)]
    pub period: Period,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Exact counts (for the operator's own use; the default output is fit for sharing).
    #[arg(long)]
    pub unsuppressed: bool,
}

#[derive(Subcommand, Debug)]
pub enum AnalyseCommand {
    /// High intensity use of A&E: people with at least --threshold attendances in the period.
    Hiu {
        #[command(flatten)]
        selection: Selection,
        /// A&E attendances in the period that make someone a high intensity user.
        #[arg(long, default_value_t = together_insight::hiu::DEFAULT_THRESHOLD)]
        threshold: u64,
    },
    /// Who really uses the appointments: shares, Gini, age bands, months, roles, modes.
    Profile(Selection),
    /// A saved cohort (built on the Insight page): its definition, size and shape now.
    Cohort {
        #[command(flatten)]
        at: Location,
        /// The cohort's name, as saved.
        name: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Exact counts (for the operator's own use; the default output is fit for sharing).
        #[arg(long)]
        unsuppressed: bool,
        #[arg(long)]
        pcn: Option<String>,
    },
    /// A pseudonymised extract for analysts: each dataset as Parquet and CSV, with a data
    /// dictionary, for the period and practices (people with a national data opt-out left out
    /// when pooled).
    Extract {
        #[command(flatten)]
        period: Period,
        /// The folder to write (must not exist yet).
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Frequent attenders: how many, their share of appointments, persistence, conditions.
    Frequent {
        #[command(flatten)]
        selection: Selection,
        /// Frequent means at least this many appointments in the period…
        #[arg(long, conflicts_with = "top_percent")]
        threshold: Option<u64>,
        /// …or being in the top X% of attenders within one's age band and sex (default 10).
        #[arg(long)]
        top_percent: Option<f64>,
    },
}

/// The period, practices and tables an analysis runs on, resolved and checked.
async fn prepare(sel: &Period) -> Result<(DynStore, PcnId, Tables, Scope)> {
    let (at, practices, pcn) = (&sel.at, sel.practices.clone(), sel.pcn.as_deref());
    let (Some(from), Some(to)) = (parse_date(&sel.from), parse_date(&sel.to)) else {
        bail!("--from and --to must be dates like 2025-01-01");
    };
    if from > to {
        bail!("--from ({from}) is after --to ({to})");
    }
    let store = open_store(at, &FileSettings::load(&at.data_dir)?).await?;
    let pcn = pick_pcn(&store, pcn).await?;
    let known = store.practices(pcn).await?;
    let practices = if practices.is_empty() {
        pooled_practices(&known)
    } else {
        for p in &practices {
            if !known
                .iter()
                .any(|k| k.ods_code.as_str() == p.to_uppercase())
            {
                bail!("{p} is not a practice of this PCN");
            }
        }
        let named: Vec<String> = practices.iter().map(|p| p.to_uppercase()).collect();
        if named.len() > 1 {
            // Pooling is for practices that agreed to it, whoever asks.
            let pooled = pooled_practices(&known);
            if let Some(p) = named.iter().find(|p| !pooled.contains(p)) {
                bail!("{p} has no data-sharing agreement recorded, so its figures cannot be pooled with others'; analyse it on its own, or record its agreement first");
            }
        }
        named
    };
    if practices.is_empty() {
        bail!("no practice has a data-sharing agreement recorded; name one with --practice");
    }
    let tables = Tables::open(&store, &at.data_dir, pcn).await?;
    let rule = CountingRule::of(&store, pcn).await?;
    Ok((
        store,
        pcn,
        tables,
        Scope {
            from,
            to,
            practices,
            rule,
        },
    ))
}

async fn audit(
    store: &DynStore,
    pcn: PcnId,
    action: together_core::audit::AuditAction,
    scope: &Scope,
    unsuppressed: bool,
) -> Result<()> {
    let mut audit = cli_audit(action, "insight", Some(pcn));
    audit.resource_id = Some(format!(
        "{}..{} {}",
        scope.from,
        scope.to,
        scope.practices.join(",")
    ));
    audit.reason = unsuppressed.then(|| "unsuppressed".to_owned());
    Ok(store.audit(&audit).await?)
}

fn audience(unsuppressed: bool) -> Audience {
    if unsuppressed {
        Audience::Unsuppressed
    } else {
        Audience::Suppressed
    }
}

pub async fn run(cmd: AnalyseCommand) -> Result<()> {
    match cmd {
        AnalyseCommand::Cohort {
            at,
            name,
            format,
            unsuppressed,
            pcn,
        } => {
            let store = open_store(&at, &FileSettings::load(&at.data_dir)?).await?;
            let pcn = pick_pcn(&store, pcn.as_deref()).await?;
            let saved = store.cohorts(pcn).await?;
            let Some(record) = saved.iter().find(|c| c.name.eq_ignore_ascii_case(&name)) else {
                let names: Vec<&str> = saved.iter().map(|c| c.name.as_str()).collect();
                bail!(
                    "no cohort is called {name}; saved cohorts: {}",
                    if names.is_empty() {
                        "none yet (build one on the Insight page)".to_owned()
                    } else {
                        names.join(", ")
                    }
                );
            };
            let definition: together_insight::cohort::CohortDefinition =
                serde_json::from_str(&record.definition)
                    .with_context(|| format!("the cohort {name} cannot be read"))?;
            let tables = Tables::open(&store, &at.data_dir, pcn).await?;
            let rule = CountingRule::of(&store, pcn).await?;
            let cohort = together_insight::cohort::evaluate(&tables, &definition, &rule)
                .await
                .context("the analysis failed")?;
            let mut event = cli_audit(AuditAction::AnalyseCohort, "cohort", Some(pcn));
            event.resource_id = Some(record.id.clone());
            event.reason = unsuppressed.then(|| "unsuppressed".to_owned());
            store.audit(&event).await?;
            let shown = cohort.shown(audience(unsuppressed));
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&shown)?),
                Format::Csv | Format::Table | Format::Html => {
                    println!("{}: {}", record.name, shown.description);
                    println!("  {} people of {} registered", shown.size, shown.registered);
                    for (title, groups) in [
                        ("by practice", &shown.by_practice),
                        ("by age", &shown.by_age),
                        ("by sex", &shown.by_sex),
                    ] {
                        println!("  {title}:");
                        for g in groups {
                            println!("    {:<8} {:>8}", g.label, g.people.to_string());
                        }
                    }
                    println!("{}", shown.counting_rule);
                    if let Some(rule) = shown.disclosure {
                        println!("{rule}");
                    }
                }
            }
        }
        AnalyseCommand::Extract { period, out } => {
            if out.exists() {
                bail!("{} already exists: name a new folder", out.display());
            }
            let (store, pcn, tables, scope) = prepare(&period).await?;
            let written = together_insight::analyst::extract(&tables, &scope, &out)
                .await
                .context("the extract failed")?;
            audit(
                &store,
                pcn,
                together_core::audit::AuditAction::Extract,
                &scope,
                true,
            )
            .await?;
            println!(
                "Wrote a pseudonymised extract for {}, {} to {}, to {}:",
                scope.practices.join(", "),
                scope.from,
                scope.to,
                out.display()
            );
            for (dataset, rows) in written {
                println!("  {:<15} {rows} rows (.parquet and .csv)", dataset.name());
            }
            println!("  DATA-DICTIONARY.md says what every column means.");
        }
        AnalyseCommand::Profile(sel) => {
            let (format, unsuppressed) = (sel.format, sel.unsuppressed);
            let (store, pcn, tables, scope) = prepare(&sel.period).await?;
            let p = profile(&tables, &scope)
                .await
                .context("the analysis failed")?;
            audit(
                &store,
                pcn,
                together_core::audit::AuditAction::AnalyseProfile,
                &scope,
                unsuppressed,
            )
            .await?;
            let shown = p.shown(audience(unsuppressed));
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&shown)?),
                Format::Csv => print!("{}", csv_text(&shown)?),
                Format::Table => print!("{}", table(&shown)),
                Format::Html => print!(
                    "{}",
                    together_web::report::profile_report(
                        &p,
                        audience(unsuppressed),
                        together_core::clock::SystemClock.now().date()
                    )?
                ),
            }
        }
        AnalyseCommand::Hiu {
            selection: sel,
            threshold,
        } => {
            let (format, unsuppressed) = (sel.format, sel.unsuppressed);
            if threshold == 0 {
                bail!("--threshold must be at least 1");
            }
            let (store, pcn, tables, scope) = prepare(&sel.period).await?;
            let h = together_insight::hiu::hiu(&tables, &scope, threshold)
                .await
                .context("the analysis failed")?;
            audit(
                &store,
                pcn,
                together_core::audit::AuditAction::AnalyseHiu,
                &scope,
                unsuppressed,
            )
            .await?;
            let shown = h.shown(audience(unsuppressed));
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&shown)?),
                Format::Csv | Format::Table | Format::Html => {
                    println!("High intensity use of A&E: {}", shown.definition);
                    println!(
                        "  {} of {} people registered; {} went to A&E at all, {} attendances",
                        shown.people, shown.registered, shown.attenders, shown.attendances
                    );
                    if let Some(share) = shown.share {
                        println!(
                            "  they hold {:.1}% of the attendances ({}); {} were high intensity users the year before too",
                            share * 100.0,
                            shown.attendances_held,
                            shown.persistent
                        );
                    }
                    if let Some(m) = shown.gp_mean_hiu {
                        println!(
                            "  GP appointments per person: {m:.1}, against {:.1} for everyone",
                            shown.gp_mean_everyone
                        );
                    }
                    println!("  by age (people / attendances):");
                    for (band, people, n) in &shown.by_age {
                        println!(
                            "    {band:<6} {:>8} {:>10}",
                            people.to_string(),
                            n.to_string()
                        );
                    }
                    if let Some(rule) = shown.disclosure {
                        println!("{rule}");
                    }
                }
            }
        }
        AnalyseCommand::Frequent {
            selection: sel,
            threshold,
            top_percent,
        } => {
            let (format, unsuppressed) = (sel.format, sel.unsuppressed);
            let definition = match (threshold, top_percent) {
                (Some(n), _) => Definition::AtLeast(n),
                (None, Some(p)) if p > 0.0 && p <= 100.0 => Definition::TopPercentWithinAgeSex(p),
                (None, Some(_)) => bail!("--top-percent must be more than 0 and at most 100"),
                (None, None) => Definition::TopPercentWithinAgeSex(10.0),
            };
            let (store, pcn, tables, scope) = prepare(&sel.period).await?;
            let f = frequent(&tables, &scope, definition)
                .await
                .context("the analysis failed")?;
            audit(
                &store,
                pcn,
                together_core::audit::AuditAction::AnalyseFrequent,
                &scope,
                unsuppressed,
            )
            .await?;
            let shown = f.shown(audience(unsuppressed));
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&shown)?),
                Format::Csv | Format::Table | Format::Html => {
                    println!(
                        "Frequent attenders ({}), {} to {}",
                        shown.definition, scope.from, scope.to
                    );
                    println!("  {} of {} people, holding {:.1}% of appointments ({}); {} were frequent the year before too", shown.people, shown.registered, shown.share * 100.0, shown.appointments_held, shown.persistent);
                    for c in &shown.conditions {
                        let pct = |s: Option<f64>| {
                            s.map(|s| format!("{:.1}%", s * 100.0))
                                .unwrap_or_else(|| "not shown".into())
                        };
                        println!(
                            "  {:<24} {:>9} of frequent attenders, {:>9} of everyone",
                            c.condition,
                            pct(c.frequent_share),
                            pct(c.everyone_share)
                        );
                    }
                    if let Some(rule) = shown.disclosure {
                        println!("{rule}");
                    }
                }
            }
        }
    }
    Ok(())
}

/// One row per figure: section, label, value. Text cells are neutralised against spreadsheet
/// formula injection.
fn csv_text(p: &ShownProfile) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["section", "label", "value"])?;
    let mut row = |a: &str, b: &str, c: String| w.write_record([a, &neutralise(b), &c]);
    row("summary", "people registered", p.registered.to_string())?;
    row("summary", "appointments", p.appointments.to_string())?;
    row("summary", "mean per person", format!("{:.2}", p.mean))?;
    row("summary", "median per person", format!("{:.1}", p.median))?;
    row("summary", "gini", format!("{:.3}", p.gini))?;
    row(
        "summary",
        "did not attend rate",
        format!("{:.4}", p.dna_rate),
    )?;
    for (k, s) in &p.top_shares {
        row("top share", &format!("top {k}%"), format!("{s:.4}"))?;
    }
    for g in &p.by_age {
        row("age people", &g.label, g.people.to_string())?;
        row("age appointments", &g.label, g.appointments.to_string())?;
    }
    for (m, c) in &p.monthly {
        row("month", m, c.to_string())?;
    }
    for (r, c) in &p.roles {
        row("role", r, c.to_string())?;
    }
    for (m, c) in &p.modes {
        row("mode", m, c.to_string())?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

fn table(p: &ShownProfile) -> String {
    let mut out = format!(
        "Attendance profile, {} to {}, practices {}\n",
        p.from,
        p.to,
        p.practices.join(", ")
    );
    out += &format!("  people registered   {}\n  appointments        {}\n  per person          mean {:.1}, median {:.1}\n  Gini                {:.2}\n  did not attend      {:.1}%\n", p.registered, p.appointments, p.mean, p.median, p.gini, p.dna_rate * 100.0);
    for (k, s) in &p.top_shares {
        out += &format!(
            "  top {k:>2}% of people hold {:.1}% of appointments\n",
            s * 100.0
        );
    }
    out += "  by age (people / appointments):\n";
    for g in &p.by_age {
        out += &format!(
            "    {:<6} {:>8} {:>10}\n",
            g.label,
            g.people.to_string(),
            g.appointments.to_string()
        );
    }
    out += &format!("{}\n{}\n", p.basis, p.counting_rule);
    if let Some(rule) = p.disclosure {
        out += &format!("{rule}\n");
    }
    out
}
