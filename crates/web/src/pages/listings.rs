//! The directory's other listings, kept two ways: the PCN administrator keeps them all (adds,
//! changes, approves partners' changes with a field-by-field difference, takes them out and puts
//! them back, sets the verification cycle); a partner keeps its own (adds them, which waits for
//! approval; proposes changes; confirms they are still right when asked).

use crate::context::Ctx;
use crate::error::path_id;
use crate::error::AppError;
use crate::layout::{date, form_status, one_error, when, Layout, Problem};
use crate::policy_router::{Policy, Routes};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use std::collections::HashMap;
use together_core::audit::AuditAction;
use together_core::listings::{
    differences, months_after, Difference, ListingForm, Verification, GRACE_DAYS_SETTING,
    VERIFY_MONTHS_SETTING,
};
use together_core::{Action, ServiceId};
use together_store::listings::ListingSummary;
use together_store::{Outcome, StoreError};

pub(crate) fn routes(r: Routes) -> Routes {
    let manage = Policy::Allow(Action::ManageDirectory);
    let own = Policy::Allow(Action::OwnPartnerOrganisation);
    r.get("/listings", manage, staff_list)
        .post("/listings", manage, staff_add)
        .post("/listings/settings", manage, save_settings)
        .get("/listings/{id}", manage, staff_view)
        .post("/listings/{id}", manage, staff_update)
        .post("/listings/{id}/confirm", manage, staff_confirm)
        .post("/listings/{id}/publish", manage, staff_publish)
        .post("/listings/{id}/changes/{change}", manage, staff_decide)
        .get("/partners/mine/listings", own, partner_list)
        .post("/partners/mine/listings", own, partner_add)
        .get("/partners/mine/listings/{id}", own, partner_view)
        .post("/partners/mine/listings/{id}", own, partner_propose)
        .post("/partners/mine/listings/{id}/confirm", own, partner_confirm)
}

/// Who is keeping listings on this request.
#[derive(Debug, Clone)]
enum Keeper {
    Staff,
    Partner(String),
}

impl Keeper {
    fn owner(&self) -> Option<&str> {
        match self {
            Keeper::Staff => None,
            Keeper::Partner(p) => Some(p),
        }
    }
    fn base(&self) -> &'static str {
        match self {
            Keeper::Staff => "/listings",
            Keeper::Partner(_) => "/partners/mine/listings",
        }
    }
}

/// The signed-in partner's organisation; a partner account not linked to one finds nothing.
async fn partner(state: &AppState, ctx: &Ctx) -> Result<Keeper, AppError> {
    let a = ctx.actor()?;
    match state.store().partner_of_user(a.pcn_id, a.user_id).await? {
        Some(p) => Ok(Keeper::Partner(p)),
        None => Err(AppError::NotFound),
    }
}

async fn cycle(state: &AppState, ctx: &Ctx) -> Result<(u32, i64), AppError> {
    let settings = state.programme_settings(ctx.actor()?.pcn_id).await?;
    Ok((settings.verify_months, settings.grace_days))
}

/// The choices the form offers: categories (with which are ticked) and who keeps it.
struct Choices {
    terms: Vec<(String, String, bool)>,
    owners: Vec<(String, String)>,
}

async fn choices(
    state: &AppState,
    ctx: &Ctx,
    form: &ListingForm,
    keeper: &Keeper,
) -> Result<Choices, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let store = state.store();
    let terms = crate::pages::directory::category_boxes(store, &form.taxonomy).await?;
    let owners = match keeper {
        Keeper::Staff => {
            let mut o = vec![(String::new(), "The PCN's team".to_owned())];
            o.extend(
                store
                    .partners(pcn)
                    .await?
                    .into_iter()
                    .map(|p| (p.id, p.name)),
            );
            o
        }
        Keeper::Partner(_) => Vec::new(),
    };
    Ok(Choices { terms, owners })
}

struct Row {
    href: String,
    name: String,
    organization: String,
    kept_by: String,
    check: (&'static str, &'static str),
    listed: String,
    change_waiting: bool,
}

fn listed(s: &ListingSummary) -> String {
    match (s.published, s.unpublished_reason.as_deref()) {
        (true, _) => "In the directory".into(),
        (false, Some("awaiting_approval")) => "Waiting for approval".into(),
        (false, Some("lapsed")) => "Out: not confirmed in time".into(),
        (false, _) => "Taken out".into(),
    }
}

