//! The cohort builder: name a group worth an offer (practice, window, age, sex, conditions,
//! appointments, A&E, missed appointments, not seen since), see its size and shape, and — for a
//! clinician of the practice — download the invitation list, through the one audited
//! re-identification.

use crate::context::Ctx;
use crate::error::AppError;
use crate::layout::{form_status, Layout};
use crate::pages::insight::latest_appointment;
use crate::policy_router::{Policy, Routes};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use std::collections::HashSet;
use together_app::insight::{audience_for, default_period};
use together_core::audit::AuditAction;
use together_core::disclosure::{Audience, Count, RULE};
use together_core::people::FieldError;
use together_core::{Action, Role};
use together_insight::cohort::{evaluate, CohortDefinition};
use together_insight::patient_index::{
    invitation_csv, reidentify, Identified, IndexError, Request,
};
use together_insight::profile::{pooled_practices, CountingRule};
use together_insight::Tables;
use together_store::{NewCohort, Outcome, StoreError};

pub(crate) fn routes(r: Routes) -> Routes {
    let insight = Policy::Allow(Action::ViewInsight);
    r.get("/insight/cohorts", insight, list)
        .post("/insight/cohorts", insight, create)
        .get("/insight/cohorts/{id}", insight, view)
        .post("/insight/cohorts/{id}/invitations", insight, invitations)
}

/// The conditions a cohort can ask about.
const CONDITIONS: [&str; 10] = [
    "hypertension",
    "diabetes",
    "asthma",
    "copd",
    "coronary_heart_disease",
    "depression",
    "anxiety",
    "cancer",
    "dementia",
    "severe_mental_illness",
];

/// The builder's form, as typed.
#[derive(Deserialize, Default, Clone)]
pub(crate) struct CohortForm {
    #[serde(default)]
    name: String,
    /// One ODS code, or "all" for the practices that pool their data.
    #[serde(default)]
    practice: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    age_min: String,
    #[serde(default)]
    age_max: String,
    #[serde(default)]
    sex: String,
    #[serde(default)]
    with_condition: String,
    #[serde(default)]
    without_condition: String,
    #[serde(default)]
    appointments_min: String,
    #[serde(default)]
    ae_min: String,
    #[serde(default)]
    dna_min: String,
    #[serde(default)]
    last_seen_before: String,
}

fn number<T: std::str::FromStr>(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    text: &str,
    what: &str,
) -> Option<T> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    match t.parse::<T>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(FieldError {
                field,
                message: format!("Enter {what} as a whole number, or leave it empty"),
            });
            None
        }
    }
}

fn date(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    text: &str,
    required: bool,
) -> Option<time::Date> {
    if text.trim().is_empty() && !required {
        return None;
    }
    let parsed = together_core::people::parse_date(text);
    if parsed.is_none() {
        errors.push(FieldError {
            field,
            message: "Enter a date, for example 2025-01-31".into(),
        });
    }
    parsed
}

/// Parses the form into a definition for the actor's PCN, or says what to correct.
fn parse(
    form: &CohortForm,
    practices: &[together_store::Practice],
) -> Result<(String, CohortDefinition), Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(FieldError {
            field: "name",
            message: "Give the cohort a name of up to 100 characters".into(),
        });
    }
    let chosen: Vec<String> = if form.practice == "all" {
        pooled_practices(practices)
    } else {
        practices
            .iter()
            .filter(|p| p.ods_code.as_str() == form.practice)
            .map(|p| p.ods_code.to_string())
            .collect()
    };
    if chosen.is_empty() {
        errors.push(FieldError {
            field: "practice",
            message: "Choose a practice (pooling needs data-sharing agreements recorded)".into(),
        });
    }
    let from = date(&mut errors, "from", &form.from, true);
    let to = date(&mut errors, "to", &form.to, true);
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            errors.push(FieldError {
                field: "to",
                message: "The end of the window must be after its start".into(),
            });
        }
    }
    let age_min = number(&mut errors, "age_min", &form.age_min, "the youngest age");
    let age_max = number(&mut errors, "age_max", &form.age_max, "the oldest age");
    let sex = match form.sex.as_str() {
        "" => None,
        s @ ("F" | "M") => Some(s.to_owned()),
        _ => {
            errors.push(FieldError {
                field: "sex",
                message: "Choose women, men or everyone".into(),
            });
            None
        }
    };
    let condition = |errors: &mut Vec<FieldError>, field: &'static str, c: &str| match c {
        "" => Vec::new(),
        c if CONDITIONS.contains(&c) => vec![c.to_owned()],
        _ => {
            errors.push(FieldError {
                field,
                message: "Choose one of the conditions listed".into(),
            });
            Vec::new()
        }
    };
    let with_conditions = condition(&mut errors, "with_condition", &form.with_condition);
    let without_conditions = condition(&mut errors, "without_condition", &form.without_condition);
    let appointments_min = number(
        &mut errors,
        "appointments_min",
        &form.appointments_min,
        "the number of appointments",
    );
    let ae_min = number(
        &mut errors,
        "ae_min",
        &form.ae_min,
        "the number of A&E attendances",
    );
    let dna_min = number(
        &mut errors,
        "dna_min",
        &form.dna_min,
        "the number of missed appointments",
    );
    let last_seen_before = date(
        &mut errors,
        "last_seen_before",
        &form.last_seen_before,
        false,
    );
    match (from, to) {
        (Some(from), Some(to)) if errors.is_empty() => Ok((
            name.to_owned(),
            CohortDefinition {
                practices: chosen,
                from,
                to,
                age_min,
                age_max,
                sex,
                with_conditions,
                without_conditions,
                appointments_min,
                appointments_max: None,
                ae_min,
                dna_min,
                last_seen_before,
            },
        )),
        _ => Err(errors),
    }
}

