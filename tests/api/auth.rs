//! Authentication: login and its lockout, refresh-token rotation (the grace period for phones
//! that lost an answer, family revocation on later reuse), logout, disabled accounts, access
//! token validation (forged, tampered, expired, foreign tokens), and the client-credentials
//! grant of partner systems with its scopes.

use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};
use zs_http::auth::{issue_access_token, Claims, Keys};

use crate::support::*;

// ---- helpers ----

async fn login(app: &TestApp, username: &str, password: &str) -> Resp {
    app.call(Method::POST, "/v1/auth/login", None, Some(json!({"username": username, "password": password})), &[]).await
}

async fn refresh(app: &TestApp, refresh_token: &str) -> Resp {
    app.call(Method::POST, "/v1/auth/refresh", None, Some(json!({"refresh_token": refresh_token})), &[]).await
}

async fn logout(app: &TestApp, refresh_token: &str) -> Resp {
    app.call(Method::POST, "/v1/auth/logout", None, Some(json!({"refresh_token": refresh_token})), &[]).await
}

/// GET /v1/me with a raw `Authorization` header (or none).
async fn me_with(app: &TestApp, authorization: Option<&str>) -> Resp {
    let mut req = app.client.get(format!("{}/v1/me", app.base));
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    TestApp::read(req.send().await.unwrap()).await
}

fn field(r: &Resp, key: &str) -> String {
    r.body[key].as_str().unwrap_or_else(|| panic!("no {key} in {}", r.text)).to_owned()
}

/// A 401 for a bad access token: problem+json with the code and a Bearer challenge.
#[track_caller]
fn refused(r: Resp, code: &str) {
    let r = r.problem(401, code);
    assert!(
        r.header("www-authenticate").is_some_and(|h| h.starts_with("Bearer")),
        "401 without a Bearer challenge: {:?}",
        r.headers
    );
}

/// Asserts the token response may not be stored by any cache (RFC 6749 §5.1).
#[track_caller]
fn not_cached(r: &Resp) {
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"), "a response carrying tokens may be cached");
}

fn b64_json(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn jwt_parts(jwt: &str) -> Vec<String> {
    let parts: Vec<String> = jwt.split('.').map(str::to_owned).collect();
    assert_eq!(parts.len(), 3, "not a JWS compact token: {jwt}");
    parts
}

fn jwt_header(jwt: &str) -> Value {
    b64_json(&jwt_parts(jwt)[0])
}

fn jwt_claims(jwt: &str) -> Value {
    b64_json(&jwt_parts(jwt)[1])
}

/// The same token with its claims replaced, keeping header and signature.
fn with_claims(jwt: &str, claims: &Value) -> String {
    let p = jwt_parts(jwt);
    format!("{}.{}.{}", p[0], URL_SAFE_NO_PAD.encode(claims.to_string()), p[2])
}

/// The server's signing keys, read from the test database where the server kept the secret
/// it generated at start-up. Lets a test sign tokens that differ from a real one in exactly
/// one claim, so the refusal is due to that claim and not to the signature.
async fn server_keys(app: &TestApp) -> Keys {
    let url = app.database_url.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = zs_persistence::db::DbManager::new(&url, 5000).unwrap().open().unwrap();
        let secret = zs_persistence::settings::get(&mut conn, "jwt_secret").unwrap().unwrap();
        Keys::new(secret.as_bytes())
    })
    .await
    .unwrap()
}

/// Claims of a valid user access token for `sub`.
fn user_claims(sub: &str) -> Claims {
    let now = chrono::Utc::now().timestamp();
    Claims {
        iss: "zhaoshang".to_owned(),
        aud: "zhaoshang-api".to_owned(),
        sub: sub.to_owned(),
        iat: now,
        exp: now + 600,
        jti: uuid::Uuid::now_v7().simple().to_string(),
        typ: "user".to_owned(),
        scope: String::new(),
    }
}

fn sign(keys: &Keys, claims: &Claims) -> String {
    issue_access_token(keys, claims).unwrap()
}

