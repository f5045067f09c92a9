//! Health pledges: anyone — at a community stall, in the waiting room, online — says what they
//! will do for their health, in their own words, and may ask for a champion to help them keep
//! it. Pledges are counted by practice and theme; with the person's agreement a pledge is shown,
//! without their name, on a public wall that invites others to join.

use crate::people::FieldError;
use crate::PracticeId;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// The longest pledge: a sentence or two, in their words.
pub const GOAL_MAX: usize = 280;

/// What a pledge is about, for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    MovingMore,
    EatingWell,
    StoppingSmoking,
    DrinkingLess,
    SleepingBetter,
    MeetingPeople,
    FeelingCalmer,
    Other,
}

impl Theme {
    pub const ALL: [Theme; 8] = [
        Theme::MovingMore,
        Theme::EatingWell,
        Theme::StoppingSmoking,
        Theme::DrinkingLess,
        Theme::SleepingBetter,
        Theme::MeetingPeople,
        Theme::FeelingCalmer,
        Theme::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Theme::MovingMore => "moving_more",
            Theme::EatingWell => "eating_well",
            Theme::StoppingSmoking => "stopping_smoking",
            Theme::DrinkingLess => "drinking_less",
            Theme::SleepingBetter => "sleeping_better",
            Theme::MeetingPeople => "meeting_people",
            Theme::FeelingCalmer => "feeling_calmer",
            Theme::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Theme::MovingMore => "Moving more",
            Theme::EatingWell => "Eating well",
            Theme::StoppingSmoking => "Stopping smoking",
            Theme::DrinkingLess => "Drinking less",
            Theme::SleepingBetter => "Sleeping better",
            Theme::MeetingPeople => "Meeting people, feeling less alone",
            Theme::FeelingCalmer => "Feeling calmer, looking after my mind",
            Theme::Other => "Something else",
        }
    }
}

impl FromStr for Theme {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|t| t.as_str() == s).ok_or(())
    }
}

/// Where a pledge was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Place {
    Online,
    CommunityStall,
    WaitingRoom,
}

impl Place {
    pub const ALL: [Place; 3] = [Place::Online, Place::CommunityStall, Place::WaitingRoom];

    pub fn as_str(self) -> &'static str {
        match self {
            Place::Online => "online",
            Place::CommunityStall => "community_stall",
            Place::WaitingRoom => "waiting_room",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Place::Online => "Online, at home",
            Place::CommunityStall => "At a community stall or event",
            Place::WaitingRoom => "In the waiting room",
        }
    }
}

impl FromStr for Place {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|p| p.as_str() == s).ok_or(())
    }
}

/// The public form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PledgeForm {
    pub goal: String,
    pub theme: String,
    /// One of the PCN's practices, or empty for "not sure".
    pub practice_id: String,
    pub place: String,
    /// `yes` when they would like a champion to help them keep it.
    pub wants_champion: String,
    pub given_name: String,
    pub phone: String,
    pub email: String,
    /// `yes` when they agree to it being shown, without their name, on the pledge wall.
    pub on_wall: String,
}

/// Who a champion should get in touch with: only when they asked for one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub given_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// A pledge, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPledge {
    pub goal: String,
    pub theme: Theme,
    pub practice_id: Option<PracticeId>,
    pub place: Place,
    /// Present only when they asked for a champion (and so agreed to one contacting them).
    pub contact: Option<Contact>,
    pub on_wall: bool,
}

fn error(field: &'static str, message: &str) -> FieldError {
    FieldError {
        field,
        message: message.to_owned(),
    }
}

impl PledgeForm {
    /// Every problem at once. Nothing about how to reach them is kept unless they asked for a
    /// champion: a pledge is anonymous otherwise.
    pub fn parse(&self) -> Result<NewPledge, Vec<FieldError>> {
        let mut errors = Vec::new();
        let goal = self.goal.trim().to_owned();
        if goal.is_empty() {
            errors.push(error("goal", "Say what you will do, in your own words"));
        } else if goal.chars().count() > GOAL_MAX {
            errors.push(error(
                "goal",
                &format!("Keep your pledge to {GOAL_MAX} characters or fewer"),
            ));
        }
        let theme = self.theme.parse::<Theme>().ok();
        if theme.is_none() {
            errors.push(error("theme", "Choose what your pledge is about"));
        }
        let practice_id = match self.practice_id.trim() {
            "" => None,
            p => match p.parse::<PracticeId>() {
                Ok(p) => Some(p),
                Err(_) => {
                    errors.push(error(
                        "practice_id",
                        "Choose your GP practice from the list",
                    ));
                    None
                }
            },
        };
        let place = if self.place.is_empty() {
            Some(Place::Online)
        } else {
            self.place.parse::<Place>().ok()
        };
        if place.is_none() {
            errors.push(error("place", "Choose where you are making your pledge"));
        }
        let contact = if self.wants_champion == "yes" {
            let given_name = crate::people::name(
                "given_name",
                "your first name",
                &self.given_name,
                &mut errors,
            );
            let phone = crate::people::phone(&self.phone, &mut errors);
            let email = crate::people::email(&self.email, &mut errors);
            if phone.is_none() && email.is_none() && !errors.iter().any(|e| e.field == "phone") {
                errors.push(error(
                    "phone",
                    "Give a phone number or an email address, so a champion can get in touch",
                ));
            }
            Some(Contact {
                given_name,
                phone,
                email,
            })
        } else {
            None
        };
        match (theme, place) {
            (Some(theme), Some(place)) if errors.is_empty() => Ok(NewPledge {
                goal,
                theme,
                practice_id,
                place,
                contact,
                on_wall: self.on_wall == "yes",
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walking() -> PledgeForm {
        PledgeForm {
            goal: "Walk to the shops instead of taking the bus".into(),
            theme: "moving_more".into(),
            on_wall: "yes".into(),
            ..PledgeForm::default()
        }
    }

    #[test]
    fn a_pledge_is_anonymous_unless_they_ask_for_a_champion() {
        let p = walking().parse().unwrap();
        assert_eq!(
            (p.theme, p.place, p.contact, p.on_wall, p.practice_id),
            (Theme::MovingMore, Place::Online, None, true, None)
        );
        // Contact details typed without asking for a champion are not kept.
        let typed = PledgeForm {
            given_name: "Florence".into(),
            phone: "07700 900982".into(),
            ..walking()
        };
        assert_eq!(typed.parse().unwrap().contact, None);
        let asked = PledgeForm {
            wants_champion: "yes".into(),
            ..typed
        };
        assert_eq!(
            asked.parse().unwrap().contact,
            Some(Contact {
                given_name: "Florence".into(),
                phone: Some("07700 900982".into()),
                email: None
            })
        );
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let bad = PledgeForm {
            goal: "x".repeat(GOAL_MAX + 1),
            theme: "flying".into(),
            place: "moon".into(),
            wants_champion: "yes".into(),
            ..PledgeForm::default()
        };
        let fields: Vec<_> = bad
            .parse()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["goal", "theme", "place", "given_name", "phone"]);
        assert_eq!(
            PledgeForm::default().parse().unwrap_err()[0].message,
            "Say what you will do, in your own words"
        );
    }
}
