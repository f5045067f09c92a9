//! "Did it help?": the impact report on the web — the honest estimate against a matched
//! comparison beside the naive before-and-after, the money, how people are and the hours
//! champions gave — as a page, a self-contained HTML file to share (and print to PDF) and CSV;
//! and the costs page where the PCN lead enters what the programme cost and the unit costs.

mod view;
use crate::context::Ctx;
use crate::error::path_id;
use crate::error::AppError;
use crate::layout::{Layout, Problem};
use crate::policy_router::{Policy, Routes};
use crate::state::AppState;
use crate::subject_access::download;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use together_core::audit::AuditAction;
use together_core::disclosure::Audience;
use together_core::hours_expenses::money;
use together_core::impact::{CostCategory, ProgrammeCostForm, UnitCostsForm, UNIT_COSTS_SETTING};
use together_core::{Action, ProgrammeCostId};
use together_insight::impact::{ImpactReport, SettingsForm, SETTINGS_KEY};
use together_store::Outcome;
pub(crate) use view::{view, View};

pub(crate) fn routes(r: Routes) -> Routes {
    let view = Policy::Allow(Action::ViewImpact);
    let costs = Policy::Allow(Action::ManageProgrammeCosts);
    r.get("/impact", view, page)
        .get("/impact/report.html", view, report_html)
        .get("/impact/report.csv", view, report_csv)
        .get("/impact/costs", costs, costs_page)
        .get("/impact/past-connections", costs, past_page)
        .post("/impact/past-connections", costs, past_upload)
        .post("/impact/costs", costs, add_cost)
        .post("/impact/costs/{id}/remove", costs, remove_cost)
        .post("/impact/unit-costs", costs, set_unit_costs)
        .post("/impact/settings", costs, set_settings)
}

/// The PCN's impact report for the person asking, the read audited: the page's and the
/// downloads' door.
async fn report(state: &AppState, ctx: &Ctx) -> Result<(ImpactReport, Audience), AppError> {
    let audit = ctx.audit(
        state,
        AuditAction::ViewImpact,
        "impact",
        None,
        Outcome::Allowed,
    );
    Ok(
        together_app::impact::report(state.store(), &state.0.data_dir, ctx.actor()?, &audit)
            .await?,
    )
}

#[derive(Template)]
#[template(path = "impact.html")]
struct ImpactPage {
    layout: Layout,
    v: View,
    can_manage: bool,
}

async fn page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let (r, audience) = report(&state, &ctx).await?;
    let actor = ctx.actor()?;
    let page = ImpactPage {
        can_manage: together_core::authorize(
            actor,
            Action::ManageProgrammeCosts,
            &together_core::Resource::Pcn(actor.pcn_id),
        )
        .is_allowed(),
        layout: Layout::new(&state, &ctx, "Did it help?"),
        v: view(&r.shown(audience), state.now().date()),
    };
    Ok(Html(page.render()?).into_response())
}

/// The report to share: disclosed for everyone, analysts included (exact figures stay in their
/// own view, the page and the API, marked not for sharing).
async fn report_html(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let (r, _) = report(&state, &ctx).await?;
    let pcn = ctx.actor()?.pcn_id;
    let name = state
        .store()
        .pcn(pcn)
        .await?
        .map(|p| p.name)
        .unwrap_or_default();
    let html =
        crate::report::impact_report(&r.shown(Audience::Suppressed), &name, state.now().date())?;
    Ok(download(
        html.into_bytes(),
        "text/html; charset=utf-8",
        "impact-report.html",
    ))
}

/// The report's figures as a CSV download: a download is for sharing, so it is disclosed for
/// everyone.
async fn report_csv(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let (r, _) = report(&state, &ctx).await?;
    let csv = r
        .shown(Audience::Suppressed)
        .csv()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download(
        csv,
        "text/csv; charset=utf-8",
        "impact-report.csv",
    ))
}

async fn past_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    use crate::pages::spreadsheet::{page, Imported, Spreadsheet};
    page(
        &state,
        &ctx,
        Spreadsheet::PastConnections,
        Imported::Nothing,
    )
}

