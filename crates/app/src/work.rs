//! The day's work: what needs the person signed in now, counted, most urgent first. Each role's
//! home shows it, each item a link to where the work is done, and the API's `/api/v1/work`
//! answers the same counts, so a phone app or a team screen shows what the home page shows.
//!
//! Every count is worked out from what the store already keeps (no counter to drift): a
//! champion's stage, their DBS checks and training against the PCN's renewal settings, the
//! sessions ahead and their rotas, connections' follow-ups, listings against the PCN's checking
//! cycle, partners' changes waiting, open safeguarding concerns and loans out past their date.

use time::{Date, Duration};
use together_core::champions::Stage;
use together_core::connections::Status;
use together_core::listings::Verification;
use together_core::{Actor, Role};
use together_store::champions::current_checks;
use together_store::connections::ConnectionFilter;
use together_store::loans::LoanFilter;
use together_store::offers::SessionFilter;
use together_store::{programme_settings, DynStore, NewAuditEvent, StoreError};

/// How far ahead the coordinator looks for rota gaps, and a DBS check or training counts as due.
pub const GAPS_AHEAD_DAYS: i64 = 14;
pub const DUE_WITHIN_DAYS: i64 = 30;

/// A kind of work, in the order it is shown when several are waiting: what is overdue or
/// unsafe first, then what is today's, then what is waiting to be picked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Need {
    /// Safeguarding concerns still open, for the PCN's named lead.
    ConcernsOpen,
    /// Champions whose DBS check has run out or runs out within 30 days (a renewal not started).
    DbsDue,
    /// Connections with a follow-up missed.
    FollowUpsOverdue,
    /// Loans out past the date they were due back.
    LoansOverdue,
    /// Registers the champion takes today (sessions they are on).
    RegistersToday,
    /// Follow-ups due today or earlier, not yet missed by a week.
    FollowUpsDue,
    /// Training run out or running out within 30 days.
    TrainingDue,
    /// Rota places not filled in sessions in the next two weeks.
    RotaGaps,
    /// Listings past or near their date for checking.
    ListingsDue,
    /// Listings the partner should confirm are still right.
    ListingsToConfirm,
    /// Partners' changes to listings waiting to be accepted.
    ChangesWaiting,
    /// People connected and not yet contacted.
    WaitingToBeContacted,
    /// New expressions of interest from would-be champions.
    NewInterest,
    /// Champions whose references are being taken.
    ReferencesWaiting,
    /// Champions waiting for a DBS check's result.
    DbsWaiting,
    /// Rota places the champion could take in the next seven days.
    PlacesThisWeek,
    /// The champion's own sessions in the next seven days.
    MySessions,
}

