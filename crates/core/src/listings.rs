//! The directory's other listings: services in the neighbourhood the PCN does not run (the
//! food bank, Citizens Advice, a carers' group), entered by staff or by the partner that runs
//! them. Each is confirmed by its owner every N months; one not confirmed is flagged, and taken
//! out of the public directory after a grace period. A partner's change waits for approval.

use crate::partners::{text, web_address};
use crate::people::{email, name, phone, FieldError};
use serde::{Deserialize, Serialize};
use time::{Date, Duration};

/// How many months a listing stays assured before its owner is asked to confirm it.
pub const VERIFY_MONTHS_SETTING: &str = "directory.verify_months";
pub const DEFAULT_VERIFY_MONTHS: u32 = 12;
/// How many days after it falls due an unconfirmed listing is taken out of the directory.
pub const GRACE_DAYS_SETTING: &str = "directory.grace_days";
pub const DEFAULT_GRACE_DAYS: i64 = 28;
/// How long before it falls due the owner is first asked.
pub const ASK_DAYS_BEFORE: i64 = 14;

/// A setting's whole number within `range`, or the default.
pub fn setting_number<T: std::str::FromStr + PartialOrd>(
    v: Option<&str>,
    range: std::ops::RangeInclusive<T>,
    default: T,
) -> T {
    v.and_then(|s| s.trim().parse().ok())
        .filter(|n| range.contains(n))
        .unwrap_or(default)
}

/// The most words a directory search looks for: a pasted paragraph should not become a query
/// with hundreds of terms.
pub const MOST_SEARCH_WORDS: usize = 8;

/// The words of a directory search, lower-cased, in order, without punctuation: each matches
/// any word in a service's name or description that starts with it, so "walk" finds "Walking
/// group" and "men's shed" finds "Men's Shed" (accents count: "cafe" is not "café"). Both backends' full-text indexes split text
/// at the same places (letters and digits make words; a superscript or other odd digit, which
/// the two treat differently, is left out), so a search means the same on either.
/// Empty when the search holds no word at all, which searches for nothing in particular.
pub fn search_words(q: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for w in q
        .split(|c: char| !(c.is_alphabetic() || c.is_ascii_digit()))
        .filter(|w| !w.is_empty())
    {
        let w = w.to_lowercase();
        if !words.contains(&w) {
            words.push(w);
        }
        if words.len() == MOST_SEARCH_WORDS {
            break;
        }
    }
    words
}

/// The same day `months` later (the last day of the month when it has no such day).
pub fn months_after(d: Date, months: u32) -> Date {
    let total = d.year() * 12 + (d.month() as i32 - 1) + months as i32;
    let (year, month) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u8);
    let month = time::Month::try_from(month).unwrap_or(time::Month::December);
    let last = month.length(year);
    Date::from_calendar_date(year, month, d.day().min(last)).unwrap_or(d)
}

/// Where a listing is in its verification cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    /// Confirmed recently enough.
    Current,
    /// Falls due within [`ASK_DAYS_BEFORE`] days: the owner has been asked.
    DueSoon,
    /// Past due, still listed until the grace period ends.
    Overdue,
    /// Past due and past the grace period: out of the directory until confirmed.
    Lapsed,
}

impl Verification {
    /// `assured`: when it was last confirmed (a listing never confirmed counts from when it
    /// was added).
    pub fn of(assured: Date, months: u32, grace_days: i64, today: Date) -> Self {
        let due = months_after(assured, months);
        if today >= due + Duration::days(grace_days) {
            Verification::Lapsed
        } else if today >= due {
            Verification::Overdue
        } else if today >= due - Duration::days(ASK_DAYS_BEFORE) {
            Verification::DueSoon
        } else {
            Verification::Current
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verification::Current => "current",
            Verification::DueSoon => "due_soon",
            Verification::Overdue => "overdue",
            Verification::Lapsed => "lapsed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Verification::Current => "Checked",
            Verification::DueSoon => "Due to be checked",
            Verification::Overdue => "Overdue for checking",
            Verification::Lapsed => "Not checked: out of the directory",
        }
    }

    pub fn colour(self) -> &'static str {
        match self {
            Verification::Current => "green",
            Verification::DueSoon => "yellow",
            Verification::Overdue => "orange",
            Verification::Lapsed => "red",
        }
    }
}

