//! Organizations: the tree, who may create and change what, who sees what, and the list
//! and write conventions every resource shares (paging, ETags, idempotency).

use serde_json::json;

both!(round_trip_create_read_list_update, |app| async move {
    let province = app.org(None, "province", "YN").await;
    let (_, admin) = app.user(&province, "yn.admin", "org_admin").await;
    let created = app
        .post(
            "/v1/organizations",
            &admin,
            json!({"parent_id": province, "level": "prefecture", "name": "德宏州投资促进局", "short_code": "YN-DH", "region_code": "533100"}),
        )
        .await
        .expect(201);
    let id = created.id();
    assert_eq!(created.header("location"), Some(format!("/v1/organizations/{id}")));
    assert_eq!(created.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(created.body["time_zone"], "Asia/Shanghai");
    assert_eq!(created.body["parent_id"], province.as_str());

    let read = app.get(&format!("/v1/organizations/{id}"), &admin).await.expect(200);
    assert_eq!(read.body["name"], "德宏州投资促进局");
    assert_eq!(read.body["level"], "prefecture");

    let list = app.get(&format!("/v1/organizations?parent_id={province}"), &admin).await.expect(200);
    let names: Vec<_> = list.body["items"].as_array().unwrap().iter().map(|o| o["short_code"].clone()).collect();
    assert_eq!(names, vec![json!("YN-DH")]);

    let updated = app
        .call(
            reqwest::Method::PATCH,
            &format!("/v1/organizations/{id}"),
            Some(&admin),
            Some(json!({"name": "德宏傣族景颇族自治州投资促进局"})),
            &[("if-match", "\"1\"")],
        )
        .await
        .expect(200);
    assert_eq!(updated.body["version"], 2);
    assert_eq!(updated.header("etag").as_deref(), Some("\"2\""));
    let read = app.get(&format!("/v1/organizations/{id}"), &admin).await.expect(200);
    assert_eq!(read.body["name"], "德宏傣族景颇族自治州投资促进局");
});

both!(only_a_sysadmin_creates_top_level_and_admins_create_only_in_their_subtree, |app| async move {
    let w = app.world().await;
    let top = json!({"level": "province", "name": "四川省投资促进局", "short_code": "SC", "region_code": "510000"});
    app.post("/v1/organizations", &w.province_admin, top.clone()).await.problem(403, "FORBIDDEN");
    app.post("/v1/organizations", &app.admin_token, top).await.expect(201);

    // Under a superior it sees but does not administer: 403. Under a stranger: 404.
    let child = |parent: &str| json!({"parent_id": parent, "level": "team", "name": "小分队", "short_code": "T-1", "region_code": "533102"});
    app.post("/v1/organizations", &w.county_admin, child(&w.prefecture)).await.problem(403, "FORBIDDEN");
    app.post("/v1/organizations", &w.county_admin, child(&w.stranger)).await.problem(404, "NOT_FOUND");
    // An officer is not an admin.
    app.post("/v1/organizations", &w.county_officer, child(&w.county)).await.problem(403, "FORBIDDEN");
    // A superior's admin creates under a descendant.
    let made = app.post("/v1/organizations", &w.province_admin, child(&w.county)).await.expect(201);
    assert_eq!(made.body["parent_id"], w.county.as_str());
    // Nothing was created by the refused attempts.
    let teams = app.get("/v1/organizations?level=team", &app.admin_token).await.expect(200);
    assert_eq!(teams.body["items"].as_array().unwrap().len(), 1);
});

both!(visibility_superior_sees_subordinates_and_strangers_get_404, |app| async move {
    let w = app.world().await;
    // The province sees the county; the county sees its chain of superiors' names.
    app.get(&format!("/v1/organizations/{}", w.county), &w.province_admin).await.expect(200);
    app.get(&format!("/v1/organizations/{}", w.province), &w.county_admin).await.expect(200);
    // A stranger sees none of the tree, exactly like a missing record.
    for id in [&w.province, &w.prefecture, &w.county] {
        app.get(&format!("/v1/organizations/{id}"), &w.stranger_admin).await.problem(404, "NOT_FOUND");
    }
    app.get("/v1/organizations/01936f3e-0000-7000-8000-00000000dead", &w.stranger_admin)
        .await
        .problem(404, "NOT_FOUND");
    let list = app.get("/v1/organizations", &w.stranger_admin).await.expect(200);
    let ids: Vec<_> =
        list.body["items"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids, vec![w.stranger.clone()]);
    // The county does not list its sibling subtrees' children of the province.
    let list = app.get(&format!("/v1/organizations?within={}", w.province), &w.province_admin).await.expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 3);
});

