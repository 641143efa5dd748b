//! Making the video of one render: each entry's recording fetched once (read in place on
//! the local store, downloaded from S3), each clip cut and each entry's title card made
//! ([`crate::media::reel`]), all joined into one MP4. Everything is written in a folder of
//! its own under the scratch space, removed when the render ends, however it ends.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use crate::db::reels::{ClipSpec, Source};
use crate::domain::Media;
use crate::media::probe;
use crate::media::reel::{self, Cut, Frame, ReelError};
use crate::media::ToolError;
use crate::scratch::TempFile;
use crate::storage::{Storage, StorageError};

/// How long ffprobe may take on one recording, and ffmpeg on one title card.
const SHORT_LIMIT: Duration = Duration::from_secs(120);

/// Clips shorter than this (a recording that ends before its moment) are left out.
const SHORTEST_CLIP: f64 = 0.1;

/// The longest title shown on a card, in characters: one line at the card's size.
const CARD_TITLE_CHARS: usize = 60;

/// Why a render's video could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// Trying again cannot help (every entry was deleted, a recording is gone, the font
    /// is missing).
    #[error("{0}")]
    Permanent(String),
    /// Perhaps next time (a tool failed or timed out, storage did not answer).
    #[error("{0}")]
    Retryable(String),
}

impl From<ReelError> for RenderError {
    fn from(error: ReelError) -> Self {
        match error {
            ReelError::NoFont(_) | ReelError::Tool(ToolError::Missing(_)) => {
                RenderError::Permanent(error.to_string())
            }
            other => RenderError::Retryable(other.to_string()),
        }
    }
}

impl From<StorageError> for RenderError {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::NotFound(_) => RenderError::Permanent(
                "a recording of this reel is missing from storage".to_string(),
            ),
            other => RenderError::Retryable(other.to_string()),
        }
    }
}

impl From<std::io::Error> for RenderError {
    fn from(error: std::io::Error) -> Self {
        RenderError::Retryable(format!("scratch space: {error}"))
    }
}

/// A folder under the scratch space, removed with everything in it when dropped.
struct Workspace(PathBuf);

