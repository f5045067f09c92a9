//! The compliance dashboard: who is clear for which role, and what comes due (DBS checks,
//! badges, training, agreements, insurance, risk reviews); the DBS renewal policy.

use super::common::*;
use together_core::audit::AuditAction;

pub(super) struct ClearanceRow {
    id: ChampionId,
    name: String,
    stage: &'static str,
    role: String,
    status: String,
    clear: bool,
    due: String,
}

pub(super) struct DueRow {
    /// The record to open: the champion's or the partner's.
    href: String,
    name: String,
    /// What expires: "DBS check (basic)", "ID badge HV-0042", "Safeguarding adults".
    what: String,
    due: String,
    /// For a DBS check: its id and whether its renewal is under way.
    renewal: Option<(String, bool)>,
}

pub(super) struct DueGroup {
    label: &'static str,
    rows: Vec<DueRow>,
}

#[derive(Template)]
#[template(path = "champion_compliance.html")]
pub(super) struct CompliancePage {
    layout: Layout,
    years: i32,
    today: String,
    clearance: Vec<ClearanceRow>,
    groups: Vec<DueGroup>,
    error: String,
}

pub(super) async fn render_compliance(
    state: &AppState,
    ctx: &Ctx,
    error: String,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let store = state.store();
    let today = state.now().date();
    let years = state.programme_settings(pcn).await?.dbs_renewal_years;
    let audit = ctx.audit(
        state,
        AuditAction::ViewCompliance,
        "champions",
        None,
        Outcome::Allowed,
    );
    let champions = store.champions(pcn, &audit).await?;
    let dbs_audit = ctx.audit(
        state,
        AuditAction::ViewDbs,
        "champion_dbs",
        None,
        Outcome::Allowed,
    );
    let checks = store.pcn_dbs_checks(pcn, &dbs_audit).await?;
    let roles = store.champion_roles(pcn).await?;
    let holders = store.role_holders(pcn).await?;
    let mut clearance = Vec::new();
    let mut groups: Vec<DueGroup> = [Due::Overdue, Due::Within7, Due::Within30, Due::Within60]
        .into_iter()
        .map(|d| DueGroup {
            label: d.label(),
            rows: Vec::new(),
        })
        .collect();
    for r in crate::compliance::clearance(&champions, &checks, &roles, &holders, years, today) {
        let due = match r.status {
            Clearance::Clear { due } | Clearance::Expired { due } => date(&due),
            _ => String::new(),
        };
        clearance.push(ClearanceRow {
            id: r.champion.id,
            name: format!("{} {}", r.champion.given_name, r.champion.family_name),
            stage: r.champion.stage.label(),
            role: r.role.name.clone(),
            clear: r.status.is_clear(),
            status: r.status.label(),
            due,
        });
    }
    for e in crate::compliance::expiring(store, pcn, &champions, &checks, years).await? {
        let slot = match Due::of(e.due, today) {
            Due::Overdue => 0,
            Due::Within7 => 1,
            Due::Within30 => 2,
            Due::Within60 => 3,
            Due::Later => continue,
        };
        groups[slot].rows.push(DueRow {
            href: e.href,
            name: e.name,
            what: e.what,
            due: date(&e.due),
            renewal: e.renewal,
        });
    }
    let page = CompliancePage {
        layout: Layout::new(state, ctx, "Compliance"),
        years,
        today: date(&today),
        clearance,
        groups,
        error,
    };
    let status = form_status(!page.error.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

pub(super) async fn compliance(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, AppError> {
    render_compliance(&state, &ctx, String::new()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct YearsForm {
    years: String,
}

pub(super) async fn save_renewal_years(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<YearsForm>,
) -> Result<Response, AppError> {
    let Some(years) = f
        .years
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (1..=10).contains(y))
    else {
        return render_compliance(
            &state,
            &ctx,
            "Enter how many years a DBS check lasts before renewal, from 1 to 10".into(),
        )
        .await;
    };
    let audit = ctx.audit(
        &state,
        AuditAction::SetDbsRenewalYears,
        "setting",
        None,
        Outcome::Allowed,
    );
    state
        .store()
        .set_setting(
            ctx.actor()?.pcn_id,
            DBS_RENEWAL_SETTING,
            &years.to_string(),
            &audit,
        )
        .await?;
    Ok(Redirect::to("/champions/compliance").into_response())
}
