//! Wellbeing on the web: on a connection's page a worker records how the person is (ONS4, the
//! loneliness question, licensed scores) or sends them a one-time link; `/wellbeing/{token}` is
//! where the person answers on their own phone, without an account. A chart of their first and
//! latest answers sits on the connection, with the table behind it.

use crate::context::Ctx;
use crate::error::AppError;
use crate::layout::{date, form_status, one_error, Layout, Problem};
use crate::pages::connections::{connection_id, render};
use crate::policy_router::{Policy, Routes};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use together_core::wellbeing::{
    Answers, Licensed, Loneliness, Occasion, Ons4, WellbeingForm, LINK_DAYS,
};
use together_core::{Action, ConnectionId};
use together_store::wellbeing::{LinkState, NewLink, WellbeingRecord};
use together_store::{Outcome, StoreError};

pub(crate) fn routes(r: Routes) -> Routes {
    let view = Policy::Allow(Action::ViewConnections);
    // Whether the actor may keep this connection's wellbeing is the policy's, asked in the
    // handler (through the connection's page).
    r.post("/connections/{id}/wellbeing", view, record)
        .post("/connections/{id}/wellbeing-link", view, send_link)
        .get("/wellbeing", Policy::Public, answer_page)
        .post("/wellbeing", Policy::Public, answer)
}

