//! Importing from the web: the administrator uploads a file (or a Synthea export), watches it
//! run, downloads the rejected rows, accepts the rest, and deletes an import; uploads carry the
//! CSRF token first, and nobody else may import.

use crate::helpers::*;
use crate::on_both;
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use together_core::Role;

const REGISTRATIONS: &str =
    "nhs_number,ods_code,given_name,family_name,date_of_birth,sex,registered_from\n\
    9990000018,B99001,Ada,Lovelace,1950-02-03,F,2001-04-01\n\
    9990000026,B99002,Sam,Reid,1988-07-30,M,2010-09-01\n\
    9990000019,B99001,Amir,Khan,1970-01-01,M,2015-01-01\n";

fn file_form(token: &str, dataset: &str, name: &str, bytes: &[u8], accept: bool) -> Form {
    let mut form = Form::new()
        .text("csrf_token", token.to_owned())
        .text("dataset", dataset.to_owned())
        .text("layout", "canonical")
        .text("practice", "");
    if accept {
        form = form.text("accept_valid", "yes");
    }
    form.part(
        "file",
        Part::bytes(bytes.to_vec()).file_name(name.to_owned()),
    )
}

/// Uploads one file (the token first) and follows it to its finished job page.
async fn import(
    client: &mut Client,
    token: &str,
    dataset: &str,
    name: &str,
    bytes: &[u8],
    accept: bool,
) -> String {
    let upload = client
        .post_multipart(
            "/insight/imports",
            file_form(token, dataset, name, bytes, accept),
        )
        .await;
    finished(client, upload).await
}

