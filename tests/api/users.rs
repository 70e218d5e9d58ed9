//! Users and `/v1/me`: who creates and changes whom, who sees whom (a superior sees its
//! subordinates' people, never the reverse, and strangers see nothing), validation of names,
//! passwords and contacts, disabling, and the list and write conventions.

use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{Resp, TestApp, PASSWORD};

/// The user names of a list page, sorted.
fn usernames(r: &Resp) -> Vec<String> {
    let mut names: Vec<String> = r.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {}", r.text))
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

/// The sorted pointers of a validation problem.
fn pointers(r: &Resp) -> Vec<String> {
    let mut p: Vec<String> =
        r.body["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap().to_owned()).collect();
    p.sort();
    p
}

fn new_user(org: &str, username: &str, role: &str) -> Value {
    json!({"organization_id": org, "username": username, "display_name": username, "password": PASSWORD, "roles": [role]})
}

/// Logs in, returning the raw response (for the refused cases).
async fn try_login(app: &TestApp, username: &str, password: &str) -> Resp {
    app.call(Method::POST, "/v1/auth/login", None, Some(json!({"username": username, "password": password})), &[]).await
}

/// Every user, as the platform operator sees them: to show that a refused call changed nothing.
async fn all_usernames(app: &TestApp) -> Vec<String> {
    usernames(&app.get("/v1/users?page_size=200", &app.admin_token).await.expect(200))
}

both!(round_trip_create_read_list_update, |app| async move {
    let w = app.world().await;
    let created = app
        .post(
            "/v1/users",
            &w.county_admin,
            json!({
                "organization_id": w.county,
                "username": "rl.li",
                "display_name": "李明",
                "password": "Ruili-border-2026",
                "roles": ["officer", "leader"],
                "phone": "+86 138 0013 8000",
                "email": "li.ming@ruili.gov.cn"
            }),
        )
        .await
        .expect(201);
    let id = created.id();
    assert_eq!(created.header("location"), Some(format!("/v1/users/{id}")));
    assert_eq!(created.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(created.body["organization_id"], w.county.as_str());
    assert_eq!(created.body["display_name"], "李明");
    assert_eq!(created.body["roles"], json!(["leader", "officer"]));
    // The phone is stored in its canonical form.
    assert_eq!(created.body["phone"], "13800138000");
    assert_eq!(created.body["disabled"], false);
    assert_eq!(created.body["version"], 1);
    // No secret ever leaves the server.
    assert!(!created.text.contains("password"), "{}", created.text);
    assert!(!created.text.contains("argon2"), "{}", created.text);

    let read = app.get(&format!("/v1/users/{id}"), &w.county_admin).await.expect(200);
    assert_eq!(read.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(read.body, created.body);
    let list = app.get(&format!("/v1/users?organization_id={}", w.county), &w.county_admin).await.expect(200);
    assert_eq!(usernames(&list), vec!["rl.admin", "rl.li", "rl.officer"]);

    // The new user logs in with the password it was given.
    let token = app.login("rl.li", "Ruili-border-2026").await;
    let me = app.get("/v1/me", &token).await.expect(200);
    assert_eq!(me.body["user"]["id"], id.as_str());

    let updated = app
        .call(
            Method::PATCH,
            &format!("/v1/users/{id}"),
            Some(&w.county_admin),
            Some(json!({"display_name": "李明（驻外）", "email": "li@ruili.gov.cn", "roles": ["officer"]})),
            &[("if-match", "\"1\"")],
        )
        .await
        .expect(200);
    assert_eq!(updated.body["version"], 2);
    assert_eq!(updated.header("etag").as_deref(), Some("\"2\""));
    let read = app.get(&format!("/v1/users/{id}"), &w.county_admin).await.expect(200);
    assert_eq!(read.body["display_name"], "李明（驻外）");
    assert_eq!(read.body["email"], "li@ruili.gov.cn");
    assert_eq!(read.body["roles"], json!(["officer"]));
    // Absent fields are left alone; null clears the phone (merge patch).
    assert_eq!(read.body["phone"], "13800138000");
    let cleared = app.patch(&format!("/v1/users/{id}"), &w.county_admin, json!({"phone": null})).await.expect(200);
    assert_eq!(cleared.body["phone"], Value::Null);
    assert_eq!(cleared.body["email"], "li@ruili.gov.cn");
    assert_eq!(cleared.body["version"], 3);
    assert_eq!(app.get(&format!("/v1/users/{id}"), &w.county_admin).await.expect(200).body["phone"], Value::Null);
    // The new roles are in force on the user's next request.
    let me = app.get("/v1/me", &token).await.expect(200);
    assert_eq!(me.body["roles"], json!(["officer"]));
});

both!(who_may_create_users_where, |app| async move {
    let w = app.world().await;
    let before = all_usernames(&app).await;
    // Visible but not administered (the superior's organization): 403.
    app.post("/v1/users", &w.county_admin, new_user(&w.prefecture, "dh.sneak", "officer"))
        .await
        .problem(403, "FORBIDDEN");
    // Not visible (a stranger, or no such organization): 404.
    app.post("/v1/users", &w.county_admin, new_user(&w.stranger, "my.sneak", "officer"))
        .await
        .problem(404, "NOT_FOUND");
    app.post("/v1/users", &w.county_admin, new_user("01936f3e-0000-7000-8000-00000000dead", "ghost", "officer"))
        .await
        .problem(404, "NOT_FOUND");
    // An officer administers nobody, even in its own organization.
    app.post("/v1/users", &w.county_officer, new_user(&w.county, "rl.new", "officer")).await.problem(403, "FORBIDDEN");
    // An org admin cannot make a platform operator, not even in its own organization.
    app.post("/v1/users", &w.county_admin, new_user(&w.county, "rl.root", "sysadmin")).await.problem(403, "FORBIDDEN");
    app.post(
        "/v1/users",
        &w.county_admin,
        json!({"organization_id": w.county, "username": "rl.mixed", "display_name": "x", "password": PASSWORD, "roles": ["officer", "sysadmin"]}),
    )
    .await
    .problem(403, "FORBIDDEN");
    assert_eq!(all_usernames(&app).await, before, "a refused create made a user");

    // The organization's own admin, a superior's admin and the platform operator do.
    let own = app.post("/v1/users", &w.county_admin, new_user(&w.county, "rl.new", "leader")).await.expect(201);
    assert_eq!(own.body["roles"], json!(["leader"]));
    let from_above =
        app.post("/v1/users", &w.province_admin, new_user(&w.county, "rl.from-above", "org_admin")).await.expect(201);
    assert_eq!(from_above.body["organization_id"], w.county.as_str());
    let op = app.post("/v1/users", &app.admin_token, new_user(&w.stranger, "my.ops", "sysadmin")).await.expect(201);
    assert_eq!(op.body["roles"], json!(["sysadmin"]));
    // The one a superior made is an admin of the county and acts as one.
    let t = app.login("rl.from-above", PASSWORD).await;
    app.post("/v1/users", &t, new_user(&w.county, "rl.third", "viewer")).await.expect(201);
});

both!(duplicate_username_and_client_id_conflict, |app| async move {
    let w = app.world().await;
    let id = "01936f3e-2222-7000-8000-000000000001";
    let mut body = new_user(&w.county, "rl.li", "officer");
    body["id"] = json!(id);
    let created = app.post("/v1/users", &w.county_admin, body).await.expect(201);
    assert_eq!(created.id(), id);
    // User names are unique across the platform, not only within an organization.
    app.post("/v1/users", &w.county_admin, new_user(&w.county, "rl.li", "viewer")).await.problem(409, "ALREADY_EXISTS");
    app.post("/v1/users", &w.stranger_admin, new_user(&w.stranger, "rl.li", "viewer"))
        .await
        .problem(409, "ALREADY_EXISTS");
    let mut again = new_user(&w.county, "rl.other", "officer");
    again["id"] = json!(id);
    app.post("/v1/users", &w.county_admin, again).await.problem(409, "ALREADY_EXISTS");
    // The first user is untouched: its roles, and its password.
    let read = app.get(&format!("/v1/users/{id}"), &w.county_admin).await.expect(200);
    assert_eq!(read.body["roles"], json!(["officer"]));
    assert_eq!(read.body["version"], 1);
    let names = all_usernames(&app).await;
    assert_eq!(names.iter().filter(|n| n.as_str() == "rl.li").count(), 1);
    assert!(!names.contains(&"rl.other".to_owned()));
    app.login("rl.li", PASSWORD).await;
});

both!(validation_names_every_failing_field, |app| async move {
    let w = app.world().await;
    let before = all_usernames(&app).await;
    let r = app
        .post(
            "/v1/users",
            &w.county_admin,
            json!({
                "organization_id": w.county,
                "username": "Li Ming",
                "display_name": " ",
                "password": "short1",
                "roles": [],
                "phone": "12345",
                "email": "no-at.example"
            }),
        )
        .await
        .problem(422, "VALIDATION_FAILED");
    assert_eq!(pointers(&r), vec!["/display_name", "/email", "/password", "/phone", "/roles", "/username"]);
    // A password of letters only is refused even when long.
    let mut weak = new_user(&w.county, "rl.weak", "officer");
    weak["password"] = json!("onlyletterslong");
    let r = app.post("/v1/users", &w.county_admin, weak).await.problem(422, "VALIDATION_FAILED");
    assert_eq!(pointers(&r), vec!["/password"]);
    // A masked phone or e-mail, as shown to people who may not see it, is never saved.
    let mut masked = new_user(&w.county, "rl.masked", "officer");
    masked["phone"] = json!("138****1234");
    masked["email"] = json!("l***@ruili.gov.cn");
    let r = app.post("/v1/users", &w.county_admin, masked).await.problem(422, "VALIDATION_FAILED");
    let mut codes: Vec<(String, String)> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["pointer"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned()))
        .collect();
    codes.sort();
    assert_eq!(
        codes,
        vec![("/email".to_owned(), "masked_value".to_owned()), ("/phone".to_owned(), "masked_value".to_owned())]
    );
    // An unknown role, an unknown field, a missing field.
    let r = app
        .post(
            "/v1/users",
            &w.county_admin,
            json!({"organization_id": w.county, "username": "rl.x", "display_name": "x", "password": PASSWORD, "roles": ["king"]}),
        )
        .await
        .problem(422, "VALIDATION_FAILED");
    assert!(r.body["errors"][0]["pointer"].as_str().unwrap().starts_with("/roles"), "{}", r.text);
    let mut typo = new_user(&w.county, "rl.typo", "officer");
    typo["rolse"] = json!(["officer"]);
    let r = app.post("/v1/users", &w.county_admin, typo).await.problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["errors"][0]["pointer"], "/rolse");
    assert_eq!(r.body["errors"][0]["code"], "unknown_field");
    let r = app
        .post(
            "/v1/users",
            &w.county_admin,
            json!({"organization_id": w.county, "username": "rl.y", "display_name": "y", "roles": ["officer"]}),
        )
        .await
        .problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["errors"][0]["pointer"], "/password");
    assert_eq!(r.body["errors"][0]["code"], "required");
    assert_eq!(all_usernames(&app).await, before, "an invalid create made a user");

    // Updates: the same rules, and nothing is written when any field fails.
    let (id, _) = app.user(&w.county, "rl.li", "officer").await;
    let path = format!("/v1/users/{id}");
    app.patch(&path, &w.county_admin, json!({"phone": "13800138000"})).await.expect(200);
    let r = app
        .patch(&path, &w.county_admin, json!({"display_name": "新名字", "phone": "138****8000"}))
        .await
        .problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["errors"][0]["pointer"], "/phone");
    assert_eq!(r.body["errors"][0]["code"], "masked_value");
    let r = app
        .patch(&path, &w.county_admin, json!({"roles": [], "password": "short", "email": "x"}))
        .await
        .problem(422, "VALIDATION_FAILED");
    assert_eq!(pointers(&r), vec!["/email", "/password", "/roles"]);
    let r = app.patch(&path, &w.county_admin, json!({"version": 9})).await.problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["errors"][0]["pointer"], "/version");
    assert_eq!(r.body["errors"][0]["code"], "read_only");
    let r =
        app.patch(&path, &w.county_admin, json!({"username": "rl.renamed"})).await.problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["errors"][0]["pointer"], "/username");
    let read = app.get(&path, &w.county_admin).await.expect(200);
    assert_eq!(read.body["display_name"], "rl.li");
    assert_eq!(read.body["phone"], "13800138000");
    assert_eq!(read.body["username"], "rl.li");
    assert_eq!(read.body["version"], 2);
    app.login("rl.li", PASSWORD).await;
});

