//! Any OpenAI-compatible `POST /v1/audio/transcriptions` service (hosted APIs, or a GPU box
//! running a compatible server), with `verbose_json` segments.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::{EngineError, EngineOutput};
use crate::domain::{Segment, Word};

/// The longest the audio's compression may take (an hour of audio takes seconds).
const COMPRESS_LIMIT: Duration = Duration::from_secs(30 * 60);

/// Settings of the OpenAI-compatible engine.
#[derive(Debug, Clone)]
pub struct OpenAiEngine {
    client: reqwest::Client,
    /// e.g. `https://api.openai.com` or `http://gpu-box:8000` (without `/v1`).
    base_url: String,
    api_key: Option<String>,
    model: String,
    language: Option<String>,
}

#[derive(Debug, Deserialize)]
struct VerboseJson {
    #[serde(default)]
    text: String,
    language: Option<String>,
    #[serde(default)]
    segments: Vec<VerboseSegment>,
    /// With `timestamp_granularities[]=word`, OpenAI's API lists the words here.
    #[serde(default)]
    words: Vec<VerboseWord>,
}

#[derive(Debug, Deserialize)]
struct VerboseSegment {
    start: f64,
    end: f64,
    text: String,
    avg_logprob: Option<f64>,
    /// Some compatible servers (faster-whisper's) list each segment's words here instead.
    #[serde(default)]
    words: Vec<VerboseWord>,
}

#[derive(Debug, Deserialize)]
struct VerboseWord {
    word: String,
    start: f64,
    end: f64,
    probability: Option<f64>,
}

impl From<VerboseWord> for Word {
    fn from(w: VerboseWord) -> Self {
        Word {
            word: w.word,
            start: w.start,
            end: w.end,
            probability: w.probability,
        }
    }
}

impl OpenAiEngine {
    /// The model asked of the service (`whisper-1`).
    pub fn model(&self) -> &str {
        &self.model
    }

    /// An engine for the service at `base_url`.
    pub fn new(
        base_url: &str,
        api_key: Option<String>,
        model: &str,
        language: Option<String>,
    ) -> Self {
        Self {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30 * 60))
                .build()
                .unwrap_or_default(),
            base_url: base_url
                .trim_end_matches('/')
                .trim_end_matches("/v1")
                .to_string(),
            api_key,
            model: model.to_string(),
            language,
        }
    }

    /// Sends the audio (compressed) and reads the segments, in `language` (`auto` detects
    /// it; `None` keeps the configured one).
    pub async fn transcribe(
        &self,
        wav: &Path,
        duration: f64,
        language: Option<&str>,
    ) -> Result<EngineOutput, EngineError> {
        // Opus, not the WAV: an hour is 14 MB instead of 115, under hosted APIs' 25 MB limit
        // up to almost two hours. Made next to the WAV, removed when done.
        let scratch = wav.parent().unwrap_or(Path::new("."));
        let ogg = crate::scratch::TempFile::new_in(scratch, "ogg")
            .map_err(|e| EngineError::retryable(format!("writing the audio: {e}")))?;
        super::audio::to_opus(wav, ogg.path(), COMPRESS_LIMIT)
            .await
            .map_err(|e| EngineError::permanent(e.to_string()))?;
        // Streamed from the file, never held in memory.
        let audio = tokio::fs::File::open(ogg.path())
            .await
            .map_err(|e| EngineError::retryable(format!("reading the audio: {e}")))?;
        let length = audio
            .metadata()
            .await
            .map_err(|e| EngineError::retryable(format!("reading the audio: {e}")))?
            .len();
        let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(audio));
        let file = reqwest::multipart::Part::stream_with_length(body, length)
            .file_name("audio.ogg")
            .mime_str("audio/ogg")
            .map_err(|e| EngineError::permanent(e.to_string()))?;
        let mut form = reqwest::multipart::Form::new()
            .part("file", file)
            .text("model", self.model.clone())
            .text("response_format", "verbose_json")
            .text("timestamp_granularities[]", "segment")
            .text("timestamp_granularities[]", "word");
        let language = match language.map(str::trim) {
            Some("" | "auto" | "detect") => None,
            Some(code) => Some(code.to_string()),
            None => self.language.clone(),
        };
        if let Some(language) = language {
            form = form.text("language", language);
        }
        let mut request = self
            .client
            .post(format!("{}/v1/audio/transcriptions", self.base_url))
            .multipart(form);
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.map_err(|e| {
            EngineError::retryable(format!("the transcription service did not answer: {e}"))
        })?;
        let status = response.status();
        let body = response
            .text()
            .await
            .map_err(|e| EngineError::retryable(format!("reading the service's answer: {e}")))?;
        if !status.is_success() {
            let message = format!(
                "the transcription service answered {status}: {}",
                body.chars().take(500).collect::<String>()
            );
            return Err(EngineError {
                message,
                retryable: retryable_status(status),
            });
        }
        parse(&body, duration).map_err(EngineError::permanent)
    }
}

