//! Enterprise visits (走访 / 来考察): every field round-trips, the late-entry flag (set, never
//! refused, times unchanged), coordinates and purpose/direction checks, references (enterprise,
//! project, participants of the caller's staff or of alliance partners), each list filter,
//! keyset paging in every order, the visibility matrix (owner, superior, subordinate, partner
//! participant, partner non-participant, stranger) for read, list, update and delete, soft
//! delete with tombstones, If-Match, idempotency and partner systems' scopes.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{Resp, TestApp, World};

const UNKNOWN: &str = "01936f3e-0000-7000-8000-00000000dead";

fn path(id: &str) -> String {
    format!("/v1/visits/{id}")
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

/// An RFC 3339 instant of a response (or of a request body).
fn instant(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}")))
        .unwrap_or_else(|e| panic!("not RFC 3339: {v}: {e}"))
        .with_timezone(&Utc)
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_owned()
}

fn strings(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// The user id behind a token.
async fn me(app: &TestApp, token: &str) -> String {
    app.get("/v1/me", token).await.expect(200).body["user"]["id"].as_str().unwrap().to_owned()
}

async fn enterprise(app: &TestApp, token: &str, name: &str) -> String {
    app.post("/v1/enterprises", token, json!({"name": name})).await.expect(201).id()
}

async fn project(app: &TestApp, token: &str, name: &str, enterprise_id: &str) -> String {
    app.post(
        "/v1/projects",
        token,
        json!({"name": name, "category": "industrial", "lead_on": "2025-01-02", "enterprise_id": enterprise_id}),
    )
    .await
    .expect(201)
    .id()
}

/// Founds an alliance as `founder_admin` and makes `member` an active member.
async fn alliance_with(app: &TestApp, founder_admin: &str, member: &str, member_admin: &str) -> String {
    let id = app.post("/v1/alliances", founder_admin, json!({"name": "瑞丽边境园区党建联盟"})).await.expect(201).id();
    app.post(&format!("/v1/alliances/{id}/members"), founder_admin, json!({"organization_id": member}))
        .await
        .expect(200);
    app.post(&format!("/v1/alliances/{id}/members/{member}/accept"), member_admin, json!({})).await.expect(200);
    id
}

/// The smallest visit body: an outbound visit of `enterprise_id` at `visited_at`.
fn minimal(enterprise_id: &str, visited_at: &str) -> Value {
    json!({"direction": "outbound", "purpose": "visit", "enterprise_id": enterprise_id, "visited_at": visited_at})
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
    app.post("/v1/visits", token, body).await.expect(201).body
}

async fn create_id(app: &TestApp, token: &str, body: Value) -> String {
    id_of(&create(app, token, body).await)
}

/// The visit as the platform operator reads it.
async fn read(app: &TestApp, id: &str) -> Value {
    app.get(&path(id), &app.admin_token).await.expect(200).body
}

async fn version_of(app: &TestApp, id: &str) -> i64 {
    read(app, id).await["version"].as_i64().unwrap()
}

fn page_ids(r: &Resp) -> Vec<String> {
    r.body["items"].as_array().unwrap_or_else(|| panic!("no items in {}", r.text)).iter().map(id_of).collect()
}

/// The ids the caller lists with `query`, in the order returned.
async fn list(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    page_ids(&app.get(&format!("/v1/visits?{query}"), token).await.expect(200))
}

/// The ids the caller lists with `query`, sorted.
async fn list_set(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    sorted(list(app, token, query).await)
}

/// Follows `next_page_token` to the end; returns every item in order and the number of pages.
async fn walk(app: &TestApp, token: &str, query: &str, page_size: usize) -> (Vec<Value>, usize) {
    let mut items = vec![];
    let mut pages = 0;
    let mut next: Option<String> = None;
    loop {
        let mut q = format!("/v1/visits?page_size={page_size}");
        if !query.is_empty() {
            q.push('&');
            q.push_str(query);
        }
        if let Some(t) = &next {
            q.push_str(&format!("&page_token={}", enc(t)));
        }
        let r = app.get(&q, token).await.expect(200);
        let page = r.body["items"].as_array().unwrap().clone();
        assert!(page.len() <= page_size, "page larger than asked: {}", page.len());
        pages += 1;
        items.extend(page);
        match r.body["next_page_token"].as_str() {
            Some(t) => next = Some(t.to_owned()),
            None => break,
        }
        assert!(pages < 100, "paging does not end");
    }
    (items, pages)
}

/// The pointers of a 422, sorted.
fn pointers(r: Resp) -> Vec<String> {
    let r = r.problem(422, "VALIDATION_FAILED");
    let mut v: Vec<String> =
        r.body["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap().to_owned()).collect();
    v.sort();
    v
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

fn pair(p: &str, c: &str) -> (String, String) {
    (p.to_owned(), c.to_owned())
}

/// Asserts that every field sent comes back as sent: times as the same instants, lists as the
/// same sets, the location field by field.
#[track_caller]
fn assert_as_sent(sent: &Value, got: &Value) {
    for (k, v) in sent.as_object().unwrap() {
        match k.as_str() {
            "visited_at" | "recorded_at" if !v.is_null() => {
                assert_eq!(instant(&got[k]), instant(v), "{k} changed: {got}")
            }
            "participants" | "policy_tags" => assert_eq!(strings(&got[k]), strings(v), "{k}: {got}"),
            "location" if !v.is_null() => {
                for f in ["latitude", "longitude", "accuracy_m", "address"] {
                    assert_eq!(got[k][f], v.get(f).cloned().unwrap_or(Value::Null), "location.{f}: {got}");
                }
            }
            _ => assert_eq!(&got[k], v, "{k}: {got}"),
        }
    }
}

/// The world plus what a visit refers to: two county enterprises, a county project, a county
/// colleague, and an alliance of the county with the stranger organization, whose officer can
/// take part in the county's visits.
struct Setup {
    w: World,
    officer_id: String,
    colleague_id: String,
    e1: String,
    e2: String,
    p1: String,
    alliance: String,
    partner_id: String,
    partner: String,
}

async fn setup(app: &TestApp) -> Setup {
    let w = app.world().await;
    let officer_id = me(app, &w.county_officer).await;
    let (colleague_id, _) = app.user(&w.county, "rl.colleague", "officer").await;
    let e1 = enterprise(app, &w.county_officer, "重庆大地企业公园").await;
    let e2 = enterprise(app, &w.county_officer, "长安汽车").await;
    let p1 = project(app, &w.county_officer, "医疗器械产业园项目", &e1).await;
    let alliance = alliance_with(app, &w.county_admin, &w.stranger, &w.stranger_admin).await;
    let (partner_id, partner) = app.user(&w.stranger, "my.officer", "officer").await;
    Setup { w, officer_id, colleague_id, e1, e2, p1, alliance, partner_id, partner }
}

// ---------------------------------------------------------------------------------------------
// Round trip

both!(every_field_round_trips_through_create_read_list_and_update, |app| async move {
    let s = setup(&app).await;
    let t = &s.w.county_officer;
    let sent = json!({
        "direction": "outbound",
        "purpose": "policy_briefing",
        "enterprise_id": s.e1,
        "project_id": s.p1,
        "visited_at": "2026-03-05T09:30:00+08:00",
        "recorded_at": "2026-03-05T11:02:00.250+08:00",
        "location": {"latitude": 29.563, "longitude": 106.5516, "accuracy_m": 15.5, "address": "重庆市两江新区水土新城大地企业公园"},
        "participants": [s.partner_id, s.colleague_id],
        "external_attendees": "市药监局医疗器械处 2 人\n园区企业代表 30 余人",
        "summary": "联合市药监局走进大地企业公园开展政策宣讲",
        "findings": "企业关注医疗器械生产许可与现场检查资料提交流程",
        "next_steps": "汇总企业问题，一周内反馈",
        "policy_tags": ["医疗器械许可", "检验检测"]
    });
    let r = app.post("/v1/visits", t, sent.clone()).await.expect(201);
    let id = r.id();
    assert_eq!(r.header("location"), Some(path(&id)));
    assert_eq!(r.header("etag").as_deref(), Some("\"1\""));
    let mut made = r.body;
    // The create answer also lists the tickets the visit raised (none here); reads do not.
    assert_eq!(made.as_object_mut().unwrap().remove("raised_ticket_ids"), Some(json!([])));
    assert_as_sent(&sent, &made);
    assert_eq!(made["visited_at"], "2026-03-05T01:30:00Z", "stored and shown in UTC");
    assert_eq!(made["owner_organization_id"], s.w.county.as_str());
    assert_eq!(made["late_entry"], false);
    assert_eq!(made["created_by"], s.officer_id.as_str());
    assert_eq!(made["version"], 1);
    assert_eq!(made["participants"], json!(sorted(vec![s.partner_id.clone(), s.colleague_id.clone()])));
    assert_eq!(made["policy_tags"], json!(["医疗器械许可", "检验检测"]));
    assert_eq!(made["created_at"], made["updated_at"]);
    assert!(uuid::Uuid::parse_str(&id).is_ok_and(|u| u.get_version_num() == 7));
    // Read and list answer the same visit.
    let got = app.get(&path(&id), t).await.expect(200);
    assert_eq!(got.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(got.body, made);
    let listed = app.get("/v1/visits", t).await.expect(200);
    assert_eq!(listed.body["items"], json!([made.clone()]));
    assert!(listed.body.get("next_page_token").is_none_or(Value::is_null));

    // Every field changes; the location merges field by field.
    let patch = json!({
        "direction": "inbound",
        "purpose": "inspection",
        "enterprise_id": s.e2,
        "project_id": null,
        "visited_at": "2026-03-06T14:00:00Z",
        "recorded_at": null,
        "location": {"address": "两江新区管委会"},
        "participants": [s.officer_id],
        "external_attendees": "长安汽车考察团 8 人",
        "summary": "长安汽车来两江新区考察",
        "findings": "关注产品报证",
        "next_steps": "对接市级部门",
        "policy_tags": ["产品报证"]
    });
    let r = app.patch(&path(&id), t, patch.clone()).await.expect(200);
    assert_eq!(r.header("etag").as_deref(), Some("\"2\""));
    let changed = r.body;
    let mut without_location = patch.clone();
    without_location.as_object_mut().unwrap().remove("location");
    assert_as_sent(&without_location, &changed);
    assert_eq!(
        changed["location"],
        json!({"latitude": 29.563, "longitude": 106.5516, "accuracy_m": 15.5, "address": "两江新区管委会"})
    );
    assert_eq!((changed["version"].as_i64(), changed["late_entry"].as_bool()), (Some(2), Some(false)));
    for k in ["id", "owner_organization_id", "created_by", "created_at"] {
        assert_eq!(changed[k], made[k], "{k} changed");
    }
    assert!(instant(&changed["updated_at"]) >= instant(&made["updated_at"]));
    assert_eq!(read(&app, &id).await, changed);
    // null clears one location field, then the whole location; an absent field stays.
    let r = app.patch(&path(&id), t, json!({"location": {"accuracy_m": null}})).await.expect(200);
    assert_eq!(
        r.body["location"],
        json!({"latitude": 29.563, "longitude": 106.5516, "accuracy_m": null, "address": "两江新区管委会"})
    );
    let r = app.patch(&path(&id), t, json!({"location": null, "project_id": s.p1})).await.expect(200);
    assert_eq!((r.body["location"].clone(), r.body["project_id"].clone()), (Value::Null, json!(s.p1)));
    assert_eq!(r.body["summary"], "长安汽车来两江新区考察");
    let r = app.patch(&path(&id), t, json!({})).await.expect(200);
    assert_eq!(r.body["version"], 5);

    // Required fields cannot be nulled; server-owned fields are not writable; nothing changes.
    for (body, pointer) in [
        (json!({"summary": null}), "/summary"),
        (json!({"visited_at": null}), "/visited_at"),
        (json!({"direction": null}), "/direction"),
        (json!({"enterprise_id": null}), "/enterprise_id"),
        (json!({"participants": null}), "/participants"),
        (json!({"policy_tags": null}), "/policy_tags"),
        (json!({"owner_organization_id": s.w.prefecture}), "/owner_organization_id"),
        (json!({"version": 9}), "/version"),
        (json!({"late_entry": true}), "/late_entry"),
        (json!({"created_by": s.colleague_id}), "/created_by"),
        (json!({"id": UNKNOWN}), "/id"),
        (json!({"location": {"altitude": 300}}), "/location/altitude"),
    ] {
        assert_eq!(pointers(app.patch(&path(&id), t, body.clone()).await), vec![pointer.to_owned()], "{body}");
    }
    let r = app.patch(&path(&id), t, json!({"owner_organization_id": s.w.prefecture})).await;
    assert_eq!(violations(r), vec![pair("/owner_organization_id", "read_only")]);
    assert_eq!(version_of(&app, &id).await, 5);

    // A visit without the optional fields: empty texts and lists, no location, no project.
    let bare = create(&app, t, minimal(&s.e2, "2026-03-07T01:00:00Z")).await;
    for (k, v) in [
        ("project_id", Value::Null),
        ("recorded_at", Value::Null),
        ("location", Value::Null),
        ("participants", json!([])),
        ("policy_tags", json!([])),
        ("external_attendees", json!("")),
        ("summary", json!("")),
        ("late_entry", json!(false)),
    ] {
        assert_eq!(bare[k], v, "{k}");
    }
    // A location may be an address alone.
    let r =
        create(&app, t, with(minimal(&s.e2, "2026-03-07T02:00:00Z"), json!({"location": {"address": "瑞丽"}}))).await;
    assert_eq!(r["location"], json!({"latitude": null, "longitude": null, "accuracy_m": null, "address": "瑞丽"}));
    // The labels are served for apps.
    let enums = app.get("/v1/meta/enums", t).await.expect(200).text;
    for label in ["VisitDirection", "VisitPurpose", "来考察", "政策宣讲", "上门对接", "回访"] {
        assert!(enums.contains(label), "{label} missing from /v1/meta/enums");
    }
});

// ---------------------------------------------------------------------------------------------
// Late entry

both!(late_entry_is_flagged_never_refused_and_the_times_stay_as_sent, |app| async move {
    let s = setup(&app).await;
    let t = &s.w.county_officer;
    let visit = |visited: &str, recorded: Option<&str>| {
        let mut b = minimal(&s.e1, visited);
        if let Some(r) = recorded {
            b["recorded_at"] = json!(r);
        }
        b
    };
    for (visited, recorded, late) in [
        // Recorded shortly after the visit, or days later when the phone synced: not late.
        ("2026-03-05T10:00:00Z", Some("2026-03-05T12:00:00Z"), false),
        ("2026-03-05T10:00:00Z", Some("2026-03-09T08:00:00Z"), false),
        // The visit lies after the phone's clock, but within 24 hours (exactly 24 h included).
        ("2026-03-05T10:00:00Z", Some("2026-03-05T02:00:00Z"), false),
        ("2026-03-05T10:00:00Z", Some("2026-03-04T10:00:00Z"), false),
        // More than 24 hours after the phone's clock: flagged.
        ("2026-03-05T10:00:01Z", Some("2026-03-04T10:00:00Z"), true),
        ("2026-03-12T18:30:00.125+08:00", Some("2026-03-05T09:00:00.5+08:00"), true),
        // No phone clock: nothing to judge.
        ("2026-03-05T10:00:00Z", None, false),
    ] {
        let sent = visit(visited, recorded);
        let r = app.post("/v1/visits", t, sent.clone()).await;
        assert_eq!(r.status.as_u16(), 201, "a late entry is never refused: {}", r.text);
        assert_eq!(r.body["late_entry"], late, "{visited} recorded {recorded:?}");
        assert_as_sent(&sent, &r.body);
        let got = read(&app, &r.id()).await;
        assert_eq!(got["late_entry"], late);
        assert_as_sent(&sent, &got);
    }
    let flagged = list(&app, t, "").await;
    assert_eq!(flagged.len(), 7);

    // Changing either time computes the flag again; the times stay as sent.
    let id = create_id(&app, t, visit("2026-03-05T10:00:00Z", Some("2026-03-05T12:00:00Z"))).await;
    let r = app.patch(&path(&id), t, json!({"recorded_at": "2026-03-01T09:00:00Z"})).await.expect(200);
    assert_eq!(r.body["late_entry"], true);
    assert_eq!(
        (instant(&r.body["visited_at"]), instant(&r.body["recorded_at"])),
        (instant(&json!("2026-03-05T10:00:00Z")), instant(&json!("2026-03-01T09:00:00Z")))
    );
    let r = app.patch(&path(&id), t, json!({"visited_at": "2026-03-01T20:00:00Z"})).await.expect(200);
    assert_eq!(r.body["late_entry"], false);
    let r = app.patch(&path(&id), t, json!({"visited_at": "2026-03-10T20:00:00Z"})).await.expect(200);
    assert_eq!(r.body["late_entry"], true);
    let r = app.patch(&path(&id), t, json!({"recorded_at": null})).await.expect(200);
    assert_eq!((r.body["late_entry"].as_bool(), r.body["recorded_at"].is_null()), (Some(false), true));
    assert_eq!(instant(&r.body["visited_at"]), instant(&json!("2026-03-10T20:00:00Z")));
    // An edit that touches neither time keeps the flag.
    let late = create_id(&app, t, visit("2026-03-20T10:00:00Z", Some("2026-03-01T10:00:00Z"))).await;
    let r = app.patch(&path(&late), t, json!({"summary": "补录"})).await.expect(200);
    assert_eq!(r.body["late_entry"], true);
});

// ---------------------------------------------------------------------------------------------
// Validation

both!(coordinates_out_of_range_are_422_with_pointers_and_the_edges_pass, |app| async move {
    let s = setup(&app).await;
    let t = &s.w.county_officer;
    let at = "2026-03-05T02:00:00Z";
    let loc = |l: Value| with(minimal(&s.e1, at), json!({"location": l}));
    // Every out-of-range field at once.
    let r = app.post("/v1/visits", t, loc(json!({"latitude": 90.5, "longitude": -180.01, "accuracy_m": -1}))).await;
    assert_eq!(
        violations(r),
        vec![
            pair("/location/accuracy_m", "range"),
            pair("/location/latitude", "range"),
            pair("/location/longitude", "range")
        ]
    );
    for (l, expected) in [
        (json!({"latitude": -91, "longitude": 0}), vec![pair("/location/latitude", "range")]),
        (json!({"latitude": 0, "longitude": 181}), vec![pair("/location/longitude", "range")]),
        (
            json!({"latitude": 24, "longitude": 97.8, "accuracy_m": 100000.5}),
            vec![pair("/location/accuracy_m", "range")],
        ),
        (json!({"latitude": 24}), vec![pair("/location/longitude", "required")]),
        (json!({"longitude": 97.8}), vec![pair("/location/latitude", "required")]),
        (json!({"accuracy_m": 10}), vec![pair("/location/accuracy_m", "requires_coordinates")]),
        (json!({"latitude": 24, "longitude": 97.8, "address": "  "}), vec![pair("/location/address", "required")]),
        (json!({"latitude": "24", "longitude": 97.8}), vec![pair("/location/latitude", "type")]),
    ] {
        assert_eq!(violations(app.post("/v1/visits", t, loc(l.clone())).await), expected, "{l}");
    }
    assert!(list(&app, t, "").await.is_empty(), "a refused visit was stored");
    // The edges of each range pass and come back exactly.
    for l in [
        json!({"latitude": 90, "longitude": 180, "accuracy_m": 0}),
        json!({"latitude": -90, "longitude": -180, "accuracy_m": 100000}),
        json!({"latitude": 24.0123456789, "longitude": 97.8549012345, "accuracy_m": 3.25}),
    ] {
        let r = app.post("/v1/visits", t, loc(l.clone())).await.expect(201);
        for f in ["latitude", "longitude", "accuracy_m"] {
            assert_eq!(r.body["location"][f].as_f64(), l[f].as_f64(), "{f} of {l}");
        }
    }
    // A patch out of range is refused and changes nothing.
    let id = create_id(&app, t, loc(json!({"latitude": 24, "longitude": 97.8}))).await;
    let r = app.patch(&path(&id), t, json!({"location": {"latitude": 95}})).await;
    assert_eq!(pointers(r), vec!["/location/latitude".to_owned()]);
    let r = app.patch(&path(&id), t, json!({"location": {"longitude": null}})).await;
    assert_eq!(violations(r), vec![pair("/location/longitude", "required")]);
    let v = read(&app, &id).await;
    assert_eq!((v["version"].as_i64(), v["location"]["latitude"].as_f64()), (Some(1), Some(24.0)));
});

both!(purpose_must_fit_the_direction_and_every_failing_field_is_named, |app| async move {
    let s = setup(&app).await;
    let t = &s.w.county_officer;
    let at = "2026-03-05T02:00:00Z";
    let visit =
        |direction: &str, purpose: &str| with(minimal(&s.e1, at), json!({"direction": direction, "purpose": purpose}));
    for purpose in ["visit", "on_site_matching", "policy_briefing", "follow_up"] {
        app.post("/v1/visits", t, visit("outbound", purpose)).await.expect(201);
        let r = app.post("/v1/visits", t, visit("inbound", purpose)).await;
        assert_eq!(violations(r), vec![pair("/purpose", "purpose_direction")], "inbound {purpose}");
    }
    app.post("/v1/visits", t, visit("inbound", "inspection")).await.expect(201);
    let r = app.post("/v1/visits", t, visit("outbound", "inspection")).await;
    let r = r.problem(422, "VALIDATION_FAILED");
    assert!(r.body["errors"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("visit, on_site_matching, policy_briefing, follow_up"));
    assert_eq!(list(&app, t, "").await.len(), 5);
    // Unknown codes are type errors at their field.
    assert_eq!(pointers(app.post("/v1/visits", t, visit("sideways", "visit")).await), vec!["/direction".to_owned()]);
    assert_eq!(pointers(app.post("/v1/visits", t, visit("outbound", "lunch")).await), vec!["/purpose".to_owned()]);

    // A patch must keep the pair consistent; changing both at once is fine.
    let id = create_id(&app, t, visit("outbound", "follow_up")).await;
    let r = app.patch(&path(&id), t, json!({"direction": "inbound"})).await;
    assert_eq!(violations(r), vec![pair("/purpose", "purpose_direction")]);
    let r = app.patch(&path(&id), t, json!({"purpose": "inspection"})).await;
    assert_eq!(violations(r), vec![pair("/purpose", "purpose_direction")]);
    assert_eq!(read(&app, &id).await["version"], 1);
    let r = app.patch(&path(&id), t, json!({"direction": "inbound", "purpose": "inspection"})).await.expect(200);
    assert_eq!((r.body["direction"].as_str(), r.body["purpose"].as_str()), (Some("inbound"), Some("inspection")));

    // Everything wrong at once is reported at once.
    let bad = json!({
        "id": "not-a-uuid",
        "direction": "inbound",
        "purpose": "policy_briefing",
        "enterprise_id": s.e1,
        "visited_at": at,
        "location": {"latitude": 91, "longitude": 0, "address": ""},
        "participants": [s.colleague_id, s.colleague_id],
        "summary": "bell\u{7}",
        "external_attendees": "x".repeat(2001),
        "policy_tags": ["用地", "长".repeat(41), ""]
    });
    assert_eq!(
        pointers(app.post("/v1/visits", t, bad).await),
        vec![
            "/external_attendees",
            "/id",
            "/location/address",
            "/location/latitude",
            "/participants/1",
            "/policy_tags/1",
            "/policy_tags/2",
            "/purpose",
            "/summary",
        ]
    );
    let many: Vec<String> = (0..21).map(|i| format!("标签{i}")).collect();
    let r = app.post("/v1/visits", t, with(minimal(&s.e1, at), json!({"policy_tags": many}))).await;
    assert_eq!(violations(r), vec![pair("/policy_tags", "length")]);
    // Missing and malformed fields.
    for (body, expected) in [
        (json!({"purpose": "visit", "enterprise_id": s.e1, "visited_at": at}), pair("/direction", "required")),
        (json!({"direction": "outbound", "purpose": "visit", "visited_at": at}), pair("/enterprise_id", "required")),
        (json!({"direction": "outbound", "purpose": "visit", "enterprise_id": s.e1}), pair("/visited_at", "required")),
        (with(minimal(&s.e1, at), json!({"visited_at": "yesterday"})), pair("/visited_at", "type")),
        (with(minimal(&s.e1, at), json!({"recorded_at": "2026-13-01T00:00:00Z"})), pair("/recorded_at", "type")),
        (with(minimal(&s.e1, at), json!({"late_entry": false})), pair("/late_entry", "unknown_field")),
        (with(minimal(&s.e1, at), json!({"version": 1})), pair("/version", "read_only")),
    ] {
        assert_eq!(violations(app.post("/v1/visits", t, body.clone()).await), vec![expected], "{body}");
    }
    // Duplicate policy tags are kept once.
    let r = create(&app, t, with(minimal(&s.e1, at), json!({"policy_tags": ["用地", "人才", "用地"]}))).await;
    assert_eq!(r["policy_tags"], json!(["人才", "用地"]));
});

// ---------------------------------------------------------------------------------------------
// References

both!(enterprise_project_and_participants_must_be_visible_and_allowed, |app| async move {
    let s = setup(&app).await;
    let w = &s.w;
    let t = &w.county_officer;
    let at = "2026-03-05T02:00:00Z";
    let base = minimal(&s.e1, at);
    // Records and people the county may not use.
    let (stranger_officer_id, stranger_officer) = app.user(&w.stranger, "my.other", "officer").await;
    let foreign_enterprise = enterprise(&app, &stranger_officer, "绵阳企业").await;
    let foreign_project = project(&app, &stranger_officer, "绵阳项目", &foreign_enterprise).await;
    let (pref_user, _) = app.user(&w.prefecture, "dh.staff", "officer").await;
    let outsider = app.org(None, "province", "GD").await;
    let (outsider_user, _) = app.user(&outsider, "gd.staff", "officer").await;
    let partner_team = app.org(Some(&w.stranger), "team", "SC-MY-T1").await;
    let (partner_team_user, _) = app.user(&partner_team, "my.team", "officer").await;
    let county_team = app.org(Some(&w.county), "team", "YN-DH-RL-T1").await;
    let (county_team_user, _) = app.user(&county_team, "rl.team", "officer").await;
    for (what, body) in [
        ("unknown enterprise", with(base.clone(), json!({"enterprise_id": UNKNOWN}))),
        ("a partner's unshared enterprise", with(base.clone(), json!({"enterprise_id": foreign_enterprise}))),
        ("unknown project", with(base.clone(), json!({"project_id": UNKNOWN}))),
        ("a partner's unshared project", with(base.clone(), json!({"project_id": foreign_project}))),
        ("unknown participant", with(base.clone(), json!({"participants": [UNKNOWN]}))),
        ("a superior's user", with(base.clone(), json!({"participants": [pref_user]}))),
        ("a stranger's user", with(base.clone(), json!({"participants": [outsider_user]}))),
        ("one bad among good", with(base.clone(), json!({"participants": [s.colleague_id, outsider_user]}))),
        ("unknown owner", with(base.clone(), json!({"owner_organization_id": UNKNOWN}))),
    ] {
        let r = app.post("/v1/visits", t, body).await;
        assert_eq!(r.status.as_u16(), 404, "{what}: {}", r.text);
        r.problem(404, "NOT_FOUND");
    }
    assert!(list(&app, &app.admin_token, "").await.is_empty(), "a refused visit was stored");
    // Allowed: the caller's staff and its descendants', the partner's staff and its stationed
    // team's (a member bureau's teams act with it).
    let people = vec![
        s.officer_id.clone(),
        s.colleague_id.clone(),
        county_team_user.clone(),
        s.partner_id.clone(),
        stranger_officer_id,
        partner_team_user.clone(),
    ];
    let r = create(&app, t, with(base.clone(), json!({"participants": people.clone()}))).await;
    assert_eq!(r["participants"], json!(sorted(people)));
    let id = id_of(&r);
    // A shared project of the partner may be named, and its investor enterprise.
    app.post(&format!("/v1/projects/{foreign_project}/shares/{}", s.alliance), &stranger_officer, json!({}))
        .await
        .expect(200);
    let r = app.patch(&path(&id), t, json!({"project_id": foreign_project, "enterprise_id": foreign_enterprise})).await;
    r.expect(200);
    // A patch adding a forbidden participant, enterprise or project is 404 and changes nothing.
    let v = version_of(&app, &id).await;
    for body in [
        json!({"participants": [s.officer_id, outsider_user]}),
        json!({"participants": [pref_user]}),
        json!({"enterprise_id": UNKNOWN}),
        json!({"project_id": UNKNOWN}),
    ] {
        app.patch(&path(&id), t, body).await.problem(404, "NOT_FOUND");
    }
    assert_eq!(version_of(&app, &id).await, v);
    // Once the partner leaves the alliance its people can no longer be added.
    app.post(&format!("/v1/alliances/{}/members/{}/leave", s.alliance, w.stranger), &w.stranger_admin, json!({}))
        .await
        .expect(200);
    app.post("/v1/visits", t, with(base.clone(), json!({"participants": [s.partner_id]})))
        .await
        .problem(404, "NOT_FOUND");
    // Participants already on the visit stay while other fields change.
    let r = app.patch(&path(&id), t, json!({"summary": "伙伴已退出联盟"})).await.expect(200);
    assert!(strings(&r.body["participants"]).contains(&partner_team_user));
    // A superior records for its subordinate with its own staff and enterprise; the
    // subordinate's officer still edits what it sees of it.
    let (pref_officer_id, pref_officer) = app.user(&w.prefecture, "dh.officer", "officer").await;
    let (_, pref_leader) = app.user(&w.prefecture, "dh.leader", "leader").await;
    let pref_enterprise = enterprise(&app, &pref_officer, "中船重工").await;
    let body = with(
        minimal(&pref_enterprise, at),
        json!({"owner_organization_id": w.county, "participants": [pref_officer_id, s.colleague_id]}),
    );
    app.post("/v1/visits", &pref_officer, body.clone()).await.problem(403, "FORBIDDEN");
    let r = create(&app, &pref_leader, body).await;
    assert_eq!(r["owner_organization_id"], w.county.as_str());
    let r = app.patch(&path(&id_of(&r)), t, json!({"findings": "选址问题已协调"})).await.expect(200);
    assert_eq!(r.body["enterprise_id"], pref_enterprise.as_str());
});

// ---------------------------------------------------------------------------------------------
// Filters and paging

both!(each_filter_selects_exactly_its_visits, |app| async move {
    let s = setup(&app).await;
    let w = &s.w;
    let t = &w.county_officer;
    let team = app.org(Some(&w.county), "team", "YN-DH-RL-T1").await;
    let (_, team_officer) = app.user(&team, "rl.team", "officer").await;
    let (_, pref_officer) = app.user(&w.prefecture, "dh.officer", "officer").await;
    let e3 = enterprise(&app, &team_officer, "瑞丽口岸物流").await;
    let e4 = enterprise(&app, &pref_officer, "腾讯").await;
    let p2 = project(&app, t, "长安新能源项目", &s.e2).await;
    let a = create_id(
        &app,
        t,
        with(minimal(&s.e1, "2026-03-01T02:00:00Z"), json!({"project_id": s.p1, "participants": [s.colleague_id]})),
    )
    .await;
    let b = create_id(
        &app,
        t,
        with(
            minimal(&s.e1, "2026-03-02T02:00:00Z"),
            json!({"purpose": "policy_briefing", "participants": [s.partner_id]}),
        ),
    )
    .await;
    let c = create_id(
        &app,
        t,
        with(
            minimal(&s.e2, "2026-03-03T02:00:00Z"),
            json!({"direction": "inbound", "purpose": "inspection", "project_id": p2}),
        ),
    )
    .await;
    let d = create_id(&app, &team_officer, with(minimal(&e3, "2026-03-04T02:00:00Z"), json!({"purpose": "follow_up"})))
        .await;
    let e = create_id(
        &app,
        &pref_officer,
        with(minimal(&e4, "2026-03-05T02:00:00Z"), json!({"purpose": "on_site_matching"})),
    )
    .await;
    let ids = |v: &[&String]| sorted(v.iter().map(|s| (*s).clone()).collect());
    let p = &pref_officer;
    assert_eq!(list_set(&app, p, "").await, ids(&[&a, &b, &c, &d, &e]));
    for (query, expected) in [
        (format!("owner_organization_id={}", w.county), ids(&[&a, &b, &c, &d])),
        (format!("owner_organization_id={}&include_descendants=false", w.county), ids(&[&a, &b, &c])),
        (format!("owner_organization_id={team}"), ids(&[&d])),
        (format!("owner_organization_id={}", w.prefecture), ids(&[&a, &b, &c, &d, &e])),
        (format!("owner_organization_id={}&include_descendants=false", w.prefecture), ids(&[&e])),
        (format!("enterprise_id={}", s.e1), ids(&[&a, &b])),
        (format!("enterprise_id={}", s.e2), ids(&[&c])),
        (format!("project_id={}", s.p1), ids(&[&a])),
        (format!("project_id={p2}"), ids(&[&c])),
        (format!("participant_user_id={}", s.colleague_id), ids(&[&a])),
        (format!("participant_user_id={}", s.partner_id), ids(&[&b])),
        (format!("participant_user_id={UNKNOWN}"), vec![]),
        ("direction=inbound".to_owned(), ids(&[&c])),
        ("direction=outbound".to_owned(), ids(&[&a, &b, &d, &e])),
        ("purpose=visit".to_owned(), ids(&[&a])),
        ("purpose=policy_briefing".to_owned(), ids(&[&b])),
        ("purpose=inspection".to_owned(), ids(&[&c])),
        ("purpose=follow_up".to_owned(), ids(&[&d])),
        ("purpose=on_site_matching".to_owned(), ids(&[&e])),
        // The range is inclusive at both ends, and any offset names the same instant.
        ("visited_from=2026-03-02T02:00:00Z".to_owned(), ids(&[&b, &c, &d, &e])),
        ("visited_to=2026-03-02T02:00:00Z".to_owned(), ids(&[&a, &b])),
        ("visited_from=2026-03-02T02:00:00Z&visited_to=2026-03-04T02:00:00Z".to_owned(), ids(&[&b, &c, &d])),
        (format!("visited_from={}", enc("2026-03-02T10:00:00.000001+08:00")), ids(&[&c, &d, &e])),
        ("visited_from=2026-03-06T00:00:00Z".to_owned(), vec![]),
        (format!("owner_organization_id={}&direction=outbound&enterprise_id={}", w.county, s.e1), ids(&[&a, &b])),
    ] {
        assert_eq!(list_set(&app, p, &query).await, expected, "{query}");
    }
    // The county does not see the prefecture's own visit, whatever its filters say.
    assert_eq!(list_set(&app, t, &format!("owner_organization_id={}", w.prefecture)).await, ids(&[&a, &b, &c, &d]));
    // Bad filter values and unknown parameters are 400.
    for query in
        ["direction=sideways", "purpose=lunch", "visited_from=yesterday", "colour=red", "include_deleted=maybe"]
    {
        app.get(&format!("/v1/visits?{query}"), p).await.problem(400, "INVALID_QUERY");
    }

    // updated_since: what changed at or after an instant; with include_deleted, tombstones too.
    let changed = app.patch(&path(&c), t, json!({"summary": "改"})).await.expect(200).body;
    let since = enc(changed["updated_at"].as_str().unwrap());
    assert_eq!(list(&app, p, &format!("updated_since={since}")).await, vec![c.clone()]);
    app.delete(&path(&b), t).await.expect(204);
    assert_eq!(list_set(&app, p, "").await, ids(&[&a, &c, &d, &e]));
    let r = app
        .get(&format!("/v1/visits?updated_since={since}&include_deleted=true&order_by=updated_at"), p)
        .await
        .expect(200);
    assert_eq!(page_ids(&r), vec![c.clone(), b.clone()]);
    let tomb = &r.body["items"][1];
    let mut keys: Vec<&String> = tomb.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, vec!["deleted_at", "id", "version"]);
    assert_eq!(tomb["version"], 2);
    assert_eq!(list_set(&app, p, &format!("updated_since={since}")).await, vec![c.clone()]);
    // A deleted visit no longer counts for its enterprise or participant.
    assert_eq!(list_set(&app, p, &format!("participant_user_id={}", s.partner_id)).await, Vec::<String>::new());
    assert_eq!(list_set(&app, p, &format!("enterprise_id={}", s.e1)).await, ids(&[&a]));
});

both!(paging_returns_each_visit_once_in_every_order, |app| async move {
    let s = setup(&app).await;
    let t = &s.w.county_officer;
    // 45 visits over 9 distinct times, so that times tie and ids break the ties.
    let mut made: Vec<Value> = vec![];
    for i in 0..45 {
        let at = format!("2026-04-{:02}T0{}:00:00Z", 1 + (i * 7) % 9, i % 3);
        made.push(create(&app, t, minimal(&s.e1, &at)).await);
    }
    // Some change afterwards, so that the change order differs from the creation order.
    for i in [40usize, 3, 17] {
        made[i] = app.patch(&path(&id_of(&made[i])), t, json!({"summary": format!("改{i}")})).await.expect(200).body;
    }
    let key = |v: &Value, f: &str| (instant(&v[f]), id_of(v));
    let mut by_id: Vec<String> = made.iter().map(id_of).collect();
    by_id.sort();
    let mut by_visit: Vec<(DateTime<Utc>, String)> = made.iter().map(|v| key(v, "visited_at")).collect();
    by_visit.sort();
    let by_visit: Vec<String> = by_visit.into_iter().map(|(_, id)| id).collect();
    let mut by_change: Vec<(DateTime<Utc>, String)> = made.iter().map(|v| key(v, "updated_at")).collect();
    by_change.sort();
    let by_change: Vec<String> = by_change.into_iter().map(|(_, id)| id).collect();
    let rev = |v: &[String]| v.iter().rev().cloned().collect::<Vec<_>>();
    for (order, expected) in [
        ("", by_id.clone()),
        ("order_by=id", by_id.clone()),
        ("order_by=-id", rev(&by_id)),
        ("order_by=visited_at", by_visit.clone()),
        ("order_by=-visited_at", rev(&by_visit)),
        ("order_by=updated_at", by_change.clone()),
        ("order_by=-updated_at", rev(&by_change)),
    ] {
        let (items, pages) = walk(&app, t, order, 7).await;
        let got: Vec<String> = items.iter().map(id_of).collect();
        assert_eq!(got.iter().collect::<HashSet<_>>().len(), 45, "{order}: duplicates");
        assert_eq!(got, expected, "{order}");
        assert_eq!(pages, 7, "{order}");
    }
    // A filter pages too, and a page of exactly the rest has no next token.
    let (items, _) = walk(&app, t, "visited_from=2026-04-05T00:00:00Z&order_by=-visited_at", 4).await;
    let expected: Vec<String> = rev(&by_visit)
        .into_iter()
        .filter(|id| {
            made.iter().any(|v| id_of(v) == *id && instant(&v["visited_at"]) >= instant(&json!("2026-04-05T00:00:00Z")))
        })
        .collect();
    assert_eq!(items.iter().map(id_of).collect::<Vec<_>>(), expected);
    let r = app.get("/v1/visits?page_size=45", t).await.expect(200);
    assert_eq!((page_ids(&r).len(), r.body.get("next_page_token").is_none_or(Value::is_null)), (45, true));

    // Sizes out of range, and tokens forged, altered, or used with another filter or caller.
    app.get("/v1/visits?page_size=201", t).await.problem(400, "INVALID_PAGE_SIZE");
    app.get("/v1/visits?page_size=0", t).await.problem(400, "INVALID_PAGE_SIZE");
    let r = app.get("/v1/visits?page_size=5&order_by=visited_at", t).await.expect(200);
    let token = r.body["next_page_token"].as_str().unwrap().to_owned();
    app.get(&format!("/v1/visits?page_size=5&order_by=visited_at&page_token={}", enc(&token)), t).await.expect(200);
    app.get(&format!("/v1/visits?page_size=5&order_by=-visited_at&page_token={}", enc(&token)), t)
        .await
        .problem(400, "INVALID_PAGE_TOKEN");
    app.get(&format!("/v1/visits?page_size=5&order_by=visited_at&direction=inbound&page_token={}", enc(&token)), t)
        .await
        .problem(400, "INVALID_PAGE_TOKEN");
    app.get(&format!("/v1/visits?page_size=5&order_by=visited_at&page_token={}", enc(&token)), &s.w.county_admin)
        .await
        .problem(400, "INVALID_PAGE_TOKEN");
    let last = if token.ends_with('A') { 'B' } else { 'A' };
    let forged = format!("{}{last}", &token[..token.len() - 1]);
    app.get(&format!("/v1/visits?page_size=5&order_by=visited_at&page_token={}", enc(&forged)), t)
        .await
        .problem(400, "INVALID_PAGE_TOKEN");
});

// ---------------------------------------------------------------------------------------------
// Visibility matrix

struct Matrix {
    s: Setup,
    county_viewer: String,
    pref_officer: String,
    pref_leader: String,
    /// A stationed team under the county (a subordinate of the owner).
    team_officer: String,
    /// An admin of the stranger organization, the partner in the alliance: no participant.
    partner_admin: String,
    outsider_admin: String,
    /// Owned by the county; participants: the county colleague and the partner's officer.
    vc: String,
    /// Owned by the prefecture; participants: the prefecture officer and the county officer.
    vp: String,
}

async fn matrix(app: &TestApp) -> Matrix {
    let s = setup(app).await;
    let w = &s.w;
    let (_, county_viewer) = app.user(&w.county, "rl.viewer", "viewer").await;
    let (pref_officer_id, pref_officer) = app.user(&w.prefecture, "dh.officer", "officer").await;
    let (_, pref_leader) = app.user(&w.prefecture, "dh.leader", "leader").await;
    let team = app.org(Some(&w.county), "team", "YN-DH-RL-T1").await;
    let (_, team_officer) = app.user(&team, "rl.team", "officer").await;
    let outsider = app.org(None, "province", "GD").await;
    let (_, outsider_admin) = app.user(&outsider, "gd.admin", "org_admin").await;
    let partner_admin = w.stranger_admin.clone();
    let vc = create_id(
        app,
        &w.county_officer,
        with(
            minimal(&s.e1, "2026-03-05T02:00:00Z"),
            json!({"summary": "县级走访", "participants": [s.colleague_id, s.partner_id]}),
        ),
    )
    .await;
    let pref_enterprise = enterprise(app, &pref_officer, "中船重工").await;
    let vp = create_id(
        app,
        &pref_officer,
        with(
            minimal(&pref_enterprise, "2026-03-06T02:00:00Z"),
            json!({"summary": "州级走访", "participants": [pref_officer_id, s.officer_id]}),
        ),
    )
    .await;
    Matrix { s, county_viewer, pref_officer, pref_leader, team_officer, partner_admin, outsider_admin, vc, vp }
}

/// Asserts the caller reads the visit and finds it in the list.
async fn sees(app: &TestApp, token: &str, id: &str, who: &str) {
    let r = app.get(&path(id), token).await;
    assert_eq!(r.status.as_u16(), 200, "{who} should read {id}: {}", r.text);
    assert!(list(app, token, "").await.contains(&id.to_owned()), "{who} should list {id}");
}

/// Asserts the caller gets exactly 404 for the visit and does not list it, even with filters
/// naming it.
async fn blind(app: &TestApp, token: &str, id: &str, who: &str) {
    let r = app.get(&path(id), token).await;
    assert_eq!(r.status.as_u16(), 404, "{who} must not read {id}: {}", r.text);
    r.problem(404, "NOT_FOUND");
    assert!(!list(app, token, "").await.contains(&id.to_owned()), "{who} must not list {id}");
    assert!(!list(app, token, "include_deleted=true&order_by=updated_at").await.contains(&id.to_owned()));
    let v = read(app, id).await;
    let by_enterprise = format!("enterprise_id={}", v["enterprise_id"].as_str().unwrap());
    assert!(!list(app, token, &by_enterprise).await.contains(&id.to_owned()), "{who} must not list {id}");
}

both!(visibility_matrix_read_and_list, |app| async move {
    let m = matrix(&app).await;
    let w = &m.s.w;
    // The owner, its superiors, and the platform operator read the county's visit.
    for (who, token) in [
        ("county officer", &w.county_officer),
        ("county viewer", &m.county_viewer),
        ("prefecture officer", &m.pref_officer),
        ("province admin", &w.province_admin),
        ("sysadmin", &app.admin_token),
    ] {
        sees(&app, token, &m.vc, who).await;
    }
    // The partner's officer took part: it reads the visit and lists it, and only it.
    sees(&app, &m.s.partner, &m.vc, "partner participant").await;
    assert_eq!(list(&app, &m.s.partner, "").await, vec![m.vc.clone()]);
    assert_eq!(list(&app, &m.s.partner, &format!("participant_user_id={}", m.s.partner_id)).await, vec![m.vc.clone()]);
    let seen = app.get(&path(&m.vc), &m.s.partner).await.expect(200);
    assert_eq!(seen.body["summary"], "县级走访");
    // Its organization's admin did not take part: nothing. Nor a stranger, nor a subordinate.
    blind(&app, &m.partner_admin, &m.vc, "partner non-participant").await;
    blind(&app, &m.outsider_admin, &m.vc, "stranger").await;
    blind(&app, &m.team_officer, &m.vc, "subordinate").await;
    app.get(&path(UNKNOWN), &w.county_officer).await.problem(404, "NOT_FOUND");

    // The prefecture's visit: its superiors see it, its subordinates only when they took part.
    sees(&app, &m.pref_officer, &m.vp, "prefecture officer").await;
    sees(&app, &w.province_admin, &m.vp, "province admin").await;
    sees(&app, &w.county_officer, &m.vp, "subordinate participant").await;
    blind(&app, &w.county_admin, &m.vp, "subordinate non-participant").await;
    blind(&app, &m.county_viewer, &m.vp, "subordinate non-participant").await;
    blind(&app, &m.s.partner, &m.vp, "partner").await;
    blind(&app, &m.outsider_admin, &m.vp, "stranger").await;
    assert_eq!(sorted(list(&app, &w.county_officer, "").await), sorted(vec![m.vc.clone(), m.vp.clone()]));
    assert_eq!(list(&app, &w.county_admin, "").await, vec![m.vc.clone()]);

    // The partner leaves the alliance: its participant's view ends at once.
    app.post(&format!("/v1/alliances/{}/members/{}/leave", m.s.alliance, w.stranger), &w.stranger_admin, json!({}))
        .await
        .expect(200);
    blind(&app, &m.s.partner, &m.vc, "participant of a former partner").await;
    sees(&app, &w.county_officer, &m.vc, "county officer").await;
});

both!(visibility_matrix_update, |app| async move {
    let m = matrix(&app).await;
    let w = &m.s.w;
    let vc = path(&m.vc);
    // The owner's officer succeeds first; then each other caller is refused and nothing changes.
    let v = app.patch(&vc, &w.county_officer, json!({"summary": "县级推进"})).await.expect(200).body["version"]
        .as_i64()
        .unwrap();
    for (who, token, status) in [
        ("county viewer", &m.county_viewer, 403),
        ("prefecture officer", &m.pref_officer, 403),
        ("partner participant", &m.s.partner, 403),
        ("partner non-participant", &m.partner_admin, 404),
        ("subordinate", &m.team_officer, 404),
        ("stranger", &m.outsider_admin, 404),
    ] {
        let r = app.patch(&vc, token, json!({"summary": "改", "participants": []})).await;
        assert_eq!(r.status.as_u16(), status, "{who}: {}", r.text);
        let got = read(&app, &m.vc).await;
        assert_eq!(got["version"], v, "{who} changed the visit");
        assert_eq!(got["summary"], "县级推进", "{who} changed the visit");
        assert_eq!(got["participants"].as_array().unwrap().len(), 2, "{who} changed the visit");
    }
    // A superior's admin and leader act on the subordinate's visit; it stays the county's.
    let r = app.patch(&vc, &w.prefecture_admin, json!({"summary": "州级推进"})).await.expect(200);
    assert_eq!(r.body["owner_organization_id"], w.county.as_str());
    app.patch(&vc, &m.pref_leader, json!({"findings": "州领导包抓"})).await.expect(200);
    app.patch(&vc, &w.province_admin, json!({"next_steps": "省级协调"})).await.expect(200);
    assert_eq!(version_of(&app, &m.vc).await, v + 3);

    // The prefecture's visit: its officer changes it; a subordinate participant reads but may
    // not change it; a subordinate non-participant does not see it.
    let vp = path(&m.vp);
    let v =
        app.patch(&vp, &m.pref_officer, json!({"summary": "州"})).await.expect(200).body["version"].as_i64().unwrap();
    app.patch(&vp, &w.county_officer, json!({"summary": "县改州"})).await.problem(403, "FORBIDDEN");
    app.patch(&vp, &w.county_admin, json!({"summary": "县改州"})).await.problem(404, "NOT_FOUND");
    let got = read(&app, &m.vp).await;
    assert_eq!((got["version"].as_i64(), got["summary"].as_str()), (Some(v), Some("州")));

    // Create: a partner never records visits for the county; an outsider does not even see it.
    let body = with(minimal(&m.s.e1, "2026-03-07T02:00:00Z"), json!({"owner_organization_id": w.county}));
    app.post("/v1/visits", &m.partner_admin, body.clone()).await.problem(403, "FORBIDDEN");
    app.post("/v1/visits", &m.outsider_admin, body.clone()).await.problem(404, "NOT_FOUND");
    app.post("/v1/visits", &m.county_viewer, body.clone()).await.problem(403, "FORBIDDEN");
    app.post("/v1/visits", &m.pref_officer, body).await.problem(403, "FORBIDDEN");
    assert_eq!(sorted(list(&app, &app.admin_token, "").await), sorted(vec![m.vc.clone(), m.vp.clone()]));
});

both!(visibility_matrix_delete, |app| async move {
    let m = matrix(&app).await;
    let w = &m.s.w;
    // The owner's officer deletes first, on a visit of its own; then each other caller is
    // refused on the county's visit and nothing changes.
    let own = create_id(&app, &w.county_officer, minimal(&m.s.e1, "2026-03-08T02:00:00Z")).await;
    app.delete(&path(&own), &w.county_officer).await.expect(204);
    app.get(&path(&own), &w.county_officer).await.problem(404, "NOT_FOUND");
    let v = version_of(&app, &m.vc).await;
    for (who, token, status) in [
        ("county viewer", &m.county_viewer, 403),
        ("prefecture officer", &m.pref_officer, 403),
        ("partner participant", &m.s.partner, 403),
        ("partner non-participant", &m.partner_admin, 404),
        ("subordinate", &m.team_officer, 404),
        ("stranger", &m.outsider_admin, 404),
    ] {
        let r = app.delete(&path(&m.vc), token).await;
        assert_eq!(r.status.as_u16(), status, "delete by {who}: {}", r.text);
        assert_eq!(version_of(&app, &m.vc).await, v, "{who} deleted the visit");
    }
    app.delete(&path(&m.vp), &w.county_officer).await.problem(403, "FORBIDDEN");
    app.delete(&path(&m.vp), &w.county_admin).await.problem(404, "NOT_FOUND");
    read(&app, &m.vp).await;
    // A superior's leader deletes its subordinate's visit; then nobody reads it, the
    // participant included, and lists skip it.
    app.delete(&path(&m.vc), &m.pref_leader).await.expect(204);
    for token in [&w.county_officer, &m.s.partner, &app.admin_token] {
        app.get(&path(&m.vc), token).await.problem(404, "NOT_FOUND");
        assert!(!list(&app, token, "").await.contains(&m.vc));
    }
    app.delete(&path(&m.vc), &w.county_officer).await.problem(404, "NOT_FOUND");
    app.patch(&path(&m.vc), &w.county_officer, json!({"summary": "x"})).await.problem(404, "NOT_FOUND");
    // Sync clients learn of it from its tombstone.
    let r = app.get("/v1/visits?include_deleted=true&order_by=updated_at", &w.county_officer).await.expect(200);
    let tomb = r.body["items"].as_array().unwrap().iter().find(|i| i["id"] == m.vc.as_str()).cloned().unwrap();
    assert_eq!(tomb["version"], v + 1);
    assert!(tomb.get("summary").is_none());
    // The prefecture's officer deletes its own.
    app.delete(&path(&m.vp), &m.pref_officer).await.expect(204);
    assert!(list(&app, &app.admin_token, "").await.is_empty());
});

// ---------------------------------------------------------------------------------------------
// Versions, idempotency, client ids, partner systems

both!(a_stale_if_match_is_412_and_changes_nothing, |app| async move {
    let s = setup(&app).await;
    let t = &s.w.county_officer;
    let id = create_id(&app, t, minimal(&s.e1, "2026-03-05T02:00:00Z")).await;
    let patch = |body: Value, tag: &'static str| {
        let (app, t, p) = (&app, t.clone(), path(&id));
        async move { app.call(Method::PATCH, &p, Some(&t), Some(body), &[("if-match", tag)]).await }
    };
    patch(json!({"summary": "一"}), "\"1\"").await.expect(200);
    patch(json!({"summary": "二"}), "\"1\"").await.problem(412, "PRECONDITION_FAILED");
    patch(json!({"summary": "二"}), "garbage").await.problem(400, "INVALID_IF_MATCH");
    let v = read(&app, &id).await;
    assert_eq!((v["summary"].as_str(), v["version"].as_i64()), (Some("一"), Some(2)));
    // A stale delete is refused too; the current version deletes.
    app.call(Method::DELETE, &path(&id), Some(t), None, &[("if-match", "\"1\"")])
        .await
        .problem(412, "PRECONDITION_FAILED");
    read(&app, &id).await;
    // If-None-Match with the current version is 304; with an old one, the visit.
    let r = app.call(Method::GET, &path(&id), Some(t), None, &[("if-none-match", "\"2\"")]).await;
    assert_eq!(r.status.as_u16(), 304);
    let r = app.call(Method::GET, &path(&id), Some(t), None, &[("if-none-match", "\"1\"")]).await.expect(200);
    assert_eq!(r.body["summary"], "一");
    patch(json!({"summary": "三"}), "*").await.expect(200);
    app.call(Method::DELETE, &path(&id), Some(t), None, &[("if-match", "\"3\"")]).await.expect(204);
});

both!(create_is_idempotent_and_honours_client_ids, |app| async move {
    let s = setup(&app).await;
    let t = &s.w.county_officer;
    let key = [("idempotency-key", "visit-0001")];
    let body = with(
        minimal(&s.e1, "2026-03-05T02:00:00Z"),
        json!({"summary": "离线记录的走访", "participants": [s.partner_id]}),
    );
    let first = app.call(Method::POST, "/v1/visits", Some(t), Some(body.clone()), &key).await.expect(201);
    let again = app.call(Method::POST, "/v1/visits", Some(t), Some(body.clone()), &key).await.expect(201);
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("etag"), first.header("etag"));
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(list(&app, t, "").await, vec![first.id()]);
    // The same key with another body is 422; another caller's key is its own.
    let other = with(body.clone(), json!({"summary": "另一次走访"}));
    app.call(Method::POST, "/v1/visits", Some(t), Some(other), &key).await.problem(422, "VALIDATION_FAILED");
    app.call(Method::POST, "/v1/visits", Some(&s.w.county_admin), Some(body.clone()), &key).await.expect(201);
    assert_eq!(list(&app, t, "").await.len(), 2);

    // A phone's own id is kept; sending it again (even after deletion) is 409.
    let own = uuid::Uuid::now_v7().to_string();
    let r = app.post("/v1/visits", t, with(body.clone(), json!({"id": own}))).await.expect(201);
    assert_eq!(r.id(), own);
    assert_eq!(r.header("location"), Some(path(&own)));
    app.post("/v1/visits", t, with(body.clone(), json!({"id": own}))).await.problem(409, "ALREADY_EXISTS");
    app.delete(&path(&own), t).await.expect(204);
    app.post("/v1/visits", t, with(body.clone(), json!({"id": own}))).await.problem(409, "ALREADY_EXISTS");
    let v4 = "0b6f1d8e-6c4e-4d1a-9b1e-3f2a1c0d9e8f";
    assert_eq!(pointers(app.post("/v1/visits", t, with(body, json!({"id": v4}))).await), vec!["/id".to_owned()]);
    assert_eq!(list(&app, t, "").await.len(), 2);
});

/// A service token of `org` with `scopes`, created by `admin`.
async fn service_token(app: &TestApp, admin: &str, org: &str, scopes: &[&str]) -> String {
    let r = app
        .post("/v1/service-accounts", admin, json!({"organization_id": org, "name": "走访接口", "scopes": scopes}))
        .await
        .expect(201);
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        r.body["client_id"].as_str().unwrap(),
        r.body["client_secret"].as_str().unwrap()
    );
    let res = app
        .client
        .post(format!("{}/v1/auth/token", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    TestApp::read(res).await.expect(200).body["access_token"].as_str().unwrap().to_owned()
}

both!(partner_systems_act_with_their_scopes, |app| async move {
    let s = setup(&app).await;
    let w = &s.w;
    let reader = service_token(&app, &w.county_admin, &w.county, &["visits:read"]).await;
    let writer = service_token(&app, &w.county_admin, &w.county, &["visits:read", "visits:write"]).await;
    let other = service_token(&app, &w.county_admin, &w.county, &["projects:read"]).await;
    let body = with(minimal(&s.e1, "2026-03-05T02:00:00Z"), json!({"participants": [s.colleague_id]}));
    let made = app.post("/v1/visits", &writer, body.clone()).await.expect(201);
    assert_eq!(made.body["owner_organization_id"], w.county.as_str());
    let id = made.id();
    app.patch(&path(&id), &writer, json!({"summary": "接口更新"})).await.expect(200);
    // Read scope reads only; no visit scope reads nothing.
    app.get(&path(&id), &reader).await.expect(200);
    assert_eq!(list(&app, &reader, "").await, vec![id.clone()]);
    app.post("/v1/visits", &reader, body.clone()).await.problem(403, "FORBIDDEN");
    app.patch(&path(&id), &reader, json!({"summary": "x"})).await.problem(403, "FORBIDDEN");
    app.delete(&path(&id), &reader).await.problem(403, "FORBIDDEN");
    app.get(&path(&id), &other).await.problem(403, "FORBIDDEN");
    app.get("/v1/visits", &other).await.problem(403, "FORBIDDEN");
    // A superior's system reads the county's visit but does not write it.
    let pref = service_token(&app, &w.prefecture_admin, &w.prefecture, &["visits:read", "visits:write"]).await;
    app.get(&path(&id), &pref).await.expect(200);
    app.patch(&path(&id), &pref, json!({"summary": "x"})).await.problem(403, "FORBIDDEN");
    let v = read(&app, &id).await;
    assert_eq!((v["version"].as_i64(), v["summary"].as_str()), (Some(2), Some("接口更新")));
});

both!(a_visit_raises_tickets_in_the_same_request, |app| async move {
    let w = app.world().await;
    let e = enterprise(&app, &w.county_officer, "大地企业园入驻企业").await;
    let body = json!({
        "direction": "outbound",
        "purpose": "visit",
        "enterprise_id": e,
        "visited_at": "2026-11-20T02:00:00Z",
        "summary": "走访企业，收集问题",
        "tickets": [
            {"title": "新产品认证进度慢", "category": "permits", "priority": "high", "reporter_phone": "13812341234"},
            {"title": "厂房用电扩容", "category": "land_utilities"}
        ]
    });
    let created = app.post("/v1/visits", &w.county_officer, body).await.expect(201);
    let visit_id = created.id();
    let ids = created.body["raised_ticket_ids"].as_array().unwrap().clone();
    assert_eq!(ids.len(), 2);
    for (id, title) in ids.iter().zip(["新产品认证进度慢", "厂房用电扩容"]) {
        let t = app.get(&format!("/v1/tickets/{}", id.as_str().unwrap()), &w.county_officer).await.expect(200);
        assert_eq!(t.body["title"], title);
        assert_eq!(t.body["source"], "visit");
        assert_eq!(t.body["visit_id"], visit_id.as_str());
        assert_eq!(t.body["enterprise_id"], e.as_str());
        assert_eq!(t.body["owner_organization_id"], w.county.as_str());
    }
    // A bad ticket refuses the whole request, naming the ticket's field; nothing is created.
    let bad = json!({
        "direction": "outbound",
        "purpose": "visit",
        "enterprise_id": e,
        "visited_at": "2026-11-21T02:00:00Z",
        "tickets": [{"title": "", "category": "permits"}]
    });
    let r = app.post("/v1/visits", &w.county_officer, bad).await.problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["errors"][0]["pointer"], "/tickets/0/title");
    let visits = app.get("/v1/visits", &w.county_officer).await.expect(200);
    assert_eq!(visits.body["items"].as_array().unwrap().len(), 1);
    let tickets = app.get("/v1/tickets", &w.county_officer).await.expect(200);
    assert_eq!(tickets.body["items"].as_array().unwrap().len(), 2);
});

async fn late_entry_threshold_is_a_setting(backend: crate::support::Backend) {
    let settings = crate::support::Settings { late_entry_hours: 1, ..crate::support::Settings::default() };
    let app = TestApp::spawn_with(backend, settings).await;
    let w = app.world().await;
    let e = enterprise(&app, &w.county_officer, "设置测试企业").await;
    let body = |visited: &str| {
        json!({"direction": "outbound", "purpose": "visit", "enterprise_id": e, "visited_at": visited,
               "recorded_at": "2026-03-05T00:00:00Z"})
    };
    // Two hours after the phone's clock: late with a one-hour threshold (not with the default 24 h).
    let r = app.post("/v1/visits", &w.county_officer, body("2026-03-05T02:00:00Z")).await.expect(201);
    assert_eq!(r.body["late_entry"], true);
    assert_eq!(r.body["visited_at"], "2026-03-05T02:00:00Z");
    let r = app.post("/v1/visits", &w.county_officer, body("2026-03-05T00:30:00Z")).await.expect(201);
    assert_eq!(r.body["late_entry"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_entry_threshold_is_a_setting_sqlite() {
    late_entry_threshold_is_a_setting(crate::support::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_entry_threshold_is_a_setting_postgres() {
    late_entry_threshold_is_a_setting(crate::support::Backend::Postgres).await;
}