both!(visibility_superior_sees_subordinates_users_and_no_one_else_does, |app| async move {
    let w = app.world().await;
    let (province_user, _) = app.user(&w.province, "yn.viewer", "viewer").await;
    let (prefecture_user, _) = app.user(&w.prefecture, "dh.viewer", "viewer").await;
    let (county_user, county_viewer) = app.user(&w.county, "rl.viewer", "viewer").await;
    let (stranger_user, _) = app.user(&w.stranger, "my.viewer", "viewer").await;
    let get = |id: &str| format!("/v1/users/{id}");

    // Own organization: any role reads its colleagues.
    app.get(&get(&county_user), &w.county_admin).await.expect(200);
    app.get(&get(&county_user), &county_viewer).await.expect(200);
    // Superiors read their subordinates' people, at every level down.
    let seen = app.get(&get(&county_user), &w.province_admin).await.expect(200);
    assert_eq!(seen.body["username"], "rl.viewer");
    app.get(&get(&county_user), &w.prefecture_admin).await.expect(200);
    app.get(&get(&prefecture_user), &w.province_admin).await.expect(200);
    // A subordinate does not see its superiors' people, even though it sees their organizations.
    app.get(&format!("/v1/organizations/{}", w.prefecture), &w.county_admin).await.expect(200);
    for id in [&prefecture_user, &province_user] {
        app.get(&get(id), &w.county_admin).await.problem(404, "NOT_FOUND");
        app.get(&get(id), &county_viewer).await.problem(404, "NOT_FOUND");
    }
    // A stranger sees nobody of the tree, exactly as if the user did not exist; and the tree
    // does not see the stranger's people.
    app.get(&get(&stranger_user), &app.admin_token).await.expect(200);
    for id in [&province_user, &prefecture_user, &county_user] {
        app.get(&get(id), &w.stranger_admin).await.problem(404, "NOT_FOUND");
    }
    app.get(&get(&stranger_user), &w.province_admin).await.problem(404, "NOT_FOUND");
    app.get(&get("01936f3e-0000-7000-8000-00000000dead"), &w.stranger_admin).await.problem(404, "NOT_FOUND");

    // Lists apply the same rule.
    let province = app.get("/v1/users", &w.province_admin).await.expect(200);
    assert_eq!(
        usernames(&province),
        vec!["dh.admin", "dh.viewer", "rl.admin", "rl.officer", "rl.viewer", "yn.admin", "yn.viewer"]
    );
    let county = app.get("/v1/users", &county_viewer).await.expect(200);
    assert_eq!(usernames(&county), vec!["rl.admin", "rl.officer", "rl.viewer"]);
    let stranger = app.get("/v1/users", &w.stranger_admin).await.expect(200);
    assert_eq!(usernames(&stranger), vec!["my.admin", "my.viewer"]);
    // Filtering by a superior's or a stranger's organization gives nothing the caller does not
    // already see (the province's subtree holds the county's own people), not a leak.
    let r = app.get(&format!("/v1/users?organization_id={}", w.province), &w.county_admin).await.expect(200);
    assert_eq!(usernames(&r), vec!["rl.admin", "rl.officer", "rl.viewer"]);
    let r = app.get(&format!("/v1/users?organization_id={}", w.county), &w.stranger_admin).await.expect(200);
    assert_eq!(usernames(&r), Vec::<String>::new());
    // The platform operator sees everyone.
    let all = all_usernames(&app).await;
    assert_eq!(all.len(), 10);
    assert!(all.contains(&"root".to_owned()) && all.contains(&"my.viewer".to_owned()));
});

