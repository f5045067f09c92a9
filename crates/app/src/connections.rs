//! Connections: people connected to offers, services and champions.

use together_core::connections::NewConnection;
use together_core::{Actor, ConnectionId, PersonId, Role};
use together_store::connections::ConnectionFilter;
use together_store::{programme_settings, DynStore, NewAuditEvent, StoreError};

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
