//! What every handler shares: the pool, the signing keys and the settings of the API.

use std::time::Duration;

use actix_web::web;
use zs_persistence::{Backend, DbConn, Pool, StoreError};

use crate::auth::Keys;
use crate::error::ApiError;
use crate::routing::RouteTable;

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// How long a spent refresh token still returns the same new pair.
    pub refresh_grace: Duration,
    pub body_limit: usize,
    /// Consecutive failed logins before an account is locked.
    pub login_max_failures: i32,
    pub login_lock: Duration,
    /// How much later than the phone's `recorded_at` a visit's `visited_at` may lie before
    /// the visit is flagged `late_entry`.
    pub late_entry_after: Duration,
    /// When members may sign themselves in to an activity, around its planned start.
    pub sign_in: zs_domain::party::SignInWindow,
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            refresh_grace: Duration::from_secs(30),
            body_limit: 1024 * 1024,
            login_max_failures: 5,
            login_lock: Duration::from_secs(15 * 60),
            late_entry_after: Duration::from_secs(24 * 3600),
            sign_in: zs_domain::party::SignInWindow::default(),
        }
    }
}

pub struct AppState {
    pub pool: Pool,
    pub backend: Backend,
    pub keys: Keys,
    pub settings: ApiSettings,
    pub routes: RouteTable,
}

impl AppState {
    /// Runs blocking database work on the blocking pool, never on the async executor, with
    /// the request's span so its log lines carry the request id. The connection is checked
    /// out inside the closure.
    pub async fn db<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        let out = web::block(move || {
            let _entered = span.enter();
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?;
        out.map_err(ApiError::from)
    }

    /// Like [`AppState::db`], inside a write transaction.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, StoreError> + Send + 'static,
    {
        self.db(move |conn| zs_persistence::db::write_tx(conn, f)).await
    }
}
