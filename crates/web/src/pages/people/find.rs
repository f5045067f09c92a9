//! Finding a person by name, NHS number or date of birth.

use crate::context::Ctx;
use crate::error::AppError;
use crate::layout::{date, Layout};
use crate::person_access::*;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use together_core::audit::AuditAction;
use together_core::{authorize, Action, Resource};
use together_store::{Outcome, PersonSummary};

#[derive(Template)]
#[template(path = "people.html")]
pub(super) struct FindPage {
    pub(super) layout: Layout,
    pub(super) q: String,
    pub(super) searched: bool,
    pub(super) results: Vec<(PersonSummary, String, String)>,
    pub(super) can_create: bool,
    pub(super) can_see_pledges: bool,
    pub(super) can_import: bool,
}

#[derive(Deserialize, Default)]
pub(super) struct FindQuery {
    #[serde(default)]
    pub(super) q: String,
}

pub(super) async fn find_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<FindQuery>,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?.clone();
    let term = q.q.trim().to_owned();
    let searched = term.chars().count() >= 2;
    let results = if searched {
        let names = practice_names(&state, &ctx).await?;
        let audit = ctx.audit(
            &state,
            AuditAction::FindPeople,
            "people",
            None,
            Outcome::Allowed,
        );
        state
            .store()
            .find_people(actor.pcn_id, search_scope(&ctx)?, &term, &audit)
            .await?
            .into_iter()
            .map(|p| {
                let practice = names.get(&p.practice_id).cloned().unwrap_or_default();
                let born = date(&p.date_of_birth);
                (p, practice, born)
            })
            .collect()
    } else {
        Vec::new()
    };
    let page = FindPage {
        layout: Layout::new(&state, &ctx, "People"),
        q: term,
        searched,
        results,
        can_create: authorize(&actor, Action::CreatePerson, &Resource::Pcn(actor.pcn_id))
            .is_allowed(),
        can_see_pledges: authorize(&actor, Action::ManagePledges, &Resource::Pcn(actor.pcn_id))
            .is_allowed(),
        can_import: authorize(&actor, Action::ImportPeople, &Resource::Pcn(actor.pcn_id))
            .is_allowed(),
    };
    Ok(Html(page.render()?).into_response())
}
