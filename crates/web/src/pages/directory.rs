//! The public directory: the neighbourhood's services and the PCNs' offers, searched by words
//! and by category, each with a page saying what it is, who it is for, when and where, the next
//! sessions and how to join. No sign-in; readable on a phone and by a screen reader.

use crate::context::Ctx;
use crate::error::path_id;
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
        .get("/directory/booklet", Policy::Public, booklet)
        .get("/directory/{id}", Policy::Public, listing)
        .get("/directory/{id}/poster", Policy::Public, poster)
        .get("/directory/{id}/calendar.ics", Policy::Public, calendar)
}

/// The directory's categories as checkboxes (id, name, ticked), for the offer and listing forms.
pub(crate) async fn category_boxes(
    store: &together_store::DynStore,
    ticked: &[String],
) -> Result<Vec<(String, String, bool)>, AppError> {
    Ok(store
        .taxonomy_terms()
        .await?
        .into_iter()
        .map(|t| {
            let on = ticked.contains(&t.id);
            (t.id, t.name, on)
        })
        .collect())
}

/// A venue as one line: its name, address and postcode.
fn full_place(s: &DirectoryService) -> String {
    s.venue
        .as_ref()
        .map(|v| format!("{}, {}, {}", v.name, v.address, v.postcode))
        .unwrap_or_default()
}

/// Results per page.
const PER_PAGE: i64 = 20;

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct SearchQuery {
    q: String,
    category: String,
    postcode: String,
    within: String,
    page: String,
}

struct Hit {
    id: String,
    name: String,
    by: String,
    summary: String,
    place: String,
    when: String,
    /// "0.4 miles away", when searched by distance.
    distance: String,
}

