//! Both migration sets have the same versions and produce the same tables, columns and
//! nullability.

use crate::support::*;

#[test]
fn both_migration_sets_have_the_same_versions() {
    let (pg, sqlite) = zs_persistence::db::migration_versions();
    assert!(!pg.is_empty());
    assert_eq!(pg, sqlite);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_backends_produce_the_same_schema() {
    let sqlite = TestApp::spawn(Backend::Sqlite).await;
    let pg = TestApp::spawn(Backend::Postgres).await;
    let describe = |url: String| {
        tokio::task::spawn_blocking(move || {
            let cfg = zhaoshang::Config::for_database(&url);
            let (pool, _) = zhaoshang::open_database(&cfg).unwrap();
            let mut conn = pool.get().unwrap();
            zs_persistence::db::describe_schema(&mut conn).unwrap()
        })
    };
    let s = describe(sqlite.database_url.clone()).await.unwrap();
    let p = describe(pg.database_url.clone()).await.unwrap();
    assert!(s.len() > 20, "too few columns: {s:?}");
    assert_eq!(s, p);
}
