//! Harbourview PCN: the made-up neighbourhood `together demo` serves, which tests and
//! benchmarks build on too. Everyone in it is invented; NHS numbers come from
//! 999 000 0000–999 999 9999, a range never issued, and phone numbers from Ofcom's range for
//! drama (07700 900000–900999).
//!
//! [`build`] makes the whole neighbourhood; each module adds one area of it (champions,
//! offers, equipment, listings, connections, pledges, the impact evaluation's history) and can
//! be called on its own once the PCN exists.

pub mod champions;
pub mod connections;
pub mod impact;
pub mod listings;
pub mod loans;
pub mod offers;
pub mod pledges;
pub mod postcodes;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::Path;
use thiserror::Error;
use time::OffsetDateTime;
use together_core::audit::AuditAction;
use together_core::password::hash_password;
use together_core::people::{ConsentMethod, ConsentPurpose, PersonForm};
use together_core::Clock as _;
use together_core::{PcnId, PracticeId, PseudonymKey, Role, UserId};
use together_formats::Dataset;
use together_generate::{generate, Params};
use together_insight::patient_index::IndexKey;
use together_insight::{import_file, FileImport, ImportError, Outcome, Reading};
use together_store::{DynStore, NewAuditEvent, NewUser, StoreError, UserStatus};

/// Why the demo could not be built. The demo's own data is fixed, so anything but a store or
/// file failure means the builders and the data disagree: a bug to fix here.
#[derive(Debug, Error)]
pub enum DemoError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error("the demo's generated files cannot be read: {0}")]
    Csv(#[from] csv::Error),
    #[error("the demo neighbourhood could not be generated: {0}")]
    Generate(#[from] together_generate::GenerateError),
    #[error("the demo's data is inconsistent: {0}")]
    Data(String),
}

pub type Result<T, E = DemoError> = std::result::Result<T, E>;

/// A [`DemoError::Data`] with a formatted message: the demo's data disagrees with itself.
macro_rules! wrong {
    ($($t:tt)*) => {
        $crate::DemoError::Data(format!($($t)*))
    };
}
pub(crate) use wrong;

/// Says what was missing when the demo's data lacks something it names.
pub(crate) trait Missing<T> {
    fn context(self, what: &str) -> Result<T>;
}

impl<T> Missing<T> for Option<T> {
    fn context(self, what: &str) -> Result<T> {
        self.ok_or_else(|| DemoError::Data(what.to_owned()))
    }
}

/// What the demo records in the audit trail as it builds.
pub(crate) fn audit(action: AuditAction, resource_type: &str, pcn: Option<PcnId>) -> NewAuditEvent {
    NewAuditEvent::by_operator(
        "cli:demo",
        together_core::clock::SystemClock.now(),
        action,
        resource_type,
        pcn,
    )
}

/// The keys the demo's imports pseudonymise and seal with: the instance's own.
pub struct Keys<'a> {
    pub pseudonym: &'a PseudonymKey,
    pub index: &'a IndexKey,
}

/// How big a neighbourhood to make.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    /// Registered people across the three practices.
    pub people: u64,
    /// Seed for the made-up people, so a neighbourhood can be rebuilt exactly.
    pub seed: u64,
}

impl Size {
    /// The demo's own size: big enough for a real long tail, quick to build.
    pub const DEMO: Size = Size {
        people: 6_000,
        seed: 1,
    };
}

/// A demo sign-in: the role, the email address and the password made for it.
pub type SignIn = (Role, String, String);

