//! Test media made on the spot: short videos of a test picture and a tone (ffmpeg), speech
//! (espeak-ng), videos whose sound track is that speech, and sound recordings without a
//! picture (a tone or speech, in m4a, opus, mp3, wav, flac or webm). Every suite that needs
//! a video or a recording takes it from here, so that one recipe is tuned and fixed in one
//! place.

use std::path::{Path, PathBuf};
use std::process::Command;

/// How a test video is packed.
#[derive(Clone, Copy, Debug)]
pub enum Container {
    /// H.264 and AAC in MP4, as phones record.
    Mp4,
    /// VP8 and Opus in WebM, as browsers record.
    WebM,
}

impl Container {
    fn extension(self) -> &'static str {
        match self {
            Container::Mp4 => "mp4",
            Container::WebM => "webm",
        }
    }

    fn codecs(self) -> &'static [&'static str] {
        match self {
            Container::Mp4 => &[
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-pix_fmt",
                "yuv420p",
                "-c:a",
                "aac",
            ],
            Container::WebM => &["-c:v", "libvpx", "-deadline", "realtime", "-c:a", "libopus"],
        }
    }
}

/// ffmpeg, quiet, with `seconds` of a small test picture and a 440 Hz tone as its inputs.
fn ffmpeg_test_source(seconds: u32) -> Command {
    let mut command = Command::new("ffmpeg");
    command
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(["-f", "lavfi", "-i"])
        .arg(format!("testsrc=duration={seconds}:size=160x120:rate=10"))
        .args(["-f", "lavfi", "-i"])
        .arg(format!("sine=frequency=440:duration={seconds}"));
    command
}

/// A video of `seconds` of a test picture and a tone, at `dir/clip-{seconds}s.mp4` (or
/// `.webm`).
pub fn test_video(dir: &Path, container: Container, seconds: u32) -> PathBuf {
    let path = dir.join(format!("clip-{seconds}s.{}", container.extension()));
    write_test_video(&path, container, seconds, &[]);
    path
}

/// Writes a video of `seconds` of a test picture and a tone to `path`, with the ffmpeg
/// output `options` added (`-metadata creation_time=…`, say).
pub fn write_test_video(path: &Path, container: Container, seconds: u32, options: &[&str]) {
    let status = ffmpeg_test_source(seconds)
        .args(container.codecs())
        .arg("-shortest")
        .args(options)
        .arg(path)
        .status()
        .expect("ffmpeg runs (scripts/install-deps installs it)");
    assert!(status.success(), "ffmpeg made {}", path.display());
}

/// A WebM as browsers record it, at `dir/recording.webm`: MediaRecorder streams it, so it
/// carries no duration and no seek index; ffmpeg writing to a pipe makes the same kind of file.
pub fn streamed_webm(dir: &Path, seconds: u32) -> PathBuf {
    let path = dir.join("recording.webm");
    let output = ffmpeg_test_source(seconds)
        .args(Container::WebM.codecs())
        .args(["-f", "webm", "pipe:1"])
        .output()
        .expect("ffmpeg runs");
    assert!(output.status.success(), "ffmpeg streamed a webm");
    std::fs::write(&path, &output.stdout).expect("write the recording");
    assert_eq!(
        container_duration(&path),
        "N/A",
        "the recording should have no duration"
    );
    path
}

/// The duration a file's container states, as ffprobe prints it (`N/A` when it has none).
pub fn container_duration(path: &Path) -> String {
    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "format=duration"])
        .args(["-of", "csv=p=0"])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    String::from_utf8_lossy(&probe.stdout).trim().to_string()
}

/// Writes espeak-ng saying `text` at `words_per_minute` to the WAV file `wav`.
pub fn speech(wav: &Path, words_per_minute: u32, text: &str) {
    let status = Command::new("espeak-ng")
        .args(["-s", &words_per_minute.to_string(), "-w"])
        .arg(wav)
        .arg(text)
        .status()
        .expect("espeak-ng runs (scripts/install-deps installs it)");
    assert!(status.success(), "espeak-ng spoke");
}

/// A video of the test picture whose sound track is the audio file `sound`, as long as the
/// sound, at `dir/spoken.mp4`.
pub fn video_with_sound(dir: &Path, sound: &Path) -> PathBuf {
    let video = dir.join("spoken.mp4");
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(["-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-i"])
        .arg(sound)
        .args(["-shortest"])
        .args(Container::Mp4.codecs())
        .arg(&video)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg made the video");
    video
}

/// espeak-ng saying `sentences` one after another, at 150 words a minute, as
/// `dir/speech.wav`.
pub fn spoken_wav(dir: &Path, sentences: &[&str]) -> PathBuf {
    let wav = dir.join("speech.wav");
    speech(&wav, 150, &sentences.join(" "));
    wav
}