impl Need {
    /// The name the API uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Need::ConcernsOpen => "concerns_open",
            Need::DbsDue => "dbs_due",
            Need::FollowUpsOverdue => "follow_ups_overdue",
            Need::LoansOverdue => "loans_overdue",
            Need::RegistersToday => "registers_today",
            Need::FollowUpsDue => "follow_ups_due",
            Need::TrainingDue => "training_due",
            Need::RotaGaps => "rota_gaps",
            Need::ListingsDue => "listings_due",
            Need::ListingsToConfirm => "listings_to_confirm",
            Need::ChangesWaiting => "changes_waiting",
            Need::WaitingToBeContacted => "waiting_to_be_contacted",
            Need::NewInterest => "new_interest",
            Need::ReferencesWaiting => "references_waiting",
            Need::DbsWaiting => "dbs_waiting",
            Need::PlacesThisWeek => "places_this_week",
            Need::MySessions => "my_sessions",
        }
    }

    /// Overdue or unsafe: shown first and marked.
    pub fn is_urgent(self) -> bool {
        matches!(
            self,
            Need::ConcernsOpen | Need::DbsDue | Need::FollowUpsOverdue | Need::LoansOverdue
        )
    }

    /// What needs doing, in words, for `count` of it ("3 follow-ups missed").
    pub fn words(self, count: u64) -> String {
        let one = count == 1;
        let (singular, plural) = match self {
            Need::ConcernsOpen => ("safeguarding concern open", "safeguarding concerns open"),
            Need::DbsDue => (
                "DBS check run out or due within 30 days",
                "DBS checks run out or due within 30 days",
            ),
            Need::FollowUpsOverdue => (
                "connection with a follow-up missed",
                "connections with a follow-up missed",
            ),
            Need::LoansOverdue => ("loan overdue", "loans overdue"),
            Need::RegistersToday => ("register to take today", "registers to take today"),
            Need::FollowUpsDue => ("follow-up due", "follow-ups due"),
            Need::TrainingDue => (
                "training run out or due within 30 days",
                "trainings run out or due within 30 days",
            ),
            Need::RotaGaps => (
                "rota place to fill in the next two weeks",
                "rota places to fill in the next two weeks",
            ),
            Need::ListingsDue => ("listing due for checking", "listings due for checking"),
            Need::ListingsToConfirm => ("listing to confirm", "listings to confirm"),
            Need::ChangesWaiting => ("partner's change waiting", "partners' changes waiting"),
            Need::WaitingToBeContacted => (
                "person waiting to be contacted",
                "people waiting to be contacted",
            ),
            Need::NewInterest => ("new expression of interest", "new expressions of interest"),
            Need::ReferencesWaiting => (
                "champion waiting for references",
                "champions waiting for references",
            ),
            Need::DbsWaiting => (
                "champion waiting for a DBS check",
                "champions waiting for a DBS check",
            ),
            Need::PlacesThisWeek => (
                "place you can take this week",
                "places you can take this week",
            ),
            Need::MySessions => (
                "of your sessions in the next seven days",
                "of your sessions in the next seven days",
            ),
        };
        format!("{count} {}", if one { singular } else { plural })
    }
}

/// One line of the work queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub need: Need,
    pub count: u64,
}