both!(only_admins_of_the_users_organization_or_a_superior_change_it, |app| async move {
    let w = app.world().await;
    let (county_user, _) = app.user(&w.county, "rl.viewer", "viewer").await;
    let (prefecture_user, _) = app.user(&w.prefecture, "dh.viewer", "viewer").await;
    let patch = json!({"display_name": "改名", "disabled": true});
    let path = |id: &str| format!("/v1/users/{id}");

    // Seeing is not changing: an officer of the same organization may not (403).
    app.patch(&path(&county_user), &w.county_officer, patch.clone()).await.problem(403, "FORBIDDEN");
    // A subordinate's admin does not see its superior's people (404), nor does a stranger.
    app.patch(&path(&prefecture_user), &w.county_admin, patch.clone()).await.problem(404, "NOT_FOUND");
    app.patch(&path(&county_user), &w.stranger_admin, patch.clone()).await.problem(404, "NOT_FOUND");
    for (id, name) in [(&county_user, "rl.viewer"), (&prefecture_user, "dh.viewer")] {
        let read = app.get(&path(id), &app.admin_token).await.expect(200);
        assert_eq!(read.body["display_name"], name);
        assert_eq!(read.body["disabled"], false);
        assert_eq!(read.body["version"], 1);
        app.login(name, PASSWORD).await;
    }

    // The user's own admin and a superior's admin change it.
    let r = app.patch(&path(&county_user), &w.county_admin, json!({"display_name": "县里改"})).await.expect(200);
    assert_eq!(r.body["display_name"], "县里改");
    let r = app.patch(&path(&county_user), &w.province_admin, json!({"roles": ["officer"]})).await.expect(200);
    assert_eq!(r.body["roles"], json!(["officer"]));
    assert_eq!(r.body["version"], 3);
    let r = app.patch(&path(&prefecture_user), &w.prefecture_admin, patch).await.expect(200);
    assert_eq!(r.body["disabled"], true);
});

