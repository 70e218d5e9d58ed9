//! Projects (招商项目): every field round-trips, each list filter and order, keyset paging over
//! more than 120 projects, the stage machine (every legal and illegal move, date rules, the
//! history), the visibility matrix (owner, superior, subordinate, alliance partner with and
//! without a share, stranger), sharing, soft delete with tombstones, If-Match and idempotency.

use chrono::{Duration, NaiveDate, Utc};
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{Resp, TestApp, World};

const LEAD_ON: &str = "2025-01-02";
const UNKNOWN: &str = "01936f3e-0000-7000-8000-00000000dead";
const STAGES: [&str; 8] =
    ["lead", "negotiating", "signed", "landed", "under_construction", "in_production", "at_capacity", "dropped"];

fn path(id: &str) -> String {
    format!("/v1/projects/{id}")
}

/// Today in Asia/Shanghai, the time zone of every test organization.
fn today() -> NaiveDate {
    (Utc::now() + Duration::hours(8)).date_naive()
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn date_of(v: &Value) -> NaiveDate {
    day(v.as_str().unwrap_or_else(|| panic!("not a date: {v}")))
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

/// The smallest project body, registered as a lead on `LEAD_ON`.
fn minimal(name: &str) -> Value {
    json!({"name": name, "category": "industrial", "lead_on": LEAD_ON})
}

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    app.post("/v1/projects", token, body).await.expect(201).body
}

async fn create_id(app: &TestApp, token: &str, body: Value) -> String {
    create(app, token, body).await["id"].as_str().unwrap().to_owned()
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_owned()
}

async fn transition(app: &TestApp, token: &str, id: &str, body: Value) -> Resp {
    app.post(&format!("/v1/projects/{id}/transitions"), token, body).await
}

async fn move_to(app: &TestApp, token: &str, id: &str, stage: &str, on: &str) -> Resp {
    transition(app, token, id, json!({"to_stage": stage, "effective_on": on})).await
}

/// The project as the platform operator reads it.
async fn read(app: &TestApp, id: &str) -> Value {
    app.get(&path(id), &app.admin_token).await.expect(200).body
}

async fn version_of(app: &TestApp, id: &str) -> i64 {
    read(app, id).await["version"].as_i64().unwrap()
}

/// The stage history as (from, to, effective_on).
async fn history(app: &TestApp, id: &str) -> Vec<(String, String, String)> {
    let r = app.get(&format!("/v1/projects/{id}/transitions"), &app.admin_token).await.expect(200);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["from_stage"].as_str().unwrap().to_owned(),
                t["to_stage"].as_str().unwrap().to_owned(),
                t["effective_on"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn hist(entries: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    entries.iter().map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned())).collect()
}

/// The ids of a list page, in the order returned.
fn page_ids(r: &Resp) -> Vec<String> {
    r.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {}", r.text))
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn list(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    page_ids(&app.get(&format!("/v1/projects?{query}"), token).await.expect(200))
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Follows `next_page_token` to the end; returns every item in order and the number of pages.
async fn walk(app: &TestApp, token: &str, query: &str, page_size: usize) -> (Vec<Value>, usize) {
    let mut items = vec![];
    let mut pages = 0;
    let mut next: Option<String> = None;
    loop {
        let mut q = format!("/v1/projects?page_size={page_size}");
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

fn ids_of(items: &[Value]) -> Vec<String> {
    items.iter().map(id_of).collect()
}

/// Founds an alliance as `founder_admin` and makes `member` an active member.
async fn alliance_with(app: &TestApp, founder_admin: &str, name: &str, member: &str, member_admin: &str) -> String {
    let id = app.post("/v1/alliances", founder_admin, json!({"name": name})).await.expect(201).id();
    app.post(&format!("/v1/alliances/{id}/members"), founder_admin, json!({"organization_id": member}))
        .await
        .expect(200);
    app.post(&format!("/v1/alliances/{id}/members/{member}/accept"), member_admin, json!({})).await.expect(200);
    id
}

fn share_path(id: &str, alliance: &str) -> String {
    format!("/v1/projects/{id}/shares/{alliance}")
}

/// The pointers of a 422, sorted.
fn pointers(r: Resp) -> Vec<String> {
    let r = r.problem(422, "VALIDATION_FAILED");
    let mut v: Vec<String> =
        r.body["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap().to_owned()).collect();
    v.sort();
    v
}

// ---------------------------------------------------------------------------------------------
// Round trip

both!(every_field_round_trips_through_create_read_and_update, |app| async move {
    let w = app.world().await;
    let (leader, _) = app.user(&w.county, "rl.leader", "leader").await;
    let (liaison, _) = app.user(&w.county, "rl.liaison", "officer").await;
    let sent = json!({
        "name": "麦格纳座椅（中国）研发中心项目",
        "category": "science_technology",
        "industry": "C",
        "chain_tags": ["8+4", "汽车"],
        "investment_type": "expansion",
        "contract_amount_minor": 2_000_000_000i64,
        "contract_currency": "USD",
        "contract_cny_minor": 14_400_000_000i64,
        "fixed_asset_cny_minor": 12_000_000_000i64,
        "expected_jobs": 800,
        "origin_country": "CA",
        "origin_region_code": null,
        "foreign_investment": true,
        "leader_user_id": leader,
        "team": [{"user_id": leader, "role": "专班组长"}, {"user_id": liaison, "role": "联络员"}],
        "plan": "一企一策\n分三期建设",
        "milestones": [
            {"title": "完成选址", "due_on": "2025-03-31", "done_on": "2025-03-20"},
            {"title": "签订投资协议", "due_on": "2025-06-30", "done_on": null}
        ],
        "expected_signing_on": "2025-06-30",
        "expected_start_on": "2025-09-01",
        "expected_production_on": "2026-12-31",
        "description": "西洽会期间签约落户两江新区",
        "lead_on": "2025-01-10"
    });
    let r = app.post("/v1/projects", &w.county_officer, sent.clone()).await.expect(201);
    let id = r.id();
    assert_eq!(r.header("location"), Some(path(&id)));
    assert_eq!(r.header("etag").as_deref(), Some("\"1\""));
    let created = r.body;
    for (k, v) in sent.as_object().unwrap() {
        if k != "lead_on" {
            assert_eq!(&created[k], v, "field {k} did not round-trip: {created}");
        }
    }
    // Server-owned fields: owner defaults to the caller's organization; a new project is a lead
    // since its lead date.
    assert_eq!(created["owner_organization_id"], w.county.as_str());
    assert_eq!(created["enterprise_id"], Value::Null);
    assert_eq!(created["stage"], "lead");
    assert_eq!(created["stage_since"], "2025-01-10");
    // The lead date is kept (so "days from lead to signing" is one subtraction); no other stage yet.
    assert_eq!(created["stage_dates"]["lead_on"], "2025-01-10");
    for (k, d) in created["stage_dates"].as_object().unwrap() {
        if k != "lead_on" {
            assert_eq!(d, &Value::Null, "{k}");
        }
    }
    assert_eq!(created["stage_dates"].as_object().unwrap().len(), 8);
    assert_eq!(created["drop_reason"], Value::Null);
    assert_eq!(created["funds_arrived_cny_minor"], 0);
    assert_eq!(created["shared_with"], json!([]));
    assert_eq!(created["version"], 1);
    assert_eq!(created["created_at"], created["updated_at"]);

    // GET answers exactly what create answered, with the ETag; If-None-Match gives 304.
    let got = app.get(&path(&id), &w.county_officer).await.expect(200);
    assert_eq!(got.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(got.body, created);
    let r = app.call(Method::GET, &path(&id), Some(&w.county_officer), None, &[("if-none-match", "\"1\"")]).await;
    assert_eq!(r.status.as_u16(), 304);
    // ... and the list shows the same project.
    let listed = app.get("/v1/projects", &w.county_officer).await.expect(200);
    assert_eq!(listed.body["items"], json!([created.clone()]));

    // Defaults of the smallest body.
    let small = create(&app, &w.county_officer, json!({"name": "中瑞双语学校", "category": "modern_services"})).await;
    assert_eq!(small["investment_type"], "new");
    assert_eq!(small["contract_amount_minor"], 0);
    assert_eq!(small["contract_currency"], "CNY");
    assert_eq!(small["contract_cny_minor"], 0);
    assert_eq!(small["origin_country"], "CN");
    assert_eq!(small["foreign_investment"], false);
    assert_eq!(small["chain_tags"], json!([]));
    assert_eq!(small["team"], json!([]));
    assert_eq!(small["milestones"], json!([]));
    assert_eq!(small["plan"], "");
    assert_eq!(small["stage_since"], today().to_string());
    // A CNY amount is its own CNY equivalent.
    let cny = create(
        &app,
        &w.county_officer,
        json!({"name": "海滨热电联产", "category": "urban_construction", "contract_amount_minor": 600_000_000_000i64,
               "origin_region_code": "510703"}),
    )
    .await;
    assert_eq!(cny["contract_cny_minor"], 600_000_000_000i64);
    assert_eq!(cny["origin_region_code"], "510703");

    // Merge patch: given fields change, null clears, lists are replaced whole, the rest stays.
    let patch = json!({
        "name": "麦格纳座椅研发中心（二期）",
        "industry": null,
        "chain_tags": ["研发"],
        "contract_amount_minor": 150_000_000_000i64,
        "contract_currency": "CNY",
        "fixed_asset_cny_minor": null,
        "expected_jobs": 900,
        "origin_country": "CN",
        "origin_region_code": "500112",
        "foreign_investment": false,
        "leader_user_id": null,
        "team": [{"user_id": liaison, "role": "组长"}],
        "milestones": [{"title": "开工", "due_on": "2025-10-01", "done_on": null}],
        "expected_start_on": null,
        "description": "二期"
    });
    let r = app
        .call(Method::PATCH, &path(&id), Some(&w.county_officer), Some(patch.clone()), &[("if-match", "\"1\"")])
        .await
        .expect(200);
    assert_eq!(r.header("etag").as_deref(), Some("\"2\""));
    let updated = r.body;
    for (k, v) in patch.as_object().unwrap() {
        assert_eq!(&updated[k], v, "patched field {k}: {updated}");
    }
    assert_eq!(updated["contract_cny_minor"], 150_000_000_000i64);
    for k in ["category", "investment_type", "plan", "expected_signing_on", "expected_production_on", "created_at"] {
        assert_eq!(updated[k], created[k], "untouched field {k} changed");
    }
    assert_eq!(updated["version"], 2);
    assert_eq!(app.get(&path(&id), &w.county_officer).await.expect(200).body, updated);

    // A foreign amount keeps its CNY equivalent while neither amount nor currency changes, and
    // needs a new one when they do.
    let usd = create(
        &app,
        &w.county_officer,
        json!({"name": "Niuwei Garments", "category": "industrial", "contract_amount_minor": 500_000_000i64,
               "contract_currency": "USD", "contract_cny_minor": 3_600_000_000i64, "origin_country": "MM"}),
    )
    .await;
    let usd_id = id_of(&usd);
    let r = app.patch(&path(&usd_id), &w.county_officer, json!({"description": "德宏纺织"})).await.expect(200);
    assert_eq!(r.body["contract_cny_minor"], 3_600_000_000i64);
    let r = app.patch(&path(&usd_id), &w.county_officer, json!({"contract_amount_minor": 600_000_000i64})).await;
    assert_eq!(pointers(r), vec!["/contract_cny_minor"]);
    let r = app
        .patch(
            &path(&usd_id),
            &w.county_officer,
            json!({"contract_amount_minor": 600_000_000i64, "contract_cny_minor": 4_300_000_000i64}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["contract_amount_minor"], 600_000_000i64);
    assert_eq!(r.body["contract_cny_minor"], 4_300_000_000i64);
    assert_eq!(r.body["contract_currency"], "USD");
});

both!(validation_names_every_failing_field, |app| async move {
    let w = app.world().await;
    let t = &w.county_officer;
    let post = |body: Value| app.post("/v1/projects", t, body);
    let with = |extra: Value| {
        let mut b = minimal("瑞丽项目");
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    // A foreign currency needs the CNY equivalent; a CNY amount is its own.
    assert_eq!(
        pointers(post(with(json!({"contract_amount_minor": 100, "contract_currency": "USD"}))).await),
        vec!["/contract_cny_minor"]
    );
    assert_eq!(
        pointers(post(with(json!({"contract_amount_minor": 100, "contract_cny_minor": 99}))).await),
        vec!["/contract_cny_minor"]
    );
    assert_eq!(
        pointers(post(with(json!({"contract_currency": "usd", "contract_cny_minor": 1}))).await),
        vec!["/contract_currency"]
    );
    assert_eq!(pointers(post(with(json!({"contract_amount_minor": -1}))).await), vec!["/contract_amount_minor"]);
    // Region codes: malformed, unknown province, county without prefecture, non-CN origin.
    for bad in ["12345", "990000", "530001", "53310a"] {
        assert_eq!(
            pointers(post(with(json!({"origin_region_code": bad}))).await),
            vec!["/origin_region_code"],
            "{bad}"
        );
    }
    assert_eq!(
        pointers(post(with(json!({"origin_country": "US", "origin_region_code": "533102"}))).await),
        vec!["/origin_region_code"]
    );
    assert_eq!(pointers(post(with(json!({"origin_country": "XX"}))).await), vec!["/origin_country"]);
    // Names and tags.
    assert_eq!(pointers(post(with(json!({"name": ""}))).await), vec!["/name"]);
    assert_eq!(pointers(post(with(json!({"name": "  "}))).await), vec!["/name"]);
    assert_eq!(pointers(post(with(json!({"name": "项".repeat(201)}))).await), vec!["/name"]);
    assert_eq!(pointers(post(with(json!({"chain_tags": [" "]}))).await), vec!["/chain_tags/0"]);
    assert_eq!(pointers(post(with(json!({"chain_tags": ["电子信息", "标".repeat(41)]}))).await), vec!["/chain_tags/1"]);
    let many: Vec<String> = (0..21).map(|i| format!("tag{i}")).collect();
    assert_eq!(pointers(post(with(json!({"chain_tags": many}))).await), vec!["/chain_tags"]);
    // Numbers.
    assert_eq!(pointers(post(with(json!({"expected_jobs": -1}))).await), vec!["/expected_jobs"]);
    assert_eq!(pointers(post(with(json!({"fixed_asset_cny_minor": -5}))).await), vec!["/fixed_asset_cny_minor"]);
    // Dates that do not exist, and a lead date in the future.
    assert_eq!(pointers(post(with(json!({"expected_signing_on": "2025-02-30"}))).await), vec!["/expected_signing_on"]);
    assert_eq!(
        pointers(post(with(json!({"milestones": [{"title": "选址", "due_on": "2025-02-30"}]}))).await),
        vec!["/milestones/0/due_on"]
    );
    assert_eq!(
        pointers(post(with(json!({"milestones": [{"title": " ", "due_on": "2025-02-28"}]}))).await),
        vec!["/milestones/0/title"]
    );
    let tomorrow = (today() + Duration::days(2)).to_string();
    assert_eq!(pointers(post(with(json!({"lead_on": tomorrow}))).await), vec!["/lead_on"]);
    // Enumerations, the team, ids, server-owned fields, unknown fields.
    assert_eq!(pointers(post(with(json!({"category": "mining"}))).await), vec!["/category"]);
    assert_eq!(pointers(post(with(json!({"industry": "Z"}))).await), vec!["/industry"]);
    let (member, _) = app.user(&w.county, "rl.member", "officer").await;
    assert_eq!(
        pointers(
            post(with(json!({"team": [{"user_id": member, "role": "组长"}, {"user_id": member, "role": "联络员"}]})))
                .await
        ),
        vec!["/team/1/user_id"]
    );
    assert_eq!(pointers(post(with(json!({"team": [{"user_id": member, "role": ""}]}))).await), vec!["/team/0/role"]);
    assert_eq!(pointers(post(with(json!({"id": "not-a-uuid"}))).await), vec!["/id"]);
    assert_eq!(pointers(post(with(json!({"stage": "signed"}))).await), vec!["/stage"]);
    assert_eq!(pointers(post(with(json!({"nmae": "x"}))).await), vec!["/nmae"]);
    assert_eq!(pointers(post(json!({"category": "industrial"})).await), vec!["/name"]);
    // Every failing field at once.
    let r = post(json!({"name": "", "category": "industrial", "contract_amount_minor": 1, "contract_currency": "EUR",
                        "origin_region_code": "1", "chain_tags": ["ok", ""], "expected_jobs": 20_000_000}))
    .await;
    assert_eq!(
        pointers(r),
        vec!["/chain_tags/1", "/contract_cny_minor", "/expected_jobs", "/name", "/origin_region_code"]
    );
    // Nothing was created by any of them.
    assert_eq!(list(&app, &app.admin_token, "").await, Vec::<String>::new());

    // PATCH: the same rules, and server-owned fields are read-only.
    let id = create_id(&app, t, minimal("瑞丽项目")).await;
    for (patch, pointer) in [
        (json!({"stage": "signed"}), "/stage"),
        (json!({"version": 5}), "/version"),
        (json!({"owner_organization_id": w.prefecture}), "/owner_organization_id"),
        (json!({"stage_dates": {}}), "/stage_dates"),
        (json!({"contract_currency": "USD", "contract_amount_minor": 10}), "/contract_cny_minor"),
        (json!({"name": ""}), "/name"),
        (json!({"origin_region_code": "000000"}), "/origin_region_code"),
        (json!({"chain_tags": [""]}), "/chain_tags/0"),
        (json!({"expected_production_on": "2025-02-30"}), "/expected_production_on"),
    ] {
        assert_eq!(pointers(app.patch(&path(&id), t, patch.clone()).await), vec![pointer], "{patch}");
    }
    let p = read(&app, &id).await;
    assert_eq!(p["version"], 1);
    assert_eq!(p["name"], "瑞丽项目");

    // Transitions: dates that do not exist, unknown stages and reasons.
    let tr = |body: Value| transition(&app, t, &id, body);
    assert_eq!(pointers(tr(json!({"to_stage": "signed", "effective_on": "2025-02-30"})).await), vec!["/effective_on"]);
    assert_eq!(pointers(tr(json!({"to_stage": "won", "effective_on": "2025-02-28"})).await), vec!["/to_stage"]);
    assert_eq!(
        pointers(tr(json!({"to_stage": "dropped", "effective_on": "2025-02-28", "drop_reason": "bankrupt"})).await),
        vec!["/drop_reason"]
    );
    assert_eq!(pointers(tr(json!({"effective_on": "2025-02-28"})).await), vec!["/to_stage"]);
    assert_eq!(pointers(tr(json!({"to_stage": "signed"})).await), vec!["/effective_on"]);
    assert_eq!(version_of(&app, &id).await, 1);
    assert!(history(&app, &id).await.is_empty());
});

both!(references_must_exist_and_be_visible, |app| async move {
    let w = app.world().await;
    let (stranger_user, _) = app.user(&w.stranger, "my.officer", "officer").await;
    let (county_user, _) = app.user(&w.county, "rl.leader", "leader").await;
    let mut b = minimal("瑞丽项目");
    b["leader_user_id"] = json!(stranger_user);
    app.post("/v1/projects", &w.county_officer, b).await.problem(404, "NOT_FOUND");
    let mut b = minimal("瑞丽项目");
    b["team"] = json!([{"user_id": county_user, "role": "组长"}, {"user_id": UNKNOWN, "role": "联络员"}]);
    app.post("/v1/projects", &w.county_officer, b).await.problem(404, "NOT_FOUND");
    let mut b = minimal("瑞丽项目");
    b["enterprise_id"] = json!(UNKNOWN);
    app.post("/v1/projects", &w.county_officer, b).await.problem(404, "NOT_FOUND");
    assert_eq!(list(&app, &app.admin_token, "").await, Vec::<String>::new());
    let id = create_id(&app, &w.county_officer, minimal("瑞丽项目")).await;
    app.patch(&path(&id), &w.county_officer, json!({"leader_user_id": stranger_user})).await.problem(404, "NOT_FOUND");
    assert_eq!(version_of(&app, &id).await, 1);
    app.patch(&path(&id), &w.county_officer, json!({"leader_user_id": county_user})).await.expect(200);

    // A superior creates a subordinate's project led by one of its own leaders; the
    // subordinate's officers still edit the project without touching the leader.
    let (pref_leader, _) = app.user(&w.prefecture, "dh.leader", "leader").await;
    let mut b = minimal("州领导包抓项目");
    b["owner_organization_id"] = json!(w.county);
    b["leader_user_id"] = json!(pref_leader);
    b["team"] = json!([{"user_id": pref_leader, "role": "包抓领导"}]);
    let p = create(&app, &w.prefecture_admin, b).await;
    assert_eq!(p["owner_organization_id"], w.county.as_str());
    let r = app.patch(&path(&id_of(&p)), &w.county_officer, json!({"description": "推进中"})).await.expect(200);
    assert_eq!(r.body["leader_user_id"], pref_leader.as_str());
    assert_eq!(r.body["team"][0]["user_id"], pref_leader.as_str());
    move_to(&app, &w.county_officer, &id_of(&p), "negotiating", "2025-02-01").await.expect(200);
});

both!(who_may_create_for_which_organization, |app| async move {
    let w = app.world().await;
    let (_, county_viewer) = app.user(&w.county, "rl.viewer", "viewer").await;
    let (_, pref_officer) = app.user(&w.prefecture, "dh.officer", "officer").await;
    let (_, pref_leader) = app.user(&w.prefecture, "dh.leader", "leader").await;
    let for_org = |org: &str| {
        let mut b = minimal("项目");
        b["owner_organization_id"] = json!(org);
        b
    };
    // A viewer creates nothing; an officer of a superior only reads its subordinates.
    app.post("/v1/projects", &county_viewer, minimal("项目")).await.problem(403, "FORBIDDEN");
    app.post("/v1/projects", &pref_officer, for_org(&w.county)).await.problem(403, "FORBIDDEN");
    // A subordinate sees its superior but may not create for it; a stranger's is invisible.
    app.post("/v1/projects", &w.county_admin, for_org(&w.prefecture)).await.problem(403, "FORBIDDEN");
    app.post("/v1/projects", &w.county_admin, for_org(&w.stranger)).await.problem(404, "NOT_FOUND");
    app.post("/v1/projects", &w.county_admin, for_org(UNKNOWN)).await.problem(404, "NOT_FOUND");
    assert_eq!(list(&app, &app.admin_token, "").await, Vec::<String>::new());
    // Leaders and admins of a superior create for the subordinate, which owns the project.
    let p = create(&app, &pref_leader, for_org(&w.county)).await;
    assert_eq!(p["owner_organization_id"], w.county.as_str());
    let p = create(&app, &w.province_admin, for_org(&w.county)).await;
    assert_eq!(p["owner_organization_id"], w.county.as_str());
    let p = create(&app, &pref_officer, minimal("州项目")).await;
    assert_eq!(p["owner_organization_id"], w.prefecture.as_str());
    // The client's own id is kept; using it again (even after delete) is a conflict.
    let own = "01936f3e-4444-7000-8000-000000000001";
    let mut b = minimal("离线创建");
    b["id"] = json!(own);
    assert_eq!(id_of(&create(&app, &w.county_officer, b.clone()).await), own);
    app.post("/v1/projects", &w.county_officer, b.clone()).await.problem(409, "ALREADY_EXISTS");
    app.delete(&path(own), &w.county_officer).await.expect(204);
    app.post("/v1/projects", &w.county_officer, b).await.problem(409, "ALREADY_EXISTS");
});

// ---------------------------------------------------------------------------------------------
// Filters, orders, paging

both!(each_filter_selects_exactly_its_projects, |app| async move {
    let w = app.world().await;
    let (l1, _) = app.user(&w.county, "rl.leader", "leader").await;
    let (l2, _) = app.user(&w.prefecture, "dh.leader", "leader").await;
    let officer = &w.county_officer;
    // a: county, signed 2025-03-10; b: county, foreign, lead; c: prefecture, landed (signed
    // 2025-06-16); d: province, lead; e: county, negotiating.
    let a = create_id(
        &app,
        officer,
        json!({"name": "绵阳科技城电子信息产业园", "category": "industrial", "industry": "C", "chain_tags": ["电子信息", "8+4"],
               "contract_amount_minor": 50_000_000_000i64, "origin_region_code": "510703", "leader_user_id": l1,
               "lead_on": LEAD_ON}),
    )
    .await;
    let b = create_id(
        &app,
        officer,
        json!({"name": "Niuwei Garments 纺织项目", "category": "industrial", "industry": "C", "chain_tags": ["纺织"],
               "contract_amount_minor": 300_000_000i64, "contract_currency": "USD", "contract_cny_minor": 2_000_000_000i64,
               "origin_country": "MM", "foreign_investment": true, "lead_on": LEAD_ON}),
    )
    .await;
    let c = create_id(
        &app,
        &w.prefecture_admin,
        json!({"name": "海滨热电联产项目", "category": "urban_construction", "industry": "D", "chain_tags": ["能源"],
               "contract_amount_minor": 600_000_000_000i64, "origin_region_code": "530102", "leader_user_id": l2,
               "lead_on": LEAD_ON}),
    )
    .await;
    let d = create_id(
        &app,
        &w.province_admin,
        json!({"name": "中瑞双语学校", "category": "modern_services", "industry": "P", "lead_on": LEAD_ON}),
    )
    .await;
    let e = create_id(
        &app,
        officer,
        json!({"name": "石狮储能电站", "category": "industrial", "industry": "D", "chain_tags": ["能源", "8+4"],
               "contract_amount_minor": 200_000_000_000i64, "origin_region_code": "350581", "lead_on": LEAD_ON}),
    )
    .await;
    move_to(&app, officer, &a, "signed", "2025-03-10").await.expect(200);
    move_to(&app, &w.prefecture_admin, &c, "landed", "2025-06-16").await.expect(200);
    move_to(&app, officer, &e, "negotiating", "2025-04-01").await.expect(200);

    let admin = app.admin_token.clone();
    let check = |query: String, expected: Vec<&String>| {
        let app = &app;
        let admin = admin.clone();
        let want: Vec<String> = sorted(expected.into_iter().cloned().collect());
        async move {
            let got = sorted(list(app, &admin, &query).await);
            assert_eq!(got, want, "filter {query}");
        }
    };
    check(String::new(), vec![&a, &b, &c, &d, &e]).await;
    // Owner, with and without descendants.
    check(format!("owner_organization_id={}", w.prefecture), vec![&a, &b, &c, &e]).await;
    check(format!("owner_organization_id={}&include_descendants=false", w.prefecture), vec![&c]).await;
    check(format!("owner_organization_id={}", w.county), vec![&a, &b, &e]).await;
    check(format!("owner_organization_id={}&include_descendants=false", w.province), vec![&d]).await;
    // Stage, one or several.
    check("stage=lead".into(), vec![&b, &d]).await;
    check("stage=signed,landed".into(), vec![&a, &c]).await;
    check("stage=negotiating".into(), vec![&e]).await;
    check("stage=at_capacity".into(), vec![]).await;
    // Category, industry section, chain tag.
    check("category=industrial".into(), vec![&a, &b, &e]).await;
    check("category=urban_construction".into(), vec![&c]).await;
    check("industry=D".into(), vec![&c, &e]).await;
    check("industry=P".into(), vec![&d]).await;
    check(format!("chain_tag={}", enc("8+4")), vec![&a, &e]).await;
    check(format!("chain_tag={}", enc("能源")), vec![&c, &e]).await;
    check(format!("chain_tag={}", enc("能")), vec![]).await;
    // Amount range in CNY (bounds included; the USD project counts by its CNY equivalent).
    check("min_amount_cny_minor=200000000000".into(), vec![&c, &e]).await;
    check("max_amount_cny_minor=2000000000".into(), vec![&b, &d]).await;
    check("min_amount_cny_minor=2000000000&max_amount_cny_minor=50000000000".into(), vec![&a, &b]).await;
    check("min_amount_cny_minor=300000000&max_amount_cny_minor=300000000".into(), vec![]).await;
    // Signed date range (bounds included).
    check("signed_from=2025-03-10&signed_to=2025-06-15".into(), vec![&a]).await;
    check("signed_from=2025-03-11".into(), vec![&c]).await;
    check("signed_to=2025-06-16".into(), vec![&a, &c]).await;
    check("signed_to=2025-03-09".into(), vec![]).await;
    // Leader.
    check(format!("leader_user_id={l1}"), vec![&a]).await;
    check(format!("leader_user_id={l2}"), vec![&c]).await;
    // Foreign investment and origin.
    check("foreign_investment=true".into(), vec![&b]).await;
    check("foreign_investment=false".into(), vec![&a, &c, &d, &e]).await;
    check("origin_country=MM".into(), vec![&b]).await;
    check("origin_country=CN".into(), vec![&a, &c, &d, &e]).await;
    // Origin region: a province or prefecture code covers the regions under it.
    check("origin_region_code=510000".into(), vec![&a]).await;
    check("origin_region_code=510700".into(), vec![&a]).await;
    check("origin_region_code=510703".into(), vec![&a]).await;
    check("origin_region_code=510704".into(), vec![]).await;
    check("origin_region_code=530000".into(), vec![&c]).await;
    check("origin_region_code=350500".into(), vec![&e]).await;
    check("origin_region_code=350000".into(), vec![&e]).await;
    check("origin_region_code=520000".into(), vec![]).await;
    // Name substring: Chinese, traditional characters, any case.
    check(format!("q={}", enc("绵阳")), vec![&a]).await;
    check(format!("q={}", enc("綿陽")), vec![&a]).await;
    check(format!("q={}", enc("儲能")), vec![&e]).await;
    check("q=NIUWEI".into(), vec![&b]).await;
    check(format!("q={}", enc("项目")), vec![&b, &c]).await;
    check(format!("q={}", enc("不存在")), vec![]).await;
    // Filters combine.
    check(format!("category=industrial&stage=lead,negotiating&owner_organization_id={}", w.county), vec![&b, &e]).await;
    // updated_since: only what changed at or after the instant.
    let changed = app.patch(&path(&d), &w.province_admin, json!({"description": "跟踪中"})).await.expect(200);
    let since = changed.body["updated_at"].as_str().unwrap().to_owned();
    check(format!("updated_since={}", enc(&since)), vec![&d]).await;
    let r = move_to(&app, officer, &b, "negotiating", "2025-02-01").await.expect(200);
    check(format!("updated_since={}", enc(&since)), vec![&b, &d]).await;
    let later = r.body["updated_at"].as_str().unwrap().to_owned();
    check(format!("updated_since={}&stage=negotiating", enc(&later)), vec![&b]).await;
    // Filters never widen visibility: the county does not see its superiors' projects.
    let mine = sorted(list(&app, officer, &format!("owner_organization_id={}", w.province)).await);
    assert_eq!(mine, sorted(vec![a.clone(), b.clone(), e.clone()]));
    assert_eq!(
        list(&app, &w.stranger_admin, &format!("owner_organization_id={}", w.county)).await,
        Vec::<String>::new()
    );
    // Bad filter values are 400.
    for bad in ["stage=won", "category=mining", "signed_from=2025-02-30", "min_amount_cny_minor=x", "colour=red"] {
        let r = app.get(&format!("/v1/projects?{bad}"), &admin).await;
        assert_eq!(r.status.as_u16(), 400, "{bad}: {}", r.text);
    }
});

both!(each_order_sorts_both_ways_with_ties_broken_by_id, |app| async move {
    let w = app.world().await;
    let t = &w.county_officer;
    let mk = |name: &str, amount: i64| json!({"name": name, "category": "industrial", "contract_amount_minor": amount, "lead_on": LEAD_ON});
    let p1 = create_id(&app, t, mk("alpha", 300)).await;
    let p2 = create_id(&app, t, mk("Beta", 100)).await;
    let p3 = create_id(&app, t, mk("gamma", 300)).await;
    let p4 = create_id(&app, t, mk("Delta", 200)).await;
    let p5 = create_id(&app, t, mk("echo", 100)).await;
    move_to(&app, t, &p1, "signed", "2025-02-01").await.expect(200);
    move_to(&app, t, &p3, "landed", "2025-01-15").await.expect(200);
    move_to(&app, t, &p4, "signed", "2025-02-01").await.expect(200);
    app.patch(&path(&p2), t, json!({"description": "最后一次修改"})).await.expect(200);
    let all = [&p1, &p2, &p3, &p4, &p5];
    let by = |order: &[&String]| order.iter().map(|s| (*s).clone()).collect::<Vec<String>>();
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("id", by(&all)),
        // Ties on the amount break on id.
        ("contract_amount", by(&[&p2, &p5, &p4, &p1, &p3])),
        // The normalized name: case does not matter.
        ("name", by(&[&p1, &p2, &p4, &p5, &p3])),
        // Unsigned first, then by signing date, ties on id.
        ("signed_on", by(&[&p2, &p5, &p3, &p1, &p4])),
        // Order of last change.
        ("updated_at", by(&[&p5, &p1, &p3, &p4, &p2])),
    ];
    for (order, expected) in cases {
        assert_eq!(list(&app, t, &format!("order_by={order}")).await, expected, "order_by={order}");
        let mut reversed = expected.clone();
        reversed.reverse();
        assert_eq!(list(&app, t, &format!("order_by=-{order}")).await, reversed, "order_by=-{order}");
        // Pages of two follow the same order across ties.
        for (q, want) in [(order.to_owned(), expected), (format!("-{order}"), reversed)] {
            let (items, pages) = walk(&app, t, &format!("order_by={q}"), 2).await;
            assert_eq!(ids_of(&items), want, "paged order_by={q}");
            assert_eq!(pages, 3);
        }
    }
    // Amounts are compared as numbers, not text; signed dates are those shown.
    let amounts: Vec<i64> = app.get("/v1/projects?order_by=-contract_amount", t).await.expect(200).body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["contract_cny_minor"].as_i64().unwrap())
        .collect();
    assert_eq!(amounts, vec![300, 300, 200, 100, 100]);
    let r = app.get("/v1/projects?order_by=unknown", t).await;
    assert_eq!(r.status.as_u16(), 400, "{}", r.text);
});

both!(paging_through_125_projects_returns_each_exactly_once, |app| async move {
    let w = app.world().await;
    let t = &w.county_officer;
    let mut created = vec![];
    for i in 0..125i64 {
        let body = json!({
            "name": format!("项目{:03}", (i * 37) % 125),
            "category": "industrial",
            "contract_amount_minor": (i % 7) * 1_000_000,
            "lead_on": LEAD_ON,
        });
        created.push(create_id(&app, t, body).await);
    }
    // Some signed on a few shared dates, so signed_on has ties and unsigned projects.
    for (i, id) in created.iter().enumerate().filter(|(i, _)| i % 3 == 0) {
        let on = ["2025-03-01", "2025-04-01", "2025-05-01"][i % 9 / 3];
        move_to(&app, t, id, "signed", on).await.expect(200);
    }
    let expected = sorted(created.clone());
    let key = |p: &Value, order: &str| -> String {
        match order {
            "contract_amount" => format!("{:020}", p["contract_cny_minor"].as_i64().unwrap()),
            "name" => p["name"].as_str().unwrap().to_owned(),
            "signed_on" => p["stage_dates"]["signed_on"].as_str().unwrap_or("0000").to_owned(),
            "updated_at" => chrono::DateTime::parse_from_rfc3339(p["updated_at"].as_str().unwrap())
                .unwrap()
                .format("%Y%m%d%H%M%S%6f")
                .to_string(),
            _ => String::new(),
        }
    };
    for order in
        ["id", "-id", "contract_amount", "-contract_amount", "name", "-name", "signed_on", "-signed_on", "-updated_at"]
    {
        let (items, pages) = walk(&app, t, &format!("order_by={order}"), 50).await;
        assert_eq!(pages, 3, "order_by={order}");
        let ids = ids_of(&items);
        assert_eq!(ids.len(), 125, "order_by={order}");
        assert_eq!(sorted(ids.clone()), expected, "order_by={order}: duplicates or gaps");
        // Each page continues where the previous ended: the whole walk is in order.
        let desc = order.starts_with('-');
        let field = order.trim_start_matches('-');
        for pair in items.windows(2) {
            let a = (key(&pair[0], field), id_of(&pair[0]));
            let b = (key(&pair[1], field), id_of(&pair[1]));
            if desc {
                assert!(a > b, "order_by={order}: {a:?} before {b:?}");
            } else {
                assert!(a < b, "order_by={order}: {a:?} before {b:?}");
            }
        }
    }
    // With a filter too.
    let (items, _) = walk(&app, t, "stage=signed&order_by=-signed_on", 10).await;
    assert_eq!(items.len(), 42);
    assert!(items.iter().all(|p| p["stage"] == "signed"));

    // Paging rules: a size over 200 is refused, a token is bound to its list, order, filters
    // and caller.
    for bad in ["page_size=201", "page_size=0"] {
        app.get(&format!("/v1/projects?{bad}"), t).await.problem(400, "INVALID_PAGE_SIZE");
    }
    assert_eq!(list(&app, t, "page_size=200").await.len(), 125);
    let first = app.get("/v1/projects?page_size=50&order_by=name", t).await.expect(200);
    let token = first.body["next_page_token"].as_str().unwrap().to_owned();
    let with = |q: &str| format!("/v1/projects?page_size=50&{q}&page_token={}", enc(&token));
    app.get(&with("order_by=name"), t).await.expect(200);
    app.get(&with("order_by=-name"), t).await.problem(400, "INVALID_PAGE_TOKEN");
    app.get(&with("order_by=name&stage=lead"), t).await.problem(400, "INVALID_PAGE_TOKEN");
    app.get(&with("order_by=name"), &w.county_admin).await.problem(400, "INVALID_PAGE_TOKEN");
    let mut forged = token.clone();
    forged.insert(3, 'x');
    app.get(&format!("/v1/projects?page_size=50&order_by=name&page_token={}", enc(&forged)), t)
        .await
        .problem(400, "INVALID_PAGE_TOKEN");
});

// ---------------------------------------------------------------------------------------------
// Stage machine

fn rank(stage: &str) -> Option<usize> {
    if stage == "dropped" {
        None
    } else {
        STAGES.iter().position(|s| *s == stage)
    }
}

/// What moving from `from` to `to` answers, and how many stages it records.
fn expected_move(from: &str, to: &str, leader: bool) -> (u16, usize) {
    if from == to {
        return (409, 0);
    }
    if to == "dropped" {
        return if from == "at_capacity" { (409, 0) } else { (200, 1) };
    }
    if from == "dropped" {
        return if leader { (200, 1) } else { (403, 0) };
    }
    let (f, t) = (rank(from).unwrap(), rank(to).unwrap());
    if t > f {
        (200, t - f)
    } else if leader {
        (200, 1)
    } else {
        (403, 0)
    }
}

both!(every_legal_and_illegal_transition, |app| async move {
    let w = app.world().await;
    let (_, leader) = app.user(&w.county, "rl.leader", "leader").await;
    let officer = w.county_officer.clone();
    for from in STAGES {
        for (role, token) in [("officer", &officer), ("leader", &leader)] {
            for to in STAGES {
                let id = create_id(&app, &officer, minimal(&format!("{from}→{to} ({role})"))).await;
                match from {
                    "lead" => {}
                    "dropped" => {
                        transition(
                            &app,
                            &officer,
                            &id,
                            json!({"to_stage": "dropped", "effective_on": "2025-02-01", "drop_reason": "policy"}),
                        )
                        .await
                        .expect(200);
                    }
                    _ => {
                        move_to(&app, &officer, &id, from, "2025-02-01").await.expect(200);
                    }
                }
                let before = read(&app, &id).await;
                let hist_before = history(&app, &id).await;
                let mut body = json!({"to_stage": to, "effective_on": "2025-03-01", "reason": "调整", "note": "矩阵"});
                if to == "dropped" {
                    body["drop_reason"] = json!("investor_withdrew");
                }
                let r = transition(&app, token, &id, body).await;
                let (status, recorded) = expected_move(from, to, role == "leader");
                let what = format!("{from} → {to} as {role}");
                assert_eq!(r.status.as_u16(), status, "{what}: {}", r.text);
                let hist_after = history(&app, &id).await;
                match status {
                    200 => {
                        assert_eq!(r.body["stage"], to, "{what}");
                        assert_eq!(r.body["stage_since"], "2025-03-01", "{what}");
                        assert_eq!(r.body["version"], before["version"].as_i64().unwrap() + 1, "{what}");
                        assert_eq!(hist_after.len(), hist_before.len() + recorded, "{what}: {hist_after:?}");
                        let added = &hist_after[hist_before.len()..];
                        assert_eq!(added[0].0, from, "{what}");
                        assert_eq!(added.last().unwrap().1, to, "{what}");
                        assert!(added.iter().all(|e| e.2 == "2025-03-01"), "{what}: {added:?}");
                        for pair in added.windows(2) {
                            assert_eq!(pair[0].1, pair[1].0, "{what}: the history is not a chain: {added:?}");
                        }
                        let expected_drop = if to == "dropped" { json!("investor_withdrew") } else { Value::Null };
                        assert_eq!(r.body["drop_reason"], expected_drop, "{what}");
                        if to != "lead" {
                            assert_eq!(r.body["stage_dates"][format!("{to}_on")], "2025-03-01", "{what}");
                        }
                    }
                    409 => {
                        let r = r.problem(409, "ILLEGAL_TRANSITION");
                        assert!(r.body["detail"].as_str().unwrap().contains("allowed"), "{what}: {}", r.text);
                    }
                    _ => {
                        r.problem(403, "FORBIDDEN");
                    }
                }
                if status != 200 {
                    assert_eq!(read(&app, &id).await, before, "{what}: a refused move changed the project");
                    assert_eq!(hist_after, hist_before, "{what}: a refused move was recorded");
                }
            }
        }
    }
});

both!(forward_moves_record_skipped_stages_and_days_from_signing_to_production, |app| async move {
    let w = app.world().await;
    let t = &w.county_officer;
    let officer_id = app.get("/v1/me", t).await.expect(200).body["user"]["id"].as_str().unwrap().to_owned();
    let id =
        create_id(&app, t, json!({"name": "兴旺精密制造", "category": "industrial", "lead_on": "2025-01-10"})).await;
    let r =
        transition(&app, t, &id, json!({"to_stage": "signed", "effective_on": "2025-03-01", "note": "集中签约活动"}))
            .await
            .expect(200);
    assert_eq!(r.header("etag").as_deref(), Some("\"2\""));
    assert_eq!(r.body["stage"], "signed");
    assert_eq!(r.body["stage_since"], "2025-03-01");
    assert_eq!(r.body["stage_dates"]["negotiating_on"], "2025-03-01");
    assert_eq!(r.body["stage_dates"]["signed_on"], "2025-03-01");
    assert_eq!(r.body["stage_dates"]["landed_on"], Value::Null);
    // Signed to production in 57 days, skipping landed and under construction.
    let r = move_to(&app, t, &id, "in_production", "2025-04-27").await.expect(200);
    let dates = &r.body["stage_dates"];
    for s in ["landed_on", "under_construction_on", "in_production_on"] {
        assert_eq!(dates[s], "2025-04-27", "{s}");
    }
    assert_eq!(dates["at_capacity_on"], Value::Null);
    assert_eq!((date_of(&dates["in_production_on"]) - date_of(&dates["signed_on"])).num_days(), 57);
    assert_eq!(r.body["version"], 3);
    // The history has every stage, in order, each with its date, who and why.
    assert_eq!(
        history(&app, &id).await,
        hist(&[
            ("lead", "negotiating", "2025-03-01"),
            ("negotiating", "signed", "2025-03-01"),
            ("signed", "landed", "2025-04-27"),
            ("landed", "under_construction", "2025-04-27"),
            ("under_construction", "in_production", "2025-04-27"),
        ])
    );
    let h = app.get(&format!("/v1/projects/{id}/transitions"), t).await.expect(200);
    let first = &h.body["items"][0];
    assert_eq!(first["note"], "集中签约活动");
    assert_eq!(first["actor_id"], officer_id.as_str());
    assert_eq!(first["reason"], Value::Null);
    assert!(first["created_at"].is_string());
    // The same date as the current stage's is allowed.
    let r = move_to(&app, t, &id, "at_capacity", "2025-04-27").await.expect(200);
    assert_eq!(r.body["stage_dates"]["at_capacity_on"], "2025-04-27");
    assert_eq!(history(&app, &id).await.len(), 6);
    // The history and stage_dates agree.
    let p = read(&app, &id).await;
    for (_, to, on) in history(&app, &id).await {
        assert_eq!(p["stage_dates"][format!("{to}_on")], on.as_str(), "{to}");
    }
});

both!(transition_dates_cannot_precede_the_current_stage_or_lie_in_the_future, |app| async move {
    let w = app.world().await;
    let t = &w.county_officer;
    let id = create_id(&app, t, json!({"name": "德宏纺织", "category": "industrial", "lead_on": "2025-01-10"})).await;
    let code = |r: Resp| {
        let r = r.problem(422, "VALIDATION_FAILED");
        assert_eq!(r.body["errors"][0]["pointer"], "/effective_on");
        r.body["errors"][0]["code"].as_str().unwrap().to_owned()
    };
    // Before the lead was registered.
    assert_eq!(code(move_to(&app, t, &id, "negotiating", "2025-01-09").await), "before_previous");
    // In the future (the owner's today is the last allowed day).
    let future = (today() + Duration::days(2)).to_string();
    assert_eq!(code(move_to(&app, t, &id, "negotiating", &future).await), "future");
    assert_eq!(read(&app, &id).await["version"], 1);
    assert!(history(&app, &id).await.is_empty());
    move_to(&app, t, &id, "negotiating", "2025-01-10").await.expect(200);
    move_to(&app, t, &id, "signed", "2025-05-01").await.expect(200);
    // Not before the date of the current stage, by anyone, in any direction.
    let (_, leader) = app.user(&w.county, "rl.leader", "leader").await;
    assert_eq!(code(move_to(&app, t, &id, "landed", "2025-04-30").await), "before_previous");
    let back = json!({"to_stage": "negotiating", "effective_on": "2025-04-30", "reason": "合同重谈"});
    assert_eq!(code(transition(&app, &leader, &id, back).await), "before_previous");
    let drop = json!({"to_stage": "dropped", "effective_on": "2025-04-30", "drop_reason": "policy"});
    assert_eq!(code(transition(&app, t, &id, drop).await), "before_previous");
    assert_eq!(read(&app, &id).await["version"], 3);
    assert_eq!(history(&app, &id).await.len(), 2);
    // Today is allowed.
    let r = move_to(&app, t, &id, "landed", &today().to_string()).await.expect(200);
    assert_eq!(r.body["stage_since"], today().to_string());
    // A reopened project cannot be dated before it was dropped either.
    let id = create_id(&app, t, minimal("终止项目")).await;
    transition(&app, t, &id, json!({"to_stage": "dropped", "effective_on": "2025-06-01", "drop_reason": "other"}))
        .await
        .expect(200);
    let reopen = json!({"to_stage": "negotiating", "effective_on": "2025-05-31", "reason": "投资方回归"});
    assert_eq!(code(transition(&app, &leader, &id, reopen).await), "before_previous");
});

both!(backward_moves_drops_and_reopening, |app| async move {
    let w = app.world().await;
    let t = &w.county_officer;
    let (_, leader) = app.user(&w.county, "rl.leader", "leader").await;
    let (_, pref_leader) = app.user(&w.prefecture, "dh.leader", "leader").await;
    let id = create_id(&app, t, minimal("石狮储能电站")).await;
    move_to(&app, t, &id, "signed", "2025-03-01").await.expect(200);

    // Backward: an officer or an org admin may not; a leader needs a reason.
    let back = |reason: Option<&str>| {
        let mut b = json!({"to_stage": "negotiating", "effective_on": "2025-04-01"});
        if let Some(r) = reason {
            b["reason"] = json!(r);
        }
        b
    };
    transition(&app, t, &id, back(Some("合同重谈"))).await.problem(403, "FORBIDDEN");
    transition(&app, &w.county_admin, &id, back(Some("合同重谈"))).await.problem(403, "FORBIDDEN");
    let r = transition(&app, &leader, &id, back(None)).await.problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["errors"][0]["pointer"], "/reason");
    let r = transition(&app, &leader, &id, back(Some("  "))).await.problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["errors"][0]["pointer"], "/reason");
    assert_eq!(version_of(&app, &id).await, 2);
    let r = transition(&app, &leader, &id, back(Some("合同重谈"))).await.expect(200);
    assert_eq!(r.body["stage"], "negotiating");
    assert_eq!(r.body["stage_since"], "2025-04-01");
    assert_eq!(r.body["stage_dates"]["negotiating_on"], "2025-04-01");
    let h = app.get(&format!("/v1/projects/{id}/transitions"), t).await.expect(200);
    let last = h.body["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["from_stage"].as_str(), last["to_stage"].as_str()), (Some("signed"), Some("negotiating")));
    assert_eq!(last["reason"], "合同重谈");
    // A leader of a superior may move a subordinate's project backward too.
    move_to(&app, t, &id, "landed", "2025-05-01").await.expect(200);
    let r = transition(
        &app,
        &pref_leader,
        &id,
        json!({"to_stage": "signed", "effective_on": "2025-05-02", "reason": "用地未落实"}),
    )
    .await
    .expect(200);
    assert_eq!(r.body["stage"], "signed");

    // Same stage: 409 listing what is allowed.
    let r = move_to(&app, t, &id, "signed", "2025-06-01").await.problem(409, "ILLEGAL_TRANSITION");
    let detail = r.body["detail"].as_str().unwrap();
    assert!(detail.contains("landed, under_construction, in_production, at_capacity, dropped"), "{detail}");
    let r = move_to(&app, &leader, &id, "signed", "2025-06-01").await.problem(409, "ILLEGAL_TRANSITION");
    let detail = r.body["detail"].as_str().unwrap();
    assert!(detail.contains("lead, negotiating, landed"), "{detail}");

    // Dropping needs a drop reason; it is kept on the project and in the history.
    let r = move_to(&app, t, &id, "dropped", "2025-06-01").await.problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["errors"][0]["pointer"], "/drop_reason");
    let r = transition(
        &app,
        t,
        &id,
        json!({"to_stage": "dropped", "effective_on": "2025-06-01", "drop_reason": "lost_to_other_region", "note": "落户他地"}),
    )
    .await
    .expect(200);
    assert_eq!(r.body["stage"], "dropped");
    assert_eq!(r.body["drop_reason"], "lost_to_other_region");
    assert_eq!(r.body["stage_dates"]["dropped_on"], "2025-06-01");
    let h = app.get(&format!("/v1/projects/{id}/transitions"), t).await.expect(200);
    let last = h.body["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["drop_reason"], "lost_to_other_region");
    assert_eq!(last["note"], "落户他地");
    // Dropped again: 409; an officer sees that nothing is allowed to it.
    let again = json!({"to_stage": "dropped", "effective_on": "2025-06-02", "drop_reason": "policy"});
    let r = transition(&app, t, &id, again).await.problem(409, "ILLEGAL_TRANSITION");
    assert!(r.body["detail"].as_str().unwrap().contains("none"), "{}", r.text);
    // Reopening: a leader, with a reason.
    let reopen = |reason: Option<&str>| {
        let mut b = json!({"to_stage": "negotiating", "effective_on": "2025-07-01"});
        if let Some(r) = reason {
            b["reason"] = json!(r);
        }
        b
    };
    transition(&app, t, &id, reopen(Some("投资方回归"))).await.problem(403, "FORBIDDEN");
    let r = transition(&app, &leader, &id, reopen(None)).await.problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["errors"][0]["pointer"], "/reason");
    let v = version_of(&app, &id).await;
    let r = transition(&app, &leader, &id, reopen(Some("投资方回归"))).await.expect(200);
    assert_eq!(r.body["stage"], "negotiating");
    assert_eq!(r.body["drop_reason"], Value::Null);
    assert_eq!(r.body["version"], v + 1);
    assert_eq!(r.body["stage_dates"]["dropped_on"], "2025-06-01");

    // At capacity: nothing forward, not droppable; only a leader moves it back.
    let id = create_id(&app, t, minimal("达产项目")).await;
    move_to(&app, t, &id, "at_capacity", "2025-03-01").await.expect(200);
    assert_eq!(history(&app, &id).await.len(), 6);
    let drop = json!({"to_stage": "dropped", "effective_on": "2025-04-01", "drop_reason": "policy"});
    let r = transition(&app, t, &id, drop.clone()).await.problem(409, "ILLEGAL_TRANSITION");
    assert!(r.body["detail"].as_str().unwrap().contains("none"), "{}", r.text);
    transition(&app, &leader, &id, drop).await.problem(409, "ILLEGAL_TRANSITION");
    transition(&app, t, &id, json!({"to_stage": "in_production", "effective_on": "2025-04-01", "reason": "减产"}))
        .await
        .problem(403, "FORBIDDEN");
    assert_eq!(history(&app, &id).await.len(), 6);
});

both!(a_project_moved_back_before_signing_is_no_longer_signed, |app| async move {
    let w = app.world().await;
    let t = &w.county_officer;
    let (_, leader) = app.user(&w.county, "rl.leader", "leader").await;
    let kept = create_id(&app, t, minimal("已签约")).await;
    let back = create_id(&app, t, minimal("退回在谈")).await;
    let dropped = create_id(&app, t, minimal("签约后终止")).await;
    for id in [&kept, &back, &dropped] {
        move_to(&app, t, id, "signed", "2025-03-01").await.expect(200);
    }
    transition(
        &app,
        &leader,
        &back,
        json!({"to_stage": "negotiating", "effective_on": "2025-04-01", "reason": "重谈"}),
    )
    .await
    .expect(200);
    transition(
        &app,
        t,
        &dropped,
        json!({"to_stage": "dropped", "effective_on": "2025-04-01", "drop_reason": "policy"}),
    )
    .await
    .expect(200);
    // The signed-date filter and the signed-date order agree: only the project still signed
    // counts, and it sorts after the unsigned ones.
    assert_eq!(list(&app, t, "signed_from=2025-01-01&signed_to=2025-12-31").await, vec![kept.clone()]);
    assert_eq!(list(&app, t, "signed_to=2025-12-31").await, vec![kept.clone()]);
    assert_eq!(list(&app, t, "order_by=signed_on").await, vec![back.clone(), dropped.clone(), kept.clone()]);
    // Signed again, it counts from its new signing date.
    move_to(&app, t, &back, "signed", "2025-05-01").await.expect(200);
    assert_eq!(list(&app, t, "signed_from=2025-04-15").await, vec![back.clone()]);
    assert_eq!(list(&app, t, "order_by=-signed_on").await, vec![back.clone(), kept.clone(), dropped.clone()]);
});

// ---------------------------------------------------------------------------------------------
// Visibility matrix

struct Matrix {
    w: World,
    county_viewer: String,
    pref_officer: String,
    pref_leader: String,
    team_viewer: String,
    outsider_admin: String,
    alliance: String,
    /// Owned by the county.
    pc: String,
    /// Owned by the prefecture.
    pp: String,
}

/// The world, with a stationed team under the stranger, an outsider province, an alliance of
/// the county with the stranger (active), a county project and a prefecture project.
async fn matrix(app: &TestApp) -> Matrix {
    let w = app.world().await;
    let (_, county_viewer) = app.user(&w.county, "rl.viewer", "viewer").await;
    let (_, pref_officer) = app.user(&w.prefecture, "dh.officer", "officer").await;
    let (_, pref_leader) = app.user(&w.prefecture, "dh.leader", "leader").await;
    let team = app.org(Some(&w.stranger), "team", "SC-MY-T1").await;
    let (_, team_viewer) = app.user(&team, "my.team", "viewer").await;
    let outsider = app.org(None, "province", "GD").await;
    let (_, outsider_admin) = app.user(&outsider, "gd.admin", "org_admin").await;
    let alliance = alliance_with(app, &w.county_admin, "瑞丽边境园区党建联盟", &w.stranger, &w.stranger_admin).await;
    let pc = create_id(app, &w.county_officer, minimal("瑞丽园区项目")).await;
    let pp = create_id(app, &pref_officer, minimal("德宏州项目")).await;
    Matrix { w, county_viewer, pref_officer, pref_leader, team_viewer, outsider_admin, alliance, pc, pp }
}

/// Asserts the caller reads the project, its history, and finds it in the list.
async fn sees(app: &TestApp, token: &str, id: &str, who: &str) {
    let r = app.get(&path(id), token).await;
    assert_eq!(r.status.as_u16(), 200, "{who} should read {id}: {}", r.text);
    app.get(&format!("/v1/projects/{id}/transitions"), token).await.expect(200);
    assert!(list(app, token, "").await.contains(&id.to_owned()), "{who} should list {id}");
}

/// Asserts the caller gets exactly 404 for the project and its history, and does not list it.
async fn blind(app: &TestApp, token: &str, id: &str, who: &str) {
    let r = app.get(&path(id), token).await;
    assert_eq!(r.status.as_u16(), 404, "{who} must not read {id}: {}", r.text);
    r.problem(404, "NOT_FOUND");
    app.get(&format!("/v1/projects/{id}/transitions"), token).await.problem(404, "NOT_FOUND");
    assert!(!list(app, token, "").await.contains(&id.to_owned()), "{who} must not list {id}");
    assert!(!list(app, token, "include_deleted=true&order_by=updated_at").await.contains(&id.to_owned()));
}

both!(visibility_matrix_read_and_list, |app| async move {
    let m = matrix(&app).await;
    let w = &m.w;
    // The owner, its superiors, and the platform operator read the county's project.
    for (who, token) in [
        ("county officer", &w.county_officer),
        ("county viewer", &m.county_viewer),
        ("prefecture officer", &m.pref_officer),
        ("province admin", &w.province_admin),
        ("sysadmin", &app.admin_token),
    ] {
        sees(&app, token, &m.pc, who).await;
    }
    // A subordinate never sees its superior's project.
    sees(&app, &m.pref_officer, &m.pp, "prefecture officer").await;
    sees(&app, &w.province_admin, &m.pp, "province admin").await;
    blind(&app, &w.county_admin, &m.pp, "county admin").await;
    blind(&app, &w.county_officer, &m.pp, "county officer").await;
    // An alliance partner without a share, its team, and a stranger see nothing.
    blind(&app, &w.stranger_admin, &m.pc, "partner without share").await;
    blind(&app, &m.team_viewer, &m.pc, "partner's team without share").await;
    blind(&app, &m.outsider_admin, &m.pc, "stranger").await;
    app.get(&path(UNKNOWN), &w.county_officer).await.problem(404, "NOT_FOUND");

    // Shared: the partner and its stationed team read it; the stranger still sees nothing;
    // the partner's superior is no member and sees nothing either.
    let r = app.post(&share_path(&m.pc, &m.alliance), &w.county_officer, json!({})).await.expect(200);
    assert_eq!(r.body["shared_with"], json!([m.alliance]));
    sees(&app, &w.stranger_admin, &m.pc, "partner with share").await;
    sees(&app, &m.team_viewer, &m.pc, "partner's team with share").await;
    let seen = app.get(&path(&m.pc), &w.stranger_admin).await.expect(200);
    assert_eq!(seen.body["name"], "瑞丽园区项目");
    blind(&app, &m.outsider_admin, &m.pc, "stranger").await;
    // Only the shared project: the prefecture's stays hidden from the partner.
    blind(&app, &w.stranger_admin, &m.pp, "partner").await;
    assert_eq!(list(&app, &w.stranger_admin, "").await, vec![m.pc.clone()]);
    // A partner's own filters do not widen it.
    assert_eq!(
        list(&app, &w.stranger_admin, &format!("owner_organization_id={}", w.province)).await,
        vec![m.pc.clone()]
    );

    // Unshared: gone again at once.
    let r = app.delete(&share_path(&m.pc, &m.alliance), &w.county_officer).await.expect(200);
    assert_eq!(r.body["shared_with"], json!([]));
    blind(&app, &w.stranger_admin, &m.pc, "partner after unshare").await;
    blind(&app, &m.team_viewer, &m.pc, "partner's team after unshare").await;
});

both!(visibility_matrix_update_and_transition, |app| async move {
    let m = matrix(&app).await;
    let w = &m.w;
    let pc = path(&m.pc);
    app.post(&share_path(&m.pc, &m.alliance), &w.county_officer, json!({})).await.expect(200);
    let patch = json!({"description": "改"});

    // Update: the owner's officer succeeds first; then each other caller is refused and nothing
    // changes.
    let v = app.patch(&pc, &w.county_officer, json!({"description": "县级推进"})).await.expect(200).body["version"]
        .as_i64()
        .unwrap();
    for (who, token, status) in [
        ("county viewer", &m.county_viewer, 403),
        ("prefecture officer", &m.pref_officer, 403),
        ("partner with share", &w.stranger_admin, 403),
        ("partner's team", &m.team_viewer, 403),
        ("stranger", &m.outsider_admin, 404),
    ] {
        let r = app.patch(&pc, token, patch.clone()).await;
        assert_eq!(r.status.as_u16(), status, "{who}: {}", r.text);
        let p = read(&app, &m.pc).await;
        assert_eq!(p["version"], v, "{who} changed the project");
        assert_eq!(p["description"], "县级推进", "{who} changed the project");
    }
    // A superior's admin and leader act on the subordinate's project; it stays the county's.
    let r = app.patch(&pc, &w.prefecture_admin, json!({"description": "州级推进"})).await.expect(200);
    assert_eq!(r.body["owner_organization_id"], w.county.as_str());
    app.patch(&pc, &m.pref_leader, json!({"plan": "州领导包抓"})).await.expect(200);
    app.patch(&pc, &w.province_admin, json!({"expected_jobs": 100})).await.expect(200);
    // A subordinate may not touch its superior's project: it does not even see it.
    let vp = version_of(&app, &m.pp).await;
    app.patch(&path(&m.pp), &m.pref_officer, json!({"description": "州"})).await.expect(200);
    app.patch(&path(&m.pp), &w.county_admin, patch.clone()).await.problem(404, "NOT_FOUND");
    app.patch(&path(&m.pp), &w.stranger_admin, patch.clone()).await.problem(404, "NOT_FOUND");
    assert_eq!(version_of(&app, &m.pp).await, vp + 1);

    // Transition: the owner's officer succeeds first; then the same refusals.
    let r = move_to(&app, &w.county_officer, &m.pc, "negotiating", "2025-02-01").await.expect(200);
    let v = r.body["version"].as_i64().unwrap();
    let n = history(&app, &m.pc).await.len();
    for (who, token, status) in [
        ("county viewer", &m.county_viewer, 403),
        ("prefecture officer", &m.pref_officer, 403),
        ("partner with share", &w.stranger_admin, 403),
        ("stranger", &m.outsider_admin, 404),
    ] {
        let r = move_to(&app, token, &m.pc, "signed", "2025-03-01").await;
        assert_eq!(r.status.as_u16(), status, "{who}: {}", r.text);
        let p = read(&app, &m.pc).await;
        assert_eq!(p["version"], v, "{who} moved the project");
        assert_eq!(p["stage"], "negotiating", "{who} moved the project");
        assert_eq!(history(&app, &m.pc).await.len(), n, "{who} recorded a transition");
    }
    move_to(&app, &m.pref_leader, &m.pc, "signed", "2025-03-01").await.expect(200);
    move_to(&app, &w.province_admin, &m.pc, "landed", "2025-03-02").await.expect(200);
    move_to(&app, &m.pref_officer, &m.pp, "negotiating", "2025-02-01").await.expect(200);
    move_to(&app, &w.county_admin, &m.pp, "signed", "2025-03-01").await.problem(404, "NOT_FOUND");
    assert_eq!(read(&app, &m.pp).await["stage"], "negotiating");

    // Create: a partner sees the county's organization but never creates projects for it; an
    // outsider does not even see it.
    let mut b = minimal("伙伴代录");
    b["owner_organization_id"] = json!(w.county);
    app.post("/v1/projects", &w.stranger_admin, b.clone()).await.problem(403, "FORBIDDEN");
    app.post("/v1/projects", &m.outsider_admin, b).await.problem(404, "NOT_FOUND");
    assert_eq!(sorted(list(&app, &app.admin_token, "").await), sorted(vec![m.pc.clone(), m.pp.clone()]));
});

both!(visibility_matrix_delete_and_shares, |app| async move {
    let m = matrix(&app).await;
    let w = &m.w;
    let share = share_path(&m.pc, &m.alliance);

    // Share: the owner's officer succeeds first; then each other caller is refused.
    let r = app.post(&share, &w.county_officer, json!({})).await.expect(200);
    let v = r.body["version"].as_i64().unwrap();
    assert_eq!(v, 2, "sharing is a change partners syncing must notice");
    for (who, token, status) in [
        ("county viewer", &m.county_viewer, 403),
        ("prefecture officer", &m.pref_officer, 403),
        ("partner with share", &w.stranger_admin, 403),
        ("stranger", &m.outsider_admin, 404),
    ] {
        let r = app.post(&share, token, json!({})).await;
        assert_eq!(r.status.as_u16(), status, "share by {who}: {}", r.text);
        let r = app.delete(&share, token).await;
        assert_eq!(r.status.as_u16(), status, "unshare by {who}: {}", r.text);
        let p = read(&app, &m.pc).await;
        assert_eq!(p["version"], v, "{who} changed the shares");
        assert_eq!(p["shared_with"], json!([m.alliance]), "{who} changed the shares");
    }
    // Sharing again is harmless; a superior's admin may unshare and share its subordinate's.
    app.post(&share, &w.county_officer, json!({})).await.expect(200);
    let r = app.delete(&share, &w.prefecture_admin).await.expect(200);
    assert_eq!(r.body["shared_with"], json!([]));
    app.delete(&share, &w.county_officer).await.problem(404, "NOT_FOUND");
    app.post(&share, &w.province_admin, json!({})).await.expect(200);
    // A subordinate cannot share its superior's project: it does not see it.
    app.post(&share_path(&m.pp, &m.alliance), &w.county_admin, json!({})).await.problem(404, "NOT_FOUND");
    app.post(&share_path(&m.pc, UNKNOWN), &w.county_officer, json!({})).await.problem(404, "NOT_FOUND");

    // Delete: refused for everyone but the owner and its superiors' admins and leaders.
    let v = version_of(&app, &m.pc).await;
    for (who, token, status) in [
        ("county viewer", &m.county_viewer, 403),
        ("prefecture officer", &m.pref_officer, 403),
        ("partner with share", &w.stranger_admin, 403),
        ("partner's team", &m.team_viewer, 403),
        ("stranger", &m.outsider_admin, 404),
    ] {
        let r = app.delete(&path(&m.pc), token).await;
        assert_eq!(r.status.as_u16(), status, "delete by {who}: {}", r.text);
        assert_eq!(version_of(&app, &m.pc).await, v, "{who} deleted the project");
    }
    app.delete(&path(&m.pp), &w.county_admin).await.problem(404, "NOT_FOUND");
    app.delete(&path(&m.pp), &w.stranger_admin).await.problem(404, "NOT_FOUND");
    read(&app, &m.pp).await;
    // The owner's officer deletes its project; a superior's leader deletes its subordinate's.
    app.delete(&path(&m.pc), &w.county_officer).await.expect(204);
    let other = create_id(&app, &w.county_officer, minimal("另一个")).await;
    app.delete(&path(&other), &m.pref_leader).await.expect(204);
    app.delete(&path(&m.pp), &m.pref_officer).await.expect(204);
    for id in [&m.pc, &other, &m.pp] {
        app.get(&path(id), &app.admin_token).await.problem(404, "NOT_FOUND");
    }
    // Deleted, the shared project is gone for the partner too.
    app.get(&path(&m.pc), &w.stranger_admin).await.problem(404, "NOT_FOUND");
});

both!(sharing_needs_an_active_membership_of_the_owner_and_ends_with_it, |app| async move {
    let w = app.world().await;
    let t = &w.county_officer;
    let pc = create_id(&app, t, minimal("瑞丽园区项目")).await;
    let outsider = app.org(None, "province", "GD").await;
    let (_, outsider_admin) = app.user(&outsider, "gd.admin", "org_admin").await;

    // Invited but not yet accepted: 409, nothing shared.
    let invited = app.post("/v1/alliances", &w.stranger_admin, json!({"name": "成渝联盟"})).await.expect(201).id();
    app.post(&format!("/v1/alliances/{invited}/members"), &w.stranger_admin, json!({"organization_id": w.county}))
        .await
        .expect(200);
    app.post(&share_path(&pc, &invited), t, json!({})).await.problem(409, "NOT_AN_ALLIANCE_MEMBER");
    // An alliance of the county's superior: the county sees it but is no member: 409.
    let provincial = alliance_with(&app, &w.province_admin, "省级联盟", &outsider, &outsider_admin).await;
    app.post(&share_path(&pc, &provincial), t, json!({})).await.problem(409, "NOT_AN_ALLIANCE_MEMBER");
    // An alliance the county has nothing to do with: 404.
    let foreign = app.post("/v1/alliances", &outsider_admin, json!({"name": "粤港联盟"})).await.expect(201).id();
    app.post(&share_path(&pc, &foreign), t, json!({})).await.problem(404, "NOT_FOUND");
    let p = read(&app, &pc).await;
    assert_eq!(p["shared_with"], json!([]));
    assert_eq!(p["version"], 1);
    blind(&app, &outsider_admin, &pc, "member of the provincial alliance").await;

    // The partner leaves: it stops seeing the project at once.
    let a = alliance_with(&app, &w.county_admin, "瑞丽联盟", &w.stranger, &w.stranger_admin).await;
    app.post(&share_path(&pc, &a), t, json!({})).await.expect(200);
    sees(&app, &w.stranger_admin, &pc, "partner").await;
    app.post(&format!("/v1/alliances/{a}/members/{}/leave", w.stranger), &w.stranger_admin, json!({}))
        .await
        .expect(200);
    blind(&app, &w.stranger_admin, &pc, "partner that left").await;
    // Invited again: still nothing until it accepts; removal ends it at once.
    app.post(&format!("/v1/alliances/{a}/members"), &w.county_admin, json!({"organization_id": w.stranger}))
        .await
        .expect(200);
    blind(&app, &w.stranger_admin, &pc, "partner invited again").await;
    app.post(&format!("/v1/alliances/{a}/members/{}/accept", w.stranger), &w.stranger_admin, json!({}))
        .await
        .expect(200);
    sees(&app, &w.stranger_admin, &pc, "partner accepted again").await;
    app.delete(&format!("/v1/alliances/{a}/members/{}", w.stranger), &w.county_admin).await.expect(200);
    blind(&app, &w.stranger_admin, &pc, "partner removed").await;

    // The owner leaves an alliance it shared with: the partners stop seeing its project, and
    // it cannot share with it again.
    app.post(&format!("/v1/alliances/{invited}/members/{}/accept", w.county), &w.county_admin, json!({}))
        .await
        .expect(200);
    app.post(&share_path(&pc, &invited), t, json!({})).await.expect(200);
    sees(&app, &w.stranger_admin, &pc, "founder of the owner's alliance").await;
    app.post(&format!("/v1/alliances/{invited}/members/{}/leave", w.county), &w.county_admin, json!({}))
        .await
        .expect(200);
    blind(&app, &w.stranger_admin, &pc, "partner after the owner left").await;
    app.post(&share_path(&pc, &invited), t, json!({})).await.problem(404, "NOT_FOUND");
});

// ---------------------------------------------------------------------------------------------
// Delete, If-Match, idempotency

both!(delete_is_soft_and_leaves_a_tombstone, |app| async move {
    let w = app.world().await;
    let t = &w.county_officer;
    let keep = create_id(&app, t, minimal("保留")).await;
    let id = create_id(&app, t, minimal("删除")).await;
    move_to(&app, t, &id, "negotiating", "2025-02-01").await.expect(200);
    // A stale If-Match refuses the delete.
    let r = app.call(Method::DELETE, &path(&id), Some(t), None, &[("if-match", "\"1\"")]).await;
    r.problem(412, "PRECONDITION_FAILED");
    read(&app, &id).await;
    let r = app.call(Method::DELETE, &path(&id), Some(t), None, &[("if-match", "\"2\"")]).await.expect(204);
    assert!(r.text.is_empty());
    // Then 404 everywhere; lists skip it.
    app.get(&path(&id), t).await.problem(404, "NOT_FOUND");
    app.get(&path(&id), &app.admin_token).await.problem(404, "NOT_FOUND");
    app.get(&format!("/v1/projects/{id}/transitions"), t).await.problem(404, "NOT_FOUND");
    app.patch(&path(&id), t, json!({"name": "复活"})).await.problem(404, "NOT_FOUND");
    move_to(&app, t, &id, "signed", "2025-03-01").await.problem(404, "NOT_FOUND");
    app.delete(&path(&id), t).await.problem(404, "NOT_FOUND");
    assert_eq!(list(&app, t, "").await, vec![keep.clone()]);
    assert_eq!(list(&app, t, "stage=negotiating").await, Vec::<String>::new());
    // A syncing client gets the tombstone: id, deleted_at and version only.
    let r = app.get("/v1/projects?include_deleted=true&order_by=updated_at", t).await.expect(200);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], keep.as_str());
    assert_eq!(items[0]["name"], "保留");
    let tomb = items[1].as_object().unwrap();
    let mut keys: Vec<&String> = tomb.keys().collect();
    keys.sort();
    assert_eq!(keys, vec!["deleted_at", "id", "version"]);
    assert_eq!(tomb["id"], id.as_str());
    assert_eq!(tomb["version"], 3);
    assert!(tomb["deleted_at"].is_string());
    // ... also since an instant before the delete, and never to a stranger.
    let since = read(&app, &keep).await["updated_at"].as_str().unwrap().to_owned();
    let ids = list(&app, t, &format!("include_deleted=true&order_by=updated_at&updated_since={}", enc(&since))).await;
    assert_eq!(ids, vec![keep.clone(), id.clone()]);
    assert_eq!(list(&app, &w.stranger_admin, "include_deleted=true").await, Vec::<String>::new());
});

both!(a_stale_if_match_is_412_and_changes_nothing, |app| async move {
    let w = app.world().await;
    let t = &w.county_officer;
    let id = create_id(&app, t, minimal("瑞丽项目")).await;
    app.call(Method::PATCH, &path(&id), Some(t), Some(json!({"name": "一"})), &[("if-match", "\"1\"")])
        .await
        .expect(200);
    let r = app.call(Method::PATCH, &path(&id), Some(t), Some(json!({"name": "二"})), &[("if-match", "\"1\"")]).await;
    r.problem(412, "PRECONDITION_FAILED");
    // A value that is no entity tag of ours is malformed: 400, nothing changed.
    for bad in ["garbage", "\"\"", "\"1", "\"-1\"", "W/garbage", "\"1\", \"2\""] {
        let r = app.call(Method::PATCH, &path(&id), Some(t), Some(json!({"name": "二"})), &[("if-match", bad)]).await;
        r.problem(400, "INVALID_IF_MATCH");
    }
    let p = read(&app, &id).await;
    assert_eq!((p["name"].as_str(), p["version"].as_i64()), (Some("一"), Some(2)));
    // Transitions honour If-Match too.
    let body = json!({"to_stage": "signed", "effective_on": "2025-03-01"});
    let tr = format!("/v1/projects/{id}/transitions");
    app.call(Method::POST, &tr, Some(t), Some(body.clone()), &[("if-match", "\"1\"")])
        .await
        .problem(412, "PRECONDITION_FAILED");
    assert_eq!(read(&app, &id).await["stage"], "lead");
    assert!(history(&app, &id).await.is_empty());
    let r = app.call(Method::POST, &tr, Some(t), Some(body), &[("if-match", "\"2\"")]).await.expect(200);
    assert_eq!(r.header("etag").as_deref(), Some("\"3\""));
    // If-Match: * and no If-Match always apply.
    app.call(Method::PATCH, &path(&id), Some(t), Some(json!({"name": "三"})), &[("if-match", "*")]).await.expect(200);
    assert_eq!(read(&app, &id).await["version"], 4);
});

both!(idempotent_create_and_transition, |app| async move {
    let w = app.world().await;
    let t = &w.county_officer;
    let key = [("idempotency-key", "create-0001")];
    let body = minimal("离线创建的项目");
    let first = app.call(Method::POST, "/v1/projects", Some(t), Some(body.clone()), &key).await.expect(201);
    let again = app.call(Method::POST, "/v1/projects", Some(t), Some(body.clone()), &key).await.expect(201);
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(list(&app, t, "").await, vec![first.id()]);
    // The same key with another body is 422; another caller's key is its own.
    let r = app.call(Method::POST, "/v1/projects", Some(t), Some(minimal("别的项目")), &key).await;
    r.problem(422, "VALIDATION_FAILED");
    app.call(Method::POST, "/v1/projects", Some(&w.county_admin), Some(body), &key).await.expect(201);
    assert_eq!(list(&app, t, "").await.len(), 2);

    // A transition retried with its key is applied once: one set of history entries.
    let id = first.id();
    let tr = format!("/v1/projects/{id}/transitions");
    let key = [("idempotency-key", "move-0001")];
    let move_body = json!({"to_stage": "signed", "effective_on": "2025-03-01", "note": "签约"});
    let r1 = app.call(Method::POST, &tr, Some(t), Some(move_body.clone()), &key).await.expect(200);
    let r2 = app.call(Method::POST, &tr, Some(t), Some(move_body.clone()), &key).await.expect(200);
    assert_eq!(r2.body, r1.body);
    assert_eq!(r2.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(
        history(&app, &id).await,
        hist(&[("lead", "negotiating", "2025-03-01"), ("negotiating", "signed", "2025-03-01")])
    );
    assert_eq!(read(&app, &id).await["version"], 2);
    // Without the key, the same move again is an illegal same-stage move.
    app.post(&tr, t, move_body).await.problem(409, "ILLEGAL_TRANSITION");
    // The key with another body is 422.
    let other = json!({"to_stage": "landed", "effective_on": "2025-03-02"});
    app.call(Method::POST, &tr, Some(t), Some(other), &key).await.problem(422, "VALIDATION_FAILED");
    assert_eq!(history(&app, &id).await.len(), 2);
});

/// Sends the same request `n` times at once; returns the statuses.
async fn at_once(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Value,
    headers: &[(&str, &str)],
) -> Vec<u16> {
    let mut handles = vec![];
    for _ in 0..8 {
        let client = app.client.clone();
        let url = format!("{}{}", app.base, path);
        let (method, token, body) = (method.clone(), token.to_owned(), body.clone());
        let headers: Vec<(String, String)> = headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        handles.push(tokio::spawn(async move {
            let mut req = client.request(method, url).bearer_auth(token).json(&body);
            for (k, v) in headers {
                req = req.header(k, v);
            }
            req.send().await.unwrap().status().as_u16()
        }));
    }
    let mut out = vec![];
    for h in handles {
        out.push(h.await.unwrap());
    }
    out.sort_unstable();
    out
}

both!(concurrent_writes_of_one_project_apply_once, |app| async move {
    let w = app.world().await;
    let t = &w.county_officer;
    let id = create_id(&app, t, minimal("并发项目")).await;
    // The same move sent at once from several phones: one wins, the others see it is done.
    let tr = format!("/v1/projects/{id}/transitions");
    let statuses =
        at_once(&app, Method::POST, &tr, t, json!({"to_stage": "signed", "effective_on": "2025-03-01"}), &[]).await;
    assert_eq!(statuses, vec![200, 409, 409, 409, 409, 409, 409, 409]);
    assert_eq!(history(&app, &id).await.len(), 2);
    assert_eq!(version_of(&app, &id).await, 2);
    // Edits based on the same version: one applies, the others are 412, none is lost silently.
    let statuses =
        at_once(&app, Method::PATCH, &path(&id), t, json!({"description": "并发修改"}), &[("if-match", "\"2\"")]).await;
    assert_eq!(statuses, vec![200, 412, 412, 412, 412, 412, 412, 412]);
    assert_eq!(version_of(&app, &id).await, 3);
    // Sharing at once with the same alliance: every call succeeds, the share exists once.
    let a = alliance_with(&app, &w.county_admin, "瑞丽联盟", &w.stranger, &w.stranger_admin).await;
    let statuses = at_once(&app, Method::POST, &share_path(&id, &a), t, json!({}), &[]).await;
    assert_eq!(statuses, vec![200; 8]);
    assert_eq!(read(&app, &id).await["shared_with"], json!([a]));
});

both!(investor_filters_and_the_enterprise_reference, |app| async move {
    let w = app.world().await;
    let t = &w.county_officer;
    let enterprise = |name: &str, extra: Value| {
        let mut body = json!({"name": name});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let app = &app;
        async move { app.post("/v1/enterprises", t, body).await.expect(201).id() }
    };
    let magna = enterprise("麦格纳座椅（中国）有限公司", json!({"fortune_global_500": true, "country": "CA"})).await;
    let xingwang = enterprise("兴旺精密制造有限公司", json!({"china_500": true})).await;
    let with = |name: &str, e: Option<&String>| {
        let mut b = minimal(name);
        if let Some(e) = e {
            b["enterprise_id"] = json!(e);
        }
        b
    };
    let p1 = create(&app, t, with("麦格纳研发中心", Some(&magna))).await;
    assert_eq!(p1["enterprise_id"], magna.as_str());
    assert_eq!(read(&app, &id_of(&p1)).await["enterprise_id"], magna.as_str());
    let p1 = id_of(&p1);
    let p2 = create_id(&app, t, with("兴旺精密制造", Some(&xingwang))).await;
    let p3 = create_id(&app, t, with("无投资方线索", None)).await;
    let check = |q: &str, want: Vec<&String>| {
        let app = &app;
        let q = q.to_owned();
        let want = sorted(want.into_iter().cloned().collect());
        async move { assert_eq!(sorted(list(app, t, &q).await), want, "{q}") }
    };
    check(&format!("enterprise_id={magna}"), vec![&p1]).await;
    check(&format!("enterprise_id={xingwang}"), vec![&p2]).await;
    check("fortune_global_500=true", vec![&p1]).await;
    check("fortune_global_500=false", vec![&p2, &p3]).await;
    check("china_500=true", vec![&p2]).await;
    check("china_500=false", vec![&p1, &p3]).await;
    check("fortune_global_500=true&china_500=true", vec![]).await;
    // The investor can be changed and cleared.
    let r = app.patch(&path(&p3), t, json!({"enterprise_id": magna})).await.expect(200);
    assert_eq!(r.body["enterprise_id"], magna.as_str());
    check("fortune_global_500=true", vec![&p1, &p3]).await;
    let r = app.patch(&path(&p3), t, json!({"enterprise_id": null})).await.expect(200);
    assert_eq!(r.body["enterprise_id"], Value::Null);
    check("fortune_global_500=false", vec![&p2, &p3]).await;
    // An investor the caller does not see is 404, like a missing one.
    let foreign = app.post("/v1/enterprises", &w.stranger_admin, json!({"name": "绵阳企业"})).await.expect(201).id();
    app.post("/v1/projects", t, with("别人的企业", Some(&foreign))).await.problem(404, "NOT_FOUND");
    app.patch(&path(&p3), t, json!({"enterprise_id": foreign})).await.problem(404, "NOT_FOUND");
    assert_eq!(read(&app, &p3).await["enterprise_id"], Value::Null);
});

/// A service token of `org` with `scopes`, created by `admin`.
async fn service_token(app: &TestApp, admin: &str, org: &str, scopes: &[&str]) -> String {
    let r = app
        .post("/v1/service-accounts", admin, json!({"organization_id": org, "name": "项目库接口", "scopes": scopes}))
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
    let w = app.world().await;
    let reader = service_token(&app, &w.county_admin, &w.county, &["projects:read"]).await;
    let writer = service_token(&app, &w.county_admin, &w.county, &["projects:read", "projects:write"]).await;
    let other = service_token(&app, &w.county_admin, &w.county, &["enterprises:read"]).await;
    let made = app.post("/v1/projects", &writer, minimal("接口录入")).await.expect(201);
    assert_eq!(made.body["owner_organization_id"], w.county.as_str());
    let id = made.id();
    move_to(&app, &writer, &id, "signed", "2025-03-01").await.expect(200);
    app.patch(&path(&id), &writer, json!({"description": "接口更新"})).await.expect(200);
    // A system is never a leader: it does not move a project backward.
    transition(&app, &writer, &id, json!({"to_stage": "lead", "effective_on": "2025-03-02", "reason": "x"}))
        .await
        .problem(403, "FORBIDDEN");
    // Read scope reads only; no project scope reads nothing.
    app.get(&path(&id), &reader).await.expect(200);
    assert_eq!(list(&app, &reader, "").await, vec![id.clone()]);
    app.post("/v1/projects", &reader, minimal("x")).await.problem(403, "FORBIDDEN");
    app.patch(&path(&id), &reader, json!({"description": "x"})).await.problem(403, "FORBIDDEN");
    move_to(&app, &reader, &id, "landed", "2025-03-02").await.problem(403, "FORBIDDEN");
    app.delete(&path(&id), &reader).await.problem(403, "FORBIDDEN");
    app.get(&path(&id), &other).await.problem(403, "FORBIDDEN");
    app.get("/v1/projects", &other).await.problem(403, "FORBIDDEN");
    app.get(&format!("/v1/projects/{id}/transitions"), &other).await.problem(403, "FORBIDDEN");
    // A superior's system reads the county's project but does not write it.
    let pref = service_token(&app, &w.prefecture_admin, &w.prefecture, &["projects:read", "projects:write"]).await;
    app.get(&path(&id), &pref).await.expect(200);
    app.patch(&path(&id), &pref, json!({"description": "x"})).await.problem(403, "FORBIDDEN");
    let p = read(&app, &id).await;
    assert_eq!((p["version"].as_i64(), p["description"].as_str()), (Some(3), Some("接口更新")));
});
