//! Health champions: the journey from "I'd like to help" to active, the DBS level a role can
//! justify, and the forms a champion's details arrive in. No I/O here: the store applies these
//! same rules inside its transactions, so a page cannot get round them.

use crate::ids::PracticeId;
use crate::people::{email, name, phone, ContactPreference, FieldError};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where a champion is on their journey. The first six are the way in, in order; `Paused` and
/// `Left` can be reached from any of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Interest,
    Conversation,
    References,
    DbsCheck,
    Induction,
    Active,
    Paused,
    Left,
}

impl Stage {
    pub const ALL: [Stage; 8] = [
        Stage::Interest,
        Stage::Conversation,
        Stage::References,
        Stage::DbsCheck,
        Stage::Induction,
        Stage::Active,
        Stage::Paused,
        Stage::Left,
    ];

    /// The way in, in order: each step follows the one before.
    pub const WAY_IN: [Stage; 6] = [
        Stage::Interest,
        Stage::Conversation,
        Stage::References,
        Stage::DbsCheck,
        Stage::Induction,
        Stage::Active,
    ];

    /// The steps a champion can be brought in at from a spreadsheet: anything later needs
    /// their DBS check recorded in Together first, so "active only when clear" holds for them too.
    pub const IMPORTABLE: [Stage; 3] = [Stage::Interest, Stage::Conversation, Stage::References];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Interest => "interest",
            Stage::Conversation => "conversation",
            Stage::References => "references",
            Stage::DbsCheck => "dbs_check",
            Stage::Induction => "induction",
            Stage::Active => "active",
            Stage::Paused => "paused",
            Stage::Left => "left",
        }
    }

    /// The column heading on the board.
    pub fn label(self) -> &'static str {
        match self {
            Stage::Interest => "Interested",
            Stage::Conversation => "Conversation",
            Stage::References => "References",
            Stage::DbsCheck => "DBS check",
            Stage::Induction => "Induction",
            Stage::Active => "Active",
            Stage::Paused => "Paused",
            Stage::Left => "Left",
        }
    }

    /// What happens at this step, as the champion is told it on their own page.
    pub fn explain(self) -> &'static str {
        match self {
            Stage::Interest => {
                "We have your expression of interest and will be in touch for a chat."
            }
            Stage::Conversation => {
                "A conversation about what you would like to do and what suits you."
            }
            Stage::References => "We ask the people you named for a reference.",
            Stage::DbsCheck => "A DBS check at the level your role needs.",
            Stage::Induction => "The induction workshop, and the training your role needs.",
            Stage::Active => "You are an active health champion.",
            Stage::Paused => "You have stepped back for a while; come back whenever you are ready.",
            Stage::Left => "You have stepped down as a champion. Thank you for the time you gave.",
        }
    }

    /// A move to this stage must say why.
    pub fn needs_reason(self) -> bool {
        matches!(self, Stage::Paused | Stage::Left)
    }

    /// Where a record at this stage can go next. `paused_from` is the stage a paused record
    /// returns to. Skipping the DBS check (references straight to induction) is allowed for
    /// champions whose roles need no check; the store refuses to make them active in a role
    /// that does until a clear check is recorded.
    pub fn next(self, paused_from: Option<Stage>) -> Vec<Stage> {
        use Stage::*;
        match self {
            Interest => vec![Conversation, Paused, Left],
            Conversation => vec![References, Paused, Left],
            References => vec![DbsCheck, Induction, Paused, Left],
            DbsCheck => vec![Induction, Paused, Left],
            Induction => vec![Active, Paused, Left],
            Active => vec![Paused, Left],
            Paused => paused_from
                .filter(|s| !matches!(s, Paused | Left))
                .into_iter()
                .chain([Left])
                .collect(),
            Left => vec![Interest],
        }
    }

    /// Checks one move and its reason; the error says what is allowed instead.
    pub fn check_move(
        self,
        to: Stage,
        paused_from: Option<Stage>,
        reason: &str,
    ) -> Result<(), String> {
        let allowed = self.next(paused_from);
        if !allowed.contains(&to) {
            let names: Vec<&str> = allowed.iter().map(|s| s.label()).collect();
            return Err(format!(
                "A champion at '{}' can move to {} (not '{}')",
                self.label(),
                names.join(", "),
                to.label()
            ));
        }
        let reason = reason.trim();
        if to.needs_reason() && reason.is_empty() {
            return Err(format!(
                "Say why, so that whoever picks this up later knows ({} needs a reason)",
                to.label()
            ));
        }
        if reason.chars().count() > 500 {
            return Err("The reason must be 500 characters or fewer".into());
        }
        Ok(())
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Stage {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|x| x.as_str() == s.trim())
            .ok_or_else(|| format!("'{s}' is not a stage of the champion journey"))
    }
}

/// The level of DBS check, as the Disclosure and Barring Service names them. The enhanced
/// levels with a barred list are only for regulated activity with adults, children or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DbsLevel {
    None,
    Basic,
    Standard,
    Enhanced,
    EnhancedAdults,
    EnhancedChildren,
    EnhancedAdultsAndChildren,
}

