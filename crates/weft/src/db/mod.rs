//! The database: connecting (external or embedded), migrations, and the queries.

pub mod api_tokens;
pub mod backup;
pub mod days;
pub mod embedded;
pub mod export;
pub mod identities;
pub mod imports;
pub mod jobs;
pub mod journals;
pub mod migrate;
pub mod passages;
pub mod reels;
pub mod reset_links;
pub mod scoped;
pub mod second_factor;
pub mod seed;
pub mod sessions;
pub mod supervise;
pub mod tags;
pub mod throttle;
pub mod transcripts;
pub mod uploads;
pub mod url;
pub mod users;
pub mod wake;

use std::path::PathBuf;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use embedded::{Cluster, EmbeddedError, Layout};
use url::{DatabaseUrl, UrlError};

/// Connection pool settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolConfig {
    pub max: u32,
    pub idle_timeout: Duration,
    pub connect_timeout: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max: 10,
            idle_timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// Everything needed to reach the database.
#[derive(Debug, Clone)]
pub struct DbConfig {
    /// An external server, or `None` for the embedded cluster.
    pub url: Option<DatabaseUrl>,
    pub data_dir: PathBuf,
    pub pool: PoolConfig,
}

/// Why the database could not be reached. Every message says what to check.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Url(#[from] UrlError),
    #[error(transparent)]
    Embedded(#[from] EmbeddedError),
    #[error("{0}")]
    Connect(String),
    #[error(transparent)]
    Migrate(#[from] migrate::MigrateError),
}

/// Where the database is.
#[derive(Debug, Clone)]
pub enum Target {
    External(DatabaseUrl),
    Embedded(Layout),
}

impl Target {
    /// A description safe to print (no password).
    pub fn describe(&self) -> String {
        match self {
            Target::External(url) => url.redacted(),
            Target::Embedded(layout) => {
                format!("the embedded cluster in {}", layout.cluster_dir().display())
            }
        }
    }

    /// A connection string that `psql`, `pg_dump` and `pg_restore` accept.
    pub fn libpq_url(&self) -> String {
        match self {
            Target::External(url) => url.as_libpq().to_string(),
            Target::Embedded(layout) => layout.url(),
        }
    }

    /// Whether development-only commands may run against it without `--force`.
    pub fn is_local(&self) -> bool {
        match self {
            Target::External(url) => url.is_local(),
            Target::Embedded(_) => true,
        }
    }

    fn connect_options(&self) -> Result<PgConnectOptions, DbError> {
        Ok(match self {
            Target::External(url) => url.connect_options()?,
            Target::Embedded(layout) => layout.connect_options(),
        }
        .application_name("weft"))
    }
}

/// An open database: the pool, and the embedded cluster when Weft runs its own.
#[derive(Debug)]
pub struct Database {
    pool: PgPool,
    target: Target,
    cluster: Option<Cluster>,
}

impl Database {
    /// Connects to `DATABASE_URL`, or starts (or joins) the embedded cluster. Does not
    /// migrate; see [`Database::open_migrated`].
    pub async fn open(config: &DbConfig) -> Result<Self, DbError> {
        let (target, cluster) = match &config.url {
            Some(url) => (Target::External(url.clone()), None),
            None => {
                let data_dir = config.data_dir.clone();
                let cluster = tokio::task::spawn_blocking(move || Cluster::start(&data_dir))
                    .await
                    .map_err(|e| {
                        DbError::Connect(format!("starting the embedded cluster: {e}"))
                    })??;
                (Target::Embedded(cluster.layout().clone()), Some(cluster))
            }
        };
        let pool = match connect(&target, &config.pool).await {
            Ok(pool) => pool,
            Err(error) => {
                if let Some(cluster) = cluster {
                    let _ = tokio::task::spawn_blocking(move || cluster.release()).await;
                }
                return Err(error);
            }
        };
        Ok(Self {
            pool,
            target,
            cluster,
        })
    }

    /// Opens the database and applies pending migrations.
    pub async fn open_migrated(config: &DbConfig) -> Result<Self, DbError> {
        let db = Self::open(config).await?;
        if let Err(error) = migrate::migrate(&db.pool).await {
            db.close().await;
            return Err(error.into());
        }
        Ok(db)
    }

    /// The connection pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Where the database is.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Keeps an embedded cluster running after this process exits (`weft db start`).
    pub fn pin_cluster(&self) -> Result<(), DbError> {
        if let Some(cluster) = &self.cluster {
            cluster.pin()?;
        }
        Ok(())
    }

    /// Closes the pool, then leaves the embedded cluster (stopping it if this process was
    /// its last user).
    pub async fn close(self) {
        self.pool.close().await;
        if let Some(cluster) = self.cluster {
            match tokio::task::spawn_blocking(move || cluster.release()).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::error!(%error, "stopping the embedded cluster failed"),
                Err(error) => tracing::error!(%error, "stopping the embedded cluster failed"),
            }
        }
    }
}

