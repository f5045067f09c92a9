//! Insight in the web app: the attendance profile for a period and a practice (or the
//! practices that agreed to pool their data), as SVG charts each with its table, with
//! disclosure control for everyone but analysts and a practice's own clinicians.

use crate::analysis_cache::Analysis;
use crate::context::Ctx;
use crate::error::AppError;
use crate::layout::Layout;
use crate::policy_router::{Policy, Routes};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use time::Date;
use together_core::audit::AuditAction;
use together_core::disclosure::{Audience, Count, RawCount, RULE};
use together_core::{Action, Role};
use together_insight::frequent::{frequent_given, Definition, Frequent, ShownFrequent};
use together_insight::hiu::{hiu_given, Hiu, ShownHiu, DEFAULT_THRESHOLD};
use together_insight::profile::{pooled_practices, profile, CountingRule, Profile, Scope};
use together_insight::Tables;

pub(crate) fn routes(r: Routes) -> Routes {
    r.get("/insight", Policy::Allow(Action::ViewInsight), page)
}

/// The Insight filters, from a page's form or the API's query string.
#[derive(Deserialize, Default, utoipa::IntoParams)]
pub(crate) struct Filters {
    /// First day, YYYY-MM-DD (default: twelve months before `to`).
    #[serde(default)]
    pub from: String,
    /// Last day, YYYY-MM-DD (default: the last day of imported appointments).
    #[serde(default)]
    pub to: String,
    /// One ODS code, or "all" for the practices that pool their data.
    #[serde(default)]
    pub practice: String,
}

/// A bar of a chart: geometry computed here, drawn by the template (so labels stay escaped).
pub(crate) struct Bar {
    pub label: String,
    pub value: String,
    pub y: f64,
    pub width: f64,
}

pub(crate) struct Row {
    pub label: String,
    pub people: Count,
    pub appointments: Count,
    pub per_person: String,
}

#[derive(Template)]
#[template(path = "insight.html")]
struct InsightPage {
    layout: Layout,
    from: String,
    to: String,
    practice: String,
    practices: Vec<(String, String, bool)>,
    notes: Vec<String>,
    held: Vec<String>,
    figures: Option<Figures>,
    frequent_attenders: Option<ShownFrequent>,
    hiu: Option<ShownHiu>,
    /// The actor may import data (the link to the import page).
    can_import: bool,
}

