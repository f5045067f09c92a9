//! Champions, one module per page or area: the public expression-of-interest form (`join`),
//! the journey board (`board`) and each champion's record (`record`) for the PCN administrator
//! (who is the volunteer coordinator), the compliance dashboard (`compliance`), workshops,
//! roles, the invitation texts (`invite`), the spreadsheet import and download
//! (`spreadsheet`), subject access and erasure (`subject_access`), and a champion's own page
//! (`mine`). This module holds the routes and what several of them share.

mod board;
mod compliance;
mod invite;
mod join;
mod mine;
mod record;
mod roles;
mod spreadsheet;
mod subject_access;
mod workshops;

use crate::context::Ctx;
use crate::error::AppError;
pub(crate) use crate::layout::one_error;
use crate::layout::{date, field_error, form_status, when, Layout};
use crate::policy_router::{Policy, Routes};
use crate::security::{form_stamp, public_post, PublicPost};
use crate::state::AppState;
use crate::subject_access::download;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use board::*;
use compliance::*;
use invite::*;
pub(crate) use join::public_pcn;
use join::*;
use mine::*;
use record::*;
use roles::*;
use serde::Deserialize;
pub use spreadsheet::champions_csv;
use spreadsheet::*;
use std::collections::HashMap;
use subject_access::*;
use time::Duration;
use together_core::champions::{
    label_of, renewal_years, training_label, BadgeForm, Clearance, ContactForm, DbsLevel,
    DbsResultForm, Due, EmergencyContactForm, InterestForm, ProfileForm, RoleForm, Stage,
    TrainingForm, WorkshopForm, AVAILABILITY, DBS_RENEWAL_SETTING, INTERESTS, TRAINING,
};
use together_core::people::FieldError;
use together_core::{Action, ChampionId, ChampionRoleId, PcnId, Role};
use together_formats::champions::{write_champions, ChampionLine};
use together_store::champions::{Champion, ChampionRole, ChampionStep, DbsCheck};
use together_store::{
    Channel, NewMessage, NewUser, Outcome, Pcn, Practice, StoreError, TokenKind, UserStatus,
};
use workshops::*;

pub(crate) fn routes(r: Routes) -> Routes {
    let manage = Policy::Allow(Action::ManageChampions);
    r.get("/join", Policy::Public, join_page)
        .post("/join", Policy::Public, join_submit)
        .get("/champions", manage, board)
        .get("/champions/roles", manage, roles_page)
        .post("/champions/roles", manage, add_role)
        .post("/champions/roles/risk", manage, add_role_risk)
        .get("/champions/invite", manage, invite_texts)
        .get("/champions/compliance", manage, compliance)
        .get("/champions/export.csv", manage, export_all)
        .get("/champions/import", manage, import_page)
        .post("/champions/import", manage, import_file)
        .get("/champions/workshops", manage, workshops)
        .post("/champions/workshops", manage, add_workshop)
        .post("/champions/workshops/{id}/book", manage, book_workshop)
        .post(
            "/champions/workshops/{id}/attendance",
            manage,
            mark_attendance,
        )
        .post("/champions/compliance", manage, save_renewal_years)
        .get(
            "/champions/me",
            Policy::Allow(Action::OwnChampionRecord),
            my_progress,
        )
        .post(
            "/champions/me/step",
            Policy::Allow(Action::OwnChampionRecord),
            my_step,
        )
        .post(
            "/champions/me/details",
            Policy::Allow(Action::OwnChampionRecord),
            my_details,
        )
        .get("/champions/{id}", manage, record)
        .post("/champions/{id}/move", manage, move_champion)
        .get("/champions/{id}/export.json", manage, export_json)
        .get("/champions/{id}/export.csv", manage, export_csv)
        .post("/champions/{id}/erase", manage, erase)
        .post("/champions/{id}/roles", manage, give_role)
        .post("/champions/{id}/badges", manage, issue_badge)
        .post(
            "/champions/{id}/badges/{badge}/returned",
            manage,
            return_badge,
        )
        .post("/champions/{id}/training", manage, record_training)
        .post("/champions/{id}/profile", manage, update_profile)
        .post(
            "/champions/{id}/emergency-contacts",
            manage,
            add_emergency_contact,
        )
        .post("/champions/{id}/dbs", manage, request_dbs)
        .post("/champions/{id}/dbs/{check}", manage, record_dbs_result)
        .post(
            "/champions/{id}/dbs/{check}/renewal",
            manage,
            renewal_in_progress,
        )
}

/// The signed-in user's own champion record (audited as a read of it); `None` when their
/// account is not linked to one yet. Every page and API call about "my" record starts here.
pub(crate) async fn own_record(
    state: &AppState,
    ctx: &Ctx,
) -> Result<Option<together_store::champions::Champion>, AppError> {
    let actor = ctx.actor()?;
    let audit = ctx.audit(
        state,
        "view_own_champion_record",
        "champion",
        None,
        together_store::Outcome::Allowed,
    );
    Ok(state
        .store()
        .champion_of_user(actor.pcn_id, actor.user_id, &audit)
        .await?)
}

fn champion_id(id: &str) -> Result<ChampionId, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

async fn practice_names(
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

fn interests_text(c: &Champion) -> String {
    c.interests
        .iter()
        .map(|k| label_of(INTERESTS, k))
        .collect::<Vec<_>>()
        .join(", ")
}

struct StepRow {
    to: &'static str,
    from: &'static str,
    at: String,
    by: String,
    reason: String,
}

struct BadgeRow {
    id: String,
    number: String,
    issued: String,
    expires: String,
    returned: String,
}

struct TrainingRow {
    module: String,
    completed: String,
    /// Empty when it does not expire.
    expires: String,
}

fn badge_rows(badges: &[together_store::champions::Badge]) -> Vec<BadgeRow> {
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

fn training_rows(training: &[together_store::champions::Training]) -> Vec<TrainingRow> {
    training
        .iter()
        .map(|t| TrainingRow {
            module: training_label(&t.module),
            completed: date(&t.completed_on),
            expires: t.expires_on.as_ref().map(date).unwrap_or_default(),
        })
        .collect()
}

async fn step_rows(
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
fn first_error(errors: Vec<FieldError>) -> (String, String) {
    errors
        .into_iter()
        .next()
        .map(|e| (e.field.to_owned(), e.message))
        .unwrap_or_default()
}
