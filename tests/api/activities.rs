//! Party activities (党建活动): every field round-trips (attachments, co-hosts, linked projects;
//! lists replaced whole by PATCH), each list filter and paging, holding and cancelling (legal
//! and illegal), minutes only once held, joint activities across an alliance (visible to both
//! organizations and to the co-host branch's members), co-hosts out of scope or invisible, the
//! visibility matrix for read, list, update, delete and transitions, If-Match, idempotency and
//! every validation rule's 422 pointer.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{Resp, TestApp, World};

const UNKNOWN: &str = "01936f3e-0000-7000-8000-00000000dead";
const HEX: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn path(id: &str) -> String {
    format!("/v1/activities/{id}")
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// An RFC 3339 instant of a response.
fn instant(v: &Value) -> DateTime<Utc> {
    at(v.as_str().unwrap_or_else(|| panic!("not a time: {v}")))
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_owned()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().unwrap_or_else(|| panic!("not an array: {v}")).iter().map(|s| s.as_str().unwrap().to_owned()).collect()
}

fn checksum() -> String {
    format!("sha256:{HEX}")
}

fn attachment(kind: &str, name: &str, size: i64) -> Value {
    json!({"kind": kind, "name": name, "size_bytes": size, "checksum": checksum()})
}

/// The smallest activity body: a theme day of `host` for two hours from `start`.
fn minimal(host: &str, start: &str) -> Value {
    let s = at(start);
    json!({
        "host_branch_id": host,
        "title": "主题党日",
        "activity_type": "theme_day",
        "planned_start": s.to_rfc3339(),
        "planned_end": (s + Duration::hours(2)).to_rfc3339(),
    })
}

/// `base` with the fields of `extra` set.
fn with(base: Value, extra: Value) -> Value {
    let mut b = base;
    if let (Some(o), Some(e)) = (b.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    b
}

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    app.post("/v1/activities", token, body).await.expect(201).body
}

async fn create_id(app: &TestApp, token: &str, body: Value) -> String {
    id_of(&create(app, token, body).await)
}

/// The activity as the platform operator reads it.
async fn read(app: &TestApp, id: &str) -> Value {
    app.get(&path(id), &app.admin_token).await.expect(200).body
}

async fn project(app: &TestApp, token: &str, name: &str) -> String {
    app.post("/v1/projects", token, json!({"name": name, "category": "industrial", "lead_on": "2025-01-02"}))
        .await
        .expect(201)
        .id()
}

fn page_ids(r: &Resp) -> Vec<String> {
    r.body["items"].as_array().unwrap_or_else(|| panic!("no items in {}", r.text)).iter().map(id_of).collect()
}

/// The ids the caller lists with `query`, in the order returned.
async fn list(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    page_ids(&app.get(&format!("/v1/activities?{query}"), token).await.expect(200))
}

/// The ids the caller lists with `query`, sorted.
async fn list_set(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    sorted(list(app, token, query).await)
}

/// The (pointer, code) pairs of a 422, sorted.
#[track_caller]
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

fn pair(p: &str, c: &str) -> (String, String) {
    (p.to_owned(), c.to_owned())
}

async fn hold(app: &TestApp, token: &str, id: &str, body: Value) -> Resp {
    app.post(&format!("{}/hold", path(id)), token, body).await
}

async fn cancel(app: &TestApp, token: &str, id: &str, body: Value) -> Resp {
    app.post(&format!("{}/cancel", path(id)), token, body).await
}

/// The world plus a county party secretary who is secretary of the county's branch, and a
/// park under the county with its own branch.
struct Party {
    w: World,
    sec: String,
    host: String,
    park: String,
    park_admin: String,
    park_branch: String,
}

async fn party(app: &TestApp) -> Party {
    let w = app.world().await;
    let (sec_id, sec) = app.user(&w.county, "rl.sec", "party_secretary").await;
    let host = app.branch(&w.county_admin, &w.county, "瑞丽市投资促进局机关党支部", Some(&sec_id), &[]).await;
    let park = app.org(Some(&w.county), "park", "YN-DH-RL-BJ").await;
    let (_, park_admin) = app.user(&park, "bj.admin", "org_admin").await;
    let park_branch = app.branch(&park_admin, &park, "边境经济合作区党支部", None, &[]).await;
    Party { w, sec, host, park, park_admin, park_branch }
}

both!(every_field_round_trips_and_patch_replaces_lists_whole, |app| async move {
    let p = party(&app).await;
    let proj1 = project(&app, &p.w.county_officer, "中缅边境仓储物流园").await;
    let proj2 = project(&app, &p.w.county_officer, "跨境电商产业园").await;
    let sent = json!({
        "host_branch_id": p.host,
        "cohost_branch_ids": [p.park_branch],
        "title": "党建+招商 联建活动",
        "activity_type": "joint_activity",
        "planned_start": "2026-07-01T09:00:00+08:00",
        "planned_end": "2026-07-01T11:30:00+08:00",
        "place": "瑞丽市投资促进局三楼会议室",
        "online_link": "https://meeting.tencent.com/dm/ruili",
        "speaker": "局党组书记",
        "agenda": "一、重温入党誓词\n二、产业链招商座谈",
        "attachments": [
            attachment("notice", "联建活动通知.pdf", 120_344),
            {"kind": "photo", "name": "现场.jpg", "size_bytes": 0, "checksum": format!("SHA256:{}", HEX.to_uppercase())},
        ],
        "project_ids": [proj2, proj1],
    });
    let r = app.post("/v1/activities", &p.sec, sent.clone()).await.expect(201);
    let id = r.id();
    assert_eq!(r.header("location"), Some(path(&id)));
    assert_eq!(r.header("etag").as_deref(), Some("\"1\""));
    let a = r.body.clone();
    assert_eq!(a["owner_organization_id"], p.w.county.as_str());
    assert_eq!(a["host_branch_id"], p.host.as_str());
    assert_eq!(strings(&a["cohost_branch_ids"]), vec![p.park_branch.clone()]);
    assert_eq!(a["status"], "planned");
    assert_eq!(a["version"], 1);
    for k in ["minutes", "held_at", "held_on", "cancel_reason", "cancelled_at", "deleted_at"] {
        assert!(a[k].is_null(), "{k}: {a}");
    }
    for k in ["title", "activity_type", "place", "online_link", "speaker", "agenda"] {
        assert_eq!(a[k], sent[k], "{k}");
    }
    assert_eq!(instant(&a["planned_start"]), at("2026-07-01T01:00:00Z"));
    assert_eq!(instant(&a["planned_end"]), at("2026-07-01T03:30:00Z"));
    assert_eq!(strings(&a["project_ids"]), sorted(vec![proj1.clone(), proj2.clone()]));
    // Attachments in the order sent, the checksum in lower case.
    assert_eq!(
        a["attachments"],
        json!([attachment("notice", "联建活动通知.pdf", 120_344), attachment("photo", "现场.jpg", 0)])
    );
    // Read back: the same document, with its ETag; the same version is 304.
    let got = app.get(&path(&id), &p.sec).await.expect(200);
    assert_eq!(got.body, a);
    assert_eq!(got.header("etag").as_deref(), Some("\"1\""));
    let r = app.call(Method::GET, &path(&id), Some(&p.sec), None, &[("if-none-match", "\"1\"")]).await;
    assert_eq!(r.status.as_u16(), 304);
    assert_eq!(list(&app, &p.sec, "").await, vec![id.clone()]);

    // PATCH: lists replaced whole when present, null clears, absent fields unchanged.
    let r = app
        .patch(
            &path(&id),
            &p.sec,
            json!({
                "title": "党建+招商 座谈会",
                "place": null,
                "cohost_branch_ids": [],
                "attachments": [attachment("sign_in_sheet", "签到表.pdf", 2_147_483_648)],
                "project_ids": [proj2],
                "host_branch_id": p.host,
            }),
        )
        .await
        .expect(200);
    assert_eq!(r.header("etag").as_deref(), Some("\"2\""));
    let b = read(&app, &id).await;
    assert_eq!(b, r.body);
    assert_eq!((b["title"].as_str(), b["version"].as_i64()), (Some("党建+招商 座谈会"), Some(2)));
    assert!(b["place"].is_null());
    assert_eq!(b["cohost_branch_ids"], json!([]));
    assert_eq!(b["attachments"], json!([attachment("sign_in_sheet", "签到表.pdf", 2_147_483_648)]));
    assert_eq!(strings(&b["project_ids"]), vec![proj2.clone()]);
    for k in ["online_link", "speaker", "agenda", "activity_type", "planned_start", "planned_end", "created_at"] {
        assert_eq!(b[k], a[k], "{k} changed");
    }
    assert!(instant(&b["updated_at"]) >= instant(&a["updated_at"]));
    // The park no longer co-hosts: it no longer sees the activity.
    app.get(&path(&id), &p.park_admin).await.problem(404, "NOT_FOUND");

    // Soft delete: 404 afterwards, skipped by lists, and further changes are 404.
    app.delete(&path(&id), &p.sec).await.expect(204);
    app.get(&path(&id), &p.sec).await.problem(404, "NOT_FOUND");
    app.patch(&path(&id), &p.sec, json!({"title": "x"})).await.problem(404, "NOT_FOUND");
    hold(&app, &p.sec, &id, json!({})).await.problem(404, "NOT_FOUND");
    app.delete(&path(&id), &p.sec).await.problem(404, "NOT_FOUND");
    assert!(list(&app, &p.sec, "").await.is_empty());
});

both!(each_filter_selects_exactly_its_activities, |app| async move {
    let p = party(&app).await;
    let root = app.admin_token.clone();
    let proj = project(&app, &p.w.county_officer, "光电产业园").await;
    // A Xinjiang organization keeps its business dates at UTC+6.
    let xj = app.org(None, "prefecture", "XJ-KS").await;
    app.patch(&format!("/v1/organizations/{xj}"), &root, json!({"time_zone": "Asia/Urumqi"})).await.expect(200);
    let xj_branch = app.branch(&root, &xj, "喀什招商局党支部", None, &[]).await;

    let mk = |host: &str, t: &str, start: &str, extra: Value| {
        with(minimal(host, start), with(json!({"activity_type": t}), extra))
    };
    let a1 = create_id(
        &app,
        &p.sec,
        mk(
            &p.host,
            "theme_day",
            "2026-03-02T01:00:00Z",
            json!({"cohost_branch_ids": [p.park_branch], "project_ids": [proj]}),
        ),
    )
    .await;
    // 17:30 UTC on 31 March is 1 April in Beijing, still 31 March in Kashgar.
    let a2 = create_id(&app, &p.sec, mk(&p.host, "general_meeting", "2026-03-31T17:30:00Z", json!({}))).await;
    let a3 = create_id(&app, &p.park_admin, mk(&p.park_branch, "study", "2026-04-15T02:00:00Z", json!({}))).await;
    let a4 = create_id(&app, &p.sec, mk(&p.host, "party_lesson", "2026-05-10T02:00:00Z", json!({}))).await;
    let a5 = create_id(&app, &root, mk(&xj_branch, "training", "2026-03-31T17:30:00Z", json!({}))).await;
    cancel(&app, &p.sec, &a4, json!({"reason": "改期"})).await.expect(200);
    hold(&app, &p.park_admin, &a3, json!({"held_at": "2026-04-15T03:00:00Z"})).await.expect(200);

    let q = |query: &'static str| {
        let (app, root) = (&app, root.clone());
        async move { list_set(app, &root, query).await }
    };
    let set = |v: &[&String]| sorted(v.iter().map(|s| (*s).clone()).collect());
    // Branch: as host or as co-host.
    assert_eq!(list_set(&app, &root, &format!("branch_id={}", p.host)).await, set(&[&a1, &a2, &a4]));
    assert_eq!(list_set(&app, &root, &format!("branch_id={}", p.park_branch)).await, set(&[&a1, &a3]));
    // Organization: owner, or one of its branches co-hosts (descendants not included).
    assert_eq!(list_set(&app, &root, &format!("organization_id={}", p.w.county)).await, set(&[&a1, &a2, &a4]));
    assert_eq!(list_set(&app, &root, &format!("organization_id={}", p.park)).await, set(&[&a1, &a3]));
    assert!(list_set(&app, &root, &format!("organization_id={}", p.w.prefecture)).await.is_empty());
    assert_eq!(q("activity_type=theme_day").await, set(&[&a1]));
    assert_eq!(q("status=cancelled").await, set(&[&a4]));
    assert_eq!(q("status=held").await, set(&[&a3]));
    assert_eq!(q("status=planned").await, set(&[&a1, &a2, &a5]));
    // Dates of the planned start in the owner's time zone, both ends included.
    assert_eq!(q("from=2026-04-01").await, set(&[&a2, &a3, &a4]));
    assert_eq!(q("to=2026-03-31").await, set(&[&a1, &a5]));
    assert_eq!(q("from=2026-04-01&to=2026-04-01").await, set(&[&a2]));
    assert_eq!(q("from=2026-03-31&to=2026-03-31").await, set(&[&a5]));
    assert_eq!(q("from=2026-04-15&to=2026-05-10").await, set(&[&a3, &a4]));
    assert_eq!(list_set(&app, &root, &format!("project_id={proj}")).await, set(&[&a1]));
    assert_eq!(list_set(&app, &root, &format!("branch_id={}&status=planned", p.host)).await, set(&[&a1, &a2]));
    app.get("/v1/activities?activity_type=picnic", &root).await.problem(400, "INVALID_QUERY");
    app.get("/v1/activities?from=yesterday", &root).await.problem(400, "INVALID_QUERY");

    // Default order is the planned start; paging returns each activity once.
    assert_eq!(list(&app, &root, "").await, vec![a1.clone(), a2.clone(), a5.clone(), a3.clone(), a4.clone()]);
    let mut seen = vec![];
    let mut next: Option<String> = None;
    loop {
        let mut url = "/v1/activities?page_size=2".to_owned();
        if let Some(t) = &next {
            url.push_str(&format!("&page_token={t}"));
        }
        let r = app.get(&url, &root).await.expect(200);
        let ids = page_ids(&r);
        assert!(ids.len() <= 2);
        seen.extend(ids);
        match r.body["next_page_token"].as_str() {
            Some(t) => next = Some(t.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);
    assert_eq!(sorted(seen), set(&[&a1, &a2, &a3, &a4, &a5]));
    assert_eq!(list(&app, &root, "order_by=-planned_start&page_size=1").await, vec![a4.clone()]);

    // updated_since: what changed since; with include_deleted, tombstones of deletions.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let t0 = Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    app.patch(&path(&a2), &p.sec, json!({"title": "第一季度党员大会"})).await.expect(200);
    app.delete(&path(&a1), &p.sec).await.expect(204);
    assert_eq!(list(&app, &root, &format!("updated_since={t0}")).await, vec![a2.clone()]);
    let r = app.get(&format!("/v1/activities?updated_since={t0}&include_deleted=true"), &root).await.expect(200);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", r.text);
    assert_eq!(id_of(&items[0]), a2);
    assert_eq!(items[0]["title"], "第一季度党员大会");
    let tomb = &items[1];
    assert_eq!(id_of(tomb), a1);
    assert!(tomb["deleted_at"].is_string());
    assert_eq!(tomb["version"], 2);
    assert!(tomb.get("title").is_none(), "a tombstone carries no fields: {tomb}");
    // The deleted activity is gone from the branch and project filters.
    assert_eq!(list_set(&app, &root, &format!("branch_id={}", p.park_branch)).await, set(&[&a3]));
    assert!(list_set(&app, &root, &format!("project_id={proj}")).await.is_empty());
});

both!(hold_and_cancel_follow_the_life_cycle, |app| async move {
    let p = party(&app).await;
    let s = &p.sec;
    let a = create_id(&app, s, minimal(&p.host, "2026-03-31T16:00:00Z")).await;

    // Held in the future (beyond the clock skew) is refused.
    let future = (Utc::now() + Duration::hours(1)).to_rfc3339();
    assert_eq!(violations(hold(&app, s, &a, json!({"held_at": future})).await), vec![pair("/held_at", "future")]);
    // held_on is held_at's date in the owner's time zone (Beijing).
    let r = hold(&app, s, &a, json!({"held_at": "2026-03-31T17:30:00Z", "minutes": "一、学习\n二、讨论"}))
        .await
        .expect(200);
    assert_eq!(r.header("etag").as_deref(), Some("\"2\""));
    let b = r.body;
    assert_eq!((b["status"].as_str(), b["version"].as_i64()), (Some("held"), Some(2)));
    assert_eq!(instant(&b["held_at"]), at("2026-03-31T17:30:00Z"));
    assert_eq!(b["held_on"], "2026-04-01");
    assert_eq!(b["minutes"], "一、学习\n二、讨论");
    assert_eq!(read(&app, &a).await, b);
    // A held activity is neither held again nor cancelled.
    hold(&app, s, &a, json!({})).await.problem(409, "ILLEGAL_TRANSITION");
    cancel(&app, s, &a, json!({"reason": "x"})).await.problem(409, "ILLEGAL_TRANSITION");
    assert_eq!(read(&app, &a).await["version"], 2);

    // Cancelling needs a non-blank reason.
    let c = create_id(&app, s, minimal(&p.host, "2026-06-01T01:00:00Z")).await;
    assert_eq!(violations(cancel(&app, s, &c, json!({})).await), vec![pair("/reason", "required")]);
    assert_eq!(violations(cancel(&app, s, &c, json!({"reason": " \n "})).await), vec![pair("/reason", "required")]);
    let r = cancel(&app, s, &c, json!({"reason": "台风红色预警，改期举行"})).await.expect(200);
    assert_eq!((r.body["status"].as_str(), r.body["version"].as_i64()), (Some("cancelled"), Some(2)));
    assert_eq!(r.body["cancel_reason"], "台风红色预警，改期举行");
    assert!(instant(&r.body["cancelled_at"]) <= Utc::now());
    assert!(r.body["held_at"].is_null() && r.body["held_on"].is_null());
    hold(&app, s, &c, json!({})).await.problem(409, "ILLEGAL_TRANSITION");
    cancel(&app, s, &c, json!({"reason": "再次"})).await.problem(409, "ILLEGAL_TRANSITION");

    // Without held_at: now, and today's date in Beijing.
    let d = create_id(&app, s, minimal(&p.host, "2026-06-02T01:00:00Z")).await;
    let before = Utc::now() - Duration::seconds(1);
    let r = hold(&app, s, &d, json!({})).await.expect(200);
    let held = instant(&r.body["held_at"]);
    assert!(held >= before && held <= Utc::now(), "{held}");
    assert_eq!(r.body["held_on"], (held + Duration::hours(8)).date_naive().to_string());
    assert!(r.body["minutes"].is_null());

    // A Xinjiang owner dates the same instant at UTC+6.
    let xj = app.org(None, "prefecture", "XJ-KS").await;
    app.patch(&format!("/v1/organizations/{xj}"), &app.admin_token, json!({"time_zone": "Asia/Urumqi"}))
        .await
        .expect(200);
    let xj_branch = app.branch(&app.admin_token, &xj, "喀什招商局党支部", None, &[]).await;
    let x = create_id(&app, &app.admin_token, minimal(&xj_branch, "2026-03-31T16:00:00Z")).await;
    let r = hold(&app, &app.admin_token, &x, json!({"held_at": "2026-03-31T17:30:00Z"})).await.expect(200);
    assert_eq!(r.body["held_on"], "2026-03-31");

    // Transitions honour If-Match and Idempotency-Key.
    let e = create_id(&app, s, minimal(&p.host, "2026-06-03T01:00:00Z")).await;
    app.patch(&path(&e), s, json!({"title": "改名"})).await.expect(200);
    let stale = [("if-match", "\"1\"")];
    app.call(Method::POST, &format!("{}/hold", path(&e)), Some(s), Some(json!({})), &stale)
        .await
        .problem(412, "PRECONDITION_FAILED");
    app.call(Method::POST, &format!("{}/cancel", path(&e)), Some(s), Some(json!({"reason": "x"})), &stale)
        .await
        .problem(412, "PRECONDITION_FAILED");
    assert_eq!(read(&app, &e).await["status"], "planned");
    let key = [("idempotency-key", "hold-e-1"), ("if-match", "\"2\"")];
    let body = json!({"held_at": "2026-06-03T01:10:00Z"});
    let first =
        app.call(Method::POST, &format!("{}/hold", path(&e)), Some(s), Some(body.clone()), &key).await.expect(200);
    let again = app.call(Method::POST, &format!("{}/hold", path(&e)), Some(s), Some(body), &key).await.expect(200);
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(read(&app, &e).await["version"], 3);
});

both!(minutes_are_recorded_only_once_held, |app| async move {
    let p = party(&app).await;
    let s = &p.sec;
    let a = create_id(&app, s, minimal(&p.host, "2026-03-02T01:00:00Z")).await;
    app.patch(&path(&a), s, json!({"minutes": "提前写好的记录"})).await.problem(409, "ACTIVITY_NOT_HELD");
    assert_eq!(read(&app, &a).await["version"], 1);
    // Not on create either: an activity starts planned.
    assert_eq!(
        violations(
            app.post("/v1/activities", s, with(minimal(&p.host, "2026-03-02T01:00:00Z"), json!({"minutes": "x"})))
                .await
        ),
        vec![pair("/minutes", "unknown_field")]
    );
    hold(&app, s, &a, json!({"held_at": "2026-03-02T01:05:00Z"})).await.expect(200);
    let r = app.patch(&path(&a), s, json!({"minutes": "一、传达学习\n二、讨论"})).await.expect(200);
    assert_eq!(r.body["minutes"], "一、传达学习\n二、讨论");
    // Other edits keep the minutes; null clears them.
    let r = app.patch(&path(&a), s, json!({"agenda": "补充议程"})).await.expect(200);
    assert_eq!(r.body["minutes"], "一、传达学习\n二、讨论");
    let r = app.patch(&path(&a), s, json!({"minutes": null})).await.expect(200);
    assert!(r.body["minutes"].is_null());
    // A cancelled activity has no minutes.
    let c = create_id(&app, s, minimal(&p.host, "2026-03-03T01:00:00Z")).await;
    cancel(&app, s, &c, json!({"reason": "停电"})).await.expect(200);
    app.patch(&path(&c), s, json!({"minutes": "x"})).await.problem(409, "ACTIVITY_NOT_HELD");
    // The status itself is not writable.
    assert_eq!(
        violations(app.patch(&path(&c), s, json!({"status": "held"})).await),
        vec![pair("/status", "read_only")]
    );
});

// A joint activity of the county's branch with a branch of an alliance partner (the stranger,
// a prefecture of another province) whose member works in the partner's stationed team.
both!(a_joint_activity_is_shared_by_both_organizations_of_an_alliance, |app| async move {
    let p = party(&app).await;
    let w = &p.w;
    app.alliance(&w.county_admin, &w.stranger, &w.stranger_admin).await;
    let team = app.org(Some(&w.stranger), "team", "SC-MY-SZ").await;
    let (member_id, member) = app.user(&team, "sz.member", "member").await;
    let (_, team_viewer) = app.user(&team, "sz.viewer", "viewer").await;
    let (psec_id, psec) = app.user(&w.stranger, "my.sec", "party_secretary").await;
    let partner_branch =
        app.branch(&w.stranger_admin, &w.stranger, "驻深招商小分队党支部", Some(&psec_id), &[&member_id]).await;

    let id = create_id(
        &app,
        &p.sec,
        with(
            minimal(&p.host, "2026-07-01T01:00:00Z"),
            json!({"activity_type": "joint_activity", "title": "与深圳光电行业协会党支部联建", "cohost_branch_ids": [partner_branch]}),
        ),
    )
    .await;
    let by_host = format!("branch_id={}", p.host);
    let by_partner = format!("branch_id={partner_branch}");
    for (who, t) in [
        ("host secretary", &p.sec),
        ("host officer", &w.county_officer),
        ("superior", &w.prefecture_admin),
        ("province", &w.province_admin),
        ("co-host organization", &w.stranger_admin),
        ("co-host secretary", &psec),
        ("co-host branch member in a child organization", &member),
    ] {
        app.get(&path(&id), t).await.expect(200);
        assert_eq!(list(&app, t, &by_host).await, vec![id.clone()], "{who}");
        assert_eq!(list(&app, t, &by_partner).await, vec![id.clone()], "{who}");
    }
    assert_eq!(list(&app, &w.stranger_admin, &format!("organization_id={}", w.stranger)).await, vec![id.clone()]);
    assert_eq!(list(&app, &w.county_admin, &format!("organization_id={}", w.stranger)).await, vec![id.clone()]);
    assert_eq!(list(&app, &w.county_admin, &format!("organization_id={}", w.county)).await, vec![id.clone()]);
    // A user of the child organization who is not in the branch does not see it.
    app.get(&path(&id), &team_viewer).await.problem(404, "NOT_FOUND");
    assert!(list(&app, &team_viewer, "").await.is_empty());

    // The partner acts only through attendance: it does not edit, hold, cancel or delete.
    for t in [&psec, &w.stranger_admin] {
        app.patch(&path(&id), t, json!({"title": "改"})).await.problem(403, "FORBIDDEN");
        hold(&app, t, &id, json!({})).await.problem(403, "FORBIDDEN");
        cancel(&app, t, &id, json!({"reason": "x"})).await.problem(403, "FORBIDDEN");
        app.delete(&path(&id), t).await.problem(403, "FORBIDDEN");
    }
    app.patch(&path(&id), &member, json!({"title": "改"})).await.problem(403, "FORBIDDEN");
    let a = read(&app, &id).await;
    assert_eq!((a["version"].as_i64(), a["status"].as_str()), (Some(1), Some("planned")));
    // The host holds it; both sides read the result.
    hold(&app, &p.sec, &id, json!({"held_at": "2026-07-01T01:10:00Z"})).await.expect(200);
    assert_eq!(app.get(&path(&id), &psec).await.expect(200).body["status"], "held");
});

both!(cohosts_must_be_visible_and_in_scope, |app| async move {
    let p = party(&app).await;
    let w = &p.w;
    let pref_branch = app.branch(&w.prefecture_admin, &w.prefecture, "德宏州投资促进局党支部", None, &[]).await;
    let sibling = app.org(Some(&w.prefecture), "county", "YN-DH-ML").await;
    let (_, sibling_admin) = app.user(&sibling, "ml.admin", "org_admin").await;
    let sibling_branch = app.branch(&sibling_admin, &sibling, "芒市投资促进局党支部", None, &[]).await;
    let stranger_branch = app.branch(&w.stranger_admin, &w.stranger, "绵阳投资促进局党支部", None, &[]).await;
    let body =
        |host: &str, cohosts: Value| with(minimal(host, "2026-07-01T01:00:00Z"), json!({"cohost_branch_ids": cohosts}));

    // A stranger's branch is invisible: 404, like a missing one.
    app.post("/v1/activities", &p.sec, body(&p.host, json!([stranger_branch]))).await.problem(404, "NOT_FOUND");
    app.post("/v1/activities", &p.sec, body(&p.host, json!([UNKNOWN]))).await.problem(404, "NOT_FOUND");
    // The province sees every branch of its tree, but a county activity takes co-hosts only
    // from the county's subtree (the park) or from alliance partners: not its superior's
    // branch, not a sibling county's.
    assert_eq!(
        violations(
            app.post(
                "/v1/activities",
                &w.province_admin,
                body(&p.host, json!([p.park_branch, pref_branch, sibling_branch]))
            )
            .await
        ),
        vec![pair("/cohost_branch_ids/1", "cohost_out_of_scope"), pair("/cohost_branch_ids/2", "cohost_out_of_scope")]
    );
    assert!(list(&app, &w.province_admin, "").await.is_empty());
    // Hosted by the prefecture, both counties' branches are in its subtree.
    let a = create(&app, &w.province_admin, body(&pref_branch, json!([p.host, sibling_branch]))).await;
    assert_eq!(a["owner_organization_id"], w.prefecture.as_str());
    // The host is not its own co-host, and a co-host is named once.
    assert_eq!(
        violations(
            app.post("/v1/activities", &p.sec, body(&p.host, json!([p.host, p.park_branch, p.park_branch]))).await
        ),
        vec![pair("/cohost_branch_ids/0", "host_as_cohost"), pair("/cohost_branch_ids/2", "duplicate")]
    );

    // In an alliance the partner's branch may co-host; once the partner leaves it is invisible
    // again (404), while the activity already planned keeps its co-host.
    let alliance = app.alliance(&w.county_admin, &w.stranger, &w.stranger_admin).await;
    let joint = create_id(&app, &p.sec, body(&p.host, json!([stranger_branch]))).await;
    app.post(&format!("/v1/alliances/{alliance}/members/{}/leave", w.stranger), &w.stranger_admin, json!({}))
        .await
        .expect(200);
    app.post("/v1/activities", &p.sec, body(&p.host, json!([stranger_branch]))).await.problem(404, "NOT_FOUND");
    let r = app.patch(&path(&joint), &p.sec, json!({"title": "联建活动（改期）"})).await.expect(200);
    assert_eq!(strings(&r.body["cohost_branch_ids"]), vec![stranger_branch.clone()]);
    // Adding it again by PATCH is checked like on create.
    let solo = create_id(&app, &p.sec, body(&p.host, json!([]))).await;
    app.patch(&path(&solo), &p.sec, json!({"cohost_branch_ids": [stranger_branch]})).await.problem(404, "NOT_FOUND");
    assert_eq!(read(&app, &solo).await["cohost_branch_ids"], json!([]));
});

both!(linked_projects_must_be_visible, |app| async move {
    let p = party(&app).await;
    let mine = project(&app, &p.w.county_officer, "边境仓储").await;
    let theirs = project(&app, &p.w.stranger_admin, "光学元件").await;
    let body = |projects: Value| with(minimal(&p.host, "2026-07-01T01:00:00Z"), json!({"project_ids": projects}));
    app.post("/v1/activities", &p.sec, body(json!([mine, theirs]))).await.problem(404, "NOT_FOUND");
    app.post("/v1/activities", &p.sec, body(json!([UNKNOWN]))).await.problem(404, "NOT_FOUND");
    assert!(list(&app, &app.admin_token, "").await.is_empty());
    let id = create_id(&app, &p.sec, body(json!([mine]))).await;
    app.patch(&path(&id), &p.sec, json!({"project_ids": [mine, theirs]})).await.problem(404, "NOT_FOUND");
    assert_eq!(list(&app, &p.sec, &format!("project_id={mine}")).await, vec![id.clone()]);
    assert!(list(&app, &app.admin_token, &format!("project_id={theirs}")).await.is_empty());
});

both!(visibility_matrix_read_list_update_delete, |app| async move {
    let p = party(&app).await;
    let w = &p.w;
    // The stranger is an alliance partner that does not co-host; another organization is
    // wholly unrelated.
    app.alliance(&w.county_admin, &w.stranger, &w.stranger_admin).await;
    let outsider = app.org(None, "prefecture", "GZ-GY").await;
    let (_, outsider_admin) = app.user(&outsider, "gy.admin", "org_admin").await;
    let id = create_id(&app, &p.sec, minimal(&p.host, "2026-07-01T01:00:00Z")).await;

    for (who, t) in [
        ("secretary", &p.sec),
        ("host officer", &w.county_officer),
        ("host admin", &w.county_admin),
        ("superior", &w.prefecture_admin),
        ("province", &w.province_admin),
    ] {
        assert_eq!(app.get(&path(&id), t).await.expect(200).body["id"], id.as_str(), "{who}");
        assert_eq!(list(&app, t, "").await, vec![id.clone()], "{who}");
    }
    for (who, t) in [
        ("subordinate", &p.park_admin),
        ("alliance partner not co-hosting", &w.stranger_admin),
        ("stranger", &outsider_admin),
    ] {
        app.get(&path(&id), t).await.problem(404, "NOT_FOUND");
        assert!(list(&app, t, "").await.is_empty(), "{who} lists it");
        assert!(list(&app, t, &format!("branch_id={}", p.host)).await.is_empty(), "{who} lists it");
        app.patch(&path(&id), t, json!({"title": "x"})).await.problem(404, "NOT_FOUND");
        hold(&app, t, &id, json!({})).await.problem(404, "NOT_FOUND");
        cancel(&app, t, &id, json!({"reason": "x"})).await.problem(404, "NOT_FOUND");
        app.delete(&path(&id), t).await.problem(404, "NOT_FOUND");
    }
    // An officer of the host organization reads but does not manage party activities.
    app.patch(&path(&id), &w.county_officer, json!({"title": "x"})).await.problem(403, "FORBIDDEN");
    hold(&app, &w.county_officer, &id, json!({})).await.problem(403, "FORBIDDEN");
    cancel(&app, &w.county_officer, &id, json!({"reason": "x"})).await.problem(403, "FORBIDDEN");
    app.delete(&path(&id), &w.county_officer).await.problem(403, "FORBIDDEN");
    // An officer may not plan one either; nor a stranger with an invisible branch.
    app.post("/v1/activities", &w.county_officer, minimal(&p.host, "2026-07-02T01:00:00Z"))
        .await
        .problem(403, "FORBIDDEN");
    app.post("/v1/activities", &outsider_admin, minimal(&p.host, "2026-07-02T01:00:00Z"))
        .await
        .problem(404, "NOT_FOUND");
    assert_eq!(read(&app, &id).await["version"], 1);
    // A superior's org admin manages a subordinate's branch; so does the branch's organization.
    app.patch(&path(&id), &w.prefecture_admin, json!({"title": "州局督导的主题党日"})).await.expect(200);
    app.patch(&path(&id), &w.county_admin, json!({"speaker": "局长"})).await.expect(200);
    let a = read(&app, &id).await;
    assert_eq!(
        (a["title"].as_str(), a["speaker"].as_str(), a["version"].as_i64()),
        (Some("州局督导的主题党日"), Some("局长"), Some(3))
    );
    app.delete(&path(&id), &w.county_admin).await.expect(204);
    app.get(&path(&id), &app.admin_token).await.problem(404, "NOT_FOUND");
});

both!(a_stale_if_match_is_412_and_changes_nothing, |app| async move {
    let p = party(&app).await;
    let s = &p.sec;
    let id = create_id(&app, s, minimal(&p.host, "2026-07-01T01:00:00Z")).await;
    let patch = |body: Value, tag: &'static str| {
        let (app, s, p) = (&app, s.clone(), path(&id));
        async move { app.call(Method::PATCH, &p, Some(&s), Some(body), &[("if-match", tag)]).await }
    };
    patch(json!({"title": "一"}), "\"1\"").await.expect(200);
    patch(json!({"title": "二"}), "\"1\"").await.problem(412, "PRECONDITION_FAILED");
    let a = read(&app, &id).await;
    assert_eq!((a["title"].as_str(), a["version"].as_i64()), (Some("一"), Some(2)));
    app.call(Method::DELETE, &path(&id), Some(s), None, &[("if-match", "\"1\"")])
        .await
        .problem(412, "PRECONDITION_FAILED");
    read(&app, &id).await;
    let r = app.call(Method::GET, &path(&id), Some(s), None, &[("if-none-match", "\"1\"")]).await.expect(200);
    assert_eq!(r.body["title"], "一");
    app.call(Method::DELETE, &path(&id), Some(s), None, &[("if-match", "\"2\"")]).await.expect(204);
});

both!(create_is_idempotent_and_honours_client_ids, |app| async move {
    let p = party(&app).await;
    let s = &p.sec;
    let key = [("idempotency-key", "activity-0001")];
    let body = minimal(&p.host, "2026-07-01T01:00:00Z");
    let first = app.call(Method::POST, "/v1/activities", Some(s), Some(body.clone()), &key).await.expect(201);
    let again = app.call(Method::POST, "/v1/activities", Some(s), Some(body.clone()), &key).await.expect(201);
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("etag"), first.header("etag"));
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(list(&app, s, "").await, vec![first.id()]);
    let other = with(body.clone(), json!({"title": "另一次活动"}));
    app.call(Method::POST, "/v1/activities", Some(s), Some(other), &key).await.problem(422, "VALIDATION_FAILED");
    assert_eq!(list(&app, s, "").await.len(), 1);

    // A phone's own id is kept; sending it again (even after deletion) is 409.
    let own = uuid::Uuid::now_v7().to_string();
    let r = app.post("/v1/activities", s, with(body.clone(), json!({"id": own}))).await.expect(201);
    assert_eq!(r.id(), own);
    assert_eq!(r.header("location"), Some(path(&own)));
    app.post("/v1/activities", s, with(body.clone(), json!({"id": own}))).await.problem(409, "ALREADY_EXISTS");
    app.delete(&path(&own), s).await.expect(204);
    app.post("/v1/activities", s, with(body.clone(), json!({"id": own}))).await.problem(409, "ALREADY_EXISTS");
    let v4 = "0b6f1d8e-6c4e-4d1a-9b1e-3f2a1c0d9e8f";
    assert_eq!(
        violations(app.post("/v1/activities", s, with(body, json!({"id": v4}))).await),
        vec![pair("/id", "uuid")]
    );
    assert_eq!(list(&app, s, "").await.len(), 1);
});

