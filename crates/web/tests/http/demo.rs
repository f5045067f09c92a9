//! The demo neighbourhood, built as `together demo` builds it, on both backends: every role
//! signs in with the password the demo made and every page its home offers opens.

use crate::helpers::*;
use crate::on_both;
use reqwest::StatusCode;
use std::collections::BTreeSet;

/// The links of a page that lead somewhere in Together (not assets, not signing out).
fn links(html: &str) -> BTreeSet<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|href| href.starts_with('/') && !href.starts_with("/assets/"))
        .filter(|href| *href != "/sign-out")
        .map(|href| href.replace("&amp;", "&"))
        .collect()
}

on_both!(every_demo_role_signs_in_and_every_page_its_home_offers_opens);
async fn every_demo_role_signs_in_and_every_page_its_home_offers_opens(db: Db) {
    let (app, sign_ins) = TestApp::demo_world(db, 600).await;
    let roles: BTreeSet<_> = sign_ins.iter().map(|s| s.0).collect();
    assert_eq!(
        roles.len(),
        together_demo::USERS.len(),
        "one sign-in per role"
    );
    let passwords: BTreeSet<_> = sign_ins.iter().map(|s| &s.2).collect();
    assert_eq!(
        passwords.len(),
        sign_ins.len(),
        "no two roles share a password"
    );

    for (role, email, password) in &sign_ins {
        let mut c = app.client();
        let signed_in = c.sign_in(email, password).await;
        assert_eq!(signed_in.location(), "/", "{role:?} signs in");
        let home = c.get("/").await;
        assert_eq!(home.status, StatusCode::OK, "{role:?}'s home");
        let name = together_demo::USERS
            .iter()
            .find(|u| u.0 == *role)
            .map(|u| u.2)
            .unwrap();
        assert!(home.body.contains(name), "{role:?}'s home greets {name}");
        let offered = links(&home.body);
        assert!(
            offered.len() > 3,
            "{role:?}'s home offers work: {offered:?}"
        );
        for href in offered {
            let page = c.get(&href).await;
            assert_eq!(
                page.status,
                StatusCode::OK,
                "{role:?} opens {href} from their home: {}",
                page.body.chars().take(300).collect::<String>()
            );
        }
    }
}
