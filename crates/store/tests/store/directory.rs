//! The directory: listings kept by their owners, checked in a cycle, changed by approval, and
//! found by their words or by distance from a postcode.

use super::*;
use together_core::audit::AuditAction;

on_both!(listings_are_kept_by_their_owners_checked_in_a_cycle_and_changed_by_approval);
async fn listings_are_kept_by_their_owners_checked_in_a_cycle_and_changed_by_approval(
    store: DynStore,
) {
    use together_core::listings::ListingForm;
    use together_store::directory::DirectoryFilter;
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let other = store.create_pcn("Elsewhere PCN", None, NOW).await.unwrap();
    let a = audit(pcn, AuditAction::Setup);
    let partner = store
        .add_partner(
            pcn,
            &together_core::partners::NewPartner {
                name: "Harbourview Food Bank".into(),
                kind: "charity".into(),
                description: "Food parcels".into(),
                contact: "Joy".into(),
                phone: None,
                email: Some("joy@foodbank.example".into()),
                website: None,
            },
            &a,
        )
        .await
        .unwrap();
    let form = |name: &str, org: &str, extra: &[(&str, &str)]| {
        let mut fields: Vec<(String, String)> = [
            ("name", name),
            (
                "description",
                "Open to anyone who needs it, with or without a referral.",
            ),
            ("organization", org),
            ("phone", "01632 960 456"),
            ("address", "St Mary's Hall, Church Lane"),
            ("postcode", "HV1 2BB"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        fields.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        ListingForm::from_fields(&fields).parse().unwrap()
    };
    // Staff list Citizens Advice; the food bank adds its own, which waits for approval.
    let cab = store
        .add_listing(
            pcn,
            &form("Money advice", "Citizens Advice Harbourview", &[]),
            None,
            false,
            &a,
        )
        .await
        .unwrap();
    let bank = store
        .add_listing(
            pcn,
            &form("Food parcels", "Harbourview Food Bank", &[]),
            Some(&partner),
            true,
            &a,
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .add_listing(
                other,
                &form("X", "Y", &[]),
                Some(&partner),
                false,
                &audit(other, AuditAction::Setup)
            )
            .await,
        Err(StoreError::NotFound("partner"))
    ));
    let public = |q: &'static str| {
        let store = store.clone();
        async move {
            store
                .directory_services(
                    &DirectoryFilter {
                        search: Some(q.into()),
                        ..Default::default()
                    },
                    1,
                    50,
                )
                .await
                .unwrap()
                .0
        }
    };
    assert_eq!(
        public("money advice").await,
        1,
        "staff listings are published at once"
    );
    assert_eq!(
        public("food parcels").await,
        0,
        "a partner's new listing waits"
    );
    let l = store.listing(pcn, bank, Some(&partner)).await.unwrap();
    assert_eq!(
        l.summary.unpublished_reason.as_deref(),
        Some("awaiting_approval")
    );
    assert_eq!(l.listing.postcode.as_deref(), Some("HV1 2BB"));
    assert_eq!(l.listing.organization, "Harbourview Food Bank");
    assert!(matches!(
        store.listing(pcn, cab, Some(&partner)).await,
        Err(StoreError::NotFound("listing"))
    ));
    store
        .set_listing_published(pcn, bank, true, &a)
        .await
        .unwrap();
    assert_eq!(public("food parcels").await, 1);
    let told = store.messages(Some(pcn), 100).await.unwrap();
    assert!(told.iter().any(
        |m| m.recipient == "joy@foodbank.example" && m.subject.contains("is in the directory")
    ));
    assert_eq!(store.listings(pcn, Some(&partner)).await.unwrap().len(), 1);
    assert_eq!(store.listings(pcn, None).await.unwrap().len(), 2);
    assert!(store.listings(other, None).await.unwrap().is_empty());

    // The partner proposes a change: nothing moves until the coordinator approves it, and
    // only the latest proposal waits.
    let cheaper = form(
        "Food parcels",
        "Harbourview Food Bank",
        &[("cost", "£1 a parcel")],
    );
    let refused = store
        .propose_listing_change(pcn, bank, &partner, &l.listing, &a)
        .await;
    assert!(
        matches!(refused, Err(StoreError::Refused(_))),
        "no change at all"
    );
    assert!(matches!(
        store
            .propose_listing_change(pcn, cab, &partner, &cheaper, &a)
            .await,
        Err(StoreError::NotFound("listing"))
    ));
    store
        .propose_listing_change(pcn, bank, &partner, &cheaper, &a)
        .await
        .unwrap();
    let later = form(
        "Food parcels",
        "Harbourview Food Bank",
        &[("cost", "£1 a parcel"), ("phone", "01632 960 999")],
    );
    let change = store
        .propose_listing_change(pcn, bank, &partner, &later, &a)
        .await
        .unwrap();
    let changes = store.listing_changes(pcn, bank).await.unwrap();
    assert_eq!(changes.len(), 1, "the later proposal replaced the first");
    assert_eq!(changes[0].proposed, later);
    assert_eq!(
        store
            .listing(pcn, bank, None)
            .await
            .unwrap()
            .listing
            .fields
            .cost,
        "Free"
    );
    store
        .decide_listing_change(pcn, &change, true, "", &a)
        .await
        .unwrap();
    let now = store.listing(pcn, bank, None).await.unwrap();
    assert_eq!(now.listing, later);
    assert!(matches!(
        store
            .decide_listing_change(pcn, &change, false, "", &a)
            .await,
        Err(StoreError::NotFound("change"))
    ));

    // The cycle: a year on, the owner is asked once; after the grace period it leaves the
    // directory, and confirming brings it back.
    let base = "https://together.example";
    let year = NOW + Duration::days(360);
    let run = store
        .verify_listings(pcn, 12, 28, base, year)
        .await
        .unwrap();
    assert_eq!(run.asked, 2);
    assert_eq!(
        store
            .verify_listings(pcn, 12, 28, base, year)
            .await
            .unwrap()
            .asked,
        0,
        "asked once"
    );
    let asks: Vec<_> = store
        .messages(Some(pcn), 200)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.subject == "Is Food parcels still right?")
        .collect();
    assert_eq!(asks.len(), 1);
    assert_eq!(asks[0].recipient, "joy@foodbank.example");
    assert!(asks[0]
        .body
        .contains(&format!("{base}/partners/mine/listings/{bank}")));
    store
        .confirm_listing(
            pcn,
            bank,
            Some(&partner),
            "joy@foodbank.example",
            &NewAuditEvent {
                at: year,
                ..audit(pcn, together_core::audit::AuditAction::Setup)
            },
        )
        .await
        .unwrap();
    let lapsed = NOW + Duration::days(400);
    let run = store
        .verify_listings(pcn, 12, 28, base, lapsed)
        .await
        .unwrap();
    assert_eq!(run.unpublished, 1, "only the one nobody confirmed");
    assert_eq!(public("money advice").await, 0);
    assert_eq!(public("food parcels").await, 1);
    let cab_now = store.listing(pcn, cab, None).await.unwrap();
    assert_eq!(
        cab_now.summary.unpublished_reason.as_deref(),
        Some("lapsed")
    );
    store
        .confirm_listing(pcn, cab, None, "cli:test", &a)
        .await
        .unwrap();
    assert_eq!(public("money advice").await, 1, "confirmed, it is back");
}

