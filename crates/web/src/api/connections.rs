//! The JSON API for connections: each role's list as the Connections page shows it (a
//! champion's own, only while the person agrees; a link worker's to follow up; a clinician's
//! practice's; the coordinator's all), audited like the page. A champion gets first name and
//! initial and how to reach them, never the person's record id.

use crate::context::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use together_core::Role;
use together_store::connections::ConnectionFilter;
use together_store::Outcome;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub(crate) struct ConnectionsParams {
    /// `open` (the default), `due` (a follow-up due by today) or `all`.
    show: String,
}

/// One connection of a person to an offer, a service, a champion or a buddy.
#[derive(Serialize, ToSchema)]
pub(crate) struct ConnectionOut {
    id: String,
    /// The person's record, for staff who may open it (never for a champion).
    person_id: Option<String>,
    /// First name and initial.
    person: String,
    /// How to reach them, as they prefer.
    reach: String,
    /// service, champion or person (a buddy)
    to_kind: String,
    to: String,
    /// cohort_invitation, themselves, clinician_suggestion, community_event or other
    source: String,
    /// suggested, contacted, went_along, keeps_going or ended
    status: String,
    /// YYYY-MM-DD, the day it reached its status
    status_on: String,
    end_reason: Option<String>,
    /// YYYY-MM-DD
    made_on: String,
    made_by: String,
    /// YYYY-MM-DD of the next follow-up not done, on an open connection
    next_follow_up: Option<String>,
    /// Follow-ups not done by their day
    missed: i64,
}

/// The connections in the caller's reach. Audited.
#[utoipa::path(get, path = "/api/v1/connections", params(ConnectionsParams), responses((status = 200, body = [ConnectionOut]), (status = 403, body = super::ApiError)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<ConnectionsParams>,
) -> Result<Json<Vec<ConnectionOut>>, AppError> {
    use together_core::connections::Target;
    let actor = ctx.actor()?.clone();
    let today = state.now().date();
    let filter = ConnectionFilter {
        open_only: p.show != "all",
        due_by: (p.show == "due").then_some(today),
        ..crate::pages::connections::scope_of(&actor)
    };
    let audit = ctx.audit(
        &state,
        "list_connections",
        "connection",
        None,
        Outcome::Allowed,
    );
    let champion = actor.role == Role::Champion;
    Ok(Json(
        state
            .store()
            .connections(actor.pcn_id, &filter, today, &audit)
            .await?
            .into_iter()
            .map(|c| ConnectionOut {
                id: c.id.to_string(),
                person_id: (!champion).then(|| c.person_id.to_string()),
                person: c.person_label,
                reach: c.reach,
                to_kind: match c.to {
                    Target::Service(_) => "service",
                    Target::Champion(_) => "champion",
                    Target::Person(_) => "person",
                }
                .into(),
                to: c.to_name,
                source: c.source.as_str().into(),
                status: c.status.as_str().into(),
                status_on: c.status_on.to_string(),
                end_reason: c.end_reason.map(|r| r.as_str().into()),
                made_on: c.made_on.to_string(),
                made_by: c.made_by_name,
                next_follow_up: c.next_follow_up.map(|d| d.to_string()),
                missed: c.missed,
            })
            .collect(),
    ))
}