/// Whether an error answer may go away by itself: overload, rate limits, timeouts and server
/// errors pass; a refused request (a bad key, a wrong URL or model, a file it cannot read)
/// does not, and retrying it would only spend the attempts.
fn retryable_status(status: reqwest::StatusCode) -> bool {
    status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408
}

/// Reads a `verbose_json` answer; times are clamped to the audio's duration.
pub fn parse(body: &str, duration: f64) -> Result<EngineOutput, String> {
    let answer: VerboseJson = serde_json::from_str(body)
        .map_err(|e| format!("the service's answer is not verbose_json: {e}"))?;
    let mut loose = answer.words.into_iter().peekable();
    let mut segments: Vec<Segment> = Vec::new();
    for s in answer.segments {
        // The segment's own words, else the top-level words whose middle falls in it.
        let own = !s.words.is_empty();
        let mut words: Vec<Word> = s.words.into_iter().map(Word::from).collect();
        while let Some(w) = loose.next_if(|w| (w.start + w.end) / 2.0 < s.end) {
            if !own && (w.start + w.end) / 2.0 >= s.start {
                words.push(w.into());
            }
        }
        if s.text.trim().is_empty() {
            continue;
        }
        let mut segment = Segment {
            start: s.start.clamp(0.0, duration.max(0.0)),
            end: s.end.clamp(s.start.max(0.0), duration.max(s.start)),
            text: s.text.trim().to_string(),
            confidence: s.avg_logprob.map(|p| p.exp().clamp(0.0, 1.0)),
            words,
            ..Segment::default()
        };
        segment.fit_words();
        segments.push(segment);
    }
    if segments.is_empty() && !answer.text.trim().is_empty() {
        segments.push(Segment {
            start: 0.0,
            end: duration.max(0.0),
            text: answer.text.trim().to_string(),
            confidence: None,
            ..Segment::default()
        });
    }
    Ok(EngineOutput {
        language: answer.language,
        language_probability: None,
        segments,
    })
}

#[cfg(test)]
mod tests {
    use super::{parse, retryable_status};
    use reqwest::StatusCode;

    #[test]
    fn refused_requests_are_permanent_and_overload_is_retryable() {
        for code in [400, 401, 403, 404, 413, 415, 422] {
            let status = StatusCode::from_u16(code).unwrap();
            assert!(!retryable_status(status), "{code} is permanent");
        }
        for code in [408, 429, 500, 502, 503, 504] {
            let status = StatusCode::from_u16(code).unwrap();
            assert!(retryable_status(status), "{code} is retryable");
        }
    }

    #[test]
    fn verbose_json_segments_become_weft_segments() {
        let body = r#"{"task":"transcribe","language":"english","duration":5.0,"text":"Hello there. Bye.",
            "segments":[{"id":0,"start":0.0,"end":2.1,"text":" Hello there.","avg_logprob":-0.2,"no_speech_prob":0.01},
                        {"id":1,"start":2.1,"end":9.0,"text":" Bye.","avg_logprob":-0.5}]}"#;
        let out = parse(body, 5.0).unwrap();
        assert_eq!(out.language.as_deref(), Some("english"));
        assert_eq!(out.segments.len(), 2);
        assert_eq!(out.segments[0].text, "Hello there.");
        assert!((out.segments[0].confidence.unwrap() - (-0.2f64).exp()).abs() < 1e-9);
        assert_eq!(out.segments[1].end, 5.0, "clamped to the audio");
    }

    #[test]
    fn words_listed_apart_are_dealt_to_the_segments_they_fall_in() {
        let body = r#"{"language":"en","text":"Hello there. Bye.",
            "segments":[{"start":0.0,"end":2.0,"text":" Hello there."},
                        {"start":2.0,"end":4.0,"text":" Bye."}],
            "words":[{"word":"Hello","start":0.1,"end":0.6},{"word":"there.","start":0.7,"end":1.4},
                     {"word":"Bye.","start":2.2,"end":2.9}]}"#;
        let out = parse(body, 5.0).unwrap();
        let words: Vec<Vec<&str>> = out
            .segments
            .iter()
            .map(|s| s.words.iter().map(|w| w.word.as_str()).collect())
            .collect();
        assert_eq!(words, [vec!["Hello", "there."], vec!["Bye."]]);
        let own = r#"{"segments":[{"start":0.0,"end":2.0,"text":"Hi","words":[{"word":" Hi","start":0.2,"end":0.5,"probability":0.8}]}]}"#;
        let out = parse(own, 5.0).unwrap();
        assert_eq!(out.segments[0].words[0].word, "Hi");
        assert_eq!(out.segments[0].words[0].probability, Some(0.8));
    }

    #[test]
    fn text_without_segments_becomes_one_segment() {
        let out = parse(r#"{"text":"just text"}"#, 3.0).unwrap();
        assert_eq!(out.segments.len(), 1);
        assert_eq!(out.segments[0].end, 3.0);
        assert!(parse("not json", 1.0).is_err());
    }
}
