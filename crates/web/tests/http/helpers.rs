//! Spawns the real application on an ephemeral port with a fresh database (the zero2prod
//! pattern) and a client that keeps its own cookies, so tests see exactly what a browser sees.

use reqwest::header::{HeaderMap, COOKIE, SET_COOKIE};
use reqwest::{redirect, StatusCode};
use std::collections::HashMap;
use std::sync::Arc;
use time::macros::datetime;
use together_core::audit::AuditAction;
use together_core::clock::FakeClock;
use together_core::password::hash_password;
use together_core::people::PersonForm;
use together_core::{PcnId, PersonId, PracticeId, PseudonymKey, Role, UserId};
use together_insight::patient_index::IndexKey;
use together_store::{DynStore, NewAuditEvent, NewToken, NewUser, TokenKind, UserStatus};
use together_web::delivery::LogDelivery;
use together_web::{AppState, InstanceKeys, WebConfig};

pub const PASSWORD: &str = "kettle violin orchard";

/// The database a test application runs on.
pub use together_store::testing::Backend as Db;

pub struct TestApp {
    pub base: String,
    pub store: DynStore,
    pub clock: FakeClock,
    pub pcn: PcnId,
    pub practices: Vec<PracticeId>,
    pub users: HashMap<Role, (UserId, String)>,
    pub data_dir: std::path::PathBuf,
    /// The running application's state, for work it does in the background (reminders).
    pub state: AppState,
    _dir: tempfile::TempDir,
}

/// What the tests' own set-up records in the audit trail.
pub fn audit(pcn: PcnId) -> NewAuditEvent {
    together_store::testing::audit(pcn, AuditAction::Setup)
}

/// A fresh store of the backend, in (or beside) a fresh data folder.
async fn fresh_store(db: Db) -> (tempfile::TempDir, DynStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = match db {
        Db::Sqlite => together_store::testing::fresh_sqlite(dir.path())
            .await
            .expect("sqlite"),
        Db::Postgres => together_store::testing::fresh_postgres()
            .await
            .expect("PostgreSQL must answer for these tests (TOGETHER_TEST_POSTGRES_URL)"),
    };
    (dir, store)
}

/// What a test application is served with: its PCN, practices and users, and its clock.
struct World {
    pcn: PcnId,
    practices: Vec<PracticeId>,
    users: HashMap<Role, (UserId, String)>,
    clock: FakeClock,
}

/// The keys every test application uses (fixed, so tests can pseudonymise as the app does).
fn test_keys() -> InstanceKeys {
    InstanceKeys {
        secret: vec![42u8; 32],
        pseudonym: PseudonymKey::new(1, vec![7u8; 32]).unwrap(),
        index: IndexKey::new(&[5u8; 32]).unwrap(),
    }
}

pub struct Options {
    pub db: Db,
    pub demo: bool,
    pub sign_in_failures_per_address: usize,
    pub upload_limit: usize,
    pub trusted_proxies: Vec<&'static str>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            db: Db::Sqlite,
            demo: true,
            sign_in_failures_per_address: 1000,
            upload_limit: WebConfig::default().upload_limit,
            trusted_proxies: Vec::new(),
        }
    }
}

impl TestApp {
    pub async fn spawn(db: Db) -> Self {
        Self::with(Options {
            db,
            ..Options::default()
        })
        .await
    }

    /// One PCN with two practices and one active user per role (the clinician at practice 0).
    pub async fn with(o: Options) -> Self {
        let (dir, store) = fresh_store(o.db).await;
        let now = datetime!(2026-11-24 09:00 UTC);
        let pcn = store
            .create_pcn("Harbourview PCN", None, now)
            .await
            .unwrap();
        let mut practices = Vec::new();
        for (code, name) in [("B99001", "Quayside Surgery"), ("B99002", "Harbour Lane")] {
            practices.push(
                store
                    .add_practice(pcn, &code.parse().unwrap(), name, &audit(pcn), now)
                    .await
                    .unwrap(),
            );
        }
        let hash = hash_password(PASSWORD).unwrap();
        let mut users = HashMap::new();
        for role in Role::ALL {
            let email = format!("{}@harbourview.example", role.as_str().replace('_', "-"));
            let new = NewUser {
                pcn_id: pcn,
                email: email.parse().unwrap(),
                display_name: format!("Test {}", role.label()),
                role,
                practice_id: role.needs_practice().then(|| practices[0]),
                status: UserStatus::Active,
                password_hash: Some(hash.clone()),
            };
            users.insert(
                role,
                (
                    store.create_user(&new, &audit(pcn), now).await.unwrap(),
                    email,
                ),
            );
        }
        let world = World {
            pcn,
            practices,
            users,
            clock: FakeClock::at(now),
        };
        Self::serve(dir, store, world, o).await
    }

