//! The demo's neighbourhood directory beyond the PCN's own offers: the services a link worker
//! signposts to every week, some kept by the PCN's team and some by a partner, checked at
//! different times, so that two are overdue for checking and one partner's change is waiting.

use crate::{wrong, Result};
use time::{Duration, OffsetDateTime};
use together_core::listings::ListingForm;
use together_core::PcnId;
use together_store::{DynStore, NewAuditEvent};

struct DemoListing {
    name: &'static str,
    organization: &'static str,
    description: &'static str,
    terms: &'static [&'static str],
    phone: &'static str,
    url: &'static str,
    address: &'static str,
    postcode: &'static str,
    eligibility: &'static str,
    /// Last checked this many days ago.
    checked_days_ago: i64,
    /// Kept by the partner of that name (else the PCN's team).
    kept_by: Option<&'static str>,
}

const LISTINGS: &[DemoListing] = &[
    DemoListing {
        name: "Money and benefits advice",
        organization: "Citizens Advice Harbourview",
        description: "Free, confidential advice on benefits, debt, housing and work, by appointment or at the Tuesday drop-in.",
        terms: &["money_housing"],
        phone: "01632 960 300",
        url: "https://www.citizensadvice.org.uk/",
        address: "Harbourview Library, Market Square",
        postcode: "HV3 2EE",
        eligibility: "Anyone living or working in Harbourview",
        checked_days_ago: 40,
        kept_by: None,
    },
    DemoListing {
        name: "Wednesday lunch club and warm space",
        organization: "The Salvation Army, Harbourview",
        description: "A hot two-course lunch on Wednesdays for £3, and a warm room with tea and company all week.",
        terms: &["food", "social_connection"],
        phone: "07700 900500",
        url: "",
        address: "Citadel hall, 3 Dock Road",
        postcode: "HV2 4DD",
        eligibility: "Everyone welcome",
        checked_days_ago: 120,
        kept_by: Some("The Salvation Army, Harbourview"),
    },
    DemoListing {
        name: "Harbourview Food Bank",
        organization: "Harbourview Churches Together",
        description: "Emergency food parcels for three days, with or without a referral; toiletries and baby items too.",
        terms: &["food"],
        phone: "01632 960 456",
        url: "",
        address: "St Mary's Hall, Church Lane",
        postcode: "HV1 2BB",
        eligibility: "Anyone in need",
        checked_days_ago: 380,
        kept_by: None,
    },
    DemoListing {
        name: "Carers' support and breaks",
        organization: "Harbourview Carers Centre",
        description: "Advice, a carer's assessment, short breaks and a monthly carers' café for people who look after someone.",
        terms: &["carers"],
        phone: "01632 960 777",
        url: "https://carers.example.org/",
        address: "",
        postcode: "",
        eligibility: "Unpaid carers of any age",
        checked_days_ago: 200,
        kept_by: None,
    },
    DemoListing {
        name: "Talking therapies",
        organization: "NHS Talking Therapies, Harbourview",
        description: "Free NHS talking therapies for anxiety, low mood and stress. Refer yourself online or by phone.",
        terms: &["mental_wellbeing"],
        phone: "01632 960 888",
        url: "https://www.nhs.uk/nhs-services/mental-health-services/",
        address: "",
        postcode: "",
        eligibility: "Adults registered with a GP in Harbourview",
        checked_days_ago: 370,
        kept_by: None,
    },
    DemoListing {
        name: "Befriending calls",
        organization: "Age UK Harbourview",
        description: "A friendly phone call every week from a trained volunteer, for older people who would like someone to talk to.",
        terms: &["social_connection"],
        phone: "01632 960 222",
        url: "https://www.ageuk.org.uk/",
        address: "",
        postcode: "",
        eligibility: "People aged 60 and over",
        checked_days_ago: 15,
        kept_by: None,
    },
    DemoListing {
        name: "Community safety drop-in",
        organization: "Harbourview Neighbourhood Policing Team",
        description: "Talk to your local officers about scams, nuisance and feeling safe at home; bike marking on the first Saturday.",
        terms: &["money_housing"],
        phone: "01632 960 101",
        url: "",
        address: "Harbourview Library, Market Square",
        postcode: "HV3 2EE",
        eligibility: "",
        checked_days_ago: 60,
        kept_by: Some("Harbourview Neighbourhood Policing Team"),
    },
];

fn at(pcn: PcnId, days_ago: i64, now: OffsetDateTime) -> NewAuditEvent {
    NewAuditEvent {
        at: now - Duration::days(days_ago),
        ..crate::audit(
            together_core::audit::AuditAction::DemoListings,
            "listing",
            Some(pcn),
        )
    }
}

pub async fn build(store: &DynStore, pcn: PcnId, now: OffsetDateTime) -> Result<()> {
    let terms = store.taxonomy_terms().await?;
    let partners = store.partners(pcn).await?;
    for d in LISTINGS {
        let mut fields: Vec<(String, String)> = [
            ("name", d.name),
            ("organization", d.organization),
            ("description", d.description),
            ("phone", d.phone),
            ("url", d.url),
            ("address", d.address),
            ("postcode", d.postcode),
            ("eligibility", d.eligibility),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        for code in d.terms {
            let t = terms
                .iter()
                .find(|t| t.code == *code)
                .ok_or_else(|| wrong!("the demo has no category {code}"))?;
            fields.push(("taxonomy".into(), t.id.clone()));
        }
        let listing = ListingForm::from_fields(&fields)
            .parse()
            .map_err(|e| wrong!("demo listing {}: {e:?}", d.name))?;
        let owner = match d.kept_by {
            Some(name) => Some(
                partners
                    .iter()
                    .find(|p| p.name == name)
                    .map(|p| p.id.clone())
                    .ok_or_else(|| wrong!("the demo has no partner called {name}"))?,
            ),
            None => None,
        };
        let id = store
            .add_listing(
                pcn,
                &listing,
                owner.as_deref(),
                false,
                &at(pcn, d.checked_days_ago, now),
            )
            .await?;
        // The Salvation Army would like to say the lunch now costs £3.50.
        if let (Some(owner), true) = (&owner, d.name.starts_with("Wednesday lunch")) {
            let mut change = listing.clone();
            change.fields.description = change.fields.description.replace("£3", "£3.50");
            change.fields.cost = "£3.50 for lunch; the warm space is free".into();
            store
                .propose_listing_change(pcn, id, owner, &change, &at(pcn, 2, now))
                .await?;
        }
    }
    Ok(())
}
