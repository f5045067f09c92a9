//! Champions: the public expression-of-interest form (`/join`), the journey board and each
//! champion's record for the PCN administrator (who is the volunteer coordinator), the roles
//! with the DBS level each needs, the invitation texts, and a champion's own progress page.

use crate::context::Ctx;
use crate::error::AppError;
use crate::layout::{date, field_error, form_status, when, Layout};
use crate::policy_router::{Policy, Routes};
use crate::security::{form_stamp, stamp_shown};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use std::collections::HashMap;
use time::Duration;
use together_core::champions::{
    label_of, renewal_years, training_label, BadgeForm, Clearance, ContactForm, DbsLevel,
    DbsResultForm, Due, EmergencyContactForm, InterestForm, RoleForm, Stage, TrainingForm,
    WorkshopForm, AVAILABILITY, DBS_RENEWAL_SETTING, INTERESTS, TRAINING,
};
use together_core::people::FieldError;
use together_core::{Action, ChampionId, ChampionRoleId, PcnId, Role};
use together_formats::champions::{write_champions, ChampionLine};
use together_store::champions::{Champion, ChampionRole, ChampionStep, DbsCheck};
use together_store::{
    Channel, NewMessage, NewUser, Outcome, Pcn, Practice, StoreError, TokenKind, UserStatus,
};

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

/// A person faster than this has not read the form: the post is treated as a bot's.
const FASTEST_HUMAN: Duration = Duration::seconds(3);
/// A form older than this is shown again with a fresh stamp.
const FORM_LIFETIME: Duration = Duration::days(1);
/// Expressions of interest accepted from one address in an hour.
const JOINS_PER_HOUR: usize = 10;

fn champion_id(id: &str) -> Result<ChampionId, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

fn one_error(field: &'static str, message: impl Into<String>) -> Vec<FieldError> {
    vec![FieldError {
        field,
        message: message.into(),
    }]
}

// ---- The expression of interest (public) ----

#[derive(Template)]
#[template(path = "join.html")]
struct JoinPage {
    layout: Layout,
    pcn: Option<Pcn>,
    /// Every PCN, when the instance serves more than one and none is chosen yet.
    choose: Vec<Pcn>,
    practices: Vec<Practice>,
    form: InterestForm,
    errors: Vec<FieldError>,
    stamp: String,
    interests: &'static [(&'static str, &'static str)],
    availability: &'static [(&'static str, &'static str)],
    contact_choices: &'static [(&'static str, &'static str)],
}

impl JoinPage {
    fn err(&self, field: &str) -> String {
        field_error(&self.errors, field)
    }
}

#[derive(Deserialize, Default)]
struct JoinQuery {
    #[serde(default)]
    pcn: String,
}

/// The PCN a public form is for: the one named, or the instance's only one.
async fn public_pcn(state: &AppState, named: &str) -> Result<(Option<Pcn>, Vec<Pcn>), AppError> {
    let pcns = state.store().pcns().await?;
    if let Ok(id) = named.parse::<PcnId>() {
        return Ok((pcns.into_iter().find(|p| p.id == id), Vec::new()));
    }
    if pcns.len() == 1 {
        return Ok((pcns.into_iter().next(), Vec::new()));
    }
    Ok((None, pcns))
}

