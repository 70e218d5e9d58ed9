//! The `zhaoshang` service: start-up (pool, migrations, signing secret), the HTTP server with
//! graceful shutdown, background upkeep, demo data and the command-line tools.

pub mod config;
pub mod demo;

use std::net::TcpListener;
use std::time::Duration;

use actix_web::{web, HttpServer};
use base64::Engine;
use rand::RngCore;
use zs_http::auth::Keys;
use zs_http::routing::RouteTable;
use zs_http::AppState;
use zs_persistence::{db, settings, Backend, Pool};

pub use config::Config;

/// Why the service could not start, in one line.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Connect(#[from] db::ConnectError),
    #[error("{0}")]
    Store(String),
    #[error("ZS_JWT_SECRET must be at least 32 bytes")]
    WeakSecret,
    #[error("cannot listen on {addr}: {cause}")]
    Bind { addr: String, cause: String },
}

impl From<zs_persistence::StoreError> for StartError {
    fn from(e: zs_persistence::StoreError) -> Self {
        StartError::Store(e.to_string())
    }
}

/// Opens the database and migrates it (under an advisory lock on PostgreSQL).
pub fn open_database(cfg: &Config) -> Result<(Pool, Backend), StartError> {
    let (pool, backend) = db::connect(&cfg.pool_config())?;
    let mut conn = pool.get().map_err(|e| StartError::Store(format!("cannot check out a connection: {e}")))?;
    let applied = db::run_migrations(&mut conn)?;
    for v in &applied {
        tracing::info!(version = %v, "applied migration");
    }
    Ok((pool, backend))
}

/// The configured signing secret, or the one kept in the database (generated on first start).
fn signing_secret(cfg: &Config, pool: &Pool) -> Result<Vec<u8>, StartError> {
    if let Some(s) = &cfg.jwt_secret {
        if s.len() < 32 {
            return Err(StartError::WeakSecret);
        }
        tracing::info!("using the signing secret from ZS_JWT_SECRET");
        return Ok(s.as_bytes().to_vec());
    }
    let mut conn = pool.get().map_err(|e| StartError::Store(e.to_string()))?;
    let (secret, created) = settings::get_or_create(&mut conn, "jwt_secret", || {
        let mut b = [0u8; 48];
        rand::thread_rng().fill_bytes(&mut b);
        base64::engine::general_purpose::STANDARD.encode(b)
    })?;
    if created {
        tracing::info!("no ZS_JWT_SECRET set: generated a signing secret and stored it in the database");
    } else {
        tracing::info!("no ZS_JWT_SECRET set: using the signing secret stored in the database");
    }
    Ok(secret.into_bytes())
}

/// Everything the server needs, ready to serve.
pub struct Prepared {
    pub state: web::Data<AppState>,
    pub doc: zs_http::utoipa::openapi::OpenApi,
}

pub fn prepare(cfg: &Config) -> Result<Prepared, StartError> {
    let (pool, backend) = open_database(cfg)?;
    let secret = signing_secret(cfg, &pool)?;
    let doc = zs_http::openapi();
    let state = web::Data::new(AppState {
        pool,
        backend,
        keys: Keys::new(&secret),
        settings: cfg.api_settings(),
        routes: RouteTable::from_openapi(&doc),
    });
    Ok(Prepared { state, doc })
}

/// Builds the HTTP server on a bound listener. SIGTERM and SIGINT stop it gracefully:
/// in-flight requests get `shutdown_timeout_secs` to finish.
pub fn server(prepared: Prepared, listener: TcpListener, cfg: &Config) -> Result<actix_web::dev::Server, StartError> {
    let Prepared { state, doc } = prepared;
    let workers = cfg.workers.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2));
    let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    let upkeep_pool = state.pool.clone();
    let srv = HttpServer::new(move || zs_http::build_app(state.clone(), doc.clone()))
        .workers(workers)
        // Blocking work is database work, and no more of it runs at once than the pool has
        // connections: more threads only wait for a connection, and each would grow its own
        // malloc arena (peak RSS 300 MB instead of 130 MB under the metrics benchmark).
        .worker_max_blocking_threads(usize::try_from(cfg.pool_size).unwrap_or(4).max(2) + 1)
        .shutdown_timeout(cfg.shutdown_timeout_secs)
        .listen(listener)
        .map_err(|e| StartError::Bind { addr, cause: e.to_string() })?
        .run();
    tokio::spawn(escalation(upkeep_pool.clone(), chrono::Duration::hours(i64::from(cfg.escalation_grace_hours))));
    tokio::spawn(upkeep(upkeep_pool));
    Ok(srv)
}

/// Every 5 minutes, escalates overdue tickets one level after `grace` (see
/// `zs_persistence::tickets::escalate_overdue`; safe with several instances).
async fn escalation(pool: Pool, grace: chrono::Duration) {
    let mut tick = tokio::time::interval(Duration::from_secs(300));
    loop {
        tick.tick().await;
        let pool = pool.clone();
        let result = web::block(move || {
            let mut conn = pool.get()?;
            zs_persistence::tickets::escalate_overdue(&mut conn, chrono::Utc::now(), grace)
        })
        .await;
        match result {
            Ok(Ok(n)) if n > 0 => tracing::info!(escalated = n, "escalated overdue tickets"),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "ticket escalation failed"),
            Err(e) => tracing::warn!(error = %e, "ticket escalation task failed"),
        }
    }
}

/// Hourly upkeep, safe with several instances: deletes idempotency keys older than 48 h
/// (they are promised for at least 24 h).
async fn upkeep(pool: Pool) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let pool = pool.clone();
        let result = web::block(move || {
            let mut conn = pool.get()?;
            let before = zs_persistence::now() - chrono::Duration::hours(48);
            zs_persistence::idempotency::purge(&mut conn, before)
        })
        .await;
        match result {
            Ok(Ok(n)) if n > 0 => tracing::info!(deleted = n, "purged old idempotency keys"),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "idempotency purge failed"),
            Err(e) => tracing::warn!(error = %e, "idempotency purge task failed"),
        }
    }
}

/// Binds the configured address.
pub fn bind(cfg: &Config) -> Result<TcpListener, StartError> {
    TcpListener::bind(&cfg.bind).map_err(|e| StartError::Bind { addr: cfg.bind.clone(), cause: e.to_string() })
}
