//! What the files of an export hold: the manifest (`weft-export.json`), an entry's
//! `transcript.json` and its `entry.md`. The JSON types are read back by the import.

use chrono::{DateTime, FixedOffset, Offset, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::db::export::{EntryRow, VersionRow};
use crate::db::transcripts::TranscriptSource;
use crate::domain::Segment;

/// The `format` of the manifest; the import refuses any other.
pub const FORMAT: &str = "weft-export";
/// The version of the layout; the import refuses newer ones.
pub const VERSION: u32 = 1;
/// The manifest's file name, at the top of the export.
pub const MANIFEST: &str = "weft-export.json";
/// The offline page, at the top of the export.
pub const INDEX: &str = "index.html";

/// `weft-export.json`: what the export holds and where.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Always `weft-export`.
    pub format: String,
    pub version: u32,
    /// The Weft that wrote it.
    pub weft_version: String,
    pub user: ManifestUser,
    pub exported_at: DateTime<Utc>,
    /// Oldest first.
    pub entries: Vec<ManifestEntry>,
}

/// Whose journal it is.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestUser {
    pub username: String,
    /// The IANA time zone the folders' dates are in; `null`: UTC.
    pub time_zone: Option<String>,
}

/// One entry and its folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestEntry {
    /// The entry's id in the Weft it came from.
    pub id: Uuid,
    /// The folder, relative to the top of the export.
    pub folder: String,
    pub title: String,
    pub created_at: DateTime<Utc>,
    /// `created_at` in the user's time zone, with its offset.
    pub local_time: DateTime<FixedOffset>,
    /// `video`, `audio` or `none`.
    pub media: String,
    /// The recording's file name in the folder (`video.mp4`); `null` for notes only.
    pub recording: Option<String>,
    /// Its size and SHA-256, to check a copy against.
    pub recording_bytes: Option<u64>,
    pub recording_sha256: Option<String>,
    /// The recording's file name when storage no longer had it at the export: the entry
    /// is exported without it (and `recording` is `null`) rather than stopping the export.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_missing: Option<String>,
    /// Whole seconds.
    pub duration: i32,
    pub location: Option<String>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    /// none, queued, running, done or failed, when exported.
    pub transcript_status: String,
    /// How many versions `transcript.json` holds (0: there is none).
    pub transcript_versions: usize,
}

/// `transcript.json`: the current version at the top, and every version (oldest first, the
/// last is the current one), so that corrections by hand and their history survive.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptFile {
    pub journal_id: Uuid,
    pub language: Option<String>,
    /// `engine` or `person`.
    pub source: TranscriptSource,
    pub model: Option<String>,
    pub text: String,
    pub segments: Vec<Segment>,
    pub versions: Vec<Version>,
}

/// One version of a transcript.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Version {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    /// `engine` (an automatic run) or `person` (a correction).
    pub source: TranscriptSource,
    /// The engine and model that made it (`whisper base.en`), when known.
    pub model: Option<String>,
    pub language: Option<String>,
    pub language_probability: Option<f32>,
    pub text: String,
    /// Times in seconds within the recording, with the words' times where known.
    pub segments: Vec<Segment>,
}

impl From<VersionRow> for Version {
    fn from(row: VersionRow) -> Self {
        Version {
            id: row.id,
            created_at: row.created_at,
            source: row.source,
            model: row.model,
            language: row.language,
            language_probability: row.language_probability,
            text: row.text,
            segments: row.segments.map(|s| s.0).unwrap_or_default(),
        }
    }
}

impl TranscriptFile {
    /// The file for `versions` (oldest first); `None` when there is no version.
    pub fn new(journal_id: Uuid, versions: Vec<Version>) -> Option<Self> {
        let current = versions.last()?.clone();
        Some(TranscriptFile {
            journal_id,
            language: current.language,
            source: current.source,
            model: current.model,
            text: current.text,
            segments: current.segments,
            versions,
        })
    }
}

/// The local time of `row` with its offset from UTC.
pub fn local_time(row: &EntryRow) -> DateTime<FixedOffset> {
    let offset = (row.local_time - row.created_at.naive_utc()).num_seconds();
    let offset = i32::try_from(offset)
        .ok()
        .and_then(FixedOffset::east_opt)
        .unwrap_or(Utc.fix());
    row.created_at.with_timezone(&offset)
}

