//! `weft transcribe FILE`: the built binary on a video of espeak-ng speech, with the real
//! tiny.en model, in each output format; and the errors a person sees for a missing file or
//! a file that is not a video.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::{self, media};

const SENTENCES: [&str; 2] = [
    "The lighthouse keeper painted the door green.",
    "Tomorrow we travel to the mountains by train.",
];
const KEY_WORDS: [&str; 4] = ["lighthouse", "painted", "mountains", "train"];

/// Runs `weft transcribe` with the Whisper engine, from a folder with no `.env`.
fn transcribe(file: &Path, format: &str) -> Output {
    let cwd = tempfile::tempdir().unwrap();
    Command::new(common::weft_bin())
        .current_dir(cwd.path())
        .arg("transcribe")
        .arg(file)
        .args(["--format", format])
        .env("WEFT_TRANSCRIBER", "whisper")
        .env("WEFT_WHISPER_MODEL", common::model_dir())
        .env("WEFT_LANGUAGE", "en")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap()
}

fn stdout_of(output: &Output) -> String {
    assert!(
        output.status.success(),
        "weft transcribe failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn assert_has_key_words(text: &str) {
    let text = text.to_lowercase();
    for word in KEY_WORDS {
        assert!(text.contains(word), "{word:?} missing from {text:?}");
    }
}

/// Seconds of a caption time such as `00:01:02.500` (WebVTT) or `00:01:02,500` (SRT).
fn seconds(time: &str) -> f64 {
    let parts: Vec<f64> = time
        .trim()
        .replace(',', ".")
        .split(':')
        .map(|p| p.parse().unwrap())
        .collect();
    assert_eq!(parts.len(), 3, "{time}");
    parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]
}

/// The (start, end) of every `A --> B` line, checked to be in order.
fn cue_times(captions: &str) -> Vec<(f64, f64)> {
    let times: Vec<(f64, f64)> = captions
        .lines()
        .filter_map(|line| line.split_once(" --> "))
        .map(|(a, b)| (seconds(a), seconds(b)))
        .collect();
    assert!(!times.is_empty(), "no cues in {captions}");
    for pair in times.windows(2) {
        assert!(pair[0].0 <= pair[1].0, "cues out of order: {captions}");
    }
    for (start, end) in &times {
        assert!(start <= end, "{captions}");
    }
    times
}

#[test]
fn text_format_prints_the_spoken_words() {
    let dir = tempfile::tempdir().unwrap();
    let video = media::spoken_video(dir.path(), &SENTENCES);

    let text = stdout_of(&transcribe(&video, "text"));

    assert_has_key_words(&text);
    assert_eq!(text.trim().lines().count(), 1, "one line of text: {text}");
}

