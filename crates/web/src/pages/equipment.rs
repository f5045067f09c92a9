//! Equipment loans: the coordinator keeps the inventory (condition, cleaning, every loan and
//! what is overdue); whoever looks after a person lends them an item from their record; the
//! champion asked to handle a loan sees it on My sessions and records its return with the
//! readings brought back, which only the person's own clinicians read (on the person's page).

mod view;
use crate::context::{denied, Ctx};
use crate::error::path_id;
use crate::error::AppError;
use crate::layout::{date, form_status, one_error, Layout, Problem};
use crate::pages::champions::own_record;
use crate::pages::people::may;
use crate::policy_router::{Policy, Routes};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use together_core::audit::AuditAction;
use together_core::loans::{CleaningForm, ItemForm, LoanForm, ReturnForm, CONDITIONS, ITEM_KINDS};
use together_core::{authorize, Action, ItemId, LoanId, Resource};
use together_store::loans::{Item, Loan, LoanFilter};
use together_store::{Outcome, StoreError};
use view::*;
pub(crate) use view::{my_loans, person_equipment, LoanRow, PersonEquipment};

pub(crate) fn routes(r: Routes) -> Routes {
    let manage = Policy::Allow(Action::ManageEquipment);
    // The return is the coordinator's or the handling champion's: checked in the handler.
    let signed_in = Policy::Allow(Action::UseAccount);
    r.get("/equipment", manage, inventory)
        .post("/equipment", manage, add_item)
        .get("/equipment/{id}", manage, item_page)
        .post("/equipment/{id}/condition", manage, set_condition)
        .post("/equipment/{id}/cleanings", manage, add_cleaning)
        .get("/loans/{id}/return", signed_in, return_page)
        .post("/loans/{id}/return", signed_in, record_return)
        .post(
            "/people/{id}/loans",
            Policy::Allow(Action::FindPeople),
            lend,
        )
}

/// Where an item is, as a tag: (text, colour).
fn item_status(i: &Item, today: time::Date) -> (String, &'static str) {
    match i.due_on {
        Some(due) if due < today => (format!("Overdue since {}", date(&due)), "red"),
        Some(due) => (format!("On loan until {}", date(&due)), "blue"),
        None if !together_core::loans::lendable(&i.condition) => {
            (label(CONDITIONS, &i.condition), "grey")
        }
        None if i.needs_cleaning() => ("To be cleaned".into(), "yellow"),
        None => ("Ready to lend".into(), "green"),
    }
}

