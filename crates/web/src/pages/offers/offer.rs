//! The offers list, adding an offer, and an offer's own page: its details, schedules, one-off
//! sessions, leads and the sessions coming up.

use super::common::{form_of, kind_label, status_colour, status_options};
use crate::context::Ctx;
use crate::error::path_id;
use crate::error::AppError;
use crate::layout::one_error;
use crate::layout::Problem;
use crate::layout::{date, form_status, renamed, Layout};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use time::Duration;
use together_core::audit::AuditAction;
use together_core::champions::Stage;
use together_core::offers::{OfferForm, SessionForm, OFFER_KINDS};
use together_core::people::FieldError;
use together_core::recurrence::{byday_from_boxes, ScheduleForm, WEEKDAYS};
use together_core::{authorize, Action, ChampionId, PcnId, Resource, ServiceId};
use together_store::offers::{Offer, SessionFilter, GENERATE_DAYS};
use together_store::{Outcome, StoreError};

/// Everything the offer form chooses from, with the current choices marked.
pub(super) struct Choices {
    kinds: &'static [(&'static str, &'static str)],
    statuses: Vec<(&'static str, &'static str)>,
    /// (id, name, checked).
    terms: Vec<(String, String, bool)>,
    practices: Vec<(String, String, bool)>,
    venues: Vec<(String, String)>,
    roles: Vec<(String, String)>,
    partners: Vec<(String, String)>,
    risks: Vec<(String, String)>,
    cohorts: Vec<(String, String)>,
}

async fn choices(state: &AppState, pcn: PcnId, form: &OfferForm) -> Result<Choices, AppError> {
    let store = state.store();
    let none = |label: &str| vec![(String::new(), label.to_owned())];
    let mut venues = none("No venue (online, by phone or at home)");
    venues.extend(
        store
            .venues(pcn)
            .await?
            .into_iter()
            .map(|v| (v.id, format!("{}, {}", v.name, v.postcode))),
    );
    let mut roles = none("Any active champion (the role needs no DBS check)");
    roles.extend(store.champion_roles(pcn).await?.into_iter().map(|r| {
        (
            r.id.to_string(),
            format!("{} ({})", r.name, r.dbs_level.label()),
        )
    }));
    let mut partners = none("No partner");
    partners.extend(
        store
            .partners(pcn)
            .await?
            .into_iter()
            .map(|p| (p.id, p.name)),
    );
    let mut risks = none("None recorded yet");
    risks.extend(store.risk_assessments(pcn).await?.into_iter().map(|r| {
        (
            r.id,
            format!("{} (review by {})", r.title, date(&r.review_on)),
        )
    }));
    let mut cohorts = none("Not designed for a cohort");
    cohorts.extend(
        store
            .cohorts(pcn)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name)),
    );
    let terms = crate::pages::directory::category_boxes(store, &form.taxonomy).await?;
    let practices = store
        .practices(pcn)
        .await?
        .into_iter()
        .map(|p| {
            let id = p.id.to_string();
            let on = form.practices.contains(&id);
            (id, p.name, on)
        })
        .collect();
    Ok(Choices {
        kinds: OFFER_KINDS,
        statuses: status_options(),
        terms,
        practices,
        venues,
        roles,
        partners,
        risks,
        cohorts,
    })
}

// ---- The list ----

struct OfferRow {
    id: String,
    name: String,
    kind: &'static str,
    status: &'static str,
    colour: &'static str,
    next: String,
    gaps: i64,
}

#[derive(Template)]
#[template(path = "offers.html")]
struct ListPage {
    layout: Layout,
    offers: Vec<OfferRow>,
    can_manage: bool,
    form: OfferForm,
    ch: Choices,
    problem: Problem,
}

