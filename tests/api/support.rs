//! Spawning the app on a fresh database, and a small HTTP client speaking its contract.
#![allow(dead_code)]

use std::net::TcpListener;
use std::sync::OnceLock;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

pub const PASSWORD: &str = "Zhaoshang-2026";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs a test body on both backends: `both!(name, |app| async move { ... })`.
macro_rules! both {
    ($name:ident, |$app:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $app = $crate::support::TestApp::spawn($crate::support::Backend::Sqlite).await;
                $body.await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let $app = $crate::support::TestApp::spawn($crate::support::Backend::Postgres).await;
                $body.await;
            }
        }
    };
}

/// The server URL of PostgreSQL for tests. Asking for PostgreSQL when it is unreachable fails
/// the test: it never skips quietly.
fn pg_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn pg_url_for(db: &str) -> String {
    let admin = pg_admin_url();
    let base = admin.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap_or(admin);
    format!("{base}/{db}")
}

fn pg_exec(sql: &str) {
    use diesel::{Connection, RunQueryDsl};
    let mut c = diesel::PgConnection::establish(&pg_admin_url())
        .unwrap_or_else(|e| panic!("PostgreSQL for tests is not reachable at {}: {e}", pg_admin_url()));
    diesel::sql_query(sql).execute(&mut c).unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// The migrated template every test database is cloned from, named after the migrations'
/// content so a changed migration makes a new one. Built once, under an advisory lock.
fn pg_template() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        use diesel::{Connection, RunQueryDsl};
        use sha2_lite::digest;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/postgres");
        let mut entries: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        let mut all = String::new();
        for e in entries {
            all.push_str(&std::fs::read_to_string(e.join("up.sql")).unwrap());
        }
        let name = format!("zs_template_{}", digest(&all));
        let mut admin = diesel::PgConnection::establish(&pg_admin_url())
            .unwrap_or_else(|e| panic!("PostgreSQL for tests is not reachable at {}: {e}", pg_admin_url()));
        diesel::sql_query("SELECT pg_advisory_lock(72620431)").execute(&mut admin).unwrap();
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let exists: Vec<N> =
            diesel::sql_query(format!("SELECT count(*) AS n FROM pg_database WHERE datname = '{name}'"))
                .load(&mut admin)
                .unwrap();
        if exists[0].n == 0 {
            let building = format!("{name}_build");
            diesel::sql_query(format!("DROP DATABASE IF EXISTS {building}")).execute(&mut admin).unwrap();
            diesel::sql_query(format!("CREATE DATABASE {building}")).execute(&mut admin).unwrap();
            {
                let cfg = zhaoshang::Config::for_database(&pg_url_for(&building));
                let (pool, _) = zhaoshang::open_database(&cfg).unwrap();
                drop(pool);
            }
            diesel::sql_query(format!("ALTER DATABASE {building} RENAME TO {name}")).execute(&mut admin).unwrap();
        }
        diesel::sql_query("SELECT pg_advisory_unlock(72620431)").execute(&mut admin).unwrap();
        name
    })
}

/// A tiny stable hash for naming (FNV-1a, hex).
mod sha2_lite {
    pub fn digest(s: &str) -> String {
        let mut h: u64 = 0xcbf29ce484222325;
        for b in s.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100000001b3);
        }
        format!("{h:016x}")
    }
}

/// Removes the test's database when the test ends.
enum DbGuard {
    Sqlite(std::path::PathBuf),
    Postgres(String),
    /// A second instance on another test's database: that test removes it.
    Shared,
}

impl Drop for DbGuard {
    fn drop(&mut self) {
        match self {
            DbGuard::Sqlite(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            DbGuard::Shared => {}
            DbGuard::Postgres(name) => {
                let name = name.clone();
                // Drop from a plain thread: this may run inside the async runtime.
                let _ = std::thread::spawn(move || {
                    use diesel::{Connection, RunQueryDsl};
                    if let Ok(mut c) = diesel::PgConnection::establish(&pg_admin_url()) {
                        let _ =
                            diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c);
                    }
                })
                .join();
            }
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub backend: Backend,
    pub database_url: String,
    pub admin_token: String,
    server: actix_web::dev::ServerHandle,
    _db: DbGuard,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let h = self.server.clone();
        drop(tokio::spawn(async move { h.stop(false).await }));
    }
}

/// A response, read whole.
pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.text);
        self
    }

    /// Asserts a problem+json answer with this status and code.
    #[track_caller]
    pub fn problem(self, status: u16, code: &str) -> Self {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.text);
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/problem+json"),
            "not problem+json: {}",
            self.text
        );
        assert_eq!(self.body["code"], code, "unexpected code; body: {}", self.text);
        assert_eq!(self.body["status"], status);
        assert!(self.body["request_id"].as_str().is_some_and(|s| !s.is_empty()));
        self
    }

    pub fn id(&self) -> String {
        self.body["id"].as_str().unwrap_or_else(|| panic!("no id in {}", self.text)).to_owned()
    }
}

