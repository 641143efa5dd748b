//! `weft serve`.

use std::net::SocketAddr;

use anyhow::Context;
use clap::Args;

use crate::config::GlobalArgs;
use crate::db::Database;
use crate::server::{self, ApiContext};

/// Options of `weft serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "WEFT_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
}

pub async fn run(global: &GlobalArgs, args: ServeArgs) -> anyhow::Result<()> {
    let config = global.db_config()?;
    let started = std::time::Instant::now();
    let db = Database::open_migrated(&config).await?;
    tracing::info!(
        database = %db.target().describe(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "database ready"
    );
    let listener = match tokio::net::TcpListener::bind(args.addr).await {
        Ok(listener) => listener,
        Err(error) => {
            db.close().await;
            return Err(error).with_context(|| {
                format!("could not listen on {} (is another server using it? set WEFT_ADDR)", args.addr)
            });
        }
    };
    tracing::info!("listening on http://{}", listener.local_addr()?);
    let result = server::launch(ApiContext::new(db.pool().clone()), listener, server::shutdown_signal()).await;
    db.close().await;
    tracing::info!("stopped");
    result.context("the HTTP server failed")
}
