//! Delivering the outbox. Messages are written to the store first (so nothing is lost if a
//! provider is down) and handed to a [`Delivery`] adapter by a background task. The default
//! adapter records delivery and logs the channel, the recipient's domain and the message's id —
//! never its subject (which can name a person: "Please take the monitor to Grace B.") nor its
//! body (which may hold a one-time link). Staff read the messages themselves on the outbox page.

use crate::state::AppState;

/// Delivers what is waiting, once; returns how many were delivered.
pub async fn deliver_pending(state: &AppState) -> usize {
    let pending = match state.store().undelivered_messages(100).await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "could not read the outbox");
            return 0;
        }
    };
    let mut sent = 0;
    for m in pending {
        match state.0.delivery.deliver(&m).await {
            Ok(()) => {
                if state
                    .store()
                    .mark_delivered(&m.id, state.0.delivery.name(), state.now())
                    .await
                    .is_ok()
                {
                    sent += 1;
                }
            }
            Err(e) => tracing::warn!(error = %e, "delivery failed; will retry"),
        }
    }
    sent
}

/// Every this many rounds of delivery (five seconds each), the compliance reminders are
/// worked out again, sessions generated ahead, rota and loan reminders sent and the directory's
/// listings checked: every ten minutes, and
/// at start-up.
const REMINDER_ROUNDS: u32 = 120;

pub(crate) fn spawn_delivery(state: AppState) {
    tokio::spawn(async move {
        let mut round = 0u32;
        loop {
            if round.is_multiple_of(REMINDER_ROUNDS) {
                if let Err(e) = crate::reminders::send_due(&state).await {
                    tracing::warn!(error = %e, "could not work out the compliance reminders");
                }
                if let Err(e) = crate::reminders::sessions_due(&state).await {
                    tracing::warn!(error = %e, "could not generate sessions or send rota reminders");
                }
                if let Err(e) = crate::reminders::listings_due(&state).await {
                    tracing::warn!(error = %e, "could not run the directory's verification cycle");
                }
            }
            round = round.wrapping_add(1);
            deliver_pending(&state).await;
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        }
    });
}
