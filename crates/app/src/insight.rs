//! What Insight shows whom: the period asked about when none is, which figures are exact, and
//! the selection itself — the period, the practices and the analyses for it. The Insight page,
//! the cohort pages and the API all ask these questions of the same rules.

mod cache;

pub use cache::{Analysis, AnalysisCache};
use serde::Deserialize;
use std::path::Path;
use std::sync::Arc;
use time::Date;
use together_core::disclosure::Audience;
use together_core::{Actor, Role};
use together_insight::frequent::{frequent_given, Definition, Frequent};
use together_insight::hiu::{hiu_given, Hiu, DEFAULT_THRESHOLD};
use together_insight::profile::{pooled_practices, profile, CountingRule, Profile, Scope};
use together_insight::Tables;
use together_store::{DynStore, ImportRecord, NewAuditEvent, Practice, StoreError};

/// Why Insight could not answer: the store failed, or the analysis did (a file unreadable, a
/// query DataFusion refused) — never the person's asking, which always has an answer.
#[derive(Debug, thiserror::Error)]
pub enum InsightError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the analysis failed: {0}")]
    Analysis(String),
}

/// What a person asked Insight for, from the page's form or the API's query string; anything
/// left out or unreadable takes its default.
#[derive(Deserialize, Default, utoipa::IntoParams)]
pub struct Filters {
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

/// What a request for Insight resolved to: the period, the practices, the audience and the
/// analyses (when there is something safe to show), with notes for the person asking.
pub struct Selection {
    pub from: Date,
    pub to: Date,
    /// "all" or one ODS code, as chosen.
    pub chosen: String,
    pub practices: Vec<Practice>,
    pub audience: Audience,
    pub notes: Vec<String>,
    /// What the imported data covers, a sentence for each dataset and practice.
    pub held: Vec<String>,
    /// The analyses, when there is data to show (kept in the cache, so shared).
    pub analysis: Option<Arc<Analysis>>,
}

impl Selection {
    pub fn profile(&self) -> Option<&Profile> {
        self.analysis.as_ref().map(|a| &a.profile)
    }

    /// Frequent attenders (the top 10% within age band and sex) and high intensity users of
    /// A&E (5 or more attendances), reusing the selection's profile.
    pub fn frequent_and_hiu(&self) -> Option<(&Frequent, &Hiu)> {
        self.analysis.as_ref().map(|a| (&a.frequent, &a.hiu))
    }
}

/// Where Insight reads from and keeps what it worked out: one per server.
pub struct Sources<'a> {
    pub store: &'a DynStore,
    pub data_dir: &'a Path,
    pub cache: &'a AnalysisCache<Analysis>,
}

/// A practice's name from its ODS code (the code itself for one not in `practices`), so that
/// what is said of the data names practices as people know them.
pub fn practice_name(practices: &[Practice], code: &str) -> String {
    practices
        .iter()
        .find(|p| p.ods_code.as_str() == code)
        .map_or_else(|| code.to_owned(), |p| p.name.clone())
}

/// Resolves the filters for the actor (a clinician starts at their own practice, everyone else
/// at the pooled practices), runs the analyses (once per import set, rule, period, practices
/// and audience) and audits the view with `audit`, its detail the period and practices.
pub async fn select(
    at: &Sources<'_>,
    actor: &Actor,
    f: &Filters,
    today: Date,
    mut audit: NewAuditEvent,
) -> Result<Selection, InsightError> {
    let store = at.store;
    let all = store.practices(actor.pcn_id).await?;
    let imports = store.imports(actor.pcn_id).await?;
    let latest = latest_appointment(&imports);
    let (default_from, default_to) = default_period(latest, today);
    let from = together_core::people::parse_date(&f.from).unwrap_or(default_from);
    let to = together_core::people::parse_date(&f.to).unwrap_or(default_to);
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
    let audience = audience_for(actor.role, own.as_deref(), &practices);
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
        rule: CountingRule::of(store, actor.pcn_id).await?,
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
    audit.resource_id = Some(format!("{from}..{to} {}", scope.practices.join(",")));
    let analysis = at
        .cache
        .get_or_compute(key, || analyse(store, at.data_dir, actor.pcn_id, scope))
        .await?;
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
    store.audit(&audit).await?;
    if audience == Audience::Suppressed && analysis.profile.registered.value() < 8 {
        selection.notes.push(
            "Too few people are registered in this selection to show figures safely.".to_owned(),
        );
    } else {
        selection.analysis = Some(analysis);
    }
    Ok(selection)
}

