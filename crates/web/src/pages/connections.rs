//! Connections on the web: a person's record lists their connections and (for someone who looks
//! after them) connects them to an offer, a service or a champion; `/connections` is the
//! worker's list of what is open and due; `/connections/{id}` moves one on and records its
//! follow-ups. Who may see which connection is the policy's (`KeepConnection`), and a refusal
//! looks like a connection that does not exist.

mod view;
use crate::context::{denied, Ctx};
use crate::error::path_id;
use crate::error::AppError;
use crate::layout::{form_status, one_error, renamed, Layout, Problem};
use crate::policy_router::{Policy, Routes};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use together_core::audit::AuditAction;
use together_core::connections::{ConnectionForm, FollowUpForm, SomeoneNewForm, StepForm};
use together_core::{authorize, Action, FollowUpId, Resource, Role};
use together_store::connections::ConnectionFilter;
use together_store::{Outcome, StoreError};
use view::*;
pub(crate) use view::{
    person_connections, record, render, service_targets, source_options, PersonConnections, Seen,
};

pub(crate) fn routes(r: Routes) -> Routes {
    let view = Policy::Allow(Action::ViewConnections);
    let someone_new = Policy::Allow(Action::ConnectSomeoneNew);
    r.get("/connections", view, list)
        .get("/connections/new", someone_new, new_page)
        .post("/connections", someone_new, record_someone_new)
        .get("/connections/{id}", view, show)
        .post("/connections/{id}/steps", view, step)
        // Whether the actor may take the person on is the policy's, asked in the handler.
        .post("/connections/{id}/take-on", view, take_on)
        .post("/follow-ups/{id}", view, follow_up)
        // Whether the actor may connect this person is the policy's, asked in the handler.
        .post(
            "/people/{id}/connections",
            Policy::Allow(Action::FindPeople),
            make,
        )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    /// `due` (a follow-up due by today), `open` (the default) or `all`.
    show: String,
}

#[derive(Template)]
#[template(path = "connections.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
    show: String,
    due: usize,
    /// "2 with a follow-up missed …", or empty.
    missed: String,
    champion: bool,
    /// A clinician downloads what to code from their practice's referrals.
    can_code: bool,
}

