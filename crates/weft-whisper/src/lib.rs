//! Speech to text with Whisper through CTranslate2 (the engine behind faster-whisper).
//!
//! Give [`Whisper::load`] a faster-whisper model directory and [`Whisper::transcribe`] 16 kHz
//! mono `f32` samples; it returns timestamped segments for audio of any length. The decoding
//! follows faster-whisper's: 30-second windows decoded with timestamp tokens, each window
//! starting at the last complete timestamp of the one before (so no word is cut at a window
//! boundary), the previous text as the prompt, and its safeguards against invented text
//! (temperature fallback, compression-ratio and no-speech checks).
//!
//! Transcription is blocking and CPU-heavy: call it from a thread of its own, never from an
//! async runtime's worker threads. [`Whisper`] is `Send + Sync`, so one loaded model can serve
//! several threads (CTranslate2 queues their requests).

#![forbid(unsafe_code)]

mod engine;
mod error;
pub mod mel;
mod vocab;
mod window;
mod words;

pub use engine::Whisper;
pub use error::Error;
pub use mel::SAMPLE_RATE;

/// Threads one transcription uses unless told otherwise: 1. On two cores a second thread
/// made no transcription faster, with any backend: with PyPI's library (the default
/// `prebuilt`) 87 s of speech took 3.9 s at 1 thread and 4.3 s at 2, with a third more CPU
/// time; with ruy (`source`) the extra worker busy-waits after each of the decoder's small
/// matrix products and doubled the CPU time (docs/BENCHMARKS.md). More cores are better
/// spent on more transcriptions at once (Weft's `WEFT_WORKERS`), or given with
/// `WEFT_WHISPER_THREADS` to a larger model.
pub const DEFAULT_THREADS: usize = 1;

/// Where inference runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Device {
    /// The CPU (every build).
    #[default]
    Cpu,
    /// An NVIDIA GPU; needs a build with the `cuda` feature.
    Cuda,
}

/// How a model is loaded and decoded. The defaults are faster-whisper's for CPU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// CTranslate2 compute type: `int8` (default), `int8_float32`, `int8_float16`, `float16`,
    /// `float32`, `bfloat16`, `int16`, `auto` or `default`.
    pub compute_type: String,
    /// Threads one transcription uses (CTranslate2's intra-op threads); 0 lets it choose.
    /// Default: [`DEFAULT_THREADS`].
    pub threads: usize,
    /// Beam size for the first decoding attempt of each window.
    pub beam_size: usize,
    /// Spoken language as a code such as `en`; `None` detects it (multilingual models only).
    pub language: Option<String>,
    /// Where inference runs.
    pub device: Device,
    /// Whether segments carry their words with times (one more pass of the decoder over
    /// each window's text: CTranslate2's `align`).
    pub word_timestamps: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            compute_type: "int8".to_owned(),
            threads: DEFAULT_THREADS,
            beam_size: 5,
            language: None,
            device: Device::Cpu,
            word_timestamps: true,
        }
    }
}

/// A stretch of speech with its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// Start, in seconds from the start of the audio.
    pub start: f64,
    /// End, in seconds from the start of the audio; always after `start`.
    pub end: f64,
    /// The text, trimmed.
    pub text: String,
    /// How sure the model was, 0..1: the geometric mean of the token probabilities of the
    /// window the segment was decoded in (`exp(avg_logprob)`).
    pub confidence: f64,
    /// Its words in order, each inside the segment; empty without word timestamps.
    pub words: Vec<Word>,
    /// The language the segment was heard in (code), when the transcript's language was
    /// detected and this window's differs from it; `None` otherwise.
    pub language: Option<String>,
}

/// A word and when it was spoken.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    /// The word as written, with the punctuation attached to it (`Hello,`), trimmed.
    pub text: String,
    /// Start, in seconds from the start of the audio.
    pub start: f64,
    /// End, in seconds from the start of the audio; never before `start`.
    pub end: f64,
    /// How sure the model was of the word, 0..1: the mean of its tokens' probabilities.
    pub probability: f64,
}

/// The result of a transcription.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    /// Language code (`en`, `de`, ...), given or detected.
    pub language: String,
    /// The probability of the detected language, 0..1; `None` when the language was given
    /// (or the model is English-only).
    pub language_probability: Option<f64>,
    /// Segments in order, without overlap, within the audio.
    pub segments: Vec<Segment>,
}

impl Transcript {
    /// The whole text: the segments' texts joined by spaces.
    pub fn text(&self) -> String {
        let texts: Vec<&str> = self.segments.iter().map(|s| s.text.as_str()).collect();
        texts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_can_be_shared_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Whisper>();
    }

    #[test]
    fn default_options_are_faster_whispers_cpu_defaults_with_one_thread() {
        let options = Options::default();
        assert_eq!(options.compute_type, "int8");
        assert_eq!((options.threads, options.beam_size), (DEFAULT_THREADS, 5));
        assert_eq!(DEFAULT_THREADS, 1);
        assert_eq!(options.language, None);
        assert_eq!(options.device, Device::Cpu);
        assert!(options.word_timestamps);
    }
}
