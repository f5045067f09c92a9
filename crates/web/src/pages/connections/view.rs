//! What the connection pages show: a connection's record and its rows, a person's connections
//! for their record, and the choices a connection is made from. Other areas' pages build on
//! these; the pages that change a connection are in the parent module.

use crate::context::Ctx;
use crate::error::AppError;
use crate::layout::{date, form_status, Layout, Problem};
use crate::state::AppState;
use askama::Template;
use axum::response::{Html, IntoResponse, Response};
pub(crate) use together_app::connections::Seen;
use together_core::audit::AuditAction;
use together_core::connections::{is_missed, EndReason, Source, Status};
use together_core::{Action, ConnectionId, PersonId, Role};
use together_store::connections::{Connection, ConnectionFilter};
use together_store::Outcome;

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

pub(super) fn status_tag(c: &Connection) -> (String, &'static str) {
    let colour = match c.status {
        Status::Suggested => "grey",
        Status::Contacted => "blue",
        Status::WentAlong => "aqua-green",
        Status::KeepsGoing => "green",
        Status::Ended => "white",
    };
    (c.status.label().to_owned(), colour)
}

pub(super) fn row(c: &Connection) -> Row {
    Row {
        href: crate::paths::connections::record(c.id),
        person: c.person_label.clone(),
        to: c.to_name.clone(),
        status: status_tag(c),
        next: c.next_follow_up.map(|d| date(&d)).unwrap_or_default(),
        missed: c.missed > 0,
        made: date(&c.made_on),
        by: c.made_by_name.clone(),
    }
}

#[derive(Template)]
#[template(path = "connection.html")]
pub(super) struct RecordPage {
    pub(super) layout: Layout,
    pub(super) c: Connection,
    /// Staff who may open the person's record get a link to it.
    pub(super) person_href: String,
    /// A link worker may take on the person of a champion's connection.
    pub(super) may_take_on: bool,
    /// How the person is, for the staff who may see it.
    pub(super) wellbeing: Option<crate::pages::wellbeing::ConnectionWellbeing>,
    pub(super) sent: bool,
    pub(super) lonely_question: &'static str,
    pub(super) link_days: i64,
    pub(super) source: &'static str,
    pub(super) made: String,
    pub(super) steps: Vec<(String, String, String, String)>,
    /// (id, due, done, note, missed) of each follow-up.
    pub(super) follow_ups: Vec<(String, String, String, String, bool)>,
    pub(super) next_steps: Vec<(String, String)>,
    pub(super) reasons: Vec<(String, String)>,
    /// The first follow-up not done: the one the page offers to record.
    pub(super) next_follow_up: String,
    pub(super) today_hint: String,
    pub(super) problem: Problem,
}

/// One connection whole, if the actor may see it (the use case asks the policy and audits);
/// not found otherwise, whether it is not there or not theirs.
pub(crate) async fn record(
    state: &AppState,
    ctx: &Ctx,
    id: ConnectionId,
) -> Result<Seen, AppError> {
    let audit = ctx.audit(
        state,
        AuditAction::ViewConnection,
        "connection",
        Some(id.to_string()),
        Outcome::Allowed,
    );
    together_app::connections::record(state.store(), ctx.actor()?, id, audit)
        .await?
        .ok_or(AppError::NotFound)
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
            AuditAction::ViewWellbeing,
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
        crate::paths::people::record(c.person_id)
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
        AuditAction::ListConnections,
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
pub(super) async fn connection_targets(
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
            AuditAction::ViewOwnChampion,
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
    let audit = ctx.audit(
        state,
        AuditAction::ListChampions,
        "champion",
        None,
        Outcome::Allowed,
    );
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
