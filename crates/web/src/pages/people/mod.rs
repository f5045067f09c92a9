//! People the PCN supports: find, add, open (audited, with break-glass for link workers outside
//! their caseload), record and withdraw consent, and see who has viewed a record.

use crate::context::{denied, Ctx};
use crate::error::AppError;
use crate::layout::{date, when, Layout};
use crate::pages::admin::{audit_rows, AuditRow};
use crate::policy_router::{Policy, Routes};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use std::collections::HashMap;
use together_core::people::{ConsentMethod, ConsentPurpose, FieldError, PersonForm};
use together_core::{authorize, Action, Decision, PersonId, PracticeId, Resource, Role};
use together_store::{AuditFilter, Channel, NewMessage, Outcome, Person, PersonSummary, Practice};

mod buddy;
mod edit;
mod import;
mod merge;
mod pick;
mod subject_access;

pub(crate) fn routes(r: Routes) -> Routes {
    let find = Policy::Allow(Action::FindPeople);
    let merging = Policy::Allow(Action::MergePeople);
    let sar = Policy::Allow(Action::PersonSubjectAccess);
    r.get("/people", find, find_page)
        .get("/people/new", Policy::Allow(Action::CreatePerson), new_page)
        .get(
            "/people/import",
            Policy::Allow(Action::ImportPeople),
            import::page,
        )
        .upload(
            "/people/import",
            Policy::Allow(Action::ImportPeople),
            import::upload,
        )
        .post("/people", Policy::Allow(Action::CreatePerson), create)
        .get("/people/{id}", find, view)
        .post("/people/{id}/open", find, break_glass)
        .post("/people/{id}/consents", find, add_consent)
        .post("/people/{id}/consents/withdraw", find, withdraw)
        .get("/people/{id}/edit", find, edit::edit_page)
        .post("/people/{id}/edit", find, edit::save)
        .get("/people/{id}/buddy", find, buddy::page)
        .post("/people/{id}/buddy", find, buddy::connect)
        .get("/people/{id}/merge", merging, merge::page)
        .post("/people/{id}/merge", merging, merge::merge)
        .get(
            "/people/{id}/subject-access.json",
            sar,
            subject_access::export_json,
        )
        .get(
            "/people/{id}/subject-access.csv",
            sar,
            subject_access::export_csv,
        )
        .post("/people/{id}/erase", sar, subject_access::erase)
        .get(
            "/people/{id}/access",
            Policy::Allow(Action::ViewAudit),
            access_log,
        )
}

/// Clinicians see their own practice's people; everyone else who may search sees the PCN's.
pub(crate) fn search_scope(ctx: &Ctx) -> Result<Option<PracticeId>, AppError> {
    let a = ctx.actor()?;
    Ok(if a.role == Role::Clinician {
        a.practice_id.or(Some(PracticeId::from(uuid::Uuid::nil())))
    } else {
        None
    })
}

#[derive(Template)]
#[template(path = "people.html")]
struct FindPage {
    layout: Layout,
    q: String,
    searched: bool,
    results: Vec<(PersonSummary, String, String)>,
    can_create: bool,
    can_see_pledges: bool,
    can_import: bool,
}

#[derive(Deserialize, Default)]
struct FindQuery {
    #[serde(default)]
    q: String,
}

