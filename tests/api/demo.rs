//! The demo data (`zhaoshang seed --demo`): the figures the seed articles quote come out of the
//! API, computed from the records, for the people the articles are about.

use crate::support::*;

/// Loads the demo data into the app's database, as `make run` does on first start.
async fn seed_demo(app: &TestApp) {
    let url = app.database_url.clone();
    tokio::task::spawn_blocking(move || {
        let cfg = zhaoshang::Config::for_database(&url);
        let (pool, _) = zhaoshang::open_database(&cfg).unwrap();
        let mut conn = pool.get().unwrap();
        let hash = zs_http::auth::hash_secret(zhaoshang::demo::DEMO_PASSWORD).unwrap();
        assert!(zhaoshang::demo::seed(&mut conn, &hash).unwrap());
        // A second run changes nothing.
        assert!(!zhaoshang::demo::seed(&mut conn, &hash).unwrap());
    })
    .await
    .unwrap();
}

fn items(r: &Resp) -> Vec<serde_json::Value> {
    r.body["items"].as_array().cloned().unwrap_or_default()
}

both!(the_seed_articles_figures_come_from_the_records, |app| async move {
    seed_demo(&app).await;

    // Liangjiang: the 2021-06-16 ceremony signed 31 projects for 92.5 billion yuan.
    let lj = app.login("liangjiang.admin", PASSWORD).await;
    let events = items(&app.get("/v1/signing-events", &lj).await.expect(200));
    let ceremony = events.iter().find(|e| e["held_on"] == "2021-06-16").expect("the 2021-06-16 ceremony");
    assert_eq!(ceremony["project_count"], 31);
    assert_eq!(ceremony["total_cny_minor"], 92_500_000_000_i64 * 100);

    // Liangjiang's party branch: eight weekly "party history reader" sessions, the hometown
    // series and the memorial-hall visit, each held, with their attendance earning points.
    let secretary = app.login("liangjiang.secretary", PASSWORD).await;
    let studies = items(&app.get("/v1/activities?activity_type=study&page_size=200", &secretary).await.expect(200));
    let readings = studies.iter().filter(|a| a["title"].as_str().unwrap().starts_with("党史朗读者")).count();
    assert_eq!(readings, 8);
    assert_eq!(studies.len(), 11);
    let visits = items(&app.get("/v1/activities?activity_type=site_visit", &secretary).await.expect(200));
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0]["status"], "held");
    let first = studies.iter().find(|a| a["title"].as_str().unwrap().contains("第1期")).unwrap();
    assert_eq!(first["speaker"], "张辉");
    let attendance = app.get(&format!("/v1/activities/{}/attendance", first["id"].as_str().unwrap()), &secretary).await;
    let totals = &attendance.expect(200).body["totals"];
    assert_eq!((totals["present"].as_i64(), totals["leave"].as_i64()), (Some(2), Some(1)));

    // Mianyang's branch stationed in Shenzhen and the optics association's branch: one joint
    // activity both see, linked to the lead it produced.
    let optics = app.login("optics.secretary", PASSWORD).await;
    let joint = items(&app.get("/v1/activities?activity_type=joint_activity", &optics).await.expect(200));
    assert_eq!(joint.len(), 1);
    let gba = app.login("mianyang.gba.officer", PASSWORD).await;
    let lead = app.get(&format!("/v1/projects/{}", joint[0]["project_ids"][0].as_str().unwrap()), &gba).await;
    assert_eq!(lead.expect(200).body["name"], "深圳光电子产业链招引线索");

    // The Ruili alliance: two investment trainings and one industry-transfer training, hosted
    // by the province's branch with Ruili's.
    let ruili = app.login("ruili.secretary", PASSWORD).await;
    let trainings = items(&app.get("/v1/activities?activity_type=training", &ruili).await.expect(200));
    let titles: Vec<&str> = trainings.iter().map(|a| a["title"].as_str().unwrap()).collect();
    assert_eq!(titles.iter().filter(|t| t.contains("招商引资业务培训班")).count(), 2);
    assert_eq!(titles.iter().filter(|t| t.contains("产业转移知识培训班")).count(), 1);

    // Ruili's 2026 compliance: general meetings held in Q1 and Q3 only, committee meetings
    // every month but September, one party lesson without minutes.
    let branches = items(&app.get("/v1/branches?q=瑞丽", &ruili).await.expect(200));
    let branch = branches[0]["id"].as_str().unwrap().to_owned();
    let c = app.get(&format!("/v1/branches/{branch}/compliance?year=2026"), &ruili).await.expect(200).body;
    let missing = |t: &str| -> Vec<i64> {
        c["periods"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["activity_type"] == t && p["missing"].as_i64() > Some(0))
            .map(|p| p["index"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(missing("general_meeting")[..2], [2, 4][..]);
    assert_eq!(missing("committee_meeting")[0], 9);
    assert_eq!(c["summary"]["incomplete_count"], 1);

    // Zhenjiang: points management with the zone's own rules (theme day 3, service 5),
    // awards and a deduction; the leaderboard adds them up.
    let zj = app.login("zhenjiang.secretary", PASSWORD).await;
    let me = app.get("/v1/me", &zj).await.expect(200).body;
    let org = me["organization_id"].as_str().unwrap();
    let board = items(&app.get(&format!("/v1/point-balances?organization_id={org}"), &zj).await.expect(200));
    let points: Vec<(String, i64)> =
        board.iter().map(|r| (r["display_name"].as_str().unwrap().to_owned(), r["points"].as_i64().unwrap())).collect();
    assert_eq!(
        points,
        vec![
            ("演示用户 zhenjiang.secretary".to_owned(), 3 + 5 + 4),
            ("演示用户 zhenjiang.member".to_owned(), 3 + 5 + 5 - 2)
        ]
    );
    // Its open-door tickets of March 2026 took 26 hours on average.
    let m = app.get(&format!("/v1/tickets/metrics?organization_id={org}&from=2026-03-01&to=2026-04-01"), &zj).await;
    assert_eq!(m.expect(200).body["avg_handling_hours"], 26.0);
});