/// Percent-encodes for application/x-www-form-urlencoded.
fn form(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                b' ' => "+".to_owned(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

async fn token_request(app: &TestApp, content_type: &str, body: String) -> Resp {
    let res = app
        .client
        .post(format!("{}/v1/auth/token", app.base))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    TestApp::read(res).await
}

async fn client_token(app: &TestApp, client_id: &str, secret: &str, scope: Option<&str>) -> Resp {
    let mut pairs = vec![("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", secret)];
    if let Some(s) = scope {
        pairs.push(("scope", s));
    }
    token_request(app, "application/x-www-form-urlencoded", form(&pairs)).await
}

/// A partner system of `org`, created by `admin`.
struct Client {
    id: String,
    client_id: String,
    secret: String,
}

async fn service_account(app: &TestApp, admin: &str, org: &str, scopes: &[&str]) -> Client {
    let r = app
        .post(
            "/v1/service-accounts",
            admin,
            json!({"organization_id": org, "name": "德宏州招商项目库", "scopes": scopes}),
        )
        .await
        .expect(201);
    Client { id: r.id(), client_id: field(&r, "client_id"), secret: field(&r, "client_secret") }
}

async fn service_token(app: &TestApp, c: &Client, scope: Option<&str>) -> String {
    let r = client_token(app, &c.client_id, &c.secret, scope).await.expect(200);
    field(&r, "access_token")
}

/// An organization with an org admin and an officer: (org, admin token, officer id).
async fn bureau(app: &TestApp) -> (String, String, String) {
    let org = app.org(None, "province", "YN").await;
    let (_, admin) = app.user(&org, "yn.admin", "org_admin").await;
    let (officer, _) = app.user(&org, "yn.officer", "officer").await;
    (org, admin, officer)
}

// ---- login ----

both!(login_gives_a_pair_whose_access_token_identifies_the_user, |app| async move {
    let (org, _, officer) = bureau(&app).await;
    let r = login(&app, "yn.officer", PASSWORD).await.expect(200);
    not_cached(&r);
    assert_eq!(r.body["token_type"], "Bearer");
    let expires_in = r.body["expires_in"].as_i64().unwrap();
    assert!((890..=900).contains(&expires_in), "expires_in {expires_in}");
    assert_eq!(r.body["refresh_expires_in"], 30 * 24 * 3600);
    let refresh_token = field(&r, "refresh_token");
    assert!(refresh_token.len() >= 40, "refresh token too short to be unguessable: {refresh_token}");
    let access = field(&r, "access_token");
    assert_eq!(jwt_header(&access)["alg"], "HS256");
    let c = jwt_claims(&access);
    assert_eq!(c["iss"], "zhaoshang");
    assert_eq!(c["aud"], "zhaoshang-api");
    assert_eq!(c["sub"], officer.as_str());
    assert_eq!(c["typ"], "user");
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 900);
    assert!(c["jti"].as_str().is_some_and(|j| !j.is_empty()));

    let me = app.get("/v1/me", &access).await.expect(200);
    assert_eq!(me.body["kind"], "user");
    assert_eq!(me.body["user"]["id"], officer.as_str());
    assert_eq!(me.body["user"]["username"], "yn.officer");
    assert_eq!(me.body["organization_id"], org.as_str());
    assert_eq!(me.body["roles"], json!(["officer"]));
    assert!(!me.text.contains("argon2"), "a password hash leaks: {}", me.text);

    // Two logins are two sessions with their own tokens.
    let again = login(&app, "yn.officer", PASSWORD).await.expect(200);
    assert_ne!(field(&again, "refresh_token"), refresh_token);
});

both!(a_wrong_password_and_an_unknown_user_are_refused_alike, |app| async move {
    bureau(&app).await;
    let wrong = login(&app, "yn.officer", "Zhaoshang-2025").await.problem(401, "INVALID_CREDENTIALS");
    let unknown = login(&app, "no.such.user", PASSWORD).await.problem(401, "INVALID_CREDENTIALS");
    // Nothing tells a guesser which user names exist.
    assert_eq!(wrong.body["detail"], unknown.body["detail"]);
    assert_eq!(wrong.body["title"], unknown.body["title"]);
    assert!(wrong.body.get("access_token").is_none() && wrong.body.get("refresh_token").is_none());
    // User names are exact: another case is another (unknown) user.
    login(&app, "YN.OFFICER", PASSWORD).await.problem(401, "INVALID_CREDENTIALS");
    // A body without a password is a validation error, not a login attempt.
    let r = app
        .call(Method::POST, "/v1/auth/login", None, Some(json!({"username": "yn.officer"})), &[])
        .await
        .problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["errors"][0]["pointer"], "/password");
    // The right password still works: refusals above did not lock the account.
    login(&app, "yn.officer", PASSWORD).await.expect(200);
});