/// The fields every directory listing has, an offer's or anyone else's, as typed.
#[derive(Debug, Clone, Copy)]
pub struct ServiceText<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub taxonomy: &'a [String],
    pub eligibility: &'a str,
    pub minimum_age: &'a str,
    pub maximum_age: &'a str,
    pub cost: &'a str,
    pub accessibility: &'a str,
    pub contact_name: &'a str,
    pub phone: &'a str,
    pub email: &'a str,
    pub url: &'a str,
}

/// Those fields checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceFields {
    pub name: String,
    pub description: String,
    /// Category (taxonomy term) ids, each once.
    pub taxonomy: Vec<String>,
    pub eligibility: String,
    pub minimum_age: Option<i64>,
    pub maximum_age: Option<i64>,
    /// "Free" unless said otherwise.
    pub cost: String,
    pub accessibility: String,
    pub contact_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub url: Option<String>,
}

/// A whole number in `range`, or none when empty; otherwise an error with `message`.
pub(crate) fn whole(
    field: &'static str,
    v: &str,
    range: std::ops::RangeInclusive<i64>,
    message: &str,
    errors: &mut Vec<FieldError>,
) -> Option<i64> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    match v.parse::<i64>() {
        Ok(n) if range.contains(&n) => Some(n),
        _ => {
            errors.push(FieldError {
                field,
                message: message.into(),
            });
            None
        }
    }
}

impl ServiceText<'_> {
    /// Checks the fields; `whose` names the service in the name's message ("the offer's name").
    pub fn parse(&self, whose: &str, errors: &mut Vec<FieldError>) -> ServiceFields {
        let name = name("name", whose, self.name, errors);
        let description = text(
            "description",
            self.description,
            4000,
            Some("Say what happens there, in a sentence or two"),
            errors,
        );
        let mut taxonomy: Vec<String> = Vec::new();
        for t in self
            .taxonomy
            .iter()
            .map(|t| t.trim())
            .filter(|t| !t.is_empty())
        {
            if uuid::Uuid::parse_str(t).is_err() {
                errors.push(FieldError {
                    field: "taxonomy",
                    message: "Choose categories from the list".into(),
                });
                break;
            }
            if !taxonomy.iter().any(|x| x == t) {
                taxonomy.push(t.to_owned());
            }
        }
        let eligibility = text("eligibility", self.eligibility, 1000, None, errors);
        let age = "Enter an age in whole years, from 0 to 120";
        let minimum_age = whole("minimum_age", self.minimum_age, 0..=120, age, errors);
        let maximum_age = whole("maximum_age", self.maximum_age, 0..=120, age, errors);
        if let (Some(lo), Some(hi)) = (minimum_age, maximum_age) {
            if hi < lo {
                errors.push(FieldError {
                    field: "maximum_age",
                    message: "The oldest age must be at least the youngest".into(),
                });
            }
        }
        let cost = match text("cost", self.cost, 200, None, errors) {
            c if c.is_empty() => "Free".to_owned(),
            c => c,
        };
        let accessibility = text("accessibility", self.accessibility, 1000, None, errors);
        let contact_name = text("contact_name", self.contact_name, 100, None, errors);
        ServiceFields {
            name,
            description,
            taxonomy,
            eligibility,
            minimum_age,
            maximum_age,
            cost,
            accessibility,
            contact_name,
            phone: phone(self.phone, errors),
            email: email(self.email, errors),
            url: web_address("url", self.url, errors),
        }
    }
}

/// A listing as typed (categories repeat their name).
#[derive(Debug, Clone, Default)]
pub struct ListingForm {
    pub name: String,
    pub description: String,
    /// Who runs it (an organisation's name).
    pub organization: String,
    pub taxonomy: Vec<String>,
    pub eligibility: String,
    pub minimum_age: String,
    pub maximum_age: String,
    pub cost: String,
    pub accessibility: String,
    pub contact_name: String,
    pub phone: String,
    pub email: String,
    pub url: String,
    pub address: String,
    pub postcode: String,
    /// The partner that keeps it (for staff), or empty for the PCN's own team.
    pub owner_partner_id: String,
}

/// A checked listing: what the public directory shows of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewListing {
    #[serde(flatten)]
    pub fields: ServiceFields,
    pub organization: String,
    pub address: String,
    pub postcode: Option<String>,
}

