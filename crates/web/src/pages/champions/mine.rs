//! A champion's own page: their progress, what they are clear to do, their details, and
//! stepping back, coming back or leaving.

use super::common::*;
use together_core::audit::AuditAction;

/// How many of their next sessions "My progress" lists (the rest are on My sessions).
const UPCOMING_SESSIONS: usize = 5;

#[derive(Template)]
#[template(path = "champion_me.html")]
pub(super) struct MyPage {
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
    /// (offer, when) of the next sessions they lead or help at.
    sessions: Vec<(String, String)>,
    error: String,
    /// The field the error is about: "reason" (stepping back) or "my_phone" (details).
    error_for: &'static str,
    notice: &'static str,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct MyStepForm {
    /// "paused", "left", or "back" (from a pause).
    to: String,
    reason: String,
}

/// A champion steps back for a while, comes back, or leaves, from their own page; the
/// coordinators hear of it through the outbox.
pub(super) async fn my_step(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<MyStepForm>,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?.clone();
    let me = own_record(&state, &ctx).await?.ok_or(AppError::NotFound)?;
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
        AuditAction::ChampionStepOwn,
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
            return render_mine(&state, &ctx, ("reason", why.to_string()), "").await
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
                    person: None,
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
pub(super) async fn my_details(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<ContactForm>,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?.clone();
    let me = own_record(&state, &ctx).await?.ok_or(AppError::NotFound)?;
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
        AuditAction::UpdateOwnContact,
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

pub(super) async fn my_progress(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, AppError> {
    render_mine(&state, &ctx, ("", String::new()), "").await
}

pub(super) async fn render_mine(
    state: &AppState,
    ctx: &Ctx,
    (error_for, error): (&'static str, String),
    notice: &'static str,
) -> Result<Response, AppError> {
    let actor = ctx.actor()?.clone();
    let champion = own_record(state, ctx).await?;
    let (badges, training, contacts, workshops, sessions) = match &champion {
        Some(c) => {
            let today = state.now().date();
            let sessions = state
                .store()
                .offer_sessions(
                    actor.pcn_id,
                    &together_store::offers::SessionFilter {
                        from: Some(today),
                        champion: Some(c.id),
                        ..Default::default()
                    },
                )
                .await?
                .into_iter()
                .take(UPCOMING_SESSIONS)
                .map(|s| {
                    (
                        s.offer_name.clone(),
                        format!("{}, {}", date(&s.on), s.times()),
                    )
                })
                .collect();
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
                sessions,
            )
        }
        None => (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new()),
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
                AuditAction::ViewOwnDbs,
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
            let years = state
                .programme_settings(actor.pcn_id)
                .await?
                .dbs_renewal_years;
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
        sessions,
        error,
        error_for,
        notice,
    };
    let status = form_status(!page.error.is_empty());
    Ok((status, Html(page.render()?)).into_response())
}
