//! A link worker's referral: a GP, nurse or other professional asks the social prescribing
//! service to see someone. It is its own record — received, then accepted or declined — beside
//! the connections it leads to, and it is what goes back to the GP record, coded in SNOMED CT.
//! Connections, and above all a champion's informal ones, are never coded (docs/design.md, "Formats spoken").

use crate::people::FieldError;
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use time::Date;

/// Where a referral has got to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ReferralStatus {
    Received,
    Accepted,
    Declined,
}

impl ReferralStatus {
    pub const ALL: [ReferralStatus; 3] = [
        ReferralStatus::Received,
        ReferralStatus::Accepted,
        ReferralStatus::Declined,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ReferralStatus::Received => "received",
            ReferralStatus::Accepted => "accepted",
            ReferralStatus::Declined => "declined",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            ReferralStatus::Received => "Received",
            ReferralStatus::Accepted => "Accepted",
            ReferralStatus::Declined => "Declined",
        }
    }
}

impl FromStr for ReferralStatus {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|r| r.as_str() == s).ok_or(())
    }
}

/// A SNOMED CT concept for the GP record: its code and its preferred term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Snomed {
    pub code: &'static str,
    pub term: &'static str,
}

/// Referral to social prescribing service.
pub const REFERRAL_TO_SOCIAL_PRESCRIBING: Snomed = Snomed {
    code: "871731000000106",
    term: "Referral to social prescribing service",
};

/// Social prescribing declined.
pub const SOCIAL_PRESCRIBING_DECLINED: Snomed = Snomed {
    code: "871711000000103",
    term: "Social prescribing declined",
};

/// The SNOMED system URI, for FHIR.
pub const SNOMED_SYSTEM: &str = "http://snomed.info/sct";

/// What the practice codes for a referral: the referral concept only once it is accepted, the
/// declined concept once it is declined, nothing while it is only received.
pub fn code_for(status: ReferralStatus) -> Option<Snomed> {
    match status {
        ReferralStatus::Received => None,
        ReferralStatus::Accepted => Some(REFERRAL_TO_SOCIAL_PRESCRIBING),
        ReferralStatus::Declined => Some(SOCIAL_PRESCRIBING_DECLINED),
    }
}

/// The text of a new referral's form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReferralForm {
    /// Who referred them ("Dr Okafor, Quayside Surgery").
    pub referrer: String,
    /// Why, in the referrer's or the person's words: what matters to them.
    pub reason: String,
    /// The day it was received; today when empty.
    pub received_on: String,
}

/// A referral ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReferral {
    pub referrer: String,
    pub reason: String,
    pub received_on: Date,
}

impl ReferralForm {
    pub fn parse(&self, today: Date) -> Result<NewReferral, Vec<FieldError>> {
        let mut errors = Vec::new();
        let referrer =
            crate::people::name("referrer", "who referred them", &self.referrer, &mut errors);
        let reason = self.reason.trim().to_owned();
        if reason.chars().count() > crate::connections::NOTE_MAX {
            errors.push(FieldError {
                field: "reason",
                message: format!(
                    "Keep the reason under {} characters",
                    crate::connections::NOTE_MAX
                ),
            });
        }
        let received_on = crate::connections::date_field(&self.received_on, today)
            .map_err(|message| {
                errors.push(FieldError {
                    field: "received_on",
                    message,
                })
            })
            .ok();
        match received_on {
            Some(received_on) if errors.is_empty() => Ok(NewReferral {
                referrer,
                reason,
                received_on,
            }),
            _ => Err(errors),
        }
    }
}

/// The text of a decision's form: accepted or declined, on a day.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DecisionForm {
    pub decision: String,
    pub decided_on: String,
}

/// A decision ready to store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decided {
    pub status: ReferralStatus,
    pub on: Date,
}

impl DecisionForm {
    /// Accepted or declined, not before the referral was received, not after today.
    pub fn parse(&self, received_on: Date, today: Date) -> Result<Decided, Vec<FieldError>> {
        let mut errors = Vec::new();
        let status = match self.decision.parse::<ReferralStatus>() {
            Ok(s @ (ReferralStatus::Accepted | ReferralStatus::Declined)) => Some(s),
            _ => {
                errors.push(FieldError {
                    field: "decision",
                    message: "Choose accepted or declined".into(),
                });
                None
            }
        };
        let on = match crate::connections::date_field(&self.decided_on, today) {
            Ok(d) if d < received_on => {
                errors.push(FieldError {
                    field: "decided_on",
                    message: format!(
                        "This is before the referral was received ({}): check the date",
                        crate::people::uk_date(received_on)
                    ),
                });
                None
            }
            Ok(d) => Some(d),
            Err(message) => {
                errors.push(FieldError {
                    field: "decided_on",
                    message,
                });
                None
            }
        };
        match (status, on) {
            (Some(status), Some(on)) if errors.is_empty() => Ok(Decided { status, on }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 12 - 01);

    #[test]
    fn only_an_accepted_or_declined_referral_is_coded() {
        assert_eq!(
            code_for(ReferralStatus::Received),
            None,
            "nothing while only received"
        );
        let accepted = code_for(ReferralStatus::Accepted).unwrap();
        assert_eq!(
            (accepted.code, accepted.term),
            ("871731000000106", "Referral to social prescribing service")
        );
        let declined = code_for(ReferralStatus::Declined).unwrap();
        assert_eq!(
            (declined.code, declined.term),
            ("871711000000103", "Social prescribing declined")
        );
        for s in ReferralStatus::ALL {
            assert_eq!(s.as_str().parse::<ReferralStatus>(), Ok(s));
        }
    }

    #[test]
    fn a_referral_names_its_referrer_and_is_decided_after_it_arrived() {
        let r = ReferralForm {
            referrer: " Dr Okafor, Quayside Surgery ".into(),
            reason: "Lonely since her husband died; would like to get out more".into(),
            received_on: "24/11/2026".into(),
        }
        .parse(TODAY)
        .unwrap();
        assert_eq!(
            (r.referrer.as_str(), r.received_on),
            ("Dr Okafor, Quayside Surgery", date!(2026 - 11 - 24))
        );
        let e = ReferralForm::default().parse(TODAY).unwrap_err();
        assert_eq!(e.iter().map(|e| e.field).collect::<Vec<_>>(), ["referrer"]);
        let decide = |decision: &str, on: &str| {
            DecisionForm {
                decision: decision.into(),
                decided_on: on.into(),
            }
            .parse(r.received_on, TODAY)
        };
        assert_eq!(
            decide("accepted", "").unwrap(),
            Decided {
                status: ReferralStatus::Accepted,
                on: TODAY
            }
        );
        let fields = |e: Vec<FieldError>| e.into_iter().map(|e| e.field).collect::<Vec<_>>();
        assert_eq!(
            fields(decide("received", "").unwrap_err()),
            ["decision"],
            "a decision is a yes or a no"
        );
        assert_eq!(
            fields(decide("declined", "23/11/2026").unwrap_err()),
            ["decided_on"]
        );
        assert_eq!(
            fields(decide("declined", "2/12/2026").unwrap_err()),
            ["decided_on"],
            "not in the future"
        );
    }
}