impl DbsLevel {
    pub const ALL: [DbsLevel; 7] = [
        DbsLevel::None,
        DbsLevel::Basic,
        DbsLevel::Standard,
        DbsLevel::Enhanced,
        DbsLevel::EnhancedAdults,
        DbsLevel::EnhancedChildren,
        DbsLevel::EnhancedAdultsAndChildren,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DbsLevel::None => "none",
            DbsLevel::Basic => "basic",
            DbsLevel::Standard => "standard",
            DbsLevel::Enhanced => "enhanced",
            DbsLevel::EnhancedAdults => "enhanced_adults",
            DbsLevel::EnhancedChildren => "enhanced_children",
            DbsLevel::EnhancedAdultsAndChildren => "enhanced_adults_children",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DbsLevel::None => "no DBS check",
            DbsLevel::Basic => "basic",
            DbsLevel::Standard => "standard",
            DbsLevel::Enhanced => "enhanced",
            DbsLevel::EnhancedAdults => "enhanced with the adults' barred list",
            DbsLevel::EnhancedChildren => "enhanced with the children's barred list",
            DbsLevel::EnhancedAdultsAndChildren => {
                "enhanced with the adults' and children's barred lists"
            }
        }
    }

    fn depth(self) -> u8 {
        match self {
            DbsLevel::None => 0,
            DbsLevel::Basic => 1,
            DbsLevel::Standard => 2,
            _ => 3,
        }
    }

    fn barred_lists(self) -> (bool, bool) {
        match self {
            DbsLevel::EnhancedAdults => (true, false),
            DbsLevel::EnhancedChildren => (false, true),
            DbsLevel::EnhancedAdultsAndChildren => (true, true),
            _ => (false, false),
        }
    }

    /// Whether a barred list is checked: only regulated activity is eligible for that.
    pub fn checks_a_barred_list(self) -> bool {
        self.barred_lists() != (false, false)
    }

    /// Whether a check at this level also answers everything a check at `needed` would.
    pub fn covers(self, needed: DbsLevel) -> bool {
        let (a, c) = self.barred_lists();
        let (need_a, need_c) = needed.barred_lists();
        self.depth() >= needed.depth() && (a || !need_a) && (c || !need_c)
    }

    /// A DBS check may be asked for only at the level the role's duties are eligible for
    /// (asking for more is unlawful), and less would not clear the champion for the role.
    pub fn check_request(role: &str, needs: DbsLevel, requested: DbsLevel) -> Result<(), String> {
        if needs == DbsLevel::None {
            return Err(format!(
                "'{role}' needs no DBS check, so none can be asked for it: a check may only be \
                 asked for when the role's duties are eligible for one"
            ));
        }
        if requested == DbsLevel::None {
            return Err("Choose the level of check to ask for".into());
        }
        if !needs.covers(requested) {
            return Err(format!(
                "'{role}' justifies a {} check; a {} check cannot be asked for it, because a \
                 check may only be at the level the role's duties are eligible for",
                needs.label(),
                requested.label()
            ));
        }
        if !requested.covers(needs) {
            return Err(format!(
                "'{role}' needs a {} check; a {} check would not clear them for it",
                needs.label(),
                requested.label()
            ));
        }
        Ok(())
    }
}

impl fmt::Display for DbsLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DbsLevel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|x| x.as_str() == s.trim())
            .ok_or_else(|| format!("'{s}' is not a DBS level"))
    }
}

/// The result of a DBS check as the administrator types it from the certificate the champion
/// shows them. Only these facts are kept, never a copy of the certificate.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DbsResultForm {
    pub issued_on: String,
    pub certificate_ref: String,
    /// "clear" or "not_clear".
    pub outcome: String,
    /// "yes" when the champion subscribes to the DBS Update Service.
    pub update_service: String,
    pub last_status_check: String,
}

/// A checked DBS result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbsResult {
    pub issued_on: time::Date,
    pub certificate_ref: String,
    pub clear: bool,
    pub update_service: bool,
    pub last_status_check: Option<time::Date>,
}

impl DbsResultForm {
    /// `today` is the instance's date: a certificate cannot be issued, or its status checked,
    /// in the future, nor checked before it was issued.
    pub fn parse(&self, today: time::Date) -> Result<DbsResult, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field: &'static str, message: &str| {
            errors.push(FieldError {
                field,
                message: message.into(),
            })
        };
        let issued_on = match crate::people::parse_date(&self.issued_on) {
            Some(d) if d > today => {
                fail("issued_on", "The date of issue cannot be in the future");
                None
            }
            Some(d) => Some(d),
            None => {
                fail(
                    "issued_on",
                    "Enter the date of issue on the certificate, for example 14/09/2026",
                );
                None
            }
        };
        let certificate_ref: String = self
            .certificate_ref
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if certificate_ref.len() != 12 || !certificate_ref.bytes().all(|b| b.is_ascii_digit()) {
            fail(
                "certificate_ref",
                "Enter the certificate number: the 12 digits at the top of the certificate",
            );
        }
        let clear = match self.outcome.as_str() {
            "clear" => Some(true),
            "not_clear" => Some(false),
            _ => {
                fail("outcome", "Say whether the certificate was clear");
                None
            }
        };
        let update_service = self.update_service == "yes";
        let last_status_check = if self.last_status_check.trim().is_empty() {
            None
        } else {
            match crate::people::parse_date(&self.last_status_check) {
                Some(d) if d > today => {
                    fail(
                        "last_status_check",
                        "The last status check cannot be in the future",
                    );
                    None
                }
                Some(d) if issued_on.is_some_and(|i| d < i) => {
                    fail(
                        "last_status_check",
                        "The last status check cannot be before the certificate was issued",
                    );
                    None
                }
                Some(d) => Some(d),
                None => {
                    fail(
                        "last_status_check",
                        "Enter the date of the last Update Service check, for example 14/09/2026",
                    );
                    None
                }
            }
        };
        if last_status_check.is_some() && !update_service {
            fail(
                "update_service",
                "A status check needs the Update Service: tick it, or leave the check's date empty",
            );
        }
        match (issued_on, clear) {
            (Some(issued_on), Some(clear)) if errors.is_empty() => Ok(DbsResult {
                issued_on,
                certificate_ref,
                clear,
                update_service,
                last_status_check,
            }),
            _ => Err(errors),
        }
    }
}

/// The programme setting for how often a DBS check is renewed, in years.
pub const DBS_RENEWAL_SETTING: &str = "champions.dbs_renewal_years";
/// The policy default: renew every three years.
pub const DEFAULT_DBS_RENEWAL_YEARS: i32 = 3;
/// Reminders go out this many days before something expires (and once it is overdue).
pub const REMINDER_DAYS: [i64; 3] = [60, 30, 7];

