//! The directory's other listings over HTTP, with the role matrix the issue asks for: a partner
//! adds and changes only its own listings (a new one waits for approval, a change waits with
//! a field-by-field difference), the coordinator approves, and the verification cycle takes a
//! listing nobody confirms out of the public directory.

use crate::helpers::*;
use crate::on_both;
use reqwest::StatusCode;
use together_core::Role;

async fn a_partner(app: &TestApp, name: &str, email: &str) -> String {
    app.store
        .add_partner(
            app.pcn,
            &together_core::partners::NewPartner {
                name: name.into(),
                kind: "charity".into(),
                description: String::new(),
                contact: String::new(),
                phone: None,
                email: Some(email.into()),
                website: None,
            },
            &audit(app.pcn),
        )
        .await
        .unwrap()
}

const LISTING: [(&str, &str); 5] = [
    ("name", "Food parcels"),
    ("organization", "Harbourview Food Bank"),
    ("description", "Emergency food, with or without a referral."),
    ("phone", "01632 960 456"),
    ("postcode", "HV1 2BB"),
];

on_both!(a_partner_keeps_its_own_listings_and_the_coordinator_approves_what_changes);
async fn a_partner_keeps_its_own_listings_and_the_coordinator_approves_what_changes(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = audit(app.pcn);
    let bank = a_partner(&app, "Harbourview Food Bank", "joy@foodbank.example").await;
    let other = a_partner(&app, "Harbourview Carers", "carers@example.org").await;
    app.store
        .link_partner_user(app.pcn, &bank, app.users[&Role::Partner].0, &a)
        .await
        .unwrap();
    let theirs = together_core::listings::ListingForm::from_fields(
        &[
            ("name", "Carers' café"),
            ("organization", "Harbourview Carers"),
            (
                "description",
                "Tea and a chat for people who look after someone.",
            ),
            ("email", "carers@example.org"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    )
    .parse()
    .unwrap();
    let theirs = app
        .store
        .add_listing(app.pcn, &theirs, Some(&other), false, &a)
        .await
        .unwrap();

    // The food bank adds its listing; a missing way in is refused and nothing is kept.
    let mut joy = app.signed_in(Role::Partner).await;
    let res = joy
        .post(
            "/partners/mine/listings",
            &[
                ("name", "Food parcels"),
                ("organization", "Harbourview Food Bank"),
                ("description", "Food"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("at least one way to get in touch"));
    let res = joy.post("/partners/mine/listings", &LISTING).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let mine = res.location().to_owned();
    let id = mine
        .trim_start_matches("/partners/mine/listings/")
        .to_owned();
    let public = app.client().get("/directory?q=food+parcels").await;
    assert!(
        !public.body.contains("Food parcels"),
        "it waits for approval"
    );

    // Only its own: the carers' listing is out of the food bank's reach, by link or by post.
    let list = joy.get("/partners/mine/listings").await;
    assert!(list.body.contains("Food parcels") && !list.body.contains("café"));
    for path in [format!("/partners/mine/listings/{theirs}")] {
        assert_eq!(joy.get(&path).await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            joy.post(&path, &LISTING).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            joy.post(&format!("{path}/confirm"), &[]).await.status,
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(joy.get("/listings").await.status, StatusCode::FORBIDDEN);
    let mut champion = app.signed_in(Role::Champion).await;
    assert_eq!(
        champion.get("/listings").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        champion.get("/partners/mine/listings").await.status,
        StatusCode::FORBIDDEN
    );

    // The coordinator sees it waiting and puts it in the directory.
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let list = admin.get("/listings").await;
    assert!(list.body.contains("Waiting for approval"));
    let res = admin
        .post(&format!("/listings/{id}/publish"), &[("published", "yes")])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let public = app.client().get("/directory?q=food+parcels").await;
    assert!(public.body.contains("Food parcels"));

    // A change waits, shown field by field; the public see the old until it is approved.
    let mut cheaper = LISTING.to_vec();
    cheaper.push(("cost", "£1 a parcel"));
    let res = joy.post(&mine, &cheaper).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = admin.get(&format!("/listings/{id}")).await;
    let diff = page
        .body
        .split("What would change")
        .nth(1)
        .unwrap_or_default();
    assert!(
        diff.contains("Cost")
            && diff.contains("<del>Free</del>")
            && diff.contains("<ins>£1 a parcel</ins>"),
        "{diff}"
    );
    assert!(
        !diff
            .split("</table>")
            .next()
            .unwrap_or_default()
            .contains("Phone"),
        "only what changes"
    );
    let listing = app.client().get(&format!("/directory/{id}")).await;
    assert!(!listing.body.contains("£1 a parcel"));
    let change = app
        .store
        .listing_changes(app.pcn, id.parse().unwrap())
        .await
        .unwrap()[0]
        .id
        .clone();
    let res = admin
        .post(
            &format!("/listings/{id}/changes/{change}"),
            &[("decision", "approve")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let listing = app.client().get(&format!("/directory/{id}")).await;
    assert!(listing.body.contains("£1 a parcel"));
    assert!(app
        .store
        .messages(Some(app.pcn), 100)
        .await
        .unwrap()
        .iter()
        .any(
            |m| m.recipient == "joy@foodbank.example" && m.subject.contains("is in the directory")
        ));

    // The cycle, made short: nobody confirms the carers' café, so it leaves the directory;
    // the food bank confirms theirs when asked, so it stays.
    let res = admin
        .post(
            "/listings/settings",
            &[("verify_months", "1"), ("grace_days", "7")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    app.clock.advance(time::Duration::days(32));
    together_web::reminders::listings_due(&app.state)
        .await
        .unwrap();
    let asked: Vec<_> = app
        .store
        .messages(Some(app.pcn), 200)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.subject.starts_with("Is ") && m.subject.ends_with("still right?"))
        .collect();
    // The food bank is asked at its own address and through its user; the carers at theirs.
    assert_eq!(asked.len(), 3, "{asked:?}");
    assert!(asked
        .iter()
        .any(|m| m.recipient == "joy@foodbank.example" && m.body.contains(&mine)));
    let mut joy = app.signed_in(Role::Partner).await;
    let res = joy.post(&format!("{mine}/confirm"), &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    app.clock.advance(time::Duration::days(10));
    together_web::reminders::listings_due(&app.state)
        .await
        .unwrap();
    let directory = app.client().get("/directory").await;
    assert!(directory.body.contains("Food parcels"));
    assert!(
        !directory.body.contains("Carers&#39; café") && !directory.body.contains("Carers' café")
    );
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let list = admin.get("/listings").await;
    assert!(list.body.contains("Out: not confirmed in time"));
    // The same through the JSON API, for the coordinator only.
    let mut api = app.client();
    api.bearer = Some(app.api_token(Role::PcnAdmin).await);
    let res = api.get("/api/v1/listings").await;
    assert_eq!(res.status, StatusCode::OK);
    let listings: serde_json::Value = serde_json::from_str(&res.body).unwrap();
    let cafe = listings
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "Carers' café")
        .unwrap();
    assert_eq!(cafe["verification"], "lapsed");
    assert_eq!(cafe["published"], false);
    let mut partner_api = app.client();
    partner_api.bearer = Some(app.api_token(Role::Partner).await);
    assert_eq!(
        partner_api.get("/api/v1/listings").await.status,
        StatusCode::FORBIDDEN
    );
}