both!(list_filters_by_organization_subtree_role_disabled_and_updated_since, |app| async move {
    let w = app.world().await;
    let (team_user, _) = {
        let team = app.org(Some(&w.county), "team", "YN-DH-RL-T1").await;
        app.user(&team, "t1.leader", "leader").await
    };
    let (off, _) = app.user(&w.prefecture, "dh.officer", "officer").await;
    app.patch(&format!("/v1/users/{off}"), &w.prefecture_admin, json!({"disabled": true})).await.expect(200);

    // organization_id takes the organization's descendants too.
    let r = app.get(&format!("/v1/users?organization_id={}", w.county), &w.province_admin).await.expect(200);
    assert_eq!(usernames(&r), vec!["rl.admin", "rl.officer", "t1.leader"]);
    let r = app.get(&format!("/v1/users?organization_id={}", w.prefecture), &w.province_admin).await.expect(200);
    assert_eq!(usernames(&r), vec!["dh.admin", "dh.officer", "rl.admin", "rl.officer", "t1.leader"]);
    // role
    let r = app.get("/v1/users?role=officer", &w.province_admin).await.expect(200);
    assert_eq!(usernames(&r), vec!["dh.officer", "rl.officer"]);
    let r = app.get("/v1/users?role=org_admin", &w.prefecture_admin).await.expect(200);
    assert_eq!(usernames(&r), vec!["dh.admin", "rl.admin"]);
    let r = app.get(&format!("/v1/users?role=leader&organization_id={}", w.county), &w.county_admin).await.expect(200);
    assert_eq!(usernames(&r), vec!["t1.leader"]);
    assert_eq!(r.body["items"][0]["id"], team_user.as_str());
    // disabled
    let r = app.get("/v1/users?disabled=true", &w.province_admin).await.expect(200);
    assert_eq!(usernames(&r), vec!["dh.officer"]);
    let r = app.get("/v1/users?disabled=false&role=officer", &w.province_admin).await.expect(200);
    assert_eq!(usernames(&r), vec!["rl.officer"]);
    // updated_since
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let mark = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    app.patch(&format!("/v1/users/{team_user}"), &w.county_admin, json!({"display_name": "队长"})).await.expect(200);
    let since = mark.to_rfc3339_opts(chrono::SecondsFormat::Micros, true).replace('+', "%2B");
    let r = app.get(&format!("/v1/users?updated_since={since}"), &w.province_admin).await.expect(200);
    assert_eq!(usernames(&r), vec!["t1.leader"]);
    // Bad filter values are 400, not ignored.
    app.get("/v1/users?role=king", &w.province_admin).await.problem(400, "INVALID_QUERY");
    app.get("/v1/users?disabled=maybe", &w.province_admin).await.problem(400, "INVALID_QUERY");
    app.get("/v1/users?updated_since=yesterday", &w.province_admin).await.problem(400, "INVALID_QUERY");
    app.get("/v1/users?organisation_id=x", &w.province_admin).await.problem(400, "INVALID_QUERY");
});

