//! Settings: every one has a `ZS_*` environment variable, a command-line flag, and a default
//! that works on a laptop. `zhaoshang --help` lists them; secrets are never logged.

use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Database URL: `sqlite://<file>` (embedded default) or `postgres://user@host/db`.
    #[arg(long, env = "ZS_DATABASE_URL", default_value = "sqlite://zhaoshang.db", global = true)]
    pub database_url: String,

    /// Address and port to listen on.
    #[arg(long, env = "ZS_BIND", default_value = "127.0.0.1:8080", global = true)]
    pub bind: String,

    /// JWT signing secret (at least 32 bytes). When unset, one is generated once and kept in
    /// the database, so tokens survive restarts with zero configuration.
    #[arg(long, env = "ZS_JWT_SECRET", hide_env_values = true, global = true)]
    pub jwt_secret: Option<String>,

    /// Lifetime of access tokens, in seconds.
    #[arg(long, env = "ZS_ACCESS_TOKEN_TTL_SECS", default_value_t = 900, global = true)]
    pub access_token_ttl_secs: u64,

    /// Lifetime of refresh tokens, in seconds.
    #[arg(long, env = "ZS_REFRESH_TOKEN_TTL_SECS", default_value_t = 30 * 24 * 3600, global = true)]
    pub refresh_token_ttl_secs: u64,

    /// Seconds a spent refresh token still returns the same new pair (for phones that lost
    /// the answer); reuse after that revokes the token family.
    #[arg(long, env = "ZS_REFRESH_GRACE_SECS", default_value_t = 30, global = true)]
    pub refresh_grace_secs: u64,

    /// Database connections in the pool.
    #[arg(long, env = "ZS_POOL_SIZE", default_value_t = 10, global = true)]
    pub pool_size: u32,

    /// How long a request waits for a pooled connection before it is answered 503, in ms.
    #[arg(long, env = "ZS_POOL_TIMEOUT_MS", default_value_t = 3000, global = true)]
    pub pool_timeout_ms: u64,

    /// How long SQLite waits for a lock held by another writer, in ms.
    #[arg(long, env = "ZS_SQLITE_BUSY_TIMEOUT_MS", default_value_t = 5000, global = true)]
    pub sqlite_busy_timeout_ms: u32,

    /// Largest accepted request body, in bytes.
    #[arg(long, env = "ZS_BODY_LIMIT", default_value_t = 1024 * 1024, global = true)]
    pub body_limit: usize,

    /// Consecutive failed logins before an account is locked.
    #[arg(long, env = "ZS_LOGIN_MAX_FAILURES", default_value_t = 5, global = true)]
    pub login_max_failures: i32,

    /// How long a locked account stays locked, in seconds.
    #[arg(long, env = "ZS_LOGIN_LOCK_SECS", default_value_t = 900, global = true)]
    pub login_lock_secs: u64,

    /// Hours a visit's `visited_at` may lie after the phone's `recorded_at` before the visit is
    /// flagged `late_entry` (flagged, never refused).
    #[arg(long, env = "ZS_LATE_ENTRY_HOURS", default_value_t = 24, global = true)]
    pub late_entry_hours: u64,

    /// Minutes before an activity's planned start when members may begin to sign in.
    #[arg(long, env = "ZS_SIGN_IN_OPENS_MINUTES", default_value_t = 30, global = true)]
    pub sign_in_opens_minutes: u32,

    /// Minutes after an activity's planned start when self sign-in closes (the secretary still
    /// records attendance afterwards).
    #[arg(long, env = "ZS_SIGN_IN_CLOSES_MINUTES", default_value_t = 60, global = true)]
    pub sign_in_closes_minutes: u32,

    /// HTTP worker threads (default: one per CPU).
    #[arg(long, env = "ZS_WORKERS", global = true)]
    pub workers: Option<usize>,

    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT.
    #[arg(long, env = "ZS_SHUTDOWN_TIMEOUT_SECS", default_value_t = 30, global = true)]
    pub shutdown_timeout_secs: u64,

    /// Hours an overdue ticket waits before the background task escalates it one level (and
    /// again after each further such period).
    #[arg(long, env = "ZS_ESCALATION_GRACE_HOURS", default_value_t = 24, global = true)]
    pub escalation_grace_hours: u32,

    /// Log format.
    #[arg(long, env = "ZS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// Log filter (tracing EnvFilter syntax), e.g. `info` or `zs_http=debug,info`.
    #[arg(long, env = "ZS_LOG", default_value = "info", global = true)]
    pub log: String,
}

impl Config {
    /// Defaults for a database URL (tests and tools).
    pub fn for_database(url: &str) -> Self {
        Config {
            database_url: url.to_owned(),
            bind: "127.0.0.1:0".to_owned(),
            jwt_secret: None,
            access_token_ttl_secs: 900,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            refresh_grace_secs: 30,
            pool_size: 4,
            pool_timeout_ms: 3000,
            sqlite_busy_timeout_ms: 5000,
            body_limit: 1024 * 1024,
            login_max_failures: 5,
            login_lock_secs: 900,
            late_entry_hours: 24,
            sign_in_opens_minutes: 30,
            sign_in_closes_minutes: 60,
            workers: Some(1),
            shutdown_timeout_secs: 5,
            escalation_grace_hours: 24,
            log_format: LogFormat::Text,
            log: "warn".to_owned(),
        }
    }

    pub fn api_settings(&self) -> zs_http::ApiSettings {
        use std::time::Duration;
        zs_http::ApiSettings {
            access_token_ttl: Duration::from_secs(self.access_token_ttl_secs),
            refresh_token_ttl: Duration::from_secs(self.refresh_token_ttl_secs),
            body_limit: self.body_limit,
            login_max_failures: self.login_max_failures.max(1),
            login_lock: Duration::from_secs(self.login_lock_secs),
            refresh_grace: Duration::from_secs(self.refresh_grace_secs),
            late_entry_after: Duration::from_secs(self.late_entry_hours.saturating_mul(3600)),
            sign_in: zs_domain::party::SignInWindow {
                opens_before: chrono::Duration::minutes(i64::from(self.sign_in_opens_minutes)),
                closes_after: chrono::Duration::minutes(i64::from(self.sign_in_closes_minutes)),
            },
        }
    }

    pub fn pool_config(&self) -> zs_persistence::PoolConfig {
        zs_persistence::PoolConfig {
            url: self.database_url.clone(),
            max_size: self.pool_size,
            checkout_timeout: std::time::Duration::from_millis(self.pool_timeout_ms.max(100)),
            sqlite_busy_timeout_ms: self.sqlite_busy_timeout_ms,
        }
    }
}
