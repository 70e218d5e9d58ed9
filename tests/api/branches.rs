//! Party branches (党支部) and compliance with 三会一课: a branch with groups and members
//! round-trips (create, read, list with each filter and paging, patch replacing members,
//! If-Match, If-None-Match, idempotent retry, client ids); every validation rule's 422
//! pointer; the visibility matrix (own org admin and party secretary, the branch's secretary,
//! superior admin and officer, subordinate, alliance partner without members, stranger); the
//! compliance table of a past year against a hand-computed one (missed months, time zone of
//! the held date, incomplete meetings, joint activities counted for each branch); compliance
//! rules as data (national defaults, an organization's override and its inheritance, DELETE
//! restoring, who may change which set).

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{Resp, TestApp, World};

const UNKNOWN: &str = "01936f3e-0000-7000-8000-00000000dead";
const SHA: &str = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn path(id: &str) -> String {
    format!("/v1/branches/{id}")
}

/// Percent-encodes a query value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The (pointer, code) pairs of a 422, sorted.
fn violations(r: Resp) -> Vec<(String, String)> {
    let r = r.problem(422, "VALIDATION_FAILED");
    let mut v: Vec<(String, String)> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["pointer"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned()))
        .collect();
    v.sort();
    v
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v.iter().map(|(p, c)| (p.to_string(), c.to_string())).collect();
    out.sort();
    out
}