both!(paging_walks_every_user_once_and_tokens_stay_with_their_caller, |app| async move {
    let org = app.org(None, "province", "YN").await;
    let (_, admin) = app.user(&org, "yn.admin", "org_admin").await;
    for i in 0..6 {
        app.post("/v1/users", &admin, new_user(&org, &format!("yn.u{i}"), "viewer")).await.expect(201);
    }
    for order in ["id", "updated_at"] {
        let mut seen = vec![];
        let mut pages = 0;
        let first = format!("/v1/users?organization_id={org}&page_size=3&order_by={order}");
        let mut path = first.clone();
        loop {
            let r = app.get(&path, &admin).await.expect(200);
            pages += 1;
            assert!(r.body["items"].as_array().unwrap().len() <= 3);
            seen.extend(r.body["items"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap().to_owned()));
            match r.body["next_page_token"].as_str() {
                Some(t) => path = format!("{first}&page_token={t}"),
                None => break,
            }
        }
        assert_eq!(pages, 3, "7 users in pages of 3");
        seen.sort();
        assert_eq!(seen, vec!["yn.admin", "yn.u0", "yn.u1", "yn.u2", "yn.u3", "yn.u4", "yn.u5"], "order {order}");
    }
    let r = app.get(&format!("/v1/users?organization_id={org}&page_size=3"), &admin).await.expect(200);
    let token = r.body["next_page_token"].as_str().unwrap().to_owned();
    // Another caller, or other filters, cannot use the token.
    app.get(&format!("/v1/users?organization_id={org}&page_size=3&page_token={token}"), &app.admin_token)
        .await
        .problem(400, "INVALID_PAGE_TOKEN");
    app.get(&format!("/v1/users?page_size=3&page_token={token}"), &admin).await.problem(400, "INVALID_PAGE_TOKEN");
    // A token of another list is refused too.
    let orgs = app.get("/v1/organizations?page_size=1", &app.admin_token).await.expect(200);
    let org_token = orgs.body["next_page_token"].as_str().unwrap().to_owned();
    app.get(&format!("/v1/users?page_size=1&page_token={org_token}"), &app.admin_token)
        .await
        .problem(400, "INVALID_PAGE_TOKEN");
    app.get("/v1/users?page_size=201", &admin).await.problem(400, "INVALID_PAGE_SIZE");
    app.get("/v1/users?page_size=0", &admin).await.problem(400, "INVALID_PAGE_SIZE");
});

