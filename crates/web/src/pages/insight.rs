//! Insight in the web app: the attendance profile for a period and a practice (or the
//! practices that agreed to pool their data), as SVG charts each with its table, with
//! disclosure control for everyone but analysts and a practice's own clinicians.

use crate::context::Ctx;
use crate::error::AppError;
use crate::layout::Layout;
use crate::policy_router::{Policy, Routes};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use time::Date;
use together_app::insight::{select, Filters};
use together_core::audit::AuditAction;
use together_core::disclosure::{Audience, Count, RawCount, RULE};
use together_core::Action;
use together_insight::frequent::ShownFrequent;
use together_insight::hiu::ShownHiu;
use together_insight::profile::Profile;

pub(crate) fn routes(r: Routes) -> Routes {
    r.get("/insight", Policy::Allow(Action::ViewInsight), page)
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

/// The last day of imported appointments, if any are imported.
pub(crate) async fn latest_appointment(
    state: &AppState,
    pcn: together_core::PcnId,
) -> Result<Option<Date>, AppError> {
    Ok(together_app::insight::latest_appointment(
        &state.store().imports(pcn).await?,
    ))
}

async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(f): Query<Filters>,
) -> Result<Response, AppError> {
    let audit = ctx.audit(
        &state,
        AuditAction::ViewInsight,
        "insight",
        None,
        together_store::Outcome::Allowed,
    );
    let s = select(
        &state.insight(),
        ctx.actor()?,
        &f,
        state.now().date(),
        audit,
    )
    .await?;
    let extras = s.frequent_and_hiu();
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
