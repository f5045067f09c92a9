//! Champions: the public expression of interest, the journey to active with its history, roles
//! and the DBS level each justifies, DBS results, and who may see any of it.

use crate::helpers::*;
use crate::on_both;
use reqwest::StatusCode;
use time::Duration;
use together_core::Role;
use together_store::AuditFilter;

/// The first champion id linked from the board.
fn first_champion(board: &str) -> String {
    board
        .split("href=\"/champions/")
        .skip(1)
        .map(|rest| rest.chars().take_while(|c| *c != '"').collect::<String>())
        .find(|id| uuid::Uuid::parse_str(id).is_ok())
        .expect("a champion on the board")
}

const DAVE: &[(&str, &str)] = &[
    ("given_name", "Dave"),
    ("family_name", "Okafor"),
    ("contact_preference", "email"),
    ("email", "dave.okafor@example.org"),
    ("interests", "walking"),
    ("interests", "singing"),
    ("availability", "weekends"),
    ("skills", "I play the ukulele"),
    ("consent", "yes"),
];

/// Fills the form as a person would: open it, wait, send.
async fn express_interest(app: &TestApp, fields: &[(&str, &str)]) -> Res {
    app.post_public_form("/join", fields).await
}

on_both!(a_person_expresses_interest_and_the_administrator_takes_them_to_active);
async fn a_person_expresses_interest_and_the_administrator_takes_them_to_active(db: Db) {
    let app = TestApp::spawn(db).await;

    // The form says what champions do and needs no account.
    let mut person = app.client();
    let form = person.get("/join").await;
    assert!(form.body.contains("Health champions are local people"));
    assert!(form.body.contains("Quayside Surgery"), "their practice");
    let missing = express_interest(&app, &[("given_name", "Dave")]).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert!(missing.body.contains("Tick the box"), "{}", missing.body);
    assert!(missing
        .body
        .contains("Choose how you would like us to contact you"));

    let thanks = express_interest(&app, DAVE).await;
    assert_eq!(thanks.status, StatusCode::OK, "{}", thanks.body);
    assert!(thanks.body.contains("Thank you, Dave"));
    assert!(thanks.body.contains("email you"));
    let told = app.store.messages(Some(app.pcn), 10).await.unwrap();
    assert!(
        told.iter()
            .any(|m| m.recipient == "pcn-admin@harbourview.example"
                && m.subject.contains("health champion")
                && !m.body.contains("Okafor")),
        "the coordinator hears of it, without the name in the message"
    );

    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let board = admin.get("/champions").await;
    assert_eq!(board.status, StatusCode::OK);
    assert!(board.body.contains("Dave Okafor"));
    let id = first_champion(&board.body);
    let record = format!("/champions/{id}");

    // A role that needs a basic check.
    let role = admin
        .post(
            "/champions/roles",
            &[
                ("name", "Walk leader"),
                ("description", "Leads the Tuesday health walk"),
                ("dbs_level", "basic"),
                ("regulated_activity", "no"),
            ],
        )
        .await;
    assert_eq!(role.status, StatusCode::SEE_OTHER, "{}", role.body);
    let roles = app.store.champion_roles(app.pcn).await.unwrap();
    let walk = roles[0].id.to_string();
    let given = admin
        .post(&format!("{record}/roles"), &[("role_id", &walk)])
        .await;
    assert_eq!(given.status, StatusCode::SEE_OTHER, "{}", given.body);

    // Skipping ahead is refused and says where they can go.
    let skip = admin
        .post(
            &format!("{record}/move"),
            &[("to", "active"), ("reason", "")],
        )
        .await;
    assert_eq!(skip.status, StatusCode::BAD_REQUEST);
    assert!(
        skip.body.contains("can move to Conversation"),
        "{}",
        skip.body
    );

    for (to, reason) in [
        ("conversation", "Met for a coffee at Quayside"),
        ("references", ""),
        ("dbs_check", ""),
    ] {
        let moved = admin
            .post(&format!("{record}/move"), &[("to", to), ("reason", reason)])
            .await;
        assert_eq!(moved.status, StatusCode::SEE_OTHER, "{to}: {}", moved.body);
    }

    // The role justifies a basic check only.
    let too_much = admin
        .post(
            &format!("{record}/dbs"),
            &[("role_id", &walk), ("level", "enhanced_adults")],
        )
        .await;
    assert_eq!(too_much.status, StatusCode::BAD_REQUEST);
    assert!(
        too_much.body.contains("justifies a basic check"),
        "{}",
        too_much.body
    );
    let asked = admin
        .post(
            &format!("{record}/dbs"),
            &[("role_id", &walk), ("level", "basic")],
        )
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);

    let moved = admin
        .post(&format!("{record}/move"), &[("to", "induction")])
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER);
    // Not active until the check is back clear.
    let early = admin
        .post(&format!("{record}/move"), &[("to", "active")])
        .await;
    assert_eq!(early.status, StatusCode::BAD_REQUEST);
    assert!(
        early
            .body
            .contains("Not yet clear for &#39;Walk leader&#39;"),
        "{}",
        early.body
    );

    let page = admin.get(&record).await;
    let check = hidden_action(&page.body, &format!("{record}/dbs/"));
    let future = admin
        .post(
            &check,
            &[
                ("issued_on", "25/12/2026"),
                ("certificate_ref", "001234567890"),
                ("outcome", "clear"),
            ],
        )
        .await;
    assert_eq!(future.status, StatusCode::BAD_REQUEST);
    assert!(future.body.contains("cannot be in the future"));
    let result = admin
        .post(
            &check,
            &[
                ("issued_on", "14/11/2026"),
                ("certificate_ref", "0012 3456 7890"),
                ("outcome", "clear"),
                ("update_service", "yes"),
            ],
        )
        .await;
    assert_eq!(result.status, StatusCode::SEE_OTHER, "{}", result.body);

    let active = admin
        .post(&format!("{record}/move"), &[("to", "active")])
        .await;
    assert_eq!(active.status, StatusCode::SEE_OTHER, "{}", active.body);
    assert!(active.location().ends_with("done=invited"));

    // Every step is in the history with who took it.
    let page = admin.get(&record).await;
    assert!(page.body.contains("They did, on the form"));
    assert!(page.body.contains("Met for a coffee at Quayside"));
    assert!(page.body.contains("Test PCN administrator"));
    assert!(page.body.contains("Clear, issued 14 November 2026"));
    let champion_id = id.parse().unwrap();
    let steps = app
        .store
        .champion_steps(app.pcn, champion_id)
        .await
        .unwrap();
    let path: Vec<_> = steps.iter().map(|s| s.to.as_str()).collect();
    assert_eq!(
        path,
        [
            "interest",
            "conversation",
            "references",
            "dbs_check",
            "induction",
            "active"
        ]
    );

    // Becoming active sent them an invitation to an account of their own, through the outbox.
    let invite = app
        .store
        .messages(Some(app.pcn), 20)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.recipient == "dave.okafor@example.org")
        .expect("an invitation");
    let link = invite
        .body
        .split_whitespace()
        .find(|w| w.contains("/enrol?token="))
        .unwrap()
        .to_owned();
    let path = &link[link.find("/enrol").unwrap()..];
    let token = &path[path.find("token=").unwrap() + 6..];
    let mut dave = app.client();
    dave.get(path).await;
    let set = dave
        .post(
            "/enrol",
            &[("token", token), ("password", "tuesday walks by the quay")],
        )
        .await;
    assert!(
        set.status.is_redirection() || set.status == StatusCode::OK,
        "{}",
        set.body
    );
    let mut dave = app.client();
    let signed = dave
        .sign_in("dave.okafor@example.org", "tuesday walks by the quay")
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
    let mine = dave.get("/champions/me").await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(mine.body.contains("You are an active health champion"));
    assert!(mine.body.contains("Walk leader"));
    // They never see the board, nor anyone's DBS record.
    assert_eq!(dave.get("/champions").await.status, StatusCode::FORBIDDEN);
    assert_eq!(dave.get(&record).await.status, StatusCode::FORBIDDEN);

    // Reading a DBS record is audited.
    let audit = app
        .store
        .audit_events(app.pcn, &AuditFilter::default())
        .await
        .unwrap();
    assert!(audit.iter().any(|e| e.action == "view_dbs"));
    assert!(audit.iter().any(|e| e.action == "express_interest"));
}

