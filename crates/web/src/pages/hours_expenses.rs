//! Hours and expenses: a champion logs the time they gave and claims what they spent (a cost
//! with an optional receipt photo, or miles at the PCN's rate) on their phone; the coordinator
//! approves or refuses each, and sees the totals by month, champion and practice with the
//! value of the time gifted.

use crate::context::Ctx;
use crate::error::AppError;
use crate::layout::{date, field_error, form_status, Layout};
use crate::pages::champions::own_record;
use crate::paths::EXPENSE_PATH;
use crate::policy_router::{Policy, Routes};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use std::collections::BTreeMap;
use together_core::audit::AuditAction;
use together_core::hours_expenses::{
    money, receipt_type, ExpenseForm, HoursForm, HOURLY_VALUE_SETTING, MILEAGE_RATE_SETTING,
    RECEIPT_MAX_BYTES,
};
use together_core::people::FieldError;
use together_core::{Action, PcnId};
use together_store::champions::{Claim, ClaimStatus, ExpenseEntry, HoursEntry};
use together_store::{Outcome, StoreError};

pub(crate) fn routes(r: Routes) -> Routes {
    let own = Policy::Allow(Action::ClaimOwnHoursAndExpenses);
    let manage = Policy::Allow(Action::ManageChampions);
    r.get("/champions/me/hours", own, my_claims)
        .post("/champions/me/hours", own, log_hours)
        .upload(EXPENSE_PATH, own, claim_expense)
        .get("/champions/me/receipts/{id}", own, my_receipt)
        .get("/champions/claims", manage, claims)
        .post("/champions/claims/settings", manage, save_settings)
        .post("/champions/claims/hours/{id}", manage, decide_hours)
        .post("/champions/claims/expenses/{id}", manage, decide_expense)
        .get(
            "/champions/claims/receipts/{id}",
            manage,
            receipt_for_coordinator,
        )
}

