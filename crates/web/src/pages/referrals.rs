//! Referrals on the web: a person's record lists their referrals to the social prescribing
//! service and, for someone who looks after them, records one and accepts or declines it; a
//! practice's clinicians download what to code in the GP record, as CSV or as a FHIR R4 bundle
//! (a ServiceRequest and a Task for each referral). Only accepted and declined referrals are
//! coded, each with its SNOMED CT concept; connections never are.

mod view;
use crate::context::{denied, Ctx};
use crate::error::path_id;
use crate::error::AppError;
use crate::layout::{one_error, Problem};
use crate::policy_router::{Policy, Routes};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use together_core::audit::AuditAction;
use together_core::export::neutralise;
use together_core::referral_letter::Letter;
use together_core::referrals::{
    code_for, DecisionForm, ReferralForm, ReferralStatus, SNOMED_SYSTEM,
};
use together_core::{authorize, Action, PersonId, ReferralId, Resource};
use together_store::referrals::{Referral, ReferralFilter};
use together_store::{Outcome, StoreError};
pub(crate) use view::{person_referrals, PersonReferrals};

pub(crate) fn routes(r: Routes) -> Routes {
    // Whether the actor may keep this person's referrals, or code this practice's, is the
    // policy's, asked again in the handler with the record.
    let find = Policy::Allow(Action::FindPeople);
    let code = Policy::Allow(Action::CodeReferrals);
    r.post("/people/{id}/referrals", find, add)
        .post("/referrals/{id}/decision", find, decide)
        .get("/referrals/coding.csv", code, coding_csv)
        .get("/referrals/coding.json", code, coding_fhir)
        .get("/referrals/{id}/letter", find, letter_page)
}

async fn add(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<ReferralForm>,
) -> Result<Response, AppError> {
    let person = path_id(&id)?;
    crate::pages::people::require(
        &state,
        &ctx,
        person,
        Action::KeepReferrals,
        together_core::audit::AuditAction::AddReferral,
    )
    .await?;
    let new = match form.parse(state.now().date()) {
        Ok(r) => r,
        Err(errors) => {
            return crate::pages::people::show_with(
                &state,
                &ctx,
                person,
                Problem::of("referral", errors),
            )
            .await
        }
    };
    let actor = ctx.actor()?;
    let audit = ctx.audit(
        &state,
        AuditAction::AddReferral,
        "person",
        Some(person.to_string()),
        Outcome::Allowed,
    );
    state
        .store()
        .add_referral(actor.pcn_id, person, actor.user_id, &new, &audit)
        .await?;
    Ok(Redirect::to(&crate::paths::people::section(person, "referrals")).into_response())
}

