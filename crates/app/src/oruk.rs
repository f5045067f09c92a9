//! Open Referral UK 3.0 as Together writes it: a published service with its organisation,
//! locations, contacts, schedules and categories, as the ORUK API serves it and as the command
//! line exports it. One writer, so the feed and the file cannot drift apart.

use serde_json::{Map, Value};
use together_store::directory::DirectoryService;

/// The namespace of the ids derived for nested records.
const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6c1f_4e0a_9b3d_4f27_8a15_2d9e_7c40_b311);

fn derived(kind: &str, of: &str) -> String {
    uuid::Uuid::new_v5(&NAMESPACE, format!("{kind}:{of}").as_bytes()).to_string()
}

/// A JSON object with the empty optional fields left out.
struct Obj(Map<String, Value>);

impl Obj {
    fn new() -> Self {
        Self(Map::new())
    }
    fn req(mut self, k: &str, v: impl Into<Value>) -> Self {
        self.0.insert(k.into(), v.into());
        self
    }
    fn opt_str(mut self, k: &str, v: Option<&str>) -> Self {
        if let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) {
            self.0.insert(k.into(), v.into());
        }
        self
    }
    fn opt_num(mut self, k: &str, v: Option<i64>) -> Self {
        if let Some(v) = v {
            self.0.insert(k.into(), v.into());
        }
        self
    }
    fn list(mut self, k: &str, v: Vec<Value>) -> Self {
        if !v.is_empty() {
            self.0.insert(k.into(), Value::Array(v));
        }
        self
    }
    fn done(self) -> Value {
        Value::Object(self.0)
    }
}

