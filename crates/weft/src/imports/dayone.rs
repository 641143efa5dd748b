//! Reading a Day One export: a zip holding one `<Journal>.json` per journal and the media in
//! `videos/`, `audios/`, `photos/` and `pdfs/`, each file named `<md5>.<type>`. The zip is
//! read from disk as it is needed: its directory first, then each journal's JSON, then each
//! recording streamed to a file of its own, never the whole archive in memory.
//!
//! I/O (`Export`) is kept apart from the pure reading of one entry (`read_entry`), which the
//! unit tests drive with small JSON.

mod markdown;

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use zip::ZipArchive;

pub use markdown::{shorten, unescape};

/// Why an export cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("The file is not a readable zip archive ({0}). Export again from Day One (Settings, Import/Export, JSON) and use the .zip it makes.")]
    NotAZip(String),
    #[error("The archive holds Day One Classic entries (.doentry files), which Weft cannot read. Export again from Day One as JSON.")]
    Classic,
    #[error(
        "The archive holds no journal file (<Journal>.json). Export again from Day One as JSON."
    )]
    NoJournals,
    #[error("The export could not be read: {0}.")]
    Io(#[from] std::io::Error),
}

/// What kind of recording a media file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Video,
    Audio,
}

/// One recording of an entry, found in the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    pub kind: MediaKind,
    /// The file's name inside the zip.
    pub file: String,
    /// Its extension, lower case (`mov`, `mp4`, `m4a`), for the scratch file.
    pub extension: String,
}

/// One Day One entry, ready to become a journal.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub uuid: String,
    /// The journal it was in (the JSON file's name without `.json`).
    pub journal: String,
    /// `creationDate`, in UTC.
    pub created_at: DateTime<Utc>,
    /// `timeZone`, an IANA name, as Day One wrote it.
    pub time_zone: Option<String>,
    /// From the first line or heading; the date when the text has none.
    pub title: String,
    pub notes: Option<String>,
    /// Its tags, then `starred` when it was starred.
    pub tags: Vec<String>,
    /// Place, locality, area and country on one line.
    pub location: Option<String>,
    /// Its videos, then its recordings of sound, in Day One's order.
    pub recordings: Vec<Recording>,
    /// How many photos it had (not imported).
    pub photos: usize,
}

/// Something that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Problem {
    /// The entry (`Journal.json, entry 1A2B…`) or file it is about.
    pub what: String,
    pub reason: String,
}

impl Problem {
    /// A problem, without the NUL characters PostgreSQL cannot store (a zip's names and a
    /// JSON parser's quotes of bad input may hold them).
    pub fn new(what: &str, reason: &str) -> Problem {
        Problem {
            what: plain(what),
            reason: plain(reason),
        }
    }
}

/// `text` without NUL characters, which PostgreSQL cannot store and no journal needs.
fn plain(text: &str) -> String {
    text.replace('\0', "")
}

/// The entries of an export, and what could not be read.
#[derive(Debug, Default)]
pub struct Entries {
    pub entries: Vec<Entry>,
    pub problems: Vec<Problem>,
}

/// An open Day One export.
pub struct Export {
    zip: ZipArchive<BufReader<File>>,
    journals: Vec<String>,
    files: Files,
}

impl std::fmt::Debug for Export {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Export")
            .field("journals", &self.journals)
            .finish_non_exhaustive()
    }
}

impl Export {
    /// Opens the zip at `path` and reads its directory (not its contents).
    pub fn open(path: &Path) -> Result<Export, ExportError> {
        let file = BufReader::new(File::open(path)?);
        let zip = ZipArchive::new(file).map_err(|error| ExportError::NotAZip(error.to_string()))?;
        let names: Vec<String> = zip
            .file_names()
            .map(|name| name.map(|name| name.into_owned()))
            .collect::<Result<_, _>>()
            .map_err(|error| ExportError::NotAZip(error.to_string()))?;
        if names.iter().any(|name| name.ends_with(".doentry")) {
            return Err(ExportError::Classic);
        }
        let mut journals: Vec<String> = names
            .iter()
            .filter(|name| name.to_ascii_lowercase().ends_with(".json") && !is_media(name))
            .filter(|name| !name.starts_with("__MACOSX/"))
            .cloned()
            .collect();
        journals.sort();
        if journals.is_empty() {
            return Err(ExportError::NoJournals);
        }
        Ok(Export {
            zip,
            journals,
            files: Files::new(names),
        })
    }

