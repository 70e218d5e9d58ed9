//! Enterprises (企业 / 客商): every field, the USCC check character, duplicates within and
//! across organizations, contacts with masked personal data, sharing with alliances, who sees
//! and changes what, filters, paging, ETags and idempotency.

use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{Resp, TestApp, World};

/// Published valid USCCs (seed 004's issuer, and two listed companies).
const USCC_LIANGJIANG: &str = "11500381MB1984929M";
const USCC_FUJIAN: &str = "91350100M000100Y43";
const USCC_SHENZHEN: &str = "9144030071526726XG";

fn path(id: &str) -> String {
    format!("/v1/enterprises/{id}")
}

/// Creates an enterprise with just a name (and `extra` fields) and returns its id.
async fn enterprise(app: &TestApp, token: &str, name: &str, extra: Value) -> String {
    let mut body = json!({"name": name});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    app.post("/v1/enterprises", token, body).await.expect(201).id()
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

fn sorted(v: &[&String]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| (*s).clone()).collect();
    v.sort();
    v
}

fn pointers(r: &Resp) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = r.body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {}", r.text))
        .iter()
        .map(|e| (e["pointer"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned()))
        .collect();
    v.sort();
    v
}

/// An alliance founded by `founder_admin`'s organization with `member` invited and accepted.
async fn alliance(app: &TestApp, founder_admin: &str, member: &str, member_admin: &str) -> String {
    let id = app
        .post("/v1/alliances", founder_admin, json!({"name": "瑞丽边境园区党建联盟", "description": "四级联动"}))
        .await
        .expect(201)
        .id();
    app.post(&format!("/v1/alliances/{id}/members"), founder_admin, json!({"organization_id": member}))
        .await
        .expect(200);
    app.post(&format!("/v1/alliances/{id}/members/{member}/accept"), member_admin, json!({})).await.expect(200);
    id
}

async fn patch_if(app: &TestApp, path: &str, token: &str, body: Value, version: &str) -> Resp {
    app.call(Method::PATCH, path, Some(token), Some(body), &[("if-match", version)]).await
}

fn full_body() -> Value {
    json!({
        "name": "麦格纳座椅（中国）有限公司",
        "uscc": USCC_FUJIAN,
        "country": "CN",
        "region_code": "500000",
        "industry": "C",
        "ownership": "foreign",
        "fortune_global_500": true,
        "china_500": false,
        "china_private_500": true,
        "listed": true,
        "exchange": "NYSE",
        "ticker": "MGA",
        "website": "https://www.magna.com",
        "notes": "西洽会期间签约\n研发中心落户两江新区"
    })
}

both!(every_field_round_trips_through_create_read_list_and_update, |app| async move {
    let w = app.world().await;
    let body = full_body();
    let created = app.post("/v1/enterprises", &w.county_officer, body.clone()).await.expect(201);
    let id = created.id();
    assert_eq!(created.header("location"), Some(path(&id)));
    assert_eq!(created.header("etag").as_deref(), Some("\"1\""));
    for (k, v) in body.as_object().unwrap() {
        assert_eq!(&created.body[k], v, "field {k}: {}", created.text);
    }
    // The owner defaults to the caller's organization; nothing is shared yet.
    assert_eq!(created.body["owner_organization_id"], w.county.as_str());
    assert_eq!(created.body["shared_with"], json!([]));
    assert_eq!(created.body["version"], 1);
    assert_eq!(created.body["possible_duplicates"], json!([]));

    let read = app.get(&path(&id), &w.county_officer).await.expect(200);
    assert_eq!(read.header("etag").as_deref(), Some("\"1\""));
    let mut expected = created.body.clone();
    expected.as_object_mut().unwrap().remove("possible_duplicates");
    assert_eq!(read.body, expected, "possible_duplicates is rendered only on create");
    let list = app.get("/v1/enterprises", &w.county_officer).await.expect(200);
    assert_eq!(list.body["items"], json!([expected]));

    // Merge patch: null clears optional fields, the rest is replaced, absent fields stay.
    let patch = json!({
        "name": "麦格纳汽车技术（上海）有限公司",
        "uscc": null,
        "country": "CA",
        "region_code": null,
        "industry": "M",
        "ownership": "joint_venture",
        "fortune_global_500": false,
        "china_500": true,
        "listed": false,
        "exchange": null,
        "ticker": null,
        "website": null,
        "notes": ""
    });
    let updated = patch_if(&app, &path(&id), &w.county_officer, patch.clone(), "\"1\"").await.expect(200);
    assert_eq!(updated.header("etag").as_deref(), Some("\"2\""));
    assert_eq!(updated.body["version"], 2);
    for (k, v) in patch.as_object().unwrap() {
        assert_eq!(&updated.body[k], v, "field {k}: {}", updated.text);
    }
    assert_eq!(updated.body["china_private_500"], true, "an absent field keeps its value");
    assert!(updated.body.get("possible_duplicates").is_none());
    let read = app.get(&path(&id), &w.county_officer).await.expect(200);
    assert_eq!(read.body, updated.body);

    // A minimal enterprise: country defaults to CN, ownership to other, flags to false.
    let min = app.post("/v1/enterprises", &w.county_officer, json!({"name": "Niuwei Garments"})).await.expect(201);
    assert_eq!(min.body["country"], "CN");
    assert_eq!(min.body["ownership"], "other");
    assert_eq!(min.body["uscc"], Value::Null);
    assert_eq!(min.body["industry"], Value::Null);
    assert_eq!(min.body["notes"], "");
    for flag in ["fortune_global_500", "china_500", "china_private_500", "listed"] {
        assert_eq!(min.body[flag], false);
    }

    // The enums are labelled for apps.
    let enums = app.get("/v1/meta/enums", &w.county_officer).await.expect(200);
    let text = enums.text;
    assert!(
        text.contains("Ownership")
            && text.contains("央企")
            && text.contains("IndustrySection")
            && text.contains("制造业")
    );
});

