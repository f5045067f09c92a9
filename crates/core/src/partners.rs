//! Community partners: the organisations that lend venues and people, the venues they provide,
//! their agreements with the PCN and the insurance that covers the work.

use crate::people::{email, name, parse_date, phone, FieldError};
use serde::Deserialize;
use time::Date;

/// What kind of organisation a partner is.
pub const PARTNER_KINDS: &[(&str, &str)] = &[
    ("charity", "Charity"),
    ("community_group", "Community group"),
    ("faith_group", "Faith group"),
    ("business", "Local business (a café, a shop)"),
    (
        "public_service",
        "Public service (council, police, library)",
    ),
    ("other", "Other"),
];

/// Optional (or, with `required`, required) free text of at most `max` characters, trimmed.
pub(crate) fn text(
    field: &'static str,
    v: &str,
    max: usize,
    required: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> String {
    let v = v.trim();
    if v.is_empty() {
        if let Some(message) = required {
            errors.push(FieldError {
                field,
                message: message.into(),
            });
        }
    } else if v.chars().count() > max {
        errors.push(FieldError {
            field,
            message: format!("Keep it to {max} characters"),
        });
    }
    v.to_owned()
}

/// A partner organisation as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PartnerForm {
    pub name: String,
    #[serde(rename = "partner_kind")]
    pub kind: String,
    pub description: String,
    /// The person to talk to there.
    pub contact: String,
    pub phone: String,
    pub email: String,
    pub website: String,
}

/// A checked partner organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPartner {
    pub name: String,
    pub kind: String,
    pub description: String,
    pub contact: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
}

impl PartnerForm {
    pub fn parse(&self) -> Result<NewPartner, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = name("name", "the organisation's name", &self.name, &mut errors);
        let kind = PARTNER_KINDS.iter().find(|(k, _)| *k == self.kind.trim());
        if kind.is_none() {
            errors.push(FieldError {
                field: "partner_kind",
                message: "Choose what kind of organisation it is".into(),
            });
        }
        let description = text("description", &self.description, 2000, None, &mut errors);
        let contact = text("contact", &self.contact, 100, None, &mut errors);
        let phone = phone(&self.phone, &mut errors);
        let email = email(&self.email, &mut errors);
        let website = web_address("website", &self.website, &mut errors);
        match kind {
            Some((kind, _)) if errors.is_empty() => Ok(NewPartner {
                name,
                kind: (*kind).to_owned(),
                description,
                contact,
                phone,
                email,
                website,
            }),
            _ => Err(errors),
        }
    }
}

/// Someone to talk to at a partner, as typed (named apart from the partner's own phone and
/// email on the same page).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ContactForm {
    pub contact_name: String,
    /// What they do there ("Captain", "Runs the lunch club").
    pub contact_title: String,
    pub contact_phone: String,
    pub contact_email: String,
}

/// A checked contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContact {
    pub name: String,
    pub title: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

impl ContactForm {
    pub fn parse(&self) -> Result<NewContact, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = name(
            "contact_name",
            "their name",
            &self.contact_name,
            &mut errors,
        );
        let title = text("contact_title", &self.contact_title, 100, None, &mut errors);
        let mut reach = Vec::new();
        let phone = phone(&self.contact_phone, &mut reach);
        let email = email(&self.contact_email, &mut reach);
        errors.extend(reach.into_iter().map(|e| FieldError {
            field: if e.field == "phone" {
                "contact_phone"
            } else {
                "contact_email"
            },
            message: e.message,
        }));
        if phone.is_none() && email.is_none() && errors.is_empty() {
            errors.push(FieldError {
                field: "contact_phone",
                message: "Enter a phone number or an email address for them".into(),
            });
        }
        if errors.is_empty() {
            Ok(NewContact {
                name,
                title,
                phone,
                email,
            })
        } else {
            Err(errors)
        }
    }
}

