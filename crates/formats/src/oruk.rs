//! Reading an Open Referral UK 3.0 feed: a page of `/services` (the paging envelope) and each
//! service in it, turned into a directory listing checked by the same rules as one typed in.
//! A service that cannot be a listing is skipped with its reason; a page that is not an ORUK
//! page stops the import. Nothing here fetches or writes anything.

use serde_json::Value;
use together_core::listings::ListingForm;
pub use together_core::listings::{ImportedService, ImportedTerm};
use together_core::recurrence::ScheduleForm;

/// Why a page of a feed is not one.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PageError {
    #[error("it is not JSON ({0})")]
    NotJson(String),
    #[error("it is not an ORUK page of services: {0}")]
    NotAPage(&'static str),
}

/// One page of services, as the feed sent it.
#[derive(Debug)]
pub struct Page {
    pub contents: Vec<Value>,
    pub total_pages: i64,
    pub total_items: Option<i64>,
}

/// Reads a page: the ORUK envelope (`contents`, `total_pages`), or, from a file, a bare array
/// of services or one service.
pub fn page(bytes: &[u8]) -> Result<Page, PageError> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| PageError::NotJson(e.to_string()))?;
    match v {
        Value::Array(items) => Ok(Page {
            total_items: Some(items.len() as i64),
            contents: items,
            total_pages: 1,
        }),
        Value::Object(ref o) if o.contains_key("contents") => {
            let contents = o
                .get("contents")
                .and_then(Value::as_array)
                .cloned()
                .ok_or(PageError::NotAPage("`contents` is not a list"))?;
            let total_pages = match o.get("total_pages") {
                None => 1,
                Some(n) => n
                    .as_i64()
                    .filter(|n| *n >= 0)
                    .ok_or(PageError::NotAPage("`total_pages` is not a whole number"))?,
            };
            Ok(Page {
                contents,
                total_pages,
                total_items: o.get("total_items").and_then(Value::as_i64),
            })
        }
        Value::Object(ref o) if o.contains_key("name") && o.contains_key("id") => Ok(Page {
            contents: vec![v.clone()],
            total_pages: 1,
            total_items: Some(1),
        }),
        _ => Err(PageError::NotAPage(
            "expected an object with `contents`, a list of services, or one service",
        )),
    }
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn list<'a>(v: &'a Value, k: &str) -> impl Iterator<Item = &'a Value> {
    v.get(k)
        .and_then(Value::as_array)
        .map(|a| a.iter())
        .into_iter()
        .flatten()
}

