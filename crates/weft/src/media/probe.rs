//! What a file is, according to ffprobe: a video, a sound recording or neither, how long,
//! in which container.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use tokio::process::Command;

use super::{last_line, run_tool, ToolError};

use crate::domain::Media;

/// The container formats Weft keeps, with the content type it serves them as. Sound
/// recordings have containers of their own (an audio-only MP4 is an `.m4a`), so that a
/// stored key's extension alone says how to serve it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Mp4,
    QuickTime,
    WebM,
    Matroska,
    /// MPEG-4 audio (AAC or ALAC), what phones' voice memos are.
    M4a,
    /// Raw AAC (ADTS).
    Aac,
    Mp3,
    /// Ogg: Opus or Vorbis.
    Ogg,
    Wav,
    Flac,
    /// WebM with sound only: what a browser records with the camera off.
    WebmAudio,
    /// Matroska with sound only.
    MatroskaAudio,
}

impl Container {
    /// The MIME type for playback.
    pub fn content_type(self) -> &'static str {
        match self {
            Container::Mp4 => "video/mp4",
            Container::QuickTime => "video/quicktime",
            Container::WebM => "video/webm",
            Container::Matroska => "video/x-matroska",
            Container::M4a => "audio/mp4",
            Container::Aac => "audio/aac",
            Container::Mp3 => "audio/mpeg",
            Container::Ogg => "audio/ogg",
            Container::Wav => "audio/wav",
            Container::Flac => "audio/flac",
            Container::WebmAudio => "audio/webm",
            Container::MatroskaAudio => "audio/x-matroska",
        }
    }

    /// The file extension for stored copies.
    pub fn extension(self) -> &'static str {
        match self {
            Container::Mp4 => "mp4",
            Container::QuickTime => "mov",
            Container::WebM => "webm",
            Container::Matroska => "mkv",
            Container::M4a => "m4a",
            Container::Aac => "aac",
            Container::Mp3 => "mp3",
            Container::Ogg => "ogg",
            Container::Wav => "wav",
            Container::Flac => "flac",
            Container::WebmAudio => "weba",
            Container::MatroskaAudio => "mka",
        }
    }

    /// ffmpeg's name for the container's muxer (`weba` is not an extension ffmpeg knows).
    pub fn muxer(self) -> &'static str {
        match self {
            Container::Mp4 | Container::M4a => "mp4",
            Container::QuickTime => "mov",
            Container::WebM | Container::WebmAudio => "webm",
            Container::Matroska | Container::MatroskaAudio => "matroska",
            Container::Aac => "adts",
            Container::Mp3 => "mp3",
            Container::Ogg => "ogg",
            Container::Wav => "wav",
            Container::Flac => "flac",
        }
    }

    /// Whether the container holds a video or a sound recording.
    pub fn media(self) -> Media {
        match self {
            Container::Mp4 | Container::QuickTime | Container::WebM | Container::Matroska => {
                Media::Video
            }
            _ => Media::Audio,
        }
    }

    /// The container for an extension (of a stored key), if it is one of Weft's.
    pub fn from_extension(extension: &str) -> Option<Self> {
        Some(match extension.to_ascii_lowercase().as_str() {
            "mp4" | "m4v" => Container::Mp4,
            "mov" => Container::QuickTime,
            "webm" => Container::WebM,
            "mkv" => Container::Matroska,
            "m4a" => Container::M4a,
            "aac" => Container::Aac,
            "mp3" => Container::Mp3,
            "ogg" | "opus" | "oga" => Container::Ogg,
            "wav" => Container::Wav,
            "flac" => Container::Flac,
            "weba" => Container::WebmAudio,
            "mka" => Container::MatroskaAudio,
            _ => return None,
        })
    }
}

/// A video or sound file's facts.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoInfo {
    /// Video or audio (never none: a file without either stream is refused).
    pub media: Media,
    pub container: Container,
    /// Seconds, as precise as the file says.
    pub duration: f64,
    /// The picture's size; 0 × 0 for a sound recording.
    pub width: u32,
    pub height: u32,
    pub has_audio: bool,
    /// When the camera says it was recorded (the container's creation_time tag).
    pub recorded_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl VideoInfo {
    /// Whole seconds, as the schema stores them: truncated, as video players count, so that
    /// a page's duration and the player's agree (an 8.6 s clip is 0:08 in both).
    pub fn whole_seconds(&self) -> i32 {
        self.duration.floor().clamp(0.0, i32::MAX as f64) as i32
    }
}