both!(five_consecutive_failures_lock_the_account_even_for_the_right_password, |app| async move {
    let (org, _, officer) = bureau(&app).await;
    app.user(&org, "yn.other", "officer").await;
    let before = app.login("yn.officer", PASSWORD).await;
    for _ in 0..5 {
        login(&app, "yn.officer", "guess").await.problem(401, "INVALID_CREDENTIALS");
    }
    let locked = login(&app, "yn.officer", PASSWORD).await.problem(429, "TOO_MANY_ATTEMPTS");
    let retry: i64 = locked.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=900).contains(&retry), "Retry-After {retry}");
    assert!(locked.body.get("access_token").is_none());
    login(&app, "yn.officer", "guess").await.problem(429, "TOO_MANY_ATTEMPTS");
    // The lock is the account's, not the organization's or the client's.
    login(&app, "yn.other", PASSWORD).await.expect(200);
    // An administrator's password reset lifts it.
    app.patch(&format!("/v1/users/{officer}"), &app.admin_token, json!({"password": "Ruili-Reset-2026"}))
        .await
        .expect(200);
    login(&app, "yn.officer", PASSWORD).await.problem(401, "INVALID_CREDENTIALS");
    login(&app, "yn.officer", "Ruili-Reset-2026").await.expect(200);
    // A session opened before the attack was not cut off by the lock.
    app.get("/v1/me", &before).await.expect(200);
});

both!(the_lock_holds_across_two_instances_on_one_database, |app| async move {
    bureau(&app).await;
    let other = app.second_instance().await;
    // Guesses spread over two instances behind a load balancer count together.
    for i in 0..5 {
        let instance = if i % 2 == 0 { &app } else { &other };
        login(instance, "yn.officer", "guess").await.problem(401, "INVALID_CREDENTIALS");
    }
    login(&other, "yn.officer", PASSWORD).await.problem(429, "TOO_MANY_ATTEMPTS");
    login(&app, "yn.officer", PASSWORD).await.problem(429, "TOO_MANY_ATTEMPTS");
});

both!(only_consecutive_failures_count_toward_the_lock, |app| async move {
    bureau(&app).await;
    for _ in 0..4 {
        login(&app, "yn.officer", "typo").await.problem(401, "INVALID_CREDENTIALS");
    }
    login(&app, "yn.officer", PASSWORD).await.expect(200);
    for _ in 0..4 {
        login(&app, "yn.officer", "typo").await.problem(401, "INVALID_CREDENTIALS");
    }
    login(&app, "yn.officer", PASSWORD).await.expect(200);
});

both!(concurrent_guesses_cannot_get_past_the_lock, |app| async move {
    bureau(&app).await;
    let mut handles = vec![];
    for i in 0..12 {
        let (client, base) = (app.client.clone(), app.base.clone());
        handles.push(tokio::spawn(async move {
            let r = client
                .post(format!("{base}/v1/auth/login"))
                .json(&json!({"username": "yn.officer", "password": format!("guess-{i}")}))
                .send()
                .await
                .unwrap();
            r.status().as_u16()
        }));
    }
    let mut checked = 0;
    for h in handles {
        let status = h.await.unwrap();
        assert!(status == 401 || status == 429, "status {status}");
        if status == 401 {
            checked += 1;
        }
    }
    // A burst of parallel guesses gets no more password checks than sequential ones.
    assert!(checked <= 5, "{checked} passwords were checked before the lock");
    login(&app, "yn.officer", PASSWORD).await.problem(429, "TOO_MANY_ATTEMPTS");
});

both!(a_disabled_account_loses_its_tokens_and_cannot_log_in, |app| async move {
    let (_, admin, officer) = bureau(&app).await;
    let pair = login(&app, "yn.officer", PASSWORD).await.expect(200);
    let access = field(&pair, "access_token");
    let rt = field(&pair, "refresh_token");
    app.get("/v1/me", &access).await.expect(200);

    app.patch(&format!("/v1/users/{officer}"), &admin, json!({"disabled": true})).await.expect(200);
    refused(app.call(Method::GET, "/v1/me", Some(&access), None, &[]).await, "INVALID_TOKEN");
    refresh(&app, &rt).await.problem(401, "INVALID_REFRESH_TOKEN");
    // Trying the right password while disabled does not earn a lock.
    for _ in 0..6 {
        login(&app, "yn.officer", PASSWORD).await.problem(401, "ACCOUNT_DISABLED");
    }

    // Enabled again, it logs in afresh; the refresh token of before stays dead.
    app.patch(&format!("/v1/users/{officer}"), &admin, json!({"disabled": false})).await.expect(200);
    refresh(&app, &rt).await.problem(401, "INVALID_REFRESH_TOKEN");
    let fresh = app.login("yn.officer", PASSWORD).await;
    app.get("/v1/me", &fresh).await.expect(200);
});

// ---- refresh and logout ----

