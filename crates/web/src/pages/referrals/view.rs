//! A person's referrals, as their record shows them.

use crate::context::Ctx;
use crate::error::AppError;
use crate::layout::date;
use crate::state::AppState;
use together_core::audit::AuditAction;
use together_core::referrals::ReferralStatus;
use together_core::{Action, PersonId};
use together_store::referrals::ReferralFilter;
use together_store::Outcome;

/// A person's referrals, for their record.
pub(crate) struct PersonReferrals {
    /// (id, referrer, received, status, decided, reason, still to decide)
    pub(crate) rows: Vec<(String, String, String, &'static str, String, String, bool)>,
    pub(crate) can_keep: bool,
}

pub(crate) async fn person_referrals(
    state: &AppState,
    ctx: &Ctx,
    person: PersonId,
) -> Result<PersonReferrals, AppError> {
    let actor = ctx.actor()?;
    let audit = ctx.audit(
        state,
        AuditAction::ListReferrals,
        "person",
        Some(person.to_string()),
        Outcome::Allowed,
    );
    let found = state
        .store()
        .referrals(
            actor.pcn_id,
            &ReferralFilter {
                person: Some(person),
                ..ReferralFilter::default()
            },
            &audit,
        )
        .await?;
    Ok(PersonReferrals {
        rows: found
            .iter()
            .map(|r| {
                (
                    r.id.to_string(),
                    r.referrer.clone(),
                    date(&r.received_on),
                    r.status.label(),
                    r.decided_on.map(|d| date(&d)).unwrap_or_default(),
                    r.reason.clone(),
                    r.status == ReferralStatus::Received,
                )
            })
            .collect(),
        can_keep: crate::pages::people::may(state, ctx, person, Action::KeepReferrals).await?,
    })
}
