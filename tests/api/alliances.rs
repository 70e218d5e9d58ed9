//! Alliances (党建联盟): founding, the membership workflow (invite → accept → leave or
//! removal), who may act on it, and the sharing it controls: fellow active members see each
//! other's organization records, only while both are active, and nothing leaks outside.

use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{Resp, TestApp, World};

/// Creates an alliance founded by the caller's organization.
async fn found(app: &TestApp, token: &str, name: &str) -> String {
    app.post("/v1/alliances", token, json!({"name": name, "description": "四级联动"})).await.expect(201).id()
}

/// The state of `org`'s membership in an alliance response (`None` when it has none).
fn state_of(r: &Resp, org: &str) -> Option<String> {
    r.body["members"]
        .as_array()
        .unwrap_or_else(|| panic!("no members in {}", r.text))
        .iter()
        .find(|m| m["organization_id"] == org)
        .map(|m| m["state"].as_str().unwrap().to_owned())
}

/// The ids of a list page, sorted.
fn ids(r: &Resp) -> Vec<String> {
    let mut v: Vec<String> = r.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {}", r.text))
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn invite(org: &str) -> Value {
    json!({"organization_id": org})
}

/// An alliance founded by the county of the world, with the world's stranger invited.
async fn county_alliance_inviting_stranger(app: &TestApp, w: &World) -> String {
    let id = found(app, &w.county_admin, "瑞丽边境园区党建联盟").await;
    app.post(&format!("/v1/alliances/{id}/members"), &w.county_admin, invite(&w.stranger)).await.expect(200);
    id
}

both!(round_trip_create_read_list_update, |app| async move {
    let w = app.world().await;
    let created = app
        .post(
            "/v1/alliances",
            &w.county_admin,
            json!({"name": "瑞丽边境园区党建联盟", "description": "省、州、市、园区四级联动"}),
        )
        .await
        .expect(201);
    let id = created.id();
    assert_eq!(created.header("location"), Some(format!("/v1/alliances/{id}")));
    assert_eq!(created.header("etag").as_deref(), Some("\"1\""));
    // The founder defaults to the caller's organization and is its first, active member.
    assert_eq!(created.body["founder_organization_id"], w.county.as_str());
    let members = created.body["members"].as_array().unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0]["organization_id"], w.county.as_str());
    assert_eq!(members[0]["organization_name"], "YN-DH-RL 投资促进局");
    assert_eq!(members[0]["state"], "active");
    assert!(members[0]["joined_at"].is_string());
    assert_eq!(members[0]["ended_at"], Value::Null);

    let read = app.get(&format!("/v1/alliances/{id}"), &w.county_officer).await.expect(200);
    assert_eq!(read.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(read.body, created.body);
    let list = app.get("/v1/alliances", &w.county_admin).await.expect(200);
    assert_eq!(ids(&list), vec![id.clone()]);
    assert_eq!(list.body["items"][0]["name"], "瑞丽边境园区党建联盟");

    let updated = app
        .call(
            Method::PATCH,
            &format!("/v1/alliances/{id}"),
            Some(&w.county_admin),
            Some(json!({"description": "共享项目与问题"})),
            &[("if-match", "\"1\"")],
        )
        .await
        .expect(200);
    assert_eq!(updated.body["version"], 2);
    assert_eq!(updated.header("etag").as_deref(), Some("\"2\""));
    let read = app.get(&format!("/v1/alliances/{id}"), &w.county_admin).await.expect(200);
    assert_eq!(read.body["description"], "共享项目与问题");
    assert_eq!(read.body["name"], "瑞丽边境园区党建联盟");
});