/// The renewal years a setting holds: 1 to 10, the default when unset or unreadable.
pub fn renewal_years(setting: Option<&str>) -> i32 {
    setting
        .and_then(|s| s.trim().parse::<i32>().ok())
        .filter(|y| (1..=10).contains(y))
        .unwrap_or(DEFAULT_DBS_RENEWAL_YEARS)
}

/// The same day `years` later (29 February becomes 28 February).
pub fn years_after(d: time::Date, years: i32) -> time::Date {
    let y = d.year() + years;
    time::Date::from_calendar_date(y, d.month(), d.day())
        .or_else(|_| time::Date::from_calendar_date(y, d.month(), d.day() - 1))
        .unwrap_or(d)
}

/// When a clear check is due for renewal: `years` after the certificate was issued or, for a
/// champion on the DBS Update Service, after its last status check.
pub fn dbs_renewal_due(
    issued_on: time::Date,
    update_service: bool,
    last_status_check: Option<time::Date>,
    years: i32,
) -> time::Date {
    let from = match (update_service, last_status_check) {
        (true, Some(checked)) if checked > issued_on => checked,
        _ => issued_on,
    };
    years_after(from, years)
}

/// How near a date is, for the dashboard and the reminders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Due {
    Overdue,
    Within7,
    Within30,
    Within60,
    Later,
}

impl Due {
    pub fn of(due: time::Date, today: time::Date) -> Due {
        let days = (due - today).whole_days();
        match days {
            d if d < 0 => Due::Overdue,
            d if d <= REMINDER_DAYS[2] => Due::Within7,
            d if d <= REMINDER_DAYS[1] => Due::Within30,
            d if d <= REMINDER_DAYS[0] => Due::Within60,
            _ => Due::Later,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Due::Overdue => "overdue",
            Due::Within7 => "7_days",
            Due::Within30 => "30_days",
            Due::Within60 => "60_days",
            Due::Later => "later",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Due::Overdue => "Overdue",
            Due::Within7 => "Within 7 days",
            Due::Within30 => "Within 30 days",
            Due::Within60 => "Within 60 days",
            Due::Later => "Later",
        }
    }
}

/// The facts of one DBS check that clearance depends on.
#[derive(Debug, Clone, Copy)]
pub struct CheckFacts {
    pub level: DbsLevel,
    pub clear: Option<bool>,
    pub issued_on: Option<time::Date>,
    pub update_service: bool,
    pub last_status_check: Option<time::Date>,
}

/// Whether a champion is clear for a role, today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clearance {
    /// The role needs no DBS check.
    NotNeeded,
    Clear {
        due: time::Date,
    },
    /// The clear check that covered the role is past its renewal date.
    Expired {
        due: time::Date,
    },
    /// Asked for, no result yet.
    Waiting,
    NotClear,
    NoCheck,
}

impl Clearance {
    /// Whether the champion may act in the role today.
    pub fn is_clear(self) -> bool {
        matches!(self, Clearance::NotNeeded | Clearance::Clear { .. })
    }

    /// Works out clearance for a role needing `needs` from the champion's checks: the clear
    /// check covering it with the latest renewal date counts.
    pub fn of(needs: DbsLevel, checks: &[CheckFacts], years: i32, today: time::Date) -> Self {
        if needs == DbsLevel::None {
            return Clearance::NotNeeded;
        }
        let covering: Vec<&CheckFacts> = checks.iter().filter(|c| c.level.covers(needs)).collect();
        let best = covering
            .iter()
            .filter(|c| c.clear == Some(true))
            .filter_map(|c| {
                c.issued_on
                    .map(|i| dbs_renewal_due(i, c.update_service, c.last_status_check, years))
            })
            .max();
        match best {
            Some(due) if due >= today => Clearance::Clear { due },
            Some(due) => Clearance::Expired { due },
            None if covering.iter().any(|c| c.clear.is_none()) => Clearance::Waiting,
            None if covering.iter().any(|c| c.clear == Some(false)) => Clearance::NotClear,
            None => Clearance::NoCheck,
        }
    }

    pub fn label(self) -> String {
        match self {
            Clearance::NotNeeded => "No check needed".into(),
            Clearance::Clear { .. } => "Clear".into(),
            Clearance::Expired { .. } => "Renewal overdue".into(),
            Clearance::Waiting => "Waiting for the DBS result".into(),
            Clearance::NotClear => "Not clear".into(),
            Clearance::NoCheck => "No DBS check yet".into(),
        }
    }
}

/// How a champion can be reached, as they change it on their own page.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ContactForm {
    /// Named apart from the other forms on the champion's own page.
    #[serde(rename = "my_phone")]
    pub phone: String,
    #[serde(rename = "my_email")]
    pub email: String,
    pub contact_preference: String,
}

/// Checked contact details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContact {
    pub phone: Option<String>,
    pub email: Option<String>,
    pub contact_preference: ContactPreference,
}

impl ContactForm {
    /// The same rules as the expression of interest: a call or a text needs a phone number,
    /// an email an address.
    pub fn parse(&self) -> Result<NewContact, Vec<FieldError>> {
        let mut errors = Vec::new();
        let phone = phone(&self.phone, &mut errors);
        let email = email(&self.email, &mut errors);
        let pref = match self.contact_preference.parse::<ContactPreference>() {
            Ok(
                c @ (ContactPreference::Phone | ContactPreference::Text | ContactPreference::Email),
            ) => Some(c),
            _ => {
                errors.push(FieldError {
                    field: "contact_preference",
                    message: "Choose how you would like us to contact you".into(),
                });
                None
            }
        };
        match pref {
            Some(ContactPreference::Phone | ContactPreference::Text) if phone.is_none() => errors
                .push(FieldError {
                    field: "phone",
                    message: "Enter your phone number, so that we can call or text you".into(),
                }),
            Some(ContactPreference::Email) if email.is_none() => errors.push(FieldError {
                field: "email",
                message: "Enter your email address, so that we can email you".into(),
            }),
            _ => {}
        }
        match pref {
            Some(contact_preference) if errors.is_empty() => Ok(NewContact {
                phone,
                email,
                contact_preference,
            }),
            _ => Err(errors),
        }
    }
}

