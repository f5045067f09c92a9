//! Open Referral UK 3.0 at /api/oruk: the directory for other directories and anyone who asks,
//! without signing in. Ids are UUIDs: those of our own records, and for the nested records we
//! keep no row of our own (a service at a location, an address, a contact, a phone) a UUID v5
//! derived from what they belong to, so the same record has the same id every time. Empty
//! optional fields are left out. Every answer carries `Access-Control-Allow-Origin: *`.

use crate::error::path_id;
use crate::error::AppError;
use crate::policy_router::{Policy, Routes};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use together_app::oruk::{
    organization_out, sal_id, sal_with_service, service_full, service_summary, taxonomy_out,
    term_out,
};
use together_store::directory::DirectoryFilter;

pub(crate) fn routes(r: Routes) -> Routes {
    r.get("/api/oruk/", Policy::Public, api_details)
        .get("/api/oruk", Policy::Public, api_details)
        .get("/api/oruk/openapi.json", Policy::Public, openapi)
        .get("/api/oruk/services", Policy::Public, services)
        .get("/api/oruk/services/{id}", Policy::Public, service)
        .get(
            "/api/oruk/service_at_locations",
            Policy::Public,
            service_at_locations,
        )
        .get(
            "/api/oruk/service_at_locations/{id}",
            Policy::Public,
            service_at_location_one,
        )
        .get("/api/oruk/organizations", Policy::Public, organizations)
        .get("/api/oruk/organizations/{id}", Policy::Public, organization)
        .get("/api/oruk/taxonomies", Policy::Public, taxonomies)
        .get("/api/oruk/taxonomies/{id}", Policy::Public, taxonomy)
        .get("/api/oruk/taxonomy_terms", Policy::Public, taxonomy_terms)
        .get(
            "/api/oruk/taxonomy_terms/{id}",
            Policy::Public,
            taxonomy_term,
        )
}

/// The largest page a client may ask for.
const MAX_PER_PAGE: i64 = 200;
const DEFAULT_PER_PAGE: i64 = 50;

fn open(body: Value) -> Response {
    ([(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")], Json(body)).into_response()
}

/// The ORUK 3.0 OpenAPI file this API follows (a copy of the standard's, BSD licence, in
/// `standards/oruk-3.0/`).
const OPENAPI: &str = include_str!("../../../../standards/oruk-3.0/openapi.json");

/// The largest page number a client may ask for (past the last page the contents are empty).
const MAX_PAGE: i64 = 1_000_000;

/// The standard's OpenAPI with what this API adds to it written in, so that a client (or a
/// fuzzer) can rely on every answer it gets: 400 with `{error}` for a parameter that cannot be
/// used, 404 for an unknown id, the bounds of `page` and `per_page`, and `modified_after` as an
/// RFC 3339 date-time (the standard's `datetime` is no OpenAPI format).
fn served_openapi() -> &'static str {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let Ok(mut doc) = serde_json::from_str::<Value>(OPENAPI) else {
            return OPENAPI.to_owned();
        };
        let error = |description: &str| {
            json!({
                "description": description,
                "content": {"application/json": {"schema": {
                    "type": "object", "required": ["error"],
                    "properties": {"error": {"type": "string"}}
                }}}
            })
        };
        if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
            for (path, item) in paths.iter_mut() {
                let Some(item) = item.as_object_mut() else {
                    continue;
                };
                for op in item.values_mut().filter_map(Value::as_object_mut) {
                    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut)
                    else {
                        continue;
                    };
                    responses
                        .entry("400")
                        .or_insert_with(|| error("A parameter cannot be used: the error says why"));
                    if path.contains('{') {
                        responses
                            .entry("404")
                            .or_insert_with(|| error("Nothing has that id"));
                    }
                }
            }
        }
        let bounds = |name: &str| match name {
            "page" => Some((1, MAX_PAGE)),
            "per_page" => Some((1, MAX_PER_PAGE)),
            _ => None,
        };
        let mut fix = |param: &mut Value| {
            let name = param
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let Some(schema) = param.get_mut("schema").and_then(Value::as_object_mut) else {
                return;
            };
            if let Some((low, high)) = bounds(&name) {
                schema.insert("minimum".into(), low.into());
                schema.insert("maximum".into(), high.into());
            }
            if schema.get("format").and_then(Value::as_str) == Some("datetime") {
                schema.insert("format".into(), "date-time".into());
            }
        };
        if let Some(params) = doc
            .pointer_mut("/components/parameters")
            .and_then(Value::as_object_mut)
        {
            params.values_mut().for_each(&mut fix);
        }
        if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
            for item in paths.values_mut().filter_map(Value::as_object_mut) {
                for op in item.values_mut() {
                    let list = if op.is_array() {
                        op.as_array_mut()
                    } else {
                        op.get_mut("parameters").and_then(Value::as_array_mut)
                    };
                    list.into_iter().flatten().for_each(&mut fix);
                }
            }
        }
        serde_json::to_string(&doc).unwrap_or_else(|_| OPENAPI.to_owned())
    })
}