both!(who_may_found_an_alliance_and_validation, |app| async move {
    let w = app.world().await;
    let body = |founder: &str| json!({"name": "联盟", "founder_organization_id": founder});
    // A superior's organization is visible but not administered: 403. A stranger's: 404.
    app.post("/v1/alliances", &w.county_admin, body(&w.prefecture)).await.problem(403, "FORBIDDEN");
    app.post("/v1/alliances", &w.county_admin, body(&w.stranger)).await.problem(404, "NOT_FOUND");
    app.post("/v1/alliances", &w.county_admin, body("01936f3e-0000-7000-8000-00000000dead"))
        .await
        .problem(404, "NOT_FOUND");
    // An officer administers nothing.
    app.post("/v1/alliances", &w.county_officer, json!({"name": "联盟"})).await.problem(403, "FORBIDDEN");
    // Validation names each field.
    let r = app
        .post("/v1/alliances", &w.county_admin, json!({"id": "not-a-uuid", "name": " "}))
        .await
        .problem(422, "VALIDATION_FAILED");
    let mut pointers: Vec<_> =
        r.body["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap().to_owned()).collect();
    pointers.sort();
    assert_eq!(pointers, vec!["/id", "/name"]);
    let r = app
        .post("/v1/alliances", &w.county_admin, json!({"name": "联".repeat(201)}))
        .await
        .problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["errors"][0]["pointer"], "/name");
    let r = app
        .post("/v1/alliances", &w.county_admin, json!({"name": "联盟", "members": []}))
        .await
        .problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["errors"][0]["pointer"], "/members");
    let r = app.post("/v1/alliances", &w.county_admin, json!({"description": "x"})).await;
    assert_eq!(r.problem(422, "VALIDATION_FAILED").body["errors"][0]["pointer"], "/name");
    let all = app.get("/v1/alliances", &app.admin_token).await.expect(200);
    assert_eq!(ids(&all), Vec::<String>::new(), "a refused create made an alliance");

    // A superior's admin founds one for its subordinate; the platform operator for anyone.
    let r = app.post("/v1/alliances", &w.province_admin, body(&w.county)).await.expect(201);
    assert_eq!(r.body["founder_organization_id"], w.county.as_str());
    assert_eq!(state_of(&r, &w.county).as_deref(), Some("active"));
    assert_eq!(r.body["members"].as_array().unwrap().len(), 1);
    let r = app.post("/v1/alliances", &app.admin_token, body(&w.stranger)).await.expect(201);
    assert_eq!(r.body["founder_organization_id"], w.stranger.as_str());
    // The client's own id is kept, and a second use of it is a conflict.
    let id = "01936f3e-3333-7000-8000-000000000001";
    let r = app.post("/v1/alliances", &w.county_admin, json!({"id": id, "name": "甲"})).await.expect(201);
    assert_eq!(r.id(), id);
    app.post("/v1/alliances", &w.county_admin, json!({"id": id, "name": "乙"})).await.problem(409, "ALREADY_EXISTS");
    assert_eq!(app.get(&format!("/v1/alliances/{id}"), &w.county_admin).await.expect(200).body["name"], "甲");
});

both!(membership_lifecycle_and_versions, |app| async move {
    let w = app.world().await;
    let id = found(&app, &w.county_admin, "联盟").await;
    let path = format!("/v1/alliances/{id}");
    let members = format!("{path}/members");
    let stranger_member = format!("{members}/{}", w.stranger);

    // Invite: the invited organization sees the alliance and its own state.
    let r = app.post(&members, &w.county_admin, invite(&w.stranger)).await.expect(200);
    assert_eq!(r.header("etag").as_deref(), Some("\"2\""));
    assert_eq!(r.body["version"], 2);
    assert_eq!(state_of(&r, &w.stranger).as_deref(), Some("invited"));
    let seen = app.get(&path, &w.stranger_admin).await.expect(200);
    assert_eq!(state_of(&seen, &w.stranger).as_deref(), Some("invited"));
    assert_eq!(seen.body["members"][1]["joined_at"], Value::Null);
    app.post(&members, &w.county_admin, invite(&w.stranger)).await.problem(409, "INVALID_MEMBERSHIP_STATE");

    // Accept.
    let r = app.post(&format!("{stranger_member}/accept"), &w.stranger_admin, json!({})).await.expect(200);
    assert_eq!(r.body["version"], 3);
    assert_eq!(state_of(&r, &w.stranger).as_deref(), Some("active"));
    assert!(r.body["members"][1]["joined_at"].is_string());
    app.post(&format!("{stranger_member}/accept"), &w.stranger_admin, json!({}))
        .await
        .problem(409, "INVALID_MEMBERSHIP_STATE");
    app.post(&members, &w.county_admin, invite(&w.stranger)).await.problem(409, "INVALID_MEMBERSHIP_STATE");

    // Leave.
    let r = app.post(&format!("{stranger_member}/leave"), &w.stranger_admin, json!({})).await.expect(200);
    assert_eq!(r.body["version"], 4);
    assert_eq!(state_of(&r, &w.stranger).as_deref(), Some("left"));
    assert!(r.body["members"][1]["ended_at"].is_string());
    let read = app.get(&path, &w.county_admin).await.expect(200);
    assert_eq!(read.header("etag").as_deref(), Some("\"4\""));
    assert_eq!(state_of(&read, &w.stranger).as_deref(), Some("left"));
    app.delete(&stranger_member, &w.county_admin).await.problem(409, "INVALID_MEMBERSHIP_STATE");

    // Invited again, accepted again, then removed by the founder.
    let r = app.post(&members, &w.county_admin, invite(&w.stranger)).await.expect(200);
    assert_eq!(state_of(&r, &w.stranger).as_deref(), Some("invited"));
    assert_eq!(r.body["members"][1]["ended_at"], Value::Null);
    app.post(&format!("{stranger_member}/accept"), &w.stranger_admin, json!({})).await.expect(200);
    let r = app.delete(&stranger_member, &w.county_admin).await.expect(200);
    assert_eq!(r.body["version"], 7);
    assert_eq!(state_of(&r, &w.stranger).as_deref(), Some("removed"));
    let read = app.get(&path, &w.county_admin).await.expect(200);
    assert_eq!(state_of(&read, &w.stranger).as_deref(), Some("removed"));
    assert_eq!(read.body["version"], 7);

    // An invitation declined (leave while invited) or withdrawn (removed while invited).
    let other = app.org(None, "province", "GD").await;
    let (_, other_admin) = app.user(&other, "gd.admin", "org_admin").await;
    app.post(&members, &w.county_admin, invite(&other)).await.expect(200);
    let r = app.post(&format!("{members}/{other}/leave"), &other_admin, json!({})).await.expect(200);
    assert_eq!(state_of(&r, &other).as_deref(), Some("left"));
    app.post(&members, &w.county_admin, invite(&other)).await.expect(200);
    let r = app.delete(&format!("{members}/{other}"), &w.county_admin).await.expect(200);
    assert_eq!(state_of(&r, &other).as_deref(), Some("removed"));
    app.post(&format!("{members}/{other}/accept"), &other_admin, json!({})).await.problem(404, "NOT_FOUND");
    assert_eq!(app.get(&path, &w.county_admin).await.expect(200).body["version"], 11);
});

