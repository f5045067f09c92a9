//! The Open Referral UK 3.0 API, checked against the standard itself: every list's first,
//! middle and last page and every service fetched through its own `/{id}` form validate
//! against the JSON Schemas in standards/oruk-3.0 (their references resolved to the local
//! files, and any left unresolved fails the test), every id is a UUID, empty optional fields
//! are left out, anyone may call it from any origin, and a service is found by its own name
//! and category.

use crate::helpers::*;
use crate::on_both;
use reqwest::StatusCode;
use serde_json::Value;
use together_core::offers::OfferForm;
use together_core::recurrence::ScheduleForm;

const SCHEMA_BASE: &str = "https://openreferraluk.org/specifications/3.0/schema/";

/// A schema with every `$ref` to the standard's schemas replaced by the local file's content.
fn schema(name: &str) -> Value {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../standards/oruk-3.0/schema");
    let text = std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut v: Value = serde_json::from_str(&text).unwrap();
    inline(&mut v, 0);
    v
}

fn inline(v: &mut Value, depth: usize) {
    assert!(depth < 20, "the schemas' references do not end");
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref").cloned() {
                let file = r
                    .strip_prefix(SCHEMA_BASE)
                    .unwrap_or_else(|| panic!("a reference left unresolved: {r}"));
                let mut target = schema(file);
                inline(&mut target, depth + 1);
                map.remove("$ref");
                if let Value::Object(t) = target {
                    for (k, x) in t {
                        map.entry(k).or_insert(x);
                    }
                }
            }
            for x in map.values_mut() {
                inline(x, depth + 1);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|x| inline(x, depth + 1)),
        _ => {}
    }
}

fn errors(schema_file: &str, instance: &Value) -> Vec<String> {
    let s = schema(schema_file);
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&s)
        .unwrap_or_else(|e| panic!("{schema_file} does not compile: {e}"));
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn validate(schema_file: &str, instance: &Value, what: &str) {
    let errors = errors(schema_file, instance);
    assert!(
        errors.is_empty(),
        "{what} against {schema_file}: {errors:#?}"
    );
}

/// Every "id" and "*_id" is a UUID, and nothing is null, empty text or an empty list.
fn ids_and_omissions(v: &Value, path: &str) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                let here = format!("{path}.{k}");
                if k == "id" || k.ends_with("_id") {
                    let s = x.as_str().unwrap_or_else(|| panic!("{here} is not text"));
                    assert!(
                        uuid::Uuid::parse_str(s).is_ok(),
                        "{here} = {s} is not a UUID"
                    );
                }
                match x {
                    Value::Null => panic!("{here} is null: leave it out"),
                    Value::String(s) if s.trim().is_empty() => {
                        panic!("{here} is empty: leave it out")
                    }
                    Value::Array(a) if a.is_empty() => {
                        panic!("{here} is an empty list: leave it out")
                    }
                    _ => {}
                }
                ids_and_omissions(x, &here);
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                ids_and_omissions(x, &format!("{path}[{i}]"));
            }
        }
        _ => {}
    }
}

async fn get_json(c: &mut Client, path: &str) -> Value {
    let res = c.get(path).await;
    assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.body);
    assert_eq!(
        res.headers
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("*"),
        "{path} may be called from any origin"
    );
    serde_json::from_str(&res.body).unwrap()
}

