//! What the champions pages share: a champion's own record, their ids and practices, and the
//! rows their record is shown in.

pub(super) use crate::context::Ctx;
pub(super) use crate::error::AppError;
pub(super) use crate::layout::one_error;
pub(super) use crate::layout::{date, field_error, form_status, when, Layout};
pub(super) use crate::security::{public_post, PublicPost};
pub(super) use crate::state::AppState;
pub(super) use crate::subject_access::download;
pub(super) use crate::tokens::form_stamp;
pub(super) use askama::Template;
pub(super) use axum::extract::{Path, Query, State};
pub(super) use axum::response::{Html, IntoResponse, Redirect, Response};
pub(super) use axum::Form;
pub(super) use serde::Deserialize;
pub(super) use std::collections::HashMap;
pub(super) use time::Duration;
use together_core::audit::AuditAction;
pub(super) use together_core::champions::{
    label_of, training_label, BadgeForm, Clearance, ContactForm, DbsLevel, DbsResultForm, Due,
    EmergencyContactForm, InterestForm, ProfileForm, RoleForm, Stage, TrainingForm, WorkshopForm,
    AVAILABILITY, DBS_RENEWAL_SETTING, INTERESTS, TRAINING,
};
pub(super) use together_core::people::FieldError;
pub(super) use together_core::{ChampionId, ChampionRoleId, PcnId, Role};
pub(super) use together_store::champions::{Champion, ChampionRole, ChampionStep, DbsCheck};
pub(super) use together_store::{
    Channel, NewMessage, NewUser, Outcome, Pcn, Practice, StoreError, TokenKind, UserStatus,
};

/// The signed-in user's own champion record (audited as a read of it); `None` when their
/// account is not linked to one yet.
pub(crate) async fn own_record(
    state: &AppState,
    ctx: &Ctx,
) -> Result<Option<together_store::champions::Champion>, AppError> {
    let actor = ctx.actor()?;
    let audit = ctx.audit(
        state,
        AuditAction::ViewOwnChampionRecord,
        "champion",
        None,
        together_store::Outcome::Allowed,
    );
    Ok(together_app::champions::own_record(state.store(), actor, &audit).await?)
}

pub(super) async fn practice_names(
    state: &AppState,
    pcn: PcnId,
) -> Result<HashMap<together_core::PracticeId, String>, AppError> {
    Ok(state
        .store()
        .practices(pcn)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect())
}

pub(super) fn interests_text(c: &Champion) -> String {
    c.interests
        .iter()
        .map(|k| label_of(INTERESTS, k))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) struct StepRow {
    pub(super) to: &'static str,
    pub(super) from: &'static str,
    pub(super) at: String,
    pub(super) by: String,
    pub(super) reason: String,
}

pub(super) struct BadgeRow {
    pub(super) id: String,
    pub(super) number: String,
    pub(super) issued: String,
    pub(super) expires: String,
    pub(super) returned: String,
}

pub(super) struct TrainingRow {
    pub(super) module: String,
    pub(super) completed: String,
    /// Empty when it does not expire.
    pub(super) expires: String,
}

pub(super) fn badge_rows(badges: &[together_store::champions::Badge]) -> Vec<BadgeRow> {
    badges
        .iter()
        .map(|b| BadgeRow {
            id: b.id.clone(),
            number: b.number.clone(),
            issued: date(&b.issued_on),
            expires: date(&b.expires_on),
            returned: b.returned_on.as_ref().map(date).unwrap_or_default(),
        })
        .collect()
}

pub(super) fn training_rows(training: &[together_store::champions::Training]) -> Vec<TrainingRow> {
    training
        .iter()
        .map(|t| TrainingRow {
            module: training_label(&t.module),
            completed: date(&t.completed_on),
            expires: t.expires_on.as_ref().map(date).unwrap_or_default(),
        })
        .collect()
}

pub(super) async fn step_rows(
    state: &AppState,
    pcn: PcnId,
    steps: Vec<ChampionStep>,
) -> Result<Vec<StepRow>, AppError> {
    let names: HashMap<String, String> = state
        .store()
        .users(pcn)
        .await?
        .into_iter()
        .map(|u| (format!("user:{}", u.id), u.display_name))
        .collect();
    Ok(steps
        .into_iter()
        .map(|s| StepRow {
            to: s.to.label(),
            from: s.from.map(|f| f.label()).unwrap_or(""),
            at: when(&s.at),
            by: match s.actor.as_str() {
                "anonymous" => "They did, on the form".into(),
                a => names
                    .get(a)
                    .cloned()
                    .unwrap_or_else(|| a.trim_start_matches("cli:").to_owned()),
            },
            reason: s.reason,
        })
        .collect())
}

/// The first of a form's errors, as (field, message) for the record page.
pub(super) fn first_error(errors: Vec<FieldError>) -> (String, String) {
    errors
        .into_iter()
        .next()
        .map(|e| (e.field.to_owned(), e.message))
        .unwrap_or_default()
}
