//! The working calendar (`/v1/calendar/{year}`) and organizations' ticket deadlines
//! (`/v1/organizations/{id}/ticket-deadlines`). Expected days are written by hand from the
//! State Council's notices, never read from the shipped data.

use serde_json::{json, Value};

use crate::support::{Resp, TestApp};

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> Resp {
    app.call(reqwest::Method::PUT, path, Some(token), Some(body), &[]).await
}

/// Starts a PUT on its own task, so several run at once; resolves to its status and body.
fn spawn_put(app: &TestApp, path: &str, token: &str, body: Value) -> tokio::task::JoinHandle<(u16, String)> {
    let req = app.client.put(format!("{}{}", app.base, path)).bearer_auth(token).json(&body);
    tokio::spawn(async move {
        let res = req.send().await.unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    })
}

/// `(day, kind)` of every listed day.
fn days(r: &Resp) -> Vec<(String, String)> {
    r.body["days"]
        .as_array()
        .unwrap_or_else(|| panic!("no days in {}", r.text))
        .iter()
        .map(|d| (d["day"].as_str().unwrap().to_owned(), d["kind"].as_str().unwrap().to_owned()))
        .collect()
}

fn kind_of(r: &Resp, day: &str) -> Option<String> {
    days(r).into_iter().find(|(d, _)| d == day).map(|(_, k)| k)
}