/// A string as YAML reads it: JSON's quoted strings are YAML's double-quoted scalars.
fn yaml(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// `entry.md`: YAML front matter with the metadata, then the notes, then the transcript as
/// text, readable in any editor and by static-site tools.
pub fn entry_markdown(
    entry: &ManifestEntry,
    time_zone: Option<&str>,
    transcript: Option<&str>,
) -> String {
    let mut out = String::from("---\n");
    out.push_str(&format!("id: {}\n", entry.id));
    out.push_str(&format!("title: {}\n", yaml(&entry.title)));
    out.push_str(&format!(
        "date: {}\n",
        entry.local_time.format("%Y-%m-%dT%H:%M:%S%:z")
    ));
    out.push_str(&format!(
        "time_zone: {}\n",
        yaml(time_zone.unwrap_or("UTC"))
    ));
    let tags: Vec<String> = entry.tags.iter().map(|t| yaml(t)).collect();
    out.push_str(&format!("tags: [{}]\n", tags.join(", ")));
    match &entry.location {
        Some(location) => out.push_str(&format!("location: {}\n", yaml(location))),
        None => out.push_str("location: null\n"),
    }
    out.push_str(&format!("media: {}\n", entry.media));
    match &entry.recording {
        Some(file) => out.push_str(&format!("recording: {}\n", yaml(file))),
        None => out.push_str("recording: null\n"),
    }
    if let Some(file) = &entry.recording_missing {
        out.push_str(&format!("recording_missing: {}\n", yaml(file)));
    }
    out.push_str(&format!("duration: {}\n", entry.duration));
    out.push_str(&format!("transcript: {}\n", entry.transcript_status));
    out.push_str("---\n\n");
    out.push_str(&format!("# {}\n", entry.title));
    if let Some(notes) = &entry.notes {
        out.push_str(&format!("\n{}\n", notes.trim_end()));
    }
    if let Some(text) = transcript.map(str::trim).filter(|t| !t.is_empty()) {
        out.push_str(&format!("\n## Transcript\n\n{text}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> ManifestEntry {
        let created_at: DateTime<Utc> = "2024-05-01T17:30:00Z".parse().unwrap();
        let offset = FixedOffset::east_opt(3600).unwrap();
        ManifestEntry {
            id: Uuid::nil(),
            folder: "2024-05-01 Walk".into(),
            title: "Walk: \"by the sea\"".into(),
            created_at,
            local_time: created_at.with_timezone(&offset),
            media: "video".into(),
            recording: Some("video.mp4".into()),
            recording_bytes: Some(10),
            recording_sha256: None,
            recording_missing: None,
            duration: 12,
            location: Some("Lisbon".into()),
            notes: Some("First line\nsecond line\n".into()),
            tags: vec!["sea".into(), "family trip".into()],
            transcript_status: "done".into(),
            transcript_versions: 2,
        }
    }

    #[test]
    fn entry_markdown_has_front_matter_notes_and_transcript() {
        let md = entry_markdown(&entry(), Some("Europe/Lisbon"), Some(" Hello there. "));
        assert_eq!(
            md,
            "---\nid: 00000000-0000-0000-0000-000000000000\ntitle: \"Walk: \\\"by the sea\\\"\"\n\
             date: 2024-05-01T18:30:00+01:00\ntime_zone: \"Europe/Lisbon\"\n\
             tags: [\"sea\", \"family trip\"]\nlocation: \"Lisbon\"\nmedia: video\n\
             recording: \"video.mp4\"\nduration: 12\ntranscript: done\n---\n\n\
             # Walk: \"by the sea\"\n\nFirst line\nsecond line\n\n## Transcript\n\nHello there.\n"
        );
    }

    #[test]
    fn an_entry_of_notes_only_says_so() {
        let mut notes_only = entry();
        notes_only.media = "none".into();
        notes_only.recording = None;
        notes_only.location = None;
        let md = entry_markdown(&notes_only, None, None);
        assert!(md.contains("recording: null\n"), "{md}");
        assert!(md.contains("location: null\n"), "{md}");
        assert!(md.contains("time_zone: \"UTC\"\n"), "{md}");
        assert!(!md.contains("## Transcript"), "{md}");
    }
}
