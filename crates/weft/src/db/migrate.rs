//! Numbered plain-SQL migrations (`migrations/NNNN_name.sql`), embedded in the binary.
//!
//! Each applied migration is recorded with a SHA-256 of its file in `weft_schema_migrations`.
//! An applied migration whose file has changed since, or one the binary does not know (the
//! database is newer than the binary), stops `migrate` with a message that says what to do.
//!
//! The runner's own statements are not checked at compile time like the rest of the db
//! layer: they read and create `weft_schema_migrations`, which no migration makes, and they
//! run on databases at any point of the schema's history, so no single schema checks them.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use sqlx::{Connection, PgConnection, PgPool};

/// One migration file compiled into the binary.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

impl Migration {
    /// `0001_initial`, as on disk.
    pub fn file_stem(&self) -> String {
        format!("{:04}_{}", self.version, self.name)
    }

    fn checksum(&self) -> Vec<u8> {
        Sha256::digest(self.sql.as_bytes()).to_vec()
    }
}

/// Every migration of this binary, in order.
pub const MIGRATIONS: &[Migration] = include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// Serialises migrations between processes (any fixed 64-bit number unique to Weft).
const LOCK_KEY: i64 = 0x5745_4654_4d49_4752; // "WEFTMIGR"

/// Why the schema cannot be brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(
        "migration {0} was changed after it was applied to this database. An applied \
         migration must never be edited: restore the file as it was and put the change in a \
         new migration (`weft db generate NAME`). On a development database, `weft db push` \
         rebuilds the schema from the current files (and drops its data)"
    )]
    Changed(String),
    #[error(
        "this database has migration {0}, which this weft binary does not know: the database \
         is newer than the binary. Run a weft version that includes it, or restore a backup \
         made with this version"
    )]
    Unknown(String),
    #[error("migration {name} failed: {source}")]
    Failed {
        name: String,
        #[source]
        source: sqlx::Error,
    },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Where one migration stands in a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Applied,
    Pending,
    /// Applied, but the file has changed since.
    Changed,
    /// Applied, but not part of this binary.
    Unknown,
}

/// One line of `weft db status`.
#[derive(Debug, Clone)]
pub struct Status {
    pub version: i64,
    pub name: String,
    pub state: State,
    pub applied_at: Option<chrono::DateTime<chrono::Utc>>,
}

const CREATE_TABLE: &str = "
    CREATE TABLE IF NOT EXISTS weft_schema_migrations (
        version    bigint      PRIMARY KEY,
        name       text        NOT NULL,
        checksum   bytea       NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
    )";

#[derive(sqlx::FromRow)]
struct AppliedRow {
    version: i64,
    name: String,
    checksum: Vec<u8>,
    applied_at: chrono::DateTime<chrono::Utc>,
}

async fn applied(conn: &mut PgConnection) -> Result<Vec<AppliedRow>, sqlx::Error> {
    let exists: bool =
        sqlx::query_scalar("SELECT to_regclass('weft_schema_migrations') IS NOT NULL")
            .fetch_one(&mut *conn)
            .await?;
    if !exists {
        return Ok(Vec::new());
    }
    sqlx::query_as(
        "SELECT version, name, checksum, applied_at FROM weft_schema_migrations ORDER BY version",
    )
    .fetch_all(&mut *conn)
    .await
}

/// The state of every migration known to the binary or recorded in the database.
pub async fn status(pool: &PgPool) -> Result<Vec<Status>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let applied = applied(&mut conn).await?;
    Ok(compare(MIGRATIONS, &applied))
}

fn compare(known: &[Migration], applied: &[AppliedRow]) -> Vec<Status> {
    let mut lines: Vec<Status> = known
        .iter()
        .map(|m| {
            let row = applied.iter().find(|row| row.version == m.version);
            Status {
                version: m.version,
                name: m.name.to_string(),
                state: match row {
                    None => State::Pending,
                    Some(row) if row.checksum == m.checksum() => State::Applied,
                    Some(_) => State::Changed,
                },
                applied_at: row.map(|row| row.applied_at),
            }
        })
        .collect();
    lines.extend(
        applied
            .iter()
            .filter(|row| known.iter().all(|m| m.version != row.version))
            .map(|row| Status {
                version: row.version,
                name: row.name.clone(),
                state: State::Unknown,
                applied_at: Some(row.applied_at),
            }),
    );
    lines.sort_by_key(|line| line.version);
    lines
}

/// True when every migration is applied unchanged and the database has none unknown.
pub async fn is_current(pool: &PgPool) -> Result<bool, sqlx::Error> {
    Ok(status(pool)
        .await?
        .iter()
        .all(|s| s.state == State::Applied))
}

/// Applies the pending migrations, each in its own transaction, and returns their names.
/// Running it again is a no-op. Concurrent callers wait for each other.
pub async fn migrate(pool: &PgPool) -> Result<Vec<String>, MigrateError> {
    let mut conn = pool.acquire().await?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(LOCK_KEY)
        .execute(&mut *conn)
        .await?;
    let result = migrate_locked(&mut conn).await;
    // Unlock even when a migration failed; the connection returns to the pool either way.
    let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(LOCK_KEY)
        .execute(&mut *conn)
        .await;
    result
}