both!(only_the_right_admins_act_on_memberships, |app| async move {
    let w = app.world().await;
    let id = county_alliance_inviting_stranger(&app, &w).await;
    let path = format!("/v1/alliances/{id}");
    let members = format!("{path}/members");
    let accept = format!("{members}/{}/accept", w.stranger);
    let third = app.org(None, "province", "GD").await;
    let (_, third_admin) = app.user(&third, "gd.admin", "org_admin").await;
    let (_, stranger_officer) = app.user(&w.stranger, "my.officer", "officer").await;
    let version = |r: Resp| r.expect(200).body["version"].as_i64().unwrap();
    let before = version(app.get(&path, &w.county_admin).await);

    // The founder's admin may not accept on the invited organization's behalf, nor may an
    // officer of the invited organization.
    app.post(&accept, &w.county_admin, json!({})).await.problem(403, "FORBIDDEN");
    app.post(&accept, &stranger_officer, json!({})).await.problem(403, "FORBIDDEN");
    // The invited organization sees the alliance but may not invite or remove anyone.
    app.post(&members, &w.stranger_admin, invite(&third)).await.problem(403, "FORBIDDEN");
    app.delete(&format!("{members}/{}", w.county), &w.stranger_admin).await.problem(403, "FORBIDDEN");
    // An officer of the founder may not invite.
    app.post(&members, &w.county_officer, invite(&third)).await.problem(403, "FORBIDDEN");
    // An organization with no membership sees nothing: 404 for every action.
    app.post(&members, &third_admin, invite(&third)).await.problem(404, "NOT_FOUND");
    app.post(&format!("{members}/{third}/accept"), &third_admin, json!({})).await.problem(404, "NOT_FOUND");
    app.post(&accept, &third_admin, json!({})).await.problem(404, "NOT_FOUND");
    // Nothing changed.
    let read = app.get(&path, &w.county_admin).await.expect(200);
    assert_eq!(read.body["version"].as_i64().unwrap(), before);
    assert_eq!(state_of(&read, &w.stranger).as_deref(), Some("invited"));
    assert_eq!(state_of(&read, &third), None);

    // After accepting, a member other than the founder still may not invite or remove.
    app.post(&accept, &w.stranger_admin, json!({})).await.expect(200);
    app.post(&members, &w.stranger_admin, invite(&third)).await.problem(403, "FORBIDDEN");
    // ... nor make another member leave.
    app.post(&format!("{members}/{}/leave", w.county), &w.stranger_admin, json!({})).await.problem(403, "FORBIDDEN");
    let read = app.get(&path, &w.county_admin).await.expect(200);
    assert_eq!(state_of(&read, &third), None);
    assert_eq!(state_of(&read, &w.stranger).as_deref(), Some("active"));
    // The founder's superior acts for the founder.
    let r = app.post(&members, &w.province_admin, invite(&third)).await.expect(200);
    assert_eq!(state_of(&r, &third).as_deref(), Some("invited"));

    // Unknown organizations, and memberships that do not exist, are 404.
    app.post(&members, &w.county_admin, invite("01936f3e-0000-7000-8000-00000000dead")).await.problem(404, "NOT_FOUND");
    app.delete(&format!("{members}/{}", w.prefecture), &w.county_admin).await.problem(404, "NOT_FOUND");
    app.post("/v1/alliances/01936f3e-0000-7000-8000-00000000dead/members", &w.county_admin, invite(&third))
        .await
        .problem(404, "NOT_FOUND");
    let r = app.post(&members, &w.county_admin, json!({})).await.problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["errors"][0]["pointer"], "/organization_id");
});

