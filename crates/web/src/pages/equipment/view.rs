//! What equipment pages and a person's record show of loans: the rows, a person's loans and
//! readings, and a champion's own loans.

use crate::context::Ctx;
use crate::error::AppError;
use crate::layout::date;
use crate::pages::people::may;
use crate::state::AppState;
use together_core::audit::AuditAction;
use together_core::loans::{average, home_threshold, DEFAULT_LOAN_DAYS};
use together_core::{Action, PersonId};
use together_store::loans::{Loan, LoanFilter};
use together_store::Outcome;

pub(super) fn label(list: &[(&'static str, &'static str)], key: &str) -> String {
    together_core::champions::label_of(list, key)
}

/// A loan as the lists show it.
pub(crate) struct LoanRow {
    pub item: String,
    pub item_href: String,
    pub person: String,
    pub person_href: String,
    pub reach: String,
    pub handler: String,
    pub lent_on: String,
    pub due_on: String,
    pub returned: String,
    pub overdue: bool,
    pub return_href: String,
}

pub(super) fn loan_row(l: &Loan, today: time::Date) -> LoanRow {
    LoanRow {
        item: format!("{} ({})", l.item_name, l.serial),
        item_href: crate::paths::equipment::record(l.item_id),
        person: l.person_label.clone(),
        person_href: crate::paths::people::record(l.person_id),
        reach: l.reach.clone().unwrap_or_default(),
        handler: l.handler_name.clone().unwrap_or_else(|| "Nobody".into()),
        lent_on: date(&l.lent_on),
        due_on: date(&l.due_on),
        returned: l.returned_on.map(|d| date(&d)).unwrap_or_default(),
        overdue: l.overdue(today),
        return_href: if l.returned_on.is_none() {
            crate::paths::loans::give_back(l.id)
        } else {
            String::new()
        },
    }
}

/// Loans matching a filter, audited as one read of people's names.
pub(super) async fn loans(
    state: &AppState,
    ctx: &Ctx,
    filter: &LoanFilter,
) -> Result<Vec<Loan>, AppError> {
    let audit = ctx.audit(
        state,
        AuditAction::ListLoans,
        "equipment_loan",
        None,
        Outcome::Allowed,
    );
    Ok(state
        .store()
        .loans(ctx.actor()?.pcn_id, filter, &audit)
        .await?)
}

/// The equipment part of a person's page: their loans, the lending form for those who may
/// lend, and the readings for their own clinicians only.
pub(crate) struct PersonEquipment {
    pub can_lend: bool,
    pub loans: Vec<LoanRow>,
    pub available: Vec<(String, String)>,
    pub handlers: Vec<(String, String)>,
    pub due_hint: String,
    pub readings: Option<Vec<ReadingRow>>,
}

/// One set of readings brought back, for the clinician.
pub(crate) struct ReadingRow {
    pub when: String,
    pub item: String,
    pub average: String,
    pub threshold: &'static str,
    pub count: String,
    pub each: Vec<String>,
}

/// How the policy answers this actor about this person for `action`.
pub(crate) async fn person_equipment(
    state: &AppState,
    ctx: &Ctx,
    person: PersonId,
) -> Result<PersonEquipment, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let today = state.now().date();
    let can_lend = may(state, ctx, person, Action::LendEquipment).await?;
    let filter = LoanFilter {
        person: Some(person),
        ..LoanFilter::default()
    };
    let list = loans(state, ctx, &filter).await?;
    let (available, handlers) = if can_lend {
        let store = state.store();
        let available = store
            .items(pcn)
            .await?
            .into_iter()
            .filter(|i| i.not_lendable().is_none())
            .map(|i| (i.id.to_string(), format!("{} ({})", i.name, i.serial)))
            .collect();
        let leads: Vec<together_core::ChampionId> = store
            .offers(pcn)
            .await?
            .into_iter()
            .filter(|o| o.kind == "equipment_loan")
            .flat_map(|o| o.leads)
            .collect();
        let audit = ctx.audit(
            state,
            AuditAction::ListLoanHandlers,
            "champion",
            None,
            Outcome::Allowed,
        );
        let mut handlers = vec![("".to_owned(), "Nobody: it is collected".to_owned())];
        handlers.extend(
            store
                .champions(pcn, &audit)
                .await?
                .into_iter()
                .filter(|c| leads.contains(&c.id))
                .map(|c| {
                    (
                        c.id.to_string(),
                        format!("{} {}", c.given_name, c.family_name),
                    )
                }),
        );
        (available, handlers)
    } else {
        (Vec::new(), Vec::new())
    };
    let readings = if may(state, ctx, person, Action::ViewReadings).await? {
        let audit = ctx.audit(
            state,
            AuditAction::ViewBpReadings,
            "bp_readings",
            Some(person.to_string()),
            Outcome::Allowed,
        );
        let sets = state.store().bp_readings(pcn, person, &audit).await?;
        Some(
            sets.iter()
                .filter_map(|s| {
                    let avg = average(&s.readings)?;
                    Some(ReadingRow {
                        when: s.returned_on.map(|d| date(&d)).unwrap_or_default(),
                        item: s.item_name.clone().unwrap_or_default(),
                        average: avg.to_string(),
                        threshold: home_threshold(&avg),
                        count: match s.average_of {
                            Some(n) => format!("Their own average of {n} readings"),
                            None => format!("Average of {} readings", s.readings.len()),
                        },
                        each: if s.average_of.is_some() {
                            Vec::new()
                        } else {
                            s.readings.iter().map(ToString::to_string).collect()
                        },
                    })
                })
                .collect(),
        )
    } else {
        None
    };
    Ok(PersonEquipment {
        can_lend,
        loans: list.iter().map(|l| loan_row(l, today)).collect(),
        available,
        handlers,
        due_hint: format!(
            "Leave empty for two weeks from today ({})",
            together_core::people::uk_date(today + time::Duration::days(DEFAULT_LOAN_DAYS))
        ),
        readings,
    })
}

/// The loans a champion handles that are still out, for My sessions.
pub(crate) async fn my_loans(
    state: &AppState,
    ctx: &Ctx,
    me: together_core::ChampionId,
) -> Result<Vec<LoanRow>, AppError> {
    let today = state.now().date();
    let filter = LoanFilter {
        handled_by: Some(me),
        open_only: true,
        ..LoanFilter::default()
    };
    Ok(loans(state, ctx, &filter)
        .await?
        .iter()
        .map(|l| loan_row(l, today))
        .collect())
}
