//! The `together` binary as an operator meets it: every bad input gets a one-line explanation
//! and a non-zero exit, never a panic; demo and real data never mix; backups restore.

// Tests and examples stop at the first surprise, with its message: unwrap and expect are how.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn together(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_together"))
        .args(args)
        .env_remove("TOGETHER_DATABASE_URL")
        .env_remove("TOGETHER_DATA_DIR")
        .env("TOGETHER_LOG", "warn")
        .output()
        .expect("the binary runs")
}

/// A fresh instance with the Harbourview PCN and its first administrator.
fn harbourview_pcn(data_dir: &str) {
    let o = together(&[
        "bootstrap-admin",
        "--data-dir",
        data_dir,
        "--email",
        "admin@harbourview.example",
        "--name",
        "Priya Shah",
        "--pcn-name",
        "Harbourview PCN",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A failure a person can read: non-zero exit, a `together:` line, no panic or backtrace.
fn assert_clear_failure(o: &Output, expect: &str) {
    let err = stderr(o);
    assert!(!o.status.success(), "should fail: {err}");
    assert!(
        !err.contains("panicked")
            && !err.contains("RUST_BACKTRACE")
            && !err.contains("stack backtrace"),
        "{err}"
    );
    assert!(err.contains(expect), "expected '{expect}' in: {err}");
    assert!(
        err.trim().lines().count() <= 2,
        "one line, not a dump: {err}"
    );
}

#[test]
fn wrong_flags_are_explained() {
    let o = together(&["serve", "--no-such-flag"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unexpected argument '--no-such-flag'"));
    let help = together(&["demo", "--help"]);
    assert!(String::from_utf8_lossy(&help.stdout).contains("made-up neighbourhood"));
}

#[test]
fn an_unreachable_database_is_explained_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let o = together(&[
        "users",
        "list",
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--database-url",
        "postgres://together:secret@127.0.0.1:1/nowhere",
    ]);
    assert_clear_failure(
        &o,
        "cannot open the PostgreSQL database at postgres://…@127.0.0.1:1/nowhere",
    );
    assert!(
        !stderr(&o).contains("secret"),
        "the password in the URL is never printed"
    );
    assert!(start.elapsed() < Duration::from_secs(30));
    let o = together(&[
        "users",
        "list",
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--database-url",
        "mysql://x",
    ]);
    assert_clear_failure(&o, "must start with postgres://");
}

#[test]
fn a_data_directory_that_cannot_be_written_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let bad = file.join("data");
    let o = together(&["users", "list", "--data-dir", bad.to_str().unwrap()]);
    assert_clear_failure(&o, "cannot create the data directory");
}

#[test]
fn a_mistyped_proxy_setting_is_explained_before_serving() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    harbourview_pcn(d);
    std::fs::write(
        dir.path().join("together.toml"),
        "trusted_proxies = [\"10.0.0.1\", \"10.0.0.0/33\"]\nsign_in_failures_per_address = 20\n",
    )
    .unwrap();
    let o = together(&["serve", "--data-dir", d, "--port", "0"]);
    assert_clear_failure(
        &o,
        "'10.0.0.0/33' in trusted_proxies is not an address or a CIDR range",
    );
}

#[test]
fn a_corrupt_backup_is_refused_and_the_database_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    harbourview_pcn(d);
    let junk = dir.path().join("junk.sqlite");
    std::fs::write(&junk, b"SQLite format 3\0 but not really").unwrap();
    let o = together(&["restore", "--data-dir", d, "--from", junk.to_str().unwrap()]);
    assert_clear_failure(&o, "cannot be restored");
    let list = together(&["users", "list", "--data-dir", d]);
    assert!(
        String::from_utf8_lossy(&list.stdout).contains("admin@harbourview.example"),
        "the database is untouched"
    );
}

#[test]
fn bootstrap_prints_a_one_time_link_and_backup_restores() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let o = together(&[
        "bootstrap-admin",
        "--data-dir",
        d,
        "--email",
        "admin@harbourview.example",
        "--name",
        "Priya Shah",
        "--public-url",
        "https://together.harbourview.example",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        out.contains("https://together.harbourview.example/enrol?token="),
        "{out}"
    );
    let again = together(&[
        "bootstrap-admin",
        "--data-dir",
        d,
        "--email",
        "admin@harbourview.example",
        "--name",
        "Priya Shah",
    ]);
    assert!(!again.status.success());

    // Practices from the command line, and their agreement to pool data.
    let add = together(&[
        "practices",
        "add",
        "B82005",
        "--name",
        "Quayside Surgery",
        "--data-dir",
        d,
    ]);
    assert!(add.status.success(), "{}", stderr(&add));
    assert_clear_failure(
        &together(&[
            "practices",
            "add",
            "QUAY",
            "--name",
            "Typo",
            "--data-dir",
            d,
        ]),
        "'QUAY' is not a practice ODS code",
    );
    let list = |d: &str| {
        String::from_utf8_lossy(&together(&["practices", "list", "--data-dir", d]).stdout)
            .to_string()
    };
    assert!(
        list(d).contains("B82005  Quayside Surgery")
            && list(d).contains("no data-sharing agreement")
    );
    assert!(
        together(&["practices", "data-sharing", "B82005", "--data-dir", d])
            .status
            .success()
    );
    assert!(list(d).contains("data sharing agreed"), "{}", list(d));

    let backup = dir.path().join("backup");
    let b = together(&["backup", "--data-dir", d, "--to", backup.to_str().unwrap()]);
    assert!(b.status.success(), "{}", stderr(&b));
    assert!(String::from_utf8_lossy(&b.stdout).contains("integrity_check ok"));
    let twice = together(&["backup", "--data-dir", d, "--to", backup.to_str().unwrap()]);
    assert_clear_failure(&twice, "already exists");
    let r = together(&[
        "restore",
        "--data-dir",
        d,
        "--from",
        backup.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", stderr(&r));
    assert!(
        std::fs::read_dir(data.join("backups")).unwrap().count() >= 1,
        "the replaced database was kept"
    );
    let list = together(&["users", "list", "--data-dir", d]);
    assert!(String::from_utf8_lossy(&list.stdout).contains("admin@harbourview.example"));
}

fn start_demo(dir: &Path) -> (std::process::Child, String) {
    start_demo_logging(dir, None)
}

/// The demo, its log (at info) written to `log` when given.
fn start_demo_logging(dir: &Path, log: Option<&Path>) -> (std::process::Child, String) {
    let d = dir.to_str().unwrap();
    start_server(
        &["demo", "--data-dir", d, "--port", "0"],
        log,
        "Together demo is running at ",
    )
}

/// Starts `together ARGS` and waits for the line that gives its address after `said`; its log
/// (at info) is written to `log` when given.
fn start_server(args: &[&str], log: Option<&Path>, said: &str) -> (std::process::Child, String) {
    let stderr = match log {
        Some(path) => Stdio::from(std::fs::File::create(path).unwrap()),
        None => Stdio::null(),
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_together"))
        .args(args)
        .env("TOGETHER_LOG", if log.is_some() { "info" } else { "warn" })
        .env_remove("TOGETHER_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("the server prints its address")
            .unwrap();
        if let Some(u) = line.strip_prefix(said) {
            break u.to_owned();
        }
    };
    // Keep reading what it prints, so that it never writes into a closed pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

#[test]
fn the_demo_writes_its_sign_ins_and_serve_refuses_its_database() {
    let dir = tempfile::tempdir().unwrap();
    let (mut demo, url) = start_demo(dir.path());
    assert!(url.starts_with("http://localhost:"));
    let creds = std::fs::read_to_string(dir.path().join("demo-credentials.txt")).unwrap();
    let roles: Vec<&str> = creds
        .lines()
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        roles,
        [
            "pcn_admin",
            "clinician",
            "link_worker",
            "analyst",
            "champion",
            "partner"
        ]
    );
    assert!(creds.lines().all(|l| l.split(' ').count() == 3));
    // Its connections, counted by offer and step, name nobody.
    let summary = together(&[
        "connections",
        "summary",
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--format",
        "csv",
    ]);
    assert!(summary.status.success(), "{}", stderr(&summary));
    let csv = String::from_utf8_lossy(&summary.stdout);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("to,suggested,contacted,went_along,keeps_going,ended,missed_follow_ups")
    );
    let singing = lines
        .find(|l| l.starts_with("Singing for wellbeing,"))
        .expect("the demo's singing group has connections");
    let total: u64 = singing
        .split(',')
        .skip(1)
        .take(5)
        .map(|n| n.parse::<u64>().unwrap())
        .sum();
    assert!(total >= 8, "{csv}");
    assert!(
        !csv.contains("Ashworth") && !csv.contains(" A."),
        "nobody named: {csv}"
    );
    // A backup may be taken while it runs; a restore, or a second server, may not: the server
    // would go on writing into the replaced file.
    let d = dir.path().to_str().unwrap();
    let copies = tempfile::tempdir().unwrap();
    let copy = copies.path().join("demo.sqlite");
    let b = together(&["backup", "--data-dir", d, "--to", copy.to_str().unwrap()]);
    assert!(b.status.success(), "{}", stderr(&b));
    let restore = || together(&["restore", "--data-dir", d, "--from", copy.to_str().unwrap()]);
    assert_clear_failure(&restore(), "stop it before you restore into it");
    assert_clear_failure(
        &together(&["serve", "--data-dir", d, "--port", "0", "--allow-demo"]),
        "stop it before you serve it again",
    );
    demo.kill().unwrap();
    demo.wait().unwrap();
    let r = restore();
    assert!(r.status.success(), "once it has stopped: {}", stderr(&r));

    let o = together(&[
        "serve",
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--port",
        "0",
    ]);
    assert_clear_failure(&o, "this is a demo database");
    // Running the demo again on the same folder reuses it, with the same sign-ins.
    let (mut again, _) = start_demo(dir.path());
    again.kill().unwrap();
    again.wait().unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("demo-credentials.txt")).unwrap(),
        creds
    );
}

#[test]
fn importing_is_explained_refused_whole_or_accepted_and_never_twice() {
    let dir = tempfile::tempdir().unwrap();
    let (mut demo, _) = start_demo(dir.path());
    demo.kill().unwrap();
    demo.wait().unwrap();
    let d = dir.path().to_str().unwrap();
    let source = dir.path().join("demo-source/appointments.csv");

    let again = together(&[
        "import",
        "appointments",
        source.to_str().unwrap(),
        "--data-dir",
        d,
    ]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("was already imported"),
        "the same file changes nothing"
    );

    let mut text = std::fs::read_to_string(&source).unwrap();
    let lines = text.lines().count();
    text.push_str("9990000017,B99001,2025-01-17T09:00:00,2025-01-17T09:30:00,Finished,Routine,GP,Face to face\n");
    let bad = dir.path().join("appointments-with-a-typo.csv");
    std::fs::write(&bad, &text).unwrap();
    let refused = together(&[
        "import",
        "appointments",
        bad.to_str().unwrap(),
        "--data-dir",
        d,
    ]);
    assert_clear_failure(&refused, "1 row was rejected");
    let report = stderr(&refused)
        .split(" are in ")
        .nth(1)
        .unwrap()
        .split(". Correct")
        .next()
        .unwrap()
        .to_owned();
    let report = std::fs::read_to_string(report.trim()).unwrap();
    assert!(
        report.contains(&format!(
            "{},nhs_number,is not a valid NHS number",
            lines + 1
        )),
        "{report}"
    );

    let accepted = together(&[
        "import",
        "appointments",
        bad.to_str().unwrap(),
        "--data-dir",
        d,
        "--accept-valid",
    ]);
    assert!(accepted.status.success(), "{}", stderr(&accepted));
    let out = String::from_utf8_lossy(&accepted.stdout).to_string();
    assert!(out.contains("1 rejected row was left out"), "{out}");
    let id = out
        .split(" as import ")
        .nth(1)
        .unwrap()
        .split('.')
        .next()
        .unwrap()
        .to_owned();
    let list =
        String::from_utf8_lossy(&together(&["import", "list", "--data-dir", d]).stdout).to_string();
    assert!(
        list.contains(&id) && list.contains("appointments-with-a-typo.csv"),
        "{list}"
    );
    assert!(together(&["import", "delete", &id, "--data-dir", d])
        .status
        .success());
    assert!(
        String::from_utf8_lossy(&together(&["import", "list", "--data-dir", d]).stdout)
            .contains(&format!("{id}  appointments    deleted"))
    );
    assert_clear_failure(
        &together(&["import", "delete", &id, "--data-dir", d]),
        "was not found",
    );
    // Figures for sharing are disclosed; the operator can ask for exact ones.
    let shared = together(&[
        "analyse",
        "profile",
        "--data-dir",
        d,
        "--from",
        "2025-01-01",
        "--to",
        "2025-12-31",
        "--format",
        "json",
    ]);
    assert!(shared.status.success(), "{}", stderr(&shared));
    let json = String::from_utf8_lossy(&shared.stdout).to_string();
    assert!(
        json.contains("\"disclosure\": \"Counts from 1 to 7")
            && json.contains("\"kind\": \"rounded\""),
        "{json}"
    );
    let exact = String::from_utf8_lossy(
        &together(&[
            "analyse",
            "profile",
            "--data-dir",
            d,
            "--from",
            "2025-01-01",
            "--to",
            "2025-12-31",
            "--practice",
            "B99001",
            "--format",
            "csv",
            "--unsuppressed",
        ])
        .stdout,
    )
    .to_string();
    assert!(
        exact.starts_with("section,label,value\nsummary,people registered,"),
        "{exact}"
    );
    assert_clear_failure(
        &together(&[
            "analyse",
            "profile",
            "--data-dir",
            d,
            "--from",
            "2025-12-31",
            "--to",
            "2025-01-01",
        ]),
        "is after --to",
    );

    let unknown = dir.path().join("odd.csv");
    std::fs::write(&unknown, "NHS No,Date\n9990000018,17/01/2025\n").unwrap();
    assert_clear_failure(
        &together(&[
            "import",
            "appointments",
            unknown.to_str().unwrap(),
            "--data-dir",
            d,
        ]),
        "found the columns nhs no, date",
    );
    assert!(
        stderr(&together(&[
            "import",
            "appointments",
            unknown.to_str().unwrap(),
            "--data-dir",
            d,
        ]))
        .contains("read with --mapping: emis-web, systmone"),
        "the mappings available are named"
    );
    // A practice system's own export, through a shipped mapping.
    let emis = dir.path().join("emis.csv");
    std::fs::write(
        &emis,
        "NHS Number,Slot Date,Slot Time,Booked Date,Booked Time,Slot Status,Slot Type,Session Holder Role,National Slot Category Type\n\
         9990000018,17/01/2025,09:30,10/01/2025,08:12,Left,Routine,GP,Face to Face (Surgery)\n",
    )
    .unwrap();
    let mapped = together(&[
        "import",
        "appointments",
        emis.to_str().unwrap(),
        "--mapping",
        "emis-web",
        "--practice",
        "B99002",
        "--data-dir",
        d,
    ]);
    assert!(mapped.status.success(), "{}", stderr(&mapped));
    assert!(stderr(&mapped).contains("is unverified"));
    assert!(String::from_utf8_lossy(&mapped.stdout)
        .contains("Imported 1 appointments from emis.csv (B99002, 2025-01-17 to 2025-01-17)"));

    // FHIR R4 NDJSON, and replacing an import with a corrected file.
    let appointment = |day: u32| {
        format!(
            "{{\"resourceType\":\"Appointment\",\"status\":\"fulfilled\",\"start\":\"2025-02-{day:02}T09:30:00Z\",\"participant\":[{{\"actor\":{{\"identifier\":{{\"system\":\"https://fhir.nhs.uk/Id/nhs-number\",\"value\":\"9990000018\"}}}}}}]}}\n"
        )
    };
    let fhir = dir.path().join("Appointment.ndjson");
    std::fs::write(&fhir, appointment(3)).unwrap();
    let fhir_import = |file: &Path, extra: &[&str]| {
        let mut args = vec!["import"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&[
            file.to_str().unwrap(),
            "--format",
            "fhir",
            "--practice",
            "B99002",
            "--data-dir",
            d,
        ]);
        together(&args)
    };
    let first = fhir_import(&fhir, &["appointments"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let out = String::from_utf8_lossy(&first.stdout).to_string();
    assert!(
        out.contains(
            "Imported 1 appointments from Appointment.ndjson (B99002, 2025-02-03 to 2025-02-03)"
        ),
        "{out}"
    );
    let id = out
        .split(" as import ")
        .nth(1)
        .unwrap()
        .trim_end_matches(".\n")
        .to_owned();
    let corrected = dir.path().join("Appointment-corrected.ndjson");
    std::fs::write(&corrected, appointment(3) + &appointment(4)).unwrap();
    let replaced = fhir_import(&corrected, &["replace", &id]);
    assert!(replaced.status.success(), "{}", stderr(&replaced));
    assert!(String::from_utf8_lossy(&replaced.stdout).contains("Imported 2 appointments"));
    let list =
        String::from_utf8_lossy(&together(&["import", "list", "--data-dir", d]).stdout).to_string();
    assert!(
        list.contains(&format!("{id}  appointments    replaced")),
        "{list}"
    );
    assert_clear_failure(
        &fhir_import(&corrected, &["conditions"]),
        "conditions are imported in the canonical layout",
    );
    assert_clear_failure(
        &fhir_import(&corrected, &["replace", "no-such-import"]),
        "there is no import no-such-import",
    );

    // Analysts: read-only SQL, and an extract with its dictionary.
    let counted = together(&[
        "sql",
        "--data-dir",
        d,
        "--format",
        "csv",
        "SELECT count(*) AS n FROM registrations",
    ]);
    assert!(counted.status.success(), "{}", stderr(&counted));
    assert!(String::from_utf8_lossy(&counted.stdout).starts_with("n\n"));
    assert_clear_failure(
        &together(&["sql", "--data-dir", d, "DELETE FROM appointments"]),
        "together sql is read-only",
    );
    let out = dir.path().join("extract");
    let extract = together(&[
        "analyse",
        "extract",
        "--data-dir",
        d,
        "--from",
        "2025-01-01",
        "--to",
        "2025-12-31",
        "--practice",
        "B99001",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(extract.status.success(), "{}", stderr(&extract));
    assert!(out.join("appointments.parquet").exists() && out.join("DATA-DICTIONARY.md").exists());

    assert_clear_failure(
        &together(&["analyse", "cohort", "Nobody", "--data-dir", d]),
        "no cohort is called Nobody; saved cohorts: none yet",
    );

    // A Synthea export: one folder, four imports, all or nothing.
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/synthea-unmc");
    let broken = dir.path().join("synthea-broken");
    std::fs::create_dir(&broken).unwrap();
    for f in ["patients.csv", "encounters.csv", "conditions.csv"] {
        std::fs::copy(sample.join(f), broken.join(f)).unwrap();
    }
    let mut conditions = std::fs::read_to_string(broken.join("conditions.csv")).unwrap();
    conditions.push_str("2020-13-01,,982192b6-6843-4011-ef46-32caaf87d8a9,e,59621000,Essential hypertension (disorder)\n");
    std::fs::write(broken.join("conditions.csv"), conditions).unwrap();
    let before = together(&["import", "list", "--data-dir", d]).stdout;
    let refused = together(&[
        "import",
        "synthea",
        broken.to_str().unwrap(),
        "--data-dir",
        d,
    ]);
    assert_clear_failure(&refused, "No file of the export was imported");
    assert!(stderr(&refused).contains("conditions.csv (conditions): 1 row was rejected"));
    assert_eq!(
        together(&["import", "list", "--data-dir", d]).stdout,
        before,
        "a refused export leaves the imports as they were"
    );
    let synthea = |extra: &[&str]| {
        let mut args = vec![
            "import",
            "synthea",
            sample.to_str().unwrap(),
            "--data-dir",
            d,
        ];
        args.extend_from_slice(extra);
        together(&args)
    };
    let first = synthea(&["--practice", "B99003"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let out = String::from_utf8_lossy(&first.stdout).to_string();
    assert!(
        out.contains("B99003: 111 people")
            && out.contains("Imported 111 registrations from patients.csv (B99003)")
            && out.contains("appointments from encounters.csv")
            && out.contains("ae_attendances from encounters.csv"),
        "{out}"
    );
    let again = synthea(&["--practice", "B99003"]);
    assert_eq!(
        String::from_utf8_lossy(&again.stdout)
            .matches("was already imported")
            .count(),
        4,
        "the same export onto the same practice changes nothing"
    );
    assert_clear_failure(
        &synthea(&["--practice", "Z12345"]),
        "Z12345 is not a practice of this PCN",
    );
}

#[test]
fn the_operator_adds_lists_disables_and_resets_users() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let d = d.to_str().unwrap();
    assert!(together(&[
        "bootstrap-admin",
        "--data-dir",
        d,
        "--email",
        "admin@harbourview.example",
        "--name",
        "Priya Shah"
    ])
    .status
    .success());
    let added = together(&[
        "users",
        "add",
        "--data-dir",
        d,
        "--email",
        "dave@harbourview.example",
        "--name",
        "Dave Marsh",
        "--role",
        "champion",
    ]);
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(String::from_utf8_lossy(&added.stdout).contains("/enrol?token="));
    assert_clear_failure(
        &together(&[
            "users",
            "add",
            "--data-dir",
            d,
            "--email",
            "gp@harbourview.example",
            "--name",
            "Dr Ada",
            "--role",
            "clinician",
        ]),
        "give its ODS code with --practice",
    );
    assert_clear_failure(
        &together(&[
            "users",
            "add",
            "--data-dir",
            d,
            "--email",
            "x@harbourview.example",
            "--name",
            "X",
            "--role",
            "admin",
        ]),
        "is not a role",
    );
    let list =
        String::from_utf8_lossy(&together(&["users", "list", "--data-dir", d]).stdout).to_string();
    assert!(
        list.contains("dave@harbourview.example")
            && list.contains("champion")
            && list.contains("invited"),
        "{list}"
    );
    let reset = together(&[
        "users",
        "reset-password",
        "--data-dir",
        d,
        "--email",
        "dave@harbourview.example",
    ]);
    assert!(
        String::from_utf8_lossy(&reset.stdout).contains("/enrol?token="),
        "no password yet: an enrolment link"
    );
    assert_clear_failure(
        &together(&[
            "users",
            "token",
            "--data-dir",
            d,
            "--email",
            "dave@harbourview.example",
        ]),
        "is not active",
    );
    assert!(together(&[
        "users",
        "disable",
        "--data-dir",
        d,
        "--email",
        "dave@harbourview.example"
    ])
    .status
    .success());
    assert!(
        String::from_utf8_lossy(&together(&["users", "list", "--data-dir", d]).stdout)
            .contains("disabled")
    );
    assert_clear_failure(
        &together(&[
            "users",
            "reset-password",
            "--data-dir",
            d,
            "--email",
            "dave@harbourview.example",
        ]),
        "is disabled",
    );
    assert_clear_failure(
        &together(&[
            "users",
            "disable",
            "--data-dir",
            d,
            "--email",
            "nobody@harbourview.example",
        ]),
        "no user has the email address",
    );
}

#[test]
fn champions_come_in_from_a_spreadsheet_all_or_nothing_and_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let ok = |o: Output| {
        assert!(o.status.success(), "{}", stderr(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    ok(together(&[
        "bootstrap-admin",
        "--data-dir",
        d,
        "--email",
        "admin@harbourview.example",
        "--name",
        "Priya Shah",
        "--pcn-name",
        "Harbourview PCN",
    ]));
    ok(together(&[
        "practices",
        "add",
        "--data-dir",
        d,
        "B99001",
        "--name",
        "Quayside Surgery",
    ]));
    let file = dir.path().join("champions.csv");
    let header = "given_name,family_name,contact_preference,phone,email,practice,interests,availability,consent_to_contact,stage\n";
    std::fs::write(
        &file,
        format!(
            "{header}Dave,Okafor,text,07700 900123,,B99001,walking;singing,weekends,yes,conversation\n\
             Amara,Osei,email,,amara@example.org,B99009,befriending,,yes,\n\
             Gareth,Price,phone,07700 900124,,,clinics,,no,active\n"
        ),
    )
    .unwrap();
    let refused = together(&[
        "champions",
        "import",
        "--data-dir",
        d,
        file.to_str().unwrap(),
    ]);
    let err = stderr(&refused);
    assert!(
        !refused.status.success() && !err.contains("panicked"),
        "{err}"
    );
    assert!(
        err.contains("2 of 3 rows rejected, so nothing was imported"),
        "{err}"
    );
    assert!(
        err.contains("line 3, practice: B99009 is not one of this PCN's practices"),
        "{err}"
    );
    assert!(
        err.contains("line 4, stage:") && err.contains("line 4, consent_to_contact:"),
        "{err}"
    );
    let list = ok(together(&["champions", "list", "--data-dir", d]));
    assert!(
        list.contains("No champions yet"),
        "nothing was imported: {list}"
    );

    std::fs::write(
        &file,
        format!(
            "{header}Dave,Okafor,text,07700 900123,,B99001,walking;singing,weekends,yes,conversation\n\
             Amara,Osei,email,,amara@example.org,,befriending,,yes,\n"
        ),
    )
    .unwrap();
    let first = ok(together(&[
        "champions",
        "import",
        "--data-dir",
        d,
        file.to_str().unwrap(),
    ]));
    assert!(first.contains("Imported 2 champions"), "{first}");
    let again = ok(together(&[
        "champions",
        "import",
        "--data-dir",
        d,
        file.to_str().unwrap(),
    ]));
    assert!(
        again.contains("Imported 0 champions") && again.contains("2 already there"),
        "{again}"
    );
    let list = ok(together(&["champions", "list", "--data-dir", d]));
    assert!(
        list.contains("Conversation (1)") && list.contains("Dave Okafor"),
        "{list}"
    );
    assert!(
        list.contains("Walking groups, Singing and music · Weekends"),
        "{list}"
    );

    // What is exported imports again as the same champions.
    let out = dir.path().join("out.csv");
    together(&[
        "champions",
        "export",
        "--data-dir",
        d,
        "--out",
        out.to_str().unwrap(),
    ]);
    let csv = std::fs::read_to_string(&out).unwrap();
    assert!(
        csv.starts_with("given_name,family_name,contact_preference,"),
        "{csv}"
    );
    assert!(
        csv.contains(
            "Dave,Okafor,text,07700 900123,,B99001,walking;singing,weekends,,yes,conversation"
        ),
        "{csv}"
    );
    let back = ok(together(&[
        "champions",
        "import",
        "--data-dir",
        d,
        out.to_str().unwrap(),
    ]));
    assert!(back.contains("2 already there"), "{back}");
}

/// What a service's feed entry says that a second directory importing it must say too (its
/// id, its words, how to get in touch, where, its categories and its schedules).
fn essence(s: &serde_json::Value) -> serde_json::Value {
    let strs = |v: &serde_json::Value, list: &str, key: &str| -> Vec<String> {
        let mut out: Vec<String> = v[list]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x[key].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    };
    let phones: Vec<String> = s["contacts"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .flat_map(|c| strs(c, "phones", "number"))
                .collect()
        })
        .unwrap_or_default();
    let places: Vec<String> = s["service_at_locations"]
        .as_array()
        .map(|ls| {
            ls.iter()
                .flat_map(|l| {
                    l["location"]["addresses"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default()
                        .into_iter()
                        .map(|a| format!("{}, {}, {}", a["address_1"], a["city"], a["postal_code"]))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut schedules: Vec<String> = s["schedules"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| {
                    [
                        "freq",
                        "interval",
                        "byday",
                        "bymonthday",
                        "dtstart",
                        "valid_to",
                        "opens_at",
                        "closes_at",
                    ]
                    .map(|k| x[k].to_string())
                    .join(" ")
                })
                .collect()
        })
        .unwrap_or_default();
    schedules.sort();
    serde_json::json!({
        "id": s["id"], "name": s["name"], "description": s["description"], "url": s["url"],
        "email": s["email"], "status": s["status"], "fees": s["fees"],
        "minimum_age": s["minimum_age"], "maximum_age": s["maximum_age"],
        "assured_date": s["assured_date"], "organization": s["organization"]["name"],
        "contact": strs(s, "contacts", "name"), "phones": phones, "places": places,
        "categories": strs(s, "attributes", "taxonomy_term_id"), "schedules": schedules,
    })
}

fn exported(dir: &str) -> Vec<serde_json::Value> {
    let out = together(&["directory", "export", "--data-dir", dir]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["contents"].as_array().unwrap().clone()
}

#[test]
fn a_second_directory_importing_our_feed_reproduces_it_and_importing_again_changes_nothing() {
    let a = tempfile::tempdir().unwrap();
    let (mut demo, url) = start_demo(a.path());
    let b = tempfile::tempdir().unwrap();
    let bd = b.path().join("data");
    let bd = bd.to_str().unwrap();
    assert!(together(&[
        "bootstrap-admin",
        "--data-dir",
        bd,
        "--email",
        "admin@elsewhere.example",
        "--name",
        "Sam Reed",
        "--pcn-name",
        "Elsewhere PCN",
    ])
    .status
    .success());
    // Crawled two services a page, so that paging is followed to the last page.
    let feed = format!("{url}/api/oruk");
    let first = together(&[
        "directory",
        "import",
        &feed,
        "--data-dir",
        bd,
        "--per-page",
        "2",
    ]);
    let said = String::from_utf8_lossy(&first.stdout).into_owned();
    assert!(first.status.success(), "{said}{}", stderr(&first));
    let theirs = exported(a.path().to_str().unwrap());
    assert!(
        theirs.len() >= 15,
        "the demo's offers and listings: {}",
        theirs.len()
    );
    assert!(
        said.contains(&format!(
            "{} added, 0 changed, 0 unchanged, 0 skipped",
            theirs.len()
        )),
        "{said}"
    );
    let ours = exported(bd);
    assert_eq!(ours.len(), theirs.len());
    for t in &theirs {
        let o = ours
            .iter()
            .find(|o| o["id"] == t["id"])
            .unwrap_or_else(|| panic!("{} keeps its id", t["name"]));
        assert_eq!(essence(o), essence(t));
    }
    // Again: nothing changes. The export read back from a file: the same.
    let again = together(&["directory", "import", &feed, "--data-dir", bd]);
    let said = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(
        said.contains(&format!("0 added, 0 changed, {} unchanged", theirs.len())),
        "{said}"
    );
    // A feed bigger than the import is told to read stops where it was told to, and says so.
    let cut = together(&[
        "directory",
        "import",
        &feed,
        "--data-dir",
        bd,
        "--per-page",
        "3",
        "--max-pages",
        "1",
    ]);
    let said = String::from_utf8_lossy(&cut.stdout).into_owned();
    assert!(cut.status.success(), "{}", stderr(&cut));
    assert!(said.contains("0 added, 0 changed, 3 unchanged"), "{said}");
    assert!(
        said.contains("The import stopped after 1 pages of"),
        "{said}"
    );
    demo.kill().ok();
    demo.wait().ok();
}

#[test]
fn a_malformed_or_missing_feed_stops_cleanly_and_keeps_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    harbourview_pcn(d);
    let junk = dir.path().join("feed.json");
    std::fs::write(&junk, b"<html>not a feed</html>").unwrap();
    assert_clear_failure(
        &together(&[
            "directory",
            "import",
            junk.to_str().unwrap(),
            "--data-dir",
            d,
        ]),
        "is not an ORUK feed",
    );
    std::fs::write(&junk, br#"{"contents": 7}"#).unwrap();
    assert_clear_failure(
        &together(&[
            "directory",
            "import",
            junk.to_str().unwrap(),
            "--data-dir",
            d,
        ]),
        "`contents` is not a list",
    );
    assert_clear_failure(
        &together(&[
            "directory",
            "import",
            "http://127.0.0.1:9/api/oruk",
            "--data-dir",
            d,
        ]),
        "cannot reach",
    );
    // Two good services and one that cannot be a listing: the good kept, the other named.
    std::fs::write(
        &junk,
        serde_json::json!([
            {"id": "2f1c1f0e-5a43-4c39-9e4c-8d0f1c1e2a01", "name": "Food bank", "description": "Food parcels.",
             "organization": {"name": "Churches Together"}, "contacts": [{"phones": [{"number": "01632 960 456"}]}]},
            {"id": "2f1c1f0e-5a43-4c39-9e4c-8d0f1c1e2a02", "name": "Advice", "description": "Money advice.",
             "organization": {"name": "Citizens Advice"}, "url": "https://advice.example/"},
            {"id": "2f1c1f0e-5a43-4c39-9e4c-8d0f1c1e2a03", "name": "Nowhere", "description": "No way in.",
             "organization": {"name": "Someone"}}
        ])
        .to_string(),
    )
    .unwrap();
    let out = together(&[
        "directory",
        "import",
        junk.to_str().unwrap(),
        "--data-dir",
        d,
    ]);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        said.contains("2 added, 0 changed, 0 unchanged, 1 skipped"),
        "{said}"
    );
    assert!(
        said.contains(
            "Skipped Nowhere (2f1c1f0e-5a43-4c39-9e4c-8d0f1c1e2a03): phone: Give at least one way"
        ),
        "{said}"
    );
    assert_eq!(exported(d).len(), 2);
}

#[test]
fn postcodes_import_all_or_nothing_and_then_find_services_near_them() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let file = dir.path().join("onspd.csv");
    std::fs::write(
        &file,
        "pcd,pcds,doterm,lat,long\nHV11AA,HV1 1AA,,50.615,-3.413\nHV11AB,HV1 1AB,202001,50.6,-3.4\nXX,not a postcode,,50.6,-3.4\n",
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let refused = together(&["postcodes", "import", f, "--data-dir", d]);
    assert!(!refused.status.success());
    let err = stderr(&refused);
    assert!(
        err.contains("1 rows rejected, so nothing was imported"),
        "{err}"
    );
    assert!(
        err.contains("line 4, postcode: 'not a postcode' is not a UK postcode"),
        "{err}"
    );
    let kept = together(&["postcodes", "import", f, "--data-dir", d, "--accept-valid"]);
    let said = String::from_utf8_lossy(&kept.stdout).into_owned();
    assert!(kept.status.success(), "{}", stderr(&kept));
    assert!(
        said.contains("Imported 1 postcodes") && said.contains("1 skipped"),
        "{said}"
    );
    assert_clear_failure(
        &together(&["postcodes", "import", "/no/such/file.csv", "--data-dir", d]),
        "cannot open /no/such/file.csv",
    );
}

#[test]
fn the_offers_spreadsheet_imports_all_or_nothing_with_each_problem_named_and_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    harbourview_pcn(d);
    let header = "name,description,kind,status,categories,capacity,cost,schedule_freq,schedule_byday,schedule_starts_on,schedule_opens,schedule_closes\n";
    let good = "Harbourview walking group,A gentle walk then tea,group,running,Meeting people; physical_activity,20,,weekly,Tuesday,2027-01-05,10:00,11:30\n\
                Carers' coffee morning,Coffee and a chat for carers,drop-in,,carers,,£1,monthly,1WE,2027-01-06,10:30,12:00\n";
    let file = dir.path().join("offers.csv");
    std::fs::write(
        &file,
        format!("{header}{good}Ukulele group,Strum along,group,,knitting,-3,,weekly,XX,2027-01-05,19:00,20:00\n"),
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let refused = together(&["offers", "import", f, "--data-dir", d]);
    assert!(!refused.status.success());
    let err = stderr(&refused);
    assert!(
        err.contains("1 of 3 rows have problems, so nothing was imported"),
        "{err}"
    );
    for said in [
        "line 4, categories: 'knitting' is not one of the directory's categories",
        "line 4, capacity:",
        "line 4, schedule_byday:",
    ] {
        assert!(err.contains(said), "{said} in {err}");
    }
    assert!(exported(d).is_empty(), "nothing imported");
    std::fs::write(&file, format!("{header}{good}")).unwrap();
    let ok = together(&["offers", "import", f, "--data-dir", d]);
    let said = String::from_utf8_lossy(&ok.stdout).into_owned();
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(
        said.contains("Imported 2 offers") && said.contains("0 already there"),
        "{said}"
    );
    let offers = exported(d);
    let walk = offers
        .iter()
        .find(|o| o["name"] == "Harbourview walking group")
        .unwrap();
    assert_eq!(walk["schedules"][0]["byday"], "TU");
    assert_eq!(walk["attributes"].as_array().unwrap().len(), 2);
    let carers = offers
        .iter()
        .find(|o| o["name"] == "Carers' coffee morning")
        .unwrap();
    assert_eq!(carers["fees"], "£1");
    assert_eq!(carers["schedules"][0]["byday"], "1WE");
    let again = together(&["offers", "import", f, "--data-dir", d]);
    let said = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(
        said.contains("Imported 0 offers") && said.contains("2 already there"),
        "{said}"
    );
}

#[test]
fn people_come_in_from_a_spreadsheet_all_or_nothing_and_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    harbourview_pcn(d);
    let o = together(&[
        "practices",
        "add",
        "--data-dir",
        d,
        "B99001",
        "--name",
        "Quayside Surgery",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let file = dir.path().join("people.csv");
    let header = "First name,Surname,DOB,Practice,Contact preference,Phone,Email,NHS No,What matters,consent_contact,consent_method\n";
    std::fs::write(
        &file,
        format!(
            "{header}Florence,Ashworth,27/03/1933,B99001,phone,07700 900982,,999 000 0018,Singing again,yes,written\n\
             Mabel,Price,1950-02-01,B99009,letter,,,999 000 0019,,yes,\n"
        ),
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let refused = together(&["people", "import", "--data-dir", d, path]);
    let err = stderr(&refused);
    assert!(
        !refused.status.success() && !err.contains("panicked"),
        "{err}"
    );
    assert!(
        err.contains("1 of 2 rows rejected, so nothing was imported"),
        "{err}"
    );
    for said in ["line 3, nhs_number:", "line 3, consent_method:"] {
        assert!(err.contains(said), "{said}: {err}");
    }
    assert!(
        !err.contains("9990000019"),
        "an NHS number is never echoed whole: {err}"
    );

    std::fs::write(
        &file,
        format!(
            "{header}Florence,Ashworth,27/03/1933,B99001,phone,07700 900982,,999 000 0018,Singing again,yes,written\n\
             Mabel,Price,1950-02-01,B99001,letter,,,,,no,\n"
        ),
    )
    .unwrap();
    let first = together(&["people", "import", "--data-dir", d, path]);
    assert!(first.status.success(), "{}", stderr(&first));
    let said = String::from_utf8_lossy(&first.stdout);
    assert!(
        said.contains("Imported 2 people") && said.contains("0 already there"),
        "{said}"
    );
    let again = together(&["people", "import", "--data-dir", d, path]);
    let said = String::from_utf8_lossy(&again.stdout);
    assert!(
        said.contains("Imported 0 people") && said.contains("2 already there"),
        "{said}"
    );

    let unknown = dir.path().join("other.csv");
    std::fs::write(&unknown, "name,phone\nDave,07700 900123\n").unwrap();
    assert_clear_failure(
        &together(&[
            "people",
            "import",
            "--data-dir",
            d,
            unknown.to_str().unwrap(),
        ]),
        "found the columns name, phone",
    );
}

/// Done means for "did it help?": on the demo neighbourhood, whose connections were planted
/// with a true fall of a fifth among people with a busy year, the impact report recovers the
/// planted effect within its interval, next to a naive before-and-after figure that claims far
/// more; the connections made too recently to follow up are counted and explained, not
/// dropped; and the report written for sharing is disclosed, self-contained and names nobody.
#[test]
fn the_demo_impact_report_recovers_the_planted_effect_beside_the_inflated_naive_figure() {
    let dir = tempfile::tempdir().unwrap();
    let (mut demo, _) = start_demo(dir.path());
    demo.kill().unwrap();
    demo.wait().unwrap();
    let d = dir.path().to_str().unwrap();
    let json = together(&[
        "report",
        "impact",
        "--data-dir",
        d,
        "--format",
        "json",
        "--unsuppressed",
    ]);
    assert!(json.status.success(), "{}", stderr(&json));
    // The same data and settings give the same bytes in another process, whatever order
    // DataFusion's partitions arrived in: a board can be shown the same report twice.
    let again = together(&[
        "report",
        "impact",
        "--data-dir",
        d,
        "--format",
        "json",
        "--unsuppressed",
    ]);
    assert!(
        again.stdout == json.stdout,
        "two runs on the same data gave different reports"
    );
    let r: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let overall = &r["overall"];
    let gp = &overall["outcomes"][0];
    assert_eq!(gp["kind"], "gp_appointments");
    let (low, high) = (
        gp["relative"]["low"].as_f64().unwrap(),
        gp["relative"]["high"].as_f64().unwrap(),
    );
    assert!(
        low <= -0.2 && -0.2 <= high,
        "the planted fall of 20% is within [{low}, {high}]"
    );
    let (naive, did) = (
        gp["naive"]["value"].as_f64().unwrap(),
        gp["did"]["value"].as_f64().unwrap(),
    );
    assert!(
        naive < 2.0 * did && did < 0.0,
        "the naive figure ({naive}) claims far more than the honest one ({did})"
    );
    let counts = &overall["counts"];
    let n = |k: &str| counts[k]["value"].as_u64().unwrap();
    assert!(n("evaluated") >= 150, "{counts}");
    assert!(
        n("follow_up_incomplete") > 0,
        "this autumn's connections are counted: {counts}"
    );
    assert_eq!(
        n("connected"),
        n("connected") - n("linkable")
            + n("not_registered")
            + n("history_short")
            + n("follow_up_incomplete")
            + n("left_early")
            + n("unmatched")
            + n("evaluated"),
        "everyone connected is accounted for: {counts}"
    );
    assert!(
        r["money"]["return_per_pound"]["value"].is_number(),
        "costs were entered, so a return per £1"
    );
    assert!(r["wellbeing"][0]["both"]["value"].as_u64().unwrap() > 50);
    let practices: Vec<&str> = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["kind"] == "Practice")
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert!(
        practices.len() == 3
            && practices
                .iter()
                .all(|p| p.ends_with(')') && p.contains(" (")),
        "practices by name: {practices:?}"
    );
    let (from, to) = (
        r["money"]["period"][0].as_str().unwrap(),
        r["money"]["period"][1].as_str().unwrap(),
    );
    assert!(
        from.starts_with("2024") && to.starts_with("2024"),
        "the costs of the period the evaluated connections were made in: {from} to {to}"
    );

    let out = dir.path().join("impact.html");
    let html = together(&[
        "report",
        "impact",
        "--data-dir",
        d,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(html.status.success(), "{}", stderr(&html));
    let page = std::fs::read_to_string(&out).unwrap();
    assert!(page.contains("Did it help?") && page.contains("regression to the mean"));
    // Answer first: the answer in a sentence, with what it means in appointments and money,
    // before the naive figure and long before the method and the seed.
    let at = |s: &str| {
        page.find(s)
            .unwrap_or_else(|| panic!("{s} is not in the report"))
    };
    let answer = at("Connecting people cut their GP appointments by");
    assert!(answer < at("Counting only the connected people"));
    assert!(at("Counting only the connected people") < at("How it was worked out"));
    assert!(at("How it was worked out") < at("bootstrap resamples of the people (seed"));
    let sentence = &page[answer..answer + page[answer..].find("</strong>").unwrap()];
    assert!(
        sentence.contains("(95% interval: a cut of")
            || sentence.contains("(95% interval: from a cut of"),
        "an interval of shares in words: {sentence}"
    );
    assert!(
        sentence.contains("GP appointments freed in the year after")
            && sentence.contains("worth about £")
            && sentence.contains("against £"),
        "{sentence}"
    );
    assert!(
        !sentence.contains(".00"),
        "no pennies on an estimate: {sentence}"
    );
    assert!(
        ["&amp;", "&#38;"]
            .iter()
            .any(|amp| page.contains(&format!("Month by month: A{amp}E attendances"))),
        "a visible A&E series"
    );
    assert!(
        page.contains("Counts from 1 to 7 are not shown"),
        "disclosed for sharing by default"
    );
    assert!(
        !page.contains("<script") && !page.contains("src=\"http"),
        "self-contained"
    );
    assert!(!page.contains("Ashworth"), "nobody named");
    assert!(!page.contains("Not for sharing"));
    let exact = together(&[
        "report",
        "impact",
        "--data-dir",
        d,
        "--unsuppressed",
        "--format",
        "html",
    ]);
    assert!(
        String::from_utf8_lossy(&exact.stdout).contains("Not for sharing"),
        "exact figures say so"
    );
    let csv = together(&["report", "impact", "--data-dir", d, "--format", "csv"]);
    assert!(
        String::from_utf8_lossy(&csv.stdout).starts_with("section,group,measure,value,low,high")
    );
}

/// A PCN that connected people before it had Together brings its records in — NHS numbers
/// pseudonymised at the door, a bad row refusing the whole file with its line and column, the
/// same file again adding nothing — and the impact report evaluates those connections as it
/// evaluates the ones made here. On this small neighbourhood too, two runs in two processes give
/// the same bytes.
#[test]
fn past_connections_come_in_from_a_spreadsheet_and_are_evaluated_the_same_every_time() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let source = dir.path().join("neighbourhood");
    let ok = |o: Output| {
        assert!(o.status.success(), "{}", stderr(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    ok(together(&[
        "generate",
        "--patients",
        "1500",
        "--practices",
        "2",
        "--years",
        "3",
        "--end-year",
        "2025",
        "--seed",
        "4",
        "--plant-effect",
        "-0.3",
        "--out",
        source.to_str().unwrap(),
    ]));
    harbourview_pcn(d);
    for (code, name) in [("B99001", "Quayside Surgery"), ("B99002", "Harbour Street")] {
        ok(together(&[
            "practices",
            "add",
            "--data-dir",
            d,
            code,
            "--name",
            name,
        ]));
        ok(together(&[
            "practices",
            "data-sharing",
            code,
            "--data-dir",
            d,
        ]));
    }
    for dataset in ["registrations", "appointments", "conditions", "ae"] {
        let file = source.join(if dataset == "ae" {
            "ae_attendances.csv".to_owned()
        } else {
            format!("{dataset}.csv")
        });
        ok(together(&[
            "import",
            dataset,
            file.to_str().unwrap(),
            "--data-dir",
            d,
        ]));
    }

    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "NHS No,Practice,Service,Date connected\n\
         999 000 0018,B99001,Walking group,14/03/2024\n\
         999 000 0019,B99001,Walking group,2024-04-01\n",
    )
    .unwrap();
    let refused = together(&[
        "connections",
        "import",
        "--data-dir",
        d,
        bad.to_str().unwrap(),
    ]);
    assert_clear_failure(&refused, "1 of 2 rows rejected, so nothing was imported");
    assert!(
        stderr(&refused).contains("line 3, nhs_number:"),
        "{}",
        stderr(&refused)
    );

    let planted = source.join("connections.csv");
    let import = || {
        ok(together(&[
            "connections",
            "import",
            "--data-dir",
            d,
            planted.to_str().unwrap(),
        ]))
    };
    let first = import();
    assert!(
        first.contains("Imported ") && first.contains("0 already there"),
        "{first}"
    );
    let again = import();
    assert!(again.contains("Imported 0 past connections"), "{again}");
    let db = std::fs::read(data.join("together.sqlite")).unwrap();
    assert!(
        !db.windows(10).any(|w| w == b"9990000018"),
        "no NHS number is written"
    );

    let report = || {
        ok(together(&[
            "report",
            "impact",
            "--data-dir",
            d,
            "--format",
            "json",
            "--unsuppressed",
            "--resamples",
            "200",
        ]))
    };
    let (one, two) = (report(), report());
    assert!(
        one == two,
        "two runs on the same data gave different reports"
    );
    let r: serde_json::Value = serde_json::from_str(&one).unwrap();
    let evaluated = r["overall"]["counts"]["evaluated"]["value"]
        .as_u64()
        .unwrap();
    assert!(evaluated >= 20, "{}", r["overall"]["counts"]);
    let gp = &r["overall"]["outcomes"][0];
    assert!(
        gp["did"]["value"].as_f64().unwrap() < 0.0,
        "a planted fall of 30% is found: {gp}"
    );
    let groups: Vec<String> = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            format!(
                "{}: {}",
                g["kind"].as_str().unwrap(),
                g["name"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        groups.contains(&"Offer: Social prescribing".to_owned())
            && groups.contains(
                &"How they came: Not known: from the PCN's records before Together".to_owned()
            ),
        "{groups:?}"
    );
}

/// Logs carry no person: the demo sends its reminders, loan notices and invitations (recorded
/// in the outbox and logged), and no one's name, nor first name and initial, is in its log.
#[test]
fn the_demos_log_names_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("demo.log");
    let (mut demo, _) = start_demo_logging(dir.path(), Some(&log));
    let started = Instant::now();
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("message recorded in the outbox")
        && started.elapsed() < Duration::from_secs(60)
    {
        std::thread::sleep(Duration::from_millis(250));
    }
    // Let the delivery task work through what is waiting.
    std::thread::sleep(Duration::from_secs(3));
    demo.kill().unwrap();
    demo.wait().unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.matches("message recorded in the outbox").count() > 10,
        "the demo's messages are logged"
    );
    let people = dir.path().join("demo-source").join("registrations.csv");
    let mut checked = 0;
    for row in csv::Reader::from_path(people).unwrap().records() {
        let row = row.unwrap();
        let (given, family) = (&row[2], &row[3]);
        let initial = family.chars().next().unwrap();
        for name in [format!("{given} {family}"), format!("{given} {initial}.")] {
            assert!(!text.contains(&name), "{name} is in the log");
        }
        checked += 1;
    }
    assert!(checked > 5000);
}

/// Files at rest are Together's alone: what it writes is 0600 in 0700 folders, and anything in
/// the data directory that others could read is made private the next time it starts.
#[test]
fn the_data_directory_is_readable_by_together_alone() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    harbourview_pcn(d);
    let modes = |root: &Path| -> Vec<(String, u32)> {
        let mut out = Vec::new();
        let mut todo = vec![root.to_path_buf()];
        while let Some(p) = todo.pop() {
            let meta = std::fs::symlink_metadata(&p).unwrap();
            out.push((p.display().to_string(), meta.permissions().mode() & 0o777));
            if meta.is_dir() {
                todo.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
            }
        }
        out
    };
    let open: Vec<_> = modes(&data)
        .into_iter()
        .filter(|(_, m)| m & 0o077 != 0)
        .collect();
    assert!(open.is_empty(), "readable by others: {open:?}");
    assert!(data.join("together.sqlite").exists());

    // Left wider by an older version or a copy: repaired at the next start, with a log line.
    let db = data.join("together.sqlite");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let listed = Command::new(env!("CARGO_BIN_EXE_together"))
        .args(["practices", "list", "--data-dir", d])
        .env("TOGETHER_LOG", "info")
        .output()
        .unwrap();
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert!(
        stderr(&listed).contains("readable by Together alone"),
        "{}",
        stderr(&listed)
    );
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!((mode(&db), mode(&data)), (0o600, 0o700));
}

/// A GET with a bearer token against a server this test started: the status and the body.
fn get_with_token(base: &str, path: &str, token: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let addr = base
        .trim_start_matches("http://")
        .replace("localhost", "127.0.0.1");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// What a restore must give back, read through the command line and the API: the attendance
/// profile, the impact report, the imports, the users and one person's record.
fn instance_view(d: &str, base: &str, token: &str, person: &str) -> Vec<String> {
    let out = |args: &[&str]| {
        let o = together(args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let (status, record) = get_with_token(base, &format!("/api/v1/people/{person}"), token);
    assert_eq!(status, 200, "{record}");
    vec![
        out(&[
            "analyse",
            "profile",
            "--data-dir",
            d,
            "--from",
            "2020-01-01",
            "--to",
            "2026-12-31",
            "--format",
            "json",
            "--unsuppressed",
        ]),
        out(&[
            "report",
            "impact",
            "--data-dir",
            d,
            "--format",
            "json",
            "--unsuppressed",
        ]),
        out(&["import", "list", "--data-dir", d]),
        record,
    ]
}

/// A server on an existing (demo) data directory, and the address it prints.
fn start_serving(dir: &Path) -> (std::process::Child, String) {
    let d = dir.to_str().unwrap();
    start_server(
        &["serve", "--data-dir", d, "--port", "0", "--allow-demo"],
        None,
        "Together is running at ",
    )
}

/// The restore drill: an instance with people, champions, imports and connections is backed up
/// while it runs and is written to, restored into a new folder with its keys, and gives back the
/// same profile, impact report, imports and person's record. A damaged backup is refused whole.
#[test]
fn a_whole_backup_taken_under_writes_restores_the_instance_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let original = dir.path().join("original");
    let d = original.to_str().unwrap();
    let (mut demo, url) = start_demo(&original);
    let creds = std::fs::read_to_string(original.join("demo-credentials.txt")).unwrap();
    let email = creds
        .lines()
        .find(|l| l.starts_with("link_worker "))
        .and_then(|l| l.split(' ').nth(1))
        .unwrap()
        .to_owned();
    let token = together(&["users", "token", "--data-dir", d, "--email", &email]);
    assert!(token.status.success(), "{}", stderr(&token));
    let token = String::from_utf8_lossy(&token.stdout).trim().to_owned();
    let person = ["an", "ar", "el", "er", "ia", "ie", "on"]
        .iter()
        .find_map(|q| {
            let (status, body) = get_with_token(&url, &format!("/api/v1/people?q={q}"), &token);
            assert_eq!(status, 200, "{body}");
            let found: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
            found
                .iter()
                .filter_map(|p| p["id"].as_str())
                .find(|id| get_with_token(&url, &format!("/api/v1/people/{id}"), &token).0 == 200)
                .map(str::to_owned)
        })
        .expect("the link worker finds someone on their caseload in the demo");
    let before = instance_view(d, &url, &token, &person);

    // Writes go on while the backup is taken: colleagues are added.
    let writer = {
        let d = d.to_owned();
        std::thread::spawn(move || {
            for i in 0..6 {
                let o = together(&[
                    "users",
                    "add",
                    "--data-dir",
                    &d,
                    "--email",
                    &format!("colleague{i}@harbourview.example"),
                    "--name",
                    &format!("Colleague {i}"),
                    "--role",
                    "analyst",
                ]);
                assert!(o.status.success(), "{}", stderr(&o));
            }
        })
    };
    let backup = dir.path().join("backups").join("monday");
    let b = together(&["backup", "--data-dir", d, "--to", backup.to_str().unwrap()]);
    writer.join().unwrap();
    assert!(b.status.success(), "{}", stderr(&b));
    let said = String::from_utf8_lossy(&b.stdout).to_string();
    assert!(said.contains("not in the backup"), "{said}");
    assert!(
        !backup.join("keys").exists(),
        "the keys are never in a backup"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(backup.join("manifest.json")).unwrap()).unwrap();
    let files: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(files.contains(&"together.sqlite"), "{files:?}");
    assert!(
        files.iter().any(|f| f.ends_with(".parquet"))
            && files.iter().any(|f| f.ends_with("patient-index.sealed")),
        "Insight's files and the sealed patient index are in it: {files:?}"
    );
    assert!(files.iter().all(|f| !f.starts_with("keys")));
    demo.kill().unwrap();
    demo.wait().unwrap();

    // Restored into a new folder, with the keys kept apart from the backup.
    let restored = dir.path().join("restored");
    std::fs::create_dir_all(restored.join("keys")).unwrap();
    for key in std::fs::read_dir(original.join("keys")).unwrap() {
        let key = key.unwrap();
        std::fs::copy(key.path(), restored.join("keys").join(key.file_name())).unwrap();
    }
    let r_dir = restored.to_str().unwrap();
    // A backup changed after it was written is refused whole, and nothing is touched.
    let parquet = files.iter().find(|f| f.ends_with(".parquet")).unwrap();
    let damaged = dir.path().join("damaged");
    copy_tree(&backup, &damaged);
    let mut bytes = std::fs::read(damaged.join(parquet)).unwrap();
    let last = bytes.len() - 20;
    bytes[last] ^= 0xff;
    std::fs::write(damaged.join(parquet), bytes).unwrap();
    assert_clear_failure(
        &together(&[
            "restore",
            "--data-dir",
            r_dir,
            "--from",
            damaged.to_str().unwrap(),
        ]),
        "is damaged",
    );
    assert!(!restored.join("together.sqlite").exists());

    let r = together(&[
        "restore",
        "--data-dir",
        r_dir,
        "--from",
        backup.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", stderr(&r));
    let (mut server, restored_url) = start_serving(&restored);
    let after = instance_view(r_dir, &restored_url, &token, &person);
    server.kill().unwrap();
    server.wait().unwrap();
    let names = [
        "the profile",
        "the impact report",
        "the imports",
        "the person's record",
    ];
    for ((b, a), what) in before.iter().zip(&after).zip(names) {
        assert!(b == a, "{what} differs after the restore:\n{b}\n---\n{a}");
    }
    assert!(
        before[2].lines().count() > 1,
        "the demo has imports: {}",
        before[2]
    );
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// On PostgreSQL a whole backup holds a `pg_dump` of the database beside the Insight files, and
/// restores into another database and folder: the same profile and imports, and the original
/// file is known there as already imported.
#[test]
fn a_whole_backup_on_postgres_restores_into_another_database() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (src, dst) = rt.block_on(async {
        let fresh = || async {
            together_store::testing::fresh_postgres_url()
                .await
                .expect("PostgreSQL must answer for these tests (TOGETHER_TEST_POSTGRES_URL)")
        };
        (fresh().await, fresh().await)
    });
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("neighbourhood");
    let ok = |args: &[&str]| {
        let o = together(args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    ok(&[
        "generate",
        "--patients",
        "300",
        "--practices",
        "1",
        "--years",
        "2",
        "--end-year",
        "2025",
        "--seed",
        "7",
        "--out",
        source.to_str().unwrap(),
    ]);
    let original = dir.path().join("original");
    let d = original.to_str().unwrap();
    ok(&[
        "bootstrap-admin",
        "--data-dir",
        d,
        "--database-url",
        &src,
        "--email",
        "admin@harbourview.example",
        "--name",
        "Priya Shah",
        "--pcn-name",
        "Harbourview PCN",
    ]);
    ok(&[
        "practices",
        "add",
        "--data-dir",
        d,
        "--database-url",
        &src,
        "B99001",
        "--name",
        "Quayside Surgery",
    ]);
    ok(&[
        "practices",
        "data-sharing",
        "B99001",
        "--data-dir",
        d,
        "--database-url",
        &src,
    ]);
    let registrations = source.join("registrations.csv");
    for file in [registrations.clone(), source.join("appointments.csv")] {
        let dataset = file.file_stem().unwrap().to_str().unwrap();
        ok(&[
            "import",
            dataset,
            file.to_str().unwrap(),
            "--data-dir",
            d,
            "--database-url",
            &src,
        ]);
    }
    let view = |d: &str, url: &str| {
        vec![
            ok(&[
                "analyse",
                "profile",
                "--data-dir",
                d,
                "--database-url",
                url,
                "--from",
                "2024-01-01",
                "--to",
                "2025-12-31",
                "--format",
                "json",
                "--unsuppressed",
            ]),
            ok(&["import", "list", "--data-dir", d, "--database-url", url]),
        ]
    };
    let before = view(d, &src);
    assert!(
        before[1].contains("registrations") && before[1].contains("appointments"),
        "{}",
        before[1]
    );

    let backup = dir.path().join("backup");
    ok(&[
        "backup",
        "--data-dir",
        d,
        "--database-url",
        &src,
        "--to",
        backup.to_str().unwrap(),
    ]);
    let manifest = std::fs::read_to_string(backup.join("manifest.json")).unwrap();
    assert!(
        manifest.contains("\"database.pgdump\"") && manifest.contains("patient-index.sealed"),
        "{manifest}"
    );

    let restored = dir.path().join("restored");
    std::fs::create_dir_all(restored.join("keys")).unwrap();
    for key in std::fs::read_dir(original.join("keys")).unwrap() {
        let key = key.unwrap();
        std::fs::copy(key.path(), restored.join("keys").join(key.file_name())).unwrap();
    }
    let r = restored.to_str().unwrap();
    assert_clear_failure(
        &together(&[
            "restore",
            "--data-dir",
            r,
            "--from",
            backup.to_str().unwrap(),
        ]),
        "holds a PostgreSQL dump",
    );
    // The database to restore into is the one the instance's settings name, as for serve.
    std::fs::write(
        restored.join("together.toml"),
        format!("database_url = \"{dst}\"\n"),
    )
    .unwrap();
    ok(&[
        "restore",
        "--data-dir",
        r,
        "--from",
        backup.to_str().unwrap(),
    ]);
    assert_eq!(before, view(r, &dst));
    let again = ok(&[
        "import",
        "registrations",
        registrations.to_str().unwrap(),
        "--data-dir",
        r,
        "--database-url",
        &dst,
    ]);
    assert!(again.contains("was already imported"), "{again}");
}

#[path = "cli/architecture.rs"]
mod architecture;
