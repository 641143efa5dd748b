//! Turning a Day One export into journals of one user: each entry with a recording becomes
//! a journal per recording, each entry of text (and photos) a journal of notes. Shared by
//! `weft import dayone` and the web import page's background run.
//!
//! Nothing is imported twice: every journal is written with its import key
//! (`dayone:<uuid>`, `dayone:<uuid>/2` for an entry's second recording), and an entry whose
//! keys are all there already is counted and passed over before its media is read.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::dayone::{shorten, Entry, Export, MediaKind, Problem};
use crate::domain::{Tag, MAX_LOCATION_CHARS, MAX_NOTES_CHARS, MAX_TAGS, MAX_TAG_CHARS};
use crate::ingest::{Details, Ingest, IngestError};
use crate::scratch::TempFile;

/// How an import went so far (and, at its end, how it went).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Report {
    /// Entries in the export, counting those that could not be read.
    pub total: usize,
    /// Entries dealt with so far.
    pub done: usize,
    /// Journals made (an entry with two recordings makes two).
    pub imported: usize,
    /// Entries found imported by an earlier run.
    pub already: usize,
    /// Entries not imported, with the reason.
    #[schema(value_type = Vec<SkippedEntry>)]
    pub skipped: Vec<Problem>,
}

/// An entry not imported, and why (the OpenAPI form of [`Problem`]).
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct SkippedEntry {
    /// The journal file and entry, as `Journal, entry UUID`.
    what: String,
    reason: String,
}

