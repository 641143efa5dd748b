//! A real PostgreSQL database for every test. The server is `WEFT_TEST_DATABASE_URL` when set
//! (a role that may CREATE DATABASE), else an embedded cluster under /tmp started by the first
//! test that needs it and left running for the rest of the run (`scripts/test` stops it at the
//! end). Each test gets a fresh database cloned from a template migrated once per set of
//! migrations. And rows written straight to it.

use std::path::PathBuf;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};
use weft::db::embedded::Cluster;
use weft::db::url::DatabaseUrl;
use weft::db::{migrate, Target};

/// A fresh database of its own for one test, dropped when the `TestDb` is (at the end of
/// the test, passed or failed).
pub struct TestDb {
    pub pool: PgPool,
    pub name: String,
    /// Options to connect to this database.
    pub options: PgConnectOptions,
    /// Where it is, as weft's own commands would see it.
    pub target: Target,
    /// A connection string to this database for a role that bypasses row-level security.
    pub admin_url: String,
    /// A pool of that role: for tests of the schema itself, which must see every row.
    pub admin: PgPool,
    /// Drops the database; `None` for one the test does not own (an embedded cluster's own
    /// `weft` database, say). Last, so that the pools above are dropped before it runs.
    pub teardown: Option<Teardown>,
}

/// Drops a test database when dropped: `DROP DATABASE … WITH (FORCE)` over a maintenance
/// connection, which also ends the sessions still in it (a server task or a child process the
/// test left running, a pool not yet closed).
///
/// `Drop` cannot wait for async work on the test's runtime (often a current-thread one that
/// is busy running this very drop, or unwinding a panic), so the statement runs on a thread of
/// its own with a small runtime of its own, and the drop waits for it at most
/// [`Teardown::WAIT`]: a database that cannot be dropped is reported and left to the
/// cluster's removal at the end of the run, never a hang. It never panics (a panic while a
/// failed test unwinds would abort the process).
pub struct Teardown {
    name: String,
    maintenance: PgConnectOptions,
}

impl Teardown {
    /// How long a drop waits for the database to go.
    pub const WAIT: Duration = Duration::from_secs(30);

    fn drop_database(name: &str, maintenance: &PgConnectOptions) -> Result<(), String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| format!("a runtime: {error}"))?;
        runtime.block_on(async {
            let mut connection = maintenance
                .connect()
                .await
                .map_err(|error| format!("connecting: {error}"))?;
            sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut connection)
                .await
                .map_err(|error| format!("DROP DATABASE: {error}"))?;
            let _ = connection.close().await;
            Ok(())
        })
    }
}

impl Drop for Teardown {
    fn drop(&mut self) {
        let (name, maintenance) = (self.name.clone(), self.maintenance.clone());
        let (done, outcome) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name(format!("drop {name}"))
            .spawn(move || {
                let _ = done.send(Self::drop_database(&name, &maintenance));
            });
        let problem = match spawned {
            Err(error) => format!("no thread to drop it: {error}"),
            Ok(_) => match outcome.recv_timeout(Self::WAIT) {
                Ok(Ok(())) => return,
                Ok(Err(error)) => error,
                Err(_) => format!("not gone after {:?}", Self::WAIT),
            },
        };
        eprintln!("test database {} was not dropped: {problem}", self.name);
    }
}

impl TestDb {
    /// A libpq URL for this database (for psql, pg_dump, or `DATABASE_URL`).
    pub fn url(&self) -> String {
        self.target.libpq_url()
    }
}

/// The folder of the shared test cluster.
pub fn test_cluster_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("WEFT_TEST_PG_DIR") {
        return PathBuf::from(dir);
    }
    let digest = weft::util::short_digest(env!("CARGO_MANIFEST_DIR").as_bytes());
    std::env::temp_dir().join(format!("weft-test-pg-{digest}"))
}