struct ItemRow {
    href: String,
    name: String,
    serial: String,
    kind: String,
    status: (String, &'static str),
    cleaned: String,
}

fn item_row(i: &Item, today: time::Date) -> ItemRow {
    ItemRow {
        href: crate::paths::equipment::record(i.id),
        name: i.name.clone(),
        serial: i.serial.clone(),
        kind: label(ITEM_KINDS, &i.kind),
        status: item_status(i, today),
        cleaned: i
            .last_cleaned
            .map(|d| date(&d))
            .unwrap_or_else(|| "Not yet".into()),
    }
}

/// The PCN's equipment-loan offers, for the inventory's select.
async fn loan_offers(state: &AppState, ctx: &Ctx) -> Result<Vec<(String, String)>, AppError> {
    let mut out = vec![("".into(), "None".into())];
    out.extend(
        state
            .store()
            .offers(ctx.actor()?.pcn_id)
            .await?
            .into_iter()
            .filter(|o| o.kind == "equipment_loan")
            .map(|o| (o.id.to_string(), o.name)),
    );
    Ok(out)
}

#[derive(Template)]
#[template(path = "equipment.html")]
struct InventoryPage {
    layout: Layout,
    items: Vec<ItemRow>,
    open: Vec<LoanRow>,
    /// How many are overdue, said once (empty when none).
    overdue: String,
    kinds: Vec<(String, String)>,
    conditions: Vec<(String, String)>,
    offers: Vec<(String, String)>,
    form: ItemForm,
    problem: Problem,
}

fn options(list: &[(&'static str, &'static str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, l)| ((*k).to_owned(), (*l).to_owned()))
        .collect()
}

async fn render_inventory(
    state: &AppState,
    ctx: &Ctx,
    form: ItemForm,
    problem: Problem,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let today = state.now().date();
    let items = state.store().items(pcn).await?;
    let open = loans(
        state,
        ctx,
        &LoanFilter {
            open_only: true,
            ..LoanFilter::default()
        },
    )
    .await?;
    let page = InventoryPage {
        layout: Layout::new(state, ctx, "Equipment"),
        items: items.iter().map(|i| item_row(i, today)).collect(),
        overdue: match open.iter().filter(|l| l.overdue(today)).count() {
            0 => String::new(),
            n => format!("{n} overdue: the person (if they agreed to messages) and whoever handles the loan are reminded once a week."),
        },
        open: open.iter().map(|l| loan_row(l, today)).collect(),
        kinds: options(ITEM_KINDS),
        conditions: options(CONDITIONS),
        offers: loan_offers(state, ctx).await?,
        form,
        problem,
    };
    let status = form_status(!page.problem.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

async fn inventory(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let form = ItemForm {
        item_kind: "blood_pressure_monitor".into(),
        condition: "good".into(),
        ..ItemForm::default()
    };
    render_inventory(&state, &ctx, form, Problem::none()).await
}

async fn add_item(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<ItemForm>,
) -> Result<Response, AppError> {
    let item = match form.parse() {
        Ok(i) => i,
        Err(errors) => {
            return render_inventory(&state, &ctx, form, Problem::of("item", errors)).await
        }
    };
    let audit = ctx.audit(
        &state,
        AuditAction::AddItem,
        "equipment_item",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .add_item(ctx.actor()?.pcn_id, &item, &audit)
        .await
    {
        Ok(id) => Ok(Redirect::to(&crate::paths::equipment::record(id)).into_response()),
        Err(StoreError::Refused(why)) => {
            render_inventory(
                &state,
                &ctx,
                form,
                Problem::of("item", one_error("serial", why.to_string())),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "equipment_item.html")]
struct ItemPage {
    layout: Layout,
    id: String,
    name: String,
    serial: String,
    kind: String,
    condition: String,
    offer: String,
    notes: String,
    status: (String, &'static str),
    conditions: Vec<(String, String)>,
    cleanings: Vec<(String, String, String)>,
    history: Vec<LoanRow>,
    problem: Problem,
}

async fn render_item(
    state: &AppState,
    ctx: &Ctx,
    id: ItemId,
    problem: Problem,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let today = state.now().date();
    let item = match state.store().item(pcn, id).await {
        Err(StoreError::NotFound(_)) => return Err(AppError::NotFound),
        other => other?,
    };
    let cleanings = state
        .store()
        .cleanings(pcn, id)
        .await?
        .into_iter()
        .map(|c| (date(&c.cleaned_on), c.note, c.recorded_by))
        .collect();
    let history = loans(
        state,
        ctx,
        &LoanFilter {
            item: Some(id),
            ..LoanFilter::default()
        },
    )
    .await?;
    let page = ItemPage {
        layout: Layout::new(state, ctx, &item.name),
        id: id.to_string(),
        kind: label(ITEM_KINDS, &item.kind),
        status: item_status(&item, today),
        offer: item.offer_name.clone().unwrap_or_else(|| "None".into()),
        conditions: options(CONDITIONS),
        cleanings,
        history: history.iter().map(|l| loan_row(l, today)).collect(),
        problem,
        name: item.name,
        serial: item.serial,
        condition: item.condition,
        notes: item.notes,
    };
    let status = form_status(!page.problem.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

async fn item_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    render_item(&state, &ctx, path_id(&id)?, Problem::none()).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ConditionForm {
    condition: String,
}

async fn set_condition(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<ConditionForm>,
) -> Result<Response, AppError> {
    let id: ItemId = path_id(&id)?;
    let audit = ctx.audit(
        &state,
        AuditAction::SetItemCondition,
        "equipment_item",
        Some(id.to_string()),
        Outcome::Allowed,
    );
    match state
        .store()
        .set_item_condition(ctx.actor()?.pcn_id, id, &form.condition, &audit)
        .await
    {
        Ok(()) => Ok(Redirect::to(&crate::paths::equipment::record(id)).into_response()),
        Err(StoreError::Refused(why)) => {
            render_item(
                &state,
                &ctx,
                id,
                Problem::of("condition", one_error("condition", why.to_string())),
            )
            .await
        }
        Err(StoreError::NotFound(_)) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

async fn add_cleaning(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<CleaningForm>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let cleaning = match form.parse(state.now().date()) {
        Ok(c) => c,
        Err(errors) => {
            return render_item(&state, &ctx, id, Problem::of("cleaning", errors)).await;
        }
    };
    let audit = ctx.audit(
        &state,
        AuditAction::RecordCleaning,
        "equipment_item",
        Some(id.to_string()),
        Outcome::Allowed,
    );
    match state
        .store()
        .add_cleaning(ctx.actor()?.pcn_id, id, &cleaning, &audit)
        .await
    {
        Ok(()) => Ok(Redirect::to(&crate::paths::equipment::record(id)).into_response()),
        Err(StoreError::NotFound(_)) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// Whose return this actor may record: every loan (`None`, the coordinator) or only those a
/// champion handles; `Err(NotFound)` for anyone else.
async fn returner(
    state: &AppState,
    ctx: &Ctx,
) -> Result<Option<together_core::ChampionId>, AppError> {
    let actor = ctx.actor()?;
    let pcn = Resource::Pcn(actor.pcn_id);
    if authorize(actor, Action::ManageEquipment, &pcn).is_allowed() {
        return Ok(None);
    }
    if authorize(actor, Action::HandleLoans, &pcn).is_allowed() {
        if let Some(me) = own_record(state, ctx).await? {
            return Ok(Some(me.id));
        }
    }
    denied(
        state,
        ctx,
        together_core::audit::AuditAction::RecordReturn,
        "equipment_loan",
        None,
    )
    .await;
    Err(AppError::NotFound)
}

/// The loan, if this actor may record its return.
async fn loan_for(state: &AppState, ctx: &Ctx, id: LoanId) -> Result<(Loan, bool), AppError> {
    let handler = returner(state, ctx).await?;
    let filter = LoanFilter {
        id: Some(id),
        handled_by: handler,
        // A champion's part ends when it comes back.
        open_only: handler.is_some(),
        ..LoanFilter::default()
    };
    let loan = loans(state, ctx, &filter)
        .await?
        .pop()
        .ok_or(AppError::NotFound)?;
    Ok((loan, handler.is_some()))
}

#[derive(Template)]
#[template(path = "loan_return.html")]
struct ReturnPage {
    layout: Layout,
    id: String,
    loan: LoanRow,
    /// A champion: their readings go to the practice and they will not see them again.
    champion: bool,
    back: String,
    conditions: Vec<(String, String)>,
    form: ReturnForm,
    problem: Problem,
}

async fn render_return(
    state: &AppState,
    ctx: &Ctx,
    id: LoanId,
    form: ReturnForm,
    problem: Problem,
) -> Result<Response, AppError> {
    let (loan, champion) = loan_for(state, ctx, id).await?;
    let today = state.now().date();
    let page = ReturnPage {
        layout: Layout::new(state, ctx, &format!("{} came back", loan.item_name)),
        id: id.to_string(),
        back: if champion {
            "/sessions/rota".into()
        } else {
            crate::paths::equipment::record(loan.item_id)
        },
        loan: loan_row(&loan, today),
        champion,
        conditions: options(CONDITIONS),
        form,
        problem,
    };
    let status = form_status(!page.problem.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

async fn return_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let form = ReturnForm {
        condition: "good".into(),
        ..ReturnForm::default()
    };
    render_return(&state, &ctx, path_id(&id)?, form, Problem::none()).await
}

async fn record_return(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<ReturnForm>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let (loan, champion) = loan_for(&state, &ctx, id).await?;
    let back = match form.parse(state.now().date(), loan.lent_on) {
        Ok(b) => b,
        Err(errors) => {
            return render_return(&state, &ctx, id, form, Problem::of("return", errors)).await
        }
    };
    let audit = ctx.audit(
        &state,
        AuditAction::RecordReturn,
        "equipment_loan",
        Some(id.to_string()),
        Outcome::Allowed,
    );
    let handler = if champion { loan.handled_by } else { None };
    match state
        .store()
        .return_loan(ctx.actor()?.pcn_id, id, handler, &back, &audit)
        .await
    {
        Ok(()) if champion => Ok(Redirect::to("/sessions/rota").into_response()),
        Ok(()) => Ok(Redirect::to(&crate::paths::equipment::record(loan.item_id)).into_response()),
        Err(StoreError::Refused(why)) => {
            render_return(
                &state,
                &ctx,
                id,
                form,
                Problem::of("return", one_error("returned_on", why.to_string())),
            )
            .await
        }
        Err(StoreError::NotFound(_)) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

async fn lend(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<LoanForm>,
) -> Result<Response, AppError> {
    let person = path_id(&id)?;
    if !may(&state, &ctx, person, Action::LendEquipment).await? {
        denied(
            &state,
            &ctx,
            together_core::audit::AuditAction::Lend,
            "person",
            Some(person.to_string()),
        )
        .await;
        return Err(AppError::NotFound);
    }
    let fail =
        |errors| crate::pages::people::show_with(&state, &ctx, person, Problem::of("loan", errors));
    let loan = match form.parse(state.now().date()) {
        Ok(l) => l,
        Err(errors) => return fail(errors).await,
    };
    let audit = ctx.audit(
        &state,
        AuditAction::Lend,
        "person",
        Some(person.to_string()),
        Outcome::Allowed,
    );
    match state
        .store()
        .lend(ctx.actor()?.pcn_id, person, &loan, &audit)
        .await
    {
        Ok(_) => {
            Ok(Redirect::to(&crate::paths::people::section(person, "equipment")).into_response())
        }
        Err(StoreError::Refused(why)) => fail(one_error("item_id", why.to_string())).await,
        Err(StoreError::NotFound("champion")) => {
            fail(one_error("handled_by", "Choose a champion from the list")).await
        }
        Err(StoreError::NotFound(_)) => {
            fail(one_error("item_id", "Choose an item from the list")).await
        }
        Err(e) => Err(e.into()),
    }
}