async fn practice_names(
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

async fn find_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<FindQuery>,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?.clone();
    let term = q.q.trim().to_owned();
    let searched = term.chars().count() >= 2;
    let results = if searched {
        let names = practice_names(&state, &ctx).await?;
        let audit = ctx.audit(&state, "find_people", "people", None, Outcome::Allowed);
        state
            .store()
            .find_people(actor.pcn_id, search_scope(&ctx)?, &term, &audit)
            .await?
            .into_iter()
            .map(|p| {
                let practice = names.get(&p.practice_id).cloned().unwrap_or_default();
                let born = date(&p.date_of_birth);
                (p, practice, born)
            })
            .collect()
    } else {
        Vec::new()
    };
    let page = FindPage {
        layout: Layout::new(&state, &ctx, "People"),
        q: term,
        searched,
        results,
        can_create: authorize(&actor, Action::CreatePerson, &Resource::Pcn(actor.pcn_id))
            .is_allowed(),
        can_see_pledges: authorize(&actor, Action::ManagePledges, &Resource::Pcn(actor.pcn_id))
            .is_allowed(),
        can_import: authorize(&actor, Action::ImportPeople, &Resource::Pcn(actor.pcn_id))
            .is_allowed(),
    };
    Ok(Html(page.render()?).into_response())
}

/// The person form, adding someone or changing their details.
#[derive(Template)]
#[template(path = "person_new.html")]
struct FormPage {
    layout: Layout,
    form: PersonForm,
    errors: Vec<FieldError>,
    practices: Vec<Practice>,
    preferences: Vec<(&'static str, &'static str)>,
    /// Where the form goes and what its button says.
    action: String,
    button: &'static str,
    /// Changing someone already linked to the appointment data through their NHS number.
    linked: bool,
    back: String,
}

impl FormPage {
    fn err(&self, field: &str) -> String {
        crate::layout::field_error(&self.errors, field)
    }
}