/// What needs the actor now, most urgent first; nothing with a count of nothing. Reads of
/// champions, connections and loans are audited with `audit`.
pub async fn queue(
    store: &DynStore,
    actor: &Actor,
    today: Date,
    audit: &NewAuditEvent,
) -> Result<Vec<Item>, StoreError> {
    let settings = programme_settings(store, actor.pcn_id).await?;
    let pcn = actor.pcn_id;
    let mut items: Vec<Item> = Vec::new();
    let mut add = |need, count: usize| {
        items.push(Item {
            need,
            count: count as u64,
        })
    };
    let is_lead = settings.safeguarding_lead == Some(actor.user_id)
        || (settings.safeguarding_lead.is_none() && actor.role == Role::PcnAdmin);
    if is_lead {
        add(
            Need::ConcernsOpen,
            usize::try_from(store.open_concerns(pcn).await?).unwrap_or(0),
        );
    }
    match actor.role {
        Role::PcnAdmin => {
            let champions = store.champions(pcn, audit).await?;
            let at = |stage| champions.iter().filter(|c| c.stage == stage).count();
            add(Need::NewInterest, at(Stage::Interest));
            add(Need::ReferencesWaiting, at(Stage::References));
            add(Need::DbsWaiting, at(Stage::DbsCheck));
            let staying: Vec<_> = champions
                .iter()
                .filter(|c| c.stage != Stage::Left)
                .map(|c| c.id)
                .collect();
            let due = |on: Date| (on - today).whole_days() <= DUE_WITHIN_DAYS;
            let checks = store.pcn_dbs_checks(pcn, audit).await?;
            let dbs_due = staying
                .iter()
                .map(|id| {
                    let mine: Vec<_> = checks
                        .iter()
                        .filter(|k| k.champion_id == *id)
                        .cloned()
                        .collect();
                    current_checks(&mine, settings.dbs_renewal_years)
                        .iter()
                        .filter(|(k, on)| !k.renewal_in_progress && due(*on))
                        .count()
                })
                .sum();
            add(Need::DbsDue, dbs_due);
            let training = store.training(pcn, None).await?;
            let training_due = staying
                .iter()
                .map(|id| {
                    together_store::champions::current_training(&training, *id)
                        .iter()
                        .filter(|t| t.expires_on.is_some_and(due))
                        .count()
                })
                .sum();
            add(Need::TrainingDue, training_due);
            let ahead = SessionFilter {
                from: Some(today),
                to: Some(today + Duration::days(GAPS_AHEAD_DAYS)),
                ..SessionFilter::default()
            };
            let gaps: i64 = store
                .offer_sessions(pcn, &ahead)
                .await?
                .iter()
                .filter(|s| !s.cancelled)
                .map(|s| s.gaps().max(0))
                .sum();
            add(Need::RotaGaps, usize::try_from(gaps).unwrap_or(0));
            let connections = store
                .connections(pcn, &ConnectionFilter::default(), today, audit)
                .await?;
            add(
                Need::FollowUpsOverdue,
                connections.iter().filter(|c| c.missed > 0).count(),
            );
            let listings = store.listings(pcn, None).await?;
            add(
                Need::ListingsDue,
                due_for_checking(&listings, &settings, today),
            );
            add(
                Need::ChangesWaiting,
                listings.iter().filter(|l| l.pending_change).count(),
            );
            let open = LoanFilter {
                open_only: true,
                ..LoanFilter::default()
            };
            add(
                Need::LoansOverdue,
                store
                    .loans(pcn, &open, audit)
                    .await?
                    .iter()
                    .filter(|l| l.overdue(today))
                    .count(),
            );
        }
        Role::LinkWorker => {
            let mine = crate::connections::scope_of(actor);
            let connections = store.connections(pcn, &mine, today, audit).await?;
            let open = || connections.iter().filter(|c| c.status != Status::Ended);
            add(
                Need::FollowUpsOverdue,
                open().filter(|c| c.missed > 0).count(),
            );
            add(
                Need::FollowUpsDue,
                open()
                    .filter(|c| c.missed == 0 && c.next_follow_up.is_some_and(|d| d <= today))
                    .count(),
            );
            add(
                Need::WaitingToBeContacted,
                open().filter(|c| c.status == Status::Suggested).count(),
            );
        }
        Role::Champion => {
            if let Some(me) = crate::champions::own_record(store, actor, audit).await? {
                let week = today + Duration::days(7);
                let mine = SessionFilter {
                    from: Some(today),
                    to: Some(week),
                    champion: Some(me.id),
                    ..SessionFilter::default()
                };
                let sessions = store.offer_sessions(pcn, &mine).await?;
                add(
                    Need::RegistersToday,
                    sessions.iter().filter(|s| s.on == today).count(),
                );
                add(Need::MySessions, sessions.len());
                let places = store
                    .open_rota_places(pcn, me.id, today, week, today)
                    .await?;
                add(Need::PlacesThisWeek, places.len());
            }
        }
        Role::Partner => {
            if let Some(partner) = store.partner_of_user(pcn, actor.user_id).await? {
                let listings = store.listings(pcn, Some(&partner)).await?;
                add(
                    Need::ListingsToConfirm,
                    due_for_checking(&listings, &settings, today),
                );
            }
        }
        _ => {}
    }
    items.retain(|i| i.count > 0);
    items.sort_by_key(|i| i.need);
    Ok(items)
}

/// Listings due within the ask window, overdue or lapsed by the PCN's checking cycle.
fn due_for_checking(
    listings: &[together_store::listings::ListingSummary],
    settings: &together_core::settings::ProgrammeSettings,
    today: Date,
) -> usize {
    listings
        .iter()
        .filter(|l| {
            Verification::of(
                l.assured_on,
                settings.verify_months,
                settings.grace_days,
                today,
            ) != Verification::Current
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_as_a_person_would_say_them() {
        assert_eq!(Need::LoansOverdue.words(1), "1 loan overdue");
        assert_eq!(
            Need::WaitingToBeContacted.words(3),
            "3 people waiting to be contacted"
        );
        assert_eq!(Need::ChangesWaiting.words(2), "2 partners' changes waiting");
    }

    #[test]
    fn what_is_unsafe_or_overdue_comes_before_what_is_waiting() {
        assert!(Need::ConcernsOpen < Need::DbsDue);
        assert!(Need::FollowUpsOverdue < Need::NewInterest);
        assert!(Need::RegistersToday < Need::PlacesThisWeek);
    }
}