both!(published_usccs_are_valid_and_each_kind_of_invalid_one_is_422_at_uscc, |app| async move {
    let w = app.world().await;
    for code in [USCC_LIANGJIANG, USCC_FUJIAN] {
        let r = app.post("/v1/enterprises", &w.county_officer, json!({"name": code, "uscc": code})).await.expect(201);
        assert_eq!(r.body["uscc"], code);
    }
    // Lower case and surrounding spaces are normalized.
    let r = app
        .post("/v1/enterprises", &w.county_officer, json!({"name": "深圳", "uscc": " 9144030071526726xg "}))
        .await
        .expect(201);
    assert_eq!(r.body["uscc"], USCC_SHENZHEN);

    let invalid = [
        ("11500381MB1984929", "uscc_length"),     // 17 characters
        ("11500381MB1984929MM", "uscc_length"),   // 19 characters
        ("11500381MB19849O9M", "uscc_character"), // O is not allowed
        ("11500381MB1984I29M", "uscc_character"), // I is not allowed
        ("115A0381MB1984929M", "uscc_region"),    // region part not digits
        ("11500381MB1984929N", "uscc_check"),     // wrong check character
        ("91350100M000100Y44", "uscc_check"),
    ];
    for (code, rule) in invalid {
        let r = app
            .post("/v1/enterprises", &w.county_officer, json!({"name": "坏代码", "uscc": code}))
            .await
            .problem(422, "VALIDATION_FAILED");
        assert_eq!(pointers(&r), vec![("/uscc".to_owned(), rule.to_owned())], "{code}");
    }
    // The same rule on update.
    let id = enterprise(&app, &w.county_officer, "改代码", json!({})).await;
    let r = app
        .patch(&path(&id), &w.county_officer, json!({"uscc": "11500381MB1984929N"}))
        .await
        .problem(422, "VALIDATION_FAILED");
    assert_eq!(pointers(&r), vec![("/uscc".to_owned(), "uscc_check".to_owned())]);
    // Nothing invalid was stored.
    let list = app.get("/v1/enterprises", &w.county_officer).await.expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 4);
    assert_eq!(app.get(&path(&id), &w.county_officer).await.expect(200).body["uscc"], Value::Null);
});

both!(a_uscc_used_by_the_same_organization_is_409_naming_the_record, |app| async move {
    let w = app.world().await;
    let first = enterprise(&app, &w.county_officer, "两江新区开发投资集团", json!({"uscc": USCC_LIANGJIANG})).await;
    let r = app
        .post("/v1/enterprises", &w.county_officer, json!({"name": "另一个名字", "uscc": USCC_LIANGJIANG}))
        .await
        .problem(409, "DUPLICATE_USCC");
    assert!(r.body["detail"].as_str().unwrap().contains(&first), "the detail names {first}: {}", r.text);
    // A superior recording it for the county hits the same rule.
    app.post(
        "/v1/enterprises",
        &w.province_admin,
        json!({"name": "x", "uscc": USCC_LIANGJIANG, "owner_organization_id": w.county}),
    )
    .await
    .problem(409, "DUPLICATE_USCC");
    // Each organization keeps its own record: another organization may record the same code.
    app.post("/v1/enterprises", &w.stranger_admin, json!({"name": "两江", "uscc": USCC_LIANGJIANG})).await.expect(201);
    // Changing another record to the code is refused too.
    let second = enterprise(&app, &w.county_officer, "第二家", json!({"uscc": USCC_FUJIAN})).await;
    let r = app
        .patch(&path(&second), &w.county_officer, json!({"uscc": USCC_LIANGJIANG}))
        .await
        .problem(409, "DUPLICATE_USCC");
    assert!(r.body["detail"].as_str().unwrap().contains(&first));
    // Re-sending its own code is no conflict.
    app.patch(&path(&second), &w.county_officer, json!({"uscc": USCC_FUJIAN})).await.expect(200);
    // Once the first is deleted its code is free again.
    app.delete(&path(&first), &w.county_officer).await.expect(204);
    app.patch(&path(&second), &w.county_officer, json!({"uscc": USCC_LIANGJIANG})).await.expect(200);
});