async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, AppError> {
    let id: ReferralId = path_id(&id)?;
    let actor = ctx.actor()?.clone();
    let (person, received_on) = state
        .store()
        .referral_scope(actor.pcn_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    crate::pages::people::require(
        &state,
        &ctx,
        person,
        Action::KeepReferrals,
        together_core::audit::AuditAction::DecideReferral,
    )
    .await?;
    let fail = |errors| {
        crate::pages::people::show_with(&state, &ctx, person, Problem::of("decision", errors))
    };
    let decided = match form.parse(received_on, state.now().date()) {
        Ok(d) => d,
        Err(errors) => return fail(errors).await,
    };
    let audit = ctx.audit(
        &state,
        AuditAction::DecideReferral,
        "referral",
        Some(id.to_string()),
        Outcome::Allowed,
    );
    match state
        .store()
        .decide_referral(actor.pcn_id, id, &decided, &audit)
        .await
    {
        Ok(()) => {
            Ok(Redirect::to(&crate::paths::people::section(person, "referrals")).into_response())
        }
        Err(StoreError::Refused(why)) => fail(one_error("decision", why.to_string())).await,
        Err(e) => Err(e.into()),
    }
}

/// The signed-in clinician's practice's accepted and declined referrals, if they may code them.
async fn to_code(state: &AppState, ctx: &Ctx) -> Result<Vec<Referral>, AppError> {
    let actor = ctx.actor()?;
    let Some(practice) = actor.practice_id else {
        return Err(AppError::Forbidden);
    };
    let resource = Resource::Practice {
        pcn_id: actor.pcn_id,
        practice_id: practice,
    };
    if !authorize(actor, Action::CodeReferrals, &resource).is_allowed() {
        denied(
            state,
            ctx,
            together_core::audit::AuditAction::CodeReferrals,
            "practice",
            Some(practice.to_string()),
        )
        .await;
        return Err(AppError::Forbidden);
    }
    let audit = ctx.audit(
        state,
        AuditAction::CodeReferrals,
        "practice",
        Some(practice.to_string()),
        Outcome::Allowed,
    );
    Ok(state
        .store()
        .referrals(
            actor.pcn_id,
            &ReferralFilter {
                practice: Some(practice),
                decided_only: true,
                ..ReferralFilter::default()
            },
            &audit,
        )
        .await?)
}

/// A date as FHIR and the CSV write it (YYYY-MM-DD).
fn iso(d: time::Date) -> String {
    d.to_string()
}

fn download(content_type: &str, file: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// One row per accepted or declined referral, with its SNOMED CT code and term and the day it
/// was decided; names are neutralised against spreadsheet formulas.
async fn coding_csv(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let found = to_code(&state, &ctx).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let internal = |e: csv::Error| AppError::Internal(e.to_string());
    w.write_record([
        "referral_id",
        "given_name",
        "family_name",
        "date_of_birth",
        "snomed_code",
        "snomed_term",
        "date",
        "referrer",
    ])
    .map_err(internal)?;
    for r in &found {
        let Some(code) = code_for(r.status) else {
            continue;
        };
        w.write_record([
            r.id.to_string(),
            neutralise(&r.given_name),
            neutralise(&r.family_name),
            iso(r.date_of_birth),
            code.code.to_owned(),
            code.term.to_owned(),
            r.decided_on.map(iso).unwrap_or_default(),
            neutralise(&r.referrer),
        ])
        .map_err(internal)?;
    }
    let body = String::from_utf8(
        w.into_inner()
            .map_err(|e| AppError::Internal(e.to_string()))?,
    )
    .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download(
        "text/csv; charset=utf-8",
        "social-prescribing-to-code.csv",
        body,
    ))
}

/// A FHIR R4 collection bundle: for each accepted or declined referral a ServiceRequest coded
/// in SNOMED CT (active when accepted, revoked when declined) and the Task that answered it.
async fn coding_fhir(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let found = to_code(&state, &ctx).await?;
    let mut entries = Vec::new();
    for r in &found {
        let Some(code) = code_for(r.status) else {
            continue;
        };
        let accepted = r.status == ReferralStatus::Accepted;
        let subject = serde_json::json!({ "display": format!("{} {} (born {})", r.given_name, r.family_name, iso(r.date_of_birth)) });
        entries.push(serde_json::json!({ "resource": {
            "resourceType": "ServiceRequest",
            "id": r.id.to_string(),
            "status": if accepted { "active" } else { "revoked" },
            "intent": "order",
            "code": { "coding": [{ "system": SNOMED_SYSTEM, "code": code.code, "display": code.term }] },
            "subject": subject,
            "authoredOn": iso(r.received_on),
            "requester": { "display": r.referrer },
        }}));
        entries.push(serde_json::json!({ "resource": {
            "resourceType": "Task",
            "id": format!("{}-task", r.id),
            "status": if accepted { "accepted" } else { "rejected" },
            "intent": "order",
            "focus": { "reference": format!("ServiceRequest/{}", r.id) },
            "for": subject,
            "authoredOn": iso(r.received_on),
            "lastModified": r.decided_on.map(iso),
        }}));
    }
    let bundle =
        serde_json::json!({ "resourceType": "Bundle", "type": "collection", "entry": entries });
    Ok(download(
        "application/fhir+json",
        "social-prescribing-to-code.json",
        bundle.to_string(),
    ))
}

#[derive(askama::Template)]
#[template(path = "referral_letter.html")]
struct LetterPage {
    layout: crate::layout::Layout,
    letter: Letter,
    person: PersonId,
}

impl LetterPage {
    fn back(&self) -> String {
        crate::paths::people::section(self.person, "referrals")
    }
}

/// The short summary letter for the GP about one referral, for whoever keeps the person's
/// referrals: what became of it, what matters to them, the connections it led to (those made
/// after it was accepted, before any later referral was) and how they are now. Audited.
async fn letter_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    use askama::Template;
    use together_core::referral_letter::{led_to, letter, LetterConnection, LetterFacts};
    use together_core::wellbeing::Ons4;
    let id: ReferralId = path_id(&id)?;
    let actor = ctx.actor()?.clone();
    let Some((person, _)) = state.store().referral_scope(actor.pcn_id, id).await? else {
        return Err(AppError::NotFound);
    };
    crate::pages::people::require(
        &state,
        &ctx,
        person,
        Action::KeepReferrals,
        together_core::audit::AuditAction::ReferralLetter,
    )
    .await?;
    let audit = ctx.audit(
        &state,
        AuditAction::ReferralLetter,
        "person",
        Some(person.to_string()),
        Outcome::Allowed,
    );
    let store = state.store();
    let referrals = store
        .referrals(
            actor.pcn_id,
            &ReferralFilter {
                person: Some(person),
                ..ReferralFilter::default()
            },
            &audit,
        )
        .await?;
    let referral = referrals
        .iter()
        .find(|r| r.id == id)
        .ok_or(AppError::NotFound)?;
    let p = store
        .read_person(actor.pcn_id, person, &audit)
        .await?
        .ok_or(AppError::NotFound)?;
    let today = state.now().date();
    let mut connections = Vec::new();
    let mut led = std::collections::HashSet::new();
    if let (ReferralStatus::Accepted, Some(accepted_on)) = (referral.status, referral.decided_on) {
        let next = referrals
            .iter()
            .filter(|r| r.status == ReferralStatus::Accepted && r.id != id)
            .filter_map(|r| r.decided_on)
            .filter(|d| *d > accepted_on)
            .min();
        let filter = together_store::connections::ConnectionFilter {
            person: Some(person),
            ..Default::default()
        };
        for c in store
            .connections(actor.pcn_id, &filter, today, &audit)
            .await?
            .into_iter()
            .filter(|c| led_to(accepted_on, next, c.made_on))
        {
            led.insert(c.id);
            connections.push(LetterConnection {
                to: c.to_name.clone(),
                made_on: c.made_on,
                status: c.status.label().to_owned(),
                ended: c.end_reason.map(|r| r.label().to_owned()),
            });
        }
    }
    connections.sort_by_key(|c| c.made_on);
    let mut asked: Vec<_> = store
        .wellbeing_of(actor.pcn_id, person, &audit)
        .await?
        .into_iter()
        .filter(|w| led.contains(&w.connection_id))
        .filter_map(|w| Some((w.answered_on, w.answers.ons4(Ons4::LifeSatisfaction)?)))
        .collect();
    asked.sort();
    let life_satisfaction = match (asked.first(), asked.last()) {
        (Some(first), Some(last)) if asked.len() >= 2 => Some((first.1, last.1)),
        _ => None,
    };
    let practice = store
        .practices(actor.pcn_id)
        .await?
        .into_iter()
        .find(|x| x.id == p.practice_id)
        .map(|x| x.name)
        .unwrap_or_default();
    let auth = ctx.auth()?;
    let facts = LetterFacts {
        service: format!("{} social prescribing", auth.pcn_name),
        referrer: referral.referrer.clone(),
        practice,
        given_name: p.given_name.clone(),
        family_name: p.family_name.clone(),
        date_of_birth: p.date_of_birth,
        received_on: referral.received_on,
        status: referral.status,
        decided_on: referral.decided_on,
        what_matters: if p.what_matters.is_empty() {
            referral.reason.clone()
        } else {
            p.what_matters.clone()
        },
        connections,
        life_satisfaction,
        writer: auth.user.display_name.clone(),
        today,
    };
    let page = LetterPage {
        layout: crate::layout::Layout::new(&state, &ctx, "Letter for the GP"),
        letter: letter(&facts),
        person,
    };
    Ok(axum::response::Html(page.render()?).into_response())
}
