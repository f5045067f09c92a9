//! What the offers pages share: ids from the path, an offer's labels and colours, and its form.

use together_core::offers::{OfferForm, OfferStatus, OFFER_KINDS};
use together_store::offers::Offer;

pub(super) fn kind_label(kind: &str) -> &'static str {
    OFFER_KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or("Offer", |(_, l)| *l)
}

/// The colour of a status tag.
pub(super) fn status_colour(s: OfferStatus) -> &'static str {
    match s {
        OfferStatus::Planned => "blue",
        OfferStatus::Active => "green",
        OfferStatus::Paused => "yellow",
        OfferStatus::Ended => "grey",
    }
}

/// The statuses as (value, label) for a select.
pub(super) fn status_options() -> Vec<(&'static str, &'static str)> {
    OfferStatus::ALL
        .iter()
        .map(|s| (s.as_str(), s.label()))
        .collect()
}

/// An offer back in the shape of its form, to edit it.
pub(super) fn form_of(o: &Offer) -> OfferForm {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let num = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
    let day = |v: Option<time::Date>| v.map(|d| d.to_string()).unwrap_or_default();
    OfferForm {
        name: o.name.clone(),
        description: o.description.clone(),
        kind: o.kind.clone(),
        status: o.status.as_str().to_owned(),
        taxonomy: o.taxonomy.clone(),
        eligibility: o.eligibility.clone(),
        minimum_age: num(o.minimum_age),
        maximum_age: num(o.maximum_age),
        cohort_id: opt(&o.cohort_id),
        venue_id: opt(&o.venue_id),
        capacity: num(o.capacity),
        helpers_needed: o.helpers_needed.to_string(),
        lead_role_id: o.lead_role_id.map(|r| r.to_string()).unwrap_or_default(),
        lead_partner_id: opt(&o.lead_partner_id),
        risk_assessment_id: opt(&o.risk_assessment_id),
        cost: o.cost.clone(),
        accessibility: o.accessibility.clone(),
        contact_name: o.contact_name.clone(),
        phone: opt(&o.phone),
        email: opt(&o.email),
        url: opt(&o.url),
        starts_on: day(o.starts_on),
        ends_on: day(o.ends_on),
        practices: o.practices.iter().map(|p| p.to_string()).collect(),
    }
}