both!(possible_duplicates_are_the_matching_records_the_caller_sees, |app| async move {
    let w = app.world().await;
    // The county records the company; its superior records it under a slightly different
    // spelling (half-width parentheses) and learns of the county's record.
    let county_rec = app
        .post("/v1/enterprises", &w.county_officer, json!({"name": "麦格纳座椅（中国）", "uscc": USCC_FUJIAN}))
        .await
        .expect(201);
    assert_eq!(county_rec.body["possible_duplicates"], json!([]));
    let county_id = county_rec.id();
    let pref = app.post("/v1/enterprises", &w.prefecture_admin, json!({"name": "麦格纳座椅(中国)"})).await.expect(201);
    assert_eq!(
        pref.body["possible_duplicates"],
        json!([{"id": county_id, "name": "麦格纳座椅（中国）", "owner_organization_id": w.county, "uscc": USCC_FUJIAN}])
    );
    assert_eq!(pref.body["owner_organization_id"], w.prefecture.as_str());
    // A USCC match under another name is reported as well; the province sees both records.
    let prov = app
        .post("/v1/enterprises", &w.province_admin, json!({"name": "Magna Seating China", "uscc": USCC_FUJIAN}))
        .await
        .expect(201);
    let dup_ids: Vec<&str> =
        prov.body["possible_duplicates"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(dup_ids, vec![county_id.as_str()]);
    // The subordinate never sees its superiors' records, and a stranger sees none of them.
    let sub = app.post("/v1/enterprises", &w.county_officer, json!({"name": "麦格纳座椅 (中国)"})).await.expect(201);
    let sub_dups: Vec<&str> =
        sub.body["possible_duplicates"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(sub_dups, vec![county_id.as_str()], "only the county's own record, not the prefecture's");
    let stranger = app
        .post("/v1/enterprises", &w.stranger_admin, json!({"name": "麦格纳座椅（中国）", "uscc": USCC_FUJIAN}))
        .await
        .expect(201);
    assert_eq!(stranger.body["possible_duplicates"], json!([]));
});

both!(delete_is_soft_and_refused_while_a_project_names_the_enterprise, |app| async move {
    let w = app.world().await;
    let id = enterprise(&app, &w.county_officer, "苗苗测科技", json!({})).await;
    let project = app
        .post(
            "/v1/projects",
            &w.county_officer,
            json!({"name": "苗苗测终端总部项目", "category": "industrial", "enterprise_id": id}),
        )
        .await
        .expect(201)
        .id();
    let r = app.delete(&path(&id), &w.county_officer).await.problem(409, "ENTERPRISE_IN_USE");
    assert!(r.body["detail"].as_str().unwrap().contains("1 project"), "{}", r.text);
    app.get(&path(&id), &w.county_officer).await.expect(200);

    app.delete(&format!("/v1/projects/{project}"), &w.county_officer).await.expect(204);
    let before = app.get(&path(&id), &w.county_officer).await.expect(200);
    app.delete(&path(&id), &w.county_officer).await.expect(204);
    app.get(&path(&id), &w.county_officer).await.problem(404, "NOT_FOUND");
    app.patch(&path(&id), &w.county_officer, json!({"name": "x"})).await.problem(404, "NOT_FOUND");
    app.delete(&path(&id), &w.county_officer).await.problem(404, "NOT_FOUND");
    let list = app.get("/v1/enterprises", &w.county_officer).await.expect(200);
    assert_eq!(list.body["items"], json!([]));
    // It leaves a tombstone for sync.
    let since = before.body["updated_at"].as_str().unwrap().to_owned();
    let list = app
        .get(&format!("/v1/enterprises?include_deleted=true&updated_since={since}"), &w.county_officer)
        .await
        .expect(200);
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", list.text);
    assert_eq!(items[0]["id"], id.as_str());
    assert_eq!(items[0]["version"], 2);
    assert!(items[0]["deleted_at"].is_string());
    assert!(items[0].get("name").is_none(), "a tombstone carries no data: {}", list.text);
    // Its id stays taken.
    app.post("/v1/enterprises", &w.county_officer, json!({"id": id, "name": "again"}))
        .await
        .problem(409, "ALREADY_EXISTS");
});

both!(contacts_are_full_for_the_owner_chain_and_masked_for_partners, |app| async move {
    let w = app.world().await;
    let id = enterprise(&app, &w.county_officer, "麦格纳座椅（中国）", json!({})).await;
    let contacts = format!("{}/contacts", path(&id));
    let created = app
        .post(
            &contacts,
            &w.county_officer,
            json!({"name": "张伟", "title": "总经理", "phone": "138 1234 1234", "email": "zhang.wei@example.com"}),
        )
        .await
        .expect(201);
    let cid = created.id();
    assert_eq!(created.header("location"), Some(format!("{contacts}/{cid}")));
    assert_eq!(created.body["phone"], "13812341234");
    assert_eq!(created.body["masked"], false);
    let alliance = alliance(&app, &w.county_admin, &w.stranger, &w.stranger_admin).await;
    app.post(&format!("{}/shares/{alliance}", path(&id)), &w.county_officer, json!({})).await.expect(200);

    // The owner and its superiors see the full values.
    for token in [&w.county_officer, &w.province_admin] {
        let r = app.get(&format!("{contacts}/{cid}"), token).await.expect(200);
        assert_eq!(
            (r.body["phone"].as_str(), r.body["email"].as_str()),
            (Some("13812341234"), Some("zhang.wei@example.com"))
        );
        assert_eq!(r.body["masked"], false);
    }
    // The partner sees them masked, in the record and in the list.
    let r = app.get(&format!("{contacts}/{cid}"), &w.stranger_admin).await.expect(200);
    assert_eq!(r.body["phone"], "138****1234");
    assert_eq!(r.body["email"], "z***@example.com");
    assert_eq!(r.body["masked"], true);
    assert_eq!(r.body["name"], "张伟");
    let list = app.get(&contacts, &w.stranger_admin).await.expect(200);
    assert_eq!(list.body["items"][0]["phone"], "138****1234");
    assert!(!list.text.contains("13812341234") && !list.text.contains("zhang.wei"), "{}", list.text);

    // A masked value sent back is 422, on create and on update; nothing changes.
    let r = app
        .post(&contacts, &w.county_officer, json!({"name": "李", "phone": "138****1234", "email": "z***@example.com"}))
        .await
        .problem(422, "VALIDATION_FAILED");
    assert_eq!(
        pointers(&r),
        vec![("/email".to_owned(), "masked_value".to_owned()), ("/phone".to_owned(), "masked_value".to_owned())]
    );
    let r = app
        .patch(&format!("{contacts}/{cid}"), &w.county_officer, json!({"phone": "138****1234"}))
        .await
        .problem(422, "VALIDATION_FAILED");
    assert_eq!(pointers(&r), vec![("/phone".to_owned(), "masked_value".to_owned())]);
    let r = app.get(&format!("{contacts}/{cid}"), &w.county_officer).await.expect(200);
    assert_eq!((r.body["phone"].as_str(), r.body["version"].as_i64()), (Some("13812341234"), Some(1)));
});

both!(contacts_round_trip_update_delete_and_tombstones, |app| async move {
    let w = app.world().await;
    let id = enterprise(&app, &w.county_officer, "瑞丽纺织", json!({})).await;
    let contacts = format!("{}/contacts", path(&id));
    let a = app.post(&contacts, &w.county_officer, json!({"name": "王芳"})).await.expect(201);
    assert_eq!(
        (a.body["title"].as_str(), a.body["phone"].clone(), a.body["email"].clone()),
        (Some(""), Value::Null, Value::Null)
    );
    let a = a.id();
    let b = app
        .post(
            &contacts,
            &w.county_officer,
            json!({"name": "李强", "title": "董事长", "phone": "0692-4141234", "email": "li@ruili.example.cn"}),
        )
        .await
        .expect(201)
        .id();
    let updated = patch_if(
        &app,
        &format!("{contacts}/{b}"),
        &w.county_officer,
        json!({"title": "总经理", "phone": null, "email": "li.qiang@ruili.example.cn"}),
        "\"1\"",
    )
    .await
    .expect(200);
    assert_eq!(updated.header("etag").as_deref(), Some("\"2\""));
    assert_eq!(
        (
            updated.body["name"].as_str(),
            updated.body["title"].as_str(),
            updated.body["phone"].clone(),
            updated.body["email"].as_str()
        ),
        (Some("李强"), Some("总经理"), Value::Null, Some("li.qiang@ruili.example.cn"))
    );
    patch_if(&app, &format!("{contacts}/{b}"), &w.county_officer, json!({"title": "x"}), "\"1\"")
        .await
        .problem(412, "PRECONDITION_FAILED");
    let r = app
        .call(Method::GET, &format!("{contacts}/{b}"), Some(&w.county_officer), None, &[("if-none-match", "\"2\"")])
        .await;
    assert_eq!(r.status.as_u16(), 304);
    let list = app.get(&contacts, &w.county_officer).await.expect(200);
    assert_eq!(ids(&list), sorted(&[&a, &b]));
    // Paging through contacts.
    let page = app.get(&format!("{contacts}?page_size=1"), &w.county_officer).await.expect(200);
    assert_eq!(page.body["items"][0]["id"], a.as_str());
    let token = page.body["next_page_token"].as_str().unwrap().to_owned();
    let page = app.get(&format!("{contacts}?page_size=1&page_token={token}"), &w.county_officer).await.expect(200);
    assert_eq!(page.body["items"][0]["id"], b.as_str());
    assert!(page.body.get("next_page_token").is_none_or(Value::is_null));

    app.call(Method::DELETE, &format!("{contacts}/{a}"), Some(&w.county_officer), None, &[("if-match", "\"7\"")])
        .await
        .problem(412, "PRECONDITION_FAILED");
    app.delete(&format!("{contacts}/{a}"), &w.county_officer).await.expect(204);
    app.get(&format!("{contacts}/{a}"), &w.county_officer).await.problem(404, "NOT_FOUND");
    let list = app.get(&contacts, &w.county_officer).await.expect(200);
    assert_eq!(ids(&list), vec![b.clone()]);
    let list = app.get(&format!("{contacts}?include_deleted=true"), &w.county_officer).await.expect(200);
    let tomb = list.body["items"].as_array().unwrap().iter().find(|i| i["id"] == a.as_str()).unwrap().clone();
    assert!(tomb["deleted_at"].is_string() && tomb["version"] == 2 && tomb.get("name").is_none(), "{tomb}");
    // A contact is addressed under its own enterprise only.
    let other = enterprise(&app, &w.county_officer, "别的企业", json!({})).await;
    app.get(&format!("{}/contacts/{b}", path(&other)), &w.county_officer).await.problem(404, "NOT_FOUND");
    // Idempotent create of a contact.
    let key = [("idempotency-key", "contact-1")];
    let body = json!({"name": "赵六"});
    let first = app.call(Method::POST, &contacts, Some(&w.county_officer), Some(body.clone()), &key).await.expect(201);
    let again = app.call(Method::POST, &contacts, Some(&w.county_officer), Some(body), &key).await.expect(201);
    assert_eq!(first.id(), again.id());
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(app.get(&contacts, &w.county_officer).await.expect(200).body["items"].as_array().unwrap().len(), 2);
});

/// The world plus a team under the county, an officer of the prefecture, and an organization
/// outside every alliance.
struct Matrix {
    w: World,
    team_admin: String,
    prefecture_officer: String,
    outsider_admin: String,
    alliance: String,
    shared: String,
    unshared: String,
    contact: String,
}

async fn matrix(app: &TestApp) -> Matrix {
    let w = app.world().await;
    let team = app.org(Some(&w.county), "team", "YN-DH-RL-T1").await;
    let (_, team_admin) = app.user(&team, "t1.admin", "org_admin").await;
    let (_, prefecture_officer) = app.user(&w.prefecture, "dh.officer", "officer").await;
    let outsider = app.org(None, "prefecture", "GZ-ZY").await;
    let (_, outsider_admin) = app.user(&outsider, "zy.admin", "org_admin").await;
    let alliance = alliance(app, &w.county_admin, &w.stranger, &w.stranger_admin).await;
    let shared = enterprise(app, &w.county_officer, "共享企业", json!({})).await;
    let unshared = enterprise(app, &w.county_officer, "未共享企业", json!({})).await;
    let contact = app
        .post(
            &format!("{}/contacts", path(&shared)),
            &w.county_officer,
            json!({"name": "张伟", "phone": "13812341234"}),
        )
        .await
        .expect(201)
        .id();
    app.post(&format!("{}/contacts", path(&unshared)), &w.county_officer, json!({"name": "李四"})).await.expect(201);
    app.post(&format!("{}/shares/{alliance}", path(&shared)), &w.county_officer, json!({})).await.expect(200);
    Matrix { w, team_admin, prefecture_officer, outsider_admin, alliance, shared, unshared, contact }
}

both!(visibility_matrix_for_reading_and_listing, |app| async move {
    let m = matrix(&app).await;
    let w = &m.w;
    let both = sorted(&[&m.shared, &m.unshared]);
    // (caller, sees shared, sees unshared)
    let cases: [(&str, &String, bool, bool); 6] = [
        ("owner", &w.county_officer, true, true),
        ("superior admin", &w.province_admin, true, true),
        ("superior officer", &m.prefecture_officer, true, true),
        // A member bureau's stations see what the bureau sees through its alliances, but
        // never the bureau's own records.
        ("subordinate", &m.team_admin, true, false),
        ("partner", &w.stranger_admin, true, false),
        ("stranger", &m.outsider_admin, false, false),
    ];
    for (who, token, sees_shared, sees_unshared) in cases {
        for (id, sees) in [(&m.shared, sees_shared), (&m.unshared, sees_unshared)] {
            let r = app.get(&path(id), token).await;
            if sees {
                r.expect(200);
            } else {
                r.problem(404, "NOT_FOUND");
            }
            let contacts = app.get(&format!("{}/contacts", path(id)), token).await;
            if sees {
                assert_eq!(contacts.expect(200).body["items"].as_array().unwrap().len(), 1, "{who}");
            } else {
                contacts.problem(404, "NOT_FOUND");
            }
        }
        let r = app.get(&format!("{}/contacts/{}", path(&m.shared), m.contact), token).await;
        if sees_shared {
            r.expect(200);
        } else {
            r.problem(404, "NOT_FOUND");
        }
        let list = app.get("/v1/enterprises", token).await.expect(200);
        let expected: Vec<String> = match (sees_shared, sees_unshared) {
            (true, true) => both.clone(),
            (true, false) => vec![m.shared.clone()],
            _ => vec![],
        };
        assert_eq!(ids(&list), expected, "{who}");
    }
    // A missing record answers exactly like an invisible one.
    app.get(&path("01936f3e-0000-7000-8000-00000000dead"), &w.county_officer).await.problem(404, "NOT_FOUND");

    // Leaving the alliance ends the partner's sight at once; its stations (descendants)
    // see what it sees while it is a member.
    let (_, team_of_partner) = {
        let t = app.org(Some(&w.stranger), "team", "SC-MY-T1").await;
        app.user(&t, "my.team", "viewer").await
    };
    app.get(&path(&m.shared), &team_of_partner).await.expect(200);
    app.post(&format!("/v1/alliances/{}/members/{}/leave", m.alliance, w.stranger), &w.stranger_admin, json!({}))
        .await
        .expect(200);
    app.get(&path(&m.shared), &w.stranger_admin).await.problem(404, "NOT_FOUND");
    app.get(&path(&m.shared), &team_of_partner).await.problem(404, "NOT_FOUND");
    assert_eq!(ids(&app.get("/v1/enterprises", &w.stranger_admin).await.expect(200)), Vec::<String>::new());
});

both!(visibility_matrix_for_writing, |app| async move {
    let m = matrix(&app).await;
    let w = &m.w;
    let patch = json!({"notes": "改"});
    let contacts = format!("{}/contacts", path(&m.shared));
    let contact = format!("{contacts}/{}", m.contact);
    let share_path = format!("{}/shares/{}", path(&m.shared), m.alliance);
    // Those who see it but may not change it: 403. Those who do not see it: 404.
    for (token, status, code) in [
        (&m.prefecture_officer, 403, "FORBIDDEN"),
        (&w.stranger_admin, 403, "FORBIDDEN"),
        (&m.team_admin, 403, "FORBIDDEN"),
        (&m.outsider_admin, 404, "NOT_FOUND"),
    ] {
        app.patch(&path(&m.shared), token, patch.clone()).await.problem(status, code);
        app.delete(&path(&m.shared), token).await.problem(status, code);
        app.post(&contacts, token, json!({"name": "x"})).await.problem(status, code);
        app.patch(&contact, token, json!({"name": "x"})).await.problem(status, code);
        app.delete(&contact, token).await.problem(status, code);
        app.post(&share_path, token, json!({})).await.problem(status, code);
        app.delete(&share_path, token).await.problem(status, code);
    }
    // The unshared record is invisible to the partner and to the subordinate: 404, not 403.
    for token in [&w.stranger_admin, &m.team_admin] {
        app.patch(&path(&m.unshared), token, patch.clone()).await.problem(404, "NOT_FOUND");
        app.delete(&path(&m.unshared), token).await.problem(404, "NOT_FOUND");
        app.post(&format!("{}/contacts", path(&m.unshared)), token, json!({"name": "x"}))
            .await
            .problem(404, "NOT_FOUND");
    }
    app.post(&format!("{}/shares/{}", path(&m.unshared), m.alliance), &w.stranger_admin, json!({}))
        .await
        .problem(404, "NOT_FOUND");
    // Nothing changed.
    let r = app.get(&path(&m.shared), &w.county_officer).await.expect(200);
    assert_eq!((r.body["version"].as_i64(), r.body["notes"].as_str()), (Some(2), Some("")), "{}", r.text);
    assert_eq!(r.body["shared_with"], json!([m.alliance]));
    let c = app.get(&contact, &w.county_officer).await.expect(200);
    assert_eq!((c.body["version"].as_i64(), c.body["name"].as_str()), (Some(1), Some("张伟")));
    let list = app.get(&contacts, &w.county_officer).await.expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);

    // The owner's officer changes it; a superior's admin acts on it (it stays the county's).
    app.patch(&path(&m.shared), &w.county_officer, patch.clone()).await.expect(200);
    let r = app.patch(&path(&m.shared), &w.province_admin, json!({"notes": "省里补充"})).await.expect(200);
    assert_eq!(r.body["owner_organization_id"], w.county.as_str());
    app.patch(&contact, &w.province_admin, json!({"title": "总经理"})).await.expect(200);
    // A superior's admin records an enterprise for the county; its officer may not.
    let made = app
        .post("/v1/enterprises", &w.province_admin, json!({"name": "省代录", "owner_organization_id": w.county}))
        .await
        .expect(201);
    assert_eq!(made.body["owner_organization_id"], w.county.as_str());
    app.post("/v1/enterprises", &m.prefecture_officer, json!({"name": "x", "owner_organization_id": w.county}))
        .await
        .problem(403, "FORBIDDEN");
    // Nobody records for a superior or an alliance partner; an unknown organization is 404.
    app.post("/v1/enterprises", &w.county_admin, json!({"name": "x", "owner_organization_id": w.prefecture}))
        .await
        .problem(403, "FORBIDDEN");
    app.post("/v1/enterprises", &w.county_admin, json!({"name": "x", "owner_organization_id": w.stranger}))
        .await
        .problem(403, "FORBIDDEN");
    app.post("/v1/enterprises", &w.county_admin, json!({"name": "x", "owner_organization_id": m.alliance}))
        .await
        .problem(404, "NOT_FOUND");
    // Viewers read but do not write.
    let (_, viewer) = app.user(&w.county, "rl.viewer", "viewer").await;
    app.get(&path(&m.shared), &viewer).await.expect(200);
    app.post("/v1/enterprises", &viewer, json!({"name": "x"})).await.problem(403, "FORBIDDEN");
    app.patch(&path(&m.shared), &viewer, patch).await.problem(403, "FORBIDDEN");
    // The owner deletes.
    app.delete(&path(&m.unshared), &w.province_admin).await.expect(204);
    app.get(&path(&m.unshared), &w.county_officer).await.problem(404, "NOT_FOUND");
});

both!(sharing_with_alliances_and_through_shared_projects, |app| async move {
    let m = matrix(&app).await;
    let w = &m.w;
    // Sharing again is harmless; the record shows its alliances.
    let r =
        app.post(&format!("{}/shares/{}", path(&m.shared), m.alliance), &w.county_officer, json!({})).await.expect(200);
    assert_eq!(r.body["shared_with"], json!([m.alliance]));
    // Only with alliances where the owner is an active member.
    let other = app
        .post("/v1/alliances", &w.stranger_admin, json!({"name": "绵阳联盟", "description": "川滇合作"}))
        .await
        .expect(201)
        .id();
    app.post(&format!("{}/shares/{other}", path(&m.unshared)), &w.county_officer, json!({}))
        .await
        .problem(404, "NOT_FOUND");
    app.post(&format!("/v1/alliances/{other}/members"), &w.stranger_admin, json!({"organization_id": w.county}))
        .await
        .expect(200);
    app.post(&format!("{}/shares/{other}", path(&m.unshared)), &w.county_officer, json!({}))
        .await
        .problem(409, "NOT_AN_ALLIANCE_MEMBER");
    // Unsharing what is not shared is 404.
    app.delete(&format!("{}/shares/{}", path(&m.unshared), m.alliance), &w.county_officer)
        .await
        .problem(404, "NOT_FOUND");

    // Sharing marks the record changed, so a partner syncing by updated_since learns of it.
    let before = app.get(&path(&m.shared), &w.county_officer).await.expect(200);
    let since = before.body["updated_at"].as_str().unwrap().to_owned();
    assert_eq!(
        ids(&app.get(&format!("/v1/enterprises?updated_since={since}"), &w.stranger_admin).await.expect(200)),
        vec![m.shared.clone()]
    );
    let shared = app
        .post(&format!("{}/shares/{}", path(&m.unshared), m.alliance), &w.county_officer, json!({}))
        .await
        .expect(200);
    assert_eq!(shared.body["version"], 2);
    let synced = app.get(&format!("/v1/enterprises?updated_since={since}"), &w.stranger_admin).await.expect(200);
    assert_eq!(ids(&synced), sorted(&[&m.shared, &m.unshared]));
    // Unsharing ends the partner's sight.
    let r = app.delete(&format!("{}/shares/{}", path(&m.unshared), m.alliance), &w.county_officer).await.expect(200);
    assert_eq!(r.body["shared_with"], json!([]));
    app.get(&path(&m.unshared), &w.stranger_admin).await.problem(404, "NOT_FOUND");

    // A project shared with the alliance shows its investor's non-personal fields, not its
    // contacts, and gives no right to change it.
    let project = app
        .post(
            "/v1/projects",
            &w.county_officer,
            json!({"name": "未共享企业的项目", "category": "industrial", "enterprise_id": m.unshared}),
        )
        .await
        .expect(201)
        .id();
    app.get(&path(&m.unshared), &w.stranger_admin).await.problem(404, "NOT_FOUND");
    app.post(&format!("/v1/projects/{project}/shares/{}", m.alliance), &w.county_officer, json!({})).await.expect(200);
    let r = app.get(&path(&m.unshared), &w.stranger_admin).await.expect(200);
    assert_eq!(r.body["name"], "未共享企业");
    assert_eq!(
        ids(&app.get("/v1/enterprises", &w.stranger_admin).await.expect(200)),
        sorted(&[&m.shared, &m.unshared])
    );
    app.get(&format!("{}/contacts", path(&m.unshared)), &w.stranger_admin).await.problem(404, "NOT_FOUND");
    app.patch(&path(&m.unshared), &w.stranger_admin, json!({"notes": "x"})).await.problem(403, "FORBIDDEN");
    // The outsider still sees nothing.
    app.get(&path(&m.unshared), &m.outsider_admin).await.problem(404, "NOT_FOUND");
    // Once the project is deleted, the investor is hidden again.
    app.delete(&format!("/v1/projects/{project}"), &w.county_officer).await.expect(204);
    app.get(&path(&m.unshared), &w.stranger_admin).await.problem(404, "NOT_FOUND");
});

both!(each_filter_selects_exactly_its_records, |app| async move {
    let w = app.world().await;
    let o = &w.county_officer;
    let changan = enterprise(
        &app,
        o,
        "重庆长安汽车股份有限公司",
        json!({"uscc": USCC_SHENZHEN, "ownership": "central_soe", "industry": "C", "china_500": true, "listed": true, "exchange": "SZSE", "ticker": "000625", "region_code": "500000"}),
    )
    .await;
    let magna = enterprise(
        &app,
        o,
        "麦格纳座椅（中国）",
        json!({"ownership": "foreign", "industry": "C", "fortune_global_500": true, "region_code": "310115"}),
    )
    .await;
    let mmc = enterprise(
        &app,
        o,
        "秒秒测终端总部",
        json!({"ownership": "private", "industry": "I", "china_private_500": true, "region_code": "500112"}),
    )
    .await;
    let niuwei = enterprise(&app, o, "Niuwei Garments_Ltd", json!({"ownership": "foreign", "country": "HK"})).await;
    let dehong =
        enterprise(&app, &w.prefecture_admin, "德宏纺织100%", json!({"ownership": "private", "region_code": "533100"}))
            .await;
    let all = sorted(&[&changan, &magna, &mmc, &niuwei, &dehong]);
    let t = &w.province_admin;
    let q = |query: &str| format!("/v1/enterprises?{query}");
    let county = format!("owner_organization_id={}", w.county);
    let prefecture = format!("owner_organization_id={}", w.prefecture);
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("", all.clone()),
        ("q=麦格纳座椅(中国)", vec![magna.clone()]),
        ("q=長安汽車", vec![changan.clone()]),
        ("q=NIUWEI", vec![niuwei.clone()]),
        ("q=纺织100%25", vec![dehong.clone()]),
        ("q=不存在", vec![]),
        ("uscc=9144030071526726xg", vec![changan.clone()]),
        ("fortune_global_500=true", vec![magna.clone()]),
        ("fortune_global_500=false", sorted(&[&changan, &mmc, &niuwei, &dehong])),
        ("china_500=true", vec![changan.clone()]),
        ("china_private_500=true", vec![mmc.clone()]),
        ("listed=true", vec![changan.clone()]),
        ("listed=false", sorted(&[&magna, &mmc, &niuwei, &dehong])),
        ("ownership=foreign", sorted(&[&magna, &niuwei])),
        ("ownership=central_soe", vec![changan.clone()]),
        ("industry=C", sorted(&[&changan, &magna])),
        ("industry=I", vec![mmc.clone()]),
        ("region_code=500000", sorted(&[&changan, &mmc])),
        ("region_code=500112", vec![mmc.clone()]),
        ("region_code=533100", vec![dehong.clone()]),
        ("country=HK", vec![niuwei.clone()]),
        ("country=CN", sorted(&[&changan, &magna, &mmc, &dehong])),
        (&county, sorted(&[&changan, &magna, &mmc, &niuwei])),
        (&prefecture, all.clone()),
        ("ownership=foreign&industry=C", vec![magna.clone()]),
    ];
    for (query, expected) in cases {
        let r = app.get(&q(query), t).await.expect(200);
        assert_eq!(ids(&r), expected, "{query}");
    }
    // Filters never widen visibility: the county does not see the prefecture's record.
    let r = app.get(&q(&format!("owner_organization_id={}", w.prefecture)), o).await.expect(200);
    assert_eq!(ids(&r), sorted(&[&changan, &magna, &mmc, &niuwei]));
    // updated_since returns what changed at or after the instant.
    let changed = app.patch(&path(&mmc), o, json!({"notes": "更新"})).await.expect(200);
    let since = changed.body["updated_at"].as_str().unwrap();
    assert_eq!(ids(&app.get(&q(&format!("updated_since={since}")), t).await.expect(200)), vec![mmc.clone()]);
    // A bad enum value or an unknown parameter is 400.
    app.get(&q("ownership=bogus"), t).await.problem(400, "INVALID_QUERY");
    app.get(&q("colour=red"), t).await.problem(400, "INVALID_QUERY");
});