async fn migrate_locked(conn: &mut PgConnection) -> Result<Vec<String>, MigrateError> {
    sqlx::query(CREATE_TABLE).execute(&mut *conn).await?;
    let applied = applied(conn).await?;
    for line in compare(MIGRATIONS, &applied) {
        let stem = format!("{:04}_{}", line.version, line.name);
        match line.state {
            State::Changed => return Err(MigrateError::Changed(stem)),
            State::Unknown => return Err(MigrateError::Unknown(stem)),
            State::Applied | State::Pending => {}
        }
    }
    let mut done = Vec::new();
    for migration in MIGRATIONS {
        if applied.iter().any(|row| row.version == migration.version) {
            continue;
        }
        let failed = |source| MigrateError::Failed {
            name: migration.file_stem(),
            source,
        };
        let mut tx = conn.begin().await?;
        sqlx::raw_sql(migration.sql)
            .execute(&mut *tx)
            .await
            .map_err(failed)?;
        sqlx::query(
            "INSERT INTO weft_schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
        )
        .bind(migration.version)
        .bind(migration.name)
        .bind(migration.checksum())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(migration = %migration.file_stem(), "applied migration");
        done.push(migration.file_stem());
    }
    if !done.is_empty() {
        tidy(conn).await;
    }
    Ok(done)
}

/// The tables a migration may rewrite row by row (0009 and 0010 rewrote every search row)
/// or fill (0022 filled tagged_journals, whose pages are read from its index alone once
/// vacuum has marked its pages all-visible).
const REWRITTEN_TABLES: &str =
    "journals, transcripts, tags, journal_search, search_words, passages, tagged_journals";

/// Vacuums and analyzes the tables migrations rewrite, once they are applied. A rewrite
/// leaves the old row versions behind and clears the visibility map, and until autovacuum
/// comes by (minutes on a large table, never while the server is down) every search reads
/// past the dead rows: at a million journals, searches took twice as long after 0010. On
/// tables nothing rewrote it is quick: it skips the pages all visible. A failure only
/// leaves the work to autovacuum.
async fn tidy(conn: &mut PgConnection) {
    let started = std::time::Instant::now();
    match sqlx::raw_sql(&format!("VACUUM (ANALYZE) {REWRITTEN_TABLES}"))
        .execute(&mut *conn)
        .await
    {
        Ok(_) => tracing::info!(
            seconds = started.elapsed().as_secs_f64(),
            "vacuumed and analyzed the tables after migrating"
        ),
        Err(error) => tracing::warn!(%error, "could not vacuum after migrating; autovacuum will"),
    }
}

/// Drops everything in the `public` schema and applies every migration afresh: an empty
/// database at the current schema. Development only; the caller checks that.
pub async fn rebuild(pool: &PgPool) -> Result<Vec<String>, MigrateError> {
    let mut conn = pool.acquire().await?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(LOCK_KEY)
        .execute(&mut *conn)
        .await?;
    let dropped = sqlx::raw_sql(
        "DROP SCHEMA public CASCADE; CREATE SCHEMA public; \
         GRANT ALL ON SCHEMA public TO CURRENT_USER;",
    )
    .execute(&mut *conn)
    .await;
    let result = match dropped {
        Ok(_) => migrate_locked(&mut conn).await,
        Err(error) => Err(error.into()),
    };
    let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(LOCK_KEY)
        .execute(&mut *conn)
        .await;
    result
}

/// True when `push` has something to do: pending, changed or unknown migrations.
pub async fn needs_push(pool: &PgPool) -> Result<bool, sqlx::Error> {
    Ok(!is_current(pool).await?)
}

/// Creates `DIR/NNNN_NAME.sql`, numbered after the highest migration in `dir`, with a
/// commented header ready to edit. Returns its path.
pub fn generate(dir: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let slug: String = name
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect::<String>()
        .split('_')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    anyhow::ensure!(
        !slug.is_empty(),
        "a migration name needs at least one letter or digit, e.g. `weft db generate add_sessions`"
    );
    anyhow::ensure!(
        dir.is_dir(),
        "{} is not a folder; run this in the project's root or pass --dir",
        dir.display()
    );
    let highest = std::fs::read_dir(dir)?
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let stem = name.strip_suffix(".sql")?;
            stem.split_once('_')?.0.parse::<i64>().ok()
        })
        .max()
        .unwrap_or(0);
    let path = dir.join(format!("{:04}_{slug}.sql", highest + 1));
    let header = format!(
        "-- {:04}_{slug}: say what this migration changes, and why.\n\
         --\n\
         -- Runs once, in a transaction, on `weft db migrate` (and when `weft serve` starts).\n\
         -- Never edit it after it has been applied anywhere: write another migration.\n\n",
        highest + 1
    );
    // create_new: never overwrite a file that appeared in the meantime.
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?;
    file.write_all(header.as_bytes())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_migration_is_the_initial_schema() {
        assert_eq!(MIGRATIONS[0].file_stem(), "0001_initial");
        let versions: Vec<i64> = MIGRATIONS.iter().map(|m| m.version).collect();
        let mut sorted = versions.clone();
        sorted.dedup();
        assert_eq!(versions, sorted, "versions are strictly increasing");
    }

    #[test]
    fn generate_numbers_after_the_highest_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("0001_initial.sql"), "").unwrap();
        std::fs::write(dir.path().join("0007_later.sql"), "").unwrap();
        std::fs::write(dir.path().join("README.md"), "").unwrap();
        let path = generate(dir.path(), "Add Sessions!").unwrap();
        assert_eq!(path.file_name().unwrap(), "0008_add_sessions.sql");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("-- 0008_add_sessions:"));
        let next = generate(dir.path(), "more").unwrap();
        assert_eq!(next.file_name().unwrap(), "0009_more.sql");
    }

    #[test]
    fn generate_starts_at_one_in_an_empty_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = generate(dir.path(), "first").unwrap();
        assert_eq!(path.file_name().unwrap(), "0001_first.sql");
    }

    #[test]
    fn generate_refuses_a_name_without_letters() {
        let dir = tempfile::tempdir().unwrap();
        let error = generate(dir.path(), " -- ").unwrap_err().to_string();
        assert!(error.contains("at least one letter"), "{error}");
    }
}