pub(crate) struct Figures {
    pub(crate) suppressed: bool,
    pub(crate) rule: &'static str,
    pub(crate) counting: String,
    pub(crate) basis: String,
    pub(crate) registered: Count,
    pub(crate) appointments: Count,
    pub(crate) mean: String,
    pub(crate) median: String,
    pub(crate) gini: String,
    pub(crate) dna: String,
    pub(crate) top: Vec<Bar>,
    pub(crate) lorenz_points: String,
    pub(crate) lorenz_rows: Vec<(String, String)>,
    pub(crate) ages: Vec<Row>,
    pub(crate) age_bars: Vec<Bar>,
    pub(crate) months: Vec<(String, Count)>,
    pub(crate) month_bars: Vec<Bar>,
    pub(crate) roles: Vec<(String, Count)>,
    pub(crate) modes: Vec<(String, Count)>,
    pub(crate) deprivation: Vec<Row>,
    pub(crate) frequent: Vec<(String, u64, &'static str)>,
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// Horizontal bars, 18 px apart, scaled to the largest value (chart width 300).
pub(crate) fn bars(items: &[(String, f64, String)]) -> Vec<Bar> {
    let max = items.iter().map(|i| i.1).fold(0.0, f64::max);
    items
        .iter()
        .enumerate()
        .map(|(i, (label, v, text))| Bar {
            label: label.clone(),
            value: text.clone(),
            y: i as f64 * 22.0,
            width: if max > 0.0 { v / max * 300.0 } else { 0.0 },
        })
        .collect()
}

fn parse_date(s: &str) -> Option<Date> {
    together_core::people::parse_date(s)
}

/// A practice's name from its ODS code (the code itself for one not in `practices`), so that
/// what is said of the data names practices as people know them.
pub(crate) fn practice_name(practices: &[together_store::Practice], code: &str) -> String {
    practices
        .iter()
        .find(|p| p.ods_code.as_str() == code)
        .map_or_else(|| code.to_owned(), |p| p.name.clone())
}

/// The last day of imported appointments, if any are imported.
pub(crate) async fn latest_appointment(
    state: &AppState,
    pcn: together_core::PcnId,
) -> Result<Option<Date>, AppError> {
    Ok(together_app::insight::latest_appointment(
        &state.store().imports(pcn).await?,
    ))
}

/// What a request for Insight resolved to: the period, the practices, the audience and the
/// profile (when there is something safe to show), with notes for the person asking.
pub(crate) struct Selection {
    pub from: Date,
    pub to: Date,
    /// "all" or one ODS code, as chosen.
    pub chosen: String,
    pub practices: Vec<together_store::Practice>,
    pub audience: Audience,
    pub notes: Vec<String>,
    /// What the imported data covers, a sentence for each dataset and practice.
    pub held: Vec<String>,
    /// The analyses, when there is data to show (kept in the state's cache, so shared).
    pub analysis: Option<std::sync::Arc<Analysis>>,
}

impl Selection {
    pub(crate) fn profile(&self) -> Option<&Profile> {
        self.analysis.as_ref().map(|a| &a.profile)
    }
}

async fn analyse(
    state: &AppState,
    pcn: together_core::PcnId,
    scope: Scope,
) -> Result<Analysis, AppError> {
    let internal = |e: &dyn std::fmt::Display| AppError::Internal(e.to_string());
    let tables = Tables::open(state.store(), &state.0.data_dir, pcn)
        .await
        .map_err(|e| internal(&e))?;
    let profile = profile(&tables, &scope).await.map_err(|e| internal(&e))?;
    let held = together_insight::coverage::coverage(&tables, &scope.practices)
        .await
        .map_err(|e| internal(&e))?;
    let frequent = frequent_given(
        &tables,
        &scope,
        Definition::TopPercentWithinAgeSex(10.0),
        &profile,
    )
    .await
    .map_err(|e| internal(&e))?;
    let hiu = hiu_given(&tables, &scope, DEFAULT_THRESHOLD, &profile.people)
        .await
        .map_err(|e| internal(&e))?;
    Ok(Analysis {
        profile,
        held,
        frequent,
        hiu,
    })
}

/// Frequent attenders (the top 10% within age band and sex) and high intensity users of A&E
/// (5 or more attendances) for the selection, reusing its profile.
pub(crate) fn frequent_and_hiu(s: &Selection) -> Option<(&Frequent, &Hiu)> {
    s.analysis.as_ref().map(|a| (&a.frequent, &a.hiu))
}

/// Resolves the filters for this actor (a clinician starts at their own practice, everyone else
/// at the pooled practices), runs the profile and audits the view. Shared by the page and the API.
pub(crate) async fn select(
    state: &AppState,
    ctx: &Ctx,
    f: &Filters,
) -> Result<Selection, AppError> {
    let actor = ctx.actor()?.clone();
    let all = state.store().practices(actor.pcn_id).await?;
    let imports = state.store().imports(actor.pcn_id).await?;
    let latest = together_app::insight::latest_appointment(&imports);
    let (default_from, default_to) =
        together_app::insight::default_period(latest, state.now().date());
    let from = parse_date(&f.from).unwrap_or(default_from);
    let to = parse_date(&f.to).unwrap_or(default_to);
    let mut notes = Vec::new();
    let (from, to) = if from > to {
        notes.push(
            "The start of the period was after its end, so they have been swapped.".to_owned(),
        );
        (to, from)
    } else {
        (from, to)
    };
    let own = all
        .iter()
        .find(|p| Some(p.id) == actor.practice_id)
        .map(|p| p.ods_code.to_string());
    let chosen = if f.practice.is_empty() {
        own.clone()
            .filter(|_| actor.role == Role::Clinician)
            .unwrap_or_else(|| "all".into())
    } else {
        f.practice.clone()
    };
    let practices: Vec<String> = if chosen == "all" {
        let agreed = pooled_practices(&all);
        let left_out = all.len() - agreed.len();
        if left_out > 0 {
            notes.push(format!("{left_out} practice(s) have no data-sharing agreement recorded, so they are not in the pooled figures."));
        }
        agreed
    } else {
        all.iter()
            .filter(|p| p.ods_code.as_str() == chosen)
            .map(|p| p.ods_code.to_string())
            .collect()
    };
    let audience = together_app::insight::audience_for(actor.role, own.as_deref(), &practices);
    let mut selection = Selection {
        from,
        to,
        chosen,
        practices: all,
        audience,
        notes,
        held: Vec::new(),
        analysis: None,
    };
    if latest.is_none() {
        selection
            .notes
            .push("No appointment data has been imported yet.".to_owned());
        return Ok(selection);
    }
    if practices.is_empty() {
        selection.notes.push("No practice to show: record a data-sharing agreement on the Admin page, or choose one practice.".to_owned());
        return Ok(selection);
    }
    let scope = Scope {
        from,
        to,
        practices,
        rule: CountingRule::of(state.store(), actor.pcn_id).await?,
    };
    // Everything the figures depend on: a new import, a replace, a deletion or a changed
    // setting makes a new key; the audience keeps disclosure apart.
    let mut active: Vec<&str> = imports
        .iter()
        .filter(|i| i.status == "active")
        .map(|i| i.id.as_str())
        .collect();
    active.sort_unstable();
    let key = format!(
        "{}|{}|{:?}|{from}|{to}|{}|{audience:?}",
        actor.pcn_id,
        active.join(","),
        scope.rule,
        scope.practices.join(","),
    );
    let scope_practices = scope.practices.clone();
    let analysis = state
        .0
        .analyses
        .get_or_compute(key, || analyse(state, actor.pcn_id, scope))
        .await?;
    let p = &analysis.profile;
    // What the data covers, and where the chosen period runs past it.
    let held = &analysis.held;
    let name = |code: &str| practice_name(&selection.practices, code);
    selection.notes.extend(together_insight::coverage::gaps(
        held,
        from,
        to,
        &name,
        &|_| together_insight::coverage::INSIGHT_COUNTS,
    ));
    selection.held = held
        .iter()
        .map(|c| {
            format!(
                "{}: {} to {}",
                c.label(&name),
                together_insight::coverage::long_date(c.from),
                together_insight::coverage::long_date(c.to)
            )
        })
        .collect();
    let audit = ctx.audit(
        state,
        AuditAction::ViewInsight,
        "insight",
        Some(format!("{from}..{to} {}", scope_practices.join(","))),
        together_store::Outcome::Allowed,
    );
    state.store().audit(&audit).await?;
    if audience == Audience::Suppressed && p.registered.value() < 8 {
        selection.notes.push(
            "Too few people are registered in this selection to show figures safely.".to_owned(),
        );
    } else {
        selection.analysis = Some(analysis.clone());
    }
    Ok(selection)
}

async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(f): Query<Filters>,
) -> Result<Response, AppError> {
    let s = select(&state, &ctx, &f).await?;
    let extras = frequent_and_hiu(&s);
    let (frequent, hiu) = match extras {
        Some((f, h)) => (Some(f.shown(s.audience)), Some(h.shown(s.audience))),
        None => (None, None),
    };
    let figures = s.profile().map(|p| figures(p, s.audience));
    let page = InsightPage {
        can_import: ctx.actor().is_ok_and(|a| {
            together_core::authorize(
                a,
                Action::ImportData,
                &together_core::Resource::Pcn(a.pcn_id),
            )
            .is_allowed()
        }),
        frequent_attenders: frequent,
        hiu,
        layout: Layout::new(&state, &ctx, "Insight"),
        from: s.from.to_string(),
        to: s.to.to_string(),
        practice: s.chosen,
        practices: s
            .practices
            .iter()
            .map(|p| {
                (
                    p.ods_code.to_string(),
                    p.name.clone(),
                    p.data_sharing_agreed,
                )
            })
            .collect(),
        figures,
        notes: s.notes,
        held: s.held,
    };
    Ok(Html(page.render()?).into_response())
}

pub(crate) fn figures(p: &Profile, audience: Audience) -> Figures {
    let show = |c: RawCount| c.disclose(audience);
    let per_person = |people: RawCount, appts: RawCount| {
        // A mean over a suppressed group would reveal what suppression hides.
        if audience == Audience::Suppressed && people.value() < 8 || people.value() == 0 {
            "–".to_owned()
        } else {
            format!("{:.1}", appts.value() as f64 / people.value() as f64)
        }
    };
    let row = |g: &together_insight::profile::Group| Row {
        label: g.label.clone(),
        people: show(g.people),
        appointments: show(g.appointments),
        per_person: per_person(g.people, g.appointments),
    };
    let ages: Vec<Row> = p.by_age.iter().map(row).collect();
    let age_bars = bars(
        &p.by_age
            .iter()
            .zip(&ages)
            .map(|(g, r)| {
                (
                    g.label.clone(),
                    r.per_person.parse::<f64>().unwrap_or(0.0),
                    r.per_person.clone(),
                )
            })
            .collect::<Vec<_>>(),
    );
    let months: Vec<(String, Count)> = p
        .monthly
        .iter()
        .map(|(m, c)| (m.clone(), show(*c)))
        .collect();
    let month_bars = bars(
        &months
            .iter()
            .map(|(m, c)| (m.clone(), c.shown().unwrap_or(0) as f64, c.to_string()))
            .collect::<Vec<_>>(),
    );
    let lorenz_points = p
        .lorenz
        .iter()
        .map(|(x, y)| format!("{:.1},{:.1}", x * 300.0, 300.0 - y * 300.0))
        .collect::<Vec<_>>()
        .join(" ");
    Figures {
        suppressed: audience == Audience::Suppressed,
        rule: RULE,
        counting: p.rule.clone(),
        basis: p.basis.clone(),
        registered: show(p.registered),
        appointments: show(p.appointments),
        mean: format!("{:.1}", p.mean),
        median: format!("{:.1}", p.median),
        gini: format!("{:.2}", p.gini),
        dna: pct(p.dna_rate),
        top: bars(
            &p.top_shares
                .iter()
                .map(|(k, s)| (format!("Top {k}% of people"), *s, pct(*s)))
                .collect::<Vec<_>>(),
        ),
        lorenz_points,
        lorenz_rows: p
            .lorenz
            .iter()
            .step_by(2)
            .map(|(x, y)| (format!("{:.0}%", x * 100.0), pct(*y)))
            .collect(),
        ages,
        age_bars,
        months,
        month_bars,
        roles: p.roles.iter().map(|(r, c)| (r.clone(), show(*c))).collect(),
        modes: p.modes.iter().map(|(r, c)| (r.clone(), show(*c))).collect(),
        deprivation: p.by_deprivation.iter().map(row).collect(),
        // Person-level rows (pseudonymised) only for analysts and the practice's own clinicians.
        frequent: if audience == Audience::Unsuppressed {
            p.most_frequent
                .iter()
                .map(|(ps, n, band)| (ps[..12].to_owned(), *n, *band))
                .collect()
        } else {
            Vec::new()
        },
    }
}
