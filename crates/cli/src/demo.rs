//! `together demo`: serves Harbourview PCN, the made-up neighbourhood `together-demo` builds,
//! to try Together with.

use crate::instance::{app_state, is_demo, listen, open_store, FileSettings, Keys};
use crate::Location;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use together_core::audit::AuditAction;
use together_core::Clock as _;
use together_core::Role;
use together_demo::Size;
use together_store::DynStore;
use together_web::WebConfig;

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Where to keep the demo (a temporary folder, removed on exit, if not given).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// The port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub listen: String,
    /// Seed for the made-up people, so a demo can be rebuilt exactly.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// One `role email password` line per demo user.
pub const CREDENTIALS_FILE: &str = "demo-credentials.txt";

fn write_credentials(dir: &Path, sign_ins: &[(Role, String, String)]) -> Result<()> {
    let text: String = sign_ins
        .iter()
        .map(|(r, e, p)| format!("{} {e} {p}\n", r.as_str()))
        .collect();
    let path = dir.join(CREDENTIALS_FILE);
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
}

fn read_credentials(dir: &Path) -> Result<Vec<(Role, String, String)>> {
    let path = dir.join(CREDENTIALS_FILE);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let parts: Vec<&str> = l.split_whitespace().collect();
            match parts.as_slice() {
                [r, e, p] => Ok((
                    r.parse::<Role>().map_err(anyhow::Error::msg)?,
                    (*e).to_owned(),
                    (*p).to_owned(),
                )),
                _ => bail!("{} has a damaged line", path.display()),
            }
        })
        .collect()
}

pub async fn run(args: DemoArgs) -> Result<()> {
    let temp;
    let dir = match args.data_dir {
        Some(d) => d,
        None => {
            temp = tempfile::Builder::new()
                .prefix("together-demo-")
                .tempdir()
                .context("cannot create a temporary folder")?;
            temp.path().to_owned()
        }
    };
    let _lock = crate::instance::DirLock::take(&dir, "serve it again")?;
    let at = Location {
        data_dir: dir.clone(),
        database_url: None,
    };
    let fresh = !dir.join("together.sqlite").exists();
    let store = open_store(&at, &FileSettings::default()).await?;
    let sign_ins = if fresh {
        eprintln!("Building the demo neighbourhood in {} …", dir.display());
        let keys = Keys::load(&dir)?;
        let keys = together_demo::Keys {
            pseudonym: &keys.pseudonym,
            index: &keys.index,
        };
        let size = Size {
            seed: args.seed,
            ..Size::DEMO
        };
        let s = together_demo::build(&store, &dir, keys, size).await?;
        write_credentials(&dir, &s)?;
        s
    } else if is_demo(&store).await? {
        read_credentials(&dir)?
    } else {
        bail!(
            "{} holds a real instance; the demo never touches one. Choose another --data-dir",
            dir.display()
        );
    };
    crate::instance::sweep_insight(&store, &dir).await?;
    let listener = listen(&args.listen, args.port).await?;
    let port = listener.local_addr()?.port();
    let host = if args.listen == "127.0.0.1" || args.listen == "localhost" {
        "localhost".to_owned()
    } else {
        args.listen.clone()
    };
    let url = format!("http://{host}:{port}");
    let config = WebConfig {
        demo: true,
        public_url: url.clone(),
        ..WebConfig::default()
    };
    let answer_link = demo_wellbeing_link(&store, &url).await?;
    let state = app_state(store, &dir, config)?;
    println!("Together demo is running at {url}");
    println!(
        "Sign in as any of these (also in {}):",
        dir.join(CREDENTIALS_FILE).display()
    );
    for (role, email, pw) in &sign_ins {
        println!("  {:<12} {:<32} {}", role.as_str(), email, pw);
    }
    if let Some((name, link)) = answer_link {
        println!("To answer as {name} would on their own phone (this link works once): {link}");
    }
    println!("Press Ctrl-C to stop.");
    together_web::serve(state, listener).await?;
    Ok(())
}

/// A fresh one-time link for someone at the singing group, so that whoever tries the demo can
/// see what a person answers on their own phone. Issued each time the demo starts (a link works
/// once); the message it would carry waits in the outbox like any other.
async fn demo_wellbeing_link(store: &DynStore, url: &str) -> Result<Option<(String, String)>> {
    use together_store::connections::ConnectionFilter;
    let Some(pcn) = store.pcns().await?.into_iter().next() else {
        return Ok(None);
    };
    let now = together_core::clock::SystemClock.now();
    let audit =
        crate::instance::cli_audit(AuditAction::SendWellbeingLink, "connection", Some(pcn.id));
    let open = ConnectionFilter {
        open_only: true,
        ..ConnectionFilter::default()
    };
    let connections = store.connections(pcn.id, &open, now.date(), &audit).await?;
    let Some(c) = connections
        .iter()
        .find(|c| c.to_name == "Singing for wellbeing" && c.shared_with_champions)
    else {
        return Ok(None);
    };
    let (link, new) =
        together_app::wellbeing::new_link(url, together_core::wellbeing::Occasion::FollowUp, now);
    store
        .issue_wellbeing_link(pcn.id, c.id, &new, &audit)
        .await?;
    Ok(Some((c.person_label.clone(), link)))
}
