//! The short summary letter for the GP about a referral to social prescribing: what became of
//! it, what matters to the person, what they were connected to and how they are now. Written
//! from the facts alone, so its wording is tested here and the page only lays it out.

use crate::referrals::{code_for, ReferralStatus, Snomed};
use time::Date;

/// One connection the referral led to, as the letter tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterConnection {
    pub to: String,
    pub made_on: Date,
    /// Where it has got to, in words ("Keeps going").
    pub status: String,
    /// Why it ended, when it did.
    pub ended: Option<String>,
}

/// Everything the letter says, gathered by the caller.
#[derive(Debug, Clone)]
pub struct LetterFacts {
    pub service: String,
    pub referrer: String,
    pub practice: String,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Date,
    pub received_on: Date,
    pub status: ReferralStatus,
    pub decided_on: Option<Date>,
    pub what_matters: String,
    pub connections: Vec<LetterConnection>,
    /// Life satisfaction (ONS, 0 to 10) when first and last asked, with how many times.
    pub life_satisfaction: Option<(u8, u8)>,
    pub writer: String,
    pub today: Date,
}

/// The letter: who it is to and about, its paragraphs, the code for the GP record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub to: Vec<String>,
    pub about: String,
    pub paragraphs: Vec<String>,
    /// What the practice codes: only for an accepted or declined referral.
    pub code: Option<Snomed>,
    pub sign_off: Vec<String>,
}

fn long(d: Date) -> String {
    format!("{} {} {}", d.day(), d.month(), d.year())
}

/// The connections a referral accepted on `accepted_on` led to: those made that day or after,
/// and before the person's next accepted referral (`next_accepted_on`), whose they are then.
pub fn led_to(accepted_on: Date, next_accepted_on: Option<Date>, made_on: Date) -> bool {
    made_on >= accepted_on && next_accepted_on.is_none_or(|next| made_on < next)
}

/// Writes the letter.
pub fn letter(f: &LetterFacts) -> Letter {
    let name = format!("{} {}", f.given_name, f.family_name);
    let mut paragraphs = vec![format!(
        "Thank you for referring {} to {} on {}.",
        f.given_name,
        f.service,
        long(f.received_on)
    )];
    let decided = f.decided_on.map(long).unwrap_or_default();
    paragraphs.push(match f.status {
        ReferralStatus::Received => format!(
            "We have received the referral and will be in touch with {} soon.",
            f.given_name
        ),
        ReferralStatus::Accepted => format!("We accepted the referral on {decided}."),
        ReferralStatus::Declined => format!(
            "We were not able to take the referral on, and recorded this on {decided}. {} can \
             come back to us at any time.",
            f.given_name
        ),
    });
    if !f.what_matters.trim().is_empty() {
        paragraphs.push(format!(
            "What matters to {}, in their words: \"{}\"",
            f.given_name,
            f.what_matters.trim()
        ));
    }
    if f.status == ReferralStatus::Accepted {
        if f.connections.is_empty() {
            paragraphs.push("We have not yet connected them to anything.".into());
        } else {
            for c in &f.connections {
                let ended = c
                    .ended
                    .as_ref()
                    .map(|why| format!(" (ended: {})", why.to_lowercase()))
                    .unwrap_or_default();
                paragraphs.push(format!(
                    "Since {}, connected to {}: {}{ended}.",
                    long(c.made_on),
                    c.to,
                    c.status.to_lowercase()
                ));
            }
        }
        if let Some((first, latest)) = f.life_satisfaction {
            let change = match latest.cmp(&first) {
                std::cmp::Ordering::Greater => "up",
                std::cmp::Ordering::Less => "down",
                std::cmp::Ordering::Equal => "the same",
            };
            paragraphs.push(format!(
                "Asked how satisfied they are with their life nowadays (0 to 10), they said {first} \
                 at first and {latest} most recently ({change})."
            ));
        }
    }
    Letter {
        to: vec![f.referrer.clone(), f.practice.clone()],
        about: format!("{name}, born {}", long(f.date_of_birth)),
        paragraphs,
        code: code_for(f.status),
        sign_off: vec![f.writer.clone(), f.service.clone(), long(f.today)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn facts(status: ReferralStatus) -> LetterFacts {
        LetterFacts {
            service: "Harbourview PCN social prescribing".into(),
            referrer: "Dr Okafor".into(),
            practice: "Quayside Surgery".into(),
            given_name: "Florence".into(),
            family_name: "Ashworth".into(),
            date_of_birth: date!(1933 - 03 - 27),
            received_on: date!(2026 - 09 - 01),
            status,
            decided_on: (status != ReferralStatus::Received).then_some(date!(2026 - 09 - 03)),
            what_matters: "Company, and singing again".into(),
            connections: vec![LetterConnection {
                to: "Singing for wellbeing".into(),
                made_on: date!(2026 - 09 - 10),
                status: "Keeps going".into(),
                ended: None,
            }],
            life_satisfaction: Some((4, 7)),
            writer: "Lena Hughes".into(),
            today: date!(2026 - 12 - 03),
        }
    }

    #[test]
    fn an_accepted_referral_tells_what_it_led_to_and_is_coded_as_a_referral() {
        let l = letter(&facts(ReferralStatus::Accepted));
        assert_eq!(l.about, "Florence Ashworth, born 27 March 1933");
        assert_eq!(l.code.map(|c| c.code), Some("871731000000106"));
        let text = l.paragraphs.join("\n");
        assert!(text.contains("We accepted the referral on 3 September 2026."));
        assert!(text
            .contains("Since 10 September 2026, connected to Singing for wellbeing: keeps going."));
        assert!(text.contains("they said 4 at first and 7 most recently (up)"));
        assert!(text.contains("\"Company, and singing again\""));
    }

    #[test]
    fn a_declined_or_waiting_referral_says_so_and_tells_nothing_of_connections() {
        let declined = letter(&facts(ReferralStatus::Declined));
        assert_eq!(declined.code.map(|c| c.code), Some("871711000000103"));
        let text = declined.paragraphs.join("\n");
        assert!(text.contains("not able to take the referral on"));
        assert!(!text.contains("Singing") && !text.contains("most recently"));
        let waiting = letter(&facts(ReferralStatus::Received));
        assert_eq!(
            waiting.code, None,
            "nothing is coded while it is only received"
        );
        assert!(waiting.paragraphs[1].contains("will be in touch with Florence soon"));
    }

    #[test]
    fn a_connection_belongs_to_the_latest_referral_accepted_before_it() {
        let (first, second) = (date!(2026 - 01 - 10), date!(2026 - 06 - 01));
        assert!(!led_to(first, Some(second), date!(2026 - 01 - 09)));
        assert!(led_to(first, Some(second), first));
        assert!(!led_to(first, Some(second), second));
        assert!(led_to(second, None, date!(2026 - 12 - 01)));
    }
}