/// Someone to call if a champion is taken ill or hurt while helping.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EmergencyContactForm {
    pub contact_name: String,
    pub relationship: String,
    pub contact_phone: String,
}

/// A checked emergency contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEmergencyContact {
    pub name: String,
    pub relationship: String,
    pub phone: String,
}

impl EmergencyContactForm {
    pub fn parse(&self) -> Result<NewEmergencyContact, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = name(
            "contact_name",
            "their name",
            &self.contact_name,
            &mut errors,
        );
        let relationship = text(
            "relationship",
            &self.relationship,
            60,
            "The relationship",
            &mut errors,
        );
        let mut phone_errors = Vec::new();
        let phone = phone(&self.contact_phone, &mut phone_errors);
        if !phone_errors.is_empty() || phone.is_none() {
            errors.push(FieldError {
                field: "contact_phone",
                message: "Enter a phone number to call them on, like 07700 900 982".into(),
            });
        }
        match phone {
            Some(phone) if errors.is_empty() => Ok(NewEmergencyContact {
                name,
                relationship,
                phone,
            }),
            _ => Err(errors),
        }
    }
}

/// An ID badge as the coordinator issues it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BadgeForm {
    pub number: String,
    /// Named apart from a DBS result's date of issue, which shares the champion's page.
    #[serde(rename = "badge_issued_on")]
    pub issued_on: String,
    #[serde(rename = "badge_expires_on")]
    pub expires_on: String,
}

/// A checked badge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBadge {
    pub number: String,
    pub issued_on: time::Date,
    pub expires_on: time::Date,
}

impl BadgeForm {
    pub fn parse(&self, today: time::Date) -> Result<NewBadge, Vec<FieldError>> {
        let mut errors = Vec::new();
        let number = self.number.trim().to_owned();
        if number.is_empty()
            || number.chars().count() > 30
            || !number
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '/')
        {
            errors.push(FieldError {
                field: "number",
                message: "Enter the badge number as printed on it (letters, digits and dashes, up \
                          to 30)"
                    .into(),
            });
        }
        let issued_on = past_date(
            "badge_issued_on",
            "the date it was issued",
            &self.issued_on,
            today,
            &mut errors,
        );
        let expires_on = crate::people::parse_date(&self.expires_on);
        match (issued_on, expires_on) {
            (_, None) => errors.push(FieldError {
                field: "badge_expires_on",
                message: "Enter the expiry date printed on the badge, for example 30/11/2028"
                    .into(),
            }),
            (Some(i), Some(e)) if e <= i => errors.push(FieldError {
                field: "badge_expires_on",
                message: "The badge must expire after it was issued".into(),
            }),
            _ => {}
        }
        match (issued_on, expires_on) {
            (Some(issued_on), Some(expires_on)) if errors.is_empty() => Ok(NewBadge {
                number,
                issued_on,
                expires_on,
            }),
            _ => Err(errors),
        }
    }
}

/// A date that must be given and cannot be in the future.
fn past_date(
    field: &'static str,
    what: &str,
    v: &str,
    today: time::Date,
    errors: &mut Vec<FieldError>,
) -> Option<time::Date> {
    match crate::people::parse_date(v) {
        Some(d) if d > today => {
            errors.push(FieldError {
                field,
                message: format!("{} cannot be in the future", capitalised(what)),
            });
            None
        }
        Some(d) => Some(d),
        None => {
            errors.push(FieldError {
                field,
                message: format!("Enter {what}, for example 14/09/2026"),
            });
            None
        }
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The training a champion can complete, and for how many years each lasts (`None`: it does
/// not expire). Refresher periods are the usual ones for volunteers; a PCN follows its own
/// policy by giving the expiry date itself.
pub const TRAINING: &[(&str, &str, Option<i32>)] = &[
    ("induction", "Induction workshop", None),
    ("safeguarding_adults", "Safeguarding adults", Some(3)),
    ("safeguarding_children", "Safeguarding children", Some(3)),
    (
        "confidentiality",
        "Confidentiality and information governance",
        Some(1),
    ),
    ("first_aid", "First aid", Some(3)),
    (
        "mental_health_first_aid",
        "Mental health first aid",
        Some(3),
    ),
    ("walk_leader", "Walk leader training", None),
    ("manual_handling", "Manual handling", Some(3)),
];

/// A workshop as the coordinator schedules it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WorkshopForm {
    pub title: String,
    /// A key of [`TRAINING`], or empty when it is not one of them.
    pub module: String,
    pub on: String,
    pub starts: String,
    pub capacity: String,
}

/// A checked workshop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWorkshop {
    pub title: String,
    pub module: Option<String>,
    pub on: time::Date,
    pub starts: String,
    pub capacity: Option<i64>,
}

impl WorkshopForm {
    pub fn parse(&self) -> Result<NewWorkshop, Vec<FieldError>> {
        let mut errors = Vec::new();
        let title = name("title", "the workshop's title", &self.title, &mut errors);
        let module = match self.module.trim() {
            "" => None,
            m => match TRAINING.iter().find(|(k, _, _)| *k == m) {
                Some((k, _, _)) => Some((*k).to_owned()),
                None => {
                    errors.push(FieldError {
                        field: "module",
                        message: "Choose the training from the list, or none".into(),
                    });
                    None
                }
            },
        };
        let on = crate::people::parse_date(&self.on);
        if on.is_none() {
            errors.push(FieldError {
                field: "on",
                message: "Enter the date, for example 14/01/2027".into(),
            });
        }
        let starts = self.starts.trim().to_owned();
        let time_ok = starts.is_empty()
            || time::Time::parse(
                &starts,
                time::macros::format_description!("[hour]:[minute]"),
            )
            .is_ok();
        if !time_ok {
            errors.push(FieldError {
                field: "starts",
                message: "Enter the time it starts, like 10:00 or 18:30".into(),
            });
        }
        let capacity = match self.capacity.trim() {
            "" => None,
            c => match c.parse::<i64>() {
                Ok(n) if (1..=500).contains(&n) => Some(n),
                _ => {
                    errors.push(FieldError {
                        field: "capacity",
                        message: "Enter how many places there are, as a number".into(),
                    });
                    None
                }
            },
        };
        match on {
            Some(on) if errors.is_empty() => Ok(NewWorkshop {
                title,
                module,
                on,
                starts,
                capacity,
            }),
            _ => Err(errors),
        }
    }
}

/// Training recorded as completed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TrainingForm {
    pub module: String,
    pub completed_on: String,
    /// Empty for the module's usual period.
    #[serde(rename = "training_expires_on")]
    pub expires_on: String,
}