both!(paging_returns_each_enterprise_once_in_either_order, |app| async move {
    let w = app.world().await;
    let mut created = vec![];
    for i in 0..7 {
        created.push(enterprise(&app, &w.county_officer, &format!("企业{i}"), json!({})).await);
    }
    // Change the first so that updated_at order differs from id order.
    app.patch(&path(&created[0]), &w.county_officer, json!({"notes": "x"})).await.expect(200);
    for (order, expected) in [
        ("id", created.clone()),
        ("updated_at", created[1..].iter().cloned().chain([created[0].clone()]).collect::<Vec<_>>()),
    ] {
        let mut seen = vec![];
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut url = format!("/v1/enterprises?page_size=3&order_by={order}");
            if let Some(t) = &token {
                url.push_str(&format!("&page_token={t}"));
            }
            let r = app.get(&url, &w.county_officer).await.expect(200);
            pages += 1;
            seen.extend(r.body["items"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_owned()));
            match r.body["next_page_token"].as_str() {
                Some(t) => token = Some(t.to_owned()),
                None => break,
            }
        }
        assert_eq!(pages, 3, "{order}");
        assert_eq!(seen, expected, "{order}");
    }
    app.get("/v1/enterprises?page_size=201", &w.county_officer).await.problem(400, "INVALID_PAGE_SIZE");
    app.get("/v1/enterprises?page_size=0", &w.county_officer).await.problem(400, "INVALID_PAGE_SIZE");
    let first = app.get("/v1/enterprises?page_size=3", &w.county_officer).await.expect(200);
    let token = first.body["next_page_token"].as_str().unwrap();
    // A token is bound to its filters and its caller.
    app.get(&format!("/v1/enterprises?page_size=3&listed=false&page_token={token}"), &w.county_officer)
        .await
        .problem(400, "INVALID_PAGE_TOKEN");
    app.get(&format!("/v1/enterprises?page_size=3&page_token={token}"), &w.county_admin)
        .await
        .problem(400, "INVALID_PAGE_TOKEN");
    app.get("/v1/enterprises?page_token=forged.token", &w.county_officer).await.problem(400, "INVALID_PAGE_TOKEN");
});

