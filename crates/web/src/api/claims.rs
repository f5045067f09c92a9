//! Hours, expenses and compliance in the JSON API: a champion logs and lists their own time
//! and claims; the PCN administrator lists everyone's and sees who is clear for which role and
//! what comes due. The offers, for anyone on the team.

use crate::context::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use together_core::audit::AuditAction;
use together_core::champions::{Clearance, Due};
use together_core::hours_expenses::HoursForm;
use together_store::champions::{ExpenseEntry, HoursEntry};
use together_store::{Outcome, StoreError};
use utoipa::ToSchema;

/// Time a champion gave.
#[derive(Serialize, ToSchema)]
pub(crate) struct HoursOut {
    id: String,
    champion_id: String,
    /// YYYY-MM-DD
    on: String,
    minutes: i64,
    activity: String,
    offer_id: Option<String>,
    /// pending, approved or rejected
    status: String,
}

/// An expense a champion claimed.
#[derive(Serialize, ToSchema)]
pub(crate) struct ExpenseOut {
    id: String,
    champion_id: String,
    on: String,
    /// cost or mileage
    kind: String,
    description: String,
    pence: i64,
    offer_id: Option<String>,
    status: String,
    has_receipt: bool,
}

/// Hours and expenses together.
#[derive(Serialize, ToSchema)]
pub(crate) struct ClaimsOut {
    hours: Vec<HoursOut>,
    expenses: Vec<ExpenseOut>,
}

/// Time to log, as on the champion's page.
#[derive(Deserialize, ToSchema)]
pub(crate) struct HoursIn {
    /// YYYY-MM-DD or DD/MM/YYYY, not in the future
    on: String,
    /// 2, 1.5 or 1:30
    hours: String,
    activity: String,
    #[serde(default)]
    offer_id: Option<String>,
}

/// Whether a champion is clear today for a role they hold.
#[derive(Serialize, ToSchema)]
pub(crate) struct ClearanceOut {
    champion_id: String,
    role: String,
    clear: bool,
    status: String,
    /// The DBS renewal date, when a clear check covers the role
    renewal_due: Option<String>,
}

/// Something that comes due within 60 days, or is overdue.
#[derive(Serialize, ToSchema)]
pub(crate) struct DueOut {
    /// A champion's name, a partner's, "The PCN", "Role: …" or "Venue: …"
    whose: String,
    champion_id: Option<String>,
    what: String,
    due: String,
    /// overdue, 7_days, 30_days or 60_days
    band: String,
}

/// The compliance dashboard.
#[derive(Serialize, ToSchema)]
pub(crate) struct ComplianceOut {
    renewal_years: i32,
    clearance: Vec<ClearanceOut>,
    due: Vec<DueOut>,
}

/// An offer, for signposting.
#[derive(Serialize, ToSchema)]
pub(crate) struct OfferOut {
    id: String,
    name: String,
    description: String,
    /// group, one_to_one, drop_in, equipment_loan or event
    kind: String,
    /// planned, active, paused or ended
    status: String,
    eligibility: String,
    cost: String,
    venue_id: Option<String>,
    /// The next session not cancelled, YYYY-MM-DD
    next_session: Option<String>,
}

fn hours_out(h: HoursEntry) -> HoursOut {
    HoursOut {
        id: h.id,
        champion_id: h.champion_id.to_string(),
        on: h.on.to_string(),
        minutes: h.minutes,
        activity: h.activity,
        offer_id: h.offer_id.map(|o| o.to_string()),
        status: h.status.as_str().into(),
    }
}

fn expense_out(e: ExpenseEntry) -> ExpenseOut {
    ExpenseOut {
        id: e.id,
        champion_id: e.champion_id.to_string(),
        on: e.on.to_string(),
        kind: e.kind,
        description: e.description,
        pence: e.pence,
        offer_id: e.offer_id.map(|o| o.to_string()),
        status: e.status.as_str().into(),
        has_receipt: e.receipt_type.is_some(),
    }
}

async fn claims_of(
    state: &AppState,
    ctx: &Ctx,
    champion: Option<together_core::ChampionId>,
) -> Result<Json<ClaimsOut>, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let audit = ctx.audit(
        state,
        AuditAction::ListClaims,
        "champion_expense",
        None,
        Outcome::Allowed,
    );
    let hours = state.store().hours(pcn, champion).await?;
    let expenses = state.store().expenses(pcn, champion, &audit).await?;
    Ok(Json(ClaimsOut {
        hours: hours.into_iter().map(hours_out).collect(),
        expenses: expenses.into_iter().map(expense_out).collect(),
    }))
}

async fn own_id(state: &AppState, ctx: &Ctx) -> Result<together_core::ChampionId, AppError> {
    Ok(super::champions::own_record(state, ctx).await?.id)
}