both!(every_validation_rule_is_422_with_its_pointer, |app| async move {
    let p = party(&app).await;
    let s = &p.sec;
    let base = minimal(&p.host, "2026-07-01T01:00:00Z");
    let post = |extra: Value| {
        let (app, s, b) = (&app, s.clone(), with(base.clone(), extra));
        async move { violations(app.post("/v1/activities", &s, b).await) }
    };
    // Every field rule at once.
    let mut want = vec![
        pair("/title", "required"),
        pair("/planned_end", "before_start"),
        pair("/place", "length"),
        pair("/online_link", "url"),
        pair("/speaker", "required"),
        pair("/agenda", "control_characters"),
        pair("/attachments/0/name", "required"),
        pair("/attachments/0/size_bytes", "range"),
        pair("/attachments/0/checksum", "checksum"),
        pair("/attachments/1/size_bytes", "range"),
        pair("/attachments/2/checksum", "checksum"),
        pair("/project_ids/1", "duplicate"),
        pair("/cohost_branch_ids/1", "duplicate"),
    ];
    want.sort();
    assert_eq!(
        post(json!({
            "title": " ",
            "planned_end": "2026-07-01T00:59:59Z",
            "place": "地".repeat(501),
            "online_link": "meeting.tencent.com/dm/1",
            "speaker": "",
            "agenda": "bell\u{7}",
            "cohost_branch_ids": [p.park_branch, p.park_branch],
            "attachments": [
                {"kind": "photo", "name": " ", "size_bytes": 2_147_483_649i64, "checksum": HEX},
                {"kind": "audio", "name": "a.m4a", "size_bytes": -1, "checksum": checksum()},
                {"kind": "minutes", "name": "记录.docx", "size_bytes": 10, "checksum": format!("md5:{}", &HEX[..32])},
            ],
            "project_ids": [UNKNOWN, UNKNOWN],
        }))
        .await,
        want
    );
    // Limits of the lists.
    let many = |n: usize| (0..n).map(|i| format!("01936f3e-0000-7000-8000-{i:012}")).collect::<Vec<_>>();
    assert_eq!(post(json!({"cohost_branch_ids": many(101)})).await, vec![pair("/cohost_branch_ids", "length")]);
    assert_eq!(post(json!({"project_ids": many(101)})).await, vec![pair("/project_ids", "length")]);
    let files: Vec<Value> = (0..51).map(|i| attachment("photo", &format!("{i}.jpg"), 1)).collect();
    assert_eq!(post(json!({"attachments": files})).await, vec![pair("/attachments", "length")]);
    assert_eq!(post(json!({"title": "题".repeat(201)})).await, vec![pair("/title", "length")]);
    assert_eq!(post(json!({"online_link": "ftp://files.example.cn/x"})).await, vec![pair("/online_link", "url")]);
    // Types and enums, one at a time (the body does not parse).
    assert_eq!(post(json!({"activity_type": "picnic"})).await, vec![pair("/activity_type", "type")]);
    assert_eq!(
        post(json!({"attachments": [{"kind": "video", "name": "a", "size_bytes": 1, "checksum": checksum()}]})).await,
        vec![pair("/attachments/0/kind", "type")]
    );
    assert_eq!(post(json!({"planned_start": "tomorrow"})).await, vec![pair("/planned_start", "type")]);
    assert_eq!(post(json!({"status": "held"})).await, vec![pair("/status", "read_only")]);
    assert_eq!(
        post(json!({"owner_organization_id": p.w.county})).await,
        vec![pair("/owner_organization_id", "read_only")]
    );
    let mut no_title = base.clone();
    no_title.as_object_mut().unwrap().remove("title");
    assert_eq!(violations(app.post("/v1/activities", s, no_title).await), vec![pair("/title", "required")]);
    assert!(list(&app, s, "").await.is_empty());

    // PATCH: the same rules on the merged activity, and the host branch is fixed.
    let id =
        create_id(&app, s, with(base.clone(), json!({"attachments": [attachment("notice", "通知.pdf", 1)]}))).await;
    let patch = |body: Value| {
        let (app, s, p) = (&app, s.clone(), path(&id));
        async move { violations(app.patch(&p, &s, body).await) }
    };
    assert_eq!(
        patch(json!({"host_branch_id": p.park_branch, "planned_start": "2026-07-01T04:00:00Z", "title": "", "minutes": "\u{1}"})).await,
        vec![
            pair("/host_branch_id", "immutable"),
            pair("/minutes", "control_characters"),
            pair("/planned_end", "before_start"),
            pair("/title", "required"),
        ]
    );
    assert_eq!(patch(json!({"title": null})).await, vec![pair("/title", "type")]);
    assert_eq!(patch(json!({"version": 7})).await, vec![pair("/version", "read_only")]);
    assert_eq!(
        patch(json!({"attachments": [{"kind": "photo", "name": "x", "size_bytes": 1, "checksum": "sha256:xyz"}]}))
            .await,
        vec![pair("/attachments/0/checksum", "checksum")]
    );
    assert_eq!(
        patch(json!({"cohost_branch_ids": [p.host]})).await,
        vec![pair("/cohost_branch_ids/0", "host_as_cohost")]
    );
    let a = read(&app, &id).await;
    assert_eq!((a["version"].as_i64(), a["title"].as_str()), (Some(1), Some("主题党日")));
    assert_eq!(a["attachments"], json!([attachment("notice", "通知.pdf", 1)]));
});
