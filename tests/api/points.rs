//! Attendance (签到) and the points ledger (党员积分): the sign-in window and its idempotence,
//! who may sign in (member, non-member, stranger; cancelled activities), a partner
//! organization's member signing in to a joint activity and earning points under its own
//! organization's rules, secretaries recording leave and absence with the ledger in step, the
//! attendance totals, manual awards and deductions, balances and leaderboards per branch and
//! per organization for a period (hand-computed), point rules and their effect on later
//! sign-ins, and who reads whose points.

use std::collections::HashSet;

use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{Resp, TestApp, World};

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> Resp {
    app.call(Method::PUT, path, Some(token), Some(body), &[]).await
}

fn attendance(activity: &str) -> String {
    format!("/v1/activities/{activity}/attendance")
}

async fn sign_in(app: &TestApp, activity: &str, token: &str) -> Resp {
    app.post(&attendance(activity), token, json!({})).await
}

async fn record(app: &TestApp, activity: &str, user: &str, token: &str, body: Value) -> Resp {
    put(app, &format!("{}/{user}", attendance(activity)), token, body).await
}

/// The pointers of a 422 answer, sorted.
fn pointers(r: &Resp) -> Vec<String> {
    assert_eq!(r.status.as_u16(), 422, "expected 422: {}", r.text);
    let mut p: Vec<String> =
        r.body["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap().to_owned()).collect();
    p.sort();
    p
}

/// Entries of the ledger as `token` reads them (one page of up to 200).
async fn entries(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    app.get(&format!("/v1/point-entries?page_size=200&{query}"), token).await.expect(200).body["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// (user_id, points, kind) of attendance entries of an activity, as the platform operator sees them.
async fn attendance_entries(app: &TestApp, activity: &str) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = entries(app, &app.admin_token, "kind=attendance")
        .await
        .iter()
        .filter(|e| e["activity_id"] == activity)
        .map(|e| (e["user_id"].as_str().unwrap().to_owned(), e["points"].as_i64().unwrap()))
        .collect();
    out.sort();
    out
}

/// Today in China Standard Time (the organizations' default time zone).
fn today_cst() -> String {
    (Utc::now() + Duration::hours(8)).date_naive().format("%Y-%m-%d").to_string()
}

/// The world plus a county branch: its secretary (role party_secretary) and members.
struct Party {
    w: World,
    secretary: (String, String),
    members: Vec<(String, String)>,
    branch: String,
}

async fn party(app: &TestApp, member_names: &[&str]) -> Party {
    let w = app.world().await;
    let secretary = app.user(&w.county, "rl.secretary", "party_secretary").await;
    let mut members = vec![];
    for n in member_names {
        members.push(app.user(&w.county, n, "member").await);
    }
    let ids: Vec<&str> = members.iter().map(|m| m.0.as_str()).collect();
    let branch = app.branch(&w.county_admin, &w.county, "瑞丽市投资促进局机关党支部", Some(&secretary.0), &ids).await;
    Party { w, secretary, members, branch }
}

both!(sign_in_window_and_idempotence, |app| async move {
    let p = party(&app, &["pt.zhang"]).await;
    let (m_id, m) = p.members[0].clone();
    let now = app.activity(&p.w.county_admin, &p.branch, "general_meeting", Utc::now(), &[]).await;

    let first = sign_in(&app, &now, &m).await.expect(201);
    assert_eq!(first.header("location").as_deref(), Some(attendance(&now).as_str()));
    assert_eq!(first.body["status"], "present");
    assert_eq!(first.body["user_id"], m_id.as_str());
    assert_eq!(first.body["branch_id"], p.branch.as_str());
    assert_eq!(first.body["display_name"], "pt.zhang");
    assert_eq!(first.body["recorded_by"], m_id.as_str());
    assert!(first.body["signed_in_at"].is_string());
    // Again (and again with no body at all): the same record, and no second point entry.
    let again = sign_in(&app, &now, &m).await.expect(200);
    assert_eq!(again.body, first.body);
    let bare = app.call(Method::POST, &attendance(&now), Some(&m), None, &[]).await.expect(200);
    assert_eq!(bare.body, first.body);
    assert_eq!(attendance_entries(&app, &now).await, vec![(m_id.clone(), 2)]);
    let mine = entries(&app, &m, "").await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["kind"], "attendance");
    assert_eq!(mine[0]["occurred_on"], today_cst().as_str());
    assert_eq!(mine[0]["organization_id"], p.w.county.as_str());
    // A body with something in it is refused.
    let bad = app.post(&attendance(&now), &m, json!({"status": "present"})).await;
    assert_eq!(pointers(&bad), vec!["/status"]);

    // Outside the window: started three hours ago, or starting in two days.
    let past = app.activity(&p.w.county_admin, &p.branch, "party_lesson", Utc::now() - Duration::hours(3), &[]).await;
    sign_in(&app, &past, &m).await.problem(409, "SIGN_IN_CLOSED");
    let future = app.activity(&p.w.county_admin, &p.branch, "theme_day", Utc::now() + Duration::days(2), &[]).await;
    sign_in(&app, &future, &m).await.problem(409, "SIGN_IN_CLOSED");
    assert!(attendance_entries(&app, &past).await.is_empty());
    assert!(attendance_entries(&app, &future).await.is_empty());
    // A retried sign-in with the same Idempotency-Key replays the first answer.
    let soon = app.activity(&p.w.county_admin, &p.branch, "study", Utc::now() + Duration::minutes(20), &[]).await;
    let key = [("idempotency-key", "sign-in-0001")];
    let a = app.call(Method::POST, &attendance(&soon), Some(&m), Some(json!({})), &key).await.expect(201);
    let b = app.call(Method::POST, &attendance(&soon), Some(&m), Some(json!({})), &key).await.expect(201);
    assert_eq!(a.body, b.body);
    assert_eq!(b.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(attendance_entries(&app, &soon).await, vec![(m_id.clone(), 1)]);
});

both!(who_may_sign_in, |app| async move {
    let p = party(&app, &["pt.li"]).await;
    let (_, m) = p.members[0].clone();
    let a = app.activity(&p.w.county_admin, &p.branch, "general_meeting", Utc::now(), &[]).await;
    // An officer of the organization sees the activity but is no member of its branch.
    sign_in(&app, &a, &p.w.county_officer).await.problem(403, "FORBIDDEN");
    // A stranger does not see it at all.
    sign_in(&app, &a, &p.w.stranger_admin).await.problem(404, "NOT_FOUND");
    app.get(&attendance(&a), &p.w.stranger_admin).await.problem(404, "NOT_FOUND");
    record(&app, &a, &p.members[0].0, &p.w.stranger_admin, json!({"status": "absent"})).await.problem(404, "NOT_FOUND");
    // Nothing was recorded by the refusals.
    let list = app.get(&attendance(&a), &p.w.county_officer).await.expect(200);
    assert_eq!(list.body["totals"], json!({"expected": 1, "present": 0, "leave": 0, "absent": 0, "unrecorded": 1}));

    // Cancelled: no sign-in, no recording; deleted: gone.
    let c = app.activity(&p.w.county_admin, &p.branch, "party_lesson", Utc::now(), &[]).await;
    app.post(&format!("/v1/activities/{c}/cancel"), &p.w.county_admin, json!({"reason": "台风停课"})).await.expect(200);
    sign_in(&app, &c, &m).await.problem(409, "ACTIVITY_CANCELLED");
    record(&app, &c, &p.members[0].0, &p.secretary.1, json!({"status": "absent"}))
        .await
        .problem(409, "ACTIVITY_CANCELLED");
    let d = app.activity(&p.w.county_admin, &p.branch, "theme_day", Utc::now(), &[]).await;
    app.delete(&format!("/v1/activities/{d}"), &p.w.county_admin).await.expect(204);
    sign_in(&app, &d, &m).await.problem(404, "NOT_FOUND");
    assert!(entries(&app, &app.admin_token, "").await.is_empty());
    // The member signs in to the live one.
    sign_in(&app, &a, &m).await.expect(201);
});

both!(partner_member_signs_in_to_a_joint_activity_under_its_own_rules, |app| async move {
    let p = party(&app, &["pt.wang"]).await;
    let (m_id, m) = p.members[0].clone();
    let w = &p.w;
    app.alliance(&w.county_admin, &w.stranger, &w.stranger_admin).await;
    let (partner_id, partner) = app.user(&w.stranger, "my.member", "member").await;
    let partner_branch = app.branch(&w.stranger_admin, &w.stranger, "绵阳驻深圳招商党支部", None, &[&partner_id]).await;
    // The partner organization awards 7 points for joint activities; the county keeps the default 2.
    put(
        &app,
        &format!("/v1/organizations/{}/point-rules", w.stranger),
        &w.stranger_admin,
        json!({"rules": [{"activity_type": "joint_activity", "points": 7}]}),
    )
    .await
    .expect(200);
    let a = app.activity(&w.county_admin, &p.branch, "joint_activity", Utc::now(), &[&partner_branch]).await;

    let r = sign_in(&app, &a, &partner).await.expect(201);
    assert_eq!(r.body["branch_id"], partner_branch.as_str());
    sign_in(&app, &a, &m).await.expect(201);
    assert_eq!(
        {
            let mut v = attendance_entries(&app, &a).await;
            v.sort_by_key(|e| e.1);
            v
        },
        vec![(m_id.clone(), 2), (partner_id.clone(), 7)]
    );
    // Both organizations see the list of the joint activity.
    for t in [&w.county_admin, &w.stranger_admin, &partner] {
        let l = app.get(&attendance(&a), t).await.expect(200);
        assert_eq!(l.body["totals"], json!({"expected": 2, "present": 2, "leave": 0, "absent": 0, "unrecorded": 0}));
    }
    // The partner's admin records its own member, not the host's.
    record(&app, &a, &partner_id, &w.stranger_admin, json!({"status": "leave", "reason": "临时出差"}))
        .await
        .expect(200);
    record(&app, &a, &m_id, &w.stranger_admin, json!({"status": "absent"})).await.problem(403, "FORBIDDEN");
    assert_eq!(attendance_entries(&app, &a).await, vec![(m_id.clone(), 2)]);
    // The host's secretary records anyone expected.
    record(&app, &a, &partner_id, &p.secretary.1, json!({"status": "present"})).await.expect(200);
    // Points stay with each organization: partners do not read each other's members' points.
    let partner_view: Vec<String> =
        entries(&app, &w.stranger_admin, "").await.iter().map(|e| e["user_id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(partner_view, vec![partner_id.clone()]);
    let host_view: Vec<String> =
        entries(&app, &w.county_admin, "").await.iter().map(|e| e["user_id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(host_view, vec![m_id.clone()]);
    let board = app.get(&format!("/v1/point-balances?branch_id={}", p.branch), &w.stranger_admin).await.expect(200);
    assert_eq!(board.body["items"], json!([]));
    let partner_entry = entries(&app, &partner, "").await;
    assert_eq!(partner_entry.len(), 1);
    assert_eq!(partner_entry[0]["organization_id"], w.stranger.as_str());
    assert_eq!(partner_entry[0]["points"], 7);
});

both!(secretary_records_leave_and_absence_and_the_ledger_follows, |app| async move {
    let p = party(&app, &["pt.a", "pt.b", "pt.c", "pt.d"]).await;
    let ids: Vec<String> = p.members.iter().map(|m| m.0.clone()).collect();
    let sec = p.secretary.1.clone();
    let a = app.activity(&p.w.county_admin, &p.branch, "general_meeting", Utc::now(), &[]).await;
    sign_in(&app, &a, &p.members[0].1).await.expect(201);

    let no_reason = record(&app, &a, &ids[1], &sec, json!({"status": "leave"})).await;
    assert_eq!(pointers(&no_reason), vec!["/reason"]);
    let blank = record(&app, &a, &ids[1], &sec, json!({"status": "leave", "reason": "   "})).await;
    assert_eq!(pointers(&blank), vec!["/reason"]);
    let bad_status = record(&app, &a, &ids[1], &sec, json!({"status": "late"})).await;
    assert_eq!(pointers(&bad_status), vec!["/status"]);
    let leave = record(&app, &a, &ids[1], &sec, json!({"status": "leave", "reason": "赴深圳招商"})).await.expect(200);
    assert_eq!(leave.body["status"], "leave");
    assert_eq!(leave.body["reason"], "赴深圳招商");
    assert_eq!(leave.body["recorded_by"], p.secretary.0.as_str());
    assert_eq!(leave.body["signed_in_at"], Value::Null);
    record(&app, &a, &ids[2], &sec, json!({"status": "absent"})).await.expect(200);
    // Someone outside the branches is not expected; a plain member records nothing.
    let (outsider, _) = app.user(&p.w.county, "pt.outsider", "member").await;
    let r = record(&app, &a, &outsider, &sec, json!({"status": "absent"})).await;
    assert_eq!(pointers(&r), vec!["/user_id"]);
    record(&app, &a, &ids[3], &p.members[0].1, json!({"status": "absent"})).await.problem(403, "FORBIDDEN");
    record(&app, &a, &ids[3], &p.w.county_officer, json!({"status": "absent"})).await.problem(403, "FORBIDDEN");

    let list = app.get(&attendance(&a), &p.w.county_officer).await.expect(200);
    assert_eq!(list.body["totals"], json!({"expected": 4, "present": 1, "leave": 1, "absent": 1, "unrecorded": 1}));
    let rows: Vec<(String, Value, Value)> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["display_name"].as_str().unwrap().to_owned(), i["status"].clone(), i["reason"].clone()))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("pt.a".to_owned(), json!("present"), Value::Null),
            ("pt.b".to_owned(), json!("leave"), json!("赴深圳招商")),
            ("pt.c".to_owned(), json!("absent"), Value::Null),
            ("pt.d".to_owned(), Value::Null, Value::Null),
        ]
    );
    assert_eq!(attendance_entries(&app, &a).await, vec![(ids[0].clone(), 2)]);

    // present → absent withdraws the points; absent → present gives them.
    record(&app, &a, &ids[0], &sec, json!({"status": "absent", "reason": "签到有误"})).await.expect(200);
    record(&app, &a, &ids[2], &sec, json!({"status": "present"})).await.expect(200);
    record(&app, &a, &ids[2], &sec, json!({"status": "present"})).await.expect(200);
    assert_eq!(attendance_entries(&app, &a).await, vec![(ids[2].clone(), 2)]);
    // The member on leave came after all: signing in makes them present (201) and earns points.
    let came = sign_in(&app, &a, &p.members[1].1).await.expect(201);
    assert_eq!(came.body["status"], "present");
    assert_eq!(came.body["reason"], Value::Null);
    let mut expected = vec![(ids[1].clone(), 2), (ids[2].clone(), 2)];
    expected.sort();
    assert_eq!(attendance_entries(&app, &a).await, expected);
    let list = app.get(&attendance(&a), &p.members[3].1).await.expect(200);
    assert_eq!(list.body["totals"], json!({"expected": 4, "present": 2, "leave": 0, "absent": 1, "unrecorded": 1}));
});

both!(awards_deductions_and_leaderboards_add_up, |app| async move {
    let p = party(&app, &["pt.a", "pt.b", "pt.c"]).await;
    let w = &p.w;
    let sec = p.secretary.1.clone();
    let (d_id, d) = app.user(&w.county, "pt.d", "member").await;
    let other = app.branch(&w.county_admin, &w.county, "瑞丽驻外招商小分队党支部", None, &[&d_id]).await;
    let ids: Vec<String> = p.members.iter().map(|m| m.0.clone()).collect();
    let post = |branch: &str, user: &str, kind: &str, points: i64, on: &str| json!({"branch_id": branch, "user_id": user, "kind": kind, "points": points, "reason": "积分管理", "occurred_on": on});

    // Validation: every shape rule at once, then the ones that need the branch.
    let r = app
        .post("/v1/point-entries", &sec, json!({"branch_id": p.branch, "user_id": ids[0], "kind": "attendance", "points": 0, "reason": " ", "id": "nope"}))
        .await;
    assert_eq!(pointers(&r), vec!["/id", "/kind", "/points", "/reason"]);
    let r = app.post("/v1/point-entries", &sec, post(&p.branch, &ids[0], "award", 101, "2025-01-01")).await;
    assert_eq!(pointers(&r), vec!["/points"]);
    let r = app.post("/v1/point-entries", &sec, post(&p.branch, &ids[0], "award", 1, "2099-01-01")).await;
    assert_eq!(pointers(&r), vec!["/occurred_on"]);
    let r = app.post("/v1/point-entries", &sec, post(&p.branch, &d_id, "award", 1, "2025-01-01")).await;
    assert_eq!(pointers(&r), vec!["/user_id"]);
    app.post("/v1/point-entries", &w.county_officer, post(&p.branch, &ids[0], "award", 1, "2025-01-01"))
        .await
        .problem(403, "FORBIDDEN");
    app.post("/v1/point-entries", &p.members[0].1, post(&p.branch, &ids[0], "award", 1, "2025-01-01"))
        .await
        .problem(403, "FORBIDDEN");
    app.post("/v1/point-entries", &w.stranger_admin, post(&p.branch, &ids[0], "award", 1, "2025-01-01"))
        .await
        .problem(404, "NOT_FOUND");
    assert!(entries(&app, &app.admin_token, "").await.is_empty());

    // Attendance today: a and b earn 2 each (general meeting).
    let a = app.activity(&w.county_admin, &p.branch, "general_meeting", Utc::now(), &[]).await;
    sign_in(&app, &a, &p.members[0].1).await.expect(201);
    sign_in(&app, &a, &p.members[1].1).await.expect(201);
    // Manual entries, by the secretary, the county admin and the prefecture's admin (a superior).
    let key = [("idempotency-key", "award-a-0301")];
    let first = app
        .call(
            Method::POST,
            "/v1/point-entries",
            Some(&sec),
            Some(post(&p.branch, &ids[0], "award", 5, "2025-03-01")),
            &key,
        )
        .await
        .expect(201);
    assert_eq!(first.body["points"], 5);
    assert_eq!(first.body["kind"], "award");
    assert_eq!(first.body["reason"], "积分管理");
    assert_eq!(first.body["created_by"], p.secretary.0.as_str());
    let retry = app
        .call(
            Method::POST,
            "/v1/point-entries",
            Some(&sec),
            Some(post(&p.branch, &ids[0], "award", 5, "2025-03-01")),
            &key,
        )
        .await
        .expect(201);
    assert_eq!(retry.body["id"], first.body["id"]);
    for (token, branch, user, kind, points, on) in [
        (&sec, &p.branch, &ids[0], "award", 3, "2025-06-01"),
        (&sec, &p.branch, &ids[0], "deduction", 1, "2024-12-31"),
        (&w.county_admin, &p.branch, &ids[1], "award", 8, "2025-04-01"),
        (&w.prefecture_admin, &p.branch, &ids[1], "deduction", 2, "2025-05-01"),
        (&sec, &p.branch, &ids[2], "award", 6, "2025-02-01"),
        (&w.county_admin, &other, &d_id, "award", 6, "2025-07-01"),
    ] {
        let r = app.post("/v1/point-entries", token, post(branch, user, kind, points, on)).await.expect(201);
        let signed = if kind == "deduction" { -points } else { points };
        assert_eq!(r.body["points"], signed);
    }
    // With no day given, the entry is dated today.
    let today = app
        .post("/v1/point-entries", &sec, json!({"branch_id": p.branch, "user_id": ids[2], "kind": "deduction", "points": 4, "reason": "无故缺席学习"}))
        .await
        .expect(201);
    assert_eq!(today.body["occurred_on"], today_cst().as_str());

    let board = |rows: &Value| -> Vec<(u64, String, i64, i64)> {
        rows["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["rank"].as_u64().unwrap(),
                    r["display_name"].as_str().unwrap().to_owned(),
                    r["points"].as_i64().unwrap(),
                    r["entries"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let row = |rank: u64, name: &str, points: i64, n: i64| (rank, name.to_owned(), points, n);
    // 2025, branch: a 5+3 = 8 (2), b 8-2 = 6 (2), c 6 (1); b and c tie at rank 2.
    let b2025 = app
        .get(&format!("/v1/point-balances?branch_id={}&from=2025-01-01&to=2025-12-31", p.branch), &sec)
        .await
        .expect(200);
    assert_eq!(board(&b2025.body), vec![row(1, "pt.a", 8, 2), row(2, "pt.b", 6, 2), row(2, "pt.c", 6, 1)]);
    // 2025, organization (the county and, from the prefecture, its subtree): d joins the tie.
    let expected_org = vec![row(1, "pt.a", 8, 2), row(2, "pt.b", 6, 2), row(2, "pt.c", 6, 1), row(2, "pt.d", 6, 1)];
    for (token, org) in
        [(&w.county_admin, &w.county), (&w.prefecture_admin, &w.prefecture), (&w.province_admin, &w.county)]
    {
        let r = app
            .get(&format!("/v1/point-balances?organization_id={org}&from=2025-01-01&to=2025-12-31"), token)
            .await
            .expect(200);
        assert_eq!(board(&r.body), expected_org);
    }
    // All time: a 2+5+3-1 = 9 (4), b 2+8-2 = 8 (3), d 6 (1), c 6-4 = 2 (2).
    let all = app.get(&format!("/v1/point-balances?organization_id={}", w.county), &sec).await.expect(200);
    assert_eq!(
        board(&all.body),
        vec![row(1, "pt.a", 9, 4), row(2, "pt.b", 8, 3), row(3, "pt.d", 6, 1), row(4, "pt.c", 2, 2)]
    );
    assert_eq!(all.body["items"][2]["branch_id"], other.as_str());
    // The ledger adds up to the same.
    let a_entries = entries(&app, &sec, &format!("user_id={}", ids[0])).await;
    assert_eq!(a_entries.iter().map(|e| e["points"].as_i64().unwrap()).sum::<i64>(), 9);
    // Filters: kind, period, branch, organization.
    let deductions = entries(&app, &sec, "kind=deduction").await;
    assert_eq!(deductions.iter().map(|e| e["points"].as_i64().unwrap()).collect::<Vec<_>>(), vec![-1, -2, -4]);
    assert_eq!(entries(&app, &sec, "from=2025-02-01&to=2025-04-01").await.len(), 3);
    assert_eq!(entries(&app, &sec, &format!("branch_id={other}")).await.len(), 1);
    assert_eq!(entries(&app, &w.prefecture_admin, &format!("organization_id={}", w.county)).await.len(), 10);
    assert!(entries(&app, &w.stranger_admin, "").await.is_empty());
    // Paging by day: three pages of 4, 4 and 2, no duplicates or gaps.
    let mut seen = HashSet::new();
    let mut days = vec![];
    let mut path = "/v1/point-entries?page_size=4&order_by=-occurred_on".to_owned();
    let mut pages = 0;
    loop {
        let page = app.get(&path, &sec).await.expect(200);
        pages += 1;
        for e in page.body["items"].as_array().unwrap() {
            assert!(seen.insert(e["id"].as_str().unwrap().to_owned()));
            days.push(e["occurred_on"].as_str().unwrap().to_owned());
        }
        match page.body["next_page_token"].as_str() {
            Some(t) => path = format!("/v1/point-entries?page_size=4&order_by=-occurred_on&page_token={t}"),
            None => break,
        }
    }
    assert_eq!((pages, seen.len()), (3, 10));
    let mut sorted = days.clone();
    sorted.sort_by(|x, y| y.cmp(x));
    assert_eq!(days, sorted);

    // A member-only caller sees its own entries and row only.
    let mine = entries(&app, &p.members[0].1, "").await;
    assert_eq!(mine.len(), 4);
    assert!(mine.iter().all(|e| e["user_id"] == ids[0].as_str()));
    let own = app.get(&format!("/v1/point-balances?branch_id={}", p.branch), &p.members[0].1).await.expect(200);
    assert_eq!(board(&own.body), vec![row(1, "pt.a", 9, 4)]);
    assert!(entries(&app, &d, &format!("user_id={}", ids[0])).await.is_empty());

    // Balances take exactly one of branch and organization, and a sane period.
    let neither = app.get("/v1/point-balances", &sec).await;
    assert_eq!(pointers(&neither), vec!["/branch_id"]);
    let both = app.get(&format!("/v1/point-balances?branch_id={}&organization_id={}", p.branch, w.county), &sec).await;
    assert_eq!(pointers(&both), vec!["/branch_id"]);
    let period =
        app.get(&format!("/v1/point-balances?branch_id={}&from=2025-02-01&to=2025-01-01", p.branch), &sec).await;
    assert_eq!(pointers(&period), vec!["/to"]);
    app.get(&format!("/v1/point-balances?organization_id={}", w.county), &w.stranger_admin)
        .await
        .problem(404, "NOT_FOUND");
    app.get(&format!("/v1/point-balances?branch_id={}", p.branch), &w.stranger_admin).await.problem(404, "NOT_FOUND");
});

both!(point_rules_round_trip_and_effect, |app| async move {
    let p = party(&app, &["pt.a"]).await;
    let w = &p.w;
    let path = format!("/v1/organizations/{}/point-rules", w.county);
    let rules = app.get(&path, &p.members[0].1).await.expect(200);
    assert_eq!(rules.body["organization_id"], w.county.as_str());
    let all = rules.body["rules"].as_array().unwrap();
    assert_eq!(all.len(), 10);
    assert!(all.iter().all(|r| r["is_default"] == true));
    assert!(all.contains(&json!({"activity_type": "study", "points": 1, "is_default": true})));
    assert!(all.contains(&json!({"activity_type": "service", "points": 3, "is_default": true})));

    // Validation: every bad rule at once; nothing changes.
    let bad = put(
        &app,
        &path,
        &p.secretary.1,
        json!({"rules": [
            {"activity_type": "study", "points": 101},
            {"activity_type": "study", "points": 1},
            {"activity_type": "training", "points": -1}
        ]}),
    )
    .await;
    assert_eq!(pointers(&bad), vec!["/rules/0/points", "/rules/1/activity_type", "/rules/2/points"]);
    let unknown = put(&app, &path, &p.secretary.1, json!({"rules": [{"activity_type": "party", "points": 1}]})).await;
    assert_eq!(pointers(&unknown), vec!["/rules/0/activity_type"]);
    // Who: not an officer or a member; not a subordinate's secretary for its superior; not a stranger.
    let set = json!({"rules": [{"activity_type": "study", "points": 5}, {"activity_type": "service", "points": 0}]});
    put(&app, &path, &w.county_officer, set.clone()).await.problem(403, "FORBIDDEN");
    put(&app, &path, &p.members[0].1, set.clone()).await.problem(403, "FORBIDDEN");
    put(&app, &format!("/v1/organizations/{}/point-rules", w.prefecture), &p.secretary.1, set.clone())
        .await
        .problem(403, "FORBIDDEN");
    put(&app, &path, &w.stranger_admin, set.clone()).await.problem(404, "NOT_FOUND");
    app.get(&path, &w.stranger_admin).await.problem(404, "NOT_FOUND");
    assert!(app.get(&path, &w.county_admin).await.expect(200).body["rules"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["is_default"] == true));

    // The party secretary sets them; a superior's admin reads them back.
    let stored = put(&app, &path, &p.secretary.1, set.clone()).await.expect(200);
    let back = app.get(&path, &w.prefecture_admin).await.expect(200);
    assert_eq!(stored.body, back.body);
    let by_type = |body: &Value, t: &str| {
        body["rules"].as_array().unwrap().iter().find(|r| r["activity_type"] == t).cloned().unwrap()
    };
    assert_eq!(by_type(&back.body, "study"), json!({"activity_type": "study", "points": 5, "is_default": false}));
    assert_eq!(by_type(&back.body, "service"), json!({"activity_type": "service", "points": 0, "is_default": false}));
    assert_eq!(by_type(&back.body, "training"), json!({"activity_type": "training", "points": 2, "is_default": true}));

    // Later sign-ins earn the new points.
    let study = app.activity(&w.county_admin, &p.branch, "study", Utc::now(), &[]).await;
    sign_in(&app, &study, &p.members[0].1).await.expect(201);
    assert_eq!(attendance_entries(&app, &study).await, vec![(p.members[0].0.clone(), 5)]);
    let service = app.activity(&w.county_admin, &p.branch, "service", Utc::now(), &[]).await;
    sign_in(&app, &service, &p.members[0].1).await.expect(201);
    assert_eq!(attendance_entries(&app, &service).await, vec![(p.members[0].0.clone(), 0)]);

    // A superior's org admin replaces them (here: with nothing, so the defaults apply again);
    // points already earned stay.
    let reset = put(&app, &path, &w.prefecture_admin, json!({"rules": []})).await.expect(200);
    assert!(reset.body["rules"].as_array().unwrap().iter().all(|r| r["is_default"] == true));
    let lesson = app.activity(&w.county_admin, &p.branch, "study", Utc::now() + Duration::minutes(10), &[]).await;
    sign_in(&app, &lesson, &p.members[0].1).await.expect(201);
    assert_eq!(attendance_entries(&app, &lesson).await, vec![(p.members[0].0.clone(), 1)]);
    assert_eq!(attendance_entries(&app, &study).await, vec![(p.members[0].0.clone(), 5)]);
});
