//! The connection enum over PostgreSQL and SQLite, the pool, migrations, and the few
//! statements that differ between the backends (kept here and nowhere else).

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::StoreError;

/// One database connection, PostgreSQL or SQLite.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

pub type Pool = r2d2::Pool<DbManager>;
pub type PooledConn = r2d2::PooledConnection<DbManager>;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// Advisory lock key taken while migrating PostgreSQL ("zhaoshang" in ASCII, truncated).
const MIGRATION_LOCK_KEY: i64 = 0x7a68_616f_7368_616e;

/// Which backend a URL names. Chosen by our code from the scheme, never by trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// Why the database could not be opened, in one line naming the cause.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ConnectError {
    #[error("unsupported database URL {0:?}: use postgres://… or sqlite://<file>")]
    BadUrl(String),
    #[error("cannot connect to PostgreSQL: {0}")]
    Postgres(String),
    #[error("cannot open SQLite database {path}: {cause}")]
    Sqlite { path: String, cause: String },
}

impl Backend {
    /// Splits a database URL into its backend and the string the driver takes.
    pub fn from_url(url: &str) -> Result<(Backend, String), ConnectError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok((Backend::Postgres, url.to_owned()));
        }
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"));
        match path {
            Some(p) if !p.is_empty() => Ok((Backend::Sqlite, p.to_owned())),
            Some(_) => Err(ConnectError::BadUrl(url.to_owned())),
            None if !url.contains("://") && !url.is_empty() => Ok((Backend::Sqlite, url.to_owned())),
            None => Err(ConnectError::BadUrl(url.to_owned())),
        }
    }
}

fn first_line(s: &str) -> String {
    s.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("unknown error").to_owned()
}

/// Opens connections for the pool: picks the driver from the URL and sets SQLite's pragmas
/// (WAL, foreign keys, busy timeout) on every connection.
#[derive(Debug, Clone)]
pub struct DbManager {
    backend: Backend,
    target: String,
    busy_timeout_ms: u32,
}

impl DbManager {
    pub fn new(url: &str, busy_timeout_ms: u32) -> Result<Self, ConnectError> {
        let (backend, target) = Backend::from_url(url)?;
        Ok(Self { backend, target, busy_timeout_ms })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn open(&self) -> Result<DbConn, ConnectError> {
        match self.backend {
            Backend::Postgres => PgConnection::establish(&self.target)
                .map(DbConn::Pg)
                .map_err(|e| ConnectError::Postgres(first_line(&e.to_string()))),
            Backend::Sqlite => {
                let err = |e: &dyn std::fmt::Display| ConnectError::Sqlite {
                    path: self.target.clone(),
                    cause: first_line(&e.to_string()),
                };
                let mut c = SqliteConnection::establish(&self.target).map_err(|e| err(&e))?;
                c.batch_execute(&format!(
                    "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                    self.busy_timeout_ms
                ))
                .map_err(|e| err(&e))?;
                Ok(DbConn::Sqlite(c))
            }
        }
    }
}

impl ManageConnection for DbManager {
    type Connection = DbConn;
    type Error = ConnectError;

    fn connect(&self) -> Result<DbConn, ConnectError> {
        self.open()
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), ConnectError> {
        conn.batch_execute("SELECT 1").map_err(|e| ConnectError::Postgres(first_line(&e.to_string())))
    }

    /// A connection returned while still inside a transaction (a panic mid use case) is dropped.
    fn has_broken(&self, conn: &mut DbConn) -> bool {
        let depth = match conn {
            DbConn::Pg(c) => AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth(),
            DbConn::Sqlite(c) => AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth(),
        };
        !matches!(depth, Ok(None))
    }
}

/// Pool settings.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    pub url: String,
    pub max_size: u32,
    /// How long a request waits for a connection before it is answered 503.
    pub checkout_timeout: Duration,
    pub sqlite_busy_timeout_ms: u32,
}

/// Opens one connection first (so a bad URL or an unreachable server is reported with its
/// real cause), then builds the pool.
pub fn connect(cfg: &PoolConfig) -> Result<(Pool, Backend), ConnectError> {
    let manager = DbManager::new(&cfg.url, cfg.sqlite_busy_timeout_ms)?;
    let backend = manager.backend();
    if backend == Backend::Sqlite {
        let path = std::path::Path::new(&manager.target);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.is_dir() {
                return Err(ConnectError::Sqlite {
                    path: manager.target.clone(),
                    cause: format!("directory {} does not exist", dir.display()),
                });
            }
        }
    }
    drop(manager.open()?);
    let pool = r2d2::Pool::builder()
        .max_size(cfg.max_size.max(1))
        .min_idle(Some(1))
        .connection_timeout(cfg.checkout_timeout)
        .build_unchecked(manager);
    Ok((pool, backend))
}

