//! A person the PCN supports: the rules for what a valid record and a valid consent look like.
//! The NHS number, when given, is turned into the shared pseudonym and not kept here.

use crate::ids::PracticeId;
use crate::nhs::NhsNumber;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use time::{Date, OffsetDateTime};

/// One problem with one field of a form, worded for the person filling it in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// How a person likes to be contacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactPreference {
    Phone,
    Text,
    Email,
    Letter,
    InPerson,
}

impl ContactPreference {
    pub const ALL: [ContactPreference; 5] = [
        ContactPreference::Phone,
        ContactPreference::Text,
        ContactPreference::Email,
        ContactPreference::Letter,
        ContactPreference::InPerson,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ContactPreference::Phone => "phone",
            ContactPreference::Text => "text",
            ContactPreference::Email => "email",
            ContactPreference::Letter => "letter",
            ContactPreference::InPerson => "in_person",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ContactPreference::Phone => "Phone call",
            ContactPreference::Text => "Text message",
            ContactPreference::Email => "Email",
            ContactPreference::Letter => "Letter",
            ContactPreference::InPerson => "In person, at the practice or a group",
        }
    }
}

impl FromStr for ContactPreference {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|c| c.as_str() == s).ok_or(())
    }
}

impl fmt::Display for ContactPreference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text of a new person's form, as it arrived. Every field may be missing (an unchosen
/// radio button is not sent at all), so that [`PersonForm::parse`] can say what is missing.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PersonForm {
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: String,
    pub practice_id: String,
    pub contact_preference: String,
    pub phone: String,
    pub email: String,
    pub nhs_number: String,
    /// What matters to them, in their own words (optional).
    pub what_matters: String,
}

/// The longest "what matters to them" kept: a few sentences in their words, not a case note.
pub const WHAT_MATTERS_MAX: usize = 1000;

/// A person's details once every field has been checked.
#[derive(Debug, Clone)]
pub struct NewPerson {
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Date,
    pub practice_id: PracticeId,
    pub contact_preference: ContactPreference,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub nhs_number: Option<NhsNumber>,
    pub what_matters: String,
}

/// A required name of at most 100 characters on one line. `label` says whose it is ("the
/// person's first name" on a worker's form, "your first name" on a public one).
pub fn name(field: &'static str, label: &str, v: &str, errors: &mut Vec<FieldError>) -> String {
    let v = v.trim();
    if v.is_empty() {
        errors.push(FieldError {
            field,
            message: format!("Enter {label}"),
        });
    } else if v.chars().count() > 100 || v.chars().any(char::is_control) {
        let mut message = label.to_owned();
        if let Some(first) = message.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        errors.push(FieldError {
            field,
            message: format!("{message} must be 100 characters or fewer, without line breaks"),
        });
    }
    v.to_owned()
}

/// An optional UK phone number, kept as typed (trimmed); a wrong one adds an error for `phone`.
pub fn phone(v: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let phone = Some(v.trim().to_owned()).filter(|p| !p.is_empty());
    if let Some(p) = &phone {
        let digits = p.chars().filter(char::is_ascii_digit).count();
        if !(10..=13).contains(&digits)
            || p.chars()
                .any(|c| !(c.is_ascii_digit() || " +()-".contains(c)))
        {
            errors.push(FieldError {
                field: "phone",
                message: "Enter a UK phone number, like 07700 900 982".into(),
            });
        }
    }
    phone
}

/// An optional email address, lower-cased; a wrong one adds an error for `email`.
pub fn email(v: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let email = Some(v.trim().to_lowercase()).filter(|e| !e.is_empty());
    if let Some(e) = &email {
        if e.parse::<crate::ids::Email>().is_err() {
            errors.push(FieldError {
                field: "email",
                message: "Enter an email address, like name@example.com".into(),
            });
        }
    }
    email
}

/// How to reach someone, in one line a champion or worker can act on ("Phone call: 07700 900
/// 982"); the number or address their preference needs, when it is known.
pub fn how_to_reach(
    preference: ContactPreference,
    phone: Option<&str>,
    email: Option<&str>,
) -> String {
    let detail = match preference {
        ContactPreference::Phone | ContactPreference::Text => phone,
        ContactPreference::Email => email,
        ContactPreference::Letter | ContactPreference::InPerson => None,
    };
    let known = |d: Option<&str>| d.filter(|d| !d.trim().is_empty()).map(str::to_owned);
    match (known(detail), known(phone).or(known(email))) {
        (Some(d), _) => format!("{}: {d}", preference.label()),
        (None, Some(other)) => format!("{}; or {other}", preference.label()),
        (None, None) => preference.label().to_owned(),
    }
}

