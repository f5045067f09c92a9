//! Compliance reminders: whatever comes due (a DBS check's renewal, an ID badge, training, an
//! agreement's review, insurance, a risk assessment's review) is told through the outbox to the
//! PCN's volunteer coordinators, and to the champion when it is theirs, 60, 30 and 7 days
//! before and once overdue, each once (the store notes what went out), and not while a DBS
//! renewal is in progress.

use crate::state::AppState;
use together_core::champions::Due;
use together_core::Role;
use together_store::{Channel, NewAuditEvent, NewMessage, Outcome, StoreError, UserStatus};

fn system_audit(state: &AppState, pcn: together_core::PcnId) -> NewAuditEvent {
    NewAuditEvent {
        at: state.now(),
        actor: "system:reminders".into(),
        role: "system".into(),
        pcn_id: Some(pcn),
        action: together_core::audit::AuditAction::ComplianceReminders,
        resource_type: "champions".into(),
        resource_id: None,
        outcome: Outcome::Allowed,
        reason: None,
        request_id: None,
        ip: None,
    }
}

/// Sends the reminders that are due now; returns how many items were reminded of.
pub async fn send_due(state: &AppState) -> Result<usize, StoreError> {
    let store = state.store();
    let now = state.now();
    let today = now.date();
    let mut reminded = 0;
    for pcn in store.pcns().await? {
        let audit = system_audit(state, pcn.id);
        let years = state.programme_settings(pcn.id).await?.dbs_renewal_years;
        let champions = store.champions(pcn.id, &audit).await?;
        let checks = store.pcn_dbs_checks(pcn.id, &audit).await?;
        let admins: Vec<String> = store
            .users(pcn.id)
            .await?
            .into_iter()
            .filter(|u| u.role == Role::PcnAdmin && u.status == UserStatus::Active)
            .map(|u| u.email.to_string())
            .collect();
        let base = state.config().public_url.trim_end_matches('/').to_owned();
        for e in crate::compliance::expiring(store, pcn.id, &champions, &checks, years).await? {
            let band = Due::of(e.due, today);
            if band == Due::Later || e.renewal.as_ref().is_some_and(|(_, going)| *going) {
                continue;
            }
            if !store
                .note_reminder(pcn.id, &e.key, band.as_str(), now)
                .await?
            {
                continue;
            }
            reminded += 1;
            let when = crate::layout::date(&e.due);
            let overdue = band == Due::Overdue;
            let title = if overdue {
                format!("Overdue: {}", e.what)
            } else {
                format!("Coming up: {}", e.what)
            };
            let verb = if overdue { "was due on" } else { "is due on" };
            let champion = e
                .champion
                .and_then(|id| champions.iter().find(|c| c.id == id));
            if let Some(c) = champion {
                if let Some((channel, recipient)) = c.reach() {
                    store
                        .enqueue_message(&NewMessage {
                            pcn_id: Some(pcn.id),
                            person: None,
                            channel,
                            recipient,
                            subject: title.clone(),
                            body: format!(
                                "{}, your {} {verb} {when}. Your volunteer coordinator at {} will help you renew it.",
                                c.given_name,
                                e.what.to_lowercase(),
                                pcn.name
                            ),
                            now,
                        })
                        .await?;
                }
            }
            // The coordinators' message names the kind of thing, not the person: the link does.
            let whose = if champion.is_some() {
                "A champion's".to_owned()
            } else {
                format!("{}:", e.name)
            };
            for admin in &admins {
                store
                    .enqueue_message(&NewMessage {
                        pcn_id: Some(pcn.id),
                        person: None,
                        channel: Channel::Email,
                        recipient: admin.clone(),
                        subject: title.clone(),
                        body: format!(
                            "{whose} {} {verb} {when}. Open it here:\n\n{base}{}",
                            e.what, e.href
                        ),
                        now,
                    })
                    .await?;
            }
        }
    }
    Ok(reminded)
}

/// Keeps every schedule's sessions generated [`GENERATE_DAYS`] ahead, reminds the champions on
/// tomorrow's rotas, and tells people (and whoever handles the loan) of equipment overdue, once
/// a week; returns how many were reminded.
pub async fn sessions_due(state: &AppState) -> Result<usize, StoreError> {
    use together_store::offers::GENERATE_DAYS;
    let store = state.store();
    let now = state.now();
    let today = now.date();
    let mut reminded = 0;
    for pcn in store.pcns().await? {
        store
            .generate_sessions(
                pcn.id,
                today,
                today + time::Duration::days(GENERATE_DAYS),
                now,
            )
            .await?;
        if let Some(tomorrow) = today.next_day() {
            reminded += store.send_rota_reminders(pcn.id, tomorrow, now).await?;
        }
        reminded += store.send_loan_reminders(pcn.id, today, now).await?;
    }
    Ok(reminded)
}

/// The directory's verification cycle for every PCN: asks the keepers of listings falling due
/// to confirm them, and takes out those not confirmed after the grace period; returns how many
/// listings were asked about or taken out.
pub async fn listings_due(state: &AppState) -> Result<usize, StoreError> {
    let store = state.store();
    let now = state.now();
    let base = state.config().public_url.trim_end_matches('/').to_owned();
    let mut done = 0;
    for pcn in store.pcns().await? {
        let settings = together_store::programme_settings(store, pcn.id).await?;
        let (months, grace) = (settings.verify_months, settings.grace_days);
        let run = store
            .verify_listings(pcn.id, months, grace, &base, now)
            .await?;
        done += run.asked + run.unpublished;
    }
    Ok(done)
}