#[derive(Template)]
#[template(path = "cohorts.html")]
struct ListPage {
    layout: Layout,
    cohorts: Vec<(String, String, String)>,
    form: CohortForm,
    errors: Vec<FieldError>,
    practices: Vec<(String, String)>,
    conditions: Vec<(&'static str, String)>,
}

impl ListPage {
    fn err(&self, field: &str) -> String {
        crate::layout::field_error(&self.errors, field)
    }
}

fn condition_label(c: &str) -> String {
    match c {
        "copd" => "COPD".to_owned(),
        other => {
            let text = other.replace('_', " ");
            let mut chars = text.chars();
            chars
                .next()
                .map(|f| f.to_uppercase().collect::<String>() + chars.as_str())
                .unwrap_or_default()
        }
    }
}

async fn render_list(
    state: &AppState,
    ctx: &Ctx,
    form: CohortForm,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?;
    let practices = state.store().practices(actor.pcn_id).await?;
    let cohorts = state
        .store()
        .cohorts(actor.pcn_id)
        .await?
        .into_iter()
        .map(|c| {
            let description = serde_json::from_str::<CohortDefinition>(&c.definition)
                .map(|d| d.describe())
                .unwrap_or_default();
            (c.id, c.name, description)
        })
        .collect();
    let (from, to) = default_period(
        latest_appointment(state, actor.pcn_id).await?,
        state.now().date(),
    );
    let form = CohortForm {
        from: if form.from.is_empty() {
            from.to_string()
        } else {
            form.from
        },
        to: if form.to.is_empty() {
            to.to_string()
        } else {
            form.to
        },
        ..form
    };
    let page = ListPage {
        layout: Layout::new(state, ctx, "Cohorts"),
        cohorts,
        form,
        practices: practices
            .iter()
            .map(|p| (p.ods_code.to_string(), p.name.clone()))
            .collect(),
        conditions: CONDITIONS
            .iter()
            .map(|c| (*c, condition_label(c)))
            .collect(),
        errors,
    };
    let status = form_status(!page.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let own = own_practice(&state, &ctx).await?;
    let form = CohortForm {
        practice: own
            .map(|p| p.ods_code.to_string())
            .unwrap_or_else(|| "all".into()),
        ..CohortForm::default()
    };
    render_list(&state, &ctx, form, Vec::new()).await
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<CohortForm>,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?.clone();
    let practices = state.store().practices(actor.pcn_id).await?;
    let (name, definition) = match parse(&form, &practices) {
        Ok(parsed) => parsed,
        Err(errors) => return render_list(&state, &ctx, form, errors).await,
    };
    let cohort = NewCohort {
        pcn_id: actor.pcn_id,
        name,
        definition: serde_json::to_string(&definition)
            .map_err(|e| AppError::Internal(e.to_string()))?,
    };
    let audit = ctx.audit(
        &state,
        AuditAction::SaveCohort,
        "cohort",
        None,
        Outcome::Allowed,
    );
    match state.store().save_cohort(&cohort, &audit).await {
        Ok(id) => Ok(Redirect::to(&format!("/insight/cohorts/{id}")).into_response()),
        Err(StoreError::Conflict(_)) => {
            let errors = vec![FieldError {
                field: "name",
                message: "A cohort with this name already exists: choose another name".into(),
            }];
            render_list(&state, &ctx, form, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The clinician's own practice, if the actor is one.
pub(crate) async fn own_practice(
    state: &AppState,
    ctx: &Ctx,
) -> Result<Option<together_store::Practice>, AppError> {
    let actor = ctx.actor()?;
    if actor.role != Role::Clinician {
        return Ok(None);
    }
    Ok(state
        .store()
        .practices(actor.pcn_id)
        .await?
        .into_iter()
        .find(|p| Some(p.id) == actor.practice_id))
}

#[derive(Template)]
#[template(path = "cohort.html")]
struct CohortPage {
    layout: Layout,
    id: String,
    name: String,
    description: String,
    counting_rule: String,
    rule: Option<&'static str>,
    /// Where the data covers only part of the window, and how much.
    data_notes: Vec<String>,
    registered: Count,
    size: Count,
    mean: String,
    /// (caption, rows of group and people)
    tables: Vec<(&'static str, Vec<(String, Count)>)>,
    /// (practice name, members there) when the actor may invite them.
    invite: Option<(String, usize)>,
    /// What they can be invited to, and how.
    offers: Vec<(String, String)>,
    channels: Vec<(&'static str, &'static str)>,
}

/// The cohort's record, its definition, its members now, and the tables they were found in.
pub(crate) async fn load(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
) -> Result<
    (
        String,
        CohortDefinition,
        together_insight::cohort::Cohort,
        Tables,
    ),
    AppError,
> {
    let actor = ctx.actor()?;
    let record = match state.store().cohort(actor.pcn_id, id).await {
        Err(StoreError::NotFound(_)) => return Err(AppError::NotFound),
        other => other?,
    };
    let definition: CohortDefinition = serde_json::from_str(&record.definition)
        .map_err(|e| AppError::Internal(format!("cohort {id}: {e}")))?;
    let tables = Tables::open(state.store(), &state.0.data_dir, actor.pcn_id)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let rule = CountingRule::of(state.store(), actor.pcn_id).await?;
    let cohort = evaluate(&tables, &definition, &rule)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((record.name, definition, cohort, tables))
}

/// What share of the cohort's window the imported data covers, where it is short of all of it.
async fn window_notes(
    state: &AppState,
    ctx: &Ctx,
    tables: &Tables,
    definition: &CohortDefinition,
) -> Result<Vec<String>, AppError> {
    let held = together_insight::coverage::coverage(tables, &definition.practices)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let practices = state.store().practices(ctx.actor()?.pcn_id).await?;
    let name = |code: &str| together_app::insight::practice_name(&practices, code);
    Ok(together_insight::coverage::shares(
        &held,
        definition.from,
        definition.to,
        &name,
    ))
}

async fn view(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (name, definition, cohort, tables) = load(&state, &ctx, &id).await?;
    let actor = ctx.actor()?;
    let own = own_practice(&state, &ctx).await?;
    let own_code = own.as_ref().map(|p| p.ods_code.to_string());
    let audience = audience_for(actor.role, own_code.as_deref(), &definition.practices);
    let shown = cohort.shown(audience);
    let audit = ctx.audit(
        &state,
        AuditAction::ViewCohort,
        "cohort",
        Some(id.clone()),
        Outcome::Allowed,
    );
    state.store().audit(&audit).await?;
    let invite = own.and_then(|p| {
        let code = p.ods_code.to_string();
        let n = cohort.members.iter().filter(|m| m.practice == code).count();
        (n > 0).then_some((p.name, n))
    });
    // Practices by name and sexes in words, as people know them.
    let practices = state.store().practices(actor.pcn_id).await?;
    let rows = |gs: &[together_insight::cohort::ShownGroup], word: &dyn Fn(&str) -> String| {
        gs.iter()
            .map(|g| (word(&g.label), g.people))
            .collect::<Vec<_>>()
    };
    let practice = |code: &str| together_app::insight::practice_name(&practices, code);
    let sex = |code: &str| together_core::people::sex_in_words(code).to_owned();
    let as_is = |label: &str| label.to_owned();
    let page = CohortPage {
        layout: Layout::new(&state, &ctx, &name),
        id,
        name,
        description: shown.description.clone(),
        counting_rule: shown.counting_rule.clone(),
        rule: (audience == Audience::Suppressed).then_some(RULE),
        data_notes: window_notes(&state, &ctx, &tables, &definition).await?,
        registered: shown.registered,
        size: shown.size,
        mean: shown
            .mean_appointments
            .map(|m| format!("{m:.1}"))
            .unwrap_or_else(|| "–".into()),
        tables: vec![
            ("By practice", rows(&shown.by_practice, &practice)),
            ("By age", rows(&shown.by_age, &as_is)),
            ("By sex", rows(&shown.by_sex, &sex)),
        ],
        offers: if invite.is_some() {
            offers_to_invite_to(&state, &ctx).await?
        } else {
            Vec::new()
        },
        invite,
        channels: vec![
            (
                "text",
                "Text message (a letter for anyone without a mobile number)",
            ),
            ("letter", "Letter"),
            ("phone", "Phone call"),
        ],
    };
    Ok(Html(page.render()?).into_response())
}

/// The clinician's own practice, whose people they may name; anyone else is refused, and the
/// refusal audited.
pub(crate) async fn practice_to_name(
    state: &AppState,
    ctx: &Ctx,
) -> Result<together_store::Practice, AppError> {
    match own_practice(state, ctx).await? {
        Some(p) => Ok(p),
        None => {
            let audit = ctx.audit(
                state,
                AuditAction::Reidentify,
                "patient_index",
                None,
                Outcome::Denied,
            );
            state.store().audit(&audit).await?;
            Err(AppError::Forbidden)
        }
    }
}

/// The pseudonyms of the cohort's members registered at `practice`.
pub(crate) fn members_at(
    cohort: &together_insight::cohort::Cohort,
    practice: &together_store::Practice,
) -> HashSet<String> {
    let code = practice.ods_code.to_string();
    cohort
        .members
        .iter()
        .filter(|m| m.practice == code)
        .map(|m| m.pseudonym.clone())
        .collect()
}

/// What a cohort can be invited to: the PCN's offers that are running or planned.
pub(crate) async fn offers_to_invite_to(
    state: &AppState,
    ctx: &Ctx,
) -> Result<Vec<(String, String)>, AppError> {
    let mut options = vec![(String::new(), "Choose one".to_owned())];
    for o in state.store().offers(ctx.actor()?.pcn_id).await? {
        if o.status.welcomes_people() {
            options.push((o.id.to_string(), o.name));
        }
    }
    Ok(options)
}

/// Names the people behind `pseudonyms` at the actor's own `practice`, through the one audited
/// re-identification (one audit row per person named, with `reason`); anyone else is refused.
pub(crate) async fn identify(
    state: &AppState,
    ctx: &Ctx,
    practice: &together_store::Practice,
    pseudonyms: &HashSet<String>,
    reason: &str,
) -> Result<Vec<Identified>, AppError> {
    let actor = ctx.actor()?.clone();
    let stamp = ctx.audit(
        state,
        AuditAction::Reidentify,
        "patient_index",
        None,
        Outcome::Allowed,
    );
    let request = Request {
        actor: &actor,
        actor_label: &stamp.actor,
        practice,
        reason,
        request_id: stamp.request_id.clone(),
        ip: stamp.ip.clone(),
        now: stamp.at,
    };
    match reidentify(
        state.store(),
        &state.0.data_dir,
        &state.0.index_key,
        actor.pcn_id,
        &request,
        pseudonyms,
    )
    .await
    {
        Ok(p) => Ok(p),
        Err(IndexError::Denied(_)) => Err(AppError::Forbidden),
        Err(e) => Err(AppError::Internal(e.to_string())),
    }
}

/// The invitation list for the clinician's own practice's members, as a CSV download; every
/// person named is audited by the re-identification itself.
async fn invitations(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (name, _, cohort, _) = load(&state, &ctx, &id).await?;
    let practice = practice_to_name(&state, &ctx).await?;
    let code = practice.ods_code.to_string();
    let members = members_at(&cohort, &practice);
    let people = identify(
        &state,
        &ctx,
        &practice,
        &members,
        &format!("invitations for cohort {id}"),
    )
    .await?;
    let body =
        invitation_csv(&people, &practice.name).map_err(|e| AppError::Internal(e.to_string()))?;
    let file = format!(
        "invitations-{}-{}.csv",
        code,
        name.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response())
}