on_both!(the_oruk_api_validates_against_the_standard_and_finds_services);
async fn the_oruk_api_validates_against_the_standard_and_finds_services(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = audit(app.pcn);
    let terms = app.store.taxonomy_terms().await.unwrap();
    let venue = app
        .store
        .add_venue(
            app.pcn,
            None,
            &together_core::partners::NewVenue {
                name: "Citadel hall".into(),
                address: "3 Dock Road, Harbourview".into(),
                postcode: "HV2 4DD".into(),
                accessibility: "Step-free, hearing loop".into(),
                capacity: Some(80),
            },
            &a,
        )
        .await
        .unwrap();
    let names = [
        "Bereavement café",
        "Carers' coffee morning",
        "Chair yoga",
        "Digital skills drop-in",
        "Harbourview walking group",
        "Singing for wellbeing",
        "Ukulele group",
    ];
    let mut ids = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let term = terms[i % terms.len()].id.clone();
        let mut fields: Vec<(String, String)> = [
            ("name", *name),
            ("description", "Come along: everyone is welcome."),
            ("offer_kind", "group"),
            ("offer_status", if i == 6 { "paused" } else { "active" }),
            ("contact_name", if i % 2 == 0 { "Susan" } else { "" }),
            ("phone", if i % 2 == 0 { "01632 960 123" } else { "" }),
            ("minimum_age", if i == 2 { "50" } else { "" }),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        fields.push(("taxonomy".into(), term));
        if i % 3 != 2 {
            fields.push(("venue_id".into(), venue.clone()));
        }
        let offer = OfferForm::from_fields(&fields).parse().unwrap();
        let id = app.store.add_offer(app.pcn, &offer, &a).await.unwrap();
        if i % 2 == 0 {
            let r = ScheduleForm {
                freq: "MONTHLY".into(),
                byday: "2TU".into(),
                starts_on: "2026-12-01".into(),
                opens_at: "10:00".into(),
                closes_at: "11:30".into(),
                ..ScheduleForm::default()
            }
            .parse()
            .unwrap();
            app.store
                .add_schedule(app.pcn, id, &r, time::macros::date!(2027 - 03 - 01), &a)
                .await
                .unwrap();
        }
        ids.push(id);
    }

    let mut anyone = app.client();
    let details = get_json(&mut anyone, "/api/oruk/").await;
    validate("api_details.json", &details, "/");
    assert_eq!(
        anyone.get("/api/oruk/openapi.json").await.status,
        StatusCode::OK
    );
    // What the API refuses is refused, and documented: junk booleans, a page past any list,
    // empty numbers; the OpenAPI served says 400 and 404 and the bounds of a page.
    for junk in [
        "/api/oruk/organizations?full_service=null",
        "/api/oruk/services?full=yes",
        "/api/oruk/taxonomy_terms?top_only=1",
        "/api/oruk/services?page=92233720368547758",
        "/api/oruk/services?page=0",
        "/api/oruk/services?per_page=",
        "/api/oruk/services?modified_after=",
    ] {
        let res = anyone.get(junk).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{junk}: {}", res.body);
        assert!(res.body.contains("\"error\""), "{junk}: {}", res.body);
    }
    assert_eq!(
        anyone
            .get("/api/oruk/taxonomy_terms?top_only=true")
            .await
            .status,
        StatusCode::OK
    );
    let doc = get_json(&mut anyone, "/api/oruk/openapi.json").await;
    assert!(doc["paths"]["/services"]["get"]["responses"]["400"].is_object());
    assert!(doc["paths"]["/services/{id}"]["get"]["responses"]["404"].is_object());
    assert_eq!(
        doc["components"]["parameters"]["page"]["schema"]["minimum"],
        1
    );

    // Pages of three: 1 (first), 2 (a middle one) and 3 (the last, with one).
    let mut seen = Vec::new();
    for page in 1..=3 {
        let path = format!("/api/oruk/services?per_page=3&page={page}");
        let list = get_json(&mut anyone, &path).await;
        validate("service_list.json", &list, &path);
        ids_and_omissions(&list, &path);
        assert_eq!(list["total_items"], 7);
        assert_eq!(list["total_pages"], 3);
        assert_eq!(list["page_number"], page);
        assert_eq!(list["first_page"], page == 1);
        assert_eq!(list["last_page"], page == 3);
        assert_eq!(list["size"], if page == 3 { 1 } else { 3 });
        for s in list["contents"].as_array().unwrap() {
            seen.push(s["id"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(seen.len(), 7, "every service once across the pages");
    let past = get_json(&mut anyone, "/api/oruk/services?per_page=3&page=4").await;
    assert_eq!(
        (past["empty"].as_bool(), past["size"].as_i64()),
        (Some(true), Some(0))
    );

    // Every id seen, through its own form.
    for id in &seen {
        let path = format!("/api/oruk/services/{id}");
        let s = get_json(&mut anyone, &path).await;
        validate("service.json", &s, &path);
        ids_and_omissions(&s, &path);
        assert_eq!(s["id"], id.as_str());
    }
    let walking = get_json(&mut anyone, &format!("/api/oruk/services/{}", ids[4])).await;
    assert_eq!(walking["schedules"][0]["byday"], "2TU");
    assert_eq!(
        walking["service_at_locations"][0]["location"]["addresses"][0]["postal_code"],
        "HV2 4DD"
    );
    assert_eq!(
        walking["contacts"][0]["phones"][0]["number"],
        "01632 960 123"
    );
    // The schemas bite: a status outside ORUK's list, a missing name or a bad UUID is caught.
    let mut broken = walking.clone();
    broken["status"] = "open".into();
    broken.as_object_mut().unwrap().remove("name");
    broken["schedules"][0]["id"] = "schedule-1".into();
    assert_eq!(
        errors("service.json", &broken).len(),
        3,
        "{:#?}",
        errors("service.json", &broken)
    );
    let again = get_json(&mut anyone, &format!("/api/oruk/services/{}", ids[4])).await;
    assert_eq!(walking, again, "derived ids are the same every time");
    let paused = get_json(&mut anyone, &format!("/api/oruk/services/{}", ids[6])).await;
    assert_eq!(paused["status"], "temporarily closed");

    // Found by its own name and by its category.
    let by_name = get_json(&mut anyone, "/api/oruk/services?search=walking").await;
    assert_eq!(by_name["total_items"], 1);
    assert_eq!(by_name["contents"][0]["name"], "Harbourview walking group");
    let term = &walking["attributes"][0]["taxonomy_term_id"];
    let by_term = get_json(
        &mut anyone,
        &format!(
            "/api/oruk/services?taxonomy_term_id={}",
            term.as_str().unwrap()
        ),
    )
    .await;
    assert!(by_term["contents"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["name"] == "Harbourview walking group"));
    let later = get_json(
        &mut anyone,
        "/api/oruk/services?modified_after=2030-01-01T00:00:00Z",
    )
    .await;
    assert_eq!(later["total_items"], 0);

    // Services at locations: five of the seven have a venue. Pages of two: first, middle,
    // last; each id through its own form; found by the postcode near them.
    app.store
        .import_postcodes(&[
            ("HV2 4DD".to_owned(), 50.627, -3.393),
            ("HV1 1AA".to_owned(), 50.615, -3.413),
            ("HV9 9ZZ".to_owned(), 51.5, -0.12),
        ])
        .await
        .unwrap();
    let mut sal_ids = Vec::new();
    for page in 1..=3 {
        let path = format!("/api/oruk/service_at_locations?per_page=2&page={page}");
        let list = get_json(&mut anyone, &path).await;
        validate("service_at_location_list.json", &list, &path);
        ids_and_omissions(&list, &path);
        assert_eq!(
            (list["total_items"].as_i64(), list["total_pages"].as_i64()),
            (Some(5), Some(3))
        );
        assert_eq!(list["last_page"], page == 3);
        for x in list["contents"].as_array().unwrap() {
            assert_eq!(
                x["location"]["latitude"], 50.627,
                "the venue's postcode placed it"
            );
            sal_ids.push(x["id"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(sal_ids.len(), 5);
    for id in &sal_ids {
        let path = format!("/api/oruk/service_at_locations/{id}");
        let one = get_json(&mut anyone, &path).await;
        validate("service_at_location.json", &one, &path);
        ids_and_omissions(&one, &path);
        assert_eq!(one["id"], id.as_str());
    }
    let near = get_json(
        &mut anyone,
        "/api/oruk/service_at_locations?postcode=hv1%201aa&proximity=2500&search=walking",
    )
    .await;
    assert_eq!(near["total_items"], 1, "{near}");
    assert_eq!(
        near["contents"][0]["service"]["name"],
        "Harbourview walking group"
    );
    let far = get_json(
        &mut anyone,
        "/api/oruk/service_at_locations?postcode=HV9%209ZZ&proximity=5000",
    )
    .await;
    assert_eq!(far["total_items"], 0);
    let too_near = get_json(
        &mut anyone,
        "/api/oruk/services?postcode=HV1%201AA&proximity=100",
    )
    .await;
    assert_eq!(too_near["total_items"], 0, "2 km away is not within 100 m");
    for bad in [
        "/api/oruk/service_at_locations?postcode=ZZ1%201ZZ",
        "/api/oruk/service_at_locations?postcode=nowhere",
        "/api/oruk/service_at_locations?proximity=1000",
        "/api/oruk/services?postcode=HV1%201AA&proximity=far",
    ] {
        assert_eq!(
            anyone.get(bad).await.status,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    assert_eq!(
        anyone
            .get(&format!(
                "/api/oruk/service_at_locations/{}",
                together_core::ServiceId::new()
            ))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // The organisations that run them: the PCN itself and four others, with a listing each.
    for (i, org) in [
        "Age UK Harbourview",
        "Citizens Advice",
        "Harbourview Carers",
        "St Mary's Church",
    ]
    .iter()
    .enumerate()
    {
        let l = together_core::listings::ListingForm::from_fields(
            &[
                ("name", format!("Listing {i}")),
                ("description", "Help of one kind or another.".into()),
                ("organization", (*org).to_owned()),
                ("email", format!("hello{i}@example.org")),
            ]
            .map(|(k, v)| (k.to_owned(), v)),
        )
        .parse()
        .unwrap();
        app.store
            .add_listing(app.pcn, &l, None, false, &a)
            .await
            .unwrap();
    }
    let mut org_ids = Vec::new();
    for page in 1..=3 {
        let path = format!("/api/oruk/organizations?per_page=2&page={page}");
        let orgs = get_json(&mut anyone, &path).await;
        validate("organization_list.json", &orgs, &path);
        ids_and_omissions(&orgs, &path);
        assert_eq!(
            (orgs["total_items"].as_i64(), orgs["last_page"].as_bool()),
            (Some(5), Some(page == 3))
        );
        for o in orgs["contents"].as_array().unwrap() {
            org_ids.push(o["id"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(org_ids.len(), 5);
    for id in &org_ids {
        let path = format!("/api/oruk/organizations/{id}");
        let org = get_json(&mut anyone, &path).await;
        validate("organization.json", &org, &path);
        assert_eq!(org["id"], id.as_str());
    }
    let advice = get_json(&mut anyone, "/api/oruk/organizations?search=advice").await;
    assert_eq!(advice["contents"][0]["name"], "Citizens Advice");
    assert_eq!(
        anyone.get("/api/oruk/organizations/nobody").await.status,
        StatusCode::NOT_FOUND
    );

    // The categories: the first, a middle and the last page of terms, and each by its id.
    let taxonomies = get_json(&mut anyone, "/api/oruk/taxonomies").await;
    validate("taxonomy_list.json", &taxonomies, "/taxonomies");
    ids_and_omissions(&taxonomies, "/taxonomies");
    for t in taxonomies["contents"].as_array().unwrap() {
        let path = format!("/api/oruk/taxonomies/{}", t["id"].as_str().unwrap());
        let one = get_json(&mut anyone, &path).await;
        validate("taxonomy.json", &one, &path);
        ids_and_omissions(&one, &path);
        assert_eq!(one["taxonomy_terms"].as_array().unwrap().len(), terms.len());
    }
    let pages = (terms.len() as i64 + 4) / 5;
    assert!(pages >= 3);
    let mut term_ids = Vec::new();
    for page in [1, 2, pages] {
        let path = format!("/api/oruk/taxonomy_terms?per_page=5&page={page}");
        let list = get_json(&mut anyone, &path).await;
        validate("taxonomy_term_list.json", &list, &path);
        ids_and_omissions(&list, &path);
        assert_eq!(list["last_page"], page == pages);
        for t in list["contents"].as_array().unwrap() {
            term_ids.push(t["id"].as_str().unwrap().to_owned());
        }
    }
    for id in &term_ids {
        let path = format!("/api/oruk/taxonomy_terms/{id}");
        let one = get_json(&mut anyone, &path).await;
        validate("taxonomy_term.json", &one, &path);
    }
    let meeting = get_json(
        &mut anyone,
        "/api/oruk/taxonomy_terms?search=meeting%20people",
    )
    .await;
    assert_eq!(meeting["contents"][0]["term"], "social_connection");

    // The same directory on the public pages, without signing in.
    let found = anyone.get("/directory?q=walking").await;
    assert_eq!(found.status, StatusCode::OK);
    assert!(found.body.contains("1 found") && found.body.contains("Harbourview walking group"));
    assert!(!found.body.contains("Chair yoga"));
    let nearby = anyone.get("/directory?postcode=HV1+1AA&within=2").await;
    assert_eq!(nearby.status, StatusCode::OK);
    assert!(
        nearby.body.contains("Harbourview walking group") && nearby.body.contains("1.2 miles away"),
        "{}",
        nearby.body
    );
    assert!(
        !nearby.body.contains("Chair yoga"),
        "no venue, so not near anywhere"
    );
    let unknown = anyone.get("/directory?postcode=ZZ1+1ZZ").await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.body.contains("We do not know where ZZ1 1ZZ is"));
    let by_category = anyone
        .get(&format!("/directory?category={}", term.as_str().unwrap()))
        .await;
    assert!(by_category.body.contains("Harbourview walking group"));
    let page = anyone.get(&format!("/directory/{}", ids[4])).await;
    assert_eq!(page.status, StatusCode::OK);
    for shown in [
        "The second Tuesday of every month, 10:00 to 11:30",
        "8 December 2026",
        "Citadel hall",
        "HV2 4DD",
        "01632 960 123",
        "How to join",
    ] {
        assert!(page.body.contains(shown), "the page shows {shown}");
    }
    assert_eq!(
        anyone
            .get(&format!("/directory/{}", together_core::ServiceId::new()))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // A poster with a QR code to the public page; a calendar file whose events follow the
    // sessions (a cancelled one marked so); the whole directory as a booklet.
    let poster = anyone.get(&format!("/directory/{}/poster", ids[4])).await;
    assert_eq!(poster.status, StatusCode::OK);
    assert!(poster.body.contains(&format!(
        "aria-label=\"QR code for {}/directory/{}\"",
        app.base, ids[4]
    )));
    assert!(
        poster.body.contains("8 December 2026, 10:00 to 11:30"),
        "the next sessions"
    );
    let sessions = app
        .store
        .offer_sessions(
            app.pcn,
            &together_store::offers::SessionFilter {
                offer: Some(ids[4]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    app.store
        .cancel_offer_session(app.pcn, sessions[1].id, "The hall is closed", &a)
        .await
        .unwrap();
    let ics = anyone
        .get(&format!("/directory/{}/calendar.ics", ids[4]))
        .await;
    assert_eq!(ics.status, StatusCode::OK);
    assert!(ics.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let events: Vec<&str> = ics.body.split("BEGIN:VEVENT").skip(1).collect();
    assert_eq!(events.len(), sessions.len(), "one event per session");
    assert!(events[0].contains("DTSTART;TZID=Europe/London:20261208T100000"));
    assert!(events[0].contains("SUMMARY:Harbourview walking group"));
    assert!(events[1].contains("STATUS:CANCELLED") && events[1].contains("The hall is closed"));
    assert!(!events[0].contains("STATUS:CANCELLED"));
    let booklet = anyone.get("/directory/booklet").await;
    assert_eq!(booklet.status, StatusCode::OK);
    for name in names {
        let escaped = name.replace('\'', "&#39;");
        assert_eq!(
            booklet.body.matches(&format!(">{escaped}<")).count(),
            1,
            "{name} once"
        );
    }

    // Bad requests are explained; a stranger id is not found.
    assert_eq!(
        anyone.get("/api/oruk/services?page=0").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        anyone.get("/api/oruk/services?per_page=9999").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        anyone
            .get("/api/oruk/services?modified_after=yesterday")
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        anyone
            .get(&format!(
                "/api/oruk/services/{}",
                together_core::ServiceId::new()
            ))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