both!(refresh_rotates_the_pair_and_each_new_pair_works, |app| async move {
    let (_, _, officer) = bureau(&app).await;
    let p0 = login(&app, "yn.officer", PASSWORD).await.expect(200);
    let p1 = refresh(&app, &field(&p0, "refresh_token")).await.expect(200);
    not_cached(&p1);
    assert_eq!(p1.body["token_type"], "Bearer");
    assert!(p1.body["expires_in"].as_i64().unwrap() > 0);
    assert!(p1.body["refresh_expires_in"].as_i64().unwrap() > 0);
    assert_ne!(field(&p1, "refresh_token"), field(&p0, "refresh_token"));
    assert_ne!(field(&p1, "access_token"), field(&p0, "access_token"));
    let me = app.get("/v1/me", &field(&p1, "access_token")).await.expect(200);
    assert_eq!(me.body["user"]["id"], officer.as_str());
    assert_eq!(jwt_claims(&field(&p1, "access_token"))["sub"], officer.as_str());

    let p2 = refresh(&app, &field(&p1, "refresh_token")).await.expect(200);
    assert_ne!(field(&p2, "refresh_token"), field(&p1, "refresh_token"));
    app.get("/v1/me", &field(&p2, "access_token")).await.expect(200);
    // The first access token is still good until it expires (access tokens are stateless).
    app.get("/v1/me", &field(&p0, "access_token")).await.expect(200);
});

both!(unknown_refresh_tokens_and_access_tokens_are_not_refresh_tokens, |app| async move {
    bureau(&app).await;
    let p0 = login(&app, "yn.officer", PASSWORD).await.expect(200);
    refresh(&app, "k3J0bm90LWEtcmVhbC10b2tlbi1hdC1hbGwtMDEyMzQ1Njc4OQ").await.problem(401, "INVALID_REFRESH_TOKEN");
    refresh(&app, "").await.problem(401, "INVALID_REFRESH_TOKEN");
    refresh(&app, &field(&p0, "access_token")).await.problem(401, "INVALID_REFRESH_TOKEN");
    // Nor is a refresh token an access token.
    refused(app.call(Method::GET, "/v1/me", Some(&field(&p0, "refresh_token")), None, &[]).await, "INVALID_TOKEN");
    // The real one is untouched by all this.
    refresh(&app, &field(&p0, "refresh_token")).await.expect(200);
});

both!(a_replay_within_the_grace_period_returns_the_same_pair, |app| async move {
    bureau(&app).await;
    let p0 = login(&app, "yn.officer", PASSWORD).await.expect(200);
    let old = field(&p0, "refresh_token");
    let p1 = refresh(&app, &old).await.expect(200);
    // The phone lost the answer and asks again: the very same pair, not a second family.
    let again = refresh(&app, &old).await.expect(200);
    assert_eq!(field(&again, "access_token"), field(&p1, "access_token"));
    assert_eq!(field(&again, "refresh_token"), field(&p1, "refresh_token"));
    assert_eq!(again.body["token_type"], "Bearer");
    // The family is intact: the new refresh token rotates normally.
    let p2 = refresh(&app, &field(&p1, "refresh_token")).await.expect(200);
    app.get("/v1/me", &field(&p2, "access_token")).await.expect(200);
});

both!(concurrent_retries_of_one_refresh_all_get_the_same_pair, |app| async move {
    bureau(&app).await;
    let p0 = login(&app, "yn.officer", PASSWORD).await.expect(200);
    let old = field(&p0, "refresh_token");
    let mut handles = vec![];
    for _ in 0..6 {
        let (client, base, old) = (app.client.clone(), app.base.clone(), old.clone());
        handles.push(tokio::spawn(async move {
            let r = client
                .post(format!("{base}/v1/auth/refresh"))
                .json(&json!({"refresh_token": old}))
                .send()
                .await
                .unwrap();
            TestApp::read(r).await
        }));
    }
    let mut pairs = std::collections::HashSet::new();
    for h in handles {
        let r = h.await.unwrap().expect(200);
        pairs.insert((field(&r, "access_token"), field(&r, "refresh_token")));
    }
    assert_eq!(pairs.len(), 1, "parallel retries forked the session: {pairs:?}");
    let (access, rt) = pairs.into_iter().next().unwrap();
    app.get("/v1/me", &access).await.expect(200);
    refresh(&app, &rt).await.expect(200);
});

/// A short grace period so that a test can outlive it.
async fn short_grace(backend: Backend) {
    let app = TestApp::spawn_with(backend, Settings { refresh_grace_secs: 1, ..Settings::default() }).await;
    bureau(&app).await;
    let stolen = login(&app, "yn.officer", PASSWORD).await.expect(200);
    let other_device = login(&app, "yn.officer", PASSWORD).await.expect(200);
    let old = field(&stolen, "refresh_token");
    let p1 = refresh(&app, &old).await.expect(200);
    tokio::time::sleep(Duration::from_millis(2200)).await;
    // Someone presents the spent token after the grace: the whole family dies.
    let r = refresh(&app, &old).await.problem(401, "REFRESH_TOKEN_REUSED");
    assert!(r.header("www-authenticate").is_some());
    refresh(&app, &field(&p1, "refresh_token")).await.problem(401, "INVALID_REFRESH_TOKEN");
    refresh(&app, &old).await.problem(401, "INVALID_REFRESH_TOKEN");
    // Another login of the same person is another family and lives on.
    let p = refresh(&app, &field(&other_device, "refresh_token")).await.expect(200);
    app.get("/v1/me", &field(&p, "access_token")).await.expect(200);
    // And a new login works.
    login(&app, "yn.officer", PASSWORD).await.expect(200);
}