async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?.clone();
    let today = state.now().date();
    let show = match q.show.as_str() {
        "due" | "all" => q.show.clone(),
        _ => "open".to_owned(),
    };
    let filter = ConnectionFilter {
        open_only: show != "all",
        due_by: (show == "due").then_some(today),
        ..together_app::connections::scope_of(&actor)
    };
    let audit = ctx.audit(
        &state,
        AuditAction::ListConnections,
        "connection",
        None,
        Outcome::Allowed,
    );
    let found = state
        .store()
        .connections(actor.pcn_id, &filter, today, &audit)
        .await?;
    let rows: Vec<Row> = found.iter().map(row).collect();
    let page = ListPage {
        layout: Layout::new(
            &state,
            &ctx,
            if actor.role == Role::Champion {
                "My connections"
            } else {
                "Connections"
            },
        ),
        due: found
            .iter()
            .filter(|c| c.next_follow_up.is_some_and(|d| d <= today))
            .count(),
        missed: match rows.iter().filter(|r| r.missed).count() {
            0 => String::new(),
            1 => "1 with a follow-up missed: it was due and has not been done.".into(),
            n => format!("{n} with a follow-up missed: they were due and have not been done."),
        },
        rows,
        show,
        champion: actor.role == Role::Champion,
        can_code: actor.practice_id.is_some_and(|practice_id| {
            authorize(
                &actor,
                Action::CodeReferrals,
                &Resource::Practice {
                    pcn_id: actor.pcn_id,
                    practice_id,
                },
            )
            .is_allowed()
        }),
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ShowQuery {
    /// `1` just after a wellbeing link was sent.
    sent: String,
}

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, AppError> {
    let r = record(&state, &ctx, path_id(&id)?).await?;
    render(&state, &ctx, r, Problem::none(), q.sent == "1").await
}

async fn step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<StepForm>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let r = record(&state, &ctx, id).await?;
    let parsed = form.parse(
        r.record.connection.status,
        r.record.connection.made_on,
        state.now().date(),
    );
    let new = match parsed {
        Ok(s) => s,
        Err(errors) => return render(&state, &ctx, r, Problem::of("step", errors), false).await,
    };
    let audit = ctx.audit(
        &state,
        AuditAction::MoveConnection,
        "connection",
        Some(id.to_string()),
        Outcome::Allowed,
    );
    match state
        .store()
        .move_connection(ctx.actor()?.pcn_id, id, &new, &audit)
        .await
    {
        Ok(()) => Ok(Redirect::to(&crate::paths::connections::record(id)).into_response()),
        Err(StoreError::Refused(why)) => {
            render(
                &state,
                &ctx,
                r,
                Problem::of("step", one_error("status", why.to_string())),
                false,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn follow_up(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<FollowUpFormWithConnection>,
) -> Result<Response, AppError> {
    let id: FollowUpId = path_id(&id)?;
    let connection = path_id(&form.connection)?;
    let r = record(&state, &ctx, connection).await?;
    if !r.record.follow_ups.iter().any(|f| f.id == id) {
        return Err(AppError::NotFound);
    }
    let parsed = FollowUpForm {
        done_on: form.done_on,
        note: form.follow_up_note,
    }
    .parse(r.record.connection.made_on, state.now().date());
    let done = match parsed {
        Ok(d) => d,
        Err(errors) => {
            let errors = renamed(errors, &[("note", "follow_up_note")]);
            return render(&state, &ctx, r, Problem::of("follow_up", errors), false).await;
        }
    };
    let audit = ctx.audit(
        &state,
        AuditAction::FollowUpConnection,
        "connection",
        Some(connection.to_string()),
        Outcome::Allowed,
    );
    match state
        .store()
        .do_follow_up(ctx.actor()?.pcn_id, id, &done, &audit)
        .await
    {
        Ok(_) => Ok(Redirect::to(&crate::paths::connections::record(connection)).into_response()),
        Err(StoreError::Refused(why)) => {
            render(
                &state,
                &ctx,
                r,
                Problem::of("follow_up", one_error("done_on", why.to_string())),
                false,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// A follow-up's form names its connection, so that the page it came from can be shown again;
/// its note has its own name beside the step form's.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct FollowUpFormWithConnection {
    connection: String,
    done_on: String,
    follow_up_note: String,
}

async fn make(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<ConnectionForm>,
) -> Result<Response, AppError> {
    let person = path_id(&id)?;
    crate::pages::people::require(
        &state,
        &ctx,
        person,
        Action::MakeConnection,
        together_core::audit::AuditAction::MakeConnection,
    )
    .await?;
    let fail = |errors| {
        crate::pages::people::show_with(&state, &ctx, person, Problem::of("connection", errors))
    };
    let new = match form.parse(state.now().date()) {
        Ok(c) => c,
        Err(errors) => return fail(errors).await,
    };
    let audit = ctx.audit(
        &state,
        AuditAction::MakeConnection,
        "person",
        Some(person.to_string()),
        Outcome::Allowed,
    );
    match together_app::connections::make(state.store(), ctx.actor()?, person, &new, &audit).await {
        Ok(c) => Ok(Redirect::to(&crate::paths::connections::record(c)).into_response()),
        Err(StoreError::Refused(why)) => fail(one_error("to", why.to_string())).await,
        Err(StoreError::NotFound(_)) => fail(one_error("to", "Choose one from the list")).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "connection_new.html")]
struct SomeoneNewPage {
    layout: Layout,
    form: SomeoneNewForm,
    problem: Problem,
    practices: Vec<(String, String)>,
    preferences: Vec<(&'static str, &'static str)>,
    targets: Vec<(String, String)>,
    sources: Vec<(String, String)>,
    agreed_hint: &'static str,
    agreed: Vec<(&'static str, &'static str, bool)>,
}

/// The champion's quick form; their home practice is chosen until they choose another.
async fn render_someone_new(
    state: &AppState,
    ctx: &Ctx,
    mut form: SomeoneNewForm,
    problem: Problem,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?;
    if form.practice_id.is_empty() {
        let audit = ctx.audit(
            state,
            AuditAction::ViewOwnChampion,
            "champion",
            None,
            Outcome::Allowed,
        );
        if let Some(home) = state
            .store()
            .champion_of_user(actor.pcn_id, actor.user_id, &audit)
            .await?
            .and_then(|c| c.home_practice_id)
        {
            form.practice_id = home.to_string();
        }
    }
    let practices = std::iter::once((String::new(), "Choose one".to_owned()))
        .chain(
            state
                .store()
                .practices(actor.pcn_id)
                .await?
                .into_iter()
                .map(|p| (p.id.to_string(), p.name)),
        )
        .collect();
    let page = SomeoneNewPage {
        layout: Layout::new(state, ctx, "Record a connection"),
        practices,
        preferences: together_core::people::ContactPreference::ALL
            .iter()
            .map(|c| (c.as_str(), c.label()))
            .collect(),
        targets: connection_targets(state, ctx).await?,
        sources: source_options(),
        agreed_hint: "Ask them first. Both are needed to record a connection, and they can change their mind at any time.",
        agreed: vec![(
            "yes",
            "They are happy for the PCN team to get in touch, and for me to know their first name and how to reach them",
            form.agreed == "yes",
        )],
        form,
        problem,
    };
    let status = form_status(!page.problem.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

async fn new_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    render_someone_new(&state, &ctx, SomeoneNewForm::default(), Problem::none()).await
}

/// A champion records a connection for someone new: the person (with the consent they gave)
/// and the connection together, or nothing.
async fn record_someone_new(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<SomeoneNewForm>,
) -> Result<Response, AppError> {
    let (person, new) = match form.parse(state.now()) {
        Ok(parsed) => parsed,
        Err(errors) => {
            return render_someone_new(&state, &ctx, form, Problem::of("new", errors)).await
        }
    };
    let actor = ctx.actor()?;
    let audit = ctx.audit(
        &state,
        AuditAction::ConnectSomeoneNew,
        "connection",
        None,
        Outcome::Allowed,
    );
    let fail = |field, why: &str| {
        render_someone_new(
            &state,
            &ctx,
            form.clone(),
            Problem::of("new", one_error(field, why)),
        )
    };
    match together_app::connections::connect_someone_new(
        state.store(),
        actor,
        &person,
        &new,
        &audit,
    )
    .await
    {
        Ok((_, c)) => Ok(Redirect::to(&crate::paths::connections::record(c)).into_response()),
        Err(StoreError::NotFound("practice")) => {
            fail("practice_id", "Choose their GP practice").await
        }
        Err(StoreError::NotFound(_)) => fail("to", "Choose one from the list").await,
        Err(StoreError::Refused(why)) => fail("to", &why.to_string()).await,
        Err(e) => Err(e.into()),
    }
}

/// A link worker takes on the person of a champion's connection: they join the worker's
/// caseload, whose record the worker may then open.
async fn take_on(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let seen = record(&state, &ctx, id).await?;
    if !seen.may_take_on {
        denied(
            &state,
            &ctx,
            together_core::audit::AuditAction::TakeOnPerson,
            "connection",
            Some(id.to_string()),
        )
        .await;
        return Err(AppError::NotFound);
    }
    let actor = ctx.actor()?;
    let audit = ctx.audit(
        &state,
        AuditAction::TakeOnPerson,
        "person",
        Some(seen.record.connection.person_id.to_string()),
        Outcome::Allowed,
    );
    state
        .store()
        .take_on(actor.pcn_id, id, actor.user_id, &audit)
        .await?;
    Ok(Redirect::to(&crate::paths::connections::record(id)).into_response())
}