#[derive(Template)]
#[template(path = "listings.html")]
struct ListPage {
    layout: Layout,
    staff: bool,
    base: &'static str,
    rows: Vec<Row>,
    overdue: usize,
    months: u32,
    grace: i64,
    form: ListingForm,
    ch: Choices,
    problem: Problem,
}

async fn render_list(
    state: &AppState,
    ctx: &Ctx,
    keeper: Keeper,
    form: ListingForm,
    problem: Problem,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let today = state.now().date();
    let (months, grace) = cycle(state, ctx).await?;
    let list = state.store().listings(pcn, keeper.owner()).await?;
    let rows: Vec<Row> = list
        .iter()
        .map(|s| {
            let v = Verification::of(s.assured_on, months, grace, today);
            Row {
                href: format!("{}/{}", keeper.base(), s.id),
                name: s.name.clone(),
                organization: s.organization.clone(),
                kept_by: s
                    .owner_name
                    .clone()
                    .unwrap_or_else(|| "The PCN's team".into()),
                check: (v.label(), v.colour()),
                listed: listed(s),
                change_waiting: s.pending_change,
            }
        })
        .collect();
    let page = ListPage {
        layout: Layout::new(
            state,
            ctx,
            match keeper {
                Keeper::Staff => "Directory listings",
                Keeper::Partner(_) => "Our listings",
            },
        ),
        staff: matches!(keeper, Keeper::Staff),
        base: keeper.base(),
        overdue: list
            .iter()
            .filter(|s| {
                s.published
                    && matches!(
                        Verification::of(s.assured_on, months, grace, today),
                        Verification::Overdue | Verification::Lapsed
                    )
            })
            .count(),
        rows,
        months,
        grace,
        ch: choices(state, ctx, &form, &keeper).await?,
        form,
        problem,
    };
    let status = form_status(!page.problem.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

async fn staff_list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    render_list(
        &state,
        &ctx,
        Keeper::Staff,
        ListingForm::default(),
        Problem::none(),
    )
    .await
}

async fn partner_list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let keeper = partner(&state, &ctx).await?;
    render_list(
        &state,
        &ctx,
        keeper,
        ListingForm::default(),
        Problem::none(),
    )
    .await
}

/// Maps a store refusal of a listing's references to the field it is about.
fn refused(e: StoreError) -> Result<Vec<together_core::people::FieldError>, AppError> {
    match e {
        StoreError::NotFound("category") => {
            Ok(one_error("taxonomy", "Choose categories from the list"))
        }
        StoreError::NotFound("partner") => Ok(one_error(
            "owner_partner_id",
            "Choose who keeps it from the list",
        )),
        StoreError::Refused(why) => Ok(one_error("name", why.to_string())),
        StoreError::NotFound(_) => Err(AppError::NotFound),
        e => Err(e.into()),
    }
}

async fn add(
    state: &AppState,
    ctx: &Ctx,
    keeper: Keeper,
    fields: &[(String, String)],
) -> Result<Response, AppError> {
    let form = ListingForm::from_fields(fields);
    let listing = match form.parse() {
        Ok(l) => l,
        Err(errors) => {
            return render_list(state, ctx, keeper, form, Problem::of("listing", errors)).await
        }
    };
    let owner = match &keeper {
        Keeper::Staff => Some(form.owner_partner_id.trim()).filter(|p| !p.is_empty()),
        Keeper::Partner(p) => Some(p.as_str()),
    };
    let audit = ctx.audit(
        state,
        AuditAction::AddListing,
        "listing",
        None,
        Outcome::Allowed,
    );
    let waits = matches!(keeper, Keeper::Partner(_));
    match state
        .store()
        .add_listing(ctx.actor()?.pcn_id, &listing, owner, waits, &audit)
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("{}/{id}", keeper.base())).into_response()),
        Err(e) => {
            let errors = refused(e)?;
            render_list(state, ctx, keeper, form, Problem::of("listing", errors)).await
        }
    }
}

async fn staff_add(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    add(&state, &ctx, Keeper::Staff, &fields).await
}