#[derive(Template)]
#[template(path = "directory.html")]
struct SearchPage {
    layout: Layout,
    q: String,
    category: String,
    categories: Vec<(String, String)>,
    postcode: String,
    within: String,
    distances: Vec<(String, String)>,
    /// Why the postcode could not be used, else empty.
    postcode_error: String,
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
        ("postcode", q.postcode.as_str()),
        ("within", q.within.as_str()),
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
    use together_core::geo::{miles, MILE_M, WITHIN_MILES};
    let page = q.page.parse::<i64>().unwrap_or(1).max(1);
    let within = WITHIN_MILES
        .iter()
        .find(|(k, _)| *k == q.within)
        .map_or("2", |(k, _)| *k);
    // A postcode we cannot place is said so, and nothing is searched.
    let (near, postcode_error) = match q.postcode.trim() {
        "" => (None, String::new()),
        typed => match together_core::partners::postcode(typed) {
            None => (
                None,
                format!("'{typed}' is not a postcode: enter one like HV1 1AA"),
            ),
            Some(pc) => match state.store().postcode_point(&pc).await? {
                Some(p) => (
                    Some((p, within.parse::<f64>().unwrap_or(2.0) * MILE_M)),
                    String::new(),
                ),
                None => (
                    None,
                    format!("We do not know where {pc} is: check it, or search without it"),
                ),
            },
        },
    };
    let filter = DirectoryFilter {
        search: Some(q.q.clone()).filter(|s| !s.trim().is_empty()),
        taxonomy_term_id: Some(q.category.clone()).filter(|s| !s.is_empty()),
        near,
        ..DirectoryFilter::default()
    };
    let (total, rows) = if postcode_error.is_empty() {
        state
            .store()
            .directory_services(&filter, page, PER_PAGE)
            .await?
    } else {
        (0, Vec::new())
    };
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
            distance: s
                .distance_m
                .map(|d| format!("{} away", miles(d)))
                .unwrap_or_default(),
        })
        .collect();
    let pages = (total + PER_PAGE - 1) / PER_PAGE;
    let page_view = SearchPage {
        layout: Layout::new(&state, &ctx, "Find local groups and services"),
        found: match total {
            _ if !postcode_error.is_empty() => "Check the postcode".into(),
            0 if near.is_some() => {
                "Nothing found that near. Try further away, or fewer words.".into()
            }
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
        postcode: q.postcode.trim().to_owned(),
        within: within.to_owned(),
        distances: WITHIN_MILES
            .iter()
            .map(|(k, l)| ((*k).to_owned(), (*l).to_owned()))
            .collect(),
        q: q.q,
        category: q.category,
        categories,
        hits,
        postcode_error,
    };
    let status = crate::layout::form_status(!page_view.postcode_error.is_empty());
    Ok((status, Html(page_view.render()?)).into_response())
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
    let id = path_id(&id)?;
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

/// A published service, or not found.
async fn published(state: &AppState, id: &str) -> Result<DirectoryService, AppError> {
    let id = path_id(id)?;
    state
        .store()
        .directory_service(id)
        .await?
        .ok_or(AppError::NotFound)
}

/// An offer's next sessions not cancelled (none for another listing).
async fn next_sessions(
    state: &AppState,
    s: &DirectoryService,
    weeks: i64,
) -> Result<Vec<together_store::offers::Session>, AppError> {
    if !s.is_offer {
        return Ok(Vec::new());
    }
    let today = state.now().date();
    Ok(state
        .store()
        .offer_sessions(
            s.pcn_id,
            &SessionFilter {
                offer: Some(s.id),
                from: Some(today),
                to: Some(today + time::Duration::weeks(weeks)),
                include_cancelled: true,
                ..SessionFilter::default()
            },
        )
        .await?)
}

/// How to get in touch, in one line.
fn contact_line(s: &DirectoryService) -> String {
    let mut parts = Vec::new();
    if let Some(p) = &s.phone {
        parts.push(format!("Phone {p}"));
    }
    if let Some(e) = &s.email {
        parts.push(e.clone());
    }
    if let Some(u) = &s.url {
        parts.push(u.clone());
    }
    parts.join(" · ")
}

#[derive(Template)]
#[template(path = "poster.html")]
struct PosterPage {
    layout: Layout,
    back: String,
    s: DirectoryService,
    when: Vec<String>,
    next: Vec<String>,
    place: String,
    contact: String,
    qr: String,
    link: String,
}

/// The QR code of an address, as inline SVG that names itself to a screen reader.
fn qr_svg(url: &str) -> Result<String, AppError> {
    let code = qrcode::QrCode::new(url.as_bytes())
        .map_err(|e| AppError::BadRequest(format!("cannot make a QR code: {e}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    let body = svg.find("<svg").map_or(svg.as_str(), |i| &svg[i..]);
    Ok(body.replacen(
        "<svg",
        &format!("<svg role=\"img\" aria-label=\"QR code for {url}\""),
        1,
    ))
}

async fn poster(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let s = published(&state, &id).await?;
    let link = format!(
        "{}/directory/{}",
        state.config().public_url.trim_end_matches('/'),
        s.id
    );
    let next = next_sessions(&state, &s, 8)
        .await?
        .into_iter()
        .filter(|x| !x.cancelled)
        .take(3)
        .map(|x| format!("{}, {}", date(&x.on), x.times()))
        .collect();
    let page = PosterPage {
        layout: Layout::new(&state, &ctx, &s.name),
        back: crate::paths::directory::record(s.id),
        when: s
            .schedules
            .iter()
            .map(|sc| sc.recurrence.describe())
            .collect(),
        next,
        place: full_place(&s),
        contact: contact_line(&s),
        qr: qr_svg(&link)?,
        link,
        s,
    };
    Ok(Html(page.render()?).into_response())
}

/// The service as a calendar file: an offer's sessions one by one for the next six months (a
/// moved one at its new time, a cancelled one marked so), another listing's schedules as
/// repeating events.
async fn calendar(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    use together_core::calendar::{calendar, Event};
    let s = published(&state, &id).await?;
    let place =
        |venue: Option<&str>| -> String { venue.map_or_else(|| full_place(&s), str::to_owned) };
    let about = format!("{}\n\n{}", s.description, contact_line(&s));
    let events: Vec<Event> = if s.is_offer {
        next_sessions(&state, &s, 26)
            .await?
            .iter()
            .map(|x| Event {
                uid: format!("{}@together", x.id),
                summary: s.name.clone(),
                description: if x.note.is_empty() {
                    about.clone()
                } else {
                    format!("{}\n\n{about}", x.note)
                },
                location: place(x.venue_name.as_deref()),
                on: x.on,
                starts: x.opens_at,
                ends: x.closes_at,
                repeats: None,
                cancelled: x.cancelled,
            })
            .collect()
    } else {
        s.schedules
            .iter()
            .filter_map(|sc| {
                let r = &sc.recurrence;
                Some(Event {
                    uid: format!("{}@together", sc.id),
                    summary: s.name.clone(),
                    description: about.clone(),
                    location: place(None),
                    on: r.first()?,
                    starts: r.opens_at,
                    ends: r.closes_at,
                    repeats: Some(r.clone()),
                    cancelled: false,
                })
            })
            .collect()
    };
    let now = state.now();
    let stamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        now.month() as u8,
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let file = format!(
        "attachment; filename=\"{}.ics\"",
        s.name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
    );
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_owned(),
            ),
            (axum::http::header::CONTENT_DISPOSITION, file),
        ],
        calendar(&s.name, &events, &stamp),
    )
        .into_response())
}

