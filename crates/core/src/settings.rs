//! A PCN's programme settings, stored as text under their keys (an administrator changes them
//! on the pages that use them) and parsed here, once, each with its bounds and its default: a
//! setting missing, or out of its bounds, reads as the default, so a page never meets a bad
//! value. The evaluation's own settings (how people are counted, how comparison people are
//! chosen) belong to Insight and are read there.

use crate::champions::{renewal_years, DBS_RENEWAL_SETTING};
use crate::connections::{follow_up_days, FOLLOW_UPS_SETTING};
use crate::hours_expenses::{
    pence_setting, DEFAULT_HOURLY_VALUE_PENCE, DEFAULT_MILEAGE_PENCE, HOURLY_VALUE_SETTING,
    MILEAGE_RATE_SETTING,
};
use crate::impact::{UnitCosts, UNIT_COSTS_SETTING};
use crate::listings::{
    setting_number, DEFAULT_GRACE_DAYS, DEFAULT_VERIFY_MONTHS, GRACE_DAYS_SETTING,
    VERIFY_MONTHS_SETTING,
};
use crate::roles::VolunteerSecondFactor;
use crate::UserId;

/// The programme setting naming the PCN's safeguarding lead (a user id).
pub const SAFEGUARDING_LEAD_SETTING: &str = "safeguarding.lead_user";

/// Every programme setting, typed.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgrammeSettings {
    /// Who is told of a safeguarding concern first.
    pub safeguarding_lead: Option<UserId>,
    /// How often a directory listing's owner confirms it (months, 1–60; 12).
    pub verify_months: u32,
    /// How long after falling due an unconfirmed listing stays in the directory (days, 0–365).
    pub grace_days: i64,
    /// What a champion is paid back a mile (pence; 45).
    pub mileage_pence_per_mile: i64,
    /// The value of an hour a champion gives, in the impact report (pence).
    pub hourly_value_pence: i64,
    /// How often a champion's DBS check is renewed (years, 1–10).
    pub dbs_renewal_years: i32,
    /// The days after a connection is made that its follow-ups fall.
    pub follow_up_days: Vec<i64>,
    /// What an avoided GP appointment and A&E attendance are worth, with their sources.
    pub unit_costs: UnitCosts,
    /// Whether champions and partners must use a second factor.
    pub second_factor_volunteers: VolunteerSecondFactor,
}

impl ProgrammeSettings {
    /// Parses the stored text of each setting (`stored(key)`), defaults where missing or wrong.
    pub fn from_stored<'a>(stored: impl Fn(&str) -> Option<&'a str>) -> Self {
        Self {
            safeguarding_lead: stored(SAFEGUARDING_LEAD_SETTING).and_then(|s| s.parse().ok()),
            verify_months: setting_number(
                stored(VERIFY_MONTHS_SETTING),
                1..=60,
                DEFAULT_VERIFY_MONTHS,
            ),
            grace_days: setting_number(stored(GRACE_DAYS_SETTING), 0..=365, DEFAULT_GRACE_DAYS),
            mileage_pence_per_mile: pence_setting(
                stored(MILEAGE_RATE_SETTING),
                DEFAULT_MILEAGE_PENCE,
            ),
            hourly_value_pence: pence_setting(
                stored(HOURLY_VALUE_SETTING),
                DEFAULT_HOURLY_VALUE_PENCE,
            ),
            dbs_renewal_years: renewal_years(stored(DBS_RENEWAL_SETTING)),
            follow_up_days: follow_up_days(stored(FOLLOW_UPS_SETTING)),
            unit_costs: stored(UNIT_COSTS_SETTING)
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or_default(),
            second_factor_volunteers: VolunteerSecondFactor::from_setting(stored(
                VolunteerSecondFactor::SETTING,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn every_setting_reads_its_stored_value_or_its_default() {
        let none = ProgrammeSettings::from_stored(|_| None);
        assert_eq!(none.verify_months, DEFAULT_VERIFY_MONTHS);
        assert_eq!(none.mileage_pence_per_mile, DEFAULT_MILEAGE_PENCE);
        assert_eq!(
            none.second_factor_volunteers,
            VolunteerSecondFactor::Required
        );
        assert_eq!(none.safeguarding_lead, None);
        let lead = UserId::new();
        let lead_text = lead.to_string();
        let stored: HashMap<&str, &str> = [
            (SAFEGUARDING_LEAD_SETTING, lead_text.as_str()),
            (VERIFY_MONTHS_SETTING, "6"),
            (GRACE_DAYS_SETTING, "400"),
            (MILEAGE_RATE_SETTING, "30"),
            (DBS_RENEWAL_SETTING, "5"),
            (FOLLOW_UPS_SETTING, "7, 30"),
            (VolunteerSecondFactor::SETTING, "offered"),
        ]
        .into();
        let s = ProgrammeSettings::from_stored(|k| stored.get(k).copied());
        assert_eq!(s.safeguarding_lead, Some(lead));
        assert_eq!(s.verify_months, 6);
        assert_eq!(
            s.grace_days, DEFAULT_GRACE_DAYS,
            "out of bounds reads as the default"
        );
        assert_eq!(s.mileage_pence_per_mile, 30);
        assert_eq!(s.dbs_renewal_years, 5);
        assert_eq!(s.follow_up_days, vec![7, 30]);
        assert_eq!(s.second_factor_volunteers, VolunteerSecondFactor::Offered);
    }
}
