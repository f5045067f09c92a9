//! Invitations from a cohort: a practice invites the people Insight found (by text message,
//! letter or phone call) and records each answer. A "yes" becomes a person the PCN supports,
//! with the consent they gave, and a suggested connection to what they were invited to.

use crate::connections::{ConnectionForm, NewConnection, Target};
use crate::people::{ConsentMethod, ConsentPurpose, ContactPreference, FieldError};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use time::Date;

/// How an invitation reaches someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Text,
    Letter,
    Phone,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Text, Channel::Letter, Channel::Phone];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Text => "text",
            Channel::Letter => "letter",
            Channel::Phone => "phone",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Channel::Text => "Text message",
            Channel::Letter => "Letter",
            Channel::Phone => "Phone call",
        }
    }

    /// How someone is invited when the practice chose `wanted`: a text needs a mobile number,
    /// so without one they get a letter.
    pub fn for_person(wanted: Channel, has_mobile: bool) -> Channel {
        match wanted {
            Channel::Text if !has_mobile => Channel::Letter,
            other => other,
        }
    }
}

impl FromStr for Channel {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|c| c.as_str() == s).ok_or(())
    }
}

/// What someone said to an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Yes,
    No,
    /// Asked, and no answer came (recorded so that nobody is chased for ever).
    NoReply,
}

impl Answer {
    pub const ALL: [Answer; 3] = [Answer::Yes, Answer::No, Answer::NoReply];

    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Yes => "yes",
            Answer::No => "no",
            Answer::NoReply => "no_reply",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Answer::Yes => "Yes, they would like to join",
            Answer::No => "No, thank you",
            Answer::NoReply => "No reply",
        }
    }
}

impl FromStr for Answer {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|a| a.as_str() == s).ok_or(())
    }
}

/// The answer form as typed. The rest matters only for a "yes".
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AnswerForm {
    pub answer: String,
    pub answered_on: String,
    /// What to connect them to, as [`ConnectionForm::to`].
    pub to: String,
    pub contact_preference: String,
    /// How to reach them, as they gave it (the practice's mobile number for them to start with):
    /// checked with the rest of the person's details.
    pub phone: String,
    pub email: String,
    /// `yes` when they also agree to a champion knowing their first name and how to reach
    /// them, and to being asked how they are.
    pub share_with_champions: String,
    pub wellbeing_follow_up: String,
    pub method: String,
    pub what_matters: String,
}

/// A "yes", checked: how they like to be contacted, what they agreed to (always being
/// contacted by the team: that is what saying yes asks for), how, and the connection to make.
#[derive(Debug, Clone)]
pub struct Yes {
    pub contact_preference: ContactPreference,
    pub consents: Vec<ConsentPurpose>,
    pub method: ConsentMethod,
    pub connection: NewConnection,
    pub what_matters: String,
}

/// An answer, checked.
#[derive(Debug, Clone)]
pub struct Answered {
    pub answer: Answer,
    pub on: Date,
    pub yes: Option<Yes>,
}

fn error(field: &'static str, message: &str) -> FieldError {
    FieldError {
        field,
        message: message.to_owned(),
    }
}

impl AnswerForm {
    /// Every problem at once. The day may be left empty for today; it is never after today
    /// nor before the invitation went (`invited_on`).
    pub fn parse(&self, today: Date, invited_on: Date) -> Result<Answered, Vec<FieldError>> {
        let mut errors = Vec::new();
        let answer = self.answer.parse::<Answer>().ok();
        if answer.is_none() {
            errors.push(error("answer", "Choose what they said"));
        }
        let on = if self.answered_on.trim().is_empty() {
            Some(today)
        } else {
            match crate::people::parse_date(&self.answered_on) {
                Some(d) if d > today => {
                    errors.push(error("answered_on", "The answer cannot be in the future"));
                    None
                }
                Some(d) if d < invited_on => {
                    errors.push(error(
                        "answered_on",
                        "The answer cannot be before the invitation went",
                    ));
                    None
                }
                Some(d) => Some(d),
                None => {
                    errors.push(error(
                        "answered_on",
                        "Enter the day they answered, for example 03/12/2026",
                    ));
                    None
                }
            }
        };
        let yes = if answer == Some(Answer::Yes) {
            self.yes(on.unwrap_or(today), &mut errors)
        } else {
            None
        };
        match (answer, on) {
            (Some(answer), Some(on)) if errors.is_empty() => Ok(Answered { answer, on, yes }),
            _ => Err(errors),
        }
    }