async fn render_join(
    state: &AppState,
    ctx: &Ctx,
    pcn: Option<Pcn>,
    choose: Vec<Pcn>,
    form: InterestForm,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let practices = match &pcn {
        Some(p) => state.store().practices(p.id).await?,
        None => Vec::new(),
    };
    let mut layout = Layout::new(state, ctx, "Become a health champion");
    if let Some(p) = &pcn {
        layout.service = p.name.clone();
    }
    let page = JoinPage {
        layout,
        pcn,
        choose,
        practices,
        form,
        stamp: form_stamp(&state.0.secret, state.now()),
        errors,
        interests: INTERESTS,
        availability: AVAILABILITY,
        contact_choices: &[
            ("phone", "Phone call"),
            ("text", "Text message"),
            ("email", "Email"),
        ],
    };
    let status = form_status(!page.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

async fn join_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<JoinQuery>,
) -> Result<Response, AppError> {
    let (pcn, choose) = public_pcn(&state, &q.pcn).await?;
    render_join(
        &state,
        &ctx,
        pcn,
        choose,
        InterestForm::default(),
        Vec::new(),
    )
    .await
}

#[derive(Template)]
#[template(path = "join_thanks.html")]
struct ThanksPage {
    layout: Layout,
    given_name: String,
    how: &'static str,
}

fn field_value<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

async fn join_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let now = state.now();
    let (pcn, choose) = public_pcn(&state, field_value(&fields, "pcn")).await?;
    let Some(pcn) = pcn else {
        return render_join(
            &state,
            &ctx,
            None,
            choose,
            InterestForm::default(),
            Vec::new(),
        )
        .await;
    };
    let form = InterestForm::from_fields(&fields);
    // The honeypot: a field people never see or fill in. A bot that fills it is thanked and
    // nothing is kept.
    let thanks = |given_name: String, how: &'static str| ThanksPage {
        layout: Layout::new(&state, &ctx, "Thank you"),
        given_name,
        how,
    };
    if !field_value(&fields, "website").trim().is_empty() {
        let audit = ctx.audit(&state, "join_discarded", "champion", None, Outcome::Denied);
        state
            .store()
            .audit(&together_store::NewAuditEvent {
                pcn_id: Some(pcn.id),
                reason: Some("the hidden field was filled in".into()),
                ..audit
            })
            .await?;
        return Ok(Html(thanks(String::new(), "").render()?).into_response());
    }
    let shown = stamp_shown(&state.0.secret, field_value(&fields, "stamp"));
    let errors = match shown {
        None => one_error(
            "given_name",
            "This form has expired. Check your answers and send it again",
        ),
        Some(t) if now - t > FORM_LIFETIME => one_error(
            "given_name",
            "This form has expired. Check your answers and send it again",
        ),
        Some(t) if now - t < FASTEST_HUMAN => one_error(
            "given_name",
            "That was very quick. Check your answers and send the form again",
        ),
        Some(_) => Vec::new(),
    };
    if !errors.is_empty() {
        return render_join(&state, &ctx, Some(pcn), Vec::new(), form, errors).await;
    }
    if let Err(wait) = state.0.limiter.check(
        &format!("join:{}", ctx.ip),
        now,
        JOINS_PER_HOUR,
        Duration::hours(1),
    ) {
        return Err(AppError::TooMany(wait));
    }
    let interest = match form.parse() {
        Ok(i) => i,
        Err(errors) => return render_join(&state, &ctx, Some(pcn), Vec::new(), form, errors).await,
    };
    let audit = ctx.audit(
        &state,
        "express_interest",
        "champion",
        None,
        Outcome::Allowed,
    );
    let id = match state
        .store()
        .record_interest(pcn.id, &interest, &audit)
        .await
    {
        Ok(id) => id,
        Err(StoreError::NotFound(_)) => {
            let errors = one_error("practice_id", "Choose your GP practice from the list");
            return render_join(&state, &ctx, Some(pcn), Vec::new(), form, errors).await;
        }
        Err(e) => return Err(e.into()),
    };
    // The volunteer coordinators hear of it through the outbox; names stay in Together.
    let link = format!(
        "{}/champions/{id}",
        state.config().public_url.trim_end_matches('/')
    );
    for admin in state.store().users(pcn.id).await? {
        if admin.role == Role::PcnAdmin && admin.status == UserStatus::Active {
            state
                .store()
                .enqueue_message(&NewMessage {
                    pcn_id: Some(pcn.id),
                    channel: Channel::Email,
                    recipient: admin.email.to_string(),
                    subject: "Someone would like to be a health champion".into(),
                    body: format!(
                        "A new expression of interest has arrived. Open it here to get in touch:\n\n{link}"
                    ),
                    now,
                })
                .await?;
        }
    }
    let how = match interest.contact_preference {
        together_core::people::ContactPreference::Email => "email you",
        together_core::people::ContactPreference::Text => "send you a text",
        _ => "give you a call",
    };
    let mut page = thanks(interest.given_name, how);
    page.layout.service = pcn.name;
    Ok(Html(page.render()?).into_response())
}

// ---- The board and the record (PCN administrator) ----

struct Card {
    id: ChampionId,
    name: String,
    practice: String,
    interests: String,
    since: String,
}

struct Column {
    stage: Stage,
    cards: Vec<Card>,
}

