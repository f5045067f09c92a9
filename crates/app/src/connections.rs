//! Connections: people connected to offers, services and champions.

use together_core::connections::NewConnection;
use together_core::invitations::Answered;
use together_core::people::NewPerson;
use together_core::{
    authorize, Action, Actor, ConnectionId, InvitationId, PersonId, Resource, Role,
};
use together_store::connections::{ConnectionFilter, ConnectionRecord, ConnectionScope};
use together_store::{programme_settings, DynStore, NewAuditEvent, Outcome, StoreError};

/// Connects a person (someone the actor may connect: the page or command checked) to an offer,
/// a service, a champion or a buddy, made by the actor, with follow-ups on the days the PCN's
/// programme settings name. The store refuses a connection its rules forbid (a champion not
/// active, someone as their own buddy, a buddy who has not agreed to be contacted).
pub async fn make(
    store: &DynStore,
    actor: &Actor,
    person: PersonId,
    new: &NewConnection,
    audit: &NewAuditEvent,
) -> Result<ConnectionId, StoreError> {
    let days = programme_settings(store, actor.pcn_id)
        .await?
        .follow_up_days;
    store
        .make_connection(actor.pcn_id, person, actor.user_id, new, &days, audit)
        .await
}

/// A champion connects someone new: the person (with the consent they gave) and the connection
/// together, or nothing, with follow-ups on the PCN's days.
pub async fn connect_someone_new(
    store: &DynStore,
    actor: &Actor,
    person: &NewPerson,
    new: &NewConnection,
    audit: &NewAuditEvent,
) -> Result<(PersonId, ConnectionId), StoreError> {
    let days = programme_settings(store, actor.pcn_id)
        .await?
        .follow_up_days;
    store
        .connect_someone_new(actor.pcn_id, person, actor.user_id, new, &days, audit)
        .await
}

/// The answer to an invitation from a cohort, recorded by the actor: a yes with a connection
/// to make makes it (with the PCN's follow-ups), for the person found or the one added.
pub async fn answer_invitation(
    store: &DynStore,
    actor: &Actor,
    invitation: InvitationId,
    answered: &Answered,
    person: Option<&NewPerson>,
    audit: &NewAuditEvent,
) -> Result<Option<(PersonId, ConnectionId)>, StoreError> {
    let days = programme_settings(store, actor.pcn_id)
        .await?
        .follow_up_days;
    store
        .answer_invitation(
            actor.pcn_id,
            invitation,
            answered,
            person,
            actor.user_id,
            &days,
            audit,
        )
        .await
}

/// A connection the actor may see, and what else they may do with it.
pub struct Seen {
    pub record: ConnectionRecord,
    /// They may take the person on (a link worker picking up a champion's connection).
    pub may_take_on: bool,
    /// They may see and keep how the person is (staff looking after them; never a champion).
    pub may_keep_wellbeing: bool,
}

/// One connection whole, if the actor may see it (`None` for one that is not there or is not
/// theirs to see, alike). The policy is asked first, from the facts alone, so a refusal reads
/// nothing; `audit` is written as refused then, and as the read otherwise.
pub async fn record(
    store: &DynStore,
    actor: &Actor,
    id: ConnectionId,
    mut audit: NewAuditEvent,
) -> Result<Option<Seen>, StoreError> {
    let Some(scope) = store
        .connection_scope(actor.pcn_id, id, actor.user_id)
        .await?
    else {
        return Ok(None);
    };
    let resource = resource_of(actor, &scope);
    if !authorize(actor, Action::KeepConnection, &resource).is_allowed() {
        audit.outcome = Outcome::Denied;
        store.audit(&audit).await?;
        return Ok(None);
    }
    let may_take_on = authorize(actor, Action::TakeOnPerson, &resource).is_allowed();
    let may_keep_wellbeing = authorize(actor, Action::KeepWellbeing, &resource).is_allowed();
    match store.connection(actor.pcn_id, id, &audit).await {
        Ok(record) => Ok(Some(Seen {
            record,
            may_take_on,
            may_keep_wellbeing,
        })),
        Err(StoreError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The policy's view of a connection for this actor.
pub fn resource_of(actor: &Actor, scope: &ConnectionScope) -> Resource {
    Resource::Connection {
        pcn_id: actor.pcn_id,
        practice_id: scope.practice_id,
        made_by_actor: scope.made_by == actor.user_id,
        on_caseload: scope.on_caseload,
        made_by_champion: scope.made_by_champion,
        shared_with_champions: scope.shared_with_champions,
    }
}

/// What a list may show the actor: a champion their own (while the person agrees), a link
/// worker what they follow up (their own, their caseload's, every champion's), a clinician
/// their practice's people, the coordinator everyone's.
pub fn scope_of(actor: &Actor) -> ConnectionFilter {
    match actor.role {
        Role::PcnAdmin => ConnectionFilter::default(),
        Role::LinkWorker => ConnectionFilter {
            followed_up_by: Some(actor.user_id),
            ..ConnectionFilter::default()
        },
        Role::Champion => ConnectionFilter {
            made_by: Some(actor.user_id),
            shared_only: true,
            ..ConnectionFilter::default()
        },
        Role::Clinician => match actor.practice_id {
            Some(p) => ConnectionFilter {
                practice: Some(p),
                ..ConnectionFilter::default()
            },
            None => ConnectionFilter {
                made_by: Some(actor.user_id),
                ..ConnectionFilter::default()
            },
        },
        _ => ConnectionFilter {
            made_by: Some(actor.user_id),
            ..ConnectionFilter::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use together_core::{PcnId, PracticeId, UserId};

    fn actor(role: Role, practice_id: Option<PracticeId>) -> Actor {
        Actor {
            user_id: UserId::new(),
            pcn_id: PcnId::new(),
            role,
            practice_id,
        }
    }

    #[test]
    fn each_role_sees_the_connections_it_looks_after() {
        let everyone = scope_of(&actor(Role::PcnAdmin, None));
        assert!(
            everyone.made_by.is_none()
                && everyone.followed_up_by.is_none()
                && everyone.practice.is_none()
                && !everyone.shared_only
        );
        let lw = actor(Role::LinkWorker, None);
        assert_eq!(scope_of(&lw).followed_up_by, Some(lw.user_id));
        let champion = actor(Role::Champion, None);
        let theirs = scope_of(&champion);
        assert!(theirs.shared_only && theirs.made_by == Some(champion.user_id));
        let practice = PracticeId::new();
        assert_eq!(
            scope_of(&actor(Role::Clinician, Some(practice))).practice,
            Some(practice)
        );
        let analyst = actor(Role::Analyst, None);
        assert_eq!(scope_of(&analyst).made_by, Some(analyst.user_id));
    }
}