/// A date as people type it in the UK ("15/12/2026"), for examples in messages.
/// A recorded sex in words, as a page or a table shows it ("Female", not "F"); a code not in
/// the NHS Data Dictionary's list is shown as it is.
pub fn sex_in_words(code: &str) -> &str {
    match code {
        "F" => "Female",
        "M" => "Male",
        "I" => "Indeterminate",
        "U" => "Not known",
        other => other,
    }
}

pub fn uk_date(d: Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), d.month() as u8, d.year())
}

/// "24 December 2026", for messages people read.
pub fn long_date(d: Date) -> String {
    let f = time::macros::format_description!("[day padding:none] [month repr:long] [year]");
    d.format(f).unwrap_or_else(|_| d.to_string())
}

/// Parses a date typed as YYYY-MM-DD or D/M/YYYY (the UK way, with or without leading zeros:
/// people type "1/12/2026" as often as "01/12/2026").
pub fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim();
    let iso = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(d) = Date::parse(s, iso) {
        return Some(d);
    }
    let mut parts = s.split('/');
    let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
    // A number of at most `most` digits, nothing else.
    fn number(p: &str, most: usize) -> Option<u16> {
        let ok = !p.is_empty() && p.len() <= most && p.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| p.parse().ok()).flatten()
    }
    if parts.next().is_some() || year.len() != 4 {
        return None;
    }
    let month = time::Month::try_from(u8::try_from(number(month, 2)?).ok()?).ok()?;
    let day = u8::try_from(number(day, 2)?).ok()?;
    Date::from_calendar_date(i32::from(number(year, 4)?), month, day).ok()
}

impl PersonForm {
    /// Checks every field and reports all problems at once, so a form is fixed in one go.
    pub fn parse(&self, now: OffsetDateTime) -> Result<NewPerson, Vec<FieldError>> {
        let mut errors = Vec::new();
        let given_name = name(
            "given_name",
            "the person's first name",
            &self.given_name,
            &mut errors,
        );
        let family_name = name(
            "family_name",
            "the person's last name",
            &self.family_name,
            &mut errors,
        );
        let today = now.date();
        let date_of_birth = match parse_date(&self.date_of_birth) {
            Some(d) if d > today => {
                errors.push(FieldError {
                    field: "date_of_birth",
                    message: "Date of birth must be in the past".into(),
                });
                None
            }
            Some(d) if today.year() - d.year() > 125 => {
                errors.push(FieldError {
                    field: "date_of_birth",
                    message: "Check the year of birth: that would make them over 125".into(),
                });
                None
            }
            Some(d) => Some(d),
            None => {
                errors.push(FieldError {
                    field: "date_of_birth",
                    message: "Enter the date of birth, for example 27/03/1948".into(),
                });
                None
            }
        };
        let practice_id = self.practice_id.parse::<PracticeId>().ok();
        if practice_id.is_none() {
            errors.push(FieldError {
                field: "practice_id",
                message: "Choose the person's GP practice".into(),
            });
        }
        let contact_preference = self.contact_preference.parse::<ContactPreference>().ok();
        if contact_preference.is_none() {
            errors.push(FieldError {
                field: "contact_preference",
                message: "Choose how they like to be contacted".into(),
            });
        }
        let phone = phone(&self.phone, &mut errors);
        let email = email(&self.email, &mut errors);
        match contact_preference {
            Some(ContactPreference::Phone | ContactPreference::Text) if phone.is_none() => errors
                .push(FieldError {
                    field: "phone",
                    message: "Enter a phone number, since they prefer to be phoned or texted"
                        .into(),
                }),
            Some(ContactPreference::Email) if email.is_none() => errors.push(FieldError {
                field: "email",
                message: "Enter an email address, since they prefer email".into(),
            }),
            _ => {}
        }
        let what_matters = self.what_matters.trim().to_owned();
        if what_matters.chars().count() > WHAT_MATTERS_MAX {
            errors.push(FieldError {
                field: "what_matters",
                message: format!("Keep what matters to them under {WHAT_MATTERS_MAX} characters"),
            });
        }
        let nhs_number = if self.nhs_number.trim().is_empty() {
            None
        } else {
            match self.nhs_number.parse::<NhsNumber>() {
                Ok(n) => Some(n),
                Err(e) => {
                    errors.push(FieldError {
                        field: "nhs_number",
                        message: format!("Check the NHS number: {e}"),
                    });
                    None
                }
            }
        };
        match (date_of_birth, practice_id, contact_preference) {
            (Some(date_of_birth), Some(practice_id), Some(contact_preference))
                if errors.is_empty() =>
            {
                Ok(NewPerson {
                    given_name,
                    family_name,
                    date_of_birth,
                    practice_id,
                    contact_preference,
                    phone,
                    email,
                    nhs_number,
                    what_matters,
                })
            }
            _ => Err(errors),
        }
    }
}