/// The connections made before Together, uploaded by the PCN lead: the command line's use case.
async fn past_upload(
    State(state): State<AppState>,
    ctx: Ctx,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, AppError> {
    use crate::pages::spreadsheet::{self as sheet, Imported, Spreadsheet};
    use together_app::impact::import_past_connections;
    let show = |imported| sheet::page(&state, &ctx, Spreadsheet::PastConnections, imported);
    let bytes = match sheet::uploaded(&mut multipart).await? {
        Ok(b) => b,
        Err(refused) => return show(refused),
    };
    let audit = ctx.audit(
        &state,
        AuditAction::ImportPastConnections,
        "past_connection",
        None,
        Outcome::Allowed,
    );
    match import_past_connections(
        state.store(),
        ctx.actor()?.pcn_id,
        &state.0.pseudonym_key,
        &bytes[..],
        state.now(),
        &audit,
    )
    .await
    {
        Ok(done) => show(sheet::done(
            done.added,
            done.already_there,
            "connection",
            "connections",
        )),
        Err(refused) => show(Imported::refused(refused)?),
    }
}

#[derive(Template)]
#[template(path = "impact_costs.html")]
struct CostsPage {
    layout: Layout,
    problem: Problem,
    costs: Vec<(String, &'static str, String, String, String)>,
    total: String,
    categories: Vec<(&'static str, &'static str)>,
    form: ProgrammeCostForm,
    units: UnitCostsForm,
    settings: SettingsForm,
}

async fn render_costs(
    state: &AppState,
    ctx: &Ctx,
    problem: Problem,
    form: ProgrammeCostForm,
    units: Option<UnitCostsForm>,
    settings: Option<SettingsForm>,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let costs = state.store().programme_costs(pcn).await?;
    let current = together_insight::impact::unit_costs(state.store(), pcn).await?;
    let pounds =
        |p: Option<i64>| p.map_or_else(String::new, |p| format!("{}.{:02}", p / 100, p % 100));
    let units = units.unwrap_or(UnitCostsForm {
        gp_pounds: pounds(current.gp_appointment.pence),
        gp_source: current.gp_appointment.source,
        ae_pounds: pounds(current.ae_attendance.pence),
        ae_source: current.ae_attendance.source,
    });
    let settings = match settings {
        Some(s) => s,
        None => {
            SettingsForm::of(&together_insight::impact::Settings::load(state.store(), pcn).await?)
        }
    };
    let status = crate::layout::form_status(!problem.errors.is_empty());
    let page = CostsPage {
        settings,
        layout: Layout::new(
            state,
            ctx,
            "What the programme cost, and how it is evaluated",
        ),
        problem,
        total: money(costs.iter().map(|c| c.pence).sum()),
        costs: costs
            .iter()
            .map(|c| {
                (
                    c.id.to_string(),
                    c.category.label(),
                    c.description.clone(),
                    format!(
                        "{} to {}",
                        crate::layout::date(&c.from),
                        crate::layout::date(&c.to)
                    ),
                    money(c.pence),
                )
            })
            .collect(),
        categories: CostCategory::ALL
            .iter()
            .map(|c| (c.as_str(), c.label()))
            .collect(),
        form,
        units,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn costs_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    render_costs(
        &state,
        &ctx,
        Problem::none(),
        ProgrammeCostForm::default(),
        None,
        None,
    )
    .await
}

async fn add_cost(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<ProgrammeCostForm>,
) -> Result<Response, AppError> {
    let cost = match form.parse() {
        Ok(c) => c,
        Err(errors) => {
            return render_costs(&state, &ctx, Problem::of("cost", errors), form, None, None).await
        }
    };
    let pcn = ctx.actor()?.pcn_id;
    let audit = ctx.audit(
        &state,
        AuditAction::AddProgrammeCost,
        "programme_cost",
        None,
        Outcome::Allowed,
    );
    state.store().add_programme_cost(pcn, &cost, &audit).await?;
    Ok(Redirect::to("/impact/costs").into_response())
}

async fn remove_cost(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id: ProgrammeCostId = path_id(&id)?;
    let pcn = ctx.actor()?.pcn_id;
    let audit = ctx.audit(
        &state,
        AuditAction::RemoveProgrammeCost,
        "programme_cost",
        Some(id.to_string()),
        Outcome::Allowed,
    );
    state.store().remove_programme_cost(pcn, id, &audit).await?;
    Ok(Redirect::to("/impact/costs").into_response())
}

async fn set_unit_costs(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<UnitCostsForm>,
) -> Result<Response, AppError> {
    let costs = match form.parse() {
        Ok(c) => c,
        Err(errors) => {
            return render_costs(
                &state,
                &ctx,
                Problem::of("units", errors),
                ProgrammeCostForm::default(),
                Some(form),
                None,
            )
            .await
        }
    };
    save_setting(
        &state,
        &ctx,
        UNIT_COSTS_SETTING,
        together_core::audit::AuditAction::SetUnitCosts,
        &costs,
    )
    .await
}

async fn set_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<SettingsForm>,
) -> Result<Response, AppError> {
    let settings = match form.parse() {
        Ok(s) => s,
        Err(errors) => {
            return render_costs(
                &state,
                &ctx,
                Problem::of("settings", errors),
                ProgrammeCostForm::default(),
                None,
                Some(form),
            )
            .await
        }
    };
    save_setting(
        &state,
        &ctx,
        SETTINGS_KEY,
        together_core::audit::AuditAction::SetImpactSettings,
        &settings,
    )
    .await
}

/// Keeps a programme setting of the impact report as JSON, audited, and goes back to the page.
async fn save_setting(
    state: &AppState,
    ctx: &Ctx,
    key: &str,
    action: together_core::audit::AuditAction,
    value: &impl serde::Serialize,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let json = serde_json::to_string(value).map_err(|e| AppError::Internal(e.to_string()))?;
    let audit = ctx.audit(state, action, "setting", Some(key.into()), Outcome::Allowed);
    state.store().set_setting(pcn, key, &json, &audit).await?;
    Ok(Redirect::to("/impact/costs").into_response())
}