/// The maintenance target: a database on the test server that may create others.
async fn server() -> Target {
    if let Ok(raw) = std::env::var("WEFT_TEST_DATABASE_URL") {
        return Target::External(
            DatabaseUrl::parse(&raw).expect("WEFT_TEST_DATABASE_URL is valid"),
        );
    }
    let dir = test_cluster_dir();
    let cluster = tokio::task::spawn_blocking(move || Cluster::start(&dir))
        .await
        .expect("cluster start task")
        .expect("the test cluster starts");
    let layout = cluster.layout().clone();
    // Dropping the handle without release() leaves the server up for the next test.
    drop(cluster);
    Target::Embedded(layout)
}

/// A superuser connection string for the test server's own database.
fn superuser_url(target: &Target) -> String {
    match target {
        // WEFT_TEST_DATABASE_URL's role creates databases; WEFT_TEST_ADMIN_DATABASE_URL names
        // a superuser when it is not one.
        Target::External(url) => std::env::var("WEFT_TEST_ADMIN_DATABASE_URL")
            .unwrap_or_else(|_| url.as_libpq().to_string()),
        Target::Embedded(layout) => layout.superuser_url(),
    }
}

/// A superuser connection string for database `name` on the test server.
fn admin_url_for(target: &Target, name: &str) -> String {
    let base = superuser_url(target);
    match target {
        Target::External(_) => {
            let mut parsed = url::Url::parse(&base).expect("url");
            parsed.set_path(&format!("/{name}"));
            parsed.to_string()
        }
        Target::Embedded(_) => base.replacen(":///weft?", &format!(":///{name}?"), 1),
    }
}

fn with_database(target: &Target, name: &str) -> (PgConnectOptions, Target) {
    match target {
        Target::External(url) => {
            let mut parsed = url::Url::parse(url.as_libpq()).expect("url");
            parsed.set_path(&format!("/{name}"));
            let url = DatabaseUrl::parse(parsed.as_str()).expect("url");
            (
                url.connect_options().expect("options"),
                Target::External(url),
            )
        }
        Target::Embedded(layout) => {
            let url = layout
                .url()
                .replacen(":///weft?", &format!(":///{name}?"), 1);
            let url = DatabaseUrl::parse(&url).expect("url");
            (
                url.connect_options().expect("options"),
                Target::External(url),
            )
        }
    }
}