both!(stale_if_match_is_412_and_if_none_match_is_304, |app| async move {
    let w = app.world().await;
    let id = enterprise(&app, &w.county_officer, "苗苗测", json!({})).await;
    patch_if(&app, &path(&id), &w.county_officer, json!({"notes": "一"}), "\"1\"").await.expect(200);
    let r = patch_if(&app, &path(&id), &w.county_officer, json!({"notes": "二"}), "\"1\"")
        .await
        .problem(412, "PRECONDITION_FAILED");
    assert!(r.body["detail"].as_str().unwrap().contains('2'));
    app.call(Method::DELETE, &path(&id), Some(&w.county_officer), None, &[("if-match", "\"1\"")])
        .await
        .problem(412, "PRECONDITION_FAILED");
    let read = app.get(&path(&id), &w.county_officer).await.expect(200);
    assert_eq!((read.body["notes"].as_str(), read.body["version"].as_i64()), (Some("一"), Some(2)));
    let r = app.call(Method::GET, &path(&id), Some(&w.county_officer), None, &[("if-none-match", "\"2\"")]).await;
    assert_eq!(r.status.as_u16(), 304);
    let r = app.call(Method::GET, &path(&id), Some(&w.county_officer), None, &[("if-none-match", "\"1\"")]).await;
    assert_eq!(r.status.as_u16(), 200);
    app.call(Method::DELETE, &path(&id), Some(&w.county_officer), None, &[("if-match", "\"2\"")]).await.expect(204);
});

