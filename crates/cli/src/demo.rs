//! `together demo`: a made-up neighbourhood to try Together with. Everyone in it is invented;
//! NHS numbers come from 999 000 0000–999 999 9999, a range never issued, and phone numbers
//! from Ofcom's range for drama (07700 900000–900999).

use crate::instance::{app_state, cli_audit, is_demo, listen, open_store, FileSettings};
use crate::Location;
use anyhow::{bail, Context, Result};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};
use time::{Date, Month, OffsetDateTime};
use together_core::password::hash_password;
use together_core::people::{ConsentMethod, ConsentPurpose, PersonForm};
use together_core::{NhsNumber, PracticeId, PseudonymKey, Role, UserId};
use together_store::{DynStore, NewUser, UserStatus};
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

const PCN: &str = "Harbourview PCN";
const PRACTICES: [(&str, &str, &str, &str); 3] = [
    (
        "B99001",
        "Quayside Surgery",
        "Quayside Surgery",
        "1 Quay Street, Harbourview HV1 1AA",
    ),
    (
        "B99002",
        "Harbour Lane Medical Centre",
        "Harbour Lane",
        "42 Harbour Lane, Harbourview HV2 3BB",
    ),
    (
        "B99003",
        "St Anne's Practice",
        "St Anne's Health Centre",
        "7 Church Road, Harbourview HV3 5CC",
    ),
];
const USERS: [(Role, &str, &str); 6] = [
    (Role::PcnAdmin, "admin@harbourview.example", "Priya Shah"),
    (Role::Clinician, "gp@harbourview.example", "Dr Ada Okafor"),
    (
        Role::LinkWorker,
        "linkworker@harbourview.example",
        "Sam Reid",
    ),
    (Role::Analyst, "analyst@harbourview.example", "Tom Hughes"),
    (Role::Champion, "champion@harbourview.example", "Dave Marsh"),
    (Role::Partner, "partner@harbourview.example", "Mel Carter"),
];
const GIVEN: [&str; 16] = [
    "Florence", "Arthur", "Maya", "Kwame", "Joan", "Tariq", "Elsie", "Callum", "Grace", "Nadia",
    "Harold", "Priya", "Owen", "Mabel", "Iqbal", "Rosa",
];
const FAMILY: [&str; 12] = [
    "Ashworth",
    "Bennett",
    "Chowdhury",
    "Doyle",
    "Evans",
    "Fraser",
    "Gill",
    "Hughes",
    "Iqbal",
    "Jones",
    "Kowalski",
    "Lloyd",
];
const WORDS: [&str; 16] = [
    "harbour", "kettle", "violin", "orchard", "lantern", "meadow", "pebble", "compass", "thistle",
    "saucer", "ribbon", "walnut", "beacon", "puffin", "teacup", "heron",
];

/// One `role email password` line per demo user.
pub const CREDENTIALS_FILE: &str = "demo-credentials.txt";

fn password(rng: &mut impl Rng) -> String {
    let w: Vec<&str> = (0..3)
        .map(|_| WORDS[rng.gen_range(0..WORDS.len())])
        .collect();
    format!("{}-{}-{}-{}", w[0], w[1], w[2], rng.gen_range(10..100))
}

/// A valid NHS number in the never-issued test range.
fn test_nhs_number(rng: &mut StdRng) -> NhsNumber {
    loop {
        let stem: String = format!("999{:06}", rng.gen_range(0..1_000_000));
        let sum: u32 = stem
            .chars()
            .enumerate()
            .map(|(i, c)| c.to_digit(10).unwrap_or(0) * (10 - i as u32))
            .sum();
        let check = match 11 - sum % 11 {
            11 => 0,
            10 => continue,
            c => c,
        };
        if let Ok(n) = format!("{stem}{check}").parse() {
            return n;
        }
    }
}