pub struct Settings {
    pub refresh_grace_secs: u64,
    pub body_limit: usize,
    pub late_entry_hours: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { refresh_grace_secs: 30, body_limit: 1024 * 1024, late_entry_hours: 24 }
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, Settings::default()).await
    }

    pub async fn spawn_with(backend: Backend, settings: Settings) -> TestApp {
        let (url, guard) = match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("zs-test-{}", uuid::Uuid::now_v7().simple()));
                std::fs::create_dir_all(&dir).unwrap();
                (format!("sqlite://{}", dir.join("test.db").display()), DbGuard::Sqlite(dir))
            }
            Backend::Postgres => {
                let template = pg_template();
                let name = format!("zs_test_{}", uuid::Uuid::now_v7().simple());
                pg_exec(&format!("CREATE DATABASE {name} TEMPLATE {template}"));
                (pg_url_for(&name), DbGuard::Postgres(name))
            }
        };
        let mut cfg = zhaoshang::Config::for_database(&url);
        cfg.refresh_grace_secs = settings.refresh_grace_secs;
        cfg.body_limit = settings.body_limit;
        cfg.late_entry_hours = settings.late_entry_hours;
        let cfg2 = cfg.clone();
        let prepared = tokio::task::spawn_blocking(move || zhaoshang::prepare(&cfg2)).await.unwrap().unwrap();
        // The platform operator every test starts from.
        let pool = prepared.state.pool.clone();
        tokio::task::spawn_blocking(move || {
            let hash = zs_http::auth::hash_secret(PASSWORD).unwrap();
            let mut conn = pool.get().unwrap();
            zs_persistence::db::write_tx(&mut conn, |c| {
                let caller = zs_domain_caller();
                let org = zs_persistence::orgs::create(
                    c,
                    &caller,
                    zs_persistence::orgs::NewOrganization {
                        id: None,
                        parent_id: None,
                        level: zs_domain::org::OrgLevel::Province,
                        name: "平台运维".to_owned(),
                        short_code: "PLATFORM".to_owned(),
                        region_code: zs_domain::org::RegionCode::parse("/r", "110000").unwrap(),
                        time_zone: "Asia/Shanghai".to_owned(),
                    },
                )?;
                zs_persistence::users::create(
                    c,
                    None,
                    zs_persistence::users::NewUser {
                        id: None,
                        organization_id: org.id,
                        username: "root".to_owned(),
                        display_name: "root".to_owned(),
                        phone: None,
                        email: None,
                        password_hash: hash,
                        roles: vec![zs_domain::auth::Role::Sysadmin],
                    },
                )
            })
            .unwrap();
        })
        .await
        .unwrap();
        // Idle connections are dropped before the server's keep-alive (5 s) closes them, so a
        // test that pauses (seeding, waiting) never sends on a connection the server is closing.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(std::time::Duration::from_secs(2))
            .build()
            .unwrap();
        Self::serve(prepared, &cfg, backend, client, guard).await
    }

    /// Starts the server of `prepared` on a free port and logs the platform operator in.
    async fn serve(
        prepared: zhaoshang::Prepared,
        cfg: &zhaoshang::Config,
        backend: Backend,
        client: reqwest::Client,
        guard: DbGuard,
    ) -> TestApp {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = zhaoshang::server(prepared, listener, cfg).unwrap();
        let handle = server.handle();
        tokio::spawn(server);
        let mut app = TestApp {
            base: format!("http://127.0.0.1:{port}"),
            client,
            backend,
            database_url: cfg.database_url.clone(),
            admin_token: String::new(),
            server: handle,
            _db: guard,
        };
        app.admin_token = app.login("root", PASSWORD).await;
        app
    }

    /// A second server on the same database, as a second instance behind a load balancer: its
    /// own pool, process state and signing key; only the database is shared.
    pub async fn second_instance(&self) -> TestApp {
        let cfg = zhaoshang::Config::for_database(&self.database_url);
        let cfg2 = cfg.clone();
        let prepared = tokio::task::spawn_blocking(move || zhaoshang::prepare(&cfg2)).await.unwrap().unwrap();
        Self::serve(prepared, &cfg, self.backend, self.client.clone(), DbGuard::Shared).await
    }

    /// Sends a request; `token` is a bearer token, `body` JSON.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut req = self.client.request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.unwrap();
        Self::read(res).await
    }

    pub async fn read(res: reqwest::Response) -> Resp {
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp { status, headers, body, text }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.call(Method::GET, path, Some(token), None, &[]).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::POST, path, Some(token), Some(body), &[]).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::PATCH, path, Some(token), Some(body), &[]).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Resp {
        self.call(Method::DELETE, path, Some(token), None, &[]).await
    }

    /// Logs in and returns the access token.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let r = self
            .call(Method::POST, "/v1/auth/login", None, Some(json!({"username": username, "password": password})), &[])
            .await
            .expect(200);
        r.body["access_token"].as_str().unwrap().to_owned()
    }

    /// Creates an organization as the platform operator.
    pub async fn org(&self, parent: Option<&str>, level: &str, code: &str) -> String {
        let mut body =
            json!({"level": level, "name": format!("{code} 投资促进局"), "short_code": code, "region_code": "533102"});
        if let Some(p) = parent {
            body["parent_id"] = json!(p);
        }
        self.post("/v1/organizations", &self.admin_token, body).await.expect(201).id()
    }

    /// Creates a user with one role in an organization (as the platform operator) and logs in.
    pub async fn user(&self, org: &str, username: &str, role: &str) -> (String, String) {
        let id = self
            .post(
                "/v1/users",
                &self.admin_token,
                json!({"organization_id": org, "username": username, "display_name": username, "password": PASSWORD, "roles": [role]}),
            )
            .await
            .expect(201)
            .id();
        (id, self.login(username, PASSWORD).await)
    }
}