/// Follows an upload to its job page and waits for the job to finish; the finished page.
async fn finished(client: &mut Client, upload: Res) -> String {
    assert_eq!(upload.status, StatusCode::SEE_OTHER, "{}", upload.body);
    let job = upload.location().to_owned();
    assert!(job.starts_with("/insight/imports/jobs/"), "{job}");
    for _ in 0..600 {
        let page = client.get(&job).await;
        assert_eq!(page.status, StatusCode::OK);
        if !page.body.contains("http-equiv=\"refresh\"") {
            return page.body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the import did not finish");
}

fn report_link(body: &str) -> String {
    let at = body
        .find("/insight/imports/reports/")
        .expect("a link to the rejected rows");
    body[at..].chars().take_while(|c| *c != '"').collect()
}

fn uploads_left(app: &TestApp) -> Vec<String> {
    std::fs::read_dir(app.data_dir.join("uploads"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().to_string())
                .filter(|n| n.ends_with(".upload"))
                .collect()
        })
        .unwrap_or_default()
}

on_both!(the_administrator_imports_a_file_sees_its_rejected_rows_and_accepts_the_rest);
async fn the_administrator_imports_a_file_sees_its_rejected_rows_and_accepts_the_rest(db: Db) {
    let app = TestApp::spawn(db).await;
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let page = admin.get("/insight/imports").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Nothing has been imported yet"));
    assert!(admin
        .get("/insight")
        .await
        .body
        .contains("href=\"/insight/imports\""));

    let token = admin.csrf().await;
    let done = import(
        &mut admin,
        &token,
        "registrations",
        "registrations.csv",
        REGISTRATIONS.as_bytes(),
        false,
    )
    .await;
    assert!(done.contains("Nothing was imported"), "{done}");
    assert!(done.contains("1 row rejected (2 rows valid)"), "{done}");
    let report = admin.get(&report_link(&done)).await;
    assert_eq!(report.status, StatusCode::OK);
    assert!(report.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(
        report
            .body
            .starts_with("line,column,reason\n4,nhs_number,is not a valid NHS number"),
        "{}",
        report.body
    );
    assert!(
        !report.body.contains("9990000019"),
        "the report names no NHS number"
    );
    assert!(app.store.imports(app.pcn).await.unwrap().is_empty());

    let done = import(
        &mut admin,
        &token,
        "registrations",
        "registrations.csv",
        REGISTRATIONS.as_bytes(),
        true,
    )
    .await;
    assert!(
        done.contains("imported 2 rows (B99001, B99002). 1 row rejected were left out."),
        "{done}"
    );
    let imports = app.store.imports(app.pcn).await.unwrap();
    assert_eq!(imports.len(), 1);
    assert_eq!(
        (
            imports[0].file_name.as_str(),
            imports[0].rows_imported,
            imports[0].source.as_str()
        ),
        ("registrations.csv", 2, "canonical")
    );
    let list = admin.get("/insight/imports").await.body;
    assert!(list.contains("registrations.csv") && list.contains("download the rejected rows"));

    let done = import(
        &mut admin,
        &token,
        "registrations",
        "again.csv",
        REGISTRATIONS.as_bytes(),
        true,
    )
    .await;
    assert!(done.contains("already imported"), "{done}");
    assert_eq!(
        app.store.imports(app.pcn).await.unwrap().len(),
        1,
        "never twice"
    );

    // A file in no layout Together knows: refused whole, with the columns it found.
    let done = import(
        &mut admin,
        &token,
        "appointments",
        "odd.csv",
        b"NHS No,Date\n9990000018,17/01/2025\n",
        false,
    )
    .await;
    assert!(done.contains("found the columns nhs no, date"), "{done}");

    // A form with what is missing said beside it, and nothing kept.
    let missing = admin
        .post_multipart(
            "/insight/imports",
            Form::new()
                .text("csrf_token", token.clone())
                .text("dataset", "conditions")
                .text("layout", "fhir")
                .text("practice", "Z12345"),
        )
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    for message in [
        "Choose a file to import",
        "Long-term conditions come in Together&#39;s CSV",
        "Choose one of this PCN&#39;s practices",
    ] {
        assert!(
            missing.body.contains(message),
            "{message}: {}",
            missing.body
        );
    }

    let id = imports[0].id.clone();
    let deleted = admin
        .post(&format!("/insight/imports/{id}/delete"), &[])
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    let after = app.store.imports(app.pcn).await.unwrap();
    assert_eq!(after[0].status, "deleted");
    assert!(
        uploads_left(&app).is_empty(),
        "uploads are deleted once imported"
    );
}

#[tokio::test]
async fn the_synthea_sample_imports_from_the_web() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let token = admin.csrf().await;
    let sample =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/synthea-unmc");
    let mut form = Form::new().text("csrf_token", token);
    for f in ["patients", "encounters", "conditions"] {
        let bytes = std::fs::read(sample.join(format!("{f}.csv"))).unwrap();
        form = form.part(f, Part::bytes(bytes).file_name(format!("{f}.csv")));
    }
    let upload = admin.post_multipart("/insight/imports/synthea", form).await;
    let done = finished(&mut admin, upload).await;
    assert!(done.contains("Imported"), "{done}");
    assert!(
        done.contains("patients.csv (registrations): imported 111 rows"),
        "{done}"
    );
    let imports = app.store.imports(app.pcn).await.unwrap();
    let mut datasets: Vec<_> = imports.iter().map(|i| i.dataset.as_str()).collect();
    datasets.sort();
    assert_eq!(
        datasets,
        [
            "ae_attendances",
            "appointments",
            "conditions",
            "registrations"
        ]
    );
    assert!(imports
        .iter()
        .all(|i| i.source == "synthea" && i.status == "active"));
    let people: i64 = imports
        .iter()
        .filter(|i| i.dataset == "registrations")
        .map(|i| i.rows_imported)
        .sum();
    assert_eq!(people, 111);
    // The Insight page now shows them: a clinician of the first practice sees its people.
    let mut gp = app.signed_in(Role::Clinician).await;
    let insight = gp.get("/insight").await.body;
    let marker = "id=\"registered\">";
    let at = insight
        .find(marker)
        .expect("figures from the imported export")
        + marker.len();
    let shown: u64 = insight[at..].split('<').next().unwrap().parse().unwrap();
    assert!(
        (1..=111).contains(&shown),
        "{shown} of the export's 111 people"
    );
    assert!(uploads_left(&app).is_empty());

    // One file missing: said beside it, nothing imported.
    let token = admin.csrf().await;
    let bytes = std::fs::read(sample.join("patients.csv")).unwrap();
    let partial = Form::new()
        .text("csrf_token", token)
        .part("patients", Part::bytes(bytes).file_name("patients.csv"));
    let refused = admin
        .post_multipart("/insight/imports/synthea", partial)
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused
        .body
        .contains("Choose the export&#39;s encounters.csv"));
    assert_eq!(app.store.imports(app.pcn).await.unwrap().len(), 4);
}