fn rfc3339(t: &time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The one-to-one fields of a service, and its organisation.
/// A service's own fields, as the list of services shows each one.
pub fn service_summary(s: &DirectoryService) -> Value {
    service_fields(s).done()
}

fn service_fields(s: &DirectoryService) -> Obj {
    let o = &s.organization;
    Obj::new()
        .req("id", s.id.to_string())
        .req("organization_id", o.id.clone())
        .req("name", s.name.clone())
        .opt_str("description", Some(&s.description))
        .opt_str("url", s.url.as_deref())
        .opt_str("email", s.email.as_deref())
        .req("status", s.status.clone())
        .opt_str("fees", Some(&s.fees))
        .opt_num("minimum_age", s.minimum_age)
        .opt_num("maximum_age", s.maximum_age)
        .opt_str(
            "assured_date",
            s.assured_date.map(|d| d.to_string()).as_deref(),
        )
        .req("last_modified", rfc3339(&s.last_modified))
        .req(
            "organization",
            Obj::new()
                .req("id", o.id.clone())
                .req("name", o.name.clone())
                .req("description", organization_description(o))
                .opt_str("email", o.email.as_deref())
                .opt_str("website", o.website.as_deref())
                .done(),
        )
}

/// The service at its venue (ORUK's service_at_location, with its location whole), if it has one.
fn service_at_location(s: &DirectoryService) -> Option<Value> {
    let id = s.id.to_string();
    let v = s.venue.as_ref()?;
    let (street, town) = match v.address.rsplit_once(',') {
        Some((street, town)) => (street.trim(), town.trim()),
        None => (v.address.trim(), ""),
    };
    let address = Obj::new()
        .req("id", derived("address", &v.id))
        .req("location_id", v.id.clone())
        .req("address_1", street)
        .req("city", town)
        .req("state_province", "England")
        .req("postal_code", v.postcode.clone())
        .req("country", "GB")
        .req("address_type", "physical")
        .done();
    let accessibility = if v.accessibility.trim().is_empty() {
        Vec::new()
    } else {
        vec![Obj::new()
            .req("id", derived("accessibility", &v.id))
            .req("location_id", v.id.clone())
            .req("description", v.accessibility.clone())
            .done()]
    };
    let mut location = Obj::new()
        .req("id", v.id.clone())
        .req("location_type", "physical")
        .req("name", v.name.clone());
    if let Some(p) = s.point {
        location = location
            .req("latitude", p.latitude)
            .req("longitude", p.longitude);
    }
    let location = location
        .list("addresses", vec![address])
        .list("accessibility", accessibility)
        .done();
    Some(
        Obj::new()
            .req("id", sal_id(s.id, &v.id))
            .req("service_id", id)
            .req("location_id", v.id.clone())
            .req("location", location)
            .done(),
    )
}

/// A service at its location with the service's own fields, as the service_at_locations lists
/// and their `/{id}` serve it.
pub fn sal_with_service(s: &DirectoryService) -> Option<Value> {
    let mut sal = service_at_location(s)?;
    sal["service"] = service_fields(s).done();
    Some(sal)
}

/// A service-at-location's id, derived from the service and its venue.
pub fn sal_id(service: together_core::ServiceId, venue: &str) -> String {
    derived("service_at_location", &format!("{service}/{venue}"))
}

/// A service with its schedules, where it happens, who to contact and its categories, as the
/// ORUK feed serves it (and `together directory export` writes it).
pub fn service_full(s: &DirectoryService) -> Value {
    let id = s.id.to_string();
    let schedules = s
        .schedules
        .iter()
        .map(|sc| {
            let r = &sc.recurrence;
            Obj::new()
                .req("id", sc.id.clone())
                .req("service_id", id.clone())
                .req("freq", r.freq.as_str())
                .req("interval", r.interval)
                .opt_str("byday", Some(&r.byday_text()))
                .opt_str("bymonthday", Some(&r.bymonthday_text()))
                .req("dtstart", r.dtstart.to_string())
                .req("valid_from", r.dtstart.to_string())
                .opt_str("valid_to", r.valid_to.map(|d| d.to_string()).as_deref())
                .req("opens_at", together_core::recurrence::clock(r.opens_at))
                .req("closes_at", together_core::recurrence::clock(r.closes_at))
                .req("description", r.describe())
                .done()
        })
        .collect();
    let locations: Vec<Value> = service_at_location(s).into_iter().collect();
    let contacts = if s.contact_name.trim().is_empty() && s.phone.is_none() {
        Vec::new()
    } else {
        let contact = derived("contact", &id);
        let phones = s
            .phone
            .iter()
            .map(|p| {
                Obj::new()
                    .req("id", derived("phone", &id))
                    .req("contact_id", contact.clone())
                    .req("number", p.clone())
                    .done()
            })
            .collect();
        vec![Obj::new()
            .req("id", contact.clone())
            .req("service_id", id.clone())
            .opt_str("name", Some(&s.contact_name))
            .list("phones", phones)
            .done()]
    };
    let attributes = s
        .terms
        .iter()
        .map(|t| {
            Obj::new()
                .req("id", derived("attribute", &format!("{id}/{}", t.id)))
                .req("link_id", id.clone())
                .req("link_type", "service")
                .req("taxonomy_term_id", t.id.clone())
                .req(
                    "taxonomy_term",
                    Obj::new()
                        .req("id", t.id.clone())
                        .req("name", t.name.clone())
                        .req("description", t.description.clone())
                        .req("taxonomy_id", t.taxonomy_id.clone())
                        .opt_str("parent_id", t.parent_id.as_deref())
                        .done(),
                )
                .done()
        })
        .collect();
    service_fields(s)
        .list("schedules", schedules)
        .list("service_at_locations", locations)
        .list("contacts", contacts)
        .list("attributes", attributes)
        .done()
}

/// ORUK requires an organisation's description; one we were given none for says what we know.
fn organization_description(o: &together_store::directory::Organization) -> String {
    if o.description.trim().is_empty() {
        format!("{} runs services in this neighbourhood directory.", o.name)
    } else {
        o.description.clone()
    }
}

/// An organisation that runs a published service, as `/organizations` serves it.
pub fn organization_out(o: &together_store::directory::Organization) -> Value {
    Obj::new()
        .req("id", o.id.clone())
        .req("name", o.name.clone())
        .req("description", organization_description(o))
        .opt_str("email", o.email.as_deref())
        .opt_str("website", o.website.as_deref())
        .done()
}

/// A taxonomy (a list of categories), as `/taxonomies` serves it.
pub fn taxonomy_out(t: &together_store::directory::Taxonomy) -> Value {
    Obj::new()
        .req("id", t.id.clone())
        .req("name", t.name.clone())
        .req("description", t.description.clone())
        .opt_str("uri", t.uri.as_deref())
        .opt_str("version", t.version.as_deref())
        .done()
}

/// A category of a taxonomy, as `/taxonomy_terms` serves it.
pub fn term_out(t: &together_store::offers::TaxonomyTerm) -> Value {
    Obj::new()
        .req("id", t.id.clone())
        .req("name", t.name.clone())
        .req("description", t.description.clone())
        .opt_str("parent_id", t.parent_id.as_deref())
        .req("taxonomy_id", t.taxonomy_id.clone())
        .req("term", t.code.clone())
        .done()
}
