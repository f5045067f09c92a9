//! Invitations from a cohort: a clinician invites their practice's people in a cohort to an
//! offer (a text message to those with a mobile, else a letter; or a phone call), sees who was
//! invited and what they said, and records each answer. A "yes" becomes a person with the
//! consent they gave and a suggested connection (source: a cohort invitation).
//! Names come back through the audited re-identification every time; only pseudonyms are kept.

use crate::context::{denied, Ctx};
use crate::error::path_id;
use crate::error::AppError;
use crate::layout::{date, form_status, Layout, Problem};
use crate::pages::cohorts::{identify, load, members_at, offers_to_invite_to, practice_to_name};
use crate::policy_router::{Policy, Routes};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use std::collections::{HashMap, HashSet};
use together_core::audit::AuditAction;
use together_core::connections::Target;
use together_core::invitations::{text_message, Answer, AnswerForm, Channel};
use together_core::people::{uk_date, FieldError, PersonForm};
use together_core::{authorize, Action, InvitationId, Resource};
use together_insight::patient_index::IndexEntry;
use together_store::invitations::{Invitation, Invitee};
use together_store::{Channel as Sending, NewMessage, Outcome, StoreError};

pub(crate) fn routes(r: Routes) -> Routes {
    let insight = Policy::Allow(Action::ViewInsight);
    r.post("/insight/cohorts/{id}/invite", insight, invite)
        .get("/insight/cohorts/{id}/invited", insight, list)
        .get("/insight/invitations/{id}", insight, answer_page)
        .post("/insight/invitations/{id}", insight, answer)
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct InviteForm {
    service: String,
    channel: String,
}

/// Invites the cohort's members at the clinician's practice who were not invited before.
async fn invite(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<InviteForm>,
) -> Result<Response, AppError> {
    let (_, _, cohort, _) = load(&state, &ctx, &id).await?;
    let practice = practice_to_name(&state, &ctx).await?;
    let offers = offers_to_invite_to(&state, &ctx).await?;
    let (Some((service, offer)), Ok(wanted)) = (
        offers
            .iter()
            .skip(1)
            .find(|(k, _)| *k == form.service)
            .and_then(|(k, v)| Some((k.parse().ok()?, v.clone()))),
        form.channel.parse::<Channel>(),
    ) else {
        return Err(AppError::BadRequest(
            "Choose the offer to invite them to, and how to invite them".into(),
        ));
    };
    let members = members_at(&cohort, &practice);
    let people = identify(
        &state,
        &ctx,
        &practice,
        &members,
        &format!("invitations for cohort {id}"),
    )
    .await?;
    let pcn = ctx.actor()?.pcn_id;
    let invitees: Vec<Invitee> = people
        .into_iter()
        .map(|p| {
            let channel = Channel::for_person(wanted, p.entry.mobile.is_some());
            let message = match (&p.entry.mobile, channel) {
                (Some(mobile), Channel::Text) => Some(NewMessage {
                    pcn_id: Some(pcn),
                    person: None,
                    channel: Sending::Sms,
                    recipient: mobile.clone(),
                    subject: format!("An invitation from {}", practice.name),
                    body: text_message(&p.entry.given_name, &practice.name, &offer),
                    now: state.now(),
                }),
                _ => None,
            };
            Invitee {
                pseudonym: p.pseudonym,
                channel,
                message,
            }
        })
        .collect();
    let audit = ctx.audit(
        &state,
        AuditAction::InviteCohort,
        "cohort",
        None,
        Outcome::Allowed,
    );
    let done = state
        .store()
        .invite(pcn, &id, practice.id, service, &invitees, &audit)
        .await?;
    Ok(Redirect::to(&format!(
        "/insight/cohorts/{id}/invited?invited={}&connected={}",
        done.invited, done.already_connected
    ))
    .into_response())
}

/// What the invitations just made did, carried to the list by its redirect.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct JustInvited {
    invited: Option<u64>,
    connected: Option<u64>,
}

impl JustInvited {
    /// A sentence for the clinician, or empty when the list was opened on its own.
    fn told(&self) -> String {
        let people = |n: u64| match n {
            1 => "1 person".to_owned(),
            n => format!("{n} people"),
        };
        let Some(invited) = self.invited else {
            return String::new();
        };
        let mut said = format!("Invited {} now.", people(invited));
        match self.connected.unwrap_or(0) {
            0 => {}
            1 => said
                .push_str(" 1 person was not invited: they are connected to that offer already."),
            n => said.push_str(&format!(
                " {n} people were not invited: they are connected to that offer already."
            )),
        }
        said
    }
}

/// One row of the list: the invitation and who it is for.
struct Row {
    id: InvitationId,
    name: String,
    born: String,
    to: String,
    how: &'static str,
    /// (label, tag colour); empty while waiting for an answer.
    answer: (&'static str, &'static str),
    answered_on: String,
    person: String,
}

