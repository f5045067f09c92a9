//! The public directory: the neighbourhood's services and the PCNs' offers, searched by words
//! and by category, each with a page saying what it is, who it is for, when and where, the next
//! sessions and how to join. No sign-in; readable on a phone and by a screen reader.

use crate::context::Ctx;
use crate::error::AppError;
use crate::layout::{date, Layout};
use crate::policy_router::{Policy, Routes};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use together_store::directory::{DirectoryFilter, DirectoryService};
use together_store::offers::SessionFilter;

pub(crate) fn routes(r: Routes) -> Routes {
    r.get("/directory", Policy::Public, search)
        .get("/directory/{id}", Policy::Public, listing)
}

/// Results per page.
const PER_PAGE: i64 = 20;

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct SearchQuery {
    q: String,
    category: String,
    page: String,
}

struct Hit {
    id: String,
    name: String,
    by: String,
    summary: String,
    place: String,
    when: String,
}

#[derive(Template)]
#[template(path = "directory.html")]
struct SearchPage {
    layout: Layout,
    q: String,
    category: String,
    categories: Vec<(String, String)>,
    hits: Vec<Hit>,
    found: String,
    previous: String,
    next: String,
}

/// The first sentence or so of a description, for a list.
fn summary(text: &str) -> String {
    let t = text.trim();
    match t.char_indices().nth(160) {
        Some((i, _)) => format!("{}…", t[..i].trim_end()),
        None => t.to_owned(),
    }
}

fn place(s: &DirectoryService) -> String {
    s.venue
        .as_ref()
        .map(|v| format!("{}, {}", v.name, v.postcode))
        .unwrap_or_default()
}

fn page_link(q: &SearchQuery, page: i64) -> String {
    let pairs = [
        ("q", q.q.as_str()),
        ("category", q.category.as_str()),
        ("page", &page.to_string()),
    ];
    let kept: Vec<(&str, &str)> = pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
    let query = serde_urlencoded::to_string(kept).unwrap_or_default();
    format!("/directory?{query}")
}

async fn search(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<SearchQuery>,
) -> Result<Response, AppError> {
    let page = q.page.parse::<i64>().unwrap_or(1).max(1);
    let filter = DirectoryFilter {
        search: Some(q.q.clone()).filter(|s| !s.trim().is_empty()),
        taxonomy_term_id: Some(q.category.clone()).filter(|s| !s.is_empty()),
        ..DirectoryFilter::default()
    };
    let (total, rows) = state
        .store()
        .directory_services(&filter, page, PER_PAGE)
        .await?;
    let mut categories = vec![(String::new(), "Everything".to_owned())];
    categories.extend(
        state
            .store()
            .taxonomy_terms()
            .await?
            .into_iter()
            .map(|t| (t.id, t.name)),
    );
    let hits = rows
        .iter()
        .map(|s| Hit {
            id: s.id.to_string(),
            name: s.name.clone(),
            by: s.organization.name.clone(),
            summary: summary(&s.description),
            place: place(s),
            when: s
                .schedules
                .iter()
                .map(|sc| sc.recurrence.describe())
                .collect::<Vec<_>>()
                .join("; "),
        })
        .collect();
    let pages = (total + PER_PAGE - 1) / PER_PAGE;
    let page_view = SearchPage {
        layout: Layout::new(&state, &ctx, "Find local groups and services"),
        found: match total {
            0 => "Nothing found. Try fewer words, or everything.".into(),
            1 => "1 found".into(),
            n => format!("{n} found"),
        },
        previous: if page > 1 {
            page_link(&q, page - 1)
        } else {
            String::new()
        },
        next: if page < pages {
            page_link(&q, page + 1)
        } else {
            String::new()
        },
        q: q.q,
        category: q.category,
        categories,
        hits,
    };
    Ok(Html(page_view.render()?).into_response())
}

#[derive(Template)]
#[template(path = "directory_listing.html")]
struct ListingPage {
    layout: Layout,
    s: DirectoryService,
    when: Vec<String>,
    /// (date, times, where, note) of the next sessions not cancelled.
    sessions: Vec<(String, String, String, String)>,
    terms: Vec<String>,
    ages: String,
    /// "Run by … Last checked …", for people deciding whether to trust it.
    provenance: String,
}

/// How many of an offer's next sessions its page lists.
const NEXT_SESSIONS: usize = 6;

async fn listing(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = id.parse().map_err(|_| AppError::NotFound)?;
    let s = state
        .store()
        .directory_service(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let sessions = if s.is_offer {
        let today = state.now().date();
        state
            .store()
            .offer_sessions(
                s.pcn_id,
                &SessionFilter {
                    offer: Some(s.id),
                    from: Some(today),
                    ..SessionFilter::default()
                },
            )
            .await?
            .into_iter()
            .take(NEXT_SESSIONS)
            .map(|x| {
                (
                    date(&x.on),
                    x.times(),
                    x.venue_name.clone().unwrap_or_default(),
                    x.note.clone(),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let ages = match (s.minimum_age, s.maximum_age) {
        (Some(lo), Some(hi)) => format!("Ages {lo} to {hi}"),
        (Some(lo), None) => format!("Ages {lo} and over"),
        (None, Some(hi)) => format!("Up to age {hi}"),
        (None, None) => String::new(),
    };
    let provenance = match s.assured_date {
        Some(d) => format!("Run by {}. Last checked {}.", s.organization.name, date(&d)),
        None => format!("Run by {}.", s.organization.name),
    };
    let page = ListingPage {
        provenance,
        layout: Layout::new(&state, &ctx, &s.name),
        when: s
            .schedules
            .iter()
            .map(|sc| sc.recurrence.describe())
            .collect(),
        terms: s.terms.iter().map(|t| t.name.clone()).collect(),
        sessions,
        ages,
        s,
    };
    Ok(Html(page.render()?).into_response())
}