impl ListingForm {
    pub fn from_fields(fields: &[(String, String)]) -> Self {
        let mut f = Self::default();
        for (k, v) in fields {
            let slot = match k.as_str() {
                "name" => &mut f.name,
                "description" => &mut f.description,
                "organization" => &mut f.organization,
                "eligibility" => &mut f.eligibility,
                "minimum_age" => &mut f.minimum_age,
                "maximum_age" => &mut f.maximum_age,
                "cost" => &mut f.cost,
                "accessibility" => &mut f.accessibility,
                "contact_name" => &mut f.contact_name,
                "phone" => &mut f.phone,
                "email" => &mut f.email,
                "url" => &mut f.url,
                "address" => &mut f.address,
                "postcode" => &mut f.postcode,
                "owner_partner_id" => &mut f.owner_partner_id,
                "taxonomy" => {
                    f.taxonomy.push(v.clone());
                    continue;
                }
                _ => continue,
            };
            *slot = v.clone();
        }
        f
    }

    /// The form filled in from a listing, to change it.
    pub fn of(l: &NewListing) -> Self {
        let f = &l.fields;
        let n = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
        Self {
            name: f.name.clone(),
            description: f.description.clone(),
            organization: l.organization.clone(),
            taxonomy: f.taxonomy.clone(),
            eligibility: f.eligibility.clone(),
            minimum_age: n(f.minimum_age),
            maximum_age: n(f.maximum_age),
            cost: f.cost.clone(),
            accessibility: f.accessibility.clone(),
            contact_name: f.contact_name.clone(),
            phone: f.phone.clone().unwrap_or_default(),
            email: f.email.clone().unwrap_or_default(),
            url: f.url.clone().unwrap_or_default(),
            address: l.address.clone(),
            postcode: l.postcode.clone().unwrap_or_default(),
            owner_partner_id: String::new(),
        }
    }

    pub fn parse(&self) -> Result<NewListing, Vec<FieldError>> {
        let mut errors = Vec::new();
        let fields = ServiceText {
            name: &self.name,
            description: &self.description,
            taxonomy: &self.taxonomy,
            eligibility: &self.eligibility,
            minimum_age: &self.minimum_age,
            maximum_age: &self.maximum_age,
            cost: &self.cost,
            accessibility: &self.accessibility,
            contact_name: &self.contact_name,
            phone: &self.phone,
            email: &self.email,
            url: &self.url,
        }
        .parse("the service's name", &mut errors);
        let organization = text(
            "organization",
            &self.organization,
            200,
            Some("Say who runs it, like \"Harbourview Food Bank\""),
            &mut errors,
        );
        let address = text("address", &self.address, 300, None, &mut errors);
        let postcode = match self.postcode.trim() {
            "" => None,
            p => match crate::partners::postcode(p) {
                Some(p) => Some(p),
                None => {
                    errors.push(FieldError {
                        field: "postcode",
                        message: "Enter a full UK postcode, like HV1 1AA, or leave it empty".into(),
                    });
                    None
                }
            },
        };
        if fields.phone.is_none() && fields.email.is_none() && fields.url.is_none() {
            errors.push(FieldError {
                field: "phone",
                message: "Give at least one way to get in touch: a phone number, an email address or a website".into(),
            });
        }
        if errors.is_empty() {
            Ok(NewListing {
                fields,
                organization,
                address,
                postcode,
            })
        } else {
            Err(errors)
        }
    }
}

/// A category a service from another directory's feed is in, as that feed names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedTerm {
    pub id: String,
    pub code: String,
    pub name: String,
    pub description: String,
    pub taxonomy_id: Option<String>,
    pub parent_id: Option<String>,
}

/// A service read from another directory's feed, checked as a listing.
#[derive(Debug, Clone)]
pub struct ImportedService {
    /// Its id in the feed.
    pub source_id: String,
    pub listing: NewListing,
    /// ORUK status: active, inactive, temporarily closed.
    pub status: String,
    pub assured_date: Option<Date>,
    pub terms: Vec<ImportedTerm>,
    pub schedules: Vec<crate::recurrence::Recurrence>,
    /// What was left out of it, and why (a schedule that never occurs, say).
    pub notes: Vec<String>,
}

/// One field that a proposed change would alter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub label: &'static str,
    pub before: String,
    pub after: String,
}