/// The demo PCN's name.
pub const PCN: &str = "Harbourview PCN";
/// A site for each of the three demo practices.
const SITES: [(&str, &str); 3] = [
    ("Quayside Surgery", "1 Quay Street, Harbourview HV1 1AA"),
    ("Harbour Lane", "42 Harbour Lane, Harbourview HV2 3BB"),
    (
        "St Anne's Health Centre",
        "7 Church Road, Harbourview HV3 5CC",
    ),
];
/// The demo's team, one of each role.
pub const USERS: [(Role, &str, &str); 6] = [
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

fn password(rng: &mut impl Rng) -> String {
    let w: Vec<&str> = (0..3)
        .map(|_| WORDS[rng.gen_range(0..WORDS.len())])
        .collect();
    format!("{}-{}-{}-{}", w[0], w[1], w[2], rng.gen_range(10..100))
}

/// Builds the whole neighbourhood into an empty store, with Insight files under `dir`; returns
/// the sign-ins made for each role (passwords chosen at random, never the same twice).
pub async fn build(
    store: &DynStore,
    dir: &Path,
    keys: Keys<'_>,
    size: Size,
) -> Result<Vec<SignIn>> {
    let now = together_core::clock::SystemClock.now();
    let audit = |action: AuditAction, pcn| audit(action, "demo", Some(pcn));

    // The neighbourhood's data, made as a practice would hand it over.
    // Three years, so that a year before and a year after each connection planted in the
    // middle one are in the data: the impact page recovers the planted effect.
    let params = Params {
        patients: size.people,
        practices: 3,
        years: 3,
        end_year: 2025,
        seed: size.seed,
        plant: Some(together_generate::Plant {
            effect: crate::impact::PLANTED_EFFECT,
            ae_effect: crate::impact::PLANTED_EFFECT,
            share: 0.5,
        }),
    };
    let source = dir.join("demo-source");
    generate(&params, &source, &mut |_| {})?;

    let pcn = store.create_pcn(PCN, Some("U99001"), now).await?;
    let mut practices: Vec<(PracticeId, String)> = Vec::new();
    for (p, (site, address)) in together_generate::practices(&params).into_iter().zip(SITES) {
        let id = store
            .add_practice(
                pcn,
                &p.ods_code.parse().map_err(|e| wrong!("{e}"))?,
                &p.name,
                &audit(together_core::audit::AuditAction::AddPractice, pcn),
                now,
            )
            .await?;
        store
            .add_site(
                pcn,
                id,
                site,
                address,
                &audit(together_core::audit::AuditAction::AddSite, pcn),
                now,
            )
            .await?;
        // The demo's practices have agreed to pool their data, so PCN-wide figures show.
        store
            .set_data_sharing(
                pcn,
                id,
                true,
                &audit(
                    together_core::audit::AuditAction::RecordDataSharingAgreement,
                    pcn,
                ),
            )
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
            email: email.parse().map_err(|e| wrong!("{e}"))?,
            display_name: name.into(),
            role,
            practice_id: role.needs_practice().then(|| practices[0].0),
            status: UserStatus::Active,
            password_hash: Some(hash_password(&pw).map_err(|e| wrong!("{e}"))?),
        };
        ids.push((
            role,
            store
                .create_user(
                    &new,
                    &audit(together_core::audit::AuditAction::AddUser, pcn),
                    now,
                )
                .await?,
        ));
        sign_ins.push((role, email.to_owned(), pw));
    }

    // Insight, through the same importers a practice uses.
    for (dataset, file) in [
        (Dataset::Registrations, "registrations.csv"),
        (Dataset::Appointments, "appointments.csv"),
        (Dataset::Conditions, "conditions.csv"),
        (Dataset::AeAttendances, "ae_attendances.csv"),
    ] {
        let asked = FileImport {
            dataset,
            path: &source.join(file),
            reading: Reading::Canonical,
            accept_valid: false,
            replaces: None,
            today: now.date(),
            audit: crate::audit(
                together_core::audit::AuditAction::Import,
                "import",
                Some(pcn),
            ),
        };
        let keys = (keys.pseudonym, keys.index);
        match import_file(store, dir, pcn, keys, asked, |_| {}).await? {
            Outcome::Imported(_) => {}
            other => return Err(wrong!("the demo's {file} did not import: {other:?}")),
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
        let id = person_from(
            store,
            pcn,
            keys.pseudonym,
            &practices,
            &row,
            i,
            caseload,
            now,
        )
        .await?;
        known.insert(row[0].to_owned(), id);
        if i % 3 != 2 {
            if let Some(by) = link_worker {
                store
                    .add_consent(
                        id,
                        ConsentPurpose::Contact,
                        ConsentMethod::Verbal,
                        by,
                        &audit(together_core::audit::AuditAction::RecordConsent, pcn),
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
    crate::champions::build(store, pcn, &practice_ids, champion, now).await?;
    let partner = ids
        .iter()
        .find(|(r, _)| *r == Role::Partner)
        .map(|(_, id)| *id);
    crate::champions::partners(store, pcn, partner, now).await?;
    crate::offers::build(store, pcn, now).await?;
    crate::loans::build(store, pcn, now).await?;
    crate::listings::build(store, pcn, now).await?;
    if let (Some(link_worker), Some(champion)) = (link_worker, champion) {
        crate::connections::build(store, pcn, link_worker, champion, now).await?;
    }
    crate::pledges::build(store, pcn, now).await?;
    if let Some(link_worker) = link_worker {
        let people = crate::impact::People {
            key: keys.pseudonym,
            practices: &practices,
            known,
        };
        crate::impact::build(store, pcn, &source, people, link_worker, now).await?;
    }
    crate::postcodes::build(store).await?;
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
                &audit(together_core::audit::AuditAction::NameSafeguardingLead, pcn),
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
            .raise_concern(
                pcn,
                champion,
                &incident,
                &audit(together_core::audit::AuditAction::RaiseConcern, pcn),
            )
            .await?;
    }
    store.set_meta("demo", "true").await?;
    Ok(sign_ins)
}

/// A person the PCN's team knows, from a row of the generated registrations.csv: their NHS
/// number's pseudonym links them to their appointments.
#[allow(clippy::too_many_arguments)]
pub async fn person_from(
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
        .map_err(|e| wrong!("demo person is invalid: {e:?}"))?;
    let pseudonym = person.nhs_number.as_ref().map(|n| key.pseudonymise(n));
    Ok(store
        .create_person(
            pcn,
            &person,
            pseudonym.as_ref(),
            caseload,
            &audit(AuditAction::CreatePerson, "demo", Some(pcn)),
        )
        .await?)
}