async fn partner_add(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let keeper = partner(&state, &ctx).await?;
    add(&state, &ctx, keeper, &fields).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct CycleForm {
    verify_months: String,
    grace_days: String,
}

async fn save_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<CycleForm>,
) -> Result<Response, AppError> {
    let months = f
        .verify_months
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|m| (1..=60).contains(m));
    let grace = f
        .grace_days
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|d| (0..=365).contains(d));
    let (Some(months), Some(grace)) = (months, grace) else {
        let errors = one_error(
            "verify_months",
            "Enter how often to ask, from 1 to 60 months, and the days of grace, from 0 to 365",
        );
        return render_list(
            &state,
            &ctx,
            Keeper::Staff,
            ListingForm::default(),
            Problem::of("cycle", errors),
        )
        .await;
    };
    let pcn = ctx.actor()?.pcn_id;
    let audit = ctx.audit(
        &state,
        AuditAction::SetDirectoryCycle,
        "setting",
        None,
        Outcome::Allowed,
    );
    let store = state.store();
    store
        .set_setting(pcn, VERIFY_MONTHS_SETTING, &months.to_string(), &audit)
        .await?;
    store
        .set_setting(pcn, GRACE_DAYS_SETTING, &grace.to_string(), &audit)
        .await?;
    Ok(Redirect::to("/listings").into_response())
}

struct ChangeView {
    id: String,
    by: String,
    at: String,
    differences: Vec<Difference>,
    decision: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "listing.html")]
struct OnePage {
    layout: Layout,
    staff: bool,
    action: String,
    name: String,
    organization: String,
    public_href: String,
    check: (&'static str, &'static str),
    listed: String,
    published: bool,
    checked: String,
    due: String,
    waiting: Option<ChangeView>,
    decided: Vec<ChangeView>,
    form: ListingForm,
    ch: Choices,
    problem: Problem,
}

async fn render_one(
    state: &AppState,
    ctx: &Ctx,
    keeper: Keeper,
    id: ServiceId,
    form: Option<ListingForm>,
    problem: Problem,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let store = state.store();
    let today = state.now().date();
    let l = match store.listing(pcn, id, keeper.owner()).await {
        Err(StoreError::NotFound(_)) => return Err(AppError::NotFound),
        other => other?,
    };
    let (months, grace) = cycle(state, ctx).await?;
    let names: HashMap<String, String> = store
        .taxonomy_terms()
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let category = |t: &str| names.get(t).cloned().unwrap_or_else(|| t.to_owned());
    let mut waiting = None;
    let mut proposed = None;
    let mut decided = Vec::new();
    for c in store.listing_changes(pcn, id).await? {
        let view = ChangeView {
            id: c.id.clone(),
            by: c.partner_name.clone(),
            at: when(&c.proposed_at),
            differences: differences(&l.listing, &c.proposed, &category),
            decision: match c.decision.as_deref() {
                Some("approved") => "Approved".into(),
                Some(_) => "Not made".into(),
                None => String::new(),
            },
            reason: c.reason.clone(),
        };
        if c.decision.is_none() {
            proposed = Some(c.proposed);
            waiting = Some(view);
        } else {
            decided.push(view);
        }
    }
    // A partner amends their waiting change; the coordinator edits the listing as it is.
    let form = match (form, &keeper, proposed) {
        (Some(f), _, _) => f,
        (None, Keeper::Partner(_), Some(p)) => ListingForm::of(&p),
        (None, Keeper::Partner(_), None) => ListingForm::of(&l.listing),
        (None, Keeper::Staff, _) => ListingForm {
            owner_partner_id: l.summary.owner_partner_id.clone().unwrap_or_default(),
            ..ListingForm::of(&l.listing)
        },
    };
    let v = Verification::of(l.summary.assured_on, months, grace, today);
    let page = OnePage {
        layout: Layout::new(state, ctx, &l.summary.name),
        staff: matches!(keeper, Keeper::Staff),
        action: format!("{}/{id}", keeper.base()),
        name: l.summary.name.clone(),
        organization: l.summary.organization.clone(),
        public_href: crate::paths::directory::record(id),
        check: (v.label(), v.colour()),
        listed: listed(&l.summary),
        published: l.summary.published,
        checked: match &l.assurer_email {
            Some(by) => format!("{}, by {by}", date(&l.summary.assured_on)),
            None => format!("{} (when it was added)", date(&l.summary.assured_on)),
        },
        due: date(&months_after(l.summary.assured_on, months)),
        waiting,
        decided,
        ch: choices(state, ctx, &form, &keeper).await?,
        form,
        problem,
    };
    let status = form_status(!page.problem.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

async fn staff_view(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    render_one(
        &state,
        &ctx,
        Keeper::Staff,
        path_id(&id)?,
        None,
        Problem::none(),
    )
    .await
}

async fn partner_view(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let keeper = partner(&state, &ctx).await?;
    render_one(&state, &ctx, keeper, path_id(&id)?, None, Problem::none()).await
}

/// The coordinator's change, or a partner's proposal: the same form, checked the same way.
async fn change(
    state: &AppState,
    ctx: &Ctx,
    keeper: Keeper,
    id: &str,
    fields: &[(String, String)],
) -> Result<Response, AppError> {
    let id = path_id(id)?;
    let form = ListingForm::from_fields(fields);
    let listing = match form.parse() {
        Ok(l) => l,
        Err(errors) => {
            return render_one(
                state,
                ctx,
                keeper,
                id,
                Some(form),
                Problem::of("listing", errors),
            )
            .await
        }
    };
    let pcn = ctx.actor()?.pcn_id;
    let store = state.store();
    let result = match &keeper {
        Keeper::Staff => {
            let audit = ctx.audit(
                state,
                AuditAction::UpdateListing,
                "listing",
                Some(id.to_string()),
                Outcome::Allowed,
            );
            let owner = Some(form.owner_partner_id.trim()).filter(|p| !p.is_empty());
            store.update_listing(pcn, id, &listing, owner, &audit).await
        }
        Keeper::Partner(p) => {
            let audit = ctx.audit(
                state,
                AuditAction::ProposeListingChange,
                "listing",
                Some(id.to_string()),
                Outcome::Allowed,
            );
            store
                .propose_listing_change(pcn, id, p, &listing, &audit)
                .await
                .map(|_| ())
        }
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("{}/{id}", keeper.base())).into_response()),
        Err(e) => {
            let errors = refused(e)?;
            render_one(
                state,
                ctx,
                keeper,
                id,
                Some(form),
                Problem::of("listing", errors),
            )
            .await
        }
    }
}