/// The analyses of one selection, all from one opening of the PCN's Insight files.
async fn analyse(
    store: &DynStore,
    data_dir: &Path,
    pcn: together_core::PcnId,
    scope: Scope,
) -> Result<Analysis, InsightError> {
    let failed = |e: &dyn std::fmt::Display| InsightError::Analysis(e.to_string());
    let tables = Tables::open(store, data_dir, pcn)
        .await
        .map_err(|e| failed(&e))?;
    let profile = profile(&tables, &scope).await.map_err(|e| failed(&e))?;
    let held = together_insight::coverage::coverage(&tables, &scope.practices)
        .await
        .map_err(|e| failed(&e))?;
    let frequent = frequent_given(
        &tables,
        &scope,
        Definition::TopPercentWithinAgeSex(10.0),
        &profile,
    )
    .await
    .map_err(|e| failed(&e))?;
    let hiu = hiu_given(&tables, &scope, DEFAULT_THRESHOLD, &profile.people)
        .await
        .map_err(|e| failed(&e))?;
    Ok(Analysis {
        profile,
        held,
        frequent,
        hiu,
    })
}

/// The last day of the appointments imported (active imports only), if any are.
pub fn latest_appointment(imports: &[ImportRecord]) -> Option<Date> {
    imports
        .iter()
        .filter(|i| i.status == "active" && i.dataset == "appointments")
        .filter_map(|i| i.period_to)
        .max()
}

/// The default period: the twelve months ending on the last day of imported appointments (or
/// `today`, before any import).
pub fn default_period(latest: Option<Date>, today: Date) -> (Date, Date) {
    let to = latest.unwrap_or(today);
    (year_ending(to), to)
}

/// The first day of the twelve months that end on `to`.
fn year_ending(to: Date) -> Date {
    let back = Date::from_calendar_date(to.year() - 1, to.month(), to.day())
        .or_else(|_| Date::from_calendar_date(to.year() - 1, to.month(), 28))
        .unwrap_or(to);
    back.next_day().unwrap_or(back)
}

/// Exact figures for analysts and for a clinician looking at their own practice alone;
/// disclosure control for everyone and everything else.
pub fn audience_for(role: Role, own: Option<&str>, practices: &[String]) -> Audience {
    match (role, own) {
        (Role::Analyst, _) => Audience::Unsuppressed,
        (Role::Clinician, Some(own)) if practices == [own] => Audience::Unsuppressed,
        _ => Audience::Suppressed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_default_year_ends_on_the_last_appointment_and_survives_a_leap_day() {
        assert_eq!(
            default_period(Some(date!(2026 - 03 - 31)), date!(2026 - 12 - 07)),
            (date!(2025 - 04 - 01), date!(2026 - 03 - 31))
        );
        assert_eq!(
            default_period(Some(date!(2024 - 02 - 29)), date!(2026 - 12 - 07)),
            (date!(2023 - 03 - 01), date!(2024 - 02 - 29))
        );
        assert_eq!(
            default_period(None, date!(2026 - 12 - 07)).1,
            date!(2026 - 12 - 07),
            "before any import, the year ends today"
        );
    }

    #[test]
    fn only_analysts_and_a_clinician_on_their_own_practice_see_exact_figures() {
        let own = ["Y00001".to_owned()];
        let both = ["Y00001".to_owned(), "Y00002".to_owned()];
        assert_eq!(
            audience_for(Role::Analyst, None, &both),
            Audience::Unsuppressed
        );
        assert_eq!(
            audience_for(Role::Clinician, Some("Y00001"), &own),
            Audience::Unsuppressed
        );
        assert_eq!(
            audience_for(Role::Clinician, Some("Y00001"), &both),
            Audience::Suppressed
        );
        assert_eq!(
            audience_for(Role::PcnAdmin, None, &own),
            Audience::Suppressed
        );
    }
}