    /// Harbourview PCN as `together demo` builds it (`people` registered people), served as the
    /// demo serves it, with the sign-ins the demo made; the clock reads the real time, as the
    /// demo's does.
    pub async fn demo_world(db: Db, people: u64) -> (Self, Vec<together_demo::SignIn>) {
        let (dir, store) = fresh_store(db).await;
        let keys = test_keys();
        let sign_ins = together_demo::build(
            &store,
            dir.path(),
            together_demo::Keys {
                pseudonym: &keys.pseudonym,
                index: &keys.index,
            },
            together_demo::Size { people, seed: 1 },
        )
        .await
        .expect("the demo builds");
        let pcn = store.pcns().await.unwrap()[0].id;
        let practices = store
            .practices(pcn)
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.id)
            .collect();
        let mut users = HashMap::new();
        for (role, email, _) in &sign_ins {
            let user = store
                .user_by_email(&email.parse().unwrap())
                .await
                .unwrap()
                .expect("a demo user");
            users.insert(*role, (user.id, email.clone()));
        }
        let world = World {
            pcn,
            practices,
            users,
            clock: FakeClock::at(together_core::Clock::now(&together_core::SystemClock)),
        };
        let app = Self::serve(dir, store, world, Options::default()).await;
        (app, sign_ins)
    }

    /// Serves `store` on a free port with the test keys and `o`'s settings.
    async fn serve(dir: tempfile::TempDir, store: DynStore, world: World, o: Options) -> Self {
        let World {
            pcn,
            practices,
            users,
            clock,
        } = world;
        let config = WebConfig {
            demo: o.demo,
            sign_in_failures_per_address: o.sign_in_failures_per_address,
            trusted_proxies: together_web::parse_trusted(
                &o.trusted_proxies
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>(),
            )
            .unwrap(),
            upload_limit: o.upload_limit,
            ..WebConfig::default()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let config = WebConfig {
            public_url: format!("http://127.0.0.1:{port}"),
            ..config
        };
        let state = AppState::new(
            store.clone(),
            dir.path().to_owned(),
            Arc::new(clock.clone()),
            test_keys(),
            config,
            Arc::new(LogDelivery),
        );
        tokio::spawn(together_web::serve(state.clone(), listener));
        Self {
            base: format!("http://127.0.0.1:{port}"),
            store,
            clock,
            pcn,
            practices,
            users,
            data_dir: dir.path().to_owned(),
            state,
            _dir: dir,
        }
    }

    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }

    /// Adds "<given> Ashworth", born 27 March 1933, phone 07700 900982, at one of the practices.
    pub async fn add_person(&self, practice: usize, given: &str) -> PersonId {
        let form = PersonForm {
            given_name: given.into(),
            family_name: "Ashworth".into(),
            date_of_birth: "27/03/1933".into(),
            practice_id: self.practices[practice].to_string(),
            contact_preference: "phone".into(),
            phone: "07700 900982".into(),
            ..PersonForm::default()
        };
        let p = form.parse(datetime!(2026-11-24 09:00 UTC)).unwrap();
        self.store
            .create_person(self.pcn, &p, None, None, &audit(self.pcn))
            .await
            .unwrap()
    }

    /// A fresh API token for the role's user, valid for a day from the test clock's now.
    /// Sends a public form (`/join`, `/pledge`) as a person without an account would: the form
    /// read, a moment taken, its stamp and PCN sent back with `fields`.
    pub async fn post_public_form(&self, path: &str, fields: &[(&str, &str)]) -> Res {
        let mut person = self.client();
        let form = person.get(path).await;
        assert_eq!(form.status, StatusCode::OK);
        let stamp = hidden(&form.body, "stamp");
        let pcn = hidden(&form.body, "pcn");
        self.clock.advance(time::Duration::seconds(20));
        let mut all = vec![("stamp", stamp.as_str()), ("pcn", pcn.as_str())];
        all.extend_from_slice(fields);
        person.post(path, &all).await
    }

    pub async fn api_token(&self, role: Role) -> String {
        use together_core::Clock as _;
        let token = together_core::tokens::random_token();
        let now = self.clock.now();
        self.store
            .create_token(&NewToken {
                token_hash: together_core::tokens::hash_token(&token),
                user_id: self.users[&role].0,
                kind: TokenKind::Api,
                label: "test".into(),
                created_at: now,
                expires_at: now + time::Duration::days(1),
            })
            .await
            .unwrap();
        token
    }

    /// A client signed in (password only; in demo mode that is all) as the given role.
    pub async fn signed_in(&self, role: Role) -> Client {
        let mut c = self.client();
        let res = c.sign_in(&self.users[&role].1, PASSWORD).await;
        assert_eq!(
            res.status,
            StatusCode::SEE_OTHER,
            "sign-in as {role} failed: {}",
            res.body
        );
        c
    }
}