/// The action of the first form posting under `prefix`.
fn hidden_action(html: &str, prefix: &str) -> String {
    let marker = format!("action=\"{prefix}");
    let at = html.find(&marker).expect("the result form") + 8;
    html[at..].chars().take_while(|c| *c != '"').collect()
}

#[tokio::test]
async fn a_bot_is_told_apart_without_a_captcha_and_nothing_of_it_is_kept() {
    let app = TestApp::spawn(Db::Sqlite).await;
    // Posting the moment the page arrives is not what a person does.
    let mut bot = app.client();
    let form = bot.get("/join").await;
    let stamp = hidden(&form.body, "stamp");
    let mut fields = vec![("stamp", stamp.as_str())];
    fields.extend_from_slice(DAVE);
    let quick = bot.post("/join", &fields).await;
    assert_eq!(quick.status, StatusCode::BAD_REQUEST);
    assert!(quick.body.contains("very quick"));
    // A forged stamp is an expired form.
    let mut forged = vec![("stamp", "1700000000.00ff")];
    forged.extend_from_slice(DAVE);
    let res = bot.post("/join", &forged).await;
    assert!(res.body.contains("This form has expired"));
    // The hidden field filled in: thanked, nothing kept.
    let mut honey = DAVE.to_vec();
    honey.push(("website", "http://spam.example"));
    let res = express_interest(&app, &honey).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body.contains("Thank you"));
    let kept = app.store.champions(app.pcn, &audit(app.pcn)).await.unwrap();
    assert!(kept.is_empty(), "nothing kept from a bot");
}

