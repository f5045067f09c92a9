//! One champion's record: moving them on (and inviting them to an account when they become
//! active), roles, DBS checks and their results, ID badges, training and emergency contacts.

use super::common::*;
use crate::error::path_id;
use together_core::audit::AuditAction;

pub(super) struct CheckRow {
    id: String,
    pending: bool,
    role: String,
    level: &'static str,
    requested: String,
    result: String,
}

#[derive(Template)]
#[template(path = "champion.html")]
pub(super) struct RecordPage {
    layout: Layout,
    c: Champion,
    practice: String,
    since: String,
    consented: String,
    interests: String,
    availability: String,
    steps: Vec<StepRow>,
    moves: Vec<Stage>,
    held: Vec<ChampionRole>,
    roles: Vec<ChampionRole>,
    checks: Vec<CheckRow>,
    badges: Vec<BadgeRow>,
    training: Vec<TrainingRow>,
    modules: Vec<(&'static str, &'static str)>,
    contacts: Vec<together_store::champions::EmergencyContact>,
    /// (id, name, theirs) of the PCN's practices, for the home practice.
    practices: Vec<(String, String, bool)>,
    /// (key, label, chosen)
    interest_choices: Vec<(&'static str, &'static str, bool)>,
    availability_choices: Vec<(&'static str, &'static str, bool)>,
    /// The check whose result is asked for next (one at a time).
    pending: Option<String>,
    levels: Vec<(&'static str, &'static str)>,
    /// An error from one of the record's forms: (field, message).
    error: (String, String),
    notice: String,
}

pub(super) fn check_rows(checks: Vec<DbsCheck>, roles: &[ChampionRole]) -> Vec<CheckRow> {
    checks
        .into_iter()
        .map(|c| CheckRow {
            id: c.id.clone(),
            pending: c.clear.is_none(),
            role: roles
                .iter()
                .find(|r| r.id == c.role_id)
                .map(|r| r.name.clone())
                .unwrap_or_default(),
            level: c.level.label(),
            requested: when(&c.requested_at),
            result: match (c.clear, c.issued_on) {
                (Some(true), Some(d)) => format!("Clear, issued {}", date(&d)),
                (Some(true), None) => "Clear".into(),
                (Some(false), _) => "Not clear".into(),
                (None, _) => "Waiting for the result".into(),
            },
        })
        .collect()
}