/// What a person has agreed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentPurpose {
    /// To be contacted by the PCN's team about offers and connections.
    Contact,
    /// For their first name and how to reach them to be shared with a champion or offer lead.
    ShareWithChampions,
    /// To be asked about their wellbeing at follow-ups.
    WellbeingFollowUp,
}

impl ConsentPurpose {
    pub const ALL: [ConsentPurpose; 3] = [
        ConsentPurpose::Contact,
        ConsentPurpose::ShareWithChampions,
        ConsentPurpose::WellbeingFollowUp,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentPurpose::Contact => "contact",
            ConsentPurpose::ShareWithChampions => "share_with_champions",
            ConsentPurpose::WellbeingFollowUp => "wellbeing_follow_up",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            ConsentPurpose::Contact => "To be contacted by the PCN team",
            ConsentPurpose::ShareWithChampions => {
                "For a champion to know their first name and how to reach them"
            }
            ConsentPurpose::WellbeingFollowUp => "To be asked how they are at follow-ups",
        }
    }
}

impl FromStr for ConsentPurpose {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|c| c.as_str() == s).ok_or(())
    }
}

/// How consent was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentMethod {
    Verbal,
    Written,
    Online,
}

impl ConsentMethod {
    pub const ALL: [ConsentMethod; 3] = [
        ConsentMethod::Verbal,
        ConsentMethod::Written,
        ConsentMethod::Online,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentMethod::Verbal => "verbal",
            ConsentMethod::Written => "written",
            ConsentMethod::Online => "online",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            ConsentMethod::Verbal => "Said so in person or on the phone",
            ConsentMethod::Written => "Signed a form",
            ConsentMethod::Online => "Agreed online",
        }
    }
}

impl FromStr for ConsentMethod {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|c| c.as_str() == s).ok_or(())
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_recorded_sex_reads_as_a_word() {
        assert_eq!(sex_in_words("F"), "Female");
        assert_eq!(sex_in_words("M"), "Male");
        assert_eq!(sex_in_words("U"), "Not known");
        assert_eq!(sex_in_words("X"), "X", "an unknown code is shown as it is");
    }

    use super::*;
    use time::macros::datetime;

    fn form() -> PersonForm {
        PersonForm {
            given_name: "Florence".into(),
            family_name: "Ashworth".into(),
            date_of_birth: "27/03/1933".into(),
            practice_id: PracticeId::new().to_string(),
            contact_preference: "phone".into(),
            phone: "07700 900982".into(),
            email: String::new(),
            nhs_number: "999 000 0018".into(),
            what_matters: String::new(),
        }
    }

    #[test]
    fn how_to_reach_someone_names_what_their_preference_needs() {
        use ContactPreference::*;
        let phone = Some("07700 900982");
        assert_eq!(
            how_to_reach(Text, phone, None),
            "Text message: 07700 900982"
        );
        assert_eq!(
            how_to_reach(Email, phone, Some("f@example.com")),
            "Email: f@example.com"
        );
        assert_eq!(how_to_reach(Letter, phone, None), "Letter; or 07700 900982");
        assert_eq!(
            how_to_reach(InPerson, None, Some(" ")),
            "In person, at the practice or a group"
        );
    }

    #[test]
    fn dates_are_read_as_people_in_the_uk_type_them() {
        use time::macros::date;
        assert_eq!(parse_date("1/12/2026"), Some(date!(2026 - 12 - 01)));
        assert_eq!(parse_date(" 01/12/2026 "), Some(date!(2026 - 12 - 01)));
        assert_eq!(parse_date("2026-12-01"), Some(date!(2026 - 12 - 01)));
        for bad in [
            "31/2/2026",
            "1/13/2026",
            "1/12/26",
            "1/12/2026/1",
            "a/12/2026",
            "",
            "1//2026",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_complete_form_parses() {
        let p = form().parse(datetime!(2026-11-24 12:00 UTC)).unwrap();
        assert_eq!(p.date_of_birth, time::macros::date!(1933 - 03 - 27));
        assert!(p.nhs_number.is_some());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut f = form();
        f.given_name = " ".into();
        f.date_of_birth = "31/02/1950".into();
        f.phone = String::new();
        f.nhs_number = "9990000017".into();
        let errs = f.parse(datetime!(2026-11-24 12:00 UTC)).unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["given_name", "date_of_birth", "phone", "nhs_number"]
        );
    }

    #[test]
    fn future_birth_dates_are_refused() {
        let mut f = form();
        f.date_of_birth = "2027-01-01".into();
        assert!(f.parse(datetime!(2026-11-24 12:00 UTC)).is_err());
    }
}