/// Runs the embedded migrations of the connection's backend; on PostgreSQL under an advisory
/// lock so that several instances may start at once. Returns the versions applied now.
pub fn run_migrations(conn: &mut DbConn) -> Result<Vec<String>, StoreError> {
    let as_store = |e: Box<dyn std::error::Error + Send + Sync>| StoreError::Migration(e.to_string());
    match conn {
        DbConn::Pg(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))?;
            let applied =
                c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.iter().map(|m| m.to_string()).collect());
            c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))?;
            applied.map_err(as_store)
        }
        DbConn::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|v| v.iter().map(|m| m.to_string()).collect())
            .map_err(as_store),
    }
}

/// Runs `f` in a write transaction: `BEGIN IMMEDIATE` on SQLite (a deferred transaction that
/// reads then writes fails with SQLITE_BUSY_SNAPSHOT, which busy_timeout does not retry),
/// plain `BEGIN` on PostgreSQL. Commits on `Ok`, rolls back on `Err`.
pub fn write_tx<T, E>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConn::Pg(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    match f(conn) {
        Ok(v) => {
            match conn {
                DbConn::Sqlite(c) => AnsiTransactionManager::commit_transaction(c)?,
                DbConn::Pg(c) => AnsiTransactionManager::commit_transaction(c)?,
            }
            Ok(v)
        }
        Err(e) => {
            let rolled_back = match conn {
                DbConn::Sqlite(c) => AnsiTransactionManager::rollback_transaction(c),
                DbConn::Pg(c) => AnsiTransactionManager::rollback_transaction(c),
            };
            if let Err(rb) = rolled_back {
                tracing::error!(error = %rb, "rollback failed");
            }
            Err(e)
        }
    }
}

/// Whether a diesel error is a unique-key violation (an id or code already taken).
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(e, diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
}

/// Lists the user tables and their columns as (table, column, not_null), for the parity test.
pub fn describe_schema(conn: &mut DbConn) -> Result<Vec<(String, String, bool)>, StoreError> {
    #[derive(QueryableByName)]
    struct ColumnRow {
        #[diesel(sql_type = diesel::sql_types::Text)]
        table_name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        column_name: String,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        not_null: bool,
    }
    const PG: &str = "SELECT table_name::text AS table_name, column_name::text AS column_name, \
             (is_nullable = 'NO') AS not_null FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name NOT LIKE '\\_\\_%' ORDER BY 1, 2";
    const SQLITE: &str = "SELECT m.name AS table_name, p.name AS column_name, \
             (p.\"notnull\" = 1 OR p.pk > 0) AS not_null FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND m.name NOT LIKE '\\_\\_%' ESCAPE '\\' ORDER BY 1, 2";
    let rows: Vec<ColumnRow> = match conn {
        DbConn::Pg(c) => diesel::sql_query(PG).load(c)?,
        DbConn::Sqlite(c) => diesel::sql_query(SQLITE).load(c)?,
    };
    Ok(rows.into_iter().map(|r| (r.table_name, r.column_name, r.not_null)).collect())
}

/// The migration versions each backend's set contains.
pub fn migration_versions() -> (Vec<String>, Vec<String>) {
    use diesel::migration::MigrationSource;
    let names = |src: &EmbeddedMigrations| -> Vec<String> {
        let ms: Vec<Box<dyn diesel::migration::Migration<diesel::pg::Pg>>> =
            MigrationSource::<diesel::pg::Pg>::migrations(src).unwrap_or_default();
        ms.iter().map(|m| m.name().version().to_string()).collect()
    };
    (names(&POSTGRES_MIGRATIONS), names(&SQLITE_MIGRATIONS))
}

/// Whether the database answers a trivial query.
pub fn ping(conn: &mut DbConn) -> Result<(), StoreError> {
    conn.batch_execute("SELECT 1").map_err(StoreError::from)
}

/// Locks a row for the rest of the write transaction, so that a check-then-update (version,
/// stage, membership) cannot race another writer. PostgreSQL only: SQLite's `BEGIN IMMEDIATE`
/// already serializes writers. `table` is one of ours, never input.
pub fn lock_row(conn: &mut DbConn, table: &'static str, id: &str) -> Result<(), StoreError> {
    if let DbConn::Pg(c) = conn {
        diesel::sql_query(format!("SELECT 1 FROM {table} WHERE id = $1 FOR UPDATE"))
            .bind::<diesel::sql_types::Text, _>(id)
            .execute(c)?;
    }
    Ok(())
}
