//! The JSON API under /api/v1: bearer tokens from `together users token`, the same policy as the
//! pages, and an OpenAPI document generated from the handlers themselves.

mod answers;
mod champions;
mod claims;
mod connections;
mod directory;
pub(crate) mod oruk;
mod referrals;

use crate::context::{denied, Ctx};
use crate::error::path_id;
use crate::error::AppError;
use crate::person_access::{decide, search_scope};
use crate::policy_router::{Policy, Routes};
use crate::state::AppState;
pub(crate) use answers::{field_messages, ApiError, Created};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use together_core::audit::AuditAction;
use together_core::disclosure::Audience;
use together_core::people::PersonForm;
use together_core::{Action, Decision};
use together_store::Outcome;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

pub(crate) fn routes(r: Routes) -> Routes {
    oruk::routes(r)
        .get("/api/v1/openapi.json", Policy::Public, openapi)
        .get("/api/v1/me", Policy::Allow(Action::UseAccount), me)
        .get("/api/v1/work", Policy::Allow(Action::UseAccount), work)
        .get(
            "/api/v1/insight/profile",
            Policy::Allow(Action::ViewInsight),
            insight_profile,
        )
        .get(
            "/api/v1/people",
            Policy::Allow(Action::FindPeople),
            find_people,
        )
        .post(
            "/api/v1/people",
            Policy::Allow(Action::CreatePerson),
            create_person,
        )
        .get(
            "/api/v1/people/{id}",
            Policy::Allow(Action::FindPeople),
            get_person,
        )
        .get(
            "/api/v1/insight/frequent",
            Policy::Allow(Action::ViewInsight),
            insight_frequent,
        )
        .get(
            "/api/v1/insight/hiu",
            Policy::Allow(Action::ViewInsight),
            insight_hiu,
        )
        .get(
            "/api/v1/champions",
            Policy::Allow(Action::ManageChampions),
            champions::list,
        )
        .get(
            "/api/v1/champions/me",
            Policy::Allow(Action::OwnChampionRecord),
            champions::me,
        )
        .get(
            "/api/v1/champions/me/claims",
            Policy::Allow(Action::ClaimOwnHoursAndExpenses),
            claims::my_claims,
        )
        .post(
            "/api/v1/champions/me/hours",
            Policy::Allow(Action::ClaimOwnHoursAndExpenses),
            claims::log_my_hours,
        )
        .get(
            "/api/v1/champions/claims",
            Policy::Allow(Action::ManageChampions),
            claims::all_claims,
        )
        .get(
            "/api/v1/champions/compliance",
            Policy::Allow(Action::ManageChampions),
            claims::compliance,
        )
        .get(
            "/api/v1/offers",
            Policy::Allow(Action::ViewOffers),
            claims::offers,
        )
        .get(
            "/api/v1/listings",
            Policy::Allow(Action::ManageDirectory),
            directory::listings,
        )
        .get(
            "/api/v1/equipment",
            Policy::Allow(Action::ManageEquipment),
            directory::equipment,
        )
        .get(
            "/api/v1/connections",
            Policy::Allow(Action::ViewConnections),
            connections::list,
        )
        .get(
            "/api/v1/connections/{id}",
            Policy::Allow(Action::ViewConnections),
            connections::one,
        )
        .get(
            "/api/v1/people/{id}/referrals",
            Policy::Allow(Action::FindPeople),
            referrals::of_person,
        )
        .get(
            "/api/v1/champions/{id}",
            Policy::Allow(Action::ManageChampions),
            champions::one,
        )
        .get("/api/v1/impact", Policy::Allow(Action::ViewImpact), impact)
        .get(
            "/api/v1/impact.csv",
            Policy::Allow(Action::ViewImpact),
            impact_csv,
        )
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// The answers every operation can give, in one place so none is left out: 401 without a valid
/// bearer token, 403 when the token's role may not do this, and 400 when what was sent (a
/// parameter, a body) cannot be used.
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ApiError")))
                        .build(),
                )
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                let takes_input = op.request_body.is_some()
                    || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let responses = &mut op.responses.responses;
                for (code, what, applies) in [
                    ("401", "No valid bearer token was sent", true),
                    ("403", "The token's role may not do this", true),
                    (
                        "400",
                        "What was sent cannot be used: the error says why",
                        takes_input,
                    ),
                ] {
                    if applies && !responses.contains_key(code) {
                        responses.insert(code.to_owned(), error(what).into());
                    }
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Together API", version = "1", description = "Collaborative Practice for GP practices and their PCN. Authenticate with a bearer token from `together users token`."),
    paths(me, work, find_people, create_person, get_person, insight_profile, insight_frequent, insight_hiu, champions::list, champions::one, champions::me, claims::my_claims, claims::log_my_hours, claims::all_claims, claims::compliance, claims::offers, directory::listings, directory::equipment, connections::list, connections::one, referrals::of_person, impact, impact_csv),
    components(schemas(Me, PersonSummaryOut, PersonOut, NewPersonIn, Created, ApiError, champions::ChampionOut, champions::JourneyStepOut, champions::ChampionWithSteps, claims::HoursOut, claims::ExpenseOut, claims::ClaimsOut, claims::HoursIn, claims::ClearanceOut, claims::DueOut, claims::ComplianceOut, claims::OfferOut, directory::ListingOut, directory::ItemOut, connections::ConnectionOut, connections::ConnectionDetailOut, connections::StepOut, connections::FollowUpOut, connections::WellbeingOut, referrals::ReferralOut)),
    modifiers(&BearerAuth, &CommonResponses),
    security(("bearer" = []))
)]
pub struct ApiDoc;