    fn yes(&self, on: Date, errors: &mut Vec<FieldError>) -> Option<Yes> {
        let contact_preference = self.contact_preference.parse::<ContactPreference>().ok();
        if contact_preference.is_none() {
            errors.push(error(
                "contact_preference",
                "Choose how they like to be contacted",
            ));
        }
        let method = self.method.parse::<ConsentMethod>().ok();
        if method.is_none() {
            errors.push(error("method", "Choose how they said yes"));
        }
        let what_matters = self.what_matters.trim().to_owned();
        if what_matters.chars().count() > crate::people::WHAT_MATTERS_MAX {
            errors.push(error(
                "what_matters",
                "Keep what matters to them under 1000 characters",
            ));
        }
        let connection = ConnectionForm {
            to: self.to.clone(),
            source: crate::connections::Source::CohortInvitation
                .as_str()
                .to_owned(),
            made_on: crate::people::uk_date(on),
            note: what_matters.clone(),
        }
        .parse(on);
        let connection = match connection {
            Ok(c) if matches!(c.to, Target::Service(_)) => Some(c),
            Ok(_) => {
                errors.push(error("to", "Choose the offer or service they said yes to"));
                None
            }
            Err(e) => {
                errors.extend(e.into_iter().filter(|e| e.field != "note"));
                None
            }
        };
        let mut consents = vec![ConsentPurpose::Contact];
        if self.share_with_champions == "yes" {
            consents.push(ConsentPurpose::ShareWithChampions);
        }
        if self.wellbeing_follow_up == "yes" {
            consents.push(ConsentPurpose::WellbeingFollowUp);
        }
        Some(Yes {
            contact_preference: contact_preference?,
            consents,
            method: method?,
            connection: connection?,
            what_matters,
        })
    }
}

/// The suggested words of a text message inviting someone, in the users' language.
pub fn text_message(given_name: &str, practice: &str, offer: &str) -> String {
    format!(
        "Hello {given_name}, it's {practice}. We'd love you to join us at {offer}: a friendly group near you. \
         Reply YES if you'd like to hear more, or just ignore this message. No need to book."
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 12 - 03);
    const SENT: Date = date!(2026 - 11 - 20);

    fn yes() -> AnswerForm {
        AnswerForm {
            answer: "yes".into(),
            to: format!("service:{}", crate::ServiceId::new()),
            contact_preference: "text".into(),
            method: "verbal".into(),
            wellbeing_follow_up: "yes".into(),
            ..AnswerForm::default()
        }
    }

    #[test]
    fn a_yes_needs_what_to_how_to_reach_them_and_how_they_said_it() {
        let ok = yes().parse(TODAY, SENT).unwrap();
        let y = ok.yes.unwrap();
        assert_eq!(ok.on, TODAY);
        assert_eq!(
            y.consents,
            [ConsentPurpose::Contact, ConsentPurpose::WellbeingFollowUp],
            "saying yes is agreeing to be contacted"
        );
        assert_eq!(
            y.connection.source,
            crate::connections::Source::CohortInvitation
        );
        let empty = AnswerForm {
            answer: "yes".into(),
            ..AnswerForm::default()
        };
        let fields: Vec<_> = empty
            .parse(TODAY, SENT)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["contact_preference", "method", "to"]);
        let to_a_champion = AnswerForm {
            to: format!("champion:{}", crate::ChampionId::new()),
            ..yes()
        };
        assert_eq!(to_a_champion.parse(TODAY, SENT).unwrap_err()[0].field, "to");
    }

    #[test]
    fn a_no_needs_nothing_more_and_no_answer_is_dated_outside_the_invitation() {
        let no = AnswerForm {
            answer: "no".into(),
            answered_on: "25/11/2026".into(),
            ..AnswerForm::default()
        };
        let parsed = no.parse(TODAY, SENT).unwrap();
        assert_eq!(
            (parsed.answer, parsed.on, parsed.yes.is_none()),
            (Answer::No, date!(2026 - 11 - 25), true)
        );
        for day in ["19/11/2026", "04/12/2026", "31/11/2026"] {
            let form = AnswerForm {
                answered_on: day.into(),
                ..no.clone()
            };
            assert_eq!(form.parse(TODAY, SENT).unwrap_err()[0].field, "answered_on");
        }
        assert_eq!(
            AnswerForm::default().parse(TODAY, SENT).unwrap_err()[0].field,
            "answer"
        );
    }

    #[test]
    fn a_text_needs_a_mobile_number_else_a_letter_goes() {
        assert_eq!(Channel::for_person(Channel::Text, false), Channel::Letter);
        assert_eq!(Channel::for_person(Channel::Text, true), Channel::Text);
        assert_eq!(Channel::for_person(Channel::Phone, false), Channel::Phone);
    }
}