both!(the_founder_cannot_leave_or_be_removed, |app| async move {
    let w = app.world().await;
    let id = county_alliance_inviting_stranger(&app, &w).await;
    let founder = format!("/v1/alliances/{id}/members/{}", w.county);
    app.post(&format!("{founder}/leave"), &w.county_admin, json!({})).await.problem(409, "INVALID_MEMBERSHIP_STATE");
    app.delete(&founder, &w.county_admin).await.problem(409, "INVALID_MEMBERSHIP_STATE");
    app.delete(&founder, &app.admin_token).await.problem(409, "INVALID_MEMBERSHIP_STATE");
    let read = app.get(&format!("/v1/alliances/{id}"), &w.county_admin).await.expect(200);
    assert_eq!(state_of(&read, &w.county).as_deref(), Some("active"));
    assert_eq!(read.body["version"], 2);
});

both!(organizations_are_shared_only_between_active_members, |app| async move {
    let w = app.world().await;
    let third = app.org(None, "province", "GD").await;
    let (_, third_admin) = app.user(&third, "gd.admin", "org_admin").await;
    let id = county_alliance_inviting_stranger(&app, &w).await;
    app.post(&format!("/v1/alliances/{id}/members"), &w.county_admin, invite(&third)).await.expect(200);
    let org = |o: &str| format!("/v1/organizations/{o}");
    let visible_to = |r: Resp| {
        sorted(
            r.expect(200).body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["id"].as_str().unwrap().to_owned())
                .collect(),
        )
    };

    // Invited only: nothing is shared yet, either way.
    app.get(&org(&w.county), &w.county_admin).await.expect(200);
    app.get(&org(&w.county), &w.stranger_admin).await.problem(404, "NOT_FOUND");
    app.get(&org(&w.stranger), &w.county_admin).await.problem(404, "NOT_FOUND");
    assert_eq!(visible_to(app.get("/v1/organizations", &w.stranger_admin).await), vec![w.stranger.clone()]);

    // Accepted: the two active members see each other's organization record, in reads and lists.
    let accept = format!("/v1/alliances/{id}/members/{}/accept", w.stranger);
    app.post(&accept, &w.stranger_admin, json!({})).await.expect(200);
    let r = app.get(&org(&w.county), &w.stranger_admin).await.expect(200);
    assert_eq!(r.body["short_code"], "YN-DH-RL");
    app.get(&org(&w.stranger), &w.county_admin).await.expect(200);
    app.get(&org(&w.stranger), &w.county_officer).await.expect(200);
    assert_eq!(
        visible_to(app.get("/v1/organizations", &w.stranger_admin).await),
        sorted(vec![w.stranger.clone(), w.county.clone()])
    );
    // ... but not the member's superiors, nor the one still only invited.
    app.get(&org(&w.prefecture), &w.stranger_admin).await.problem(404, "NOT_FOUND");
    app.get(&org(&w.province), &w.stranger_admin).await.problem(404, "NOT_FOUND");
    app.get(&org(&third), &w.county_admin).await.problem(404, "NOT_FOUND");
    app.get(&org(&third), &w.stranger_admin).await.problem(404, "NOT_FOUND");
    app.get(&org(&w.county), &third_admin).await.problem(404, "NOT_FOUND");
    // A superior of a member is not a member: the province does not see the partner.
    app.get(&org(&w.stranger), &w.province_admin).await.problem(404, "NOT_FOUND");
    // Partners never see each other's people, and never change each other's records.
    let county_officer_id =
        app.get("/v1/me", &w.county_officer).await.expect(200).body["user"]["id"].as_str().unwrap().to_owned();
    app.get(&format!("/v1/users/{county_officer_id}"), &w.stranger_admin).await.problem(404, "NOT_FOUND");
    let users = app.get(&format!("/v1/users?organization_id={}", w.county), &w.stranger_admin).await.expect(200);
    assert_eq!(users.body["items"], json!([]));
    app.patch(&org(&w.county), &w.stranger_admin, json!({"name": "改名"})).await.problem(403, "FORBIDDEN");
    app.post(
        "/v1/users",
        &w.stranger_admin,
        json!({"organization_id": w.county, "username": "planted", "display_name": "x", "password": "Zhaoshang-2026", "roles": ["officer"]}),
    )
    .await
    .problem(403, "FORBIDDEN");
    let county = app.get(&org(&w.county), &w.county_admin).await.expect(200);
    assert_eq!(county.body["name"], "YN-DH-RL 投资促进局");
    assert_eq!(county.body["version"], 1);

    // Leaving ends it at once, with the same tokens.
    app.post(&format!("/v1/alliances/{id}/members/{}/leave", w.stranger), &w.stranger_admin, json!({}))
        .await
        .expect(200);
    app.get(&org(&w.county), &w.stranger_admin).await.problem(404, "NOT_FOUND");
    app.get(&org(&w.stranger), &w.county_admin).await.problem(404, "NOT_FOUND");
    assert_eq!(visible_to(app.get("/v1/organizations", &w.stranger_admin).await), vec![w.stranger.clone()]);

    // Invited again: still nothing until it accepts; then removal ends it at once too.
    app.post(&format!("/v1/alliances/{id}/members"), &w.county_admin, invite(&w.stranger)).await.expect(200);
    app.get(&org(&w.county), &w.stranger_admin).await.problem(404, "NOT_FOUND");
    app.post(&accept, &w.stranger_admin, json!({})).await.expect(200);
    app.get(&org(&w.county), &w.stranger_admin).await.expect(200);
    app.delete(&format!("/v1/alliances/{id}/members/{}", w.stranger), &w.county_admin).await.expect(200);
    app.get(&org(&w.county), &w.stranger_admin).await.problem(404, "NOT_FOUND");
    app.get(&org(&w.stranger), &w.county_admin).await.problem(404, "NOT_FOUND");
});

