//! Bringing an export back into an account (`weft import weft-export`): the same entries
//! (title, time, location, notes, tags, kind of recording), the recordings byte for byte
//! (checked against the manifest's SHA-256), and every version of every transcript with who
//! made it, in order; no transcription is queued for an entry that brings its transcript.
//! Each entry is keyed `weft:<its id in the export>`, so a second import adds nothing. A
//! damaged entry is reported with its reason and skips only that entry.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tokio::runtime::Handle;
use uuid::Uuid;

use super::files::{self, Manifest, ManifestEntry, TranscriptFile};
use crate::db::export::{self as queries, ImportedVersion};
use crate::db::scoped;
use crate::domain::{optional_text, Tag, Title, MAX_LOCATION_CHARS, MAX_NOTES_CHARS};
use crate::ingest::{Details, Ingest, IngestError};
use crate::journals::Journals;
use crate::scratch::TempFile;

/// The largest manifest read, in bytes.
const MAX_MANIFEST_BYTES: u64 = 256 * 1024 * 1024;
/// The largest `transcript.json` read, in bytes.
const MAX_TRANSCRIPT_BYTES: u64 = 64 * 1024 * 1024;

/// Why an import could not start (an entry's own trouble only skips that entry).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    NotAnExport(String),
    #[error("reading the export: {0}")]
    Io(#[from] io::Error),
}

/// What an import did.
#[derive(Debug, Default)]
pub struct Report {
    /// Entries added.
    pub imported: usize,
    /// Entries an earlier import of the same export already added.
    pub already: usize,
    /// Entries skipped, each with its folder and the reason.
    pub skipped: Vec<(String, String)>,
}

/// The files of an export: a folder, or a zip.
enum Source {
    Folder(PathBuf),
    Zip(zip::ZipArchive<std::fs::File>),
}

impl Source {
    fn open(path: &Path) -> Result<Self, ImportError> {
        if path.is_dir() {
            return Ok(Source::Folder(path.to_path_buf()));
        }
        let file = std::fs::File::open(path)?;
        zip::ZipArchive::new(file)
            .map(Source::Zip)
            .map_err(|error| {
                ImportError::NotAnExport(format!(
                    "{} is neither a folder nor a zip that can be read ({error})",
                    path.display()
                ))
            })
    }

    /// Copies the file at `path` (relative, `/`-separated) into `out`, at most `limit` bytes.
    fn copy(&mut self, path: &str, out: &mut dyn io::Write, limit: u64) -> io::Result<u64> {
        let missing = || io::Error::new(io::ErrorKind::NotFound, format!("{path} is missing"));
        let copied = match self {
            Source::Folder(root) => {
                let file = std::fs::File::open(root.join(path)).map_err(|_| missing())?;
                io::copy(&mut file.take(limit + 1), out)?
            }
            Source::Zip(archive) => {
                let entry = archive.by_name(path).map_err(|_| missing())?;
                io::copy(&mut entry.take(limit + 1), out)?
            }
        };
        if copied > limit {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{path} is larger than an export writes"),
            ));
        }
        Ok(copied)
    }

    fn read_json<T: serde::de::DeserializeOwned>(
        &mut self,
        path: &str,
        limit: u64,
    ) -> io::Result<T> {
        let mut bytes = Vec::new();
        self.copy(path, &mut bytes, limit)?;
        serde_json::from_slice(&bytes)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{path}: {e}")))
    }
}

/// A name of one folder or file, as the manifest may give it: no separators, no `..`.
fn plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// Brings the export at `path` (a folder or a zip) into `user_id`'s account. Blocking: call
/// it from a blocking thread of the runtime `handle` belongs to.
pub fn import(
    handle: &Handle,
    ingest: &Ingest,
    user_id: Uuid,
    path: &Path,
    progress: &mut dyn FnMut(usize, usize, &str),
) -> Result<Report, ImportError> {
    let mut source = Source::open(path)?;
    let manifest: Manifest = source
        .read_json(files::MANIFEST, MAX_MANIFEST_BYTES)
        .map_err(|error| {
            ImportError::NotAnExport(format!("{} is not a Weft export: {error}", path.display()))
        })?;
    if manifest.format != files::FORMAT || manifest.version > files::VERSION {
        return Err(ImportError::NotAnExport(format!(
            "{} is a {} export of version {}; this Weft reads {} version {} and older",
            path.display(),
            manifest.format,
            manifest.version,
            files::FORMAT,
            files::VERSION
        )));
    }
    let mut report = Report::default();
    let total = manifest.entries.len();
    for (n, entry) in manifest.entries.iter().enumerate() {
        progress(n + 1, total, &entry.folder);
        match import_entry(handle, ingest, user_id, &mut source, entry) {
            Ok(true) => report.imported += 1,
            Ok(false) => report.already += 1,
            Err(reason) => report.skipped.push((entry.folder.clone(), reason)),
        }
    }
    Ok(report)
}

