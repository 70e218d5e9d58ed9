//! Tickets (诉求工单): round trip, validation, every workflow move legal and illegal, an
//! alliance partner working an assigned ticket while the owner keeps confirm and reopen, the
//! visibility matrix with assignee organizations, masking of the reporter, deadlines on the
//! working calendar (dates written by hand), filters and paging, the escalation task run twice
//! at once, and the metrics of a fixed data set.

use std::sync::{Arc, Barrier};

use chrono::{DateTime, Duration, Utc};
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{Resp, TestApp, World};

const UNKNOWN: &str = "01936f3e-0000-7000-8000-00000000dead";
const PHONE: &str = "13812341234";
const EMAIL: &str = "zhang.wei@example.com";

fn path(id: &str) -> String {
    format!("/v1/tickets/{id}")
}

/// The smallest ticket body (reported now, priority normal).
fn minimal(title: &str) -> Value {
    json!({"title": title, "category": "permits", "source": "visit"})
}

/// A ticket reported at a given instant with a given priority.
fn reported(title: &str, at: &str, priority: &str) -> Value {
    json!({"title": title, "category": "permits", "source": "hotline", "reported_at": at, "priority": priority})
}

async fn create_id(app: &TestApp, token: &str, body: Value) -> String {
    app.post("/v1/tickets", token, body).await.expect(201).id()
}

async fn act(app: &TestApp, token: &str, id: &str, action: &str, body: Value) -> Resp {
    app.post(&format!("/v1/tickets/{id}/{action}"), token, body).await
}

/// The ticket as the platform operator reads it.
async fn read(app: &TestApp, id: &str) -> Value {
    app.get(&path(id), &app.admin_token).await.expect(200).body
}