fn zs_domain_caller() -> zs_domain_reexport::Caller {
    zs_domain_reexport::Caller {
        principal_id: "test-setup".to_owned(),
        kind: zs_domain_reexport::PrincipalKind::User,
        organization_id: String::new(),
        roles: vec![zs_domain::auth::Role::Sysadmin],
        scopes: vec![],
    }
}

mod zs_domain_reexport {
    pub use zs_domain::auth::{Caller, PrincipalKind};
}

/// A three-level tree (province → prefecture → county) plus a stranger, with an admin and an
/// officer in each, as most visibility tests need.
pub struct World {
    pub province: String,
    pub prefecture: String,
    pub county: String,
    pub stranger: String,
    pub province_admin: String,
    pub prefecture_admin: String,
    pub county_admin: String,
    pub county_officer: String,
    pub stranger_admin: String,
}

impl TestApp {
    pub async fn world(&self) -> World {
        let province = self.org(None, "province", "YN").await;
        let prefecture = self.org(Some(&province), "prefecture", "YN-DH").await;
        let county = self.org(Some(&prefecture), "county", "YN-DH-RL").await;
        let stranger = self.org(None, "prefecture", "SC-MY").await;
        let (_, province_admin) = self.user(&province, "yn.admin", "org_admin").await;
        let (_, prefecture_admin) = self.user(&prefecture, "dh.admin", "org_admin").await;
        let (_, county_admin) = self.user(&county, "rl.admin", "org_admin").await;
        let (_, county_officer) = self.user(&county, "rl.officer", "officer").await;
        let (_, stranger_admin) = self.user(&stranger, "my.admin", "org_admin").await;
        World {
            province,
            prefecture,
            county,
            stranger,
            province_admin,
            prefecture_admin,
            county_admin,
            county_officer,
            stranger_admin,
        }
    }
}

/// Party building fixtures shared by the branch, activity and points tests.
impl TestApp {
    /// An alliance founded by `founder_admin`'s organization with `member` invited and accepted.
    pub async fn alliance(&self, founder_admin: &str, member: &str, member_admin: &str) -> String {
        let id = self
            .post("/v1/alliances", founder_admin, json!({"name": "党建联盟", "description": "联建共建"}))
            .await
            .expect(201)
            .id();
        self.post(&format!("/v1/alliances/{id}/members"), founder_admin, json!({"organization_id": member}))
            .await
            .expect(200);
        self.post(&format!("/v1/alliances/{id}/members/{member}/accept"), member_admin, json!({})).await.expect(200);
        id
    }

    /// A party branch of `org`, created as `token`, with an optional secretary and the given
    /// members (party role `member`, joined 2020-07-01).
    pub async fn branch(
        &self,
        token: &str,
        org: &str,
        name: &str,
        secretary: Option<&str>,
        members: &[&str],
    ) -> String {
        let members: Vec<Value> =
            members.iter().map(|u| json!({"user_id": u, "party_role": "member", "joined_on": "2020-07-01"})).collect();
        let mut body = json!({"organization_id": org, "name": name, "members": members});
        if let Some(s) = secretary {
            body["secretary_id"] = json!(s);
        }
        self.post("/v1/branches", token, body).await.expect(201).id()
    }

    /// An activity of `host` planned from `start` for two hours, created as `token`.
    pub async fn activity(
        &self,
        token: &str,
        host: &str,
        activity_type: &str,
        start: chrono::DateTime<chrono::Utc>,
        cohosts: &[&str],
    ) -> String {
        let end = start + chrono::Duration::hours(2);
        self.post(
            "/v1/activities",
            token,
            json!({
                "host_branch_id": host,
                "cohost_branch_ids": cohosts,
                "title": format!("{activity_type} {}", start.format("%Y-%m-%d")),
                "activity_type": activity_type,
                "planned_start": start.to_rfc3339(),
                "planned_end": end.to_rfc3339(),
                "place": "党员活动室",
            }),
        )
        .await
        .expect(201)
        .id()
    }
}