mod reuse_after_the_grace_period_revokes_the_family {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        short_grace(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        short_grace(Backend::Postgres).await;
    }
}

both!(logout_revokes_the_refresh_token_family, |app| async move {
    bureau(&app).await;
    let p0 = login(&app, "yn.officer", PASSWORD).await.expect(200);
    let other_device = login(&app, "yn.officer", PASSWORD).await.expect(200);
    let p1 = refresh(&app, &field(&p0, "refresh_token")).await.expect(200);
    let r = logout(&app, &field(&p1, "refresh_token")).await.expect(204);
    assert!(r.text.is_empty());
    refresh(&app, &field(&p1, "refresh_token")).await.problem(401, "INVALID_REFRESH_TOKEN");
    // Its predecessor, though still within the replay grace, cannot bring the session back.
    refresh(&app, &field(&p0, "refresh_token")).await.problem(401, "INVALID_REFRESH_TOKEN");
    // Logging out twice, or with an unknown token, is not an error (and reveals nothing).
    logout(&app, &field(&p1, "refresh_token")).await.expect(204);
    logout(&app, "no-such-token").await.expect(204);
    // The other device stays logged in.
    refresh(&app, &field(&other_device, "refresh_token")).await.expect(200);
});

// ---- access tokens ----

both!(a_missing_or_non_bearer_authorization_is_401_missing_token, |app| async move {
    refused(me_with(&app, None).await, "MISSING_TOKEN");
    refused(me_with(&app, Some("Basic cm9vdDpaaGFvc2hhbmctMjAyNg==")).await, "MISSING_TOKEN");
    refused(me_with(&app, Some("Bearer")).await, "MISSING_TOKEN");
    refused(me_with(&app, Some(&app.admin_token)).await, "MISSING_TOKEN");
    // A token in the query string is not read.
    let r = app.client.get(format!("{}/v1/me?access_token={}", app.base, app.admin_token)).send().await.unwrap();
    refused(TestApp::read(r).await, "MISSING_TOKEN");
    // The scheme name is case-insensitive (RFC 9110 §11.1).
    me_with(&app, Some(&format!("bearer {}", app.admin_token))).await.expect(200);
    me_with(&app, Some(&format!("BEARER {}", app.admin_token))).await.expect(200);
});

both!(forged_tampered_expired_and_foreign_tokens_are_401, |app| async move {
    let (_, _, officer) = bureau(&app).await;
    let access = app.login("yn.officer", PASSWORD).await;
    let root_id = app.get("/v1/me", &app.admin_token).await.expect(200).body["user"]["id"].as_str().unwrap().to_owned();
    let keys = server_keys(&app).await;

    // Control: a token this test signs with the server's secret is accepted, so each refusal
    // below is caused by the one thing that differs.
    let good = sign(&keys, &user_claims(&officer));
    let me = app.get("/v1/me", &good).await.expect(200);
    assert_eq!(me.body["user"]["id"], officer.as_str());

    let mut forged: Vec<(&str, String)> = vec![];
    let now = chrono::Utc::now().timestamp();
    forged.push(("expired", sign(&keys, &Claims { iat: now - 1000, exp: now - 100, ..user_claims(&officer) })));
    forged.push(("wrong audience", sign(&keys, &Claims { aud: "other-api".to_owned(), ..user_claims(&officer) })));
    forged.push(("wrong issuer", sign(&keys, &Claims { iss: "someone-else".to_owned(), ..user_claims(&officer) })));
    forged.push(("unknown type", sign(&keys, &Claims { typ: "admin".to_owned(), ..user_claims(&officer) })));
    forged.push(("no such user", sign(&keys, &user_claims("01936f3e-0000-7000-8000-00000000dead"))));
    // A user id presented as a service account.
    forged.push(("user as service", sign(&keys, &Claims { typ: "service".to_owned(), ..user_claims(&officer) })));
    let other_keys = Keys::new(b"not-the-server-secret-but-32-bytes-long!");
    forged.push(("signed with another secret", sign(&other_keys, &user_claims(&root_id))));

    // A real token whose claims are edited keeps a signature that no longer matches.
    let mut c = jwt_claims(&access);
    c["sub"] = json!(root_id);
    forged.push(("sub raised to the sysadmin", with_claims(&access, &c)));
    let mut c = jwt_claims(&access);
    c["exp"] = json!(now + 365 * 24 * 3600);
    forged.push(("lifetime extended", with_claims(&access, &c)));

    // alg=none with the real claims and no signature.
    let none = URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT"}).to_string());
    let parts = jwt_parts(&access);
    forged.push(("alg none", format!("{none}.{}.", parts[1])));
    forged.push(("alg none, no dot", format!("{none}.{}", parts[1])));
    // The real header and claims with the signature dropped or altered.
    forged.push(("no signature", format!("{}.{}.", parts[0], parts[1])));
    let mut sig = parts[2].clone().into_bytes();
    sig[0] = if sig[0] == b'A' { b'B' } else { b'A' };
    forged.push(("altered signature", format!("{}.{}.{}", parts[0], parts[1], String::from_utf8(sig).unwrap())));
    forged.push(("garbage", "not-a-jwt".to_owned()));

    for (what, token) in forged {
        let r = app.get("/v1/me", &token).await;
        assert_eq!(r.status.as_u16(), 401, "{what} accepted: {}", r.text);
        refused(r, "INVALID_TOKEN");
    }
    // The real token still works.
    app.get("/v1/me", &access).await.expect(200);
});