/// What happened to one entry, for a progress display.
#[derive(Debug)]
pub enum Step<'a> {
    /// It became journals.
    Imported(&'a Entry, usize),
    /// An earlier run imported it.
    Already(&'a Entry),
    /// It was skipped.
    Skipped(&'a Problem),
}

/// Imports every entry of `export` for `user_id`, calling `progress` after each.
pub async fn import_dayone(
    ingest: &Ingest,
    user_id: Uuid,
    export: Export,
    mut progress: impl FnMut(&Report, Step<'_>),
) -> Result<Report, sqlx::Error> {
    // Reading the zip is blocking I/O: it runs on the blocking threads, one step at a time.
    let export = Arc::new(Mutex::new(export));
    let reader = export.clone();
    let read = tokio::task::spawn_blocking(move || reader.lock().ok().map(|mut e| e.entries()))
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    let mut report = Report {
        total: read.entries.len() + read.problems.len(),
        ..Report::default()
    };
    for problem in read.problems {
        report.done += 1;
        report.skipped.push(problem.clone());
        progress(&report, Step::Skipped(&problem));
    }
    let known = crate::db::imports::keys(&ingest.pool, user_id, "dayone:").await?;
    for entry in &read.entries {
        let keys = keys_of(entry);
        report.done += 1;
        if keys.iter().all(|key| known.contains(key)) {
            report.already += 1;
            progress(&report, Step::Already(entry));
            continue;
        }
        match import_entry(ingest, user_id, &export, entry, &keys, &known).await {
            Ok(0) => {
                report.already += 1;
                progress(&report, Step::Already(entry));
            }
            Ok(made) => {
                report.imported += made;
                progress(&report, Step::Imported(entry, made));
            }
            Err(reason) => {
                let problem =
                    Problem::new(&format!("{}, entry {}", entry.journal, entry.uuid), &reason);
                report.skipped.push(problem.clone());
                progress(&report, Step::Skipped(&problem));
            }
        }
    }
    Ok(report)
}

/// The import key of each journal an entry makes (one for an entry without recordings).
fn keys_of(entry: &Entry) -> Vec<String> {
    let first = format!("dayone:{}", entry.uuid);
    let mut keys = vec![first.clone()];
    for number in 2..=entry.recordings.len() {
        keys.push(format!("{first}/{number}"));
    }
    keys
}

/// Imports one entry's journals not imported yet; how many it made, or why it could not.
async fn import_entry(
    ingest: &Ingest,
    user_id: Uuid,
    export: &Arc<Mutex<Export>>,
    entry: &Entry,
    keys: &[String],
    known: &HashSet<String>,
) -> Result<usize, String> {
    let details = details_of(entry);
    if entry.recordings.is_empty() {
        let details = Details {
            import_key: Some(keys[0].clone()),
            ..details
        };
        return match ingest.note(user_id, details).await {
            Ok(_) => Ok(1),
            Err(IngestError::AlreadyImported(_)) => Ok(0),
            Err(error) => Err(format!("it could not be saved ({error})")),
        };
    }
    let mut made = 0;
    for (index, (recording, key)) in entry.recordings.iter().zip(keys).enumerate() {
        if known.contains(key) {
            continue;
        }
        let noun = match recording.kind {
            MediaKind::Video => "video",
            MediaKind::Audio => "audio recording",
        };
        let temp = TempFile::new_in(&ingest.scratch, &recording.extension)
            .map_err(|error| format!("no scratch file could be made ({error})"))?;
        let (name, path, reader) = (
            recording.file.clone(),
            temp.path().to_path_buf(),
            export.clone(),
        );
        let copied = tokio::task::spawn_blocking(move || match reader.lock() {
            Ok(mut export) => export.copy_to(&name, &path),
            Err(_) => Err(std::io::Error::other("an earlier read of the zip failed")),
        })
        .await
        .unwrap_or_else(|error| Err(std::io::Error::other(error)));
        if let Err(error) = copied {
            return Err(format!(
                "its {noun} {} could not be read from the zip ({error})",
                recording.file
            ));
        }
        let mut details = Details {
            import_key: Some(key.clone()),
            ..details.clone()
        };
        if index > 0 {
            details.title = format!("{} ({})", shorten(&details.title, 190), index + 1);
        }
        match ingest.journal(user_id, temp, details).await {
            Ok(_) => made += 1,
            Err(IngestError::AlreadyImported(_)) => {}
            Err(error) => {
                return Err(format!(
                    "its {noun} {} could not be imported: {error}",
                    recording.file
                ))
            }
        }
    }
    Ok(made)
}

/// A journal's fields from an entry, cut to Weft's limits.
fn details_of(entry: &Entry) -> Details {
    Details {
        title: shorten(&entry.title, 200),
        location: entry
            .location
            .as_deref()
            .map(|location| shorten(location, MAX_LOCATION_CHARS)),
        notes: entry
            .notes
            .as_deref()
            .map(|notes| shorten(notes, MAX_NOTES_CHARS)),
        tags: tags_of(&entry.tags),
        created_at: Some(entry.created_at),
        prefer_recorded_at: false,
        ..Details::default()
    }
}

/// Day One's tags as Weft keeps them: commas and control characters turned to spaces, at
/// most 50 characters each, each once, and at most 20, `starred` (added last) among them.
fn tags_of(raw: &[String]) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in raw {
        let cleaned: String = tag
            .chars()
            .map(|c| if c == ',' || c.is_control() { ' ' } else { c })
            .collect();
        if let Ok(Some(tag)) = Tag::parse(&shorten(cleaned.trim(), MAX_TAG_CHARS)) {
            let tag = tag.into_string();
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
    }
    if tags.len() > MAX_TAGS {
        let starred = tags.last().is_some_and(|tag| tag == "starred");
        tags.truncate(MAX_TAGS);
        if starred {
            tags[MAX_TAGS - 1] = "starred".into();
        }
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_cleaned_kept_once_and_cut_to_twenty_keeping_starred() {
        let raw: Vec<String> = [
            "Walk, Park",
            "walk  park",
            "x".repeat(60).as_str(),
            "Tab\there",
        ]
        .iter()
        .map(|tag| tag.to_string())
        .collect();
        let tags = tags_of(&raw);
        assert_eq!(tags[0], "walk  park");
        assert_eq!(tags[1].chars().count(), MAX_TAG_CHARS);
        assert_eq!(tags[2], "tab here");
        assert_eq!(tags.len(), 3);

        let mut many: Vec<String> = (0..30).map(|n| format!("tag {n}")).collect();
        many.push("starred".into());
        let tags = tags_of(&many);
        assert_eq!(tags.len(), MAX_TAGS);
        assert_eq!(tags[0], "tag 0");
        assert_eq!(tags[MAX_TAGS - 1], "starred");
    }
}
