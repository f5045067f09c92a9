//! Offers: the PCN administrator runs them (details, schedules, one-off sessions, leads, rotas,
//! the gaps ahead); everyone on the team sees them, to signpost people; champions take places
//! on the rotas of sessions they are clear for, on their phone. One module per page.

mod offer;
mod register;
mod rota;
mod sessions;

use crate::error::AppError;
pub(crate) use crate::layout::one_error;
use crate::policy_router::{Policy, Routes};
use together_core::offers::{OfferForm, OfferStatus, OFFER_KINDS};

use together_core::{ServiceId, SessionId};
use together_store::offers::Offer;

pub(crate) fn routes(r: Routes) -> Routes {
    let manage = Policy::Allow(Action::ManageOffers);
    let view = Policy::Allow(Action::ViewOffers);
    let rota = Policy::Allow(Action::TakeRotaPlaces);
    let register = Policy::Allow(Action::TakeRegisters);
    r.get("/offers", view, offer::list)
        .post("/offers", manage, offer::add)
        .get("/offers/{id}", view, offer::view)
        .post("/offers/{id}", manage, offer::update)
        .post("/offers/{id}/schedules", manage, offer::add_schedule)
        .post("/offers/{id}/sessions", manage, offer::add_session)
        .post("/offers/{id}/leads", manage, offer::add_lead)
        .post(
            "/offers/{id}/leads/{champion}/remove",
            manage,
            offer::remove_lead,
        )
        .get("/sessions", view, sessions::ahead)
        .get("/sessions/rota", rota, rota::mine)
        .post("/sessions/{id}/rota/take", rota, rota::take)
        .post("/sessions/{id}/rota/leave", rota, rota::leave)
        .post("/sessions/{id}/rota/swap", rota, rota::swap)
        .get("/sessions/{id}/register", register, register::page)
        .post("/sessions/{id}/register", register, register::save)
        .get("/sessions/{id}", view, sessions::view)
        .post("/sessions/{id}/cancel", manage, sessions::cancel)
        .post("/sessions/{id}/move", manage, sessions::move_session)
        .post("/sessions/{id}/rota", manage, sessions::place_champion)
}

use together_core::Action;

fn offer_id(id: &str) -> Result<ServiceId, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

fn session_id(id: &str) -> Result<SessionId, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

fn kind_label(kind: &str) -> &'static str {
    OFFER_KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or("Offer", |(_, l)| *l)
}

/// The colour of a status tag.
fn status_colour(s: OfferStatus) -> &'static str {
    match s {
        OfferStatus::Planned => "blue",
        OfferStatus::Active => "green",
        OfferStatus::Paused => "yellow",
        OfferStatus::Ended => "grey",
    }
}

/// The statuses as (value, label) for a select.
fn status_options() -> Vec<(&'static str, &'static str)> {
    OfferStatus::ALL
        .iter()
        .map(|s| (s.as_str(), s.label()))
        .collect()
}

/// An offer back in the shape of its form, to edit it.
fn form_of(o: &Offer) -> OfferForm {
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