async fn render_list(
    state: &AppState,
    ctx: &Ctx,
    form: OfferForm,
    problem: Problem,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?;
    let pcn = actor.pcn_id;
    let today = state.now().date();
    let ahead = state
        .store()
        .offer_sessions(
            pcn,
            &SessionFilter {
                from: Some(today),
                to: Some(today + Duration::weeks(8)),
                ..SessionFilter::default()
            },
        )
        .await?;
    let offers = state
        .store()
        .offers(pcn)
        .await?
        .into_iter()
        .map(|o| {
            let mine: Vec<_> = ahead.iter().filter(|s| s.offer_id == o.id).collect();
            OfferRow {
                id: o.id.to_string(),
                kind: kind_label(&o.kind),
                status: o.status.label(),
                colour: status_colour(o.status),
                next: mine
                    .first()
                    .map(|s| format!("{}, {}", date(&s.on), s.times()))
                    .unwrap_or_else(|| "None planned".into()),
                gaps: mine.iter().map(|s| s.gaps()).sum(),
                name: o.name,
            }
        })
        .collect();
    let page = ListPage {
        layout: Layout::new(state, ctx, "Offers"),
        offers,
        can_manage: authorize(actor, Action::ManageOffers, &Resource::Pcn(pcn)).is_allowed(),
        ch: choices(state, pcn, &form).await?,
        form,
        problem,
    };
    let status = form_status(!page.problem.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

pub(super) async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let form = OfferForm {
        helpers_needed: "0".into(),
        ..OfferForm::default()
    };
    render_list(&state, &ctx, form, Problem::none()).await
}

/// What the store refused about an offer's references, as the form's own errors.
fn reference_errors(e: StoreError) -> Result<Vec<FieldError>, AppError> {
    Ok(match e {
        StoreError::NotFound("venue") => one_error("venue_id", "Choose a venue from the list"),
        StoreError::NotFound("role") => one_error("lead_role_id", "Choose a role from the list"),
        StoreError::NotFound("partner") => {
            one_error("lead_partner_id", "Choose a partner from the list")
        }
        StoreError::NotFound("risk assessment") => one_error(
            "risk_assessment_id",
            "Choose a risk assessment from the list",
        ),
        StoreError::NotFound("practice") => {
            one_error("practices", "Choose practices from the list")
        }
        StoreError::NotFound("category") => {
            one_error("taxonomy", "Choose categories from the list")
        }
        StoreError::Refused(why) => one_error("ends_on", why.to_string()),
        other => return Err(other.into()),
    })
}

pub(super) async fn add(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let form = OfferForm::from_fields(&fields);
    let offer = match form.parse() {
        Ok(o) => o,
        Err(e) => return render_list(&state, &ctx, form, Problem::of("offer", e)).await,
    };
    let audit = ctx.audit(
        &state,
        AuditAction::AddOffer,
        "offer",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .add_offer(ctx.actor()?.pcn_id, &offer, &audit)
        .await
    {
        Ok(id) => Ok(Redirect::to(&crate::paths::offers::record(id)).into_response()),
        Err(e) => {
            let errors = reference_errors(e)?;
            render_list(&state, &ctx, form, Problem::of("offer", errors)).await
        }
    }
}

// ---- One offer ----

pub(super) struct SessionRow {
    pub(super) id: String,
    pub(super) on: String,
    pub(super) times: String,
    pub(super) venue: String,
    pub(super) cancelled: bool,
    pub(super) moved: bool,
    pub(super) rota: String,
    pub(super) gaps: i64,
    /// "2 to fill", or empty.
    pub(super) to_fill: String,
}

pub(super) fn session_rows(sessions: &[together_store::offers::Session]) -> Vec<SessionRow> {
    sessions
        .iter()
        .map(|s| SessionRow {
            id: s.id.to_string(),
            on: date(&s.on),
            times: s.times(),
            venue: s.venue_name.clone().unwrap_or_else(|| "No venue".into()),
            cancelled: s.cancelled,
            moved: s.scheduled_on.is_some_and(|d| d != s.on),
            rota: if s.helpers_needed == 0 {
                "No rota".into()
            } else {
                format!("{} of {}", s.helpers, s.helpers_needed)
            },
            gaps: s.gaps(),
            to_fill: match s.gaps() {
                0 => String::new(),
                n => format!("{n} to fill"),
            },
        })
        .collect()
}

/// The schedule form as the page sends it: day boxes and "which week" become `byday`.
#[derive(Debug, Clone, Default)]
pub(super) struct ScheduleFields {
    form: ScheduleForm,
    days: Vec<String>,
    week_of_month: String,
}

impl ScheduleFields {
    fn from_fields(fields: &[(String, String)]) -> Self {
        let mut s = Self::default();
        for (k, v) in fields {
            match k.as_str() {
                "schedule_freq" => s.form.freq = v.clone(),
                "schedule_interval" => s.form.interval = v.clone(),
                "days" => s.days.push(v.clone()),
                "week_of_month" => s.week_of_month = v.clone(),
                "schedule_bymonthday" => s.form.bymonthday = v.clone(),
                "schedule_starts_on" => s.form.starts_on = v.clone(),
                "schedule_ends_on" => s.form.ends_on = v.clone(),
                "schedule_opens_at" => s.form.opens_at = v.clone(),
                "schedule_closes_at" => s.form.closes_at = v.clone(),
                _ => {}
            }
        }
        let week = if s.form.freq.eq_ignore_ascii_case("MONTHLY") {
            s.week_of_month.as_str()
        } else {
            "every"
        };
        s.form.byday = byday_from_boxes(&s.days, week);
        s
    }

    fn day_boxes(&self) -> Vec<(&'static str, &'static str, bool)> {
        WEEKDAYS
            .iter()
            .map(|(c, _, n)| (*c, *n, self.days.iter().any(|d| d == c)))
            .collect()
    }
}

/// An offer's attendance, from its registers, for the people who run it.
struct Figures {
    a: together_core::offers::Attendance,
    /// The last sessions' attendances as bars.
    bars: Vec<crate::pages::insight::Bar>,
    height: usize,
    /// (date, named, others, new, total).
    rows: Vec<(String, usize, i64, usize, i64)>,
}

/// How many sessions the attendance chart shows.
const CHART_SESSIONS: usize = 12;

fn figures(registers: &[(time::Date, Vec<String>, i64)]) -> Option<Figures> {
    if registers.is_empty() {
        return None;
    }
    let a = together_core::offers::attendance(registers);
    let recent = &a.per_session[a.per_session.len().saturating_sub(CHART_SESSIONS)..];
    let most = recent
        .iter()
        .map(|(_, n, o, _)| *n as i64 + o)
        .max()
        .unwrap_or(0)
        .max(1);
    let bars = recent
        .iter()
        .enumerate()
        .map(|(i, (day, named, others, _))| {
            let total = *named as i64 + others;
            crate::pages::insight::Bar {
                label: date(day),
                value: total.to_string(),
                y: (i * 22) as f64,
                width: 300.0 * total as f64 / most as f64,
            }
        })
        .collect();
    let rows = a
        .per_session
        .iter()
        .rev()
        .map(|(day, named, others, new)| (date(day), *named, *others, *new, *named as i64 + others))
        .collect();
    Some(Figures {
        height: recent.len() * 22 + 10,
        a,
        bars,
        rows,
    })
}

#[derive(Template)]
#[template(path = "offer.html")]
struct OfferPage {
    layout: Layout,
    o: Offer,
    kind: &'static str,
    status: &'static str,
    colour: &'static str,
    venue: String,
    role: String,
    partner: String,
    terms: Vec<String>,
    schedules: Vec<String>,
    sessions: Vec<SessionRow>,
    /// (champion id, name).
    leads: Vec<(String, String)>,
    lead_choices: Vec<(String, String)>,
    can_manage: bool,
    /// Attendance, shown to the people who run the offer.
    figures: Option<Figures>,
    /// How the people connected to it are getting on, for the same people.
    wellbeing: Option<crate::pages::wellbeing::OfferWellbeing>,
    rule: &'static str,
    /// The last sessions held, each with its register: (session id, date, what the register says).
    recent: Vec<(String, String, String)>,
    /// Where the details form posts.
    action: String,
    form: OfferForm,
    ch: Choices,
    schedule: ScheduleFields,
    day_boxes: Vec<(&'static str, &'static str, bool)>,
    weeks: [(&'static str, &'static str); 6],
    session: SessionForm,
    venues: Vec<(String, String)>,
    problem: Problem,
}

pub(super) struct Edits {
    form: Option<OfferForm>,
    schedule: ScheduleFields,
    session: SessionForm,
    problem: Problem,
}

impl Edits {
    fn none() -> Self {
        Self {
            form: None,
            schedule: ScheduleFields::default(),
            session: SessionForm::default(),
            problem: Problem::none(),
        }
    }
}

async fn render_offer(
    state: &AppState,
    ctx: &Ctx,
    id: ServiceId,
    edits: Edits,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?;
    let pcn = actor.pcn_id;
    let store = state.store();
    let o = store.offer(pcn, id).await?.ok_or(AppError::NotFound)?;
    let can_manage = authorize(actor, Action::ManageOffers, &Resource::Pcn(pcn)).is_allowed();
    let today = state.now().date();
    let sessions = store
        .offer_sessions(
            pcn,
            &SessionFilter {
                offer: Some(id),
                from: Some(today),
                include_cancelled: true,
                ..SessionFilter::default()
            },
        )
        .await?;
    let form = edits.form.unwrap_or_else(|| form_of(&o));
    let ch = choices(state, pcn, &form).await?;
    let pick = |list: &[(String, String)], v: &Option<String>| {
        v.as_ref()
            .and_then(|v| list.iter().find(|(k, _)| k == v))
            .map(|(_, l)| l.clone())
            .unwrap_or_default()
    };
    let venue = pick(&ch.venues, &o.venue_id);
    let role = pick(&ch.roles, &o.lead_role_id.map(|r| r.to_string()));
    let partner = pick(&ch.partners, &o.lead_partner_id);
    let terms = ch
        .terms
        .iter()
        .filter(|(t, _, _)| o.taxonomy.contains(t))
        .map(|(_, n, _)| n.clone())
        .collect();
    // Naming the leads reads champions' records: audited, and only for those who run offers.
    let (leads, lead_choices) = if can_manage {
        let audit = ctx.audit(
            state,
            AuditAction::ListChampions,
            "champion",
            None,
            Outcome::Allowed,
        );
        let champions = store.champions(pcn, &audit).await?;
        let name =
            |c: &together_store::champions::Champion| format!("{} {}", c.given_name, c.family_name);
        let leads = o
            .leads
            .iter()
            .filter_map(|l| champions.iter().find(|c| c.id == *l))
            .map(|c| (c.id.to_string(), name(c)))
            .collect();
        let mut choices = vec![(String::new(), "Choose a champion".to_owned())];
        choices.extend(
            champions
                .iter()
                .filter(|c| c.stage == Stage::Active && !o.leads.contains(&c.id))
                .map(|c| (c.id.to_string(), name(c))),
        );
        (leads, choices)
    } else {
        (Vec::new(), Vec::new())
    };
    let schedules = store
        .schedules(pcn, id)
        .await?
        .iter()
        .map(|s| {
            let r = &s.recurrence;
            let mut d = r.describe();
            d.push_str(&format!(", from {}", date(&r.dtstart)));
            if let Some(end) = r.valid_to {
                d.push_str(&format!(" to {}", date(&end)));
            }
            d
        })
        .collect();
    let mut venues = vec![(String::new(), "The offer's own venue".to_owned())];
    venues.extend(ch.venues.iter().skip(1).cloned());
    let page = OfferPage {
        layout: Layout::new(state, ctx, &o.name),
        kind: kind_label(&o.kind),
        status: o.status.label(),
        colour: status_colour(o.status),
        venue,
        role,
        partner,
        terms,
        schedules,
        sessions: super::offer::session_rows(&sessions),
        leads,
        lead_choices,
        figures: if can_manage {
            figures(&store.registers_of(pcn, id).await?)
        } else {
            None
        },
        rule: together_core::disclosure::RULE,
        wellbeing: if can_manage {
            Some(crate::pages::wellbeing::offer_wellbeing(
                &store.offer_wellbeing(pcn, id).await?,
            ))
        } else {
            None
        },
        recent: if can_manage {
            recent_registers(state, pcn, id, today).await?
        } else {
            Vec::new()
        },
        can_manage,
        action: crate::paths::offers::record(id),
        day_boxes: edits.schedule.day_boxes(),
        weeks: [
            ("every", "Every week of the month"),
            ("1", "The first of the month"),
            ("2", "The second"),
            ("3", "The third"),
            ("4", "The fourth"),
            ("-1", "The last"),
        ],
        schedule: edits.schedule,
        session: edits.session,
        venues,
        form,
        ch,
        problem: edits.problem,
        o,
    };
    let status = form_status(!page.problem.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

/// How many past sessions the offer's page lists with their registers.
const RECENT_SESSIONS: usize = 5;

async fn recent_registers(
    state: &AppState,
    pcn: PcnId,
    offer: ServiceId,
    today: time::Date,
) -> Result<Vec<(String, String, String)>, AppError> {
    let store = state.store();
    let held = store
        .offer_sessions(
            pcn,
            &SessionFilter {
                offer: Some(offer),
                to: Some(today),
                ..SessionFilter::default()
            },
        )
        .await?;
    let mut out = Vec::new();
    for s in held.iter().rev().take(RECENT_SESSIONS) {
        let said = match store.register(pcn, s.id, None).await? {
            Some(r) => format!("{} came", r.came.len() as i64 + r.others),
            None => "Not taken yet".to_owned(),
        };
        out.push((s.id.to_string(), date(&s.on), said));
    }
    Ok(out)
}

pub(super) async fn view(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    render_offer(&state, &ctx, path_id(&id)?, Edits::none()).await
}

pub(super) async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let form = OfferForm::from_fields(&fields);
    let again = |form: OfferForm, errors: Vec<FieldError>| Edits {
        form: Some(form),
        problem: Problem::of("offer", errors),
        ..Edits::none()
    };
    let offer = match form.parse() {
        Ok(o) => o,
        Err(e) => return render_offer(&state, &ctx, id, again(form, e)).await,
    };
    let audit = ctx.audit(
        &state,
        AuditAction::UpdateOffer,
        "offer",
        Some(id.to_string()),
        Outcome::Allowed,
    );
    match state
        .store()
        .update_offer(ctx.actor()?.pcn_id, id, &offer, &audit)
        .await
    {
        Ok(()) => Ok(Redirect::to(&crate::paths::offers::record(id)).into_response()),
        Err(StoreError::NotFound("offer")) => Err(AppError::NotFound),
        Err(e) => {
            let errors = reference_errors(e)?;
            render_offer(&state, &ctx, id, again(form, errors)).await
        }
    }
}

pub(super) async fn add_schedule(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let schedule = ScheduleFields::from_fields(&fields);
    let again = |schedule: ScheduleFields, errors: Vec<FieldError>| Edits {
        schedule,
        problem: Problem::of("schedule", errors),
        ..Edits::none()
    };
    let r = match schedule.form.parse() {
        Ok(r) => r,
        Err(e) => {
            let e = renamed(e, SCHEDULE_FIELDS);
            return render_offer(&state, &ctx, id, again(schedule, e)).await;
        }
    };
    let audit = ctx.audit(
        &state,
        AuditAction::AddSchedule,
        "offer",
        Some(id.to_string()),
        Outcome::Allowed,
    );
    let until = state.now().date() + Duration::days(GENERATE_DAYS);
    match state
        .store()
        .add_schedule(ctx.actor()?.pcn_id, id, &r, until, &audit)
        .await
    {
        Ok(_) => Ok(Redirect::to(&crate::paths::offers::section(id, "sessions")).into_response()),
        Err(StoreError::Refused(why)) => {
            let e = one_error("schedule_starts_on", why.to_string());
            render_offer(&state, &ctx, id, again(schedule, e)).await
        }
        Err(StoreError::NotFound(_)) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// The one-off session form's fields, named apart from the schedule's on the same page.
const SESSION_FIELDS: &[(&str, &str)] = &[
    ("on", "session_on"),
    ("opens_at", "session_opens_at"),
    ("closes_at", "session_closes_at"),
    ("venue_id", "session_venue_id"),
    ("note", "session_note"),
];

const SCHEDULE_FIELDS: &[(&str, &str)] = &[
    ("freq", "schedule_freq"),
    ("interval", "schedule_interval"),
    ("byday", "days"),
    ("bymonthday", "schedule_bymonthday"),
    ("starts_on", "schedule_starts_on"),
    ("ends_on", "schedule_ends_on"),
    ("opens_at", "schedule_opens_at"),
    ("closes_at", "schedule_closes_at"),
];

pub(super) async fn add_session(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let value = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let form = SessionForm {
        on: value("session_on"),
        opens_at: value("session_opens_at"),
        closes_at: value("session_closes_at"),
        venue_id: value("session_venue_id"),
        note: value("session_note"),
    };
    let again = |session: SessionForm, errors: Vec<FieldError>| Edits {
        session,
        problem: Problem::of("session", renamed(errors, SESSION_FIELDS)),
        ..Edits::none()
    };
    let s = match form.parse(state.now().date()) {
        Ok(s) => s,
        Err(e) => return render_offer(&state, &ctx, id, again(form, e)).await,
    };
    let audit = ctx.audit(
        &state,
        AuditAction::AddSession,
        "offer",
        Some(id.to_string()),
        Outcome::Allowed,
    );
    match state
        .store()
        .add_offer_session(ctx.actor()?.pcn_id, id, &s, &audit)
        .await
    {
        Ok(session) => Ok(Redirect::to(&crate::paths::sessions::record(session)).into_response()),
        Err(StoreError::Refused(why)) => {
            render_offer(
                &state,
                &ctx,
                id,
                again(form, one_error("on", why.to_string())),
            )
            .await
        }
        Err(StoreError::NotFound("venue")) => {
            let e = one_error("venue_id", "Choose a venue from the list");
            render_offer(&state, &ctx, id, again(form, e)).await
        }
        Err(StoreError::NotFound(_)) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
pub(super) struct LeadForm {
    #[serde(default)]
    champion_id: String,
}

pub(super) async fn add_lead(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<LeadForm>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let lead_error = |message: String| Edits {
        problem: Problem::of("lead", one_error("champion_id", message)),
        ..Edits::none()
    };
    let Ok(champion) = form.champion_id.parse::<ChampionId>() else {
        return render_offer(&state, &ctx, id, lead_error("Choose a champion".into())).await;
    };
    let audit = ctx.audit(
        &state,
        AuditAction::AddOfferLead,
        "offer",
        Some(id.to_string()),
        Outcome::Allowed,
    );
    match state
        .store()
        .add_offer_lead(ctx.actor()?.pcn_id, id, champion, &audit)
        .await
    {
        Ok(()) => Ok(Redirect::to(&crate::paths::offers::section(id, "leads")).into_response()),
        Err(StoreError::Refused(why)) => {
            render_offer(&state, &ctx, id, lead_error(why.to_string())).await
        }
        Err(StoreError::Conflict(_)) => {
            render_offer(&state, &ctx, id, lead_error("They lead it already".into())).await
        }
        Err(StoreError::NotFound(_)) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn remove_lead(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, champion)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id: ServiceId = path_id(&id)?;
    let champion: ChampionId = path_id(&champion)?;
    let audit = ctx.audit(
        &state,
        AuditAction::RemoveOfferLead,
        "offer",
        Some(id.to_string()),
        Outcome::Allowed,
    );
    state
        .store()
        .remove_offer_lead(ctx.actor()?.pcn_id, id, champion, &audit)
        .await?;
    Ok(Redirect::to(&crate::paths::offers::section(id, "leads")).into_response())
}