fn hours_text(minutes: i64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

async fn mileage_rate(state: &AppState, pcn: PcnId) -> Result<i64, AppError> {
    Ok(state.programme_settings(pcn).await?.mileage_pence_per_mile)
}

async fn hourly_value(state: &AppState, pcn: PcnId) -> Result<i64, AppError> {
    Ok(state.programme_settings(pcn).await?.hourly_value_pence)
}

struct HoursRow {
    id: String,
    on: String,
    time: String,
    activity: String,
    status: &'static str,
    reason: String,
    who: String,
}

struct ExpenseRow {
    id: String,
    on: String,
    description: String,
    detail: String,
    amount: String,
    status: &'static str,
    reason: String,
    receipt: bool,
    who: String,
}

fn hours_row(h: &HoursEntry, who: String) -> HoursRow {
    HoursRow {
        id: h.id.clone(),
        on: date(&h.on),
        time: hours_text(h.minutes),
        activity: h.activity.clone(),
        status: h.status.label(),
        reason: h.reason.clone(),
        who,
    }
}

fn expense_row(e: &ExpenseEntry, who: String) -> ExpenseRow {
    let detail = match (e.tenths_of_miles, e.pence_per_mile) {
        (Some(t), Some(rate)) => format!("{}.{} miles at {rate}p", t / 10, t % 10),
        _ => "Cost paid".into(),
    };
    ExpenseRow {
        id: e.id.clone(),
        on: date(&e.on),
        description: e.description.clone(),
        detail,
        amount: money(e.pence),
        status: e.status.label(),
        reason: e.reason.clone(),
        receipt: e.receipt_type.is_some(),
        who,
    }
}

// ---- The champion's own page ----

#[derive(Template)]
#[template(path = "champion_hours.html")]
struct MyClaimsPage {
    layout: Layout,
    linked: bool,
    hours: Vec<HoursRow>,
    expenses: Vec<ExpenseRow>,
    approved_time: String,
    approved_money: String,
    rate: i64,
    hours_form: HoursForm,
    expense_form: ExpenseForm,
    errors: Vec<FieldError>,
    /// Which form the errors belong to: "hours" or "expense".
    failed: &'static str,
    receipt_hint: String,
    /// The offers time and expenses can be for, with "none" first.
    offers: Vec<(String, String)>,
}

impl MyClaimsPage {
    fn err(&self, form: &str, field: &str) -> String {
        if self.failed == form {
            field_error(&self.errors, field)
        } else {
            String::new()
        }
    }
}

async fn render_mine(
    state: &AppState,
    ctx: &Ctx,
    hours_form: HoursForm,
    expense_form: ExpenseForm,
    errors: Vec<FieldError>,
    failed: &'static str,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let me = own_record(state, ctx).await?;
    let (hours, expenses) = match &me {
        Some(c) => {
            let audit = ctx.audit(
                state,
                AuditAction::ViewOwnExpenses,
                "champion",
                None,
                Outcome::Allowed,
            );
            (
                state.store().hours(pcn, Some(c.id)).await?,
                state.store().expenses(pcn, Some(c.id), &audit).await?,
            )
        }
        None => (Vec::new(), Vec::new()),
    };
    let approved_minutes: i64 = hours
        .iter()
        .filter(|h| h.status == ClaimStatus::Approved)
        .map(|h| h.minutes)
        .sum();
    let approved_pence: i64 = expenses
        .iter()
        .filter(|e| e.status == ClaimStatus::Approved)
        .map(|e| e.pence)
        .sum();
    let today = state.now().date();
    let page = MyClaimsPage {
        layout: Layout::new(state, ctx, "My hours and expenses"),
        linked: me.is_some(),
        hours: hours.iter().map(|h| hours_row(h, String::new())).collect(),
        expenses: expenses
            .iter()
            .map(|e| expense_row(e, String::new()))
            .collect(),
        approved_time: hours_text(approved_minutes),
        approved_money: money(approved_pence),
        rate: mileage_rate(state, pcn).await?,
        hours_form: HoursForm {
            on: if hours_form.on.is_empty() {
                format!(
                    "{:02}/{:02}/{}",
                    today.day(),
                    today.month() as u8,
                    today.year()
                )
            } else {
                hours_form.on
            },
            ..hours_form
        },
        expense_form,
        errors,
        failed,
        receipt_hint: format!(
            "A photo from your phone, up to {} MB",
            RECEIPT_MAX_BYTES / (1024 * 1024)
        ),
        offers: offer_choices(state, pcn).await?,
    };
    let status = form_status(!page.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

/// The offers a claim can be for (running or paused), after "none".
async fn offer_choices(state: &AppState, pcn: PcnId) -> Result<Vec<(String, String)>, AppError> {
    use together_core::offers::OfferStatus;
    let mut out = vec![(String::new(), "None: general".to_owned())];
    out.extend(
        state
            .store()
            .offers(pcn)
            .await?
            .into_iter()
            .filter(|o| matches!(o.status, OfferStatus::Active | OfferStatus::Paused))
            .map(|o| (o.id.to_string(), o.name)),
    );
    Ok(out)
}

/// An offer that is not (or no longer) the PCN's, as the form's error.
fn offer_refused(field: &'static str) -> Vec<FieldError> {
    crate::layout::one_error(field, "Choose an offer from the list, or none")
}

async fn my_claims(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    render_mine(
        &state,
        &ctx,
        HoursForm::default(),
        ExpenseForm::default(),
        Vec::new(),
        "",
    )
    .await
}

async fn log_hours(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<HoursForm>,
) -> Result<Response, AppError> {
    let Some(me) = own_record(&state, &ctx).await? else {
        return Err(AppError::NotFound);
    };
    let hours = match form.parse(state.now().date()) {
        Ok(h) => h,
        Err(errors) => {
            return render_mine(&state, &ctx, form, ExpenseForm::default(), errors, "hours").await
        }
    };
    let audit = ctx.audit(
        &state,
        AuditAction::LogHours,
        "champion_hours",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .log_hours(me.pcn_id, me.id, &hours, &audit)
        .await
    {
        Ok(_) => Ok(Redirect::to("/champions/me/hours").into_response()),
        Err(StoreError::NotFound("offer")) => {
            let e = offer_refused("hours_offer_id");
            render_mine(&state, &ctx, form, ExpenseForm::default(), e, "hours").await
        }
        Err(e) => Err(e.into()),
    }
}

/// Reads the form and its receipt (kept in memory: it is at most 5 MB). `Err` in the inner
/// result is a message about the receipt for the form.
async fn read_expense(
    multipart: &mut Multipart,
) -> Result<(ExpenseForm, Result<Option<Vec<u8>>, String>), AppError> {
    let mut form = ExpenseForm::default();
    let mut receipt: Result<Option<Vec<u8>>, String> = Ok(None);
    while let Some(mut field) = multipart.next_field().await? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "receipt" {
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await? {
                if bytes.len() + chunk.len() > RECEIPT_MAX_BYTES {
                    receipt = Err(format!(
                        "The photo of the receipt must be {} MB or smaller",
                        RECEIPT_MAX_BYTES / (1024 * 1024)
                    ));
                    // Read the rest so the other fields still arrive.
                    while field.chunk().await?.is_some() {}
                    break;
                }
                bytes.extend_from_slice(&chunk);
            }
            if receipt.is_ok() && !bytes.is_empty() {
                receipt = Ok(Some(bytes));
            }
            continue;
        }
        let value = field.text().await?;
        match name.as_str() {
            "on" => form.on = value,
            "kind" => form.kind = value,
            "description" => form.description = value,
            "amount" => form.amount = value,
            "miles" => form.miles = value,
            "expense_offer_id" => form.offer_id = value,
            _ => {}
        }
    }
    Ok((form, receipt))
}

async fn claim_expense(
    State(state): State<AppState>,
    ctx: Ctx,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let Some(me) = own_record(&state, &ctx).await? else {
        return Err(AppError::NotFound);
    };
    let (form, receipt) = read_expense(&mut multipart).await?;
    let rate = mileage_rate(&state, me.pcn_id).await?;
    let today = state.now().date();
    let mut errors = Vec::new();
    let parsed = form.parse(today, rate).map_err(|e| errors.extend(e)).ok();
    let receipt = match receipt {
        Ok(Some(bytes)) => match receipt_type(&bytes) {
            Some((mime, ext)) => Some((bytes, mime, ext)),
            None => {
                errors.push(FieldError {
                    field: "receipt",
                    message: "The receipt must be a photo (JPEG, PNG, WebP or HEIC)".into(),
                });
                None
            }
        },
        Ok(None) => None,
        Err(message) => {
            errors.push(FieldError {
                field: "receipt",
                message,
            });
            None
        }
    };
    let expense = match parsed {
        Some(e) if errors.is_empty() => e,
        _ => return render_mine(&state, &ctx, HoursForm::default(), form, errors, "expense").await,
    };
    // The receipt is written beside the database, outside anything served as a file, and
    // removed again if the claim cannot be recorded: nothing is kept half-way.
    let kept = match &receipt {
        Some((bytes, mime, ext)) => {
            let dir = state.0.data_dir.join("uploads").join("receipts");
            let name = format!("{}.{ext}", uuid::Uuid::new_v4());
            let keep = async {
                tokio::fs::create_dir_all(&dir).await?;
                let partial = dir.join(format!("{name}.partial"));
                tokio::fs::write(&partial, bytes).await?;
                tokio::fs::rename(&partial, dir.join(&name)).await
            };
            keep.await
                .map_err(|e| AppError::Internal(format!("cannot keep the receipt: {e}")))?;
            Some((dir.join(&name), name, *mime))
        }
        None => None,
    };
    let audit = ctx.audit(
        &state,
        AuditAction::ClaimExpense,
        "champion_expense",
        None,
        Outcome::Allowed,
    );
    let recorded = state
        .store()
        .claim_expense(
            me.pcn_id,
            me.id,
            &expense,
            kept.as_ref().map(|(_, name, mime)| (name.as_str(), *mime)),
            &audit,
        )
        .await;
    if let (Err(_), Some((path, _, _))) = (&recorded, &kept) {
        let _ = tokio::fs::remove_file(path).await;
    }
    match recorded {
        Ok(_) => Ok(Redirect::to("/champions/me/hours").into_response()),
        Err(StoreError::NotFound("offer")) => {
            let e = offer_refused("expense_offer_id");
            render_mine(&state, &ctx, HoursForm::default(), form, e, "expense").await
        }
        Err(e) => Err(e.into()),
    }
}

async fn send_receipt(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    owner: Option<together_core::ChampionId>,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let audit = ctx.audit(
        state,
        AuditAction::ViewReceipt,
        "champion_expense",
        None,
        Outcome::Allowed,
    );
    let receipt = state
        .store()
        .receipt(pcn, id, &audit)
        .await?
        .filter(|r| owner.is_none_or(|o| o == r.champion_id))
        .ok_or(AppError::NotFound)?;
    // The stored name is Together's own (a UUID and an extension), never the uploader's.
    if receipt.file.contains(['/', '\\']) || receipt.file.starts_with('.') {
        return Err(AppError::NotFound);
    }
    let path = state
        .0
        .data_dir
        .join("uploads")
        .join("receipts")
        .join(&receipt.file);
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|_| AppError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, receipt.mime),
            (header::CONTENT_DISPOSITION, "inline".to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

async fn my_receipt(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let Some(me) = own_record(&state, &ctx).await? else {
        return Err(AppError::NotFound);
    };
    send_receipt(&state, &ctx, &id, Some(me.id)).await
}

async fn receipt_for_coordinator(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    send_receipt(&state, &ctx, &id, None).await
}

// ---- The coordinator's view ----

struct Total {
    label: String,
    time: String,
    value: String,
    money: String,
}

#[derive(Template)]
#[template(path = "champion_claims.html")]
struct ClaimsPage {
    layout: Layout,
    hours: Vec<HoursRow>,
    expenses: Vec<ExpenseRow>,
    /// (title, first column's heading, rows): by month, champion and home practice.
    tables: Vec<(&'static str, &'static str, Vec<Total>)>,
    total: Total,
    rate: i64,
    hourly: String,
    error: String,
}

/// Approved minutes and pence, gathered under a label.
#[derive(Default)]
struct Sum {
    minutes: i64,
    pence: i64,
}

fn totals(sums: BTreeMap<String, Sum>, hourly: i64) -> Vec<Total> {
    sums.into_iter()
        .map(|(label, s)| total(label, &s, hourly))
        .collect()
}

fn total(label: String, s: &Sum, hourly: i64) -> Total {
    Total {
        label,
        time: hours_text(s.minutes),
        value: money((s.minutes * hourly + 30) / 60),
        money: money(s.pence),
    }
}

async fn render_claims(state: &AppState, ctx: &Ctx, error: String) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let store = state.store();
    let audit = ctx.audit(
        state,
        AuditAction::ViewClaims,
        "champions",
        None,
        Outcome::Allowed,
    );
    let champions = store.champions(pcn, &audit).await?;
    let practices = store.practices(pcn).await?;
    let name_of = |id: together_core::ChampionId| {
        champions
            .iter()
            .find(|c| c.id == id)
            .map(|c| format!("{} {}", c.given_name, c.family_name))
            .unwrap_or_default()
    };
    let practice_of = |id: together_core::ChampionId| {
        champions
            .iter()
            .find(|c| c.id == id)
            .and_then(|c| c.home_practice_id)
            .and_then(|p| practices.iter().find(|x| x.id == p))
            .map(|p| p.name.clone())
            .unwrap_or_else(|| "No home practice".into())
    };
    let hours = store.hours(pcn, None).await?;
    let expenses = store.expenses(pcn, None, &audit).await?;
    let hourly = hourly_value(state, pcn).await?;
    let mut by_month: BTreeMap<String, Sum> = BTreeMap::new();
    let mut by_champion: BTreeMap<String, Sum> = BTreeMap::new();
    let mut by_practice: BTreeMap<String, Sum> = BTreeMap::new();
    let mut by_offer: BTreeMap<String, Sum> = BTreeMap::new();
    let offers = store.offers(pcn).await?;
    let offer_of = |id: Option<together_core::ServiceId>| {
        id.and_then(|id| offers.iter().find(|o| o.id == id))
            .map(|o| o.name.clone())
            .unwrap_or_else(|| "General, not one offer".into())
    };
    let mut all = Sum::default();
    let month = |d: &time::Date| format!("{}-{:02}", d.year(), d.month() as u8);
    for h in hours.iter().filter(|h| h.status == ClaimStatus::Approved) {
        for key in [
            (&mut by_month, month(&h.on)),
            (&mut by_champion, name_of(h.champion_id)),
            (&mut by_practice, practice_of(h.champion_id)),
            (&mut by_offer, offer_of(h.offer_id)),
        ] {
            key.0.entry(key.1).or_default().minutes += h.minutes;
        }
        all.minutes += h.minutes;
    }
    for e in expenses
        .iter()
        .filter(|e| e.status == ClaimStatus::Approved)
    {
        for key in [
            (&mut by_month, month(&e.on)),
            (&mut by_champion, name_of(e.champion_id)),
            (&mut by_practice, practice_of(e.champion_id)),
            (&mut by_offer, offer_of(e.offer_id)),
        ] {
            key.0.entry(key.1).or_default().pence += e.pence;
        }
        all.pence += e.pence;
    }
    let page = ClaimsPage {
        layout: Layout::new(state, ctx, "Hours and expenses"),
        hours: hours
            .iter()
            .filter(|h| h.status == ClaimStatus::Pending)
            .map(|h| hours_row(h, name_of(h.champion_id)))
            .collect(),
        expenses: expenses
            .iter()
            .filter(|e| e.status == ClaimStatus::Pending)
            .map(|e| expense_row(e, name_of(e.champion_id)))
            .collect(),
        tables: vec![
            ("By month", "Month", totals(by_month, hourly)),
            ("By champion", "Champion", totals(by_champion, hourly)),
            ("By home practice", "Practice", totals(by_practice, hourly)),
            ("By offer", "Offer", totals(by_offer, hourly)),
        ],
        total: total("All".into(), &all, hourly),
        rate: mileage_rate(state, pcn).await?,
        hourly: format!("{}.{:02}", hourly / 100, hourly % 100),
        error,
    };
    let status = form_status(!page.error.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

async fn claims(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    render_claims(&state, &ctx, String::new()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DecisionForm {
    /// "approve" or "reject".
    decision: String,
    reason: String,
}

async fn decide(
    state: &AppState,
    ctx: &Ctx,
    claim: Claim,
    id: &str,
    f: DecisionForm,
) -> Result<Response, AppError> {
    let approve = match f.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return render_claims(state, ctx, "Choose to approve or not".into()).await,
    };
    let audit = ctx.audit(
        state,
        AuditAction::DecideClaim,
        "claim",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .decide_claim(ctx.actor()?.pcn_id, claim, id, approve, &f.reason, &audit)
        .await
    {
        Ok(()) => Ok(Redirect::to("/champions/claims").into_response()),
        Err(StoreError::Refused(why)) => render_claims(state, ctx, why.to_string()).await,
        Err(e) => Err(e.into()),
    }
}

async fn decide_hours(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, AppError> {
    decide(&state, &ctx, Claim::Hours, &id, f).await
}

async fn decide_expense(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, AppError> {
    decide(&state, &ctx, Claim::Expense, &id, f).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SettingsForm {
    pence_per_mile: String,
    hourly_value: String,
}

async fn save_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<SettingsForm>,
) -> Result<Response, AppError> {
    let rate = f
        .pence_per_mile
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|p| (0..=100).contains(p));
    let hourly = together_core::hours_expenses::parse_pence(&f.hourly_value)
        .filter(|p| (0..=10_000).contains(p));
    let (Some(rate), Some(hourly)) = (rate, hourly) else {
        return render_claims(
            &state,
            &ctx,
            "Enter the mileage rate in pence (0 to 100) and the value of an hour in pounds (up to £100)"
                .into(),
        )
        .await;
    };
    let pcn = ctx.actor()?.pcn_id;
    let audit = ctx.audit(
        &state,
        AuditAction::SetClaimSettings,
        "setting",
        None,
        Outcome::Allowed,
    );
    state
        .store()
        .set_setting(pcn, MILEAGE_RATE_SETTING, &rate.to_string(), &audit)
        .await?;
    state
        .store()
        .set_setting(pcn, HOURLY_VALUE_SETTING, &hourly.to_string(), &audit)
        .await?;
    Ok(Redirect::to("/champions/claims").into_response())
}