/// What a proposed change alters, field by field, in the order the form shows them;
/// `category` names a taxonomy term from its id.
pub fn differences(
    before: &NewListing,
    after: &NewListing,
    category: &dyn Fn(&str) -> String,
) -> Vec<Difference> {
    let show = |l: &NewListing| -> Vec<(&'static str, String)> {
        let f = &l.fields;
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let age = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
        let mut terms: Vec<String> = f.taxonomy.iter().map(|t| category(t)).collect();
        terms.sort();
        vec![
            ("Name", f.name.clone()),
            ("Who runs it", l.organization.clone()),
            ("What it is", f.description.clone()),
            ("Categories", terms.join(", ")),
            ("Who it is for", f.eligibility.clone()),
            ("Youngest age", age(f.minimum_age)),
            ("Oldest age", age(f.maximum_age)),
            ("Cost", f.cost.clone()),
            ("Accessibility", f.accessibility.clone()),
            ("Contact name", f.contact_name.clone()),
            ("Phone", opt(&f.phone)),
            ("Email", opt(&f.email)),
            ("Website", opt(&f.url)),
            ("Address", l.address.clone()),
            ("Postcode", opt(&l.postcode)),
        ]
    };
    show(before)
        .into_iter()
        .zip(show(after))
        .filter(|(b, a)| b.1 != a.1)
        .map(|((label, before), (_, after))| Difference {
            label,
            before,
            after,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn form() -> ListingForm {
        ListingForm::from_fields(
            &[
                ("name", "Harbourview Food Bank"),
                (
                    "description",
                    "Emergency food parcels, with a referral or without.",
                ),
                ("organization", "Harbourview Churches Together"),
                ("phone", "01632 960 456"),
                ("postcode", "hv1 2bb"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        )
    }

    #[test]
    fn a_listing_needs_a_name_who_runs_it_and_a_way_in() {
        let ok = form().parse().unwrap();
        assert_eq!(ok.postcode.as_deref(), Some("HV1 2BB"));
        assert_eq!(ok.fields.cost, "Free");
        let errs = ListingForm::default().parse().unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "description", "organization", "phone"]);
        let mut f = form();
        f.postcode = "HV1".into();
        f.maximum_age = "5".into();
        f.minimum_age = "18".into();
        let fields: Vec<_> = f.parse().unwrap_err().iter().map(|e| e.field).collect();
        assert_eq!(fields, ["maximum_age", "postcode"]);
    }

    #[test]
    fn the_difference_names_only_what_changes() {
        let before = form().parse().unwrap();
        let mut f = ListingForm::of(&before);
        assert_eq!(f.parse().unwrap(), before, "the form round-trips");
        f.phone = "01632 960 999".into();
        f.cost = "£1 a parcel".into();
        let d = differences(&before, &f.parse().unwrap(), &|t| t.to_owned());
        assert_eq!(
            d,
            vec![
                Difference {
                    label: "Cost",
                    before: "Free".into(),
                    after: "£1 a parcel".into()
                },
                Difference {
                    label: "Phone",
                    before: "01632 960 456".into(),
                    after: "01632 960 999".into()
                },
            ]
        );
    }

    #[test]
    fn a_search_is_its_words_without_punctuation() {
        assert_eq!(
            search_words("  Men's CAFÉ, drop-in!"),
            ["men", "s", "café", "drop", "in"]
        );
        assert_eq!(search_words("walk walk"), ["walk"]);
        assert_eq!(search_words("HV1 m²"), ["hv1", "m"]);
        assert!(
            search_words("%_\\ &").is_empty(),
            "no words, nothing in particular"
        );
        assert_eq!(search_words("a b c d e f g h i j").len(), MOST_SEARCH_WORDS);
    }

    #[test]
    fn months_after_keeps_the_day_or_the_months_last() {
        assert_eq!(
            months_after(date!(2026 - 01 - 31), 1),
            date!(2026 - 02 - 28)
        );
        assert_eq!(
            months_after(date!(2026 - 11 - 15), 12),
            date!(2027 - 11 - 15)
        );
        assert_eq!(
            months_after(date!(2026 - 12 - 01), 3),
            date!(2027 - 03 - 01)
        );
    }

    #[test]
    fn a_listing_is_asked_flagged_and_then_taken_out() {
        let assured = date!(2025 - 12 - 01);
        let at = |d| Verification::of(assured, 12, 28, d);
        assert_eq!(at(date!(2026 - 11 - 16)), Verification::Current);
        assert_eq!(at(date!(2026 - 11 - 17)), Verification::DueSoon);
        assert_eq!(at(date!(2026 - 12 - 01)), Verification::Overdue);
        assert_eq!(at(date!(2026 - 12 - 28)), Verification::Overdue);
        assert_eq!(at(date!(2026 - 12 - 29)), Verification::Lapsed);
        assert_eq!(setting_number(Some("6"), 1..=60, 12), 6);
        assert_eq!(setting_number(Some("0"), 1..=60, 12), 12);
        assert_eq!(setting_number(None, 1..=60, 12u32), 12);
    }
}