/// The signed-in champion's own hours and expenses.
#[utoipa::path(get, path = "/api/v1/champions/me/claims", responses((status = 200, body = ClaimsOut), (status = 404, body = crate::api::ApiError)))]
pub(crate) async fn my_claims(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<ClaimsOut>, AppError> {
    let me = own_id(&state, &ctx).await?;
    claims_of(&state, &ctx, Some(me)).await
}

/// Logs time the signed-in champion gave (waiting for approval).
#[utoipa::path(post, path = "/api/v1/champions/me/hours", request_body = HoursIn, responses((status = 201, body = crate::api::Created), (status = 400, body = crate::api::ApiError)))]
pub(crate) async fn log_my_hours(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(h): Json<HoursIn>,
) -> Result<(StatusCode, Json<crate::api::Created>), AppError> {
    let me = own_id(&state, &ctx).await?;
    let form = HoursForm {
        on: h.on,
        hours: h.hours,
        activity: h.activity,
        offer_id: h.offer_id.unwrap_or_default(),
    };
    let hours = form
        .parse(state.now().date())
        .map_err(|e| AppError::BadRequest(crate::api::field_messages(&e)))?;
    let audit = ctx.audit(
        &state,
        AuditAction::LogHours,
        "champion_hours",
        None,
        Outcome::Allowed,
    );
    let id = match state
        .store()
        .log_hours(ctx.actor()?.pcn_id, me, &hours, &audit)
        .await
    {
        Ok(id) => id,
        Err(StoreError::NotFound("offer")) => {
            return Err(AppError::BadRequest(
                "offer_id: Choose an offer from the list, or none".into(),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    Ok((StatusCode::CREATED, Json(crate::api::Created { id })))
}

/// Every champion's hours and expenses. Audited.
#[utoipa::path(get, path = "/api/v1/champions/claims", responses((status = 200, body = ClaimsOut), (status = 403, body = crate::api::ApiError)))]
pub(crate) async fn all_claims(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<ClaimsOut>, AppError> {
    claims_of(&state, &ctx, None).await
}

/// Who is clear for which role, and what comes due in 60 days or is overdue. DBS reads audited.
#[utoipa::path(get, path = "/api/v1/champions/compliance", responses((status = 200, body = ComplianceOut), (status = 403, body = crate::api::ApiError)))]
pub(crate) async fn compliance(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<ComplianceOut>, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let store = state.store();
    let today = state.now().date();
    let years = state.programme_settings(pcn).await?.dbs_renewal_years;
    let audit = ctx.audit(
        &state,
        AuditAction::ViewCompliance,
        "champions",
        None,
        Outcome::Allowed,
    );
    let champions = store.champions(pcn, &audit).await?;
    let dbs_audit = ctx.audit(
        &state,
        AuditAction::ViewDbs,
        "champion_dbs",
        None,
        Outcome::Allowed,
    );
    let checks = store.pcn_dbs_checks(pcn, &dbs_audit).await?;
    let roles = store.champion_roles(pcn).await?;
    let holders = store.role_holders(pcn).await?;
    let clearance =
        crate::compliance::clearance(&champions, &checks, &roles, &holders, years, today)
            .into_iter()
            .map(|r| ClearanceOut {
                champion_id: r.champion.id.to_string(),
                role: r.role.name.clone(),
                clear: r.status.is_clear(),
                status: r.status.label(),
                renewal_due: match r.status {
                    Clearance::Clear { due } | Clearance::Expired { due } => Some(due.to_string()),
                    _ => None,
                },
            })
            .collect();
    let due = crate::compliance::expiring(store, pcn, &champions, &checks, years)
        .await?
        .into_iter()
        .filter_map(|e| {
            let band = Due::of(e.due, today);
            (band != Due::Later).then(|| DueOut {
                whose: e.name,
                champion_id: e.champion.map(|c| c.to_string()),
                what: e.what,
                due: e.due.to_string(),
                band: band.as_str().into(),
            })
        })
        .collect();
    Ok(Json(ComplianceOut {
        renewal_years: years,
        clearance,
        due,
    }))
}

/// The PCN's offers, for signposting people to them.
#[utoipa::path(get, path = "/api/v1/offers", responses((status = 200, body = [OfferOut])))]
pub(crate) async fn offers(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<OfferOut>>, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let today = state.now().date();
    let ahead = state
        .store()
        .offer_sessions(
            pcn,
            &together_store::offers::SessionFilter {
                from: Some(today),
                ..Default::default()
            },
        )
        .await?;
    let offers = state.store().offers(pcn).await?;
    Ok(Json(
        offers
            .into_iter()
            .map(|o| OfferOut {
                next_session: ahead
                    .iter()
                    .find(|s| s.offer_id == o.id)
                    .map(|s| s.on.to_string()),
                id: o.id.to_string(),
                name: o.name,
                description: o.description,
                kind: o.kind,
                status: o.status.as_str().into(),
                eligibility: o.eligibility,
                cost: o.cost,
                venue_id: o.venue_id,
            })
            .collect(),
    ))
}
