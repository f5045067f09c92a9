//! Compliance reminders: a DBS check coming up for renewal is told to the champion and to the
//! PCN's volunteer coordinators through the outbox, 60, 30 and 7 days before and once overdue,
//! each once (the store notes what went out), and not while a renewal is in progress.

use crate::state::AppState;
use together_core::champions::{renewal_years, Due, DBS_RENEWAL_SETTING};
use together_core::people::ContactPreference;
use together_core::Role;
use together_store::champions::current_checks;
use together_store::{Channel, NewAuditEvent, NewMessage, Outcome, StoreError, UserStatus};

fn system_audit(state: &AppState, pcn: together_core::PcnId) -> NewAuditEvent {
    NewAuditEvent {
        at: state.now(),
        actor: "system:reminders".into(),
        role: "system".into(),
        pcn_id: Some(pcn),
        action: "compliance_reminders".into(),
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
        let years = renewal_years(store.setting(pcn.id, DBS_RENEWAL_SETTING).await?.as_deref());
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
        for c in champions
            .iter()
            .filter(|c| c.stage != together_core::champions::Stage::Left)
        {
            let mine: Vec<_> = checks
                .iter()
                .filter(|k| k.champion_id == c.id)
                .cloned()
                .collect();
            for (check, due) in current_checks(&mine, years) {
                let band = Due::of(due, today);
                if band == Due::Later || check.renewal_in_progress {
                    continue;
                }
                let subject = format!("dbs:{}:{due}", check.id);
                if !store
                    .note_reminder(pcn.id, &subject, band.as_str(), now)
                    .await?
                {
                    continue;
                }
                reminded += 1;
                let when = crate::layout::date(&due);
                let (verb, title) = if band == Due::Overdue {
                    (
                        "was due for renewal on",
                        "A DBS check is overdue for renewal",
                    )
                } else {
                    ("is due for renewal on", "A DBS check is due for renewal")
                };
                let to_champion = match (c.contact_preference, &c.email, &c.phone) {
                    (ContactPreference::Email, Some(e), _) | (_, Some(e), None) => {
                        Some((Channel::Email, e.clone()))
                    }
                    (_, _, Some(p)) => Some((Channel::Sms, p.clone())),
                    _ => None,
                };
                if let Some((channel, recipient)) = to_champion {
                    store
                        .enqueue_message(&NewMessage {
                            pcn_id: Some(pcn.id),
                            channel,
                            recipient,
                            subject: title.into(),
                            body: format!(
                                "{}, your DBS check {verb} {when}. Your volunteer coordinator at {} will help you renew it.",
                                c.given_name, pcn.name
                            ),
                            now,
                        })
                        .await?;
                }
                for admin in &admins {
                    store
                        .enqueue_message(&NewMessage {
                            pcn_id: Some(pcn.id),
                            channel: Channel::Email,
                            recipient: admin.clone(),
                            subject: title.into(),
                            body: format!(
                                "A champion's DBS check {verb} {when}. Open their record to start the renewal:\n\n{base}/champions/{}",
                                c.id
                            ),
                            now,
                        })
                        .await?;
                }
            }
        }
    }
    Ok(reminded)
}