/// Why a file is refused or could not be examined.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("the file is not a video or audio recording Weft can keep: {0}")]
    NotAVideo(String),
    /// A recording whose container does not say how long it is: what browsers'
    /// MediaRecorder writes (WebM), and any stream recorded to a pipe. Remuxing fixes it.
    #[error("the file is not a video or audio recording Weft can keep: it has no duration (a still image?)")]
    NoDuration(Container),
    #[error(transparent)]
    Tool(#[from] ToolError),
}

#[derive(Debug, Deserialize)]
struct Report {
    #[serde(default)]
    streams: Vec<Stream>,
    format: Option<Format>,
}

#[derive(Debug, Deserialize)]
struct Stream {
    codec_type: Option<String>,
    codec_name: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    duration: Option<String>,
    #[serde(default)]
    disposition: Disposition,
}

#[derive(Debug, Default, Deserialize)]
struct Disposition {
    #[serde(default)]
    attached_pic: u8,
}

#[derive(Debug, Deserialize)]
struct Format {
    format_name: Option<String>,
    duration: Option<String>,
    #[serde(default)]
    tags: std::collections::HashMap<String, String>,
}

/// Reads every packet of every stream to the end of the file, without decoding (ffmpeg
/// copies them to nowhere, at the disk's speed). A file whose index promises more than it
/// holds (an upload cut off with its index at the front: `-movflags +faststart`) fails here,
/// though ffprobe, which reads only the index, takes it for whole.
pub async fn check_complete(path: &Path, limit: Duration) -> Result<(), ProbeError> {
    let mut command = Command::new("ffmpeg");
    command
        .args(["-hide_banner", "-nostdin", "-v", "error", "-xerror", "-i"])
        .arg(path)
        .args(["-map", "0", "-c", "copy", "-f", "null", "-"]);
    let output = run_tool("ffmpeg", command, limit).await?;
    if output.status.success() {
        return Ok(());
    }
    // Answered like any video ffmpeg cannot read through: 422 `unreadable_video`.
    let reason = last_line(&output.stderr).replace(&path.display().to_string(), "the file");
    Err(ProbeError::Tool(ToolError::Failed {
        tool: "ffmpeg",
        message: format!("the video is incomplete or damaged: {reason}"),
    }))
}

/// Runs ffprobe on a file and reads its report.
pub async fn probe(path: &Path, limit: Duration) -> Result<VideoInfo, ProbeError> {
    let mut command = Command::new("ffprobe");
    command
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
        ])
        .arg(path);
    let output = run_tool("ffprobe", command, limit).await?;
    if !output.status.success() {
        // ffprobe names the file; the client must not learn the server's paths.
        let reason = last_line(&output.stderr).replace(&path.display().to_string(), "the file");
        return Err(ProbeError::NotAVideo(format!(
            "ffprobe cannot read it ({reason})"
        )));
    }
    parse(&String::from_utf8_lossy(&output.stdout))
}

/// Reads ffprobe's JSON report (`-show_format -show_streams`).
pub fn parse(json: &str) -> Result<VideoInfo, ProbeError> {
    let report: Report = serde_json::from_str(json)
        .map_err(|e| ProbeError::NotAVideo(format!("ffprobe's report is unreadable ({e})")))?;
    let format = report
        .format
        .ok_or_else(|| ProbeError::NotAVideo("no container format".into()))?;
    let format_name = format.format_name.unwrap_or_default();
    // A cover image in an audio file is a "video" stream too; it is not a video.
    let video = report
        .streams
        .iter()
        .find(|s| s.codec_type.as_deref() == Some("video") && s.disposition.attached_pic == 0);
    let audio = report
        .streams
        .iter()
        .find(|s| s.codec_type.as_deref() == Some("audio"));
    let (media, main) = match (video, audio) {
        (Some(video), _) => (Media::Video, video),
        (None, Some(audio)) => (Media::Audio, audio),
        (None, None) => {
            return Err(ProbeError::NotAVideo(
                "it has neither a video nor an audio stream".into(),
            ))
        }
    };
    let codecs: Vec<&str> = report
        .streams
        .iter()
        .filter_map(|s| s.codec_name.as_deref())
        .collect();
    let container = container_of(&format_name, &codecs, media).ok_or_else(|| {
        ProbeError::NotAVideo(format!(
            "the {format_name} format is not accepted (use mp4, mov, webm or mkv for video; \
             m4a, mp3, ogg, opus, wav, flac or webm for audio)"
        ))
    })?;
    let duration = format
        .duration
        .as_deref()
        .or(main.duration.as_deref())
        .and_then(|d| d.parse::<f64>().ok())
        .filter(|d| d.is_finite() && *d > 0.0)
        .ok_or(ProbeError::NoDuration(container))?;
    Ok(VideoInfo {
        media,
        container,
        duration,
        width: video.and_then(|v| v.width).unwrap_or(0),
        height: video.and_then(|v| v.height).unwrap_or(0),
        has_audio: audio.is_some(),
        recorded_at: format
            .tags
            .get("creation_time")
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc)),
    })
}

