//! Identifiers that parse once at the edge, so that a `PracticeId` can never be passed where a
//! `PersonId` is meant and an ODS code in the store is always well formed.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;
use uuid::Uuid;

/// Why a piece of text is not a valid identifier.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum IdError {
    #[error("'{0}' is not a valid identifier")]
    NotAnId(String),
    #[error("'{0}' is not an ODS code: expected a letter followed by five digits, such as B82005")]
    NotAnOdsCode(String),
    #[error("'{0}' is not an email address")]
    NotAnEmail(String),
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh random identifier.
            pub fn new() -> Self {
                Self(Uuid::new_v4())
            }
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim())
                    .map(Self)
                    .map_err(|_| IdError::NotAnId(s.to_owned()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

uuid_id!(
    /// A Primary Care Network: the unit every operational row belongs to.
    PcnId
);
uuid_id!(
    /// A GP practice within a PCN.
    PracticeId
);
uuid_id!(
    /// A building where a practice or an offer meets people.
    SiteId
);
uuid_id!(
    /// Someone who signs in to Together.
    UserId
);
uuid_id!(
    /// Someone the PCN supports (an identifiable record).
    PersonId
);
uuid_id!(
    /// A health champion's record, from their first expression of interest onwards.
    ChampionId
);
uuid_id!(
    /// A role champions can take (walk leader, flu clinic helper), with the DBS level it needs.
    ChampionRoleId
);
uuid_id!(
    /// A service in the directory; an offer is one the PCN runs. Its ORUK id.
    ServiceId
);
uuid_id!(
    /// One meeting of an offer on one day.
    SessionId
);
uuid_id!(
    /// A piece of equipment the PCN lends: a blood-pressure monitor, say.
    ItemId
);
uuid_id!(
    /// One loan of an item to a person.
    LoanId
);
uuid_id!(
    /// One connection of a person to an offer, a service or another person.
    ConnectionId
);
uuid_id!(
    /// One follow-up due on a connection.
    FollowUpId
);
uuid_id!(
    /// One referral to the social prescribing service.
    ReferralId
);
uuid_id!(
    /// One invitation of one person found in a cohort.
    InvitationId
);
uuid_id!(
    /// One health pledge.
    PledgeId
);
uuid_id!(
    /// One cost of the programme, as the PCN entered it.
    ProgrammeCostId
);

/// An Organisation Data Service code of a GP practice (a letter and five digits, e.g. B82005).
/// Kept inline (six ASCII bytes), not on the heap: every appointment row an import reads has
/// one, and an import reads millions.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PracticeCode([u8; 6]);

impl PracticeCode {
    pub fn as_str(&self) -> &str {
        // Only an upper-case letter and five digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl FromStr for PracticeCode {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let refused = || IdError::NotAnOdsCode(s.to_owned());
        let code: [u8; 6] = s.trim().as_bytes().try_into().map_err(|_| refused())?;
        let code = code.map(|b| b.to_ascii_uppercase());
        let ok = code[0].is_ascii_uppercase() && code[1..].iter().all(u8::is_ascii_digit);
        if ok {
            Ok(Self(code))
        } else {
            Err(refused())
        }
    }
}

impl TryFrom<String> for PracticeCode {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<PracticeCode> for String {
    fn from(c: PracticeCode) -> String {
        c.as_str().to_owned()
    }
}

impl fmt::Display for PracticeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An email address used to sign in, kept in lower case so that look-ups are exact.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Email {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let e = s.trim().to_lowercase();
        let valid = match e.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !e.chars().any(|c| c.is_whitespace() || c.is_control())
                    && e.len() <= 254
                    && !domain.contains('@')
            }
            None => false,
        };
        if valid {
            Ok(Self(e))
        } else {
            Err(IdError::NotAnEmail(s.to_owned()))
        }
    }
}

impl TryFrom<String> for Email {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ods_codes_are_a_letter_and_five_digits() {
        assert_eq!("b82005".parse::<PracticeCode>().unwrap().as_str(), "B82005");
        assert_eq!(
            " B82005 ".parse::<PracticeCode>().unwrap().to_string(),
            "B82005"
        );
        let json = serde_json::to_string(&"B82005".parse::<PracticeCode>().unwrap()).unwrap();
        assert_eq!(json, "\"B82005\"");
        assert_eq!(
            serde_json::from_str::<PracticeCode>(&json)
                .unwrap()
                .as_str(),
            "B82005"
        );
        assert!(serde_json::from_str::<PracticeCode>("\"B8200\"").is_err());
        for bad in [
            "", "B8200", "882005", "B82005X", "B8200X", "é82005", "B8200é", "ÉÉÉ",
        ] {
            assert!(bad.parse::<PracticeCode>().is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn emails_are_lower_cased_and_need_a_domain() {
        assert_eq!(
            " Ann@Example.ORG ".parse::<Email>().unwrap().as_str(),
            "ann@example.org"
        );
        for bad in [
            "ann",
            "ann@",
            "@example.org",
            "ann@example",
            "a b@example.org",
        ] {
            assert!(bad.parse::<Email>().is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn ids_round_trip_through_text() {
        let id = PersonId::new();
        assert_eq!(id.to_string().parse::<PersonId>().unwrap(), id);
        assert!("not-an-id".parse::<PersonId>().is_err());
    }
}
