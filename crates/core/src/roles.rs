//! The roles of DESIGN.md section 2. A user holds one role within a PCN (and, for clinicians,
//! a practice); what each role may do is decided in [`crate::policy`] and nowhere else.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    PcnAdmin,
    Clinician,
    LinkWorker,
    Analyst,
    Champion,
    Partner,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::PcnAdmin,
        Role::Clinician,
        Role::LinkWorker,
        Role::Analyst,
        Role::Champion,
        Role::Partner,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::PcnAdmin => "pcn_admin",
            Role::Clinician => "clinician",
            Role::LinkWorker => "link_worker",
            Role::Analyst => "analyst",
            Role::Champion => "champion",
            Role::Partner => "partner",
        }
    }

    /// How the role is named on pages, in the users' own words.
    pub fn label(self) -> &'static str {
        match self {
            Role::PcnAdmin => "PCN administrator",
            Role::Clinician => "Clinician",
            Role::LinkWorker => "Link worker",
            Role::Analyst => "Analyst",
            Role::Champion => "Health champion",
            Role::Partner => "Community partner",
        }
    }

    /// Staff roles can reach identifiable or pseudonymised health data, so they must use a
    /// second factor (outside demo mode).
    pub fn is_staff(self) -> bool {
        matches!(
            self,
            Role::PcnAdmin | Role::Clinician | Role::LinkWorker | Role::Analyst
        )
    }

    /// Clinicians act for one practice; everyone else acts for the whole PCN.
    pub fn needs_practice(self) -> bool {
        matches!(self, Role::Clinician)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| {
                format!(
                    "'{s}' is not a role; choose one of {}",
                    Role::ALL.map(Role::as_str).join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_unknown_roles_are_named() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        let err = "admin".parse::<Role>().unwrap_err();
        assert!(err.contains("pcn_admin"), "{err}");
    }
}