/// What a response said.
pub struct Res {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Res {
    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect()
    }
}

/// An HTTP client with a cookie jar of its own, no redirects followed.
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    pub cookies: HashMap<String, String>,
    pub bearer: Option<String>,
    /// Sent as X-Forwarded-For, as a reverse proxy in front of Together would.
    pub forwarded_for: Option<String>,
}

impl Client {
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .redirect(redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            base: base.to_owned(),
            http,
            cookies: HashMap::new(),
            bearer: None,
            forwarded_for: None,
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&mut self, req: reqwest::RequestBuilder) -> Res {
        let mut req = req;
        if !self.cookies.is_empty() {
            req = req.header(COOKIE, self.cookie_header());
        }
        if let Some(t) = &self.bearer {
            req = req.bearer_auth(t);
        }
        if let Some(f) = &self.forwarded_for {
            req = req.header("x-forwarded-for", f);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        for c in headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            let first = c.split(';').next().unwrap_or("");
            if let Some((k, v)) = first.split_once('=') {
                if v.is_empty() || c.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        let body = res.text().await.unwrap_or_default();
        Res {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&mut self, path: &str) -> Res {
        let req = self.http.get(format!("{}{path}", self.base));
        self.finish(req).await
    }

    /// Posts a form as a browser on this site would (same origin), adding the CSRF token.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Res {
        let token = self.csrf().await;
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all, Some(&self.base.clone())).await
    }

    /// Posts exactly these fields with this Origin (or none).
    pub async fn post_raw(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        origin: Option<&str>,
    ) -> Res {
        let mut req = self.http.post(format!("{}{path}", self.base)).form(fields);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        self.finish(req).await
    }

    /// Uploads a multipart form as a browser on this site would (same origin); the caller puts
    /// the CSRF token where the form does (first).
    pub async fn post_multipart(&mut self, path: &str, form: reqwest::multipart::Form) -> Res {
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("origin", self.base.clone())
            .multipart(form);
        self.finish(req).await
    }

    /// Uploads `csv` as a spreadsheet page's one file (field `file`), with the CSRF token.
    pub async fn post_csv(&mut self, path: &str, csv: &str) -> Res {
        use reqwest::multipart::{Form, Part};
        let token = self.csrf().await;
        let file = Part::bytes(csv.as_bytes().to_vec()).file_name("spreadsheet.csv");
        self.post_multipart(
            path,
            Form::new().text("csrf_token", token).part("file", file),
        )
        .await
    }

    pub async fn post_json(&mut self, path: &str, body: &serde_json::Value) -> Res {
        let req = self.http.post(format!("{}{path}", self.base)).json(body);
        self.finish(req).await
    }

    /// The CSRF token the site gives this client's session, read from a page's form.
    pub async fn csrf(&mut self) -> String {
        let page = self.get("/privacy").await;
        csrf_from(&page.body).expect("the page has a CSRF token")
    }

    pub async fn sign_in(&mut self, email: &str, password: &str) -> Res {
        self.get("/sign-in").await;
        self.post("/sign-in", &[("email", email), ("password", password)])
            .await
    }
}

/// Reads the token every page carries in `<meta name="csrf-token">`.
pub fn csrf_from(html: &str) -> Option<String> {
    let marker = "<meta name=\"csrf-token\" content=\"";
    let at = html.find(marker)? + marker.len();
    Some(html[at..].chars().take_while(|c| *c != '"').collect())
}

/// Runs a test body against SQLite and PostgreSQL: each builds a whole application on its
/// [`Db`].
#[macro_export]
macro_rules! on_both {
    ($name:ident) => {
        together_store::on_both!($name, backend);
    };
}

/// An active group offer of the test PCN, "Harbourview singing group".
pub async fn a_singing_group(app: &TestApp) -> together_core::ServiceId {
    let offer = together_core::offers::OfferForm::from_fields(
        &[
            ("name", "Harbourview singing group"),
            ("description", "Sing together on Tuesday mornings."),
            ("offer_kind", "group"),
            ("offer_status", "active"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    )
    .parse()
    .unwrap();
    app.store
        .add_offer(app.pcn, &offer, &audit(app.pcn))
        .await
        .unwrap()
}

/// The value of a hidden field of a form on the page (a public form's stamp, say).
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = html.find(&marker).map(|i| i + marker.len()).unwrap_or(0);
    html[at..].chars().take_while(|c| *c != '"').collect()
}