#[derive(Template)]
#[template(path = "champions.html")]
struct BoardPage {
    layout: Layout,
    columns: Vec<Column>,
    total: usize,
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

async fn board(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let audit = ctx.audit(
        &state,
        "list_champions",
        "champions",
        None,
        Outcome::Allowed,
    );
    let champions = state.store().champions(pcn, &audit).await?;
    let practices = practice_names(&state, pcn).await?;
    let total = champions.len();
    let columns = Stage::ALL
        .into_iter()
        .map(|stage| Column {
            stage,
            cards: champions
                .iter()
                .filter(|c| c.stage == stage)
                .map(|c| Card {
                    id: c.id,
                    name: format!("{} {}", c.given_name, c.family_name),
                    practice: c
                        .home_practice_id
                        .and_then(|p| practices.get(&p).cloned())
                        .unwrap_or_default(),
                    interests: interests_text(c),
                    since: date(&c.stage_since.date()),
                })
                .collect(),
        })
        .collect();
    let page = BoardPage {
        layout: Layout::new(&state, &ctx, "Champions"),
        columns,
        total,
    };
    Ok(Html(page.render()?).into_response())
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

struct CheckRow {
    id: String,
    pending: bool,
    role: String,
    level: &'static str,
    requested: String,
    result: String,
}

#[derive(Template)]
#[template(path = "champion.html")]
struct RecordPage {
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
    /// The check whose result is asked for next (one at a time).
    pending: Option<String>,
    levels: Vec<(&'static str, &'static str)>,
    /// An error from one of the record's forms: (field, message).
    error: (String, String),
    notice: String,
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

fn check_rows(checks: Vec<DbsCheck>, roles: &[ChampionRole]) -> Vec<CheckRow> {
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

async fn render_record(
    state: &AppState,
    ctx: &Ctx,
    id: ChampionId,
    error: (String, String),
    notice: String,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let audit = ctx.audit(state, "view_champion", "champion", None, Outcome::Allowed);
    let store = state.store();
    let c = store
        .read_champion(pcn, id, &audit)
        .await?
        .ok_or(AppError::NotFound)?;
    let steps = step_rows(state, pcn, store.champion_steps(pcn, id).await?).await?;
    let roles = store.champion_roles(pcn).await?;
    let held = store.roles_of_champion(pcn, id).await?;
    let dbs_audit = ctx.audit(state, "view_dbs", "champion_dbs", None, Outcome::Allowed);
    let checks = check_rows(store.dbs_checks(pcn, id, &dbs_audit).await?, &roles);
    let practice = match c.home_practice_id {
        Some(p) => practice_names(state, pcn)
            .await?
            .remove(&p)
            .unwrap_or_default(),
        None => "Not registered at one of the PCN's practices".into(),
    };
    let page = RecordPage {
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
struct NoticeQuery {
    #[serde(default)]
    done: String,
}

async fn record(
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
        "erased" => "Their personal data has been erased. Their hours and the amounts of their expenses stay in the figures, without their name.",
        _ => "",
    };
    render_record(
        &state,
        &ctx,
        champion_id(&id)?,
        (String::new(), String::new()),
        notice.into(),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MoveForm {
    to: String,
    reason: String,
}

async fn move_champion(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<MoveForm>,
) -> Result<Response, AppError> {
    let id = champion_id(&id)?;
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
    let audit = ctx.audit(&state, "move_champion", "champion", None, Outcome::Allowed);
    match state
        .store()
        .move_champion(pcn, id, to, &f.reason, &audit)
        .await
    {
        Ok(()) => {}
        Err(StoreError::Refused(why)) => {
            let field = if why.starts_with("Say why") || why.starts_with("The reason") {
                "reason"
            } else {
                "to"
            };
            return render_record(&state, &ctx, id, (field.into(), why), String::new()).await;
        }
        Err(e) => return Err(e.into()),
    }
    let done = if to == Stage::Active && invite_champion(&state, &ctx, id).await? {
        "invited"
    } else {
        "moved"
    };
    Ok(Redirect::to(&format!("/champions/{id}?done={done}")).into_response())
}

/// A champion who becomes active gets their own account through a one-time link sent by the
/// outbox, when they gave an email address and have no account yet. True when one was sent.
async fn invite_champion(state: &AppState, ctx: &Ctx, id: ChampionId) -> Result<bool, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let audit = ctx.audit(state, "invite_champion", "champion", None, Outcome::Allowed);
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
            &ctx.audit(state, "invite_user", "user", None, Outcome::Allowed),
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
struct GiveRoleForm {
    role_id: String,
}

async fn give_role(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<GiveRoleForm>,
) -> Result<Response, AppError> {
    let id = champion_id(&id)?;
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
        "give_champion_role",
        "champion",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .give_champion_role(pcn, id, role, &audit)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/champions/{id}?done=role")).into_response()),
        Err(StoreError::Refused(why)) => {
            render_record(&state, &ctx, id, ("role_id".into(), why), String::new()).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DbsRequestForm {
    role_id: String,
    level: String,
}

async fn request_dbs(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<DbsRequestForm>,
) -> Result<Response, AppError> {
    let id = champion_id(&id)?;
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
        "request_dbs_check",
        "dbs_check",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .request_dbs_check(pcn, id, role, level, &audit)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/champions/{id}?done=dbs")).into_response()),
        Err(StoreError::Refused(why)) => {
            render_record(&state, &ctx, id, ("dbs_level".into(), why), String::new()).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn record_dbs_result(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, check)): Path<(String, String)>,
    Form(f): Form<DbsResultForm>,
) -> Result<Response, AppError> {
    let id = champion_id(&id)?;
    let pcn = ctx.actor()?.pcn_id;
    let result = match f.parse(state.now().date()) {
        Ok(r) => r,
        Err(errors) => {
            return render_record(&state, &ctx, id, first_error(errors), String::new()).await
        }
    };
    let audit = ctx.audit(
        &state,
        "record_dbs_result",
        "dbs_check",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .record_dbs_result(pcn, id, &check, &result, &audit)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/champions/{id}?done=result")).into_response()),
        Err(StoreError::Refused(why)) => {
            render_record(
                &state,
                &ctx,
                id,
                ("certificate_ref".into(), why),
                String::new(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RenewalForm {
    /// "yes" to mark the renewal as under way, anything else to clear it.
    in_progress: String,
}

async fn renewal_in_progress(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, check)): Path<(String, String)>,
    Form(f): Form<RenewalForm>,
) -> Result<Response, AppError> {
    let id = champion_id(&id)?;
    let audit = ctx.audit(
        &state,
        "dbs_renewal_in_progress",
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

// ---- The compliance dashboard ----

struct ClearanceRow {
    id: ChampionId,
    name: String,
    stage: &'static str,
    role: String,
    status: String,
    clear: bool,
    due: String,
}

struct DueRow {
    /// The record to open: the champion's or the partner's.
    href: String,
    name: String,
    /// What expires: "DBS check (basic)", "ID badge HV-0042", "Safeguarding adults".
    what: String,
    due: String,
    /// For a DBS check: its id and whether its renewal is under way.
    renewal: Option<(String, bool)>,
}

struct DueGroup {
    label: &'static str,
    rows: Vec<DueRow>,
}

#[derive(Template)]
#[template(path = "champion_compliance.html")]
struct CompliancePage {
    layout: Layout,
    years: i32,
    today: String,
    clearance: Vec<ClearanceRow>,
    groups: Vec<DueGroup>,
    error: String,
}

async fn render_compliance(
    state: &AppState,
    ctx: &Ctx,
    error: String,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let store = state.store();
    let today = state.now().date();
    let years = renewal_years(store.setting(pcn, DBS_RENEWAL_SETTING).await?.as_deref());
    let audit = ctx.audit(
        state,
        "view_compliance",
        "champions",
        None,
        Outcome::Allowed,
    );
    let champions = store.champions(pcn, &audit).await?;
    let dbs_audit = ctx.audit(state, "view_dbs", "champion_dbs", None, Outcome::Allowed);
    let checks = store.pcn_dbs_checks(pcn, &dbs_audit).await?;
    let roles = store.champion_roles(pcn).await?;
    let holders = store.role_holders(pcn).await?;
    let mut clearance = Vec::new();
    let mut groups: Vec<DueGroup> = [Due::Overdue, Due::Within7, Due::Within30, Due::Within60]
        .into_iter()
        .map(|d| DueGroup {
            label: d.label(),
            rows: Vec::new(),
        })
        .collect();
    for c in champions.iter().filter(|c| c.stage != Stage::Left) {
        let mine: Vec<DbsCheck> = checks
            .iter()
            .filter(|k| k.champion_id == c.id)
            .cloned()
            .collect();
        let facts: Vec<_> = mine.iter().map(DbsCheck::facts).collect();
        let name = format!("{} {}", c.given_name, c.family_name);
        for role in holders
            .iter()
            .filter(|(who, _)| *who == c.id)
            .filter_map(|(_, r)| roles.iter().find(|x| x.id == *r))
        {
            let status = Clearance::of(role.dbs_level, &facts, years, today);
            let due = match status {
                Clearance::Clear { due } | Clearance::Expired { due } => date(&due),
                _ => String::new(),
            };
            clearance.push(ClearanceRow {
                id: c.id,
                name: name.clone(),
                stage: c.stage.label(),
                role: role.name.clone(),
                clear: status.is_clear(),
                status: status.label(),
                due,
            });
        }
    }
    for e in crate::compliance::expiring(store, pcn, &champions, &checks, years).await? {
        let slot = match Due::of(e.due, today) {
            Due::Overdue => 0,
            Due::Within7 => 1,
            Due::Within30 => 2,
            Due::Within60 => 3,
            Due::Later => continue,
        };
        groups[slot].rows.push(DueRow {
            href: e.href,
            name: e.name,
            what: e.what,
            due: date(&e.due),
            renewal: e.renewal,
        });
    }
    let page = CompliancePage {
        layout: Layout::new(state, ctx, "Compliance"),
        years,
        today: date(&today),
        clearance,
        groups,
        error,
    };
    let status = form_status(!page.error.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

async fn compliance(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    render_compliance(&state, &ctx, String::new()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct YearsForm {
    years: String,
}

async fn save_renewal_years(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<YearsForm>,
) -> Result<Response, AppError> {
    let Some(years) = f
        .years
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (1..=10).contains(y))
    else {
        return render_compliance(
            &state,
            &ctx,
            "Enter how many years a DBS check lasts before renewal, from 1 to 10".into(),
        )
        .await;
    };
    let audit = ctx.audit(
        &state,
        "set_dbs_renewal_years",
        "setting",
        None,
        Outcome::Allowed,
    );
    state
        .store()
        .set_setting(
            ctx.actor()?.pcn_id,
            DBS_RENEWAL_SETTING,
            &years.to_string(),
            &audit,
        )
        .await?;
    Ok(Redirect::to("/champions/compliance").into_response())
}

/// The first of a form's errors, as (field, message) for the record page.
fn first_error(errors: Vec<FieldError>) -> (String, String) {
    errors
        .into_iter()
        .next()
        .map(|e| (e.field.to_owned(), e.message))
        .unwrap_or_default()
}

async fn issue_badge(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<BadgeForm>,
) -> Result<Response, AppError> {
    let id = champion_id(&id)?;
    let badge = match f.parse(state.now().date()) {
        Ok(b) => b,
        Err(errors) => {
            return render_record(&state, &ctx, id, first_error(errors), String::new()).await
        }
    };
    let audit = ctx.audit(
        &state,
        "issue_badge",
        "champion_badge",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .issue_badge(ctx.actor()?.pcn_id, id, &badge, &audit)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/champions/{id}?done=badge")).into_response()),
        Err(StoreError::Refused(why)) => {
            render_record(&state, &ctx, id, ("number".into(), why), String::new()).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn return_badge(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, badge)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = champion_id(&id)?;
    let audit = ctx.audit(
        &state,
        "return_badge",
        "champion_badge",
        None,
        Outcome::Allowed,
    );
    state
        .store()
        .return_badge(ctx.actor()?.pcn_id, id, &badge, state.now().date(), &audit)
        .await?;
    Ok(Redirect::to(&format!("/champions/{id}?done=returned")).into_response())
}

async fn record_training(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<TrainingForm>,
) -> Result<Response, AppError> {
    let id = champion_id(&id)?;
    let training = match f.parse(state.now().date()) {
        Ok(t) => t,
        Err(errors) => {
            return render_record(&state, &ctx, id, first_error(errors), String::new()).await
        }
    };
    let audit = ctx.audit(
        &state,
        "record_training",
        "champion_training",
        None,
        Outcome::Allowed,
    );
    state
        .store()
        .record_training(ctx.actor()?.pcn_id, id, &training, &audit)
        .await?;
    Ok(Redirect::to(&format!("/champions/{id}?done=training")).into_response())
}

async fn add_emergency_contact(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<EmergencyContactForm>,
) -> Result<Response, AppError> {
    let id = champion_id(&id)?;
    let contact = match f.parse() {
        Ok(c) => c,
        Err(errors) => {
            return render_record(&state, &ctx, id, first_error(errors), String::new()).await
        }
    };
    let audit = ctx.audit(
        &state,
        "add_emergency_contact",
        "champion",
        None,
        Outcome::Allowed,
    );
    state
        .store()
        .add_emergency_contact(ctx.actor()?.pcn_id, id, &contact, &audit)
        .await?;
    Ok(Redirect::to(&format!("/champions/{id}?done=contact")).into_response())
}

/// Every champion as the CSV `together champions import` reads, for the download on the board
/// and `together champions export`.
pub fn champions_csv(
    champions: &[Champion],
    practices: &[Practice],
) -> Result<Vec<u8>, csv::Error> {
    let codes: Vec<String> = champions
        .iter()
        .map(|c| {
            c.home_practice_id
                .and_then(|id| practices.iter().find(|p| p.id == id))
                .map(|p| p.ods_code.to_string())
                .unwrap_or_default()
        })
        .collect();
    let lines: Vec<ChampionLine<'_>> = champions
        .iter()
        .zip(&codes)
        .map(|(c, practice)| ChampionLine {
            given_name: &c.given_name,
            family_name: &c.family_name,
            contact_preference: c.contact_preference.as_str(),
            phone: c.phone.as_deref().unwrap_or(""),
            email: c.email.as_deref().unwrap_or(""),
            practice,
            interests: &c.interests,
            availability: &c.availability,
            skills: &c.skills,
            stage: c.stage.as_str(),
        })
        .collect();
    let mut out = Vec::new();
    write_champions(&mut out, &lines)?;
    Ok(out)
}

#[derive(Template)]
#[template(path = "champion_import.html")]
struct ImportPage {
    layout: Layout,
    error: String,
    rejected: Vec<together_formats::RowError>,
    done: String,
}

fn import_result(
    state: &AppState,
    ctx: &Ctx,
    error: String,
    rejected: Vec<together_formats::RowError>,
    done: String,
) -> Result<Response, AppError> {
    let page = ImportPage {
        layout: Layout::new(state, ctx, "Import champions"),
        error,
        rejected,
        done,
    };
    let status = form_status(!page.error.is_empty() || !page.rejected.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

async fn import_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    import_result(&state, &ctx, String::new(), Vec::new(), String::new())
}

/// The spreadsheet of champions, uploaded: the same checks and the same all-or-nothing as
/// `together champions import`.
async fn import_file(
    State(state): State<AppState>,
    ctx: Ctx,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let fail = |e: axum::extract::multipart::MultipartError| {
        AppError::BadRequest(format!("The file did not arrive whole ({e}). Try again"))
    };
    let mut bytes = None;
    while let Some(field) = multipart.next_field().await.map_err(fail)? {
        if field.name() == Some("file") {
            bytes = Some(field.bytes().await.map_err(fail)?);
        }
    }
    let Some(bytes) = bytes.filter(|b| !b.is_empty()) else {
        return import_result(
            &state,
            &ctx,
            "Choose the CSV file to import".into(),
            Vec::new(),
            String::new(),
        );
    };
    let read = match together_formats::champions::read_champions(&bytes[..]) {
        Ok(r) => r,
        Err(e) => {
            let message = format!("Nothing was imported: {e}");
            return import_result(&state, &ctx, message, Vec::new(), String::new());
        }
    };
    let pcn = ctx.actor()?.pcn_id;
    let practices: Vec<_> = state
        .store()
        .practices(pcn)
        .await?
        .into_iter()
        .map(|p| (p.ods_code, p.id))
        .collect();
    let rows = match read.resolve(&practices) {
        Ok(r) => r,
        Err(rejected) => {
            return import_result(&state, &ctx, String::new(), rejected, String::new())
        }
    };
    let audit = ctx.audit(
        &state,
        "import_champions",
        "champion",
        None,
        Outcome::Allowed,
    );
    let (added, there) = state.store().import_champions(pcn, &rows, &audit).await?;
    let done = format!(
        "Imported {added} champion{}; {there} already there, left as they were.",
        if added == 1 { "" } else { "s" }
    );
    import_result(&state, &ctx, String::new(), Vec::new(), done)
}

async fn export_all(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let audit = ctx.audit(
        &state,
        "export_champions",
        "champions",
        None,
        Outcome::Allowed,
    );
    let champions = state.store().champions(pcn, &audit).await?;
    let practices = state.store().practices(pcn).await?;
    let body =
        champions_csv(&champions, &practices).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download(body, "text/csv; charset=utf-8", "champions.csv"))
}

// ---- Subject access and erasure ----

async fn subject_access(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
) -> Result<Vec<together_store::champions::SarTable>, AppError> {
    let id = champion_id(id)?;
    let audit = ctx.audit(
        state,
        "subject_access_export",
        "champion",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .champion_subject_access(ctx.actor()?.pcn_id, id, &audit)
        .await
    {
        Err(StoreError::NotFound(_)) => Err(AppError::NotFound),
        other => Ok(other?),
    }
}

fn download(body: Vec<u8>, mime: &str, name: &str) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, mime.to_owned()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (axum::http::header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// Everything held about a champion as one JSON document: each table with its rows.
async fn export_json(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let tables = subject_access(&state, &ctx, &id).await?;
    let doc: serde_json::Map<String, serde_json::Value> = tables
        .into_iter()
        .map(|t| {
            let rows = t
                .rows
                .iter()
                .map(|r| {
                    serde_json::Value::Object(
                        t.columns
                            .iter()
                            .cloned()
                            .zip(r.iter().map(|v| serde_json::json!(v)))
                            .collect(),
                    )
                })
                .collect();
            (t.table, serde_json::Value::Array(rows))
        })
        .collect();
    let body = serde_json::to_vec_pretty(&doc).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download(
        body,
        "application/json",
        &format!("champion-{id}.json"),
    ))
}

/// The same as one CSV, a line per value (table, row, column, value), so every table fits in
/// one file that opens in a spreadsheet.
async fn export_csv(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let tables = subject_access(&state, &ctx, &id).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| AppError::Internal(e.to_string());
    w.write_record(["table", "row", "column", "value"])
        .map_err(fail)?;
    for t in &tables {
        for (n, row) in t.rows.iter().enumerate() {
            for (column, value) in t.columns.iter().zip(row) {
                let n = (n + 1).to_string();
                w.write_record([&t.table, &n, column, value.as_deref().unwrap_or("")])
                    .map_err(fail)?;
            }
        }
    }
    let body = w
        .into_inner()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download(
        body,
        "text/csv; charset=utf-8",
        &format!("champion-{id}.csv"),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EraseForm {
    confirm: String,
}

async fn erase(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<EraseForm>,
) -> Result<Response, AppError> {
    let id = champion_id(&id)?;
    if f.confirm != "yes" {
        let e = (
            "confirm".to_owned(),
            "Tick the box to confirm: erasing cannot be undone".to_owned(),
        );
        return render_record(&state, &ctx, id, e, String::new()).await;
    }
    let audit = ctx.audit(&state, "erase_champion", "champion", None, Outcome::Allowed);
    let files = state
        .store()
        .erase_champion(ctx.actor()?.pcn_id, id, &audit)
        .await?;
    let dir = state.0.data_dir.join("uploads").join("receipts");
    for f in files.iter().filter(|f| !f.contains(['/', '\\'])) {
        let _ = tokio::fs::remove_file(dir.join(f)).await;
    }
    Ok(Redirect::to(&format!("/champions/{id}?done=erased")).into_response())
}

// ---- Workshops ----

struct WorkshopRow {
    id: String,
    title: String,
    module: String,
    when: String,
    places: String,
    past: bool,
    /// (champion id, name, status)
    booked: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "champion_workshops.html")]
struct WorkshopsPage {
    layout: Layout,
    rows: Vec<WorkshopRow>,
    champions: Vec<(String, String)>,
    modules: Vec<(&'static str, &'static str)>,
    form: WorkshopForm,
    errors: Vec<FieldError>,
}

impl WorkshopsPage {
    fn err(&self, field: &str) -> String {
        field_error(&self.errors, field)
    }
}

async fn render_workshops(
    state: &AppState,
    ctx: &Ctx,
    form: WorkshopForm,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let audit = ctx.audit(state, "list_champions", "champions", None, Outcome::Allowed);
    let champions = state.store().champions(pcn, &audit).await?;
    let name_of = |id: ChampionId| {
        champions
            .iter()
            .find(|c| c.id == id)
            .map(|c| format!("{} {}", c.given_name, c.family_name))
            .unwrap_or_default()
    };
    let today = state.now().date();
    let rows = state
        .store()
        .workshops(pcn)
        .await?
        .into_iter()
        .map(|w| WorkshopRow {
            module: w.module.as_deref().map(training_label).unwrap_or_default(),
            when: if w.starts.is_empty() {
                date(&w.on)
            } else {
                format!("{}, {}", date(&w.on), w.starts)
            },
            places: match w.capacity {
                Some(c) => format!("{} of {c} places booked", w.attendance.len()),
                None => format!("{} booked", w.attendance.len()),
            },
            past: w.on <= today,
            booked: w
                .attendance
                .iter()
                .map(|(c, status)| (c.to_string(), name_of(*c), status.clone()))
                .collect(),
            id: w.id,
            title: w.title,
        })
        .collect();
    let page = WorkshopsPage {
        layout: Layout::new(state, ctx, "Workshops"),
        rows,
        champions: champions
            .iter()
            .filter(|c| c.stage != Stage::Left)
            .map(|c| {
                (
                    c.id.to_string(),
                    format!("{} {}", c.given_name, c.family_name),
                )
            })
            .collect(),
        modules: std::iter::once(("", "None of these"))
            .chain(TRAINING.iter().map(|(k, l, _)| (*k, *l)))
            .collect(),
        form,
        errors,
    };
    let status = form_status(!page.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

async fn workshops(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    render_workshops(&state, &ctx, WorkshopForm::default(), Vec::new()).await
}

async fn add_workshop(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<WorkshopForm>,
) -> Result<Response, AppError> {
    let w = match form.parse() {
        Ok(w) => w,
        Err(errors) => return render_workshops(&state, &ctx, form, errors).await,
    };
    let audit = ctx.audit(
        &state,
        "add_workshop",
        "champion_workshop",
        None,
        Outcome::Allowed,
    );
    state
        .store()
        .add_workshop(ctx.actor()?.pcn_id, &w, &audit)
        .await?;
    Ok(Redirect::to("/champions/workshops").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct BookForm {
    champion_id: String,
    /// For attendance: "yes" (came) or "no".
    attended: String,
}

async fn book_workshop(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<BookForm>,
) -> Result<Response, AppError> {
    let Ok(champion) = f.champion_id.parse::<ChampionId>() else {
        let e = one_error("champion_id", "Choose the champion to book");
        return render_workshops(&state, &ctx, WorkshopForm::default(), e).await;
    };
    let audit = ctx.audit(
        &state,
        "book_workshop",
        "champion_workshop",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .book_workshop(ctx.actor()?.pcn_id, &id, champion, &audit)
        .await
    {
        Ok(()) => Ok(Redirect::to("/champions/workshops").into_response()),
        Err(StoreError::Refused(why)) => {
            render_workshops(
                &state,
                &ctx,
                WorkshopForm::default(),
                one_error("champion_id", why),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn mark_attendance(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<BookForm>,
) -> Result<Response, AppError> {
    let champion = f
        .champion_id
        .parse::<ChampionId>()
        .map_err(|_| AppError::NotFound)?;
    let audit = ctx.audit(
        &state,
        "mark_workshop_attendance",
        "champion_workshop",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .mark_attendance(
            ctx.actor()?.pcn_id,
            &id,
            champion,
            f.attended == "yes",
            &audit,
        )
        .await
    {
        Ok(()) => Ok(Redirect::to("/champions/workshops").into_response()),
        Err(StoreError::Refused(why)) => {
            render_workshops(
                &state,
                &ctx,
                WorkshopForm::default(),
                one_error("title", why),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- Roles ----

#[derive(Template)]
#[template(path = "champion_roles.html")]
struct RolesPage {
    layout: Layout,
    roles: Vec<ChampionRole>,
    /// (role, title, assessed, review) of each role's risk assessments.
    risks: Vec<(String, String, String, String)>,
    role_choices: Vec<(String, String)>,
    form: RoleForm,
    errors: Vec<FieldError>,
    levels: Vec<(&'static str, &'static str)>,
}

impl RolesPage {
    fn err(&self, field: &str) -> String {
        field_error(&self.errors, field)
    }
}

async fn render_roles(
    state: &AppState,
    ctx: &Ctx,
    form: RoleForm,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let pcn = ctx.actor()?.pcn_id;
    let roles = state.store().champion_roles(pcn).await?;
    let risks = state
        .store()
        .risk_assessments(pcn)
        .await?
        .into_iter()
        .filter_map(|r| {
            let role = roles.iter().find(|x| Some(x.id) == r.role_id)?;
            Some((
                role.name.clone(),
                r.title,
                date(&r.assessed_on),
                date(&r.review_on),
            ))
        })
        .collect();
    let page = RolesPage {
        layout: Layout::new(state, ctx, "Champion roles"),
        risks,
        role_choices: roles
            .iter()
            .map(|r| (r.id.to_string(), r.name.clone()))
            .collect(),
        roles,
        form,
        errors,
        levels: DbsLevel::ALL
            .into_iter()
            .map(|l| (l.as_str(), l.label()))
            .collect(),
    };
    let status = form_status(!page.errors.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RiskForm {
    role_id: String,
    title: String,
    from: String,
    due: String,
}

async fn add_role_risk(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<RiskForm>,
) -> Result<Response, AppError> {
    let Ok(role) = f.role_id.parse::<ChampionRoleId>() else {
        return render_roles(
            &state,
            &ctx,
            RoleForm::default(),
            one_error("role_id", "Choose the role"),
        )
        .await;
    };
    let dated = together_core::partners::DatedForm {
        title: f.title.clone(),
        reference: String::new(),
        from: f.from.clone(),
        due: f.due.clone(),
    };
    let assessment = match dated.parse(state.now().date(), "review") {
        Ok(a) => a,
        Err(errors) => return render_roles(&state, &ctx, RoleForm::default(), errors).await,
    };
    let audit = ctx.audit(
        &state,
        "add_risk_assessment",
        "risk_assessment",
        None,
        Outcome::Allowed,
    );
    state
        .store()
        .add_risk_assessment(
            ctx.actor()?.pcn_id,
            together_store::champions::RiskSubject::Role(role),
            &assessment,
            &audit,
        )
        .await?;
    Ok(Redirect::to("/champions/roles").into_response())
}

async fn roles_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    render_roles(&state, &ctx, RoleForm::default(), Vec::new()).await
}

async fn add_role(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<RoleForm>,
) -> Result<Response, AppError> {
    let role = match form.parse() {
        Ok(r) => r,
        Err(errors) => return render_roles(&state, &ctx, form, errors).await,
    };
    let audit = ctx.audit(
        &state,
        "add_champion_role",
        "champion_role",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .add_champion_role(ctx.actor()?.pcn_id, &role, &audit)
        .await
    {
        Ok(_) => Ok(Redirect::to("/champions/roles").into_response()),
        Err(StoreError::Conflict(_)) => {
            let errors = one_error("name", "There is a role with this name already");
            render_roles(&state, &ctx, form, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- Invitation texts ----

#[derive(Template)]
#[template(path = "champion_invite.html")]
struct InvitePage {
    layout: Layout,
    pcn_name: String,
    join_url: String,
    text_message: String,
}

/// The text message invitation: one SMS segment where the address allows.
pub(crate) fn text_invitation(pcn_name: &str, join_url: &str) -> String {
    format!(
        "{pcn_name}: we'd love you to join us as a health champion, giving a little time to help \
         people near you feel well and connected. Find out more: {join_url}"
    )
}

async fn invite_texts(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let pcn_name = ctx.auth()?.pcn_name.clone();
    let join_url = format!("{}/join", state.config().public_url.trim_end_matches('/'));
    let page = InvitePage {
        layout: Layout::new(&state, &ctx, "Invite people to become champions"),
        text_message: text_invitation(&pcn_name, &join_url),
        pcn_name,
        join_url,
    };
    Ok(Html(page.render()?).into_response())
}

// ---- A champion's own progress ----

#[derive(Template)]
#[template(path = "champion_me.html")]
struct MyPage {
    layout: Layout,
    champion: Option<Champion>,
    journey: Vec<(Stage, bool, bool)>,
    steps: Vec<StepRow>,
    /// Each role with whether they are clear for it and when their check is renewed.
    held: Vec<(ChampionRole, String, String)>,
    badges: Vec<BadgeRow>,
    training: Vec<TrainingRow>,
    contacts: Vec<together_store::champions::EmergencyContact>,
    /// (title, when) of workshops they are booked on, still to come.
    workshops: Vec<(String, String)>,
    error: String,
    /// The field the error is about: "reason" (stepping back) or "my_phone" (details).
    error_for: &'static str,
    notice: &'static str,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MyStepForm {
    /// "paused", "left", or "back" (from a pause).
    to: String,
    reason: String,
}

/// A champion steps back for a while, comes back, or leaves, from their own page; the
/// coordinators hear of it through the outbox.
async fn my_step(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<MyStepForm>,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?.clone();
    let audit = ctx.audit(
        &state,
        "view_own_champion_record",
        "champion",
        None,
        Outcome::Allowed,
    );
    let me = state
        .store()
        .champion_of_user(actor.pcn_id, actor.user_id, &audit)
        .await?
        .ok_or(AppError::NotFound)?;
    let to = match f.to.as_str() {
        "paused" => Stage::Paused,
        "left" => Stage::Left,
        "back" => me.paused_from.unwrap_or(me.stage),
        _ => {
            return render_mine(
                &state,
                &ctx,
                ("reason", "Choose what you would like to do".into()),
                "",
            )
            .await
        }
    };
    let audit = ctx.audit(
        &state,
        "champion_step_own",
        "champion",
        None,
        Outcome::Allowed,
    );
    match state
        .store()
        .move_champion(actor.pcn_id, me.id, to, &f.reason, &audit)
        .await
    {
        Ok(()) => {}
        Err(StoreError::Refused(why)) => {
            return render_mine(&state, &ctx, ("reason", why), "").await
        }
        Err(e) => return Err(e.into()),
    }
    let link = format!(
        "{}/champions/{}",
        state.config().public_url.trim_end_matches('/'),
        me.id
    );
    let what = match to {
        Stage::Paused => "A champion has stepped back for a while",
        Stage::Left => "A champion has stepped down",
        _ => "A champion is back",
    };
    for admin in state.store().users(actor.pcn_id).await? {
        if admin.role == Role::PcnAdmin && admin.status == UserStatus::Active {
            state
                .store()
                .enqueue_message(&NewMessage {
                    pcn_id: Some(actor.pcn_id),
                    channel: Channel::Email,
                    recipient: admin.email.to_string(),
                    subject: what.into(),
                    body: format!("{what}. Their record, with what they said:\n\n{link}"),
                    now: state.now(),
                })
                .await?;
        }
    }
    let notice = match to {
        Stage::Paused => "You have stepped back. Come back whenever you are ready.",
        Stage::Left => "Thank you for everything you have given. We have let the team know.",
        _ => "Welcome back.",
    };
    render_mine(&state, &ctx, ("", String::new()), notice).await
}

/// A champion changes how they are reached.
async fn my_details(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<ContactForm>,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?.clone();
    let audit = ctx.audit(
        &state,
        "view_own_champion_record",
        "champion",
        None,
        Outcome::Allowed,
    );
    let me = state
        .store()
        .champion_of_user(actor.pcn_id, actor.user_id, &audit)
        .await?
        .ok_or(AppError::NotFound)?;
    let contact = match f.parse() {
        Ok(c) => c,
        Err(errors) => {
            let message = errors
                .into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
                .join(". ");
            return render_mine(&state, &ctx, ("my_phone", message), "").await;
        }
    };
    let audit = ctx.audit(
        &state,
        "update_own_contact",
        "champion",
        None,
        Outcome::Allowed,
    );
    state
        .store()
        .update_champion_contact(actor.pcn_id, me.id, &contact, &audit)
        .await?;
    render_mine(&state, &ctx, ("", String::new()), "Your details are saved.").await
}

async fn my_progress(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    render_mine(&state, &ctx, ("", String::new()), "").await
}

async fn render_mine(
    state: &AppState,
    ctx: &Ctx,
    (error_for, error): (&'static str, String),
    notice: &'static str,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?.clone();
    let audit = ctx.audit(
        state,
        "view_own_champion_record",
        "champion",
        None,
        Outcome::Allowed,
    );
    let champion = state
        .store()
        .champion_of_user(actor.pcn_id, actor.user_id, &audit)
        .await?;
    let (badges, training, contacts, workshops) = match &champion {
        Some(c) => {
            let today = state.now().date();
            let workshops = state
                .store()
                .workshops(actor.pcn_id)
                .await?
                .into_iter()
                .filter(|w| w.on >= today && w.attendance.iter().any(|(who, _)| *who == c.id))
                .map(|w| {
                    let when = if w.starts.is_empty() {
                        date(&w.on)
                    } else {
                        format!("{}, {}", date(&w.on), w.starts)
                    };
                    (w.title, when)
                })
                .collect();
            (
                badge_rows(&state.store().badges(actor.pcn_id, Some(c.id)).await?),
                training_rows(&state.store().training(actor.pcn_id, Some(c.id)).await?),
                state.store().emergency_contacts(actor.pcn_id, c.id).await?,
                workshops,
            )
        }
        None => (Vec::new(), Vec::new(), Vec::new(), Vec::new()),
    };
    let (journey, steps, held) = match &champion {
        Some(c) => {
            let order = Stage::WAY_IN;
            let reached = order
                .iter()
                .position(|s| *s == c.paused_from.unwrap_or(c.stage))
                .unwrap_or(0);
            let journey = order
                .iter()
                .enumerate()
                .map(|(i, s)| (*s, i < reached, i == reached))
                .collect();
            let steps = step_rows(
                state,
                actor.pcn_id,
                state.store().champion_steps(actor.pcn_id, c.id).await?,
            )
            .await?;
            let store = state.store();
            let dbs_audit = ctx.audit(
                state,
                "view_own_dbs",
                "champion_dbs",
                None,
                Outcome::Allowed,
            );
            let facts: Vec<_> = store
                .dbs_checks(actor.pcn_id, c.id, &dbs_audit)
                .await?
                .iter()
                .map(DbsCheck::facts)
                .collect();
            let years = renewal_years(
                store
                    .setting(actor.pcn_id, DBS_RENEWAL_SETTING)
                    .await?
                    .as_deref(),
            );
            let today = state.now().date();
            let held = store
                .roles_of_champion(actor.pcn_id, c.id)
                .await?
                .into_iter()
                .map(|r| {
                    let status = Clearance::of(r.dbs_level, &facts, years, today);
                    let due = match status {
                        Clearance::Clear { due } => format!("DBS check renewed by {}", date(&due)),
                        Clearance::Expired { due } => format!("DBS renewal was due {}", date(&due)),
                        _ => String::new(),
                    };
                    (r, status.label(), due)
                })
                .collect();
            (journey, steps, held)
        }
        None => (Vec::new(), Vec::new(), Vec::new()),
    };
    let page = MyPage {
        layout: Layout::new(state, ctx, "My progress"),
        champion,
        journey,
        steps,
        held,
        badges,
        training,
        contacts,
        workshops,
        error,
        error_for,
        notice,
    };
    let status = form_status(!page.error.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}