/// Checked training.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTraining {
    pub module: String,
    pub completed_on: time::Date,
    pub expires_on: Option<time::Date>,
}

impl TrainingForm {
    pub fn parse(&self, today: time::Date) -> Result<NewTraining, Vec<FieldError>> {
        let mut errors = Vec::new();
        let module = TRAINING.iter().find(|(k, _, _)| *k == self.module.trim());
        if module.is_none() {
            errors.push(FieldError {
                field: "module",
                message: "Choose the training from the list".into(),
            });
        }
        let completed_on = past_date(
            "completed_on",
            "the date it was completed",
            &self.completed_on,
            today,
            &mut errors,
        );
        let expires_on = if self.expires_on.trim().is_empty() {
            match (module, completed_on) {
                (Some((_, _, Some(years))), Some(done)) => Some(years_after(done, *years)),
                _ => None,
            }
        } else {
            match crate::people::parse_date(&self.expires_on) {
                Some(e) if completed_on.is_some_and(|c| e <= c) => {
                    errors.push(FieldError {
                        field: "training_expires_on",
                        message: "It must expire after it was completed".into(),
                    });
                    None
                }
                Some(e) => Some(e),
                None => {
                    errors.push(FieldError {
                        field: "training_expires_on",
                        message: "Enter the expiry date, for example 14/09/2029, or leave it empty"
                            .into(),
                    });
                    None
                }
            }
        };
        match (module, completed_on) {
            (Some((key, _, _)), Some(completed_on)) if errors.is_empty() => Ok(NewTraining {
                module: (*key).to_owned(),
                completed_on,
                expires_on,
            }),
            _ => Err(errors),
        }
    }
}

/// The name of a training module from its key.
pub fn training_label(key: &str) -> String {
    TRAINING
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, l, _)| (*l).to_owned())
        .unwrap_or_else(|| key.to_owned())
}

/// A role's form as it arrived.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RoleForm {
    pub name: String,
    pub description: String,
    pub dbs_level: String,
    /// "yes" or "no".
    pub regulated_activity: String,
}

/// A role champions can take, once its fields agree with each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRole {
    pub name: String,
    pub description: String,
    pub dbs_level: DbsLevel,
    pub regulated_activity: bool,
}

fn text(
    field: &'static str,
    v: &str,
    max: usize,
    what: &str,
    errors: &mut Vec<FieldError>,
) -> String {
    let v = v.trim();
    if v.chars().count() > max {
        errors.push(FieldError {
            field,
            message: format!("{what} must be {max} characters or fewer"),
        });
    }
    v.to_owned()
}

impl RoleForm {
    pub fn parse(&self) -> Result<NewRole, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = name("name", "the role's name", &self.name, &mut errors);
        let description = text(
            "description",
            &self.description,
            2000,
            "The description",
            &mut errors,
        );
        if description.is_empty() {
            errors.push(FieldError {
                field: "description",
                message: "Say what someone in this role does".into(),
            });
        }
        let level = self.dbs_level.parse::<DbsLevel>().ok();
        if level.is_none() {
            errors.push(FieldError {
                field: "dbs_level",
                message: "Choose the DBS check the role needs".into(),
            });
        }
        let regulated = match self.regulated_activity.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => {
                errors.push(FieldError {
                    field: "regulated_activity",
                    message: "Say whether the role is regulated activity".into(),
                });
                None
            }
        };
        if let (Some(level), Some(regulated)) = (level, regulated) {
            if level.checks_a_barred_list() && !regulated {
                errors.push(FieldError {
                    field: "dbs_level",
                    message: "A barred list can only be checked for regulated activity: choose \
                              an enhanced check without a barred list, or say the role is \
                              regulated activity"
                        .into(),
                });
            }
            if regulated && !level.checks_a_barred_list() {
                errors.push(FieldError {
                    field: "dbs_level",
                    message: "Regulated activity needs an enhanced check with the barred list \
                              of the people the role works with"
                        .into(),
                });
            }
        }
        match (level, regulated) {
            (Some(dbs_level), Some(regulated_activity)) if errors.is_empty() => Ok(NewRole {
                name,
                description,
                dbs_level,
                regulated_activity,
            }),
            _ => Err(errors),
        }
    }
}

/// What people can say they would like to help with on the expression-of-interest form.
pub const INTERESTS: &[(&str, &str)] = &[
    ("walking", "Walking groups"),
    ("singing", "Singing and music"),
    ("befriending", "Befriending, a chat or a phone call"),
    ("clinics", "Helping at clinics, such as flu days"),
    ("cooking", "Cooking and healthy eating"),
    ("gardening", "Gardening"),
    ("digital", "Helping people get online"),
    (
        "support_groups",
        "Support groups (bereavement, cancer, carers)",
    ),
    ("crafts", "Crafts and creative groups"),
    ("other", "Something else"),
];