async fn build(store: &DynStore, dir: &Path, seed: u64) -> Result<Vec<(Role, String, String)>> {
    let now = OffsetDateTime::now_utc();
    let audit = |action: &str, pcn| cli_audit(action, "demo", Some(pcn));
    let pcn = store.create_pcn(PCN, Some("U99001"), now).await?;
    let mut practices: Vec<PracticeId> = Vec::new();
    for (code, name, site, address) in PRACTICES {
        let id = store
            .add_practice(pcn, &code.parse()?, name, &audit("add_practice", pcn), now)
            .await?;
        store
            .add_site(pcn, id, site, address, &audit("add_site", pcn), now)
            .await?;
        practices.push(id);
    }
    let mut sign_ins = Vec::new();
    let mut ids: Vec<(Role, UserId)> = Vec::new();
    let mut secret_rng = StdRng::from_entropy();
    for (role, email, name) in USERS {
        let pw = password(&mut secret_rng);
        let new = NewUser {
            pcn_id: pcn,
            email: email.parse()?,
            display_name: name.into(),
            role,
            practice_id: role.needs_practice().then(|| practices[0]),
            status: UserStatus::Active,
            password_hash: Some(hash_password(&pw)?),
        };
        ids.push((
            role,
            store
                .create_user(&new, &audit("add_user", pcn), now)
                .await?,
        ));
        sign_ins.push((role, email.to_owned(), pw));
    }
    let key = PseudonymKey::new(
        1,
        crate::instance::key(dir, "pseudonym-v1.key", "TOGETHER_PSEUDONYM_KEY")?,
    )?;
    let link_worker = ids
        .iter()
        .find(|(r, _)| *r == Role::LinkWorker)
        .map(|(_, id)| *id);
    let mut rng = StdRng::seed_from_u64(seed);
    for i in 0..24 {
        let dob = Date::from_calendar_date(
            rng.gen_range(1932..2006),
            Month::try_from(rng.gen_range(1..=12u8))?,
            rng.gen_range(1..=28),
        )?;
        let form = PersonForm {
            given_name: GIVEN[rng.gen_range(0..GIVEN.len())].into(),
            family_name: FAMILY[rng.gen_range(0..FAMILY.len())].into(),
            date_of_birth: dob.to_string(),
            practice_id: practices[i % practices.len()].to_string(),
            contact_preference: ["phone", "text", "letter", "in_person"][rng.gen_range(0..4)]
                .into(),
            phone: format!("07700 900{:03}", rng.gen_range(0..1000)),
            email: String::new(),
            nhs_number: String::new(),
        };
        let person = form
            .parse(now)
            .map_err(|e| anyhow::anyhow!("demo person is invalid: {e:?}"))?;
        let pseudonym = key.pseudonymise(&test_nhs_number(&mut rng));
        let caseload = if i < 6 { link_worker } else { None };
        let id = store
            .create_person(
                pcn,
                &person,
                Some(&pseudonym),
                caseload,
                &audit("create_person", pcn),
            )
            .await?;
        if i % 3 != 2 {
            if let Some(by) = link_worker {
                store
                    .add_consent(
                        id,
                        ConsentPurpose::Contact,
                        ConsentMethod::Verbal,
                        by,
                        &audit("record_consent", pcn),
                    )
                    .await?;
            }
        }
    }
    store.set_meta("demo", "true").await?;
    Ok(sign_ins)
}

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
    let at = Location {
        data_dir: dir.clone(),
        database_url: None,
    };
    let fresh = !dir.join("together.sqlite").exists();
    let store = open_store(&at, &FileSettings::default()).await?;
    let sign_ins = if fresh {
        eprintln!("Building the demo neighbourhood in {} …", dir.display());
        let s = build(&store, &dir, args.seed).await?;
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
    let state = app_state(store, &dir, config)?;
    println!("Together demo is running at {url}");
    println!(
        "Sign in as any of these (also in {}):",
        dir.join(CREDENTIALS_FILE).display()
    );
    for (role, email, pw) in &sign_ins {
        println!("  {:<12} {:<32} {}", role.as_str(), email, pw);
    }
    println!("Press Ctrl-C to stop.");
    together_web::serve(state, listener).await?;
    Ok(())
}