fn container_of(format_name: &str, codecs: &[&str], media: Media) -> Option<Container> {
    let names: Vec<&str> = format_name.split(',').collect();
    let audio = media == Media::Audio;
    if names.contains(&"mov") || names.contains(&"mp4") {
        // One demuxer serves both; QuickTime files are the ones from Apple cameras, but
        // browsers play either as mp4 when the codecs allow, so mp4 is the safer label.
        return Some(if audio {
            Container::M4a
        } else if names == ["mov"] {
            Container::QuickTime
        } else {
            Container::Mp4
        });
    }
    if names.contains(&"matroska") || names.contains(&"webm") {
        let webm_codecs = ["vp8", "vp9", "av1", "opus", "vorbis", "webvtt"];
        let is_webm = codecs.iter().all(|c| webm_codecs.contains(c));
        return Some(match (is_webm, audio) {
            (true, false) => Container::WebM,
            (false, false) => Container::Matroska,
            (true, true) => Container::WebmAudio,
            (false, true) => Container::MatroskaAudio,
        });
    }
    if !audio {
        return None;
    }
    match names.as_slice() {
        ["aac"] => Some(Container::Aac),
        ["mp3"] => Some(Container::Mp3),
        ["ogg"] => Some(Container::Ogg),
        ["wav"] => Some(Container::Wav),
        ["flac"] => Some(Container::Flac),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PHONE_MP4: &str = r#"{
        "streams": [
            {"index": 0, "codec_name": "h264", "codec_type": "video", "width": 1920, "height": 1080,
             "duration": "12.345000", "disposition": {"default": 1, "attached_pic": 0}},
            {"index": 1, "codec_name": "aac", "codec_type": "audio", "duration": "12.330000",
             "disposition": {"default": 1, "attached_pic": 0}}
        ],
        "format": {"filename": "a.mp4", "format_name": "mov,mp4,m4a,3gp,3g2,mj2",
                   "duration": "12.345000", "size": "1000",
                   "tags": {"creation_time": "2025-07-04T18:30:00.000000Z"}}
    }"#;

    const BROWSER_WEBM: &str = r#"{
        "streams": [
            {"codec_name": "vp8", "codec_type": "video", "width": 640, "height": 480,
             "disposition": {"attached_pic": 0}},
            {"codec_name": "opus", "codec_type": "audio", "disposition": {"attached_pic": 0}}
        ],
        "format": {"format_name": "matroska,webm", "duration": "8.021000"}
    }"#;

    const SONG_WITH_COVER: &str = r#"{
        "streams": [
            {"codec_name": "mp3", "codec_type": "audio"},
            {"codec_name": "mjpeg", "codec_type": "video", "width": 500, "height": 500,
             "disposition": {"attached_pic": 1}}
        ],
        "format": {"format_name": "mp3", "duration": "200.0"}
    }"#;

    const VOICE_MEMO_M4A: &str = r#"{
        "streams": [
            {"index": 0, "codec_name": "aac", "codec_type": "audio", "sample_rate": "48000",
             "channels": 1, "duration": "4.202667", "disposition": {"attached_pic": 0}}
        ],
        "format": {"filename": "memo.m4a", "format_name": "mov,mp4,m4a,3gp,3g2,mj2",
                   "duration": "4.202667", "size": "70000",
                   "tags": {"major_brand": "M4A "}}
    }"#;

    const OPUS_OGG: &str = r#"{
        "streams": [
            {"index": 0, "codec_name": "opus", "codec_type": "audio", "sample_rate": "48000",
             "channels": 1, "disposition": {"attached_pic": 0}}
        ],
        "format": {"filename": "a.opus", "format_name": "ogg", "duration": "3.500000"}
    }"#;

    const SUBTITLES_ONLY: &str = r#"{
        "streams": [{"codec_name": "subrip", "codec_type": "subtitle"}],
        "format": {"format_name": "srt", "duration": "10.0"}
    }"#;

    const PNG: &str = r#"{
        "streams": [{"codec_name": "png", "codec_type": "video", "width": 10, "height": 10}],
        "format": {"format_name": "png_pipe"}
    }"#;

    #[test]
    fn a_phone_mp4_is_a_video_with_its_duration() {
        let info = parse(PHONE_MP4).unwrap();
        assert_eq!(info.container, Container::Mp4);
        assert_eq!(info.whole_seconds(), 12);
        assert_eq!((info.width, info.height), (1920, 1080));
        assert!(info.has_audio);
        assert_eq!(
            info.recorded_at.unwrap().to_rfc3339(),
            "2025-07-04T18:30:00+00:00"
        );
    }

    #[test]
    fn a_browser_recording_is_webm() {
        let info = parse(BROWSER_WEBM).unwrap();
        assert_eq!(info.container, Container::WebM);
        assert_eq!(info.container.content_type(), "video/webm");
        assert_eq!(info.whole_seconds(), 8);
    }

    #[test]
    fn whole_seconds_are_truncated_as_players_count() {
        let json = BROWSER_WEBM.replace("8.021000", "8.960000");
        assert_eq!(parse(&json).unwrap().whole_seconds(), 8);
    }

    #[test]
    fn matroska_with_other_codecs_is_mkv() {
        let json = BROWSER_WEBM.replace("vp8", "h264");
        assert_eq!(parse(&json).unwrap().container, Container::Matroska);
    }

    #[test]
    fn audio_with_cover_art_is_a_sound_recording() {
        let info = parse(SONG_WITH_COVER).unwrap();
        assert_eq!(info.media, Media::Audio);
        assert_eq!(info.container, Container::Mp3);
        assert_eq!(info.container.content_type(), "audio/mpeg");
        assert_eq!((info.width, info.height), (0, 0));
        assert_eq!(info.whole_seconds(), 200);
    }

    #[test]
    fn a_voice_memo_is_m4a_audio() {
        let info = parse(VOICE_MEMO_M4A).unwrap();
        assert_eq!(info.media, Media::Audio);
        assert_eq!(info.container, Container::M4a);
        assert_eq!(info.container.extension(), "m4a");
        assert_eq!(info.whole_seconds(), 4);
        assert!(info.has_audio);
    }

    #[test]
    fn an_opus_file_is_ogg_audio() {
        let info = parse(OPUS_OGG).unwrap();
        assert_eq!(info.container, Container::Ogg);
        assert_eq!(info.container.content_type(), "audio/ogg");
        assert_eq!(info.whole_seconds(), 3);
    }

    #[test]
    fn a_browser_audio_recording_has_no_duration_until_remuxed() {
        let json = OPUS_OGG
            .replace("\"ogg\"", "\"matroska,webm\"")
            .replace(", \"duration\": \"3.500000\"", "");
        match parse(&json) {
            Err(ProbeError::NoDuration(container)) => {
                assert_eq!(container, Container::WebmAudio);
                assert_eq!(container.muxer(), "webm");
                assert_eq!(container.media(), Media::Audio);
            }
            other => panic!("expected NoDuration, got {other:?}"),
        }
    }

    #[test]
    fn wav_flac_mp3_and_aac_are_sound_recordings() {
        for (format, container) in [
            ("wav", Container::Wav),
            ("flac", Container::Flac),
            ("mp3", Container::Mp3),
            ("aac", Container::Aac),
        ] {
            let json = OPUS_OGG.replace("\"ogg\"", &format!("\"{format}\""));
            assert_eq!(parse(&json).unwrap().container, container, "{format}");
            assert_eq!(
                Container::from_extension(container.extension()),
                Some(container)
            );
        }
    }

    #[test]
    fn an_unknown_audio_format_is_refused() {
        let json = OPUS_OGG.replace("\"ogg\"", "\"amr\"");
        let error = parse(&json).unwrap_err().to_string();
        assert!(error.contains("amr format is not accepted"), "{error}");
    }

    #[test]
    fn a_file_without_sound_or_picture_is_refused() {
        let error = parse(SUBTITLES_ONLY).unwrap_err().to_string();
        assert!(
            error.contains("neither a video nor an audio stream"),
            "{error}"
        );
    }

    #[test]
    fn a_still_image_is_not_a_video() {
        assert!(matches!(parse(PNG), Err(ProbeError::NotAVideo(_))));
    }

    #[test]
    fn an_empty_report_is_not_a_video() {
        assert!(matches!(parse("{}"), Err(ProbeError::NotAVideo(_))));
        assert!(matches!(parse("not json"), Err(ProbeError::NotAVideo(_))));
    }
}
