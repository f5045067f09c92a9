//! Together's domain rules. Nothing here touches a disk, a network or the wall clock, so every
//! rule can be tested directly and every other crate shares one definition of it.

pub mod audit;
pub mod calendar;
pub mod champions;
pub mod clock;
pub mod connections;
pub mod disclosure;
pub mod export;
pub mod geo;
pub mod hours_expenses;
pub mod ids;
pub mod impact;
pub mod invitations;
pub mod listings;
pub mod loans;
pub mod nhs;
pub mod offers;
pub mod partners;
pub mod password;
pub mod people;
pub mod pledges;
pub mod policy;
pub mod pseudonym;
pub mod recurrence;
pub mod referral_letter;
pub mod referrals;
pub mod refusal;
pub mod roles;
pub mod safeguarding;
pub mod settings;
pub mod tokens;
pub mod uk_time;
pub mod wellbeing;

pub use clock::{Clock, SystemClock};
pub use ids::{
    ChampionId, ChampionRoleId, ConnectionId, Email, FollowUpId, InvitationId, ItemId, LoanId,
    PcnId, PersonId, PledgeId, PracticeCode, PracticeId, ProgrammeCostId, ReferralId, ServiceId,
    SessionId, SiteId, UserId,
};
pub use nhs::NhsNumber;
pub use policy::{authorize, Action, Actor, Decision, Resource};
pub use pseudonym::{Pseudonym, PseudonymKey};
pub use roles::Role;
