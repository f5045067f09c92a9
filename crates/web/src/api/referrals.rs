//! The JSON API for a person's referrals to social prescribing: for whoever keeps them (their
//! practice's clinicians, a link worker with them on their caseload, the coordinator), each
//! with what the practice codes for it (nothing while it is only received).

use crate::context::Ctx;
use crate::error::path_id;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;
use together_core::audit::AuditAction;
use together_core::referrals::code_for;
use together_core::Action;
use together_store::referrals::ReferralFilter;
use together_store::Outcome;
use utoipa::ToSchema;

/// One referral received for the person.
#[derive(Serialize, ToSchema)]
pub(crate) struct ReferralOut {
    id: String,
    referrer: String,
    reason: String,
    /// YYYY-MM-DD
    received_on: String,
    /// received, accepted or declined
    status: String,
    /// YYYY-MM-DD, once accepted or declined
    decided_on: Option<String>,
    /// The SNOMED CT concept the practice codes: only once accepted or declined.
    snomed_code: Option<String>,
}

/// A person's referrals, newest first. Refused (not found, audited) to anyone who does not
/// look after them.
#[utoipa::path(get, path = "/api/v1/people/{id}/referrals", params(("id" = String, Path, description = "The person's id")), responses((status = 200, body = [ReferralOut]), (status = 404, body = super::ApiError)))]
pub(crate) async fn of_person(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<Vec<ReferralOut>>, AppError> {
    let person = path_id(&id)?;
    crate::person_access::require(
        &state,
        &ctx,
        person,
        Action::KeepReferrals,
        together_core::audit::AuditAction::ListReferrals,
    )
    .await?;
    let audit = ctx.audit(
        &state,
        AuditAction::ListReferrals,
        "person",
        Some(person.to_string()),
        Outcome::Allowed,
    );
    Ok(Json(
        state
            .store()
            .referrals(
                ctx.actor()?.pcn_id,
                &ReferralFilter {
                    person: Some(person),
                    ..ReferralFilter::default()
                },
                &audit,
            )
            .await?
            .into_iter()
            .map(|r| ReferralOut {
                id: r.id.to_string(),
                referrer: r.referrer,
                reason: r.reason,
                received_on: r.received_on.to_string(),
                status: r.status.as_str().into(),
                decided_on: r.decided_on.map(|d| d.to_string()),
                snomed_code: code_for(r.status).map(|c| c.code.to_owned()),
            })
            .collect(),
    ))
}