/// A video whose sound track is [`spoken_wav`] of `sentences`, at `dir/spoken.mp4`.
pub fn spoken_video(dir: &Path, sentences: &[&str]) -> PathBuf {
    video_with_sound(dir, &spoken_wav(dir, sentences))
}

/// Like [`spoken_video`], with a second and a half of silence after each sentence (so that
/// Whisper hears them as separate segments, the later ones well after zero).
pub fn spoken_video_with_pauses(dir: &Path, sentences: &[&str]) -> PathBuf {
    let silence = dir.join("pause.wav");
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(["-f", "lavfi", "-i", "anullsrc=r=22050:cl=mono", "-t", "1.5"])
        .arg(&silence)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg made the pause");
    let mut list = String::new();
    for (n, sentence) in sentences.iter().enumerate() {
        let wav = dir.join(format!("s{n}.wav"));
        speech(&wav, 150, sentence);
        list.push_str(&format!(
            "file '{}'\nfile '{}'\n",
            wav.display(),
            silence.display()
        ));
    }
    let list_file = dir.join("list.txt");
    std::fs::write(&list_file, list).expect("write the concat list");
    let wav = dir.join("speech.wav");
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(["-f", "concat", "-safe", "0", "-i"])
        .arg(&list_file)
        .arg(&wav)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg joined the sentences");
    video_with_sound(dir, &wav)
}

/// How a test sound recording is packed.
#[derive(Clone, Copy, Debug)]
pub enum AudioFormat {
    /// AAC in MP4, as phones' voice memos are.
    M4a,
    /// Opus in Ogg.
    Opus,
    Mp3,
    Wav,
    Flac,
    /// Opus in WebM, as browsers record with the camera off.
    WebmAudio,
}

impl AudioFormat {
    /// The file extension a client would give it.
    pub fn extension(self) -> &'static str {
        match self {
            AudioFormat::M4a => "m4a",
            AudioFormat::Opus => "opus",
            AudioFormat::Mp3 => "mp3",
            AudioFormat::Wav => "wav",
            AudioFormat::Flac => "flac",
            AudioFormat::WebmAudio => "webm",
        }
    }

    fn codecs(self) -> &'static [&'static str] {
        match self {
            AudioFormat::M4a => &["-c:a", "aac"],
            AudioFormat::Opus => &["-c:a", "libopus", "-f", "ogg"],
            AudioFormat::Mp3 => &["-c:a", "libmp3lame"],
            AudioFormat::Wav => &["-c:a", "pcm_s16le"],
            AudioFormat::Flac => &["-c:a", "flac"],
            AudioFormat::WebmAudio => &["-c:a", "libopus", "-f", "webm"],
        }
    }
}

/// A sound recording with no picture: `seconds` of a 440 Hz tone, at
/// `dir/tone-{seconds}s.EXT`.
pub fn test_audio(dir: &Path, format: AudioFormat, seconds: u32) -> PathBuf {
    let path = dir.join(format!("tone-{seconds}s.{}", format.extension()));
    let status = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
        ])
        .arg(format!("sine=frequency=440:duration={seconds}"))
        .args(format.codecs())
        .arg(&path)
        .status()
        .expect("ffmpeg runs (scripts/install-deps installs it)");
    assert!(status.success(), "ffmpeg made {}", path.display());
    path
}

/// espeak-ng saying `sentences` as a sound recording (no picture) in `format`, at
/// `dir/spoken.EXT`.
pub fn spoken_audio(dir: &Path, format: AudioFormat, sentences: &[&str]) -> PathBuf {
    let wav = spoken_wav(dir, sentences);
    let path = dir.join(format!("spoken.{}", format.extension()));
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(&wav)
        .args(format.codecs())
        .arg(&path)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg made {}", path.display());
    path
}

/// A sound-only WebM as a browser records it with the camera off, at
/// `dir/recording-audio.webm`: streamed, so without a duration.
pub fn streamed_webm_audio(dir: &Path, seconds: u32) -> PathBuf {
    let path = dir.join("recording-audio.webm");
    let output = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i"])
        .arg(format!("sine=frequency=440:duration={seconds}"))
        .args(["-c:a", "libopus", "-f", "webm", "pipe:1"])
        .output()
        .expect("ffmpeg runs");
    assert!(output.status.success(), "ffmpeg streamed a webm");
    std::fs::write(&path, &output.stdout).expect("write the recording");
    assert_eq!(
        container_duration(&path),
        "N/A",
        "a streamed recording has no duration"
    );
    path
}