on_both!(services_are_found_by_the_words_they_hold_whatever_wrote_them);
async fn services_are_found_by_the_words_they_hold_whatever_wrote_them(store: DynStore) {
    use together_core::listings::{ListingForm, NewListing};
    use together_store::directory::DirectoryFilter;
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let listing = |name: &str, description: &str| -> NewListing {
        ListingForm::from_fields(
            &[
                ("name", name),
                ("description", description),
                ("organization", "Someone"),
                ("phone", "01632 960 456"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        )
        .parse()
        .unwrap()
    };
    let mut ids = Vec::new();
    for (name, description) in [
        ("Walking group", "A gentle hour round the harbour."),
        ("Quay walk", "Meet at the lifeboat station."),
        ("Sidewalk chalk art", "For children and their grown-ups."),
        ("Men's Shed", "Drop-in woodwork, tea and a chat."),
    ] {
        ids.push(
            store
                .add_listing(
                    pcn,
                    &listing(name, description),
                    None,
                    false,
                    &audit(pcn, AuditAction::Setup),
                )
                .await
                .unwrap(),
        );
    }
    let found = |q: &'static str| {
        let store = store.clone();
        async move {
            let (n, services) = store
                .directory_services(
                    &DirectoryFilter {
                        search: Some(q.into()),
                        ..Default::default()
                    },
                    1,
                    50,
                )
                .await
                .unwrap();
            assert_eq!(n as usize, services.len(), "the count agrees with the page");
            services.into_iter().map(|s| s.name).collect::<Vec<_>>()
        }
    };
    assert_eq!(
        found("walk").await,
        ["Quay walk", "Walking group"],
        "a word finds the words it starts, not the middle of another word"
    );
    assert_eq!(
        found("group walking").await,
        ["Walking group"],
        "in any order"
    );
    assert_eq!(
        found("walk harbour").await,
        ["Walking group"],
        "name and description together"
    );
    assert_eq!(
        found("men's shed").await,
        ["Men's Shed"],
        "punctuation is not a word"
    );
    assert_eq!(found("DROP-IN").await, ["Men's Shed"]);
    assert!(
        found("walking lifeboat").await.is_empty(),
        "every word is wanted"
    );
    assert_eq!(
        found("?!").await.len(),
        4,
        "no words at all searches for nothing in particular"
    );
    // A change of name is found by its new words and no longer by its old ones.
    store
        .update_listing(
            pcn,
            ids[2],
            &listing("Pavement chalk art", "For children and their grown-ups."),
            None,
            &audit(pcn, AuditAction::Setup),
        )
        .await
        .unwrap();
    assert_eq!(found("pavement").await, ["Pavement chalk art"]);
    assert!(found("sidewalk").await.is_empty());
}

on_both!(services_are_found_by_distance_from_a_postcode_nearest_first);
async fn services_are_found_by_distance_from_a_postcode_nearest_first(store: DynStore) {
    use together_core::geo::Point;
    use together_core::listings::ListingForm;
    use together_store::directory::DirectoryFilter;
    let pcn = store
        .create_pcn("Harbourview PCN", None, NOW)
        .await
        .unwrap();
    let centroids = vec![
        ("HV1 1AA".to_owned(), 50.6150, -3.4130),
        ("HV1 2BB".to_owned(), 50.6190, -3.4100),
        ("HV2 4DD".to_owned(), 50.6300, -3.3900),
        ("HV9 9ZZ".to_owned(), 51.5000, -0.1200),
    ];
    assert_eq!(store.import_postcodes(&centroids).await.unwrap(), 4);
    assert_eq!(store.import_postcodes(&centroids).await.unwrap(), 4);
    assert_eq!(
        store.postcode_count().await.unwrap(),
        4,
        "importing again adds nothing"
    );
    let here = store.postcode_point("HV1 1AA").await.unwrap().unwrap();
    assert_eq!(
        here,
        Point {
            latitude: 50.615,
            longitude: -3.413
        }
    );
    assert!(store.postcode_point("ZZ1 1ZZ").await.unwrap().is_none());
    for (name, postcode) in [
        ("Quay walk", "HV1 1AA"),
        ("Church Lane food bank", "HV1 2BB"),
        ("Dock Road lunch club", "HV2 4DD"),
        ("London advice line", "HV9 9ZZ"),
    ] {
        let l = ListingForm::from_fields(
            &[
                ("name", name),
                ("description", "Somewhere to go."),
                ("organization", "Someone"),
                ("phone", "01632 960 456"),
                ("address", "1 Some Street"),
                ("postcode", postcode),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        )
        .parse()
        .unwrap();
        store
            .add_listing(pcn, &l, None, false, &audit(pcn, AuditAction::Setup))
            .await
            .unwrap();
    }
    let near = |within: f64| DirectoryFilter {
        near: Some((here, within)),
        ..Default::default()
    };
    let (total, found) = store
        .directory_services(&near(3_000.0), 1, 10)
        .await
        .unwrap();
    let names: Vec<&str> = found.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(total, 3);
    assert_eq!(
        names,
        ["Quay walk", "Church Lane food bank", "Dock Road lunch club"]
    );
    assert_eq!(found[0].distance_m, Some(0.0));
    assert!(found[1].distance_m.unwrap() < found[2].distance_m.unwrap());
    assert_eq!(
        found[2].point,
        Some(Point {
            latitude: 50.63,
            longitude: -3.39
        })
    );
    let (total, page2) = store
        .directory_services(&near(3_000.0), 2, 2)
        .await
        .unwrap();
    assert_eq!(
        (total, page2.len()),
        (3, 1),
        "paged after sorting by distance"
    );
    assert_eq!(page2[0].name, "Dock Road lunch club");
    let (total, _) = store.directory_services(&near(500.0), 1, 10).await.unwrap();
    assert_eq!(total, 2);
    let words = DirectoryFilter {
        search: Some("food".into()),
        ..near(3_000.0)
    };
    assert_eq!(store.directory_services(&words, 1, 10).await.unwrap().0, 1);
    // Words match whatever their case, on both backends.
    let shouted = DirectoryFilter {
        search: Some("QUAY".into()),
        ..Default::default()
    };
    let (n, found) = store.directory_services(&shouted, 1, 10).await.unwrap();
    assert_eq!((n, found[0].name.as_str()), (1, "Quay walk"));
    // The organisations that run something published.
    let (n, orgs) = store.directory_organizations(None, 1, 10).await.unwrap();
    assert_eq!((n, orgs[0].name.as_str()), (1, "Someone"));
    assert!(store
        .directory_organization(&orgs[0].id)
        .await
        .unwrap()
        .is_some());
    assert!(store
        .directory_organization("nope")
        .await
        .unwrap()
        .is_none());
    assert_eq!(store.service_locations().await.unwrap().len(), 4);
}