fn number(v: &Value, k: &str) -> String {
    match v.get(k) {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

/// Reads one service. `Err` says, in a sentence, why it cannot be a listing.
pub fn service(v: &Value) -> Result<ImportedService, String> {
    if !v.is_object() {
        return Err("it is not an object".into());
    }
    let source_id = s(v, "id").trim().to_owned();
    if source_id.is_empty() {
        return Err("it has no id".into());
    }
    let status = match s(v, "status") {
        "" => "active".to_owned(),
        "defunct" => return Err("it is marked defunct".into()),
        other => other.to_owned(),
    };
    let mut notes = Vec::new();
    let organization = v
        .get("organization")
        .map(|o| s(o, "name").to_owned())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| s(v, "organization_name").to_owned());
    // The first phone of the service, else of its contacts; the first contact's name.
    let contacts: Vec<&Value> = list(v, "contacts").collect();
    let phone = list(v, "phones")
        .chain(contacts.iter().flat_map(|c| list(c, "phones")))
        .map(|p| s(p, "number").to_owned())
        .find(|n| !n.trim().is_empty())
        .unwrap_or_default();
    let contact_name = contacts
        .iter()
        .map(|c| s(c, "name").to_owned())
        .find(|n| !n.trim().is_empty())
        .unwrap_or_default();
    let email = match s(v, "email") {
        "" => contacts
            .iter()
            .map(|c| s(c, "email").to_owned())
            .find(|e| !e.is_empty())
            .unwrap_or_default(),
        e => e.to_owned(),
    };
    let location = list(v, "service_at_locations")
        .filter_map(|sal| sal.get("location"))
        .next();
    let address = location.and_then(|l| list(l, "addresses").next());
    let (street, postcode) = match address {
        Some(a) => {
            let street: Vec<&str> = ["address_1", "address_2", "city"]
                .iter()
                .map(|k| s(a, k).trim())
                .filter(|p| !p.is_empty())
                .collect();
            (street.join(", "), s(a, "postal_code").to_owned())
        }
        None => (String::new(), String::new()),
    };
    let accessibility = match s(v, "accessibility") {
        "" => location
            .and_then(|l| list(l, "accessibility").next())
            .map(|a| s(a, "description").to_owned())
            .unwrap_or_default(),
        a => a.to_owned(),
    };
    let mut terms = Vec::new();
    for a in list(v, "attributes") {
        let Some(t) = a.get("taxonomy_term") else {
            continue;
        };
        let id = match s(t, "id") {
            "" => s(a, "taxonomy_term_id"),
            id => id,
        };
        // Categories are kept by UUID, as ORUK asks; one without is left out, and said so.
        if uuid::Uuid::parse_str(id).is_err() || s(t, "name").is_empty() {
            notes.push(format!(
                "the category '{}' has no UUID or no name and was left out",
                s(t, "name")
            ));
            continue;
        }
        let code = match s(t, "code") {
            "" => s(t, "name").to_lowercase().replace(' ', "_"),
            c => c.to_owned(),
        };
        terms.push(ImportedTerm {
            id: id.to_owned(),
            code,
            name: s(t, "name").to_owned(),
            description: s(t, "description").to_owned(),
            taxonomy_id: Some(s(t, "taxonomy_id").to_owned()).filter(|t| !t.is_empty()),
            parent_id: Some(s(t, "parent_id").to_owned()).filter(|t| !t.is_empty()),
        });
    }
    let mut fields: Vec<(String, String)> = vec![
        ("name".into(), s(v, "name").into()),
        ("description".into(), s(v, "description").into()),
        ("organization".into(), organization),
        ("eligibility".into(), s(v, "eligibility_description").into()),
        ("minimum_age".into(), number(v, "minimum_age")),
        ("maximum_age".into(), number(v, "maximum_age")),
        (
            "cost".into(),
            match s(v, "fees_description") {
                "" => s(v, "fees").into(),
                f => f.into(),
            },
        ),
        ("accessibility".into(), accessibility),
        ("contact_name".into(), contact_name),
        ("phone".into(), phone),
        ("email".into(), email),
        ("url".into(), s(v, "url").into()),
        ("address".into(), street),
        ("postcode".into(), postcode),
    ];
    fields.extend(terms.iter().map(|t| ("taxonomy".to_owned(), t.id.clone())));
    let listing = ListingForm::from_fields(&fields)
        .parse()
        .map_err(|errors| {
            errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ")
        })?;
    let mut schedules = Vec::new();
    for sc in list(v, "schedules") {
        let form = ScheduleForm {
            freq: s(sc, "freq").to_uppercase(),
            interval: number(sc, "interval"),
            byday: s(sc, "byday").into(),
            bymonthday: s(sc, "bymonthday").into(),
            starts_on: match s(sc, "valid_from") {
                "" => s(sc, "dtstart").into(),
                d => d.into(),
            },
            ends_on: s(sc, "valid_to").into(),
            opens_at: s(sc, "opens_at").chars().take(5).collect(),
            closes_at: s(sc, "closes_at").chars().take(5).collect(),
        };
        match form.parse() {
            Ok(r) => schedules.push(r),
            Err(e) => notes.push(format!(
                "a schedule was left out: {}",
                e.iter()
                    .map(|e| e.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
        }
    }
    let assured_date = together_core::people::parse_date(s(v, "assured_date"));
    Ok(ImportedService {
        source_id,
        listing,
        status,
        assured_date,
        terms,
        schedules,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn food_bank() -> Value {
        json!({
            "id": "3b5a0d8e-9c1f-4a64-8a57-2f9b8a2e6f11",
            "name": "Harbourview Food Bank",
            "description": "Emergency food parcels.",
            "status": "active",
            "assured_date": "2026-09-01",
            "minimum_age": 18,
            "organization": {"id": "o1", "name": "Harbourview Churches Together"},
            "contacts": [{"id": "c1", "name": "Joy", "phones": [{"id": "p1", "number": "01632 960 456"}]}],
            "service_at_locations": [{"id": "sal", "location": {"id": "l1", "addresses": [{"address_1": "St Mary's Hall", "city": "Harbourview", "postal_code": "hv1 2bb"}]}}],
            "attributes": [{"id": "a1", "taxonomy_term_id": "66d863fd-1637-4acb-9a52-66dddaf05350", "taxonomy_term": {"id": "66d863fd-1637-4acb-9a52-66dddaf05350", "name": "Food", "code": "food", "taxonomy_id": "8b3f823d-a2df-4251-9850-72eb545f157b"}}],
            "schedules": [
                {"freq": "WEEKLY", "interval": 1, "byday": "TU", "dtstart": "2026-01-06", "opens_at": "10:00", "closes_at": "12:00"},
                {"freq": "WEEKLY", "byday": "XX", "dtstart": "2026-01-06", "opens_at": "10:00", "closes_at": "12:00"}
            ]
        })
    }

    #[test]
    fn a_service_becomes_a_listing_with_its_categories_and_schedules() {
        let s = service(&food_bank()).unwrap();
        assert_eq!(s.listing.fields.name, "Harbourview Food Bank");
        assert_eq!(s.listing.organization, "Harbourview Churches Together");
        assert_eq!(s.listing.fields.phone.as_deref(), Some("01632 960 456"));
        assert_eq!(s.listing.fields.contact_name, "Joy");
        assert_eq!(s.listing.postcode.as_deref(), Some("HV1 2BB"));
        assert_eq!(s.listing.address, "St Mary's Hall, Harbourview");
        assert_eq!(s.listing.fields.minimum_age, Some(18));
        assert_eq!(s.terms[0].code, "food");
        assert_eq!(s.schedules.len(), 1);
        assert_eq!(
            s.notes.len(),
            1,
            "the schedule on no day was left out, said so"
        );
        assert_eq!(s.assured_date, Some(time::macros::date!(2026 - 09 - 01)));
    }

    #[test]
    fn a_service_that_cannot_be_a_listing_says_why() {
        let mut v = food_bank();
        v["contacts"] = json!([]);
        let why = service(&v).unwrap_err();
        assert!(why.contains("at least one way to get in touch"), "{why}");
        v["status"] = json!("defunct");
        assert!(service(&v).unwrap_err().contains("defunct"));
        assert!(service(&json!({"name": "No id"}))
            .unwrap_err()
            .contains("no id"));
        assert!(service(&json!("text")).is_err());
    }

    #[test]
    fn pages_are_envelopes_lists_or_one_service_and_anything_else_is_refused() {
        let p = page(
            br#"{"total_items": 3, "total_pages": 2, "page_number": 1, "contents": [{}, {}]}"#,
        )
        .unwrap();
        assert_eq!(
            (p.contents.len(), p.total_pages, p.total_items),
            (2, 2, Some(3))
        );
        assert_eq!(page(b"[{}, {}, {}]").unwrap().contents.len(), 3);
        assert_eq!(
            page(br#"{"id": "x", "name": "y"}"#).unwrap().contents.len(),
            1
        );
        assert!(matches!(page(b"<html>"), Err(PageError::NotJson(_))));
        assert!(matches!(
            page(br#"{"contents": 5}"#),
            Err(PageError::NotAPage(_))
        ));
        assert!(matches!(
            page(br#"{"total_pages": -1, "contents": []}"#),
            Err(PageError::NotAPage(_))
        ));
        assert!(matches!(page(b"42"), Err(PageError::NotAPage(_))));
    }
}
