//! Zhaoshang persistence: diesel over PostgreSQL and SQLite through one connection enum.
//! Each module runs whole use cases on a connection and returns domain types; visibility
//! is part of every query's SQL (see [`scope`]).

pub mod activities;
pub mod alliances;
pub mod attendance;
pub mod branches;
pub mod calendar;
pub mod db;
pub mod enterprises;
pub mod funds;
pub mod idempotency;
pub mod orgs;
pub mod page;
pub mod party;
pub mod points;
pub mod projects;
pub mod records;
pub mod schema;
pub mod scope;
pub mod settings;
pub mod signing;
pub mod tickets;
pub mod tokens;
pub mod users;
pub mod visits;

pub use db::{Backend, DbConn, Pool, PoolConfig};
pub use zs_domain::DomainError;

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};

/// Why a use case failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// A unique key is taken (an id, code or idempotency key stored concurrently).
    #[error("duplicate: {0}")]
    Duplicate(String),
    #[error("database error: {0}")]
    Db(diesel::result::Error),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("migration failed: {0}")]
    Migration(String),
}

impl From<diesel::result::Error> for StoreError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                StoreError::Duplicate(info.message().to_owned())
            }
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                StoreError::Unavailable(info.message().to_owned())
            }
            Error::DatabaseError(_, info) if is_connection_failure(info.message()) => {
                StoreError::Unavailable(info.message().to_owned())
            }
            other => StoreError::Db(other),
        }
    }
}

/// Messages of a lost server connection, or of a locked SQLite file that outlasted busy_timeout.
fn is_connection_failure(msg: &str) -> bool {
    let m = msg.to_ascii_lowercase();
    [
        "server closed the connection",
        "connection refused",
        "terminating connection",
        "no connection to the server",
        "database is locked",
        "could not connect",
        "the database system is shutting down",
        "the database system is starting up",
    ]
    .iter()
    .any(|p| m.contains(p))
}

impl From<r2d2_error::PoolError> for StoreError {
    fn from(e: r2d2_error::PoolError) -> Self {
        StoreError::Unavailable(e.to_string())
    }
}

mod r2d2_error {
    pub type PoolError = diesel::r2d2::PoolError;
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The current instant, UTC, truncated to microseconds (what both backends store).
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// Stored timestamps are UTC.
pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// A new time-ordered id (UUIDv7, lower-case hyphenated).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Checks a client-supplied id: a UUID, stored in canonical lower-case form.
pub fn parse_client_id(pointer: &str, raw: &str) -> Result<String, DomainError> {
    match uuid::Uuid::parse_str(raw) {
        Ok(u) if raw.len() == 36 && u.get_version_num() == 7 => Ok(u.to_string()),
        _ => Err(DomainError::invalid(pointer, "uuid", "must be a UUIDv7 in hyphenated form")),
    }
}

/// Checks an `If-Match` version against the current one.
pub fn check_version(expected: Option<i64>, current: i64) -> Result<(), DomainError> {
    match expected {
        Some(v) if v != current => Err(DomainError::PreconditionFailed { current }),
        _ => Ok(()),
    }
}
