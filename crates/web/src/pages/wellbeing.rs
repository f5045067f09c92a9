//! Wellbeing on the web: on a connection's page a worker records how the person is (ONS4, the
//! loneliness question, licensed scores) or sends them a one-time link; `/wellbeing/{token}` is
//! where the person answers on their own phone, without an account. A chart of their first and
//! latest answers sits on the connection, with the table behind it.

mod view;
use crate::context::Ctx;
use crate::error::path_id;
use crate::error::AppError;
use crate::layout::{form_status, one_error, Layout, Problem};
use crate::pages::connections::render;
use crate::policy_router::{Policy, Routes};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use together_core::audit::AuditAction;
use together_core::wellbeing::{Loneliness, Occasion, WellbeingForm, LINK_DAYS};
use together_core::{Action, ConnectionId};
use together_store::wellbeing::LinkState;
use together_store::{Outcome, StoreError};
use view::*;
pub(crate) use view::{
    connection_wellbeing, offer_wellbeing, Bar, ConnectionWellbeing, OfferWellbeing,
};

pub(crate) fn routes(r: Routes) -> Routes {
    let view = Policy::Allow(Action::ViewConnections);
    // Whether the actor may keep this connection's wellbeing is the policy's, asked in the
    // handler (through the connection's page).
    r.post("/connections/{id}/wellbeing", view, record)
        .post("/connections/{id}/wellbeing-link", view, send_link)
        .get("/wellbeing", Policy::Public, answer_page)
        .post("/wellbeing", Policy::Public, answer)
}

/// The connection (if the actor may see it) and whether they may keep its wellbeing.
async fn keepable(
    state: &AppState,
    ctx: &Ctx,
    id: ConnectionId,
    action: together_core::audit::AuditAction,
) -> Result<crate::pages::connections::Seen, AppError> {
    let seen = crate::pages::connections::record(state, ctx, id).await?;
    if !seen.may_keep_wellbeing {
        crate::context::denied(state, ctx, action, "connection", Some(id.to_string())).await;
        return Err(AppError::NotFound);
    }
    Ok(seen)
}

