//! People the PCN supports.

use crate::SpreadsheetRefused;
use std::io::Read;
use time::OffsetDateTime;
use together_core::people::{FieldError, PersonForm};
use together_core::{
    authorize, Action, Actor, Decision, PcnId, PersonId, PracticeId, PseudonymKey, Resource, Role,
};
use together_formats::people::read_people;
use together_store::people::{ImportedPerson, PeopleImported};
use together_store::{practice_codes, DynStore, NewAuditEvent, StoreError};

/// Imports the people spreadsheet a PCN keeps today: every row checked (dates of birth against
/// `now`, each practice one of the PCN's), NHS numbers pseudonymised with `key` at the door,
/// and all of it saved in one transaction or none of it. People already there are left as they
/// were, so importing the same file again adds nobody.
pub async fn import_spreadsheet(
    store: &DynStore,
    pcn: PcnId,
    key: &PseudonymKey,
    input: impl Read,
    now: OffsetDateTime,
    audit: &NewAuditEvent,
) -> Result<PeopleImported, SpreadsheetRefused> {
    let read = read_people(input, now)?;
    let rows = read.summary.rows;
    let checked = read
        .resolve(&practice_codes(store, pcn).await?)
        .map_err(|errors| SpreadsheetRefused::Rows { rows, errors })?;
    let people: Vec<ImportedPerson> = checked
        .into_iter()
        .map(|r| ImportedPerson::pseudonymised(r.person, r.consents, r.method, key))
        .collect();
    Ok(store.import_people(pcn, &people, audit).await?)
}

/// Whose people a search finds: a clinician their own practice's (nobody's when their account
/// names no practice), everyone else who may search the PCN's.
pub fn search_scope(actor: &Actor) -> Option<PracticeId> {
    (actor.role == Role::Clinician).then(|| {
        actor
            .practice_id
            .unwrap_or(PracticeId::from(uuid::Uuid::nil()))
    })
}

/// How the policy answers this actor about this person for `action`, from what the store knows
/// of them (their practice, whether they are on the actor's caseload); `None` when the person
/// does not exist in the actor's PCN.
pub async fn decide(
    store: &DynStore,
    actor: &Actor,
    id: PersonId,
    action: Action,
) -> Result<Option<Decision>, StoreError> {
    let Some(scope) = store.person_scope(actor.pcn_id, id, actor.user_id).await? else {
        return Ok(None);
    };
    let resource = Resource::Person {
        pcn_id: actor.pcn_id,
        practice_id: scope.practice_id,
        on_caseload: scope.on_caseload,
        connected_by_actor: false,
    };
    Ok(Some(authorize(actor, action, &resource)))
}

/// Adds a person from the form: a clinician only at their own practice; a link worker who adds
/// someone has them on their caseload; the NHS number is pseudonymised with `key` at the door.
/// The form's problems come back as field errors, nothing saved.
pub async fn add_person(
    store: &DynStore,
    actor: &Actor,
    key: &PseudonymKey,
    form: &PersonForm,
    now: OffsetDateTime,
    audit: &NewAuditEvent,
) -> Result<Result<PersonId, Vec<FieldError>>, StoreError> {
    let person = match form.parse(now) {
        Ok(p) => p,
        Err(errors) => return Ok(Err(errors)),
    };
    let practice_error = |message: &str| {
        Ok(Err(vec![FieldError {
            field: "practice_id",
            message: message.to_owned(),
        }]))
    };
    if actor.role == Role::Clinician && actor.practice_id != Some(person.practice_id) {
        return practice_error("You can add people registered at your own practice");
    }
    let pseudonym = person.nhs_number.as_ref().map(|n| key.pseudonymise(n));
    let caseload = (actor.role == Role::LinkWorker).then_some(actor.user_id);
    match store
        .create_person(actor.pcn_id, &person, pseudonym.as_ref(), caseload, audit)
        .await
    {
        Ok(id) => Ok(Ok(id)),
        Err(StoreError::NotFound(_)) => practice_error("Choose the person's GP practice"),
        Err(e) => Err(e),
    }
}

/// Changes a person's details from the form: a clinician keeps people at their own practice
/// only (moving someone to another practice is for that practice or the coordinator); the NHS
/// number is pseudonymised with `key` at the door and must match one already linked. The
/// form's problems come back as field errors, nothing saved.
pub async fn update_person(
    store: &DynStore,
    actor: &Actor,
    id: PersonId,
    key: &PseudonymKey,
    form: &PersonForm,
    now: OffsetDateTime,
    audit: &NewAuditEvent,
) -> Result<Result<(), Vec<FieldError>>, StoreError> {
    let person = match form.parse(now) {
        Ok(p) => p,
        Err(errors) => return Ok(Err(errors)),
    };
    let field_error =
        |field: &'static str, message: String| Ok(Err(vec![FieldError { field, message }]));
    if actor.role == Role::Clinician && actor.practice_id != Some(person.practice_id) {
        return field_error(
            "practice_id",
            "You can keep people at your own practice only".into(),
        );
    }
    let pseudonym = person.nhs_number.as_ref().map(|n| key.pseudonymise(n));
    match store
        .update_person(actor.pcn_id, id, &person, pseudonym.as_ref(), audit)
        .await
    {
        Ok(()) => Ok(Ok(())),
        Err(StoreError::NotFound("practice")) => {
            field_error("practice_id", "Choose the person's GP practice".into())
        }
        Err(StoreError::Refused(why)) => field_error("nhs_number", why.to_string()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use together_core::UserId;

    #[test]
    fn a_clinician_searches_only_their_own_practice_and_others_the_pcn() {
        let actor = |role, practice_id| Actor {
            user_id: UserId::new(),
            pcn_id: PcnId::new(),
            role,
            practice_id,
        };
        let quayside = PracticeId::new();
        assert_eq!(
            search_scope(&actor(Role::Clinician, Some(quayside))),
            Some(quayside)
        );
        let nowhere = search_scope(&actor(Role::Clinician, None));
        assert!(
            nowhere.is_some() && nowhere != Some(quayside),
            "nobody's people"
        );
        assert_eq!(search_scope(&actor(Role::LinkWorker, None)), None);
        assert_eq!(search_scope(&actor(Role::PcnAdmin, None)), None);
    }
}
