//! The JSON API for the directory's listings (for the coordinator: what is overdue for
//! checking, what waits for approval) and the equipment (for the coordinator: where each item
//! is). Neither carries anything about people: a loan's person is not in it.

use crate::context::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use serde::Serialize;
use together_core::listings::Verification;
use utoipa::ToSchema;

/// A listing the PCN does not run, with its place in the verification cycle.
#[derive(Serialize, ToSchema)]
pub(crate) struct ListingOut {
    id: String,
    name: String,
    organization: String,
    /// The partner that keeps it, or none for the PCN's own team.
    kept_by: Option<String>,
    published: bool,
    /// awaiting_approval, lapsed or staff, when it is not published
    unpublished_reason: Option<String>,
    /// YYYY-MM-DD
    last_checked: String,
    /// current, due_soon, overdue or lapsed
    verification: String,
    change_waiting: bool,
}

/// The directory's other listings, by name.
#[utoipa::path(get, path = "/api/v1/listings", responses((status = 200, body = [ListingOut])))]
pub(crate) async fn listings(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<ListingOut>>, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let settings = state.programme_settings(pcn).await?;
    let (months, grace) = (settings.verify_months, settings.grace_days);
    let today = state.now().date();
    Ok(Json(
        state
            .store()
            .listings(pcn, None)
            .await?
            .into_iter()
            .map(|l| ListingOut {
                verification: Verification::of(l.assured_on, months, grace, today)
                    .as_str()
                    .into(),
                last_checked: l.assured_on.to_string(),
                id: l.id.to_string(),
                name: l.name,
                organization: l.organization,
                kept_by: l.owner_name,
                published: l.published,
                unpublished_reason: l.unpublished_reason,
                change_waiting: l.pending_change,
            })
            .collect(),
    ))
}

/// An item of equipment and where it is.
#[derive(Serialize, ToSchema)]
pub(crate) struct ItemOut {
    id: String,
    /// blood_pressure_monitor, pulse_oximeter, weighing_scales or other
    kind: String,
    name: String,
    serial: String,
    /// good, worn, needs_repair or retired
    condition: String,
    /// YYYY-MM-DD, when it is out on loan
    due_back: Option<String>,
    overdue: bool,
    needs_cleaning: bool,
    /// YYYY-MM-DD
    last_cleaned: Option<String>,
}

/// The PCN's equipment, by name.
#[utoipa::path(get, path = "/api/v1/equipment", responses((status = 200, body = [ItemOut])))]
pub(crate) async fn equipment(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<ItemOut>>, AppError> {
    let today = state.now().date();
    Ok(Json(
        state
            .store()
            .items(ctx.actor()?.pcn_id)
            .await?
            .into_iter()
            .map(|i| ItemOut {
                needs_cleaning: i.needs_cleaning(),
                overdue: i.due_on.is_some_and(|d| d < today),
                due_back: i.due_on.map(|d| d.to_string()),
                last_cleaned: i.last_cleaned.map(|d| d.to_string()),
                id: i.id.to_string(),
                kind: i.kind,
                name: i.name,
                serial: i.serial,
                condition: i.condition,
            })
            .collect(),
    ))
}