    /// Reads every journal's entries. A journal file that is not valid JSON, and an entry
    /// that cannot be read, are problems; the rest is read.
    pub fn entries(&mut self) -> Entries {
        let mut all = Entries::default();
        for name in self.journals.clone() {
            let journal = journal_name(&name);
            let raw: Result<RawJournal, String> = match self.zip.by_name(&name) {
                Ok(file) => {
                    serde_json::from_reader(BufReader::new(file)).map_err(|e| e.to_string())
                }
                Err(error) => Err(error.to_string()),
            };
            let raw = match raw {
                Ok(raw) => raw,
                Err(reason) => {
                    all.problems.push(Problem::new(
                        &name,
                        &format!("the journal file is not valid Day One JSON ({reason})"),
                    ));
                    continue;
                }
            };
            for (index, value) in raw.entries.into_iter().enumerate() {
                match read_entry(&journal, index, value, &self.files) {
                    Ok(entry) => all.entries.push(entry),
                    Err(problem) => all.problems.push(problem),
                }
            }
        }
        all
    }

    /// Streams the file `name` of the archive into `to` (created or truncated). The zip's
    /// checksum is verified as the last bytes are read, so a damaged file is an error here.
    pub fn copy_to(&mut self, name: &str, to: &Path) -> std::io::Result<u64> {
        let mut file = self.zip.by_name(name).map_err(std::io::Error::other)?;
        let mut out = std::io::BufWriter::new(File::create(to)?);
        let copied = std::io::copy(&mut file, &mut out)?;
        std::io::Write::flush(&mut out)?;
        Ok(copied)
    }
}

fn is_media(name: &str) -> bool {
    ["photos/", "videos/", "audios/", "pdfs/"]
        .iter()
        .any(|folder| name.starts_with(folder) || name.contains(&format!("/{folder}")))
}

/// `Travel` from `Travel.json` or `export/Travel.json`.
fn journal_name(file: &str) -> String {
    let base = file.rsplit('/').next().unwrap_or(file);
    plain(
        base.strip_suffix(".json")
            .or_else(|| base.strip_suffix(".JSON"))
            .unwrap_or(base),
    )
}

/// The archive's file names, by exact name and by stem (the name without folder and
/// extension, lower case), to find media however an export placed them.
#[derive(Debug, Default)]
pub struct Files {
    names: HashSet<String>,
    by_stem: HashMap<String, String>,
}

impl Files {
    /// Indexes `names`.
    pub fn new(names: Vec<String>) -> Files {
        let mut by_stem = HashMap::new();
        for name in &names {
            if name.ends_with('/') || !is_media(name) {
                continue;
            }
            let base = name.rsplit('/').next().unwrap_or(name);
            let stem = base.split('.').next().unwrap_or(base).to_ascii_lowercase();
            by_stem.entry(stem).or_insert_with(|| name.clone());
        }
        Files {
            names: names.into_iter().collect(),
            by_stem,
        }
    }

    /// The recording of `media`, found by `md5` and type in its folder, else by `md5` or
    /// `identifier` anywhere among the media (older exports and videos without `md5`).
    fn find(&self, kind: MediaKind, media: &RawMedia) -> Result<Recording, String> {
        let (folder, noun) = match kind {
            MediaKind::Video => ("videos", "video"),
            MediaKind::Audio => ("audios", "audio recording"),
        };
        // Day One writes `format: "aac"` for audio it stores in an `.m4a` file.
        let extension = match media.kind.as_deref().or(media.format.as_deref()) {
            Some(kind) if kind.eq_ignore_ascii_case("aac") => Some("m4a".to_string()),
            Some(kind) => Some(kind.to_ascii_lowercase()),
            None => None,
        };
        let md5 = media.md5.as_deref().filter(|md5| !md5.is_empty());
        let identifier = media.identifier.as_deref().filter(|id| !id.is_empty());
        if let (Some(md5), Some(extension)) = (md5, &extension) {
            for name in [
                format!("{folder}/{md5}.{extension}"),
                format!("{folder}/{md5}.{}", extension.to_uppercase()),
            ] {
                if self.names.contains(&name) {
                    return Ok(recording(kind, name));
                }
            }
        }
        for key in [md5, identifier].into_iter().flatten() {
            if let Some(name) = self.by_stem.get(&key.to_ascii_lowercase()) {
                return Ok(recording(kind, name.clone()));
            }
        }
        Err(match (md5, identifier) {
            (Some(md5), _) => format!(
                "its {noun} {folder}/{md5}.{} is missing from the export",
                extension.as_deref().unwrap_or("*")
            ),
            (None, Some(id)) => {
                format!("its {noun} {id} has no md5 and no file named after it in the export")
            }
            (None, None) => format!("one of its {noun}s names no file (no md5, no identifier)"),
        })
    }
}