/// Builds a pool after checking that one connection can be made. The check uses a
/// connection of its own: the pool would retry until its timeout and hide the reason.
pub async fn connect(target: &Target, pool: &PoolConfig) -> Result<PgPool, DbError> {
    use sqlx::Connection;
    let options = target.connect_options()?;
    let fail = |error: sqlx::Error| DbError::Connect(explain(&error, target, pool));
    match tokio::time::timeout(
        pool.connect_timeout,
        sqlx::PgConnection::connect_with(&options),
    )
    .await
    {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
        }
        Ok(Err(error)) => return Err(fail(error)),
        Err(_) => return Err(fail(sqlx::Error::PoolTimedOut)),
    }
    Ok(PgPoolOptions::new()
        .max_connections(pool.max)
        .idle_timeout(Some(pool.idle_timeout))
        .acquire_timeout(pool.connect_timeout)
        // No ping before handing out a connection: sqlx already pings each one as it comes
        // back to the pool (and drops it if dead), so a second ping on the way out only
        // added a round trip to every request. A connection that died while idle fails
        // its first query, which answers 503 as any lost connection does.
        .test_before_acquire(false)
        .connect_lazy_with(options))
}

/// A database health check: one round trip within `timeout`.
pub async fn ping(pool: &PgPool, timeout: Duration) -> Result<(), String> {
    match tokio::time::timeout(timeout, sqlx::query!("SELECT 1 AS one").fetch_one(pool)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!("no answer within {} ms", timeout.as_millis())),
    }
}

/// Turns a connection error into a message that says what to check.
pub fn explain(error: &sqlx::Error, target: &Target, pool: &PoolConfig) -> String {
    let where_ = target.describe();
    match error {
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => format!(
            "could not connect to PostgreSQL at {where_}: connection refused. Check that \
             PostgreSQL is running and that DATABASE_URL (host and port) is correct"
        ),
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::NotFound => format!(
            "could not connect to PostgreSQL at {where_}: no server socket there. Check that \
             PostgreSQL is running and that DATABASE_URL is correct"
        ),
        sqlx::Error::Io(io) => format!(
            "could not connect to PostgreSQL at {where_}: {io}. Check that PostgreSQL is \
             running and reachable, and that DATABASE_URL is correct"
        ),
        sqlx::Error::Tls(tls) => format!(
            "TLS to PostgreSQL at {where_} failed: {tls}. Check sslmode (and sslrootcert) in \
             DATABASE_URL and the server's certificate"
        ),
        sqlx::Error::PoolTimedOut => format!(
            "no database connection within {} s ({where_}): either the server does not \
             answer, or the pool of {} connections is exhausted. Check that PostgreSQL is \
             reachable; under load raise WEFT_POOL_MAX (or pool_max=N in DATABASE_URL) and \
             look for slow queries or connections held too long",
            pool.connect_timeout.as_secs(),
            pool.max
        ),
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("28P01") | Some("28000") => format!(
                "PostgreSQL at {where_} refused the login: {}. Check the user name and \
                 password in DATABASE_URL (and pg_hba.conf on the server)",
                db.message()
            ),
            Some("3D000") => format!(
                "{}: create the database first (`createdb NAME`) or fix the database name \
                 in DATABASE_URL",
                db.message()
            ),
            Some("53300") => format!(
                "PostgreSQL at {where_} has no connection slots left ({}). Lower \
                 WEFT_POOL_MAX or raise max_connections on the server",
                db.message()
            ),
            _ => format!(
                "PostgreSQL at {where_} refused the connection: {}",
                db.message()
            ),
        },
        other => format!("could not use PostgreSQL at {where_}: {other}"),
    }
}