both!(disabling_a_user_ends_its_tokens_and_logins_and_enabling_restores_them, |app| async move {
    let w = app.world().await;
    let login = try_login(&app, "rl.officer", PASSWORD).await.expect(200);
    let refresh = login.body["refresh_token"].as_str().unwrap().to_owned();
    let token = w.county_officer.clone();
    let officer_id = app.get("/v1/me", &token).await.expect(200).body["user"]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/users/{officer_id}");
    let r = app.patch(&path, &w.county_admin, json!({"disabled": true})).await.expect(200);
    assert_eq!(r.body["disabled"], true);
    // At once: its access token, its refresh token and its password stop working.
    app.get("/v1/me", &token).await.expect(401);
    app.get(&format!("/v1/organizations/{}", w.county), &token).await.expect(401);
    app.call(Method::POST, "/v1/auth/refresh", None, Some(json!({"refresh_token": refresh})), &[]).await.expect(401);
    try_login(&app, "rl.officer", PASSWORD).await.expect(401);
    // The admin still sees it, marked disabled.
    let read = app.get(&path, &w.county_admin).await.expect(200);
    assert_eq!(read.body["disabled"], true);

    app.patch(&path, &w.county_admin, json!({"disabled": false})).await.expect(200);
    let fresh = app.login("rl.officer", PASSWORD).await;
    app.get("/v1/me", &fresh).await.expect(200);
});

