//! `weft db …`: migrations, seed data, backups and the embedded cluster.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Subcommand;

use crate::config::{Environment, GlobalArgs};
use crate::db::backup::{self, Format};
use crate::db::migrate::{self, State};
use crate::db::{embedded, seed, Database};

/// The database subcommands.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Apply the pending migrations. Running it again is a no-op.
    Migrate,
    /// List applied and pending migrations.
    Status,
    /// Create the next numbered migration file (migrations/NNNN_NAME.sql), ready to edit.
    Generate {
        /// What the migration does, e.g. add_sessions.
        name: String,
        /// The migrations folder.
        #[arg(long, default_value = "migrations")]
        dir: PathBuf,
    },
    /// Development only: bring the database to the current schema. When applied migration
    /// files were edited, the schema is rebuilt from scratch and its data is lost.
    Push {
        /// Run even on a production or non-local database.
        #[arg(long)]
        force: bool,
    },
    /// Insert the documented sample data (users johndoe and janedoe, two journals,
    /// two transcripts, six tags). Running it twice adds nothing.
    Seed {
        /// bcrypt cost for the sample users' password (10 or more).
        #[arg(long, env = "WEFT_BCRYPT_COST", default_value_t = 12,
              value_parser = clap::value_parser!(u32).range(10..=16))]
        bcrypt_cost: u32,
    },
    /// Development only: drop everything and re-create an empty database at the current schema.
    Reset {
        /// Run even on a production or non-local database.
        #[arg(long)]
        force: bool,
    },
    /// Write a dump of the database: plain SQL for FILE.sql (read by psql), pg_dump's custom
    /// format otherwise (read by pg_restore).
    Backup {
        /// Where to write the dump.
        file: PathBuf,
        /// A superuser (or BYPASSRLS) connection for an external server: row-level security
        /// hides rows from the application's own role.
        #[arg(long, env = "WEFT_ADMIN_DATABASE_URL", hide_env_values = true)]
        admin_url: Option<String>,
        /// Override the format chosen from the file name.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Restore a dump made by `weft db backup` (or pg_dump) into an empty database, then apply
    /// any migrations newer than the dump.
    Restore {
        /// The dump to read (either format).
        file: PathBuf,
        /// A superuser (or BYPASSRLS) connection for an external server.
        #[arg(long, env = "WEFT_ADMIN_DATABASE_URL", hide_env_values = true)]
        admin_url: Option<String>,
    },
    /// Browse the database in a local, read-only web page (loopback only).
    Studio(super::studio::StudioArgs),
    /// Print a connection string for psql (also for the embedded cluster).
    Url,
    /// Start the embedded cluster and keep it running after this command exits.
    Start,
    /// Stop the embedded cluster.
    Stop {
        /// Stop it even while another weft process uses it.
        #[arg(long)]
        force: bool,
    },
}

pub async fn run(global: &GlobalArgs, command: DbCommand) -> anyhow::Result<()> {
    if let DbCommand::Studio(args) = command {
        return super::studio::run(global, args).await;
    }
    let config = global.db_config()?;
    match command {
        DbCommand::Generate { name, dir } => {
            let path = migrate::generate(&dir, &name)?;
            println!("created {}", path.display());
            Ok(())
        }
        DbCommand::Url => {
            match &config.url {
                Some(url) => println!("{}", url.as_libpq()),
                None => {
                    let layout = embedded::Layout::new(&config.data_dir);
                    println!("{}", layout.url());
                    if !layout.is_running() {
                        eprintln!(
                            "note: the embedded cluster is not running; start it with \
                             `weft db start` (or `weft serve`)"
                        );
                    }
                }
            }
            Ok(())
        }
        DbCommand::Stop { force } => {
            if config.url.is_some() {
                bail!("`weft db stop` manages the embedded cluster only; DATABASE_URL is set");
            }
            let data_dir = config.data_dir.clone();
            let stopped =
                tokio::task::spawn_blocking(move || embedded::stop(&data_dir, force)).await??;
            println!(
                "{}",
                if stopped {
                    "stopped"
                } else {
                    "the embedded cluster was not running"
                }
            );
            Ok(())
        }
        command => {
            let db = match &command {
                DbCommand::Push { .. }
                | DbCommand::Reset { .. }
                | DbCommand::Restore { .. }
                | DbCommand::Status
                | DbCommand::Migrate => Database::open(&config).await?,
                _ => Database::open_migrated(&config).await?,
            };
            let result = with_database(&db, &global.environment, command).await;
            db.close().await;
            result
        }
    }
}