#[derive(Template)]
#[template(path = "invitations.html")]
struct ListPage {
    layout: Layout,
    cohort_id: String,
    cohort: String,
    practice: String,
    rows: Vec<Row>,
    /// (what, how many) for the summary.
    counts: Vec<(&'static str, usize)>,
    /// What the invitations just made did; empty when the list is opened on its own.
    told: String,
}

impl ListPage {
    fn back(&self) -> String {
        format!("/insight/cohorts/{}", self.cohort_id)
    }
}

impl AnswerPage {
    fn back(&self) -> String {
        format!("/insight/cohorts/{}/invited", self.invitation.cohort_id)
    }
}

fn answer_tag(a: Option<Answer>) -> (&'static str, &'static str) {
    match a {
        None => ("", ""),
        Some(Answer::Yes) => ("Yes", "green"),
        Some(Answer::No) => ("No, thank you", "grey"),
        Some(Answer::NoReply) => ("No reply", "yellow"),
    }
}

/// The names behind these invitations, re-identified (and audited) at the actor's practice.
async fn names(
    state: &AppState,
    ctx: &Ctx,
    practice: &together_store::Practice,
    invitations: &[Invitation],
    reason: &str,
) -> Result<HashMap<String, IndexEntry>, AppError> {
    let wanted: HashSet<String> = invitations.iter().map(|i| i.pseudonym.clone()).collect();
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(identify(state, ctx, practice, &wanted, reason)
        .await?
        .into_iter()
        .map(|p| (p.pseudonym, p.entry))
        .collect())
}

async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(just): Query<JustInvited>,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?.clone();
    let cohort = match state.store().cohort(actor.pcn_id, &id).await {
        Err(StoreError::NotFound(_)) => return Err(AppError::NotFound),
        other => other?,
    };
    let practice = practice_to_name(&state, &ctx).await?;
    let invitations = state
        .store()
        .invitations(actor.pcn_id, &id, practice.id)
        .await?;
    let known = names(
        &state,
        &ctx,
        &practice,
        &invitations,
        &format!("invitations for cohort {id}"),
    )
    .await?;
    let mut counts = vec![("Invited", invitations.len())];
    for a in [
        None,
        Some(Answer::Yes),
        Some(Answer::No),
        Some(Answer::NoReply),
    ] {
        let label = match a {
            None => "Waiting for an answer",
            Some(a) => answer_tag(Some(a)).0,
        };
        counts.push((label, invitations.iter().filter(|i| i.answer == a).count()));
    }
    // A day's invitations went together: within a day, by name, as a practice works down a
    // list (the store keeps no order among them); someone no longer registered comes last.
    let mut invitations = invitations;
    invitations.sort_by_cached_key(|i| {
        let name = known.get(&i.pseudonym).map(|e| {
            (
                e.family_name.to_lowercase(),
                e.given_name.to_lowercase(),
                e.date_of_birth,
            )
        });
        (i.invited_on, name.is_none(), name)
    });
    let rows = invitations
        .iter()
        .map(|i| {
            let entry = known.get(&i.pseudonym);
            Row {
                id: i.id,
                // Someone no longer registered there is not named again.
                name: entry
                    .map(|e| format!("{} {}", e.given_name, e.family_name))
                    .unwrap_or_else(|| "No longer registered here".into()),
                born: entry.map(|e| date(&e.date_of_birth)).unwrap_or_default(),
                to: i.service_name.clone(),
                how: i.channel.label(),
                answer: answer_tag(i.answer),
                answered_on: i.answered_on.as_ref().map(date).unwrap_or_default(),
                person: i.person_id.map(|p| p.to_string()).unwrap_or_default(),
            }
        })
        .collect();
    let page = ListPage {
        layout: Layout::new(&state, &ctx, &format!("Invitations: {}", cohort.name)),
        cohort_id: id,
        cohort: cohort.name,
        practice: practice.name,
        rows,
        counts,
        told: just.told(),
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Template)]
#[template(path = "invitation_answer.html")]
struct AnswerPage {
    layout: Layout,
    invitation: Invitation,
    name: String,
    born: String,
    form: AnswerForm,
    problem: Problem,
    answers: Vec<(&'static str, &'static str)>,
    targets: Vec<(String, String)>,
    preferences: Vec<(&'static str, &'static str)>,
    methods: Vec<(&'static str, &'static str)>,
    agreed: Vec<(&'static str, &'static str, bool)>,
    today_hint: String,
}