/// Ids of a list page's items.
fn ids(r: &Resp) -> Vec<String> {
    r.body["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect()
}

fn set(v: Vec<String>) -> HashSet<String> {
    v.into_iter().collect()
}

/// Members of a branch response as (user_id, party_role, joined_on, group), sorted.
fn members(v: &Value) -> Vec<(String, String, String, Option<String>)> {
    let mut out: Vec<_> = v["members"]
        .as_array()
        .unwrap_or_else(|| panic!("no members in {v}"))
        .iter()
        .map(|m| {
            (
                m["user_id"].as_str().unwrap().to_owned(),
                m["party_role"].as_str().unwrap().to_owned(),
                m["joined_on"].as_str().unwrap().to_owned(),
                m["group"].as_str().map(str::to_owned),
            )
        })
        .collect();
    out.sort();
    out
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> Resp {
    app.call(Method::PUT, path, Some(token), Some(body), &[]).await
}

async fn patch_if(app: &TestApp, path: &str, token: &str, version: &str, body: Value) -> Resp {
    app.call(Method::PATCH, path, Some(token), Some(body), &[("If-Match", version)]).await
}

/// Every page of a list, following `next_page_token`.
async fn all_pages(app: &TestApp, base: &str, token: &str) -> Vec<String> {
    let mut out = vec![];
    let mut next: Option<String> = None;
    loop {
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = match &next {
            Some(t) => format!("{base}{sep}page_token={t}"),
            None => base.to_owned(),
        };
        let r = app.get(&url, token).await.expect(200);
        out.extend(ids(&r));
        match r.body["next_page_token"].as_str() {
            Some(t) => next = Some(t.to_owned()),
            None => return out,
        }
    }
}

both!(branch_round_trip, |app| async move {
    let w: World = app.world().await;
    let (sec_id, sec) = app.user(&w.county, "rl.party", "party_secretary").await;
    let (a, _) = app.user(&w.county, "rl.a", "member").await;
    let (b, _) = app.user(&w.county, "rl.b", "member").await;
    let (c, _) = app.user(&w.county, "rl.c", "member").await;
    // A user of a team under the county may be a member too.
    let team = app.org(Some(&w.county), "team", "YN-DH-RL-SZ").await;
    let (t, _) = app.user(&team, "rl.team", "member").await;
    let id = uuid::Uuid::now_v7().to_string();
    let body = json!({
        "id": id, "organization_id": w.county, "name": " 驻深圳招商小分队党支部 ",
        "secretary_id": sec_id, "deputy_id": a, "stationed": true, "stationed_in": "广东省深圳市",
        "groups": [{"name": "第一党小组", "leader_id": a}, {"name": "第二党小组"}],
        "members": [
            {"user_id": a, "party_role": "committee_member", "joined_on": "2015-07-01", "group": "第一党小组"},
            {"user_id": b, "party_role": "probationary_member", "joined_on": "2025-07-01", "group": "第二党小组"},
            {"user_id": t, "party_role": "member", "joined_on": "2020-07-01"},
        ]
    });
    let created = app
        .call(Method::POST, "/v1/branches", Some(&sec), Some(body.clone()), &[("Idempotency-Key", "branch-1")])
        .await
        .expect(201);
    assert_eq!(created.header("location"), Some(path(&id)));
    assert_eq!(created.header("etag").as_deref(), Some("\"1\""));
    let v = &created.body;
    assert_eq!(v["id"], id);
    assert_eq!(v["organization_id"], w.county);
    assert_eq!(v["name"], "驻深圳招商小分队党支部");
    assert_eq!(v["secretary_id"], sec_id);
    assert_eq!(v["deputy_id"], a);
    assert_eq!(v["stationed"], true);
    assert_eq!(v["stationed_in"], "广东省深圳市");
    assert_eq!(v["groups"], json!([{"name": "第一党小组", "leader_id": a}, {"name": "第二党小组", "leader_id": null}]));
    assert_eq!(v["member_count"], 3);
    assert_eq!(v["version"], 1);
    let mut expected = vec![
        (a.clone(), "committee_member".to_owned(), "2015-07-01".to_owned(), Some("第一党小组".to_owned())),
        (b.clone(), "probationary_member".to_owned(), "2025-07-01".to_owned(), Some("第二党小组".to_owned())),
        (t.clone(), "member".to_owned(), "2020-07-01".to_owned(), None),
    ];
    expected.sort();
    assert_eq!(members(v), expected);

    // A retry with the same key replays the first answer; the same id without a key is 409.
    let again = app
        .call(Method::POST, "/v1/branches", Some(&sec), Some(body.clone()), &[("Idempotency-Key", "branch-1")])
        .await
        .expect(201);
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(again.id(), id);
    app.post("/v1/branches", &sec, body).await.problem(409, "ALREADY_EXISTS");
    assert_eq!(ids(&app.get("/v1/branches", &sec).await.expect(200)), vec![id.clone()]);

    // Read: the same branch, 304 with its version.
    let read = app.get(&path(&id), &sec).await.expect(200);
    assert_eq!(read.body, created.body);
    assert_eq!(read.header("etag").as_deref(), Some("\"1\""));
    let r = app.call(Method::GET, &path(&id), Some(&sec), None, &[("If-None-Match", "\"1\"")]).await;
    assert_eq!(r.status.as_u16(), 304);

    // Two more branches: one of the county, one of the prefecture; list filters.
    let office = app.branch(&w.county_admin, &w.county, "机关第一党支部", None, &[]).await;
    let city = app.branch(&w.prefecture_admin, &w.prefecture, "市局机关党支部_100%", None, &[]).await;
    let list = |q: String| {
        let app = &app;
        let token = w.prefecture_admin.clone();
        async move { set(ids(&app.get(&format!("/v1/branches{q}"), &token).await.expect(200))) }
    };
    assert_eq!(list(String::new()).await, set(vec![id.clone(), office.clone(), city.clone()]));
    assert_eq!(list(format!("?organization_id={}", w.county)).await, set(vec![id.clone(), office.clone()]));
    assert_eq!(list(format!("?organization_id={}", w.prefecture)).await, set(vec![city.clone()]));
    assert_eq!(list("?stationed=true".into()).await, set(vec![id.clone()]));
    assert_eq!(list("?stationed=false".into()).await, set(vec![office.clone(), city.clone()]));
    assert_eq!(list(format!("?q={}", enc("深圳"))).await, set(vec![id.clone()]));
    assert_eq!(list(format!("?q={}", enc("机关"))).await, set(vec![office.clone(), city.clone()]));
    // LIKE wildcards are matched literally.
    assert_eq!(list(format!("?q={}", enc("_100%"))).await, set(vec![city.clone()]));
    assert_eq!(list(format!("?q={}", enc("%"))).await, set(vec![city.clone()]));
    assert_eq!(list(format!("?q={}", enc("支_部"))).await, set(vec![]));
    let city_updated = app.get(&path(&city), &w.prefecture_admin).await.body["updated_at"].as_str().unwrap().to_owned();
    assert_eq!(list(format!("?updated_since={}", enc(&city_updated))).await, set(vec![city.clone()]));
    // Paging: one per page, every branch once.
    let paged = all_pages(&app, "/v1/branches?page_size=1", &w.prefecture_admin).await;
    assert_eq!(paged.len(), 3);
    assert_eq!(set(paged), set(vec![id.clone(), office.clone(), city.clone()]));
    app.get("/v1/branches?page_size=201", &w.prefecture_admin).await.problem(400, "INVALID_PAGE_SIZE");

    // Patch: members replaced whole; groups kept; 412 with the old version afterwards.
    let p = patch_if(
        &app,
        &path(&id),
        &sec,
        "\"1\"",
        json!({"name": "驻深圳党支部", "deputy_id": null,
               "members": [{"user_id": c, "party_role": "member", "joined_on": "2024-07-01", "group": "第二党小组"}]}),
    )
    .await
    .expect(200);
    assert_eq!(p.header("etag").as_deref(), Some("\"2\""));
    assert_eq!(p.body["name"], "驻深圳党支部");
    assert_eq!(p.body["deputy_id"], Value::Null);
    assert_eq!(p.body["version"], 2);
    assert_eq!(p.body["member_count"], 1);
    assert_eq!(p.body["groups"], created.body["groups"]);
    assert_eq!(
        members(&p.body),
        vec![(c.clone(), "member".to_owned(), "2024-07-01".to_owned(), Some("第二党小组".to_owned()))]
    );
    let stale =
        patch_if(&app, &path(&id), &sec, "\"1\"", json!({"name": "改名"})).await.problem(412, "PRECONDITION_FAILED");
    assert_eq!(stale.body["current_version"], 2);
    assert_eq!(app.get(&path(&id), &sec).await.body["name"], "驻深圳党支部");
    // Leaving the stationed state needs stationed_in cleared too.
    assert_eq!(
        violations(app.patch(&path(&id), &sec, json!({"stationed": false})).await),
        pairs(&[("/stationed_in", "not_stationed")])
    );
    let p = app.patch(&path(&id), &sec, json!({"stationed": false, "stationed_in": null})).await.expect(200);
    assert_eq!((p.body["stationed"].clone(), p.body["stationed_in"].clone()), (json!(false), Value::Null));
    // Removing a group that a member still names is refused; the organization is not writable.
    assert_eq!(
        violations(app.patch(&path(&id), &sec, json!({"groups": [{"name": "第一党小组"}]})).await),
        pairs(&[("/members/0/group", "unknown_group")])
    );
    let r = app.patch(&path(&id), &sec, json!({"organization_id": w.prefecture})).await;
    assert_eq!(violations(r), pairs(&[("/organization_id", "unknown_field")]));
    assert_eq!(app.get(&path(&id), &sec).await.body["version"], 3);
});

both!(every_validation_rule_has_its_pointer, |app| async move {
    let w = app.world().await;
    let (a, _) = app.user(&w.county, "rl.a", "member").await;
    let (gone, _) = app.user(&w.county, "rl.gone", "member").await;
    app.patch(&format!("/v1/users/{gone}"), &app.admin_token, json!({"disabled": true})).await.expect(200);
    let (superior, _) = app.user(&w.prefecture, "dh.member", "member").await;
    let (stranger, _) = app.user(&w.stranger, "my.member", "member").await;
    let body = json!({
        "id": "not-a-uuid",
        "organization_id": w.county,
        "name": "   ",
        "secretary_id": stranger,
        "deputy_id": superior,
        "stationed": false,
        "stationed_in": "深圳",
        "groups": [{"name": "一组", "leader_id": UNKNOWN}, {"name": "一组"}, {"name": " "}],
        "members": [
            {"user_id": a, "party_role": "member", "joined_on": "2099-01-01", "group": "三组"},
            {"user_id": a, "party_role": "member", "joined_on": "2020-01-01", "group": "一组"},
            {"user_id": gone, "party_role": "member", "joined_on": "2020-01-01"},
        ]
    });
    assert_eq!(
        violations(app.post("/v1/branches", &w.county_admin, body).await),
        pairs(&[
            ("/id", "uuid"),
            ("/name", "required"),
            ("/secretary_id", "unknown_user"),
            ("/deputy_id", "unknown_user"),
            ("/stationed_in", "not_stationed"),
            ("/groups/0/leader_id", "unknown_user"),
            ("/groups/1/name", "duplicate"),
            ("/groups/2/name", "required"),
            ("/members/0/joined_on", "future"),
            ("/members/0/group", "unknown_group"),
            ("/members/1/user_id", "duplicate"),
            ("/members/2/user_id", "unknown_user"),
        ])
    );
    let too_long = "党".repeat(101);
    assert_eq!(
        violations(app.post("/v1/branches", &w.county_admin, json!({"name": too_long})).await),
        pairs(&[("/name", "length")])
    );
    let r = app
        .post(
            "/v1/branches",
            &w.county_admin,
            json!({"name": "支部", "members": [{"user_id": a, "party_role": "secretary", "joined_on": "2020-01-01"}]}),
        )
        .await;
    assert_eq!(violations(r), pairs(&[("/members/0/party_role", "type")]));
    let r = app
        .post(
            "/v1/branches",
            &w.county_admin,
            json!({"name": "支部", "members": [{"user_id": a, "party_role": "member", "joined_on": "2020-13-01"}]}),
        )
        .await;
    assert_eq!(violations(r), pairs(&[("/members/0/joined_on", "type")]));
    assert_eq!(
        violations(app.post("/v1/branches", &w.county_admin, json!({"name": "支部", "version": 3})).await),
        pairs(&[("/version", "read_only")])
    );
    // Nothing was created.
    assert!(ids(&app.get("/v1/branches", &w.county_admin).await.expect(200)).is_empty());

    // On update, users the branch already names stay even once disabled; new ones are checked.
    let (kept, _) = app.user(&w.county, "rl.kept", "member").await;
    let id = app.branch(&w.county_admin, &w.county, "支部", Some(&kept), &[&kept]).await;
    app.patch(&format!("/v1/users/{kept}"), &app.admin_token, json!({"disabled": true})).await.expect(200);
    app.patch(&path(&id), &w.county_admin, json!({"name": "第一支部"})).await.expect(200);
    let r = app
        .patch(
            &path(&id),
            &w.county_admin,
            json!({"members": [
                {"user_id": kept, "party_role": "member", "joined_on": "2020-07-01"},
                {"user_id": stranger, "party_role": "member", "joined_on": "2020-07-01"}
            ]}),
        )
        .await;
    assert_eq!(violations(r), pairs(&[("/members/1/user_id", "unknown_user")]));
});

both!(visibility_matrix, |app| async move {
    let w = app.world().await;
    let (sec_user, sec) = app.user(&w.county, "rl.sec", "member").await;
    let (_, party_sec) = app.user(&w.county, "rl.party", "party_secretary").await;
    let (_, member) = app.user(&w.county, "rl.member", "member").await;
    let (_, pref_officer) = app.user(&w.prefecture, "dh.officer", "officer").await;
    let (_, pref_party_sec) = app.user(&w.prefecture, "dh.party", "party_secretary").await;
    let team = app.org(Some(&w.county), "team", "YN-DH-RL-SZ").await;
    let (_, team_admin) = app.user(&team, "sz.admin", "org_admin").await;
    let partner = app.org(None, "prefecture", "GD-SZ").await;
    let (_, partner_admin) = app.user(&partner, "sz.partner", "org_admin").await;

    // Who may create: the org admin, its party secretary, a superior's org admin.
    app.branch(&w.county_admin, &w.county, "甲支部", None, &[]).await;
    app.branch(&party_sec, &w.county, "乙支部", None, &[]).await;
    let id = app.branch(&w.prefecture_admin, &w.county, "丙支部", Some(&sec_user), &[&sec_user]).await;
    let new = |name: &str| json!({"organization_id": w.county, "name": name});
    app.post("/v1/branches", &w.county_officer, new("丁")).await.problem(403, "FORBIDDEN");
    app.post("/v1/branches", &member, new("丁")).await.problem(403, "FORBIDDEN");
    app.post("/v1/branches", &pref_party_sec, new("丁")).await.problem(403, "FORBIDDEN");
    // A subordinate sees its superior organization (not its branches) but may not act for it.
    app.post("/v1/branches", &team_admin, new("丁")).await.problem(403, "FORBIDDEN");
    app.post("/v1/branches", &w.stranger_admin, new("丁")).await.problem(404, "NOT_FOUND");
    // The default organization is the caller's.
    let own = app.post("/v1/branches", &team_admin, json!({"name": "小分队支部"})).await.expect(201);
    assert_eq!(own.body["organization_id"], team);

    // A subordinate and a stranger: 404, and nothing listed (before any alliance: a subordinate
    // of an alliance member reads what the alliance shares, its superior's branches included).
    for token in [&team_admin, &w.stranger_admin] {
        app.get(&path(&id), token).await.problem(404, "NOT_FOUND");
        app.patch(&path(&id), token, json!({"name": "x"})).await.problem(404, "NOT_FOUND");
        let l = app.get(&format!("/v1/branches?organization_id={}", w.county), token).await.expect(200);
        assert!(ids(&l).is_empty());
    }
    assert_eq!(ids(&app.get("/v1/branches", &team_admin).await.expect(200)), vec![own.id()]);

    // Through an alliance the county joins, partners read its branches (without members).
    app.alliance(&w.county_admin, &partner, &partner_admin).await;
    // ... and may not create them.
    app.post("/v1/branches", &partner_admin, new("丁")).await.problem(403, "FORBIDDEN");
    // Read in full: the organization, its superiors; a partner reads without members.
    for token in [
        &w.county_admin,
        &party_sec,
        &member,
        &sec,
        &w.county_officer,
        &w.prefecture_admin,
        &pref_officer,
        &w.province_admin,
    ] {
        let r = app.get(&path(&id), token).await.expect(200);
        assert_eq!(r.body["members"].as_array().map(Vec::len), Some(1));
    }
    let seen = app.get(&path(&id), &partner_admin).await.expect(200);
    assert_eq!(seen.body["members"], Value::Null);
    assert_eq!(seen.body["member_count"], 1);
    assert_eq!(seen.body["secretary_id"], sec_user);
    let listed = app.get(&format!("/v1/branches?organization_id={}", w.county), &partner_admin).await.expect(200);
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 3);
    assert!(listed.body["items"].as_array().unwrap().iter().all(|b| b["members"].is_null()));
    // The stranger is in no alliance with the county: still 404.
    app.get(&path(&id), &w.stranger_admin).await.problem(404, "NOT_FOUND");
    assert!(ids(&app.get("/v1/branches", &w.stranger_admin).await.expect(200)).is_empty());
    // Update: the branch's secretary, the org admin and party secretary, a superior's org admin.
    for (i, token) in [&sec, &w.county_admin, &party_sec, &w.prefecture_admin, &w.province_admin].iter().enumerate() {
        let r = app.patch(&path(&id), token, json!({"name": format!("丙支部{i}")})).await.expect(200);
        assert_eq!(r.body["name"], format!("丙支部{i}"));
    }
    // Seen but not changeable: 403, nothing changed.
    for token in [&member, &w.county_officer, &pref_officer, &pref_party_sec, &partner_admin] {
        app.patch(&path(&id), token, json!({"name": "改"})).await.problem(403, "FORBIDDEN");
    }
    assert_eq!(app.get(&path(&id), &w.county_admin).await.body["name"], "丙支部4");
    assert_eq!(app.get(&path(&id), &w.county_admin).await.body["version"], 6);
});

/// Creates an activity of `branch` planned at `planned` (RFC 3339) with the given attachment
/// kinds and co-hosts, and holds it at `held_at` with `minutes`.
#[allow(clippy::too_many_arguments)]
async fn held(
    app: &TestApp,
    token: &str,
    branch: &str,
    activity_type: &str,
    planned: &str,
    held_at: &str,
    minutes: Option<&str>,
    attachments: &[&str],
    cohosts: &[&str],
) -> String {
    let start = chrono::DateTime::parse_from_rfc3339(planned).unwrap().with_timezone(&chrono::Utc);
    let atts: Vec<Value> = attachments
        .iter()
        .map(|k| json!({"kind": k, "name": format!("{k}.pdf"), "size_bytes": 1024, "checksum": SHA}))
        .collect();
    let id = app
        .post(
            "/v1/activities",
            token,
            json!({
                "host_branch_id": branch, "cohost_branch_ids": cohosts,
                "title": format!("{activity_type} {planned}"), "activity_type": activity_type,
                "planned_start": start.to_rfc3339(), "planned_end": (start + chrono::Duration::hours(2)).to_rfc3339(),
                "place": "党员活动室", "attachments": atts,
            }),
        )
        .await
        .expect(201)
        .id();
    let mut body = json!({"held_at": held_at});
    if let Some(m) = minutes {
        body["minutes"] = json!(m);
    }
    app.post(&format!("/v1/activities/{id}/hold"), token, body).await.expect(200);
    id
}

/// A complete activity: minutes text and a sign-in sheet.
async fn complete(app: &TestApp, token: &str, branch: &str, t: &str, at: &str) -> String {
    held(app, token, branch, t, at, at, Some("会议记录"), &["sign_in_sheet"], &[]).await
}

/// (index, owed, held, missing, incomplete ids) of one rule's rows.
fn rows(c: &Value, activity_type: &str) -> Vec<(u64, u64, u64, u64, Vec<String>)> {
    c["periods"]
        .as_array()
        .unwrap_or_else(|| panic!("no periods in {c}"))
        .iter()
        .filter(|p| p["activity_type"] == activity_type)
        .map(|p| {
            (
                p["index"].as_u64().unwrap(),
                p["owed"].as_u64().unwrap(),
                p["held"].as_u64().unwrap(),
                p["missing"].as_u64().unwrap(),
                p["incomplete"].as_array().unwrap().iter().map(|i| i.as_str().unwrap().to_owned()).collect(),
            )
        })
        .collect()
}

/// Rows where each period owes one, from the per-period held counts and incomplete ids.
fn expect(held: &[u64], incomplete: &[Vec<String>]) -> Vec<(u64, u64, u64, u64, Vec<String>)> {
    held.iter()
        .enumerate()
        .map(|(i, h)| (i as u64 + 1, 1, *h, u64::from(*h == 0), incomplete.get(i).cloned().unwrap_or_default()))
        .collect()
}

both!(compliance_of_a_year_matches_a_hand_computed_table, |app| async move {
    let w = app.world().await;
    let tok = w.county_admin.clone();
    let (m, _) = app.user(&w.county, "rl.m", "member").await;
    let b = app.branch(&tok, &w.county, "第一党支部", None, &[&m]).await;
    // Theme day: twice in January; February's is held 2025-01-31T17:00Z, which is February 1
    // in Asia/Shanghai; March missed; April to December once each.
    complete(&app, &tok, &b, "theme_day", "2025-01-06T01:00:00Z").await;
    complete(&app, &tok, &b, "theme_day", "2025-01-20T01:00:00Z").await;
    complete(&app, &tok, &b, "theme_day", "2025-01-31T17:00:00Z").await;
    for m in 4..=12 {
        complete(&app, &tok, &b, "theme_day", &format!("2025-{m:02}-10T01:00:00Z")).await;
    }
    // March: one planned and never held, one cancelled: neither counts.
    let start = chrono::DateTime::parse_from_rfc3339("2025-03-10T01:00:00Z").unwrap().with_timezone(&chrono::Utc);
    app.activity(&tok, &b, "theme_day", start, &[]).await;
    let cancelled = app.activity(&tok, &b, "theme_day", start, &[]).await;
    app.post(&format!("/v1/activities/{cancelled}/cancel"), &tok, json!({"reason": "改期"})).await.expect(200);
    // General meeting: Q1 and Q3 (Q2 and Q4 missed); one held in 2026 is another year.
    complete(&app, &tok, &b, "general_meeting", "2025-02-15T01:00:00Z").await;
    complete(&app, &tok, &b, "general_meeting", "2025-09-15T01:00:00Z").await;
    complete(&app, &tok, &b, "general_meeting", "2026-01-15T01:00:00Z").await;
    // Party lesson each quarter: Q1 without minutes or sign-in, Q2 with minutes only (both
    // incomplete); Q3 with attachments of both kinds, Q4 with minutes text and a member recorded present.
    let l1 = held(&app, &tok, &b, "party_lesson", "2025-03-01T01:00:00Z", "2025-03-01T03:00:00Z", None, &[], &[]).await;
    let l2 =
        held(&app, &tok, &b, "party_lesson", "2025-05-01T01:00:00Z", "2025-05-01T03:00:00Z", Some("记录"), &[], &[])
            .await;
    held(
        &app,
        &tok,
        &b,
        "party_lesson",
        "2025-08-01T01:00:00Z",
        "2025-08-01T03:00:00Z",
        None,
        &["minutes", "sign_in_sheet"],
        &[],
    )
    .await;
    let l4 =
        held(&app, &tok, &b, "party_lesson", "2025-11-01T01:00:00Z", "2025-11-01T03:00:00Z", Some("记录"), &[], &[])
            .await;
    let r = put(&app, &format!("/v1/activities/{l4}/attendance/{m}"), &tok, json!({"status": "present"})).await;
    assert!(r.status.is_success(), "recording attendance failed: {}", r.text);
    // A study session is held but no rule asks for it.
    complete(&app, &tok, &b, "study", "2025-06-01T01:00:00Z").await;

    let c = app.get(&format!("{}/compliance?year=2025", path(&b)), &tok).await.expect(200).body;
    assert_eq!(c["branch_id"], b);
    assert_eq!(c["organization_id"], w.county);
    assert_eq!(c["year"], 2025);
    assert_eq!(c["rules"]["source"], "national");
    assert_eq!(c["rules"]["defined_by"], Value::Null);
    assert_eq!(rows(&c, "theme_day"), expect(&[2, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1], &[]));
    assert_eq!(rows(&c, "general_meeting"), expect(&[1, 0, 1, 0], &[]));
    assert_eq!(rows(&c, "party_lesson"), expect(&[1, 1, 1, 1], &[vec![l1.clone()], vec![l2.clone()]]));
    assert_eq!(rows(&c, "committee_meeting"), expect(&[0; 12], &[]));
    assert_eq!(rows(&c, "group_meeting"), expect(&[0; 12], &[]));
    assert!(rows(&c, "study").is_empty());
    // 4 + 12 + 12 + 4 + 12 periods; met: 11 theme days, 2 general meetings, 4 lessons.
    assert_eq!(
        c["summary"],
        json!({"periods_owed": 44, "periods_held": 17, "periods_missing": 27, "incomplete_count": 2})
    );

    // The organization's table has the branch with the same figures, and its other branches.
    let other = app.branch(&tok, &w.county, "第二党支部", None, &[]).await;
    let org = app.get(&format!("/v1/organizations/{}/compliance?year=2025", w.prefecture), &w.prefecture_admin).await;
    let org = org.expect(200).body;
    let items = org["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let mine = items.iter().find(|i| i["branch_id"] == b).unwrap();
    assert_eq!(mine["summary"], c["summary"]);
    assert_eq!(mine["periods"], c["periods"]);
    let theirs = items.iter().find(|i| i["branch_id"] == other).unwrap();
    assert_eq!(theirs["summary"]["periods_held"], 0);
    assert_eq!(theirs["summary"]["periods_missing"], 44);
    // Paged by branch, each once.
    let p1 =
        app.get(&format!("/v1/organizations/{}/compliance?year=2025&page_size=1", w.county), &tok).await.expect(200);
    let token = p1.body["next_page_token"].as_str().unwrap().to_owned();
    let p2 = app
        .get(&format!("/v1/organizations/{}/compliance?year=2025&page_size=1&page_token={token}", w.county), &tok)
        .await
        .expect(200);
    assert!(p2.body["next_page_token"].is_null());
    let both: HashSet<&str> =
        [&p1.body, &p2.body].iter().map(|p| p["items"][0]["branch_id"].as_str().unwrap()).collect();
    assert_eq!(both, HashSet::from([b.as_str(), other.as_str()]));
    // A future year owes nothing yet.
    let future = app.get(&format!("{}/compliance?year=2099", path(&b)), &tok).await.expect(200).body;
    assert_eq!(future["periods"], json!([]));
});

both!(a_joint_activity_counts_for_every_branch, |app| async move {
    let w = app.world().await;
    let partner = app.org(None, "prefecture", "GD-SZ").await;
    let (_, partner_admin) = app.user(&partner, "sz.partner", "org_admin").await;
    app.alliance(&w.county_admin, &partner, &partner_admin).await;
    let host = app.branch(&w.county_admin, &w.county, "瑞丽支部", None, &[]).await;
    let guest = app.branch(&partner_admin, &partner, "深圳光电协会支部", None, &[]).await;
    let bystander = app.branch(&partner_admin, &partner, "另一支部", None, &[]).await;
    held(
        &app,
        &w.county_admin,
        &host,
        "theme_day",
        "2025-05-10T01:00:00Z",
        "2025-05-10T03:00:00Z",
        None,
        &[],
        &[&guest],
    )
    .await;
    let may = |c: &Value| rows(c, "theme_day").into_iter().find(|r| r.0 == 5).map(|r| r.2).unwrap();
    let c = app.get(&format!("{}/compliance?year=2025", path(&host)), &w.county_admin).await.expect(200).body;
    assert_eq!(may(&c), 1);
    let c = app.get(&format!("{}/compliance?year=2025", path(&guest)), &partner_admin).await.expect(200).body;
    assert_eq!(may(&c), 1);
    // Incomplete for the co-host too: it was held without minutes or a sign-in record.
    assert_eq!(rows(&c, "theme_day")[4].4.len(), 1);
    let c = app.get(&format!("{}/compliance?year=2025", path(&bystander)), &partner_admin).await.expect(200).body;
    assert_eq!(may(&c), 0);
});

/// (source, defined_by, theme day rows) of a branch's compliance.
async fn rule_view(app: &TestApp, url: &str, token: &str) -> (Value, Value, Vec<(u64, u64, u64, u64, Vec<String>)>) {
    let c = app.get(url, token).await.expect(200).body;
    (c["rules"]["source"].clone(), c["rules"]["defined_by"].clone(), rows(&c, "theme_day"))
}

both!(compliance_rules_are_data, |app| async move {
    let w = app.world().await;
    let national = app.get("/v1/compliance-rules", &w.county_admin).await.expect(200).body;
    assert_eq!(national["source"], "national");
    assert_eq!(national["organization_id"], Value::Null);
    assert_eq!(national["defined_by"], Value::Null);
    let mut codes: Vec<(String, String, i64)> = national["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["activity_type"].as_str().unwrap().into(),
                r["period"].as_str().unwrap().into(),
                r["min_count"].as_i64().unwrap(),
            )
        })
        .collect();
    codes.sort();
    assert_eq!(
        codes,
        vec![
            ("committee_meeting".into(), "monthly".into(), 1),
            ("general_meeting".into(), "quarterly".into(), 1),
            ("group_meeting".into(), "monthly".into(), 1),
            ("party_lesson".into(), "quarterly".into(), 1),
            ("theme_day".into(), "monthly".into(), 1),
        ]
    );
    let for_county = |token: String| {
        let app = &app;
        let county = w.county.clone();
        async move { app.get(&format!("/v1/compliance-rules?organization_id={county}"), &token).await.expect(200).body }
    };
    assert_eq!(for_county(w.county_admin.clone()).await["source"], "national");
    assert_eq!(for_county(w.county_admin.clone()).await["rules"], national["rules"]);

    let b = app.branch(&w.county_admin, &w.county, "第一党支部", None, &[]).await;
    complete(&app, &w.county_admin, &b, "theme_day", "2025-05-10T01:00:00Z").await;
    let curl = format!("{}/compliance?year=2025", path(&b));
    let (source, _, monthly) = rule_view(&app, &curl, &w.county_admin).await;
    assert_eq!(source, "national");
    assert_eq!(monthly.len(), 12);

    // The prefecture's override: theme day quarterly, twice. The county inherits it.
    let override_rules = json!({"rules": [
        {"activity_type": "theme_day", "period": "quarterly", "min_count": 2},
        {"activity_type": "general_meeting", "period": "yearly", "min_count": 1}
    ]});
    let pref_url = format!("/v1/compliance-rules?organization_id={}", w.prefecture);
    let set = put(&app, &pref_url, &w.prefecture_admin, override_rules.clone()).await.expect(200).body;
    assert_eq!(set["source"], "organization");
    assert_eq!(set["defined_by"], w.prefecture);
    assert_eq!(set["organization_id"], w.prefecture);
    let inherited = for_county(w.county_admin.clone()).await;
    assert_eq!(
        (inherited["source"].clone(), inherited["defined_by"].clone()),
        (json!("organization"), json!(w.prefecture))
    );
    assert_eq!(inherited["organization_id"], w.county);
    let (source, defined_by, quarterly) = rule_view(&app, &curl, &w.county_admin).await;
    assert_eq!((source, defined_by), (json!("organization"), json!(w.prefecture)));
    assert_eq!(quarterly, vec![(1, 2, 0, 2, vec![]), (2, 2, 1, 1, vec![]), (3, 2, 0, 2, vec![]), (4, 2, 0, 2, vec![])]);
    // The county's own override wins over the prefecture's.
    let county_url = format!("/v1/compliance-rules?organization_id={}", w.county);
    put(
        &app,
        &county_url,
        &w.county_admin,
        json!({"rules": [{"activity_type": "theme_day", "period": "yearly", "min_count": 1}]}),
    )
    .await
    .expect(200);
    let (_, defined_by, yearly) = rule_view(&app, &curl, &w.county_admin).await;
    assert_eq!((defined_by, yearly), (json!(w.county), vec![(1, 1, 1, 0, vec![])]));
    // DELETE: the county inherits the prefecture's again, then the national set.
    app.delete(&county_url, &w.county_admin).await.expect(204);
    assert_eq!(rule_view(&app, &curl, &w.county_admin).await.1, json!(w.prefecture));
    app.delete(&county_url, &w.county_admin).await.expect(204);
    app.delete(&pref_url, &w.prefecture_admin).await.expect(204);
    let (source, defined_by, monthly) = rule_view(&app, &curl, &w.county_admin).await;
    assert_eq!((source, defined_by, monthly.len()), (json!("national"), Value::Null, 12));

    // Who may change which set.
    put(&app, "/v1/compliance-rules", &w.province_admin, override_rules.clone()).await.problem(403, "FORBIDDEN");
    put(&app, &pref_url, &w.county_admin, override_rules.clone()).await.problem(403, "FORBIDDEN");
    put(&app, &county_url, &w.county_officer, override_rules.clone()).await.problem(403, "FORBIDDEN");
    app.delete(&county_url, &w.county_officer).await.problem(403, "FORBIDDEN");
    put(&app, &county_url, &w.stranger_admin, override_rules.clone()).await.problem(404, "NOT_FOUND");
    app.delete(&county_url, &w.stranger_admin).await.problem(404, "NOT_FOUND");
    app.get(&county_url, &w.stranger_admin).await.problem(404, "NOT_FOUND");
    assert_eq!(for_county(w.county_admin.clone()).await["source"], "national");
    // The province's admin sets its subordinate's override; the operator the national set.
    put(&app, &county_url, &w.province_admin, override_rules.clone()).await.expect(200);
    let n = put(
        &app,
        "/v1/compliance-rules",
        &app.admin_token,
        json!({"rules": [{"activity_type": "study", "period": "monthly", "min_count": 4}]}),
    )
    .await
    .expect(200)
    .body;
    assert_eq!((n["source"].clone(), n["rules"].as_array().unwrap().len()), (json!("national"), 1));
    assert_eq!(app.get("/v1/compliance-rules", &w.stranger_admin).await.body["rules"], n["rules"]);

    // Rule validation, every rule at once.
    let bad = json!({"rules": [
        {"activity_type": "theme_day", "period": "monthly", "min_count": 0},
        {"activity_type": "theme_day", "period": "monthly", "min_count": 32},
        {"activity_type": "study", "period": "yearly", "min_count": 31}
    ]});
    assert_eq!(
        violations(put(&app, &county_url, &w.county_admin, bad).await),
        pairs(&[("/rules/0/min_count", "range"), ("/rules/1", "duplicate"), ("/rules/1/min_count", "range")])
    );
    assert_eq!(
        violations(put(&app, &county_url, &w.county_admin, json!({"rules": []})).await),
        pairs(&[("/rules", "required")])
    );
    let r = put(
        &app,
        &county_url,
        &w.county_admin,
        json!({"rules": [{"activity_type": "picnic", "period": "monthly", "min_count": 1}]}),
    )
    .await;
    assert_eq!(violations(r), pairs(&[("/rules/0/activity_type", "type")]));
    let r = put(
        &app,
        &county_url,
        &w.county_admin,
        json!({"rules": [{"activity_type": "study", "period": "weekly", "min_count": 1}]}),
    )
    .await;
    assert_eq!(violations(r), pairs(&[("/rules/0/period", "type")]));
    let many: Vec<Value> =
        (0..51).map(|_| json!({"activity_type": "study", "period": "yearly", "min_count": 1})).collect();
    let r = put(&app, &county_url, &w.county_admin, json!({"rules": many})).await;
    assert!(violations(r).contains(&("/rules".to_owned(), "length".to_owned())));
    // The national set may be emptied (no national requirements).
    let empty = put(&app, "/v1/compliance-rules", &app.admin_token, json!({"rules": []})).await.expect(200).body;
    assert_eq!(empty["rules"], json!([]));
});

