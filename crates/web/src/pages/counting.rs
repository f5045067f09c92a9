//! The counting rule, a programme setting: which statuses count as a consultation, and which
//! slot types and clinician roles do not. The PCN administrator sets it; every Insight figure
//! prints it.

use crate::context::Ctx;
use crate::error::AppError;
use crate::layout::{form_status, Layout};
use crate::policy_router::{Policy, Routes};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use std::collections::HashMap;
use together_core::audit::AuditAction;
use together_core::Action;
use together_formats::STATUSES;
use together_insight::profile::{vocabulary, CountingRule, COUNTING_RULE_SETTING};
use together_insight::Tables;
use together_store::Outcome;

pub(crate) fn routes(r: Routes) -> Routes {
    let org = Policy::Allow(Action::ManageOrganisation);
    r.get("/admin/counting", org, page)
        .post("/admin/counting", org, save)
}

/// (field prefix, legend, (value, ticked))
type Excluded = (&'static str, &'static str, Vec<(String, bool)>);

#[derive(Template)]
#[template(path = "admin_counting.html")]
struct CountingPage {
    layout: Layout,
    current: String,
    error: String,
    /// Each status, whether it counts, and what it means where its name does not say.
    statuses: Vec<(&'static str, bool, &'static str)>,
    excluded: Vec<Excluded>,
}

async fn render(
    state: &AppState,
    ctx: &Ctx,
    rule: &CountingRule,
    error: String,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?;
    let tables = Tables::open(state.store(), &state.0.data_dir, actor.pcn_id)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let (slots, roles) = vocabulary(&tables)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let ticks = |found: Vec<String>, chosen: &[String]| {
        let mut all = found;
        all.extend(
            chosen
                .iter()
                .filter(|c| !all.contains(c))
                .cloned()
                .collect::<Vec<_>>(),
        );
        all.into_iter()
            .map(|v| {
                let t = chosen.contains(&v);
                (v, t)
            })
            .collect()
    };
    let page = CountingPage {
        layout: Layout::new(state, ctx, "What counts as a consultation"),
        current: rule.describe(),
        statuses: STATUSES
            .iter()
            .map(|s| {
                (
                    *s,
                    rule.statuses.iter().any(|x| x == s),
                    together_formats::status_meaning(s).unwrap_or_default(),
                )
            })
            .collect(),
        excluded: vec![
            (
                "slot",
                "Slot types that do not count",
                ticks(slots, &rule.excluded_slot_types),
            ),
            (
                "role",
                "Clinician roles that do not count",
                ticks(roles, &rule.excluded_roles),
            ),
        ],
        error,
    };
    let status = form_status(!page.error.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

async fn page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let rule = CountingRule::of(state.store(), ctx.actor()?.pcn_id).await?;
    render(&state, &ctx, &rule, String::new()).await
}

async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let values = |prefix: &str| {
        let mut v: Vec<String> = form
            .iter()
            .filter(|(k, _)| {
                k.strip_prefix(prefix)
                    .is_some_and(|n| n.parse::<u32>().is_ok())
            })
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty() && v.chars().count() <= 256)
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let statuses: Vec<String> = STATUSES
        .iter()
        .filter(|s| values("status_").iter().any(|v| v == *s))
        .map(|s| s.to_string())
        .collect();
    let rule = CountingRule {
        statuses,
        excluded_slot_types: values("slot_"),
        excluded_roles: values("role_"),
    };
    if rule.statuses.is_empty() {
        let error = "Choose at least one status that counts as a consultation".to_owned();
        return render(&state, &ctx, &rule, error).await;
    }
    let actor = ctx.actor()?;
    let json = serde_json::to_string(&rule).map_err(|e| AppError::Internal(e.to_string()))?;
    let audit = ctx.audit(
        &state,
        AuditAction::SetCountingRule,
        "setting",
        Some(COUNTING_RULE_SETTING.to_owned()),
        Outcome::Allowed,
    );
    state
        .store()
        .set_setting(actor.pcn_id, COUNTING_RULE_SETTING, &json, &audit)
        .await?;
    Ok(Redirect::to("/admin/counting").into_response())
}