both!(descendants_of_an_active_member_see_what_it_sees, |app| async move {
    let w = app.world().await;
    let team = app.org(Some(&w.stranger), "team", "SC-MY-T1").await;
    let (_, team_officer) = app.user(&team, "t1.officer", "officer").await;
    let (_, team_admin) = app.user(&team, "t1.admin", "org_admin").await;
    let id = county_alliance_inviting_stranger(&app, &w).await;
    let path = format!("/v1/alliances/{id}");

    // While the bureau is only invited, its team sees neither the alliance nor the partner.
    app.get(&path, &w.stranger_admin).await.expect(200);
    app.get(&path, &team_officer).await.problem(404, "NOT_FOUND");
    assert_eq!(app.get("/v1/alliances", &team_officer).await.expect(200).body["items"], json!([]));
    app.get(&format!("/v1/organizations/{}", w.county), &team_officer).await.problem(404, "NOT_FOUND");
    let me = app.get("/v1/me", &team_officer).await.expect(200);
    assert_eq!(me.body["alliance_ids"], json!([]));

    app.post(&format!("{path}/members/{}/accept", w.stranger), &w.stranger_admin, json!({})).await.expect(200);
    // The bureau's stationed team sees the alliance and the partner's organization record.
    let r = app.get(&path, &team_officer).await.expect(200);
    assert_eq!(state_of(&r, &w.stranger).as_deref(), Some("active"));
    assert_eq!(ids(&app.get("/v1/alliances", &team_officer).await.expect(200)), vec![id.clone()]);
    app.get(&format!("/v1/organizations/{}", w.county), &team_officer).await.expect(200);
    let me = app.get("/v1/me", &team_officer).await.expect(200);
    assert_eq!(me.body["alliance_ids"], json!([id]));
    // The founder's subordinates too; the partner does not see them (they are not members).
    let county_team = app.org(Some(&w.county), "team", "YN-DH-RL-T1").await;
    let (_, county_team_officer) = app.user(&county_team, "rl.t1", "officer").await;
    app.get(&path, &county_team_officer).await.expect(200);
    app.get(&format!("/v1/organizations/{}", w.stranger), &county_team_officer).await.expect(200);
    app.get(&format!("/v1/organizations/{county_team}"), &w.stranger_admin).await.problem(404, "NOT_FOUND");
    app.get(&format!("/v1/organizations/{team}"), &w.county_admin).await.problem(404, "NOT_FOUND");
    // Seeing is not acting: the team's admin is no admin of the member bureau.
    app.post(&format!("{path}/members/{}/leave", w.stranger), &team_admin, json!({})).await.problem(403, "FORBIDDEN");
    app.patch(&path, &team_admin, json!({"name": "改名"})).await.problem(403, "FORBIDDEN");
    app.post(&format!("{path}/members"), &county_team_officer, invite(&team)).await.problem(403, "FORBIDDEN");

    // When the bureau leaves, its team loses the alliance at once.
    app.post(&format!("{path}/members/{}/leave", w.stranger), &w.stranger_admin, json!({})).await.expect(200);
    app.get(&path, &team_officer).await.problem(404, "NOT_FOUND");
    assert_eq!(app.get("/v1/alliances", &team_officer).await.expect(200).body["items"], json!([]));
    app.get(&format!("/v1/organizations/{}", w.county), &team_officer).await.problem(404, "NOT_FOUND");
    assert_eq!(app.get("/v1/me", &team_officer).await.expect(200).body["alliance_ids"], json!([]));
    let read = app.get(&path, &w.county_admin).await.expect(200);
    assert_eq!(read.body["name"], "瑞丽边境园区党建联盟");
});

