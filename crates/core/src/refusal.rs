//! What a person is told when a rule of the domain says no. The store finds out that a rule
//! applies (it alone sees the rows at the moment of the change); the words live here, once,
//! so that a page, the JSON API and the command line all say the same thing and a change of
//! wording is made in one place.

use crate::people::{long_date, uk_date};
use std::fmt;
use time::Date;

/// A rule said no; `Display` is the sentence shown to the person who asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    // Champions.
    /// The champions named (joined) have no clear, current DBS check at the role's level.
    NotClearFor(String),
    ChampionMovedMeanwhile,
    CheckHasResult,
    CertificateElsewhere,
    DecidedAlready,
    SayWhyNotApproved,
    BadgeNumberUsed(String),
    WorkshopFull,
    WorkshopNotYet,
    NotBookedOnWorkshop,
    /// A spreadsheet may bring champions in only before their DBS check (the stage's label).
    ImportedTooLate(String),
    /// Someone chose a champion who is not active.
    ChampionNotActive,
    /// A champion (given name, stage label) cannot lead sessions or take rota places yet.
    NotActiveToLead {
        name: String,
        stage: String,
    },
    // Connections.
    OwnBuddy,
    BuddyWithoutConsent,
    ConnectionCannotMove {
        now: String,
        to: String,
    },
    BeforeConnection(Date),
    EndingSaysWhy,
    FollowUpBeforeConnection(Date),
    FollowUpDone,
    // Invitations.
    AnswerRecordedAlready,
    YesNeedsWhoAndWhat,
    // Listings.
    ReadsAlready,
    // Equipment loans.
    LentThroughEquipmentOffer,
    SerialInInventory(String),
    ChooseCondition,
    /// An item (its name) cannot be lent, and why.
    CannotBeLent {
        item: String,
        why: String,
    },
    NotActiveToLend(String),
    NotALead {
        champion: String,
        offer: String,
    },
    LentMeanwhile(String),
    CameBackAlready {
        item: String,
        on: Date,
    },
    BackBeforeLent(Date),
    // Offers and sessions.
    /// A rule in core that words its own refusal (the champion journey's moves, the DBS level a
    /// role justifies, an offer's season).
    Rule(String),
    ScheduleAfterEnd {
        last: Date,
        end: Date,
    },
    SessionCancelled,
    SessionHappened,
    NoRota,
    RotaFull(i64),
    /// The first session (its date, as stored) that new dates would leave outside.
    SessionOutsideDates(String),
    SessionCancelledAddNew,
    CancelledNoRegister,
    RegisterOnTheDay(Date),
    // Partners.
    AgreementOrInsurance,
    OnlyPartnerKeepsDetails,
    // People.
    NhsNumberDiffers,
    SayHowAgreed,
    MergeIntoItself,
    DifferentNhsNumbers,
    BuddiesOfEachOther,
    // Pledges.
    NotAgreedToWall,
    DidNotAskForChampion,
    // Referrals.
    ReferralDecided,
    DecidedBeforeArrival(Date),
    // Safeguarding.
    ConcernClosed,
    WriteWhatWasDone,
    // Wellbeing.
    NoConsentToAsk,
    NoWayToSendLink,
    LinkUsedOrExpired,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Refusal::*;
        match self {
            NotClearFor(names) => write!(
                f,
                "Not yet clear for {names}: record a clear, current DBS check at that level first"
            ),
            ChampionMovedMeanwhile => f.write_str(
                "Someone else moved this champion at the same moment: look again and try once more",
            ),
            CheckHasResult => f.write_str(
                "This check has its result already; ask for a new check to record another \
                 certificate",
            ),
            CertificateElsewhere => f.write_str(
                "This certificate number is recorded for another champion: check the number",
            ),
            DecidedAlready => f.write_str("This was decided already"),
            SayWhyNotApproved => {
                f.write_str("Say why it is not approved, so that the champion knows")
            }
            BadgeNumberUsed(n) => write!(
                f,
                "Badge number {n} has been given before: each badge has its own number"
            ),
            WorkshopFull => f.write_str("The workshop is full"),
            WorkshopNotYet => f.write_str("The workshop has not happened yet"),
            NotBookedOnWorkshop => f.write_str("They were not booked on this workshop"),
            ImportedTooLate(stage) => write!(
                f,
                "Champions are imported at interest, conversation or references, not '{stage}': \
                 record their DBS check in Together, then move them on"
            ),
            ChampionNotActive => {
                f.write_str("That champion is not active just now: choose another")
            }
            NotActiveToLead { name, stage } => write!(
                f,
                "{name} is not an active champion yet ({stage}): only active champions lead \
                 sessions or take rota places"
            ),
            OwnBuddy => f.write_str("Someone cannot be their own buddy: choose another person"),
            BuddyWithoutConsent => f.write_str(
                "They have not agreed to the team contacting them, so they cannot be asked to be \
                 a buddy: record their consent first",
            ),
            ConnectionCannotMove { now, to } => write!(
                f,
                "This connection is at '{now}' now: it cannot move to '{to}'"
            ),
            BeforeConnection(made_on) => write!(
                f,
                "That is before the connection was made ({})",
                uk_date(*made_on)
            ),
            EndingSaysWhy => f.write_str("An ending says why, and only an ending"),
            FollowUpBeforeConnection(made_on) => write!(
                f,
                "A follow-up cannot be before the connection ({})",
                uk_date(*made_on)
            ),
            FollowUpDone => f.write_str("This follow-up is already done"),
            AnswerRecordedAlready => f.write_str("Their answer is recorded already"),
            YesNeedsWhoAndWhat => f.write_str("A yes needs who said it and what they agreed to"),
            ReadsAlready => f.write_str(
                "That is how it reads already: change something, or confirm it is still right",
            ),
            LentThroughEquipmentOffer => f.write_str(
                "Items are lent through an equipment-loan offer: choose one of those, or none",
            ),
            SerialInInventory(serial) => write!(
                f,
                "An item with serial number {serial} is already in the inventory"
            ),
            ChooseCondition => f.write_str("Choose a condition from the list"),
            CannotBeLent { item, why } => write!(f, "{item} cannot be lent: {why}"),
            NotActiveToLend(name) => write!(f, "{name} is not an active champion just now"),
            NotALead { champion, offer } => write!(
                f,
                "{champion} does not lead {offer}: only its leads handle its loans"
            ),
            LentMeanwhile(item) => write!(f, "{item} was lent to someone else a moment ago"),
            CameBackAlready { item, on } => {
                write!(f, "{item} came back on {} already", long_date(*on))
            }
            BackBeforeLent(lent_on) => write!(
                f,
                "It was lent on {}: it cannot have come back before then",
                long_date(*lent_on)
            ),
            Rule(why) => f.write_str(why),
            ScheduleAfterEnd { last, end } => write!(
                f,
                "The schedule runs to {last}, after the offer ends ({end}): end it by {end}"
            ),
            SessionCancelled => f.write_str("This session is cancelled"),
            SessionHappened => f.write_str("This session has already happened"),
            NoRota => f.write_str("This session has no rota"),
            RotaFull(places) => write!(f, "The rota is full: all {places} places are taken"),
            SessionOutsideDates(day) => write!(
                f,
                "A session on {day} would fall outside the new dates: cancel it first, or keep \
                 the dates"
            ),
            SessionCancelledAddNew => {
                f.write_str("This session is cancelled; add a new one instead")
            }
            CancelledNoRegister => f.write_str("This session was cancelled: it has no register"),
            RegisterOnTheDay(on) => {
                write!(f, "This session is on {on}: take its register on the day")
            }
            AgreementOrInsurance => f.write_str("An agreement or an insurance policy"),
            OnlyPartnerKeepsDetails => {
                f.write_str("Only a community partner's account can keep an organisation's details")
            }
            NhsNumberDiffers => f.write_str(
                "That NHS number is not the one already linked to this record: check it, or \
                 whether this is someone else",
            ),
            SayHowAgreed => f.write_str("Say how they agreed (verbal, written or online)"),
            MergeIntoItself => {
                f.write_str("Choose another record: a record cannot be merged into itself")
            }
            DifferentNhsNumbers => f.write_str(
                "These records have different NHS numbers: they are two people, not one",
            ),
            BuddiesOfEachOther => f.write_str(
                "One of these records is connected to the other as a buddy: end that connection \
                 first if they are one person",
            ),
            NotAgreedToWall => f.write_str("They did not agree to their pledge being shown"),
            DidNotAskForChampion => f.write_str("They did not ask for a champion"),
            ReferralDecided => f.write_str("This referral has been decided already"),
            DecidedBeforeArrival(received_on) => write!(
                f,
                "A referral is accepted or declined on or after the day it arrived ({})",
                uk_date(*received_on)
            ),
            ConcernClosed => f.write_str("This concern is closed"),
            WriteWhatWasDone => {
                f.write_str("Write what was done or decided (up to 5,000 characters)")
            }
            NoConsentToAsk => f.write_str(
                "They have not agreed to be contacted and asked how they are: record their \
                 consent first",
            ),
            NoWayToSendLink => {
                f.write_str("There is no mobile number or email address to send a link to")
            }
            LinkUsedOrExpired => f.write_str("This link has been used already or has expired"),
        }
    }
}

impl std::error::Error for Refusal {}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn dates_in_refusals_read_the_uk_way() {
        assert_eq!(
            Refusal::BeforeConnection(date!(2026 - 03 - 04)).to_string(),
            "That is before the connection was made (04/03/2026)"
        );
        assert_eq!(
            Refusal::CameBackAlready {
                item: "Blood pressure monitor".into(),
                on: date!(2026 - 12 - 24)
            }
            .to_string(),
            "Blood pressure monitor came back on 24 December 2026 already"
        );
    }
}
