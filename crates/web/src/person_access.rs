//! Who may see or change a person, asked of the policy with what the store knows of them; and the
//! names a page about a person shows.

use crate::context::{denied, Ctx};
use crate::error::AppError;
use crate::state::AppState;
use std::collections::HashMap;
use together_core::audit::AuditAction;
use together_core::{Action, Decision, PersonId, PracticeId};
use together_store::Outcome;

/// Clinicians see their own practice's people; everyone else who may search sees the PCN's.
pub(crate) fn search_scope(ctx: &Ctx) -> Result<Option<PracticeId>, AppError> {
    Ok(together_app::people::search_scope(ctx.actor()?))
}

pub(crate) async fn practice_names(
    state: &AppState,
    ctx: &Ctx,
) -> Result<HashMap<PracticeId, String>, AppError> {
    Ok(state
        .store()
        .practices(ctx.actor()?.pcn_id)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect())
}

/// How the policy answers for this actor and this person; `None` when the person does not
/// exist in the actor's PCN.
pub(crate) async fn decide(
    state: &AppState,
    ctx: &Ctx,
    id: PersonId,
    action: Action,
) -> Result<Option<Decision>, AppError> {
    Ok(together_app::people::decide(state.store(), ctx.actor()?, id, action).await?)
}

/// Whether the actor may do `action` to this person outright (no reason asked).
pub(crate) async fn may(
    state: &AppState,
    ctx: &Ctx,
    id: PersonId,
    action: Action,
) -> Result<bool, AppError> {
    Ok(decide(state, ctx, id, action).await? == Some(Decision::Allow))
}

/// Goes on only if the actor may do `action` to this person outright; a refusal is audited as
/// `audit_action` and answered, like a person who does not exist, as not found.
pub(crate) async fn require(
    state: &AppState,
    ctx: &Ctx,
    id: PersonId,
    action: Action,
    audit_action: together_core::audit::AuditAction,
) -> Result<(), AppError> {
    match decide(state, ctx, id, action).await? {
        Some(Decision::Allow) => Ok(()),
        None => Err(AppError::NotFound),
        Some(_) => {
            denied(state, ctx, audit_action, "person", Some(id.to_string())).await;
            Err(AppError::NotFound)
        }
    }
}

/// A person's record, for a door the actor may open it at (asked first): an audited read,
/// not found when there is no such person.
pub(crate) async fn read(
    state: &AppState,
    ctx: &Ctx,
    id: PersonId,
) -> Result<together_store::Person, AppError> {
    let audit = ctx.audit(
        state,
        AuditAction::ViewPerson,
        "person",
        None,
        Outcome::Allowed,
    );
    state
        .store()
        .read_person(ctx.actor()?.pcn_id, id, &audit)
        .await?
        .ok_or(AppError::NotFound)
}

/// A person's full name, for a page about them that the actor may open (an audited read).
pub(crate) async fn name_of(state: &AppState, ctx: &Ctx, id: PersonId) -> Result<String, AppError> {
    let p = read(state, ctx, id).await?;
    Ok(format!("{} {}", p.given_name, p.family_name))
}

/// Checks that the actor may change this person, recording a refusal.
pub(crate) async fn may_update(state: &AppState, ctx: &Ctx, id: PersonId) -> Result<(), AppError> {
    require(
        state,
        ctx,
        id,
        Action::UpdatePerson,
        together_core::audit::AuditAction::UpdatePerson,
    )
    .await
}