both!(an_admin_cannot_change_a_superior_or_a_stranger, |app| async move {
    let w = app.world().await;
    let patch = json!({"name": "改名"});
    app.patch(&format!("/v1/organizations/{}", w.prefecture), &w.county_admin, patch.clone())
        .await
        .problem(403, "FORBIDDEN");
    app.patch(&format!("/v1/organizations/{}", w.stranger), &w.county_admin, patch.clone())
        .await
        .problem(404, "NOT_FOUND");
    let read = app.get(&format!("/v1/organizations/{}", w.prefecture), &w.province_admin).await.expect(200);
    assert_eq!(read.body["name"], "YN-DH 投资促进局");
    assert_eq!(read.body["version"], 1);
    // The superior changes its subordinate.
    app.patch(&format!("/v1/organizations/{}", w.county), &w.province_admin, patch).await.expect(200);
});

both!(validation_names_every_failing_field, |app| async move {
    let r = app
        .post(
            "/v1/organizations",
            &app.admin_token,
            json!({"level": "province", "name": " ", "short_code": "lower", "region_code": "993102", "time_zone": "Europe/Paris"}),
        )
        .await
        .problem(422, "VALIDATION_FAILED");
    let mut pointers: Vec<_> =
        r.body["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap().to_owned()).collect();
    pointers.sort();
    assert_eq!(pointers, vec!["/name", "/region_code", "/short_code", "/time_zone"]);
    // A level that does not fit under the parent.
    let county = app.org(None, "county", "RL").await;
    app.post(
        "/v1/organizations",
        &app.admin_token,
        json!({"parent_id": county, "level": "province", "name": "x", "short_code": "XX", "region_code": "530000"}),
    )
    .await
    .problem(422, "VALIDATION_FAILED");
    // Server-owned and unknown fields are refused, naming the field.
    let r = app
        .patch(&format!("/v1/organizations/{county}"), &app.admin_token, json!({"version": 7}))
        .await
        .problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["errors"][0]["pointer"], "/version");
    assert_eq!(r.body["errors"][0]["code"], "read_only");
    let r = app
        .patch(&format!("/v1/organizations/{county}"), &app.admin_token, json!({"nmae": "typo"}))
        .await
        .problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["errors"][0]["pointer"], "/nmae");
    assert_eq!(r.body["errors"][0]["code"], "unknown_field");
    // A required field cannot be removed with a merge-patch null.
    let r = app
        .patch(&format!("/v1/organizations/{county}"), &app.admin_token, json!({"name": null}))
        .await
        .problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["errors"][0]["pointer"], "/name");
    let read = app.get(&format!("/v1/organizations/{county}"), &app.admin_token).await.expect(200);
    assert_eq!(read.body["version"], 1);
});

both!(duplicate_short_code_and_client_id_conflict, |app| async move {
    let id = "01936f3e-1111-7000-8000-000000000001";
    let body = json!({"id": id, "level": "province", "name": "甲", "short_code": "DUP", "region_code": "530000"});
    app.post("/v1/organizations", &app.admin_token, body).await.expect(201);
    let again = json!({"id": id, "level": "province", "name": "乙", "short_code": "OTHER", "region_code": "530000"});
    app.post("/v1/organizations", &app.admin_token, again).await.problem(409, "ALREADY_EXISTS");
    let same_code = json!({"level": "province", "name": "丙", "short_code": "DUP", "region_code": "530000"});
    app.post("/v1/organizations", &app.admin_token, same_code).await.problem(409, "SHORT_CODE_TAKEN");
    app.post(
        "/v1/organizations",
        &app.admin_token,
        json!({"id": "not-a-uuid", "level": "province", "name": "丁", "short_code": "D2", "region_code": "530000"}),
    )
    .await
    .problem(422, "VALIDATION_FAILED");
});

both!(stale_if_match_is_412_and_if_none_match_is_304, |app| async move {
    let id = app.org(None, "province", "YN").await;
    let path = format!("/v1/organizations/{id}");
    app.patch(&path, &app.admin_token, json!({"name": "第一次"})).await.expect(200);
    let r = app
        .call(
            reqwest::Method::PATCH,
            &path,
            Some(&app.admin_token),
            Some(json!({"name": "第二次"})),
            &[("if-match", "\"1\"")],
        )
        .await
        .problem(412, "PRECONDITION_FAILED");
    assert_eq!(r.body["current_version"], 2);
    let read = app.get(&path, &app.admin_token).await.expect(200);
    assert_eq!(read.body["name"], "第一次");
    let r = app.call(reqwest::Method::GET, &path, Some(&app.admin_token), None, &[("if-none-match", "\"2\"")]).await;
    assert_eq!(r.status.as_u16(), 304);
    let r = app.call(reqwest::Method::GET, &path, Some(&app.admin_token), None, &[("if-none-match", "\"1\"")]).await;
    assert_eq!(r.status.as_u16(), 200);
});