/// When people say they could give time.
pub const AVAILABILITY: &[(&str, &str)] = &[
    ("weekday_mornings", "Weekday mornings"),
    ("weekday_afternoons", "Weekday afternoons"),
    ("weekday_evenings", "Weekday evenings"),
    ("weekends", "Weekends"),
];

/// The label of a key from one of the lists above (the key itself if unknown).
pub fn label_of(list: &[(&'static str, &'static str)], key: &str) -> String {
    list.iter()
        .find(|(k, _)| *k == key)
        .map(|(_, l)| (*l).to_owned())
        .unwrap_or_else(|| key.to_owned())
}

/// A home practice chosen from the PCN's list, or none ("none" or empty): `message` when the
/// value is not an id at all (whether it is one of the PCN's the store checks).
fn home_practice(v: &str, message: &str, errors: &mut Vec<FieldError>) -> Option<PracticeId> {
    match v.trim() {
        "" | "none" => None,
        p => match p.parse::<PracticeId>() {
            Ok(p) => Some(p),
            Err(_) => {
                errors.push(FieldError {
                    field: "practice_id",
                    message: message.into(),
                });
                None
            }
        },
    }
}

/// The keys of `list` among `given`, once each in the order given; "Choose from the list" for
/// anything else.
fn keys(
    field: &'static str,
    list: &[(&'static str, &'static str)],
    given: &[String],
    errors: &mut Vec<FieldError>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for g in given {
        match list.iter().find(|(k, _)| k == g) {
            Some((k, _)) if !out.iter().any(|o| o == k) => out.push((*k).to_owned()),
            Some(_) => {}
            None => errors.push(FieldError {
                field,
                message: "Choose from the list".into(),
            }),
        }
    }
    out
}

/// What a champion would like to give, as the coordinator keeps it up to date after the
/// conversation (repeated checkbox fields gathered).
#[derive(Debug, Clone, Default)]
pub struct ProfileForm {
    pub interests: Vec<String>,
    pub availability: Vec<String>,
    pub skills: String,
    /// A practice id, or "none".
    pub practice_id: String,
}

/// A checked profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProfile {
    pub interests: Vec<String>,
    pub availability: Vec<String>,
    pub skills: String,
    pub practice_id: Option<PracticeId>,
}

impl ProfileForm {
    pub fn from_fields(fields: &[(String, String)]) -> Self {
        let mut f = Self::default();
        for (k, v) in fields {
            match k.as_str() {
                "interests" => f.interests.push(v.clone()),
                "availability" => f.availability.push(v.clone()),
                "skills" => f.skills = v.clone(),
                "practice_id" => f.practice_id = v.clone(),
                _ => {}
            }
        }
        f
    }

    pub fn parse(&self) -> Result<NewProfile, Vec<FieldError>> {
        let mut errors = Vec::new();
        let interests = keys("interests", INTERESTS, &self.interests, &mut errors);
        let availability = keys(
            "availability",
            AVAILABILITY,
            &self.availability,
            &mut errors,
        );
        let skills = text(
            "skills",
            &self.skills,
            1000,
            "What they would like to share",
            &mut errors,
        );
        let practice_id = home_practice(
            &self.practice_id,
            "Choose their GP practice from the list",
            &mut errors,
        );
        if errors.is_empty() {
            Ok(NewProfile {
                interests,
                availability,
                skills,
                practice_id,
            })
        } else {
            Err(errors)
        }
    }
}

/// The expression-of-interest form as it arrived (repeated checkbox fields gathered).
#[derive(Debug, Clone, Default)]
pub struct InterestForm {
    pub given_name: String,
    pub family_name: String,
    pub phone: String,
    pub email: String,
    pub contact_preference: String,
    pub practice_id: String,
    pub interests: Vec<String>,
    pub skills: String,
    pub availability: Vec<String>,
    pub consent: bool,
}

impl InterestForm {
    /// Gathers the form from its fields in order (checkboxes repeat their name).
    pub fn from_fields(fields: &[(String, String)]) -> Self {
        let mut f = Self::default();
        for (k, v) in fields {
            match k.as_str() {
                "given_name" => f.given_name = v.clone(),
                "family_name" => f.family_name = v.clone(),
                "phone" => f.phone = v.clone(),
                "email" => f.email = v.clone(),
                "contact_preference" => f.contact_preference = v.clone(),
                "practice_id" => f.practice_id = v.clone(),
                "interests" => f.interests.push(v.clone()),
                "skills" => f.skills = v.clone(),
                "availability" => f.availability.push(v.clone()),
                "consent" => f.consent = v == "yes",
                _ => {}
            }
        }
        f
    }

    pub fn has_interest(&self, key: &str) -> bool {
        self.interests.iter().any(|i| i == key)
    }

    pub fn has_availability(&self, key: &str) -> bool {
        self.availability.iter().any(|i| i == key)
    }

    pub fn parse(&self) -> Result<NewInterest, Vec<FieldError>> {
        let mut errors = Vec::new();
        let given_name = name(
            "given_name",
            "your first name",
            &self.given_name,
            &mut errors,
        );
        let family_name = name(
            "family_name",
            "your last name",
            &self.family_name,
            &mut errors,
        );
        let contact = ContactForm {
            phone: self.phone.clone(),
            email: self.email.clone(),
            contact_preference: self.contact_preference.clone(),
        }
        .parse()
        .map_err(|e| errors.extend(e))
        .ok();
        let practice_id = home_practice(
            &self.practice_id,
            "Choose your GP practice from the list",
            &mut errors,
        );
        let interests = keys("interests", INTERESTS, &self.interests, &mut errors);
        let availability = keys(
            "availability",
            AVAILABILITY,
            &self.availability,
            &mut errors,
        );
        let skills = text(
            "skills",
            &self.skills,
            1000,
            "What you would like to share",
            &mut errors,
        );
        if interests.is_empty() && skills.is_empty() {
            errors.push(FieldError {
                field: "interests",
                message: "Choose at least one thing you would like to help with, or tell us \
                          about your skills"
                    .into(),
            });
        }
        if !self.consent {
            errors.push(FieldError {
                field: "consent",
                message: "Tick the box to say we may contact you about becoming a champion".into(),
            });
        }
        match contact {
            Some(contact) if errors.is_empty() => Ok(NewInterest {
                given_name,
                family_name,
                phone: contact.phone,
                email: contact.email,
                contact_preference: contact.contact_preference,
                practice_id,
                interests,
                skills,
                availability,
            }),
            _ => Err(errors),
        }
    }
}

