//! `together directory`: import another directory's Open Referral UK 3.0 feed (crawled page by
//! page from its API, or read from a file) and export ours. An import reads and checks the
//! whole feed first and keeps it in one transaction, so a feed that breaks half-way leaves
//! nothing half-done; a service that cannot be a listing is skipped and reported, with why.

use crate::import::pick_pcn;
use crate::instance::{cli_audit, open_store, FileSettings};
use crate::Location;
use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use std::path::PathBuf;
use together_core::audit::AuditAction;
use together_formats::oruk::{page, ImportedService};
use together_store::directory::DirectoryFilter;

/// The most a single answer from a feed may be: a page of services is a few hundred kilobytes.
const MAX_RESPONSE_BYTES: usize = 20 * 1024 * 1024;
/// The most services one import keeps.
const MAX_SERVICES: usize = 100_000;

#[derive(clap::Subcommand)]
pub enum DirectoryCommand {
    /// Import another directory's ORUK 3.0 feed as listings kept by the PCN's team: SOURCE is
    /// the feed's address (ending /api/oruk or similar; its /services pages are crawled) or a
    /// file (a page of services, a list of them, or what `together directory export` writes).
    /// Importing again changes only what changed.
    Import {
        #[command(flatten)]
        at: Location,
        source: String,
        /// The PCN that keeps the listings (needed when the instance serves several).
        #[arg(long)]
        pcn: Option<String>,
        /// Stop after this many pages (the import keeps what it read and says it stopped).
        #[arg(long, default_value_t = 1000)]
        max_pages: u32,
        /// Services asked for per page.
        #[arg(long, default_value_t = 50)]
        per_page: u32,
    },
    /// Write every published service of the directory, whole, as ORUK 3.0 JSON (one page
    /// holding them all, which `together directory import` reads back).
    Export {
        #[command(flatten)]
        at: Location,
        /// Where to write it (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub async fn run(cmd: DirectoryCommand) -> Result<()> {
    match cmd {
        DirectoryCommand::Import {
            at,
            source,
            pcn,
            max_pages,
            per_page,
        } => import(&at, &source, pcn.as_deref(), max_pages, per_page).await,
        DirectoryCommand::Export { at, out } => export(&at, out).await,
    }
}

/// What was read from a feed, and what was not.
#[derive(Default)]
struct Read {
    services: Vec<ImportedService>,
    skipped: Vec<String>,
    notes: Vec<String>,
    stopped: Option<String>,
}

/// Fetches one address, refusing an answer that is not a success or is too big.
async fn fetch(client: &reqwest::Client, url: &str) -> Result<Vec<u8>> {
    let mut res = client
        .get(url)
        .header("Accept", "application/json")
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    if !res.status().is_success() {
        bail!("{url} answered {}", res.status());
    }
    if res
        .content_length()
        .is_some_and(|n| n as usize > MAX_RESPONSE_BYTES)
    {
        bail!(
            "{url} is bigger than {} MB",
            MAX_RESPONSE_BYTES / 1024 / 1024
        );
    }
    let mut body = Vec::new();
    while let Some(chunk) = res
        .chunk()
        .await
        .with_context(|| format!("reading {url}"))?
    {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_RESPONSE_BYTES {
            bail!(
                "{url} is bigger than {} MB",
                MAX_RESPONSE_BYTES / 1024 / 1024
            );
        }
    }
    Ok(body)
}

/// Checks each service of a page, keeping the good and naming the rest.
fn take(contents: Vec<Value>, read: &mut Read) {
    for v in contents {
        let label = format!(
            "{} ({})",
            v.get("name").and_then(Value::as_str).unwrap_or("no name"),
            v.get("id").and_then(Value::as_str).unwrap_or("no id")
        );
        match together_formats::oruk::service(&v) {
            Ok(s) => {
                read.notes
                    .extend(s.notes.iter().map(|n| format!("{label}: {n}")));
                if read.services.iter().any(|x| x.source_id == s.source_id) {
                    read.skipped
                        .push(format!("{label}: listed twice in the feed; kept once"));
                } else {
                    read.services.push(s);
                }
            }
            Err(why) => read.skipped.push(format!("{label}: {why}")),
        }
    }
}

/// Crawls a feed's /services pages, fetching each service whole when the list is a summary.
async fn crawl(base: &str, max_pages: u32, per_page: u32) -> Result<Read> {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .user_agent(concat!("Together/", env!("CARGO_PKG_VERSION")))
        .build()?;
    let base = base.trim_end_matches('/');
    let mut read = Read::default();
    let bar = ProgressBar::new(1);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] page {pos}/{len}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message("Reading the feed");
    let mut number = 1u32;
    loop {
        let url = format!("{base}/services?page={number}&per_page={per_page}");
        let body = fetch(&client, &url).await?;
        let p = page(&body).with_context(|| format!("page {number} ({url})"))?;
        bar.set_length(p.total_pages.max(1) as u64);
        bar.set_position(u64::from(number));
        let mut whole = Vec::new();
        for v in p.contents {
            let summary = v.get("service_at_locations").is_none() && v.get("contacts").is_none();
            match (summary, v.get("id").and_then(Value::as_str)) {
                (true, Some(id)) => {
                    let one = format!("{base}/services/{id}");
                    match fetch(&client, &one)
                        .await
                        .and_then(|b| Ok(serde_json::from_slice::<Value>(&b)?))
                    {
                        Ok(full) => whole.push(full),
                        Err(e) => read
                            .skipped
                            .push(format!("{id}: could not be fetched whole: {e:#}")),
                    }
                }
                _ => whole.push(v),
            }
        }
        take(whole, &mut read);
        if read.services.len() > MAX_SERVICES {
            read.stopped = Some(format!(
                "stopped after {MAX_SERVICES} services: the feed holds more than one import keeps"
            ));
            read.services.truncate(MAX_SERVICES);
            break;
        }
        if i64::from(number) >= p.total_pages {
            break;
        }
        if number >= max_pages {
            read.stopped = Some(format!(
                "stopped after {max_pages} pages of {} (--max-pages)",
                p.total_pages
            ));
            break;
        }
        number += 1;
    }
    bar.finish_and_clear();
    Ok(read)
}

