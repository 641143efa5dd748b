//! Configuration shared by every command: flags, then environment, then `.env`, then defaults.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::db::url::{DatabaseUrl, UrlError};
use crate::db::{DbConfig, PoolConfig};

/// Whether this is a development or a production deployment. Destructive development
/// commands (`db push`, `db reset`) refuse to run in production.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Environment {
    #[default]
    Development,
    Production,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Options every `weft` command accepts.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// PostgreSQL to use, e.g. postgresql://user:pass@host:5432/weft?sslmode=require.
    /// `pool_max=N` in the query sets the pool size. Without it, Weft runs its own embedded
    /// cluster inside the data directory.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// Folder for the embedded database and local media
    /// [default: /var/lib/weft as root, else ~/.local/share/weft].
    #[arg(long, env = "WEFT_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,

    /// Most database connections in the pool [default: pool_max from DATABASE_URL, else 10].
    #[arg(long, env = "WEFT_POOL_MAX", global = true, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub pool_max: Option<u32>,

    /// Seconds an idle pooled connection is kept before it is closed.
    #[arg(
        long,
        env = "WEFT_POOL_IDLE_TIMEOUT",
        global = true,
        default_value_t = 20
    )]
    pub pool_idle_timeout: u64,

    /// Seconds to wait for a database connection (to connect, or for a free one in the pool).
    #[arg(long, env = "WEFT_POOL_CONNECT_TIMEOUT", global = true, default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub pool_connect_timeout: u64,

    /// development or production; production refuses destructive development commands.
    #[arg(long = "env", env = "WEFT_ENV", global = true, value_enum, default_value_t = Environment::Development)]
    pub environment: Environment,

    /// Where videos and thumbnails go: s3://bucket/prefix (with the usual AWS_* variables)
    /// or a folder [default: DATA_DIR/media].
    #[arg(long, env = "WEFT_STORAGE", global = true)]
    pub storage: Option<String>,

    /// Log filter, e.g. `info` or `weft=debug,sqlx=warn`.
    #[arg(
        long,
        env = "WEFT_LOG",
        global = true,
        default_value = "info,sqlx=warn"
    )]
    pub log: String,

    /// Log format.
    #[arg(long, env = "WEFT_LOG_FORMAT", global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

impl GlobalArgs {
    /// Resolves the database settings; a bad `DATABASE_URL` is an error here.
    pub fn db_config(&self) -> Result<DbConfig, UrlError> {
        let url = match self.database_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => Some(DatabaseUrl::parse(raw)?),
        };
        let pool = PoolConfig {
            max: self
                .pool_max
                .or_else(|| url.as_ref().and_then(DatabaseUrl::pool_max))
                .unwrap_or(10),
            idle_timeout: Duration::from_secs(self.pool_idle_timeout),
            connect_timeout: Duration::from_secs(self.pool_connect_timeout),
        };
        Ok(DbConfig {
            url,
            data_dir: self.data_dir.clone().unwrap_or_else(default_data_dir),
            pool,
        })
    }
}

impl GlobalArgs {
    /// The media storage these options name.
    pub fn storage(&self) -> Result<crate::storage::Storage, crate::storage::StorageError> {
        let data_dir = self.data_dir.clone().unwrap_or_else(default_data_dir);
        crate::storage::Storage::from_setting(self.storage.as_deref(), &data_dir)
    }
}

/// `/var/lib/weft` for root (root's home is closed to the `postgres` user that runs the
/// embedded cluster), else the XDG data folder.
pub fn default_data_dir() -> PathBuf {
    if rustix::process::geteuid().is_root() {
        return PathBuf::from("/var/lib/weft");
    }
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("weft");
    }
    match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        Some(home) => PathBuf::from(home).join(".local/share/weft"),
        None => PathBuf::from("weft-data"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        global: GlobalArgs,
    }

    fn parse(args: &[&str]) -> DbConfig {
        let mut argv = vec!["weft"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv)
            .unwrap()
            .global
            .db_config()
            .unwrap()
    }

    #[test]
    fn pool_defaults_match_the_design() {
        let config = parse(&["--database-url", "postgresql://localhost/weft"]);
        assert_eq!(config.pool, PoolConfig::default());
        assert_eq!(config.pool.max, 10);
    }

    #[test]
    fn pool_max_in_the_url_sets_the_pool_size() {
        let config = parse(&["--database-url", "postgresql://localhost/weft?pool_max=4"]);
        assert_eq!(config.pool.max, 4);
        assert_eq!(
            config.url.unwrap().as_libpq(),
            "postgresql://localhost/weft"
        );
    }

    #[test]
    fn the_flag_overrides_pool_max_in_the_url() {
        let config = parse(&[
            "--database-url",
            "postgresql://localhost/weft?pool_max=4",
            "--pool-max",
            "7",
            "--pool-idle-timeout",
            "5",
            "--pool-connect-timeout",
            "2",
        ]);
        assert_eq!(config.pool.max, 7);
        assert_eq!(config.pool.idle_timeout, Duration::from_secs(5));
        assert_eq!(config.pool.connect_timeout, Duration::from_secs(2));
    }

    #[test]
    fn an_empty_database_url_means_embedded() {
        let config = parse(&["--database-url", " ", "--data-dir", "/srv/weft"]);
        assert!(config.url.is_none());
        assert_eq!(config.data_dir, PathBuf::from("/srv/weft"));
    }
}