/// One entry: true when added, false when an earlier import added it; else why not.
fn import_entry(
    handle: &Handle,
    ingest: &Ingest,
    user_id: Uuid,
    source: &mut Source,
    entry: &ManifestEntry,
) -> Result<bool, String> {
    if !plain_name(&entry.folder) {
        return Err("the manifest names a folder outside the export".into());
    }
    let details = details(entry)?;
    let versions = if entry.transcript_versions > 0 {
        let path = format!("{}/transcript.json", entry.folder);
        let file: TranscriptFile = source
            .read_json(&path, MAX_TRANSCRIPT_BYTES)
            .map_err(|e| e.to_string())?;
        file.versions
    } else {
        Vec::new()
    };
    let details = Details {
        // An entry with its transcript needs no run; one without is transcribed as an upload.
        transcribe: versions.is_empty(),
        ..details
    };
    let added = match (&entry.media[..], &entry.recording) {
        ("none", _) => handle.block_on(ingest.note(user_id, details)),
        (_, Some(file)) if plain_name(file) => {
            let recording = extract(source, ingest, entry, file)?;
            handle.block_on(ingest.journal(user_id, recording, details))
        }
        _ if entry.recording_missing.is_some() => {
            return Err("its recording was missing from storage when it was exported".into())
        }
        _ => return Err("the manifest names no recording for it".into()),
    };
    let view = match added {
        Ok(view) => view,
        Err(IngestError::AlreadyImported(_)) => return Ok(false),
        Err(error) => return Err(error.to_string()),
    };
    let journal_id = view.journal.id;
    if let Err(error) = handle.block_on(add_versions(ingest, user_id, journal_id, &versions)) {
        // All or nothing: without its transcripts the entry goes again, so that another
        // import can bring it whole.
        let journals = Journals {
            pool: &ingest.pool,
            storage: &ingest.storage,
        };
        if let Err(undo) = handle.block_on(journals.delete(user_id, journal_id)) {
            tracing::error!(%journal_id, error = %undo, "could not remove a half-imported entry");
        }
        return Err(format!("writing its transcripts: {error}"));
    }
    Ok(true)
}

/// The entry's fields, checked as an upload's are.
fn details(entry: &ManifestEntry) -> Result<Details, String> {
    let title = Title::parse(&entry.title).map_err(|e| e.to_string())?;
    let location = optional_text(entry.location.as_deref(), "location", MAX_LOCATION_CHARS)
        .map_err(|e| e.to_string())?;
    let notes = optional_text(entry.notes.as_deref(), "notes", MAX_NOTES_CHARS)
        .map_err(|e| e.to_string())?;
    let tags = Tag::parse_all(entry.tags.iter().map(String::as_str)).map_err(|e| e.to_string())?;
    let refuse_nul = [Some(title.as_str()), location.as_deref(), notes.as_deref()];
    if refuse_nul.iter().flatten().any(|t| t.contains('\0')) {
        return Err("its text holds a NUL character".into());
    }
    Ok(Details {
        title: title.as_str().to_string(),
        location,
        notes,
        tags,
        created_at: Some(entry.created_at),
        prefer_recorded_at: false,
        import_key: Some(format!("weft:{}", entry.id)),
        ..Details::default()
    })
}

/// Copies the entry's recording into scratch space, checking its size and SHA-256 against
/// the manifest.
fn extract(
    source: &mut Source,
    ingest: &Ingest,
    entry: &ManifestEntry,
    file: &str,
) -> Result<TempFile, String> {
    let extension = Path::new(file)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("bin");
    let temp = TempFile::new_in(&ingest.scratch, extension).map_err(|e| e.to_string())?;
    let out = std::fs::File::create(temp.path()).map_err(|e| e.to_string())?;
    let mut out = Hashing {
        out: io::BufWriter::new(out),
        hasher: Sha256::new(),
    };
    let path = format!("{}/{file}", entry.folder);
    let size = source
        .copy(
            &path,
            &mut out,
            entry.recording_bytes.unwrap_or(u64::MAX - 1),
        )
        .map_err(|e| e.to_string())?;
    let file = out.out.into_inner().map_err(|e| e.to_string())?;
    file.sync_all().map_err(|e| e.to_string())?;
    let sha256 = hex::encode(out.hasher.finalize());
    let damaged = entry.recording_bytes.is_some_and(|b| b != size)
        || entry
            .recording_sha256
            .as_ref()
            .is_some_and(|s| *s != sha256);
    if damaged {
        return Err(format!("{path} differs from the one exported (damaged)"));
    }
    Ok(temp)
}

/// A writer that hashes what passes through it.
struct Hashing<W> {
    out: W,
    hasher: Sha256,
}

impl<W: io::Write> io::Write for Hashing<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = self.out.write(data)?;
        self.hasher.update(&data[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Writes the transcript's versions, oldest first, in one transaction.
async fn add_versions(
    ingest: &Ingest,
    user_id: Uuid,
    journal_id: Uuid,
    versions: &[files::Version],
) -> Result<(), sqlx::Error> {
    if versions.is_empty() {
        return Ok(());
    }
    let mut tx = scoped::begin_for_user(&ingest.pool, user_id).await?;
    for version in versions {
        let imported = ImportedVersion {
            text: &version.text,
            segments: &version.segments,
            created_at: version.created_at,
            source: version.source,
            language: version.language.as_deref(),
            language_probability: version.language_probability,
            model: version.model.as_deref(),
        };
        queries::insert_version(&mut tx, journal_id, &imported).await?;
    }
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::plain_name;

    #[test]
    fn names_from_the_manifest_stay_inside_the_export() {
        assert!(plain_name("2024-05-01 Walk (2)"));
        assert!(plain_name("video.mp4"));
        for bad in ["", ".", "..", "../x", "a/b", "a\\b", "a\0b"] {
            assert!(!plain_name(bad), "{bad:?}");
        }
    }
}