both!(visibility_matrix_of_the_alliance_itself, |app| async move {
    let w = app.world().await;
    let id = found(&app, &w.county_admin, "联盟").await;
    let path = format!("/v1/alliances/{id}");
    let county_team = app.org(Some(&w.county), "team", "YN-DH-RL-T1").await;
    let (_, team_admin) = app.user(&county_team, "rl.t1.admin", "org_admin").await;

    // Read: the founder, its superiors and its subordinates; not a stranger.
    for token in [&w.county_admin, &w.county_officer, &w.prefecture_admin, &w.province_admin, &team_admin] {
        app.get(&path, token).await.expect(200);
        assert_eq!(ids(&app.get("/v1/alliances", token).await.expect(200)), vec![id.clone()]);
    }
    app.get(&path, &w.stranger_admin).await.problem(404, "NOT_FOUND");
    app.get("/v1/alliances/01936f3e-0000-7000-8000-00000000dead", &w.county_admin).await.problem(404, "NOT_FOUND");
    assert_eq!(app.get("/v1/alliances", &w.stranger_admin).await.expect(200).body["items"], json!([]));
    let filtered =
        app.get(&format!("/v1/alliances?member_organization_id={}", w.county), &w.stranger_admin).await.expect(200);
    assert_eq!(filtered.body["items"], json!([]));

    // Update: the founder's admin and its superior's; a subordinate's admin or an officer sees
    // but may not (403); a stranger does not see (404).
    app.patch(&path, &w.county_admin, json!({"name": "县里改"})).await.expect(200);
    app.patch(&path, &w.province_admin, json!({"description": "省里改"})).await.expect(200);
    app.patch(&path, &team_admin, json!({"name": "队里改"})).await.problem(403, "FORBIDDEN");
    app.patch(&path, &w.county_officer, json!({"name": "专员改"})).await.problem(403, "FORBIDDEN");
    app.patch(&path, &w.stranger_admin, json!({"name": "外人改"})).await.problem(404, "NOT_FOUND");
    app.post(&format!("{path}/members"), &w.stranger_admin, invite(&w.stranger)).await.problem(404, "NOT_FOUND");
    let read = app.get(&path, &w.county_admin).await.expect(200);
    assert_eq!(read.body["name"], "县里改");
    assert_eq!(read.body["description"], "省里改");
    assert_eq!(read.body["version"], 3);
    assert_eq!(read.body["members"].as_array().unwrap().len(), 1);

    // An invited member sees it but may not edit it.
    app.post(&format!("{path}/members"), &w.county_admin, invite(&w.stranger)).await.expect(200);
    app.get(&path, &w.stranger_admin).await.expect(200);
    app.patch(&path, &w.stranger_admin, json!({"name": "外人改"})).await.problem(403, "FORBIDDEN");
    // Validation of the update.
    let r = app.patch(&path, &w.county_admin, json!({"name": ""})).await.problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["errors"][0]["pointer"], "/name");
    let r = app
        .patch(&path, &w.county_admin, json!({"founder_organization_id": w.stranger}))
        .await
        .problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["errors"][0]["pointer"], "/founder_organization_id");
    let r = app.patch(&path, &w.county_admin, json!({"version": 1})).await.problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["errors"][0]["code"], "read_only");
    let read = app.get(&path, &w.county_admin).await.expect(200);
    assert_eq!(read.body["name"], "县里改");
    assert_eq!(read.body["founder_organization_id"], w.county.as_str());
});

both!(former_members_no_longer_see_the_alliance, |app| async move {
    let w = app.world().await;
    let third = app.org(None, "province", "GD").await;
    let (_, third_admin) = app.user(&third, "gd.admin", "org_admin").await;
    let id = county_alliance_inviting_stranger(&app, &w).await;
    let path = format!("/v1/alliances/{id}");
    let members = format!("{path}/members");
    app.post(&members, &w.county_admin, invite(&third)).await.expect(200);
    app.post(&format!("{members}/{}/accept", w.stranger), &w.stranger_admin, json!({})).await.expect(200);
    app.post(&format!("{members}/{third}/accept"), &third_admin, json!({})).await.expect(200);
    for token in [&w.stranger_admin, &third_admin] {
        app.get(&path, token).await.expect(200);
        assert_eq!(ids(&app.get("/v1/alliances", token).await.expect(200)), vec![id.clone()]);
    }

    // One leaves, one is removed: neither sees the alliance, its members or its changes.
    app.post(&format!("{members}/{}/leave", w.stranger), &w.stranger_admin, json!({})).await.expect(200);
    app.delete(&format!("{members}/{third}"), &w.county_admin).await.expect(200);
    app.patch(&path, &w.county_admin, json!({"description": "新的工作计划"})).await.expect(200);
    for token in [&w.stranger_admin, &third_admin] {
        app.get(&path, token).await.problem(404, "NOT_FOUND");
        assert_eq!(app.get("/v1/alliances", token).await.expect(200).body["items"], json!([]));
        app.patch(&path, token, json!({"name": "x"})).await.problem(404, "NOT_FOUND");
    }
    app.post(&format!("{members}/{third}/accept"), &third_admin, json!({})).await.problem(404, "NOT_FOUND");
    // The founder still sees their ended memberships.
    let read = app.get(&path, &w.county_admin).await.expect(200);
    assert_eq!(state_of(&read, &w.stranger).as_deref(), Some("left"));
    assert_eq!(state_of(&read, &third).as_deref(), Some("removed"));
    let left =
        app.get(&format!("/v1/alliances?member_organization_id={}&state=left", w.stranger), &w.county_admin).await;
    assert_eq!(ids(&left.expect(200)), vec![id.clone()]);
    // Invited again, it sees the alliance again (to accept it).
    app.post(&members, &w.county_admin, invite(&third)).await.expect(200);
    let r = app.get(&path, &third_admin).await.expect(200);
    assert_eq!(state_of(&r, &third).as_deref(), Some("invited"));
    assert_eq!(r.body["description"], "新的工作计划");
});