impl Workspace {
    fn new(scratch: &Path, id: Uuid) -> std::io::Result<Workspace> {
        let dir = scratch.join(format!("reel-{id}"));
        // What an attempt killed with its process left.
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        Ok(Workspace(dir))
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A recording ready to cut.
struct Recording {
    path: PathBuf,
    duration: f64,
    has_video: bool,
    has_audio: bool,
}

/// What making a video needs.
#[derive(Debug, Clone)]
pub struct Renderer {
    pub storage: Storage,
    pub scratch: PathBuf,
    pub frame: Frame,
}

/// The first line of a title card: the entry's day.
pub fn card_date(day: chrono::NaiveDate) -> String {
    day.format("%A %-d %B %Y").to_string()
}

/// The second line: the title, shortened to one line.
pub fn card_title(title: &str) -> String {
    let title = title.trim();
    if title.chars().count() <= CARD_TITLE_CHARS {
        return title.to_string();
    }
    let short: String = title.chars().take(CARD_TITLE_CHARS - 1).collect();
    format!("{}…", short.trim_end())
}

impl Renderer {
    /// Makes the video of `clips` (render `id`) from the recordings of `sources`; clips of
    /// journals not among them (deleted since) are left out. Returns the MP4, in the
    /// scratch space, and its length in seconds.
    pub async fn video(
        &self,
        id: Uuid,
        clips: &[ClipSpec],
        sources: &[Source],
    ) -> Result<(TempFile, f64), RenderError> {
        let workspace = Workspace::new(&self.scratch, id)?;
        let dir = workspace.0.as_path();
        let by_id: HashMap<Uuid, &Source> = sources.iter().map(|s| (s.id, s)).collect();
        let mut recordings: HashMap<Uuid, Recording> = HashMap::new();
        let mut pieces: Vec<String> = Vec::new();
        let mut seconds = 0.0;
        let mut previous: Option<Uuid> = None;
        for (n, clip) in clips.iter().enumerate() {
            let Some(source) = by_id.get(&clip.journal) else {
                continue;
            };
            if source.media == Media::None {
                continue;
            }
            if !recordings.contains_key(&source.id) {
                let recording = self.fetch(source, dir, recordings.len()).await?;
                recordings.insert(source.id, recording);
            }
            let recording = &recordings[&source.id];
            let to = clip.to.min(recording.duration);
            let from = clip.from.min(to);
            if to - from < SHORTEST_CLIP {
                continue;
            }
            if previous != Some(source.id) {
                let name = format!("card-{n}.mp4");
                reel::card(
                    &card_date(source.day),
                    &card_title(&source.title),
                    super::CARD_SECONDS,
                    self.frame,
                    dir,
                    &name,
                    SHORT_LIMIT,
                )
                .await?;
                pieces.push(name);
                seconds += super::CARD_SECONDS;
                previous = Some(source.id);
            }
            let name = format!("clip-{n}.mp4");
            let cut = Cut {
                input: &recording.path,
                from,
                seconds: to - from,
                has_video: recording.has_video,
                has_audio: recording.has_audio,
            };
            reel::cut(&cut, self.frame, dir, &name, limit_for(to - from)).await?;
            pieces.push(name);
            seconds += to - from;
        }
        if pieces.is_empty() {
            return Err(RenderError::Permanent(
                "the entries of this reel were deleted, or their recordings are shorter than \
                 their moments: there is nothing left to cut"
                    .to_string(),
            ));
        }
        reel::join(&pieces, dir, "reel.mp4", limit_for(seconds)).await?;
        let video = TempFile::new_in(&self.scratch, "mp4")?;
        tokio::fs::rename(dir.join("reel.mp4"), video.path()).await?;
        Ok((video, seconds))
    }

    /// The recording of `source`, probed: read where it lies on the local store, else
    /// downloaded into `dir`.
    async fn fetch(&self, source: &Source, dir: &Path, n: usize) -> Result<Recording, RenderError> {
        let key = &source.video_path;
        let local = self
            .storage
            .local_root()
            .map(|root| root.join(key))
            .filter(|path| path.is_file());
        let path = match local {
            Some(path) => path,
            None => {
                let extension = Path::new(key)
                    .extension()
                    .and_then(|e| e.to_str())
                    .unwrap_or("bin");
                let path = dir.join(format!("source-{n}.{extension}"));
                self.download(key, &path).await?;
                path
            }
        };
        let info = probe::probe(&path, SHORT_LIMIT).await.map_err(|error| {
            RenderError::Permanent(format!(
                "the recording of “{}” cannot be read: {error}",
                source.title
            ))
        })?;
        Ok(Recording {
            path,
            duration: info.duration,
            has_video: info.media == Media::Video,
            has_audio: info.has_audio,
        })
    }

    async fn download(&self, key: &str, into: &Path) -> Result<(), RenderError> {
        let mut stream = self.storage.get(key, None).await?;
        let mut file = tokio::fs::File::create(into).await?;
        while let Some(chunk) = stream.next().await {
            file.write_all(&chunk?).await?;
        }
        file.flush().await?;
        Ok(())
    }
}

/// How long ffmpeg may take on `seconds` of video: two minutes, and ten times its length
/// (encoding runs at several times real time on a small machine).
fn limit_for(seconds: f64) -> Duration {
    Duration::from_secs(120) + Duration::from_secs_f64(seconds.max(0.0) * 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_shows_the_day_in_words_and_a_title_on_one_line() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 3).unwrap();
        assert_eq!(card_date(day), "Saturday 3 January 2026");
        assert_eq!(card_title("  Cliff walk "), "Cliff walk");
        let long = "word ".repeat(30);
        let short = card_title(&long);
        assert_eq!(short.chars().count(), CARD_TITLE_CHARS);
        assert!(short.ends_with("word…") || short.ends_with('…'), "{short}");
    }
}