both!(an_admin_resets_a_password_and_lifts_a_login_lock, |app| async move {
    let w = app.world().await;
    let (id, _) = app.user(&w.county, "rl.li", "officer").await;
    // Five wrong passwords lock the account: even the right one is refused for a while.
    for _ in 0..5 {
        try_login(&app, "rl.li", "Wrong-password-1").await.problem(401, "INVALID_CREDENTIALS");
    }
    let locked = try_login(&app, "rl.li", PASSWORD).await.problem(429, "TOO_MANY_ATTEMPTS");
    assert!(locked.header("retry-after").is_some());
    // A stranger's admin cannot reset it (and learns nothing): the password and lock stay.
    app.patch(&format!("/v1/users/{id}"), &w.stranger_admin, json!({"password": "Stolen-password-1"}))
        .await
        .problem(404, "NOT_FOUND");
    try_login(&app, "rl.li", "Stolen-password-1").await.problem(429, "TOO_MANY_ATTEMPTS");
    // The user's admin resets it: the old password no longer works, the new one does at once.
    let r = app.patch(&format!("/v1/users/{id}"), &w.county_admin, json!({"password": "New-password-2026"})).await;
    let r = r.expect(200);
    assert!(!r.text.contains("password"), "{}", r.text);
    assert_eq!(r.body["version"], 2);
    try_login(&app, "rl.li", PASSWORD).await.problem(401, "INVALID_CREDENTIALS");
    app.login("rl.li", "New-password-2026").await;
    try_login(&app, "rl.li", "Stolen-password-1").await.problem(401, "INVALID_CREDENTIALS");
});

both!(an_admin_cannot_disable_or_demote_itself, |app| async move {
    let w = app.world().await;
    let me = app.get("/v1/me", &w.county_admin).await.expect(200);
    let path = format!("/v1/users/{}", me.body["user"]["id"].as_str().unwrap());
    app.patch(&path, &w.county_admin, json!({"disabled": true})).await.problem(409, "SELF_DISABLE");
    app.patch(&path, &w.county_admin, json!({"roles": ["officer"]})).await.problem(409, "SELF_DEMOTION");
    let read = app.get(&path, &w.county_admin).await.expect(200);
    assert_eq!(read.body["disabled"], false);
    assert_eq!(read.body["roles"], json!(["org_admin"]));
    assert_eq!(read.body["version"], 1);
    // Still an admin: it creates users.
    app.post("/v1/users", &w.county_admin, new_user(&w.county, "rl.next", "viewer")).await.expect(201);
    // Adding a role to itself while staying admin is fine; so is changing its own name.
    let r = app
        .patch(&path, &w.county_admin, json!({"roles": ["org_admin", "leader"], "display_name": "王局"}))
        .await
        .expect(200);
    assert_eq!(r.body["roles"], json!(["org_admin", "leader"]));
    // A superior may disable it.
    app.patch(&path, &w.province_admin, json!({"disabled": true})).await.expect(200);
    app.get("/v1/me", &w.county_admin).await.expect(401);
});

both!(an_org_admin_cannot_grant_take_or_touch_the_platform_operator_role, |app| async move {
    // An org admin in the platform operator's own organization.
    let me = app.get("/v1/me", &app.admin_token).await.expect(200);
    let platform = me.body["organization_id"].as_str().unwrap().to_owned();
    let root_id = me.body["user"]["id"].as_str().unwrap().to_owned();
    let (_, platform_admin) = app.user(&platform, "ops.admin", "org_admin").await;
    let (viewer, _) = app.user(&platform, "ops.viewer", "viewer").await;
    // It sees root (same organization), but may not grant, take away, disable or reset it.
    app.get(&format!("/v1/users/{root_id}"), &platform_admin).await.expect(200);
    app.patch(&format!("/v1/users/{viewer}"), &platform_admin, json!({"roles": ["sysadmin"]}))
        .await
        .problem(403, "FORBIDDEN");
    let root = format!("/v1/users/{root_id}");
    app.patch(&root, &platform_admin, json!({"roles": ["viewer"]})).await.problem(403, "FORBIDDEN");
    app.patch(&root, &platform_admin, json!({"disabled": true})).await.problem(403, "FORBIDDEN");
    app.patch(&root, &platform_admin, json!({"password": "Taken-over-2026"})).await.problem(403, "FORBIDDEN");
    app.patch(&root, &platform_admin, json!({"email": "attacker@example.com"})).await.problem(403, "FORBIDDEN");
    try_login(&app, "root", "Taken-over-2026").await.expect(401);
    app.login("root", PASSWORD).await;
    let read = app.get(&root, &app.admin_token).await.expect(200);
    assert_eq!(read.body["roles"], json!(["sysadmin"]));
    assert_eq!(read.body["disabled"], false);
    assert_eq!(read.body["email"], Value::Null);
    assert_eq!(read.body["version"], 1);
    assert_eq!(
        app.get(&format!("/v1/users/{viewer}"), &app.admin_token).await.expect(200).body["roles"],
        json!(["viewer"])
    );
    // The platform operator grants it.
    let r = app.patch(&format!("/v1/users/{viewer}"), &app.admin_token, json!({"roles": ["sysadmin"]})).await;
    assert_eq!(r.expect(200).body["roles"], json!(["sysadmin"]));
});