async fn with_database(
    db: &Database,
    environment: &Environment,
    command: DbCommand,
) -> anyhow::Result<()> {
    let pool = db.pool();
    match command {
        DbCommand::Migrate => {
            let applied = migrate::migrate(pool).await?;
            if applied.is_empty() {
                println!("the database is up to date; nothing to apply");
            }
            for name in applied {
                println!("applied {name}");
            }
        }
        DbCommand::Status => {
            for line in migrate::status(pool).await? {
                let state = match line.state {
                    State::Applied => "applied",
                    State::Pending => "pending",
                    State::Changed => "CHANGED since applied",
                    State::Unknown => "UNKNOWN to this binary",
                };
                let when = line
                    .applied_at
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                    .unwrap_or_default();
                println!(
                    "{:04}_{:<32} {:<24} {}",
                    line.version, line.name, state, when
                );
            }
        }
        DbCommand::Push { force } => {
            refuse_outside_development(db, environment, force, "push")?;
            let lines = migrate::status(pool).await?;
            if lines.iter().all(|l| l.state == State::Applied) {
                println!("the database is already at the current schema");
            } else if lines
                .iter()
                .all(|l| matches!(l.state, State::Applied | State::Pending))
            {
                for name in migrate::migrate(pool).await? {
                    println!("applied {name}");
                }
            } else {
                eprintln!(
                    "applied migrations were edited: rebuilding the schema (data is dropped)"
                );
                for name in migrate::rebuild(pool).await? {
                    println!("applied {name}");
                }
            }
        }
        DbCommand::Reset { force } => {
            refuse_outside_development(db, environment, force, "reset")?;
            let applied = migrate::rebuild(pool).await?;
            println!(
                "the database is empty, at the current schema ({} migrations applied)",
                applied.len()
            );
        }
        DbCommand::Seed { bcrypt_cost } => {
            let report = seed::seed(pool, bcrypt_cost).await?;
            println!(
                "seeded: {} users, {} journals, {} transcripts, {} tags added",
                report.users, report.journals, report.transcripts, report.tags
            );
            println!(
                "sample logins: johndoe / janedoe, password {:?}",
                seed::SEED_PASSWORD
            );
        }
        DbCommand::Backup {
            file,
            format,
            admin_url,
        } => {
            let format = format.unwrap_or_else(|| Format::for_path(&file));
            let who = backup::Privileged::for_target(
                db.target(),
                admin_url.as_deref(),
                &backup::current_role(pool).await?,
            )?;
            backup::backup(&who, &file, format).await?;
            let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
            println!("wrote {} ({size} bytes, {format:?} format)", file.display());
        }
        DbCommand::Restore { file, admin_url } => {
            anyhow::ensure!(file.is_file(), "{} is not a readable file", file.display());
            let tables = backup::table_count(pool).await?;
            if tables > 0 {
                bail!(
                    "the database is not empty ({tables} tables): restore needs an empty one. \
                     Create a new database, or empty a development one with `weft db reset`"
                );
            }
            let who = backup::Privileged::for_target(
                db.target(),
                admin_url.as_deref(),
                &backup::current_role(pool).await?,
            )?;
            backup::restore(&who, &file).await?;
            let applied = migrate::migrate(pool)
                .await
                .context("the dump was restored, but bringing it to the current schema failed")?;
            println!(
                "restored {} ({} newer migrations applied)",
                file.display(),
                applied.len()
            );
        }
        DbCommand::Start => {
            db.pin_cluster()?;
            println!("{}", db.target().libpq_url());
        }
        DbCommand::Generate { .. }
        | DbCommand::Url
        | DbCommand::Stop { .. }
        | DbCommand::Studio(_) => {
            unreachable!("handled without a database")
        }
    }
    Ok(())
}

fn refuse_outside_development(
    db: &Database,
    environment: &Environment,
    force: bool,
    what: &str,
) -> anyhow::Result<()> {
    if force {
        return Ok(());
    }
    if *environment == Environment::Production {
        bail!("`weft db {what}` is for development databases and WEFT_ENV is production; use `weft db migrate` (or pass --force if you really mean it)");
    }
    if !db.target().is_local() {
        bail!(
            "`weft db {what}` is for development databases, and {} is not on this machine; \
             use `weft db migrate` (or pass --force if you really mean it)",
            db.target().describe()
        );
    }
    Ok(())
}
