//! Funds arrived and signing events: totals that the statistics quote, and who may change them.

use serde_json::json;

use crate::support::*;

/// A signed project of `org`, created and moved by `token`.
async fn signed_project(app: &TestApp, token: &str, name: &str, yi: i64) -> String {
    let id = app
        .post(
            "/v1/projects",
            token,
            json!({"name": name, "category": "industrial", "contract_amount_minor": yi * 10_000_000_000i64, "lead_on": "2026-01-05"}),
        )
        .await
        .expect(201)
        .id();
    app.post(
        &format!("/v1/projects/{id}/transitions"),
        token,
        json!({"to_stage": "signed", "effective_on": "2026-06-16"}),
    )
    .await
    .expect(200);
    id
}

both!(fund_arrivals_keep_the_running_total, |app| async move {
    let w = app.world().await;
    let p = signed_project(&app, &w.county_officer, "海滨集团热电联产项目", 60).await;
    let path = format!("/v1/projects/{p}/fund-arrivals");
    let first = app
        .post(
            &path,
            &w.county_officer,
            json!({"arrived_on": "2026-07-01", "amount_minor": 120_000_000_000_i64, "note": "首期"}),
        )
        .await
        .expect(201);
    assert_eq!(first.body["cny_minor"], 120_000_000_000_i64);
    assert_eq!(first.body["currency"], "CNY");
    let usd = app
        .post(
            &path,
            &w.county_officer,
            json!({"arrived_on": "2026-08-01", "amount_minor": 10_000_000_000_i64, "currency": "USD", "cny_minor": 72_000_000_000_i64}),
        )
        .await
        .expect(201);
    let project = app.get(&format!("/v1/projects/{p}"), &w.county_officer).await.expect(200);
    assert_eq!(project.body["funds_arrived_cny_minor"], 192_000_000_000_i64);
    let list = app.get(&path, &w.province_admin).await.expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2);

    // A foreign amount needs its CNY equivalent; the future and negative money are refused.
    let r = app
        .post(&path, &w.county_officer, json!({"arrived_on": "2026-08-01", "amount_minor": 5, "currency": "USD"}))
        .await
        .problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["errors"][0]["pointer"], "/cny_minor");
    app.post(&path, &w.county_officer, json!({"arrived_on": "2999-01-01", "amount_minor": 5}))
        .await
        .problem(422, "VALIDATION_FAILED");
    app.post(&path, &w.county_officer, json!({"arrived_on": "2026-08-01", "amount_minor": -5}))
        .await
        .problem(422, "VALIDATION_FAILED");
    app.post(&path, &w.county_officer, json!({"arrived_on": "2026-02-30", "amount_minor": 5}))
        .await
        .problem(422, "VALIDATION_FAILED");

    // Deleting one takes it off the total.
    app.delete(&format!("{path}/{}", usd.id()), &w.county_officer).await.expect(204);
    let project = app.get(&format!("/v1/projects/{p}"), &w.county_officer).await.expect(200);
    assert_eq!(project.body["funds_arrived_cny_minor"], 120_000_000_000_i64);
    app.delete(&format!("{path}/{}", usd.id()), &w.county_officer).await.problem(404, "NOT_FOUND");

    // A stranger sees nothing; a viewer of the owner reads but may not add.
    app.get(&path, &w.stranger_admin).await.problem(404, "NOT_FOUND");
    app.post(&path, &w.stranger_admin, json!({"arrived_on": "2026-08-01", "amount_minor": 5}))
        .await
        .problem(404, "NOT_FOUND");
    let (_, viewer) = app.user(&w.county, "rl.viewer", "viewer").await;
    app.get(&path, &viewer).await.expect(200);
    app.post(&path, &viewer, json!({"arrived_on": "2026-08-01", "amount_minor": 5})).await.problem(403, "FORBIDDEN");
    app.delete(&format!("{path}/{}", first.id()), &viewer).await.problem(403, "FORBIDDEN");
    let project = app.get(&format!("/v1/projects/{p}"), &w.county_officer).await.expect(200);
    assert_eq!(project.body["funds_arrived_cny_minor"], 120_000_000_000_i64);
});