/// One entry of the booklet.
struct BookletEntry {
    name: String,
    description: String,
    details: String,
}

#[derive(Template)]
#[template(path = "booklet.html")]
struct BookletPage {
    layout: Layout,
    intro: String,
    sections: Vec<(String, Vec<BookletEntry>)>,
}

/// The whole directory by category, to print for people who are not online.
async fn booklet(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let store = state.store();
    let mut all = Vec::new();
    let mut page = 1;
    loop {
        let (total, rows) = store
            .directory_services(&DirectoryFilter::default(), page, 200)
            .await?;
        all.extend(rows);
        if all.len() as i64 >= total || page > 500 {
            break;
        }
        page += 1;
    }
    let entry = |s: &DirectoryService| {
        let mut details: Vec<String> = s
            .schedules
            .iter()
            .map(|sc| sc.recurrence.describe())
            .collect();
        if s.venue.is_some() {
            details.push(full_place(s));
        }
        details.push(if s.fees.is_empty() {
            "Free".into()
        } else {
            s.fees.clone()
        });
        let contact = contact_line(s);
        if !contact.is_empty() {
            details.push(contact);
        }
        details.push(format!("Run by {}", s.organization.name));
        BookletEntry {
            name: s.name.clone(),
            description: s.description.clone(),
            details: details.join(". "),
        }
    };
    let mut sections: Vec<(String, Vec<BookletEntry>)> = Vec::new();
    for term in store.taxonomy_terms().await? {
        let here: Vec<BookletEntry> = all
            .iter()
            .filter(|s| s.terms.first().is_some_and(|t| t.id == term.id))
            .map(entry)
            .collect();
        if !here.is_empty() {
            sections.push((term.name, here));
        }
    }
    let other: Vec<BookletEntry> = all
        .iter()
        .filter(|s| s.terms.is_empty())
        .map(entry)
        .collect();
    if !other.is_empty() {
        sections.push(("Other groups and services".into(), other));
    }
    let today = state.now().date();
    let page = BookletPage {
        layout: Layout::new(&state, &ctx, "Local groups and services"),
        intro: format!(
            "{} groups and services, as the directory held them on {}. Your GP practice or a health champion can tell you more, or help you get there.",
            all.len(),
            date(&today)
        ),
        sections,
    };
    Ok(Html(page.render()?).into_response())
}