fn recording(kind: MediaKind, file: String) -> Recording {
    let extension = file
        .rsplit('/')
        .next()
        .and_then(|base| base.rsplit_once('.'))
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_else(|| "bin".into());
    Recording {
        kind,
        file,
        extension,
    }
}

#[derive(Debug, Deserialize)]
struct RawJournal {
    entries: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEntry {
    creation_date: Option<String>,
    time_zone: Option<String>,
    text: Option<String>,
    tags: Option<Vec<String>>,
    starred: Option<bool>,
    location: Option<RawLocation>,
    videos: Option<Vec<RawMedia>>,
    audios: Option<Vec<RawMedia>>,
    photos: Option<Vec<serde_json::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLocation {
    place_name: Option<String>,
    locality_name: Option<String>,
    administrative_area: Option<String>,
    country: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RawMedia {
    identifier: Option<String>,
    md5: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    format: Option<String>,
}

/// Reads the entry at `index` of `journal`, finding its recordings among `files`.
pub fn read_entry(
    journal: &str,
    index: usize,
    value: serde_json::Value,
    files: &Files,
) -> Result<Entry, Problem> {
    let uuid = value
        .get("uuid")
        .and_then(|uuid| uuid.as_str())
        .filter(|uuid| !uuid.trim().is_empty())
        .map(plain);
    let what = match &uuid {
        Some(uuid) => format!("{journal}, entry {uuid}"),
        None => format!("{journal}, entry {}", index + 1),
    };
    let problem = |reason: String| Problem::new(&what, &reason);
    let raw: RawEntry = serde_json::from_value(value)
        .map_err(|e| problem(format!("the entry is not valid Day One JSON ({e})")))?;
    let uuid = uuid.ok_or_else(|| problem("the entry has no uuid".into()))?;
    let created_at = raw
        .creation_date
        .as_deref()
        .ok_or_else(|| problem("the entry has no creationDate".into()))
        .and_then(|date| {
            DateTime::parse_from_rfc3339(date)
                .map(|date| date.with_timezone(&Utc))
                .map_err(|e| problem(format!("its creationDate {date:?} is not a date ({e})")))
        })?;
    let mut recordings = Vec::new();
    for (kind, list) in [
        (MediaKind::Video, &raw.videos),
        (MediaKind::Audio, &raw.audios),
    ] {
        for media in list.iter().flatten() {
            recordings.push(files.find(kind, media).map_err(problem)?);
        }
    }
    let text = markdown::without_moments(&plain(raw.text.as_deref().unwrap_or("")));
    let (title, notes) = markdown::title_and_notes(&text);
    let title = title.unwrap_or_else(|| format!("Day One, {}", created_at.format("%-d %B %Y")));
    let mut tags: Vec<String> = raw
        .tags
        .unwrap_or_default()
        .iter()
        .map(|tag| plain(tag))
        .collect();
    if raw.starred == Some(true) {
        tags.push("starred".into());
    }
    Ok(Entry {
        uuid,
        journal: journal.to_string(),
        created_at,
        time_zone: raw
            .time_zone
            .map(|zone| plain(&zone))
            .filter(|zone| !zone.is_empty()),
        title,
        notes,
        tags,
        location: raw.location.and_then(one_line),
        recordings,
        photos: raw.photos.map_or(0, |photos| photos.len()),
    })
}

/// Place, locality, area and country, joined with commas, each once.
fn one_line(location: RawLocation) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for part in [
        location.place_name,
        location.locality_name,
        location.administrative_area,
        location.country,
    ]
    .into_iter()
    .flatten()
    {
        let part = plain(part.trim());
        if !part.is_empty() && !parts.contains(&part) {
            parts.push(part);
        }
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

#[cfg(test)]
mod tests;