both!(signing_events_count_and_total_their_projects, |app| async move {
    let w = app.world().await;
    let a = signed_project(&app, &w.county_officer, "麦格纳座椅（中国）研发中心项目", 15).await;
    let b = signed_project(&app, &w.county_officer, "秒秒测智能终端总部基地项目", 8).await;
    let lead = app
        .post(
            "/v1/projects",
            &w.county_officer,
            json!({"name": "线索项目", "category": "commerce", "contract_amount_minor": 100}),
        )
        .await
        .expect(201)
        .id();
    let event = app
        .post(
            "/v1/signing-events",
            &w.county_officer,
            json!({"name": "重点项目集中签约活动", "held_on": "2026-06-16", "place": "瑞丽"}),
        )
        .await
        .expect(201);
    let path = format!("/v1/signing-events/{}", event.id());
    assert_eq!(event.body["project_count"], 0);
    app.post(&format!("{path}/projects"), &w.county_officer, json!({"project_id": a})).await.expect(200);
    let r = app
        .post(
            &format!("{path}/projects"),
            &w.county_officer,
            json!({"project_id": b, "amount_minor": 70_000_000_000_i64, "currency": "CNY"}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["project_count"], 2);
    assert_eq!(r.body["total_cny_minor"], 15 * 10_000_000_000i64 + 70_000_000_000_i64);
    // A lead cannot be attached, and attaching changed nothing on the projects.
    app.post(&format!("{path}/projects"), &w.county_officer, json!({"project_id": lead}))
        .await
        .problem(409, "PROJECT_NOT_SIGNED");
    app.post(&format!("{path}/projects"), &w.county_officer, json!({"project_id": a}))
        .await
        .problem(409, "ALREADY_ATTACHED");
    let pa = app.get(&format!("/v1/projects/{a}"), &w.county_officer).await.expect(200);
    assert_eq!(pa.body["stage"], "signed");
    assert_eq!(pa.body["version"], 2);
    // Detach.
    let r = app.delete(&format!("{path}/projects/{b}"), &w.county_officer).await.expect(200);
    assert_eq!(r.body["project_count"], 1);
    assert_eq!(r.body["total_cny_minor"], 15 * 10_000_000_000i64);
    app.delete(&format!("{path}/projects/{b}"), &w.county_officer).await.problem(404, "NOT_FOUND");

    // Superior reads; stranger gets 404; a viewer may not change it.
    app.get(&path, &w.province_admin).await.expect(200);
    app.get(&path, &w.stranger_admin).await.problem(404, "NOT_FOUND");
    let list =
        app.get("/v1/signing-events?held_from=2026-06-01&held_to=2026-06-30", &w.province_admin).await.expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    let list = app.get("/v1/signing-events?held_from=2026-07-01", &w.province_admin).await.expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 0);
    let list = app.get("/v1/signing-events", &w.stranger_admin).await.expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 0);
    let (_, viewer) = app.user(&w.county, "rl.viewer", "viewer").await;
    app.patch(&path, &viewer, json!({"place": "芒市"})).await.problem(403, "FORBIDDEN");
    // Update with If-Match, then delete.
    let cur = app.get(&path, &w.county_officer).await.expect(200);
    let v = cur.body["version"].as_i64().unwrap();
    app.call(
        reqwest::Method::PATCH,
        &path,
        Some(&w.county_officer),
        Some(json!({"place": "芒市"})),
        &[("if-match", &format!("\"{}\"", v - 1))],
    )
    .await
    .problem(412, "PRECONDITION_FAILED");
    let r = app.patch(&path, &w.county_officer, json!({"place": "芒市"})).await.expect(200);
    assert_eq!(r.body["place"], "芒市");
    app.delete(&path, &viewer).await.problem(403, "FORBIDDEN");
    app.delete(&path, &w.county_officer).await.expect(204);
    app.get(&path, &w.county_officer).await.problem(404, "NOT_FOUND");
});