both!(stale_if_match_is_412_and_if_none_match_is_304, |app| async move {
    let w = app.world().await;
    let (id, _) = app.user(&w.county, "rl.li", "officer").await;
    let path = format!("/v1/users/{id}");
    app.patch(&path, &w.county_admin, json!({"display_name": "第一次"})).await.expect(200);
    let r = app
        .call(
            Method::PATCH,
            &path,
            Some(&w.county_admin),
            Some(json!({"display_name": "第二次", "disabled": true})),
            &[("if-match", "\"1\"")],
        )
        .await
        .problem(412, "PRECONDITION_FAILED");
    assert_eq!(r.body["current_version"], 2);
    let read = app.get(&path, &w.county_admin).await.expect(200);
    assert_eq!(read.body["display_name"], "第一次");
    assert_eq!(read.body["disabled"], false);
    app.call(
        Method::PATCH,
        &path,
        Some(&w.county_admin),
        Some(json!({"display_name": "第三次"})),
        &[("if-match", "\"2\"")],
    )
    .await
    .expect(200);
    let r = app.call(Method::GET, &path, Some(&w.county_admin), None, &[("if-none-match", "\"3\"")]).await;
    assert_eq!(r.status.as_u16(), 304);
    let r = app.call(Method::GET, &path, Some(&w.county_admin), None, &[("if-none-match", "\"2\"")]).await;
    assert_eq!(r.status.as_u16(), 200);
    assert_eq!(r.body["display_name"], "第三次");
});

both!(idempotent_create_replays_and_refuses_a_different_body, |app| async move {
    let w = app.world().await;
    let h = [("idempotency-key", "new-user-1")];
    let body = new_user(&w.county, "rl.li", "officer");
    let first = app.call(Method::POST, "/v1/users", Some(&w.county_admin), Some(body.clone()), &h).await.expect(201);
    let second = app.call(Method::POST, "/v1/users", Some(&w.county_admin), Some(body), &h).await.expect(201);
    assert_eq!(second.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(first.body, second.body);
    assert_eq!(first.header("location"), second.header("location"));
    // The same key with another password is another request.
    let mut other = new_user(&w.county, "rl.li", "officer");
    other["password"] = json!("Another-password-1");
    app.call(Method::POST, "/v1/users", Some(&w.county_admin), Some(other), &h).await.problem(422, "VALIDATION_FAILED");
    // Keys belong to their caller: the province admin's same key is a fresh request.
    let r = app
        .call(Method::POST, "/v1/users", Some(&w.province_admin), Some(new_user(&w.county, "rl.wang", "viewer")), &h)
        .await
        .expect(201);
    assert!(r.header("idempotent-replayed").is_none());
    let names = all_usernames(&app).await;
    assert_eq!(names.iter().filter(|n| n.starts_with("rl.li")).count(), 1);
    app.login("rl.li", PASSWORD).await;
});

both!(me_describes_the_caller, |app| async move {
    let w = app.world().await;
    let me = app.get("/v1/me", &w.county_officer).await.expect(200);
    assert_eq!(me.body["kind"], "user");
    assert_eq!(me.body["organization_id"], w.county.as_str());
    assert_eq!(me.body["roles"], json!(["officer"]));
    assert_eq!(me.body["user"]["username"], "rl.officer");
    assert_eq!(me.body["user"]["organization_id"], w.county.as_str());
    assert_eq!(me.body["service_account_id"], Value::Null);
    assert_eq!(me.body["alliance_ids"], json!([]));
    assert!(me.body["scopes"].as_array().is_some());
    // The platform operator is itself too.
    let root = app.get("/v1/me", &app.admin_token).await.expect(200);
    assert_eq!(root.body["roles"], json!(["sysadmin"]));
    assert_eq!(root.body["user"]["username"], "root");
    // Without a token, or with a bad one: 401.
    app.call(Method::GET, "/v1/me", None, None, &[]).await.problem(401, "MISSING_TOKEN");
    app.get("/v1/me", "not-a-jwt").await.problem(401, "INVALID_TOKEN");
    app.call(Method::GET, "/v1/users", None, None, &[]).await.problem(401, "MISSING_TOKEN");
});
