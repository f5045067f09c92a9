//! Choosing a second person for a first: a buddy to introduce them to, or a duplicate record to
//! merge into theirs. One page serves both: find by name, choose one, say what happens.

use crate::context::Ctx;
use crate::error::AppError;
use crate::layout::{date, Layout, Problem};
use crate::person_access::practice_names;
use crate::person_access::search_scope;
use crate::state::AppState;
use askama::Template;
use axum::response::{Html, IntoResponse, Response};
use together_core::audit::AuditAction;
use together_core::PersonId;
use together_store::Outcome;

/// What the page is choosing for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    Buddy,
    Merge,
}

#[derive(Template)]
#[template(path = "person_pick.html")]
struct PickPage {
    layout: Layout,
    purpose: Purpose,
    /// Whose record this is for ("Florence Ashworth").
    name: String,
    id: PersonId,
    q: String,
    searched: bool,
    /// (id, "Name, born 27 March 1933, Quayside Surgery").
    candidates: Vec<(String, String)>,
    sources: Vec<(String, String)>,
    problem: Problem,
    chosen: String,
    note: String,
    source: String,
}

impl PickPage {
    fn is_buddy(&self) -> bool {
        self.purpose == Purpose::Buddy
    }
    fn back(&self) -> String {
        crate::paths::people::record(self.id)
    }
}

/// What was typed on the page, to show it again with a problem.
#[derive(serde::Deserialize, Default, Clone)]
#[serde(default)]
pub(crate) struct Typed {
    pub q: String,
    pub chosen: String,
    pub source: String,
    pub note: String,
}

/// The page for `id` (whose name is `name`): the people matching `typed.q` (at least two
/// letters, the actor's search scope, never the person themselves), audited as a search.
pub(crate) async fn render(
    state: &AppState,
    ctx: &Ctx,
    purpose: Purpose,
    id: PersonId,
    name: String,
    typed: Typed,
    problem: Problem,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?.clone();
    let term = typed.q.trim().to_owned();
    let searched = term.chars().count() >= 2;
    let mut candidates = Vec::new();
    if searched {
        let names = practice_names(state, ctx).await?;
        let audit = ctx.audit(
            state,
            AuditAction::FindPeople,
            "people",
            None,
            Outcome::Allowed,
        );
        for p in state
            .store()
            .find_people(actor.pcn_id, search_scope(ctx)?, &term, &audit)
            .await?
        {
            if p.id != id {
                let practice = names.get(&p.practice_id).cloned().unwrap_or_default();
                candidates.push((
                    p.id.to_string(),
                    format!(
                        "{} {}, born {}, {practice}",
                        p.given_name,
                        p.family_name,
                        date(&p.date_of_birth)
                    ),
                ));
            }
        }
    }
    let title = match purpose {
        Purpose::Buddy => format!("Introduce {name} to a buddy"),
        Purpose::Merge => format!("Merge another record into {name}'s"),
    };
    let page = PickPage {
        layout: Layout::new(state, ctx, &title),
        purpose,
        name,
        id,
        q: term,
        searched,
        candidates,
        sources: crate::pages::connections::source_options(),
        problem,
        chosen: typed.chosen,
        note: typed.note,
        source: typed.source,
    };
    let status = crate::layout::form_status(!page.problem.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}