/// The timeline as (kind, from_status or "", to_status).
async fn timeline(app: &TestApp, id: &str) -> Vec<(String, String, String)> {
    let r = app.get(&format!("/v1/tickets/{id}/events"), &app.admin_token).await.expect(200);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_owned(),
                e["from_status"].as_str().unwrap_or("").to_owned(),
                e["to_status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn kinds(t: &[(String, String, String)]) -> Vec<&str> {
    t.iter().map(|(k, _, _)| k.as_str()).collect()
}

fn page_ids(r: &Resp) -> Vec<String> {
    r.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {}", r.text))
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn list(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    page_ids(&app.get(&format!("/v1/tickets?{query}"), token).await.expect(200))
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
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

/// The pointers of a 422, sorted.
fn pointers(r: Resp) -> Vec<String> {
    let r = r.problem(422, "VALIDATION_FAILED");
    let mut v: Vec<String> =
        r.body["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap().to_owned()).collect();
    v.sort();
    v
}

/// Founds an alliance as `founder_admin` and makes `member` an active member.
async fn alliance_with(app: &TestApp, founder_admin: &str, name: &str, member: &str, member_admin: &str) -> String {
    let id = app.post("/v1/alliances", founder_admin, json!({"name": name})).await.expect(201).id();
    join(app, founder_admin, &id, member, member_admin).await;
    id
}

async fn join(app: &TestApp, founder_admin: &str, alliance: &str, member: &str, member_admin: &str) {
    app.post(&format!("/v1/alliances/{alliance}/members"), founder_admin, json!({"organization_id": member}))
        .await
        .expect(200);
    app.post(&format!("/v1/alliances/{alliance}/members/{member}/accept"), member_admin, json!({})).await.expect(200);
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn instant(v: &Value) -> DateTime<Utc> {
    at(v.as_str().unwrap_or_else(|| panic!("not an instant: {v}")))
}

/// A body for each move that is valid when the move is legal.
fn move_body(action: &str, assignee: &str) -> Value {
    match action {
        "assign" => json!({"organization_id": assignee, "note": "请园区协调"}),
        "resolve" => json!({"resolution": "已协调解决"}),
        "confirm" => json!({"satisfaction": 5, "note": "企业确认"}),
        "reopen" => json!({"reason": "企业反映未解决"}),
        "escalate" => json!({"reason": "需上级协调"}),
        "comment" => json!({"note": "已电话联系"}),
        _ => json!({}),
    }
}

// ---------------------------------------------------------------------------------------------
// Round trip and validation

both!(round_trip_create_read_list_update_delete, |app| async move {
    let w = app.world().await;
    let t = &w.county_officer;
    let enterprise = app.post("/v1/enterprises", t, json!({"name": "大地企业公园"})).await.expect(201).id();
    let project =
        app.post("/v1/projects", t, json!({"name": "大地园区扩建", "category": "industrial"})).await.expect(201).id();
    let body = json!({
        "title": "新厂房临时用电接入",
        "description": "企业新租厂房需在两周内接入临时用电。\n供电所尚未排期。",
        "category": "land_utilities",
        "priority": "high",
        "source": "visit",
        "enterprise_id": enterprise,
        "project_id": project,
        "reporter_name": "张伟",
        "reporter_phone": "138 1234 1234",
        "reporter_email": EMAIL,
        "reported_at": "2026-01-09T02:00:00Z"
    });
    let created = app.post("/v1/tickets", t, body.clone()).await.expect(201);
    let id = created.id();
    assert_eq!(created.header("location"), Some(path(&id)));
    assert_eq!(created.header("etag").as_deref(), Some("\"1\""));
    let c = &created.body;
    assert_eq!(c["owner_organization_id"], w.county.as_str());
    assert_eq!(c["title"], "新厂房临时用电接入");
    assert_eq!(c["description"], "企业新租厂房需在两周内接入临时用电。\n供电所尚未排期。");
    assert_eq!(
        (c["category"].as_str(), c["priority"].as_str(), c["source"].as_str()),
        (Some("land_utilities"), Some("high"), Some("visit"))
    );
    assert_eq!(c["enterprise_id"], enterprise.as_str());
    assert_eq!(c["project_id"], project.as_str());
    assert_eq!(c["visit_id"], Value::Null);
    assert_eq!(c["reporter_name"], "张伟");
    assert_eq!(c["reporter_phone"], PHONE);
    assert_eq!(c["reporter_email"], EMAIL);
    assert_eq!(c["reporter_masked"], false);
    assert_eq!(c["status"], "open");
    assert_eq!(c["escalation_level"], 0);
    assert_eq!(c["reopen_count"], 0);
    // Reported Friday 2026-01-09 10:00 Beijing, high = 1 working day: Monday 01-12 ends 16:00 UTC.
    assert_eq!(instant(&c["created_at"]), at("2026-01-09T02:00:00Z"));
    assert_eq!(instant(&c["due_at"]), at("2026-01-12T16:00:00Z"));
    assert_eq!(c["due_provisional"], false);
    assert_eq!(c["overdue"], true);
    assert_eq!(c["version"], 1);

    let r = app.get(&path(&id), t).await.expect(200);
    assert_eq!(r.body, created.body);
    app.call(Method::GET, &path(&id), Some(t), None, &[("if-none-match", "\"1\"")]).await.expect(304);
    assert_eq!(list(&app, t, "").await, vec![id.clone()]);
    assert_eq!(timeline(&app, &id).await, vec![("created".to_owned(), String::new(), "open".to_owned())]);

    // Merge patch of the editable fields; the rest is refused.
    let r = app
        .call(
            Method::PATCH,
            &path(&id),
            Some(t),
            Some(json!({"title": "临时用电", "category": "permits"})),
            &[("if-match", "\"1\"")],
        )
        .await
        .expect(200);
    assert_eq!((r.body["title"].as_str(), r.body["category"].as_str()), (Some("临时用电"), Some("permits")));
    assert_eq!(r.body["description"], c["description"]);
    assert_eq!(r.header("etag").as_deref(), Some("\"2\""));
    app.call(Method::PATCH, &path(&id), Some(t), Some(json!({"title": "x"})), &[("if-match", "\"1\"")])
        .await
        .problem(412, "PRECONDITION_FAILED");
    assert_eq!(pointers(app.patch(&path(&id), t, json!({"title": null})).await), vec!["/title"]);
    assert_eq!(pointers(app.patch(&path(&id), t, json!({"status": "closed"})).await), vec!["/status"]);
    assert_eq!(pointers(app.patch(&path(&id), t, json!({"reporter_phone": PHONE})).await), vec!["/reporter_phone"]);
    assert_eq!(pointers(app.patch(&path(&id), t, json!({"title": " "})).await), vec!["/title"]);

    // Idempotent create: the retry replays, another body with the key is 422.
    let key = [("idempotency-key", "ticket-1")];
    let first = app.call(Method::POST, "/v1/tickets", Some(t), Some(minimal("重试")), &key).await.expect(201);
    let again = app.call(Method::POST, "/v1/tickets", Some(t), Some(minimal("重试")), &key).await.expect(201);
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(again.id(), first.id());
    app.call(Method::POST, "/v1/tickets", Some(t), Some(minimal("另一个")), &key)
        .await
        .problem(422, "VALIDATION_FAILED");
    // A client id; taken again is 409.
    let own = "01936f3e-8c2a-7d41-9a55-0c1f2e3d4b5a";
    let mut b = minimal("离线录入");
    b["id"] = json!(own);
    assert_eq!(app.post("/v1/tickets", t, b.clone()).await.expect(201).id(), own);
    app.post("/v1/tickets", t, b).await.problem(409, "ALREADY_EXISTS");

    // Soft delete: 404 afterwards, a tombstone for sync.
    app.delete(&path(&id), t).await.expect(204);
    app.get(&path(&id), t).await.problem(404, "NOT_FOUND");
    app.get(&format!("/v1/tickets/{id}/events"), t).await.problem(404, "NOT_FOUND");
    act(&app, t, &id, "comment", json!({"note": "x"})).await.problem(404, "NOT_FOUND");
    assert!(!list(&app, t, "").await.contains(&id));
    let r = app.get("/v1/tickets?include_deleted=true&order_by=updated_at", t).await.expect(200);
    let tomb = r.body["items"].as_array().unwrap().iter().find(|i| i["id"] == id.as_str()).unwrap().clone();
    assert!(tomb["deleted_at"].is_string());
    assert_eq!(tomb["version"], 3);
});

both!(validation_and_references, |app| async move {
    let w = app.world().await;
    let t = &w.county_officer;
    let r = app
        .post(
            "/v1/tickets",
            t,
            json!({
                "id": "nope", "title": " ", "category": "permits", "source": "visit",
                "reporter_name": "", "reporter_phone": "138****1234", "reporter_email": "z***@example.com"
            }),
        )
        .await;
    assert_eq!(pointers(r), vec!["/id", "/reporter_email", "/reporter_name", "/reporter_phone", "/title"]);
    let r = app
        .post(
            "/v1/tickets",
            t,
            json!({"title": "x", "category": "permits", "source": "visit", "reporter_phone": "138****1234"}),
        )
        .await
        .problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["errors"][0]["code"], "masked_value");
    assert_eq!(
        pointers(app.post("/v1/tickets", t, json!({"title": "x", "category": "weather", "source": "visit"})).await),
        vec!["/category"]
    );
    assert_eq!(
        pointers(app.post("/v1/tickets", t, json!({"title": "x", "category": "permits"})).await),
        vec!["/source"]
    );
    assert_eq!(
        pointers(
            app.post(
                "/v1/tickets",
                t,
                json!({"title": "x", "category": "permits", "source": "visit", "status": "closed"})
            )
            .await
        ),
        vec!["/status"]
    );
    let future = (Utc::now() + Duration::hours(1)).to_rfc3339();
    assert_eq!(pointers(app.post("/v1/tickets", t, reported("未来", &future, "normal")).await), vec!["/reported_at"]);
    // Links to records the caller does not see are 404, like missing ones.
    let foreign = app.post("/v1/enterprises", &w.stranger_admin, json!({"name": "绵阳企业"})).await.expect(201).id();
    for (field, value) in [("enterprise_id", foreign.as_str()), ("project_id", UNKNOWN), ("visit_id", UNKNOWN)] {
        let mut b = minimal("引用");
        b[field] = json!(value);
        app.post("/v1/tickets", t, b).await.problem(404, "NOT_FOUND");
    }
    // Owners: a subordinate may be chosen by a superior's leader or admin, never a superior
    // by a subordinate, nor a stranger.
    let mut b = minimal("代录");
    b["owner_organization_id"] = json!(w.county);
    let r = app.post("/v1/tickets", &w.prefecture_admin, b).await.expect(201);
    assert_eq!(r.body["owner_organization_id"], w.county.as_str());
    let mut b = minimal("越级");
    b["owner_organization_id"] = json!(w.prefecture);
    app.post("/v1/tickets", t, b.clone()).await.problem(403, "FORBIDDEN");
    b["owner_organization_id"] = json!(w.stranger);
    app.post("/v1/tickets", t, b).await.problem(404, "NOT_FOUND");
    let (_, viewer) = app.user(&w.county, "rl.viewer", "viewer").await;
    app.post("/v1/tickets", &viewer, minimal("只读")).await.problem(403, "FORBIDDEN");
    // Moves validate their bodies.
    let (_, leader) = app.user(&w.county, "rl.leader", "leader").await;
    let id = create_id(&app, t, minimal("校验")).await;
    act(&app, &leader, &id, "assign", json!({"organization_id": w.county})).await.expect(200);
    assert_eq!(pointers(act(&app, &leader, &id, "resolve", json!({})).await), vec!["/resolution"]);
    assert_eq!(pointers(act(&app, &leader, &id, "resolve", json!({"resolution": "  "})).await), vec!["/resolution"]);
    let r = act(&app, &leader, &id, "resolve", json!({"resolution": "x", "resolved_at": future})).await;
    assert_eq!(pointers(r), vec!["/resolved_at"]);
    let r = act(&app, &leader, &id, "resolve", json!({"resolution": "x", "resolved_at": "2020-01-01T00:00:00Z"})).await;
    assert_eq!(pointers(r), vec!["/resolved_at"]);
    assert_eq!(pointers(act(&app, &leader, &id, "comment", json!({"note": ""})).await), vec!["/note"]);
    assert_eq!(pointers(act(&app, &leader, &id, "escalate", json!({"reason": ""})).await), vec!["/reason"]);
    act(&app, &leader, &id, "resolve", json!({"resolution": "已解决"})).await.expect(200);
    assert_eq!(pointers(act(&app, &leader, &id, "confirm", json!({"satisfaction": 6})).await), vec!["/satisfaction"]);
    assert_eq!(pointers(act(&app, &leader, &id, "confirm", json!({"satisfaction": 0})).await), vec!["/satisfaction"]);
    assert_eq!(pointers(act(&app, &leader, &id, "reopen", json!({"reason": " "})).await), vec!["/reason"]);
    assert_eq!(read(&app, &id).await["status"], "resolved");
});

// ---------------------------------------------------------------------------------------------
// Workflow

const MOVES: [&str; 8] = ["assign", "accept", "resolve", "confirm", "reopen", "escalate", "claim", "comment"];

/// The moves allowed from each status, for a ticket assigned to its owner and not claimed,
/// whose owner has a parent (written by hand from the workflow).
fn allowed_from(status: &str) -> Vec<&'static str> {
    match status {
        "open" => vec!["assign", "escalate", "claim", "comment"],
        "assigned" => vec!["assign", "accept", "resolve", "escalate", "claim", "comment"],
        "in_progress" => vec!["assign", "resolve", "escalate", "claim", "comment"],
        "resolved" => vec!["confirm", "reopen", "escalate", "comment"],
        "closed" => vec!["reopen", "comment"],
        other => panic!("no status {other}"),
    }
}

fn entered(from: &str, action: &str) -> &'static str {
    match (from, action) {
        (_, "assign") => "assigned",
        (_, "accept" | "claim") => "in_progress",
        (_, "resolve") => "resolved",
        (_, "confirm") => "closed",
        (_, "reopen") => "in_progress",
        ("open", _) => "open",
        ("assigned", _) => "assigned",
        ("in_progress", _) => "in_progress",
        ("resolved", _) => "resolved",
        _ => "closed",
    }
}

/// A fresh ticket of the county brought to `status` by legal moves (assigned to the county).
async fn ticket_in(app: &TestApp, leader: &str, county: &str, status: &str) -> String {
    let id = create_id(app, leader, minimal(&format!("处于{status}"))).await;
    let path: &[&str] = match status {
        "open" => &[],
        "assigned" => &["assign"],
        "in_progress" => &["assign", "accept"],
        "resolved" => &["assign", "accept", "resolve"],
        _ => &["assign", "accept", "resolve", "confirm"],
    };
    for a in path {
        act(app, leader, &id, a, move_body(a, county)).await.expect(200);
    }
    assert_eq!(read(app, &id).await["status"], status);
    id
}

both!(every_move_from_every_status_legal_and_illegal, |app| async move {
    let w = app.world().await;
    // A leader of the county may make every move on a ticket the county owns and works.
    let (leader_id, leader) = app.user(&w.county, "rl.leader", "leader").await;
    for status in ["open", "assigned", "in_progress", "resolved", "closed"] {
        let allowed = allowed_from(status);
        for action in MOVES {
            let id = ticket_in(&app, &leader, &w.county, status).await;
            let before = timeline(&app, &id).await.len();
            let r = act(&app, &leader, &id, action, move_body(action, &w.county)).await;
            if allowed.contains(&action) {
                assert_eq!(r.status.as_u16(), 200, "{action} from {status}: {}", r.text);
                let to = entered(status, action);
                assert_eq!(r.body["status"], to, "{action} from {status}");
                let events = timeline(&app, &id).await;
                assert_eq!(events.len(), before + 1);
                assert_eq!(events.last().unwrap(), &(action.to_owned(), status.to_owned(), to.to_owned()));
                match action {
                    "claim" => assert_eq!(r.body["claimed_by_user_id"], leader_id.as_str()),
                    "escalate" => {
                        assert_eq!(r.body["escalation_level"], 1);
                        assert_eq!(r.body["escalated_to_organization_id"], w.prefecture.as_str());
                    }
                    "reopen" => {
                        assert_eq!(r.body["reopen_count"], 1);
                        assert_eq!(
                            (r.body["resolution"].clone(), r.body["resolved_at"].clone()),
                            (Value::Null, Value::Null)
                        );
                        assert_eq!(r.body["satisfaction"], Value::Null);
                    }
                    "confirm" => {
                        assert_eq!(r.body["satisfaction"], 5);
                        assert!(r.body["confirmed_at"].is_string());
                    }
                    "resolve" => {
                        assert_eq!(r.body["resolution"], "已协调解决");
                        assert!(r.body["resolved_at"].is_string());
                    }
                    _ => {}
                }
            } else {
                let r = r.problem(409, "ILLEGAL_TRANSITION");
                let detail = r.body["detail"].as_str().unwrap();
                let listed = format!("allowed from {status}: {}", allowed.join(", "));
                assert!(detail.ends_with(&listed), "{action} from {status}: {detail} should end with {listed}");
                assert_eq!(read(&app, &id).await["status"], status);
                assert_eq!(timeline(&app, &id).await.len(), before);
            }
        }
    }
    // Claimed once: a second claim is illegal; the claimer resolves.
    let id = ticket_in(&app, &leader, &w.county, "open").await;
    act(&app, &leader, &id, "claim", json!({"note": "我来揭榜"})).await.expect(200);
    let r = act(&app, &leader, &id, "claim", json!({})).await.problem(409, "ILLEGAL_TRANSITION");
    assert!(r.body["detail"].as_str().unwrap().contains("already claimed"), "{}", r.text);
    let r = act(&app, &leader, &id, "resolve", json!({"resolution": "领导协调解决"})).await.expect(200);
    assert_eq!(
        (r.body["status"].as_str(), r.body["assignee_organization_id"].clone()),
        (Some("resolved"), Value::Null)
    );
    // Escalation climbs the chain and stops at the top.
    let id = ticket_in(&app, &leader, &w.county, "open").await;
    act(&app, &leader, &id, "escalate", move_body("escalate", "")).await.expect(200);
    let r = act(&app, &leader, &id, "escalate", move_body("escalate", "")).await.expect(200);
    assert_eq!(
        (r.body["escalation_level"].as_i64(), r.body["escalated_to_organization_id"].as_str()),
        (Some(2), Some(w.province.as_str()))
    );
    let r = act(&app, &leader, &id, "escalate", move_body("escalate", "")).await.problem(409, "ILLEGAL_TRANSITION");
    assert!(r.body["detail"].as_str().unwrap().ends_with("allowed from open: assign, claim, comment"), "{}", r.text);
    // Moves honour If-Match and Idempotency-Key; the same move sent at once applies once.
    let id = ticket_in(&app, &leader, &w.county, "assigned").await;
    let stale = [("if-match", "\"1\"")];
    app.call(Method::POST, &format!("/v1/tickets/{id}/accept"), Some(&leader), Some(json!({})), &stale)
        .await
        .problem(412, "PRECONDITION_FAILED");
    let key = [("idempotency-key", "accept-1")];
    let a = app
        .call(Method::POST, &format!("/v1/tickets/{id}/accept"), Some(&leader), Some(json!({})), &key)
        .await
        .expect(200);
    assert_eq!(a.header("etag").as_deref(), Some("\"3\""));
    let b = app
        .call(Method::POST, &format!("/v1/tickets/{id}/accept"), Some(&leader), Some(json!({})), &key)
        .await
        .expect(200);
    assert_eq!(b.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(b.body, a.body);
    assert_eq!(kinds(&timeline(&app, &id).await), vec!["created", "assign", "accept"]);
    let id = ticket_in(&app, &leader, &w.county, "assigned").await;
    let mut handles = vec![];
    for _ in 0..6 {
        let (client, url, token) = (app.client.clone(), format!("{}/v1/tickets/{id}/accept", app.base), leader.clone());
        handles.push(tokio::spawn(async move {
            client.post(url).bearer_auth(token).json(&json!({})).send().await.unwrap().status().as_u16()
        }));
    }
    let mut statuses = vec![];
    for h in handles {
        statuses.push(h.await.unwrap());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, vec![200, 409, 409, 409, 409, 409]);
    assert_eq!(kinds(&timeline(&app, &id).await), vec!["created", "assign", "accept"]);
});

both!(an_alliance_partner_works_an_assigned_ticket_while_the_owner_confirms_and_reopens, |app| async move {
    let w = app.world().await;
    let (_, county_leader) = app.user(&w.county, "rl.leader", "leader").await;
    let (partner_officer_id, partner_officer) = app.user(&w.stranger, "my.officer", "officer").await;
    let (_, partner_leader) = app.user(&w.stranger, "my.leader", "leader").await;
    let alliance = alliance_with(&app, &w.county_admin, "瑞丽边境园区党建联盟", &w.stranger, &w.stranger_admin).await;
    // A second partner in the same alliance, never assigned.
    let other = app.org(None, "prefecture", "GZ-ZY").await;
    let (_, other_admin) = app.user(&other, "zy.admin", "org_admin").await;
    join(&app, &w.county_admin, &alliance, &other, &other_admin).await;
    // An invited organization that has not accepted, and an outsider.
    let pending = app.org(None, "prefecture", "GZ-AS").await;
    app.post(&format!("/v1/alliances/{alliance}/members"), &w.county_admin, json!({"organization_id": pending}))
        .await
        .expect(200);
    let outsider = app.org(None, "province", "GD").await;

    let t = &w.county_officer;
    let mut body = minimal("边境仓储用地");
    body["reporter_phone"] = json!(PHONE);
    body["reporter_email"] = json!(EMAIL);
    let id = create_id(&app, t, body).await;
    app.get(&path(&id), &partner_officer).await.problem(404, "NOT_FOUND");
    // Only the owner's subtree and active partners receive tickets; the person must be there.
    for org in [&pending, &outsider, &w.prefecture, &UNKNOWN.to_owned()] {
        let r = act(&app, t, &id, "assign", json!({"organization_id": org})).await.problem(422, "VALIDATION_FAILED");
        assert_eq!(r.body["errors"][0]["pointer"], "/organization_id");
        assert_eq!(r.body["errors"][0]["code"], "not_assignable");
    }
    let r = act(&app, t, &id, "assign", json!({"organization_id": w.stranger, "user_id": UNKNOWN})).await;
    assert_eq!(pointers(r), vec!["/user_id"]);
    let r = act(
        &app,
        t,
        &id,
        "assign",
        json!({"organization_id": w.stranger, "user_id": partner_officer_id, "note": "请绵阳协调"}),
    )
    .await
    .expect(200);
    assert_eq!(r.body["status"], "assigned");
    assert_eq!(r.body["assignee_organization_id"], w.stranger.as_str());
    assert_eq!(r.body["assignee_user_id"], partner_officer_id.as_str());

    // The assignee reads it with the reporter in full and lists it; another partner does not.
    let seen = app.get(&path(&id), &partner_officer).await.expect(200);
    assert_eq!(
        (seen.body["reporter_phone"].as_str(), seen.body["reporter_masked"].as_bool()),
        (Some(PHONE), Some(false))
    );
    assert_eq!(list(&app, &partner_officer, "").await, vec![id.clone()]);
    assert_eq!(
        list(&app, &partner_officer, &format!("assignee_organization_id={}", w.stranger)).await,
        vec![id.clone()]
    );
    assert_eq!(list(&app, &partner_officer, &format!("assignee_user_id={partner_officer_id}")).await, vec![id.clone()]);
    app.get(&path(&id), &other_admin).await.problem(404, "NOT_FOUND");
    app.get(&format!("/v1/tickets/{id}/events"), &other_admin).await.problem(404, "NOT_FOUND");
    assert!(list(&app, &other_admin, "").await.is_empty());
    act(&app, &other_admin, &id, "comment", json!({"note": "x"})).await.problem(404, "NOT_FOUND");

    // The partner works it, never edits it; the owner does not accept for it.
    app.patch(&path(&id), &partner_officer, json!({"title": "改"})).await.problem(403, "FORBIDDEN");
    app.delete(&path(&id), &partner_officer).await.problem(403, "FORBIDDEN");
    act(&app, &partner_officer, &id, "assign", json!({"organization_id": w.stranger})).await.problem(403, "FORBIDDEN");
    act(&app, t, &id, "accept", json!({})).await.problem(403, "FORBIDDEN");
    act(&app, &partner_officer, &id, "accept", json!({"note": "已受理"})).await.expect(200);
    act(&app, &partner_officer, &id, "comment", json!({"note": "已现场查看"})).await.expect(200);
    act(&app, t, &id, "resolve", json!({"resolution": "x"})).await.problem(403, "FORBIDDEN");
    let r = act(&app, &partner_officer, &id, "resolve", json!({"resolution": "已协调仓储用地"})).await.expect(200);
    assert_eq!(r.body["status"], "resolved");
    // Only the owner confirms (a leader) and reopens.
    act(&app, &partner_leader, &id, "confirm", json!({"satisfaction": 5})).await.problem(403, "FORBIDDEN");
    act(&app, &partner_officer, &id, "reopen", json!({"reason": "x"})).await.problem(403, "FORBIDDEN");
    act(&app, t, &id, "confirm", json!({"satisfaction": 5})).await.problem(403, "FORBIDDEN");
    let r = act(&app, &county_leader, &id, "confirm", json!({"satisfaction": 4, "note": "企业满意"})).await.expect(200);
    assert_eq!((r.body["status"].as_str(), r.body["satisfaction"].as_i64()), (Some("closed"), Some(4)));
    let r = act(&app, t, &id, "reopen", json!({"reason": "企业反映仓库仍未交付"})).await.expect(200);
    assert_eq!((r.body["status"].as_str(), r.body["reopen_count"].as_i64()), (Some("in_progress"), Some(1)));
    act(&app, &partner_officer, &id, "resolve", json!({"resolution": "仓库已交付"})).await.expect(200);
    act(&app, &county_leader, &id, "confirm", json!({"satisfaction": 5})).await.expect(200);
    // The partner's leader may claim and escalate a ticket assigned to it.
    let id2 = create_id(&app, t, minimal("难题")).await;
    act(&app, t, &id2, "assign", json!({"organization_id": w.stranger})).await.expect(200);
    act(&app, &partner_officer, &id2, "claim", json!({})).await.problem(403, "FORBIDDEN");
    act(&app, &partner_leader, &id2, "claim", json!({"note": "我来揭榜"})).await.expect(200);
    act(&app, &partner_leader, &id2, "escalate", json!({"reason": "需州里协调"})).await.expect(200);

    let events = app.get(&format!("/v1/tickets/{id}/events"), &partner_officer).await.expect(200);
    let items = events.body["items"].as_array().unwrap();
    let got: Vec<&str> = items.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        got,
        vec!["created", "assign", "accept", "comment", "resolve", "confirm", "reopen", "resolve", "confirm"]
    );
    assert_eq!(items[1]["organization_id"], w.stranger.as_str());
    assert_eq!(items[1]["user_id"], partner_officer_id.as_str());
    assert_eq!(items[1]["note"], "请绵阳协调");
    assert_eq!(items[2]["actor_id"], partner_officer_id.as_str());
    assert_eq!(items[5]["satisfaction"], 4);
    assert_eq!(items[6]["note"], "企业反映仓库仍未交付");
    assert!(items.iter().all(|e| e["created_at"].is_string() && e["actor_id"].is_string()));

    // Reassigned elsewhere, the former assignee no longer sees it.
    act(&app, t, &id, "reopen", json!({"reason": "再次反映"})).await.expect(200);
    act(&app, t, &id, "assign", json!({"organization_id": w.county})).await.expect(200);
    app.get(&path(&id), &partner_officer).await.problem(404, "NOT_FOUND");
    assert_eq!(list(&app, &partner_officer, "").await, vec![id2.clone()]);
});

// ---------------------------------------------------------------------------------------------
// Visibility and masking

async fn sees(app: &TestApp, token: &str, id: &str, who: &str) {
    let r = app.get(&path(id), token).await;
    assert_eq!(r.status.as_u16(), 200, "{who} should read {id}: {}", r.text);
    app.get(&format!("/v1/tickets/{id}/events"), token).await.expect(200);
    assert!(list(app, token, "").await.contains(&id.to_owned()), "{who} should list {id}");
}

async fn blind(app: &TestApp, token: &str, id: &str, who: &str) {
    let r = app.get(&path(id), token).await;
    assert_eq!(r.status.as_u16(), 404, "{who} must not read {id}: {}", r.text);
    r.problem(404, "NOT_FOUND");
    app.get(&format!("/v1/tickets/{id}/events"), token).await.problem(404, "NOT_FOUND");
    assert!(!list(app, token, "").await.contains(&id.to_owned()), "{who} must not list {id}");
    assert!(!list(app, token, "include_deleted=true&order_by=updated_at").await.contains(&id.to_owned()));
}

both!(visibility_matrix_read_list_update_delete_and_moves, |app| async move {
    let w: World = app.world().await;
    let (_, pref_officer) = app.user(&w.prefecture, "dh.officer", "officer").await;
    let (_, pref_leader) = app.user(&w.prefecture, "dh.leader", "leader").await;
    let team = app.org(Some(&w.county), "team", "YN-DH-RL-T1").await;
    let (_, team_officer) = app.user(&team, "rl.team", "officer").await;
    let tc = create_id(&app, &w.county_officer, minimal("瑞丽园区问题")).await;
    let tp = create_id(&app, &pref_officer, minimal("德宏州问题")).await;
    for (who, token) in [
        ("county officer", &w.county_officer),
        ("county admin", &w.county_admin),
        ("prefecture officer", &pref_officer),
        ("province admin", &w.province_admin),
        ("sysadmin", &app.admin_token),
    ] {
        sees(&app, token, &tc, who).await;
    }
    blind(&app, &team_officer, &tc, "subordinate team").await;
    blind(&app, &w.stranger_admin, &tc, "stranger").await;
    sees(&app, &pref_officer, &tp, "prefecture officer").await;
    sees(&app, &w.province_admin, &tp, "province admin").await;
    blind(&app, &w.county_officer, &tp, "county officer (subordinate)").await;

    // Update: the owner's officers; a superior's leaders and admins, not its officers.
    app.patch(&path(&tc), &w.county_officer, json!({"description": "县里补充"})).await.expect(200);
    app.patch(&path(&tc), &pref_officer, json!({"description": "x"})).await.problem(403, "FORBIDDEN");
    app.patch(&path(&tc), &pref_leader, json!({"description": "州里补充"})).await.expect(200);
    app.patch(&path(&tc), &team_officer, json!({"description": "x"})).await.problem(404, "NOT_FOUND");
    app.patch(&path(&tc), &w.stranger_admin, json!({"description": "x"})).await.problem(404, "NOT_FOUND");
    app.patch(&path(&tp), &w.county_admin, json!({"description": "x"})).await.problem(404, "NOT_FOUND");
    // Moves: those who do not see it get 404; those who see it but may not, 403.
    for token in [&team_officer, &w.stranger_admin] {
        act(&app, token, &tc, "assign", json!({"organization_id": w.county})).await.problem(404, "NOT_FOUND");
        act(&app, token, &tc, "comment", json!({"note": "x"})).await.problem(404, "NOT_FOUND");
        act(&app, token, &tc, "claim", json!({})).await.problem(404, "NOT_FOUND");
    }
    act(&app, &pref_officer, &tc, "assign", json!({"organization_id": w.county})).await.problem(403, "FORBIDDEN");
    act(&app, &pref_officer, &tc, "comment", json!({"note": "州里关注"})).await.expect(200);
    act(&app, &w.county_officer, &tc, "escalate", json!({"reason": "x"})).await.problem(403, "FORBIDDEN");
    act(&app, &w.county_admin, &tc, "claim", json!({})).await.problem(403, "FORBIDDEN");
    // Assigned to its subordinate team: the team now sees and works it.
    act(&app, &pref_leader, &tc, "assign", json!({"organization_id": team})).await.expect(200);
    sees(&app, &team_officer, &tc, "assignee team").await;
    act(&app, &team_officer, &tc, "accept", json!({})).await.expect(200);
    app.patch(&path(&tc), &team_officer, json!({"description": "x"})).await.problem(403, "FORBIDDEN");
    act(&app, &pref_leader, &tc, "claim", json!({"note": "州领导揭榜"})).await.expect(200);
    // Delete: the owner's writers only.
    app.delete(&path(&tc), &w.stranger_admin).await.problem(404, "NOT_FOUND");
    app.delete(&path(&tc), &team_officer).await.problem(403, "FORBIDDEN");
    app.delete(&path(&tc), &pref_officer).await.problem(403, "FORBIDDEN");
    app.delete(&path(&tp), &w.county_admin).await.problem(404, "NOT_FOUND");
    app.delete(&path(&tc), &w.county_officer).await.expect(204);
    for token in [&w.county_officer, &pref_officer, &team_officer] {
        app.get(&path(&tc), token).await.problem(404, "NOT_FOUND");
    }
});

both!(reporter_contact_masked_outside_the_owner_chain_and_the_assignee, |app| async move {
    let w = app.world().await;
    // The partner is a stationed team of the stranger; the stranger sees what its team is assigned.
    let team = app.org(Some(&w.stranger), "team", "SC-MY-T1").await;
    let (_, team_admin) = app.user(&team, "my.team", "org_admin").await;
    alliance_with(&app, &w.county_admin, "川滇协作联盟", &team, &team_admin).await;
    let mut body = minimal("进口药品认证");
    body["reporter_name"] = json!("张伟");
    body["reporter_phone"] = json!(PHONE);
    body["reporter_email"] = json!(EMAIL);
    let id = create_id(&app, &w.county_officer, body).await;
    act(&app, &w.county_officer, &id, "assign", json!({"organization_id": team})).await.expect(200);
    for (who, token) in [
        ("owner", &w.county_officer),
        ("owner's superior", &w.prefecture_admin),
        ("assignee", &team_admin),
        ("sysadmin", &app.admin_token),
    ] {
        let r = app.get(&path(&id), token).await.expect(200);
        assert_eq!(r.body["reporter_phone"], PHONE, "{who}");
        assert_eq!(r.body["reporter_email"], EMAIL, "{who}");
        assert_eq!(r.body["reporter_masked"], false, "{who}");
    }
    let r = app.get(&path(&id), &w.stranger_admin).await.expect(200);
    assert_eq!(r.body["reporter_name"], "张伟");
    assert_eq!(r.body["reporter_phone"], "138****1234");
    assert_eq!(r.body["reporter_email"], "z***@example.com");
    assert_eq!(r.body["reporter_masked"], true);
    let l = app.get("/v1/tickets", &w.stranger_admin).await.expect(200);
    assert_eq!(l.body["items"][0]["reporter_phone"], "138****1234");
    let l = app.get("/v1/tickets", &team_admin).await.expect(200);
    assert_eq!(l.body["items"][0]["reporter_phone"], PHONE);
    // What a move answers is masked the same way.
    let r = act(&app, &w.stranger_admin, &id, "comment", json!({"note": "上级关注"})).await.expect(200);
    assert_eq!(r.body["reporter_phone"], "138****1234");
});

// ---------------------------------------------------------------------------------------------
// Deadlines

both!(due_dates_across_weekends_holidays_and_make_up_days, |app| async move {
    let w = app.world().await;
    let t = &w.county_officer;
    // (reported at, priority, due at, provisional), each computed by hand in Beijing time.
    let cases = [
        // Friday 2026-03-06 10:00, 2 working days: Monday 09, Tuesday 10 → ends Tue 24:00.
        ("2026-03-06T02:00:00Z", "normal", "2026-03-10T16:00:00Z", false),
        // Friday 23:30 is still Friday: urgent is due at its midnight.
        ("2026-03-06T15:30:00Z", "urgent", "2026-03-06T16:00:00Z", false),
        // Reported on Saturday 2026-03-07: Monday is the day of creation.
        ("2026-03-07T02:00:00Z", "urgent", "2026-03-09T16:00:00Z", false),
        // Friday 2026-04-03 before Qingming (Sat 04, Sun 05, Mon 06 off): 1 day → Tuesday 07.
        ("2026-04-03T02:00:00Z", "high", "2026-04-07T16:00:00Z", false),
        // Friday 2026-02-13: the make-up Saturday 14 is the next working day.
        ("2026-02-13T02:00:00Z", "high", "2026-02-14T16:00:00Z", false),
        // … and after it the Spring Festival (15-23) is off: 2 days → Tuesday 24.
        ("2026-02-13T02:00:00Z", "normal", "2026-02-24T16:00:00Z", false),
        // Tuesday 2025-09-30, 5 days across National Day (10-01..08 off, Saturday 10-11 worked):
        // Thu 09, Fri 10, Sat 11, Mon 13, Tue 14.
        ("2025-09-30T02:00:00Z", "low", "2025-10-14T16:00:00Z", false),
        // 2024 has no arrangement loaded: only weekends are off (May Day is not), provisional.
        ("2024-04-30T02:00:00Z", "normal", "2024-05-02T16:00:00Z", true),
    ];
    for (when, priority, due, provisional) in cases {
        let r = app.post("/v1/tickets", t, reported("期限", when, priority)).await.expect(201);
        assert_eq!(instant(&r.body["due_at"]), at(due), "{priority} reported {when}");
        assert_eq!(r.body["due_provisional"], provisional, "{priority} reported {when}");
        assert_eq!(r.body["overdue"], true);
    }
    // A new priority recomputes the deadline from the report time: low = 5 working days.
    let id = create_id(&app, t, reported("改优先级", "2026-03-06T02:00:00Z", "normal")).await;
    let r = app.patch(&path(&id), t, json!({"priority": "low"})).await.expect(200);
    assert_eq!(instant(&r.body["due_at"]), at("2026-03-13T16:00:00Z"));
    assert_eq!(instant(&r.body["created_at"]), at("2026-03-06T02:00:00Z"));
    // The owner's own deadlines apply: high = 3 working days after Qingming → Thursday 04-09.
    app.call(
        Method::PUT,
        &format!("/v1/organizations/{}/ticket-deadlines", w.county),
        Some(&w.county_admin),
        Some(json!({"deadlines": [{"priority": "high", "working_days": 3}]})),
        &[],
    )
    .await
    .expect(200);
    let r = app.post("/v1/tickets", t, reported("本单位期限", "2026-04-03T02:00:00Z", "high")).await.expect(201);
    assert_eq!(instant(&r.body["due_at"]), at("2026-04-09T16:00:00Z"));
    // Reported now, a ticket is not overdue; resolved, it never is.
    let fresh = app.post("/v1/tickets", t, minimal("刚报")).await.expect(201);
    assert_eq!(fresh.body["overdue"], false);
    assert!(instant(&fresh.body["due_at"]) > Utc::now());
});

// ---------------------------------------------------------------------------------------------
// Filters and paging

both!(list_filters_and_keyset_paging, |app| async move {
    let w = app.world().await;
    let t = &w.county_officer;
    let (_, leader) = app.user(&w.county, "rl.leader", "leader").await;
    let (officer2_id, _) = app.user(&w.county, "rl.officer2", "officer").await;
    let team = app.org(Some(&w.county), "team", "YN-DH-RL-T1").await;
    let enterprise = app.post("/v1/enterprises", t, json!({"name": "大地企业"})).await.expect(201).id();
    let project =
        app.post("/v1/projects", t, json!({"name": "大地项目", "category": "industrial"})).await.expect(201).id();
    let mut b = reported("逾期", "2026-01-05T02:00:00Z", "high");
    b["category"] = json!("financing");
    b["enterprise_id"] = json!(enterprise);
    let overdue = create_id(&app, t, b).await;
    let mut b = minimal("在办");
    b["project_id"] = json!(project);
    b["priority"] = json!("urgent");
    let working = create_id(&app, t, b).await;
    act(&app, &leader, &working, "assign", json!({"organization_id": w.county, "user_id": officer2_id}))
        .await
        .expect(200);
    // Past due but resolved: not overdue.
    let done = create_id(&app, t, reported("已办", "2026-02-02T02:00:00Z", "low")).await;
    act(&app, &leader, &done, "assign", json!({"organization_id": team})).await.expect(200);
    act(&app, &leader, &done, "resolve", json!({"resolution": "已解决"})).await.expect(200);
    let mut b = minimal("分队问题");
    b["owner_organization_id"] = json!(team);
    b["category"] = json!("talent");
    let team_ticket = create_id(&app, &leader, b).await;
    let all = vec![overdue.clone(), working.clone(), done.clone(), team_ticket.clone()];
    assert_eq!(list(&app, t, "").await, all);
    let check = |q: String, want: Vec<&String>| {
        let app = &app;
        let want = sorted(want.into_iter().cloned().collect());
        async move { assert_eq!(sorted(list(app, t, &q).await), want, "{q}") }
    };
    check(format!("owner_organization_id={}", w.county), vec![&overdue, &working, &done, &team_ticket]).await;
    check(format!("owner_organization_id={}&include_descendants=false", w.county), vec![&overdue, &working, &done])
        .await;
    check(format!("owner_organization_id={team}"), vec![&team_ticket]).await;
    check(format!("assignee_organization_id={}", w.county), vec![&working]).await;
    check(format!("assignee_organization_id={team}"), vec![&done]).await;
    check(format!("assignee_user_id={officer2_id}"), vec![&working]).await;
    check("status=open".into(), vec![&overdue, &team_ticket]).await;
    check("status=assigned,resolved".into(), vec![&working, &done]).await;
    check("category=financing".into(), vec![&overdue]).await;
    check("category=talent".into(), vec![&team_ticket]).await;
    check("priority=urgent".into(), vec![&working]).await;
    check("priority=low".into(), vec![&done]).await;
    check("overdue=true".into(), vec![&overdue]).await;
    check("overdue=false".into(), vec![&working, &done, &team_ticket]).await;
    check(format!("enterprise_id={enterprise}"), vec![&overdue]).await;
    check(format!("project_id={project}"), vec![&working]).await;
    check(format!("created_from={}", enc("2026-01-05T02:00:00Z")), vec![&overdue, &working, &done, &team_ticket]).await;
    check(format!("created_from={}", enc("2026-01-05T02:00:01Z")), vec![&working, &done, &team_ticket]).await;
    check(format!("created_to={}", enc("2026-02-02T02:00:00Z")), vec![&overdue]).await;
    check(
        format!("created_from={}&created_to={}", enc("2026-01-06T00:00:00Z"), enc("2026-03-01T00:00:00Z")),
        vec![&done],
    )
    .await;
    check("status=open&category=financing&overdue=true".into(), vec![&overdue]).await;
    let since = read(&app, &done).await["updated_at"].as_str().unwrap().to_owned();
    check(format!("updated_since={}", enc(&since)), vec![&done, &team_ticket]).await;
    app.get("/v1/tickets?status=pending", t).await.problem(400, "INVALID_QUERY");
    app.get("/v1/tickets?colour=red", t).await.problem(400, "INVALID_QUERY");
    app.get("/v1/tickets?page_size=201", t).await.problem(400, "INVALID_PAGE_SIZE");

    // Keyset paging, in both orders, without duplicates or gaps.
    let mut made = all.clone();
    for i in 0..5 {
        made.push(create_id(&app, t, minimal(&format!("分页{i}"))).await);
    }
    for order in ["id", "updated_at"] {
        let mut seen = vec![];
        let mut next: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut q = format!("/v1/tickets?page_size=4&order_by={order}");
            if let Some(tok) = &next {
                q.push_str(&format!("&page_token={}", enc(tok)));
            }
            let r = app.get(&q, t).await.expect(200);
            seen.extend(page_ids(&r));
            pages += 1;
            match r.body["next_page_token"].as_str() {
                Some(tok) => next = Some(tok.to_owned()),
                None => break,
            }
        }
        assert_eq!(pages, 3, "{order}");
        assert_eq!(seen.len(), 9);
        assert_eq!(sorted(seen.clone()), sorted(made.clone()));
        if order == "id" {
            assert_eq!(seen, made);
        }
    }
    // A token is bound to its filters and caller.
    let r = app.get("/v1/tickets?page_size=4", t).await.expect(200);
    let tok = enc(r.body["next_page_token"].as_str().unwrap());
    app.get(&format!("/v1/tickets?page_size=4&status=open&page_token={tok}"), t)
        .await
        .problem(400, "INVALID_PAGE_TOKEN");
    app.get(&format!("/v1/tickets?page_size=4&page_token={tok}"), &leader).await.problem(400, "INVALID_PAGE_TOKEN");
});

// ---------------------------------------------------------------------------------------------
// Escalation task

both!(the_escalation_task_run_twice_at_once_escalates_once, |app| async move {
    let w = app.world().await;
    let t = &w.county_officer;
    // Monday 2025-03-03 10:00 Beijing, normal: due Wednesday 2025-03-05 24:00 = 16:00 UTC.
    const OVERDUE: usize = 20;
    let due = at("2025-03-05T16:00:00Z");
    let mut ids = vec![];
    for i in 0..OVERDUE {
        let id = create_id(&app, t, reported(&format!("超期{i}"), "2025-03-03T02:00:00Z", "normal")).await;
        assert_eq!(instant(&read(&app, &id).await["due_at"]), due);
        ids.push(id);
    }
    // Resolved and deleted tickets are never escalated.
    let (_, leader) = app.user(&w.county, "rl.leader", "leader").await;
    let resolved = create_id(&app, t, reported("已办结", "2025-03-03T02:00:00Z", "normal")).await;
    act(&app, &leader, &resolved, "assign", json!({"organization_id": w.county})).await.expect(200);
    act(&app, &leader, &resolved, "resolve", json!({"resolution": "已解决"})).await.expect(200);
    let deleted = create_id(&app, t, reported("已删除", "2025-03-03T02:00:00Z", "normal")).await;
    app.delete(&path(&deleted), t).await.expect(204);

    let run_twice = |now: DateTime<Utc>| {
        let url = app.database_url.clone();
        tokio::task::spawn_blocking(move || {
            let cfg = zhaoshang::Config::for_database(&url);
            let (pool, _) = zhaoshang::open_database(&cfg).unwrap();
            let barrier = Arc::new(Barrier::new(2));
            let runs: Vec<_> = (0..2)
                .map(|_| {
                    let (pool, barrier) = (pool.clone(), barrier.clone());
                    std::thread::spawn(move || {
                        let mut conn = pool.get().unwrap();
                        barrier.wait();
                        zs_persistence::tickets::escalate_overdue(&mut conn, now, Duration::hours(24)).unwrap()
                    })
                })
                .collect();
            runs.into_iter().map(|h| h.join().unwrap()).collect::<Vec<usize>>()
        })
    };
    // Within the grace nothing happens.
    assert_eq!(run_twice(due + Duration::hours(23)).await.unwrap(), vec![0, 0]);
    // 36 h after the deadline: one grace has passed, two have not — each ticket goes up once.
    let counts = run_twice(due + Duration::hours(36)).await.unwrap();
    assert_eq!(counts.iter().sum::<usize>(), OVERDUE, "{counts:?}");
    for id in &ids {
        let tk = read(&app, id).await;
        assert_eq!(tk["escalation_level"], 1);
        assert_eq!(tk["escalated_to_organization_id"], w.prefecture.as_str());
        assert_eq!(tk["status"], "open");
        assert_eq!(tk["version"], 2);
        let r = app.get(&format!("/v1/tickets/{id}/events"), &app.admin_token).await.expect(200);
        let escalations: Vec<&Value> =
            r.body["items"].as_array().unwrap().iter().filter(|e| e["kind"] == "escalate").collect();
        assert_eq!(escalations.len(), 1, "{}", r.text);
        assert_eq!(escalations[0]["actor_id"], "system");
        assert_eq!(escalations[0]["organization_id"], w.prefecture.as_str());
        assert_eq!(
            (escalations[0]["from_status"].as_str(), escalations[0]["to_status"].as_str()),
            (Some("open"), Some("open"))
        );
    }
    assert_eq!(read(&app, &resolved).await["escalation_level"], 0);
    // The same instant again changes nothing; after a second grace, the next level (the province).
    assert_eq!(run_twice(due + Duration::hours(36)).await.unwrap(), vec![0, 0]);
    let counts = run_twice(due + Duration::hours(49)).await.unwrap();
    assert_eq!(counts.iter().sum::<usize>(), OVERDUE, "{counts:?}");
    let tk = read(&app, &ids[0]).await;
    assert_eq!(
        (tk["escalation_level"].as_i64(), tk["escalated_to_organization_id"].as_str()),
        (Some(2), Some(w.province.as_str()))
    );
    // Above the province there is nobody: the tickets stay at level 2.
    assert_eq!(run_twice(due + Duration::hours(24 * 30)).await.unwrap(), vec![0, 0]);
    assert_eq!(read(&app, &ids[0]).await["escalation_level"], 2);
    assert_eq!(read(&app, &resolved).await["escalation_level"], 0);
    // The escalated-to province reads the tickets (it is the owner's superior anyway).
    assert!(list(&app, &w.province_admin, "overdue=true").await.contains(&ids[0]));
});

// ---------------------------------------------------------------------------------------------
// Metrics

both!(metrics_of_a_fixed_data_set_equal_hand_computed_figures, |app| async move {
    let w = app.world().await;
    let (_, leader) = app.user(&w.county, "rl.leader", "leader").await;
    let (_, pref_officer) = app.user(&w.prefecture, "dh.officer", "officer").await;
    let team = app.org(Some(&w.county), "team", "YN-DH-RL-T1").await;
    let t = &leader;
    let ticket = |title: &str, category: &str, priority: &str, reported_at: &str, owner: &str| {
        json!({"title": title, "category": category, "priority": priority, "source": "open_door",
               "reported_at": reported_at, "owner_organization_id": owner})
    };
    let resolve = |id: String, resolved_at: &'static str| {
        let app = &app;
        async move {
            act(app, t, &id, "assign", json!({"organization_id": read(app, &id).await["owner_organization_id"]}))
                .await
                .expect(200);
            act(app, t, &id, "resolve", json!({"resolution": "已解决", "resolved_at": resolved_at})).await.expect(200);
        }
    };
    // A: Friday 2026-01-09 10:00, due Tuesday 13 24:00; resolved Monday 12 10:00 → 72 h, of
    //    which 24 on working days (Fri 14 h + Mon 10 h) = 1 working day; on time; rated 5.
    let a = create_id(&app, t, ticket("A", "permits", "normal", "2026-01-09T02:00:00Z", &w.county)).await;
    resolve(a.clone(), "2026-01-12T02:00:00Z").await;
    act(&app, t, &a, "confirm", json!({"satisfaction": 5})).await.expect(200);
    // B: Wednesday 2025-12-31 10:00, high → due Sunday 2026-01-04 (make-up day) 24:00; resolved
    //    Monday 05 10:00 → 120 h; working: 14 (Dec 31) + 24 (Jan 4) + 10 (Jan 5) = 48 h = 2
    //    working days; late; rated 3.
    let b = create_id(&app, t, ticket("B", "site_selection", "high", "2025-12-31T02:00:00Z", &w.county)).await;
    assert_eq!(instant(&read(&app, &b).await["due_at"]), at("2026-01-04T16:00:00Z"));
    resolve(b.clone(), "2026-01-05T02:00:00Z").await;
    act(&app, t, &b, "confirm", json!({"satisfaction": 3})).await.expect(200);
    // C (the team's): resolved, then reopened and still in progress.
    let c = create_id(&app, t, ticket("C", "policy", "normal", "2026-01-05T02:00:00Z", &team)).await;
    resolve(c.clone(), "2026-01-06T08:00:00Z").await;
    act(&app, t, &c, "reopen", json!({"reason": "企业仍有疑问"})).await.expect(200);
    // D (the team's): Tuesday 2026-01-20 10:00 urgent, resolved 14:00 → 4 h, 4/24 working day.
    let d = create_id(&app, t, ticket("D", "permits", "urgent", "2026-01-20T02:00:00Z", &team)).await;
    resolve(d.clone(), "2026-01-20T06:00:00Z").await;
    // E: open. G: open, reported at the first instant of the period (Dec 1 00:00 Beijing).
    create_id(&app, t, ticket("E", "talent", "low", "2026-01-26T01:00:00Z", &w.county)).await;
    create_id(&app, t, ticket("G", "other", "normal", "2025-11-30T16:00:00Z", &w.county)).await;
    // Not counted: reported at the first instant after the period, owned by the superior, deleted.
    create_id(&app, t, ticket("F", "permits", "normal", "2026-01-31T16:00:00Z", &w.county)).await;
    create_id(&app, &pref_officer, ticket("H", "permits", "normal", "2026-01-10T02:00:00Z", &w.prefecture)).await;
    let i = create_id(&app, t, ticket("I", "permits", "normal", "2026-01-10T02:00:00Z", &w.county)).await;
    app.delete(&path(&i), t).await.expect(204);

    let q = format!("/v1/tickets/metrics?organization_id={}&from=2025-12-01&to=2026-02-01", w.county);
    let m = app.get(&q, t).await.expect(200).body;
    assert_eq!(
        m,
        json!({
            "organization_id": w.county, "from": "2025-12-01", "to": "2026-02-01",
            "total": 6,
            "by_status": {"open": 2, "assigned": 0, "in_progress": 1, "resolved": 1, "closed": 2},
            "by_category": {"site_selection": 1, "permits": 2, "land_utilities": 0, "financing": 0,
                            "policy": 1, "talent": 1, "logistics": 0, "other": 1},
            "resolved": 3, "resolved_on_time": 2, "resolved_on_time_pct": 66.67,
            // (72 + 120 + 4) / 3 = 65.33; median 72.
            "avg_handling_hours": 65.33, "median_handling_hours": 72.0,
            // (1 + 2 + 0.1667) / 3 = 1.06; median 1.
            "avg_handling_working_days": 1.06, "median_handling_working_days": 1.0,
            "rated": 2, "avg_satisfaction": 4.0,
            // C was reopened; A, B, C, D were resolved at least once.
            "reopened": 1, "ever_resolved": 4, "reopen_rate_pct": 25.0
        })
    );
    // The team alone: C and D.
    let m = app
        .get(&format!("/v1/tickets/metrics?organization_id={team}&from=2025-12-01&to=2026-02-01"), t)
        .await
        .expect(200)
        .body;
    assert_eq!((m["total"].as_i64(), m["resolved"].as_i64(), m["reopened"].as_i64()), (Some(2), Some(1), Some(1)));
    assert_eq!(m["median_handling_hours"], 4.0);
    assert_eq!(m["avg_satisfaction"], Value::Null);
    // The prefecture counts the county's tickets and its own; the default organization is yours.
    let m = app.get("/v1/tickets/metrics?from=2025-12-01&to=2026-02-01", &pref_officer).await.expect(200).body;
    assert_eq!(m["organization_id"], w.prefecture.as_str());
    assert_eq!(m["total"], 7);
    // January alone leaves out G (December 1) and B (December 31).
    let m = app
        .get(&format!("/v1/tickets/metrics?organization_id={}&from=2026-01-01&to=2026-02-01", w.county), t)
        .await
        .expect(200)
        .body;
    assert_eq!(m["total"], 4);
    // An empty period has no averages.
    let m = app
        .get(&format!("/v1/tickets/metrics?organization_id={}&from=2024-01-01&to=2024-02-01", w.county), t)
        .await
        .expect(200)
        .body;
    assert_eq!(
        (m["total"].as_i64(), m["avg_handling_hours"].clone(), m["reopen_rate_pct"].clone()),
        (Some(0), Value::Null, Value::Null)
    );
    // Only your organization and its descendants; a stranger does not see the county at all.
    app.get(&format!("/v1/tickets/metrics?organization_id={}&from=2025-12-01&to=2026-02-01", w.prefecture), t)
        .await
        .problem(403, "FORBIDDEN");
    app.get(
        &format!("/v1/tickets/metrics?organization_id={}&from=2025-12-01&to=2026-02-01", w.county),
        &w.stranger_admin,
    )
    .await
    .problem(404, "NOT_FOUND");
    app.get(&format!("/v1/tickets/metrics?organization_id={}&from=2026-02-01&to=2026-02-01", w.county), t)
        .await
        .problem(422, "VALIDATION_FAILED");
    app.get("/v1/tickets/metrics?from=2026-02-01", t).await.problem(400, "INVALID_QUERY");
});