/// The OpenAPI document, for clients and for the tests that check every API route is in it.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi_document())
}

#[derive(Serialize, ToSchema)]
struct Me {
    id: String,
    name: String,
    email: String,
    role: String,
    pcn_id: String,
    practice_id: Option<String>,
}

/// Who the token belongs to.
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = Me), (status = 401, body = ApiError)))]
async fn me(ctx: Ctx) -> Result<Json<Me>, AppError> {
    let a = ctx.auth()?;
    Ok(Json(Me {
        id: a.user.id.to_string(),
        name: a.user.display_name.clone(),
        email: a.user.email.to_string(),
        role: a.user.role.as_str().into(),
        pcn_id: a.user.pcn_id.to_string(),
        practice_id: a.user.practice_id.map(|p| p.to_string()),
    }))
}

/// One kind of work waiting for the token's user.
#[derive(Serialize, ToSchema)]
struct WorkOut {
    /// What kind: `dbs_due`, `follow_ups_overdue`, `rota_gaps`, `places_this_week`, …
    need: &'static str,
    count: u64,
    /// The same words as on the home page.
    text: String,
    /// Where it is done, on the web.
    href: &'static str,
    /// Overdue or unsafe: shown first.
    urgent: bool,
}

/// What needs the token's user now, most urgent first: the counts their home page shows.
#[utoipa::path(get, path = "/api/v1/work", responses((status = 200, body = [WorkOut]), (status = 401, body = ApiError)))]
async fn work(State(state): State<AppState>, ctx: Ctx) -> Result<Json<Vec<WorkOut>>, AppError> {
    let audit = ctx.audit(
        &state,
        AuditAction::ViewWork,
        "work",
        None,
        Outcome::Allowed,
    );
    let items =
        together_app::work::queue(state.store(), ctx.actor()?, state.now().date(), &audit).await?;
    Ok(Json(
        items
            .into_iter()
            .map(|i| WorkOut {
                need: i.need.as_str(),
                count: i.count,
                text: i.need.words(i.count),
                href: crate::paths::work::place(i.need),
                urgent: i.need.is_urgent(),
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
struct PersonSummaryOut {
    id: String,
    given_name: String,
    family_name: String,
    /// YYYY-MM-DD
    date_of_birth: String,
    practice_id: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct FindParams {
    /// At least two letters of a first or last name.
    #[param(min_length = 2)]
    q: String,
}

fn iso(d: &time::Date) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    d.format(f).unwrap_or_default()
}

/// Finds people by name (clinicians: their own practice only). Audited.
#[utoipa::path(get, path = "/api/v1/people", params(FindParams), responses((status = 200, body = [PersonSummaryOut]), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn find_people(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<FindParams>,
) -> Result<Json<Vec<PersonSummaryOut>>, AppError> {
    if p.q.trim().chars().count() < 2 {
        return Err(AppError::BadRequest(
            "q must have at least two letters".into(),
        ));
    }
    let actor = ctx.actor()?;
    let audit = ctx.audit(
        &state,
        AuditAction::FindPeople,
        "people",
        None,
        Outcome::Allowed,
    );
    let found = state
        .store()
        .find_people(actor.pcn_id, search_scope(&ctx)?, p.q.trim(), &audit)
        .await?;
    Ok(Json(
        found
            .into_iter()
            .map(|p| PersonSummaryOut {
                id: p.id.to_string(),
                given_name: p.given_name,
                family_name: p.family_name,
                date_of_birth: iso(&p.date_of_birth),
                practice_id: p.practice_id.to_string(),
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewPersonIn {
    #[schema(min_length = 1, max_length = 100)]
    given_name: String,
    #[schema(min_length = 1, max_length = 100)]
    family_name: String,
    /// YYYY-MM-DD (DD/MM/YYYY is taken too); not in the future
    #[schema(format = Date)]
    date_of_birth: String,
    /// The id of one of the PCN's practices
    #[schema(
        pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    )]
    practice_id: String,
    #[schema(inline)]
    contact_preference: ContactPreferenceIn,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    /// Optional; never stored, only turned into the shared pseudonym.
    #[serde(default)]
    nhs_number: String,
}

/// How the person likes to be contacted.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum ContactPreferenceIn {
    Phone,
    Text,
    Email,
    Letter,
    InPerson,
}

impl ContactPreferenceIn {
    fn as_str(&self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::Text => "text",
            Self::Email => "email",
            Self::Letter => "letter",
            Self::InPerson => "in_person",
        }
    }
}

#[derive(Serialize, ToSchema)]
struct PersonOut {
    id: String,
    given_name: String,
    family_name: String,
    date_of_birth: String,
    practice_id: String,
    contact_preference: String,
    phone: Option<String>,
    email: Option<String>,
    linked_to_appointment_data: bool,
}

/// Adds a person. Link workers who add someone have them on their caseload.
#[utoipa::path(post, path = "/api/v1/people", request_body = NewPersonIn, responses((status = 201, body = Created), (status = 400, body = ApiError)))]
async fn create_person(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(p): Json<NewPersonIn>,
) -> Result<(StatusCode, Json<Created>), AppError> {
    let form = PersonForm {
        given_name: p.given_name,
        family_name: p.family_name,
        date_of_birth: p.date_of_birth,
        practice_id: p.practice_id,
        contact_preference: p.contact_preference.as_str().to_owned(),
        phone: p.phone,
        email: p.email,
        nhs_number: p.nhs_number,
        what_matters: String::new(),
    };
    let audit = ctx.audit(
        &state,
        AuditAction::CreatePerson,
        "person",
        None,
        Outcome::Allowed,
    );
    let key = &state.0.pseudonym_key;
    let id = together_app::people::add_person(
        state.store(),
        ctx.actor()?,
        key,
        &form,
        state.now(),
        &audit,
    )
    .await?
    .map_err(|errors| AppError::BadRequest(field_messages(&errors)))?;
    Ok((StatusCode::CREATED, Json(Created { id: id.to_string() })))
}

/// One person's record. Audited. Outside a link worker's caseload, the web page (which asks
/// for a reason) must be used.
#[utoipa::path(get, path = "/api/v1/people/{id}", params(("id" = String, Path)), responses((status = 200, body = PersonOut), (status = 404, body = ApiError)))]
async fn get_person(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<PersonOut>, AppError> {
    let id = path_id(&id)?;
    match decide(&state, &ctx, id, Action::ViewPerson).await? {
        Some(Decision::Allow) => {}
        Some(_) => {
            denied(
                &state,
                &ctx,
                together_core::audit::AuditAction::ViewPerson,
                "person",
                Some(id.to_string()),
            )
            .await;
            return Err(AppError::NotFound);
        }
        None => return Err(AppError::NotFound),
    }
    let p = crate::person_access::read(&state, &ctx, id).await?;
    Ok(Json(PersonOut {
        id: p.id.to_string(),
        given_name: p.given_name,
        family_name: p.family_name,
        date_of_birth: iso(&p.date_of_birth),
        practice_id: p.practice_id.to_string(),
        contact_preference: p.contact_preference.as_str().into(),
        phone: p.phone,
        email: p.email,
        linked_to_appointment_data: p.pseudonym.is_some(),
    }))
}

/// The attendance profile, every count disclosed for the caller (exact for analysts and a
/// practice's own clinicians; suppressed and rounded for everyone else). Audited.
#[utoipa::path(get, path = "/api/v1/insight/profile", params(together_app::insight::Filters), responses((status = 200, description = "the profile: counts as {kind, value}, shares as fractions", body = Object), (status = 404, body = ApiError)))]
async fn insight_profile(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(f): Query<together_app::insight::Filters>,
) -> Result<Json<together_insight::profile::ShownProfile>, AppError> {
    let s = select_insight(&state, &ctx, &f).await?;
    match s.profile() {
        Some(p) => Ok(Json(p.shown(s.audience))),
        None => Err(AppError::BadRequest(s.notes.join(" "))),
    }
}

/// Did it help? The impact report: the change in GP appointments and A&E attendances a person
/// a year against a matched comparison, beside the naive before-and-after, each with its 95%
/// interval; everyone connected counted; the money, wellbeing and hours gifted; and what could
/// not be worked out, in words. Counts disclosed for the caller (exact for analysts). Audited.
#[utoipa::path(get, path = "/api/v1/impact", responses((status = 200, description = "the impact report: counts as {kind, value}, figures a person a year, money in pence", body = Object), (status = 403, body = ApiError)))]
async fn impact(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<together_insight::impact::ShownReport>, AppError> {
    let (r, audience) = impact_report(&state, &ctx).await?;
    Ok(Json(r.shown(audience)))
}

/// The impact report for the token's user, the read audited as on the page.
async fn impact_report(
    state: &AppState,
    ctx: &Ctx,
) -> Result<(together_insight::impact::ImpactReport, Audience), AppError> {
    let audit = ctx.audit(
        state,
        AuditAction::ViewImpact,
        "impact",
        None,
        Outcome::Allowed,
    );
    let (store, data_dir) = (state.store(), &state.0.data_dir);
    Ok(together_app::impact::report(store, data_dir, ctx.actor()?, &audit).await?)
}

/// The impact report's figures as CSV: section, group, measure, value, low, high.
#[utoipa::path(get, path = "/api/v1/impact.csv", responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 403, body = ApiError)))]
async fn impact_csv(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<axum::response::Response, AppError> {
    let (r, _) = impact_report(&state, &ctx).await?;
    let csv = r
        .shown(Audience::Suppressed)
        .csv()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(crate::subject_access::download(
        csv,
        "text/csv; charset=utf-8",
        "impact-report.csv",
    ))
}

/// Insight's selection for the token's user, the view audited as on the page.
async fn select_insight(
    state: &AppState,
    ctx: &Ctx,
    f: &together_app::insight::Filters,
) -> Result<together_app::insight::Selection, AppError> {
    let audit = ctx.audit(
        state,
        AuditAction::ViewInsight,
        "insight",
        None,
        together_store::Outcome::Allowed,
    );
    let (actor, today) = (ctx.actor()?, state.now().date());
    Ok(together_app::insight::select(&state.insight(), actor, f, today, audit).await?)
}

/// The selection's frequent attenders and high intensity users, or why there are none.
async fn extras(
    state: &AppState,
    ctx: &Ctx,
    f: &together_app::insight::Filters,
) -> Result<
    (
        together_insight::frequent::Frequent,
        together_insight::hiu::Hiu,
        Audience,
    ),
    AppError,
> {
    let s = select_insight(state, ctx, f).await?;
    match s.frequent_and_hiu() {
        Some((fa, h)) => Ok((fa.clone(), h.clone(), s.audience)),
        None => Err(AppError::BadRequest(s.notes.join(" "))),
    }
}

/// Frequent attenders: the top 10% of attenders within each age band and sex, disclosed for
/// the token's user as on the page.
#[utoipa::path(get, path = "/api/v1/insight/frequent", params(together_app::insight::Filters), responses((status = 200, description = "how many, their share of appointments, persistence, conditions compared", body = Object), (status = 400, body = ApiError)))]
async fn insight_frequent(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(f): Query<together_app::insight::Filters>,
) -> Result<Json<together_insight::frequent::ShownFrequent>, AppError> {
    let (fa, _, audience) = extras(&state, &ctx, &f).await?;
    Ok(Json(fa.shown(audience)))
}

/// High intensity use of A&E (5 or more attendances in the period), disclosed for the token's
/// user as on the page.
#[utoipa::path(get, path = "/api/v1/insight/hiu", params(together_app::insight::Filters), responses((status = 200, description = "how many, their share of attendances, persistence, ages, GP use", body = Object), (status = 400, body = ApiError)))]
async fn insight_hiu(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(f): Query<together_app::insight::Filters>,
) -> Result<Json<together_insight::hiu::ShownHiu>, AppError> {
    let (_, h, audience) = extras(&state, &ctx, &f).await?;
    Ok(Json(h.shown(audience)))
}
