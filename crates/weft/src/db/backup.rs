//! `weft db backup` and `weft db restore`: standard dumps made by `pg_dump`, so `psql` (plain
//! SQL) or `pg_restore` (custom format) read them too.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{bail, Context};
use tokio::process::Command;

use super::embedded;
use super::Target;

/// The two dump formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Plain SQL, read by `psql`.
    Plain,
    /// pg_dump's compressed custom format, read by `pg_restore`.
    Custom,
}

impl Format {
    /// Plain for `*.sql`, custom otherwise.
    pub fn for_path(path: &Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("sql") => Format::Plain,
            _ => Format::Custom,
        }
    }
}

/// A PostgreSQL client program: from the newest server folder found, else from PATH (the
/// dump tool must be at least as new as the server).
fn client_program(name: &str) -> PathBuf {
    embedded::find_bin_dir()
        .ok()
        .map(|dir| dir.join(name))
        .filter(|path| path.is_file())
        .unwrap_or_else(|| PathBuf::from(name))
}

/// Who runs a dump or a restore. Weft forces row-level security on the per-user tables, so
/// a dump must be made by a role that bypasses it (a superuser, or one with BYPASSRLS); a
/// restore runs as that role too but creates everything as the application's role, so the
/// application still owns its tables afterwards.
#[derive(Debug, Clone)]
pub struct Privileged {
    url: String,
    /// The application's role, which restored objects must belong to.
    app_role: Option<String>,
}

impl Privileged {
    /// The privileged connection for a target: the embedded cluster's superuser, or
    /// `admin_url` (WEFT_ADMIN_DATABASE_URL) for an external server, else the target itself.
    /// `app_role` is the role the application connects as.
    pub fn for_target(
        target: &Target,
        admin_url: Option<&str>,
        app_role: &str,
    ) -> anyhow::Result<Self> {
        Ok(match (target, admin_url) {
            (Target::Embedded(layout), _) => Privileged {
                url: layout.superuser_url(),
                app_role: Some(app_role.to_string()),
            },
            (Target::External(_), Some(admin)) => {
                let admin = super::url::DatabaseUrl::parse(admin)
                    .context("WEFT_ADMIN_DATABASE_URL is not a valid PostgreSQL URL")?;
                Privileged {
                    url: admin.as_libpq().to_string(),
                    app_role: Some(app_role.to_string()),
                }
            }
            (Target::External(app), None) => Privileged {
                url: app.as_libpq().to_string(),
                app_role: None,
            },
        })
    }
}

/// A command aimed at a database, with the password passed in the environment rather than
/// on the command line (where `ps` would show it).
fn client(name: &str, who: &Privileged, as_app_role: bool) -> anyhow::Result<(Command, String)> {
    let mut command = Command::new(client_program(name));
    let mut url = url::Url::parse(&who.url).context("building the connection string")?;
    if let Some(password) = url.password() {
        let password = percent_decode(password);
        command.env("PGPASSWORD", password);
        let _ = url.set_password(None);
    }
    if let (true, Some(role)) = (as_app_role, &who.app_role) {
        // Everything the restore creates then belongs to the application's role. The role
        // name is quoted for the server's option parser.
        command.env(
            "PGOPTIONS",
            format!("-c role={}", role.replace('\\', "\\\\").replace(' ', "\\ ")),
        );
    }
    command.stdin(Stdio::null()).kill_on_drop(true);
    Ok((command, url.to_string()))
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("p={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Writes a dump of the database to `file` (via a temporary file, so a failed backup never
/// leaves a truncated one under the real name).
pub async fn backup(who: &Privileged, file: &Path, format: Format) -> anyhow::Result<()> {
    let partial = file.with_extension("partial");
    let (mut command, url) = client("pg_dump", who, false)?;
    command
        .arg("--dbname")
        .arg(&url)
        .args(["--no-owner", "--no-privileges", "--file"])
        .arg(&partial)
        .arg(match format {
            Format::Plain => "--format=plain",
            Format::Custom => "--format=custom",
        });
    let output = command.output().await.context(
        "running pg_dump (install PostgreSQL's client tools: apt-get install postgresql-client)",
    )?;
    if !output.status.success() {
        let _ = tokio::fs::remove_file(&partial).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains("row-level security") {
            bail!(
                "pg_dump failed: {}. Weft forces row-level security on journals, transcripts \
                 and tags, so a backup must be made by a role that bypasses it: set \
                 WEFT_ADMIN_DATABASE_URL to a superuser (or BYPASSRLS) connection",
                stderr.trim()
            );
        }
        bail!("pg_dump failed: {}", stderr.trim());
    }
    tokio::fs::rename(&partial, file)
        .await
        .with_context(|| format!("moving the dump to {}", file.display()))?;
    Ok(())
}

/// Whether the file is in pg_dump's custom format (it starts with "PGDMP").
fn is_custom_format(file: &Path) -> anyhow::Result<bool> {
    let mut magic = [0u8; 5];
    let mut handle =
        std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let read = handle.read(&mut magic)?;
    Ok(read == 5 && &magic == b"PGDMP")
}

/// Restores a dump (either format) into the target, in one transaction: on any error
/// nothing of it stays. The caller checks that the database is empty.
pub async fn restore(who: &Privileged, file: &Path) -> anyhow::Result<()> {
    let custom = is_custom_format(file)?;
    let output = if custom {
        let (mut command, url) = client("pg_restore", who, true)?;
        command
            .arg("--dbname")
            .arg(&url)
            .args([
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
            ])
            .arg(file);
        command.output().await.context("running pg_restore")?
    } else {
        let (mut command, url) = client("psql", who, true)?;
        command
            .arg("--dbname")
            .arg(&url)
            .args([
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "--single-transaction",
                "-f",
            ])
            .arg(file);
        command.output().await.context("running psql")?
    };
    if !output.status.success() {
        bail!(
            "restoring {} failed, and nothing of it was kept: {}",
            file.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// The role the application's pool connects as.
pub async fn current_role(pool: &sqlx::PgPool) -> Result<String, sqlx::Error> {
    sqlx::query_scalar!(r#"SELECT current_user::text AS "role!""#)
        .fetch_one(pool)
        .await
}

/// The number of tables in the `public` schema (zero for an empty database).
pub async fn table_count(pool: &sqlx::PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM pg_tables WHERE schemaname = 'public'"#)
        .fetch_one(pool)
        .await
}