/// An optional web address (http or https, no spaces, at most 300 characters).
pub(crate) fn web_address(
    field: &'static str,
    v: &str,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let w = Some(v.trim().to_owned()).filter(|w| !w.is_empty())?;
    if !(w.starts_with("https://") || w.starts_with("http://"))
        || w.chars().count() > 300
        || w.contains(char::is_whitespace)
    {
        errors.push(FieldError {
            field,
            message: "Enter the website's address, starting https://".into(),
        });
    }
    Some(w)
}

/// A UK postcode, normalised ("hv1 1aa" → "HV1 1AA"), if the text is shaped like one.
pub fn postcode(s: &str) -> Option<String> {
    let compact: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let n = compact.len();
    if !(5..=7).contains(&n) || !compact.is_ascii() {
        return None;
    }
    let (outward, inward) = compact.split_at(n - 3);
    let b = inward.as_bytes();
    let inward_ok =
        b[0].is_ascii_digit() && b[1].is_ascii_alphabetic() && b[2].is_ascii_alphabetic();
    let o = outward.as_bytes();
    let outward_ok = o[0].is_ascii_alphabetic()
        && o.iter().all(u8::is_ascii_alphanumeric)
        && o.iter().any(u8::is_ascii_digit);
    (inward_ok && outward_ok).then(|| format!("{outward} {inward}"))
}

/// A venue as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct VenueForm {
    /// Named apart from the organisation's own name, which can share the page.
    #[serde(rename = "venue_name")]
    pub name: String,
    pub address: String,
    pub postcode: String,
    pub accessibility: String,
    pub capacity: String,
}

/// A checked venue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVenue {
    pub name: String,
    pub address: String,
    pub postcode: String,
    /// Step-free access, hearing loop, toilets, parking: in the partner's words.
    pub accessibility: String,
    pub capacity: Option<i64>,
}

impl VenueForm {
    pub fn parse(&self) -> Result<NewVenue, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = name("venue_name", "the venue's name", &self.name, &mut errors);
        let address = text(
            "address",
            &self.address,
            300,
            Some("Enter the address"),
            &mut errors,
        );
        let code = postcode(&self.postcode);
        if code.is_none() {
            errors.push(FieldError {
                field: "postcode",
                message: "Enter the postcode, like HV1 1AA".into(),
            });
        }
        let accessibility = text(
            "accessibility",
            &self.accessibility,
            1000,
            None,
            &mut errors,
        );
        let capacity = match self.capacity.trim() {
            "" => None,
            c => match c.parse::<i64>() {
                Ok(n) if (1..=10_000).contains(&n) => Some(n),
                _ => {
                    errors.push(FieldError {
                        field: "capacity",
                        message: "Enter how many people it holds, as a number".into(),
                    });
                    None
                }
            },
        };
        match code {
            Some(postcode) if errors.is_empty() => Ok(NewVenue {
                name,
                address,
                postcode,
                accessibility,
                capacity,
            }),
            _ => Err(errors),
        }
    }
}

/// A dated document with a date it is next due: an agreement's review, a policy's expiry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DatedForm {
    pub title: String,
    /// The reference: a policy number, or empty.
    pub reference: String,
    pub from: String,
    pub due: String,
}

/// A checked dated document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDated {
    pub title: String,
    pub reference: String,
    pub from: Date,
    pub due: Date,
}