both!(idempotent_create_replays_and_refuses_a_different_body, |app| async move {
    let body = json!({"level": "province", "name": "云南", "short_code": "YN", "region_code": "530000"});
    let h = [("idempotency-key", "create-yn-1")];
    let first = app
        .call(reqwest::Method::POST, "/v1/organizations", Some(&app.admin_token), Some(body.clone()), &h)
        .await
        .expect(201);
    let second =
        app.call(reqwest::Method::POST, "/v1/organizations", Some(&app.admin_token), Some(body), &h).await.expect(201);
    assert_eq!(first.body, second.body);
    assert_eq!(second.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(first.header("location"), second.header("location"));
    let other = json!({"level": "province", "name": "四川", "short_code": "SC", "region_code": "510000"});
    app.call(reqwest::Method::POST, "/v1/organizations", Some(&app.admin_token), Some(other), &h)
        .await
        .problem(422, "VALIDATION_FAILED");
    let list = app.get("/v1/organizations?level=province", &app.admin_token).await.expect(200);
    // PLATFORM and YN: one creation only.
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2);
});

both!(concurrent_duplicates_with_one_key_make_one_record, |app| async move {
    let body = json!({"level": "province", "name": "云南", "short_code": "YN", "region_code": "530000"});
    let mut handles = vec![];
    for _ in 0..6 {
        let (client, base, token, body) = (app.client.clone(), app.base.clone(), app.admin_token.clone(), body.clone());
        handles.push(tokio::spawn(async move {
            let r = client
                .post(format!("{base}/v1/organizations"))
                .bearer_auth(token)
                .header("idempotency-key", "race-1")
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<serde_json::Value>().await.unwrap())
        }));
    }
    let mut ids = std::collections::HashSet::new();
    for h in handles {
        let (status, body) = h.await.unwrap();
        assert!(status == 201 || status == 409, "status {status}: {body}");
        if status == 201 {
            ids.insert(body["id"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(ids.len(), 1, "every success replays the same record");
    let list = app.get("/v1/organizations?level=province", &app.admin_token).await.expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2);
});

both!(paging_walks_every_record_once_and_tokens_are_tamper_evident, |app| async move {
    let province = app.org(None, "province", "YN").await;
    for i in 0..7 {
        app.org(Some(&province), "department", &format!("D-{i}")).await;
    }
    for order in ["id", "updated_at"] {
        let mut seen = vec![];
        let mut path = format!("/v1/organizations?within={province}&page_size=3&order_by={order}");
        let mut pages = 0;
        loop {
            let r = app.get(&path, &app.admin_token).await.expect(200);
            pages += 1;
            for o in r.body["items"].as_array().unwrap() {
                seen.push(o["id"].as_str().unwrap().to_owned());
            }
            match r.body["next_page_token"].as_str() {
                Some(t) => {
                    path = format!("/v1/organizations?within={province}&page_size=3&order_by={order}&page_token={t}")
                }
                None => break,
            }
        }
        assert_eq!(pages, 3);
        let unique: std::collections::HashSet<_> = seen.iter().collect();
        assert_eq!(seen.len(), 8);
        assert_eq!(unique.len(), 8);
    }
    let first =
        app.get(&format!("/v1/organizations?within={province}&page_size=3"), &app.admin_token).await.expect(200);
    let token = first.body["next_page_token"].as_str().unwrap().to_owned();
    // Altered token.
    let mut forged = token.clone().into_bytes();
    forged[5] = if forged[5] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    app.get(&format!("/v1/organizations?within={province}&page_size=3&page_token={forged}"), &app.admin_token)
        .await
        .problem(400, "INVALID_PAGE_TOKEN");
    // The same token with other filters, or by another caller.
    app.get(&format!("/v1/organizations?level=department&page_size=3&page_token={token}"), &app.admin_token)
        .await
        .problem(400, "INVALID_PAGE_TOKEN");
    let (_, other) = app.user(&province, "yn.viewer", "viewer").await;
    app.get(&format!("/v1/organizations?within={province}&page_size=3&page_token={token}"), &other)
        .await
        .problem(400, "INVALID_PAGE_TOKEN");
    // Page size bounds.
    app.get("/v1/organizations?page_size=201", &app.admin_token).await.problem(400, "INVALID_PAGE_SIZE");
    app.get("/v1/organizations?page_size=0", &app.admin_token).await.problem(400, "INVALID_PAGE_SIZE");
    app.get("/v1/organizations?page_size=200", &app.admin_token).await.expect(200);
});

both!(updated_since_returns_only_later_changes, |app| async move {
    let a = app.org(None, "province", "AA").await;
    let b = app.org(None, "province", "BB").await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let mark = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    app.patch(&format!("/v1/organizations/{b}"), &app.admin_token, json!({"name": "改"})).await.expect(200);
    let since = mark.to_rfc3339_opts(chrono::SecondsFormat::Micros, true).replace('+', "%2B");
    let r = app.get(&format!("/v1/organizations?updated_since={since}"), &app.admin_token).await.expect(200);
    let ids: Vec<_> =
        r.body["items"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids, vec![b]);
    assert!(!ids.contains(&a));
    app.get("/v1/organizations?updated_since=yesterday", &app.admin_token).await.problem(400, "INVALID_QUERY");
});