// ---------------------------------------------------------------------------------------------
// Partner systems

/// A service token of `org` with `scopes`, created by `admin`.
async fn service_token(app: &TestApp, admin: &str, org: &str, scopes: &[&str]) -> String {
    let r = app
        .post("/v1/service-accounts", admin, json!({"organization_id": org, "name": "热线系统", "scopes": scopes}))
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
    let reader = service_token(&app, &w.county_admin, &w.county, &["tickets:read"]).await;
    let writer = service_token(&app, &w.county_admin, &w.county, &["tickets:read", "tickets:write"]).await;
    let other = service_token(&app, &w.county_admin, &w.county, &["projects:read"]).await;
    // A hotline system records and works tickets of its organization …
    let made = app.post("/v1/tickets", &writer, minimal("热线来电")).await.expect(201);
    assert_eq!(made.body["owner_organization_id"], w.county.as_str());
    let id = made.id();
    act(&app, &writer, &id, "assign", json!({"organization_id": w.county})).await.expect(200);
    act(&app, &writer, &id, "accept", json!({})).await.expect(200);
    act(&app, &writer, &id, "comment", json!({"note": "系统同步"})).await.expect(200);
    act(&app, &writer, &id, "resolve", json!({"resolution": "热线已答复"})).await.expect(200);
    // … but is never a leader: it neither confirms, escalates nor claims.
    act(&app, &writer, &id, "confirm", json!({"satisfaction": 5})).await.problem(403, "FORBIDDEN");
    act(&app, &writer, &id, "escalate", json!({"reason": "x"})).await.problem(403, "FORBIDDEN");
    // Read scope reads only; without a ticket scope nothing.
    app.get(&path(&id), &reader).await.expect(200);
    assert_eq!(list(&app, &reader, "").await, vec![id.clone()]);
    app.post("/v1/tickets", &reader, minimal("x")).await.problem(403, "FORBIDDEN");
    act(&app, &reader, &id, "comment", json!({"note": "x"})).await.problem(403, "FORBIDDEN");
    app.patch(&path(&id), &reader, json!({"title": "x"})).await.problem(403, "FORBIDDEN");
    for p in [path(&id), format!("/v1/tickets/{id}/events"), "/v1/tickets".to_owned()] {
        app.get(&p, &other).await.problem(403, "FORBIDDEN");
    }
    app.get("/v1/tickets/metrics?from=2026-01-01&to=2026-02-01", &other).await.problem(403, "FORBIDDEN");
    app.get("/v1/tickets/metrics?from=2026-01-01&to=2026-02-01", &reader).await.expect(200);
});
