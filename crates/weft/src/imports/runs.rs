//! Imports that run in the background of the server (the web page's and the API's): the
//! uploaded zip is checked, a row of `import_runs` records the run, and a task imports the
//! entries, writing its progress to that row as it goes. The row is touched every few
//! seconds while the task lives; one left untouched is read as failed (db/imports.rs), so a
//! restart never leaves a run "running" for ever.

use std::time::Duration;

use serde::Serialize;
use uuid::Uuid;

use super::dayone::{Export, ExportError};
use super::importer::{self, Report};
use crate::db::{imports, scoped};
use crate::ingest::Ingest;
use crate::scratch::TempFile;

/// How often a running run's row is touched, progress or not.
const HEARTBEAT: Duration = Duration::from_secs(5);

/// Progress is written at most this often.
const WRITE_EVERY: Duration = Duration::from_millis(500);

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// A run as the page and the API show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunView {
    pub id: Uuid,
    /// `dayone`.
    pub source: String,
    /// `running`, `done` or `failed`.
    pub state: String,
    /// Entries dealt with, imported, already there and skipped with reasons.
    pub report: Report,
    /// Why a failed run failed.
    pub error: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<imports::Run> for RunView {
    fn from(run: imports::Run) -> Self {
        RunView {
            id: run.id,
            source: run.source,
            state: run.state,
            report: serde_json::from_value(run.report).unwrap_or_default(),
            error: run.error,
            created_at: run.created_at,
            updated_at: run.updated_at,
        }
    }
}

/// Opens the Day One export in `zip` (refusing one that is not), records a run and starts
/// it in the background. The file is kept until the run ends.
pub async fn start_dayone(
    ingest: Ingest,
    user_id: Uuid,
    zip: TempFile,
) -> Result<Uuid, StartError> {
    let path = zip.path().to_path_buf();
    let export = tokio::task::spawn_blocking(move || Export::open(&path))
        .await
        .map_err(|error| ExportError::Io(std::io::Error::other(error)))??;
    let id = Uuid::new_v4();
    let mut tx = scoped::begin_for_user(&ingest.pool, user_id).await?;
    imports::start(&mut tx, id, "dayone").await?;
    tx.commit().await?;
    tokio::spawn(run(ingest, user_id, id, export, zip));
    Ok(id)
}

/// A run of the user, if it is theirs.
pub async fn find(
    pool: &sqlx::PgPool,
    user_id: Uuid,
    id: Uuid,
) -> Result<Option<RunView>, sqlx::Error> {
    let mut tx = scoped::begin_for_user(pool, user_id).await?;
    let run = imports::find(&mut tx, id).await?;
    tx.commit().await?;
    Ok(run.map(RunView::from))
}

/// The user's latest runs, newest first.
pub async fn latest(
    pool: &sqlx::PgPool,
    user_id: Uuid,
    limit: i64,
) -> Result<Vec<RunView>, sqlx::Error> {
    let mut tx = scoped::begin_for_user(pool, user_id).await?;
    let mut runs = Vec::new();
    for id in imports::latest(&mut tx, limit).await? {
        runs.extend(imports::find(&mut tx, id).await?.map(RunView::from));
    }
    tx.commit().await?;
    Ok(runs)
}

async fn run(ingest: Ingest, user_id: Uuid, id: Uuid, export: Export, zip: TempFile) {
    let (sender, receiver) = tokio::sync::watch::channel(Report::default());
    let writer = tokio::spawn(write_progress(ingest.pool.clone(), user_id, id, receiver));
    let result = importer::import_dayone(&ingest, user_id, export, |report, _| {
        sender.send_replace(report.clone());
    })
    .await;
    drop(sender);
    let _ = writer.await;
    drop(zip);
    let error = match &result {
        Ok(report) => {
            if let Err(error) = save(&ingest.pool, user_id, id, report).await {
                tracing::warn!(%error, %id, "could not write an import's last progress");
            }
            None
        }
        Err(error) => {
            tracing::error!(%error, %id, "an import stopped");
            Some("The import stopped on a database error. Upload the zip again: entries already imported are not imported twice.")
        }
    };
    let finished = async {
        let mut tx = scoped::begin_for_user(&ingest.pool, user_id).await?;
        imports::finish(&mut tx, id, error).await?;
        tx.commit().await
    };
    if let Err(error) = finished.await {
        tracing::warn!(%error, %id, "could not mark an import finished; it reads as failed in a minute");
    }
    if let Ok(report) = result {
        tracing::info!(%id, imported = report.imported, already = report.already, skipped = report.skipped.len(), "import finished");
    }
}

/// Writes the latest progress at most every [`WRITE_EVERY`], and touches the row every
/// [`HEARTBEAT`] while nothing changes, until the sender is dropped.
async fn write_progress(
    pool: sqlx::PgPool,
    user_id: Uuid,
    id: Uuid,
    mut receiver: tokio::sync::watch::Receiver<Report>,
) {
    loop {
        let changed = tokio::time::timeout(HEARTBEAT, receiver.changed()).await;
        if matches!(changed, Ok(Err(_))) {
            return;
        }
        let report = receiver.borrow_and_update().clone();
        if let Err(error) = save(&pool, user_id, id, &report).await {
            tracing::warn!(%error, %id, "could not write an import's progress");
        }
        tokio::time::sleep(WRITE_EVERY).await;
    }
}

async fn save(
    pool: &sqlx::PgPool,
    user_id: Uuid,
    id: Uuid,
    report: &Report,
) -> Result<(), sqlx::Error> {
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let json = serde_json::to_value(report).unwrap_or_default();
    let mut tx = scoped::begin_for_user(pool, user_id).await?;
    imports::progress(
        &mut tx,
        id,
        (
            count(report.total),
            count(report.done),
            count(report.imported),
        ),
        &json,
    )
    .await?;
    tx.commit().await
}