/// The answers of one connection for its page: rows for the table, and the chart's bars.
pub(crate) struct ConnectionWellbeing {
    /// (when, occasion, the four ONS4 answers or dashes, loneliness, licensed scores, by whom)
    pub(crate) rows: Vec<[String; 9]>,
    /// One group per ONS4 question: (label, first, latest) when answered twice.
    pub(crate) bars: Vec<Bar>,
    pub(crate) occasion: &'static str,
    pub(crate) occasions: Vec<(String, String)>,
    pub(crate) scores: Vec<(String, String)>,
    pub(crate) lonely: Vec<(String, String)>,
    pub(crate) questions: Vec<(&'static str, &'static str, &'static str)>,
    pub(crate) licensed: Vec<(&'static str, String)>,
}

/// A pair of bars: the first answers and the latest, on a 0–10 scale.
pub(crate) struct Bar {
    pub(crate) label: &'static str,
    pub(crate) y: f64,
    pub(crate) first: String,
    pub(crate) latest: String,
    pub(crate) first_width: f64,
    pub(crate) latest_width: f64,
    /// "better", "worse" or "no change", for this question's direction.
    pub(crate) better: &'static str,
}

/// Pixels per point on the chart's 0–10 scale.
const POINT: f64 = 20.0;

impl Bar {
    /// The `i`th pair, for a question whose first and latest answers (or means) are given.
    pub(crate) fn new(
        i: usize,
        item: Ons4,
        first: f64,
        latest: f64,
        shown: fn(f64) -> String,
    ) -> Self {
        let delta = latest - first;
        Bar {
            label: item.label(),
            y: i as f64 * 48.0,
            first: shown(first),
            latest: shown(latest),
            first_width: first * POINT,
            latest_width: latest * POINT,
            better: if delta.abs() < 0.05 {
                "no change"
            } else if (delta > 0.0) == item.higher_is_better() {
                "better"
            } else {
                "worse"
            },
        }
    }
}

fn dash(v: Option<u8>) -> String {
    v.map_or_else(|| "–".to_owned(), |v| v.to_string())
}

/// The questions a person is asked (ONS4 and loneliness), with each select's choices.
pub(crate) struct Questions {
    pub(crate) questions: Vec<(&'static str, &'static str, &'static str)>,
    pub(crate) scores: Vec<(String, String)>,
    pub(crate) lonely: Vec<(String, String)>,
}

pub(crate) fn questions() -> Questions {
    Questions {
        scores: std::iter::once((String::new(), "Not asked".to_owned()))
            .chain((0..=10).map(|n| (n.to_string(), n.to_string())))
            .collect(),
        lonely: std::iter::once((String::new(), "Not asked".to_owned()))
            .chain(
                Loneliness::ALL
                    .into_iter()
                    .map(|l| (l.as_str().to_owned(), l.label().to_owned())),
            )
            .collect(),
        questions: Ons4::ALL
            .into_iter()
            .map(|i| (i.as_str(), i.question(), i.scale()))
            .collect(),
    }
}

pub(crate) fn connection_wellbeing(
    all: &[WellbeingRecord],
    connection: ConnectionId,
) -> ConnectionWellbeing {
    let mine: Vec<&WellbeingRecord> = all
        .iter()
        .filter(|w| w.connection_id == connection)
        .collect();
    let rows = mine
        .iter()
        .map(|w| {
            let a = &w.answers;
            let licensed = Licensed::ALL
                .into_iter()
                .filter_map(|l| a.licensed(l).map(|v| format!("{} {v}", l.label())))
                .collect::<Vec<_>>()
                .join(", ");
            [
                date(&w.answered_on),
                w.occasion.label().to_owned(),
                dash(a.ons4(Ons4::LifeSatisfaction)),
                dash(a.ons4(Ons4::Worthwhile)),
                dash(a.ons4(Ons4::Happy)),
                dash(a.ons4(Ons4::Anxious)),
                a.lonely
                    .map_or_else(|| "–".to_owned(), |l| l.label().to_owned()),
                if licensed.is_empty() {
                    "–".to_owned()
                } else {
                    licensed
                },
                if w.by_themselves {
                    "Themselves, on their phone".to_owned()
                } else {
                    "A worker".to_owned()
                },
            ]
        })
        .collect();
    let with_ons4: Vec<_> = mine.iter().filter(|w| w.answers.ons4.is_some()).collect();
    let bars = match (with_ons4.first(), with_ons4.last()) {
        (Some(first), Some(latest)) if with_ons4.len() > 1 => Ons4::ALL
            .into_iter()
            .enumerate()
            .filter_map(|(i, item)| {
                let (f, l) = (first.answers.ons4(item)?, latest.answers.ons4(item)?);
                Some(Bar::new(i, item, f64::from(f), f64::from(l), |v| {
                    format!("{v:.0}")
                }))
            })
            .collect(),
        _ => Vec::new(),
    };
    let Questions {
        questions,
        scores,
        lonely,
    } = questions();
    ConnectionWellbeing {
        rows,
        bars,
        occasion: if mine.is_empty() {
            "baseline"
        } else {
            "follow_up"
        },
        occasions: Occasion::ALL
            .into_iter()
            .map(|o| (o.as_str().to_owned(), o.label().to_owned()))
            .collect(),
        scores,
        lonely,
        questions,
        licensed: Licensed::ALL
            .into_iter()
            .map(|l| {
                (
                    l.as_str(),
                    format!(
                        "{} (optional, {} to {})",
                        l.label(),
                        l.range().start(),
                        l.range().end()
                    ),
                )
            })
            .collect(),
    }
}

/// The connection (if the actor may see it) and whether they may keep its wellbeing.
async fn keepable(
    state: &AppState,
    ctx: &Ctx,
    id: ConnectionId,
    action: &str,
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
    let id = connection_id(&id)?;
    let seen = keepable(&state, &ctx, id, "record_wellbeing").await?;
    let new = match form.parse(seen.record.connection.made_on, state.now().date()) {
        Ok(w) => w,
        Err(errors) => {
            return render(&state, &ctx, seen, Problem::of("wellbeing", errors), false).await
        }
    };
    let audit = ctx.audit(
        &state,
        "record_wellbeing",
        "connection",
        Some(id.to_string()),
        Outcome::Allowed,
    );
    match state
        .store()
        .record_wellbeing(ctx.actor()?.pcn_id, id, &new, &audit)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/connections/{id}#wellbeing")).into_response()),
        Err(StoreError::Refused(why)) => {
            render(
                &state,
                &ctx,
                seen,
                Problem::of("wellbeing", one_error("answered_on", why)),
                false,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// A fresh one-time link to answer on one's own phone, and the text message that carries it
/// (`{name}` is filled by the store): the address, for the demo to print, and what to keep.
pub fn new_link(
    public_url: &str,
    occasion: Occasion,
    now: time::OffsetDateTime,
) -> (String, NewLink) {
    let token = together_core::tokens::random_token();
    let url = format!(
        "{}/wellbeing?token={token}",
        public_url.trim_end_matches('/')
    );
    let link = NewLink {
        token_hash: together_core::tokens::hash_token(&token),
        occasion,
        expires_at: now + time::Duration::days(LINK_DAYS),
        subject: "How are you getting on?".into(),
        body: format!(
            "Hello {{name}}, it's your PCN team. How are you getting on? Five short questions, on your phone: {url} The link works once, for {LINK_DAYS} days. You do not have to answer."
        ),
    };
    (url, link)
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
    let id = connection_id(&id)?;
    let seen = keepable(&state, &ctx, id, "send_wellbeing_link").await?;
    let occasion = form
        .occasion
        .parse::<Occasion>()
        .unwrap_or(Occasion::FollowUp);
    let (_, link) = new_link(&state.config().public_url, occasion, state.now());
    let audit = ctx.audit(
        &state,
        "send_wellbeing_link",
        "connection",
        Some(id.to_string()),
        Outcome::Allowed,
    );
    match state
        .store()
        .issue_wellbeing_link(ctx.actor()?.pcn_id, id, &link, &audit)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/connections/{id}?sent=1#wellbeing")).into_response()),
        Err(StoreError::Refused(why)) => {
            render(
                &state,
                &ctx,
                seen,
                Problem::of("wellbeing_link", one_error("send", why)),
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
        "answer_wellbeing",
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

/// How the people connected to an offer moved, for the coordinator's view of the offer.
pub(crate) struct OfferWellbeing {
    pub(crate) bars: Vec<Bar>,
    /// (question, people, mean first, mean latest, share improved).
    pub(crate) rows: Vec<(&'static str, String, String, String, String)>,
    /// Why nothing is shown, when it is not.
    pub(crate) note: String,
}

pub(crate) fn offer_wellbeing(pairs: &[(Answers, Answers)]) -> OfferWellbeing {
    use together_core::disclosure::Audience;
    use together_core::wellbeing::{change_per_item, FEWEST_FOR_A_MEAN};
    let Some(changes) = change_per_item(pairs) else {
        return OfferWellbeing {
            bars: Vec::new(),
            rows: Vec::new(),
            note: format!(
                "Fewer than {FEWEST_FOR_A_MEAN} people connected to it have answered the wellbeing questions twice. The change is shown once {FEWEST_FOR_A_MEAN} have, so that no one's answers can be told."
            ),
        };
    };
    OfferWellbeing {
        bars: changes
            .iter()
            .enumerate()
            .map(|(i, c)| {
                Bar::new(i, c.item, c.mean_first, c.mean_latest, |v| {
                    format!("{v:.1}")
                })
            })
            .collect(),
        rows: changes
            .iter()
            .map(|c| {
                (
                    c.item.label(),
                    c.people.disclose(Audience::Suppressed).to_string(),
                    format!("{:.1}", c.mean_first),
                    format!("{:.1}", c.mean_latest),
                    format!("{:.0}%", c.improved_share * 100.0),
                )
            })
            .collect(),
        note: String::new(),
    }
}