both!(create_is_idempotent_and_honours_client_ids, |app| async move {
    let w = app.world().await;
    let key = [("idempotency-key", "ent-create-1")];
    let body = json!({"name": "海滨热电联产", "uscc": USCC_LIANGJIANG});
    let first =
        app.call(Method::POST, "/v1/enterprises", Some(&w.county_officer), Some(body.clone()), &key).await.expect(201);
    let again = app.call(Method::POST, "/v1/enterprises", Some(&w.county_officer), Some(body), &key).await.expect(201);
    assert_eq!(first.id(), again.id());
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(again.header("location"), first.header("location"));
    // Same key, other body: 422, and nothing new.
    app.call(Method::POST, "/v1/enterprises", Some(&w.county_officer), Some(json!({"name": "别的"})), &key)
        .await
        .problem(422, "VALIDATION_FAILED");
    let list = app.get("/v1/enterprises", &w.county_officer).await.expect(200);
    assert_eq!(ids(&list), vec![first.id()]);
    // Offline phones send their own UUIDv7; a malformed one is 422.
    let own = "01936f3e-1234-7000-8000-000000000abc";
    let r = app.post("/v1/enterprises", &w.county_officer, json!({"id": own, "name": "离线录入"})).await.expect(201);
    assert_eq!(r.id(), own);
    app.post("/v1/enterprises", &w.county_officer, json!({"id": own, "name": "again"}))
        .await
        .problem(409, "ALREADY_EXISTS");
    let r = app
        .post("/v1/enterprises", &w.county_officer, json!({"id": "not-a-uuid", "name": "x"}))
        .await
        .problem(422, "VALIDATION_FAILED");
    assert_eq!(pointers(&r), vec![("/id".to_owned(), "uuid".to_owned())]);
});