/// The sorted pointers of a 422.
fn pointers(r: &Resp) -> Vec<String> {
    let mut p: Vec<_> =
        r.body["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap().to_owned()).collect();
    p.sort();
    p
}

/// `(priority, working_days, is_default)` of every deadline, in order.
fn deadlines(r: &Resp) -> Vec<(String, u64, bool)> {
    r.body["deadlines"]
        .as_array()
        .unwrap_or_else(|| panic!("no deadlines in {}", r.text))
        .iter()
        .map(|d| {
            (
                d["priority"].as_str().unwrap().to_owned(),
                d["working_days"].as_u64().unwrap(),
                d["is_default"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn defaults() -> Vec<(String, u64, bool)> {
    vec![("urgent".into(), 0, true), ("high".into(), 1, true), ("normal".into(), 2, true), ("low".into(), 5, true)]
}

both!(the_shipped_2026_arrangement_is_loaded, |app| async move {
    let w = app.world().await;
    // Any authenticated caller reads it; an anonymous one does not.
    let r = app.get("/v1/calendar/2026", &w.county_officer).await.expect(200);
    assert_eq!(r.body["year"], 2026);
    assert_eq!(r.body["loaded"], true);
    // New Year: Thu 01-01 to Sat 01-03 off, Sunday 01-04 worked.
    assert_eq!(kind_of(&r, "2026-01-01").as_deref(), Some("holiday"));
    assert_eq!(kind_of(&r, "2026-01-04").as_deref(), Some("workday"));
    // Spring Festival: Saturday 02-14 and Saturday 02-28 worked, 02-16 (Monday) off.
    assert_eq!(kind_of(&r, "2026-02-14").as_deref(), Some("workday"));
    assert_eq!(kind_of(&r, "2026-02-16").as_deref(), Some("holiday"));
    assert_eq!(kind_of(&r, "2026-02-28").as_deref(), Some("workday"));
    // National Day: 10-01 to 10-07 off, Saturday 10-10 worked.
    assert_eq!(kind_of(&r, "2026-10-01").as_deref(), Some("holiday"));
    assert_eq!(kind_of(&r, "2026-10-10").as_deref(), Some("workday"));
    // An ordinary weekday and an ordinary weekend are not listed.
    assert_eq!(kind_of(&r, "2026-03-10"), None);
    assert_eq!(kind_of(&r, "2026-03-14"), None);
    let named = r.body["days"].as_array().unwrap().iter().find(|d| d["day"] == "2026-10-01").unwrap().clone();
    assert!(named["name"].as_str().unwrap().contains("国庆"), "{named}");
    // Only 2026's days, in date order.
    let listed = days(&r);
    assert!(listed.iter().all(|(d, _)| d.starts_with("2026-")), "{listed:?}");
    assert!(listed.windows(2).all(|p| p[0].0 < p[1].0), "{listed:?}");
    assert_eq!(listed.first().map(|d| d.0.as_str()), Some("2026-01-01"));
    // 2025 too: Sunday 2025-01-26 worked before the Spring Festival.
    let r = app.get("/v1/calendar/2025", &w.county_officer).await.expect(200);
    assert_eq!(r.body["loaded"], true);
    assert_eq!(kind_of(&r, "2025-01-26").as_deref(), Some("workday"));
    let r = app.call(reqwest::Method::GET, "/v1/calendar/2026", None, None, &[]).await;
    r.problem(401, "MISSING_TOKEN");
    // Apps find the labels of the day kinds and priorities.
    let enums = app.call(reqwest::Method::GET, "/v1/meta/enums", None, None, &[]).await.expect(200);
    let names: Vec<_> = enums.body["items"].as_array().unwrap().iter().map(|e| e["name"].clone()).collect();
    assert!(names.contains(&json!("DayKind")) && names.contains(&json!("Priority")), "{names:?}");
});

both!(a_year_without_arrangement_is_not_loaded_and_lists_nothing, |app| async move {
    let (_, officer) = app.user(&app.org(None, "province", "YN").await, "yn.officer", "officer").await;
    let r = app.get("/v1/calendar/2030", &officer).await.expect(200);
    assert_eq!(r.body["year"], 2030);
    assert_eq!(r.body["loaded"], false);
    assert_eq!(r.body["days"], json!([]));
    // Outside the years the calendar answers for, or not a year at all.
    app.get("/v1/calendar/1999", &officer).await.problem(404, "NOT_FOUND");
    app.get("/v1/calendar/2101", &officer).await.problem(404, "NOT_FOUND");
    app.get("/v1/calendar/next", &officer).await.problem(404, "NOT_FOUND");
    // A known path with a wrong method.
    let r = app.delete("/v1/calendar/2030", &officer).await.problem(405, "METHOD_NOT_ALLOWED");
    let allow = r.header("allow").unwrap();
    assert!(allow.contains("GET") && allow.contains("PUT"), "{allow}");
});

both!(a_sysadmin_replaces_a_year, |app| async move {
    // 2030-10-01 is a Tuesday, 2030-09-29 a Sunday, 2030-02-04 a Monday.
    let body = json!({"days": [
        {"day": "2030-10-02", "kind": "holiday", "name": "国庆节 National Day"},
        {"day": "2030-10-01", "kind": "holiday", "name": " 国庆节 National Day "},
        {"day": "2030-09-29", "kind": "workday", "name": "国庆节调休 National Day make-up"},
        {"day": "2030-02-04", "kind": "holiday", "name": "春节 Spring Festival"}
    ]});
    let r = put(&app, "/v1/calendar/2030", &app.admin_token, body).await.expect(200);
    assert_eq!(r.body["year"], 2030);
    assert_eq!(r.body["loaded"], true);
    let expected = vec![
        ("2030-02-04".to_owned(), "holiday".to_owned()),
        ("2030-09-29".to_owned(), "workday".to_owned()),
        ("2030-10-01".to_owned(), "holiday".to_owned()),
        ("2030-10-02".to_owned(), "holiday".to_owned()),
    ];
    assert_eq!(days(&r), expected);
    let (_, officer) = app.user(&app.org(None, "province", "YN").await, "yn.officer", "officer").await;
    let r = app.get("/v1/calendar/2030", &officer).await.expect(200);
    assert_eq!(r.body["loaded"], true);
    assert_eq!(days(&r), expected);
    assert_eq!(r.body["days"][2]["name"], "国庆节 National Day");

    // A second replacement drops the days it does not list; other years are untouched.
    let body = json!({"days": [{"day": "2030-10-03", "kind": "holiday", "name": "国庆节 National Day"}]});
    put(&app, "/v1/calendar/2030", &app.admin_token, body).await.expect(200);
    let r = app.get("/v1/calendar/2030", &officer).await.expect(200);
    assert_eq!(days(&r), vec![("2030-10-03".to_owned(), "holiday".to_owned())]);
    let r = app.get("/v1/calendar/2026", &officer).await.expect(200);
    assert_eq!(kind_of(&r, "2026-10-01").as_deref(), Some("holiday"));
    assert_eq!(app.get("/v1/calendar/2031", &officer).await.expect(200).body["loaded"], false);

    // An empty arrangement is a loaded year with only weekends off.
    let r = put(&app, "/v1/calendar/2031", &app.admin_token, json!({"days": []})).await.expect(200);
    assert_eq!(r.body["loaded"], true);
    assert_eq!(r.body["days"], json!([]));
});

both!(only_a_sysadmin_edits_the_calendar, |app| async move {
    let w = app.world().await;
    let body = |day: &str| json!({"days": [{"day": day, "kind": "holiday", "name": "只放一天"}]});
    for token in [&w.province_admin, &w.county_officer] {
        put(&app, "/v1/calendar/2026", token, body("2026-10-01")).await.problem(403, "FORBIDDEN");
        put(&app, "/v1/calendar/2030", token, body("2030-10-01")).await.problem(403, "FORBIDDEN");
        // Refused whatever the body: it could never be allowed.
        put(&app, "/v1/calendar/2030", token, body("2031-10-01")).await.problem(403, "FORBIDDEN");
    }
    // Nothing changed.
    let r = app.get("/v1/calendar/2026", &w.province_admin).await.expect(200);
    assert_eq!(kind_of(&r, "2026-10-02").as_deref(), Some("holiday"));
    assert_eq!(kind_of(&r, "2026-02-14").as_deref(), Some("workday"));
    let r = app.get("/v1/calendar/2030", &w.province_admin).await.expect(200);
    assert_eq!(r.body["loaded"], false);
    assert_eq!(r.body["days"], json!([]));
});

both!(a_calendar_year_is_validated_all_at_once, |app| async move {
    // 2030-02-02 is a Saturday, 2030-02-04 a Monday, 2030-10-01 a Tuesday; 2030-02-30 does not exist.
    let body = json!({"days": [
        {"day": "2031-01-01", "kind": "holiday", "name": "元旦"},
        {"day": "2030-02-02", "kind": "holiday", "name": "春节"},
        {"day": "2030-10-01", "kind": "holiday", "name": "国庆节"},
        {"day": "2030-10-01", "kind": "holiday", "name": "国庆节"},
        {"day": "2030-02-30", "kind": "holiday", "name": "春节"},
        {"day": "2030-02-04", "kind": "workday", "name": "调休"},
        {"day": "2030-05-01", "kind": "holiday", "name": "  "}
    ]});
    let r = put(&app, "/v1/calendar/2030", &app.admin_token, body).await.problem(422, "VALIDATION_FAILED");
    assert_eq!(
        pointers(&r),
        vec!["/days/0/day", "/days/1/kind", "/days/3/day", "/days/4/day", "/days/5/kind", "/days/6/name"]
    );
    let code =
        |p: &str| r.body["errors"].as_array().unwrap().iter().find(|e| e["pointer"] == p).unwrap()["code"].clone();
    assert_eq!(code("/days/0/day"), "year");
    assert_eq!(code("/days/3/day"), "duplicate");
    assert_eq!(code("/days/4/day"), "date");
    // An unknown kind or field names the field.
    let r = put(
        &app,
        "/v1/calendar/2030",
        &app.admin_token,
        json!({"days": [{"day": "2030-10-01", "kind": "vacation", "name": "x"}]}),
    )
    .await
    .problem(422, "VALIDATION_FAILED");
    assert_eq!(pointers(&r), vec!["/days/0/kind"]);
    let r = put(
        &app,
        "/v1/calendar/2030",
        &app.admin_token,
        json!({"days": [{"day": "2030-10-01", "kind": "holiday", "name": "x", "note": 1}]}),
    )
    .await
    .problem(422, "VALIDATION_FAILED");
    assert_eq!(pointers(&r), vec!["/days/0/note"]);
    // Nothing was stored.
    let r = app.get("/v1/calendar/2030", &app.admin_token).await.expect(200);
    assert_eq!(r.body["loaded"], false);
    assert_eq!(r.body["days"], json!([]));
});

both!(deadlines_default_and_an_org_admin_changes_them, |app| async move {
    let w = app.world().await;
    let path = format!("/v1/organizations/{}/ticket-deadlines", w.county);
    let r = app.get(&path, &w.county_officer).await.expect(200);
    assert_eq!(r.body["organization_id"], w.county.as_str());
    assert_eq!(deadlines(&r), defaults());

    let r = put(&app, &path, &w.county_admin, json!({"deadlines": [{"priority": "high", "working_days": 2}]}))
        .await
        .expect(200);
    let mut expected = defaults();
    expected[1] = ("high".into(), 2, false);
    assert_eq!(deadlines(&r), expected);
    assert_eq!(deadlines(&app.get(&path, &w.county_officer).await.expect(200)), expected);

    // Priorities not given keep their value; a superior's admin and a sysadmin may set them.
    put(&app, &path, &w.province_admin, json!({"deadlines": [{"priority": "low", "working_days": 10}]}))
        .await
        .expect(200);
    put(
        &app,
        &path,
        &app.admin_token,
        json!({"deadlines": [{"priority": "urgent", "working_days": 1}, {"priority": "high", "working_days": 3}]}),
    )
    .await
    .expect(200);
    let r = app.get(&path, &w.county_officer).await.expect(200);
    assert_eq!(
        deadlines(&r),
        vec![
            ("urgent".into(), 1, false),
            ("high".into(), 3, false),
            ("normal".into(), 2, true),
            ("low".into(), 10, false)
        ]
    );
    // Each organization has its own: the prefecture still has the defaults.
    let r = app.get(&format!("/v1/organizations/{}/ticket-deadlines", w.prefecture), &w.prefecture_admin).await;
    assert_eq!(deadlines(&r.expect(200)), defaults());
});

both!(deadlines_only_by_an_admin_of_the_organization_or_a_superior, |app| async move {
    let w = app.world().await;
    let body = json!({"deadlines": [{"priority": "high", "working_days": 5}]});
    let prefecture = format!("/v1/organizations/{}/ticket-deadlines", w.prefecture);
    let county = format!("/v1/organizations/{}/ticket-deadlines", w.county);
    // A subordinate's admin sees its superior but may not set its deadlines.
    put(&app, &prefecture, &w.county_admin, body.clone()).await.problem(403, "FORBIDDEN");
    // An officer is not an admin.
    put(&app, &county, &w.county_officer, body.clone()).await.problem(403, "FORBIDDEN");
    // A stranger sees nothing of the tree, like a missing organization.
    app.get(&county, &w.stranger_admin).await.problem(404, "NOT_FOUND");
    put(&app, &county, &w.stranger_admin, body.clone()).await.problem(404, "NOT_FOUND");
    let missing = "/v1/organizations/01936f3e-0000-7000-8000-00000000dead/ticket-deadlines";
    app.get(missing, &app.admin_token).await.problem(404, "NOT_FOUND");
    put(&app, missing, &app.admin_token, body).await.problem(404, "NOT_FOUND");
    // Nothing changed.
    assert_eq!(deadlines(&app.get(&prefecture, &w.prefecture_admin).await.expect(200)), defaults());
    assert_eq!(deadlines(&app.get(&county, &w.county_admin).await.expect(200)), defaults());
});

both!(deadlines_are_validated, |app| async move {
    let w = app.world().await;
    let path = format!("/v1/organizations/{}/ticket-deadlines", w.county);
    let r = put(
        &app,
        &path,
        &w.county_admin,
        json!({"deadlines": [
            {"priority": "high", "working_days": 31},
            {"priority": "low", "working_days": -1},
            {"priority": "normal", "working_days": 30},
            {"priority": "high", "working_days": 2}
        ]}),
    )
    .await
    .problem(422, "VALIDATION_FAILED");
    assert_eq!(pointers(&r), vec!["/deadlines/0/working_days", "/deadlines/1/working_days", "/deadlines/3/priority"]);
    let r = put(&app, &path, &w.county_admin, json!({"deadlines": [{"priority": "critical", "working_days": 1}]}))
        .await
        .problem(422, "VALIDATION_FAILED");
    assert_eq!(pointers(&r), vec!["/deadlines/0/priority"]);
    let r = put(&app, &path, &w.county_admin, json!({"deadlines": [{"priority": "high"}]}))
        .await
        .problem(422, "VALIDATION_FAILED");
    assert_eq!(pointers(&r), vec!["/deadlines/0/working_days"]);
    // Nothing was stored, not even the valid value of the refused request.
    assert_eq!(deadlines(&app.get(&path, &w.county_admin).await.expect(200)), defaults());
    // The bounds themselves are accepted.
    let r = put(
        &app,
        &path,
        &w.county_admin,
        json!({"deadlines": [{"priority": "urgent", "working_days": 0}, {"priority": "low", "working_days": 30}]}),
    )
    .await
    .expect(200);
    assert_eq!(deadlines(&r)[3], ("low".into(), 30, false));
    assert_eq!(deadlines(&r)[0], ("urgent".into(), 0, false));
});

both!(concurrent_writes_each_succeed_and_one_wins_whole, |app| async move {
    // Eight sysadmins' replacements of a year never loaded, at once: each is applied whole,
    // one after the other, so the year ends with exactly one of them.
    let fridays = ["2032-01-02", "2032-01-09", "2032-01-16", "2032-01-23", "2032-01-30", "2032-02-06", "2032-02-13"];
    let puts = fridays.iter().chain(["2032-02-20"].iter()).map(|d| {
        let body = json!({"days": [
            {"day": d, "kind": "holiday", "name": "放假"},
            {"day": "2032-10-01", "kind": "holiday", "name": "国庆节"}
        ]});
        spawn_put(&app, "/v1/calendar/2032", &app.admin_token, body)
    });
    for task in puts.collect::<Vec<_>>() {
        let (status, text) = task.await.unwrap();
        assert_eq!(status, 200, "{text}");
    }
    let r = app.get("/v1/calendar/2032", &app.admin_token).await.expect(200);
    assert_eq!(r.body["loaded"], true);
    let listed = days(&r);
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[1], ("2032-10-01".to_owned(), "holiday".to_owned()));

    // Likewise the first deadlines of an organization, set at once by several admins.
    let w = app.world().await;
    let path = format!("/v1/organizations/{}/ticket-deadlines", w.county);
    let sets = [&w.county_admin, &w.prefecture_admin, &w.province_admin, &app.admin_token].into_iter().zip(1..).map(
        |(token, n)| spawn_put(&app, &path, token, json!({"deadlines": [{"priority": "normal", "working_days": n}]})),
    );
    for task in sets.collect::<Vec<_>>() {
        let (status, text) = task.await.unwrap();
        assert_eq!(status, 200, "{text}");
    }
    let r = deadlines(&app.get(&path, &w.county_admin).await.expect(200));
    assert!(matches!(r[2], (ref p, 1..=4, false) if p == "normal"), "{r:?}");
});
