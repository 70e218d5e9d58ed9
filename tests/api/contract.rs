//! The contract every route shares: problem+json for every failure (actix's own included),
//! request ids, probes, enums, and the OpenAPI document with Swagger UI.

use reqwest::Method;
use serde_json::json;

use crate::support::*;

both!(framework_failures_are_problem_json, |app| async move {
    let t = app.admin_token.clone();
    // Malformed JSON: 400.
    let r = app
        .client
        .post(format!("{}/v1/organizations", app.base))
        .bearer_auth(&t)
        .header("content-type", "application/json")
        .body("{\"level\": ")
        .send()
        .await
        .unwrap();
    TestApp::read(r).await.problem(400, "MALFORMED_JSON");
    // Wrong content type: 415.
    let r = app
        .client
        .post(format!("{}/v1/organizations", app.base))
        .bearer_auth(&t)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    TestApp::read(r).await.problem(415, "UNSUPPORTED_MEDIA_TYPE");
    // Unknown route: 404; known path, wrong method: 405 with Allow.
    app.get("/v1/nothing-here", &t).await.problem(404, "NOT_FOUND");
    let r = app.call(Method::PUT, "/v1/organizations", Some(&t), None, &[]).await.problem(405, "METHOD_NOT_ALLOWED");
    assert_eq!(r.header("allow").as_deref(), Some("GET, POST"));
    let r =
        app.call(Method::DELETE, "/v1/organizations/abc", Some(&t), None, &[]).await.problem(405, "METHOD_NOT_ALLOWED");
    assert_eq!(r.header("allow").as_deref(), Some("GET, PATCH"));
    // Bad query string: 400; unknown query parameter: 400.
    app.get("/v1/organizations?page_size=ten", &t).await.problem(400, "INVALID_QUERY");
    app.get("/v1/organizations?colour=red", &t).await.problem(400, "INVALID_QUERY");
    // Oversized body: 413.
    let big = "x".repeat(1024 * 1024 + 10);
    app.post("/v1/organizations", &t, json!({"name": big})).await.problem(413, "PAYLOAD_TOO_LARGE");
    // No token: 401 with WWW-Authenticate.
    let r = app.call(Method::GET, "/v1/organizations", None, None, &[]).await.problem(401, "MISSING_TOKEN");
    assert!(r.header("www-authenticate").unwrap().starts_with("Bearer"));
});

both!(request_ids_are_echoed_or_made_and_appear_in_problems, |app| async move {
    let r = app.call(Method::GET, "/healthz", None, None, &[("x-request-id", "partner-abc-123")]).await.expect(200);
    assert_eq!(r.header("x-request-id").as_deref(), Some("partner-abc-123"));
    let r = app.call(Method::GET, "/healthz", None, None, &[]).await.expect(200);
    assert_eq!(r.header("x-request-id").unwrap().len(), 36);
    // An unusable id (spaces) is replaced, not echoed.
    let r = app.call(Method::GET, "/healthz", None, None, &[("x-request-id", "bad id with spaces")]).await.expect(200);
    assert_ne!(r.header("x-request-id").as_deref(), Some("bad id with spaces"));
    let r = app
        .call(Method::GET, "/v1/nowhere", None, None, &[("x-request-id", "trace-42")])
        .await
        .problem(404, "NOT_FOUND");
    assert_eq!(r.body["request_id"], "trace-42");
    assert_eq!(r.header("x-request-id").as_deref(), Some("trace-42"));
});

both!(probes_and_enums, |app| async move {
    app.call(Method::GET, "/healthz", None, None, &[]).await.expect(200);
    let r = app.call(Method::GET, "/readyz", None, None, &[]).await.expect(200);
    assert_eq!(r.body["status"], "ok");
    let r = app.call(Method::GET, "/v1/meta/enums", None, None, &[]).await.expect(200);
    let items = r.body["items"].as_array().unwrap();
    let level = items.iter().find(|e| e["name"] == "OrgLevel").unwrap();
    let park = level["values"].as_array().unwrap().iter().find(|v| v["code"] == "park").unwrap();
    assert_eq!(park["zh"], "园区");
    assert_eq!(park["en"], "Industrial park");
    for name in ["Role", "Scope", "MembershipState"] {
        assert!(items.iter().any(|e| e["name"] == name), "{name} missing");
    }
});

both!(openapi_and_swagger_ui_are_served_offline, |app| async move {
    let r = app.call(Method::GET, "/openapi.json", None, None, &[]).await.expect(200);
    assert!(r.body["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(r.body["paths"]["/v1/organizations/{id}"]["patch"].is_object());
    assert!(r.body["components"]["securitySchemes"]["bearer"].is_object());
    let r = app.call(Method::GET, "/docs/", None, None, &[]).await.expect(200);
    assert!(r.text.contains("swagger-ui"), "{}", &r.text[..r.text.len().min(300)]);
    let r = app.call(Method::GET, "/docs/swagger-ui-bundle.js", None, None, &[]).await.expect(200);
    assert!(r.text.len() > 100_000);
    let r = app.call(Method::GET, "/docs", None, None, &[]).await;
    assert_eq!(r.status.as_u16(), 308);
});

#[test]
fn committed_openapi_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/openapi.json");
    let fresh = zs_http::openapi_json();
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == fresh, "openapi/openapi.json is out of date: run `make openapi`");
}

#[test]
fn every_operation_is_documented() {
    let text = zs_http::openapi_json();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    // Every schema reference resolves (query parameters' enums included).
    for part in text.split("\"#/components/schemas/").skip(1) {
        let name = part.split('"').next().unwrap();
        assert!(doc["components"]["schemas"][name].is_object(), "dangling schema reference {name}");
    }
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let what = format!("{method} {path}");
            assert!(op["operationId"].is_string(), "{what}: no operationId");
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{what}: no summary");
            assert!(op["tags"].as_array().is_some_and(|t| !t.is_empty()), "{what}: no tag");
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.contains_key("500"), "{what}: 500 undocumented");
            if op.get("requestBody").is_some() {
                for s in ["400", "413", "415", "422"] {
                    assert!(responses.contains_key(s), "{what}: {s} undocumented");
                }
            }
            if op.get("security").is_some() {
                assert!(responses.contains_key("401"), "{what}: 401 undocumented");
            }
        }
    }
}
