//! `together demo`: a made-up neighbourhood to try Together with. Everyone in it is invented;
//! NHS numbers come from 999 000 0000–999 999 9999, a range never issued, and phone numbers
//! from Ofcom's range for drama (07700 900000–900999).

use crate::import::{import_one, Job};
use crate::instance::{app_state, cli_audit, is_demo, listen, open_store, FileSettings};
use crate::Location;
use anyhow::{bail, Context, Result};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;
use together_core::password::hash_password;
use together_core::people::{ConsentMethod, ConsentPurpose, PersonForm};
use together_core::{PracticeId, Role, UserId};
use together_formats::Dataset;
use together_generate::{generate, Params};
use together_insight::Outcome;
use together_insight::Reading;
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
/// A site for each of the three demo practices.
const SITES: [(&str, &str); 3] = [
    ("Quayside Surgery", "1 Quay Street, Harbourview HV1 1AA"),
    ("Harbour Lane", "42 Harbour Lane, Harbourview HV2 3BB"),
    (
        "St Anne's Health Centre",
        "7 Church Road, Harbourview HV3 5CC",
    ),
];
/// The demo neighbourhood's size: big enough for a real long tail, quick to build.
const DEMO_PEOPLE: u64 = 6_000;
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

async fn build(store: &DynStore, dir: &Path, seed: u64) -> Result<Vec<(Role, String, String)>> {
    let now = OffsetDateTime::now_utc();
    let audit = |action: &str, pcn| cli_audit(action, "demo", Some(pcn));

    // The neighbourhood's data, made as a practice would hand it over.
    // Three years, so that a year before and a year after each connection planted in the
    // middle one are in the data: the impact page recovers the planted effect.
    let params = Params {
        patients: DEMO_PEOPLE,
        practices: 3,
        years: 3,
        end_year: 2025,
        seed,
        plant: Some(together_generate::Plant {
            effect: crate::demo_impact::PLANTED_EFFECT,
            ae_effect: crate::demo_impact::PLANTED_EFFECT,
            share: 0.5,
        }),
    };
    let source = dir.join("demo-source");
    generate(&params, &source, &mut |_| {}).context("could not generate the demo neighbourhood")?;

    let pcn = store.create_pcn(PCN, Some("U99001"), now).await?;
    let mut practices: Vec<(PracticeId, String)> = Vec::new();
    for (p, (site, address)) in together_generate::practices(&params).into_iter().zip(SITES) {
        let id = store
            .add_practice(
                pcn,
                &p.ods_code.parse()?,
                &p.name,
                &audit("add_practice", pcn),
                now,
            )
            .await?;
        store
            .add_site(pcn, id, site, address, &audit("add_site", pcn), now)
            .await?;
        // The demo's practices have agreed to pool their data, so PCN-wide figures show.
        store
            .set_data_sharing(pcn, id, true, &audit("record_data_sharing_agreement", pcn))
            .await?;
        practices.push((id, p.ods_code));
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
            practice_id: role.needs_practice().then(|| practices[0].0),
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

    // Insight, through the same importers a practice uses.
    let keys = crate::instance::Keys::load(dir)?;
    let key = keys.pseudonym.clone();
    for (dataset, file) in [
        (Dataset::Registrations, "registrations.csv"),
        (Dataset::Appointments, "appointments.csv"),
        (Dataset::Conditions, "conditions.csv"),
        (Dataset::AeAttendances, "ae_attendances.csv"),
    ] {
        let job = Job {
            dataset,
            file: &source.join(file),
            accept_valid: false,
            replace: None,
            show_progress: false,
            reading: Reading::Canonical,
        };
        match import_one(store, dir, &keys, pcn, job).await? {
            Outcome::Imported(_) => {}
            other => bail!("the demo's {file} did not import: {other:?}"),
        }
    }

    // Two dozen of those registered people are already known to the PCN's team: the same
    // people, so their pseudonyms link them to their appointments.
    let link_worker = ids
        .iter()
        .find(|(r, _)| *r == Role::LinkWorker)
        .map(|(_, id)| *id);
    let mut registrations = csv::Reader::from_path(source.join("registrations.csv"))?;
    let mut known = std::collections::HashMap::new();
    for (i, row) in registrations.records().take(24).enumerate() {
        let row = row?;
        let caseload = if i < 6 { link_worker } else { None };
        let id = person_from(store, pcn, &key, &practices, &row, i, caseload, now).await?;
        known.insert(row[0].to_owned(), id);
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
    let champion = ids
        .iter()
        .find(|(r, _)| *r == Role::Champion)
        .map(|(_, id)| *id);
    let practice_ids: Vec<PracticeId> = practices.iter().map(|p| p.0).collect();
    crate::demo_champions::build(store, pcn, &practice_ids, champion, now).await?;
    let partner = ids
        .iter()
        .find(|(r, _)| *r == Role::Partner)
        .map(|(_, id)| *id);
    crate::demo_champions::partners(store, pcn, partner, now).await?;
    crate::demo_offers::build(store, pcn, now).await?;
    crate::demo_loans::build(store, pcn, now).await?;
    crate::demo_listings::build(store, pcn, now).await?;
    if let (Some(link_worker), Some(champion)) = (link_worker, champion) {
        crate::demo_connections::build(store, pcn, link_worker, champion, now).await?;
    }
    crate::demo_pledges::build(store, pcn, now).await?;
    if let Some(link_worker) = link_worker {
        let people = crate::demo_impact::People {
            key: &key,
            practices: &practices,
            known,
        };
        crate::demo_impact::build(store, pcn, &source, people, link_worker, now).await?;
    }
    crate::postcodes::demo_table(store).await?;
    // The PCN administrator is the demo's safeguarding lead, with one incident to follow up.
    if let (Some(admin), Some(champion)) = (
        ids.iter()
            .find(|(r, _)| *r == Role::PcnAdmin)
            .map(|(_, id)| *id),
        champion,
    ) {
        store
            .set_setting(
                pcn,
                together_store::safeguarding::SAFEGUARDING_LEAD_SETTING,
                &admin.to_string(),
                &audit("name_safeguarding_lead", pcn),
            )
            .await?;
        let incident = together_core::safeguarding::NewConcern {
            kind: together_core::safeguarding::ConcernKind::Incident,
            what: "The towpath by the lock was flooded on the Tuesday walk; we turned back and \
                   everyone got home safely."
                .into(),
            when: "Last Tuesday, about 10:30".into(),
            place: "Canal towpath by the lock".into(),
            who: "The Tuesday walking group, eight walkers".into(),
            action_taken: "Turned the group back; told the other walk leader".into(),
        };
        store
            .raise_concern(pcn, champion, &incident, &audit("raise_concern", pcn))
            .await?;
    }
    store.set_meta("demo", "true").await?;
    Ok(sign_ins)
}

/// A person the PCN's team knows, from a row of the generated registrations.csv: their NHS
/// number's pseudonym links them to their appointments.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn person_from(
    store: &DynStore,
    pcn: together_core::PcnId,
    key: &together_core::PseudonymKey,
    practices: &[(PracticeId, String)],
    row: &csv::StringRecord,
    i: usize,
    caseload: Option<UserId>,
    now: OffsetDateTime,
) -> Result<together_core::PersonId> {
    let practice = practices
        .iter()
        .find(|p| p.1 == row[1])
        .map(|p| p.0)
        .context("a demo person's practice is missing")?;
    let form = PersonForm {
        given_name: row[2].into(),
        family_name: row[3].into(),
        date_of_birth: row[4].into(),
        practice_id: practice.to_string(),
        contact_preference: ["phone", "text", "letter", "in_person"][i % 4].into(),
        phone: row[6].into(),
        email: String::new(),
        nhs_number: row[0].into(),
        what_matters: String::new(),
    };
    let person = form
        .parse(now)
        .map_err(|e| anyhow::anyhow!("demo person is invalid: {e:?}"))?;
    let pseudonym = person.nhs_number.as_ref().map(|n| key.pseudonymise(n));
    Ok(store
        .create_person(
            pcn,
            &person,
            pseudonym.as_ref(),
            caseload,
            &cli_audit("create_person", "demo", Some(pcn)),
        )
        .await?)
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
    let _lock = crate::instance::DirLock::take(&dir, "serve it again")?;
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
    let now = time::OffsetDateTime::now_utc();
    let audit = crate::instance::cli_audit("send_wellbeing_link", "connection", Some(pcn.id));
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
        together_web::new_wellbeing_link(url, together_core::wellbeing::Occasion::FollowUp, now);
    store
        .issue_wellbeing_link(pcn.id, c.id, &new, &audit)
        .await?;
    Ok(Some((c.person_label.clone(), link)))
}