async fn import(
    at: &Location,
    source: &str,
    pcn: Option<&str>,
    max_pages: u32,
    per_page: u32,
) -> Result<()> {
    if !(1..=1000).contains(&per_page) {
        bail!("--per-page must be from 1 to 1000");
    }
    let read = if source.starts_with("http://") || source.starts_with("https://") {
        crawl(source, max_pages, per_page).await?
    } else {
        let meta = std::fs::metadata(source).with_context(|| format!("cannot read {source}"))?;
        if meta.len() as usize > MAX_RESPONSE_BYTES * 10 {
            bail!(
                "{source} is bigger than {} MB",
                MAX_RESPONSE_BYTES * 10 / 1024 / 1024
            );
        }
        let bytes = std::fs::read(source).with_context(|| format!("cannot read {source}"))?;
        let p = page(&bytes).with_context(|| format!("{source} is not an ORUK feed"))?;
        let mut read = Read::default();
        take(p.contents, &mut read);
        if read.services.len() > MAX_SERVICES {
            read.stopped = Some(format!("kept the first {MAX_SERVICES} services only"));
            read.services.truncate(MAX_SERVICES);
        }
        read
    };
    let store = open_store(at, &FileSettings::load(&at.data_dir)?).await?;
    let pcn = pick_pcn(&store, pcn).await?;
    let counts = store
        .import_listings(
            pcn,
            source,
            &read.services,
            &cli_audit(AuditAction::ImportDirectory, "directory", Some(pcn)),
        )
        .await?;
    println!(
        "Imported {source}: {} added, {} changed, {} unchanged, {} skipped.",
        counts.added,
        counts.changed,
        counts.unchanged,
        read.skipped.len()
    );
    if let Some(why) = &read.stopped {
        println!("The import {why}.");
    }
    for s in &read.skipped {
        println!("Skipped {s}");
    }
    for n in &read.notes {
        println!("Note: {n}");
    }
    Ok(())
}

async fn export(at: &Location, out: Option<PathBuf>) -> Result<()> {
    let store = open_store(at, &FileSettings::load(&at.data_dir)?).await?;
    let mut all = Vec::new();
    let mut number = 1;
    loop {
        let (total, rows) = store
            .directory_services(&DirectoryFilter::default(), number, 500)
            .await?;
        all.extend(rows.iter().map(together_app::oruk::service_full));
        if all.len() as i64 >= total || rows.is_empty() {
            break;
        }
        number += 1;
    }
    let n = all.len();
    let body = serde_json::json!({
        "total_items": n,
        "total_pages": 1,
        "page_number": 1,
        "size": n,
        "first_page": true,
        "last_page": true,
        "empty": n == 0,
        "contents": all,
    });
    let text = serde_json::to_string_pretty(&body)?;
    match out {
        Some(path) => {
            std::fs::write(&path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("Wrote {n} services to {}", path.display());
        }
        None => println!("{text}"),
    }
    Ok(())
}
