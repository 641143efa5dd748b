//! The web UI in a real browser, end to end: Debian's Chromium driven through chromedriver,
//! with Chromium's fake camera and a fake microphone that plays an espeak-ng recording of a
//! known sentence. Sign up, record about 8 seconds, upload, wait for Whisper's transcript on
//! the entry page, search for a spoken word, open the moment, and find the video there.
//! Screenshots of the timeline, entry and search pages at laptop and phone width are saved
//! under `target/screenshots/`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::common::browser::{
    app_with_a_worker, chromium, click, fill, screenshots, sign_up, wait_until, ChromeDriver,
};
use crate::common::media;
use fantoccini::Locator;
use serde_json::Value;

/// Two sentences, said with a pause between them so that Whisper makes two segments and
/// the second starts well after zero.
const SENTENCES: [&str; 2] = [
    "The lighthouse keeper painted the door green.",
    "Tomorrow we travel to the mountains by train.",
];
/// Words of the sentence to search for (the first one Whisper heard).
const SPOKEN_WORDS: &[&str] = &["mountains", "lighthouse", "painted", "travel", "train"];

/// The spoken sentences as a WAV file for Chromium's fake microphone (which plays it in a
/// loop): a second of silence, the first sentence, two and a half seconds of silence, the
/// second sentence.
fn speech_wav(dir: &Path) -> PathBuf {
    let mut said = Vec::new();
    for (n, sentence) in SENTENCES.iter().enumerate() {
        let wav = dir.join(format!("sentence-{n}.wav"));
        media::speech(&wav, 165, sentence);
        said.push(wav);
    }
    let wav = dir.join("microphone.wav");
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(&said[0])
        .arg("-i")
        .arg(&said[1])
        .args([
            "-filter_complex",
            "[0]adelay=1000,apad=pad_dur=2.5[a];[1]apad=pad_dur=0.5[b];[a][b]concat=n=2:v=0:a=1",
            "-ar",
            "48000",
            "-ac",
            "1",
            "-c:a",
            "pcm_s16le",
        ])
        .arg(&wav)
        .status()
        .unwrap();
    assert!(status.success(), "ffmpeg made the microphone's wav");
    wav
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_made_in_the_browser_is_transcribed_found_and_played_from_the_moment() {
    let (app, shutdown, workers) = app_with_a_worker().await;
    let dir = tempfile::tempdir().unwrap();
    let wav = speech_wav(dir.path());
    let driver = ChromeDriver::start().await;
    let browser = chromium(&driver, Some(&wav), &dir.path().join("profile")).await;
    sign_up(&browser, &app, "jane").await;

    // Record about 8 seconds with the fake camera and microphone.
    browser.goto(&app.url("/new")).await.unwrap();
    click(&browser, "camera-on").await;
    wait_until(
        &browser,
        "return !document.getElementById('record').disabled",
        Duration::from_secs(10),
        "the camera",
    )
    .await;
    click(&browser, "record").await;
    // The microphone loops a file of about 9.5 seconds; 10 seconds hold every word.
    tokio::time::sleep(Duration::from_secs(10)).await;
    click(&browser, "stop").await;
    wait_until(
        &browser,
        "return !document.getElementById('save').disabled",
        Duration::from_secs(10),
        "the recording",
    )
    .await;
    fill(&browser, "title", "Recorded in the browser").await;
    // The tags field is a chip editor: its box is `tags-entry`; a comma makes a chip.
    fill(&browser, "tags-entry", "test, lighthouse").await;
    click(&browser, "save").await;
    let error = "const e = document.getElementById('form-error'); \
                 return location.pathname.startsWith('/entries/') || (e && !e.hidden && e.textContent)";
    let uploaded = wait_until(&browser, error, Duration::from_secs(60), "the upload").await;
    assert_eq!(
        uploaded,
        Value::Bool(true),
        "the upload was refused: {uploaded}"
    );

    // The entry page shows the transcript by itself when the worker is done (it reloads, so
    // the segments are read in the same step that finds them).
    let segments = "const links = document.querySelectorAll('#segments a.seg'); \
                    return links.length > 0 && Array.from(links).map(a => \
                        [Number(a.dataset.start), a.querySelector('.text').textContent.toLowerCase()])";
    let segments = wait_until(
        &browser,
        segments,
        Duration::from_secs(240),
        "the transcript",
    )
    .await;
    let segments: Vec<(f64, String)> = serde_json::from_value(segments).unwrap();
    // A word said after the first second, so that opening its moment is a real seek.
    let heard = |later: bool| {
        segments.iter().find_map(|(start, text)| {
            SPOKEN_WORDS
                .iter()
                .find(|w| text.contains(*w) && (!later || *start > 1.0))
        })
    };
    let word = heard(true)
        .or_else(|| heard(false))
        .unwrap_or_else(|| panic!("none of {SPOKEN_WORDS:?} in {segments:?}"));
    let entry_url = browser.current_url().await.unwrap();
    screenshots(&browser, "entry").await;

    browser.goto(&app.url("/")).await.unwrap();
    screenshots(&browser, "timeline").await;

    // Search for a spoken word and open the moment.
    browser.goto(&app.url("/")).await.unwrap();
    browser.goto(&app.url("/search")).await.unwrap();
    fill(&browser, "q", word).await;
    browser
        .find(Locator::Css("form.search-box button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let moment = browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("a.moment"))
        .await
        .unwrap();
    screenshots(&browser, "search").await;
    let href = moment.attr("href").await.unwrap().unwrap();
    let start: f64 = href.rsplit("?t=").next().unwrap().parse().unwrap();
    assert!(
        href.starts_with(entry_url.path()),
        "{href} opens {entry_url}"
    );
    moment.click().await.unwrap();

    let script = format!(
        "const v = document.getElementById('player'); \
         const seg = document.querySelector('a.seg.current'); \
         return v && v.readyState >= 1 && Math.abs(v.currentTime - {start}) < 0.5 && seg \
                && [v.currentTime, seg.dataset.start]"
    );
    let at = wait_until(
        &browser,
        &script,
        Duration::from_secs(20),
        "the video at the moment",
    )
    .await;
    let current_time = at[0].as_f64().unwrap();
    assert!(
        (current_time - start).abs() < 0.5,
        "the video is at {current_time}, the moment at {start}"
    );
    println!("{word:?} said at {start} s; the video opened at {current_time} s");
    // The moment points at the word that matched, inside the highlighted segment.
    let segment_start: f64 = at[1].as_str().unwrap().parse().unwrap();
    assert!(
        segment_start <= start + 0.01,
        "the highlighted segment holds the moment ({segment_start} vs {start})"
    );

    // While the video plays, the word being spoken is highlighted, and the highlight moves.
    let first = wait_until(
        &browser,
        "const v = document.getElementById('player'); if (v.paused) v.play(); \
         const w = document.querySelector('#segments .w.now'); \
         return w && [w.textContent, Number(w.dataset.start), v.currentTime]",
        Duration::from_secs(20),
        "a highlighted word while playing",
    )
    .await;
    let first_start = first[1].as_f64().unwrap();
    let moved = wait_until(
        &browser,
        &format!(
            "const w = document.querySelector('#segments .w.now'); \
             return w && Number(w.dataset.start) > {first_start} + 0.01 && \
                    [w.textContent, Number(w.dataset.start), document.querySelectorAll('.w.now').length]"
        ),
        Duration::from_secs(20),
        "the highlight moving to a later word",
    )
    .await;
    assert_eq!(moved[2], 1, "one word is highlighted at a time");
    println!("highlighted {:?}, then {:?}", first[0], moved[0]);
    screenshots(&browser, "entry-word").await;

    // A click on a word seeks there, and that word is the one highlighted.
    let target = browser
        .execute(
            "document.getElementById('player').pause(); \
             const words = Array.from(document.querySelectorAll('#segments .w')); \
             const w = words[Math.floor(words.length / 2)]; w.id = 'clicked-word'; \
             const v = document.getElementById('player'); \
             v.addEventListener('seeked', () => { \
                 window.seekedTo = [v.currentTime, w.classList.contains('now')]; }, { once: true }); \
             return [w.textContent, Number(w.dataset.start)]",
            vec![],
        )
        .await
        .unwrap();
    let target_start = target[1].as_f64().unwrap();
    click(&browser, "clicked-word").await;
    let landed = wait_until(
        &browser,
        &format!(
            "const s = window.seekedTo; \
             return s && Math.abs(s[0] - {target_start}) < 0.05 && s[1] && [s[0], location.search]"
        ),
        Duration::from_secs(10),
        "the video at the clicked word",
    )
    .await;
    println!(
        "clicked {:?} at {target_start} s; the video went to {}",
        target[0], landed[0]
    );
    assert!(landed[1].as_str().unwrap().starts_with("?t="));

    browser.close().await.unwrap();
    drop(driver);
    shutdown.cancel();
    workers.await.unwrap();
    app.stop().await;
}
