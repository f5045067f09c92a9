//! `together`: the one binary. The command line acts as the machine's operator, who already
//! holds the data directory; what it does is audited as `cli:<user>`.

mod analyse;
mod backup;
mod champions;
mod connections;
mod demo;
mod directory;
mod generate;
mod import;
mod instance;
mod offers;
mod people;
mod postcodes;
mod practices;
mod report;
mod sql;
mod users;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// mimalloc rather than the system allocator: an import makes and frees several small values
/// per row on several threads, and glibc's malloc was a third of its time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "together", version, about = "Together: Collaborative Practice for GP practices, their PCN and their neighbourhood.", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the instance lives and which database it uses (shared by most commands).
#[derive(clap::Args, Clone, Debug)]
pub struct Location {
    /// The data directory: database, keys, backups.
    #[arg(long, env = "TOGETHER_DATA_DIR", default_value = "./together-data")]
    pub data_dir: PathBuf,
    /// A postgres:// URL to use PostgreSQL instead of the SQLite file in the data directory.
    #[arg(long, env = "TOGETHER_DATABASE_URL")]
    pub database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Create a made-up neighbourhood (one PCN, three practices, a user per role) and serve it.
    Demo(demo::DemoArgs),
    /// Write a synthetic neighbourhood (registrations, conditions, appointments, A&E) as CSV.
    Generate(generate::GenerateArgs),
    /// Import a practice's data into Insight (pseudonymised at the door), list or delete imports.
    Import {
        #[command(subcommand)]
        command: import::ImportCommand,
    },
    /// Read-only SQL over the pseudonymised Insight datasets (registrations, appointments,
    /// conditions, ae_attendances).
    Sql(sql::SqlArgs),
    /// Add and list the PCN's practices; record their data-sharing agreements.
    Practices {
        #[command(subcommand)]
        command: practices::PracticesCommand,
    },
    /// Insight's figures on the command line (disclosed for sharing unless --unsuppressed).
    Analyse {
        #[command(subcommand)]
        command: analyse::AnalyseCommand,
    },
    /// Serve Together for real: configured by DIR/together.toml and TOGETHER_* variables.
    Serve(instance::ServeArgs),
    /// Create the first PCN administrator and print a one-time link to choose their password.
    BootstrapAdmin(users::BootstrapArgs),
    /// Import the offers spreadsheet a PCN keeps today.
    Offers {
        #[command(subcommand)]
        command: offers::OffersCommand,
    },
    /// Import another directory's Open Referral UK feed; export ours.
    Directory {
        #[command(subcommand)]
        command: directory::DirectoryCommand,
    },
    /// Import postcode centroids (the ONS Postcode Directory) for finding services by distance.
    Postcodes {
        #[command(subcommand)]
        command: postcodes::PostcodesCommand,
    },
    /// Reports to share: `together report impact` (did it help?).
    Report {
        #[command(subcommand)]
        command: report::ReportCommand,
    },
    /// Count the PCN's connections by what they are to and where they have got to.
    Connections {
        #[command(subcommand)]
        command: connections::ConnectionsCommand,
    },
    /// Import the people the PCN supports from its spreadsheets.
    People {
        #[command(subcommand)]
        command: people::PeopleCommand,
    },
    /// Import, export and list the PCN's health champions.
    Champions {
        #[command(subcommand)]
        command: champions::ChampionsCommand,
    },
    /// Add, list, disable users; reset passwords; issue API tokens.
    Users {
        #[command(subcommand)]
        command: users::UsersCommand,
    },
    /// Back up everything but the keys (database, Insight files, uploads, settings) into a new
    /// folder, with a manifest of checksums, while Together keeps running.
    Backup {
        #[command(flatten)]
        at: Location,
        /// The folder to write the backup to (must not exist yet).
        #[arg(long)]
        to: PathBuf,
    },
    /// Put a checked backup in place of the instance's data (what was there is kept under
    /// DIR/backups/). Stop the server first.
    Restore {
        #[command(flatten)]
        at: Location,
        /// The backup folder to restore (or a database file from an older release).
        #[arg(long)]
        from: PathBuf,
    },
}

fn main() {
    // Everything this process writes — the database, backups, Parquet, uploads, keys — is
    // readable by Together's own account alone (files 0600, folders 0700).
    // SAFETY: umask only sets the process's file-creation mask; it cannot fail or touch memory.
    unsafe {
        libc::umask(0o077);
    }
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("TOGETHER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // JSON lines for a log collector; plain text for a person at a terminal.
    if std::env::var("TOGETHER_LOG_FORMAT").as_deref() == Ok("json") {
        logs.json().init();
    } else {
        logs.init();
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("together: cannot start: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(run(cli)) {
        // One line a person can act on; no backtrace.
        let chain: Vec<String> = e.chain().map(|c| c.to_string()).collect();
        eprintln!("together: {}", chain.join(": "));
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Demo(args) => demo::run(args).await,
        Command::Serve(args) => instance::serve(args).await,
        Command::Generate(args) => generate::run(args),
        Command::Import { command } => import::run(command).await,
        Command::Analyse { command } => analyse::run(command).await,
        Command::Practices { command } => practices::run(command).await,
        Command::Sql(args) => sql::run(args).await,
        Command::BootstrapAdmin(args) => users::bootstrap(args).await,
        Command::Users { command } => users::run(command).await,
        Command::Champions { command } => champions::run(command).await,
        Command::People { command } => people::run(command).await,
        Command::Connections { command } => connections::run(command).await,
        Command::Report { command } => report::run(command).await,
        Command::Directory { command } => directory::run(command).await,
        Command::Offers { command } => offers::run(command).await,
        Command::Postcodes { command } => postcodes::run(command).await,
        Command::Backup { at, to } => backup::backup(&at, &to).await,
        Command::Restore { at, from } => backup::restore(&at, &from).await,
    }
}
