//! A champion's rota, on their phone: the sessions they lead or help at, the open places they
//! are clear to take, and signing up, swapping and dropping out. The store checks every rule
//! again (active, clear for the offer's role, not full, not past).

use crate::context::Ctx;
use crate::error::path_id;
use crate::error::AppError;
use crate::layout::Problem;
use crate::layout::{date, form_status, Layout};
use crate::pages::champions::own_record;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use time::Duration;
use together_store::offers::{Session, SessionFilter};
use together_store::{Outcome, StoreError};

/// How far ahead a champion's rota looks.
const ROTA_WEEKS: i64 = 8;

struct RotaRow {
    id: String,
    offer: String,
    on: String,
    times: String,
    venue: String,
    cancelled: bool,
    /// They lead the offer (rather than hold a rota place).
    leads: bool,
    /// They lead it and it is today's: where to take its register (else empty).
    register: String,
    /// Other sessions of the same offer with a place free, to swap to: (id, when).
    swaps: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "my_rota.html")]
struct RotaPage {
    layout: Layout,
    linked: bool,
    given_name: String,
    mine: Vec<RotaRow>,
    open: Vec<RotaRow>,
    /// Equipment they are asked to take to people and bring back.
    loans: Vec<crate::pages::equipment::LoanRow>,
    problem: Problem,
}

fn row(s: &Session, leads: bool, today: time::Date, swaps: Vec<(String, String)>) -> RotaRow {
    RotaRow {
        id: s.id.to_string(),
        offer: s.offer_name.clone(),
        on: date(&s.on),
        times: s.times(),
        venue: s.venue_name.clone().unwrap_or_default(),
        cancelled: s.cancelled,
        leads,
        register: if leads && s.on == today && !s.cancelled {
            crate::paths::sessions::register(s.id)
        } else {
            String::new()
        },
        swaps,
    }
}

async fn render(state: &AppState, ctx: &Ctx, problem: Problem) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let me = own_record(state, ctx).await?;
    let today = state.now().date();
    let until = today + Duration::weeks(ROTA_WEEKS);
    let (mine, open) = match &me {
        Some(c) => {
            let store = state.store();
            let open = store
                .open_rota_places(pcn, c.id, today, until, today)
                .await?;
            let places = store
                .offer_sessions(
                    pcn,
                    &SessionFilter {
                        from: Some(today),
                        to: Some(until),
                        champion: Some(c.id),
                        include_cancelled: true,
                        ..SessionFilter::default()
                    },
                )
                .await?;
            let offers = store.offers(pcn).await?;
            let mut mine = Vec::new();
            for s in &places {
                let leads = offers
                    .iter()
                    .any(|o| o.id == s.offer_id && o.leads.contains(&c.id));
                let on_rota = store
                    .rota(pcn, s.id)
                    .await?
                    .iter()
                    .any(|p| p.champion_id == c.id && p.dropped_at.is_none());
                let swaps = if on_rota && !s.cancelled {
                    open.iter()
                        .filter(|o| o.offer_id == s.offer_id)
                        .map(|o| (o.id.to_string(), format!("{}, {}", date(&o.on), o.times())))
                        .collect()
                } else {
                    Vec::new()
                };
                if on_rota || leads {
                    // A lead takes the register even when also on the rota.
                    let mut r = row(s, leads, today, swaps);
                    r.leads = leads && !on_rota;
                    mine.push(r);
                }
            }
            // A lead is expected at their offer's sessions already: a helper's place there is
            // for someone else.
            let open = open
                .iter()
                .filter(|s| {
                    !offers
                        .iter()
                        .any(|o| o.id == s.offer_id && o.leads.contains(&c.id))
                })
                .map(|s| row(s, false, today, Vec::new()))
                .collect();
            (mine, open)
        }
        None => (Vec::new(), Vec::new()),
    };
    let loans = match &me {
        Some(c) => crate::pages::equipment::my_loans(state, ctx, c.id).await?,
        None => Vec::new(),
    };
    let page = RotaPage {
        layout: Layout::new(state, ctx, "My sessions"),
        loans,
        linked: me.is_some(),
        given_name: me.map(|c| c.given_name).unwrap_or_default(),
        mine,
        open,
        problem,
    };
    let status = form_status(!page.problem.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

pub(super) async fn mine(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    render(&state, &ctx, Problem::none()).await
}

/// Runs one change to the champion's own rota; a refusal is shown on the page.
async fn change(
    state: &AppState,
    ctx: &Ctx,
    action: together_core::audit::AuditAction,
    session: &str,
    run: impl AsyncFnOnce(
        together_core::ChampionId,
        &together_store::NewAuditEvent,
    ) -> Result<(), StoreError>,
) -> Result<Response, AppError> {
    let id: together_core::SessionId = path_id(session)?;
    let Some(me) = own_record(state, ctx).await? else {
        // An account not yet linked to a champion's record: the page says so.
        return Ok(Redirect::to("/sessions/rota").into_response());
    };
    let audit = ctx.audit(
        state,
        action,
        "session",
        Some(id.to_string()),
        Outcome::Allowed,
    );
    let refused = |why: String| {
        Problem::of(
            "rota",
            vec![together_core::people::FieldError {
                field: "rota",
                message: why,
            }],
        )
    };
    match run(me.id, &audit).await {
        Ok(()) => Ok(Redirect::to("/sessions/rota").into_response()),
        Err(StoreError::Refused(why)) => render(state, ctx, refused(why.to_string())).await,
        Err(StoreError::Conflict(_)) => {
            render(state, ctx, refused("You have a place on it already".into())).await
        }
        Err(StoreError::NotFound("rota place")) => {
            render(state, ctx, refused("You do not have a place on it".into())).await
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn take(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let store = state.store();
    let session = path_id(&id)?;
    change(
        &state,
        &ctx,
        together_core::audit::AuditAction::TakeRotaPlace,
        &id,
        async |me, audit| store.take_rota_place(pcn, session, me, audit).await,
    )
    .await
}

pub(super) async fn leave(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let store = state.store();
    let session = path_id(&id)?;
    change(
        &state,
        &ctx,
        together_core::audit::AuditAction::LeaveRotaPlace,
        &id,
        async |me, audit| store.leave_rota_place(pcn, session, me, audit).await,
    )
    .await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct SwapForm {
    to: String,
}

pub(super) async fn swap(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<SwapForm>,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let store = state.store();
    let from = path_id(&id)?;
    let to = path_id(&form.to)?;
    change(
        &state,
        &ctx,
        together_core::audit::AuditAction::SwapRotaPlace,
        &id,
        async |me, audit| store.swap_rota_place(pcn, from, to, me, audit).await,
    )
    .await
}
