//! The sessions ahead (with the rota gaps the PCN administrator has to fill) and one session's
//! page: when and where, its rota, and moving or cancelling it (the leads and helpers are told).

use super::offer::{session_rows, SessionRow};
use crate::context::Ctx;
use crate::error::path_id;
use crate::error::AppError;
use crate::layout::one_error;
use crate::layout::Problem;
use crate::layout::{date, form_status, when, Layout};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use time::Duration;
use together_core::audit::AuditAction;
use together_core::champions::Stage;
use together_core::offers::SessionForm;
use together_core::recurrence::clock;
use together_core::{authorize, Action, ChampionId, Resource, SessionId};
use together_store::offers::{Session, SessionFilter};
use together_store::{Outcome, StoreError};

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct AheadQuery {
    /// How many weeks ahead: 1 to 26, default 4.
    weeks: String,
    /// "1": only sessions with rota places to fill.
    gaps: String,
}

#[derive(Template)]
#[template(path = "sessions.html")]
struct AheadPage {
    layout: Layout,
    /// (offer id, offer name, the row).
    sessions: Vec<(String, String, SessionRow)>,
    weeks_text: String,
    only_gaps: bool,
    total_gaps: i64,
    gaps_text: String,
    week_choices: [(&'static str, &'static str); 4],
}

pub(super) async fn ahead(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<AheadQuery>,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let weeks = q.weeks.parse::<i64>().unwrap_or(4).clamp(1, 26);
    let only_gaps = q.gaps == "1";
    let today = state.now().date();
    let sessions: Vec<Session> = state
        .store()
        .offer_sessions(
            pcn,
            &SessionFilter {
                from: Some(today),
                to: Some(today + Duration::weeks(weeks)),
                ..SessionFilter::default()
            },
        )
        .await?
        .into_iter()
        .filter(|s| !only_gaps || s.gaps() > 0)
        .collect();
    let total_gaps = sessions.iter().map(Session::gaps).sum();
    let rows = session_rows(&sessions);
    let page = AheadPage {
        layout: Layout::new(&state, &ctx, "Sessions ahead"),
        sessions: sessions
            .iter()
            .zip(rows)
            .map(|(s, r)| (s.offer_id.to_string(), s.offer_name.clone(), r))
            .collect(),
        weeks_text: weeks.to_string(),
        only_gaps,
        total_gaps,
        gaps_text: format!("{total_gaps} rota places to fill in this period."),
        week_choices: [
            ("1", "The next week"),
            ("4", "The next 4 weeks"),
            ("8", "The next 8 weeks"),
            ("26", "The next 6 months"),
        ],
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Template)]
#[template(path = "session.html")]
struct SessionPage {
    layout: Layout,
    s: Session,
    on: String,
    back: String,
    cancelled_text: String,
    /// Where to take its register, once the day has come (else empty).
    register: String,
    can_manage: bool,
    /// (name, signed up, dropped out).
    rota: Vec<(String, String, String)>,
    champion_choices: Vec<(String, String)>,
    venues: Vec<(String, String)>,
    move_form: SessionForm,
    problem: Problem,
}