#[test]
fn json_format_gives_ordered_segments_within_the_duration() {
    let dir = tempfile::tempdir().unwrap();
    let video = media::spoken_video(dir.path(), &SENTENCES);

    let json: serde_json::Value =
        serde_json::from_str(&stdout_of(&transcribe(&video, "json"))).unwrap();

    assert_eq!(json["language"], "en");
    assert_has_key_words(json["text"].as_str().unwrap());
    let duration = json["duration"].as_f64().unwrap();
    assert!(duration > 3.0, "{json}");
    let segments = json["segments"].as_array().unwrap();
    assert!(!segments.is_empty());
    let mut last_start = 0.0;
    for segment in segments {
        let (start, end) = (
            segment["start"].as_f64().unwrap(),
            segment["end"].as_f64().unwrap(),
        );
        assert!(
            last_start <= start && start <= end && end <= duration,
            "{segment}"
        );
        let confidence = segment["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&confidence), "{segment}");
        assert!(!segment["text"].as_str().unwrap().trim().is_empty());
        last_start = start;
    }
}

#[test]
fn vtt_format_is_webvtt_with_timed_cues() {
    let dir = tempfile::tempdir().unwrap();
    let video = media::spoken_video(dir.path(), &SENTENCES);

    let vtt = stdout_of(&transcribe(&video, "vtt"));

    assert!(vtt.starts_with("WEBVTT\n\n"), "{vtt}");
    let cue_line = vtt.lines().find(|l| l.contains(" --> ")).unwrap();
    assert!(
        cue_line.starts_with("00:00:") && cue_line.contains('.') && !cue_line.contains(','),
        "WebVTT times use a full stop: {cue_line}"
    );
    cue_times(&vtt);
    assert_has_key_words(&vtt);
}

#[test]
fn srt_format_numbers_its_cues_from_one() {
    let dir = tempfile::tempdir().unwrap();
    let video = media::spoken_video(dir.path(), &SENTENCES);

    let srt = stdout_of(&transcribe(&video, "srt"));

    let cues: Vec<&str> = srt.trim().split("\n\n").collect();
    for (n, cue) in cues.iter().enumerate() {
        let mut lines = cue.lines();
        assert_eq!(lines.next(), Some((n + 1).to_string().as_str()), "{srt}");
        let times = lines.next().unwrap();
        assert!(
            times.contains(" --> ") && times.contains(','),
            "SRT times use a comma: {times}"
        );
        assert!(lines.next().is_some_and(|t| !t.trim().is_empty()), "{srt}");
    }
    assert_eq!(cue_times(&srt).len(), cues.len());
    assert_has_key_words(&srt);
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-video.mp4");

    let output = transcribe(&missing, "text");

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no-such-video.mp4") && stderr.contains("not a readable file"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn a_file_that_is_not_a_video_is_an_error_saying_so() {
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.mp4");
    std::fs::write(&notes, "these are words in a text file, not a video\n").unwrap();

    let output = transcribe(&notes, "json");

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("notes.mp4") && stderr.contains("not a video or audio file"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

/// The mechanism behind the command's progress bar: the engine tells how far it got after
/// each 30-second window, moving forward only, and ends at the audio's duration.
#[tokio::test]
async fn the_whisper_engine_reports_progress_after_each_window() {
    use std::sync::{Arc, Mutex};
    use weft::transcribe::{audio, whisper::WhisperEngine, Engine, Progress};

    let dir = tempfile::tempdir().unwrap();
    let speech = dir.path().join("long.wav");
    let long_text = [
        "This morning I made pancakes with blueberries for breakfast.",
        "After that I rode my bicycle along the lake for an hour.",
        "The library was closed, so I read a novel in the garden.",
        "My sister called me from London to talk about her new job.",
        "We planned a holiday in the mountains for the end of summer.",
        "In the afternoon I fixed the kitchen window that was broken.",
        "Then I practised the guitar until my fingers were sore.",
        "The neighbours invited us to a barbecue on Saturday evening.",
    ]
    .join(" ");
    media::speech(&speech, 130, &long_text);
    let wav = dir.path().join("long16k.wav");
    audio::extract(&speech, &wav, std::time::Duration::from_secs(60))
        .await
        .unwrap();
    let duration = audio::read_wav_f32(&std::fs::read(&wav).unwrap())
        .unwrap()
        .len() as f64
        / 16_000.0;
    assert!(duration > 31.0, "more than one window: {duration} s");
    let options = weft_whisper::Options {
        language: Some("en".into()),
        ..Default::default()
    };
    let engine = Engine::Whisper(WhisperEngine::load(&common::model_dir(), options).unwrap());
    let reported = Arc::new(Mutex::new(Vec::new()));
    let sink = reported.clone();
    let progress: Progress = Arc::new(move |done| sink.lock().unwrap().push(done));

    let output = engine
        .transcribe_with_progress(&wav, duration, Some(progress))
        .await
        .unwrap();

    assert!(output.text().to_lowercase().contains("pancakes"));
    let reported = reported.lock().unwrap().clone();
    assert!(reported.len() >= 3, "a report per window: {reported:?}");
    assert!(
        reported[0] > 0.0 && reported[0] <= 30.0,
        "the first window ends within 30 s: {reported:?}"
    );
    assert!(
        reported.windows(2).all(|w| w[0] <= w[1]),
        "progress went back: {reported:?}"
    );
    assert!((reported[reported.len() - 1] - duration).abs() < 1e-6);
}

/// The default build links the libctranslate2 that scripts/install-deps unpacked and records
/// its folder in the binary: a copy installed elsewhere (`install target/release/weft
/// /usr/local/bin/`, a systemd unit) transcribes with nothing in its environment pointing
/// at the library or the build tree.
#[cfg(feature = "prebuilt")]
#[test]
fn an_installed_copy_of_the_binary_finds_its_ctranslate2_library() {
    let dir = tempfile::tempdir().unwrap();
    let video = media::spoken_video(dir.path(), &SENTENCES);
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let installed = bin.join("weft");
    std::fs::copy(common::weft_bin(), &installed).unwrap();
    let output = Command::new(&installed)
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap())
        .env("HOME", dir.path())
        .env("WEFT_TRANSCRIBER", "whisper")
        .env("WEFT_WHISPER_MODEL", common::model_dir())
        .env("WEFT_LANGUAGE", "en")
        .arg("transcribe")
        .arg(&video)
        .output()
        .unwrap();
    assert_has_key_words(&stdout_of(&output));
}
