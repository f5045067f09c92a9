//! Safeguarding concerns, incidents and accidents: what a champion, partner or anyone in the
//! team raises from their phone in a minute, for the PCN's named safeguarding lead only.

use crate::people::FieldError;
use serde::Deserialize;

/// What is being raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConcernKind {
    /// Worry that someone is being harmed, abused or neglected.
    Safeguarding,
    /// Something that went wrong or nearly did.
    Incident,
    /// Someone was hurt.
    Accident,
}

impl ConcernKind {
    pub const ALL: [ConcernKind; 3] = [
        ConcernKind::Safeguarding,
        ConcernKind::Incident,
        ConcernKind::Accident,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConcernKind::Safeguarding => "safeguarding",
            ConcernKind::Incident => "incident",
            ConcernKind::Accident => "accident",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ConcernKind::Safeguarding => {
                "A worry that someone is being harmed, abused or neglected"
            }
            ConcernKind::Incident => "Something went wrong, or nearly did",
            ConcernKind::Accident => "Someone was hurt",
        }
    }

    pub fn short(self) -> &'static str {
        match self {
            ConcernKind::Safeguarding => "Safeguarding concern",
            ConcernKind::Incident => "Incident",
            ConcernKind::Accident => "Accident",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

/// The form as it arrived.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ConcernForm {
    pub kind: String,
    pub what: String,
    pub when: String,
    #[serde(rename = "where")]
    pub place: String,
    pub who: String,
    pub action_taken: String,
}

/// A checked concern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConcern {
    pub kind: ConcernKind,
    pub what: String,
    pub when: String,
    pub place: String,
    pub who: String,
    pub action_taken: String,
}

fn limited(field: &'static str, v: &str, max: usize, errors: &mut Vec<FieldError>) -> String {
    let v = v.trim();
    if v.chars().count() > max {
        errors.push(FieldError {
            field,
            message: format!("Keep it to {max} characters"),
        });
    }
    v.to_owned()
}

impl ConcernForm {
    /// Only the kind and what happened are needed: a person in a hurry can send that much.
    pub fn parse(&self) -> Result<NewConcern, Vec<FieldError>> {
        let mut errors = Vec::new();
        let kind = ConcernKind::parse(&self.kind);
        if kind.is_none() {
            errors.push(FieldError {
                field: "kind",
                message: "Choose what you are telling us about".into(),
            });
        }
        let what = limited("what", &self.what, 5000, &mut errors);
        if what.is_empty() {
            errors.push(FieldError {
                field: "what",
                message: "Say what happened or what worries you".into(),
            });
        }
        let when = limited("when", &self.when, 200, &mut errors);
        let place = limited("where", &self.place, 200, &mut errors);
        let who = limited("who", &self.who, 1000, &mut errors);
        let action_taken = limited("action_taken", &self.action_taken, 2000, &mut errors);
        match kind {
            Some(kind) if errors.is_empty() => Ok(NewConcern {
                kind,
                what,
                when,
                place,
                who,
                action_taken,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_concern_needs_only_its_kind_and_what_happened() {
        let ok = ConcernForm {
            kind: "safeguarding".into(),
            what: "Florence said her nephew takes her pension".into(),
            ..ConcernForm::default()
        }
        .parse()
        .unwrap();
        assert_eq!(ok.kind, ConcernKind::Safeguarding);
        let e = ConcernForm::default().parse().unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["kind", "what"]);
        let long = ConcernForm {
            kind: "incident".into(),
            what: "x".repeat(5001),
            ..ConcernForm::default()
        };
        assert_eq!(long.parse().unwrap_err()[0].field, "what");
    }
}