async fn render_session(
    state: &AppState,
    ctx: &Ctx,
    id: SessionId,
    move_form: Option<SessionForm>,
    problem: Problem,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?;
    let pcn = actor.pcn_id;
    let store = state.store();
    let s = store
        .offer_session(pcn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let can_manage = authorize(actor, Action::ManageOffers, &Resource::Pcn(pcn)).is_allowed();
    let (rota, champion_choices, venues) = if can_manage {
        let rota: Vec<(String, String, String)> = store
            .rota(pcn, id)
            .await?
            .into_iter()
            .map(|p| {
                (
                    format!("{} {}", p.given_name, p.family_name),
                    when(&p.signed_up_at),
                    p.dropped_at.map(|d| when(&d)).unwrap_or_default(),
                )
            })
            .collect();
        let audit = ctx.audit(
            state,
            AuditAction::ListChampions,
            "champion",
            None,
            Outcome::Allowed,
        );
        let mut choices = vec![(String::new(), "Choose a champion".to_owned())];
        choices.extend(
            store
                .champions(pcn, &audit)
                .await?
                .into_iter()
                .filter(|c| c.stage == Stage::Active)
                .map(|c| {
                    (
                        c.id.to_string(),
                        format!("{} {}", c.given_name, c.family_name),
                    )
                }),
        );
        let mut venues = vec![(String::new(), "Where it was".to_owned())];
        venues.extend(
            store
                .venues(pcn)
                .await?
                .into_iter()
                .map(|v| (v.id, format!("{}, {}", v.name, v.postcode))),
        );
        (rota, choices, venues)
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
    let move_form = move_form.unwrap_or_else(|| SessionForm {
        on: s.on.to_string(),
        opens_at: clock(s.opens_at),
        closes_at: clock(s.closes_at),
        ..SessionForm::default()
    });
    let page = SessionPage {
        layout: Layout::new(state, ctx, &format!("{}, {}", s.offer_name, date(&s.on))),
        on: date(&s.on),
        back: crate::paths::offers::record(s.offer_id),
        cancelled_text: format!("This session is cancelled. {}", s.note),
        register: if can_manage && !s.cancelled && s.on <= state.now().date() {
            crate::paths::sessions::register(id)
        } else {
            String::new()
        },
        can_manage,
        rota,
        champion_choices,
        venues,
        move_form,
        problem,
        s,
    };
    let status = form_status(!page.problem.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

pub(super) async fn view(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    render_session(&state, &ctx, path_id(&id)?, None, Problem::none()).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct CancelForm {
    reason: String,
}

pub(super) async fn cancel(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<CancelForm>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let reason = form.reason.trim();
    if reason.chars().count() > 300 {
        let e = one_error("reason", "Keep the reason to 300 characters");
        return render_session(&state, &ctx, id, None, Problem::of("cancel", e)).await;
    }
    let audit = ctx.audit(
        &state,
        AuditAction::CancelSession,
        "session",
        Some(id.to_string()),
        Outcome::Allowed,
    );
    match state
        .store()
        .cancel_offer_session(ctx.actor()?.pcn_id, id, reason, &audit)
        .await
    {
        Ok(_) | Err(StoreError::Conflict(_)) => {
            Ok(Redirect::to(&crate::paths::sessions::record(id)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn move_session(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<SessionForm>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let to = match form.parse(state.now().date()) {
        Ok(t) => t,
        Err(e) => {
            return render_session(&state, &ctx, id, Some(form), Problem::of("move", e)).await
        }
    };
    let audit = ctx.audit(
        &state,
        AuditAction::MoveSession,
        "session",
        Some(id.to_string()),
        Outcome::Allowed,
    );
    match state
        .store()
        .move_offer_session(ctx.actor()?.pcn_id, id, &to, &audit)
        .await
    {
        Ok(_) => Ok(Redirect::to(&crate::paths::sessions::record(id)).into_response()),
        Err(StoreError::Refused(why)) => {
            render_session(
                &state,
                &ctx,
                id,
                Some(form),
                Problem::of("move", one_error("on", why.to_string())),
            )
            .await
        }
        Err(StoreError::NotFound("venue")) => {
            let e = one_error("venue_id", "Choose a venue from the list");
            render_session(&state, &ctx, id, Some(form), Problem::of("move", e)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct PlaceForm {
    champion_id: String,
}

/// The coordinator puts a champion on the rota (by the same rules as signing up).
pub(super) async fn place_champion(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<PlaceForm>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let refused = |why: String| Problem::of("rota", one_error("champion_id", why));
    let Ok(champion) = form.champion_id.parse::<ChampionId>() else {
        return render_session(&state, &ctx, id, None, refused("Choose a champion".into())).await;
    };
    let audit = ctx.audit(
        &state,
        AuditAction::TakeRotaPlace,
        "session",
        Some(id.to_string()),
        Outcome::Allowed,
    );
    match state
        .store()
        .take_rota_place(ctx.actor()?.pcn_id, id, champion, &audit)
        .await
    {
        Ok(()) => Ok(Redirect::to(&crate::paths::sessions::section(id, "rota")).into_response()),
        Err(StoreError::Refused(why)) => {
            render_session(&state, &ctx, id, None, refused(why.to_string())).await
        }
        Err(StoreError::Conflict(_)) => {
            let p = refused("They are on this rota already".into());
            render_session(&state, &ctx, id, None, p).await
        }
        Err(e) => Err(e.into()),
    }
}