/// A checked expression of interest: the person agreed to be contacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInterest {
    pub given_name: String,
    pub family_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub contact_preference: ContactPreference,
    /// Their home practice, when they are registered at one of the PCN's.
    pub practice_id: Option<PracticeId>,
    pub interests: Vec<String>,
    pub skills: String,
    pub availability: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_way_in_goes_one_step_at_a_time_and_pausing_returns_to_where_it_was() {
        use Stage::*;
        let path = [
            Interest,
            Conversation,
            References,
            DbsCheck,
            Induction,
            Active,
        ];
        for pair in path.windows(2) {
            assert!(pair[0].check_move(pair[1], None, "").is_ok(), "{pair:?}");
            assert!(pair[1].check_move(pair[0], None, "").is_err(), "{pair:?}");
        }
        assert!(Interest.check_move(Active, None, "").is_err());
        assert!(References.check_move(Induction, None, "").is_ok());
        assert!(
            Conversation.check_move(Paused, None, "").is_err(),
            "needs a reason"
        );
        assert!(Conversation
            .check_move(Paused, None, "caring for mum")
            .is_ok());
        assert_eq!(Paused.next(Some(References)), vec![References, Left]);
        assert!(Paused.check_move(Active, Some(References), "").is_err());
        assert!(Left.check_move(Interest, None, "").is_ok());
        assert!(Left.check_move(Active, None, "").is_err());
        let err = Interest.check_move(Active, None, "").unwrap_err();
        assert!(err.contains("Conversation"), "{err}");
        assert!(Active.check_move(Left, None, &"x".repeat(501)).is_err());
    }

    #[test]
    fn a_check_above_or_below_what_the_role_justifies_is_refused_with_the_reason() {
        use DbsLevel::*;
        assert!(DbsLevel::check_request("Walk leader", Basic, Basic).is_ok());
        let above = DbsLevel::check_request("Walk leader", Basic, Enhanced).unwrap_err();
        assert!(above.contains("justifies a basic check"), "{above}");
        let below = DbsLevel::check_request("Befriender", Enhanced, Basic).unwrap_err();
        assert!(below.contains("would not clear"), "{below}");
        let none = DbsLevel::check_request("Café host", None, Basic).unwrap_err();
        assert!(none.contains("needs no DBS check"), "{none}");
        assert!(DbsLevel::check_request("Home visits", EnhancedAdults, EnhancedChildren).is_err());
        assert!(DbsLevel::check_request("Home visits", EnhancedAdults, EnhancedAdults).is_ok());
    }

    #[test]
    fn a_dbs_result_is_refused_with_a_date_of_issue_in_the_future_or_a_check_before_issue() {
        let today = time::macros::date!(2026 - 11 - 24);
        let form = |issued: &str, checked: &str| DbsResultForm {
            issued_on: issued.into(),
            certificate_ref: "0012 3456 7890".into(),
            outcome: "clear".into(),
            update_service: "yes".into(),
            last_status_check: checked.into(),
        };
        let ok = form("14/09/2026", "01/11/2026").parse(today).unwrap();
        assert_eq!(ok.certificate_ref, "001234567890");
        assert!(ok.clear && ok.update_service);
        let e = form("25/11/2026", "").parse(today).unwrap_err();
        assert_eq!(e[0].field, "issued_on");
        assert!(e[0].message.contains("future"));
        let e = form("14/09/2026", "01/09/2026").parse(today).unwrap_err();
        assert_eq!(e[0].field, "last_status_check");
        let e = DbsResultForm {
            certificate_ref: "12345".into(),
            ..form("14/09/2026", "")
        }
        .parse(today)
        .unwrap_err();
        assert_eq!(e[0].field, "certificate_ref");
        let e = DbsResultForm::default().parse(today).unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["issued_on", "certificate_ref", "outcome"]);
    }

    #[test]
    fn renewal_comes_due_after_the_set_years_and_clearance_lapses_with_it() {
        use time::macros::date;
        let issued = date!(2024 - 02 - 29);
        assert_eq!(years_after(issued, 3), date!(2027 - 02 - 28));
        assert_eq!(
            dbs_renewal_due(issued, false, Some(date!(2026 - 01 - 10)), 3),
            date!(2027 - 02 - 28)
        );
        assert_eq!(
            dbs_renewal_due(issued, true, Some(date!(2026 - 01 - 10)), 3),
            date!(2029 - 01 - 10)
        );
        assert_eq!(renewal_years(Some("2")), 2);
        assert_eq!(renewal_years(Some("0")), 3);
        assert_eq!(renewal_years(None), 3);

        let today = date!(2026 - 11 - 24);
        assert_eq!(Due::of(date!(2026 - 11 - 23), today), Due::Overdue);
        assert_eq!(Due::of(today, today), Due::Within7);
        assert_eq!(Due::of(date!(2026 - 12 - 01), today), Due::Within7);
        assert_eq!(Due::of(date!(2026 - 12 - 02), today), Due::Within30);
        assert_eq!(Due::of(date!(2027 - 01 - 23), today), Due::Within60);
        assert_eq!(Due::of(date!(2027 - 01 - 24), today), Due::Later);

        let check = |level, clear, issued| CheckFacts {
            level,
            clear,
            issued_on: issued,
            update_service: false,
            last_status_check: None,
        };
        let old = check(DbsLevel::Enhanced, Some(true), Some(date!(2023 - 11 - 01)));
        let new = check(DbsLevel::Enhanced, Some(true), Some(date!(2025 - 06 - 01)));
        assert_eq!(
            Clearance::of(DbsLevel::Standard, &[old], 3, today),
            Clearance::Expired {
                due: date!(2026 - 11 - 01)
            }
        );
        assert_eq!(
            Clearance::of(DbsLevel::Standard, &[old, new], 3, today),
            Clearance::Clear {
                due: date!(2028 - 06 - 01)
            }
        );
        assert_eq!(
            Clearance::of(DbsLevel::EnhancedAdults, &[new], 3, today),
            Clearance::NoCheck,
            "a check without the barred list does not clear regulated activity"
        );
        let waiting = check(DbsLevel::Basic, None, None);
        assert_eq!(
            Clearance::of(DbsLevel::Basic, &[waiting], 3, today),
            Clearance::Waiting
        );
        let refused = check(DbsLevel::Basic, Some(false), Some(date!(2026 - 10 - 01)));
        assert_eq!(
            Clearance::of(DbsLevel::Basic, &[refused], 3, today),
            Clearance::NotClear
        );
        assert!(Clearance::of(DbsLevel::None, &[], 3, today).is_clear());
    }

    #[test]
    fn a_badge_expires_after_issue_and_training_takes_its_usual_period() {
        use time::macros::date;
        let today = date!(2026 - 11 - 24);
        let badge = |n: &str, i: &str, e: &str| BadgeForm {
            number: n.into(),
            issued_on: i.into(),
            expires_on: e.into(),
        };
        assert!(badge("HV-0042", "01/11/2026", "30/11/2028")
            .parse(today)
            .is_ok());
        let e = badge("HV-0042", "01/12/2026", "30/11/2028")
            .parse(today)
            .unwrap_err();
        assert_eq!(e[0].field, "badge_issued_on");
        assert!(
            e[0].message.contains("cannot be in the future"),
            "{}",
            e[0].message
        );
        let e = badge("HV 42", "01/11/2026", "01/10/2026")
            .parse(today)
            .unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["number", "badge_expires_on"]);

        let t = TrainingForm {
            module: "safeguarding_adults".into(),
            completed_on: "14/09/2026".into(),
            expires_on: String::new(),
        };
        assert_eq!(
            t.parse(today).unwrap().expires_on,
            Some(date!(2029 - 09 - 14))
        );
        let t = TrainingForm {
            module: "induction".into(),
            ..t
        };
        assert_eq!(t.parse(today).unwrap().expires_on, None);
        let t = TrainingForm {
            module: "juggling".into(),
            ..t
        };
        assert_eq!(t.parse(today).unwrap_err()[0].field, "module");
    }

    #[test]
    fn an_emergency_contact_needs_a_name_and_a_number_to_call() {
        let ok = EmergencyContactForm {
            contact_name: "Mary Okafor".into(),
            relationship: "Wife".into(),
            contact_phone: "07700 900456".into(),
        };
        assert_eq!(ok.parse().unwrap().phone, "07700 900456");
        let e = EmergencyContactForm::default().parse().unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["contact_name", "contact_phone"]);
    }

    #[test]
    fn levels_cover_what_they_include_and_barred_lists_do_not_substitute() {
        use DbsLevel::*;
        assert!(EnhancedAdultsAndChildren.covers(EnhancedChildren));
        assert!(EnhancedAdults.covers(Standard));
        assert!(!EnhancedAdults.covers(EnhancedChildren));
        assert!(!Standard.covers(Enhanced));
        assert!(Basic.covers(None));
        for l in DbsLevel::ALL {
            assert!(l.covers(l));
            assert_eq!(l.as_str().parse::<DbsLevel>().unwrap(), l);
        }
    }

    #[test]
    fn a_role_with_a_barred_list_must_be_regulated_activity_and_the_other_way_round() {
        let form = |level: &str, regulated: &str| RoleForm {
            name: "Home visit befriender".into(),
            description: "Visits people at home".into(),
            dbs_level: level.into(),
            regulated_activity: regulated.into(),
        };
        assert!(form("enhanced_adults", "yes").parse().is_ok());
        assert!(form("basic", "no").parse().is_ok());
        let e = form("enhanced_adults", "no").parse().unwrap_err();
        assert_eq!(e[0].field, "dbs_level");
        assert!(form("enhanced", "yes").parse().is_err());
        let e = RoleForm::default().parse().unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["name", "description", "dbs_level", "regulated_activity"]
        );
    }

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn an_expression_of_interest_needs_a_way_to_reach_them_something_to_give_and_consent() {
        let ok = InterestForm::from_fields(&fields(&[
            ("given_name", "Dave"),
            ("family_name", "Okafor"),
            ("phone", "07700 900123"),
            ("contact_preference", "text"),
            ("practice_id", "none"),
            ("interests", "walking"),
            ("interests", "singing"),
            ("interests", "walking"),
            ("availability", "weekends"),
            ("consent", "yes"),
        ]))
        .parse()
        .unwrap();
        assert_eq!(ok.interests, ["walking", "singing"]);
        assert_eq!(ok.practice_id, None);
        assert_eq!(ok.availability, ["weekends"]);

        let e = InterestForm::from_fields(&fields(&[
            ("given_name", "Dave"),
            ("family_name", "Okafor"),
            ("contact_preference", "email"),
            ("interests", "juggling"),
        ]))
        .parse()
        .unwrap_err();
        let got: Vec<_> = e.iter().map(|e| e.field).collect();
        assert_eq!(got, ["email", "interests", "interests", "consent"]);
        assert!(e[0].message.contains("email"));
        // A letter is not offered on this form: the person has to be reachable quickly.
        let e = InterestForm::from_fields(&fields(&[("contact_preference", "letter")]))
            .parse()
            .unwrap_err();
        assert!(e.iter().any(|e| e.field == "contact_preference"));
    }
}