both!(validation_names_every_failing_field, |app| async move {
    let w = app.world().await;
    let r = app
        .post(
            "/v1/enterprises",
            &w.county_officer,
            json!({"name": " ", "uscc": "123", "country": "XX", "region_code": "993102", "website": "www.magna.com", "listed": true, "notes": "a\u{7}"}),
        )
        .await
        .problem(422, "VALIDATION_FAILED");
    assert_eq!(
        pointers(&r),
        vec![
            ("/country".to_owned(), "country".to_owned()),
            ("/exchange".to_owned(), "required".to_owned()),
            ("/name".to_owned(), "required".to_owned()),
            ("/notes".to_owned(), "control_characters".to_owned()),
            ("/region_code".to_owned(), "region_code".to_owned()),
            ("/ticker".to_owned(), "required".to_owned()),
            ("/uscc".to_owned(), "uscc_length".to_owned()),
            ("/website".to_owned(), "url".to_owned()),
        ]
    );
    // An exchange without a listing is refused too.
    let r = app
        .post("/v1/enterprises", &w.county_officer, json!({"name": "x", "exchange": "SSE"}))
        .await
        .problem(422, "VALIDATION_FAILED");
    assert_eq!(pointers(&r), vec![("/exchange".to_owned(), "not_listed".to_owned())]);
    // Unknown enum values and unknown fields name their field.
    let r = app
        .post("/v1/enterprises", &w.county_officer, json!({"name": "x", "industry": "Z"}))
        .await
        .problem(422, "VALIDATION_FAILED");
    assert_eq!(pointers(&r)[0].0, "/industry");
    let r = app
        .post("/v1/enterprises", &w.county_officer, json!({"name": "x", "colour": "red"}))
        .await
        .problem(422, "VALIDATION_FAILED");
    assert_eq!(pointers(&r), vec![("/colour".to_owned(), "unknown_field".to_owned())]);

    // On update the merged record must hold together, and server-owned fields are read-only.
    let id =
        enterprise(&app, &w.county_officer, "长安", json!({"listed": true, "exchange": "SZSE", "ticker": "000625"}))
            .await;
    let r = app.patch(&path(&id), &w.county_officer, json!({"listed": false})).await.problem(422, "VALIDATION_FAILED");
    assert_eq!(
        pointers(&r),
        vec![("/exchange".to_owned(), "not_listed".to_owned()), ("/ticker".to_owned(), "not_listed".to_owned())]
    );
    let r = app.patch(&path(&id), &w.county_officer, json!({"ticker": null})).await.problem(422, "VALIDATION_FAILED");
    assert_eq!(pointers(&r), vec![("/ticker".to_owned(), "required".to_owned())]);
    for field in ["owner_organization_id", "version", "created_at", "id"] {
        let r = app.patch(&path(&id), &w.county_officer, json!({field: "x"})).await.problem(422, "VALIDATION_FAILED");
        assert_eq!(pointers(&r)[0].0, format!("/{field}"));
    }
    let read = app.get(&path(&id), &w.county_officer).await.expect(200);
    assert_eq!((read.body["version"].as_i64(), read.body["listed"].as_bool()), (Some(1), Some(true)));
});