both!(compliance_of_a_branch_one_cannot_see_is_404, |app| async move {
    let w = app.world().await;
    let b = app.branch(&w.county_admin, &w.county, "第一党支部", None, &[]).await;
    let url = format!("{}/compliance?year=2025", path(&b));
    app.get(&url, &w.county_admin).await.expect(200);
    app.get(&url, &w.prefecture_admin).await.expect(200);
    app.get(&url, &w.stranger_admin).await.problem(404, "NOT_FOUND");
    app.get(&format!("{}/compliance?year=2025", path(UNKNOWN)), &w.county_admin).await.problem(404, "NOT_FOUND");
    let org_url = format!("/v1/organizations/{}/compliance?year=2025", w.county);
    app.get(&org_url, &w.stranger_admin).await.problem(404, "NOT_FOUND");
    // The stranger's own organization has no branch of the county.
    let s = app.get(&format!("/v1/organizations/{}/compliance?year=2025", w.stranger), &w.stranger_admin).await;
    assert_eq!(s.expect(200).body["items"], json!([]));
    // A subordinate sees none of its superior's branches.
    let team = app.org(Some(&w.county), "team", "YN-DH-RL-SZ").await;
    let (_, team_admin) = app.user(&team, "sz.admin", "org_admin").await;
    app.get(&url, &team_admin).await.problem(404, "NOT_FOUND");
    // The year: 2000-2100 (422 at /year), a number (400), required (400).
    for y in ["1999", "2101"] {
        let r = app.get(&format!("{}/compliance?year={y}", path(&b)), &w.county_admin).await;
        assert_eq!(violations(r), pairs(&[("/year", "range")]));
        let r = app.get(&format!("/v1/organizations/{}/compliance?year={y}", w.county), &w.county_admin).await;
        assert_eq!(violations(r), pairs(&[("/year", "range")]));
    }
    app.get(&format!("{}/compliance?year=abc", path(&b)), &w.county_admin).await.problem(400, "INVALID_QUERY");
    app.get(&format!("{}/compliance", path(&b)), &w.county_admin).await.problem(400, "INVALID_QUERY");
});
