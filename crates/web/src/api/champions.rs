//! The champions in the JSON API: the board for the PCN administrator (the volunteer
//! coordinator), one champion with their journey, and a champion's own record.

use crate::context::Ctx;
use crate::error::path_id;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;
use together_core::audit::AuditAction;
use together_store::champions::Champion;
use together_store::Outcome;
use utoipa::ToSchema;

/// A champion and where they are on the journey.
#[derive(Serialize, ToSchema)]
pub(crate) struct ChampionOut {
    id: String,
    given_name: String,
    family_name: String,
    /// interest, conversation, references, dbs_check, induction, active, paused or left
    stage: String,
    /// RFC 3339
    stage_since: String,
    home_practice_id: Option<String>,
    interests: Vec<String>,
    availability: Vec<String>,
    contact_preference: String,
    phone: Option<String>,
    email: Option<String>,
}

/// One step of the journey.
#[derive(Serialize, ToSchema)]
pub(crate) struct JourneyStepOut {
    from: Option<String>,
    to: String,
    reason: String,
    /// user:<id>, cli:<login> or anonymous (the person on the form)
    by: String,
    /// RFC 3339
    at: String,
}

/// A champion with every step so far.
#[derive(Serialize, ToSchema)]
pub(crate) struct ChampionWithSteps {
    champion: ChampionOut,
    steps: Vec<JourneyStepOut>,
}

fn rfc3339(t: &time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn out(c: Champion) -> ChampionOut {
    ChampionOut {
        id: c.id.to_string(),
        given_name: c.given_name,
        family_name: c.family_name,
        stage: c.stage.as_str().into(),
        stage_since: rfc3339(&c.stage_since),
        home_practice_id: c.home_practice_id.map(|p| p.to_string()),
        interests: c.interests,
        availability: c.availability,
        contact_preference: c.contact_preference.as_str().into(),
        phone: c.phone,
        email: c.email,
    }
}

async fn with_steps(
    state: &AppState,
    ctx: &Ctx,
    c: Champion,
) -> Result<Json<ChampionWithSteps>, AppError> {
    let steps = state
        .store()
        .champion_steps(ctx.actor()?.pcn_id, c.id)
        .await?
        .into_iter()
        .map(|s| JourneyStepOut {
            from: s.from.map(|f| f.as_str().to_owned()),
            to: s.to.as_str().into(),
            reason: s.reason,
            by: s.actor,
            at: rfc3339(&s.at),
        })
        .collect();
    Ok(Json(ChampionWithSteps {
        champion: out(c),
        steps,
    }))
}

/// Every champion of the PCN. Audited.
#[utoipa::path(get, path = "/api/v1/champions", responses((status = 200, body = [ChampionOut]), (status = 403, body = crate::api::ApiError)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<ChampionOut>>, AppError> {
    let audit = ctx.audit(
        &state,
        AuditAction::ListChampions,
        "champions",
        None,
        Outcome::Allowed,
    );
    let all = state.store().champions(ctx.actor()?.pcn_id, &audit).await?;
    Ok(Json(all.into_iter().map(out).collect()))
}

/// One champion with their journey. Audited.
#[utoipa::path(get, path = "/api/v1/champions/{id}", params(("id" = String, Path)), responses((status = 200, body = ChampionWithSteps), (status = 404, body = crate::api::ApiError)))]
pub(crate) async fn one(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<ChampionWithSteps>, AppError> {
    let id = path_id(&id)?;
    let audit = ctx.audit(
        &state,
        AuditAction::ViewChampion,
        "champion",
        None,
        Outcome::Allowed,
    );
    let c = state
        .store()
        .read_champion(ctx.actor()?.pcn_id, id, &audit)
        .await?
        .ok_or(AppError::NotFound)?;
    with_steps(&state, &ctx, c).await
}

/// The signed-in champion's own record and journey.
#[utoipa::path(get, path = "/api/v1/champions/me", responses((status = 200, body = ChampionWithSteps), (status = 404, body = crate::api::ApiError)))]
pub(crate) async fn me(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<ChampionWithSteps>, AppError> {
    let c = own_record(&state, &ctx).await?;
    with_steps(&state, &ctx, c).await
}

/// The token's user's own champion record, the read audited; not found while their account is
/// not linked to one.
pub(super) async fn own_record(state: &AppState, ctx: &Ctx) -> Result<Champion, AppError> {
    let audit = ctx.audit(
        state,
        AuditAction::ViewOwnChampionRecord,
        "champion",
        None,
        Outcome::Allowed,
    );
    together_app::champions::own_record(state.store(), ctx.actor()?, &audit)
        .await?
        .ok_or(AppError::NotFound)
}