/// A service token of `org` with `scopes`, created by `admin`.
async fn service_token(app: &TestApp, admin: &str, org: &str, scopes: &[&str]) -> String {
    let r = app
        .post("/v1/service-accounts", admin, json!({"organization_id": org, "name": "招商项目库", "scopes": scopes}))
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
    let r = TestApp::read(res).await.expect(200);
    r.body["access_token"].as_str().unwrap().to_owned()
}

both!(partner_systems_act_with_their_scopes, |app| async move {
    let w = app.world().await;
    let reader = service_token(&app, &w.county_admin, &w.county, &["enterprises:read"]).await;
    let writer = service_token(&app, &w.county_admin, &w.county, &["enterprises:read", "enterprises:write"]).await;
    let none = service_token(&app, &w.county_admin, &w.county, &["projects:read"]).await;
    let made = app.post("/v1/enterprises", &writer, json!({"name": "接口录入"})).await.expect(201);
    assert_eq!(made.body["owner_organization_id"], w.county.as_str());
    let id = made.id();
    app.get(&path(&id), &reader).await.expect(200);
    app.post("/v1/enterprises", &reader, json!({"name": "x"})).await.problem(403, "FORBIDDEN");
    app.patch(&path(&id), &reader, json!({"notes": "x"})).await.problem(403, "FORBIDDEN");
    app.get(&path(&id), &none).await.problem(403, "FORBIDDEN");
    app.get("/v1/enterprises", &none).await.problem(403, "FORBIDDEN");
    // A service account of the prefecture does not write the county's records.
    let pref =
        service_token(&app, &w.prefecture_admin, &w.prefecture, &["enterprises:read", "enterprises:write"]).await;
    app.get(&path(&id), &pref).await.expect(200);
    app.patch(&path(&id), &pref, json!({"notes": "x"})).await.problem(403, "FORBIDDEN");
});
