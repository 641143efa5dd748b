//! Transcripts and their timestamped segments.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::PgExecutor;
use uuid::Uuid;

/// One timestamped piece of a transcript; times are seconds within the video.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub start: f64,
    pub end: f64,
    pub text: String,
    /// 0..1, when the engine reports one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
}

/// A row of `transcripts`.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Transcript {
    pub id: Uuid,
    pub journal_id: Uuid,
    pub text: String,
    pub segments: Option<Json<Vec<Segment>>>,
    pub created_at: DateTime<Utc>,
}

/// Inserts a transcript for a journal.
#[tracing::instrument(skip(executor, text, segments))]
pub async fn insert(
    executor: impl PgExecutor<'_>,
    journal_id: Uuid,
    text: &str,
    segments: Option<&[Segment]>,
) -> Result<Transcript, sqlx::Error> {
    sqlx::query_as(
        "INSERT INTO transcripts (journal_id, text, segments) VALUES ($1, $2, $3) RETURNING *",
    )
    .bind(journal_id)
    .bind(text)
    .bind(segments.map(Json))
    .fetch_one(executor)
    .await
}

/// The transcripts of a journal, newest first.
#[tracing::instrument(skip(executor))]
pub async fn for_journal(
    executor: impl PgExecutor<'_>,
    journal_id: Uuid,
) -> Result<Vec<Transcript>, sqlx::Error> {
    sqlx::query_as(
        "SELECT * FROM transcripts WHERE journal_id = $1 ORDER BY created_at DESC, id DESC",
    )
    .bind(journal_id)
    .fetch_all(executor)
    .await
}
