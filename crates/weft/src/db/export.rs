//! The queries of the export of a user's journal and of its import back: every entry with
//! its local time, every version of every transcript, and a version written as it was.

use chrono::{DateTime, NaiveDateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

use super::jobs::TranscriptStatus;
use super::scoped::UserTx;
use super::transcripts::TranscriptSource;
use crate::domain::Segment;

/// An entry as the export writes it.
#[derive(Debug, Clone)]
pub struct EntryRow {
    pub id: Uuid,
    pub title: String,
    /// `video`, `audio` or `none` (migration 0011).
    pub media: String,
    /// The storage key of the recording; empty for an entry of notes only.
    pub video_path: String,
    pub duration: i32,
    pub location: Option<String>,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// `created_at` on the wall clock of the user's time zone.
    pub local_time: NaiveDateTime,
    /// Alphabetical.
    pub tags: Vec<String>,
    pub transcript_status: TranscriptStatus,
}

/// The user's time zone (an IANA name), `None` for UTC.
pub async fn time_zone(tx: &mut UserTx) -> Result<Option<String>, sqlx::Error> {
    Ok(sqlx::query_scalar!(
        "SELECT time_zone FROM user_settings WHERE user_id = $1",
        tx.user_id()
    )
    .fetch_optional(&mut **tx)
    .await?
    .flatten())
}

/// Every entry of the user, oldest first, with its wall-clock time in `time_zone`.
#[tracing::instrument(skip(tx), fields(user_id = %tx.user_id()))]
pub async fn entries(tx: &mut UserTx, time_zone: &str) -> Result<Vec<EntryRow>, sqlx::Error> {
    sqlx::query_as!(
        EntryRow,
        r#"SELECT j.id, j.title, j.media, j.video_path, j.duration, j.location, j.notes,
                  j.created_at, j.updated_at,
                  (j.created_at AT TIME ZONE $2) AS "local_time!",
                  array(SELECT t.tag FROM tags t WHERE t.journal_id = j.id ORDER BY t.tag)
                      AS "tags!",
                  coalesce((SELECT q.state FROM transcription_jobs q WHERE q.journal_id = j.id
                            ORDER BY q.created_at DESC LIMIT 1),
                           CASE WHEN EXISTS (SELECT 1 FROM transcripts tr
                                             WHERE tr.journal_id = j.id)
                                THEN 'done' ELSE 'none' END)
                      AS "transcript_status!: TranscriptStatus"
           FROM journals j WHERE j.user_id = $1
           ORDER BY j.created_at, j.id"#,
        tx.user_id(),
        time_zone,
    )
    .fetch_all(&mut **tx)
    .await
}

/// One version of a transcript, with everything that says who made it.
#[derive(Debug, Clone)]
pub struct VersionRow {
    pub id: Uuid,
    pub text: String,
    pub segments: Option<Json<Vec<Segment>>>,
    pub created_at: DateTime<Utc>,
    pub source: TranscriptSource,
    pub language: Option<String>,
    pub language_probability: Option<f32>,
    /// The engine and model of an automatic run, when known.
    pub model: Option<String>,
}

/// Every version of a journal's transcript, oldest first (the last one is current).
#[tracing::instrument(skip(tx), fields(user_id = %tx.user_id()))]
pub async fn versions(tx: &mut UserTx, journal_id: Uuid) -> Result<Vec<VersionRow>, sqlx::Error> {
    sqlx::query_as!(
        VersionRow,
        r#"SELECT id, text, segments AS "segments: Json<Vec<Segment>>", created_at,
                  source AS "source: TranscriptSource", language, language_probability, model
           FROM transcripts WHERE journal_id = $1 ORDER BY created_at, id"#,
        journal_id,
    )
    .fetch_all(&mut **tx)
    .await
}

/// A version of a transcript as an export holds it, to be written back as it was.
#[derive(Debug, Clone)]
pub struct ImportedVersion<'a> {
    pub text: &'a str,
    pub segments: &'a [Segment],
    pub created_at: DateTime<Utc>,
    pub source: TranscriptSource,
    pub language: Option<&'a str>,
    pub language_probability: Option<f32>,
    pub model: Option<&'a str>,
}

/// Adds a version to a journal's transcript with its original time and maker, so that the
/// order of versions (and so which is current) stays what it was.
#[tracing::instrument(skip(tx, version), fields(user_id = %tx.user_id()))]
pub async fn insert_version(
    tx: &mut UserTx,
    journal_id: Uuid,
    version: &ImportedVersion<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO transcripts
             (journal_id, text, segments, created_at, source, language, language_probability,
              model)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        journal_id,
        version.text,
        Json(version.segments) as _,
        version.created_at,
        version.source.as_str(),
        version.language,
        version.language_probability.map(|p| p.clamp(0.0, 1.0)),
        version.model,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