async fn record(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<WellbeingForm>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let seen = keepable(
        &state,
        &ctx,
        id,
        together_core::audit::AuditAction::RecordWellbeing,
    )
    .await?;
    let new = match form.parse(seen.record.connection.made_on, state.now().date()) {
        Ok(w) => w,
        Err(errors) => {
            return render(&state, &ctx, seen, Problem::of("wellbeing", errors), false).await
        }
    };
    let audit = ctx.audit(
        &state,
        AuditAction::RecordWellbeing,
        "connection",
        Some(id.to_string()),
        Outcome::Allowed,
    );
    match state
        .store()
        .record_wellbeing(ctx.actor()?.pcn_id, id, &new, &audit)
        .await
    {
        Ok(()) => {
            Ok(Redirect::to(&crate::paths::connections::section(id, "wellbeing")).into_response())
        }
        Err(StoreError::Refused(why)) => {
            render(
                &state,
                &ctx,
                seen,
                Problem::of("wellbeing", one_error("answered_on", why.to_string())),
                false,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct LinkForm {
    occasion: String,
}

async fn send_link(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<LinkForm>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let seen = keepable(
        &state,
        &ctx,
        id,
        together_core::audit::AuditAction::SendWellbeingLink,
    )
    .await?;
    let occasion = form
        .occasion
        .parse::<Occasion>()
        .unwrap_or(Occasion::FollowUp);
    let (_, link) =
        together_app::wellbeing::new_link(&state.config().public_url, occasion, state.now());
    let audit = ctx.audit(
        &state,
        AuditAction::SendWellbeingLink,
        "connection",
        Some(id.to_string()),
        Outcome::Allowed,
    );
    match state
        .store()
        .issue_wellbeing_link(ctx.actor()?.pcn_id, id, &link, &audit)
        .await
    {
        Ok(()) => {
            Ok(Redirect::to(&crate::paths::connections::wellbeing_link_sent(id)).into_response())
        }
        Err(StoreError::Refused(why)) => {
            render(
                &state,
                &ctx,
                seen,
                Problem::of("wellbeing_link", one_error("send", why.to_string())),
                false,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "wellbeing_answer.html")]
struct AnswerPage {
    layout: Layout,
    /// `open`, `thanks`, `used` or `expired`.
    state: &'static str,
    token: String,
    given_name: String,
    form: WellbeingForm,
    problem: Problem,
    questions: Vec<(&'static str, &'static str, &'static str)>,
    scores: Vec<(String, String)>,
    lonely: Vec<(String, String)>,
    lonely_question: &'static str,
    link_days: i64,
}

impl AnswerPage {
    /// What was chosen for one ONS4 question, to show it again beside an error.
    fn form_value(&self, field: &str) -> String {
        match field {
            "life_satisfaction" => &self.form.life_satisfaction,
            "worthwhile" => &self.form.worthwhile,
            "happy" => &self.form.happy,
            "anxious" => &self.form.anxious,
            _ => "",
        }
        .to_owned()
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct TokenQuery {
    token: String,
}

async fn render_answer(
    state: &AppState,
    ctx: &Ctx,
    token: &str,
    form: WellbeingForm,
    problem: Problem,
) -> Result<Response, AppError> {
    let link = state
        .store()
        .wellbeing_link(&together_core::tokens::hash_token(token), state.now())
        .await?;
    let (page_state, given_name, status) = match link {
        LinkState::Open { given_name, .. } => {
            ("open", given_name, form_status(!problem.errors.is_empty()))
        }
        LinkState::Used => ("used", String::new(), axum::http::StatusCode::GONE),
        LinkState::Expired => ("expired", String::new(), axum::http::StatusCode::GONE),
        LinkState::Unknown => return Err(AppError::NotFound),
    };
    let shared = questions();
    let page = AnswerPage {
        layout: Layout::new(state, ctx, "How are you getting on?"),
        state: page_state,
        token: token.to_owned(),
        given_name,
        form,
        problem,
        questions: shared.questions,
        scores: shared.scores,
        lonely: shared.lonely,
        lonely_question: Loneliness::QUESTION,
        link_days: LINK_DAYS,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn answer_page(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::extract::Query(q): axum::extract::Query<TokenQuery>,
) -> Result<Response, AppError> {
    render_answer(
        &state,
        &ctx,
        &q.token,
        WellbeingForm::default(),
        Problem::none(),
    )
    .await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct AnswerForm {
    token: String,
    life_satisfaction: String,
    worthwhile: String,
    happy: String,
    anxious: String,
    lonely: String,
}

/// The person's own answers: ONS4 and loneliness only (the licensed scales need their own
/// forms), dated today, spent with the link.
async fn answer(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<AnswerForm>,
) -> Result<Response, AppError> {
    let hash = together_core::tokens::hash_token(&f.token);
    let now = state.now();
    let LinkState::Open {
        since, occasion, ..
    } = state.store().wellbeing_link(&hash, now).await?
    else {
        return render_answer(
            &state,
            &ctx,
            &f.token,
            WellbeingForm::default(),
            Problem::none(),
        )
        .await;
    };
    let form = WellbeingForm {
        occasion: occasion.as_str().to_owned(),
        answered_on: String::new(),
        life_satisfaction: f.life_satisfaction,
        worthwhile: f.worthwhile,
        happy: f.happy,
        anxious: f.anxious,
        lonely: f.lonely,
        ..WellbeingForm::default()
    };
    let new = match form.parse(since.min(now.date()), now.date()) {
        Ok(w) => w,
        Err(errors) => {
            return render_answer(&state, &ctx, &f.token, form, Problem::of("answer", errors)).await
        }
    };
    let audit = ctx.audit(
        &state,
        AuditAction::AnswerWellbeing,
        "connection",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .answer_by_link(&hash, &new.answers, new.answered_on, &audit)
        .await
    {
        Ok(()) => {}
        // Spent a moment ago (answered twice at once): say so.
        Err(StoreError::Refused(_)) => {
            return render_answer(
                &state,
                &ctx,
                &f.token,
                WellbeingForm::default(),
                Problem::none(),
            )
            .await
        }
        Err(e) => return Err(e.into()),
    }
    let page = AnswerPage {
        layout: Layout::new(&state, &ctx, "Thank you"),
        state: "thanks",
        token: String::new(),
        given_name: String::new(),
        form: WellbeingForm::default(),
        problem: Problem::none(),
        questions: Vec::new(),
        scores: Vec::new(),
        lonely: Vec::new(),
        lonely_question: Loneliness::QUESTION,
        link_days: LINK_DAYS,
    };
    Ok(Html(page.render()?).into_response())
}