impl DatedForm {
    /// `what` names the document in messages ("the agreement", "the policy"); `due_what` the
    /// date that is due ("review", "expiry").
    pub fn parse(&self, today: Date, due_what: &str) -> Result<NewDated, Vec<FieldError>> {
        let mut errors = Vec::new();
        let title = text(
            "title",
            &self.title,
            200,
            Some("Say what it is, like \"Venue agreement\" or \"Volunteer insurance\""),
            &mut errors,
        );
        let reference = text("reference", &self.reference, 100, None, &mut errors);
        let from = match parse_date(&self.from) {
            Some(d) if d > today => {
                errors.push(FieldError {
                    field: "from",
                    message: "The start date cannot be in the future".into(),
                });
                None
            }
            Some(d) => Some(d),
            None => {
                errors.push(FieldError {
                    field: "from",
                    message: "Enter the date it was signed or started, for example 01/04/2026"
                        .into(),
                });
                None
            }
        };
        let due = parse_date(&self.due);
        match (from, due) {
            (_, None) => errors.push(FieldError {
                field: "due",
                message: format!("Enter the {due_what} date, for example 31/03/2027"),
            }),
            (Some(f), Some(d)) if d <= f => errors.push(FieldError {
                field: "due",
                message: format!("The {due_what} date must be after the start"),
            }),
            _ => {}
        }
        match (from, due) {
            (Some(from), Some(due)) if errors.is_empty() => Ok(NewDated {
                title,
                reference,
                from,
                due,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn postcodes_are_read_as_written_and_normalised() {
        assert_eq!(postcode("hv1 1aa").as_deref(), Some("HV1 1AA"));
        assert_eq!(postcode("SW1A1AA").as_deref(), Some("SW1A 1AA"));
        assert_eq!(postcode("M1 1AE").as_deref(), Some("M1 1AE"));
        assert_eq!(postcode("12345"), None);
        assert_eq!(postcode("HV1"), None);
        assert_eq!(postcode("HV1 1A1"), None);
    }

    #[test]
    fn a_partner_needs_a_name_and_a_kind_and_a_venue_a_postcode() {
        let e = PartnerForm::default().parse().unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "partner_kind"]);
        let ok = PartnerForm {
            name: "The Salvation Army, Harbourview".into(),
            kind: "faith_group".into(),
            website: "https://example.org".into(),
            ..PartnerForm::default()
        };
        assert!(ok.parse().is_ok());
        let bad = PartnerForm {
            website: "example.org".into(),
            ..ok
        };
        assert_eq!(bad.parse().unwrap_err()[0].field, "website");
        let v = VenueForm {
            name: "Church hall".into(),
            address: "7 Church Road, Harbourview".into(),
            postcode: "hv3 5cc".into(),
            capacity: "60".into(),
            ..VenueForm::default()
        }
        .parse()
        .unwrap();
        assert_eq!((v.postcode.as_str(), v.capacity), ("HV3 5CC", Some(60)));
    }

    #[test]
    fn a_contact_has_a_name_and_a_way_to_reach_them() {
        let e = ContactForm {
            contact_name: "Captain Ruth Ellis".into(),
            ..ContactForm::default()
        }
        .parse()
        .unwrap_err();
        assert_eq!(e[0].field, "contact_phone");
        let e = ContactForm {
            contact_name: "Jo".into(),
            contact_email: "not an email".into(),
            ..ContactForm::default()
        }
        .parse()
        .unwrap_err();
        assert_eq!(e[0].field, "contact_email");
        let ok = ContactForm {
            contact_name: "Jo Pennington".into(),
            contact_title: "Owner".into(),
            contact_phone: "07700 900501".into(),
            ..ContactForm::default()
        }
        .parse()
        .unwrap();
        assert_eq!(
            (ok.title.as_str(), ok.phone.as_deref()),
            ("Owner", Some("07700 900501"))
        );
    }

    #[test]
    fn an_agreement_is_reviewed_after_it_starts_and_starts_in_the_past() {
        let today = date!(2026 - 11 - 24);
        let f = |from: &str, due: &str| DatedForm {
            title: "Venue agreement".into(),
            reference: String::new(),
            from: from.into(),
            due: due.into(),
        };
        assert!(f("01/04/2026", "31/03/2027").parse(today, "review").is_ok());
        assert_eq!(
            f("01/12/2026", "31/03/2027")
                .parse(today, "review")
                .unwrap_err()[0]
                .field,
            "from"
        );
        let e = f("01/04/2026", "01/03/2026")
            .parse(today, "review")
            .unwrap_err();
        assert!(e[0].message.contains("review date must be after"));
    }
}
