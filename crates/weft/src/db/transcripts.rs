//! Transcripts and their timestamped segments.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use uuid::Uuid;

use super::scoped::UserTx;
use crate::domain::Segment;

/// Who made a version of a transcript: `transcripts.source`, a text column whose CHECK
/// allows exactly these two spellings (migration 0003). JSON and the database spell them
/// alike.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, sqlx::Type, Serialize, Deserialize, utoipa::ToSchema,
)]
#[sqlx(type_name = "text", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum TranscriptSource {
    /// An automatic run.
    Engine,
    /// A correction by the journal's owner (or an older version made current again); like
    /// every version, current until a newer one is added.
    Person,
}

impl TranscriptSource {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TranscriptSource::Engine => "engine",
            TranscriptSource::Person => "person",
        }
    }
}

/// A row of `transcripts`: one version of a journal's transcript.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Transcript {
    pub id: Uuid,
    pub journal_id: Uuid,
    pub text: String,
    #[schema(value_type = Option<Vec<Segment>>)]
    pub segments: Option<Json<Vec<Segment>>>,
    pub created_at: DateTime<Utc>,
    /// `engine` (an automatic run) or `person` (a correction).
    pub source: TranscriptSource,
    /// The language the engine heard, when it said.
    pub language: Option<String>,
    /// How sure the engine was of a language it detected, 0..1 (none when it was given).
    pub language_probability: Option<f32>,
    /// The engine and model that made it (`whisper base.en`); none for a person's
    /// correction and for versions made before this was kept.
    pub model: Option<String>,
}

/// A version to add to a journal's transcript.
#[derive(Debug, Clone, Copy)]
pub struct NewVersion<'a> {
    pub text: &'a str,
    pub segments: &'a [Segment],
    pub source: TranscriptSource,
    /// The language the engine heard, or the one of the version a person corrected.
    pub language: Option<&'a str>,
    pub language_probability: Option<f64>,
    /// The engine and model that made it; none for a person.
    pub model: Option<&'a str>,
}

/// Inserts a transcript for a journal.
#[tracing::instrument(skip(tx, text, segments), fields(user_id = %tx.user_id()))]
pub async fn insert(
    tx: &mut UserTx,
    journal_id: Uuid,
    text: &str,
    segments: Option<&[Segment]>,
) -> Result<Transcript, sqlx::Error> {
    sqlx::query_as!(
        Transcript,
        r#"INSERT INTO transcripts (journal_id, text, segments) VALUES ($1, $2, $3)
           RETURNING id, journal_id, text, segments AS "segments: Json<Vec<Segment>>",
                     created_at, source AS "source: TranscriptSource", language, language_probability, model"#,
        journal_id,
        text,
        segments.map(Json) as _,
    )
    .fetch_one(&mut **tx)
    .await
}

/// The transcripts of a journal, newest first.
#[tracing::instrument(skip(tx), fields(user_id = %tx.user_id()))]
pub async fn for_journal(
    tx: &mut UserTx,
    journal_id: Uuid,
) -> Result<Vec<Transcript>, sqlx::Error> {
    sqlx::query_as!(
        Transcript,
        r#"SELECT id, journal_id, text, segments AS "segments: Json<Vec<Segment>>", created_at,
                  source AS "source: TranscriptSource", language, language_probability, model
           FROM transcripts WHERE journal_id = $1 ORDER BY created_at DESC, id DESC"#,
        journal_id,
    )
    .fetch_all(&mut **tx)
    .await
}

/// Adds a version of a journal's transcript.
#[tracing::instrument(skip(tx, version), fields(user_id = %tx.user_id()))]
pub async fn insert_version(
    tx: &mut UserTx,
    journal_id: Uuid,
    version: NewVersion<'_>,
) -> Result<Transcript, sqlx::Error> {
    sqlx::query_as!(
        Transcript,
        r#"INSERT INTO transcripts
               (journal_id, text, segments, source, language, language_probability, model)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           RETURNING id, journal_id, text, segments AS "segments: Json<Vec<Segment>>",
                     created_at, source AS "source: TranscriptSource", language, language_probability, model"#,
        journal_id,
        version.text,
        Json(version.segments) as _,
        version.source.as_str(),
        version.language,
        version.language_probability.map(|p| p.clamp(0.0, 1.0) as f32),
        version.model,
    )
    .fetch_one(&mut **tx)
    .await
}

/// The current transcript of a journal: its newest version, whoever made it. A run is only
/// queued when someone asks for one, so a run after a correction is what the person wants
/// to see; the correction stays as an older version (migration 0010).
#[tracing::instrument(skip(tx), fields(user_id = %tx.user_id()))]
pub async fn current(tx: &mut UserTx, journal_id: Uuid) -> Result<Option<Transcript>, sqlx::Error> {
    sqlx::query_as!(
        Transcript,
        r#"SELECT id, journal_id, text, segments AS "segments: Json<Vec<Segment>>", created_at,
                  source AS "source: TranscriptSource", language, language_probability, model
           FROM transcripts WHERE journal_id = $1
           ORDER BY created_at DESC, id DESC LIMIT 1"#,
        journal_id,
    )
    .fetch_optional(&mut **tx)
    .await
}
