//! The JSON API for connections: each role's list as the Connections page shows it (a
//! champion's own, only while the person agrees; a link worker's to follow up; a clinician's
//! practice's; the coordinator's all), audited like the page. A champion gets first name and
//! initial and how to reach them, never the person's record id.

use crate::context::Ctx;
use crate::error::path_id;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use together_core::audit::AuditAction;
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
    let actor = ctx.actor()?.clone();
    let today = state.now().date();
    let filter = ConnectionFilter {
        open_only: p.show != "all",
        due_by: (p.show == "due").then_some(today),
        ..together_app::connections::scope_of(&actor)
    };
    let audit = ctx.audit(
        &state,
        AuditAction::ListConnections,
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
            .map(|c| out(c, champion))
            .collect(),
    ))
}

/// A connection as the API gives it; a champion never gets the person's record id.
fn out(c: together_store::connections::Connection, champion: bool) -> ConnectionOut {
    use together_core::connections::Target;
    ConnectionOut {
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
    }
}

/// One step a connection took.
#[derive(Serialize, ToSchema)]
pub(crate) struct StepOut {
    status: String,
    /// YYYY-MM-DD
    on: String,
    end_reason: Option<String>,
    note: String,
}

/// A follow-up, due or done.
#[derive(Serialize, ToSchema)]
pub(crate) struct FollowUpOut {
    /// YYYY-MM-DD
    due_on: String,
    /// YYYY-MM-DD, once done
    done_on: Option<String>,
    note: String,
}

/// One time they said how they are: scores only, never the licensed instruments' items.
#[derive(Serialize, ToSchema)]
pub(crate) struct WellbeingOut {
    /// baseline or follow_up
    occasion: String,
    /// YYYY-MM-DD
    answered_on: String,
    /// Life satisfaction, worthwhile, happiness, anxiety (0 to 10), when answered
    ons4: Option<Vec<u8>>,
    /// often_or_always, some_of_the_time, occasionally, hardly_ever or never
    lonely: Option<String>,
    wemwbs: Option<u8>,
    swemwbs: Option<u8>,
    pam: Option<u8>,
    /// They answered on their own phone, through a one-time link.
    by_themselves: bool,
}

/// A connection whole.
#[derive(Serialize, ToSchema)]
pub(crate) struct ConnectionDetailOut {
    connection: ConnectionOut,
    steps: Vec<StepOut>,
    follow_ups: Vec<FollowUpOut>,
    /// How they are, for the staff who may see it (never a champion); absent otherwise.
    wellbeing: Option<Vec<WellbeingOut>>,
}

/// One connection with its steps, follow-ups and, for the staff looking after the person,
/// how they said they are. Refused (not found, audited) outside the caller's reach.
#[utoipa::path(get, path = "/api/v1/connections/{id}", params(("id" = String, Path, description = "The connection's id")), responses((status = 200, body = ConnectionDetailOut), (status = 404, body = super::ApiError)))]
pub(crate) async fn one(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<ConnectionDetailOut>, AppError> {
    let id: together_core::ConnectionId = path_id(&id)?;
    let audit = ctx.audit(
        &state,
        AuditAction::ViewConnection,
        "connection",
        Some(id.to_string()),
        Outcome::Allowed,
    );
    let actor = ctx.actor()?.clone();
    let seen = together_app::connections::record(state.store(), &actor, id, audit)
        .await?
        .ok_or(AppError::NotFound)?;
    let champion = actor.role == Role::Champion;
    let person = seen.record.connection.person_id;
    let wellbeing = if seen.may_keep_wellbeing {
        let audit = ctx.audit(
            &state,
            AuditAction::ViewWellbeing,
            "person",
            Some(person.to_string()),
            Outcome::Allowed,
        );
        Some(
            state
                .store()
                .wellbeing_of(actor.pcn_id, person, &audit)
                .await?
                .into_iter()
                .filter(|w| w.connection_id == id)
                .map(|w| WellbeingOut {
                    occasion: w.occasion.as_str().into(),
                    answered_on: w.answered_on.to_string(),
                    ons4: w.answers.ons4.map(|a| a.to_vec()),
                    lonely: w.answers.lonely.map(|l| l.as_str().into()),
                    wemwbs: w.answers.wemwbs,
                    swemwbs: w.answers.swemwbs,
                    pam: w.answers.pam,
                    by_themselves: w.by_themselves,
                })
                .collect(),
        )
    } else {
        None
    };
    let r = seen.record;
    Ok(Json(ConnectionDetailOut {
        steps: r
            .steps
            .into_iter()
            .map(|s| StepOut {
                status: s.status.as_str().into(),
                on: s.on.to_string(),
                end_reason: s.end_reason.map(|e| e.as_str().into()),
                note: s.note,
            })
            .collect(),
        follow_ups: r
            .follow_ups
            .into_iter()
            .map(|f| FollowUpOut {
                due_on: f.due_on.to_string(),
                done_on: f.done_on.map(|d| d.to_string()),
                note: f.note,
            })
            .collect(),
        connection: out(r.connection, champion),
        wellbeing,
    }))
}