// ---- client credentials ----

both!(client_credentials_give_a_service_token_for_the_accounts_organization, |app| async move {
    let (org, admin, _) = bureau(&app).await;
    let child = app.org(Some(&org), "prefecture", "YN-DH").await;
    let c = service_account(&app, &admin, &org, &["organizations:read", "projects:read"]).await;
    assert!(c.secret.len() >= 32, "client secret too short: {}", c.secret);
    // The secret is shown once: never when the account is read.
    let read = app.get(&format!("/v1/service-accounts/{}", c.id), &admin).await.expect(200);
    assert!(read.body.get("client_secret").is_none(), "secret shown again: {}", read.text);
    assert!(!read.text.contains(&c.secret));

    let r = client_token(&app, &c.client_id, &c.secret, None).await.expect(200);
    not_cached(&r);
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["expires_in"], 900);
    let mut scopes: Vec<&str> = r.body["scope"].as_str().unwrap().split(' ').collect();
    scopes.sort_unstable();
    assert_eq!(scopes, vec!["organizations:read", "projects:read"]);
    let token = field(&r, "access_token");
    let claims = jwt_claims(&token);
    assert_eq!(claims["typ"], "service");
    assert_eq!(claims["sub"], c.id.as_str());
    assert_eq!(claims["iss"], "zhaoshang");
    assert_eq!(claims["aud"], "zhaoshang-api");

    let me = app.get("/v1/me", &token).await.expect(200);
    assert_eq!(me.body["kind"], "service");
    assert_eq!(me.body["service_account_id"], c.id.as_str());
    assert_eq!(me.body["organization_id"], org.as_str());
    assert!(me.body["user"].is_null());
    assert_eq!(me.body["roles"], json!([]));

    // It reads its organization's subtree, and nothing above it.
    let list = app.get("/v1/organizations", &token).await.expect(200);
    let mut ids: Vec<&str> = list.body["items"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    let mut expected = vec![org.as_str(), child.as_str()];
    expected.sort_unstable();
    assert_eq!(ids, expected);

    // Clients that add a charset to the content type are common.
    client_token(&app, &c.client_id, &c.secret, None).await.expect(200);
    let body = form(&[("grant_type", "client_credentials"), ("client_id", &c.client_id), ("client_secret", &c.secret)]);
    token_request(&app, "application/x-www-form-urlencoded; charset=UTF-8", body).await.expect(200);
});

both!(client_credentials_refuse_wrong_secrets_grants_and_bodies, |app| async move {
    let (org, admin, _) = bureau(&app).await;
    let c = service_account(&app, &admin, &org, &["organizations:read"]).await;
    let wrong = client_token(&app, &c.client_id, "not-the-secret", None).await.problem(401, "INVALID_CLIENT");
    let unknown = client_token(&app, "zs-nobody", &c.secret, None).await.problem(401, "INVALID_CLIENT");
    assert_eq!(wrong.body["detail"], unknown.body["detail"]);
    assert!(wrong.body.get("access_token").is_none());
    // A user's password is not a client secret.
    client_token(&app, "yn.admin", PASSWORD, None).await.problem(401, "INVALID_CLIENT");

    // Another grant, even with all it needs, is refused as such.
    let password_grant = form(&[
        ("grant_type", "password"),
        ("client_id", &c.client_id),
        ("client_secret", &c.secret),
        ("username", "yn.admin"),
        ("password", PASSWORD),
    ]);
    token_request(&app, "application/x-www-form-urlencoded", password_grant)
        .await
        .problem(400, "UNSUPPORTED_GRANT_TYPE");
    let no_grant = form(&[("client_id", &c.client_id), ("client_secret", &c.secret)]);
    token_request(&app, "application/x-www-form-urlencoded", no_grant).await.problem(400, "MALFORMED_FORM");
    // The same fields as JSON: wrong content type.
    let json_body =
        json!({"grant_type": "client_credentials", "client_id": c.client_id, "client_secret": c.secret}).to_string();
    token_request(&app, "application/json", json_body).await.problem(415, "UNSUPPORTED_MEDIA_TYPE");
    // No client authentication at all.
    let missing = form(&[("grant_type", "client_credentials"), ("client_id", &c.client_id)]);
    token_request(&app, "application/x-www-form-urlencoded", missing).await.problem(401, "INVALID_CLIENT");
    // After all that the real secret still works (no lockout of a partner by a stranger).
    client_token(&app, &c.client_id, &c.secret, None).await.expect(200);
});

