//! Connections on the web: a person's record lists their connections and (for someone who looks
//! after them) connects them to an offer, a service or a champion; `/connections` is the
//! worker's list of what is open and due; `/connections/{id}` moves one on and records its
//! follow-ups. Who may see which connection is the policy's (`KeepConnection`), and a refusal
//! looks like a connection that does not exist.

use crate::context::{denied, Ctx};
use crate::error::AppError;
use crate::layout::{date, form_status, one_error, renamed, Layout, Problem};
use crate::policy_router::{Policy, Routes};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use together_core::connections::{
    follow_up_days, is_missed, ConnectionForm, EndReason, FollowUpForm, SomeoneNewForm, Source,
    Status, StepForm, FOLLOW_UPS_SETTING,
};
use together_core::{authorize, Action, ConnectionId, FollowUpId, PersonId, Resource, Role};
use together_store::connections::{
    Connection, ConnectionFilter, ConnectionRecord, ConnectionScope,
};
use together_store::{Outcome, StoreError};

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

/// A connection in a list.
pub(crate) struct Row {
    pub(crate) href: String,
    pub(crate) person: String,
    pub(crate) to: String,
    pub(crate) status: (String, &'static str),
    pub(crate) next: String,
    pub(crate) missed: bool,
    pub(crate) made: String,
    pub(crate) by: String,
}

fn status_tag(c: &Connection) -> (String, &'static str) {
    let colour = match c.status {
        Status::Suggested => "grey",
        Status::Contacted => "blue",
        Status::WentAlong => "aqua-green",
        Status::KeepsGoing => "green",
        Status::Ended => "white",
    };
    (c.status.label().to_owned(), colour)
}

fn row(c: &Connection) -> Row {
    Row {
        href: format!("/connections/{}", c.id),
        person: c.person_label.clone(),
        to: c.to_name.clone(),
        status: status_tag(c),
        next: c.next_follow_up.map(|d| date(&d)).unwrap_or_default(),
        missed: c.missed > 0,
        made: date(&c.made_on),
        by: c.made_by_name.clone(),
    }
}

/// What a list may show the actor: a champion their own (while the person agrees), a link
/// worker what they follow up (their own, their caseload's, every champion's), a clinician
/// their practice's people, the coordinator everyone's.
pub(crate) fn scope_of(actor: &together_core::Actor) -> ConnectionFilter {
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
        ..scope_of(&actor)
    };
    let audit = ctx.audit(
        &state,
        "list_connections",
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

pub(crate) fn connection_id(id: &str) -> Result<ConnectionId, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

#[derive(Template)]
#[template(path = "connection.html")]
struct RecordPage {
    layout: Layout,
    c: Connection,
    /// Staff who may open the person's record get a link to it.
    person_href: String,
    /// A link worker may take on the person of a champion's connection.
    may_take_on: bool,
    /// How the person is, for the staff who may see it.
    wellbeing: Option<crate::pages::wellbeing::ConnectionWellbeing>,
    sent: bool,
    lonely_question: &'static str,
    link_days: i64,
    source: &'static str,
    made: String,
    steps: Vec<(String, String, String, String)>,
    /// (id, due, done, note, missed) of each follow-up.
    follow_ups: Vec<(String, String, String, String, bool)>,
    next_steps: Vec<(String, String)>,
    reasons: Vec<(String, String)>,
    /// The first follow-up not done: the one the page offers to record.
    next_follow_up: String,
    today_hint: String,
    problem: Problem,
}

/// The policy's view of a connection for this actor.
fn resource_of(actor: &together_core::Actor, scope: &ConnectionScope) -> Resource {
    Resource::Connection {
        pcn_id: actor.pcn_id,
        practice_id: scope.practice_id,
        made_by_actor: scope.made_by == actor.user_id,
        on_caseload: scope.on_caseload,
        made_by_champion: scope.made_by_champion,
        shared_with_champions: scope.shared_with_champions,
    }
}

/// A connection the actor may see, and what else they may do with it.
pub(crate) struct Seen {
    pub(crate) record: ConnectionRecord,
    may_take_on: bool,
    pub(crate) may_keep_wellbeing: bool,
}

/// One connection whole, if the actor may see it: the policy is asked first (from the facts
/// alone), so a refusal reads nothing and is audited as refused.
pub(crate) async fn record(
    state: &AppState,
    ctx: &Ctx,
    id: ConnectionId,
) -> Result<Seen, AppError> {
    let actor = ctx.actor()?;
    let Some(scope) = state
        .store()
        .connection_scope(actor.pcn_id, id, actor.user_id)
        .await?
    else {
        return Err(AppError::NotFound);
    };
    let resource = resource_of(actor, &scope);
    if !authorize(actor, Action::KeepConnection, &resource).is_allowed() {
        denied(
            state,
            ctx,
            "view_connection",
            "connection",
            Some(id.to_string()),
        )
        .await;
        return Err(AppError::NotFound);
    }
    let audit = ctx.audit(
        state,
        "view_connection",
        "connection",
        Some(id.to_string()),
        Outcome::Allowed,
    );
    let may_take_on = authorize(actor, Action::TakeOnPerson, &resource).is_allowed();
    let may_keep_wellbeing = authorize(actor, Action::KeepWellbeing, &resource).is_allowed();
    match state.store().connection(actor.pcn_id, id, &audit).await {
        Ok(record) => Ok(Seen {
            record,
            may_take_on,
            may_keep_wellbeing,
        }),
        Err(StoreError::NotFound(_)) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// The connection's page; `sent` when a wellbeing link has just gone.
pub(crate) async fn render(
    state: &AppState,
    ctx: &Ctx,
    seen: Seen,
    problem: Problem,
    sent: bool,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?;
    let today = state.now().date();
    let Seen {
        record: r,
        may_take_on,
        may_keep_wellbeing,
    } = seen;
    let c = r.connection;
    let wellbeing = if may_keep_wellbeing {
        let audit = ctx.audit(
            state,
            "view_wellbeing",
            "person",
            Some(c.person_id.to_string()),
            Outcome::Allowed,
        );
        let all = state
            .store()
            .wellbeing_of(actor.pcn_id, c.person_id, &audit)
            .await?;
        Some(crate::pages::wellbeing::connection_wellbeing(&all, c.id))
    } else {
        None
    };
    let person_href = if actor.role == Role::Champion {
        String::new()
    } else {
        format!("/people/{}", c.person_id)
    };
    let page = RecordPage {
        layout: Layout::new(state, ctx, &format!("{} and {}", c.person_label, c.to_name)),
        person_href,
        may_take_on,
        wellbeing,
        sent,
        lonely_question: together_core::wellbeing::Loneliness::QUESTION,
        link_days: together_core::wellbeing::LINK_DAYS,
        source: c.source.label(),
        made: date(&c.made_on),
        steps: r
            .steps
            .iter()
            .map(|s| {
                (
                    s.status.label().to_owned(),
                    date(&s.on),
                    s.end_reason
                        .map(|e| e.label().to_owned())
                        .unwrap_or_default(),
                    s.note.clone(),
                )
            })
            .collect(),
        follow_ups: r
            .follow_ups
            .iter()
            .map(|f| {
                (
                    f.id.to_string(),
                    date(&f.due_on),
                    f.done_on.map(|d| date(&d)).unwrap_or_default(),
                    f.note.clone(),
                    c.status.is_open() && is_missed(f.due_on, f.done_on.is_some(), today),
                )
            })
            .collect(),
        next_steps: Status::ALL
            .into_iter()
            .filter(|s| c.status.may_move_to(*s))
            .map(|s| (s.as_str().to_owned(), s.label().to_owned()))
            .collect(),
        reasons: std::iter::once((String::new(), "Only if it has ended".to_owned()))
            .chain(
                EndReason::ALL
                    .into_iter()
                    .map(|e| (e.as_str().to_owned(), e.label().to_owned())),
            )
            .collect(),
        next_follow_up: r
            .follow_ups
            .iter()
            .find(|f| f.done_on.is_none())
            .map(|f| f.id.to_string())
            .unwrap_or_default(),
        today_hint: format!(
            "Leave empty for today, {}",
            together_core::people::uk_date(today)
        ),
        c,
        problem,
    };
    let status = form_status(!page.problem.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
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
    let r = record(&state, &ctx, connection_id(&id)?).await?;
    render(&state, &ctx, r, Problem::none(), q.sent == "1").await
}

async fn step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<StepForm>,
) -> Result<Response, AppError> {
    let id = connection_id(&id)?;
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
        "move_connection",
        "connection",
        Some(id.to_string()),
        Outcome::Allowed,
    );
    match state
        .store()
        .move_connection(ctx.actor()?.pcn_id, id, &new, &audit)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/connections/{id}")).into_response()),
        Err(StoreError::Refused(why)) => {
            render(
                &state,
                &ctx,
                r,
                Problem::of("step", one_error("status", why)),
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
    let id: FollowUpId = id.parse().map_err(|_| AppError::NotFound)?;
    let connection = connection_id(&form.connection)?;
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
        "follow_up_connection",
        "connection",
        Some(connection.to_string()),
        Outcome::Allowed,
    );
    match state
        .store()
        .do_follow_up(ctx.actor()?.pcn_id, id, &done, &audit)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/connections/{connection}")).into_response()),
        Err(StoreError::Refused(why)) => {
            render(
                &state,
                &ctx,
                r,
                Problem::of("follow_up", one_error("done_on", why)),
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

/// A person's connections, for their record, and what they may be connected to.
pub(crate) struct PersonConnections {
    pub(crate) rows: Vec<Row>,
    pub(crate) can_connect: bool,
    pub(crate) targets: Vec<(String, String)>,
    pub(crate) sources: Vec<(String, String)>,
    pub(crate) today_hint: String,
}

pub(crate) async fn person_connections(
    state: &AppState,
    ctx: &Ctx,
    person: PersonId,
) -> Result<PersonConnections, AppError> {
    let actor = ctx.actor()?.clone();
    let today = state.now().date();
    let audit = ctx.audit(
        state,
        "list_connections",
        "person",
        Some(person.to_string()),
        Outcome::Allowed,
    );
    let found = state
        .store()
        .connections(
            actor.pcn_id,
            &ConnectionFilter {
                person: Some(person),
                ..ConnectionFilter::default()
            },
            today,
            &audit,
        )
        .await?;
    let can_connect = crate::pages::people::may(state, ctx, person, Action::MakeConnection).await?;
    let targets = if can_connect {
        connection_targets(state, ctx).await?
    } else {
        Vec::new()
    };
    Ok(PersonConnections {
        rows: found.iter().map(row).collect(),
        can_connect,
        targets,
        sources: source_options(),
        today_hint: format!(
            "Leave empty for today, {}",
            together_core::people::uk_date(today)
        ),
    })
}

/// The days after a connection is made that its follow-ups fall, as the PCN has set them.
pub(crate) async fn follow_ups(
    state: &AppState,
    pcn: together_core::PcnId,
) -> Result<Vec<i64>, AppError> {
    Ok(follow_up_days(
        state
            .store()
            .setting(pcn, FOLLOW_UPS_SETTING)
            .await?
            .as_deref(),
    ))
}

/// Where a connection may come from, for a select.
pub(crate) fn source_options() -> Vec<(String, String)> {
    std::iter::once((String::new(), "Choose one".to_owned()))
        .chain(
            Source::ALL
                .into_iter()
                .map(|s| (s.as_str().to_owned(), s.label().to_owned())),
        )
        .collect()
}

/// The services a person can be connected to, for a select: the PCN's offers that are running
/// or planned and its other listings that are published.
pub(crate) async fn service_targets(
    state: &AppState,
    ctx: &Ctx,
) -> Result<Vec<(String, String)>, AppError> {
    use together_core::connections::Target;
    let pcn = ctx.actor()?.pcn_id;
    let store = state.store();
    let mut targets = vec![(String::new(), "Choose one".to_owned())];
    for o in store.offers(pcn).await? {
        if o.status.welcomes_people() {
            targets.push((
                Target::Service(o.id).key(),
                format!("{} (our offer)", o.name),
            ));
        }
    }
    for l in store.listings(pcn, None).await? {
        if l.published {
            targets.push((
                Target::Service(l.id).key(),
                format!("{} ({})", l.name, l.organization),
            ));
        }
    }
    Ok(targets)
}

/// What a person can be connected to: the PCN's offers that are running or planned, its other
/// listings that are published, and its active champions (for a champion: themselves only,
/// when they will keep in touch).
async fn connection_targets(
    state: &AppState,
    ctx: &Ctx,
) -> Result<Vec<(String, String)>, AppError> {
    use together_core::connections::Target;
    let pcn = ctx.actor()?.pcn_id;
    let store = state.store();
    let mut targets = service_targets(state, ctx).await?;

    let actor = ctx.actor()?;
    if actor.role == Role::Champion {
        let audit = ctx.audit(
            state,
            "view_own_champion",
            "champion",
            None,
            Outcome::Allowed,
        );
        if let Some(me) = store.champion_of_user(pcn, actor.user_id, &audit).await? {
            if me.stage == together_core::champions::Stage::Active {
                targets.push((
                    Target::Champion(me.id).key(),
                    "Me: I will go along with them or keep in touch".to_owned(),
                ));
            }
        }
        return Ok(targets);
    }
    let audit = ctx.audit(state, "list_champions", "champion", None, Outcome::Allowed);
    for c in store.champions(pcn, &audit).await? {
        if c.stage == together_core::champions::Stage::Active {
            targets.push((
                Target::Champion(c.id).key(),
                format!("{} {} (champion)", c.given_name, c.family_name),
            ));
        }
    }
    Ok(targets)
}

async fn make(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<ConnectionForm>,
) -> Result<Response, AppError> {
    let person = crate::pages::people::person_id(&id)?;
    crate::pages::people::require(
        &state,
        &ctx,
        person,
        Action::MakeConnection,
        "make_connection",
    )
    .await?;
    let fail = |errors| {
        crate::pages::people::show_with(&state, &ctx, person, Problem::of("connection", errors))
    };
    let new = match form.parse(state.now().date()) {
        Ok(c) => c,
        Err(errors) => return fail(errors).await,
    };
    let actor = ctx.actor()?;
    let days = follow_ups(&state, actor.pcn_id).await?;
    let audit = ctx.audit(
        &state,
        "make_connection",
        "person",
        Some(person.to_string()),
        Outcome::Allowed,
    );
    match state
        .store()
        .make_connection(actor.pcn_id, person, actor.user_id, &new, &days, &audit)
        .await
    {
        Ok(c) => Ok(Redirect::to(&format!("/connections/{c}")).into_response()),
        Err(StoreError::Refused(why)) => fail(one_error("to", why)).await,
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
            "view_own_champion",
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
    let days = follow_ups(&state, actor.pcn_id).await?;
    let audit = ctx.audit(
        &state,
        "connect_someone_new",
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
    match state
        .store()
        .connect_someone_new(actor.pcn_id, &person, actor.user_id, &new, &days, &audit)
        .await
    {
        Ok((_, c)) => Ok(Redirect::to(&format!("/connections/{c}")).into_response()),
        Err(StoreError::NotFound("practice")) => {
            fail("practice_id", "Choose their GP practice").await
        }
        Err(StoreError::NotFound(_)) => fail("to", "Choose one from the list").await,
        Err(StoreError::Refused(why)) => fail("to", &why).await,
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
    let id = connection_id(&id)?;
    let seen = record(&state, &ctx, id).await?;
    if !seen.may_take_on {
        denied(
            &state,
            &ctx,
            "take_on_person",
            "connection",
            Some(id.to_string()),
        )
        .await;
        return Err(AppError::NotFound);
    }
    let actor = ctx.actor()?;
    let audit = ctx.audit(
        &state,
        "take_on_person",
        "person",
        Some(seen.record.connection.person_id.to_string()),
        Outcome::Allowed,
    );
    state
        .store()
        .take_on(actor.pcn_id, id, actor.user_id, &audit)
        .await?;
    Ok(Redirect::to(&format!("/connections/{id}")).into_response())
}