#[tokio::test]
async fn an_upload_needs_the_token_first_and_only_the_administrator_may_import() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let token = admin.csrf().await;
    let without = Form::new().text("dataset", "registrations").part(
        "file",
        Part::bytes(REGISTRATIONS.as_bytes().to_vec()).file_name("r.csv"),
    );
    assert_eq!(
        admin
            .post_multipart("/insight/imports", without)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let late = Form::new()
        .text("dataset", "registrations")
        .text("csrf_token", token.clone())
        .part(
            "file",
            Part::bytes(REGISTRATIONS.as_bytes().to_vec()).file_name("r.csv"),
        );
    assert_eq!(
        admin.post_multipart("/insight/imports", late).await.status,
        StatusCode::FORBIDDEN,
        "the token must come before the file"
    );
    let forged = file_form(
        "not-the-token",
        "registrations",
        "r.csv",
        REGISTRATIONS.as_bytes(),
        true,
    );
    assert_eq!(
        admin
            .post_multipart("/insight/imports", forged)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert!(app.store.imports(app.pcn).await.unwrap().is_empty());
    assert!(
        uploads_left(&app).is_empty(),
        "a refused upload leaves nothing behind"
    );
    // Only the import pages take large bodies (the Synthea sample is 3 MB): any other form
    // stops at 2 MiB.
    let big = "x".repeat(3 << 20);
    let res = admin
        .post("/insight/cohorts", &[("name", big.as_str())])
        .await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);

    for role in [
        Role::Clinician,
        Role::Analyst,
        Role::LinkWorker,
        Role::Champion,
    ] {
        let mut someone = app.signed_in(role).await;
        assert_eq!(
            someone.get("/insight/imports").await.status,
            StatusCode::FORBIDDEN,
            "{role:?}"
        );
        let token = someone.csrf().await;
        let upload = file_form(
            &token,
            "registrations",
            "r.csv",
            REGISTRATIONS.as_bytes(),
            true,
        );
        assert_eq!(
            someone
                .post_multipart("/insight/imports", upload)
                .await
                .status,
            StatusCode::FORBIDDEN,
            "{role:?}"
        );
    }
    assert!(app.store.imports(app.pcn).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_upload_over_the_configured_limit_is_refused_and_leaves_nothing() {
    let app = TestApp::with(Options {
        upload_limit: 1 << 20,
        ..Options::default()
    })
    .await;
    let mut admin = app.signed_in(Role::PcnAdmin).await;
    let page = admin.get("/insight/imports").await;
    assert!(
        page.body.contains("up to 1 MB"),
        "the limit is said on the page"
    );
    let token = admin.csrf().await;
    let big = REGISTRATIONS.repeat((1 << 20) / REGISTRATIONS.len() + 1);
    let upload = admin
        .post_multipart(
            "/insight/imports",
            file_form(&token, "registrations", "big.csv", big.as_bytes(), true),
        )
        .await;
    assert_eq!(upload.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(app.store.imports(app.pcn).await.unwrap().is_empty());
    assert!(uploads_left(&app).is_empty());
}