async fn openapi() -> Response {
    (
        [
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (header::CONTENT_TYPE, "application/json"),
        ],
        served_openapi(),
    )
        .into_response()
}

/// A boolean parameter of the standard: `true` or `false`; anything else is said to be wrong
/// rather than quietly taken as false.
fn flag(name: &str, value: Option<&str>) -> Result<bool, AppError> {
    match value {
        None => Ok(false),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(_) => Err(AppError::BadRequest(format!(
            "{name} must be true or false"
        ))),
    }
}

/// The standard's boolean parameters, checked wherever they are sent (Together gives the same
/// answer whichever is set, so they are only read to refuse a wrong one).
#[derive(Deserialize, Default)]
#[serde(default)]
struct Flags {
    full: Option<String>,
    minimal: Option<String>,
    full_service: Option<String>,
    top_only: Option<String>,
}

impl Flags {
    fn check(&self) -> Result<(), AppError> {
        flag("full", self.full.as_deref())?;
        flag("minimal", self.minimal.as_deref())?;
        flag("full_service", self.full_service.as_deref())?;
        flag("top_only", self.top_only.as_deref())?;
        Ok(())
    }
}

async fn api_details(State(state): State<AppState>) -> Response {
    let base = state.config().public_url.trim_end_matches('/').to_owned();
    open(json!({
        "version": "3.0",
        "profile": "https://openreferraluk.org/specifications/3.0",
        "openapi_url": format!("{base}/api/oruk/openapi.json"),
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    search: Option<String>,
    taxonomy_term_id: Option<String>,
    taxonomy_id: Option<String>,
    organization_id: Option<String>,
    modified_after: Option<String>,
    postcode: Option<String>,
    proximity: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
    #[serde(flatten)]
    flags: Flags,
}

/// The page asked for and its size, checked.
fn paging(page: Option<&str>, per_page: Option<&str>) -> Result<(i64, i64), AppError> {
    // An empty value is not a number: said, like any other, rather than taken as the default.
    let page = match page {
        None => 1,
        Some(p) => p
            .parse::<i64>()
            .ok()
            .filter(|p| (1..=MAX_PAGE).contains(p))
            .ok_or_else(|| bad("page must be a whole number from 1 to 1000000"))?,
    };
    let per_page = match per_page {
        None => DEFAULT_PER_PAGE,
        Some(p) => p
            .parse::<i64>()
            .ok()
            .filter(|p| (1..=MAX_PER_PAGE).contains(p))
            .ok_or_else(|| bad("per_page must be a whole number from 1 to 200"))?,
    };
    Ok((page, per_page))
}

/// ORUK's paging envelope around one page of `total` items.
fn envelope(total: i64, page: i64, per_page: i64, contents: Vec<Value>) -> Value {
    let total_pages = ((total + per_page - 1) / per_page).max(1);
    json!({
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": contents.len(),
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": contents.is_empty(),
        "contents": contents,
    })
}

/// One page of a list held in full (the categories are few).
fn page_of(all: Vec<Value>, page: i64, per_page: i64) -> Value {
    let total = all.len() as i64;
    let start = usize::try_from((page - 1) * per_page).unwrap_or(usize::MAX);
    let contents = all
        .into_iter()
        .skip(start)
        .take(usize::try_from(per_page).unwrap_or(0))
        .collect();
    envelope(total, page, per_page, contents)
}

fn bad(message: &str) -> AppError {
    AppError::BadRequest(message.into())
}

/// How far a `postcode` alone reaches, when no `proximity` is given (we keep no service areas).
const DEFAULT_PROXIMITY_M: f64 = 8_000.0;

/// The filters of a list of services or services at locations, checked.
async fn list_filter(state: &AppState, q: ListQuery) -> Result<DirectoryFilter, AppError> {
    let modified_after = match q.modified_after.as_deref() {
        None => None,
        Some(t) => Some(
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                .map_err(|_| {
                    bad("modified_after must be a date and time like 2026-11-24T09:00:00Z")
                })?,
        ),
    };
    let near = match (
        q.postcode
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty()),
        q.proximity
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty()),
    ) {
        (None, None) => None,
        (None, Some(_)) => return Err(bad("proximity needs a postcode to measure from")),
        (Some(typed), proximity) => {
            let pc = together_core::partners::postcode(typed)
                .ok_or_else(|| bad("postcode must be a full UK postcode, like HV1 1AA"))?;
            let from = state.store().postcode_point(&pc).await?.ok_or_else(|| {
                AppError::BadRequest(format!("the postcode {pc} is not known here"))
            })?;
            let within = match proximity {
                Some(p) => together_core::geo::parse_proximity(p).map_err(AppError::BadRequest)?,
                None => DEFAULT_PROXIMITY_M,
            };
            Some((from, within))
        }
    };
    Ok(DirectoryFilter {
        search: q.search,
        taxonomy_term_id: q.taxonomy_term_id.filter(|s| !s.is_empty()),
        taxonomy_id: q.taxonomy_id.filter(|s| !s.is_empty()),
        organization_id: q.organization_id.filter(|s| !s.is_empty()),
        modified_after,
        near,
        ..DirectoryFilter::default()
    })
}

async fn services(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    q.flags.check()?;
    let (page, per_page) = paging(q.page.as_deref(), q.per_page.as_deref())?;
    let filter = list_filter(&state, q).await?;
    let (total, rows) = state
        .store()
        .directory_services(&filter, page, per_page)
        .await?;
    let contents = rows.iter().map(service_summary).collect();
    Ok(open(envelope(total, page, per_page, contents)))
}

/// Services where they happen, each with its location and the service's own fields.
async fn service_at_locations(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    q.flags.check()?;
    let (page, per_page) = paging(q.page.as_deref(), q.per_page.as_deref())?;
    let filter = DirectoryFilter {
        has_location: true,
        ..list_filter(&state, q).await?
    };
    let (total, rows) = state
        .store()
        .directory_services(&filter, page, per_page)
        .await?;
    let contents = rows.iter().filter_map(sal_with_service).collect();
    Ok(open(envelope(total, page, per_page, contents)))
}

async fn service_at_location_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let store = state.store();
    let found = store
        .service_locations()
        .await?
        .into_iter()
        .find(|(service, venue)| sal_id(*service, venue) == id);
    let Some((service, _)) = found else {
        return Err(AppError::NotFound);
    };
    let s = store
        .directory_service(service)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(open(sal_with_service(&s).ok_or(AppError::NotFound)?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OrganizationQuery {
    search: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
    #[serde(flatten)]
    flags: Flags,
}

async fn organizations(
    State(state): State<AppState>,
    Query(q): Query<OrganizationQuery>,
) -> Result<Response, AppError> {
    q.flags.check()?;
    let (page, per_page) = paging(q.page.as_deref(), q.per_page.as_deref())?;
    let (total, rows) = state
        .store()
        .directory_organizations(q.search.as_deref(), page, per_page)
        .await?;
    let contents = rows.iter().map(organization_out).collect();
    Ok(open(envelope(total, page, per_page, contents)))
}

async fn organization(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(flags): Query<Flags>,
) -> Result<Response, AppError> {
    flags.check()?;
    let o = state
        .store()
        .directory_organization(&id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(open(organization_out(&o)))
}

async fn service(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let s = state
        .store()
        .directory_service(id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(open(service_full(&s)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TaxonomyQuery {
    search: Option<String>,
    taxonomy_id: Option<String>,
    parent_id: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
    #[serde(flatten)]
    flags: Flags,
}

fn matches(search: &Option<String>, name: &str, description: &str) -> bool {
    match search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => true,
        Some(s) => {
            let s = s.to_lowercase();
            name.to_lowercase().contains(&s) || description.to_lowercase().contains(&s)
        }
    }
}

async fn taxonomies(
    State(state): State<AppState>,
    Query(q): Query<TaxonomyQuery>,
) -> Result<Response, AppError> {
    q.flags.check()?;
    let (page, per_page) = paging(q.page.as_deref(), q.per_page.as_deref())?;
    let all = state
        .store()
        .taxonomies()
        .await?
        .iter()
        .filter(|t| matches(&q.search, &t.name, &t.description))
        .map(taxonomy_out)
        .collect();
    Ok(open(page_of(all, page, per_page)))
}

async fn taxonomy(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let store = state.store();
    let t = store
        .taxonomies()
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or(AppError::NotFound)?;
    let terms: Vec<Value> = store
        .taxonomy_terms()
        .await?
        .iter()
        .filter(|x| x.taxonomy_id == t.id)
        .map(term_out)
        .collect();
    let mut out = taxonomy_out(&t);
    if let (Value::Object(map), false) = (&mut out, terms.is_empty()) {
        map.insert("taxonomy_terms".into(), Value::Array(terms));
    }
    Ok(open(out))
}

async fn taxonomy_terms(
    State(state): State<AppState>,
    Query(q): Query<TaxonomyQuery>,
) -> Result<Response, AppError> {
    q.flags.check()?;
    let (page, per_page) = paging(q.page.as_deref(), q.per_page.as_deref())?;
    let top_only = flag("top_only", q.flags.top_only.as_deref())?;
    let all = state
        .store()
        .taxonomy_terms()
        .await?
        .iter()
        .filter(|t| matches(&q.search, &t.name, &t.description))
        .filter(|t| {
            q.taxonomy_id
                .as_deref()
                .is_none_or(|x| x.is_empty() || t.taxonomy_id == x)
        })
        .filter(|t| {
            q.parent_id
                .as_deref()
                .is_none_or(|x| x.is_empty() || t.parent_id.as_deref() == Some(x))
        })
        .filter(|t| !top_only || t.parent_id.is_none())
        .map(term_out)
        .collect();
    Ok(open(page_of(all, page, per_page)))
}

async fn taxonomy_term(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let t = state
        .store()
        .taxonomy_terms()
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or(AppError::NotFound)?;
    Ok(open(term_out(&t)))
}