/// Renders the person form: a new person when `editing` is `None`, else that person's details
/// (`linked` when their NHS number's pseudonym is already held).
pub(crate) async fn render_form(
    state: &AppState,
    ctx: &Ctx,
    form: PersonForm,
    errors: Vec<FieldError>,
    editing: Option<(PersonId, bool)>,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?;
    let mut practices = state.store().practices(actor.pcn_id).await?;
    if let (Role::Clinician, Some(own)) = (actor.role, actor.practice_id) {
        practices.retain(|p| p.id == own);
    }
    let (title, action, button, linked, back) = match editing {
        None => (
            "Add a person",
            "/people".to_owned(),
            "Add person",
            false,
            "/people".to_owned(),
        ),
        Some((id, linked)) => (
            "Change their details",
            format!("/people/{id}/edit"),
            "Save their details",
            linked,
            format!("/people/{id}"),
        ),
    };
    let page = FormPage {
        layout: Layout::new(state, ctx, title),
        form,
        errors,
        practices,
        preferences: together_core::people::ContactPreference::ALL
            .iter()
            .map(|c| (c.as_str(), c.label()))
            .collect(),
        action,
        button,
        linked,
        back,
    };
    let status = crate::layout::form_status(!page.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

async fn new_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    render_form(&state, &ctx, PersonForm::default(), Vec::new(), None).await
}

/// Adds a person for the signed-in actor: the form is checked, a clinician may add only their
/// own practice's people, the NHS number becomes the pseudonym (and is dropped), and a link
/// worker gets the person on their caseload. `Ok(Err(..))` lists what to correct.
pub(crate) async fn add_person(
    state: &AppState,
    ctx: &Ctx,
    form: &PersonForm,
) -> Result<Result<PersonId, Vec<FieldError>>, AppError> {
    let actor = ctx.actor()?.clone();
    let person = match form.parse(state.now()) {
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
    let pseudonym = person
        .nhs_number
        .as_ref()
        .map(|n| state.0.pseudonym_key.pseudonymise(n));
    let caseload = (actor.role == Role::LinkWorker).then_some(actor.user_id);
    let audit = ctx.audit(state, "create_person", "person", None, Outcome::Allowed);
    match state
        .store()
        .create_person(actor.pcn_id, &person, pseudonym.as_ref(), caseload, &audit)
        .await
    {
        Ok(id) => Ok(Ok(id)),
        Err(together_store::StoreError::NotFound(_)) => {
            practice_error("Choose the person's GP practice")
        }
        Err(e) => Err(e.into()),
    }
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<PersonForm>,
) -> Result<Response, AppError> {
    match add_person(&state, &ctx, &form).await? {
        Ok(id) => Ok(Redirect::to(&format!("/people/{id}")).into_response()),
        Err(errors) => render_form(&state, &ctx, form, errors, None).await,
    }
}

/// How the policy answers for this actor and this person; `None` when the person does not
/// exist in the actor's PCN.
pub(crate) async fn decide(
    state: &AppState,
    ctx: &Ctx,
    id: PersonId,
    action: Action,
) -> Result<Option<Decision>, AppError> {
    let actor = ctx.actor()?;
    let Some(scope) = state
        .store()
        .person_scope(actor.pcn_id, id, actor.user_id)
        .await?
    else {
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
    audit_action: &str,
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

pub(crate) fn person_id(id: &str) -> Result<PersonId, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

/// A person's full name, for a page about them that the actor may open (an audited read).
pub(crate) async fn name_of(state: &AppState, ctx: &Ctx, id: PersonId) -> Result<String, AppError> {
    let audit = ctx.audit(state, "view_person", "person", None, Outcome::Allowed);
    let p = state
        .store()
        .read_person(ctx.actor()?.pcn_id, id, &audit)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(format!("{} {}", p.given_name, p.family_name))
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    layout: Layout,
    person: Person,
    born: String,
    age: i32,
    practice: String,
    preference: &'static str,
    consents: Vec<ConsentRow>,
    purposes: Vec<(&'static str, &'static str)>,
    methods: Vec<(&'static str, &'static str)>,
    can_see_access: bool,
    can_update: bool,
    can_merge: bool,
    can_answer_sar: bool,
    break_glass: bool,
    equipment: crate::pages::equipment::PersonEquipment,
    connections: crate::pages::connections::PersonConnections,
    referrals: crate::pages::referrals::PersonReferrals,
    today_hint: String,
    decisions: Vec<(String, String)>,
    problem: crate::layout::Problem,
}

pub(crate) struct ConsentRow {
    pub purpose: &'static str,
    pub method: &'static str,
    pub given: String,
    pub recorded_by: String,
    pub withdrawn: String,
}

#[derive(Template)]
#[template(path = "person_reason.html")]
struct ReasonPage {
    layout: Layout,
    id: PersonId,
    error: String,
}

/// The person's page again, with a problem in one of its forms (the lending form, say).
pub(crate) async fn show_with(
    state: &AppState,
    ctx: &Ctx,
    id: PersonId,
    problem: crate::layout::Problem,
) -> Result<Response, AppError> {
    show(state, ctx, id, Outcome::Allowed, None, problem).await
}

async fn show(
    state: &AppState,
    ctx: &Ctx,
    id: PersonId,
    outcome: Outcome,
    reason: Option<String>,
    problem: crate::layout::Problem,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?.clone();
    let mut audit = ctx.audit(state, "view_person", "person", None, outcome);
    audit.reason = reason;
    let person = state
        .store()
        .read_person(actor.pcn_id, id, &audit)
        .await?
        .ok_or(AppError::NotFound)?;
    let consents = state
        .store()
        .consents(id)
        .await?
        .into_iter()
        .map(|c| ConsentRow {
            purpose: c
                .purpose
                .parse::<ConsentPurpose>()
                .map(|p| p.label())
                .unwrap_or("Other"),
            method: c
                .method
                .parse::<ConsentMethod>()
                .map(|m| m.label())
                .unwrap_or("Other"),
            given: when(&c.given_at),
            recorded_by: c.recorded_by,
            withdrawn: c.withdrawn_at.as_ref().map(when).unwrap_or_default(),
        })
        .collect();
    let today = state.now().date();
    let mut age = today.year() - person.date_of_birth.year();
    if (today.month() as u8, today.day())
        < (
            person.date_of_birth.month() as u8,
            person.date_of_birth.day(),
        )
    {
        age -= 1;
    }
    let practice = practice_names(state, ctx)
        .await?
        .remove(&person.practice_id)
        .unwrap_or_default();
    let page = PersonPage {
        layout: Layout::new(
            state,
            ctx,
            &format!("{} {}", person.given_name, person.family_name),
        ),
        born: date(&person.date_of_birth),
        age,
        practice,
        preference: person.contact_preference.label(),
        consents,
        purposes: ConsentPurpose::ALL
            .iter()
            .map(|p| (p.as_str(), p.label()))
            .collect(),
        methods: ConsentMethod::ALL
            .iter()
            .map(|m| (m.as_str(), m.label()))
            .collect(),
        can_see_access: authorize(&actor, Action::ViewAudit, &Resource::Pcn(actor.pcn_id))
            .is_allowed(),
        can_update: may(state, ctx, id, Action::UpdatePerson).await?,
        can_merge: authorize(&actor, Action::MergePeople, &Resource::Pcn(actor.pcn_id))
            .is_allowed(),
        can_answer_sar: authorize(
            &actor,
            Action::PersonSubjectAccess,
            &Resource::Pcn(actor.pcn_id),
        )
        .is_allowed(),
        break_glass: outcome == Outcome::BreakGlass,
        equipment: crate::pages::equipment::person_equipment(state, ctx, id).await?,
        connections: crate::pages::connections::person_connections(state, ctx, id).await?,
        referrals: crate::pages::referrals::person_referrals(state, ctx, id).await?,
        today_hint: format!(
            "Leave empty for today, {}",
            together_core::people::uk_date(state.now().date())
        ),
        decisions: [("accepted", "Accepted"), ("declined", "Declined")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .to_vec(),
        person,
        problem,
    };
    let status = crate::layout::form_status(!page.problem.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

async fn view(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = person_id(&id)?;
    // A record merged into another leads there (the policy then asks about that one).
    if let Some(kept) = state.store().merged_into(ctx.actor()?.pcn_id, id).await? {
        return Ok(Redirect::to(&format!("/people/{kept}")).into_response());
    }
    let ask_reason = || -> Result<Response, AppError> {
        let page = ReasonPage {
            layout: Layout::new(&state, &ctx, "This person is not on your caseload"),
            id,
            error: String::new(),
        };
        Ok(Html(page.render()?).into_response())
    };
    match decide(&state, &ctx, id, Action::ViewPerson).await? {
        // A link worker is asked for a reason for a record that does not exist as for one
        // outside their caseload, so the page does not tell them which ids are people.
        None if ctx.actor()?.role == Role::LinkWorker => ask_reason(),
        None => Err(AppError::NotFound),
        Some(Decision::Allow) => {
            show(
                &state,
                &ctx,
                id,
                Outcome::Allowed,
                None,
                crate::layout::Problem::none(),
            )
            .await
        }
        Some(Decision::AllowWithReason) => ask_reason(),
        // Outside the actor's reach: the same answer as a record that does not exist.
        Some(Decision::Deny) => {
            denied(&state, &ctx, "view_person", "person", Some(id.to_string())).await;
            Err(AppError::NotFound)
        }
    }
}

#[derive(Deserialize)]
struct ReasonForm {
    reason: String,
}

async fn break_glass(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ReasonForm>,
) -> Result<Response, AppError> {
    let id = person_id(&id)?;
    match decide(&state, &ctx, id, Action::ViewPerson).await? {
        Some(Decision::Allow) => Ok(Redirect::to(&format!("/people/{id}")).into_response()),
        Some(Decision::AllowWithReason) => {
            let reason = f.reason.trim().to_owned();
            if reason.chars().count() < 10 || reason.chars().count() > 500 {
                let page = ReasonPage {
                    layout: Layout::new(&state, &ctx, "This person is not on your caseload"),
                    id,
                    error: "Say why you need to open this record (10 to 500 characters)".into(),
                };
                return Ok(
                    (axum::http::StatusCode::BAD_REQUEST, Html(page.render()?)).into_response()
                );
            }
            alert_administrators(&state, &ctx, id).await?;
            show(
                &state,
                &ctx,
                id,
                Outcome::BreakGlass,
                Some(reason),
                crate::layout::Problem::none(),
            )
            .await
        }
        _ => Err(AppError::NotFound),
    }
}

/// Tells the PCN's administrators (who hold the information governance role) that a record was
/// opened outside a caseload. The message names no one: it points at the audit trail.
async fn alert_administrators(state: &AppState, ctx: &Ctx, id: PersonId) -> Result<(), AppError> {
    let a = ctx.auth()?;
    for admin in state
        .store()
        .users(a.actor.pcn_id)
        .await?
        .into_iter()
        .filter(|u| u.role == Role::PcnAdmin && u.status == together_store::UserStatus::Active)
    {
        state
            .store()
            .enqueue_message(&NewMessage {
                pcn_id: Some(a.actor.pcn_id),
                person: None,
                channel: Channel::Email,
                recipient: admin.email.to_string(),
                subject: "A record was opened outside a caseload".into(),
                body: format!(
                    "{} opened person record {id} giving a reason. See who viewed it: {}/people/{id}/access",
                    a.user.display_name,
                    state.config().public_url.trim_end_matches('/')
                ),
                now: state.now(),
            })
            .await?;
    }
    Ok(())
}

/// Checks that the actor may change this person, recording a refusal.
pub(crate) async fn may_update(state: &AppState, ctx: &Ctx, id: PersonId) -> Result<(), AppError> {
    require(state, ctx, id, Action::UpdatePerson, "update_person").await
}

#[derive(Deserialize)]
struct ConsentForm {
    purpose: String,
    method: String,
}

async fn add_consent(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ConsentForm>,
) -> Result<Response, AppError> {
    let id = person_id(&id)?;
    may_update(&state, &ctx, id).await?;
    let (Ok(purpose), Ok(method)) = (
        f.purpose.parse::<ConsentPurpose>(),
        f.method.parse::<ConsentMethod>(),
    ) else {
        return Err(AppError::BadRequest(
            "Choose what they agreed to and how".into(),
        ));
    };
    let audit = ctx.audit(&state, "record_consent", "person", None, Outcome::Allowed);
    state
        .store()
        .add_consent(id, purpose, method, ctx.actor()?.user_id, &audit)
        .await?;
    Ok(Redirect::to(&format!("/people/{id}#consent")).into_response())
}

async fn withdraw(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = person_id(&id)?;
    may_update(&state, &ctx, id).await?;
    let audit = ctx.audit(&state, "withdraw_consent", "person", None, Outcome::Allowed);
    state
        .store()
        .withdraw_consents(id, ctx.actor()?.user_id, &audit)
        .await?;
    Ok(Redirect::to(&format!("/people/{id}#consent")).into_response())
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AccessPage {
    layout: Layout,
    rows: Vec<AuditRow>,
    heading: String,
}

async fn access_log(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = person_id(&id)?;
    let actor = ctx.actor()?;
    if state
        .store()
        .person_scope(actor.pcn_id, id, actor.user_id)
        .await?
        .is_none()
    {
        return Err(AppError::NotFound);
    }
    // A merged record's trail is this person's too.
    let mut rows = Vec::new();
    for one in std::iter::once(id).chain(state.store().merged_from(actor.pcn_id, id).await?) {
        let filter = AuditFilter {
            resource_type: Some("person".into()),
            resource_id: Some(one.to_string()),
            actor: None,
            limit: 500,
        };
        rows.extend(audit_rows(&state, &ctx, &filter).await?);
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.seq));
    let page = AccessPage {
        layout: Layout::new(&state, &ctx, "Who has viewed this record"),
        rows,
        heading: format!("Who has viewed or changed record {id}"),
    };
    Ok(Html(page.render()?).into_response())
}
