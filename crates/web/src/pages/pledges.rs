//! Health pledges on the web: anyone makes one without an account (at a stall or in the waiting
//! room on a tablet, or online), a wall shows the pledges people agreed to share, without their
//! names, and invites others to join; the coordinator counts them by practice and theme,
//! checks what goes on the wall, and asks a champion to help those who wanted one.

use crate::context::Ctx;
use crate::error::path_id;
use crate::error::AppError;
use crate::layout::{field_error, form_status, one_error, when, Layout};
use crate::policy_router::{Policy, Routes};
use crate::security::{public_post, PublicPost};
use crate::state::AppState;
use crate::tokens::form_stamp;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use std::collections::BTreeMap;
use together_core::audit::AuditAction;
use together_core::people::FieldError;
use together_core::pledges::{Place, PledgeForm, Theme};
use together_core::Action;
use together_store::pledges::Wall;
use together_store::{Outcome, Pcn, Practice, StoreError};

/// Pledges accepted from one address in an hour (a tablet at a stall makes many).
const PLEDGES_PER_HOUR: usize = 60;

pub(crate) fn routes(r: Routes) -> Routes {
    let manage = Policy::Allow(Action::ManagePledges);
    r.get("/pledge", Policy::Public, form_page)
        .post("/pledge", Policy::Public, submit)
        .get("/pledges/wall", Policy::Public, wall)
        .get("/pledges", manage, overview)
        .post("/pledges/{id}/wall", manage, set_wall)
        .post("/pledges/{id}/champion", manage, ask_champion)
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct PcnQuery {
    pcn: String,
}

#[derive(Template)]
#[template(path = "pledge.html")]
struct FormPage {
    layout: Layout,
    pcn: Option<Pcn>,
    choose: Vec<Pcn>,
    practices: Vec<(String, String)>,
    themes: Vec<(&'static str, &'static str)>,
    places: Vec<(&'static str, &'static str)>,
    form: PledgeForm,
    errors: Vec<FieldError>,
    stamp: String,
}

impl FormPage {
    fn err(&self, field: &str) -> String {
        field_error(&self.errors, field)
    }
}

async fn render_form(
    state: &AppState,
    ctx: &Ctx,
    pcn: Option<Pcn>,
    choose: Vec<Pcn>,
    form: PledgeForm,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let practices = match &pcn {
        Some(p) => std::iter::once((
            String::new(),
            "I'm not sure, or I'd rather not say".to_owned(),
        ))
        .chain(
            state
                .store()
                .practices(p.id)
                .await?
                .into_iter()
                .map(|x| (x.id.to_string(), x.name)),
        )
        .collect(),
        None => Vec::new(),
    };
    let mut layout = Layout::new(state, ctx, "Make a health pledge");
    if let Some(p) = &pcn {
        layout.service = p.name.clone();
    }
    let page = FormPage {
        layout,
        pcn,
        choose,
        practices,
        themes: Theme::ALL.iter().map(|t| (t.as_str(), t.label())).collect(),
        places: Place::ALL.iter().map(|p| (p.as_str(), p.label())).collect(),
        form,
        errors,
        stamp: form_stamp(&state.0.secret, state.now()),
    };
    let status = form_status(!page.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

async fn form_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PcnQuery>,
) -> Result<Response, AppError> {
    let (pcn, choose) = crate::pages::champions::public_pcn(&state, &q.pcn).await?;
    let form = PledgeForm {
        place: "online".into(),
        ..PledgeForm::default()
    };
    render_form(&state, &ctx, pcn, choose, form, Vec::new()).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Posted {
    pcn: String,
    stamp: String,
    website: String,
    #[serde(flatten)]
    form: PledgeForm,
}

#[derive(Template)]
#[template(path = "pledge_thanks.html")]
struct ThanksPage {
    layout: Layout,
    goal: String,
    pcn: String,
    champion: bool,
}

async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(posted): Form<Posted>,
) -> Result<Response, AppError> {
    let (pcn, choose) = crate::pages::champions::public_pcn(&state, &posted.pcn).await?;
    let Some(pcn) = pcn else {
        return render_form(
            &state,
            &ctx,
            None,
            choose,
            PledgeForm::default(),
            Vec::new(),
        )
        .await;
    };
    let thanks = |goal: String, champion: bool| ThanksPage {
        layout: Layout::new(&state, &ctx, "Thank you for your pledge"),
        goal,
        pcn: pcn.id.to_string(),
        champion,
    };
    match public_post(
        &state,
        &ctx,
        &posted.website,
        &posted.stamp,
        "pledge",
        PLEDGES_PER_HOUR,
    )? {
        PublicPost::Person => {}
        // Thanked, and nothing kept.
        PublicPost::Bot => return Ok(Html(thanks(String::new(), false).render()?).into_response()),
        PublicPost::Again(why) => {
            let errors = one_error("goal", why);
            return render_form(&state, &ctx, Some(pcn), Vec::new(), posted.form, errors).await;
        }
    }
    let pledge = match posted.form.parse() {
        Ok(p) => p,
        Err(errors) => {
            return render_form(&state, &ctx, Some(pcn), Vec::new(), posted.form, errors).await
        }
    };
    let audit = ctx.audit(
        &state,
        AuditAction::MakePledge,
        "pledge",
        None,
        Outcome::Allowed,
    );
    match state.store().add_pledge(pcn.id, &pledge, &audit).await {
        Ok(_) => {}
        Err(StoreError::NotFound(_)) => {
            let errors = one_error("practice_id", "Choose your GP practice from the list");
            return render_form(&state, &ctx, Some(pcn), Vec::new(), posted.form, errors).await;
        }
        Err(e) => return Err(e.into()),
    }
    let mut page = thanks(pledge.goal, pledge.contact.is_some());
    page.layout.service = pcn.name;
    Ok(Html(page.render()?).into_response())
}

#[derive(Template)]
#[template(path = "pledge_wall.html")]
struct WallPage {
    layout: Layout,
    pcn: Option<Pcn>,
    choose: Vec<Pcn>,
    made: i64,
    shown: Vec<(String, &'static str)>,
}

async fn wall(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PcnQuery>,
) -> Result<Response, AppError> {
    let (pcn, choose) = crate::pages::champions::public_pcn(&state, &q.pcn).await?;
    let (shown, made) = match &pcn {
        Some(p) => state.store().pledge_wall(p.id, 60).await?,
        None => (Vec::new(), 0),
    };
    let mut layout = Layout::new(&state, &ctx, "Our health pledges");
    if let Some(p) = &pcn {
        layout.service = p.name.clone();
    }
    let page = WallPage {
        layout,
        pcn,
        choose,
        made,
        shown: shown
            .into_iter()
            .map(|(goal, theme)| (goal, theme.label()))
            .collect(),
    };
    Ok(Html(page.render()?).into_response())
}

/// One pledge on the coordinator's page.
struct Row {
    id: String,
    goal: String,
    theme: &'static str,
    practice: String,
    place: &'static str,
    made: String,
    wall: Wall,
    /// "Florence: 07700 900982" when they asked for a champion.
    contact: String,
    champion: String,
}

#[derive(Template)]
#[template(path = "pledges.html")]
struct OverviewPage {
    layout: Layout,
    total: usize,
    /// Practice names across, themes down: (theme, counts in practice order, total).
    columns: Vec<String>,
    counts: Vec<(&'static str, Vec<usize>, usize)>,
    rows: Vec<Row>,
    champions: Vec<(String, String)>,
    problem: crate::layout::Problem,
    pcn: String,
}

async fn render_overview(
    state: &AppState,
    ctx: &Ctx,
    problem: crate::layout::Problem,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let store = state.store();
    let practices: Vec<Practice> = store.practices(pcn).await?;
    let pledges = store.pledges(pcn).await?;
    let audit = ctx.audit(
        state,
        AuditAction::ListChampions,
        "champion",
        None,
        Outcome::Allowed,
    );
    let all_champions = store.champions(pcn, &audit).await?;
    let name_of_practice = |id: Option<together_core::PracticeId>| {
        id.and_then(|id| practices.iter().find(|p| p.id == id))
            .map(|p| p.name.clone())
            .unwrap_or_else(|| "Not said".into())
    };
    let mut columns: Vec<String> = practices.iter().map(|p| p.name.clone()).collect();
    columns.push("Not said".into());
    let mut tally: BTreeMap<Theme, Vec<usize>> = BTreeMap::new();
    for p in &pledges {
        let column = columns
            .iter()
            .position(|c| *c == name_of_practice(p.practice_id))
            .unwrap_or(columns.len() - 1);
        tally
            .entry(p.theme)
            .or_insert_with(|| vec![0; columns.len()])[column] += 1;
    }
    let counts = Theme::ALL
        .iter()
        .filter_map(|t| {
            let row = tally.get(t)?;
            Some((t.label(), row.clone(), row.iter().sum()))
        })
        .collect();
    let rows = pledges
        .iter()
        .map(|p| Row {
            id: p.id.to_string(),
            goal: p.goal.clone(),
            theme: p.theme.label(),
            practice: name_of_practice(p.practice_id),
            place: p.place.label(),
            made: when(&p.made_at),
            wall: p.wall,
            contact: match (&p.given_name, p.wants_champion) {
                (Some(name), true) => format!(
                    "{name}: {}",
                    [p.phone.as_deref(), p.email.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
                _ => String::new(),
            },
            champion: p
                .champion_id
                .and_then(|c| all_champions.iter().find(|x| x.id == c))
                .map(|c| format!("{} {}", c.given_name, c.family_name))
                .unwrap_or_default(),
        })
        .collect();
    let champions = std::iter::once((String::new(), "Choose a champion".to_owned()))
        .chain(
            all_champions
                .iter()
                .filter(|c| c.stage == together_core::champions::Stage::Active)
                .map(|c| {
                    (
                        c.id.to_string(),
                        format!("{} {}", c.given_name, c.family_name),
                    )
                }),
        )
        .collect();
    let page = OverviewPage {
        layout: Layout::new(state, ctx, "Health pledges"),
        total: pledges.len(),
        columns,
        counts,
        rows,
        champions,
        problem,
        pcn: pcn.to_string(),
    };
    let status = form_status(!page.problem.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

async fn overview(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    render_overview(&state, &ctx, crate::layout::Problem::none()).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct WallForm {
    shown: String,
}

async fn set_wall(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<WallForm>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let audit = ctx.audit(
        &state,
        AuditAction::PledgeWall,
        "pledge",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .set_pledge_wall(ctx.actor()?.pcn_id, id, f.shown == "yes", &audit)
        .await
    {
        Ok(()) => Ok(Redirect::to("/pledges").into_response()),
        Err(StoreError::NotFound(_)) => Err(AppError::NotFound),
        Err(StoreError::Refused(why)) => Err(AppError::BadRequest(why.to_string())),
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ChampionForm {
    champion: String,
}

async fn ask_champion(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ChampionForm>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let fail = |why: &str| {
        let problem = crate::layout::Problem::of("champion", one_error("champion", why));
        render_overview(&state, &ctx, problem)
    };
    let Ok(champion) = f.champion.parse() else {
        return fail("Choose a champion to ask").await;
    };
    let audit = ctx.audit(
        &state,
        AuditAction::PledgeChampion,
        "pledge",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .ask_champion_for_pledge(ctx.actor()?.pcn_id, id, champion, &audit)
        .await
    {
        Ok(()) => Ok(Redirect::to("/pledges").into_response()),
        Err(StoreError::Refused(why)) => fail(&why.to_string()).await,
        Err(StoreError::NotFound("pledge")) => Err(AppError::NotFound),
        Err(StoreError::NotFound(_)) => fail("Choose one from the list").await,
        Err(e) => Err(e.into()),
    }
}