async fn staff_update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    change(&state, &ctx, Keeper::Staff, &id, &fields).await
}

async fn partner_propose(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let keeper = partner(&state, &ctx).await?;
    change(&state, &ctx, keeper, &id, &fields).await
}

async fn confirm(
    state: &AppState,
    ctx: &Ctx,
    keeper: Keeper,
    id: &str,
) -> Result<Response, AppError> {
    let id: ServiceId = path_id(id)?;
    let audit = ctx.audit(
        state,
        AuditAction::ConfirmListing,
        "listing",
        Some(id.to_string()),
        Outcome::Allowed,
    );
    let actor = ctx.actor()?;
    let assurer = match state.store().user(actor.user_id).await? {
        Some(u) => u.email.to_string(),
        None => audit.actor.clone(),
    };
    match state
        .store()
        .confirm_listing(actor.pcn_id, id, keeper.owner(), &assurer, &audit)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("{}/{id}", keeper.base())).into_response()),
        Err(StoreError::NotFound(_)) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

async fn staff_confirm(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    confirm(&state, &ctx, Keeper::Staff, &id).await
}

async fn partner_confirm(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let keeper = partner(&state, &ctx).await?;
    confirm(&state, &ctx, keeper, &id).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct PublishForm {
    published: String,
}

async fn staff_publish(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<PublishForm>,
) -> Result<Response, AppError> {
    let id: ServiceId = path_id(&id)?;
    let audit = ctx.audit(
        &state,
        AuditAction::PublishListing,
        "listing",
        Some(id.to_string()),
        Outcome::Allowed,
    );
    match state
        .store()
        .set_listing_published(ctx.actor()?.pcn_id, id, f.published == "yes", &audit)
        .await
    {
        Ok(()) => Ok(Redirect::to(&crate::paths::listings::record(id)).into_response()),
        Err(StoreError::NotFound(_)) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct DecideForm {
    decision: String,
    reason: String,
}

async fn staff_decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, change)): Path<(String, String)>,
    Form(f): Form<DecideForm>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let refuse = |field: &'static str, message: &str| {
        render_one(
            &state,
            &ctx,
            Keeper::Staff,
            id,
            None,
            Problem::of("decide", one_error(field, message)),
        )
    };
    let approve = match f.decision.as_str() {
        "approve" => true,
        "decline" => false,
        _ => return refuse("decision", "Choose to make the change or not").await,
    };
    let reason = f.reason.trim();
    if reason.chars().count() > 1000 {
        return refuse("reason", "Keep the reason to 1000 characters").await;
    }
    let audit = ctx.audit(
        &state,
        AuditAction::DecideListingChange,
        "listing",
        Some(id.to_string()),
        Outcome::Allowed,
    );
    match state
        .store()
        .decide_listing_change(ctx.actor()?.pcn_id, &change, approve, reason, &audit)
        .await
    {
        Ok(()) => Ok(Redirect::to(&crate::paths::listings::record(id)).into_response()),
        Err(StoreError::NotFound(_)) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}
