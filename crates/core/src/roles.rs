//! The roles of docs/design.md, "Who uses it". A user holds one role within a PCN (and, for clinicians,
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

/// Whether a PCN's champions and partners must give a second factor (a programme setting on the
/// Team page). Champions see the first names and contact details of the people they support and
/// partners run registers, and the Data Security and Protection Toolkit asks for a second factor
/// on every account, so it is required unless the PCN decides to only offer it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VolunteerSecondFactor {
    Required,
    Offered,
}

impl VolunteerSecondFactor {
    /// The programme setting that holds it.
    pub const SETTING: &'static str = "second_factor_volunteers";

    /// Reads the setting; anything but "offered" (including no setting at all) is required.
    pub fn from_setting(value: Option<&str>) -> Self {
        match value {
            Some("offered") => Self::Offered,
            _ => Self::Required,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::Offered => "offered",
        }
    }
}

/// Whether someone must give a second factor before using Together: anyone who has set one up;
/// outside the demo, staff always, and champions and partners unless their PCN only offers it.
pub fn second_factor_required(
    role: Role,
    demo: bool,
    has_second_factor: bool,
    volunteers: VolunteerSecondFactor,
) -> bool {
    if has_second_factor {
        return true;
    }
    !demo && (role.is_staff() || volunteers == VolunteerSecondFactor::Required)
}

#[cfg(test)]
mod second_factor_tests {
    use super::*;

    #[test]
    fn everyone_gives_a_second_factor_outside_the_demo_unless_the_pcn_only_offers_it_to_volunteers()
    {
        use VolunteerSecondFactor::{Offered, Required};
        let default = VolunteerSecondFactor::from_setting(None);
        assert_eq!(default, Required);
        for role in Role::ALL {
            assert!(
                second_factor_required(role, false, false, default),
                "{role:?}"
            );
            assert!(
                !second_factor_required(role, true, false, default),
                "{role:?} in the demo"
            );
            assert!(
                second_factor_required(role, true, true, Offered),
                "set up: always asked"
            );
        }
        assert!(!second_factor_required(
            Role::Champion,
            false,
            false,
            Offered
        ));
        assert!(!second_factor_required(
            Role::Partner,
            false,
            false,
            Offered
        ));
        assert!(second_factor_required(
            Role::LinkWorker,
            false,
            false,
            Offered
        ));
        assert_eq!(
            VolunteerSecondFactor::from_setting(Some("offered")),
            Offered
        );
        assert_eq!(VolunteerSecondFactor::from_setting(Some("junk")), Required);
    }
}