both!(list_filters_by_member_and_state, |app| async move {
    let w = app.world().await;
    let third = app.org(None, "province", "GD").await;
    let (_, third_admin) = app.user(&third, "gd.admin", "org_admin").await;
    // a: county + stranger active; b: county + stranger invited; c: stranger's own; d: county
    // alone, with third removed.
    let a = county_alliance_inviting_stranger(&app, &w).await;
    app.post(&format!("/v1/alliances/{a}/members/{}/accept", w.stranger), &w.stranger_admin, json!({}))
        .await
        .expect(200);
    let b = county_alliance_inviting_stranger(&app, &w).await;
    let c = found(&app, &w.stranger_admin, "川内联盟").await;
    let d = found(&app, &w.county_admin, "县内联盟").await;
    app.post(&format!("/v1/alliances/{d}/members"), &w.county_admin, invite(&third)).await.expect(200);
    app.delete(&format!("/v1/alliances/{d}/members/{third}"), &w.county_admin).await.expect(200);

    let list = |q: String, token: String| {
        let app = &app;
        async move { ids(&app.get(&format!("/v1/alliances{q}"), &token).await.expect(200)) }
    };
    let county = w.county_admin.clone();
    let stranger = w.stranger_admin.clone();
    assert_eq!(list(String::new(), county.clone()).await, sorted(vec![a.clone(), b.clone(), d.clone()]));
    assert_eq!(list(String::new(), stranger.clone()).await, sorted(vec![a.clone(), b.clone(), c.clone()]));
    assert_eq!(list(String::new(), third_admin.clone()).await, Vec::<String>::new());
    assert_eq!(
        list(String::new(), app.admin_token.clone()).await,
        sorted(vec![a.clone(), b.clone(), c.clone(), d.clone()])
    );
    // member_organization_id alone: any state.
    let s = &w.stranger;
    assert_eq!(list(format!("?member_organization_id={s}"), county.clone()).await, sorted(vec![a.clone(), b.clone()]));
    // With state: that organization's membership in that state.
    assert_eq!(list(format!("?member_organization_id={s}&state=invited"), stranger.clone()).await, vec![b.clone()]);
    assert_eq!(
        list(format!("?member_organization_id={s}&state=active"), stranger.clone()).await,
        sorted(vec![a.clone(), c.clone()])
    );
    assert_eq!(
        list(format!("?member_organization_id={}&state=active", w.county), stranger.clone()).await,
        sorted(vec![a.clone(), b.clone()])
    );
    assert_eq!(list(format!("?member_organization_id={third}&state=removed"), county.clone()).await, vec![d.clone()]);
    // state alone: alliances with some membership in that state.
    assert_eq!(list("?state=invited".to_owned(), county.clone()).await, vec![b.clone()]);
    assert_eq!(list("?state=removed".to_owned(), county.clone()).await, vec![d.clone()]);
    assert_eq!(list("?state=left".to_owned(), county.clone()).await, Vec::<String>::new());
    // updated_since: membership changes count as changes of the alliance.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let mark = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    app.post(&format!("/v1/alliances/{b}/members/{s}/accept"), &w.stranger_admin, json!({})).await.expect(200);
    let since = mark.to_rfc3339_opts(chrono::SecondsFormat::Micros, true).replace('+', "%2B");
    assert_eq!(list(format!("?updated_since={since}"), county.clone()).await, vec![b.clone()]);
    // Bad values are 400.
    app.get("/v1/alliances?state=sleeping", &county).await.problem(400, "INVALID_QUERY");
    app.get("/v1/alliances?member=x", &county).await.problem(400, "INVALID_QUERY");
    app.get("/v1/alliances?updated_since=yesterday", &county).await.problem(400, "INVALID_QUERY");
});

