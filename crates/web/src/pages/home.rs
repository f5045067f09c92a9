//! The home page (what this role can do here), the PCN page and how information is used.

use crate::context::Ctx;
use crate::error::AppError;
use crate::layout::Layout;
use crate::policy_router::{owes_second_factor, second_factor_page, Policy, Routes};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use together_core::audit::AuditAction;
use together_core::{authorize, Action, Resource};
use together_store::{Outcome, Practice, Site};

pub(crate) fn routes(r: Routes) -> Routes {
    r.get("/", Policy::Public, home)
        .get("/pcn", Policy::Allow(Action::UseAccount), pcn)
        .get("/privacy", Policy::Public, privacy)
}

pub(crate) struct Card {
    pub href: &'static str,
    pub title: &'static str,
    pub text: &'static str,
}

const CARDS: &[(&str, &str, &str, Action)] = &[
    ("/insight", "Insight", "Who really uses the appointments: the long tail, age groups, trends and frequent attenders.", Action::ViewInsight),
    (
        "/people",
        "People",
        "Find someone the PCN supports, or add a person, with their consent.",
        Action::FindPeople,
    ),
    (
        "/pcn",
        "Our PCN",
        "The practices and sites of the Primary Care Network.",
        Action::UseAccount,
    ),
    (
        "/admin",
        "Set up the PCN",
        "Name the PCN, add its practices and sites, and invite the team.",
        Action::ManageOrganisation,
    ),
    (
        "/admin/users",
        "Team",
        "Invite people by role, reset passwords and second factors.",
        Action::ManageUsers,
    ),
    (
        "/admin/audit",
        "Audit",
        "Who did what, and who viewed each person's record.",
        Action::ViewAudit,
    ),
    (
        "/account",
        "Your account",
        "Change your password and second factor; see where you are signed in.",
        Action::UseAccount,
    ),
];

/// A line of the person's work: what needs doing, counted, and where it is done.
pub(crate) struct WorkLine {
    pub text: String,
    pub href: &'static str,
    pub urgent: bool,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    name: Option<String>,
    /// What needs them now, most urgent first.
    work: Vec<WorkLine>,
    cards: Vec<Card>,
}

async fn home(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    if owes_second_factor(&ctx) {
        return Ok(Redirect::to(second_factor_page(&ctx)).into_response());
    }
    let cards = ctx
        .auth
        .as_ref()
        .map(|a| {
            CARDS
                .iter()
                .filter(|c| authorize(&a.actor, c.3, &Resource::Pcn(a.actor.pcn_id)).is_allowed())
                .map(|c| Card {
                    href: c.0,
                    title: c.1,
                    text: c.2,
                })
                .collect()
        })
        .unwrap_or_default();
    let work = match ctx.auth.as_ref() {
        Some(a) => {
            let audit = ctx.audit(
                &state,
                AuditAction::ViewWork,
                "work",
                None,
                Outcome::Allowed,
            );
            together_app::work::queue(state.store(), &a.actor, state.now().date(), &audit)
                .await?
                .into_iter()
                .map(|i| WorkLine {
                    text: i.need.words(i.count),
                    href: crate::paths::work::place(i.need),
                    urgent: i.need.is_urgent(),
                })
                .collect()
        }
        None => Vec::new(),
    };
    let page = HomePage {
        layout: Layout::new(&state, &ctx, "Home"),
        name: ctx.auth.as_ref().map(|a| a.user.display_name.clone()),
        work,
        cards,
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Template)]
#[template(path = "pcn.html")]
struct PcnPage {
    layout: Layout,
    practices: Vec<Practice>,
    sites: Vec<Site>,
}

async fn pcn(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let page = PcnPage {
        layout: Layout::new(&state, &ctx, "Our PCN"),
        practices: state.store().practices(pcn).await?,
        sites: state.store().sites(pcn).await?,
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Template)]
#[template(path = "privacy.html")]
struct PrivacyPage {
    layout: Layout,
}

async fn privacy(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    Ok(Html(
        PrivacyPage {
            layout: Layout::new(&state, &ctx, "How we use information"),
        }
        .render()?,
    )
    .into_response())
}