both!(client_credentials_work_the_way_oauth_client_libraries_send_them, |app| async move {
    let (org, admin, _) = bureau(&app).await;
    let c = service_account(&app, &admin, &org, &["organizations:read", "projects:read"]).await;
    let grant = form(&[("grant_type", "client_credentials")]);
    let basic = |id: &str, secret: &str| format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")));
    let with_basic = |authorization: String, body: String| {
        let req = app
            .client
            .post(format!("{}/v1/auth/token", app.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("authorization", authorization)
            .body(body);
        async move { TestApp::read(req.send().await.unwrap()).await }
    };
    // HTTP Basic client authentication, which the authorization server must support (RFC 6749 §2.3.1).
    let r = with_basic(basic(&c.client_id, &c.secret), grant.clone()).await.expect(200);
    not_cached(&r);
    app.get("/v1/organizations", &field(&r, "access_token")).await.expect(200);
    with_basic(basic(&c.client_id, "wrong"), grant.clone()).await.problem(401, "INVALID_CLIENT");
    with_basic("Basic not base64!".to_owned(), grant.clone()).await.problem(401, "INVALID_CLIENT");
    // One authentication method per request.
    let both = form(&[("grant_type", "client_credentials"), ("client_id", &c.client_id), ("client_secret", &c.secret)]);
    with_basic(basic(&c.client_id, &c.secret), both).await.problem(400, "MALFORMED_FORM");

    // Unknown parameters are ignored and empty ones count as omitted (RFC 6749 §3.2).
    let extra = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", &c.client_id),
        ("client_secret", &c.secret),
        ("audience", "zhaoshang-api"),
        ("scope", ""),
    ]);
    let r = token_request(&app, "application/x-www-form-urlencoded", extra).await.expect(200);
    let mut scopes: Vec<&str> = r.body["scope"].as_str().unwrap().split(' ').collect();
    scopes.sort_unstable();
    assert_eq!(scopes, vec!["organizations:read", "projects:read"]);
    // A scope asked for twice is granted once.
    let r = client_token(&app, &c.client_id, &c.secret, Some("projects:read projects:read")).await.expect(200);
    assert_eq!(r.body["scope"], "projects:read");
    // A parameter sent twice is a malformed request.
    let twice = format!(
        "{}&scope=projects%3Aread",
        form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &c.client_id),
            ("client_secret", &c.secret),
            ("scope", "organizations:read")
        ])
    );
    token_request(&app, "application/x-www-form-urlencoded", twice).await.problem(400, "MALFORMED_FORM");
});

both!(a_requested_scope_narrows_the_token_and_an_ungranted_one_is_refused, |app| async move {
    let (org, admin, _) = bureau(&app).await;
    let c = service_account(&app, &admin, &org, &["organizations:read", "projects:read"]).await;
    let r = client_token(&app, &c.client_id, &c.secret, Some("projects:read")).await.expect(200);
    assert_eq!(r.body["scope"], "projects:read");
    let narrow = field(&r, "access_token");
    let me = app.get("/v1/me", &narrow).await.expect(200);
    assert_eq!(me.body["scopes"], json!(["projects:read"]));
    app.get("/v1/organizations", &narrow).await.problem(403, "FORBIDDEN");
    app.get(&format!("/v1/organizations/{org}"), &narrow).await.problem(403, "FORBIDDEN");

    let wide = service_token(&app, &c, Some("organizations:read projects:read")).await;
    app.get("/v1/organizations", &wide).await.expect(200);

    // Asking for more than was granted, or for a scope that does not exist, gets nothing.
    for scope in ["organizations:read projects:write", "admin", "organizations:write"] {
        let r = client_token(&app, &c.client_id, &c.secret, Some(scope)).await.problem(422, "VALIDATION_FAILED");
        assert_eq!(r.body["errors"][0]["pointer"], "/scope", "{scope}: {}", r.text);
        assert!(r.body.get("access_token").is_none());
    }
});

