//! The demo's health pledges: made at a stall, in the waiting room and online over the last
//! month, most on the wall, one waiting to be checked, and one from someone who would like a
//! champion's help.

use crate::connections::at;
use crate::Result;
use time::OffsetDateTime;
use together_core::pledges::{Contact, NewPledge, Place, Theme};
use together_core::PcnId;
use together_store::DynStore;

/// (goal, theme, where, days ago, on the wall once checked)
const PLEDGES: [(&str, Theme, Place, i64, bool); 8] = [
    (
        "Walk to the shops instead of taking the bus",
        Theme::MovingMore,
        Place::CommunityStall,
        28,
        true,
    ),
    (
        "Have fruit instead of biscuits with my cup of tea",
        Theme::EatingWell,
        Place::WaitingRoom,
        25,
        true,
    ),
    (
        "Say hello to one new person at the lunch club each week",
        Theme::MeetingPeople,
        Place::CommunityStall,
        21,
        true,
    ),
    (
        "Two alcohol-free days every week",
        Theme::DrinkingLess,
        Place::Online,
        17,
        true,
    ),
    (
        "Switch the telly off by ten and read instead",
        Theme::SleepingBetter,
        Place::WaitingRoom,
        12,
        true,
    ),
    (
        "Ten minutes in the garden every morning, whatever the weather",
        Theme::FeelingCalmer,
        Place::Online,
        9,
        true,
    ),
    (
        "Join the singing group on Tuesdays",
        Theme::MeetingPeople,
        Place::CommunityStall,
        4,
        false,
    ),
    (
        "Stop smoking by my birthday in March",
        Theme::StoppingSmoking,
        Place::WaitingRoom,
        2,
        false,
    ),
];

pub async fn build(store: &DynStore, pcn: PcnId, now: OffsetDateTime) -> Result<()> {
    let practices = store.practices(pcn).await?;
    for (i, (goal, theme, place, days_ago, shown)) in PLEDGES.into_iter().enumerate() {
        let wants_champion = theme == Theme::StoppingSmoking;
        let pledge = NewPledge {
            goal: goal.into(),
            theme,
            practice_id: practices.get(i % 4).map(|p| p.id),
            place,
            contact: wants_champion.then(|| Contact {
                given_name: "Edna".into(),
                phone: Some("07700 900461".into()),
                email: None,
            }),
            // The waiting one agreed to the wall; the coordinator has yet to check it.
            on_wall: shown || i == 6,
        };
        let made = at(pcn, days_ago, now);
        let id = store.add_pledge(pcn, &pledge, &made).await?;
        if shown {
            store.set_pledge_wall(pcn, id, true, &made).await?;
        }
    }
    Ok(())
}
