//! `weft db studio`: the read-only database browser on loopback.

use std::net::SocketAddr;

use anyhow::Context;
use clap::Args;

use crate::config::GlobalArgs;
use crate::db::url::DatabaseUrl;
use crate::db::{Database, Target};
use crate::studio::{self, Studio};

/// Options of `weft db studio`.
#[derive(Debug, Args)]
pub struct StudioArgs {
    /// Where to listen: loopback only.
    #[arg(long, env = "WEFT_STUDIO_ADDR", default_value = "127.0.0.1:5555")]
    pub addr: SocketAddr,
    /// A superuser (or BYPASSRLS) connection, to see every user's rows: row-level security
    /// hides journals, transcripts and tags from the application's own role.
    #[arg(long, env = "WEFT_ADMIN_DATABASE_URL", hide_env_values = true)]
    pub admin_url: Option<String>,
}

pub async fn run(global: &GlobalArgs, args: StudioArgs) -> anyhow::Result<()> {
    studio::check_loopback(&args.addr)?;
    let db = Database::open(&global.db_config()?).await?;
    let result = serve(&db, &args).await;
    db.close().await;
    result
}

async fn serve(db: &Database, args: &StudioArgs) -> anyhow::Result<()> {
    let (options, note) = match (db.target(), &args.admin_url) {
        (Target::Embedded(layout), _) => (
            DatabaseUrl::parse(&layout.superuser_url())?.connect_options()?,
            None,
        ),
        (Target::External(_), Some(admin)) => (
            DatabaseUrl::parse(admin)
                .context("WEFT_ADMIN_DATABASE_URL is not a valid PostgreSQL URL")?
                .connect_options()?,
            None,
        ),
        (Target::External(url), None) => (
            url.connect_options()?,
            Some(
                "Connected as the application's role: row-level security hides journals, \
                 transcripts and tags. Set WEFT_ADMIN_DATABASE_URL to see every row."
                    .to_string(),
            ),
        ),
    };
    let pool = studio::read_only_pool(options)
        .await
        .context("connecting the studio")?;
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("could not listen on {}", args.addr))?;
    println!(
        "weft studio (read-only) at http://{}/ — Ctrl-C to stop",
        listener.local_addr()?
    );
    let served = studio::serve(
        Studio {
            pool: pool.clone(),
            note,
        },
        listener,
        crate::server::shutdown_signal(),
    )
    .await;
    pool.close().await;
    served.context("the studio server failed")
}