both!(service_tokens_never_administer, |app| async move {
    let (org, admin, officer) = bureau(&app).await;
    let c = service_account(&app, &admin, &org, &["organizations:read", "projects:write", "tickets:write"]).await;
    let token = service_token(&app, &c, None).await;
    let child = json!({"parent_id": org, "level": "prefecture", "name": "德宏州", "short_code": "YN-DH", "region_code": "533100"});
    app.post("/v1/organizations", &token, child).await.problem(403, "FORBIDDEN");
    app.patch(&format!("/v1/organizations/{org}"), &token, json!({"name": "改名"})).await.problem(403, "FORBIDDEN");
    let user = json!({"organization_id": org, "username": "planted", "display_name": "x", "password": PASSWORD, "roles": ["org_admin"]});
    app.post("/v1/users", &token, user).await.problem(403, "FORBIDDEN");
    app.get("/v1/users", &token).await.problem(403, "FORBIDDEN");
    app.patch(&format!("/v1/users/{officer}"), &token, json!({"disabled": true})).await.problem(403, "FORBIDDEN");
    let sa = json!({"organization_id": org, "name": "another", "scopes": ["organizations:read"]});
    app.post("/v1/service-accounts", &token, sa).await.problem(403, "FORBIDDEN");
    // A leaked token cannot mint itself a new secret.
    app.call(Method::POST, &format!("/v1/service-accounts/{}/secret", c.id), Some(&token), None, &[])
        .await
        .problem(403, "FORBIDDEN");

    // None of it happened.
    login(&app, "planted", PASSWORD).await.problem(401, "INVALID_CREDENTIALS");
    login(&app, "yn.officer", PASSWORD).await.expect(200);
    let orgs = app.get("/v1/organizations", &admin).await.expect(200);
    assert_eq!(orgs.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(orgs.body["items"][0]["version"], 1);
    let accounts = app.get("/v1/service-accounts", &admin).await.expect(200);
    assert_eq!(accounts.body["items"].as_array().unwrap().len(), 1);
    client_token(&app, &c.client_id, &c.secret, None).await.expect(200);
});

both!(a_rotated_secret_retires_the_old_one, |app| async move {
    let (org, admin, _) = bureau(&app).await;
    let c = service_account(&app, &admin, &org, &["organizations:read"]).await;
    let r = app
        .call(Method::POST, &format!("/v1/service-accounts/{}/secret", c.id), Some(&admin), None, &[])
        .await
        .expect(200);
    let new_secret = field(&r, "client_secret");
    assert_ne!(new_secret, c.secret);
    assert_eq!(field(&r, "client_id"), c.client_id, "rotating the secret must keep the client id");
    client_token(&app, &c.client_id, &c.secret, None).await.problem(401, "INVALID_CLIENT");
    let token = service_token(&app, &Client { secret: new_secret, ..c }, None).await;
    app.get("/v1/organizations", &token).await.expect(200);
});

both!(a_disabled_service_account_loses_its_tokens, |app| async move {
    let (org, admin, _) = bureau(&app).await;
    let c = service_account(&app, &admin, &org, &["organizations:read"]).await;
    let token = service_token(&app, &c, None).await;
    app.get("/v1/organizations", &token).await.expect(200);
    app.patch(&format!("/v1/service-accounts/{}", c.id), &admin, json!({"disabled": true})).await.expect(200);
    refused(app.call(Method::GET, "/v1/organizations", Some(&token), None, &[]).await, "INVALID_TOKEN");
    client_token(&app, &c.client_id, &c.secret, None).await.problem(401, "INVALID_CLIENT");
    // Enabled again, it gets tokens again with the same secret.
    app.patch(&format!("/v1/service-accounts/{}", c.id), &admin, json!({"disabled": false})).await.expect(200);
    let token = service_token(&app, &c, None).await;
    app.get("/v1/organizations", &token).await.expect(200);
});

both!(taking_a_scope_away_applies_to_tokens_already_issued, |app| async move {
    let (org, admin, _) = bureau(&app).await;
    let c = service_account(&app, &admin, &org, &["organizations:read", "projects:read"]).await;
    let token = service_token(&app, &c, None).await;
    app.get("/v1/organizations", &token).await.expect(200);
    app.patch(&format!("/v1/service-accounts/{}", c.id), &admin, json!({"scopes": ["projects:read"]}))
        .await
        .expect(200);
    app.get("/v1/organizations", &token).await.problem(403, "FORBIDDEN");
    let me = app.get("/v1/me", &token).await.expect(200);
    assert_eq!(me.body["scopes"], json!(["projects:read"]));
    // Nor can a new token ask for it.
    client_token(&app, &c.client_id, &c.secret, Some("organizations:read")).await.problem(422, "VALIDATION_FAILED");
});