both!(paging_walks_every_alliance_once, |app| async move {
    let w = app.world().await;
    let mut made = vec![];
    for i in 0..5 {
        made.push(found(&app, &w.county_admin, &format!("联盟 {i}")).await);
    }
    found(&app, &w.stranger_admin, "外人联盟").await;
    for order in ["id", "updated_at"] {
        let first = format!("/v1/alliances?page_size=2&order_by={order}");
        let mut path = first.clone();
        let (mut seen, mut pages) = (vec![], 0);
        loop {
            let r = app.get(&path, &w.county_admin).await.expect(200);
            pages += 1;
            seen.extend(r.body["items"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_owned()));
            match r.body["next_page_token"].as_str() {
                Some(t) => path = format!("{first}&page_token={t}"),
                None => break,
            }
        }
        assert_eq!(pages, 3);
        assert_eq!(sorted(seen), sorted(made.clone()), "order {order}");
    }
    let r = app.get("/v1/alliances?page_size=2", &w.county_admin).await.expect(200);
    let token = r.body["next_page_token"].as_str().unwrap().to_owned();
    app.get(&format!("/v1/alliances?page_size=2&page_token={token}"), &w.stranger_admin)
        .await
        .problem(400, "INVALID_PAGE_TOKEN");
    app.get(&format!("/v1/alliances?page_size=2&state=active&page_token={token}"), &w.county_admin)
        .await
        .problem(400, "INVALID_PAGE_TOKEN");
    app.get("/v1/alliances?page_size=201", &w.county_admin).await.problem(400, "INVALID_PAGE_SIZE");
});

both!(stale_if_match_is_412_and_membership_changes_move_the_etag, |app| async move {
    let w = app.world().await;
    let id = found(&app, &w.county_admin, "联盟").await;
    let path = format!("/v1/alliances/{id}");
    let r = app.call(Method::GET, &path, Some(&w.county_admin), None, &[("if-none-match", "\"1\"")]).await;
    assert_eq!(r.status.as_u16(), 304);
    // A membership change is a change: the old ETag no longer matches.
    app.post(&format!("{path}/members"), &w.county_admin, invite(&w.stranger)).await.expect(200);
    let r = app.call(Method::GET, &path, Some(&w.county_admin), None, &[("if-none-match", "\"1\"")]).await;
    assert_eq!(r.status.as_u16(), 200);
    assert_eq!(r.header("etag").as_deref(), Some("\"2\""));
    let r = app
        .call(Method::PATCH, &path, Some(&w.county_admin), Some(json!({"name": "改名"})), &[("if-match", "\"1\"")])
        .await
        .problem(412, "PRECONDITION_FAILED");
    assert_eq!(r.body["current_version"], 2);
    assert_eq!(app.get(&path, &w.county_admin).await.expect(200).body["name"], "联盟");
    app.call(Method::PATCH, &path, Some(&w.county_admin), Some(json!({"name": "改名"})), &[("if-match", "\"2\"")])
        .await
        .expect(200);
    assert_eq!(app.get(&path, &w.county_admin).await.expect(200).body["name"], "改名");
});

both!(idempotent_create_replays_and_refuses_a_different_body, |app| async move {
    let w = app.world().await;
    let h = [("idempotency-key", "alliance-1")];
    let body = json!({"name": "联盟", "description": "x"});
    let first = app.call(Method::POST, "/v1/alliances", Some(&w.county_admin), Some(body.clone()), &h).await;
    let first = first.expect(201);
    let second = app.call(Method::POST, "/v1/alliances", Some(&w.county_admin), Some(body), &h).await.expect(201);
    assert_eq!(second.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(first.body, second.body);
    app.call(Method::POST, "/v1/alliances", Some(&w.county_admin), Some(json!({"name": "另一个"})), &h)
        .await
        .problem(422, "VALIDATION_FAILED");
    assert_eq!(ids(&app.get("/v1/alliances", &w.county_admin).await.expect(200)), vec![first.id()]);
});

both!(me_lists_the_alliances_whose_records_the_caller_reads, |app| async move {
    let w = app.world().await;
    let id = county_alliance_inviting_stranger(&app, &w).await;
    let alliances_of = |token: String| {
        let app = &app;
        async move { app.get("/v1/me", &token).await.expect(200).body["alliance_ids"].clone() }
    };
    assert_eq!(alliances_of(w.county_officer.clone()).await, json!([id]));
    // Invited is not yet a member.
    assert_eq!(alliances_of(w.stranger_admin.clone()).await, json!([]));
    app.post(&format!("/v1/alliances/{id}/members/{}/accept", w.stranger), &w.stranger_admin, json!({}))
        .await
        .expect(200);
    assert_eq!(alliances_of(w.stranger_admin.clone()).await, json!([id]));
    // A superior of a member is not itself a member.
    assert_eq!(alliances_of(w.province_admin.clone()).await, json!([]));
    app.delete(&format!("/v1/alliances/{id}/members/{}", w.stranger), &w.county_admin).await.expect(200);
    assert_eq!(alliances_of(w.stranger_admin.clone()).await, json!([]));
});