/// Creates (once, under an advisory lock) a template database at the current migrations.
async fn template(admin: &PgPool, server: &Target) -> String {
    let all: String = migrate::MIGRATIONS.iter().map(|m| m.sql).collect();
    let name = format!("weft_tpl_{}", weft::util::short_digest(all.as_bytes()));
    let mut conn = admin.acquire().await.expect("admin connection");
    sqlx::query("SELECT pg_advisory_lock(7355608)")
        .execute(&mut *conn)
        .await
        .expect("lock");
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut *conn)
            .await
            .expect("template lookup");
    if !exists {
        let building = format!("{name}_building");
        sqlx::query(&format!("DROP DATABASE IF EXISTS {building}"))
            .execute(&mut *conn)
            .await
            .expect("drop");
        sqlx::query(&format!("CREATE DATABASE {building}"))
            .execute(&mut *conn)
            .await
            .expect("create template");
        let (options, _) = with_database(server, &building);
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .expect("template pool");
        migrate::migrate(&pool).await.expect("migrate the template");
        pool.close().await;
        // The closed pool's server process may still be on its way out, and a database in
        // use cannot be renamed: wait for it rather than fail. A session of the template's
        // that outlives its closed pool (seen on a loaded machine, holding the rename up for
        // good) is ended: nothing else may use a database being built.
        let mut attempts = 0;
        loop {
            let renamed = sqlx::query(&format!("ALTER DATABASE {building} RENAME TO {name}"))
                .execute(&mut *conn)
                .await;
            match renamed {
                Ok(_) => break,
                Err(_) if attempts < 20 => {
                    attempts += 1;
                    let ended: Vec<(String, String)> = sqlx::query_as(
                        "SELECT coalesce(backend_type, ''), coalesce(left(query, 120), '') \
                         FROM pg_stat_activity, pg_terminate_backend(pid) \
                         WHERE datname = $1 AND pid <> pg_backend_pid()",
                    )
                    .bind(&building)
                    .fetch_all(&mut *conn)
                    .await
                    .expect("end the template's sessions");
                    if !ended.is_empty() {
                        eprintln!("ended sessions holding the template {building}: {ended:?}");
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(error) => panic!("rename template: {error}"),
            }
        }
    }
    sqlx::query("SELECT pg_advisory_unlock(7355608)")
        .execute(&mut *conn)
        .await
        .expect("unlock");
    name
}

/// An empty database with no migrations applied.
pub async fn empty_db() -> TestDb {
    create_db(false).await
}

/// A fresh database at the current schema.
pub async fn fresh_db() -> TestDb {
    create_db(true).await
}

async fn create_db(migrated: bool) -> TestDb {
    let server = server().await;
    let admin_options = match &server {
        Target::External(url) => url.connect_options().expect("options"),
        Target::Embedded(layout) => layout.connect_options(),
    }
    .log_statements(tracing::log::LevelFilter::Debug);
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(admin_options.clone())
        .await
        .expect("connect to the test server");
    let name = format!("weft_test_{}", uuid::Uuid::new_v4().simple());
    let sql = if migrated {
        let template = template(&admin, &server).await;
        format!("CREATE DATABASE {name} TEMPLATE {template}")
    } else {
        format!("CREATE DATABASE {name}")
    };
    // Two clones of one template at the same instant can collide; try again briefly.
    let mut attempts = 0;
    loop {
        match sqlx::query(&sql).execute(&admin).await {
            Ok(_) => break,
            Err(error) if attempts < 20 => {
                attempts += 1;
                tracing::debug!(%error, "retrying CREATE DATABASE");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(error) => panic!("CREATE DATABASE failed: {error}"),
        }
    }
    // From here on the database is dropped again, even if connecting to it fails. As a
    // superuser: WITH (FORCE) must end the sessions of the superuser pool too.
    let teardown = Teardown {
        name: name.clone(),
        maintenance: DatabaseUrl::parse(&superuser_url(&server))
            .expect("the superuser URL")
            .connect_options()
            .expect("superuser options"),
    };
    admin.close().await;
    let (options, target) = with_database(&server, &name);
    let pool = PgPoolOptions::new()
        .max_connections(5)
        .connect_with(options.clone())
        .await
        .expect("connect to the test database");
    let admin_url = admin_url_for(&server, &name);
    let admin = PgPoolOptions::new()
        .max_connections(3)
        .connect_with(
            DatabaseUrl::parse(&admin_url)
                .expect("admin url")
                .connect_options()
                .expect("admin options"),
        )
        .await
        .expect("connect to the test database as a superuser");
    TestDb {
        pool,
        name,
        options,
        target,
        admin_url,
        admin,
        teardown: Some(teardown),
    }
}

/// A real-length bcrypt hash (60 characters) for rows that never log in.
pub const PASSWORD_HASH: &str = "$2b$10$abcdefghijklmnopqrstuuM9Qb7T3Y8rXQm0eL5m7m1e8K9b3b2Ge";

/// A user `name` (email `name@example.com`) written straight to the database; its id.
pub async fn insert_user(pool: &PgPool, name: &str) -> uuid::Uuid {
    weft::db::users::create(pool, name, &format!("{name}@example.com"), PASSWORD_HASH)
        .await
        .expect("create a user")
        .id
}

/// A journal of `owner`'s and its transcription job, written in one transaction as an upload
/// does. Its video (`videos/none.mp4`) is not in any store.
pub async fn insert_journal_with_job(
    pool: &PgPool,
    owner: uuid::Uuid,
    max_attempts: i32,
) -> (uuid::Uuid, weft::db::jobs::Job) {
    let mut tx = weft::db::scoped::begin_for_user(pool, owner)
        .await
        .expect("begin as the owner");
    let id: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO journals (user_id, title, video_path, duration) \
         VALUES ($1, 't', 'videos/none.mp4', 1) RETURNING id",
    )
    .bind(owner)
    .fetch_one(&mut *tx)
    .await
    .expect("insert a journal");
    let job = weft::db::jobs::enqueue(&mut tx, id, max_attempts)
        .await
        .expect("enqueue its job")
        .expect("a new job");
    tx.commit().await.expect("commit");
    (id, job)
}