/// The invitation, when the actor is a clinician of its practice (others: not found, audited),
/// with whom it is for.
async fn invitation_for(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
) -> Result<(Invitation, together_store::Practice, IndexEntry), AppError> {
    let actor = ctx.actor()?.clone();
    let id: InvitationId = path_id(id)?;
    let invitation = state
        .store()
        .invitation(actor.pcn_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let resource = Resource::Practice {
        pcn_id: actor.pcn_id,
        practice_id: invitation.practice_id,
    };
    if !authorize(&actor, Action::Reidentify, &resource).is_allowed() {
        denied(
            state,
            ctx,
            together_core::audit::AuditAction::AnswerInvitation,
            "invitation",
            Some(id.to_string()),
        )
        .await;
        return Err(AppError::NotFound);
    }
    let practice = practice_to_name(state, ctx).await?;
    let entry = names(
        state,
        ctx,
        &practice,
        std::slice::from_ref(&invitation),
        &format!("answer to invitation {id}"),
    )
    .await?
    .remove(&invitation.pseudonym)
    .ok_or(AppError::NotFound)?;
    Ok((invitation, practice, entry))
}

async fn render_answer(
    state: &AppState,
    ctx: &Ctx,
    invitation: Invitation,
    entry: &IndexEntry,
    mut form: AnswerForm,
    problem: Problem,
) -> Result<Response, AppError> {
    if form.to.is_empty() {
        form.to = Target::Service(invitation.service_id).key();
    }
    if form.phone.is_empty() && form.answer.is_empty() {
        form.phone = entry.mobile.clone().unwrap_or_default();
    }
    let agreed = vec![
        (
            "share_with_champions",
            "For a champion to know their first name and how to reach them",
            form.share_with_champions == "yes",
        ),
        (
            "wellbeing_follow_up",
            "To be asked how they are at follow-ups",
            form.wellbeing_follow_up == "yes",
        ),
    ];
    let page = AnswerPage {
        layout: Layout::new(
            state,
            ctx,
            &format!("{} {}'s answer", entry.given_name, entry.family_name),
        ),
        name: format!("{} {}", entry.given_name, entry.family_name),
        born: date(&entry.date_of_birth),
        answers: Answer::ALL
            .iter()
            .map(|a| (a.as_str(), a.label()))
            .collect(),
        targets: crate::pages::connections::service_targets(state, ctx).await?,
        preferences: together_core::people::ContactPreference::ALL
            .iter()
            .map(|c| (c.as_str(), c.label()))
            .collect(),
        methods: [
            ("verbal", "On the phone or in person"),
            ("written", "By letter or a form"),
            ("online", "By text message or online"),
        ]
        .to_vec(),
        agreed,
        today_hint: format!("Leave empty for today, {}", uk_date(state.now().date())),
        invitation,
        form,
        problem,
    };
    let status = form_status(!page.problem.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

async fn answer_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (invitation, _, entry) = invitation_for(&state, &ctx, &id).await?;
    if invitation.answer.is_some() {
        return Ok(Redirect::to(&format!(
            "/insight/cohorts/{}/invited",
            invitation.cohort_id
        ))
        .into_response());
    }
    render_answer(
        &state,
        &ctx,
        invitation,
        &entry,
        AnswerForm::default(),
        Problem::none(),
    )
    .await
}

async fn answer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<AnswerForm>,
) -> Result<Response, AppError> {
    let (invitation, practice, entry) = invitation_for(&state, &ctx, &id).await?;
    let now = state.now();
    let mut errors = Vec::new();
    let answered = form.parse(now.date(), invitation.invited_on);
    if let Err(e) = &answered {
        errors.extend(e.iter().cloned());
    }
    // A "yes" makes them a person the PCN supports: their details checked as on any record.
    let person = if form.answer == Answer::Yes.as_str() {
        let details = PersonForm {
            given_name: entry.given_name.clone(),
            family_name: entry.family_name.clone(),
            date_of_birth: uk_date(entry.date_of_birth),
            practice_id: practice.id.to_string(),
            contact_preference: form.contact_preference.clone(),
            phone: form.phone.clone(),
            email: form.email.clone(),
            nhs_number: String::new(),
            what_matters: form.what_matters.clone(),
        }
        .parse(now);
        match details {
            Ok(p) => Some(p),
            Err(e) => {
                errors.extend(
                    e.into_iter()
                        .filter(|e| !matches!(e.field, "contact_preference" | "what_matters")),
                );
                None
            }
        }
    } else {
        None
    };
    let again = |form, errors: Vec<FieldError>| {
        render_answer(
            &state,
            &ctx,
            invitation.clone(),
            &entry,
            form,
            Problem::of("answer", errors),
        )
    };
    let answered = match answered {
        Ok(a) if errors.is_empty() => a,
        _ => return again(form, errors).await,
    };
    let actor = ctx.actor()?;
    let audit = ctx.audit(
        &state,
        AuditAction::AnswerInvitation,
        "invitation",
        None,
        Outcome::Allowed,
    );
    match together_app::connections::answer_invitation(
        state.store(),
        actor,
        invitation.id,
        &answered,
        person.as_ref(),
        &audit,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/insight/cohorts/{}/invited",
            invitation.cohort_id
        ))
        .into_response()),
        Err(StoreError::Refused(why)) => {
            again(
                form,
                vec![FieldError {
                    field: "answer",
                    message: why.to_string(),
                }],
            )
            .await
        }
        Err(StoreError::NotFound(_)) => {
            again(
                form,
                vec![FieldError {
                    field: "to",
                    message: "Choose one from the list".into(),
                }],
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