pub(super) async fn render_record(
    state: &AppState,
    ctx: &Ctx,
    id: ChampionId,
    error: (String, String),
    notice: String,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let audit = ctx.audit(
        state,
        AuditAction::ViewChampion,
        "champion",
        None,
        Outcome::Allowed,
    );
    let store = state.store();
    let c = store
        .read_champion(pcn, id, &audit)
        .await?
        .ok_or(AppError::NotFound)?;
    let steps = step_rows(state, pcn, store.champion_steps(pcn, id).await?).await?;
    let roles = store.champion_roles(pcn).await?;
    let held = store.roles_of_champion(pcn, id).await?;
    let dbs_audit = ctx.audit(
        state,
        AuditAction::ViewDbs,
        "champion_dbs",
        None,
        Outcome::Allowed,
    );
    let checks = check_rows(store.dbs_checks(pcn, id, &dbs_audit).await?, &roles);
    let all_practices = store.practices(pcn).await?;
    let practice = c
        .home_practice_id
        .and_then(|p| all_practices.iter().find(|x| x.id == p))
        .map(|p| p.name.clone())
        .unwrap_or_else(|| "Not registered at one of the PCN's practices".into());
    let page = RecordPage {
        practices: all_practices
            .into_iter()
            .map(|p| (p.id.to_string(), p.name, c.home_practice_id == Some(p.id)))
            .collect(),
        interest_choices: INTERESTS
            .iter()
            .map(|(k, l)| (*k, *l, c.interests.iter().any(|i| i == k)))
            .collect(),
        availability_choices: AVAILABILITY
            .iter()
            .map(|(k, l)| (*k, *l, c.availability.iter().any(|i| i == k)))
            .collect(),
        layout: Layout::new(state, ctx, &format!("{} {}", c.given_name, c.family_name)),
        practice,
        since: date(&c.stage_since.date()),
        consented: when(&c.contact_consent_at),
        interests: interests_text(&c),
        availability: c
            .availability
            .iter()
            .map(|k| label_of(AVAILABILITY, k))
            .collect::<Vec<_>>()
            .join(", "),
        moves: c.stage.next(c.paused_from),
        steps,
        held,
        roles,
        pending: checks.iter().find(|k| k.pending).map(|k| k.id.clone()),
        checks,
        badges: badge_rows(&store.badges(pcn, Some(id)).await?),
        training: training_rows(&store.training(pcn, Some(id)).await?),
        modules: TRAINING.iter().map(|(k, l, _)| (*k, *l)).collect(),
        contacts: store.emergency_contacts(pcn, id).await?,
        levels: DbsLevel::ALL
            .into_iter()
            .filter(|l| *l != DbsLevel::None)
            .map(|l| (l.as_str(), l.label()))
            .collect(),
        error,
        notice,
        c,
    };
    let status = form_status(!page.error.1.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(Deserialize, Default)]
pub(super) struct NoticeQuery {
    #[serde(default)]
    done: String,
}

pub(super) async fn record(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let notice = match q.done.as_str() {
        "moved" => "Their journey has moved on.",
        "invited" => "They have been moved on and sent an invitation to their own account.",
        "role" => "The role has been given.",
        "dbs" => "The DBS check has been recorded as asked for.",
        "result" => "The DBS result has been recorded.",
        "badge" => "The badge has been recorded.",
        "returned" => "The badge has been recorded as handed back.",
        "training" => "The training has been recorded.",
        "contact" => "The emergency contact has been added.",
        "profile" => "What they would like to give has been saved.",
        "erased" => "Their personal data has been erased. Their hours and the amounts of their expenses stay in the figures, without their name.",
        _ => "",
    };
    render_record(
        &state,
        &ctx,
        path_id(&id)?,
        (String::new(), String::new()),
        notice.into(),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct MoveForm {
    to: String,
    reason: String,
}

pub(super) async fn move_champion(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<MoveForm>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let pcn = ctx.actor()?.pcn_id;
    let refused = |m: String| ("to".to_owned(), m);
    let Ok(to) = f.to.parse::<Stage>() else {
        return render_record(
            &state,
            &ctx,
            id,
            refused("Choose where they move to".into()),
            String::new(),
        )
        .await;
    };
    let audit = ctx.audit(
        &state,
        AuditAction::MoveChampion,
        "champion",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .move_champion(pcn, id, to, &f.reason, &audit)
        .await
    {
        Ok(()) => {}
        Err(StoreError::Refused(why)) => {
            let why = why.to_string();
            let field = if why.starts_with("Say why") || why.starts_with("The reason") {
                "reason"
            } else {
                "to"
            };
            return render_record(
                &state,
                &ctx,
                id,
                (field.into(), why.to_string()),
                String::new(),
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    }
    let done = if to == Stage::Active && invite_champion(&state, &ctx, id).await? {
        "invited"
    } else {
        "moved"
    };
    Ok(Redirect::to(&crate::paths::champions::done(id, done)).into_response())
}

/// A champion who becomes active gets their own account through a one-time link sent by the
/// outbox, when they gave an email address and have no account yet. True when one was sent.
pub(super) async fn invite_champion(
    state: &AppState,
    ctx: &Ctx,
    id: ChampionId,
) -> Result<bool, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let audit = ctx.audit(
        state,
        AuditAction::InviteChampion,
        "champion",
        None,
        Outcome::Allowed,
    );
    let Some(c) = state.store().read_champion(pcn, id, &audit).await? else {
        return Ok(false);
    };
    let (None, Some(email)) = (c.user_id, c.email.as_deref()) else {
        return Ok(false);
    };
    let Ok(email) = email.parse() else {
        return Ok(false);
    };
    let new = NewUser {
        pcn_id: pcn,
        email,
        display_name: format!("{} {}", c.given_name, c.family_name),
        role: Role::Champion,
        practice_id: None,
        status: UserStatus::Invited,
        password_hash: None,
    };
    let user = match state
        .store()
        .create_user(
            &new,
            &ctx.audit(
                state,
                AuditAction::InviteUser,
                "user",
                None,
                Outcome::Allowed,
            ),
            state.now(),
        )
        .await
    {
        Ok(u) => u,
        // Someone with this address has an account already: the administrator links it.
        Err(StoreError::Conflict(_)) => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    state
        .store()
        .link_champion_user(pcn, id, user, &audit)
        .await?;
    let user = state.store().user(user).await?.ok_or(AppError::NotFound)?;
    let before = format!(
        "{}, thank you for becoming a health champion. We'd love you to join us on Together, \
         where you can see your sessions, log your hours and keep your details up to date. \
         Choose your password here (the link works once, within 7 days):",
        c.given_name
    );
    let email = crate::auth::links::LinkEmail {
        subject: "Welcome, health champion: your Together account",
        before: &before,
        after: "",
    };
    crate::auth::links::send_link(state, &user, TokenKind::Enrol, Duration::days(7), &email)
        .await?;
    Ok(true)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct GiveRoleForm {
    role_id: String,
}

pub(super) async fn give_role(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<GiveRoleForm>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let pcn = ctx.actor()?.pcn_id;
    let Ok(role) = f.role_id.parse::<ChampionRoleId>() else {
        return render_record(
            &state,
            &ctx,
            id,
            ("role_id".into(), "Choose a role".into()),
            String::new(),
        )
        .await;
    };
    let audit = ctx.audit(
        &state,
        AuditAction::GiveChampionRole,
        "champion",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .give_champion_role(pcn, id, role, &audit)
        .await
    {
        Ok(()) => Ok(Redirect::to(&crate::paths::champions::done(id, "role")).into_response()),
        Err(StoreError::Refused(why)) => {
            render_record(
                &state,
                &ctx,
                id,
                ("role_id".into(), why.to_string()),
                String::new(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct DbsRequestForm {
    role_id: String,
    level: String,
}

pub(super) async fn request_dbs(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<DbsRequestForm>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let pcn = ctx.actor()?.pcn_id;
    let (Ok(role), Ok(level)) = (
        f.role_id.parse::<ChampionRoleId>(),
        f.level.parse::<DbsLevel>(),
    ) else {
        let e = (
            "dbs_role_id".to_owned(),
            "Choose the role and the level of check".to_owned(),
        );
        return render_record(&state, &ctx, id, e, String::new()).await;
    };
    let audit = ctx.audit(
        &state,
        AuditAction::RequestDbsCheck,
        "dbs_check",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .request_dbs_check(pcn, id, role, level, &audit)
        .await
    {
        Ok(_) => Ok(Redirect::to(&crate::paths::champions::done(id, "dbs")).into_response()),
        Err(StoreError::Refused(why)) => {
            render_record(
                &state,
                &ctx,
                id,
                ("dbs_level".into(), why.to_string()),
                String::new(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn record_dbs_result(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, check)): Path<(String, String)>,
    Form(f): Form<DbsResultForm>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let pcn = ctx.actor()?.pcn_id;
    let result = match f.parse(state.now().date()) {
        Ok(r) => r,
        Err(errors) => {
            return render_record(&state, &ctx, id, first_error(errors), String::new()).await
        }
    };
    let audit = ctx.audit(
        &state,
        AuditAction::RecordDbsResult,
        "dbs_check",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .record_dbs_result(pcn, id, &check, &result, &audit)
        .await
    {
        Ok(()) => Ok(Redirect::to(&crate::paths::champions::done(id, "result")).into_response()),
        Err(StoreError::Refused(why)) => {
            render_record(
                &state,
                &ctx,
                id,
                ("certificate_ref".into(), why.to_string()),
                String::new(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RenewalForm {
    /// "yes" to mark the renewal as under way, anything else to clear it.
    in_progress: String,
}

pub(super) async fn renewal_in_progress(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, check)): Path<(String, String)>,
    Form(f): Form<RenewalForm>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let audit = ctx.audit(
        &state,
        AuditAction::DbsRenewalInProgress,
        "dbs_check",
        None,
        Outcome::Allowed,
    );
    state
        .store()
        .set_renewal_in_progress(
            ctx.actor()?.pcn_id,
            id,
            &check,
            f.in_progress == "yes",
            &audit,
        )
        .await?;
    Ok(Redirect::to("/champions/compliance").into_response())
}

pub(super) async fn issue_badge(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<BadgeForm>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let badge = match f.parse(state.now().date()) {
        Ok(b) => b,
        Err(errors) => {
            return render_record(&state, &ctx, id, first_error(errors), String::new()).await
        }
    };
    let audit = ctx.audit(
        &state,
        AuditAction::IssueBadge,
        "champion_badge",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .issue_badge(ctx.actor()?.pcn_id, id, &badge, &audit)
        .await
    {
        Ok(_) => Ok(Redirect::to(&crate::paths::champions::done(id, "badge")).into_response()),
        Err(StoreError::Refused(why)) => {
            render_record(
                &state,
                &ctx,
                id,
                ("number".into(), why.to_string()),
                String::new(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn return_badge(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, badge)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let audit = ctx.audit(
        &state,
        AuditAction::ReturnBadge,
        "champion_badge",
        None,
        Outcome::Allowed,
    );
    state
        .store()
        .return_badge(ctx.actor()?.pcn_id, id, &badge, state.now().date(), &audit)
        .await?;
    Ok(Redirect::to(&crate::paths::champions::done(id, "returned")).into_response())
}

pub(super) async fn record_training(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<TrainingForm>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let training = match f.parse(state.now().date()) {
        Ok(t) => t,
        Err(errors) => {
            return render_record(&state, &ctx, id, first_error(errors), String::new()).await
        }
    };
    let audit = ctx.audit(
        &state,
        AuditAction::RecordTraining,
        "champion_training",
        None,
        Outcome::Allowed,
    );
    state
        .store()
        .record_training(ctx.actor()?.pcn_id, id, &training, &audit)
        .await?;
    Ok(Redirect::to(&crate::paths::champions::done(id, "training")).into_response())
}

pub(super) async fn add_emergency_contact(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<EmergencyContactForm>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let contact = match f.parse() {
        Ok(c) => c,
        Err(errors) => {
            return render_record(&state, &ctx, id, first_error(errors), String::new()).await
        }
    };
    let audit = ctx.audit(
        &state,
        AuditAction::AddEmergencyContact,
        "champion",
        None,
        Outcome::Allowed,
    );
    state
        .store()
        .add_emergency_contact(ctx.actor()?.pcn_id, id, &contact, &audit)
        .await?;
    Ok(Redirect::to(&crate::paths::champions::done(id, "contact")).into_response())
}

/// The coordinator keeps what a champion would like to give, and their home practice, up to date.
pub(super) async fn update_profile(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let profile = match ProfileForm::from_fields(&fields).parse() {
        Ok(p) => p,
        Err(errors) => {
            return render_record(&state, &ctx, id, first_error(errors), String::new()).await
        }
    };
    let audit = ctx.audit(
        &state,
        AuditAction::UpdateChampionProfile,
        "champion",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .update_champion_profile(ctx.actor()?.pcn_id, id, &profile, &audit)
        .await
    {
        Ok(()) => Ok(Redirect::to(&crate::paths::champions::done(id, "profile")).into_response()),
        Err(StoreError::NotFound("practice")) => {
            let e = (
                "practice_id".to_owned(),
                "Choose their GP practice from the list".to_owned(),
            );
            render_record(&state, &ctx, id, e, String::new()).await
        }
        Err(e) => Err(e.into()),
    }
}