on_both!(a_role_with_a_barred_list_must_be_regulated_activity);
async fn a_role_with_a_barred_list_must_be_regulated_activity(db: Db) {
    let app = TestApp::spawn(db).await;
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let res = admin
        .post(
            "/champions/roles",
            &[
                ("name", "Home visit befriender"),
                ("description", "Visits people at home"),
                ("dbs_level", "enhanced_adults"),
                ("regulated_activity", "no"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res
        .body
        .contains("A barred list can only be checked for regulated activity"));
    assert!(app.store.champion_roles(app.pcn).await.unwrap().is_empty());
    let twice = [
        ("name", "Walk leader"),
        ("description", "Leads walks"),
        ("dbs_level", "none"),
        ("regulated_activity", "no"),
    ];
    assert_eq!(
        admin.post("/champions/roles", &twice).await.status,
        StatusCode::SEE_OTHER
    );
    let again = admin.post("/champions/roles", &twice).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again
        .body
        .contains("There is a role with this name already"));
}

#[tokio::test]
async fn pausing_needs_a_reason_and_resumes_where_it_stopped() {
    let app = TestApp::spawn(Db::Sqlite).await;
    express_interest(&app, DAVE).await;
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let id = first_champion(&admin.get("/champions").await.body);
    let record = format!("/champions/{id}");
    admin
        .post(&format!("{record}/move"), &[("to", "conversation")])
        .await;
    let no_reason = admin
        .post(
            &format!("{record}/move"),
            &[("to", "paused"), ("reason", " ")],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST);
    assert!(no_reason.body.contains("Say why"));
    let paused = admin
        .post(
            &format!("{record}/move"),
            &[
                ("to", "paused"),
                ("reason", "Caring for her mum until spring"),
            ],
        )
        .await;
    assert_eq!(paused.status, StatusCode::SEE_OTHER);
    let page = admin.get(&record).await;
    assert!(
        page.body.contains("value=\"conversation\""),
        "resumes at conversation"
    );
    assert!(!page.body.contains("value=\"references\""));
    let back = admin
        .post(&format!("{record}/move"), &[("to", "conversation")])
        .await;
    assert_eq!(back.status, StatusCode::SEE_OTHER);

    // After the conversation, the coordinator keeps what they would like to give up to date.
    let wrong = admin
        .post(&format!("{record}/profile"), &[("interests", "juggling")])
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    let practice = app.practices[1].to_string();
    let saved = admin
        .post(
            &format!("{record}/profile"),
            &[
                ("interests", "gardening"),
                ("interests", "digital"),
                ("availability", "weekday_evenings"),
                ("skills", "Used to run the allotment society"),
                ("practice_id", &practice),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let c = app
        .store
        .read_champion(app.pcn, id.parse().unwrap(), &audit(app.pcn))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.interests, ["gardening", "digital"]);
    assert_eq!(c.availability, ["weekday_evenings"]);
    assert_eq!(c.home_practice_id, Some(app.practices[1]));
    let page = admin.get(&record).await;
    assert!(page.body.contains("Harbour Lane") && page.body.contains("Used to run the allotment"));
}

/// Takes the champion who expressed interest to active in a basic-check role, with a clear
/// check issued on `issued`. Returns their record's address.
async fn active_walk_leader(app: &TestApp, admin: &mut Client, issued: &str) -> String {
    express_interest(app, DAVE).await;
    let id = first_champion(&admin.get("/champions").await.body);
    let record = format!("/champions/{id}");
    admin
        .post(
            "/champions/roles",
            &[
                ("name", "Walk leader"),
                ("description", "Leads the Tuesday health walk"),
                ("dbs_level", "basic"),
                ("regulated_activity", "no"),
            ],
        )
        .await;
    let walk = app.store.champion_roles(app.pcn).await.unwrap()[0]
        .id
        .to_string();
    admin
        .post(&format!("{record}/roles"), &[("role_id", &walk)])
        .await;
    for to in ["conversation", "references", "dbs_check"] {
        admin.post(&format!("{record}/move"), &[("to", to)]).await;
    }
    admin
        .post(
            &format!("{record}/dbs"),
            &[("role_id", &walk), ("level", "basic")],
        )
        .await;
    let page = admin.get(&record).await;
    let check = hidden_action(&page.body, &format!("{record}/dbs/"));
    let res = admin
        .post(
            &check,
            &[
                ("issued_on", issued),
                ("certificate_ref", "001234567890"),
                ("outcome", "clear"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    for to in ["induction", "active"] {
        let res = admin.post(&format!("{record}/move"), &[("to", to)]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{to}: {}", res.body);
    }
    record
}

fn band(page: &str, label: &str) -> usize {
    let marker = format!("{label} <span class=\"nhsuk-u-font-weight-normal\">(");
    let at = page.find(&marker).expect(label) + marker.len();
    page[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

on_both!(a_dbs_renewal_comes_due_on_the_dashboard_and_is_reminded_once_at_each_step);
async fn a_dbs_renewal_comes_due_on_the_dashboard_and_is_reminded_once_at_each_step(db: Db) {
    let app = TestApp::spawn(db).await;
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    // Issued 20 December 2023: with the default three years, due 20 December 2026, 26 days on.
    let record = active_walk_leader(&app, &mut admin, "20/12/2023").await;
    let page = admin.get("/champions/compliance").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(band(&page.body, "Within 30 days"), 1, "{}", page.body);
    assert_eq!(band(&page.body, "Within 7 days"), 0);
    assert!(page.body.contains("20 December 2026"));
    assert!(page.body.contains("Dave Okafor"));

    let reminders = |app: &TestApp| {
        let state = app.state.clone();
        async move { together_web::reminders::send_due(&state).await.unwrap() }
    };
    let reminded_of = |subject: &'static str| {
        let store = app.store.clone();
        let pcn = app.pcn;
        async move {
            store
                .messages(Some(pcn), 100)
                .await
                .unwrap()
                .into_iter()
                .filter(|m| m.subject == subject)
                .map(|m| m.recipient)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(reminders(&app).await, 1);
    let sent = reminded_of("Coming up: DBS check (basic)").await;
    assert!(sent.contains(&"dave.okafor@example.org".to_owned()));
    assert!(sent.contains(&"pcn-admin@harbourview.example".to_owned()));
    assert_eq!(reminders(&app).await, 0, "each reminder goes once");

    // 14 December: inside the last week.
    // Sessions time out over days: sign in again after each jump of the clock.
    app.clock.advance(Duration::days(20));
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let page = admin.get("/champions/compliance").await;
    assert_eq!(band(&page.body, "Within 7 days"), 1);
    assert_eq!(reminders(&app).await, 1);

    // A renewal under way pauses the reminders, even once it is overdue.
    let form = hidden_action(&page.body, &format!("{record}/dbs/"));
    let res = admin.post(&form, &[("in_progress", "yes")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    app.clock.advance(Duration::days(10));
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    assert_eq!(reminders(&app).await, 0);
    assert!(reminded_of("Overdue: DBS check (basic)").await.is_empty());
    let page = admin.get("/champions/compliance").await;
    assert_eq!(band(&page.body, "Overdue"), 1);
    assert!(page.body.contains("In progress"));
    assert!(
        page.body.contains("Renewal overdue"),
        "no longer clear for the role"
    );

    // Past renewal, they are not clear: a role needing a check cannot be given.
    admin
        .post(
            "/champions/roles",
            &[
                ("name", "Flu clinic helper"),
                (
                    "description",
                    "Guides people through the Saturday flu clinic",
                ),
                ("dbs_level", "basic"),
                ("regulated_activity", "no"),
            ],
        )
        .await;
    let flu = app
        .store
        .champion_roles(app.pcn)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == "Flu clinic helper")
        .unwrap()
        .id
        .to_string();
    let refused = admin
        .post(&format!("{record}/roles"), &[("role_id", &flu)])
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.body.contains("Not yet clear for"),
        "{}",
        refused.body
    );

    // A shorter policy is a setting, and the dashboard follows it.
    let set = admin.post("/champions/compliance", &[("years", "0")]).await;
    assert_eq!(set.status, StatusCode::BAD_REQUEST);
    let set = admin.post("/champions/compliance", &[("years", "5")]).await;
    assert_eq!(set.status, StatusCode::SEE_OTHER);
    let page = admin.get("/champions/compliance").await;
    assert_eq!(band(&page.body, "Overdue"), 0);
    assert!(page.body.contains("20 December 2028"));
}

on_both!(the_coordinator_exports_everything_held_about_a_champion_and_can_erase_it);
async fn the_coordinator_exports_everything_held_about_a_champion_and_can_erase_it(db: Db) {
    let app = TestApp::spawn(db).await;
    express_interest(&app, DAVE).await;
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let id = first_champion(&admin.get("/champions").await.body);
    let record = format!("/champions/{id}");
    admin
        .post(
            &format!("{record}/move"),
            &[("to", "conversation"), ("reason", "Coffee at Quayside")],
        )
        .await;
    let json = admin.get(&format!("{record}/export.json")).await;
    assert_eq!(json.status, StatusCode::OK);
    assert!(json.headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let doc: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(doc["champion"][0]["family_name"], "Okafor");
    assert_eq!(doc["champion_step"].as_array().unwrap().len(), 2);
    assert!(
        doc["audit_event"].as_array().unwrap().len() >= 2,
        "who looked, too"
    );
    let csv = admin.get(&format!("{record}/export.csv")).await;
    assert!(csv.body.starts_with("table,row,column,value\n"));
    assert!(csv
        .body
        .contains("champion_step,2,reason,Coffee at Quayside"));
    let mut dave = app.signed_in(Role::Champion).await;
    assert_eq!(
        dave.get(&format!("{record}/export.json")).await.status,
        StatusCode::FORBIDDEN
    );

    let unconfirmed = admin.post(&format!("{record}/erase"), &[]).await;
    assert_eq!(unconfirmed.status, StatusCode::BAD_REQUEST);
    assert!(unconfirmed.body.contains("cannot be undone"));
    let erased = admin
        .post(&format!("{record}/erase"), &[("confirm", "yes")])
        .await;
    assert_eq!(erased.status, StatusCode::SEE_OTHER);
    let board = admin.get("/champions").await;
    assert!(!board.body.contains("Okafor"));
    let after = admin.get(&format!("{record}/export.json")).await;
    assert!(!after.body.contains("Okafor") && !after.body.contains("dave.okafor@example.org"));
    assert!(!after.body.contains("Coffee at Quayside"));
}

on_both!(badges_and_training_are_records_with_dates_and_show_when_they_expire);
async fn badges_and_training_are_records_with_dates_and_show_when_they_expire(db: Db) {
    let app = TestApp::spawn(db).await;
    express_interest(&app, DAVE).await;
    let amara = [("given_name", "Amara"), ("family_name", "Osei")];
    let mut second: Vec<(&str, &str)> = DAVE[2..].to_vec();
    second.extend_from_slice(&amara);
    second.retain(|(k, _)| *k != "email");
    second.push(("email", "amara@example.org"));
    express_interest(&app, &second).await;
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let board = admin.get("/champions").await.body;
    let ids: Vec<String> = board
        .split("href=\"/champions/")
        .skip(1)
        .map(|rest| rest.chars().take_while(|c| *c != '"').collect::<String>())
        .filter(|id| uuid::Uuid::parse_str(id).is_ok())
        .collect();
    assert_eq!(ids.len(), 2);
    let (dave, amara) = (
        format!("/champions/{}", ids[0]),
        format!("/champions/{}", ids[1]),
    );

    // Today is 24 November 2026: a badge expiring 10 December is due within 30 days.
    let badge = |number: &'static str, issued: &'static str| {
        vec![
            ("number", number),
            ("badge_issued_on", issued),
            ("badge_expires_on", "10/12/2026"),
        ]
    };
    let future = admin
        .post(&format!("{dave}/badges"), &badge("HV-0042", "01/12/2026"))
        .await;
    assert_eq!(future.status, StatusCode::BAD_REQUEST);
    assert!(
        future.body.contains("cannot be in the future"),
        "{}",
        future.body
    );
    let issued = admin
        .post(&format!("{dave}/badges"), &badge("HV-0042", "01/11/2026"))
        .await;
    assert_eq!(issued.status, StatusCode::SEE_OTHER, "{}", issued.body);
    let reused = admin
        .post(&format!("{amara}/badges"), &badge("HV-0042", "01/11/2026"))
        .await;
    assert_eq!(reused.status, StatusCode::BAD_REQUEST);
    assert!(reused
        .body
        .contains("Badge number HV-0042 has been given before"));

    let trained = admin
        .post(
            &format!("{amara}/training"),
            &[
                ("module", "safeguarding_adults"),
                ("completed_on", "14/12/2023"),
            ],
        )
        .await;
    assert_eq!(trained.status, StatusCode::SEE_OTHER, "{}", trained.body);
    let page = admin.get(&amara).await;
    assert!(page.body.contains("Safeguarding adults") && page.body.contains("14 December 2026"));

    let dashboard = admin.get("/champions/compliance").await;
    assert_eq!(
        band(&dashboard.body, "Within 30 days"),
        2,
        "{}",
        dashboard.body
    );
    assert!(dashboard.body.contains("ID badge HV-0042"));

    // Handed back, a badge no longer comes due.
    let page = admin.get(&dave).await;
    let back = hidden_action(&page.body, &format!("{dave}/badges/"));
    assert_eq!(admin.post(&back, &[]).await.status, StatusCode::SEE_OTHER);
    let dashboard = admin.get("/champions/compliance").await;
    assert_eq!(band(&dashboard.body, "Within 30 days"), 1);
    assert!(!dashboard.body.contains("ID badge HV-0042"));
}

#[tokio::test]
async fn a_champion_steps_back_from_their_own_page_and_comes_back() {
    use together_core::champions::{NewInterest, Stage};
    let app = TestApp::spawn(Db::Sqlite).await;
    let a = audit(app.pcn);
    let interest = NewInterest {
        given_name: "Dave".into(),
        family_name: "Okafor".into(),
        phone: Some("07700 900123".into()),
        email: None,
        contact_preference: together_core::people::ContactPreference::Text,
        practice_id: None,
        interests: vec!["walking".into()],
        skills: String::new(),
        availability: vec![],
    };
    let id = app
        .store
        .record_interest(app.pcn, &interest, &a)
        .await
        .unwrap();
    for to in [
        Stage::Conversation,
        Stage::References,
        Stage::Induction,
        Stage::Active,
    ] {
        app.store
            .move_champion(app.pcn, id, to, "", &a)
            .await
            .unwrap();
    }
    app.store
        .link_champion_user(app.pcn, id, app.users[&Role::Champion].0, &a)
        .await
        .unwrap();
    let mut dave = app.signed_in(Role::Champion).await;
    let no_reason = dave
        .post("/champions/me/step", &[("to", "paused"), ("reason", "")])
        .await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST);
    assert!(no_reason.body.contains("Say why"));
    let paused = dave
        .post(
            "/champions/me/step",
            &[("to", "paused"), ("reason", "My knee operation in January")],
        )
        .await;
    assert_eq!(paused.status, StatusCode::OK, "{}", paused.body);
    assert!(paused.body.contains("Come back whenever you are ready"));
    assert!(paused.body.contains("I&#39;m ready to come back"));
    let told = app.store.messages(Some(app.pcn), 10).await.unwrap();
    assert!(told
        .iter()
        .any(|m| m.subject == "A champion has stepped back for a while"
            && m.recipient == "pcn-admin@harbourview.example"
            && !m.body.contains("knee")));
    let back = dave.post("/champions/me/step", &[("to", "back")]).await;
    assert!(back.body.contains("Welcome back"), "{}", back.body);
    let c = app
        .store
        .read_champion(app.pcn, id, &a)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.stage, Stage::Active);
    let steps = app.store.champion_steps(app.pcn, id).await.unwrap();
    assert_eq!(steps[5].reason, "My knee operation in January");

    // They keep their own contact details, by the form's rules.
    let no_email = dave
        .post(
            "/champions/me/details",
            &[
                ("my_phone", "07700 900123"),
                ("contact_preference", "email"),
            ],
        )
        .await;
    assert_eq!(no_email.status, StatusCode::BAD_REQUEST);
    assert!(no_email.body.contains("Enter your email address"));
    let saved = dave
        .post(
            "/champions/me/details",
            &[
                ("my_phone", "07700 900999"),
                ("my_email", "dave@example.org"),
                ("contact_preference", "email"),
            ],
        )
        .await;
    assert!(
        saved.body.contains("Your details are saved"),
        "{}",
        saved.body
    );
    let c = app
        .store
        .read_champion(app.pcn, id, &a)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.email.as_deref(), Some("dave@example.org"));
    assert_eq!(c.phone.as_deref(), Some("07700 900999"));
    assert!(
        steps[5].actor.starts_with("user:"),
        "the champion took the step"
    );
}

#[tokio::test]
async fn the_api_gives_the_board_to_the_coordinator_and_a_champion_their_own_record() {
    let app = TestApp::spawn(Db::Sqlite).await;
    express_interest(&app, DAVE).await;
    let mut coordinator = app.client();
    coordinator.bearer = Some(app.api_token(Role::PcnAdmin).await);
    let list = coordinator.get("/api/v1/champions").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let all: serde_json::Value = serde_json::from_str(&list.body).unwrap();
    assert_eq!(all[0]["family_name"], "Okafor");
    assert_eq!(all[0]["stage"], "interest");
    let id = all[0]["id"].as_str().unwrap().to_owned();
    let one: serde_json::Value = serde_json::from_str(
        &coordinator
            .get(&format!("/api/v1/champions/{id}"))
            .await
            .body,
    )
    .unwrap();
    assert_eq!(one["steps"][0]["to"], "interest");
    assert_eq!(one["steps"][0]["by"], "anonymous");

    let mut dave = app.client();
    dave.bearer = Some(app.api_token(Role::Champion).await);
    assert_eq!(
        dave.get("/api/v1/champions").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        dave.get(&format!("/api/v1/champions/{}", id)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        dave.get("/api/v1/champions/me").await.status,
        StatusCode::NOT_FOUND,
        "not linked to a record yet"
    );
    app.store
        .link_champion_user(
            app.pcn,
            id.parse().unwrap(),
            app.users[&Role::Champion].0,
            &audit(app.pcn),
        )
        .await
        .unwrap();
    let mine: serde_json::Value =
        serde_json::from_str(&dave.get("/api/v1/champions/me").await.body).unwrap();
    assert_eq!(mine["champion"]["given_name"], "Dave");
}

#[tokio::test]
async fn workshops_are_booked_within_their_places_and_coming_records_the_training() {
    let app = TestApp::spawn(Db::Sqlite).await;
    express_interest(&app, DAVE).await;
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let id = first_champion(&admin.get("/champions").await.body);
    // Today is 24 November 2026.
    for (title, on) in [
        ("Induction, November", "20/11/2026"),
        ("Induction, January", "14/01/2027"),
    ] {
        let res = admin
            .post(
                "/champions/workshops",
                &[
                    ("title", title),
                    ("module", "induction"),
                    ("on", on),
                    ("starts", "10:00"),
                    ("capacity", "1"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    }
    let bad = admin
        .post(
            "/champions/workshops",
            &[
                ("title", "Walk leaders"),
                ("on", "someday"),
                ("starts", "25:00"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("Enter the date") && bad.body.contains("Enter the time it starts"));
    let workshops = app.store.workshops(app.pcn).await.unwrap();
    let (past, future) = (&workshops[0].id, &workshops[1].id);
    let booked = admin
        .post(
            &format!("/champions/workshops/{future}/book"),
            &[("champion_id", &id)],
        )
        .await;
    assert_eq!(booked.status, StatusCode::SEE_OTHER);
    let amara = app
        .store
        .record_interest(
            app.pcn,
            &together_core::champions::NewInterest {
                given_name: "Amara".into(),
                family_name: "Osei".into(),
                phone: Some("07700 900124".into()),
                email: None,
                contact_preference: together_core::people::ContactPreference::Text,
                practice_id: None,
                interests: vec!["befriending".into()],
                skills: String::new(),
                availability: vec![],
            },
            &audit(app.pcn),
        )
        .await
        .unwrap()
        .to_string();
    let full = admin
        .post(
            &format!("/champions/workshops/{future}/book"),
            &[("champion_id", &amara)],
        )
        .await;
    assert_eq!(full.status, StatusCode::BAD_REQUEST);
    assert!(full.body.contains("The workshop is full"));
    let early = admin
        .post(
            &format!("/champions/workshops/{future}/attendance"),
            &[("champion_id", &id), ("attended", "yes")],
        )
        .await;
    assert_eq!(early.status, StatusCode::BAD_REQUEST);
    assert!(early.body.contains("has not happened yet"));

    admin
        .post(
            &format!("/champions/workshops/{past}/book"),
            &[("champion_id", &id)],
        )
        .await;
    let came = admin
        .post(
            &format!("/champions/workshops/{past}/attendance"),
            &[("champion_id", &id), ("attended", "yes")],
        )
        .await;
    assert_eq!(came.status, StatusCode::SEE_OTHER, "{}", came.body);
    let record = admin.get(&format!("/champions/{id}")).await;
    assert!(record.body.contains("Induction workshop") && record.body.contains("20 November 2026"));
    let page = admin.get("/champions/workshops").await;
    assert!(page.body.contains("Dave Okafor: came"));
    // Dave sees the workshop still to come on his own page.
    app.store
        .link_champion_user(
            app.pcn,
            id.parse().unwrap(),
            app.users[&Role::Champion].0,
            &audit(app.pcn),
        )
        .await
        .unwrap();
    let mine = app
        .signed_in(Role::Champion)
        .await
        .get("/champions/me")
        .await;
    assert!(mine.body.contains("Induction, January"), "{}", mine.body);
    assert!(!mine.body.contains("Induction, November</strong>"));
}

on_both!(the_coordinator_imports_the_spreadsheet_from_the_web_and_downloads_it_again);
async fn the_coordinator_imports_the_spreadsheet_from_the_web_and_downloads_it_again(db: Db) {
    let app = TestApp::spawn(db).await;
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let header = "given_name,family_name,contact_preference,phone,email,practice,interests,consent_to_contact,stage\n";
    let res = admin
        .post_csv(
            "/champions/import",
            &format!("{header}Dave,Okafor,text,07700 900123,,B99001,walking,yes,conversation\nAmara,Osei,email,,,B99009,befriending,yes,active\n"),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert!(res.body.contains("Nothing was imported"));
    assert!(
        res.body.contains("<td>3</td><td>stage</td>"),
        "{}",
        res.body
    );
    assert!(res.body.contains("<td>3</td><td>email</td>"));
    assert!(app
        .store
        .champions(app.pcn, &audit(app.pcn))
        .await
        .unwrap()
        .is_empty());

    let good =
        format!("{header}Dave,Okafor,text,07700 900123,,B99001,walking;singing,yes,conversation\n");
    for expect in [
        "Imported 1 champion;",
        "Imported 0 champions; 1 already there",
    ] {
        let res = admin.post_csv("/champions/import", &good).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(res.body.contains(expect), "{expect}: {}", res.body);
    }
    let csv = admin.get("/champions/export.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.body
            .contains("Dave,Okafor,text,07700 900123,,B99001,walking;singing,,,yes,conversation"),
        "{}",
        csv.body
    );
}
